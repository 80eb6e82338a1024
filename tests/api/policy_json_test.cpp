#include "cairn/api/policy_json.h"

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "cairn/catalog/error.h"
#include "cairn/catalog/model_json.h"

namespace cairn::api {
namespace {

using catalog::Permission;
using catalog::ResourceKind;
using nlohmann::json;

constexpr const char* kCatalog = "123456789012";

/// The field of the Error(InvalidArgument) `fn` throws; "<no error>" or "<code …>" otherwise.
std::string invalid_field(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::InvalidArgument)
      return "<code " + std::string(error_code_name(e.code())) + ">";
    return e.field();
  }
  return "<no error>";
}

/// The message of the Error `fn` throws.
std::string error_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

json valid_request() {
  return json::parse(R"({
    "principal": "user:analyst",
    "resource": {"kind": "TABLE_WITH_COLUMNS", "database": "hr", "table": "employees",
                 "column_wildcard": true, "excluded_columns": ["salary", "phone_number"]},
    "permissions": ["SELECT", "DESCRIBE"],
    "grantable": ["SELECT"],
    "column_masks": {"email": "hash_sha256"},
    "expires_at": "2026-12-01T00:00:00Z"})");
}

std::string request_field(const std::function<void(json&)>& edit, const std::string& path = "") {
  json j = valid_request();
  edit(j);
  return invalid_field([&] { grant_request_from_json(j, kCatalog, path); });
}

// --- negative cases -----------------------------------------------------------------------------------

TEST(PolicyJson, GrantRequestRefusesUnknownWrongTypedAndMissingKeys) {
  EXPECT_EQ(request_field([](json& j) { j["extra"] = 1; }), "extra");
  EXPECT_EQ(request_field([](json& j) { j["id"] = 4; }), "id");  // read-only keys are not part of a request
  EXPECT_EQ(request_field([](json& j) { j.erase("principal"); }), "principal");
  EXPECT_EQ(request_field([](json& j) { j["principal"] = 7; }), "principal");
  EXPECT_EQ(request_field([](json& j) { j.erase("resource"); }), "resource");
  EXPECT_EQ(request_field([](json& j) { j["resource"] = "hr.employees"; }), "resource");
  EXPECT_EQ(request_field([](json& j) { j.erase("permissions"); }), "permissions");
  EXPECT_EQ(request_field([](json& j) { j["permissions"] = "SELECT"; }), "permissions");
  EXPECT_EQ(request_field([](json& j) { j["permissions"] = {"SELECT", 3}; }), "permissions[1]");
  EXPECT_EQ(request_field([](json& j) { j["permissions"] = {"SELECT", "FLY"}; }), "permissions[1]");
  EXPECT_EQ(request_field([](json& j) { j["grantable"] = {"NOPE"}; }), "grantable[0]");
  EXPECT_EQ(request_field([](json& j) { j["column_masks"] = {{"email", 1}}; }), "column_masks.email");
  EXPECT_EQ(request_field([](json& j) { j["column_masks"] = json::array(); }), "column_masks");
  EXPECT_EQ(request_field([](json& j) { j["expires_at"] = "tomorrow"; }), "expires_at");
  EXPECT_EQ(request_field([](json& j) { j["expires_at"] = 1700000000; }), "expires_at");
  EXPECT_EQ(invalid_field([] { grant_request_from_json(json::array(), kCatalog); }), "body");
}

TEST(PolicyJson, GrantRequestFieldPathsIncludeThePrefixAndIndexes) {
  EXPECT_EQ(request_field(
                [](json& j) {
                  j["resource"]["excluded_columns"] = {"salary", 5};
                },
                "grant"),
            "grant.resource.excluded_columns[1]");
  EXPECT_EQ(request_field([](json& j) { j["resource"]["kind"] = "VIEW"; }), "resource.kind");
  EXPECT_EQ(request_field([](json& j) { j["resource"].erase("kind"); }), "resource.kind");
  EXPECT_EQ(request_field([](json& j) { j["resource"]["colour"] = "red"; }), "resource.colour");
  EXPECT_EQ(request_field([](json& j) { j["resource"]["column_wildcard"] = "yes"; }),
            "resource.column_wildcard");
  EXPECT_EQ(request_field([](json& j) { j["resource"].erase("table"); }), "resource.table");
}

