// The permission engine at the scale: 10,000 tables x 40 columns, 1,000 users in 50 groups, 100,000
// grants of every kind, 2,000 data cells filters, 20 tag keys. Measures in-process decisions per second
// (table level and full column/row resolution), compiling the snapshot, and updating it after one grant —
// in memory and through a real SQLite store holding the whole policy.
//
//   build/bench/cairn-policy-engine-bench [--benchmark_filter=…]
//   CAIRN_BENCH_STORE=0 skips the store-backed benchmark (its set-up loads 100,000 grants into SQLite).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cairn/authz/policy_engine.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"

namespace {

using namespace cairn;
using catalog::Grant;
using catalog::Permission;
using catalog::ResourceKind;

constexpr int kDatabases = 20;
constexpr int kTables = 10000;
constexpr int kColumns = 40;
constexpr int kUsers = 1000;
constexpr int kGroups = 50;
constexpr int kGrants = 100000;
constexpr int kFilters = 2000;
constexpr int kTagKeys = 20;
constexpr int kTagValues = 5;

std::string db_of(int t) {
  return "db" + std::to_string(t % kDatabases);
}
std::string table_of(int t) {
  return "t" + std::to_string(t);
}
std::string col(int c) {
  return "c" + std::to_string(c);
}
std::string tag_key(int k) {
  return "k" + std::to_string(k);
}
std::string tag_value(int v) {
  return "v" + std::to_string(v);
}

catalog::Table make_table(int t) {
  catalog::Table table;
  table.database_name = db_of(t);
  table.name = table_of(t);
  for (int c = 0; c < kColumns - 1; ++c) {
    table.storage_descriptor.columns.push_back({col(c), c % 3 == 0 ? "bigint" : "string", "", {}});
  }
  table.partition_keys.push_back({"dt", "string", "", {}});
  table.version_id = 1;
  return table;
}

/// The whole scenario, deterministic (seeded).
struct Scenario {
  catalog::PolicyData data;
  std::vector<catalog::Table> tables;
  std::vector<std::string> users;

