#include "cairn/api/service.h"

#include <algorithm>

#include "cairn/catalog/error.h"
#include "cairn/catalog/names.h"

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

Resource table_resource(const std::string& database, const std::string& table) {
  return Resource{db_name(database), table_name(table), {}};
}

/// Keeps the items of `page` for which `visible` holds; paging continues from the unfiltered page's token.
template <class T, class Pred>
Page<T> filter_page(Page<T> page, Pred visible) {
  std::erase_if(page.items, [&](const T& item) { return !visible(item); });
  return page;
}

}  // namespace

CatalogService::CatalogService(catalog::Store& store, const authz::Authorizer& authorizer,
                               const authz::SecretBox& secrets, std::string catalog_id,
                               const authz::Authenticator* authenticator)
    : store_(store),
      authorizer_(authorizer),
      secrets_(secrets),
      catalog_id_(std::move(catalog_id)),
      authenticator_(authenticator) {}

void CatalogService::identity_changed() const {
  if (authenticator_ != nullptr) authenticator_->invalidate();
}

void CatalogService::require_visible(const Caller& caller, Action action, const Resource& resource,
                                     const std::string& what) const {
  if (!authorizer_.is_granted(caller, action, resource))
    throw Error(ErrorCode::NotFound, what + " not found");
}

// --- databases -----------------------------------------------------------------------------------

Page<catalog::Database> CatalogService::list_databases(const Caller& caller, const PageRequest& page) {
  return filter_page(store_.list_databases(page), [&](const catalog::Database& db) {
    return authorizer_.is_granted(caller, Action::DescribeDatabase, Resource{db.name, {}, {}});
  });
}

catalog::Database CatalogService::get_database(const Caller& caller, const std::string& name) {
  const std::string db = db_name(name);
  const std::string what = "database '" + db + "'";
  require_visible(caller, Action::DescribeDatabase, Resource{db, {}, {}}, what);
  auto found = store_.get_database(db);
  if (!found) throw Error(ErrorCode::NotFound, what + " not found");
  return *found;
}

catalog::Database CatalogService::create_database(const Caller& caller, catalog::Database db) {
  authorizer_.require(caller, Action::CreateDatabase,
                      Resource{catalog::normalize_entity_name("name", db.name, "database name"), {}, {}});
  return store_.create_database(std::move(db));
}

catalog::Database CatalogService::update_database(const Caller& caller, const std::string& name,
                                                  catalog::Database db) {
  authorizer_.require(caller, Action::AlterDatabase, Resource{db_name(name), {}, {}});
  return store_.update_database(name, std::move(db));
}

void CatalogService::delete_database(const Caller& caller, const std::string& name) {
  authorizer_.require(caller, Action::DropDatabase, Resource{db_name(name), {}, {}});
  store_.delete_database(name);
}

// --- tables --------------------------------------------------------------------------------------

catalog::Table CatalogService::load_table(const std::string& database, const std::string& name) {
  auto found = store_.get_table(database, name);
  if (!found)
    throw Error(ErrorCode::NotFound, "table '" + db_name(database) + "." + table_name(name) + "' not found");
  return *found;
}

Page<catalog::Table> CatalogService::list_tables(const Caller& caller, const std::string& database,
                                                 const PageRequest& page) {
  const std::string db = db_name(database);
  require_visible(caller, Action::DescribeDatabase, Resource{db, {}, {}}, "database '" + db + "'");
  return filter_page(store_.list_tables(db, page), [&](const catalog::Table& t) {
    return authorizer_.is_granted(caller, Action::DescribeTable, Resource{db, t.name, {}});
  });
}

catalog::Table CatalogService::get_table(const Caller& caller, const std::string& database,
                                         const std::string& name) {
  const Resource r = table_resource(database, name);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  return load_table(r.database, r.table);
}

catalog::Table CatalogService::create_table(const Caller& caller, const std::string& database,
                                            catalog::Table table) {
  const std::string db = db_name(database);
  authorizer_.require(caller, Action::CreateTable, Resource{db, {}, {}});
  return store_.create_table(db, std::move(table));
}

catalog::Table CatalogService::update_table(const Caller& caller, const std::string& database,
                                            catalog::Table table,
                                            std::optional<std::int64_t> expected_version) {
  const Resource r = table_resource(database, table.name);
  authorizer_.require(caller, Action::AlterTable, r);
  return store_.update_table(r.database, std::move(table), expected_version);
}

