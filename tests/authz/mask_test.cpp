#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cairn/authz/row_filter.h"
#include "cairn/catalog/error.h"

namespace cairn::authz {
namespace {

std::string parse_error(const std::string& spec) {
  try {
    parse_mask(spec, "columns[1].mask");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    return e.field() + "|" + e.what();
  }
  ADD_FAILURE() << "no error for " << spec;
  return "";
}

std::string applies_error(const Mask& mask, const std::string& type) {
  try {
    check_mask_applies(mask, type, "mask");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    return e.field() + "|" + e.what();
  }
  ADD_FAILURE() << "no error for " << mask_spec(mask) << " on " << type;
  return "";
}

Mask mask(Mask::Kind kind, int n = 0) {
  Mask m;
  m.kind = kind;
  m.n = n;
  return m;
}

// ---- errors ----

TEST(MaskErrors, UnknownMasksListTheValidForms) {
  const std::string valid =
      " (valid masks: hash_sha256, redact, null, show_last(n) with n from 1 to 64, year_only)";
  EXPECT_EQ(parse_error("sha1"), "columns[1].mask|columns[1].mask: unknown mask 'sha1'" + valid);
  EXPECT_EQ(parse_error(""), "columns[1].mask|columns[1].mask: unknown mask ''" + valid);
  EXPECT_EQ(parse_error("redact()"), "columns[1].mask|columns[1].mask: unknown mask 'redact()'" + valid);
  EXPECT_EQ(parse_error("hash_sha256 x"),
            "columns[1].mask|columns[1].mask: unknown mask 'hash_sha256 x'" + valid);
}

TEST(MaskErrors, ShowLastNeedsOneToSixtyFour) {
  const std::string prefix =
      "columns[1].mask|columns[1].mask: show_last needs a number of characters from 1 to 64, as in "
      "show_last(4); got ";
  EXPECT_EQ(parse_error("show_last"), prefix + "'show_last'");
  EXPECT_EQ(parse_error("show_last()"), prefix + "'show_last()'");
  EXPECT_EQ(parse_error("show_last(0)"), prefix + "'show_last(0)'");
  EXPECT_EQ(parse_error("show_last(65)"), prefix + "'show_last(65)'");
  EXPECT_EQ(parse_error("show_last(-1)"), prefix + "'show_last(-1)'");
  EXPECT_EQ(parse_error("show_last(+1)"), prefix + "'show_last(+1)'");
  EXPECT_EQ(parse_error("show_last(4"), prefix + "'show_last(4'");
  EXPECT_EQ(parse_error("show_last(1 2)"), prefix + "'show_last(1 2)'");
  EXPECT_EQ(parse_error("show_last(99999999999999999999)"), prefix + "'show_last(99999999999999999999)'");
}

TEST(MaskErrors, MasksThatDoNotFitTheColumnType) {
  EXPECT_EQ(applies_error(mask(Mask::Kind::YearOnly), "string"),
            "mask|mask: year_only applies to date and timestamp columns, not string");
  EXPECT_EQ(applies_error(mask(Mask::Kind::ShowLast, 4), "int"),
            "mask|mask: show_last(4) applies to string, varchar and char columns, not int");
  EXPECT_EQ(
      applies_error(mask(Mask::Kind::HashSha256), "array<string>"),
      "mask|mask: hash_sha256 applies to columns of primitive types, not array<string> (use null to hide a "
      "whole array, map, struct or uniontype)");
  EXPECT_EQ(
      applies_error(mask(Mask::Kind::Redact), "struct<a:int>"),
      "mask|mask: redact applies to columns of primitive types, not struct<a:int> (use null to hide a whole "
      "array, map, struct or uniontype)");
  EXPECT_EQ(applies_error(mask(Mask::Kind::Redact), "uniontype<int,string>").substr(0, 40),
            "mask|mask: redact applies to columns of ");
  EXPECT_EQ(applies_error(mask(Mask::Kind::Null), "no such type"),
            "mask|mask: column type 'no such type' is not a valid Hive type, so no mask can apply to it");
  EXPECT_EQ(applies_error(mask(Mask::Kind::ShowLast, 0), "string"),
            "mask|mask: show_last needs a number of characters from 1 to 64 (got 0)");
}

// ---- semantics ----

TEST(MaskSemantics, ParseAndSpecRoundTrip) {
  EXPECT_EQ(parse_mask("hash_sha256", "m"), mask(Mask::Kind::HashSha256));
  EXPECT_EQ(parse_mask(" REDACT ", "m"), mask(Mask::Kind::Redact));
  EXPECT_EQ(parse_mask("Null", "m"), mask(Mask::Kind::Null));
  EXPECT_EQ(parse_mask("year_only", "m"), mask(Mask::Kind::YearOnly));
  EXPECT_EQ(parse_mask("show_last ( 4 )", "m"), mask(Mask::Kind::ShowLast, 4));
  EXPECT_EQ(parse_mask("SHOW_LAST(64)", "m"), mask(Mask::Kind::ShowLast, 64));
  for (const char* spec : {"hash_sha256", "redact", "null", "show_last(1)", "show_last(64)", "year_only"}) {
    EXPECT_EQ(mask_spec(parse_mask(spec, "m")), spec);
  }
}

TEST(MaskSemantics, MasksThatFit) {
  for (const char* type : {"string", "varchar(10)", "char(3)"}) {
    EXPECT_NO_THROW(check_mask_applies(mask(Mask::Kind::ShowLast, 4), type, "m")) << type;
  }
  for (const char* type : {"date", "timestamp"})
    EXPECT_NO_THROW(check_mask_applies(mask(Mask::Kind::YearOnly), type, "m"));
  for (const char* type : {"int", "string", "decimal(10,2)", "binary", "boolean", "date", "double"}) {
    EXPECT_NO_THROW(check_mask_applies(mask(Mask::Kind::HashSha256), type, "m")) << type;
    EXPECT_NO_THROW(check_mask_applies(mask(Mask::Kind::Redact), type, "m")) << type;
  }
  for (const char* type :
       {"array<int>", "map<string,int>", "struct<a:int>", "uniontype<int,string>", "int"}) {
    EXPECT_NO_THROW(check_mask_applies(mask(Mask::Kind::Null), type, "m")) << type;
  }
}

TEST(MaskSemantics, RankOrdersByHowMuchIsRevealed) {
  EXPECT_EQ(mask_rank(mask(Mask::Kind::Null)), 0);
  EXPECT_EQ(mask_rank(mask(Mask::Kind::Redact)), 1);
  EXPECT_EQ(mask_rank(mask(Mask::Kind::HashSha256)), 2);
  EXPECT_EQ(mask_rank(mask(Mask::Kind::YearOnly)), 3);
  EXPECT_EQ(mask_rank(mask(Mask::Kind::ShowLast, 1)), 11);
  EXPECT_EQ(mask_rank(mask(Mask::Kind::ShowLast, 64)), 74);
}

TEST(MaskSemantics, ApplyHash) {
  const Mask h = mask(Mask::Kind::HashSha256);
  // sha256("42"), and the same for "042" and "+42": the hash is over the value as DuckDB prints it.
  const std::string h42 = "73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049";
  EXPECT_EQ(apply_mask(h, "42", "int"), h42);
  EXPECT_EQ(apply_mask(h, "042", "bigint"), h42);
  EXPECT_EQ(apply_mask(h, "+42", "int"), h42);
  EXPECT_EQ(apply_mask(h, "", "string"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(apply_mask(h, std::nullopt, "string"), std::nullopt);
  EXPECT_EQ(apply_mask(h, "abc", "int"), std::nullopt);  // not an int: NULL
  // Binary values hash as their bytes.
  EXPECT_EQ(apply_mask(h, std::string("\x00\xff", 2), "binary"),
            "06eb7d6a69ee19e5fbdf749018d3d2abfa04bcbd1365db312eb86dc7169389b8");
}

TEST(MaskSemantics, ApplyRedactAndNull) {
  EXPECT_EQ(apply_mask(mask(Mask::Kind::Redact), "secret", "string"), "****");
  EXPECT_EQ(apply_mask(mask(Mask::Kind::Redact), "", "string"), "****");
  EXPECT_EQ(apply_mask(mask(Mask::Kind::Redact), "12", "int"), "****");
  EXPECT_EQ(apply_mask(mask(Mask::Kind::Redact), std::nullopt, "int"), std::nullopt);
  EXPECT_EQ(apply_mask(mask(Mask::Kind::Null), "secret", "string"), std::nullopt);
}

TEST(MaskSemantics, ApplyShowLastCountsCharacters) {
  const Mask m = mask(Mask::Kind::ShowLast, 4);
  EXPECT_EQ(apply_mask(m, "4111111111111111", "string"), "************1111");
  EXPECT_EQ(apply_mask(m, "1234", "string"), "****");
  EXPECT_EQ(apply_mask(m, "12", "varchar(10)"), "**");
  EXPECT_EQ(apply_mask(m, "", "string"), "");
  EXPECT_EQ(apply_mask(m, "héllo🦆", "char(6)"), "**llo🦆");
  EXPECT_EQ(apply_mask(m, std::nullopt, "string"), std::nullopt);
}

TEST(MaskSemantics, ApplyYearOnly) {
  const Mask m = mask(Mask::Kind::YearOnly);
  EXPECT_EQ(apply_mask(m, "2026-11-20", "date"), "2026-01-01");
  EXPECT_EQ(apply_mask(m, "2026-11-20 13:14:15.5", "timestamp"), "2026-01-01 00:00:00");
  EXPECT_EQ(apply_mask(m, "2026-11-20", "timestamp"), "2026-01-01 00:00:00");
  EXPECT_EQ(apply_mask(m, "20 Nov 2026", "date"), std::nullopt);
}

TEST(MaskSemantics, StaleMasksHideEverything) {
  // A mask whose column changed type since it was granted: the value is hidden, as with null.
  EXPECT_EQ(apply_mask(mask(Mask::Kind::ShowLast, 2), "12345", "int"), std::nullopt);
  EXPECT_EQ(apply_mask(mask(Mask::Kind::YearOnly), "x", "string"), std::nullopt);
  EXPECT_EQ(mask_sql(mask(Mask::Kind::YearOnly), "\"c\"", "string", SqlDialect::DuckDB),
            "CAST(NULL AS VARCHAR)");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::HashSha256), "\"c\"", "map<string,int>", SqlDialect::Trino),
            "CAST(NULL AS MAP(VARCHAR, INTEGER))");
}

// ---- SQL, golden per dialect ----

TEST(MaskSql, DuckDb) {
  const SqlDialect d = SqlDialect::DuckDB;
  EXPECT_EQ(mask_sql(mask(Mask::Kind::HashSha256), "\"x\"", "int", d), "sha256(CAST(\"x\" AS VARCHAR))");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::HashSha256), "\"x\"", "binary", d), "sha256(\"x\")");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::Redact), "\"x\"", "string", d),
            "CASE WHEN \"x\" IS NULL THEN NULL ELSE '****' END");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::ShowLast, 4), "\"x\"", "string", d),
            "CASE WHEN \"x\" IS NULL THEN NULL WHEN length(\"x\") <= 4 THEN repeat('*', length(\"x\")) ELSE "
            "repeat('*', length(\"x\") - 4) || right(\"x\", 4) END");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::YearOnly), "\"x\"", "date", d),
            "CAST(date_trunc('year', \"x\") AS DATE)");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::YearOnly), "\"x\"", "timestamp", d),
            "CAST(date_trunc('year', \"x\") AS TIMESTAMP)");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::Null), "\"x\"", "decimal(10,2)", d), "CAST(NULL AS DECIMAL(10,2))");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::Null), "\"x\"", "array<struct<a:int,`b c`:string>>", d),
            "CAST(NULL AS STRUCT(\"a\" INTEGER, \"b c\" VARCHAR)[])");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::Null), "\"x\"", "uniontype<int,string>", d), "NULL");
}

