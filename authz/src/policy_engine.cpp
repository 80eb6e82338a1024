#include "cairn/authz/policy_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "cairn/catalog/error.h"
#include "policy_index.h"

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

/// The fields a table-level decision reads, stored by value next to each other, so that a decision touches
/// a few contiguous arrays instead of one scattered CompiledGrant per grant (cache misses dominate).
/// A TABLE, TABLE_WITH_COLUMNS or (readable) DATA_CELLS_FILTER grant as on_table() counts it.
struct TableHot {
  Timestamp expires = INT64_MAX;  ///< the grant counts while now < expires
  const CompiledGrant* grant = nullptr;
  PermissionSet perms = 0;      ///< what it adds to Held::permissions
  PermissionSet grantable = 0;  ///< what it adds to Held::grantable (whole-table grants)
  bool whole = false;           ///< a whole-table grant (TABLE): perms count in Held::whole_table too
  bool live(Timestamp now) const { return now < expires; }
};

/// A TABLE_WILDCARD grant as on_table() counts it.
struct WildHot {
  Timestamp expires = INT64_MAX;
  const CompiledGrant* grant = nullptr;
  PermissionSet perms = 0;
  PermissionSet grantable = 0;
  bool live(Timestamp now) const { return now < expires; }
};

/// A TAG_POLICY grant on tables as on_table() counts it.
struct TagHot {
  Timestamp expires = INT64_MAX;
  const CompiledGrant* grant = nullptr;
  /// Id of its expression in the universe (kNone: unknown to it); evaluated at decision time unless the
  /// universe tabulated it.
  std::uint32_t expression = detail::kNone;
  PermissionSet perms = 0;
  PermissionSet grantable = 0;
  bool select = false;
  bool live(Timestamp now) const { return now < expires; }
};

/// Every grant of one principal, indexed by what it is on.
struct PrincipalGrants {
  std::vector<std::unique_ptr<CompiledGrant>> owned;
  /// TABLE, TABLE_WITH_COLUMNS and readable DATA_CELLS_FILTER grants in grant order, by table id for tables
  /// the universe knows (the snapshot's per-table index holds them) and by TableKey for the others.
  std::vector<std::pair<std::uint32_t, TableHot>> table_entries;
  std::vector<std::pair<std::string, TableHot>> extra_table_entries;
  /// TABLE_WILDCARD grants in grant order, by database id for databases the universe knows (the snapshot's
  /// per-database index holds them), and the others.
  std::vector<std::pair<std::uint32_t, WildHot>> wild_entries;
  std::vector<WildHot> extra_wild;
  std::vector<TagHot> tag_hot;                 ///< TAG_POLICY on TABLE, in grant order
  std::vector<std::uint32_t> tag_expressions;  ///< tag_hot[i].expression, scanned first
  std::vector<Timestamp> expiries;             ///< sorted expiry times of the time-bound grants
  GrantList catalog;
  std::unordered_map<std::string, GrantList> by_database;  ///< DATABASE
  std::unordered_map<std::string, GrantList> wildcard;     ///< TABLE_WILDCARD, by database
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

// ---- the universe: names interned by a full compile --------------------------------------------------

/// Dense ids for the principals, databases, tables and table tag-policy expressions a full compile saw, the
/// subjects of every principal (P1) and, per table, which expressions its effective tags match (TG2, TG3,
/// TG5). Shared by every snapshot derived from that compile by with_principal_grants (which changes
/// neither memberships nor tags); a name it does not know (a principal or table first granted on
/// incrementally, an expression first used incrementally) takes a slower path with the same result.
struct Universe {
  std::vector<std::string> principals;     ///< by principal id
  detail::PairSlots principal_slots;       ///< payload: first subject in subject_ids, number of subjects
  std::vector<std::uint32_t> subject_ids;  ///< per principal: itself, its groups, EVERYONE (P1)
  std::uint32_t everyone = detail::kNone;

  std::vector<std::string> databases;  ///< by database id
  detail::HashSlots database_slots;
  std::vector<std::uint32_t> database_row;  ///< database id -> its tag row

  struct TableName {
    std::string database;
    std::string table;
    std::uint32_t database_id = detail::kNone;
    std::uint32_t row = 0;  ///< tag row
  };
  std::vector<TableName> tables;  ///< by table id
  detail::PairSlots table_slots;  ///< payload: database id, tag row

  /// TAG_POLICY/TABLE expressions (expression_key -> id) and, per tag row, the expressions that match at
  /// table level and those that match some explicitly tagged column. Row 0: an object without any tag.
  std::unordered_map<std::string, std::uint32_t> expressions;
  /// Expressions with ids below this have bits in `match` (0 when there were too many to tabulate: the
  /// grants keep their ids, but every expression is evaluated at decision time).
  std::uint32_t tabulated = 0;
  std::size_t words = 0;  ///< 64-bit words per row
  /// Per row, per word of expression bits: the table-level word, then the column-level word.
  std::vector<std::uint64_t> match;

  /// The slot of a principal (id, a = first subject in subject_ids, b = number of subjects), or nullptr.
  const detail::PairSlots::Slot* principal_slot(const std::string& name) const {
    return principal_slots.find(detail::hash_bytes(name), name, {},
                                [&](std::uint32_t id) { return principals[id] == name; });
  }
  std::uint32_t principal_id(const std::string& name) const {
    const detail::PairSlots::Slot* slot = principal_slot(name);
    return slot != nullptr ? slot->id : detail::kNone;
  }
  std::uint32_t database_id(const std::string& name) const {
    return database_slots.find(detail::hash_bytes(name),
                               [&](std::uint32_t id) { return databases[id] == name; });
  }
  /// The slot of a table (id, a = database id, b = tag row), or nullptr when the universe does not know it.
  const detail::PairSlots::Slot* table_slot(const std::string& db, const std::string& table) const {
    return table_slots.find(detail::hash_pair(db, table), db, table, [&](std::uint32_t id) {
      const TableName& t = tables[id];
      return t.table == table && t.database == db;
    });
  }
  std::uint32_t table_id(const std::string& db, const std::string& table) const {
    const detail::PairSlots::Slot* slot = table_slot(db, table);
    return slot != nullptr ? slot->id : detail::kNone;
  }
  /// Bit 0: the expression matches the row at table level; bit 1: it matches some tagged column.
  unsigned matches(std::uint32_t row, std::uint32_t expression) const {
    const std::uint64_t* w = &match[(row * words + (expression >> 6)) * 2];
    const unsigned bit = expression & 63;
    return static_cast<unsigned>(((w[0] >> bit) & 1u) | (((w[1] >> bit) & 1u) << 1));
  }
};

/// One text per distinct expression (conditions in order, length-prefixed).
std::string expression_key(const std::vector<catalog::TagCondition>& expr) {
  std::string key;
  auto put = [&key](const std::string& s) {
    key += std::to_string(s.size());
    key += ':';
    key += s;
  };
  for (const catalog::TagCondition& cond : expr) {
    key += std::to_string(cond.values.size());
    key += '#';
    put(cond.key);
    for (const std::string& v : cond.values) put(v);
  }
  return key;
}

/// Evaluates every expression against every tag row of a universe, on integers: keys and values interned,
/// each expression filed under the values of its condition on the key fewest objects have, so that a row
/// only tries the expressions that condition lets through.
class TagRowBuilder {
 public:
  /// One tag map, interned: a range of pairs_.
  struct Tags {
    std::uint32_t begin = 0;
    std::uint32_t count = 0;
  };