  Scenario() {
    std::mt19937 rng(20261121);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    for (int t = 0; t < kTables; ++t) tables.push_back(make_table(t));
    for (int u = 0; u < kUsers; ++u) users.push_back("u" + std::to_string(u));
    for (int g = 0; g < kGroups; ++g) data.group_members["g" + std::to_string(g)] = {};
    for (int u = 0; u < kUsers; ++u) {
      data.group_members["g" + std::to_string(u % kGroups)].push_back(users[u]);
      if (u % 3 == 0) data.group_members["g" + std::to_string((u * 7 + 1) % kGroups)].push_back(users[u]);
    }
    for (int k = 0; k < kTagKeys; ++k) {
      catalog::TagKey key{tag_key(k), {}, 0};
      for (int v = 0; v < kTagValues; ++v) key.values.push_back(tag_value(v));
      data.tag_keys.push_back(key);
    }
    for (int d = 0; d < kDatabases; ++d) {
      for (int k = 0; k < 3; ++k) {
        data.tag_assignments.push_back(
            {"db" + std::to_string(d), "", "", tag_key(k), tag_value(pick(kTagValues))});
      }
    }
    for (int t = 0; t < kTables; ++t) {
      if (t % 5 == 0)
        data.tag_assignments.push_back(
            {db_of(t), table_of(t), "", tag_key(pick(3)), tag_value(pick(kTagValues))});
      if (t % 3 == 0) {
        data.tag_assignments.push_back(
            {db_of(t), table_of(t), "", tag_key(3 + pick(kTagKeys - 3)), tag_value(pick(kTagValues))});
      }
      for (int c = 0; c < kColumns - 1; c += 20) {
        if (pick(10) == 0) {
          data.tag_assignments.push_back(
              {db_of(t), table_of(t), col(c), tag_key(pick(3)), tag_value(pick(kTagValues))});
        }
      }
    }
    for (int f = 0; f < kFilters; ++f) {
      catalog::DataCellsFilter filter;
      const int t = pick(kTables);
      filter.database = db_of(t);
      filter.table = table_of(t);
      filter.name = "f" + std::to_string(f);
      if (f % 4 == 0) {
        filter.all_rows = true;
      } else {
        filter.row_filter =
            col(1) + " = 'x" + std::to_string(f % 10) + "' OR " + col(0) + " > " + std::to_string(f);
      }
      if (f % 2 == 0) {
        filter.column_wildcard = true;
        filter.excluded_columns = {col(2)};
      } else {
        filter.columns = {col(0), col(1), col(3), col(4)};
      }
      data.filters.push_back(filter);
    }
    for (int i = 0; i < kGrants; ++i) {
      Grant g;
      g.id = i + 1;
      const int who = pick(1000);  // 78% to users, 21.9% to groups, 0.1% to EVERYONE
      g.principal = who < 780   ? "user:" + users[pick(kUsers)]
                    : who < 999 ? "group:g" + std::to_string(pick(kGroups))
                                : std::string(catalog::kEveryone);
      const int kind = pick(100);
      const int t = pick(kTables);
      if (kind < 40) {
        g.kind = ResourceKind::Table;
        g.database = db_of(t);
        g.table = table_of(t);
        g.permissions = catalog::bit(pick(4) == 0 ? Permission::All : Permission::Select);
        if (pick(10) == 0) g.column_masks[col(5)] = "hash_sha256";
      } else if (kind < 65) {
        g.kind = ResourceKind::TableWithColumns;
        g.database = db_of(t);
        g.table = table_of(t);
        g.permissions = catalog::bit(Permission::Select);
        if (pick(2) == 0) {
          g.column_wildcard = true;
          g.excluded_columns = {col(pick(kColumns - 1))};
        } else {
          g.columns = {col(0), col(pick(kColumns - 1))};
        }
      } else if (kind < 80) {
        const catalog::DataCellsFilter& f = data.filters[static_cast<std::size_t>(pick(kFilters))];
        g.kind = ResourceKind::DataCellsFilter;
        g.database = f.database;
        g.table = f.table;
        g.filter_name = f.name;
        g.permissions = catalog::bit(Permission::Select);
      } else if (kind < 85) {
        g.kind = ResourceKind::TableWildcard;
        g.database = db_of(t);
        g.permissions = catalog::bit(Permission::Describe);
      } else if (kind < 90) {
        g.kind = ResourceKind::Database;
        g.database = db_of(t);
        g.permissions = catalog::bit(Permission::CreateTable);
      } else if (kind < 95) {
        g.kind = ResourceKind::TagPolicy;
        g.tag_resource_type = "TABLE";
        const int k = pick(3);
        g.tag_expression = {{tag_key(k), {tag_value(pick(kTagValues))}},
                            {tag_key(3 + pick(kTagKeys - 3)), {tag_value(pick(kTagValues))}}};
        g.permissions = catalog::bit(Permission::Select);
      } else if (kind < 97) {
        g.kind = ResourceKind::DataLocation;
        g.location = "s3://lake/" + db_of(t);
        g.permissions = catalog::bit(Permission::DataLocationAccess);
      } else {
        g.kind = ResourceKind::Catalog;
        g.permissions = catalog::bit(Permission::CreateDatabase);
      }
      if (pick(20) == 0) g.expires_at = catalog::now_millis() + 3600 * 1000;
      data.grants.push_back(std::move(g));
    }
  }
};

const Scenario& scenario() {
  static const Scenario s;
  return s;
}

std::shared_ptr<const authz::PolicySnapshot> compiled() {
  static const auto snap = authz::PolicySnapshot::compile(scenario().data);
  return snap;
}

/// Pre-drawn (user, table) pairs, with the table's Resource built up front, so the loop measures the engine
/// (which still looks up a different pair every iteration), not the random generator or string copies.
struct Pairs {
  std::vector<authz::Subject> subjects;
  std::vector<int> tables;
  std::vector<authz::Resource> resources;  ///< the resource of tables[i]
  Pairs() {
    std::mt19937 rng(7);
    for (int i = 0; i < 4096; ++i) {
      subjects.push_back({"user:" + scenario().users[rng() % kUsers], false});
      tables.push_back(static_cast<int>(rng() % kTables));
      const auto& table = scenario().tables[static_cast<std::size_t>(tables.back())];
      resources.push_back(authz::Resource{table.database_name, table.name, {}, {}, {}});
    }
  }
};
const Pairs& pairs() {
  static const Pairs p;
  return p;
}

void BM_DecideDescribeTable(benchmark::State& state) {
  auto snap = compiled();
  const Pairs& p = pairs();
  const auto now = catalog::now_millis();
  std::size_t i = 0;
  std::int64_t allowed = 0;
  for (auto _ : state) {
    allowed +=
        snap->decide(p.subjects[i & 4095], authz::Action::DescribeTable, p.resources[i & 4095], now).allowed;
    ++i;
  }
  state.counters["decisions_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["allowed_fraction"] = static_cast<double>(allowed) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_DecideDescribeTable);

/// The boolean path list filtering uses (no reason text, stops at the first deciding grant).
void BM_AllowsDescribeTable(benchmark::State& state) {
  auto snap = compiled();
  const Pairs& p = pairs();
  const auto now = catalog::now_millis();
  std::size_t i = 0;
  std::int64_t allowed = 0;
  for (auto _ : state) {
    allowed += snap->allows(p.subjects[i & 4095], authz::Action::DescribeTable, p.resources[i & 4095], now);
    ++i;
  }
  state.counters["decisions_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["allowed_fraction"] = static_cast<double>(allowed) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_AllowsDescribeTable);

void BM_DecideSelect(benchmark::State& state) {
  auto snap = compiled();
  const Pairs& p = pairs();
  const auto now = catalog::now_millis();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        snap->decide(p.subjects[i & 4095], authz::Action::ListPartitions, p.resources[i & 4095], now));
    ++i;
  }
  state.counters["decisions_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecideSelect);

/// Full column/row/mask resolution of a 40-column table (what GetTable and the engine endpoint use).
void BM_ResolveTable(benchmark::State& state) {
  auto snap = compiled();
  const Pairs& p = pairs();
  const auto now = catalog::now_millis();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& table = scenario().tables[static_cast<std::size_t>(p.tables[i & 4095])];
    benchmark::DoNotOptimize(snap->resolve(p.subjects[i & 4095], table, now));
    ++i;
  }
  state.counters["resolves_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ResolveTable);

/// Compiling the whole policy from scratch (what another node does on NOTIFY).
void BM_CompileFull(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    catalog::PolicyData copy = scenario().data;
    state.ResumeTiming();
    benchmark::DoNotOptimize(authz::PolicySnapshot::compile(std::move(copy)));
  }
  state.SetLabel(std::to_string(kGrants) + " grants");
}
BENCHMARK(BM_CompileFull)->Unit(benchmark::kMillisecond)->Iterations(5);

/// Replacing one principal's grants after a grant or revoke (what the node that made the change does).
void BM_IncrementalGrant(benchmark::State& state) {
  auto snap = compiled();
  std::vector<Grant> grants;
  for (const Grant& g : scenario().data.grants) {
    if (g.principal == "user:u42") grants.push_back(g);
  }
  Grant extra = scenario().data.grants.front();
  extra.id = kGrants + 1;
  extra.principal = "user:u42";
  grants.push_back(extra);
  for (auto _ : state) benchmark::DoNotOptimize(snap->with_principal_grants("user:u42", grants));
  state.SetLabel(std::to_string(grants.size()) + " grants of user:u42");
}
BENCHMARK(BM_IncrementalGrant)->Unit(benchmark::kMicrosecond);

/// The whole policy in a real SQLite store: one grant through the store followed by the engine's update
/// (store write + re-reading that principal's grants + incremental swap), and a full reload.
struct StoreFixture {
  std::string dir;
  std::unique_ptr<catalog::Store> store;
  std::unique_ptr<authz::PolicyEngine> engine;
  StoreFixture() {
    dir = (std::filesystem::temp_directory_path() / ("cairn-policy-bench-" + std::to_string(getpid())))
              .string();
    std::filesystem::remove_all(dir);
    store = catalog::open_store(dir, "");
    const Scenario& s = scenario();
    for (int d = 0; d < kDatabases; ++d) store->create_database({"db" + std::to_string(d), "", "", {}, 0});
    for (const auto& t : s.tables) {
      catalog::Table copy = t;
      copy.database_name.clear();
      store->create_table(t.database_name, copy);
    }
    for (const auto& u : s.users) store->create_principal({catalog::PrincipalKind::User, u, "", 0});
    for (const auto& [g, members] : s.data.group_members) {
      store->create_principal({catalog::PrincipalKind::Group, g, "", 0});
      for (const auto& m : members) store->add_group_member(g, m);
    }
    for (const auto& k : s.data.tag_keys) store->create_tag_key(k);
    for (const auto& a : s.data.tag_assignments)
      store->assign_tags({a.database, a.table, a.column, "", ""}, {{a.key, a.value}});
    for (const auto& f : s.data.filters) store->create_data_cells_filter(f);
    for (const auto& g : s.data.grants) {
      catalog::Grant copy = g;
      copy.id = 0;
      store->grant_permissions(copy);
    }
    engine = std::make_unique<authz::PolicyEngine>(*store);
  }
  ~StoreFixture() {
    engine.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

StoreFixture& store_fixture() {
  static StoreFixture f;
  return f;
}

bool store_enabled() {
  const char* env = std::getenv("CAIRN_BENCH_STORE");
  return env == nullptr || std::string(env) != "0";
}

void BM_StoreGrantThenUpdate(benchmark::State& state) {
  if (!store_enabled()) {
    state.SkipWithError("CAIRN_BENCH_STORE=0");
    return;
  }
  StoreFixture& f = store_fixture();
  int n = 0;
  for (auto _ : state) {
    Grant g;
    g.principal = "user:u7";
    g.kind = ResourceKind::Table;
    g.database = db_of(n);
    g.table = table_of(n);
    g.permissions = catalog::bit(n % 2 == 0 ? Permission::Insert : Permission::Delete);
    ++n;
    f.store->grant_permissions(g);
    f.engine->reload_principal_grants("user:u7");
  }
  state.SetLabel(std::to_string(f.engine->snapshot()->grant_count()) + " grants in the snapshot");
}
BENCHMARK(BM_StoreGrantThenUpdate)->Unit(benchmark::kMillisecond)->Iterations(50);

void BM_StoreFullReload(benchmark::State& state) {
  if (!store_enabled()) {
    state.SkipWithError("CAIRN_BENCH_STORE=0");
    return;
  }
  StoreFixture& f = store_fixture();
  for (auto _ : state) f.engine->reload();
}
BENCHMARK(BM_StoreFullReload)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
