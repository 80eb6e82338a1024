// cairn-classifier-bench: PII classification throughput on sampled column values (MB/s on one core) of the
// Detector's fast path (a byte/length prefilter per value, validators, then the patterns of what they accept,
// batched), of its reference path (the one RE2::Set holding every pattern on every value, then validators on
// its hits) and of the naive loop that runs each entity's pattern as its own RE2 over the same values (then
// the same validators); prints all three and their ratios, for a mixed corpus and for its positive columns.
//
// The three are measured side by side in thread CPU time (MB/s per core): in each of several rounds every
// variant runs for its share of the time, one after the other, and the best round of each is reported, so
// that other processes on a shared machine skew the figures and their ratios as little as possible.
//
// Usage: cairn-classifier-bench [seconds per variant and corpus, default 2] [rounds, default 5]

#include <re2/re2.h>

#include <time.h>
#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cairn/catalog/text_util.h"
#include "cairn/classifiers/pii.h"
#include "classifiers/corpus.h"

namespace {

using cairn::classifiers::builtin_entities;
using cairn::classifiers::Detector;
using cairn::classifiers::MatchPath;
using cairn::classifiers::ValueMatch;
using cairn::classifiers::test::generate_corpus;
using cairn::classifiers::test::LabelledColumn;

// This thread's CPU time in seconds: MB/s per core, whatever else the machine runs.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Runs `pass` (one pass over every column) until `seconds` of CPU time have gone by; returns MB/s (of CPU
// time) for `bytes` per pass.
double throughput(double seconds, std::size_t bytes, const std::function<void()>& pass) {
  std::size_t passes = 0;
  const double start = cpu_seconds();
  double elapsed = 0;
  do {
    pass();
    ++passes;
    elapsed = cpu_seconds() - start;
  } while (elapsed < seconds);
  return static_cast<double>(bytes) * static_cast<double>(passes) / elapsed / 1e6;
}

struct Figures {
  std::size_t bytes = 0;
  std::size_t values = 0;
  double fast_mbps = 0;
  double reference_mbps = 0;
  double naive_mbps = 0;
};

// The fast path, the reference path and the naive loop over `columns`, interleaved over `rounds` rounds.
Figures measure(const std::vector<LabelledColumn>& columns, double seconds, int rounds, std::size_t& sink) {
  Figures f;
  for (const auto& c : columns) {
    for (const auto& v : c.values) f.bytes += v.size();
    f.values += c.values.size();
  }
  const Detector detector = Detector::create();
  std::vector<std::unique_ptr<RE2>> patterns;
  RE2::Options options;
  options.set_log_errors(false);
  for (const auto& e : builtin_entities()) patterns.push_back(std::make_unique<RE2>(e.pattern, options));
  const auto fast = [&] {
    for (const auto& c : columns) sink += detector.classify_column(c.name, c.hive_type, c.values).size();
  };
  const auto reference = [&] {
    for (const auto& c : columns) {
      sink += detector.classify_column(c.name, c.hive_type, c.values, MatchPath::Reference).size();
    }
  };
  const auto naive = [&] {
    for (const auto& c : columns) {
      for (const auto& raw : c.values) {
        const std::string_view v = cairn::catalog::text::trim_ascii_space(raw);
        if (v.empty()) continue;
        for (std::size_t i = 0; i < patterns.size(); ++i) {
          if (RE2::FullMatch(v, *patterns[i]) &&
              cairn::classifiers::validate(builtin_entities()[i].name, v) != ValueMatch::None) {
            ++sink;
          }
        }
      }
    }
  };
  const double share = seconds / rounds;
  for (int r = 0; r < rounds; ++r) {
    f.fast_mbps = std::max(f.fast_mbps, throughput(share, f.bytes, fast));
    f.reference_mbps = std::max(f.reference_mbps, throughput(share, f.bytes, reference));
    f.naive_mbps = std::max(f.naive_mbps, throughput(share, f.bytes, naive));
  }
  return f;
}

void report(const char* title, const Figures& f) {
  const double value_bytes = static_cast<double>(f.bytes) / static_cast<double>(f.values);
  std::printf("%s: %zu values, %zu bytes (%.1f bytes/value)\n", title, f.values, f.bytes, value_bytes);
  std::printf(
      "  detector, fast path (prefilter, validators, batched patterns): %8.1f MB/s  %6.2f M values/s\n",
      f.fast_mbps, f.fast_mbps / value_bytes);
  std::printf(
      "  detector, reference path (the RE2::Set on every value):        %8.1f MB/s  %6.2f M values/s\n",
      f.reference_mbps, f.reference_mbps / value_bytes);
  std::printf(
      "  naive (one RE2 per pattern + validators):                      %8.1f MB/s  %6.2f M values/s\n",
      f.naive_mbps, f.naive_mbps / value_bytes);
  std::printf("  ratios: fast / naive %.1fx, reference / naive %.1fx, fast / reference %.2fx\n",
              f.fast_mbps / f.naive_mbps, f.reference_mbps / f.naive_mbps, f.fast_mbps / f.reference_mbps);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  // A realistic mix: every entity (positives), misleading look-alikes, 1,000 sampled values a column. A
  // column with no personal data is read only until no entity can reach its threshold; a column that holds
  // one is read to the end, so the positives alone are the detector's slowest case. MB/s counts every
  // sampled byte of the corpus, read or not.
  const std::vector<LabelledColumn> mixed = generate_corpus(42, 4, 2, 2, 1000);
  std::vector<LabelledColumn> positives;
  for (const auto& c : mixed) {
    if (!c.label.empty()) positives.push_back(c);
  }
  std::size_t sink = 0;
  std::printf(
      "targets: >= 100 MB/s per core, >= 5x the naive loop; %zu built-in entities, one thread, best of %d "
      "interleaved rounds\n",
      builtin_entities().size(), rounds);
  report("mixed columns (positives and look-alikes)", measure(mixed, seconds, rounds, sink));
  report("positive columns only (every value read)", measure(positives, seconds, rounds, sink));
  return sink == 0 ? 1 : 0;
}
