#pragma once

// A reference evaluator of docs/authorization.md, written from that document alone and independent of the
// compiled engine (authz/src/policy_engine.cpp). It is deliberately slow and literal: every question loops
// over every grant, nothing is indexed or cached, and each rule is coded where the document states it (the
// rule ids are in the comments). Row filters and masks come from authz/row_filter.h (RowFilter::matches,
// parse_mask, apply_mask); the order of masks is taken from the document, not from mask_rank().

#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cairn/authz/authorizer.h"
#include "cairn/authz/policy_engine.h"
#include "cairn/authz/row_filter.h"
#include "cairn/catalog/model.h"
#include "cairn/catalog/policy.h"

namespace cairn::authz_test::reference {

using catalog::Grant;
using catalog::Permission;
using catalog::PermissionSet;
using catalog::ResourceKind;

/// Who asks: a canonical principal id ("user:alice", "role:etl") and whether it is an administrator.
struct Subject {
  std::string principal;
  bool is_admin = false;
};

/// A concrete row: column -> value as text (nullopt or absent: NULL).
using Row = std::map<std::string, std::optional<std::string>>;

/// What the caller gets of one row: whether it is returned and, for each visible column, the value shown.
struct GovernedRow {
  bool returned = false;
  std::map<std::string, std::optional<std::string>> values;
  bool operator==(const GovernedRow&) const = default;
};

/// One SELECT source (5.2): a row predicate, columns and masks, and the grant it comes from.
struct Source {
  std::string origin;    ///< "grant:<id>" (and the filter name for filter grants)
  bool all_rows = true;  ///< no predicate
  std::shared_ptr<const authz::RowFilter> predicate;  ///< when !all_rows; null = matches no row (F1)
  std::set<std::string> columns;                      ///< existing columns of the table only
  std::map<std::string, authz::Mask> masks;           ///< column -> mask (columns of this source only)
};

inline PermissionSet bits(std::initializer_list<Permission> ps) {
  PermissionSet out = 0;
  for (Permission p : ps) out |= catalog::bit(p);
  return out;
}

/// Permissions valid on a resource kind (the table in section 2); ALL stands for all of them (R1, R2).
inline PermissionSet valid_on(ResourceKind kind, const std::string& tag_resource_type = "") {
  switch (kind) {
    case ResourceKind::Catalog:
      return bits({Permission::CreateDatabase, Permission::Describe});
    case ResourceKind::Database:
      return bits({Permission::Alter, Permission::Drop, Permission::Describe, Permission::CreateTable});
    case ResourceKind::Table:
    case ResourceKind::TableWildcard:
      return bits({Permission::Select, Permission::Describe, Permission::Alter, Permission::Drop,
                   Permission::Insert, Permission::Delete});
    case ResourceKind::TableWithColumns:
      return bits({Permission::Select});
    case ResourceKind::DataLocation:
      return bits({Permission::DataLocationAccess});
    case ResourceKind::DataCellsFilter:
      return bits({Permission::Select, Permission::Describe, Permission::Drop});
    case ResourceKind::TagPolicy:
      return tag_resource_type == "DATABASE" ? valid_on(ResourceKind::Database)
                                             : valid_on(ResourceKind::Table);
  }
  return 0;
}

/// `set` with ALL replaced by every permission valid on the kind (R1); the ALL bit itself is dropped.
inline PermissionSet expand(PermissionSet set, ResourceKind kind, const std::string& tag_resource_type = "") {
  PermissionSet out = set & static_cast<PermissionSet>(~catalog::bit(Permission::All));
  if (catalog::has(set, Permission::All)) out |= valid_on(kind, tag_resource_type);
  return out;
}

/// Rank of a mask from section 4 / S4: null < redact < hash_sha256 < year_only < show_last(n), larger n more.
inline int reveal_rank(const authz::Mask& mask) {
  switch (mask.kind) {
    case authz::Mask::Kind::Null:
      return 0;
    case authz::Mask::Kind::Redact:
      return 1;
    case authz::Mask::Kind::HashSha256:
      return 2;
    case authz::Mask::Kind::YearOnly:
      return 3;
    case authz::Mask::Kind::ShowLast:
      return 4 + mask.n;
  }
  return -1;
}

/// A path-boundary prefix test on normalised URIs (scheme lower-case, no trailing '/').
inline bool location_covers(const std::string& prefix, const std::string& uri) {
  return uri == prefix || (uri.size() > prefix.size() && uri.compare(0, prefix.size(), prefix) == 0 &&
                           uri[prefix.size()] == '/');
}

inline std::string normalise_uri(std::string uri) {
  const auto scheme_end = uri.find("://");
  if (scheme_end != std::string::npos) {
    for (std::size_t i = 0; i < scheme_end; ++i) {
      uri[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(uri[i])));
    }
  }
  while (uri.size() > 1 && uri.back() == '/' &&
         (scheme_end == std::string::npos || uri.size() > scheme_end + 3)) {
    uri.pop_back();
  }
  return uri;
}

