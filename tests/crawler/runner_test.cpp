// Incremental crawls with folder rows (docs/crawlers.md, "Incremental crawls"): a re-crawl that takes
// unchanged folders from their rows yields exactly the tables and partitions a fresh full crawl of the same
// lake yields, on both stores; the store's prefix and path reads of the crawler state; the layout of
// grouped files equals the layout of the same files one by one.

#include "cairn/crawler/runner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cairn/catalog/model_json.h"
#include "cairn/crawler/definition.h"
#include "cairn/crawler/layout.h"
#include "support/store_backends.h"

namespace cairn::crawler {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

/// Moves a file's mtime forward, so that a rewrite of the same size is seen as a change.
void touch_later(const fs::path& p, int seconds) {
  fs::last_write_time(p, fs::last_write_time(p) + std::chrono::seconds(seconds));
}

std::string csv_rows(int rows, int seed) {
  std::string s = "id,name,amount\n";
  for (int i = 0; i < rows; ++i)
    s += std::to_string(seed * 100 + i) + ",name" + std::to_string(i % 7) + "," + std::to_string(i) + ".5\n";
  return s;
}

std::string json_rows(int rows, int seed, bool extra) {
  std::string s;
  for (int i = 0; i < rows; ++i) {
    s += R"({"event":"e)" + std::to_string(seed) + R"(","ms":)" + std::to_string(i);
    if (extra) s += R"(,"tag":"t)" + std::to_string(i) + "\"";
    s += "}\n";
  }
  return s;
}

/// What a reader sees of the tables in `db`, by table (then partition): storage, parameters (without the
/// crawler's name) and keys, as JSON text.
std::map<std::string, std::string> catalog_of(catalog::Store& store, const std::string& db) {
  std::map<std::string, std::string> out;
  catalog::PageRequest page;
  page.limit = 1000;
  for (auto& t : store.list_tables(db, page).items) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& k : t.partition_keys) keys.push_back(k.name + ":" + k.type);
    t.parameters.erase("UPDATED_BY_CRAWLER");
    const nlohmann::json table{{"sd", catalog::to_json(t.storage_descriptor)},
                               {"parameters", t.parameters},
                               {"keys", keys},
                               {"type", t.table_type}};
    out[t.name] = table.dump();
    for (const auto& p : store.list_partitions(db, t.name, std::string_view(), page).items) {
      const nlohmann::json part{{"sd", catalog::to_json(p.storage_descriptor)}, {"parameters", p.parameters}};
      out[t.name + "/" + nlohmann::json(p.values).dump()] = part.dump();
    }
  }
  return out;
}

class CrawlerRunner : public test::FreshStoreTest {
 protected:
  CrawlerRunner() : FreshStoreTest("crawler-runner", "crawler runner tests") {}

  void SetUp() override {
    FreshStoreTest::SetUp();
    if (IsSkipped()) return;
    lake_ = fs::temp_directory_path() / ("cairn-runner-test-lake-" + std::to_string(::getpid()) + "-" +
                                         GetParam() + "-" + std::to_string(counter_++));
    fs::remove_all(lake_);
    // sales: CSV in year=/month= partitions (files of different lengths: record counts differ), a JSON
    // file among them (left out) and a hidden file; events: JSON lines whose schema drifts; a file no
    // classifier recognises.
    for (int m = 1; m <= 4; ++m)
      for (int f = 0; f < 3; ++f)
        write_file(
            lake_ / ("sales/year=2024/month=0" + std::to_string(m)) / ("part-" + std::to_string(f) + ".csv"),
            csv_rows(5 + f + m, m * 10 + f));
    write_file(lake_ / "sales/year=2024/month=01/notes.json", json_rows(2, 1, false));
    write_file(lake_ / "sales/year=2024/month=02/_SUCCESS", "");
    for (int d = 1; d <= 3; ++d)
      for (int f = 0; f < 2; ++f)
        write_file(lake_ / ("events/day=0" + std::to_string(d)) / ("e-" + std::to_string(f) + ".json"),
                   json_rows(3 + f, d, d == 3 && f == 1));
    write_file(lake_ / "events/day=01/blob.bin", std::string("\x00\x01\x02\x03\xff\xfe\x00\x10", 8));
  }

