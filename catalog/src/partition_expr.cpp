#include "cairn/catalog/partition_expr.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>

#include "cairn/catalog/error.h"
#include "cairn/catalog/expr_lexer.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/names.h"
#include "cairn/catalog/validation.h"

namespace cairn::catalog {

// Grammar (Glue's GetPartitions `Expression`; keywords and key names are case-insensitive):
//   expr      := and_expr (OR and_expr)*
//   and_expr  := not_expr (AND not_expr)*
//   not_expr  := NOT not_expr | primary
//   primary   := '(' expr ')' | key predicate | literal cmp_op key
//   predicate := cmp_op literal | [NOT] IN '(' literal (',' literal)* ')' | [NOT] BETWEEN literal AND literal
//              | [NOT] LIKE string | IS [NOT] NULL
//   cmp_op    := = | <> | != | < | > | <= | >=
//   key       := identifier | `quoted` | "quoted"          (`` and "" escape the quote inside)
//   literal   := 'string' ('' escapes a quote) | [+-]digits[.digits][e[+-]digits]
// Literals are coerced to their key's KeyValueType while parsing. Chains of AND / OR are built as balanced
// trees, so evaluation depth grows with the logarithm of their length; parentheses and NOT nest at most
// kMaxDepth levels. LIKE has no escape character: % matches any sequence, _ one character, all else itself.

namespace {

constexpr std::size_t kMaxExpressionLength = 65536;
constexpr int kMaxDepth = 100;

using expr::lower;

using expr::Token;
using Tok = expr::TokenKind;

// Glue's spelling: names in "double" or `back` quotes, exponents, "1." is a number.
constexpr expr::LexSyntax kGlueSyntax{
    .name_quotes = "\"`",
    .exponent = true,
    .trailing_dot = true,
    .unterminated_string = "unterminated string literal",
    .unterminated_name = "unterminated quoted name",
    .empty_name = "empty quoted name",
    .after_number = " after number",
};

[[noreturn]] void fail_at(std::size_t pos, const std::string& message) {
  throw_invalid("expression", message + " at position " + std::to_string(pos));
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::End:
      return "end of input";
    case Tok::String:
      return "string " + quote_for_message(t.text);
    case Tok::QuotedIdent:
      return "quoted name " + quote_for_message(t.text);
    default:
      return quote_for_message(t.text);
  }
}

using NodePtr = std::unique_ptr<ExprNode>;

class ExprParser : private expr::TokenCursor {
 public:
  ExprParser(std::string_view text, const std::vector<Column>& keys) : text_(text), keys_(keys) {
    for (const Column& k : keys_) types_.push_back(key_value_type(k.type));
  }

  NodePtr parse() {
    if (text_.size() > kMaxExpressionLength) {
      throw_invalid("expression", "expression is longer than " + std::to_string(kMaxExpressionLength) +
                                      " characters (got " + std::to_string(text_.size()) + ")");
    }
    if (!is_valid_utf8(text_)) throw_invalid("expression", "expression is not valid UTF-8");
    expr::LexResult lexed = expr::tokenize(text_, kGlueSyntax);
    if (lexed.error) fail_at(lexed.error->pos, lexed.error->message);
    reset(std::move(lexed.tokens));
    if (peek().kind == Tok::End) throw_invalid("expression", "expression is empty");
    NodePtr root = parse_or(0);
    if (peek().kind != Tok::End) {
      fail_at(peek().pos,
              "unexpected " + describe(peek()) + " (expected AND, OR or the end of the expression)");
    }
    return root;
  }

 private:
  static NodePtr balance(ExprNode::Kind kind, std::vector<NodePtr>& items, std::size_t lo, std::size_t hi) {
    if (hi - lo == 1) return std::move(items[lo]);
    std::size_t mid = lo + (hi - lo) / 2;
    auto node = std::make_unique<ExprNode>();
    node->kind = kind;
    node->children.push_back(balance(kind, items, lo, mid));
    node->children.push_back(balance(kind, items, mid, hi));
    return node;
  }

