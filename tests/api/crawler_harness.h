#pragma once

// Harness of the end-to-end crawler tests (tests/api/crawler_integration_test.cpp) and of the PII
// classification tests that crawl (tests/api/classification_integration_test.cpp): lakes written by the
// tests, a fixture that starts cairnd on SQLite and on PostgreSQL (CAIRN_TEST_DATABASE_URL), and helpers to
// create users, crawl and read tables.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/governance_harness.h"
#include "cairn/api/s3_transport.h"
#include "cairn/catalog/store.h"
#include "cairn/crawler/s3_client.h"
#include "crawler/compress_util.h"
#include "support/process.h"
#include "support/store_backends.h"

namespace cairn::crawl_test {

using namespace cairn::gov_test;  // NOLINT(google-build-using-namespace): the harness these tests extend
using nlohmann::json;
using Strings = std::vector<std::string>;
namespace fs = std::filesystem;

inline constexpr const char* kDb = "lake";

// ---- Fixtures -----------------------------------------------------------------------------------------

/// Writes `content` to `path`, creating its folders.
inline void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

/// ../shared/data/parquet-testing next to the source tree, or "" when it is absent.
inline std::string parquet_testing_dir() {
  const fs::path dir = fs::path(CAIRN_SOURCE_DIR) / ".." / "shared" / "data" / "parquet-testing";
  std::error_code ec;
  return fs::is_regular_file(dir / "alltypes_plain.parquet", ec) ? dir.lexically_normal().string() : "";
}

inline constexpr const char* kSalesJan = "id,amount,region\n1,12.50,north\n2,3.99,south\n3,100.00,east\n";
inline constexpr const char* kSalesFeb = "id,amount,region\n4,7.25,west\n5,19.90,north\n";

/// The lake of these tests, as relative path → content. Tables by folder:
///   sales/year=2024/month=0{1,2}/ CSV with a header, Hive partitions, _SUCCESS markers, and an odd JSON file
///                                 in month=02 that must not split the table;
///   events/2024/0{1,2}/           JSON lines with nested values, non-Hive folder levels (partition_0, _1);
///   people/                       CSV whose header and values are all text (Glue's blind spot);
///   noheader/                     CSV without a header (col0, col1, col2);
///   logs/                         gzip'd CSV;
///   broken/                       a file that claims to be Parquet but is not (no table);
///   pq/                           Parquet from parquet-testing (only when `parquet_dir` is not empty).
inline std::map<std::string, std::string> lake_files(const std::string& parquet_dir) {
  std::map<std::string, std::string> f;
  f["sales/year=2024/month=01/part-0.csv"] = kSalesJan;
  f["sales/year=2024/month=01/_SUCCESS"] = "";
  f["sales/year=2024/month=02/part-0.csv"] = kSalesFeb;
  f["sales/year=2024/month=02/_SUCCESS"] = "";
  f["sales/year=2024/month=02/notes.json"] = "{\"note\":\"late data\",\"by\":\"ops\"}\n";
  f["events/2024/01/a.json"] =
      "{\"id\":1,\"kind\":\"click\",\"user\":{\"name\":\"ann\",\"age\":31},\"tags\":[\"a\",\"b\"]}\n"
      "{\"id\":2,\"kind\":\"view\",\"user\":{\"name\":\"bo\",\"age\":40},\"tags\":[]}\n";
  f["events/2024/02/b.json"] =
      "{\"id\":3,\"kind\":\"click\",\"user\":{\"name\":\"cy\",\"age\":22},\"tags\":[\"c\"]}\n";
  f["people/people.csv"] = "name,city\nalice,berlin\nbob,paris\ncarol,rome\n";
  f["noheader/data.csv"] = "1,foo,2.5\n2,bar,3.5\n3,baz,4.5\n";
  f["logs/part-0.csv.gz"] = cairn::crawler::test::gzip_bytes(
      "ts,level,message\n2024-01-01 10:00:00,INFO,started\n2024-01-01 10:05:00,WARN,slow disk\n"
      "2024-01-01 10:09:00,INFO,done\n");
  f["broken/bad.parquet"] = std::string("PAR1\x15\x04\x15\x80\x01\x15\x02\x2c\x15\x10\x00\x00\x00PAR1", 22);
  if (!parquet_dir.empty()) {
    for (const char* name : {"alltypes_plain.parquet", "alltypes_plain.snappy.parquet"}) {
      std::ifstream in(fs::path(parquet_dir) / name, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      f[std::string("pq/") + name] = bytes.str();
    }
  }
  return f;
}

/// Writes `files` under `root`.
inline void write_lake(const fs::path& root, const std::map<std::string, std::string>& files) {
  for (const auto& [rel, content] : files) write_file(root / rel, content);
}

/// `tables` folders t0, t1, … of `files_per_table` small CSV files each under `root`, every folder with
/// columns of its own, so that each is a table: a crawl that takes a while, since each table is written in a
/// transaction of its own (and a run stops between tables).
inline void write_many(const fs::path& root, int tables, int files_per_table = 10) {
  for (int t = 0; t < tables; ++t) {
    const std::string k = std::to_string(t);
    for (int i = 0; i < files_per_table; ++i) {
      write_file(root / ("t" + k) / ("f-" + std::to_string(i) + ".csv"),
                 "k" + k + "_id,k" + k + "_label\n" + std::to_string(i) + ",row" + std::to_string(i) + "\n");
    }
  }
}

/// A crawler definition over local `paths` into the test database.
inline json crawler_body(const std::string& name, const Strings& paths) {
  json targets = json::array();
  for (const auto& p : paths) targets.push_back(json{{"path", p}});
  return json{{"name", name}, {"database", kDb}, {"targets", targets}};
}

/// Checks the error envelope: status, code, and the field when given.
inline void expect_error(const Reply& r, int status, const std::string& code, const std::string& field = {}) {
  EXPECT_EQ(r.status, status) << r;
  const json j = r.js();
  ASSERT_TRUE(j.is_object() && j.contains("error")) << r;
  EXPECT_EQ(j["error"].value("code", ""), code) << r;
  EXPECT_FALSE(j["error"].value("message", "").empty()) << r;
  if (!field.empty()) {
    EXPECT_EQ(j["error"].value("field", ""), field) << r;
  }
}

/// name → type of a table's (or partition's) data columns.
inline std::map<std::string, std::string> column_types(const json& with_sd) {
  std::map<std::string, std::string> out;
  if (!with_sd.is_object() || !with_sd.contains("storage_descriptor")) return out;
  for (const auto& c : with_sd["storage_descriptor"]["columns"])
    out[c.value("name", "")] = c.value("type", "");
  return out;
}

/// Names of a table's (or partition's) data columns in order.
inline Strings data_columns(const json& with_sd) {
  Strings out;
  if (!with_sd.is_object() || !with_sd.contains("storage_descriptor")) return out;
  for (const auto& c : with_sd["storage_descriptor"]["columns"]) out.push_back(c.value("name", ""));
  return out;
}

/// A parameter of a table or partition ("" when absent).
inline std::string param(const json& j, const std::string& key) {
  if (!j.is_object() || !j.contains("parameters") || !j["parameters"].contains(key)) return "";
  return j["parameters"][key].get<std::string>();
}

/// The run's counter `key`.
inline std::int64_t stat(const json& run, const std::string& key) {
  if (!run.is_object() || !run.contains("stats") || !run["stats"].contains(key)) return -1;
  return run["stats"][key].get<std::int64_t>();
}

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A random lower-case hex suffix (bucket names).
inline std::string random_suffix();

/// The S3 endpoint of the tests (CAIRN_TEST_S3_ENDPOINT, a moto_server), or "" when none is set.
inline std::string test_s3_endpoint() {
  const char* endpoint = std::getenv("CAIRN_TEST_S3_ENDPOINT");
  return endpoint == nullptr ? std::string() : std::string(endpoint);
}

/// Why an S3 test is skipped without an endpoint.
inline constexpr const char* kNoS3Endpoint =
    "CAIRN_TEST_S3_ENDPOINT is not set: run scripts/test.sh, or start `moto_server -H 127.0.0.1 -p PORT` and "
    "export CAIRN_TEST_S3_ENDPOINT=http://127.0.0.1:PORT";

/// A client of `endpoint` (moto accepts any credentials) and a new bucket named `prefix` + a random suffix.
inline std::unique_ptr<cairn::crawler::S3Client> test_s3_bucket(const std::string& endpoint,
                                                                const std::string& prefix,
                                                                std::string& bucket) {
  cairn::crawler::S3Connection conn;
  conn.endpoint = endpoint;
  conn.region = "us-east-1";
  conn.path_style = true;
  conn.access_key_id = "testing";
  conn.secret_access_key = "testing";
  auto client = std::make_unique<cairn::crawler::S3Client>(conn, cairn::api::make_s3_transport());
  bucket = prefix + random_suffix();
  client->create_bucket(bucket);
  return client;
}

inline std::string random_suffix() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  std::ostringstream out;
  out << std::hex << gen();
  return out.str();
}

class CrawlerHarness : public NodeFixture {
 protected:
  CrawlerHarness() : NodeFixture("cairn_crawl", "cairn-crawl-") {}