  void TearDown() override {
    if (!lake_.empty()) fs::remove_all(lake_);
    FreshStoreTest::TearDown();
  }

  /// A crawler of the lake into `db` (created when missing).
  CrawlerDefinition define(const std::string& name, const std::string& db) {
    if (!store_->get_database(db)) {
      catalog::Database d;
      d.name = db;
      store_->create_database(d);
    }
    CrawlerDefinition def;
    def.name = name;
    def.database = db;
    def.targets.push_back({lake_.string(), "", {}, 0});
    def.delete_behavior = "DELETE_FROM_DATABASE";
    catalog::CrawlerRecord record;
    record.name = name;
    record.definition = to_json(def).dump();
    store_->create_crawler(record);
    return def;
  }

  RunStats crawl(const CrawlerDefinition& def) {
    RunContext ctx;
    ctx.store = store_.get();
    ctx.crawler_name = def.name;
    ctx.threads = 2;
    return run_crawl(def, ctx).stats;
  }

  /// Rewrites `crawler`'s state into the form of earlier runs: one row per file instead of a files row per
  /// folder; with `folder_rows` false, without folder rows and the #folders row either.
  void to_per_file_rows(const std::string& crawler, bool folder_rows) {
    std::vector<catalog::CrawlerFile> rows;
    std::vector<std::string> gone;
    for (const auto& f : store_->load_crawler_files_with_prefix(crawler, kFilesRowPrefix)) {
      for (auto& file : files_of_row(f)) rows.push_back(std::move(file));
      gone.push_back(f.path);
    }
    ASSERT_FALSE(gone.empty());
    for (auto& f : store_->load_crawler_files_with_prefix(crawler, kFolderRowPrefix)) {
      if (folder_rows) {
        f.mtime = 0;
        rows.push_back(std::move(f));
      } else {
        gone.push_back(f.path);
      }
    }
    if (!folder_rows) gone.push_back(std::string(kFolderStateRow));
    store_->save_crawler_files(crawler, rows, gone);
  }

  /// The state rows of `crawler` of one file each ("<target>:<path>").
  std::size_t per_file_rows(const std::string& crawler) {
    return store_->load_crawler_files_with_prefix(crawler, "0:").size();
  }

  /// The catalog a fresh full crawl of the lake as it is now yields.
  std::map<std::string, std::string> fresh_crawl() {
    const std::string name = "fresh" + std::to_string(fresh_++);
    const CrawlerDefinition def = define(name, name + "_db");
    crawl(def);
    return catalog_of(*store_, def.database);
  }

  fs::path lake_;
  int fresh_ = 0;
  static inline int counter_ = 0;
};

