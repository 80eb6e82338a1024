#pragma once
// Grok: named regular expressions composed into one pattern (Logstash's and Glue's %{NAME:field:type}),
// compiled to RE2, and the Grok custom classifier built on them (docs/crawlers.md, "Custom classifiers").

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/crawler/file_schema.h"

namespace cairn::crawler {

/// A Grok custom classifier's settings (Glue's GrokClassifier).
struct GrokOptions {
  /// The classification the tables get (e.g. "apache_access").
  std::string classification;
  /// The Grok pattern applied to each line, e.g. "%{IPORHOST:client} %{INT:status:int}".
  std::string pattern;
  /// Extra named patterns, one a line: "NAME regex" (blank lines and lines starting with # are skipped).
  /// They may refer to each other and to the built-in ones; a custom pattern hides a built-in one of its
  /// name.
  std::string custom_patterns;
};

/// One named field of a compiled Grok pattern: a column of the table.
struct GrokField {
  /// The column name: the field's name sanitized as CSV header names are ([a-z0-9_]).
  std::string name;
  /// The Hive type of the field's ":type" suffix (string when none).
  std::string hive_type;
};

/// A Grok pattern expanded and compiled once; matching is thread-safe.
class GrokPattern {
 public:
  /// Expands `pattern` with `custom_patterns` and the built-in patterns and compiles it to one RE2. Throws
  /// Error(InvalidArgument) with field "pattern" or "custom_patterns" for a malformed %{...} reference, an
  /// unknown pattern name, a cycle, an unknown type, a regular expression RE2 does not accept (look-around
  /// and back-references are not supported) or an expansion larger than 256 KiB.
  static std::shared_ptr<const GrokPattern> compile(std::string_view pattern,
                                                    std::string_view custom_patterns = {});

  /// The named fields in the order they appear in the pattern (a name used twice is one field; fields named
  /// UNWANTED, Glue's marker for parts to drop, are left out).
  const std::vector<GrokField>& fields() const { return fields_; }
  /// The regular expression the pattern expanded to (RE2 syntax).
  const std::string& regex() const;
  /// True when the pattern matches somewhere in `line` (Grok matches unanchored; write ^ and $ to require
  /// the whole line).
  bool matches(std::string_view line) const;
  /// The values of fields() for `line` (empty strings for fields that did not take part), or nullopt when
  /// the pattern does not match.
  std::optional<std::vector<std::string>> parse(std::string_view line) const;

  ~GrokPattern();
  GrokPattern(const GrokPattern&) = delete;
  GrokPattern& operator=(const GrokPattern&) = delete;

  struct Impl;

 private:
  explicit GrokPattern(std::unique_ptr<Impl> impl, std::vector<GrokField> fields);
  std::unique_ptr<Impl> impl_;
  std::vector<GrokField> fields_;
};

/// The built-in named patterns (name, definition in Grok syntax), in the order docs/crawlers.md lists them.
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_grok_patterns();

/// Classifies `sample` (a file's first bytes, decompressed) with a Grok classifier: one column per named
/// field, Glue's GrokSerDe with input.format (and input.grokCustomPatterns), certainty 1.0 when every
/// non-blank line matches, 0.9 × the share of matching lines when at least 80% do, nullopt otherwise (also
/// for binary or blank samples and patterns without named fields). With `truncated` the last line is dropped
/// unless a line break ends it. Compiled patterns are cached, so calling this for every file is cheap.
/// Throws as GrokPattern::compile for an invalid pattern.
std::optional<FileSchema> classify_grok(std::string_view sample, const GrokOptions& options, bool truncated);

}  // namespace cairn::crawler
