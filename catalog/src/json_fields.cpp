#include "cairn/catalog/json_fields.h"

#include <algorithm>

#include "cairn/catalog/error.h"

namespace cairn::catalog {

namespace {

std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

/// Nesting depth of a JSON text, counted outside string literals; stops early once over the limit.
int json_depth(std::string_view text) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
      if (max_depth > kMaxJsonDepth) return max_depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

}  // namespace

nlohmann::json parse_json_body(std::string_view body) {
  if (body.empty()) throw_invalid("body", "request body is empty; a JSON object is required");
  if (json_depth(body) > kMaxJsonDepth) {
    throw_invalid("body", "request body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  try {
    nlohmann::json j = nlohmann::json::parse(body);
    if (!j.is_object()) throw_invalid("body", "request body must be a JSON object");
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    throw_invalid("body", "request body is not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range.406 for a number beyond double's range (found by tests/fuzz/json_body_fuzz).
    throw_invalid("body", std::string("request body is not acceptable JSON: ") + e.what());
  }
}

void reject_unknown_keys(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed,
                         const std::string& path) {
  for (const auto& [key, value] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      const std::string field = join_path(path, key);
      throw_invalid(field, "unknown field '" + field + "'");
    }
  }
}

const nlohmann::json& require_key(const nlohmann::json& obj, const std::string& key,
                                  const std::string& path) {
  const std::string field = join_path(path, key);
  if (!obj.is_object())
    throw_invalid(path.empty() ? "body" : path, (path.empty() ? "body" : path) + " must be an object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) throw_invalid(field, field + " is required");
  return *it;
}

std::string string_field(const nlohmann::json& value, const std::string& field) {
  if (!value.is_string()) throw_invalid(field, field + " must be a string");
  return value.get<std::string>();
}

std::vector<std::string> string_array(const nlohmann::json& value, const std::string& field) {
  if (!value.is_array()) throw_invalid(field, field + " must be an array of strings");
  std::vector<std::string> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    out.push_back(string_field(value[i], field + "[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace cairn::catalog
