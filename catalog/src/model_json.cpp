#include "cairn/catalog/model_json.h"

#include <charconv>
#include <climits>
#include <cstdio>
#include <initializer_list>
#include <string>

#include "cairn/catalog/byte_scan.h"
#include "cairn/catalog/civil_date.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/names.h"

namespace cairn::catalog {

using nlohmann::json;

namespace {

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}
std::string index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

[[noreturn]] void bad(const std::string& field, const std::string& message) {
  throw_invalid(field, field.empty() ? message : field + ": " + message);
}

std::string article_type(const json& j) {
  switch (j.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::null:
      return "null";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    default:
      return j.type_name();
  }
}

// Strict access to one JSON object: every key must be one of `keys` (read) or `ignored` (accepted, skipped).
class ObjectReader {
 public:
  ObjectReader(const json& j, const std::string& path, std::initializer_list<const char*> keys,
               std::initializer_list<const char*> ignored = {})
      : j_(j), path_(path) {
    if (!j.is_object()) bad(path, "expected an object, got " + article_type(j));
    for (const auto& [key, value] : j.items()) {
      bool known = false;
      for (const char* k : keys) known = known || key == k;
      for (const char* k : ignored) known = known || key == k;
      if (!known) {
        std::string expected;
        for (const char* k : keys) expected += (expected.empty() ? "" : ", ") + std::string(k);
        bad(join(path, key), "unknown key (expected one of: " + expected + ")");
      }
    }
  }

  const json* find(const char* key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }

  std::string field(const char* key) const { return join(path_, key); }

  const json& require(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) bad(field(key), "required key is missing");
    return *v;
  }

  std::string string(const char* key, bool required = false) const {
    const json* v = required ? &require(key) : find(key);
    if (v == nullptr) return {};
    if (!v->is_string()) bad(field(key), "expected a string, got " + article_type(*v));
    return v->get<std::string>();
  }

  bool boolean(const char* key, bool fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) bad(field(key), "expected a boolean, got " + article_type(*v));
    return v->get<bool>();
  }

  int integer(const char* key, int fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_number_integer()) bad(field(key), "expected an integer, got " + article_type(*v));
    if (v->is_number_unsigned()) {
      auto u = v->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT_MAX)) bad(field(key), "integer is out of range");
      return static_cast<int>(u);
    }
    auto i = v->get<std::int64_t>();
    if (i < INT_MIN || i > INT_MAX) bad(field(key), "integer is out of range");
    return static_cast<int>(i);
  }

 private:
  const json& j_;
  const std::string& path_;
};

std::vector<std::string> strings_from_json(const json& j, const std::string& path) {
  if (!j.is_array()) bad(path, "expected an array of strings, got " + article_type(j));
  std::vector<std::string> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) bad(index(path, i), "expected a string, got " + article_type(j[i]));
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

json parameters_to_json(const Parameters& parameters) {
  json out = json::object();
  for (const auto& [k, v] : parameters) out[k] = v;
  return out;
}

void put_time(json& out, const char* key, Timestamp t) {
  if (t != 0) out[key] = format_timestamp(t);
}

std::string arn(const std::string& catalog_id, PrincipalKind kind, const std::string& name) {
  return "arn:aws:iam::" + catalog_id + ":" + principal_kind_name(kind) + "/" + name;
}

SerDeInfo serde_info_from_json(const json& j, const std::string& path) {
  ObjectReader r(j, path, {"name", "serialization_library", "parameters"});
  SerDeInfo s;
  s.name = r.string("name");
  s.serialization_library = r.string("serialization_library");
  if (const json* p = r.find("parameters")) s.parameters = parameters_from_json(*p, r.field("parameters"));
  return s;
}

// --- direct JSON text of the stores' columns ------------------------------------------------------------
// Hand-written because building the nlohmann DOM and dump()ing it was half the cost of writing a crawl's
// partitions (issue 4), and nlohmann has no streaming writer. The output must stay byte-identical to
// to_json(...).dump(): keys in sorted (std::map) order, no white space, and dump()'s string escaping
// (tests/catalog/storage_descriptor_text_test.cpp compares the two on edge cases and random descriptors).

