// Starts the real cairnd binary and drives the native REST API over HTTP with SigV4-signed requests.
// Runs on the embedded SQLite store, and again on PostgreSQL when CAIRN_TEST_DATABASE_URL is set (that
// database may be shared between runs: every test uses names of its own and deletes what it created).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/api/http.h"
#include "cairn/api/http_client.h"
#include "cairn/api/http_util.h"
#include "cairn/authz/sigv4.h"
#include "support/cairnd_process.h"
#include "support/signed_requests.h"
#include "support/store_backends.h"

namespace {

using cairn::api::Endpoint;
using cairn::api::HeaderList;
using cairn::api::HttpClient;
using cairn::test::CairndOptions;
using cairn::test::CairndProcess;
using cairn::test::iequals;
using cairn::test::query;
using cairn::test::seg;
using nlohmann::json;

constexpr const char* kRegion = "us-east-1";
constexpr const char* kCatalogId = "000000000000";
/// Master key of the test servers on a shared PostgreSQL database (test data only).
constexpr const char* kSharedMasterKey = "c41e7e57c41e7e57c41e7e57c41e7e57c41e7e57c41e7e57c41e7e57c41e7e57";

/// One HTTP response as the tests inspect it.
struct Reply {
  int status = 0;
  std::string body;
  HeaderList headers;

  /// The first header of that name (case-insensitive), or "".
  std::string header(const std::string& name) const { return cairn::test::header_value(headers, name); }

  /// The body parsed as JSON; a test failure (and null) when it is not JSON.
  json js() const {
    try {
      return json::parse(body);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "response body is not JSON (" << e.what() << "): " << body;
      return json();
    }
  }
};

std::ostream& operator<<(std::ostream& out, const Reply& r) {
  return out << r.status << " " << r.body;
}

/// Signs requests with one access key (SigV4, region us-east-1) and sends them over one keep-alive
/// connection.
class Client {
 public:
  Client(const std::string& endpoint, std::string access_key_id, std::string secret,
         std::string service = "cairn")
      : http_(Endpoint::parse(endpoint)),
        access_key_id_(std::move(access_key_id)),
        secret_(std::move(secret)),
        service_(std::move(service)) {}

  /// Sends `method target` with a signature; `target` is "/path[?raw-query]" (already encoded).
  Reply call(const std::string& method, const std::string& target, const std::string& body = {},
             HeaderList extra = {}) {
    return send(method, target, body, std::move(extra), true);
  }

  Reply call(const std::string& method, const std::string& target, const json& body, HeaderList extra = {}) {
    return call(method, target, body.dump(), std::move(extra));
  }

  /// Sends without any signature.
  Reply unsigned_call(const std::string& method, const std::string& target, const std::string& body = {}) {
    return send(method, target, body, {}, false);
  }

  /// Signs the request, then lets `tamper` change it before it is sent.
  template <class Tamper>
  Reply tampered(const std::string& method, const std::string& target, const std::string& body,
                 Tamper tamper) {
    cairn::authz::SignableRequest req = signable(method, target, body, {});
    cairn::authz::sign_request(req, access_key_id_, secret_, kRegion, service_);
    tamper(req);
    return to_reply(http_.send(req.method, target_of(req), req.headers, req.body));
  }

  const std::string& access_key_id() const { return access_key_id_; }

 private:
  static std::string target_of(const cairn::authz::SignableRequest& req) {
    return req.query.empty() ? req.path : req.path + "?" + req.query;
  }

  cairn::authz::SignableRequest signable(const std::string& method, const std::string& target,
                                         const std::string& body, HeaderList extra) const {
    return cairn::test::signable_request(http_.endpoint(), method, target, body, std::move(extra));
  }

  static Reply to_reply(cairn::api::HttpResponse resp) {
    Reply r;
    r.status = resp.status;
    r.body = std::move(resp.body);
    r.headers = std::move(resp.headers);
    if (!resp.content_type.empty()) r.headers.emplace_back("Content-Type", resp.content_type);
    return r;
  }

  Reply send(const std::string& method, const std::string& target, const std::string& body, HeaderList extra,
             bool sign) {
    cairn::authz::SignableRequest req = signable(method, target, body, std::move(extra));
    if (sign) cairn::authz::sign_request(req, access_key_id_, secret_, kRegion, service_);
    return to_reply(http_.send(req.method, target, req.headers, req.body));
  }

  HttpClient http_;
  std::string access_key_id_;
  std::string secret_;
  std::string service_;
};

/// A lower-case suffix unique to this test run, so a shared PostgreSQL database can hold several runs.
std::string unique_suffix() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  std::ostringstream out;
  out << std::hex << (gen() & 0xffffffffffULL);
  return out.str();
}

bool is_timestamp(const json& j) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return j.is_string() && std::regex_match(j.get<std::string>(), re);
}

