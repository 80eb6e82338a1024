#pragma once

// Harness of the governance end-to-end tests (tests/api/governance_integration_test.cpp): cairnd nodes that
// can be stopped and started again on the same data (a directory of the test's own and, for PostgreSQL, a
// database created for the test), SigV4-signed clients, and small JSON builders for tables and grants.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cairn/api/http.h"
#include "cairn/api/http_client.h"
#include "cairn/authz/sigv4.h"
#include "support/cairnd_process.h"
#include "support/signed_requests.h"
#include "support/store_backends.h"

namespace cairn::gov_test {

using cairn::api::HeaderList;
using cairn::test::query;
using cairn::test::seg;
using cairn::test::with_database;
using nlohmann::json;

inline constexpr const char* kRegion = "us-east-1";
inline constexpr const char* kCatalogId = "000000000000";
inline constexpr const char* kAdminKey = "AKIACAIRNGOVTEST0001";
inline constexpr const char* kAdminSecret = "govTestSecret/0123456789abcdefghijklmnopqr";
/// Master key shared by the nodes of one PostgreSQL database (test data only).
inline constexpr const char* kMasterKeyHex =
    "5eed5eed0123456789abcdef5eed5eed0123456789abcdef5eed5eed01234567";

/// One HTTP response as the tests inspect it.
struct Reply {
  std::string method;
  std::string target;
  int status = 0;
  std::string body;
  HeaderList headers;

  /// The first header of that name (case-insensitive), or "".
  std::string header(const std::string& name) const { return cairn::test::header_value(headers, name); }

  /// The body as JSON; null when it is not JSON (the callers' expectations then fail and show the body).
  json js() const {
    json j = json::parse(body, nullptr, false);
    return j.is_discarded() ? json() : j;
  }

  /// True when the body contains `text`.
  bool mentions(const std::string& text) const { return body.find(text) != std::string::npos; }
};

/// "METHOD target -> status body", for failure messages (the exact request and response).
inline std::ostream& operator<<(std::ostream& out, const Reply& r) {
  return out << r.method << " " << r.target << " -> " << r.status << " " << r.body;
}

/// Signs requests with one access key (SigV4, region us-east-1, service "cairn") and sends them over one
/// keep-alive connection.
class Client {
 public:
  /// A client of `endpoint` ("http://host:port") signing with the given key.
  Client(const std::string& endpoint, std::string access_key_id, std::string secret)
      : http_(cairn::api::Endpoint::parse(endpoint)),
        access_key_id_(std::move(access_key_id)),
        secret_(std::move(secret)) {}

  /// Sends `method target` signed; `target` is "/path[?raw-query]" (already encoded).
  Reply call(const std::string& method, const std::string& target, const std::string& body = {}) {
    cairn::authz::SignableRequest req = cairn::test::signable_request(http_.endpoint(), method, target, body);
    cairn::authz::sign_request(req, access_key_id_, secret_, kRegion, "cairn");
    cairn::api::HttpResponse resp = http_.send(req.method, target, req.headers, req.body);
    Reply r;
    r.method = method;
    r.target = target + (body.empty() ? "" : " " + body);
    r.status = resp.status;
    r.body = std::move(resp.body);
    r.headers = std::move(resp.headers);
    return r;
  }

  /// Sends `body` as JSON.
  Reply call(const std::string& method, const std::string& target, const json& body) {
    return call(method, target, body.dump());
  }