  NodePtr parse_or(int depth) {
    std::vector<NodePtr> items;
    items.push_back(parse_and(depth));
    while (accept_keyword("or")) items.push_back(parse_and(depth));
    return balance(ExprNode::Kind::Or, items, 0, items.size());
  }

  NodePtr parse_and(int depth) {
    std::vector<NodePtr> items;
    items.push_back(parse_not(depth));
    while (accept_keyword("and")) items.push_back(parse_not(depth));
    return balance(ExprNode::Kind::And, items, 0, items.size());
  }

  void check_depth(int depth, std::size_t pos) {
    if (depth >= kMaxDepth) {
      fail_at(pos, "expression nests more than " + std::to_string(kMaxDepth) + " levels deep");
    }
  }

  NodePtr parse_not(int depth) {
    if (expr::is_keyword(peek(), "not")) {
      check_depth(depth, peek().pos);
      skip();
      auto node = std::make_unique<ExprNode>();
      node->kind = ExprNode::Kind::Not;
      node->children.push_back(parse_not(depth + 1));
      return node;
    }
    return parse_primary(depth);
  }

  NodePtr parse_primary(int depth) {
    const Token& t = peek();
    if (t.kind == Tok::LParen) {
      check_depth(depth, t.pos);
      skip();
      NodePtr inner = parse_or(depth + 1);
      if (peek().kind != Tok::RParen) {
        fail_at(peek().pos, "expected ')' to close the '(' at position " + std::to_string(t.pos) +
                                ", found " + describe(peek()));
      }
      skip();
      return inner;
    }
    if (t.kind == Tok::String || t.kind == Tok::Number) return parse_reversed_compare();
    int key = parse_key();
    return parse_predicate(key);
  }

  int parse_key() {
    const Token& t = next();
    if (t.kind == Tok::Ident && expr::is_reserved_word(lower(t.text))) {
      fail_at(t.pos, "expected a partition key, found keyword " + lower(t.text) +
                         " (quote a key of that name with backquotes)");
    }
    if (t.kind != Tok::Ident && t.kind != Tok::QuotedIdent) {
      fail_at(t.pos, "expected a partition key, '(' or NOT, found " + describe(t));
    }
    std::string name = lower(t.text);
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (lower(keys_[i].name) == name) return static_cast<int>(i);
    }
    std::string names;
    for (std::size_t i = 0; i < keys_.size(); ++i) names += (i ? ", " : "") + keys_[i].name;
    if (keys_.empty()) names = "none: the table is not partitioned";
    fail_at(t.pos, "unknown partition key " + quote_for_message(t.text) + " (keys: " + names + ")");
  }

  NodePtr leaf(ExprNode::Kind kind, int key) {
    auto node = std::make_unique<ExprNode>();
    node->kind = kind;
    node->key_index = key;
    node->key_type = types_[static_cast<std::size_t>(key)];
    return node;
  }

  // The literal token at the cursor, coerced to the type of `key`.
  ExprLiteral parse_literal(int key) {
    const Token& t = next();
    if (t.kind != Tok::String && t.kind != Tok::Number) {
      fail_at(t.pos, "expected a literal (a 'string' or a number) for partition key '" + key_name(key) +
                         "', found " + describe(t));
    }
    return coerce(t, key);
  }

  std::string key_name(int key) const { return keys_[static_cast<std::size_t>(key)].name; }

  [[noreturn]] void bad_literal(const Token& t, int key, const std::string& expected) {
    const Column& column = keys_[static_cast<std::size_t>(key)];
    std::string shown = t.kind == Tok::String ? quote_for_message(t.text) : t.text;
    fail_at(t.pos, "literal " + shown + " does not fit partition key '" + column.name + "' (" + column.type +
                       "): expected " + expected);
  }

