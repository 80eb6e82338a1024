// Persistence of governance records (grants, data cells filters, LF-Tags, data locations, policy epoch, audit
// log) on every Store backend: SQLite in a temporary directory, and PostgreSQL at CAIRN_TEST_DATABASE_URL
// (each test in a fresh schema; skipped when the variable is unset). Negative cases first in each group.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "cairn/catalog/error.h"
#include "cairn/catalog/policy.h"
#include "cairn/catalog/store.h"
#include "support/store_backends.h"

namespace cairn::catalog {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

PermissionSet perms(std::initializer_list<Permission> ps) {
  PermissionSet out = 0;
  for (Permission p : ps) out = static_cast<PermissionSet>(out | bit(p));
  return out;
}

using test::code_of;

/// The field of the InvalidArgument `fn` throws ("<other>" for another error, "<none>" without one).
template <class Fn>
std::string invalid_field(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::InvalidArgument) return "<other: " + std::string(e.what()) + ">";
    return e.field();
  }
  return "<none>";
}

Column col(std::string name, std::string type) {
  return Column{std::move(name), std::move(type), "", {}};
}

Table make_table(const std::string& name, std::vector<std::string> columns = {"id", "amount", "email"}) {
  Table t;
  t.name = name;
  t.table_type = "EXTERNAL_TABLE";
  for (auto& c : columns) t.storage_descriptor.columns.push_back(col(c, "string"));
  t.partition_keys = {col("dt", "string")};
  t.storage_descriptor.location = "s3://lake/" + name;
  return t;
}

Grant on_table(std::string principal, std::string db, std::string table, PermissionSet p) {
  Grant g;
  g.principal = std::move(principal);
  g.kind = ResourceKind::Table;
  g.database = std::move(db);
  g.table = std::move(table);
  g.permissions = p;
  return g;
}

Grant on_database(std::string principal, std::string db, PermissionSet p) {
  Grant g;
  g.principal = std::move(principal);
  g.kind = ResourceKind::Database;
  g.database = std::move(db);
  g.permissions = p;
  return g;
}

Grant on_columns(std::string principal, std::string db, std::string table, std::vector<std::string> cols) {
  Grant g = on_table(std::move(principal), std::move(db), std::move(table), perms({Permission::Select}));
  g.kind = ResourceKind::TableWithColumns;
  g.columns = std::move(cols);
  return g;
}

Grant on_filter(std::string principal, std::string db, std::string table, std::string filter) {
  Grant g = on_table(std::move(principal), std::move(db), std::move(table), perms({Permission::Select}));
  g.kind = ResourceKind::DataCellsFilter;
  g.filter_name = std::move(filter);
  return g;
}

Grant on_tags(std::string principal, std::string type, std::vector<TagCondition> expression) {
  Grant g;
  g.principal = std::move(principal);
  g.kind = ResourceKind::TagPolicy;
  g.tag_resource_type = std::move(type);
  g.tag_expression = std::move(expression);
  g.permissions = perms({Permission::Describe});
  return g;
}

DataCellsFilter make_filter(std::string db, std::string table, std::string name) {
  DataCellsFilter f;
  f.database = std::move(db);
  f.table = std::move(table);
  f.name = std::move(name);
  f.row_filter = "amount > 10";
  f.columns = {"id", "amount"};
  return f;
}

TagAssignment target(std::string db, std::string table = {}, std::string column = {}) {
  TagAssignment t;
  t.database = std::move(db);
  t.table = std::move(table);
  t.column = std::move(column);
  return t;
}

/// A test hasher: FNV-1a 64 over the fields and prev_hash, as hex (the real one is SHA-256, authz/audit.h).
std::string test_hash(const AuditEntry& e) {
  std::uint64_t h = 1469598103934665603ull;
  auto feed = [&](const std::string& s) {
    for (unsigned char c : std::to_string(s.size()) + ":" + s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  feed(std::to_string(e.seq));
  feed(std::to_string(e.time));
  feed(e.request_id);
  feed(e.principal);
  feed(e.action);
  feed(e.resource);
  feed(e.decision);
  for (const auto& id : e.deciding_ids) feed(id);
  feed(e.detail);
  feed(e.prev_hash);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

AuditEntry audit(std::string principal, std::string action, std::string resource, std::string decision,
                 Timestamp time = 0) {
  AuditEntry e;
  e.time = time;
  e.request_id = "req-" + action;
  e.principal = std::move(principal);
  e.action = std::move(action);
  e.resource = std::move(resource);
  e.decision = std::move(decision);
  e.deciding_ids = {"grant:1", "tag:pii"};
  e.detail = "test";
  return e;
}

class PolicyStore : public test::FreshStoreTest {
 protected:
  PolicyStore() : FreshStoreTest("policy") {}

  /// Databases sales (tables orders, customers) and hr (table staff); users alice, bob; group analysts
  /// (alice); role etl; tag keys pii (yes, no) and region (eu, us).
  void seed() {
    store_->create_database(Database{"sales", "", "", {}, 0});
    store_->create_database(Database{"hr", "", "", {}, 0});
    store_->create_table("sales", make_table("orders"));
    store_->create_table("sales", make_table("customers"));
    store_->create_table("hr", make_table("staff"));
    store_->create_principal(Principal{PrincipalKind::User, "alice", "", 0});
    store_->create_principal(Principal{PrincipalKind::User, "bob", "", 0});
    store_->create_principal(Principal{PrincipalKind::Group, "analysts", "", 0});
    store_->create_principal(Principal{PrincipalKind::Role, "etl", "", 0});
    store_->add_group_member("analysts", "alice");
    store_->create_tag_key(TagKey{"pii", {"yes", "no"}, 0});
    store_->create_tag_key(TagKey{"region", {"eu", "us"}, 0});
  }

  /// Every grant matching `query`, collected over pages of `limit`.
  std::vector<Grant> all_grants(const GrantQuery& query = {}, int limit = 1000) {
    std::vector<Grant> out;
    PageRequest page{"", limit};
    do {
      auto result = store_->list_grants(query, page);
      EXPECT_LE(static_cast<int>(result.items.size()), limit);
      out.insert(out.end(), result.items.begin(), result.items.end());
      page.token = result.next_token;
    } while (!page.token.empty());
    return out;
  }

  std::vector<std::string> all_filters(const std::string& db, const std::string& table, int limit) {
    std::vector<std::string> out;
    PageRequest page{"", limit};
    do {
      auto result = store_->list_data_cells_filters(db, table, page);
      EXPECT_LE(static_cast<int>(result.items.size()), limit);
      for (const auto& f : result.items) out.push_back(f.database + "." + f.table + "." + f.name);
      page.token = result.next_token;
    } while (!page.token.empty());
    return out;
  }

  std::vector<std::int64_t> audit_seqs(const AuditQuery& query, int limit = 1000) {
    std::vector<std::int64_t> out;
    PageRequest page{"", limit};
    do {
      auto result = store_->query_audit(query, page);
      EXPECT_LE(static_cast<int>(result.items.size()), limit);
      for (const auto& e : result.items) out.push_back(e.seq);
      page.token = result.next_token;
    } while (!page.token.empty());
    return out;
  }

  /// Runs `fn` and checks that it changed the policy epoch by exactly `delta`.
  template <class Fn>
  void expect_epoch_delta(std::int64_t delta, Fn&& fn, const char* what) {
    const std::int64_t before = store_->policy_epoch();
    try {
      fn();
    } catch (const Error&) {
    }
    EXPECT_EQ(store_->policy_epoch() - before, delta) << what;
  }
};

// --- fresh store ------------------------------------------------------------------------------------------

TEST_P(PolicyStore, FreshStoreHasEpochZeroAndNoRecords) {
  EXPECT_EQ(store_->policy_epoch(), 0);
  PolicyData p = store_->load_policy();
  EXPECT_EQ(p.epoch, 0);
  EXPECT_TRUE(p.grants.empty());
  EXPECT_TRUE(p.filters.empty());
  EXPECT_TRUE(p.tag_keys.empty());
  EXPECT_TRUE(p.tag_assignments.empty());
  EXPECT_TRUE(p.locations.empty());
  EXPECT_TRUE(p.group_members.empty());
  EXPECT_TRUE(store_->scan_audit(0, 10).empty());
  EXPECT_TRUE(store_->list_grants({}, {}).items.empty());
}

// --- grants -----------------------------------------------------------------------------------------------

TEST_P(PolicyStore, GrantRejectsInvalidInputAndChangesNothing) {
  seed();
  const std::int64_t epoch = store_->policy_epoch();
  Grant g = on_table("user:alice", "sales", "", perms({Permission::Select}));
  EXPECT_EQ(invalid_field([&] { store_->grant_permissions(g); }), "grant.resource.table");
  g = on_table("alice", "sales", "orders", perms({Permission::Select}));
  EXPECT_EQ(invalid_field([&] { store_->grant_permissions(g); }), "grant.principal");
  g = on_table("user:alice", "sales", "orders", perms({Permission::CreateTable}));
  EXPECT_EQ(invalid_field([&] { store_->grant_permissions(g); }), "grant.permissions");
  g = on_table("user:alice", "sales", "orders", perms({Permission::Select}));
  g.grantable = perms({Permission::Drop});
  EXPECT_EQ(invalid_field([&] { store_->grant_permissions(g); }), "grant.grantable");
  g = on_columns("user:alice", "sales", "orders", {"id", "bad`col"});
  EXPECT_EQ(invalid_field([&] { store_->grant_permissions(g); }), "grant.resource.columns[1]");
  // Tag keys and values must exist.
  g = on_tags("user:alice", "TABLE", {{"nope", {"x"}}});
  EXPECT_EQ(invalid_field([&] { store_->grant_permissions(g); }), "grant.resource.tag_expression[0].key");
  g = on_tags("user:alice", "TABLE", {{"pii", {"yes"}}, {"region", {"eu", "mars"}}});
  EXPECT_EQ(invalid_field([&] { store_->grant_permissions(g); }),
            "grant.resource.tag_expression[1].values[1]");
  EXPECT_EQ(store_->policy_epoch(), epoch);
  EXPECT_TRUE(all_grants().empty());
}

TEST_P(PolicyStore, GrantOnMissingThingsIsNotFound) {
  seed();
  const std::int64_t epoch = store_->policy_epoch();
  EXPECT_EQ(code_of([&] {
              store_->grant_permissions(on_database("user:alice", "nope", perms({Permission::Alter})));
            }),
            ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] {
              store_->grant_permissions(on_table("user:alice", "sales", "nope", perms({Permission::Select})));
            }),
            ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] { store_->grant_permissions(on_columns("user:alice", "hr", "orders", {"id"})); }),
            ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] { store_->grant_permissions(on_filter("user:alice", "sales", "orders", "nope")); }),
            ErrorCode::NotFound);
  Grant wildcard = on_database("user:alice", "nope", perms({Permission::Select}));
  wildcard.kind = ResourceKind::TableWildcard;
  EXPECT_EQ(code_of([&] { store_->grant_permissions(wildcard); }), ErrorCode::NotFound);
  // The principal must exist (EVERYONE always does).
  EXPECT_EQ(
      code_of([&] {
        store_->grant_permissions(on_table("user:nobody", "sales", "orders", perms({Permission::Select})));
      }),
      ErrorCode::NotFound);
  EXPECT_EQ(
      code_of([&] {
        store_->grant_permissions(on_table("group:alice", "sales", "orders", perms({Permission::Select})));
      }),
      ErrorCode::NotFound);
  EXPECT_EQ(store_->policy_epoch(), epoch);
  EXPECT_TRUE(all_grants().empty());
}

