#include "cairn/authz/row_filter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/expr_lexer.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/names.h"
#include "cairn/catalog/partition_expr.h"
#include "cairn/catalog/validation.h"
#include "row_filter_values.h"

// Row filters are parsed by a hand-written recursive-descent parser, the same shape as the Glue partition
// expression parser (catalog/src/partition_expr.cpp): no Debian package offers a PartiQL parser, and RE2 is
// a regular-expression engine, not a parser. The grammar (keywords and column names case-insensitive):
//
//   filter    := or_expr
//   or_expr   := and_expr (OR and_expr)*
//   and_expr  := not_expr (AND not_expr)*
//   not_expr  := NOT not_expr | primary
//   primary   := '(' or_expr ')' | column predicate | value cmp_op column
//   predicate := cmp_op value | [NOT] IN '(' value (',' value)* ')' | [NOT] BETWEEN value AND value
//              | [NOT] LIKE 'pattern' | IS [NOT] NULL
//   cmp_op    := = | <> | != | < | > | <= | >=
//   column    := [A-Za-z_][A-Za-z0-9_]* | "quoted" ("" escapes a quote)
//   value     := 'string' ('' escapes a quote) | [+-]digits[.digits] | [+-].digits | TRUE | FALSE
//              | DATE 'YYYY-MM-DD' | TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff]'
//
// Every literal is checked against the type of the column it is compared with and stored in that type
// ('2026-01-01' against a date column becomes DATE '2026-01-01'; '42' against an int column becomes 42).
// AND and OR chains are kept as n-ary nodes (flattened), so the tree's depth is bounded by the nesting of
// parentheses and NOT, which is at most kMaxDepth. LIKE has Glue's semantics (catalog::like_matches): %
// any sequence, _ one character, no escape character, case-sensitive.

namespace cairn::authz {

namespace detail {

// ---- typed values (row_filter_values.h) ----

ColumnType classify_type(const std::string& hive_type) {
  ColumnType out;
  out.text = hive_type;
  try {
    out.hive = catalog::parse_hive_type(hive_type);
  } catch (const Error&) {
    out.kind = ValueKind::Complex;
    return out;
  }
  out.parsed = true;
  out.text = out.hive.to_string();
  using K = catalog::HiveType::Kind;
  switch (out.hive.kind) {
    case K::TinyInt:
      out.kind = ValueKind::Integer, out.min = -128, out.max = 127;
      break;
    case K::SmallInt:
      out.kind = ValueKind::Integer, out.min = -32768, out.max = 32767;
      break;
    case K::Int:
      out.kind = ValueKind::Integer, out.min = -2147483648LL, out.max = 2147483647LL;
      break;
    case K::BigInt:
      out.kind = ValueKind::Integer, out.min = INT64_MIN, out.max = INT64_MAX;
      break;
    case K::Float:
      out.kind = ValueKind::Float;
      break;
    case K::Double:
      out.kind = ValueKind::Double;
      break;
    case K::Decimal:
      out.kind = ValueKind::Decimal;
      break;
    case K::String:
    case K::Varchar:
    case K::Char:
      out.kind = ValueKind::String;
      break;
    case K::Boolean:
      out.kind = ValueKind::Boolean;
      break;
    case K::Date:
      out.kind = ValueKind::Date;
      break;
    case K::Timestamp:
      out.kind = ValueKind::Timestamp;
      break;
    case K::Binary:
      out.kind = ValueKind::Binary;
      break;
    case K::Interval:
      out.kind = ValueKind::Interval;
      break;
    case K::Array:
    case K::Map:
    case K::Struct:
    case K::UnionType:
      out.kind = ValueKind::Complex;
      break;
  }
  return out;
}

using catalog::expr::is_digit;

std::optional<Decimal> parse_decimal(std::string_view text) {
  std::size_t i = 0;
  Decimal d;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) d.negative = text[i++] == '-';
  const std::size_t int_start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  const std::size_t int_end = i;
  std::size_t frac_start = i, frac_end = i;
  if (i < text.size() && text[i] == '.') {
    frac_start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    frac_end = i;
    if (frac_end == frac_start) return std::nullopt;
  }
  if (i != text.size() || (int_end == int_start && frac_end == frac_start)) return std::nullopt;
  std::size_t first = int_start;
  while (first < int_end && text[first] == '0') ++first;
  d.int_digits = std::string(text.substr(first, int_end - first));
  std::size_t last = frac_end;
  while (last > frac_start && text[last - 1] == '0') --last;
  d.frac_digits = std::string(text.substr(frac_start, last - frac_start));
  if (d.int_digits.empty() && d.frac_digits.empty()) d.negative = false;
  return d;
}

int compare_decimals(const Decimal& a, const Decimal& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  int magnitude = 0;
  if (a.int_digits.size() != b.int_digits.size()) {
    magnitude = a.int_digits.size() < b.int_digits.size() ? -1 : 1;
  } else if (int c = a.int_digits.compare(b.int_digits); c != 0) {
    magnitude = c < 0 ? -1 : 1;
  } else {
    const std::size_t n = std::max(a.frac_digits.size(), b.frac_digits.size());
    for (std::size_t i = 0; i < n && magnitude == 0; ++i) {
      const char x = i < a.frac_digits.size() ? a.frac_digits[i] : '0';
      const char y = i < b.frac_digits.size() ? b.frac_digits[i] : '0';
      if (x != y) magnitude = x < y ? -1 : 1;
    }
  }
  return a.negative ? -magnitude : magnitude;
}

bool fits_decimal(std::string_view text, int precision, int scale) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  const std::size_t int_start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  const std::size_t int_end = i;
  std::size_t frac_digits = 0;
  if (i < text.size() && text[i] == '.') {
    const std::size_t frac_start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    frac_digits = i - frac_start;
  }
  if (i != text.size() || (int_end == int_start && frac_digits == 0)) return false;
  std::size_t first = int_start;
  while (first < int_end && text[first] == '0') ++first;
  return int_end - first <= static_cast<std::size_t>(std::max(precision - scale, 0)) &&
         frac_digits <= static_cast<std::size_t>(std::max(scale, 0));
}

