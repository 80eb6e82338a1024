#pragma once

// The permission engine: governance records (catalog/policy.h) compiled into an immutable snapshot that
// answers every authorization question in memory; swapped atomically when the policy changes. Exact
// semantics: docs/authorization.md (the tests follow that document).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cairn/authz/authorizer.h"
#include "cairn/authz/identity.h"
#include "cairn/authz/row_filter.h"
#include "cairn/catalog/policy.h"
#include "cairn/catalog/store.h"

namespace cairn::authz {

/// Canonical principal id ("user:alice", "role:etl", "group:analysts") of a principal reference.
std::string principal_id(const PrincipalRef& principal);
/// The ARN of a canonical principal id, or "EVERYONE".
std::string principal_id_to_arn(const std::string& id, const std::string& catalog_id);

/// The permissions a principal (with its groups and EVERYONE) holds on one object.
struct Held {
  catalog::PermissionSet permissions = 0;
  catalog::PermissionSet grantable = 0;
  /// Tables: the permissions held on the whole table (TABLE, TABLE_WILDCARD, table-level TAG_POLICY),
  /// as opposed to SELECT on some columns or through a filter (rule V1).
  catalog::PermissionSet whole_table = 0;
  std::vector<std::string> deciding_ids;
};

/// A tag as it applies to a database, table or column, explicit or inherited.
struct EffectiveTag {
  std::string key;
  std::string value;
  std::string source;  ///< "database", "table" or "column" — where the value was assigned
  bool inherited = false;
};

/// One way a column is shown: rows where one of `predicates` holds (none: every row) show the value through
/// `mask` (nullopt: unmasked).
struct ColumnRule {
  /// The sources' row filters, ORed (distinct, sorted by canonical text); empty = all rows.
  std::vector<std::shared_ptr<const RowFilter>> predicates;
  std::string predicate_text;  ///< the OR as PartiQL text; empty for all rows
  std::optional<Mask> mask;
  std::vector<std::string> deciding_ids;
};

/// What the caller may see of one column.
struct ColumnAccess {
  std::string name;
  std::string type;
  std::string comment;
  bool partition_key = false;
  /// Ordered by what they reveal (most first); the first rule one of whose predicates holds (or that has
  /// none) decides a row; rows no rule covers show NULL. Never empty for an authorized column.
  std::vector<ColumnRule> rules;
  /// The rows where the column shows anything (OR of the rules' predicates) when that differs from the
  /// table's combined row filter (Lake Formation's cell filter); empty otherwise.
  std::string cell_filter;
  std::vector<std::string> deciding_ids;
};

/// Everything an engine needs to run a governed query on one table for one caller.
struct TableAccess {
  catalog::PermissionSet permissions = 0;
  catalog::PermissionSet grantable = 0;
  catalog::PermissionSet whole_table = 0;  ///< as Held::whole_table (rule V1)
  std::vector<ColumnAccess> columns;       ///< authorized SELECT columns, data columns then partition keys
  bool all_rows = true;                    ///< no row filter
  /// The combined row filter (OR of every SELECT source's filter), canonical PartiQL; empty when all_rows.
  std::string row_filter;
  std::vector<std::shared_ptr<const RowFilter>> row_filters;  ///< the distinct ORed filters
  /// When every row filter references only partition keys: the same predicate as a Glue partition
  /// expression, for server-side partition pruning; empty otherwise (or when all_rows).
  std::string partition_filter;
  std::vector<std::string> deciding_ids;
};

/// The answer to "why can (or can't) this principal do X on this table".
struct Explanation {
  struct PermissionLine {
    catalog::Permission permission;
    bool allowed = false;
    bool grantable = false;
    std::vector<std::string> deciding_ids;
    std::string missing;  ///< for a denial: what would grant it
  };
  struct ColumnLine {
    std::string name;
    bool allowed = false;
    std::string mask;         ///< spec of the mask under the most revealing rule; empty: unmasked
    std::string cell_filter;  ///< as in ColumnAccess
    std::vector<std::string> deciding_ids;
    std::string reason;
  };
  std::string principal;  ///< canonical id
  bool is_admin = false;
  std::vector<std::string> principals_considered;
  std::vector<PermissionLine> permissions;
  std::vector<ColumnLine> columns;
  bool all_rows = true;
  std::string row_filter;
  std::vector<EffectiveTag> table_tags;
  std::map<std::string, std::vector<EffectiveTag>> column_tags;
  std::vector<std::string> expired_grants;  ///< ids of grants that would count but have expired
};

/// Who asks: a canonical principal id and whether it is an administrator. Groups come from the snapshot.
struct Subject {
  std::string principal;
  bool is_admin = false;
};
Subject subject_of(const Caller& caller);
/// The subject of a canonical principal id ("user:alice"), administrator or not by is_administrator().
Subject subject_of_id(const std::string& principal_id);

class PolicySnapshotImpl;

/// An immutable compiled policy. Thread-safe (const). Time-bound grants are checked against `now`
/// (milliseconds since the epoch) at every decision, so an expired grant stops counting at once.
class PolicySnapshot {
 public:
  /// Compiles `data`. Row filters of data cells filters are parsed by resolve()/explain() against the
  /// table they are given (so they are typed by its current columns); a filter that no longer parses (a
  /// column was dropped) matches no rows and explain() says why.
  static std::shared_ptr<const PolicySnapshot> compile(catalog::PolicyData data);
  /// A copy of this snapshot in which the grants of `principal` are replaced by `grants` (incremental update
  /// after a grant or revoke; everything else is shared with this snapshot).
  /// `epoch` (when given) becomes the new snapshot's epoch.
  std::shared_ptr<const PolicySnapshot> with_principal_grants(
      const std::string& principal, std::vector<catalog::Grant> grants,
      std::optional<std::int64_t> epoch = std::nullopt) const;

