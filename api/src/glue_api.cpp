// The AWS Glue JSON 1.1 API: a thin translation of Glue's Data Catalog shapes (botocore model
// glue/2017-03-31) onto CatalogService, which decides and audits everything; the crawler operations are in
// glue_crawler_api.cpp, the custom entity type operations in glue_api_entity_types.cpp. Field-by-field
// mapping and what is not supported: docs/aws-compatibility.md.

#include "glue_api.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/names.h"
#include "cairn/catalog/text_util.h"

namespace cairn::api {

namespace glue {

namespace {

using aws::epoch_seconds;
using aws::FieldMap;
using aws::item;
using aws::max_results;
using aws::member;
using aws::opt;
using aws::opt_bool;
using aws::opt_int;
using aws::opt_str;
using aws::opt_str_list;
using aws::opt_str_map;
using aws::refuse_unless_empty;
using aws::required;
using aws::required_str;
using aws::str;
using aws::str_list;
using aws::structure;
using nlohmann::json;

constexpr std::string_view kTargetPrefix = "AWSGlue.";
constexpr int kCatalogPageSize = 100;  ///< Glue's CatalogGetterPageSize maximum
constexpr int kPageSize = 1000;        ///< Glue's PageSize maximum

/// A Timestamp member (epoch seconds as botocore sends them) that Cairn accepts and does not keep.
void ignored_timestamp(const json& obj, const std::string& key, const std::string& path) {
  const json* v = opt(obj, key);
  if (v != nullptr && !v->is_number())
    throw_invalid(member(path, key), "must be a timestamp (epoch seconds)");
}

/// Members every catalog read accepts: CatalogId, and the ones that change nothing in Cairn.
void common_read_members(Call& c, const json& b) {
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  refuse_unless_empty(b, "TransactionId", "", "governed tables and transactions are not supported");
  if (opt(b, "QueryAsOfTime") != nullptr) {
    throw_invalid("QueryAsOfTime", "is not supported by Cairn: read earlier versions with GetTableVersion");
  }
  if (const json* a = opt(b, "AuditContext")) {
    // Cairn's audit log records every decision; the caller's extra context has no place in it.
    structure(*a, "AuditContext", {"AdditionalAuditContext", "RequestedColumns", "AllColumnsRequested"});
  }
  opt_bool(b, "IncludeStatusDetails", "");
}

// --- output shapes -------------------------------------------------------------------------------------

json column_out(const catalog::Column& col) {
  json out = {{"Name", col.name}, {"Type", col.type}};
  if (!col.comment.empty()) out["Comment"] = col.comment;
  if (!col.parameters.empty()) out["Parameters"] = col.parameters;
  return out;
}

json columns_out(const std::vector<catalog::Column>& columns) {
  json out = json::array();
  for (const auto& c : columns) out.push_back(column_out(c));
  return out;
}

json storage_descriptor_out(const catalog::StorageDescriptor& sd, bool with_columns = true) {
  json serde = {{"Parameters", sd.serde_info.parameters}};
  if (!sd.serde_info.name.empty()) serde["Name"] = sd.serde_info.name;
  if (!sd.serde_info.serialization_library.empty())
    serde["SerializationLibrary"] = sd.serde_info.serialization_library;
  json out = {{"Compressed", sd.compressed},
              {"NumberOfBuckets", sd.number_of_buckets},
              {"SerdeInfo", std::move(serde)},
              {"BucketColumns", sd.bucket_columns},
              {"SortColumns", json::array()},
              {"Parameters", sd.parameters},
              {"SkewedInfo",
               {{"SkewedColumnNames", json::array()},
                {"SkewedColumnValues", json::array()},
                {"SkewedColumnValueLocationMaps", json::object()}}},
              {"StoredAsSubDirectories", sd.stored_as_sub_directories}};
  if (with_columns) out["Columns"] = columns_out(sd.columns);
  if (!sd.location.empty()) out["Location"] = sd.location;
  if (!sd.input_format.empty()) out["InputFormat"] = sd.input_format;
  if (!sd.output_format.empty()) out["OutputFormat"] = sd.output_format;
  return out;
}

json database_out(const catalog::Database& db, const std::string& catalog_id) {
  json out = {{"Name", db.name},
              {"Parameters", db.parameters},
              {"CreateTime", epoch_seconds(db.create_time)},
              {"CreateTableDefaultPermissions", json::array()},
              {"CatalogId", catalog_id}};
  if (!db.description.empty()) out["Description"] = db.description;
  if (!db.location_uri.empty()) out["LocationUri"] = db.location_uri;
  return out;
}

json table_out(const catalog::Table& t, const std::string& catalog_id) {
  json out = {{"Name", t.name},
              {"DatabaseName", t.database_name},
              {"CreateTime", epoch_seconds(t.create_time)},
              {"UpdateTime", epoch_seconds(t.update_time)},
              {"Retention", t.retention},
              {"StorageDescriptor", storage_descriptor_out(t.storage_descriptor)},
              {"PartitionKeys", columns_out(t.partition_keys)},
              {"Parameters", t.parameters},
              {"IsRegisteredWithLakeFormation", false},
              {"CatalogId", catalog_id},
              {"VersionId", std::to_string(t.version_id)}};
  if (!t.description.empty()) out["Description"] = t.description;
  if (!t.owner.empty()) out["Owner"] = t.owner;
  if (!t.table_type.empty()) out["TableType"] = t.table_type;
  if (!t.view_original_text.empty()) out["ViewOriginalText"] = t.view_original_text;
  if (!t.view_expanded_text.empty()) out["ViewExpandedText"] = t.view_expanded_text;
  return out;
}

json partition_out(const catalog::Partition& p, const std::string& catalog_id, bool with_columns = true) {
  json out = {{"Values", p.values},
              {"DatabaseName", p.database_name},
              {"TableName", p.table_name},
              {"CreationTime", epoch_seconds(p.create_time)},
              {"StorageDescriptor", storage_descriptor_out(p.storage_descriptor, with_columns)},
              {"Parameters", p.parameters},
              {"CatalogId", catalog_id}};
  if (p.last_access_time != 0) out["LastAccessTime"] = epoch_seconds(p.last_access_time);
  return out;
}

json error_detail(const std::string& code, const std::string& message) {
  return json{{"ErrorCode", code}, {"ErrorMessage", message}};
}

/// A batch item's message with the native field path it starts with in Glue's names: "values…" becomes
/// `values_member`…, any other path `prefix`.<Path> ("storage_descriptor.location" ->
/// "PartitionInput.StorageDescriptor.Location"; no prefix when `prefix` is empty).
std::string item_message(const catalog::BatchItemError& e, const std::string& values_member,
                         const std::string& prefix) {
  const auto colon = e.message.find(": ");
  if (colon == std::string::npos || colon == 0) return e.message;
  const std::string field = e.message.substr(0, colon);
  if (field.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789.[]") != std::string::npos)
    return e.message;
  const std::string rest = e.message.substr(colon);
  if (field.rfind("values", 0) == 0 && (field.size() == 6 || field[6] == '['))
    return values_member + field.substr(6) + rest;
  return (prefix.empty() ? "" : prefix + ".") + pascal_path(field) + rest;
}

/// The code of a batch item's error (its error_code_name()); Internal for one it does not name.
ErrorCode item_error_code(const catalog::BatchItemError& e) {
  for (ErrorCode code :
       {ErrorCode::InvalidArgument, ErrorCode::AccessDenied, ErrorCode::NotFound, ErrorCode::AlreadyExists,
        ErrorCode::VersionConflict, ErrorCode::FailedPrecondition}) {
    if (error_code_name(code) == e.error_code) return code;
  }
  return ErrorCode::Internal;
}

/// A failed batch item as Glue's ErrorDetail.
json item_error_detail(const catalog::BatchItemError& e) {
  const aws::AwsError err = aws::aws_error(Error(item_error_code(e), item_message(e, "Values", "")), "");
  return error_detail(err.type, err.message);
}

/// {"Errors": [{<values_key>: values, ErrorDetail}]} for the failed items of a batch.
json batch_errors(const std::vector<catalog::BatchItemError>& items, const char* values_key) {
  json errors = json::array();
  for (const auto& e : items) {
    if (!e.error_code.empty())
      errors.push_back(json{{values_key, e.values}, {"ErrorDetail", item_error_detail(e)}});
  }
  return json{{"Errors", std::move(errors)}};
}

/// A failed item of a single-item operation, as the Error it reports.
[[noreturn]] void throw_item_error(const catalog::BatchItemError& e, const std::string& values_member,
                                   const std::string& prefix) {
  throw Error(item_error_code(e), item_message(e, values_member, prefix));
}

// --- input shapes --------------------------------------------------------------------------------------

catalog::Column column_in(const json& v, const std::string& path) {
  structure(v, path, {"Name", "Type", "Comment", "Parameters"});
  catalog::Column c;
  c.name = required_str(v, "Name", path);
  c.type = opt_str(v, "Type", path).value_or("");
  c.comment = opt_str(v, "Comment", path).value_or("");
  c.parameters = opt_str_map(v, "Parameters", path);
  return c;
}

std::vector<catalog::Column> columns_in(const json& obj, const std::string& key, const std::string& path) {
  std::vector<catalog::Column> out;
  const json* v = opt(obj, key);
  if (v == nullptr) return out;
  const std::string field = member(path, key);
  if (!v->is_array()) throw_invalid(field, "must be a list of columns");
  for (std::size_t i = 0; i < v->size(); ++i) out.push_back(column_in((*v)[i], item(field, i)));
  return out;
}

catalog::StorageDescriptor storage_descriptor_in(const json& obj, const std::string& path) {
  catalog::StorageDescriptor sd;
  const json* found = opt(obj, "StorageDescriptor");
  if (found == nullptr) return sd;
  const json& v = *found;
  const std::string p = member(path, "StorageDescriptor");
  structure(v, p,
            {"Columns", "Location", "AdditionalLocations", "InputFormat", "OutputFormat", "Compressed",
             "NumberOfBuckets", "SerdeInfo", "BucketColumns", "SortColumns", "Parameters", "SkewedInfo",
             "StoredAsSubDirectories", "SchemaReference"});
  sd.columns = columns_in(v, "Columns", p);
  sd.location = opt_str(v, "Location", p).value_or("");
  refuse_unless_empty(v, "AdditionalLocations", p, "a table or partition has one Location");
  sd.input_format = opt_str(v, "InputFormat", p).value_or("");
  sd.output_format = opt_str(v, "OutputFormat", p).value_or("");
  sd.compressed = opt_bool(v, "Compressed", p).value_or(false);
  sd.number_of_buckets = static_cast<int>(opt_int(v, "NumberOfBuckets", p, -1, 1000000).value_or(-1));
  if (const json* serde = opt(v, "SerdeInfo")) {
    const std::string sp = member(p, "SerdeInfo");
    structure(*serde, sp, {"Name", "SerializationLibrary", "Parameters"});
    sd.serde_info.name = opt_str(*serde, "Name", sp).value_or("");
    sd.serde_info.serialization_library = opt_str(*serde, "SerializationLibrary", sp).value_or("");
    sd.serde_info.parameters = opt_str_map(*serde, "Parameters", sp);
  }
  sd.bucket_columns = opt_str_list(v, "BucketColumns", p);
  refuse_unless_empty(v, "SortColumns", p, "Cairn keeps no sort order of bucketed tables");
  sd.parameters = opt_str_map(v, "Parameters", p);
  if (const json* skewed = opt(v, "SkewedInfo")) {
    const std::string kp = member(p, "SkewedInfo");
    structure(*skewed, kp, {"SkewedColumnNames", "SkewedColumnValues", "SkewedColumnValueLocationMaps"});
    for (const char* key : {"SkewedColumnNames", "SkewedColumnValues", "SkewedColumnValueLocationMaps"})
      refuse_unless_empty(*skewed, key, kp, "Cairn keeps no skew information");
  }
  sd.stored_as_sub_directories = opt_bool(v, "StoredAsSubDirectories", p).value_or(false);
  refuse_unless_empty(v, "SchemaReference", p, "there is no schema registry; give the Columns");
  return sd;
}

catalog::Database database_in(const json& v, const std::string& path) {
  structure(v, path,
            {"Name", "Description", "LocationUri", "Parameters", "CreateTableDefaultPermissions",
             "TargetDatabase", "FederatedDatabase"});
  catalog::Database db;
  db.name = required_str(v, "Name", path);
  db.description = opt_str(v, "Description", path).value_or("");
  db.location_uri = opt_str(v, "LocationUri", path).value_or("");
  db.parameters = opt_str_map(v, "Parameters", path);
  if (const json* perms = opt(v, "CreateTableDefaultPermissions"); perms != nullptr && !perms->is_array())
    throw_invalid(member(path, "CreateTableDefaultPermissions"), "must be a list");
  refuse_unless_empty(v, "CreateTableDefaultPermissions", path,
                      "new tables get no default grants; grant explicitly (Lake Formation GrantPermissions)");
  refuse_unless_empty(v, "TargetDatabase", path, "resource links to other catalogs do not exist in Cairn");
  refuse_unless_empty(v, "FederatedDatabase", path, "federated databases do not exist in Cairn");
  return db;
}

catalog::Table table_in(const json& v, const std::string& path) {
  structure(v, path,
            {"Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention",
             "StorageDescriptor", "PartitionKeys", "ViewOriginalText", "ViewExpandedText", "TableType",
             "Parameters", "TargetTable", "ViewDefinition"});
  catalog::Table t;
  t.name = required_str(v, "Name", path);
  t.description = opt_str(v, "Description", path).value_or("");
  t.owner = opt_str(v, "Owner", path).value_or("");
  ignored_timestamp(v, "LastAccessTime", path);
  ignored_timestamp(v, "LastAnalyzedTime", path);
  t.retention = static_cast<int>(opt_int(v, "Retention", path, 0, 2147483647).value_or(0));
  t.storage_descriptor = storage_descriptor_in(v, path);
  t.partition_keys = columns_in(v, "PartitionKeys", path);
  t.view_original_text = opt_str(v, "ViewOriginalText", path).value_or("");
  t.view_expanded_text = opt_str(v, "ViewExpandedText", path).value_or("");
  t.table_type = opt_str(v, "TableType", path).value_or("");
  t.parameters = opt_str_map(v, "Parameters", path);
  refuse_unless_empty(v, "TargetTable", path, "resource links to other catalogs do not exist in Cairn");
  refuse_unless_empty(v, "ViewDefinition", path,
                      "multi-dialect views do not exist in Cairn; give ViewOriginalText");
  return t;
}

catalog::Partition partition_in(const json& v, const std::string& path) {
  structure(v, path, {"Values", "LastAccessTime", "StorageDescriptor", "Parameters", "LastAnalyzedTime"});
  catalog::Partition p;
  p.values = opt_str_list(v, "Values", path);
  ignored_timestamp(v, "LastAccessTime", path);
  ignored_timestamp(v, "LastAnalyzedTime", path);
  p.storage_descriptor = storage_descriptor_in(v, path);
  p.parameters = opt_str_map(v, "Parameters", path);
  return p;
}

/// A list of {Values: [...]} (PartitionValueList), as lists of values.
std::vector<std::vector<std::string>> value_lists_in(const json& b, const std::string& key, std::size_t max) {
  const json& list = required(b, key, "");
  if (!list.is_array()) throw_invalid(key, "must be a list of {Values}");
  if (list.size() > max) throw_invalid(key, "may hold at most " + std::to_string(max) + " partitions");
  std::vector<std::vector<std::string>> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = item(key, i);
    structure(list[i], p, {"Values"});
    out.push_back(str_list(required(list[i], "Values", p), member(p, "Values")));
  }
  return out;
}

/// A VersionId: a decimal number >= 1.
std::int64_t version_in(const std::string& text, const std::string& field) {
  const bool digits =
      !text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoll(text) < 1) {
    throw_invalid(field, "is not a version id of this table (a decimal number from 1), got " +
                             catalog::quote_for_message(text));
  }
  return std::stoll(text);
}

/// A page request from the top-level NextToken and MaxResults.
catalog::PageRequest page_in(const json& b, int max) {
  return {opt_str(b, "NextToken", "").value_or(""), max_results(b, std::min(100, max), max)};
}

/// Glue's table-name Expression: alternatives separated by '|', each matched against the whole name, ignoring
/// case; '*' and ".*" match any run of characters, '.' any one character, everything else itself.
bool name_matches(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  if (pattern.front() == '*' || pattern.rfind(".*", 0) == 0) {
    const std::string_view rest = pattern.substr(pattern.front() == '*' ? 1 : 2);
    for (std::size_t skip = 0; skip <= name.size(); ++skip) {
      if (name_matches(rest, name.substr(skip))) return true;
    }
    return false;
  }
  if (name.empty()) return false;
  const bool one = pattern.front() == '.' ||
                   catalog::text::ascii_lower(pattern.front()) == catalog::text::ascii_lower(name.front());
  return one && name_matches(pattern.substr(1), name.substr(1));
}

bool expression_matches(const std::string& expression, const std::string& name) {
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = std::min(expression.find('|', start), expression.size());
    const std::string_view alternative =
        catalog::text::trim_ascii_space(std::string_view(expression).substr(start, bar - start));
    if (name_matches(alternative, name)) return true;
    if (bar == expression.size()) return false;
    start = bar + 1;
  }
}

FieldMap table_fields(const std::string& name_member) {
  return {{"database", "DatabaseName"},
          {"database_name", "DatabaseName"},
          {"table", name_member},
          {"table_name", name_member},
          {"version_id", "VersionId"}};
}

FieldMap partition_fields(const std::string& values_member) {
  return {{"database", "DatabaseName"}, {"database_name", "DatabaseName"}, {"table", "TableName"},
          {"table_name", "TableName"},  {"values", values_member},         {"expression", "Expression"},
          {"filter", "Expression"}};
}

// --- databases -----------------------------------------------------------------------------------------

json create_database(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseInput", "Tags"});
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  refuse_unless_empty(b, "Tags", "", "AWS resource tags are not kept; use LF-Tags (AddLFTagsToResource)");
  catalog::Database db = database_in(required(b, "DatabaseInput", ""), "DatabaseInput");
  c.name_fields({}, "DatabaseInput");
  c.service.create_database(c.caller, std::move(db));
  return json::object();
}

json get_database(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "Name"});
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  const std::string name = required_str(b, "Name", "");
  c.name_fields({{"database", "Name"}, {"name", "Name"}}, std::nullopt);
  return json{{"Database", database_out(c.service.get_database(c.caller, name), c.service.catalog_id())}};
}