TEST_P(CrawlerRunner, ReCrawlFromFolderRowsGivesWhatAFreshFullCrawlGives) {
  const CrawlerDefinition def = define("lake", "lake_db");
  const RunStats first = crawl(def);
  EXPECT_EQ(first.files_listed, 12 + 2 + 6 + 1);
  const auto tables = catalog_of(*store_, def.database);
  EXPECT_TRUE(tables.contains("sales"));
  EXPECT_TRUE(tables.contains("events"));
  EXPECT_EQ(tables.size(), 2U + 4U + 3U);
  EXPECT_EQ(tables, fresh_crawl());
  // The state has a row per folder and the row saying so.
  EXPECT_EQ(store_->load_crawler_files_with_prefix(def.name, kFolderStateRow).size(), 1U);
  EXPECT_EQ(store_->load_crawler_files_with_prefix(def.name, kFolderRowPrefix).size(), 4U + 3U);

  // One file new, one changed, one removed, a folder gone, two folders new.
  write_file(lake_ / "sales/year=2024/month=01/part-9.csv", csv_rows(40, 99));
  write_file(lake_ / "sales/year=2024/month=02/part-1.csv", csv_rows(30, 77));
  touch_later(lake_ / "sales/year=2024/month=02/part-1.csv", 10);
  fs::remove(lake_ / "sales/year=2024/month=03/part-2.csv");
  fs::remove_all(lake_ / "sales/year=2024/month=04");
  write_file(lake_ / "sales/year=2024/month=05/part-0.csv", csv_rows(8, 50));
  write_file(lake_ / "events/day=04/e-0.json", json_rows(6, 4, true));
  const RunStats again = crawl(def);
  EXPECT_EQ(again.files_read, 4);
  EXPECT_EQ(again.files_removed, 1 + 3);
  EXPECT_EQ(again.files_unchanged, first.files_listed - 1 - 3 - 1);
  EXPECT_EQ(again.partitions_removed, 1);
  EXPECT_EQ(again.partitions_added, 2);
  EXPECT_EQ(catalog_of(*store_, def.database), fresh_crawl());
  EXPECT_EQ(store_->load_crawler_files_with_prefix(def.name, kFolderRowPrefix).size(), 4U + 4U);

  // Nothing changed: nothing read or written.
  const RunStats idle = crawl(def);
  EXPECT_EQ(idle.files_read, 0);
  EXPECT_EQ(idle.files_unchanged, idle.files_listed);
  EXPECT_EQ(idle.tables_updated + idle.tables_created + idle.partitions_added + idle.partitions_updated, 0);
  EXPECT_EQ(catalog_of(*store_, def.database), fresh_crawl());

  // An unchanged folder is taken from its row: its files row is not even read.
  ASSERT_EQ(store_->get_crawler_files(def.name, {"%files/0:sales/year=2024/month=03"}).size(), 1U);
  store_->save_crawler_files(def.name, {}, {"%files/0:sales/year=2024/month=03"});
  const RunStats trusted = crawl(def);
  EXPECT_EQ(trusted.files_read, 0);
  EXPECT_EQ(trusted.files_unchanged, trusted.files_listed);
}

TEST_P(CrawlerRunner, NewFoldersOnlyListsNewFoldersAndMatchesAFreshFullCrawl) {
  CrawlerDefinition def = define("lake", "lake_db");
  crawl(def);
  write_file(lake_ / "sales/year=2024/month=05/part-0.csv", csv_rows(8, 50));
  write_file(lake_ / "sales/year=2024/month=05/part-1.csv", csv_rows(9, 51));
  write_file(lake_ / "events/day=04/e-0.json", json_rows(6, 4, true));
  def.recrawl_behavior = "CRAWL_NEW_FOLDERS_ONLY";
  const RunStats fresh = crawl(def);
  EXPECT_EQ(fresh.files_listed, 3);
  EXPECT_EQ(fresh.files_read, 3);
  EXPECT_EQ(fresh.partitions_added, 2);
  EXPECT_EQ(catalog_of(*store_, def.database), fresh_crawl());
  const RunStats idle = crawl(def);
  EXPECT_EQ(idle.files_listed, 0);
  EXPECT_EQ(catalog_of(*store_, def.database), fresh_crawl());
}