class Evaluator {
 public:
  /// `tables`: every table of the catalog (database_name set), for database visibility (C3) and for
  /// decisions on tables; `now` decides which grants have expired (T1).
  Evaluator(catalog::PolicyData data, catalog::Timestamp now, std::vector<catalog::Table> tables = {})
      : data_(std::move(data)), now_(now), tables_(std::move(tables)) {}

  const catalog::PolicyData& data() const { return data_; }

  // --- principals ------------------------------------------------------------------------------------

  /// P1: the caller itself, every group it is a member of (users only), and EVERYONE.
  std::vector<std::string> subjects(const Subject& s) const {
    std::vector<std::string> out{s.principal};
    if (s.principal.rfind("user:", 0) == 0) {
      const std::string user = s.principal.substr(5);
      for (const auto& [group, members] : data_.group_members) {
        for (const std::string& m : members) {
          if (m == user) {
            out.push_back("group:" + group);
            break;
          }
        }
      }
    }
    out.emplace_back(catalog::kEveryone);
    return out;
  }

  /// A grant counts for `s` when its principal is one of the subjects and it has not expired (P1, T1).
  bool counts(const Grant& g, const Subject& s) const {
    if (g.expires_at && now_ >= *g.expires_at) return false;
    for (const std::string& who : subjects(s)) {
      if (who == g.principal) return true;
    }
    return false;
  }

  /// Grants that count for `s` but have expired (explain's expired list).
  bool expired_for(const Grant& g, const Subject& s) const {
    if (!g.expires_at || now_ < *g.expires_at) return false;
    for (const std::string& who : subjects(s)) {
      if (who == g.principal) return true;
    }
    return false;
  }

  // --- tags (TG2, TG3) -------------------------------------------------------------------------------

  /// Effective tags of a database (table empty), a table (column empty) or a column.
  std::map<std::string, std::string> effective_tags(const std::string& db, const std::string& table,
                                                    const std::string& column) const {
    std::map<std::string, std::string> tags;
    for (const auto& a : data_.tag_assignments) {
      if (a.database == db && a.table.empty() && a.column.empty()) tags[a.key] = a.value;
    }
    if (table.empty()) return tags;
    for (const auto& a : data_.tag_assignments) {
      if (a.database == db && a.table == table && a.column.empty()) tags[a.key] = a.value;
    }
    if (column.empty()) return tags;
    for (const auto& a : data_.tag_assignments) {
      if (a.database == db && a.table == table && a.column == column) tags[a.key] = a.value;
    }
    return tags;
  }

  /// TG3: every condition holds; a key without an effective value fails.
  static bool tags_match(const std::vector<catalog::TagCondition>& expression,
                         const std::map<std::string, std::string>& tags) {
    for (const auto& cond : expression) {
      auto it = tags.find(cond.key);
      if (it == tags.end()) return false;
      if (std::find(cond.values.begin(), cond.values.end(), it->second) == cond.values.end()) return false;
    }
    return true;
  }

