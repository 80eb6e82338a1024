// Value sampling of CSV and JSON files (crawler/src/value_sample.cpp): by the schema their classifier gives.

#include "cairn/crawler/value_sample.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/crawler/byte_source.h"
#include "cairn/crawler/csv_classifier.h"
#include "cairn/crawler/json_classifier.h"
#include "crawler/compress_util.h"

namespace {

using cairn::crawler::classify_csv;
using cairn::crawler::classify_json;
using cairn::crawler::ColumnValues;
using cairn::crawler::CsvOptions;
using cairn::crawler::FileSchema;
using cairn::crawler::JsonOptions;
using cairn::crawler::sample_text_values;
using cairn::crawler::ValueSampleOptions;
using Values = std::vector<std::string>;

std::vector<ColumnValues> csv(const std::string& text, const CsvOptions& csv_options = {},
                              const ValueSampleOptions& options = {}) {
  const std::optional<FileSchema> schema = classify_csv(text, csv_options);
  if (!schema) throw std::runtime_error("not CSV: " + text);
  return sample_text_values(text, csv_options.truncated, *schema, options);
}

std::vector<ColumnValues> json(const std::string& text, const JsonOptions& json_options = {},
                               const ValueSampleOptions& options = {}) {
  const std::optional<FileSchema> schema = classify_json(text, json_options);
  if (!schema) throw std::runtime_error("not JSON: " + text);
  return sample_text_values(text, json_options.truncated, *schema, options);
}

const ColumnValues& column(const std::vector<ColumnValues>& columns, const std::string& name) {
  for (const ColumnValues& c : columns) {
    if (c.column == name) return c;
  }
  throw std::runtime_error("no column " + name);
}

std::vector<std::string> names(const std::vector<ColumnValues>& columns) {
  std::vector<std::string> out;
  for (const ColumnValues& c : columns) out.push_back(c.column);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// CSV

TEST(CsvValueSample, HeaderNamesAndValuesInFileOrder) {
  const auto got = csv("Name,E-Mail,Age\nAnna,anna@example.com,31\nBen,ben@example.org,42\n");
  EXPECT_EQ(names(got), (Values{"name", "e_mail", "age"}));
  EXPECT_EQ(got[0].values, (Values{"Anna", "Ben"}));
  EXPECT_EQ(got[1].values, (Values{"anna@example.com", "ben@example.org"}));
  EXPECT_EQ(got[2].values, (Values{"31", "42"}));
  EXPECT_EQ(got[2].nulls, 0u);
}

TEST(CsvValueSample, NoHeaderUsesColumnNumbers) {
  const auto got = csv("1,2020-01-01,x\n2,2020-01-02,y\n3,2020-01-03,z\n");
  EXPECT_EQ(names(got), (Values{"col0", "col1", "col2"}));
  EXPECT_EQ(got[0].values, (Values{"1", "2", "3"}));
  EXPECT_EQ(got[1].values[2], "2020-01-03");
}

TEST(CsvValueSample, QuotedFieldsWithDelimitersQuotesAndLineBreaks) {
  const auto got =
      csv("id,address,note\n"
          "1,\"1 Main St, Springfield\",\"said \"\"hi\"\"\"\n"
          "2,\"Line one\nLine two\",plain\n");
  EXPECT_EQ(column(got, "address").values, (Values{"1 Main St, Springfield", "Line one\nLine two"}));
  EXPECT_EQ(column(got, "note").values, (Values{"said \"hi\"", "plain"}));
}

TEST(CsvValueSample, OtherDelimitersAndTrimming) {
  const auto tabs = csv("a\tb\n x \t1\ny\t 2 \n");
  EXPECT_EQ(tabs[0].values, (Values{"x", "y"}));
  EXPECT_EQ(tabs[1].values, (Values{"1", "2"}));
  const auto pipes = csv("a|b\nx|1\ny|2\n");
  EXPECT_EQ(pipes[1].values, (Values{"1", "2"}));
  const auto control =
      csv("x\x01"
          "1\ny\x01"
          "2\nz\x01"
          "3\n");
  EXPECT_EQ(control[0].values, (Values{"x", "y", "z"}));
}

TEST(CsvValueSample, EmptyFieldsAndBackslashNAreNulls) {
  const auto got = csv("a,b\n1,\n,x\n\\N,y\n4,z\n");
  EXPECT_EQ(got[0].values, (Values{"1", "4"}));
  EXPECT_EQ(got[0].nulls, 2u);
  EXPECT_EQ(got[1].values, (Values{"x", "y", "z"}));
  EXPECT_EQ(got[1].nulls, 1u);
}

TEST(CsvValueSample, LimitPerColumnAndTruncatedSample) {
  std::string text = "n,s\n";
  for (int i = 0; i < 50; ++i) text += std::to_string(i) + ",v" + std::to_string(i) + "\n";
  ValueSampleOptions options;
  options.max_values_per_column = 5;
  const auto limited = csv(text, {}, options);
  EXPECT_EQ(limited[0].values, (Values{"0", "1", "2", "3", "4"}));
  // A truncated sample drops its cut last row.
  CsvOptions truncated;
  truncated.truncated = true;
  const auto cut = csv(text + "50,v5", truncated);
  EXPECT_EQ(cut[0].values.size(), 50u);
  EXPECT_EQ(cut[1].values.back(), "v49");
}

TEST(CsvValueSample, Deterministic) {
  const std::string text = "a,b,c\n1,x,\"q,1\"\n2,y,\"q,2\"\n";
  const auto first = csv(text);
  const auto second = csv(text);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].values, second[i].values);
}

