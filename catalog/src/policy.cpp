#include "cairn/catalog/policy.h"

#include <algorithm>
#include <array>
#include <set>

#include "cairn/catalog/error.h"
#include "cairn/catalog/names.h"
#include "cairn/catalog/text_util.h"

namespace cairn::catalog {

// Permissions valid on each resource kind (a grant or revoke naming any other permission is
// InvalidArgument on "<path>.permissions"). Lake Formation's model (botocore lakeformation 2017-03-31) lists
// the permission names; which ones apply to which resource follows Lake Formation's documentation.
//
//   resource kind            valid permissions
//   -----------------------  -----------------------------------------------------------
//   CATALOG                  ALL, CREATE_DATABASE, DESCRIBE
//   DATABASE                 ALL, ALTER, DROP, DESCRIBE, CREATE_TABLE
//   TABLE                    ALL, SELECT, DESCRIBE, ALTER, DROP, INSERT, DELETE
//   TABLE_WILDCARD           ALL, SELECT, DESCRIBE, ALTER, DROP, INSERT, DELETE
//   TABLE_WITH_COLUMNS       SELECT
//   DATA_LOCATION            DATA_LOCATION_ACCESS
//   DATA_CELLS_FILTER        SELECT, DESCRIBE, DROP
//   TAG_POLICY (DATABASE)    ALL, ALTER, DROP, DESCRIBE, CREATE_TABLE
//   TAG_POLICY (TABLE)       ALL, SELECT, DESCRIBE, ALTER, DROP, INSERT, DELETE
//
// Grantable permissions must be a subset of the granted ones. Column masks are allowed on TABLE,
// TABLE_WILDCARD, TABLE_WITH_COLUMNS and TAG_POLICY (TABLE) grants only.

namespace {

using text::ascii_lower;

constexpr std::size_t kMaxNameLength = 255;
constexpr std::size_t kMaxTagKeyLength = 128;
constexpr std::size_t kMaxTagValueLength = 256;
constexpr std::size_t kMaxTagValues = 1000;
constexpr std::size_t kMaxMaskLength = 32;
constexpr std::size_t kMaxRowFilterLength = 2048;
constexpr std::size_t kMaxLocationLength = 2048;

constexpr std::array<const char*, 10> kPermissionNames = {
    "ALL",    "SELECT", "DESCRIBE",        "ALTER",        "DROP",
    "INSERT", "DELETE", "CREATE_DATABASE", "CREATE_TABLE", "DATA_LOCATION_ACCESS"};

constexpr std::array<const char*, 8> kKindNames = {"CATALOG",           "DATABASE",           "TABLE",
                                                   "TABLE_WILDCARD",    "TABLE_WITH_COLUMNS", "DATA_LOCATION",
                                                   "DATA_CELLS_FILTER", "TAG_POLICY"};

constexpr PermissionSet bits(std::initializer_list<Permission> ps) {
  PermissionSet out = 0;
  for (Permission p : ps) out = static_cast<PermissionSet>(out | bit(p));
  return out;
}

constexpr PermissionSet kCatalogValid =
    bits({Permission::All, Permission::CreateDatabase, Permission::Describe});
constexpr PermissionSet kDatabaseValid = bits(
    {Permission::All, Permission::Alter, Permission::Drop, Permission::Describe, Permission::CreateTable});
constexpr PermissionSet kTableValid =
    bits({Permission::All, Permission::Select, Permission::Describe, Permission::Alter, Permission::Drop,
          Permission::Insert, Permission::Delete});
constexpr PermissionSet kColumnsValid = bits({Permission::Select});
constexpr PermissionSet kLocationValid = bits({Permission::DataLocationAccess});
constexpr PermissionSet kFilterValid = bits({Permission::Select, Permission::Describe, Permission::Drop});

std::size_t kind_index(ResourceKind kind) {
  return static_cast<std::size_t>(kind);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

/// Escapes the separators of resource_key ('%', '|', ',', '=', ';', ':') in one component.
std::string esc(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '%' || c == '|' || c == ',' || c == '=' || c == ';' || c == ':') {
      out += '%';
      out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      out += kHex[static_cast<unsigned char>(c) & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string join_escaped(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += esc(items[i]);
  }
  return out;
}

/// Normalises a list of column names (field[i] per item), sorted and unique.
std::vector<std::string> normalize_columns(const std::vector<std::string>& columns,
                                           const std::string& field) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    seen.insert(normalize_column_name(field + "[" + std::to_string(i) + "]", columns[i]));
  }
  return {seen.begin(), seen.end()};
}

/// Lower-cases and checks a mask spec: printable ASCII, no outer space, 1..32 characters. The mask language
/// itself is parsed by the permission engine.
std::string normalize_mask_spec(std::string_view spec, const std::string& field) {
  std::string out = text::lower(spec);
  if (out.empty()) throw_invalid(field, "a column mask is empty");
  if (out.size() > kMaxMaskLength) {
    throw_invalid(field, "a column mask is at most " + std::to_string(kMaxMaskLength) + " characters");
  }
  for (char c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) throw_invalid(field, "a column mask is printable ASCII text");
  }
  if (out.front() == ' ' || out.back() == ' ') throw_invalid(field, "a column mask has no outer spaces");
  return out;
}

/// Normalises column masks; `allowed` (when given) tells whether a column may carry a mask.
template <class Allowed>
std::map<std::string, std::string> normalize_masks(const std::map<std::string, std::string>& masks,
                                                   const std::string& field, Allowed&& allowed) {
  std::map<std::string, std::string> out;
  for (const auto& [column, spec] : masks) {
    const std::string name = normalize_column_name(field + "." + column, column);
    const std::string item = field + "." + name;
    if (!allowed(name))
      throw_invalid(item, "column '" + name + "' is masked but not among the granted columns");
    if (out.contains(name)) throw_invalid(item, "column '" + name + "' is masked twice");
    out.emplace(name, normalize_mask_spec(spec, item));
  }
  return out;
}

/// The permissions valid on the kind of `grant` (tag policies: by their resource type).
PermissionSet valid_permissions(const Grant& grant) {
  switch (grant.kind) {
    case ResourceKind::Catalog:
      return kCatalogValid;
    case ResourceKind::Database:
      return kDatabaseValid;
    case ResourceKind::Table:
    case ResourceKind::TableWildcard:
      return kTableValid;
    case ResourceKind::TableWithColumns:
      return kColumnsValid;
    case ResourceKind::DataLocation:
      return kLocationValid;
    case ResourceKind::DataCellsFilter:
      return kFilterValid;
    case ResourceKind::TagPolicy:
      return grant.tag_resource_type == "DATABASE" ? kDatabaseValid : kTableValid;
  }
  return 0;
}

std::string names_text(PermissionSet set) {
  std::string out;
  for (const auto& name : permission_names(set)) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

/// Fields a grant of each kind may set (the others must be empty).
struct KindFields {
  bool database = false;
  bool table = false;
  bool columns = false;  ///< columns / column_wildcard / excluded_columns
  bool location = false;
  bool filter_name = false;
  bool tag = false;  ///< tag_resource_type / tag_expression
  bool masks = false;
};

KindFields fields_of(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::Catalog:
      return {};
    case ResourceKind::Database:
      return {.database = true};
    case ResourceKind::Table:
      return {.database = true, .table = true, .masks = true};
    case ResourceKind::TableWildcard:
      return {.database = true, .masks = true};
    case ResourceKind::TableWithColumns:
      return {.database = true, .table = true, .columns = true, .masks = true};
    case ResourceKind::DataLocation:
      return {.location = true};
    case ResourceKind::DataCellsFilter:
      return {.database = true, .table = true, .filter_name = true};
    case ResourceKind::TagPolicy:
      return {.tag = true, .masks = true};
  }
  return {};
}

void require_empty(bool set, const std::string& field, ResourceKind kind) {
  if (set) {
    throw_invalid(field, std::string("a ") + resource_kind_name(kind) + " grant does not take this field");
  }
}

}  // namespace

