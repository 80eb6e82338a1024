// Store::catalog_change_token on every backend: the token that node-local caches of catalog reads are
// validated against. It must change after every database and table write made through the store object, not
// after writes that leave databases and tables alone, and (PostgreSQL) after a write by another node on the
// same database. Negative cases first.

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"
#include "support/store_backends.h"

namespace cairn::catalog {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class CatalogChangeToken : public test::FreshStoreTest {
 protected:
  CatalogChangeToken() : FreshStoreTest("change-token") {}

  /// The token of `store` once it has one (PostgreSQL: once its listener is connected); a test failure if
  /// that takes more than 10 s.
  static std::uint64_t token_of(Store& store) {
    const auto deadline = steady_clock::now() + milliseconds(10000);
    while (steady_clock::now() < deadline) {
      if (auto t = store.catalog_change_token()) return *t;
      std::this_thread::sleep_for(milliseconds(5));
    }
    ADD_FAILURE() << "no catalog change token after 10 s";
    return 0;
  }

  /// The token once it has not changed for 300 ms (PostgreSQL: the store's own announcements of earlier
  /// writes arrive asynchronously, late on a loaded machine); a test failure after 10 s.
  static std::uint64_t settled_token(Store& store) {
    const auto deadline = steady_clock::now() + milliseconds(10000);
    std::uint64_t last = token_of(store);
    auto quiet_since = steady_clock::now();
    while (steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
      const std::uint64_t now = token_of(store);
      if (now != last) {
        last = now;
        quiet_since = steady_clock::now();
      } else if (steady_clock::now() - quiet_since >= milliseconds(300)) {
        return last;
      }
    }
    ADD_FAILURE() << "the catalog change token kept changing for 10 s";
    return last;
  }

  static Table table(const std::string& name) {
    Table t;
    t.name = name;
    t.storage_descriptor.columns = {Column{"id", "bigint", "", {}}};
    t.partition_keys = {Column{"day", "string", "", {}}};
    return t;
  }
};

TEST_P(CatalogChangeToken, ReadsAndFailedLookupsLeaveItUnchanged) {
  store_->create_database(Database{"sales", "", "", {}, 0});
  store_->create_table("sales", table("orders"));
  const std::uint64_t before = settled_token(*store_);
  EXPECT_TRUE(store_->get_table("sales", "orders").has_value());
  EXPECT_FALSE(store_->get_table("sales", "missing").has_value());
  store_->list_tables("sales", {});
  store_->list_databases({});
  EXPECT_EQ(token_of(*store_), before);
}

TEST_P(CatalogChangeToken, PartitionWritesLeaveItUnchanged) {
  store_->create_database(Database{"sales", "", "", {}, 0});
  store_->create_table("sales", table("orders"));
  const std::uint64_t before = settled_token(*store_);
  Partition p;
  p.values = {"2026-01-01"};
  EXPECT_TRUE(store_->create_partitions("sales", "orders", {p}).empty());
  p.values = {"2026-01-02"};
  EXPECT_TRUE(store_->create_partitions("sales", "orders", {p}).empty());
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(token_of(*store_), before);
}

TEST_P(CatalogChangeToken, EveryDatabaseAndTableWriteChangesIt) {
  std::uint64_t last = token_of(*store_);
  auto changed = [&](const char* what) {
    const std::uint64_t now = token_of(*store_);
    EXPECT_NE(now, last) << what;
    last = now;
  };
  store_->create_database(Database{"sales", "", "", {}, 0});
  changed("create database");
  store_->update_database("sales", Database{"sales", "orders and customers", "", {}, 0});
  changed("update database");
  store_->create_table("sales", table("orders"));
  changed("create table");
  Table t = table("orders");
  t.description = "v2";
  store_->update_table("sales", t, std::nullopt);
  changed("update table");
  // A failed write may change it too (a spurious change only costs a refill), but must not fail to.
  EXPECT_EQ(test::code_of([&] { store_->update_table("sales", t, 1); }), ErrorCode::VersionConflict);
  last = token_of(*store_);
  store_->delete_table("sales", "orders");
  changed("delete table");
  store_->delete_database("sales");
  changed("delete database");
}

TEST_P(CatalogChangeToken, AnotherNodesWriteChangesItOnPostgres) {
  if (is_sqlite()) GTEST_SKIP() << "one process owns a SQLite store; other nodes share PostgreSQL only";
  auto other = open();  // a second node on the same database
  const std::uint64_t before = token_of(*store_);
  other->create_database(Database{"sales", "", "", {}, 0});
  const auto start = steady_clock::now();
  while (token_of(*store_) == before && steady_clock::now() - start < milliseconds(5000)) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_NE(token_of(*store_), before) << "another node's write was not announced within 5 s";
  EXPECT_LT(steady_clock::now() - start, milliseconds(5000));
  // And a table update on the other node too.
  other->create_table("sales", table("orders"));
  std::this_thread::sleep_for(milliseconds(100));
  const std::uint64_t mid = token_of(*store_);
  Table t = table("orders");
  t.description = "v2";
  other->update_table("sales", t, std::nullopt);
  const auto start2 = steady_clock::now();
  while (token_of(*store_) == mid && steady_clock::now() - start2 < milliseconds(5000)) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_NE(token_of(*store_), mid);
}

TEST_P(CatalogChangeToken, WritesInAnotherSchemaLeaveItUnchangedOnPostgres) {
  if (is_sqlite()) GTEST_SKIP() << "schemas are PostgreSQL's";
  test::FreshStore elsewhere;  // another deployment in another schema of the same database
  ASSERT_TRUE(elsewhere.create(GetParam(), "change-token-elsewhere"));
  auto other = elsewhere.open();
  const std::uint64_t before = settled_token(*store_);
  other->create_database(Database{"sales", "", "", {}, 0});
  other->create_table("sales", table("orders"));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(token_of(*store_), before);
  other.reset();
  elsewhere.remove();
}

INSTANTIATE_TEST_SUITE_P(Backends, CatalogChangeToken, test::store_backends(), test::backend_test_name);

}  // namespace
}  // namespace cairn::catalog
