// Value samples of whole tables (crawler/table_sample.h): files in path order under the table's location,
// marker files skipped, values of several files concatenated up to the limit, the file limit, CSV, JSON and
// Parquet (from ../shared/data/parquet-testing when present), and clear errors. Negative cases first.

#include "cairn/crawler/table_sample.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "support/process.h"

namespace cairn::crawler {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

/// A CSV table with a header at `location`, as the crawler writes it.
catalog::Table csv_table(const std::string& location, const std::vector<std::string>& columns) {
  catalog::Table t;
  t.name = "t";
  t.parameters["classification"] = "csv";
  t.parameters["skip.header.line.count"] = "1";
  t.parameters["delimiter"] = ",";
  t.storage_descriptor.location = location;
  t.storage_descriptor.serde_info.parameters["field.delim"] = ",";
  t.storage_descriptor.serde_info.parameters["skip.header.line.count"] = "1";
  for (const auto& c : columns) t.storage_descriptor.columns.push_back({c, "string", "", {}});
  return t;
}

const ColumnValues& column(const TableSample& s, const std::string& name) {
  for (const auto& c : s.columns)
    if (c.column == name) return c;
  static const ColumnValues none;
  ADD_FAILURE() << "no column " << name;
  return none;
}

TEST(TableSample, AMissingLocationIsNotFoundAndATableWithoutOneIsRefused) {
  const cairn::test::TempDir dir("cairn-table-sample-");
  try {
    sample_table_values(csv_table(dir.path() + "/nope", {"a"}), {}, {});
    FAIL() << "expected NotFound";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotFound);
    EXPECT_NE(std::string(e.what()).find("/nope"), std::string::npos) << e.what();
  }
  try {
    sample_table_values(csv_table("", {"a"}), {}, {});
    FAIL() << "expected InvalidArgument";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), "location");
  }
  // An S3 table without a way to reach S3.
  try {
    sample_table_values(csv_table("s3://bucket/t", {"a"}), {}, {});
    FAIL() << "expected FailedPrecondition";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::FailedPrecondition);
  }
}

TEST(TableSample, FormatsWithoutValueSamplingGiveANoteAndEmptyColumns) {
  const cairn::test::TempDir dir("cairn-table-sample-");
  catalog::Table t = csv_table(dir.path(), {"a", "b"});
  t.parameters["classification"] = "avro";
  const TableSample s = sample_table_values(t, {}, {});
  ASSERT_EQ(s.columns.size(), 2u);
  EXPECT_TRUE(s.columns[0].values.empty());
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_NE(s.notes[0].find("avro"), std::string::npos) << s.notes[0];
  EXPECT_EQ(s.files_read, 0u);
}

TEST(TableSample, FilesAreReadInPathOrderSkippingMarkersUpToTheLimits) {
  const cairn::test::TempDir dir("cairn-table-sample-");
  const fs::path root = dir.path();
  // Path order: "a.csv" < "a/…" ('.' sorts before '/'), partitions in key order.
  write(root / "year=2024" / "month=02" / "part-0.csv", "email,n\nfeb@x.de,3\n");
  write(root / "year=2024" / "month=01" / "part-0.csv", "email,n\njan1@x.de,1\njan2@x.de,2\n");
  write(root / "year=2024" / "month=01" / "_SUCCESS", "");
  write(root / "year=2024" / "month=01" / ".part-0.csv.crc", "garbage,garbage\n1,2\n");
  write(root / "_temporary" / "0" / "part-9.csv", "email,n\ntmp@x.de,9\n");
  write(root / "a.csv", "email,n\nfirst@x.de,0\n");

  TableSample s = sample_table_values(csv_table(root.string(), {"email", "n"}), {}, {});
  EXPECT_EQ(s.files_read, 3u);
  EXPECT_TRUE(s.notes.empty());
  EXPECT_EQ(column(s, "email").values,
            (std::vector<std::string>{"first@x.de", "jan1@x.de", "jan2@x.de", "feb@x.de"}));
  EXPECT_EQ(column(s, "n").values, (std::vector<std::string>{"0", "1", "2", "3"}));

  // The same table from a file:// location, twice: deterministic.
  const TableSample again =
      sample_table_values(csv_table("file://" + root.string() + "/", {"email", "n"}), {}, {});
  EXPECT_EQ(column(again, "email").values, column(s, "email").values);

  TableSampleOptions few;
  few.values.max_values_per_column = 2;  // filled by the first two files: the third is not read
  s = sample_table_values(csv_table(root.string(), {"email", "n"}), {}, few);
  EXPECT_EQ(s.files_read, 2u);
  EXPECT_EQ(column(s, "email").values, (std::vector<std::string>{"first@x.de", "jan1@x.de"}));

  TableSampleOptions one_file;
  one_file.max_files = 1;
  s = sample_table_values(csv_table(root.string(), {"email", "n"}), {}, one_file);
  EXPECT_EQ(s.files_read, 1u);
  EXPECT_EQ(column(s, "email").values, (std::vector<std::string>{"first@x.de"}));
}