  /// Interns the keys and values of one level of explicit tags.
  Tags intern(const TagMap& map) {
    Tags tags{static_cast<std::uint32_t>(pairs_.size()), 0};
    for (const auto& [k, v] : map) {
      const auto key = key_ids_.try_emplace(k, static_cast<std::uint32_t>(key_ids_.size())).first->second;
      const auto value =
          value_ids_.try_emplace(v, static_cast<std::uint32_t>(value_ids_.size())).first->second;
      if (key >= presence_.size()) presence_.resize(key + 1, 0);
      ++presence_[key];
      pairs_.emplace_back(key, value);
      ++tags.count;
    }
    return tags;
  }

  /// Compiles the expressions (after every tag map is interned).
  void compile(const std::vector<const std::vector<catalog::TagCondition>*>& exprs) {
    value_of_.assign(key_ids_.size(), detail::kNone);
    conditions_.resize(exprs.size());
    for (std::uint32_t e = 0; e < exprs.size(); ++e) {
      bool never = false;
      for (const catalog::TagCondition& cond : *exprs[e]) {
        auto k = key_ids_.find(cond.key);
        if (k == key_ids_.end()) {
          never = true;  // no object has a value for the key (TG3)
          break;
        }
        Condition c{k->second, {}};
        // Exactly the values the evaluator's binary search finds.
        for (const std::string& v : cond.values) {
          if (!std::binary_search(cond.values.begin(), cond.values.end(), v)) continue;
          if (auto id = value_ids_.find(v); id != value_ids_.end()) c.values.push_back(id->second);
        }
        std::sort(c.values.begin(), c.values.end());
        c.values.erase(std::unique(c.values.begin(), c.values.end()), c.values.end());
        if (c.values.empty()) {
          never = true;
          break;
        }
        conditions_[e].push_back(std::move(c));
      }
      if (never) continue;
      if (conditions_[e].empty()) {
        always_.push_back(e);
        continue;
      }
      const Condition* rarest = &conditions_[e].front();
      for (const Condition& c : conditions_[e]) {
        if (presence_[c.key] < presence_[rarest->key]) rarest = &c;
      }
      for (std::uint32_t v : rarest->values) by_value_[pack(rarest->key, v)].push_back(e);
    }
  }

  /// Applies one level of explicit tags (database, table or column) over the current ones; undo(mark) with
  /// the mark it returns removes it again.
  std::size_t apply(Tags tags) {
    const std::size_t mark = undo_.size();
    for (std::uint32_t i = tags.begin; i < tags.begin + tags.count; ++i) {
      const auto [key, value] = pairs_[i];
      undo_.emplace_back(key, value_of_[key]);
      if (value_of_[key] == detail::kNone) present_.push_back(key);
      value_of_[key] = value;
    }
    return mark;
  }
  void undo(std::size_t mark) {
    while (undo_.size() > mark) {
      const auto [key, value] = undo_.back();
      undo_.pop_back();
      if (value == detail::kNone) present_.erase(std::find(present_.begin(), present_.end(), key));
      value_of_[key] = value;
    }
  }

  /// Sets the bits of the expressions the current tags match in bits[0], bits[2], bits[4]... (every other
  /// word: Universe::match interleaves table-level and column-level words).
  void evaluate(std::uint64_t* bits) const {
    for (std::uint32_t e : always_) bits[(e >> 6) * 2] |= std::uint64_t{1} << (e & 63);
    for (std::uint32_t key : present_) {
      auto it = by_value_.find(pack(key, value_of_[key]));
      if (it == by_value_.end()) continue;
      for (std::uint32_t e : it->second) {
        bool ok = true;
        for (const Condition& c : conditions_[e]) {
          const std::uint32_t v = value_of_[c.key];
          if (v == detail::kNone || !std::binary_search(c.values.begin(), c.values.end(), v)) {
            ok = false;
            break;
          }
        }
        if (ok) bits[(e >> 6) * 2] |= std::uint64_t{1} << (e & 63);
      }
    }
  }

 private:
  struct Condition {
    std::uint32_t key;
    std::vector<std::uint32_t> values;  ///< sorted
  };
  static std::uint64_t pack(std::uint32_t key, std::uint32_t value) {
    return (static_cast<std::uint64_t>(key) << 32) | value;
  }

  std::unordered_map<std::string, std::uint32_t> key_ids_;
  std::unordered_map<std::string, std::uint32_t> value_ids_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs_;  ///< interned tag maps: (key id, value id)
  std::vector<std::uint32_t> presence_;                         ///< key id -> number of maps with it
  std::vector<std::vector<Condition>> conditions_;              ///< by expression id
  std::vector<std::uint32_t> always_;                           ///< expressions without conditions
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_value_;
  std::vector<std::uint32_t> value_of_;                        ///< key id -> value id of the current tags
  std::vector<std::uint32_t> present_;                         ///< key ids with a value
  std::vector<std::pair<std::uint32_t, std::uint32_t>> undo_;  ///< (key id, previous value id)
};

/// Above this many words per bit table, expressions are evaluated at decision time instead.
constexpr std::size_t kMaxTagWords = std::size_t{1} << 22;

/// Interns the principals of a full compile: every grantee, every user and group of a membership, and
/// EVERYONE, with their subjects (P1).
void intern_principals(Universe& u, const std::unordered_map<std::string, std::vector<Grant>>& by_principal,
                       const std::unordered_map<std::string, std::vector<std::string>>& groups_of_user) {
  std::vector<std::string> names;
  for (const auto& [principal, _] : by_principal) names.push_back(principal);
  for (const auto& [user, groups] : groups_of_user) {
    names.push_back("user:" + user);
    for (const std::string& g : groups) names.push_back("group:" + g);
  }
  names.emplace_back(catalog::kEveryone);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  u.principals = std::move(names);
  auto index = [&u](const std::vector<std::uint32_t>& begin) {
    u.principal_slots.reset(u.principals.size());
    for (std::uint32_t id = 0; id < u.principals.size(); ++id) {
      const std::string& p = u.principals[id];
      const std::uint64_t h = detail::hash_bytes(p);
      const auto* at = u.principal_slots.probe(h, p, {}, [](std::uint32_t) { return false; });
      const std::uint32_t first = begin.empty() ? 0 : begin[id];
      u.principal_slots.fill(at, h, p, {}, id, first, begin.empty() ? 0 : begin[id + 1] - first);
    }
  };
  index({});  // ids first, to look up the groups
  u.everyone = u.principal_id(std::string(catalog::kEveryone));
  std::vector<std::uint32_t> begin;
  begin.reserve(u.principals.size() + 1);
  for (std::uint32_t id = 0; id < u.principals.size(); ++id) {
    const std::string& p = u.principals[id];
    begin.push_back(static_cast<std::uint32_t>(u.subject_ids.size()));
    u.subject_ids.push_back(id);
    if (p.rfind("user:", 0) == 0) {
      auto it = groups_of_user.find(p.substr(5));
      if (it != groups_of_user.end()) {
        for (const std::string& g : it->second) u.subject_ids.push_back(u.principal_id("group:" + g));
      }
    }
    if (p != catalog::kEveryone) u.subject_ids.push_back(u.everyone);
  }
  begin.push_back(static_cast<std::uint32_t>(u.subject_ids.size()));
  index(begin);
}

/// Interns databases, tables and expressions while a full compile indexes the grants (one pass over them);
/// finish() freezes the universe. The names it is given must outlive it (they are views).
class UniverseBuilder {
 public:
  explicit UniverseBuilder(Universe& u) : u_(u) {}

