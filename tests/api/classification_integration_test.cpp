// End-to-end tests of PII classification (issue 5) against real cairnd processes over HTTP with SigV4: files
// are crawled, their values sampled, verdicts recorded and turned into tags, and a tag policy hides a column
// the moment it is tagged sensitivity=high. Settings, custom entity types, steward review (accept, reject,
// reopen when the values change materially), `classify` on demand, history, and what an unprivileged caller
// gets. Every test runs on SQLite, and on PostgreSQL when CAIRN_TEST_DATABASE_URL is set. Negative cases
// first.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "api/crawler_harness.h"
#include "api/governance_harness.h"
#include "cairn/api/s3_transport.h"
#include "cairn/crawler/s3_client.h"

namespace {

using namespace cairn::gov_test;    // NOLINT(google-build-using-namespace): the harness of these tests only
using namespace cairn::crawl_test;  // NOLINT(google-build-using-namespace): likewise

/// A German IBAN with valid check digits (ISO 13616 mod-97) for a bank code and account number.
std::string german_iban(int n) {
  char bban[19];
  std::snprintf(bban, sizeof bban, "37040044%010d", 532013000 + n * 7919);
  // Rearranged: BBAN, then "DE00" as digits (D=13, E=14).
  const std::string digits = std::string(bban) + "131400";
  int mod = 0;
  for (const char c : digits) mod = (mod * 10 + (c - '0')) % 97;
  const int check = 98 - mod;  // 2..98
  return std::string("DE") + (check < 10 ? "0" : "") + std::to_string(check) + bban;
}

/// `rows` customers: id, email, iban, city (a CSV with a header).
std::string customers_csv(int rows, int first = 0, const std::string& mail_domain = "web.de") {
  static const char* const kCities[] = {"berlin", "paris", "rome", "madrid", "vienna", "amsterdam", "lyon"};
  std::string out = "id,email,iban,city\n";
  for (int i = first; i < first + rows; ++i) {
    out += std::to_string(i + 1) + ",anna.schmidt" + std::to_string(i) + "@" + mail_domain + "," +
           german_iban(i) + "," + kCities[i % 7] + "\n";
  }
  return out;
}

class ClassificationIntegration : public CrawlerHarness {
 protected:
  static std::string table_path(const std::string& table) {
    return std::string("/v1/databases/") + kDb + "/tables/" + seg(table);
  }

  /// The verdicts of a table as `who` sees them: "column:ENTITY" → verdict.
  std::map<std::string, json> verdicts(const std::string& table, Client* who = nullptr) {
    const Reply r = (who ? *who : *admin_).call("GET", table_path(table) + "/classifications");
    EXPECT_EQ(r.status, 200) << r;
    std::map<std::string, json> out;
    for (const auto& v : r.js().value("classifications", json::array()))
      out[v.value("column", "") + ":" + v.value("entity", "")] = v;
    return out;
  }

  /// The explicit tags of one column ("key" → "value").
  std::map<std::string, std::string> column_tags(const std::string& table, const std::string& column) {
    const Reply r = admin_->call("GET", table_path(table) + "/columns/" + seg(column) + "/tags");
    EXPECT_EQ(r.status, 200) << r;
    std::map<std::string, std::string> out;
    for (const auto& t : r.js().value("tags", json::array()))
      if (t.value("source", "") == "column" && !t.value("inherited", true))
        out[t.value("key", "")] = t.value("value", "");
    return out;
  }

  /// Crawls `lake/customers` with crawler "c" (created on the first call).
  void crawl_customers() {
    if (!crawler_created_) {
      create_crawler(crawler_body("c", {local()}));
      crawler_created_ = true;
    }
    crawl_ok("c");
  }