TEST_P(CrawlerRunner, StateWithoutFolderRowsIsReadWholeAndGainsThem) {
  const CrawlerDefinition def = define("lake", "lake_db");
  const RunStats first = crawl(def);
  EXPECT_EQ(per_file_rows(def.name), 0U);
  EXPECT_EQ(store_->load_crawler_files_with_prefix(def.name, kFilesRowPrefix).size(), 4U + 3U);
  // The state as runs before folder rows left it: file and schema rows only.
  to_per_file_rows(def.name, false);
  ASSERT_TRUE(store_->load_crawler_files_with_prefix(def.name, "#folder").empty());
  ASSERT_EQ(per_file_rows(def.name), static_cast<std::size_t>(first.files_listed));

  write_file(lake_ / "sales/year=2024/month=01/part-9.csv", csv_rows(40, 99));
  const RunStats again = crawl(def);
  EXPECT_EQ(again.files_read, 1);
  EXPECT_EQ(again.files_unchanged, first.files_listed);
  EXPECT_EQ(catalog_of(*store_, def.database), fresh_crawl());
  EXPECT_EQ(store_->load_crawler_files_with_prefix(def.name, kFolderStateRow).size(), 1U);
  EXPECT_EQ(store_->load_crawler_files_with_prefix(def.name, kFolderRowPrefix).size(), 4U + 3U);
  // Every folder was rewritten: files rows replace the per-file rows.
  EXPECT_EQ(store_->load_crawler_files_with_prefix(def.name, kFilesRowPrefix).size(), 4U + 3U);
  EXPECT_EQ(per_file_rows(def.name), 0U);
  const RunStats idle = crawl(def);
  EXPECT_EQ(idle.files_read, 0);
  EXPECT_EQ(idle.files_unchanged, first.files_listed + 1);
}

// State of the runs before files rows: folder rows and one row per file. Unchanged folders keep that form;
// a changed folder's rows are read, compared and replaced by its files row.
TEST_P(CrawlerRunner, PerFileRowsOfEarlierRunsAreReadAndReplacedFolderByFolder) {
  const CrawlerDefinition def = define("lake", "lake_db");
  const RunStats first = crawl(def);
  to_per_file_rows(def.name, true);
  ASSERT_EQ(per_file_rows(def.name), static_cast<std::size_t>(first.files_listed));
  ASSERT_TRUE(store_->load_crawler_files_with_prefix(def.name, kFilesRowPrefix).empty());

  const RunStats idle = crawl(def);
  EXPECT_EQ(idle.files_read, 0);
  EXPECT_EQ(idle.files_unchanged, first.files_listed);
  EXPECT_EQ(per_file_rows(def.name), static_cast<std::size_t>(first.files_listed));

  // month=01 holds part-0..2.csv and notes.json: one changed, one removed, one added.
  write_file(lake_ / "sales/year=2024/month=01/part-1.csv", csv_rows(30, 77));
  touch_later(lake_ / "sales/year=2024/month=01/part-1.csv", 10);
  fs::remove(lake_ / "sales/year=2024/month=01/part-2.csv");
  write_file(lake_ / "sales/year=2024/month=01/part-9.csv", csv_rows(40, 99));
  const RunStats again = crawl(def);
  EXPECT_EQ(again.files_read, 2);
  EXPECT_EQ(again.files_removed, 1);
  EXPECT_EQ(again.files_unchanged, first.files_listed - 2);
  EXPECT_EQ(catalog_of(*store_, def.database), fresh_crawl());
  EXPECT_EQ(per_file_rows(def.name), static_cast<std::size_t>(first.files_listed - 4));
  EXPECT_TRUE(store_->load_crawler_files_with_prefix(def.name, "0:sales/year=2024/month=01/").empty());
  const auto files_row = store_->get_crawler_files(def.name, {"%files/0:sales/year=2024/month=01"});
  ASSERT_EQ(files_row.size(), 1U);
  EXPECT_EQ(files_row[0].size, 4);

  // A file of a folder still in per-file rows changes.
  write_file(lake_ / "events/day=02/e-0.json", json_rows(7, 2, false));
  touch_later(lake_ / "events/day=02/e-0.json", 10);
  const RunStats later = crawl(def);
  EXPECT_EQ(later.files_read, 1);
  EXPECT_EQ(catalog_of(*store_, def.database), fresh_crawl());
  EXPECT_TRUE(store_->load_crawler_files_with_prefix(def.name, "0:events/day=02/").empty());
  EXPECT_EQ(per_file_rows(def.name), static_cast<std::size_t>(first.files_listed - 4 - 2));
  const RunStats idle_again = crawl(def);
  EXPECT_EQ(idle_again.files_read, 0);
  EXPECT_EQ(catalog_of(*store_, def.database), fresh_crawl());
}