TEST_P(PolicyStore, GrantIsStoredNormalisedAndReadBack) {
  seed();
  Grant g = on_columns("USER:alice", "Sales", "Orders", {"Email", "id"});
  g.column_masks = {{"EMAIL", "Hash_SHA256"}};
  g.grantable = perms({Permission::Select});
  g.expires_at = 4102444800000;
  g.granted_by = "user:admin";
  const Timestamp before = now_millis();
  Grant stored = store_->grant_permissions(g);
  EXPECT_GT(stored.id, 0);
  EXPECT_EQ(stored.principal, "user:alice");
  EXPECT_EQ(stored.kind, ResourceKind::TableWithColumns);
  EXPECT_EQ(stored.database, "sales");
  EXPECT_EQ(stored.table, "orders");
  EXPECT_EQ(stored.columns, (std::vector<std::string>{"email", "id"}));
  EXPECT_EQ(stored.column_masks, (std::map<std::string, std::string>{{"email", "hash_sha256"}}));
  EXPECT_EQ(stored.permissions, perms({Permission::Select}));
  EXPECT_EQ(stored.grantable, perms({Permission::Select}));
  EXPECT_EQ(stored.expires_at, std::optional<Timestamp>(4102444800000));
  EXPECT_EQ(stored.granted_by, "user:admin");
  EXPECT_GE(stored.create_time, before);
  EXPECT_EQ(stored.update_time, stored.create_time);

  auto read = store_->get_grant(stored.id);
  ASSERT_TRUE(read);
  EXPECT_EQ(resource_key(*read), resource_key(stored));
  EXPECT_EQ(read->columns, stored.columns);
  EXPECT_EQ(read->column_masks, stored.column_masks);
  EXPECT_EQ(read->expires_at, stored.expires_at);
  EXPECT_FALSE(store_->get_grant(stored.id + 1000));
  EXPECT_FALSE(store_->get_grant(0));

  // Every kind round-trips.
  Grant cat;
  cat.principal = "role:etl";
  cat.kind = ResourceKind::Catalog;
  cat.permissions = perms({Permission::CreateDatabase});
  Grant loc;
  loc.principal = "EVERYONE";
  loc.kind = ResourceKind::DataLocation;
  loc.location = "s3://lake/raw/";
  loc.permissions = perms({Permission::DataLocationAccess});
  Grant wildcard = on_database("group:analysts", "hr", perms({Permission::Select, Permission::Describe}));
  wildcard.kind = ResourceKind::TableWildcard;
  wildcard.column_masks = {{"ssn", "redact"}};
  Grant excl = on_columns("user:bob", "sales", "customers", {});
  excl.column_wildcard = true;
  excl.excluded_columns = {"email"};
  Grant tags = on_tags("group:analysts", "table", {{"region", {"us", "eu"}}, {"pii", {"no"}}});
  store_->create_data_cells_filter(make_filter("sales", "orders", "big"));
  Grant filter = on_filter("user:bob", "sales", "orders", "big");
  for (const Grant& in : {cat, loc, wildcard, excl, tags, filter}) {
    Grant out = store_->grant_permissions(in);
    Grant expected = in;
    normalize_grant(expected);
    EXPECT_EQ(resource_key(out), resource_key(expected));
    auto back = store_->get_grant(out.id);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->kind, expected.kind);
    EXPECT_EQ(back->principal, expected.principal);
    EXPECT_EQ(resource_key(*back), resource_key(expected));
    EXPECT_EQ(back->location, expected.location);
    EXPECT_EQ(back->column_wildcard, expected.column_wildcard);
    EXPECT_EQ(back->excluded_columns, expected.excluded_columns);
    EXPECT_EQ(back->tag_resource_type, expected.tag_resource_type);
    ASSERT_EQ(back->tag_expression.size(), expected.tag_expression.size());
    for (std::size_t i = 0; i < expected.tag_expression.size(); ++i) {
      EXPECT_EQ(back->tag_expression[i].key, expected.tag_expression[i].key);
      EXPECT_EQ(back->tag_expression[i].values, expected.tag_expression[i].values);
    }
    EXPECT_EQ(back->permissions, expected.permissions);
    EXPECT_FALSE(back->expires_at);
  }
}

TEST_P(PolicyStore, GrantingAgainMergesIntoOneGrant) {
  seed();
  Grant first = on_table("user:alice", "sales", "orders", perms({Permission::Select}));
  first.expires_at = 1000;
  first.granted_by = "user:admin";
  Grant a = store_->grant_permissions(first);

  Grant second = on_table("user:alice", "sales", "orders", perms({Permission::Describe}));
  second.grantable = perms({Permission::Describe});
  second.expires_at = 2000;
  second.granted_by = "user:bob";
  Grant b = store_->grant_permissions(second);
  EXPECT_EQ(b.id, a.id);
  EXPECT_EQ(b.permissions, perms({Permission::Select, Permission::Describe}));
  EXPECT_EQ(b.grantable, perms({Permission::Describe}));
  EXPECT_EQ(b.expires_at, std::optional<Timestamp>(2000));
  EXPECT_EQ(b.granted_by, "user:bob");
  EXPECT_EQ(b.create_time, a.create_time);

  // An earlier expiry does not shorten it; no expiry means never.
  Grant earlier = on_table("user:alice", "sales", "orders", perms({Permission::Select}));
  earlier.expires_at = 1500;
  EXPECT_EQ(store_->grant_permissions(earlier).expires_at, std::optional<Timestamp>(2000));
  Grant forever = on_table("user:alice", "sales", "orders", perms({Permission::Select}));
  EXPECT_FALSE(store_->grant_permissions(forever).expires_at);
  EXPECT_FALSE(store_->grant_permissions(earlier).expires_at);

  // Another principal, another mask or another column list is another grant.
  store_->grant_permissions(on_table("user:bob", "sales", "orders", perms({Permission::Select})));
  Grant masked = on_table("user:alice", "sales", "orders", perms({Permission::Select}));
  masked.column_masks = {{"email", "redact"}};
  EXPECT_NE(store_->grant_permissions(masked).id, a.id);
  EXPECT_EQ(all_grants().size(), 3u);
}