void CatalogService::delete_table(const Caller& caller, const std::string& database,
                                  const std::string& name) {
  const Resource r = table_resource(database, name);
  authorizer_.require(caller, Action::DropTable, r);
  store_.delete_table(r.database, r.table);
}

Page<catalog::Table> CatalogService::list_table_versions(const Caller& caller, const std::string& database,
                                                         const std::string& name, const PageRequest& page) {
  const Resource r = table_resource(database, name);
  require_visible(caller, Action::DescribeTable, r, "table '" + r.database + "." + r.table + "'");
  return store_.list_table_versions(r.database, r.table, page);
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
  return *found;
}

// --- partitions ----------------------------------------------------------------------------------

Page<catalog::Partition> CatalogService::list_partitions(const Caller& caller, const std::string& database,
                                                         const std::string& table, const std::string& filter,
                                                         const PageRequest& page) {
  const Resource r = table_resource(database, table);
  require_visible(caller, Action::ListPartitions, r, "table '" + r.database + "." + r.table + "'");
  return store_.list_partitions(r.database, r.table, std::string_view(filter), page);
}

catalog::Partition CatalogService::get_partition(const Caller& caller, const std::string& database,
                                                 const std::string& table,
                                                 const std::vector<std::string>& values) {
  const Resource r = table_resource(database, table);
  require_visible(caller, Action::DescribePartition, r, "table '" + r.database + "." + r.table + "'");
  auto found = store_.get_partition(r.database, r.table, values);
  if (!found) {
    load_table(r.database, r.table);  // a missing table is reported as such
    std::string joined;
    for (const auto& v : values) joined += (joined.empty() ? "" : ", ") + ("'" + v + "'");
    throw Error(ErrorCode::NotFound,
                "partition (" + joined + ") of table '" + r.database + "." + r.table + "' not found");
  }
  return *found;
}

std::vector<catalog::Partition> CatalogService::batch_get_partitions(
    const Caller& caller, const std::string& database, const std::string& table,
    const std::vector<std::vector<std::string>>& values) {
  const Resource r = table_resource(database, table);
  require_visible(caller, Action::DescribePartition, r, "table '" + r.database + "." + r.table + "'");
  return store_.batch_get_partitions(r.database, r.table, values);
}

std::vector<catalog::BatchItemError> CatalogService::create_partitions(
    const Caller& caller, const std::string& database, const std::string& table,
    std::vector<catalog::Partition> partitions) {
  const Resource r = table_resource(database, table);
  authorizer_.require(caller, Action::CreatePartition, r);
  return store_.create_partitions(r.database, r.table, std::move(partitions));
}

void CatalogService::update_partition(const Caller& caller, const std::string& database,
                                      const std::string& table, const std::vector<std::string>& values,
                                      catalog::Partition partition) {
  const Resource r = table_resource(database, table);
  authorizer_.require(caller, Action::AlterPartition, r);
  store_.update_partition(r.database, r.table, values, std::move(partition));
}

std::vector<catalog::BatchItemError> CatalogService::update_partitions(
    const Caller& caller, const std::string& database, const std::string& table,
    std::vector<std::pair<std::vector<std::string>, catalog::Partition>> entries) {
  const Resource r = table_resource(database, table);
  authorizer_.require(caller, Action::AlterPartition, r);
  return store_.update_partitions(r.database, r.table, std::move(entries));
}

std::vector<catalog::BatchItemError> CatalogService::delete_partitions(
    const Caller& caller, const std::string& database, const std::string& table,
    const std::vector<std::vector<std::string>>& values) {
  const Resource r = table_resource(database, table);
  authorizer_.require(caller, Action::DropPartition, r);
  return store_.delete_partitions(r.database, r.table, values);
}

// --- identity ------------------------------------------------------------------------------------

std::string CatalogService::principal_arn(PrincipalKind kind, const std::string& name) const {
  return authz::PrincipalRef{kind, name}.arn(catalog_id_);
}

