// The PostgreSQL store (libpqxx 6.4): a pool of connections, every operation one READ COMMITTED transaction,
// parameterised statements only (exec_params). Table updates lock the table row (SELECT ... FOR UPDATE) so
// that concurrent updates naming the same version serialise and exactly one wins. A broken connection is
// dropped from the pool and the transaction retried on a new one. Migrations run under a session advisory
// lock, so nodes starting together apply them once.

#include <pqxx/pqxx>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "cairn/catalog/error.h"
#include "sql_store.h"

namespace cairn::catalog {
namespace {

using sql::DriverError;

constexpr std::int64_t kMigrationLockKey = 0x636169726E6D6967;  // "cairnmig"
constexpr auto kCheckoutTimeout = std::chrono::seconds(10);
/// NOTIFY channel of policy changes; the payload is the new epoch.
constexpr const char* kPolicyChannel = "cairn_policy";
constexpr const char* kCatalogChannel = "cairn_catalog";
/// Pause before the catalog listener reconnects after losing its connection.
constexpr auto kCatalogReconnectDelay = std::chrono::milliseconds(200);
/// Pause before retrying after the LISTEN connection failed.
constexpr auto kListenRetryDelay = std::chrono::milliseconds(50);

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
  std::string notify_policy() const override {
    return std::string("SELECT pg_notify('") + kPolicyChannel + "', ?)";
  }
  std::string notify_catalog() const override {
    // The payload names the schema, so that deployments (and test stores) in other schemas of the same
    // database do not invalidate each other's caches.
    return std::string("SELECT pg_notify('") + kCatalogChannel + "', coalesce(current_schema(), ''))";
  }
  std::string audit_lock() const override { return "SELECT pg_advisory_xact_lock(?)"; }
  std::size_t rows_per_insert() const override { return 100; }
  std::string grant_identity() const override { return "(principal, md5(resource_key))"; }
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

  void begin_snapshot() override {
    guard([&] { tx_ = std::make_unique<pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>>(*conn_); });
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
    return run(sql, params, nullptr);
  }

