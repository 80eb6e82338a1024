// Fuzzes the partition filter parser (Glue's GetPartitions `Expression`) against a fixed table whose keys
// cover every KeyValueType: create() either builds a tree or throws cairn::Error; a built tree evaluates on
// several value rows and renders SQL in which literals appear only as placeholders.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/model.h"
#include "cairn/catalog/partition_expr.h"

namespace {

using cairn::catalog::Column;
using cairn::catalog::ExprLiteral;
using cairn::catalog::ExprNode;
using cairn::catalog::KeyValueType;
using cairn::catalog::PartitionExpression;

const std::vector<Column>& keys() {
  static const std::vector<Column> k = {
      {"region", "string", "", {}},       {"year", "int", "", {}},        {"dt", "date", "", {}},
      {"ratio", "double", "", {}},        {"hour", "bigint", "", {}},     {"ts", "timestamp", "", {}},
      {"price", "decimal(10,2)", "", {}}, {"Code", "varchar(8)", "", {}},
  };
  return k;
}

const std::vector<KeyValueType>& key_types() {
  static const std::vector<KeyValueType> types = [] {
    std::vector<KeyValueType> out;
    for (const Column& key : keys()) out.push_back(cairn::catalog::key_value_type(key.type));
    return out;
  }();
  return types;
}

class TestDialect : public PartitionExpression::SqlDialect {
 public:
  std::string key_expr(int key_index, KeyValueType type) const override {
    return "K" + std::to_string(key_index) + "T" + std::to_string(static_cast<int>(type));
  }
  std::string placeholder(int n) const override { return "?" + std::to_string(n); }
  std::string like(const std::string& lhs, const std::string& pattern_placeholder) const override {
    return lhs + " LIKE " + pattern_placeholder;
  }
};

std::string literal_text(const ExprLiteral& literal) {
  if (const auto* s = std::get_if<std::string>(&literal)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&literal)) return std::to_string(*i);
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::get<double>(literal));
  if (ec != std::errc()) __builtin_trap();
  return std::string(buf, end);
}

// Checks the tree's shape and fills `row` with a literal of each key the expression mentions, so that
// matches() also runs on values equal to the literals.
std::size_t walk(const ExprNode& n, std::vector<std::string>& row, int depth) {
  using K = ExprNode::Kind;
  if (depth > 400) __builtin_trap();  // the parser bounds nesting; And/Or chains are balanced
  std::size_t literal_count = n.literals.size();
  switch (n.kind) {
    case K::And:
    case K::Or:
      if (n.children.size() != 2) __builtin_trap();
      break;
    case K::Not:
      if (n.children.size() != 1) __builtin_trap();
      break;
    case K::Compare:
      if (n.literals.size() != 1) __builtin_trap();
      break;
    case K::Like:
      if (n.literals.size() != 1 || !std::holds_alternative<std::string>(n.literals[0])) __builtin_trap();
      break;
    case K::Between:
      if (n.literals.size() != 2) __builtin_trap();
      break;
    case K::In:
      if (n.literals.empty()) __builtin_trap();
      break;
    case K::IsNull:
      if (!n.literals.empty()) __builtin_trap();
      break;
  }
  if (n.kind != K::And && n.kind != K::Or && n.kind != K::Not) {
    if (n.key_index < 0 || static_cast<std::size_t>(n.key_index) >= keys().size()) __builtin_trap();
    if (n.key_type != key_types()[static_cast<std::size_t>(n.key_index)]) __builtin_trap();
    if (n.kind != K::Like) {
      // Literals are coerced to the key's type while parsing.
      const std::size_t expected = n.key_type == KeyValueType::Integer  ? 1
                                   : n.key_type == KeyValueType::Number ? 2
                                                                        : 0;
      for (const ExprLiteral& literal : n.literals) {
        if (literal.index() != expected) __builtin_trap();
      }
    }
    if (!n.literals.empty()) row[static_cast<std::size_t>(n.key_index)] = literal_text(n.literals[0]);
  }
  for (const auto& child : n.children) literal_count += walk(*child, row, depth + 1);
  return literal_count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<const PartitionExpression> expr;
  try {
    expr = PartitionExpression::create(text, keys());
  } catch (const cairn::Error& e) {
    if (e.code() != cairn::ErrorCode::InvalidArgument) __builtin_trap();
    return 0;
  }
  if (!expr) __builtin_trap();

  std::vector<std::string> from_literals = {"us-east-1",           "2024",  "2024-02-29", "0.5", "7",
                                            "2024-02-29 12:00:00", "19.99", "abc"};
  const std::size_t literal_count = walk(expr->root(), from_literals, 0);

  const std::vector<std::vector<std::string>> rows = {
      from_literals,
      {"eu-west-1", "2023", "2023-12-31", "1e3", "-1", "2023-12-31 23:59:59.999", "0", ""},
      {"", "abc", "not-a-date", "nan", "99999999999999999999", "", "-0.0", "%_"},
      {},  // fewer values than keys: leaves on missing keys are unknown
  };
  for (const auto& row : rows) (void)expr->matches(row);

  TestDialect dialect;
  std::vector<PartitionExpression::SqlParam> params = {std::string("already bound")};
  const std::string sql = expr->to_sql(dialect, params);
  if (params.size() != literal_count + 1) __builtin_trap();
  // Literals only ever appear as placeholders: the SQL holds nothing but dialect output and keywords, and
  // the placeholders are ?2..?(n+1), each once, numbering on after the parameter that was already bound.
  std::vector<int> seen(literal_count + 2, 0);
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '(' ||
                         c == ')' || c == '=' || c == '<' || c == '>' || c == ',' || c == '?';
    if (!allowed) __builtin_trap();
    if (c != '?') continue;
    std::size_t n = 0;
    while (i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') n = n * 10 + (sql[++i] - '0');
    if (n < 2 || n >= seen.size() || seen[n]++ != 0) __builtin_trap();
  }
  for (std::size_t n = 2; n < seen.size(); ++n) {
    if (seen[n] != 1) __builtin_trap();
  }
  return 0;
}
