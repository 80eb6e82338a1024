// The PostgreSQL store (libpqxx 6.4): a pool of connections, every operation one READ COMMITTED transaction,
// parameterised statements only (exec_params). Table updates lock the table row (SELECT ... FOR UPDATE) so
// that concurrent updates naming the same version serialise and exactly one wins. A broken connection is
// dropped from the pool and the transaction retried on a new one. Migrations run under a session advisory
// lock, so nodes starting together apply them once.

#include <pqxx/pqxx>

#include "cairn/catalog/error.h"
#include "sql_store.h"

namespace cairn::catalog {
namespace {

using sql::DriverError;

constexpr std::int64_t kMigrationLockKey = 0x636169726E6D6967;  // "cairnmig"
constexpr auto kCheckoutTimeout = std::chrono::seconds(10);

/// `url` with any password replaced by "***" (user:password@ and password=... forms).
std::string redact(const std::string& url) {
  std::string out = url;
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto at = out.find('@', start);
    const auto slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (auto pos = out.find("password="); pos != std::string::npos; pos = out.find("password=", pos + 1)) {
    const auto value = pos + 9;
    auto end = out.find_first_of("& ", value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "***");
  }
  return out;
}

/// libpq's message on one line.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

class PostgresDialect final : public sql::Dialect {
 public:
  std::string key_expr(int key_index, KeyValueType type) const override {
    std::string value = "(p.vals->>" + std::to_string(key_index) + ")";
    switch (type) {
      case KeyValueType::Integer:
        return "(" + value + "::bigint)";
      case KeyValueType::Number:
        return "(" + value + "::double precision)";
      default:
        // Bytewise comparison, as in SQLite and PartitionExpression::matches.
        return "(" + value + " COLLATE \"C\")";
    }
  }
  std::string placeholder(int n) const override { return "$" + std::to_string(n); }
  std::string like(const std::string& lhs, const std::string& pattern_placeholder) const override {
    // Glue's LIKE has no escape character; PostgreSQL's LIKE is case-sensitive.
    return "(" + lhs + " LIKE " + pattern_placeholder + " ESCAPE '')";
  }
  std::string for_update() const override { return " FOR UPDATE"; }
  std::string keyset_scan_setup() const override { return "SET enable_sort = off"; }
  std::string keyset_scan_teardown() const override { return "RESET enable_sort"; }
  std::string schema_migrations_ddl() const override {
    return "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
           "applied_at BIGINT NOT NULL)";
  }
};

std::string param_text(const sql::Value& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  return std::get<std::string>(v);
}

class PostgresConnection final : public sql::Connection {
 public:
  explicit PostgresConnection(const std::string& url) : conn_(connect(url)) {}

  ~PostgresConnection() override { rollback(); }

  void begin(bool write) override {
    guard([&] {
      // Reads run without BEGIN/COMMIT: under READ COMMITTED (the isolation level of our transactions) each
      // statement sees its own snapshot anyway, so a read transaction would only add two round trips.
      if (write) {
        tx_ = std::make_unique<pqxx::work>(*conn_);
      } else {
        tx_ = std::make_unique<pqxx::nontransaction>(*conn_);
      }
    });
  }

  void commit() override {
    guard([&] {
      auto tx = std::move(tx_);
      tx->commit();
    });
  }

  void rollback() noexcept override {
    if (!tx_) return;
    try {
      tx_->abort();
    } catch (const std::exception&) {
      broken_ = broken_ || !conn_->is_open();
    }
    tx_.reset();
  }

  sql::Result exec(const std::string& sql, const sql::Params& params) override {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> args(params.size(), nullptr);  // nullptr binds NULL
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (std::holds_alternative<std::monostate>(params[i])) continue;
      texts[i] = param_text(params[i]);
      args[i] = texts[i].c_str();
    }
    pqxx::result r;
    guard([&] {
      if (tx_) {
        r = tx_->exec_params(sql, pqxx::prepare::make_dynamic_params(args));
      } else {
        pqxx::nontransaction tx(*conn_);
        r = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(args));
      }
    });
    sql::Result out;
    out.affected = static_cast<std::int64_t>(r.affected_rows());
    out.rows.reserve(r.size());
    for (const auto& row : r) {
      sql::Row converted;
      converted.cells.reserve(row.size());
      for (const auto& field : row) {
        if (field.is_null()) {
          converted.cells.emplace_back(std::nullopt);
        } else {
          converted.cells.emplace_back(std::string(field.c_str(), field.size()));
        }
      }
      out.rows.push_back(std::move(converted));
    }
    return out;
  }

