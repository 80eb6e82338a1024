// The AWS Lake Formation REST-JSON API: a thin translation of Lake Formation's shapes (botocore model
// lakeformation/2017-03-31) onto CatalogService, which decides and audits everything. Field-by-field mapping
// and what is not supported: docs/aws-compatibility.md.

#include "lakeformation_api.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aws_json.h"
#include "cairn/api/policy_json.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/names.h"
#include "cairn/catalog/policy.h"

namespace cairn::api {

namespace {

using aws::aws_error;
using aws::AwsError;
using aws::epoch_seconds;
using aws::FieldMap;
using aws::item;
using aws::join;
using aws::max_results;
using aws::member;
using aws::opt;
using aws::opt_bool;
using aws::opt_marker;
using aws::opt_str;
using aws::opt_str_list;
using aws::required;
using aws::required_str;
using aws::serve;
using aws::Slice;
using aws::slice;
using aws::str;
using aws::str_list;
using aws::structure;
using aws::translate_field;
using catalog::Grant;
using catalog::Permission;
using catalog::PermissionSet;
using catalog::ResourceKind;
using nlohmann::json;

/// Every operation of the Lake Formation model, sorted (byte order).
constexpr std::array<std::string_view, 61> kModelOperations = {
    "AddLFTagsToResource",
    "AssumeDecoratedRoleWithSAML",
    "BatchGrantPermissions",
    "BatchRevokePermissions",
    "CancelTransaction",
    "CommitTransaction",
    "CreateDataCellsFilter",
    "CreateLFTag",
    "CreateLFTagExpression",
    "CreateLakeFormationIdentityCenterConfiguration",
    "CreateLakeFormationOptIn",
    "DeleteDataCellsFilter",
    "DeleteLFTag",
    "DeleteLFTagExpression",
    "DeleteLakeFormationIdentityCenterConfiguration",
    "DeleteLakeFormationOptIn",
    "DeleteObjectsOnCancel",
    "DeregisterResource",
    "DescribeLakeFormationIdentityCenterConfiguration",
    "DescribeResource",
    "DescribeTransaction",
    "ExtendTransaction",
    "GetDataCellsFilter",
    "GetDataLakePrincipal",
    "GetDataLakeSettings",
    "GetEffectivePermissionsForPath",
    "GetLFTag",
    "GetLFTagExpression",
    "GetQueryState",
    "GetQueryStatistics",
    "GetResourceLFTags",
    "GetTableObjects",
    "GetTemporaryDataLocationCredentials",
    "GetTemporaryGluePartitionCredentials",
    "GetTemporaryGlueTableCredentials",
    "GetWorkUnitResults",
    "GetWorkUnits",
    "GrantPermissions",
    "ListDataCellsFilter",
    "ListLFTagExpressions",
    "ListLFTags",
    "ListLakeFormationOptIns",
    "ListPermissions",
    "ListResources",
    "ListTableStorageOptimizers",
    "ListTransactions",
    "PutDataLakeSettings",
    "RegisterResource",
    "RemoveLFTagsFromResource",
    "RevokePermissions",
    "SearchDatabasesByLFTags",
    "SearchTablesByLFTags",
    "StartQueryPlanning",
    "StartTransaction",
    "UpdateDataCellsFilter",
    "UpdateLFTag",
    "UpdateLFTagExpression",
    "UpdateLakeFormationIdentityCenterConfiguration",
    "UpdateResource",
    "UpdateTableObjects",
    "UpdateTableStorageOptimizer",
};

/// Lake Formation's name for "every principal"; Cairn's EVERYONE.
constexpr std::string_view kIamAllowedPrincipals = "IAM_ALLOWED_PRINCIPALS";

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// --- request shapes ---------------------------------------------------------------------------------

/// LF's ResourceArn of a data location (arn:aws:s3:::bucket/prefix) as Cairn's normalised URI; s3:// and
/// file:// URIs are accepted as well.
std::string location_from_arn(const std::string& arn, const std::string& field) {
  if (arn.rfind("arn:", 0) == 0) {
    const auto colon = arn.find(':', 4);
    if (colon == std::string::npos || arn.compare(colon + 1, 5, "s3:::") != 0 || colon + 6 >= arn.size()) {
      throw_invalid(field,
                    "only S3 locations can be registered: expected arn:aws:s3:::BUCKET[/PREFIX], got " +
                        catalog::quote_for_message(arn));
    }
    return catalog::normalize_location_uri("s3://" + arn.substr(colon + 6), field);
  }
  if (arn.rfind("s3://", 0) == 0 || arn.rfind("file://", 0) == 0)
    return catalog::normalize_location_uri(arn, field);
  throw_invalid(field, "expected an S3 ARN arn:aws:s3:::BUCKET[/PREFIX] (or an s3:// or file:// URI), got " +
                           catalog::quote_for_message(arn));
}

std::string arn_from_location(const std::string& uri) {
  if (uri.rfind("s3://", 0) == 0) return "arn:aws:s3:::" + uri.substr(5);
  return uri;
}

/// True when `location` (any table or database location) is `prefix` or below it.
bool located_under(const std::string& location, const std::string& prefix) {
  if (location.empty()) return false;
  std::string normalized;
  try {
    normalized = catalog::normalize_location_uri(location, "location");
  } catch (const Error&) {
    return false;  // not an s3:// or file:// location: never under a registered path
  }
  return normalized == prefix || normalized.rfind(prefix + "/", 0) == 0;
}

/// The member of LF's Resource union that stands for a grant kind.
const char* lf_member(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::Catalog:
      return "Catalog";
    case ResourceKind::Database:
      return "Database";
    case ResourceKind::Table:
    case ResourceKind::TableWildcard:
      return "Table";
    case ResourceKind::TableWithColumns:
      return "TableWithColumns";
    case ResourceKind::DataLocation:
      return "DataLocation";
    case ResourceKind::DataCellsFilter:
      return "DataCellsFilter";
    case ResourceKind::TagPolicy:
      return "LFTagPolicy";
  }
  return "Catalog";
}

// --- errors -------------------------------------------------------------------------------------------

/// Translates a native field path ("resource.columns[2]", ".principal") to LF's members.
std::string translate_lf_field(const FieldMap& fields, const std::string& field) {
  return translate_field(fields, field, [](std::string rest) {
    // Members of a tag expression condition.
    static const std::array<std::pair<std::string_view, std::string_view>, 2> kTagMembers = {
        {{".key", ".TagKey"}, {".values", ".TagValues"}}};
    for (const auto& [native, lf] : kTagMembers) {
      const auto at = rest.find(native);
      if (at != std::string::npos) rest.replace(at, native.size(), lf);
    }
    return rest;
  });
}

AwsError lf_error(const Error& e, const FieldMap& fields) {
  return aws_error(e, e.field().empty() ? std::string() : translate_lf_field(fields, e.field()));
}

/// Fields of the grant request shapes, for the Resource member that `kind` uses.
FieldMap grant_fields(ResourceKind kind) {
  const std::string r = std::string("Resource.") + lf_member(kind);
  FieldMap f = {{"principal", "Principal.DataLakePrincipalIdentifier"},
                {"permissions", "Permissions"},
                {"grantable", "PermissionsWithGrantOption"}};
  switch (kind) {
    case ResourceKind::Database:
      f.emplace_back("resource.database", r + ".Name");
      break;
    case ResourceKind::Table:
    case ResourceKind::TableWildcard:
    case ResourceKind::TableWithColumns:
      f.emplace_back("resource.database", r + ".DatabaseName");
      f.emplace_back("resource.table", r + ".Name");
      break;
    case ResourceKind::DataCellsFilter:
      f.emplace_back("resource.database", r + ".DatabaseName");
      f.emplace_back("resource.table", r + ".TableName");
      f.emplace_back("resource.filter_name", r + ".Name");
      break;
    default:
      break;
  }
  f.emplace_back("resource.columns", "Resource.TableWithColumns.ColumnNames");
  f.emplace_back("resource.excluded_columns", "Resource.TableWithColumns.ColumnWildcard.ExcludedColumnNames");
  f.emplace_back("resource.location", "Resource.DataLocation.ResourceArn");
  f.emplace_back("resource.tag_resource_type", "Resource.LFTagPolicy.ResourceType");
  f.emplace_back("resource.tag_expression", "Resource.LFTagPolicy.Expression");
  f.emplace_back("resource", "Resource");
  return f;
}

FieldMap filter_fields(const std::string& prefix) {
  const std::string p = prefix.empty() ? "" : prefix + ".";
  return {{"database", p + "DatabaseName"},
          {"table", p + "TableName"},
          {"name", p + "Name"},
          {"row_filter", p + "RowFilter.FilterExpression"},
          {"all_rows", p + "RowFilter.AllRowsWildcard"},
          {"columns", p + "ColumnNames"},
          {"excluded_columns", p + "ColumnWildcard.ExcludedColumnNames"}};
}

// --- the operations -----------------------------------------------------------------------------------

class LakeFormation {
 public:
  LakeFormation(CatalogService& service, const Caller& caller, FieldMap& fields)
      : s_(service), caller_(caller), fields_(fields), catalog_id_(service.catalog_id()) {}