std::optional<std::string> timestamp_key(std::string_view text) {
  if (catalog::is_valid_date(text)) return std::string(text) + " 00:00:00.000000";
  if (!catalog::is_valid_timestamp(text)) return std::nullopt;
  std::string key(text.substr(0, 19));
  std::string fraction = text.size() > 20 ? std::string(text.substr(20)) : std::string();
  fraction.resize(6, '0');
  return key + "." + fraction;
}

}  // namespace detail

// ---- the tree ----

namespace detail {

/// A literal, already coerced to the type of the column it is compared with.
struct Literal {
  enum class Kind { String, Integer, Decimal, Boolean, Date, Timestamp };
  Kind kind = Kind::String;
  /// String: the value; Integer/Decimal: canonical digits ("-12", "0.50"); Boolean: "true"/"false";
  /// Date: 'YYYY-MM-DD'; Timestamp: 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
  std::string text;
  Decimal number;                       ///< Integer/Decimal
  std::optional<std::int64_t> integer;  ///< Integer/Decimal with an integral value that fits int64
  double as_double = 0;                 ///< Integer/Decimal
  float as_float = 0;                   ///< Integer/Decimal
  std::string key;                      ///< Timestamp: timestamp_key(text)
};

}  // namespace detail

struct RowFilter::Node {
  enum class Kind { And, Or, Not, Compare, In, Between, Like, IsNull };
  enum class Op { Eq, Ne, Lt, Gt, Le, Ge };

  Kind kind = Kind::And;
  Op op = Op::Eq;                                     ///< Compare only
  bool negated = false;                               ///< NOT IN, NOT BETWEEN, NOT LIKE, IS NOT NULL
  std::string column;                                 ///< leaves: lower-case column name
  detail::ColumnType type;                            ///< leaves: the column's type
  std::vector<detail::Literal> literals;              ///< Compare 1, In n, Between 2, Like 1 (String)
  std::vector<std::shared_ptr<const Node>> children;  ///< And/Or: 2 or more; Not: 1
};

namespace {

using detail::ColumnType;
using detail::Literal;
using detail::ValueKind;
using Node = RowFilter::Node;
using NodePtr = std::shared_ptr<Node>;

constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxNumberDigits = 38;
constexpr std::size_t kMaxListedColumns = 20;

using catalog::expr::is_digit;
using catalog::expr::is_keyword;
using catalog::expr::lower;
using catalog::expr::Token;
using Tok = catalog::expr::TokenKind;

/// Words that are never a bare column name.
bool is_reserved(const std::string& lowered) {
  return catalog::expr::is_reserved_word(lowered) || lowered == "true" || lowered == "false";
}

// Row filters' spelling: names in "double" quotes only, no exponents, digits after a decimal point, no
// control characters anywhere.
constexpr catalog::expr::LexSyntax kRowFilterSyntax{
    .name_quotes = "\"",
    .reject_control = true,
    .unterminated_string = "unterminated string (a ' is missing)",
    .unterminated_name = "unterminated quoted column name (a \" is missing)",
    .empty_name = "empty quoted column name \"\"",
    .after_number = " after a number (numbers are digits with an optional decimal point)",
    .hinted = '`',
    .hint = "(quote column names with double quotes: \"name\")",
};

/// True when `name` can be written bare in canonical text and still reads as the same column.
bool is_bare_name(std::string_view name) {
  if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || c == '_' || is_digit(c))) return false;
  }
  const std::string s(name);
  return !is_reserved(s) && s != "date" && s != "timestamp";
}

std::string canonical_name(std::string_view name) {
  if (is_bare_name(name)) return std::string(name);
  return quote_identifier(name, SqlDialect::DuckDB);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

/// A literal as written, before it meets its column.
struct RawValue {
  enum class Kind { String, Number, Boolean, Date, Timestamp };
  Kind kind = Kind::String;
  std::string text;
  std::size_t pos = 0;
};

/// Canonical text of a number literal [+-]digits[.digits] / [+-].digits: no '+', no leading zeros, no sign
/// on zero, fraction digits as written.
std::string canonical_number(std::string_view text) {
  bool negative = false;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  std::size_t dot = text.find('.', i);
  std::string_view int_part =
      text.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i);
  std::string_view frac_part = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  while (int_part.size() > 1 && int_part[0] == '0') int_part.remove_prefix(1);
  std::string out = int_part.empty() ? "0" : std::string(int_part);
  if (dot != std::string_view::npos) out += "." + std::string(frac_part);
  const bool zero = out.find_first_not_of("0.") == std::string::npos;
  return negative && !zero ? "-" + out : out;
}

std::string expected_form(const ColumnType& type) {
  switch (type.kind) {
    case ValueKind::Integer:
    case ValueKind::Decimal:
    case ValueKind::Float:
    case ValueKind::Double:
      return "a number";
    case ValueKind::String:
      return "a 'quoted string'";
    case ValueKind::Boolean:
      return "TRUE or FALSE";
    case ValueKind::Date:
      return "a date (DATE 'YYYY-MM-DD' or 'YYYY-MM-DD')";
    case ValueKind::Timestamp:
      return "a timestamp (TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff]' or a DATE)";
    default:
      return "nothing";
  }
}

std::string describe_raw(const RawValue& v) {
  switch (v.kind) {
    case RawValue::Kind::String:
      return catalog::quote_for_message(v.text);
    case RawValue::Kind::Number:
      return v.text;
    case RawValue::Kind::Boolean:
      return v.text == "true" ? "TRUE" : "FALSE";
    case RawValue::Kind::Date:
      return "DATE " + catalog::quote_for_message(v.text);
    case RawValue::Kind::Timestamp:
      return "TIMESTAMP " + catalog::quote_for_message(v.text);
  }
  return v.text;
}

