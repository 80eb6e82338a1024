#include "cairn/crawler/json_classifier.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/names.h"
#include "crawler/test_util.h"

namespace cairn::crawler {
namespace {

using test::columns_of;

FileSchema classify(std::string_view sample, const JsonOptions& options = {}) {
  std::optional<FileSchema> fs = classify_json(sample, options);
  if (!fs) {
    ADD_FAILURE() << "not classified as JSON: " << sample.substr(0, 200);
    return {};
  }
  EXPECT_EQ(fs->classification, "json");
  EXPECT_EQ(fs->serialization_library, "org.openx.data.jsonserde.JsonSerDe");
  EXPECT_EQ(fs->input_format, "org.apache.hadoop.mapred.TextInputFormat");
  EXPECT_EQ(fs->output_format, "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat");
  return *fs;
}

JsonOptions with_path(std::string path, bool truncated = false) {
  JsonOptions o;
  o.json_path = std::move(path);
  o.truncated = truncated;
  return o;
}

JsonOptions truncated() {
  JsonOptions o;
  o.truncated = true;
  return o;
}

// --- negative cases first ---

TEST(JsonClassifier, RejectsEmptyTextAndBinary) {
  EXPECT_FALSE(classify_json(""));
  EXPECT_FALSE(classify_json("   \n"));
  EXPECT_FALSE(classify_json("id,name\n1,alice\n"));
  EXPECT_FALSE(classify_json("hello world"));
  std::string bytes = "{\"a\":1}\n";
  bytes += std::string(64, '\0');
  EXPECT_FALSE(classify_json(bytes));
}

TEST(JsonClassifier, RejectsMalformedJson) {
  EXPECT_FALSE(classify_json("{not json}\n{also: not}\n"));
  EXPECT_FALSE(classify_json("{\"a\":1}\n{\"a\":}\n{\"a\":,}\n{\"a\" 2}\n"));
  // A whole file that ends inside its only record.
  EXPECT_FALSE(classify_json("{\"a\": 1, \"b\": "));
}

TEST(JsonClassifier, RejectsValuesThatAreNotRecords) {
  EXPECT_FALSE(classify_json("[1, 2, 3]"));
  EXPECT_FALSE(classify_json("{}\n{}\n"));
  EXPECT_FALSE(classify_json("[[1], [2]]"));
}

TEST(JsonClassifier, MalformedJsonPathIsAnError) {
  for (const char* bad : {"records", "$.", "$[", "$[*", "$['a", "$[x]", "$..a", "$a"}) {
    try {
      classify_json("{\"a\":1}", with_path(bad));
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << bad;
      EXPECT_EQ(e.field(), "json_path");
    }
  }
}

// --- records ---

TEST(JsonClassifier, NewlineDelimitedRecords) {
  FileSchema fs = classify(
      "{\"id\": 1, \"name\": \"alice\", \"active\": true, \"score\": 2.5}\n"
      "{\"id\": 2, \"name\": \"bob\", \"active\": false, \"score\": 3}\n");
  EXPECT_EQ(columns_of(fs),
            (std::vector<std::string>{"id:int", "name:string", "active:boolean", "score:double"}));
  EXPECT_EQ(fs.record_count, 2);
  EXPECT_TRUE(fs.record_count_exact);
  EXPECT_EQ(fs.certainty, 1.0);
  EXPECT_EQ(fs.serde_parameters.at("paths"), "id,name,active,score");
}

TEST(JsonClassifier, TopLevelArrayOfObjects) {
  FileSchema fs = classify("[\n  {\"id\": 1, \"tags\": [\"a\"]},\n  {\"id\": 2, \"tags\": []}\n]\n");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"id:int", "tags:array<string>"}));
  EXPECT_EQ(fs.record_count, 2);
}

TEST(JsonClassifier, PrettyPrintedConcatenatedObjects) {
  FileSchema fs = classify("{\n  \"a\": 1,\n  \"b\": {\"c\": \"}\"}\n}\n{\n  \"a\": 2\n}\n");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"a:int", "b:struct<c:string>"}));
  EXPECT_EQ(fs.record_count, 2);
}

TEST(JsonClassifier, FieldOrderIsFirstAppearance) {
  FileSchema fs = classify("{\"b\": 1}\n{\"a\": 1, \"b\": 2}\n{\"c\": 1, \"a\": 2}\n");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"b:int", "a:int", "c:int"}));
}