  std::uint32_t database(std::string_view db) {
    auto [it, added] = databases_.try_emplace(db, static_cast<std::uint32_t>(database_names_.size()));
    if (added) database_names_.push_back(db);
    return it->second;
  }
  std::uint32_t table(std::string_view db, std::string_view table) {
    // Open addressing with the names in the slots: the grants' own strings are scattered over memory, and
    // one lookup per table grant must not cost a cache miss per probe.
    if (interned_.count() * 2 >= interned_.capacity()) grow_tables();
    const std::uint64_t h = detail::hash_pair(db, table);
    auto same = [&](std::uint32_t id) {
      const Universe::TableName& name = u_.tables[id];
      return name.table == table && name.database == db;
    };
    const detail::PairSlots::Slot* slot = interned_.probe(h, db, table, same);
    if (slot->id != detail::kNone) return slot->id;
    const auto id = static_cast<std::uint32_t>(table_hashes_.size());
    interned_.fill(slot, h, db, table, id, 0, 0);
    table_hashes_.push_back(h);
    u_.tables.push_back(Universe::TableName{std::string(db), std::string(table), database(db), 0});
    return id;
  }
  std::uint32_t expression(const std::vector<catalog::TagCondition>& expr) {
    auto [it, added] =
        u_.expressions.try_emplace(expression_key(expr), static_cast<std::uint32_t>(exprs_.size()));
    if (added) exprs_.push_back(&expr);
    return it->second;
  }

  /// Adds the tagged databases and tables, builds the hash indexes and evaluates every expression on every
  /// tag row.
  void finish(const TagIndex& tags);

 private:
  struct ViewHash {
    std::size_t operator()(std::string_view s) const noexcept { return detail::hash_bytes(s); }
  };

  /// Builds the universe's table index for `count` tables, each with its database id and tag row.
  void index_tables(detail::PairSlots& slots, std::size_t count) const {
    slots.reset(count);
    for (std::uint32_t id = 0; id < table_hashes_.size(); ++id) {
      const Universe::TableName& name = u_.tables[id];
      const detail::PairSlots::Slot* at =
          slots.probe(table_hashes_[id], name.database, name.table, [](std::uint32_t) { return false; });
      slots.fill(at, table_hashes_[id], name.database, name.table, id, name.database_id, name.row);
    }
  }
  void grow_tables() { index_tables(interned_, std::max<std::size_t>(64, interned_.capacity())); }

