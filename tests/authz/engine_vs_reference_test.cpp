// Randomized comparison of the compiled engine (authz::PolicySnapshot) with the reference evaluator
// (reference_evaluator.h) on thousands of generated policies: every grant kind, ALL, grant options, expired
// grants, groups and EVERYONE, tags on databases/tables/columns with overrides, data cells filters with
// random row filters over typed columns, masks, locations. For each policy, every subject's view of every
// table (visibility, permissions, grant options, columns, and the governed output of random rows), of every
// database, and a set of action decisions are compared. A mismatch is shrunk to a minimal policy (grants,
// filters, tags, memberships removed while it persists) and printed in the scenario format of
// tests/authz/scenarios/ so it can be pasted into a scenario.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "authz/reference_evaluator.h"
#include "cairn/authz/policy_engine.h"
#include "cairn/authz/row_filter.h"

namespace cairn::authz_test {
namespace {

using catalog::Grant;
using catalog::Permission;
using catalog::PermissionSet;
using catalog::ResourceKind;
using nlohmann::json;

constexpr catalog::Timestamp kNow = 1767225600000;
constexpr int kPolicies = 3200;  ///< in kShards tests, so that each stays well inside the test timeout
constexpr int kShards = 4;
constexpr int kRowsPerTable = 6;

// --- the universe --------------------------------------------------------------------------------------

struct PoolColumn {
  const char* name;
  const char* type;
};
const std::vector<PoolColumn> kDataColumns = {
    {"c_int", "int"},   {"c_big", "bigint"},   {"c_str", "string"},   {"c_str2", "string"},
    {"c_date", "date"}, {"c_ts", "timestamp"}, {"c_bool", "boolean"}, {"c_dbl", "double"},
};
const std::vector<PoolColumn> kPartitionColumns = {{"p_str", "string"}, {"p_date", "date"}, {"p_int", "int"}};
const std::vector<std::string> kPrincipals = {"user:alice",  "user:bob",  "user:carol", "role:etl",
                                              "group:staff", "group:ops", "EVERYONE"};
const std::vector<std::pair<std::string, std::string>> kTableNames = {
    {"d1", "t1"}, {"d1", "t2"}, {"d2", "t3"}};
const std::vector<std::string> kDatabases = {"d1", "d2"};
const std::map<std::string, std::vector<std::string>> kTagKeys = {{"k1", {"a", "b", "c"}},
                                                                  {"k2", {"x", "y"}}};

std::string type_of(const std::string& column) {
  for (const auto& c : kDataColumns) {
    if (column == c.name) return c.type;
  }
  for (const auto& c : kPartitionColumns) {
    if (column == c.name) return c.type;
  }
  return "";
}

const std::vector<Permission>& every_permission() {
  static const std::vector<Permission> all = {Permission::All,         Permission::Select,
                                              Permission::Describe,    Permission::Alter,
                                              Permission::Drop,        Permission::Insert,
                                              Permission::Delete,      Permission::CreateDatabase,
                                              Permission::CreateTable, Permission::DataLocationAccess};
  return all;
}

std::vector<std::string> domain_of(const std::string& type) {
  if (type == "int") return {"-1", "0", "1", "2", "5"};
  if (type == "bigint") return {"0", "1", "3", "100"};
  if (type == "string") return {"a", "b", "ab", "DE", "FR", "x_y", ""};
  if (type == "date") return {"2024-01-01", "2024-06-15", "2025-12-31"};
  if (type == "timestamp") return {"2024-01-01 00:00:00", "2024-06-15 12:30:00", "2025-12-31 23:59:59"};
  if (type == "boolean") return {"true", "false"};
  if (type == "double") return {"0.5", "1.0", "-2.25", "3.0"};
  return {"0"};
}

std::string literal_for(const std::string& type, const std::string& value) {
  if (type == "string") return "'" + value + "'";
  if (type == "date") return "DATE '" + value + "'";
  if (type == "timestamp") return "TIMESTAMP '" + value + "'";
  if (type == "boolean") return value == "true" ? "TRUE" : "FALSE";
  return value;
}

// --- generation ----------------------------------------------------------------------------------------

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(uniform(0, static_cast<int>(v.size()) - 1))];
  }

  std::vector<catalog::Table> tables() {
    std::vector<catalog::Table> out;
    for (const auto& [db, name] : kTableNames) {
      catalog::Table t;
      t.database_name = db;
      t.name = name;
      t.table_type = "EXTERNAL_TABLE";
      t.version_id = 1;
      for (const auto& c : kDataColumns) {
        if (chance(0.55)) t.storage_descriptor.columns.push_back(catalog::Column{c.name, c.type, "", {}});
      }
      if (t.storage_descriptor.columns.empty()) {
        t.storage_descriptor.columns.push_back(catalog::Column{"c_int", "int", "", {}});
      }
      for (const auto& c : kPartitionColumns) {
        if (chance(0.3)) t.partition_keys.push_back(catalog::Column{c.name, c.type, "", {}});
      }
      out.push_back(std::move(t));
    }
    return out;
  }

  /// A random predicate over `columns`, `depth` levels of AND/OR/NOT at most.
  std::string predicate(const std::vector<catalog::Column>& columns, int depth) {
    if (depth > 0 && chance(0.4)) {
      const int form = uniform(0, 2);
      if (form == 0)
        return "(" + predicate(columns, depth - 1) + ") AND (" + predicate(columns, depth - 1) + ")";
      if (form == 1)
        return "(" + predicate(columns, depth - 1) + ") OR (" + predicate(columns, depth - 1) + ")";
      return "NOT (" + predicate(columns, depth - 1) + ")";
    }
    const catalog::Column& c = pick(columns);
    const std::vector<std::string> dom = domain_of(c.type);
    const std::string a = literal_for(c.type, pick(dom));
    const std::string b = literal_for(c.type, pick(dom));
    const int form = uniform(0, 9);
    if (form == 0) return c.name + (chance(0.5) ? " IS NULL" : " IS NOT NULL");
    if (c.type == "boolean") return c.name + (chance(0.5) ? " = " : " <> ") + a;
    if (form == 1) return c.name + (chance(0.3) ? " NOT IN (" : " IN (") + a + ", " + b + ")";
    if (form == 2) return c.name + (chance(0.3) ? " NOT BETWEEN " : " BETWEEN ") + a + " AND " + b;
    if (form == 3 && c.type == "string") {
      static const std::vector<std::string> patterns = {"a%", "%b", "_", "%", "x\\_y", "D_"};
      return c.name + (chance(0.3) ? " NOT LIKE '" : " LIKE '") + pick(patterns) + "'";
    }
    static const std::vector<std::string> ops = {"=", "<>", "!=", "<", ">", "<=", ">="};
    return c.name + " " + pick(ops) + " " + a;
  }

  std::string mask_for(const std::string& type) {
    // Now and then a mask that does not fit the column's type, as after a type change (section 4: it
    // masks as null).
    if (chance(0.08)) return pick(std::vector<std::string>{"year_only", "show_last(2)", "hash_sha256"});
    std::vector<std::string> options = {"null", "redact", "hash_sha256"};
    if (type == "date" || type == "timestamp") options.push_back("year_only");
    if (type == "string") {
      options.push_back("show_last(" + std::to_string(uniform(1, 3)) + ")");
      options.push_back("show_last(" + std::to_string(uniform(1, 3)) + ")");
    }
    return pick(options);
  }

  std::map<std::string, std::string> masks(const std::vector<std::string>& candidates) {
    std::map<std::string, std::string> out;
    if (candidates.empty() || !chance(0.35)) return out;
    const int n = uniform(1, 2);
    for (int i = 0; i < n; ++i) {
      const std::string& c = pick(candidates);
      if (!type_of(c).empty()) out[c] = mask_for(type_of(c));
    }
    return out;
  }

  static std::vector<std::string> names(const catalog::Table& t) {
    std::vector<std::string> out;
    for (const auto& c : reference::Evaluator::all_columns(t)) out.push_back(c.name);
    return out;
  }

  std::vector<std::string> subset(const std::vector<std::string>& from, double p) {
    std::vector<std::string> out;
    for (const auto& s : from) {
      if (chance(p)) out.push_back(s);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  PermissionSet permission_subset(PermissionSet valid, bool all_allowed) {
    if (all_allowed && chance(0.2)) return catalog::bit(Permission::All);
    PermissionSet out = 0;
    while (out == 0) {
      for (Permission p : every_permission()) {
        if ((valid & catalog::bit(p)) != 0 && chance(0.4)) out |= catalog::bit(p);
      }
    }
    return out;
  }

  catalog::PolicyData policy(const std::vector<catalog::Table>& tables) {
    catalog::PolicyData d;
    d.epoch = 1;
    d.group_members["staff"] = {"alice", "bob"};
    if (chance(0.5)) d.group_members["staff"].push_back("carol");
    d.group_members["ops"] = {"bob"};
    for (const auto& [k, values] : kTagKeys) d.tag_keys.push_back(catalog::TagKey{k, values, 0});
    auto tag = [&](const std::string& db, const std::string& t, const std::string& c, double p) {
      for (const auto& [k, values] : kTagKeys) {
        if (chance(p)) d.tag_assignments.push_back(catalog::TagAssignment{db, t, c, k, pick(values)});
      }
    };
    for (const auto& db : kDatabases) tag(db, "", "", 0.5);
    for (const auto& t : tables) {
      tag(t.database_name, t.name, "", 0.3);
      for (const auto& c : names(t)) tag(t.database_name, t.name, c, 0.15);
    }
    if (chance(0.4)) d.locations.push_back(catalog::DataLocation{"s3://lake/d1", "", "user:admin", 0});

    const int filters = uniform(0, 4);
    for (int i = 0; i < filters; ++i) {
      const catalog::Table& t = pick(tables);
      catalog::DataCellsFilter f;
      f.database = t.database_name;
      f.table = t.name;
      f.name = "f" + std::to_string(i);
      f.version_id = 1;
      if (chance(0.2)) {
        f.all_rows = true;
      } else if (chance(0.05)) {
        f.row_filter = "gone = 1";  // a column dropped after the filter was created (F1)
      } else {
        f.row_filter = predicate(reference::Evaluator::all_columns(t), 2);
      }
      if (chance(0.5)) {
        f.columns = subset(names(t), 0.5);
        if (f.columns.empty()) f.columns.push_back(names(t).front());
      } else {
        f.column_wildcard = true;
        f.excluded_columns = subset(names(t), 0.25);
      }
      f.column_masks = masks(names(t));
      d.filters.push_back(std::move(f));
    }

    const int grants = uniform(1, 8);
    std::int64_t id = 1;
    for (int i = 0; i < grants; ++i) {
      Grant g;
      g.id = id++;
      g.principal = pick(kPrincipals);
      g.granted_by = "user:admin";
      const int kind = uniform(0, 99);
      std::vector<std::string> mask_candidates;
      if (kind < 5) {
        g.kind = ResourceKind::Catalog;
        g.permissions = permission_subset(reference::valid_on(g.kind), true);
      } else if (kind < 15) {
        g.kind = ResourceKind::Database;
        g.database = pick(kDatabases);
        g.permissions = permission_subset(reference::valid_on(g.kind), true);
      } else if (kind < 35) {
        const catalog::Table& t = pick(tables);
        g.kind = ResourceKind::Table;
        g.database = t.database_name;
        g.table = t.name;
        g.permissions = permission_subset(reference::valid_on(g.kind), true);
        mask_candidates = names(t);
      } else if (kind < 45) {
        g.kind = ResourceKind::TableWildcard;
        g.database = pick(kDatabases);
        g.permissions = permission_subset(reference::valid_on(g.kind), true);
        for (const auto& c : kDataColumns) mask_candidates.push_back(c.name);
      } else if (kind < 65) {
        const catalog::Table& t = pick(tables);
        g.kind = ResourceKind::TableWithColumns;
        g.database = t.database_name;
        g.table = t.name;
        if (chance(0.5)) {
          g.columns = subset(names(t), 0.5);
          if (chance(0.1)) g.columns.push_back("c_gone");
          if (g.columns.empty()) g.columns.push_back(names(t).back());
          std::sort(g.columns.begin(), g.columns.end());
        } else {
          g.column_wildcard = true;
          g.excluded_columns = subset(names(t), 0.3);
        }
        g.permissions = catalog::bit(Permission::Select);
        mask_candidates = names(t);
      } else if (kind < 68) {
        g.kind = ResourceKind::DataLocation;
        g.location = chance(0.5) ? "s3://lake/d1" : "s3://lake";
        g.permissions = catalog::bit(Permission::DataLocationAccess);
      } else if (kind < 85 && !d.filters.empty()) {
        const catalog::DataCellsFilter& f = pick(d.filters);
        g.kind = ResourceKind::DataCellsFilter;
        g.database = f.database;
        g.table = f.table;
        g.filter_name = f.name;
        g.permissions = permission_subset(reference::valid_on(g.kind), false);
        if (chance(0.6)) g.permissions |= catalog::bit(Permission::Select);
      } else {
        g.kind = ResourceKind::TagPolicy;
        g.tag_resource_type = chance(0.8) ? "TABLE" : "DATABASE";
        const int conditions = uniform(1, 2);
        std::vector<std::string> keys = {"k1", "k2"};
        if (conditions == 1) keys = {pick(keys)};
        for (const auto& k : keys) {
          std::vector<std::string> values = subset(kTagKeys.at(k), 0.5);
          if (values.empty()) values.push_back(pick(kTagKeys.at(k)));
          g.tag_expression.push_back(catalog::TagCondition{k, values});
        }
        g.permissions = permission_subset(reference::valid_on(g.kind, g.tag_resource_type), true);
        if (g.tag_resource_type == "TABLE") {
          for (const auto& c : kDataColumns) mask_candidates.push_back(c.name);
          for (const auto& c : kPartitionColumns) mask_candidates.push_back(c.name);
        }
      }
      g.column_masks = masks(mask_candidates);
      PermissionSet grantable = 0;
      for (Permission p : every_permission()) {
        if (catalog::has(g.permissions, p) && chance(0.3)) grantable |= catalog::bit(p);
      }
      g.grantable = grantable;
      const int e = uniform(0, 99);
      if (e < 10) {
        g.expires_at = kNow - uniform(1, 100000);
      } else if (e < 15) {
        g.expires_at = kNow;
      } else if (e < 30) {
        g.expires_at = kNow + uniform(1, 100000);
      }
      d.grants.push_back(std::move(g));
    }
    return d;
  }

  reference::Row row(const catalog::Table& t) {
    reference::Row r;
    for (const auto& c : reference::Evaluator::all_columns(t)) {
      if (chance(0.15)) {
        r[c.name] = std::nullopt;
      } else {
        r[c.name] = pick(domain_of(c.type));
      }
    }
    return r;
  }

 private:
  std::mt19937 rng_;
};

// --- comparison ----------------------------------------------------------------------------------------

/// One question asked of both evaluators.
struct Case {
  std::string check;  ///< what is compared: "table_visible", "row", "decide:CreateTable", …
  reference::Subject subject;
  int table = -1;  ///< index into the tables, for table checks
  std::string database;
  std::vector<reference::Row> rows;  ///< for "rows" and "row_filter_text"
  authz::Action action = authz::Action::ListDatabases;
  authz::Resource resource;
};

std::string perms(PermissionSet set) {
  std::string out = "[";
  for (Permission p : every_permission()) {
    if (catalog::has(set, p)) out += (out.size() > 1 ? "," : "") + std::string(catalog::permission_name(p));
  }
  return out + "]";
}

std::string row_text(const std::map<std::string, std::optional<std::string>>& row) {
  std::string out = "{";
  for (const auto& [k, v] : row)
    out += (out.size() > 1 ? ", " : "") + k + ": " + (v ? "\"" + *v + "\"" : "NULL");
  return out + "}";
}

std::string governed_text(const reference::GovernedRow& g) {
  return g.returned ? "returned " + row_text(g.values) : "not returned";
}

authz::Subject engine_subject(const reference::Subject& s) {
  authz::Subject out;
  out.principal = s.principal;
  out.is_admin = s.is_admin;
  return out;
}

authz::Resource resource(const std::string& db, const std::string& table = "", const std::string& filter = "",
                         const std::string& location = "") {
  authz::Resource r;
  r.database = db;
  r.table = table;
  r.filter = filter;
  r.location = location;
  return r;
}

/// Compares one case; returns what differs, or nullopt when both agree.
std::optional<std::string> compare(const authz::PolicySnapshot& snap, const reference::Evaluator& ref,
                                   const std::vector<catalog::Table>& tables, const Case& c) {
  const authz::Subject es = engine_subject(c.subject);
  try {
    auto differ = [](const std::string& what, const std::string& engine,
                     const std::string& reference) -> std::optional<std::string> {
      if (engine == reference) return std::nullopt;
      return what + ": engine " + engine + ", reference " + reference;
    };
    if (c.table >= 0) {
      const catalog::Table& t = tables[static_cast<std::size_t>(c.table)];
      if (c.check == "table_visible") {
        const bool e =
            snap.decide(es, authz::Action::DescribeTable, resource(t.database_name, t.name), kNow).allowed;
        return differ("DescribeTable", e ? "allow" : "deny",
                      ref.table_visible(c.subject, t) ? "allow" : "deny");
      }
      if (c.check.rfind("on_table.", 0) == 0) {
        const authz::Held h = snap.on_table(es, t.database_name, t.name, kNow);
        const auto whole = ref.whole_table_explicit(c.subject, t);
        if (c.check == "on_table.permissions") {
          return differ(c.check, perms(reference::expand(h.permissions, ResourceKind::Table)),
                        perms(ref.table_held(c.subject, t).first));
        }
        if (c.check == "on_table.whole_table") {
          return differ(c.check, perms(reference::expand(h.whole_table, ResourceKind::Table)),
                        perms(whole.first));
        }
        return differ(c.check, perms(reference::expand(h.grantable, ResourceKind::Table)),
                      perms(whole.second));
      }
      const authz::TableAccess a = snap.resolve(es, t, kNow);
      if (c.check == "resolve.permissions") {
        return differ(c.check, perms(reference::expand(a.permissions, ResourceKind::Table)),
                      perms(ref.table_held(c.subject, t).first));
      }
      if (c.check == "resolve.grantable") {
        return differ(c.check, perms(reference::expand(a.grantable, ResourceKind::Table)),
                      perms(ref.table_held(c.subject, t).second));
      }
      if (c.check == "resolve.columns") {
        std::set<std::string> got;
        for (const auto& col : a.columns) got.insert(col.name);
        auto text = [](const std::set<std::string>& s) {
          std::string out = "[";
          for (const auto& x : s) out += (out.size() > 1 ? "," : "") + x;
          return out + "]";
        };
        return differ(c.check, text(got), text(ref.visible_columns(c.subject, t)));
      }
      if (c.check == "rows") {
        const std::vector<reference::GovernedRow> want = ref.govern_rows(c.subject, t, c.rows);
        for (std::size_t i = 0; i < c.rows.size(); ++i) {
          auto d = differ("row " + row_text(c.rows[i]), governed_text(reference::apply_access(a, c.rows[i])),
                          governed_text(want[i]));
          if (d) return d;
        }
        return std::nullopt;
      }
      if (c.check == "row_filter_text") {
        // The combined text must select exactly the rows the listed filters select.
        if (a.all_rows) {
          if (!a.row_filter.empty() || !a.row_filters.empty()) {
            return "all_rows with row_filter \"" + a.row_filter + "\" and " +
                   std::to_string(a.row_filters.size()) + " filters";
          }
          return std::nullopt;
        }
        if (a.row_filter.empty())
          return a.row_filters.empty() ? std::nullopt : std::optional<std::string>("empty row_filter text");
        std::shared_ptr<const authz::RowFilter> combined;
        try {
          combined = authz::RowFilter::parse(a.row_filter, reference::Evaluator::all_columns(t));
        } catch (const std::exception& e) {
          return "row_filter \"" + a.row_filter + "\" does not parse: " + e.what();
        }
        for (const auto& row : c.rows) {
          auto reader = [&row](std::string_view column) -> std::optional<std::string> {
            auto it = row.find(std::string(column));
            return it == row.end() ? std::nullopt : it->second;
          };
          bool any = false;
          for (const auto& f : a.row_filters) any = any || f->matches(reader);
          const bool whole = combined->matches(reader);
          if (whole != any) {
            return "row_filter \"" + a.row_filter + "\" gives " + (whole ? "true" : "false") +
                   " but its filters give " + (any ? "true" : "false") + " on " + row_text(row);
          }
        }
        return std::nullopt;
      }
    }
    if (c.check == "database_visible") {
      const bool e = snap.decide(es, authz::Action::DescribeDatabase, resource(c.database), kNow).allowed;
      return differ("DescribeDatabase", e ? "allow" : "deny",
                    ref.database_visible(c.subject, c.database) ? "allow" : "deny");
    }
    if (c.check == "on_database.permissions" || c.check == "on_database.grantable") {
      const authz::Held h = snap.on_database(es, c.database, kNow);
      const auto r = ref.database_held(c.subject, c.database);
      if (c.check == "on_database.permissions") {
        return differ(c.check, perms(reference::expand(h.permissions, ResourceKind::Database)),
                      perms(r.first));
      }
      return differ(c.check, perms(reference::expand(h.grantable, ResourceKind::Database)), perms(r.second));
    }
    if (c.check.rfind("decide:", 0) == 0) {
      const std::optional<bool> r = ref.decide(c.subject, c.action, c.resource);
      if (!r) return std::nullopt;
      const authz::Decision d = snap.decide(es, c.action, c.resource, kNow);
      if (d.allowed == *r) return std::nullopt;
      return c.check + " " + c.resource.database + "." + c.resource.table +
             (c.resource.filter.empty() ? "" : "." + c.resource.filter) +
             (c.resource.location.empty() ? "" : " at " + c.resource.location) + ": engine " +
             (d.allowed ? "allow" : "deny") + " (" + d.reason + "), reference " + (*r ? "allow" : "deny");
    }
    return "unknown check " + c.check;
  } catch (const std::exception& e) {
    return c.check + " threw: " + e.what();
  }
}

std::optional<std::string> compare_fresh(const catalog::PolicyData& data,
                                         const std::vector<catalog::Table>& tables, const Case& c) {
  const auto snap = authz::PolicySnapshot::compile(data);
  const reference::Evaluator ref(data, kNow, tables);
  return compare(*snap, ref, tables, c);
}

/// The cases asked for one policy.
std::vector<Case> cases(const std::vector<catalog::Table>& tables, const catalog::PolicyData& data,
                        Generator& gen) {
  std::vector<Case> out;
  const std::vector<reference::Subject> subjects = {{"user:alice", false},
                                                    {"user:bob", false},
                                                    {"user:carol", false},
                                                    {"role:etl", false},
                                                    {"user:admin", true}};
  for (const auto& s : subjects) {
    for (int i = 0; i < static_cast<int>(tables.size()); ++i) {
      const catalog::Table& t = tables[static_cast<std::size_t>(i)];
      for (const char* check :
           {"table_visible", "on_table.permissions", "on_table.whole_table", "on_table.grantable",
            "resolve.permissions", "resolve.grantable", "resolve.columns"}) {
        Case c;
        c.check = check;
        c.subject = s;
        c.table = i;
        out.push_back(c);
      }
      Case rows;
      rows.check = "rows";
      rows.subject = s;
      rows.table = i;
      for (int r = 0; r < kRowsPerTable; ++r) rows.rows.push_back(gen.row(t));
      out.push_back(rows);
      rows.check = "row_filter_text";
      out.push_back(rows);
      auto action = [&](authz::Action a, authz::Resource res) {
        Case c;
        c.check = std::string("decide:") + authz::action_name(a);
        c.subject = s;
        c.action = a;
        c.resource = std::move(res);
        out.push_back(std::move(c));
      };
      for (authz::Action a :
           {authz::Action::DescribeTable, authz::Action::ListPartitions, authz::Action::AlterTable,
            authz::Action::DropTable, authz::Action::CreatePartition, authz::Action::AlterPartition,
            authz::Action::DropPartition, authz::Action::AssignTags, authz::Action::CreateFilter}) {
        action(a, resource(t.database_name, t.name));
      }
    }
    for (const auto& db : kDatabases) {
      for (const char* check : {"database_visible", "on_database.permissions", "on_database.grantable"}) {
        Case c;
        c.check = check;
        c.subject = s;
        c.database = db;
        out.push_back(c);
      }
      Case c;
      c.subject = s;
      for (authz::Action a :
           {authz::Action::DescribeDatabase, authz::Action::ListTables, authz::Action::AlterDatabase,
            authz::Action::DropDatabase, authz::Action::CreateTable, authz::Action::AssignTags}) {
        c.check = std::string("decide:") + authz::action_name(a);
        c.action = a;
        c.resource = resource(db);
        out.push_back(c);
      }
      c.check = "decide:CreateTable";
      c.action = authz::Action::CreateTable;
      c.resource = resource(db, "", "", "s3://lake/" + db + "/new_table");
      out.push_back(c);
    }
    Case c;
    c.subject = s;
    c.check = "decide:CreateDatabase";
    c.action = authz::Action::CreateDatabase;
    out.push_back(c);
    for (const auto& f : data.filters) {
      for (authz::Action a :
           {authz::Action::DescribeFilter, authz::Action::AlterFilter, authz::Action::DropFilter}) {
        c.check = std::string("decide:") + authz::action_name(a);
        c.action = a;
        c.resource = resource(f.database, f.table, f.name);
        out.push_back(c);
      }
    }
  }
  return out;
}

/// Removes parts of the policy, other tables and columns of the case's table while the case still mismatches;
/// returns the case with its table index adjusted.
Case shrink(catalog::PolicyData& data, std::vector<catalog::Table>& tables, Case c) {
  auto still = [&]() { return compare_fresh(data, tables, c).has_value(); };
  bool progress = true;
  auto try_remove = [&](auto& vec, std::size_t keep) {
    for (std::size_t i = 0; i < vec.size() && vec.size() > keep;) {
      auto saved = vec[i];
      vec.erase(vec.begin() + static_cast<std::ptrdiff_t>(i));
      if (still()) {
        progress = true;
      } else {
        vec.insert(vec.begin() + static_cast<std::ptrdiff_t>(i), std::move(saved));
        ++i;
      }
    }
  };
  while (progress) {
    progress = false;
    try_remove(data.grants, 0);
    try_remove(data.filters, 0);
    try_remove(data.tag_assignments, 0);
    try_remove(data.locations, 0);
    for (auto& [group, members] : data.group_members) try_remove(members, 0);
    for (std::size_t i = 0; i < tables.size();) {
      if (static_cast<int>(i) == c.table) {
        ++i;
        continue;
      }
      const catalog::Table saved = tables[i];
      const Case saved_case = c;
      tables.erase(tables.begin() + static_cast<std::ptrdiff_t>(i));
      if (c.table > static_cast<int>(i)) --c.table;
      if (still()) {
        progress = true;
      } else {
        tables.insert(tables.begin() + static_cast<std::ptrdiff_t>(i), saved);
        c = saved_case;
        ++i;
      }
    }
    for (auto& g : data.grants) {
      auto simplify = [&](auto&& edit) {
        const Grant saved = g;
        edit(g);
        if (g.column_masks == saved.column_masks && g.grantable == saved.grantable &&
            g.expires_at == saved.expires_at && g.permissions == saved.permissions) {
          return;
        }
        if (still()) {
          progress = true;
        } else {
          g = saved;
        }
      };
      simplify([](Grant& x) { x.column_masks.clear(); });
      simplify([](Grant& x) { x.grantable = 0; });
      simplify([](Grant& x) { x.expires_at.reset(); });
      for (Permission p : every_permission()) {
        simplify([p](Grant& x) {
          if ((x.permissions & ~catalog::bit(p)) != 0)
            x.permissions &= static_cast<PermissionSet>(~catalog::bit(p));
          x.grantable &= x.permissions;
        });
      }
    }
    for (auto& f : data.filters) {
      const auto saved = f.column_masks;
      if (saved.empty()) continue;
      f.column_masks.clear();
      if (still()) {
        progress = true;
      } else {
        f.column_masks = saved;
      }
    }
    if (c.table >= 0) {
      try_remove(tables[static_cast<std::size_t>(c.table)].storage_descriptor.columns, 1);
      try_remove(tables[static_cast<std::size_t>(c.table)].partition_keys, 0);
    }
  }
  return c;
}

json mask_json(const std::map<std::string, std::string>& masks) {
  json out = json::object();
  for (const auto& [k, v] : masks) out[k] = v;
  return out;
}

json perms_json(PermissionSet set) {
  json out = json::array();
  for (Permission p : every_permission()) {
    if (catalog::has(set, p)) out.push_back(catalog::permission_name(p));
  }
  return out;
}

/// The policy, the tables and the case in the scenario format (tests/authz/scenarios/README.md).
json scenario_json(const catalog::PolicyData& data, const std::vector<catalog::Table>& tables,
                   const Case& c) {
  json s;
  s["name"] = "random-" + c.check;
  if (!data.group_members.empty()) {
    s["groups"] = json::object();
    for (const auto& [g, m] : data.group_members) s["groups"][g] = m;
  }
  s["tag_keys"] = json::object();
  for (const auto& k : data.tag_keys) s["tag_keys"][k.key] = k.values;
  s["databases"] = json::array();
  for (const auto& db : kDatabases) {
    json d{{"name", db}};
    for (const auto& a : data.tag_assignments) {
      if (a.database == db && a.table.empty()) d["tags"][a.key] = a.value;
    }
    s["databases"].push_back(d);
  }
  s["tables"] = json::array();
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const auto& t = tables[i];
    json j{{"name", t.database_name + "." + t.name}};
    j["columns"] = json::array();
    for (const auto& col : t.storage_descriptor.columns) j["columns"].push_back({col.name, col.type});
    if (!t.partition_keys.empty()) {
      j["partition_keys"] = json::array();
      for (const auto& col : t.partition_keys) j["partition_keys"].push_back({col.name, col.type});
    }
    for (const auto& a : data.tag_assignments) {
      if (a.database != t.database_name || a.table != t.name) continue;
      if (a.column.empty()) {
        j["tags"][a.key] = a.value;
      } else {
        j["column_tags"][a.column][a.key] = a.value;
      }
    }
    if (static_cast<int>(i) == c.table && !c.rows.empty()) {
      j["rows"] = json::array();
      for (const auto& r : c.rows) {
        json row = json::object();
        for (const auto& col : reference::Evaluator::all_columns(t)) {
          auto it = r.find(col.name);
          row[col.name] = it != r.end() && it->second ? json(*it->second) : json(nullptr);
        }
        j["rows"].push_back(row);
      }
    }
    s["tables"].push_back(j);
  }
  if (!data.filters.empty()) {
    s["filters"] = json::array();
    for (const auto& f : data.filters) {
      json j{{"name", f.name}, {"table", f.database + "." + f.table}};
      j["row_filter"] = f.all_rows ? json(nullptr) : json(f.row_filter);
      if (f.column_wildcard) {
        j["exclude"] = f.excluded_columns;
      } else {
        j["columns"] = f.columns;
      }
      if (!f.column_masks.empty()) j["masks"] = mask_json(f.column_masks);
      s["filters"].push_back(j);
    }
  }
  if (!data.locations.empty()) {
    s["locations"] = json::array();
    for (const auto& l : data.locations) s["locations"].push_back(l.uri);
  }
  s["grants"] = json::array();
  for (const auto& g : data.grants) {
    json j{{"id", g.id}, {"principal", g.principal}};
    json on;
    switch (g.kind) {
      case ResourceKind::Catalog:
        on["catalog"] = true;
        break;
      case ResourceKind::Database:
        on["database"] = g.database;
        break;
      case ResourceKind::Table:
        on["table"] = g.database + "." + g.table;
        break;
      case ResourceKind::TableWildcard:
        on["all_tables"] = g.database;
        break;
      case ResourceKind::TableWithColumns:
        on["table"] = g.database + "." + g.table;
        if (g.column_wildcard) {
          on["exclude"] = g.excluded_columns;
        } else {
          on["columns"] = g.columns;
        }
        break;
      case ResourceKind::DataLocation:
        on["location"] = g.location;
        break;
      case ResourceKind::DataCellsFilter:
        on["filter"] = g.database + "." + g.table + "." + g.filter_name;
        break;
      case ResourceKind::TagPolicy:
        on["tag_policy"] = g.tag_resource_type;
        on["expression"] = json::object();
        for (const auto& cond : g.tag_expression) on["expression"][cond.key] = cond.values;
        break;
    }
    j["on"] = on;
    j["permissions"] = perms_json(g.permissions);
    if (g.grantable != 0) j["grantable"] = perms_json(g.grantable);
    if (!g.column_masks.empty()) j["masks"] = mask_json(g.column_masks);
    if (g.expires_at) j["expires_in_ms"] = *g.expires_at - kNow;
    s["grants"].push_back(j);
  }
  json check{{"as", c.subject.principal}};
  if (c.table >= 0) {
    const auto& t = tables[static_cast<std::size_t>(c.table)];
    check["table"] = t.database_name + "." + t.name;
  } else if (c.check.rfind("decide:", 0) == 0) {
    check["action"] = c.check.substr(7);
    check["resource"] = json::object();
    if (!c.resource.database.empty()) check["resource"]["database"] = c.resource.database;
    if (!c.resource.table.empty()) check["resource"]["table"] = c.resource.database + "." + c.resource.table;
    if (!c.resource.filter.empty()) {
      check["resource"]["filter"] = c.resource.database + "." + c.resource.table + "." + c.resource.filter;
    }
    if (!c.resource.location.empty()) check["resource"]["location"] = c.resource.location;
  } else {
    check["database"] = c.database;
  }
  if (c.subject.is_admin) s["admins"] = json::array({c.subject.principal});
  s["checks"] = json::array({check});
  return s;
}

