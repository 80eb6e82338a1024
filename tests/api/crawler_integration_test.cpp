// End-to-end tests of crawlers (issue 4) against real cairnd processes over HTTP with SigV4: definitions and
// their validation, authorization, full and incremental crawls of lakes the tests write (CSV with and without
// headers, JSON lines, gzip'd CSV, Hive and non-Hive partitions, Parquet from ../shared/data/parquet-testing
// when present), exclusions, event runs, S3 through moto_server (CAIRN_TEST_S3_ENDPOINT), schedules across a
// restart and across two nodes, and stopping a run. Every test starts its own cairnd on a fresh embedded
// SQLite store, and again on PostgreSQL (a database created for the test) when CAIRN_TEST_DATABASE_URL is
// set. Negative cases first.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/crawler_harness.h"
#include "api/governance_harness.h"
#include "cairn/api/s3_transport.h"
#include "cairn/catalog/store.h"
#include "cairn/crawler/s3_client.h"
#include "crawler/compress_util.h"
#include "support/process.h"
#include "support/store_backends.h"

namespace {

using namespace cairn::gov_test;    // NOLINT(google-build-using-namespace): the harness of these tests only
using namespace cairn::crawl_test;  // NOLINT(google-build-using-namespace): likewise

/// The crawler tests run on both stores.
class CrawlerIntegration : public cairn::crawl_test::CrawlerHarness {};

// ---- 1. Bad input and run-state conflicts ---------------------------------------------------------------

TEST_P(CrawlerIntegration, BadDefinitionsAreRefusedNamingTheField) {
  const std::string root = local();
  auto with = [&](const std::function<void(json&)>& change) {
    json body = crawler_body("c1", {root});
    change(body);
    return admin_->call("POST", "/v1/crawlers", body);
  };
  expect_error(with([](json& b) { b["targets"][0]["path"] = "data/lake"; }), 400, "InvalidArgument",
               "targets[0].path");
  expect_error(with([](json& b) { b["targets"][0]["path"] = "s3://bucket/prefix"; }), 400, "InvalidArgument",
               "targets[0].connection");
  expect_error(with([](json& b) {
                 b["targets"][0]["path"] = "s3://bucket/prefix";
                 b["targets"][0]["connection"] = "nowhere";
               }),
               400, "InvalidArgument", "targets[0].connection");
  expect_error(with([](json& b) { b["schedule"] = "cron(0 12 * * ? *"; }), 400, "InvalidArgument",
               "schedule");
  expect_error(with([](json& b) { b["schedule"] = "rate(0 minutes)"; }), 400, "InvalidArgument", "schedule");
  expect_error(with([](json& b) { b["targets"][0]["exclusions"] = Strings{"[a-"}; }), 400, "InvalidArgument",
               "targets[0].exclusions[0]");
  expect_error(
      with([](json& b) {
        b["recrawl_behavior"] = "CRAWL_NEW_FOLDERS_ONLY";
        b["schema_change_policy"] = {{"update_behavior", "UPDATE_IN_DATABASE"}, {"delete_behavior", "LOG"}};
      }),
      400, "InvalidArgument", "recrawl_behavior");
  expect_error(with([](json& b) { b["colour"] = "blue"; }), 400, "InvalidArgument", "colour");
  expect_error(with([](json& b) { b["targets"][0]["sample_size"] = 250; }), 400, "InvalidArgument",
               "targets[0].sample_size");
  expect_error(with([](json& b) {
                 b["schema_change_policy"] = {{"delete_behavior", "DROP"}};
               }),
               400, "InvalidArgument", "schema_change_policy.delete_behavior");
  expect_error(with([](json& b) { b["database"] = "no_such_db"; }), 404, "NotFound", "database");
  // None of them was created.
  EXPECT_EQ(admin_->call("GET", "/v1/crawlers/c1").status, 404);

  create_crawler(crawler_body("c1", {root}));
  expect_error(admin_->call("POST", "/v1/crawlers", crawler_body("c1", {root})), 409, "AlreadyExists",
               "name");
  // PUT with a stale version, and renaming through PUT.
  json update = crawler_body("c1", {root});
  update["expected_version"] = 7;
  expect_error(admin_->call("PUT", "/v1/crawlers/c1", update), 409, "VersionConflict");
  update = crawler_body("other", {root});
  expect_error(admin_->call("PUT", "/v1/crawlers/c1", update), 400, "InvalidArgument", "name");
  expect_error(admin_->call("GET", "/v1/crawlers/c1/runs/abc"), 400, "InvalidArgument", "run_id");
  expect_error(admin_->call("GET", "/v1/crawlers/c1/runs/99"), 404, "NotFound");
  expect_error(admin_->call("POST", "/v1/crawlers/c1/start", json{{"folders", Strings{"/elsewhere/x"}}}), 400,
               "InvalidArgument", "folders[0]");
  expect_error(admin_->call("POST", "/v1/crawlers/c1/new-objects", json{{"objects", json::array()}}), 400,
               "InvalidArgument", "objects");
  // Not running: stop is Glue's CrawlerNotRunningException (FailedPrecondition → 409).
  expect_error(admin_->call("POST", "/v1/crawlers/c1/stop"), 409, "FailedPrecondition");
  expect_error(admin_->call("POST", "/v1/crawlers/nope/start"), 404, "NotFound");

  // Connections: bad input.
  expect_error(
      admin_->call("POST", "/v1/connections",
                   json{{"name", "s3a"}, {"endpoint", "http://127.0.0.1:1"}, {"access_key_id", "k"}}),
      400, "InvalidArgument", "secret_access_key");
  expect_error(admin_->call("POST", "/v1/connections",
                            json{{"name", "s3a"},
                                 {"endpoint", "https://example.com"},
                                 {"access_key_id", "k"},
                                 {"secret_access_key", "s"}}),
               400, "InvalidArgument", "endpoint");
  expect_error(admin_->call("POST", "/v1/connections", json{{"name", "s3a"}, {"flavour", "x"}}), 400,
               "InvalidArgument", "flavour");
  expect_error(admin_->call("GET", "/v1/connections/none"), 404, "NotFound");
}

TEST_P(CrawlerIntegration, StartWhileRunningConflictsAndStopEndsTheRunStopped) {
  write_many(lake_, 300);  // 3,000 files
  create_crawler(crawler_body("bulk", {local()}));
  const Reply started = admin_->call("POST", "/v1/crawlers/bulk/start");
  ASSERT_EQ(started.status, 202) << started;
  const std::int64_t id = started.js().value("id", std::int64_t{0});
  EXPECT_EQ(started.js().value("trigger", ""), "manual") << started;
  // Glue's CrawlerRunningException: FailedPrecondition, 409.
  expect_error(admin_->call("POST", "/v1/crawlers/bulk/start"), 409, "FailedPrecondition", "name");
  expect_error(admin_->call("DELETE", "/v1/crawlers/bulk"), 409, "FailedPrecondition", "name");
  expect_error(admin_->call("PUT", "/v1/crawlers/bulk", crawler_body("bulk", {local()})), 409,
               "FailedPrecondition", "name");
  const Reply view = admin_->call("GET", "/v1/crawlers/bulk");
  EXPECT_EQ(view.js().value("state", ""), "RUNNING") << view;
  const Reply stop = admin_->call("POST", "/v1/crawlers/bulk/stop");
  ASSERT_EQ(stop.status, 202) << stop;
  EXPECT_EQ(stop.js().value("state", ""), "STOPPING") << stop;
  const json run = wait_run(*admin_, "bulk", id);
  EXPECT_EQ(run.value("status", ""), "STOPPED") << run.dump(1);
  EXPECT_TRUE(run.contains("end_time")) << run.dump(1);
  EXPECT_LT(stat(run, "tables_created"), 300) << run.dump(1);
  EXPECT_EQ(stat(run, "tables_created"), static_cast<std::int64_t>(tables().size())) << run.dump(1);
  const Reply after = admin_->call("GET", "/v1/crawlers/bulk");
  EXPECT_EQ(after.js().value("state", ""), "READY") << after;
  EXPECT_EQ(after.js()["last_run"].value("id", std::int64_t{0}), id) << after;
  expect_error(admin_->call("POST", "/v1/crawlers/bulk/stop"), 409, "FailedPrecondition");
  // READY again: a deletion goes through, with its runs.
  EXPECT_EQ(admin_->call("DELETE", "/v1/crawlers/bulk").status, 204);
  EXPECT_EQ(admin_->call("GET", "/v1/crawlers/bulk/runs").status, 404);
}

TEST_P(CrawlerIntegration, ANodeKilledMidRunLeavesAConsistentCatalogThatTheNextRunCompletes) {
  // Short leases, so that the run of the killed node is taken over soon.
  const Strings lease = {"--crawler-lease-ms", "1000"};
  start_node(lease);
  write_many(lake_, 300, 2);
  create_crawler(crawler_body("crash", {local()}));
  const Reply started = admin_->call("POST", "/v1/crawlers/crash/start");
  ASSERT_EQ(started.status, 202) << started;
  const std::int64_t first = started.js().value("id", std::int64_t{0});
  // Killed once some of the 300 tables are written.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (tables().empty() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(::kill(node_->pid(), SIGKILL), 0);
  node_->stop();  // reaps it
  start_node(lease);
  const std::size_t before = tables().size();
  ASSERT_GT(before, 0u);

  // The dead node's lease runs out: then a new run takes over and the old one is recorded as FAILED.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  Reply again;
  do {
    again = admin_->call("POST", "/v1/crawlers/crash/start");
    if (again.status == 202) break;
    expect_error(again, 409, "FailedPrecondition");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(again.status, 202) << again;
  const json old = wait_run(*admin_, "crash", first);
  ASSERT_NE(old.value("status", ""), "SUCCEEDED") << "the crawl ended before the kill: " << old.dump(1);
  EXPECT_EQ(old.value("status", ""), "FAILED") << old.dump(1);
  EXPECT_FALSE(old.value("error", "").empty()) << old.dump(1);
  const json run = wait_run(*admin_, "crash", again.js().value("id", std::int64_t{0}));
  EXPECT_EQ(run.value("status", ""), "SUCCEEDED") << run.dump(1);
  // The tables written before the kill were kept with their file state (not read again); the rest came now.
  EXPECT_EQ(stat(run, "files_read"), static_cast<std::int64_t>(600 - 2 * before)) << run.dump(1);
  EXPECT_EQ(stat(run, "tables_created"), static_cast<std::int64_t>(300 - before)) << run.dump(1);
  const auto all = tables();
  ASSERT_EQ(all.size(), 300u);
  for (const auto& [name, t] : all) EXPECT_EQ(param(t, "objectCount"), "2") << t.dump(1);
  // Nothing is left to do.
  const json last = crawl_ok("crash");
  EXPECT_EQ(stat(last, "files_read"), 0) << last.dump(1);
  EXPECT_EQ(stat(last, "files_unchanged"), 600);
  EXPECT_EQ(stat(last, "tables_created") + stat(last, "tables_updated"), 0) << last.dump(1);
}

// ---- 2. Authorization
// --------------------------------------------------------------------------------------

TEST_P(CrawlerIntegration, CrawlersAreVisibleAndManageableOnlyWithPermissionsOnTheirDatabase) {
  write_lake(lake_, lake_files(""));
  Client& mallory = create_user("mallory");
  Client& bob = create_user("bob");
  Client& carol = create_user("carol");
  grant(grant_request(arn("user", "bob"), database_resource(kDb), {"CREATE_TABLE"}));
  grant(grant_request(arn("user", "carol"), database_resource(kDb), {"DESCRIBE"}));
  create_crawler(crawler_body("admins", {local("people")}));

  // mallory: no permission on the database. Sees nothing, cannot create, start, stop, change or delete.
  const Reply list = mallory.call("GET", "/v1/crawlers");
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_TRUE(list.js()["crawlers"].empty()) << list;
  expect_error(mallory.call("GET", "/v1/crawlers/admins"), 404, "NotFound");
  expect_error(mallory.call("POST", "/v1/crawlers", crawler_body("mine", {local()})), 403, "AccessDenied");
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/v1/crawlers/admins/start"},
                                                        {"POST", "/v1/crawlers/admins/stop"},
                                                        {"POST", "/v1/crawlers/admins/new-objects"},
                                                        {"GET", "/v1/crawlers/admins/runs"},
                                                        {"GET", "/v1/crawlers/admins/metrics"},
                                                        {"DELETE", "/v1/crawlers/admins"}}) {
    const std::string body =
        path.ends_with("new-objects") ? json{{"objects", Strings{local("people/x.csv")}}}.dump() : "";
    expect_error(mallory.call(method, path, body), 404, "NotFound");
  }
  expect_error(mallory.call("PUT", "/v1/crawlers/admins", crawler_body("admins", {local()})), 404,
               "NotFound");
  // Connections are for administrators only, whatever the database permissions.
  for (Client* c : {&mallory, &bob}) {
    expect_error(c->call("GET", "/v1/connections"), 403, "AccessDenied");
    expect_error(c->call("GET", "/v1/connections/any"), 403, "AccessDenied");
    expect_error(c->call("POST", "/v1/connections",
                         json{{"name", "s3"},
                              {"endpoint", "http://127.0.0.1:1"},
                              {"access_key_id", "k"},
                              {"secret_access_key", "s"}}),
                 403, "AccessDenied");
  }