// ---------------------------------------------------------------------------------------------------------------
// JSON

TEST(JsonValueSample, NdjsonByTopLevelKey) {
  const auto got = json(
      "{\"id\": 1, \"email\": \"a@example.com\", \"score\": 1.50, \"ok\": true}\n"
      "{\"id\": 2, \"email\": null, \"score\": 2e3, \"ok\": false}\n");
  EXPECT_EQ(names(got), (Values{"id", "email", "score", "ok"}));
  EXPECT_EQ(column(got, "id").values, (Values{"1", "2"}));
  EXPECT_EQ(column(got, "email").values, (Values{"a@example.com"}));
  EXPECT_EQ(column(got, "email").nulls, 1u);
  EXPECT_EQ(column(got, "score").values, (Values{"1.50", "2e3"}));  // numbers as written
  EXPECT_EQ(column(got, "ok").values, (Values{"true", "false"}));
}

TEST(JsonValueSample, TopLevelArrayOfRecords) {
  const auto got = json("[{\"a\": \"x\"}, {\"a\": \"y\", \"b\": 3}]");
  EXPECT_EQ(column(got, "a").values, (Values{"x", "y"}));
  EXPECT_EQ(column(got, "b").values, (Values{"3"}));
}

TEST(JsonValueSample, NestedObjectsByDottedPathArraysSkipped) {
  const auto got = json(
      "{\"user\": {\"name\": \"Ann\", \"address\": {\"zip\": \"10115\"}}, \"tags\": [\"a\", \"b\"], "
      "\"items\": [{\"sku\": \"X1\"}]}\n"
      "{\"user\": {\"name\": \"Bob\", \"address\": null}, \"tags\": []}\n");
  EXPECT_EQ(column(got, "user.name").values, (Values{"Ann", "Bob"}));
  EXPECT_EQ(column(got, "user.address.zip").values, (Values{"10115"}));
  EXPECT_EQ(column(got, "user.address").nulls, 1u);
  EXPECT_TRUE(column(got, "tags").values.empty());
  for (const ColumnValues& c : got) EXPECT_EQ(c.column.find("sku"), std::string::npos) << c.column;
}

TEST(JsonValueSample, ConcatenatedAndPrettyPrintedObjects) {
  const auto got = json("{\n  \"a\": 1\n}\n{\"a\": 2}{\"a\": 3}\n");
  EXPECT_EQ(column(got, "a").values, (Values{"1", "2", "3"}));
}

