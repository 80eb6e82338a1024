// One conformance suite for every Store backend: SQLite in a temporary directory, and PostgreSQL at
// CAIRN_TEST_DATABASE_URL (each test in a fresh schema; skipped when the variable is unset).

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"
#include "support/store_backends.h"

namespace cairn::catalog {
namespace {

namespace fs = std::filesystem;

/// Number of NNNN_*.sql files this source tree ships for `dialect`: the schema version a fresh store reaches.
int known_migrations(const std::string& dialect) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(CAIRN_SOURCE_DIR) / "migrations" / dialect)) {
    if (entry.path().extension() == ".sql") ++n;
  }
  return n;
}

Column col(std::string name, std::string type) {
  return Column{std::move(name), std::move(type), "", {}};
}

Table make_table(const std::string& name, std::vector<Column> keys = {}) {
  Table t;
  t.name = name;
  t.description = "a table";
  t.owner = "etl";
  t.table_type = "EXTERNAL_TABLE";
  t.parameters = {{"classification", "parquet"}};
  t.partition_keys = std::move(keys);
  t.storage_descriptor.columns = {col("id", "bigint"), col("payload", "map<string,array<decimal(10,2)>>")};
  t.storage_descriptor.location = "s3://lake/" + name + "/";
  t.storage_descriptor.input_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
  t.storage_descriptor.serde_info.serialization_library =
      "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
  t.storage_descriptor.serde_info.parameters = {{"serialization.format", "1"}};
  return t;
}

Partition make_partition(std::vector<std::string> values) {
  Partition p;
  p.values = std::move(values);
  p.storage_descriptor.columns = {col("id", "bigint")};
  p.storage_descriptor.location = "s3://lake/p/" + std::to_string(p.values.size());
  p.parameters = {{"rows", "10"}};
  return p;
}

using test::code_of;

class StoreConformance : public test::FreshStoreTest {
 protected:
  StoreConformance() : FreshStoreTest("store") {}

  /// A database "lake" with a table "events" partitioned by the given keys.
  Table setup_partitioned(std::vector<Column> keys) {
    store_->create_database(Database{"lake", "", "", {}, 0});
    return store_->create_table("lake", make_table("events", std::move(keys)));
  }

  /// Values of every partition matching `filter`, collected over pages of `limit`.
  std::vector<std::vector<std::string>> list_all(const std::string& filter, int limit = 1000) {
    auto table = store_->get_table("lake", "events");
    std::shared_ptr<const PartitionExpression> expr;
    if (!filter.empty()) expr = PartitionExpression::create(filter, table->partition_keys);
    std::vector<std::vector<std::string>> out;
    PageRequest page{"", limit};
    do {
      auto result = store_->list_partitions("lake", "events", expr.get(), page);
      for (auto& p : result.items) out.push_back(p.values);
      page.token = result.next_token;
    } while (!page.token.empty());
    return out;
  }
};

TEST_P(StoreConformance, BackendAndMigrationsRecorded) {
  EXPECT_EQ(store_->backend(), GetParam());
  const int known = known_migrations(GetParam());
  EXPECT_EQ(store_->schema_version(), known);
  EXPECT_TRUE(store_->ready());
  EXPECT_EQ(raw_scalar("SELECT COUNT(*) FROM schema_migrations"), std::to_string(known));
  EXPECT_EQ(raw_scalar("SELECT name FROM schema_migrations WHERE version = 1"), "init");
  // Reopening applies nothing twice.
  store_ = open();
  EXPECT_EQ(raw_scalar("SELECT COUNT(*) FROM schema_migrations"), std::to_string(known));
}

TEST_P(StoreConformance, RefusesNewerStore) {
  const int known = store_->schema_version();
  store_.reset();
  raw_exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (" + std::to_string(known + 5) +
           ", 'future', 0)");
  std::string message;
  EXPECT_EQ(code_of([&] { open(); }, nullptr, &message), ErrorCode::FailedPrecondition);
  EXPECT_EQ(message, "store schema version " + std::to_string(known + 5) +
                         " is newer than this cairnd (knows up to " + std::to_string(known) +
                         "); upgrade cairnd");
}