  void exec_script(const std::string& sql) override {
    guard([&] {
      if (tx_) {
        tx_->exec(sql);
      } else {
        pqxx::nontransaction tx(*conn_);
        tx.exec(sql);
      }
    });
  }

  bool usable() const override { return !broken_ && conn_->is_open(); }

 private:
  static std::unique_ptr<pqxx::connection> connect(const std::string& url) {
    try {
      return std::make_unique<pqxx::connection>(url);
    } catch (const std::exception& e) {
      throw Error(ErrorCode::Unavailable,
                  "cannot connect to PostgreSQL at " + redact(url) + ": " + one_line(redact(e.what())));
    }
  }

  /// Runs `fn`, turning libpqxx exceptions into classified DriverErrors.
  template <class Fn>
  void guard(Fn&& fn) {
    try {
      fn();
    } catch (const pqxx::in_doubt_error& e) {
      broken_ = true;
      throw DriverError(DriverError::Kind::InDoubt, e.what());
    } catch (const pqxx::statement_completion_unknown& e) {
      broken_ = true;
      throw DriverError(DriverError::Kind::InDoubt, e.what());
    } catch (const pqxx::broken_connection& e) {
      broken_ = true;
      throw DriverError(DriverError::Kind::ConnectionLost, one_line(e.what()));
    } catch (const pqxx::unique_violation& e) {
      throw DriverError(DriverError::Kind::UniqueViolation, e.what());
    } catch (const pqxx::foreign_key_violation& e) {
      throw DriverError(DriverError::Kind::ForeignKeyViolation, e.what());
    } catch (const pqxx::transaction_rollback& e) {
      throw DriverError(DriverError::Kind::Busy, e.what());
    } catch (const pqxx::sql_error& e) {
      const std::string& state = e.sqlstate();
      if (state == "55P03" || state == "57014") throw DriverError(DriverError::Kind::Busy, e.what());
      if (state.starts_with("08") || state.starts_with("57P")) {
        broken_ = true;
        throw DriverError(DriverError::Kind::ConnectionLost, one_line(e.what()));
      }
      throw DriverError(DriverError::Kind::Other, one_line(e.what()));
    } catch (const pqxx::failure& e) {
      if (!conn_->is_open()) {
        broken_ = true;
        throw DriverError(DriverError::Kind::ConnectionLost, one_line(e.what()));
      }
      throw DriverError(DriverError::Kind::Other, one_line(e.what()));
    }
  }

  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::transaction_base> tx_;
  bool broken_ = false;
};

class PostgresStore final : public SqlStore {
 public:
  PostgresStore(const std::string& url, int pool_size)
      : SqlStore(std::make_unique<PostgresDialect>(), migrations::postgres_migrations()),
        pool_([url] { return std::make_unique<PostgresConnection>(url); }, pool_size, kCheckoutTimeout,
              "PostgreSQL") {
    auto lease = pool_.acquire();
    const std::string lock = dialect().number("SELECT pg_advisory_lock(?)");
    const std::string unlock = dialect().number("SELECT pg_advisory_unlock(?)");
    try {
      lease->exec(lock, {kMigrationLockKey});
    } catch (const DriverError& e) {
      throw Error(ErrorCode::Unavailable, std::string("cannot take the migration lock: ") + e.what());
    }
    try {
      migrate(*lease);
    } catch (...) {
      try {
        lease->exec(unlock, {kMigrationLockKey});
      } catch (const DriverError&) {
        lease.discard();  // the session's end releases the lock
      }
      throw;
    }
    try {
      lease->exec(unlock, {kMigrationLockKey});
    } catch (const DriverError&) {
      lease.discard();
    }
  }

  std::string_view backend() const override { return "postgres"; }

 protected:
  sql::Pool::Lease acquire(bool /*write*/) override { return pool_.acquire(); }

 private:
  sql::Pool pool_;
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url, int pool_size) {
  return std::make_unique<PostgresStore>(url, pool_size);
}

}  // namespace cairn::catalog