TEST(JsonClassifier, NestedStructsAndArrays) {
  FileSchema fs = classify(
      "{\"user\": {\"name\": \"a\", \"address\": {\"city\": \"x\", \"zip\": 10115}}, "
      "\"items\": [{\"sku\": \"s1\", \"qty\": 1}, {\"sku\": \"s2\", \"price\": 9.5}], \"matrix\": [[1, 2], "
      "[3]]}\n");
  EXPECT_EQ(columns_of(fs),
            (std::vector<std::string>{"user:struct<name:string,address:struct<city:string,zip:int>>",
                                      "items:array<struct<sku:string,qty:int,price:double>>",
                                      "matrix:array<array<int>>"}));
}

TEST(JsonClassifier, WideningAcrossRecords) {
  FileSchema fs = classify(
      "{\"i\": 1, \"b\": 1, \"d\": 1, \"s\": 1, \"bn\": true, \"st\": {\"x\": 1}, \"ar\": [1], \"n\": null}\n"
      "{\"i\": 2, \"b\": 3000000000, \"d\": 1.5, \"s\": \"x\", \"bn\": 1, \"st\": 5, \"ar\": {\"y\": 1}, "
      "\"n\": null}\n");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"i:int", "b:bigint", "d:double", "s:string",
                                                      "bn:string", "st:string", "ar:string", "n:string"}));
}

TEST(JsonClassifier, WideningInsideNestedTypes) {
  FileSchema fs = classify(
      "{\"a\": [1, 2], \"s\": {\"x\": 1, \"y\": null}}\n"
      "{\"a\": [3000000000, 2.5], \"s\": {\"x\": 2.5, \"z\": [true]}}\n"
      "{\"a\": [], \"s\": null}\n");
  EXPECT_EQ(columns_of(fs),
            (std::vector<std::string>{"a:array<double>", "s:struct<x:double,y:string,z:array<boolean>>"}));
}

TEST(JsonClassifier, NullsAndEmptyContainers) {
  FileSchema fs = classify("{\"a\": null, \"b\": [], \"c\": {}, \"d\": [null]}\n{\"a\": null}\n");
  EXPECT_EQ(columns_of(fs),
            (std::vector<std::string>{"a:string", "b:array<string>", "c:string", "d:array<string>"}));
  FileSchema later = classify("{\"a\": null}\n{\"a\": 5}\n");
  EXPECT_EQ(columns_of(later), (std::vector<std::string>{"a:int"}));
}

TEST(JsonClassifier, BigNumbersFollowTheWideningChain) {
  FileSchema fs = classify("{\"u\": 18446744073709551615, \"n\": -2147483649, \"i\": 2147483647}\n");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"u:double", "n:bigint", "i:int"}));
}

TEST(JsonClassifier, KeysAreCaseInsensitiveAndSanitised) {
  FileSchema fs = classify(
      "{\"Name\": \"a\", \"@timestamp\": \"t\", \"a,b\": 1, \"x:y\": {\"In<ner>\": 1, \"a.b\": 2}, \"\": 3}\n"
      "{\"NAME\": \"b\"}\n");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"name:string", "@timestamp:string", "a_b:int",
                                                      "x_y:struct<in_ner_:int,`a.b`:int>", "col4:int"}));
  EXPECT_EQ(fs.serde_parameters.at("mapping.a_b"), "a,b");
  EXPECT_EQ(fs.serde_parameters.at("mapping.x_y"), "x:y");
  EXPECT_EQ(fs.serde_parameters.at("mapping.in_ner_"), "in<ner>");
  EXPECT_EQ(fs.serde_parameters.at("mapping.col4"), "");
  EXPECT_EQ(fs.serde_parameters.count("mapping.name"), 0u);
}

TEST(JsonClassifier, DeepNestingBecomesString) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 200; ++i) deep += "}";
  FileSchema fs = classify("{\"top\": " + deep + "}\n");
  ASSERT_EQ(fs.columns.size(), 1u);
  EXPECT_EQ(catalog::parse_hive_type(fs.columns[0].type).to_string(), fs.columns[0].type);
  EXPECT_NE(fs.columns[0].type.find("a:string"), std::string::npos);
}

// --- samples ---

TEST(JsonClassifier, TruncatedNdjsonDropsTheCutRecord) {
  std::string sample = "{\"a\": 1}\n{\"a\": 2, \"b\": \"x\"}\n{\"a\": 3, \"c\": [1, 2";
  FileSchema fs = classify(sample, truncated());
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"a:int", "b:string"}));
  EXPECT_EQ(fs.record_count, 2);
  EXPECT_FALSE(fs.record_count_exact);
  EXPECT_EQ(fs.certainty, 1.0);
  // Without `truncated` the cut record is a malformed record among three.
  std::optional<FileSchema> whole = classify_json(sample);
  EXPECT_FALSE(whole);
}

