#include "cairn/catalog/store.h"

#include <algorithm>

#include "cairn/catalog/error.h"
#include "cairn/catalog/names.h"
#include "cairn/catalog/policy.h"
#include "cairn/catalog/validation.h"
#include "sql_store.h"

namespace cairn::catalog {
namespace {

constexpr int kMaxPageSize = 1000;

PageRequest clamp(const PageRequest& page) {
  PageRequest out = page;
  out.limit = std::clamp(page.limit, 1, kMaxPageSize);
  return out;
}

std::string db_name(std::string_view name) {
  return normalize_entity_name("database_name", name);
}
std::string table_name(std::string_view name) {
  return normalize_entity_name("table_name", name);
}

/// An error from validating one batch item, reported instead of thrown.
BatchItemError item_error(const std::vector<std::string>& values, const Error& e) {
  std::string message = e.what();
  if (!e.field().empty() && message.find(e.field()) == std::string::npos)
    message = e.field() + ": " + message;
  return BatchItemError{values, std::string(error_code_name(e.code())), std::move(message)};
}

/// Throws Error(InvalidArgument, field) unless `values` has one value per partition key of `table`.
void check_value_count(const Table& table, const std::vector<std::string>& values, const std::string& field) {
  if (values.size() != table.partition_keys.size()) {
    throw_invalid(field, "expected " + std::to_string(table.partition_keys.size()) +
                             " partition values, got " + std::to_string(values.size()));
  }
}

void validate_access_key_id(const std::string& id) {
  const bool ok = id.size() >= 16 && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                  });
  if (!ok) throw_invalid("access_key_id", "an access key id is 16 to 128 upper-case letters and digits");
}

}  // namespace

// --- databases --------------------------------------------------------------------------------------------

Database Store::create_database(Database db) {
  normalize_database(db);
  const ChangeGuard changed(*this);
  return create_database_impl(db);
}

std::optional<Database> Store::get_database(std::string_view name) {
  return get_database_impl(db_name(name));
}

Page<Database> Store::list_databases(const PageRequest& page) {
  return list_databases_impl(clamp(page));
}

Database Store::update_database(std::string_view name, Database db) {
  const std::string n = db_name(name);
  if (db.name.empty()) db.name = n;
  normalize_database(db);
  if (db.name != n) throw_invalid("name", "a database cannot be renamed (" + n + " to " + db.name + ")");
  const ChangeGuard changed(*this);
  return update_database_impl(n, db);
}

void Store::delete_database(std::string_view name) {
  const ChangeGuard changed(*this);
  delete_database_impl(db_name(name));
}

std::optional<std::uint64_t> Store::catalog_change_token() {
  return local_catalog_changes();
}

// --- tables -----------------------------------------------------------------------------------------------

Table Store::create_table(std::string_view database, Table table) {
  const std::string db = db_name(database);
  normalize_table(table);
  const ChangeGuard changed(*this);
  return create_table_impl(db, table);
}

std::optional<Table> Store::get_table(std::string_view database, std::string_view name) {
  return get_table_impl(db_name(database), table_name(name));
}

Page<Table> Store::list_tables(std::string_view database, const PageRequest& page) {
  return list_tables_impl(db_name(database), clamp(page));
}

Table Store::update_table(std::string_view database, Table table,
                          std::optional<std::int64_t> expected_version) {
  const std::string db = db_name(database);
  normalize_table(table);
  if (expected_version && *expected_version < 1) throw_invalid("version_id", "a version id is 1 or more");
  const ChangeGuard changed(*this);
  return update_table_impl(db, table, expected_version);
}

void Store::delete_table(std::string_view database, std::string_view name) {
  const ChangeGuard changed(*this);
  delete_table_impl(db_name(database), table_name(name));
}

Page<Table> Store::list_table_versions(std::string_view database, std::string_view name,
                                       const PageRequest& page) {
  return list_table_versions_impl(db_name(database), table_name(name), clamp(page));
}

