#include "cairn/api/policy_json.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <initializer_list>
#include <utility>

#include "cairn/api/json_body.h"
#include "cairn/authz/identity.h"
#include "cairn/catalog/civil_date.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/model_json.h"
#include "cairn/catalog/names.h"

namespace cairn::api {

using catalog::ResourceKind;
using catalog::Timestamp;
using nlohmann::json;

namespace {

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// obj[key] when present and not null, else nullptr.
const json* find(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

void require_object(const json& j, const std::string& path) {
  const std::string name = path.empty() ? "body" : path;
  if (!j.is_object()) throw_invalid(name, name + " must be an object");
}

std::string optional_string(const json& obj, const char* key, const std::string& path) {
  const json* v = find(obj, key);
  return v == nullptr ? std::string() : string_field(*v, join(path, key));
}

std::vector<std::string> optional_strings(const json& obj, const char* key, const std::string& path) {
  const json* v = find(obj, key);
  return v == nullptr ? std::vector<std::string>() : string_array(*v, join(path, key));
}

bool optional_bool(const json& obj, const char* key, const std::string& path) {
  const json* v = find(obj, key);
  if (v == nullptr) return false;
  if (!v->is_boolean()) throw_invalid(join(path, key), join(path, key) + " must be a boolean");
  return v->get<bool>();
}

std::int64_t int64_value(const json& v, const std::string& field) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) throw_invalid(field, field + " is out of range");
    return static_cast<std::int64_t>(u);
  }
  if (!v.is_number_integer()) throw_invalid(field, field + " must be an integer");
  return v.get<std::int64_t>();
}

std::int64_t optional_int64(const json& obj, const char* key, const std::string& path) {
  const json* v = find(obj, key);
  return v == nullptr ? 0 : int64_value(*v, join(path, key));
}

Timestamp optional_time(const json& obj, const char* key, const std::string& path) {
  const json* v = find(obj, key);
  if (v == nullptr) return 0;
  const std::string field = join(path, key);
  return parse_timestamp(string_field(*v, field), field);
}

std::map<std::string, std::string> string_map(const json& v, const std::string& field) {
  if (!v.is_object()) throw_invalid(field, field + " must be an object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v.items()) out[key] = string_field(value, join(field, key));
  return out;
}

std::map<std::string, std::string> optional_string_map(const json& obj, const char* key,
                                                       const std::string& path) {
  const json* v = find(obj, key);
  return v == nullptr ? std::map<std::string, std::string>() : string_map(*v, join(path, key));
}

json string_map_to_json(const std::map<std::string, std::string>& map) {
  json out = json::object();
  for (const auto& [k, v] : map) out[k] = v;
  return out;
}

void put_time(json& out, const char* key, Timestamp t) {
  if (t != 0) out[key] = catalog::format_timestamp(t);
}

std::string principal_from_json(const json& obj, const char* key, const std::string& catalog_id,
                                const std::string& path, bool required) {
  const std::string field = join(path, key);
  if (required)
    return principal_id_from_text(string_field(require_key(obj, key, path), field), catalog_id, field);
  const std::string text = optional_string(obj, key, path);
  return text.empty() ? text : principal_id_from_text(text, catalog_id, field);
}

catalog::PermissionSet permissions_from_json(const json& v, const std::string& field) {
  const std::vector<std::string> names = string_array(v, field);
  catalog::PermissionSet set = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    set |= catalog::bit(catalog::parse_permission(names[i], field + "[" + std::to_string(i) + "]"));
  }
  return set;
}

json permissions_to_json(catalog::PermissionSet set) {
  return json(catalog::permission_names(set));
}

// --- resources ---

/// The resource keys each kind uses (besides "kind").
std::vector<std::string_view> keys_of(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::Catalog:
      return {};
    case ResourceKind::Database:
    case ResourceKind::TableWildcard:
      return {"database"};
    case ResourceKind::Table:
      return {"database", "table"};
    case ResourceKind::TableWithColumns:
      return {"database", "table", "columns", "column_wildcard", "excluded_columns"};
    case ResourceKind::DataLocation:
      return {"location"};
    case ResourceKind::DataCellsFilter:
      return {"database", "table", "filter"};
    case ResourceKind::TagPolicy:
      return {"tag_resource_type", "tag_expression"};
  }
  return {};
}

