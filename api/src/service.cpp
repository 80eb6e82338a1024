#include "cairn/api/service.h"

#include <algorithm>
#include <map>
#include <set>
#include <type_traits>

#include "cairn/api/errors.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/model_json.h"
#include "cairn/catalog/names.h"
#include "table_view_cache.h"

namespace cairn::api {

using authz::Action;
using authz::Resource;
using catalog::Page;
using catalog::PageRequest;
using catalog::PrincipalKind;

namespace {

std::string db_name(const std::string& name) {
  return catalog::normalize_entity_name("database", name);
}
std::string table_name(const std::string& name) {
  return catalog::normalize_entity_name("table", name);
}

Resource principal_resource(std::string arn) {
  Resource r;
  r.principal = std::move(arn);
  return r;
}

Resource table_resource(const std::string& database, const std::string& table) {
  return Resource{db_name(database), table_name(table), {}, {}, {}};
}

/// Keeps the items of `page` for which `visible` holds; paging continues from the unfiltered page's token.
template <class T, class Pred>
Page<T> filter_page(Page<T> page, Pred visible) {
  std::erase_if(page.items, [&](const T& item) { return !visible(item); });
  return page;
}

}  // namespace

CatalogService::CatalogService(catalog::Store& store, authz::PolicyEngine& engine, authz::AuditLog& audit,
                               const authz::SecretBox& secrets, std::string catalog_id,
                               const authz::Authenticator* authenticator)
    : table_views_(std::make_unique<TableViewCache>()),
      store_(store),
      engine_(engine),
      audit_(audit),
      secrets_(secrets),
      catalog_id_(std::move(catalog_id)),
      authenticator_(authenticator) {}

CatalogService::~CatalogService() = default;

void CatalogService::credentials_changed() const {
  if (authenticator_ != nullptr) authenticator_->invalidate();
}

void CatalogService::identity_changed() const {
  if (authenticator_ != nullptr) authenticator_->invalidate();
  engine_.reload();  // memberships and deleted principals' grants change what callers hold
}

std::string CatalogService::subject_id(const Caller& caller) const {
  return authz::principal_id(caller.principal);
}

std::string audit_resource(const Resource& r) {
  if (!r.filter.empty()) return "filter/" + r.database + "/" + r.table + "/" + r.filter;
  if (!r.table.empty()) return "table/" + r.database + "/" + r.table;
  if (!r.database.empty()) return "database/" + r.database;
  if (!r.principal.empty()) return "principal/" + r.principal;
  return "catalog";
}

namespace {
/// The audit entry of a decision by `principal` (its subject id) on `resource`.
catalog::AuditEntry decision_entry(const Caller& caller, std::string principal, std::string action,
                                   std::string resource, const authz::Decision& d) {
  catalog::AuditEntry entry;
  entry.request_id = caller.request_id;
  entry.principal = std::move(principal);
  entry.action = std::move(action);
  entry.resource = std::move(resource);
  entry.decision = d.allowed ? "allow" : "deny";
  entry.deciding_ids = d.deciding_ids;
  entry.detail = d.reason;
  return entry;
}
}  // namespace

void CatalogService::record_decision(const Caller& caller, const std::string& action,
                                     const std::string& resource, const authz::Decision& d) {
  audit_.record(decision_entry(caller, subject_id(caller), action, resource, d));
}

authz::Decision CatalogService::decide(const Caller& caller, Action action, const Resource& resource) {
  authz::Decision d = engine_.decide(caller, action, resource);
  record_decision(caller, authz::action_name(action), audit_resource(resource), d);
  return d;
}

void CatalogService::require(const Caller& caller, Action action, const Resource& resource) {
  authz::Decision d = decide(caller, action, resource);
  if (!d.allowed) throw Error(ErrorCode::AccessDenied, std::move(d.reason));
}

void CatalogService::record_mutation(const Caller& caller, const std::string& action,
                                     const std::string& resource, bool ok, const std::string& detail) {
  record_mutation(subject_id(caller), caller.request_id, action, resource, ok, detail);
}

void CatalogService::record_mutation(const std::string& principal, const std::string& request_id,
                                     const std::string& action, const std::string& resource, bool ok,
                                     const std::string& detail) {
  catalog::AuditEntry entry;
  entry.request_id = request_id;
  entry.principal = principal;
  entry.action = action;
  entry.resource = resource;
  entry.decision = ok ? "ok" : "error";
  entry.detail = detail;
  audit_.record(std::move(entry));
}

authz::Decision CatalogService::require_visible(const Caller& caller, Action action, const Resource& resource,
                                                const std::string& what) {
  authz::Decision d = decide(caller, action, resource);
  if (!d.allowed) throw Error(ErrorCode::NotFound, what + " not found");
  return d;
}

// --- databases -----------------------------------------------------------------------------------

Page<catalog::Database> CatalogService::list_databases(const Caller& caller, const PageRequest& page) {
  return filter_page(store_.list_databases(page), [&](const catalog::Database& db) {
    return engine_.is_granted(caller, Action::DescribeDatabase, Resource{db.name, {}, {}, {}, {}});
  });
}

catalog::Database CatalogService::get_database(const Caller& caller, const std::string& name) {
  const std::string db = db_name(name);
  const std::string what = "database '" + db + "'";
  require_visible(caller, Action::DescribeDatabase, Resource{db, {}, {}, {}, {}}, what);
  auto found = store_.get_database(db);
  if (!found) throw Error(ErrorCode::NotFound, what + " not found");
  return *found;
}

catalog::Database CatalogService::create_database(const Caller& caller, catalog::Database db) {
  const std::string name = catalog::normalize_entity_name("name", db.name, "database name");
  require(caller, Action::CreateDatabase, Resource{name, {}, {}, {}, {}});
  return mutate(caller, "CreateDatabase", "database/" + name,
                [&] { return store_.create_database(std::move(db)); });
}

catalog::Database CatalogService::update_database(const Caller& caller, const std::string& name,
                                                  catalog::Database db) {
  const std::string n = db_name(name);
  require(caller, Action::AlterDatabase, Resource{n, {}, {}, {}, {}});
  return mutate(caller, "UpdateDatabase", "database/" + n,
                [&] { return store_.update_database(name, std::move(db)); });
}

void CatalogService::delete_database(const Caller& caller, const std::string& name) {
  const std::string n = db_name(name);
  require(caller, Action::DropDatabase, Resource{n, {}, {}, {}, {}});
  mutate(caller, "DeleteDatabase", "database/" + n, [&] { store_.delete_database(name); });
  engine_.reload();  // its grants, filters and tags went with it (G3)
}

// --- tables --------------------------------------------------------------------------------------

catalog::Table CatalogService::load_table(const std::string& database, const std::string& name) {
  auto found = store_.get_table(database, name);
  if (!found)
    throw Error(ErrorCode::NotFound, "table '" + db_name(database) + "." + table_name(name) + "' not found");
  return *found;
}

catalog::Table CatalogService::visible_columns(const Caller& caller, catalog::Table table) {
  if (caller.is_admin) return table;
  // Resolve first: the table is moved into the call below.
  const authz::TableAccess access =
      engine_.snapshot()->resolve(authz::subject_of(caller), table, catalog::now_millis());
  return visible_columns(access, std::move(table));
}

catalog::Table CatalogService::visible_columns(const authz::TableAccess& access, catalog::Table table) {
  using catalog::Permission;
  if (catalog::has(access.whole_table, Permission::Describe) ||
      catalog::has(access.whole_table, Permission::Alter)) {
    return table;  // V1: DESCRIBE/ALTER on the whole table shows the whole schema
  }
  std::map<std::string, const authz::ColumnAccess*> visible;
  for (const auto& c : access.columns) visible.emplace(c.name, &c);
  auto keep = [&](std::vector<catalog::Column>& columns) {
    std::vector<catalog::Column> out;
    for (catalog::Column& c : columns) {
      auto it = visible.find(c.name);
      if (it == visible.end()) continue;
      const authz::ColumnAccess& a = *it->second;
      if (!a.rules.empty() && a.rules.front().mask)
        c.parameters["cairn:mask"] = authz::mask_spec(*a.rules.front().mask);
      if (!a.cell_filter.empty()) c.parameters["cairn:cell_filter"] = a.cell_filter;
      out.push_back(std::move(c));
    }
    columns = std::move(out);
  };
  keep(table.storage_descriptor.columns);
  keep(table.partition_keys);
  if (!access.all_rows) table.parameters["cairn:row_filter"] = access.row_filter;
  return table;
}

Page<catalog::Table> CatalogService::list_tables(const Caller& caller, const std::string& database,
                                                 const PageRequest& page) {
  const std::string db = db_name(database);
  require_visible(caller, Action::DescribeDatabase, Resource{db, {}, {}, {}, {}}, "database '" + db + "'");
  Page<catalog::Table> out = filter_page(store_.list_tables(db, page), [&](const catalog::Table& t) {
    return engine_.is_granted(caller, Action::DescribeTable, Resource{db, t.name, {}, {}, {}});
  });
  for (catalog::Table& t : out.items) t = visible_columns(caller, std::move(t));
  return out;
}

catalog::Table CatalogService::get_table(const Caller& caller, const std::string& database,
                                         const std::string& name) {
  const Resource r = table_resource(database, name);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  return visible_columns(caller, load_table(r.database, r.table));
}

std::shared_ptr<const std::string> CatalogService::get_table_json(const Caller& caller,
                                                                  const std::string& database,
                                                                  const std::string& name) {
  const Resource r = table_resource(database, name);
  // The basis is read before anything it guards: the token before the table, the snapshot before deciding.
  const std::optional<std::uint64_t> token = store_.catalog_change_token();
  TableViewCache::Basis basis{token.value_or(0), engine_.snapshot(), authz::subject_of(caller),
                              catalog::now_millis()};
  const std::string& subject = basis.subject.principal;  // subject_id(caller)
  const std::string key = TableViewCache::key(subject, r.database, r.table);
  if (token) {
    if (auto view = table_views_->find(key, basis)) {
      // A hit replays the decision that allowed the view: the same entry a miss records through decide().
      audit_.record(decision_entry(caller, subject, authz::action_name(Action::DescribeTable),
                                   audit_resource(r), view->decision));
      return view->body;
    }
  }
  auto view = std::make_shared<TableViewCache::View>();
  view->decision =
      require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  view->body = std::make_shared<const std::string>(
      catalog::to_json(visible_columns(caller, load_table(r.database, r.table))).dump());
  if (token) table_views_->put(key, basis, view);
  return view->body;
}

namespace {
/// The table's location as a normalised URI, or "" when it is not an s3:// or file:// URI.
std::string location_of(const catalog::Table& table) {
  if (table.storage_descriptor.location.empty()) return "";
  try {
    return catalog::normalize_location_uri(table.storage_descriptor.location, "storage_descriptor.location");
  } catch (const Error&) {
    return "";
  }
}
}  // namespace

catalog::Table CatalogService::create_table(const Caller& caller, const std::string& database,
                                            catalog::Table table) {
  const std::string db = db_name(database);
  Resource r{db, {}, {}, {}, location_of(table)};
  require(caller, Action::CreateTable, r);
  const std::string name = table.name;
  return mutate(caller, "CreateTable", "table/" + db + "/" + name,
                [&] { return store_.create_table(db, std::move(table)); });
}

catalog::Table CatalogService::update_table(const Caller& caller, const std::string& database,
                                            catalog::Table table,
                                            std::optional<std::int64_t> expected_version) {
  Resource r = table_resource(database, table.name);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  const std::string new_location = location_of(table);
  if (auto current = store_.get_table(r.database, r.table);
      current && location_of(*current) != new_location) {
    r.location = new_location;  // L1 applies to a new location
  }
  require(caller, Action::AlterTable, r);
  catalog::Table updated = mutate(caller, "UpdateTable", audit_resource(r), [&] {
    return store_.update_table(r.database, std::move(table), expected_version);
  });
  engine_.reload();  // tags of dropped columns are gone
  return updated;
}

void CatalogService::delete_table(const Caller& caller, const std::string& database,
                                  const std::string& name) {
  const Resource r = table_resource(database, name);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  require(caller, Action::DropTable, r);
  mutate(caller, "DeleteTable", audit_resource(r), [&] { store_.delete_table(r.database, r.table); });
  engine_.reload();  // G3
}

Page<catalog::Table> CatalogService::list_table_versions(const Caller& caller, const std::string& database,
                                                         const std::string& name, const PageRequest& page) {
  const Resource r = table_resource(database, name);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  Page<catalog::Table> out = store_.list_table_versions(r.database, r.table, page);
  for (catalog::Table& t : out.items) t = visible_columns(caller, std::move(t));
  return out;
}

catalog::Table CatalogService::get_table_version(const Caller& caller, const std::string& database,
                                                 const std::string& name, std::int64_t version) {
  const Resource r = table_resource(database, name);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  auto found = store_.get_table_version(r.database, r.table, version);
  if (!found) {
    throw Error(ErrorCode::NotFound, "version " + std::to_string(version) + " of table '" + r.database + "." +
                                         r.table + "' not found");
  }
  return visible_columns(caller, std::move(*found));
}

// --- partitions ----------------------------------------------------------------------------------

std::optional<std::string> CatalogService::pruned_filter(const authz::TableAccess& access,
                                                         const std::string& filter) {
  if (access.columns.empty()) return std::nullopt;  // every source failed closed (F1): nothing to list
  if (access.all_rows || access.partition_filter.empty()) return filter;  // rows are the engine's to filter
  if (filter.find_first_not_of(" \t\r\n") == std::string::npos) return access.partition_filter;
  return "(" + filter + ") AND (" + access.partition_filter + ")";
}

namespace {
/// Cuts a partition's own column list to the columns visible in `visible` (the governed table).
void cut_columns(catalog::Partition& p, const catalog::Table& visible) {
  std::set<std::string> names;
  for (const auto& c : visible.storage_descriptor.columns) names.insert(c.name);
  std::erase_if(p.storage_descriptor.columns,
                [&](const catalog::Column& c) { return !names.contains(c.name); });
}
}  // namespace

Page<catalog::Partition> CatalogService::list_partitions(const Caller& caller, const std::string& database,
                                                         const std::string& table, const std::string& filter,
                                                         const PageRequest& page) {
  const Resource r = table_resource(database, table);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  require(caller, Action::ListPartitions, r);  // visible but not readable: 403 naming SELECT
  if (caller.is_admin) return store_.list_partitions(r.database, r.table, std::string_view(filter), page);
  const catalog::Table t = load_table(r.database, r.table);
  if (filter.find_first_not_of(" \t\r\n") != std::string::npos) {
    catalog::PartitionExpression::create(filter,
                                         t.partition_keys);  // the caller's own errors name its filter
  }
  // One resolution serves both the pruning (S5) and the columns of the partitions (S1).
  const authz::TableAccess access =
      engine_.snapshot()->resolve(authz::subject_of(caller), t, catalog::now_millis());
  const std::optional<std::string> governed = pruned_filter(access, filter);
  if (!governed) return {};
  Page<catalog::Partition> out =
      store_.list_partitions(r.database, r.table, std::string_view(*governed), page);
  const catalog::Table visible = visible_columns(access, t);
  for (auto& p : out.items) cut_columns(p, visible);
  return out;
}

catalog::Partition CatalogService::get_partition(const Caller& caller, const std::string& database,
                                                 const std::string& table,
                                                 const std::vector<std::string>& values) {
  auto found = batch_get_partitions(caller, database, table, {values});
  if (found.empty()) {
    const Resource r = table_resource(database, table);
    std::string joined;
    for (const auto& v : values) joined += (joined.empty() ? "" : ", ") + ("'" + v + "'");
    throw Error(ErrorCode::NotFound,
                "partition (" + joined + ") of table '" + r.database + "." + r.table + "' not found");
  }
  return std::move(found.front());
}

std::vector<catalog::Partition> CatalogService::batch_get_partitions(
    const Caller& caller, const std::string& database, const std::string& table,
    const std::vector<std::vector<std::string>>& values) {
  const Resource r = table_resource(database, table);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  require(caller, Action::DescribePartition, r);
  const catalog::Table t = load_table(r.database, r.table);  // a missing table is reported as such
  std::vector<catalog::Partition> found = store_.batch_get_partitions(r.database, r.table, values);
  if (caller.is_admin) return found;
  const authz::TableAccess access =
      engine_.snapshot()->resolve(authz::subject_of(caller), t, catalog::now_millis());
  const std::optional<std::string> pruning = pruned_filter(access, "");
  if (!pruning) return {};
  if (!pruning->empty()) {
    auto expr = catalog::PartitionExpression::create(*pruning, t.partition_keys);
    std::erase_if(found, [&](const catalog::Partition& p) { return !expr->matches(p.values); });
  }
  const catalog::Table visible = visible_columns(access, t);
  for (auto& p : found) cut_columns(p, visible);
  return found;
}

std::vector<catalog::BatchItemError> CatalogService::create_partitions(
    const Caller& caller, const std::string& database, const std::string& table,
    std::vector<catalog::Partition> partitions) {
  const Resource r = table_resource(database, table);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  require(caller, Action::CreatePartition, r);
  return mutate(caller, "CreatePartitions", audit_resource(r),
                [&] { return store_.create_partitions(r.database, r.table, std::move(partitions)); });
}

void CatalogService::update_partition(const Caller& caller, const std::string& database,
                                      const std::string& table, const std::vector<std::string>& values,
                                      catalog::Partition partition) {
  const Resource r = table_resource(database, table);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  require(caller, Action::AlterPartition, r);
  mutate(caller, "UpdatePartition", audit_resource(r),
         [&] { store_.update_partition(r.database, r.table, values, std::move(partition)); });
}

std::vector<catalog::BatchItemError> CatalogService::update_partitions(
    const Caller& caller, const std::string& database, const std::string& table,
    std::vector<std::pair<std::vector<std::string>, catalog::Partition>> entries) {
  const Resource r = table_resource(database, table);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  require(caller, Action::AlterPartition, r);
  return mutate(caller, "UpdatePartitions", audit_resource(r),
                [&] { return store_.update_partitions(r.database, r.table, std::move(entries)); });
}

std::vector<catalog::BatchItemError> CatalogService::delete_partitions(
    const Caller& caller, const std::string& database, const std::string& table,
    const std::vector<std::vector<std::string>>& values) {
  const Resource r = table_resource(database, table);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  require(caller, Action::DropPartition, r);
  return mutate(caller, "DeletePartitions", audit_resource(r),
                [&] { return store_.delete_partitions(r.database, r.table, values); });
}

// --- identity ------------------------------------------------------------------------------------

std::string CatalogService::principal_arn(PrincipalKind kind, const std::string& name) const {
  return authz::PrincipalRef{kind, name}.arn(catalog_id_);
}

Page<catalog::Principal> CatalogService::list_principals(const Caller& caller, PrincipalKind kind,
                                                         const PageRequest& page) {
  return filter_page(store_.list_principals(kind, page), [&](const catalog::Principal& p) {
    return engine_.is_granted(caller, Action::DescribePrincipals,
                              principal_resource(principal_arn(p.kind, p.name)));
  });
}

catalog::Principal CatalogService::get_principal(const Caller& caller, PrincipalKind kind,
                                                 const std::string& name) {
  const std::string what = std::string(catalog::principal_kind_name(kind)) + " '" + name + "'";
  require_visible(caller, Action::DescribePrincipals, principal_resource(principal_arn(kind, name)), what);
  auto found = store_.get_principal(kind, name);
  if (!found) throw Error(ErrorCode::NotFound, what + " not found");
  return *found;
}

catalog::Principal CatalogService::create_principal(const Caller& caller, catalog::Principal principal) {
  catalog::validate_principal_name("name", principal.name);
  require(caller, Action::ManagePrincipals,
          principal_resource(principal_arn(principal.kind, principal.name)));
  const std::string arn = principal_arn(principal.kind, principal.name);
  return mutate(caller, "CreatePrincipal", "principal/" + arn,
                [&] { return store_.create_principal(std::move(principal)); });
}

void CatalogService::delete_principal(const Caller& caller, PrincipalKind kind, const std::string& name) {
  require(caller, Action::ManagePrincipals, principal_resource(principal_arn(kind, name)));
  if (kind == PrincipalKind::User && name == authz::kAdminUser) {
    throw Error(ErrorCode::FailedPrecondition, "the bootstrap administrator 'admin' cannot be deleted");
  }
  mutate(caller, "DeletePrincipal", "principal/" + principal_arn(kind, name),
         [&] { store_.delete_principal(kind, name); });
  identity_changed();
}

std::vector<catalog::Principal> CatalogService::list_group_members(const Caller& caller,
                                                                   const std::string& group) {
  get_principal(caller, PrincipalKind::Group, group);
  std::vector<catalog::Principal> out;
  for (const auto& user : store_.list_group_members(group)) {
    if (!engine_.is_granted(caller, Action::DescribePrincipals,
                            principal_resource(principal_arn(PrincipalKind::User, user)))) {
      continue;
    }
    if (auto p = store_.get_principal(PrincipalKind::User, user)) out.push_back(std::move(*p));
  }
  return out;
}

std::vector<catalog::Principal> CatalogService::list_groups_for_user(const Caller& caller,
                                                                     const std::string& user) {
  get_principal(caller, PrincipalKind::User, user);
  std::vector<catalog::Principal> out;
  for (const auto& group : store_.list_groups_for_user(user)) {
    if (auto p = store_.get_principal(PrincipalKind::Group, group)) out.push_back(std::move(*p));
  }
  return out;
}

void CatalogService::add_group_member(const Caller& caller, const std::string& group,
                                      const std::string& user) {
  require(caller, Action::ManagePrincipals, principal_resource(principal_arn(PrincipalKind::Group, group)));
  mutate(caller, "AddGroupMember", "principal/" + principal_arn(PrincipalKind::Group, group),
         [&] { store_.add_group_member(group, user); });
  identity_changed();
}

void CatalogService::remove_group_member(const Caller& caller, const std::string& group,
                                         const std::string& user) {
  require(caller, Action::ManagePrincipals, principal_resource(principal_arn(PrincipalKind::Group, group)));
  mutate(caller, "RemoveGroupMember", "principal/" + principal_arn(PrincipalKind::Group, group),
         [&] { store_.remove_group_member(group, user); });
  identity_changed();
}

std::vector<catalog::AccessKey> CatalogService::list_access_keys(const Caller& caller, PrincipalKind kind,
                                                                 const std::string& owner) {
  const std::string arn = principal_arn(kind, owner);
  require_visible(caller, Action::DescribeAccessKeys, principal_resource(arn),
                  std::string(catalog::principal_kind_name(kind)) + " '" + owner + "'");
  if (!store_.get_principal(kind, owner)) {
    throw Error(ErrorCode::NotFound,
                std::string(catalog::principal_kind_name(kind)) + " '" + owner + "' not found");
  }
  return store_.list_access_keys(kind, owner);
}

CreatedAccessKey CatalogService::create_access_key(const Caller& caller, PrincipalKind kind,
                                                   const std::string& owner) {
  if (kind == PrincipalKind::Group)
    throw_invalid("owner", "groups cannot have access keys; create one for a user or role");
  require(caller, Action::ManageAccessKeys, principal_resource(principal_arn(kind, owner)));
  CreatedAccessKey created;
  created.secret_access_key = authz::generate_secret_access_key();
  created.key.access_key_id = authz::generate_access_key_id(kind);
  created.key.owner_kind = kind;
  created.key.owner_name = owner;
  created.key.status = catalog::AccessKeyStatus::Active;
  created.key.sealed_secret = secrets_.seal(created.secret_access_key);
  created.key.create_time = catalog::now_millis();
  mutate(caller, "CreateAccessKey", "principal/" + principal_arn(kind, owner),
         [&] { store_.create_access_key(created.key); });
  created.key.sealed_secret.clear();
  return created;
}

catalog::AccessKey CatalogService::owned_key(PrincipalKind kind, const std::string& owner,
                                             const std::string& access_key_id) {
  auto key = store_.get_access_key(access_key_id);
  if (!key || key->owner_kind != kind || key->owner_name != owner) {
    throw Error(ErrorCode::NotFound, "access key '" + access_key_id + "' of " +
                                         catalog::principal_kind_name(kind) + " '" + owner + "' not found");
  }
  key->sealed_secret.clear();
  return *key;
}

void CatalogService::protect_last_admin_key(const catalog::AccessKey& key) {
  if (key.owner_kind != PrincipalKind::User || key.owner_name != authz::kAdminUser ||
      key.status != catalog::AccessKeyStatus::Active) {
    return;
  }
  const auto keys = store_.list_access_keys(PrincipalKind::User, std::string(authz::kAdminUser));
  const auto active = std::count_if(keys.begin(), keys.end(), [](const catalog::AccessKey& k) {
    return k.status == catalog::AccessKeyStatus::Active;
  });
  if (active <= 1) {
    throw Error(ErrorCode::FailedPrecondition,
                "this is the administrator's last active access key; create another one first");
  }
}

catalog::AccessKey CatalogService::set_access_key_status(const Caller& caller, PrincipalKind kind,
                                                         const std::string& owner,
                                                         const std::string& access_key_id,
                                                         catalog::AccessKeyStatus status) {
  require(caller, Action::ManageAccessKeys, principal_resource(principal_arn(kind, owner)));
  catalog::AccessKey key = owned_key(kind, owner, access_key_id);
  if (status == catalog::AccessKeyStatus::Inactive) protect_last_admin_key(key);
  mutate(caller, "SetAccessKeyStatus", "principal/" + principal_arn(kind, owner),
         [&] { store_.set_access_key_status(access_key_id, status); });
  credentials_changed();
  key.status = status;
  return key;
}

void CatalogService::delete_access_key(const Caller& caller, PrincipalKind kind, const std::string& owner,
                                       const std::string& access_key_id) {
  require(caller, Action::ManageAccessKeys, principal_resource(principal_arn(kind, owner)));
  protect_last_admin_key(owned_key(kind, owner, access_key_id));
  mutate(caller, "DeleteAccessKey", "principal/" + principal_arn(kind, owner),
         [&] { store_.delete_access_key(access_key_id); });
  credentials_changed();
}

}  // namespace cairn::api
