#pragma once

// Typed reading of column values given as text (internal to cairn_authz): shared by the row filter
// (row_filter.cpp: literals and matches()) and the column masks (mask.cpp: apply_mask()), so that both read
// a value the same way and a value that does not parse as its column's type is NULL for both.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/catalog/hive_type.h"

namespace cairn::authz::detail {

/// How values of a Hive type compare and print.
enum class ValueKind {
  Integer,
  Decimal,
  Float,
  Double,
  String,
  Boolean,
  Date,
  Timestamp,
  Binary,
  Interval,
  Complex
};

/// A column's Hive type, classified once.
struct ColumnType {
  ValueKind kind = ValueKind::Complex;
  bool parsed = false;     ///< false when the text is not a Hive type (kind is then Complex)
  catalog::HiveType hive;  ///< the parsed type (kind String when the text did not parse)
  std::string text;        ///< canonical Hive text, e.g. "decimal(10,2)"; the input when it did not parse
  std::int64_t min = 0;    ///< Integer only: the type's range
  std::int64_t max = 0;
};

/// Classifies a Hive type string (catalog::parse_hive_type); a type that does not parse is Complex, which
/// nothing may use.
ColumnType classify_type(const std::string& hive_type);

/// An exact decimal number: sign, integer digits without leading zeros ("" for 0), fraction digits without
/// trailing zeros. Zero is never negative.
struct Decimal {
  bool negative = false;
  std::string int_digits;
  std::string frac_digits;
};
/// Parses [+-]digits[.digits] or [+-].digits; empty for anything else (no exponent, no spaces).
std::optional<Decimal> parse_decimal(std::string_view text);
/// -1, 0 or 1 as a is less than, equal to or greater than b.
int compare_decimals(const Decimal& a, const Decimal& b);
/// True when `text` is [+-]digits[.digits] with at most precision-scale integer digits (leading zeros
/// aside) and at most `scale` fraction digits, as catalog::validate_partition_value accepts for decimal(p,s).
bool fits_decimal(std::string_view text, int precision, int scale);

/// A timestamp ('YYYY-MM-DD HH:MM:SS[.f…]' or a date 'YYYY-MM-DD', meaning midnight) as fixed-width text
/// 'YYYY-MM-DD HH:MM:SS.ffffff' (truncated to microseconds, as DuckDB does), which orders like the time;
/// empty when the text is neither.
std::optional<std::string> timestamp_key(std::string_view text);

/// Shortest round-trip text of a finite double as DuckDB prints it (CAST(x AS VARCHAR)): "100.0", "0.0001",
/// "1e-05", "1e+16", "-0.0". With `as_float` the shortest text that round-trips through a float.
std::string duckdb_number_text(double value, bool as_float);

/// `value` read as `type` and printed as DuckDB's CAST(x AS VARCHAR) prints it: "007" in an int column is
/// "7", "1.5" in a decimal(10,2) column is "1.50", a date-only timestamp gains " 00:00:00". Empty when the
/// value does not parse as the type (or is not valid UTF-8 for string types). Interval values are returned
/// as given.
std::optional<std::string> duckdb_text(const ColumnType& type, std::string_view value);

}  // namespace cairn::authz::detail
