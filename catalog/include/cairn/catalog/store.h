#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/catalog/classification_records.h"
#include "cairn/catalog/crawler_records.h"
#include "cairn/catalog/model.h"
#include "cairn/catalog/partition_expr.h"
#include "cairn/catalog/policy.h"

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

  /// A number that changes after every committed write to a database or a table made through this object
  /// and (PostgreSQL) whenever another node's such write is announced (NOTIFY cairn_catalog with the schema
  /// as payload, sent by every database and table write when it commits; other schemas' announcements are
  /// ignored). A cache of database and table reads stays exact while the
  /// token is unchanged, provided the token was read before the store was. nullopt while other nodes'
  /// writes cannot be observed (PostgreSQL: the LISTEN connection is not up yet or was lost), when nothing
  /// may be cached. SQLite: one process owns the file, so the local counter is the whole truth.
  virtual std::optional<std::uint64_t> catalog_change_token();

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

  // --- governance (policy.h) ---------------------------------------------------------------------
  // Every write below, and every change to principals and group memberships, increments the policy epoch in
  // the same transaction (PostgreSQL: and sends NOTIFY cairn_policy, '<epoch>'). Deleting a database, table
  // or principal also deletes the grants, data cells filters and tag assignments that name it; an update of
  // a table deletes the tag assignments of columns it no longer has.

  /// The current policy epoch (0 on a new store).
  virtual std::int64_t policy_epoch() = 0;
  /// Waits up to `timeout` until the policy epoch differs from `known_epoch` (PostgreSQL: LISTEN on
  /// cairn_policy, so changes made by other nodes wake it at once; SQLite: polls); returns the current epoch.
  /// Thread-safe; several threads may wait.
  virtual std::int64_t wait_policy_change(std::int64_t known_epoch, std::chrono::milliseconds timeout) = 0;
  /// Every governance record and group membership, read in one transaction.
  virtual PolicyData load_policy() = 0;

  /// Normalises `grant` (normalize_grant), checks that what it names exists (database, table, data cells
  /// filter: NotFound; tag keys/values of a TagPolicy: InvalidArgument naming the key or value), then merges
  /// it into the stored grant with the same principal and resource_key (permission and grantable bits are
  /// ORed; expiry becomes the later of the two, none counting as never; granted_by is replaced) or inserts
  /// it. Returns the grant as stored.
  Grant grant_permissions(Grant grant);
  /// Removes the permission and grantable bits of `grant` from the stored grant with the same principal and
  /// resource_key (revoking a permission also revokes its grant option; `grantable` alone revokes only the
  /// grant option). Deletes the grant when no permission remains and returns nullopt, else the remainder.
  /// NotFound when no such grant holds any of those bits.
  std::optional<Grant> revoke_permissions(Grant grant);
  std::optional<Grant> get_grant(std::int64_t id);
  /// Grants matching `query`, ordered by id.
  Page<Grant> list_grants(const GrantQuery& query, const PageRequest& page);

  /// The table must exist (NotFound); AlreadyExists when the name is taken on that table. version_id = 1.
  DataCellsFilter create_data_cells_filter(DataCellsFilter filter);
  /// Replaces row filter, columns and masks; VersionConflict (nothing changed) when `expected_version` is
  /// given and differs. version_id + 1.
  DataCellsFilter update_data_cells_filter(DataCellsFilter filter,
                                           std::optional<std::int64_t> expected_version);
  std::optional<DataCellsFilter> get_data_cells_filter(std::string_view database, std::string_view table,
                                                       std::string_view name);
  /// Filters of one table, of one database (`table` empty) or all (both empty), ordered by database, table,
  /// name.
  Page<DataCellsFilter> list_data_cells_filters(std::string_view database, std::string_view table,
                                                const PageRequest& page);
  /// Deletes the filter and the grants on it. NotFound when missing.
  void delete_data_cells_filter(std::string_view database, std::string_view table, std::string_view name);

  /// AlreadyExists when the key exists.
  TagKey create_tag_key(TagKey tag);
  /// Adds and removes allowed values. Removing a value that is assigned somewhere or used by a tag policy
  /// grant is Error(FailedPrecondition) naming where; NotFound when the key does not exist.
  TagKey update_tag_key(std::string_view key, const std::vector<std::string>& add,
                        const std::vector<std::string>& remove);
  std::optional<TagKey> get_tag_key(std::string_view key);
  std::vector<TagKey> list_tag_keys();
  /// Deletes the key and its assignments. FailedPrecondition when a tag policy grant uses it (naming the
  /// grant id); NotFound when missing.
  void delete_tag_key(std::string_view key);
  /// Sets `tags` (key -> value) on the target (database; table when target.table is set; column when
  /// target.column is set too — a column or partition key of the table). An existing explicit value of the
  /// same key at that level is replaced. NotFound for a missing database/table/column; InvalidArgument
  /// ("tags.<key>") for an unknown key or a value the key does not allow.
  void assign_tags(const TagAssignment& target, const std::map<std::string, std::string>& tags);
  /// Removes explicit assignments of `keys` at the target's level; NotFound when one is not assigned there
  /// (then nothing is removed).
  void unassign_tags(const TagAssignment& target, const std::vector<std::string>& keys);
  /// Explicit assignments on the database and on everything in it (`table` empty), or on one table and its
  /// columns; ordered by database, table, column, key.
  std::vector<TagAssignment> list_tag_assignments(std::string_view database, std::string_view table);

  /// AlreadyExists when the normalised URI is registered.
  DataLocation register_location(DataLocation location);
  /// NotFound when not registered.
  void deregister_location(std::string_view uri);
  std::vector<DataLocation> list_locations();

  /// Computes an entry's hash from its fields and its prev_hash (authz/audit.h defines the canonical form).
  using AuditHasher = std::function<std::string(const AuditEntry&)>;
  /// Appends `entries` in order in one transaction, serialised with every other appender on the store
  /// (PostgreSQL: a transaction-level advisory lock): assigns seq (previous last + 1, …), prev_hash (the
  /// previous entry's hash) and hash = hasher(entry), and writes them back into `entries`.
  virtual void append_audit(std::span<AuditEntry> entries, const AuditHasher& hasher) = 0;
  /// Entries matching `query` in seq order.
  virtual Page<AuditEntry> query_audit(const AuditQuery& query, const PageRequest& page) = 0;
  /// Up to `limit` entries with seq > after_seq, in seq order (for verification).
  virtual std::vector<AuditEntry> scan_audit(std::int64_t after_seq, int limit) = 0;

  // --- atomic groups of writes ---------------------------------------------------------------------
  /// Runs `fn` so that every call it makes on this store from this thread joins one write transaction:
  /// all of them commit together or none does (an exception from `fn` rolls everything back and is
  /// rethrown). `fn` may run more than once when the connection is lost before the commit, so it must do
  /// nothing but store calls and local computation. Nested calls join the outer transaction.
  virtual void run_atomically(const std::function<void()>& fn) = 0;

  // --- crawlers (crawler_records.h) ----------------------------------------------------------------
  // Names are validated by the crawler layer (crawler/definition.h); the store binds them as parameters.

  /// AlreadyExists when the name is taken. Returns the record as stored (version 1, times set).
  virtual CrawlerRecord create_crawler(const CrawlerRecord& crawler) = 0;
  virtual std::optional<CrawlerRecord> get_crawler(std::string_view name) = 0;
  /// Crawlers ordered by name.
  virtual Page<CrawlerRecord> list_crawlers(const PageRequest& page) = 0;
  /// Replaces the definition and next_run. VersionConflict (nothing changed) when `expected_version` is
  /// given and differs; NotFound when missing. Returns the record as stored (version + 1).
  virtual CrawlerRecord update_crawler(std::string_view name, const std::string& definition,
                                       std::optional<Timestamp> next_run,
                                       std::optional<std::int64_t> expected_version) = 0;
  /// Deletes the crawler, its runs and its file state. NotFound when missing; FailedPrecondition while it
  /// runs (Glue's CrawlerRunningException).
  virtual void delete_crawler(std::string_view name) = 0;

  /// Starts a run when the crawler is READY, or when the running one's lease expired before `now` (that run
  /// is then recorded as FAILED, "lease expired"): state RUNNING, lease to `owner` until `lease_until`, a new
  /// run row. nullopt when another run holds the lease; NotFound when the crawler does not exist.
  virtual std::optional<CrawlerRun> begin_crawler_run(std::string_view name, const std::string& owner,
                                                      const std::string& trigger, Timestamp now,
                                                      Timestamp lease_until) = 0;
  /// Extends the lease of `run_id` held by `owner` and records the run's progress counters (`stats`, JSON).
  virtual LeaseState renew_crawler_lease(std::string_view name, std::int64_t run_id, const std::string& owner,
                                         Timestamp lease_until, const std::string& stats) = 0;
  /// RUNNING → STOPPING. False when the crawler is not running (Glue's CrawlerNotRunningException);
  /// NotFound when missing.
  virtual bool request_crawler_stop(std::string_view name) = 0;
  /// Ends `run_id` (status, error, stats, end time) and returns the crawler to READY, if `owner` still holds
  /// the lease; false (nothing changed) otherwise.
  virtual bool finish_crawler_run(std::string_view name, std::int64_t run_id, const std::string& owner,
                                  const std::string& status, const std::string& error,
                                  const std::string& stats, Timestamp end_time) = 0;
  virtual std::optional<CrawlerRun> get_crawler_run(std::int64_t id) = 0;
  /// Runs of one crawler, newest first.
  virtual Page<CrawlerRun> list_crawler_runs(std::string_view name, const PageRequest& page) = 0;
  /// Moves next_run from `expected` to `next` if it still is `expected`: the one node that wins runs the
  /// scheduled crawl. False when another node claimed it first (or the crawler changed).
  virtual bool claim_crawler_schedule(std::string_view name, Timestamp expected,
                                      std::optional<Timestamp> next) = 0;

  /// The file state of a crawler (every target), ordered by path.
  virtual std::vector<CrawlerFile> load_crawler_files(std::string_view name) = 0;
  /// Upserts `files` and deletes `removed` paths of the crawler's file state (join a run_atomically group
  /// to make it part of a table's write).
  virtual void save_crawler_files(std::string_view name, const std::vector<CrawlerFile>& files,
                                  const std::vector<std::string>& removed) = 0;
  /// The file state rows of a crawler whose paths start with `prefix` (bytewise), ordered by path.
  virtual std::vector<CrawlerFile> load_crawler_files_with_prefix(std::string_view name,
                                                                  std::string_view prefix) = 0;
  /// The file state rows of a crawler at `paths` (those that exist), ordered by path.
  virtual std::vector<CrawlerFile> get_crawler_files(std::string_view name,
                                                     const std::vector<std::string>& paths) = 0;

  /// AlreadyExists when the name is taken.
  virtual ConnectionRecord create_connection(const ConnectionRecord& connection) = 0;
  virtual std::optional<ConnectionRecord> get_connection(std::string_view name) = 0;
  /// Connections ordered by name.
  virtual std::vector<ConnectionRecord> list_connections() = 0;
  /// Replaces type, properties and (when not empty) the sealed secret. NotFound when missing.
  virtual ConnectionRecord update_connection(const ConnectionRecord& connection) = 0;
  /// NotFound when missing.
  virtual void delete_connection(std::string_view name) = 0;

  // ---- PII classification (classification_records.h; docs/classifiers.md)

  /// AlreadyExists when the name is taken.
  virtual EntityTypeRecord create_entity_type(const EntityTypeRecord& type) = 0;
  virtual std::optional<EntityTypeRecord> get_entity_type(std::string_view name) = 0;
  /// Entity types ordered by name.
  virtual std::vector<EntityTypeRecord> list_entity_types() = 0;
  /// NotFound when missing. Verdicts naming the type stay (with their history) until the next classification.
  virtual void delete_entity_type(std::string_view name) = 0;

  /// The settings, or nullopt while none were ever stored (the service's defaults apply).
  virtual std::optional<ClassificationSettingsRecord> get_classification_settings() = 0;
  /// Replaces the settings; VersionConflict when `expected_version` is given and differs (0: none stored
  /// yet). Returns them as stored (version + 1).
  virtual ClassificationSettingsRecord put_classification_settings(
      const std::string& settings, std::optional<std::int64_t> expected_version) = 0;

  /// Verdicts matching `filter`, ordered by database, table, column, entity.
  virtual Page<ColumnClassification> list_classifications(const ClassificationFilter& filter,
                                                          const PageRequest& page) = 0;
  virtual std::optional<ColumnClassification> get_classification(std::string_view database,
                                                                 std::string_view table,
                                                                 std::string_view column,
                                                                 std::string_view entity) = 0;
  /// Inserts or replaces the verdict (version + 1) and appends `event` to the history, in one transaction
  /// (joins a run_atomically group, so that tags and verdict change together). NotFound when the table does
  /// not exist; VersionConflict (nothing changed) when `expected_version` is given and differs from the
  /// stored version (0: must not exist yet). Returns the verdict as stored.
  virtual ColumnClassification save_classification(const ColumnClassification& verdict,
                                                   const ClassificationEvent& event,
                                                   std::optional<std::int64_t> expected_version) = 0;
  /// Removes the verdict and appends `event` (joins a run_atomically group); false when there was none.
  virtual bool delete_classification(std::string_view database, std::string_view table,
                                     std::string_view column, std::string_view entity,
                                     const ClassificationEvent& event) = 0;
  /// History of one table (every column and entity; `table` "" = the whole database), newest first.
  virtual Page<ClassificationEvent> list_classification_events(std::string_view database,
                                                               std::string_view table,
                                                               const PageRequest& page) = 0;

 protected:
  /// Changes the catalog change token (after a database or table write, and on announcements by others).
  void catalog_changed() { catalog_changes_.fetch_add(1, std::memory_order_acq_rel); }
  std::uint64_t local_catalog_changes() const { return catalog_changes_.load(std::memory_order_acquire); }
  /// Calls catalog_changed() when it goes out of scope, after the write committed or failed (a spurious
  /// change only costs a cache refill).
  struct ChangeGuard {
    explicit ChangeGuard(Store& store) : store_(store) {}
    ~ChangeGuard() { store_.catalog_changed(); }
    ChangeGuard(const ChangeGuard&) = delete;
    ChangeGuard& operator=(const ChangeGuard&) = delete;

   private:
    Store& store_;
  };

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

  // Governance: arguments already normalised by the public methods.
  virtual Grant grant_permissions_impl(const Grant& grant) = 0;
  virtual std::optional<Grant> revoke_permissions_impl(const Grant& grant) = 0;
  virtual std::optional<Grant> get_grant_impl(std::int64_t id) = 0;
  virtual Page<Grant> list_grants_impl(const GrantQuery& query, const PageRequest& page) = 0;
  virtual DataCellsFilter create_data_cells_filter_impl(const DataCellsFilter& filter) = 0;
  virtual DataCellsFilter update_data_cells_filter_impl(const DataCellsFilter& filter,
                                                        std::optional<std::int64_t> expected_version) = 0;
  virtual std::optional<DataCellsFilter> get_data_cells_filter_impl(const std::string& database,
                                                                    const std::string& table,
                                                                    const std::string& name) = 0;
  virtual Page<DataCellsFilter> list_data_cells_filters_impl(const std::string& database,
                                                             const std::string& table,
                                                             const PageRequest& page) = 0;
  virtual void delete_data_cells_filter_impl(const std::string& database, const std::string& table,
                                             const std::string& name) = 0;
  virtual TagKey create_tag_key_impl(const TagKey& tag) = 0;
  virtual TagKey update_tag_key_impl(const std::string& key, const std::vector<std::string>& add,
                                     const std::vector<std::string>& remove) = 0;
  virtual std::optional<TagKey> get_tag_key_impl(const std::string& key) = 0;
  virtual std::vector<TagKey> list_tag_keys_impl() = 0;
  virtual void delete_tag_key_impl(const std::string& key) = 0;
  virtual void assign_tags_impl(const TagAssignment& target,
                                const std::map<std::string, std::string>& tags) = 0;
  virtual void unassign_tags_impl(const TagAssignment& target, const std::vector<std::string>& keys) = 0;
  virtual std::vector<TagAssignment> list_tag_assignments_impl(const std::string& database,
                                                               const std::string& table) = 0;
  virtual DataLocation register_location_impl(const DataLocation& location) = 0;
  virtual void deregister_location_impl(const std::string& uri) = 0;
  virtual std::vector<DataLocation> list_locations_impl() = 0;

 private:
  std::atomic<std::uint64_t> catalog_changes_{0};
};

/// Opens (creating if needed) and migrates a store. An empty `database_url` means SQLite at
/// `data_dir`/catalog.db (WAL mode); a postgresql:// URL means PostgreSQL with a pool of `pool_size`
/// connections. Throws Error(FailedPrecondition) when the store's schema is newer than this binary,
/// Error(Unavailable) when the backend cannot be reached.
std::unique_ptr<Store> open_store(const std::string& data_dir, const std::string& database_url,
                                  int pool_size = 8);

}  // namespace cairn::catalog