/// Appends `text` as dump() writes a string: \" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx
/// (lower-case hex), every other byte (0x7f, UTF-8 sequences) as it is. False when `text` is not valid
/// UTF-8 (dump() throws then); `out` holds a partial string.
bool put_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  bool ascii = true;
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = catalog::text::find_json_special(text); i < text.size();
       i = catalog::text::find_json_special(text, i + 1)) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      ascii = false;
      continue;
    }
    out.append(text.data() + run, i - run);
    run = i + 1;
    out += '\\';
    switch (c) {
      case '"':
      case '\\':
        out += static_cast<char>(c);
        break;
      case '\b':
        out += 'b';
        break;
      case '\f':
        out += 'f';
        break;
      case '\n':
        out += 'n';
        break;
      case '\r':
        out += 'r';
        break;
      case '\t':
        out += 't';
        break;
      default:
        out += "u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
  return ascii || is_valid_utf8(text);
}

/// Builds the JSON text of one stored value; a string that is not valid UTF-8 throws
/// Error(InvalidArgument, field).
class TextWriter {
 public:
  TextWriter(std::size_t reserve, const char* field) : field_(field) { out_.reserve(reserve); }

  void raw(std::string_view text) { out_ += text; }

  void string(std::string_view text) {
    if (!put_string(out_, text)) throw_invalid(field_, std::string(field_) + ": " + not_utf8(text));
  }

  void integer(long long value) {
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
  }

  void boolean(bool value) { out_ += value ? "true" : "false"; }

  void parameters(const Parameters& parameters) {
    out_ += '{';
    bool first = true;
    for (const auto& [key, value] : parameters) {
      if (!first) out_ += ',';
      first = false;
      string(key);
      out_ += ':';
      string(value);
    }
    out_ += '}';
  }

  std::string take() { return std::move(out_); }

 private:
  static std::string not_utf8(std::string_view text) {
    return "text " + quote_for_message(text) + " is not valid UTF-8";
  }

  std::string out_;
  const char* field_;
};

/// Bytes the JSON of `parameters` takes, escapes aside.
std::size_t parameters_size(const Parameters& parameters) {
  std::size_t size = 2;
  for (const auto& [key, value] : parameters) size += key.size() + value.size() + 6;
  return size;
}

}  // namespace

std::string storage_descriptor_text(const StorageDescriptor& sd) {
  std::size_t size = 320 + sd.location.size() + sd.input_format.size() + sd.output_format.size() +
                     sd.serde_info.name.size() + sd.serde_info.serialization_library.size() +
                     parameters_size(sd.serde_info.parameters) + parameters_size(sd.parameters);
  for (const Column& c : sd.columns)
    size += 48 + c.name.size() + c.type.size() + c.comment.size() + parameters_size(c.parameters);
  for (const std::string& b : sd.bucket_columns) size += b.size() + 3;

  // Keys in the order dump() sorts them.
  TextWriter w(size, "storage_descriptor");
  w.raw("{\"bucket_columns\":[");
  for (std::size_t i = 0; i < sd.bucket_columns.size(); ++i) {
    if (i > 0) w.raw(",");
    w.string(sd.bucket_columns[i]);
  }
  w.raw("],\"columns\":[");
  for (std::size_t i = 0; i < sd.columns.size(); ++i) {
    const Column& c = sd.columns[i];
    w.raw(i > 0 ? ",{\"comment\":" : "{\"comment\":");
    w.string(c.comment);
    w.raw(",\"name\":");
    w.string(c.name);
    w.raw(",\"parameters\":");
    w.parameters(c.parameters);
    w.raw(",\"type\":");
    w.string(c.type);
    w.raw("}");
  }
  w.raw("],\"compressed\":");
  w.boolean(sd.compressed);
  w.raw(",\"input_format\":");
  w.string(sd.input_format);
  w.raw(",\"location\":");
  w.string(sd.location);
  w.raw(",\"number_of_buckets\":");
  w.integer(sd.number_of_buckets);
  w.raw(",\"output_format\":");
  w.string(sd.output_format);
  w.raw(",\"parameters\":");
  w.parameters(sd.parameters);
  w.raw(",\"serde_info\":{\"name\":");
  w.string(sd.serde_info.name);
  w.raw(",\"parameters\":");
  w.parameters(sd.serde_info.parameters);
  w.raw(",\"serialization_library\":");
  w.string(sd.serde_info.serialization_library);
  w.raw("},\"stored_as_sub_directories\":");
  w.boolean(sd.stored_as_sub_directories);
  w.raw("}");
  return w.take();
}