/// True for null, "", [], {} and false.
bool is_empty_value(const json& v) {
  return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
         ((v.is_array() || v.is_object()) && v.empty()) || (v.is_boolean() && !v.get<bool>());
}

std::vector<catalog::TagCondition> tag_expression_from_json(const json& v, const std::string& field) {
  if (!v.is_array()) throw_invalid(field, field + " must be an array of {\"key\", \"values\"} objects");
  std::vector<catalog::TagCondition> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string item = field + "[" + std::to_string(i) + "]";
    require_object(v[i], item);
    reject_unknown_keys(v[i], {"key", "values"}, item);
    catalog::TagCondition c;
    c.key = string_field(require_key(v[i], "key", item), join(item, "key"));
    c.values = string_array(require_key(v[i], "values", item), join(item, "values"));
    out.push_back(std::move(c));
  }
  return out;
}

json tag_expression_to_json(const std::vector<catalog::TagCondition>& expression) {
  json out = json::array();
  for (const auto& c : expression) out.push_back({{"key", c.key}, {"values", c.values}});
  return out;
}

// --- grants ---

void grant_body_fields(const json& j, const std::string& catalog_id, const std::string& path,
                       catalog::Grant& g) {
  g.principal = principal_from_json(j, "principal", catalog_id, path, true);
  resource_from_json(require_key(j, "resource", path), g, join(path, "resource"));
  g.permissions = permissions_from_json(require_key(j, "permissions", path), join(path, "permissions"));
  if (const json* v = find(j, "grantable")) g.grantable = permissions_from_json(*v, join(path, "grantable"));
  g.column_masks = optional_string_map(j, "column_masks", path);
  if (const json* v = find(j, "expires_at")) {
    const std::string field = join(path, "expires_at");
    g.expires_at = parse_timestamp(string_field(*v, field), field);
  }
}

std::string path_or_body(const std::string& path) {
  return path.empty() ? "body" : path;
}

}  // namespace

// --- principals and times ---

std::string principal_id_from_text(std::string_view text, const std::string& catalog_id,
                                   const std::string& field) {
  if (upper(text) == catalog::kEveryone) return std::string(catalog::kEveryone);
  try {
    return authz::principal_id(authz::parse_principal(text, catalog_id, field));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::InvalidArgument) throw;
    throw Error(ErrorCode::InvalidArgument, std::string(e.what()) + " (or EVERYONE)", e.field());
  }
}

std::string principal_display(const std::string& id, const std::string& catalog_id) {
  if (id.empty() || id == catalog::kEveryone || id.rfind("arn:", 0) == 0) return id;
  return authz::principal_id_to_arn(id, catalog_id);
}

Timestamp parse_timestamp(std::string_view text, const std::string& field) {
  const auto fail = [&](const std::string& why) -> void {
    throw_invalid(field,
                  field + " " + catalog::quote_for_message(text) + " " + why +
                      " (expected RFC 3339, e.g. 2026-11-21T05:40:00Z or 2026-11-21T07:40:00.123+02:00)");
  };
  std::size_t pos = 0;
  const auto digits = [&](std::size_t count, const char* what) -> int {
    int value = 0;
    for (std::size_t i = 0; i < count; ++i, ++pos) {
      if (pos >= text.size() || !std::isdigit(static_cast<unsigned char>(text[pos]))) {
        fail(std::string("has no valid ") + what);
      }
      value = value * 10 + (text[pos] - '0');
    }
    return value;
  };
  const auto expect = [&](char c, const char* what) {
    if (pos >= text.size() || text[pos] != c) fail(std::string("is missing ") + what);
    ++pos;
  };
  const int year = digits(4, "year");
  expect('-', "'-' after the year");
  const int month = digits(2, "month");
  expect('-', "'-' after the month");
  const int day = digits(2, "day");
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    fail("is missing the time ('T' after the date)");
  }
  ++pos;
  const int hour = digits(2, "hour");
  expect(':', "':' after the hour");
  const int minute = digits(2, "minute");
  expect(':', "':' after the minute");
  const int second = digits(2, "second");
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (pos - start < 3) millis = millis * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start) fail("has no digits after '.'");
    for (std::size_t n = pos - start; n < 3; ++n) millis *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const int oh = digits(2, "offset hour");
    expect(':', "':' in the offset");
    const int om = digits(2, "offset minute");
    if (oh > 23 || om > 59) fail("has an invalid offset");
    offset_minutes = sign * (oh * 60 + om);
  } else {
    fail("has no time zone ('Z' or an offset such as +02:00)");
  }
  if (pos != text.size()) fail("has trailing characters");

  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12) fail("has an invalid month");
  if (day < 1 || day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) fail("has an invalid day");
  if (hour > 23 || minute > 59 || second > 59) fail("has an invalid time of day");

  const std::int64_t days = catalog::days_from_civil(year, month, day);
  const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

