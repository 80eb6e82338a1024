#pragma once

// SqlStore: the catalog's SQL written once over the driver abstraction of sql_driver.h. SqliteStore and
// PostgresStore derive from it and supply connections, a dialect and their migrations.

#include <chrono>
#include <functional>
#include <map>
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

/// The id a newest-first listing continues below, from its page token ("" = from the newest). Tokens are the
/// last id itself: nothing secret, and a forged one only moves the start of the page. InvalidArgument
/// ("next_token") for anything that is not a positive integer.
std::int64_t id_token(const std::string& token);

class SqlStore : public Store {
 public:
  int schema_version() override;
  bool ready() override;
  std::int64_t count_principals() override;
  std::vector<std::string> list_groups_for_user(std::string_view user) override;
  std::optional<AccessKey> get_access_key(std::string_view access_key_id) override;
  void set_access_key_status(std::string_view access_key_id, AccessKeyStatus status) override;
  void delete_access_key(std::string_view access_key_id) override;

  // Governance (policy.h).
  std::int64_t policy_epoch() override;
  /// Polls policy_epoch every 50 ms (PostgresStore overrides it with LISTEN).
  std::int64_t wait_policy_change(std::int64_t known_epoch, std::chrono::milliseconds timeout) override;
  PolicyData load_policy() override;
  void append_audit(std::span<AuditEntry> entries, const AuditHasher& hasher) override;
  Page<AuditEntry> query_audit(const AuditQuery& query, const PageRequest& page) override;
  std::vector<AuditEntry> scan_audit(std::int64_t after_seq, int limit) override;

  void run_atomically(const std::function<void()>& fn) override;

  // Crawlers (sql_store_crawlers.cpp).
  CrawlerRecord create_crawler(const CrawlerRecord& crawler) override;
  std::optional<CrawlerRecord> get_crawler(std::string_view name) override;
  Page<CrawlerRecord> list_crawlers(const PageRequest& page) override;
  CrawlerRecord update_crawler(std::string_view name, const std::string& definition,
                               std::optional<Timestamp> next_run,
                               std::optional<std::int64_t> expected_version) override;
  void delete_crawler(std::string_view name) override;
  std::optional<CrawlerRun> begin_crawler_run(std::string_view name, const std::string& owner,
                                              const std::string& trigger, Timestamp now,
                                              Timestamp lease_until) override;
  LeaseState renew_crawler_lease(std::string_view name, std::int64_t run_id, const std::string& owner,
                                 Timestamp lease_until, const std::string& stats) override;
  bool request_crawler_stop(std::string_view name) override;
  bool finish_crawler_run(std::string_view name, std::int64_t run_id, const std::string& owner,
                          const std::string& status, const std::string& error, const std::string& stats,
                          Timestamp end_time) override;
  std::optional<CrawlerRun> get_crawler_run(std::int64_t id) override;
  Page<CrawlerRun> list_crawler_runs(std::string_view name, const PageRequest& page) override;
  bool claim_crawler_schedule(std::string_view name, Timestamp expected,
                              std::optional<Timestamp> next) override;
  std::vector<CrawlerFile> load_crawler_files(std::string_view name) override;
  void save_crawler_files(std::string_view name, const std::vector<CrawlerFile>& files,
                          const std::vector<std::string>& removed) override;
  std::vector<CrawlerFile> load_crawler_files_with_prefix(std::string_view name,
                                                          std::string_view prefix) override;
  std::vector<CrawlerFile> get_crawler_files(std::string_view name,
                                             const std::vector<std::string>& paths) override;
  ConnectionRecord create_connection(const ConnectionRecord& connection) override;
  std::optional<ConnectionRecord> get_connection(std::string_view name) override;
  std::vector<ConnectionRecord> list_connections() override;
  ConnectionRecord update_connection(const ConnectionRecord& connection) override;
  void delete_connection(std::string_view name) override;

  // PII classification (sql_store_classification.cpp).
  EntityTypeRecord create_entity_type(const EntityTypeRecord& type) override;
  std::optional<EntityTypeRecord> get_entity_type(std::string_view name) override;
  std::vector<EntityTypeRecord> list_entity_types() override;
  void delete_entity_type(std::string_view name) override;
  std::optional<ClassificationSettingsRecord> get_classification_settings() override;
  ClassificationSettingsRecord put_classification_settings(
      const std::string& settings, std::optional<std::int64_t> expected_version) override;
  Page<ColumnClassification> list_classifications(const ClassificationFilter& filter,
                                                  const PageRequest& page) override;
  std::optional<ColumnClassification> get_classification(std::string_view database, std::string_view table,
                                                         std::string_view column,
                                                         std::string_view entity) override;
  ColumnClassification save_classification(const ColumnClassification& verdict,
                                           const ClassificationEvent& event,
                                           std::optional<std::int64_t> expected_version) override;
  bool delete_classification(std::string_view database, std::string_view table, std::string_view column,
                             std::string_view entity, const ClassificationEvent& event) override;
  Page<ClassificationEvent> list_classification_events(std::string_view database, std::string_view table,
                                                       const PageRequest& page) override;

