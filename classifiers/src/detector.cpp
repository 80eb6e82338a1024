#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/text_util.h"
#include "cairn/classifiers/pii.h"
#include "pattern_shape.h"
#include "validators.h"

namespace cairn::classifiers {

namespace text = catalog::text;

namespace {

// Values longer than this match no entity (the longest built-in, POSTAL_ADDRESS, stops at 200 bytes).
constexpr std::size_t kMaxValueBytes = 512;
// Low cardinality: among at least kLowCardinalityValues non-null values, fewer than kMinDistinct distinct
// ones.
constexpr std::size_t kLowCardinalityValues = 20;
constexpr std::size_t kMinDistinct = 5;
// A DATE_OF_BIRTH column's dates span at least this many distinct years (when it has kLowCardinalityValues or
// more values): event dates of recent years under a "birth" name are not birth dates.
constexpr std::size_t kMinBirthYears = 10;
// How often (in values) a column's scan checks whether any entity can still reach its threshold.
constexpr std::size_t kHopelessCheckEvery = 16;
// A value the byte prefilter leaves at most this many candidate entities for is matched against each
// candidate's own RE2 (~30-90 ns each); with more, the one RE2::Set (~200-350 ns a call) is cheaper.
constexpr std::size_t kMaxSeparateMatches = 3;

// The first run of four digits in `value` as a year in [1900, 2100), or -1.
int year_of(std::string_view value) {
  for (std::size_t i = 0; i + 4 <= value.size(); ++i) {
    const std::string_view run = value.substr(i, 4);
    if (std::all_of(run.begin(), run.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        (i + 4 == value.size() || value[i + 4] < '0' || value[i + 4] > '9')) {
      const int y = std::stoi(std::string(run));
      return y >= 1900 && y < 2100 ? y : -1;
    }
  }
  return -1;
}

// Which entities a column of a Hive type can hold.
enum class TypeClass { Text, Int, BigInt, Temporal, None };

TypeClass type_class(std::string_view hive_type) {
  if (text::trim_ascii_space(hive_type).empty()) return TypeClass::Text;
  catalog::HiveType type;
  try {
    type = catalog::parse_hive_type(hive_type);
  } catch (const Error&) {
    return TypeClass::Text;  // an unknown type name: judge by the values
  }
  using K = catalog::HiveType::Kind;
  switch (type.kind) {
    case K::String:
    case K::Varchar:
    case K::Char:
      return TypeClass::Text;
    case K::Int:
      return TypeClass::Int;
    case K::BigInt:
      return TypeClass::BigInt;
    case K::Date:
    case K::Timestamp:
      return TypeClass::Temporal;
    default:
      return TypeClass::None;
  }
}

// Built-in entities an integer column may hold: card numbers and numeric national ids (bigint only when they
// need more than the 10 digits of int).
bool integer_may_hold(std::string_view entity, TypeClass type) {
  if (entity == "NL_BSN" || entity == "US_SSN") return true;
  return type == TypeClass::BigInt && (entity == "CREDIT_CARD" || entity == "DE_TAX_ID");
}

// True when `mask` has at most `n` bits set (std::popcount is a library call without -mpopcnt).
bool at_most_bits(std::uint64_t mask, std::size_t n) {
  for (std::size_t k = 0; k < n && mask != 0; ++k) mask &= mask - 1;
  return mask == 0;
}

std::string normalise_context_word(std::string_view word) {
  std::string out;
  for (const char c : word) {
    const char l = text::ascii_lower(c);
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || static_cast<unsigned char>(l) >= 0x80)
      out.push_back(l);
  }
  return out;
}

std::string format_fraction(double f) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", f);
  return buffer;
}

}  // namespace