  sql::Result exec_prepared(const std::string& sql, const sql::Params& params) override {
    auto [it, added] = prepared_.try_emplace(sql);
    if (added) {
      it->second = "cairn_" + std::to_string(prepared_.size());
      // libpqxx 6.4 defines the statement here and prepares it on the server at its first use (again after
      // a reconnection); a connection that breaks is dropped by the pool, and the names with it.
      try {
        guard([&] { conn_->prepare(it->second, sql); });
      } catch (...) {
        prepared_.erase(it);
        throw;
      }
    }
    return run(sql, params, &it->second);
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
  /// Runs `sql` with `params`, as the prepared statement `name` when not null.
  sql::Result run(const std::string& sql, const sql::Params& params, const std::string* name) {
    // Text is passed as it is (a std::string's c_str(); storable text holds no NUL), so only numbers are
    // converted; libpqxx copies each value once more, and libpq into its send buffer.
    std::vector<std::string> numbers(params.size());
    std::vector<const char*> args(params.size(), nullptr);  // nullptr binds NULL
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (std::holds_alternative<std::monostate>(params[i])) continue;
      if (const auto* text = std::get_if<std::string>(&params[i])) {
        args[i] = text->c_str();
        continue;
      }
      numbers[i] = param_text(params[i]);
      args[i] = numbers[i].c_str();
    }
    pqxx::result r;
    guard([&] {
      std::optional<pqxx::nontransaction> single;
      pqxx::transaction_base* tx = tx_ ? tx_.get() : &single.emplace(*conn_);
      r = name != nullptr ? tx->exec_prepared(*name, pqxx::prepare::make_dynamic_params(args))
                          : tx->exec_params(sql, pqxx::prepare::make_dynamic_params(args));
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
  std::unordered_map<std::string, std::string> prepared_;  // statement text -> name, for exec_prepared
};

/// LISTENs on the policy channel (from construction) so that await_notification wakes on a change; the
/// payload is not needed, as waiters re-read the epoch.
class PolicyReceiver final : public pqxx::notification_receiver {
 public:
  explicit PolicyReceiver(pqxx::connection_base& conn) : pqxx::notification_receiver(conn, kPolicyChannel) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override {}
};

/// Calls `on_change` for every notification on the catalog channel about `schema` (LISTEN from
/// construction).
class CatalogReceiver final : public pqxx::notification_receiver {
 public:
  CatalogReceiver(pqxx::connection_base& conn, std::string schema, std::function<void()> on_change)
      : pqxx::notification_receiver(conn, kCatalogChannel),
        schema_(std::move(schema)),
        on_change_(std::move(on_change)) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    if (payload == schema_) on_change_();
  }

 private:
  std::string schema_;
  std::function<void()> on_change_;
};

class PostgresStore final : public SqlStore {
 public:
  PostgresStore(const std::string& url, int pool_size)
      : SqlStore(std::make_unique<PostgresDialect>(), migrations::postgres_migrations()),
        url_(url),
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

  ~PostgresStore() override {
    if (catalog_thread_.joinable()) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto written = ::write(stop_fd_, &one, sizeof one);
      catalog_thread_.join();
    }
    if (stop_fd_ >= 0) ::close(stop_fd_);
    std::lock_guard<std::mutex> lock(wait_mutex_);
    receiver_.reset();
    listen_conn_.reset();
  }

  /// The local change counter while the catalog listener is connected (started by the first call), else
  /// nullopt: other nodes' writes are announced only to a listening connection.
  std::optional<std::uint64_t> catalog_change_token() override {
    std::call_once(catalog_once_, [this] {
      stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
      if (stop_fd_ >= 0) catalog_thread_ = std::thread([this] { catalog_listen_loop(); });
    });
    // Read the counter before the flag: a listener that went down after the flag was read has bumped the
    // counter, so an entry cached under this token is invalid at once.
    const std::uint64_t token = local_catalog_changes();
    if (!catalog_listening_.load(std::memory_order_acquire)) return std::nullopt;
    return token;
  }

  std::string_view backend() const override { return "postgres"; }

  // One waiting thread at a time (the listener) blocks in await_notification on a dedicated LISTEN
  // connection; the others wait on wait_cv_ until it wakes, then re-check the epoch. The LISTEN is in place
  // before the epoch is read, so a change committed after that read always produces a notification.
  std::int64_t wait_policy_change(std::int64_t known_epoch, std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(wait_mutex_);
    while (true) {
      if (listening_) {
        const std::uint64_t generation = wake_generation_;
        lock.unlock();
        const std::int64_t epoch = policy_epoch();
        if (epoch != known_epoch || std::chrono::steady_clock::now() >= deadline) return epoch;
        lock.lock();
        wait_cv_.wait_until(lock, deadline, [&] { return wake_generation_ != generation || !listening_; });
        continue;
      }
      listening_ = true;
      lock.unlock();
      std::optional<std::int64_t> result;
      try {
        result = listen_once(known_epoch, deadline);
      } catch (...) {
        lock.lock();
        finish_listening();
        throw;
      }
      lock.lock();
      finish_listening();
      if (result) return *result;
    }
  }

 protected:
  sql::Pool::Lease acquire(bool /*write*/) override { return pool_.acquire(); }

 private:
  /// The epoch when it differs from `known_epoch` or the deadline has passed; otherwise waits for one
  /// notification (or the deadline) and returns nullopt. Called by the listener only, without wait_mutex_.
  std::optional<std::int64_t> listen_once(std::int64_t known_epoch,
                                          std::chrono::steady_clock::time_point deadline) {
    bool listening = false;
    try {
      if (!listen_conn_ || !listen_conn_->is_open()) {
        receiver_.reset();
        listen_conn_ = std::make_unique<pqxx::connection>(url_);
        receiver_ = std::make_unique<PolicyReceiver>(*listen_conn_);
      }
      listening = true;
    } catch (const std::exception&) {
      receiver_.reset();
      listen_conn_.reset();
    }
    const std::int64_t epoch = policy_epoch();
    const auto now = std::chrono::steady_clock::now();
    if (epoch != known_epoch || now >= deadline) return epoch;
    const auto remaining = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
    if (!listening) {
      std::this_thread::sleep_for(std::min<std::chrono::microseconds>(remaining, kListenRetryDelay));
      return std::nullopt;
    }
    try {
      listen_conn_->await_notification(static_cast<long>(remaining.count() / 1000000),
                                       static_cast<long>(remaining.count() % 1000000));
    } catch (const std::exception&) {
      // The connection broke: reconnect on the next round, after a pause so that an outage is not a busy
      // loop.
      receiver_.reset();
      listen_conn_.reset();
      std::this_thread::sleep_for(std::min<std::chrono::microseconds>(remaining, kListenRetryDelay));
    }
    return std::nullopt;
  }

  /// Keeps a LISTEN cairn_catalog connection open and turns each notification into catalog_changed(), until
  /// stop_fd_ is signalled. While it is not listening, catalog_change_token() is nullopt; every connect and
  /// every loss changes the token, since notifications may have been missed in between.
  void catalog_listen_loop() {
    while (true) {
      try {
        pqxx::connection conn(url_);
        std::string schema;
        {
          pqxx::nontransaction tx(conn);
          schema = tx.exec("SELECT coalesce(current_schema(), '')")[0][0].c_str();
        }
        CatalogReceiver receiver(conn, schema, [this] { catalog_changed(); });
        catalog_changed();
        catalog_listening_.store(true, std::memory_order_release);
        while (true) {
          conn.get_notifs();  // throws broken_connection when the server went away
          if (!conn.is_open()) break;
          pollfd fds[2] = {{conn.sock(), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
          const int ready = ::poll(fds, 2, -1);
          if (ready < 0 && errno != EINTR) break;
          if (fds[1].revents != 0) {
            catalog_listening_.store(false, std::memory_order_release);
            return;
          }
        }
      } catch (const std::exception&) {
        // Not listening (cannot connect, or the connection broke): no caching until reconnected.
      }
      catalog_listening_.store(false, std::memory_order_release);
      catalog_changed();
      pollfd stop{stop_fd_, POLLIN, 0};
      if (::poll(&stop, 1, static_cast<int>(kCatalogReconnectDelay.count())) > 0) return;
    }
  }

  /// Hands the listener role back and wakes the other waiters. Requires wait_mutex_.
  void finish_listening() {
    listening_ = false;
    ++wake_generation_;
    wait_cv_.notify_all();
  }

  const std::string url_;
  sql::Pool pool_;

  std::mutex wait_mutex_;
  std::condition_variable wait_cv_;
  bool listening_ = false;             ///< a thread is the listener; guarded by wait_mutex_
  std::uint64_t wake_generation_ = 0;  ///< incremented whenever the listener returns; guarded by wait_mutex_
  /// The LISTEN connection and its receiver: used by the listener thread only (listening_ hands them over).
  std::unique_ptr<pqxx::connection> listen_conn_;
  std::unique_ptr<PolicyReceiver> receiver_;

  std::once_flag catalog_once_;
  int stop_fd_ = -1;                            ///< eventfd that stops the catalog listener
  std::thread catalog_thread_;                  ///< runs catalog_listen_loop
  std::atomic<bool> catalog_listening_{false};  ///< the catalog listener's LISTEN is in place
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url, int pool_size) {
  return std::make_unique<PostgresStore>(url, pool_size);
}

}  // namespace cairn::catalog
