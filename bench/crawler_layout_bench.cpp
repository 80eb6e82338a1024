// Grouping a crawl's files into tables and partitions (crawler/layout.h) at the scale: 100,000
// Parquet files in 3-level Hive partitions (year/month/day), a column added half-way (schema drift), a
// _SUCCESS marker per partition, and a second table of CSV files beside it. Reports the time of
// plan_layout and its ratio to merely sorting the same 100,000 paths (the O(n log n) floor of any grouping),
// both in thread CPU time.
//
//   build/bench/cairn-crawler-layout-bench [--benchmark_filter=…]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "cairn/crawler/layout.h"

namespace {

using cairn::crawler::CrawledFile;
using cairn::crawler::FileSchema;

constexpr int kFiles = 100000;

FileSchema parquet(bool drifted) {
  FileSchema s;
  s.classification = "parquet";
  const char* names[] = {"id",      "user_id", "session", "event",    "page",    "referrer",
                         "country", "device",  "amount",  "currency", "created", "updated"};
  const char* types[] = {"bigint", "bigint", "string",        "string", "string",    "string",
                         "string", "string", "decimal(18,2)", "string", "timestamp", "timestamp"};
  for (int i = 0; i < 12; ++i) s.columns.push_back({names[i], types[i], {}, {}});
  if (drifted) s.columns.push_back({"campaign", "string", {}, {}});
  s.record_count = 50000;
  s.record_count_exact = true;
  s.compression = "snappy";
  s.serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
  s.input_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
  s.output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
  s.serde_parameters["serialization.format"] = "1";
  return s;
}

FileSchema csv() {
  FileSchema s;
  s.classification = "csv";
  s.columns = {{"id", "int", {}, {}}, {"name", "string", {}, {}}, {"city", "string", {}, {}}};
  s.record_count = 1000;
  s.serialization_library = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
  s.input_format = "org.apache.hadoop.mapred.TextInputFormat";
  s.output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
  s.serde_parameters["field.delim"] = ",";
  s.parameters = {{"delimiter", ","}, {"skip.header.line.count", "1"}, {"areColumnsQuoted", "false"}};
  return s;
}

std::string two(int n) {
  return (n < 10 ? "0" : "") + std::to_string(n);
}

// The lake, listed in a shuffled order (as parallel listers deliver it).
std::vector<CrawledFile> make_lake() {
  const FileSchema before = parquet(false);
  const FileSchema after = parquet(true);
  const FileSchema customers = csv();
  std::vector<CrawledFile> files;
  files.reserve(kFiles + 2000);
  int n = 0;
  for (int y = 2021; n < kFiles; ++y)
    for (int m = 1; m <= 12 && n < kFiles; ++m)
      for (int d = 1; d <= 28 && n < kFiles; ++d) {
        const std::string dir =
            "events/year=" + std::to_string(y) + "/month=" + two(m) + "/day=" + two(d) + "/";
        files.push_back(CrawledFile{dir + "_SUCCESS", 0, {}});
        for (int k = 0; k < 60 && n < kFiles; ++k, ++n)
          files.push_back(CrawledFile{dir + "part-" + std::to_string(k) + ".snappy.parquet", 64 << 20,
                                      y >= 2023 ? after : before});
      }
  for (int k = 0; k < 200; ++k)
    files.push_back(CrawledFile{"customers/part-" + std::to_string(k) + ".csv", 1 << 20, customers, 1 << 20});
  std::mt19937 rng(42);
  std::shuffle(files.begin(), files.end(), rng);
  return files;
}

// Thread CPU time: the ratio stays meaningful on a loaded machine.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void BM_PlanLayout(benchmark::State& state) {
  const std::vector<CrawledFile> lake = make_lake();
  // The floor: sorting the paths alone, best of 5.
  double sort_seconds = 1e9;
  for (int i = 0; i < 5; ++i) {
    std::vector<std::string> paths;
    paths.reserve(lake.size());
    for (const auto& f : lake) paths.push_back(f.path);
    const double start = cpu_seconds();
    std::sort(paths.begin(), paths.end());
    sort_seconds = std::min(sort_seconds, cpu_seconds() - start);
    benchmark::DoNotOptimize(paths.data());
  }
  double plan_seconds = 0;
  std::int64_t runs = 0;
  cairn::crawler::LayoutOptions options;
  options.root_name = "lake";
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<CrawledFile> input = lake;
    state.ResumeTiming();
    const double start = cpu_seconds();
    cairn::crawler::LayoutResult plan = cairn::crawler::plan_layout(std::move(input), options);
    plan_seconds += cpu_seconds() - start;
    ++runs;
    if (plan.tables.size() != 2 || plan.tables[1].partitions.size() != (kFiles + 59) / 60)
      state.SkipWithError("unexpected plan");
    benchmark::DoNotOptimize(plan.tables.data());
  }
  const double per_run = plan_seconds / static_cast<double>(std::max<std::int64_t>(runs, 1));
  state.counters["files"] = static_cast<double>(lake.size());
  state.counters["ns_per_file"] = per_run * 1e9 / static_cast<double>(lake.size());
  state.counters["sort_paths_ms"] = sort_seconds * 1e3;
  state.counters["x_sort_paths"] = per_run / sort_seconds;
}
BENCHMARK(BM_PlanLayout)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