TEST(JsonClassifier, TruncatedArrayKeepsCompleteElements) {
  std::string sample = "[{\"id\": 1, \"v\": \"a\"}, {\"id\": 2, \"w\": [1]}, {\"id\": 3, \"x\": {\"y\": ";
  FileSchema fs = classify(sample, truncated());
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"id:int", "v:string", "w:array<int>"}));
  EXPECT_EQ(fs.record_count, 2);
}

TEST(JsonClassifier, TruncatedInsideAMultiByteCharacter) {
  std::string sample = "{\"a\": \"caf\xc3\xa9\"}\n{\"a\": \"caf\xc3";
  FileSchema fs = classify(sample, truncated());
  EXPECT_EQ(fs.record_count, 1);
}

TEST(JsonClassifier, ManyRecordsWithOneMalformedLine) {
  std::string s;
  for (int i = 0; i < 30; ++i) s += "{\"id\": " + std::to_string(i) + "}\n";
  s += "{\"id\": oops}\n";
  FileSchema fs = classify(s);
  EXPECT_EQ(fs.record_count, 30);
  EXPECT_FALSE(fs.record_count_exact);
  EXPECT_LT(fs.certainty, 1.0);
  EXPECT_GT(fs.certainty, 0.9);
}

// --- JSON path (custom classifier) ---

TEST(JsonClassifier, PathToNestedRecords) {
  std::string doc =
      "{\"meta\": {\"count\": 2}, \"records\": [{\"id\": 1, \"x\": \"a\"}, {\"id\": 2, \"y\": true}], "
      "\"other\": [{\"zzz\": 1}]}";
  FileSchema fs = classify(doc, with_path("$.records[*]"));
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"id:int", "x:string", "y:boolean"}));
  EXPECT_EQ(fs.record_count, 2);
  EXPECT_EQ(fs.parameters.at("jsonPath"), "$.records[*]");
  EXPECT_EQ(columns_of(classify(doc, with_path("$['records'][*]"))), columns_of(fs));
  EXPECT_EQ(columns_of(classify(doc, with_path("$.records[1]"))),
            (std::vector<std::string>{"id:int", "y:boolean"}));
  EXPECT_EQ(columns_of(classify(doc, with_path("$.meta"))), (std::vector<std::string>{"count:int"}));
  EXPECT_FALSE(classify_json(doc, with_path("$.missing[*]")));
}

TEST(JsonClassifier, PathOverTruncatedSample) {
  std::string doc =
      "{\"meta\": {}, \"data\": {\"items\": [{\"k\": 1}, {\"k\": 2, \"l\": \"x\"}, {\"k\": 3, \"l";
  FileSchema fs = classify(doc, with_path("$.data.items[*]", true));
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"k:int", "l:string"}));
  EXPECT_EQ(fs.record_count, 2);
}

TEST(JsonClassifier, PathAppliesToEachTopLevelValue) {
  FileSchema fs = classify("[{\"a\": 1}]\n[{\"a\": 2}, {\"b\": 1}]\n", with_path("$[*]"));
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"a:int", "b:int"}));
  EXPECT_EQ(fs.record_count, 3);
  FileSchema wildcard = classify("{\"x\": {\"a\": 1}, \"y\": {\"b\": \"s\"}}", with_path("$.*"));
  EXPECT_EQ(columns_of(wildcard), (std::vector<std::string>{"a:int", "b:string"}));
}

TEST(JsonClassifier, DuckDbExpectationsFromSharedData) {
  std::filesystem::path file = std::filesystem::path(CAIRN_SOURCE_DIR) / ".." / "shared" / "data" /
                               "parquet-testing" / "EXPECTED-duckdb.json";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no shared data at " << file;
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  // The whole file is one object: one record whose columns are the file names.
  FileSchema whole = classify(text);
  EXPECT_EQ(whole.record_count, 1);
  EXPECT_GT(whole.columns.size(), 10u);
  columns_of(whole);
  // Each file's entry as a record, also from a truncated prefix.
  FileSchema entries = classify(text, with_path("$.*"));
  EXPECT_EQ(columns_of(entries),
            (std::vector<std::string>{"columns:array<array<string>>", "rows:int", "error:string"}));
  FileSchema prefix = classify(std::string_view(text).substr(0, 2000), with_path("$.*", true));
  EXPECT_GE(prefix.record_count, 1);
  EXPECT_LT(*prefix.record_count, *entries.record_count);
}

}  // namespace
}  // namespace cairn::crawler