std::size_t fraction_digits(std::string_view timestamp) {
  return timestamp.size() > 20 ? timestamp.size() - 20 : 0;
}

class Parser : private catalog::expr::TokenCursor {
 public:
  Parser(std::string_view text, const std::vector<catalog::Column>& columns, const std::string& field)
      : text_(text), columns_(columns), field_(field) {
    for (const catalog::Column& c : columns_) {
      std::string name = lower(c.name);
      if (!index_.count(name)) index_.emplace(std::move(name), &c);
    }
  }

  NodePtr parse() {
    if (!catalog::is_valid_utf8(text_)) fail("the filter is not valid UTF-8");
    const std::size_t length = catalog::utf8_length(text_);
    if (length > kMaxRowFilterLength) {
      fail("the filter is " + std::to_string(length) + " characters long; the limit is " +
           std::to_string(kMaxRowFilterLength));
    }
    catalog::expr::LexResult lexed = catalog::expr::tokenize(text_, kRowFilterSyntax);
    if (lexed.error) fail_at(lexed.error->pos, lexed.error->message);
    reset(std::move(lexed.tokens));
    if (peek().kind == Tok::End) fail("the filter is empty");
    NodePtr root = parse_or(0);
    if (peek().kind != Tok::End) {
      fail_at(peek().pos, "expected AND, OR or the end of the filter, found " + describe(peek()));
    }
    return root;
  }

 private:
  // ---- errors ----

  [[noreturn]] void fail(const std::string& message) const { throw_invalid(field_, field_ + ": " + message); }

  [[noreturn]] void fail_at(std::size_t pos, const std::string& message) const {
    fail("at character " + std::to_string(character(pos)) + ": " + message);
  }

  std::size_t character(std::size_t pos) const {
    return catalog::utf8_length(text_.substr(0, std::min(pos, text_.size()))) + 1;
  }

  std::string describe(const Token& t) const {
    switch (t.kind) {
      case Tok::End:
        return "the end of the filter";
      case Tok::String:
        return "string " + catalog::quote_for_message(t.text);
      case Tok::QuotedIdent:
        return "column " + catalog::quote_for_message(t.text);
      case Tok::Number:
        return "number " + t.text;
      case Tok::Ident: {
        const std::string l = lower(t.text);
        if (is_reserved(l)) return "keyword " + std::string(upper(l));
        return catalog::quote_for_message(t.text);
      }
      default:
        return "'" + t.text + "'";
    }
  }

  static std::string upper(const std::string& s) {
    std::string out = s;
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
  }

  // ---- tokens ----

  /// True when the tokens at the cursor start a literal value.
  bool at_value() const {
    const Token& t = peek();
    if (t.kind == Tok::String || t.kind == Tok::Number) return true;
    if (is_keyword(t, "true") || is_keyword(t, "false")) return true;
    return (is_keyword(t, "date") || is_keyword(t, "timestamp")) && peek(1).kind == Tok::String;
  }

  // ---- grammar ----

  void enter(int depth, std::size_t pos) const {
    if (depth + 1 > kMaxDepth) {
      fail_at(pos,
              "the filter nests more than " + std::to_string(kMaxDepth) + " levels of parentheses and NOT");
    }
  }

  static NodePtr combine(Node::Kind kind, std::vector<NodePtr>& items) {
    if (items.size() == 1) return std::move(items[0]);
    auto node = std::make_shared<Node>();
    node->kind = kind;
    for (NodePtr& item : items) {
      if (item->kind == kind) {
        node->children.insert(node->children.end(), item->children.begin(), item->children.end());
      } else {
        node->children.push_back(std::move(item));
      }
    }
    return node;
  }

  NodePtr parse_or(int depth) {
    std::vector<NodePtr> items;
    items.push_back(parse_and(depth));
    while (accept_keyword("or")) items.push_back(parse_and(depth));
    return combine(Node::Kind::Or, items);
  }

  NodePtr parse_and(int depth) {
    std::vector<NodePtr> items;
    items.push_back(parse_not(depth));
    while (accept_keyword("and")) items.push_back(parse_not(depth));
    return combine(Node::Kind::And, items);
  }

  NodePtr parse_not(int depth) {
    if (is_keyword(peek(), "not")) {
      enter(depth, peek().pos);
      skip();
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::Not;
      node->children.push_back(parse_not(depth + 1));
      return node;
    }
    return parse_primary(depth);
  }

  NodePtr parse_primary(int depth) {
    const Token& t = peek();
    if (t.kind == Tok::LParen) {
      const std::size_t open = t.pos;
      enter(depth, open);
      skip();
      NodePtr inner = parse_or(depth + 1);
      if (peek().kind != Tok::RParen) {
        fail_at(peek().pos, "expected ')' to close the '(' at character " + std::to_string(character(open)) +
                                ", found " + describe(peek()));
      }
      skip();
      return inner;
    }
    if (t.kind == Tok::End) fail_at(t.pos, "expected a condition, found the end of the filter");
    if (is_keyword(t, "null")) {
      fail_at(t.pos, "NULL cannot be compared with anything; test a column with IS NULL or IS NOT NULL");
    }
    if (at_value()) return parse_reversed_compare();
    const catalog::Column& column = parse_column("a column, '(' or NOT");
    return parse_predicate(column);
  }

  const catalog::Column& parse_column(const char* expected) {
    const Token& t = next();
    if (t.kind == Tok::Ident && is_reserved(lower(t.text))) {
      fail_at(t.pos, std::string("expected ") + expected + ", found keyword " + upper(lower(t.text)) +
                         " (write \"" + lower(t.text) + "\" for a column of that name)");
    }
    if (t.kind != Tok::Ident && t.kind != Tok::QuotedIdent) {
      fail_at(t.pos, std::string("expected ") + expected + ", found " + describe(t));
    }
    const std::string name = lower(t.text);
    auto it = index_.find(name);
    if (it == index_.end()) unknown_column(t, name);
    const catalog::Column& column = *it->second;
    const ColumnType type = detail::classify_type(column.type);
    if (type.kind == ValueKind::Complex) {
      fail_at(t.pos, "column " + catalog::quote_for_message(name) + " is " + type.text +
                         ": row filters cannot use array, map, struct or uniontype columns");
    }
    return column;
  }