  // carol: DESCRIBE on the database. Sees crawlers and their runs, cannot manage them.
  const Reply carol_get = carol.call("GET", "/v1/crawlers/admins");
  EXPECT_EQ(carol_get.status, 200) << carol_get;
  expect_error(carol.call("POST", "/v1/crawlers/admins/start"), 403, "AccessDenied");
  expect_error(carol.call("POST", "/v1/crawlers", crawler_body("carols", {local()})), 403, "AccessDenied");
  expect_error(carol.call("DELETE", "/v1/crawlers/admins"), 403, "AccessDenied");

  // bob: CREATE_TABLE on the database. Creates, starts and follows his crawler.
  const Reply created = bob.call("POST", "/v1/crawlers", crawler_body("bobs", {local()}));
  ASSERT_EQ(created.status, 201) << created;
  const json run = crawl("bobs", {}, &bob);
  EXPECT_EQ(run.value("status", ""), "SUCCEEDED") << run.dump(1);
  EXPECT_EQ(runs("bobs", &bob).size(), 1u);
  EXPECT_EQ(bob.call("GET", "/v1/crawlers/bobs/metrics").status, 200);
  const Reply bob_list = bob.call("GET", "/v1/crawlers");
  ASSERT_EQ(bob_list.status, 200) << bob_list;
  std::set<std::string> names;
  const json bob_crawlers = bob_list.js();
  for (const auto& c : bob_crawlers["crawlers"]) names.insert(c.value("name", ""));
  EXPECT_EQ(names, (std::set<std::string>{"admins", "bobs"})) << bob_list;
  const Reply carol_runs = carol.call("GET", "/v1/crawlers/bobs/runs");
  EXPECT_EQ(carol_runs.status, 200) << carol_runs;
  // Listing pages.
  const Reply first_page = admin_->call("GET", "/v1/crawlers?max_results=1");
  const json first_json = first_page.js();
  ASSERT_EQ(first_json["crawlers"].size(), 1u) << first_page;
  EXPECT_EQ(first_json["crawlers"][0].value("name", ""), "admins");
  ASSERT_FALSE(first_json.value("next_token", "").empty()) << first_page;
  const Reply second_page = admin_->call(
      "GET", "/v1/crawlers?" + query({{"max_results", "1"}, {"next_token", first_json["next_token"]}}));
  const json second_json = second_page.js();
  ASSERT_EQ(second_json["crawlers"].size(), 1u) << second_page;
  EXPECT_EQ(second_json["crawlers"][0].value("name", ""), "bobs");
  EXPECT_FALSE(second_json.contains("next_token")) << second_page;

