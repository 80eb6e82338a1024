// Column masks: parsing, validation against a column's type, SQL for each engine dialect and the same
// transformation in memory.
//
// A value that does not parse as its column's type is NULL here, as in RowFilter::matches(). A mask that no
// longer applies to its column (the column's type changed after the mask was granted) hides the value
// entirely: mask_sql and apply_mask then behave as the `null` mask, so a stale mask never reveals more.

#include <charconv>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/authz/row_filter.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/names.h"
#include "cairn/catalog/text_util.h"
#include "cairn/catalog/validation.h"
#include "crypto_util.h"
#include "row_filter_values.h"

namespace cairn::authz {

namespace detail {

std::string duckdb_number_text(double value, bool as_float) {
  // Shortest round-trip digits in scientific form, then DuckDB's layout (that of Python's repr): fixed
  // notation with at least one fraction digit for exponents -4..15, otherwise d[.ddd]e±XX.
  char buf[64];
  const auto result = as_float ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(value),
                                               std::chars_format::scientific)
                               : std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(result.ptr - buf));
  const std::size_t e = sci.find('e');
  std::string_view mantissa = sci.substr(0, e);
  const bool negative = !mantissa.empty() && mantissa[0] == '-';
  if (negative) mantissa.remove_prefix(1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::string_view exp_text = sci.substr(e + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);

  std::string out = negative ? "-" : "";
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      const auto int_len = static_cast<std::size_t>(exponent) + 1;
      std::string int_part = digits.substr(0, std::min(int_len, digits.size()));
      int_part.resize(int_len, '0');
      const std::string frac = digits.size() > int_len ? digits.substr(int_len) : "0";
      out += int_part + "." + frac;
    } else {
      out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  const int magnitude = exponent < 0 ? -exponent : exponent;
  out += exponent < 0 ? "e-" : "e+";
  if (magnitude < 10) out += "0";
  return out + std::to_string(magnitude);
}

std::optional<std::string> duckdb_text(const ColumnType& type, std::string_view value) {
  switch (type.kind) {
    case ValueKind::Integer: {
      auto v = catalog::parse_int64(value);
      if (!v || *v < type.min || *v > type.max) return std::nullopt;
      return std::to_string(*v);
    }
    case ValueKind::Decimal: {
      if (!fits_decimal(value, type.hive.precision, type.hive.scale)) return std::nullopt;
      const Decimal d = *parse_decimal(value);
      std::string out = d.negative ? "-" : "";
      out += d.int_digits.empty() ? "0" : d.int_digits;
      if (type.hive.scale > 0) {
        std::string frac = d.frac_digits;
        frac.resize(static_cast<std::size_t>(type.hive.scale), '0');
        out += "." + frac;
      }
      return out;
    }
    case ValueKind::Float: {
      if (!catalog::parse_number(value)) return std::nullopt;
      std::string_view body = value;
      if (!body.empty() && body[0] == '+') body.remove_prefix(1);
      float f = 0;
      auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), f);
      if (ec != std::errc() || p != body.data() + body.size() || !std::isfinite(f)) return std::nullopt;
      return duckdb_number_text(f, true);
    }
    case ValueKind::Double: {
      auto v = catalog::parse_number(value);
      if (!v) return std::nullopt;
      return duckdb_number_text(*v, false);
    }
    case ValueKind::Boolean: {
      std::string l(value);
      for (char& c : l) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      if (l != "true" && l != "false") return std::nullopt;
      return l;
    }
    case ValueKind::Date:
      if (!catalog::is_valid_date(value)) return std::nullopt;
      return std::string(value);
    case ValueKind::Timestamp: {
      auto key = timestamp_key(value);
      if (!key) return std::nullopt;
      std::string out = key->substr(0, 19);
      std::string micros = key->substr(20);
      while (!micros.empty() && micros.back() == '0') micros.pop_back();
      if (!micros.empty()) out += "." + micros;
      return out;
    }
    case ValueKind::String:
      if (!catalog::is_valid_utf8(value)) return std::nullopt;
      return std::string(value);
    case ValueKind::Binary:
    case ValueKind::Interval:
      return std::string(value);
    case ValueKind::Complex:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace detail

namespace {

using detail::ColumnType;
using detail::ValueKind;

constexpr int kMaxShowLast = 64;
constexpr const char* kValidMasks =
    "valid masks: hash_sha256, redact, null, show_last(n) with n from 1 to 64, year_only";

using catalog::text::lower;
using catalog::text::trim_ascii_space;

/// Why `mask` cannot apply to `type`, or empty when it can.
std::string mask_problem(const Mask& mask, const ColumnType& type) {
  const std::string spec = mask_spec(mask);
  if (!type.parsed) {
    return "column type " + catalog::quote_for_message(type.text) + " is not a valid Hive type";
  }
  switch (mask.kind) {
    case Mask::Kind::Null:
      return "";
    case Mask::Kind::HashSha256:
    case Mask::Kind::Redact:
      if (type.kind == ValueKind::Complex) {
        return spec + " applies to columns of primitive types, not " + type.text +
               " (use null to hide a whole array, map, struct or uniontype)";
      }
      return "";
    case Mask::Kind::ShowLast:
      if (type.kind != ValueKind::String)
        return spec + " applies to string, varchar and char columns, not " + type.text;
      return "";
    case Mask::Kind::YearOnly:
      if (type.kind != ValueKind::Date && type.kind != ValueKind::Timestamp) {
        return spec + " applies to date and timestamp columns, not " + type.text;
      }
      return "";
  }
  return "";
}

/// The SQL type of `t` for `dialect`; empty for uniontype (no engine has one that matches), anywhere inside.
std::optional<std::string> sql_type(const catalog::HiveType& t, SqlDialect dialect) {
  using K = catalog::HiveType::Kind;
  const bool duck = dialect == SqlDialect::DuckDB;
  const bool trino = dialect == SqlDialect::Trino;
  switch (t.kind) {
    case K::Boolean:
      return "BOOLEAN";
    case K::TinyInt:
      return "TINYINT";
    case K::SmallInt:
      return "SMALLINT";
    case K::Int:
      return dialect == SqlDialect::Spark ? "INT" : "INTEGER";
    case K::BigInt:
      return "BIGINT";
    case K::Float:
      return trino ? "REAL" : "FLOAT";
    case K::Double:
      return "DOUBLE";
    case K::Decimal:
      return "DECIMAL(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
    case K::String:
      return dialect == SqlDialect::Spark ? "STRING" : "VARCHAR";
    case K::Varchar:
      if (trino) return "VARCHAR(" + std::to_string(t.precision) + ")";
      return duck ? "VARCHAR" : "STRING";
    case K::Char:
      if (trino) return "CHAR(" + std::to_string(t.precision) + ")";
      return duck ? "VARCHAR" : "STRING";
    case K::Date:
      return "DATE";
    case K::Timestamp:
      return "TIMESTAMP";
    case K::Binary:
      return duck ? "BLOB" : trino ? "VARBINARY" : "BINARY";
    case K::Interval:
      if (duck) return "INTERVAL";
      return t.precision == 1 ? "INTERVAL DAY TO SECOND" : "INTERVAL YEAR TO MONTH";
    case K::Array: {
      if (t.children.size() != 1) return std::nullopt;
      auto element = sql_type(t.children[0], dialect);
      if (!element) return std::nullopt;
      if (duck) return *element + "[]";
      return trino ? "ARRAY(" + *element + ")" : "ARRAY<" + *element + ">";
    }
    case K::Map: {
      if (t.children.size() != 2) return std::nullopt;
      auto key = sql_type(t.children[0], dialect);
      auto value = sql_type(t.children[1], dialect);
      if (!key || !value) return std::nullopt;
      if (dialect == SqlDialect::Spark) return "MAP<" + *key + ", " + *value + ">";
      return "MAP(" + *key + ", " + *value + ")";
    }
    case K::Struct: {
      if (t.children.size() != t.field_names.size() || t.children.empty()) return std::nullopt;
      std::string out = duck ? "STRUCT(" : trino ? "ROW(" : "STRUCT<";
      for (std::size_t i = 0; i < t.children.size(); ++i) {
        auto field = sql_type(t.children[i], dialect);
        if (!field) return std::nullopt;
        if (i) out += ", ";
        out += quote_identifier(t.field_names[i], dialect) + (dialect == SqlDialect::Spark ? ": " : " ") +
               *field;
      }
      return out + (dialect == SqlDialect::Spark ? ">" : ")");
    }
    case K::UnionType:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string null_sql(const ColumnType& type, SqlDialect dialect) {
  if (!type.parsed) return "NULL";
  auto t = sql_type(type.hive, dialect);
  return t ? "CAST(NULL AS " + *t + ")" : "NULL";
}

std::string show_last_sql(const std::string& x, int n, SqlDialect dialect) {
  const std::string count = std::to_string(n);
  switch (dialect) {
    case SqlDialect::DuckDB:
      return "CASE WHEN " + x + " IS NULL THEN NULL WHEN length(" + x + ") <= " + count +
             " THEN repeat('*', length(" + x + ")) ELSE repeat('*', length(" + x + ") - " + count +
             ") || right(" + x + ", " + count + ") END";
    case SqlDialect::Trino:
      // Trino has no right() and no repeat() for strings: lpad pads the kept suffix with stars on the left.
      return "CASE WHEN " + x + " IS NULL THEN NULL WHEN length(" + x + ") <= " + count +
             " THEN lpad('', length(" + x + "), '*') ELSE lpad(substr(" + x + ", length(" + x + ") - " +
             count + " + 1), length(" + x + "), '*') END";
    case SqlDialect::Spark:
      return "CASE WHEN " + x + " IS NULL THEN NULL WHEN length(" + x + ") <= " + count +
             " THEN repeat('*', length(" + x + ")) ELSE concat(repeat('*', length(" + x + ") - " + count +
             "), right(" + x + ", " + count + ")) END";
  }
  return "NULL";
}

std::string hash_sql(const std::string& x, const ColumnType& type, SqlDialect dialect) {
  // Binary values are hashed as their bytes; everything else as the engine's text of the value.
  const bool binary = type.kind == ValueKind::Binary;
  switch (dialect) {
    case SqlDialect::DuckDB:
      return binary ? "sha256(" + x + ")" : "sha256(CAST(" + x + " AS VARCHAR))";
    case SqlDialect::Trino:
      return binary ? "lower(to_hex(sha256(" + x + ")))"
                    : "lower(to_hex(sha256(to_utf8(CAST(" + x + " AS VARCHAR)))))";
    case SqlDialect::Spark:
      return binary ? "sha2(" + x + ", 256)" : "sha2(CAST(" + x + " AS STRING), 256)";
  }
  return "NULL";
}

std::string year_only_sql(const std::string& x, const ColumnType& type, SqlDialect dialect) {
  const bool date = type.kind == ValueKind::Date;
  switch (dialect) {
    case SqlDialect::DuckDB:
      // DuckDB's date_trunc returns a timestamp for a date.
      return "CAST(date_trunc('year', " + x + ") AS " + (date ? "DATE" : "TIMESTAMP") + ")";
    case SqlDialect::Trino:
      // Trino's date_trunc keeps the argument's type (and a timestamp's precision).
      return date ? "CAST(date_trunc('year', " + x + ") AS DATE)" : "date_trunc('year', " + x + ")";
    case SqlDialect::Spark:
      return date ? "trunc(" + x + ", 'year')" : "date_trunc('year', " + x + ")";
  }
  return "NULL";
}

}  // namespace

Mask parse_mask(std::string_view spec, const std::string& field) {
  const std::string text = lower(trim_ascii_space(spec));
  auto invalid = [&](const std::string& why) -> Error {
    return Error(ErrorCode::InvalidArgument, field + ": " + why, field);
  };
  Mask mask;
  if (text == "hash_sha256") {
    mask.kind = Mask::Kind::HashSha256;
  } else if (text == "redact") {
    mask.kind = Mask::Kind::Redact;
  } else if (text == "null") {
    mask.kind = Mask::Kind::Null;
  } else if (text == "year_only") {
    mask.kind = Mask::Kind::YearOnly;
  } else if (text.rfind("show_last", 0) == 0) {
    std::string_view rest = trim_ascii_space(std::string_view(text).substr(9));
    const std::string bad_n = "show_last needs a number of characters from 1 to " +
                              std::to_string(kMaxShowLast) + ", as in show_last(4); got " +
                              catalog::quote_for_message(trim_ascii_space(spec));
    if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') throw invalid(bad_n);
    const std::string_view digits = trim_ascii_space(rest.substr(1, rest.size() - 2));
    int n = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || digits[0] == '-' || ec != std::errc() || p != digits.data() + digits.size() ||
        n < 1 || n > kMaxShowLast) {
      throw invalid(bad_n);
    }
    mask.kind = Mask::Kind::ShowLast;
    mask.n = n;
  } else {
    throw invalid("unknown mask " + catalog::quote_for_message(trim_ascii_space(spec)) + " (" + kValidMasks +
                  ")");
  }
  return mask;
}

std::string mask_spec(const Mask& mask) {
  switch (mask.kind) {
    case Mask::Kind::HashSha256:
      return "hash_sha256";
    case Mask::Kind::Redact:
      return "redact";
    case Mask::Kind::Null:
      return "null";
    case Mask::Kind::ShowLast:
      return "show_last(" + std::to_string(mask.n) + ")";
    case Mask::Kind::YearOnly:
      return "year_only";
  }
  return "null";
}

void check_mask_applies(const Mask& mask, const std::string& hive_type, const std::string& field) {
  if (mask.kind == Mask::Kind::ShowLast && (mask.n < 1 || mask.n > kMaxShowLast)) {
    throw_invalid(field, field + ": show_last needs a number of characters from 1 to " +
                             std::to_string(kMaxShowLast) + " (got " + std::to_string(mask.n) + ")");
  }
  try {
    catalog::parse_hive_type(hive_type);
  } catch (const Error&) {
    throw_invalid(field, field + ": column type " + catalog::quote_for_message(hive_type) +
                             " is not a valid Hive type, so no mask can apply to it");
  }
  const std::string problem = mask_problem(mask, detail::classify_type(hive_type));
  if (!problem.empty()) throw_invalid(field, field + ": " + problem);
}

std::string mask_sql(const Mask& mask, const std::string& column_sql, const std::string& hive_type,
                     SqlDialect dialect) {
  const ColumnType type = detail::classify_type(hive_type);
  const bool applies = mask_problem(mask, type).empty() &&
                       (mask.kind != Mask::Kind::ShowLast || (mask.n >= 1 && mask.n <= kMaxShowLast));
  if (!applies) return null_sql(type, dialect);
  switch (mask.kind) {
    case Mask::Kind::HashSha256:
      return hash_sql(column_sql, type, dialect);
    case Mask::Kind::Redact:
      return "CASE WHEN " + column_sql + " IS NULL THEN NULL ELSE '****' END";
    case Mask::Kind::Null:
      return null_sql(type, dialect);
    case Mask::Kind::ShowLast:
      return show_last_sql(column_sql, mask.n, dialect);
    case Mask::Kind::YearOnly:
      return year_only_sql(column_sql, type, dialect);
  }
  return null_sql(type, dialect);
}

std::optional<std::string> apply_mask(const Mask& mask, const std::optional<std::string>& value,
                                      const std::string& hive_type) {
  if (!value) return std::nullopt;
  const ColumnType type = detail::classify_type(hive_type);
  const bool applies = mask_problem(mask, type).empty() &&
                       (mask.kind != Mask::Kind::ShowLast || (mask.n >= 1 && mask.n <= kMaxShowLast));
  if (!applies || mask.kind == Mask::Kind::Null) return std::nullopt;
  const std::optional<std::string> text = detail::duckdb_text(type, *value);
  if (!text) return std::nullopt;  // not a value of the column's type: NULL, as in RowFilter::matches
  switch (mask.kind) {
    case Mask::Kind::HashSha256:
      return detail::hex_encode(detail::sha256_raw(*text));
    case Mask::Kind::Redact:
      return std::string("****");
    case Mask::Kind::ShowLast: {
      // Characters are code points, as DuckDB's length() and right() count them.
      std::vector<std::size_t> starts;
      for (std::size_t i = 0; i < text->size(); ++i) {
        if ((static_cast<unsigned char>((*text)[i]) & 0xc0) != 0x80) starts.push_back(i);
      }
      const std::size_t length = starts.size();
      const auto keep = static_cast<std::size_t>(mask.n);
      if (length <= keep) return std::string(length, '*');
      return std::string(length - keep, '*') + text->substr(starts[length - keep]);
    }
    case Mask::Kind::YearOnly:
      return text->substr(0, 4) + (type.kind == ValueKind::Date ? "-01-01" : "-01-01 00:00:00");
    case Mask::Kind::Null:
      return std::nullopt;
  }
  return std::nullopt;
}

int mask_rank(const Mask& mask) {
  switch (mask.kind) {
    case Mask::Kind::Null:
      return 0;
    case Mask::Kind::Redact:
      return 1;
    case Mask::Kind::HashSha256:
      return 2;
    case Mask::Kind::YearOnly:
      return 3;
    case Mask::Kind::ShowLast:
      return 10 + mask.n;
  }
  return 0;
}

}  // namespace cairn::authz