TEST_P(StoreConformance, DatabaseCrud) {
  Database db{"Sales", "the sales lake", "s3://lake/sales", {{"owner", "team-a"}}, 0};
  auto created = store_->create_database(db);
  EXPECT_EQ(created.name, "sales");
  EXPECT_GT(created.create_time, 0);

  auto got = store_->get_database("SALES");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "sales");
  EXPECT_EQ(got->description, "the sales lake");
  EXPECT_EQ(got->location_uri, "s3://lake/sales");
  EXPECT_EQ(got->parameters, (Parameters{{"owner", "team-a"}}));
  EXPECT_EQ(got->create_time, created.create_time);

  EXPECT_EQ(code_of([&] {
              store_->create_database(Database{"sALES", "", "", {}, 0});
            }),
            ErrorCode::AlreadyExists);

  auto updated = store_->update_database("sales", Database{"", "new text", "s3://x", {{"k", "v"}}, 0});
  EXPECT_EQ(updated.description, "new text");
  EXPECT_EQ(updated.create_time, created.create_time);
  EXPECT_EQ(store_->get_database("sales")->parameters, (Parameters{{"k", "v"}}));
  EXPECT_EQ(code_of([&] { store_->update_database("nope", Database{}); }), ErrorCode::NotFound);

  store_->delete_database("Sales");
  EXPECT_FALSE(store_->get_database("sales"));
  EXPECT_EQ(code_of([&] { store_->delete_database("sales"); }), ErrorCode::NotFound);
}

