// The detector's fast path (byte/length prefilter per value, per-entity early stop) against its reference
// path (every pattern on every value by the one RE2::Set): the same pattern matches, the same validated
// entities and the same column verdicts, so the prefilter can never drop a true match.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cairn/classifiers/pii.h"
#include "classifiers/corpus.h"

namespace {

using cairn::classifiers::ColumnVerdict;
using cairn::classifiers::CustomEntityType;
using cairn::classifiers::Detector;
using cairn::classifiers::MatchPath;
using namespace cairn::classifiers::test;

void expect_same_verdicts(const std::vector<ColumnVerdict>& fast, const std::vector<ColumnVerdict>& reference,
                          const std::string& where) {
  ASSERT_EQ(fast.size(), reference.size()) << where;
  for (std::size_t i = 0; i < fast.size(); ++i) {
    EXPECT_EQ(fast[i].entity, reference[i].entity) << where;
    EXPECT_DOUBLE_EQ(fast[i].confidence, reference[i].confidence) << where;
    EXPECT_DOUBLE_EQ(fast[i].matched_fraction, reference[i].matched_fraction) << where;
    EXPECT_EQ(fast[i].sample_size, reference[i].sample_size) << where;
    EXPECT_EQ(fast[i].matched, reference[i].matched) << where;
    EXPECT_EQ(fast[i].masked_example, reference[i].masked_example) << where;
    EXPECT_EQ(fast[i].reason, reference[i].reason) << where;
  }
}

// Every value: the same pattern matches and validated entities on both paths; every column: the same
// verdicts under its own name and under a name without hints. Adds the pattern matches seen to
// `pattern_matches`.
void expect_paths_agree(const Detector& d, const std::vector<LabelledColumn>& corpus,
                        std::size_t& pattern_matches) {
  for (const auto& column : corpus) {
    for (const auto& v : column.values) {
      const auto reference = d.pattern_matches(v, MatchPath::Reference);
      pattern_matches += reference.size();
      ASSERT_EQ(d.pattern_matches(v, MatchPath::Fast), reference) << column.kind << ": " << v;
      ASSERT_EQ(d.match(v, MatchPath::Fast), d.match(v, MatchPath::Reference)) << column.kind << ": " << v;
    }
    for (const std::string& name : {column.name, std::string("col_1")}) {
      expect_same_verdicts(d.classify_column(name, column.hive_type, column.values, MatchPath::Fast),
                           d.classify_column(name, column.hive_type, column.values, MatchPath::Reference),
                           name + " (" + column.kind + ")");
    }
  }
}

TEST(FastPath, AgreesWithTheReferenceOnTheLabelledCorpus) {
  const Detector d = Detector::create();
  const auto corpus = generate_corpus(20261121);
  std::size_t pattern_matches = 0;
  expect_paths_agree(d, corpus, pattern_matches);
  EXPECT_GT(pattern_matches, corpus.size() * 100);
  // The default classify_column is the fast path.
  for (std::size_t i = 0; i < corpus.size(); i += 7) {
    const auto& c = corpus[i];
    expect_same_verdicts(d.classify_column(c.name, c.hive_type, c.values),
                         d.classify_column(c.name, c.hive_type, c.values, MatchPath::Reference), c.name);
  }
}

TEST(FastPath, AgreesWithTheReferenceOnTheBenchCorpus) {
  std::size_t pattern_matches = 0;
  expect_paths_agree(Detector::create(), generate_corpus(42, 4, 2, 2, 1000), pattern_matches);
  EXPECT_GT(pattern_matches, 100000u);
}

// Strings drawn from `alphabet` (UTF-8 runes or bytes given as separate entries), 0 to 44 of them.
std::vector<std::string> random_strings(const std::vector<std::string>& alphabet, std::size_t n, Rng& rng) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string s;
    const std::size_t len = rng.below(45);
    for (std::size_t k = 0; k < len; ++k) s += alphabet[rng.below(alphabet.size())];
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> fuzz_alphabet() {
  std::vector<std::string> alphabet = {"é", "ß", "α", "€", "\t", "\n"};
  for (char c = ' '; c <= '~'; ++c) alphabet.emplace_back(1, c);
  for (char c = '0'; c <= '9'; ++c) alphabet.emplace_back(3, c);  // digits more often
  return alphabet;
}

TEST(FastPath, AgreesWithTheReferenceOnRandomStrings) {
  const Detector d = Detector::create();
  Rng rng(7);
  const std::vector<std::string> digits_and_separators = {"0", "1", "2", "3", "4", "5", "6", "7", "8",
                                                          "9", " ", "-", ".", "/", ":", "+", "(", ")"};
  for (const auto& alphabet : {fuzz_alphabet(), digits_and_separators}) {
    for (const auto& v : random_strings(alphabet, 20000, rng)) {
      ASSERT_EQ(d.pattern_matches(v, MatchPath::Fast), d.pattern_matches(v, MatchPath::Reference)) << v;
    }
  }
}

// Custom patterns exercise the syntax the prefilter reads from a pattern (and what it must leave alone).
TEST(FastPath, CustomPatternsOfEverySyntaxAgree) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"é{2}x", {"ééx", "éx", "é\xA9x"}},
      {"(?i)abc", {"ABC", "abc", "aBc"}},
      {"[^0-9]+", {"abc", "a1"}},
      {"a.c", {"aéc", "abc", "a€c", "a\nc"}},
      {"\\pL{3}", {"äöü", "abc", "ab1"}},
      {"\\p{L}\\pN", {"a1", "é٣"}},
      {"x|", {"x", "y"}},
      {"[]a]+", {"]a", "a]]", "b"}},
      {"[a-]+", {"a-", "-", "b"}},
      {"\\d{2,}\\s?\\w", {"12 x", "123_", "1 x"}},
      {"(?P<n>ab)+", {"abab", "aba"}},
      {"\\x41B", {"AB", "xB"}},
      {"[[:digit:]]+", {"123", "12a"}},
      {"\\p{Greek}+", {"αβ", "ab"}},
      {"^EMP-\\d{3}$", {"EMP-123", "EMP-12"}},
      {"\\QA.B\\E", {"A.B", "AxB"}},
      {"\\bfoo\\b", {"foo", "foox"}},
      {"[\\--/]+", {"-./", "-,"}},
      {"a{0}b", {"b", "ab"}},
      {"(?:ab|cd){2,3}", {"abcd", "ab", "cdcdcd"}},
      {"[€-€]x", {"€x"}},
      {"a*?b+?", {"aab", "b", "a"}},
  };
  for (const auto& [pattern, values] : cases) {
    const Detector d = Detector::create({CustomEntityType{"CUSTOM", pattern, {}}});
    for (const auto& v : values) {
      EXPECT_EQ(d.pattern_matches(v, MatchPath::Fast), d.pattern_matches(v, MatchPath::Reference))
          << pattern << " on " << v;
    }
    Rng rng(11);
    for (const auto& v : random_strings(fuzz_alphabet(), 2000, rng)) {
      ASSERT_EQ(d.pattern_matches(v, MatchPath::Fast), d.pattern_matches(v, MatchPath::Reference))
          << pattern << " on " << v;
    }
  }
  // Spot checks of the ground truth itself: the quantifier applies to the whole rune.
  const Detector d = Detector::create({CustomEntityType{"RUNES", "é{2}x", {}}});
  EXPECT_EQ(d.pattern_matches("ééx").back(), "RUNES");
  EXPECT_EQ(d.pattern_matches("éx").size(), d.pattern_matches("éx", MatchPath::Reference).size());
  EXPECT_NE(d.pattern_matches("éx").back(), "RUNES");
}

