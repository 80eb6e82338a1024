#pragma once

// The two store backends of the tests: the embedded SQLite store and PostgreSQL at CAIRN_TEST_DATABASE_URL.
// Test suites are parameterised by the backend's name ("sqlite", "postgres"); FreshStore gives one test a
// store of its own (a new directory, or a new schema of the test server), FreshDatabase gives one test a
// PostgreSQL database of its own (for a cairnd that owns a whole database). Header-only, GoogleTest-based:
// #include "support/store_backends.h". code_of() checks the cairn::Error a store call throws.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"
#include "support/process.h"

namespace cairn::test {

/// The backends a store test suite runs on, for INSTANTIATE_TEST_SUITE_P.
inline auto store_backends() {
  return ::testing::Values(std::string("sqlite"), std::string("postgres"));
}

/// The backend's name as the test name suffix, for INSTANTIATE_TEST_SUITE_P.
inline std::string backend_test_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

/// The code of the cairn::Error `fn` throws (a test failure, and Internal, when it throws none); `field` and
/// `message` receive its field and message when given.
template <class Fn>
ErrorCode code_of(Fn&& fn, std::string* field = nullptr, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (field != nullptr) *field = e.field();
    if (message != nullptr) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "expected a cairn::Error";
  return ErrorCode::Internal;
}

/// The PostgreSQL URL of the tests (CAIRN_TEST_DATABASE_URL), or "" when it is not set.
inline std::string test_database_url() {
  const char* url = std::getenv("CAIRN_TEST_DATABASE_URL");
  return url != nullptr ? std::string(url) : std::string();
}

/// Why a PostgreSQL test of `what` ("store tests") is skipped when CAIRN_TEST_DATABASE_URL is not set.
inline std::string no_database_url_reason(const std::string& what) {
  return "CAIRN_TEST_DATABASE_URL is not set; run scripts/test.sh (it starts PostgreSQL with scripts/pg.sh) "
         "to "
         "run the PostgreSQL " +
         what;
}

/// `url` pointing at database `name` (URL or key=value conninfo form).
inline std::string with_database(const std::string& url, const std::string& name) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url + " dbname=" + name;
  const auto q = url.find('?', scheme + 3);
  const auto slash = url.find('/', scheme + 3);
  const std::string base = url.substr(0, std::min(slash, q));
  return base + "/" + name + (q == std::string::npos ? std::string() : url.substr(q));
}

/// One test's own store location: a new directory under the system temporary directory (SQLite), or a new
/// schema of the CAIRN_TEST_DATABASE_URL server that the store's connections use as search_path and as
/// application_name (PostgreSQL). Removed (directory, or schema with CASCADE) by remove() or on destruction.
class FreshStore {
 public:
  FreshStore() = default;
  ~FreshStore() {
    try {
      remove();
    } catch (...) {
    }
  }
  FreshStore(const FreshStore&) = delete;
  FreshStore& operator=(const FreshStore&) = delete;