TEST_P(StoreConformance, ValidationErrorsNameTheField) {
  std::string field;
  EXPECT_EQ(code_of(
                [&] {
                  store_->create_database(Database{"bad name!", "", "", {}, 0});
                },
                &field),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(field, "name");
  store_->create_database(Database{"db", "", "", {}, 0});
  Table t = make_table("t");
  t.storage_descriptor.columns[1].type = "map<string";
  EXPECT_EQ(code_of([&] { store_->create_table("db", t); }, &field), ErrorCode::InvalidArgument);
  EXPECT_EQ(field, "storage_descriptor.columns[1].type");
  EXPECT_EQ(code_of([&] { store_->get_table("db", ""); }, &field), ErrorCode::InvalidArgument);
  EXPECT_EQ(field, "table_name");
  EXPECT_EQ(code_of(
                [&] {
                  store_->create_principal(Principal{PrincipalKind::User, "no spaces", "", 0});
                },
                &field),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(field, "name");
  EXPECT_EQ(code_of([&] { store_->create_table("missing", make_table("t")); }), ErrorCode::NotFound);
}

TEST_P(StoreConformance, DatabasePagingHasNoGapsOrDuplicates) {
  for (int i = 0; i < 25; ++i)
    store_->create_database(Database{"db" + std::to_string(100 + i), "", "", {}, 0});
  std::vector<std::string> names;
  PageRequest page{"", 7};
  int pages = 0;
  do {
    auto r = store_->list_databases(page);
    EXPECT_LE(r.items.size(), 7u);
    for (auto& d : r.items) names.push_back(d.name);
    page.token = r.next_token;
    ++pages;
  } while (!page.token.empty());
  EXPECT_EQ(pages, 4);
  ASSERT_EQ(names.size(), 25u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 25u);
  // Limits are clamped to 1..1000, bad tokens refused.
  EXPECT_EQ(store_->list_databases(PageRequest{"", 0}).items.size(), 1u);
  EXPECT_EQ(store_->list_databases(PageRequest{"", 5000}).items.size(), 25u);
  std::string field;
  EXPECT_EQ(code_of(
                [&] {
                  store_->list_databases(PageRequest{"%%%", 10});
                },
                &field),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(field, "next_token");
}

TEST_P(StoreConformance, TableCrudAndCaseInsensitiveNames) {
  store_->create_database(Database{"Lake", "", "", {}, 0});
  Table created = store_->create_table("LAKE", make_table("Orders", {col("Day", "date")}));
  EXPECT_EQ(created.name, "orders");
  EXPECT_EQ(created.database_name, "lake");
  EXPECT_EQ(created.version_id, 1);
  EXPECT_GT(created.create_time, 0);

  auto got = store_->get_table("lake", "ORDERS");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->database_name, "lake");
  EXPECT_EQ(got->description, "a table");
  EXPECT_EQ(got->owner, "etl");
  EXPECT_EQ(got->table_type, "EXTERNAL_TABLE");
  EXPECT_EQ(got->parameters, (Parameters{{"classification", "parquet"}}));
  ASSERT_EQ(got->partition_keys.size(), 1u);
  EXPECT_EQ(got->partition_keys[0].name, "day");
  EXPECT_EQ(got->partition_keys[0].type, "date");
  ASSERT_EQ(got->storage_descriptor.columns.size(), 2u);
  EXPECT_EQ(got->storage_descriptor.columns[1].type, "map<string,array<decimal(10,2)>>");
  EXPECT_EQ(got->storage_descriptor.serde_info.parameters, (Parameters{{"serialization.format", "1"}}));
  EXPECT_EQ(got->version_id, 1);
  EXPECT_EQ(got->create_time, created.create_time);

  EXPECT_EQ(code_of([&] { store_->create_table("lake", make_table("ORDERS")); }), ErrorCode::AlreadyExists);
  EXPECT_FALSE(store_->get_table("lake", "missing"));
  EXPECT_FALSE(store_->get_table("nodb", "orders"));

  for (int i = 0; i < 5; ++i) store_->create_table("lake", make_table("t" + std::to_string(i)));
  auto first = store_->list_tables("lake", PageRequest{"", 4});
  ASSERT_EQ(first.items.size(), 4u);
  EXPECT_FALSE(first.next_token.empty());
  auto second = store_->list_tables("lake", PageRequest{first.next_token, 4});
  ASSERT_EQ(second.items.size(), 2u);
  EXPECT_TRUE(second.next_token.empty());
  EXPECT_EQ(second.items.back().name, "t4");
  EXPECT_EQ(code_of([&] { store_->list_tables("nodb", PageRequest{}); }), ErrorCode::NotFound);

  store_->delete_table("lake", "Orders");
  EXPECT_FALSE(store_->get_table("lake", "orders"));
  EXPECT_EQ(code_of([&] { store_->delete_table("lake", "orders"); }), ErrorCode::NotFound);
}

TEST_P(StoreConformance, UpdateTableKeepsVersions) {
  store_->create_database(Database{"lake", "", "", {}, 0});
  Table t = store_->create_table("lake", make_table("orders"));
  t.description = "v2";
  Table v2 = store_->update_table("lake", t, 1);
  EXPECT_EQ(v2.version_id, 2);
  EXPECT_EQ(v2.create_time, t.create_time);
  EXPECT_GE(v2.update_time, v2.create_time);
  t.description = "v3";
  t.storage_descriptor.columns.push_back(col("extra", "string"));
  Table v3 = store_->update_table("lake", t, std::nullopt);
  EXPECT_EQ(v3.version_id, 3);

  auto current = store_->get_table("lake", "orders");
  EXPECT_EQ(current->version_id, 3);
  EXPECT_EQ(current->description, "v3");
  EXPECT_EQ(current->storage_descriptor.columns.size(), 3u);

  auto versions = store_->list_table_versions("lake", "orders", PageRequest{"", 2});
  ASSERT_EQ(versions.items.size(), 2u);
  EXPECT_EQ(versions.items[0].version_id, 3);
  EXPECT_EQ(versions.items[1].version_id, 2);
  auto rest = store_->list_table_versions("lake", "orders", PageRequest{versions.next_token, 2});
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0].version_id, 1);
  EXPECT_EQ(rest.items[0].description, "a table");
  EXPECT_TRUE(rest.next_token.empty());

  auto v1 = store_->get_table_version("lake", "orders", 1);
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->description, "a table");
  EXPECT_EQ(v1->storage_descriptor.columns.size(), 2u);
  EXPECT_EQ(v1->database_name, "lake");
  EXPECT_EQ(store_->get_table_version("lake", "orders", 2)->description, "v2");
  EXPECT_FALSE(store_->get_table_version("lake", "orders", 9));

  Table missing = make_table("nope");
  EXPECT_EQ(code_of([&] { store_->update_table("lake", missing, std::nullopt); }), ErrorCode::NotFound);
}