TEST(PolicyJson, PrincipalsMustBeValidAndOfThisCatalog) {
  EXPECT_EQ(request_field([](json& j) { j["principal"] = "alice"; }), "principal");
  EXPECT_EQ(request_field([](json& j) { j["principal"] = "wizard:alice"; }), "principal");
  EXPECT_EQ(request_field([](json& j) { j["principal"] = "arn:aws:iam::999999999999:user/alice"; }),
            "principal");
  EXPECT_EQ(request_field([](json& j) { j["principal"] = ""; }), "principal");
  EXPECT_NE(error_message([] { principal_id_from_text("alice", kCatalog); }).find("EVERYONE"),
            std::string::npos);
}

TEST(PolicyJson, KeysOfAnotherResourceKindMustBeEmpty) {
  json j = valid_request();
  j["resource"] = {{"kind", "DATABASE"}, {"database", "hr"}, {"table", "employees"}};
  const std::string message = error_message([&] { grant_request_from_json(j, kCatalog); });
  EXPECT_NE(message.find("resource.table"), std::string::npos) << message;
  EXPECT_NE(message.find("DATABASE"), std::string::npos) << message;
  EXPECT_EQ(invalid_field([&] { grant_request_from_json(j, kCatalog); }), "resource.table");

  // Absent, null or empty is fine.
  j["resource"] = {{"kind", "DATABASE"},       {"database", "hr"},    {"table", ""},
                   {"columns", json::array()}, {"location", nullptr}, {"column_wildcard", false}};
  const catalog::Grant g = grant_request_from_json(j, kCatalog);
  EXPECT_EQ(g.kind, ResourceKind::Database);
  EXPECT_EQ(g.database, "hr");
  EXPECT_TRUE(g.table.empty());

  j["resource"] = {{"kind", "CATALOG"}, {"database", "hr"}};
  EXPECT_EQ(invalid_field([&] { grant_request_from_json(j, kCatalog); }), "resource.database");
  j["resource"] = {{"kind", "DATA_LOCATION"}};
  EXPECT_EQ(invalid_field([&] { grant_request_from_json(j, kCatalog); }), "resource.location");
  j["resource"] = {{"kind", "DATA_CELLS_FILTER"}, {"database", "hr"}, {"table", "t"}};
  EXPECT_EQ(invalid_field([&] { grant_request_from_json(j, kCatalog); }), "resource.filter");
}

TEST(PolicyJson, TagPolicyResourceShape) {
  json j = valid_request();
  j.erase("column_masks");
  j["resource"] = {{"kind", "TAG_POLICY"}, {"tag_resource_type", "TABLE"}};
  EXPECT_EQ(invalid_field([&] { grant_request_from_json(j, kCatalog); }), "resource.tag_expression");
  j["resource"]["tag_expression"] = {{{"key", "pii"}}};
  EXPECT_EQ(invalid_field([&] { grant_request_from_json(j, kCatalog); }),
            "resource.tag_expression[0].values");
  j["resource"]["tag_expression"] = {{{"key", "pii"}, {"values", {"email"}}, {"op", "="}}};
  EXPECT_EQ(invalid_field([&] { grant_request_from_json(j, kCatalog); }), "resource.tag_expression[0].op");
  j["resource"]["tag_expression"] = json::object();
  EXPECT_EQ(invalid_field([&] { grant_request_from_json(j, kCatalog); }), "resource.tag_expression");
  j["resource"]["tag_expression"] = {{{"key", "pii"}, {"values", {"email", "phone"}}}};
  j["resource"]["tag_resource_type"] = "COLUMN";
  EXPECT_EQ(invalid_field([&] { grant_request_from_json(j, kCatalog); }), "resource.tag_resource_type");
  j["resource"]["tag_resource_type"] = "table";
  const catalog::Grant g = grant_request_from_json(j, kCatalog);
  EXPECT_EQ(g.tag_resource_type, "TABLE");
  ASSERT_EQ(g.tag_expression.size(), 1u);
  EXPECT_EQ(g.tag_expression[0].key, "pii");
  EXPECT_EQ(g.tag_expression[0].values, (std::vector<std::string>{"email", "phone"}));
}

