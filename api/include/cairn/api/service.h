#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cairn/authz/audit.h"
#include "cairn/authz/authorizer.h"
#include "cairn/authz/identity.h"
#include "cairn/authz/policy_engine.h"
#include "cairn/authz/query_authorization.h"
#include "cairn/authz/secret_box.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"

namespace cairn::api {

using authz::Caller;

/// A table as an engine resolves it: its metadata and what the caller may see of it.
struct ResolvedTable {
  catalog::Table table;
  authz::TableAccess access;
  std::string query_authorization_id;  ///< authz/query_authorization.h
  catalog::Timestamp query_authorization_expires_at = 0;
};

/// How long a query authorization id stays valid.
inline constexpr catalog::Timestamp kQueryAuthorizationTtlMs = 15 * 60 * 1000;

/// One search result: a visible table and why it matched (only visible columns ever match).
struct SearchHit {
  std::string database;
  std::string table;
  std::vector<std::string> matched;      ///< "table", "description", "column:<name>"
  std::vector<catalog::Column> columns;  ///< the visible columns that matched
};

/// The audit log's name of a resource: "catalog", "database/<db>", "table/<db>/<t>",
/// "filter/<db>/<t>/<name>", "principal/<arn>".
std::string audit_resource(const authz::Resource& resource);

/// A tag target: database; table when `table` is set; column when `column` is set too.
using TagTarget = catalog::TagAssignment;

/// A newly created access key: the only time the secret is returned.
struct CreatedAccessKey {
  catalog::AccessKey key;
  std::string secret_access_key;
};

/// The one service layer: every protocol (native REST, Glue, Lake Formation) translates onto these methods,
/// so authorization cannot differ between them. Each method asks the Authorizer first.
///
/// Reads of something the caller may not see behave exactly like reads of something that does not exist
/// (nullopt / Error(NotFound)); denied mutations throw Error(AccessDenied). Lists contain only what the
/// caller may see. Other errors are those of catalog::Store.
class TableViewCache;

class CatalogService {
 public:
  /// `authenticator` (may be null) has its credential cache invalidated after identity changes. `engine`
  /// decides everything (docs/authorization.md); `audit` receives every decision and mutation.
  CatalogService(catalog::Store& store, authz::PolicyEngine& engine, authz::AuditLog& audit,
                 const authz::SecretBox& secrets, std::string catalog_id,
                 const authz::Authenticator* authenticator = nullptr);
  ~CatalogService();
  CatalogService(const CatalogService&) = delete;
  CatalogService& operator=(const CatalogService&) = delete;

  const std::string& catalog_id() const { return catalog_id_; }
  catalog::Store& store() { return store_; }

  // --- databases ---
  catalog::Page<catalog::Database> list_databases(const Caller& caller, const catalog::PageRequest& page);
  /// Throws Error(NotFound) when missing or not visible.
  catalog::Database get_database(const Caller& caller, const std::string& name);
  catalog::Database create_database(const Caller& caller, catalog::Database db);
  catalog::Database update_database(const Caller& caller, const std::string& name, catalog::Database db);
  void delete_database(const Caller& caller, const std::string& name);

  // --- tables ---
  catalog::Page<catalog::Table> list_tables(const Caller& caller, const std::string& database,
                                            const catalog::PageRequest& page);
  catalog::Table get_table(const Caller& caller, const std::string& database, const std::string& name);
  /// get_table rendered as its JSON response body (catalog::to_json), served from a node-local cache of
  /// rendered views while the table, the policy snapshot and every grant's expiry leave it unchanged
  /// (api/src/table_view_cache.h); every call is authorized and audited like get_table.
  std::shared_ptr<const std::string> get_table_json(const Caller& caller, const std::string& database,
                                                    const std::string& name);
  catalog::Table create_table(const Caller& caller, const std::string& database, catalog::Table table);
  catalog::Table update_table(const Caller& caller, const std::string& database, catalog::Table table,
                              std::optional<std::int64_t> expected_version);
  void delete_table(const Caller& caller, const std::string& database, const std::string& name);
  catalog::Page<catalog::Table> list_table_versions(const Caller& caller, const std::string& database,
                                                    const std::string& name,
                                                    const catalog::PageRequest& page);
  catalog::Table get_table_version(const Caller& caller, const std::string& database, const std::string& name,
                                   std::int64_t version);

