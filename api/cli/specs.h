#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn::api::cli {

/// "DB.TABLE" split at the first dot.
struct TableRef {
  std::string database;
  std::string table;
  /// "db.table" as given.
  std::string display() const { return database + "." + table; }
};

/// Parses "DB.TABLE"; throws UserError when either part is missing.
TableRef parse_table_ref(std::string_view text);

/// "DB.TABLE.NAME": database and table names hold no dots; the name (a column, a data cells filter) is all
/// after the second dot.
struct TableItemRef {
  std::string database;
  std::string table;
  std::string name;
  std::string display() const { return database + "." + table + "." + name; }
};

/// Parses "DB.TABLE.NAME"; throws UserError "expected DB.TABLE.<what>, got '<text>'" (then `hint`) when a
/// part is missing.
TableItemRef parse_table_item_ref(std::string_view text, std::string_view what, std::string_view hint = {});

/// Parses a column flag "name:type[:comment]" into a Column JSON object. The name ends at the first ':'; the
/// type is read bracket-aware (so "s:struct<a:int,b:string>:note" works) and the comment is what follows the
/// first ':' outside brackets. Throws UserError naming `flag` and the spec when malformed.
nlohmann::json parse_column_spec(std::string_view spec, std::string_view flag);

/// Parses "key=value" (split at the first '='); throws UserError naming `flag` when there is no '=' or no
/// key.
std::pair<std::string, std::string> parse_key_value(std::string_view spec, std::string_view flag);

/// Splits "v1,v2,v3" on commas (empty items kept, so "a,,b" has three values).
std::vector<std::string> split_commas(std::string_view text);

/// Input/output format and SerDe conventions of Glue for one file format.
struct StorageFormat {
  std::string name;  ///< parquet, csv, json, orc, avro
  std::string input_format;
  std::string output_format;
  std::string serialization_library;
  std::map<std::string, std::string> serde_parameters;
};

/// The known formats, in the order shown by --help.
const std::vector<StorageFormat>& storage_formats();
/// The format named `name` (case-insensitive); throws UserError listing the known names when unknown.
const StorageFormat& storage_format(std::string_view name);
/// Short format name for a storage descriptor ("parquet", …), or the SerDe library / input format when the
/// combination is not one of the conventions; empty when the descriptor names none.
std::string describe_format(const nlohmann::json& storage_descriptor);

/// Reads a whole file and parses it as JSON; throws UserError naming the file when unreadable or invalid.
nlohmann::json read_json_file(const std::string& path);

/// ASCII lower-case copy.
std::string to_lower(std::string_view text);
/// ASCII upper-case copy.
std::string to_upper(std::string_view text);

}  // namespace cairn::api::cli
