#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

namespace cairn::api::cli {

/// Prints a Table for people: its properties, then its columns and partition keys as tables.
void print_table_details(std::ostream& out, const nlohmann::json& table);
/// Prints a Partition for people; `keys` are the table's partition keys (may be empty).
void print_partition_details(std::ostream& out, const nlohmann::json& partition, const nlohmann::json& keys);

}  // namespace cairn::api::cli
