#include "cairn/crawler/layout.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/names.h"
#include "cairn/crawler/runner.h"

namespace cairn::crawler {
namespace {

using Cols = std::vector<std::pair<std::string, std::string>>;

std::vector<catalog::Column> columns(const Cols& cols) {
  std::vector<catalog::Column> out;
  for (const auto& [name, type] : cols) out.push_back(catalog::Column{name, type, {}, {}});
  return out;
}

FileSchema parquet(const Cols& cols, std::int64_t rows = 10) {
  FileSchema s;
  s.classification = "parquet";
  s.columns = columns(cols);
  s.record_count = rows;
  s.record_count_exact = true;
  s.compression = "snappy";
  s.serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
  s.input_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
  s.output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
  s.serde_parameters["serialization.format"] = "1";
  return s;
}

FileSchema json(const Cols& cols, std::int64_t rows = 10) {
  FileSchema s;
  s.classification = "json";
  s.columns = columns(cols);
  s.record_count = rows;
  s.record_count_exact = true;
  s.serialization_library = "org.openx.data.jsonserde.JsonSerDe";
  s.input_format = "org.apache.hadoop.mapred.TextInputFormat";
  s.output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
  std::string paths;
  for (const auto& c : cols) paths += (paths.empty() ? "" : ",") + c.first;
  s.serde_parameters["paths"] = paths;
  return s;
}

FileSchema csv(const Cols& cols, bool header = true, std::string compression = "none", bool quoted = false) {
  FileSchema s;
  s.classification = "csv";
  s.columns = columns(cols);
  s.record_count = 10;
  s.compression = std::move(compression);
  s.input_format = "org.apache.hadoop.mapred.TextInputFormat";
  s.output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
  if (quoted) {
    s.serialization_library = "org.apache.hadoop.hive.serde2.OpenCSVSerde";
    s.serde_parameters = {{"separatorChar", ","}, {"quoteChar", "\""}, {"escapeChar", "\\"}};
    for (auto& c : s.columns) {
      if (c.type != "string") c.parameters["cairn.inferred_type"] = c.type;
      c.type = "string";
    }
  } else {
    s.serialization_library = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
    s.serde_parameters["field.delim"] = ",";
  }
  s.parameters = {
      {"delimiter", ","}, {"areColumnsQuoted", quoted ? "true" : "false"}, {"columnsOrdered", "true"}};
  if (header) s.parameters["skip.header.line.count"] = "1";
  return s;
}

CrawledFile file(std::string path, FileSchema schema, std::uint64_t size = 1000) {
  return CrawledFile{std::move(path), size, std::move(schema)};
}

CrawledFile unknown(std::string path, std::uint64_t size = 10) {
  return CrawledFile{std::move(path), size, {}};
}

const Cols kOrders = {{"id", "int"}, {"amount", "double"}, {"created", "timestamp"}};
const Cols kCustomers = {{"id", "int"}, {"name", "string"}, {"email", "string"}, {"city", "string"}};

LayoutOptions root_named(std::string name) {
  LayoutOptions o;
  o.root_name = std::move(name);
  return o;
}

std::vector<std::string> table_names(const LayoutResult& r) {
  std::vector<std::string> out;
  for (const auto& t : r.tables) out.push_back(t.name + "@" + t.location);
  return out;
}

std::vector<std::string> described(const std::vector<catalog::Column>& cols) {
  std::vector<std::string> out;
  for (const auto& c : cols) out.push_back(c.name + ":" + c.type);
  return out;
}

std::vector<std::string> skipped_paths(const std::vector<SkippedFile>& skipped) {
  std::vector<std::string> out;
  for (const auto& s : skipped) out.push_back(s.path);
  std::sort(out.begin(), out.end());
  return out;
}

std::string reason_of(const std::vector<SkippedFile>& skipped, const std::string& path) {
  for (const auto& s : skipped)
    if (s.path == path) return s.reason;
  return "(not skipped)";
}

std::string two(int n) {
  return (n < 10 ? "0" : "") + std::to_string(n);
}

// ---- Negative and edge cases first.

TEST(Layout, EmptyInputGivesEmptyPlan) {
  LayoutResult r = plan_layout({}, root_named("lake"));
  EXPECT_TRUE(r.tables.empty());
  EXPECT_TRUE(r.unclassified.empty());
  EXPECT_TRUE(r.skipped.empty());
}

TEST(Layout, OnlyUnclassifiableFilesGiveNoTable) {
  LayoutResult r = plan_layout({unknown("a/readme"), unknown("b/blob.bin")}, root_named("lake"));
  EXPECT_TRUE(r.tables.empty());
  EXPECT_EQ(r.unclassified, (std::vector<std::string>{"a/readme", "b/blob.bin"}));
  EXPECT_TRUE(r.skipped.empty());
}

TEST(Layout, OneOddFileInOnePartitionOfAHundredDoesNotSplitTheTable) {
  std::vector<CrawledFile> files;
  for (int d = 0; d < 100; ++d) {
    const std::string dir = "sales/day=" + std::to_string(1000 + d) + "/";
    files.push_back(file(dir + "part-0.parquet", parquet(kOrders)));
    files.push_back(file(dir + "part-1.parquet", parquet(kOrders)));
  }
  files.push_back(file("sales/day=1042/stray.json", json({{"note", "string"}})));  // another format
  files.push_back(unknown("sales/day=1043/broken.parquet"));                       // unclassifiable
  files.push_back(
      file("sales/day=1044/other.parquet", parquet({{"x", "int"}, {"y", "int"}})));  // another schema
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"sales@sales"}));
  const PlannedTable& t = r.tables[0];
  EXPECT_EQ(t.partitions.size(), 100u);
  EXPECT_EQ(described(t.columns), (std::vector<std::string>{"id:int", "amount:double", "created:timestamp"}));
  EXPECT_EQ(skipped_paths(t.skipped_files),
            (std::vector<std::string>{"sales/day=1042/stray.json", "sales/day=1043/broken.parquet",
                                      "sales/day=1044/other.parquet"}));
  EXPECT_NE(reason_of(t.skipped_files, "sales/day=1042/stray.json").find("its format is json"),
            std::string::npos);
  EXPECT_NE(reason_of(t.skipped_files, "sales/day=1043/broken.parquet").find("UNKNOWN"), std::string::npos);
  EXPECT_NE(reason_of(t.skipped_files, "sales/day=1044/other.parquet").find("columns share 0 of 2"),
            std::string::npos);
  EXPECT_EQ(r.unclassified, (std::vector<std::string>{"sales/day=1043/broken.parquet"}));
  EXPECT_EQ(t.object_count, 200);
}