  Universe& u_;
  std::unordered_map<std::string_view, std::uint32_t, ViewHash> databases_;
  std::vector<std::string_view> database_names_;                  ///< by database id
  detail::PairSlots interned_;                                    ///< tables interned so far
  std::vector<std::uint64_t> table_hashes_;                       ///< by table id
  std::vector<const std::vector<catalog::TagCondition>*> exprs_;  ///< by expression id
};

void UniverseBuilder::finish(const TagIndex& tags) {
  Universe& u = u_;
  // The explicit tags of databases, tables and columns, interned once; their objects join the universe.
  TagRowBuilder builder;
  using Tags = TagRowBuilder::Tags;
  std::vector<std::pair<std::uint32_t, Tags>> db_tags;
  struct OwnTags {
    std::uint32_t table;
    bool has_table = false;
    Tags table_tags;
    std::vector<Tags> columns;
  };
  std::vector<OwnTags> own;              // tables with tags of their own or on columns
  std::vector<std::uint32_t> own_index;  // table id -> index in own (kNone: none)
  auto own_of = [&](std::string_view db, std::string_view name) -> OwnTags& {
    const std::uint32_t t = table(db, name);
    if (t >= own_index.size()) own_index.resize(t + 1, detail::kNone);
    if (own_index[t] == detail::kNone) {
      own_index[t] = static_cast<std::uint32_t>(own.size());
      own.push_back(OwnTags{t, false, {}, {}});
    }
    return own[own_index[t]];
  };
  for (const auto& [db, map] : tags.database) db_tags.emplace_back(database(db), builder.intern(map));
  for (const auto& [db, tables] : tags.table) {
    for (const auto& [name, map] : tables) {
      OwnTags& o = own_of(db, name);
      o.has_table = true;
      o.table_tags = builder.intern(map);
    }
  }
  for (const auto& [db, tables] : tags.column) {
    for (const auto& [name, columns] : tables) {
      OwnTags& o = own_of(db, name);
      for (const auto& [_, map] : columns) o.columns.push_back(builder.intern(map));
    }
  }

  std::vector<std::uint64_t> hashes;
  hashes.reserve(database_names_.size());
  u.databases.reserve(database_names_.size());
  for (std::string_view db : database_names_) {
    u.databases.emplace_back(db);
    hashes.push_back(detail::hash_bytes(db));
  }
  u.database_slots.build(hashes);

  // Tag rows: row 0 (no tags), one per tagged database, one per table with tags of its own or on columns.
  u.database_row.assign(u.databases.size(), 0);
  std::vector<Tags> database_tags(u.databases.size());
  std::uint32_t rows = 1;
  for (const auto& [db, t] : db_tags) {
    u.database_row[db] = rows++;
    database_tags[db] = t;
  }
  for (Universe::TableName& name : u.tables) name.row = u.database_row[name.database_id];
  for (const OwnTags& o : own) u.tables[o.table].row = rows++;
  index_tables(u.table_slots, u.tables.size());
  u.words = (exprs_.size() + 63) / 64;
  if (exprs_.empty() || rows * u.words > kMaxTagWords) {
    u.expressions.clear();  // every expression is evaluated at decision time
    u.words = 0;
    return;
  }
  builder.compile(exprs_);
  u.tabulated = static_cast<std::uint32_t>(exprs_.size());
  u.match.assign(rows * u.words * 2, 0);
  builder.evaluate(&u.match[0]);
  for (const auto& [db, t] : db_tags) {
    const std::size_t mark = builder.apply(t);
    builder.evaluate(&u.match[u.database_row[db] * u.words * 2]);
    builder.undo(mark);
  }
  for (const OwnTags& o : own) {
    const Universe::TableName& name = u.tables[o.table];
    const std::size_t mark = builder.apply(database_tags[name.database_id]);
    if (o.has_table) builder.apply(o.table_tags);
    builder.evaluate(&u.match[name.row * u.words * 2]);
    for (Tags column : o.columns) {
      const std::size_t column_mark = builder.apply(column);
      builder.evaluate(&u.match[name.row * u.words * 2 + 1]);
      builder.undo(column_mark);
    }
    builder.undo(mark);
  }
}

/// Name lookups in a finished universe (with_principal_grants): names it does not know are kNone.
struct UniverseLookup {
  const Universe& u;
  std::uint32_t database(const std::string& db) const { return u.database_id(db); }
  std::uint32_t table(const std::string& db, const std::string& table) const { return u.table_id(db, table); }
  std::uint32_t expression(const std::vector<catalog::TagCondition>& expr) const {
    auto it = u.expressions.find(expression_key(expr));
    return it == u.expressions.end() ? detail::kNone : it->second;
  }
};

// ---- each principal's grants, indexed ----------------------------------------------------------------

/// `names` interns (UniverseBuilder, full compile) or looks up (UniverseLookup, incremental update).
template <class Names>
std::shared_ptr<const PrincipalGrants> index_grants(std::vector<Grant> grants, Names& names,
                                                    const FilterIndex& filters) {
  auto pg = std::make_shared<PrincipalGrants>();
  pg->owned.reserve(grants.size());
  for (Grant& g : grants) {
    if (g.expires_at) pg->expiries.push_back(*g.expires_at);
    pg->owned.push_back(compile_grant(std::move(g)));
  }
  std::sort(pg->expiries.begin(), pg->expiries.end());
  for (const auto& owned : pg->owned) {
    const CompiledGrant* c = owned.get();
    const Grant& g = c->grant;
    const Timestamp expires = g.expires_at.value_or(INT64_MAX);
    switch (g.kind) {
      case ResourceKind::Catalog:
        pg->catalog.push_back(c);
        break;
      case ResourceKind::Database:
        pg->by_database[g.database].push_back(c);
        break;
      case ResourceKind::TableWildcard:
        pg->wildcard[g.database].push_back(c);
        if (const std::uint32_t db = names.database(g.database); db != detail::kNone) {
          pg->wild_entries.emplace_back(db, WildHot{expires, c, c->perms, c->grantable});
        } else {
          pg->extra_wild.push_back(WildHot{expires, c, c->perms, c->grantable});
        }
        break;
      case ResourceKind::Table:
      case ResourceKind::TableWithColumns:
      case ResourceKind::DataCellsFilter: {
        pg->by_table[g.database][g.table].push_back(c);
        TableHot h{expires, c, c->perms, 0, false};
        if (g.kind == ResourceKind::Table) {
          h.grantable = c->grantable;
          h.whole = true;
        } else if (g.kind == ResourceKind::DataCellsFilter) {
          // SELECT on a filter that exists makes the table visible; anything else on a filter does not.
          const auto* tables = find_in(filters, g.database);
          const auto* on_table = tables != nullptr ? find_in(*tables, g.table) : nullptr;
          if (!c->has_select() || on_table == nullptr || !on_table->contains(g.filter_name)) break;
          h.perms = catalog::bit(Permission::Select);
        }
        const std::uint32_t table = names.table(g.database, g.table);
        if (table != detail::kNone) {
          pg->table_entries.emplace_back(table, h);
        } else {
          pg->extra_table_entries.emplace_back(std::string(TableKey(g.database, g.table).view()), h);
        }
        break;
      }
      case ResourceKind::DataLocation:
        pg->locations.push_back(c);
        break;
      case ResourceKind::TagPolicy:
        if (g.tag_resource_type == "DATABASE") {
          pg->tag_database.push_back(c);
        } else {
          pg->tag_table.push_back(c);
          pg->tag_hot.push_back(TagHot{expires, c, names.expression(g.tag_expression), c->perms, c->grantable,
                                       c->has_select()});
          pg->tag_expressions.push_back(pg->tag_hot.back().expression);
        }
        break;
    }
  }
  return pg;
}

// ---- the per-table and per-database indexes --------------------------------------------------------

/// The grants of many principals on one object, sorted by principal id (grant order within one principal).
template <class Hot>
struct Entries {
  std::vector<std::uint32_t> principals;
  std::vector<Hot> hot;
};
using TableEntries = Entries<TableHot>;
using WildEntries = Entries<WildHot>;

/// Appends the entries ids/hot[0, count) to `out` with those of `principal` replaced by the hot values of
/// the (object, hot) pairs [first, last).
template <class Hot, class It>
void replace_entries(const std::uint32_t* ids, const Hot* hot, std::size_t count, std::uint32_t principal,
                     It first, It last, Entries<Hot>& out) {
  bool inserted = false;
  auto insert_fresh = [&] {
    for (It f = first; f != last; ++f) {
      out.principals.push_back(principal);
      out.hot.push_back(f->second);
    }
    inserted = true;
  };
  for (std::size_t k = 0; k < count; ++k) {
    if (ids[k] == principal) continue;
    if (!inserted && ids[k] > principal) insert_fresh();
    out.principals.push_back(ids[k]);
    out.hot.push_back(hot[k]);
  }
  if (!inserted) insert_fresh();
}

/// `entries` (object, hot) stably sorted by object.
template <class Hot>
std::vector<std::pair<std::uint32_t, Hot>> sorted_by_object(
    const std::vector<std::pair<std::uint32_t, Hot>>& entries) {
  std::vector<std::pair<std::uint32_t, Hot>> out(entries);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}
/// The pairs of `sorted` whose object is in [first_object, end_object).
template <class Pairs>
auto object_range(const Pairs& sorted, std::uint32_t first_object, std::uint32_t end_object) {
  auto lo = std::lower_bound(sorted.begin(), sorted.end(), first_object,
                             [](const auto& e, std::uint32_t o) { return e.first < o; });
  auto hi = std::lower_bound(lo, sorted.end(), end_object,
                             [](const auto& e, std::uint32_t o) { return e.first < o; });
  return std::make_pair(lo, hi);
}

/// Tables per chunk of the per-table index: an incremental update copies only the chunks it touches.
constexpr std::uint32_t kChunk = 64;

/// The TABLE, TABLE_WITH_COLUMNS and readable DATA_CELLS_FILTER grants of kChunk consecutive table ids.
struct TableChunk : TableEntries {
  std::vector<std::uint32_t> offsets;  ///< kChunk + 1 offsets into principals/hot
};

/// The chunks of `table_count` tables from every principal's table entries (`nodes` by principal id).
std::vector<std::shared_ptr<const TableChunk>> build_chunks(
    std::size_t table_count, const std::vector<std::shared_ptr<const PrincipalGrants>>& nodes) {
  std::vector<std::uint32_t> start(table_count + 1, 0);
  for (const auto& node : nodes) {
    if (node == nullptr) continue;
    for (const auto& [table, _] : node->table_entries) ++start[table + 1];
  }
  for (std::size_t t = 0; t < table_count; ++t) start[t + 1] += start[t];
  const std::size_t chunk_count = (table_count + kChunk - 1) / kChunk;
  std::vector<std::shared_ptr<TableChunk>> chunks(chunk_count);
  for (std::size_t c = 0; c < chunk_count; ++c) {
    auto chunk = std::make_shared<TableChunk>();
    const std::size_t first = c * kChunk;
    const std::uint32_t base = start[first];
    chunk->offsets.resize(kChunk + 1);
    for (std::size_t i = 0; i <= kChunk; ++i)
      chunk->offsets[i] = start[std::min(first + i, table_count)] - base;
    chunk->principals.resize(chunk->offsets[kChunk]);
    chunk->hot.resize(chunk->offsets[kChunk]);
    chunks[c] = std::move(chunk);
  }
  std::vector<std::uint32_t> cursor(start.begin(), start.end() - 1);
  for (std::uint32_t id = 0; id < nodes.size(); ++id) {  // ascending principal ids
    if (nodes[id] == nullptr) continue;
    for (const auto& [table, hot] : nodes[id]->table_entries) {
      TableChunk& chunk = *chunks[table / kChunk];
      const std::uint32_t at = cursor[table]++ - start[(table / kChunk) * kChunk];
      chunk.principals[at] = id;
      chunk.hot[at] = hot;
    }
  }
  return {chunks.begin(), chunks.end()};
}

/// `old` with the entries of `principal` replaced by `fresh` (its entries on the tables of chunk
/// `chunk_index`, sorted by table id, grant order within a table).
template <class It>
std::shared_ptr<const TableChunk> replace_in_chunk(const TableChunk& old, std::uint32_t chunk_index,
                                                   std::uint32_t principal, It first, It last) {
  auto out = std::make_shared<TableChunk>();
  out->offsets.resize(kChunk + 1);
  out->principals.reserve(old.principals.size() + static_cast<std::size_t>(last - first));
  out->hot.reserve(old.hot.size() + static_cast<std::size_t>(last - first));
  for (std::uint32_t slot = 0; slot < kChunk; ++slot) {
    const std::uint32_t table = chunk_index * kChunk + slot;
    out->offsets[slot] = static_cast<std::uint32_t>(out->principals.size());
    It end = first;
    while (end != last && end->first == table) ++end;
    const std::uint32_t begin = old.offsets[slot];
    replace_entries(old.principals.data() + begin, old.hot.data() + begin, old.offsets[slot + 1] - begin,
                    principal, first, end, *out);
    first = end;
  }
  out->offsets[kChunk] = static_cast<std::uint32_t>(out->principals.size());
  return out;
}

/// The TABLE_WILDCARD lists of `database_count` databases from every principal's wildcard entries.
std::vector<std::shared_ptr<const WildEntries>> build_wildcards(
    std::size_t database_count, const std::vector<std::shared_ptr<const PrincipalGrants>>& nodes) {
  std::vector<std::shared_ptr<WildEntries>> lists(database_count);
  for (std::uint32_t id = 0; id < nodes.size(); ++id) {  // ascending principal ids
    if (nodes[id] == nullptr) continue;
    for (const auto& [db, hot] : nodes[id]->wild_entries) {
      if (lists[db] == nullptr) lists[db] = std::make_shared<WildEntries>();
      lists[db]->principals.push_back(id);
      lists[db]->hot.push_back(hot);
    }
  }
  return {lists.begin(), lists.end()};
}

/// The range of `principal`'s entries in sorted principal ids.
std::pair<std::uint32_t, std::uint32_t> range_of(const std::uint32_t* ids, std::uint32_t count,
                                                 std::uint32_t principal) {
  std::uint32_t lo = 0;
  if (count <= 8) {
    while (lo < count && ids[lo] < principal) ++lo;
  } else {
    // Branch-free lower bound: the comparisons compile to conditional moves.
    const std::uint32_t* base = ids;
    std::uint32_t n = count;
    while (n > 1) {
      const std::uint32_t half = n / 2;
      base = base[half] < principal ? base + half : base;
      n -= half;
    }
    lo = static_cast<std::uint32_t>(base - ids) + (*base < principal ? 1u : 0u);
  }
  std::uint32_t hi = lo;
  while (hi < count && ids[hi] == principal) ++hi;
  return {lo, hi};
}

/// The grants that decided one decision, turned into ids once at the end (one allocation).
class DecidingGrants {
 public:
  void add(const CompiledGrant& g) {
    __builtin_prefetch(&g.id);  // read by append_to() at the end of the decision
    if (count_ < kInline) {
      inline_[count_++] = &g;
    } else {
      more_.push_back(&g);
    }
  }
  void append_to(std::vector<std::string>& out) const {
    out.reserve(out.size() + count_ + more_.size());
    for (std::size_t i = 0; i < count_; ++i) out.push_back(inline_[i]->id);
    for (const CompiledGrant* g : more_) out.push_back(g->id);
  }

