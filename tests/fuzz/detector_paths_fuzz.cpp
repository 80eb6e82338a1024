// Fuzzes the PII detector's two matching paths on one value (the input, and the input split at each '|' into
// a column of values): the fast path (byte prefilter, validators first, validators vouching for their
// patterns, batches) must give exactly the reference path's pattern matches, validated entities and column
// verdicts; and every value a built-in validator accepts must match its entity's pattern (validators.h:
// ASCII values only for PERSON_NAME and POSTAL_ADDRESS), which is what lets the fast path skip the pattern.

#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/catalog/text_util.h"
#include "cairn/classifiers/pii.h"

namespace {

using cairn::classifiers::builtin_entities;
using cairn::classifiers::Detector;
using cairn::classifiers::MatchPath;
using cairn::classifiers::ValueMatch;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Fixture {
  Fixture() : detector(Detector::create()) {
    RE2::Options options;
    options.set_log_errors(false);
    for (const auto& e : builtin_entities()) patterns.push_back(std::make_unique<RE2>(e.pattern, options));
  }
  Detector detector;
  std::vector<std::unique_ptr<RE2>> patterns;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string_view value = cairn::catalog::text::trim_ascii_space(input);
  for (std::size_t i = 0; i < builtin_entities().size(); ++i) {
    const auto& e = builtin_entities()[i];
    if (cairn::classifiers::validate(e.name, value) == ValueMatch::None) continue;
    if (!cairn::classifiers::validation_implies_pattern(e.name, value)) continue;
    check(RE2::FullMatch(value, *fixture.patterns[i]));
  }
  const Detector& d = fixture.detector;
  check(d.pattern_matches(input, MatchPath::Fast) == d.pattern_matches(input, MatchPath::Reference));
  check(d.match(input, MatchPath::Fast) == d.match(input, MatchPath::Reference));

  std::vector<std::string> column;
  std::size_t start = 0;
  while (column.size() < 64) {
    const std::size_t bar = input.find('|', start);
    column.push_back(input.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  for (const char* name : {"email", "customer_name", "street_address", "date_of_birth", "col"}) {
    const auto fast = d.classify_column(name, "string", column, MatchPath::Fast);
    const auto reference = d.classify_column(name, "string", column, MatchPath::Reference);
    check(fast.size() == reference.size());
    for (std::size_t i = 0; i < fast.size(); ++i) {
      check(fast[i].entity == reference[i].entity && fast[i].matched == reference[i].matched &&
            fast[i].masked_example == reference[i].masked_example && fast[i].reason == reference[i].reason);
    }
  }
  return 0;
}
