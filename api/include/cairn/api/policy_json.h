#pragma once

// JSON shapes of the governance records (docs/dev/governance-routes.md, docs/api/openapi.yaml): grants and
// their resources, grant/revoke request bodies, data cells filters, LF-Tag keys and effective tags, data
// locations and audit entries. Keys are snake_case; times RFC 3339 UTC with milliseconds; principals are
// ARNs (arn:aws:iam::<catalog>:user/alice, role/, group/) or "EVERYONE" on output, and on input also
// "user:alice", "role:etl", "group:analysts" (stored as the canonical id "user:alice").
//
// The *_from_json functions are strict: an unknown key, a wrong JSON type or a missing required key throws
// Error(InvalidArgument) whose field is the dotted path from `path` (e.g. "resource.columns[1]"). They check
// shapes only; the store's normalize_* functions check the values (names, kinds, subsets).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/authz/audit.h"
#include "cairn/authz/policy_engine.h"
#include "cairn/catalog/policy.h"

namespace cairn::api {

// --- principals and times ------------------------------------------------------------------------------

/// Canonical principal id of an ARN (its account must be `catalog_id`), "user:alice", "role:etl",
/// "group:analysts" or "EVERYONE" (any case); throws Error(InvalidArgument, field) saying what is wrong.
std::string principal_id_from_text(std::string_view text, const std::string& catalog_id,
                                   const std::string& field = "principal");
/// The ARN of a canonical principal id for output; "EVERYONE", "" and text that already is an ARN unchanged.
std::string principal_display(const std::string& id, const std::string& catalog_id);

/// Parses RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)" ('t'/'z' or a space for 'T' accepted; the
/// fraction is cut to milliseconds; seconds 00-59) into milliseconds since the epoch; throws
/// Error(InvalidArgument, field) naming the expected form.
catalog::Timestamp parse_timestamp(std::string_view text, const std::string& field);

// --- grants ------------------------------------------------------------------------------------------

/// The Resource object of a grant: "kind" plus only the keys relevant to that kind.
nlohmann::json resource_to_json(const catalog::Grant& grant);
/// Reads a Resource object into the resource fields of `grant` (kind, database, table, columns,
/// column_wildcard, excluded_columns, location, filter_name, tag_resource_type, tag_expression). Keys that
/// do not belong to the kind must be absent, null or empty; a non-empty one throws naming it.
void resource_from_json(const nlohmann::json& j, catalog::Grant& grant, const std::string& path = "resource");

/// A Grant: principal and granted_by as ARNs, "expired" computed against `now`.
nlohmann::json to_json(const catalog::Grant& grant, const std::string& catalog_id,
                       catalog::Timestamp now = catalog::now_millis());
/// A whole Grant as to_json writes it (id, granted_by and times included; "expired" accepted and ignored).
catalog::Grant grant_from_json(const nlohmann::json& j, const std::string& catalog_id,
                               const std::string& path = "");
/// The body of POST /v1/permissions/grant and /revoke: {"principal", "resource", "permissions",
/// "grantable"?, "column_masks"?, "expires_at"?: string|null}. Id, grantor and times are left 0/empty.
catalog::Grant grant_request_from_json(const nlohmann::json& j, const std::string& catalog_id,
                                       const std::string& path = "");
/// The GrantRequest body for `grant` (principal as an ARN; grantable, masks and expiry only when set).
nlohmann::json grant_request_to_json(const catalog::Grant& grant, const std::string& catalog_id);

// --- data cells filters ----------------------------------------------------------------------------------

/// A DataCellsFilter; "row_filter" is null when empty (all rows).
nlohmann::json to_json(const catalog::DataCellsFilter& filter);
/// A whole DataCellsFilter as to_json writes it (version_id and times included).
catalog::DataCellsFilter data_cells_filter_from_json(const nlohmann::json& j, const std::string& path = "");

/// A create (POST) or update (PUT) body of a data cells filter.
struct DataCellsFilterBody {
  catalog::DataCellsFilter filter;
  std::optional<std::int64_t> expected_version_id;  ///< PUT only: the version the update is based on
};
/// Reads a filter body for the table in the path: name, row_filter (string|null), all_rows, columns,
/// column_wildcard, excluded_columns, column_masks, and with a non-empty `path_name` (PUT) also
/// expected_version_id. With `path_name` the body's "name" may be left out and otherwise must equal it;
/// without it "name" is required. "database"/"table" may be given only if equal (case-insensitively) to the
/// path's; read-only keys (version_id, create_time, update_time) are accepted and ignored.
DataCellsFilterBody data_cells_filter_body_from_json(const nlohmann::json& j, const std::string& database,
                                                     const std::string& table,
                                                     const std::string& path_name = "",
                                                     const std::string& path = "");

// --- tags ------------------------------------------------------------------------------------------

/// A TagKey {"key", "values", "create_time"}.
nlohmann::json to_json(const catalog::TagKey& tag);
/// A TagKey; also the body of POST /v1/tags ({"key", "values"}; create_time accepted).
catalog::TagKey tag_key_from_json(const nlohmann::json& j, const std::string& path = "");

/// The body of PATCH /v1/tags/{key}.
struct TagKeyUpdate {
  std::vector<std::string> add;
  std::vector<std::string> remove;
};
/// Reads {"add"?: [..], "remove"?: [..]}; throws when both are absent or empty.
TagKeyUpdate tag_key_update_from_json(const nlohmann::json& j, const std::string& path = "");

/// An EffectiveTag {"key", "value", "source", "inherited"}.
nlohmann::json to_json(const authz::EffectiveTag& tag);
/// {"tags": [EffectiveTag…]}, the answer of GET/PUT …/tags.
nlohmann::json effective_tags_to_json(const std::vector<authz::EffectiveTag>& tags);
/// The body of PUT …/tags: {"tags": {"key": "value", …}} with at least one key.
std::map<std::string, std::string> tag_assignment_from_json(const nlohmann::json& j,
                                                            const std::string& path = "");

// --- data locations ---------------------------------------------------------------------------------

/// A Location {"uri", "role_arn", "registered_by" (ARN), "create_time"}.
nlohmann::json to_json(const catalog::DataLocation& location, const std::string& catalog_id);
/// A Location; also the body of POST /v1/locations ({"uri", "role_arn"?}; registered_by and create_time
/// accepted).
catalog::DataLocation data_location_from_json(const nlohmann::json& j, const std::string& catalog_id,
                                              const std::string& path = "");

// --- audit -----------------------------------------------------------------------------------------

/// An AuditEntry; the principal as an ARN (or "EVERYONE"/"" unchanged).
nlohmann::json to_json(const catalog::AuditEntry& entry, const std::string& catalog_id);
/// A whole AuditEntry as to_json writes it (principal ARN back to the canonical id, "" kept).
catalog::AuditEntry audit_entry_from_json(const nlohmann::json& j, const std::string& catalog_id,
                                          const std::string& path = "");
/// The answer of GET /v1/audit/verify: {"ok", "entries", "last_seq", "head_hash", "first_bad_seq"
/// (null when ok), "problem" (null when ok)}.
nlohmann::json to_json(const authz::AuditVerification& verification);

}  // namespace cairn::api
