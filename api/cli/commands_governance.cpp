#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/api/policy_json.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/model_json.h"
#include "cairn/catalog/policy.h"
#include "context.h"
#include "output.h"
#include "specs.h"

// Governance commands for data stewards: grant, revoke, permissions, tag, filter, location, access, audit.
// Routes and JSON shapes: docs/dev/governance-routes.md (documented for users in docs/api/openapi.yaml).

namespace cairn::api::cli {
namespace {

using nlohmann::json;

// ---- flag parsing helpers ------------------------------------------------------------------------------

std::string trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

/// "a, b,c" as trimmed non-empty items; throws UserError naming `flag` for an empty item.
std::vector<std::string> comma_list(const std::string& text, const std::string& flag) {
  std::vector<std::string> out;
  for (const std::string& item : split_commas(text)) {
    std::string name = trim(item);
    if (name.empty()) {
      throw UserError(flag + " '" + text +
                      "': empty item in the list (expected a comma-separated list like a,b)");
    }
    out.push_back(std::move(name));
  }
  return out;
}

/// Runs `fn`, turning the cairn::Error of a local check into a UserError that names `flag`.
template <class Fn>
auto checked(const std::string& flag, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    const std::string message = e.what();
    throw UserError(message.find(flag) == std::string::npos ? flag + ": " + message : message);
  }
}

/// Permission names of a comma list, canonical and in the given order.
json permission_list(const std::string& text, const std::string& flag) {
  json out = json::array();
  for (const std::string& name : comma_list(text, flag)) {
    out.push_back(
        checked(flag, [&] { return catalog::permission_name(catalog::parse_permission(name, flag)); }));
  }
  return out;
}

/// Milliseconds of "30s", "30m", "12h", "7d", "2w"; nullopt when `text` is not such a duration.
std::optional<std::int64_t> duration_millis(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1000;
      break;
    case 'm':
      unit = 60 * 1000;
      break;
    case 'h':
      unit = 3600 * 1000;
      break;
    case 'd':
      unit = 86400 * 1000;
      break;
    case 'w':
      unit = 7 * 86400 * 1000;
      break;
    default:
      return std::nullopt;
  }
  std::int64_t n = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    n = n * 10 + (text[i] - '0');
    if (n > 1000000) return std::nullopt;
  }
  return n * unit;
}

/// An RFC 3339 time or a duration (7d, 12h, 30m) counted from now into the future (`direction` 1) or the
/// past (-1), as the server's RFC 3339 text.
std::string time_flag(const std::string& text, const std::string& flag, int direction) {
  if (const auto d = duration_millis(text))
    return catalog::format_timestamp(catalog::now_millis() + direction * *d);
  try {
    return catalog::format_timestamp(parse_timestamp(text, flag));
  } catch (const Error& e) {
    throw UserError(std::string(e.what()) + "; or give a duration such as 7d, 12h or 30m");
  }
}

/// column -> mask spec from repeated "--mask col=spec".
json mask_map(const std::vector<std::string>& specs, const std::string& flag) {
  json out = json::object();
  for (const std::string& spec : specs) {
    auto [column, mask] = parse_key_value(spec, flag);
    column = trim(column);
    mask = trim(mask);
    if (mask.empty()) {
      throw UserError(flag + " '" + spec +
                      "': the mask is empty (expected col=hash_sha256|redact|null|show_last(N)|year_only)");
    }
    if (out.contains(column)) throw UserError(flag + ": column '" + column + "' is masked twice");
    out[column] = mask;
  }
  return out;
}

/// "DB.TABLE.FILTER" (filter names may contain dots; database and table names cannot).
using FilterRef = TableItemRef;

FilterRef parse_filter_ref(const std::string& text) {
  return parse_table_item_ref(text, "FILTER");
}

/// "k=v1,v2;k2=v3" as a tag expression [{"key","values"}].
json parse_tag_expression(const std::string& text) {
  json out = json::array();
  std::vector<std::string> seen;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto semi = text.find(';', start);
    const std::string part =
        trim(text.substr(start, semi == std::string::npos ? std::string::npos : semi - start));
    start = semi == std::string::npos ? text.size() + 1 : semi + 1;
    if (part.empty()) {
      throw UserError("--tag-expression '" + text + "': empty condition (expected KEY=V1,V2;KEY2=V3)");
    }
    const auto eq = part.find('=');
    const std::string key = trim(part.substr(0, eq == std::string::npos ? 0 : eq));
    if (eq == std::string::npos || key.empty()) {
      throw UserError("--tag-expression '" + text + "': condition '" + part + "' is not KEY=V1,V2");
    }
    if (std::find(seen.begin(), seen.end(), to_lower(key)) != seen.end()) {
      throw UserError("--tag-expression '" + text + "': key '" + key +
                      "' appears twice (give its values once, comma-separated: they are ORed)");
    }
    seen.push_back(to_lower(key));
    out.push_back(
        {{"key", key}, {"values", comma_list(part.substr(eq + 1), "--tag-expression key '" + key + "'")}});
  }
  return out;
}

// ---- output helpers ------------------------------------------------------------------------------------

/// "arn:aws:iam::123456789012:user/alice" -> "user:alice"; anything else unchanged.
std::string short_principal(const std::string& principal) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (principal.rfind(kPrefix, 0) != 0) return principal;
  const auto colon = principal.find(':', kPrefix.size());
  const auto slash = colon == std::string::npos ? std::string::npos : principal.find('/', colon);
  if (slash == std::string::npos) return principal;
  return principal.substr(colon + 1, slash - colon - 1) + ":" + principal.substr(slash + 1);
}

std::string joined(const json& array, const std::string& separator = ", ") {
  std::string out;
  if (!array.is_array()) return out;
  for (const auto& item : array) {
    out += (out.empty() ? "" : separator) + (item.is_string() ? item.get<std::string>() : item.dump());
  }
  return out;
}

/// "k=v, k2=v2" for an object of strings (masks, tag assignments).
std::string pairs_text(const json& pairs) {
  std::string out;
  if (!pairs.is_object()) return out;
  for (const auto& [column, spec] : pairs.items()) {
    out +=
        (out.empty() ? "" : ", ") + column + "=" + (spec.is_string() ? spec.get<std::string>() : spec.dump());
  }
  return out;
}

std::string tag_expression_text(const json& expression) {
  std::string out;
  if (!expression.is_array()) return out;
  for (const auto& condition : expression) {
    out += (out.empty() ? "" : " AND ") + field(condition, "key") + "=" +
           joined(condition.value("values", json()), "|");
  }
  return out;
}

