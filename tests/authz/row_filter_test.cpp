#include "cairn/authz/row_filter.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/partition_expr.h"

namespace cairn::authz {
namespace {

using catalog::Column;

std::vector<Column> table_columns() {
  return {
      {"id", "bigint", "", {}},          {"country", "string", "", {}},
      {"year", "int", "", {}},           {"amount", "decimal(10,2)", "", {}},
      {"score", "double", "", {}},       {"ratio", "float", "", {}},
      {"active", "boolean", "", {}},     {"d", "date", "", {}},
      {"ts", "timestamp", "", {}},       {"code", "varchar(8)", "", {}},
      {"tags", "array<string>", "", {}}, {"payload", "binary", "", {}},
      {"tiny", "tinyint", "", {}},       {"date", "date", "", {}},
      {"first name", "string", "", {}},
  };
}

std::shared_ptr<const RowFilter> parse(const std::string& text) {
  return RowFilter::parse(text, table_columns());
}

// The error a filter raises: its code must be InvalidArgument; returns "field|message".
std::string error_of(const std::string& text, const std::string& field = "row_filter") {
  try {
    RowFilter::parse(text, table_columns(), field);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << text;
    return e.field() + "|" + e.what();
  }
  ADD_FAILURE() << "no error for: " << text;
  return "";
}

using Row = std::map<std::string, std::optional<std::string>>;

bool matches(const std::string& text, const Row& row) {
  return parse(text)->matches([&](std::string_view column) -> std::optional<std::string> {
    auto it = row.find(std::string(column));
    return it == row.end() ? std::nullopt : it->second;
  });
}

// ---- errors: every path, with its field and message ----

TEST(RowFilterErrors, EmptyAndBlank) {
  EXPECT_EQ(error_of(""), "row_filter|row_filter: the filter is empty");
  EXPECT_EQ(error_of("  \n\t "), "row_filter|row_filter: the filter is empty");
}

TEST(RowFilterErrors, FieldNameIsTheCallers) {
  EXPECT_EQ(error_of("", "filters[2].row_filter"),
            "filters[2].row_filter|filters[2].row_filter: the filter is empty");
}

TEST(RowFilterErrors, TooLong) {
  std::string text = "country = '" + std::string(2040, 'x') + "'";
  EXPECT_EQ(error_of(text), "row_filter|row_filter: the filter is 2052 characters long; the limit is 2048");
  // Characters, not bytes: 2048 two-byte characters with the rest of the filter are still too long, and
  // exactly 2048 characters pass.
  std::string exact = "country = '" + std::string(2048 - 12, 'y') + "'";
  ASSERT_EQ(exact.size(), 2048u);
  EXPECT_NO_THROW(parse(exact));
}

TEST(RowFilterErrors, TooLongOnceNormalised) {
  // 2048 characters as written, longer once spaces and DATE are added: the canonical text must parse again.
  std::string text = "d='2024-01-01'";
  while (text.size() + 18 <= 2048) text += " OR d='2024-01-01'";
  ASSERT_LE(text.size(), 2048u);
  EXPECT_EQ(error_of(text).rfind("row_filter|row_filter: the filter is ", 0), 0u);
  EXPECT_NE(error_of(text).find("characters long once normalised"), std::string::npos);
}

TEST(RowFilterErrors, InvalidUtf8AndControlCharacters) {
  EXPECT_EQ(error_of("country = '\xff'"), "row_filter|row_filter: the filter is not valid UTF-8");
  EXPECT_EQ(error_of(std::string("country = 'a\0b'", 15)),
            "row_filter|row_filter: at character 13: unexpected control character '\\x00'");
  EXPECT_EQ(error_of("country = \x01"),
            "row_filter|row_filter: at character 11: unexpected control character '\\x01'");
}

TEST(RowFilterErrors, UnknownColumnNamesItAndListsTheColumns) {
  EXPECT_EQ(
      error_of("contry = 'x'"),
      "row_filter|row_filter: at character 1: unknown column 'contry'; did you mean 'country'? (table "
      "columns: "
      "id, country, year, amount, score, ratio, active, d, ts, code, tags, payload, tiny, date, first name)");
  EXPECT_EQ(error_of("id = 1 AND zzz IS NULL").substr(0, 62),
            "row_filter|row_filter: at character 12: unknown column 'zzz' (");
  try {
    RowFilter::parse("x = 1", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "row_filter: at character 1: unknown column 'x' (the table has no columns)");
  }
}

TEST(RowFilterErrors, LongColumnListsAreCut) {
  std::vector<Column> columns;
  for (int i = 0; i < 25; ++i) columns.push_back({"c" + std::to_string(i), "int", "", {}});
  try {
    RowFilter::parse("nope = 1", columns);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c19, … (5 more))"), std::string::npos) << e.what();
  }
}

TEST(RowFilterErrors, ComplexColumnsCannotBeUsed) {
  EXPECT_EQ(
      error_of("tags IS NULL"),
      "row_filter|row_filter: at character 1: column 'tags' is array<string>: row filters cannot use array, "
      "map, struct or uniontype columns");
}

TEST(RowFilterErrors, SyntaxErrorsSayWhereAndWhat) {
  EXPECT_EQ(
      error_of("country = 'x' AND id ="),
      "row_filter|row_filter: at character 23: expected a value after '=', found the end of the filter");
  EXPECT_EQ(error_of("id = 1 AND"),
            "row_filter|row_filter: at character 11: expected a condition, found the end of the filter");
  EXPECT_EQ(error_of("(id = 1"),
            "row_filter|row_filter: at character 8: expected ')' to close the '(' at character 1, found the "
            "end of the filter");
  EXPECT_EQ(error_of("id = 1)"),
            "row_filter|row_filter: at character 7: expected AND, OR or the end of the filter, found ')'");
  EXPECT_EQ(
      error_of("id 1"),
      "row_filter|row_filter: at character 4: expected a comparison operator (=, <>, !=, <, >, <=, >=), IN, "
      "BETWEEN, LIKE or IS after column 'id', found number 1");
  EXPECT_EQ(error_of("id NOT 1"),
            "row_filter|row_filter: at character 8: expected IN, BETWEEN or LIKE after NOT, found number 1");
  EXPECT_EQ(error_of("id IS 1"),
            "row_filter|row_filter: at character 7: expected NULL after IS, found number 1");
  EXPECT_EQ(error_of("id IS NOT x"),
            "row_filter|row_filter: at character 11: expected NULL after IS NOT, found 'x'");
  EXPECT_EQ(error_of("id IN 1"),
            "row_filter|row_filter: at character 7: expected '(' after IN, found number 1");
  EXPECT_EQ(error_of("id IN ()"),
            "row_filter|row_filter: at character 8: expected a value in the IN list, found ')'");
  EXPECT_EQ(error_of("id IN (1 2)"),
            "row_filter|row_filter: at character 10: expected ',' or ')' in the IN list, found number 2");
  EXPECT_EQ(error_of("id BETWEEN 1 OR 2"),
            "row_filter|row_filter: at character 14: expected AND between the two bounds of BETWEEN, found "
            "keyword OR");
  EXPECT_EQ(error_of("country LIKE 5"),
            "row_filter|row_filter: at character 14: expected a 'pattern' string after LIKE, found number 5");
  EXPECT_EQ(error_of("AND = 1"),
            "row_filter|row_filter: at character 1: expected a column, '(' or NOT, found keyword AND (write "
            "\"and\" for "
            "a column of that name)");
  EXPECT_EQ(error_of("= 1"),
            "row_filter|row_filter: at character 1: expected a column, '(' or NOT, found '='");
  EXPECT_EQ(
      error_of("1 IN (id)"),
      "row_filter|row_filter: at character 3: expected a comparison operator after 1, found keyword IN (IN, "
      "BETWEEN and LIKE must follow the column)");
  EXPECT_EQ(error_of("1 = 2"),
            "row_filter|row_filter: at character 5: expected a column after '=', found number 2");
}

TEST(RowFilterErrors, LexicalErrors) {
  EXPECT_EQ(error_of("country = 'abc"),
            "row_filter|row_filter: at character 11: unterminated string (a ' is missing)");
  EXPECT_EQ(error_of("\"country = 'x'"),
            "row_filter|row_filter: at character 1: unterminated quoted column name (a \" is missing)");
  EXPECT_EQ(error_of("\"\" = 1"), "row_filter|row_filter: at character 1: empty quoted column name \"\"");
  EXPECT_EQ(error_of("id ! 1"), "row_filter|row_filter: at character 4: unexpected '!' (did you mean '!='?)");
  EXPECT_EQ(
      error_of("id = 1e5"),
      "row_filter|row_filter: at character 7: unexpected 'e' after a number (numbers are digits with an "
      "optional decimal point)");
  EXPECT_EQ(error_of("id = 5."),
            "row_filter|row_filter: at character 7: expected digits after the decimal point");
  EXPECT_EQ(error_of("id = ."), "row_filter|row_filter: at character 6: unexpected '.'");
  EXPECT_EQ(error_of("`id` = 1"),
            "row_filter|row_filter: at character 1: unexpected '`' (quote column names with double quotes: "
            "\"name\")");
  EXPECT_EQ(error_of("id = 1; DROP TABLE t"),
            "row_filter|row_filter: at character 7: unexpected character ';'");
  EXPECT_EQ(error_of("id = 1 -- comment"), "row_filter|row_filter: at character 8: unexpected character '-'");
  // Positions count characters, not bytes.
  EXPECT_EQ(error_of("country = 'é' AND"),
            "row_filter|row_filter: at character 18: expected a condition, found the end of the filter");
}

TEST(RowFilterErrors, NullIsOnlyForIsNull) {
  const std::string message =
      "NULL cannot be compared with anything; test a column with IS NULL or IS NOT NULL";
  EXPECT_EQ(error_of("id = NULL"), "row_filter|row_filter: at character 6: " + message);
  EXPECT_EQ(error_of("id IN (1, NULL)"), "row_filter|row_filter: at character 11: " + message);
  EXPECT_EQ(error_of("NULL = id"), "row_filter|row_filter: at character 1: " + message);
}

TEST(RowFilterErrors, ColumnAgainstColumnIsRefused) {
  EXPECT_EQ(
      error_of("id = year"),
      "row_filter|row_filter: at character 6: expected a value after '=', found column 'year' (a condition "
      "compares a column with constant values, not with another column)");
}

TEST(RowFilterErrors, NestingDepth) {
  std::string ok = std::string(64, '(') + "id = 1" + std::string(64, ')');
  EXPECT_NO_THROW(parse(ok));
  std::string deep = std::string(65, '(') + "id = 1" + std::string(65, ')');
  EXPECT_EQ(
      error_of(deep),
      "row_filter|row_filter: at character 65: the filter nests more than 64 levels of parentheses and NOT");
  std::string nots;
  for (int i = 0; i < 65; ++i) nots += "NOT ";
  EXPECT_EQ(
      error_of(nots + "id = 1"),
      "row_filter|row_filter: at character 257: the filter nests more than 64 levels of parentheses and NOT");
  // Long flat chains are not nesting.
  std::string chain = "id = 0";
  for (int i = 1; i < 150; ++i) chain += " OR id = " + std::to_string(i);
  EXPECT_NO_THROW(parse(chain));
}

TEST(RowFilterErrors, LiteralsMustFitTheColumnType) {
  EXPECT_EQ(error_of("id = 'abc'"),
            "row_filter|row_filter: at character 6: column 'id' is bigint: 'abc' is not a number");
  EXPECT_EQ(error_of("year = TRUE"),
            "row_filter|row_filter: at character 8: column 'year' is int: expected a number, found TRUE");
  EXPECT_EQ(error_of("country = 5"),
            "row_filter|row_filter: at character 11: column 'country' is string: compare it with a 'quoted "
            "string', "
            "not 5");
  EXPECT_EQ(
      error_of("d = '2024-02-30'"),
      "row_filter|row_filter: at character 5: column 'd' is date: '2024-02-30' is not a date 'YYYY-MM-DD'");
  EXPECT_EQ(
      error_of("d = TIMESTAMP '2024-01-01 00:00:00'"),
      "row_filter|row_filter: at character 5: column 'd' is date: expected a date (DATE 'YYYY-MM-DD' or "
      "'YYYY-MM-DD'), found TIMESTAMP '2024-01-01 00:00:00'");
  EXPECT_EQ(
      error_of("d = 20240101"),
      "row_filter|row_filter: at character 5: column 'd' is date: expected a date (DATE 'YYYY-MM-DD' or "
      "'YYYY-MM-DD'), found 20240101");
  EXPECT_EQ(error_of("ts > 'noon'"),
            "row_filter|row_filter: at character 6: column 'ts' is timestamp: 'noon' is not a timestamp "
            "'YYYY-MM-DD "
            "HH:MM:SS[.ffffff]' (at most 6 fraction digits) or a date 'YYYY-MM-DD'");
  EXPECT_EQ(error_of("active = 'yes'"),
            "row_filter|row_filter: at character 10: column 'active' is boolean: expected TRUE or FALSE, "
            "found 'yes'");
  EXPECT_EQ(error_of("payload = 'x'"),
            "row_filter|row_filter: at character 9: column 'payload' is binary: only IS NULL and IS NOT NULL "
            "can test "
            "it");
  EXPECT_EQ(error_of("payload IN ('x')"),
            "row_filter|row_filter: at character 9: column 'payload' is binary: only IS NULL and IS NOT NULL "
            "can test "
            "it");
  EXPECT_EQ(error_of("'x' = payload"),
            "row_filter|row_filter: at character 1: column 'payload' is binary: only IS NULL and IS NOT NULL "
            "can test "
            "it");
}

TEST(RowFilterErrors, LikeOnlyOnStrings) {
  EXPECT_EQ(error_of("id LIKE '1%'"),
            "row_filter|row_filter: at character 4: LIKE needs a string column; column 'id' is bigint");
  EXPECT_EQ(error_of("d NOT LIKE '2024%'"),
            "row_filter|row_filter: at character 7: LIKE needs a string column; column 'd' is date");
}

TEST(RowFilterErrors, BadDateAndTimestampLiterals) {
  EXPECT_EQ(error_of("d = DATE '2024-13-01'"),
            "row_filter|row_filter: at character 5: DATE '2024-13-01' is not a valid date (expected DATE "
            "'YYYY-MM-DD')");
  EXPECT_EQ(error_of("ts = TIMESTAMP '2024-01-01 24:00:00'"),
            "row_filter|row_filter: at character 6: TIMESTAMP '2024-01-01 24:00:00' is not a valid timestamp "
            "(expected TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff]', at most 6 fraction digits)");
  EXPECT_NE(error_of("ts = TIMESTAMP '2024-01-01 00:00:00.1234567'").find("at most 6 fraction digits"),
            std::string::npos);
}

TEST(RowFilterErrors, NumbersOutOfRange) {
  EXPECT_EQ(
      error_of("id = 9223372036854775808"),
      "row_filter|row_filter: at character 6: integer 9223372036854775808 is out of range (integers must lie "
      "within ±9223372036854775807; write a decimal such as 9223372036854775808.0 for a larger number)");
  EXPECT_EQ(error_of("amount = 1." + std::string(38, '1')),
            "row_filter|row_filter: at character 10: number 1." + std::string(38, '1') +
                " has more than 38 digits");
  EXPECT_NO_THROW(parse("id = -9223372036854775808"));
  EXPECT_NO_THROW(parse("amount = 9223372036854775808.0"));
}

TEST(RowFilterErrors, SqlDialectNames) {
  EXPECT_EQ(parse_sql_dialect("duckdb", "dialect"), SqlDialect::DuckDB);
  EXPECT_EQ(parse_sql_dialect("Trino", "dialect"), SqlDialect::Trino);
  EXPECT_EQ(parse_sql_dialect("SPARK", "dialect"), SqlDialect::Spark);
  try {
    parse_sql_dialect("postgres", "dialect");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), "dialect");
    EXPECT_STREQ(e.what(), "dialect: unknown SQL dialect 'postgres' (expected duckdb, trino or spark)");
  }
}

