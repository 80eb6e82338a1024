// CatalogService: governance (grants, tags, data cells filters, locations, engine resolve, explain, search,
// audit). Semantics: docs/authorization.md.

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "cairn/api/service.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/names.h"

namespace cairn::api {

using authz::Action;
using authz::Resource;
using catalog::Page;
using catalog::PageRequest;

namespace {

std::string db_name(const std::string& name) {
  return catalog::normalize_entity_name("database", name);
}
std::string table_name(const std::string& name) {
  return catalog::normalize_entity_name("table", name);
}

std::string grant_resource(const catalog::Grant& g) {
  switch (g.kind) {
    case catalog::ResourceKind::Catalog:
      return "catalog";
    case catalog::ResourceKind::Database:
    case catalog::ResourceKind::TableWildcard:
      return "database/" + g.database;
    case catalog::ResourceKind::Table:
    case catalog::ResourceKind::TableWithColumns:
      return "table/" + g.database + "/" + g.table;
    case catalog::ResourceKind::DataCellsFilter:
      return "filter/" + g.database + "/" + g.table + "/" + g.filter_name;
    case catalog::ResourceKind::DataLocation:
      return "location/" + g.location;
    case catalog::ResourceKind::TagPolicy:
      return "tag-policy/" + catalog::resource_key(g);
  }
  return "catalog";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// All columns of a table (data columns then partition keys).
std::vector<catalog::Column> all_columns(const catalog::Table& t) {
  std::vector<catalog::Column> cols = t.storage_descriptor.columns;
  cols.insert(cols.end(), t.partition_keys.begin(), t.partition_keys.end());
  return cols;
}

const catalog::Column* find_column(const std::vector<catalog::Column>& cols, const std::string& name) {
  for (const auto& c : cols) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string column_list(const std::vector<catalog::Column>& cols) {
  std::string out;
  for (const auto& c : cols) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

/// Columns named by a grant or filter must exist; masks must parse and fit the column's type.
void check_columns_and_masks(const catalog::Table& table, const std::vector<std::string>& columns,
                             const std::vector<std::string>& excluded,
                             const std::map<std::string, std::string>& masks, const std::string& path) {
  const auto cols = all_columns(table);
  auto check = [&](const std::vector<std::string>& names, const std::string& field) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (find_column(cols, names[i]) == nullptr) {
        throw_invalid(path + field + "[" + std::to_string(i) + "]",
                      "table " + table.database_name + "." + table.name + " has no column '" + names[i] +
                          "' (columns: " + column_list(cols) + ")");
      }
    }
  };
  check(columns, "columns");
  check(excluded, "excluded_columns");
  for (const auto& [column, spec] : masks) {
    const std::string field = "column_masks." + column;
    const catalog::Column* c = find_column(cols, column);
    if (c == nullptr) {
      throw_invalid(field, "table " + table.database_name + "." + table.name + " has no column '" + column +
                               "' (columns: " + column_list(cols) + ")");
    }
    authz::check_mask_applies(authz::parse_mask(spec, field), c->type, field);
  }
}

}  // namespace

// --- grants --------------------------------------------------------------------------------------

catalog::Grant CatalogService::grant_permissions(const Caller& caller, catalog::Grant grant) {
  catalog::normalize_grant(grant, "");
  // The grantee must exist (a typo would otherwise grant to nobody).
  if (grant.principal != catalog::kEveryone) {
    const auto colon = grant.principal.find(':');
    const std::string kind = grant.principal.substr(0, colon);
    const std::string name = grant.principal.substr(colon + 1);
    const catalog::PrincipalKind k = kind == "user"   ? catalog::PrincipalKind::User
                                     : kind == "role" ? catalog::PrincipalKind::Role
                                                      : catalog::PrincipalKind::Group;
    if (!store_.get_principal(k, name)) {
      throw Error(ErrorCode::NotFound, kind + " '" + name + "' not found", "principal");
    }
  }
  // What the grant names must exist and be visible to the grantor; columns and masks must fit the table.
  if (!grant.table.empty()) {
    auto t = store_.get_table(grant.database, grant.table);
    if (!t || !engine_.is_granted(caller, Action::DescribeTable,
                                  Resource{grant.database, grant.table, {}, {}, {}})) {
      throw Error(ErrorCode::NotFound, "table '" + grant.database + "." + grant.table + "' not found",
                  "resource.table");
    }
    check_columns_and_masks(*t, grant.columns, grant.excluded_columns, grant.column_masks, "resource.");
  } else {
    for (const auto& [column, spec] : grant.column_masks) authz::parse_mask(spec, "column_masks." + column);
  }
  authz::Decision d = engine_.decide_grant(caller, grant);
  record_decision(caller, "GrantPermissions", grant_resource(grant), d);
  if (!d.allowed) throw Error(ErrorCode::AccessDenied, d.reason);
  grant.granted_by = subject_id(caller);
  const std::string principal = grant.principal;
  catalog::Grant stored = mutate(caller, "GrantPermissions", grant_resource(grant),
                                 [&] { return store_.grant_permissions(std::move(grant)); });
  engine_.reload_principal_grants(principal);
  return stored;
}

std::optional<catalog::Grant> CatalogService::revoke_permissions(const Caller& caller, catalog::Grant grant) {
  // A revoke may name grant options alone (G2): validate the union, then revoke exactly what was named.
  const catalog::PermissionSet permissions = grant.permissions;
  grant.permissions = static_cast<catalog::PermissionSet>(grant.permissions | grant.grantable);
  catalog::normalize_grant(grant, "");
  grant.permissions = permissions;
  authz::Decision d = engine_.decide_grant(caller, grant);
  record_decision(caller, "RevokePermissions", grant_resource(grant), d);
  if (!d.allowed) throw Error(ErrorCode::AccessDenied, d.reason);
  const std::string principal = grant.principal;
  auto remaining = mutate(caller, "RevokePermissions", grant_resource(grant),
                          [&] { return store_.revoke_permissions(std::move(grant)); });
  engine_.reload_principal_grants(principal);
  return remaining;
}

Page<catalog::Grant> CatalogService::list_grants(const Caller& caller, const catalog::GrantQuery& query,
                                                 const PageRequest& page) {
  require(caller, Action::DescribeGrants, Resource{query.database, query.table, {}, {}, {}});
  Page<catalog::Grant> out = store_.list_grants(query, page);
  if (caller.is_admin) return out;
  std::set<std::string> subjects;
  subjects.insert(subject_id(caller));
  for (const std::string& g : engine_.snapshot()->groups_of(subject_id(caller)))
    subjects.insert("group:" + g);
  subjects.insert(std::string(catalog::kEveryone));
  std::erase_if(out.items, [&](const catalog::Grant& g) { return !subjects.contains(g.principal); });
  return out;
}

catalog::Grant CatalogService::get_grant(const Caller& caller, std::int64_t id) {
  auto g = store_.get_grant(id);
  const std::string what = "grant " + std::to_string(id);
  if (!g) throw Error(ErrorCode::NotFound, what + " not found");
  if (!caller.is_admin) {
    const std::string me = subject_id(caller);
    const auto groups = engine_.snapshot()->groups_of(me);
    const bool mine = g->principal == me || g->principal == catalog::kEveryone ||
                      std::any_of(groups.begin(), groups.end(),
                                  [&](const std::string& gr) { return g->principal == "group:" + gr; });
    if (!mine) throw Error(ErrorCode::NotFound, what + " not found");
  }
  return *g;
}

// --- tags ----------------------------------------------------------------------------------------

catalog::TagKey CatalogService::create_tag_key(const Caller& caller, catalog::TagKey tag) {
  catalog::normalize_tag_key(tag, "");
  require(caller, Action::ManageTagKeys, Resource{});
  const std::string key = tag.key;
  return mutate(caller, "CreateTagKey", "tag/" + key, [&] { return store_.create_tag_key(std::move(tag)); });
}

catalog::TagKey CatalogService::update_tag_key(const Caller& caller, const std::string& key,
                                               const std::vector<std::string>& add,
                                               const std::vector<std::string>& remove) {
  require(caller, Action::ManageTagKeys, Resource{});
  auto updated = mutate(caller, "UpdateTagKey", "tag/" + lower(key),
                        [&] { return store_.update_tag_key(key, add, remove); });
  engine_.reload();
  return updated;
}

catalog::TagKey CatalogService::get_tag_key(const Caller& caller, const std::string& key) {
  require(caller, Action::DescribeTagKeys, Resource{});
  auto found = store_.get_tag_key(key);
  if (!found) throw Error(ErrorCode::NotFound, "tag key '" + lower(key) + "' not found");
  return *found;
}

std::vector<catalog::TagKey> CatalogService::list_tag_keys(const Caller& caller) {
  require(caller, Action::DescribeTagKeys, Resource{});
  return store_.list_tag_keys();
}

void CatalogService::delete_tag_key(const Caller& caller, const std::string& key) {
  require(caller, Action::ManageTagKeys, Resource{});
  mutate(caller, "DeleteTagKey", "tag/" + lower(key), [&] { store_.delete_tag_key(key); });
  engine_.reload();
}

namespace {
TagTarget normalized_target(TagTarget t) {
  t.database = db_name(t.database);
  if (!t.table.empty()) t.table = table_name(t.table);
  if (!t.column.empty()) t.column = catalog::normalize_column_name("column", t.column);
  return t;
}
std::string target_text(const TagTarget& t) {
  if (!t.column.empty()) return "column/" + t.database + "/" + t.table + "/" + t.column;
  if (!t.table.empty()) return "table/" + t.database + "/" + t.table;
  return "database/" + t.database;
}
}  // namespace

std::vector<authz::EffectiveTag> CatalogService::get_tags(const Caller& caller, TagTarget target) {
  target = normalized_target(std::move(target));
  if (target.table.empty()) {
    get_database(caller, target.database);
  } else {
    catalog::Table t = get_table(caller, target.database, target.table);
    if (!target.column.empty()) {
      const auto cols = all_columns(t);  // only visible columns are in `t`
      if (find_column(cols, target.column) == nullptr) {
        throw Error(ErrorCode::NotFound, "column '" + target.column + "' of table '" + target.database + "." +
                                             target.table + "' not found");
      }
    }
  }
  return engine_.snapshot()->effective_tags(target.database, target.table, target.column);
}

std::vector<authz::EffectiveTag> CatalogService::assign_tags(const Caller& caller, TagTarget target,
                                                             const std::map<std::string, std::string>& tags) {
  target = normalized_target(std::move(target));
  Resource r{target.database, target.table, {}, {}, {}};
  require_visible(caller, target.table.empty() ? Action::DescribeDatabase : Action::DescribeTable, r,
                  target.table.empty() ? "database '" + target.database + "'"
                                       : "table '" + target.database + "." + target.table + "'");
  require(caller, Action::AssignTags, r);
  mutate(caller, "AssignTags", target_text(target), [&] { store_.assign_tags(target, tags); });
  engine_.reload();
  return engine_.snapshot()->effective_tags(target.database, target.table, target.column);
}

void CatalogService::unassign_tag(const Caller& caller, TagTarget target, const std::string& key) {
  target = normalized_target(std::move(target));
  Resource r{target.database, target.table, {}, {}, {}};
  require_visible(caller, target.table.empty() ? Action::DescribeDatabase : Action::DescribeTable, r,
                  target.table.empty() ? "database '" + target.database + "'"
                                       : "table '" + target.database + "." + target.table + "'");
  require(caller, Action::AssignTags, r);
  mutate(caller, "UnassignTags", target_text(target), [&] { store_.unassign_tags(target, {lower(key)}); });
  engine_.reload();
}

// --- data cells filters --------------------------------------------------------------------------

namespace {
void check_filter_against_table(const catalog::DataCellsFilter& f, const catalog::Table& table) {
  if (!f.all_rows) authz::RowFilter::parse(f.row_filter, all_columns(table), "row_filter");
  check_columns_and_masks(table, f.columns, f.excluded_columns, f.column_masks, "");
}
}  // namespace

catalog::DataCellsFilter CatalogService::create_filter(const Caller& caller,
                                                       catalog::DataCellsFilter filter) {
  catalog::normalize_data_cells_filter(filter, "");
  Resource r{filter.database, filter.table, {}, filter.name, {}};
  require_visible(caller, Action::DescribeTable, Resource{filter.database, filter.table, {}, {}, {}},
                  "table '" + filter.database + "." + filter.table + "'");
  require(caller, Action::CreateFilter, r);
  check_filter_against_table(filter, load_table(filter.database, filter.table));
  auto created = mutate(caller, "CreateDataCellsFilter", audit_resource(r),
                        [&] { return store_.create_data_cells_filter(std::move(filter)); });
  engine_.reload();
  return created;
}

catalog::DataCellsFilter CatalogService::update_filter(const Caller& caller, catalog::DataCellsFilter filter,
                                                       std::optional<std::int64_t> expected_version) {
  catalog::normalize_data_cells_filter(filter, "");
  Resource r{filter.database, filter.table, {}, filter.name, {}};
  get_filter(caller, filter.database, filter.table, filter.name);  // 404 when not visible
  require(caller, Action::AlterFilter, r);
  check_filter_against_table(filter, load_table(filter.database, filter.table));
  auto updated = mutate(caller, "UpdateDataCellsFilter", audit_resource(r),
                        [&] { return store_.update_data_cells_filter(std::move(filter), expected_version); });
  engine_.reload();
  return updated;
}

catalog::DataCellsFilter CatalogService::get_filter(const Caller& caller, const std::string& database,
                                                    const std::string& table, const std::string& name) {
  const std::string db = db_name(database), t = table_name(table);
  const std::string what = "data cells filter '" + db + "." + t + "." + name + "'";
  require_visible(caller, Action::DescribeFilter, Resource{db, t, {}, name, {}}, what);
  auto found = store_.get_data_cells_filter(db, t, name);
  if (!found) throw Error(ErrorCode::NotFound, what + " not found");
  return *found;
}

Page<catalog::DataCellsFilter> CatalogService::list_filters(const Caller& caller, const std::string& database,
                                                            const std::string& table,
                                                            const PageRequest& page) {
  const std::string db = database.empty() ? "" : db_name(database);
  const std::string t = table.empty() ? "" : table_name(table);
  if (!t.empty()) {
    require_visible(caller, Action::DescribeTable, Resource{db, t, {}, {}, {}},
                    "table '" + db + "." + t + "'");
  } else if (!db.empty()) {
    require_visible(caller, Action::DescribeDatabase, Resource{db, {}, {}, {}, {}}, "database '" + db + "'");
  }
  Page<catalog::DataCellsFilter> out = store_.list_data_cells_filters(db, t, page);
  std::erase_if(out.items, [&](const catalog::DataCellsFilter& f) {
    return !engine_.is_granted(caller, Action::DescribeFilter, Resource{f.database, f.table, {}, f.name, {}});
  });
  return out;
}

void CatalogService::delete_filter(const Caller& caller, const std::string& database,
                                   const std::string& table, const std::string& name) {
  catalog::DataCellsFilter f = get_filter(caller, database, table, name);
  Resource r{f.database, f.table, {}, f.name, {}};
  require(caller, Action::DropFilter, r);
  mutate(caller, "DeleteDataCellsFilter", audit_resource(r),
         [&] { store_.delete_data_cells_filter(f.database, f.table, f.name); });
  engine_.reload();
}

// --- locations -----------------------------------------------------------------------------------

catalog::DataLocation CatalogService::register_location(const Caller& caller,
                                                        catalog::DataLocation location) {
  location.uri = catalog::normalize_location_uri(location.uri, "uri");
  require(caller, Action::ManageLocations, Resource{});
  location.registered_by = subject_id(caller);
  const std::string uri = location.uri;
  auto stored = mutate(caller, "RegisterResource", "location/" + uri,
                       [&] { return store_.register_location(std::move(location)); });
  engine_.reload();
  return stored;
}

void CatalogService::deregister_location(const Caller& caller, const std::string& uri) {
  const std::string normalized = catalog::normalize_location_uri(uri, "uri");
  require(caller, Action::ManageLocations, Resource{});
  mutate(caller, "DeregisterResource", "location/" + normalized,
         [&] { store_.deregister_location(normalized); });
  engine_.reload();
}

std::vector<catalog::DataLocation> CatalogService::list_locations(const Caller& caller) {
  require(caller, Action::DescribeLocations, Resource{});
  return store_.list_locations();
}

// --- engines, explain, search --------------------------------------------------------------------

ResolvedTable CatalogService::resolve_access(const Caller& caller, const std::string& database,
                                             const std::string& table) {
  const std::string db = db_name(database), t = table_name(table);
  Resource r{db, t, {}, {}, {}};
  require_visible(caller, Action::DescribeTable, r, "table '" + db + "." + t + "'");
  ResolvedTable out;
  out.table = load_table(db, t);
  const catalog::Timestamp now = catalog::now_millis();
  out.access = engine_.snapshot()->resolve(authz::subject_of(caller), out.table, now);
  if (out.access.columns.empty()) {
    // S6: resolving is reading; a caller that may only describe the table (or whose filters all fail closed)
    // gets no query authorization.
    record_mutation(caller, "ResolveTableAccess", audit_resource(r), false, "no SELECT source");
    throw Error(ErrorCode::AccessDenied, subject_id(caller) + " holds no SELECT on table " + db + "." + t +
                                             " (it may see that the table exists, not read it)");
  }
  authz::QueryAuthorization qa;
  qa.principal = subject_id(caller);
  qa.database = db;
  qa.table = t;
  qa.table_version = out.table.version_id;
  qa.issued_at = now;
  qa.expires_at = now + kQueryAuthorizationTtlMs;
  out.query_authorization_id = authz::issue_query_authorization(secrets_, qa);
  out.query_authorization_expires_at = qa.expires_at;
  return out;
}

authz::QueryAuthorization CatalogService::check_query_authorization(const Caller& caller,
                                                                    const std::string& id) {
  auto qa = authz::verify_query_authorization(secrets_, id, catalog::now_millis());
  if (!qa || (!caller.is_admin && qa->principal != subject_id(caller))) {
    throw Error(ErrorCode::NotFound, "query authorization not found, invalid or expired");
  }
  // An id stays valid only while its principal may still read the table: a revocation ends it at once.
  authz::Resource r{qa->database, qa->table, {}, {}, {}};
  if (!engine_.snapshot()->allows(authz::subject_of_id(qa->principal), Action::ListPartitions, r,
                                  catalog::now_millis()) ||
      !store_.get_table(qa->database, qa->table)) {
    throw Error(ErrorCode::NotFound, "query authorization not found, invalid or expired");
  }
  return *qa;
}

authz::Explanation CatalogService::explain(const Caller& caller, const std::string& principal,
                                           const std::string& database, const std::string& table) {
  const authz::PrincipalRef ref = authz::parse_principal(principal, catalog_id_, "principal");
  const std::string id = authz::principal_id(ref);
  const std::string db = db_name(database), t = table_name(table);
  // A table the caller may not see is missing to it, even when it asks about itself (C4).
  require_visible(caller, Action::DescribeTable, Resource{db, t, {}, {}, {}}, "table '" + db + "." + t + "'");
  require(caller, Action::Explain, Resource{db, t, id, {}, {}});
  auto found = store_.get_table(db, t);
  if (!found) throw Error(ErrorCode::NotFound, "table '" + db + "." + t + "' not found");
  authz::Explanation ex =
      engine_.snapshot()->explain(authz::subject_of_id(id), *found, catalog::now_millis());
  if (!caller.is_admin) {
    // Explaining itself, a caller learns nothing about columns it cannot see (not even their names).
    std::erase_if(ex.columns, [](const authz::Explanation::ColumnLine& c) { return !c.allowed; });
    std::set<std::string> shown;
    for (const auto& c : ex.columns) shown.insert(c.name);
    std::erase_if(ex.column_tags, [&](const auto& entry) { return !shown.contains(entry.first); });
  }
  return ex;
}

std::vector<SearchHit> CatalogService::search(const Caller& caller, const std::string& text,
                                              const std::string& database, int limit) {
  const std::string needle = lower(text);
  if (needle.find_first_not_of(' ') == std::string::npos)
    throw_invalid("q", "the search text must not be empty");
  if (needle.size() > 256) throw_invalid("q", "the search text must be at most 256 characters");
  limit = std::clamp(limit, 1, 1000);
  std::vector<std::string> databases;
  if (!database.empty()) {
    databases.push_back(get_database(caller, database).name);
  } else {
    PageRequest page{"", 1000};
    for (;;) {
      auto dbs = list_databases(caller, page);
      for (const auto& d : dbs.items) databases.push_back(d.name);
      if (dbs.next_token.empty()) break;
      page.token = dbs.next_token;
    }
  }
  std::vector<SearchHit> hits;
  for (const std::string& db : databases) {
    PageRequest page{"", 1000};
    for (;;) {
      // list_tables returns visible tables with only their visible columns (SR1)
      auto tables = list_tables(caller, db, page);
      for (const catalog::Table& t : tables.items) {
        SearchHit hit;
        if (lower(t.name).find(needle) != std::string::npos) hit.matched.push_back("table");
        if (lower(t.description).find(needle) != std::string::npos) hit.matched.push_back("description");
        for (const auto& c : all_columns(t)) {
          if (lower(c.name).find(needle) != std::string::npos ||
              lower(c.comment).find(needle) != std::string::npos) {
            hit.matched.push_back("column:" + c.name);
            hit.columns.push_back(c);
          }
        }
        if (hit.matched.empty()) continue;
        hit.database = db;
        hit.table = t.name;
        hits.push_back(std::move(hit));
        if (static_cast<int>(hits.size()) >= limit) return hits;
      }
      if (tables.next_token.empty()) break;
      page.token = tables.next_token;
    }
  }
  return hits;
}

// --- audit ---------------------------------------------------------------------------------------

Page<catalog::AuditEntry> CatalogService::query_audit(const Caller& caller, const catalog::AuditQuery& query,
                                                      const PageRequest& page) {
  require(caller, Action::ReadAudit, Resource{});
  audit_.flush();  // what this node decided so far is visible to the auditor
  Page<catalog::AuditEntry> out = store_.query_audit(query, page);
  if (!query.resource_prefix.empty()) {
    // A prefix names a resource and everything under it, on '/' boundaries: table/crm/c is not table/crm/cx.
    const std::string& prefix = query.resource_prefix;
    std::erase_if(out.items, [&](const catalog::AuditEntry& e) {
      return !(e.resource == prefix ||
               (e.resource.size() > prefix.size() && e.resource.compare(0, prefix.size(), prefix) == 0 &&
                (prefix.back() == '/' || e.resource[prefix.size()] == '/')));
    });
  }
  return out;
}

authz::AuditVerification CatalogService::verify_audit(
    const Caller& caller, const std::optional<std::pair<std::int64_t, std::string>>& expected_head) {
  require(caller, Action::ReadAudit, Resource{});
  audit_.flush();
  return authz::verify_audit(store_, expected_head);
}

}  // namespace cairn::api