  ExprLiteral coerce(const Token& t, int key) {
    switch (types_[static_cast<std::size_t>(key)]) {
      case KeyValueType::Integer: {
        auto v = parse_int64(t.text);
        if (!v) bad_literal(t, key, "an integer");
        return *v;
      }
      case KeyValueType::Number: {
        auto v = parse_number(t.text);
        if (!v) bad_literal(t, key, "a number");
        return *v;
      }
      case KeyValueType::Date:
        if (t.kind != Tok::String || !is_valid_date(t.text)) bad_literal(t, key, "a date 'YYYY-MM-DD'");
        return t.text;
      case KeyValueType::Timestamp:
        if (t.kind != Tok::String || !is_valid_timestamp(t.text)) {
          bad_literal(t, key, "a timestamp 'YYYY-MM-DD HH:MM:SS[.fff]'");
        }
        return t.text;
      case KeyValueType::String:
        return t.text;
    }
    return t.text;
  }

  NodePtr parse_reversed_compare() {
    Token literal = next();
    const Token& op = next();
    if (op.kind != Tok::Op) {
      fail_at(op.pos, "expected a comparison operator after the literal, found " + describe(op));
    }
    ExprNode::CompareOp cmp = expr::flip(expr::compare_op_from<ExprNode::CompareOp>(op.text));
    int key = parse_key();
    NodePtr node = leaf(ExprNode::Kind::Compare, key);
    node->op = cmp;
    node->literals.push_back(coerce(literal, key));
    return node;
  }

  NodePtr parse_predicate(int key) {
    const Token& t = peek();
    if (t.kind == Tok::Op) {
      skip();
      NodePtr node = leaf(ExprNode::Kind::Compare, key);
      node->op = expr::compare_op_from<ExprNode::CompareOp>(t.text);
      node->literals.push_back(parse_literal(key));
      return node;
    }
    if (accept_keyword("is")) {
      NodePtr node = leaf(ExprNode::Kind::IsNull, key);
      node->negated = accept_keyword("not");
      if (!accept_keyword("null")) fail_at(peek().pos, "expected NULL after IS, found " + describe(peek()));
      return node;
    }
    bool negated = accept_keyword("not");
    if (accept_keyword("in")) {
      NodePtr node = leaf(ExprNode::Kind::In, key);
      node->negated = negated;
      if (peek().kind != Tok::LParen) fail_at(peek().pos, "expected '(' after IN, found " + describe(peek()));
      skip();
      do {
        node->literals.push_back(parse_literal(key));
      } while (peek().kind == Tok::Comma && (skip(), true));
      if (peek().kind != Tok::RParen) {
        fail_at(peek().pos, "expected ',' or ')' in the IN list, found " + describe(peek()));
      }
      skip();
      return node;
    }
    if (accept_keyword("between")) {
      NodePtr node = leaf(ExprNode::Kind::Between, key);
      node->negated = negated;
      node->literals.push_back(parse_literal(key));
      if (!accept_keyword("and")) fail_at(peek().pos, "expected AND in BETWEEN, found " + describe(peek()));
      node->literals.push_back(parse_literal(key));
      return node;
    }
    if (accept_keyword("like")) {
      NodePtr node = leaf(ExprNode::Kind::Like, key);
      node->negated = negated;
      const Token& p = next();
      if (p.kind != Tok::String)
        fail_at(p.pos, "expected a 'pattern' string after LIKE, found " + describe(p));
      node->literals.push_back(p.text);
      return node;
    }
    const Token& bad = peek();
    if (negated) fail_at(bad.pos, "expected IN, BETWEEN or LIKE after NOT, found " + describe(bad));
    fail_at(bad.pos, "expected a comparison operator, IN, BETWEEN, LIKE or IS after partition key '" +
                         key_name(key) + "', found " + describe(bad));
  }

  std::string_view text_;
  const std::vector<Column>& keys_;
  std::vector<KeyValueType> types_;
};

// ---- evaluation (three-valued: a value that does not parse as its key's type is unknown, as SQL NULL) ----

enum class Tri { False, True, Unknown };

Tri tri(bool b) {
  return b ? Tri::True : Tri::False;
}
Tri negate(Tri t) {
  return t == Tri::Unknown ? t : (t == Tri::True ? Tri::False : Tri::True);
}

/// Bytes of the UTF-8 character starting at s[i] (1 for a byte that does not start one), capped at the end.
std::size_t code_point_length(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
  return std::min(n, s.size() - i);
}