/// Keeps only the AttributesToGet of each item (Name always).
void project(json& items, const json& b,
             std::initializer_list<std::pair<std::string_view, std::string_view>> names) {
  const json* attributes = opt(b, "AttributesToGet");
  if (attributes == nullptr) return;
  std::vector<std::string> keep = {"Name"};
  const std::vector<std::string> wanted = str_list(*attributes, "AttributesToGet");
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const auto it =
        std::find_if(names.begin(), names.end(), [&](const auto& n) { return n.first == wanted[i]; });
    if (it == names.end()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + std::string(n.first);
      throw_invalid(item("AttributesToGet", i), "must be one of " + list);
    }
    keep.emplace_back(it->second);
  }
  for (json& entry : items) {
    json kept = json::object();
    for (const auto& k : keep) {
      if (entry.contains(k)) kept[k] = entry[k];
    }
    entry = std::move(kept);
  }
}

/// ResourceShareType: ALL (the default) lists this catalog; FOREIGN and FEDERATED list nothing (no sharing).
bool only_foreign(const json& b) {
  const auto share = opt_str(b, "ResourceShareType", "");
  if (!share || *share == "ALL") return false;
  if (*share == "FOREIGN" || *share == "FEDERATED") return true;
  throw_invalid("ResourceShareType",
                "must be ALL, FOREIGN or FEDERATED, got " + catalog::quote_for_message(*share));
}