const std::vector<Permission>& all_permissions() {
  static const std::vector<Permission> all = {Permission::All,         Permission::Select,
                                              Permission::Describe,    Permission::Alter,
                                              Permission::Drop,        Permission::Insert,
                                              Permission::Delete,      Permission::CreateDatabase,
                                              Permission::CreateTable, Permission::DataLocationAccess};
  return all;
}

const char* permission_name(Permission p) {
  const auto value = static_cast<unsigned>(p);
  for (std::size_t i = 0; i < kPermissionNames.size(); ++i) {
    if (value == (1u << i)) return kPermissionNames[i];
  }
  return "UNKNOWN";
}

Permission parse_permission(std::string_view text, const std::string& field) {
  const std::string name = upper(text);
  for (std::size_t i = 0; i < kPermissionNames.size(); ++i) {
    if (name == kPermissionNames[i]) return static_cast<Permission>(1u << i);
  }
  std::string valid;
  for (const char* n : kPermissionNames) valid += valid.empty() ? n : std::string(", ") + n;
  throw_invalid(field, "unknown permission " + quote_for_message(text) + "; valid: " + valid);
}

std::vector<std::string> permission_names(PermissionSet set) {
  std::vector<std::string> out;
  for (Permission p : all_permissions()) {
    if (has(set, p)) out.emplace_back(permission_name(p));
  }
  return out;
}