// Columns of custom entities whose batched pattern check cannot be used as is: anchors inside the joined
// values, duplicate group names (the batch pattern does not compile), syntax the prefilter leaves alone.
TEST(FastPath, CustomEntityColumnsAgree) {
  struct Case {
    std::string pattern;
    std::string (*make)(int i);
  };
  const std::vector<Case> cases = {
      {"^EMP-\\d{3}$", [](int i) { return "EMP-" + std::to_string(100 + i); }},
      {"(?P<n>ab)+\\d+", [](int i) { return std::string(i % 2 == 0 ? "ab" : "abab") + std::to_string(i); }},
      {"\\bC\\d+\\b", [](int i) { return "C" + std::to_string(i); }},
      {"é{2}-\\d+", [](int i) { return "éé-" + std::to_string(i); }},
      {"(?i)emp\\d+", [](int i) { return std::string(i % 2 == 0 ? "EMP" : "emp") + std::to_string(i); }},
      {"[^,]+,\\d+", [](int i) { return "x" + std::to_string(i) + "," + std::to_string(i); }},
      {"x\\d+|y\\d+", [](int i) { return std::string(i % 2 == 0 ? "x" : "y") + std::to_string(i); }},
  };
  for (const auto& c : cases) {
    const Detector d = Detector::create({CustomEntityType{"CUSTOM", c.pattern, {}}});
    std::vector<std::string> values;
    for (int i = 0; i < 60; ++i) values.push_back(i % 10 == 9 ? "zzz" : c.make(i));
    const auto fast = d.classify_column("col", "string", values);
    expect_same_verdicts(fast, d.classify_column("col", "string", values, MatchPath::Reference), c.pattern);
    ASSERT_FALSE(fast.empty()) << c.pattern;
    EXPECT_EQ(fast[0].entity, "CUSTOM") << c.pattern;
    EXPECT_EQ(fast[0].matched, 54u) << c.pattern;
  }
}

