#include "cairn/catalog/partition_expr.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "cairn/catalog/error.h"

namespace cairn::catalog {
namespace {

using nlohmann::json;

std::vector<Column> keys(std::initializer_list<std::pair<const char*, const char*>> list) {
  std::vector<Column> out;
  for (const auto& [name, type] : list) out.push_back(Column{name, type, "", {}});
  return out;
}

// Key i typed T reads as "k<i>_<T>"; placeholders are "?<n>"; LIKE is "<lhs> LIKE <ph>". Every token of the
// SQL is one of these or a fixed keyword, which the tests check.
struct FakeDialect : PartitionExpression::SqlDialect {
  std::string key_expr(int key_index, KeyValueType type) const override {
    return "k" + std::to_string(key_index) + "_" + std::to_string(static_cast<int>(type));
  }
  std::string placeholder(int n) const override { return "?" + std::to_string(n); }
  std::string like(const std::string& lhs, const std::string& pattern_placeholder) const override {
    return lhs + " LIKE " + pattern_placeholder;
  }
};

// Reads key i from table column v<i>, typed like the store would: CAST for Integer / Number.
struct SqliteDialect : PartitionExpression::SqlDialect {
  std::string key_expr(int key_index, KeyValueType type) const override {
    std::string column = "v" + std::to_string(key_index);
    if (type == KeyValueType::Integer) return "CAST(" + column + " AS INTEGER)";
    if (type == KeyValueType::Number) return "CAST(" + column + " AS REAL)";
    return column;
  }
  std::string placeholder(int n) const override { return "?" + std::to_string(n); }
  std::string like(const std::string& lhs, const std::string& pattern_placeholder) const override {
    return lhs + " LIKE " + pattern_placeholder;
  }
};

// Every token of `sql` is a fixed keyword/operator, a placeholder or a key expression of FakeDialect.
bool only_safe_tokens(const std::string& sql, std::string& offending) {
  static const std::set<std::string> fixed = {"AND", "OR", "NOT", "IN", "BETWEEN", "LIKE", "=", "<>", "<",
                                              ">",   "<=", ">=",  "1",  "0",       ",",    "(", ")"};
  std::string spaced;
  for (char c : sql) {
    if (c == '(' || c == ')' || c == ',') {
      spaced += ' ';
      spaced += c;
      spaced += ' ';
    } else {
      spaced += c;
    }
  }
  std::istringstream in(spaced);
  std::string token;
  while (in >> token) {
    if (fixed.count(token)) continue;
    bool placeholder =
        token.size() > 1 && token[0] == '?' && token.find_first_not_of("0123456789", 1) == std::string::npos;
    bool key = token.size() > 3 && token[0] == 'k' && token.find('_') != std::string::npos &&
               token.find_first_not_of("0123456789_", 1) == std::string::npos;
    if (!placeholder && !key) {
      offending = token;
      return false;
    }
  }
  return true;
}

std::size_t count_placeholders(const std::string& sql) {
  std::size_t n = 0;
  for (char c : sql) n += c == '?';
  return n;
}

class SqliteRow {
 public:
  explicit SqliteRow(std::size_t columns) {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    std::string create = "CREATE TABLE p(";
    for (std::size_t i = 0; i < columns; ++i) create += (i ? ", v" : "v") + std::to_string(i);
    create += ")";
    exec(create);
    exec("PRAGMA case_sensitive_like = ON");
  }
  ~SqliteRow() { sqlite3_close(db_); }

  // Whether the single row `values` satisfies `where` with `params` bound.
  bool matches(const std::vector<std::string>& values, const std::string& where,
               const std::vector<ExprLiteral>& params) {
    exec("DELETE FROM p");
    std::string insert = "INSERT INTO p VALUES(";
    for (std::size_t i = 0; i < values.size(); ++i) insert += i ? ", ?" : "?";
    insert += ")";
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, insert.c_str(), -1, &st, nullptr), SQLITE_OK);
    for (std::size_t i = 0; i < values.size(); ++i) {
      sqlite3_bind_text(st, static_cast<int>(i + 1), values[i].data(), static_cast<int>(values[i].size()),
                        SQLITE_TRANSIENT);
    }
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);

    std::string query = "SELECT count(*) FROM p WHERE " + where;
    st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, query.c_str(), -1, &st, nullptr), SQLITE_OK)
        << query << ": " << sqlite3_errmsg(db_);
    for (std::size_t i = 0; i < params.size(); ++i) {
      int n = static_cast<int>(i + 1);
      if (const auto* s = std::get_if<std::string>(&params[i])) {
        sqlite3_bind_text(st, n, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
      } else if (const auto* v = std::get_if<std::int64_t>(&params[i])) {
        sqlite3_bind_int64(st, n, *v);
      } else {
        sqlite3_bind_double(st, n, std::get<double>(params[i]));
      }
    }
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    bool result = sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    return result;
  }

 private:
  void exec(const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
  }
  sqlite3* db_ = nullptr;
};

