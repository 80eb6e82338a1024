#pragma once

// Governance records kept by the store: grants, data cells filters, LF-Tags and their assignments, registered
// data locations and the audit log. The permission engine (authz/policy_engine.h) compiles them; the store
// only keeps them consistent. Semantics: docs/authorization.md.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/catalog/model.h"

namespace cairn::catalog {

/// Lake Formation permissions, as bits of a PermissionSet.
enum class Permission : std::uint16_t {
  All = 1u << 0,
  Select = 1u << 1,
  Describe = 1u << 2,
  Alter = 1u << 3,
  Drop = 1u << 4,
  Insert = 1u << 5,
  Delete = 1u << 6,
  CreateDatabase = 1u << 7,
  CreateTable = 1u << 8,
  DataLocationAccess = 1u << 9,
};
using PermissionSet = std::uint16_t;
inline constexpr PermissionSet bit(Permission p) {
  return static_cast<PermissionSet>(p);
}
inline constexpr bool has(PermissionSet set, Permission p) {
  return (set & bit(p)) != 0;
}

/// Every permission, in the order above.
const std::vector<Permission>& all_permissions();
/// "ALL", "SELECT", "DESCRIBE", "ALTER", "DROP", "INSERT", "DELETE", "CREATE_DATABASE", "CREATE_TABLE",
/// "DATA_LOCATION_ACCESS".
const char* permission_name(Permission p);
/// Parses a permission name (case-insensitive); throws Error(InvalidArgument, field) naming the valid ones.
Permission parse_permission(std::string_view text, const std::string& field);
/// Names of the bits of `set`, in enum order.
std::vector<std::string> permission_names(PermissionSet set);

/// What a grant is on (Lake Formation's Resource union, plus column masks on table-level grants).
enum class ResourceKind {
  Catalog,           ///< CREATE_DATABASE and catalog-wide ALL
  Database,          ///< database
  Table,             ///< one table (all its columns)
  TableWildcard,     ///< every table of a database, present and future
  TableWithColumns,  ///< one table, an include list of columns or all columns except a list
  DataLocation,      ///< an s3:// or file:// URI prefix registered as a data location
  DataCellsFilter,   ///< a named data cells filter of one table
  TagPolicy,         ///< databases or tables whose effective LF-Tags match an expression
};
/// "CATALOG", "DATABASE", "TABLE", "TABLE_WILDCARD", "TABLE_WITH_COLUMNS", "DATA_LOCATION",
/// "DATA_CELLS_FILTER", "TAG_POLICY".
const char* resource_kind_name(ResourceKind kind);
ResourceKind parse_resource_kind(std::string_view text, const std::string& field);

/// One condition of a tag expression: the resource's effective value of `key` is one of `values`.
struct TagCondition {
  std::string key;                  ///< lower-case
  std::vector<std::string> values;  ///< lower-case, sorted, unique, non-empty
};

/// Principal identifier of the special principal that stands for every authenticated caller.
inline constexpr std::string_view kEveryone = "EVERYONE";

struct Grant {
  std::int64_t id = 0;  ///< assigned by the store
  /// Canonical principal id, independent of the catalog id: "user:alice", "role:etl", "group:analysts" or
  /// kEveryone. The API layers translate to and from ARNs.
  std::string principal;
  ResourceKind kind = ResourceKind::Catalog;
  std::string database;  ///< Database, Table, TableWildcard, TableWithColumns, DataCellsFilter
  std::string table;     ///< Table, TableWithColumns, DataCellsFilter
  /// TableWithColumns: either `columns` (include list, non-empty) or `column_wildcard` with
  /// `excluded_columns` (possibly empty). Names lower-case, sorted, unique.
  std::vector<std::string> columns;
  bool column_wildcard = false;
  std::vector<std::string> excluded_columns;
  std::string location;     ///< DataLocation: a normalised URI prefix (scheme lower-case, no trailing '/')
  std::string filter_name;  ///< DataCellsFilter
  /// TagPolicy: the resource type the expression selects ("DATABASE" or "TABLE") and the expression
  /// (conditions ANDed; keys unique, sorted).
  std::string tag_resource_type;
  std::vector<TagCondition> tag_expression;
  /// Column masks (column -> mask spec such as "hash_sha256", "show_last(4)"); only on Table,
  /// TableWildcard, TableWithColumns and TagPolicy(TABLE) grants. Part of the grant's identity.
  std::map<std::string, std::string> column_masks;
  PermissionSet permissions = 0;
  PermissionSet grantable = 0;          ///< subset of permissions
  std::optional<Timestamp> expires_at;  ///< the grant stops counting at this time (exclusive)
  std::string granted_by;               ///< canonical principal id of the grantor
  Timestamp create_time = 0;            ///< set by the store
  Timestamp update_time = 0;            ///< set by the store
};

/// Canonical text of a grant's resource including its masks (not the principal, permissions or expiry).
/// Two grants to one principal with the same resource_key are one grant: granting again merges the
/// permissions. Example: "TABLE_WITH_COLUMNS|sales|orders|cols=a,b" or "TAG_POLICY|TABLE|pii=email,phone".
std::string resource_key(const Grant& grant);

/// Validates and normalises a grant in place (lower-cases names, sorts lists, checks the fields that belong
/// to `kind` are set and the others empty, permissions non-empty and valid for the kind, grantable ⊆
/// permissions, masks on allowed kinds only, location a file:// or s3:// URI). Throws
/// Error(InvalidArgument, field) with `path` + the field name (e.g. "grant.resource.columns[2]").
void normalize_grant(Grant& grant, const std::string& path = "grant");

/// A named row + column filter on one table (Lake Formation's DataCellsFilter, plus masks).
struct DataCellsFilter {
  std::string database;
  std::string table;
  std::string name;  ///< [A-Za-z0-9_.-]{1,255}, case-preserving, unique per table
  /// PartiQL row filter text (authz/row_filter.h); empty with all_rows = true means every row.
  std::string row_filter;
  bool all_rows = false;
  /// Either `columns` (include list, non-empty) or column_wildcard with excluded_columns.
  std::vector<std::string> columns;
  bool column_wildcard = false;
  std::vector<std::string> excluded_columns;
  std::map<std::string, std::string> column_masks;  ///< column -> mask spec
  std::int64_t version_id = 0;                      ///< 1 on create, +1 on every update; set by the store
  Timestamp create_time = 0;
  Timestamp update_time = 0;
};

/// Structural validation (names, exactly one of row_filter/all_rows, exactly one column form, sizes: row
/// filter ≤ 2048 characters). Row filter syntax and column existence are checked by the service, which has
/// the table. Throws Error(InvalidArgument, field).
void normalize_data_cells_filter(DataCellsFilter& filter, const std::string& path = "filter");

/// An LF-Tag key and its allowed values (all lower-case; keys [a-z0-9_.:/=+@-]{1,128}, values
/// [a-z0-9_.:/=+@ -]{1,256}, at most 1000 values).
struct TagKey {
  std::string key;
  std::vector<std::string> values;  ///< sorted, unique
  Timestamp create_time = 0;
};
void normalize_tag_key(TagKey& tag, const std::string& path = "tag");

/// One explicit tag assignment. `table` empty: on the database; `column` empty: on the table.
struct TagAssignment {
  std::string database;
  std::string table;
  std::string column;
  std::string key;
  std::string value;
};

/// Filter for list_grants; empty fields match everything.
struct GrantQuery {
  std::string principal;  ///< canonical principal id
  std::optional<ResourceKind> kind;
  std::string database;  ///< grants whose resource is in this database (or is the database)
  std::string table;     ///< with database: grants whose resource is this table (any kind naming it)
};

/// A registered data location (Lake Formation's RegisterResource).
struct DataLocation {
  std::string uri;  ///< normalised as in Grant::location
  std::string role_arn;
  std::string registered_by;
  Timestamp create_time = 0;
};
/// Lower-cases the scheme, strips trailing '/', requires s3://bucket[/…] or file:///…; throws
/// Error(InvalidArgument, field).
std::string normalize_location_uri(std::string_view uri, const std::string& field);

/// Every governance record, read in one consistent snapshot, for the permission engine to compile.
struct PolicyData {
  std::int64_t epoch = 0;  ///< the store's policy epoch when read
  std::vector<Grant> grants;
  std::vector<DataCellsFilter> filters;
  std::vector<TagKey> tag_keys;
  std::vector<TagAssignment> tag_assignments;
  std::vector<DataLocation> locations;
  /// group name -> member user names
  std::map<std::string, std::vector<std::string>> group_members;
};

/// One audit log entry. `seq`, `prev_hash` and `hash` are assigned when the entry is appended.
struct AuditEntry {
  std::int64_t seq = 0;
  Timestamp time = 0;
  std::string request_id;
  std::string principal;  ///< canonical principal id of the caller ("user:alice")
  std::string action;     ///< e.g. "DescribeTable", "GrantPermissions"
  std::string resource;   ///< e.g. "table/crm/customers", "database/crm", "catalog"
  std::string decision;   ///< "allow" | "deny" for decisions; "ok" | "error" for mutations
  std::vector<std::string> deciding_ids;
  std::string detail;     ///< free text (never secrets or data values)
  std::string prev_hash;  ///< hex SHA-256 of the previous entry ("" for the first)
  std::string hash;       ///< hex SHA-256 over prev_hash and this entry's canonical form
};

/// Filter for audit queries; empty/absent fields match everything.
struct AuditQuery {
  std::string principal;          ///< exact canonical principal id
  std::string resource_prefix;    ///< e.g. "table/crm/customers" or "database/crm"
  std::string action;             ///< exact
  std::string decision;           ///< exact
  std::optional<Timestamp> from;  ///< inclusive
  std::optional<Timestamp> to;    ///< exclusive
};

// Helpers shared by the store's validating wrappers and the API layers.

/// Canonical principal id: "user:<name>", "role:<name>" or "group:<name>" (kind case-insensitive,
/// lower-cased; name as validate_principal_name, case preserved) or kEveryone (any case). Throws
/// Error(InvalidArgument, field).
std::string normalize_principal_id(std::string_view id, const std::string& field);
/// Checks a data cells filter name ([A-Za-z0-9_.-]{1,255}, case preserved); throws Error(InvalidArgument,
/// field).
void validate_filter_name(std::string_view name, const std::string& field);
/// Lower-cases and checks an LF-Tag key ([a-z0-9_.:/=+@-]{1,128}); throws Error(InvalidArgument, field).
std::string normalize_tag_key_name(std::string_view key, const std::string& field);
/// Lower-cases and checks an LF-Tag value ([a-z0-9_.:/=+@ -]{1,256}); throws Error(InvalidArgument, field).
std::string normalize_tag_value(std::string_view value, const std::string& field);

}  // namespace cairn::catalog
