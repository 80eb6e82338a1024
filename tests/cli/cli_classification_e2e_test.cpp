#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_harness.h"

// cairn pii …, cairn classify and cairn entity-type … end to end against a real cairnd on both stores: a
// small CSV lake with an email column crawled with `crawler start --wait`, then the verdicts reviewed,
// decided, re-classified and traced in history; settings and custom entity types; refusals of bad arguments
// before any request, and what an unprivileged user gets. Negative cases first.

namespace cairn::cli_test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

/// `rows` customers: id, email, city.
std::string customers_csv(int rows) {
  static const char* const kCities[] = {"berlin", "paris", "rome", "madrid", "vienna", "amsterdam", "lyon"};
  std::string out = "id,email,city\n";
  for (int i = 0; i < rows; ++i) {
    out += std::to_string(i + 1) + ",anna.schmidt" + std::to_string(i) + "@web.de," + kCities[i % 7] + "\n";
  }
  return out;
}

class CliClassification : public CliServerTest {
 protected:
  void SetUp() override {
    CliServerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    lake_ = home_ + "/lake";
    write_lake_file("customers/part-0.csv", customers_csv(30));
  }

  void write_lake_file(const std::string& rel, const std::string& content) {
    const std::filesystem::path p = std::filesystem::path(lake_) / rel;
    std::filesystem::create_directories(p.parent_path());
    write_file(p.string(), content);
  }

