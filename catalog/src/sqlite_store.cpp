// The embedded SQLite store: DIR/catalog.db in WAL mode with foreign keys on.
//
// Concurrency: SQLite allows one writer at a time, so writes go through a pool of exactly one read-write
// connection (callers queue for it, up to 30 s, then get Unavailable) and run as BEGIN IMMEDIATE
// transactions; reads use a separate pool of read-only connections, which WAL lets proceed alongside the
// writer. Each connection is used by one thread at a time, so connections are opened with
// SQLITE_OPEN_NOMUTEX. busy_timeout covers other processes holding the lock (e.g. a second cairnd on the same
// directory).

#include <sqlite3.h>

#include <filesystem>
#include <string_view>
#include <unordered_map>

#include "cairn/catalog/error.h"
#include "cairn/catalog/partition_expr.h"
#include "sql_store.h"

namespace cairn::catalog {
namespace {

using sql::DriverError;

constexpr int kBusyTimeoutMs = 5000;
constexpr std::size_t kStatementCacheLimit = 256;

/// SQL function cairn_like(pattern, value): 1 when value matches, NULL when either argument is NULL.
void sqlite_cairn_like(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const int pn = sqlite3_value_bytes(argv[0]);
  const auto* s = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  const int sn = sqlite3_value_bytes(argv[1]);
  sqlite3_result_int(ctx, like_matches(std::string_view(s, static_cast<std::size_t>(sn)),
                                       std::string_view(p, static_cast<std::size_t>(pn)))
                              ? 1
                              : 0);
}

class SqliteDialect final : public sql::Dialect {
 public:
  std::string key_expr(int key_index, KeyValueType type) const override {
    std::string value = "json_extract(p.vals, '$[" + std::to_string(key_index) + "]')";
    switch (type) {
      case KeyValueType::Integer:
        return "CAST(" + value + " AS INTEGER)";
      case KeyValueType::Number:
        return "CAST(" + value + " AS REAL)";
      default:
        return value;
    }
  }
  std::string placeholder(int n) const override { return "?" + std::to_string(n); }
  std::string like(const std::string& lhs, const std::string& pattern_placeholder) const override {
    return "cairn_like(" + pattern_placeholder + ", " + lhs + ")";
  }
  std::string for_update() const override { return ""; }
  std::string keyset_scan_setup() const override { return ""; }
  std::string keyset_scan_teardown() const override { return ""; }
  std::string schema_migrations_ddl() const override {
    return "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
           "applied_at INTEGER NOT NULL)";
  }
  // One process writes at a time and other nodes cannot share the file: nothing to announce or lock.
  std::string notify_policy() const override { return ""; }
  std::string notify_catalog() const override { return ""; }
  std::size_t rows_per_insert() const override { return 1; }
  std::string audit_lock() const override { return ""; }
  std::string grant_identity() const override { return "(principal, resource_key)"; }
};

class SqliteConnection final : public sql::Connection {
 public:
  SqliteConnection(const std::string& path, bool writer) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close_v2(db_);
      throw Error(ErrorCode::Unavailable, "cannot open the SQLite store " + path + ": " + message);
    }
    try {
      sqlite3_busy_timeout(db_, kBusyTimeoutMs);
      sqlite3_extended_result_codes(db_, 1);
      if (writer) {
        auto mode = exec("PRAGMA journal_mode = WAL", {});
        if (mode.rows.empty() || mode.rows[0].text(0) != "wal") {
          throw Error(ErrorCode::Unavailable, "cannot switch the SQLite store " + path + " to WAL mode");
        }
        // FULL: a committed write survives a power loss (WAL's NORMAL could lose the last commits).
        exec_script("PRAGMA synchronous = FULL");
        // The writer appends to the audit log's three indexes all the time; with SQLite's default 2 MB page
        // cache every append re-reads index pages through pread. 64 MB keeps the hot pages in process.
        exec_script("PRAGMA cache_size = -65536");
      } else {
        exec_script("PRAGMA query_only = ON");
      }
      exec_script("PRAGMA foreign_keys = ON");
      if (sqlite3_create_function_v2(db_, "cairn_like", 2,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                     sqlite_cairn_like, nullptr, nullptr, nullptr) != SQLITE_OK) {
        throw Error(ErrorCode::Internal, std::string("cannot register cairn_like: ") + sqlite3_errmsg(db_));
      }
    } catch (const DriverError& e) {
      close();
      throw Error(ErrorCode::Unavailable, "cannot set up the SQLite store " + path + ": " + e.what());
    } catch (...) {
      close();
      throw;
    }
  }