  [[noreturn]] void unknown_column(const Token& t, const std::string& name) const {
    std::string message = "unknown column " + catalog::quote_for_message(t.text);
    std::string best;
    std::size_t best_distance = 3;
    for (const catalog::Column& c : columns_) {
      const std::string candidate = lower(c.name);
      const std::size_t d = edit_distance(name, candidate);
      if (d < best_distance && d < candidate.size()) best = candidate, best_distance = d;
    }
    if (!best.empty()) message += "; did you mean " + catalog::quote_for_message(best) + "?";
    std::string names;
    for (std::size_t i = 0; i < columns_.size() && i < kMaxListedColumns; ++i) {
      names += (i ? ", " : "") + lower(columns_[i].name);
    }
    if (columns_.size() > kMaxListedColumns) {
      names += ", … (" + std::to_string(columns_.size() - kMaxListedColumns) + " more)";
    }
    message += columns_.empty() ? " (the table has no columns)" : " (table columns: " + names + ")";
    fail("at character " + std::to_string(character(t.pos)) + ": " + message);
  }

  NodePtr leaf(Node::Kind kind, const catalog::Column& column) {
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->column = lower(column.name);
    node->type = detail::classify_type(column.type);
    return node;
  }

  /// The value at the cursor, as written; `after` says where it was expected ("after '='").
  RawValue parse_raw_value(const std::string& after) {
    const Token& t = peek();
    RawValue v;
    v.pos = t.pos;
    if (t.kind == Tok::String || t.kind == Tok::Number) {
      skip();
      v.kind = t.kind == Tok::String ? RawValue::Kind::String : RawValue::Kind::Number;
      v.text = t.text;
      if (v.kind == RawValue::Kind::Number) check_number(v.text, v.pos);
      return v;
    }
    if (is_keyword(t, "true") || is_keyword(t, "false")) {
      skip();
      v.kind = RawValue::Kind::Boolean;
      v.text = lower(t.text);
      return v;
    }
    if ((is_keyword(t, "date") || is_keyword(t, "timestamp")) && peek(1).kind == Tok::String) {
      const bool date = is_keyword(t, "date");
      v.kind = date ? RawValue::Kind::Date : RawValue::Kind::Timestamp;
      v.text = peek(1).text;
      skip(2);
      if (date && !catalog::is_valid_date(v.text)) {
        fail_at(v.pos, "DATE " + catalog::quote_for_message(v.text) +
                           " is not a valid date (expected DATE 'YYYY-MM-DD')");
      }
      if (!date && !valid_timestamp_literal(v.text)) {
        fail_at(v.pos, "TIMESTAMP " + catalog::quote_for_message(v.text) +
                           " is not a valid timestamp (expected TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff]', at "
                           "most 6 fraction digits)");
      }
      return v;
    }
    if (is_keyword(t, "null")) {
      fail_at(t.pos, "NULL cannot be compared with anything; test a column with IS NULL or IS NOT NULL");
    }
    if ((t.kind == Tok::Ident && !is_reserved(lower(t.text))) || t.kind == Tok::QuotedIdent) {
      fail_at(t.pos, "expected a value " + after + ", found column " + catalog::quote_for_message(t.text) +
                         " (a condition compares a column with constant values, not with another column)");
    }
    fail_at(t.pos, "expected a value " + after + ", found " + describe(t));
  }

  static bool valid_timestamp_literal(std::string_view text) {
    return catalog::is_valid_timestamp(text) && fraction_digits(text) <= 6;
  }

  void check_number(const std::string& text, std::size_t pos) const {
    const std::optional<detail::Decimal> d = detail::parse_decimal(text);
    if (!d) fail_at(pos, "'" + text + "' is not a number");
    const std::size_t dot = text.find('.');
    const std::size_t written_fraction = dot == std::string::npos ? 0 : text.size() - dot - 1;
    if (d->int_digits.size() + written_fraction > kMaxNumberDigits) {
      fail_at(pos, "number " + text + " has more than " + std::to_string(kMaxNumberDigits) + " digits");
    }
    if (dot == std::string::npos && !catalog::parse_int64(text)) {
      fail_at(pos,
              "integer " + text +
                  " is out of range (integers must lie within ±9223372036854775807; write a decimal such "
                  "as " +
                  canonical_number(text) + ".0 for a larger number)");
    }
  }

  /// A number literal from checked text; `float_in_range` is false when a float cannot hold it.
  static Literal number_literal(const std::string& text, bool& float_in_range) {
    Literal l;
    l.text = canonical_number(text);
    l.kind = l.text.find('.') == std::string::npos ? Literal::Kind::Integer : Literal::Kind::Decimal;
    l.number = *detail::parse_decimal(l.text);
    if (l.number.frac_digits.empty()) {
      const std::string digits = l.number.int_digits.empty() ? "0" : l.number.int_digits;
      l.integer = catalog::parse_int64((l.number.negative ? "-" : "") + digits);
    }
    const char* begin = l.text.data();
    const char* end = begin + l.text.size();
    std::from_chars(begin, end, l.as_double);
    auto [p, ec] = std::from_chars(begin, end, l.as_float);
    float_in_range = ec == std::errc() && p == end && std::isfinite(l.as_float);
    return l;
  }

  [[noreturn]] void mismatch(const RawValue& v, const catalog::Column& column, const ColumnType& type,
                             const std::string& detail) const {
    fail_at(v.pos,
            "column " + catalog::quote_for_message(lower(column.name)) + " is " + type.text + ": " + detail);
  }

