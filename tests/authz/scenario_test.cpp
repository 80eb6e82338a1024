// The data-driven authorization scenario suite: every file in tests/authz/scenarios/ holds scenarios (a
// policy: principals, groups, databases, tables with rows, tags, filters, locations, grants; and checks:
// what a caller sees of a table, of a database, whether an action is allowed). Each check runs against the
// compiled engine (PolicySnapshot) and against the reference evaluator (reference_evaluator.h); both must
// give the expected answer. Scenarios are named after the rule ids of docs/authorization.md, and every rule
// id of that document must be covered by at least one scenario. The format is described in
// tests/authz/scenarios/README.md.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "authz/reference_evaluator.h"
#include "authz/store_fixture.h"
#include "cairn/api/service.h"
#include "cairn/authz/audit.h"
#include "cairn/authz/policy_engine.h"
#include "cairn/authz/query_authorization.h"
#include "cairn/authz/row_filter.h"
#include "cairn/authz/secret_box.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/policy.h"

namespace cairn::authz_test {
namespace {

namespace fs = std::filesystem;
using catalog::Permission;
using catalog::PermissionSet;
using catalog::ResourceKind;
using nlohmann::json;

/// The instant every snapshot-mode scenario is evaluated at; expiries are relative to it.
constexpr catalog::Timestamp kNow = 1767225600000;  // 2026-01-01T00:00:00Z
/// The catalog id of service-mode scenarios.
const std::string kCatalogId = "000000000000";
using authz_test::TempStore;

fs::path scenario_dir() {
  return fs::path(CAIRN_SOURCE_DIR) / "tests" / "authz" / "scenarios";
}

/// One scenario as read from a file.
struct Scenario {
  std::string name;
  std::string file;
  json spec;
  std::string load_error;  ///< set when the file could not be read; the test then fails with it
};

std::vector<Scenario> load_scenarios() {
  std::vector<Scenario> out;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(scenario_dir(), ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path);
    json doc;
    try {
      doc = json::parse(in, nullptr, true, true);
    } catch (const std::exception& e) {
      out.push_back({path.filename().string(), path.filename().string(), json(), e.what()});
      continue;
    }
    const json& list = doc.is_array() ? doc : doc.at("scenarios");
    const json defaults = doc.is_object() ? doc.value("defaults", json::object()) : json::object();
    for (json s : list) {
      for (auto it = defaults.begin(); it != defaults.end(); ++it) {
        if (!s.contains(it.key())) s[it.key()] = it.value();
      }
      out.push_back({s.value("name", std::string("unnamed")), path.filename().string(), s, ""});
    }
  }
  if (out.empty()) out.push_back({"none", "", json(), "no scenario files in " + scenario_dir().string()});
  return out;
}

/// Names the scenario in test output (instead of its bytes).
void PrintTo(const Scenario& s, std::ostream* os) {
  *os << s.file << " / " << s.name;
}

const std::vector<Scenario>& all_scenarios() {
  static const std::vector<Scenario> scenarios = load_scenarios();
  return scenarios;
}

// --- parsing helpers -----------------------------------------------------------------------------------

const std::vector<std::pair<Permission, std::string>>& permission_names() {
  static const std::vector<std::pair<Permission, std::string>> names = {
      {Permission::All, "ALL"},
      {Permission::Select, "SELECT"},
      {Permission::Describe, "DESCRIBE"},
      {Permission::Alter, "ALTER"},
      {Permission::Drop, "DROP"},
      {Permission::Insert, "INSERT"},
      {Permission::Delete, "DELETE"},
      {Permission::CreateDatabase, "CREATE_DATABASE"},
      {Permission::CreateTable, "CREATE_TABLE"},
      {Permission::DataLocationAccess, "DATA_LOCATION_ACCESS"},
  };
  return names;
}

PermissionSet parse_permissions(const json& list) {
  PermissionSet out = 0;
  for (const json& item : list) {
    bool found = false;
    for (const auto& [p, name] : permission_names()) {
      if (name == item.get<std::string>()) {
        out |= catalog::bit(p);
        found = true;
      }
    }
    if (!found) throw std::runtime_error("unknown permission " + item.dump());
  }
  return out;
}

std::string permissions_text(PermissionSet set) {
  std::string out = "[";
  for (const auto& [p, name] : permission_names()) {
    if (catalog::has(set, p)) out += (out.size() > 1 ? "," : "") + name;
  }
  return out + "]";
}

/// "db.t" -> {db, t}; "db.t.f" with parts = 3 -> {db, t, f} (the last part keeps any further dots).
std::vector<std::string> split_name(const std::string& text, int parts) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (int i = 0; i + 1 < parts; ++i) {
    const auto dot = text.find('.', start);
    if (dot == std::string::npos)
      throw std::runtime_error("expected " + std::to_string(parts) + " dotted parts: " + text);
    out.push_back(text.substr(start, dot - start));
    start = dot + 1;
  }
  out.push_back(text.substr(start));
  return out;
}