const char* resource_kind_name(ResourceKind kind) {
  const std::size_t i = kind_index(kind);
  return i < kKindNames.size() ? kKindNames[i] : "UNKNOWN";
}

ResourceKind parse_resource_kind(std::string_view text, const std::string& field) {
  const std::string name = upper(text);
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (name == kKindNames[i]) return static_cast<ResourceKind>(i);
  }
  std::string valid;
  for (const char* n : kKindNames) valid += valid.empty() ? n : std::string(", ") + n;
  throw_invalid(field, "unknown resource kind " + quote_for_message(text) + "; valid: " + valid);
}

std::string normalize_principal_id(std::string_view id, const std::string& field) {
  if (upper(id) == kEveryone) return std::string(kEveryone);
  const auto colon = id.find(':');
  if (colon == std::string_view::npos) {
    throw_invalid(field, "a principal is user:<name>, role:<name>, group:<name> or EVERYONE, not " +
                             quote_for_message(id));
  }
  const std::string kind = text::lower(id.substr(0, colon));
  if (kind != "user" && kind != "role" && kind != "group") {
    throw_invalid(field, "a principal is user:<name>, role:<name>, group:<name> or EVERYONE, not " +
                             quote_for_message(id));
  }
  const std::string_view name = id.substr(colon + 1);
  validate_principal_name(field, name);
  return kind + ":" + std::string(name);
}

void validate_filter_name(std::string_view name, const std::string& field) {
  if (name.empty() || name.size() > kMaxNameLength) {
    throw_invalid(field, "a data cells filter name is 1 to 255 characters");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) {
      throw_invalid(field, "a data cells filter name is letters, digits, '_', '.' and '-', not " +
                               quote_for_message(name));
    }
  }
}

namespace {

bool is_tag_char(char c, bool value) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '/' ||
         c == '=' || c == '+' || c == '@' || c == '-' || (value && c == ' ');
}

}  // namespace

std::string normalize_tag_key_name(std::string_view key, const std::string& field) {
  std::string out = text::lower(key);
  if (out.empty() || out.size() > kMaxTagKeyLength) throw_invalid(field, "a tag key is 1 to 128 characters");
  for (char c : out) {
    if (!is_tag_char(c, false)) {
      throw_invalid(field, "a tag key is letters, digits and _ . : / = + @ -, not " + quote_for_message(key));
    }
  }
  return out;
}

std::string normalize_tag_value(std::string_view value, const std::string& field) {
  std::string out = text::lower(value);
  if (out.empty() || out.size() > kMaxTagValueLength) {
    throw_invalid(field, "a tag value is 1 to 256 characters");
  }
  for (char c : out) {
    if (!is_tag_char(c, true)) {
      throw_invalid(field, "a tag value is letters, digits, spaces and _ . : / = + @ -, not " +
                               quote_for_message(value));
    }
  }
  if (out.front() == ' ' || out.back() == ' ') throw_invalid(field, "a tag value has no outer spaces");
  return out;
}

