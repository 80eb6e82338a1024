// End-to-end enforcement of docs/authorization.md against a real cairnd over HTTP with SigV4: every test
// starts its own cairnd on a fresh embedded SQLite store, and again on PostgreSQL (a database created for the
// test and dropped afterwards) when CAIRN_TEST_DATABASE_URL is set. Negative cases first. Rule ids (C4, S2,
// TG4, …) refer to docs/authorization.md.
//
// A test whose expectation follows the document but the server disagrees says so with "DISCREPANCY" in its
// failure message, together with the exact request and response.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "api/governance_harness.h"
#include "support/process.h"
#include "support/store_backends.h"

namespace {

using namespace cairn::gov_test;  // NOLINT(google-build-using-namespace): the harness of these tests only
using nlohmann::json;
using Strings = std::vector<std::string>;

/// Checks the error envelope: status, code, a message, request_id == x-request-id.
void expect_error(const Reply& r, int status, const std::string& code, const std::string& field = {}) {
  EXPECT_EQ(r.status, status) << r;
  const json j = r.js();
  ASSERT_TRUE(j.is_object() && j.contains("error")) << r;
  const json& e = j["error"];
  EXPECT_EQ(e.value("code", ""), code) << r;
  EXPECT_FALSE(e.value("message", "").empty()) << r;
  EXPECT_FALSE(r.header("x-request-id").empty()) << "no x-request-id header: " << r;
  EXPECT_EQ(e.value("request_id", ""), r.header("x-request-id")) << r;
  if (!field.empty()) {
    EXPECT_EQ(e.value("field", ""), field) << r;
  }
}

/// `text` with every occurrence of `name` replaced by "<NAME>".
std::string without_name(std::string text, const std::string& name) {
  if (name.empty()) return text;
  for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at + 6)) {
    text.replace(at, name.size(), "<NAME>");
  }
  return text;
}

/// C4: `hidden` (about an existing object the caller may not see, named `hidden_name`) must look exactly like
/// `missing` (about an object that does not exist, named `missing_name`): same status, same error keys, code
/// and field, and the same message once the names are blanked.
void expect_indistinguishable(const Reply& hidden, const std::string& hidden_name, const Reply& missing,
                              const std::string& missing_name) {
  EXPECT_EQ(hidden.status, missing.status) << "hidden: " << hidden << "\nmissing: " << missing;
  const json h = hidden.js(), m = missing.js();
  ASSERT_TRUE(h.contains("error") && m.contains("error")) << hidden << "\n" << missing;
  std::set<std::string> hk, mk;
  for (const auto& [k, v] : h["error"].items()) hk.insert(k);
  for (const auto& [k, v] : m["error"].items()) mk.insert(k);
  EXPECT_EQ(hk, mk) << hidden << "\n" << missing;
  EXPECT_EQ(h["error"].value("code", ""), m["error"].value("code", "")) << hidden << "\n" << missing;
  EXPECT_EQ(h["error"].value("field", ""), m["error"].value("field", "")) << hidden << "\n" << missing;
  EXPECT_EQ(without_name(h["error"].value("message", ""), hidden_name),
            without_name(m["error"].value("message", ""), missing_name))
      << hidden << "\n"
      << missing;
}

/// The "values" of every partition in a partition list or batch-get answer, as a set.
std::set<Strings> partition_values(const Reply& r) {
  std::set<Strings> out;
  const json j = r.js();
  if (!j.contains("partitions")) return out;
  for (const auto& p : j["partitions"]) out.insert(p["values"].get<Strings>());
  return out;
}

/// The (database, table) pairs of a search answer.
std::set<std::pair<std::string, std::string>> search_hits(const Reply& r) {
  std::set<std::pair<std::string, std::string>> out;
  const json j = r.js();
  if (!j.contains("items")) return out;
  for (const auto& i : j["items"]) out.emplace(i.value("database", ""), i.value("table", ""));
  return out;
}

/// Milliseconds since `start`.
long long ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
      .count();
}

class GovernanceIntegration : public NodeFixture {
 protected:
  GovernanceIntegration() : NodeFixture("cairn_gov", "cairn-gov-") {}

  void SetUp() override {
    NodeFixture::SetUp();
    if (IsSkipped()) return;
    node_ = std::make_unique<Node>(node_options(dir_ + "/a", database_url_));
    admin_ = std::make_unique<Client>(node_->endpoint(), kAdminKey, kAdminSecret);
  }

  /// Stops the node (SIGTERM) and starts it again on the same data; clients then talk to the new process.
  /// Returns the wait status of the stopped process.
  int restart() {
    clients_.clear();
    admin_.reset();
    const std::optional<int> status = node_->stop();
    node_.reset();
    node_ = std::make_unique<Node>(node_options(dir_ + "/a", database_url_));
    reconnect();
    return status.value_or(-1);
  }

  void create_database(const std::string& db) {
    const Reply r = admin_->call("POST", "/v1/databases", json{{"name", db}});
    ASSERT_EQ(r.status, 201) << r;
  }

  void create_table(const std::string& db, const json& table) {
    const Reply r = admin_->call("POST", "/v1/databases/" + seg(db) + "/tables", table);
    ASSERT_EQ(r.status, 201) << r;
  }

  /// A client of a user made with create_user.
  Client& as(const std::string& user) { return *clients_.at(user); }

  /// A client for `user` on another node.
  std::unique_ptr<Client> client_on(const Node& node, const std::string& user) const {
    const auto& c = credentials_.at(user);
    return std::make_unique<Client>(node.endpoint(), c.first, c.second);
  }

  void create_group(const std::string& group, const Strings& members) {
    const Reply g = admin_->call("POST", "/v1/groups", json{{"name", group}});
    ASSERT_EQ(g.status, 201) << g;
    for (const auto& m : members) {
      const Reply r = admin_->call("PUT", "/v1/groups/" + seg(group) + "/members/" + seg(m));
      ASSERT_EQ(r.status, 204) << r;
    }
  }

  /// Grants as the administrator; expects 200 and returns the Grant.
  json grant(const json& request) {
    const Reply r = admin_->call("POST", "/v1/permissions/grant", request);
    EXPECT_EQ(r.status, 200) << r;
    return r.js();
  }

  void create_tag_key(const std::string& key, const Strings& values) {
    const Reply r = admin_->call("POST", "/v1/tags", json{{"key", key}, {"values", values}});
    ASSERT_EQ(r.status, 201) << r;
  }

  /// PUT …/tags on a database ("db"), table ("db/tables/t") or column path below /v1/databases/.
  void assign_tag(const std::string& path, const std::string& key, const std::string& value) {
    const Reply r = admin_->call("PUT", "/v1/databases/" + path + "/tags", json{{"tags", {{key, value}}}});
    ASSERT_EQ(r.status, 200) << r;
  }

  void create_filter(const std::string& db, const std::string& table, const json& body) {
    const Reply r = admin_->call("POST", "/v1/databases/" + db + "/tables/" + table + "/filters", body);
    ASSERT_EQ(r.status, 201) << r;
  }

  static std::string table_path(const std::string& db, const std::string& table) {
    return "/v1/databases/" + seg(db) + "/tables/" + seg(table);
  }

  /// Every audit entry for `resource`, following next_token.
  std::vector<json> audit_entries(const std::string& resource) {
    std::vector<json> out;
    std::string token;
    for (int pages = 0; pages < 100; ++pages) {
      std::string target = "/v1/audit?" + query({{"resource", resource}, {"max_results", "1000"}});
      if (!token.empty()) target += "&" + query({{"next_token", token}});
      const Reply r = admin_->call("GET", target);
      EXPECT_EQ(r.status, 200) << r;
      const json j = r.js();
      if (!j.contains("items")) break;
      for (const auto& e : j["items"]) out.push_back(e);
      token = j.value("next_token", "");
      if (token.empty()) break;
    }
    return out;
  }
};

/// hr.employees: salary and phone_number are the sensitive columns; partitioned by country.
json employees_table() {
  return table_json(
      "employees",
      json::array({column("employee_id", "bigint", "employee id"),
                   column("full_name", "string", "given and family name"), column("department", "string"),
                   column("salary", "decimal(10,2)", "yearly salary"),
                   column("phone_number", "string", "mobile phone number")}),
      json::array({column("country", "string")}), "s3://lake/hr/employees/");
}

/// sales.customers with a data column `country` (not a partition key).
json customers_table() {
  return table_json("customers", json::array({column("customer_id", "bigint"),
                                              column("customer_name", "string"), column("email", "string"),
                                              column("amount", "double"), column("country", "string")}));
}

// =====================================================================================================
// Negative cases first: a user without any grant sees nothing and may change nothing.
// =====================================================================================================