TEST_P(PolicyStore, GrantsWithLongResourceKeysAreOneGrantEach) {
  // 400 columns make a resource key of ~16 KB, far more than a PostgreSQL btree entry holds.
  std::vector<std::string> columns;
  for (int i = 0; i < 400; ++i) columns.push_back("a_rather_long_column_name_number_" + std::to_string(i));
  store_->create_database(Database{"wide", "", "", {}, 0});
  store_->create_table("wide", make_table("t", columns));
  store_->create_principal(Principal{PrincipalKind::User, "alice", "", 0});
  const Grant first = store_->grant_permissions(on_columns("user:alice", "wide", "t", columns));
  EXPECT_GT(resource_key(first).size(), 10000u);
  Grant again = on_columns("user:alice", "wide", "t", columns);
  again.grantable = perms({Permission::Select});
  EXPECT_EQ(store_->grant_permissions(again).id, first.id);
  std::vector<std::string> fewer(columns.begin(), columns.end() - 1);
  const Grant other = store_->grant_permissions(on_columns("user:alice", "wide", "t", fewer));
  EXPECT_NE(other.id, first.id);
  EXPECT_EQ(all_grants().size(), 2u);
  EXPECT_FALSE(store_->revoke_permissions(on_columns("user:alice", "wide", "t", columns)));
  EXPECT_TRUE(store_->get_grant(other.id));
  EXPECT_FALSE(store_->get_grant(first.id));
}

TEST_P(PolicyStore, RevokeOfMissingGrantOrBitsIsNotFound) {
  seed();
  const std::int64_t epoch = store_->policy_epoch();
  EXPECT_EQ(
      code_of([&] {
        store_->revoke_permissions(on_table("user:alice", "sales", "orders", perms({Permission::Select})));
      }),
      ErrorCode::NotFound);
  store_->grant_permissions(on_table("user:alice", "sales", "orders", perms({Permission::Select})));
  const std::int64_t after_grant = store_->policy_epoch();
  EXPECT_EQ(after_grant, epoch + 1);
  // Holds SELECT only: revoking DROP, or SELECT's grant option that was never given, is NotFound.
  EXPECT_EQ(
      code_of([&] {
        store_->revoke_permissions(on_table("user:alice", "sales", "orders", perms({Permission::Drop})));
      }),
      ErrorCode::NotFound);
  Grant option_only = on_table("user:alice", "sales", "orders", 0);
  option_only.grantable = perms({Permission::Select});
  EXPECT_EQ(code_of([&] { store_->revoke_permissions(option_only); }), ErrorCode::NotFound);
  // Same table with a mask: another resource.
  Grant masked = on_table("user:alice", "sales", "orders", perms({Permission::Select}));
  masked.column_masks = {{"email", "redact"}};
  EXPECT_EQ(code_of([&] { store_->revoke_permissions(masked); }), ErrorCode::NotFound);
  // Invalid input.
  EXPECT_EQ(invalid_field([&] { store_->revoke_permissions(on_table("user:alice", "sales", "orders", 0)); }),
            "grant.permissions");
  EXPECT_EQ(store_->policy_epoch(), after_grant);
}

TEST_P(PolicyStore, RevokeRemovesBitsAndDeletesEmptyGrants) {
  seed();
  Grant g = on_table("user:alice", "sales", "orders",
                     perms({Permission::Select, Permission::Describe, Permission::Alter}));
  g.grantable = perms({Permission::Select, Permission::Describe});
  const Grant stored = store_->grant_permissions(g);

  // Revoking only the grant option of DESCRIBE.
  Grant option = on_table("user:alice", "sales", "orders", 0);
  option.grantable = perms({Permission::Describe});
  auto r1 = store_->revoke_permissions(option);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->permissions, perms({Permission::Select, Permission::Describe, Permission::Alter}));
  EXPECT_EQ(r1->grantable, perms({Permission::Select}));

  // Revoking SELECT also revokes its grant option.
  auto r2 =
      store_->revoke_permissions(on_table("user:alice", "sales", "orders", perms({Permission::Select})));
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->id, stored.id);
  EXPECT_EQ(r2->permissions, perms({Permission::Describe, Permission::Alter}));
  EXPECT_EQ(r2->grantable, 0);
  EXPECT_EQ(store_->get_grant(stored.id)->permissions, r2->permissions);

  // Revoking the rest (plus a bit it does not hold) deletes the grant.
  auto r3 = store_->revoke_permissions(on_table(
      "user:alice", "sales", "orders", perms({Permission::Describe, Permission::Alter, Permission::Drop})));
  EXPECT_FALSE(r3);
  EXPECT_FALSE(store_->get_grant(stored.id));
  EXPECT_TRUE(all_grants().empty());
}

TEST_P(PolicyStore, ListGrantsRejectsBadQueriesAndTokens) {
  seed();
  EXPECT_EQ(invalid_field([&] { store_->list_grants(GrantQuery{"alice", {}, "", ""}, {}); }), "principal");
  EXPECT_EQ(invalid_field([&] { store_->list_grants(GrantQuery{"", {}, "", "orders"}, {}); }), "table");
  EXPECT_EQ(invalid_field([&] { store_->list_grants(GrantQuery{"", {}, "bad db", ""}, {}); }), "database");
  EXPECT_EQ(invalid_field([&] { store_->list_grants({}, PageRequest{"garbage!", 10}); }), "next_token");
  // A token of another listing is rejected too.
  store_->create_data_cells_filter(make_filter("sales", "orders", "a"));
  store_->create_data_cells_filter(make_filter("sales", "orders", "b"));
  const std::string filter_token = store_->list_data_cells_filters("", "", PageRequest{"", 1}).next_token;
  ASSERT_FALSE(filter_token.empty());
  EXPECT_EQ(invalid_field([&] { store_->list_grants({}, PageRequest{filter_token, 10}); }), "next_token");
}

TEST_P(PolicyStore, ListGrantsFiltersAndPagesInIdOrder) {
  seed();
  std::vector<std::int64_t> ids;
  for (const char* p : {"user:alice", "user:bob", "group:analysts"}) {
    ids.push_back(store_->grant_permissions(on_table(p, "sales", "orders", perms({Permission::Select}))).id);
    ids.push_back(
        store_->grant_permissions(on_table(p, "sales", "customers", perms({Permission::Select}))).id);
    ids.push_back(store_->grant_permissions(on_table(p, "hr", "staff", perms({Permission::Select}))).id);
    ids.push_back(store_->grant_permissions(on_database(p, "sales", perms({Permission::CreateTable}))).id);
    ids.push_back(store_->grant_permissions(on_columns(p, "sales", "orders", {"id"})).id);
  }
  ids.push_back(store_->grant_permissions(on_tags("EVERYONE", "TABLE", {{"pii", {"no"}}})).id);
  std::sort(ids.begin(), ids.end());

  for (int limit : {1, 4, 7, 16, 100}) {
    std::vector<std::int64_t> got;
    for (const auto& g : all_grants({}, limit)) got.push_back(g.id);
    EXPECT_EQ(got, ids) << "limit " << limit;
  }
  EXPECT_EQ(all_grants(GrantQuery{"user:bob", {}, "", ""}, 2).size(), 5u);
  EXPECT_EQ(all_grants(GrantQuery{"USER:bob", {}, "", ""}, 2).size(), 5u);
  EXPECT_EQ(all_grants(GrantQuery{"", ResourceKind::Table, "", ""}, 3).size(), 9u);
  EXPECT_EQ(all_grants(GrantQuery{"", ResourceKind::TagPolicy, "", ""}).size(), 1u);
  EXPECT_EQ(all_grants(GrantQuery{"", {}, "sales", ""}, 5).size(), 12u);
  EXPECT_EQ(all_grants(GrantQuery{"", {}, "Sales", "Orders"}, 5).size(), 6u);
  EXPECT_EQ(all_grants(GrantQuery{"user:alice", ResourceKind::TableWithColumns, "sales", "orders"}).size(),
            1u);
  EXPECT_EQ(all_grants(GrantQuery{"user:nobody", {}, "", ""}).size(), 0u);
}