// A value as its key's type: int64, double or the text itself; empty when it does not parse.
std::optional<ExprLiteral> typed_value(const std::string& value, KeyValueType type) {
  switch (type) {
    case KeyValueType::Integer:
      if (auto v = parse_int64(value)) return ExprLiteral(*v);
      return std::nullopt;
    case KeyValueType::Number:
      if (auto v = parse_number(value)) return ExprLiteral(*v);
      return std::nullopt;
    default:
      return ExprLiteral(value);
  }
}

// Three-way comparison of a typed value with a literal of the same alternative; empty when types differ.
std::optional<int> compare(const ExprLiteral& value, const ExprLiteral& literal) {
  if (value.index() != literal.index()) return std::nullopt;
  if (const auto* v = std::get_if<std::int64_t>(&value)) {
    auto l = std::get<std::int64_t>(literal);
    return *v < l ? -1 : *v > l ? 1 : 0;
  }
  if (const auto* v = std::get_if<double>(&value)) {
    double l = std::get<double>(literal);
    return *v < l ? -1 : *v > l ? 1 : 0;
  }
  int c = std::get<std::string>(value).compare(std::get<std::string>(literal));
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

Tri eval_leaf(const ExprNode& n, const std::vector<std::string>& values) {
  if (n.key_index < 0 || static_cast<std::size_t>(n.key_index) >= values.size()) return Tri::Unknown;
  const std::string& raw = values[static_cast<std::size_t>(n.key_index)];
  using K = ExprNode::Kind;
  if (n.kind == K::IsNull) return tri(n.negated);
  if (n.kind == K::Like) {
    const auto* pattern = n.literals.empty() ? nullptr : std::get_if<std::string>(&n.literals[0]);
    if (pattern == nullptr) return Tri::Unknown;
    return tri(like_matches(raw, *pattern) != n.negated);
  }
  auto value = typed_value(raw, n.key_type);
  if (!value) return Tri::Unknown;
  if (n.kind == K::Compare) {
    if (n.literals.empty()) return Tri::Unknown;
    auto c = compare(*value, n.literals[0]);
    if (!c) return Tri::Unknown;
    return tri(expr::compare_holds(n.op, *c));
  }
  if (n.kind == K::In) {
    bool found = false;
    for (const auto& literal : n.literals) {
      auto c = compare(*value, literal);
      if (!c) return Tri::Unknown;
      if (*c == 0) found = true;
    }
    return tri(found != n.negated);
  }
  if (n.kind == K::Between) {
    if (n.literals.size() != 2) return Tri::Unknown;
    auto lo = compare(*value, n.literals[0]);
    auto hi = compare(*value, n.literals[1]);
    if (!lo || !hi) return Tri::Unknown;
    return tri((*lo >= 0 && *hi <= 0) != n.negated);
  }
  return Tri::Unknown;
}

Tri eval(const ExprNode& n, const std::vector<std::string>& values) {
  switch (n.kind) {
    case ExprNode::Kind::And: {
      Tri result = Tri::True;
      for (const auto& child : n.children) {
        Tri t = eval(*child, values);
        if (t == Tri::False) return Tri::False;
        if (t == Tri::Unknown) result = Tri::Unknown;
      }
      return result;
    }
    case ExprNode::Kind::Or: {
      Tri result = Tri::False;
      for (const auto& child : n.children) {
        Tri t = eval(*child, values);
        if (t == Tri::True) return Tri::True;
        if (t == Tri::Unknown) result = Tri::Unknown;
      }
      return result;
    }
    case ExprNode::Kind::Not:
      return n.children.empty() ? Tri::Unknown : negate(eval(*n.children[0], values));
    default:
      return eval_leaf(n, values);
  }
}

// ---- SQL ----

std::string add_param(const PartitionExpression::SqlDialect& dialect, std::vector<ExprLiteral>& params,
                      const ExprLiteral& literal) {
  params.push_back(literal);
  return dialect.placeholder(static_cast<int>(params.size()));
}

std::string sql_of(const ExprNode& n, const PartitionExpression::SqlDialect& dialect,
                   std::vector<ExprLiteral>& params) {
  using K = ExprNode::Kind;
  switch (n.kind) {
    case K::And:
    case K::Or: {
      std::string out = "(";
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i > 0) out += n.kind == K::And ? " AND " : " OR ";
        out += sql_of(*n.children[i], dialect, params);
      }
      if (n.children.empty()) out += n.kind == K::And ? "1 = 1" : "1 = 0";
      return out + ")";
    }
    case K::Not:
      return "(NOT " +
             (n.children.empty() ? std::string("(1 = 0)") : sql_of(*n.children[0], dialect, params)) + ")";
    case K::IsNull:
      return n.negated ? "(1 = 1)" : "(1 = 0)";
    case K::Like: {
      std::string lhs = dialect.key_expr(n.key_index, KeyValueType::String);
      std::string like = dialect.like(lhs, add_param(dialect, params, n.literals.at(0)));
      return n.negated ? "(NOT (" + like + "))" : "(" + like + ")";
    }
    case K::Compare: {
      std::string lhs = dialect.key_expr(n.key_index, n.key_type);
      return "(" + lhs + " " + expr::compare_op_text(n.op) + " " +
             add_param(dialect, params, n.literals.at(0)) + ")";
    }
    case K::In: {
      std::string out = "(" + dialect.key_expr(n.key_index, n.key_type) + (n.negated ? " NOT IN (" : " IN (");
      for (std::size_t i = 0; i < n.literals.size(); ++i) {
        if (i > 0) out += ", ";
        out += add_param(dialect, params, n.literals[i]);
      }
      return out + "))";
    }
    case K::Between: {
      std::string out =
          "(" + dialect.key_expr(n.key_index, n.key_type) + (n.negated ? " NOT BETWEEN " : " BETWEEN ");
      out += add_param(dialect, params, n.literals.at(0));
      out += " AND ";
      out += add_param(dialect, params, n.literals.at(1));
      return out + ")";
    }
  }
  return "(1 = 0)";
}

}  // namespace