/// Removes and checks the read-only timestamps so that the rest can be compared exactly.
json without_times(json j, std::initializer_list<const char*> required) {
  for (const char* key : required) {
    EXPECT_TRUE(j.contains(key) && is_timestamp(j[key])) << key << " missing or malformed in " << j.dump();
  }
  for (const char* key : {"create_time", "update_time", "last_access_time"}) j.erase(key);
  return j;
}

/// Checks the error envelope: status, code, request_id == x-request-id, and (when given) the field.
void expect_error(const Reply& r, int status, const std::string& code, const std::string& field = {}) {
  EXPECT_EQ(r.status, status) << r;
  const json j = r.js();
  ASSERT_TRUE(j.is_object() && j.contains("error")) << r;
  const json& e = j["error"];
  EXPECT_EQ(e.value("code", ""), code) << r;
  EXPECT_TRUE(e.contains("message") && e["message"].is_string() && !e["message"].get<std::string>().empty())
      << r;
  EXPECT_FALSE(r.header("x-request-id").empty()) << "no x-request-id header";
  EXPECT_EQ(e.value("request_id", ""), r.header("x-request-id")) << r;
  if (!field.empty()) {
    EXPECT_EQ(e.value("field", ""), field) << r;
  }
}

json storage(const std::string& location, json columns = json::array()) {
  return {{"columns", std::move(columns)},
          {"location", location},
          {"input_format", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"},
          {"output_format", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"},
          {"compressed", false},
          {"number_of_buckets", -1},
          {"bucket_columns", json::array()},
          {"serde_info",
           {{"name", "parquet"},
            {"serialization_library", "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
            {"parameters", {{"serialization.format", "1"}}}}},
          {"parameters", json::object()},
          {"stored_as_sub_directories", false}};
}

/// [["a","b"],…]: spelled out, as nlohmann's brace initialisation would turn pairs of strings into objects.
json values_list(std::initializer_list<std::vector<std::string>> lists) {
  json out = json::array();
  for (const auto& values : lists) out.push_back(json(values));
  return out;
}

json column(const std::string& name, const std::string& type, const std::string& comment = {}) {
  return {{"name", name}, {"type", type}, {"comment", comment}, {"parameters", json::object()}};
}

class NativeApiIntegration : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      database_url_ = cairn::test::test_database_url();
      if (database_url_.empty()) GTEST_SKIP() << "CAIRN_TEST_DATABASE_URL is not set";
    }
    suffix_ = unique_suffix();
    server_ = start({});
    admin_ =
        std::make_unique<Client>(server_->endpoint(), server_->access_key_id(), server_->secret_access_key());
  }

  void TearDown() override {
    if (!admin_) return;
    for (const auto& db : databases_) admin_->call("DELETE", "/v1/databases/" + seg(db));
    for (const auto& user : users_) admin_->call("DELETE", "/v1/users/" + seg(user));
    admin_.reset();
    server_.reset();
  }

  /// Starts a cairnd on this test's store with extra arguments.
  std::unique_ptr<CairndProcess> start(std::vector<std::string> args) {
    CairndOptions options;
    options.args = std::move(args);
    if (!database_url_.empty()) {
      // Every run shares the database, so every run must use the same master key and admin credentials.
      options.master_key_hex = kSharedMasterKey;
      options.args.push_back("--database-url");
      options.args.push_back(database_url_);
    }
    return std::make_unique<CairndProcess>(options);
  }

  /// `base` made unique to this test (lower-case).
  std::string name(const std::string& base) const { return base + "_" + suffix_; }

  /// Creates a database (remembered for clean-up) and returns its JSON.
  json create_database(const std::string& db, json extra = json::object()) {
    json body = extra;
    body["name"] = db;
    databases_.push_back(db);
    const Reply r = admin_->call("POST", "/v1/databases", body);
    EXPECT_EQ(r.status, 201) << r;
    return r.js();
  }

  /// A partitioned table (year int, month string) with two columns.
  json orders_table(const std::string& table) const {
    return {{"name", table},
            {"description", "orders"},
            {"owner", "etl"},
            {"table_type", "EXTERNAL_TABLE"},
            {"parameters", {{"classification", "parquet"}}},
            {"retention", 0},
            {"partition_keys", json::array({column("year", "int"), column("month", "string")})},
            {"storage_descriptor",
             storage("s3://lake/orders/",
                     json::array({column("id", "bigint", "order id"), column("amount", "decimal(10,2)")}))},
            {"view_original_text", ""},
            {"view_expanded_text", ""}};
  }

  json create_table(const std::string& db, const json& table) {
    const Reply r = admin_->call("POST", "/v1/databases/" + seg(db) + "/tables", table);
    EXPECT_EQ(r.status, 201) << r;
    return r.js();
  }

  json partition(const std::string& year, const std::string& month) const {
    return {{"values", json::array({year, month})},
            {"storage_descriptor", storage("s3://lake/orders/year=" + year + "/month=" + month + "/")},
            {"parameters", json::object()}};
  }

  /// Creates a user with one access key (remembered for clean-up); returns a client signing as that user.
  std::unique_ptr<Client> create_user_with_key(const std::string& user, std::string* key_id) {
    users_.push_back(user);
    const Reply u = admin_->call("POST", "/v1/users", json{{"name", user}, {"description", "test user"}});
    EXPECT_EQ(u.status, 201) << u;
    const Reply k = admin_->call("POST", "/v1/users/" + seg(user) + "/access-keys");
    EXPECT_EQ(k.status, 201) << k;
    const json key = k.js();
    *key_id = key.value("access_key_id", "");
    return std::make_unique<Client>(server_->endpoint(), *key_id, key.value("secret_access_key", ""));
  }

  std::string database_url_;
  std::string suffix_;
  std::unique_ptr<CairndProcess> server_;
  std::unique_ptr<Client> admin_;
  std::vector<std::string> databases_;
  std::vector<std::string> users_;
};