  /// Creates the location on `backend` ("sqlite" or "postgres"), named after `kind` ("cairn-<kind>-test-…"
  /// directory, "cairn_<kind>_test_…" schema). Returns false, creating nothing, when `backend` is postgres
  /// and CAIRN_TEST_DATABASE_URL is not set (the caller then skips); throws when PostgreSQL refuses the
  /// schema.
  bool create(const std::string& backend, const std::string& kind) {
    static std::atomic<int> counter{0};
    const std::string unique = std::to_string(::getpid()) + "_" + std::to_string(counter++);
    sqlite_ = backend == "sqlite";
    if (sqlite_) {
      std::string suffix = unique;
      std::replace(suffix.begin(), suffix.end(), '_', '-');
      dir_ = std::filesystem::temp_directory_path() / ("cairn-" + kind + "-test-" + suffix);
      std::filesystem::remove_all(dir_);
      return true;
    }
    base_url_ = test_database_url();
    if (base_url_.empty()) return false;
    schema_ = "cairn_" + kind + "_test_" + unique;
    pqxx::connection c(base_url_);
    pqxx::nontransaction tx(c);
    tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
    tx.exec("CREATE SCHEMA " + tx.quote_name(schema_));
    url_ = base_url_ + (base_url_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema_ + "&application_name=" + schema_;
    return true;
  }

  /// Removes the directory or drops the schema (close the stores on it first). Idempotent.
  void remove() {
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
    if (!schema_.empty()) {
      const std::string schema = std::move(schema_);
      schema_.clear();
      pqxx::connection c(base_url_);
      pqxx::nontransaction tx(c);
      tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema) + " CASCADE");
    }
  }

  bool is_sqlite() const { return sqlite_; }
  /// The SQLite data directory ("" on PostgreSQL).
  const std::filesystem::path& dir() const { return dir_; }
  /// The server URL without the schema options ("" on SQLite).
  const std::string& base_url() const { return base_url_; }
  /// The URL whose connections use the schema ("" on SQLite).
  const std::string& url() const { return url_; }
  /// The schema, also the application_name of the store's connections ("" on SQLite).
  const std::string& schema() const { return schema_; }

  /// Ends every server connection of the stores on this schema (pg_terminate_backend), as a server restart
  /// or a network failure would; returns how many it ended. PostgreSQL only.
  std::size_t terminate_connections() const {
    pqxx::connection c(base_url_);
    pqxx::nontransaction tx(c);
    return tx
        .exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                     schema_)
        .size();
  }

  /// A new store object on this location (each call is another node on the same data).
  std::unique_ptr<catalog::Store> open(int pool_size = 4) const {
    return sqlite_ ? catalog::open_store(dir_.string(), "", pool_size)
                   : catalog::open_store("", url_, pool_size);
  }

  /// Runs `sql` directly on the backend's database, bypassing the store (a test failure when it fails).
  void raw_exec(const std::string& sql) const {
    if (sqlite_) {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open((dir_ / "catalog.db").c_str(), &db), SQLITE_OK);
      sqlite3_busy_timeout(db, 5000);
      char* err = nullptr;
      const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
      std::string message = err != nullptr ? err : "";
      sqlite3_free(err);
      sqlite3_close(db);
      ASSERT_EQ(rc, SQLITE_OK) << message;
    } else {
      pqxx::connection c(url_);
      pqxx::nontransaction tx(c);
      tx.exec(sql);
    }
  }

  /// The first column of the first row of `sql`, as text, read directly from the backend's database.
  std::string raw_scalar(const std::string& sql) const {
    if (sqlite_) {
      sqlite3* db = nullptr;
      EXPECT_EQ(sqlite3_open((dir_ / "catalog.db").c_str(), &db), SQLITE_OK);
      sqlite3_stmt* stmt = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
      std::string out;
      if (sqlite3_step(stmt) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      sqlite3_finalize(stmt);
      sqlite3_close(db);
      return out;
    }
    pqxx::connection c(url_);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].c_str();
  }

 private:
  bool sqlite_ = true;
  std::filesystem::path dir_;
  std::string base_url_;
  std::string url_;
  std::string schema_;
};

/// Base of a test suite parameterised by backend name: every test gets a FreshStore `backend_` named after
/// `kind` and a store `store_` opened on it (the test is skipped on PostgreSQL when CAIRN_TEST_DATABASE_URL
/// is not set, the skip naming `what`).
class FreshStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  /// `kind` names the directory or schema ("store" -> cairn-store-test-…); `what` is the skip's subject.
  explicit FreshStoreTest(std::string kind, std::string what = "store tests")
      : kind_(std::move(kind)), what_(std::move(what)) {}

  void SetUp() override {
    if (!backend_.create(GetParam(), kind_)) GTEST_SKIP() << no_database_url_reason(what_);
    store_ = open();
  }

  void TearDown() override {
    store_.reset();
    backend_.remove();
  }

  bool is_sqlite() const { return backend_.is_sqlite(); }

  /// A new store object on the same backend (a second node).
  std::unique_ptr<catalog::Store> open() { return backend_.open(); }

  /// Runs `sql` directly on the backend's database, bypassing the store.
  void raw_exec(const std::string& sql) { backend_.raw_exec(sql); }

  /// The first column of the first row of `sql`, as text, read directly from the backend's database.
  std::string raw_scalar(const std::string& sql) { return backend_.raw_scalar(sql); }

  FreshStore backend_;
  std::unique_ptr<catalog::Store> store_;

 private:
  std::string kind_;
  std::string what_;
};

/// A PostgreSQL database of one test's own, created on the CAIRN_TEST_DATABASE_URL server and dropped by
/// remove() or on destruction (a failed drop is reported on stderr: a leftover test database is harmless).
class FreshDatabase {
 public:
  FreshDatabase() = default;
  ~FreshDatabase() { remove(); }
  FreshDatabase(const FreshDatabase&) = delete;
  FreshDatabase& operator=(const FreshDatabase&) = delete;

  /// Creates database `prefix`_<unique> on the server of `admin_url`; throws when PostgreSQL refuses.
  void create(const std::string& admin_url, const std::string& prefix) {
    admin_url_ = admin_url;
    name_ = unique_name(prefix);
    pqxx::connection c(admin_url_);
    pqxx::nontransaction tx(c);
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
    url_ = with_database(admin_url_, name_);
  }

  /// Drops the database (stop the servers on it first). Idempotent.
  void remove() {
    if (name_.empty()) return;
    const std::string name = std::move(name_);
    name_.clear();
    try {
      pqxx::connection c(admin_url_);
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name));
    } catch (const std::exception& e) {
      std::cerr << "could not drop test database " << name << ": " << e.what() << "\n";
    }
  }

  /// The database's name ("" before create()).
  const std::string& name() const { return name_; }
  /// The URL of the database ("" before create()).
  const std::string& url() const { return url_; }

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

}  // namespace cairn::test