  json call(const std::string& op, const json& body) {
    using Handler = json (LakeFormation::*)(const json&);
    static const std::map<std::string, Handler, std::less<>> kHandlers = {
        {"AddLFTagsToResource", &LakeFormation::add_lf_tags_to_resource},
        {"BatchGrantPermissions", &LakeFormation::batch_grant_permissions},
        {"BatchRevokePermissions", &LakeFormation::batch_revoke_permissions},
        {"CreateDataCellsFilter", &LakeFormation::create_data_cells_filter},
        {"CreateLFTag", &LakeFormation::create_lf_tag},
        {"DeleteDataCellsFilter", &LakeFormation::delete_data_cells_filter},
        {"DeleteLFTag", &LakeFormation::delete_lf_tag},
        {"DeregisterResource", &LakeFormation::deregister_resource},
        {"DescribeResource", &LakeFormation::describe_resource},
        {"GetDataCellsFilter", &LakeFormation::get_data_cells_filter},
        {"GetDataLakePrincipal", &LakeFormation::get_data_lake_principal},
        {"GetDataLakeSettings", &LakeFormation::get_data_lake_settings},
        {"GetEffectivePermissionsForPath", &LakeFormation::get_effective_permissions_for_path},
        {"GetLFTag", &LakeFormation::get_lf_tag},
        {"GetResourceLFTags", &LakeFormation::get_resource_lf_tags},
        {"GrantPermissions", &LakeFormation::grant_permissions},
        {"ListDataCellsFilter", &LakeFormation::list_data_cells_filter},
        {"ListLFTags", &LakeFormation::list_lf_tags},
        {"ListPermissions", &LakeFormation::list_permissions},
        {"ListResources", &LakeFormation::list_resources},
        {"PutDataLakeSettings", &LakeFormation::put_data_lake_settings},
        {"RegisterResource", &LakeFormation::register_resource},
        {"RemoveLFTagsFromResource", &LakeFormation::remove_lf_tags_from_resource},
        {"RevokePermissions", &LakeFormation::revoke_permissions},
        {"UpdateDataCellsFilter", &LakeFormation::update_data_cells_filter},
        {"UpdateLFTag", &LakeFormation::update_lf_tag},
    };
    const auto it = kHandlers.find(op);
    if (it == kHandlers.end()) {
      std::vector<std::string> supported;
      for (const auto& [name, _] : kHandlers) supported.push_back(name);
      throw Error(ErrorCode::InvalidArgument,
                  "Cairn does not implement the Lake Formation operation " + op +
                      " (see docs/aws-compatibility.md); supported: " + join(supported));
    }
    return (this->*(it->second))(body);
  }

 private:
  // --- shared shapes ---

  /// A CatalogId member: absent, or this server's catalog id.
  void check_catalog_id(const json& obj, const std::string& key, const std::string& path) const {
    aws::check_catalog_id(obj, key, path, catalog_id_);
  }

  std::string principal_in(const json& v, const std::string& path) const {
    structure(v, path, {"DataLakePrincipalIdentifier"});
    const std::string field = member(path, "DataLakePrincipalIdentifier");
    const std::string text = required_str(v, "DataLakePrincipalIdentifier", path);
    if (text == kIamAllowedPrincipals || upper(text) == catalog::kEveryone)
      return std::string(catalog::kEveryone);
    try {
      return principal_id_from_text(text, catalog_id_, field);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::InvalidArgument) throw;
      throw Error(ErrorCode::InvalidArgument,
                  std::string(e.what()) + "; Lake Formation principals here are arn:aws:iam::" + catalog_id_ +
                      ":user/NAME, :role/NAME, :group/NAME or IAM_ALLOWED_PRINCIPALS",
                  field);
    }
  }

  json principal_out(const std::string& id) const {
    const std::string text =
        id == catalog::kEveryone ? std::string(kIamAllowedPrincipals) : principal_display(id, catalog_id_);
    return json{{"DataLakePrincipalIdentifier", text}};
  }