TEST(PolicyJson, TimestampsMustBeRfc3339) {
  for (const char* bad : {"", "2026-11-21", "2026-11-21T05:40:00", "2026-11-21T05:40Z",
                          "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                          "2026-11-21T24:00:00Z", "2026-11-21T05:60:00Z", "2026-11-21T05:40:60Z",
                          "2026-11-21T05:40:00.Z", "2026-11-21T05:40:00+2:00", "2026-11-21T05:40:00+0200",
                          "2026-11-21T05:40:00Zjunk", "26-11-21T05:40:00Z", "2026/11/21T05:40:00Z", "7d"}) {
    EXPECT_EQ(invalid_field([&] { parse_timestamp(bad, "expires_at"); }), "expires_at") << bad;
  }
  EXPECT_NE(error_message([] { parse_timestamp("2026-11-21", "to"); }).find("RFC 3339"), std::string::npos);
}

TEST(PolicyJson, FilterBodiesRefuseWhatDoesNotBelong) {
  const json ok = {{"name", "de_only"},
                   {"row_filter", "country = 'DE'"},
                   {"column_wildcard", true},
                   {"excluded_columns", {"customer_name"}}};
  const auto field_of = [](const json& j, const std::string& name = "") {
    return invalid_field([&] { data_cells_filter_body_from_json(j, "crm", "customers", name); });
  };
  json j = ok;
  j.erase("name");
  EXPECT_EQ(field_of(j), "name");
  j = ok;
  j["expected_version_id"] = 3;  // only on update
  EXPECT_EQ(field_of(j), "expected_version_id");
  EXPECT_EQ(field_of(j, "de_only"), "<no error>");
  j["expected_version_id"] = "3";
  EXPECT_EQ(field_of(j, "de_only"), "expected_version_id");
  j = ok;
  EXPECT_EQ(field_of(j, "other_name"), "name");
  j["database"] = "sales";
  EXPECT_EQ(field_of(j), "database");
  j = ok;
  j["table"] = "orders";
  EXPECT_EQ(field_of(j), "table");
  j = ok;
  j["row_filter"] = 5;
  EXPECT_EQ(field_of(j), "row_filter");
  j = ok;
  j["all_rows"] = "true";
  EXPECT_EQ(field_of(j), "all_rows");
  j = ok;
  j["columns"] = {"a", nullptr};
  EXPECT_EQ(field_of(j), "columns[1]");
  j = ok;
  j["column_masks"] = {{"email", true}};
  EXPECT_EQ(field_of(j), "column_masks.email");
  j = ok;
  j["where"] = "x";
  EXPECT_EQ(field_of(j), "where");
  EXPECT_EQ(invalid_field([] {
              data_cells_filter_from_json(json{{"name", "x"}, {"table", "t"}});
            }),
            "database");
}

TEST(PolicyJson, TagLocationAndAuditBodiesAreStrict) {
  EXPECT_EQ(invalid_field([] { tag_key_from_json(json{{"key", "pii"}}); }), "values");
  EXPECT_EQ(invalid_field([] {
              tag_key_from_json(json{{"key", "pii"}, {"values", {"a", 1}}});
            }),
            "values[1]");
  EXPECT_EQ(invalid_field([] { tag_key_from_json(json{{"key", "pii"}, {"values", {"a"}}, {"x", 1}}); }), "x");
  EXPECT_EQ(invalid_field([] { tag_key_update_from_json(json::object()); }), "add");
  EXPECT_EQ(invalid_field([] { tag_key_update_from_json(json{{"add", "a"}}); }), "add");
  EXPECT_EQ(invalid_field([] { tag_key_update_from_json(json{{"rename", {"a"}}}); }), "rename");
  EXPECT_EQ(invalid_field([] { tag_assignment_from_json(json::object()); }), "tags");
  EXPECT_EQ(invalid_field([] { tag_assignment_from_json(json{{"tags", json::object()}}); }), "tags");
  EXPECT_EQ(invalid_field([] { tag_assignment_from_json(json{{"tags", {{"pii", 1}}}}); }), "tags.pii");
  EXPECT_EQ(invalid_field([] { tag_assignment_from_json(json{{"tags", {"pii"}}}); }), "tags");
  EXPECT_EQ(invalid_field([] { data_location_from_json(json{{"role_arn", "r"}}, kCatalog); }), "uri");
  EXPECT_EQ(invalid_field([] {
              data_location_from_json(json{{"uri", "s3://b"}, {"role", "r"}}, kCatalog);
            }),
            "role");
  EXPECT_EQ(
      invalid_field([] {
        audit_entry_from_json(
            json{{"seq", "1"}, {"time", "2026-11-21T05:40:00.000Z"}, {"action", "a"}, {"decision", "allow"}},
            kCatalog);
      }),
      "seq");
  EXPECT_EQ(invalid_field([] {
              audit_entry_from_json(json{{"seq", 1},
                                         {"time", "2026-11-21T05:40:00.000Z"},
                                         {"action", "a"},
                                         {"decision", "allow"},
                                         {"deciding_ids", {"grant:1", 2}}},
                                    kCatalog);
            }),
            "deciding_ids[1]");
}