  ~SqliteConnection() override { close(); }

  void begin(bool write) override { exec_script(write ? "BEGIN IMMEDIATE" : "BEGIN"); }

  // A deferred transaction reads one WAL snapshot from its first statement to its end.
  void begin_snapshot() override { exec_script("BEGIN"); }

  void commit() override { exec_script("COMMIT"); }

  void rollback() noexcept override {
    if (db_ != nullptr && !sqlite3_get_autocommit(db_))
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  sql::Result exec(const std::string& sql, const sql::Params& params) override {
    sqlite3_stmt* stmt = prepare(sql);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      const sql::Value& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, index, *d);
      } else {
        const auto& s = std::get<std::string>(v);
        // SQLITE_STATIC: `params` outlives every step of this call, and the next exec on this statement
        // rebinds everything before stepping, so SQLite need not copy the text.
        rc = sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) fail(rc);
    }
    sql::Result result;
    const int columns = sqlite3_column_count(stmt);
    while (true) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        sqlite3_reset(stmt);
        fail(rc);
      }
      sql::Row row;
      row.cells.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.cells.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.cells.emplace_back(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      result.rows.push_back(std::move(row));
    }
    result.affected = sqlite3_stmt_readonly(stmt) ? 0 : sqlite3_changes64(db_);
    sqlite3_reset(stmt);
    return result;
  }

  void exec_script(const std::string& sql) override {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      std::string text = message != nullptr ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      fail(sqlite3_extended_errcode(db_), text);
    }
  }

  bool usable() const override { return db_ != nullptr && !broken_; }

 private:
  sqlite3_stmt* prepare(const std::string& sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    if (statements_.size() >= kStatementCacheLimit) clear_statements();
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc);
    statements_.emplace(sql, stmt);
    return stmt;
  }

  void clear_statements() {
    for (auto& [text, stmt] : statements_) sqlite3_finalize(stmt);
    statements_.clear();
  }

  void close() {
    clear_statements();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  [[noreturn]] void fail(int rc, std::string message = {}) {
    if (message.empty()) message = sqlite3_errmsg(db_);
    const int primary = rc & 0xFF;
    DriverError::Kind kind = DriverError::Kind::Other;
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
      kind = DriverError::Kind::UniqueViolation;
    } else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
      kind = DriverError::Kind::ForeignKeyViolation;
    } else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      kind = DriverError::Kind::Busy;
    } else if (primary == SQLITE_IOERR || primary == SQLITE_CORRUPT || primary == SQLITE_CANTOPEN ||
               primary == SQLITE_NOTADB) {
      broken_ = true;
      kind = DriverError::Kind::ConnectionLost;
    }
    throw DriverError(kind, "sqlite: " + message);
  }

  sqlite3* db_ = nullptr;
  bool broken_ = false;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

class SqliteStore final : public SqlStore {
 public:
  SqliteStore(const std::string& dir, int readers)
      : SqlStore(std::make_unique<SqliteDialect>(), migrations::sqlite_migrations()),
        path_(prepare_dir(dir) + "/catalog.db"),
        writer_([this] { return std::make_unique<SqliteConnection>(path_, true); }, 1,
                std::chrono::seconds(30), "SQLite write"),
        readers_([this] { return std::make_unique<SqliteConnection>(path_, false); }, readers,
                 std::chrono::seconds(30), "SQLite read") {
    auto lease = writer_.acquire();
    migrate(*lease);
  }

  std::string_view backend() const override { return "sqlite"; }

 protected:
  sql::Pool::Lease acquire(bool write) override { return write ? writer_.acquire() : readers_.acquire(); }

 private:
  static std::string prepare_dir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      throw Error(ErrorCode::Unavailable, "cannot create the data directory " + dir + ": " + ec.message());
    return dir;
  }

  const std::string path_;
  sql::Pool writer_;   ///< exactly one connection: every write transaction
  sql::Pool readers_;  ///< read-only transactions
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& dir, int readers) {
  return std::make_unique<SqliteStore>(dir, readers);
}

}  // namespace cairn::catalog