Page<catalog::Principal> CatalogService::list_principals(const Caller& caller, PrincipalKind kind,
                                                         const PageRequest& page) {
  return filter_page(store_.list_principals(kind, page), [&](const catalog::Principal& p) {
    return authorizer_.is_granted(caller, Action::DescribePrincipals,
                                  Resource{{}, {}, principal_arn(p.kind, p.name)});
  });
}

catalog::Principal CatalogService::get_principal(const Caller& caller, PrincipalKind kind,
                                                 const std::string& name) {
  const std::string what = std::string(catalog::principal_kind_name(kind)) + " '" + name + "'";
  require_visible(caller, Action::DescribePrincipals, Resource{{}, {}, principal_arn(kind, name)}, what);
  auto found = store_.get_principal(kind, name);
  if (!found) throw Error(ErrorCode::NotFound, what + " not found");
  return *found;
}

catalog::Principal CatalogService::create_principal(const Caller& caller, catalog::Principal principal) {
  catalog::validate_principal_name("name", principal.name);
  authorizer_.require(caller, Action::ManagePrincipals,
                      Resource{{}, {}, principal_arn(principal.kind, principal.name)});
  return store_.create_principal(std::move(principal));
}

void CatalogService::delete_principal(const Caller& caller, PrincipalKind kind, const std::string& name) {
  authorizer_.require(caller, Action::ManagePrincipals, Resource{{}, {}, principal_arn(kind, name)});
  if (kind == PrincipalKind::User && name == authz::kAdminUser) {
    throw Error(ErrorCode::FailedPrecondition, "the bootstrap administrator 'admin' cannot be deleted");
  }
  store_.delete_principal(kind, name);
  identity_changed();
}

std::vector<catalog::Principal> CatalogService::list_group_members(const Caller& caller,
                                                                   const std::string& group) {
  get_principal(caller, PrincipalKind::Group, group);
  std::vector<catalog::Principal> out;
  for (const auto& user : store_.list_group_members(group)) {
    if (!authorizer_.is_granted(caller, Action::DescribePrincipals,
                                Resource{{}, {}, principal_arn(PrincipalKind::User, user)})) {
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
  authorizer_.require(caller, Action::ManagePrincipals,
                      Resource{{}, {}, principal_arn(PrincipalKind::Group, group)});
  store_.add_group_member(group, user);
  identity_changed();
}

void CatalogService::remove_group_member(const Caller& caller, const std::string& group,
                                         const std::string& user) {
  authorizer_.require(caller, Action::ManagePrincipals,
                      Resource{{}, {}, principal_arn(PrincipalKind::Group, group)});
  store_.remove_group_member(group, user);
  identity_changed();
}

std::vector<catalog::AccessKey> CatalogService::list_access_keys(const Caller& caller, PrincipalKind kind,
                                                                 const std::string& owner) {
  const std::string arn = principal_arn(kind, owner);
  require_visible(caller, Action::DescribeAccessKeys, Resource{{}, {}, arn},
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
  authorizer_.require(caller, Action::ManageAccessKeys, Resource{{}, {}, principal_arn(kind, owner)});
  CreatedAccessKey created;
  created.secret_access_key = authz::generate_secret_access_key();
  created.key.access_key_id = authz::generate_access_key_id(kind);
  created.key.owner_kind = kind;
  created.key.owner_name = owner;
  created.key.status = catalog::AccessKeyStatus::Active;
  created.key.sealed_secret = secrets_.seal(created.secret_access_key);
  created.key.create_time = catalog::now_millis();
  store_.create_access_key(created.key);
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
  authorizer_.require(caller, Action::ManageAccessKeys, Resource{{}, {}, principal_arn(kind, owner)});
  catalog::AccessKey key = owned_key(kind, owner, access_key_id);
  if (status == catalog::AccessKeyStatus::Inactive) protect_last_admin_key(key);
  store_.set_access_key_status(access_key_id, status);
  identity_changed();
  key.status = status;
  return key;
}

void CatalogService::delete_access_key(const Caller& caller, PrincipalKind kind, const std::string& owner,
                                       const std::string& access_key_id) {
  authorizer_.require(caller, Action::ManageAccessKeys, Resource{{}, {}, principal_arn(kind, owner)});
  protect_last_admin_key(owned_key(kind, owner, access_key_id));
  store_.delete_access_key(access_key_id);
  identity_changed();
}

}  // namespace cairn::api