  void SetUp() override {
    NodeFixture::SetUp();
    if (IsSkipped()) return;
    lake_ = fs::path(dir_) / "lake";
    fs::create_directories(lake_);
    start_node();
    const Reply r = admin_->call("POST", "/v1/databases", json{{"name", kDb}});
    ASSERT_EQ(r.status, 201) << r;
  }

  cairn::test::CairndOptions options(const std::string& sub, const Strings& extra) const {
    auto o = node_options(dir_ + "/" + sub, database_url_);
    o.args.insert(o.args.end(), extra.begin(), extra.end());
    return o;
  }

  /// (Re)starts node A with `extra` arguments; clients then talk to the new process.
  void start_node(const Strings& extra = {}) {
    clients_.clear();
    admin_.reset();
    node_.reset();
    node_ = std::make_unique<Node>(options("a", extra));
    reconnect();
  }

  void grant(const json& request) {
    const Reply r = admin_->call("POST", "/v1/permissions/grant", request);
    ASSERT_EQ(r.status, 200) << r;
  }

  void create_crawler(const json& body) {
    const Reply r = admin_->call("POST", "/v1/crawlers", body);
    ASSERT_EQ(r.status, 201) << r;
  }

  /// Polls the run until it is no longer RUNNING (up to 60 s); returns its last state.
  json wait_run(Client& c, const std::string& crawler, std::int64_t id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    json run;
    while (std::chrono::steady_clock::now() < deadline) {
      const Reply r = c.call("GET", "/v1/crawlers/" + seg(crawler) + "/runs/" + std::to_string(id));
      EXPECT_EQ(r.status, 200) << r;
      run = r.js();
      if (r.status != 200 || run.value("status", "") != "RUNNING") return run;
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
    }
    ADD_FAILURE() << "run " << id << " of " << crawler << " did not end within 60 s: " << run.dump();
    return run;
  }