/// A Resource for people: "table hr.employees except columns phone_number, salary".
std::string describe_resource(const json& r) {
  const std::string kind = field(r, "kind");
  const std::string db = field(r, "database");
  const std::string table = db + "." + field(r, "table");
  if (kind == "CATALOG") return "catalog";
  if (kind == "DATABASE") return "database " + db;
  if (kind == "TABLE") return "table " + table;
  if (kind == "TABLE_WILDCARD") return "all tables in " + db;
  if (kind == "TABLE_WITH_COLUMNS") {
    if (r.value("column_wildcard", false)) {
      const std::string excluded = joined(r.value("excluded_columns", json::array()));
      return "table " + table + (excluded.empty() ? " (all columns)" : " except columns " + excluded);
    }
    return "table " + table + " columns " + joined(r.value("columns", json::array()));
  }
  if (kind == "DATA_LOCATION") return "location " + field(r, "location");
  if (kind == "DATA_CELLS_FILTER") return "filter " + table + "." + field(r, "filter");
  if (kind == "TAG_POLICY") {
    return to_lower(field(r, "tag_resource_type")) + "s tagged " +
           tag_expression_text(r.value("tag_expression", json()));
  }
  return r.dump();
}

std::string expires_text(const json& grant) {
  const std::string at = field(grant, "expires_at");
  if (at.empty()) return {};
  return grant.value("expired", false) ? at + " (expired)" : at;
}

void print_grant(Context& ctx, const json& g) {
  print_fields(ctx.out(), {{"Grant", field(g, "id")},
                           {"Principal", field(g, "principal")},
                           {"Resource", describe_resource(g.value("resource", json::object()))},
                           {"Permissions", joined(g.value("permissions", json()))},
                           {"Grantable", joined(g.value("grantable", json()))},
                           {"Masks", pairs_text(g.value("column_masks", json()))},
                           {"Expires", expires_text(g)},
                           {"Granted by", field(g, "granted_by")},
                           {"Updated", field(g, "update_time")}});
}

void print_grants(Context& ctx, const json& page) {
  TextTable table({"ID", "PRINCIPAL", "RESOURCE", "PERMISSIONS", "GRANTABLE", "MASKS", "EXPIRES"});
  for (const auto& g : array_of(page, "items")) {
    table.add_row({field(g, "id"), short_principal(field(g, "principal")),
                   describe_resource(g.value("resource", json::object())),
                   joined(g.value("permissions", json()), ","), joined(g.value("grantable", json()), ","),
                   pairs_text(g.value("column_masks", json())), expires_text(g)});
  }
  table.print(ctx.out());
}

/// Adds a hint to a 403 answer of a command only administrators (or holders of grant option) may run.
template <class Fn>
auto admin_only(const std::string& what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const ApiError& e) {
    if (e.status() != 403) throw;
    throw CliError(kExitUserError, "access denied: " + what + " — " + e.what());
  }
}

// ---- grant, revoke, permissions ----------------------------------------------------------------------

/// The resource flags of grant and revoke.
struct ResourceFlags {
  bool catalog = false;
  std::optional<std::string> database, table, all_tables, filter, location, tag_expression, tag_resource_type;
  std::optional<std::string> columns, exclude_columns;
};

void add_resource_flags(CLI::App* cmd, ResourceFlags& f) {
  cmd->add_flag("--catalog", f.catalog, "The catalog itself (CREATE_DATABASE, catalog-wide ALL)");
  cmd->add_option("--database", f.database, "A database");
  cmd->add_option("--table", f.table, "A table, DB.TABLE");
  cmd->add_option("--columns", f.columns, "With --table: only these columns (a,b)");
  cmd->add_option("--exclude-columns", f.exclude_columns, "With --table: every column except these (a,b)");
  cmd->add_option("--all-tables", f.all_tables, "Every table of database DB, present and future");
  cmd->add_option("--filter", f.filter, "A data cells filter, DB.TABLE.FILTER");
  cmd->add_option("--location", f.location, "A registered data location (s3://… or file://… prefix)");
  cmd->add_option("--tag-expression", f.tag_expression,
                  "Resources whose tags match 'k=v1,v2;k2=v3' (keys ANDed, values ORed)");
  cmd->add_option("--tag-resource-type", f.tag_resource_type,
                  "With --tag-expression: what the expression selects, database or table");
}

json resource_json(const ResourceFlags& f) {
  std::vector<std::string> given;
  if (f.catalog) given.push_back("--catalog");
  if (f.database) given.push_back("--database");
  if (f.table) given.push_back("--table");
  if (f.all_tables) given.push_back("--all-tables");
  if (f.filter) given.push_back("--filter");
  if (f.location) given.push_back("--location");
  if (f.tag_expression) given.push_back("--tag-expression");
  if (given.size() != 1) {
    std::string list;
    for (const auto& g : given) list += (list.empty() ? "" : ", ") + g;
    throw UserError(
        std::string(given.empty() ? "no resource given" : "more than one resource given (" + list + ")") +
        ": use exactly one of --catalog, --database DB, --table DB.TABLE [--columns a,b | "
        "--exclude-columns a,b], --all-tables DB, --filter DB.TABLE.FILTER, --location URI, "
        "--tag-expression 'k=v1,v2;k2=v3' --tag-resource-type database|table");
  }
  if ((f.columns || f.exclude_columns) && !f.table) {
    throw UserError(std::string(f.columns ? "--columns" : "--exclude-columns") + " needs --table DB.TABLE");
  }
  if (f.columns && f.exclude_columns) throw UserError("--columns and --exclude-columns exclude each other");
  if (f.tag_resource_type && !f.tag_expression) throw UserError("--tag-resource-type needs --tag-expression");

  if (f.catalog) return {{"kind", "CATALOG"}};
  if (f.database) return {{"kind", "DATABASE"}, {"database", *f.database}};
  if (f.all_tables) return {{"kind", "TABLE_WILDCARD"}, {"database", *f.all_tables}};
  if (f.location) return {{"kind", "DATA_LOCATION"}, {"location", *f.location}};
  if (f.filter) {
    const FilterRef ref = parse_filter_ref(*f.filter);
    return {{"kind", "DATA_CELLS_FILTER"},
            {"database", ref.database},
            {"table", ref.table},
            {"filter", ref.name}};
  }
  if (f.tag_expression) {
    if (!f.tag_resource_type) throw UserError("--tag-expression needs --tag-resource-type database|table");
    const std::string type = to_upper(*f.tag_resource_type);
    if (type != "DATABASE" && type != "TABLE") {
      throw UserError("--tag-resource-type '" + *f.tag_resource_type + "': expected database or table");
    }
    return {{"kind", "TAG_POLICY"},
            {"tag_resource_type", type},
            {"tag_expression", parse_tag_expression(*f.tag_expression)}};
  }
  const TableRef ref = parse_table_ref(*f.table);
  if (f.columns) {
    return {{"kind", "TABLE_WITH_COLUMNS"},
            {"database", ref.database},
            {"table", ref.table},
            {"columns", comma_list(*f.columns, "--columns")}};
  }
  if (f.exclude_columns) {
    return {{"kind", "TABLE_WITH_COLUMNS"},
            {"database", ref.database},
            {"table", ref.table},
            {"column_wildcard", true},
            {"excluded_columns", comma_list(*f.exclude_columns, "--exclude-columns")}};
  }
  return {{"kind", "TABLE"}, {"database", ref.database}, {"table", ref.table}};
}