  static bool is_tag_table(const Grant& g) {
    return g.kind == ResourceKind::TagPolicy && g.tag_resource_type == "TABLE";
  }
  static bool is_tag_database(const Grant& g) {
    return g.kind == ResourceKind::TagPolicy && g.tag_resource_type == "DATABASE";
  }

  /// Every column of a table: data columns, then partition keys.
  static std::vector<catalog::Column> all_columns(const catalog::Table& t) {
    std::vector<catalog::Column> out = t.storage_descriptor.columns;
    out.insert(out.end(), t.partition_keys.begin(), t.partition_keys.end());
    return out;
  }

  /// TG5 first bullet: the table's effective tags match.
  bool tag_table_level(const Grant& g, const catalog::Table& t) const {
    return is_tag_table(g) && tags_match(g.tag_expression, effective_tags(t.database_name, t.name, ""));
  }
  /// Columns of `t` whose effective tags match the grant's expression.
  std::set<std::string> tag_columns(const Grant& g, const catalog::Table& t) const {
    std::set<std::string> out;
    for (const auto& c : all_columns(t)) {
      if (tags_match(g.tag_expression, effective_tags(t.database_name, t.name, c.name))) out.insert(c.name);
    }
    return out;
  }

  // --- databases -------------------------------------------------------------------------------------

  /// O1 (database part) and O2: Database and matching TAG_POLICY/DATABASE grants.
  std::pair<PermissionSet, PermissionSet> database_held(const Subject& s, const std::string& db) const {
    if (s.is_admin) return {valid_on(ResourceKind::Database), valid_on(ResourceKind::Database)};  // P2
    PermissionSet perms = 0;
    PermissionSet grantable = 0;
    for (const Grant& g : data_.grants) {
      if (!counts(g, s)) continue;
      const bool on_db = (g.kind == ResourceKind::Database && g.database == db) ||
                         (is_tag_database(g) && tags_match(g.tag_expression, effective_tags(db, "", "")));
      if (!on_db) continue;
      perms |= expand(g.permissions, ResourceKind::Database);
      grantable |= expand(g.grantable, ResourceKind::Database);
    }
    return {perms, grantable};
  }

  /// C3: a permission on the database, a TABLE_WILDCARD grant on it, or a visible table in it (C1;
  /// DESCRIBE/DROP on a data cells filter show neither its table nor the database), or a TAG_POLICY/TABLE
  /// grant that matches the database's own effective tags. The other TAG_POLICY/TABLE cases C3 lists (an
  /// explicitly tagged table matching, or, with SELECT or ALL, an explicitly tagged column matching) are
  /// those that make a table visible (TG5).
  bool database_visible(const Subject& s, const std::string& db) const {
    if (s.is_admin) return true;
    if (database_held(s, db).first != 0) return true;
    for (const Grant& g : data_.grants) {  // every table of it, present and future
      if (counts(g, s) && g.kind == ResourceKind::TableWildcard && g.database == db && g.permissions != 0)
        return true;
    }
    for (const auto& t : tables_) {
      if (t.database_name == db && table_visible(s, t)) return true;
    }
    for (const Grant& g : data_.grants) {
      if (counts(g, s) && is_tag_table(g) && tags_match(g.tag_expression, effective_tags(db, "", ""))) {
        return true;
      }
    }
    return false;
  }

  // --- tables ----------------------------------------------------------------------------------------

  static bool has_select(const Grant& g) {
    return catalog::has(g.permissions, Permission::Select) || catalog::has(g.permissions, Permission::All);
  }
  static bool select_grantable(const Grant& g) {
    return catalog::has(g.grantable, Permission::Select) || catalog::has(g.grantable, Permission::All);
  }