std::string parameters_text(const Parameters& parameters) {
  TextWriter w(parameters_size(parameters), "parameters");
  w.parameters(parameters);
  return w.take();
}

void append_json_string(std::string& out, std::string_view text) {
  if (!put_string(out, text)) throw_invalid("", "text " + quote_for_message(text) + " is not valid UTF-8");
}

std::string format_timestamp(Timestamp t) {
  std::int64_t ms = t % 1000;
  std::int64_t seconds = t / 1000;
  if (ms < 0) {
    ms += 1000;
    seconds -= 1;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  const CivilDate date = civil_from_days(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(date.year), static_cast<long long>(date.month),
                static_cast<long long>(date.day), static_cast<long long>(rem / 3600),
                static_cast<long long>(rem % 3600 / 60), static_cast<long long>(rem % 60),
                static_cast<long long>(ms));
  return buf;
}

json to_json(const Database& db) {
  json out = {{"name", db.name},
              {"description", db.description},
              {"location_uri", db.location_uri},
              {"parameters", parameters_to_json(db.parameters)}};
  put_time(out, "create_time", db.create_time);
  return out;
}

json to_json(const Column& column) {
  return {{"name", column.name},
          {"type", column.type},
          {"comment", column.comment},
          {"parameters", parameters_to_json(column.parameters)}};
}

json to_json(const StorageDescriptor& sd) {
  json columns = json::array();
  for (const Column& c : sd.columns) columns.push_back(to_json(c));
  return {{"columns", std::move(columns)},
          {"location", sd.location},
          {"input_format", sd.input_format},
          {"output_format", sd.output_format},
          {"compressed", sd.compressed},
          {"number_of_buckets", sd.number_of_buckets},
          {"bucket_columns", sd.bucket_columns},
          {"serde_info",
           {{"name", sd.serde_info.name},
            {"serialization_library", sd.serde_info.serialization_library},
            {"parameters", parameters_to_json(sd.serde_info.parameters)}}},
          {"parameters", parameters_to_json(sd.parameters)},
          {"stored_as_sub_directories", sd.stored_as_sub_directories}};
}

json to_json(const Table& table) {
  json keys = json::array();
  for (const Column& c : table.partition_keys) keys.push_back(to_json(c));
  json out = {{"name", table.name},
              {"database_name", table.database_name},
              {"description", table.description},
              {"owner", table.owner},
              {"table_type", table.table_type},
              {"parameters", parameters_to_json(table.parameters)},
              {"retention", table.retention},
              {"partition_keys", std::move(keys)},
              {"storage_descriptor", to_json(table.storage_descriptor)},
              {"view_original_text", table.view_original_text},
              {"view_expanded_text", table.view_expanded_text},
              {"version_id", table.version_id}};
  put_time(out, "create_time", table.create_time);
  put_time(out, "update_time", table.update_time);
  return out;
}

json to_json(const Partition& partition) {
  json out = {{"database_name", partition.database_name},
              {"table_name", partition.table_name},
              {"values", partition.values},
              {"storage_descriptor", to_json(partition.storage_descriptor)},
              {"parameters", parameters_to_json(partition.parameters)}};
  put_time(out, "create_time", partition.create_time);
  put_time(out, "last_access_time", partition.last_access_time);
  return out;
}

json to_json(const Principal& principal, const std::string& catalog_id) {
  json out = {{"kind", principal_kind_name(principal.kind)},
              {"name", principal.name},
              {"arn", arn(catalog_id, principal.kind, principal.name)},
              {"description", principal.description}};
  put_time(out, "create_time", principal.create_time);
  return out;
}

json to_json(const AccessKey& key, const std::string& catalog_id) {
  json out = {{"access_key_id", key.access_key_id},
              {"status", key.status == AccessKeyStatus::Active ? "Active" : "Inactive"},
              {"owner_arn", arn(catalog_id, key.owner_kind, key.owner_name)}};
  put_time(out, "create_time", key.create_time);
  return out;
}

Parameters parameters_from_json(const json& j, const std::string& path) {
  if (!j.is_object()) bad(path, "expected an object of strings, got " + article_type(j));
  Parameters out;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) bad(join(path, key), "expected a string, got " + article_type(value));
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

Column column_from_json(const json& j, const std::string& path) {
  ObjectReader r(j, path, {"name", "type", "comment", "parameters"});
  Column c;
  c.name = r.string("name", true);
  c.type = r.string("type", true);
  c.comment = r.string("comment");
  if (const json* p = r.find("parameters")) c.parameters = parameters_from_json(*p, r.field("parameters"));
  return c;
}

std::vector<Column> columns_from_json(const json& j, const std::string& path) {
  if (!j.is_array()) bad(path, "expected an array of columns, got " + article_type(j));
  std::vector<Column> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) out.push_back(column_from_json(j[i], index(path, i)));
  return out;
}

