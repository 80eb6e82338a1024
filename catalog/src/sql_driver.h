#pragma once

// The small driver abstraction under SqlStore: a connection that runs parameterised statements inside
// explicit transactions, a dialect that spells the few things SQLite and PostgreSQL write differently, and a
// bounded connection pool. The SQLite and PostgreSQL backends implement Connection and Dialect.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "cairn/catalog/partition_expr.h"

namespace cairn::catalog::sql {

/// A bound parameter: NULL, integer, double or text.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
using Params = std::vector<Value>;

/// One result row; cells are text (integers as decimal text) or null.
struct Row {
  std::vector<std::optional<std::string>> cells;

  /// The cell as text; "" for NULL.
  const std::string& text(std::size_t i) const;
  /// The cell as an integer; 0 for NULL.
  std::int64_t integer(std::size_t i) const;
  bool is_null(std::size_t i) const { return !cells.at(i).has_value(); }
};

struct Result {
  std::vector<Row> rows;
  std::int64_t affected = 0;  ///< rows changed by INSERT/UPDATE/DELETE
};

/// A driver failure classified so that shared code can map it onto cairn::Error.
class DriverError : public std::runtime_error {
 public:
  enum class Kind {
    UniqueViolation,      ///< a unique or primary key constraint failed
    ForeignKeyViolation,  ///< a referenced row is missing
    Busy,                 ///< lock timeout, serialization failure, deadlock: the transaction may be retried
    ConnectionLost,       ///< the connection is unusable; the transaction did not commit
    InDoubt,              ///< the connection broke during COMMIT: the outcome is unknown
    Other,
  };
  DriverError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

/// A database connection used by one thread at a time (the pool guarantees it).
class Connection {
 public:
  virtual ~Connection() = default;
  /// Starts a transaction; `write` takes the write lock up front where the backend has one (SQLite).
  virtual void begin(bool write) = 0;
  /// Starts a read-only transaction whose statements all see one snapshot of the store (SQLite: a deferred
  /// read transaction in WAL mode; PostgreSQL: REPEATABLE READ READ ONLY).
  virtual void begin_snapshot() = 0;
  virtual void commit() = 0;
  /// Rolls back the open transaction, if any; never throws.
  virtual void rollback() noexcept = 0;
  /// Runs one statement with placeholders numbered as the dialect writes them; inside or outside a
  /// transaction.
  virtual Result exec(const std::string& sql, const Params& params) = 0;
  /// Like exec(), for a statement this connection runs often with the same text: it is parsed and planned
  /// once per connection (PostgreSQL: a named prepared statement). SQLite caches every statement anyway.
  /// Only for statements whose best plan does not depend on the values bound (a generic plan is fine).
  virtual Result exec_prepared(const std::string& sql, const Params& params) { return exec(sql, params); }
  /// Runs a script of statements without parameters (migrations).
  virtual void exec_script(const std::string& sql) = 0;
  /// False once the connection is known to be broken; the pool then drops it.
  virtual bool usable() const = 0;
};

/// SQL spellings that differ between backends. Also the partition-filter dialect (key i of `p.vals`).
class Dialect : public PartitionExpression::SqlDialect {
 public:
  /// " FOR UPDATE" where row locks exist, else "".
  virtual std::string for_update() const = 0;
  /// Statement run before a keyset page query so that the planner walks the (table_id, part_key) index in
  /// order instead of sorting every remaining row (PostgreSQL picks a sort when statistics are stale after a
  /// bulk insert); "" when not needed. keyset_scan_teardown() undoes it after the query (reads run outside
  /// transactions, so the setting is session-wide until then).
  virtual std::string keyset_scan_setup() const = 0;
  virtual std::string keyset_scan_teardown() const = 0;
  /// DDL creating schema_migrations(version, name, applied_at) if it does not exist.
  virtual std::string schema_migrations_ddl() const = 0;
  /// Statement with one `?` (the new epoch as text) announcing a policy change to other nodes when the
  /// transaction commits (PostgreSQL: pg_notify on cairn_policy); "" where there is nothing to announce.
  virtual std::string notify_policy() const = 0;
  /// Statement without parameters announcing, when the transaction commits, that a database or table
  /// changed (PostgreSQL: pg_notify on cairn_catalog); "" where no other process can cache the catalog.
  virtual std::string notify_catalog() const = 0;
  /// Rows per INSERT statement when appending many rows: 100 where each statement is a round trip
  /// (PostgreSQL); 1 where statements run in process (SQLite: one cached single-row statement is cheaper than
  /// building, numbering and caching a 1,100-parameter one).
  virtual std::size_t rows_per_insert() const = 0;
  /// Statement with one `?` (a lock key) taking a lock held until the transaction ends, serialising audit
  /// appenders; "" where write transactions are serialised anyway (SQLite).
  virtual std::string audit_lock() const = 0;
  /// The ON CONFLICT target naming a grant's identity (its principal and resource_key), e.g.
  /// "(principal, resource_key)"; PostgreSQL indexes a digest of resource_key, which may exceed a btree
  /// entry.
  virtual std::string grant_identity() const = 0;

  /// Replaces each `?` in `sql` (which holds no string literals with `?`) by placeholder(first),
  /// placeholder(first+1)...
  std::string number(const std::string& sql, int first = 1) const;
};

/// A bounded pool of connections created on demand. acquire() blocks up to `timeout` for a free connection
/// and then throws Error(Unavailable). A connection returned unusable is dropped and replaced on a later
/// acquire().
class Pool {
 public:
  using Factory = std::function<std::unique_ptr<Connection>()>;
  Pool(Factory factory, int size, std::chrono::milliseconds timeout, std::string what);

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }
    /// Drops the connection instead of returning it to the pool.
    void discard() { conn_.reset(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  /// A connection for exclusive use until the lease ends; throws Error(Unavailable) on timeout or when a new
  /// connection cannot be opened.
  Lease acquire();

 private:
  void release(std::unique_ptr<Connection> conn);

  Factory factory_;
  const int size_;
  const std::chrono::milliseconds timeout_;
  const std::string what_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;  ///< guarded by mutex_
  int open_ = 0;                                   ///< connections idle or leased; guarded by mutex_
};

}  // namespace cairn::catalog::sql