TEST(Layout, AnOddFileAloneInAPartitionFolderDoesNotSplitTheTable) {
  std::vector<CrawledFile> files;
  for (int d = 1; d <= 30; ++d)
    files.push_back(file("logs/2024-01-" + two(d) + "/a.parquet", parquet(kOrders)));
  files.push_back(file("logs/2024-02-01/oops.json", json({{"msg", "string"}})));
  files.push_back(
      file("logs/dt=2024-02-02/x.parquet", parquet(kOrders)));  // key=value among plain: compatible
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"logs@logs"}));
  const PlannedTable& t = r.tables[0];
  EXPECT_EQ(t.partitions.size(), 31u);
  EXPECT_EQ(skipped_paths(t.skipped_files), (std::vector<std::string>{"logs/2024-02-01/oops.json"}));
  EXPECT_NE(
      reason_of(t.skipped_files, "logs/2024-02-01/oops.json").find("does not match the other partitions"),
      std::string::npos);
  // A level of mixed plain and key=value folders is a generic key; the key=value folder gives its value.
  ASSERT_EQ(t.partition_keys.size(), 1u);
  EXPECT_EQ(t.partition_keys[0].name, "partition_0");
  EXPECT_EQ(t.partitions.back().values, (std::vector<std::string>{"2024-02-02"}));
}

TEST(Layout, ATieInAFolderGoesToTheLargerFiles) {
  // One data file and one small note of another format: the note does not take the partition over.
  std::vector<CrawledFile> files = {file("t/d=1/a.parquet", parquet(kOrders), 5000),
                                    file("t/d=1/NOTES.json", json({{"text", "string"}}), 50),
                                    file("t/d=2/a.parquet", parquet(kOrders), 5000)};
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"t@t"}));
  EXPECT_EQ(r.tables[0].partitions.size(), 2u);
  EXPECT_EQ(skipped_paths(r.tables[0].skipped_files), (std::vector<std::string>{"t/d=1/NOTES.json"}));
}

TEST(Layout, HiddenChecksumAndMarkerFilesAreSkippedNotClassified) {
  std::vector<CrawledFile> files = {
      file("t/year=2024/part-0.parquet", parquet(kOrders)),
      unknown("t/year=2024/_SUCCESS", 0),
      unknown("t/year=2024/.part-0.parquet.crc"),
      unknown("t/year=2024/part-0.parquet.crc"),
      file("t/year=2024/_temporary/0/part-9.parquet", parquet(kOrders)),
      file("t/.spark-staging/part-1.parquet", parquet(kOrders)),
      unknown("t/year=2024_$folder$", 0),
      CrawledFile{"t/year=2025/", 0, {}},  // a folder marker object: not a file at all
      file("t/year=2025/part-0.parquet", parquet(kOrders)),
      unknown("_SUCCESS", 0),
  };
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"t@t"}));
  const PlannedTable& t = r.tables[0];
  EXPECT_EQ(t.partitions.size(), 2u);
  EXPECT_EQ(skipped_paths(t.skipped_files),
            (std::vector<std::string>{"t/.spark-staging/part-1.parquet", "t/year=2024/.part-0.parquet.crc",
                                      "t/year=2024/_SUCCESS", "t/year=2024/_temporary/0/part-9.parquet",
                                      "t/year=2024/part-0.parquet.crc", "t/year=2024_$folder$"}));
  EXPECT_NE(reason_of(t.skipped_files, "t/year=2024/_SUCCESS").find("hidden file"), std::string::npos);
  EXPECT_NE(reason_of(t.skipped_files, "t/year=2024/part-0.parquet.crc").find("checksum"), std::string::npos);
  EXPECT_NE(reason_of(t.skipped_files, "t/year=2024/_temporary/0/part-9.parquet")
                .find("hidden folder '_temporary'"),
            std::string::npos);
  EXPECT_TRUE(r.unclassified.empty());  // hidden files are not "unrecognised"
  EXPECT_EQ(skipped_paths(r.skipped), (std::vector<std::string>{"_SUCCESS"}));
}

TEST(Layout, CsvHeadersDifferingInOneNameAreSeparateTablesUnlessCombined) {
  std::vector<CrawledFile> files = {
      file("a/1.csv", csv({{"id", "int"}, {"name", "string"}, {"city", "string"}})),
      file("a/2.csv", csv({{"id", "int"}, {"name", "string"}, {"city", "string"}})),
      file("b/1.csv", csv({{"id", "int"}, {"name", "string"}, {"town", "string"}})),
  };
  LayoutResult r = plan_layout(files, root_named("lake"));
  EXPECT_EQ(table_names(r), (std::vector<std::string>{"a@a", "b@b"}));

  LayoutOptions combine = root_named("lake");
  combine.combine_compatible_schemas = true;
  r = plan_layout(files, combine);
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"lake@"}));
  EXPECT_EQ(described(r.tables[0].columns),
            (std::vector<std::string>{"id:int", "name:string", "city:string", "town:string"}));
  EXPECT_EQ(described(r.tables[0].partition_keys), (std::vector<std::string>{"partition_0:string"}));
  EXPECT_EQ(described(r.tables[0].partitions[1].columns),
            (std::vector<std::string>{"id:int", "name:string", "town:string"}));

  // Without a header the columns are positional: a file with one more column extends the table.
  files = {
      file("x/2024/1.csv", csv({{"col0", "int"}, {"col1", "string"}}, false)),
      file("x/2025/1.csv", csv({{"col0", "bigint"}, {"col1", "string"}, {"col2", "double"}}, false)),
      file("x/2026/1.csv", csv({{"col0", "int"}, {"col1", "string"}}, true))};  // with a header: other format
  r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"x@x"}));
  EXPECT_EQ(described(r.tables[0].columns),
            (std::vector<std::string>{"col0:bigint", "col1:string", "col2:double"}));
  EXPECT_EQ(skipped_paths(r.tables[0].skipped_files), (std::vector<std::string>{"x/2026/1.csv"}));
  EXPECT_NE(reason_of(r.tables[0].skipped_files, "x/2026/1.csv").find("with header"), std::string::npos);
}

