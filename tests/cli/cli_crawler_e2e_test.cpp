#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_harness.h"

// cairn crawler … and cairn connection … end to end against a real cairnd on both stores: a small lake on
// local disk crawled with `start --wait`, incremental re-crawls, refusals for bad input and for unprivileged
// users.

namespace cairn::cli_test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class CliCrawler : public CliServerTest {
 protected:
  void SetUp() override {
    CliServerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    lake_ = home_ + "/lake";
    write_lake_file("orders/dt=2026-11-20/part-0.csv", "id,customer,amount\n1,alice,3.5\n2,bob,4\n");
    write_lake_file("orders/dt=2026-11-21/part-0.csv", "id,customer,amount\n3,carl,1.25\n");
    write_lake_file("clicks/c-0.json", "{\"user\":\"alice\",\"ms\":12}\n{\"user\":\"bob\",\"ms\":40}\n");
  }

  void write_lake_file(const std::string& rel, const std::string& content) {
    const std::filesystem::path p = std::filesystem::path(lake_) / rel;
    std::filesystem::create_directories(p.parent_path());
    write_file(p.string(), content);
  }

  std::string lake_;
};

TEST_P(CliCrawler, BadDefinitionsAreRefusedNamingTheField) {
  const std::string db = unique_name("lake");
  ASSERT_EQ(cairn({"database", "create", db}).exit_code, 0);
  RunResult r = cairn({"crawler", "create", unique_name("c"), "--database", db, "--target", "relative/dir"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("targets[0].path"), HasSubstr("InvalidArgument")));
  r = cairn({"crawler", "create", unique_name("c"), "--database", db, "--target", "s3://bucket/x"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("--connection"));
  r = cairn({"crawler", "create", unique_name("c"), "--database", db, "--target", lake_, "--schedule",
             "rate(0 minutes)"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("schedule"));
  r = cairn({"crawler", "create", unique_name("c"), "--database", unique_name("missing"), "--target", lake_});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  r = cairn({"crawler", "get", unique_name("nope")});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  // A connection's secret is never taken from the command line: without the variable, a clear refusal.
  r = cairn_env(
      {"connection", "create", unique_name("m"), "--endpoint", "http://127.0.0.1:9", "--access-key-id",
       "AKIAEXAMPLE", "--secret-from-env", "NO_SUCH_VARIABLE_HERE"},
      {std::string("AWS_ACCESS_KEY_ID=") + kAdminKey, std::string("AWS_SECRET_ACCESS_KEY=") + kAdminSecret});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NO_SUCH_VARIABLE_HERE"));
}

TEST_P(CliCrawler, CreateStartWaitThenRecrawlReadsOnlyWhatChanged) {
  const std::string db = unique_name("lake");
  const std::string name = unique_name("crawl");
  ASSERT_EQ(cairn({"database", "create", db}).exit_code, 0);
  RunResult r =
      cairn({"crawler", "create", name, "--database", db, "--target", lake_, "--schedule", "rate(2 hours)"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Created crawler '" + name + "'"), HasSubstr("Next scheduled run")));

  r = cairn({"crawler", "start", name, "--wait"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("SUCCEEDED"), HasSubstr("Tables created / updated / unchanged:  2 / 0 / 0"),
                    HasSubstr("Partitions added / updated / removed:  2 / 0 / 0")));

  r = cairn({"table", "list", db, "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  std::vector<std::string> tables;
  for (const auto& t : parse_json(r).value("tables", json::array())) tables.push_back(t.value("name", ""));
  EXPECT_THAT(tables, ::testing::UnorderedElementsAre("orders", "clicks"));
  r = cairn({"table", "describe", db + ".orders", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const json orders = parse_json(r);
  EXPECT_EQ(orders["parameters"].value("classification", ""), "csv");
  EXPECT_EQ(orders["parameters"].value("UPDATED_BY_CRAWLER", ""), name);
  ASSERT_EQ(orders["partition_keys"].size(), 1u);
  EXPECT_EQ(orders["partition_keys"][0].value("name", ""), "dt");

  // Nothing changed: nothing is read, no table version moves.
  r = cairn({"crawler", "start", name, "--wait", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  json run = parse_json(r);
  EXPECT_EQ(run["stats"].value("files_read", -1), 0) << r.out;
  EXPECT_EQ(run["stats"].value("files_unchanged", -1), 3) << r.out;
  EXPECT_EQ(run["stats"].value("tables_updated", -1), 0) << r.out;

  // One new partition: exactly one file read, one partition added.
  write_lake_file("orders/dt=2026-11-22/part-0.csv", "id,customer,amount\n4,dora,8\n");
  r = cairn({"crawler", "start", name, "--wait", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  run = parse_json(r);
  EXPECT_EQ(run["stats"].value("files_read", -1), 1) << r.out;
  EXPECT_EQ(run["stats"].value("partitions_added", -1), 1) << r.out;

  r = cairn({"crawler", "runs", name});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("RUN"), HasSubstr("SUCCEEDED"), HasSubstr("manual")));
  r = cairn({"crawler", "list"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr(name), HasSubstr("rate(2 hours)"), HasSubstr("READY")));

  r = cairn({"crawler", "update", name, "--schedule", "", "--table-prefix", "raw_"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = cairn({"crawler", "get", name, "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(parse_json(r).value("schedule", "?"), "");
  EXPECT_EQ(parse_json(r).value("table_prefix", "?"), "raw_");
  EXPECT_FALSE(parse_json(r).contains("next_run"));

  ASSERT_EQ(cairn({"crawler", "delete", name}).exit_code, 0);
  r = cairn({"crawler", "get", name});
  EXPECT_EXIT_CODE(r, 1);
  // The tables stay.
  EXPECT_EQ(cairn({"table", "describe", db + ".orders"}).exit_code, 0);
}

TEST_P(CliCrawler, AFailedRunExitsOneWithItsError) {
  const std::string db = unique_name("lake");
  const std::string name = unique_name("crawl");
  ASSERT_EQ(cairn({"database", "create", db}).exit_code, 0);
  const std::string gone = home_ + "/vanishing";
  std::filesystem::create_directories(gone);
  ASSERT_EQ(cairn({"crawler", "create", name, "--database", db, "--target", gone}).exit_code, 0);
  std::filesystem::remove_all(gone);
  const RunResult r = cairn({"crawler", "start", name, "--wait"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.out, HasSubstr("FAILED"));
  EXPECT_THAT(r.err, AllOf(HasSubstr("failed"), HasSubstr("vanishing")));
}

TEST_P(CliCrawler, UnprivilegedUsersSeeNoCrawlersAndCannotRunThem) {
  const std::string db = unique_name("lake");
  const std::string name = unique_name("crawl");
  const std::string nobody = unique_name("nobody");
  make_user(nobody);
  ASSERT_EQ(cairn({"database", "create", db}).exit_code, 0);
  ASSERT_EQ(cairn({"crawler", "create", name, "--database", db, "--target", lake_}).exit_code, 0);

  RunResult r = as(nobody, {"crawler", "list", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  for (const auto& c : parse_json(r).value("crawlers", json::array())) EXPECT_NE(c.value("name", ""), name);
  r = as(nobody, {"crawler", "get", name});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  r = as(nobody, {"crawler", "start", name});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  r = as(nobody, {"crawler", "create", unique_name("c"), "--database", db, "--target", lake_});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AccessDenied"));
  r = as(nobody, {"connection", "list"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AccessDenied"));

  // DESCRIBE on the database shows the crawler, but running it needs CREATE_TABLE.
  ASSERT_EQ(cairn({"grant", "--principal", "user:" + nobody, "--database", db, "--permissions", "DESCRIBE"})
                .exit_code,
            0);
  r = as(nobody, {"crawler", "get", name});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  r = as(nobody, {"crawler", "start", name});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("AccessDenied"), HasSubstr("CREATE_TABLE")));
  ASSERT_EQ(
      cairn({"grant", "--principal", "user:" + nobody, "--database", db, "--permissions", "CREATE_TABLE"})
          .exit_code,
      0);
  r = as(nobody, {"crawler", "start", name, "--wait"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, HasSubstr("SUCCEEDED"));
}

INSTANTIATE_TEST_SUITE_P(Store, CliCrawler, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace cairn::cli_test
