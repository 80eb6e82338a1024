#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/authz/authorizer.h"
#include "cairn/authz/identity.h"
#include "cairn/authz/secret_box.h"
#include "cairn/catalog/store.h"

namespace cairn::api {

using authz::Caller;

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
class CatalogService {
 public:
  /// `authenticator` (may be null) has its credential cache invalidated after identity changes.
  CatalogService(catalog::Store& store, const authz::Authorizer& authorizer, const authz::SecretBox& secrets,
                 std::string catalog_id, const authz::Authenticator* authenticator = nullptr);

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

 private:
  /// Denied reads become NotFound so that hidden entities are indistinguishable from missing ones.
  void require_visible(const Caller& caller, authz::Action action, const authz::Resource& resource,
                       const std::string& what) const;
  catalog::Table load_table(const std::string& database, const std::string& name);
  std::string principal_arn(catalog::PrincipalKind kind, const std::string& name) const;
  catalog::AccessKey owned_key(catalog::PrincipalKind kind, const std::string& owner,
                               const std::string& access_key_id);
  /// Drops cached credentials so that identity changes take effect at once on this node.
  void identity_changed() const;
  /// Refuses to deactivate or delete the administrator's last active key (it would lock everyone out).
  void protect_last_admin_key(const catalog::AccessKey& key);

  catalog::Store& store_;
  const authz::Authorizer& authorizer_;
  const authz::SecretBox& secrets_;
  std::string catalog_id_;
  const authz::Authenticator* authenticator_;
};

}  // namespace cairn::api