TEST(Layout, SchemaDriftAcrossPartitionsMergesIntoTheTableAndEachPartitionKeepsItsOwn) {
  std::vector<CrawledFile> files = {
      file("events/year=2023/a.parquet", parquet({{"id", "int"}, {"name", "string"}})),
      file("events/year=2024/a.parquet",
           parquet({{"id", "bigint"}, {"name", "string"}, {"email", "string"}})),
      file("events/year=2024/b.parquet", parquet({{"ID", "int"}, {"name", "string"}})),
      file("events/year=2025/a.parquet", parquet({{"id", "int"}, {"score", "decimal(10,2)"}})),
  };
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"events@events"}));
  const PlannedTable& t = r.tables[0];
  EXPECT_EQ(described(t.columns),
            (std::vector<std::string>{"id:bigint", "name:string", "email:string", "score:decimal(10,2)"}));
  ASSERT_EQ(t.partitions.size(), 3u);
  EXPECT_EQ(described(t.partitions[0].columns), (std::vector<std::string>{"id:int", "name:string"}));
  EXPECT_EQ(described(t.partitions[1].columns),
            (std::vector<std::string>{"id:bigint", "name:string", "email:string"}));
  EXPECT_EQ(described(t.partitions[2].columns), (std::vector<std::string>{"id:int", "score:decimal(10,2)"}));
  EXPECT_EQ(t.partitions[1].object_count, 2);
  EXPECT_EQ(t.partitions[1].parameters.at("objectCount"), "2");
}

TEST(Layout, NamedFoldersNeedTheSameColumnsToBecomePartitions) {
  // Similar but not the same columns: tables of their own (Glue would merge them at 70% similarity).
  std::vector<CrawledFile> files = {
      file("orders/a.parquet",
           parquet({{"id", "int"}, {"customer_id", "int"}, {"amount", "double"}, {"created", "timestamp"}})),
      file("refunds/a.parquet",
           parquet({{"id", "int"}, {"order_id", "int"}, {"amount", "double"}, {"created", "timestamp"}})),
      file("customers/a.parquet", parquet(kCustomers)),
  };
  LayoutResult r = plan_layout(files, root_named("lake"));
  EXPECT_EQ(table_names(r),
            (std::vector<std::string>{"customers@customers", "orders@orders", "refunds@refunds"}));

  // The same columns: one table partitioned by the folder name, as Glue does.
  files = {file("eu/a.parquet", parquet(kOrders)), file("us/a.parquet", parquet(kOrders)),
           file("us/b.parquet", parquet(kOrders))};
  r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"lake@"}));
  EXPECT_EQ(described(r.tables[0].partition_keys), (std::vector<std::string>{"partition_0:string"}));
  EXPECT_EQ(r.tables[0].partitions[0].values, (std::vector<std::string>{"eu"}));
  EXPECT_EQ(r.tables[0].partitions[1].values, (std::vector<std::string>{"us"}));

  // A level holding a table of another schema is a level of tables.
  files.push_back(file("customers/a.parquet", parquet(kCustomers)));
  r = plan_layout(files, root_named("lake"));
  EXPECT_EQ(table_names(r), (std::vector<std::string>{"customers@customers", "eu@eu", "us@us"}));
}

TEST(Layout, OneNamedFolderUnderTheRootIsATableNotAPartition) {
  LayoutResult r = plan_layout({file("orders/a.parquet", parquet(kOrders))}, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"orders@orders"}));
  EXPECT_TRUE(r.tables[0].partitions.empty());
  EXPECT_TRUE(r.tables[0].partition_keys.empty());
}

TEST(Layout, HivePartitionsAtTwoLevels) {
  std::vector<CrawledFile> files;
  for (int y : {2023, 2024})
    for (int m = 1; m <= 12; ++m)
      files.push_back(
          file("sales/year=" + std::to_string(y) + "/month=" + two(m) + "/part-0.json", json(kOrders)));
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"sales@sales"}));
  const PlannedTable& t = r.tables[0];
  EXPECT_EQ(described(t.partition_keys), (std::vector<std::string>{"year:string", "month:string"}));
  ASSERT_EQ(t.partitions.size(), 24u);
  EXPECT_EQ(t.partitions[0].values, (std::vector<std::string>{"2023", "01"}));
  EXPECT_EQ(t.partitions[0].location, "sales/year=2023/month=01");
  EXPECT_EQ(t.partitions[23].values, (std::vector<std::string>{"2024", "12"}));
}

TEST(Layout, PlainFolderLevelsArePartitionZeroAndOne) {
  std::vector<CrawledFile> files;
  for (int y : {2023, 2024})
    for (int m = 1; m <= 3; ++m)
      files.push_back(file("logs/" + std::to_string(y) + "/" + two(m) + "/x.csv", csv(kOrders)));
  LayoutResult r = plan_layout(files, root_named("logs_root"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"logs@logs"}));
  EXPECT_EQ(described(r.tables[0].partition_keys),
            (std::vector<std::string>{"partition_0:string", "partition_1:string"}));
  EXPECT_EQ(r.tables[0].partitions[4].values, (std::vector<std::string>{"2024", "02"}));
}

TEST(Layout, MixedHiveAndPlainLevels) {
  std::vector<CrawledFile> files = {file("t/year=2024/01/a.parquet", parquet(kOrders)),
                                    file("t/year=2024/02/a.parquet", parquet(kOrders)),
                                    file("t/year=2023/12/a.parquet", parquet(kOrders))};
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"t@t"}));
  EXPECT_EQ(described(r.tables[0].partition_keys),
            (std::vector<std::string>{"year:string", "partition_1:string"}));
  EXPECT_EQ(r.tables[0].partitions[0].values, (std::vector<std::string>{"2023", "12"}));
}

TEST(Layout, PartitionsAtAnotherDepthAreLeftOut) {
  std::vector<CrawledFile> files = {file("t/year=2024/month=01/a.parquet", parquet(kOrders)),
                                    file("t/year=2024/month=02/a.parquet", parquet(kOrders)),
                                    file("t/year=2023/a.parquet", parquet(kOrders))};
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"t@t"}));
  EXPECT_EQ(r.tables[0].partitions.size(), 2u);
  EXPECT_EQ(skipped_paths(r.tables[0].skipped_files), (std::vector<std::string>{"t/year=2023/a.parquet"}));
  EXPECT_NE(reason_of(r.tables[0].skipped_files, "t/year=2023/a.parquet").find("folder level"),
            std::string::npos);
}

