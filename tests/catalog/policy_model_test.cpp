// The governance records' free functions (catalog/policy.h): names, validation and normalisation, and the
// canonical resource keys that identify grants. Negative cases first.

#include <gtest/gtest.h>

#include <string>

#include "cairn/catalog/error.h"
#include "cairn/catalog/policy.h"
#include "catalog/failure_of.h"

namespace cairn::catalog {
namespace {

using catalog_test::failure_of;

PermissionSet perms(std::initializer_list<Permission> ps) {
  PermissionSet out = 0;
  for (Permission p : ps) out = static_cast<PermissionSet>(out | bit(p));
  return out;
}

Grant table_grant() {
  Grant g;
  g.principal = "user:alice";
  g.kind = ResourceKind::Table;
  g.database = "sales";
  g.table = "orders";
  g.permissions = perms({Permission::Select});
  return g;
}

Grant columns_grant(std::vector<std::string> columns) {
  Grant g = table_grant();
  g.kind = ResourceKind::TableWithColumns;
  g.columns = std::move(columns);
  return g;
}

Grant tag_grant(std::string type, std::vector<TagCondition> expression) {
  Grant g;
  g.principal = "group:analysts";
  g.kind = ResourceKind::TagPolicy;
  g.tag_resource_type = std::move(type);
  g.tag_expression = std::move(expression);
  g.permissions = perms({Permission::Describe});
  return g;
}

/// The field of the InvalidArgument that normalize_grant throws for `g` ("<none>" when it passes).
std::string grant_field(Grant g) {
  return failure_of([&] { normalize_grant(g); }).field;
}

// --- permissions and kinds --------------------------------------------------------------------------------

TEST(PolicyModel, UnknownPermissionIsRejectedNamingTheValidOnes) {
  auto f = failure_of([] { parse_permission("READ", "permissions[0]"); });
  EXPECT_EQ(f.field, "permissions[0]");
  EXPECT_NE(f.message.find("DATA_LOCATION_ACCESS"), std::string::npos) << f.message;
  EXPECT_EQ(failure_of([] { parse_permission("", "p"); }).field, "p");
}

TEST(PolicyModel, PermissionNamesRoundTripInEnumOrder) {
  ASSERT_EQ(all_permissions().size(), 10u);
  for (Permission p : all_permissions()) {
    EXPECT_EQ(parse_permission(permission_name(p), "p"), p);
  }
  EXPECT_EQ(parse_permission("select", "p"), Permission::Select);
  EXPECT_EQ(parse_permission("Data_Location_Access", "p"), Permission::DataLocationAccess);
  EXPECT_EQ(permission_names(perms({Permission::CreateTable, Permission::All, Permission::Select})),
            (std::vector<std::string>{"ALL", "SELECT", "CREATE_TABLE"}));
  EXPECT_TRUE(permission_names(0).empty());
}

TEST(PolicyModel, UnknownResourceKindIsRejected) {
  EXPECT_EQ(failure_of([] { parse_resource_kind("VIEW", "kind"); }).field, "kind");
}

TEST(PolicyModel, ResourceKindNamesRoundTrip) {
  for (auto kind : {ResourceKind::Catalog, ResourceKind::Database, ResourceKind::Table,
                    ResourceKind::TableWildcard, ResourceKind::TableWithColumns, ResourceKind::DataLocation,
                    ResourceKind::DataCellsFilter, ResourceKind::TagPolicy}) {
    EXPECT_EQ(parse_resource_kind(resource_kind_name(kind), "kind"), kind);
  }
  EXPECT_STREQ(resource_kind_name(ResourceKind::TableWithColumns), "TABLE_WITH_COLUMNS");
  EXPECT_EQ(parse_resource_kind("tag_policy", "kind"), ResourceKind::TagPolicy);
}

// --- principals -------------------------------------------------------------------------------------------

TEST(PolicyModel, MalformedPrincipalIdsAreRejected) {
  for (const char* bad : {"alice", "bot:alice", "user:", "user:bad name", ":alice", "user:a/b", ""}) {
    EXPECT_EQ(failure_of([&] { normalize_principal_id(bad, "principal"); }).field, "principal") << bad;
  }
}

TEST(PolicyModel, PrincipalIdsAreCanonicalised) {
  EXPECT_EQ(normalize_principal_id("USER:Alice", "p"), "user:Alice");
  EXPECT_EQ(normalize_principal_id("role:etl", "p"), "role:etl");
  EXPECT_EQ(normalize_principal_id("Group:analysts", "p"), "group:analysts");
  EXPECT_EQ(normalize_principal_id("everyone", "p"), "EVERYONE");
  EXPECT_EQ(normalize_principal_id("EVERYONE", "p"), std::string(kEveryone));
}

// --- grants: invalid input --------------------------------------------------------------------------------

TEST(PolicyModel, GrantWithBadPrincipalNamesThePrincipalField) {
  Grant g = table_grant();
  g.principal = "alice";
  EXPECT_EQ(grant_field(g), "grant.principal");
}

TEST(PolicyModel, GrantFieldsThatDoNotBelongToTheKindAreRejected) {
  Grant catalog;
  catalog.principal = "user:alice";
  catalog.kind = ResourceKind::Catalog;
  catalog.permissions = perms({Permission::CreateDatabase});
  Grant g = catalog;
  g.database = "sales";
  EXPECT_EQ(grant_field(g), "grant.resource.database");

  Grant db = catalog;
  db.kind = ResourceKind::Database;
  db.database = "sales";
  db.permissions = perms({Permission::CreateTable});
  g = db;
  g.table = "orders";
  EXPECT_EQ(grant_field(g), "grant.resource.table");
  g = db;
  g.columns = {"a"};
  EXPECT_EQ(grant_field(g), "grant.resource.columns");
  g = db;
  g.column_wildcard = true;
  EXPECT_EQ(grant_field(g), "grant.resource.column_wildcard");
  g = db;
  g.location = "s3://b";
  EXPECT_EQ(grant_field(g), "grant.resource.location");
  g = db;
  g.filter_name = "f";
  EXPECT_EQ(grant_field(g), "grant.resource.filter_name");
  g = db;
  g.tag_resource_type = "TABLE";
  EXPECT_EQ(grant_field(g), "grant.resource.tag_resource_type");
  g = db;
  g.tag_expression = {{"pii", {"yes"}}};
  EXPECT_EQ(grant_field(g), "grant.resource.tag_expression");
  g = db;
  g.column_masks = {{"email", "redact"}};
  EXPECT_EQ(grant_field(g), "grant.resource.column_masks");

  g = table_grant();
  g.kind = ResourceKind::TableWildcard;
  EXPECT_EQ(grant_field(g), "grant.resource.table");
}

TEST(PolicyModel, GrantMissingOrBadNamesAreRejected) {
  Grant g = table_grant();
  g.table = "";
  EXPECT_EQ(grant_field(g), "grant.resource.table");
  g = table_grant();
  g.database = "";
  EXPECT_EQ(grant_field(g), "grant.resource.database");
  g = table_grant();
  g.database = "bad name";
  EXPECT_EQ(grant_field(g), "grant.resource.database");
  g = table_grant();
  g.table = "a.b";
  EXPECT_EQ(grant_field(g), "grant.resource.table");

  Grant f = table_grant();
  f.kind = ResourceKind::DataCellsFilter;
  f.filter_name = "no spaces";
  EXPECT_EQ(grant_field(f), "grant.resource.filter_name");
  f.filter_name = "";
  EXPECT_EQ(grant_field(f), "grant.resource.filter_name");

  Grant loc;
  loc.principal = "role:etl";
  loc.kind = ResourceKind::DataLocation;
  loc.permissions = perms({Permission::DataLocationAccess});
  EXPECT_EQ(grant_field(loc), "grant.resource.location");
  loc.location = "http://example.com/x";
  EXPECT_EQ(grant_field(loc), "grant.resource.location");
}

TEST(PolicyModel, TableWithColumnsNeedsExactlyOneColumnForm) {
  EXPECT_EQ(grant_field(columns_grant({})), "grant.resource.columns");
  Grant g = columns_grant({"a"});
  g.column_wildcard = true;
  EXPECT_EQ(grant_field(g), "grant.resource.columns");
  g = columns_grant({"a"});
  g.excluded_columns = {"b"};
  EXPECT_EQ(grant_field(g), "grant.resource.excluded_columns");
  EXPECT_EQ(grant_field(columns_grant({"a", "b", "x:y"})), "grant.resource.columns[2]");
  g = columns_grant({});
  g.column_wildcard = true;
  g.excluded_columns = {"ok", "bad`name"};
  EXPECT_EQ(grant_field(g), "grant.resource.excluded_columns[1]");
}

TEST(PolicyModel, PermissionsMustBeValidForTheKind) {
  Grant g = table_grant();
  g.permissions = 0;
  EXPECT_EQ(grant_field(g), "grant.permissions");
  g.permissions = perms({Permission::CreateTable});
  auto f = failure_of([&] { normalize_grant(g); });
  EXPECT_EQ(f.field, "grant.permissions");
  EXPECT_NE(f.message.find("CREATE_TABLE"), std::string::npos) << f.message;

  g = columns_grant({"a"});
  g.permissions = perms({Permission::All});
  EXPECT_EQ(grant_field(g), "grant.permissions");
  g.permissions = perms({Permission::Describe});
  EXPECT_EQ(grant_field(g), "grant.permissions");

  Grant db = table_grant();
  db.kind = ResourceKind::Database;
  db.table.clear();
  db.permissions = perms({Permission::Insert});
  EXPECT_EQ(grant_field(db), "grant.permissions");

  Grant cat;
  cat.principal = "user:alice";
  cat.kind = ResourceKind::Catalog;
  cat.permissions = perms({Permission::Select});
  EXPECT_EQ(grant_field(cat), "grant.permissions");

  Grant loc;
  loc.principal = "user:alice";
  loc.kind = ResourceKind::DataLocation;
  loc.location = "s3://bucket";
  loc.permissions = perms({Permission::All});
  EXPECT_EQ(grant_field(loc), "grant.permissions");

  Grant filter = table_grant();
  filter.kind = ResourceKind::DataCellsFilter;
  filter.filter_name = "f";
  filter.permissions = perms({Permission::Alter});
  EXPECT_EQ(grant_field(filter), "grant.permissions");

  Grant tag_db = tag_grant("DATABASE", {{"pii", {"yes"}}});
  tag_db.permissions = perms({Permission::Select});
  EXPECT_EQ(grant_field(tag_db), "grant.permissions");

  Grant unknown = table_grant();
  unknown.permissions = static_cast<PermissionSet>(1u << 12);
  EXPECT_EQ(grant_field(unknown), "grant.permissions");
}

TEST(PolicyModel, GrantableMustBeWithinPermissions) {
  Grant g = table_grant();
  g.grantable = perms({Permission::Describe});
  EXPECT_EQ(grant_field(g), "grant.grantable");
}

TEST(PolicyModel, MasksOnlyOnTableLevelGrantsAndGrantedColumns) {
  Grant g = columns_grant({"a", "b"});
  g.column_masks = {{"c", "redact"}};
  EXPECT_EQ(grant_field(g), "grant.resource.column_masks.c");
  g = columns_grant({});
  g.column_wildcard = true;
  g.excluded_columns = {"ssn"};
  g.column_masks = {{"ssn", "redact"}};
  EXPECT_EQ(grant_field(g), "grant.resource.column_masks.ssn");
  g = table_grant();
  g.column_masks = {{"a", ""}};
  EXPECT_EQ(grant_field(g), "grant.resource.column_masks.a");
  g.column_masks = {{"a", std::string(33, 'x')}};
  EXPECT_EQ(grant_field(g), "grant.resource.column_masks.a");
  g.column_masks = {{"a", "red\nact"}};
  EXPECT_EQ(grant_field(g), "grant.resource.column_masks.a");
  g.column_masks = {{"A", "redact"}, {"a", "null"}};
  EXPECT_EQ(grant_field(g), "grant.resource.column_masks.a");

  Grant tag_db = tag_grant("DATABASE", {{"pii", {"yes"}}});
  tag_db.column_masks = {{"email", "redact"}};
  EXPECT_EQ(grant_field(tag_db), "grant.resource.column_masks");
  Grant filter = table_grant();
  filter.kind = ResourceKind::DataCellsFilter;
  filter.filter_name = "f";
  filter.column_masks = {{"email", "redact"}};
  EXPECT_EQ(grant_field(filter), "grant.resource.column_masks");
}

TEST(PolicyModel, TagPolicyExpressionsAreChecked) {
  EXPECT_EQ(grant_field(tag_grant("VIEW", {{"pii", {"yes"}}})), "grant.resource.tag_resource_type");
  EXPECT_EQ(grant_field(tag_grant("TABLE", {})), "grant.resource.tag_expression");
  EXPECT_EQ(grant_field(tag_grant("TABLE", {{"pii", {"yes"}}, {"PII", {"no"}}})),
            "grant.resource.tag_expression[1].key");
  EXPECT_EQ(grant_field(tag_grant("TABLE", {{"pii", {}}})), "grant.resource.tag_expression[0].values");
  EXPECT_EQ(grant_field(tag_grant("TABLE", {{"pii", {"yes", "n*o"}}})),
            "grant.resource.tag_expression[0].values[1]");
  EXPECT_EQ(grant_field(tag_grant("TABLE", {{"bad key", {"yes"}}})), "grant.resource.tag_expression[0].key");
}

TEST(PolicyModel, ExpiryAndGrantorAreChecked) {
  Grant g = table_grant();
  g.expires_at = 0;
  EXPECT_EQ(grant_field(g), "grant.expires_at");
  g = table_grant();
  g.granted_by = "not a principal";
  EXPECT_EQ(grant_field(g), "grant.granted_by");
}

TEST(PolicyModel, CustomPathPrefixesFields) {
  Grant g = table_grant();
  g.table.clear();
  EXPECT_EQ(failure_of([&] { normalize_grant(g, "entries[3]"); }).field, "entries[3].resource.table");
}

// --- grants: normalisation and keys -----------------------------------------------------------------------

TEST(PolicyModel, GrantIsNormalised) {
  Grant g = columns_grant({"B", "a", "b"});
  g.principal = "User:alice";
  g.database = "Sales";
  g.table = "ORDERS";
  g.column_masks = {{"A", "Hash_SHA256"}};
  g.granted_by = "USER:admin";
  normalize_grant(g);
  EXPECT_EQ(g.principal, "user:alice");
  EXPECT_EQ(g.database, "sales");
  EXPECT_EQ(g.table, "orders");
  EXPECT_EQ(g.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.column_masks, (std::map<std::string, std::string>{{"a", "hash_sha256"}}));
  EXPECT_EQ(g.granted_by, "user:admin");

  Grant t = tag_grant("table", {{"Region", {"EU", "us", "eu"}}, {"pii", {"yes"}}});
  normalize_grant(t);
  EXPECT_EQ(t.tag_resource_type, "TABLE");
  ASSERT_EQ(t.tag_expression.size(), 2u);
  EXPECT_EQ(t.tag_expression[0].key, "pii");
  EXPECT_EQ(t.tag_expression[1].key, "region");
  EXPECT_EQ(t.tag_expression[1].values, (std::vector<std::string>{"eu", "us"}));

  Grant loc;
  loc.principal = "everyone";
  loc.kind = ResourceKind::DataLocation;
  loc.location = "S3://Lake/raw/";
  loc.permissions = perms({Permission::DataLocationAccess});
  normalize_grant(loc);
  EXPECT_EQ(loc.principal, "EVERYONE");
  EXPECT_EQ(loc.location, "s3://lake/raw");
}

TEST(PolicyModel, ResourceKeysAreCanonical) {
  Grant g = columns_grant({"b", "a"});
  g.database = "Sales";
  normalize_grant(g);
  EXPECT_EQ(resource_key(g), "TABLE_WITH_COLUMNS|sales|orders|cols=a,b");

  Grant t = tag_grant("TABLE", {{"pii", {"phone", "email"}}});
  normalize_grant(t);
  EXPECT_EQ(resource_key(t), "TAG_POLICY|TABLE|pii=email,phone");

  Grant cat;
  cat.kind = ResourceKind::Catalog;
  EXPECT_EQ(resource_key(cat), "CATALOG");

  Grant w = columns_grant({});
  w.column_wildcard = true;
  w.excluded_columns = {"ssn"};
  w.column_masks = {{"email", "redact"}};
  normalize_grant(w);
  EXPECT_EQ(resource_key(w), "TABLE_WITH_COLUMNS|sales|orders|all_except=ssn|masks=email:redact");

  Grant f = table_grant();
  f.kind = ResourceKind::DataCellsFilter;
  f.filter_name = "EU-only";
  EXPECT_EQ(resource_key(f), "DATA_CELLS_FILTER|sales|orders|EU-only");
}

TEST(PolicyModel, ResourceKeysDistinguishWhatDiffers) {
  // Separators inside names are escaped, so different resources never share a key.
  Grant a = columns_grant({"x|y"});
  Grant b = columns_grant({"x", "y"});
  normalize_grant(a);
  normalize_grant(b);
  EXPECT_NE(resource_key(a), resource_key(b));

  Grant masked = table_grant();
  masked.column_masks = {{"email", "redact"}};
  EXPECT_NE(resource_key(masked), resource_key(table_grant()));

  Grant wildcard = columns_grant({});
  wildcard.column_wildcard = true;
  Grant list = columns_grant({"all_except="});
  EXPECT_NE(resource_key(wildcard), resource_key(list));

  // Unescaped, both would read "a=b=c".
  Grant t1 = tag_grant("TABLE", {{"a", {"b=c"}}});
  Grant t2 = tag_grant("TABLE", {{"a=b", {"c"}}});
  normalize_grant(t1);
  normalize_grant(t2);
  EXPECT_NE(resource_key(t1), resource_key(t2));

  // Principal, permissions and expiry are not part of the key.
  Grant other = table_grant();
  other.principal = "user:bob";
  other.permissions = perms({Permission::Alter});
  other.expires_at = 5;
  EXPECT_EQ(resource_key(other), resource_key(table_grant()));
}

// --- data cells filters -----------------------------------------------------------------------------------

DataCellsFilter make_filter() {
  DataCellsFilter f;
  f.database = "sales";
  f.table = "orders";
  f.name = "eu_rows";
  f.row_filter = "region = 'eu'";
  f.columns = {"id", "amount"};
  return f;
}

std::string filter_field(DataCellsFilter f) {
  return failure_of([&] { normalize_data_cells_filter(f); }).field;
}

TEST(PolicyModel, FilterNamesAndTargetsAreChecked) {
  DataCellsFilter f = make_filter();
  f.name = "";
  EXPECT_EQ(filter_field(f), "filter.name");
  f.name = "has space";
  EXPECT_EQ(filter_field(f), "filter.name");
  f.name = std::string(256, 'a');
  EXPECT_EQ(filter_field(f), "filter.name");
  f = make_filter();
  f.database = "";
  EXPECT_EQ(filter_field(f), "filter.database");
  f = make_filter();
  f.table = "bad table";
  EXPECT_EQ(filter_field(f), "filter.table");
}

TEST(PolicyModel, FilterNeedsExactlyOneRowForm) {
  DataCellsFilter f = make_filter();
  f.all_rows = true;
  EXPECT_EQ(filter_field(f), "filter.row_filter");
  f = make_filter();
  f.row_filter = "  ";
  EXPECT_EQ(filter_field(f), "filter.row_filter");
  f.row_filter = std::string(2049, 'x');
  EXPECT_EQ(filter_field(f), "filter.row_filter");
  f.row_filter = "a = 1\x01";
  EXPECT_EQ(filter_field(f), "filter.row_filter");
  f.row_filter = "a = '\xff'";
  EXPECT_EQ(filter_field(f), "filter.row_filter");
}

TEST(PolicyModel, FilterNeedsExactlyOneColumnForm) {
  DataCellsFilter f = make_filter();
  f.columns.clear();
  EXPECT_EQ(filter_field(f), "filter.columns");
  f = make_filter();
  f.column_wildcard = true;
  EXPECT_EQ(filter_field(f), "filter.columns");
  f = make_filter();
  f.excluded_columns = {"x"};
  EXPECT_EQ(filter_field(f), "filter.excluded_columns");
  f = make_filter();
  f.columns = {"ok", "bad,name"};
  EXPECT_EQ(filter_field(f), "filter.columns[1]");
  f = make_filter();
  f.column_masks = {{"email", "redact"}};
  EXPECT_EQ(filter_field(f), "filter.column_masks.email");
}

TEST(PolicyModel, FilterIsNormalised) {
  DataCellsFilter f = make_filter();
  f.database = "SALES";
  f.name = "EU.rows-1";
  f.row_filter = std::string(2048, 'x');
  f.columns = {"ID", "amount", "id"};
  f.column_masks = {{"Amount", "NULL"}};
  normalize_data_cells_filter(f);
  EXPECT_EQ(f.database, "sales");
  EXPECT_EQ(f.name, "EU.rows-1");  // case preserved
  EXPECT_EQ(f.columns, (std::vector<std::string>{"amount", "id"}));
  EXPECT_EQ(f.column_masks, (std::map<std::string, std::string>{{"amount", "null"}}));

  DataCellsFilter all = make_filter();
  all.row_filter.clear();
  all.all_rows = true;
  all.columns.clear();
  all.column_wildcard = true;
  all.excluded_columns = {"SSN"};
  normalize_data_cells_filter(all);
  EXPECT_EQ(all.excluded_columns, (std::vector<std::string>{"ssn"}));
}

// --- tags -------------------------------------------------------------------------------------------------

TEST(PolicyModel, TagKeysAreChecked) {
  auto field = [](TagKey t) { return failure_of([&] { normalize_tag_key(t); }).field; };
  EXPECT_EQ(field({"", {"a"}, 0}), "tag.key");
  EXPECT_EQ(field({"has space", {"a"}, 0}), "tag.key");
  EXPECT_EQ(field({std::string(129, 'k'), {"a"}, 0}), "tag.key");
  EXPECT_EQ(field({"pii", {}, 0}), "tag.values");
  EXPECT_EQ(field({"pii", {"ok", "n*"}, 0}), "tag.values[1]");
  EXPECT_EQ(field({"pii", {" lead"}, 0}), "tag.values[0]");
  EXPECT_EQ(field({"pii", {std::string(257, 'v')}, 0}), "tag.values[0]");
  std::vector<std::string> many;
  for (int i = 0; i < 1001; ++i) many.push_back("v" + std::to_string(i));
  EXPECT_EQ(field({"pii", many, 0}), "tag.values");
  EXPECT_EQ(failure_of([] { normalize_tag_value("", "v"); }).field, "v");
  EXPECT_EQ(failure_of([] { normalize_tag_key_name("caf\xc3\xa9", "k"); }).field, "k");
}

TEST(PolicyModel, TagKeysAreNormalised) {
  TagKey t{"Data.Class:PII", {"Yes", "no", "yes", "very high"}, 0};
  normalize_tag_key(t);
  EXPECT_EQ(t.key, "data.class:pii");
  EXPECT_EQ(t.values, (std::vector<std::string>{"no", "very high", "yes"}));
}

// --- locations --------------------------------------------------------------------------------------------

TEST(PolicyModel, BadLocationsAreRejected) {
  for (const char* bad :
       {"", "lake/raw", "http://x/y", "s3://", "s3:///x", "s3://b a/x", "s3://b/a//c", "s3://b/./c",
        "s3://b/../c", "file://relative", "file:///", "s3://bucket/with space", "s3://bu$ket/x"}) {
    EXPECT_EQ(failure_of([&] { normalize_location_uri(bad, "uri"); }).field, "uri") << bad;
  }
}

TEST(PolicyModel, LocationsAreNormalised) {
  EXPECT_EQ(normalize_location_uri("S3://Lake/Raw/Events/", "u"), "s3://lake/Raw/Events");
  EXPECT_EQ(normalize_location_uri("s3://lake", "u"), "s3://lake");
  EXPECT_EQ(normalize_location_uri("s3://lake///", "u"), "s3://lake");
  EXPECT_EQ(normalize_location_uri("FILE:///data/lake/", "u"), "file:///data/lake");
}

TEST(PolicyModel, FilterNameRule) {
  EXPECT_EQ(failure_of([] { validate_filter_name("a/b", "name"); }).field, "name");
  validate_filter_name("Region_EU.v-2", "name");
}

}  // namespace
}  // namespace cairn::catalog
