#include "cairn/authz/policy_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "cairn/catalog/error.h"

namespace cairn::authz {

using catalog::Grant;
using catalog::Permission;
using catalog::PermissionSet;
using catalog::ResourceKind;
using catalog::Timestamp;

namespace {

// ---- permission sets -------------------------------------------------------------------------------

constexpr PermissionSet bits(std::initializer_list<Permission> list) {
  PermissionSet s = 0;
  for (Permission p : list) s = static_cast<PermissionSet>(s | catalog::bit(p));
  return s;
}

constexpr PermissionSet kTablePerms = bits({Permission::Select, Permission::Describe, Permission::Alter,
                                            Permission::Drop, Permission::Insert, Permission::Delete});
constexpr PermissionSet kDatabasePerms =
    bits({Permission::Alter, Permission::Drop, Permission::Describe, Permission::CreateTable});
constexpr PermissionSet kCatalogPerms = bits({Permission::CreateDatabase, Permission::Describe});

/// The concrete permissions ALL stands for on a resource kind (R1).
PermissionSet all_for(const Grant& g) {
  switch (g.kind) {
    case ResourceKind::Catalog:
      return kCatalogPerms;
    case ResourceKind::Database:
      return kDatabasePerms;
    case ResourceKind::Table:
    case ResourceKind::TableWildcard:
      return kTablePerms;
    case ResourceKind::TableWithColumns:
      return catalog::bit(Permission::Select);
    case ResourceKind::DataLocation:
      return catalog::bit(Permission::DataLocationAccess);
    case ResourceKind::DataCellsFilter:
      return bits({Permission::Select, Permission::Describe, Permission::Drop});
    case ResourceKind::TagPolicy:
      return g.tag_resource_type == "DATABASE" ? kDatabasePerms : kTablePerms;
  }
  return 0;
}

PermissionSet expand(PermissionSet set, const Grant& g) {
  if (catalog::has(set, Permission::All)) {
    set = static_cast<PermissionSet>((set & ~catalog::bit(Permission::All)) | all_for(g));
  }
  return static_cast<PermissionSet>(set & all_for(g));
}

std::string perm_list(PermissionSet set) {
  std::string out;
  for (const std::string& name : catalog::permission_names(set)) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// ---- compiled grants ---------------------------------------------------------------------------------

struct CompiledGrant {
  Grant grant;
  PermissionSet perms = 0;      ///< ALL expanded
  PermissionSet grantable = 0;  ///< ALL expanded
  std::string id;               ///< "grant:<id>"
  std::map<std::string, Mask> masks;
  std::set<std::string> columns;   ///< TableWithColumns include list
  std::set<std::string> excluded;  ///< TableWithColumns exclude list

  bool live(Timestamp now) const { return !grant.expires_at || now < *grant.expires_at; }
  bool has_select() const { return catalog::has(perms, Permission::Select); }
};

using GrantList = std::vector<const CompiledGrant*>;

/// Hash for heterogeneous (string_view) lookups, so a key built on the stack needs no allocation.
struct SvHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using SvMap = std::unordered_map<std::string, V, SvHash, std::equal_to<>>;

/// "db\x1ftable": one key for one table, built once per decision (names never contain \x1f).
class TableKey {
 public:
  TableKey(const std::string& db, const std::string& table) {
    const std::size_t n = db.size() + 1 + table.size();
    if (n <= sizeof(buf_)) {
      std::memcpy(buf_, db.data(), db.size());
      buf_[db.size()] = '\x1f';
      std::memcpy(buf_ + db.size() + 1, table.data(), table.size());
      view_ = std::string_view(buf_, n);
    } else {
      big_ = db + '\x1f' + table;
      view_ = big_;
    }
  }
  std::string_view view() const { return view_; }

 private:
  char buf_[192];
  std::string big_;
  std::string_view view_;
};

template <class V>
const V* find_flat(const SvMap<V>& map, const TableKey& key) {
  auto it = map.find(key.view());
  return it == map.end() ? nullptr : &it->second;
}

/// Every grant of one principal, indexed by what it is on.
/// The fields a table-level decision reads, stored by value next to each other: a decision touches one
/// contiguous vector per bucket instead of one scattered CompiledGrant per grant (cache misses dominate).
struct HotGrant {
  ResourceKind kind = ResourceKind::Table;
  PermissionSet perms = 0;
  PermissionSet grantable = 0;
  Timestamp expires = INT64_MAX;  ///< the grant counts while now < expires
  const CompiledGrant* grant = nullptr;
  bool live(Timestamp now) const { return now < expires; }
};
using HotList = std::vector<HotGrant>;

HotGrant hot(const CompiledGrant* c) {
  return HotGrant{c->grant.kind, c->perms, c->grantable, c->grant.expires_at.value_or(INT64_MAX), c};
}

struct PrincipalGrants {
  std::vector<std::unique_ptr<CompiledGrant>> owned;
  SvMap<HotList> table_hot;  ///< TABLE, TABLE_WITH_COLUMNS, DATA_CELLS_FILTER keyed by TableKey
  GrantList catalog;
  std::unordered_map<std::string, GrantList> by_database;  ///< DATABASE
  std::unordered_map<std::string, HotList> wildcard;       ///< TABLE_WILDCARD, by database
  /// TABLE, TABLE_WITH_COLUMNS, DATA_CELLS_FILTER: database -> table -> grants
  std::unordered_map<std::string, std::unordered_map<std::string, GrantList>> by_table;
  GrantList tag_database;
  GrantList tag_table;
  GrantList locations;
};

std::unique_ptr<CompiledGrant> compile_grant(Grant g) {
  auto c = std::make_unique<CompiledGrant>();
  c->perms = expand(g.permissions, g);
  c->grantable = static_cast<PermissionSet>(expand(g.grantable, g) & c->perms);
  c->id = "grant:" + std::to_string(g.id);
  for (const auto& [column, spec] : g.column_masks) {
    try {
      c->masks.emplace(column, parse_mask(spec, "column_masks"));
    } catch (const Error&) {
      c->masks.emplace(column, Mask{Mask::Kind::Null, 0});  // unreadable mask: fail closed
    }
  }
  c->columns.insert(g.columns.begin(), g.columns.end());
  c->excluded.insert(g.excluded_columns.begin(), g.excluded_columns.end());
  c->grant = std::move(g);
  return c;
}

std::shared_ptr<const PrincipalGrants> index_grants(std::vector<Grant> grants) {
  auto pg = std::make_shared<PrincipalGrants>();
  pg->owned.reserve(grants.size());
  for (Grant& g : grants) pg->owned.push_back(compile_grant(std::move(g)));
  for (const auto& owned : pg->owned) {
    const CompiledGrant* c = owned.get();
    const Grant& g = c->grant;
    switch (g.kind) {
      case ResourceKind::Catalog:
        pg->catalog.push_back(c);
        break;
      case ResourceKind::Database:
        pg->by_database[g.database].push_back(c);
        break;
      case ResourceKind::TableWildcard:
        pg->wildcard[g.database].push_back(hot(c));
        break;
      case ResourceKind::Table:
      case ResourceKind::TableWithColumns:
      case ResourceKind::DataCellsFilter:
        pg->by_table[g.database][g.table].push_back(c);
        pg->table_hot[std::string(TableKey(g.database, g.table).view())].push_back(hot(c));
        break;
      case ResourceKind::DataLocation:
        pg->locations.push_back(c);
        break;
      case ResourceKind::TagPolicy:
        (g.tag_resource_type == "DATABASE" ? pg->tag_database : pg->tag_table).push_back(c);
        break;
    }
  }
  return pg;
}

// ---- tags --------------------------------------------------------------------------------------------

using TagMap = std::map<std::string, std::string, std::less<>>;

struct TagIndex {
  std::unordered_map<std::string, TagMap> database;
  /// database -> table -> tags
  std::unordered_map<std::string, std::unordered_map<std::string, TagMap>> table;
  /// database -> table -> column -> tags
  std::unordered_map<std::string, std::unordered_map<std::string, std::map<std::string, TagMap>>> column;
};

template <class Map>
const typename Map::mapped_type* find_in(const Map& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

struct TagValue {
  const std::string* value = nullptr;
  const char* source = "";
};

/// The explicit tags that bear on one table, looked up once per decision: its database's, its own and its
/// columns'. Evaluating a tag expression against a view needs no hashing of names.
struct TagView {
  const TagMap* database = nullptr;
  const TagMap* table = nullptr;
  const std::map<std::string, TagMap>* columns = nullptr;

  static TagView of(const TagIndex& tags, const std::string& db, const std::string& table_name) {
    TagView v;
    v.database = find_in(tags.database, db);
    if (!table_name.empty()) {
      if (const auto* tables = find_in(tags.table, db)) v.table = find_in(*tables, table_name);
      if (const auto* tables = find_in(tags.column, db)) v.columns = find_in(*tables, table_name);
    }
    return v;
  }
  /// The explicit tags of a column, or nullptr.
  const TagMap* column(const std::string& name) const {
    if (columns == nullptr) return nullptr;
    auto it = columns->find(name);
    return it == columns->end() ? nullptr : &it->second;
  }
  /// Effective value of `key` (TG2) on the table, or on a column with explicit tags `column_tags`, and where
  /// it was assigned.
  TagValue lookup(const std::string& key, const TagMap* column_tags) const {
    const std::pair<const TagMap*, const char*> levels[] = {
        {column_tags, "column"}, {table, "table"}, {database, "database"}};
    for (const auto& [map, source] : levels) {
      if (map == nullptr) continue;
      if (auto it = map->find(key); it != map->end()) return {&it->second, source};
    }
    return {};
  }
  /// The first condition of `expr` the table (column_tags null) or column fails, or nullptr (TG3).
  const catalog::TagCondition* failing(const std::vector<catalog::TagCondition>& expr,
                                       const TagMap* column_tags) const {
    for (const catalog::TagCondition& cond : expr) {
      const std::string* v = lookup(cond.key, column_tags).value;
      if (v == nullptr || !std::binary_search(cond.values.begin(), cond.values.end(), *v)) return &cond;
    }
    return nullptr;
  }
  bool matches(const std::vector<catalog::TagCondition>& expr, const TagMap* column_tags) const {
    return failing(expr, column_tags) == nullptr;
  }
  /// Some column with explicit tags matches.
  bool some_column_matches(const std::vector<catalog::TagCondition>& expr) const {
    if (columns == nullptr) return false;
    for (const auto& [_, column_tags] : *columns) {
      if (matches(expr, &column_tags)) return true;
    }
    return false;
  }
};

/// Effective value of `key` on a database, table or column (TG2).
TagValue effective_value(const TagIndex& tags, const std::string& db, const std::string& table,
                         const std::string& column, const std::string& key) {
  const TagView view = TagView::of(tags, db, table);
  return view.lookup(key, column.empty() ? nullptr : view.column(column));
}

/// The first condition of `expr` the object fails, or nullptr when it matches (TG3).
const catalog::TagCondition* failing_condition(const TagIndex& tags,
                                               const std::vector<catalog::TagCondition>& expr,
                                               const std::string& db, const std::string& table,
                                               const std::string& column) {
  const TagView view = TagView::of(tags, db, table);
  return view.failing(expr, column.empty() ? nullptr : view.column(column));
}

bool tags_match(const TagIndex& tags, const std::vector<catalog::TagCondition>& expr, const std::string& db,
                const std::string& table, const std::string& column) {
  return failing_condition(tags, expr, db, table, column) == nullptr;
}

bool some_tagged_column_matches(const TagIndex& tags, const std::vector<catalog::TagCondition>& expr,
                                const std::string& db, const std::string& table) {
  return TagView::of(tags, db, table).some_column_matches(expr);
}

std::string expression_text(const std::vector<catalog::TagCondition>& expr) {
  std::string out;
  for (const auto& cond : expr) {
    if (!out.empty()) out += " AND ";
    out += cond.key + " in (";
    for (std::size_t i = 0; i < cond.values.size(); ++i) out += (i ? ", " : "") + cond.values[i];
    out += ")";
  }
  return out;
}

// ---- filters -----------------------------------------------------------------------------------------

/// database -> table -> name -> filter
using FilterIndex =
    std::unordered_map<std::string,
                       std::unordered_map<std::string, std::map<std::string, catalog::DataCellsFilter>>>;

}  // namespace

// ---- the snapshot ------------------------------------------------------------------------------------

class PolicySnapshotImpl {
 public:
  std::int64_t epoch = 0;
  std::size_t grant_count = 0;
  std::unordered_map<std::string, std::shared_ptr<const PrincipalGrants>> principals;
  std::shared_ptr<const TagIndex> tags;
  std::shared_ptr<const FilterIndex> filters;
  std::shared_ptr<const std::unordered_map<std::string, std::vector<std::string>>> groups_of_user;
  std::shared_ptr<const std::vector<catalog::DataLocation>> locations;

  /// The subjects of a principal: itself, its groups, EVERYONE (P1).
  std::vector<std::string> subjects(const std::string& principal) const {
    std::vector<std::string> out{principal};
    if (principal.rfind("user:", 0) == 0) {
      auto it = groups_of_user->find(principal.substr(5));
      if (it != groups_of_user->end()) {
        for (const std::string& g : it->second) out.push_back("group:" + g);
      }
    }
    if (principal != catalog::kEveryone) out.emplace_back(catalog::kEveryone);
    return out;
  }

  /// principal -> its buckets (own, its groups', EVERYONE's), for every principal with grants or groups.
  std::unordered_map<std::string, std::vector<const PrincipalGrants*>> buckets_of;

  void build_buckets() {
    buckets_of.clear();
    auto add = [&](const std::string& principal) {
      if (buckets_of.contains(principal)) return;
      std::vector<const PrincipalGrants*> list;
      for_each_bucket_slow(principal, [&](const PrincipalGrants& pg) { list.push_back(&pg); });
      buckets_of.emplace(principal, std::move(list));
    };
    for (const auto& [principal, _] : principals) add(principal);
    for (const auto& [user, _] : *groups_of_user) add("user:" + user);
  }

  template <class Fn>
  void for_each_bucket(const std::string& principal, Fn&& fn) const {
    auto it = buckets_of.find(principal);
    if (it == buckets_of.end()) {
      for_each_bucket_slow(principal, fn);
      return;
    }
    for (const PrincipalGrants* pg : it->second) fn(*pg);
  }

  template <class Fn>
  void for_each_bucket_slow(const std::string& principal, Fn&& fn) const {
    for (const std::string& id : subjects(principal)) {
      auto it = principals.find(id);
      if (it != principals.end()) fn(*it->second);
    }
  }

  const catalog::DataCellsFilter* filter(const std::string& db, const std::string& table,
                                         const std::string& name) const {
    const auto* tables = find_in(*filters, db);
    if (tables == nullptr) return nullptr;
    const auto* names = find_in(*tables, table);
    if (names == nullptr) return nullptr;
    auto it = names->find(name);
    return it == names->end() ? nullptr : &it->second;
  }

  /// What `principal` holds on a table. With `ids` false no deciding ids are collected, and with `stop`
  /// non-zero the search ends as soon as one of those permissions is found (the fast boolean path used to
  /// filter lists).
  Held on_table(const std::string& principal, const std::string& db, const std::string& table, Timestamp now,
                bool ids = true, PermissionSet stop = 0) const {
    Held held;
    std::optional<TagView> view;
    bool done = false;
    auto note = [&](const CompiledGrant& g) {
      if (ids) held.deciding_ids.push_back(g.id);
      if (stop != 0 && (held.permissions & stop) != 0) done = true;
    };
    auto add_whole = [&](PermissionSet perms, PermissionSet grantable, const CompiledGrant& g) {
      held.whole_table |= perms;
      held.permissions |= perms;
      held.grantable |= grantable;
      note(g);
    };
    const TableKey key(db, table);
    for_each_bucket(principal, [&](const PrincipalGrants& pg) {
      if (done) return;
      if (const auto* grants = find_flat(pg.table_hot, key)) {
        for (const HotGrant& h : *grants) {
          if (!h.live(now)) continue;
          if (h.kind == ResourceKind::Table) {
            add_whole(h.perms, h.grantable, *h.grant);
          } else if (h.kind == ResourceKind::TableWithColumns) {
            held.permissions |= h.perms;
            note(*h.grant);
          } else if (h.kind == ResourceKind::DataCellsFilter && catalog::has(h.perms, Permission::Select) &&
                     filter(db, table, h.grant->grant.filter_name) != nullptr) {
            held.permissions |= catalog::bit(Permission::Select);
            note(*h.grant);
          }
          if (done) return;
        }
      }
      if (auto it = pg.wildcard.find(db); it != pg.wildcard.end()) {
        for (const HotGrant& h : it->second) {
          if (h.live(now)) add_whole(h.perms, h.grantable, *h.grant);
          if (done) return;
        }
      }
    });
    // Tag policies last, across all buckets: they cost the most to evaluate, and the boolean path often
    // stops before reaching them.
    for_each_bucket(principal, [&](const PrincipalGrants& pg) {
      if (done) return;
      if (!pg.tag_table.empty() && !view) view = TagView::of(*tags, db, table);
      for (const CompiledGrant* g : pg.tag_table) {
        if (!g->live(now)) continue;
        if (view->matches(g->grant.tag_expression, nullptr)) {
          add_whole(g->perms, g->grantable, *g);
        } else if (g->has_select() && view->some_column_matches(g->grant.tag_expression)) {
          held.permissions |= catalog::bit(Permission::Select);
          note(*g);
        }
        if (done) return;
      }
    });
    if (held.permissions != 0) held.permissions |= catalog::bit(Permission::Describe);  // C2
    return held;
  }

  Held on_database(const std::string& principal, const std::string& db, Timestamp now) const {
    Held held;
    for_each_bucket(principal, [&](const PrincipalGrants& pg) {
      if (const auto* grants = find_in(pg.by_database, db)) {
        for (const CompiledGrant* g : *grants) {
          if (!g->live(now)) continue;
          held.permissions |= g->perms;
          held.grantable |= g->grantable;
          held.deciding_ids.push_back(g->id);
        }
      }
      for (const CompiledGrant* g : pg.tag_database) {
        if (g->live(now) && tags_match(*tags, g->grant.tag_expression, db, "", "")) {
          held.permissions |= g->perms;
          held.grantable |= g->grantable;
          held.deciding_ids.push_back(g->id);
        }
      }
    });
    return held;
  }

  /// C3: some grant reaches a table of `db`. Returns the deciding grant id or "".
  std::string table_reach(const std::string& principal, const std::string& db, Timestamp now) const {
    std::string found;
    for_each_bucket(principal, [&](const PrincipalGrants& pg) {
      if (!found.empty()) return;
      if (const auto* tables = find_in(pg.by_table, db)) {
        for (const auto& [table, grants] : *tables) {
          for (const CompiledGrant* g : grants) {
            // DESCRIBE/DROP on a data cells filter show neither its table nor the database (C3).
            if (g->grant.kind == ResourceKind::DataCellsFilter && !g->has_select()) continue;
            if (g->live(now) && g->perms != 0) {
              found = g->id;
              return;
            }
          }
        }
      }
      if (const auto* grants = find_in(pg.wildcard, db)) {
        for (const HotGrant& h : *grants) {
          if (h.live(now) && h.perms != 0) {
            found = h.grant->id;
            return;
          }
        }
      }
      for (const CompiledGrant* g : pg.tag_table) {
        if (!g->live(now)) continue;
        const auto& expr = g->grant.tag_expression;
        bool reach = tags_match(*tags, expr, db, "", "");
        if (!reach) {
          if (const auto* tables = find_in(tags->table, db)) {
            for (const auto& [table, _] : *tables) {
              if (tags_match(*tags, expr, db, table, "")) {
                reach = true;
                break;
              }
            }
          }
        }
        if (!reach && g->has_select()) {
          if (const auto* tables = find_in(tags->column, db)) {
            for (const auto& [table, _] : *tables) {
              if (some_tagged_column_matches(*tags, expr, db, table)) {
                reach = true;
                break;
              }
            }
          }
        }
        if (reach) {
          found = g->id;
          return;
        }
      }
    });
    return found;
  }

  Held on_catalog(const std::string& principal, Timestamp now) const {
    Held held;
    for_each_bucket(principal, [&](const PrincipalGrants& pg) {
      for (const CompiledGrant* g : pg.catalog) {
        if (!g->live(now)) continue;
        held.permissions |= g->perms;
        held.grantable |= g->grantable;
        held.deciding_ids.push_back(g->id);
      }
    });
    return held;
  }

  Held on_filter(const std::string& principal, const std::string& db, const std::string& table,
                 const std::string& name, Timestamp now) const {
    Held held;
    if (filter(db, table, name) == nullptr) return held;
    for_each_bucket(principal, [&](const PrincipalGrants& pg) {
      if (const auto* tables = find_in(pg.by_table, db)) {
        if (const auto* grants = find_in(*tables, table)) {
          for (const CompiledGrant* g : *grants) {
            if (g->live(now) && g->grant.kind == ResourceKind::DataCellsFilter &&
                g->grant.filter_name == name) {
              held.permissions |= g->perms;
              held.grantable |= g->grantable;
              held.deciding_ids.push_back(g->id);
            }
          }
        }
      }
    });
    return held;
  }

  std::optional<catalog::DataLocation> location_for(const std::string& uri) const {
    const catalog::DataLocation* best = nullptr;
    for (const catalog::DataLocation& loc : *locations) {
      const std::string& prefix = loc.uri;
      if (uri.size() < prefix.size() || uri.compare(0, prefix.size(), prefix) != 0) continue;
      if (uri.size() > prefix.size() && uri[prefix.size()] != '/') continue;  // path boundary
      if (best == nullptr || prefix.size() > best->uri.size()) best = &loc;
    }
    if (best == nullptr) return std::nullopt;
    return *best;
  }

  Held on_location(const std::string& principal, const std::string& uri, Timestamp now) const {
    Held held;
    for_each_bucket(principal, [&](const PrincipalGrants& pg) {
      for (const CompiledGrant* g : pg.locations) {
        if (!g->live(now)) continue;
        const std::string& prefix = g->grant.location;
        if (uri.size() < prefix.size() || uri.compare(0, prefix.size(), prefix) != 0) continue;
        if (uri.size() > prefix.size() && uri[prefix.size()] != '/') continue;
        held.permissions |= g->perms;
        held.grantable |= g->grantable;
        held.deciding_ids.push_back(g->id);
      }
    });
    return held;
  }
};

namespace {

// ---- SELECT sources and their combination (docs/authorization.md 5.2) ------------------------------

struct Source {
  std::shared_ptr<const RowFilter> predicate;  ///< null: all rows
  std::vector<bool> columns;                   ///< by column index
  std::vector<std::optional<Mask>> masks;      ///< by column index
  std::vector<std::string> ids;
};

struct TableColumns {
  std::vector<catalog::Column> all;  ///< data columns then partition keys
  std::size_t data_count = 0;
  std::unordered_map<std::string, std::size_t> index;

  explicit TableColumns(const catalog::Table& t) {
    all = t.storage_descriptor.columns;
    data_count = all.size();
    all.insert(all.end(), t.partition_keys.begin(), t.partition_keys.end());
    for (std::size_t i = 0; i < all.size(); ++i) index.emplace(all[i].name, i);
  }
  std::vector<std::string> partition_key_names() const {
    std::vector<std::string> out;
    for (std::size_t i = data_count; i < all.size(); ++i) out.push_back(all[i].name);
    return out;
  }
};

/// Masks of a grant or filter, by column index (columns the table lacks are ignored).
std::vector<std::optional<Mask>> masks_by_index(const TableColumns& cols,
                                                const std::map<std::string, Mask>& masks) {
  std::vector<std::optional<Mask>> out(cols.all.size());
  for (const auto& [name, mask] : masks) {
    auto it = cols.index.find(name);
    if (it == cols.index.end()) continue;
    try {
      check_mask_applies(mask, cols.all[it->second].type, "column_masks");
      out[it->second] = mask;
    } catch (const Error&) {
      out[it->second] = Mask{Mask::Kind::Null, 0};  // the column's type changed under the mask: fail closed
    }
  }
  return out;
}

/// A filter that no longer parses against its table (F1), for explain.
struct BrokenFilter {
  std::string id;
  std::string problem;
};

struct Collected {
  std::vector<Source> sources;
  std::vector<BrokenFilter> broken;
  std::vector<std::string> expired;
};

Collected collect_sources(const PolicySnapshotImpl& s, const std::string& principal,
                          const catalog::Table& table, const TableColumns& cols, Timestamp now) {
  Collected out;
  const std::string& db = table.database_name;
  const std::size_t n = cols.all.size();
  auto whole = [&](const CompiledGrant& g) {
    Source src;
    src.columns.assign(n, true);
    src.masks = masks_by_index(cols, g.masks);
    src.ids.push_back(g.id);
    out.sources.push_back(std::move(src));
  };
  std::optional<TagView> view;
  std::vector<const TagMap*> column_tags;
  auto note_expired = [&](const CompiledGrant& g) {
    if (!g.live(now)) out.expired.push_back("expired:" + g.id);
    return g.live(now);
  };
  s.for_each_bucket(principal, [&](const PrincipalGrants& pg) {
    if (const auto* tables = find_in(pg.by_table, db)) {
      if (const auto* grants = find_in(*tables, table.name)) {
        for (const CompiledGrant* g : *grants) {
          if (!g->has_select() || !note_expired(*g)) continue;
          if (g->grant.kind == ResourceKind::Table) {
            whole(*g);
          } else if (g->grant.kind == ResourceKind::TableWithColumns) {
            Source src;
            src.columns.assign(n, false);
            for (std::size_t i = 0; i < n; ++i) {
              const std::string& name = cols.all[i].name;
              src.columns[i] =
                  g->grant.column_wildcard ? !g->excluded.contains(name) : g->columns.contains(name);
            }
            src.masks = masks_by_index(cols, g->masks);
            src.ids.push_back(g->id);
            out.sources.push_back(std::move(src));
          } else if (g->grant.kind == ResourceKind::DataCellsFilter) {
            const catalog::DataCellsFilter* f = s.filter(db, table.name, g->grant.filter_name);
            if (f == nullptr) continue;
            const std::string fid = "filter:" + db + "." + table.name + "." + f->name;
            Source src;
            if (!f->all_rows) {
              try {
                src.predicate = RowFilter::parse(f->row_filter, cols.all, "row_filter");
              } catch (const Error& e) {
                out.broken.push_back({fid, e.what()});  // F1: fail closed
                continue;
              }
            }
            src.columns.assign(n, false);
            std::set<std::string> include(f->columns.begin(), f->columns.end());
            std::set<std::string> exclude(f->excluded_columns.begin(), f->excluded_columns.end());
            for (std::size_t i = 0; i < n; ++i) {
              const std::string& name = cols.all[i].name;
              src.columns[i] = f->column_wildcard ? !exclude.contains(name) : include.contains(name);
            }
            std::map<std::string, Mask> masks;
            for (const auto& [column, spec] : f->column_masks) {
              try {
                masks.emplace(column, parse_mask(spec, "column_masks"));
              } catch (const Error&) {
                masks.emplace(column, Mask{Mask::Kind::Null, 0});
              }
            }
            src.masks = masks_by_index(cols, masks);
            src.ids = {fid, g->id};
            out.sources.push_back(std::move(src));
          }
        }
      }
    }
    if (const auto* grants = find_in(pg.wildcard, db)) {
      for (const HotGrant& h : *grants) {
        if (h.grant->has_select() && note_expired(*h.grant)) whole(*h.grant);
      }
    }
    for (const CompiledGrant* g : pg.tag_table) {
      if (!g->has_select()) continue;
      const auto& expr = g->grant.tag_expression;
      if (!view) {
        view = TagView::of(*s.tags, db, table.name);
        column_tags.resize(n);
        for (std::size_t i = 0; i < n; ++i) column_tags[i] = view->column(cols.all[i].name);
      }
      // Columns without explicit tags have the table's effective tags (TG2): one evaluation serves them all.
      const bool table_match = view->matches(expr, nullptr);
      Source src;
      src.columns.assign(n, false);
      bool any = false;
      for (std::size_t i = 0; i < n; ++i) {
        src.columns[i] = column_tags[i] == nullptr ? table_match : view->matches(expr, column_tags[i]);
        any = any || src.columns[i];
      }
      if (!any || !note_expired(*g)) continue;
      src.masks = masks_by_index(cols, g->masks);
      src.ids.push_back(g->id);
      out.sources.push_back(std::move(src));
    }
  });
  return out;
}

/// Distinct predicates (by canonical text), sorted; `all_rows` when one of `preds` is null.
struct PredicateSet {
  bool all_rows = false;
  std::map<std::string, std::shared_ptr<const RowFilter>> by_text;

  void add(const std::shared_ptr<const RowFilter>& p) {
    if (!p) {
      all_rows = true;
      return;
    }
    by_text.emplace(p->canonical_text(), p);
  }
  std::vector<std::shared_ptr<const RowFilter>> list() const {
    std::vector<std::shared_ptr<const RowFilter>> out;
    for (const auto& [_, p] : by_text) out.push_back(p);
    return out;
  }
  bool operator==(const PredicateSet& other) const {
    if (all_rows || other.all_rows) return all_rows == other.all_rows;
    if (by_text.size() != other.by_text.size()) return false;
    return std::equal(by_text.begin(), by_text.end(), other.by_text.begin(),
                      [](const auto& a, const auto& b) { return a.first == b.first; });
  }
};

std::string predicate_text(const PredicateSet& set) {
  if (set.all_rows) return "";
  std::string text;
  for (const auto& [t, _] : set.by_text) {
    if (!text.empty()) text += " OR ";
    text += set.by_text.size() == 1 ? t : "(" + t + ")";
  }
  return text;
}

void append_unique(std::vector<std::string>& out, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
}

/// Applies S1–S5 to the sources.
void combine_sources(const std::vector<Source>& sources, const TableColumns& cols, TableAccess& access) {
  PredicateSet table_set;
  for (const Source& src : sources) {
    bool any = std::find(src.columns.begin(), src.columns.end(), true) != src.columns.end();
    if (any) table_set.add(src.predicate);
  }
  // No source at all means no rows (not "all rows"): an engine must never read a table the caller cannot
  // SELECT from, and a filter that fails closed (F1) leaves exactly that.
  access.all_rows = table_set.all_rows;
  if (!access.all_rows && !table_set.by_text.empty()) {
    access.row_filters = table_set.list();
    access.row_filter = predicate_text(table_set);
    // S5: prune partitions when every predicate is over partition keys.
    const std::vector<std::string> keys = cols.partition_key_names();
    std::vector<catalog::Column> key_columns(cols.all.begin() + static_cast<std::ptrdiff_t>(cols.data_count),
                                             cols.all.end());
    std::string partition_filter;
    bool prunable = !keys.empty();
    for (const auto& p : access.row_filters) {
      if (!prunable) break;
      std::optional<std::string> expr;
      if (p->references_only(keys)) expr = p->to_partition_expression(key_columns);
      if (!expr) {
        prunable = false;
        break;
      }
      if (!partition_filter.empty()) partition_filter += " OR ";
      partition_filter += access.row_filters.size() == 1 ? *expr : "(" + *expr + ")";
    }
    if (prunable) access.partition_filter = partition_filter;
  }

  for (std::size_t i = 0; i < cols.all.size(); ++i) {
    // Group the sources that include column i by outcome: unmasked, or each mask (S4).
    struct Outcome {
      std::optional<Mask> mask;
      PredicateSet preds;
      std::vector<std::string> ids;
    };
    std::vector<Outcome> outcomes;
    PredicateSet column_set;
    std::vector<std::string> ids;
    for (const Source& src : sources) {
      if (!src.columns[i]) continue;
      column_set.add(src.predicate);
      append_unique(ids, src.ids);
      auto it = std::find_if(outcomes.begin(), outcomes.end(),
                             [&](const Outcome& o) { return o.mask == src.masks[i]; });
      if (it == outcomes.end()) {
        outcomes.push_back(Outcome{src.masks[i], {}, {}});
        it = std::prev(outcomes.end());
      }
      it->preds.add(src.predicate);
      append_unique(it->ids, src.ids);
    }
    if (outcomes.empty()) continue;
    std::stable_sort(outcomes.begin(), outcomes.end(), [](const Outcome& a, const Outcome& b) {
      const int ra = a.mask ? mask_rank(*a.mask) : INT_MAX;
      const int rb = b.mask ? mask_rank(*b.mask) : INT_MAX;
      return ra > rb;
    });
    ColumnAccess column;
    column.name = cols.all[i].name;
    column.type = cols.all[i].type;
    column.comment = cols.all[i].comment;
    column.partition_key = i >= cols.data_count;
    column.deciding_ids = ids;
    for (Outcome& o : outcomes) {
      ColumnRule rule;
      if (!o.preds.all_rows) rule.predicates = o.preds.list();
      rule.predicate_text = predicate_text(o.preds);
      rule.mask = o.mask;
      rule.deciding_ids = std::move(o.ids);
      const bool ends = o.preds.all_rows;
      column.rules.push_back(std::move(rule));
      if (ends) break;  // an all-rows rule covers every remaining row
    }
    if (!(column_set == table_set)) column.cell_filter = predicate_text(column_set);  // S3
    access.columns.push_back(std::move(column));
  }
}

std::string describe_resource(const Resource& r) {
  if (!r.filter.empty()) return "data cells filter " + r.database + "." + r.table + "." + r.filter;
  if (!r.table.empty()) return "table " + r.database + "." + r.table;
  if (!r.database.empty()) return "database " + r.database;
  if (!r.principal.empty()) return "principal " + r.principal;
  return "the catalog";
}

Decision allow(std::string reason, std::vector<std::string> ids) {
  return Decision{true, std::move(reason), std::move(ids)};
}
Decision deny(std::string reason) {
  return Decision{false, std::move(reason), {}};
}

/// Allowed when `held` has `p`.
Decision need(const std::string& who, const Held& held, Permission p, const Resource& r) {
  if (catalog::has(held.permissions, p)) {
    return allow(who + " holds " + catalog::permission_name(p) + " on " + describe_resource(r),
                 held.deciding_ids);
  }
  return deny(who + " lacks " + std::string(catalog::permission_name(p)) + " on " + describe_resource(r));
}

Decision need_grantable(const std::string& who, const Held& held, Permission p, const Resource& r) {
  if (catalog::has(held.grantable, p)) {
    return allow(
        who + " holds " + catalog::permission_name(p) + " with grant option on " + describe_resource(r),
        held.deciding_ids);
  }
  return deny(who + " lacks " + std::string(catalog::permission_name(p)) + " with grant option on " +
              describe_resource(r));
}

}  // namespace

// ---- free functions ----------------------------------------------------------------------------------

std::string principal_id(const PrincipalRef& principal) {
  return std::string(catalog::principal_kind_name(principal.kind)) + ":" + principal.name;
}

std::string principal_id_to_arn(const std::string& id, const std::string& catalog_id) {
  if (id == catalog::kEveryone) return id;
  const auto colon = id.find(':');
  if (colon == std::string::npos) return id;
  return "arn:aws:iam::" + catalog_id + ":" + id.substr(0, colon) + "/" + id.substr(colon + 1);
}

Subject subject_of(const Caller& caller) {
  return Subject{principal_id(caller.principal), caller.is_admin};
}

Subject subject_of_id(const std::string& id) {
  static const std::string admin =
      principal_id(PrincipalRef{catalog::PrincipalKind::User, std::string(kAdminUser)});
  return Subject{id, id == admin};
}

// ---- PolicySnapshot ----------------------------------------------------------------------------------

PolicySnapshot::PolicySnapshot(std::shared_ptr<const PolicySnapshotImpl> impl) : impl_(std::move(impl)) {}
PolicySnapshot::~PolicySnapshot() = default;

std::shared_ptr<const PolicySnapshot> PolicySnapshot::compile(catalog::PolicyData data) {
  auto impl = std::make_shared<PolicySnapshotImpl>();
  impl->epoch = data.epoch;
  impl->grant_count = data.grants.size();
  std::unordered_map<std::string, std::vector<Grant>> by_principal;
  for (Grant& g : data.grants) {
    std::string principal = g.principal;
    by_principal[principal].push_back(std::move(g));
  }
  for (auto& [principal, grants] : by_principal)
    impl->principals.emplace(principal, index_grants(std::move(grants)));

  auto tags = std::make_shared<TagIndex>();
  for (const catalog::TagAssignment& a : data.tag_assignments) {
    if (a.table.empty()) {
      tags->database[a.database][a.key] = a.value;
    } else if (a.column.empty()) {
      tags->table[a.database][a.table][a.key] = a.value;
    } else {
      tags->column[a.database][a.table][a.column][a.key] = a.value;
    }
  }
  impl->tags = std::move(tags);

  auto filters = std::make_shared<FilterIndex>();
  for (catalog::DataCellsFilter& f : data.filters) {
    std::string db = f.database, table = f.table, name = f.name;
    (*filters)[db][table].emplace(name, std::move(f));
  }
  impl->filters = std::move(filters);

  auto groups = std::make_shared<std::unordered_map<std::string, std::vector<std::string>>>();
  for (const auto& [group, members] : data.group_members) {
    for (const std::string& user : members) (*groups)[user].push_back(group);
  }
  for (auto& [_, list] : *groups) std::sort(list.begin(), list.end());
  impl->groups_of_user = std::move(groups);
  impl->locations = std::make_shared<const std::vector<catalog::DataLocation>>(std::move(data.locations));
  impl->build_buckets();
  return std::make_shared<const PolicySnapshot>(std::move(impl));
}

std::shared_ptr<const PolicySnapshot> PolicySnapshot::with_principal_grants(
    const std::string& principal, std::vector<Grant> grants, std::optional<std::int64_t> epoch) const {
  auto impl = std::make_shared<PolicySnapshotImpl>(*impl_);  // shares every component
  auto it = impl->principals.find(principal);
  std::size_t before = 0;
  if (it != impl->principals.end()) {
    before = it->second->owned.size();
    impl->principals.erase(it);
  }
  impl->grant_count = impl->grant_count - before + grants.size();
  if (!grants.empty()) impl->principals.emplace(principal, index_grants(std::move(grants)));
  if (epoch) impl->epoch = *epoch;
  impl->build_buckets();
  return std::make_shared<const PolicySnapshot>(std::move(impl));
}

std::int64_t PolicySnapshot::epoch() const {
  return impl_->epoch;
}
std::size_t PolicySnapshot::grant_count() const {
  return impl_->grant_count;
}

std::vector<std::string> PolicySnapshot::groups_of(const std::string& principal) const {
  std::vector<std::string> out;
  if (principal.rfind("user:", 0) != 0) return out;
  auto it = impl_->groups_of_user->find(principal.substr(5));
  if (it != impl_->groups_of_user->end()) out = it->second;
  return out;
}

Held PolicySnapshot::on_catalog(const Subject& subject, Timestamp now) const {
  if (subject.is_admin) return Held{kCatalogPerms, kCatalogPerms, 0, {"admin"}};
  return impl_->on_catalog(subject.principal, now);
}

Held PolicySnapshot::on_database(const Subject& subject, const std::string& database, Timestamp now) const {
  if (subject.is_admin) return Held{kDatabasePerms, kDatabasePerms, 0, {"admin"}};
  return impl_->on_database(subject.principal, database, now);
}

Held PolicySnapshot::on_table(const Subject& subject, const std::string& database, const std::string& table,
                              Timestamp now) const {
  if (subject.is_admin) return Held{kTablePerms, kTablePerms, kTablePerms, {"admin"}};
  return impl_->on_table(subject.principal, database, table, now);
}

Held PolicySnapshot::on_filter(const Subject& subject, const std::string& database, const std::string& table,
                               const std::string& name, Timestamp now) const {
  const PermissionSet all = bits({Permission::Select, Permission::Describe, Permission::Drop});
  if (subject.is_admin) return Held{all, all, 0, {"admin"}};
  return impl_->on_filter(subject.principal, database, table, name, now);
}

Held PolicySnapshot::on_location(const Subject& subject, const std::string& uri, Timestamp now) const {
  const PermissionSet dla = catalog::bit(Permission::DataLocationAccess);
  if (subject.is_admin) return Held{dla, dla, 0, {"admin"}};
  return impl_->on_location(subject.principal, uri, now);
}

std::optional<catalog::DataLocation> PolicySnapshot::registered_location_for(const std::string& uri) const {
  return impl_->location_for(uri);
}

Decision PolicySnapshot::decide(const Subject& subject, Action action, const Resource& r,
                                Timestamp now) const {
  if (subject.is_admin) return allow(subject.principal + " is an administrator", {"admin"});
  const PolicySnapshotImpl& s = *impl_;
  const std::string& who = subject.principal;
  auto database_visible = [&]() -> Decision {
    Held held = s.on_database(who, r.database, now);
    if (held.permissions != 0)
      return allow(who + " holds permissions on database " + r.database, held.deciding_ids);
    std::string via = s.table_reach(who, r.database, now);
    if (!via.empty()) return allow(who + " holds permissions on a table of database " + r.database, {via});
    return deny(who + " holds no permission on database " + r.database + " or its tables");
  };
  auto location_check = [&](Decision base) -> Decision {
    if (!base.allowed || r.location.empty()) return base;
    auto loc = s.location_for(r.location);
    if (!loc) return base;
    Held held = s.on_location(who, r.location, now);
    if (!catalog::has(held.permissions, Permission::DataLocationAccess)) {
      return deny(who + " lacks DATA_LOCATION_ACCESS on registered location " + loc->uri +
                  " (table location " + r.location + ")");
    }
    append_unique(base.deciding_ids, held.deciding_ids);
    return base;
  };
  switch (action) {
    case Action::ListDatabases:
    case Action::DescribeGrants:
    case Action::DescribeTagKeys:
      return allow("every caller may " + std::string(action_name(action)) + " (results are filtered)",
                   {"everyone"});
    case Action::DescribeDatabase:
    case Action::ListTables:
      return database_visible();
    case Action::DescribeTable: {
      Held held = s.on_table(who, r.database, r.table, now);
      if (held.permissions != 0)
        return allow(who + " holds permissions on " + describe_resource(r), held.deciding_ids);
      return deny(who + " holds no permission on " + describe_resource(r));
    }
    case Action::ListPartitions:
    case Action::DescribePartition:
      return need(who, s.on_table(who, r.database, r.table, now), Permission::Select, r);
    case Action::CreateDatabase: {
      Resource catalog_resource;
      return need(who, s.on_catalog(who, now), Permission::CreateDatabase, catalog_resource);
    }
    case Action::AlterDatabase:
      return need(who, s.on_database(who, r.database, now), Permission::Alter, r);
    case Action::DropDatabase:
      return need(who, s.on_database(who, r.database, now), Permission::Drop, r);
    case Action::CreateTable: {
      Resource db_resource{r.database, {}, {}, {}, {}};
      return location_check(
          need(who, s.on_database(who, r.database, now), Permission::CreateTable, db_resource));
    }
    case Action::AlterTable:
      return location_check(need(who, s.on_table(who, r.database, r.table, now), Permission::Alter, r));
    case Action::DropTable:
      return need(who, s.on_table(who, r.database, r.table, now), Permission::Drop, r);
    case Action::CreatePartition:
      return need(who, s.on_table(who, r.database, r.table, now), Permission::Insert, r);
    case Action::AlterPartition:
      return need(who, s.on_table(who, r.database, r.table, now), Permission::Alter, r);
    case Action::DropPartition:
      return need(who, s.on_table(who, r.database, r.table, now), Permission::Delete, r);
    case Action::AssignTags:
      if (r.table.empty()) return need(who, s.on_database(who, r.database, now), Permission::Alter, r);
      return need(who, s.on_table(who, r.database, r.table, now), Permission::Alter, r);
    case Action::CreateFilter:
    case Action::AlterFilter: {
      Resource table_resource{r.database, r.table, {}, {}, {}};
      return need_grantable(who, s.on_table(who, r.database, r.table, now), Permission::Select,
                            table_resource);
    }
    case Action::DescribeFilter:
    case Action::DropFilter: {
      Resource table_resource{r.database, r.table, {}, {}, {}};
      Decision d =
          need_grantable(who, s.on_table(who, r.database, r.table, now), Permission::Select, table_resource);
      if (d.allowed) return d;
      const Permission p = action == Action::DescribeFilter ? Permission::Describe : Permission::Drop;
      return need(who, s.on_filter(who, r.database, r.table, r.filter, now), p, r);
    }
    case Action::Explain:
      if (r.principal == who) return allow(who + " may explain its own access", {"self"});
      return deny(who + " may explain only its own access (administrators may explain anyone's)");
    case Action::ManagePrincipals:
    case Action::DescribePrincipals:
    case Action::ManageAccessKeys:
    case Action::DescribeAccessKeys:
    case Action::ManageTagKeys:
    case Action::ManageLocations:
    case Action::DescribeLocations:
    case Action::ReadAudit:
      return deny(who + " is not an administrator; only administrators may " + action_name(action));
  }
  return deny("unknown action");
}

bool PolicySnapshot::allows(const Subject& subject, Action action, const Resource& r, Timestamp now) const {
  if (subject.is_admin) return true;
  switch (action) {
    case Action::DescribeTable:
      return impl_->on_table(subject.principal, r.database, r.table, now, false, 0xFFFF).permissions != 0;
    case Action::ListPartitions:
    case Action::DescribePartition:
      return catalog::has(
          impl_
              ->on_table(subject.principal, r.database, r.table, now, false, catalog::bit(Permission::Select))
              .permissions,
          Permission::Select);
    default:
      return decide(subject, action, r, now).allowed;
  }
}

TableAccess PolicySnapshot::resolve(const Subject& subject, const catalog::Table& table,
                                    Timestamp now) const {
  TableAccess access;
  TableColumns cols(table);
  Held held = on_table(subject, table.database_name, table.name, now);
  access.permissions = held.permissions;
  access.grantable = held.grantable;
  access.whole_table = held.whole_table;
  if (subject.is_admin) {
    Source all;
    all.columns.assign(cols.all.size(), true);
    all.masks.assign(cols.all.size(), std::nullopt);
    all.ids = {"admin"};
    combine_sources({all}, cols, access);
    access.deciding_ids = {"admin"};
    return access;
  }
  Collected collected = collect_sources(*impl_, subject.principal, table, cols, now);
  combine_sources(collected.sources, cols, access);
  access.deciding_ids = held.deciding_ids;
  for (const Source& src : collected.sources) append_unique(access.deciding_ids, src.ids);
  return access;
}

std::vector<EffectiveTag> PolicySnapshot::effective_tags(const std::string& database,
                                                         const std::string& table,
                                                         const std::string& column) const {
  const TagIndex& tags = *impl_->tags;
  std::set<std::string> keys;
  auto add_keys = [&](const TagMap* map) {
    if (map == nullptr) return;
    for (const auto& [k, _] : *map) keys.insert(k);
  };
  add_keys(find_in(tags.database, database));
  if (!table.empty()) {
    if (const auto* tables = find_in(tags.table, database)) add_keys(find_in(*tables, table));
    if (!column.empty()) {
      if (const auto* tables = find_in(tags.column, database)) {
        if (const auto* columns = find_in(*tables, table)) add_keys(find_in(*columns, column));
      }
    }
  }
  const std::string own = !column.empty() ? "column" : !table.empty() ? "table" : "database";
  std::vector<EffectiveTag> out;
  for (const std::string& key : keys) {
    TagValue v = effective_value(tags, database, table, column, key);
    if (v.value == nullptr) continue;
    out.push_back(EffectiveTag{key, *v.value, v.source, own != v.source});
  }
  return out;
}

Explanation PolicySnapshot::explain(const Subject& subject, const catalog::Table& table,
                                    Timestamp now) const {
  const PolicySnapshotImpl& s = *impl_;
  Explanation ex;
  ex.principal = subject.principal;
  ex.is_admin = subject.is_admin;
  ex.principals_considered = s.subjects(subject.principal);
  const std::string& db = table.database_name;
  TableAccess access = resolve(subject, table, now);
  Held held = on_table(subject, db, table.name, now);
  TableColumns cols(table);
  Collected collected;
  if (!subject.is_admin) collected = collect_sources(s, subject.principal, table, cols, now);
  ex.expired_grants = collected.expired;
  ex.all_rows = access.all_rows;
  ex.row_filter = access.row_filter;

  const std::string subjects_text = [&] {
    std::string out;
    for (const std::string& p : ex.principals_considered) out += (out.empty() ? "" : ", ") + p;
    return out;
  }();
  const std::string table_text = db + "." + table.name;
  for (Permission p : {Permission::Select, Permission::Describe, Permission::Alter, Permission::Drop,
                       Permission::Insert, Permission::Delete}) {
    Explanation::PermissionLine line;
    line.permission = p;
    line.allowed = catalog::has(held.permissions, p);
    line.grantable = catalog::has(held.grantable, p);
    if (line.allowed) {
      if (subject.is_admin) {
        line.deciding_ids = {"admin"};
      } else if (p == Permission::Select) {
        for (const Source& src : collected.sources) append_unique(line.deciding_ids, src.ids);
      } else if (p == Permission::Describe && !catalog::has(held.whole_table, Permission::Describe)) {
        line.deciding_ids = held.deciding_ids;  // implied by any permission (C2)
      } else {
        // the whole-table grants that carry p
        s.for_each_bucket(subject.principal, [&](const PrincipalGrants& pg) {
          auto consider = [&](const CompiledGrant* g) {
            if (g->live(now) && catalog::has(g->perms, p)) append_unique(line.deciding_ids, {g->id});
          };
          if (const auto* tables = find_in(pg.by_table, db)) {
            if (const auto* grants = find_in(*tables, table.name)) {
              for (const CompiledGrant* g : *grants) {
                if (g->grant.kind == ResourceKind::Table) consider(g);
              }
            }
          }
          if (const auto* grants = find_in(pg.wildcard, db)) {
            for (const HotGrant& h : *grants) consider(h.grant);
          }
          for (const CompiledGrant* g : pg.tag_table) {
            if (tags_match(*s.tags, g->grant.tag_expression, db, table.name, "")) consider(g);
          }
        });
      }
    } else {
      line.missing = std::string("no grant of ") + catalog::permission_name(p) + " (or ALL) on table " +
                     table_text + " to any of " + subjects_text +
                     ": grant it on the TABLE, on all tables of database " + db +
                     " (TABLE_WILDCARD), or through a TAG_POLICY matching the table's tags";
      if (p == Permission::Select) line.missing += ", or SELECT on some columns or on a data cells filter";
    }
    ex.permissions.push_back(std::move(line));
  }

  ex.table_tags = effective_tags(db, table.name, "");
  std::map<std::string, const ColumnAccess*> visible;
  for (const ColumnAccess& c : access.columns) visible.emplace(c.name, &c);
  for (std::size_t i = 0; i < cols.all.size(); ++i) {
    const std::string& name = cols.all[i].name;
    ex.column_tags[name] = effective_tags(db, table.name, name);
    Explanation::ColumnLine line;
    line.name = name;
    auto it = visible.find(name);
    if (it != visible.end()) {
      const ColumnAccess& c = *it->second;
      line.allowed = true;
      line.deciding_ids = c.deciding_ids;
      line.cell_filter = c.cell_filter;
      if (!c.rules.empty() && c.rules.front().mask) line.mask = mask_spec(*c.rules.front().mask);
      line.reason = "visible through " + [&] {
        std::string out;
        for (const std::string& id : c.deciding_ids) out += (out.empty() ? "" : ", ") + id;
        return out;
      }();
      if (!line.mask.empty()) line.reason += "; masked with " + line.mask;
      if (!line.cell_filter.empty()) line.reason += "; only in rows where " + line.cell_filter;
      ex.columns.push_back(std::move(line));
      continue;
    }
    // Why not: every SELECT grant on the table that leaves this column out.
    std::vector<std::string> reasons;
    s.for_each_bucket(subject.principal, [&](const PrincipalGrants& pg) {
      if (const auto* tables = find_in(pg.by_table, db)) {
        if (const auto* grants = find_in(*tables, table.name)) {
          for (const CompiledGrant* g : *grants) {
            if (!g->live(now) || !g->has_select()) continue;
            if (g->grant.kind == ResourceKind::TableWithColumns) {
              line.deciding_ids.push_back(g->id);
              reasons.push_back(g->id + (g->grant.column_wildcard ? " excludes it" : " does not include it"));
            } else if (g->grant.kind == ResourceKind::DataCellsFilter) {
              const std::string fid = "filter:" + db + "." + table.name + "." + g->grant.filter_name;
              line.deciding_ids.push_back(fid);
              reasons.push_back(fid + " (" + g->id + ") does not include it");
            }
          }
        }
      }
      for (const CompiledGrant* g : pg.tag_table) {
        if (!g->live(now) || !g->has_select()) continue;
        const catalog::TagCondition* fail =
            failing_condition(*s.tags, g->grant.tag_expression, db, table.name, name);
        if (fail == nullptr) continue;
        TagValue v = effective_value(*s.tags, db, table.name, name, fail->key);
        std::string why =
            g->id + " (TAG_POLICY " + expression_text(g->grant.tag_expression) + ") does not match: ";
        if (v.value == nullptr) {
          why += "the column has no value for " + fail->key;
        } else {
          why += "the column has " + fail->key + "=" + *v.value + " (assigned on the " + v.source + ")";
          line.deciding_ids.push_back(
              "tag:" + fail->key + "=" + *v.value + "@" +
              (std::string(v.source) == "column" ? "column:" + name : std::string(v.source)));
        }
        line.deciding_ids.push_back(g->id);
        reasons.push_back(why);
      }
    });
    for (const BrokenFilter& b : collected.broken) reasons.push_back(b.id + " matches no rows: " + b.problem);
    if (reasons.empty())
      reasons.push_back("no SELECT grant on table " + table_text + " for any of " + subjects_text);
    for (const std::string& r : reasons) line.reason += (line.reason.empty() ? "" : "; ") + r;
    ex.columns.push_back(std::move(line));
  }
  return ex;
}

// ---- PolicyEngine ------------------------------------------------------------------------------------

PolicyEngine::PolicyEngine(catalog::Store& store) : store_(store) {
  current_ = PolicySnapshot::compile(store_.load_policy());
}

PolicyEngine::~PolicyEngine() {
  stop_watching();
}

std::shared_ptr<const PolicySnapshot> PolicyEngine::snapshot() const {
  return std::atomic_load(&current_);
}

void PolicyEngine::swap_in(std::shared_ptr<const PolicySnapshot> next) {
  std::atomic_store(&current_, std::move(next));
}

std::chrono::microseconds PolicyEngine::reload() {
  const auto start = std::chrono::steady_clock::now();
  std::lock_guard lock(reload_mutex_);
  swap_in(PolicySnapshot::compile(store_.load_policy()));
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

std::chrono::microseconds PolicyEngine::reload_principal_grants(const std::string& principal) {
  const auto start = std::chrono::steady_clock::now();
  std::lock_guard lock(reload_mutex_);
  auto current = snapshot();
  const std::int64_t known = current->epoch();
  std::vector<Grant> grants;
  catalog::PageRequest page;
  page.limit = 1000;
  for (;;) {
    catalog::Page<Grant> batch =
        store_.list_grants(catalog::GrantQuery{principal, std::nullopt, {}, {}}, page);
    for (Grant& g : batch.items) grants.push_back(std::move(g));
    if (batch.next_token.empty()) break;
    page.token = batch.next_token;
  }
  const std::int64_t epoch = store_.policy_epoch();
  if (epoch != known + 1) {
    // Other changes happened since the snapshot was built: reload everything.
    swap_in(PolicySnapshot::compile(store_.load_policy()));
  } else {
    // Only this change happened since the snapshot was built: the updated snapshot is current.
    swap_in(current->with_principal_grants(principal, std::move(grants), epoch));
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

bool PolicyEngine::is_granted(const Caller& caller, Action action, const Resource& resource) const {
  if (action == Action::DescribeTable || action == Action::ListPartitions ||
      action == Action::DescribePartition) {
    return snapshot()->allows(subject_of(caller), action, resource, catalog::now_millis());
  }
  return decide(caller, action, resource).allowed;
}

Decision PolicyEngine::decide(const Caller& caller, Action action, const Resource& resource) const {
  if (!caller.is_admin &&
      (action == Action::DescribePrincipals || action == Action::DescribeAccessKeys ||
       action == Action::ManageAccessKeys) &&
      !resource.principal.empty() && resource.principal == caller.arn) {
    return allow(principal_id(caller.principal) + " may " + action_name(action) + " on itself", {"self"});
  }
  return snapshot()->decide(subject_of(caller), action, resource, catalog::now_millis());
}

Decision PolicyEngine::decide_grant(const Caller& caller, const Grant& grant) const {
  if (caller.is_admin) return allow(principal_id(caller.principal) + " is an administrator", {"admin"});
  const Subject subject = subject_of(caller);
  const std::string& who = subject.principal;
  auto snap = snapshot();
  const Timestamp now = catalog::now_millis();
  const PermissionSet wanted =
      static_cast<PermissionSet>(expand(grant.permissions, grant) | expand(grant.grantable, grant));
  auto covers = [&](const Held& held, PermissionSet need, const std::string& what) -> Decision {
    const PermissionSet missing = static_cast<PermissionSet>(need & ~held.grantable);
    if (missing == 0)
      return allow(who + " holds " + perm_list(need) + " with grant option on " + what, held.deciding_ids);
    return deny(who + " may not grant " + perm_list(missing) + " on " + what +
                ": it needs those permissions with grant option (or must be an administrator)");
  };
  switch (grant.kind) {
    case ResourceKind::Catalog:
      return covers(snap->on_catalog(subject, now), wanted, "the catalog");
    case ResourceKind::Database:
      return covers(snap->on_database(subject, grant.database, now), wanted, "database " + grant.database);
    case ResourceKind::Table:
      return covers(snap->on_table(subject, grant.database, grant.table, now), wanted,
                    "table " + grant.database + "." + grant.table);
    case ResourceKind::TableWithColumns:
      return covers(snap->on_table(subject, grant.database, grant.table, now),
                    catalog::bit(Permission::Select), "table " + grant.database + "." + grant.table);
    case ResourceKind::DataCellsFilter: {
      Held table = snap->on_table(subject, grant.database, grant.table, now);
      if (catalog::has(table.grantable, Permission::Select)) {
        return allow(who + " holds SELECT with grant option on table " + grant.database + "." + grant.table,
                     table.deciding_ids);
      }
      return covers(snap->on_filter(subject, grant.database, grant.table, grant.filter_name, now), wanted,
                    "data cells filter " + grant.database + "." + grant.table + "." + grant.filter_name);
    }
    case ResourceKind::TableWildcard:
    case ResourceKind::DataLocation:
    case ResourceKind::TagPolicy:
      break;
  }
  return deny(who + " may not grant on " + std::string(catalog::resource_kind_name(grant.kind)) +
              " resources: only administrators may");
}

void PolicyEngine::start_watching(std::chrono::milliseconds wait) {
  if (watching_.exchange(true)) return;
  watcher_ = std::thread([this, wait] { watch_loop(wait); });
}

void PolicyEngine::stop_watching() {
  if (!watching_.exchange(false)) return;
  if (watcher_.joinable()) watcher_.join();
}

void PolicyEngine::watch_loop(std::chrono::milliseconds wait) {
  while (watching_.load()) {
    try {
      const std::int64_t known = snapshot()->epoch();
      const std::int64_t epoch = store_.wait_policy_change(known, wait);
      if (epoch != snapshot()->epoch() && watching_.load()) {
        auto took = reload();
        spdlog::debug("policy epoch {} -> {}: snapshot reloaded in {} us", known, epoch, took.count());
      }
    } catch (const std::exception& e) {
      spdlog::warn("policy watcher: {} (retrying)", e.what());
      std::this_thread::sleep_for(wait);
    }
  }
}

}  // namespace cairn::authz