  const catalog::DataCellsFilter* find_filter(const Grant& g) const {
    for (const auto& f : data_.filters) {
      if (f.database == g.database && f.table == g.table && f.name == g.filter_name) return &f;
    }
    return nullptr;
  }

  /// Is `g` a grant on `t` as a whole (TABLE, TABLE_WILDCARD or table-level TAG_POLICY/TABLE; V1, O1)?
  bool whole_table_grant(const Grant& g, const catalog::Table& t) const {
    if (g.kind == ResourceKind::Table) return g.database == t.database_name && g.table == t.name;
    if (g.kind == ResourceKind::TableWildcard) return g.database == t.database_name;
    return tag_table_level(g, t);
  }

  /// Permissions and grant options held on `t` through whole-table grants only (O1, O2; no implied
  /// DESCRIBE, no column-only SELECT).
  std::pair<PermissionSet, PermissionSet> whole_table_explicit(const Subject& s,
                                                               const catalog::Table& t) const {
    if (s.is_admin) return {valid_on(ResourceKind::Table), valid_on(ResourceKind::Table)};
    PermissionSet perms = 0;
    PermissionSet grantable = 0;
    for (const Grant& g : data_.grants) {
      if (!counts(g, s) || !whole_table_grant(g, t)) continue;
      perms |= expand(g.permissions, ResourceKind::Table);
      grantable |= expand(g.grantable, ResourceKind::Table);
    }
    return {perms, grantable};
  }

  /// Builds a predicate of a data cells filter against `t`'s current columns; null when it no longer
  /// parses (F1: matches no row).
  static std::shared_ptr<const authz::RowFilter> filter_predicate(const catalog::DataCellsFilter& f,
                                                                  const catalog::Table& t) {
    try {
      return authz::RowFilter::parse(f.row_filter, all_columns(t), "row_filter");
    } catch (const std::exception&) {
      return nullptr;
    }
  }

  static std::set<std::string> column_names(const catalog::Table& t) {
    std::set<std::string> out;
    for (const auto& c : all_columns(t)) out.insert(c.name);
    return out;
  }

  /// The columns named by an include list, or all columns but an exclude list, among the table's columns.
  static std::set<std::string> pick_columns(const catalog::Table& t, const std::vector<std::string>& include,
                                            bool wildcard, const std::vector<std::string>& exclude) {
    std::set<std::string> out;
    for (const auto& name : column_names(t)) {
      if (wildcard) {
        if (std::find(exclude.begin(), exclude.end(), name) == exclude.end()) out.insert(name);
      } else if (std::find(include.begin(), include.end(), name) != include.end()) {
        out.insert(name);
      }
    }
    return out;
  }

  /// Masks of `masks` on the columns in `columns` (a mask on a column the source does not cover, or that
  /// the table does not have, is ignored: section 4).
  /// A mask that no longer fits its column's type (the table changed) masks as `null` (section 4).
  static std::map<std::string, authz::Mask> pick_masks(const std::map<std::string, std::string>& masks,
                                                       const std::set<std::string>& columns,
                                                       const catalog::Table& t) {
    std::map<std::string, authz::Mask> out;
    for (const auto& [column, spec] : masks) {
      if (columns.count(column) == 0) continue;
      authz::Mask mask = authz::parse_mask(spec, "mask");
      for (const auto& c : all_columns(t)) {
        if (c.name != column) continue;
        try {
          authz::check_mask_applies(mask, c.type, "mask");
        } catch (const std::exception&) {
          mask = authz::Mask{authz::Mask::Kind::Null, 0};
        }
      }
      out.emplace(column, mask);
    }
    return out;
  }