// ---- semantics ----

TEST(RowFilterSemantics, CanonicalText) {
  EXPECT_EQ(parse("COUNTRY='US' and Year>=2020")->canonical_text(), "country = 'US' AND year >= 2020");
  EXPECT_EQ(parse("(id = 1 OR (id = 2 OR id = 3)) AND NOT (country = 'x')")->canonical_text(),
            "(id = 1 OR id = 2 OR id = 3) AND NOT country = 'x'");
  EXPECT_EQ(parse("NOT (id = 1 AND year = 2)")->canonical_text(), "NOT (id = 1 AND year = 2)");
  EXPECT_EQ(parse("2020 < year")->canonical_text(), "year > 2020");
  EXPECT_EQ(parse("d = '2024-01-01'")->canonical_text(), "d = DATE '2024-01-01'");
  EXPECT_EQ(parse("ts >= DATE '2024-01-01'")->canonical_text(), "ts >= TIMESTAMP '2024-01-01 00:00:00'");
  EXPECT_EQ(parse("id = '042'")->canonical_text(), "id = 42");
  EXPECT_EQ(parse("amount > +007.50")->canonical_text(), "amount > 7.50");
  EXPECT_EQ(parse("amount > -0.0")->canonical_text(), "amount > 0.0");
  EXPECT_EQ(parse("active = 'TRUE'")->canonical_text(), "active = TRUE");
  EXPECT_EQ(parse("country <> 'it''s' AND id != 3")->canonical_text(), "country <> 'it''s' AND id <> 3");
  EXPECT_EQ(parse("\"first name\" LIKE 'A%'")->canonical_text(), "\"first name\" LIKE 'A%'");
  EXPECT_EQ(parse("date = DATE '2024-01-01'")->canonical_text(), "\"date\" = DATE '2024-01-01'");
  EXPECT_EQ(parse("\"ID\" not in (1,2) or id not between 5 and 6 or country is not null")->canonical_text(),
            "id NOT IN (1, 2) OR id NOT BETWEEN 5 AND 6 OR country IS NOT NULL");
  EXPECT_EQ(parse("NOT NOT id = 1")->canonical_text(), "NOT NOT id = 1");
}

