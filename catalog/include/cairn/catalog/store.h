#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/catalog/model.h"
#include "cairn/catalog/partition_expr.h"

namespace cairn::catalog {

/// A page request: `token` is empty for the first page, else the `next_token` of the previous page.
struct PageRequest {
  std::string token;
  int limit = 100;  ///< 1..1000; larger values are clamped by the public methods
};

template <class T>
struct Page {
  std::vector<T> items;
  std::string next_token;  ///< empty when there is no further page; opaque to callers
};

/// The catalog store. Public non-virtual methods normalise names, validate input and then call the
/// protected *_impl methods, so every backend validates the same way. Every write is one transaction.
///
/// Errors: invalid input throws Error(InvalidArgument, field); writes to missing parents or entities throw
/// Error(NotFound); creates of existing entities throw Error(AlreadyExists); a stale table version throws
/// Error(VersionConflict); an unreachable backend throws Error(Unavailable). Lookups return std::nullopt
/// for "not found".
class Store {
 public:
  virtual ~Store() = default;

  /// Name of the backend: "sqlite" or "postgres".
  virtual std::string_view backend() const = 0;
  /// Highest migration version applied to the store.
  virtual int schema_version() = 0;
  /// True when the backend answers a trivial query and migrations are applied.
  virtual bool ready() = 0;

  // --- databases ---------------------------------------------------------------------------------
  /// Creates a database; returns it as stored (create_time set).
  Database create_database(Database db);
  /// The database, or nullopt when it does not exist.
  std::optional<Database> get_database(std::string_view name);
  Page<Database> list_databases(const PageRequest& page);
  /// Replaces description, location and parameters of `name`; the name itself cannot change.
  Database update_database(std::string_view name, Database db);
  /// Deletes the database with all its tables, versions and partitions.
  void delete_database(std::string_view name);

  // --- tables ------------------------------------------------------------------------------------
  /// Creates a table in an existing database; version_id becomes 1.
  Table create_table(std::string_view database, Table table);
  std::optional<Table> get_table(std::string_view database, std::string_view name);
  Page<Table> list_tables(std::string_view database, const PageRequest& page);
  /// Replaces the table (not its name or create_time). When `expected_version` is given and differs from the
  /// current version, throws Error(VersionConflict) and changes nothing. The previous state stays readable as
  /// a numbered version. Returns the table as stored (version_id incremented).
  Table update_table(std::string_view database, Table table, std::optional<std::int64_t> expected_version);
  /// Deletes the table with its versions and partitions.
  void delete_table(std::string_view database, std::string_view name);
  /// Every version of the table, newest first, including the current one.
  Page<Table> list_table_versions(std::string_view database, std::string_view name, const PageRequest& page);
  std::optional<Table> get_table_version(std::string_view database, std::string_view name,
                                         std::int64_t version);

  // --- partitions --------------------------------------------------------------------------------
  /// Creates partitions of an existing table (NotFound otherwise). Invalid or duplicate items are reported
  /// per item and the valid ones are created, as Glue's BatchCreatePartition does.
  std::vector<BatchItemError> create_partitions(std::string_view database, std::string_view table,
                                                std::vector<Partition> partitions);
  std::optional<Partition> get_partition(std::string_view database, std::string_view table,
                                         const std::vector<std::string>& values);
  /// The partitions among `values_list` that exist (missing ones are left out).
  std::vector<Partition> batch_get_partitions(std::string_view database, std::string_view table,
                                              const std::vector<std::vector<std::string>>& values_list);
  /// Pages through partitions in a stable order; `filter` (may be null) is evaluated in the backend with
  /// bound parameters.
  Page<Partition> list_partitions(std::string_view database, std::string_view table,
                                  const PartitionExpression* filter, const PageRequest& page);
  /// Same, with the filter as Glue expression text (empty: all partitions), parsed against the table's keys
  /// (Error(InvalidArgument, "expression") when it does not parse), reading the table once.
  Page<Partition> list_partitions(std::string_view database, std::string_view table, std::string_view filter,
                                  const PageRequest& page);
  /// Replaces the partition identified by `values` (its values may change). NotFound when missing.
  void update_partition(std::string_view database, std::string_view table,
                        const std::vector<std::string>& values, Partition partition);
  /// Batch form of update_partition: errors are reported per item.
  std::vector<BatchItemError> update_partitions(
      std::string_view database, std::string_view table,
      std::vector<std::pair<std::vector<std::string>, Partition>> entries);
  /// Deletes partitions; missing ones are reported per item (EntityNotFound), the others are deleted.
  std::vector<BatchItemError> delete_partitions(std::string_view database, std::string_view table,
                                                const std::vector<std::vector<std::string>>& values_list);

