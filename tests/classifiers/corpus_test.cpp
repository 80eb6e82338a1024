#include "classifiers/corpus.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cairn/classifiers/pii.h"

namespace {

using cairn::classifiers::builtin_entities;
using cairn::classifiers::Detector;
using cairn::classifiers::validate;
using cairn::classifiers::ValueMatch;
using namespace cairn::classifiers::test;

constexpr std::uint64_t kSeed = 20261121;

TEST(Corpus, IsDeterministic) {
  const auto a = generate_corpus(kSeed, 2, 1, 1, 20);
  const auto b = generate_corpus(kSeed, 2, 1, 1, 20);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].values, b[i].values);
  }
}

TEST(Corpus, GeneratedValuesValidate) {
  Rng rng(kSeed);
  for (const auto& e : builtin_entities()) {
    for (const Locale locale : kLocales) {
      for (int i = 0; i < 25; ++i) {
        const std::string v = valid_value(e.name, locale, rng);
        EXPECT_NE(validate(e.name, v), ValueMatch::None) << e.name << ": " << v;
      }
    }
  }
}

// Column-level precision and recall per entity over the labelled corpus; prints the table of
// docs/classifiers.md.
TEST(Corpus, PrecisionAndRecallMeetTheTargets) {
  const auto corpus = generate_corpus(kSeed);
  const Detector detector = Detector::create();
  struct Counts {
    std::size_t positives = 0, negatives = 0, tp = 0, fp = 0;
  };
  std::map<std::string, Counts> counts;
  std::map<std::string, std::vector<std::string>> misses, false_alarms;
  for (const auto& e : builtin_entities()) counts[std::string(e.name)];
  for (const auto& column : corpus) {
    std::set<std::string> predicted;
    for (const auto& v : detector.classify_column(column.name, column.hive_type, column.values)) {
      predicted.insert(v.entity);
    }
    for (auto& [entity, c] : counts) {
      const bool positive = column.label == entity;
      const bool hit = predicted.count(entity) > 0;
      if (positive) {
        ++c.positives;
        if (hit) {
          ++c.tp;
        } else {
          misses[entity].push_back(column.name + " (" + column.kind + ")");
        }
      } else {
        ++c.negatives;
        if (hit) {
          ++c.fp;
          false_alarms[entity].push_back(column.name + " (" + column.kind + ")");
        }
      }
    }
  }
  std::printf(
      "| entity | checksum | positive columns | negative columns | TP | FP | FN | precision | recall |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& e : builtin_entities()) {
    const Counts& c = counts[std::string(e.name)];
    const double precision =
        c.tp + c.fp == 0 ? 0.0 : static_cast<double>(c.tp) / static_cast<double>(c.tp + c.fp);
    const double recall = static_cast<double>(c.tp) / static_cast<double>(c.positives);
    std::printf("| %s | %s | %zu | %zu | %zu | %zu | %zu | %.3f | %.3f |\n", std::string(e.name).c_str(),
                e.has_checksum ? "yes" : "no", c.positives, c.negatives, c.tp, c.fp, c.positives - c.tp,
                precision, recall);
    EXPECT_GE(c.positives, 40u);
    EXPECT_GE(c.negatives, 40u);
    EXPECT_GE(precision, e.has_checksum ? 0.98 : 0.95) << e.name;
    EXPECT_GE(recall, e.has_checksum ? 0.95 : 0.90) << e.name;
    for (const auto& m : misses[std::string(e.name)]) std::printf("    missed: %s\n", m.c_str());
    for (const auto& f : false_alarms[std::string(e.name)])
      std::printf("    false positive: %s\n", f.c_str());
  }
  std::printf("%zu columns of %zu values, seed %llu\n", corpus.size(), corpus.front().values.size(),
              static_cast<unsigned long long>(kSeed));
}

}  // namespace