// --- grants ---

json resource_to_json(const catalog::Grant& g) {
  json out = {{"kind", catalog::resource_kind_name(g.kind)}};
  for (std::string_view key : keys_of(g.kind)) {
    if (key == "database") out["database"] = g.database;
    if (key == "table") out["table"] = g.table;
    if (key == "columns") out["columns"] = g.columns;
    if (key == "column_wildcard") out["column_wildcard"] = g.column_wildcard;
    if (key == "excluded_columns") out["excluded_columns"] = g.excluded_columns;
    if (key == "location") out["location"] = g.location;
    if (key == "filter") out["filter"] = g.filter_name;
    if (key == "tag_resource_type") out["tag_resource_type"] = g.tag_resource_type;
    if (key == "tag_expression") out["tag_expression"] = tag_expression_to_json(g.tag_expression);
  }
  return out;
}

void resource_from_json(const json& j, catalog::Grant& g, const std::string& path) {
  require_object(j, path);
  reject_unknown_keys(j,
                      {"kind", "database", "table", "columns", "column_wildcard", "excluded_columns",
                       "location", "filter", "tag_resource_type", "tag_expression"},
                      path);
  const std::string kind_field = join(path, "kind");
  g.kind = catalog::parse_resource_kind(string_field(require_key(j, "kind", path), kind_field), kind_field);
  const std::vector<std::string_view> allowed = keys_of(g.kind);
  for (const auto& [key, value] : j.items()) {
    if (key == "kind" || std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    if (is_empty_value(value)) continue;
    std::string expected;
    for (std::string_view k : allowed) expected += (expected.empty() ? "" : ", ") + std::string(k);
    const std::string field = join(path, key);
    throw_invalid(field, field + " does not belong to a " + catalog::resource_kind_name(g.kind) +
                             " resource (its keys: " + (expected.empty() ? "none besides kind" : expected) +
                             ")");
  }
  g.database = g.table = g.location = g.filter_name = g.tag_resource_type = {};
  g.columns.clear();
  g.excluded_columns.clear();
  g.tag_expression.clear();
  g.column_wildcard = false;
  for (std::string_view key : allowed) {
    if (key == "database")
      g.database = string_field(require_key(j, "database", path), join(path, "database"));
    if (key == "table") g.table = string_field(require_key(j, "table", path), join(path, "table"));
    if (key == "columns") g.columns = optional_strings(j, "columns", path);
    if (key == "column_wildcard") g.column_wildcard = optional_bool(j, "column_wildcard", path);
    if (key == "excluded_columns") g.excluded_columns = optional_strings(j, "excluded_columns", path);
    if (key == "location")
      g.location = string_field(require_key(j, "location", path), join(path, "location"));
    if (key == "filter") g.filter_name = string_field(require_key(j, "filter", path), join(path, "filter"));
    if (key == "tag_resource_type") {
      const std::string field = join(path, "tag_resource_type");
      g.tag_resource_type = upper(string_field(require_key(j, "tag_resource_type", path), field));
      if (g.tag_resource_type != "DATABASE" && g.tag_resource_type != "TABLE") {
        throw_invalid(field, field + " must be DATABASE or TABLE, got " +
                                 catalog::quote_for_message(g.tag_resource_type));
      }
    }
    if (key == "tag_expression") {
      g.tag_expression =
          tag_expression_from_json(require_key(j, "tag_expression", path), join(path, "tag_expression"));
    }
  }
}

json to_json(const catalog::Grant& g, const std::string& catalog_id, Timestamp now) {
  json out = {{"id", g.id},
              {"principal", principal_display(g.principal, catalog_id)},
              {"resource", resource_to_json(g)},
              {"permissions", permissions_to_json(g.permissions)},
              {"grantable", permissions_to_json(g.grantable)},
              {"column_masks", string_map_to_json(g.column_masks)},
              {"expires_at", g.expires_at ? json(catalog::format_timestamp(*g.expires_at)) : json(nullptr)},
              {"expired", g.expires_at.has_value() && now >= *g.expires_at},
              {"granted_by", principal_display(g.granted_by, catalog_id)}};
  put_time(out, "create_time", g.create_time);
  put_time(out, "update_time", g.update_time);
  return out;
}

catalog::Grant grant_from_json(const json& j, const std::string& catalog_id, const std::string& path) {
  require_object(j, path_or_body(path));
  reject_unknown_keys(j,
                      {"id", "principal", "resource", "permissions", "grantable", "column_masks",
                       "expires_at", "expired", "granted_by", "create_time", "update_time"},
                      path);
  catalog::Grant g;
  grant_body_fields(j, catalog_id, path, g);
  g.id = optional_int64(j, "id", path);
  if (const json* v = find(j, "expired"); v != nullptr && !v->is_boolean()) {
    throw_invalid(join(path, "expired"), join(path, "expired") + " must be a boolean");
  }
  g.granted_by = principal_from_json(j, "granted_by", catalog_id, path, false);
  g.create_time = optional_time(j, "create_time", path);
  g.update_time = optional_time(j, "update_time", path);
  return g;
}

catalog::Grant grant_request_from_json(const json& j, const std::string& catalog_id,
                                       const std::string& path) {
  require_object(j, path_or_body(path));
  reject_unknown_keys(j, {"principal", "resource", "permissions", "grantable", "column_masks", "expires_at"},
                      path);
  catalog::Grant g;
  grant_body_fields(j, catalog_id, path, g);
  return g;
}

json grant_request_to_json(const catalog::Grant& g, const std::string& catalog_id) {
  json out = {{"principal", principal_display(g.principal, catalog_id)},
              {"resource", resource_to_json(g)},
              {"permissions", permissions_to_json(g.permissions)}};
  if (g.grantable != 0) out["grantable"] = permissions_to_json(g.grantable);
  if (!g.column_masks.empty()) out["column_masks"] = string_map_to_json(g.column_masks);
  if (g.expires_at) out["expires_at"] = catalog::format_timestamp(*g.expires_at);
  return out;
}

// --- data cells filters ---

json to_json(const catalog::DataCellsFilter& f) {
  json out = {{"database", f.database},
              {"table", f.table},
              {"name", f.name},
              {"row_filter", f.row_filter.empty() ? json(nullptr) : json(f.row_filter)},
              {"all_rows", f.all_rows},
              {"columns", f.columns},
              {"column_wildcard", f.column_wildcard},
              {"excluded_columns", f.excluded_columns},
              {"column_masks", string_map_to_json(f.column_masks)},
              {"version_id", f.version_id}};
  put_time(out, "create_time", f.create_time);
  put_time(out, "update_time", f.update_time);
  return out;
}

namespace {

void filter_body_fields(const json& j, const std::string& path, catalog::DataCellsFilter& f) {
  f.row_filter = optional_string(j, "row_filter", path);
  f.all_rows = optional_bool(j, "all_rows", path);
  f.columns = optional_strings(j, "columns", path);
  f.column_wildcard = optional_bool(j, "column_wildcard", path);
  f.excluded_columns = optional_strings(j, "excluded_columns", path);
  f.column_masks = optional_string_map(j, "column_masks", path);
}

}  // namespace

catalog::DataCellsFilter data_cells_filter_from_json(const json& j, const std::string& path) {
  require_object(j, path_or_body(path));
  reject_unknown_keys(j,
                      {"database", "table", "name", "row_filter", "all_rows", "columns", "column_wildcard",
                       "excluded_columns", "column_masks", "version_id", "create_time", "update_time"},
                      path);
  catalog::DataCellsFilter f;
  f.database = string_field(require_key(j, "database", path), join(path, "database"));
  f.table = string_field(require_key(j, "table", path), join(path, "table"));
  f.name = string_field(require_key(j, "name", path), join(path, "name"));
  filter_body_fields(j, path, f);
  f.version_id = optional_int64(j, "version_id", path);
  f.create_time = optional_time(j, "create_time", path);
  f.update_time = optional_time(j, "update_time", path);
  return f;
}

DataCellsFilterBody data_cells_filter_body_from_json(const json& j, const std::string& database,
                                                     const std::string& table, const std::string& path_name,
                                                     const std::string& path) {
  require_object(j, path_or_body(path));
  const bool update = !path_name.empty();
  if (update) {
    reject_unknown_keys(
        j,
        {"name", "row_filter", "all_rows", "columns", "column_wildcard", "excluded_columns", "column_masks",
         "expected_version_id", "database", "table", "version_id", "create_time", "update_time"},
        path);
  } else {
    reject_unknown_keys(j,
                        {"name", "row_filter", "all_rows", "columns", "column_wildcard", "excluded_columns",
                         "column_masks", "database", "table", "version_id", "create_time", "update_time"},
                        path);
  }
  DataCellsFilterBody body;
  catalog::DataCellsFilter& f = body.filter;
  f.database = database;
  f.table = table;
  const auto check_same = [&](const char* key, const std::string& expected) {
    const std::string given = optional_string(j, key, path);
    if (!given.empty() && lower(given) != lower(expected)) {
      throw_invalid(join(path, key), join(path, key) + " " + catalog::quote_for_message(given) +
                                         " differs from the " + key + " in the path " +
                                         catalog::quote_for_message(expected));
    }
  };
  check_same("database", database);
  check_same("table", table);
  if (update) {
    f.name = optional_string(j, "name", path);
    if (f.name.empty()) {
      f.name = path_name;
    } else if (f.name != path_name) {
      throw_invalid(join(path, "name"), join(path, "name") + " " + catalog::quote_for_message(f.name) +
                                            " differs from the filter name in the path " +
                                            catalog::quote_for_message(path_name));
    }
    if (const json* v = find(j, "expected_version_id")) {
      body.expected_version_id = int64_value(*v, join(path, "expected_version_id"));
    }
  } else {
    f.name = string_field(require_key(j, "name", path), join(path, "name"));
  }
  filter_body_fields(j, path, f);
  return body;
}

// --- tags ---

json to_json(const catalog::TagKey& tag) {
  json out = {{"key", tag.key}, {"values", tag.values}};
  put_time(out, "create_time", tag.create_time);
  return out;
}

catalog::TagKey tag_key_from_json(const json& j, const std::string& path) {
  require_object(j, path_or_body(path));
  reject_unknown_keys(j, {"key", "values", "create_time"}, path);
  catalog::TagKey tag;
  tag.key = string_field(require_key(j, "key", path), join(path, "key"));
  tag.values = string_array(require_key(j, "values", path), join(path, "values"));
  tag.create_time = optional_time(j, "create_time", path);
  return tag;
}

TagKeyUpdate tag_key_update_from_json(const json& j, const std::string& path) {
  require_object(j, path_or_body(path));
  reject_unknown_keys(j, {"add", "remove"}, path);
  TagKeyUpdate update{optional_strings(j, "add", path), optional_strings(j, "remove", path)};
  if (update.add.empty() && update.remove.empty()) {
    throw_invalid(join(path, "add"),
                  "nothing to change: give values in " + join(path, "add") + " or " + join(path, "remove"));
  }
  return update;
}

json to_json(const authz::EffectiveTag& tag) {
  return {{"key", tag.key}, {"value", tag.value}, {"source", tag.source}, {"inherited", tag.inherited}};
}

json effective_tags_to_json(const std::vector<authz::EffectiveTag>& tags) {
  json items = json::array();
  for (const auto& t : tags) items.push_back(to_json(t));
  return {{"tags", std::move(items)}};
}

std::map<std::string, std::string> tag_assignment_from_json(const json& j, const std::string& path) {
  require_object(j, path_or_body(path));
  reject_unknown_keys(j, {"tags"}, path);
  std::map<std::string, std::string> tags = string_map(require_key(j, "tags", path), join(path, "tags"));
  if (tags.empty()) throw_invalid(join(path, "tags"), join(path, "tags") + " must name at least one key");
  return tags;
}

// --- data locations ---

json to_json(const catalog::DataLocation& location, const std::string& catalog_id) {
  json out = {{"uri", location.uri},
              {"role_arn", location.role_arn},
              {"registered_by", principal_display(location.registered_by, catalog_id)}};
  put_time(out, "create_time", location.create_time);
  return out;
}

catalog::DataLocation data_location_from_json(const json& j, const std::string& catalog_id,
                                              const std::string& path) {
  require_object(j, path_or_body(path));
  reject_unknown_keys(j, {"uri", "role_arn", "registered_by", "create_time"}, path);
  catalog::DataLocation location;
  location.uri = string_field(require_key(j, "uri", path), join(path, "uri"));
  location.role_arn = optional_string(j, "role_arn", path);
  location.registered_by = principal_from_json(j, "registered_by", catalog_id, path, false);
  location.create_time = optional_time(j, "create_time", path);
  return location;
}

// --- audit ---

json to_json(const catalog::AuditEntry& e, const std::string& catalog_id) {
  return {{"seq", e.seq},
          {"time", catalog::format_timestamp(e.time)},
          {"request_id", e.request_id},
          {"principal", principal_display(e.principal, catalog_id)},
          {"action", e.action},
          {"resource", e.resource},
          {"decision", e.decision},
          {"deciding_ids", e.deciding_ids},
          {"detail", e.detail},
          {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

catalog::AuditEntry audit_entry_from_json(const json& j, const std::string& catalog_id,
                                          const std::string& path) {
  require_object(j, path_or_body(path));
  reject_unknown_keys(j,
                      {"seq", "time", "request_id", "principal", "action", "resource", "decision",
                       "deciding_ids", "detail", "prev_hash", "hash"},
                      path);
  catalog::AuditEntry e;
  e.seq = int64_value(require_key(j, "seq", path), join(path, "seq"));
  e.time =
      parse_timestamp(string_field(require_key(j, "time", path), join(path, "time")), join(path, "time"));
  e.request_id = optional_string(j, "request_id", path);
  e.principal = principal_from_json(j, "principal", catalog_id, path, false);
  e.action = string_field(require_key(j, "action", path), join(path, "action"));
  e.resource = optional_string(j, "resource", path);
  e.decision = string_field(require_key(j, "decision", path), join(path, "decision"));
  e.deciding_ids = optional_strings(j, "deciding_ids", path);
  e.detail = optional_string(j, "detail", path);
  e.prev_hash = optional_string(j, "prev_hash", path);
  e.hash = optional_string(j, "hash", path);
  return e;
}

json to_json(const authz::AuditVerification& v) {
  return {{"ok", v.ok},
          {"entries", v.entries},
          {"last_seq", v.last_seq},
          {"head_hash", v.head_hash},
          {"first_bad_seq", v.first_bad_seq ? json(*v.first_bad_seq) : json(nullptr)},
          {"problem", v.ok && v.problem.empty() ? json(nullptr) : json(v.problem)}};
}

}  // namespace cairn::api