TEST(Layout, HivePartitionValuesAreUnescaped) {
  std::vector<CrawledFile> files = {file("t/ts=2024-01-01 10%3A00%3A00/a.parquet", parquet(kOrders)),
                                    file("t/ts=a%2Fb%zz%4/a.parquet", parquet(kOrders)),
                                    file("t/ts=__HIVE_DEFAULT_PARTITION__/a.parquet", parquet(kOrders))};
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(r.tables.size(), 1u);
  std::vector<std::string> values;
  for (const auto& p : r.tables[0].partitions) values.push_back(p.values.at(0));
  EXPECT_EQ(values,
            (std::vector<std::string>{"2024-01-01 10:00:00", "__HIVE_DEFAULT_PARTITION__", "a/b%zz%4"}));
}

TEST(Layout, TwoSiblingsWithDifferentSchemasAreTwoTablesNamedAfterTheirFolders) {
  std::vector<CrawledFile> files = {file("orders/2024/a.csv", csv(kOrders)),
                                    file("orders/2025/a.csv", csv(kOrders)),
                                    file("customers/part-0.json", json(kCustomers)),
                                    file("notes.csv", csv({{"note", "string"}, {"by", "string"}}))};
  LayoutResult r = plan_layout(files, root_named("lake"));
  EXPECT_EQ(table_names(r), (std::vector<std::string>{"customers@customers", "orders@orders"}));
  EXPECT_EQ(skipped_paths(r.skipped), (std::vector<std::string>{"notes.csv"}));
  EXPECT_NE(reason_of(r.skipped, "notes.csv").find("beside folders that hold tables"), std::string::npos);
}

TEST(Layout, FilesAbovePartitionFoldersAreLeftOutUnlessTheyOutnumberThem) {
  std::vector<CrawledFile> files = {file("sales/stray.parquet", parquet(kOrders)),
                                    file("sales/year=2024/a.parquet", parquet(kOrders)),
                                    file("sales/year=2024/b.parquet", parquet(kOrders)),
                                    file("sales/year=2025/a.parquet", parquet(kOrders))};
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"sales@sales"}));
  EXPECT_EQ(r.tables[0].partitions.size(), 2u);
  EXPECT_NE(reason_of(r.tables[0].skipped_files, "sales/stray.parquet").find("above the partition folders"),
            std::string::npos);

  // Ten files directly in the folder and one in a sub-folder: an unpartitioned table, the sub-folder a stray.
  files.clear();
  for (int i = 0; i < 10; ++i)
    files.push_back(file("orders/part-" + std::to_string(i) + ".csv", csv(kOrders)));
  files.push_back(file("orders/backup/old.csv", csv(kOrders)));
  r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"orders@orders"}));
  EXPECT_TRUE(r.tables[0].partitions.empty());
  EXPECT_EQ(r.tables[0].object_count, 10);
  EXPECT_EQ(skipped_paths(r.tables[0].skipped_files), (std::vector<std::string>{"orders/backup/old.csv"}));
}

TEST(Layout, NamedFolderBesideHivePartitionsIsLeftOutOfTheTable) {
  std::vector<CrawledFile> files = {file("t/year=2024/a.parquet", parquet(kOrders)),
                                    file("t/year=2025/a.parquet", parquet(kOrders)),
                                    file("t/summary/s.parquet", parquet(kCustomers))};
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"t@t"}));
  EXPECT_EQ(skipped_paths(r.tables[0].skipped_files), (std::vector<std::string>{"t/summary/s.parquet"}));
}

TEST(Layout, HivePartitionsOfTheSameFormatJoinWhateverTheirColumns) {
  std::vector<CrawledFile> files = {file("ev/type=click/a.json", json({{"x", "int"}, {"y", "int"}})),
                                    file("ev/type=view/a.json", json({{"page", "string"}, {"ms", "bigint"}})),
                                    file("ev/type=buy/a.csv", csv(kOrders))};
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"ev@ev"}));
  const PlannedTable& t = r.tables[0];
  EXPECT_EQ(described(t.columns), (std::vector<std::string>{"x:int", "y:int", "page:string", "ms:bigint"}));
  EXPECT_EQ(t.format.serde_parameters.at("paths"), "x,y,page,ms");
  EXPECT_EQ(t.partitions[0].format.serde_parameters.at("paths"), "x,y");
  EXPECT_EQ(skipped_paths(t.skipped_files), (std::vector<std::string>{"ev/type=buy/a.csv"}));
}

TEST(Layout, NamesAreSanitizedAndUnique) {
  std::vector<CrawledFile> files = {file("Sales Data/a.parquet", parquet(kOrders)),
                                    file("sales_data/a.parquet", parquet(kCustomers)),
                                    file("SALES.DATA/a.parquet", parquet({{"k", "string"}})),
                                    file("Ünïcode.Folder/a.json", json({{"k", "string"}}))};
  LayoutResult r = plan_layout(files, root_named("lake"));
  ASSERT_EQ(r.tables.size(), 4u);
  std::vector<std::string> names;
  for (const auto& t : r.tables) {
    names.push_back(t.name);
    EXPECT_EQ(catalog::normalize_entity_name("name", t.name), t.name);
  }
  // By location: "SALES.DATA", "Sales Data", "sales_data", "Ünïcode.Folder".
  EXPECT_EQ(names[2], "sales_data");  // the folder whose name needed no change keeps it
  EXPECT_EQ(names[3], "n_code_folder");
  EXPECT_TRUE(names[0].starts_with("sales_data_") && names[0].size() == 19) << names[0];
  EXPECT_TRUE(names[1].starts_with("sales_data_") && names[1] != names[0]) << names[1];
  // Stable: the same plan from the files in another order.
  std::mt19937 rng(7);
  std::shuffle(files.begin(), files.end(), rng);
  LayoutResult again = plan_layout(files, root_named("lake"));
  EXPECT_EQ(table_names(again), table_names(r));
}

TEST(Layout, SanitizeTableName) {
  EXPECT_EQ(sanitize_table_name("Sales Data"), "sales_data");
  EXPECT_EQ(sanitize_table_name("my-bucket.v2"), "my_bucket_v2");
  EXPECT_EQ(sanitize_table_name("2024"), "2024");
  EXPECT_EQ(sanitize_table_name("__x__"), "__x__");
  EXPECT_EQ(sanitize_table_name("--x--"), "x");
  EXPECT_EQ(sanitize_table_name("日本語"), "table");
  EXPECT_EQ(sanitize_table_name(""), "table");
  EXPECT_EQ(sanitize_table_name(std::string(300, 'a')).size(), 255u);
}