TEST_P(StoreConformance, VersionConflictChangesNothing) {
  store_->create_database(Database{"lake", "", "", {}, 0});
  Table t = store_->create_table("lake", make_table("orders"));
  t.description = "second";
  store_->update_table("lake", t, 1);
  t.description = "stale write";
  std::string field;
  EXPECT_EQ(code_of([&] { store_->update_table("lake", t, 1); }, &field), ErrorCode::VersionConflict);
  auto current = store_->get_table("lake", "orders");
  EXPECT_EQ(current->version_id, 2);
  EXPECT_EQ(current->description, "second");
  EXPECT_EQ(store_->list_table_versions("lake", "orders", PageRequest{}).items.size(), 2u);
}

TEST_P(StoreConformance, ConcurrentUpdatesWithSameVersionExactlyOneWins) {
  store_->create_database(Database{"lake", "", "", {}, 0});
  store_->create_table("lake", make_table("orders"));
  constexpr int kThreads = 8;
  std::atomic<int> wins{0}, conflicts{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Table t = make_table("orders");
      t.description = "writer " + std::to_string(i);
      try {
        store_->update_table("lake", t, 1);
        ++wins;
      } catch (const Error& e) {
        (e.code() == ErrorCode::VersionConflict ? conflicts : other)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(store_->get_table("lake", "orders")->version_id, 2);
}

TEST_P(StoreConformance, DatabaseDeleteCascades) {
  setup_partitioned({col("day", "string")});
  store_->create_partitions("lake", "events", {make_partition({"a"}), make_partition({"b"})});
  Table t = *store_->get_table("lake", "events");
  store_->update_table("lake", t, std::nullopt);
  store_->delete_database("lake");
  EXPECT_EQ(raw_scalar("SELECT COUNT(*) FROM tables"), "0");
  EXPECT_EQ(raw_scalar("SELECT COUNT(*) FROM table_versions"), "0");
  EXPECT_EQ(raw_scalar("SELECT COUNT(*) FROM partitions"), "0");
  // The names are free again.
  setup_partitioned({col("day", "string")});
  EXPECT_TRUE(list_all("").empty());
}

TEST_P(StoreConformance, PartitionCrudAndBatchErrors) {
  setup_partitioned({col("day", "date"), col("hour", "int")});
  auto errors =
      store_->create_partitions("lake", "events",
                                {make_partition({"2026-11-20", "1"}), make_partition({"2026-11-20", "2"}),
                                 make_partition({"2026-11-20", "x"}), make_partition({"2026-11-20", "1"}),
                                 make_partition({"2026-11-21"})});
  ASSERT_EQ(errors.size(), 3u);
  std::multiset<std::string> codes;
  for (const auto& e : errors) codes.insert(e.error_code);
  EXPECT_EQ(codes, (std::multiset<std::string>{"AlreadyExists", "InvalidArgument", "InvalidArgument"}));
  for (const auto& e : errors) {
    if (e.error_code == "AlreadyExists") {
      EXPECT_EQ(e.values, (std::vector<std::string>{"2026-11-20", "1"}));
    }
    EXPECT_FALSE(e.message.empty());
  }
  // Existing partitions are reported, new ones in the same batch created.
  errors = store_->create_partitions(
      "lake", "events", {make_partition({"2026-11-20", "2"}), make_partition({"2026-11-22", "0"})});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error_code, "AlreadyExists");
  EXPECT_EQ(errors[0].values, (std::vector<std::string>{"2026-11-20", "2"}));

  auto p = store_->get_partition("LAKE", "Events", {"2026-11-20", "1"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->database_name, "lake");
  EXPECT_EQ(p->table_name, "events");
  EXPECT_EQ(p->parameters, (Parameters{{"rows", "10"}}));
  EXPECT_EQ(p->storage_descriptor.columns.size(), 1u);
  EXPECT_GT(p->create_time, 0);
  EXPECT_FALSE(store_->get_partition("lake", "events", {"2026-11-20", "9"}));
  EXPECT_FALSE(store_->get_partition("lake", "nope", {"2026-11-20", "9"}));

  auto batch = store_->batch_get_partitions("lake", "events",
                                            {{"2026-11-20", "1"}, {"2026-11-20", "9"}, {"2026-11-22", "0"}});
  ASSERT_EQ(batch.size(), 2u);

  Partition changed = make_partition({"2026-11-20", "3"});
  changed.parameters = {{"rows", "99"}};
  store_->update_partition("lake", "events", {"2026-11-20", "1"}, changed);
  EXPECT_FALSE(store_->get_partition("lake", "events", {"2026-11-20", "1"}));
  auto moved = store_->get_partition("lake", "events", {"2026-11-20", "3"});
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->parameters, (Parameters{{"rows", "99"}}));
  EXPECT_EQ(moved->create_time, p->create_time);
  EXPECT_GE(moved->last_access_time, p->create_time);
  EXPECT_EQ(code_of([&] {
              store_->update_partition("lake", "events", {"2026-11-20", "7"}, make_partition({}));
            }),
            ErrorCode::NotFound);

  auto update_errors = store_->update_partitions(
      "lake", "events",
      {{{"2026-11-20", "2"}, make_partition({"2026-11-20", "3"})},   // collides with an existing partition
       {{"2026-11-20", "8"}, make_partition({"2026-11-20", "8"})},   // missing
       {{"2026-11-20", "2"}, make_partition({"2026-11-20", "zz"})},  // invalid value
       {{"2026-11-22", "0"}, make_partition({})}});                  // same values, new content
  ASSERT_EQ(update_errors.size(), 3u);
  std::multiset<std::string> update_codes;
  for (const auto& e : update_errors) update_codes.insert(e.error_code);
  EXPECT_EQ(update_codes, (std::multiset<std::string>{"AlreadyExists", "InvalidArgument", "NotFound"}));

  auto delete_errors =
      store_->delete_partitions("lake", "events", {{"2026-11-20", "2"}, {"2026-11-20", "404"}, {"only-one"}});
  ASSERT_EQ(delete_errors.size(), 2u);
  std::multiset<std::string> delete_codes;
  for (const auto& e : delete_errors) delete_codes.insert(e.error_code);
  EXPECT_EQ(delete_codes, (std::multiset<std::string>{"InvalidArgument", "NotFound"}));
  EXPECT_FALSE(store_->get_partition("lake", "events", {"2026-11-20", "2"}));
  EXPECT_EQ(list_all("").size(), 2u);

  EXPECT_EQ(code_of([&] { store_->create_partitions("lake", "missing", {make_partition({"a"})}); }),
            ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] { store_->list_partitions("lake", "missing", nullptr, PageRequest{}); }),
            ErrorCode::NotFound);
}