TEST(RowFilterSemantics, CanonicalTextParsesToItself) {
  for (const char* text :
       {"COUNTRY='US' and Year>=2020", "(id = 1 OR (id = 2 OR id = 3)) AND NOT (country = 'x')",
        "NOT (id = 1 AND (year = 2 OR tiny < -3))", "ts between '2024-01-01' and '2024-12-31 23:59:59.5'",
        "\"first name\" NOT LIKE '%''%' OR date IS NULL", "amount IN ('1.5', 2, -0.25)"}) {
    const std::string canonical = parse(text)->canonical_text();
    EXPECT_EQ(parse(canonical)->canonical_text(), canonical) << text;
  }
}

TEST(RowFilterSemantics, ReferencedColumns) {
  auto f = parse("year = 1 OR (Country = 'x' AND year > 2) OR \"first name\" IS NULL");
  EXPECT_EQ(f->referenced_columns(), (std::vector<std::string>{"country", "first name", "year"}));
  EXPECT_TRUE(f->references_only({"year", "COUNTRY", "first name", "id"}));
  EXPECT_FALSE(f->references_only({"year", "country"}));
}

TEST(RowFilterSemantics, NumericComparisonsAreNumeric) {
  EXPECT_TRUE(matches("id > 9", {{"id", "10"}}));  // not "10" < "9" as text
  EXPECT_TRUE(matches("id = 10.0", {{"id", "10"}}));
  EXPECT_FALSE(matches("id = 10.5", {{"id", "10"}}));
  EXPECT_TRUE(matches("id < 10.5", {{"id", "10"}}));
  EXPECT_TRUE(matches("amount = 1.5", {{"amount", "1.50"}}));
  EXPECT_TRUE(matches("amount > 1.499999999999999999999", {{"amount", "1.50"}}));
  EXPECT_TRUE(matches("amount BETWEEN -1 AND 1", {{"amount", "-0.99"}}));
  EXPECT_TRUE(matches("score > 1000", {{"score", "1e4"}}));
  EXPECT_TRUE(matches("ratio = 0.1", {{"ratio", "0.1"}}));
  EXPECT_TRUE(matches("id IN ('1', 2, 3.0)", {{"id", "3"}}));
  // Values outside the column's type read as NULL.
  EXPECT_FALSE(matches("tiny > 0", {{"tiny", "1000"}}));
  EXPECT_TRUE(matches("tiny IS NULL", {{"tiny", "1000"}}));
  EXPECT_FALSE(matches("amount > 0", {{"amount", "1.505"}}));
  EXPECT_FALSE(matches("id > 0", {{"id", "abc"}}));
}