  /// The SELECT sources of section 5.2 for `s` on `t` (not for administrators).
  std::vector<Source> sources(const Subject& s, const catalog::Table& t) const {
    std::vector<Source> out;
    for (const Grant& g : data_.grants) {
      if (!counts(g, s)) continue;
      Source src;
      src.origin = "grant:" + std::to_string(g.id);
      switch (g.kind) {
        case ResourceKind::Table:
        case ResourceKind::TableWildcard:
          if (!whole_table_grant(g, t) || !has_select(g)) continue;
          src.columns = column_names(t);
          break;
        case ResourceKind::TableWithColumns:
          if (g.database != t.database_name || g.table != t.name || !has_select(g)) continue;
          src.columns = pick_columns(t, g.columns, g.column_wildcard, g.excluded_columns);
          break;
        case ResourceKind::TagPolicy:
          // TG5: table-level match -> the matching columns; otherwise columns that match on their own.
          if (!is_tag_table(g) || !has_select(g)) continue;
          src.columns = tag_columns(g, t);
          if (!tag_table_level(g, t) && src.columns.empty()) continue;
          break;
        case ResourceKind::DataCellsFilter: {
          if (g.database != t.database_name || g.table != t.name || !has_select(g)) continue;
          const catalog::DataCellsFilter* f = find_filter(g);
          if (f == nullptr) continue;
          src.origin += "/filter:" + f->name;
          src.columns = pick_columns(t, f->columns, f->column_wildcard, f->excluded_columns);
          src.masks = pick_masks(f->column_masks, src.columns, t);
          if (!f->all_rows) {
            src.all_rows = false;
            src.predicate = filter_predicate(*f, t);
            // F1 and section 6 (resolve access): a filter that fails closed gives no rows and no readable
            // column; it still is a source (S6, C1).
            if (src.predicate == nullptr) src.columns.clear();
          }
          out.push_back(std::move(src));
          continue;
        }
        default:
          continue;
      }
      src.masks = pick_masks(g.column_masks, src.columns, t);
      out.push_back(std::move(src));
    }
    return out;
  }

  /// Permissions held on `t` as resolve() reports them: O1 whole-table permissions, SELECT when a source
  /// exists (S6), DESCRIBE when anything is held (C2); and the grant options, from whole-table grants only
  /// (O2: grantable SELECT on some columns or on a filter is not a grant option on the table).
  std::pair<PermissionSet, PermissionSet> table_held(const Subject& s, const catalog::Table& t) const {
    if (s.is_admin) return {valid_on(ResourceKind::Table), valid_on(ResourceKind::Table)};
    auto [perms, grantable] = whole_table_explicit(s, t);
    perms &= static_cast<PermissionSet>(~catalog::bit(Permission::Select));
    if (!sources(s, t).empty()) perms |= catalog::bit(Permission::Select);
    if (perms != 0) perms |= catalog::bit(Permission::Describe);
    return {perms, grantable};
  }

  /// C1.
  bool table_visible(const Subject& s, const catalog::Table& t) const { return table_held(s, t).first != 0; }

  /// S1 (all columns for administrators).
  std::set<std::string> visible_columns(const Subject& s, const catalog::Table& t) const {
    if (s.is_admin) return column_names(t);
    std::set<std::string> out;
    for (const Source& src : sources(s, t)) out.insert(src.columns.begin(), src.columns.end());
    return out;
  }

  static bool source_holds(const Source& src, const Row& row) {
    if (src.all_rows) return true;
    if (src.predicate == nullptr) return false;  // F1
    return src.predicate->matches([&row](std::string_view column) -> std::optional<std::string> {
      auto it = row.find(std::string(column));
      return it == row.end() ? std::nullopt : it->second;
    });
  }

  static std::optional<std::string> raw(const Row& row, const std::string& column) {
    auto it = row.find(column);
    return it == row.end() ? std::nullopt : it->second;
  }

  /// S2-S4 applied to one row: returned when some source's predicate holds; each visible column shows the
  /// most revealing outcome among the sources that include it and whose predicate holds (unmasked first),
  /// or NULL when none does (cell filter).
  GovernedRow govern(const Subject& s, const catalog::Table& t, const Row& row) const {
    return govern_rows(s, t, {row}).front();
  }