TEST(MaskSql, Trino) {
  const SqlDialect t = SqlDialect::Trino;
  EXPECT_EQ(mask_sql(mask(Mask::Kind::HashSha256), "\"x\"", "bigint", t),
            "lower(to_hex(sha256(to_utf8(CAST(\"x\" AS VARCHAR)))))");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::HashSha256), "\"x\"", "binary", t), "lower(to_hex(sha256(\"x\")))");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::Redact), "\"x\"", "int", t),
            "CASE WHEN \"x\" IS NULL THEN NULL ELSE '****' END");
  EXPECT_EQ(
      mask_sql(mask(Mask::Kind::ShowLast, 2), "\"x\"", "varchar(20)", t),
      "CASE WHEN \"x\" IS NULL THEN NULL WHEN length(\"x\") <= 2 THEN lpad('', length(\"x\"), '*') ELSE "
      "lpad(substr(\"x\", length(\"x\") - 2 + 1), length(\"x\"), '*') END");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::YearOnly), "\"x\"", "date", t),
            "CAST(date_trunc('year', \"x\") AS DATE)");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::YearOnly), "\"x\"", "timestamp", t), "date_trunc('year', \"x\")");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::Null), "\"x\"", "float", t), "CAST(NULL AS REAL)");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::Null), "\"x\"", "struct<a:int,b:array<varchar(5)>>", t),
            "CAST(NULL AS ROW(\"a\" INTEGER, \"b\" ARRAY(VARCHAR(5))))");
}