/// Compact JSON: one line per top-level key and per grant, filter and table.
std::string compact(const json& s) {
  std::string out = "{\n";
  bool first = true;
  for (auto it = s.begin(); it != s.end(); ++it) {
    if (!first) out += ",\n";
    first = false;
    out += "  \"" + it.key() + "\": ";
    if (it.value().is_array() && !it.value().empty() && it.value().front().is_object()) {
      out += "[\n";
      for (std::size_t i = 0; i < it.value().size(); ++i) {
        out += "    " + it.value()[i].dump() + (i + 1 < it.value().size() ? ",\n" : "\n");
      }
      out += "  ]";
    } else {
      out += it.value().dump();
    }
  }
  return out + "\n}";
}

/// True when a data cells filter of `t` no longer parses against its columns (F1).
bool has_invalid_filter(const catalog::PolicyData& data, const catalog::Table& t) {
  for (const auto& f : data.filters) {
    if (f.database == t.database_name && f.table == t.name && !f.all_rows &&
        reference::Evaluator::filter_predicate(f, t) == nullptr) {
      return true;
    }
  }
  return false;
}

/// What the generated cases exercised (from the reference's answers).
struct Stats {
  long rows_returned = 0;
  long rows_withheld = 0;
  long raw = 0;
  long masked = 0;
  long cell_nulled = 0;
  long allowed = 0;
  long denied = 0;
};