std::shared_ptr<const PartitionExpression> PartitionExpression::create(
    std::string_view text, const std::vector<Column>& partition_keys) {
  NodePtr root = ExprParser(text, partition_keys).parse();
  return std::make_shared<const PartitionExpression>(std::unique_ptr<const ExprNode>(std::move(root)));
}

bool PartitionExpression::matches(const std::vector<std::string>& values) const {
  return eval(*root_, values) == Tri::True;
}

std::string PartitionExpression::to_sql(const SqlDialect& dialect, std::vector<SqlParam>& params) const {
  return sql_of(*root_, dialect, params);
}

KeyValueType key_value_type(const std::string& hive_type) {
  HiveType type;
  try {
    type = parse_hive_type(hive_type);
  } catch (const Error&) {
    return KeyValueType::String;
  }
  using K = HiveType::Kind;
  switch (type.kind) {
    case K::TinyInt:
    case K::SmallInt:
    case K::Int:
    case K::BigInt:
      return KeyValueType::Integer;
    case K::Float:
    case K::Double:
    case K::Decimal:
      return KeyValueType::Number;
    case K::Date:
      return KeyValueType::Date;
    case K::Timestamp:
      return KeyValueType::Timestamp;
    default:
      return KeyValueType::String;
  }
}

bool like_matches(std::string_view value, std::string_view pattern) {
  std::size_t si = 0, pi = 0;
  std::size_t star_p = std::string_view::npos, star_s = 0;
  while (si < value.size()) {
    if (pi < pattern.size() && pattern[pi] == '%') {
      star_p = ++pi;
      star_s = si;
    } else if (pi < pattern.size() && pattern[pi] == '_') {
      si += code_point_length(value, si);
      ++pi;
    } else if (pi < pattern.size() && pattern[pi] == value[si]) {
      ++si;
      ++pi;
    } else if (star_p != std::string_view::npos) {
      star_s += code_point_length(value, star_s);
      si = star_s;
      pi = star_p;
    } else {
      return false;
    }
  }
  while (pi < pattern.size() && pattern[pi] == '%') ++pi;
  return pi == pattern.size();
}

}  // namespace cairn::catalog
