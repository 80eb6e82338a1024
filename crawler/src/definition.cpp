#include "cairn/crawler/definition.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/json_fields.h"
#include "cairn/catalog/names.h"
#include "cairn/crawler/glob.h"
#include "cairn/crawler/s3_client.h"
#include "cairn/crawler/schedule.h"

namespace cairn::crawler {

namespace {

using catalog::reject_unknown_keys;
using catalog::string_array;
using catalog::string_field;
using nlohmann::json;

[[noreturn]] void invalid(const std::string& field, const std::string& message) {
  throw Error(ErrorCode::InvalidArgument, field + " " + message, field);
}

bool bool_field(const json& v, const std::string& field) {
  if (!v.is_boolean()) invalid(field, "must be true or false");
  return v.get<bool>();
}

int int_field(const json& v, const std::string& field, int min, int max) {
  if (!v.is_number_integer()) invalid(field, "must be an integer");
  const auto n = v.get<std::int64_t>();
  if (n < min || n > max)
    invalid(field, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return static_cast<int>(n);
}

std::string one_of(const json& v, const std::string& field, std::initializer_list<const char*> allowed) {
  const std::string s = string_field(v, field);
  std::string list;
  for (const char* a : allowed) {
    if (s == a) return s;
    list += list.empty() ? a : std::string(", ") + a;
  }
  invalid(field, "must be one of " + list + " (got " + catalog::quote_for_message(s) + ")");
}

char single_char(const json& v, const std::string& field) {
  const std::string s = string_field(v, field);
  if (s.size() != 1) invalid(field, "must be a single character");
  return s[0];
}

const char* header_name(CsvHeader h) {
  switch (h) {
    case CsvHeader::Present:
      return "PRESENT";
    case CsvHeader::Absent:
      return "ABSENT";
    case CsvHeader::Detect:
      break;
  }
  return "UNKNOWN";
}

const char* serde_name(CsvSerde s) {
  switch (s) {
    case CsvSerde::OpenCsv:
      return "OpenCSVSerDe";
    case CsvSerde::LazySimple:
      return "LazySimpleSerDe";
    case CsvSerde::Detect:
      break;
  }
  return "None";
}

json classifier_json(const CustomClassifier& c) {
  json j{{"name", c.name}};
  switch (c.kind) {
    case CustomClassifier::Kind::Csv: {
      j["type"] = "csv";
      json csv{{"quote", std::string(1, c.csv.quote)},
               {"header", header_name(c.csv.header)},
               {"custom_header", c.csv.custom_header},
               {"disable_value_trimming", c.csv.disable_value_trimming},
               {"allow_single_column", c.csv.allow_single_column},
               {"serde", serde_name(c.csv.serde)}};
      if (c.csv.delimiter) csv["delimiter"] = std::string(1, *c.csv.delimiter);
      j["csv"] = std::move(csv);
      break;
    }
    case CustomClassifier::Kind::Json:
      j["type"] = "json";
      j["json"] = json{{"json_path", c.json.json_path}};
      break;
    case CustomClassifier::Kind::Grok:
      j["type"] = "grok";
      j["grok"] = json{{"classification", c.grok.classification},
                       {"pattern", c.grok.pattern},
                       {"custom_patterns", c.grok.custom_patterns}};
      break;
  }
  return j;
}

CustomClassifier classifier_from_json(const json& j, const std::string& path) {
  if (!j.is_object()) invalid(path, "must be an object");
  reject_unknown_keys(j, {"name", "type", "csv", "json", "grok"}, path);
  CustomClassifier c;
  c.name = string_field(catalog::require_key(j, "name", path), path + ".name");
  const std::string type =
      one_of(catalog::require_key(j, "type", path), path + ".type", {"csv", "json", "grok"});
  const std::string sub = path + "." + type;
  const json empty = json::object();
  const json& body = j.contains(type) ? j.at(type) : empty;
  if (!body.is_object()) invalid(sub, "must be an object");
  if (type == "csv") {
    c.kind = CustomClassifier::Kind::Csv;
    reject_unknown_keys(body,
                        {"delimiter", "quote", "header", "custom_header", "disable_value_trimming",
                         "allow_single_column", "serde"},
                        sub);
    if (body.contains("delimiter")) c.csv.delimiter = single_char(body.at("delimiter"), sub + ".delimiter");
    if (body.contains("quote")) c.csv.quote = single_char(body.at("quote"), sub + ".quote");
    if (body.contains("header")) {
      const std::string h = one_of(body.at("header"), sub + ".header", {"UNKNOWN", "PRESENT", "ABSENT"});
      c.csv.header = h == "PRESENT"  ? CsvHeader::Present
                     : h == "ABSENT" ? CsvHeader::Absent
                                     : CsvHeader::Detect;
    }
    if (body.contains("custom_header"))
      c.csv.custom_header = string_array(body.at("custom_header"), sub + ".custom_header");
    if (body.contains("disable_value_trimming"))
      c.csv.disable_value_trimming =
          bool_field(body.at("disable_value_trimming"), sub + ".disable_value_trimming");
    if (body.contains("allow_single_column"))
      c.csv.allow_single_column = bool_field(body.at("allow_single_column"), sub + ".allow_single_column");
    if (body.contains("serde")) {
      const std::string s =
          one_of(body.at("serde"), sub + ".serde", {"None", "OpenCSVSerDe", "LazySimpleSerDe"});
      c.csv.serde = s == "OpenCSVSerDe"      ? CsvSerde::OpenCsv
                    : s == "LazySimpleSerDe" ? CsvSerde::LazySimple
                                             : CsvSerde::Detect;
    }
  } else if (type == "json") {
    c.kind = CustomClassifier::Kind::Json;
    reject_unknown_keys(body, {"json_path"}, sub);
    if (body.contains("json_path")) c.json.json_path = string_field(body.at("json_path"), sub + ".json_path");
  } else {
    c.kind = CustomClassifier::Kind::Grok;
    reject_unknown_keys(body, {"classification", "pattern", "custom_patterns"}, sub);
    c.grok.pattern = string_field(catalog::require_key(body, "pattern", sub), sub + ".pattern");
    if (body.contains("classification"))
      c.grok.classification = string_field(body.at("classification"), sub + ".classification");
    if (body.contains("custom_patterns"))
      c.grok.custom_patterns = string_field(body.at("custom_patterns"), sub + ".custom_patterns");
  }
  return c;
}

bool valid_crawler_name(const std::string& name) {
  if (name.empty() || name.size() > 255) return false;
  for (const char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == '_' || ch == '-' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string CrawlTarget::local_dir() const {
  if (path.rfind("file://", 0) == 0) return path.substr(7);
  return path;
}

void validate(const CrawlerDefinition& d) {
  if (!valid_crawler_name(d.name))
    invalid("name", "must be 1 to 255 characters of letters, digits, '_', '-' and '.'");
  if (d.description.size() > 2048) invalid("description", "must be at most 2048 characters");
  catalog::normalize_entity_name("database", d.database, "database name");
  if (d.table_prefix.size() > 128) invalid("table_prefix", "must be at most 128 characters");
  if (d.targets.empty()) invalid("targets", "must name at least one local directory or s3:// location");
  if (d.targets.size() > 100) invalid("targets", "may name at most 100 locations");
  for (std::size_t i = 0; i < d.targets.size(); ++i) {
    const CrawlTarget& t = d.targets[i];
    const std::string field = "targets[" + std::to_string(i) + "]";
    if (t.is_s3()) {
      parse_s3_url(t.path, field + ".path");
      if (t.connection.empty())
        invalid(field + ".connection",
                "is required for an s3:// target (the connection holds endpoint and credentials)");
    } else {
      const std::string dir = t.local_dir();
      if (dir.empty() || dir[0] != '/')
        invalid(field + ".path", "must be an absolute directory, file:///dir or s3://bucket/prefix (got " +
                                     catalog::quote_for_message(t.path) + ")");
      if (!t.connection.empty()) invalid(field + ".connection", "applies only to s3:// targets");
    }
    if (t.sample_size < 0 || t.sample_size > 249)
      invalid(field + ".sample_size", "must be between 0 (every file) and 249");
    try {
      GlobSet::create(t.exclusions);
    } catch (const Error& e) {
      throw Error(e.code(), field + "." + e.what(), field + "." + e.field());
    }
  }
  if (d.update_behavior != "UPDATE_IN_DATABASE" && d.update_behavior != "LOG")
    invalid("schema_change_policy.update_behavior", "must be UPDATE_IN_DATABASE or LOG");
  if (d.delete_behavior != "LOG" && d.delete_behavior != "DELETE_FROM_DATABASE" &&
      d.delete_behavior != "DEPRECATE_IN_DATABASE")
    invalid("schema_change_policy.delete_behavior",
            "must be LOG, DELETE_FROM_DATABASE or DEPRECATE_IN_DATABASE");
  if (d.recrawl_behavior != "CRAWL_EVERYTHING" && d.recrawl_behavior != "CRAWL_NEW_FOLDERS_ONLY")
    invalid("recrawl_behavior", "must be CRAWL_EVERYTHING or CRAWL_NEW_FOLDERS_ONLY");
  if (d.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY" &&
      (d.update_behavior != "LOG" || d.delete_behavior != "LOG")) {
    // Glue's rule: a crawl of new folders only cannot see changed or deleted files, so it must not act on
    // them.
    invalid("recrawl_behavior",
            "CRAWL_NEW_FOLDERS_ONLY requires schema_change_policy update_behavior LOG and delete_behavior "
            "LOG, as in "
            "Glue");
  }
  if (d.table_level < 0 || d.table_level > 16)
    invalid("grouping.table_level", "must be between 0 (automatic) and 16");
  if (d.classifiers.size() > 20) invalid("classifiers", "may list at most 20 custom classifiers");
  validate_custom_classifiers(d.classifiers);
  if (!d.schedule.empty()) parse_schedule(d.schedule);
}

nlohmann::json to_json(const CrawlerDefinition& d) {
  json targets = json::array();
  for (const auto& t : d.targets) {
    json j{{"path", t.path}, {"exclusions", t.exclusions}, {"sample_size", t.sample_size}};
    if (!t.connection.empty()) j["connection"] = t.connection;
    targets.push_back(std::move(j));
  }
  json classifiers = json::array();
  for (const auto& c : d.classifiers) classifiers.push_back(classifier_json(c));
  return json{
      {"name", d.name},
      {"description", d.description},
      {"targets", std::move(targets)},
      {"database", d.database},
      {"table_prefix", d.table_prefix},
      {"schema_change_policy",
       {{"update_behavior", d.update_behavior}, {"delete_behavior", d.delete_behavior}}},
      {"merge_new_columns_only", d.merge_new_columns_only},
      {"recrawl_behavior", d.recrawl_behavior},
      {"grouping",
       {{"combine_compatible_schemas", d.combine_compatible_schemas}, {"table_level", d.table_level}}},
      {"classifiers", std::move(classifiers)},
      {"schedule", d.schedule}};
}

CrawlerDefinition definition_from_json(const nlohmann::json& j) {
  if (!j.is_object()) invalid("body", "must be a JSON object");
  reject_unknown_keys(j,
                      {"name", "description", "targets", "database", "table_prefix", "schema_change_policy",
                       "merge_new_columns_only", "recrawl_behavior", "grouping", "classifiers", "schedule"},
                      "");
  CrawlerDefinition d;
  if (j.contains("name")) d.name = string_field(j.at("name"), "name");
  if (j.contains("description")) d.description = string_field(j.at("description"), "description");
  if (j.contains("database")) d.database = string_field(j.at("database"), "database");
  if (j.contains("table_prefix")) d.table_prefix = string_field(j.at("table_prefix"), "table_prefix");
  if (j.contains("targets")) {
    const json& ts = j.at("targets");
    if (!ts.is_array()) invalid("targets", "must be an array");
    for (std::size_t i = 0; i < ts.size(); ++i) {
      const std::string field = "targets[" + std::to_string(i) + "]";
      const json& t = ts[i];
      if (!t.is_object()) invalid(field, "must be an object");
      reject_unknown_keys(t, {"path", "connection", "exclusions", "sample_size"}, field);
      CrawlTarget target;
      target.path = string_field(catalog::require_key(t, "path", field), field + ".path");
      if (t.contains("connection"))
        target.connection = string_field(t.at("connection"), field + ".connection");
      if (t.contains("exclusions"))
        target.exclusions = string_array(t.at("exclusions"), field + ".exclusions");
      if (t.contains("sample_size"))
        target.sample_size = int_field(t.at("sample_size"), field + ".sample_size", 0, 249);
      d.targets.push_back(std::move(target));
    }
  }
  if (j.contains("schema_change_policy")) {
    const json& p = j.at("schema_change_policy");
    if (!p.is_object()) invalid("schema_change_policy", "must be an object");
    reject_unknown_keys(p, {"update_behavior", "delete_behavior"}, "schema_change_policy");
    if (p.contains("update_behavior"))
      d.update_behavior = one_of(p.at("update_behavior"), "schema_change_policy.update_behavior",
                                 {"UPDATE_IN_DATABASE", "LOG"});
    if (p.contains("delete_behavior"))
      d.delete_behavior = one_of(p.at("delete_behavior"), "schema_change_policy.delete_behavior",
                                 {"LOG", "DELETE_FROM_DATABASE", "DEPRECATE_IN_DATABASE"});
  }
  if (j.contains("merge_new_columns_only"))
    d.merge_new_columns_only = bool_field(j.at("merge_new_columns_only"), "merge_new_columns_only");
  if (j.contains("recrawl_behavior"))
    d.recrawl_behavior =
        one_of(j.at("recrawl_behavior"), "recrawl_behavior", {"CRAWL_EVERYTHING", "CRAWL_NEW_FOLDERS_ONLY"});
  if (j.contains("grouping")) {
    const json& g = j.at("grouping");
    if (!g.is_object()) invalid("grouping", "must be an object");
    reject_unknown_keys(g, {"combine_compatible_schemas", "table_level"}, "grouping");
    if (g.contains("combine_compatible_schemas"))
      d.combine_compatible_schemas =
          bool_field(g.at("combine_compatible_schemas"), "grouping.combine_compatible_schemas");
    if (g.contains("table_level"))
      d.table_level = int_field(g.at("table_level"), "grouping.table_level", 0, 16);
  }
  if (j.contains("classifiers")) {
    const json& cs = j.at("classifiers");
    if (!cs.is_array()) invalid("classifiers", "must be an array");
    for (std::size_t i = 0; i < cs.size(); ++i)
      d.classifiers.push_back(classifier_from_json(cs[i], "classifiers[" + std::to_string(i) + "]"));
  }
  if (j.contains("schedule")) d.schedule = string_field(j.at("schedule"), "schedule");
  return d;
}

}  // namespace cairn::crawler