TEST(TableSample, JsonColumnsMatchByNameIgnoringCase) {
  const cairn::test::TempDir dir("cairn-table-sample-");
  const fs::path root = dir.path();
  write(root / "a.json", "{\"Email\":\"a@x.de\",\"id\":1}\n{\"Email\":null,\"id\":2}\n");
  write(root / "b.json", "{\"Email\":\"b@x.de\",\"id\":3}\n");
  catalog::Table t;
  t.name = "j";
  t.parameters["classification"] = "json";
  t.storage_descriptor.location = root.string();
  t.storage_descriptor.columns = {{"email", "string", "", {}}, {"id", "int", "", {}}};
  const TableSample s = sample_table_values(t, {}, {});
  EXPECT_EQ(column(s, "email").values, (std::vector<std::string>{"a@x.de", "b@x.de"}));
  EXPECT_EQ(column(s, "email").nulls, 1u);
  EXPECT_EQ(column(s, "id").values, (std::vector<std::string>{"1", "2", "3"}));
}

TEST(TableSample, AFileThatIsNotOfTheTablesFormatBecomesANoteAndTheOthersStillCount) {
  const cairn::test::TempDir dir("cairn-table-sample-");
  write(fs::path(dir.path()) / "part-0.parquet", "this is not a Parquet file at all");
  catalog::Table t;
  t.name = "p";
  t.parameters["classification"] = "parquet";
  t.storage_descriptor.location = dir.path();
  t.storage_descriptor.columns = {{"id", "int", "", {}}};
  const TableSample s = sample_table_values(t, {}, {});
  EXPECT_EQ(s.files_read, 1u);
  EXPECT_TRUE(s.columns.at(0).values.empty());
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_NE(s.notes[0].find("part-0.parquet"), std::string::npos) << s.notes[0];
}

TEST(TableSample, ParquetValuesComeFromThePagesOfEachFile) {
  const fs::path data = fs::path(CAIRN_SOURCE_DIR) / ".." / "shared" / "data" / "parquet-testing";
  if (!fs::exists(data / "alltypes_plain.parquet")) GTEST_SKIP() << "no " << data.string();
  const cairn::test::TempDir dir("cairn-table-sample-");
  fs::copy_file(data / "alltypes_plain.parquet", fs::path(dir.path()) / "part-0.parquet");
  catalog::Table t;
  t.name = "p";
  t.parameters["classification"] = "parquet";
  t.storage_descriptor.location = dir.path();
  t.storage_descriptor.columns = {{"id", "int", "", {}}, {"bool_col", "boolean", "", {}}};
  const TableSample s = sample_table_values(t, {}, {});
  EXPECT_EQ(s.files_read, 1u);
  // DuckDB reads id as 4, 5, 6, 7, 2, 3, 0, 1 from this file.
  EXPECT_EQ(column(s, "id").values, (std::vector<std::string>{"4", "5", "6", "7", "2", "3", "0", "1"}));
  EXPECT_EQ(column(s, "bool_col").values.size(), 8u);
}

}  // namespace
}  // namespace cairn::crawler
