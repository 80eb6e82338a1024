#include "cairn/catalog/validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "catalog/failure_of.h"

namespace cairn::catalog {
namespace {

using catalog_test::Failure;
using catalog_test::failure_of;

Table sample_table() {
  Table t;
  t.name = "Orders";
  t.database_name = "Sales";
  t.table_type = "EXTERNAL_TABLE";
  t.storage_descriptor.columns = {{"ID", "BIGINT", "primary key", {}},
                                  {"Amount", "decimal( 10, 2 )", "", {}},
                                  {"Items", "array<struct<Sku:string,Qty:integer>>", "", {}}};
  t.storage_descriptor.location = "s3://lake/sales/orders/";
  t.partition_keys = {{"Year", "int", "", {}}, {"Month", "string", "", {}}};
  return t;
}

TEST(Validation, DatabaseIsNormalised) {
  Database db{"Sales", "multi\nline description", "s3://lake/sales/", {{"owner", "team"}}, 0};
  normalize_database(db);
  EXPECT_EQ(db.name, "sales");
}

TEST(Validation, DatabaseErrors) {
  Database bad_name{"A b", "", "", {}, 0};
  auto f = failure_of([&] { normalize_database(bad_name); });
  EXPECT_EQ(f.field, "name");
  EXPECT_EQ(f.message, "database name 'A b' may contain only letters, digits, '_' and '-'");

  Database empty{"", "", "", {}, 0};
  EXPECT_EQ(failure_of([&] { normalize_database(empty); }).message, "database name must not be empty");

  Database long_description{"ok", std::string(2049, 'd'), "", {}, 0};
  f = failure_of([&] { normalize_database(long_description); });
  EXPECT_EQ(f.field, "description");
  EXPECT_EQ(f.message, "description: must be at most 2048 characters (got 2049)");

  Database bad_location{"ok", "", "s3://a\nb", {}, 0};
  EXPECT_EQ(failure_of([&] { normalize_database(bad_location); }).field, "location_uri");

  Database bad_param{"ok", "", "", {{std::string(256, 'k'), "v"}}, 0};
  f = failure_of([&] { normalize_database(bad_param); });
  EXPECT_EQ(f.field, "parameters");
  EXPECT_NE(f.message.find("longer than 255"), std::string::npos);

  Database big_value{"ok", "", "", {{"k", std::string(512001, 'v')}}, 0};
  f = failure_of([&] { normalize_database(big_value); });
  EXPECT_EQ(f.field, "parameters.k");
  EXPECT_NE(f.message.find("at most 512000"), std::string::npos);

  Database empty_key{"ok", "", "", {{"", "v"}}, 0};
  EXPECT_NE(failure_of([&] { normalize_database(empty_key); }).message.find("must not be empty"),
            std::string::npos);

  Database bad_utf8{"ok", "\xff", "", {}, 0};
  EXPECT_NE(failure_of([&] { normalize_database(bad_utf8); }).message.find("not valid UTF-8"),
            std::string::npos);
}

TEST(Validation, TableIsNormalised) {
  Table t = sample_table();
  t.storage_descriptor.bucket_columns = {"ID"};
  t.storage_descriptor.number_of_buckets = 4;
  normalize_table(t);
  EXPECT_EQ(t.name, "orders");
  EXPECT_EQ(t.database_name, "sales");
  EXPECT_EQ(t.storage_descriptor.columns[0].name, "id");
  EXPECT_EQ(t.storage_descriptor.columns[0].type, "bigint");
  EXPECT_EQ(t.storage_descriptor.columns[1].type, "decimal(10,2)");
  EXPECT_EQ(t.storage_descriptor.columns[2].name, "items");
  EXPECT_EQ(t.storage_descriptor.columns[2].type, "array<struct<sku:string,qty:int>>");
  EXPECT_EQ(t.partition_keys[0].name, "year");
  EXPECT_EQ(t.partition_keys[1].name, "month");
  EXPECT_EQ(t.storage_descriptor.bucket_columns[0], "id");
}

TEST(Validation, ViewWithoutColumnsIsFine) {
  Table t;
  t.name = "v";
  t.table_type = "VIRTUAL_VIEW";
  t.view_original_text = "SELECT 1\nFROM x";
  normalize_table(t);
  EXPECT_EQ(t.name, "v");
}

TEST(Validation, TableErrorsNameTheField) {
  struct Case {
    std::function<void(Table&)> mutate;
    std::string field;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {[](Table& t) { t.name = ""; }, "name", "table name must not be empty"},
      {[](Table& t) { t.name = "a/b"; }, "name", "table name 'a/b' may contain only"},
      {[](Table& t) { t.database_name = "a b"; }, "database_name", "database name 'a b'"},
      {[](Table& t) { t.storage_descriptor.columns[2].type = "strng"; }, "storage_descriptor.columns[2].type",
       "storage_descriptor.columns[2].type: invalid type for column 'items': unknown type 'strng' at "
       "position 0"},
      {[](Table& t) { t.storage_descriptor.columns[1].type = ""; }, "storage_descriptor.columns[1].type",
       "column 'amount' has no type"},
      {[](Table& t) { t.storage_descriptor.columns[1].name = "a,b"; }, "storage_descriptor.columns[1].name",
       "storage_descriptor.columns[1].name: column name 'a,b' must not contain ','"},
      {[](Table& t) { t.storage_descriptor.columns[2].name = "id"; }, "storage_descriptor.columns[2].name",
       "duplicate column name 'id' (also storage_descriptor.columns[0])"},
      {[](Table& t) { t.partition_keys[0].name = "AMOUNT"; }, "partition_keys[0].name",
       "partition key 'amount' has the same name as storage_descriptor.columns[1]"},
      {[](Table& t) { t.partition_keys[1].name = "year"; }, "partition_keys[1].name",
       "partition key 'year' has the same name as partition_keys[0]"},
      {[](Table& t) { t.partition_keys[0].name = ""; }, "partition_keys[0].name", "must not be empty"},
      {[](Table& t) { t.partition_keys[1].type = "array<string>"; }, "partition_keys[1].type",
       "partition key 'month' must have a primitive type, not 'array<string>'"},
      {[](Table& t) { t.partition_keys[1].type = "map<string,int>"; }, "partition_keys[1].type",
       "must have a primitive type"},
      {[](Table& t) { t.partition_keys[1].type = "varchar(0)"; }, "partition_keys[1].type",
       "varchar length must be 1..65535"},
      {[](Table& t) { t.storage_descriptor.columns[0].comment = std::string(256, 'c'); },
       "storage_descriptor.columns[0].comment", "at most 255 characters"},
      {[](Table& t) {
         t.storage_descriptor.columns[0].parameters = {{"k", "\x01"}};
       },
       "storage_descriptor.columns[0].parameters.k", "control characters"},
      {[](Table& t) { t.storage_descriptor.bucket_columns = {"nope"}; },
       "storage_descriptor.bucket_columns[0]", "bucket column 'nope' is not a column"},
      {[](Table& t) { t.storage_descriptor.number_of_buckets = -2; }, "storage_descriptor.number_of_buckets",
       "must be -1 (not bucketed) or at least 0"},
      {[](Table& t) { t.storage_descriptor.input_format = std::string(129, 'x'); },
       "storage_descriptor.input_format", "at most 128 characters"},
      {[](Table& t) { t.storage_descriptor.serde_info.serialization_library = "a\nb"; },
       "storage_descriptor.serde_info.serialization_library", "control characters"},
      {[](Table& t) {
         t.storage_descriptor.serde_info.parameters = {{"", "x"}};
       },
       "storage_descriptor.serde_info.parameters", "parameter keys must not be empty"},
      {[](Table& t) { t.storage_descriptor.location = std::string(2057, 'l'); },
       "storage_descriptor.location", "at most 2056"},
      {[](Table& t) { t.retention = -1; }, "retention", "must not be negative"},
      {[](Table& t) { t.owner = "a\tb"; }, "owner", "control characters"},
      {[](Table& t) { t.view_original_text = std::string(409601, 'v'); }, "view_original_text",
       "at most 409600"},
      {[](Table& t) {
         t.storage_descriptor.columns.resize(10001, Column{"x", "int", "", {}});
       },
       "storage_descriptor.columns", "at most 10000 columns"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Table t = sample_table();
    cases[i].mutate(t);
    Failure f = failure_of([&] { normalize_table(t); });
    EXPECT_EQ(f.field, cases[i].field) << "case " << i << ": " << f.message;
    EXPECT_NE(f.message.find(cases[i].fragment), std::string::npos) << "case " << i << ": " << f.message;
  }
}

TEST(Validation, TenThousandColumnsAreAllowed) {
  Table t;
  t.name = "wide";
  for (int i = 0; i < 10000; ++i)
    t.storage_descriptor.columns.push_back({"c" + std::to_string(i), "INT", "", {}});
  normalize_table(t);
  EXPECT_EQ(t.storage_descriptor.columns[9999].type, "int");
}

Table typed_table() {
  Table t;
  t.name = "t";
  t.partition_keys = {
      {"ti", "tinyint", "", {}},       {"si", "smallint", "", {}}, {"i", "int", "", {}},
      {"bi", "bigint", "", {}},        {"f", "float", "", {}},     {"d", "double", "", {}},
      {"dec", "decimal(5,2)", "", {}}, {"dt", "date", "", {}},     {"ts", "timestamp", "", {}},
      {"b", "boolean", "", {}},        {"s", "string", "", {}},    {"vc", "varchar(3)", "", {}}};
  normalize_table(t);
  return t;
}

std::vector<std::string> good_values() {
  return {"-128",
          "32767",
          "-2147483648",
          "9223372036854775807",
          "1.5e3",
          "-0.25",
          "-123.45",
          "2024-02-29",
          "2024-02-29 23:59:59.123456789",
          "TRUE",
          "any text / with = signs",
          "abc"};
}

TEST(Validation, PartitionValuesMatchKeyTypes) {
  Table t = typed_table();
  Partition p;
  p.values = good_values();
  p.storage_descriptor.columns = {{"X", "STRING", "", {}}};
  normalize_partition(t, p);
  EXPECT_EQ(p.storage_descriptor.columns[0].name, "x");
  EXPECT_EQ(p.storage_descriptor.columns[0].type, "string");
  EXPECT_EQ(p.values[9], "TRUE");  // values are checked, not rewritten
}

TEST(Validation, PartitionValueErrors) {
  Table t = typed_table();
  struct Case {
    std::size_t index;
    std::string value;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {0, "128", "value '128' for partition key 'ti' (tinyint) is out of range -128..127"},
      {1, "-32769", "out of range -32768..32767"},
      {2, "2147483648", "out of range"},
      {3, "9223372036854775808", "is not an integer"},
      {2, "abc", "value 'abc' for partition key 'i' (int) is not an integer"},
      {2, "1.0", "is not an integer"},
      {2, " 1", "is not an integer"},
      {4, "NaN", "is not a number"},
      {5, "1e", "is not a number"},
      {5, "inf", "is not a number"},
      {6, "1234.5", "has more than 3 digits before the decimal point"},
      {6, "1.234", "has more than 2 digits after the decimal point"},
      {6, "1e2", "is not a decimal number"},
      {7, "2023-02-29", "is not a date 'YYYY-MM-DD'"},
      {7, "2024-13-01", "is not a date"},
      {7, "2024-1-01", "is not a date"},
      {7, "0000-01-01", "is not a date"},
      {8, "2024-01-01", "is not a timestamp"},
      {8, "2024-01-01T00:00:00", "is not a timestamp"},
      {8, "2024-01-01 24:00:00", "is not a timestamp"},
      {8, "2024-01-01 00:00:00.", "is not a timestamp"},
      {8, "2024-01-01 00:00:00.1234567890", "is not a timestamp"},
      {9, "yes", "is not 'true' or 'false'"},
      {11, "abcd", "is longer than 3 characters"},
      {10, "", "must not be empty"},
      {10, "a\nb", "control characters"},
      {10, std::string(1025, 's'), "at most 1024 characters"},
      {10, "\xff", "not valid UTF-8"},
  };
  for (const auto& c : cases) {
    Partition p;
    p.values = good_values();
    p.values[c.index] = c.value;
    Failure f = failure_of([&] { normalize_partition(t, p); });
    EXPECT_EQ(f.field, "values[" + std::to_string(c.index) + "]") << c.value;
    EXPECT_NE(f.message.find(c.fragment), std::string::npos) << c.value << ": " << f.message;
  }
}

TEST(Validation, PartitionValueCount) {
  Table t = sample_table();
  normalize_table(t);
  Partition p;
  p.values = {"2024"};
  Failure f = failure_of([&] { normalize_partition(t, p); });
  EXPECT_EQ(f.field, "values");
  EXPECT_EQ(f.message, "values: expected 2 values (one per partition key: year, month), got 1");

  Table unpartitioned;
  unpartitioned.name = "u";
  f = failure_of([&] { normalize_partition(unpartitioned, p); });
  EXPECT_NE(f.message.find("has no partition keys"), std::string::npos);
}

TEST(Validation, PartitionStorageDescriptorIsValidated) {
  Table t = sample_table();
  normalize_table(t);
  Partition p;
  p.values = {"2024", "01"};
  p.storage_descriptor.columns = {{"a", "int", "", {}}, {"A", "string", "", {}}};
  Failure f = failure_of([&] { normalize_partition(t, p); });
  EXPECT_EQ(f.field, "storage_descriptor.columns[1].name");
  p.storage_descriptor.columns = {{"a", "intt", "", {}}};
  f = failure_of([&] { normalize_partition(t, p); });
  EXPECT_EQ(f.field, "storage_descriptor.columns[0].type");
  EXPECT_NE(f.message.find("unknown type 'intt'"), std::string::npos);
  p.storage_descriptor.columns.clear();
  p.parameters = {{"k", std::string(512001, 'x')}};
  f = failure_of([&] { normalize_partition(t, p); });
  EXPECT_EQ(f.field, "parameters.k");
}

TEST(Validation, DatesAndTimestamps) {
  EXPECT_TRUE(is_valid_date("2000-02-29"));
  EXPECT_FALSE(is_valid_date("1900-02-29"));
  EXPECT_TRUE(is_valid_date("0001-01-01"));
  EXPECT_TRUE(is_valid_date("9999-12-31"));
  EXPECT_FALSE(is_valid_date("2024-04-31"));
  EXPECT_FALSE(is_valid_date("2024-00-10"));
  EXPECT_FALSE(is_valid_date("2024/01/01"));
  EXPECT_FALSE(is_valid_date("20240101"));
  EXPECT_TRUE(is_valid_timestamp("2024-01-01 00:00:00"));
  EXPECT_TRUE(is_valid_timestamp("2024-01-01 23:59:59.1"));
  EXPECT_FALSE(is_valid_timestamp("2024-01-01 23:60:00"));
  EXPECT_FALSE(is_valid_timestamp("2024-01-01 00:00:00Z"));
}

TEST(Validation, NumberParsing) {
  EXPECT_EQ(parse_int64("42"), 42);
  EXPECT_EQ(parse_int64("+42"), 42);
  EXPECT_EQ(parse_int64("-9223372036854775808"), INT64_MIN);
  EXPECT_FALSE(parse_int64("9223372036854775808"));
  EXPECT_FALSE(parse_int64(""));
  EXPECT_FALSE(parse_int64("-"));
  EXPECT_FALSE(parse_int64("+-1"));
  EXPECT_FALSE(parse_int64("1 "));
  EXPECT_FALSE(parse_int64("0x10"));
  EXPECT_EQ(parse_number("1.5"), 1.5);
  EXPECT_EQ(parse_number(".5"), 0.5);
  EXPECT_EQ(parse_number("5."), 5.0);
  EXPECT_EQ(parse_number("+1e3"), 1000.0);
  EXPECT_EQ(parse_number("-2E-1"), -0.2);
  EXPECT_FALSE(parse_number("1e400"));
  EXPECT_FALSE(parse_number("nan"));
  EXPECT_FALSE(parse_number("."));
  EXPECT_FALSE(parse_number("1.2.3"));
  EXPECT_FALSE(parse_number("0x1p3"));
}

}  // namespace
}  // namespace cairn::catalog