struct GrantFlags {
  std::string principal, permissions;
  std::optional<std::string> grantable, expires;
  std::vector<std::string> masks;
  ResourceFlags resource;
};

json grant_request(const GrantFlags& f) {
  if (f.permissions.empty() && !f.grantable) {
    throw UserError("give --permissions (and/or --grantable to revoke only grant options)");
  }
  json body = {{"principal", f.principal},
               {"resource", resource_json(f.resource)},
               {"permissions",
                f.permissions.empty() ? json::array() : permission_list(f.permissions, "--permissions")}};
  if (f.grantable) body["grantable"] = permission_list(*f.grantable, "--grantable");
  if (!f.masks.empty()) body["column_masks"] = mask_map(f.masks, "--mask");
  if (f.expires) body["expires_at"] = time_flag(*f.expires, "--expires", 1);
  return body;
}

constexpr const char* kGrantExamples =
    "Principals: user:NAME, role:NAME, group:NAME, an ARN, or EVERYONE.\n"
    "Permissions: ALL, SELECT, DESCRIBE, ALTER, DROP, INSERT, DELETE, CREATE_DATABASE, CREATE_TABLE,\n"
    "DATA_LOCATION_ACCESS. Masks: hash_sha256, redact, null, show_last(N), year_only.\n"
    "Examples:\n"
    "  cairn grant --principal user:analyst --table hr.employees --exclude-columns salary,phone_number \\\n"
    "      --permissions SELECT\n"
    "  cairn grant --principal group:emea-analysts --filter crm.customers.de_only --permissions SELECT\n"
    "  cairn grant --principal role:etl --all-tables sales --permissions SELECT,INSERT --expires 7d\n"
    "  cairn grant --principal user:bob --table crm.customers --permissions SELECT --mask email=hash_sha256\n"
    "  cairn grant --principal group:analysts --tag-expression 'sensitivity=low' --tag-resource-type table "
    "\\\n"
    "      --permissions SELECT,DESCRIBE\n"
    "  cairn grant --principal user:steward --database hr --permissions ALL --grantable ALL";

void add_grant_commands(CLI::App& app, CommandRegistry& registry) {
  for (const bool grant : {true, false}) {
    auto o = std::make_shared<GrantFlags>();
    auto* cmd =
        app.add_subcommand(grant ? "grant" : "revoke",
                           grant ? "Grant permissions on a resource to a principal"
                                 : "Revoke permissions (or only their grant option) from a principal");
    cmd->add_option("--principal", o->principal, "Who: user:NAME, role:NAME, group:NAME, an ARN or EVERYONE")
        ->required();
    auto* permissions =
        cmd->add_option("--permissions", o->permissions,
                        grant ? "Comma-separated permissions, e.g. SELECT,DESCRIBE"
                              : "Permissions to revoke (with their grant option), e.g. SELECT,DESCRIBE");
    if (grant) permissions->required();
    cmd->add_option("--grantable", o->grantable,
                    grant ? "Permissions the principal may grant on (a subset of --permissions)"
                          : "Grant options to revoke (revoking a permission also revokes its grant option)");
    cmd->add_option("--mask", o->masks,
                    grant ? "Column mask col=spec (repeatable); part of the grant's identity"
                          : "Column mask col=spec of the grant to revoke from (repeatable)")
        ->allow_extra_args(false);
    if (grant) {
      cmd->add_option("--expires", o->expires,
                      "When the grant stops counting: RFC 3339 time or a duration from now (7d, 12h, 30m)");
    }
    add_resource_flags(cmd, o->resource);
    cmd->footer(
        grant ? kGrantExamples
              : "The resource, principal and masks name the grant exactly as it was made. Examples:\n"
                "  cairn revoke --principal user:analyst --table hr.employees --exclude-columns "
                "salary,phone_number --permissions SELECT\n"
                "  cairn revoke --principal user:steward --database hr --permissions ALL --grantable ALL");
    registry.on(cmd, [o, grant](Context& ctx) {
      const json body = grant_request(*o);
      const json answer = ctx.api().post(api_path({"v1", "permissions", grant ? "grant" : "revoke"}), body);
      if (ctx.json()) return print_json(ctx.out(), answer);
      const std::string what = body["permissions"].empty()
                                   ? "the grant option on " + joined(body.value("grantable", json()))
                                   : joined(body["permissions"]);
      const std::string on = describe_resource(body["resource"]);
      if (grant) {
        ctx.out() << "Granted " << what << " on "
                  << describe_resource(answer.value("resource", body["resource"])) << " to "
                  << short_principal(field(answer, "principal")) << ".\n";
        return print_grant(ctx, answer);
      }
      const json remaining = answer.is_object() && answer.contains("grant") ? answer["grant"] : json();
      ctx.out() << "Revoked " << what << " on " << on << " from " << o->principal << ".";
      if (remaining.is_object()) {
        ctx.out() << " Still held:\n";
        print_grant(ctx, remaining);
      } else {
        ctx.out() << " Nothing is left of that grant.\n";
      }
    });
  }
}