TEST_P(NativeApiIntegration, HealthAndReadinessNeedNoAuthentication) {
  const Reply health = admin_->unsigned_call("GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health;
  EXPECT_EQ(health.js(), json({{"status", "ok"}}));
  EXPECT_FALSE(health.header("x-request-id").empty());

  const Reply ready = admin_->unsigned_call("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready;
  const json j = ready.js();
  EXPECT_EQ(j.value("status", ""), "ready");
  EXPECT_EQ(j.value("store", ""), GetParam());
  EXPECT_TRUE(j.contains("schema_version") && j["schema_version"].is_number_integer() &&
              j["schema_version"] >= 1)
      << ready;
}

TEST_P(NativeApiIntegration, UnsignedOrBadlySignedRequestsGet401) {
  const Reply none = admin_->unsigned_call("GET", "/v1/databases");
  expect_error(none, 401, "Unauthenticated");
  EXPECT_EQ(none.header("WWW-Authenticate"), "AWS4-HMAC-SHA256");

  Client wrong_secret(server_->endpoint(), server_->access_key_id(), "not-the-secret-0123456789abcdef");
  expect_error(wrong_secret.call("GET", "/v1/databases"), 401, "Unauthenticated");

  Client unknown_key(server_->endpoint(), "AKIAUNKNOWNKEY000000", server_->secret_access_key());
  expect_error(unknown_key.call("GET", "/v1/databases"), 401, "Unauthenticated");

  const Reply body_changed = admin_->tampered("POST", "/v1/databases", R"({"name":"a"})",
                                              [](auto& req) { req.body = R"({"name":"b"})"; });
  expect_error(body_changed, 401, "Unauthenticated");

  const Reply garbage = admin_->tampered("GET", "/v1/databases", "", [](auto& req) {
    for (auto& [k, v] : req.headers) {
      if (iequals(k, "Authorization")) v = "AWS4-HMAC-SHA256 garbage";
    }
  });
  expect_error(garbage, 401, "Unauthenticated");

  Client glue(server_->endpoint(), server_->access_key_id(), server_->secret_access_key(), "glue");
  EXPECT_EQ(glue.call("GET", "/v1/databases").status, 200);
  Client lakeformation(server_->endpoint(), server_->access_key_id(), server_->secret_access_key(),
                       "lakeformation");
  EXPECT_EQ(lakeformation.call("GET", "/v1/databases").status, 200);
  Client s3(server_->endpoint(), server_->access_key_id(), server_->secret_access_key(), "s3");
  expect_error(s3.call("GET", "/v1/databases"), 401, "Unauthenticated");
}

TEST_P(NativeApiIntegration, DatabaseRoundTripWithCaseInsensitiveNames) {
  const std::string db = name("sales");
  std::string mixed = db;
  mixed[0] = 'S';
  const json created = create_database(mixed, {{"description", "Sales data"},
                                               {"location_uri", "s3://lake/sales/"},
                                               {"parameters", {{"team", "fin"}}}});
  const json expected = {{"name", db},
                         {"description", "Sales data"},
                         {"location_uri", "s3://lake/sales/"},
                         {"parameters", {{"team", "fin"}}}};
  EXPECT_EQ(without_times(created, {"create_time"}), expected);

  const Reply got = admin_->call("GET", "/v1/databases/" + db);
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(got.js(), created);
  std::string upper = db;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  EXPECT_EQ(admin_->call("GET", "/v1/databases/" + upper).js(), created);

  const Reply listed = admin_->call("GET", "/v1/databases?" + query({{"max_results", "1000"}}));
  ASSERT_EQ(listed.status, 200) << listed;
  const json dbs = listed.js()["databases"];
  EXPECT_EQ(std::count(dbs.begin(), dbs.end(), created), 1) << listed;

  const Reply updated =
      admin_->call("PUT", "/v1/databases/" + upper,
                   json{{"description", "Renamed nothing"}, {"parameters", {{"team", "ops"}}}});
  ASSERT_EQ(updated.status, 200) << updated;
  json expected_updated = {{"name", db},
                           {"description", "Renamed nothing"},
                           {"location_uri", ""},
                           {"parameters", {{"team", "ops"}}}};
  EXPECT_EQ(without_times(updated.js(), {"create_time"}), expected_updated);
  EXPECT_EQ(without_times(admin_->call("GET", "/v1/databases/" + db).js(), {"create_time"}),
            expected_updated);

  expect_error(admin_->call("PUT", "/v1/databases/" + db, json{{"name", "other"}}), 400, "InvalidArgument",
               "name");

  const Reply dup = admin_->call("POST", "/v1/databases", json{{"name", upper}});
  expect_error(dup, 409, "AlreadyExists");

  const Reply deleted = admin_->call("DELETE", "/v1/databases/" + db);
  EXPECT_EQ(deleted.status, 204) << deleted;
  EXPECT_TRUE(deleted.body.empty());
  expect_error(admin_->call("GET", "/v1/databases/" + db), 404, "NotFound");
  expect_error(admin_->call("DELETE", "/v1/databases/" + db), 404, "NotFound");
}

TEST_P(NativeApiIntegration, TableRoundTripVersionsAndConflicts) {
  const std::string db = name("shop");
  create_database(db);
  json input = orders_table("Orders");
  const json created = create_table(db, input);
  json expected = input;
  expected["name"] = "orders";
  expected["database_name"] = db;
  expected["version_id"] = 1;
  EXPECT_EQ(without_times(created, {"create_time", "update_time"}), expected);

  const std::string path = "/v1/databases/" + db + "/tables/orders";
  const Reply got = admin_->call("GET", "/v1/databases/" + db + "/tables/ORDERS");
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(got.js(), created);

  const Reply listed = admin_->call("GET", "/v1/databases/" + db + "/tables");
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(listed.js(), json({{"tables", json::array({created})}}));

  expect_error(admin_->call("POST", "/v1/databases/" + db + "/tables", input), 409, "AlreadyExists");

  // Update with the right version: version 2, ETag "2".
  json change = created;
  change["description"] = "orders v2";
  change["expected_version_id"] = 1;
  const Reply v2 = admin_->call("PUT", path, change);
  ASSERT_EQ(v2.status, 200) << v2;
  EXPECT_EQ(v2.header("ETag"), "\"2\"");
  EXPECT_EQ(v2.js()["version_id"], 2);
  EXPECT_EQ(v2.js()["description"], "orders v2");

  // A stale expected_version_id (body or If-Match) changes nothing.
  json stale = created;
  stale["description"] = "lost update";
  stale["expected_version_id"] = 1;
  expect_error(admin_->call("PUT", path, stale), 409, "VersionConflict");
  stale.erase("expected_version_id");
  expect_error(admin_->call("PUT", path, stale, {{"If-Match", "\"1\""}}), 409, "VersionConflict");
  const json after = admin_->call("GET", path).js();
  EXPECT_EQ(after, v2.js());
  expect_error(admin_->call("PUT", path, stale, {{"If-Match", "one"}}), 400, "InvalidArgument", "If-Match");

  // Versions: newest first, each readable.
  const Reply versions = admin_->call("GET", path + "/versions");
  ASSERT_EQ(versions.status, 200) << versions;
  const json vs = versions.js()["versions"];
  ASSERT_EQ(vs.size(), 2u) << versions;
  EXPECT_EQ(vs[0]["version_id"], 2);
  EXPECT_EQ(vs[1]["version_id"], 1);
  EXPECT_EQ(vs[1]["description"], "orders");
  const Reply v1 = admin_->call("GET", path + "/versions/1");
  ASSERT_EQ(v1.status, 200) << v1;
  EXPECT_EQ(without_times(v1.js(), {}), without_times(created, {}));
  expect_error(admin_->call("GET", path + "/versions/0"), 400, "InvalidArgument", "version");
  expect_error(admin_->call("GET", path + "/versions/x"), 400, "InvalidArgument", "version");
  expect_error(admin_->call("GET", path + "/versions/99"), 404, "NotFound");

  const Reply deleted = admin_->call("DELETE", path);
  EXPECT_EQ(deleted.status, 204) << deleted;
  expect_error(admin_->call("GET", path), 404, "NotFound");
  expect_error(admin_->call("GET", path + "/versions"), 404, "NotFound");
}

TEST_P(NativeApiIntegration, BadInputIsA400NamingTheField) {
  const std::string db = name("bad");
  create_database(db);
  json table = orders_table("t");
  table["storage_descriptor"]["columns"][0]["type"] = "strng";
  expect_error(admin_->call("POST", "/v1/databases/" + db + "/tables", table), 400, "InvalidArgument",
               "storage_descriptor.columns[0].type");

  expect_error(admin_->call("POST", "/v1/databases", std::string("{\"name\": ")), 400, "InvalidArgument",
               "body");
  expect_error(admin_->call("POST", "/v1/databases", std::string("[1,2]")), 400, "InvalidArgument", "body");
  expect_error(admin_->call("POST", "/v1/databases", std::string()), 400, "InvalidArgument", "body");
  expect_error(admin_->call("POST", "/v1/databases", json{{"name", name("x")}, {"colour", "red"}}), 400,
               "InvalidArgument", "colour");
  expect_error(admin_->call("POST", "/v1/databases", json{{"name", 7}}), 400, "InvalidArgument", "name");
  expect_error(admin_->call("POST", "/v1/databases", json{{"name", "bad name!"}}), 400, "InvalidArgument",
               "name");

  for (const char* bad : {"0", "1001", "abc", "-1", "10x"}) {
    expect_error(admin_->call("GET", "/v1/databases?" + query({{"max_results", bad}})), 400,
                 "InvalidArgument", "max_results");
  }
  EXPECT_EQ(admin_->call("GET", "/v1/databases?" + query({{"max_results", "1000"}})).status, 200);
}

TEST_P(NativeApiIntegration, MissingThingsAre404AndWrongMethodsAre405) {
  const std::string db = name("present");
  create_database(db);
  create_table(db, orders_table("t"));
  expect_error(admin_->call("GET", "/v1/databases/" + name("absent")), 404, "NotFound");
  expect_error(admin_->call("GET", "/v1/databases/" + name("absent") + "/tables"), 404, "NotFound");
  expect_error(admin_->call("GET", "/v1/databases/" + db + "/tables/absent"), 404, "NotFound");
  expect_error(admin_->call("GET", "/v1/databases/" + db + "/tables/t/partitions/2020/01"), 404, "NotFound");
  expect_error(admin_->call("GET", "/v1/databases/" + db + "/tables/absent/partitions/2020/01"), 404,
               "NotFound");
  expect_error(admin_->call("GET", "/v1/no-such-thing"), 404, "NotFound");
  expect_error(admin_->call("GET", "/v2/databases"), 404, "NotFound");
  expect_error(admin_->call("GET", "/v1/databases/" + db + "/views"), 404, "NotFound");

  const Reply r = admin_->call("DELETE", "/v1/databases");
  expect_error(r, 405, "MethodNotAllowed");
  EXPECT_EQ(r.header("Allow"), "GET, POST");
  const Reply t = admin_->call("PATCH", "/v1/databases/" + db + "/tables/t");
  expect_error(t, 405, "MethodNotAllowed");
  EXPECT_EQ(t.header("Allow"), "GET, PUT, DELETE");
  const Reply w = admin_->call("POST", "/v1/whoami", json::object());
  expect_error(w, 405, "MethodNotAllowed");
  EXPECT_EQ(w.header("Allow"), "GET");
}

TEST_P(NativeApiIntegration, PartitionsPageWithoutGapsAndFilter) {
  const std::string db = name("lake");
  create_database(db);
  create_table(db, orders_table("orders"));
  const std::string base = "/v1/databases/" + db + "/tables/orders/partitions";

  std::set<std::vector<std::string>> all;
  json parts = json::array();
  for (int year = 2000; year < 2025; ++year) {
    for (int month = 1; month <= 10; ++month) {
      const std::string m = (month < 10 ? "0" : "") + std::to_string(month);
      parts.push_back(partition(std::to_string(year), m));
      all.insert({std::to_string(year), m});
    }
  }
  ASSERT_EQ(all.size(), 250u);
  const Reply created = admin_->call("POST", base, json{{"partitions", parts}});
  ASSERT_EQ(created.status, 200) << created;
  EXPECT_EQ(created.js(), json({{"errors", json::array()}}));

  std::set<std::vector<std::string>> seen;
  std::string token;
  int pages = 0;
  do {
    std::string target = base + "?" + query({{"max_results", "100"}});
    if (!token.empty()) target += "&" + query({{"next_token", token}});
    const Reply page = admin_->call("GET", target);
    ASSERT_EQ(page.status, 200) << page;
    const json j = page.js();
    ASSERT_LE(j["partitions"].size(), 100u);
    for (const auto& p : j["partitions"]) {
      EXPECT_TRUE(seen.insert(p["values"].get<std::vector<std::string>>()).second)
          << "duplicate " << p["values"];
    }
    token = j.value("next_token", "");
    ASSERT_LT(++pages, 10) << "paging does not end";
  } while (!token.empty());
  EXPECT_EQ(seen, all);
  EXPECT_GE(pages, 3);

  // One partition in full.
  const Reply one = admin_->call("GET", base + "/2021/01");
  ASSERT_EQ(one.status, 200) << one;
  json expected_one = partition("2021", "01");
  expected_one["database_name"] = db;
  expected_one["table_name"] = "orders";
  EXPECT_EQ(without_times(one.js(), {"create_time"}), expected_one);

  // Filter: years 2021..2024 x months 01, 02.
  const Reply filtered = admin_->call(
      "GET",
      base + "?" + query({{"filter", "year > 2020 AND month IN ('01','02')"}, {"max_results", "1000"}}));
  ASSERT_EQ(filtered.status, 200) << filtered;
  std::set<std::vector<std::string>> got;
  const json filtered_json = filtered.js();
  for (const auto& p : filtered_json["partitions"]) got.insert(p["values"].get<std::vector<std::string>>());
  const std::set<std::vector<std::string>> want = {{"2021", "01"}, {"2021", "02"}, {"2022", "01"},
                                                   {"2022", "02"}, {"2023", "01"}, {"2023", "02"},
                                                   {"2024", "01"}, {"2024", "02"}};
  EXPECT_EQ(got, want);
  EXPECT_FALSE(filtered.js().contains("next_token"));

  expect_error(admin_->call("GET", base + "?" + query({{"filter", "year > "}})), 400, "InvalidArgument",
               "filter");
  expect_error(admin_->call("GET", base + "?" + query({{"filter", "colour = 'red'"}})), 400,
               "InvalidArgument", "filter");

  // Update one partition, then delete it.
  json changed = partition("2021", "01");
  changed["parameters"] = {{"rows", "42"}};
  const Reply put = admin_->call("PUT", base + "/2021/01", changed);
  ASSERT_EQ(put.status, 200) << put;
  EXPECT_EQ(put.js()["parameters"], json({{"rows", "42"}}));
  EXPECT_EQ(admin_->call("GET", base + "/2021/01").js()["parameters"], json({{"rows", "42"}}));
  const Reply del = admin_->call("DELETE", base + "/2021/01");
  EXPECT_EQ(del.status, 204) << del;
  expect_error(admin_->call("GET", base + "/2021/01"), 404, "NotFound");
  expect_error(admin_->call("DELETE", base + "/2021/01"), 404, "NotFound");
}

TEST_P(NativeApiIntegration, BatchPartitionOperationsReportPerItemErrors) {
  const std::string db = name("batch");
  create_database(db);
  create_table(db, orders_table("orders"));
  const std::string base = "/v1/databases/" + db + "/tables/orders/partitions";

  ASSERT_EQ(admin_->call("POST", base, json{{"partitions", json::array({partition("2020", "01")})}}).status,
            200);
  const Reply created = admin_->call(
      "POST", base,
      json{{"partitions",
            json::array({partition("2020", "01"), partition("2020", "02"), partition("abc", "03")})}});
  ASSERT_EQ(created.status, 200) << created;
  std::map<std::vector<std::string>, std::string> codes;
  const json created_json = created.js();
  for (const auto& e : created_json["errors"]) {
    EXPECT_FALSE(e.value("message", "").empty()) << e;
    codes[e["values"].get<std::vector<std::string>>()] = e.value("code", "");
  }
  EXPECT_EQ(codes, (std::map<std::vector<std::string>, std::string>{{{"2020", "01"}, "AlreadyExists"},
                                                                    {{"abc", "03"}, "InvalidArgument"}}));

  const Reply got =
      admin_->call("POST", base + "/batch-get",
                   json{{"values", values_list({{"2020", "01"}, {"2020", "02"}, {"2019", "12"}})}});
  ASSERT_EQ(got.status, 200) << got;
  std::set<std::vector<std::string>> found;
  const json got_json = got.js();
  for (const auto& p : got_json["partitions"]) found.insert(p["values"].get<std::vector<std::string>>());
  EXPECT_EQ(found, (std::set<std::vector<std::string>>{{"2020", "01"}, {"2020", "02"}}));

  json moved = partition("2020", "02");
  moved["parameters"] = {{"state", "updated"}};
  const Reply updated = admin_->call(
      "POST", base + "/batch-update",
      json{{"entries", json::array({json{{"values", json::array({"2020", "02"})}, {"partition", moved}},
                                    json{{"values", json::array({"1999", "01"})},
                                         {"partition", partition("1999", "01")}}})}});
  ASSERT_EQ(updated.status, 200) << updated;
  ASSERT_EQ(updated.js()["errors"].size(), 1u) << updated;
  EXPECT_EQ(updated.js()["errors"][0]["values"], json({"1999", "01"}));
  EXPECT_EQ(updated.js()["errors"][0]["code"], "NotFound");
  EXPECT_EQ(admin_->call("GET", base + "/2020/02").js()["parameters"], json({{"state", "updated"}}));

  const Reply deleted = admin_->call("POST", base + "/batch-delete",
                                     json{{"values", values_list({{"2020", "01"}, {"2018", "05"}})}});
  ASSERT_EQ(deleted.status, 200) << deleted;
  ASSERT_EQ(deleted.js()["errors"].size(), 1u) << deleted;
  EXPECT_EQ(deleted.js()["errors"][0]["values"], json({"2018", "05"}));
  EXPECT_EQ(deleted.js()["errors"][0]["code"], "NotFound");
  expect_error(admin_->call("GET", base + "/2020/01"), 404, "NotFound");

  expect_error(admin_->call("POST", base + "/batch-get", json{{"values", "2020"}}), 400, "InvalidArgument",
               "values");
  expect_error(admin_->call("POST", base + "/batch-delete", json{{"vals", json::array()}}), 400,
               "InvalidArgument", "vals");
  expect_error(admin_->call("POST", base + "/batch-update",
                            json{{"entries", json::array({json{{"values", json::array({"1"})}}})}}),
               400, "InvalidArgument", "entries[0].partition");
}

TEST_P(NativeApiIntegration, OversizedBodyIsA413) {
  auto small = start({"--body-limit", "2048"});
  Client client(small->endpoint(), small->access_key_id(), small->secret_access_key());
  const Reply r = client.call("POST", "/v1/databases",
                              json{{"name", name("big")}, {"description", std::string(4096, 'x')}});
  expect_error(r, 413, "PayloadTooLarge");
  // A body under the limit still works on a fresh connection.
  Client again(small->endpoint(), small->access_key_id(), small->secret_access_key());
  const std::string db = name("small");
  databases_.push_back(db);
  EXPECT_EQ(again.call("POST", "/v1/databases", json{{"name", db}}).status, 201);
}

TEST_P(NativeApiIntegration, OrdinaryUsersSeeOnlyThemselves) {
  const std::string db = name("secret");
  create_database(db);
  const std::string alice = name("alice");
  std::string alice_key;
  auto as_alice = create_user_with_key(alice, &alice_key);
  ASSERT_FALSE(alice_key.empty());

  const Reply who = as_alice->call("GET", "/v1/whoami");
  ASSERT_EQ(who.status, 200) << who;
  EXPECT_EQ(who.js(), json({{"arn", std::string("arn:aws:iam::") + kCatalogId + ":user/" + alice},
                            {"kind", "user"},
                            {"name", alice},
                            {"groups", json::array()},
                            {"is_admin", false},
                            {"access_key_id", alice_key}}));
  const Reply admin_who = admin_->call("GET", "/v1/whoami");
  EXPECT_EQ(admin_who.js()["arn"], std::string("arn:aws:iam::") + kCatalogId + ":user/admin");
  EXPECT_EQ(admin_who.js()["is_admin"], true);

  // A denied read looks exactly like a missing entity.
  const Reply hidden = as_alice->call("GET", "/v1/databases/" + db);
  expect_error(hidden, 404, "NotFound");
  const Reply missing = as_alice->call("GET", "/v1/databases/" + name("nothing"));
  expect_error(missing, 404, "NotFound");
  const auto masked = [](std::string message, const std::string& entity) {
    const auto at = message.find(entity);
    return at == std::string::npos ? message : message.replace(at, entity.size(), "X");
  };
  EXPECT_EQ(masked(hidden.js()["error"].value("message", ""), db),
            masked(missing.js()["error"].value("message", ""), name("nothing")));
  expect_error(as_alice->call("POST", "/v1/databases", json{{"name", name("mine")}}), 403, "AccessDenied");
  expect_error(as_alice->call("DELETE", "/v1/databases/" + db), 403, "AccessDenied");
  const Reply list = as_alice->call("GET", "/v1/databases");
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(list.js()["databases"], json::array());

  // Her own keys yes, the administrator's no.
  const Reply keys = as_alice->call("GET", "/v1/users/" + alice + "/access-keys");
  ASSERT_EQ(keys.status, 200) << keys;
  ASSERT_EQ(keys.js()["access_keys"].size(), 1u) << keys;
  const json key = keys.js()["access_keys"][0];
  EXPECT_EQ(key["access_key_id"], alice_key);
  EXPECT_EQ(key["status"], "Active");
  EXPECT_EQ(key["owner_arn"], std::string("arn:aws:iam::") + kCatalogId + ":user/" + alice);
  EXPECT_FALSE(key.contains("secret_access_key"));
  expect_error(as_alice->call("GET", "/v1/users/admin/access-keys"), 404, "NotFound");
  expect_error(as_alice->call("GET", "/v1/users/admin"), 404, "NotFound");

  // Deactivated: the next request is refused.
  const Reply off =
      admin_->call("PATCH", "/v1/users/" + alice + "/access-keys/" + alice_key, json{{"status", "Inactive"}});
  ASSERT_EQ(off.status, 200) << off;
  EXPECT_EQ(off.js()["status"], "Inactive");
  expect_error(as_alice->call("GET", "/v1/whoami"), 401, "Unauthenticated");
  expect_error(
      admin_->call("PATCH", "/v1/users/" + alice + "/access-keys/" + alice_key, json{{"status", "Off"}}), 400,
      "InvalidArgument", "status");
}

TEST_P(NativeApiIntegration, AdministratorsLastKeyCannotBeRemoved) {
  const std::string key_path = "/v1/users/admin/access-keys/" + server_->access_key_id();
  expect_error(admin_->call("DELETE", key_path), 409, "FailedPrecondition");
  expect_error(admin_->call("PATCH", key_path, json{{"status", "Inactive"}}), 409, "FailedPrecondition");
  expect_error(admin_->call("DELETE", "/v1/users/admin"), 409, "FailedPrecondition");
  EXPECT_EQ(admin_->call("GET", "/v1/whoami").status, 200);
  expect_error(admin_->call("DELETE", "/v1/users/admin/access-keys/AKIANOSUCHKEY0000000"), 404, "NotFound");
}

TEST_P(NativeApiIntegration, PrincipalsAndGroups) {
  const std::string user = name("bob");
  const std::string group = name("analysts");
  users_.push_back(user);
  const Reply u = admin_->call("POST", "/v1/users", json{{"name", user}, {"description", "Bob"}});
  ASSERT_EQ(u.status, 201) << u;
  EXPECT_EQ(without_times(u.js(), {"create_time"}),
            json({{"kind", "user"},
                  {"name", user},
                  {"arn", std::string("arn:aws:iam::") + kCatalogId + ":user/" + user},
                  {"description", "Bob"}}));
  expect_error(admin_->call("POST", "/v1/users", json{{"name", user}}), 409, "AlreadyExists");
  ASSERT_EQ(admin_->call("POST", "/v1/groups", json{{"name", group}}).status, 201);
  EXPECT_EQ(admin_->call("PUT", "/v1/groups/" + group + "/members/" + user).status, 204);
  const Reply members = admin_->call("GET", "/v1/groups/" + group + "/members");
  ASSERT_EQ(members.status, 200) << members;
  ASSERT_EQ(members.js()["members"].size(), 1u);
  EXPECT_EQ(members.js()["members"][0]["name"], user);
  const Reply groups = admin_->call("GET", "/v1/users/" + user + "/groups");
  ASSERT_EQ(groups.status, 200) << groups;
  ASSERT_EQ(groups.js()["groups"].size(), 1u);
  EXPECT_EQ(groups.js()["groups"][0]["name"], group);
  EXPECT_EQ(admin_->call("DELETE", "/v1/groups/" + group + "/members/" + user).status, 204);
  EXPECT_EQ(admin_->call("DELETE", "/v1/groups/" + group).status, 204);
  expect_error(admin_->call("GET", "/v1/groups/" + group), 404, "NotFound");
  expect_error(admin_->call("POST", "/v1/users", json{{"name", "no spaces"}}), 400, "InvalidArgument",
               "name");
  expect_error(admin_->call("POST", "/v1/groups/" + group + "/access-keys"), 404, "NotFound");
}

TEST_P(NativeApiIntegration, OpenApiDocumentIsServed) {
  expect_error(admin_->unsigned_call("GET", "/v1/openapi.yaml"), 401, "Unauthenticated");
  const Reply r = admin_->call("GET", "/v1/openapi.yaml");
  ASSERT_EQ(r.status, 200) << r.status;
  EXPECT_EQ(r.header("Content-Type"), "application/yaml");
  std::ifstream in(CAIRN_SOURCE_DIR "/docs/api/openapi.yaml");
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_EQ(r.body, file.str());
  EXPECT_EQ(r.body.rfind("openapi: 3.0.3", 0), 0u);
}

TEST_P(NativeApiIntegration, MetricsNeedAuthentication) {
  expect_error(admin_->unsigned_call("GET", "/metrics"), 401, "Unauthenticated");
  const Reply r = admin_->call("GET", "/metrics");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_NE(r.body.find("cairn_http_requests_total{code=\"2xx\"}"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("cairn_http_requests_total{code=\"4xx\"} "), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("cairn_info{store=\"" + GetParam() + "\"} 1"), std::string::npos) << r.body;
  // The audit writer: an audit query flushes the log, so nothing waits afterwards and what was decided
  // (at least that query's own decision) has been written.
  ASSERT_EQ(admin_->call("GET", "/v1/audit?limit=1").status, 200);
  const Reply after = admin_->call("GET", "/metrics");
  ASSERT_EQ(after.status, 200) << after;
  EXPECT_NE(after.body.find("\ncairn_audit_entries_waiting 0\n"), std::string::npos) << after.body;
  const auto at = after.body.find("\ncairn_audit_entries_written_total ");
  ASSERT_NE(at, std::string::npos) << after.body;
  EXPECT_GT(std::stoll(after.body.substr(at + 35)), 0) << after.body;
  EXPECT_NE(after.body.find("\ncairn_audit_writer_background "), std::string::npos) << after.body;
}

INSTANTIATE_TEST_SUITE_P(Stores, NativeApiIntegration, cairn::test::store_backends(),
                         cairn::test::backend_test_name);

}  // namespace