 private:
  static constexpr std::size_t kInline = 32;
  std::array<const CompiledGrant*, kInline> inline_;
  std::size_t count_ = 0;
  std::vector<const CompiledGrant*> more_;
};

/// The subjects of one caller (P1) as principal ids: a list in the universe, or a local one.
struct SubjectIds {
  const std::uint32_t* list = nullptr;
  std::uint32_t count = 0;
  std::uint32_t local[2] = {detail::kNone, detail::kNone};
  const std::uint32_t* data() const { return list != nullptr ? list : local; }
};

}  // namespace

// ---- the snapshot ------------------------------------------------------------------------------------

class PolicySnapshotImpl {
 public:
  std::int64_t epoch = 0;
  std::size_t grant_count = 0;
  std::shared_ptr<const TagIndex> tags;
  std::shared_ptr<const FilterIndex> filters;
  std::shared_ptr<const std::unordered_map<std::string, std::vector<std::string>>> groups_of_user;
  std::shared_ptr<const std::vector<catalog::DataLocation>> locations;
  std::shared_ptr<const Universe> universe;
  /// Each principal's grants by principal id (null: none): the universe's principals, then those first
  /// granted to by with_principal_grants (extra_principals).
  std::vector<std::shared_ptr<const PrincipalGrants>> nodes;
  std::shared_ptr<const SvMap<std::uint32_t>> extra_principals =
      std::make_shared<const SvMap<std::uint32_t>>();
  /// TABLE, TABLE_WITH_COLUMNS and readable DATA_CELLS_FILTER grants by table id, kChunk tables per chunk.
  std::vector<std::shared_ptr<const TableChunk>> chunks;
  /// The same for tables the universe does not know, by TableKey.
  std::shared_ptr<const SvMap<TableEntries>> extra_tables = std::make_shared<const SvMap<TableEntries>>();
  /// TABLE_WILDCARD grants by database id (null: none).
  std::vector<std::shared_ptr<const WildEntries>> wildcards;
  /// What on_table() reads of each principal's own lists, by principal id (parallel to nodes), so that a
  /// decision does not visit the principals' records.
  struct NodeHot {
    const std::uint32_t* tag_expressions = nullptr;
    const TagHot* tags = nullptr;
    const WildHot* extra_wild = nullptr;  ///< wildcards on databases the universe does not know
    std::uint32_t tag_count = 0;
    std::uint32_t extra_wild_count = 0;
  };
  std::vector<NodeHot> hot;