  // --- partitions ---
  /// `filter` is Glue's partition expression text (empty: all partitions).
  catalog::Page<catalog::Partition> list_partitions(const Caller& caller, const std::string& database,
                                                    const std::string& table, const std::string& filter,
                                                    const catalog::PageRequest& page);
  catalog::Partition get_partition(const Caller& caller, const std::string& database,
                                   const std::string& table, const std::vector<std::string>& values);
  std::vector<catalog::Partition> batch_get_partitions(const Caller& caller, const std::string& database,
                                                       const std::string& table,
                                                       const std::vector<std::vector<std::string>>& values);
  std::vector<catalog::BatchItemError> create_partitions(const Caller& caller, const std::string& database,
                                                         const std::string& table,
                                                         std::vector<catalog::Partition> partitions);
  void update_partition(const Caller& caller, const std::string& database, const std::string& table,
                        const std::vector<std::string>& values, catalog::Partition partition);
  std::vector<catalog::BatchItemError> update_partitions(
      const Caller& caller, const std::string& database, const std::string& table,
      std::vector<std::pair<std::vector<std::string>, catalog::Partition>> entries);
  std::vector<catalog::BatchItemError> delete_partitions(const Caller& caller, const std::string& database,
                                                         const std::string& table,
                                                         const std::vector<std::vector<std::string>>& values);

  // --- identity ---
  catalog::Page<catalog::Principal> list_principals(const Caller& caller, catalog::PrincipalKind kind,
                                                    const catalog::PageRequest& page);
  catalog::Principal get_principal(const Caller& caller, catalog::PrincipalKind kind,
                                   const std::string& name);
  catalog::Principal create_principal(const Caller& caller, catalog::Principal principal);
  /// The bootstrap administrator cannot be deleted (Error(FailedPrecondition)).
  void delete_principal(const Caller& caller, catalog::PrincipalKind kind, const std::string& name);
  std::vector<catalog::Principal> list_group_members(const Caller& caller, const std::string& group);
  std::vector<catalog::Principal> list_groups_for_user(const Caller& caller, const std::string& user);
  void add_group_member(const Caller& caller, const std::string& group, const std::string& user);
  void remove_group_member(const Caller& caller, const std::string& group, const std::string& user);

  std::vector<catalog::AccessKey> list_access_keys(const Caller& caller, catalog::PrincipalKind kind,
                                                   const std::string& owner);
  CreatedAccessKey create_access_key(const Caller& caller, catalog::PrincipalKind kind,
                                     const std::string& owner);
  /// Throws Error(NotFound) when the key does not belong to that owner.
  catalog::AccessKey set_access_key_status(const Caller& caller, catalog::PrincipalKind kind,
                                           const std::string& owner, const std::string& access_key_id,
                                           catalog::AccessKeyStatus status);
  void delete_access_key(const Caller& caller, catalog::PrincipalKind kind, const std::string& owner,
                         const std::string& access_key_id);

  // --- governance (docs/authorization.md §6 says what each needs) ---
  catalog::Grant grant_permissions(const Caller& caller, catalog::Grant grant);
  /// nullopt when no permission is left on that grant.
  std::optional<catalog::Grant> revoke_permissions(const Caller& caller, catalog::Grant grant);
  /// Administrators see every grant; others the grants of their subjects (themselves, groups, EVERYONE).
  catalog::Page<catalog::Grant> list_grants(const Caller& caller, const catalog::GrantQuery& query,
                                            const catalog::PageRequest& page);
  catalog::Grant get_grant(const Caller& caller, std::int64_t id);

  catalog::TagKey create_tag_key(const Caller& caller, catalog::TagKey tag);
  catalog::TagKey update_tag_key(const Caller& caller, const std::string& key,
                                 const std::vector<std::string>& add, const std::vector<std::string>& remove);
  catalog::TagKey get_tag_key(const Caller& caller, const std::string& key);
  std::vector<catalog::TagKey> list_tag_keys(const Caller& caller);
  void delete_tag_key(const Caller& caller, const std::string& key);
  /// Effective tags of the target (it must be visible).
  std::vector<authz::EffectiveTag> get_tags(const Caller& caller, TagTarget target);
  std::vector<authz::EffectiveTag> assign_tags(const Caller& caller, TagTarget target,
                                               const std::map<std::string, std::string>& tags);
  void unassign_tag(const Caller& caller, TagTarget target, const std::string& key);

  /// The row filter is parsed against the table's columns (400 naming an unknown column); masks are checked
  /// against the columns' types.
  catalog::DataCellsFilter create_filter(const Caller& caller, catalog::DataCellsFilter filter);
  catalog::DataCellsFilter update_filter(const Caller& caller, catalog::DataCellsFilter filter,
                                         std::optional<std::int64_t> expected_version);
  catalog::DataCellsFilter get_filter(const Caller& caller, const std::string& database,
                                      const std::string& table, const std::string& name);
  /// Filters the caller may describe, of one table, one database (table empty) or all (both empty).
  catalog::Page<catalog::DataCellsFilter> list_filters(const Caller& caller, const std::string& database,
                                                       const std::string& table,
                                                       const catalog::PageRequest& page);
  void delete_filter(const Caller& caller, const std::string& database, const std::string& table,
                     const std::string& name);

  catalog::DataLocation register_location(const Caller& caller, catalog::DataLocation location);
  void deregister_location(const Caller& caller, const std::string& uri);
  std::vector<catalog::DataLocation> list_locations(const Caller& caller);