void validate_custom_entity_type(const CustomEntityType& type, const std::string& field_prefix) {
  if (type.name.empty() || type.name.size() > 128) {
    throw_invalid(field_prefix + "name", "a custom entity type name has 1 to 128 characters");
  }
  for (const char c : type.name) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) throw_invalid(field_prefix + "name", "a custom entity type name is made of [A-Za-z0-9_-]");
  }
  if (find_builtin_entity(type.name) != nullptr) {
    throw_invalid(field_prefix + "name", "'" + type.name + "' is a built-in entity type");
  }
  if (type.pattern.empty() || type.pattern.size() > 4096) {
    throw_invalid(field_prefix + "pattern", "a custom entity type pattern has 1 to 4,096 bytes");
  }
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(type.pattern, options);
  if (!re.ok()) throw_invalid(field_prefix + "pattern", "the pattern does not compile: " + re.error());
  if (type.context_words.size() > 20) {
    throw_invalid(field_prefix + "context_words", "at most 20 context words");
  }
  for (std::size_t i = 0; i < type.context_words.size(); ++i) {
    const std::string& word = type.context_words[i];
    const std::string field = field_prefix + "context_words[" + std::to_string(i) + "]";
    if (word.empty() || word.size() > 100) throw_invalid(field, "a context word has 1 to 100 bytes");
    if (normalise_context_word(word).empty())
      throw_invalid(field, "a context word needs a letter or a digit");
  }
}

struct Detector::Impl {
  // A bit per entity among the first kFilterBits: the entities the byte prefilter can rule out.
  using Mask = std::uint64_t;
  static constexpr std::size_t kFilterBits = 64;

  // An RE2 compiled on first use, once, thread-safe: Detector::create stays cheap (the Set is all it
  // compiles), and a pattern never needed on its own is never compiled.
  struct LazyRe2 {
    explicit LazyRe2(std::string p) : pattern(std::move(p)) {}
    const RE2& get() {
      std::call_once(once, [this] { re = std::make_unique<RE2>(pattern, re2_options()); });
      return *re;
    }
    std::string pattern;
    std::once_flag once;
    std::unique_ptr<RE2> re;
  };

  struct Entity {
    std::string name;
    const detail::BuiltinSpec* spec = nullptr;  // a built-in's; nullptr: a custom entity
    bool has_checksum = false;
    bool needs_name_hint = false;
    double threshold = 0.8;
    std::vector<std::string> hint_storage;  // custom entities' normalised context words
    std::vector<std::string_view> hints;
    std::unique_ptr<LazyRe2> re;  // the pattern alone, for values that leave only a few candidates
    // "(?:P)(?:\n(?:P))*" for pattern P without '\n' in any match: it matches values joined by '\n' exactly
    // when each value matches P (the joints can only be the '\n's), confirming many values in one pass.
    // nullptr when P's shape is not known or may hold '\n'.
    std::unique_ptr<LazyRe2> batch;
  };

  // What one byte of a value says: the entities whose pattern cannot contain it, and the features (byte sets
  // some pattern requires a byte of) it belongs to.
  struct ByteFacts {
    Mask excludes = 0;
    std::uint32_t features = 0;
  };

  Impl() : set(re2_options(), RE2::ANCHOR_BOTH) {}

  static RE2::Options re2_options() {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(64 << 20);
    return options;
  }

  // Adds an entity and its pattern to the Set and on its own; false (with `error`) when it does not compile.
  bool add(Entity e, std::string_view pattern, std::string& error) {
    if (set.Add(pattern, &error) != static_cast<int>(entities.size())) return false;
    e.re = std::make_unique<LazyRe2>(std::string(pattern));  // compiles as it did in the Set
    if (e.spec != nullptr && e.name == "DATE_OF_BIRTH") date_of_birth = entities.size();
    if (entities.size() < kFilterBits) {
      shapes.push_back(detail::analyse_pattern(pattern));
      if (shapes.back().known && !shapes.back().bytes.test('\n')) {
        const std::string p(pattern);
        e.batch = std::make_unique<LazyRe2>("(?:" + p + ")(?:\n(?:" + p + "))*");
      }
    }
    entities.push_back(std::move(e));
    return true;
  }