// --- data cells filters -----------------------------------------------------------------------------------

TEST_P(PolicyStore, FilterRejectsInvalidMissingAndDuplicate) {
  seed();
  DataCellsFilter f = make_filter("sales", "orders", "bad name");
  EXPECT_EQ(invalid_field([&] { store_->create_data_cells_filter(f); }), "filter.name");
  f = make_filter("sales", "orders", "f1");
  f.all_rows = true;
  EXPECT_EQ(invalid_field([&] { store_->create_data_cells_filter(f); }), "filter.row_filter");
  EXPECT_EQ(code_of([&] { store_->create_data_cells_filter(make_filter("sales", "nope", "f1")); }),
            ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] { store_->create_data_cells_filter(make_filter("nope", "orders", "f1")); }),
            ErrorCode::NotFound);
  store_->create_data_cells_filter(make_filter("sales", "orders", "f1"));
  const std::int64_t epoch = store_->policy_epoch();
  EXPECT_EQ(code_of([&] { store_->create_data_cells_filter(make_filter("SALES", "orders", "f1")); }),
            ErrorCode::AlreadyExists);
  // Names are case-preserving: another case is another filter; the same name on another table too.
  store_->create_data_cells_filter(make_filter("sales", "orders", "F1"));
  store_->create_data_cells_filter(make_filter("sales", "customers", "f1"));
  EXPECT_EQ(store_->policy_epoch(), epoch + 2);
  EXPECT_EQ(invalid_field([&] { store_->get_data_cells_filter("sales", "orders", "a b"); }), "name");
  EXPECT_EQ(invalid_field([&] { store_->delete_data_cells_filter("sales", "orders", ""); }), "name");
  EXPECT_EQ(invalid_field([&] { store_->list_data_cells_filters("", "orders", {}); }), "table_name");
  EXPECT_EQ(code_of([&] { store_->list_data_cells_filters("nope", "", {}); }), ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] { store_->list_data_cells_filters("sales", "nope", {}); }), ErrorCode::NotFound);
}

TEST_P(PolicyStore, FilterUpdateChecksVersion) {
  seed();
  DataCellsFilter f = make_filter("sales", "orders", "eu");
  f.column_masks = {{"amount", "null"}};
  DataCellsFilter created = store_->create_data_cells_filter(f);
  EXPECT_EQ(created.version_id, 1);
  EXPECT_GT(created.create_time, 0);

  DataCellsFilter next = make_filter("sales", "orders", "eu");
  next.row_filter.clear();
  next.all_rows = true;
  next.columns.clear();
  next.column_wildcard = true;
  next.excluded_columns = {"email"};
  const std::int64_t epoch = store_->policy_epoch();
  EXPECT_EQ(code_of([&] { store_->update_data_cells_filter(next, 2); }), ErrorCode::VersionConflict);
  EXPECT_EQ(invalid_field([&] { store_->update_data_cells_filter(next, 0); }), "version_id");
  EXPECT_EQ(code_of([&] { store_->update_data_cells_filter(make_filter("sales", "orders", "nope"), {}); }),
            ErrorCode::NotFound);
  EXPECT_EQ(store_->policy_epoch(), epoch);
  EXPECT_EQ(store_->get_data_cells_filter("sales", "orders", "eu")->row_filter, "amount > 10");

  DataCellsFilter updated = store_->update_data_cells_filter(next, 1);
  EXPECT_EQ(updated.version_id, 2);
  EXPECT_EQ(updated.create_time, created.create_time);
  EXPECT_EQ(store_->policy_epoch(), epoch + 1);
  auto read = store_->get_data_cells_filter("Sales", "ORDERS", "eu");
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->all_rows);
  EXPECT_TRUE(read->row_filter.empty());
  EXPECT_TRUE(read->column_wildcard);
  EXPECT_EQ(read->excluded_columns, (std::vector<std::string>{"email"}));
  EXPECT_TRUE(read->column_masks.empty());
  EXPECT_EQ(read->version_id, 2);
  EXPECT_EQ(store_->update_data_cells_filter(make_filter("sales", "orders", "eu"), {}).version_id, 3);
  EXPECT_FALSE(store_->get_data_cells_filter("sales", "orders", "EU"));
}

TEST_P(PolicyStore, FilterDeleteRemovesItsGrants) {
  seed();
  store_->create_data_cells_filter(make_filter("sales", "orders", "eu"));
  Grant g = store_->grant_permissions(on_filter("user:alice", "sales", "orders", "eu"));
  Grant other =
      store_->grant_permissions(on_table("user:alice", "sales", "orders", perms({Permission::Select})));
  EXPECT_EQ(code_of([&] { store_->delete_data_cells_filter("sales", "orders", "nope"); }),
            ErrorCode::NotFound);
  const std::int64_t epoch = store_->policy_epoch();
  store_->delete_data_cells_filter("sales", "orders", "eu");
  EXPECT_EQ(store_->policy_epoch(), epoch + 1);
  EXPECT_FALSE(store_->get_data_cells_filter("sales", "orders", "eu"));
  EXPECT_FALSE(store_->get_grant(g.id));
  EXPECT_TRUE(store_->get_grant(other.id));
  EXPECT_EQ(code_of([&] { store_->delete_data_cells_filter("sales", "orders", "eu"); }), ErrorCode::NotFound);
}

TEST_P(PolicyStore, ListFiltersPagesInNameOrder) {
  seed();
  std::vector<std::string> expected;
  for (const std::string name : {"b", "A", "a", "c.1", "z-2"}) {
    store_->create_data_cells_filter(make_filter("sales", "orders", name));
    store_->create_data_cells_filter(make_filter("sales", "customers", name));
    store_->create_data_cells_filter(make_filter("hr", "staff", name));
    expected.push_back("hr.staff." + name);
    expected.push_back("sales.customers." + name);
    expected.push_back("sales.orders." + name);
  }
  std::sort(expected.begin(), expected.end());
  for (int limit : {1, 2, 3, 7, 1000}) EXPECT_EQ(all_filters("", "", limit), expected) << limit;
  std::vector<std::string> sales(expected.begin() + 5, expected.end());
  EXPECT_EQ(all_filters("sales", "", 2), sales);
  std::vector<std::string> orders(expected.begin() + 10, expected.end());
  EXPECT_EQ(all_filters("sales", "orders", 4), orders);
}

// --- tags -------------------------------------------------------------------------------------------------

TEST_P(PolicyStore, TagKeyCreateRejectsInvalidAndDuplicate) {
  EXPECT_EQ(invalid_field([&] { store_->create_tag_key(TagKey{"bad key", {"a"}, 0}); }), "tag.key");
  EXPECT_EQ(invalid_field([&] { store_->create_tag_key(TagKey{"pii", {}, 0}); }), "tag.values");
  TagKey created = store_->create_tag_key(TagKey{"PII", {"Yes", "no"}, 0});
  EXPECT_EQ(created.key, "pii");
  EXPECT_EQ(created.values, (std::vector<std::string>{"no", "yes"}));
  EXPECT_GT(created.create_time, 0);
  EXPECT_EQ(code_of([&] { store_->create_tag_key(TagKey{"pii", {"x"}, 0}); }), ErrorCode::AlreadyExists);
  EXPECT_EQ(store_->get_tag_key("Pii")->values, created.values);
  EXPECT_FALSE(store_->get_tag_key("other"));
  EXPECT_EQ(invalid_field([&] { store_->get_tag_key("a b"); }), "key");
  store_->create_tag_key(TagKey{"cost", {"high"}, 0});
  auto keys = store_->list_tag_keys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key, "cost");
  EXPECT_EQ(keys[1].key, "pii");
}