 protected:
  SqlStore(std::unique_ptr<sql::Dialect> dialect, std::span<const migrations::Migration> migrations);

  /// A connection for a read-only (`write` false) or a read-write transaction.
  virtual sql::Pool::Lease acquire(bool write) = 0;

  /// Creates schema_migrations and applies the missing migrations on `conn`, one transaction in all. Throws
  /// Error(FailedPrecondition) when the store's version is newer than the highest migration known.
  void migrate(sql::Connection& conn);

  const sql::Dialect& dialect() const { return *dialect_; }

  /// Runs `fn` in one transaction (see transact); for code outside sql_store.cpp.
  void with_transaction(bool write, const std::function<void(sql::Connection&)>& fn);
  /// Runs `sql` (with `?` placeholders) on `conn`.
  sql::Result run(sql::Connection& conn, const std::string& sql, const sql::Params& params) const {
    return exec(conn, sql, params);
  }

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

  Grant grant_permissions_impl(const Grant& grant) override;
  std::optional<Grant> revoke_permissions_impl(const Grant& grant) override;
  std::optional<Grant> get_grant_impl(std::int64_t id) override;
  Page<Grant> list_grants_impl(const GrantQuery& query, const PageRequest& page) override;
  DataCellsFilter create_data_cells_filter_impl(const DataCellsFilter& filter) override;
  DataCellsFilter update_data_cells_filter_impl(const DataCellsFilter& filter,
                                                std::optional<std::int64_t> expected_version) override;
  std::optional<DataCellsFilter> get_data_cells_filter_impl(const std::string& database,
                                                            const std::string& table,
                                                            const std::string& name) override;
  Page<DataCellsFilter> list_data_cells_filters_impl(const std::string& database, const std::string& table,
                                                     const PageRequest& page) override;
  void delete_data_cells_filter_impl(const std::string& database, const std::string& table,
                                     const std::string& name) override;
  TagKey create_tag_key_impl(const TagKey& tag) override;
  TagKey update_tag_key_impl(const std::string& key, const std::vector<std::string>& add,
                             const std::vector<std::string>& remove) override;
  std::optional<TagKey> get_tag_key_impl(const std::string& key) override;
  std::vector<TagKey> list_tag_keys_impl() override;
  void delete_tag_key_impl(const std::string& key) override;
  void assign_tags_impl(const TagAssignment& target, const std::map<std::string, std::string>& tags) override;
  void unassign_tags_impl(const TagAssignment& target, const std::vector<std::string>& keys) override;
  std::vector<TagAssignment> list_tag_assignments_impl(const std::string& database,
                                                       const std::string& table) override;
  DataLocation register_location_impl(const DataLocation& location) override;
  void deregister_location_impl(const std::string& uri) override;
  std::vector<DataLocation> list_locations_impl() override;

 private:
  /// Runs `fn(Connection&)` in one transaction on a leased connection, retrying on a lost connection or a
  /// busy store; driver errors become cairn::Error. `snapshot`: a read-only transaction in which every
  /// statement sees the same snapshot (Connection::begin_snapshot).
  template <class Fn>
  auto transact(bool write, Fn&& fn, bool snapshot = false);

  /// Announces (Dialect::notify_catalog) on commit of the open write transaction on `conn` that a database
  /// or table changed, so that other nodes drop what they cached.
  void announce_catalog_change(sql::Connection& conn);

  /// Increments the policy epoch inside the open write transaction on `conn` and announces it (Dialect::
  /// notify_policy) on commit; returns the new epoch.
  std::int64_t bump_policy_epoch(sql::Connection& conn);

  /// Runs `sql` (with `?` placeholders) on `conn`.
  sql::Result exec(sql::Connection& conn, const std::string& sql, const sql::Params& params) const;
  /// exec() as a statement prepared once per connection (sql::Connection::exec_prepared).
  sql::Result exec_prepared(sql::Connection& conn, const std::string& sql, const sql::Params& params) const;

  std::unique_ptr<sql::Dialect> dialect_;
  std::span<const migrations::Migration> migrations_;
};

}  // namespace cairn::catalog
