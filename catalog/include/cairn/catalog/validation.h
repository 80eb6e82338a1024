#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "cairn/catalog/model.h"

namespace cairn::catalog {

/// Normalises (lower-cases names, canonical type strings) and validates in place; throws
/// Error(InvalidArgument) whose field is the dotted path of the bad field, e.g.
/// "storage_descriptor.columns[2].type".
void normalize_database(Database& db);
void normalize_table(Table& table);
/// Checks the partition against its table: one value per partition key, each valid for the key's type
/// (an int key rejects "abc"); normalises the storage descriptor.
void normalize_partition(const Table& table, Partition& partition);

/// Normalises and validates a storage descriptor on its own (columns, types, limits); `path` prefixes fields.
void normalize_storage_descriptor(StorageDescriptor& sd, const std::string& path);
/// Checks one partition value against its key's Hive type (`key.type`); throws Error(InvalidArgument, field)
/// naming the key and the value.
void validate_partition_value(const std::string& field, const Column& key, const std::string& value);

/// True if `text` is a calendar date 'YYYY-MM-DD' (years 0001..9999, real month lengths and leap years).
bool is_valid_date(std::string_view text);
/// True if `text` is 'YYYY-MM-DD HH:MM:SS[.f]' (1..9 fraction digits) with a valid date and time.
bool is_valid_timestamp(std::string_view text);
/// Parses a base-10 integer with an optional sign; empty when it is not one or is outside int64.
std::optional<std::int64_t> parse_int64(std::string_view text);
/// Parses a number [+-]digits[.digits][e[+-]digits] (or .digits); empty when it is not a finite number.
std::optional<double> parse_number(std::string_view text);

}  // namespace cairn::catalog