TEST_P(StoreConformance, PartitionPagingNoDuplicatesNoGapsStableUnderInserts) {
  setup_partitioned({col("n", "int")});
  std::vector<Partition> batch;
  for (int i = 0; i < 250; i += 2) batch.push_back(make_partition({std::to_string(i)}));
  ASSERT_TRUE(store_->create_partitions("lake", "events", batch).empty());

  std::vector<std::vector<std::string>> seen;
  PageRequest page{"", 10};
  int pages = 0;
  do {
    auto r = store_->list_partitions("lake", "events", nullptr, page);
    for (auto& p : r.items) seen.push_back(p.values);
    page.token = r.next_token;
    if (++pages == 3) {
      // Partitions added while paging: the listing still has no duplicates and misses none that existed.
      std::vector<Partition> more;
      for (int i = 1; i < 250; i += 2) more.push_back(make_partition({std::to_string(i)}));
      ASSERT_TRUE(store_->create_partitions("lake", "events", more).empty());
    }
  } while (!page.token.empty());
  std::set<std::vector<std::string>> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size());
  for (int i = 0; i < 250; i += 2) EXPECT_TRUE(unique.contains({std::to_string(i)})) << i;
  EXPECT_EQ(list_all("", 7).size(), 250u);
}

TEST_P(StoreConformance, PartitionFilters) {
  setup_partitioned(
      {col("day", "date"), col("hour", "int"), col("region", "string"), col("score", "double")});
  std::vector<Partition> batch;
  const std::vector<std::string> days = {"2026-11-19", "2026-11-20", "2026-11-21"};
  const std::vector<std::string> regions = {"eu-west", "EU-north", "us-east"};
  for (const auto& d : days) {
    for (int h : {1, 9, 10, 23}) {
      for (const auto& r : regions)
        batch.push_back(make_partition({d, std::to_string(h), r, std::to_string(h) + ".5"}));
    }
  }
  ASSERT_TRUE(store_->create_partitions("lake", "events", batch).empty());
  const std::size_t total = batch.size();  // 36

  auto count = [&](const std::string& f) { return list_all(f).size(); };
  EXPECT_EQ(count("hour = 10"), 9u);
  EXPECT_EQ(count("hour > 9"), 18u);  // typed: 10 and 23, not a text comparison
  EXPECT_EQ(count("hour >= 9"), 27u);
  EXPECT_EQ(count("hour < 10"), 18u);
  EXPECT_EQ(count("hour <= 1"), 9u);
  EXPECT_EQ(count("hour <> 1"), 27u);
  EXPECT_EQ(count("day = '2026-11-20'"), 12u);
  EXPECT_EQ(count("day > '2026-11-19'"), 24u);
  EXPECT_EQ(count("day BETWEEN '2026-11-20' AND '2026-11-21'"), 24u);
  EXPECT_EQ(count("hour NOT BETWEEN 5 AND 15"), 18u);
  EXPECT_EQ(count("region LIKE 'eu%'"), 12u);  // case-sensitive: not EU-north
  EXPECT_EQ(count("region LIKE '%-_ast'"), 12u);
  EXPECT_EQ(count("region NOT LIKE 'eu%'"), 24u);
  EXPECT_EQ(count("region IN ('eu-west', 'us-east')"), 24u);
  EXPECT_EQ(count("hour IN (1, 23)"), 18u);
  EXPECT_EQ(count("hour NOT IN (1, 23)"), 18u);
  EXPECT_EQ(count("score > 9.7"), 18u);
  EXPECT_EQ(count("NOT (hour = 1)"), 27u);
  EXPECT_EQ(count("day = '2026-11-21' AND (hour = 1 OR region = 'us-east')"), 6u);
  EXPECT_EQ(count("region IS NOT NULL"), total);
  EXPECT_EQ(count("region IS NULL"), 0u);

  // Matches the in-memory evaluation, across several pages.
  auto table = store_->get_table("lake", "events");
  for (const std::string f : {"hour > 9 AND region LIKE '%east'", "NOT (day < '2026-11-21') OR hour = 9"}) {
    auto expr = PartitionExpression::create(f, table->partition_keys);
    std::size_t expected = 0;
    for (const auto& p : batch) expected += expr->matches(p.values) ? 1 : 0;
    EXPECT_EQ(list_all(f, 5).size(), expected) << f;
  }
}