TEST(Layout, TablePrefixIsPrependedAndSanitized) {
  LayoutOptions o = root_named("lake");
  o.table_prefix = "Raw-";
  LayoutResult r =
      plan_layout({file("orders/a.csv", csv(kOrders)), file("customers/a.csv", csv(kCustomers))}, o);
  EXPECT_EQ(table_names(r), (std::vector<std::string>{"raw_customers@customers", "raw_orders@orders"}));
  r = plan_layout({file("a.csv", csv(kOrders))}, o);
  EXPECT_EQ(table_names(r), (std::vector<std::string>{"raw_lake@"}));
}

TEST(Layout, TableLevelForcesWhereTablesAre) {
  std::vector<CrawledFile> files = {
      file("data/2024/01/x.parquet", parquet(kOrders)), file("data/2024/02/x.parquet", parquet(kOrders)),
      file("data/2025/01/x.parquet", parquet(kCustomers)), file("data/top.parquet", parquet(kOrders)),
      file("root.parquet", parquet(kOrders))};
  LayoutOptions o = root_named("lake");
  // Automatic: 2024 and 2025 differ, so 2025 is left out of the table "data".
  LayoutResult r = plan_layout(files, o);
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"data@data"}));
  EXPECT_EQ(r.tables[0].partitions.size(), 2u);

  o.table_level = 1;  // the target root is the table: every level below is a partition key
  r = plan_layout(files, o);
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"lake@"}));
  EXPECT_EQ(r.tables[0].partition_keys.size(), 3u);
  EXPECT_EQ(r.tables[0].partitions.size(), 2u);

  o.table_level = 3;  // tables at data/2024 and data/2025
  r = plan_layout(files, o);
  EXPECT_EQ(table_names(r), (std::vector<std::string>{"2024@data/2024", "2025@data/2025"}));
  EXPECT_EQ(r.tables[0].partitions.size(), 2u);
  EXPECT_EQ(skipped_paths(r.skipped), (std::vector<std::string>{"data/top.parquet", "root.parquet"}));
  EXPECT_NE(reason_of(r.skipped, "root.parquet").find("above the table level (3)"), std::string::npos);

  o.table_level = 9;  // deeper than any data
  r = plan_layout(files, o);
  EXPECT_TRUE(r.tables.empty());
  EXPECT_EQ(r.skipped.size(), 5u);
}

TEST(Layout, TheWholeTargetRootIsOneUnpartitionedTable) {
  LayoutResult r =
      plan_layout({file("b.csv", csv(kOrders, true, "gzip"), 300), file("a.csv", csv(kOrders), 100),
                   file("c.csv", csv(kOrders, true, "gzip"), 200)},
                  root_named("My Bucket"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"my_bucket@"}));
  const PlannedTable& t = r.tables[0];
  EXPECT_TRUE(t.partitions.empty());
  EXPECT_TRUE(t.partition_keys.empty());
  EXPECT_EQ(t.parameters.at("classification"), "csv");
  EXPECT_EQ(t.parameters.at("compressionType"), "gzip");
  EXPECT_EQ(t.parameters.at("delimiter"), ",");
  EXPECT_EQ(t.parameters.at("skip.header.line.count"), "1");
  EXPECT_EQ(t.parameters.at("areColumnsQuoted"), "false");
  EXPECT_EQ(t.parameters.at("typeOfData"), "file");
  EXPECT_EQ(t.parameters.at("objectCount"), "3");
  EXPECT_EQ(t.parameters.at("sizeKey"), "600");
  EXPECT_EQ(t.parameters.at("recordCount"), "30");
  EXPECT_EQ(t.parameters.at("averageRecordSize"), "20");
  EXPECT_EQ(t.format.serde_parameters.at("field.delim"), ",");
  EXPECT_TRUE(t.format.columns.empty());
}