std::vector<std::string> sorted_strings(const json& list) {
  std::vector<std::string> out;
  for (const json& v : list) out.push_back(v.get<std::string>());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::map<std::string, std::string> string_map(const json& obj) {
  std::map<std::string, std::string> out;
  for (auto it = obj.begin(); it != obj.end(); ++it) out[it.key()] = it.value().get<std::string>();
  return out;
}

std::optional<std::string> cell_value(const json& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

std::string value_text(const std::optional<std::string>& v) {
  return v ? "\"" + *v + "\"" : "NULL";
}

std::string row_text(const std::map<std::string, std::optional<std::string>>& row) {
  std::string out = "{";
  for (const auto& [k, v] : row) out += (out.size() > 1 ? ", " : "") + k + ": " + value_text(v);
  return out + "}";
}

std::vector<catalog::Column> parse_columns(const json& list) {
  std::vector<catalog::Column> out;
  for (const json& c : list)
    out.push_back(catalog::Column{c.at(0).get<std::string>(), c.at(1).get<std::string>(), "", {}});
  return out;
}

// --- building the policy -------------------------------------------------------------------------------

/// A table of the scenario with its inline rows.
struct ScenarioTable {
  catalog::Table table;
  std::vector<reference::Row> rows;
  std::vector<std::vector<std::string>> partitions;  ///< partition values (service mode creates them)
};

struct World {
  catalog::PolicyData data;
  std::map<std::string, ScenarioTable> tables;  ///< "db.t" -> table
  std::vector<std::string> databases;
};

/// A table of a scenario (its explicit tags are appended to `tags`).
ScenarioTable parse_table(const json& t, std::vector<catalog::TagAssignment>& tags) {
  const auto parts = split_name(t.at("name").get<std::string>(), 2);
  ScenarioTable st;
  st.table.database_name = parts[0];
  st.table.name = parts[1];
  st.table.table_type = "EXTERNAL_TABLE";
  st.table.storage_descriptor.columns = parse_columns(t.at("columns"));
  st.table.partition_keys = parse_columns(t.value("partition_keys", json::array()));
  st.table.storage_descriptor.location = t.value("location", "");
  st.table.version_id = 1;
  for (const auto& [k, v] : string_map(t.value("tags", json::object()))) {
    tags.push_back(catalog::TagAssignment{parts[0], parts[1], "", k, v});
  }
  const json column_tags = t.value("column_tags", json::object());
  for (auto it = column_tags.begin(); it != column_tags.end(); ++it) {
    for (const auto& [k, v] : string_map(it.value())) {
      tags.push_back(catalog::TagAssignment{parts[0], parts[1], it.key(), k, v});
    }
  }
  for (const json& r : t.value("rows", json::array())) {
    reference::Row row;
    for (auto it = r.begin(); it != r.end(); ++it) row[it.key()] = cell_value(it.value());
    st.rows.push_back(std::move(row));
  }
  for (const json& p : t.value("partitions", json::array()))
    st.partitions.push_back(p.get<std::vector<std::string>>());
  return st;
}

catalog::DataCellsFilter parse_filter(const json& f) {
  catalog::DataCellsFilter filter;
  const auto parts = split_name(f.at("table").get<std::string>(), 2);
  filter.database = parts[0];
  filter.table = parts[1];
  filter.name = f.at("name").get<std::string>();
  if (f.contains("row_filter") && !f["row_filter"].is_null()) {
    filter.row_filter = f["row_filter"].get<std::string>();
  } else {
    filter.all_rows = true;
  }
  if (f.contains("columns")) {
    filter.columns = sorted_strings(f["columns"]);
  } else {
    filter.column_wildcard = true;
    filter.excluded_columns = sorted_strings(f.value("exclude", json::array()));
  }
  if (f.contains("masks")) filter.column_masks = string_map(f["masks"]);
  filter.version_id = 1;
  return filter;
}

catalog::Grant parse_grant(const json& g, std::int64_t id, catalog::Timestamp now) {
  catalog::Grant out;
  out.id = g.value("id", id);
  out.principal = g.at("principal").get<std::string>();
  const json& on = g.at("on");
  if (on.contains("catalog")) {
    out.kind = ResourceKind::Catalog;
  } else if (on.contains("database")) {
    out.kind = ResourceKind::Database;
    out.database = on.at("database").get<std::string>();
  } else if (on.contains("all_tables")) {
    out.kind = ResourceKind::TableWildcard;
    out.database = on.at("all_tables").get<std::string>();
  } else if (on.contains("table")) {
    const auto parts = split_name(on.at("table").get<std::string>(), 2);
    out.database = parts[0];
    out.table = parts[1];
    out.kind = ResourceKind::Table;
    if (on.contains("columns")) {
      out.kind = ResourceKind::TableWithColumns;
      out.columns = sorted_strings(on.at("columns"));
    } else if (on.contains("exclude")) {
      out.kind = ResourceKind::TableWithColumns;
      out.column_wildcard = true;
      out.excluded_columns = sorted_strings(on.at("exclude"));
    }
  } else if (on.contains("location")) {
    out.kind = ResourceKind::DataLocation;
    out.location = on.at("location").get<std::string>();
  } else if (on.contains("filter")) {
    const auto parts = split_name(on.at("filter").get<std::string>(), 3);
    out.kind = ResourceKind::DataCellsFilter;
    out.database = parts[0];
    out.table = parts[1];
    out.filter_name = parts[2];
  } else if (on.contains("tag_policy")) {
    out.kind = ResourceKind::TagPolicy;
    out.tag_resource_type = on.at("tag_policy").get<std::string>();
    const json& expr = on.at("expression");
    for (auto it = expr.begin(); it != expr.end(); ++it) {
      out.tag_expression.push_back(catalog::TagCondition{it.key(), sorted_strings(it.value())});
    }
  } else {
    throw std::runtime_error("grant resource not understood: " + on.dump());
  }
  out.permissions = parse_permissions(g.at("permissions"));
  out.grantable = parse_permissions(g.value("grantable", json::array()));
  if (g.contains("masks")) out.column_masks = string_map(g.at("masks"));
  if (g.contains("expires_in_ms")) out.expires_at = now + g.at("expires_in_ms").get<std::int64_t>();
  out.granted_by = "user:admin";
  return out;
}

World build_world(const json& s, catalog::Timestamp now) {
  World w;
  if (s.contains("groups")) {
    for (auto it = s["groups"].begin(); it != s["groups"].end(); ++it) {
      w.data.group_members[it.key()] = it.value().get<std::vector<std::string>>();
    }
  }
  if (s.contains("tag_keys")) {
    for (auto it = s["tag_keys"].begin(); it != s["tag_keys"].end(); ++it) {
      w.data.tag_keys.push_back(catalog::TagKey{it.key(), sorted_strings(it.value()), 0});
    }
  }
  for (const json& db : s.value("databases", json::array())) {
    const std::string name = db.at("name").get<std::string>();
    w.databases.push_back(name);
    for (const auto& [k, v] : string_map(db.value("tags", json::object()))) {
      w.data.tag_assignments.push_back(catalog::TagAssignment{name, "", "", k, v});
    }
  }
  for (const json& t : s.value("tables", json::array())) {
    w.tables[t.at("name").get<std::string>()] = parse_table(t, w.data.tag_assignments);
  }
  for (const json& f : s.value("filters", json::array())) w.data.filters.push_back(parse_filter(f));
  for (const json& l : s.value("locations", json::array())) {
    w.data.locations.push_back(catalog::DataLocation{l.get<std::string>(), "", "user:admin", 0});
  }
  std::int64_t id = 1;
  for (const json& g : s.value("grants", json::array())) w.data.grants.push_back(parse_grant(g, id++, now));
  w.data.epoch = 1;
  return w;
}

// --- checks --------------------------------------------------------------------------------------------

/// Collects failures of one scenario, each naming the check and who got it wrong.
struct Report {
  std::vector<std::string> failures;
  void fail(const std::string& where, const std::string& what) { failures.push_back(where + ": " + what); }
};

reference::Subject subject_for(const json& check, const json& scenario) {
  reference::Subject s;
  s.principal = check.at("as").get<std::string>();
  std::set<std::string> admins{"user:admin"};
  for (const json& a : scenario.value("admins", json::array())) admins.insert(a.get<std::string>());
  s.is_admin = admins.count(s.principal) != 0;
  return s;
}

authz::Subject engine_subject(const reference::Subject& s) {
  authz::Subject out;
  out.principal = s.principal;
  out.is_admin = s.is_admin;
  return out;
}

authz::Resource table_resource(const std::string& database, const std::string& table) {
  authz::Resource r;
  r.database = database;
  r.table = table;
  return r;
}

PermissionSet normalise_table_set(PermissionSet set) {
  return reference::expand(set, ResourceKind::Table);
}
PermissionSet normalise_database_set(PermissionSet set) {
  return reference::expand(set, ResourceKind::Database);
}

/// Canonical text of a row filter parsed against `t`, or the text itself when it does not parse.
std::string canonical(const std::string& text, const catalog::Table& t) {
  try {
    return authz::RowFilter::parse(text, reference::Evaluator::all_columns(t))->canonical_text();
  } catch (const std::exception&) {
    return text;
  }
}

std::string rule_outcome(const authz::ColumnRule& rule) {
  return rule.mask ? "mask:" + authz::mask_spec(*rule.mask) : "raw";
}

std::string list_text(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& i : items) out += (out.size() > 1 ? ", " : "") + i;
  return out + "]";
}

bool contains_all(const std::vector<std::string>& have, const json& want, std::string& missing) {
  for (const json& w : want) {
    const std::string id = w.get<std::string>();
    if (std::find(have.begin(), have.end(), id) == have.end()) {
      missing = id;
      return false;
    }
  }
  return true;
}

class Runner {
 public:
  Runner(const json& scenario, Report& report) : scenario_(scenario), report_(report) {}

  void run() {
    const std::string mode = scenario_.value("mode", "snapshot");
    if (mode == "service") {
      run_service();
    } else if (mode == "snapshot") {
      run_snapshot();
    } else {
      report_.fail("setup", "mode must be snapshot or service");
    }
  }

 private:
  void run_snapshot() {
    now_ = kNow;
    world_ = build_world(scenario_, now_);
    std::vector<catalog::Table> tables;
    for (const auto& [name, st] : world_.tables) tables.push_back(st.table);
    ref_ = std::make_unique<reference::Evaluator>(world_.data, now_, tables);
    snapshot_ = authz::PolicySnapshot::compile(world_.data);
    int index = 0;
    for (const json& check : scenario_.at("checks"))
      evaluate("check " + std::to_string(index++) + " " + check.dump(), check);
  }

  /// Runs one check of the snapshot kinds against snapshot_ and ref_.
  void evaluate(const std::string& where, const json& check) {
    try {
      if (check.contains("table")) {
        table_check(where, check);
      } else if (check.contains("database")) {
        database_check(where, check);
      } else if (check.contains("action")) {
        action_check(where, check);
      } else if (check.contains("effective_tags")) {
        tags_check(where, check);
      } else {
        report_.fail(where, "check kind not understood");
      }
    } catch (const std::exception& e) {
      report_.fail(where, std::string("threw: ") + e.what());
    }
  }

  // --- service mode: the policy is built through the CatalogService on a real store, then steps run ---

  static authz::PrincipalRef principal_ref(const std::string& id) {
    authz::PrincipalRef ref;
    const auto colon = id.find(':');
    const std::string kind = id.substr(0, colon);
    ref.name = id.substr(colon + 1);
    ref.kind = kind == "role"    ? catalog::PrincipalKind::Role
               : kind == "group" ? catalog::PrincipalKind::Group
                                 : catalog::PrincipalKind::User;
    return ref;
  }

  authz::Caller caller_for(const std::string& id) {
    authz::Caller c;
    c.principal = principal_ref(id);
    c.arn = c.principal.arn(kCatalogId);
    if (c.principal.kind == catalog::PrincipalKind::User)
      c.groups = store_->store().list_groups_for_user(c.principal.name);
    c.is_admin = id == "user:admin";
    c.request_id = "scenario";
    return c;
  }

  /// Every principal id the scenario names (grantees, callers, group members), except EVERYONE and admin.
  std::set<std::string> principals_named() {
    std::set<std::string> out;
    for (const auto& [group, members] : world_.data.group_members) {
      out.insert("group:" + group);
      for (const auto& m : members) out.insert("user:" + m);
    }
    for (const auto& g : world_.data.grants) out.insert(g.principal);
    std::function<void(const json&)> walk = [&](const json& j) {
      if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
          if ((it.key() == "as" || it.key() == "principal") && it.value().is_string())
            out.insert(it.value().get<std::string>());
          walk(it.value());
        }
      } else if (j.is_array()) {
        for (const json& x : j) walk(x);
      }
    };
    walk(scenario_.value("steps", json::array()));
    walk(scenario_.value("checks", json::array()));
    for (const json& u : scenario_.value("users", json::array())) out.insert(u.get<std::string>());
    out.erase(std::string(catalog::kEveryone));
    out.erase("user:admin");
    return out;
  }

  void create_table_via_service(const authz::Caller& admin, const ScenarioTable& st,
                                const std::vector<catalog::TagAssignment>& tags) {
    catalog::Table t = st.table;
    const std::string db = t.database_name;
    t.database_name.clear();
    svc_->create_table(admin, db, t);
    for (const auto& a : tags) {
      if (a.database == db && a.table == st.table.name) svc_->assign_tags(admin, a, {{a.key, a.value}});
    }
    if (!st.partitions.empty()) {
      std::vector<catalog::Partition> parts;
      for (const auto& values : st.partitions) {
        catalog::Partition p;
        p.values = values;
        p.storage_descriptor.columns = st.table.storage_descriptor.columns;
        p.storage_descriptor.location =
            st.table.storage_descriptor.location + "/p" + std::to_string(parts.size());
        parts.push_back(std::move(p));
      }
      const auto errors = svc_->create_partitions(admin, db, st.table.name, parts);
      for (const auto& e : errors) {
        if (!e.error_code.empty()) throw std::runtime_error("partition not created: " + e.message);
      }
    }
  }

  void run_service() {
    store_ = std::make_unique<TempStore>();
    catalog::Store& st = store_->store();
    st.create_principal(catalog::Principal{catalog::PrincipalKind::User, "admin", "", 0});
    box_ = std::make_unique<authz::SecretBox>(std::string(32, 'k'));
    engine_ = std::make_unique<authz::PolicyEngine>(st);
    audit_ = std::make_unique<authz::AuditLog>(st);
    svc_ = std::make_unique<api::CatalogService>(st, *engine_, *audit_, *box_, kCatalogId);
    setup_now_ = catalog::now_millis();
    world_ = build_world(scenario_, setup_now_);
    const authz::Caller admin = caller_for("user:admin");
    for (const std::string& id : principals_named()) {
      const authz::PrincipalRef ref = principal_ref(id);
      svc_->create_principal(admin, catalog::Principal{ref.kind, ref.name, "", 0});
    }
    for (const auto& [group, members] : world_.data.group_members) {
      for (const auto& m : members) svc_->add_group_member(admin, group, m);
    }
    for (const auto& k : world_.data.tag_keys) svc_->create_tag_key(admin, k);
    for (const std::string& db : world_.databases) {
      svc_->create_database(admin, catalog::Database{db, "", "", {}, 0});
      for (const auto& a : world_.data.tag_assignments) {
        if (a.database == db && a.table.empty()) svc_->assign_tags(admin, a, {{a.key, a.value}});
      }
    }
    for (const auto& [name, table] : world_.tables)
      create_table_via_service(admin, table, world_.data.tag_assignments);
    for (const auto& f : world_.data.filters) svc_->create_filter(admin, f);
    for (const auto& l : world_.data.locations) svc_->register_location(admin, l);
    for (catalog::Grant g : world_.data.grants) {
      g.id = 0;
      svc_->grant_permissions(admin, g);
    }
    last_epoch_ = st.policy_epoch();
    int index = 0;
    for (const json& step : scenario_.value("steps", json::array())) {
      const std::string where = "step " + std::to_string(index++) + " " + step.dump();
      if (step.contains("check")) {
        refresh();
        evaluate(where, step["check"]);
        continue;
      }
      if (step.contains("on_second_node")) {
        second_node_check(where, step);
        continue;
      }
      service_step(where, step);
    }
  }

  /// Takes the engine's current snapshot (no reload: writes must have applied it, N1) and a reference
  /// built from what the store holds now.
  void refresh() {
    catalog::Store& st = store_->store();
    now_ = catalog::now_millis();
    snapshot_ = engine_->snapshot();
    std::vector<catalog::Table> tables;
    for (auto& [name, table] : world_.tables) {
      auto stored = st.get_table(table.table.database_name, table.table.name);
      if (!stored) continue;
      table.table = *stored;
      tables.push_back(*stored);
    }
    ref_ = std::make_unique<reference::Evaluator>(st.load_policy(), now_, tables);
  }

  /// N1: a second engine on the same store (another node) sees the change through its watcher.
  void second_node_check(const std::string& where, const json& step) {
    authz::PolicyEngine other(store_->store());
    other.start_watching(std::chrono::milliseconds(200));
    const json& check = step["on_second_node"];
    const json& mutation = step.at("after");
    service_step(where + " (first node)", mutation);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(step.value("within_ms", 2000));
    for (;;) {
      Report attempt;
      refresh();
      snapshot_ = other.snapshot();
      Runner probe(scenario_, attempt);
      probe.now_ = now_;
      probe.world_ = world_;
      probe.snapshot_ = snapshot_;
      probe.ref_ = std::make_unique<reference::Evaluator>(*ref_);
      probe.evaluate(where, check);
      if (attempt.failures.empty()) break;
      if (std::chrono::steady_clock::now() > deadline) {
        for (const auto& f : attempt.failures) report_.fail(where, "[second node, after the wait] " + f);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    other.stop_watching();
  }

  void service_step(const std::string& where, const json& step) {
    const authz::Caller caller = caller_for(step.value("as", std::string("user:admin")));
    const std::string op = step.at("do").get<std::string>();
    const json expect = step.value("expect", json());
    const std::string want_error = step.value("expect_error", std::string());
    catalog::Store& st = store_->store();
    try {
      if (op == "grant" || op == "revoke") {
        catalog::Grant g = parse_grant(step.at("grant"), 0, setup_now_);
        g.id = 0;
        if (want_error.empty() || want_error == "AccessDenied") {
          // GR1 in the reference, on what the store holds before this step.
          refresh();
          const json who{{"as", step.value("as", std::string("user:admin"))}};
          const bool allowed = ref_->may_grant(subject_for(who, scenario_), g);
          if (allowed != want_error.empty()) {
            report_.fail(where,
                         std::string("[reference] GR1 ") + (allowed ? "allows" : "denies") + " the " + op);
          }
        }
        if (op == "grant") {
          const catalog::Grant stored = svc_->grant_permissions(caller, g);
          expect_grant(where, stored, expect);
        } else {
          const std::optional<catalog::Grant> left = svc_->revoke_permissions(caller, g);
          if (expect.contains("deleted") && expect["deleted"].get<bool>() != !left.has_value()) {
            report_.fail(where, left ? "grant kept " + permissions_text(left->permissions) : "grant deleted");
          }
          if (left) expect_grant(where, *left, expect);
        }
      } else if (op == "list_grants") {
        catalog::GrantQuery q;
        q.principal = step.value("principal", "");
        const auto page = svc_->list_grants(caller, q, catalog::PageRequest{"", 1000});
        if (expect.contains("count") && static_cast<int>(page.items.size()) != expect["count"].get<int>()) {
          report_.fail(where, std::to_string(page.items.size()) + " grants listed");
        }
        if (expect.contains("grant") && page.items.size() == 1)
          expect_grant(where, page.items.front(), expect["grant"]);
      } else if (op == "create_table") {
        const ScenarioTable table = parse_table(step.at("table"), world_.data.tag_assignments);
        create_table_via_service(caller, table, world_.data.tag_assignments);
        world_.tables[step["table"]["name"].get<std::string>()] = table;
      } else if (op == "replace_columns") {
        // A schema change (e.g. a dropped column) through update_table.
        const auto parts = split_name(step.at("table").get<std::string>(), 2);
        catalog::Table t = svc_->get_table(caller, parts[0], parts[1]);
        t.storage_descriptor.columns = parse_columns(step.at("columns"));
        t.database_name.clear();
        svc_->update_table(caller, parts[0], t, std::nullopt);
      } else if (op == "delete_table") {
        const auto parts = split_name(step.at("table").get<std::string>(), 2);
        svc_->delete_table(caller, parts[0], parts[1]);
      } else if (op == "create_filter") {
        svc_->create_filter(caller, parse_filter(step.at("filter")));
      } else if (op == "delete_filter") {
        const auto parts = split_name(step.at("filter").get<std::string>(), 3);
        svc_->delete_filter(caller, parts[0], parts[1], parts[2]);
      } else if (op == "assign_tags" || op == "unassign_tag") {
        const std::string target = step.at("target").get<std::string>();
        const auto dots = std::count(target.begin(), target.end(), '.');
        auto parts = split_name(target, static_cast<int>(std::min<long>(dots, 2)) + 1);
        parts.resize(3);
        api::TagTarget t{parts[0], parts[1], parts[2], "", ""};
        if (op == "assign_tags") {
          svc_->assign_tags(caller, t, string_map(step.at("tags")));
        } else {
          svc_->unassign_tag(caller, t, step.at("key").get<std::string>());
        }
      } else if (op == "create_tag_key") {
        catalog::TagKey k{step.at("key").get<std::string>(),
                          step.at("values").get<std::vector<std::string>>(), 0};
        const catalog::TagKey stored = svc_->create_tag_key(caller, k);
        if (expect.contains("key") && stored.key != expect["key"].get<std::string>())
          report_.fail(where, "key stored as " + stored.key);
        if (expect.contains("values") && stored.values != sorted_strings(expect["values"])) {
          report_.fail(where, "values stored as " + list_text(stored.values));
        }
      } else if (op == "add_member" || op == "remove_member") {
        if (op == "add_member") {
          svc_->add_group_member(caller, step.at("group").get<std::string>(),
                                 step.at("user").get<std::string>());
        } else {
          svc_->remove_group_member(caller, step.at("group").get<std::string>(),
                                    step.at("user").get<std::string>());
        }
      } else if (op == "get_table") {
        const auto parts = split_name(step.at("table").get<std::string>(), 2);
        const catalog::Table t = svc_->get_table(caller, parts[0], parts[1]);
        expect_table_metadata(where, t, expect);
      } else if (op == "list_tables") {
        const auto page =
            svc_->list_tables(caller, step.at("database").get<std::string>(), catalog::PageRequest{"", 1000});
        std::vector<std::string> names;
        for (const auto& t : page.items) names.push_back(t.name);
        if (expect.contains("tables") && names != expect["tables"].get<std::vector<std::string>>()) {
          report_.fail(where, "tables " + list_text(names));
        }
        if (expect.contains("columns")) {
          for (const auto& t : page.items) {
            if (expect["columns"].contains(t.name))
              expect_table_metadata(where, t, json{{"columns", expect["columns"][t.name]}});
          }
        }
      } else if (op == "list_databases") {
        const auto page = svc_->list_databases(caller, catalog::PageRequest{"", 1000});
        std::vector<std::string> names;
        for (const auto& d : page.items) names.push_back(d.name);
        if (names != expect.at("databases").get<std::vector<std::string>>())
          report_.fail(where, "databases " + list_text(names));
      } else if (op == "get_database") {
        svc_->get_database(caller, step.at("database").get<std::string>());
      } else if (op == "search") {
        const auto hits =
            svc_->search(caller, step.at("text").get<std::string>(), step.value("database", ""), 100);
        json got = json::object();
        for (const auto& h : hits) got[h.database + "." + h.table] = h.matched;
        if (got != expect.at("hits")) report_.fail(where, "search hits " + got.dump());
      } else if (op == "list_partitions") {
        const auto parts = split_name(step.at("table").get<std::string>(), 2);
        const auto page = svc_->list_partitions(caller, parts[0], parts[1], step.value("filter", ""),
                                                catalog::PageRequest{"", 1000});
        std::vector<std::vector<std::string>> values;
        for (const auto& p : page.items) values.push_back(p.values);
        std::sort(values.begin(), values.end());
        auto want = expect.at("partitions").get<std::vector<std::vector<std::string>>>();
        std::sort(want.begin(), want.end());
        if (values != want) report_.fail(where, "partitions " + json(values).dump());
      } else if (op == "resolve") {
        const auto parts = split_name(step.at("table").get<std::string>(), 2);
        const api::ResolvedTable r = svc_->resolve_access(caller, parts[0], parts[1]);
        last_query_authorization_ = r.query_authorization_id;
        if (r.query_authorization_id.empty()) report_.fail(where, "no query authorization id");
        std::vector<std::string> names;
        for (const auto& c : r.access.columns) names.push_back(c.name);
        if (expect.contains("columns") && names != expect["columns"].get<std::vector<std::string>>()) {
          report_.fail(where, "resolved columns " + list_text(names));
        }
        if (expect.contains("row_filter")) {
          const std::string want = expect["row_filter"].is_null()
                                       ? ""
                                       : canonical(expect["row_filter"].get<std::string>(), r.table);
          if (r.access.row_filter != want)
            report_.fail(where, "resolved row filter \"" + r.access.row_filter + "\"");
        }
      } else if (op == "check_query_authorization") {
        const authz::QueryAuthorization qa =
            svc_->check_query_authorization(caller, last_query_authorization_);
        if (expect.contains("principal") && qa.principal != expect["principal"].get<std::string>()) {
          report_.fail(where, "query authorization names " + qa.principal);
        }
      } else if (op == "epoch") {
        const std::int64_t epoch = st.policy_epoch();
        const bool advanced = epoch > last_epoch_;
        if (expect.contains("advanced") && advanced != expect["advanced"].get<bool>()) {
          report_.fail(where, "policy epoch " + std::to_string(last_epoch_) + " -> " + std::to_string(epoch));
        }
        last_epoch_ = epoch;
      } else {
        report_.fail(where, "unknown operation " + op);
        return;
      }
      if (!want_error.empty()) report_.fail(where, "succeeded, expected " + want_error);
    } catch (const Error& e) {
      const std::string got(error_code_name(e.code()));
      if (got != want_error) report_.fail(where, "failed with " + got + ": " + e.what());
    } catch (const std::exception& e) {
      report_.fail(where, std::string("threw: ") + e.what());
    }
  }

  void expect_grant(const std::string& where, const catalog::Grant& g, const json& expect) {
    if (!expect.is_object()) return;
    if (expect.contains("permissions") && g.permissions != parse_permissions(expect["permissions"])) {
      report_.fail(where, "grant permissions " + permissions_text(g.permissions));
    }
    if (expect.contains("grantable") && g.grantable != parse_permissions(expect["grantable"])) {
      report_.fail(where, "grant grantable " + permissions_text(g.grantable));
    }
    if (expect.contains("expires_in_ms")) {
      const json& e = expect["expires_in_ms"];
      const std::optional<catalog::Timestamp> want =
          e.is_null() ? std::nullopt : std::optional<catalog::Timestamp>(setup_now_ + e.get<std::int64_t>());
      if (g.expires_at != want) {
        report_.fail(where, "grant expires " +
                                (g.expires_at ? std::to_string(*g.expires_at - setup_now_) + " ms after setup"
                                              : std::string("never")));
      }
    }
  }

  /// V1: the columns (in order) of table metadata and the masks noted in their parameters.
  void expect_table_metadata(const std::string& where, const catalog::Table& t, const json& expect) {
    std::vector<std::string> names;
    std::map<std::string, std::string> masks;
    for (const auto& c : reference::Evaluator::all_columns(t)) {
      names.push_back(c.name);
      for (const auto& [k, v] : c.parameters) {
        if (k.find("mask") != std::string::npos) masks[c.name] = v;
      }
    }
    if (expect.contains("columns") && names != expect["columns"].get<std::vector<std::string>>()) {
      report_.fail(where, "metadata columns " + list_text(names));
    }
    if (expect.contains("masks") && masks != string_map(expect["masks"])) {
      std::string text;
      for (const auto& [k, v] : masks) text += k + "=" + v + " ";
      report_.fail(where, "metadata masks " + text);
    }
  }

  const catalog::Table& table_of(const std::string& name) {
    auto it = world_.tables.find(name);
    if (it == world_.tables.end()) throw std::runtime_error("no table " + name + " in the scenario");
    return it->second.table;
  }

  void expect_perms(const std::string& where, const std::string& who, const char* what, PermissionSet got,
                    const json& want) {
    const PermissionSet expected = parse_permissions(want);
    if (got != expected) {
      report_.fail(where, "[" + who + "] " + what + " " + permissions_text(got) + ", expected " +
                              permissions_text(expected));
    }
  }

  void table_check(const std::string& where, const json& check) {
    const reference::Subject subject = subject_for(check, scenario_);
    const authz::Subject es = engine_subject(subject);
    const std::string name = check.at("table").get<std::string>();
    const ScenarioTable& st = world_.tables.at(name);
    const catalog::Table& t = st.table;
    const json& expect = check.at("expect");

    const authz::TableAccess access = snapshot_->resolve(es, t, now_);
    const authz::Held whole = snapshot_->on_table(es, t.database_name, t.name, now_);
    const bool engine_visible =
        snapshot_->decide(es, authz::Action::DescribeTable, table_resource(t.database_name, t.name), now_)
            .allowed;

    if (expect.contains("visible")) {
      const bool want = expect["visible"].get<bool>();
      if (engine_visible != want)
        report_.fail(where, "[engine] DescribeTable " + std::string(engine_visible ? "allowed" : "denied"));
      if (ref_->table_visible(subject, t) != want) report_.fail(where, "[reference] visible is wrong");
      const bool described = catalog::has(normalise_table_set(whole.permissions), Permission::Describe);
      if (described != want)
        report_.fail(where, "[engine] on_table DESCRIBE is " + std::string(described ? "held" : "not held"));
    }
    if (expect.contains("permissions")) {
      expect_perms(where, "engine", "resolve().permissions", normalise_table_set(access.permissions),
                   expect["permissions"]);
      expect_perms(where, "reference", "permissions", ref_->table_held(subject, t).first,
                   expect["permissions"]);
    }
    if (expect.contains("grantable")) {
      expect_perms(where, "engine", "resolve().grantable", normalise_table_set(access.grantable),
                   expect["grantable"]);
      expect_perms(where, "reference", "grantable", ref_->table_held(subject, t).second, expect["grantable"]);
    }
    if (expect.contains("permissions")) {
      expect_perms(where, "engine", "on_table().permissions", normalise_table_set(whole.permissions),
                   expect["permissions"]);
    }
    if (expect.contains("table_permissions")) {
      expect_perms(where, "engine", "on_table().whole_table", normalise_table_set(whole.whole_table),
                   expect["table_permissions"]);
      expect_perms(where, "reference", "whole-table permissions",
                   ref_->whole_table_explicit(subject, t).first, expect["table_permissions"]);
    }
    if (expect.contains("table_grantable")) {
      expect_perms(where, "engine", "on_table().grantable", normalise_table_set(whole.grantable),
                   expect["table_grantable"]);
      expect_perms(where, "reference", "whole-table grantable", ref_->whole_table_explicit(subject, t).second,
                   expect["table_grantable"]);
    }
    if (expect.contains("columns")) {
      std::map<std::string, std::vector<std::string>> got;
      for (const auto& c : access.columns) {
        for (const auto& r : c.rules) got[c.name].push_back(rule_outcome(r));
      }
      std::map<std::string, std::vector<std::string>> want;
      for (auto it = expect["columns"].begin(); it != expect["columns"].end(); ++it) {
        if (it.value().is_array()) {
          want[it.key()] = it.value().get<std::vector<std::string>>();
        } else {
          want[it.key()] = {it.value().get<std::string>()};
        }
      }
      for (const auto& [col, outcomes] : want) {
        auto g = got.find(col);
        if (g == got.end()) {
          report_.fail(where, "[engine] column " + col + " is not authorized");
        } else if (outcomes.size() == 1 && expect["columns"][col].is_string()) {
          if (g->second.empty() || g->second.front() != outcomes.front()) {
            report_.fail(where, "[engine] column " + col + " rules " + list_text(g->second) +
                                    ", expected first " + outcomes.front());
          }
        } else if (g->second != outcomes) {
          report_.fail(where, "[engine] column " + col + " rules " + list_text(g->second) + ", expected " +
                                  list_text(outcomes));
        }
      }
      for (const auto& [col, outcomes] : got) {
        if (want.count(col) == 0)
          report_.fail(where, "[engine] column " + col + " is authorized but should not be");
      }
      std::set<std::string> want_names;
      for (const auto& [col, o] : want) want_names.insert(col);
      const std::set<std::string> ref_names = ref_->visible_columns(subject, t);
      if (ref_names != want_names) {
        report_.fail(where, "[reference] columns " + list_text({ref_names.begin(), ref_names.end()}));
      }
    }
    if (expect.contains("row_filter")) {
      const json& want = expect["row_filter"];
      if (want.is_null()) {
        if (!access.all_rows || !access.row_filter.empty()) {
          report_.fail(where, "[engine] row filter \"" + access.row_filter + "\", expected all rows");
        }
      } else {
        std::vector<std::string> want_texts;
        if (want.is_string()) {
          want_texts.push_back(canonical(want.get<std::string>(), t));
        } else {
          for (const json& w : want) want_texts.push_back(canonical(w.get<std::string>(), t));
        }
        std::sort(want_texts.begin(), want_texts.end());
        std::vector<std::string> got_texts;
        for (const auto& f : access.row_filters) got_texts.push_back(f->canonical_text());
        std::sort(got_texts.begin(), got_texts.end());
        if (access.all_rows || got_texts != want_texts) {
          report_.fail(where, "[engine] row filters " + list_text(got_texts) +
                                  (access.all_rows ? " (all_rows)" : "") + ", expected " +
                                  list_text(want_texts));
        }
        if (want.is_string() && access.row_filter != want_texts.front()) {
          report_.fail(where, "[engine] row_filter \"" + access.row_filter + "\", expected \"" +
                                  want_texts.front() + "\"");
        }
      }
    }
    if (expect.contains("partition_filter")) {
      const json& want = expect["partition_filter"];
      const std::string expected = want.is_null() ? "" : want.get<std::string>();
      if (access.partition_filter != expected) {
        report_.fail(where, "[engine] partition_filter \"" + access.partition_filter + "\", expected \"" +
                                expected + "\"");
      }
    }
    if (expect.contains("cell_filters")) {
      for (auto it = expect["cell_filters"].begin(); it != expect["cell_filters"].end(); ++it) {
        const authz::ColumnAccess* col = nullptr;
        for (const auto& c : access.columns) {
          if (c.name == it.key()) col = &c;
        }
        if (col == nullptr) {
          report_.fail(where, "[engine] no column " + it.key() + " for its cell filter");
          continue;
        }
        if (it.value().is_null()) {
          if (!col->cell_filter.empty())
            report_.fail(where, "[engine] column " + it.key() + " has cell filter \"" + col->cell_filter +
                                    "\", expected none");
        } else if (canonical(col->cell_filter, t) != canonical(it.value().get<std::string>(), t)) {
          report_.fail(where, "[engine] column " + it.key() + " cell filter \"" + col->cell_filter +
                                  "\", expected \"" + it.value().get<std::string>() + "\"");
        }
      }
    }
    if (expect.contains("rows")) {
      std::vector<std::map<std::string, std::optional<std::string>>> want;
      for (const json& r : expect["rows"]) {
        std::map<std::string, std::optional<std::string>> row;
        for (auto it = r.begin(); it != r.end(); ++it) row[it.key()] = cell_value(it.value());
        want.push_back(std::move(row));
      }
      std::vector<std::map<std::string, std::optional<std::string>>> got_engine;
      std::vector<std::map<std::string, std::optional<std::string>>> got_ref;
      for (const auto& row : st.rows) {
        const reference::GovernedRow e = reference::apply_access(access, row);
        if (e.returned) got_engine.push_back(e.values);
        const reference::GovernedRow r = ref_->govern(subject, t, row);
        if (r.returned) got_ref.push_back(r.values);
      }
      auto describe = [](const auto& rows) {
        std::string out;
        for (const auto& r : rows) out += "\n      " + row_text(r);
        return out.empty() ? std::string(" (none)") : out;
      };
      if (got_engine != want)
        report_.fail(where, "[engine] rows:" + describe(got_engine) + "\n    expected:" + describe(want));
      if (got_ref != want)
        report_.fail(where, "[reference] rows:" + describe(got_ref) + "\n    expected:" + describe(want));
    }
    if (expect.contains("explain")) explain_check(where, es, t, expect["explain"]);
  }

  void explain_check(const std::string& where, const authz::Subject& es, const catalog::Table& t,
                     const json& want) {
    const authz::Explanation ex = snapshot_->explain(es, t, now_);
    if (want.contains("expired_grants")) {
      for (const json& id : want["expired_grants"]) {
        const std::string g = id.get<std::string>();
        bool found = false;
        for (const auto& e : ex.expired_grants) {
          if (e == g || e == "expired:" + g ||
              (e.size() >= g.size() && e.compare(e.size() - g.size(), g.size(), g) == 0))
            found = true;
        }
        if (!found)
          report_.fail(where,
                       "[engine] explain does not list expired " + g + " in " + list_text(ex.expired_grants));
      }
    }
    if (want.contains("columns")) {
      for (auto it = want["columns"].begin(); it != want["columns"].end(); ++it) {
        const authz::Explanation::ColumnLine* line = nullptr;
        for (const auto& c : ex.columns) {
          if (c.name == it.key()) line = &c;
        }
        if (line == nullptr) {
          report_.fail(where, "[engine] explain has no line for column " + it.key());
          continue;
        }
        const json& w = it.value();
        if (w.contains("allowed") && line->allowed != w["allowed"].get<bool>()) {
          report_.fail(where, "[engine] explain column " + it.key() +
                                  " allowed=" + (line->allowed ? "true" : "false"));
        }
        if (w.contains("mask") && line->mask != w["mask"].get<std::string>()) {
          report_.fail(where, "[engine] explain column " + it.key() + " mask \"" + line->mask + "\"");
        }
        std::string missing;
        if (w.contains("deciding_ids") && !contains_all(line->deciding_ids, w["deciding_ids"], missing)) {
          report_.fail(where, "[engine] explain column " + it.key() + " deciding ids " +
                                  list_text(line->deciding_ids) + " lack " + missing);
        }
        if (w.contains("reason_contains")) {
          for (const json& part : w["reason_contains"]) {
            if (line->reason.find(part.get<std::string>()) == std::string::npos) {
              report_.fail(where, "[engine] explain column " + it.key() + " reason \"" + line->reason +
                                      "\" lacks \"" + part.get<std::string>() + "\"");
            }
          }
        }
      }
    }
    if (want.contains("permissions")) {
      for (auto it = want["permissions"].begin(); it != want["permissions"].end(); ++it) {
        const Permission p = [&] {
          for (const auto& [perm, n] : permission_names()) {
            if (n == it.key()) return perm;
          }
          throw std::runtime_error("unknown permission " + it.key());
        }();
        const authz::Explanation::PermissionLine* line = nullptr;
        for (const auto& l : ex.permissions) {
          if (l.permission == p) line = &l;
        }
        if (line == nullptr) {
          report_.fail(where, "[engine] explain has no line for " + it.key());
          continue;
        }
        const json& w = it.value();
        if (w.contains("allowed") && line->allowed != w["allowed"].get<bool>()) {
          report_.fail(where,
                       "[engine] explain " + it.key() + " allowed=" + (line->allowed ? "true" : "false"));
        }
        std::string missing;
        if (w.contains("deciding_ids") && !contains_all(line->deciding_ids, w["deciding_ids"], missing)) {
          report_.fail(where, "[engine] explain " + it.key() + " deciding ids " +
                                  list_text(line->deciding_ids) + " lack " + missing);
        }
        if (w.contains("missing_nonempty") && line->missing.empty() == w["missing_nonempty"].get<bool>()) {
          report_.fail(where, "[engine] explain " + it.key() + " missing=\"" + line->missing + "\"");
        }
      }
    }
    if (want.contains("is_admin") && ex.is_admin != want["is_admin"].get<bool>()) {
      report_.fail(where, "[engine] explain is_admin wrong");
    }
    if (want.contains("principals_considered")) {
      std::vector<std::string> got = ex.principals_considered;
      std::sort(got.begin(), got.end());
      const std::vector<std::string> expected = sorted_strings(want["principals_considered"]);
      if (got != expected) report_.fail(where, "[engine] explain principals " + list_text(got));
    }
  }

  void database_check(const std::string& where, const json& check) {
    const reference::Subject subject = subject_for(check, scenario_);
    const authz::Subject es = engine_subject(subject);
    const std::string db = check.at("database").get<std::string>();
    const json& expect = check.at("expect");
    if (expect.contains("visible")) {
      const bool want = expect["visible"].get<bool>();
      const bool got =
          snapshot_->decide(es, authz::Action::DescribeDatabase, table_resource(db, ""), now_).allowed;
      if (got != want)
        report_.fail(where, "[engine] DescribeDatabase " + std::string(got ? "allowed" : "denied"));
      if (ref_->database_visible(subject, db) != want)
        report_.fail(where, "[reference] database visibility is wrong");
    }
    const authz::Held held = snapshot_->on_database(es, db, now_);
    const auto ref_held = ref_->database_held(subject, db);
    if (expect.contains("permissions")) {
      expect_perms(where, "engine", "on_database().permissions", normalise_database_set(held.permissions),
                   expect["permissions"]);
      expect_perms(where, "reference", "database permissions", ref_held.first, expect["permissions"]);
    }
    if (expect.contains("grantable")) {
      expect_perms(where, "engine", "on_database().grantable", normalise_database_set(held.grantable),
                   expect["grantable"]);
      expect_perms(where, "reference", "database grantable", ref_held.second, expect["grantable"]);
    }
  }

  static authz::Action parse_action(const std::string& name) {
    for (int i = 0; i < 256; ++i) {
      const auto a = static_cast<authz::Action>(i);
      const std::string known = authz::action_name(a);
      if (known == "Unknown") break;
      if (name == known) return a;
    }
    throw std::runtime_error("unknown action " + name);
  }

  void action_check(const std::string& where, const json& check) {
    const reference::Subject subject = subject_for(check, scenario_);
    const authz::Action action = parse_action(check.at("action").get<std::string>());
    const json r = check.value("resource", json::object());
    authz::Resource res;
    if (r.contains("table")) {
      const auto parts = split_name(r["table"].get<std::string>(), 2);
      res.database = parts[0];
      res.table = parts[1];
    }
    if (r.contains("filter")) {
      const auto parts = split_name(r["filter"].get<std::string>(), 3);
      res.database = parts[0];
      res.table = parts[1];
      res.filter = parts[2];
    }
    res.database = r.value("database", res.database);
    res.principal = r.value("principal", "");
    res.location = r.value("location", "");
    const std::string want = check.at("expect").get<std::string>();
    if (want != "allow" && want != "deny") throw std::runtime_error("expect must be allow or deny");
    const authz::Decision d = snapshot_->decide(engine_subject(subject), action, res, now_);
    if (d.allowed != (want == "allow")) {
      report_.fail(where, "[engine] " + std::string(d.allowed ? "allowed" : "denied") + ": " + d.reason +
                              " " + list_text(d.deciding_ids));
    }
    std::string missing;
    if (check.contains("deciding_ids") && !contains_all(d.deciding_ids, check["deciding_ids"], missing)) {
      report_.fail(where, "[engine] deciding ids " + list_text(d.deciding_ids) + " lack " + missing);
    }
    if (check.contains("reason_contains") &&
        d.reason.find(check["reason_contains"].get<std::string>()) == std::string::npos) {
      report_.fail(where, "[engine] reason \"" + d.reason + "\"");
    }
    const std::optional<bool> ref = ref_->decide(subject, action, res);
    if (ref && *ref != (want == "allow"))
      report_.fail(where, std::string("[reference] ") + (*ref ? "allowed" : "denied"));
    if (check.contains("same_reason_as")) {
      // C4: a denial must not tell an invisible object from a missing one.
      const json& o = check["same_reason_as"];
      authz::Resource other = res;
      if (o.contains("table")) {
        const auto parts = split_name(o["table"].get<std::string>(), 2);
        other.database = parts[0];
        other.table = parts[1];
      }
      if (o.contains("database")) other.database = o["database"].get<std::string>();
      const authz::Decision d2 = snapshot_->decide(engine_subject(subject), action, other, now_);
      auto scrub = [](std::string text, const authz::Resource& x) {
        for (const std::string& name : {x.database + "." + x.table, x.table, x.database}) {
          if (name.empty() || name == ".") continue;
          for (auto pos = text.find(name); pos != std::string::npos; pos = text.find(name))
            text.replace(pos, name.size(), "<name>");
        }
        return text;
      };
      if (d2.allowed != d.allowed || scrub(d2.reason, other) != scrub(d.reason, res) ||
          d2.deciding_ids != d.deciding_ids) {
        report_.fail(where, "[engine] decisions differ: \"" + d.reason + "\" " + list_text(d.deciding_ids) +
                                " vs \"" + d2.reason + "\" " + list_text(d2.deciding_ids));
      }
    }
  }

  void tags_check(const std::string& where, const json& check) {
    const std::string target = check.at("effective_tags").get<std::string>();
    std::vector<std::string> parts;
    const auto dots = std::count(target.begin(), target.end(), '.');
    parts = split_name(target, static_cast<int>(std::min<long>(dots, 2)) + 1);
    parts.resize(3);
    std::map<std::string, std::string> got;
    for (const auto& t : snapshot_->effective_tags(parts[0], parts[1], parts[2])) got[t.key] = t.value;
    const std::map<std::string, std::string> want = string_map(check.at("expect"));
    auto text = [](const std::map<std::string, std::string>& m) {
      std::string out = "{";
      for (const auto& [k, v] : m) out += (out.size() > 1 ? ", " : "") + k + "=" + v;
      return out + "}";
    };
    if (got != want) report_.fail(where, "[engine] effective tags " + text(got));
    const auto ref = ref_->effective_tags(parts[0], parts[1], parts[2]);
    if (ref != want) report_.fail(where, "[reference] effective tags " + text(ref));
    if (check.contains("sources")) {
      for (const auto& t : snapshot_->effective_tags(parts[0], parts[1], parts[2])) {
        const json& s = check["sources"];
        if (s.contains(t.key) && s[t.key].get<std::string>() != t.source) {
          report_.fail(where, "[engine] tag " + t.key + " source " + t.source);
        }
      }
    }
  }

  const json& scenario_;
  Report& report_;
  World world_;
  catalog::Timestamp now_ = kNow;
  std::unique_ptr<reference::Evaluator> ref_;
  std::shared_ptr<const authz::PolicySnapshot> snapshot_;
  // Service mode only (declared so that the service goes before what it uses).
  std::unique_ptr<TempStore> store_;
  std::unique_ptr<authz::SecretBox> box_;
  std::unique_ptr<authz::PolicyEngine> engine_;
  std::unique_ptr<authz::AuditLog> audit_;
  std::unique_ptr<api::CatalogService> svc_;
  catalog::Timestamp setup_now_ = 0;
  std::int64_t last_epoch_ = 0;
  std::string last_query_authorization_;  ///< from the last "resolve" step
};

// --- the tests -----------------------------------------------------------------------------------------

class ScenarioTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(ScenarioTest, Holds) {
  const Scenario& s = GetParam();
  ASSERT_TRUE(s.load_error.empty()) << s.file << ": " << s.load_error;
  Report report;
  try {
    Runner(s.spec, report).run();
  } catch (const std::exception& e) {
    report.fail("setup", e.what());
  }
  std::string text;
  for (const auto& f : report.failures) text += "\n  " + f;
  EXPECT_TRUE(report.failures.empty()) << s.file << " / " << s.name << ":" << text;
}

std::string test_name(const ::testing::TestParamInfo<Scenario>& info) {
  std::string out;
  for (char c : info.param.name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioTest, ::testing::ValuesIn(all_scenarios()), test_name);

TEST(ScenarioSuite, NamesAreUnique) {
  std::set<std::string> names;
  for (const auto& s : all_scenarios())
    EXPECT_TRUE(names.insert(s.name).second) << "duplicate scenario " << s.name;
}

TEST(ScenarioSuite, EveryRuleOfTheDocumentIsCovered) {
  std::ifstream in(fs::path(CAIRN_SOURCE_DIR) / "docs" / "authorization.md");
  ASSERT_TRUE(in) << "docs/authorization.md not found";
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string doc = buffer.str();
  const std::regex rule(R"(\*\*([A-Z]{1,2}[0-9]+)\*\*)");
  std::set<std::string> rules;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), rule); it != std::sregex_iterator(); ++it) {
    rules.insert((*it)[1].str());
  }
  ASSERT_FALSE(rules.empty());
  std::set<std::string> covered;
  for (const auto& s : all_scenarios()) {
    const auto dash = s.name.find('-');
    covered.insert(s.name.substr(0, dash));
    for (const json& r : s.spec.value("rules", json::array())) covered.insert(r.get<std::string>());
  }
  for (const auto& r : rules) EXPECT_TRUE(covered.count(r) != 0) << "no scenario covers rule " << r;
}

}  // namespace
}  // namespace cairn::authz_test