TEST(RowFilterSemantics, StringsDatesTimestampsBooleans) {
  EXPECT_TRUE(matches("country < 'b'", {{"country", "a"}}));
  EXPECT_FALSE(matches("country = 'us'", {{"country", "US"}}));  // case-sensitive
  EXPECT_TRUE(matches("country > 'z'", {{"country", "é"}}));     // UTF-8 byte order = code point order
  EXPECT_TRUE(matches("country LIKE 'U_'", {{"country", "US"}}));
  EXPECT_TRUE(matches("country LIKE '_'", {{"country", "é"}}));
  EXPECT_TRUE(matches("country NOT LIKE '%x%'", {{"country", "US"}}));
  EXPECT_TRUE(matches("d < '2024-02-01'", {{"d", "2024-01-31"}}));
  EXPECT_TRUE(matches("ts = '2024-01-01 10:00:00.5'", {{"ts", "2024-01-01 10:00:00.500"}}));
  EXPECT_TRUE(matches("ts = DATE '2024-01-01'", {{"ts", "2024-01-01 00:00:00"}}));
  EXPECT_TRUE(matches("ts > '2024-01-01 10:00:00'", {{"ts", "2024-01-01 10:00:00.000001"}}));
  // Values are truncated to microseconds, as DuckDB reads them.
  EXPECT_TRUE(matches("ts = '2024-01-01 10:00:00.123456'", {{"ts", "2024-01-01 10:00:00.123456789"}}));
  EXPECT_TRUE(matches("active = TRUE", {{"active", "True"}}));
  EXPECT_TRUE(matches("active < TRUE", {{"active", "false"}}));
  EXPECT_FALSE(matches("active = FALSE", {{"active", "no"}}));
}