StorageDescriptor storage_descriptor_from_json(const json& j, const std::string& path) {
  ObjectReader r(j, path,
                 {"columns", "location", "input_format", "output_format", "compressed", "number_of_buckets",
                  "bucket_columns", "serde_info", "parameters", "stored_as_sub_directories"});
  StorageDescriptor sd;
  if (const json* c = r.find("columns")) sd.columns = columns_from_json(*c, r.field("columns"));
  sd.location = r.string("location");
  sd.input_format = r.string("input_format");
  sd.output_format = r.string("output_format");
  sd.compressed = r.boolean("compressed", false);
  sd.number_of_buckets = r.integer("number_of_buckets", -1);
  if (const json* b = r.find("bucket_columns"))
    sd.bucket_columns = strings_from_json(*b, r.field("bucket_columns"));
  if (const json* s = r.find("serde_info")) sd.serde_info = serde_info_from_json(*s, r.field("serde_info"));
  if (const json* p = r.find("parameters")) sd.parameters = parameters_from_json(*p, r.field("parameters"));
  sd.stored_as_sub_directories = r.boolean("stored_as_sub_directories", false);
  return sd;
}

Database database_from_json(const json& j, const std::string& path) {
  ObjectReader r(j, path, {"name", "description", "location_uri", "parameters"}, {"create_time"});
  Database db;
  db.name = r.string("name", true);
  db.description = r.string("description");
  db.location_uri = r.string("location_uri");
  if (const json* p = r.find("parameters")) db.parameters = parameters_from_json(*p, r.field("parameters"));
  return db;
}

Table table_from_json(const json& j, const std::string& path) {
  ObjectReader r(j, path,
                 {"name", "description", "owner", "table_type", "parameters", "retention", "partition_keys",
                  "storage_descriptor", "view_original_text", "view_expanded_text"},
                 {"database_name", "create_time", "update_time", "version_id"});
  Table t;
  t.name = r.string("name", true);
  t.description = r.string("description");
  t.owner = r.string("owner");
  t.table_type = r.string("table_type");
  if (const json* p = r.find("parameters")) t.parameters = parameters_from_json(*p, r.field("parameters"));
  t.retention = r.integer("retention", 0);
  if (const json* k = r.find("partition_keys"))
    t.partition_keys = columns_from_json(*k, r.field("partition_keys"));
  if (const json* s = r.find("storage_descriptor")) {
    t.storage_descriptor = storage_descriptor_from_json(*s, r.field("storage_descriptor"));
  }
  t.view_original_text = r.string("view_original_text");
  t.view_expanded_text = r.string("view_expanded_text");
  return t;
}

Partition partition_from_json(const json& j, const std::string& path) {
  ObjectReader r(j, path, {"values", "storage_descriptor", "parameters"},
                 {"database_name", "table_name", "create_time", "last_access_time"});
  Partition p;
  p.values = strings_from_json(r.require("values"), r.field("values"));
  if (const json* s = r.find("storage_descriptor")) {
    p.storage_descriptor = storage_descriptor_from_json(*s, r.field("storage_descriptor"));
  }
  if (const json* q = r.find("parameters")) p.parameters = parameters_from_json(*q, r.field("parameters"));
  return p;
}

}  // namespace cairn::catalog