  /// `v` coerced to the type of `column`; throws when it does not fit.
  Literal coerce(const RawValue& v, const catalog::Column& column) const {
    const ColumnType type = detail::classify_type(column.type);
    using RK = RawValue::Kind;
    const std::string expected = "expected " + expected_form(type) + ", found " + describe_raw(v);
    Literal l;
    switch (type.kind) {
      case ValueKind::Integer:
      case ValueKind::Decimal:
      case ValueKind::Float:
      case ValueKind::Double: {
        if (v.kind == RK::String) {
          if (!detail::parse_decimal(v.text)) {
            mismatch(v, column, type, catalog::quote_for_message(v.text) + " is not a number");
          }
          check_number(v.text, v.pos);
        } else if (v.kind != RK::Number) {
          mismatch(v, column, type, expected);
        }
        bool float_in_range = false;
        l = number_literal(v.text, float_in_range);
        if (type.kind == ValueKind::Float && !float_in_range) {
          mismatch(v, column, type, describe_raw(v) + " is out of range for float");
        }
        return l;
      }
      case ValueKind::String:
        if (v.kind != RK::String) {
          mismatch(v, column, type, "compare it with a 'quoted string', not " + describe_raw(v));
        }
        l.kind = Literal::Kind::String;
        l.text = v.text;
        return l;
      case ValueKind::Boolean: {
        const std::string lowered = lower(v.text);
        if (v.kind == RK::Boolean || (v.kind == RK::String && (lowered == "true" || lowered == "false"))) {
          l.kind = Literal::Kind::Boolean;
          l.text = lowered;
          return l;
        }
        mismatch(v, column, type, expected);
      }
      case ValueKind::Date:
        if (v.kind == RK::Date || (v.kind == RK::String && catalog::is_valid_date(v.text))) {
          l.kind = Literal::Kind::Date;
          l.text = v.text;
          return l;
        }
        if (v.kind == RK::String) {
          mismatch(v, column, type, catalog::quote_for_message(v.text) + " is not a date 'YYYY-MM-DD'");
        }
        mismatch(v, column, type, expected);
      case ValueKind::Timestamp:
        if (v.kind == RK::Timestamp || (v.kind == RK::String && valid_timestamp_literal(v.text))) {
          l.kind = Literal::Kind::Timestamp;
          l.text = v.text;
        } else if (v.kind == RK::Date || (v.kind == RK::String && catalog::is_valid_date(v.text))) {
          l.kind = Literal::Kind::Timestamp;
          l.text = v.text + " 00:00:00";
        } else if (v.kind == RK::String) {
          mismatch(v, column, type,
                   catalog::quote_for_message(v.text) +
                       " is not a timestamp 'YYYY-MM-DD HH:MM:SS[.ffffff]' (at most 6 fraction digits) or a "
                       "date 'YYYY-MM-DD'");
        } else {
          mismatch(v, column, type, expected);
        }
        l.key = *detail::timestamp_key(l.text);
        return l;
      default:
        mismatch(v, column, type, "only IS NULL and IS NOT NULL can test it");
    }
  }

  NodePtr parse_reversed_compare() {
    const RawValue value = parse_raw_value("");
    const Token& op = next();
    if (op.kind != Tok::Op) {
      fail_at(op.pos, "expected a comparison operator after " + describe_raw(value) + ", found " +
                          describe(op) + " (IN, BETWEEN and LIKE must follow the column)");
    }
    const std::string after = "'" + op.text + "'";
    const catalog::Column& column = parse_column(("a column after " + after).c_str());
    NodePtr node = leaf(Node::Kind::Compare, column);
    check_comparable(node->type, column, value.pos);
    node->op = catalog::expr::flip(catalog::expr::compare_op_from<Node::Op>(op.text));
    node->literals.push_back(coerce(value, column));
    return node;
  }

  void check_comparable(const ColumnType& type, const catalog::Column& column, std::size_t pos) const {
    if (type.kind == ValueKind::Binary || type.kind == ValueKind::Interval) {
      fail_at(pos, "column " + catalog::quote_for_message(lower(column.name)) + " is " + type.text +
                       ": only IS NULL and IS NOT NULL can test it");
    }
  }

  Literal parse_value_for(const catalog::Column& column, const std::string& after) {
    return coerce(parse_raw_value(after), column);
  }

  NodePtr parse_predicate(const catalog::Column& column) {
    const Token& t = peek();
    const std::string name = catalog::quote_for_message(lower(column.name));
    if (t.kind == Tok::Op) {
      skip();
      NodePtr node = leaf(Node::Kind::Compare, column);
      check_comparable(node->type, column, t.pos);
      node->op = catalog::expr::compare_op_from<Node::Op>(t.text);
      node->literals.push_back(parse_value_for(column, "after '" + t.text + "'"));
      return node;
    }
    if (accept_keyword("is")) {
      NodePtr node = leaf(Node::Kind::IsNull, column);
      node->negated = accept_keyword("not");
      if (!accept_keyword("null")) {
        fail_at(peek().pos, std::string("expected NULL after IS") + (node->negated ? " NOT" : "") +
                                ", found " + describe(peek()));
      }
      return node;
    }
    const bool negated = accept_keyword("not");
    const Token& word = peek();
    if (accept_keyword("in")) {
      NodePtr node = leaf(Node::Kind::In, column);
      check_comparable(node->type, column, word.pos);
      node->negated = negated;
      if (peek().kind != Tok::LParen) fail_at(peek().pos, "expected '(' after IN, found " + describe(peek()));
      skip();
      while (true) {
        node->literals.push_back(parse_value_for(column, "in the IN list"));
        if (peek().kind == Tok::Comma) {
          skip();
          continue;
        }
        if (peek().kind != Tok::RParen) {
          fail_at(peek().pos, "expected ',' or ')' in the IN list, found " + describe(peek()));
        }
        skip();
        return node;
      }
    }
    if (accept_keyword("between")) {
      NodePtr node = leaf(Node::Kind::Between, column);
      check_comparable(node->type, column, word.pos);
      node->negated = negated;
      node->literals.push_back(parse_value_for(column, "after BETWEEN"));
      if (!accept_keyword("and")) {
        fail_at(peek().pos, "expected AND between the two bounds of BETWEEN, found " + describe(peek()));
      }
      node->literals.push_back(parse_value_for(column, "after BETWEEN … AND"));
      return node;
    }
    if (accept_keyword("like")) {
      NodePtr node = leaf(Node::Kind::Like, column);
      if (node->type.kind != ValueKind::String) {
        fail_at(word.pos, "LIKE needs a string column; column " + name + " is " + node->type.text);
      }
      node->negated = negated;
      const Token& p = next();
      if (p.kind != Tok::String)
        fail_at(p.pos, "expected a 'pattern' string after LIKE, found " + describe(p));
      Literal l;
      l.kind = Literal::Kind::String;
      l.text = p.text;
      node->literals.push_back(std::move(l));
      return node;
    }
    if (negated) fail_at(word.pos, "expected IN, BETWEEN or LIKE after NOT, found " + describe(word));
    fail_at(
        word.pos,
        "expected a comparison operator (=, <>, !=, <, >, <=, >=), IN, BETWEEN, LIKE or IS after column " +
            name + ", found " + describe(word));
  }