TEST_P(GovernanceIntegration, UnprivilegedUserListsNothingAndHiddenObjectsLookMissing) {
  create_database("hr");
  create_table("hr", employees_table());
  ASSERT_EQ(admin_
                ->call("POST", table_path("hr", "employees") + "/partitions",
                       json{{"partitions", json::array({json{{"values", json::array({"DE"})}}})}})
                .status,
            200);
  Client& nobody = create_user("nobody");

  const Reply dbs = nobody.call("GET", "/v1/databases");
  ASSERT_EQ(dbs.status, 200) << dbs;
  EXPECT_EQ(dbs.js()["databases"], json::array()) << dbs;

  // C4: a hidden database or table answers exactly like a missing one.
  expect_error(nobody.call("GET", "/v1/databases/hr"), 404, "NotFound");
  expect_indistinguishable(nobody.call("GET", "/v1/databases/hr"), "hr",
                           nobody.call("GET", "/v1/databases/nodb"), "nodb");
  const Reply hidden_table = nobody.call("GET", table_path("hr", "employees"));
  expect_error(hidden_table, 404, "NotFound");
  EXPECT_FALSE(hidden_table.mentions("salary")) << hidden_table;
  expect_indistinguishable(hidden_table, "employees", admin_->call("GET", table_path("hr", "notable")),
                           "notable");
  expect_indistinguishable(hidden_table, "employees", nobody.call("GET", table_path("hr", "notable")),
                           "notable");
  expect_indistinguishable(nobody.call("GET", "/v1/databases/hr/tables"), "hr",
                           nobody.call("GET", "/v1/databases/nodb/tables"), "nodb");
  expect_indistinguishable(nobody.call("GET", table_path("hr", "employees") + "/versions"), "employees",
                           admin_->call("GET", table_path("hr", "notable") + "/versions"), "notable");

  // Partitions and engine resolve: 404 like a missing table.
  const Reply parts = nobody.call("GET", table_path("hr", "employees") + "/partitions");
  expect_error(parts, 404, "NotFound");
  expect_indistinguishable(parts, "employees",
                           admin_->call("GET", table_path("hr", "notable") + "/partitions"), "notable");
  expect_error(nobody.call("GET", table_path("hr", "employees") + "/partitions/DE"), 404, "NotFound");
  const Reply batch = nobody.call("POST", table_path("hr", "employees") + "/partitions/batch-get",
                                  json{{"values", json::array({json::array({"DE"})})}});
  expect_error(batch, 404, "NotFound");
  expect_indistinguishable(batch, "employees",
                           admin_->call("POST", table_path("hr", "notable") + "/partitions/batch-get",
                                        json{{"values", json::array({json::array({"DE"})})}}),
                           "notable");
  const Reply access = nobody.call("GET", table_path("hr", "employees") + "/access");
  expect_error(access, 404, "NotFound");
  expect_indistinguishable(access, "employees", admin_->call("GET", table_path("hr", "notable") + "/access"),
                           "notable");
  expect_error(nobody.call("GET", table_path("hr", "employees") + "/tags"), 404, "NotFound");

  // Search finds nothing, not even by a column name.
  const Reply search = nobody.call("GET", "/v1/search?" + query({{"q", "salary"}}));
  ASSERT_EQ(search.status, 200) << search;
  EXPECT_EQ(search.js()["items"], json::array()) << search;
}

TEST_P(GovernanceIntegration, UnprivilegedUserMutationsAndGovernanceCallsAre403) {
  create_database("hr");
  create_table("hr", employees_table());
  Client& nobody = create_user("nobody");
  create_user("other");

  const Reply db = nobody.call("POST", "/v1/databases", json{{"name", "mine"}});
  expect_error(db, 403, "AccessDenied");
  EXPECT_TRUE(db.mentions("CREATE_DATABASE")) << db;
  const Reply table =
      nobody.call("POST", "/v1/databases/hr/tables", table_json("t", json::array({column("a", "int")})));
  expect_error(table, 403, "AccessDenied");
  EXPECT_TRUE(table.mentions("CREATE_TABLE")) << table;
  expect_error(nobody.call("DELETE", "/v1/databases/hr"), 403, "AccessDenied");

  // GR1: no grant option, no grant (to itself or anyone).
  expect_error(nobody.call("POST", "/v1/permissions/grant",
                           grant_request("user:nobody", database_resource("hr"), {"CREATE_TABLE"})),
               403, "AccessDenied");
  expect_error(nobody.call("POST", "/v1/permissions/grant",
                           grant_request("user:other", catalog_resource(), {"CREATE_DATABASE"})),
               403, "AccessDenied");
  // On a table it cannot see, a grant must not reveal that the table exists (C4).
  const Reply on_hidden =
      nobody.call("POST", "/v1/permissions/grant",
                  grant_request("user:nobody", table_resource("hr", "employees"), {"SELECT"}));
  const Reply on_missing =
      nobody.call("POST", "/v1/permissions/grant",
                  grant_request("user:nobody", table_resource("hr", "notable"), {"SELECT"}));
  EXPECT_TRUE(on_hidden.status == 403 || on_hidden.status == 404) << on_hidden;
  expect_indistinguishable(on_hidden, "employees", on_missing, "notable");
  expect_error(nobody.call("POST", "/v1/permissions/revoke",
                           grant_request("user:nobody", database_resource("hr"), {"CREATE_TABLE"})),
               403, "AccessDenied");

  // Administrator-only governance.
  expect_error(nobody.call("GET", "/v1/audit"), 403, "AccessDenied");
  expect_error(nobody.call("GET", "/v1/audit/verify"), 403, "AccessDenied");
  expect_error(nobody.call("POST", "/v1/tags", json{{"key", "pii"}, {"values", {"email"}}}), 403,
               "AccessDenied");
  expect_error(nobody.call("POST", "/v1/locations", json{{"uri", "s3://lake/secure/"}}), 403, "AccessDenied");
  // Explain of a table the caller cannot see: the table is missing to it (C4), whoever it asks about.
  expect_error(
      nobody.call("GET", table_path("hr", "employees") + "/explain?" + query({{"principal", "user:other"}})),
      404, "NotFound");
  expect_error(
      nobody.call("GET", table_path("hr", "employees") + "/explain?" + query({{"principal", "user:admin"}})),
      404, "NotFound");
}

TEST_P(GovernanceIntegration, InvalidGrantsAre400NamingTheField) {
  create_database("v");
  create_table("v", table_json("t", json::array({column("id", "bigint"), column("email", "string")})));
  create_user("val");
  struct Case {
    json request;
    std::string
        field;  ///< the body key the error must name (docs/authorization.md §2 and the routes' contract)
  };
  const std::vector<Case> cases = {
      // Permissions not valid on the resource kind: "a 400 naming permissions".
      {grant_request("user:val", database_resource("v"), {"SELECT"}), "permissions"},
      {grant_request("user:val", columns_resource("v", "t", {"id"}), {"ALTER"}), "permissions"},
      {grant_request("user:val", catalog_resource(), {"DROP"}), "permissions"},
      // grantable ⊄ permissions.
      {grant_request("user:val", table_resource("v", "t"), {"SELECT"}, {"DROP"}), "grantable"},
  };
  for (const Case& c : cases) {
    const Reply r = admin_->call("POST", "/v1/permissions/grant", c.request);
    expect_error(r, 400, "InvalidArgument");
    EXPECT_TRUE(r.mentions(c.field)) << r;
    EXPECT_EQ(r.js()["error"].value("field", ""), c.field)
        << "DISCREPANCY: the error's field should be the body key \"" << c.field << "\": " << r;
  }
  // Checked against the table: unknown columns and masks that do not fit the column's type.
  const Reply unknown =
      admin_->call("POST", "/v1/permissions/grant",
                   grant_request("user:val", columns_resource("v", "t", {"nope"}), {"SELECT"}));
  expect_error(unknown, 400, "InvalidArgument");
  EXPECT_TRUE(unknown.mentions("nope")) << unknown;
  const Reply bad_mask = admin_->call(
      "POST", "/v1/permissions/grant",
      grant_request("user:val", table_resource("v", "t"), {"SELECT"}, {}, json{{"id", "year_only"}}));
  expect_error(bad_mask, 400, "InvalidArgument");
  EXPECT_TRUE(bad_mask.mentions("id")) << bad_mask;
  // A grantee that does not exist.
  expect_error(admin_->call("POST", "/v1/permissions/grant",
                            grant_request("user:ghost", table_resource("v", "t"), {"SELECT"})),
               404, "NotFound", "principal");
  // Nothing of the above was stored.
  const Reply grants = admin_->call("GET", "/v1/permissions?" + query({{"principal", "user:val"}}));
  ASSERT_EQ(grants.status, 200) << grants;
  EXPECT_EQ(grants.js()["items"], json::array()) << grants;
}