  /// An analyst who may SELECT tables (and columns) tagged sensitivity=low; the database is low.
  Client& analyst() {
    const Reply k =
        admin_->call("POST", "/v1/tags", json{{"key", "sensitivity"}, {"values", {"low", "high"}}});
    EXPECT_EQ(k.status, 201) << k;
    const Reply a = admin_->call("PUT", std::string("/v1/databases/") + kDb + "/tags",
                                 json{{"tags", {{"sensitivity", "low"}}}});
    EXPECT_EQ(a.status, 200) << a;
    Client& ana = create_user("ana");
    grant(grant_request("user:ana", tag_policy_resource("TABLE", "sensitivity", {"low"}), {"SELECT"}));
    return ana;
  }

  bool crawler_created_ = false;
};

// ---- 1. Bad input -----------------------------------------------------------------------------------------

TEST_P(ClassificationIntegration, BadSettingsEntityTypesAndDecisionsAreRefusedNamingTheField) {
  expect_error(admin_->call("PUT", "/v1/classification/settings", json{{"mode", "sometimes"}}), 400,
               "InvalidArgument", "mode");
  expect_error(admin_->call("PUT", "/v1/classification/settings", json{{"sample_size", 0}}), 400,
               "InvalidArgument", "sample_size");
  expect_error(admin_->call("PUT", "/v1/classification/settings", json{{"max_files", "many"}}), 400,
               "InvalidArgument", "max_files");
  expect_error(
      admin_->call("PUT", "/v1/classification/settings", json{{"tags", {{"EMAIL", {{"pii", "Bad!"}}}}}}), 400,
      "InvalidArgument", "tags.EMAIL.pii");
  expect_error(admin_->call("PUT", "/v1/classification/settings", json{{"colour", "blue"}}), 400,
               "InvalidArgument", "colour");
  expect_error(admin_->call("PUT", "/v1/classification/settings", std::string("{not json")), 400,
               "InvalidArgument");
  expect_error(admin_->call("PUT", "/v1/classification/settings", json{{"expected_version", 7}}), 409,
               "VersionConflict");

  expect_error(admin_->call("POST", "/v1/entity-types", json{{"name", "EMP"}, {"pattern", "EMP-("}}), 400,
               "InvalidArgument", "pattern");
  expect_error(admin_->call("POST", "/v1/entity-types", json{{"name", "EMAIL"}, {"pattern", "x+"}}), 400,
               "InvalidArgument", "name");
  expect_error(admin_->call("POST", "/v1/entity-types", json{{"name", "bad name"}, {"pattern", "x+"}}), 400,
               "InvalidArgument", "name");
  expect_error(admin_->call("POST", "/v1/entity-types",
                            json{{"name", "EMP"}, {"pattern", "x+"}, {"context_words", {1, 2}}}),
               400, "InvalidArgument");
  expect_error(admin_->call("POST", "/v1/entity-types", json{{"pattern", "x+"}}), 400, "InvalidArgument",
               "name");
  expect_error(admin_->call("GET", "/v1/entity-types/NOPE"), 404, "NotFound");
  expect_error(admin_->call("DELETE", "/v1/entity-types/NOPE"), 404, "NotFound");

  expect_error(admin_->call("GET", "/v1/classifications?status=maybe"), 400, "InvalidArgument", "status");
  expect_error(admin_->call("GET", "/v1/classifications?table=t"), 400, "InvalidArgument", "table");
  expect_error(admin_->call("POST", table_path("nope") + "/classifications"), 404, "NotFound");
  expect_error(admin_->call("POST", table_path("nope") + "/classifications/email/EMAIL/accept"), 404,
               "NotFound");

  write_file(lake_ / "customers" / "part-0.csv", customers_csv(30));
  crawl_customers();
  expect_error(admin_->call("POST", table_path("customers") + "/classifications/city/EMAIL/accept"), 404,
               "NotFound");
  expect_error(admin_->call("POST", table_path("customers") + "/classifications/email/EMAIL/accept",
                            json{{"expected_version", 99}}),
               409, "VersionConflict", "expected_version");
  expect_error(admin_->call("POST", table_path("customers") + "/classifications/email/EMAIL/accept",
                            json{{"because", "yes"}}),
               400, "InvalidArgument", "because");
  expect_error(admin_->call("POST", table_path("customers") + "/classifications/email/EMAIL/approve"), 404,
               "NotFound");
  // Nothing was lost: the verdict is still as the crawl made it.
  EXPECT_EQ(verdicts("customers")["email:EMAIL"].value("status", ""), "applied");
}

// ---- 2. What an unprivileged caller gets ------------------------------------------------------------------

TEST_P(ClassificationIntegration, UnprivilegedCallersSeeOnlyVerdictsOfColumnsTheyMaySeeAndCannotDecide) {
  write_file(lake_ / "customers" / "part-0.csv", customers_csv(30));
  crawl_customers();
  ASSERT_EQ(verdicts("customers").size(), 2u);

  Client& nobody = create_user("nobody");
  const Reply all = nobody.call("GET", "/v1/classifications");
  ASSERT_EQ(all.status, 200) << all;
  EXPECT_EQ(all.js()["classifications"], json::array()) << all;
  expect_error(nobody.call("GET", table_path("customers") + "/classifications"), 404, "NotFound");
  expect_error(nobody.call("GET", table_path("customers") + "/classification-history"), 404, "NotFound");
  expect_error(nobody.call("POST", table_path("customers") + "/classifications"), 404, "NotFound");
  expect_error(nobody.call("POST", table_path("customers") + "/classifications/email/EMAIL/reject"), 404,
               "NotFound");
  expect_error(nobody.call("PUT", "/v1/classification/settings", json{{"mode", "review"}}), 403,
               "AccessDenied");
  expect_error(nobody.call("POST", "/v1/entity-types", json{{"name", "EMP"}, {"pattern", "EMP-[0-9]+"}}), 403,
               "AccessDenied");

  // SELECT on id and email only: the email verdict shows (with its masked example), the IBAN one does not,
  // and deciding still needs the right to assign tags.
  grant(grant_request("user:nobody",
                      json{{"kind", "TABLE_WITH_COLUMNS"},
                           {"database", kDb},
                           {"table", "customers"},
                           {"columns", {"id", "email"}}},
                      {"SELECT"}));
  const auto seen = verdicts("customers", &nobody);
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_TRUE(seen.contains("email:EMAIL"));
  EXPECT_FALSE(seen.at("email:EMAIL").value("masked_example", "").empty());
  EXPECT_EQ(seen.at("email:EMAIL").value("masked_example", "").find("anna.schmidt"), std::string::npos)
      << "the example must be masked";
  const Reply listed = nobody.call("GET", "/v1/classifications");
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(listed.js()["classifications"].size(), 1u) << listed;
  expect_error(nobody.call("POST", table_path("customers") + "/classifications/email/EMAIL/reject"), 403,
               "AccessDenied");
  expect_error(nobody.call("POST", table_path("customers") + "/classifications"), 403, "AccessDenied");
  EXPECT_EQ(verdicts("customers")["email:EMAIL"].value("status", ""), "applied");
}

// ---- 3. From files to access
// -------------------------------------------------------------------------------

TEST_P(ClassificationIntegration, ACrawlTagsPiiColumnsAndATagPolicyHidesThemAtOnce) {
  Client& ana = analyst();
  write_file(lake_ / "customers" / "part-0.csv", customers_csv(40));
  crawl_customers();

  // Verdicts: EMAIL and IBAN, applied (mode auto), with figures and a masked example; city and id: nothing.
  auto v = verdicts("customers");
  ASSERT_EQ(v.size(), 2u) << json(v).dump(1);
  for (const char* key : {"email:EMAIL", "iban:IBAN"}) {
    ASSERT_TRUE(v.contains(key)) << key;
    EXPECT_EQ(v[key].value("status", ""), "applied") << v[key];
    EXPECT_EQ(v[key].value("sample_size", 0), 40) << v[key];
    EXPECT_EQ(v[key].value("matched", 0), 40) << v[key];
    EXPECT_GE(v[key].value("confidence", 0.0), 0.9) << v[key];
    EXPECT_EQ(v[key].value("source", ""), "crawler:c") << v[key];
    EXPECT_EQ(v[key].dump().find("anna.schmidt"), std::string::npos) << "raw values are never returned";
  }
  EXPECT_EQ(column_tags("customers", "email"),
            (std::map<std::string, std::string>{{"pii", "email"}, {"sensitivity", "high"}}));
  EXPECT_EQ(column_tags("customers", "iban"),
            (std::map<std::string, std::string>{{"pii", "iban"}, {"sensitivity", "high"}}));

  // The analyst granted SELECT on sensitivity=low sees the table without its PII columns, at once.
  const Reply got = ana.call("GET", table_path("customers"));
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(column_names(got.js()), (Strings{"id", "city"})) << got;
  const Reply access = ana.call("GET", table_path("customers") + "/access");
  ASSERT_EQ(access.status, 200) << access;
  EXPECT_EQ(access_column_names(access.js()), (Strings{"id", "city"})) << access;
  EXPECT_FALSE(access.mentions("iban")) << access;

  // A steward rejects the IBAN verdict: its tags go, and the analyst sees the column again.
  const Reply rejected = admin_->call("POST", table_path("customers") + "/classifications/iban/IBAN/reject");
  ASSERT_EQ(rejected.status, 200) << rejected;
  EXPECT_EQ(rejected.js().value("status", ""), "rejected");
  EXPECT_EQ(rejected.js().value("decided_by", ""), arn("user", "admin"));
  EXPECT_TRUE(column_tags("customers", "iban").empty());
  EXPECT_EQ(column_names(ana.call("GET", table_path("customers")).js()), (Strings{"id", "iban", "city"}));

  // A re-crawl over more rows of the same kind: the rejection stands, nothing is re-tagged.
  write_file(lake_ / "customers" / "part-1.csv", customers_csv(5, 40));
  crawl_customers();
  v = verdicts("customers");
  EXPECT_EQ(v["iban:IBAN"].value("status", ""), "rejected");
  EXPECT_EQ(v["email:EMAIL"].value("status", ""), "applied");
  EXPECT_TRUE(column_tags("customers", "iban").empty());

  // History: newest first, every decision with its actor; the steward's rejection is there.
  const Reply history = admin_->call("GET", table_path("customers") + "/classification-history");
  ASSERT_EQ(history.status, 200) << history;
  std::vector<std::string> events;
  const json history_body = history.js();
  for (const auto& e : history_body["events"])
    events.push_back(e.value("column", "") + ":" + e.value("event", "") + ":" + e.value("actor", ""));
  EXPECT_NE(std::find(events.begin(), events.end(), "iban:rejected:" + arn("user", "admin")), events.end())
      << history;
  EXPECT_NE(std::find(events.begin(), events.end(), "email:applied:crawler:c"), events.end()) << history;

  // Every change is in the audit log.
  const Reply audit = admin_->call(
      "GET", "/v1/audit?" + query({{"resource", std::string("column/") + kDb + "/customers/iban"}}));
  ASSERT_EQ(audit.status, 200) << audit;
  EXPECT_TRUE(audit.mentions("RejectClassification")) << audit;
}

TEST_P(ClassificationIntegration, ReviewModeRecommendsAndAStewardDecidesUntilTheValuesChangeMaterially) {
  const Reply put =
      admin_->call("PUT", "/v1/classification/settings", json{{"mode", "review"}, {"expected_version", 0}});
  ASSERT_EQ(put.status, 200) << put;
  EXPECT_EQ(put.js().value("version", 0), 1);
  Client& ana = analyst();
  write_file(lake_ / "customers" / "part-0.csv", customers_csv(30));
  crawl_customers();

  auto v = verdicts("customers");
  EXPECT_EQ(v["email:EMAIL"].value("status", ""), "recommended");
  EXPECT_EQ(v["iban:IBAN"].value("status", ""), "recommended");
  EXPECT_TRUE(column_tags("customers", "email").empty()) << "recommendations assign nothing";
  EXPECT_EQ(column_names(ana.call("GET", table_path("customers")).js()),
            (Strings{"id", "email", "iban", "city"}));
  const Reply pending = admin_->call("GET", "/v1/classifications?" + query({{"status", "recommended"}}));
  EXPECT_EQ(pending.js()["classifications"].size(), 2u) << pending;

  // Accept email: tagged, hidden from the analyst at once. Reject IBAN.
  const Reply accepted = admin_->call("POST", table_path("customers") + "/classifications/email/email/accept",
                                      json{{"expected_version", v["email:EMAIL"].value("version", 0)}});
  ASSERT_EQ(accepted.status, 200) << accepted;
  EXPECT_EQ(accepted.js().value("status", ""), "accepted");
  EXPECT_EQ(column_tags("customers", "email"),
            (std::map<std::string, std::string>{{"pii", "email"}, {"sensitivity", "high"}}));
  EXPECT_EQ(column_names(ana.call("GET", table_path("customers")).js()), (Strings{"id", "iban", "city"}));
  ASSERT_EQ(admin_->call("POST", table_path("customers") + "/classifications/iban/IBAN/reject").status, 200);

  // Unchanged values: a new classification keeps both decisions.
  const Reply again = admin_->call("POST", table_path("customers") + "/classifications");
  ASSERT_EQ(again.status, 200) << again;
  EXPECT_EQ(again.js()["events"], json::array()) << again;
  v = verdicts("customers");
  EXPECT_EQ(v["email:EMAIL"].value("status", ""), "accepted");
  EXPECT_EQ(v["iban:IBAN"].value("status", ""), "rejected");

  // New values (other accounts, other people): the rejected IBAN verdict is reopened as a recommendation;
  // the accepted one stays accepted.
  write_file(lake_ / "customers" / "part-0.csv", customers_csv(30, 1000, "gmx.net"));
  crawl_customers();
  v = verdicts("customers");
  EXPECT_EQ(v["iban:IBAN"].value("status", ""), "recommended");
  EXPECT_EQ(v["email:EMAIL"].value("status", ""), "accepted");
  EXPECT_TRUE(v["iban:IBAN"].value("decided_by", "").empty());
}

TEST_P(ClassificationIntegration, CustomEntityTypesSettingsAndClassifyOnDemand) {
  // Crawls do not classify while classify_on_crawl is off; `classify` does it on demand.
  ASSERT_EQ(admin_
                ->call("PUT", "/v1/classification/settings",
                       json{{"classify_on_crawl", false},
                            {"tags",
                             {{"*", {{"pii", "{entity}"}, {"sensitivity", "high"}}},
                              {"EMPLOYEE_ID", {{"pii", "staff"}}}}}})
                .status,
            200);
  const Reply created = admin_->call(
      "POST", "/v1/entity-types",
      json{{"name", "EMPLOYEE_ID"}, {"pattern", "EMP-[0-9]{6}"}, {"context_words", {"employee", "staff"}}});
  ASSERT_EQ(created.status, 201) << created;
  EXPECT_EQ(created.js().value("created_by", ""), arn("user", "admin"));
  expect_error(admin_->call("POST", "/v1/entity-types", json{{"name", "EMPLOYEE_ID"}, {"pattern", "x"}}), 409,
               "AlreadyExists");
  const Reply types = admin_->call("GET", "/v1/entity-types");
  ASSERT_EQ(types.js()["entity_types"].size(), 1u) << types;

  std::string csv = "employee_id,code,email\n";
  for (int i = 0; i < 30; ++i)
    csv += "EMP-" + std::to_string(100000 + i * 37) + ",EMP-" + std::to_string(200000 + i) + ",a" +
           std::to_string(i) + "@web.de\n";
  write_file(lake_ / "staff" / "staff.csv", csv);
  crawl_customers();
  EXPECT_TRUE(verdicts("staff").empty()) << "classify_on_crawl is off";

  const Reply classified = admin_->call("POST", table_path("staff") + "/classifications");
  ASSERT_EQ(classified.status, 200) << classified;
  EXPECT_EQ(classified.js().value("files_read", 0), 1) << classified;
  const auto v = verdicts("staff");
  ASSERT_TRUE(v.contains("employee_id:EMPLOYEE_ID")) << json(v).dump(1);
  EXPECT_FALSE(v.contains("code:EMPLOYEE_ID")) << "context words are required in the column name";
  EXPECT_TRUE(v.contains("email:EMAIL"));
  EXPECT_EQ(v.at("employee_id:EMPLOYEE_ID").value("source", ""), "classify:" + arn("user", "admin"));
  EXPECT_EQ(column_tags("staff", "employee_id"), (std::map<std::string, std::string>{{"pii", "staff"}}));

  // Deleting the type: the next classification clears its (applied) verdict and the tag it put there.
  ASSERT_EQ(admin_->call("DELETE", "/v1/entity-types/EMPLOYEE_ID").status, 204);
  ASSERT_EQ(admin_->call("POST", table_path("staff") + "/classifications").status, 200);
  EXPECT_FALSE(verdicts("staff").contains("employee_id:EMPLOYEE_ID"));
  EXPECT_TRUE(column_tags("staff", "employee_id").empty());
  const Reply settings = admin_->call("GET", "/v1/classification/settings");
  ASSERT_EQ(settings.status, 200) << settings;
  EXPECT_EQ(settings.js().value("classify_on_crawl", true), false) << settings;
}

TEST_P(ClassificationIntegration, S3TablesAreSampledThroughTheirCrawlersConnection) {
  const std::string endpoint = test_s3_endpoint();
  if (endpoint.empty()) GTEST_SKIP() << kNoS3Endpoint;
  std::string bucket;
  const auto client = test_s3_bucket(endpoint, "cairn-pii-", bucket);
  cairn::crawler::S3Client& s3 = *client;
  s3.put_object(bucket, "lake/customers/part-0.csv", customers_csv(30), "text/csv");
  s3.put_object(bucket, "lake/customers/_SUCCESS", "");
  const Reply created = admin_->call("POST", "/v1/connections",
                                     json{{"name", "moto"},
                                          {"endpoint", endpoint},
                                          {"region", "us-east-1"},
                                          {"path_style", true},
                                          {"access_key_id", "testing"},
                                          {"secret_access_key", "testing"}});
  ASSERT_EQ(created.status, 201) << created;
  create_crawler(
      json{{"name", "s3c"},
           {"database", kDb},
           {"targets", json::array({json{{"path", "s3://" + bucket + "/lake/"}, {"connection", "moto"}}})}});
  crawl_ok("s3c");
  auto v = verdicts("customers");
  ASSERT_TRUE(v.contains("email:EMAIL")) << json(v).dump(1);
  EXPECT_EQ(v["email:EMAIL"].value("sample_size", 0), 30);
  EXPECT_TRUE(v.contains("iban:IBAN"));
  EXPECT_EQ(column_tags("customers", "iban").count("sensitivity"), 1u);

  // On demand too, through the same connection.
  const Reply classified = admin_->call("POST", table_path("customers") + "/classifications");
  ASSERT_EQ(classified.status, 200) << classified;
  EXPECT_EQ(classified.js().value("files_read", 0), 1) << classified;
  EXPECT_EQ(classified.js()["notes"], json::array()) << classified;
}

INSTANTIATE_TEST_SUITE_P(Stores, ClassificationIntegration, cairn::test::store_backends(),
                         cairn::test::backend_test_name);

}  // namespace
