// The cost of writing partitions the way a crawler's full crawl does (issue 4): serialising an 11-column
// storage descriptor for the store (the nlohmann DOM and dump() versus storage_descriptor_text), normalising
// one partition, and Store::create_partitions of 5,000 such partitions on SQLite.
//
//   ninja -C build bench/cairn-storage-descriptor-bench && build/bench/cairn-storage-descriptor-bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "cairn/catalog/model_json.h"
#include "cairn/catalog/store.h"
#include "cairn/catalog/validation.h"

namespace {

using namespace cairn::catalog;

constexpr int kPartitions = 5000;

/// A storage descriptor like the ones the crawler writes for a CSV partition (crawler/src/runner.cpp): 11
/// columns, a few inferred type parameters, SerDe and table-level parameters.
StorageDescriptor crawler_descriptor(int partition) {
  StorageDescriptor sd;
  const char* columns[][2] = {
      {"id", "bigint"},          {"event_time", "timestamp"}, {"user_id", "string"},
      {"session", "string"},     {"amount", "double"},        {"quantity", "int"},
      {"is_refund", "boolean"},  {"event_day", "date"},       {"price", "decimal(10,2)"},
      {"tags", "array<string>"}, {"note", "string"}};
  for (const auto& [name, type] : columns) {
    Column c{name, type, "", {}};
    if (std::string(type) != "string") c.parameters["cairn.inferred_type"] = type;
    sd.columns.push_back(std::move(c));
  }
  sd.location = "s3://lake/sales/events/day=2026-11-" + std::to_string(partition % 28 + 1) +
                "/hour=" + std::to_string(partition % 24) + "/shard=" + std::to_string(partition) + "/";
  sd.input_format = "org.apache.hadoop.mapred.TextInputFormat";
  sd.output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
  sd.compressed = partition % 2 == 0;
  sd.serde_info.serialization_library = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
  sd.serde_info.parameters = {{"field.delim", ","}, {"serialization.format", ","}};
  sd.parameters = {{"classification", "csv"},
                   {"compressionType", "none"},
                   {"typeOfData", "file"},
                   {"delimiter", ","},
                   {"areColumnsQuoted", "false"},
                   {"columnsOrdered", "true"},
                   {"skip.header.line.count", "1"},
                   {"averageRecordSize", "87"},
                   {"recordCount", std::to_string(1000 + partition)},
                   {"objectCount", "1"},
                   {"sizeKey", std::to_string(87000 + partition * 87)}};
  return sd;
}

Table crawler_table() {
  Table t;
  t.name = "events";
  t.table_type = "EXTERNAL_TABLE";
  t.partition_keys = {Column{"day", "date", "", {}}, Column{"hour", "int", "", {}},
                      Column{"shard", "string", "", {}}};
  t.storage_descriptor = crawler_descriptor(0);
  return t;
}

std::vector<Partition> crawler_partitions() {
  std::vector<Partition> out;
  out.reserve(kPartitions);
  for (int i = 0; i < kPartitions; ++i) {
    Partition p;
    p.values = {"2026-11-" + std::string(i % 28 < 9 ? "0" : "") + std::to_string(i % 28 + 1),
                std::to_string(i % 24), "s" + std::to_string(i)};
    p.storage_descriptor = crawler_descriptor(i);
    p.parameters = p.storage_descriptor.parameters;  // the crawler gives a partition its descriptor's
    out.push_back(std::move(p));
  }
  return out;
}

void BM_ToJsonDump(benchmark::State& state) {
  const StorageDescriptor sd = crawler_descriptor(7);
  for (auto _ : state) benchmark::DoNotOptimize(to_json(sd).dump());
}
BENCHMARK(BM_ToJsonDump);

void BM_StorageDescriptorText(benchmark::State& state) {
  const StorageDescriptor sd = crawler_descriptor(7);
  for (auto _ : state) benchmark::DoNotOptimize(storage_descriptor_text(sd));
}
BENCHMARK(BM_StorageDescriptorText);

/// Copying the partition is part of every iteration; BM_CopyPartition is that share alone.
void BM_CopyPartition(benchmark::State& state) {
  const Partition proto = crawler_partitions()[7];
  for (auto _ : state) {
    Partition p = proto;
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_CopyPartition);

void BM_NormalizePartition(benchmark::State& state) {
  const Table table = crawler_table();
  const Partition proto = crawler_partitions()[7];
  for (auto _ : state) {
    Partition p = proto;
    normalize_partition(table, p);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_NormalizePartition);

/// One Store::create_partitions call with 5,000 partitions into an empty table on SQLite (the table is
/// dropped and created again outside the timing).
void BM_CreatePartitionsSqlite(benchmark::State& state) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("cairn-sd-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  {
    auto store = open_store(dir, "");
    Database db;
    db.name = "lake";
    store->create_database(db);
    const Table table = crawler_table();
    const std::vector<Partition> partitions = crawler_partitions();
    for (auto _ : state) {
      state.PauseTiming();
      if (store->get_table("lake", table.name)) store->delete_table("lake", table.name);
      store->create_table("lake", table);
      std::vector<Partition> batch = partitions;
      state.ResumeTiming();
      const auto errors = store->create_partitions("lake", table.name, std::move(batch));
      if (!errors.empty()) state.SkipWithError(errors.front().message.c_str());
    }
    state.SetItemsProcessed(state.iterations() * kPartitions);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CreatePartitionsSqlite)->Unit(benchmark::kMillisecond)->MinTime(3.0);

/// Prints the ratio this benchmark exists to show, after the usual table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.run_type == Run::RT_Iteration) times_[r.benchmark_name()] = r.GetAdjustedRealTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    if (times_.count("BM_ToJsonDump") && times_.count("BM_StorageDescriptorText") &&
        times_["BM_StorageDescriptorText"] > 0) {
      std::printf("to_json(sd).dump() / storage_descriptor_text(sd) = %.1f\n",
                  times_["BM_ToJsonDump"] / times_["BM_StorageDescriptorText"]);
    }
  }

 private:
  std::map<std::string, double> times_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