  // Compiles the Set and fills the prefilter's tables from the patterns' shapes.
  bool compile() {
    if (!set.Compile()) return false;
    std::vector<detail::ByteSet> features;
    by_length.assign(kMaxValueBytes + 1, 0);
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      const detail::PatternShape& shape = shapes[i];
      if (!shape.known) continue;
      const Mask bit = Mask{1} << i;
      for (std::size_t b = 0; b < 256; ++b) {
        if (!shape.bytes.test(b)) by_byte[b].excludes |= bit;
      }
      for (std::size_t len = 0; len <= kMaxValueBytes; ++len) {
        if (len < shape.min_bytes || len > shape.max_bytes) by_length[len] |= bit;
      }
      for (const auto& r : shape.required) {
        const auto found = std::find(features.begin(), features.end(), r);
        const std::size_t k = static_cast<std::size_t>(found - features.begin());
        if (found == features.end()) {
          if (features.size() == 32) continue;  // out of feature bits: a weaker prefilter
          features.push_back(r);
        }
        needs[i] |= std::uint32_t{1} << k;
      }
    }
    for (std::size_t k = 0; k < features.size(); ++k) {
      for (std::size_t b = 0; b < 256; ++b) {
        if (features[k].test(b)) by_byte[b].features |= std::uint32_t{1} << k;
      }
    }
    shapes.clear();
    return true;
  }

  // The entities of `wanted` (all below kFilterBits) whose pattern may match `value` (trimmed, 1 to
  // kMaxValueBytes bytes) as a whole, judged by its bytes and length alone.
  Mask candidates(std::string_view value, Mask wanted) const {
    Mask out = by_length[value.size()];
    std::uint32_t present = 0;
    for (const char c : value) {
      const ByteFacts& facts = by_byte[static_cast<unsigned char>(c)];
      out |= facts.excludes;
      present |= facts.features;
    }
    Mask left = wanted & ~out;
    for (Mask m = left; m != 0; m &= m - 1) {
      const int i = std::countr_zero(m);
      if ((needs[static_cast<std::size_t>(i)] & ~present) != 0) left &= ~(Mask{1} << i);
    }
    return left;
  }

  // The entity indexes whose pattern matches the whole `value` (already trimmed), in no particular order.
  // Reference: all of them, by the one Set. Fast: only entities in `wanted`, plus (when `beyond_filter`)
  // those past kFilterBits, which the caller filters further.
  void hits(std::string_view value, MatchPath path, Mask wanted, bool beyond_filter,
            std::vector<int>& out) const {
    out.clear();
    if (value.empty() || value.size() > kMaxValueBytes) return;
    if (path == MatchPath::Reference) {
      set.Match(value, &out);
      return;
    }
    const Mask candidates = this->candidates(value, wanted);
    if (!beyond_filter) {
      if (candidates == 0) return;
      if (at_most_bits(candidates, kMaxSeparateMatches)) {
        for (Mask m = candidates; m != 0; m &= m - 1) {
          const int i = std::countr_zero(m);
          if (pattern_match(static_cast<std::size_t>(i), value)) out.push_back(i);
        }
        return;
      }
    }
    set.Match(value, &out);
    out.erase(
        std::remove_if(
            out.begin(), out.end(),
            [&](int i) { return static_cast<std::size_t>(i) < kFilterBits && ((candidates >> i) & 1) == 0; }),
        out.end());
  }

  // An entity whose pattern matches a value and whose validator does not reject it.
  struct Found {
    std::size_t entity;
    ValueMatch match;
  };

  // True when entity `i`'s validator, having accepted `value`, vouches for its pattern too: the match needs
  // no RE2.
  bool implied(std::size_t i, std::string_view value) const {
    const detail::BuiltinSpec* spec = entities[i].spec;
    return spec != nullptr && detail::validator_implies_pattern(*spec, value);
  }

  // True when entity `i`'s pattern matches the whole `value`.
  bool pattern_match(std::size_t i, std::string_view value) const {
    return entities[i].re->get().Match(value, 0, value.size(), RE2::ANCHOR_BOTH, nullptr, 0);
  }

  // True when entity `i` (with a batch) matches every one of the values joined by '\n' in `joined`; false
  // also when its batch pattern does not compile (e.g. duplicate group names), so each value is checked.
  bool pattern_matches_all(std::size_t i, std::string_view joined) const {
    const RE2& batch = entities[i].batch->get();
    return batch.ok() && batch.Match(joined, 0, joined.size(), RE2::ANCHOR_BOTH, nullptr, 0);
  }

  // Fast path, first half: the entities of `wanted` the byte prefilter leaves for `value` (trimmed, not
  // empty, at most kMaxValueBytes) whose validator says Valid, or NeedsNameHint when the entity is in
  // `hint_counts`; their patterns are not checked yet. Validators run first because they are cheap and reject
  // most candidates.
  void accepted(std::string_view value, Mask wanted, Mask hint_counts, std::vector<Found>& out) const {
    out.clear();
    // With a single entity left (a column whose other entities were dropped) the prefilter would only save
    // the validator, which rejects as well: skip it.
    const Mask left = (wanted & (wanted - 1)) == 0 ? wanted : candidates(value, wanted);
    for (Mask m = left; m != 0; m &= m - 1) {
      const auto i = static_cast<std::size_t>(std::countr_zero(m));
      const ValueMatch v = check(entities[i], value);
      if (v == ValueMatch::Valid || (v == ValueMatch::NeedsNameHint && ((hint_counts >> i) & 1) != 0)) {
        out.push_back({i, v});
      }
    }
  }

  // Fast path, second half: keeps the entities of `found` whose pattern matches `value`: those whose
  // validator vouches for it (implied()) at once, the others each by its own RE2 or, with more than
  // kMaxSeparateMatches, all by the Set.
  void confirm(std::string_view value, std::vector<int>& scratch, std::vector<Found>& found) const {
    std::size_t unsure = 0;
    for (const Found& f : found) unsure += implied(f.entity, value) ? 0 : 1;
    if (unsure == 0) return;
    if (unsure <= kMaxSeparateMatches) {
      std::erase_if(found, [&](const Found& f) {
        return !implied(f.entity, value) && !pattern_match(f.entity, value);
      });
      return;
    }
    set.Match(value, &scratch);
    std::erase_if(found, [&](const Found& f) {
      return !implied(f.entity, value) &&
             std::find(scratch.begin(), scratch.end(), static_cast<int>(f.entity)) == scratch.end();
    });
  }

  // The entities whose pattern matches the whole `value` (already trimmed) and whose validator does not say
  // None, in no particular order. Reference: the Set, then the validators of its hits. Fast: accepted(),
  // then confirm(). With `beyond_filter`, also entities past kFilterBits (by the Set), which the caller
  // filters further.
  void validated(std::string_view value, MatchPath path, Mask wanted, bool beyond_filter,
                 std::vector<int>& scratch, std::vector<Found>& out) const {
    out.clear();
    if (value.empty() || value.size() > kMaxValueBytes) return;
    if (path == MatchPath::Reference || beyond_filter) {
      hits(value, path, wanted, beyond_filter, scratch);
      for (const int h : scratch) {
        const auto i = static_cast<std::size_t>(h);
        const ValueMatch m = check(entities[i], value);
        if (m != ValueMatch::None) out.push_back({i, m});
      }
      return;
    }
    accepted(value, wanted, ~Mask{0}, out);
    if (!out.empty()) confirm(value, scratch, out);
  }

  // Every entity index below kFilterBits.
  Mask all_filtered() const {
    return entities.size() >= kFilterBits ? ~Mask{0} : (Mask{1} << entities.size()) - 1;
  }

  // What entity `e` makes of a value its pattern matched.
  ValueMatch check(const Entity& e, std::string_view value) const {
    return e.spec == nullptr ? ValueMatch::Valid : e.spec->validate(value);
  }

  std::vector<Entity> entities;
  RE2::Set set;
  std::size_t date_of_birth = SIZE_MAX;      // the DATE_OF_BIRTH entity's index
  std::vector<detail::PatternShape> shapes;  // until compile()
  std::array<ByteFacts, 256> by_byte{};
  std::vector<Mask> by_length;  // entities ruled out by a value's length, for 0..kMaxValueBytes
  std::array<std::uint32_t, kFilterBits> needs{};  // per entity, the features (required byte sets) it needs
};

