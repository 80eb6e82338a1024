// What a built-in validator accepts, its entity's pattern matches (validators.h, BuiltinSpec): the detector's
// fast path counts such a value without running the pattern. Checked on the labelled corpus and on many
// near-misses of each value (a separator, a letter of the other case, a byte dropped, doubled or added at
// every position, a time appended), which is where a validator that drops separators wherever they stand
// would accept a layout its pattern refuses.

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/catalog/text_util.h"
#include "cairn/classifiers/pii.h"
#include "classifiers/corpus.h"

namespace {

using cairn::classifiers::builtin_entities;
using cairn::classifiers::validate;
using cairn::classifiers::ValueMatch;

// `v` and its near-misses.
std::vector<std::string> variants(const std::string& v) {
  static const std::string kInserted = " -./:,()'#+\nTZa5";
  std::vector<std::string> out = {v};
  for (std::size_t i = 0; i <= v.size(); ++i) {
    for (const char c : kInserted) out.push_back(v.substr(0, i) + c + v.substr(i));
    if (i == v.size()) break;
    out.push_back(v.substr(0, i) + v.substr(i + 1));  // dropped
    out.push_back(v.substr(0, i + 1) + v.substr(i));  // doubled
    std::string flipped = v;                          // the other case
    const char c = v[i];
    flipped[i] = c >= 'a' && c <= 'z' ? static_cast<char>(c - 32)
                                      : (c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
    if (flipped != v) out.push_back(flipped);
    std::string spaced = v;
    spaced[i] = ' ';
    out.push_back(spaced);
  }
  for (const char* suffix : {"T10:00:00Z", " 10:00", "T10:00x", " x", "\xc3\xa9", "\xe2\x82\xac"}) {
    out.push_back(v + suffix);
  }
  for (const char* prefix : {"+", "(", ",", "\xc3\xa9", "\xe2\x82\xac"})
    out.push_back(std::string(prefix) + v);
  out.push_back(cairn::catalog::text::lower(v));
  return out;
}

TEST(ValidatorsImplyPatterns, WhatAValidatorAcceptsItsPatternMatches) {
  RE2::Options options;
  options.set_log_errors(false);
  std::vector<std::unique_ptr<RE2>> patterns;
  for (const auto& e : builtin_entities()) patterns.push_back(std::make_unique<RE2>(e.pattern, options));

  const auto corpus = cairn::classifiers::test::generate_corpus(20261121, 1, 1, 1, 24);
  std::map<std::string, std::size_t> accepted;  // per entity, accepted values whose implication was checked
  std::size_t failures = 0;
  for (const auto& column : corpus) {
    for (const auto& value : column.values) {
      for (const auto& raw : variants(value)) {
        const std::string_view v = cairn::catalog::text::trim_ascii_space(raw);
        for (std::size_t i = 0; i < builtin_entities().size(); ++i) {
          const auto& e = builtin_entities()[i];
          if (validate(e.name, v) == ValueMatch::None) continue;
          if (!cairn::classifiers::validation_implies_pattern(e.name, v)) continue;
          ++accepted[std::string(e.name)];
          if (!RE2::FullMatch(v, *patterns[i]) && ++failures <= 20) {
            ADD_FAILURE() << e.name << " accepts '" << v << "' (from '" << value
                          << "') but its pattern does not match it";
          }
        }
      }
    }
  }
  EXPECT_EQ(failures, 0u);
  // Every entity was put to the test, on more than its corpus values.
  for (const auto& e : builtin_entities()) {
    EXPECT_GE(accepted[std::string(e.name)], 24u) << e.name;
  }
}

}  // namespace