TEST(JsonValueSample, MalformedLineIsSkippedAndTruncatedRecordDropped) {
  const std::string text = "{\"a\": 1}\n{\"a\": \n{\"a\": 3}\n{\"a\": 4, \"b\": \"cu";
  JsonOptions options;
  options.truncated = true;
  const std::optional<FileSchema> schema = classify_json(text, options);
  ASSERT_TRUE(schema.has_value());
  const auto got = sample_text_values(text, true, *schema, {});
  EXPECT_EQ(column(got, "a").values, (Values{"1", "3"}));
}

TEST(JsonValueSample, TruncatedTopLevelArrayKeepsCompleteRecords) {
  std::string text = "[";
  for (int i = 0; i < 20; ++i)
    text += "{\"n\": " + std::to_string(i) + ", \"s\": \"v" + std::to_string(i) + "\"},";
  text += "{\"n\": 20, \"s\": \"cut";
  JsonOptions options;
  options.truncated = true;
  const auto got = json(text, options);
  EXPECT_EQ(column(got, "n").values.size(), 20u);
  EXPECT_EQ(column(got, "s").values.back(), "v19");
}

TEST(JsonValueSample, JsonPathSelectsRecords) {
  JsonOptions options;
  options.json_path = "$.records[*]";
  const auto got = json("{\"meta\": {\"x\": 1}, \"records\": [{\"id\": \"r1\"}, {\"id\": \"r2\"}]}", options);
  EXPECT_EQ(column(got, "id").values, (Values{"r1", "r2"}));
  for (const ColumnValues& c : got) EXPECT_NE(c.column, "meta.x");
}

TEST(JsonValueSample, RenamedKeysUseTheColumnName) {
  const auto got = json("{\"First Name\": \"Ann\", \"a:b\": 1}\n");
  const std::optional<FileSchema> schema = classify_json("{\"First Name\": \"Ann\", \"a:b\": 1}\n");
  ASSERT_TRUE(schema.has_value());
  EXPECT_EQ(got[0].column, schema->columns[0].name);
  EXPECT_EQ(got[0].values, (Values{"Ann"}));
  EXPECT_EQ(got[1].column, schema->columns[1].name);
  EXPECT_EQ(got[1].values, (Values{"1"}));
}

TEST(JsonValueSample, LimitAndDeterminism) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "{\"k\": " + std::to_string(i) + ", \"z\": null}\n";
  ValueSampleOptions options;
  options.max_values_per_column = 3;
  const auto a = json(text, {}, options);
  const auto b = json(text, {}, options);
  EXPECT_EQ(column(a, "k").values, (Values{"0", "1", "2"}));
  EXPECT_EQ(column(a, "k").values, column(b, "k").values);
  EXPECT_EQ(column(a, "z").nulls, column(b, "z").nulls);
}

// ---------------------------------------------------------------------------------------------------------------
// Files

TEST(TextValueSample, CompressedAndPlainFilesThroughAByteSource) {
  const std::string text = "id,email\n1,a@example.com\n2,b@example.com\n";
  const std::optional<FileSchema> schema = classify_csv(text);
  ASSERT_TRUE(schema.has_value());
  for (const std::string& bytes : {text, cairn::crawler::test::gzip_bytes(text)}) {
    auto source = cairn::crawler::memory_source("mem://people.csv", bytes);
    const auto got = cairn::crawler::sample_text_file_values(*source, *schema, {});
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1].values, (Values{"a@example.com", "b@example.com"}));
  }
  // A budget that cuts the file: the cut row is dropped.
  ValueSampleOptions small;
  small.max_bytes = text.size() - 3;
  auto source = cairn::crawler::memory_source("mem://people.csv", text);
  const auto cut = cairn::crawler::sample_text_file_values(*source, *schema, small);
  EXPECT_EQ(cut[1].values, (Values{"a@example.com"}));
}

TEST(TextValueSample, OtherClassificationsGiveNothing) {
  FileSchema schema;
  schema.classification = "avro";
  EXPECT_TRUE(sample_text_values("whatever", false, schema, {}).empty());
}

}  // namespace