json get_databases(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "NextToken", "MaxResults", "ResourceShareType", "AttributesToGet"});
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  const catalog::PageRequest page = page_in(b, kCatalogPageSize);
  json items = json::array();
  json out = json::object();
  if (!only_foreign(b)) {
    c.name_fields({}, std::nullopt);
    const auto got = c.service.list_databases(c.caller, page);
    for (const auto& db : got.items) items.push_back(database_out(db, c.service.catalog_id()));
    if (!got.next_token.empty()) out["NextToken"] = got.next_token;
  }
  project(items, b, {{"NAME", "Name"}});
  out["DatabaseList"] = std::move(items);
  return out;
}

json update_database(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "Name", "DatabaseInput"});
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  const std::string name = required_str(b, "Name", "");
  catalog::Database db = database_in(required(b, "DatabaseInput", ""), "DatabaseInput");
  c.name_fields({{"database", "Name"}}, "DatabaseInput");
  c.service.update_database(c.caller, name, std::move(db));
  return json::object();
}

json delete_database(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "Name"});
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  const std::string name = required_str(b, "Name", "");
  c.name_fields({{"database", "Name"}, {"name", "Name"}}, std::nullopt);
  c.service.delete_database(c.caller, name);
  return json::object();
}

// --- tables --------------------------------------------------------------------------------------------