Detector Detector::create(std::vector<CustomEntityType> custom) {
  auto impl = std::make_shared<Impl>();
  // Reserved up front: custom entities' hints view their own strings, which must not move.
  impl->entities.reserve(detail::builtin_specs().size() + custom.size());
  std::string error;
  for (const auto& spec : detail::builtin_specs()) {
    Impl::Entity e;
    e.name = std::string(spec.info->name);
    e.has_checksum = spec.info->has_checksum;
    e.needs_name_hint = spec.info->needs_name_hint;
    e.threshold = spec.info->threshold;
    e.hints = spec.info->name_hints;
    e.spec = &spec;
    const std::string name = e.name;
    if (!impl->add(std::move(e), spec.info->pattern, error)) {
      throw Error(ErrorCode::Internal, "built-in pattern of " + name + " does not compile: " + error);
    }
  }
  for (std::size_t i = 0; i < custom.size(); ++i) {
    const std::string prefix = "custom[" + std::to_string(i) + "].";
    validate_custom_entity_type(custom[i], prefix);
    for (std::size_t j = 0; j < i; ++j) {
      if (custom[j].name == custom[i].name) {
        throw_invalid(prefix + "name", "custom entity type '" + custom[i].name + "' is defined twice");
      }
    }
    Impl::Entity e;
    e.name = custom[i].name;
    e.needs_name_hint = !custom[i].context_words.empty();
    for (const auto& word : custom[i].context_words) e.hint_storage.push_back(normalise_context_word(word));
    if (!impl->add(std::move(e), custom[i].pattern, error)) {
      throw_invalid(prefix + "pattern", "the pattern does not compile: " + error);
    }
    auto& added = impl->entities.back();
    for (const auto& word : added.hint_storage) added.hints.emplace_back(word);
  }
  if (!impl->compile()) throw Error(ErrorCode::Internal, "the PII pattern set does not fit in memory");
  return Detector(std::move(impl));
}