  std::string_view text_;
  const std::vector<catalog::Column>& columns_;
  const std::string& field_;
  std::map<std::string, const catalog::Column*> index_;
};

// ---- text and SQL ----

/// How a rendering spells names and literals.
struct Style {
  enum class Target { Canonical, Sql, Glue };
  Target target = Target::Canonical;
  SqlDialect dialect = SqlDialect::DuckDB;
};

std::string name_text(const std::string& column, const Style& style) {
  switch (style.target) {
    case Style::Target::Canonical:
      return canonical_name(column);
    case Style::Target::Sql:
      return quote_identifier(column, style.dialect);
    case Style::Target::Glue: {
      // Glue's bare keys are [A-Za-z_][A-Za-z0-9_]* minus its keywords; anything else in backquotes
      // (column names never contain one).
      if (is_bare_name(column)) return column;
      std::string out = "`";
      for (char c : column) out += c == '`' ? std::string("``") : std::string(1, c);
      return out + "`";
    }
  }
  return column;
}

std::string string_text(std::string_view value, const Style& style) {
  return style.target == Style::Target::Sql ? quote_string(value, style.dialect) : quote_string(value);
}

std::string literal_text(const Literal& l, const Style& style) {
  switch (l.kind) {
    case Literal::Kind::String:
      return string_text(l.text, style);
    case Literal::Kind::Integer:
    case Literal::Kind::Decimal:
      return l.text;
    case Literal::Kind::Boolean:
      return l.text == "true" ? "TRUE" : "FALSE";
    case Literal::Kind::Date:
      return style.target == Style::Target::Glue ? quote_string(l.text) : "DATE " + quote_string(l.text);
    case Literal::Kind::Timestamp:
      return style.target == Style::Target::Glue ? quote_string(l.text) : "TIMESTAMP " + quote_string(l.text);
  }
  return l.text;
}

/// Spark's LIKE treats '\' as its escape character by default; double it so the pattern keeps Glue's
/// meaning (no escape character).
std::string like_pattern(const std::string& pattern, const Style& style) {
  if (style.target != Style::Target::Sql || style.dialect != SqlDialect::Spark) return pattern;
  std::string out;
  for (char c : pattern) out += c == '\\' ? std::string("\\\\") : std::string(1, c);
  return out;
}

std::string leaf_text(const Node& n, const Style& style) {
  const std::string column = name_text(n.column, style);
  switch (n.kind) {
    case Node::Kind::Compare:
      return column + " " + catalog::expr::compare_op_text(n.op) + " " +
             literal_text(n.literals.at(0), style);
    case Node::Kind::In: {
      std::string out = column + (n.negated ? " NOT IN (" : " IN (");
      for (std::size_t i = 0; i < n.literals.size(); ++i)
        out += (i ? ", " : "") + literal_text(n.literals[i], style);
      return out + ")";
    }
    case Node::Kind::Between:
      return column + (n.negated ? " NOT BETWEEN " : " BETWEEN ") + literal_text(n.literals.at(0), style) +
             " AND " + literal_text(n.literals.at(1), style);
    case Node::Kind::Like: {
      Literal pattern = n.literals.at(0);
      pattern.text = like_pattern(pattern.text, style);
      return column + (n.negated ? " NOT LIKE " : " LIKE ") + literal_text(pattern, style);
    }
    case Node::Kind::IsNull:
      return column + (n.negated ? " IS NOT NULL" : " IS NULL");
    default:
      return "";
  }
}

/// Canonical and Glue text: parentheses only where precedence needs them (OR inside AND, AND/OR under NOT).
std::string minimal_text(const Node& n, const Style& style) {
  switch (n.kind) {
    case Node::Kind::Or:
    case Node::Kind::And: {
      std::string out;
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i) out += n.kind == Node::Kind::And ? " AND " : " OR ";
        const Node& child = *n.children[i];
        const bool wrap = n.kind == Node::Kind::And && child.kind == Node::Kind::Or;
        out += wrap ? "(" + minimal_text(child, style) + ")" : minimal_text(child, style);
      }
      return out;
    }
    case Node::Kind::Not: {
      const Node& child = *n.children.at(0);
      const bool wrap = child.kind == Node::Kind::And || child.kind == Node::Kind::Or;
      return wrap ? "NOT (" + minimal_text(child, style) + ")" : "NOT " + minimal_text(child, style);
    }
    default:
      return leaf_text(n, style);
  }
}