TEST_P(GovernanceIntegration, ExplainOfItselfOnAHiddenTableLooksLikeAMissingTable) {
  // C4 says a hidden table is indistinguishable from a missing one; explain is allowed for "the principal
  // asking about itself", which must not become a way to list a hidden table's columns.
  create_database("hr");
  create_table("hr", employees_table());
  Client& nobody = create_user("nobody");
  const Reply hidden = nobody.call("GET", table_path("hr", "employees") + "/explain");
  const Reply missing = nobody.call("GET", table_path("hr", "notable") + "/explain");
  EXPECT_EQ(hidden.status, 404)
      << "DISCREPANCY (C4): explain of itself on an invisible table answers instead of "
         "404, revealing that it exists and its columns:\n"
      << hidden << "\nmissing table: " << missing;
  EXPECT_FALSE(hidden.mentions("salary")) << "DISCREPANCY (C4): hidden column names leak through explain:\n"
                                          << hidden;
  if (hidden.status == 404) expect_indistinguishable(hidden, "employees", missing, "notable");
}

// =====================================================================================================
// Journey 3: column exclusion.
// =====================================================================================================

TEST_P(GovernanceIntegration, Journey3ExcludedColumnsAreInvisibleEverywhere) {
  create_database("hr");
  create_table("hr", employees_table());
  Client& analyst = create_user("analyst");
  const json g = grant(grant_request(
      "user:analyst", all_but_resource("hr", "employees", {"salary", "phone_number"}), {"SELECT"}));
  EXPECT_EQ(g["principal"], arn("user", "analyst")) << g;
  const Strings visible = {"employee_id", "full_name", "department", "country"};

  const Reply got = analyst.call("GET", table_path("hr", "employees"));
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(column_names(got.js()), visible) << got;
  EXPECT_FALSE(got.mentions("salary")) << got;
  EXPECT_FALSE(got.mentions("phone_number")) << got;

  const Reply list = analyst.call("GET", "/v1/databases/hr/tables");
  ASSERT_EQ(list.status, 200) << list;
  ASSERT_EQ(list.js()["tables"].size(), 1u) << list;
  EXPECT_EQ(list.js()["tables"][0]["name"], "employees");
  EXPECT_EQ(column_names(list.js()["tables"][0]), visible) << list;
  EXPECT_FALSE(list.mentions("salary")) << list;
  EXPECT_FALSE(list.mentions("phone_number")) << list;

  const Reply versions = analyst.call("GET", table_path("hr", "employees") + "/versions");
  ASSERT_EQ(versions.status, 200) << versions;
  EXPECT_FALSE(versions.mentions("salary")) << versions;
  const Reply v1 = analyst.call("GET", table_path("hr", "employees") + "/versions/1");
  ASSERT_EQ(v1.status, 200) << v1;
  EXPECT_FALSE(v1.mentions("salary")) << v1;

  // The database is visible through the table grant (C3).
  const Reply dbs = analyst.call("GET", "/v1/databases");
  ASSERT_EQ(dbs.status, 200) << dbs;
  ASSERT_EQ(dbs.js()["databases"].size(), 1u) << dbs;
  EXPECT_EQ(dbs.js()["databases"][0]["name"], "hr");

  // The engine resolving the table as the analyst gets every other column and nothing about the two.
  const Reply access = analyst.call("GET", table_path("hr", "employees") + "/access");
  ASSERT_EQ(access.status, 200) << access;
  EXPECT_EQ(access_column_names(access.js()), visible) << access;
  EXPECT_EQ(access.js()["all_rows"], true) << access;
  EXPECT_TRUE(access.js()["row_filter"].is_null()) << access;
  EXPECT_TRUE(holds(access.js()["permissions"], "SELECT")) << access;
  EXPECT_FALSE(access.mentions("salary")) << access;
  EXPECT_FALSE(access.mentions("phone_number")) << access;

  // Partitions (S6: column SELECT gives table-level SELECT) without the hidden columns.
  const Reply parts = analyst.call("GET", table_path("hr", "employees") + "/partitions");
  EXPECT_EQ(parts.status, 200) << parts;

  // SR1: search never matches on a hidden column (name or comment); the administrator finds it.
  const Reply s_salary = analyst.call("GET", "/v1/search?" + query({{"q", "salary"}}));
  ASSERT_EQ(s_salary.status, 200) << s_salary;
  EXPECT_EQ(s_salary.js()["items"], json::array()) << s_salary;
  const Reply s_number = analyst.call("GET", "/v1/search?" + query({{"q", "number"}}));
  ASSERT_EQ(s_number.status, 200) << s_number;
  EXPECT_EQ(s_number.js()["items"], json::array()) << s_number;
  const Reply admin_salary = admin_->call("GET", "/v1/search?" + query({{"q", "salary"}}));
  ASSERT_EQ(admin_salary.status, 200) << admin_salary;
  EXPECT_EQ(search_hits(admin_salary), (std::set<std::pair<std::string, std::string>>{{"hr", "employees"}}))
      << admin_salary;
  EXPECT_TRUE(holds(admin_salary.js()["items"][0]["matched"], "column:salary")) << admin_salary;

  // A visible column matches; the hit carries only visible columns.
  const Reply s_name = analyst.call("GET", "/v1/search?" + query({{"q", "name"}}));
  ASSERT_EQ(s_name.status, 200) << s_name;
  ASSERT_EQ(search_hits(s_name), (std::set<std::pair<std::string, std::string>>{{"hr", "employees"}}))
      << s_name;
  const json hit = s_name.js()["items"][0];
  EXPECT_EQ(hit["matched"], json::array({"column:full_name"})) << s_name;
  ASSERT_EQ(hit["columns"].size(), 1u) << s_name;
  EXPECT_EQ(hit["columns"][0]["name"], "full_name") << s_name;
  EXPECT_FALSE(s_name.mentions("salary")) << s_name;
  EXPECT_FALSE(s_name.mentions("phone_number")) << s_name;
  // A match on the table name returns no hidden column either.
  const Reply s_table = analyst.call("GET", "/v1/search?" + query({{"q", "employees"}}));
  ASSERT_EQ(s_table.status, 200) << s_table;
  EXPECT_EQ(search_hits(s_table), (std::set<std::pair<std::string, std::string>>{{"hr", "employees"}}))
      << s_table;
  EXPECT_FALSE(s_table.mentions("salary")) << s_table;

  // V1: a whole-table DESCRIBE shows the full schema (but no data access beyond the column grant).
  Client& steward = create_user("steward");
  grant(grant_request("user:steward", table_resource("hr", "employees"), {"DESCRIBE"}));
  const Reply described = steward.call("GET", table_path("hr", "employees"));
  ASSERT_EQ(described.status, 200) << described;
  EXPECT_TRUE(described.mentions("salary")) << described;
  const Reply steward_parts = steward.call("GET", table_path("hr", "employees") + "/partitions");
  // The table is visible to the steward, so the refusal is a 403 naming SELECT (authorization.md §6).
  EXPECT_EQ(steward_parts.status, 403)
      << "S6: listing partitions needs table-level SELECT, DESCRIBE is not enough: " << steward_parts;
  EXPECT_TRUE(steward_parts.mentions("SELECT")) << steward_parts;
}

// =====================================================================================================
// Journey 4: data cells filters, union with an all-rows grant, cell filters.
// =====================================================================================================