std::string normalize_location_uri(std::string_view uri, const std::string& field) {
  if (uri.size() > kMaxLocationLength) throw_invalid(field, "a location is at most 2048 characters");
  for (char c : uri) {
    if (is_control(static_cast<unsigned char>(c)) || c == ' ') {
      throw_invalid(field, "a location has no spaces or control characters");
    }
  }
  if (!is_valid_utf8(uri)) throw_invalid(field, "a location is valid UTF-8");
  const auto sep = uri.find("://");
  if (sep == std::string_view::npos) {
    throw_invalid(field,
                  "a location is an s3://bucket/prefix or file:///path URI, not " + quote_for_message(uri));
  }
  const std::string scheme = text::lower(uri.substr(0, sep));
  std::string rest(uri.substr(sep + 3));
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::string out;
  std::string path;
  if (scheme == "s3") {
    const auto slash = rest.find('/');
    std::string bucket = text::lower(rest.substr(0, slash));
    if (bucket.empty()) throw_invalid(field, "an s3:// location names a bucket");
    for (char c : bucket) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
      if (!ok) throw_invalid(field, "an S3 bucket name is letters, digits, '.', '-' and '_'");
    }
    path = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
    out = "s3://" + bucket + (path.empty() ? "" : "/" + path);
  } else if (scheme == "file") {
    if (rest.size() < 2 || rest.front() != '/') {
      throw_invalid(field, "a file:// location is an absolute path below the root, e.g. file:///data/lake");
    }
    path = rest.substr(1);
    out = "file://" + rest;
  } else {
    throw_invalid(field, "a location's scheme is s3 or file, not " + quote_for_message(scheme));
  }
  // Locations are matched as path prefixes: no empty, "." or ".." segments.
  std::size_t start = 0;
  while (!path.empty() && start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const std::string_view segment(path.data() + start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      throw_invalid(field, "a location has no empty, '.' or '..' path segments");
    }
    start = end + 1;
  }
  return out;
}

std::string resource_key(const Grant& grant) {
  std::string key = resource_kind_name(grant.kind);
  switch (grant.kind) {
    case ResourceKind::Catalog:
      break;
    case ResourceKind::Database:
    case ResourceKind::TableWildcard:
      key += "|" + esc(grant.database);
      break;
    case ResourceKind::Table:
      key += "|" + esc(grant.database) + "|" + esc(grant.table);
      break;
    case ResourceKind::TableWithColumns:
      key += "|" + esc(grant.database) + "|" + esc(grant.table);
      if (grant.column_wildcard) {
        key += "|all_except=" + join_escaped(grant.excluded_columns);
      } else {
        key += "|cols=" + join_escaped(grant.columns);
      }
      break;
    case ResourceKind::DataLocation:
      key += "|" + grant.location;
      break;
    case ResourceKind::DataCellsFilter:
      key += "|" + esc(grant.database) + "|" + esc(grant.table) + "|" + esc(grant.filter_name);
      break;
    case ResourceKind::TagPolicy: {
      key += "|" + esc(grant.tag_resource_type) + "|";
      for (std::size_t i = 0; i < grant.tag_expression.size(); ++i) {
        if (i > 0) key += ';';
        key += esc(grant.tag_expression[i].key) + "=" + join_escaped(grant.tag_expression[i].values);
      }
      break;
    }
  }
  if (!grant.column_masks.empty()) {
    key += "|masks=";
    bool first = true;
    for (const auto& [column, spec] : grant.column_masks) {
      if (!first) key += ',';
      first = false;
      key += esc(column) + ":" + esc(spec);
    }
  }
  return key;
}

