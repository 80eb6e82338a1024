// cairn-crawl-bench: a generated lake of N files (default 100,000) in Hive-style partitions — CSV, JSON lines
// and Parquet (when ../shared/data/parquet-testing provides a template file) — on local disk, crawled in
// process into a store (SQLite in a temporary directory; PostgreSQL too when CAIRN_BENCH_DATABASE_URL is
// set).
//
// It prints the two ratios issue 4 asks for, measured side by side in one run:
//   full crawl / I/O floor   where the floor lists the same files and reads the same bytes (the whole text
//                            files, the footer of each Parquet file) on as many threads as the crawler uses;
//   re-crawl after adding 1% new files / full crawl (CRAWL_EVERYTHING: lists the whole lake again);
//   the same after adding another 1%, with CRAWL_NEW_FOLDERS_ONLY (lists only folders the state lacks);
//   the same after adding another 1%, as an event run of the folders reported to hold new objects.
//
//   build/bench/cairn-crawl-bench [files] [parquet-template]
//
// For profiling, CAIRN_CRAWL_BENCH_PROFILE=N skips the ratios and runs N full crawls of the lake (each by a
// new crawler into a new database), so that `perf record` of the process mostly samples crawling.

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cairn/catalog/store.h"
#include "cairn/classifiers/pii.h"
#include "cairn/crawler/definition.h"
#include "cairn/crawler/runner.h"
#include "cairn/crawler/table_sample.h"
#include "local_folder.h"  // the crawler's own folder reader (crawler/src, internal)

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// CPU seconds (user + system) of the whole process so far: unlike wall time, not inflated by other
/// processes competing for the cores.
double cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string csv_file(std::mt19937& rng, int rows) {
  std::string s = "order_id,customer,amount,status,created\n";
  for (int i = 0; i < rows; ++i) {
    s += std::to_string(rng() % 1000000) + ",cust" + std::to_string(rng() % 5000) + "," +
         std::to_string(rng() % 10000) + "." + std::to_string(rng() % 100) + "," +
         (rng() % 2 ? "paid" : "open") + ",2024-0" + std::to_string(1 + rng() % 9) + "-1" +
         std::to_string(rng() % 10) + " 12:00:00\n";
  }
  return s;
}

std::string json_file(std::mt19937& rng, int rows) {
  std::string s;
  for (int i = 0; i < rows; ++i) {
    s += R"({"event":")" + std::string(rng() % 2 ? "click" : "view") + R"(","user":)" +
         std::to_string(rng() % 100000) + R"(,"ms":)" + std::to_string(rng() % 5000) +
         R"(,"tags":["a","b"],"ctx":{"page":"/p)" + std::to_string(rng() % 50) + R"(","ok":true}})" + "\n";
  }
  return s;
}

struct Lake {
  fs::path root;
  std::vector<fs::path> files;
};

/// `count` files spread over three tables, each partitioned year=/month=/day= with ~20 files per partition.
void generate(Lake& lake, int count, int first_index, const std::string& parquet, std::mt19937& rng) {
  const int kinds = parquet.empty() ? 2 : 3;
  for (int i = first_index; i < first_index + count; ++i) {
    const int kind = i % kinds;
    const int part = (i / kinds) / 20;
    const int year = 2000 + part / 336;
    const int month = 1 + (part / 28) % 12;
    const int day = 1 + part % 28;
    char dir[96];
    std::snprintf(dir, sizeof dir, "year=%d/month=%02d/day=%02d", year, month, day);
    const char* table = kind == 0 ? "sales_csv" : kind == 1 ? "events_json" : "metrics_parquet";
    const char* ext = kind == 0 ? "csv" : kind == 1 ? "json" : "parquet";
    const fs::path p = lake.root / table / dir / ("part-" + std::to_string(i) + "." + ext);
    write_file(p, kind == 0 ? csv_file(rng, 20) : kind == 1 ? json_file(rng, 10) : parquet);
    lake.files.push_back(p);
  }
}