TEST_P(GovernanceIntegration, Journey4DataCellsFilterThenAllRowsGrantWins) {
  create_database("sales");
  create_table("sales", customers_table());
  create_user("erika");
  create_group("emea_analysts", {"erika"});
  create_filter("sales", "customers",
                json{{"name", "de_customers"},
                     {"row_filter", "country = 'DE'"},
                     {"column_wildcard", true},
                     {"excluded_columns", {"customer_name"}}});
  grant(grant_request("group:emea_analysts", filter_resource("sales", "customers", "de_customers"),
                      {"SELECT"}));

  // A member resolves the table: the row filter and the columns to enforce.
  const Reply a1 = as("erika").call("GET", table_path("sales", "customers") + "/access");
  ASSERT_EQ(a1.status, 200) << a1;
  const json j1 = a1.js();
  EXPECT_EQ(access_column_names(j1), (Strings{"customer_id", "email", "amount", "country"})) << a1;
  EXPECT_EQ(j1["all_rows"], false) << a1;
  ASSERT_TRUE(j1["row_filter"].is_string()) << a1;
  EXPECT_NE(j1["row_filter"].get<std::string>().find("country"), std::string::npos) << a1;
  EXPECT_NE(j1["row_filter"].get<std::string>().find("'DE'"), std::string::npos) << a1;
  EXPECT_TRUE(j1["row_filter_sql"].is_string()) << a1;
  for (const auto& c : j1["columns"]) EXPECT_TRUE(c["cell_filter"].is_null()) << c;
  EXPECT_TRUE(holds(j1["permissions"], "SELECT")) << a1;
  EXPECT_TRUE(holds(j1["deciding_ids"], "filter:sales.customers.de_customers")) << a1;
  EXPECT_FALSE(a1.mentions("customer_name")) << a1;
  const Reply t1 = as("erika").call("GET", table_path("sales", "customers"));
  ASSERT_EQ(t1.status, 200) << t1;
  EXPECT_EQ(column_names(t1.js()), (Strings{"customer_id", "email", "amount", "country"})) << t1;

  // S2/S3: an all-rows grant of some columns to the same user: no row filter any more; the columns only the
  // filter gives keep the filter as their cell filter.
  grant(grant_request("user:erika", columns_resource("sales", "customers", {"customer_id", "country"}),
                      {"SELECT"}));
  const Reply a2 = as("erika").call("GET", table_path("sales", "customers") + "/access");
  ASSERT_EQ(a2.status, 200) << a2;
  const json j2 = a2.js();
  EXPECT_EQ(access_column_names(j2), (Strings{"customer_id", "email", "amount", "country"})) << a2;
  EXPECT_EQ(j2["all_rows"], true) << a2;
  EXPECT_TRUE(j2["row_filter"].is_null()) << a2;
  EXPECT_TRUE(j2["row_filter_sql"].is_null()) << a2;
  for (const char* name : {"customer_id", "country"}) {
    EXPECT_TRUE(access_column(j2, name)["cell_filter"].is_null()) << name << ": " << a2;
  }
  for (const char* name : {"email", "amount"}) {
    const json c = access_column(j2, name);
    ASSERT_TRUE(c["cell_filter"].is_string()) << name << ": " << a2;
    EXPECT_NE(c["cell_filter"].get<std::string>().find("'DE'"), std::string::npos) << c;
    EXPECT_TRUE(c["cell_filter_sql"].is_string()) << c;
  }
  EXPECT_FALSE(a2.mentions("customer_name")) << a2;

  // An all-rows TABLE grant: every column, all rows, no cell filter.
  grant(grant_request("user:erika", table_resource("sales", "customers"), {"SELECT"}));
  const Reply a3 = as("erika").call("GET", table_path("sales", "customers") + "/access");
  ASSERT_EQ(a3.status, 200) << a3;
  const json j3 = a3.js();
  EXPECT_EQ(access_column_names(j3), (Strings{"customer_id", "customer_name", "email", "amount", "country"}))
      << a3;
  EXPECT_EQ(j3["all_rows"], true) << a3;
  EXPECT_TRUE(j3["row_filter"].is_null()) << a3;
  for (const auto& c : j3["columns"]) EXPECT_TRUE(c["cell_filter"].is_null()) << c;

  // Another member of the group still gets only the filter.
  create_user("otto");
  ASSERT_EQ(admin_->call("PUT", "/v1/groups/emea_analysts/members/otto").status, 204);
  const Reply a4 = as("otto").call("GET", table_path("sales", "customers") + "/access");
  ASSERT_EQ(a4.status, 200) << a4;
  EXPECT_EQ(a4.js()["all_rows"], false) << a4;
  EXPECT_FALSE(a4.mentions("customer_name")) << a4;
}

// =====================================================================================================
// Masks (S4).
// =====================================================================================================

TEST_P(GovernanceIntegration, MasksUnmaskedWinsThenTheMoreRevealingMask) {
  create_database("crm");
  create_table("crm", table_json("people", json::array({column("id", "bigint"), column("email", "string"),
                                                        column("phone", "string"), column("ssn", "string"),
                                                        column("birth_date", "date")})));
  create_user("mia");
  grant(grant_request("user:mia", columns_resource("crm", "people", {"id", "email"}), {"SELECT"}, {},
                      json{{"email", "hash_sha256"}}));
  const Reply masked = as("mia").call("GET", table_path("crm", "people") + "/access");
  ASSERT_EQ(masked.status, 200) << masked;
  const json email = access_column(masked.js(), "email");
  ASSERT_TRUE(email["mask"].is_object()) << masked;
  EXPECT_EQ(email["mask"]["type"], "hash_sha256") << masked;
  EXPECT_TRUE(email["mask_sql"].is_string()) << masked;
  EXPECT_TRUE(access_column(masked.js(), "id")["mask"].is_null()) << masked;
  // V1: table metadata marks the masked column in its parameters.
  const Reply meta = as("mia").call("GET", table_path("crm", "people"));
  ASSERT_EQ(meta.status, 200) << meta;
  bool marked = false;
  const json meta_json = meta.js();
  for (const auto& c : meta_json["storage_descriptor"]["columns"]) {
    if (c["name"] != "email") continue;
    for (const auto& [k, v] : c["parameters"].items()) {
      marked = marked || (k.find("mask") != std::string::npos && v == "hash_sha256");
    }
  }
  EXPECT_TRUE(marked) << "V1: the masked column's parameters name its mask: " << meta;

  // S4: another grant showing email unmasked wins.
  grant(grant_request("user:mia", columns_resource("crm", "people", {"email"}), {"SELECT"}));
  const Reply unmasked = as("mia").call("GET", table_path("crm", "people") + "/access");
  ASSERT_EQ(unmasked.status, 200) << unmasked;
  const json email2 = access_column(unmasked.js(), "email");
  EXPECT_TRUE(email2["mask"].is_null()) << unmasked;
  EXPECT_TRUE(email2["mask_sql"].is_null()) << unmasked;

  // Two masks: the more revealing wins (null < redact < hash_sha256 < year_only < show_last(n)).
  create_user("max");
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> pairs = {
      {"phone", "null", "show_last(4)", "show_last"},
      {"ssn", "hash_sha256", "redact", "hash_sha256"},
      {"birth_date", "year_only", "null", "year_only"},
  };
  for (const auto& [col, first, second, winner] : pairs) {
    grant(grant_request("user:max", columns_resource("crm", "people", {col}), {"SELECT"}, {},
                        json{{col, first}}));
    grant(grant_request("user:max", columns_resource("crm", "people", {col}), {"SELECT"}, {},
                        json{{col, second}}));
  }
  const Reply two = as("max").call("GET", table_path("crm", "people") + "/access");
  ASSERT_EQ(two.status, 200) << two;
  EXPECT_EQ(access_column_names(two.js()), (Strings{"phone", "ssn", "birth_date"})) << two;
  for (const auto& [col, first, second, winner] : pairs) {
    const json c = access_column(two.js(), col);
    ASSERT_TRUE(c["mask"].is_object()) << col << ": " << two;
    EXPECT_EQ(c["mask"]["type"], winner) << col << ": " << two;
  }
  EXPECT_EQ(access_column(two.js(), "phone")["mask"]["n"], 4) << two;
  // Two show_last masks: the larger n reveals more.
  grant(grant_request("user:max", columns_resource("crm", "people", {"phone"}), {"SELECT"}, {},
                      json{{"phone", "show_last(6)"}}));
  const Reply three = as("max").call("GET", table_path("crm", "people") + "/access");
  EXPECT_EQ(access_column(three.js(), "phone")["mask"]["spec"], "show_last(6)") << three;

  // A mask that cannot apply to the column's type is a 400.
  const Reply bad = admin_->call("POST", "/v1/permissions/grant",
                                 grant_request("user:max", columns_resource("crm", "people", {"id"}),
                                               {"SELECT"}, {}, json{{"id", "year_only"}}));
  EXPECT_EQ(bad.status, 400) << bad;
}

// =====================================================================================================
// Tag policies: journey 2 without the crawler (TG4).
// =====================================================================================================

TEST_P(GovernanceIntegration, TagPolicyCoversTablesCreatedAfterTheGrantAndRetaggingUncoversAtOnce) {
  create_tag_key("sensitivity", {"low", "high"});
  create_database("lake");
  assign_tag("lake", "sensitivity", "low");
  Client& ana = create_user("ana");
  grant(grant_request("user:ana", tag_policy_resource("TABLE", "sensitivity", {"low"}), {"SELECT"}));

  // Created after the grant: covered at once.
  create_table("lake", table_json("contacts", json::array({column("id", "bigint"), column("name", "string"),
                                                           column("email", "string")})));
  const Reply before = ana.call("GET", table_path("lake", "contacts"));
  ASSERT_EQ(before.status, 200) << before;
  EXPECT_EQ(column_names(before.js()), (Strings{"id", "name", "email"})) << before;

  // The crawler's job: email is sensitivity=high. The column disappears at once, the table stays.
  assign_tag("lake/tables/contacts/columns/email", "sensitivity", "high");
  const Reply after = ana.call("GET", table_path("lake", "contacts"));
  ASSERT_EQ(after.status, 200) << after;
  EXPECT_EQ(column_names(after.js()), (Strings{"id", "name"})) << after;
  EXPECT_FALSE(after.mentions("email")) << after;
  const Reply access = ana.call("GET", table_path("lake", "contacts") + "/access");
  ASSERT_EQ(access.status, 200) << access;
  EXPECT_EQ(access_column_names(access.js()), (Strings{"id", "name"})) << access;
  const Reply search = ana.call("GET", "/v1/search?" + query({{"q", "email"}}));
  ASSERT_EQ(search.status, 200) << search;
  EXPECT_EQ(search.js()["items"], json::array()) << search;

  // Another table created now: visible at once, without the need of any new grant.
  create_table("lake", table_json("events", json::array({column("id", "bigint"), column("kind", "string")})));
  const Reply events = ana.call("GET", table_path("lake", "events"));
  EXPECT_EQ(events.status, 200) << events;

  // Re-tagging the table high: it disappears at once (TG4) and looks missing (C4).
  assign_tag("lake/tables/contacts", "sensitivity", "high");
  const Reply gone = ana.call("GET", table_path("lake", "contacts"));
  expect_error(gone, 404, "NotFound");
  expect_indistinguishable(gone, "contacts", ana.call("GET", table_path("lake", "nothing")), "nothing");
  const Reply list = ana.call("GET", "/v1/databases/lake/tables");
  ASSERT_EQ(list.status, 200) << list;
  std::set<std::string> names;
  const json list_json = list.js();
  for (const auto& t : list_json["tables"]) names.insert(t.value("name", ""));
  EXPECT_EQ(names, (std::set<std::string>{"events"})) << list;
  expect_error(ana.call("GET", table_path("lake", "contacts") + "/access"), 404, "NotFound");

  // Removing the table's own tag brings back the inherited low: visible again, still without email.
  ASSERT_EQ(admin_->call("DELETE", "/v1/databases/lake/tables/contacts/tags/sensitivity").status, 204);
  const Reply back = ana.call("GET", table_path("lake", "contacts"));
  ASSERT_EQ(back.status, 200) << back;
  EXPECT_EQ(column_names(back.js()), (Strings{"id", "name"})) << back;
}

