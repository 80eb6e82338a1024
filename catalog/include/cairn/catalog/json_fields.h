#pragma once
// Reading JSON request bodies and fields with errors that name the field (shared by the API layers and
// the crawler definitions).

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::catalog {

/// Maximum nesting depth of a request body; deeper documents are refused before parsing (the parser
/// recurses).
inline constexpr int kMaxJsonDepth = 64;

/// Parses a request body that must be a JSON object; throws Error(InvalidArgument, "body") saying what is
/// wrong (empty, not JSON with the byte offset, not an object, nested deeper than kMaxJsonDepth).
nlohmann::json parse_json_body(std::string_view body);

/// Throws Error(InvalidArgument) naming the first key of `obj` not in `allowed` (path-qualified).
void reject_unknown_keys(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed,
                         const std::string& path);
/// obj[key], or throws Error(InvalidArgument) "<path.key> is required".
const nlohmann::json& require_key(const nlohmann::json& obj, const std::string& key, const std::string& path);
/// The string value, or throws Error(InvalidArgument, field) "<field> must be a string".
std::string string_field(const nlohmann::json& value, const std::string& field);
/// An array of strings, or throws Error(InvalidArgument, field).
std::vector<std::string> string_array(const nlohmann::json& value, const std::string& field);

}  // namespace cairn::catalog