json create_table(Call& c, const json& b) {
  structure(b, "",
            {"CatalogId", "DatabaseName", "Name", "TableInput", "PartitionIndexes", "TransactionId",
             "OpenTableFormatInput"});
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  const std::string database = required_str(b, "DatabaseName", "");
  refuse_unless_empty(b, "PartitionIndexes", "", "partition filters are evaluated without declared indexes");
  refuse_unless_empty(b, "TransactionId", "", "governed tables and transactions are not supported");
  refuse_unless_empty(b, "OpenTableFormatInput", "", "Iceberg tables are created with a TableInput");
  catalog::Table t = table_in(required(b, "TableInput", ""), "TableInput");
  if (const auto name = opt_str(b, "Name", ""); name && !catalog::text::iequals_ascii(*name, t.name))
    throw_invalid("Name", "differs from TableInput.Name");
  c.name_fields(table_fields("TableInput.Name"), "TableInput");
  c.service.create_table(c.caller, database, std::move(t));
  return json::object();
}

json get_table(Call& c, const json& b) {
  structure(b, "",
            {"CatalogId", "DatabaseName", "Name", "TransactionId", "QueryAsOfTime", "AuditContext",
             "IncludeStatusDetails"});
  common_read_members(c, b);
  const std::string database = required_str(b, "DatabaseName", "");
  const std::string name = required_str(b, "Name", "");
  c.name_fields(table_fields("Name"), std::nullopt);
  return json{{"Table", table_out(c.service.get_table(c.caller, database, name), c.service.catalog_id())}};
}

