#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn::api::cli {

/// Rows printed as aligned columns under upper-case headers; empty cells print as "-".
class TextTable {
 public:
  /// A table with these column headers.
  explicit TextTable(std::vector<std::string> headers);
  /// Appends a row; missing cells are empty, extra cells are dropped.
  void add_row(std::vector<std::string> cells);
  /// True when no row was added.
  bool empty() const { return rows_.empty(); }
  /// Prints headers and rows, two spaces between columns, no trailing blanks.
  void print(std::ostream& out, const std::string& indent = "") const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

using Fields = std::vector<std::pair<std::string, std::string>>;

/// Prints "Label:  value" lines with the values aligned; empty values print as "-".
void print_fields(std::ostream& out, const Fields& fields);

/// Pretty-prints JSON (two-space indent) followed by a newline.
void print_json(std::ostream& out, const nlohmann::json& value);

/// String member `key` of `object`, numbers and booleans rendered as text; empty when absent or null.
std::string field(const nlohmann::json& object, const char* key);

/// "k=v, k2=v2" for a parameters object; empty when there are none.
std::string format_parameters(const nlohmann::json& parameters);

/// Items of a JSON array member (an empty array when absent), for range-for.
const nlohmann::json& array_of(const nlohmann::json& object, const char* key);

}  // namespace cairn::api::cli