TEST(Layout, GlueParametersForParquetAndRecordEstimates) {
  CrawledFile sampled = file("t/year=2024/a.csv", csv(kOrders), 10'000);
  sampled.schema->record_count = 50;
  sampled.schema->record_count_exact = false;
  sampled.sampled_bytes = 1'000;  // 50 rows in the first 1,000 of 10,000 bytes: about 500 rows
  LayoutResult r = plan_layout({sampled, file("t/year=2025/a.csv", csv(kOrders), 500)}, root_named("lake"));
  ASSERT_EQ(r.tables.size(), 1u);
  EXPECT_EQ(r.tables[0].record_count, 510);
  EXPECT_EQ(r.tables[0].partitions[0].parameters.at("recordCount"), "500");
  EXPECT_EQ(r.tables[0].partitions[0].parameters.at("averageRecordSize"), "20");
  EXPECT_FALSE(r.tables[0].format.record_count_exact);

  r = plan_layout({file("p/a.parquet", parquet(kOrders, 1000), 4096)}, root_named("lake"));
  ASSERT_EQ(r.tables.size(), 1u);
  const auto& p = r.tables[0].parameters;
  EXPECT_EQ(p.at("classification"), "parquet");
  EXPECT_EQ(p.at("compressionType"), "none");  // Parquet compresses inside the file; Glue writes none
  EXPECT_EQ(r.tables[0].format.compression, "snappy");
  EXPECT_EQ(p.at("recordCount"), "1000");
  EXPECT_EQ(p.at("averageRecordSize"), "4");
  EXPECT_EQ(p.at("CrawlerSchemaSerializerVersion"), "1.0");
  EXPECT_EQ(p.count("delimiter"), 0u);
}

TEST(Layout, PartitionKeyThatIsAlsoADataColumn) {
  const Cols with_year = {{"id", "int"}, {"year", "int"}, {"v", "string"}};
  LayoutResult r = plan_layout(
      {file("t/year=2024/a.parquet", parquet(with_year)), file("t/year=2025/a.parquet", parquet(with_year))},
      root_named("lake"));
  ASSERT_EQ(r.tables.size(), 1u);
  EXPECT_EQ(described(r.tables[0].columns), (std::vector<std::string>{"id:int", "v:string"}));
  EXPECT_EQ(described(r.tables[0].partitions[0].columns), (std::vector<std::string>{"id:int", "v:string"}));
  EXPECT_EQ(described(r.tables[0].partition_keys), (std::vector<std::string>{"year:string"}));

  // CSV is read by position: the column stays and the key is renamed.
  r = plan_layout({file("t/year=2024/a.csv", csv(with_year)), file("t/year=2025/a.csv", csv(with_year))},
                  root_named("lake"));
  ASSERT_EQ(r.tables.size(), 1u);
  EXPECT_EQ(described(r.tables[0].columns), (std::vector<std::string>{"id:int", "year:int", "v:string"}));
  EXPECT_EQ(described(r.tables[0].partition_keys), (std::vector<std::string>{"partition_0:string"}));
  EXPECT_FALSE(r.tables[0].notes.empty());
}

TEST(Layout, QuotedAndUnquotedCsvFilesShareOpenCsvSerde) {
  LayoutResult r = plan_layout(
      {file("t/a.csv", csv(kOrders)), file("t/b.csv", csv(kOrders, true, "none", true))}, root_named("lake"));
  ASSERT_EQ(r.tables.size(), 1u);
  const PlannedTable& t = r.tables[0];
  EXPECT_EQ(t.format.serialization_library, "org.apache.hadoop.hive.serde2.OpenCSVSerde");
  EXPECT_EQ(t.format.serde_parameters.count("field.delim"), 0u);
  EXPECT_EQ(t.parameters.at("areColumnsQuoted"), "true");
  EXPECT_EQ(described(t.columns), (std::vector<std::string>{"id:string", "amount:string", "created:string"}));
  EXPECT_EQ(t.columns[0].parameters.at("cairn.inferred_type"), "int");
}

TEST(Layout, AvroSchemaLiteralIsKeptOnlyWhenAllFilesAgree) {
  auto avro = [](const Cols& cols, std::string literal) {
    FileSchema s = parquet(cols);
    s.classification = "avro";
    s.parameters["avro.schema.literal"] = std::move(literal);
    return s;
  };
  LayoutResult r =
      plan_layout({file("t/d=1/a.avro", avro(kOrders, "{A}")), file("t/d=2/a.avro", avro(kOrders, "{A}"))},
                  root_named("lake"));
  EXPECT_EQ(r.tables.at(0).parameters.at("avro.schema.literal"), "{A}");
  r = plan_layout({file("t/d=1/a.avro", avro(kOrders, "{A}")), file("t/d=2/a.avro", avro(kOrders, "{B}"))},
                  root_named("lake"));
  EXPECT_EQ(r.tables.at(0).parameters.count("avro.schema.literal"), 0u);
  EXPECT_EQ(r.tables.at(0).partitions.at(1).parameters.at("avro.schema.literal"), "{B}");
}

TEST(Layout, OneHundredThousandFilesInThreeLevelHivePartitions) {
  std::vector<CrawledFile> files;
  files.reserve(100'000);
  int n = 0;
  for (int y = 2020; y < 2024 && n < 100'000; ++y)
    for (int m = 1; m <= 12 && n < 100'000; ++m)
      for (int d = 1; d <= 28 && n < 100'000; ++d)
        for (int k = 0; k < 75 && n < 100'000; ++k, ++n)
          files.push_back(file("events/year=" + std::to_string(y) + "/month=" + two(m) + "/day=" + two(d) +
                                   "/part-" + std::to_string(k) + ".parquet",
                               parquet(kOrders)));
  std::mt19937 rng(1);
  std::shuffle(files.begin(), files.end(), rng);
  LayoutResult r = plan_layout(std::move(files), root_named("lake"));
  ASSERT_EQ(table_names(r), (std::vector<std::string>{"events@events"}));
  EXPECT_EQ(r.tables[0].object_count, 100'000);
  EXPECT_EQ(r.tables[0].partitions.size(), 1334u);  // 100,000 / 75, rounded up
  EXPECT_EQ(described(r.tables[0].partition_keys),
            (std::vector<std::string>{"year:string", "month:string", "day:string"}));
}

// ---- Widening and merging.

TEST(Layout, WideningIsSymmetric) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"int", "int", "int"},
      {"tinyint", "smallint", "smallint"},
      {"int", "bigint", "bigint"},
      {"int", "double", "double"},
      {"bigint", "float", "double"},
      {"float", "double", "double"},
      {"int", "decimal(18,2)", "decimal(18,2)"},
      {"bigint", "decimal(10,2)", "decimal(21,2)"},
      {"decimal(10,4)", "decimal(12,1)", "decimal(15,4)"},
      {"decimal(38,10)", "decimal(38,0)", "decimal(38,0)"},
      {"decimal(10,2)", "double", "double"},
      {"boolean", "int", "string"},
      {"date", "timestamp", "timestamp"},
      {"date", "int", "string"},
      {"varchar(10)", "varchar(20)", "varchar(20)"},
      {"char(5)", "varchar(3)", "varchar(5)"},
      {"char(5)", "char(8)", "char(8)"},
      {"varchar(5)", "int", "string"},
      {"binary", "string", "string"},
      {"array<int>", "array<bigint>", "array<bigint>"},
      {"array<int>", "int", "string"},
      {"map<string,int>", "map<string,double>", "map<string,double>"},
      {"struct<a:int>", "struct<a:bigint,b:string>", "struct<a:bigint,b:string>"},
      {"struct<a:int,b:int>", "struct<b:int,c:int>", "struct<a:int,b:int,c:int>"},
      {"struct<a:int>", "array<int>", "string"},
      {"array<struct<x:int>>", "array<struct<y:date,x:double>>", "array<struct<y:date,x:double>>"},
      {"uniontype<int,string>", "uniontype<int>", "string"},
  };
  for (const auto& [a, b, want] : cases) {
    EXPECT_EQ(widen_hive_type(a, b), want) << a << " + " << b;
    EXPECT_EQ(widen_hive_type(b, a), want) << b << " + " << a;
  }
  EXPECT_THROW(widen_hive_type("int", "nosuchtype"), Error);
}

TEST(Layout, MergeColumnsUnionsByNameInFirstAppearanceOrder) {
  std::vector<catalog::Column> a = columns({{"id", "int"}, {"Name", "string"}});
  a[1].comment = "first";
  std::vector<catalog::Column> b = columns({{"email", "string"}, {"ID", "bigint"}, {"name", "string"}});
  b[2].comment = "second";
  auto merged = merge_columns(a, b);
  EXPECT_EQ(described(merged), (std::vector<std::string>{"id:bigint", "Name:string", "email:string"}));
  EXPECT_EQ(merged[1].comment, "first");
  EXPECT_TRUE(merge_columns({}, {}).empty());
}

// Files may share one schema object (the crawler passes one per distinct schema): the plan is the same as
// with a copy per file, including the sampled record estimates and a file of another schema left out.
TEST(Layout, SharedSchemasPlanAsCopiesDo) {
  const auto orders = std::make_shared<const FileSchema>(csv(kOrders));
  const auto odd = std::make_shared<const FileSchema>(json({{"x", "int"}}));
  std::vector<CrawledFile> copies;
  std::vector<CrawledFile> shared;
  for (int day = 1; day <= 3; ++day) {
    for (int i = 0; i < 4; ++i) {
      const std::string path = "sales/day=" + two(day) + "/f" + std::to_string(i) + ".csv";
      copies.push_back(CrawledFile{path, 4000, *orders, 1000});
      CrawledFile f;
      f.path = path;
      f.size = 4000;
      f.sampled_bytes = 1000;
      f.shared_schema = orders;
      shared.push_back(std::move(f));
    }
  }
  copies.push_back(CrawledFile{"sales/day=02/odd.json", 50, *odd, 50});
  CrawledFile f;
  f.path = "sales/day=02/odd.json";
  f.size = 50;
  f.shared_schema = odd;
  shared.push_back(std::move(f));
  shared.push_back(unknown("sales/day=03/readme"));
  copies.push_back(unknown("sales/day=03/readme"));

  const LayoutResult a = plan_layout(std::move(copies), root_named("lake"));
  const LayoutResult b = plan_layout(std::move(shared), root_named("lake"));
  ASSERT_EQ(a.tables.size(), 1U);
  ASSERT_EQ(b.tables.size(), 1U);
  EXPECT_EQ(table_names(a), table_names(b));
  EXPECT_EQ(described(a.tables[0].columns), described(b.tables[0].columns));
  EXPECT_EQ(a.tables[0].parameters, b.tables[0].parameters);
  EXPECT_EQ(b.tables[0].parameters.at("recordCount"), "480");  // 12 files × 10 sampled rows × 4000 / 1000
  EXPECT_EQ(b.tables[0].partitions.size(), 3U);
  EXPECT_EQ(skipped_paths(a.tables[0].skipped_files), skipped_paths(b.tables[0].skipped_files));
  EXPECT_EQ(skipped_paths(b.tables[0].skipped_files),
            (std::vector<std::string>{"sales/day=02/odd.json", "sales/day=03/readme"}));
  EXPECT_EQ(a.unclassified, b.unclassified);
}

// Partitions planned with share_partition_schemas, once completed, are the partitions planned without: with
// one-group partitions of a repeated schema (shared object), of a copy of it (own object), of other record
// counts, with a JSON schema (paths rebuilt from the columns) and a data column dropped for a partition key.
TEST(Layout, SharedPartitionSchemasCompleteToThePartitionsPlannedWithout) {
  const Cols cols = {{"id", "int"}, {"region", "string"}, {"v", "double"}};
  const auto shared_json = std::make_shared<const FileSchema>(json(cols, 7));
  std::vector<CrawledFile> files;
  for (int day = 1; day <= 9; ++day) {
    const std::string dir = "events/region=eu/day=" + two(day) + "/";
    CrawledFile f;
    f.path = dir + "part-0.json";
    f.size = 700 + static_cast<std::uint64_t>(day);
    if (day == 4) {
      f.schema = json(cols, 7);  // an equal schema in its own object
    } else if (day == 6) {
      f.schema = json({{"id", "bigint"}, {"extra", "string"}}, 3);
    } else {
      f.shared_schema = shared_json;
    }
    if (day == 8) {  // a group of three files
      f.more_names = {"part-1.json", "part-2.json"};
      f.group_records = 21;
    }
    files.push_back(std::move(f));
  }
  // Days 10-13 hold two entries each: the shared schema and a wider one (days 10, 11), or the shared schema
  // and a gzip-compressed copy (days 12, 13: the most common compression depends on the counts, so these
  // are merged each time).
  const auto wider = std::make_shared<const FileSchema>(json({{"id", "bigint"}, {"region", "string"}}, 5));
  FileSchema gz = json(cols, 7);
  gz.compression = "gzip";
  const auto gzipped = std::make_shared<const FileSchema>(gz);
  for (int day = 10; day <= 13; ++day) {
    const std::string dir = "events/region=eu/day=" + two(day) + "/";
    CrawledFile a;
    a.path = dir + "a.json";
    a.size = 100;
    a.shared_schema = shared_json;
    CrawledFile b;
    b.path = dir + "b.json";
    b.size = 100 + static_cast<std::uint64_t>(day);
    b.shared_schema = day <= 11 ? wider : gzipped;
    if (day == 13) b.more_names = {"c.json", "d.json"};  // gzip now wins in this partition
    files.push_back(std::move(a));
    files.push_back(std::move(b));
  }
  LayoutOptions sharing = root_named("lake");
  sharing.share_partition_schemas = true;
  const LayoutResult plain = plan_layout(files, root_named("lake"));
  LayoutResult shared = plan_layout(files, sharing);
  ASSERT_EQ(plain.tables.size(), 1U);
  ASSERT_EQ(shared.tables.size(), 1U);
  const PlannedTable& a = plain.tables[0];
  PlannedTable& b = shared.tables[0];
  EXPECT_EQ(described(a.partition_keys), (std::vector<std::string>{"region:string", "day:string"}));
  EXPECT_EQ(described(a.columns), described(b.columns));
  EXPECT_EQ(a.parameters, b.parameters);
  EXPECT_EQ(a.format.serde_parameters, b.format.serde_parameters);
  ASSERT_EQ(a.partitions.size(), 13U);
  ASSERT_EQ(b.partitions.size(), 13U);
  std::vector<std::size_t> shared_at;
  for (std::size_t i = 0; i < a.partitions.size(); ++i) {
    const PlannedPartition& x = a.partitions[i];
    PlannedPartition& y = b.partitions[i];
    EXPECT_EQ(x.same_as, nullptr);
    if (y.same_as) {
      shared_at.push_back(i);
      EXPECT_TRUE(y.columns.empty());
      EXPECT_TRUE(y.parameters.empty());
      complete_partition(y);
      EXPECT_EQ(y.same_as, nullptr);
    }
    EXPECT_EQ(x.values, y.values);
    EXPECT_EQ(x.location, y.location);
    EXPECT_EQ(described(x.columns), described(y.columns)) << x.location;
    EXPECT_EQ(x.parameters, y.parameters) << x.location;
    EXPECT_EQ(x.format.serde_parameters, y.format.serde_parameters) << x.location;
    EXPECT_EQ(x.format.serialization_library, y.format.serialization_library);
    EXPECT_EQ(x.format.record_count, y.format.record_count) << x.location;
    EXPECT_EQ(x.record_count, y.record_count);
  }
  // Days 2, 3, 5, 7, 8 (a group of three files, with its own counts) and 9 repeat day 1's shared schema
  // object; days 4 (an equal schema in its own object) and 6 (another schema) do not; day 11 repeats day
  // 10; day 13 does not repeat day 12 (two compressions).
  EXPECT_EQ(shared_at, (std::vector<std::size_t>{1, 2, 4, 6, 7, 8, 10}));
  EXPECT_EQ(described(b.partitions[10].columns), (std::vector<std::string>{"id:bigint", "v:double"}));
  EXPECT_EQ(b.partitions[11].format.compression, "none");
  EXPECT_EQ(b.partitions[12].format.compression, "gzip");
  EXPECT_EQ(b.partitions[7].parameters.at("objectCount"), "3");
  EXPECT_EQ(b.partitions[7].parameters.at("recordCount"), "21");
  EXPECT_EQ(described(b.partitions[0].columns), (std::vector<std::string>{"id:int", "v:double"}));
  EXPECT_EQ(b.partitions[0].format.serde_parameters.at("paths"), "id,v");
  EXPECT_EQ(b.partitions[1].parameters.at("sizeKey"), "702");
}

// The crawler state (runner.h) keeps each distinct schema once; texts of the earlier form still decode.
// A files row (runner.h, kFilesRowPrefix) read back as the per-file rows of earlier runs.
TEST(CrawlerState, FilesRowsReadAsPerFileRows) {
  catalog::CrawlerFile row;
  row.path = std::string(kFilesRowPrefix) + "0:a:";  // a folder named "a:"
  row.schema =
      "5:x.csv12,1700000000000,0:3:#ab"
      "3:y:z40,-1,3:\"e\"0:";
  const auto files = files_of_row(row);
  ASSERT_EQ(files.size(), 2U);
  EXPECT_EQ(files[0].path, "0:a:/x.csv");
  EXPECT_EQ(files[0].size, 12);
  EXPECT_EQ(files[0].mtime, 1700000000000);
  EXPECT_EQ(files[0].etag, "");
  EXPECT_EQ(files[0].schema, "#ab");
  EXPECT_EQ(files[1].path, "0:a:/y:z");
  EXPECT_EQ(files[1].mtime, -1);
  EXPECT_EQ(files[1].etag, "\"e\"");
  EXPECT_EQ(files[1].schema, "");

  row.path = std::string(kFilesRowPrefix) + "1:";  // the target root
  row.schema = "1:f1,2,0:0:";
  ASSERT_EQ(files_of_row(row).size(), 1U);
  EXPECT_EQ(files_of_row(row)[0].path, "1:f");

  for (const char* corrupt : {"1:f", "1:f1,2", "9:f1,2,0:0:", "1:fx,2,0:0:", "1:f1,2,0:5:ab"}) {
    row.schema = corrupt;
    try {
      files_of_row(row);
      ADD_FAILURE() << "no error for " << corrupt;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Unavailable) << corrupt;
    }
  }
}

TEST(CrawlerState, SchemasAreStoredOnceAndOldTextsStillDecode) {
  const FileSchema orders = csv(kOrders);
  StateSchemas writer;
  std::vector<catalog::CrawlerFile> rows(2);
  rows[0].path = "0:a/x.csv";
  rows[0].schema = writer.encode(orders, 100);
  rows[1].path = "0:a/y.csv";
  rows[1].schema = writer.encode(orders, 200);
  ASSERT_EQ(rows[0].schema.substr(0, rows[0].schema.find(';')), "10,0,100");
  EXPECT_EQ(rows[0].schema.substr(rows[0].schema.find(';')), rows[1].schema.substr(rows[1].schema.find(';')));
  writer.add_schema_rows(rows);
  ASSERT_EQ(rows.size(), 3U);  // one schema row for both files
  EXPECT_TRUE(rows[2].path.starts_with(kSchemaRowPrefix));
  writer.mark_stored(rows);
  std::vector<catalog::CrawlerFile> again{rows[0]};
  writer.add_schema_rows(again);
  EXPECT_EQ(again.size(), 1U);  // already stored

  StateSchemas reader;
  catalog::CrawlerFile schema_row = rows[2];
  EXPECT_TRUE(reader.add_row(schema_row));
  catalog::CrawlerFile file_row = rows[0];
  EXPECT_FALSE(reader.add_row(file_row));
  std::uint64_t sampled = 0;
  const auto x = reader.decode(rows[0].schema, &sampled);
  EXPECT_EQ(sampled, 100U);
  const auto y = reader.decode(rows[1].schema, &sampled);
  EXPECT_EQ(sampled, 200U);
  EXPECT_EQ(x.get(), y.get());  // one object for both files
  EXPECT_EQ(described(x->columns), described(orders.columns));
  EXPECT_EQ(x->record_count.value_or(-1), 10);
  EXPECT_EQ(x->parameters, orders.parameters);
  EXPECT_EQ(x->serde_parameters, orders.serde_parameters);

  // The earlier form: counts and the whole JSON per file.
  const std::string old_text = file_schema_text(orders, 77);
  const auto old = reader.decode(old_text, &sampled);
  EXPECT_EQ(sampled, 77U);
  EXPECT_EQ(described(old->columns), described(orders.columns));
  EXPECT_EQ(old->serialization_library, orders.serialization_library);

  // A schema row no file names any more is collectable; one that a file names is not.
  EXPECT_EQ(reader.unreferenced_rows(), std::vector<std::string>{rows[2].path});
  reader.reference(rows[1].schema);
  EXPECT_TRUE(reader.unreferenced_rows().empty());
  EXPECT_THROW(reader.decode("1,1,5;#00000000000000000000000000000000"), Error);
  EXPECT_THROW(reader.decode("garbage"), Error);
}

}  // namespace
}  // namespace cairn::crawler
