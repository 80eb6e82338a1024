#include "cairn/catalog/model_json.h"

#include <gtest/gtest.h>

#include <string>

#include "cairn/catalog/error.h"
#include "catalog/failure_of.h"

namespace cairn::catalog {
namespace {

using nlohmann::json;

StorageDescriptor sample_sd() {
  StorageDescriptor sd;
  sd.columns = {{"id", "bigint", "the id", {{"pii", "none"}}}, {"name", "string", "", {}}};
  sd.location = "s3://lake/t/";
  sd.input_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
  sd.output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
  sd.compressed = true;
  sd.number_of_buckets = 8;
  sd.bucket_columns = {"id"};
  sd.serde_info = {"parquet",
                   "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                   {{"serialization.format", "1"}}};
  sd.parameters = {{"classification", "parquet"}, {"unicode", "caf\xc3\xa9 \xf0\x9f\x98\x80"}};
  sd.stored_as_sub_directories = true;
  return sd;
}

void expect_same(const StorageDescriptor& a, const StorageDescriptor& b) {
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (std::size_t i = 0; i < a.columns.size(); ++i) {
    EXPECT_EQ(a.columns[i].name, b.columns[i].name);
    EXPECT_EQ(a.columns[i].type, b.columns[i].type);
    EXPECT_EQ(a.columns[i].comment, b.columns[i].comment);
    EXPECT_EQ(a.columns[i].parameters, b.columns[i].parameters);
  }
  EXPECT_EQ(a.location, b.location);
  EXPECT_EQ(a.input_format, b.input_format);
  EXPECT_EQ(a.output_format, b.output_format);
  EXPECT_EQ(a.compressed, b.compressed);
  EXPECT_EQ(a.number_of_buckets, b.number_of_buckets);
  EXPECT_EQ(a.bucket_columns, b.bucket_columns);
  EXPECT_EQ(a.serde_info.name, b.serde_info.name);
  EXPECT_EQ(a.serde_info.serialization_library, b.serde_info.serialization_library);
  EXPECT_EQ(a.serde_info.parameters, b.serde_info.parameters);
  EXPECT_EQ(a.parameters, b.parameters);
  EXPECT_EQ(a.stored_as_sub_directories, b.stored_as_sub_directories);
}

using catalog_test::Failure;
using catalog_test::failure_of;

TEST(ModelJson, StorageDescriptorRoundTripsExactly) {
  StorageDescriptor sd = sample_sd();
  json j = to_json(sd);
  StorageDescriptor back = storage_descriptor_from_json(json::parse(j.dump()));
  expect_same(sd, back);
  EXPECT_EQ(to_json(back), j);

  StorageDescriptor empty;
  StorageDescriptor empty_back = storage_descriptor_from_json(to_json(empty));
  expect_same(empty, empty_back);
  EXPECT_EQ(empty_back.number_of_buckets, -1);
}

TEST(ModelJson, StorageDescriptorShape) {
  json j = to_json(sample_sd());
  for (const char* key :
       {"columns", "location", "input_format", "output_format", "compressed", "number_of_buckets",
        "bucket_columns", "serde_info", "parameters", "stored_as_sub_directories"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.size(), 10u);
  EXPECT_EQ(
      j["columns"][0],
      json({{"name", "id"}, {"type", "bigint"}, {"comment", "the id"}, {"parameters", {{"pii", "none"}}}}));
  EXPECT_EQ(j["serde_info"]["serialization_library"],
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
  EXPECT_EQ(j["serde_info"]["parameters"]["serialization.format"], "1");
  EXPECT_EQ(j["number_of_buckets"], 8);
  EXPECT_EQ(j["compressed"], true);

  json empty = to_json(StorageDescriptor{});
  EXPECT_EQ(empty["columns"], json::array());
  EXPECT_EQ(empty["parameters"], json::object());
  EXPECT_EQ(empty["bucket_columns"], json::array());
  EXPECT_EQ(empty["location"], "");
  EXPECT_EQ(empty["serde_info"]["parameters"], json::object());
}

TEST(ModelJson, TableShapeAndRoundTrip) {
  Table t;
  t.database_name = "sales";
  t.name = "orders";
  t.description = "all orders";
  t.owner = "alice";
  t.table_type = "EXTERNAL_TABLE";
  t.parameters = {{"classification", "parquet"}};
  t.retention = 7;
  t.partition_keys = {{"year", "int", "", {}}};
  t.storage_descriptor = sample_sd();
  t.view_original_text = "";
  t.view_expanded_text = "";
  t.create_time = 1795239600123;  // 2026-11-21T05:40:00.123Z
  t.update_time = 1795239601000;
  t.version_id = 3;
  json j = to_json(t);
  for (const char* key : {"name", "database_name", "description", "owner", "table_type", "parameters",
                          "retention", "partition_keys", "storage_descriptor", "view_original_text",
                          "view_expanded_text", "create_time", "update_time", "version_id"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.size(), 14u);
  EXPECT_EQ(j["create_time"], "2026-11-21T05:40:00.123Z");
  EXPECT_EQ(j["update_time"], "2026-11-21T05:40:01.000Z");
  EXPECT_EQ(j["version_id"], 3);
  EXPECT_EQ(j["partition_keys"][0]["type"], "int");

  Table back = table_from_json(j, "table");
  EXPECT_EQ(back.name, "orders");
  EXPECT_EQ(back.database_name, "");  // read-only keys are ignored
  EXPECT_EQ(back.create_time, 0);
  EXPECT_EQ(back.version_id, 0);
  EXPECT_EQ(back.description, t.description);
  EXPECT_EQ(back.owner, t.owner);
  EXPECT_EQ(back.table_type, t.table_type);
  EXPECT_EQ(back.parameters, t.parameters);
  EXPECT_EQ(back.retention, 7);
  ASSERT_EQ(back.partition_keys.size(), 1u);
  EXPECT_EQ(back.partition_keys[0].name, "year");
  expect_same(back.storage_descriptor, t.storage_descriptor);

  Table fresh;
  fresh.name = "x";
  json fj = to_json(fresh);
  EXPECT_FALSE(fj.contains("create_time"));
  EXPECT_FALSE(fj.contains("update_time"));
  EXPECT_EQ(fj["description"], "");
}

TEST(ModelJson, MinimalTableFromJson) {
  Table t = table_from_json(json{{"name", "t"}});
  EXPECT_EQ(t.name, "t");
  EXPECT_TRUE(t.storage_descriptor.columns.empty());
  EXPECT_EQ(t.storage_descriptor.number_of_buckets, -1);
  EXPECT_EQ(t.retention, 0);
}

TEST(ModelJson, DatabaseShapeAndRoundTrip) {
  Database db{"sales", "d", "s3://x/", {{"k", "v"}}, 0};
  json j = to_json(db);
  EXPECT_EQ(j, json({{"name", "sales"},
                     {"description", "d"},
                     {"location_uri", "s3://x/"},
                     {"parameters", {{"k", "v"}}}}));
  db.create_time = 1000;
  j = to_json(db);
  EXPECT_EQ(j["create_time"], "1970-01-01T00:00:01.000Z");
  Database back = database_from_json(j, "database");
  EXPECT_EQ(back.name, "sales");
  EXPECT_EQ(back.description, "d");
  EXPECT_EQ(back.location_uri, "s3://x/");
  EXPECT_EQ(back.parameters, db.parameters);
  EXPECT_EQ(back.create_time, 0);
}

TEST(ModelJson, PartitionShapeAndRoundTrip) {
  Partition p;
  p.database_name = "sales";
  p.table_name = "orders";
  p.values = {"2024", "01"};
  p.storage_descriptor = sample_sd();
  p.parameters = {{"rows", "10"}};
  p.create_time = 86400000;
  p.last_access_time = 86400001;
  json j = to_json(p);
  EXPECT_EQ(j.size(), 7u);
  EXPECT_EQ(j["database_name"], "sales");
  EXPECT_EQ(j["table_name"], "orders");
  EXPECT_EQ(j["values"], json({"2024", "01"}));
  EXPECT_EQ(j["create_time"], "1970-01-02T00:00:00.000Z");
  EXPECT_EQ(j["last_access_time"], "1970-01-02T00:00:00.001Z");
  Partition back = partition_from_json(j, "partition");
  EXPECT_EQ(back.values, p.values);
  EXPECT_EQ(back.parameters, p.parameters);
  EXPECT_EQ(back.database_name, "");
  expect_same(back.storage_descriptor, p.storage_descriptor);
}

TEST(ModelJson, PrincipalAndAccessKey) {
  Principal alice{PrincipalKind::User, "alice", "analyst", 0};
  EXPECT_EQ(to_json(alice, "123456789012"), json({{"kind", "user"},
                                                  {"name", "alice"},
                                                  {"arn", "arn:aws:iam::123456789012:user/alice"},
                                                  {"description", "analyst"}}));
  Principal etl{PrincipalKind::Role, "etl", "", 1};
  EXPECT_EQ(to_json(etl, "000000000000")["arn"], "arn:aws:iam::000000000000:role/etl");
  EXPECT_EQ(to_json(etl, "000000000000")["kind"], "role");
  Principal group{PrincipalKind::Group, "analysts", "", 0};
  EXPECT_EQ(to_json(group, "000000000000")["arn"], "arn:aws:iam::000000000000:group/analysts");

  AccessKey key;
  key.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  key.owner_kind = PrincipalKind::User;
  key.owner_name = "alice";
  key.status = AccessKeyStatus::Inactive;
  key.sealed_secret = "SEALED-SECRET-BYTES";
  key.create_time = 1795239600123;
  json j = to_json(key, "123456789012");
  EXPECT_EQ(j, json({{"access_key_id", "AKIAIOSFODNN7EXAMPLE"},
                     {"status", "Inactive"},
                     {"owner_arn", "arn:aws:iam::123456789012:user/alice"},
                     {"create_time", "2026-11-21T05:40:00.123Z"}}));
  EXPECT_EQ(j.dump().find("SEALED"), std::string::npos);
  key.status = AccessKeyStatus::Active;
  EXPECT_EQ(to_json(key, "123456789012")["status"], "Active");
}

TEST(ModelJson, FormatTimestamp) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(ModelJson, StrictErrorsNameThePath) {
  struct Case {
    json j;
    std::string field;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {json::array(), "table", "expected an object, got an array"},
      {json{{"nme", "t"}}, "table.nme", "unknown key (expected one of: name,"},
      {json::object(), "table.name", "required key is missing"},
      {json{{"name", 5}}, "table.name", "expected a string, got an integer"},
      {json{{"name", nullptr}}, "table.name", "expected a string, got null"},
      {json{{"name", "t"}, {"retention", "7"}}, "table.retention", "expected an integer, got a string"},
      {json{{"name", "t"}, {"retention", 1.5}}, "table.retention", "expected an integer, got a number"},
      {json{{"name", "t"}, {"retention", 4294967296}}, "table.retention", "out of range"},
      {json{{"name", "t"}, {"parameters", {{"a", 1}}}}, "table.parameters.a",
       "expected a string, got an integer"},
      {json{{"name", "t"}, {"parameters", json::array()}}, "table.parameters",
       "expected an object of strings"},
      {json{{"name", "t"}, {"partition_keys", json::object()}}, "table.partition_keys",
       "expected an array of columns"},
      {json{{"name", "t"}, {"partition_keys", {{{"name", "y"}}}}}, "table.partition_keys[0].type",
       "required key is missing"},
      {json{{"name", "t"},
            {"storage_descriptor", {{"columns", {{{"name", "a"}, {"type", "int"}}, {{"name", 1}}}}}}},
       "table.storage_descriptor.columns[1].name", "expected a string"},
      {json{{"name", "t"}, {"storage_descriptor", {{"compressed", "yes"}}}},
       "table.storage_descriptor.compressed", "expected a boolean, got a string"},
      {json{{"name", "t"}, {"storage_descriptor", {{"bucket_columns", {"a", 2}}}}},
       "table.storage_descriptor.bucket_columns[1]", "expected a string"},
      {json{{"name", "t"}, {"storage_descriptor", {{"serde_info", {{"library", "x"}}}}}},
       "table.storage_descriptor.serde_info.library", "unknown key"},
      {json{{"name", "t"},
            {"storage_descriptor", {{"columns", {{{"name", "a"}, {"type", "int"}, {"extra", 1}}}}}}},
       "table.storage_descriptor.columns[0].extra", "unknown key"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Failure f = failure_of([&] { table_from_json(cases[i].j, "table"); });
    EXPECT_EQ(f.field, cases[i].field) << "case " << i << ": " << f.message;
    EXPECT_NE(f.message.find(cases[i].fragment), std::string::npos) << "case " << i << ": " << f.message;
    EXPECT_EQ(f.message.rfind(cases[i].field + ": ", 0), 0u) << "case " << i << ": " << f.message;
  }
}

TEST(ModelJson, StrictErrorsWithoutPath) {
  Failure f = failure_of([] { database_from_json(json{{"name", "d"}, {"bogus", 1}}); });
  EXPECT_EQ(f.field, "bogus");
  f = failure_of([] { database_from_json(json("x")); });
  EXPECT_EQ(f.field, "");
  EXPECT_EQ(f.message, "expected an object, got a string");
  f = failure_of([] { partition_from_json(json::object(), "partition"); });
  EXPECT_EQ(f.field, "partition.values");
  f = failure_of([] { partition_from_json(json{{"values", {"a", 1}}}, "partition"); });
  EXPECT_EQ(f.field, "partition.values[1]");
  f = failure_of([] { columns_from_json(json{{{"name", "a"}, {"type", 1}}}, "columns"); });
  EXPECT_EQ(f.field, "columns[0].type");
  f = failure_of([] { parameters_from_json(json{{"k", true}}, "p"); });
  EXPECT_EQ(f.field, "p.k");
}

TEST(ModelJson, ReadOnlyKeysAreAccepted) {
  Partition p = partition_from_json(json{{"values", {"1"}},
                                         {"database_name", "x"},
                                         {"table_name", "y"},
                                         {"create_time", "2026-01-01T00:00:00.000Z"},
                                         {"last_access_time", 5}});
  EXPECT_EQ(p.values, std::vector<std::string>{"1"});
  EXPECT_EQ(p.database_name, "");
  Database db = database_from_json(json{{"name", "d"}, {"create_time", "whenever"}});
  EXPECT_EQ(db.create_time, 0);
  Table t =
      table_from_json(json{{"name", "t"}, {"update_time", 1}, {"version_id", 9}, {"database_name", "d"}});
  EXPECT_EQ(t.version_id, 0);
}

}  // namespace
}  // namespace cairn::catalog