TEST(RowFilterSemantics, ThreeValuedLogic) {
  const Row null_id = {{"id", std::nullopt}, {"country", "US"}};
  EXPECT_FALSE(matches("id = 1", null_id));
  EXPECT_FALSE(matches("id <> 1", null_id));
  EXPECT_FALSE(matches("NOT id = 1", null_id));  // NOT UNKNOWN is UNKNOWN
  EXPECT_FALSE(matches("id IN (1, 2)", null_id));
  EXPECT_FALSE(matches("id NOT IN (1, 2)", null_id));
  EXPECT_FALSE(matches("id BETWEEN 1 AND 2", null_id));
  EXPECT_FALSE(matches("id NOT BETWEEN 1 AND 2", null_id));
  EXPECT_FALSE(matches("country LIKE '%' AND id = 1", null_id));
  EXPECT_TRUE(matches("id IS NULL", null_id));
  EXPECT_FALSE(matches("id IS NOT NULL", null_id));
  EXPECT_TRUE(matches("id = 1 OR country = 'US'", null_id));   // UNKNOWN OR TRUE
  EXPECT_FALSE(matches("id = 1 OR country = 'FR'", null_id));  // UNKNOWN OR FALSE
  EXPECT_FALSE(matches("NOT (id = 1 OR country = 'FR')", null_id));
  EXPECT_TRUE(matches("NOT (id = 1 AND country = 'FR')", null_id));  // NOT (UNKNOWN AND FALSE) = TRUE
  EXPECT_FALSE(matches("NOT (id = 1 AND country = 'US')", null_id));
  // A column the reader does not know is NULL.
  EXPECT_TRUE(matches("year IS NULL", {}));
}