json get_tables(Call& c, const json& b) {
  structure(b, "",
            {"CatalogId", "DatabaseName", "Expression", "NextToken", "MaxResults", "TransactionId",
             "QueryAsOfTime", "AuditContext", "IncludeStatusDetails", "AttributesToGet"});
  common_read_members(c, b);
  const std::string database = required_str(b, "DatabaseName", "");
  const std::string expression = opt_str(b, "Expression", "").value_or("");
  if (expression.size() > 2048) throw_invalid("Expression", "must be at most 2048 characters");
  const bool filtered = catalog::text::trim_ascii_space(expression).size() != 0;
  catalog::PageRequest page = page_in(b, kCatalogPageSize);
  const int limit = page.limit;
  c.name_fields(table_fields("Name"), std::nullopt);
  json items = json::array();
  std::string next;
  // Fetch whole pages until this page is full: a token always points between two store pages.
  for (;;) {
    page.limit = limit - static_cast<int>(items.size());
    const auto got = c.service.list_tables(c.caller, database, page);
    for (const auto& t : got.items) {
      if (!filtered || expression_matches(expression, t.name))
        items.push_back(table_out(t, c.service.catalog_id()));
    }
    next = got.next_token;
    if (next.empty() || static_cast<int>(items.size()) >= limit) break;
    page.token = next;
  }
  project(items, b, {{"NAME", "Name"}, {"TABLE_TYPE", "TableType"}});
  json out = {{"TableList", std::move(items)}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

json update_table(Call& c, const json& b) {
  structure(b, "",
            {"CatalogId", "DatabaseName", "Name", "TableInput", "SkipArchive", "TransactionId", "VersionId",
             "ViewUpdateAction", "Force", "UpdateOpenTableFormatInput"});
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  const std::string database = required_str(b, "DatabaseName", "");
  opt_bool(b, "SkipArchive", "");  // every update keeps the previous version readable
  opt_bool(b, "Force", "");
  refuse_unless_empty(b, "TransactionId", "", "governed tables and transactions are not supported");
  refuse_unless_empty(b, "ViewUpdateAction", "", "multi-dialect views do not exist in Cairn");
  refuse_unless_empty(b, "UpdateOpenTableFormatInput", "", "update Iceberg tables with a TableInput");
  catalog::Table t = table_in(required(b, "TableInput", ""), "TableInput");
  if (const auto name = opt_str(b, "Name", ""); name && !catalog::text::iequals_ascii(*name, t.name))
    throw_invalid("Name", "differs from TableInput.Name: a table cannot be renamed");
  std::optional<std::int64_t> expected;
  if (const auto version = opt_str(b, "VersionId", "")) expected = version_in(*version, "VersionId");
  c.name_fields(table_fields("TableInput.Name"), "TableInput");
  c.service.update_table(c.caller, database, std::move(t), expected);
  return json::object();
}

json delete_table(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "Name", "TransactionId"});
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  refuse_unless_empty(b, "TransactionId", "", "governed tables and transactions are not supported");
  const std::string database = required_str(b, "DatabaseName", "");
  const std::string name = required_str(b, "Name", "");
  c.name_fields(table_fields("Name"), std::nullopt);
  c.service.delete_table(c.caller, database, name);
  return json::object();
}

json batch_delete_table(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "TablesToDelete", "TransactionId"});
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  refuse_unless_empty(b, "TransactionId", "", "governed tables and transactions are not supported");
  const std::string database = required_str(b, "DatabaseName", "");
  const std::vector<std::string> names = str_list(required(b, "TablesToDelete", ""), "TablesToDelete");
  if (names.size() > 100) throw_invalid("TablesToDelete", "may name at most 100 tables");
  json errors = json::array();
  for (std::size_t i = 0; i < names.size(); ++i) {
    try {
      c.name_fields(table_fields(item("TablesToDelete", i)), std::nullopt);
      c.service.delete_table(c.caller, database, names[i]);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::Internal || e.code() == ErrorCode::Unavailable) throw;
      const aws::AwsError err = glue_error(e, c);
      errors.push_back(json{{"TableName", names[i]}, {"ErrorDetail", error_detail(err.type, err.message)}});
    }
  }
  return json{{"Errors", std::move(errors)}};
}