TEST_P(PolicyStore, TagKeyUpdateRules) {
  seed();
  EXPECT_EQ(code_of([&] { store_->update_tag_key("nope", {"a"}, {}); }), ErrorCode::NotFound);
  EXPECT_EQ(invalid_field([&] { store_->update_tag_key("pii", {}, {}); }), "add");
  EXPECT_EQ(invalid_field([&] { store_->update_tag_key("pii", {"ok", "n*"}, {}); }), "add[1]");
  EXPECT_EQ(invalid_field([&] { store_->update_tag_key("pii", {"maybe"}, {"Maybe"}); }), "remove[0]");
  EXPECT_EQ(invalid_field([&] { store_->update_tag_key("pii", {}, {"maybe"}); }), "remove");
  EXPECT_EQ(invalid_field([&] { store_->update_tag_key("pii", {}, {"yes", "no"}); }), "remove");

  TagKey t = store_->update_tag_key("pii", {"Maybe", "yes"}, {"no"});
  EXPECT_EQ(t.values, (std::vector<std::string>{"maybe", "yes"}));
  EXPECT_EQ(store_->get_tag_key("pii")->values, t.values);

  // A value in use cannot be removed: assigned somewhere, or used by a tag policy grant.
  store_->assign_tags(target("sales", "orders", "email"), {{"pii", "yes"}});
  std::string message;
  EXPECT_EQ(code_of([&] { store_->update_tag_key("pii", {}, {"yes"}); }, nullptr, &message),
            ErrorCode::FailedPrecondition);
  EXPECT_NE(message.find("email"), std::string::npos) << message;
  Grant g = store_->grant_permissions(on_tags("user:alice", "TABLE", {{"pii", {"maybe"}}}));
  EXPECT_EQ(code_of([&] { store_->update_tag_key("pii", {}, {"maybe"}); }, nullptr, &message),
            ErrorCode::FailedPrecondition);
  EXPECT_NE(message.find(std::to_string(g.id)), std::string::npos) << message;
  EXPECT_EQ(store_->get_tag_key("pii")->values, t.values);
}

TEST_P(PolicyStore, TagKeyDeleteRules) {
  seed();
  EXPECT_EQ(code_of([&] { store_->delete_tag_key("nope"); }), ErrorCode::NotFound);
  Grant g = store_->grant_permissions(on_tags("user:alice", "DATABASE", {{"region", {"eu"}}}));
  std::string message;
  EXPECT_EQ(code_of([&] { store_->delete_tag_key("region"); }, nullptr, &message),
            ErrorCode::FailedPrecondition);
  EXPECT_NE(message.find(std::to_string(g.id)), std::string::npos) << message;
  store_->revoke_permissions(on_tags("user:alice", "DATABASE", {{"region", {"eu"}}}));

  store_->assign_tags(target("sales"), {{"region", "eu"}, {"pii", "no"}});
  store_->assign_tags(target("sales", "orders"), {{"region", "us"}});
  const std::int64_t epoch = store_->policy_epoch();
  store_->delete_tag_key("REGION");
  EXPECT_EQ(store_->policy_epoch(), epoch + 1);
  EXPECT_FALSE(store_->get_tag_key("region"));
  auto left = store_->list_tag_assignments("sales", "");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].key, "pii");
}

TEST_P(PolicyStore, AssignTagsRejectsInvalidAndMissing) {
  seed();
  const std::int64_t epoch = store_->policy_epoch();
  EXPECT_EQ(invalid_field([&] { store_->assign_tags(target("sales"), {}); }), "tags");
  EXPECT_EQ(invalid_field([&] { store_->assign_tags(target("sales"), {{"nope", "x"}}); }), "tags.nope");
  EXPECT_EQ(invalid_field([&] { store_->assign_tags(target("sales"), {{"pii", "maybe"}}); }), "tags.pii");
  EXPECT_EQ(invalid_field([&] { store_->assign_tags(target("sales"), {{"pii", "n*"}}); }), "tags.pii");
  EXPECT_EQ(invalid_field([&] {
              store_->assign_tags(target("sales", "", "email"), {{"pii", "yes"}});
            }),
            "target.table");
  EXPECT_EQ(invalid_field([&] {
              store_->assign_tags(target("bad db"), {{"pii", "yes"}});
            }),
            "target.database");
  EXPECT_EQ(invalid_field([&] {
              store_->assign_tags(target("sales"), {{"PII", "yes"}, {"pii", "no"}});
            }),
            "tags.pii");
  EXPECT_EQ(code_of([&] { store_->assign_tags(target("nope"), {{"pii", "yes"}}); }), ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] {
              store_->assign_tags(target("sales", "nope"), {{"pii", "yes"}});
            }),
            ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] {
              store_->assign_tags(target("sales", "orders", "nope"), {{"pii", "yes"}});
            }),
            ErrorCode::NotFound);
  // One bad key leaves the others unassigned.
  EXPECT_EQ(invalid_field([&] {
              store_->assign_tags(target("sales"), {{"pii", "yes"}, {"zzz", "x"}});
            }),
            "tags.zzz");
  EXPECT_EQ(store_->policy_epoch(), epoch);
  EXPECT_TRUE(store_->list_tag_assignments("sales", "").empty());
  EXPECT_EQ(code_of([&] { store_->list_tag_assignments("nope", ""); }), ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] { store_->list_tag_assignments("sales", "nope"); }), ErrorCode::NotFound);
}

TEST_P(PolicyStore, AssignListAndUnassignTags) {
  seed();
  store_->assign_tags(target("sales"), {{"region", "EU"}});
  store_->assign_tags(target("sales", "orders"), {{"pii", "no"}, {"region", "us"}});
  store_->assign_tags(target("sales", "orders", "Email"), {{"pii", "yes"}});
  store_->assign_tags(target("sales", "orders", "dt"), {{"pii", "no"}});  // a partition key
  store_->assign_tags(target("sales", "customers"), {{"pii", "yes"}});
  store_->assign_tags(target("hr"), {{"pii", "yes"}});
  // Assigning a key again at the same level replaces its value.
  store_->assign_tags(target("sales", "orders"), {{"region", "eu"}});

  auto all = store_->list_tag_assignments("sales", "");
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[0].table, "");
  EXPECT_EQ(all[0].key, "region");
  EXPECT_EQ(all[0].value, "eu");
  EXPECT_EQ(all[1].table, "customers");
  EXPECT_EQ(all[2].table, "orders");
  EXPECT_EQ(all[2].column, "");
  EXPECT_EQ(all[2].key, "pii");
  EXPECT_EQ(all[3].column, "");
  EXPECT_EQ(all[3].key, "region");
  EXPECT_EQ(all[3].value, "eu");
  EXPECT_EQ(all[4].column, "dt");
  EXPECT_EQ(all[5].column, "email");
  EXPECT_EQ(all[5].value, "yes");
  auto orders = store_->list_tag_assignments("Sales", "Orders");
  EXPECT_EQ(orders.size(), 4u);

  // Unassign: all keys must be assigned at that level, or nothing is removed.
  const std::int64_t epoch = store_->policy_epoch();
  EXPECT_EQ(code_of([&] {
              store_->unassign_tags(target("sales", "orders"), {"pii", "cost"});
            }),
            ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] { store_->unassign_tags(target("sales", "orders", "id"), {"pii"}); }),
            ErrorCode::NotFound);
  EXPECT_EQ(invalid_field([&] { store_->unassign_tags(target("sales", "orders"), {}); }), "keys");
  EXPECT_EQ(invalid_field([&] { store_->unassign_tags(target("sales", "orders"), {"a b"}); }), "keys[0]");
  EXPECT_EQ(store_->policy_epoch(), epoch);
  EXPECT_EQ(store_->list_tag_assignments("sales", "orders").size(), 4u);
  store_->unassign_tags(target("sales", "orders"), {"PII", "region"});
  EXPECT_EQ(store_->policy_epoch(), epoch + 1);
  auto rest = store_->list_tag_assignments("sales", "orders");
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].column, "dt");
  EXPECT_EQ(rest[1].column, "email");
}

// --- locations --------------------------------------------------------------------------------------------

TEST_P(PolicyStore, LocationsRegisterListDeregister) {
  EXPECT_EQ(invalid_field([&] {
              store_->register_location(DataLocation{"http://x", "", "", 0});
            }),
            "location.uri");
  EXPECT_EQ(invalid_field([&] {
              store_->register_location(DataLocation{"s3://lake", "arn with space", "", 0});
            }),
            "location.role_arn");
  EXPECT_EQ(invalid_field([&] {
              store_->register_location(DataLocation{"s3://lake", "", "bob", 0});
            }),
            "location.registered_by");
  DataLocation loc = store_->register_location(
      DataLocation{"S3://Lake/raw/", "arn:aws:iam::123456789012:role/lf", "user:admin", 0});
  EXPECT_EQ(loc.uri, "s3://lake/raw");
  EXPECT_GT(loc.create_time, 0);
  EXPECT_EQ(code_of([&] {
              store_->register_location(DataLocation{"s3://lake/raw", "", "", 0});
            }),
            ErrorCode::AlreadyExists);
  store_->register_location(DataLocation{"file:///data/lake", "", "", 0});
  auto all = store_->list_locations();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].uri, "file:///data/lake");
  EXPECT_EQ(all[1].uri, "s3://lake/raw");
  EXPECT_EQ(all[1].role_arn, "arn:aws:iam::123456789012:role/lf");
  EXPECT_EQ(all[1].registered_by, "user:admin");
  EXPECT_EQ(code_of([&] { store_->deregister_location("s3://lake/other"); }), ErrorCode::NotFound);
  EXPECT_EQ(invalid_field([&] { store_->deregister_location("lake"); }), "uri");
  store_->deregister_location("s3://LAKE/raw/");
  EXPECT_EQ(store_->list_locations().size(), 1u);
}