// --- positive cases and round trips ------------------------------------------------------------------

TEST(PolicyJson, TimestampsParseZuluOffsetsAndFractions) {
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00Z", "t"), 0);
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:01.5Z", "t"), 1500);
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00.123456z", "t"), 123);
  EXPECT_EQ(parse_timestamp("1970-01-01t01:00:00+01:00", "t"), 0);
  EXPECT_EQ(parse_timestamp("1969-12-31T19:00:00-05:00", "t"), 0);
  EXPECT_EQ(parse_timestamp("1970-01-01 00:00:02Z", "t"), 2000);
  EXPECT_EQ(parse_timestamp("2024-02-29T00:00:00Z", "t"), 1709164800000);
  for (catalog::Timestamp t : {catalog::Timestamp{0}, catalog::Timestamp{1795239600123},
                               catalog::Timestamp{951782400999}, catalog::Timestamp{-86400000}}) {
    EXPECT_EQ(parse_timestamp(catalog::format_timestamp(t), "t"), t) << catalog::format_timestamp(t);
  }
}

TEST(PolicyJson, PrincipalIdsFromEveryInputForm) {
  EXPECT_EQ(principal_id_from_text("user:alice", kCatalog), "user:alice");
  EXPECT_EQ(principal_id_from_text("role:etl", kCatalog), "role:etl");
  EXPECT_EQ(principal_id_from_text("group:analysts", kCatalog), "group:analysts");
  EXPECT_EQ(principal_id_from_text("arn:aws:iam::123456789012:user/alice", kCatalog), "user:alice");
  EXPECT_EQ(principal_id_from_text("arn:aws:iam::123456789012:group/emea-analysts", kCatalog),
            "group:emea-analysts");
  EXPECT_EQ(principal_id_from_text("EVERYONE", kCatalog), "EVERYONE");
  EXPECT_EQ(principal_id_from_text("everyone", kCatalog), "EVERYONE");
  EXPECT_EQ(principal_display("user:alice", kCatalog), "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(principal_display("role:etl", kCatalog), "arn:aws:iam::123456789012:role/etl");
  EXPECT_EQ(principal_display("EVERYONE", kCatalog), "EVERYONE");
  EXPECT_EQ(principal_display("", kCatalog), "");
}

TEST(PolicyJson, GrantRequestReadsEveryField) {
  const catalog::Grant g = grant_request_from_json(valid_request(), kCatalog);
  EXPECT_EQ(g.principal, "user:analyst");
  EXPECT_EQ(g.kind, ResourceKind::TableWithColumns);
  EXPECT_EQ(g.database, "hr");
  EXPECT_EQ(g.table, "employees");
  EXPECT_TRUE(g.column_wildcard);
  EXPECT_EQ(g.excluded_columns, (std::vector<std::string>{"salary", "phone_number"}));
  EXPECT_EQ(g.permissions, catalog::bit(Permission::Select) | catalog::bit(Permission::Describe));
  EXPECT_EQ(g.grantable, catalog::bit(Permission::Select));
  EXPECT_EQ(g.column_masks.at("email"), "hash_sha256");
  ASSERT_TRUE(g.expires_at.has_value());
  EXPECT_EQ(catalog::format_timestamp(*g.expires_at), "2026-12-01T00:00:00.000Z");
  EXPECT_EQ(g.id, 0);

  json j = valid_request();
  j["principal"] = "arn:aws:iam::123456789012:role/etl";
  j["expires_at"] = nullptr;
  j.erase("grantable");
  j.erase("column_masks");
  const catalog::Grant h = grant_request_from_json(j, kCatalog);
  EXPECT_EQ(h.principal, "role:etl");
  EXPECT_FALSE(h.expires_at.has_value());
  EXPECT_EQ(h.grantable, 0);
  EXPECT_TRUE(h.column_masks.empty());
}

/// One grant of each resource kind.
std::vector<catalog::Grant> grants_of_every_kind() {
  std::vector<catalog::Grant> out;
  const auto make = [&](ResourceKind kind) -> catalog::Grant& {
    catalog::Grant g;
    g.id = static_cast<std::int64_t>(out.size()) + 1;
    g.principal = "group:analysts";
    g.kind = kind;
    g.permissions = catalog::bit(Permission::Describe);
    g.granted_by = "user:admin";
    g.create_time = 1795239600123;
    g.update_time = 1795239700456;
    out.push_back(g);
    return out.back();
  };
  make(ResourceKind::Catalog).permissions = catalog::bit(Permission::CreateDatabase);
  make(ResourceKind::Database).database = "hr";
  {
    catalog::Grant& g = make(ResourceKind::Table);
    g.database = "hr";
    g.table = "employees";
    g.principal = "EVERYONE";
    g.column_masks = {{"ssn", "show_last(4)"}};
  }
  {
    catalog::Grant& g = make(ResourceKind::TableWildcard);
    g.database = "hr";
    g.permissions |= catalog::bit(Permission::Select);
    g.grantable = catalog::bit(Permission::Select);
  }
  {
    catalog::Grant& g = make(ResourceKind::TableWithColumns);
    g.database = "hr";
    g.table = "employees";
    g.columns = {"id", "name"};
    g.expires_at = 1795239600000;
  }
  {
    catalog::Grant& g = make(ResourceKind::TableWithColumns);
    g.database = "hr";
    g.table = "employees";
    g.column_wildcard = true;
    g.excluded_columns = {"phone_number", "salary"};
    g.principal = "user:analyst";
  }
  {
    catalog::Grant& g = make(ResourceKind::DataLocation);
    g.location = "s3://lake/hr";
    g.permissions = catalog::bit(Permission::DataLocationAccess);
    g.principal = "role:etl";
  }
  {
    catalog::Grant& g = make(ResourceKind::DataCellsFilter);
    g.database = "crm";
    g.table = "customers";
    g.filter_name = "de.only";
    g.permissions = catalog::bit(Permission::Select);
  }
  {
    catalog::Grant& g = make(ResourceKind::TagPolicy);
    g.tag_resource_type = "TABLE";
    g.tag_expression = {{"pii", {"email", "phone"}}, {"sensitivity", {"low"}}};
    g.column_masks = {{"email", "redact"}};
  }
  return out;
}

TEST(PolicyJson, GrantJsonHasOnlyTheKeysOfItsKind) {
  const auto grants = grants_of_every_kind();
  const catalog::Timestamp now = 1795239600000;
  const json catalog_grant = to_json(grants[0], kCatalog, now);
  EXPECT_EQ(catalog_grant["resource"], json({{"kind", "CATALOG"}}));
  EXPECT_EQ(catalog_grant["principal"], "arn:aws:iam::123456789012:group/analysts");
  EXPECT_EQ(catalog_grant["granted_by"], "arn:aws:iam::123456789012:user/admin");
  EXPECT_EQ(catalog_grant["permissions"], json({"CREATE_DATABASE"}));
  EXPECT_EQ(catalog_grant["grantable"], json::array());
  EXPECT_EQ(catalog_grant["column_masks"], json::object());
  EXPECT_TRUE(catalog_grant["expires_at"].is_null());
  EXPECT_EQ(catalog_grant["expired"], false);
  EXPECT_EQ(catalog_grant["create_time"], "2026-11-21T05:40:00.123Z");

  EXPECT_EQ(to_json(grants[1], kCatalog)["resource"], json({{"kind", "DATABASE"}, {"database", "hr"}}));
  const json table = to_json(grants[2], kCatalog);
  EXPECT_EQ(table["principal"], "EVERYONE");
  EXPECT_EQ(table["resource"], json({{"kind", "TABLE"}, {"database", "hr"}, {"table", "employees"}}));
  EXPECT_EQ(table["column_masks"], json({{"ssn", "show_last(4)"}}));
  EXPECT_EQ(to_json(grants[3], kCatalog)["resource"], json({{"kind", "TABLE_WILDCARD"}, {"database", "hr"}}));
  EXPECT_EQ(to_json(grants[3], kCatalog)["permissions"], json({"SELECT", "DESCRIBE"}));

  // Expiry is exclusive: at expires_at the grant has expired.
  EXPECT_EQ(to_json(grants[4], kCatalog, now - 1)["expired"], false);
  EXPECT_EQ(to_json(grants[4], kCatalog, now)["expired"], true);
  EXPECT_EQ(to_json(grants[4], kCatalog, now)["expires_at"], "2026-11-21T05:40:00.000Z");
  EXPECT_EQ(to_json(grants[4], kCatalog)["resource"],
            json::parse(R"({"kind":"TABLE_WITH_COLUMNS","database":"hr","table":"employees",
                            "columns":["id","name"],"column_wildcard":false,"excluded_columns":[]})"));
  EXPECT_EQ(to_json(grants[6], kCatalog)["resource"],
            json({{"kind", "DATA_LOCATION"}, {"location", "s3://lake/hr"}}));
  EXPECT_EQ(to_json(grants[7], kCatalog)["resource"], json({{"kind", "DATA_CELLS_FILTER"},
                                                            {"database", "crm"},
                                                            {"table", "customers"},
                                                            {"filter", "de.only"}}));
  EXPECT_EQ(to_json(grants[8], kCatalog)["resource"],
            json::parse(R"({"kind":"TAG_POLICY","tag_resource_type":"TABLE",
                            "tag_expression":[{"key":"pii","values":["email","phone"]},
                                              {"key":"sensitivity","values":["low"]}]})"));
}

TEST(PolicyJson, GrantsRoundTrip) {
  const catalog::Timestamp now = 1795239600000;
  for (const catalog::Grant& g : grants_of_every_kind()) {
    const json first = to_json(g, kCatalog, now);
    const catalog::Grant back = grant_from_json(first, kCatalog);
    EXPECT_EQ(to_json(back, kCatalog, now), first) << first.dump();
    EXPECT_EQ(back.principal, g.principal);
    EXPECT_EQ(back.granted_by, g.granted_by);
    EXPECT_EQ(back.id, g.id);
    EXPECT_EQ(back.create_time, g.create_time);
    EXPECT_EQ(back.expires_at, g.expires_at);
    EXPECT_EQ(catalog::resource_key(back), catalog::resource_key(g));

    // The request form carries the same grant minus id, grantor and times.
    const json request = grant_request_to_json(g, kCatalog);
    EXPECT_FALSE(request.contains("id"));
    const catalog::Grant from_request = grant_request_from_json(request, kCatalog);
    EXPECT_EQ(from_request.principal, g.principal);
    EXPECT_EQ(from_request.permissions, g.permissions);
    EXPECT_EQ(from_request.grantable, g.grantable);
    EXPECT_EQ(from_request.column_masks, g.column_masks);
    EXPECT_EQ(from_request.expires_at, g.expires_at);
    EXPECT_EQ(resource_to_json(from_request), resource_to_json(g));
  }
}

TEST(PolicyJson, DataCellsFiltersRoundTrip) {
  catalog::DataCellsFilter f;
  f.database = "crm";
  f.table = "customers";
  f.name = "DE-only";
  f.row_filter = "country = 'DE'";
  f.column_wildcard = true;
  f.excluded_columns = {"customer_name"};
  f.column_masks = {{"email", "hash_sha256"}};
  f.version_id = 3;
  f.create_time = 1795239600123;
  f.update_time = 1795239900000;
  const json j = to_json(f);
  EXPECT_EQ(j["row_filter"], "country = 'DE'");
  EXPECT_EQ(j["all_rows"], false);
  EXPECT_EQ(j["version_id"], 3);
  EXPECT_EQ(to_json(data_cells_filter_from_json(j)), j);

  catalog::DataCellsFilter all = f;
  all.row_filter.clear();
  all.all_rows = true;
  all.column_wildcard = false;
  all.excluded_columns.clear();
  all.columns = {"id", "country"};
  const json a = to_json(all);
  EXPECT_TRUE(a["row_filter"].is_null());
  EXPECT_EQ(to_json(data_cells_filter_from_json(a)), a);

  // A create body: database and table come from the path; read-only keys are ignored.
  const DataCellsFilterBody created = data_cells_filter_body_from_json(
      json{{"name", "de_only"}, {"row_filter", "country = 'DE'"}, {"columns", {"id"}}, {"version_id", 9}},
      "crm", "customers");
  EXPECT_EQ(created.filter.database, "crm");
  EXPECT_EQ(created.filter.table, "customers");
  EXPECT_EQ(created.filter.name, "de_only");
  EXPECT_EQ(created.filter.version_id, 0);
  EXPECT_FALSE(created.expected_version_id.has_value());
  // An update body may omit the name and carry the expected version; a whole record read back is accepted.
  const DataCellsFilterBody updated = data_cells_filter_body_from_json(
      json{{"all_rows", true}, {"column_wildcard", true}, {"expected_version_id", 2}}, "crm", "customers",
      "DE-only");
  EXPECT_EQ(updated.filter.name, "DE-only");
  EXPECT_TRUE(updated.filter.all_rows);
  EXPECT_EQ(updated.expected_version_id, 2);
  const DataCellsFilterBody echoed = data_cells_filter_body_from_json(j, "CRM", "customers", "DE-only");
  EXPECT_EQ(echoed.filter.row_filter, "country = 'DE'");
}

TEST(PolicyJson, TagsLocationsAndAuditRoundTrip) {
  catalog::TagKey tag{"sensitivity", {"high", "low"}, 1795239600123};
  const json t = to_json(tag);
  EXPECT_EQ(t, json::parse(R"({"key":"sensitivity","values":["high","low"],
                               "create_time":"2026-11-21T05:40:00.123Z"})"));
  EXPECT_EQ(to_json(tag_key_from_json(t)), t);
  const TagKeyUpdate update = tag_key_update_from_json(json{{"add", {"medium"}}});
  EXPECT_EQ(update.add, (std::vector<std::string>{"medium"}));
  EXPECT_TRUE(update.remove.empty());
  EXPECT_EQ(tag_assignment_from_json(json{{"tags", {{"pii", "email"}, {"sensitivity", "high"}}}}),
            (std::map<std::string, std::string>{{"pii", "email"}, {"sensitivity", "high"}}));
  EXPECT_EQ(
      effective_tags_to_json({{"sensitivity", "low", "database", true}}),
      json::parse(R"({"tags":[{"key":"sensitivity","value":"low","source":"database","inherited":true}]})"));

  catalog::DataLocation location{"s3://lake/hr", "arn:aws:iam::123456789012:role/lake", "user:admin",
                                 1795239600123};
  const json l = to_json(location, kCatalog);
  EXPECT_EQ(l["registered_by"], "arn:aws:iam::123456789012:user/admin");
  const catalog::DataLocation back = data_location_from_json(l, kCatalog);
  EXPECT_EQ(back.registered_by, "user:admin");
  EXPECT_EQ(to_json(back, kCatalog), l);
  EXPECT_EQ(data_location_from_json(json{{"uri", "file:///data"}}, kCatalog).role_arn, "");

  catalog::AuditEntry e;
  e.seq = 42;
  e.time = 1795239600123;
  e.request_id = "11204f9f9035f6b1";
  e.principal = "user:alice";
  e.action = "DescribeTable";
  e.resource = "table/crm/customers";
  e.decision = "deny";
  e.deciding_ids = {"grant:7", "tag:pii=email@column:email"};
  e.detail = "no SELECT";
  e.prev_hash = std::string(64, 'a');
  e.hash = std::string(64, 'b');
  const json a = to_json(e, kCatalog);
  EXPECT_EQ(a["principal"], "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(a["time"], "2026-11-21T05:40:00.123Z");
  const catalog::AuditEntry entry_back = audit_entry_from_json(a, kCatalog);
  EXPECT_EQ(entry_back.principal, "user:alice");
  EXPECT_EQ(to_json(entry_back, kCatalog), a);
  e.principal.clear();
  EXPECT_EQ(audit_entry_from_json(to_json(e, kCatalog), kCatalog).principal, "");

  authz::AuditVerification ok;
  ok.entries = 3;
  ok.last_seq = 3;
  ok.head_hash = "abc";
  EXPECT_EQ(to_json(ok), json::parse(R"({"ok":true,"entries":3,"last_seq":3,"head_hash":"abc",
                                         "first_bad_seq":null,"problem":null})"));
  authz::AuditVerification bad = ok;
  bad.ok = false;
  bad.first_bad_seq = 2;
  bad.problem = "hash mismatch: entry was altered";
  EXPECT_EQ(to_json(bad)["first_bad_seq"], 2);
  EXPECT_EQ(to_json(bad)["problem"], "hash mismatch: entry was altered");
}

}  // namespace
}  // namespace cairn::api