TEST(MaskSql, Spark) {
  const SqlDialect s = SqlDialect::Spark;
  EXPECT_EQ(mask_sql(mask(Mask::Kind::HashSha256), "`x`", "int", s), "sha2(CAST(`x` AS STRING), 256)");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::HashSha256), "`x`", "binary", s), "sha2(`x`, 256)");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::Redact), "`x`", "int", s),
            "CASE WHEN `x` IS NULL THEN NULL ELSE '****' END");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::ShowLast, 3), "`x`", "string", s),
            "CASE WHEN `x` IS NULL THEN NULL WHEN length(`x`) <= 3 THEN repeat('*', length(`x`)) ELSE "
            "concat(repeat('*', length(`x`) - 3), right(`x`, 3)) END");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::YearOnly), "`x`", "date", s), "trunc(`x`, 'year')");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::YearOnly), "`x`", "timestamp", s), "date_trunc('year', `x`)");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::Null), "`x`", "map<string,struct<`a b`:int>>", s),
            "CAST(NULL AS MAP<STRING, STRUCT<`a b`: INT>>)");
  EXPECT_EQ(mask_sql(mask(Mask::Kind::Null), "`x`", "interval_day_time", s),
            "CAST(NULL AS INTERVAL DAY TO SECOND)");
}

}  // namespace
}  // namespace cairn::authz
