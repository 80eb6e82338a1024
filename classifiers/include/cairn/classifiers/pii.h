#pragma once

// PII detection on sampled column values (issue 5, docs/classifiers.md): the built-in entity types, custom
// entity types defined by stewards, and the Detector that turns a column's name, type and sampled values into
// verdicts. Raw values are never kept: a verdict carries at most a masked example.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::classifiers {

/// A built-in entity type and the rules its column verdicts follow.
struct EntityInfo {
  std::string_view name;  ///< e.g. "IBAN"
  /// RE2 prefilter, matched against the whole trimmed value; values it matches go to the entity's validator.
  std::string_view pattern;
  /// The validator checks a check digit/character (Luhn, mod-97, 11-proof, ...).
  bool has_checksum = false;
  /// A column gets this entity only when its name carries one of `name_hints`.
  bool needs_name_hint = false;
  /// Fraction of sampled non-null values that must validate for a column verdict.
  double threshold = 0.8;
  /// Column-name words (en, de, fr, it, es, nl), lower case; see column_name_hints() for how they match.
  std::vector<std::string_view> name_hints;
};

/// Every built-in entity type, in a fixed order (EMAIL first, AWS_SECRET_KEY last).
const std::vector<EntityInfo>& builtin_entities();

/// The built-in entity named `name`, or nullptr when there is none.
const EntityInfo* find_builtin_entity(std::string_view name);

/// What a validator makes of one value.
enum class ValueMatch {
  None,           ///< not this entity
  NeedsNameHint,  ///< the shape fits but is ambiguous (e.g. bare 9 digits for US_SSN): counts only with a
                  ///< name hint
  Valid,          ///< validates on its own
};

/// Runs the validator of built-in entity `entity` on `value` (trimmed of ASCII space); throws
/// Error(InvalidArgument, "entity") for an unknown entity. Hint-only entities return NeedsNameHint at best.
ValueMatch validate(std::string_view entity, std::string_view value);

/// True when a `value` (trimmed) that validate(entity, value) accepts is sure to match the built-in entity's
/// pattern as well, so the pattern need not run: always, except non-ASCII values of PERSON_NAME and
/// POSTAL_ADDRESS, whose validators take any byte >= 0x80 for part of a letter. Throws like validate().
bool validation_implies_pattern(std::string_view entity, std::string_view value);

/// True when `column_name` carries one of `hints`: hints of 5 or more characters match anywhere in the name
/// lower-cased without separators, shorter ones must equal a whole word (split at non-letters and camelCase).
bool name_has_hint(std::string_view column_name, const std::vector<std::string_view>& hints);

/// True when `column_name` carries a name hint of built-in entity `entity` (false for an unknown entity).
bool column_name_hints(std::string_view entity, std::string_view column_name);

/// A steward-defined entity type, like Glue's CreateCustomEntityType.
struct CustomEntityType {
  std::string name;     ///< [A-Za-z0-9_-]{1,128}, not a built-in entity name
  std::string pattern;  ///< RE2 syntax, matched against the whole (trimmed) value; at most 4,096 bytes
  /// At most 20 words, 1..100 bytes each; when present one is required in the column name (Glue's semantics).
  std::vector<std::string> context_words;
};

/// Throws Error(InvalidArgument) naming the offending field (`field_prefix` + "name", "pattern",
/// "context_words" or "context_words[i]") when `type` is not a valid custom entity type.
void validate_custom_entity_type(const CustomEntityType& type, const std::string& field_prefix = "");

/// One entity a column was found to hold.
struct ColumnVerdict {
  std::string entity;
  double confidence = 0;        ///< 0..1: matched fraction, weighed by checksum and raised by a name hint
  double matched_fraction = 0;  ///< matched / sample_size
  std::size_t sample_size = 0;  ///< non-null (non-blank) sampled values considered
  std::size_t matched = 0;      ///< values that validated
  std::string masked_example;   ///< one matching value, masked (mask_example)
  std::string reason;           ///< e.g. "196/200 values pass IBAN (mod-97); column name hints IBAN"
};

/// `value` masked for display as an example of `entity`, e.g. "j***@e***.com" or "DE89 **** **** **** ****
/// 00"; never returns more than a few characters of the value in clear.
std::string mask_example(std::string_view entity, std::string_view value);

/// How a Detector finds the entities whose pattern matches a value. Both give the same matches, hence the
/// same verdicts; the reference exists to check and measure the fast one.
enum class MatchPath {
  /// Default. A byte and length prefilter per value (derived from each pattern's syntax) rules entities out,
  /// the validators of those left run first, and only what they accept is matched against its pattern (in
  /// classify_column, in batches of values per entity); see docs/classifiers.md, "Throughput".
  Fast,
  /// Every pattern on every value: the one RE2::Set holding all patterns.
  Reference,
};

/// The compiled detectors: built once (all patterns in one RE2::Set), immutable, safe to share across
/// threads.
class Detector {
 public:
  /// Compiles the built-in detectors and `custom`; throws Error(InvalidArgument, "custom[i].<field>") for an
  /// invalid custom type or a duplicate name.
  static Detector create(std::vector<CustomEntityType> custom = {});

  /// The entities (built-in and custom) that `value` validates as on its own, ignoring column-name rules
  /// (NeedsNameHint values included); empty when none.
  std::vector<std::string> match(std::string_view value) const;
  /// match(value), finding pattern matches by `path`.
  std::vector<std::string> match(std::string_view value, MatchPath path) const;

  /// The entities whose pattern (before any validator) matches the whole trimmed `value`, in entity order,
  /// found by `path`.
  std::vector<std::string> pattern_matches(std::string_view value, MatchPath path = MatchPath::Fast) const;

  /// The verdicts for one column, most confident first; empty when the column holds no entity, its type
  /// cannot hold one, or it is low-cardinality (fewer than 5 distinct among 20 or more non-null values).
  std::vector<ColumnVerdict> classify_column(std::string_view column_name, std::string_view hive_type,
                                             const std::vector<std::string>& values) const;
  /// classify_column(column_name, hive_type, values), finding pattern matches by `path`.
  std::vector<ColumnVerdict> classify_column(std::string_view column_name, std::string_view hive_type,
                                             const std::vector<std::string>& values, MatchPath path) const;

  /// The names of every entity this detector knows, built-in first, then custom in definition order.
  std::vector<std::string> entity_names() const;

  struct Impl;

 private:
  explicit Detector(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace cairn::classifiers