void normalize_grant(Grant& grant, const std::string& path) {
  // Field names are "<path>.<field>", or just "<field>" for an empty path (a request body's top level).
  const std::string field_prefix = path.empty() ? std::string() : path + ".";
  const std::string res = field_prefix + "resource";
  if (kind_index(grant.kind) >= kKindNames.size()) throw_invalid(res + ".kind", "unknown resource kind");
  grant.principal = normalize_principal_id(grant.principal, field_prefix + "principal");

  const KindFields allowed = fields_of(grant.kind);
  const ResourceKind kind = grant.kind;
  require_empty(!allowed.database && !grant.database.empty(), res + ".database", kind);
  require_empty(!allowed.table && !grant.table.empty(), res + ".table", kind);
  require_empty(!allowed.columns && !grant.columns.empty(), res + ".columns", kind);
  require_empty(!allowed.columns && grant.column_wildcard, res + ".column_wildcard", kind);
  require_empty(!allowed.columns && !grant.excluded_columns.empty(), res + ".excluded_columns", kind);
  require_empty(!allowed.location && !grant.location.empty(), res + ".location", kind);
  require_empty(!allowed.filter_name && !grant.filter_name.empty(), res + ".filter_name", kind);
  require_empty(!allowed.tag && !grant.tag_resource_type.empty(), res + ".tag_resource_type", kind);
  require_empty(!allowed.tag && !grant.tag_expression.empty(), res + ".tag_expression", kind);

  if (allowed.database)
    grant.database = normalize_entity_name(res + ".database", grant.database, "database name");
  if (allowed.table) grant.table = normalize_entity_name(res + ".table", grant.table, "table name");
  if (allowed.columns) {
    if (grant.column_wildcard) {
      if (!grant.columns.empty()) {
        throw_invalid(res + ".columns",
                      "give either columns or column_wildcard (with excluded_columns), not both");
      }
      grant.excluded_columns = normalize_columns(grant.excluded_columns, res + ".excluded_columns");
    } else {
      if (grant.columns.empty()) {
        throw_invalid(res + ".columns", "a TABLE_WITH_COLUMNS grant names columns or sets column_wildcard");
      }
      if (!grant.excluded_columns.empty()) {
        throw_invalid(res + ".excluded_columns", "excluded_columns only go with column_wildcard");
      }
      grant.columns = normalize_columns(grant.columns, res + ".columns");
    }
  }
  if (allowed.location) {
    if (grant.location.empty()) throw_invalid(res + ".location", "a DATA_LOCATION grant names a location");
    grant.location = normalize_location_uri(grant.location, res + ".location");
  }
  if (allowed.filter_name) validate_filter_name(grant.filter_name, res + ".filter_name");
  if (allowed.tag) {
    grant.tag_resource_type = upper(grant.tag_resource_type);
    if (grant.tag_resource_type != "DATABASE" && grant.tag_resource_type != "TABLE") {
      throw_invalid(res + ".tag_resource_type", "a TAG_POLICY grant's resource type is DATABASE or TABLE");
    }
    if (grant.tag_expression.empty()) {
      throw_invalid(res + ".tag_expression", "a TAG_POLICY grant needs at least one tag condition");
    }
    std::map<std::string, std::vector<std::string>> conditions;
    for (std::size_t i = 0; i < grant.tag_expression.size(); ++i) {
      const std::string item = res + ".tag_expression[" + std::to_string(i) + "]";
      const TagCondition& c = grant.tag_expression[i];
      std::string key = normalize_tag_key_name(c.key, item + ".key");
      if (conditions.contains(key)) {
        throw_invalid(item + ".key", "tag key '" + key + "' appears twice in the expression");
      }
      if (c.values.empty()) throw_invalid(item + ".values", "a tag condition needs at least one value");
      std::set<std::string> values;
      for (std::size_t j = 0; j < c.values.size(); ++j) {
        values.insert(normalize_tag_value(c.values[j], item + ".values[" + std::to_string(j) + "]"));
      }
      conditions.emplace(std::move(key), std::vector<std::string>(values.begin(), values.end()));
    }
    grant.tag_expression.clear();
    for (auto& [key, values] : conditions) grant.tag_expression.push_back({key, std::move(values)});
  }

  // Masks: on table-level grants only (for TAG_POLICY, the TABLE type), on granted columns.
  const bool masks_allowed =
      allowed.masks && (kind != ResourceKind::TagPolicy || grant.tag_resource_type == "TABLE");
  require_empty(!masks_allowed && !grant.column_masks.empty(), res + ".column_masks", kind);
  if (!grant.column_masks.empty()) {
    grant.column_masks =
        normalize_masks(grant.column_masks, res + ".column_masks", [&](const std::string& c) {
          if (kind != ResourceKind::TableWithColumns) return true;
          if (grant.column_wildcard) {
            return !std::binary_search(grant.excluded_columns.begin(), grant.excluded_columns.end(), c);
          }
          return std::binary_search(grant.columns.begin(), grant.columns.end(), c);
        });
  }

  // Permissions.
  constexpr PermissionSet kKnown = static_cast<PermissionSet>((1u << kPermissionNames.size()) - 1);
  if ((grant.permissions & ~kKnown) != 0)
    throw_invalid(field_prefix + "permissions", "unknown permission bits");
  if ((grant.grantable & ~kKnown) != 0) throw_invalid(field_prefix + "grantable", "unknown permission bits");
  if (grant.permissions == 0)
    throw_invalid(field_prefix + "permissions", "at least one permission is required");
  const PermissionSet valid = valid_permissions(grant);
  if (const PermissionSet bad = static_cast<PermissionSet>(grant.permissions & ~valid); bad != 0) {
    std::string what = resource_kind_name(kind);
    if (kind == ResourceKind::TagPolicy) what += " (" + grant.tag_resource_type + ")";
    throw_invalid(field_prefix + "permissions",
                  names_text(bad) + " cannot be granted on " + what + "; valid: " + names_text(valid));
  }
  if ((grant.grantable & ~grant.permissions) != 0) {
    throw_invalid(field_prefix + "grantable",
                  "grantable permissions must be among the granted ones (" +
                      names_text(static_cast<PermissionSet>(grant.grantable & ~grant.permissions)) +
                      " is not granted)");
  }
  if (grant.expires_at && *grant.expires_at <= 0) {
    throw_invalid(field_prefix + "expires_at",
                  "an expiry is a positive time in milliseconds since the epoch");
  }
  if (!grant.granted_by.empty())
    grant.granted_by = normalize_principal_id(grant.granted_by, field_prefix + "granted_by");
}