// =====================================================================================================
// Partition pruning (S5).
// =====================================================================================================

TEST_P(GovernanceIntegration, PartitionListingIsPrunedByAPartitionKeyFilter) {
  create_database("shop");
  create_table(
      "shop",
      table_json("orders", json::array({column("order_id", "bigint"), column("amount", "double")}),
                 json::array({column("country", "string"), column("day", "string")}), "s3://lake/orders/"));
  const std::vector<Strings> all = {
      {"DE", "2024-01-01"}, {"DE", "2024-01-02"}, {"FR", "2024-01-01"}, {"US", "2024-01-02"}};
  json parts = json::array();
  for (const auto& v : all) parts.push_back(json{{"values", v}});
  const Reply created =
      admin_->call("POST", table_path("shop", "orders") + "/partitions", json{{"partitions", parts}});
  ASSERT_EQ(created.status, 200) << created;
  create_filter("shop", "orders",
                json{{"name", "de_only"}, {"row_filter", "country = 'DE'"}, {"column_wildcard", true}});
  Client& pat = create_user("pat");
  grant(grant_request("user:pat", filter_resource("shop", "orders", "de_only"), {"SELECT"}));
  const std::string base = table_path("shop", "orders") + "/partitions";

  const Reply listed = pat.call("GET", base);
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(partition_values(listed), (std::set<Strings>{{"DE", "2024-01-01"}, {"DE", "2024-01-02"}}))
      << listed;
  // The caller's own filter is ANDed.
  const Reply day = pat.call("GET", base + "?" + query({{"filter", "day = '2024-01-02'"}}));
  ASSERT_EQ(day.status, 200) << day;
  EXPECT_EQ(partition_values(day), (std::set<Strings>{{"DE", "2024-01-02"}})) << day;
  const Reply fr = pat.call("GET", base + "?" + query({{"filter", "country = 'FR'"}}));
  ASSERT_EQ(fr.status, 200) << fr;
  EXPECT_EQ(partition_values(fr), std::set<Strings>{}) << fr;
  const Reply either =
      pat.call("GET", base + "?" + query({{"filter", "country = 'FR' OR day = '2024-01-01'"}}));
  ASSERT_EQ(either.status, 200) << either;
  EXPECT_EQ(partition_values(either), (std::set<Strings>{{"DE", "2024-01-01"}})) << either;

  // Batch-get and get of a pruned partition find nothing.
  const Reply batch = pat.call(
      "POST", base + "/batch-get",
      json{{"values", json::array({json::array({"FR", "2024-01-01"}), json::array({"DE", "2024-01-01"}),
                                   json::array({"US", "2024-01-02"})})}});
  ASSERT_EQ(batch.status, 200) << batch;
  EXPECT_EQ(partition_values(batch), (std::set<Strings>{{"DE", "2024-01-01"}})) << batch;
  const Reply one_fr = pat.call("GET", base + "/FR/2024-01-01");
  expect_error(one_fr, 404, "NotFound");
  expect_indistinguishable(one_fr, "FR", pat.call("GET", base + "/XX/2024-01-01"), "XX");
  EXPECT_EQ(pat.call("GET", base + "/DE/2024-01-01").status, 200);

  const Reply access = pat.call("GET", table_path("shop", "orders") + "/access");
  ASSERT_EQ(access.status, 200) << access;
  EXPECT_TRUE(access.js()["partition_filter"].is_string()) << access;

  // The administrator sees every partition.
  EXPECT_EQ(partition_values(admin_->call("GET", base)).size(), 4u);

  // A filter on a data column prunes nothing (rows are the engine's to filter).
  create_filter("shop", "orders",
                json{{"name", "big"}, {"row_filter", "amount > 10"}, {"column_wildcard", true}});
  Client& quinn = create_user("quinn");
  grant(grant_request("user:quinn", filter_resource("shop", "orders", "big"), {"SELECT"}));
  const Reply unpruned = quinn.call("GET", base);
  ASSERT_EQ(unpruned.status, 200) << unpruned;
  EXPECT_EQ(partition_values(unpruned).size(), 4u) << unpruned;
  // A partition-key filter ORed with a data-column filter (S5: not every source is partition-only): no
  // pruning.
  grant(grant_request("user:quinn", filter_resource("shop", "orders", "de_only"), {"SELECT"}));
  const Reply mixed = quinn.call("GET", base);
  ASSERT_EQ(mixed.status, 200) << mixed;
  EXPECT_EQ(partition_values(mixed).size(), 4u) << mixed;
}

// =====================================================================================================
// Time-bound grants (T1).
// =====================================================================================================

TEST_P(GovernanceIntegration, ExpiredGrantStopsCountingAtOnceWithoutCleanUp) {
  create_database("tb");
  create_table("tb", table_json("timed", json::array({column("a", "int")})));
  Client& tim = create_user("tim");
  const auto expires = std::chrono::system_clock::now() + std::chrono::seconds(2);
  json request = grant_request("user:tim", table_resource("tb", "timed"), {"SELECT"});
  request["expires_at"] = rfc3339(expires);
  const json g = grant(request);
  EXPECT_EQ(g["expires_at"], rfc3339(expires)) << g;
  EXPECT_EQ(g["expired"], false) << g;
  const std::string grant_id = "grant:" + g["id"].dump();

  const Reply visible = tim.call("GET", table_path("tb", "timed"));
  ASSERT_EQ(visible.status, 200) << visible;
  ASSERT_LT(std::chrono::system_clock::now(), expires) << "the machine is too slow for this test";

  std::this_thread::sleep_until(expires + std::chrono::milliseconds(50));
  const Reply gone = tim.call("GET", table_path("tb", "timed"));
  expect_error(gone, 404, "NotFound");
  expect_indistinguishable(gone, "timed", tim.call("GET", table_path("tb", "nothing")), "nothing");
  expect_error(tim.call("GET", table_path("tb", "timed") + "/access"), 404, "NotFound");
  const Reply dbs = tim.call("GET", "/v1/databases");
  ASSERT_EQ(dbs.status, 200) << dbs;
  EXPECT_EQ(dbs.js()["databases"], json::array()) << dbs;

  // No clean-up: the grant is still stored, marked expired.
  const Reply listed = admin_->call("GET", "/v1/permissions?" + query({{"principal", "user:tim"}}));
  ASSERT_EQ(listed.status, 200) << listed;
  ASSERT_EQ(listed.js()["items"].size(), 1u) << listed;
  EXPECT_EQ(listed.js()["items"][0]["id"], g["id"]) << listed;
  EXPECT_EQ(listed.js()["items"][0]["expired"], true) << listed;

  // Explain lists it as expired:grant:<id> (docs/authorization.md, "Time-bound grants").
  const Reply ex =
      admin_->call("GET", table_path("tb", "timed") + "/explain?" + query({{"principal", "user:tim"}}));
  ASSERT_EQ(ex.status, 200) << ex;
  EXPECT_TRUE(ex.mentions("\"expired:" + grant_id + "\""))
      << "DISCREPANCY (T1): explain should list the expired grant as expired:" << grant_id << ": " << ex;
}

// =====================================================================================================
// Mutations: CREATE_TABLE, ALTER, DROP, DATA_LOCATION_ACCESS (L1).
// =====================================================================================================