void count(const reference::Evaluator& ref, const std::vector<catalog::Table>& tables, const Case& c,
           Stats& stats) {
  if (c.check == "rows") {
    const catalog::Table& t = tables[static_cast<std::size_t>(c.table)];
    const auto governed = ref.govern_rows(c.subject, t, c.rows);
    for (std::size_t i = 0; i < governed.size(); ++i) {
      if (!governed[i].returned) {
        ++stats.rows_withheld;
        continue;
      }
      ++stats.rows_returned;
      for (const auto& [column, value] : governed[i].values) {
        const auto it = c.rows[i].find(column);
        const std::optional<std::string> raw = it == c.rows[i].end() ? std::nullopt : it->second;
        if (value == raw) {
          ++stats.raw;
        } else if (!value) {
          ++stats.cell_nulled;  // (or a null mask; both are NULLs the raw value did not have)
        } else {
          ++stats.masked;
        }
      }
    }
  } else if (c.check.rfind("decide:", 0) == 0) {
    const std::optional<bool> d = ref.decide(c.subject, c.action, c.resource);
    if (d) ++(*d ? stats.allowed : stats.denied);
  }
}

/// The smallest example of one kind of mismatch, and how often the kind occurred.
struct Finding {
  int count = 0;
  std::size_t size = 0;  ///< grants + filters + tags of the example
  std::string text;
};