TEST_P(StoreConformance, HostileFilterLiteralIsDataNotSql) {
  setup_partitioned({col("name", "string")});
  const std::string hostile = "x'); DROP TABLE partitions; --";
  ASSERT_TRUE(store_->create_partitions("lake", "events", {make_partition({hostile}), make_partition({"y"})})
                  .empty());
  auto stored = store_->get_partition("lake", "events", {hostile});
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->values[0], hostile);
  auto hits = list_all("name = 'x''); DROP TABLE partitions; --'");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0][0], hostile);
  EXPECT_EQ(list_all("name LIKE '%DROP%'").size(), 1u);
  EXPECT_EQ(list_all("").size(), 2u);
}

TEST_P(StoreConformance, Principals) {
  EXPECT_EQ(store_->count_principals(), 0);
  auto alice = store_->create_principal(Principal{PrincipalKind::User, "Alice", "analyst", 0});
  EXPECT_GT(alice.create_time, 0);
  store_->create_principal(Principal{PrincipalKind::User, "bob", "", 0});
  store_->create_principal(Principal{PrincipalKind::Role, "etl", "", 0});
  store_->create_principal(Principal{PrincipalKind::Group, "analysts", "", 0});
  EXPECT_EQ(store_->count_principals(), 4);
  EXPECT_EQ(code_of([&] {
              store_->create_principal(Principal{PrincipalKind::User, "Alice", "", 0});
            }),
            ErrorCode::AlreadyExists);
  // A role may share a user's name.
  store_->create_principal(Principal{PrincipalKind::Role, "bob", "", 0});

  auto got = store_->get_principal(PrincipalKind::User, "Alice");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "Alice");
  EXPECT_EQ(got->description, "analyst");
  EXPECT_FALSE(store_->get_principal(PrincipalKind::Group, "Alice"));

  auto users = store_->list_principals(PrincipalKind::User, PageRequest{"", 1});
  ASSERT_EQ(users.items.size(), 1u);
  auto more = store_->list_principals(PrincipalKind::User, PageRequest{users.next_token, 10});
  ASSERT_EQ(more.items.size(), 1u);
  EXPECT_NE(users.items[0].name, more.items[0].name);

  store_->add_group_member("analysts", "Alice");
  store_->add_group_member("analysts", "Alice");  // idempotent
  store_->add_group_member("analysts", "bob");
  EXPECT_EQ(store_->list_group_members("analysts"), (std::vector<std::string>{"Alice", "bob"}));
  EXPECT_EQ(store_->list_groups_for_user("Alice"), (std::vector<std::string>{"analysts"}));
  EXPECT_EQ(code_of([&] { store_->add_group_member("analysts", "nobody"); }), ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] { store_->add_group_member("nogroup", "bob"); }), ErrorCode::NotFound);
  EXPECT_EQ(code_of([&] { store_->add_group_member("analysts", "etl"); }), ErrorCode::NotFound);  // a role
  store_->remove_group_member("analysts", "bob");
  EXPECT_EQ(code_of([&] { store_->remove_group_member("analysts", "bob"); }), ErrorCode::NotFound);
  EXPECT_TRUE(store_->list_groups_for_user("bob").empty());
}