TEST_P(GovernanceIntegration, MutationsNeedTheirPermissions) {
  create_database("dw");
  create_table("dw",
               table_json("base", json::array({column("a", "int")}), json::array(), "s3://lake/dw/base/"));
  Client& dev = create_user("dev");
  const json t2 = table_json("t2", json::array({column("a", "int")}), json::array(), "s3://lake/dw/t2/");

  const Reply denied = dev.call("POST", "/v1/databases/dw/tables", t2);
  expect_error(denied, 403, "AccessDenied");
  EXPECT_TRUE(denied.mentions("CREATE_TABLE")) << denied;
  grant(grant_request("user:dev", database_resource("dw"), {"CREATE_TABLE"}));
  const Reply created = dev.call("POST", "/v1/databases/dw/tables", t2);
  EXPECT_EQ(created.status, 201) << created;
  // R3: a database grant gives nothing on its tables.
  expect_error(dev.call("GET", table_path("dw", "base")), 404, "NotFound");

  // ALTER for update, DROP for delete (403 naming the permission once the table is visible).
  json changed = table_json("base", json::array({column("a", "int")}), json::array(), "s3://lake/dw/base/");
  changed["description"] = "changed by dev";
  expect_error(dev.call("PUT", table_path("dw", "base"), changed), 404, "NotFound");
  grant(grant_request("user:dev", table_resource("dw", "base"), {"SELECT"}));
  const Reply no_alter = dev.call("PUT", table_path("dw", "base"), changed);
  expect_error(no_alter, 403, "AccessDenied");
  EXPECT_TRUE(no_alter.mentions("ALTER")) << no_alter;
  grant(grant_request("user:dev", table_resource("dw", "base"), {"ALTER"}));
  const Reply altered = dev.call("PUT", table_path("dw", "base"), changed);
  ASSERT_EQ(altered.status, 200) << altered;
  EXPECT_EQ(altered.js()["description"], "changed by dev");
  const Reply no_drop = dev.call("DELETE", table_path("dw", "base"));
  expect_error(no_drop, 403, "AccessDenied");
  EXPECT_TRUE(no_drop.mentions("DROP")) << no_drop;
  grant(grant_request("user:dev", table_resource("dw", "base"), {"DROP"}));
  EXPECT_EQ(dev.call("DELETE", table_path("dw", "base")).status, 204);
  expect_error(admin_->call("GET", table_path("dw", "base")), 404, "NotFound");

  // L1: a table under a registered location also needs DATA_LOCATION_ACCESS on it.
  const Reply loc = admin_->call("POST", "/v1/locations", json{{"uri", "s3://secure/data/"}});
  ASSERT_EQ(loc.status, 201) << loc;
  const json t3 = table_json("t3", json::array({column("a", "int")}), json::array(), "s3://secure/data/t3/");
  const Reply no_location = dev.call("POST", "/v1/databases/dw/tables", t3);
  expect_error(no_location, 403, "AccessDenied");
  EXPECT_TRUE(no_location.mentions("DATA_LOCATION_ACCESS")) << no_location;
  EXPECT_TRUE(no_location.mentions("s3://secure/data")) << no_location;
  // Outside the registered prefix (on a path boundary) no location permission is needed.
  const Reply outside = dev.call(
      "POST", "/v1/databases/dw/tables",
      table_json("t4", json::array({column("a", "int")}), json::array(), "s3://secure/database/t4/"));
  EXPECT_EQ(outside.status, 201) << outside;
  // Update to a new location under it: L1 as well.
  grant(grant_request("user:dev", table_resource("dw", "t2"), {"ALTER"}));
  json moved = t2;
  moved["storage_descriptor"]["location"] = "s3://secure/data/t2/";
  const Reply move_denied = dev.call("PUT", table_path("dw", "t2"), moved);
  expect_error(move_denied, 403, "AccessDenied");
  EXPECT_TRUE(move_denied.mentions("s3://secure/data")) << move_denied;

  grant(grant_request("user:dev", location_resource("s3://secure/data/"), {"DATA_LOCATION_ACCESS"}));
  EXPECT_EQ(dev.call("POST", "/v1/databases/dw/tables", t3).status, 201);
  EXPECT_EQ(dev.call("PUT", table_path("dw", "t2"), moved).status, 200);
}

// =====================================================================================================
// Grant option (GR1).
// =====================================================================================================

TEST_P(GovernanceIntegration, GrantOptionLetsAUserGrantWhatItHoldsGrantable) {
  create_database("g");
  create_table("g", table_json("t", json::array({column("a", "int"), column("b", "string")})));
  Client& gus = create_user("gus");
  Client& hal = create_user("hal");
  Client& ivy = create_user("ivy");
  grant(grant_request("user:gus", table_resource("g", "t"), {"SELECT"}, {"SELECT"}));
  grant(grant_request("user:ivy", table_resource("g", "t"), {"SELECT"}));

  // Without grant option: 403.
  const Reply ivy_grants = ivy.call("POST", "/v1/permissions/grant",
                                    grant_request("user:hal", table_resource("g", "t"), {"SELECT"}));
  expect_error(ivy_grants, 403, "AccessDenied");
  EXPECT_TRUE(ivy_grants.mentions("SELECT")) << ivy_grants;
  expect_error(hal.call("GET", table_path("g", "t")), 404, "NotFound");
  // With it: 200, and the grantee sees the table.
  const Reply gus_grants = gus.call("POST", "/v1/permissions/grant",
                                    grant_request("user:hal", table_resource("g", "t"), {"SELECT"}));
  ASSERT_EQ(gus_grants.status, 200) << gus_grants;
  EXPECT_EQ(gus_grants.js()["granted_by"], arn("user", "gus")) << gus_grants;
  EXPECT_EQ(hal.call("GET", table_path("g", "t")).status, 200);
  // Column SELECT needs grantable SELECT on the table: gus has it.
  const Reply columns = gus.call("POST", "/v1/permissions/grant",
                                 grant_request("user:ivy", columns_resource("g", "t", {"a"}), {"SELECT"}));
  EXPECT_EQ(columns.status, 200) << columns;
  // Not what gus holds grantable: ALTER on the table, anything on the database.
  const Reply alter = gus.call("POST", "/v1/permissions/grant",
                               grant_request("user:hal", table_resource("g", "t"), {"ALTER"}));
  expect_error(alter, 403, "AccessDenied");
  EXPECT_TRUE(alter.mentions("ALTER")) << alter;
  expect_error(gus.call("POST", "/v1/permissions/grant",
                        grant_request("user:hal", database_resource("g"), {"CREATE_TABLE"})),
               403, "AccessDenied");
  // A revoke needs the grant option too.
  expect_error(ivy.call("POST", "/v1/permissions/revoke",
                        grant_request("user:hal", table_resource("g", "t"), {"SELECT"})),
               403, "AccessDenied");

  // grantable ⊄ permissions: 400 naming grantable (also for an administrator).
  const Reply bad =
      admin_->call("POST", "/v1/permissions/grant",
                   grant_request("user:hal", table_resource("g", "t"), {"SELECT"}, {"SELECT", "ALTER"}));
  expect_error(bad, 400, "InvalidArgument");
  EXPECT_TRUE(bad.mentions("grantable")) << bad;
  EXPECT_EQ(bad.js()["error"].value("field", ""), "grantable")
      << "DISCREPANCY: the error's field should name the body key \"grantable\": " << bad;
  const Reply bad_gus =
      gus.call("POST", "/v1/permissions/grant",
               grant_request("user:hal", table_resource("g", "t"), {"SELECT"}, {"SELECT", "ALTER"}));
  expect_error(bad_gus, 400, "InvalidArgument");
  EXPECT_EQ(bad_gus.js()["error"].value("field", ""), "grantable")
      << "DISCREPANCY: the error's field should name the body key \"grantable\": " << bad_gus;
}

// =====================================================================================================
// Explain (journey 6).
// =====================================================================================================

TEST_P(GovernanceIntegration, Journey6ExplainNamesTheDecidingTagAndGrant) {
  create_tag_key("sensitivity", {"low", "high"});
  create_database("crm");
  assign_tag("crm", "sensitivity", "low");
  create_table("crm", table_json("customers", json::array({column("id", "bigint"), column("name", "string"),
                                                           column("email", "string")})));
  assign_tag("crm/tables/customers/columns/email", "sensitivity", "high");
  Client& alice = create_user("alice");
  create_user("bob");
  const json g =
      grant(grant_request("user:alice", tag_policy_resource("TABLE", "sensitivity", {"low"}), {"SELECT"}));
  const std::string grant_id = "grant:" + g["id"].dump();

  const Reply r = admin_->call(
      "GET", table_path("crm", "customers") + "/explain?" + query({{"principal", "user:alice"}}));
  ASSERT_EQ(r.status, 200) << r;
  const json ex = r.js();
  EXPECT_EQ(ex["principal"], arn("user", "alice")) << r;
  EXPECT_EQ(ex["database"], "crm");
  EXPECT_EQ(ex["table"], "customers");
  EXPECT_EQ(ex["is_admin"], false);
  EXPECT_TRUE(holds(ex["principals_considered"], arn("user", "alice"))) << r;
  EXPECT_TRUE(holds(ex["principals_considered"], "EVERYONE")) << r;
  std::map<std::string, json> cols;
  for (const auto& c : ex["columns"]) cols[c.value("name", "")] = c;
  ASSERT_EQ(cols.size(), 3u) << r;
  const json& email = cols["email"];
  EXPECT_EQ(email["allowed"], false) << email;
  EXPECT_TRUE(holds(email["deciding_ids"], grant_id)) << email;
  EXPECT_TRUE(holds(email["deciding_ids"], "tag:sensitivity=high@column:email")) << email;
  EXPECT_NE(email.value("reason", "").find("high"), std::string::npos) << email;
  for (const char* name : {"id", "name"}) {
    EXPECT_EQ(cols[name]["allowed"], true) << cols[name];
    EXPECT_TRUE(holds(cols[name]["deciding_ids"], grant_id)) << cols[name];
  }
  bool select_allowed = false;
  for (const auto& p : ex["permissions"]) {
    if (p["permission"] == "SELECT") select_allowed = p["allowed"].get<bool>();
  }
  EXPECT_TRUE(select_allowed) << r;
  bool email_tag = false;
  for (const auto& t : ex["effective_tags"]["columns"]["email"]) {
    email_tag = email_tag || (t["key"] == "sensitivity" && t["value"] == "high" && t["source"] == "column" &&
                              t["inherited"] == false);
  }
  EXPECT_TRUE(email_tag) << r;

  // The principal may explain itself; not another principal.
  const Reply self = alice.call("GET", table_path("crm", "customers") + "/explain");
  EXPECT_EQ(self.status, 200) << self;
  expect_error(
      alice.call("GET", table_path("crm", "customers") + "/explain?" + query({{"principal", "user:bob"}})),
      403, "AccessDenied");
}