class EngineVsReference : public ::testing::TestWithParam<int> {};

TEST_P(EngineVsReference, RandomPoliciesAgree) {
  std::map<std::string, Finding> findings;
  Stats stats;
  int compared = 0;
  int shrunk = 0;
  const int per_shard = kPolicies / kShards;
  for (int seed = GetParam() * per_shard + 1; seed <= (GetParam() + 1) * per_shard; ++seed) {
    Generator gen(static_cast<std::uint32_t>(seed) * 7919u);
    std::vector<catalog::Table> tables = gen.tables();
    catalog::PolicyData data = gen.policy(tables);
    const auto snap = authz::PolicySnapshot::compile(data);
    const reference::Evaluator ref(data, kNow, tables);
    for (Case c : cases(tables, data, gen)) {
      ++compared;
      count(ref, tables, c, stats);
      const std::optional<std::string> diff = compare(*snap, ref, tables, c);
      if (!diff) continue;
      // Kinds: the check, for administrators apart, and apart when an F1-invalid filter is involved.
      std::string kind = c.check + (c.subject.is_admin ? " (admin)" : "");
      if (c.table >= 0 && has_invalid_filter(data, tables[static_cast<std::size_t>(c.table)])) {
        kind += " [table has an F1-invalid filter]";
      }
      Finding& f = findings[kind];
      ++f.count;
      if (f.count > 3 || shrunk > 60) continue;  // a few shrunk examples per kind are enough
      ++shrunk;
      if (c.rows.size() > 1) {
        // Keep only the first row that differs.
        for (const auto& row : c.rows) {
          Case one = c;
          one.rows = {row};
          if (compare(*snap, ref, tables, one)) {
            c = one;
            break;
          }
        }
      }
      catalog::PolicyData small = data;
      std::vector<catalog::Table> small_tables = tables;
      const Case small_case = shrink(small, small_tables, c);
      const std::size_t size = small.grants.size() + small.filters.size() + small.tag_assignments.size();
      if (!f.text.empty() && size >= f.size) continue;
      f.size = size;
      const std::optional<std::string> small_diff = compare_fresh(small, small_tables, small_case);
      f.text = "seed " + std::to_string(seed) + ": " + small_diff.value_or(*diff) + "\n" +
               compact(scenario_json(small, small_tables, small_case));
    }
  }
  // What was exercised, so that a vacuous generator shows.
  std::cout << "[ stats    ] " << compared << " comparisons; rows returned " << stats.rows_returned
            << ", withheld " << stats.rows_withheld << "; values shown raw " << stats.raw << ", masked "
            << stats.masked << ", NULL by a cell filter " << stats.cell_nulled << "; decisions allowed "
            << stats.allowed << ", denied " << stats.denied << "\n";
  EXPECT_GT(stats.rows_returned, 0);
  EXPECT_GT(stats.rows_withheld, 0);
  EXPECT_GT(stats.masked, 0);
  EXPECT_GT(stats.cell_nulled, 0);
  std::string report;
  for (const auto& [kind, f] : findings) {
    report +=
        "\n=== " + kind + ": " + std::to_string(f.count) + " mismatches; smallest example:\n" + f.text + "\n";
  }
  EXPECT_TRUE(findings.empty()) << findings.size() << " kinds of mismatch in " << compared
                                << " comparisons over " << per_shard << " policies:" << report;
  EXPECT_GT(compared, per_shard * 100);
}

INSTANTIATE_TEST_SUITE_P(Seeds, EngineVsReference, ::testing::Range(0, kShards),
                         [](const auto& info) { return "shard" + std::to_string(info.param); });

}  // namespace
}  // namespace cairn::authz_test