  static NodeHot hot_of(const PrincipalGrants* pg) {
    if (pg == nullptr) return {};
    return NodeHot{pg->tag_expressions.data(), pg->tag_hot.data(), pg->extra_wild.data(),
                   static_cast<std::uint32_t>(pg->tag_hot.size()),
                   static_cast<std::uint32_t>(pg->extra_wild.size())};
  }

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

  /// The principal id of `principal`, or kNone when neither the universe nor this snapshot knows it.
  std::uint32_t principal_id(const std::string& principal) const {
    std::uint32_t id = universe->principal_id(principal);
    if (id == detail::kNone && !extra_principals->empty()) {
      auto it = extra_principals->find(principal);
      if (it != extra_principals->end()) id = it->second;
    }
    return id;
  }

  /// subjects() as principal ids. A principal the universe does not know is in no group.
  SubjectIds subject_ids(const std::string& principal) const {
    SubjectIds out;
    const Universe& u = *universe;
    if (const detail::PairSlots::Slot* slot = u.principal_slot(principal)) {
      out.list = u.subject_ids.data() + slot->a;
      out.count = slot->b;
      return out;
    }
    if (!extra_principals->empty()) {
      auto it = extra_principals->find(principal);
      if (it != extra_principals->end()) out.local[out.count++] = it->second;
    }
    out.local[out.count++] = u.everyone;  // EVERYONE itself is always in the universe
    return out;
  }