TEST_P(StoreConformance, AccessKeysAndPrincipalDeleteCascades) {
  store_->create_principal(Principal{PrincipalKind::User, "alice", "", 0});
  store_->create_principal(Principal{PrincipalKind::Role, "etl", "", 0});
  store_->create_principal(Principal{PrincipalKind::Group, "g", "", 0});
  store_->add_group_member("g", "alice");

  store_->create_access_key(AccessKey{"AKIAALICE00000000001", PrincipalKind::User, "alice",
                                      AccessKeyStatus::Active, "sealed-1", 0});
  store_->create_access_key(AccessKey{"AKIAALICE00000000002", PrincipalKind::User, "alice",
                                      AccessKeyStatus::Active, "sealed-2", 0});
  store_->create_access_key(
      AccessKey{"AKIAETL0000000000001", PrincipalKind::Role, "etl", AccessKeyStatus::Active, "sealed-3", 0});
  EXPECT_EQ(code_of([&] {
              store_->create_access_key(AccessKey{"AKIAALICE00000000001", PrincipalKind::User, "alice",
                                                  AccessKeyStatus::Active, "x", 0});
            }),
            ErrorCode::AlreadyExists);
  EXPECT_EQ(code_of([&] {
              store_->create_access_key(AccessKey{"AKIANOBODY0000000001", PrincipalKind::User, "nobody",
                                                  AccessKeyStatus::Active, "x", 0});
            }),
            ErrorCode::NotFound);
  std::string field;
  EXPECT_EQ(code_of(
                [&] {
                  store_->create_access_key(
                      AccessKey{"short", PrincipalKind::User, "alice", AccessKeyStatus::Active, "x", 0});
                },
                &field),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(field, "access_key_id");

  auto key = store_->get_access_key("AKIAALICE00000000001");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->owner_kind, PrincipalKind::User);
  EXPECT_EQ(key->owner_name, "alice");
  EXPECT_EQ(key->sealed_secret, "sealed-1");
  EXPECT_EQ(key->status, AccessKeyStatus::Active);
  EXPECT_GT(key->create_time, 0);
  EXPECT_EQ(store_->list_access_keys(PrincipalKind::User, "alice").size(), 2u);

  store_->set_access_key_status("AKIAALICE00000000001", AccessKeyStatus::Inactive);
  EXPECT_EQ(store_->get_access_key("AKIAALICE00000000001")->status, AccessKeyStatus::Inactive);
  EXPECT_EQ(code_of([&] { store_->set_access_key_status("AKIAMISSING000000000", AccessKeyStatus::Active); }),
            ErrorCode::NotFound);
  store_->delete_access_key("AKIAALICE00000000002");
  EXPECT_FALSE(store_->get_access_key("AKIAALICE00000000002"));
  EXPECT_EQ(code_of([&] { store_->delete_access_key("AKIAALICE00000000002"); }), ErrorCode::NotFound);

  store_->delete_principal(PrincipalKind::User, "alice");
  EXPECT_FALSE(store_->get_access_key("AKIAALICE00000000001"));
  EXPECT_TRUE(store_->list_group_members("g").empty());
  EXPECT_TRUE(store_->get_access_key("AKIAETL0000000000001"));
  EXPECT_EQ(code_of([&] { store_->delete_principal(PrincipalKind::User, "alice"); }), ErrorCode::NotFound);
  EXPECT_EQ(store_->count_principals(), 2);
}

