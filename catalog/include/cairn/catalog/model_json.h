#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cairn/catalog/model.h"

namespace cairn::catalog {

// JSON shapes of the native API and of the stores' serialised columns. Keys are snake_case
// (e.g. "storage_descriptor", "serde_info", "partition_keys"); timestamps are RFC 3339 UTC strings with
// milliseconds ("2026-11-21T05:40:00.123Z").
//
// The *_from_json functions are strict: an unknown key, a wrong JSON type or a missing required key throws
// Error(InvalidArgument) whose field is the dotted path from `path` (e.g.
// "table.storage_descriptor.columns[1].name"). Read-only keys (create_time, update_time, version_id,
// database_name, table_name) are accepted and ignored.

nlohmann::json to_json(const Database& db);
nlohmann::json to_json(const Column& column);
nlohmann::json to_json(const StorageDescriptor& sd);
nlohmann::json to_json(const Table& table);
nlohmann::json to_json(const Partition& partition);
nlohmann::json to_json(const Principal& principal, const std::string& catalog_id);
/// Never includes the secret.
nlohmann::json to_json(const AccessKey& key, const std::string& catalog_id);

Database database_from_json(const nlohmann::json& j, const std::string& path = "");
Column column_from_json(const nlohmann::json& j, const std::string& path = "");
StorageDescriptor storage_descriptor_from_json(const nlohmann::json& j, const std::string& path = "");
Table table_from_json(const nlohmann::json& j, const std::string& path = "");
Partition partition_from_json(const nlohmann::json& j, const std::string& path = "");
std::vector<Column> columns_from_json(const nlohmann::json& j, const std::string& path);
Parameters parameters_from_json(const nlohmann::json& j, const std::string& path);

// The stores' serialised columns, written straight into a string: byte for byte what to_json(x).dump()
// returns (sorted keys, nlohmann's escaping), at a fraction of the cost.

/// to_json(sd).dump() without the DOM; `sd`'s strings must be valid UTF-8 (dump() throws a type_error
/// otherwise; this throws Error(InvalidArgument, "storage_descriptor") instead of writing something else).
std::string storage_descriptor_text(const StorageDescriptor& sd);
/// nlohmann::json(parameters).dump() without the DOM; same UTF-8 precondition as storage_descriptor_text.
std::string parameters_text(const Parameters& parameters);
/// Appends `text` as a JSON string exactly as nlohmann::json::dump() writes it; throws
/// Error(InvalidArgument) when `text` is not valid UTF-8 (`out` then ends with a partial string).
void append_json_string(std::string& out, std::string_view text);

/// RFC 3339 UTC with milliseconds.
std::string format_timestamp(Timestamp t);

}  // namespace cairn::catalog
