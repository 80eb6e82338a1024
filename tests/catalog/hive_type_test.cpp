#include "cairn/catalog/hive_type.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"

namespace cairn::catalog {
namespace {

std::string canonical(std::string_view text) {
  return parse_hive_type(text).to_string();
}

std::string error_of(std::string_view text) {
  try {
    parse_hive_type(text, "columns[3].type");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), "columns[3].type");
    return e.what();
  }
  return "<no error>";
}

TEST(HiveType, Primitives) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"string", "string"},   {"STRING", "string"},           {"boolean", "boolean"},
      {"tinyint", "tinyint"}, {"smallint", "smallint"},       {"int", "int"},
      {"Integer", "int"},     {"bigint", "bigint"},           {"float", "float"},
      {"double", "double"},   {"double precision", "double"}, {"DOUBLE  PRECISION", "double"},
      {"date", "date"},       {"timestamp", "timestamp"},     {"binary", "binary"},
      {"  int  ", "int"},     {"\tbigint\n", "bigint"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(canonical(in), out) << in;
}

TEST(HiveType, DecimalAndSizedStrings) {
  EXPECT_EQ(canonical("decimal"), "decimal(10,0)");
  EXPECT_EQ(canonical("decimal(5)"), "decimal(5,0)");
  EXPECT_EQ(canonical("DECIMAL( 10 , 2 )"), "decimal(10,2)");
  EXPECT_EQ(canonical("decimal(38,38)"), "decimal(38,38)");
  EXPECT_EQ(canonical("decimal(1,0)"), "decimal(1,0)");
  EXPECT_EQ(canonical("varchar(20)"), "varchar(20)");
  EXPECT_EQ(canonical("VARCHAR(65535)"), "varchar(65535)");
  EXPECT_EQ(canonical("char(1)"), "char(1)");
  EXPECT_EQ(canonical("char(255)"), "char(255)");
  HiveType d = parse_hive_type("decimal(12,3)");
  EXPECT_EQ(d.kind, HiveType::Kind::Decimal);
  EXPECT_EQ(d.precision, 12);
  EXPECT_EQ(d.scale, 3);
  HiveType v = parse_hive_type("varchar(7)");
  EXPECT_EQ(v.kind, HiveType::Kind::Varchar);
  EXPECT_EQ(v.precision, 7);
}

TEST(HiveType, Intervals) {
  EXPECT_EQ(canonical("interval_year_month"), "interval_year_month");
  EXPECT_EQ(canonical("interval_day_time"), "interval_day_time");
  EXPECT_EQ(canonical("INTERVAL YEAR TO MONTH"), "interval_year_month");
  EXPECT_EQ(canonical("interval day to second"), "interval_day_time");
  EXPECT_EQ(parse_hive_type("interval_day_time").kind, HiveType::Kind::Interval);
  EXPECT_NE(error_of("interval").find("interval must be"), std::string::npos);
  EXPECT_NE(error_of("interval year to day").find("interval must be"), std::string::npos);
}

TEST(HiveType, ComplexTypes) {
  EXPECT_EQ(canonical("array<int>"), "array<int>");
  EXPECT_EQ(canonical("ARRAY < STRUCT < a : INT , b : STRING > >"), "array<struct<a:int,b:string>>");
  EXPECT_EQ(canonical("map<string,array<decimal(10,2)>>"), "map<string,array<decimal(10,2)>>");
  EXPECT_EQ(canonical("map< string , double >"), "map<string,double>");
  EXPECT_EQ(canonical("struct<A:int,`b c`:string>"), "struct<a:int,`b c`:string>");
  EXPECT_EQ(canonical("struct<`x``y`:int>"), "struct<`x``y`:int>");
  EXPECT_EQ(canonical("struct<`plain`:int>"), "struct<plain:int>");
  EXPECT_EQ(canonical("struct<a-b:int>"), "struct<`a-b`:int>");
  EXPECT_EQ(canonical("uniontype<int,string,array<bigint>>"), "uniontype<int,string,array<bigint>>");
  EXPECT_EQ(canonical("struct<a:map<string,struct<x:integer>>,b:array<array<varchar(3)>>>"),
            "struct<a:map<string,struct<x:int>>,b:array<array<varchar(3)>>>");

  HiveType t = parse_hive_type("struct<Name:string,Tags:array<string>>");
  EXPECT_EQ(t.kind, HiveType::Kind::Struct);
  ASSERT_EQ(t.children.size(), 2u);
  ASSERT_EQ(t.field_names.size(), 2u);
  EXPECT_EQ(t.field_names[0], "name");
  EXPECT_EQ(t.field_names[1], "tags");
  EXPECT_EQ(t.children[1].kind, HiveType::Kind::Array);
  EXPECT_EQ(t.children[1].children[0].kind, HiveType::Kind::String);

  HiveType m = parse_hive_type("map<bigint,boolean>");
  ASSERT_EQ(m.children.size(), 2u);
  EXPECT_EQ(m.children[0].kind, HiveType::Kind::BigInt);
  EXPECT_EQ(m.children[1].kind, HiveType::Kind::Boolean);
}

TEST(HiveType, CanonicalTextReparsesToItself) {
  for (const char* text : {"array<struct<a:int,b:string>>", "struct<`a b`:map<string,int>,`c``d`:date>",
                           "uniontype<decimal(3,1),char(2)>", "map<decimal(10,0),array<timestamp>>"}) {
    std::string once = canonical(text);
    EXPECT_EQ(canonical(once), once) << text;
  }
}