json get_table_versions(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "TableName", "NextToken", "MaxResults", "AuditContext"});
  common_read_members(c, b);
  const std::string database = required_str(b, "DatabaseName", "");
  const std::string name = required_str(b, "TableName", "");
  const catalog::PageRequest page = page_in(b, kCatalogPageSize);
  c.name_fields(table_fields("TableName"), std::nullopt);
  const auto got = c.service.list_table_versions(c.caller, database, name, page);
  json items = json::array();
  for (const auto& t : got.items) {
    items.push_back(
        json{{"Table", table_out(t, c.service.catalog_id())}, {"VersionId", std::to_string(t.version_id)}});
  }
  json out = {{"TableVersions", std::move(items)}};
  if (!got.next_token.empty()) out["NextToken"] = got.next_token;
  return out;
}

json get_table_version(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "TableName", "VersionId", "AuditContext"});
  common_read_members(c, b);
  const std::string database = required_str(b, "DatabaseName", "");
  const std::string name = required_str(b, "TableName", "");
  const auto version = opt_str(b, "VersionId", "");
  const std::optional<std::int64_t> number =
      version ? std::optional<std::int64_t>(version_in(*version, "VersionId")) : std::nullopt;
  c.name_fields(table_fields("TableName"), std::nullopt);
  const catalog::Table t = number ? c.service.get_table_version(c.caller, database, name, *number)
                                  : c.service.get_table(c.caller, database, name);
  return json{
      {"TableVersion",
       {{"Table", table_out(t, c.service.catalog_id())}, {"VersionId", std::to_string(t.version_id)}}}};
}

/// SearchTables' Filters: only DatabaseName EQUALS is supported (it selects the database searched).
std::string search_database(const json& b) {
  const json* filters = opt(b, "Filters");
  if (filters == nullptr) return {};
  if (!filters->is_array()) throw_invalid("Filters", "must be a list of property predicates");
  std::string database;
  for (std::size_t i = 0; i < filters->size(); ++i) {
    const std::string p = item("Filters", i);
    structure((*filters)[i], p, {"Key", "Value", "Comparator"});
    const std::string key = required_str((*filters)[i], "Key", p);
    const std::string comparator = opt_str((*filters)[i], "Comparator", p).value_or("EQUALS");
    if (key != "DatabaseName") {
      throw_invalid(member(p, "Key"), "Cairn filters SearchTables on DatabaseName only, not " +
                                          catalog::quote_for_message(key) + "; put other text in SearchText");
    }
    if (comparator != "EQUALS") throw_invalid(member(p, "Comparator"), "must be EQUALS for DatabaseName");
    const std::string value = required_str((*filters)[i], "Value", p);
    if (!database.empty() && database != value) throw_invalid(p, "gives a second, different DatabaseName");
    database = value;
  }
  return database;
}

json search_tables(Call& c, const json& b) {
  structure(b, "",
            {"CatalogId", "NextToken", "Filters", "SearchText", "SortCriteria", "MaxResults",
             "ResourceShareType", "IncludeStatusDetails"});
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  opt_bool(b, "IncludeStatusDetails", "");
  refuse_unless_empty(b, "SortCriteria", "", "tables are returned ordered by database and name");
  const std::string text = opt_str(b, "SearchText", "").value_or("");
  const std::string database = search_database(b);
  std::vector<std::pair<std::string, std::string>> names;
  if (!only_foreign(b)) {
    c.name_fields({{"q", "SearchText"}, {"database", "Filters"}}, std::nullopt);
    if (catalog::text::trim_ascii_space(text).empty()) {
      // No text: every visible table (of the database when one is given).
      std::vector<std::string> databases;
      if (!database.empty()) {
        databases.push_back(c.service.get_database(c.caller, database).name);
      } else {
        catalog::PageRequest page{"", 1000};
        for (;;) {
          auto dbs = c.service.list_databases(c.caller, page);
          for (const auto& d : dbs.items) databases.push_back(d.name);
          if (dbs.next_token.empty()) break;
          page.token = dbs.next_token;
        }
      }
      for (const auto& db : databases) {
        catalog::PageRequest page{"", 1000};
        for (;;) {
          auto tables = c.service.list_tables(c.caller, db, page);
          for (const auto& t : tables.items) names.emplace_back(db, t.name);
          if (tables.next_token.empty()) break;
          page.token = tables.next_token;
        }
      }
    } else {
      for (const auto& hit : c.service.search(c.caller, text, database, 1000))
        names.emplace_back(hit.database, hit.table);
    }
  }
  const aws::Slice sl = aws::slice(b, names.size(), 100, kPageSize);
  json items = json::array();
  c.name_fields({}, std::nullopt);
  for (std::size_t i = sl.begin; i < sl.end; ++i) {
    // get_table returns the columns the caller may see, as every other read does.
    items.push_back(
        table_out(c.service.get_table(c.caller, names[i].first, names[i].second), c.service.catalog_id()));
  }
  json out = {{"TableList", std::move(items)}};
  if (!sl.next_token.empty()) out["NextToken"] = sl.next_token;
  return out;
}

// --- partitions ----------------------------------------------------------------------------------------

struct TableName {
  std::string database, table;
};

TableName partition_table_in(Call& c, const json& b) {
  aws::check_catalog_id(b, "CatalogId", "", c.service.catalog_id());
  return {required_str(b, "DatabaseName", ""), required_str(b, "TableName", "")};
}