// =====================================================================================================
// Audit (journey 7), surviving a clean shutdown.
// =====================================================================================================

TEST_P(GovernanceIntegration, Journey7AuditRecordsAllowAndDenyAndSurvivesACleanShutdown) {
  create_database("crm");
  create_table("crm",
               table_json("customers", json::array({column("id", "bigint"), column("email", "string")})));
  create_user("alice");
  create_user("bob");
  grant(grant_request("user:alice", table_resource("crm", "customers"), {"SELECT"}));

  std::map<std::string, std::string> expected;  // request id -> decision
  std::map<std::string, std::string> who;       // request id -> principal ARN
  auto lookups = [&](int rounds) {
    for (int i = 0; i < rounds; ++i) {
      const Reply allowed = as("alice").call("GET", table_path("crm", "customers"));
      EXPECT_EQ(allowed.status, 200) << allowed;
      expected[allowed.header("x-request-id")] = "allow";
      who[allowed.header("x-request-id")] = arn("user", "alice");
      const Reply denied = as("bob").call("GET", table_path("crm", "customers"));
      EXPECT_EQ(denied.status, 404) << denied;
      expected[denied.header("x-request-id")] = "deny";
      who[denied.header("x-request-id")] = arn("user", "bob");
    }
  };
  auto check_entries = [&](const std::string& when) {
    std::map<std::string, std::vector<json>> by_request;
    for (const json& e : audit_entries("table/crm/customers"))
      by_request[e.value("request_id", "")].push_back(e);
    for (const auto& [id, decision] : expected) {
      ASSERT_FALSE(id.empty()) << "a response without x-request-id";
      const auto it = by_request.find(id);
      ASSERT_NE(it, by_request.end())
          << when << ": no audit entry for request " << id << " (" << decision << ")";
      bool found = false;
      for (const json& e : it->second) {
        found = found || (e.value("decision", "") == decision && e.value("principal", "") == who[id] &&
                          e.value("resource", "") == "table/crm/customers");
      }
      EXPECT_TRUE(found) << when << ": request " << id << " expected " << decision << " by " << who[id]
                         << ", entries: " << json(it->second).dump();
    }
  };

  lookups(3);
  check_entries("before the restart");
  const Reply verify = admin_->call("GET", "/v1/audit/verify");
  ASSERT_EQ(verify.status, 200) << verify;
  EXPECT_EQ(verify.js()["ok"], true) << verify;
  EXPECT_TRUE(verify.js()["first_bad_seq"].is_null()) << verify;
  const std::int64_t head_seq = verify.js()["last_seq"].get<std::int64_t>();
  const std::string head_hash = verify.js()["head_hash"].get<std::string>();

  // Decisions recorded just before a clean shutdown are not lost.
  lookups(25);
  const int status = restart();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "cairnd did not exit cleanly on SIGTERM: status " << status;
  check_entries("after the restart");
  const Reply again = admin_->call("GET", "/v1/audit/verify");
  ASSERT_EQ(again.status, 200) << again;
  EXPECT_EQ(again.js()["ok"], true) << again;
  EXPECT_GE(again.js()["last_seq"].get<std::int64_t>(), head_seq + 50) << again;
  const Reply with_head =
      admin_->call("GET", "/v1/audit/verify?" +
                              query({{"expect_seq", std::to_string(head_seq)}, {"expect_hash", head_hash}}));
  ASSERT_EQ(with_head.status, 200) << with_head;
  EXPECT_EQ(with_head.js()["ok"], true) << with_head;

  // A query by principal and decision.
  const Reply denials = admin_->call(
      "GET",
      "/v1/audit?" + query({{"principal", "user:bob"}, {"decision", "deny"}, {"max_results", "1000"}}));
  ASSERT_EQ(denials.status, 200) << denials;
  EXPECT_GE(denials.js()["items"].size(), 28u) << denials;
  const json denials_json = denials.js();
  for (const auto& e : denials_json["items"]) {
    EXPECT_EQ(e["principal"], arn("user", "bob")) << e;
    EXPECT_EQ(e["decision"], "deny") << e;
  }

  // The administrator's grant is recorded as a mutation on the table.
  bool grant_recorded = false;
  for (const json& e : audit_entries("table/crm/customers")) {
    grant_recorded =
        grant_recorded || (e.value("action", "") == "GrantPermissions" && e.value("decision", "") == "ok" &&
                           e.value("principal", "") == arn("user", "admin"));
  }
  EXPECT_TRUE(grant_recorded)
      << "no GrantPermissions mutation entry with decision ok for table/crm/customers";

  // A time range: the last hour holds the entries, one starting in the future none.
  const auto now = std::chrono::system_clock::now();
  const Reply range =
      admin_->call("GET", "/v1/audit?" + query({{"resource", "table/crm/customers"},
                                                {"from", rfc3339(now - std::chrono::hours(1))},
                                                {"to", rfc3339(now + std::chrono::minutes(1))},
                                                {"max_results", "1000"}}));
  ASSERT_EQ(range.status, 200) << range;
  EXPECT_GE(range.js()["items"].size(), 56u) << range;
  const Reply future =
      admin_->call("GET", "/v1/audit?" + query({{"resource", "table/crm/customers"},
                                                {"from", rfc3339(now + std::chrono::hours(1))}}));
  ASSERT_EQ(future.status, 200) << future;
  EXPECT_EQ(future.js()["items"], json::array()) << future;
}

// =====================================================================================================
// Principals (P1, P3) and deleted objects (G2, G3).
// =====================================================================================================

TEST_P(GovernanceIntegration, GroupAndEveryoneGrantsCountAndMembershipChangesApplyAtOnce) {
  create_database("p");
  create_table("p", table_json("t1", json::array({column("a", "int")})));
  create_table("p", table_json("t2", json::array({column("a", "int")})));
  create_table("p", table_json("t3", json::array({column("a", "int")})));
  Client& uma = create_user("uma");
  create_group("grp", {});
  grant(grant_request("group:grp", table_resource("p", "t1"), {"SELECT"}));
  grant(grant_request("EVERYONE", table_resource("p", "t2"), {"SELECT"}));

  auto visible_tables = [&] {
    std::set<std::string> names;
    const Reply r = uma.call("GET", "/v1/databases/p/tables");
    EXPECT_EQ(r.status, 200) << r;
    const json j = r.js();
    if (j.contains("tables")) {
      for (const auto& t : j["tables"]) names.insert(t.value("name", ""));
    }
    return names;
  };
  EXPECT_EQ(visible_tables(), (std::set<std::string>{"t2"}));  // EVERYONE's grant counts (P1)
  expect_error(uma.call("GET", table_path("p", "t1")), 404, "NotFound");
  ASSERT_EQ(admin_->call("PUT", "/v1/groups/grp/members/uma").status, 204);
  EXPECT_EQ(visible_tables(), (std::set<std::string>{"t1", "t2"}));  // P3: at once
  EXPECT_EQ(uma.call("GET", table_path("p", "t1") + "/access").status, 200);
  ASSERT_EQ(admin_->call("DELETE", "/v1/groups/grp/members/uma").status, 204);
  EXPECT_EQ(visible_tables(), (std::set<std::string>{"t2"}));
  expect_error(uma.call("GET", table_path("p", "t1")), 404, "NotFound");
}