TEST(RowFilterSemantics, InAndBetween) {
  EXPECT_TRUE(matches("year IN (2020, 2021)", {{"year", "2021"}}));
  EXPECT_TRUE(matches("year NOT IN (2020, 2021)", {{"year", "2022"}}));
  EXPECT_TRUE(matches("year BETWEEN 2020 AND 2021", {{"year", "2020"}}));
  EXPECT_TRUE(matches("year BETWEEN 2020 AND 2021", {{"year", "2021"}}));
  EXPECT_FALSE(matches("year BETWEEN 2021 AND 2020", {{"year", "2020"}}));
  EXPECT_TRUE(matches("year NOT BETWEEN 2020 AND 2021", {{"year", "2019"}}));
  EXPECT_TRUE(
      matches("year BETWEEN 2000 AND 2030 AND country = 'US'", {{"year", "2020"}, {"country", "US"}}));
}

// ---- SQL ----

TEST(RowFilterSql, GoldenDuckDbAndTrino) {
  auto f = parse("country = 'it''s' AND (year >= 2020 OR d < '2024-01-01') AND NOT active = TRUE");
  const std::string expected =
      "((\"country\" = 'it''s') AND ((\"year\" >= 2020) OR (\"d\" < DATE '2024-01-01')) AND (NOT (\"active\" "
      "= "
      "TRUE)))";
  EXPECT_EQ(f->to_sql(SqlDialect::DuckDB), expected);
  EXPECT_EQ(f->to_sql(SqlDialect::Trino), expected);
  EXPECT_EQ(
      parse("\"first name\" NOT LIKE 'a\\%' OR ts BETWEEN '2024-01-01' AND '2024-06-30 12:00:00.25'")
          ->to_sql(SqlDialect::DuckDB),
      "((\"first name\" NOT LIKE 'a\\%') OR (\"ts\" BETWEEN TIMESTAMP '2024-01-01 00:00:00' AND TIMESTAMP "
      "'2024-06-30 12:00:00.25'))");
  EXPECT_EQ(parse("id NOT IN (-1, 2) AND amount IS NOT NULL AND payload IS NULL")->to_sql(SqlDialect::Trino),
            "((\"id\" NOT IN (-1, 2)) AND (\"amount\" IS NOT NULL) AND (\"payload\" IS NULL))");
  EXPECT_EQ(parse("id = 1")->to_sql(SqlDialect::DuckDB), "(\"id\" = 1)");
}

TEST(RowFilterSql, GoldenSpark) {
  auto f = parse("country = 'it''s' AND (year >= 2020 OR d < '2024-01-01') AND NOT active = TRUE");
  EXPECT_EQ(
      f->to_sql(SqlDialect::Spark),
      "((`country` = 'it\\'s') AND ((`year` >= 2020) OR (`d` < DATE '2024-01-01')) AND (NOT (`active` = "
      "TRUE)))");
  // Spark reads backslash escapes in literals and uses '\' as LIKE's default escape: a literal backslash in
  // a pattern is doubled for LIKE, then each backslash escaped for the literal.
  EXPECT_EQ(parse("country LIKE 'a\\_%' OR country = 'back\\slash'")->to_sql(SqlDialect::Spark),
            "((`country` LIKE 'a\\\\\\\\_%') OR (`country` = 'back\\\\slash'))");
  EXPECT_EQ(parse("\"first name\" IS NULL")->to_sql(SqlDialect::Spark), "(`first name` IS NULL)");
}