  /// Starts a run (POST …/start with `body`), expects 202, and waits for its end.
  json crawl(const std::string& crawler, const std::string& body = {}, Client* as = nullptr) {
    Client& c = as ? *as : *admin_;
    const Reply r = c.call("POST", "/v1/crawlers/" + seg(crawler) + "/start", body);
    EXPECT_EQ(r.status, 202) << r;
    if (r.status != 202) return json();
    EXPECT_EQ(r.js().value("status", ""), "RUNNING") << r;
    return wait_run(c, crawler, r.js().value("id", std::int64_t{0}));
  }

  /// Runs the crawler and expects SUCCEEDED.
  json crawl_ok(const std::string& crawler) {
    json run = crawl(crawler);
    EXPECT_EQ(run.value("status", ""), "SUCCEEDED") << run.dump(1);
    return run;
  }

  /// The runs of a crawler, newest first.
  std::vector<json> runs(const std::string& crawler, Client* as = nullptr) {
    const Reply r = (as ? *as : *admin_).call("GET", "/v1/crawlers/" + seg(crawler) + "/runs");
    EXPECT_EQ(r.status, 200) << r;
    std::vector<json> out;
    const json j = r.js();
    if (j.contains("runs"))
      for (const auto& run : j["runs"]) out.push_back(run);
    return out;
  }

  /// Every table of the test database, by name.
  std::map<std::string, json> tables() {
    std::map<std::string, json> out;
    const Reply r = admin_->call("GET", std::string("/v1/databases/") + kDb + "/tables?max_results=1000");
    EXPECT_EQ(r.status, 200) << r;
    const json j = r.js();
    if (j.contains("tables"))
      for (const auto& t : j["tables"]) out[t.value("name", "")] = t;
    return out;
  }

  /// One table (null when it does not exist).
  json table(const std::string& name) {
    const Reply r = admin_->call("GET", std::string("/v1/databases/") + kDb + "/tables/" + seg(name));
    if (r.status == 404) return json();
    EXPECT_EQ(r.status, 200) << r;
    return r.js();
  }

  /// The partitions of a table, by values.
  std::map<Strings, json> partitions(const std::string& name) {
    std::map<Strings, json> out;
    const Reply r = admin_->call(
        "GET", std::string("/v1/databases/") + kDb + "/tables/" + seg(name) + "/partitions?max_results=1000");
    EXPECT_EQ(r.status, 200) << r;
    const json j = r.js();
    if (j.contains("partitions"))
      for (const auto& p : j["partitions"]) out[p["values"].get<Strings>()] = p;
    return out;
  }

  /// name → version_id of every table.
  std::map<std::string, std::int64_t> versions() {
    std::map<std::string, std::int64_t> out;
    for (const auto& [name, t] : tables()) out[name] = t.value("version_id", std::int64_t{0});
    return out;
  }

  /// Sets the crawler's next scheduled time in the store itself (as if time had passed).
  void move_next_run(const std::string& crawler, std::int64_t when_ms) {
    auto store = open_store_of(*node_);
    const auto record = store->get_crawler(crawler);
    ASSERT_TRUE(record && record->next_run);
    ASSERT_TRUE(store->claim_crawler_schedule(crawler, *record->next_run, when_ms));
  }

  /// The runs of `crawler` once there is one (up to 20 s; none after that).
  std::vector<json> first_runs(const std::string& crawler) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::vector<json> seen;
    while (std::chrono::steady_clock::now() < deadline && seen.empty()) {
      seen = runs(crawler);
      if (seen.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return seen;
  }

  /// Opens the node's store directly (SQLite: its data dir, which no running node may use; PostgreSQL: the
  /// test database).
  std::unique_ptr<cairn::catalog::Store> open_store_of(const Node& node) const {
    return cairn::catalog::open_store(node.data_dir(), database_url_, 2);
  }

  std::string local(const std::string& rel = {}) const {
    return rel.empty() ? lake_.string() : (lake_ / rel).string();
  }

  fs::path lake_;
};

}  // namespace cairn::crawl_test
