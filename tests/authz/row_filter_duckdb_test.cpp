// Cross-checks the SQL that row filters and masks render for DuckDB against the in-memory semantics
// (RowFilter::matches, apply_mask) by running it in a real DuckDB (npm @duckdb/node-api, installed by
// `npm ci` in tests/engines). Skipped when node or tests/engines/node_modules is missing.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cairn/authz/row_filter.h"
#include "cairn/catalog/error.h"

namespace cairn::authz {
namespace {

using nlohmann::json;

const std::filesystem::path kEngines = std::filesystem::path(CAIRN_SOURCE_DIR) / "tests" / "engines";

bool have_node_and_duckdb() {
  return std::system("node --version > /dev/null 2>&1") == 0 &&
         std::filesystem::exists(kEngines / "node_modules" / "@duckdb" / "node-api");
}

json nullable(const std::optional<std::string>& value) {
  return value ? json(*value) : json(nullptr);
}

// Runs the checker on `cases`; returns its exit status and appends its output to `output`.
int run_checker(const json& cases, std::string& output) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::filesystem::path file = dir / ("cairn-duckdb-cases-" + std::to_string(::getpid()) + ".json");
  {
    std::FILE* out = std::fopen(file.c_str(), "w");
    if (out == nullptr) return -1;
    const std::string text = cases.dump(1);
    std::fwrite(text.data(), 1, text.size(), out);
    std::fclose(out);
  }
  const std::string command =
      "node '" + (kEngines / "mask_sql_check.mjs").string() + "' '" + file.string() + "' 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  std::filesystem::remove(file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Hive type -> the DuckDB type its values are cast to.
const std::map<std::string, std::string> kDuckTypes = {
    {"tinyint", "TINYINT"},
    {"smallint", "SMALLINT"},
    {"int", "INTEGER"},
    {"bigint", "BIGINT"},
    {"float", "FLOAT"},
    {"double", "DOUBLE"},
    {"decimal(10,2)", "DECIMAL(10,2)"},
    {"decimal(38,10)", "DECIMAL(38,10)"},
    {"decimal(5,0)", "DECIMAL(5,0)"},
    {"string", "VARCHAR"},
    {"varchar(10)", "VARCHAR"},
    {"char(3)", "VARCHAR"},
    {"boolean", "BOOLEAN"},
    {"date", "DATE"},
    {"timestamp", "TIMESTAMP"},
    {"binary", "BLOB"},
};

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

json mask_cases() {
  const std::vector<std::pair<std::string, std::vector<std::string>>> values = {
      {"tinyint", {"-128", "127", "0"}},
      {"smallint", {"-32768", "300"}},
      {"int", {"0", "42", "-7", "007", "+5", "2147483647"}},
      {"bigint", {"-9223372036854775808", "123"}},
      {"decimal(10,2)", {"1.5", "-0.5", "0", "12345678.99", ".5", "-0.00", "3"}},
      {"decimal(38,10)", {"12345678901234567890.0123456789", "-1"}},
      {"decimal(5,0)", {"7", "-99999"}},
      {"double",
       {"1.5", "1e20", "100", "0.1", "-0.0", "1e-7", "123456789012345678", "3.14159", "1e16", "1e15",
        "0.0001", "0.00001", "2.5e300", "5e-324", "-1.5E+3", "1234567.125"}},
      {"float", {"0.1", "16777216", "3.4e38", "1e-7", "123.456", "1e16", "-2.5", "1e15", "0.3"}},
      {"boolean", {"true", "FALSE"}},
      {"date", {"2026-11-20", "0001-01-01", "2024-02-29", "9999-12-31"}},
      {"timestamp",
       {"2026-11-20 13:14:15", "2026-11-20 13:14:15.5", "2026-11-20 13:14:15.120",
        "2024-01-01 10:00:00.123456789", "2026-11-20", "0099-01-01 00:00:00", "2024-02-29 23:59:59.999999"}},
      {"string",
       {"", "hello", "héllo🦆", "it's", "4111111111111111", "a\"b\\c", "1234", "🤦🏼‍♂️x"}},
      {"varchar(10)", {"abc", "abcdefghij"}},
      {"char(3)", {"xy", "xyz"}},
      {"binary", {std::string("\x00\xff", 2), "abc", ""}},
  };
  std::vector<Mask> all = {parse_mask("hash_sha256", "m"),  parse_mask("redact", "m"),
                           parse_mask("null", "m"),         parse_mask("show_last(1)", "m"),
                           parse_mask("show_last(4)", "m"), parse_mask("show_last(64)", "m"),
                           parse_mask("year_only", "m")};
  json out = json::array();
  for (const auto& [type, inputs] : values) {
    for (const Mask& mask : all) {
      try {
        check_mask_applies(mask, type, "m");
      } catch (const Error&) {
        continue;
      }
      std::vector<std::optional<std::string>> with_null(inputs.begin(), inputs.end());
      with_null.push_back(std::nullopt);
      for (const auto& input : with_null) {
        json c = {{"name", mask_spec(mask) + " on " + type},
                  {"type", kDuckTypes.at(type)},
                  {"input", nullable(input)},
                  {"sql", mask_sql(mask, "\"x\"", type, SqlDialect::DuckDB)},
                  {"expected", nullable(apply_mask(mask, input, type))}};
        if (type == "binary") {
          c["input"] = input ? json(hex(*input)) : json(nullptr);  // shown as hex; bound as the bytes
          c["input_hex"] = c["input"];
        }
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

struct TableColumn {
  std::string name;
  std::string hive;
};

const std::vector<TableColumn> kTable = {
    {"id", "bigint"},    {"country", "string"},    {"year", "int"},       {"amount", "decimal(10,2)"},
    {"score", "double"}, {"ratio", "float"},       {"active", "boolean"}, {"d", "date"},
    {"ts", "timestamp"}, {"first name", "string"}, {"tiny", "tinyint"},   {"date", "date"},
};

using Row = std::vector<std::optional<std::string>>;

const std::vector<Row> kRows = {
    {"1", "US", "2020", "1.50", "0.5", "0.1", "true", "2024-01-01", "2024-01-01 00:00:00", "Ann", "1",
     "2000-01-01"},
    {"2", "FR", "2021", "-2.25", "1e3", "2.5", "false", "2024-02-29", "2024-02-29 12:30:00.5", "Bob", "-5",
     "1999-12-31"},
    {"3", "é", "2019", "0.00", "-0.0", "0.3", "TRUE", "2023-12-31", "2023-12-31 23:59:59.999999", "it's",
     "127", "2024-06-30"},
    {"4", "a_b", "2022", "99999999.99", "3.14159", "-1", "False", "0001-01-01", "2024-01-01", "a\\b", "-128",
     std::nullopt},
    {"5", "a%b", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
     std::nullopt, std::nullopt, std::nullopt, std::nullopt},
    {std::nullopt, std::nullopt, "2020", "1.5", "0.1", "0.1", "true", "2024-01-01",
     "2024-01-01 00:00:00.000001", "", "0", "2000-01-01"},
    {"-9223372036854775808", "", "-2147483648", "-99999999.99", "1e300", "3.4e38", "false", "9999-12-31",
     "9999-12-31 23:59:59", "Ann Lee", "100", "2000-01-02"},
    {"9223372036854775807", "us", "2147483647", "7", "100", "16777216", "true", "2020-01-01",
     "2020-01-01 10:00:00", "\"q\"", "10", "2020-01-01"},
};

std::vector<catalog::Column> table_columns() {
  std::vector<catalog::Column> out;
  for (const TableColumn& c : kTable) out.push_back({c.name, c.hive, "", {}});
  return out;
}

json filter_case(const std::string& name, const std::string& text) {
  auto filter = RowFilter::parse(text, table_columns());
  json expected = json::array();
  for (std::size_t r = 0; r < kRows.size(); ++r) {
    const bool yes = filter->matches([&](std::string_view column) -> std::optional<std::string> {
      for (std::size_t c = 0; c < kTable.size(); ++c) {
        if (kTable[c].name == column) return kRows[r][c];
      }
      return std::nullopt;
    });
    if (yes) expected.push_back(r);
  }
  json columns = json::array();
  for (const TableColumn& c : kTable) columns.push_back({{"name", c.name}, {"type", kDuckTypes.at(c.hive)}});
  json rows = json::array();
  for (const Row& row : kRows) {
    json values = json::array();
    for (const auto& v : row) values.push_back(nullable(v));
    rows.push_back(std::move(values));
  }
  return {{"name", name + ": " + text},
          {"columns", columns},
          {"rows", rows},
          {"where", filter->to_sql(SqlDialect::DuckDB)},
          {"expected", expected}};
}

json filter_cases() {
  const std::vector<std::string> handwritten = {
      "id > 2",
      "id = 9223372036854775807 OR id = -9223372036854775808",
      "id < 2.5",
      "id = 3.0",
      "id BETWEEN 9223372036854775806.5 AND 9223372036854775808.0",
      "country = 'US'",
      "country < 'b'",
      "country > 'z'",
      "country LIKE 'a_b'",
      "country LIKE '_'",
      "country LIKE 'a\\%' OR country LIKE '%\\%'",
      "\"first name\" LIKE 'a\\b'",
      "\"first name\" = 'it''s' OR \"first name\" = '\"q\"'",
      "\"first name\" NOT LIKE 'A%'",
      "year IN (2020, 2021)",
      "year NOT IN (2020, '2021')",
      "year NOT BETWEEN 2020 AND 2021",
      "amount = 1.5",
      "amount > 1.499999999999999999999",
      "amount < -2.2 OR amount >= 99999999.99",
      "amount = 9223372036854775808.0",
      "score > 100",
      "score = 0",
      "score = 1000",
      "score IN (0.1, 0.5)",
      "ratio = 0.1",
      "ratio > 0.25",
      "ratio IN (0.3, 2.5)",
      "ratio BETWEEN -1 AND 0.3",
      "active = TRUE",
      "active < TRUE",
      "NOT active = FALSE",
      "d < '2024-01-01'",
      "d BETWEEN DATE '2024-01-01' AND '2024-02-29'",
      "ts > '2024-01-01'",
      "ts >= DATE '2024-01-01' AND ts < TIMESTAMP '2024-02-29 12:30:00.5'",
      "ts = '2023-12-31 23:59:59.999999'",
      "tiny > 100 OR tiny < -100",
      "tiny = 1000",
      "date = '2000-01-01'",
      "id IS NULL OR year IS NULL",
      "NOT (id = 1 OR year = 2021)",
      "NOT (id = 1 AND country = 'FR')",
      "NOT id IN (1, 2)",
      "id NOT IN (1, 2) AND country IS NOT NULL",
      "(id = 1 OR id = 5) AND (year = 2020 OR year IS NULL)",
  };
  json out = json::array();
  for (const std::string& text : handwritten) {
    try {
      out.push_back(filter_case("handwritten", text));
    } catch (const Error& e) {
      ADD_FAILURE() << text << ": " << e.what();
    }
  }

  // Random filters over every column, built from literals that fit each column.
  const std::vector<std::vector<std::string>> literals = {
      {"1", "2", "3.5", "-9223372036854775808", "'4'"},
      {"'US'", "'é'", "''", "'a_b'", "'us'", "'FR'"},
      {"2020", "2021", "-2147483648", "'2019'"},
      {"1.5", "0", "-2.25", "99999999.99", "7.000"},
      {"0.5", "1000", "0", "3.14159", "1.0"},
      {"0.1", "2.5", "0.3", "-1"},
      {"TRUE", "FALSE", "'true'"},
      {"'2024-01-01'", "DATE '2024-02-29'", "'0001-01-01'"},
      {"'2024-01-01'", "TIMESTAMP '2024-02-29 12:30:00.5'", "'2023-12-31 23:59:59.999999'"},
      {"'Ann'", "'it''s'", "''", "'a\\b'"},
      {"1", "-5", "127", "1000"},
      {"'2000-01-01'", "DATE '2024-06-30'"},
  };
  const std::vector<std::string> names = {"id",     "country", "year", "amount",         "score", "ratio",
                                          "active", "d",       "ts",   "\"first name\"", "tiny",  "\"date\""};
  const std::vector<std::string> ops = {"=", "<>", "<", ">", "<=", ">=", "!="};
  std::mt19937 rng(42);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const std::size_t k = pick(names.size());
    auto lit = [&] { return literals[k][pick(literals[k].size())]; };
    switch (pick(depth > 2 ? 6 : 9)) {
      case 0:
        return names[k] + " " + ops[pick(ops.size())] + " " + lit();
      case 1:
        return names[k] + (pick(2) ? " NOT IN (" : " IN (") + lit() + ", " + lit() + ")";
      case 2:
        return names[k] + (pick(2) ? " NOT BETWEEN " : " BETWEEN ") + lit() + " AND " + lit();
      case 3:
        return names[k] + (pick(2) ? " IS NULL" : " IS NOT NULL");
      case 4: {
        const std::vector<std::string> patterns = {"'%'",   "'U%'",   "'%b'",   "'_'",
                                                   "'a_b'", "'%''%'", "'a\\b'", "''"};
        return (pick(2) ? "country" : "\"first name\"") + std::string(pick(2) ? " LIKE " : " NOT LIKE ") +
               patterns[pick(patterns.size())];
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
  for (int i = 0; i < 300; ++i) {
    const std::string text = gen(0);
    try {
      out.push_back(filter_case("random", text));
    } catch (const Error& e) {
      ADD_FAILURE() << text << ": " << e.what();
    }
  }
  return out;
}

TEST(RowFilterDuckDb, MaskSqlGivesWhatApplyMaskGives) {
  if (!have_node_and_duckdb())
    GTEST_SKIP() << "node or tests/engines/node_modules missing (npm ci in tests/engines)";
  const json cases = {{"expressions", mask_cases()}};
  ASSERT_GT(cases["expressions"].size(), 200u);
  std::string output;
  EXPECT_EQ(run_checker(cases, output), 0) << output;
}

TEST(RowFilterDuckDb, FilterSqlSelectsTheRowsMatchesAccepts) {
  if (!have_node_and_duckdb())
    GTEST_SKIP() << "node or tests/engines/node_modules missing (npm ci in tests/engines)";
  const json cases = {{"filters", filter_cases()}};
  ASSERT_GT(cases["filters"].size(), 300u);
  // Most filters must select some rows but not all, or the comparison would prove little.
  std::size_t informative = 0;
  for (const json& c : cases["filters"]) {
    if (!c["expected"].empty() && c["expected"].size() < kRows.size()) ++informative;
  }
  EXPECT_GT(informative, cases["filters"].size() / 2);
  std::string output;
  EXPECT_EQ(run_checker(cases, output), 0) << output;
}

}  // namespace
}  // namespace cairn::authz