  /// govern() for several rows (the sources are worked out once).
  std::vector<GovernedRow> govern_rows(const Subject& s, const catalog::Table& t,
                                       const std::vector<Row>& rows) const {
    std::map<std::string, std::string> types;
    for (const auto& c : all_columns(t)) types[c.name] = c.type;
    const std::vector<Source> srcs = s.is_admin ? std::vector<Source>{} : sources(s, t);
    std::set<std::string> visible;
    for (const Source& src : srcs) visible.insert(src.columns.begin(), src.columns.end());
    std::vector<GovernedRow> result;
    for (const Row& row : rows) {
      GovernedRow out;
      if (s.is_admin) {  // P2
        out.returned = true;
        for (const auto& [name, type] : types) out.values[name] = raw(row, name);
        result.push_back(std::move(out));
        continue;
      }
      std::vector<bool> holds;
      for (const Source& src : srcs) {
        holds.push_back(source_holds(src, row));
        // S2, read with section 6 (resolve access): a source with no readable column adds no rows.
        if (holds.back() && !src.columns.empty()) out.returned = true;
      }
      if (out.returned) {
        for (const std::string& column : visible) {  // S1
          bool shown = false;
          bool unmasked = false;
          std::optional<authz::Mask> best;
          for (std::size_t i = 0; i < srcs.size(); ++i) {
            if (!holds[i] || srcs[i].columns.count(column) == 0) continue;
            shown = true;  // S3
            auto m = srcs[i].masks.find(column);
            if (m == srcs[i].masks.end()) {
              unmasked = true;  // S4: unmasked wins
            } else if (!best || reveal_rank(m->second) > reveal_rank(*best)) {
              best = m->second;  // S4: the more revealing mask wins
            }
          }
          if (!shown) {
            out.values[column] = std::nullopt;
          } else if (unmasked) {
            out.values[column] = raw(row, column);
          } else {
            out.values[column] = authz::apply_mask(*best, raw(row, column), types[column]);
          }
        }
      }
      result.push_back(std::move(out));
    }
    return result;
  }

  // --- filters, locations, catalog -------------------------------------------------------------------

  std::pair<PermissionSet, PermissionSet> filter_held(const Subject& s, const std::string& db,
                                                      const std::string& table,
                                                      const std::string& name) const {
    if (s.is_admin) return {valid_on(ResourceKind::DataCellsFilter), valid_on(ResourceKind::DataCellsFilter)};
    PermissionSet perms = 0;
    PermissionSet grantable = 0;
    for (const Grant& g : data_.grants) {
      if (!counts(g, s) || g.kind != ResourceKind::DataCellsFilter) continue;
      if (g.database != db || g.table != table || g.filter_name != name) continue;
      perms |= expand(g.permissions, ResourceKind::DataCellsFilter);
      grantable |= expand(g.grantable, ResourceKind::DataCellsFilter);
    }
    return {perms, grantable};
  }

  /// The registered location covering `uri` (longest prefix on a path boundary).
  std::optional<catalog::DataLocation> registered_location(const std::string& uri) const {
    std::optional<catalog::DataLocation> best;
    const std::string u = normalise_uri(uri);
    for (const auto& loc : data_.locations) {
      if (location_covers(loc.uri, u) && (!best || loc.uri.size() > best->uri.size())) best = loc;
    }
    return best;
  }

  /// DATA_LOCATION_ACCESS on a location covering `uri` (a DATA_LOCATION grant whose prefix covers it).
  bool location_access(const Subject& s, const std::string& uri) const {
    if (s.is_admin) return true;
    const std::string u = normalise_uri(uri);
    for (const Grant& g : data_.grants) {
      if (!counts(g, s) || g.kind != ResourceKind::DataLocation) continue;
      if (location_covers(g.location, u) &&
          catalog::has(expand(g.permissions, ResourceKind::DataLocation), Permission::DataLocationAccess)) {
        return true;
      }
    }
    return false;
  }

