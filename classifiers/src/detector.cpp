#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/text_util.h"
#include "cairn/classifiers/pii.h"
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
  struct Entity {
    std::string name;
    bool has_checksum = false;
    bool needs_name_hint = false;
    double threshold = 0.8;
    std::vector<std::string> hint_storage;  // custom entities' normalised context words
    std::vector<std::string_view> hints;
    detail::Validator validate = nullptr;  // nullptr: a custom entity, the pattern decides
    bool builtin = true;
  };

  Impl() : set(set_options(), RE2::ANCHOR_BOTH) {}

  static RE2::Options set_options() {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(64 << 20);
    return options;
  }

  // The entity indexes whose pattern matches the whole `value` (already trimmed).
  void prefilter(std::string_view value, std::vector<int>& hits) const {
    hits.clear();
    if (value.empty() || value.size() > kMaxValueBytes) return;
    set.Match(value, &hits);
  }

  // What entity `e` makes of a value its pattern matched.
  ValueMatch check(const Entity& e, std::string_view value) const {
    return e.validate == nullptr ? ValueMatch::Valid : e.validate(value);
  }

  std::vector<Entity> entities;
  RE2::Set set;
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
    e.validate = spec.validate;
    if (impl->set.Add(spec.info->pattern, &error) != static_cast<int>(impl->entities.size())) {
      throw Error(ErrorCode::Internal, "built-in pattern of " + e.name + " does not compile: " + error);
    }
    impl->entities.push_back(std::move(e));
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
    e.builtin = false;
    e.needs_name_hint = !custom[i].context_words.empty();
    for (const auto& word : custom[i].context_words) e.hint_storage.push_back(normalise_context_word(word));
    if (impl->set.Add(custom[i].pattern, &error) != static_cast<int>(impl->entities.size())) {
      throw_invalid(prefix + "pattern", "the pattern does not compile: " + error);
    }
    impl->entities.push_back(std::move(e));
    auto& added = impl->entities.back();
    for (const auto& word : added.hint_storage) added.hints.emplace_back(word);
  }
  if (!impl->set.Compile()) throw Error(ErrorCode::Internal, "the PII pattern set does not fit in memory");
  return Detector(std::move(impl));
}

std::vector<std::string> Detector::match(std::string_view value) const {
  value = text::trim_ascii_space(value);
  std::vector<int> hits;
  impl_->prefilter(value, hits);
  std::sort(hits.begin(), hits.end());
  std::vector<std::string> out;
  for (const int i : hits) {
    const auto& e = impl_->entities[static_cast<std::size_t>(i)];
    if (impl_->check(e, value) != ValueMatch::None) out.push_back(e.name);
  }
  return out;
}

std::vector<std::string> Detector::entity_names() const {
  std::vector<std::string> out;
  for (const auto& e : impl_->entities) out.push_back(e.name);
  return out;
}

std::vector<ColumnVerdict> Detector::classify_column(std::string_view column_name, std::string_view hive_type,
                                                     const std::vector<std::string>& values) const {
  std::vector<ColumnVerdict> verdicts;
  const TypeClass type = type_class(hive_type);
  if (type == TypeClass::None) return verdicts;

  // Which entities this column may hold, given its type and name.
  const std::size_t count = impl_->entities.size();
  std::vector<char> allowed(count, 0), hinted(count, 0);
  bool any = false;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& e = impl_->entities[i];
    hinted[i] = name_has_hint(column_name, e.hints) ? 1 : 0;
    bool may = true;
    if (type == TypeClass::Temporal) {
      may = e.name == "DATE_OF_BIRTH";
    } else if (type == TypeClass::Int || type == TypeClass::BigInt) {
      may = !e.builtin || integer_may_hold(e.name, type);
    }
    if (e.needs_name_hint && !hinted[i]) may = false;
    allowed[i] = may ? 1 : 0;
    any = any || may;
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
  std::vector<char> birth_years(200, 0);
  std::size_t distinct_birth_years = 0;
  const std::size_t n = present.size();
  // A column stops being read once no allowed entity can reach its threshold any more, whatever the values
  // left: most columns hold no personal data, and for them this ends the scan after a fraction of the sample.
  // Verdicts are the same as with a full scan (a verdict needs matched / n >= threshold).
  auto hopeless = [&](std::size_t seen) {
    const std::size_t left = n - seen;
    for (std::size_t i = 0; i < count; ++i) {
      if (!allowed[i]) continue;
      const double best = static_cast<double>(matched[i] + left) / static_cast<double>(n);
      if (best >= impl_->entities[i].threshold && matched[i] + left >= std::min<std::size_t>(3, n))
        return false;
    }
    return true;
  };
  std::size_t seen = 0;
  for (const auto v : present) {
    if (seen % kHopelessCheckEvery == 0 && hopeless(seen)) break;
    ++seen;
    impl_->prefilter(v, hits);
    for (const int h : hits) {
      const auto i = static_cast<std::size_t>(h);
      if (!allowed[i]) continue;
      const ValueMatch m = impl_->check(impl_->entities[i], v);
      if (m == ValueMatch::Valid || (m == ValueMatch::NeedsNameHint && hinted[i])) {
        if (matched[i]++ == 0) example[i] = v;
        if (impl_->entities[i].builtin && impl_->entities[i].name == "DATE_OF_BIRTH") {
          const int y = year_of(v);
          if (y >= 0 && !birth_years[static_cast<std::size_t>(y - 1900)]) {
            birth_years[static_cast<std::size_t>(y - 1900)] = 1;
            ++distinct_birth_years;
          }
        }
      }
    }
  }

  for (std::size_t i = 0; i < count; ++i) {
    const auto& e = impl_->entities[i];
    const double fraction = static_cast<double>(matched[i]) / static_cast<double>(n);
    if (matched[i] < std::min<std::size_t>(3, n) || fraction < e.threshold) continue;
    if (e.builtin && e.name == "DATE_OF_BIRTH" && n >= kLowCardinalityValues &&
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