  /// Reads LF's Resource union into the resource fields of `g`. Unsupported members are refused by name.
  void resource_in(const json& r, const std::string& path, Grant& g) const {
    structure(r, path,
              {"Catalog", "Database", "Table", "TableWithColumns", "DataLocation", "DataCellsFilter", "LFTag",
               "LFTagPolicy", "LFTagExpression"});
    std::vector<std::string> present;
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (!it->is_null()) present.push_back(it.key());
    }
    if (present.empty()) {
      throw_invalid(
          path,
          "exactly one of Catalog, Database, Table, TableWithColumns, DataLocation, DataCellsFilter or "
          "LFTagPolicy is required");
    }
    if (present.size() > 1) throw_invalid(path, "is a union: give exactly one member, got " + join(present));
    const std::string& kind = present.front();
    const json& v = r.at(kind);
    const std::string p = member(path, kind);
    if (kind == "Catalog") {
      structure(v, p, {"Id"});
      check_catalog_id(v, "Id", p);
      g.kind = ResourceKind::Catalog;
    } else if (kind == "Database") {
      structure(v, p, {"CatalogId", "Name"});
      check_catalog_id(v, "CatalogId", p);
      g.kind = ResourceKind::Database;
      g.database = required_str(v, "Name", p);
    } else if (kind == "Table") {
      structure(v, p, {"CatalogId", "DatabaseName", "Name", "TableWildcard"});
      check_catalog_id(v, "CatalogId", p);
      g.database = required_str(v, "DatabaseName", p);
      const auto name = opt_str(v, "Name", p);
      const bool wildcard = opt_marker(v, "TableWildcard", p);
      if (name && wildcard) throw_invalid(p, "give Name or TableWildcard, not both");
      if (!name && !wildcard) throw_invalid(p, "Name or TableWildcard is required");
      g.kind = wildcard ? ResourceKind::TableWildcard : ResourceKind::Table;
      if (name) g.table = *name;
    } else if (kind == "TableWithColumns") {
      structure(v, p, {"CatalogId", "DatabaseName", "Name", "ColumnNames", "ColumnWildcard"});
      check_catalog_id(v, "CatalogId", p);
      g.kind = ResourceKind::TableWithColumns;
      g.database = required_str(v, "DatabaseName", p);
      g.table = required_str(v, "Name", p);
      g.columns = opt_str_list(v, "ColumnNames", p);
      if (const json* w = opt(v, "ColumnWildcard")) {
        const std::string wp = member(p, "ColumnWildcard");
        structure(*w, wp, {"ExcludedColumnNames"});
        if (!g.columns.empty()) throw_invalid(p, "give ColumnNames or ColumnWildcard, not both");
        g.column_wildcard = true;
        g.excluded_columns = opt_str_list(*w, "ExcludedColumnNames", wp);
      } else if (g.columns.empty()) {
        throw_invalid(p, "ColumnNames (non-empty) or ColumnWildcard is required");
      }
    } else if (kind == "DataLocation") {
      structure(v, p, {"CatalogId", "ResourceArn"});
      check_catalog_id(v, "CatalogId", p);
      g.kind = ResourceKind::DataLocation;
      g.location = location_from_arn(required_str(v, "ResourceArn", p), member(p, "ResourceArn"));
    } else if (kind == "DataCellsFilter") {
      structure(v, p, {"TableCatalogId", "DatabaseName", "TableName", "Name"});
      check_catalog_id(v, "TableCatalogId", p);
      g.kind = ResourceKind::DataCellsFilter;
      g.database = required_str(v, "DatabaseName", p);
      g.table = required_str(v, "TableName", p);
      g.filter_name = required_str(v, "Name", p);
    } else if (kind == "LFTagPolicy") {
      structure(v, p, {"CatalogId", "ResourceType", "Expression", "ExpressionName"});
      check_catalog_id(v, "CatalogId", p);
      if (opt(v, "ExpressionName") != nullptr) {
        throw_invalid(member(p, "ExpressionName"),
                      "saved LF-Tag expressions are not supported by Cairn; give the Expression inline");
      }
      g.kind = ResourceKind::TagPolicy;
      g.tag_resource_type = required_str(v, "ResourceType", p);
      if (g.tag_resource_type != "DATABASE" && g.tag_resource_type != "TABLE") {
        throw_invalid(member(p, "ResourceType"),
                      "must be DATABASE or TABLE, got " + catalog::quote_for_message(g.tag_resource_type));
      }
      const std::string ep = member(p, "Expression");
      const json& expression = required(v, "Expression", p);
      if (!expression.is_array() || expression.empty()) {
        throw_invalid(ep, "must be a non-empty list of {TagKey, TagValues} conditions");
      }
      for (std::size_t i = 0; i < expression.size(); ++i) {
        const std::string ip = item(ep, i);
        structure(expression[i], ip, {"TagKey", "TagValues"});
        g.tag_expression.push_back(
            {required_str(expression[i], "TagKey", ip),
             str_list(required(expression[i], "TagValues", ip), member(ip, "TagValues"))});
      }
    } else if (kind == "LFTag") {
      throw_invalid(
          p,
          "permissions on LF-Tags themselves (ASSOCIATE, DESCRIBE, ALTER, DROP, "
          "GRANT_WITH_LF_TAG_EXPRESSION on an LFTag resource) are not supported by Cairn: administrators "
          "create LF-Tags, and administrators or holders of ALTER on a database or table assign them; "
          "grant on an LFTagPolicy to use tags for access");
    } else {
      throw_invalid(
          p,
          "saved LF-Tag expressions (LFTagExpression) are not supported by Cairn; grant on an LFTagPolicy "
          "with an inline Expression");
    }
  }

  json resource_out(const Grant& g) const {
    switch (g.kind) {
      case ResourceKind::Catalog:
        return json{{"Catalog", json::object()}};
      case ResourceKind::Database:
        return json{{"Database", {{"CatalogId", catalog_id_}, {"Name", g.database}}}};
      case ResourceKind::Table:
        return json{{"Table", {{"CatalogId", catalog_id_}, {"DatabaseName", g.database}, {"Name", g.table}}}};
      case ResourceKind::TableWildcard:
        return json{
            {"Table",
             {{"CatalogId", catalog_id_}, {"DatabaseName", g.database}, {"TableWildcard", json::object()}}}};
      case ResourceKind::TableWithColumns: {
        json t = {{"CatalogId", catalog_id_}, {"DatabaseName", g.database}, {"Name", g.table}};
        if (g.column_wildcard) {
          t["ColumnWildcard"] = json{{"ExcludedColumnNames", g.excluded_columns}};
        } else {
          t["ColumnNames"] = g.columns;
        }
        return json{{"TableWithColumns", std::move(t)}};
      }
      case ResourceKind::DataLocation:
        return json{
            {"DataLocation", {{"CatalogId", catalog_id_}, {"ResourceArn", arn_from_location(g.location)}}}};
      case ResourceKind::DataCellsFilter:
        return json{{"DataCellsFilter",
                     {{"TableCatalogId", catalog_id_},
                      {"DatabaseName", g.database},
                      {"TableName", g.table},
                      {"Name", g.filter_name}}}};
      case ResourceKind::TagPolicy: {
        json expression = json::array();
        for (const auto& c : g.tag_expression)
          expression.push_back({{"TagKey", c.key}, {"TagValues", c.values}});
        return json{{"LFTagPolicy",
                     {{"CatalogId", catalog_id_},
                      {"ResourceType", g.tag_resource_type},
                      {"Expression", std::move(expression)}}}};
      }
    }
    return json::object();
  }

  static PermissionSet permissions_in(const json& v, const std::string& field) {
    if (!v.is_array()) throw_invalid(field, "must be a list of permissions");
    PermissionSet set = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string f = item(field, i);
      const std::string name = str(v[i], f);
      const std::string u = upper(name);
      if (u == "SUPER_USER") {
        throw_invalid(f,
                      "SUPER_USER is not supported by Cairn: grant ALL on the resource (the bootstrap "
                      "administrator is the only super user)");
      }
      if (u == "CREATE_CATALOG")
        throw_invalid(f, "CREATE_CATALOG is not supported by Cairn: a server has one catalog");
      if (u == "CREATE_LF_TAG" || u == "ASSOCIATE" || u == "GRANT_WITH_LF_TAG_EXPRESSION" ||
          u == "CREATE_LF_TAG_EXPRESSION") {
        throw_invalid(f, name + " is not supported by Cairn: LF-Tags are managed by administrators");
      }
      set = static_cast<PermissionSet>(set | catalog::bit(catalog::parse_permission(name, f)));
    }
    return set;
  }

  static json permission_names(PermissionSet set) { return json(catalog::permission_names(set)); }

  /// GrantPermissions / RevokePermissions / a batch entry.
  Grant grant_in(const json& b, bool entry) const {
    if (entry) {
      structure(b, "",
                {"Id", "Principal", "Resource", "Permissions", "Condition", "PermissionsWithGrantOption"});
      required_str(b, "Id", "");
    } else {
      structure(
          b, "",
          {"CatalogId", "Principal", "Resource", "Permissions", "Condition", "PermissionsWithGrantOption"});
      check_catalog_id(b, "CatalogId", "");
    }
    Grant g;
    g.principal = principal_in(required(b, "Principal", ""), "Principal");
    resource_in(required(b, "Resource", ""), "Resource", g);
    g.permissions = permissions_in(required(b, "Permissions", ""), "Permissions");
    if (const json* w = opt(b, "PermissionsWithGrantOption"))
      g.grantable = permissions_in(*w, "PermissionsWithGrantOption");
    if (const json* c = opt(b, "Condition")) {
      structure(*c, "Condition", {"Expression"});
      if (!opt_str(*c, "Expression", "Condition").value_or("").empty()) {
        throw_invalid("Condition.Expression", "conditional grants are not supported by Cairn");
      }
    }
    return g;
  }

  void grant_one(Grant g) {
    fields_ = grant_fields(g.kind);
    s_.grant_permissions(caller_, std::move(g));
  }

  void revoke_one(Grant g) {
    fields_ = grant_fields(g.kind);
    try {
      s_.revoke_permissions(caller_, std::move(g));
    } catch (const Error& e) {
      // Lake Formation answers a revoke of something not held with InvalidInputException.
      if (e.code() != ErrorCode::NotFound) throw;
      throw Error(ErrorCode::InvalidArgument, std::string("No permissions revoked: ") + e.what());
    }
  }

  // --- permissions ---

  json grant_permissions(const json& b) {
    grant_one(grant_in(b, false));
    return json::object();
  }

  json revoke_permissions(const json& b) {
    revoke_one(grant_in(b, false));
    return json::object();
  }

  json batch(const json& b, bool grant) {
    structure(b, "", {"CatalogId", "Entries"});
    check_catalog_id(b, "CatalogId", "");
    const json& entries = required(b, "Entries", "");
    if (!entries.is_array()) throw_invalid("Entries", "must be a list of entries");
    json failures = json::array();
    for (const json& entry : entries) {
      try {
        Grant g = grant_in(entry, true);
        if (grant) {
          grant_one(std::move(g));
        } else {
          revoke_one(std::move(g));
        }
      } catch (const Error& e) {
        if (e.code() == ErrorCode::Internal || e.code() == ErrorCode::Unavailable) throw;
        const AwsError err = lf_error(e, fields_);
        failures.push_back(json{{"RequestEntry", entry},
                                {"Error", {{"ErrorCode", err.type}, {"ErrorMessage", err.message}}}});
      }
      fields_.clear();
    }
    return json{{"Failures", std::move(failures)}};
  }

  json batch_grant_permissions(const json& b) { return batch(b, true); }
  json batch_revoke_permissions(const json& b) { return batch(b, false); }

  /// A resource as normalize_grant leaves it (names lower-cased, lists sorted), for comparisons.
  static Grant normalized_resource(Grant g) {
    g.principal = std::string(catalog::kEveryone);
    switch (g.kind) {
      case ResourceKind::DataLocation:
        g.permissions = catalog::bit(Permission::DataLocationAccess);
        break;
      case ResourceKind::TableWithColumns:
        g.permissions = catalog::bit(Permission::Select);
        break;
      default:
        g.permissions = catalog::bit(Permission::Describe);
        break;
    }
    catalog::normalize_grant(g, "");
    return g;
  }

  json permissions_entry(const Grant& g) const {
    json out = {{"Principal", principal_out(g.principal)},
                {"Resource", resource_out(g)},
                {"Permissions", permission_names(g.permissions)},
                {"PermissionsWithGrantOption", permission_names(g.grantable)},
                {"LastUpdated", epoch_seconds(g.update_time != 0 ? g.update_time : g.create_time)}};
    if (!g.granted_by.empty()) out["LastUpdatedBy"] = principal_display(g.granted_by, catalog_id_);
    return out;
  }

  json list_permissions(const json& b) {
    structure(
        b, "",
        {"CatalogId", "Principal", "ResourceType", "Resource", "NextToken", "MaxResults", "IncludeRelated"});
    check_catalog_id(b, "CatalogId", "");
    catalog::GrantQuery q;
    if (const json* p = opt(b, "Principal")) q.principal = principal_in(*p, "Principal");
    bool include_related = false;
    if (const auto related = opt_str(b, "IncludeRelated", "")) {
      const std::string u = upper(*related);
      if (u != "TRUE" && u != "FALSE") throw_invalid("IncludeRelated", "must be TRUE or FALSE");
      include_related = u == "TRUE";
    }

    // ResourceType: the kinds it stands for (an LF type Cairn has no grants of matches nothing).
    std::optional<std::set<ResourceKind>> kinds;
    std::string tag_type;
    if (const auto type = opt_str(b, "ResourceType", "")) {
      kinds.emplace();
      if (*type == "CATALOG") {
        kinds->insert(ResourceKind::Catalog);
      } else if (*type == "DATABASE") {
        kinds->insert(ResourceKind::Database);
      } else if (*type == "TABLE") {
        kinds->insert({ResourceKind::Table, ResourceKind::TableWildcard, ResourceKind::TableWithColumns,
                       ResourceKind::DataCellsFilter});
      } else if (*type == "DATA_LOCATION") {
        kinds->insert(ResourceKind::DataLocation);
      } else if (*type == "LF_TAG_POLICY" || *type == "LF_TAG_POLICY_DATABASE" ||
                 *type == "LF_TAG_POLICY_TABLE") {
        kinds->insert(ResourceKind::TagPolicy);
        if (*type != "LF_TAG_POLICY") tag_type = type->substr(std::string("LF_TAG_POLICY_").size());
      } else if (*type != "LF_TAG" && *type != "LF_NAMED_TAG_EXPRESSION") {
        throw_invalid("ResourceType",
                      "must be CATALOG, DATABASE, TABLE, DATA_LOCATION, LF_TAG, LF_TAG_POLICY, "
                      "LF_TAG_POLICY_DATABASE, LF_TAG_POLICY_TABLE or LF_NAMED_TAG_EXPRESSION, got " +
                          catalog::quote_for_message(*type));
      }
      if (kinds->size() == 1) q.kind = *kinds->begin();
    }

    // Resource: the grants on exactly that resource (a table's include its column and, with IncludeRelated,
    // its data cells filter grants).
    std::optional<Grant> resource;
    if (const json* r = opt(b, "Resource")) {
      Grant g;
      resource_in(*r, "Resource", g);
      if (g.kind == ResourceKind::TableWithColumns) {
        throw_invalid("Resource.TableWithColumns",
                      "ListPermissions does not take a table with columns: list the Table, which returns its "
                      "column grants too");
      }
      fields_ = grant_fields(g.kind);
      resource = normalized_resource(std::move(g));
      fields_.clear();
      if (resource->kind != ResourceKind::Table) q.kind = resource->kind;
      if (!resource->database.empty()) q.database = resource->database;
      if (!resource->table.empty()) q.table = resource->table;
    }
    const std::string resource_text = resource ? catalog::resource_key(*resource) : "";
    const auto matches = [&](const Grant& g) {
      if (kinds && !kinds->contains(g.kind)) return false;
      if (!tag_type.empty() && g.tag_resource_type != tag_type) return false;
      if (!resource) return true;
      if (resource->kind == ResourceKind::Table) {
        if (g.database != resource->database || g.table != resource->table) return false;
        return g.kind == ResourceKind::Table || g.kind == ResourceKind::TableWithColumns ||
               (include_related && g.kind == ResourceKind::DataCellsFilter);
      }
      Grant unmasked = g;
      unmasked.column_masks.clear();
      return catalog::resource_key(unmasked) == resource_text;
    };

    const int limit = max_results(b);
    catalog::PageRequest page{opt_str(b, "NextToken", "").value_or(""), limit};
    const catalog::Timestamp now = catalog::now_millis();
    json items = json::array();
    std::string next;
    // Fetch whole pages until this page is full: a token always points between two store pages.
    for (int round = 0; round < 20; ++round) {
      page.limit = limit - static_cast<int>(items.size());
      const catalog::Page<Grant> got = s_.list_grants(caller_, q, page);
      for (const Grant& g : got.items) {
        if (g.expires_at && *g.expires_at <= now) continue;  // an expired grant counts for nothing
        if (matches(g)) items.push_back(permissions_entry(g));
      }
      next = got.next_token;
      if (next.empty() || static_cast<int>(items.size()) >= limit) break;
      page.token = next;
    }
    json out = {{"PrincipalResourcePermissions", std::move(items)}};
    if (!next.empty()) out["NextToken"] = next;
    return out;
  }

  /// Every grant matching `q` that the caller may list.
  std::vector<Grant> all_grants(const catalog::GrantQuery& q) {
    std::vector<Grant> out;
    catalog::PageRequest page{"", 1000};
    const catalog::Timestamp now = catalog::now_millis();
    for (;;) {
      auto got = s_.list_grants(caller_, q, page);
      for (auto& g : got.items) {
        if (!g.expires_at || *g.expires_at > now) out.push_back(std::move(g));
      }
      if (got.next_token.empty()) return out;
      page.token = got.next_token;
    }
  }

  json get_effective_permissions_for_path(const json& b) {
    structure(b, "", {"CatalogId", "ResourceArn", "NextToken", "MaxResults"});
    check_catalog_id(b, "CatalogId", "");
    const std::string path = location_from_arn(required_str(b, "ResourceArn", ""), "ResourceArn");
    std::vector<Grant> grants;
    catalog::PageRequest dbs_page{"", 1000};
    for (;;) {
      auto dbs = s_.list_databases(caller_, dbs_page);
      for (const catalog::Database& db : dbs.items) {
        if (located_under(db.location_uri, path)) {
          catalog::GrantQuery q;
          q.kind = ResourceKind::Database;
          q.database = db.name;
          for (auto& g : all_grants(q)) grants.push_back(std::move(g));
        }
        catalog::PageRequest tables_page{"", 1000};
        for (;;) {
          auto tables = s_.list_tables(caller_, db.name, tables_page);
          for (const catalog::Table& t : tables.items) {
            if (!located_under(t.storage_descriptor.location, path)) continue;
            catalog::GrantQuery q;
            q.database = db.name;
            q.table = t.name;
            for (auto& g : all_grants(q)) grants.push_back(std::move(g));
          }
          if (tables.next_token.empty()) break;
          tables_page.token = tables.next_token;
        }
      }
      if (dbs.next_token.empty()) break;
      dbs_page.token = dbs.next_token;
    }
    const Slice sl = slice(b, grants.size());
    json items = json::array();
    for (std::size_t i = sl.begin; i < sl.end; ++i) items.push_back(permissions_entry(grants[i]));
    json out = {{"Permissions", std::move(items)}};
    if (!sl.next_token.empty()) out["NextToken"] = sl.next_token;
    return out;
  }

  // --- LF-Tags ---

  json tag_pair(const std::string& key, const std::vector<std::string>& values) const {
    return json{{"CatalogId", catalog_id_}, {"TagKey", key}, {"TagValues", values}};
  }

  json create_lf_tag(const json& b) {
    structure(b, "", {"CatalogId", "TagKey", "TagValues"});
    check_catalog_id(b, "CatalogId", "");
    catalog::TagKey tag;
    tag.key = required_str(b, "TagKey", "");
    tag.values = str_list(required(b, "TagValues", ""), "TagValues");
    fields_ = {{"key", "TagKey"}, {"values", "TagValues"}};
    s_.create_tag_key(caller_, std::move(tag));
    return json::object();
  }

  json get_lf_tag(const json& b) {
    structure(b, "", {"CatalogId", "TagKey"});
    check_catalog_id(b, "CatalogId", "");
    const catalog::TagKey tag = s_.get_tag_key(caller_, required_str(b, "TagKey", ""));
    return tag_pair(tag.key, tag.values);
  }

  json update_lf_tag(const json& b) {
    structure(b, "", {"CatalogId", "TagKey", "TagValuesToDelete", "TagValuesToAdd"});
    check_catalog_id(b, "CatalogId", "");
    const std::string key = required_str(b, "TagKey", "");
    const auto add = opt_str_list(b, "TagValuesToAdd", "");
    const auto remove = opt_str_list(b, "TagValuesToDelete", "");
    if (add.empty() && remove.empty())
      throw_invalid("TagValuesToAdd", "TagValuesToAdd or TagValuesToDelete is required");
    fields_ = {{"key", "TagKey"},
               {"add", "TagValuesToAdd"},
               {"remove", "TagValuesToDelete"},
               {"values", "TagValues"}};
    s_.update_tag_key(caller_, key, add, remove);
    return json::object();
  }

  json delete_lf_tag(const json& b) {
    structure(b, "", {"CatalogId", "TagKey"});
    check_catalog_id(b, "CatalogId", "");
    s_.delete_tag_key(caller_, required_str(b, "TagKey", ""));
    return json::object();
  }

  json list_lf_tags(const json& b) {
    structure(b, "", {"CatalogId", "ResourceShareType", "MaxResults", "NextToken"});
    check_catalog_id(b, "CatalogId", "");
    std::vector<catalog::TagKey> tags = s_.list_tag_keys(caller_);
    if (const auto share = opt_str(b, "ResourceShareType", "")) {
      if (*share == "FOREIGN") {
        tags.clear();  // no catalog shares LF-Tags with this one
      } else if (*share != "ALL") {
        throw_invalid("ResourceShareType",
                      "must be FOREIGN or ALL, got " + catalog::quote_for_message(*share));
      }
    }
    const Slice sl = slice(b, tags.size());
    json items = json::array();
    for (std::size_t i = sl.begin; i < sl.end; ++i) items.push_back(tag_pair(tags[i].key, tags[i].values));
    json out = {{"LFTags", std::move(items)}};
    if (!sl.next_token.empty()) out["NextToken"] = sl.next_token;
    return out;
  }

  /// Where tags are assigned: a Database, a Table, or the ColumnNames of a TableWithColumns.
  std::vector<TagTarget> tag_targets(const json& r, const std::string& path) const {
    Grant g;
    resource_in(r, path, g);
    switch (g.kind) {
      case ResourceKind::Database:
        return {TagTarget{g.database, {}, {}, {}, {}}};
      case ResourceKind::Table:
        return {TagTarget{g.database, g.table, {}, {}, {}}};
      case ResourceKind::TableWithColumns: {
        if (g.column_wildcard) {
          throw_invalid(path + ".TableWithColumns.ColumnWildcard",
                        "LF-Tags are assigned to named columns: give ColumnNames");
        }
        std::vector<TagTarget> out;
        for (const auto& c : g.columns) out.push_back(TagTarget{g.database, g.table, c, {}, {}});
        return out;
      }
      case ResourceKind::TableWildcard:
        throw_invalid(path + ".Table.TableWildcard",
                      "LF-Tags are assigned to one table at a time: give Name");
      default:
        throw_invalid(path + "." + lf_member(g.kind),
                      std::string("LF-Tags are assigned to a Database, a Table or the ColumnNames of a "
                                  "TableWithColumns, not to a ") +
                          lf_member(g.kind));
    }
  }

  struct TagRequest {
    std::string key;
    std::vector<std::string> values;
    json echo;  ///< the LFTagPair as given, for Failures
  };

  std::vector<TagRequest> lf_tags_in(const json& b, bool one_value) const {
    const json& list = required(b, "LFTags", "");
    if (!list.is_array() || list.empty())
      throw_invalid("LFTags", "must be a non-empty list of {TagKey, TagValues}");
    std::vector<TagRequest> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = item("LFTags", i);
      structure(list[i], p, {"CatalogId", "TagKey", "TagValues"});
      check_catalog_id(list[i], "CatalogId", p);
      TagRequest t;
      t.key = required_str(list[i], "TagKey", p);
      t.values = str_list(required(list[i], "TagValues", p), member(p, "TagValues"));
      if (t.values.empty()) throw_invalid(member(p, "TagValues"), "must not be empty");
      if (one_value && t.values.size() != 1) {
        throw_invalid(member(p, "TagValues"),
                      "a resource has one value per LF-Tag key: give exactly one value");
      }
      t.echo = tag_pair(t.key, t.values);
      out.push_back(std::move(t));
    }
    return out;
  }

  /// The table (visible columns only) or database behind the targets: NotFound when the caller cannot see it
  /// or a named column is not among the columns it may see.
  void require_targets_visible(const std::vector<TagTarget>& targets) {
    const TagTarget& first = targets.front();
    if (first.table.empty()) {
      s_.get_database(caller_, first.database);
      return;
    }
    const catalog::Table t = s_.get_table(caller_, first.database, first.table);
    for (const TagTarget& target : targets) {
      if (target.column.empty()) continue;
      const std::string column = lower(target.column);
      const auto has = [&](const std::vector<catalog::Column>& cols) {
        return std::any_of(cols.begin(), cols.end(),
                           [&](const catalog::Column& c) { return c.name == column; });
      };
      if (!has(t.storage_descriptor.columns) && !has(t.partition_keys)) {
        throw Error(ErrorCode::NotFound,
                    "column " + catalog::quote_for_message(target.column) + " of table '" + t.database_name +
                        "." + t.name + "' not found",
                    "Resource.TableWithColumns.ColumnNames");
      }
    }
  }

  json failure(const json& tag, const std::string& code, const std::string& message) const {
    return json{{"LFTag", tag}, {"Error", {{"ErrorCode", code}, {"ErrorMessage", message}}}};
  }

  json add_lf_tags_to_resource(const json& b) {
    structure(b, "", {"CatalogId", "Resource", "LFTags"});
    check_catalog_id(b, "CatalogId", "");
    const std::vector<TagTarget> targets = tag_targets(required(b, "Resource", ""), "Resource");
    const std::vector<TagRequest> tags = lf_tags_in(b, true);
    require_targets_visible(targets);
    // Tags that cannot be assigned anywhere are reported in Failures (as Lake Formation does); the others are
    // assigned in one call per target.
    json failures = json::array();
    std::map<std::string, std::string> assignment;
    for (const TagRequest& t : tags) {
      std::optional<catalog::TagKey> key;
      try {
        key = s_.get_tag_key(caller_, t.key);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::NotFound) throw;
        failures.push_back(failure(t.echo, "EntityNotFoundException", e.what()));
        continue;
      }
      const std::string value = lower(t.values.front());
      if (!std::binary_search(key->values.begin(), key->values.end(), value)) {
        failures.push_back(failure(t.echo, "InvalidInputException",
                                   "value " + catalog::quote_for_message(value) +
                                       " is not allowed for LF-Tag '" + key->key +
                                       "' (allowed: " + join(key->values) + ")"));
        continue;
      }
      if (assignment.contains(key->key)) {
        failures.push_back(
            failure(t.echo, "InvalidInputException",
                    "LF-Tag '" + key->key + "' is given twice; a resource has one value per key"));
        continue;
      }
      assignment.emplace(key->key, value);
    }
    if (!assignment.empty()) {
      fields_ = {{"tags", "LFTags"}};
      for (const TagTarget& target : targets) s_.assign_tags(caller_, target, assignment);
    }
    return json{{"Failures", std::move(failures)}};
  }

  json remove_lf_tags_from_resource(const json& b) {
    structure(b, "", {"CatalogId", "Resource", "LFTags"});
    check_catalog_id(b, "CatalogId", "");
    const std::vector<TagTarget> targets = tag_targets(required(b, "Resource", ""), "Resource");
    const std::vector<TagRequest> tags = lf_tags_in(b, false);
    require_targets_visible(targets);
    json failures = json::array();
    std::set<std::size_t> failed;
    for (const TagTarget& target : targets) {
      const std::string level = !target.column.empty()  ? "column"
                                : !target.table.empty() ? "table"
                                                        : "database";
      const std::string what = level == "column"
                                   ? "column " + target.database + "." + target.table + "." + target.column
                               : level == "table" ? "table " + target.database + "." + target.table
                                                  : "database " + target.database;
      const std::vector<authz::EffectiveTag> current = s_.get_tags(caller_, target);
      for (std::size_t i = 0; i < tags.size(); ++i) {
        if (failed.contains(i)) continue;
        const std::string key = lower(tags[i].key);
        const auto found = std::find_if(current.begin(), current.end(),
                                        [&](const authz::EffectiveTag& t) { return t.key == key; });
        std::string problem;
        std::string code = "EntityNotFoundException";
        if (found == current.end()) {
          problem = "LF-Tag '" + key + "' is not assigned to " + what;
        } else if (found->inherited) {
          problem = "LF-Tag '" + key + "' of " + what + " is inherited from its " + found->source +
                    "; remove it where it is assigned";
        } else {
          std::vector<std::string> values;
          for (const auto& v : tags[i].values) values.push_back(lower(v));
          if (std::find(values.begin(), values.end(), found->value) == values.end()) {
            problem = what + " has " + key + "=" + found->value + ", not " + join(values);
            code = "InvalidInputException";
          }
        }
        if (!problem.empty()) {
          failed.insert(i);
          failures.push_back(failure(tags[i].echo, code, problem));
          continue;
        }
        s_.unassign_tag(caller_, target, key);
      }
    }
    return json{{"Failures", std::move(failures)}};
  }

  json get_resource_lf_tags(const json& b) {
    structure(b, "", {"CatalogId", "Resource", "ShowAssignedLFTags"});
    check_catalog_id(b, "CatalogId", "");
    const bool assigned_only = opt_bool(b, "ShowAssignedLFTags", "").value_or(false);
    Grant g;
    resource_in(required(b, "Resource", ""), "Resource", g);
    const auto pairs = [&](const std::vector<authz::EffectiveTag>& tags) {
      json out = json::array();
      for (const auto& t : tags) {
        if (!assigned_only || !t.inherited) out.push_back(tag_pair(t.key, {t.value}));
      }
      return out;
    };
    json out = json::object();
    switch (g.kind) {
      case ResourceKind::Database:
        out["LFTagOnDatabase"] = pairs(s_.get_tags(caller_, TagTarget{g.database, {}, {}, {}, {}}));
        return out;
      case ResourceKind::Table:
      case ResourceKind::TableWithColumns: {
        // get_table returns only the columns the caller may see; column tags are read for those only.
        const catalog::Table t = s_.get_table(caller_, g.database, g.table);
        std::vector<std::string> columns;
        for (const auto* list : {&t.storage_descriptor.columns, &t.partition_keys}) {
          for (const auto& c : *list) columns.push_back(c.name);
        }
        if (g.kind == ResourceKind::Table) {
          out["LFTagOnDatabase"] = pairs(s_.get_tags(caller_, TagTarget{t.database_name, {}, {}, {}, {}}));
          out["LFTagsOnTable"] = pairs(s_.get_tags(caller_, TagTarget{t.database_name, t.name, {}, {}, {}}));
        } else if (g.column_wildcard) {
          std::set<std::string> excluded;
          for (const auto& c : g.excluded_columns) excluded.insert(lower(c));
          std::erase_if(columns, [&](const std::string& c) { return excluded.contains(c); });
        } else {
          std::vector<std::string> named;
          for (const auto& c : g.columns) {
            const std::string name = lower(c);
            if (std::find(columns.begin(), columns.end(), name) == columns.end()) {
              throw Error(ErrorCode::NotFound,
                          "column " + catalog::quote_for_message(c) + " of table '" + t.database_name + "." +
                              t.name + "' not found",
                          "Resource.TableWithColumns.ColumnNames");
            }
            named.push_back(name);
          }
          columns = std::move(named);
        }
        const auto snapshot = s_.engine().snapshot();
        json column_tags = json::array();
        for (const auto& c : columns) {
          column_tags.push_back(
              {{"Name", c}, {"LFTags", pairs(snapshot->effective_tags(t.database_name, t.name, c))}});
        }
        out["LFTagsOnColumns"] = std::move(column_tags);
        return out;
      }
      case ResourceKind::TableWildcard:
        throw_invalid("Resource.Table.TableWildcard", "LF-Tags are read for one table at a time: give Name");
      default:
        throw_invalid(
            std::string("Resource.") + lf_member(g.kind),
            std::string("LF-Tags are read from a Database, a Table or a TableWithColumns, not from a ") +
                lf_member(g.kind));
    }
  }

  // --- data cells filters ---

  catalog::DataCellsFilter filter_in(const json& v, const std::string& path,
                                     std::optional<std::int64_t>* version) const {
    structure(v, path,
              {"TableCatalogId", "DatabaseName", "TableName", "Name", "RowFilter", "ColumnNames",
               "ColumnWildcard", "VersionId"});
    check_catalog_id(v, "TableCatalogId", path);
    catalog::DataCellsFilter f;
    f.database = required_str(v, "DatabaseName", path);
    f.table = required_str(v, "TableName", path);
    f.name = required_str(v, "Name", path);
    const std::string rp = member(path, "RowFilter");
    const json& row = required(v, "RowFilter", path);
    structure(row, rp, {"FilterExpression", "AllRowsWildcard"});
    const auto expression = opt_str(row, "FilterExpression", rp);
    const bool all_rows = opt_marker(row, "AllRowsWildcard", rp);
    if (all_rows && expression && !expression->empty())
      throw_invalid(rp, "give FilterExpression or AllRowsWildcard, not both");
    if (!all_rows && !expression) throw_invalid(rp, "FilterExpression or AllRowsWildcard is required");
    f.all_rows = all_rows;
    if (!all_rows) f.row_filter = *expression;
    f.columns = opt_str_list(v, "ColumnNames", path);
    if (const json* w = opt(v, "ColumnWildcard")) {
      const std::string wp = member(path, "ColumnWildcard");
      structure(*w, wp, {"ExcludedColumnNames"});
      if (!f.columns.empty()) throw_invalid(path, "give ColumnNames or ColumnWildcard, not both");
      f.column_wildcard = true;
      f.excluded_columns = opt_str_list(*w, "ExcludedColumnNames", wp);
    } else if (f.columns.empty()) {
      throw_invalid(path, "ColumnNames (non-empty) or ColumnWildcard is required");
    }
    if (const auto text = opt_str(v, "VersionId", path); text && version != nullptr) {
      const bool digits =
          !text->empty() && text->size() <= 18 && text->find_first_not_of("0123456789") == std::string::npos;
      if (!digits)
        throw_invalid(member(path, "VersionId"), "is not a version id of this filter (a decimal number)");
      *version = std::stoll(*text);
    }
    return f;
  }

  json filter_out(const catalog::DataCellsFilter& f) const {
    json out = {{"TableCatalogId", catalog_id_},
                {"DatabaseName", f.database},
                {"TableName", f.table},
                {"Name", f.name},
                {"VersionId", std::to_string(f.version_id)}};
    out["RowFilter"] =
        f.all_rows ? json{{"AllRowsWildcard", json::object()}} : json{{"FilterExpression", f.row_filter}};
    if (f.column_wildcard) {
      out["ColumnWildcard"] = json{{"ExcludedColumnNames", f.excluded_columns}};
    } else {
      out["ColumnNames"] = f.columns;
    }
    return out;
  }

  struct FilterName {
    std::string database, table, name;
  };

  FilterName filter_name_in(const json& b) const {
    structure(b, "", {"TableCatalogId", "DatabaseName", "TableName", "Name"});
    check_catalog_id(b, "TableCatalogId", "");
    return {required_str(b, "DatabaseName", ""), required_str(b, "TableName", ""),
            required_str(b, "Name", "")};
  }

  json create_data_cells_filter(const json& b) {
    structure(b, "", {"TableData"});
    catalog::DataCellsFilter f = filter_in(required(b, "TableData", ""), "TableData", nullptr);
    fields_ = filter_fields("TableData");
    s_.create_filter(caller_, std::move(f));
    return json::object();
  }

  json update_data_cells_filter(const json& b) {
    structure(b, "", {"TableData"});
    std::optional<std::int64_t> version;
    catalog::DataCellsFilter f = filter_in(required(b, "TableData", ""), "TableData", &version);
    fields_ = filter_fields("TableData");
    // Lake Formation's shape has no column masks: the filter keeps those of its columns that stay selected,
    // so an update through this API never unmasks a column by omission.
    const catalog::DataCellsFilter current = s_.get_filter(caller_, f.database, f.table, f.name);
    std::set<std::string> selected, excluded;
    for (const auto& c : f.columns) selected.insert(lower(c));
    for (const auto& c : f.excluded_columns) excluded.insert(lower(c));
    for (const auto& [column, mask] : current.column_masks) {
      const bool kept = f.column_wildcard ? !excluded.contains(column) : selected.contains(column);
      if (kept) f.column_masks.emplace(column, mask);
    }
    s_.update_filter(caller_, std::move(f), version);
    return json::object();
  }

  json get_data_cells_filter(const json& b) {
    const FilterName n = filter_name_in(b);
    fields_ = filter_fields("");
    return json{{"DataCellsFilter", filter_out(s_.get_filter(caller_, n.database, n.table, n.name))}};
  }

  json delete_data_cells_filter(const json& b) {
    const FilterName n = filter_name_in(b);
    fields_ = filter_fields("");
    s_.delete_filter(caller_, n.database, n.table, n.name);
    return json::object();
  }

  json list_data_cells_filter(const json& b) {
    structure(b, "", {"Table", "NextToken", "MaxResults"});
    std::string database, table;
    if (const json* t = opt(b, "Table")) {
      structure(*t, "Table", {"CatalogId", "DatabaseName", "Name", "TableWildcard"});
      check_catalog_id(*t, "CatalogId", "Table");
      database = required_str(*t, "DatabaseName", "Table");
      const auto name = opt_str(*t, "Name", "Table");
      const bool wildcard = opt_marker(*t, "TableWildcard", "Table");
      if (name && wildcard) throw_invalid("Table", "give Name or TableWildcard, not both");
      if (name) table = *name;
    }
    fields_ = {{"database", "Table.DatabaseName"}, {"table", "Table.Name"}, {"next_token", "NextToken"}};
    const catalog::PageRequest page{opt_str(b, "NextToken", "").value_or(""), max_results(b)};
    const auto got = s_.list_filters(caller_, database, table, page);
    json items = json::array();
    for (const auto& f : got.items) items.push_back(filter_out(f));
    json out = {{"DataCellsFilters", std::move(items)}};
    if (!got.next_token.empty()) out["NextToken"] = got.next_token;
    return out;
  }

  // --- data locations ---

  json resource_info(const catalog::DataLocation& l) const {
    json out = {{"ResourceArn", arn_from_location(l.uri)},
                {"LastModified", epoch_seconds(l.create_time)},
                {"WithFederation", false},
                {"HybridAccessEnabled", false}};
    if (!l.role_arn.empty()) out["RoleArn"] = l.role_arn;
    return out;
  }

  json register_resource(const json& b) {
    structure(b, "",
              {"ResourceArn", "UseServiceLinkedRole", "RoleArn", "WithFederation", "HybridAccessEnabled",
               "WithPrivilegedAccess", "ExpectedResourceOwnerAccount"});
    catalog::DataLocation location;
    location.uri = location_from_arn(required_str(b, "ResourceArn", ""), "ResourceArn");
    location.role_arn = opt_str(b, "RoleArn", "").value_or("");
    opt_bool(b, "UseServiceLinkedRole", "");  // Cairn reads no data: no role is needed either way
    opt_bool(b, "WithPrivilegedAccess", "");  // registering needs an administrator, who has every permission
    if (opt_bool(b, "WithFederation", "").value_or(false)) {
      throw_invalid("WithFederation", "federated resources are not supported by Cairn");
    }
    if (opt_bool(b, "HybridAccessEnabled", "").value_or(false)) {
      throw_invalid(
          "HybridAccessEnabled",
          "hybrid access mode is not supported by Cairn: access to tables at a registered location is "
          "always decided by Cairn's grants");
    }
    if (const auto owner = opt_str(b, "ExpectedResourceOwnerAccount", ""); owner && *owner != catalog_id_) {
      throw_invalid("ExpectedResourceOwnerAccount", "must be this server's catalog id " + catalog_id_ +
                                                        ", got " + catalog::quote_for_message(*owner));
    }
    fields_ = {{"uri", "ResourceArn"}, {"role_arn", "RoleArn"}};
    s_.register_location(caller_, std::move(location));
    return json::object();
  }

  json deregister_resource(const json& b) {
    structure(b, "", {"ResourceArn"});
    const std::string uri = location_from_arn(required_str(b, "ResourceArn", ""), "ResourceArn");
    fields_ = {{"uri", "ResourceArn"}};
    s_.deregister_location(caller_, uri);
    return json::object();
  }

  json describe_resource(const json& b) {
    structure(b, "", {"ResourceArn"});
    const std::string arn = required_str(b, "ResourceArn", "");
    const std::string uri = location_from_arn(arn, "ResourceArn");
    for (const auto& l : s_.list_locations(caller_)) {
      if (l.uri == uri) return json{{"ResourceInfo", resource_info(l)}};
    }
    throw Error(ErrorCode::NotFound, "resource " + catalog::quote_for_message(arn) + " is not registered");
  }

  json list_resources(const json& b) {
    structure(b, "", {"FilterConditionList", "MaxResults", "NextToken"});
    std::vector<catalog::DataLocation> locations = s_.list_locations(caller_);
    if (const json* conditions = opt(b, "FilterConditionList")) {
      if (!conditions->is_array())
        throw_invalid("FilterConditionList", "must be a list of filter conditions");
      for (std::size_t i = 0; i < conditions->size(); ++i) {
        const std::string p = item("FilterConditionList", i);
        const json& c = (*conditions)[i];
        structure(c, p, {"Field", "ComparisonOperator", "StringValueList"});
        const std::string field = required_str(c, "Field", p);
        const std::string op = required_str(c, "ComparisonOperator", p);
        const std::vector<std::string> values = opt_str_list(c, "StringValueList", p);
        if (field != "RESOURCE_ARN" && field != "ROLE_ARN") {
          throw_invalid(member(p, "Field"),
                        "Cairn filters registered resources on RESOURCE_ARN and ROLE_ARN, not " +
                            catalog::quote_for_message(field));
        }
        static const std::set<std::string> kOperators = {"EQ",           "NE",          "CONTAINS",
                                                         "NOT_CONTAINS", "BEGINS_WITH", "IN"};
        if (!kOperators.contains(op)) {
          throw_invalid(member(p, "ComparisonOperator"),
                        "Cairn supports EQ, NE, CONTAINS, NOT_CONTAINS, BEGINS_WITH and IN on " + field +
                            ", not " + catalog::quote_for_message(op));
        }
        if (values.empty() || (op != "IN" && values.size() != 1)) {
          throw_invalid(member(p, "StringValueList"),
                        op == "IN" ? "needs at least one value" : "needs exactly one value");
        }
        std::erase_if(locations, [&](const catalog::DataLocation& l) {
          const std::string subject = field == "RESOURCE_ARN" ? arn_from_location(l.uri) : l.role_arn;
          const std::string& v = values.front();
          bool keep = false;
          if (op == "EQ") keep = subject == v;
          if (op == "NE") keep = subject != v;
          if (op == "CONTAINS") keep = subject.find(v) != std::string::npos;
          if (op == "NOT_CONTAINS") keep = subject.find(v) == std::string::npos;
          if (op == "BEGINS_WITH") keep = subject.rfind(v, 0) == 0;
          if (op == "IN") keep = std::find(values.begin(), values.end(), subject) != values.end();
          return !keep;
        });
      }
    }
    const Slice sl = slice(b, locations.size());
    json items = json::array();
    for (std::size_t i = sl.begin; i < sl.end; ++i) items.push_back(resource_info(locations[i]));
    json out = {{"ResourceInfoList", std::move(items)}};
    if (!sl.next_token.empty()) out["NextToken"] = sl.next_token;
    return out;
  }

  // --- settings ---

  std::string admin_arn() const {
    return principal_display("user:" + std::string(authz::kAdminUser), catalog_id_);
  }

  json get_data_lake_settings(const json& b) {
    structure(b, "", {"CatalogId"});
    check_catalog_id(b, "CatalogId", "");
    return json{{"DataLakeSettings",
                 {{"DataLakeAdmins", json::array({json{{"DataLakePrincipalIdentifier", admin_arn()}}})},
                  {"ReadOnlyAdmins", json::array()},
                  {"CreateDatabaseDefaultPermissions", json::array()},
                  {"CreateTableDefaultPermissions", json::array()},
                  {"Parameters", json::object()},
                  {"TrustedResourceOwners", json::array()},
                  {"AllowExternalDataFiltering", false},
                  {"AllowFullTableExternalDataAccess", false},
                  {"ExternalDataFilteringAllowList", json::array()},
                  {"AuthorizedSessionTagValueList", json::array()}}}};
  }

  /// Accepted only when it asks for the settings Cairn has (a get-modify-put that changes nothing).
  json put_data_lake_settings(const json& b) {
    structure(b, "", {"CatalogId", "DataLakeSettings"});
    check_catalog_id(b, "CatalogId", "");
    if (!caller_.is_admin) {
      throw Error(ErrorCode::AccessDenied, caller_.arn + " is not a data lake administrator");
    }
    const std::string p = "DataLakeSettings";
    const json& s = required(b, p, "");
    structure(s, p,
              {"DataLakeAdmins", "ReadOnlyAdmins", "CreateDatabaseDefaultPermissions",
               "CreateTableDefaultPermissions", "Parameters", "TrustedResourceOwners",
               "AllowExternalDataFiltering", "AllowFullTableExternalDataAccess",
               "ExternalDataFilteringAllowList", "AuthorizedSessionTagValueList"});
    if (const json* admins = opt(s, "DataLakeAdmins")) {
      const std::string ap = member(p, "DataLakeAdmins");
      if (!admins->is_array()) throw_invalid(ap, "must be a list of principals");
      std::set<std::string> ids;
      for (std::size_t i = 0; i < admins->size(); ++i) ids.insert(principal_in((*admins)[i], item(ap, i)));
      if (ids != std::set<std::string>{"user:" + std::string(authz::kAdminUser)}) {
        throw_invalid(ap, "data lake administrators are managed by cairnd bootstrap: the administrator is " +
                              admin_arn() + " and cannot be changed through the Lake Formation API");
      }
    }
    for (const char* key :
         {"ReadOnlyAdmins", "CreateDatabaseDefaultPermissions", "CreateTableDefaultPermissions",
          "TrustedResourceOwners", "ExternalDataFilteringAllowList", "AuthorizedSessionTagValueList"}) {
      const json* v = opt(s, key);
      if (v != nullptr && !(v->is_array() && v->empty())) {
        throw_invalid(member(p, key),
                      std::string("is not supported by Cairn (it must be empty): ") +
                          (std::string(key).find("Default") != std::string::npos
                               ? "new databases and tables get no default grants; grant explicitly"
                               : "Cairn has one administrator and no external engines or sharing"));
      }
    }
    if (const json* v = opt(s, "Parameters"); v != nullptr && !(v->is_object() && v->empty())) {
      throw_invalid(member(p, "Parameters"), "is not supported by Cairn (it must be empty)");
    }
    for (const char* key : {"AllowExternalDataFiltering", "AllowFullTableExternalDataAccess"}) {
      if (opt_bool(s, key, p).value_or(false)) {
        throw_invalid(member(p, key),
                      "is not supported by Cairn (it must be false): engines resolve access through "
                      "GET /v1/databases/{db}/tables/{t}/access");
      }
    }
    return json::object();
  }

  json get_data_lake_principal(const json& b) {
    structure(b, "", {});
    return json{{"Identity", caller_.arn}};
  }

  CatalogService& s_;
  const Caller& caller_;
  FieldMap& fields_;
  std::string catalog_id_;
};

}  // namespace

bool is_lakeformation_operation(std::string_view path) {
  if (path.size() < 2 || path.front() != '/') return false;
  return std::binary_search(kModelOperations.begin(), kModelOperations.end(), path.substr(1));
}

HttpResponse handle_lakeformation(CatalogService& service, const authz::Authenticator& authenticator,
                                  const HttpRequest& req) {
  const std::string op = req.path.substr(1);
  FieldMap fields;
  return serve(
      "lakeformation", op, authenticator, req,
      [&](const Caller& caller, const json& body) {
        LakeFormation lf(service, caller, fields);
        return lf.call(op, body);
      },
      [&](const Error& e) { return lf_error(e, fields); });
}

}  // namespace cairn::api