// --- cascades ---------------------------------------------------------------------------------------------

TEST_P(PolicyStore, DeletingATableDeletesWhatNamesIt) {
  seed();
  store_->create_data_cells_filter(make_filter("sales", "orders", "eu"));
  store_->create_data_cells_filter(make_filter("sales", "customers", "eu"));
  const Grant t =
      store_->grant_permissions(on_table("user:alice", "sales", "orders", perms({Permission::Select})));
  const Grant c = store_->grant_permissions(on_columns("user:bob", "sales", "orders", {"id"}));
  const Grant f = store_->grant_permissions(on_filter("group:analysts", "sales", "orders", "eu"));
  const Grant keep_db =
      store_->grant_permissions(on_database("user:alice", "sales", perms({Permission::Alter})));
  const Grant keep_other =
      store_->grant_permissions(on_table("user:alice", "sales", "customers", perms({Permission::Select})));
  const Grant keep_filter = store_->grant_permissions(on_filter("user:bob", "sales", "customers", "eu"));
  store_->assign_tags(target("sales", "orders"), {{"pii", "no"}});
  store_->assign_tags(target("sales", "orders", "email"), {{"pii", "yes"}});
  store_->assign_tags(target("sales", "customers"), {{"pii", "yes"}});
  store_->assign_tags(target("sales"), {{"region", "eu"}});

  const std::int64_t epoch = store_->policy_epoch();
  store_->delete_table("sales", "orders");
  EXPECT_EQ(store_->policy_epoch(), epoch + 1);
  for (const Grant& g : {t, c, f}) EXPECT_FALSE(store_->get_grant(g.id)) << g.id;
  for (const Grant& g : {keep_db, keep_other, keep_filter}) EXPECT_TRUE(store_->get_grant(g.id)) << g.id;
  EXPECT_FALSE(store_->get_data_cells_filter("sales", "orders", "eu"));
  EXPECT_TRUE(store_->get_data_cells_filter("sales", "customers", "eu"));
  EXPECT_EQ(store_->list_tag_assignments("sales", "").size(), 2u);

  // A table created again under the name starts with nothing.
  store_->create_table("sales", make_table("orders"));
  EXPECT_TRUE(all_grants(GrantQuery{"", {}, "sales", "orders"}).empty());
  EXPECT_TRUE(store_->list_tag_assignments("sales", "orders").empty());

  // Deleting a table nothing names leaves the epoch alone.
  const std::int64_t quiet = store_->policy_epoch();
  store_->delete_table("sales", "orders");
  EXPECT_EQ(store_->policy_epoch(), quiet);
}

TEST_P(PolicyStore, DeletingADatabaseDeletesWhatNamesIt) {
  seed();
  store_->create_data_cells_filter(make_filter("sales", "orders", "eu"));
  store_->grant_permissions(on_table("user:alice", "sales", "orders", perms({Permission::Select})));
  store_->grant_permissions(on_filter("user:alice", "sales", "orders", "eu"));
  store_->grant_permissions(on_database("user:alice", "sales", perms({Permission::Alter})));
  Grant wildcard = on_database("user:bob", "sales", perms({Permission::Select}));
  wildcard.kind = ResourceKind::TableWildcard;
  store_->grant_permissions(wildcard);
  const Grant keep =
      store_->grant_permissions(on_table("user:alice", "hr", "staff", perms({Permission::Select})));
  const Grant keep_tags = store_->grant_permissions(on_tags("user:alice", "TABLE", {{"pii", {"no"}}}));
  store_->assign_tags(target("sales"), {{"region", "eu"}});
  store_->assign_tags(target("sales", "customers", "email"), {{"pii", "yes"}});
  store_->assign_tags(target("hr"), {{"region", "us"}});

  const std::int64_t epoch = store_->policy_epoch();
  store_->delete_database("sales");
  EXPECT_EQ(store_->policy_epoch(), epoch + 1);
  auto left = all_grants();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].id, keep.id);
  EXPECT_EQ(left[1].id, keep_tags.id);
  EXPECT_TRUE(all_filters("", "", 10).empty());
  PolicyData p = store_->load_policy();
  ASSERT_EQ(p.tag_assignments.size(), 1u);
  EXPECT_EQ(p.tag_assignments[0].database, "hr");

  store_->create_database(Database{"sales", "", "", {}, 0});
  EXPECT_TRUE(store_->list_tag_assignments("sales", "").empty());
}

TEST_P(PolicyStore, DeletingAPrincipalDeletesItsGrants) {
  seed();
  const Grant a =
      store_->grant_permissions(on_table("user:alice", "sales", "orders", perms({Permission::Select})));
  const Grant g =
      store_->grant_permissions(on_table("group:analysts", "sales", "orders", perms({Permission::Select})));
  const Grant b =
      store_->grant_permissions(on_table("user:bob", "sales", "orders", perms({Permission::Select})));
  const Grant e =
      store_->grant_permissions(on_table("EVERYONE", "sales", "orders", perms({Permission::Describe})));
  const Grant r =
      store_->grant_permissions(on_database("role:etl", "sales", perms({Permission::CreateTable})));

  const std::int64_t epoch = store_->policy_epoch();
  store_->delete_principal(PrincipalKind::User, "alice");
  EXPECT_EQ(store_->policy_epoch(), epoch + 1);
  store_->delete_principal(PrincipalKind::Group, "analysts");
  store_->delete_principal(PrincipalKind::Role, "etl");
  EXPECT_FALSE(store_->get_grant(a.id));
  EXPECT_FALSE(store_->get_grant(g.id));
  EXPECT_FALSE(store_->get_grant(r.id));
  EXPECT_TRUE(store_->get_grant(b.id));
  EXPECT_TRUE(store_->get_grant(e.id));

  // A principal created again under the name starts with no grants.
  store_->create_principal(Principal{PrincipalKind::User, "alice", "", 0});
  EXPECT_TRUE(all_grants(GrantQuery{"user:alice", {}, "", ""}).empty());
}

TEST_P(PolicyStore, UpdatingATableDeletesTagsOfDroppedColumns) {
  seed();
  store_->assign_tags(target("sales", "orders", "email"), {{"pii", "yes"}});
  store_->assign_tags(target("sales", "orders", "amount"), {{"pii", "no"}});
  store_->assign_tags(target("sales", "orders"), {{"region", "eu"}});

  // Changing something else leaves tags and epoch alone.
  Table t = *store_->get_table("sales", "orders");
  t.description = "changed";
  std::int64_t epoch = store_->policy_epoch();
  store_->update_table("sales", t, {});
  EXPECT_EQ(store_->policy_epoch(), epoch);
  EXPECT_EQ(store_->list_tag_assignments("sales", "orders").size(), 3u);

  // Dropping email removes its assignment only.
  t.storage_descriptor.columns.erase(t.storage_descriptor.columns.begin() + 2);
  store_->update_table("sales", t, {});
  EXPECT_EQ(store_->policy_epoch(), epoch + 1);
  auto left = store_->list_tag_assignments("sales", "orders");
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].column, "");
  EXPECT_EQ(left[1].column, "amount");
  // A column may move between data columns and partition keys.
  t.storage_descriptor.columns.pop_back();
  t.partition_keys.push_back(col("amount", "string"));
  epoch = store_->policy_epoch();
  store_->update_table("sales", t, {});
  EXPECT_EQ(store_->policy_epoch(), epoch);
  EXPECT_EQ(store_->list_tag_assignments("sales", "orders").size(), 2u);
}

// --- the policy epoch
// ---------------------------------------------------------------------------------------