/// SQL text: every node in its own parentheses, so the text means the same wherever it is embedded.
std::string sql_text(const Node& n, const Style& style) {
  switch (n.kind) {
    case Node::Kind::Or:
    case Node::Kind::And: {
      std::string out = "(";
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i) out += n.kind == Node::Kind::And ? " AND " : " OR ";
        out += sql_text(*n.children[i], style);
      }
      return out + ")";
    }
    case Node::Kind::Not:
      return "(NOT " + sql_text(*n.children.at(0), style) + ")";
    default:
      return "(" + leaf_text(n, style) + ")";
  }
}

void collect_columns(const Node& n, std::vector<std::string>& out) {
  if (!n.column.empty()) out.push_back(n.column);
  for (const auto& child : n.children) collect_columns(*child, out);
}

// ---- partition expressions ----

/// Doubles hold decimals of up to 15 significant digits exactly enough that comparing them as doubles (what
/// catalog::PartitionExpression does for decimal keys) orders them like exact decimals.
constexpr std::size_t kExactDoubleDigits = 15;

std::size_t significant_digits(const detail::Decimal& d) {
  std::string digits = d.int_digits + d.frac_digits;
  const std::size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? 0 : digits.size() - first;
}

/// Whether a leaf can be handed to catalog::PartitionExpression with the same result for every valid
/// partition value; rewrites literals that Glue's syntax spells differently (integral decimals against
/// integer keys).
bool glue_expressible(Node& n, const catalog::Column& key) {
  const ColumnType type = detail::classify_type(key.type);
  if (type.kind != n.type.kind || type.text != n.type.text) return false;
  const catalog::KeyValueType key_type = catalog::key_value_type(key.type);
  if (n.kind == Node::Kind::IsNull) return true;
  switch (type.kind) {
    case ValueKind::String:
      return key_type == catalog::KeyValueType::String;
    case ValueKind::Date:
      return key_type == catalog::KeyValueType::Date;
    case ValueKind::Integer:
      if (key_type != catalog::KeyValueType::Integer) return false;
      for (Literal& l : n.literals) {
        if (!l.integer) return false;
        l.text = std::to_string(*l.integer);
      }
      return true;
    case ValueKind::Double:
      return key_type == catalog::KeyValueType::Number;
    case ValueKind::Decimal:
      if (key_type != catalog::KeyValueType::Number) return false;
      if (static_cast<std::size_t>(type.hive.precision) > kExactDoubleDigits) return false;
      for (const Literal& l : n.literals) {
        if (significant_digits(l.number) > kExactDoubleDigits) return false;
      }
      return true;
    default:
      // Booleans (Glue compares their text, and 'TRUE' is a valid value), floats (compared as doubles
      // there, as floats here) and timestamps (compared as text there) could disagree.
      return false;
  }
}

std::shared_ptr<const Node> glue_tree(const Node& n,
                                      const std::map<std::string, const catalog::Column*>& keys) {
  auto copy = std::make_shared<Node>(n);
  if (n.kind == Node::Kind::And || n.kind == Node::Kind::Or || n.kind == Node::Kind::Not) {
    for (auto& child : copy->children) {
      child = glue_tree(*child, keys);
      if (!child) return nullptr;
    }
    return copy;
  }
  auto it = keys.find(n.column);
  if (it == keys.end() || !glue_expressible(*copy, *it->second)) return nullptr;
  return copy;
}

// ---- evaluation ----

enum class Tri { False, True, Unknown };

Tri tri(bool b) {
  return b ? Tri::True : Tri::False;
}

/// A column value read as its type; `present` is false for NULL (or a value that does not parse).
struct Value {
  bool present = false;
  std::int64_t integer = 0;
  detail::Decimal number;
  double as_double = 0;
  float as_float = 0;
  std::string text;  ///< String, Boolean ("true"/"false"), Date, Timestamp (timestamp_key)
};

Value read_value(const ColumnType& type, const std::optional<std::string>& raw) {
  Value v;
  if (!raw) return v;
  switch (type.kind) {
    case ValueKind::Integer: {
      auto i = catalog::parse_int64(*raw);
      if (!i || *i < type.min || *i > type.max) return v;
      v.integer = *i;
      break;
    }
    case ValueKind::Decimal: {
      if (!detail::fits_decimal(*raw, type.hive.precision, type.hive.scale)) return v;
      v.number = *detail::parse_decimal(*raw);
      break;
    }
    case ValueKind::Float: {
      if (!catalog::parse_number(*raw)) return v;
      std::string_view body = *raw;
      if (!body.empty() && body[0] == '+') body.remove_prefix(1);
      auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v.as_float);
      if (ec != std::errc() || p != body.data() + body.size() || !std::isfinite(v.as_float)) return v;
      break;
    }
    case ValueKind::Double: {
      auto d = catalog::parse_number(*raw);
      if (!d) return v;
      v.as_double = *d;
      break;
    }
    case ValueKind::String:
      v.text = *raw;
      break;
    case ValueKind::Boolean: {
      std::string l = lower(*raw);
      if (l != "true" && l != "false") return v;
      v.text = std::move(l);
      break;
    }
    case ValueKind::Date:
      if (!catalog::is_valid_date(*raw)) return v;
      v.text = *raw;
      break;
    case ValueKind::Timestamp: {
      auto key = detail::timestamp_key(*raw);
      if (!key) return v;
      v.text = std::move(*key);
      break;
    }
    case ValueKind::Binary:
    case ValueKind::Interval:
      break;
    case ValueKind::Complex:
      return v;
  }
  v.present = true;
  return v;
}

