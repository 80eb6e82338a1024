#pragma once

// Row filters (Lake Formation's PartiQL subset) and column masks: parsed once, validated against a table's
// columns, rendered as SQL for engines and evaluated in memory (partition pruning, reference evaluator).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/catalog/model.h"

namespace cairn::authz {

/// SQL flavours the engine contract renders (docs/engines.md): identifiers are quoted "x" (DuckDB, Trino)
/// or `x` (Spark); function names differ for masks.
enum class SqlDialect { DuckDB, Trino, Spark };
/// "duckdb" | "trino" | "spark"; throws Error(InvalidArgument, field) otherwise.
SqlDialect parse_sql_dialect(std::string_view text, const std::string& field);

/// Maximum length of a row filter expression, as in Lake Formation.
inline constexpr std::size_t kMaxRowFilterLength = 2048;

/// A row filter: comparisons (= <> != < > <= >=), AND/OR/NOT, [NOT] IN (…), [NOT] BETWEEN … AND …,
/// [NOT] LIKE '…', IS [NOT] NULL, parentheses; literals: 'strings' ('' escapes a quote), integers,
/// decimals, TRUE/FALSE, DATE 'yyyy-mm-dd', TIMESTAMP 'yyyy-mm-dd hh:mm:ss[.fff]'. Identifiers are column
/// names, bare ([A-Za-z_][A-Za-z0-9_]*) or "double-quoted", case-insensitive. Keywords are
/// case-insensitive. Immutable once built.
class RowFilter {
 public:
  /// Parses `text` and checks it against `columns` (the table's columns followed by its partition keys):
  /// unknown columns, literals that do not fit the column's type (e.g. 'abc' compared with an int column),
  /// LIKE on a non-string column, more than kMaxRowFilterLength characters, or nesting deeper than 64 all
  /// throw Error(InvalidArgument, field) with a message naming the column or the position and the problem.
  static std::shared_ptr<const RowFilter> parse(std::string_view text,
                                                const std::vector<catalog::Column>& columns,
                                                const std::string& field = "row_filter");

  /// Canonical text: keywords upper-case, identifiers lower-case and bare when possible, single spaces,
  /// parentheses only where needed. parse(canonical_text()) yields the same canonical text.
  const std::string& canonical_text() const;
  /// Boolean SQL expression for `dialect` (identifiers quoted, literals escaped, dates and timestamps as
  /// DATE '…' / TIMESTAMP '…'). Safe to embed in a WHERE clause.
  std::string to_sql(SqlDialect dialect) const;
  /// Lower-case names of the columns referenced, sorted, unique.
  const std::vector<std::string>& referenced_columns() const;
  /// True when every referenced column is in `names`.
  bool references_only(const std::vector<std::string>& names) const;
  /// The same predicate as Glue partition-expression text (catalog::PartitionExpression syntax), for
  /// filters that reference only partition keys; nullopt when a referenced column is not a partition key
  /// or the predicate cannot be expressed there.
  std::optional<std::string> to_partition_expression(
      const std::vector<catalog::Column>& partition_keys) const;

  /// Returns a column's value as text (as stored in files/partitions: ints "42", dates "2026-11-20",
  /// booleans "true"/"false"), or nullopt for NULL.
  using RowReader = std::function<std::optional<std::string>(std::string_view column)>;
  /// SQL three-valued evaluation, typed by the columns' Hive types; true only when the result is TRUE. A
  /// value that does not parse as its column's type is treated as NULL.
  bool matches(const RowReader& row) const;

  struct Node;
  explicit RowFilter(std::shared_ptr<const Node> root, std::string canonical,
                     std::vector<std::string> columns);

 private:
  std::shared_ptr<const Node> root_;
  std::string canonical_;
  std::vector<std::string> columns_;
};

/// A column mask (beyond Lake Formation): how a column's values are shown instead of the real ones.
struct Mask {
  enum class Kind { HashSha256, Redact, Null, ShowLast, YearOnly };
  Kind kind = Kind::Redact;
  int n = 0;  ///< ShowLast only: 1..64
  bool operator==(const Mask&) const = default;
};

/// Parses "hash_sha256", "redact", "null", "show_last(N)" (1 ≤ N ≤ 64), "year_only" (case-insensitive,
/// spaces allowed around parentheses); throws Error(InvalidArgument, field) listing the valid forms.
Mask parse_mask(std::string_view spec, const std::string& field);
/// Canonical spec text ("show_last(4)").
std::string mask_spec(const Mask& mask);
/// Throws Error(InvalidArgument, field) when `mask` cannot apply to a column of `hive_type`: year_only needs
/// date or timestamp; show_last needs string/varchar/char; hash_sha256 and redact need a primitive type
/// (not array/map/struct); null applies to all.
void check_mask_applies(const Mask& mask, const std::string& hive_type, const std::string& field);
/// SQL expression applying `mask` to `column_sql` (an already quoted column reference) of `hive_type`, with
/// the result type: hash_sha256 -> lower-case hex string of SHA-256 of the value's text; redact -> '****'
/// (NULL stays NULL); null -> NULL of the column's type; show_last(n) -> '*' for every character but the
/// last n (strings not longer than n are fully starred); year_only -> the value truncated to January 1st
/// of its year (same type).
std::string mask_sql(const Mask& mask, const std::string& column_sql, const std::string& hive_type,
                     SqlDialect dialect);
/// The same transformation in memory (text in, text out, nullopt = NULL), matching mask_sql's results
/// exactly as DuckDB prints them (tests compare the two).
std::optional<std::string> apply_mask(const Mask& mask, const std::optional<std::string>& value,
                                      const std::string& hive_type);
/// How much a mask reveals: higher reveals more. null 0 < redact 1 < hash_sha256 2 < year_only 3 <
/// show_last(n) 10 + n. Unmasked is above every mask (the engine never calls this for it).
int mask_rank(const Mask& mask);

/// Quotes an identifier for `dialect` ("a""b" / `a``b`).
std::string quote_identifier(std::string_view name, SqlDialect dialect);
/// A SQL string literal ('it''s').
std::string quote_string(std::string_view text);
/// A string literal for `dialect`: 'it''s' for DuckDB and Trino; 'it\'s' for Spark, whose parser reads
/// backslash escapes and joins adjacent literals ('a''b' is "ab" there), so ' and \ get a backslash.
std::string quote_string(std::string_view text, SqlDialect dialect);

}  // namespace cairn::authz