  PermissionSet catalog_held(const Subject& s) const {
    if (s.is_admin) return valid_on(ResourceKind::Catalog);
    PermissionSet perms = 0;
    for (const Grant& g : data_.grants) {
      if (counts(g, s) && g.kind == ResourceKind::Catalog)
        perms |= expand(g.permissions, ResourceKind::Catalog);
    }
    return perms;
  }

  /// Grant options held on the catalog (CATALOG grants).
  PermissionSet catalog_grantable(const Subject& s) const {
    if (s.is_admin) return valid_on(ResourceKind::Catalog);
    PermissionSet out = 0;
    for (const Grant& g : data_.grants) {
      if (counts(g, s) && g.kind == ResourceKind::Catalog) out |= expand(g.grantable, ResourceKind::Catalog);
    }
    return out;
  }

  /// GR1: may `s` grant or revoke `g` (its permissions and grant options)? Administrators may; others need
  /// the grant option for every permission named, on that resource: for TABLE the whole-table grant options
  /// (O2); for TABLE_WITH_COLUMNS grantable SELECT on the whole table; for DATA_CELLS_FILTER that, or the
  /// grant option for each permission named on that filter; TABLE_WILDCARD, DATA_LOCATION and TAG_POLICY are
  /// administrator only.
  bool may_grant(const Subject& s, const Grant& g) const {
    if (s.is_admin) return true;  // P2
    const PermissionSet wanted =
        static_cast<PermissionSet>(expand(g.permissions, g.kind, g.tag_resource_type) |
                                   expand(g.grantable, g.kind, g.tag_resource_type));
    auto covered = [&](PermissionSet held) { return (wanted & ~held) == 0; };
    const catalog::Table t = table_named(g.database, g.table);
    switch (g.kind) {
      case ResourceKind::Catalog:
        return covered(catalog_grantable(s));
      case ResourceKind::Database:
        return covered(database_held(s, g.database).second);
      case ResourceKind::Table:
        return covered(whole_table_explicit(s, t).second);
      case ResourceKind::TableWithColumns:
        return catalog::has(whole_table_explicit(s, t).second, Permission::Select);
      case ResourceKind::DataCellsFilter:
        return catalog::has(whole_table_explicit(s, t).second, Permission::Select) ||
               covered(filter_held(s, g.database, g.table, g.filter_name).second);
      case ResourceKind::TableWildcard:
      case ResourceKind::DataLocation:
      case ResourceKind::TagPolicy:
        return false;
    }
    return false;
  }

  /// The table of the catalog named by `db`.`name`, or a table with no columns when it is not known.
  catalog::Table table_named(const std::string& db, const std::string& name) const {
    for (const auto& t : tables_) {
      if (t.database_name == db && t.name == name) return t;
    }
    catalog::Table t;
    t.database_name = db;
    t.name = name;
    return t;
  }