  // The crawl created tables; mallory still cannot see any of them, by any route.
  ASSERT_FALSE(table("sales").is_null());
  for (const std::string path :
       {"/v1/databases/lake/tables/sales", "/v1/databases/lake/tables/sales/partitions",
        "/v1/databases/lake/tables/sales/versions", "/v1/databases/lake/tables/people"}) {
    expect_error(mallory.call("GET", path), 404, "NotFound");
  }
  const Reply mallory_tables = mallory.call("GET", "/v1/databases/lake/tables");
  if (mallory_tables.status == 200) {
    EXPECT_TRUE(mallory_tables.js()["tables"].empty()) << mallory_tables;
  } else {
    expect_error(mallory_tables, 404, "NotFound");
  }
  EXPECT_TRUE(mallory.call("GET", "/v1/crawlers").js()["crawlers"].empty());
}

// ---- 3. A full crawl
// ---------------------------------------------------------------------------------------

TEST_P(CrawlerIntegration, FullCrawlInfersTablesColumnsPartitionsAndParameters) {
  const std::string parquet_dir = parquet_testing_dir();
  const auto files = lake_files(parquet_dir);
  write_lake(lake_, files);
  create_crawler(crawler_body("full", {local()}));
  const json run = crawl_ok("full");
  const std::size_t expected_tables = parquet_dir.empty() ? 5 : 6;

  // Run history.
  EXPECT_EQ(run.value("trigger", ""), "manual");
  EXPECT_EQ(stat(run, "files_listed"), static_cast<std::int64_t>(files.size())) << run.dump(1);
  EXPECT_EQ(stat(run, "files_read"), static_cast<std::int64_t>(files.size())) << run.dump(1);
  EXPECT_EQ(stat(run, "files_unchanged"), 0);
  EXPECT_GE(stat(run, "files_failed"), 1) << "broken/bad.parquet: " << run.dump(1);
  EXPECT_EQ(stat(run, "tables_created"), static_cast<std::int64_t>(expected_tables)) << run.dump(1);
  EXPECT_EQ(stat(run, "partitions_added"), 4) << run.dump(1);
  EXPECT_GT(stat(run, "bytes_read"), 0);
  EXPECT_TRUE(run.contains("duration_seconds"));
  const std::vector<json> history = runs("full");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].value("status", ""), "SUCCEEDED");

  const auto all = tables();
  std::set<std::string> names;
  for (const auto& [n, t] : all) names.insert(n);
  std::set<std::string> expected_names{"sales", "events", "people", "noheader", "logs"};
  if (!parquet_dir.empty()) expected_names.insert("pq");
  EXPECT_EQ(names, expected_names) << "the odd JSON file must not split sales; broken/ holds no table";

  // sales: CSV with a header, Hive partitions, _SUCCESS markers and an odd file left out.
  const json sales = table("sales");
  EXPECT_EQ(data_columns(sales), (Strings{"id", "amount", "region"})) << sales.dump(1);
  EXPECT_EQ(column_types(sales), (std::map<std::string, std::string>{
                                     {"id", "int"}, {"amount", "decimal(18,2)"}, {"region", "string"}}));
  Strings keys;
  for (const auto& k : sales["partition_keys"]) {
    keys.push_back(k.value("name", ""));
    EXPECT_EQ(k.value("type", ""), "string");
  }
  EXPECT_EQ(keys, (Strings{"year", "month"}));
  EXPECT_EQ(sales["storage_descriptor"].value("location", ""), "file://" + local("sales"));
  EXPECT_EQ(sales.value("table_type", ""), "EXTERNAL_TABLE");
  EXPECT_EQ(param(sales, "classification"), "csv");
  EXPECT_EQ(param(sales, "compressionType"), "none");
  EXPECT_EQ(param(sales, "delimiter"), ",");
  EXPECT_EQ(param(sales, "skip.header.line.count"), "1");
  EXPECT_EQ(param(sales, "recordCount"), "5");
  EXPECT_EQ(param(sales, "objectCount"), "2");
  EXPECT_EQ(param(sales, "sizeKey"),
            std::to_string(std::string(kSalesJan).size() + std::string(kSalesFeb).size()));
  EXPECT_EQ(param(sales, "UPDATED_BY_CRAWLER"), "full");
  EXPECT_EQ(param(sales, "DEPRECATED_BY_CRAWLER"), "");
  EXPECT_EQ(sales["storage_descriptor"]["serde_info"].value("serialization_library", ""),
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
  const auto sales_parts = partitions("sales");
  ASSERT_EQ(sales_parts.size(), 2u);
  const Strings jan{"2024", "01"}, feb{"2024", "02"};
  ASSERT_TRUE(sales_parts.contains(jan) && sales_parts.contains(feb));
  EXPECT_EQ(sales_parts.at(jan)["storage_descriptor"].value("location", ""),
            "file://" + local("sales/year=2024/month=01"));
  EXPECT_EQ(sales_parts.at(feb)["storage_descriptor"].value("location", ""),
            "file://" + local("sales/year=2024/month=02"));
  EXPECT_EQ(data_columns(sales_parts.at(jan)), (Strings{"id", "amount", "region"}));
  EXPECT_EQ(param(sales_parts.at(jan), "recordCount"), "3");
  EXPECT_EQ(param(sales_parts.at(feb), "objectCount"), "1") << "notes.json and _SUCCESS are not data";

  // events: JSON lines, nested types, non-Hive folders as partition_0, partition_1.
  const json events = table("events");
  EXPECT_EQ(data_columns(events), (Strings{"id", "kind", "user", "tags"})) << events.dump(1);
  const auto event_types = column_types(events);
  EXPECT_TRUE(event_types.at("id") == "int" || event_types.at("id") == "bigint") << event_types.at("id");
  EXPECT_EQ(event_types.at("kind"), "string");
  EXPECT_EQ(event_types.at("user"), "struct<name:string,age:int>");
  EXPECT_EQ(event_types.at("tags"), "array<string>");
  EXPECT_EQ(param(events, "classification"), "json");
  keys.clear();
  for (const auto& k : events["partition_keys"]) keys.push_back(k.value("name", ""));
  EXPECT_EQ(keys, (Strings{"partition_0", "partition_1"}));
  const auto event_parts = partitions("events");
  EXPECT_EQ(event_parts.size(), 2u);
  ASSERT_TRUE(event_parts.contains(jan)) << events.dump(1);
  EXPECT_EQ(event_parts.at(jan)["storage_descriptor"].value("location", ""),
            "file://" + local("events/2024/01"));
  EXPECT_EQ(param(events, "recordCount"), "3");

  // people: every cell is text, yet the first row is a header.
  const json people = table("people");
  EXPECT_EQ(data_columns(people), (Strings{"name", "city"})) << people.dump(1);
  EXPECT_EQ(param(people, "skip.header.line.count"), "1");
  EXPECT_EQ(param(people, "recordCount"), "3");
  EXPECT_TRUE(people["partition_keys"].empty());
  EXPECT_TRUE(partitions("people").empty());

  // noheader: no header, positional names and inferred types.
  const json noheader = table("noheader");
  EXPECT_EQ(column_types(noheader),
            (std::map<std::string, std::string>{{"col0", "int"}, {"col1", "string"}, {"col2", "double"}}))
      << noheader.dump(1);
  EXPECT_EQ(param(noheader, "skip.header.line.count"), "");
  EXPECT_EQ(param(noheader, "recordCount"), "3");

  // logs: gzip'd CSV.
  const json logs = table("logs");
  EXPECT_EQ(param(logs, "compressionType"), "gzip") << logs.dump(1);
  EXPECT_EQ(param(logs, "classification"), "csv");
  EXPECT_EQ(column_types(logs), (std::map<std::string, std::string>{
                                    {"ts", "timestamp"}, {"level", "string"}, {"message", "string"}}));
  EXPECT_EQ(param(logs, "sizeKey"), std::to_string(files.at("logs/part-0.csv.gz").size()));

  // broken: the failure is reported, named.
  bool named = false;
  for (const auto& m : run["stats"]["messages"])
    named = named || m.get<std::string>().find("bad.parquet") != std::string::npos;
  EXPECT_TRUE(named) << run.dump(1);

  if (!parquet_dir.empty()) {
    const json pq = table("pq");
    EXPECT_EQ(param(pq, "classification"), "parquet") << pq.dump(1);
    EXPECT_EQ(param(pq, "compressionType"), "none");
    EXPECT_EQ(param(pq, "recordCount"), "10");
    EXPECT_EQ(param(pq, "objectCount"), "2");
    const auto types = column_types(pq);
    EXPECT_EQ(types.at("id"), "int");
    EXPECT_EQ(types.at("bool_col"), "boolean");
    EXPECT_EQ(types.at("bigint_col"), "bigint");
    EXPECT_EQ(types.at("double_col"), "double");
    EXPECT_EQ(types.at("timestamp_col"), "timestamp");
    EXPECT_EQ(pq["storage_descriptor"]["serde_info"].value("serialization_library", ""),
              "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
  } else {
    std::cerr << "[  NOTE    ] ../shared/data/parquet-testing is absent: the Parquet table is not checked\n";
  }

  // The crawler view and GET metrics.
  const Reply view = admin_->call("GET", "/v1/crawlers/full");
  ASSERT_EQ(view.status, 200) << view;
  EXPECT_EQ(view.js().value("state", ""), "READY");
  EXPECT_EQ(view.js()["last_run"].value("status", ""), "SUCCEEDED");
  const Reply metrics = admin_->call("GET", "/v1/crawlers/full/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics;
  const json m = metrics.js();
  EXPECT_EQ(m.value("crawler_name", ""), "full");
  EXPECT_EQ(m.value("tables_created", -1), static_cast<int>(expected_tables)) << m.dump();
  EXPECT_EQ(m.value("tables_updated", -1), 0);
  EXPECT_EQ(m.value("tables_deleted", -1), 0);
  EXPECT_GE(m.value("last_runtime_seconds", -1.0), 0.0);
  EXPECT_DOUBLE_EQ(m.value("last_runtime_seconds", -1.0), run.value("duration_seconds", -2.0));
  EXPECT_EQ(m.value("time_left_seconds", -1.0), 0.0);
}

// ---- 4. Incremental runs -------------------------------------------------------------------------------

TEST_P(CrawlerIntegration, IncrementalRunsReadOnlyWhatChangedAndApplyTheDeletePolicy) {
  const auto files = lake_files("");
  write_lake(lake_, files);
  json def = crawler_body("inc", {local()});
  create_crawler(def);
  crawl_ok("inc");
  const auto v1 = versions();

  // No change: nothing read, no table touched.
  json run = crawl_ok("inc");
  EXPECT_EQ(stat(run, "files_read"), 0) << run.dump(1);
  EXPECT_EQ(stat(run, "files_unchanged"), static_cast<std::int64_t>(files.size()));
  EXPECT_EQ(stat(run, "tables_created") + stat(run, "tables_updated"), 0);
  EXPECT_EQ(stat(run, "partitions_added"), 0);
  EXPECT_EQ(versions(), v1);

  // One file in a new partition: exactly that file read, one partition added.
  write_file(lake_ / "sales/year=2024/month=03/part-0.csv", "id,amount,region\n6,1.25,east\n");
  run = crawl_ok("inc");
  EXPECT_EQ(stat(run, "files_read"), 1) << run.dump(1);
  EXPECT_EQ(stat(run, "partitions_added"), 1) << run.dump(1);
  EXPECT_EQ(partitions("sales").size(), 3u);
  EXPECT_EQ(param(table("sales"), "recordCount"), "6");

  // A changed file (size and mtime) is read again.
  write_file(lake_ / "people/people.csv", "name,city\nalice,berlin\nbob,paris\ncarol,rome\ndave,oslo\n");
  run = crawl_ok("inc");
  EXPECT_EQ(stat(run, "files_read"), 1) << run.dump(1);
  EXPECT_EQ(param(table("people"), "recordCount"), "4");

  // A new column in a new partition widens the table; older partitions keep their own schema.
  write_file(lake_ / "sales/year=2024/month=04/part-0.csv", "id,amount,region,channel\n7,2.50,west,web\n");
  const std::int64_t sales_version = table("sales").value("version_id", std::int64_t{0});
  run = crawl_ok("inc");
  EXPECT_EQ(stat(run, "files_read"), 1) << run.dump(1);
  EXPECT_EQ(stat(run, "tables_updated"), 1) << run.dump(1);
  const json sales = table("sales");
  EXPECT_EQ(data_columns(sales), (Strings{"id", "amount", "region", "channel"})) << sales.dump(1);
  EXPECT_GT(sales.value("version_id", std::int64_t{0}), sales_version);
  const auto parts = partitions("sales");
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(data_columns(parts.at({"2024", "01"})), (Strings{"id", "amount", "region"}));
  EXPECT_EQ(data_columns(parts.at({"2024", "04"})), (Strings{"id", "amount", "region", "channel"}));

  // Every file of people gone, DEPRECATE_IN_DATABASE (the default): the table is marked.
  fs::remove_all(lake_ / "people");
  run = crawl_ok("inc");
  EXPECT_EQ(stat(run, "files_removed"), 1) << run.dump(1);
  EXPECT_EQ(stat(run, "tables_deprecated"), 1) << run.dump(1);
  const json people = table("people");
  ASSERT_FALSE(people.is_null());
  EXPECT_FALSE(param(people, "DEPRECATED_BY_CRAWLER").empty()) << people.dump(1);
  EXPECT_EQ(admin_->call("GET", "/v1/crawlers/inc/metrics").js().value("tables_deleted", -1), 1);

  // LOG keeps a table whose files are gone, unmarked.
  def["schema_change_policy"] = {{"update_behavior", "UPDATE_IN_DATABASE"}, {"delete_behavior", "LOG"}};
  ASSERT_EQ(admin_->call("PUT", "/v1/crawlers/inc", def).status, 200);
  fs::remove(lake_ / "noheader/data.csv");
  run = crawl_ok("inc");
  EXPECT_EQ(stat(run, "files_removed"), 1) << run.dump(1);
  EXPECT_EQ(stat(run, "tables_deleted") + stat(run, "tables_deprecated"), 0) << run.dump(1);
  const json noheader = table("noheader");
  ASSERT_FALSE(noheader.is_null());
  EXPECT_EQ(param(noheader, "DEPRECATED_BY_CRAWLER"), "") << noheader.dump(1);

  // DELETE_FROM_DATABASE deletes both.
  def["schema_change_policy"] = {{"update_behavior", "UPDATE_IN_DATABASE"},
                                 {"delete_behavior", "DELETE_FROM_DATABASE"}};
  ASSERT_EQ(admin_->call("PUT", "/v1/crawlers/inc", def).status, 200);
  run = crawl_ok("inc");
  EXPECT_EQ(stat(run, "tables_deleted"), 2) << run.dump(1);
  EXPECT_TRUE(table("people").is_null());
  EXPECT_TRUE(table("noheader").is_null());
  EXPECT_FALSE(table("sales").is_null());
  EXPECT_EQ(admin_->call("GET", "/v1/crawlers/inc/metrics").js().value("tables_deleted", -1), 2);
  EXPECT_EQ(runs("inc").size(), 8u);
}

// ---- 5. CRAWL_NEW_FOLDERS_ONLY
// -----------------------------------------------------------------------------

TEST_P(CrawlerIntegration, NewFoldersOnlyReadsNewFoldersAndNotChangedFiles) {
  write_lake(lake_, lake_files(""));
  json def = crawler_body("newonly", {local("sales")});
  def["recrawl_behavior"] = "CRAWL_NEW_FOLDERS_ONLY";
  def["schema_change_policy"] = {{"update_behavior", "LOG"}, {"delete_behavior", "LOG"}};
  create_crawler(def);
  json run = crawl_ok("newonly");
  EXPECT_EQ(stat(run, "tables_created"), 1) << run.dump(1);
  EXPECT_EQ(partitions("sales").size(), 2u);

  // A changed file in a known folder: not listed, not read.
  write_file(lake_ / "sales/year=2024/month=01/part-0.csv", std::string(kSalesJan) + "9,1.00,north\n");
  run = crawl_ok("newonly");
  EXPECT_EQ(stat(run, "files_read"), 0) << run.dump(1);
  EXPECT_EQ(stat(run, "files_listed"), 0) << run.dump(1);

  // A new folder: read, and its partition added (the table itself is left alone: update_behavior LOG).
  write_file(lake_ / "sales/year=2024/month=05/part-0.csv", "id,amount,region\n8,4.50,south\n");
  const std::int64_t version = table("sales").value("version_id", std::int64_t{0});
  run = crawl_ok("newonly");
  EXPECT_EQ(stat(run, "files_read"), 1) << run.dump(1);
  EXPECT_EQ(stat(run, "partitions_added"), 1) << run.dump(1);
  const auto parts = partitions("sales");
  EXPECT_EQ(parts.size(), 3u);
  EXPECT_TRUE(parts.contains(Strings{"2024", "05"}));
  EXPECT_EQ(table("sales").value("version_id", std::int64_t{0}), version);
  // Deleted files are not noticed either (LOG): the table stays.
  fs::remove_all(lake_ / "sales/year=2024/month=02");
  run = crawl_ok("newonly");
  EXPECT_EQ(stat(run, "files_read"), 0) << run.dump(1);
  EXPECT_EQ(partitions("sales").size(), 3u);
}

// ---- 6. Exclusions, table prefix, sample size
// --------------------------------------------------------------

TEST_P(CrawlerIntegration, ExclusionsTablePrefixAndSampleSize) {
  const fs::path root = lake_ / "orders";
  for (int d = 1; d <= 2; ++d) {
    for (int i = 0; i < 4; ++i) {
      write_file(root / ("dt=2024-01-0" + std::to_string(d)) / ("part-" + std::to_string(i) + ".csv"),
                 "order_id,total\n" + std::to_string(d * 10 + i) + ",1.50\n" +
                     std::to_string(d * 10 + i + 100) + ",2.25\n");
    }
    // Scratch output in _tmp/ and a backup at the root: excluded, never listed as data.
    write_file(root / ("dt=2024-01-0" + std::to_string(d)) / "_tmp/scratch.csv", "a,b\n1,2\n");
  }
  write_file(root / "orders.bak", "order_id,total\n1,2\n");
  json def = crawler_body("ex", {root.string()});
  def["targets"][0]["exclusions"] = Strings{"**/_tmp/**", "*.bak"};
  def["targets"][0]["sample_size"] = 2;
  def["table_prefix"] = "Raw-";
  create_crawler(def);
  const json run = crawl_ok("ex");
  EXPECT_EQ(stat(run, "files_listed"), 8) << run.dump(1);
  EXPECT_GE(stat(run, "files_excluded"), 1) << run.dump(1);
  EXPECT_EQ(stat(run, "files_read"), 4) << "sample_size 2 per folder: " << run.dump(1);
  const auto all = tables();
  ASSERT_EQ(all.size(), 1u) << run.dump(1);
  const std::string name = all.begin()->first;
  EXPECT_EQ(name, "raw_orders") << "table_prefix, sanitized";
  const json t = table(name);
  EXPECT_EQ(param(t, "objectCount"), "8") << t.dump(1);
  EXPECT_EQ(data_columns(t), (Strings{"order_id", "total"}));
  EXPECT_EQ(partitions(name).size(), 2u);
  // The definition round-trips.
  const Reply view = admin_->call("GET", "/v1/crawlers/ex");
  EXPECT_EQ(view.js()["targets"][0]["exclusions"], json(Strings{"**/_tmp/**", "*.bak"})) << view;
  EXPECT_EQ(view.js()["targets"][0].value("sample_size", 0), 2);
  EXPECT_EQ(view.js().value("table_prefix", ""), "Raw-");
}

// ---- 7. Reported new objects ----------------------------------------------------------------------------

TEST_P(CrawlerIntegration, NewObjectsStartsAnEventRunOverJustTheirFolders) {
  write_lake(lake_, lake_files(""));
  create_crawler(crawler_body("ev", {local()}));
  crawl_ok("ev");
  const std::string file = local("sales/year=2024/month=06/part-0.csv");
  write_file(file, "id,amount,region\n10,5.00,north\n");
  // An object under none of the targets, or an empty one, is named in the request's terms.
  expect_error(admin_->call("POST", "/v1/crawlers/ev/new-objects",
                            json{{"objects", Strings{file, "/somewhere/else/x.csv"}}}),
               400, "InvalidArgument", "objects[1]");
  expect_error(admin_->call("POST", "/v1/crawlers/ev/new-objects", json{{"objects", Strings{""}}}), 400,
               "InvalidArgument", "objects[0]");
  expect_error(admin_->call("POST", "/v1/crawlers/ev/new-objects", json{{"files", Strings{file}}}), 400,
               "InvalidArgument", "files");
  // Reported paths cannot lead out of the target ('..', or an empty segment that would make the folder
  // absolute).
  write_file(fs::path(dir_) / "outside/secret.csv", "user,password\nroot,hunter2\n");
  expect_error(admin_->call("POST", "/v1/crawlers/ev/new-objects",
                            json{{"objects", Strings{file, local() + "/../outside/secret.csv"}}}),
               400, "InvalidArgument", "objects[1]");
  expect_error(admin_->call("POST", "/v1/crawlers/ev/new-objects",
                            json{{"objects", Strings{local() + "/" + dir_ + "/outside/secret.csv"}}}),
               400, "InvalidArgument", "objects[0]");
  expect_error(
      admin_->call("POST", "/v1/crawlers/ev/start", json{{"folders", Strings{local("sales/../..")}}}), 400,
      "InvalidArgument", "folders[0]");
  expect_error(admin_->call("POST", "/v1/crawlers/ev/start", json{{"folders", Strings{local("./sales")}}}),
               400, "InvalidArgument", "folders[0]");
  EXPECT_EQ(runs("ev").size(), 1u);

  const Reply r = admin_->call("POST", "/v1/crawlers/ev/new-objects", json{{"objects", Strings{file}}});
  ASSERT_EQ(r.status, 202) << r;
  EXPECT_EQ(r.js().value("trigger", ""), "event") << r;
  const json run = wait_run(*admin_, "ev", r.js().value("id", std::int64_t{0}));
  EXPECT_EQ(run.value("status", ""), "SUCCEEDED") << run.dump(1);
  EXPECT_EQ(run.value("trigger", ""), "event");
  EXPECT_EQ(stat(run, "files_listed"), 1) << run.dump(1);
  EXPECT_EQ(stat(run, "files_read"), 1) << run.dump(1);
  EXPECT_EQ(stat(run, "partitions_added"), 1) << run.dump(1);
  EXPECT_EQ(stat(run, "tables_created"), 0) << run.dump(1);
  EXPECT_TRUE(partitions("sales").contains(Strings{"2024", "06"}));
  // Every other table is as it was.
  EXPECT_EQ(tables().size(), 5u);
}

// ---- 8. S3 through moto_server ----------------------------------------------------------------------------

TEST_P(CrawlerIntegration, CrawlsS3ThroughAConnectionWhoseSecretNeverShows) {
  const std::string endpoint = test_s3_endpoint();
  if (endpoint.empty()) GTEST_SKIP() << kNoS3Endpoint;
  // moto accepts any credentials; the secret is distinctive so that its absence can be checked.
  const std::string secret = "moto-secret-NEVER-SHOWN-7f3a9c";
  std::string bucket;
  const auto client = test_s3_bucket(endpoint, "cairn-crawl-", bucket);
  cairn::crawler::S3Client& s3 = *client;
  s3.put_object(bucket, "lake/sales/year=2024/month=01/part-0.csv", kSalesJan, "text/csv");
  s3.put_object(bucket, "lake/sales/year=2024/month=02/part-0.csv", kSalesFeb, "text/csv");
  s3.put_object(bucket, "lake/sales/year=2024/month=02/_SUCCESS", "");
  s3.put_object(bucket, "lake/people/people.csv", "name,city\nalice,berlin\nbob,paris\n", "text/csv");

  // No connection yet: the crawler cannot name it.
  json def = {
      {"name", "s3c"},
      {"database", kDb},
      {"targets", json::array({json{{"path", "s3://" + bucket + "/lake/"}, {"connection", "moto"}}})}};
  expect_error(admin_->call("POST", "/v1/crawlers", def), 400, "InvalidArgument", "targets[0].connection");
  const json connection = {{"name", "moto"},     {"endpoint", endpoint},       {"region", "us-east-1"},
                           {"path_style", true}, {"access_key_id", "testing"}, {"secret_access_key", secret}};
  const Reply created = admin_->call("POST", "/v1/connections", connection);
  ASSERT_EQ(created.status, 201) << created;
  expect_error(admin_->call("POST", "/v1/connections", connection), 409, "AlreadyExists");
  create_crawler(def);

  json run = crawl_ok("s3c");
  EXPECT_EQ(stat(run, "tables_created"), 2) << run.dump(1);
  EXPECT_EQ(stat(run, "files_listed"), 4) << run.dump(1);
  EXPECT_EQ(stat(run, "partitions_added"), 2) << run.dump(1);
  const json sales = table("sales");
  ASSERT_FALSE(sales.is_null()) << run.dump(1);
  EXPECT_EQ(sales["storage_descriptor"].value("location", ""), "s3://" + bucket + "/lake/sales/");
  EXPECT_EQ(data_columns(sales), (Strings{"id", "amount", "region"}));
  EXPECT_EQ(param(sales, "recordCount"), "5");
  const auto parts = partitions("sales");
  ASSERT_TRUE(parts.contains(Strings{"2024", "01"}));
  EXPECT_EQ(parts.at({"2024", "01"})["storage_descriptor"].value("location", ""),
            "s3://" + bucket + "/lake/sales/year=2024/month=01/");
  EXPECT_EQ(table("people")["storage_descriptor"].value("location", ""), "s3://" + bucket + "/lake/people/");

  // Unchanged ETags: nothing read.
  run = crawl_ok("s3c");
  EXPECT_EQ(stat(run, "files_read"), 0) << run.dump(1);
  // A reported new object: an event run over its folder.
  s3.put_object(bucket, "lake/sales/year=2024/month=03/part-0.csv", "id,amount,region\n6,1.25,east\n");
  const Reply ev = admin_->call(
      "POST", "/v1/crawlers/s3c/new-objects",
      json{{"objects", Strings{"s3://" + bucket + "/lake/sales/year=2024/month=03/part-0.csv"}}});
  ASSERT_EQ(ev.status, 202) << ev;
  run = wait_run(*admin_, "s3c", ev.js().value("id", std::int64_t{0}));
  EXPECT_EQ(run.value("status", ""), "SUCCEEDED") << run.dump(1);
  EXPECT_EQ(stat(run, "files_read"), 1) << run.dump(1);
  EXPECT_EQ(stat(run, "partitions_added"), 1) << run.dump(1);

  // The secret shows nowhere: not in the connection's answers, not in the crawler's, not in the log.
  std::vector<Reply> answers = {
      created,
      admin_->call("GET", "/v1/connections"),
      admin_->call("GET", "/v1/connections/moto"),
      admin_->call("PUT", "/v1/connections/moto", json{{"endpoint", endpoint}, {"region", "us-east-1"}}),
      admin_->call("GET", "/v1/crawlers/s3c"),
      admin_->call("GET", "/v1/crawlers/s3c/runs")};
  for (const Reply& a : answers) {
    EXPECT_EQ(a.status / 100, 2) << a;
    EXPECT_FALSE(a.mentions(secret)) << a;
    EXPECT_FALSE(a.mentions("secret_access_key")) << a;
  }
  EXPECT_EQ(answers[2].js().value("access_key_id", ""), "testing");
  EXPECT_EQ(answers[2].js().value("endpoint", ""), endpoint);
  // The update without a secret kept it: the crawl still works.
  run = crawl_ok("s3c");
  EXPECT_EQ(stat(run, "files_unchanged"), 5) << run.dump(1);
  // A bucket that does not exist fails the run, saying so, without the secret.
  json missing = def;
  missing["name"] = "s3missing";
  missing["targets"][0]["path"] = "s3://" + bucket + "-missing/lake/";
  create_crawler(missing);
  const json failed = crawl("s3missing");
  EXPECT_EQ(failed.value("status", ""), "FAILED") << failed.dump(1);
  EXPECT_NE(failed.value("error", "").find(bucket + "-missing"), std::string::npos) << failed.dump(1);
  EXPECT_EQ(failed.dump().find(secret), std::string::npos);
  EXPECT_EQ(admin_->call("GET", "/v1/crawlers/s3missing").js().value("state", ""), "READY");
  // A connection in use cannot be deleted.
  expect_error(admin_->call("DELETE", "/v1/connections/moto"), 409, "FailedPrecondition");
  EXPECT_EQ(admin_->call("DELETE", "/v1/crawlers/s3missing").status, 204);
  std::ifstream log(node_->log_path());
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_EQ(text.str().find(secret), std::string::npos) << "the secret is in " << node_->log_path();
  // After the crawler: the connection goes.
  EXPECT_EQ(admin_->call("DELETE", "/v1/crawlers/s3c").status, 204);
  EXPECT_EQ(admin_->call("DELETE", "/v1/connections/moto").status, 204);
  EXPECT_EQ(admin_->call("GET", "/v1/connections/moto").status, 404);
}

// ---- 9. Schedules ----------------------------------------------------------------------------------------

TEST_P(CrawlerIntegration, ARunMissedWhileDownHappensOnceAtStartUp) {
  write_lake(lake_, lake_files(""));
  json def = crawler_body("sched", {local("people")});
  def["schedule"] = "rate(1 day)";
  create_crawler(def);
  const Reply view = admin_->call("GET", "/v1/crawlers/sched");
  ASSERT_TRUE(view.js().contains("next_run")) << view;
  EXPECT_TRUE(runs("sched").empty());

  // Down, and the schedule's time passes meanwhile.
  node_->stop();
  move_next_run("sched", now_ms() - 3600 * 1000);
  start_node({"--crawler-scheduler-interval-ms", "200"});
  const std::vector<json> seen = first_runs("sched");
  ASSERT_EQ(seen.size(), 1u) << "runs at start-up: " << json(seen).dump(1) << "\n"
                             << admin_->call("GET", "/v1/crawlers/sched");
  EXPECT_EQ(seen[0].value("trigger", ""), "startup") << seen[0].dump(1);
  const json run = wait_run(*admin_, "sched", seen[0].value("id", std::int64_t{0}));
  EXPECT_EQ(run.value("status", ""), "SUCCEEDED") << run.dump(1);
  // Several scheduler intervals later: still one run, and the next one is a day away.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(runs("sched").size(), 1u);
  const json after = admin_->call("GET", "/v1/crawlers/sched").js();
  ASSERT_TRUE(after.contains("next_run")) << after.dump(1);
  EXPECT_FALSE(table("people").is_null());
}

TEST_P(CrawlerIntegration, TwoNodesOnOneStoreRunACrawlerOnce) {
  if (!is_postgres()) GTEST_SKIP() << "several nodes share only a PostgreSQL store";
  // Both nodes check schedules every 200 ms and renew leases (seeing stop requests) every 200 ms.
  const Strings fast = {"--crawler-scheduler-interval-ms", "200", "--crawler-lease-ms", "600"};
  start_node(fast);
  write_many(lake_ / "one", 150);
  node_b_ = std::make_unique<Node>(options("b", fast));
  Client admin_b(node_b_->endpoint(), kAdminKey, kAdminSecret);
  create_crawler(crawler_body("both", {local()}));
  write_file(lake_ / "small/data.csv", "name,city\nalice,berlin\n");

  // Started on both nodes at once: one run, the other gets 409.
  auto start_on = [](const std::string& endpoint) {
    Client c(endpoint, kAdminKey, kAdminSecret);
    return c.call("POST", "/v1/crawlers/both/start");
  };
  auto fa = std::async(std::launch::async, start_on, node_->endpoint());
  auto fb = std::async(std::launch::async, start_on, node_b_->endpoint());
  const Reply ra = fa.get(), rb = fb.get();
  std::multiset<int> statuses{ra.status, rb.status};
  EXPECT_EQ(statuses, (std::multiset<int>{202, 409})) << ra << "\n" << rb;
  const Reply& winner = ra.status == 202 ? ra : rb;
  const Reply& loser = ra.status == 202 ? rb : ra;
  expect_error(loser, 409, "FailedPrecondition");
  // The other node sees the run, and can stop it.
  const json run = wait_run(admin_b, "both", winner.js().value("id", std::int64_t{0}));
  EXPECT_EQ(run.value("status", ""), "SUCCEEDED") << run.dump(1);
  EXPECT_EQ(runs("both").size(), 1u);

  // A run on node A stopped through node B: A sees the request with its next lease renewal.
  write_many(lake_ / "two", 300);
  const Reply started = admin_->call("POST", "/v1/crawlers/both/start");
  ASSERT_EQ(started.status, 202) << started;
  const Reply stop = admin_b.call("POST", "/v1/crawlers/both/stop");
  ASSERT_EQ(stop.status, 202) << stop;
  const json stopped = wait_run(*admin_, "both", started.js().value("id", std::int64_t{0}));
  EXPECT_EQ(stopped.value("status", ""), "STOPPED") << stopped.dump(1);
  EXPECT_EQ(admin_b.call("GET", "/v1/crawlers/both").js().value("state", ""), "READY");

  // A schedule due on two nodes runs once.
  json def = crawler_body("due", {local("small")});
  def["schedule"] = "rate(1 day)";
  create_crawler(def);
  move_next_run("due", now_ms() + 300);
  const std::vector<json> seen = first_runs("due");
  ASSERT_EQ(seen.size(), 1u) << "the due schedule ran " << seen.size() << " times: " << json(seen).dump(1)
                             << "\n"
                             << admin_->call("GET", "/v1/crawlers/due");
  EXPECT_EQ(seen[0].value("trigger", ""), "schedule") << seen[0].dump(1);
  wait_run(*admin_, "due", seen[0].value("id", std::int64_t{0}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(runs("due").size(), 1u);
  EXPECT_EQ(runs("due", &admin_b).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Stores, CrawlerIntegration, cairn::test::store_backends(),
                         cairn::test::backend_test_name);

}  // namespace