json create_partition(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "TableName", "PartitionInput"});
  const TableName t = partition_table_in(c, b);
  catalog::Partition p = partition_in(required(b, "PartitionInput", ""), "PartitionInput");
  c.name_fields(partition_fields("PartitionInput.Values"), "PartitionInput");
  const auto errors = c.service.create_partitions(c.caller, t.database, t.table, {std::move(p)});
  for (const auto& e : errors) {
    if (!e.error_code.empty()) throw_item_error(e, "PartitionInput.Values", "PartitionInput");
  }
  return json::object();
}

json batch_create_partition(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "TableName", "PartitionInputList"});
  const TableName t = partition_table_in(c, b);
  const json& list = required(b, "PartitionInputList", "");
  if (!list.is_array()) throw_invalid("PartitionInputList", "must be a list of partition inputs");
  if (list.size() > 100) throw_invalid("PartitionInputList", "may hold at most 100 partitions");
  std::vector<catalog::Partition> partitions;
  for (std::size_t i = 0; i < list.size(); ++i)
    partitions.push_back(partition_in(list[i], item("PartitionInputList", i)));
  c.name_fields(partition_fields("PartitionInputList"), "PartitionInputList");
  return batch_errors(c.service.create_partitions(c.caller, t.database, t.table, std::move(partitions)),
                      "PartitionValues");
}

json get_partition(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "TableName", "PartitionValues", "AuditContext"});
  common_read_members(c, b);
  const TableName t = partition_table_in(c, b);
  const auto values = str_list(required(b, "PartitionValues", ""), "PartitionValues");
  c.name_fields(partition_fields("PartitionValues"), std::nullopt);
  return json{{"Partition", partition_out(c.service.get_partition(c.caller, t.database, t.table, values),
                                          c.service.catalog_id())}};
}

json get_partitions(Call& c, const json& b) {
  structure(b, "",
            {"CatalogId", "DatabaseName", "TableName", "Expression", "NextToken", "Segment", "MaxResults",
             "ExcludeColumnSchema", "TransactionId", "QueryAsOfTime", "AuditContext"});
  common_read_members(c, b);
  const TableName t = partition_table_in(c, b);
  const std::string expression = opt_str(b, "Expression", "").value_or("");
  if (const json* segment = opt(b, "Segment")) {
    structure(*segment, "Segment", {"SegmentNumber", "TotalSegments"});
    const auto number = opt_int(*segment, "SegmentNumber", "Segment", 0, 9).value_or(0);
    const auto total = opt_int(*segment, "TotalSegments", "Segment", 1, 10).value_or(1);
    if (number != 0 || total != 1)
      throw_invalid("Segment",
                    "Cairn serves partitions in one segment: use SegmentNumber 0 of TotalSegments 1");
  }
  const bool without_columns = opt_bool(b, "ExcludeColumnSchema", "").value_or(false);
  const catalog::PageRequest page = page_in(b, kPageSize);
  c.name_fields(partition_fields("PartitionValues"), std::nullopt);
  const auto got = c.service.list_partitions(c.caller, t.database, t.table, expression, page);
  json items = json::array();
  for (const auto& p : got.items) items.push_back(partition_out(p, c.service.catalog_id(), !without_columns));
  json out = {{"Partitions", std::move(items)}};
  if (!got.next_token.empty()) out["NextToken"] = got.next_token;
  return out;
}

json batch_get_partition(Call& c, const json& b) {
  structure(
      b, "",
      {"CatalogId", "DatabaseName", "TableName", "PartitionsToGet", "AuditContext", "QuerySessionContext"});
  common_read_members(c, b);
  if (const json* q = opt(b, "QuerySessionContext")) {
    structure(*q, "QuerySessionContext",
              {"QueryId", "QueryStartTime", "ClusterId", "QueryAuthorizationId", "AdditionalContext"});
  }
  const TableName t = partition_table_in(c, b);
  const auto values = value_lists_in(b, "PartitionsToGet", 1000);
  c.name_fields(partition_fields("PartitionsToGet"), std::nullopt);
  json items = json::array();
  for (const auto& p : c.service.batch_get_partitions(c.caller, t.database, t.table, values))
    items.push_back(partition_out(p, c.service.catalog_id()));
  return json{{"Partitions", std::move(items)}, {"UnprocessedKeys", json::array()}};
}

json update_partition(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "TableName", "PartitionValueList", "PartitionInput"});
  const TableName t = partition_table_in(c, b);
  const auto values = str_list(required(b, "PartitionValueList", ""), "PartitionValueList");
  catalog::Partition p = partition_in(required(b, "PartitionInput", ""), "PartitionInput");
  if (p.values.empty()) p.values = values;
  c.name_fields(partition_fields("PartitionValueList"), "PartitionInput");
  c.service.update_partition(c.caller, t.database, t.table, values, std::move(p));
  return json::object();
}

json batch_update_partition(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "TableName", "Entries"});
  const TableName t = partition_table_in(c, b);
  const json& list = required(b, "Entries", "");
  if (!list.is_array()) throw_invalid("Entries", "must be a list of {PartitionValueList, PartitionInput}");
  if (list.size() > 100) throw_invalid("Entries", "may hold at most 100 entries");
  std::vector<std::pair<std::vector<std::string>, catalog::Partition>> entries;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = item("Entries", i);
    structure(list[i], p, {"PartitionValueList", "PartitionInput"});
    auto values = str_list(required(list[i], "PartitionValueList", p), member(p, "PartitionValueList"));
    catalog::Partition partition =
        partition_in(required(list[i], "PartitionInput", p), member(p, "PartitionInput"));
    if (partition.values.empty()) partition.values = values;
    entries.emplace_back(std::move(values), std::move(partition));
  }
  c.name_fields(partition_fields("Entries"), "Entries");
  return batch_errors(c.service.update_partitions(c.caller, t.database, t.table, std::move(entries)),
                      "PartitionValueList");
}

