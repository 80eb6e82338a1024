// PII classification commands: cairn pii list|accept|reject|history|settings, cairn classify and
// cairn entity-type create|list|get|delete. Routes: docs/api/openapi.yaml, "Classification"; semantics:
// docs/classifiers.md.

#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli_error.h"
#include "context.h"
#include "output.h"
#include "specs.h"

namespace cairn::api::cli {
namespace {

using nlohmann::json;

/// Versions are non-negative 64-bit integers.
CLI::Range version_range() {
  return CLI::Range(std::int64_t{0}, std::numeric_limits<std::int64_t>::max());
}

/// "DB.TABLE.COLUMN": database and table names hold no dots; the column is everything after the second.
TableItemRef parse_column_ref(const std::string& text) {
  return parse_table_item_ref(text, "COLUMN", " (e.g. sales.customers.email)");
}

std::string table_path(const TableRef& t) {
  return api_path({"v1", "databases", t.database, "tables", t.table});
}

std::string confidence(const json& v) {
  if (!v.contains("confidence") || !v.at("confidence").is_number()) return {};
  char text[16];
  std::snprintf(text, sizeof text, "%.2f", v.at("confidence").get<double>());
  return text;
}

std::string matched(const json& v) {
  return field(v, "matched") + "/" + field(v, "sample_size");
}

/// The verdicts as a table; `with_table` adds the DATABASE.TABLE column.
void print_verdicts(Context& ctx, const json& verdicts, bool with_table, const std::string& indent = "") {
  std::vector<std::string> headers;
  if (with_table) headers.push_back("TABLE");
  for (const char* h : {"COLUMN", "ENTITY", "STATUS", "CONFIDENCE", "MATCHED/SAMPLE", "MASKED EXAMPLE",
                        "DECIDED BY", "VERSION"})
    headers.emplace_back(h);
  TextTable table(std::move(headers));
  for (const auto& v : verdicts) {
    std::vector<std::string> row;
    if (with_table) row.push_back(field(v, "database") + "." + field(v, "table"));
    for (std::string cell :
         {field(v, "column"), field(v, "entity"), field(v, "status"), confidence(v), matched(v),
          field(v, "masked_example"), field(v, "decided_by"), field(v, "version")})
      row.push_back(std::move(cell));
    table.add_row(std::move(row));
  }
  table.print(ctx.out(), indent);
}

/// Events as a table (history and what a classification changed).
void print_events(Context& ctx, const json& events, const std::string& indent = "") {
  TextTable table({"EVENT", "COLUMN", "ENTITY", "STATUS", "ACTOR", "TIME", "NOTE"});
  for (const auto& e : events) {
    table.add_row({field(e, "event"), field(e, "column"), field(e, "entity"), field(e, "status"),
                   field(e, "actor"), field(e, "time"), field(e, "note")});
  }
  table.print(ctx.out(), indent);
}

void print_settings(Context& ctx, const json& s) {
  print_fields(ctx.out(), {{"Mode", field(s, "mode")},
                           {"Classify on crawl", field(s, "classify_on_crawl")},
                           {"Sample size", field(s, "sample_size")},
                           {"Max files", field(s, "max_files")},
                           {"Version", field(s, "version")},
                           {"Updated", field(s, "update_time")}});
  ctx.out() << "Tags:\n";
  const json tags = s.value("tags", json::object());
  if (tags.empty()) {
    ctx.out() << "  -\n";
    return;
  }
  TextTable table({"ENTITY", "TAGS"});
  for (const auto& [entity, mapping] : tags.items()) table.add_row({entity, format_parameters(mapping)});
  table.print(ctx.out(), "  ");
}

/// Optional --expected-version as the decision body.
json version_body(const std::optional<std::int64_t>& expected) {
  json body = json::object();
  if (expected) body["expected_version"] = *expected;
  return body;
}

void add_pii_list(CLI::App* root, CommandRegistry& registry) {
  struct Opts {
    std::string database;
    std::string table;
    std::string status;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = root->add_subcommand("list", "List column verdicts you may see");
  cmd->alias("ls");
  cmd->add_option("--database", o->database, "Only this database's tables");
  cmd->add_option("--table", o->table, "Only this table (DB.TABLE)");
  cmd->add_option("--status", o->status, "Only verdicts in this status")
      ->check(CLI::IsMember({"applied", "recommended", "accepted", "rejected"}));
  cmd->footer(
      "Examples:\n"
      "  cairn pii list --status recommended\n"
      "  cairn pii list --table sales.customers -o json");
  registry.on(cmd, [o](Context& ctx) {
    Query query;
    std::string database = o->database;
    if (!o->table.empty()) {
      const TableRef ref = parse_table_ref(o->table);
      if (!database.empty() && database != ref.database)
        throw UserError("--database " + database + " and --table " + o->table + " name different databases");
      database = ref.database;
      query.emplace_back("table", ref.table);
    }
    if (!database.empty()) query.emplace_back("database", database);
    if (!o->status.empty()) query.emplace_back("status", o->status);
    const json page = ctx.api().list_all(api_path({"v1", "classifications"}), "classifications", query);
    if (ctx.json()) return print_json(ctx.out(), page);
    const auto& verdicts = array_of(page, "classifications");
    if (verdicts.empty()) {
      ctx.out() << "No classifications found.\n";
      return;
    }
    print_verdicts(ctx, verdicts, true);
  });
}

void add_pii_decision(CLI::App* root, CommandRegistry& registry, const std::string& decision) {
  struct Opts {
    std::string column;
    std::string entity;
    std::optional<std::int64_t> expected_version;
  };
  auto o = std::make_shared<Opts>();
  const bool accept = decision == "accept";
  auto* cmd = root->add_subcommand(
      decision, accept ? "Accept a verdict: assign its entity's tags"
                       : "Reject a verdict: remove its entity's tags (later crawls keep it rejected)");
  cmd->add_option("COLUMN", o->column, "DB.TABLE.COLUMN")->required();
  cmd->add_option("ENTITY", o->entity, "Entity of the verdict (EMAIL, IBAN, a custom type, ...)")->required();
  cmd->add_option("--expected-version", o->expected_version,
                  "Fail unless the verdict is still at this version (see `cairn pii list`)")
      ->check(version_range());
  cmd->footer("Example:\n  cairn pii " + decision + " sales.customers.email EMAIL");
  registry.on(cmd, [o, decision, accept](Context& ctx) {
    const TableItemRef ref = parse_column_ref(o->column);
    if (o->entity.empty()) throw UserError("ENTITY is empty (e.g. EMAIL)");
    const std::string path =
        api_path(table_path({ref.database, ref.table}) + "/classifications", {ref.name, o->entity, decision});
    const json v = ctx.api().post(path, version_body(o->expected_version));
    if (ctx.json()) return print_json(ctx.out(), v);
    ctx.out() << (accept ? "Accepted " : "Rejected ") << field(v, "entity") << " on " << ref.display()
              << (accept ? ": its tags are assigned" : ": its tags are removed") << " (status "
              << field(v, "status") << ", version " << field(v, "version") << ").\n";
  });
}

void add_pii_history(CLI::App* root, CommandRegistry& registry) {
  struct Opts {
    std::string table;
    std::size_t limit = 100;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = root->add_subcommand("history", "History of a table's verdicts and decisions, newest first");
  cmd->add_option("--table", o->table, "DB.TABLE")->required();
  cmd->add_option("--limit", o->limit, "Events shown")->check(CLI::Range(1, 100000));
  registry.on(cmd, [o](Context& ctx) {
    const TableRef ref = parse_table_ref(o->table);
    const json page = ctx.api().list_all(table_path(ref) + "/classification-history", "events", {}, o->limit);
    if (ctx.json()) return print_json(ctx.out(), page);
    const auto& events = array_of(page, "events");
    if (events.empty()) {
      ctx.out() << "No classification history for " << ref.display() << ".\n";
      return;
    }
    print_events(ctx, events);
  });
}

void add_pii_settings(CLI::App* root, CommandRegistry& registry) {
  auto* settings = root->add_subcommand("settings", "How verdicts become tags (administrators change them)");
  settings->require_subcommand(1);
  {
    auto* cmd = settings->add_subcommand("get", "Show the classification settings");
    registry.on(cmd, [](Context& ctx) {
      const json s = ctx.api().get(api_path({"v1", "classification", "settings"}));
      if (ctx.json()) return print_json(ctx.out(), s);
      print_settings(ctx, s);
    });
  }
  struct Opts {
    std::string mode;
    std::string classify_on_crawl;
    std::optional<std::int64_t> sample_size;
    std::optional<std::int64_t> max_files;
    std::string tags;
    std::optional<std::int64_t> expected_version;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd =
      settings->add_subcommand("set", "Change the classification settings; flags not given keep theirs");
  cmd->add_option("--mode", o->mode, "auto: tags applied at once; review: recommendations a steward decides")
      ->check(CLI::IsMember({"auto", "review"}));
  cmd->add_option("--classify-on-crawl", o->classify_on_crawl, "Classify every table a crawl writes")
      ->check(CLI::IsMember({"true", "false"}));
  cmd->add_option("--sample-size", o->sample_size, "Non-null values sampled per column (1..10000)");
  cmd->add_option("--max-files", o->max_files, "Files read per table at most (1..1000)");
  cmd->add_option("--tags", o->tags,
                  "Entity (or \"*\") -> {tag key: value} as JSON, or @FILE holding it; {entity} in a value "
                  "stands for the entity in lower case");
  cmd->add_option("--expected-version", o->expected_version,
                  "Fail unless the settings are still at this version (0: only defaults so far)")
      ->check(version_range());
  cmd->footer(
      "Examples:\n"
      "  cairn pii settings set --mode review\n"
      "  cairn pii settings set --tags '{\"*\": {\"pii\": \"{entity}\", \"sensitivity\": \"high\"},\n"
      "      \"IP_ADDRESS\": {\"pii\": \"ip\", \"sensitivity\": \"medium\"}}'");
  registry.on(cmd, [o](Context& ctx) {
    json body = json::object();
    if (!o->mode.empty()) body["mode"] = o->mode;
    if (!o->classify_on_crawl.empty()) body["classify_on_crawl"] = o->classify_on_crawl == "true";
    if (o->sample_size) body["sample_size"] = *o->sample_size;
    if (o->max_files) body["max_files"] = *o->max_files;
    if (!o->tags.empty()) {
      json tags =
          o->tags.front() == '@' ? read_json_file(o->tags.substr(1)) : json::parse(o->tags, nullptr, false);
      if (tags.is_discarded() || !tags.is_object())
        throw UserError("--tags: expected a JSON object such as '{\"*\": {\"pii\": \"{entity}\"}}'");
      body["tags"] = std::move(tags);
    }
    if (body.empty())
      throw UserError(
          "pii settings set: nothing to change (give --mode, --classify-on-crawl, --sample-size, --max-files "
          "or --tags)");
    if (o->expected_version) body["expected_version"] = *o->expected_version;
    const json s = ctx.api().put(api_path({"v1", "classification", "settings"}), body);
    if (ctx.json()) return print_json(ctx.out(), s);
    ctx.out() << "Updated the classification settings (version " << field(s, "version") << ").\n";
    print_settings(ctx, s);
  });
}

void add_classify(CLI::App& app, CommandRegistry& registry) {
  auto table = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("classify", "Sample a table's files now and update its PII verdicts");
  cmd->add_option("--table", *table, "DB.TABLE")->required();
  cmd->footer("Example:\n  cairn classify --table sales.customers");
  registry.on(cmd, [table](Context& ctx) {
    const TableRef ref = parse_table_ref(*table);
    const json r = ctx.api().post(table_path(ref) + "/classifications", json::object());
    if (ctx.json()) return print_json(ctx.out(), r);
    const std::string files = field(r, "files_read");
    ctx.out() << "Classified " << ref.display() << ": " << files << (files == "1" ? " file" : " files")
              << " read.\n";
    const auto& events = array_of(r, "events");
    if (events.empty()) {
      ctx.out() << "\nNo changes.\n";
    } else {
      ctx.out() << "\nChanges:\n";
      print_events(ctx, events, "  ");
    }
    const auto& verdicts = array_of(r, "verdicts");
    if (verdicts.empty()) {
      ctx.out() << "\nNo PII found.\n";
    } else {
      ctx.out() << "\nVerdicts:\n";
      print_verdicts(ctx, verdicts, false, "  ");
    }
    const auto& notes = array_of(r, "notes");
    if (!notes.empty()) {
      ctx.out() << "\nNotes:\n";
      for (const auto& n : notes)
        ctx.out() << "  " << (n.is_string() ? n.get<std::string>() : n.dump()) << "\n";
    }
  });
}

std::string words_text(const json& t) {
  std::string out;
  for (const auto& w : array_of(t, "context_words"))
    out += (out.empty() ? "" : ", ") + (w.is_string() ? w.get<std::string>() : w.dump());
  return out;
}

void add_entity_type_commands(CLI::App& app, CommandRegistry& registry) {
  auto* root =
      app.add_subcommand("entity-type", "Custom PII entity types (a name, an RE2 pattern, context words)");
  root->alias("entity-types");
  root->require_subcommand(1);
  {
    struct Opts {
      std::string name;
      std::string pattern;
      std::vector<std::string> context_words;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("create", "Define an entity type; the next crawl or classify uses it");
    cmd->add_option("NAME", o->name, "Entity name ([A-Za-z0-9_-], not a built-in entity)")->required();
    cmd->add_option("--pattern", o->pattern, "RE2 pattern matched against whole values")->required();
    cmd->add_option("--context-word", o->context_words,
                    "A word one of which the column name must contain (repeatable, at most 20)")
        ->allow_extra_args(false);
    cmd->footer(
        "Example:\n"
        "  cairn entity-type create EMPLOYEE_ID --pattern 'EMP-[0-9]{6}' --context-word employee "
        "--context-word staff");
    registry.on(cmd, [o](Context& ctx) {
      json body{{"name", o->name}, {"pattern", o->pattern}};
      if (!o->context_words.empty()) body["context_words"] = o->context_words;
      const json t = ctx.api().post(api_path({"v1", "entity-types"}), body);
      if (ctx.json()) return print_json(ctx.out(), t);
      ctx.out() << "Created entity type '" << field(t, "name")
                << "'; the next crawl or `cairn classify` looks for it.\n";
    });
  }
  {
    auto* cmd = root->add_subcommand("list", "List the custom entity types");
    cmd->alias("ls");
    registry.on(cmd, [](Context& ctx) {
      const json all = ctx.api().get(api_path({"v1", "entity-types"}));
      if (ctx.json()) return print_json(ctx.out(), all);
      TextTable table({"NAME", "PATTERN", "CONTEXT WORDS", "CREATED BY", "CREATED"});
      for (const auto& t : array_of(all, "entity_types")) {
        table.add_row({field(t, "name"), field(t, "pattern"), words_text(t), field(t, "created_by"),
                       field(t, "create_time")});
      }
      table.print(ctx.out());
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("get", "Show a custom entity type");
    cmd->add_option("NAME", *name, "Entity name")->required();
    registry.on(cmd, [name](Context& ctx) {
      const json t = ctx.api().get(api_path({"v1", "entity-types", *name}));
      if (ctx.json()) return print_json(ctx.out(), t);
      print_fields(ctx.out(), {{"Name", field(t, "name")},
                               {"Pattern", field(t, "pattern")},
                               {"Context words", words_text(t)},
                               {"Created by", field(t, "created_by")},
                               {"Created", field(t, "create_time")}});
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("delete", "Delete a custom entity type");
    cmd->add_option("NAME", *name, "Entity name")->required();
    registry.on(cmd, [name](Context& ctx) {
      ctx.api().del(api_path({"v1", "entity-types", *name}));
      if (!ctx.json()) ctx.out() << "Deleted entity type '" << *name << "'.\n";
    });
  }
}

}  // namespace

void add_classification_commands(CLI::App& app, CommandRegistry& registry) {
  auto* pii = app.add_subcommand("pii", "PII verdicts: review, decide, history and settings");
  pii->require_subcommand(1);
  add_pii_list(pii, registry);
  add_pii_decision(pii, registry, "accept");
  add_pii_decision(pii, registry, "reject");
  add_pii_history(pii, registry);
  add_pii_settings(pii, registry);
  add_classify(app, registry);
  add_entity_type_commands(app, registry);
}

}  // namespace cairn::api::cli