  /// A new database with the lake crawled into it (table "customers", classified on crawl); its name.
  std::string crawl_lake() {
    const std::string db = unique_name("lake");
    const std::string crawler = unique_name("crawl");
    EXPECT_EQ(cairn({"database", "create", db}).exit_code, 0);
    EXPECT_EQ(cairn({"crawler", "create", crawler, "--database", db, "--target", lake_}).exit_code, 0);
    const RunResult r = cairn({"crawler", "start", crawler, "--wait"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    return db;
  }

  /// The verdicts `pii list --table` shows as JSON: "column:ENTITY" → verdict.
  std::map<std::string, json> verdicts(const std::string& table) {
    const RunResult r = cairn({"pii", "list", "--table", table, "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    std::map<std::string, json> out;
    for (const auto& v : parse_json(r).value("classifications", json::array()))
      out[v.value("column", "") + ":" + v.value("entity", "")] = v;
    return out;
  }

  std::string lake_;
};

// ---- 1. Bad arguments -------------------------------------------------------------------------------------

TEST_P(CliClassification, BadArgumentsAreRefusedBeforeAnyRequest) {
  // No credentials at all: each refusal must come from the argument check, never from a request.
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"pii", "accept", "sales.customers", "EMAIL"}, "expected DB.TABLE.COLUMN, got 'sales.customers'"},
      {{"pii", "reject", "sales..email", "EMAIL"}, "expected DB.TABLE.COLUMN"},
      {{"pii", "reject", "sales.customers.email"}, "ENTITY"},
      {{"pii", "list", "--status", "maybe"}, "--status"},
      {{"pii", "list", "--table", "nodot"}, "expected DB.TABLE, got 'nodot'"},
      {{"pii", "list", "--database", "a", "--table", "b.t"}, "different databases"},
      {{"pii", "history"}, "--table"},
      {{"pii", "history", "--table", "nodot"}, "expected DB.TABLE"},
      {{"pii", "accept", "a.b.c", "EMAIL", "--expected-version", "-1"}, "--expected-version"},
      {{"pii", "settings", "set"}, "nothing to change"},
      {{"pii", "settings", "set", "--mode", "sometimes"}, "--mode"},
      {{"pii", "settings", "set", "--classify-on-crawl", "maybe"}, "--classify-on-crawl"},
      {{"pii", "settings", "set", "--tags", "[1]"}, "--tags: expected a JSON object"},
      {{"pii", "settings", "set", "--tags", "@/no/such/file.json"}, "/no/such/file.json"},
      {{"classify"}, "--table"},
      {{"classify", "--table", "nodot"}, "expected DB.TABLE"},
      {{"entity-type", "create", "EMP"}, "--pattern"},
      {{"entity-type", "get"}, "NAME"},
  };
  for (const auto& c : cases) {
    const RunResult r = cairn_env(c.args, {});
    EXPECT_EXIT_CODE(r, 1);
    EXPECT_THAT(r.err, AllOf(HasSubstr(c.message), Not(HasSubstr("credentials"))))
        << "cairn " << ::testing::PrintToString(c.args) << "\n"
        << show(r);
    EXPECT_EQ(r.out, "") << show(r);
  }
}

TEST_P(CliClassification, ServerRefusalsNameTheFieldAndExitOne) {
  RunResult r = cairn({"entity-type", "create", "EMP", "--pattern", "EMP-("});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("InvalidArgument"), HasSubstr("pattern")));
  r = cairn({"entity-type", "create", "EMAIL", "--pattern", "x+"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("name"));
  r = cairn({"entity-type", "get", "NOPE"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  r = cairn({"entity-type", "delete", "NOPE"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  r = cairn({"pii", "settings", "set", "--sample-size", "0"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("InvalidArgument"), HasSubstr("sample_size")));
  r = cairn({"pii", "settings", "set", "--tags", R"({"EMAIL": {"pii": "Bad!"}})"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("tags.EMAIL.pii"));
  r = cairn({"pii", "settings", "set", "--mode", "auto", "--expected-version", "999"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("VersionConflict"));

  const std::string missing = unique_name("nodb");
  r = cairn({"classify", "--table", missing + ".t"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  r = cairn({"pii", "accept", missing + ".t.email", "EMAIL"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));

  const std::string db = crawl_lake();
  r = cairn({"pii", "accept", db + ".customers.city", "EMAIL"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  r = cairn({"pii", "accept", db + ".customers.email", "EMAIL", "--expected-version", "99"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("VersionConflict"));
  // Nothing was lost: the verdict is still as the crawl made it.
  EXPECT_EQ(verdicts(db + ".customers")["email:EMAIL"].value("status", ""), "applied");
}

// ---- 2. What an unprivileged user gets --------------------------------------------------------------------

TEST_P(CliClassification, UnprivilegedUsersSeeNothingAndCannotDecide) {
  const std::string db = crawl_lake();
  const std::string table = db + ".customers";
  ASSERT_TRUE(verdicts(table).contains("email:EMAIL"));
  const std::string nobody = unique_name("nobody");
  make_user(nobody);

  RunResult r = as(nobody, {"pii", "list"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, HasSubstr("No classifications found."));
  r = as(nobody, {"pii", "list", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(parse_json(r)["classifications"], json::array());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"pii", "list", "--table", table},
        std::vector<std::string>{"pii", "history", "--table", table},
        std::vector<std::string>{"pii", "reject", table + ".email", "EMAIL"},
        std::vector<std::string>{"classify", "--table", table}}) {
    r = as(nobody, args);
    EXPECT_EXIT_CODE(r, 1);
    EXPECT_THAT(r.err, HasSubstr("NotFound")) << ::testing::PrintToString(args);
  }
  r = as(nobody, {"pii", "settings", "set", "--mode", "review"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AccessDenied"));
  r = as(nobody, {"entity-type", "create", "EMP", "--pattern", "EMP-[0-9]+"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AccessDenied"));
  r = as(nobody, {"entity-type", "delete", "EMP"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AccessDenied"));

  // SELECT on the table shows its verdicts, but deciding still needs the right to assign tags.
  ASSERT_EQ(cairn({"grant", "--principal", "user:" + nobody, "--table", table, "--permissions", "SELECT"})
                .exit_code,
            0);
  r = as(nobody, {"pii", "list", "--table", table});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("email"), HasSubstr("EMAIL"), HasSubstr("applied")));
  r = as(nobody, {"pii", "reject", table + ".email", "EMAIL"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AccessDenied"));
  EXPECT_EQ(verdicts(table)["email:EMAIL"].value("status", ""), "applied");
}

// ---- 3. Review, decisions, classify, history --------------------------------------------------------------

TEST_P(CliClassification, CrawlListRejectAcceptClassifyAndHistory) {
  const std::string db = crawl_lake();
  const std::string table = db + ".customers";

  RunResult r = cairn({"pii", "list", "--table", table});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("TABLE"), HasSubstr("MASKED EXAMPLE"), HasSubstr(table),
                           HasSubstr("email"), HasSubstr("EMAIL"), HasSubstr("applied"), HasSubstr("30/30")));
  EXPECT_THAT(r.out, Not(HasSubstr("anna.schmidt"))) << "examples are masked";
  EXPECT_THAT(r.out, Not(HasSubstr("city")));
  auto v = verdicts(table);
  ASSERT_EQ(v.size(), 1u);
  const std::int64_t version = v["email:EMAIL"].value("version", std::int64_t{0});
  r = cairn({"pii", "list", "--database", db, "--status", "accepted"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, HasSubstr("No classifications found."));

  // A steward rejects the verdict: its tags go, and the list shows who decided.
  r = cairn({"tag", "show", "--table", table, "--column", "email"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("pii"), HasSubstr("email"), HasSubstr("sensitivity"), HasSubstr("high")));
  r = cairn({"pii", "reject", table + ".email", "EMAIL", "--expected-version", std::to_string(version)});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Rejected EMAIL on " + table + ".email"), HasSubstr("status rejected")));
  r = cairn({"tag", "show", "--table", table, "--column", "email"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, Not(HasSubstr("high")));
  r = cairn({"pii", "list", "--table", table, "--status", "rejected"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("rejected"), HasSubstr("user/")));
  // A stale version is refused; a fresh accept assigns the tags again.
  r = cairn({"pii", "accept", table + ".email", "EMAIL", "--expected-version", std::to_string(version)});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("VersionConflict"));
  r = cairn({"pii", "accept", table + ".email", "EMAIL"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Accepted EMAIL"), HasSubstr("status accepted")));
  r = cairn({"pii", "accept", table + ".email", "EMAIL", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(parse_json(r).value("status", ""), "accepted");

  // Classifying again reads the file and keeps the steward's decision.
  r = cairn({"classify", "--table", table});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Classified " + table + ": 1 file read."), HasSubstr("Verdicts:"),
                           HasSubstr("accepted")));
  r = cairn({"classify", "--table", table, "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const json classified = parse_json(r);
  EXPECT_EQ(classified.value("files_read", 0), 1);
  ASSERT_EQ(classified["verdicts"].size(), 1u) << r.out;
  EXPECT_EQ(classified["verdicts"][0].value("status", ""), "accepted");

  // History, newest first: the crawl's detection, the rejection and the acceptance.
  r = cairn({"pii", "history", "--table", table});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("EVENT"), HasSubstr("ACTOR"), HasSubstr("rejected"),
                           HasSubstr("accepted"), HasSubstr("crawler:")));
  r = cairn({"pii", "history", "--table", table, "--limit", "1", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(parse_json(r)["events"].size(), 1u) << r.out;
}

// ---- 4. Settings and custom entity types ------------------------------------------------------------------

TEST_P(CliClassification, SettingsAndCustomEntityTypesDriveTheNextClassification) {
  RunResult r = cairn({"pii", "settings", "get"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Mode:"), HasSubstr("auto"), HasSubstr("Sample size:"),
                           HasSubstr("{entity}"), HasSubstr("sensitivity=high")));
  r = cairn({"pii", "settings", "get", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const std::int64_t version = parse_json(r).value("version", std::int64_t{-1});

  r = cairn({"pii", "settings", "set", "--mode", "review", "--sample-size", "500", "--expected-version",
             std::to_string(version)});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("Updated the classification settings"), HasSubstr("review"), HasSubstr("500")));

  r = cairn({"entity-type", "create", "EMPLOYEE_ID", "--pattern", "EMP-[0-9]{6}", "--context-word",
             "employee", "--context-word", "staff"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, HasSubstr("Created entity type 'EMPLOYEE_ID'"));
  r = cairn({"entity-type", "create", "EMPLOYEE_ID", "--pattern", "x"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AlreadyExists"));
  r = cairn({"entity-type", "list"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("EMPLOYEE_ID"), HasSubstr("EMP-[0-9]{6}"), HasSubstr("employee, staff")));
  r = cairn({"entity-type", "get", "EMPLOYEE_ID", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(parse_json(r)["context_words"], json::array({"employee", "staff"}));

  std::string csv = "employee_id,code,email\n";
  for (int i = 0; i < 30; ++i)
    csv += "EMP-" + std::to_string(100000 + i * 37) + ",EMP-" + std::to_string(200000 + i) + ",a" +
           std::to_string(i) + "@web.de\n";
  write_lake_file("staff/staff.csv", csv);
  const std::string db = crawl_lake();
  const std::string staff = db + ".staff";
  // Mode review: recommendations only, for the steward to decide.
  r = cairn({"pii", "list", "--table", staff, "--status", "recommended"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, AllOf(HasSubstr("employee_id"), HasSubstr("EMPLOYEE_ID"), HasSubstr("EMAIL"),
                           HasSubstr("recommended")));
  EXPECT_THAT(r.out, Not(HasSubstr("code ")));
  r = cairn({"tag", "show", "--table", staff, "--column", "email"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, Not(HasSubstr("high")));
  r = cairn({"pii", "accept", staff + ".employee_id", "EMPLOYEE_ID"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, HasSubstr("status accepted"));

  // Deleting the type: the next classification no longer finds it.
  r = cairn({"entity-type", "delete", "EMPLOYEE_ID"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, HasSubstr("Deleted entity type 'EMPLOYEE_ID'"));
  r = cairn({"entity-type", "get", "EMPLOYEE_ID"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));

  r = cairn({"pii", "settings", "set", "--mode", "auto", "--sample-size", "1000", "--classify-on-crawl",
             "true", "--tags", R"({"*": {"pii": "{entity}", "sensitivity": "high"}})", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const json settings = parse_json(r);
  EXPECT_EQ(settings.value("mode", ""), "auto");
  EXPECT_EQ(settings.value("sample_size", 0), 1000);
  EXPECT_EQ(settings.value("version", std::int64_t{0}), version + 2);
}

INSTANTIATE_TEST_SUITE_P(Store, CliClassification, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace cairn::cli_test