  /// Calls fn for the grants of each subject of `principal` that has any, in subjects() order.
  template <class Fn>
  void for_each_bucket(const std::string& principal, Fn&& fn) const {
    const SubjectIds subs = subject_ids(principal);
    const std::uint32_t* ids = subs.data();
    for (std::uint32_t i = 0; i < subs.count; ++i) {
      if (const PrincipalGrants* pg = nodes[ids[i]].get()) fn(*pg);
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

  /// What `principal` holds on a table. With `kIds` false no deciding ids are collected, and with `stop`
  /// non-zero the search ends as soon as one of those permissions is found (the fast boolean path used to
  /// filter lists). Order (and so the deciding ids' order): per subject its TABLE, TABLE_WITH_COLUMNS and
  /// DATA_CELLS_FILTER grants on the table, then its TABLE_WILDCARD grants on the database; then per subject
  /// its tag policies (they cost the most, and the boolean path often stops before them).
  template <bool kIds>
  Held on_table(const std::string& principal, const std::string& db, const std::string& table, Timestamp now,
                PermissionSet stop = 0) const {
    Held held;
    const Universe& u = *universe;
    const SubjectIds subs = subject_ids(principal);
    const std::uint32_t* subjects = subs.data();

    // The table's entries: one hash lookup of the table's name.
    const detail::PairSlots::Slot* slot = u.table_slot(db, table);
    const std::uint32_t table_id = slot != nullptr ? slot->id : detail::kNone;
    std::uint32_t db_id = detail::kNone;
    std::uint32_t row = 0;  // tag row
    const std::uint32_t* entry_ids = nullptr;
    const TableHot* entries = nullptr;
    std::uint32_t entry_count = 0;
    if (slot != nullptr) {
      db_id = slot->a;
      row = slot->b;
      const TableChunk& chunk = *chunks[table_id / kChunk];
      const std::uint32_t at = table_id % kChunk;
      const std::uint32_t begin = chunk.offsets[at];
      entry_ids = chunk.principals.data() + begin;
      entries = chunk.hot.data() + begin;
      entry_count = chunk.offsets[at + 1] - begin;
    } else {
      db_id = u.database_id(db);
      row = db_id != detail::kNone ? u.database_row[db_id] : 0;
      if (!extra_tables->empty()) {
        auto it = extra_tables->find(TableKey(db, table).view());
        if (it != extra_tables->end()) {
          entry_ids = it->second.principals.data();
          entries = it->second.hot.data();
          entry_count = static_cast<std::uint32_t>(it->second.principals.size());
        }
      }
    }

    const WildEntries* wild = db_id != detail::kNone ? wildcards[db_id].get() : nullptr;
    const auto wild_count = wild != nullptr ? static_cast<std::uint32_t>(wild->principals.size()) : 0;

    DecidingGrants found;
    auto stopped = [&] { return stop != 0 && (held.permissions & stop) != 0; };
    auto add_whole = [&](PermissionSet perms, PermissionSet grantable, const CompiledGrant& g) {
      held.whole_table |= perms;
      held.permissions |= perms;
      held.grantable |= grantable;
      if constexpr (kIds) found.add(g);
    };
    for (std::uint32_t s = 0; s < subs.count; ++s) {
      const std::uint32_t id = subjects[s];
      if (entry_count != 0) {
        const auto [lo, hi] = range_of(entry_ids, entry_count, id);
        for (std::uint32_t k = lo; k < hi; ++k) {
          const TableHot& h = entries[k];
          if (!h.live(now)) continue;
          if (h.whole) {
            add_whole(h.perms, h.grantable, *h.grant);
          } else {
            held.permissions |= h.perms;
            if constexpr (kIds) found.add(*h.grant);
          }
          if (stopped()) return finish<kIds>(held, found);
        }
      }
      if (wild != nullptr) {
        const auto [lo, hi] = range_of(wild->principals.data(), wild_count, id);
        for (std::uint32_t k = lo; k < hi; ++k) {
          const WildHot& w = wild->hot[k];
          if (w.live(now)) add_whole(w.perms, w.grantable, *w.grant);
          if (stopped()) return finish<kIds>(held, found);
        }
      } else if (db_id == detail::kNone) {
        const NodeHot& nh = hot[id];
        for (std::uint32_t k = 0; k < nh.extra_wild_count; ++k) {
          const WildHot& w = nh.extra_wild[k];
          if (w.grant->grant.database != db) continue;
          if (w.live(now)) add_whole(w.perms, w.grantable, *w.grant);
          if (stopped()) return finish<kIds>(held, found);
        }
      }
    }

    // Tag policies, across all subjects.
    std::optional<TagView> view;
    for (std::uint32_t s = 0; s < subs.count; ++s) {
      const NodeHot& nh = hot[subjects[s]];
      for (std::uint32_t k = 0; k < nh.tag_count; ++k) {
        // Most expressions match neither the table nor a column: decide that from the expression ids alone.
        const std::uint32_t e = nh.tag_expressions[k];
        const bool tabulated = e < u.tabulated;
        const unsigned match = tabulated ? u.matches(row, e) : 3u;
        if (match == 0) continue;
        const TagHot& t = nh.tags[k];
        if (!t.live(now)) continue;
        bool table_level = false;
        bool column_level = false;
        if (tabulated) {
          table_level = (match & 1u) != 0;
          column_level = !table_level && t.select && (match & 2u) != 0;
        } else {
          if (!view) view = TagView::of(*tags, db, table);
          const auto& expr = t.grant->grant.tag_expression;
          table_level = view->matches(expr, nullptr);
          column_level = !table_level && t.select && view->some_column_matches(expr);
        }
        if (table_level) {
          add_whole(t.perms, t.grantable, *t.grant);
        } else if (column_level) {
          held.permissions |= catalog::bit(Permission::Select);
          if constexpr (kIds) found.add(*t.grant);
        }
        if (stopped()) return finish<kIds>(held, found);
      }
    }
    return finish<kIds>(held, found);
  }

  /// Any permission implies DESCRIBE (C2).
  template <bool kIds>
  static Held finish(Held& held, const DecidingGrants& found) {
    if (held.permissions != 0) held.permissions |= catalog::bit(Permission::Describe);
    if constexpr (kIds) found.append_to(held.deciding_ids);
    return std::move(held);
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
        for (const CompiledGrant* g : *grants) {
          if (g->live(now) && g->perms != 0) {
            found = g->id;
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
      for (const CompiledGrant* g : *grants) {
        if (g->has_select() && note_expired(*g)) whole(*g);
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

/// Appends the description of `r` ("table db.t", …) to `out`.
void append_resource(std::string& out, const Resource& r) {
  if (!r.filter.empty()) {
    out.append("data cells filter ")
        .append(r.database)
        .append(".")
        .append(r.table)
        .append(".")
        .append(r.filter);
  } else if (!r.table.empty()) {
    out.append("table ").append(r.database).append(".").append(r.table);
  } else if (!r.database.empty()) {
    out.append("database ").append(r.database);
  } else if (!r.principal.empty()) {
    out.append("principal ").append(r.principal);
  } else {
    out.append("the catalog");
  }
}

std::string describe_resource(const Resource& r) {
  std::string out;
  append_resource(out, r);
  return out;
}

/// The concatenation of `before` and the description of `r`, allocated once.
std::string reason_text(std::initializer_list<std::string_view> before, const Resource& r) {
  std::size_t size = r.database.size() + r.table.size() + r.filter.size() + r.principal.size() + 24;
  for (std::string_view part : before) size += part.size();
  std::string out;
  out.reserve(size);
  for (std::string_view part : before) out.append(part);
  append_resource(out, r);
  return out;
}

Decision allow(std::string reason, std::vector<std::string> ids) {
  return Decision{true, std::move(reason), std::move(ids)};
}
Decision deny(std::string reason) {
  return Decision{false, std::move(reason), {}};
}

/// Allowed when `held` has `p`.
Decision need(const std::string& who, Held held, Permission p, const Resource& r) {
  if (catalog::has(held.permissions, p)) {
    return allow(reason_text({who, " holds ", catalog::permission_name(p), " on "}, r),
                 std::move(held.deciding_ids));
  }
  return deny(reason_text({who, " lacks ", catalog::permission_name(p), " on "}, r));
}

Decision need_grantable(const std::string& who, Held held, Permission p, const Resource& r) {
  if (catalog::has(held.grantable, p)) {
    return allow(
        who + " holds " + catalog::permission_name(p) + " with grant option on " + describe_resource(r),
        std::move(held.deciding_ids));
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

  auto universe = std::make_shared<Universe>();
  intern_principals(*universe, by_principal, *impl->groups_of_user);
  impl->nodes.resize(universe->principals.size());
  {
    UniverseBuilder names(*universe);
    for (auto& [principal, grants] : by_principal) {
      impl->nodes[universe->principal_id(principal)] = index_grants(std::move(grants), names, *impl->filters);
    }
    names.finish(*impl->tags);
  }
  impl->universe = universe;
  impl->chunks = build_chunks(universe->tables.size(), impl->nodes);
  impl->wildcards = build_wildcards(universe->databases.size(), impl->nodes);
  impl->hot.reserve(impl->nodes.size());
  for (const auto& node : impl->nodes) impl->hot.push_back(PolicySnapshotImpl::hot_of(node.get()));
  return std::make_shared<const PolicySnapshot>(std::move(impl));
}

std::shared_ptr<const PolicySnapshot> PolicySnapshot::with_principal_grants(
    const std::string& principal, std::vector<Grant> grants, std::optional<std::int64_t> epoch) const {
  auto impl = std::make_shared<PolicySnapshotImpl>(*impl_);  // shares every component
  UniverseLookup names{*impl->universe};
  std::uint32_t id = impl->principal_id(principal);
  if (id == detail::kNone && !grants.empty()) {
    // First grants of a principal the universe does not know (it is in no group: memberships are in it).
    id = static_cast<std::uint32_t>(impl->nodes.size());
    auto extra = std::make_shared<SvMap<std::uint32_t>>(*impl->extra_principals);
    extra->emplace(principal, id);
    impl->extra_principals = std::move(extra);
    impl->nodes.emplace_back();
  }
  if (epoch) impl->epoch = *epoch;
  if (id == detail::kNone) return std::make_shared<const PolicySnapshot>(std::move(impl));  // nothing held

  std::shared_ptr<const PrincipalGrants> old = impl->nodes[id];
  std::shared_ptr<const PrincipalGrants> fresh =
      grants.empty() ? nullptr : index_grants(std::move(grants), names, *impl->filters);
  impl->grant_count = impl->grant_count - (old ? old->owned.size() : 0) + (fresh ? fresh->owned.size() : 0);
  impl->nodes[id] = fresh;
  impl->hot.resize(impl->nodes.size());
  impl->hot[id] = PolicySnapshotImpl::hot_of(fresh.get());

  // The per-table index: rebuild the chunks holding a table of the old or the new grants.
  static const PrincipalGrants kNothing;
  const PrincipalGrants& before = old ? *old : kNothing;
  const PrincipalGrants& after = fresh ? *fresh : kNothing;
  {
    const auto sorted = sorted_by_object(after.table_entries);
    std::vector<std::uint32_t> touched;
    for (const auto& [table, _] : before.table_entries) touched.push_back(table / kChunk);
    for (const auto& [table, _] : sorted) touched.push_back(table / kChunk);
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (std::uint32_t c : touched) {
      const auto [first, last] = object_range(sorted, c * kChunk, (c + 1) * kChunk);
      impl->chunks[c] = replace_in_chunk(*impl->chunks[c], c, id, first, last);
    }
  }

  // The per-database wildcard lists, likewise.
  {
    const auto sorted = sorted_by_object(after.wild_entries);
    std::vector<std::uint32_t> touched;
    for (const auto& [db, _] : before.wild_entries) touched.push_back(db);
    for (const auto& [db, _] : sorted) touched.push_back(db);
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (std::uint32_t db : touched) {
      const auto [first, last] = object_range(sorted, db, db + 1);
      static const WildEntries kNoEntries;
      const WildEntries& was = impl->wildcards[db] ? *impl->wildcards[db] : kNoEntries;
      auto list = std::make_shared<WildEntries>();
      replace_entries(was.principals.data(), was.hot.data(), was.principals.size(), id, first, last, *list);
      impl->wildcards[db] = list->principals.empty() ? nullptr : std::move(list);
    }
  }

  // Tables the universe does not know.
  if (!before.extra_table_entries.empty() || !after.extra_table_entries.empty()) {
    auto extra = std::make_shared<SvMap<TableEntries>>(*impl->extra_tables);
    std::vector<std::string> keys;
    for (const auto& [key, _] : before.extra_table_entries) keys.push_back(key);
    for (const auto& [key, _] : after.extra_table_entries) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const std::string& key : keys) {
      std::vector<std::pair<std::uint32_t, TableHot>> mine;
      for (const auto& [k, hot] : after.extra_table_entries) {
        if (k == key) mine.emplace_back(0, hot);
      }
      TableEntries was;
      if (auto it = extra->find(key); it != extra->end()) was = std::move(it->second);
      TableEntries now;
      replace_entries(was.principals.data(), was.hot.data(), was.principals.size(), id, mine.begin(),
                      mine.end(), now);
      if (now.principals.empty()) {
        extra->erase(key);
      } else {
        (*extra)[key] = std::move(now);
      }
    }
    impl->extra_tables = std::move(extra);
  }
  return std::make_shared<const PolicySnapshot>(std::move(impl));
}

Timestamp PolicySnapshot::next_expiry_after(const Subject& subject, Timestamp now) const {
  Timestamp next = std::numeric_limits<Timestamp>::max();
  if (subject.is_admin) return next;  // A1: an administrator's decisions do not depend on grants
  impl_->for_each_bucket(subject.principal, [&](const PrincipalGrants& pg) {
    auto it = std::upper_bound(pg.expiries.begin(), pg.expiries.end(), now);
    if (it != pg.expiries.end()) next = std::min(next, *it);
  });
  return next;
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
  return impl_->on_table<true>(subject.principal, database, table, now);
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
    case Action::DescribeCrawlers:
      return database_visible();
    case Action::DescribeTable: {
      Held held = s.on_table<true>(who, r.database, r.table, now);
      if (held.permissions != 0)
        return allow(reason_text({who, " holds permissions on "}, r), std::move(held.deciding_ids));
      return deny(reason_text({who, " holds no permission on "}, r));
    }
    case Action::ListPartitions:
    case Action::DescribePartition:
      return need(who, s.on_table<true>(who, r.database, r.table, now), Permission::Select, r);
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
      return location_check(need(who, s.on_table<true>(who, r.database, r.table, now), Permission::Alter, r));
    case Action::DropTable:
      return need(who, s.on_table<true>(who, r.database, r.table, now), Permission::Drop, r);
    case Action::CreatePartition:
      return need(who, s.on_table<true>(who, r.database, r.table, now), Permission::Insert, r);
    case Action::AlterPartition:
      return need(who, s.on_table<true>(who, r.database, r.table, now), Permission::Alter, r);
    case Action::DropPartition:
      return need(who, s.on_table<true>(who, r.database, r.table, now), Permission::Delete, r);
    case Action::AssignTags:
      if (r.table.empty()) return need(who, s.on_database(who, r.database, now), Permission::Alter, r);
      return need(who, s.on_table<true>(who, r.database, r.table, now), Permission::Alter, r);
    case Action::CreateFilter:
    case Action::AlterFilter: {
      Resource table_resource{r.database, r.table, {}, {}, {}};
      return need_grantable(who, s.on_table<true>(who, r.database, r.table, now), Permission::Select,
                            table_resource);
    }
    case Action::DescribeFilter:
    case Action::DropFilter: {
      Resource table_resource{r.database, r.table, {}, {}, {}};
      Decision d = need_grantable(who, s.on_table<true>(who, r.database, r.table, now), Permission::Select,
                                  table_resource);
      if (d.allowed) return d;
      const Permission p = action == Action::DescribeFilter ? Permission::Describe : Permission::Drop;
      return need(who, s.on_filter(who, r.database, r.table, r.filter, now), p, r);
    }
    case Action::ManageCrawlers: {
      // A crawler creates, alters and drops tables in its database: it needs what creating a table needs.
      Resource db_resource{r.database, {}, {}, {}, {}};
      return need(who, s.on_database(who, r.database, now), Permission::CreateTable, db_resource);
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
    case Action::ManageConnections:
      return deny(who + " is not an administrator; only administrators may " + action_name(action));
  }
  return deny("unknown action");
}

bool PolicySnapshot::allows(const Subject& subject, Action action, const Resource& r, Timestamp now) const {
  if (subject.is_admin) return true;
  switch (action) {
    case Action::DescribeTable:
      return impl_->on_table<false>(subject.principal, r.database, r.table, now, 0xFFFF).permissions != 0;
    case Action::ListPartitions:
    case Action::DescribePartition:
      return catalog::has(
          impl_
              ->on_table<false>(subject.principal, r.database, r.table, now, catalog::bit(Permission::Select))
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
            for (const CompiledGrant* g : *grants) consider(g);
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