void normalize_data_cells_filter(DataCellsFilter& filter, const std::string& path) {
  // Field names are "<path>.<field>", or just "<field>" for an empty path (a request body's top level).
  const std::string field_prefix = path.empty() ? std::string() : path + ".";
  filter.database = normalize_entity_name(field_prefix + "database", filter.database, "database name");
  filter.table = normalize_entity_name(field_prefix + "table", filter.table, "table name");
  validate_filter_name(filter.name, field_prefix + "name");

  // Rows: a PartiQL predicate (syntax checked by the service) or all rows.
  const bool blank = std::all_of(filter.row_filter.begin(), filter.row_filter.end(),
                                 [](char c) { return text::is_ascii_space(c); });
  if (filter.all_rows) {
    if (!filter.row_filter.empty()) {
      throw_invalid(field_prefix + "row_filter", "give either a row filter or all_rows, not both");
    }
  } else {
    if (blank)
      throw_invalid(field_prefix + "row_filter", "a filter needs a row filter expression or all_rows");
    if (!is_valid_utf8(filter.row_filter))
      throw_invalid(field_prefix + "row_filter", "a row filter is valid UTF-8");
    if (utf8_length(filter.row_filter) > kMaxRowFilterLength) {
      throw_invalid(field_prefix + "row_filter", "a row filter is at most 2048 characters");
    }
    for (char c : filter.row_filter) {
      const auto u = static_cast<unsigned char>(c);
      if (is_control(u) && c != '\t' && c != '\n' && c != '\r') {
        throw_invalid(field_prefix + "row_filter", "a row filter has no control characters");
      }
    }
  }

  // Columns: an include list or all columns except a list.
  if (filter.column_wildcard) {
    if (!filter.columns.empty()) {
      throw_invalid(field_prefix + "columns",
                    "give either columns or column_wildcard (with excluded_columns), not both");
    }
    filter.excluded_columns = normalize_columns(filter.excluded_columns, field_prefix + "excluded_columns");
  } else {
    if (filter.columns.empty())
      throw_invalid(field_prefix + "columns", "a filter names columns or sets column_wildcard");
    if (!filter.excluded_columns.empty()) {
      throw_invalid(field_prefix + "excluded_columns", "excluded_columns only go with column_wildcard");
    }
    filter.columns = normalize_columns(filter.columns, field_prefix + "columns");
  }
  filter.column_masks =
      normalize_masks(filter.column_masks, field_prefix + "column_masks", [&](const std::string& c) {
        if (filter.column_wildcard) {
          return !std::binary_search(filter.excluded_columns.begin(), filter.excluded_columns.end(), c);
        }
        return std::binary_search(filter.columns.begin(), filter.columns.end(), c);
      });
}

void normalize_tag_key(TagKey& tag, const std::string& path) {
  // Field names are "<path>.<field>", or just "<field>" for an empty path (a request body's top level).
  const std::string field_prefix = path.empty() ? std::string() : path + ".";
  tag.key = normalize_tag_key_name(tag.key, field_prefix + "key");
  if (tag.values.empty())
    throw_invalid(field_prefix + "values", "a tag key needs at least one allowed value");
  if (tag.values.size() > kMaxTagValues) {
    throw_invalid(field_prefix + "values",
                  "a tag key has at most " + std::to_string(kMaxTagValues) + " values");
  }
  std::set<std::string> values;
  for (std::size_t i = 0; i < tag.values.size(); ++i) {
    values.insert(normalize_tag_value(tag.values[i], field_prefix + "values[" + std::to_string(i) + "]"));
  }
  tag.values.assign(values.begin(), values.end());
}

}  // namespace cairn::catalog