std::optional<Table> Store::get_table_version(std::string_view database, std::string_view name,
                                              std::int64_t version) {
  return get_table_version_impl(db_name(database), table_name(name), version);
}

// --- partitions -------------------------------------------------------------------------------------------

namespace {

/// The table the partitions belong to; throws NotFound.
Table require_table(std::optional<Table> table, const std::string& database, const std::string& name) {
  if (!table) throw_not_found("table '" + database + "." + name + "' not found");
  return std::move(*table);
}

}  // namespace

std::vector<BatchItemError> Store::create_partitions(std::string_view database, std::string_view table,
                                                     std::vector<Partition> partitions) {
  const std::string db = db_name(database);
  const std::string tn = table_name(table);
  const Table t = require_table(get_table_impl(db, tn), db, tn);
  std::vector<BatchItemError> errors;
  std::vector<Partition> valid;
  valid.reserve(partitions.size());
  for (auto& p : partitions) {
    try {
      normalize_partition(t, p);
      valid.push_back(std::move(p));
    } catch (const Error& e) {
      errors.push_back(item_error(p.values, e));
    }
  }
  if (!valid.empty()) {
    auto more = create_partitions_impl(t, valid);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  return errors;
}

std::optional<Partition> Store::get_partition(std::string_view database, std::string_view table,
                                              const std::vector<std::string>& values) {
  const std::string db = db_name(database);
  const std::string tn = table_name(table);
  auto t = get_table_impl(db, tn);
  if (!t) return std::nullopt;
  check_value_count(*t, values, "values");
  auto found = get_partitions_impl(*t, {values});
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<Partition> Store::batch_get_partitions(std::string_view database, std::string_view table,
                                                   const std::vector<std::vector<std::string>>& values_list) {
  const std::string db = db_name(database);
  const std::string tn = table_name(table);
  const Table t = require_table(get_table_impl(db, tn), db, tn);
  for (std::size_t i = 0; i < values_list.size(); ++i) {
    check_value_count(t, values_list[i], "values_list[" + std::to_string(i) + "]");
  }
  return get_partitions_impl(t, values_list);
}

Page<Partition> Store::list_partitions(std::string_view database, std::string_view table,
                                       const PartitionExpression* filter, const PageRequest& page) {
  const std::string db = db_name(database);
  const std::string tn = table_name(table);
  const Table t = require_table(get_table_impl(db, tn), db, tn);
  return list_partitions_impl(t, filter, clamp(page));
}

Page<Partition> Store::list_partitions(std::string_view database, std::string_view table,
                                       std::string_view filter, const PageRequest& page) {
  const std::string db = db_name(database);
  const std::string tn = table_name(table);
  const Table t = require_table(get_table_impl(db, tn), db, tn);
  std::shared_ptr<const PartitionExpression> expr;
  if (!filter.empty()) expr = PartitionExpression::create(filter, t.partition_keys);
  return list_partitions_impl(t, expr.get(), clamp(page));
}

void Store::update_partition(std::string_view database, std::string_view table,
                             const std::vector<std::string>& values, Partition partition) {
  const std::string db = db_name(database);
  const std::string tn = table_name(table);
  const Table t = require_table(get_table_impl(db, tn), db, tn);
  check_value_count(t, values, "values");
  if (partition.values.empty()) partition.values = values;
  normalize_partition(t, partition);
  auto errors = update_partitions_impl(t, {{values, std::move(partition)}});
  if (errors.empty()) return;
  const auto& e = errors.front();
  if (e.error_code == error_code_name(ErrorCode::NotFound)) throw Error(ErrorCode::NotFound, e.message);
  if (e.error_code == error_code_name(ErrorCode::AlreadyExists))
    throw Error(ErrorCode::AlreadyExists, e.message);
  throw Error(ErrorCode::InvalidArgument, e.message, "values");
}

std::vector<BatchItemError> Store::update_partitions(
    std::string_view database, std::string_view table,
    std::vector<std::pair<std::vector<std::string>, Partition>> entries) {
  const std::string db = db_name(database);
  const std::string tn = table_name(table);
  const Table t = require_table(get_table_impl(db, tn), db, tn);
  std::vector<BatchItemError> errors;
  std::vector<std::pair<std::vector<std::string>, Partition>> valid;
  valid.reserve(entries.size());
  for (auto& [values, p] : entries) {
    try {
      check_value_count(t, values, "values");
      if (p.values.empty()) p.values = values;
      normalize_partition(t, p);
      valid.emplace_back(std::move(values), std::move(p));
    } catch (const Error& e) {
      errors.push_back(item_error(values, e));
    }
  }
  if (!valid.empty()) {
    auto more = update_partitions_impl(t, valid);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  return errors;
}

std::vector<BatchItemError> Store::delete_partitions(
    std::string_view database, std::string_view table,
    const std::vector<std::vector<std::string>>& values_list) {
  const std::string db = db_name(database);
  const std::string tn = table_name(table);
  const Table t = require_table(get_table_impl(db, tn), db, tn);
  std::vector<BatchItemError> errors;
  std::vector<std::vector<std::string>> valid;
  for (const auto& values : values_list) {
    try {
      check_value_count(t, values, "values");
      valid.push_back(values);
    } catch (const Error& e) {
      errors.push_back(item_error(values, e));
    }
  }
  if (!valid.empty()) {
    auto more = delete_partitions_impl(t, valid);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  return errors;
}

// --- identity ---------------------------------------------------------------------------------------------

Principal Store::create_principal(Principal principal) {
  validate_principal_name("name", principal.name);
  return create_principal_impl(principal);
}

std::optional<Principal> Store::get_principal(PrincipalKind kind, std::string_view name) {
  validate_principal_name("name", name);
  return get_principal_impl(kind, std::string(name));
}

Page<Principal> Store::list_principals(PrincipalKind kind, const PageRequest& page) {
  return list_principals_impl(kind, clamp(page));
}

void Store::delete_principal(PrincipalKind kind, std::string_view name) {
  validate_principal_name("name", name);
  delete_principal_impl(kind, std::string(name));
}

void Store::add_group_member(std::string_view group, std::string_view user) {
  validate_principal_name("group", group);
  validate_principal_name("user", user);
  add_group_member_impl(std::string(group), std::string(user));
}

void Store::remove_group_member(std::string_view group, std::string_view user) {
  validate_principal_name("group", group);
  validate_principal_name("user", user);
  remove_group_member_impl(std::string(group), std::string(user));
}

std::vector<std::string> Store::list_group_members(std::string_view group) {
  validate_principal_name("group", group);
  return list_group_members_impl(std::string(group));
}

void Store::create_access_key(AccessKey key) {
  validate_access_key_id(key.access_key_id);
  if (key.owner_kind == PrincipalKind::Group)
    throw_invalid("owner_kind", "access keys belong to users or roles");
  validate_principal_name("owner_name", key.owner_name);
  if (key.sealed_secret.empty()) throw_invalid("sealed_secret", "the sealed secret is empty");
  if (key.create_time == 0) key.create_time = now_millis();
  create_access_key_impl(key);
}

std::vector<AccessKey> Store::list_access_keys(PrincipalKind owner_kind, std::string_view owner_name) {
  validate_principal_name("owner_name", owner_name);
  return list_access_keys_impl(owner_kind, std::string(owner_name));
}

std::unique_ptr<Store> open_store(const std::string& data_dir, const std::string& database_url,
                                  int pool_size) {
  if (pool_size < 1) throw_invalid("pool_size", "the connection pool needs at least one connection");
  if (database_url.empty()) {
    if (data_dir.empty()) throw_invalid("data_dir", "a data directory is required for the SQLite store");
    return open_sqlite_store(data_dir, pool_size);
  }
  if (database_url.starts_with("postgresql://") || database_url.starts_with("postgres://")) {
    return open_postgres_store(database_url, pool_size);
  }
  throw_invalid("database_url", "expected a postgresql:// URL (or none for the embedded SQLite store)");
}

// --- governance -------------------------------------------------------------------------------------------

namespace {

/// Normalises the target of a tag assignment (database; table; column, which needs a table).
TagAssignment tag_target(const TagAssignment& target) {
  TagAssignment out;
  out.database = normalize_entity_name("target.database", target.database, "database name");
  if (!target.table.empty()) out.table = normalize_entity_name("target.table", target.table, "table name");
  if (!target.column.empty()) {
    if (out.table.empty()) throw_invalid("target.table", "a column target needs its table");
    out.column = normalize_column_name("target.column", target.column);
  }
  return out;
}

/// Normalises a list of tag values (`field`[i]), sorted and unique.
std::vector<std::string> tag_values(const std::vector<std::string>& values, const std::string& field) {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    out.push_back(normalize_tag_value(values[i], field + "[" + std::to_string(i) + "]"));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Grant Store::grant_permissions(Grant grant) {
  normalize_grant(grant, "grant");
  return grant_permissions_impl(grant);
}

std::optional<Grant> Store::revoke_permissions(Grant grant) {
  // A revoke may name grant options alone, so grantable need not be within permissions: validate the union.
  const PermissionSet permissions = grant.permissions;
  grant.permissions = static_cast<PermissionSet>(grant.permissions | grant.grantable);
  grant.expires_at.reset();
  grant.granted_by.clear();
  normalize_grant(grant, "grant");
  grant.permissions = permissions;
  return revoke_permissions_impl(grant);
}

std::optional<Grant> Store::get_grant(std::int64_t id) {
  if (id <= 0) return std::nullopt;
  return get_grant_impl(id);
}

Page<Grant> Store::list_grants(const GrantQuery& query, const PageRequest& page) {
  GrantQuery q;
  if (!query.principal.empty()) q.principal = normalize_principal_id(query.principal, "principal");
  q.kind = query.kind;
  if (!query.database.empty())
    q.database = normalize_entity_name("database", query.database, "database name");
  if (!query.table.empty()) {
    if (q.database.empty()) throw_invalid("table", "a table filter needs its database");
    q.table = normalize_entity_name("table", query.table, "table name");
  }
  return list_grants_impl(q, clamp(page));
}

DataCellsFilter Store::create_data_cells_filter(DataCellsFilter filter) {
  normalize_data_cells_filter(filter, "filter");
  return create_data_cells_filter_impl(filter);
}

DataCellsFilter Store::update_data_cells_filter(DataCellsFilter filter,
                                                std::optional<std::int64_t> expected_version) {
  normalize_data_cells_filter(filter, "filter");
  if (expected_version && *expected_version < 1) throw_invalid("version_id", "a version id is 1 or more");
  return update_data_cells_filter_impl(filter, expected_version);
}

std::optional<DataCellsFilter> Store::get_data_cells_filter(std::string_view database, std::string_view table,
                                                            std::string_view name) {
  validate_filter_name(name, "name");
  return get_data_cells_filter_impl(db_name(database), table_name(table), std::string(name));
}

Page<DataCellsFilter> Store::list_data_cells_filters(std::string_view database, std::string_view table,
                                                     const PageRequest& page) {
  std::string db;
  std::string tn;
  if (!database.empty()) db = db_name(database);
  if (!table.empty()) {
    if (db.empty()) throw_invalid("table_name", "a table filter needs its database");
    tn = table_name(table);
  }
  return list_data_cells_filters_impl(db, tn, clamp(page));
}

void Store::delete_data_cells_filter(std::string_view database, std::string_view table,
                                     std::string_view name) {
  validate_filter_name(name, "name");
  delete_data_cells_filter_impl(db_name(database), table_name(table), std::string(name));
}

TagKey Store::create_tag_key(TagKey tag) {
  normalize_tag_key(tag, "tag");
  return create_tag_key_impl(tag);
}

TagKey Store::update_tag_key(std::string_view key, const std::vector<std::string>& add,
                             const std::vector<std::string>& remove) {
  const std::string k = normalize_tag_key_name(key, "key");
  const auto added = tag_values(add, "add");
  const auto removed = tag_values(remove, "remove");
  for (std::size_t i = 0; i < remove.size(); ++i) {
    const std::string v = normalize_tag_value(remove[i], "remove[" + std::to_string(i) + "]");
    if (std::binary_search(added.begin(), added.end(), v)) {
      throw_invalid("remove[" + std::to_string(i) + "]", "value '" + v + "' is both added and removed");
    }
  }
  if (added.empty() && removed.empty()) throw_invalid("add", "nothing to add or remove");
  return update_tag_key_impl(k, added, removed);
}

std::optional<TagKey> Store::get_tag_key(std::string_view key) {
  return get_tag_key_impl(normalize_tag_key_name(key, "key"));
}

std::vector<TagKey> Store::list_tag_keys() {
  return list_tag_keys_impl();
}

void Store::delete_tag_key(std::string_view key) {
  delete_tag_key_impl(normalize_tag_key_name(key, "key"));
}

void Store::assign_tags(const TagAssignment& target, const std::map<std::string, std::string>& tags) {
  const TagAssignment t = tag_target(target);
  if (tags.empty()) throw_invalid("tags", "no tags to assign");
  std::map<std::string, std::string> normalized;
  for (const auto& [key, value] : tags) {
    const std::string k = normalize_tag_key_name(key, "tags." + key);
    std::string v = normalize_tag_value(value, "tags." + k);
    if (!normalized.emplace(k, std::move(v)).second) {
      throw_invalid("tags." + k, "tag key '" + k + "' is given twice");
    }
  }
  assign_tags_impl(t, normalized);
}

void Store::unassign_tags(const TagAssignment& target, const std::vector<std::string>& keys) {
  const TagAssignment t = tag_target(target);
  if (keys.empty()) throw_invalid("keys", "no tag keys to remove");
  std::vector<std::string> normalized;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    normalized.push_back(normalize_tag_key_name(keys[i], "keys[" + std::to_string(i) + "]"));
  }
  std::sort(normalized.begin(), normalized.end());
  normalized.erase(std::unique(normalized.begin(), normalized.end()), normalized.end());
  unassign_tags_impl(t, normalized);
}

std::vector<TagAssignment> Store::list_tag_assignments(std::string_view database, std::string_view table) {
  const std::string db = db_name(database);
  const std::string tn = table.empty() ? std::string() : table_name(table);
  return list_tag_assignments_impl(db, tn);
}

DataLocation Store::register_location(DataLocation location) {
  location.uri = normalize_location_uri(location.uri, "location.uri");
  if (location.role_arn.size() > 2048)
    throw_invalid("location.role_arn", "a role ARN is at most 2048 characters");
  if (!is_valid_utf8(location.role_arn)) throw_invalid("location.role_arn", "a role ARN is valid UTF-8");
  for (char c : location.role_arn) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f)
      throw_invalid("location.role_arn", "a role ARN has no spaces or control characters");
  }
  if (!location.registered_by.empty()) {
    location.registered_by = normalize_principal_id(location.registered_by, "location.registered_by");
  }
  return register_location_impl(location);
}

void Store::deregister_location(std::string_view uri) {
  deregister_location_impl(normalize_location_uri(uri, "uri"));
}

std::vector<DataLocation> Store::list_locations() {
  return list_locations_impl();
}

}  // namespace cairn::catalog
