// The cost of appending to the audit log per entry, by batch size: 10,000 entries appended in batches of 1,
// 16, 256 and 1,000 (the writer's default batch) through Store::append_audit with the real SHA-256 chain, on
// the SQLite store and (when CAIRN_BENCH_DATABASE_URL is set) the PostgreSQL store, in a schema of its own.
// The log is stored per appended batch, so a batch of N entries should cost far less than N batches of one;
// the summary prints the per-entry cost of each batch size and its ratio to batches of one.
//
//   build/bench/cairn-audit-append-bench
//   CAIRN_BENCH_DATABASE_URL=postgresql://… build/bench/cairn-audit-append-bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "cairn/authz/audit.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"

namespace {

using namespace cairn;
using catalog::AuditEntry;

constexpr int kEntries = 10000;

const char* database_url() {
  return std::getenv("CAIRN_BENCH_DATABASE_URL");
}

/// One store per backend, opened on first use in a new directory (SQLite) or a new schema (PostgreSQL) and
/// removed at exit.
class Fixture {
 public:
  explicit Fixture(const std::string& backend) {
    const std::string unique = std::to_string(::getpid());
    if (backend == "sqlite") {
      dir_ = std::filesystem::temp_directory_path() / ("cairn-audit-bench-" + unique);
      std::filesystem::remove_all(dir_);
      store_ = catalog::open_store(dir_.string(), "");
      return;
    }
    base_url_ = database_url();
    schema_ = "cairn_audit_bench_" + unique;
    {
      pqxx::connection c(base_url_);
      pqxx::nontransaction tx(c);
      tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
      tx.exec("CREATE SCHEMA " + tx.quote_name(schema_));
    }
    const std::string url = base_url_ + (base_url_.find('?') == std::string::npos ? "?" : "&") +
                            "options=-csearch_path%3D" + schema_;
    store_ = catalog::open_store("", url);
  }
  ~Fixture() {
    store_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
    if (!schema_.empty()) {
      try {
        pqxx::connection c(base_url_);
        pqxx::nontransaction tx(c);
        tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
      } catch (const std::exception& e) {
        std::fprintf(stderr, "could not drop schema %s: %s\n", schema_.c_str(), e.what());
      }
    }
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  catalog::Store& store() { return *store_; }

 private:
  std::filesystem::path dir_;
  std::string base_url_;
  std::string schema_;
  std::unique_ptr<catalog::Store> store_;
};

/// The open fixtures by backend; main() closes them before exit (libpqxx cannot drop a schema during static
/// destruction).
std::map<std::string, std::unique_ptr<Fixture>>& fixtures() {
  static std::map<std::string, std::unique_ptr<Fixture>> open;
  return open;
}

Fixture& fixture(const std::string& backend) {
  auto& f = fixtures()[backend];
  if (!f) f = std::make_unique<Fixture>(backend);
  return *f;
}

/// An entry shaped like a governed GetTable decision: 4 principals, 20 tables.
AuditEntry decision(int i) {
  AuditEntry e;
  e.time = catalog::now_millis();
  e.request_id = "1f0c3a9d" + std::to_string(100000 + i);
  e.principal = "user:analyst" + std::to_string(i % 4);
  e.action = "DescribeTable";
  e.resource = "table/bench_db0/t" + std::to_string(i % 20);
  e.decision = "allow";
  e.deciding_ids = {"grant:" + std::to_string(1000 + i % 20), "filter:bench_db0.t.c0_positive"};
  e.detail = e.principal + " holds permissions on table bench_db0.t" + std::to_string(i % 20);
  return e;
}

void BM_AppendAudit(benchmark::State& state, const std::string& backend) {
  if (backend == "postgres" && database_url() == nullptr) {
    state.SkipWithError("set CAIRN_BENCH_DATABASE_URL to benchmark PostgreSQL");
    return;
  }
  catalog::Store& store = fixture(backend).store();
  const auto batch_size = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::vector<AuditEntry>> batches;
    for (int start = 0; start < kEntries; start += batch_size) {
      std::vector<AuditEntry>& batch = batches.emplace_back();
      for (int i = start; i < std::min(kEntries, start + batch_size); ++i) batch.push_back(decision(i));
    }
    state.ResumeTiming();
    for (auto& batch : batches) store.append_audit(batch, authz::audit_hash);
  }
  state.SetItemsProcessed(state.iterations() * kEntries);
  state.counters["per_entry"] = benchmark::Counter(static_cast<double>(state.iterations()) * kEntries,
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

/// The console output plus a summary: per-entry wall and CPU time by backend and batch size, and the ratio of
/// each to batches of one.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration || run.iterations == 0) continue;
      const std::string& name = run.run_name.function_name;  // "BM_AppendAudit/sqlite"
      const std::string& args = run.run_name.args;           // "batch:16"
      const std::string backend = name.substr(name.rfind('/') + 1);
      const double n = static_cast<double>(run.iterations) * kEntries;
      const long batch = std::stol(args.substr(args.find(':') + 1));
      results_[backend][batch] = {run.real_accumulated_time / n * 1e6, run.cpu_accumulated_time / n * 1e6};
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nper-entry cost of Store::append_audit (%d entries per run)\n", kEntries);
    std::printf("%-9s %6s %14s %14s %18s\n", "store", "batch", "wall us/entry", "cpu us/entry",
                "wall vs batch 1");
    for (const auto& [backend, by_batch] : results_) {
      const auto one = by_batch.find(1);
      for (const auto& [batch, t] : by_batch) {
        const double ratio = one != by_batch.end() ? one->second.first / t.first : 0.0;
        std::printf("%-9s %6ld %14.2f %14.2f %17.1fx\n", backend.c_str(), batch, t.first, t.second, ratio);
      }
    }
  }

 private:
  std::map<std::string, std::map<long, std::pair<double, double>>> results_;  ///< wall, cpu µs per entry
};

/// Batch sizes 1, 16, 256 and 1,000, timed by the wall clock (the database server's work counts too).
void batch_sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("batch")->Arg(1)->Arg(16)->Arg(256)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

BENCHMARK_CAPTURE(BM_AppendAudit, sqlite, std::string("sqlite"))->Apply(batch_sizes);
BENCHMARK_CAPTURE(BM_AppendAudit, postgres, std::string("postgres"))->Apply(batch_sizes);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  fixtures().clear();
  benchmark::Shutdown();
  return 0;
}
