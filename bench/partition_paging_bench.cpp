// Partition listing at scale: the cost of one page at the start of a table with a million partitions versus a
// page near its end, and of a filtered listing, on the SQLite store and (when CAIRN_BENCH_DATABASE_URL is
// set) the PostgreSQL store. Keyset paging should make the two page costs equal (ratio ~1); OFFSET paging
// would make the last page ~N/page_size times dearer.
//
//   CAIRN_BENCH_PARTITIONS=1000000 CAIRN_BENCH_DATABASE_URL=postgresql://…
//   build/bench/cairn-partition-paging-bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"

namespace {

using namespace cairn::catalog;

constexpr int kPageSize = 100;

long partitions_wanted() {
  const char* env = std::getenv("CAIRN_BENCH_PARTITIONS");
  return env != nullptr ? std::atol(env) : 1000000;
}

/// One populated store per backend, built on first use and shared by the benchmarks of that backend.
struct Fixture {
  std::unique_ptr<Store> store;
  std::string first_token;  ///< empty: the first page
  std::string late_token;   ///< token of the page starting at ~99% of the partitions
  std::shared_ptr<const PartitionExpression> filter;
  long partitions = 0;
};

Fixture& fixture(const std::string& backend) {
  static std::map<std::string, Fixture> fixtures;
  auto it = fixtures.find(backend);
  if (it != fixtures.end()) return it->second;
  Fixture& f = fixtures[backend];
  const std::string dir =
      std::filesystem::temp_directory_path() / ("cairn-paging-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  if (backend == "sqlite") {
    f.store = open_store(dir, "");
  } else {
    f.store = open_store(dir, std::getenv("CAIRN_BENCH_DATABASE_URL"));
    try {
      f.store->delete_database("paging");
    } catch (const cairn::Error&) {
    }
  }
  Database db;
  db.name = "paging";
  f.store->create_database(db);
  Table t;
  t.name = "events";
  t.partition_keys = {Column{"day", "date", "", {}}, Column{"hour", "int", "", {}},
                      Column{"shard", "int", "", {}}};
  t.storage_descriptor.columns = {Column{"id", "bigint", "", {}}, Column{"payload", "string", "", {}}};
  t.storage_descriptor.location = "s3://lake/events/";
  f.store->create_table("paging", t);

  const long n = partitions_wanted();
  const auto start = std::chrono::steady_clock::now();
  std::vector<Partition> batch;
  for (long i = 0; i < n; ++i) {
    Partition p;
    const long day = i / (24 * 50);
    char date[48];
    std::snprintf(date, sizeof date, "%04ld-%02ld-%02ld", 2000 + day / 336, 1 + (day / 28) % 12,
                  1 + day % 28);
    p.values = {date, std::to_string((i / 50) % 24), std::to_string(i % 50)};
    p.storage_descriptor.location = "s3://lake/events/" + std::to_string(i) + "/";
    batch.push_back(std::move(p));
    if (batch.size() == 1000 || i + 1 == n) {
      f.store->create_partitions("paging", "events", std::move(batch));
      batch.clear();
    }
  }
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "%s: loaded %ld partitions in %.1f s\n", backend.c_str(), n, load_s);

  // Walk the table once to find the token of a page near its end.
  PageRequest page{"", 1000};
  long seen = 0;
  const long target = n - n / 100;
  while (true) {
    auto result = f.store->list_partitions("paging", "events", nullptr, page);
    seen += static_cast<long>(result.items.size());
    if (result.next_token.empty()) break;
    page.token = result.next_token;
    if (seen >= target) {
      f.late_token = result.next_token;
      break;
    }
  }
  f.filter = PartitionExpression::create("hour = 7 AND shard BETWEEN 10 AND 12", t.partition_keys);
  f.partitions = n;
  return f;
}

void page_at(benchmark::State& state, const std::string& backend, bool late) {
  if (backend == "postgres" && std::getenv("CAIRN_BENCH_DATABASE_URL") == nullptr) {
    state.SkipWithError("set CAIRN_BENCH_DATABASE_URL to benchmark PostgreSQL");
    return;
  }
  Fixture& f = fixture(backend);
  const PageRequest page{late ? f.late_token : f.first_token, kPageSize};
  for (auto _ : state) {
    auto result = f.store->list_partitions("paging", "events", nullptr, page);
    benchmark::DoNotOptimize(result.items.data());
  }
  state.counters["partitions"] = static_cast<double>(f.partitions);
}

void filtered_first_page(benchmark::State& state, const std::string& backend) {
  if (backend == "postgres" && std::getenv("CAIRN_BENCH_DATABASE_URL") == nullptr) {
    state.SkipWithError("set CAIRN_BENCH_DATABASE_URL to benchmark PostgreSQL");
    return;
  }
  Fixture& f = fixture(backend);
  for (auto _ : state) {
    auto result = f.store->list_partitions("paging", "events", f.filter.get(), PageRequest{"", kPageSize});
    benchmark::DoNotOptimize(result.items.data());
  }
}

void BM_FirstPage_SQLite(benchmark::State& s) {
  page_at(s, "sqlite", false);
}
void BM_PageAt99Percent_SQLite(benchmark::State& s) {
  page_at(s, "sqlite", true);
}
void BM_FilteredFirstPage_SQLite(benchmark::State& s) {
  filtered_first_page(s, "sqlite");
}
void BM_FirstPage_Postgres(benchmark::State& s) {
  page_at(s, "postgres", false);
}
void BM_PageAt99Percent_Postgres(benchmark::State& s) {
  page_at(s, "postgres", true);
}
void BM_FilteredFirstPage_Postgres(benchmark::State& s) {
  filtered_first_page(s, "postgres");
}

BENCHMARK(BM_FirstPage_SQLite)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PageAt99Percent_SQLite)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FilteredFirstPage_SQLite)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FirstPage_Postgres)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PageAt99Percent_Postgres)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FilteredFirstPage_Postgres)->Unit(benchmark::kMillisecond);

/// Prints the ratios this benchmark exists to show, after the usual table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) times_[r.benchmark_name()] = r.GetAdjustedRealTime();
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (const char* backend : {"SQLite", "Postgres"}) {
      const std::string first = std::string("BM_FirstPage_") + backend;
      const std::string late = std::string("BM_PageAt99Percent_") + backend;
      if (times_.count(first) && times_.count(late) && times_[first] > 0) {
        std::printf("%s: page at 99%% / first page = %.2f (keyset paging: ~1; OFFSET would grow with N)\n",
                    backend, times_[late] / times_[first]);
      }
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