json load_cases() {
  std::ifstream in(std::string(CAIRN_SOURCE_DIR) + "/tests/catalog/data/partition_expr_cases.json");
  EXPECT_TRUE(in.good());
  return json::parse(in);
}

std::vector<Column> key_set(const json& doc, const json& ref) {
  const json& list = ref.is_string() ? doc.at("key_sets").at(ref.get<std::string>()) : ref;
  std::vector<Column> out;
  for (const auto& k : list) out.push_back(Column{k.at("name"), k.at("type"), "", {}});
  return out;
}

std::string error_of(std::string_view text, const std::vector<Column>& k) {
  try {
    PartitionExpression::create(text, k);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), "expression");
    return e.what();
  }
  return "<no error>";
}

TEST(PartitionExpression, DataDrivenCases) {
  json doc = load_cases();
  ASSERT_GE(doc.at("cases").size(), 60u);
  FakeDialect fake;
  SqliteDialect lite;
  for (const auto& c : doc.at("cases")) {
    std::string expr = c.at("expr");
    SCOPED_TRACE(expr);
    auto k = key_set(doc, c.at("keys"));
    std::shared_ptr<const PartitionExpression> e;
    try {
      e = PartitionExpression::create(expr, k);
    } catch (const Error& err) {
      ADD_FAILURE() << "unexpected error: " << err.what();
      continue;
    }
    for (const auto& v : c.at("matches")) {
      EXPECT_TRUE(e->matches(v.get<std::vector<std::string>>())) << v.dump();
    }
    for (const auto& v : c.at("rejects")) {
      EXPECT_FALSE(e->matches(v.get<std::vector<std::string>>())) << v.dump();
    }

    std::vector<ExprLiteral> params;
    std::string sql = e->to_sql(fake, params);
    std::string offending;
    EXPECT_TRUE(only_safe_tokens(sql, offending)) << sql << " has " << offending;
    EXPECT_EQ(count_placeholders(sql), params.size()) << sql;
    EXPECT_EQ(sql.front(), '(') << sql;
    EXPECT_EQ(sql.back(), ')') << sql;

    if (c.value("sql", true)) {
      std::vector<ExprLiteral> lite_params;
      std::string where = e->to_sql(lite, lite_params);
      SqliteRow row(k.size());
      for (const auto& v : c.at("matches")) {
        EXPECT_TRUE(row.matches(v.get<std::vector<std::string>>(), where, lite_params)) << where << v.dump();
      }
      for (const auto& v : c.at("rejects")) {
        EXPECT_FALSE(row.matches(v.get<std::vector<std::string>>(), where, lite_params)) << where << v.dump();
      }
    }
  }
}

TEST(PartitionExpression, DataDrivenErrors) {
  json doc = load_cases();
  ASSERT_GE(doc.at("errors").size(), 30u);
  for (const auto& c : doc.at("errors")) {
    std::string expr = c.at("expr");
    SCOPED_TRACE(expr);
    std::string message = error_of(expr, key_set(doc, c.at("keys")));
    for (const auto& fragment : c.at("error_contains")) {
      EXPECT_NE(message.find(fragment.get<std::string>()), std::string::npos)
          << "message: " << message << "\nmissing: " << fragment;
    }
  }
}