TEST_P(PolicyStore, EveryChangeIncrementsTheEpochOnceAndFailuresNever) {
  seed();
  store_->create_data_cells_filter(make_filter("sales", "orders", "f"));
  expect_epoch_delta(
      1,
      [&] {
        store_->grant_permissions(on_table("user:bob", "sales", "orders", perms({Permission::Select})));
      },
      "grant");
  expect_epoch_delta(
      1,
      [&] {
        store_->grant_permissions(on_table("user:bob", "sales", "orders", perms({Permission::Select})));
      },
      "grant again");
  expect_epoch_delta(
      1,
      [&] {
        store_->revoke_permissions(on_table("user:bob", "sales", "orders", perms({Permission::Select})));
      },
      "revoke");
  expect_epoch_delta(
      0,
      [&] {
        store_->revoke_permissions(on_table("user:bob", "sales", "orders", perms({Permission::Select})));
      },
      "revoke missing");
  expect_epoch_delta(
      1, [&] { store_->create_data_cells_filter(make_filter("sales", "orders", "g")); }, "filter create");
  expect_epoch_delta(
      0, [&] { store_->create_data_cells_filter(make_filter("sales", "orders", "g")); }, "filter dup");
  expect_epoch_delta(
      1, [&] { store_->update_data_cells_filter(make_filter("sales", "orders", "g"), {}); }, "filter update");
  expect_epoch_delta(
      1, [&] { store_->delete_data_cells_filter("sales", "orders", "g"); }, "filter delete");
  expect_epoch_delta(
      1,
      [&] {
        store_->create_tag_key(TagKey{"cost", {"low"}, 0});
      },
      "tag create");
  expect_epoch_delta(
      1, [&] { store_->update_tag_key("cost", {"high"}, {}); }, "tag update");
  expect_epoch_delta(
      1,
      [&] {
        store_->assign_tags(target("sales"), {{"cost", "high"}});
      },
      "assign");
  expect_epoch_delta(
      1, [&] { store_->unassign_tags(target("sales"), {"cost"}); }, "unassign");
  expect_epoch_delta(
      0, [&] { store_->unassign_tags(target("sales"), {"cost"}); }, "unassign missing");
  expect_epoch_delta(
      1, [&] { store_->delete_tag_key("cost"); }, "tag delete");
  expect_epoch_delta(
      1,
      [&] {
        store_->register_location(DataLocation{"s3://b", "", "", 0});
      },
      "register");
  expect_epoch_delta(
      1, [&] { store_->deregister_location("s3://b"); }, "deregister");
  expect_epoch_delta(
      1,
      [&] {
        store_->create_principal(Principal{PrincipalKind::User, "carol", "", 0});
      },
      "principal");
  expect_epoch_delta(
      0,
      [&] {
        store_->create_principal(Principal{PrincipalKind::User, "carol", "", 0});
      },
      "principal dup");
  expect_epoch_delta(
      1, [&] { store_->add_group_member("analysts", "carol"); }, "add member");
  expect_epoch_delta(
      0, [&] { store_->add_group_member("analysts", "carol"); }, "add member again");
  expect_epoch_delta(
      1, [&] { store_->remove_group_member("analysts", "carol"); }, "remove member");
  expect_epoch_delta(
      0, [&] { store_->remove_group_member("analysts", "carol"); }, "remove missing member");
  expect_epoch_delta(
      1, [&] { store_->delete_principal(PrincipalKind::User, "carol"); }, "delete principal");
  expect_epoch_delta(
      0,
      [&] {
        store_->create_database(Database{"other", "", "", {}, 0});
      },
      "create database");
  expect_epoch_delta(
      0, [&] { store_->delete_database("other"); }, "delete untouched database");
  // Another store object on the same backend sees the same epoch.
  auto second = open();
  EXPECT_EQ(second->policy_epoch(), store_->policy_epoch());
}

TEST_P(PolicyStore, WaitPolicyChangeTimesOutWithoutChange) {
  const std::int64_t epoch = store_->policy_epoch();
  const auto start = steady_clock::now();
  EXPECT_EQ(store_->wait_policy_change(epoch, milliseconds(300)), epoch);
  EXPECT_GE(steady_clock::now() - start, milliseconds(290));
  // A stale known epoch returns at once.
  store_->create_tag_key(TagKey{"k", {"v"}, 0});
  const auto again = steady_clock::now();
  EXPECT_EQ(store_->wait_policy_change(epoch, milliseconds(10000)), epoch + 1);
  EXPECT_LT(steady_clock::now() - again, milliseconds(2000));
}

TEST_P(PolicyStore, WaitPolicyChangeWakesOnAChangeByAnotherNode) {
  seed();
  auto other = open();  // a second node on the same store
  const std::int64_t epoch = store_->policy_epoch();
  std::vector<std::thread> waiters;
  std::atomic<int> woke{0};
  std::vector<std::int64_t> seen(4, -1);
  std::vector<steady_clock::duration> took(4);
  const auto start = steady_clock::now();
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&, i] {
      seen[static_cast<std::size_t>(i)] = store_->wait_policy_change(epoch, milliseconds(20000));
      took[static_cast<std::size_t>(i)] = steady_clock::now() - start;
      ++woke;
    });
  }
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(woke.load(), 0);
  other->grant_permissions(on_table("user:alice", "sales", "orders", perms({Permission::Select})));
  for (auto& t : waiters) t.join();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(seen[static_cast<std::size_t>(i)], epoch + 1);
    EXPECT_LT(took[static_cast<std::size_t>(i)], milliseconds(5000));
  }
}

TEST_P(PolicyStore, PostgresAnnouncesEachEpochOnCairnPolicy) {
  if (is_sqlite()) GTEST_SKIP() << "NOTIFY is PostgreSQL's";
  class Receiver final : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection_base& c, std::vector<std::string>& out)
        : notification_receiver(c, "cairn_policy"), out_(out) {}
    void operator()(const std::string& payload, int) override { out_.push_back(payload); }

   private:
    std::vector<std::string>& out_;
  };
  pqxx::connection listen(backend_.url());
  std::vector<std::string> payloads;
  Receiver receiver(listen, payloads);
  store_->create_tag_key(TagKey{"k", {"v"}, 0});
  const std::int64_t epoch = store_->policy_epoch();
  const auto deadline = steady_clock::now() + milliseconds(5000);
  while (payloads.empty() && steady_clock::now() < deadline) listen.await_notification(1, 0);
  ASSERT_FALSE(payloads.empty());
  EXPECT_EQ(payloads.back(), std::to_string(epoch));
}

// --- load_policy
// --------------------------------------------------------------------------------------------

TEST_P(PolicyStore, LoadPolicyReturnsEveryRecord) {
  seed();
  store_->create_principal(Principal{PrincipalKind::Group, "empty", "", 0});
  store_->add_group_member("analysts", "bob");
  store_->create_data_cells_filter(make_filter("sales", "orders", "eu"));
  store_->grant_permissions(on_table("user:alice", "sales", "orders", perms({Permission::Select})));
  store_->grant_permissions(on_filter("group:analysts", "sales", "orders", "eu"));
  store_->grant_permissions(on_tags("EVERYONE", "TABLE", {{"pii", {"no"}}}));
  store_->assign_tags(target("sales", "orders", "email"), {{"pii", "yes"}});
  store_->register_location(DataLocation{"s3://lake", "", "", 0});

  PolicyData p = store_->load_policy();
  EXPECT_EQ(p.epoch, store_->policy_epoch());
  ASSERT_EQ(p.grants.size(), 3u);
  EXPECT_LT(p.grants[0].id, p.grants[1].id);
  EXPECT_EQ(p.grants[2].kind, ResourceKind::TagPolicy);
  EXPECT_EQ(p.grants[2].principal, "EVERYONE");
  ASSERT_EQ(p.filters.size(), 1u);
  EXPECT_EQ(p.filters[0].name, "eu");
  EXPECT_EQ(p.filters[0].columns, (std::vector<std::string>{"amount", "id"}));
  ASSERT_EQ(p.tag_keys.size(), 2u);
  EXPECT_EQ(p.tag_keys[0].key, "pii");
  ASSERT_EQ(p.tag_assignments.size(), 1u);
  EXPECT_EQ(p.tag_assignments[0].column, "email");
  ASSERT_EQ(p.locations.size(), 1u);
  EXPECT_EQ(p.group_members.size(), 2u);
  EXPECT_EQ(p.group_members["analysts"], (std::vector<std::string>{"alice", "bob"}));
  EXPECT_TRUE(p.group_members["empty"].empty());
}

TEST_P(PolicyStore, LoadPolicyIsOneSnapshotUnderConcurrentWrites) {
  seed();
  const std::int64_t seeded = store_->policy_epoch();
  auto writer_store = open();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    // Each write changes the epoch by one: after seeding, odd epochs have the grant and even ones do not.
    while (!stop) {
      writer_store->grant_permissions(on_table("EVERYONE", "sales", "orders", perms({Permission::Select})));
      writer_store->revoke_permissions(on_table("EVERYONE", "sales", "orders", perms({Permission::Select})));
    }
  });
  std::set<std::int64_t> epochs;
  const auto until = steady_clock::now() + milliseconds(20000);
  for (int i = 0; i < 40 || (epochs.size() < 5 && steady_clock::now() < until); ++i) {
    PolicyData p = store_->load_policy();
    epochs.insert(p.epoch);
    EXPECT_EQ(static_cast<std::int64_t>(p.grants.size()), (p.epoch - seeded) % 2) << "epoch " << p.epoch;
  }
  stop = true;
  writer.join();
  EXPECT_GE(epochs.size(), 5u) << "the reads did not overlap the writes";
}