  /// Section 6 for the governance and catalog actions it names; nullopt for actions the document leaves to
  /// the foundation (identity administration) or filters per item (DescribeGrants).
  std::optional<bool> decide(const Subject& s, authz::Action action, const authz::Resource& r) const {
    using authz::Action;
    if (s.is_admin) return true;  // P2
    auto table_has = [&](Permission p) {
      return catalog::has(whole_table_explicit(s, table_named(r.database, r.table)).first, p);
    };
    auto db_has = [&](Permission p) { return catalog::has(database_held(s, r.database).first, p); };
    auto whole_select_grantable = [&] {
      return catalog::has(whole_table_explicit(s, table_named(r.database, r.table)).second,
                          Permission::Select);
    };
    auto l1 = [&] {
      return r.location.empty() || !registered_location(r.location) || location_access(s, r.location);
    };
    switch (action) {
      case Action::ListDatabases:
      case Action::DescribeTagKeys:
        return true;
      case Action::DescribeDatabase:
      case Action::ListTables:
      case Action::DescribeCrawlers:
        return database_visible(s, r.database);
      case Action::DescribeTable:
        return table_visible(s, table_named(r.database, r.table));
      case Action::ListPartitions:
      case Action::DescribePartition:
        return catalog::has(table_held(s, table_named(r.database, r.table)).first, Permission::Select);  // S6
      case Action::CreateDatabase:
        return catalog::has(catalog_held(s), Permission::CreateDatabase);
      case Action::AlterDatabase:
        return db_has(Permission::Alter);
      case Action::DropDatabase:
        return db_has(Permission::Drop);
      case Action::CreateTable:
        return db_has(Permission::CreateTable) && l1();  // L1
      case Action::ManageCrawlers:
        return db_has(Permission::CreateTable);
      case Action::AlterTable:
        return table_has(Permission::Alter) && l1();
      case Action::DropTable:
        return table_has(Permission::Drop);
      case Action::CreatePartition:
        return table_has(Permission::Insert);
      case Action::AlterPartition:
        return table_has(Permission::Alter);
      case Action::DropPartition:
        return table_has(Permission::Delete);
      case Action::AssignTags:
        return r.table.empty() ? db_has(Permission::Alter) : table_has(Permission::Alter);
      case Action::CreateFilter:
        return whole_select_grantable();  // F3
      case Action::DescribeFilter:
        return whole_select_grantable() ||
               catalog::has(filter_held(s, r.database, r.table, r.filter).first, Permission::Describe);
      case Action::AlterFilter:
        return whole_select_grantable();
      case Action::DropFilter:
        return whole_select_grantable() ||
               catalog::has(filter_held(s, r.database, r.table, r.filter).first, Permission::Drop);
      case Action::ManageTagKeys:
      case Action::ManageLocations:
      case Action::DescribeLocations:
      case Action::ReadAudit:
      case Action::ManageConnections:
        return false;
      case Action::Explain: {
        // The principal asking about itself: an ARN ("arn:aws:iam::<id>:user/alice") or a canonical id.
        std::string target = r.principal;
        const auto colon = target.rfind(':');
        const auto slash = target.find('/', colon == std::string::npos ? 0 : colon);
        if (target.rfind("arn:", 0) == 0 && colon != std::string::npos && slash != std::string::npos) {
          target = target.substr(colon + 1, slash - colon - 1) + ":" + target.substr(slash + 1);
        }
        return target == s.principal;
      }
      default:
        return std::nullopt;
    }
  }

 private:
  catalog::PolicyData data_;
  catalog::Timestamp now_;
  std::vector<catalog::Table> tables_;
};

/// The engine's answer applied to a row, as an engine would: the row is returned when the caller holds
/// SELECT and all_rows is set or some row filter matches; each authorized column shows the first rule one of
/// whose predicates holds (no predicates: every row), masked or raw, and NULL when no rule holds.
inline GovernedRow apply_access(const authz::TableAccess& access, const Row& row) {
  GovernedRow out;
  auto reader = [&row](std::string_view column) -> std::optional<std::string> {
    auto it = row.find(std::string(column));
    return it == row.end() ? std::nullopt : it->second;
  };
  if (!catalog::has(access.permissions, Permission::Select)) return out;
  out.returned = access.all_rows;
  for (const auto& f : access.row_filters) {
    if (f != nullptr && f->matches(reader)) out.returned = true;
  }
  if (!out.returned) return out;
  for (const authz::ColumnAccess& c : access.columns) {
    std::optional<std::string> value;
    for (const authz::ColumnRule& rule : c.rules) {
      bool holds = rule.predicates.empty();
      for (const auto& p : rule.predicates) {
        if (p != nullptr && p->matches(reader)) holds = true;
      }
      if (!holds) continue;
      value = rule.mask ? authz::apply_mask(*rule.mask, reader(c.name), c.type) : reader(c.name);
      break;
    }
    out.values[c.name] = value;
  }
  return out;
}

}  // namespace cairn::authz_test::reference