TEST_P(GovernanceIntegration, ANewTableOfTheSameNameDoesNotInheritGrantsAndRevokingNothingIs404) {
  create_database("g3");
  const json t = table_json("t", json::array({column("a", "int")}));
  create_table("g3", t);
  Client& una = create_user("una");
  grant(grant_request("user:una", table_resource("g3", "t"), {"SELECT"}));
  EXPECT_EQ(una.call("GET", table_path("g3", "t")).status, 200);

  ASSERT_EQ(admin_->call("DELETE", table_path("g3", "t")).status, 204);
  create_table("g3", t);
  expect_error(una.call("GET", table_path("g3", "t")), 404, "NotFound");  // G3
  const Reply grants = admin_->call("GET", "/v1/permissions?" + query({{"principal", "user:una"}}));
  ASSERT_EQ(grants.status, 200) << grants;
  EXPECT_EQ(grants.js()["items"], json::array()) << grants;
  expect_error(admin_->call("POST", "/v1/permissions/revoke",
                            grant_request("user:una", table_resource("g3", "t"), {"SELECT"})),
               404, "NotFound");  // G2

  // R1: ALL on the table stands for every table permission (ALTER included).
  grant(grant_request("user:una", table_resource("g3", "t"), {"ALL"}));
  json changed = t;
  changed["description"] = "changed";
  EXPECT_EQ(una.call("PUT", table_path("g3", "t"), changed).status, 200);
  // G2: revoking every permission held deletes the grant.
  const Reply revoked = admin_->call("POST", "/v1/permissions/revoke",
                                     grant_request("user:una", table_resource("g3", "t"), {"ALL"}));
  ASSERT_EQ(revoked.status, 200) << revoked;
  EXPECT_TRUE(revoked.js()["grant"].is_null()) << revoked;
  expect_error(una.call("GET", table_path("g3", "t")), 404, "NotFound");
}

// =====================================================================================================
// Several nodes on one PostgreSQL (journey 8, N1).
// =====================================================================================================

TEST_P(GovernanceIntegration, Journey8GrantOnOneNodeIsEnforcedByAnotherWithinASecond) {
  if (!is_postgres()) GTEST_SKIP() << "several nodes share a PostgreSQL store only";
  create_database("mn");
  create_table("mn", table_json("t", json::array({column("a", "int")})));
  create_user("nina");
  node_b_ = std::make_unique<Node>(node_options(dir_ + "/b", database_url_));
  auto nina_b = client_on(*node_b_, "nina");
  const std::string path = table_path("mn", "t");
  expect_error(nina_b->call("GET", path), 404, "NotFound");  // authenticated on B, not authorized

  auto wait_for = [&](int status) {
    const auto start = std::chrono::steady_clock::now();
    Reply last;
    while (ms_since(start) < 5000) {
      last = nina_b->call("GET", path);
      if (last.status == status) return std::make_pair(ms_since(start), last);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::make_pair(ms_since(start), last);
  };

  grant(grant_request("user:nina", table_resource("mn", "t"), {"SELECT"}));
  const auto [granted_ms, granted] = wait_for(200);
  EXPECT_EQ(granted.status, 200) << granted;
  EXPECT_LT(granted_ms, 1000) << "N1: the grant reached node B after " << granted_ms << " ms";
  std::cout << "[ propagation ] grant visible on node B after " << granted_ms << " ms\n";

  const Reply revoked = admin_->call("POST", "/v1/permissions/revoke",
                                     grant_request("user:nina", table_resource("mn", "t"), {"SELECT"}));
  ASSERT_EQ(revoked.status, 200) << revoked;
  EXPECT_TRUE(revoked.js()["grant"].is_null()) << revoked;
  const auto [revoked_ms, gone] = wait_for(404);
  EXPECT_EQ(gone.status, 404) << gone;
  EXPECT_LT(revoked_ms, 1000) << "N1: the revoke reached node B after " << revoked_ms << " ms";
  std::cout << "[ propagation ] revoke enforced on node B after " << revoked_ms << " ms\n";
}

// =====================================================================================================
// The node-local cache of rendered table views (api/src/table_view_cache.h) must never show what a fresh
// computation would not: table updates, revokes, re-tagging and other nodes' writes apply to the very next
// read, and every cached read is still authorized and audited.
// =====================================================================================================

TEST_P(GovernanceIntegration, CachedTableViewsFollowUpdatesRevokesAndTagsAtOnceAndAreAudited) {
  create_database("cv");
  create_table("cv", table_json("t", json::array({column("a", "int"), column("b", "string")})));
  Client& carl = create_user("carl");
  grant(grant_request("user:carl", table_resource("cv", "t"), {"SELECT"}));
  const std::string path = table_path("cv", "t");

  // Repeated reads give the same answer (the second one from the cache).
  const Reply first = carl.call("GET", path);
  ASSERT_EQ(first.status, 200) << first;
  const Reply second = carl.call("GET", path);
  ASSERT_EQ(second.status, 200) << second;
  EXPECT_EQ(first.body, second.body);

  // An update by the administrator is seen by the very next read.
  json changed = first.js();
  changed["storage_descriptor"]["columns"].push_back(column("c", "double"));
  const Reply updated = admin_->call("PUT", path, changed);
  ASSERT_EQ(updated.status, 200) << updated;
  const Reply after_update = carl.call("GET", path);
  ASSERT_EQ(after_update.status, 200) << after_update;
  EXPECT_EQ(column_names(after_update.js()), (Strings{"a", "b", "c"})) << after_update;
  EXPECT_EQ(after_update.js()["version_id"], updated.js()["version_id"]) << after_update;

  // A column-level change of the policy (a second grant does not hide anything; a revoke plus a narrower
  // grant does) is seen by the very next read.
  const Reply revoked = admin_->call("POST", "/v1/permissions/revoke",
                                     grant_request("user:carl", table_resource("cv", "t"), {"SELECT"}));
  ASSERT_EQ(revoked.status, 200) << revoked;
  expect_error(carl.call("GET", path), 404, "NotFound");
  grant(grant_request("user:carl", columns_resource("cv", "t", {"a"}), {"SELECT"}));
  const Reply narrowed = carl.call("GET", path);
  ASSERT_EQ(narrowed.status, 200) << narrowed;
  EXPECT_EQ(column_names(narrowed.js()), (Strings{"a"})) << narrowed;

  // Tag policy: re-tagging a column uncovers it at the next read.
  create_tag_key("level", {"low", "high"});
  assign_tag("cv/tables/t", "level", "low");
  grant(grant_request("user:carl", tag_policy_resource("TABLE", "level", {"low"}), {"SELECT"}));
  const Reply tagged = carl.call("GET", path);
  ASSERT_EQ(tagged.status, 200) << tagged;
  EXPECT_EQ(column_names(tagged.js()), (Strings{"a", "b", "c"})) << tagged;
  assign_tag("cv/tables/t/columns/c", "level", "high");
  const Reply retagged = carl.call("GET", path);
  ASSERT_EQ(retagged.status, 200) << retagged;
  EXPECT_EQ(column_names(retagged.js()), (Strings{"a", "b"})) << retagged;

  // Every read, cached or not, is one DescribeTable decision in the audit log.
  std::size_t carl_reads = 0;
  for (const json& e : audit_entries("table/cv/t")) {
    if (e.value("principal", "") == arn("user", "carl") && e.value("action", "") == "DescribeTable")
      ++carl_reads;
  }
  EXPECT_EQ(carl_reads, 7u) << "one audit entry per GetTable";
}

TEST_P(GovernanceIntegration, TableUpdateOnOneNodeIsSeenByAnotherWithinASecond) {
  if (!is_postgres()) GTEST_SKIP() << "several nodes share a PostgreSQL store only";
  create_database("mv");
  create_table("mv", table_json("t", json::array({column("a", "int")})));
  create_user("vera");
  grant(grant_request("user:vera", table_resource("mv", "t"), {"SELECT"}));
  node_b_ = std::make_unique<Node>(node_options(dir_ + "/b", database_url_));
  auto vera_b = client_on(*node_b_, "vera");
  const std::string path = table_path("mv", "t");
  Reply cached;
  for (int i = 0; i < 3; ++i) cached = vera_b->call("GET", path);  // node B has it cached now
  ASSERT_EQ(cached.status, 200) << cached;

  json changed = cached.js();
  changed["storage_descriptor"]["columns"].push_back(column("b", "string"));
  const Reply updated = admin_->call("PUT", path, changed);  // on node A
  ASSERT_EQ(updated.status, 200) << updated;
  const auto start = std::chrono::steady_clock::now();
  Reply seen;
  while (ms_since(start) < 5000) {
    seen = vera_b->call("GET", path);
    if (seen.status == 200 && column_names(seen.js()).size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto took = ms_since(start);
  EXPECT_EQ(column_names(seen.js()), (Strings{"a", "b"})) << seen;
  EXPECT_LT(took, 1000) << "node B served the old table for " << took << " ms";
  std::cout << "[ propagation ] table update visible on node B after " << took << " ms\n";
}

INSTANTIATE_TEST_SUITE_P(Stores, GovernanceIntegration, cairn::test::store_backends(),
                         cairn::test::backend_test_name);

}  // namespace
