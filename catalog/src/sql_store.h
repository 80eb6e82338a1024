#pragma once

// SqlStore: the catalog's SQL written once over the driver abstraction of sql_driver.h. SqliteStore and
// PostgresStore derive from it and supply connections, a dialect and their migrations.

#include <memory>
#include <span>
#include <string>

#include "cairn/catalog/store.h"
#include "cairn/migrations/migrations.h"
#include "sql_driver.h"

namespace cairn::catalog {

/// Opens the SQLite store at `dir`/catalog.db (creating `dir`), migrated; `readers` read connections.
std::unique_ptr<Store> open_sqlite_store(const std::string& dir, int readers);
/// Opens the PostgreSQL store at `url` with a pool of `pool_size` connections, migrated under an advisory
/// lock.
std::unique_ptr<Store> open_postgres_store(const std::string& url, int pool_size);

class SqlStore : public Store {
 public:
  int schema_version() override;
  bool ready() override;
  std::int64_t count_principals() override;
  std::vector<std::string> list_groups_for_user(std::string_view user) override;
  std::optional<AccessKey> get_access_key(std::string_view access_key_id) override;
  void set_access_key_status(std::string_view access_key_id, AccessKeyStatus status) override;
  void delete_access_key(std::string_view access_key_id) override;

 protected:
  SqlStore(std::unique_ptr<sql::Dialect> dialect, std::span<const migrations::Migration> migrations);

  /// A connection for a read-only (`write` false) or a read-write transaction.
  virtual sql::Pool::Lease acquire(bool write) = 0;

  /// Creates schema_migrations and applies the missing migrations on `conn`, one transaction in all. Throws
  /// Error(FailedPrecondition) when the store's version is newer than the highest migration known.
  void migrate(sql::Connection& conn);

  const sql::Dialect& dialect() const { return *dialect_; }

  Database create_database_impl(const Database& db) override;
  std::optional<Database> get_database_impl(const std::string& name) override;
  Page<Database> list_databases_impl(const PageRequest& page) override;
  Database update_database_impl(const std::string& name, const Database& db) override;
  void delete_database_impl(const std::string& name) override;

  Table create_table_impl(const std::string& database, const Table& table) override;
  std::optional<Table> get_table_impl(const std::string& database, const std::string& name) override;
  Page<Table> list_tables_impl(const std::string& database, const PageRequest& page) override;
  Table update_table_impl(const std::string& database, const Table& table,
                          std::optional<std::int64_t> expected_version) override;
  void delete_table_impl(const std::string& database, const std::string& name) override;
  Page<Table> list_table_versions_impl(const std::string& database, const std::string& name,
                                       const PageRequest& page) override;
  std::optional<Table> get_table_version_impl(const std::string& database, const std::string& name,
                                              std::int64_t version) override;

  std::vector<BatchItemError> create_partitions_impl(const Table& table,
                                                     const std::vector<Partition>& partitions) override;
  std::vector<Partition> get_partitions_impl(
      const Table& table, const std::vector<std::vector<std::string>>& values_list) override;
  Page<Partition> list_partitions_impl(const Table& table, const PartitionExpression* filter,
                                       const PageRequest& page) override;
  std::vector<BatchItemError> update_partitions_impl(
      const Table& table,
      const std::vector<std::pair<std::vector<std::string>, Partition>>& entries) override;
  std::vector<BatchItemError> delete_partitions_impl(
      const Table& table, const std::vector<std::vector<std::string>>& values_list) override;

  Principal create_principal_impl(const Principal& principal) override;
  std::optional<Principal> get_principal_impl(PrincipalKind kind, const std::string& name) override;
  Page<Principal> list_principals_impl(PrincipalKind kind, const PageRequest& page) override;
  void delete_principal_impl(PrincipalKind kind, const std::string& name) override;
  void add_group_member_impl(const std::string& group, const std::string& user) override;
  void remove_group_member_impl(const std::string& group, const std::string& user) override;
  std::vector<std::string> list_group_members_impl(const std::string& group) override;
  void create_access_key_impl(const AccessKey& key) override;
  std::vector<AccessKey> list_access_keys_impl(PrincipalKind owner_kind, const std::string& owner) override;

 private:
  /// Runs `fn(Connection&)` in one transaction on a leased connection, retrying on a lost connection or a
  /// busy store; driver errors become cairn::Error.
  template <class Fn>
  auto transact(bool write, Fn&& fn);

  /// Runs `sql` (with `?` placeholders) on `conn`.
  sql::Result exec(sql::Connection& conn, const std::string& sql, const sql::Params& params) const;

  std::unique_ptr<sql::Dialect> dialect_;
  std::span<const migrations::Migration> migrations_;
};

}  // namespace cairn::catalog