std::vector<std::string> Detector::pattern_matches(std::string_view value, MatchPath path) const {
  std::vector<int> hits;
  impl_->hits(text::trim_ascii_space(value), path, impl_->all_filtered(),
              impl_->entities.size() > Impl::kFilterBits, hits);
  std::sort(hits.begin(), hits.end());
  std::vector<std::string> out;
  for (const int i : hits) out.push_back(impl_->entities[static_cast<std::size_t>(i)].name);
  return out;
}

std::vector<std::string> Detector::match(std::string_view value) const {
  return match(value, MatchPath::Fast);
}

std::vector<std::string> Detector::match(std::string_view value, MatchPath path) const {
  std::vector<int> scratch;
  std::vector<Impl::Found> found;
  impl_->validated(text::trim_ascii_space(value), path, impl_->all_filtered(),
                   impl_->entities.size() > Impl::kFilterBits, scratch, found);
  std::sort(found.begin(), found.end(),
            [](const Impl::Found& a, const Impl::Found& b) { return a.entity < b.entity; });
  std::vector<std::string> out;
  for (const auto& f : found) out.push_back(impl_->entities[f.entity].name);
  return out;
}

std::vector<std::string> Detector::entity_names() const {
  std::vector<std::string> out;
  for (const auto& e : impl_->entities) out.push_back(e.name);
  return out;
}

std::vector<ColumnVerdict> Detector::classify_column(std::string_view column_name, std::string_view hive_type,
                                                     const std::vector<std::string>& values) const {
  return classify_column(column_name, hive_type, values, MatchPath::Fast);
}

