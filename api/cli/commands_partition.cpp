#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "context.h"
#include "output.h"
#include "specs.h"
#include "table_view.h"

namespace cairn::api::cli {
namespace {

using nlohmann::json;

std::string partitions_path(const TableRef& ref) {
  return api_path({"v1", "databases", ref.database, "tables", ref.table, "partitions"});
}

/// Partition value lists from positional VALUE... (one partition) and repeated --values v1,v2.
std::vector<std::vector<std::string>> value_lists(const std::vector<std::string>& positional,
                                                  const std::vector<std::string>& lists) {
  std::vector<std::vector<std::string>> out;
  if (!positional.empty()) out.push_back(positional);
  for (const auto& list : lists) out.push_back(split_commas(list));
  return out;
}

std::string render_values(const json& values) {
  std::string out;
  for (const auto& v : values)
    out += (out.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return "[" + out + "]";
}

/// Hive-style default location of a partition: the table location followed by key=value directories.
std::string default_location(const json& table, const std::vector<std::string>& values) {
  const json sd = table.value("storage_descriptor", json::object());
  std::string base = field(sd, "location");
  if (base.empty()) return {};
  if (base.back() != '/') base += '/';
  const json& keys = array_of(table, "partition_keys");
  for (std::size_t i = 0; i < values.size() && i < keys.size(); ++i) {
    base += field(keys[i], "name") + "=" + values[i] + "/";
  }
  return base;
}

/// Throws one UserError line listing the failed items of a batch answer; returns when there are none.
void throw_batch_errors(const json& answer, const char* verb, std::size_t total) {
  const json& errors = array_of(answer, "errors");
  if (errors.empty()) return;
  std::string message =
      std::to_string(errors.size()) + " of " + std::to_string(total) + " partition(s) not " + verb + ": ";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const json& e = errors[i];
    message += (i == 0 ? "" : "; ") + render_values(array_of(e, "values")) + " " + field(e, "message") +
               " (" + field(e, "code") + ")";
  }
  throw UserError(message);
}

void add_partition_add(CLI::App* parent, CommandRegistry& registry) {
  struct Opts {
    std::string ref, file, location;
    std::vector<std::string> values, value_lists, params;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = parent->add_subcommand("add", "Add one or more partitions to a table");
  cmd->add_option("DB.TABLE", o->ref, "Database and table name")->required();
  cmd->add_option("VALUE", o->values, "The partition's values, one per partition key, in key order");
  cmd->add_option("--values", o->value_lists, "Values of one more partition, comma-separated (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--file", o->file, "JSON file: a list of Partition objects, or {\"partitions\": [...]}");
  cmd->add_option("--location", o->location,
                  "Location of the partition (default: table location + key=value/ directories)");
  cmd->add_option("--param", o->params, "Partition parameter key=value (repeatable)")
      ->allow_extra_args(false);
  cmd->footer(
      "Partitions copy the table's storage descriptor (columns, format); only the location differs.\n"
      "Examples:\n"
      "  cairn partition add sales.orders 2026 11 --location s3://lake/sales/orders/year=2026/month=11/\n"
      "  cairn partition add sales.orders --values 2026,10 --values 2026,12\n"
      "  cairn partition add sales.orders --file partitions.json");
  registry.on(cmd, [o](Context& ctx) {
    const TableRef ref = parse_table_ref(o->ref);
    const auto lists = value_lists(o->values, o->value_lists);
    json partitions = json::array();
    if (!o->file.empty()) {
      if (!lists.empty()) throw UserError("partition add: give values or --file, not both");
      json content = read_json_file(o->file);
      if (content.is_object() && content.contains("partitions")) content = content["partitions"];
      if (!content.is_array()) {
        throw UserError("'" + o->file + "' must hold a list of partitions or {\"partitions\": [...]}");
      }
      partitions = content;
    } else {
      if (lists.empty())
        throw UserError("partition add: give the partition's values (VALUE... or --values v1,v2)");
      if (!o->location.empty() && lists.size() > 1) {
        throw UserError(
            "partition add: --location applies to one partition; use --file to add several with locations");
      }
      const json table = ctx.api().get(api_path({"v1", "databases", ref.database, "tables", ref.table}));
      json parameters = json::object();
      for (const auto& spec : o->params) {
        auto [key, value] = parse_key_value(spec, "--param");
        parameters[key] = value;
      }
      for (const auto& values : lists) {
        json sd = table.value("storage_descriptor", json::object());
        sd["location"] = o->location.empty() ? default_location(table, values) : o->location;
        partitions.push_back({{"values", values}, {"storage_descriptor", sd}, {"parameters", parameters}});
      }
    }
    const json answer = ctx.api().post(partitions_path(ref), json{{"partitions", partitions}});
    if (ctx.json()) {
      print_json(ctx.out(), answer);
    } else {
      const std::size_t failed = array_of(answer, "errors").size();
      ctx.out() << "Added " << partitions.size() - std::min(failed, partitions.size()) << " of "
                << partitions.size() << " partition(s) to '" << ref.display() << "'.\n";
    }
    throw_batch_errors(answer, "added", partitions.size());
  });
}

void add_partition_list(CLI::App* parent, CommandRegistry& registry) {
  struct Opts {
    std::string ref, filter;
    std::size_t max = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = parent->add_subcommand("list", "List a table's partitions, optionally filtered");
  cmd->alias("ls");
  cmd->add_option("DB.TABLE", o->ref, "Database and table name")->required();
  cmd->add_option(
      "--filter", o->filter,
      "Partition filter in Glue's syntax over the partition keys (=, <>, <, >, <=, >=, AND, OR, NOT, "
      "IN, BETWEEN, LIKE, IS [NOT] NULL)");
  cmd->add_option("--max", o->max, "Stop after N partitions (default: all pages)")
      ->check(CLI::PositiveNumber);
  cmd->footer(
      "Examples:\n"
      "  cairn partition list sales.orders --filter \"year = '2026' AND month BETWEEN '01' AND '06'\"\n"
      "  cairn partition list sales.orders --max 100 --output json");
  registry.on(cmd, [o](Context& ctx) {
    const TableRef ref = parse_table_ref(o->ref);
    json keys = json::array();
    if (!ctx.json()) {
      keys = array_of(ctx.api().get(api_path({"v1", "databases", ref.database, "tables", ref.table})),
                      "partition_keys");
    }
    Query query;
    if (!o->filter.empty()) query.emplace_back("filter", o->filter);
    const json page = ctx.api().list_all(partitions_path(ref), "partitions", query, o->max);
    if (ctx.json()) return print_json(ctx.out(), page);

    std::vector<std::string> headers;
    for (const auto& key : keys) headers.push_back(to_upper(field(key, "name")));
    if (headers.empty()) headers.push_back("VALUES");
    headers.push_back("LOCATION");
    headers.push_back("CREATED");
    TextTable table(headers);
    for (const auto& p : array_of(page, "partitions")) {
      std::vector<std::string> row;
      const json& values = array_of(p, "values");
      if (keys.empty()) {
        row.push_back(render_values(values));
      } else {
        for (std::size_t i = 0; i < keys.size(); ++i) {
          row.push_back(i < values.size() && values[i].is_string() ? values[i].get<std::string>()
                                                                   : std::string());
        }
      }
      row.push_back(field(p.value("storage_descriptor", json::object()), "location"));
      row.push_back(field(p, "create_time"));
      table.add_row(std::move(row));
    }
    table.print(ctx.out());
    if (page.contains("next_token")) {
      std::cerr << "(stopped after " << o->max << " partitions; more exist)\n";
    }
  });
}

}  // namespace

void add_partition_commands(CLI::App& app, CommandRegistry& registry) {
  auto* part = app.add_subcommand("partition", "Add, list, get and delete partitions of a table");
  part->alias("partitions");
  part->require_subcommand(1);
  add_partition_add(part, registry);
  add_partition_list(part, registry);
  {
    struct Opts {
      std::string ref;
      std::vector<std::string> values;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = part->add_subcommand("get", "Show one partition");
    cmd->alias("describe");
    cmd->add_option("DB.TABLE", o->ref, "Database and table name")->required();
    cmd->add_option("VALUE", o->values, "The partition's values in key order")->required();
    cmd->footer("Example:\n  cairn partition get sales.orders 2026 11");
    registry.on(cmd, [o](Context& ctx) {
      const TableRef ref = parse_table_ref(o->ref);
      const json partition = ctx.api().get(api_path(partitions_path(ref), o->values));
      if (ctx.json()) return print_json(ctx.out(), partition);
      const json table = ctx.api().get(api_path({"v1", "databases", ref.database, "tables", ref.table}));
      print_partition_details(ctx.out(), partition, array_of(table, "partition_keys"));
    });
  }
  {
    struct Opts {
      std::string ref;
      std::vector<std::string> values, value_lists;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = part->add_subcommand("delete", "Delete one or more partitions (their files are not touched)");
    cmd->alias("rm");
    cmd->add_option("DB.TABLE", o->ref, "Database and table name")->required();
    cmd->add_option("VALUE", o->values, "The partition's values in key order");
    cmd->add_option("--values", o->value_lists, "Values of one more partition, comma-separated (repeatable)")
        ->allow_extra_args(false);
    cmd->footer(
        "Examples:\n  cairn partition delete sales.orders 2026 11\n"
        "  cairn partition delete sales.orders --values 2026,10 --values 2026,12");
    registry.on(cmd, [o](Context& ctx) {
      const TableRef ref = parse_table_ref(o->ref);
      const auto lists = value_lists(o->values, o->value_lists);
      if (lists.empty())
        throw UserError("partition delete: give the partition's values (VALUE... or --values v1,v2)");
      if (lists.size() == 1) {
        ctx.api().del(api_path(partitions_path(ref), lists.front()));
        if (!ctx.json()) {
          ctx.out() << "Deleted partition " << render_values(json(lists.front())) << " of '" << ref.display()
                    << "'.\n";
        }
        return;
      }
      const json answer = ctx.api().post(partitions_path(ref) + "/batch-delete", json{{"values", lists}});
      if (ctx.json()) {
        print_json(ctx.out(), answer);
      } else {
        const std::size_t failed = array_of(answer, "errors").size();
        ctx.out() << "Deleted " << lists.size() - std::min(failed, lists.size()) << " of " << lists.size()
                  << " partition(s) of '" << ref.display() << "'.\n";
      }
      throw_batch_errors(answer, "deleted", lists.size());
    });
  }
}

}  // namespace cairn::api::cli