json delete_partition(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "TableName", "PartitionValues"});
  const TableName t = partition_table_in(c, b);
  const auto values = str_list(required(b, "PartitionValues", ""), "PartitionValues");
  c.name_fields(partition_fields("PartitionValues"), std::nullopt);
  for (const auto& e : c.service.delete_partitions(c.caller, t.database, t.table, {values})) {
    if (!e.error_code.empty()) throw_item_error(e, "PartitionValues", "");
  }
  return json::object();
}

json batch_delete_partition(Call& c, const json& b) {
  structure(b, "", {"CatalogId", "DatabaseName", "TableName", "PartitionsToDelete"});
  const TableName t = partition_table_in(c, b);
  const auto values = value_lists_in(b, "PartitionsToDelete", 25);
  c.name_fields(partition_fields("PartitionsToDelete"), std::nullopt);
  return batch_errors(c.service.delete_partitions(c.caller, t.database, t.table, values), "PartitionValues");
}

const Handlers& handlers() {
  static const Handlers kHandlers = [] {
    Handlers h = {
        {"BatchCreatePartition", batch_create_partition},
        {"BatchDeletePartition", batch_delete_partition},
        {"BatchDeleteTable", batch_delete_table},
        {"BatchGetPartition", batch_get_partition},
        {"BatchUpdatePartition", batch_update_partition},
        {"CreateDatabase", create_database},
        {"CreatePartition", create_partition},
        {"CreateTable", create_table},
        {"DeleteDatabase", delete_database},
        {"DeletePartition", delete_partition},
        {"DeleteTable", delete_table},
        {"GetDatabase", get_database},
        {"GetDatabases", get_databases},
        {"GetPartition", get_partition},
        {"GetPartitions", get_partitions},
        {"GetTable", get_table},
        {"GetTableVersion", get_table_version},
        {"GetTableVersions", get_table_versions},
        {"GetTables", get_tables},
        {"SearchTables", search_tables},
        {"UpdateDatabase", update_database},
        {"UpdatePartition", update_partition},
        {"UpdateTable", update_table},
    };
    add_crawler_operations(h);
    add_entity_type_operations(h);
    return h;
  }();
  return kHandlers;
}

}  // namespace

std::string pascal_path(const std::string& native) {
  std::string out;
  bool upper_next = true;
  bool in_index = false;
  for (const char ch : native) {
    if (in_index) {
      out.push_back(ch);
      in_index = ch != ']';
      continue;
    }
    if (ch == '[') {
      in_index = true;
      out.push_back(ch);
    } else if (ch == '.') {
      out.push_back(ch);
      upper_next = true;
    } else if (ch == '_') {
      upper_next = true;
    } else {
      out.push_back(upper_next && ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 'a' + 'A') : ch);
      upper_next = false;
    }
  }
  return out;
}

aws::AwsError glue_error(const Error& e, const Call& call) {
  std::string field;
  if (!e.field().empty()) {
    const auto fallback = [&](const std::string& f) -> std::string {
      if (f == "next_token") return "NextToken";
      if (f == "max_results") return "MaxResults";
      if (!call.prefix) return f;
      const std::string glue = pascal_path(f);
      if (call.prefix->empty()) return glue;
      return *call.prefix + (glue.front() == '[' ? "" : ".") + glue;
    };
    const auto rest = [](std::string native) {
      std::string glue = pascal_path(native);
      // A crawler target's connection is its ConnectionName.
      const std::string_view connection = ".Connection";
      if (glue.size() >= connection.size() &&
          glue.compare(glue.size() - connection.size(), connection.size(), connection) == 0)
        glue += "Name";
      return glue;
    };
    field = aws::translate_field(call.fields, e.field(), rest, fallback);
  }
  return aws::aws_error(e, field, call.style);
}

}  // namespace glue

bool is_glue_request(const HttpRequest& req) {
  if (req.method != "POST" || req.path != "/") return false;
  return req.header("X-Amz-Target").rfind(glue::kTargetPrefix, 0) == 0;
}

HttpResponse handle_glue(CatalogService& service, CrawlerService& crawlers,
                         ClassificationService& classification, const authz::Authenticator& authenticator,
                         const HttpRequest& req) {
  const std::string op(req.header("X-Amz-Target").substr(glue::kTargetPrefix.size()));
  std::optional<glue::Call> call;
  HttpResponse resp = aws::serve(
      "glue", op, authenticator, req,
      [&](const Caller& caller, const nlohmann::json& body) {
        call.emplace(glue::Call{service, crawlers, classification, caller, {}, std::nullopt});
        const auto& handlers = glue::handlers();
        const auto it = handlers.find(op);
        if (it == handlers.end()) {
          std::vector<std::string> supported;
          for (const auto& [name, _] : handlers) supported.push_back(name);
          throw Error(ErrorCode::InvalidArgument,
                      "Cairn does not implement the Glue operation " + catalog::quote_for_message(op) +
                          " (see docs/aws-compatibility.md); supported: " + aws::join(supported));
        }
        return it->second(*call, body);
      },
      [&](const Error& e) {
        if (!call) return aws::aws_error(e, e.field(), aws::AwsErrorStyle{});
        return glue::glue_error(e, *call);
      });
  resp.content_type = "application/x-amz-json-1.1";
  return resp;
}

}  // namespace cairn::api