 private:
  cairn::api::HttpClient http_;
  std::string access_key_id_;
  std::string secret_;
};

/// The ARN of a user, role or group of the test catalog ("user", "alice").
inline std::string arn(const std::string& kind, const std::string& name) {
  return std::string("arn:aws:iam::") + kCatalogId + ":" + kind + "/" + name;
}

/// An RFC 3339 UTC timestamp with milliseconds ("2026-11-21T05:40:00.123Z").
inline std::string rfc3339(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

/// A cairnd node of these tests: a cairnd process restartable on the same data (see node_options).
using Node = cairn::test::CairndProcess;

/// How to start a Node on `dir`/data (and on `database_url` when not empty, with kMasterKeyHex, shared by the
/// nodes of one database), listening on a free port, up to 30 s to start and 15 s to stop. Stopping it and
/// starting another Node with the same options restarts the service on the same data. The administrator's key
/// is kAdminKey/kAdminSecret. The log of every start is appended to `dir`/cairnd.log.
inline cairn::test::CairndOptions node_options(const std::string& dir, const std::string& database_url) {
  cairn::test::CairndOptions options;
  options.dir = dir;
  options.admin_access_key_id = kAdminKey;
  options.admin_secret_access_key = kAdminSecret;
  options.start_timeout = std::chrono::seconds(30);
  options.stop_timeout = std::chrono::seconds(15);
  if (!database_url.empty()) {
    options.master_key_hex = kMasterKeyHex;
    options.args = {"--database-url", database_url};
  }
  return options;
}

/// A column {"name", "type", "comment", "parameters": {}}.
inline json column(const std::string& name, const std::string& type, const std::string& comment = {}) {
  return {{"name", name}, {"type", type}, {"comment", comment}, {"parameters", json::object()}};
}

/// A Parquet table with `columns` and `partition_keys` at `location`.
inline json table_json(const std::string& name, json columns, json partition_keys = json::array(),
                       const std::string& location = {}) {
  return {{"name", name},
          {"table_type", "EXTERNAL_TABLE"},
          {"partition_keys", std::move(partition_keys)},
          {"storage_descriptor",
           {{"columns", std::move(columns)},
            {"location", location},
            {"input_format", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"},
            {"output_format", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"},
            {"serde_info",
             {{"serialization_library", "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}}}}};
}

/// Names of a table's data columns then partition keys (Table JSON).
inline std::vector<std::string> column_names(const json& table) {
  std::vector<std::string> out;
  if (!table.is_object()) return out;
  if (table.contains("storage_descriptor") && table["storage_descriptor"].contains("columns")) {
    for (const auto& c : table["storage_descriptor"]["columns"]) out.push_back(c.value("name", ""));
  }
  if (table.contains("partition_keys")) {
    for (const auto& c : table["partition_keys"]) out.push_back(c.value("name", ""));
  }
  return out;
}

/// Names of the columns of a TableAccess.
inline std::vector<std::string> access_column_names(const json& access) {
  std::vector<std::string> out;
  if (!access.is_object() || !access.contains("columns")) return out;
  for (const auto& c : access["columns"]) out.push_back(c.value("name", ""));
  return out;
}

/// The column named `name` of a TableAccess (null when absent).
inline json access_column(const json& access, const std::string& name) {
  if (!access.is_object() || !access.contains("columns")) return json();
  for (const auto& c : access["columns"]) {
    if (c.value("name", "") == name) return c;
  }
  return json();
}

/// True when the JSON array `list` holds the string `value`.
inline bool holds(const json& list, const std::string& value) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(), [&](const json& v) { return v.is_string() && v == value; });
}

// --- Resource objects of grants (docs/dev/governance-routes.md) ---

inline json catalog_resource() {
  return {{"kind", "CATALOG"}};
}
inline json database_resource(const std::string& db) {
  return {{"kind", "DATABASE"}, {"database", db}};
}
inline json table_resource(const std::string& db, const std::string& t) {
  return {{"kind", "TABLE"}, {"database", db}, {"table", t}};
}
inline json columns_resource(const std::string& db, const std::string& t, std::vector<std::string> columns) {
  return {{"kind", "TABLE_WITH_COLUMNS"}, {"database", db}, {"table", t}, {"columns", columns}};
}
inline json all_but_resource(const std::string& db, const std::string& t, std::vector<std::string> excluded) {
  return {{"kind", "TABLE_WITH_COLUMNS"},
          {"database", db},
          {"table", t},
          {"column_wildcard", true},
          {"excluded_columns", excluded}};
}
inline json filter_resource(const std::string& db, const std::string& t, const std::string& filter) {
  return {{"kind", "DATA_CELLS_FILTER"}, {"database", db}, {"table", t}, {"filter", filter}};
}
inline json location_resource(const std::string& uri) {
  return {{"kind", "DATA_LOCATION"}, {"location", uri}};
}
inline json tag_policy_resource(const std::string& type, const std::string& key,
                                std::vector<std::string> values) {
  return {{"kind", "TAG_POLICY"},
          {"tag_resource_type", type},
          {"tag_expression", json::array({json{{"key", key}, {"values", values}}})}};
}

/// A GrantRequest.
inline json grant_request(const std::string& principal, json resource, std::vector<std::string> permissions,
                          std::vector<std::string> grantable = {}, json column_masks = json()) {
  json body = {{"principal", principal}, {"resource", std::move(resource)}, {"permissions", permissions}};
  if (!grantable.empty()) body["grantable"] = grantable;
  if (!column_masks.is_null()) body["column_masks"] = std::move(column_masks);
  return body;
}

/// The fixture of the end-to-end tests on both stores: SetUp starts node A on a fresh directory (and, for
/// PostgreSQL, a database created for the test, skipping without CAIRN_TEST_DATABASE_URL); TearDown shows
/// the nodes' logs after a failure and removes everything. Clients sign as the administrator or as users
/// created with create_user.
class NodeFixture : public ::testing::TestWithParam<std::string> {
 protected:
  /// `database_prefix` names the PostgreSQL database, `dir_prefix` the temporary directory.
  NodeFixture(std::string database_prefix, std::string dir_prefix)
      : database_prefix_(std::move(database_prefix)), dir_prefix_(std::move(dir_prefix)) {}

  void SetUp() override {
    if (GetParam() == "postgres") {
      const std::string admin_url = cairn::test::test_database_url();
      if (admin_url.empty()) GTEST_SKIP() << "CAIRN_TEST_DATABASE_URL is not set";
      pg_database_.create(admin_url, database_prefix_);
      database_url_ = pg_database_.url();
    }
    dir_ = cairn::test::make_temp_dir(dir_prefix_);
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const Node* n : {node_.get(), node_b_.get()}) {
        if (n != nullptr) std::cerr << "--- cairnd log " << n->dir() << ":\n" << n->log_tail(60) << "\n";
      }
    }
    clients_.clear();
    admin_.reset();
    node_b_.reset();
    node_.reset();
    pg_database_.remove();
    if (!dir_.empty() && std::getenv("CAIRN_TEST_KEEP_DIRS") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  bool is_postgres() const { return GetParam() == "postgres"; }

  /// Creates a user with one access key; returns a client signing as that user.
  Client& create_user(const std::string& name) {
    const Reply u = admin_->call("POST", "/v1/users", json{{"name", name}});
    EXPECT_EQ(u.status, 201) << u;
    const Reply k = admin_->call("POST", "/v1/users/" + seg(name) + "/access-keys");
    EXPECT_EQ(k.status, 201) << k;
    const json key = k.js();
    credentials_[name] = {key.value("access_key_id", ""), key.value("secret_access_key", "")};
    clients_[name] =
        std::make_unique<Client>(node_->endpoint(), credentials_[name].first, credentials_[name].second);
    return *clients_[name];
  }

  /// Clients of node A again (after it was started anew): the administrator and every user created.
  void reconnect() {
    clients_.clear();
    admin_ = std::make_unique<Client>(node_->endpoint(), kAdminKey, kAdminSecret);
    for (const auto& [name, c] : credentials_)
      clients_[name] = std::make_unique<Client>(node_->endpoint(), c.first, c.second);
  }

  std::string database_prefix_;
  std::string dir_prefix_;
  cairn::test::FreshDatabase pg_database_;
  std::string database_url_;
  std::string dir_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<Node> node_b_;
  std::unique_ptr<Client> admin_;
  std::map<std::string, std::pair<std::string, std::string>> credentials_;
  std::map<std::string, std::unique_ptr<Client>> clients_;
};

}  // namespace cairn::gov_test
