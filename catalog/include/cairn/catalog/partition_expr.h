#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cairn/catalog/model.h"

namespace cairn::catalog {

/// How a partition key's values compare: Hive types map onto these (int types -> Integer,
/// float/double/decimal -> Number, date -> Date (ISO text), timestamp -> Timestamp (text), everything else ->
/// String).
enum class KeyValueType { String, Integer, Number, Date, Timestamp };

/// A literal, already coerced to the type of the key it is compared with.
using ExprLiteral = std::variant<std::string, std::int64_t, double>;

/// Node of a parsed partition filter (Glue's `Expression` syntax). Immutable once built.
struct ExprNode {
  enum class Kind { And, Or, Not, Compare, In, Between, Like, IsNull };
  enum class CompareOp { Eq, Ne, Lt, Gt, Le, Ge };

  Kind kind = Kind::And;
  CompareOp op = CompareOp::Eq;                  ///< Compare only
  bool negated = false;                          ///< NOT IN, NOT BETWEEN, NOT LIKE, IS NOT NULL
  int key_index = -1;                            ///< leaves: index into the table's partition keys
  KeyValueType key_type = KeyValueType::String;  ///< leaves: type of that key
  std::vector<ExprLiteral> literals;  ///< Compare: 1; In: n; Between: 2; Like: 1 (the pattern, a string)
  std::vector<std::unique_ptr<const ExprNode>> children;  ///< And/Or: 2; Not: 1
};

/// A partition filter parsed once and validated against a table's partition keys.
class PartitionExpression {
 public:
  /// Parses `text`; throws Error(InvalidArgument, "expression") with the position and problem, or naming an
  /// unknown key or a literal that does not fit the key's type. An empty/blank text is an error too.
  static std::shared_ptr<const PartitionExpression> create(std::string_view text,
                                                           const std::vector<Column>& partition_keys);

  const ExprNode& root() const { return *root_; }
  /// Evaluates against one partition's values (same order as the keys); a value that does not parse as its
  /// key's type compares as not matching. SQL NULL semantics are not needed: partition values are never null.
  bool matches(const std::vector<std::string>& values) const;

  /// Dialect hooks for to_sql(): how to read key `i` typed as `type`, and the placeholder for parameter `n`
  /// (1-based). Both return SQL text built only from these integers, never from input.
  struct SqlDialect {
    virtual ~SqlDialect() = default;
    virtual std::string key_expr(int key_index, KeyValueType type) const = 0;
    virtual std::string placeholder(int n) const = 0;
    /// LIKE with Glue semantics (% and _ wildcards, case-sensitive).
    virtual std::string like(const std::string& lhs, const std::string& pattern_placeholder) const = 0;
  };
  using SqlParam = ExprLiteral;
  /// Appends bound parameters to `params` (numbering continues from params.size()) and returns a boolean SQL
  /// expression; literals appear only as placeholders.
  std::string to_sql(const SqlDialect& dialect, std::vector<SqlParam>& params) const;

  explicit PartitionExpression(std::unique_ptr<const ExprNode> root) : root_(std::move(root)) {}

 private:
  std::unique_ptr<const ExprNode> root_;
};

/// Maps a Hive type string of a partition key to how its values compare.
KeyValueType key_value_type(const std::string& hive_type);

/// Glue's LIKE (as in PartitionExpression and the stores' SQL): true when `value` matches `pattern`, which is
/// case-sensitive, % any sequence, _ one UTF-8 character, everything else itself; no escape character.
bool like_matches(std::string_view value, std::string_view pattern);

}  // namespace cairn::catalog