void add_permissions_commands(CLI::App& app, CommandRegistry& registry) {
  auto* root = app.add_subcommand("permissions", "List and show grants");
  root->alias("permission");
  root->require_subcommand(1);
  {
    struct Opts {
      std::string principal, database, table, kind;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("list", "List grants by principal and/or resource");
    cmd->alias("ls");
    cmd->add_option("--principal", o->principal, "Grants held by this principal (not counting its groups)");
    auto* db = cmd->add_option("--database", o->database, "Grants on this database or anything in it");
    auto* table = cmd->add_option("--table", o->table, "Grants naming this table, DB.TABLE");
    db->excludes(table);
    cmd->add_option("--kind", o->kind,
                    "Only this resource kind: CATALOG, DATABASE, TABLE, TABLE_WILDCARD, TABLE_WITH_COLUMNS, "
                    "DATA_LOCATION, DATA_CELLS_FILTER, TAG_POLICY");
    cmd->footer(
        "Administrators see every grant; others see the grants they hold and those on resources they may "
        "grant on.\nExamples:\n  cairn permissions list --principal user:analyst\n"
        "  cairn permissions list --table hr.employees --kind TABLE_WITH_COLUMNS -o json");
    registry.on(cmd, [o](Context& ctx) {
      Query query;
      if (!o->principal.empty()) query.emplace_back("principal", o->principal);
      if (!o->database.empty()) query.emplace_back("database", o->database);
      if (!o->table.empty()) {
        const TableRef ref = parse_table_ref(o->table);
        query.emplace_back("database", ref.database);
        query.emplace_back("table", ref.table);
      }
      if (!o->kind.empty()) {
        const std::string kind = to_upper(o->kind);
        query.emplace_back(
            "kind", checked("--kind", [&] {
              return std::string(catalog::resource_kind_name(catalog::parse_resource_kind(kind, "--kind")));
            }));
      }
      const json page = admin_only("you may list only the grants you hold or may grant", [&] {
        return ctx.api().list_all(api_path({"v1", "permissions"}), "items", query);
      });
      if (ctx.json()) return print_json(ctx.out(), page);
      print_grants(ctx, page);
    });
  }
  {
    auto id = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("describe", "Show one grant by id");
    cmd->alias("get");
    cmd->add_option("ID", *id, "Grant id (from permissions list)")->required();
    registry.on(cmd, [id](Context& ctx) {
      const json g = ctx.api().get(api_path({"v1", "permissions", *id}));
      if (ctx.json()) return print_json(ctx.out(), g);
      print_grant(ctx, g);
    });
  }
}

// ---- tags --------------------------------------------------------------------------------------------

/// --database D | --table DB.T [--column C]: where tags are shown, assigned or unassigned.
struct TagTarget {
  std::string database, table, column;
};

void add_target_flags(CLI::App* cmd, TagTarget& t) {
  auto* db = cmd->add_option("--database", t.database, "A database");
  auto* table = cmd->add_option("--table", t.table, "A table, DB.TABLE");
  auto* column = cmd->add_option("--column", t.column, "With --table: one of its columns or partition keys");
  db->excludes(table);
  column->needs(table);
}

std::string tags_path(const TagTarget& t) {
  if (t.database.empty() && t.table.empty())
    throw UserError("give --database DB or --table DB.TABLE [--column C]");
  if (!t.database.empty()) return api_path({"v1", "databases", t.database, "tags"});
  const TableRef ref = parse_table_ref(t.table);
  if (t.column.empty()) return api_path({"v1", "databases", ref.database, "tables", ref.table, "tags"});
  return api_path({"v1", "databases", ref.database, "tables", ref.table, "columns", t.column, "tags"});
}

std::string target_text(const TagTarget& t) {
  if (!t.database.empty()) return "database " + t.database;
  return t.column.empty() ? "table " + t.table : "column " + t.table + "." + t.column;
}

void print_effective_tags(Context& ctx, const json& answer) {
  if (ctx.json()) return print_json(ctx.out(), answer);
  TextTable table({"KEY", "VALUE", "SOURCE", "INHERITED"});
  for (const auto& t : array_of(answer, "tags")) {
    table.add_row(
        {field(t, "key"), field(t, "value"), field(t, "source"), t.value("inherited", false) ? "yes" : "no"});
  }
  table.print(ctx.out());
}

void add_tag_commands(CLI::App& app, CommandRegistry& registry) {
  auto* root = app.add_subcommand("tag", "LF-Tags: keys and values, assignments, effective tags");
  root->alias("tags");
  root->require_subcommand(1);
  root->footer(
      "A table inherits its database's tags and a column its table's; an explicit assignment overrides the\n"
      "inherited value of its key. Examples:\n"
      "  cairn tag create sensitivity --values low,high\n"
      "  cairn tag assign --database crm sensitivity=low\n"
      "  cairn tag assign --table crm.customers --column email sensitivity=high\n"
      "  cairn tag show --table crm.customers --column email");
  {
    struct Opts {
      std::string key, values;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("create", "Create a tag key with its allowed values");
    cmd->add_option("KEY", o->key, "Tag key (stored lower-case)")->required();
    cmd->add_option("--values", o->values, "Allowed values, comma-separated")->required();
    cmd->footer("Example:\n  cairn tag create sensitivity --values low,medium,high");
    registry.on(cmd, [o](Context& ctx) {
      const json created = ctx.api().post(
          api_path({"v1", "tags"}), json{{"key", o->key}, {"values", comma_list(o->values, "--values")}});
      if (ctx.json()) return print_json(ctx.out(), created);
      ctx.out() << "Created tag '" << field(created, "key") << "' with values "
                << joined(created.value("values", json())) << ".\n";
    });
  }
  {
    struct Opts {
      std::string key;
      std::vector<std::string> add, remove;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("update", "Add or remove allowed values of a tag key");
    cmd->add_option("KEY", o->key, "Tag key")->required();
    cmd->add_option("--add", o->add, "Values to allow (repeatable or comma-separated)")
        ->allow_extra_args(false);
    cmd->add_option("--remove", o->remove, "Values to remove (repeatable or comma-separated)")
        ->allow_extra_args(false);
    cmd->footer(
        "A value still assigned somewhere or used by a grant cannot be removed.\nExample:\n"
        "  cairn tag update sensitivity --add medium --remove internal");
    registry.on(cmd, [o](Context& ctx) {
      json add = json::array(), remove = json::array();
      for (const auto& v : o->add) {
        for (auto& item : comma_list(v, "--add")) add.push_back(item);
      }
      for (const auto& v : o->remove) {
        for (auto& item : comma_list(v, "--remove")) remove.push_back(item);
      }
      if (add.empty() && remove.empty())
        throw UserError("tag update: nothing to change (use --add or --remove)");
      json body = json::object();
      if (!add.empty()) body["add"] = add;
      if (!remove.empty()) body["remove"] = remove;
      const json updated = ctx.api().patch(api_path({"v1", "tags", o->key}), body);
      if (ctx.json()) return print_json(ctx.out(), updated);
      ctx.out() << "Tag '" << field(updated, "key") << "' now allows "
                << joined(updated.value("values", json())) << ".\n";
    });
  }
  {
    auto key = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("delete", "Delete a tag key and its assignments");
    cmd->alias("rm");
    cmd->add_option("KEY", *key, "Tag key")->required();
    registry.on(cmd, [key](Context& ctx) {
      ctx.api().del(api_path({"v1", "tags", *key}));
      if (!ctx.json()) ctx.out() << "Deleted tag '" << to_lower(*key) << "'.\n";
    });
  }
  {
    auto* cmd = root->add_subcommand("list", "List tag keys and their values");
    cmd->alias("ls");
    registry.on(cmd, [](Context& ctx) {
      const json page = ctx.api().list_all(api_path({"v1", "tags"}), "items");
      if (ctx.json()) return print_json(ctx.out(), page);
      TextTable table({"KEY", "VALUES", "CREATED"});
      for (const auto& t : array_of(page, "items")) {
        table.add_row({field(t, "key"), joined(t.value("values", json()), ","), field(t, "create_time")});
      }
      table.print(ctx.out());
    });
  }
  {
    auto key = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("describe", "Show one tag key");
    cmd->alias("get");
    cmd->add_option("KEY", *key, "Tag key")->required();
    registry.on(cmd, [key](Context& ctx) {
      const json t = ctx.api().get(api_path({"v1", "tags", *key}));
      if (ctx.json()) return print_json(ctx.out(), t);
      print_fields(ctx.out(), {{"Key", field(t, "key")},
                               {"Values", joined(t.value("values", json()))},
                               {"Created", field(t, "create_time")}});
    });
  }
  {
    auto t = std::make_shared<TagTarget>();
    auto* cmd =
        root->add_subcommand("show", "Effective tags of a database, table or column (with inherited ones)");
    add_target_flags(cmd, *t);
    cmd->footer(
        "Examples:\n  cairn tag show --database crm\n  cairn tag show --table crm.customers --column email");
    registry.on(cmd, [t](Context& ctx) { print_effective_tags(ctx, ctx.api().get(tags_path(*t))); });
  }
  {
    struct Opts {
      TagTarget target;
      std::vector<std::string> tags;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("assign", "Assign tags (KEY=VALUE …) to a database, table or column");
    add_target_flags(cmd, o->target);
    cmd->add_option("TAGS", o->tags, "KEY=VALUE pairs")->required();
    cmd->footer(
        "Example:\n  cairn tag assign --table crm.customers --column email pii=email sensitivity=high");
    registry.on(cmd, [o](Context& ctx) {
      json tags = json::object();
      for (const auto& spec : o->tags) {
        auto [key, value] = parse_key_value(spec, "tag");
        if (tags.contains(key)) throw UserError("tag assign: key '" + key + "' is given twice");
        tags[key] = value;
      }
      const std::string path = tags_path(o->target);
      const json answer = ctx.api().put(path, json{{"tags", tags}});
      if (ctx.json()) return print_json(ctx.out(), answer);
      ctx.out() << "Assigned " << pairs_text(tags) << " to " << target_text(o->target)
                << ". Effective tags:\n";
      print_effective_tags(ctx, answer);
    });
  }
  {
    struct Opts {
      TagTarget target;
      std::vector<std::string> keys;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("unassign", "Remove explicit tag assignments (KEY …) from a target");
    add_target_flags(cmd, o->target);
    cmd->add_option("KEYS", o->keys, "Tag keys")->required();
    cmd->footer("Example:\n  cairn tag unassign --table crm.customers --column email sensitivity");
    registry.on(cmd, [o](Context& ctx) {
      const std::string path = tags_path(o->target);
      for (const auto& key : o->keys) ctx.api().del(api_path(path, {key}));
      if (!ctx.json()) {
        std::string keys;
        for (const auto& k : o->keys) keys += (keys.empty() ? "" : ", ") + to_lower(k);
        ctx.out() << "Removed " << keys << " from " << target_text(o->target) << ".\n";
      }
    });
  }
}

// ---- data cells filters --------------------------------------------------------------------------------

struct FilterFlags {
  std::optional<std::string> row_filter, columns, exclude_columns;
  bool all_rows = false, all_columns = false;
  std::vector<std::string> masks, unmask;
};

void add_filter_flags(CLI::App* cmd, FilterFlags& f, bool update) {
  cmd->add_option("--row-filter", f.row_filter, "Rows to show: a PartiQL condition, e.g. \"country = 'DE'\"");
  cmd->add_flag("--all-rows", f.all_rows, "Show every row");
  cmd->add_option("--columns", f.columns, "Columns to show (a,b)");
  cmd->add_option("--exclude-columns", f.exclude_columns, "Show every column except these (a,b)");
  cmd->add_flag("--all-columns", f.all_columns, "Show every column");
  cmd->add_option("--mask", f.masks, "Column mask col=spec (repeatable)")->allow_extra_args(false);
  if (update)
    cmd->add_option("--unmask", f.unmask, "Remove the mask of COLUMN (repeatable)")->allow_extra_args(false);
}

/// Applies the flags to a filter body; `create` requires a row form and a column form.
void apply_filter_flags(json& body, const FilterFlags& f, bool create) {
  const int rows = (f.row_filter ? 1 : 0) + (f.all_rows ? 1 : 0);
  const int cols = (f.columns ? 1 : 0) + (f.exclude_columns ? 1 : 0) + (f.all_columns ? 1 : 0);
  if (rows > 1) throw UserError("--row-filter and --all-rows exclude each other");
  if (cols > 1) throw UserError("give only one of --columns, --exclude-columns and --all-columns");
  if (create && rows == 0) throw UserError("filter create: give --row-filter EXPR or --all-rows");
  if (create && cols == 0) {
    throw UserError("filter create: give --columns a,b, --exclude-columns a,b or --all-columns");
  }
  if (f.row_filter) {
    if (trim(*f.row_filter).empty()) throw UserError("--row-filter is empty (use --all-rows for every row)");
    body["row_filter"] = *f.row_filter;
    body["all_rows"] = false;
  }
  if (f.all_rows) {
    body["row_filter"] = nullptr;
    body["all_rows"] = true;
  }
  if (cols == 1) {
    body["columns"] = f.columns ? json(comma_list(*f.columns, "--columns")) : json::array();
    body["column_wildcard"] = !f.columns;
    body["excluded_columns"] =
        f.exclude_columns ? json(comma_list(*f.exclude_columns, "--exclude-columns")) : json::array();
  }
  json masks = body.contains("column_masks") && body["column_masks"].is_object() ? body["column_masks"]
                                                                                 : json::object();
  const json given = mask_map(f.masks, "--mask");
  for (const auto& [column, spec] : given.items()) masks[column] = spec;
  for (const auto& column : f.unmask) {
    if (!masks.contains(column))
      throw UserError("--unmask " + column + ": the filter has no mask on '" + column + "'");
    masks.erase(column);
  }
  body["column_masks"] = masks;
}

/// Leaves out what does not apply: a null row filter, the unused column form, no masks.
void tidy_filter_body(json& body) {
  if (body.contains("row_filter") && body["row_filter"].is_null()) body.erase("row_filter");
  if (!body.value("all_rows", false)) body.erase("all_rows");
  if (body.value("column_wildcard", false)) {
    body.erase("columns");
  } else {
    body.erase("column_wildcard");
    body.erase("excluded_columns");
  }
  if (body.contains("column_masks") && body["column_masks"].empty()) body.erase("column_masks");
}

std::string filters_path(const std::string& database, const std::string& table) {
  return api_path({"v1", "databases", database, "tables", table, "filters"});
}

std::string filter_columns_text(const json& f) {
  if (f.value("column_wildcard", false)) {
    const std::string excluded = joined(f.value("excluded_columns", json::array()));
    return excluded.empty() ? "all" : "all except " + excluded;
  }
  return joined(f.value("columns", json::array()));
}

std::string filter_rows_text(const json& f) {
  return f.value("all_rows", false) ? "all rows" : field(f, "row_filter");
}

void print_filter(Context& ctx, const json& f) {
  if (ctx.json()) return print_json(ctx.out(), f);
  print_fields(ctx.out(),
               {{"Filter", field(f, "database") + "." + field(f, "table") + "." + field(f, "name")},
                {"Rows", filter_rows_text(f)},
                {"Columns", filter_columns_text(f)},
                {"Masks", pairs_text(f.value("column_masks", json()))},
                {"Version", field(f, "version_id")},
                {"Created", field(f, "create_time")},
                {"Updated", field(f, "update_time")}});
}

void add_filter_commands(CLI::App& app, CommandRegistry& registry) {
  auto* root =
      app.add_subcommand("filter", "Data cells filters: a row filter plus a column list on one table");
  root->alias("filters");
  root->require_subcommand(1);
  {
    struct Opts {
      std::string ref;
      FilterFlags flags;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("create", "Create a data cells filter");
    cmd->add_option("DB.TABLE.FILTER", o->ref, "Table and filter name")->required();
    add_filter_flags(cmd, o->flags, false);
    cmd->footer(
        "The row filter is checked against the table's columns (comparisons, AND/OR/NOT, IN, BETWEEN, LIKE,\n"
        "IS [NOT] NULL). Grant it with: cairn grant --filter DB.TABLE.FILTER --permissions SELECT ...\n"
        "Examples:\n"
        "  cairn filter create crm.customers.de_only --row-filter \"country = 'DE'\" --exclude-columns "
        "customer_name\n"
        "  cairn filter create crm.customers.masked --all-rows --all-columns --mask email=hash_sha256");
    registry.on(cmd, [o](Context& ctx) {
      const FilterRef ref = parse_filter_ref(o->ref);
      json body = {{"name", ref.name}};
      apply_filter_flags(body, o->flags, true);
      tidy_filter_body(body);
      const json created = ctx.api().post(filters_path(ref.database, ref.table), body);
      if (ctx.json()) return print_json(ctx.out(), created);
      ctx.out() << "Created filter '" << ref.display() << "' (version " << field(created, "version_id")
                << ").\n";
    });
  }
  {
    struct Opts {
      std::string ref;
      FilterFlags flags;
      std::optional<long long> expected_version;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("update", "Change a filter's rows, columns or masks (a new version)");
    cmd->add_option("DB.TABLE.FILTER", o->ref, "Table and filter name")->required();
    add_filter_flags(cmd, o->flags, true);
    cmd->add_option("--expected-version", o->expected_version,
                    "Fail unless the filter is still at this version (default: the version just read)");
    cmd->footer(
        "Flags not given keep their current value. Example:\n"
        "  cairn filter update crm.customers.de_only --row-filter \"country IN ('DE', 'AT')\"");
    registry.on(cmd, [o](Context& ctx) {
      const FilterRef ref = parse_filter_ref(o->ref);
      const FilterFlags& f = o->flags;
      if (!f.row_filter && !f.all_rows && !f.columns && !f.exclude_columns && !f.all_columns &&
          f.masks.empty() && f.unmask.empty()) {
        throw UserError(
            "filter update: nothing to change (use --row-filter, --all-rows, --columns, --exclude-columns, "
            "--all-columns, --mask or --unmask)");
      }
      const std::string path = api_path(filters_path(ref.database, ref.table), {ref.name});
      const json current = ctx.api().get(path);
      json body = {{"row_filter", current.value("row_filter", json())},
                   {"all_rows", current.value("all_rows", false)},
                   {"columns", current.value("columns", json::array())},
                   {"column_wildcard", current.value("column_wildcard", false)},
                   {"excluded_columns", current.value("excluded_columns", json::array())},
                   {"column_masks", current.value("column_masks", json::object())}};
      apply_filter_flags(body, f, false);
      tidy_filter_body(body);
      const long long read_version = current.value("version_id", 0LL);
      body["expected_version_id"] = o->expected_version ? *o->expected_version : read_version;
      const json updated = ctx.api().put(path, body);
      if (ctx.json()) return print_json(ctx.out(), updated);
      ctx.out() << "Updated filter '" << ref.display() << "' (version " << read_version << " -> "
                << field(updated, "version_id") << ").\n";
    });
  }
  {
    struct Opts {
      std::string database, table;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("list", "List data cells filters");
    cmd->alias("ls");
    auto* db = cmd->add_option("--database", o->database, "Only filters of this database");
    auto* table = cmd->add_option("--table", o->table, "Only filters of this table, DB.TABLE");
    db->excludes(table);
    registry.on(cmd, [o](Context& ctx) {
      json page;
      if (!o->table.empty()) {
        const TableRef ref = parse_table_ref(o->table);
        page = ctx.api().list_all(filters_path(ref.database, ref.table), "items");
      } else {
        Query query;
        if (!o->database.empty()) query.emplace_back("database", o->database);
        page = ctx.api().list_all(api_path({"v1", "filters"}), "items", query);
      }
      if (ctx.json()) return print_json(ctx.out(), page);
      TextTable table({"FILTER", "ROWS", "COLUMNS", "MASKS", "VERSION"});
      for (const auto& f : array_of(page, "items")) {
        table.add_row({field(f, "database") + "." + field(f, "table") + "." + field(f, "name"),
                       filter_rows_text(f), filter_columns_text(f),
                       pairs_text(f.value("column_masks", json())), field(f, "version_id")});
      }
      table.print(ctx.out());
    });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("describe", "Show one data cells filter");
    cmd->alias("get");
    cmd->add_option("DB.TABLE.FILTER", *ref, "Table and filter name")->required();
    registry.on(cmd, [ref](Context& ctx) {
      const FilterRef r = parse_filter_ref(*ref);
      print_filter(ctx, ctx.api().get(api_path(filters_path(r.database, r.table), {r.name})));
    });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("delete", "Delete a data cells filter and the grants on it");
    cmd->alias("rm");
    cmd->add_option("DB.TABLE.FILTER", *ref, "Table and filter name")->required();
    registry.on(cmd, [ref](Context& ctx) {
      const FilterRef r = parse_filter_ref(*ref);
      ctx.api().del(api_path(filters_path(r.database, r.table), {r.name}));
      if (!ctx.json()) ctx.out() << "Deleted filter '" << r.display() << "'.\n";
    });
  }
}

// ---- data locations ----------------------------------------------------------------------------------

void add_location_commands(CLI::App& app, CommandRegistry& registry) {
  auto* root =
      app.add_subcommand("location", "Register data locations (tables there need DATA_LOCATION_ACCESS)");
  root->alias("locations");
  root->require_subcommand(1);
  {
    struct Opts {
      std::string uri, role_arn;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("register", "Register an s3:// or file:// location");
    cmd->add_option("URI", o->uri, "Location prefix, e.g. s3://lake/hr")->required();
    cmd->add_option("--role-arn", o->role_arn, "Role used to reach the data (recorded for engines)");
    cmd->footer(
        "Example:\n  cairn location register s3://lake/hr --role-arn arn:aws:iam::123456789012:role/lake");
    registry.on(cmd, [o](Context& ctx) {
      json body = {{"uri", o->uri}};
      if (!o->role_arn.empty()) body["role_arn"] = o->role_arn;
      const json created = ctx.api().post(api_path({"v1", "locations"}), body);
      if (ctx.json()) return print_json(ctx.out(), created);
      ctx.out() << "Registered location '" << field(created, "uri") << "'.\n";
    });
  }
  {
    auto uri = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("deregister", "Deregister a location");
    cmd->add_option("URI", *uri, "Registered location")->required();
    registry.on(cmd, [uri](Context& ctx) {
      ctx.api().call("DELETE", api_path({"v1", "locations"}), {{"uri", *uri}});
      if (!ctx.json()) ctx.out() << "Deregistered location '" << *uri << "'.\n";
    });
  }
  {
    auto* cmd = root->add_subcommand("list", "List registered locations");
    cmd->alias("ls");
    registry.on(cmd, [](Context& ctx) {
      const json page = ctx.api().list_all(api_path({"v1", "locations"}), "items");
      if (ctx.json()) return print_json(ctx.out(), page);
      TextTable table({"URI", "ROLE", "REGISTERED BY", "CREATED"});
      for (const auto& l : array_of(page, "items")) {
        table.add_row({field(l, "uri"), field(l, "role_arn"), short_principal(field(l, "registered_by")),
                       field(l, "create_time")});
      }
      table.print(ctx.out());
    });
  }
}

// ---- access resolve / explain ------------------------------------------------------------------------

std::string mask_text(const json& mask) {
  if (mask.is_string()) return mask.get<std::string>();
  if (mask.is_object()) return field(mask, "spec").empty() ? field(mask, "type") : field(mask, "spec");
  return {};
}

void print_access(Context& ctx, const json& a) {
  const json auth = a.value("query_authorization", json::object());
  print_fields(ctx.out(), {{"Table", field(a, "database") + "." + field(a, "table")},
                           {"Version", field(a, "table_version_id")},
                           {"Permissions", joined(a.value("permissions", json()))},
                           {"Grantable", joined(a.value("grantable", json()))},
                           {"Rows", a.value("all_rows", false) ? "all" : field(a, "row_filter")},
                           {"Row filter SQL", field(a, "row_filter_sql")},
                           {"Partition filter", field(a, "partition_filter")},
                           {"Location", field(a, "location")},
                           {"Authorization", field(auth, "id")},
                           {"Authorization expires", field(auth, "expires_at")},
                           {"Decided by", joined(a.value("deciding_ids", json()))}});
  ctx.out() << "\nColumns you may see (" << array_of(a, "columns").size() << "):\n";
  TextTable table({"NAME", "TYPE", "MASK", "CELL FILTER", "SELECT"});
  for (const auto& c : array_of(a, "columns")) {
    std::string name = field(c, "name");
    if (c.value("partition_key", false)) name += " (partition key)";
    table.add_row({name, field(c, "type"), mask_text(c.value("mask", json())), field(c, "cell_filter"),
                   field(c, "select_sql")});
  }
  table.print(ctx.out(), "  ");
}

std::string tags_text(const json& tags) {
  std::string out;
  if (!tags.is_array()) return out;
  for (const auto& t : tags) {
    out += (out.empty() ? "" : ", ") + field(t, "key") + "=" + field(t, "value") +
           (t.value("inherited", false) ? " (from " + field(t, "source") + ")" : "");
  }
  return out;
}

void print_explanation(Context& ctx, const json& e) {
  const json tags = e.value("effective_tags", json::object());
  print_fields(ctx.out(), {{"Principal", field(e, "principal")},
                           {"Table", field(e, "database") + "." + field(e, "table")},
                           {"Administrator", e.value("is_admin", false) ? "yes" : "no"},
                           {"Principals considered", joined(e.value("principals_considered", json()))},
                           {"Rows", e.value("all_rows", false) ? "all" : field(e, "row_filter")},
                           {"Table tags", tags_text(tags.value("table", json()))}});
  ctx.out() << "\nPermissions:\n";
  TextTable perms({"PERMISSION", "ALLOWED", "GRANTABLE", "DECIDED BY", "MISSING"});
  for (const auto& p : array_of(e, "permissions")) {
    perms.add_row({field(p, "permission"), p.value("allowed", false) ? "yes" : "no",
                   p.value("grantable", false) ? "yes" : "no", joined(p.value("deciding_ids", json())),
                   field(p, "missing")});
  }
  perms.print(ctx.out(), "  ");
  ctx.out() << "\nColumns:\n";
  const json column_tags = tags.value("columns", json::object());
  TextTable cols({"COLUMN", "ALLOWED", "MASK", "CELL FILTER", "TAGS", "DECIDED BY", "REASON"});
  for (const auto& c : array_of(e, "columns")) {
    const std::string name = field(c, "name");
    cols.add_row({name, c.value("allowed", false) ? "yes" : "no", mask_text(c.value("mask", json())),
                  field(c, "cell_filter"), tags_text(column_tags.value(name, json())),
                  joined(c.value("deciding_ids", json())), field(c, "reason")});
  }
  cols.print(ctx.out(), "  ");
}

void add_access_commands(CLI::App& app, CommandRegistry& registry) {
  auto* root = app.add_subcommand("access", "What a principal may see of a table, and why");
  root->require_subcommand(1);
  {
    struct Opts {
      std::string table, dialect;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("resolve",
                                     "Your view of a table: columns with masks and cell filters, row filter");
    cmd->add_option("DB.TABLE", o->table, "Table")->required();
    cmd->add_option("--dialect", o->dialect, "SQL dialect of the *_sql expressions")
        ->check(CLI::IsMember({"duckdb", "trino", "spark"}));
    cmd->footer(
        "This is what an engine receives (docs/engines.md). Example:\n"
        "  cairn --profile analyst access resolve hr.employees --dialect trino");
    registry.on(cmd, [o](Context& ctx) {
      const TableRef ref = parse_table_ref(o->table);
      Query query;
      if (!o->dialect.empty()) query.emplace_back("dialect", o->dialect);
      const json a =
          ctx.api().get(api_path({"v1", "databases", ref.database, "tables", ref.table, "access"}), query);
      if (ctx.json()) return print_json(ctx.out(), a);
      print_access(ctx, a);
    });
  }
  {
    struct Opts {
      std::string principal, table;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd =
        root->add_subcommand("explain", "Every permission and column of a table for a principal, and why");
    cmd->add_option("--principal", o->principal, "user:NAME, role:NAME, group:NAME or an ARN")->required();
    cmd->add_option("--table", o->table, "Table, DB.TABLE")->required();
    cmd->footer(
        "Administrators may explain anyone; others only themselves. Example:\n"
        "  cairn access explain --principal user:alice --table crm.customers");
    registry.on(cmd, [o](Context& ctx) {
      const TableRef ref = parse_table_ref(o->table);
      const json e =
          ctx.api().get(api_path({"v1", "databases", ref.database, "tables", ref.table, "explain"}),
                        {{"principal", o->principal}});
      if (ctx.json()) return print_json(ctx.out(), e);
      print_explanation(ctx, e);
    });
  }
}

// ---- audit -----------------------------------------------------------------------------------------

void add_audit_commands(CLI::App& app, CommandRegistry& registry) {
  auto* root = app.add_subcommand("audit", "Query and verify the tamper-evident audit log (administrators)");
  root->require_subcommand(1);
  {
    struct Opts {
      std::string principal, table, database, resource, action, decision, since, from, to;
      std::size_t limit = 1000;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("query", "List audit entries, oldest first");
    cmd->alias("list");
    cmd->add_option("--principal", o->principal, "Only this caller (user:NAME, role:NAME or an ARN)");
    auto* table = cmd->add_option("--table", o->table,
                                  "Only entries about this table, DB.TABLE (resource table/DB/TABLE)");
    auto* database = cmd->add_option("--database", o->database,
                                     "Only entries about this database itself (resource database/DB)");
    auto* resource =
        cmd->add_option("--resource", o->resource, "Only entries whose resource starts with this");
    table->excludes(database)->excludes(resource);
    database->excludes(resource);
    cmd->add_option("--action", o->action, "Only this action, e.g. GetTable, GrantPermissions");
    cmd->add_option("--decision", o->decision, "Only this decision")
        ->check(CLI::IsMember({"allow", "deny", "ok", "error"}));
    auto* since = cmd->add_option("--since", o->since, "Only the last DURATION (e.g. 7d, 12h, 30m)");
    auto* from = cmd->add_option("--from", o->from, "From this time on (RFC 3339, or a duration ago)");
    since->excludes(from);
    cmd->add_option("--to", o->to, "Before this time (RFC 3339, or a duration ago)");
    cmd->add_option("--limit", o->limit, "At most this many entries (pages are followed)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
    cmd->footer(
        "Examples:\n  cairn audit query --table crm.customers --since 7d\n"
        "  cairn audit query --principal user:alice --decision deny -o json");
    registry.on(cmd, [o](Context& ctx) {
      Query query;
      if (!o->principal.empty()) query.emplace_back("principal", o->principal);
      if (!o->table.empty()) {
        const TableRef ref = parse_table_ref(o->table);
        query.emplace_back("resource", "table/" + to_lower(ref.database) + "/" + to_lower(ref.table));
      }
      if (!o->database.empty()) query.emplace_back("resource", "database/" + to_lower(o->database));
      if (!o->resource.empty()) query.emplace_back("resource", o->resource);
      if (!o->action.empty()) query.emplace_back("action", o->action);
      if (!o->decision.empty()) query.emplace_back("decision", o->decision);
      if (!o->since.empty()) {
        const auto d = duration_millis(o->since);
        if (!d) throw UserError("--since '" + o->since + "': expected a duration such as 7d, 12h or 30m");
        query.emplace_back("from", catalog::format_timestamp(catalog::now_millis() - *d));
      }
      if (!o->from.empty()) query.emplace_back("from", time_flag(o->from, "--from", -1));
      if (!o->to.empty()) query.emplace_back("to", time_flag(o->to, "--to", -1));
      const json page = admin_only("only administrators may read the audit log", [&] {
        return ctx.api().list_all(api_path({"v1", "audit"}), "items", query, o->limit);
      });
      if (ctx.json()) return print_json(ctx.out(), page);
      TextTable table({"SEQ", "TIME", "PRINCIPAL", "ACTION", "RESOURCE", "DECISION", "DECIDED BY", "DETAIL"});
      for (const auto& e : array_of(page, "items")) {
        table.add_row({field(e, "seq"), field(e, "time"), short_principal(field(e, "principal")),
                       field(e, "action"), field(e, "resource"), field(e, "decision"),
                       joined(e.value("deciding_ids", json())), field(e, "detail")});
      }
      table.print(ctx.out());
      if (page.contains("next_token")) {
        std::cerr << "cairn: more than " << o->limit << " entries match; showing the first " << o->limit
                  << " (raise --limit or narrow the query)\n";
      }
    });
  }
  {
    auto head = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("verify", "Check the hash chain of the whole audit log");
    cmd->add_option("--expect-head", *head,
                    "SEQ:HASH recorded earlier (from a previous verify); detects a truncated log");
    cmd->footer(
        "Exit code 1 when the chain is broken. Example:\n"
        "  cairn audit verify\n  cairn audit verify --expect-head 1042:9f2c…");
    registry.on(cmd, [head](Context& ctx) {
      Query query;
      if (!head->empty()) {
        const auto colon = head->find(':');
        const std::string seq = colon == std::string::npos ? std::string() : head->substr(0, colon);
        const std::string hash = colon == std::string::npos ? std::string() : head->substr(colon + 1);
        const bool seq_ok = !seq.empty() && seq.size() < 19 &&
                            std::all_of(seq.begin(), seq.end(),
                                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
        const bool hash_ok = !hash.empty() && std::all_of(hash.begin(), hash.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c));
        });
        if (!seq_ok || !hash_ok) {
          throw UserError("--expect-head '" + *head +
                          "': expected SEQ:HASH, e.g. 1042:9f2c… (as printed by audit verify)");
        }
        query = {{"expect_seq", seq}, {"expect_hash", to_lower(hash)}};
      }
      const json v = admin_only("only administrators may verify the audit log", [&] {
        return ctx.api().get(api_path({"v1", "audit", "verify"}), query);
      });
      const bool ok = v.value("ok", false);
      if (ctx.json()) {
        print_json(ctx.out(), v);
      } else if (ok) {
        ctx.out() << "Audit log intact: " << field(v, "entries") << " entries verified.\n";
        print_fields(ctx.out(), {{"Head", field(v, "last_seq") + ":" + field(v, "head_hash")}});
      } else {
        print_fields(ctx.out(), {{"Entries checked", field(v, "entries")},
                                 {"First bad entry", field(v, "first_bad_seq")},
                                 {"Problem", field(v, "problem")}});
      }
      if (!ok) {
        const std::string bad = field(v, "first_bad_seq");
        throw CliError(kExitUserError, "audit log verification FAILED" +
                                           (bad.empty() ? std::string() : " at entry " + bad) + ": " +
                                           field(v, "problem"));
      }
    });
  }
}

}  // namespace

void add_governance_commands(CLI::App& app, CommandRegistry& registry) {
  add_grant_commands(app, registry);
  add_permissions_commands(app, registry);
  add_tag_commands(app, registry);
  add_filter_commands(app, registry);
  add_location_commands(app, registry);
  add_access_commands(app, registry);
  add_audit_commands(app, registry);
}

}  // namespace cairn::api::cli