TEST_P(StoreConformance, ReconnectsAfterLostConnections) {
  if (is_sqlite()) GTEST_SKIP() << "connections to an embedded file cannot be lost";
  store_->create_database(Database{"before", "", "", {}, 0});
  EXPECT_GE(backend_.terminate_connections(), 1u);
  // The pool drops the dead connections and the operations succeed on new ones.
  store_->create_database(Database{"after", "", "", {}, 0});
  EXPECT_TRUE(store_->get_database("before"));
  EXPECT_TRUE(store_->get_database("after"));
  EXPECT_TRUE(store_->ready());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, test::store_backends(), test::backend_test_name);

TEST(PostgresStore, UnreachableServerIsUnavailableWithoutPassword) {
  std::string message;
  EXPECT_EQ(code_of([&] { open_store("", "postgresql://cairn:s3cret-pw@127.0.0.1:1/cairn", 2); }, nullptr,
                    &message),
            ErrorCode::Unavailable);
  EXPECT_EQ(message.find("s3cret-pw"), std::string::npos) << message;
  EXPECT_NE(message.find("PostgreSQL"), std::string::npos) << message;
}

TEST(SqliteStore, CreatesDirectoryAndUsesWal) {
  auto dir = fs::temp_directory_path() / ("cairn-store-wal-" + std::to_string(::getpid())) / "nested";
  fs::remove_all(dir.parent_path());
  {
    auto store = open_store(dir.string(), "", 2);
    store->create_database(Database{"db", "", "", {}, 0});
  }
  EXPECT_TRUE(fs::exists(dir / "catalog.db"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "catalog.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  fs::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace cairn::catalog