TEST(HiveType, Predicates) {
  EXPECT_TRUE(parse_hive_type("int").is_integer());
  EXPECT_TRUE(parse_hive_type("tinyint").is_numeric());
  EXPECT_TRUE(parse_hive_type("decimal(3,2)").is_numeric());
  EXPECT_FALSE(parse_hive_type("decimal(3,2)").is_integer());
  EXPECT_TRUE(parse_hive_type("double").is_numeric());
  EXPECT_FALSE(parse_hive_type("string").is_numeric());
  EXPECT_FALSE(parse_hive_type("array<int>").is_numeric());
}

TEST(HiveType, ErrorsNamePositionAndExpectation) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"strng", "unknown type 'strng' at position 0"},
      {"array<strng>", "unknown type 'strng' at position 6"},
      {"", "type is empty"},
      {"   ", "type is empty"},
      {"decimal(40)", "decimal precision must be 1..38 (got 40) at position 8"},
      {"decimal(0)", "decimal precision must be 1..38"},
      {"decimal(5,6)", "decimal scale must be 0..precision"},
      {"decimal(5,)", "expected decimal scale (a number), found ')'"},
      {"decimal(10", "expected ')' to close 'decimal('"},
      {"decimal(99999999999)", "decimal precision is too large"},
      {"varchar", "expected '(' after 'varchar'"},
      {"varchar(0)", "varchar length must be 1..65535 (got 0)"},
      {"varchar(65536)", "varchar length must be 1..65535"},
      {"char(256)", "char length must be 1..255 (got 256)"},
      {"char(x)", "expected char length (a number)"},
      {"array", "expected '<' after 'array', found end of input at position 5"},
      {"array<>", "expected a type name, found '>' at position 6"},
      {"array<int", "expected '>' to close 'array<', found end of input at position 9"},
      {"array<int,string>", "expected '>' to close 'array<', found ','"},
      {"map<int>", "expected ',' between the map key and value types"},
      {"map<array<int>,string>", "map key type must be a primitive type, not 'array<int>' at position 4"},
      {"map<struct<a:int>,int>", "map key type must be a primitive type"},
      {"struct<>", "struct must have at least one field at position 7"},
      {"struct<a int>", "expected ':' after struct field name 'a'"},
      {"struct<:int>", "expected a struct field name, found ':'"},
      {"struct<a:int,A:string>", "duplicate struct field name 'a' at position 13"},
      {"struct<`a:int>", "unterminated backquoted field name"},
      {"struct<a:int,>", "expected a struct field name, found '>'"},
      {"uniontype<>", "uniontype must have at least one member type"},
      {"int int", "unexpected 'i' after the type at position 4"},
      {"int>", "unexpected '>' after the type at position 3"},
      {"string(10)", "unexpected '(' after the type"},
      {"<int>", "expected a type name, found '<' at position 0"},
      {"int\x01", "unexpected '\\x01' after the type"},
      {"struct<a\x02:int>", "control character in struct field name"},
      {"doubleprecision", "unknown type 'doubleprecision'"},
  };
  for (const auto& [in, fragment] : cases) {
    std::string message = error_of(in);
    EXPECT_NE(message.find(fragment), std::string::npos) << "input: " << in << "\nmessage: " << message;
  }
}

TEST(HiveType, NestingDepthIsLimited) {
  std::string ok;
  for (int i = 0; i < 100; ++i) ok += "array<";
  ok += "int" + std::string(100, '>');
  EXPECT_EQ(canonical(ok), ok);

  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "array<";
  EXPECT_NE(error_of(deep).find("nests more than 100 levels"), std::string::npos);
  std::string deep_struct;
  for (int i = 0; i < 5000; ++i) deep_struct += "struct<a:";
  EXPECT_NE(error_of(deep_struct).find("nests more than 100 levels"), std::string::npos);
}

TEST(HiveType, LengthIsLimited) {
  std::string wide = "struct<";
  for (int i = 0; i < 20000; ++i) wide += (i ? ",f" : "f") + std::to_string(i) + ":int";
  wide += ">";
  EXPECT_NE(error_of(wide).find("longer than 131072"), std::string::npos);
}

TEST(HiveType, FieldNameLengthIsLimited) {
  std::string name(256, 'a');
  EXPECT_NE(error_of("struct<" + name + ":int>").find("longer than 255"), std::string::npos);
  EXPECT_EQ(canonical("struct<" + std::string(255, 'a') + ":int>"),
            "struct<" + std::string(255, 'a') + ":int>");
}

TEST(HiveType, DefaultFieldIsType) {
  try {
    parse_hive_type("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "type");
  }
}

TEST(HiveType, RandomInputOnlyThrowsError) {
  const std::string alphabet = "<>(),:` \tabcdefghijklmnopqrstuvwxyzINTARYMPSC0123456789_\x01\xc3\xa9";
  std::mt19937 rng(12345);
  std::vector<std::string> seeds = {"array<struct<a:int,b:string>>", "map<string,decimal(10,2)>",
                                    "uniontype<int,varchar(3)>", "struct<`a b`:char(4)>"};
  for (int i = 0; i < 20000; ++i) {
    std::string text = seeds[static_cast<std::size_t>(i) % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = rng() % (text.size() + 1);
      char c = alphabet[rng() % alphabet.size()];
      if (rng() % 2 && at < text.size()) {
        text.erase(at, 1);
      } else {
        text.insert(at, 1, c);
      }
    }
    try {
      std::string once = parse_hive_type(text).to_string();
      EXPECT_EQ(parse_hive_type(once).to_string(), once) << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    }
  }
}

}  // namespace
}  // namespace cairn::catalog
