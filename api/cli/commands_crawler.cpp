// Crawler and connection commands: cairn crawler create|update|get|list|delete|start|stop|runs and
// cairn connection create|update|get|list|delete. Routes: docs/api/openapi.yaml, "Crawlers".

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_error.h"
#include "context.h"
#include "output.h"

namespace cairn::api::cli {
namespace {

using nlohmann::json;

/// Flags shared by create and update; unset flags leave the definition as it is (update) or default (create).
struct CrawlerFlags {
  std::string name;
  std::string from_file;
  std::string description;
  std::string database;
  std::vector<std::string> targets;
  std::string connection;
  std::vector<std::string> exclusions;
  std::optional<int> sample_size;
  std::optional<std::string> table_prefix;
  std::string update_behavior;
  std::string delete_behavior;
  bool merge_new_columns_only = false;
  bool replace_columns = false;
  std::string recrawl;
  bool combine = false;
  bool separate = false;
  std::optional<int> table_level;
  std::optional<std::string> schedule;
};

void add_crawler_flags(CLI::App* cmd, CrawlerFlags& f) {
  cmd->add_option("NAME", f.name, "Crawler name")->required();
  cmd->add_option("--from-file", f.from_file,
                  "A JSON definition (the API's Crawler shape, e.g. from `cairn crawler get NAME -o json`); "
                  "flags given as well override it");
  cmd->add_option("--description", f.description, "Free text");
  cmd->add_option("--database", f.database, "Database the tables go to (must exist)");
  cmd->add_option("--target", f.targets,
                  "A local directory (/abs/dir or file:///abs/dir) or s3://bucket/prefix; repeat for several")
      ->take_all();
  cmd->add_option("--connection", f.connection, "Connection for the s3:// targets (see `cairn connection`)");
  cmd->add_option("--exclude", f.exclusions,
                  "Glob of files to skip, relative to each target (*, **, ?, [a-z], {a,b})")
      ->take_all();
  cmd->add_option("--sample-size", f.sample_size, "Files read per leaf folder (1..249; 0 reads every file)");
  cmd->add_option("--table-prefix", f.table_prefix, "Prepended to every table name");
  cmd->add_option("--update-behavior", f.update_behavior, "UPDATE_IN_DATABASE (default) or LOG")
      ->check(CLI::IsMember({"UPDATE_IN_DATABASE", "LOG"}));
  cmd->add_option("--delete-behavior", f.delete_behavior,
                  "DEPRECATE_IN_DATABASE (default), DELETE_FROM_DATABASE or LOG")
      ->check(CLI::IsMember({"DEPRECATE_IN_DATABASE", "DELETE_FROM_DATABASE", "LOG"}));
  cmd->add_flag("--merge-new-columns-only", f.merge_new_columns_only,
                "Add new columns to existing tables, never change or remove columns");
  cmd->add_flag("--replace-columns", f.replace_columns, "Undo --merge-new-columns-only (update)");
  cmd->add_option("--recrawl", f.recrawl,
                  "everything (default) or new-folders (then both behaviors must be LOG, as in Glue)")
      ->check(CLI::IsMember({"everything", "new-folders"}));
  cmd->add_flag("--combine-compatible-schemas", f.combine, "One table for sibling folders of one format");
  cmd->add_flag("--separate-schemas", f.separate, "Undo --combine-compatible-schemas (update)");
  cmd->add_option("--table-level", f.table_level,
                  "Folder level of the tables (1 = the target itself; 0 = automatic)");
  cmd->add_option(
      "--schedule", f.schedule,
      "cron(Minutes Hours Day-of-month Month Day-of-week Year) or rate(N minutes|hours|days), UTC; "
      "\"\" removes it");
}

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UserError("--from-file " + path + ": cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw UserError("--from-file " + path + ": not a JSON object");
  return j;
}

/// Applies the flags that were given onto `def` (a definition in the API's JSON shape).
void apply_flags(const CrawlerFlags& f, json& def) {
  def["name"] = f.name;
  if (!f.description.empty()) def["description"] = f.description;
  if (!f.database.empty()) def["database"] = f.database;
  if (!f.targets.empty()) {
    json targets = json::array();
    for (const auto& t : f.targets) {
      json target{{"path", t}};
      if (t.rfind("s3://", 0) == 0) {
        if (f.connection.empty()) throw UserError("--target " + t + ": s3:// targets need --connection NAME");
        target["connection"] = f.connection;
      }
      if (!f.exclusions.empty()) target["exclusions"] = f.exclusions;
      if (f.sample_size) target["sample_size"] = *f.sample_size;
      targets.push_back(std::move(target));
    }
    def["targets"] = std::move(targets);
  } else if (def.contains("targets") && def["targets"].is_array()) {
    for (auto& target : def["targets"]) {
      if (!f.exclusions.empty()) target["exclusions"] = f.exclusions;
      if (f.sample_size) target["sample_size"] = *f.sample_size;
      if (!f.connection.empty() && target.value("path", "").rfind("s3://", 0) == 0)
        target["connection"] = f.connection;
    }
  }
  if (f.table_prefix) def["table_prefix"] = *f.table_prefix;
  if (!f.update_behavior.empty() || !f.delete_behavior.empty()) {
    json policy = def.value("schema_change_policy", json::object());
    if (!f.update_behavior.empty()) policy["update_behavior"] = f.update_behavior;
    if (!f.delete_behavior.empty()) policy["delete_behavior"] = f.delete_behavior;
    def["schema_change_policy"] = std::move(policy);
  }
  if (f.merge_new_columns_only) def["merge_new_columns_only"] = true;
  if (f.replace_columns) def["merge_new_columns_only"] = false;
  if (!f.recrawl.empty())
    def["recrawl_behavior"] = f.recrawl == "new-folders" ? "CRAWL_NEW_FOLDERS_ONLY" : "CRAWL_EVERYTHING";
  if (f.combine || f.separate || f.table_level) {
    json grouping = def.value("grouping", json::object());
    if (f.combine) grouping["combine_compatible_schemas"] = true;
    if (f.separate) grouping["combine_compatible_schemas"] = false;
    if (f.table_level) grouping["table_level"] = *f.table_level;
    def["grouping"] = std::move(grouping);
  }
  if (f.schedule) def["schedule"] = *f.schedule;
}

/// Only the definition's fields (the API returns state and times beside them).
json definition_only(const json& crawler) {
  json def = json::object();
  for (const char* key :
       {"name", "description", "targets", "database", "table_prefix", "schema_change_policy",
        "merge_new_columns_only", "recrawl_behavior", "grouping", "classifiers", "schedule"}) {
    if (crawler.contains(key)) def[key] = crawler.at(key);
  }
  return def;
}

std::string targets_text(const json& crawler) {
  std::string out;
  for (const auto& t : array_of(crawler, "targets")) out += (out.empty() ? "" : ", ") + field(t, "path");
  return out;
}

std::string count(const json& stats, const char* key) {
  return std::to_string(stats.value(key, std::int64_t{0}));
}

void print_run_summary(Context& ctx, const json& run) {
  const json stats = run.value("stats", json::object());
  print_fields(ctx.out(), {{"Run", field(run, "id")},
                           {"Status", field(run, "status")},
                           {"Trigger", field(run, "trigger")},
                           {"Started", field(run, "start_time")},
                           {"Ended", field(run, "end_time")},
                           {"Duration (s)", field(run, "duration_seconds")},
                           {"Error", field(run, "error")},
                           {"Files listed / read / unchanged", count(stats, "files_listed") + " / " +
                                                                   count(stats, "files_read") + " / " +
                                                                   count(stats, "files_unchanged")},
                           {"Files removed / failed / excluded", count(stats, "files_removed") + " / " +
                                                                     count(stats, "files_failed") + " / " +
                                                                     count(stats, "files_excluded")},
                           {"Bytes read", count(stats, "bytes_read")},
                           {"Tables created / updated / unchanged",
                            count(stats, "tables_created") + " / " + count(stats, "tables_updated") + " / " +
                                count(stats, "tables_unchanged")},
                           {"Tables deleted / deprecated",
                            count(stats, "tables_deleted") + " / " + count(stats, "tables_deprecated")},
                           {"Partitions added / updated / removed",
                            count(stats, "partitions_added") + " / " + count(stats, "partitions_updated") +
                                " / " + count(stats, "partitions_removed")}});
  const auto& messages = array_of(stats, "messages");
  if (!messages.empty()) {
    ctx.out() << "\nNotes:\n";
    for (const auto& m : messages)
      ctx.out() << "  " << (m.is_string() ? m.get<std::string>() : m.dump()) << "\n";
  }
}

void add_crawler_create_update(CLI::App* root, CommandRegistry& registry) {
  {
    auto f = std::make_shared<CrawlerFlags>();
    auto* cmd = root->add_subcommand("create", "Define a crawler");
    add_crawler_flags(cmd, *f);
    cmd->footer(
        "Examples:\n"
        "  cairn crawler create sales --database lake --target /data/lake/sales --exclude '**/_tmp/**'\n"
        "  cairn crawler create raw --database lake --target s3://raw/events/ --connection minio \\\n"
        "      --schedule 'cron(15 2 * * ? *)'");
    registry.on(cmd, [f](Context& ctx) {
      json def = f->from_file.empty() ? json::object() : read_json_file(f->from_file);
      apply_flags(*f, def);
      const json created = ctx.api().post(api_path({"v1", "crawlers"}), def);
      if (ctx.json()) return print_json(ctx.out(), created);
      ctx.out() << "Created crawler '" << field(created, "name") << "' (database "
                << field(created, "database") << ", targets " << targets_text(created) << ").\n";
      if (!field(created, "next_run").empty())
        ctx.out() << "Next scheduled run: " << field(created, "next_run") << "\n";
    });
  }
  {
    auto f = std::make_shared<CrawlerFlags>();
    auto* cmd = root->add_subcommand("update", "Change a crawler; flags not given keep their values");
    add_crawler_flags(cmd, *f);
    registry.on(cmd, [f](Context& ctx) {
      const json current = ctx.api().get(api_path({"v1", "crawlers", f->name}));
      json def = f->from_file.empty() ? definition_only(current) : read_json_file(f->from_file);
      apply_flags(*f, def);
      def["expected_version"] = current.value("version", std::int64_t{0});
      const json updated = ctx.api().put(api_path({"v1", "crawlers", f->name}), def);
      if (ctx.json()) return print_json(ctx.out(), updated);
      ctx.out() << "Updated crawler '" << f->name << "' (version " << field(updated, "version") << ").\n";
    });
  }
}

/// Polls the run until it ends; on a terminal, shows progress on one line.
json wait_for_run(Context& ctx, const std::string& name, const json& run) {
  const bool tty = !ctx.json() && ::isatty(STDOUT_FILENO) == 1;
  const std::string path = api_path({"v1", "crawlers", name, "runs", field(run, "id")});
  const auto start = std::chrono::steady_clock::now();
  json current = run;
  while (field(current, "status") == "RUNNING") {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    current = ctx.api().get(path);
    if (tty) {
      const json s = current.value("stats", json::object());
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char line[256];
      std::snprintf(line, sizeof line, "\r%s: %s files listed, %s read, %s tables written, %.1f s   ",
                    name.c_str(), count(s, "files_listed").c_str(), count(s, "files_read").c_str(),
                    std::to_string(s.value("tables_created", 0) + s.value("tables_updated", 0)).c_str(),
                    secs);
      ctx.out() << line << std::flush;
    }
  }
  if (tty) ctx.out() << "\n";
  return current;
}

void add_crawler_run_commands(CLI::App* root, CommandRegistry& registry) {
  {
    struct Opts {
      std::string name;
      bool wait = false;
      std::vector<std::string> folders;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("start", "Run a crawler now");
    cmd->add_option("NAME", o->name, "Crawler name")->required();
    cmd->add_flag("--wait", o->wait, "Wait for the run to end, showing progress, then print a summary");
    cmd->add_option("--folder", o->folders, "Crawl only this folder under a target (repeatable)")->take_all();
    registry.on(cmd, [o](Context& ctx) {
      json body = json::object();
      if (!o->folders.empty()) body["folders"] = o->folders;
      json run = ctx.api().post(api_path({"v1", "crawlers", o->name, "start"}), body);
      if (!o->wait) {
        if (ctx.json()) return print_json(ctx.out(), run);
        ctx.out() << "Started crawler '" << o->name << "' (run " << field(run, "id")
                  << "). Follow it with: cairn crawler runs " << o->name << "\n";
        return;
      }
      run = wait_for_run(ctx, o->name, run);
      if (ctx.json()) {
        print_json(ctx.out(), run);
      } else {
        print_run_summary(ctx, run);
      }
      if (field(run, "status") == "FAILED")
        throw CliError(kExitUserError, "crawler '" + o->name + "' failed: " + field(run, "error"));
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("stop", "Stop a running crawler (what it wrote stays)");
    cmd->add_option("NAME", *name, "Crawler name")->required();
    registry.on(cmd, [name](Context& ctx) {
      const json c = ctx.api().post(api_path({"v1", "crawlers", *name, "stop"}), json::object());
      if (ctx.json()) return print_json(ctx.out(), c);
      ctx.out() << "Stopping crawler '" << *name << "' (state " << field(c, "state") << ").\n";
    });
  }
  {
    struct Opts {
      std::string name;
      std::size_t limit = 20;
      std::string run_id;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("runs", "Run history, newest first (or one run with --run)");
    cmd->add_option("NAME", o->name, "Crawler name")->required();
    cmd->add_option("--limit", o->limit, "Runs shown")->check(CLI::Range(1, 1000));
    cmd->add_option("--run", o->run_id, "Show this run in full");
    registry.on(cmd, [o](Context& ctx) {
      if (!o->run_id.empty()) {
        const json run = ctx.api().get(api_path({"v1", "crawlers", o->name, "runs", o->run_id}));
        if (ctx.json()) return print_json(ctx.out(), run);
        return print_run_summary(ctx, run);
      }
      const json page =
          ctx.api().list_all(api_path({"v1", "crawlers", o->name, "runs"}), "runs", {}, o->limit);
      if (ctx.json()) return print_json(ctx.out(), page);
      TextTable table({"RUN", "STATUS", "TRIGGER", "STARTED", "SECONDS", "FILES READ", "TABLES +/~",
                       "PARTITIONS +", "ERROR"});
      for (const auto& r : array_of(page, "runs")) {
        const json s = r.value("stats", json::object());
        table.add_row({field(r, "id"), field(r, "status"), field(r, "trigger"), field(r, "start_time"),
                       field(r, "duration_seconds"), count(s, "files_read"),
                       count(s, "tables_created") + "/" + count(s, "tables_updated"),
                       count(s, "partitions_added"), field(r, "error")});
      }
      table.print(ctx.out());
    });
  }
}

void add_crawler_commands(CLI::App& app, CommandRegistry& registry) {
  auto* root = app.add_subcommand("crawler", "Crawlers: infer tables and partitions from files");
  root->alias("crawlers");
  root->require_subcommand(1);
  add_crawler_create_update(root, registry);
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("get", "Show a crawler, its state and last run");
    cmd->add_option("NAME", *name, "Crawler name")->required();
    registry.on(cmd, [name](Context& ctx) {
      const json c = ctx.api().get(api_path({"v1", "crawlers", *name}));
      if (ctx.json()) return print_json(ctx.out(), c);
      const json policy = c.value("schema_change_policy", json::object());
      const json grouping = c.value("grouping", json::object());
      print_fields(ctx.out(), {{"Name", field(c, "name")},
                               {"State", field(c, "state")},
                               {"Database", field(c, "database")},
                               {"Targets", targets_text(c)},
                               {"Table prefix", field(c, "table_prefix")},
                               {"Schedule", field(c, "schedule")},
                               {"Next run", field(c, "next_run")},
                               {"Update / delete behavior",
                                field(policy, "update_behavior") + " / " + field(policy, "delete_behavior")},
                               {"Recrawl", field(c, "recrawl_behavior")},
                               {"Combine compatible schemas", field(grouping, "combine_compatible_schemas")},
                               {"Table level", field(grouping, "table_level")},
                               {"Version", field(c, "version")}});
      if (c.contains("last_run")) {
        ctx.out() << "\nLast run:\n";
        print_run_summary(ctx, c.at("last_run"));
      }
    });
  }
  {
    auto* cmd = root->add_subcommand("list", "List the crawlers you may see");
    cmd->alias("ls");
    registry.on(cmd, [](Context& ctx) {
      const json page = ctx.api().list_all(api_path({"v1", "crawlers"}), "crawlers");
      if (ctx.json()) return print_json(ctx.out(), page);
      TextTable table({"NAME", "STATE", "DATABASE", "TARGETS", "SCHEDULE", "LAST RUN", "LAST STATUS"});
      for (const auto& c : array_of(page, "crawlers")) {
        const json last = c.value("last_run", json::object());
        table.add_row({field(c, "name"), field(c, "state"), field(c, "database"), targets_text(c),
                       field(c, "schedule"), field(last, "start_time"), field(last, "status")});
      }
      table.print(ctx.out());
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("delete", "Delete a crawler (its tables stay)");
    cmd->add_option("NAME", *name, "Crawler name")->required();
    registry.on(cmd, [name](Context& ctx) {
      ctx.api().del(api_path({"v1", "crawlers", *name}));
      if (!ctx.json()) ctx.out() << "Deleted crawler '" << *name << "'.\n";
    });
  }
  add_crawler_run_commands(root, registry);
}

struct ConnectionFlags {
  std::string name;
  std::string endpoint;
  std::string region;
  bool virtual_host = false;
  std::string access_key_id;
  std::string secret_env;
};

void add_connection_flags(CLI::App* cmd, ConnectionFlags& f) {
  cmd->add_option("NAME", f.name, "Connection name")->required();
  cmd->add_option("--endpoint", f.endpoint,
                  "http://host:port of an S3-compatible store (TLS: put a proxy in front)");
  cmd->add_option("--region", f.region, "Region (default us-east-1)");
  cmd->add_flag("--virtual-host", f.virtual_host, "Address buckets as bucket.host instead of host/bucket");
  cmd->add_option("--access-key-id", f.access_key_id, "Access key id");
  cmd->add_option(
      "--secret-from-env", f.secret_env,
      "Environment variable holding the secret access key (default AWS_SECRET_ACCESS_KEY); secrets "
      "are never taken on the command line");
}

json connection_body(const ConnectionFlags& f, bool create) {
  json body{{"name", f.name}};
  if (!f.endpoint.empty()) body["endpoint"] = f.endpoint;
  if (!f.region.empty()) body["region"] = f.region;
  body["path_style"] = !f.virtual_host;
  if (!f.access_key_id.empty()) body["access_key_id"] = f.access_key_id;
  const std::string var = f.secret_env.empty() ? "AWS_SECRET_ACCESS_KEY" : f.secret_env;
  const char* secret = std::getenv(var.c_str());
  if (secret && *secret) {
    body["secret_access_key"] = secret;
  } else if (create || !f.secret_env.empty()) {
    throw UserError("set the secret access key in the environment variable " + var +
                    " (or name another with "
                    "--secret-from-env)");
  }
  return body;
}

void add_connection_commands(CLI::App& app, CommandRegistry& registry) {
  auto* root = app.add_subcommand("connection", "Connections to S3-compatible stores (administrators)");
  root->alias("connections");
  root->require_subcommand(1);
  auto print = [](Context& ctx, const json& c) {
    print_fields(ctx.out(), {{"Name", field(c, "name")},
                             {"Endpoint", field(c, "endpoint")},
                             {"Region", field(c, "region")},
                             {"Addressing", c.value("path_style", true) ? "path-style" : "virtual-host"},
                             {"Access key id", field(c, "access_key_id")},
                             {"Updated", field(c, "update_time")}});
  };
  {
    auto f = std::make_shared<ConnectionFlags>();
    auto* cmd = root->add_subcommand("create", "Define a connection");
    add_connection_flags(cmd, *f);
    cmd->footer(
        "Example:\n  AWS_SECRET_ACCESS_KEY=... cairn connection create minio --endpoint http://minio:9000 "
        "--access-key-id AKIA...");
    registry.on(cmd, [f](Context& ctx) {
      const json c = ctx.api().post(api_path({"v1", "connections"}), connection_body(*f, true));
      if (ctx.json()) return print_json(ctx.out(), c);
      ctx.out() << "Created connection '" << field(c, "name") << "'.\n";
    });
  }
  {
    auto f = std::make_shared<ConnectionFlags>();
    auto* cmd =
        root->add_subcommand("update", "Change a connection (the secret only with --secret-from-env)");
    add_connection_flags(cmd, *f);
    registry.on(cmd, [f, print](Context& ctx) {
      json body = connection_body(*f, false);
      const json current = ctx.api().get(api_path({"v1", "connections", f->name}));
      if (!body.contains("endpoint")) body["endpoint"] = field(current, "endpoint");
      if (!body.contains("region")) body["region"] = field(current, "region");
      const json c = ctx.api().put(api_path({"v1", "connections", f->name}), body);
      if (ctx.json()) return print_json(ctx.out(), c);
      print(ctx, c);
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("get", "Show a connection (never its secret)");
    cmd->add_option("NAME", *name, "Connection name")->required();
    registry.on(cmd, [name, print](Context& ctx) {
      const json c = ctx.api().get(api_path({"v1", "connections", *name}));
      if (ctx.json()) return print_json(ctx.out(), c);
      print(ctx, c);
    });
  }
  {
    auto* cmd = root->add_subcommand("list", "List connections");
    cmd->alias("ls");
    registry.on(cmd, [](Context& ctx) {
      const json all = ctx.api().get(api_path({"v1", "connections"}));
      if (ctx.json()) return print_json(ctx.out(), all);
      TextTable table({"NAME", "ENDPOINT", "REGION", "ADDRESSING", "ACCESS KEY ID"});
      for (const auto& c : array_of(all, "connections")) {
        table.add_row({field(c, "name"), field(c, "endpoint"), field(c, "region"),
                       c.value("path_style", true) ? "path-style" : "virtual-host",
                       field(c, "access_key_id")});
      }
      table.print(ctx.out());
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("delete", "Delete a connection no crawler uses");
    cmd->add_option("NAME", *name, "Connection name")->required();
    registry.on(cmd, [name](Context& ctx) {
      ctx.api().del(api_path({"v1", "connections", *name}));
      if (!ctx.json()) ctx.out() << "Deleted connection '" << *name << "'.\n";
    });
  }
}

}  // namespace

void add_crawler_commands_all(CLI::App& app, CommandRegistry& registry) {
  add_crawler_commands(app, registry);
  add_connection_commands(app, registry);
}

}  // namespace cairn::api::cli