  // --- identity ----------------------------------------------------------------------------------
  Principal create_principal(Principal principal);
  std::optional<Principal> get_principal(PrincipalKind kind, std::string_view name);
  Page<Principal> list_principals(PrincipalKind kind, const PageRequest& page);
  /// Deletes the principal, its access keys and its group memberships.
  void delete_principal(PrincipalKind kind, std::string_view name);
  /// Total number of principals of every kind (0 on a new store: bootstrap).
  virtual std::int64_t count_principals() = 0;

  /// Adds an existing user to an existing group (idempotent).
  void add_group_member(std::string_view group, std::string_view user);
  /// Removes a member; NotFound if it was not a member.
  void remove_group_member(std::string_view group, std::string_view user);
  std::vector<std::string> list_group_members(std::string_view group);
  /// The groups `user` belongs to (empty when none or when the user does not exist).
  virtual std::vector<std::string> list_groups_for_user(std::string_view user) = 0;

  /// Stores a new access key for an existing user or role.
  void create_access_key(AccessKey key);
  virtual std::optional<AccessKey> get_access_key(std::string_view access_key_id) = 0;
  std::vector<AccessKey> list_access_keys(PrincipalKind owner_kind, std::string_view owner_name);
  /// NotFound when the key does not exist.
  virtual void set_access_key_status(std::string_view access_key_id, AccessKeyStatus status) = 0;
  /// NotFound when the key does not exist.
  virtual void delete_access_key(std::string_view access_key_id) = 0;

 protected:
  // Backends implement these; arguments are already normalised and validated.
  virtual Database create_database_impl(const Database& db) = 0;
  virtual std::optional<Database> get_database_impl(const std::string& name) = 0;
  virtual Page<Database> list_databases_impl(const PageRequest& page) = 0;
  virtual Database update_database_impl(const std::string& name, const Database& db) = 0;
  virtual void delete_database_impl(const std::string& name) = 0;

  virtual Table create_table_impl(const std::string& database, const Table& table) = 0;
  virtual std::optional<Table> get_table_impl(const std::string& database, const std::string& name) = 0;
  virtual Page<Table> list_tables_impl(const std::string& database, const PageRequest& page) = 0;
  virtual Table update_table_impl(const std::string& database, const Table& table,
                                  std::optional<std::int64_t> expected_version) = 0;
  virtual void delete_table_impl(const std::string& database, const std::string& name) = 0;
  virtual Page<Table> list_table_versions_impl(const std::string& database, const std::string& name,
                                               const PageRequest& page) = 0;
  virtual std::optional<Table> get_table_version_impl(const std::string& database, const std::string& name,
                                                      std::int64_t version) = 0;

  /// `partitions` are validated against `table`; the impl reports duplicates per item.
  virtual std::vector<BatchItemError> create_partitions_impl(const Table& table,
                                                             const std::vector<Partition>& partitions) = 0;
  virtual std::vector<Partition> get_partitions_impl(
      const Table& table, const std::vector<std::vector<std::string>>& values_list) = 0;
  virtual Page<Partition> list_partitions_impl(const Table& table, const PartitionExpression* filter,
                                               const PageRequest& page) = 0;
  virtual std::vector<BatchItemError> update_partitions_impl(
      const Table& table, const std::vector<std::pair<std::vector<std::string>, Partition>>& entries) = 0;
  virtual std::vector<BatchItemError> delete_partitions_impl(
      const Table& table, const std::vector<std::vector<std::string>>& values_list) = 0;

  virtual Principal create_principal_impl(const Principal& principal) = 0;
  virtual std::optional<Principal> get_principal_impl(PrincipalKind kind, const std::string& name) = 0;
  virtual Page<Principal> list_principals_impl(PrincipalKind kind, const PageRequest& page) = 0;
  virtual void delete_principal_impl(PrincipalKind kind, const std::string& name) = 0;
  virtual void add_group_member_impl(const std::string& group, const std::string& user) = 0;
  virtual void remove_group_member_impl(const std::string& group, const std::string& user) = 0;
  virtual std::vector<std::string> list_group_members_impl(const std::string& group) = 0;
  virtual void create_access_key_impl(const AccessKey& key) = 0;
  virtual std::vector<AccessKey> list_access_keys_impl(PrincipalKind owner_kind,
                                                       const std::string& owner) = 0;
};

/// Opens (creating if needed) and migrates a store. An empty `database_url` means SQLite at
/// `data_dir`/catalog.db (WAL mode); a postgresql:// URL means PostgreSQL with a pool of `pool_size`
/// connections. Throws Error(FailedPrecondition) when the store's schema is newer than this binary,
/// Error(Unavailable) when the backend cannot be reached.
std::unique_ptr<Store> open_store(const std::string& data_dir, const std::string& database_url,
                                  int pool_size = 8);

}  // namespace cairn::catalog