  /// What the caller may see of a table, for engines (404 when the table is not visible).
  ResolvedTable resolve_access(const Caller& caller, const std::string& database, const std::string& table);
  /// Why `principal` (canonical id, or any form parse_principal accepts) can or cannot do things on a table.
  /// The query authorization named by `id` when it is valid and the caller is an administrator or the
  /// principal it names; Error(NotFound) otherwise (an invalid, expired or foreign id looks the same).
  authz::QueryAuthorization check_query_authorization(const Caller& caller, const std::string& id);
  authz::Explanation explain(const Caller& caller, const std::string& principal, const std::string& database,
                             const std::string& table);
  /// Tables whose name, description or visible columns contain `text` (case-insensitive), among the visible
  /// tables of `database` (or of every visible database).
  std::vector<SearchHit> search(const Caller& caller, const std::string& text, const std::string& database,
                                int limit);

  catalog::Page<catalog::AuditEntry> query_audit(const Caller& caller, const catalog::AuditQuery& query,
                                                 const catalog::PageRequest& page);
  authz::AuditVerification verify_audit(
      const Caller& caller, const std::optional<std::pair<std::int64_t, std::string>>& expected_head);

  authz::PolicyEngine& engine() { return engine_; }
  authz::AuditLog& audit() { return audit_; }
  const authz::SecretBox& secrets() const { return secrets_; }

  // For the other services of the process (crawlers): the same decision and audit path as every call here.
  /// Asks the engine and records the decision in the audit log.
  authz::Decision decide(const Caller& caller, authz::Action action, const authz::Resource& resource);
  /// decide() that throws Error(AccessDenied) when denied.
  void require(const Caller& caller, authz::Action action, const authz::Resource& resource);
  /// Records a mutation's outcome.
  void record_mutation(const Caller& caller, const std::string& action, const std::string& resource, bool ok,
                       const std::string& detail);
  /// The same for a mutation without a caller, made by a part of the server (`principal` "crawler:<name>").
  void record_mutation(const std::string& principal, const std::string& request_id, const std::string& action,
                       const std::string& resource, bool ok, const std::string& detail);

 private:
  /// Records an authorization decision in the audit log.
  void record_decision(const Caller& caller, const std::string& action, const std::string& resource,
                       const authz::Decision& decision);
  /// Runs a mutation, recording "ok" or "error" (with the error's message).
  template <class Fn>
  auto mutate(const Caller& caller, const std::string& action, const std::string& resource, Fn&& fn)
      -> decltype(fn());
  /// Applies V1/S1 to a table's columns for the caller (keeps only what it may see, masks noted in the
  /// columns' parameters).
  catalog::Table visible_columns(const Caller& caller, catalog::Table table);
  /// The same for an access already resolved for the caller (not for administrators).
  static catalog::Table visible_columns(const authz::TableAccess& access, catalog::Table table);
  /// The partition filter to run for the caller: its own `filter` ANDed with its row filter when that is over
  /// partition keys (S5); nullopt when it may read nothing (every SELECT source failed closed, F1).
  static std::optional<std::string> pruned_filter(const authz::TableAccess& access,
                                                  const std::string& filter);
  std::string subject_id(const Caller& caller) const;
  /// Denied reads become NotFound so that hidden entities are indistinguishable from missing ones; returns
  /// the allowing decision.
  authz::Decision require_visible(const Caller& caller, authz::Action action, const authz::Resource& resource,
                                  const std::string& what);
  catalog::Table load_table(const std::string& database, const std::string& name);
  std::string principal_arn(catalog::PrincipalKind kind, const std::string& name) const;
  catalog::AccessKey owned_key(catalog::PrincipalKind kind, const std::string& owner,
                               const std::string& access_key_id);
  /// Drops cached credentials and reloads the policy so that identity changes take effect at once on this
  /// node.
  void identity_changed() const;
  /// Drops cached credentials (access key changes).
  void credentials_changed() const;
  /// Refuses to deactivate or delete the administrator's last active key (it would lock everyone out).
  void protect_last_admin_key(const catalog::AccessKey& key);

  std::unique_ptr<TableViewCache> table_views_;
  catalog::Store& store_;
  authz::PolicyEngine& engine_;
  authz::AuditLog& audit_;
  const authz::SecretBox& secrets_;
  std::string catalog_id_;
  const authz::Authenticator* authenticator_;
};

// Defined here because both service translation units use it.
template <class Fn>
auto CatalogService::mutate(const Caller& caller, const std::string& action, const std::string& resource,
                            Fn&& fn) -> decltype(fn()) {
  try {
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      record_mutation(caller, action, resource, true, "");
    } else {
      auto result = fn();
      record_mutation(caller, action, resource, true, "");
      return result;
    }
  } catch (const Error& e) {
    record_mutation(caller, action, resource, false,
                    std::string(error_code_name(e.code())) + ": " + e.what());
    throw;
  }
}

}  // namespace cairn::api
