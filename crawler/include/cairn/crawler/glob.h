#pragma once
// Exclusion globs of a crawler target (Glue's exclude patterns), compiled once: docs/crawlers.md,
// "Exclusions".

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::crawler {

/// A set of glob patterns matched against paths relative to a target's root ("year=2024/part-0.csv", no
/// leading '/'). `*` matches within one path segment, `**` across segments, `?` one character other than
/// '/', `[a-z]` / `[!a-z]` one character of (not of) a set, `{a,b}` any of its comma-separated
/// alternatives (which may nest), and `\` makes the next character literal. A pattern matches the whole
/// path. Immutable once built; copies share the compiled form; safe to use from several threads.
class GlobSet {
 public:
  /// An empty set: excludes nothing.
  GlobSet();

  /// Compiles `patterns` (into one RE2::Set). Throws Error(InvalidArgument, "exclusions[i]") naming what is
  /// wrong with pattern i: empty, an unclosed '[' or '{', a '/' or a backwards range inside brackets, a
  /// trailing '\', a leading '/', or invalid UTF-8.
  static GlobSet create(const std::vector<std::string>& patterns);

  /// True when some pattern matches `relative_path`.
  bool excluded(std::string_view relative_path) const;

  /// The index of the first pattern that matches `relative_path` (for logs saying which exclusion
  /// decided), or nullopt when none does.
  std::optional<std::size_t> first_match(std::string_view relative_path) const;

  /// True only when every path below the directory `relative_dir` ("logs", "a/b"; "" is the root; a trailing
  /// '/' is ignored) is excluded, so the lister need not descend into it: e.g. `logs/**` or `lo**` prune
  /// `logs`, `logs/*` does not (it spares `logs/x/y`). Conservative: a directory covered only by the union
  /// of several patterns, or by a brace group with more than 4096 alternatives, is not pruned.
  bool prunes_directory(std::string_view relative_dir) const;

  /// True when the set holds no pattern.
  bool empty() const;

  struct Impl;

 private:
  explicit GlobSet(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace cairn::crawler