std::vector<ColumnVerdict> Detector::classify_column(std::string_view column_name, std::string_view hive_type,
                                                     const std::vector<std::string>& values,
                                                     MatchPath path) const {
  std::vector<ColumnVerdict> verdicts;
  const TypeClass type = type_class(hive_type);
  if (type == TypeClass::None) return verdicts;

  // Which entities this column may hold, given its type and name.
  const std::size_t count = impl_->entities.size();
  std::vector<char> allowed(count, 0), hinted(count, 0);
  bool any = false;
  const detail::ColumnNameWords name_words = detail::split_column_name(column_name);
  Impl::Mask wanted = 0;  // the allowed entities the byte prefilter can rule out
  Impl::Mask hinted_mask = 0;
  bool beyond_filter = false;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& e = impl_->entities[i];
    hinted[i] = detail::has_hint(name_words, e.hints) ? 1 : 0;
    bool may = true;
    if (type == TypeClass::Temporal) {
      may = e.name == "DATE_OF_BIRTH";
    } else if (type == TypeClass::Int || type == TypeClass::BigInt) {
      may = e.spec == nullptr || integer_may_hold(e.name, type);
    }
    if (e.needs_name_hint && !hinted[i]) may = false;
    allowed[i] = may ? 1 : 0;
    any = any || may;
    if (may && i < Impl::kFilterBits) wanted |= Impl::Mask{1} << i;
    if (hinted[i] && i < Impl::kFilterBits) hinted_mask |= Impl::Mask{1} << i;
    if (may && i >= Impl::kFilterBits) beyond_filter = true;
  }
  if (!any) return verdicts;

  std::vector<std::string_view> present;
  present.reserve(values.size());
  std::unordered_set<std::string_view> distinct;
  for (const auto& raw : values) {
    const std::string_view v = text::trim_ascii_space(raw);
    if (v.empty()) continue;
    present.push_back(v);
    if (distinct.size() < kMinDistinct) distinct.insert(v);
  }
  if (present.empty()) return verdicts;
  if (present.size() >= kLowCardinalityValues && distinct.size() < kMinDistinct) return verdicts;

  std::vector<std::size_t> matched(count, 0);
  std::vector<std::string_view> example(count);
  std::vector<int> hits;
  std::vector<Impl::Found> found;
  std::vector<char> birth_years(200, 0);
  std::size_t distinct_birth_years = 0;
  const std::size_t n = present.size();
  // A column stops being read once no allowed entity can reach its threshold any more, whatever the values
  // left: most columns hold no personal data, and for them this ends the scan after a fraction of the sample.
  // On the fast path each entity that can no longer reach its threshold also stops being matched (so a column
  // of IBANs soon runs the IBAN detector alone). Verdicts are the same as with a full scan: a verdict needs
  // matched / n >= threshold, and an entity dropped here falls short of it whatever its remaining values.
  auto hopeless = [&](std::size_t seen) {
    const std::size_t left = n - seen;
    bool reachable_any = false;
    for (std::size_t i = 0; i < count; ++i) {
      if (!allowed[i]) continue;
      const double best = static_cast<double>(matched[i] + left) / static_cast<double>(n);
      const bool reachable =
          best >= impl_->entities[i].threshold && matched[i] + left >= std::min<std::size_t>(3, n);
      if (reachable) {
        if (path == MatchPath::Reference) return false;
        reachable_any = true;
      } else if (path == MatchPath::Fast) {
        allowed[i] = 0;
        if (i < Impl::kFilterBits) wanted &= ~(Impl::Mask{1} << i);
      }
    }
    return !reachable_any;
  };
  // Entity `i` validated `v`, the value at `at` in `present`, as `m` and its pattern matches `v`. The fast
  // path may count an entity's values out of order; the example is the first in order all the same.
  std::vector<std::size_t> example_at(count, 0);
  auto count_match = [&](std::size_t i, ValueMatch m, std::string_view v, std::size_t at) {
    if (!allowed[i]) return;
    if (m != ValueMatch::Valid && !(m == ValueMatch::NeedsNameHint && hinted[i])) return;
    if (matched[i]++ == 0 || at < example_at[i]) {
      example[i] = v;
      example_at[i] = at;
    }
    if (i == impl_->date_of_birth) {
      const int y = year_of(v);
      if (y >= 0 && !birth_years[static_cast<std::size_t>(y - 1900)]) {
        birth_years[static_cast<std::size_t>(y - 1900)] = 1;
        ++distinct_birth_years;
      }
    }
  };
  // Fast path: values an entity with a batch pattern accepted, in scan order, whose pattern is still to be
  // checked; flushed before every hopeless() check and at the end, so counts are exact when they are read.
  struct Pending {
    std::string_view value;
    std::size_t at;
    Impl::Found found;
    bool confirmed = false;
  };
  std::vector<Pending> pending;
  pending.reserve(kHopelessCheckEvery * 2);
  std::string joined;
  // Defers the pattern check of `v` for an entity with a batch pattern, or counts `v` at once when the
  // entity's validator vouches for the pattern. A value holding '\n' is checked at once: joined with others,
  // its '\n' could pass for a joint (the prefilter, which rules such values out for these entities, is
  // skipped when one entity is left).
  auto defer = [&](std::string_view v, std::size_t at, const Impl::Found& f) {
    if (impl_->implied(f.entity, v)) {
      count_match(f.entity, f.match, v, at);
    } else if (v.find('\n') == std::string_view::npos) {
      pending.push_back({v, at, f});
    } else if (impl_->pattern_match(f.entity, v)) {
      count_match(f.entity, f.match, v, at);
    }
  };
  auto flush = [&] {
    if (pending.empty()) return;
    const std::size_t first = pending.front().found.entity;
    if (std::all_of(pending.begin(), pending.end(),
                    [&](const Pending& p) { return p.found.entity == first; })) {
      // One entity (the usual case): one pass, and per value only when the batch fails.
      joined.assign(pending.front().value);
      for (std::size_t j = 1; j < pending.size(); ++j) {
        joined.push_back('\n');
        joined.append(pending[j].value);
      }
      const bool all = impl_->pattern_matches_all(first, joined);
      for (const auto& p : pending) {
        if (all || impl_->pattern_match(first, p.value)) count_match(first, p.found.match, p.value, p.at);
      }
      pending.clear();
      return;
    }
    Impl::Mask done = 0;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      const std::size_t e = pending[k].found.entity;
      if ((done >> e) & 1) continue;
      done |= Impl::Mask{1} << e;
      joined.clear();
      for (std::size_t j = k; j < pending.size(); ++j) {
        if (pending[j].found.entity != e) continue;
        if (!joined.empty()) joined.push_back('\n');
        joined.append(pending[j].value);
      }
      const bool all = impl_->pattern_matches_all(e, joined);
      for (std::size_t j = k; j < pending.size(); ++j) {
        if (pending[j].found.entity == e) {
          pending[j].confirmed = all || impl_->pattern_match(e, pending[j].value);
        }
      }
    }
    for (const auto& p : pending) {
      if (p.confirmed) count_match(p.found.entity, p.found.match, p.value, p.at);
    }
    pending.clear();
  };
  std::size_t seen = 0;
  std::size_t lone = count;  // the only entity left to match on the fast path, or count
  for (const auto v : present) {
    if (seen % kHopelessCheckEvery == 0) {
      flush();
      if (hopeless(seen)) break;
      const bool one = wanted != 0 && (wanted & (wanted - 1)) == 0;
      lone = one && path == MatchPath::Fast && !beyond_filter
                 ? static_cast<std::size_t>(std::countr_zero(wanted))
                 : count;
      if (lone < count && impl_->entities[lone].batch == nullptr) lone = count;
    }
    const std::size_t at = seen++;
    if (lone < count && v.size() <= kMaxValueBytes) {
      // One entity left (most of a column that holds one): its validator, its pattern in the next batch.
      const ValueMatch m = impl_->check(impl_->entities[lone], v);
      if (m == ValueMatch::Valid || (m == ValueMatch::NeedsNameHint && hinted[lone])) {
        defer(v, at, {lone, m});
      }
      continue;
    }
    if (path == MatchPath::Reference || beyond_filter || v.size() > kMaxValueBytes) {
      impl_->validated(v, path, wanted, beyond_filter, hits, found);
      for (const auto& [i, m] : found) count_match(i, m, v, at);
      continue;
    }
    impl_->accepted(v, wanted, hinted_mask, found);  // validations that would not count are left out
    if (found.empty()) continue;
    if (found.size() == 1 && impl_->entities[found[0].entity].batch != nullptr) {
      defer(v, at, found[0]);  // the common case
      continue;
    }
    if (found.size() <= kMaxSeparateMatches) {
      std::erase_if(found, [&](const Impl::Found& f) {
        if (impl_->entities[f.entity].batch == nullptr) return false;
        defer(v, at, f);
        return true;
      });
    }
    impl_->confirm(v, hits, found);
    for (const auto& [i, m] : found) count_match(i, m, v, at);
  }
  flush();

  for (std::size_t i = 0; i < count; ++i) {
    const auto& e = impl_->entities[i];
    const double fraction = static_cast<double>(matched[i]) / static_cast<double>(n);
    if (matched[i] < std::min<std::size_t>(3, n) || fraction < e.threshold) continue;
    if (e.spec != nullptr && e.name == "DATE_OF_BIRTH" && n >= kLowCardinalityValues &&
        distinct_birth_years < kMinBirthYears) {
      continue;
    }
    ColumnVerdict verdict;
    verdict.entity = e.name;
    verdict.sample_size = n;
    verdict.matched = matched[i];
    verdict.matched_fraction = fraction;
    double confidence = fraction * (e.has_checksum ? 0.95 : 0.85);
    if (hinted[i]) confidence += (1.0 - confidence) * 0.6;
    verdict.confidence = confidence;
    verdict.masked_example = mask_example(e.name, example[i]);
    verdict.reason = std::to_string(matched[i]) + "/" + std::to_string(n) + " values validate as " + e.name +
                     " (threshold " + format_fraction(e.threshold) + (e.has_checksum ? ", checksum" : "") +
                     ")";
    if (hinted[i]) {
      verdict.reason +=
          e.needs_name_hint ? "; column name carries the required hint" : "; column name hints it";
    }
    verdicts.push_back(std::move(verdict));
  }
  std::sort(verdicts.begin(), verdicts.end(), [](const ColumnVerdict& a, const ColumnVerdict& b) {
    return a.confidence != b.confidence ? a.confidence > b.confidence : a.entity < b.entity;
  });
  return verdicts;
}

}  // namespace cairn::classifiers