// A value with a line break inside must not pass for two values of a batch: addresses whose second half
// holds "\n", read once only POSTAL_ADDRESS is left to match.
TEST(FastPath, ValuesWithLineBreaksAreNotSplitByBatches) {
  const Detector d = Detector::create();
  std::vector<std::string> values;
  for (int i = 0; i < 100; ++i) {
    const std::string street = "Hauptstrasse " + std::to_string(i + 1);
    values.push_back(i < 50 ? street + ", 10115 Berlin" : street + "\n10115 Berlin");
  }
  for (const std::string name : {"billing_address", "address"}) {
    const auto fast = d.classify_column(name, "string", values);
    expect_same_verdicts(fast, d.classify_column(name, "string", values, MatchPath::Reference), name);
    EXPECT_TRUE(fast.empty()) << name;  // 50/100 match the pattern: below POSTAL_ADDRESS's 0.7
  }
}

// A column whose values are checked partly in batches (one entity accepts them) and partly at once (more than
// three entities accept them): the example is still the first matching value.
TEST(FastPath, TheExampleIsTheFirstMatchWhateverTheOrderOfChecks) {
  const Detector d = Detector::create(
      {CustomEntityType{"A_CODE", "[0-9a]{8}", {}}, CustomEntityType{"B_CODE", "[0-9]{8}", {}},
       CustomEntityType{"C_CODE", "[0-9]{8}", {}}, CustomEntityType{"D_CODE", "[0-9]{8}", {}}});
  std::vector<std::string> values;
  for (int i = 0; i < 40; ++i) values.push_back((i < 8 ? "a" : "1") + std::to_string(1000000 + i));
  const auto fast = d.classify_column("code", "string", values);
  expect_same_verdicts(fast, d.classify_column("code", "string", values, MatchPath::Reference), "code");
  ASSERT_FALSE(fast.empty());
  EXPECT_EQ(fast[0].entity, "A_CODE");
  EXPECT_EQ(fast[0].masked_example, cairn::classifiers::mask_example("A_CODE", values[0]));
  EXPECT_NE(fast[0].masked_example, cairn::classifiers::mask_example("A_CODE", values[8]));
}

TEST(FastPath, EntitiesPastTheFilterBitsStillMatch) {
  std::vector<CustomEntityType> custom;
  for (int i = 0; i < 50; ++i) {
    custom.push_back(
        CustomEntityType{"CODE_" + std::to_string(i), "C" + std::to_string(i) + "-[0-9]{4}", {}});
  }
  const Detector d = Detector::create(custom);
  EXPECT_EQ(d.match("C49-1234"), std::vector<std::string>{"CODE_49"});
  EXPECT_EQ(d.match("C3-1234"), std::vector<std::string>{"CODE_3"});
  std::vector<std::string> values;
  for (int i = 0; i < 40; ++i) values.push_back("C47-" + std::to_string(1000 + i));
  const auto verdicts = d.classify_column("code", "string", values);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].entity, "CODE_47");
  expect_same_verdicts(verdicts, d.classify_column("code", "string", values, MatchPath::Reference), "code");
  Rng rng(3);
  for (const auto& v : random_strings({"C", "4", "7", "-", "1", "2", "0"}, 3000, rng)) {
    ASSERT_EQ(d.match(v, MatchPath::Fast), d.match(v, MatchPath::Reference)) << v;
  }
}

}  // namespace