TEST(PartitionExpression, InjectionTextOnlyInParams) {
  auto k = keys({{"year", "int"}, {"month", "string"}});
  auto e = PartitionExpression::create("month = 'x'' OR 1=1' OR month LIKE '%''; DROP TABLE t; --'", k);
  FakeDialect d;
  std::vector<ExprLiteral> params;
  std::string sql = e->to_sql(d, params);
  EXPECT_EQ(sql.find("OR 1=1"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("DROP"), std::string::npos) << sql;
  EXPECT_EQ(sql.find('\''), std::string::npos) << sql;
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(std::get<std::string>(params[0]), "x' OR 1=1");
  EXPECT_EQ(std::get<std::string>(params[1]), "%'; DROP TABLE t; --");
  EXPECT_EQ(sql, "((k1_0 = ?1) OR (k1_0 LIKE ?2))");
}

TEST(PartitionExpression, ToSqlShapes) {
  auto k = keys({{"year", "int"}, {"month", "string"}, {"price", "double"}});
  FakeDialect d;
  auto sql = [&](const char* text) {
    std::vector<ExprLiteral> params;
    return PartitionExpression::create(text, k)->to_sql(d, params);
  };
  EXPECT_EQ(sql("year = 1"), "(k0_1 = ?1)");
  EXPECT_EQ(sql("year != 1"), "(k0_1 <> ?1)");
  EXPECT_EQ(sql("year IN (1, 2, 3)"), "(k0_1 IN (?1, ?2, ?3))");
  EXPECT_EQ(sql("year NOT IN (1)"), "(k0_1 NOT IN (?1))");
  EXPECT_EQ(sql("price BETWEEN 1 AND 2"), "(k2_2 BETWEEN ?1 AND ?2)");
  EXPECT_EQ(sql("price NOT BETWEEN 1 AND 2"), "(k2_2 NOT BETWEEN ?1 AND ?2)");
  EXPECT_EQ(sql("month NOT LIKE 'a%'"), "(NOT (k1_0 LIKE ?1))");
  EXPECT_EQ(sql("year LIKE '2%'"), "(k0_0 LIKE ?1)");  // LIKE reads the key as text
  EXPECT_EQ(sql("year IS NULL"), "(1 = 0)");
  EXPECT_EQ(sql("year IS NOT NULL"), "(1 = 1)");
  EXPECT_EQ(sql("NOT year = 1"), "(NOT (k0_1 = ?1))");
  EXPECT_EQ(sql("year = 1 AND month = 'a'"), "((k0_1 = ?1) AND (k1_0 = ?2))");
  EXPECT_EQ(sql("year = 1 OR year = 2 AND month = 'a'"), "((k0_1 = ?1) OR ((k0_1 = ?2) AND (k1_0 = ?3)))");
}

TEST(PartitionExpression, ParamsContinueNumbering) {
  auto k = keys({{"year", "int"}});
  FakeDialect d;
  std::vector<ExprLiteral> params = {std::string("db"), std::string("tbl")};
  std::string sql = PartitionExpression::create("year BETWEEN 1 AND 5", k)->to_sql(d, params);
  EXPECT_EQ(sql, "(k0_1 BETWEEN ?3 AND ?4)");
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(std::get<std::int64_t>(params[2]), 1);
  EXPECT_EQ(std::get<std::int64_t>(params[3]), 5);
}

TEST(PartitionExpression, LiteralsAreCoercedToKeyType) {
  auto k = keys({{"year", "smallint"}, {"price", "decimal(10,2)"}, {"day", "date"}, {"name", "varchar(10)"}});
  auto e = PartitionExpression::create("year = '2020' AND price = 3 AND day = '2020-02-29' AND name = 42", k);
  std::vector<const ExprNode*> leaves;
  std::vector<const ExprNode*> stack = {&e->root()};
  while (!stack.empty()) {
    const ExprNode* n = stack.back();
    stack.pop_back();
    if (n->kind == ExprNode::Kind::And) {
      for (const auto& c : n->children) stack.push_back(c.get());
    } else {
      leaves.push_back(n);
    }
  }
  ASSERT_EQ(leaves.size(), 4u);
  for (const ExprNode* leaf : leaves) {
    ASSERT_EQ(leaf->literals.size(), 1u);
    switch (leaf->key_index) {
      case 0:
        EXPECT_EQ(leaf->key_type, KeyValueType::Integer);
        EXPECT_EQ(std::get<std::int64_t>(leaf->literals[0]), 2020);
        break;
      case 1:
        EXPECT_EQ(leaf->key_type, KeyValueType::Number);
        EXPECT_EQ(std::get<double>(leaf->literals[0]), 3.0);
        break;
      case 2:
        EXPECT_EQ(leaf->key_type, KeyValueType::Date);
        EXPECT_EQ(std::get<std::string>(leaf->literals[0]), "2020-02-29");
        break;
      case 3:
        EXPECT_EQ(leaf->key_type, KeyValueType::String);
        EXPECT_EQ(std::get<std::string>(leaf->literals[0]), "42");
        break;
      default:
        ADD_FAILURE() << "unexpected key " << leaf->key_index;
    }
  }
}

TEST(PartitionExpression, KeyValueTypeMapping) {
  EXPECT_EQ(key_value_type("tinyint"), KeyValueType::Integer);
  EXPECT_EQ(key_value_type("smallint"), KeyValueType::Integer);
  EXPECT_EQ(key_value_type("INT"), KeyValueType::Integer);
  EXPECT_EQ(key_value_type("integer"), KeyValueType::Integer);
  EXPECT_EQ(key_value_type("bigint"), KeyValueType::Integer);
  EXPECT_EQ(key_value_type("float"), KeyValueType::Number);
  EXPECT_EQ(key_value_type("double"), KeyValueType::Number);
  EXPECT_EQ(key_value_type("decimal(10,2)"), KeyValueType::Number);
  EXPECT_EQ(key_value_type("decimal"), KeyValueType::Number);
  EXPECT_EQ(key_value_type("date"), KeyValueType::Date);
  EXPECT_EQ(key_value_type("timestamp"), KeyValueType::Timestamp);
  EXPECT_EQ(key_value_type("string"), KeyValueType::String);
  EXPECT_EQ(key_value_type("varchar(5)"), KeyValueType::String);
  EXPECT_EQ(key_value_type("boolean"), KeyValueType::String);
  EXPECT_EQ(key_value_type("not a type"), KeyValueType::String);
}

TEST(PartitionExpression, NestingDepthIsLimited) {
  auto k = keys({{"year", "int"}});
  std::string ok = std::string(99, '(') + "year = 1" + std::string(99, ')');
  EXPECT_TRUE(PartitionExpression::create(ok, k)->matches({"1"}));
  std::string deep = std::string(5000, '(') + "year = 1" + std::string(5000, ')');
  EXPECT_NE(error_of(deep, k).find("nests more than 100 levels"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "NOT ";
  EXPECT_NE(error_of(nots + "year = 1", k).find("nests more than 100 levels"), std::string::npos);
}

int depth(const ExprNode& n) {
  int d = 0;
  for (const auto& c : n.children) d = std::max(d, depth(*c));
  return d + 1;
}

TEST(PartitionExpression, LongChainsAreBalanced) {
  auto k = keys({{"dt", "string"}});
  std::string text;
  for (int i = 0; i < 3000; ++i) text += (i ? " OR dt = '" : "dt = '") + std::to_string(i) + "'";
  ASSERT_LT(text.size(), 65536u);
  auto e = PartitionExpression::create(text, k);
  EXPECT_LE(depth(e->root()), 14);
  EXPECT_TRUE(e->matches({"2999"}));
  EXPECT_TRUE(e->matches({"0"}));
  EXPECT_FALSE(e->matches({"3000"}));
}

TEST(PartitionExpression, LengthIsLimited) {
  auto k = keys({{"dt", "string"}});
  std::string text = "dt = '" + std::string(70000, 'a') + "'";
  EXPECT_NE(error_of(text, k).find("longer than 65536"), std::string::npos);
  std::string fits = "dt = '" + std::string(65000, 'a') + "'";
  EXPECT_TRUE(PartitionExpression::create(fits, k)->matches({std::string(65000, 'a')}));
}

TEST(PartitionExpression, RejectsInvalidUtf8) {
  auto k = keys({{"dt", "string"}});
  EXPECT_NE(error_of("dt = '\xff'", k).find("not valid UTF-8"), std::string::npos);
}

TEST(PartitionExpression, UnpartitionedTableHasNoKeys) {
  EXPECT_NE(error_of("x = 1", {}).find("unknown partition key 'x' (keys: none"), std::string::npos);
}

TEST(PartitionExpression, MissingValuesNeverMatch) {
  auto k = keys({{"year", "int"}, {"month", "string"}});
  auto e = PartitionExpression::create("NOT month = 'a'", k);
  EXPECT_FALSE(e->matches({"2020"}));
  EXPECT_TRUE(e->matches({"2020", "b"}));
}

TEST(PartitionExpression, LikeIsLinearEnoughOnHostilePatterns) {
  auto k = keys({{"dt", "string"}});
  auto e = PartitionExpression::create("dt LIKE '%a%a%a%a%a%a%a%a%a%a%b'", k);
  EXPECT_FALSE(e->matches({std::string(1000, 'a')}));
  EXPECT_TRUE(e->matches({std::string(1000, 'a') + "b"}));
}

TEST(PartitionExpression, RandomInputOnlyThrowsError) {
  auto k = keys({{"year", "int"}, {"month", "string"}, {"price", "double"}, {"day", "date"}});
  const std::vector<std::string> words = {"year",      "month",
                                          "price",     "day",
                                          "AND",       "OR",
                                          "NOT",       "IN",
                                          "BETWEEN",   "LIKE",
                                          "IS",        "NULL",
                                          "(",         ")",
                                          ",",         "=",
                                          "<>",        "!=",
                                          "<",         ">=",
                                          "'a''b'",    "'2020-01-01'",
                                          "2020",      "-1.5",
                                          "1e3",       "`year`",
                                          "\"month\"", "'%_'",
                                          "'",         "`",
                                          ".",         "!",
                                          "\xff",      "x"};
  std::mt19937 rng(4242);
  FakeDialect d;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int w = 0; w < n; ++w) text += words[rng() % words.size()] + (rng() % 4 ? " " : "");
    try {
      auto e = PartitionExpression::create(text, k);
      e->matches({"2020", "ab", "1.5", "2020-01-01"});
      std::vector<ExprLiteral> params;
      std::string sql = e->to_sql(d, params);
      std::string offending;
      EXPECT_TRUE(only_safe_tokens(sql, offending)) << text << " -> " << sql;
      EXPECT_EQ(count_placeholders(sql), params.size()) << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << text;
      EXPECT_EQ(e.field(), "expression");
    }
  }
}

}  // namespace
}  // namespace cairn::catalog