template <typename T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare(const ColumnType& type, const Value& v, const Literal& l) {
  switch (type.kind) {
    case ValueKind::Integer: {
      if (l.integer) return three_way(v.integer, *l.integer);
      auto d = detail::parse_decimal(std::to_string(v.integer));
      return detail::compare_decimals(*d, l.number);
    }
    case ValueKind::Decimal:
      return detail::compare_decimals(v.number, l.number);
    case ValueKind::Float:
      return three_way(v.as_float, l.as_float);
    case ValueKind::Double:
      return three_way(v.as_double, l.as_double);
    case ValueKind::Timestamp:
      return three_way(v.text, l.key);
    default: {
      const int c = v.text.compare(l.text);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
  }
}

Tri eval(const Node& n, const RowFilter::RowReader& row);

Tri eval_leaf(const Node& n, const RowFilter::RowReader& row) {
  const Value v = read_value(n.type, row(n.column));
  if (n.kind == Node::Kind::IsNull) return tri(v.present == n.negated);
  if (!v.present) return Tri::Unknown;
  switch (n.kind) {
    case Node::Kind::Compare: {
      return tri(catalog::expr::compare_holds(n.op, compare(n.type, v, n.literals.at(0))));
    }
    case Node::Kind::In: {
      bool found = false;
      for (const Literal& l : n.literals) found = found || compare(n.type, v, l) == 0;
      return tri(found != n.negated);
    }
    case Node::Kind::Between: {
      const bool inside =
          compare(n.type, v, n.literals.at(0)) >= 0 && compare(n.type, v, n.literals.at(1)) <= 0;
      return tri(inside != n.negated);
    }
    case Node::Kind::Like:
      return tri(catalog::like_matches(v.text, n.literals.at(0).text) != n.negated);
    default:
      return Tri::Unknown;
  }
}

Tri eval(const Node& n, const RowFilter::RowReader& row) {
  switch (n.kind) {
    case Node::Kind::And: {
      Tri result = Tri::True;
      for (const auto& child : n.children) {
        const Tri t = eval(*child, row);
        if (t == Tri::False) return Tri::False;
        if (t == Tri::Unknown) result = Tri::Unknown;
      }
      return result;
    }
    case Node::Kind::Or: {
      Tri result = Tri::False;
      for (const auto& child : n.children) {
        const Tri t = eval(*child, row);
        if (t == Tri::True) return Tri::True;
        if (t == Tri::Unknown) result = Tri::Unknown;
      }
      return result;
    }
    case Node::Kind::Not: {
      const Tri t = eval(*n.children.at(0), row);
      return t == Tri::Unknown ? t : (t == Tri::True ? Tri::False : Tri::True);
    }
    default:
      return eval_leaf(n, row);
  }
}

}  // namespace

// ---- public API ----

SqlDialect parse_sql_dialect(std::string_view text, const std::string& field) {
  const std::string l = lower(text);
  if (l == "duckdb") return SqlDialect::DuckDB;
  if (l == "trino") return SqlDialect::Trino;
  if (l == "spark") return SqlDialect::Spark;
  throw_invalid(field, field + ": unknown SQL dialect " + catalog::quote_for_message(text) +
                           " (expected duckdb, trino or spark)");
}

std::shared_ptr<const RowFilter> RowFilter::parse(std::string_view text,
                                                  const std::vector<catalog::Column>& columns,
                                                  const std::string& field) {
  std::shared_ptr<const Node> root = Parser(text, columns, field).parse();
  std::string canonical = minimal_text(*root, Style{});
  const std::size_t length = catalog::utf8_length(canonical);
  if (length > kMaxRowFilterLength) {
    // Normalising can lengthen a filter (spaces around operators, DATE before dates); a stored canonical
    // text must parse again, so it obeys the same limit.
    throw_invalid(field, field + ": the filter is " + std::to_string(length) +
                             " characters long once normalised (spaces around operators, DATE/TIMESTAMP "
                             "before dates); the limit is " +
                             std::to_string(kMaxRowFilterLength));
  }
  std::vector<std::string> names;
  collect_columns(*root, names);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return std::make_shared<const RowFilter>(std::move(root), std::move(canonical), std::move(names));
}

RowFilter::RowFilter(std::shared_ptr<const Node> root, std::string canonical,
                     std::vector<std::string> columns)
    : root_(std::move(root)), canonical_(std::move(canonical)), columns_(std::move(columns)) {}

const std::string& RowFilter::canonical_text() const {
  return canonical_;
}

std::string RowFilter::to_sql(SqlDialect dialect) const {
  Style style;
  style.target = Style::Target::Sql;
  style.dialect = dialect;
  return sql_text(*root_, style);
}

const std::vector<std::string>& RowFilter::referenced_columns() const {
  return columns_;
}

bool RowFilter::references_only(const std::vector<std::string>& names) const {
  for (const std::string& column : columns_) {
    bool found = false;
    for (const std::string& name : names) found = found || lower(name) == column;
    if (!found) return false;
  }
  return true;
}

std::optional<std::string> RowFilter::to_partition_expression(
    const std::vector<catalog::Column>& partition_keys) const {
  std::map<std::string, const catalog::Column*> keys;
  for (const catalog::Column& key : partition_keys) keys.emplace(lower(key.name), &key);
  std::shared_ptr<const Node> tree = glue_tree(*root_, keys);
  if (!tree) return std::nullopt;
  Style style;
  style.target = Style::Target::Glue;
  return minimal_text(*tree, style);
}

bool RowFilter::matches(const RowReader& row) const {
  return eval(*root_, row) == Tri::True;
}

std::string quote_identifier(std::string_view name, SqlDialect dialect) {
  const char q = dialect == SqlDialect::Spark ? '`' : '"';
  std::string out(1, q);
  for (char c : name) {
    out += c;
    if (c == q) out += c;
  }
  return out + q;
}

std::string quote_string(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += c;
  }
  return out + "'";
}

std::string quote_string(std::string_view text, SqlDialect dialect) {
  if (dialect != SqlDialect::Spark) return quote_string(text);
  // Spark's parser reads backslash escapes in string literals and joins adjacent literals ('a''b' is "ab"),
  // so a quote and a backslash are escaped with a backslash.
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace cairn::authz