/// The I/O floor: list the lake and read the bytes the crawler reads (text files whole, Parquet footers).
double io_floor(const Lake& lake, int threads, std::uint64_t& bytes, double* cpu = nullptr) {
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  std::vector<std::pair<std::string, std::uint64_t>> listed;
  for (const auto& e : fs::recursive_directory_iterator(lake.root)) {
    if (e.is_regular_file()) listed.emplace_back(e.path().string(), e.file_size());
  }
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> total{0};
  auto work = [&] {
    std::string buf;
    for (std::size_t i; (i = next.fetch_add(1)) < listed.size();) {
      const auto& [path, size] = listed[i];
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      if (path.ends_with(".parquet") && size >= 12) {
        char tail[8];
        if (::pread(fd, tail, 8, static_cast<off_t>(size - 8)) == 8) {
          std::uint32_t len = 0;
          std::memcpy(&len, tail, 4);
          len = std::min<std::uint32_t>(len, static_cast<std::uint32_t>(size - 8));
          buf.resize(len);
          total += 8 + static_cast<std::uint64_t>(
                           ::pread(fd, buf.data(), len, static_cast<off_t>(size - 8 - len)));
        }
      } else {
        buf.resize(size);
        total += static_cast<std::uint64_t>(::pread(fd, buf.data(), size, 0));
      }
      ::close(fd);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  bytes = total;
  if (cpu) *cpu = cpu_seconds() - cpu_start;
  return seconds_since(start);
}

/// The listing part of the floor: every folder read with the crawler's own folder reader (readdir, and
/// fstatat for each file's size and mtime), on one thread: what a CRAWL_EVERYTHING re-crawl cannot avoid.
/// Returns the seconds; `cpu` gets the CPU seconds, `count` the files.
double list_floor(const fs::path& root, double& cpu, std::size_t& count) {
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  count = 0;
  std::vector<std::string> folders{root.string()};
  std::vector<cairn::crawler::detail::LocalEntry> entries;
  while (!folders.empty()) {
    const std::string dir = std::move(folders.back());
    folders.pop_back();
    entries.clear();
    if (cairn::crawler::detail::read_local_folder(dir, entries) != 0) continue;
    for (const auto& entry : entries) {
      if (entry.folder) {
        folders.push_back(dir + "/" + entry.name);
      } else {
        ++count;
      }
    }
  }
  cpu = cpu_seconds() - cpu_start;
  return seconds_since(start);
}

struct Crawl {
  double seconds = 0;
  double cpu = 0;
  cairn::crawler::RunStats stats;
};

/// `classified` (may be null): each table written is then sampled and run through the PII detectors, as
/// cairnd's classification does after a crawl's table write (without storing verdicts); counts verdicts.
/// `only_folders` (may be null): an event run of just those folders ("<target index>:<folder>"), as the
/// endpoint that reports new objects starts.
Crawl crawl(cairn::catalog::Store& store, const cairn::crawler::CrawlerDefinition& def, int threads,
            std::size_t* classified = nullptr, const std::vector<std::string>* only_folders = nullptr) {
  cairn::crawler::RunContext ctx;
  ctx.store = &store;
  ctx.crawler_name = def.name;
  ctx.threads = threads;
  if (only_folders) ctx.only_folders = *only_folders;
  const cairn::classifiers::Detector detector = cairn::classifiers::Detector::create();
  if (classified) {
    ctx.table_written = [&](const std::string& database, const std::string& name) {
      const auto table = store.get_table(database, name);
      if (!table) return;
      const auto sample = cairn::crawler::sample_table_values(*table, {}, {});
      for (const auto& column : table->storage_descriptor.columns)
        for (const auto& values : sample.columns)
          if (values.column == column.name)
            *classified += detector.classify_column(column.name, column.type, values.values).size();
    };
  }
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  auto result = cairn::crawler::run_crawl(def, ctx);
  return Crawl{seconds_since(start), cpu_seconds() - cpu_start, result.stats};
}

/// `like` named `name`, crawling into the database `database` (created when missing), stored as a crawler.
cairn::crawler::CrawlerDefinition register_crawler(cairn::catalog::Store& store,
                                                   const cairn::crawler::CrawlerDefinition& like,
                                                   const std::string& name, const std::string& database) {
  cairn::crawler::CrawlerDefinition def = like;
  def.name = name;
  def.database = database;
  if (!store.get_database(database)) {
    cairn::catalog::Database db;
    db.name = database;
    store.create_database(db);
  }
  cairn::catalog::CrawlerRecord record;
  record.name = def.name;
  record.definition = cairn::crawler::to_json(def).dump();
  store.create_crawler(record);
  return def;
}

void run_on(const std::string& label, const std::string& url, int files, const std::string& parquet) {
  const fs::path dir =
      fs::temp_directory_path() / ("cairn-crawl-bench-" + std::to_string(::getpid()) + "-" + label);
  fs::remove_all(dir);
  Lake lake;
  lake.root = dir / "lake";
  std::mt19937 rng(42);
  std::cout << "[" << label << "] generating " << files << " files…" << std::endl;
  generate(lake, files, 0, parquet, rng);

  auto store = cairn::catalog::open_store((dir / "store").string(), url);
  cairn::crawler::CrawlerDefinition base;
  base.targets.push_back({lake.root.string(), "", {}, 0});
  const cairn::crawler::CrawlerDefinition def =
      register_crawler(*store, base, "bench_" + std::to_string(::getpid()), "bench_lake");
  const int threads = static_cast<int>(std::min(8u, std::max(1u, std::thread::hardware_concurrency())));

  if (const char* repeat = std::getenv("CAIRN_CRAWL_BENCH_PROFILE"); repeat && std::atoi(repeat) > 0) {
    for (int i = 0; i < std::atoi(repeat); ++i) {
      const cairn::crawler::CrawlerDefinition again = register_crawler(
          *store, def, def.name + "_p" + std::to_string(i), def.database + "_p" + std::to_string(i));
      const Crawl c = crawl(*store, again, threads);
      std::cout << "[" << label << "] full crawl " << i << ": " << c.seconds << " s, CPU " << c.cpu << " s"
                << std::endl;
    }
    store.reset();
    fs::remove_all(dir);
    return;
  }

  std::uint64_t floor_bytes = 0;
  io_floor(lake, threads, floor_bytes);  // warms the page cache like the crawl will find it
  double floor_cpu = 0, floor_cpu_after = 0;
  const double floor_s = io_floor(lake, threads, floor_bytes, &floor_cpu);
  const Crawl full = crawl(*store, def, threads);
  // The floor on both sides of the crawl.
  const double floor_after = io_floor(lake, threads, floor_bytes, &floor_cpu_after);
  const double floor_avg = (floor_s + floor_after) / 2;
  const double floor_cpu_avg = (floor_cpu + floor_cpu_after) / 2;

  generate(lake, files / 100, files, parquet, rng);
  double listing_cpu = 0;
  std::size_t listing_files = 0;
  const double listing_s = list_floor(lake.root, listing_cpu, listing_files);
  const Crawl again = crawl(*store, def, threads);

  generate(lake, files / 100, files + files / 100, parquet, rng);
  cairn::crawler::CrawlerDefinition new_folders = def;
  new_folders.recrawl_behavior = "CRAWL_NEW_FOLDERS_ONLY";
  const Crawl fresh = crawl(*store, new_folders, threads);

  // Another 1%, reported folder by folder (as S3 event notifications would) to an event run.
  const std::size_t reported_from = lake.files.size();
  generate(lake, files / 100, files + 2 * (files / 100), parquet, rng);
  std::vector<std::string> reported;
  for (std::size_t i = reported_from; i < lake.files.size(); ++i) {
    std::string folder = "0:" + lake.files[i].parent_path().lexically_relative(lake.root).generic_string();
    if (std::find(reported.begin(), reported.end(), folder) == reported.end())
      reported.push_back(std::move(folder));
  }
  const Crawl event = crawl(*store, def, threads, nullptr, &reported);

  // A full crawl of the same lake by another crawler into another database, classifying every table it
  // writes.
  const cairn::crawler::CrawlerDefinition pii_def =
      register_crawler(*store, def, def.name + "_pii", "bench_lake_pii");
  std::size_t verdicts = 0;
  const Crawl classified = crawl(*store, pii_def, threads, &verdicts);

  std::cout << "[" << label << "] files " << full.stats.files_listed << ", tables "
            << full.stats.tables_created << ", partitions " << full.stats.partitions_added << ", bytes read "
            << full.stats.bytes_read << " (floor reads " << floor_bytes << ")\n"
            << "[" << label << "] I/O floor " << floor_avg << " s; full crawl " << full.seconds
            << " s; ratio full/floor = " << full.seconds / floor_avg << " (target <= 3)\n"
            << "[" << label << "] CPU seconds: floor " << floor_cpu_avg << ", full crawl " << full.cpu
            << " (ratio " << full.cpu / floor_cpu_avg << "), re-crawl " << again.cpu << " (ratio "
            << again.cpu / full.cpu << "), new-folders re-crawl " << fresh.cpu << " (ratio "
            << fresh.cpu / full.cpu << ")\n"
            << "[" << label << "] re-crawl after +1% (" << again.stats.files_read << " files read, "
            << again.stats.partitions_added << " partitions added) " << again.seconds
            << " s; ratio recrawl/full = " << again.seconds / full.seconds << " (target <= 0.05)\n"
            << "[" << label << "] listing floor of that re-crawl (readdir + fstatat of " << listing_files
            << " files, one thread): " << listing_s << " s, CPU " << listing_cpu
            << " s: " << listing_s / full.seconds << " (wall) / " << listing_cpu / full.cpu
            << " (CPU) of the full crawl, " << 100 * listing_s / (0.05 * full.seconds) << "% / "
            << 100 * listing_cpu / (0.05 * full.cpu) << "% of the 5% budget\n"
            << "[" << label << "] CRAWL_NEW_FOLDERS_ONLY re-crawl after +1% (" << fresh.stats.files_listed
            << " files listed, " << fresh.stats.files_read << " read, " << fresh.stats.partitions_added
            << " partitions added) " << fresh.seconds << " s; ratio = " << fresh.seconds / full.seconds
            << " (target <= 0.05)\n"
            << "[" << label << "] event re-crawl of " << reported.size() << " reported folders after +1% ("
            << event.stats.files_listed << " files listed, " << event.stats.files_read << " read, "
            << event.stats.partitions_added << " partitions added) " << event.seconds
            << " s; ratio = " << event.seconds / full.seconds << ", CPU " << event.cpu / full.cpu
            << " (target <= 0.05)\n"
            << "[" << label << "] full crawl classifying every table written ("
            << classified.stats.tables_created << " tables, " << verdicts << " verdicts) "
            << classified.seconds << " s, CPU " << classified.cpu << " s; ratio to the full crawl: wall "
            << classified.seconds / full.seconds << ", CPU " << classified.cpu / full.cpu << std::endl;
  store.reset();
  if (!url.empty()) {
    // The PostgreSQL store keeps the bench's rows; remove the crawler so reruns start clean.
    auto s = cairn::catalog::open_store((dir / "store").string(), url);
    s->delete_crawler(def.name);
    s->delete_database(def.database);
    s->delete_crawler(pii_def.name);
    s->delete_database(pii_def.database);
  }
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  const int files = argc > 1 ? std::max(300, std::atoi(argv[1])) : 100000;
  std::string parquet_path = argc > 2 ? argv[2] : "";
  if (parquet_path.empty()) {
    const fs::path guess =
        fs::path(CAIRN_SOURCE_DIR) / ".." / "shared" / "data" / "parquet-testing" / "alltypes_plain.parquet";
    if (fs::exists(guess)) parquet_path = guess.string();
  }
  const std::string parquet = parquet_path.empty() ? std::string() : read_file(parquet_path);
  if (parquet.empty()) std::cout << "no Parquet template found: the lake holds CSV and JSON only\n";
  try {
    run_on("sqlite", "", files, parquet);
    if (const char* url = std::getenv("CAIRN_BENCH_DATABASE_URL"); url && *url)
      run_on("postgres", url, files, parquet);
  } catch (const std::exception& e) {
    std::cerr << "cairn-crawl-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