TEST(RowFilterSql, QuotingHelpers) {
  EXPECT_EQ(quote_identifier("a\"b", SqlDialect::DuckDB), "\"a\"\"b\"");
  EXPECT_EQ(quote_identifier("a\"b", SqlDialect::Trino), "\"a\"\"b\"");
  EXPECT_EQ(quote_identifier("a`b", SqlDialect::Spark), "`a``b`");
  EXPECT_EQ(quote_string("it's"), "'it''s'");
  EXPECT_EQ(quote_string("it's", SqlDialect::DuckDB), "'it''s'");
  EXPECT_EQ(quote_string("it's \\n", SqlDialect::Spark), "'it\\'s \\\\n'");
}

TEST(RowFilterSql, HostileLiteralsStayLiterals) {
  auto f = parse("country = ''') OR 1=1 --' OR \"first name\" = 'x\"y'");
  EXPECT_EQ(f->to_sql(SqlDialect::DuckDB), "((\"country\" = ''') OR 1=1 --') OR (\"first name\" = 'x\"y'))");
  EXPECT_EQ(f->to_sql(SqlDialect::Spark), "((`country` = '\\') OR 1=1 --') OR (`first name` = 'x\"y'))");
}

// ---- partition expressions ----

std::vector<Column> partition_keys() {
  return {{"region", "string", "", {}},       {"year", "int", "", {}},     {"dt", "date", "", {}},
          {"price", "decimal(10,2)", "", {}}, {"ratio", "double", "", {}}, {"flag", "boolean", "", {}},
          {"ts", "timestamp", "", {}},        {"f", "float", "", {}},      {"in", "string", "", {}}};
}

TEST(RowFilterPartitions, GlueTextForPartitionKeys) {
  const auto keys = partition_keys();
  auto text = [&](const std::string& filter) {
    return RowFilter::parse(filter, keys)->to_partition_expression(keys);
  };
  EXPECT_EQ(text("region = 'eu' AND (year >= 2020 OR dt < DATE '2024-01-01')"),
            "region = 'eu' AND (year >= 2020 OR dt < '2024-01-01')");
  EXPECT_EQ(text("NOT region LIKE 'us-%' OR year IN (1, 2.0) OR price BETWEEN 1.5 AND 2"),
            "NOT region LIKE 'us-%' OR year IN (1, 2) OR price BETWEEN 1.5 AND 2");
  EXPECT_EQ(text("\"in\" = 'it''s' AND region IS NOT NULL"), "`in` = 'it''s' AND region IS NOT NULL");
  EXPECT_EQ(text("ratio > 0.5"), "ratio > 0.5");
  // Not expressible with the same meaning: nullopt.
  EXPECT_EQ(text("year = 2020.5"), std::nullopt);
  EXPECT_EQ(text("flag = TRUE"), std::nullopt);
  EXPECT_EQ(text("ts > '2024-01-01'"), std::nullopt);
  EXPECT_EQ(text("f = 0.5"), std::nullopt);
  // A column that is not a partition key.
  const std::vector<Column> some = {keys[0], keys[1]};
  EXPECT_EQ(RowFilter::parse("region = 'eu' AND dt = '2024-01-01'", keys)->to_partition_expression(some),
            std::nullopt);
  EXPECT_EQ(RowFilter::parse("region = 'eu' AND year = 1", keys)->to_partition_expression(some),
            "region = 'eu' AND year = 1");
}