TEST_P(CrawlerRunner, CrawlerStateReadsByPrefixAndByPath) {
  catalog::CrawlerRecord record;
  record.name = "c";
  record.definition = "{}";
  store_->create_crawler(record);
  std::vector<catalog::CrawlerFile> rows;
  for (const char* path : {"#folder/0:a", "#folder/0:b", "#folders", "#schema/x", "0:a/f1", "0:a/f2",
                           "0:ab/f", "0:a0", "1:a/f", "0:\xc3\xa9/f", "0:\xc3\xa9/g"}) {
    catalog::CrawlerFile f;
    f.path = path;
    f.size = 7;
    f.mtime = 9;
    f.etag = "e";
    f.schema = std::string("s-") + path;
    rows.push_back(f);
  }
  store_->save_crawler_files("c", rows, {});
  auto paths = [](const std::vector<catalog::CrawlerFile>& files) {
    std::vector<std::string> out;
    for (const auto& f : files) out.push_back(f.path);
    return out;
  };
  EXPECT_EQ(paths(store_->load_crawler_files_with_prefix("c", "#folder/")),
            (std::vector<std::string>{"#folder/0:a", "#folder/0:b"}));
  EXPECT_EQ(paths(store_->load_crawler_files_with_prefix("c", "0:a/")),
            (std::vector<std::string>{"0:a/f1", "0:a/f2"}));
  EXPECT_EQ(paths(store_->load_crawler_files_with_prefix("c", "0:\xc3\xa9")),
            (std::vector<std::string>{"0:\xc3\xa9/f", "0:\xc3\xa9/g"}));
  EXPECT_EQ(paths(store_->load_crawler_files_with_prefix("c", "#")).size(), 4U);
  EXPECT_TRUE(store_->load_crawler_files_with_prefix("other", "#").empty());
  const auto got = store_->get_crawler_files("c", {"0:a/f2", "0:missing", "0:a/f1", "1:a/f"});
  EXPECT_EQ(paths(got), (std::vector<std::string>{"0:a/f1", "0:a/f2", "1:a/f"}));
  EXPECT_EQ(got[0].size, 7);
  EXPECT_EQ(got[0].mtime, 9);
  EXPECT_EQ(got[0].etag, "e");
  EXPECT_EQ(got[0].schema, "s-0:a/f1");
  EXPECT_TRUE(store_->get_crawler_files("c", {}).empty());
  std::vector<std::string> many;
  for (int i = 0; i < 250; ++i) many.push_back("0:a/f" + std::to_string(i));
  EXPECT_EQ(paths(store_->get_crawler_files("c", many)), (std::vector<std::string>{"0:a/f1", "0:a/f2"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, CrawlerRunner, test::store_backends(), test::backend_test_name);

// ---- The layout of groups.

FileSchema csv_schema(std::vector<std::string> names, std::int64_t rows, bool exact) {
  FileSchema s;
  s.classification = "csv";
  for (auto& n : names) s.columns.push_back(catalog::Column{n, "int", {}, {}});
  s.record_count = rows;
  s.record_count_exact = exact;
  s.serialization_library = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
  s.serde_parameters["field.delim"] = ",";
  s.parameters = {{"delimiter", ","}, {"skip.header.line.count", "1"}};
  return s;
}

std::string plan_text(const LayoutResult& r) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& t : r.tables) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& p : t.partitions) {
      nlohmann::json cols = nlohmann::json::array();
      for (const auto& c : p.columns) cols.push_back(catalog::to_json(c));
      parts.push_back({p.values, p.location, cols, p.parameters, p.format.serde_parameters, p.object_count,
                       p.record_count, p.size});
    }
    nlohmann::json cols = nlohmann::json::array();
    for (const auto& c : t.columns) cols.push_back(catalog::to_json(c));
    std::vector<std::string> skipped;
    for (const auto& f : t.skipped_files) skipped.push_back(f.path + " " + f.reason);
    std::sort(skipped.begin(), skipped.end());
    j.push_back(
        {t.name, t.location, cols, t.parameters, parts, skipped, t.object_count, t.record_count, t.size});
  }
  std::vector<std::string> unclassified = r.unclassified;
  std::sort(unclassified.begin(), unclassified.end());
  std::vector<std::string> skipped;
  for (const auto& f : r.skipped) skipped.push_back(f.path + " " + f.reason);
  std::sort(skipped.begin(), skipped.end());
  j.push_back({unclassified, skipped});
  return j.dump();
}

