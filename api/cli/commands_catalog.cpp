#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "context.h"
#include "output.h"
#include "specs.h"
#include "table_view.h"

namespace cairn::api::cli {
namespace {

using nlohmann::json;

std::string database_path(const std::string& db) {
  return api_path({"v1", "databases", db});
}
std::string table_path(const TableRef& ref) {
  return api_path({"v1", "databases", ref.database, "tables", ref.table});
}

void apply_params(json& parameters, const std::vector<std::string>& specs, const char* flag) {
  if (!parameters.is_object()) parameters = json::object();
  for (const auto& spec : specs) {
    auto [key, value] = parse_key_value(spec, flag);
    parameters[key] = value;
  }
}

void print_database(Context& ctx, const json& db) {
  print_fields(ctx.out(), {{"Name", field(db, "name")},
                           {"Description", field(db, "description")},
                           {"Location", field(db, "location_uri")},
                           {"Parameters", format_parameters(db.value("parameters", json()))},
                           {"Created", field(db, "create_time")}});
}

void show_database(Context& ctx, const json& db) {
  if (ctx.json()) {
    print_json(ctx.out(), db);
  } else {
    print_database(ctx, db);
  }
}

// ---- database
// ----------------------------------------------------------------------------------------------

void add_database_commands(CLI::App& app, CommandRegistry& registry) {
  auto* db = app.add_subcommand("database", "Create, list, describe, update and delete databases");
  db->alias("databases");
  db->require_subcommand(1);

  {
    struct Opts {
      std::string name, description, location;
      std::vector<std::string> params;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = db->add_subcommand("create", "Create a database");
    cmd->add_option("NAME", o->name, "Database name (stored lower-case)")->required();
    cmd->add_option("--description", o->description, "Free-text description");
    cmd->add_option("--location", o->location, "Default location URI, e.g. s3://lake/sales/");
    cmd->add_option("--param", o->params, "Parameter key=value (repeatable)")->allow_extra_args(false);
    cmd->footer(
        "Example:\n  cairn database create sales --description \"Sales data\" --location s3://lake/sales/ "
        "--param owner_team=revenue");
    registry.on(cmd, [o](Context& ctx) {
      json body = {{"name", o->name}, {"parameters", json::object()}};
      if (!o->description.empty()) body["description"] = o->description;
      if (!o->location.empty()) body["location_uri"] = o->location;
      apply_params(body["parameters"], o->params, "--param");
      const json created = ctx.api().post(api_path({"v1", "databases"}), body);
      if (ctx.json()) return print_json(ctx.out(), created);
      ctx.out() << "Created database '" << field(created, "name") << "'.\n";
    });
  }
  {
    auto* cmd = db->add_subcommand("list", "List databases");
    cmd->alias("ls");
    registry.on(cmd, [](Context& ctx) {
      const json page = ctx.api().list_all(api_path({"v1", "databases"}), "databases");
      if (ctx.json()) return print_json(ctx.out(), page);
      TextTable table({"NAME", "DESCRIPTION", "LOCATION", "CREATED"});
      for (const auto& d : array_of(page, "databases")) {
        table.add_row(
            {field(d, "name"), field(d, "description"), field(d, "location_uri"), field(d, "create_time")});
      }
      table.print(ctx.out());
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = db->add_subcommand("describe", "Show one database");
    cmd->alias("get");
    cmd->add_option("NAME", *name, "Database name")->required();
    registry.on(cmd, [name](Context& ctx) { show_database(ctx, ctx.api().get(database_path(*name))); });
  }
  {
    struct Opts {
      std::string name;
      std::optional<std::string> description, location;
      std::vector<std::string> params, unset;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = db->add_subcommand("update", "Change a database's description, location or parameters");
    cmd->add_option("NAME", o->name, "Database name")->required();
    cmd->add_option("--description", o->description, "New description");
    cmd->add_option("--location", o->location, "New location URI");
    cmd->add_option("--param", o->params, "Set parameter key=value (repeatable)")->allow_extra_args(false);
    cmd->add_option("--unset-param", o->unset, "Remove parameter KEY (repeatable)")->allow_extra_args(false);
    cmd->footer("Example:\n  cairn database update sales --description \"Sales (EU)\" --param region=eu");
    registry.on(cmd, [o](Context& ctx) {
      if (!o->description && !o->location && o->params.empty() && o->unset.empty()) {
        throw UserError(
            "database update: nothing to change (use --description, --location, --param or --unset-param)");
      }
      json current = ctx.api().get(database_path(o->name));
      json body = {{"name", field(current, "name")},
                   {"description", field(current, "description")},
                   {"location_uri", field(current, "location_uri")},
                   {"parameters", current.value("parameters", json::object())}};
      if (o->description) body["description"] = *o->description;
      if (o->location) body["location_uri"] = *o->location;
      apply_params(body["parameters"], o->params, "--param");
      for (const auto& key : o->unset) body["parameters"].erase(key);
      const json updated = ctx.api().put(database_path(o->name), body);
      if (ctx.json()) return print_json(ctx.out(), updated);
      ctx.out() << "Updated database '" << field(updated, "name") << "'.\n";
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = db->add_subcommand("delete", "Delete a database");
    cmd->alias("rm");
    cmd->add_option("NAME", *name, "Database name")->required();
    registry.on(cmd, [name](Context& ctx) {
      ctx.api().del(database_path(*name));
      if (!ctx.json()) ctx.out() << "Deleted database '" << to_lower(*name) << "'.\n";
    });
  }
}

// ---- table
// -------------------------------------------------------------------------------------------------

/// Flags shared by `table create` and `table update` that set table properties.
struct TableFlags {
  std::optional<std::string> description, location, format, owner, table_type;
  std::vector<std::string> params;
};

void add_table_flags(CLI::App* cmd, TableFlags& f) {
  std::string formats;
  for (const auto& format : storage_formats()) formats += (formats.empty() ? "" : "|") + format.name;
  cmd->add_option("--description", f.description, "Table description");
  cmd->add_option("--location", f.location, "Storage location URI, e.g. s3://lake/sales/orders/");
  cmd->add_option("--format", f.format,
                  "File format (" + formats + "): sets input/output format and SerDe as Glue does");
  cmd->add_option("--owner", f.owner, "Owner name");
  cmd->add_option("--table-type", f.table_type, "Table type (default EXTERNAL_TABLE on create)");
  cmd->add_option("--param", f.params, "Table parameter key=value (repeatable)")->allow_extra_args(false);
}

json& storage_descriptor_of(json& table) {
  if (!table.contains("storage_descriptor") || !table["storage_descriptor"].is_object()) {
    table["storage_descriptor"] = json::object();
  }
  return table["storage_descriptor"];
}

void apply_table_flags(json& table, const TableFlags& f) {
  if (f.description) table["description"] = *f.description;
  if (f.owner) table["owner"] = *f.owner;
  if (f.table_type) table["table_type"] = *f.table_type;
  if (f.location) storage_descriptor_of(table)["location"] = *f.location;
  if (f.format) {
    const StorageFormat& format = storage_format(*f.format);
    json& sd = storage_descriptor_of(table);
    sd["input_format"] = format.input_format;
    sd["output_format"] = format.output_format;
    json serde =
        sd.contains("serde_info") && sd["serde_info"].is_object() ? sd["serde_info"] : json::object();
    serde["serialization_library"] = format.serialization_library;
    serde["parameters"] = format.serde_parameters;
    sd["serde_info"] = serde;
    if (!table.contains("parameters") || !table["parameters"].is_object())
      table["parameters"] = json::object();
    table["parameters"]["classification"] = format.name;
  }
  if (!f.params.empty()) {
    if (!table.contains("parameters")) table["parameters"] = json::object();
    apply_params(table["parameters"], f.params, "--param");
  }
}

/// Reads a table definition from --file and checks that its name (if any) matches the command's.
json table_from_file(const std::string& path, const TableRef& ref) {
  json table = read_json_file(path);
  if (!table.is_object()) throw UserError("'" + path + "' must hold a JSON object (a Table)");
  if (table.contains("name") && table["name"].is_string() &&
      to_lower(table["name"].get<std::string>()) != to_lower(ref.table)) {
    throw UserError("'" + path + "' defines table '" + table["name"].get<std::string>() +
                    "' but the command names '" + ref.table + "'");
  }
  table["name"] = ref.table;
  return table;
}

void add_table_create(CLI::App* parent, CommandRegistry& registry) {
  struct Opts {
    std::string ref, file;
    std::vector<std::string> columns, partition_keys;
    TableFlags flags;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = parent->add_subcommand("create", "Create a table from --column flags or from a JSON file");
  cmd->add_option("DB.TABLE", o->ref, "Database and table name")->required();
  auto* file = cmd->add_option("--file", o->file, "Table definition as JSON (the API's Table object)");
  auto* column = cmd->add_option("--column", o->columns, "Column name:type[:comment] (repeatable)")
                     ->allow_extra_args(false);
  auto* pkey =
      cmd->add_option("--partition-key", o->partition_keys, "Partition key name:type[:comment] (repeatable)")
          ->allow_extra_args(false);
  file->excludes(column)->excludes(pkey);
  add_table_flags(cmd, o->flags);
  cmd->footer(
      "Column types are Hive types; brackets may hold ':' and ',' (quote them for the shell):\n"
      "  cairn table create sales.orders --column id:bigint:'order id' --column 'amount:decimal(10,2)' \\\n"
      "      --column 'items:array<struct<sku:string,qty:int>>' --partition-key dt:string \\\n"
      "      --format parquet --location s3://lake/sales/orders/\n"
      "  cairn table create sales.returns --file returns.json");
  registry.on(cmd, [o](Context& ctx) {
    const TableRef ref = parse_table_ref(o->ref);
    json table;
    if (!o->file.empty()) {
      table = table_from_file(o->file, ref);
    } else {
      if (o->columns.empty())
        throw UserError("table create: give at least one --column name:type, or --file");
      json columns = json::array();
      for (const auto& spec : o->columns) columns.push_back(parse_column_spec(spec, "--column"));
      json keys = json::array();
      for (const auto& spec : o->partition_keys) keys.push_back(parse_column_spec(spec, "--partition-key"));
      table = {{"name", ref.table},
               {"table_type", "EXTERNAL_TABLE"},
               {"parameters", json::object()},
               {"partition_keys", keys},
               {"storage_descriptor", {{"columns", columns}}}};
    }
    apply_table_flags(table, o->flags);
    const json created = ctx.api().post(api_path({"v1", "databases", ref.database, "tables"}), table);
    if (ctx.json()) return print_json(ctx.out(), created);
    ctx.out() << "Created table '" << field(created, "database_name") << "." << field(created, "name")
              << "' (version " << field(created, "version_id") << ").\n";
  });
}

void add_table_update(CLI::App* parent, CommandRegistry& registry) {
  struct Opts {
    std::string ref, file;
    std::vector<std::string> add_columns, drop_columns;
    std::optional<long long> expected_version;
    TableFlags flags;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = parent->add_subcommand("update", "Change a table; every update creates a new version");
  cmd->add_option("DB.TABLE", o->ref, "Database and table name")->required();
  auto* file = cmd->add_option("--file", o->file, "Replace the whole definition with this JSON Table");
  auto* add =
      cmd->add_option("--add-column", o->add_columns, "Append column name:type[:comment] (repeatable)")
          ->allow_extra_args(false);
  auto* drop = cmd->add_option("--drop-column", o->drop_columns, "Remove column NAME (repeatable)")
                   ->allow_extra_args(false);
  file->excludes(add)->excludes(drop);
  cmd->add_option("--expected-version", o->expected_version,
                  "Fail unless the table is still at this version (default: the version just read)");
  add_table_flags(cmd, o->flags);
  cmd->footer(
      "The table is read, changed and written back naming the version read, so a concurrent change makes "
      "the\n"
      "update fail (exit 1) instead of being lost. Examples:\n"
      "  cairn table update sales.orders --add-column 'discount:decimal(5,2)' --description \"Orders, with "
      "discounts\"\n"
      "  cairn table update sales.orders --drop-column legacy_flag --expected-version 4\n"
      "  cairn table update sales.orders --file orders.json");
  registry.on(cmd, [o](Context& ctx) {
    const TableRef ref = parse_table_ref(o->ref);
    const TableFlags& f = o->flags;
    if (o->file.empty() && o->add_columns.empty() && o->drop_columns.empty() && !f.description &&
        !f.location && !f.format && !f.owner && !f.table_type && f.params.empty()) {
      throw UserError(
          "table update: nothing to change (use --file, --add-column, --drop-column, --description, --param, "
          "--location, --format, --owner or --table-type)");
    }
    const std::string path = table_path(ref);
    json current = ctx.api().get(path);
    const long long read_version = current.value("version_id", 0LL);

    json table = o->file.empty() ? current : table_from_file(o->file, ref);
    json& columns = storage_descriptor_of(table)["columns"];
    if (!columns.is_array()) columns = json::array();
    for (const auto& name : o->drop_columns) {
      const std::string wanted = to_lower(name);
      auto it = std::find_if(columns.begin(), columns.end(),
                             [&](const json& c) { return to_lower(field(c, "name")) == wanted; });
      if (it == columns.end()) throw UserError("table '" + ref.display() + "' has no column '" + name + "'");
      columns.erase(it);
    }
    for (const auto& spec : o->add_columns) {
      json column = parse_column_spec(spec, "--add-column");
      const std::string wanted = to_lower(column["name"].get<std::string>());
      for (const auto& c : columns) {
        if (to_lower(field(c, "name")) == wanted) {
          throw UserError("table '" + ref.display() + "' already has a column '" + field(c, "name") + "'");
        }
      }
      columns.push_back(std::move(column));
    }
    apply_table_flags(table, f);

    long long expected = read_version;
    if (o->expected_version) {
      expected = *o->expected_version;
    } else if (table.contains("expected_version_id") && table["expected_version_id"].is_number_integer()) {
      expected = table["expected_version_id"].get<long long>();
    }
    table["expected_version_id"] = expected;

    json updated;
    try {
      updated = ctx.api().put(path, table);
    } catch (const ApiError& e) {
      if (e.code() != "VersionConflict") throw;
      const std::string message =
          o->expected_version
              ? "table '" + ref.display() + "' is no longer at version " + std::to_string(expected) +
                    "; nothing was changed (see 'cairn table versions " + ref.display() + "')"
              : "table '" + ref.display() + "' was changed by someone else after version " +
                    std::to_string(expected) + " was read; nothing was changed, run the command again";
      throw CliError(e.exit_code(), format_api_error(message, e.code(), {}, e.request_id()));
    }
    if (ctx.json()) return print_json(ctx.out(), updated);
    ctx.out() << "Updated table '" << ref.display() << "' (version " << expected << " -> "
              << field(updated, "version_id") << ").\n";
  });
}

void add_table_commands(CLI::App& app, CommandRegistry& registry) {
  auto* tbl =
      app.add_subcommand("table", "Create, list, describe, update and delete tables and their versions");
  tbl->alias("tables");
  tbl->require_subcommand(1);
  add_table_create(tbl, registry);
  {
    auto db = std::make_shared<std::string>();
    auto* cmd = tbl->add_subcommand("list", "List the tables of a database");
    cmd->alias("ls");
    cmd->add_option("DB", *db, "Database name")->required();
    registry.on(cmd, [db](Context& ctx) {
      const json page = ctx.api().list_all(api_path({"v1", "databases", *db, "tables"}), "tables");
      if (ctx.json()) return print_json(ctx.out(), page);
      TextTable table({"NAME", "TYPE", "FORMAT", "COLUMNS", "PARTITION KEYS", "VERSION", "UPDATED"});
      for (const auto& t : array_of(page, "tables")) {
        const json sd = t.value("storage_descriptor", json::object());
        std::string keys;
        for (const auto& k : array_of(t, "partition_keys"))
          keys += (keys.empty() ? "" : ",") + field(k, "name");
        table.add_row({field(t, "name"), field(t, "table_type"), describe_format(sd),
                       std::to_string(array_of(sd, "columns").size()), keys, field(t, "version_id"),
                       field(t, "update_time")});
      }
      table.print(ctx.out());
    });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto* cmd =
        tbl->add_subcommand("describe", "Show a table: columns, partition keys, location, format, version");
    cmd->alias("get");
    cmd->add_option("DB.TABLE", *ref, "Database and table name")->required();
    registry.on(cmd, [ref](Context& ctx) {
      const json table = ctx.api().get(table_path(parse_table_ref(*ref)));
      if (ctx.json()) return print_json(ctx.out(), table);
      print_table_details(ctx.out(), table);
    });
  }
  add_table_update(tbl, registry);
  {
    auto ref = std::make_shared<std::string>();
    auto* cmd = tbl->add_subcommand("delete", "Delete a table, its versions and its partitions");
    cmd->alias("rm");
    cmd->add_option("DB.TABLE", *ref, "Database and table name")->required();
    registry.on(cmd, [ref](Context& ctx) {
      const TableRef r = parse_table_ref(*ref);
      ctx.api().del(table_path(r));
      if (!ctx.json()) ctx.out() << "Deleted table '" << to_lower(r.display()) << "'.\n";
    });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto* cmd =
        tbl->add_subcommand("versions", "List the versions of a table (newest first as the server orders)");
    cmd->add_option("DB.TABLE", *ref, "Database and table name")->required();
    registry.on(cmd, [ref](Context& ctx) {
      const json page = ctx.api().list_all(table_path(parse_table_ref(*ref)) + "/versions", "versions");
      if (ctx.json()) return print_json(ctx.out(), page);
      TextTable table({"VERSION", "UPDATED", "COLUMNS", "DESCRIPTION"});
      for (const auto& v : array_of(page, "versions")) {
        const json sd = v.value("storage_descriptor", json::object());
        table.add_row({field(v, "version_id"), field(v, "update_time"),
                       std::to_string(array_of(sd, "columns").size()), field(v, "description")});
      }
      table.print(ctx.out());
    });
  }
  {
    struct Opts {
      std::string ref;
      long long version = 0;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = tbl->add_subcommand("version", "Show one version of a table");
    cmd->add_option("DB.TABLE", o->ref, "Database and table name")->required();
    cmd->add_option("N", o->version, "Version id")->required()->check(CLI::PositiveNumber);
    cmd->footer("Example:\n  cairn table version sales.orders 2");
    registry.on(cmd, [o](Context& ctx) {
      const json table =
          ctx.api().get(table_path(parse_table_ref(o->ref)) + "/versions/" + std::to_string(o->version));
      if (ctx.json()) return print_json(ctx.out(), table);
      print_table_details(ctx.out(), table);
    });
  }
}

}  // namespace

void add_catalog_commands(CLI::App& app, CommandRegistry& registry) {
  add_database_commands(app, registry);
  add_table_commands(app, registry);
}

}  // namespace cairn::api::cli