// Random filters over partition keys: the Glue text parses with catalog::PartitionExpression and agrees with
// matches() on every valid partition value.
TEST(RowFilterPartitions, GlueTextAgreesWithMatchesOnRandomFiltersAndValues) {
  const std::vector<Column> keys = {{"region", "string", "", {}}, {"year", "int", "", {}},
                                    {"dt", "date", "", {}},       {"price", "decimal(10,2)", "", {}},
                                    {"ratio", "double", "", {}},  {"code name", "varchar(8)", "", {}}};
  const std::vector<std::vector<std::string>> pools = {
      {"eu", "us", "us-east", "", "é", "it's", "a_b", "a%b"},
      {"-1", "0", "7", "2019", "2020", "2021", "2147483647"},
      {"2019-12-31", "2020-01-01", "2020-02-29", "2024-06-30", "0001-01-01"},
      {"0", "0.00", "1.5", "1.50", "-2.25", "99999999.99", "7"},
      {"0", "0.5", "1e3", "-2.5", "3.14159", "1000"},
      {"AB", "ab", "Z", "a b", "x'y"}};
  const std::vector<std::vector<std::string>> literals = {
      {"'eu'", "'us'", "'us-east'", "''", "'é'", "'it''s'", "'a_b'"},
      {"-1", "0", "7", "2020", "2021.0", "'2019'"},
      {"'2020-01-01'", "DATE '2020-02-29'", "DATE '2024-06-30'"},
      {"1.5", "0", "-2.25", "99999999.99", "'7'"},
      {"0.5", "1000", "-2.5", "3.14159"},
      {"'AB'", "'a b'", "'x''y'"}};
  const std::vector<std::string> names = {"region", "year", "dt", "price", "ratio", "\"code name\""};
  const std::vector<std::string> ops = {"=", "<>", "<", ">", "<=", ">="};
  std::mt19937 rng(20260101);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const std::size_t choice = pick(depth > 3 ? 6 : 9);
    const std::size_t k = pick(keys.size());
    auto lit = [&] { return literals[k][pick(literals[k].size())]; };
    switch (choice) {
      case 0:
        return names[k] + " " + ops[pick(ops.size())] + " " + lit();
      case 1:
        return names[k] + (pick(2) ? " NOT IN (" : " IN (") + lit() + ", " + lit() + ")";
      case 2:
        return names[k] + (pick(2) ? " NOT BETWEEN " : " BETWEEN ") + lit() + " AND " + lit();
      case 3:
        return names[k] + (pick(2) ? " IS NULL" : " IS NOT NULL");
      case 4: {
        const std::vector<std::string> patterns = {"'%'", "'u%'", "'%s%'", "'_'", "'a_b'", "'%''%'"};
        const std::size_t s = pick(2) ? 0 : 5;  // region or code name
        return names[s] + (pick(2) ? " LIKE " : " NOT LIKE ") + patterns[pick(patterns.size())];
      }
      case 5:
        return lit() + " " + ops[pick(ops.size())] + " " + names[k];
      case 6:
        return "NOT (" + gen(depth + 1) + ")";
      case 7:
        return "(" + gen(depth + 1) + " AND " + gen(depth + 1) + ")";
      default:
        return "(" + gen(depth + 1) + " OR " + gen(depth + 1) + ")";
    }
  };
  int compared = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string text = gen(0);
    auto filter = RowFilter::parse(text, keys);
    const std::optional<std::string> glue = filter->to_partition_expression(keys);
    ASSERT_TRUE(glue.has_value()) << text;
    std::shared_ptr<const catalog::PartitionExpression> expr;
    ASSERT_NO_THROW(expr = catalog::PartitionExpression::create(*glue, keys)) << text << " -> " << *glue;
    for (int j = 0; j < 40; ++j) {
      std::vector<std::string> values;
      for (const auto& pool : pools) values.push_back(pool[pick(pool.size())]);
      const bool ours = filter->matches([&](std::string_view column) -> std::optional<std::string> {
        for (std::size_t c = 0; c < keys.size(); ++c) {
          if (column == keys[c].name) return values[c];
        }
        return std::nullopt;
      });
      ASSERT_EQ(ours, expr->matches(values))
          << text << "\nglue: " << *glue << "\nvalues: " << values[0] << " | " << values[1] << " | "
          << values[2] << " | " << values[3] << " | " << values[4] << " | " << values[5];
      ++compared;
    }
  }
  EXPECT_EQ(compared, 400 * 40);
}

TEST(RowFilterPartitions, RandomFiltersCanonicalTextIsStable) {
  // The canonical text of random filters parses to the same canonical text and the same SQL.
  const auto columns = table_columns();
  const std::vector<std::string> leaves = {
      "id = 1",         "country <> 'x'",     "year BETWEEN 1 AND 2",
      "d IS NULL",      "ts > '2024-01-01'",  "code LIKE 'a%'",
      "active = FALSE", "amount IN (1, 2.5)", "\"first name\" NOT LIKE '%'",
      "3 < tiny",       "score NOT IN (0.5)", "date < DATE '2000-01-01'"};
  std::mt19937 rng(7);
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const auto choice = rng() % (depth > 4 ? 1 : 4);
    if (choice == 0) return leaves[rng() % leaves.size()];
    if (choice == 1) return "NOT " + gen(depth + 1);
    if (choice == 2) return "(" + gen(depth + 1) + " AND " + gen(depth + 1) + ")";
    return gen(depth + 1) + " OR " + gen(depth + 1);
  };
  for (int i = 0; i < 500; ++i) {
    const std::string text = gen(0);
    auto a = RowFilter::parse(text, columns);
    auto b = RowFilter::parse(a->canonical_text(), columns);
    ASSERT_EQ(a->canonical_text(), b->canonical_text()) << text;
    ASSERT_EQ(a->to_sql(SqlDialect::DuckDB), b->to_sql(SqlDialect::DuckDB)) << text;
  }
}

}  // namespace
}  // namespace cairn::authz