// --- audit log
// ----------------------------------------------------------------------------------------------

TEST_P(PolicyStore, AuditAppendChainsEntries) {
  std::vector<AuditEntry> empty;
  store_->append_audit(empty, test_hash);
  EXPECT_TRUE(store_->scan_audit(0, 10).empty());
  EXPECT_EQ(invalid_field([&] { store_->scan_audit(0, 0); }), "limit");

  std::vector<AuditEntry> batch = {audit("user:alice", "GetTable", "table/sales/orders", "allow", 1000),
                                   audit("user:bob", "GetTable", "table/sales/orders", "deny", 0)};
  const Timestamp before = now_millis();
  store_->append_audit(batch, test_hash);
  EXPECT_EQ(batch[0].seq, 1);
  EXPECT_EQ(batch[1].seq, 2);
  EXPECT_EQ(batch[0].time, 1000);
  EXPECT_GE(batch[1].time, before);
  EXPECT_EQ(batch[0].prev_hash, "");
  EXPECT_EQ(batch[1].prev_hash, batch[0].hash);
  EXPECT_EQ(batch[1].hash, test_hash(batch[1]));

  std::vector<AuditEntry> more = {audit("user:alice", "GrantPermissions", "database/sales", "ok", 3000)};
  store_->append_audit(more, test_hash);
  EXPECT_EQ(more[0].seq, 3);
  EXPECT_EQ(more[0].prev_hash, batch[1].hash);

  auto all = store_->scan_audit(0, 10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].principal, "user:bob");
  EXPECT_EQ(all[1].deciding_ids, (std::vector<std::string>{"grant:1", "tag:pii"}));
  EXPECT_EQ(all[1].request_id, "req-GetTable");
  EXPECT_EQ(all[1].detail, "test");
  EXPECT_EQ(all[1].hash, batch[1].hash);
  EXPECT_EQ(all[2].hash, test_hash(all[2]));
  auto tail = store_->scan_audit(1, 1);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].seq, 2);
  EXPECT_TRUE(store_->scan_audit(3, 10).empty());
}

// The append's statements are prepared once per connection (PostgreSQL): a connection that dies takes its
// prepared statements with it, and the appends after it prepare them again on a new one.
TEST_P(PolicyStore, AuditAppendsPrepareAgainAfterLostConnections) {
  if (is_sqlite()) GTEST_SKIP() << "connections to an embedded file cannot be lost";
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 2; ++i) {
      std::vector<AuditEntry> batch = {audit("user:alice", "GetTable", "table/sales/orders", "allow", 1000)};
      store_->append_audit(batch, test_hash);
      EXPECT_EQ(batch[0].seq, 2 * round + i + 1);
    }
    EXPECT_GE(backend_.terminate_connections(), 1u);
  }
  auto all = store_->scan_audit(0, 10);
  ASSERT_EQ(all.size(), 6u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i) + 1);
    EXPECT_EQ(all[i].prev_hash, i == 0 ? std::string() : all[i - 1].hash);
    EXPECT_EQ(all[i].hash, test_hash(all[i]));
  }
}
TEST_P(PolicyStore, AuditTextIsMadeStorableBeforeHashing) {
  AuditEntry e = audit("user:alice", "GetTable", std::string(5000, 'r'), "allow", 1000);
  e.detail = std::string("nul\0byte", 8);
  e.request_id = "bad\xff\xfeutf8";
  e.deciding_ids = {"ok", "x\xc3"};
  e.principal = "user:" + std::string(300, 'p') + "\xc3\xa9";
  std::vector<AuditEntry> batch = {e};
  store_->append_audit(batch, test_hash);
  EXPECT_EQ(batch[0].detail, "nul?byte");
  EXPECT_EQ(batch[0].request_id, "bad??utf8");
  EXPECT_EQ(batch[0].deciding_ids, (std::vector<std::string>{"ok", "x?"}));
  EXPECT_EQ(batch[0].resource.size(), 1024u);
  EXPECT_EQ(batch[0].principal.size(), 256u);
  auto stored = store_->scan_audit(0, 10);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].detail, batch[0].detail);
  EXPECT_EQ(stored[0].request_id, batch[0].request_id);
  EXPECT_EQ(stored[0].resource, batch[0].resource);
  EXPECT_EQ(stored[0].principal, batch[0].principal);
  EXPECT_EQ(stored[0].hash, test_hash(stored[0]));
}

TEST_P(PolicyStore, AuditQueryFiltersAndPages) {
  std::vector<AuditEntry> batch;
  for (int i = 0; i < 30; ++i) {
    const std::string who = i % 3 == 0 ? "user:alice" : "user:bob";
    const std::string what =
        i % 2 == 0 ? "table/crm/customers" : (i % 5 == 0 ? "table/crm2/x" : "database/crm");
    batch.push_back(audit(who, i % 4 == 0 ? "GetTable" : "GetDatabase", what, i % 7 == 0 ? "deny" : "allow",
                          1000 + i * 10));
  }
  store_->append_audit(batch, test_hash);
  auto expect = [&](const std::function<bool(const AuditEntry&)>& pred) {
    std::vector<std::int64_t> out;
    for (const auto& e : batch) {
      if (pred(e)) out.push_back(e.seq);
    }
    return out;
  };
  for (int limit : {1, 4, 1000}) {
    EXPECT_EQ(audit_seqs({}, limit).size(), 30u);
    EXPECT_EQ(audit_seqs(AuditQuery{"user:alice", "", "", "", {}, {}}, limit),
              expect([](const AuditEntry& e) { return e.principal == "user:alice"; }));
  }
  // A resource prefix matches the resource and what is below it, not siblings sharing its text.
  EXPECT_EQ(audit_seqs(AuditQuery{"", "table/crm", "", "", {}, {}}, 3),
            expect([](const AuditEntry& e) { return e.resource == "table/crm/customers"; }));
  EXPECT_EQ(audit_seqs(AuditQuery{"", "table/", "", "", {}, {}}, 3),
            expect([](const AuditEntry& e) { return e.resource.starts_with("table/"); }));
  EXPECT_EQ(audit_seqs(AuditQuery{"", "database/crm", "", "", {}, {}}),
            expect([](const AuditEntry& e) { return e.resource == "database/crm"; }));
  EXPECT_TRUE(audit_seqs(AuditQuery{"", "table/cr", "", "", {}, {}}).empty());
  EXPECT_EQ(audit_seqs(AuditQuery{"", "", "GetTable", "deny", {}, {}}),
            expect([](const AuditEntry& e) { return e.action == "GetTable" && e.decision == "deny"; }));
  EXPECT_EQ(audit_seqs(AuditQuery{"user:bob", "", "", "", Timestamp{1050}, Timestamp{1200}}, 2),
            expect([](const AuditEntry& e) {
              return e.principal == "user:bob" && e.time >= 1050 && e.time < 1200;
            }));
  EXPECT_EQ(invalid_field([&] { store_->query_audit({}, PageRequest{"%%%", 10}); }), "next_token");
}

TEST_P(PolicyStore, ConcurrentAppendersOnTwoNodesKeepOneChain) {
  auto other = open();
  constexpr int kThreads = 4;
  constexpr int kBatches = 15;
  constexpr int kPerBatch = 5;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    Store& s = t % 2 == 0 ? *store_ : *other;
    threads.emplace_back([&s, &failures, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<AuditEntry> batch;
        for (int i = 0; i < kPerBatch; ++i) {
          batch.push_back(audit("user:t" + std::to_string(t), "Op" + std::to_string(b), "catalog", "ok"));
        }
        try {
          s.append_audit(batch, test_hash);
        } catch (const Error& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::vector<AuditEntry> all;
  std::int64_t after = 0;
  while (true) {
    auto page = store_->scan_audit(after, 7);
    if (page.empty()) break;
    after = page.back().seq;
    all.insert(all.end(), page.begin(), page.end());
  }
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kBatches * kPerBatch));
  std::string prev;
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(all[i].prev_hash, prev) << "seq " << all[i].seq;
    EXPECT_EQ(all[i].hash, test_hash(all[i])) << "seq " << all[i].seq;
    prev = all[i].hash;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, PolicyStore, test::store_backends(), test::backend_test_name);

}  // namespace
}  // namespace cairn::catalog