TEST(LayoutGroups, GroupsOfAFolderPlanAsTheirFilesOneByOne) {
  // Per folder: files of two schemas interleaved, estimated and exact counts, a hidden file, an unknown one;
  // one partition whose files do not match the table, and files beside the partitions.
  std::vector<CrawledFile> single;
  std::vector<CrawledFile> grouped;
  auto add_folder = [&](const std::string& dir, int files, bool odd) {
    const auto a = std::make_shared<const FileSchema>(csv_schema({"id", "amount"}, 0, false));
    const auto b = std::make_shared<const FileSchema>(csv_schema({"id", "amount", "extra"}, 0, false));
    const auto c = std::make_shared<const FileSchema>(csv_schema({"x", "y", "z"}, 0, true));
    CrawledFile ga, gb;
    for (int i = 0; i < files; ++i) {
      const std::string name = "f" + std::to_string(i) + ".csv";
      const bool first = i % 3 != 1;
      FileSchema s = odd ? *c : first ? *a : *b;
      s.record_count = 10 + i;
      s.record_count_exact = i % 2 == 0;
      CrawledFile f;
      f.path = dir + "/" + name;
      f.size = 1000 + 10 * static_cast<std::uint64_t>(i);
      f.sampled_bytes = 500;
      f.schema = s;
      CrawledFile& g = odd || first ? ga : gb;
      if (g.path.empty()) {
        g.path = f.path;
        g.shared_schema = odd ? c : first ? a : b;
        g.group_records = 0;
      } else {
        g.more_names.push_back(name);
      }
      g.size += f.size;
      *g.group_records += file_records(s, f.size, f.sampled_bytes);
      g.group_counts_exact = g.group_counts_exact && s.record_count_exact;
      single.push_back(std::move(f));
    }
    for (CrawledFile* g : {&ga, &gb})
      if (!g->path.empty()) grouped.push_back(*g);
    for (const char* name : {"_SUCCESS", "x.crc"}) {
      CrawledFile hidden;
      hidden.path = dir + "/" + name;
      hidden.shared_schema = a;
      single.push_back(hidden);
    }
    CrawledFile hidden;
    hidden.path = dir + "/_SUCCESS";
    hidden.shared_schema = a;
    hidden.more_names = {"x.crc"};
    hidden.group_records = 0;
    grouped.push_back(hidden);
    CrawledFile unknown;
    unknown.path = dir + "/readme";
    unknown.size = 5;
    single.push_back(unknown);
    grouped.push_back(unknown);
  };
  for (int d = 1; d <= 6; ++d) add_folder("t/day=0" + std::to_string(d), 2 + 3 * d, false);
  add_folder("t/day=07", 4, true);
  add_folder("t", 2, false);
  add_folder("u/_tmp", 3, false);
  for (const bool combine : {false, true}) {
    LayoutOptions options;
    options.root_name = "lake";
    options.combine_compatible_schemas = combine;
    EXPECT_EQ(plan_text(plan_layout(single, options)), plan_text(plan_layout(grouped, options)));
  }
}

}  // namespace
}  // namespace cairn::crawler