  std::int64_t epoch() const;
  std::size_t grant_count() const;
  /// The earliest expiry later than `now` of a time-bound grant `subject` holds (its own, its groups' or
  /// EVERYONE's; the maximum Timestamp when there is none): every decision about `subject` stays the same
  /// from `now` until then.
  catalog::Timestamp next_expiry_after(const Subject& subject, catalog::Timestamp now) const;

  /// The groups of a user (from the snapshot's memberships).
  std::vector<std::string> groups_of(const std::string& principal) const;

  /// decide(…).allowed without building the reason or collecting deciding ids, stopping at the first grant
  /// that decides (the path list filtering uses).
  bool allows(const Subject& subject, Action action, const Resource& resource, catalog::Timestamp now) const;
  /// The Authorizer decision for `subject`.
  Decision decide(const Subject& subject, Action action, const Resource& resource,
                  catalog::Timestamp now) const;
  /// What `subject` holds on the catalog (CATALOG grants).
  Held on_catalog(const Subject& subject, catalog::Timestamp now) const;
  /// What `subject` holds on a database (Database and TagPolicy(DATABASE) grants).
  Held on_database(const Subject& subject, const std::string& database, catalog::Timestamp now) const;
  /// What `subject` holds on a table: `permissions` includes SELECT held on some columns or through a filter
  /// (and DESCRIBE when anything at all is held, C2); `whole_table` only what whole-table grants give;
  /// `grantable` comes from whole-table grants only (O2).
  Held on_table(const Subject& subject, const std::string& database, const std::string& table,
                catalog::Timestamp now) const;
  /// What `subject` holds on a data cells filter (SELECT/DESCRIBE/DROP grants on it).
  Held on_filter(const Subject& subject, const std::string& database, const std::string& table,
                 const std::string& name, catalog::Timestamp now) const;
  /// What `subject` holds on a data location that covers `uri`.
  Held on_location(const Subject& subject, const std::string& uri, catalog::Timestamp now) const;
  /// The registered location covering `uri` (longest prefix on a path boundary), if any.
  std::optional<catalog::DataLocation> registered_location_for(const std::string& uri) const;

  /// The caller's view of `table` (its columns as loaded). Throws Error(Internal) only on a corrupt snapshot.
  TableAccess resolve(const Subject& subject, const catalog::Table& table, catalog::Timestamp now) const;
  Explanation explain(const Subject& subject, const catalog::Table& table, catalog::Timestamp now) const;

  /// Effective tags of a database, a table (table non-empty) or a column (column non-empty too).
  std::vector<EffectiveTag> effective_tags(const std::string& database, const std::string& table,
                                           const std::string& column) const;

  explicit PolicySnapshot(std::shared_ptr<const PolicySnapshotImpl> impl);
  ~PolicySnapshot();

 private:
  std::shared_ptr<const PolicySnapshotImpl> impl_;
};

/// The engine the server uses: holds the current snapshot, reloads it when the store's policy epoch changes
/// (a background watcher; on PostgreSQL woken by NOTIFY from other nodes) and after local writes.
class PolicyEngine final : public Authorizer {
 public:
  /// Loads and compiles the store's policy (throws what the store throws).
  explicit PolicyEngine(catalog::Store& store);
  ~PolicyEngine() override;
  PolicyEngine(const PolicyEngine&) = delete;
  PolicyEngine& operator=(const PolicyEngine&) = delete;

  /// Starts the watcher thread (idempotent).
  void start_watching(std::chrono::milliseconds wait = std::chrono::milliseconds(1000));
  void stop_watching();

  /// Reloads everything from the store and swaps the snapshot (after tag, filter, location, membership or
  /// principal changes). Returns the time it took.
  std::chrono::microseconds reload();
  /// Re-reads only `principal`'s grants and swaps an incrementally updated snapshot (after grant/revoke).
  std::chrono::microseconds reload_principal_grants(const std::string& principal);

  /// The current snapshot (never null).
  std::shared_ptr<const PolicySnapshot> snapshot() const;

  Decision decide(const Caller& caller, Action action, const Resource& resource) const override;
  bool is_granted(const Caller& caller, Action action, const Resource& resource) const override;
  /// Rule GR1 of docs/authorization.md.
  Decision decide_grant(const Caller& caller, const catalog::Grant& grant) const override;

 private:
  void swap_in(std::shared_ptr<const PolicySnapshot> next);
  void watch_loop(std::chrono::milliseconds wait);

  catalog::Store& store_;
  std::shared_ptr<const PolicySnapshot> current_;  ///< read/written with std::atomic_load/atomic_store
  std::mutex reload_mutex_;                        ///< serialises reloads and incremental updates
  std::atomic<bool> watching_{false};
  std::thread watcher_;
};

}  // namespace cairn::authz
