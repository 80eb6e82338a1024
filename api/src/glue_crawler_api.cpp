// The crawler operations of the Glue JSON API: Glue's Crawler shapes translated onto CrawlerService, which
// authorizes and audits everything (docs/crawlers.md). Mapping and deviations: docs/aws-compatibility.md.

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/names.h"
#include "glue_api.h"

namespace cairn::api::glue {

namespace {

using aws::epoch_seconds;
using aws::has_content;
using aws::item;
using aws::member;
using aws::opt;
using aws::opt_bool;
using aws::opt_int;
using aws::opt_str;
using aws::opt_str_list;
using aws::required;
using aws::required_str;
using aws::str;
using aws::structure;
using nlohmann::json;

constexpr int kPageSize = 1000;  ///< Glue's PageSize maximum

/// Native crawler fields -> Glue members.
aws::FieldMap crawler_fields() {
  return {{"name", "Name"},
          {"database", "DatabaseName"},
          {"targets", "Targets.S3Targets"},
          {"table_prefix", "TablePrefix"},
          {"description", "Description"},
          {"schedule", "Schedule"},
          {"recrawl_behavior", "RecrawlPolicy.RecrawlBehavior"},
          {"grouping", "Configuration"},
          {"classifiers", "Classifiers"}};
}

/// Names the next service call's errors as crawler members; FailedPrecondition is `precondition`.
void name_crawler_fields(Call& c, std::string_view precondition) {
  c.name_fields(crawler_fields(), "");
  c.style.precondition = precondition;
  c.style.version_conflict = "VersionMismatchException";
}

// --- Glue shapes -> definition -------------------------------------------------------------------------

void targets_in(const json& v, crawler::CrawlerDefinition& d) {
  structure(v, "Targets",
            {"S3Targets", "JdbcTargets", "MongoDBTargets", "DynamoDBTargets", "CatalogTargets",
             "DeltaTargets", "IcebergTargets", "HudiTargets"});
  for (const char* key : {"JdbcTargets", "MongoDBTargets", "DynamoDBTargets", "CatalogTargets",
                          "DeltaTargets", "IcebergTargets", "HudiTargets"}) {
    if (has_content(opt(v, key))) {
      throw_invalid(member("Targets", key),
                    "is not supported by Cairn: crawlers read files from local directories and S3-compatible "
                    "stores (S3Targets)");
    }
  }
  d.targets.clear();
  const json* list = opt(v, "S3Targets");
  if (list == nullptr) return;
  const std::string lp = "Targets.S3Targets";
  if (!list->is_array()) throw_invalid(lp, "must be a list of S3 targets");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string p = item(lp, i);
    const json& t = (*list)[i];
    structure(t, p,
              {"Path", "Exclusions", "ConnectionName", "SampleSize", "EventQueueArn", "DlqEventQueueArn"});
    crawler::CrawlTarget target;
    target.path = required_str(t, "Path", p);
    target.exclusions = opt_str_list(t, "Exclusions", p);
    target.connection = opt_str(t, "ConnectionName", p).value_or("");
    target.sample_size = static_cast<int>(opt_int(t, "SampleSize", p, 1, 249).value_or(0));
    for (const char* key : {"EventQueueArn", "DlqEventQueueArn"}) {
      if (has_content(opt(t, key))) {
        throw_invalid(
            member(p, key),
            "is not supported by Cairn: report new objects with POST /v1/crawlers/{name}/new-objects");
      }
    }
    d.targets.push_back(std::move(target));
  }
}

/// Glue's Configuration: a JSON document in a string (Version, Grouping, CrawlerOutput.Tables).
void configuration_in(const std::string& text, crawler::CrawlerDefinition& d) {
  const std::string f = "Configuration";
  d.combine_compatible_schemas = false;
  d.table_level = 0;
  d.merge_new_columns_only = false;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return;
  json v;
  try {
    v = json::parse(text);
  } catch (const json::exception& e) {
    throw_invalid(f, std::string("is not a JSON document: ") + e.what());
  }
  structure(v, f, {"Version", "Grouping", "CrawlerOutput", "CreatePartitionIndex"});
  if (const json* version = opt(v, "Version"); version != nullptr && !version->is_number())
    throw_invalid(member(f, "Version"), "must be a number (1.0)");
  opt_bool(v, "CreatePartitionIndex", f);  // partition filters need no declared index in Cairn
  if (const json* g = opt(v, "Grouping")) {
    const std::string gp = member(f, "Grouping");
    structure(*g, gp, {"TableGroupingPolicy", "TableLevelConfiguration"});
    if (const auto policy = opt_str(*g, "TableGroupingPolicy", gp)) {
      if (*policy != "CombineCompatibleSchemas")
        throw_invalid(member(gp, "TableGroupingPolicy"), "must be CombineCompatibleSchemas");
      d.combine_compatible_schemas = true;
    }
    d.table_level = static_cast<int>(opt_int(*g, "TableLevelConfiguration", gp, 1, 16).value_or(0));
  }
  if (const json* o = opt(v, "CrawlerOutput")) {
    const std::string op = member(f, "CrawlerOutput");
    structure(*o, op, {"Tables", "Partitions"});
    if (has_content(opt(*o, "Partitions"))) {
      throw_invalid(member(op, "Partitions"),
                    "is not supported by Cairn: every partition keeps the schema read from its own files");
    }
    if (const json* t = opt(*o, "Tables")) {
      const std::string tp = member(op, "Tables");
      structure(*t, tp, {"AddOrUpdateBehavior"});
      if (const auto behavior = opt_str(*t, "AddOrUpdateBehavior", tp)) {
        if (*behavior != "MergeNewColumns")
          throw_invalid(member(tp, "AddOrUpdateBehavior"), "must be MergeNewColumns");
        d.merge_new_columns_only = true;
      }
    }
  }
}

/// Applies the members of a CreateCrawler or UpdateCrawler request to `d` (on update, absent members keep
/// their value). `known` are the names of the classifiers the crawler already has.
void crawler_in(const json& b, crawler::CrawlerDefinition& d, bool create) {
  d.name = required_str(b, "Name", "");
  // Cairn reads with the credentials of the target's connection: there is no role to assume.
  if (create) {
    required_str(b, "Role", "");
  } else {
    opt_str(b, "Role", "");
  }
  if (const auto database = opt_str(b, "DatabaseName", "")) d.database = *database;
  if (const auto description = opt_str(b, "Description", "")) d.description = *description;
  if (const json* targets = opt(b, "Targets")) targets_in(*targets, d);
  if (const auto schedule = opt_str(b, "Schedule", "")) d.schedule = *schedule;
  if (const json* names = opt(b, "Classifiers")) {
    const std::vector<std::string> wanted = aws::str_list(*names, "Classifiers");
    // Custom classifiers are defined by value with the crawler (native API); here they can be reordered or
    // dropped by name, not created.
    std::vector<crawler::CustomClassifier> kept;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      const auto it = std::find_if(d.classifiers.begin(), d.classifiers.end(),
                                   [&](const crawler::CustomClassifier& c) { return c.name == wanted[i]; });
      if (it == d.classifiers.end()) {
        throw_invalid(item("Classifiers", i),
                      "the crawler has no custom classifier " + catalog::quote_for_message(wanted[i]) +
                          ": Cairn defines custom classifiers with the crawler (POST /v1/crawlers, "
                          "\"classifiers\"), not with CreateClassifier");
      }
      kept.push_back(*it);
    }
    d.classifiers = std::move(kept);
  }
  if (const auto prefix = opt_str(b, "TablePrefix", "")) d.table_prefix = *prefix;
  if (const json* p = opt(b, "SchemaChangePolicy")) {
    structure(*p, "SchemaChangePolicy", {"UpdateBehavior", "DeleteBehavior"});
    if (const auto u = opt_str(*p, "UpdateBehavior", "SchemaChangePolicy")) d.update_behavior = *u;
    if (const auto del = opt_str(*p, "DeleteBehavior", "SchemaChangePolicy")) d.delete_behavior = *del;
  }
  if (const json* r = opt(b, "RecrawlPolicy")) {
    structure(*r, "RecrawlPolicy", {"RecrawlBehavior"});
    if (const auto behavior = opt_str(*r, "RecrawlBehavior", "RecrawlPolicy")) {
      if (*behavior == "CRAWL_EVENT_MODE") {
        throw_invalid("RecrawlPolicy.RecrawlBehavior",
                      "CRAWL_EVENT_MODE is not supported by Cairn: report new objects with POST "
                      "/v1/crawlers/{name}/new-objects");
      }
      d.recrawl_behavior = *behavior;
    }
  }
  if (const json* l = opt(b, "LineageConfiguration")) {
    structure(*l, "LineageConfiguration", {"CrawlerLineageSettings"});
    if (opt_str(*l, "CrawlerLineageSettings", "LineageConfiguration").value_or("DISABLE") != "DISABLE")
      throw_invalid("LineageConfiguration.CrawlerLineageSettings",
                    "lineage is not supported by Cairn: use DISABLE");
  }
  if (const json* lf = opt(b, "LakeFormationConfiguration")) {
    structure(*lf, "LakeFormationConfiguration", {"UseLakeFormationCredentials", "AccountId"});
    opt_str(*lf, "AccountId", "LakeFormationConfiguration");
    if (opt_bool(*lf, "UseLakeFormationCredentials", "LakeFormationConfiguration").value_or(false)) {
      throw_invalid("LakeFormationConfiguration.UseLakeFormationCredentials",
                    "Cairn vends no credentials: a crawler reads with its target's connection");
    }
  }
  if (const auto configuration = opt_str(b, "Configuration", "")) configuration_in(*configuration, d);
  if (!opt_str(b, "CrawlerSecurityConfiguration", "").value_or("").empty()) {
    throw_invalid("CrawlerSecurityConfiguration",
                  "is not supported by Cairn: connection secrets are sealed with the server's master key");
  }
  if (has_content(opt(b, "Tags")))
    throw_invalid("Tags", "is not supported by Cairn: AWS resource tags are not kept");
}

// --- definition -> Glue shapes -------------------------------------------------------------------------

const char* crawl_status(const std::string& status) {
  if (status == "SUCCEEDED") return "SUCCEEDED";
  if (status == "STOPPED") return "CANCELLED";
  return "FAILED";
}

const char* history_state(const std::string& status) {
  if (status == "RUNNING") return "RUNNING";
  if (status == "SUCCEEDED") return "COMPLETED";
  if (status == "STOPPED") return "STOPPED";
  return "FAILED";
}

std::string configuration_out(const crawler::CrawlerDefinition& d) {
  if (!d.combine_compatible_schemas && d.table_level == 0 && !d.merge_new_columns_only) return {};
  json c = {{"Version", 1.0}};
  if (d.combine_compatible_schemas) c["Grouping"]["TableGroupingPolicy"] = "CombineCompatibleSchemas";
  if (d.table_level != 0) c["Grouping"]["TableLevelConfiguration"] = d.table_level;
  if (d.merge_new_columns_only) c["CrawlerOutput"]["Tables"]["AddOrUpdateBehavior"] = "MergeNewColumns";
  return c.dump();
}

json crawler_out(const CrawlerView& v) {
  const crawler::CrawlerDefinition& d = v.definition;
  json targets = json::array();
  for (const auto& t : d.targets) {
    json target = {{"Path", t.path}, {"Exclusions", t.exclusions}};
    if (!t.connection.empty()) target["ConnectionName"] = t.connection;
    if (t.sample_size > 0) target["SampleSize"] = t.sample_size;
    targets.push_back(std::move(target));
  }
  json classifiers = json::array();
  for (const auto& c : d.classifiers) classifiers.push_back(c.name);
  json out = {
      {"Name", d.name},
      {"Targets",
       {{"S3Targets", std::move(targets)},
        {"JdbcTargets", json::array()},
        {"MongoDBTargets", json::array()},
        {"DynamoDBTargets", json::array()},
        {"CatalogTargets", json::array()},
        {"DeltaTargets", json::array()},
        {"IcebergTargets", json::array()},
        {"HudiTargets", json::array()}}},
      {"DatabaseName", d.database},
      {"Classifiers", std::move(classifiers)},
      {"RecrawlPolicy", {{"RecrawlBehavior", d.recrawl_behavior}}},
      {"SchemaChangePolicy", {{"UpdateBehavior", d.update_behavior}, {"DeleteBehavior", d.delete_behavior}}},
      {"LineageConfiguration", {{"CrawlerLineageSettings", "DISABLE"}}},
      {"State", v.record.state},
      {"TablePrefix", d.table_prefix},
      {"CrawlElapsedTime", 0},
      {"CreationTime", epoch_seconds(v.record.create_time)},
      {"LastUpdated", epoch_seconds(v.record.update_time)},
      {"Version", v.record.version},
      {"LakeFormationConfiguration", {{"UseLakeFormationCredentials", false}}}};
  if (!d.description.empty()) out["Description"] = d.description;
  if (!d.schedule.empty()) out["Schedule"] = json{{"ScheduleExpression", d.schedule}, {"State", "SCHEDULED"}};
  if (const std::string c = configuration_out(d); !c.empty()) out["Configuration"] = c;
  if (v.last_run) {
    const catalog::CrawlerRun& r = *v.last_run;
    if (r.end_time) {
      json last = {{"Status", crawl_status(r.status)}, {"StartTime", epoch_seconds(r.start_time)}};
      if (!r.error.empty()) last["ErrorMessage"] = r.error;
      out["LastCrawl"] = std::move(last);
    } else if (v.record.state != "READY") {
      out["CrawlElapsedTime"] = std::max<std::int64_t>(0, catalog::now_millis() - r.start_time);
    }
  }
  return out;
}

json crawl_out(const catalog::CrawlerRun& r) {
  json out = {{"CrawlId", std::to_string(r.id)},
              {"State", history_state(r.status)},
              {"StartTime", epoch_seconds(r.start_time)},
              {"Summary", json::parse(r.stats).dump()},
              {"DPUHour", 0.0}};
  if (r.end_time) out["EndTime"] = epoch_seconds(*r.end_time);
  if (!r.error.empty()) out["ErrorMessage"] = r.error;
  return out;
}

// --- operations ----------------------------------------------------------------------------------------

json create_crawler(Call& c, const json& b) {
  structure(b, "",
            {"Name", "Role", "DatabaseName", "Description", "Targets", "Schedule", "Classifiers",
             "TablePrefix", "SchemaChangePolicy", "RecrawlPolicy", "LineageConfiguration",
             "LakeFormationConfiguration", "Configuration", "CrawlerSecurityConfiguration", "Tags"});
  crawler::CrawlerDefinition d;
  required(b, "Targets", "");
  crawler_in(b, d, true);
  name_crawler_fields(c, "InvalidInputException");
  c.crawlers.create(c.caller, std::move(d));
  return json::object();
}

json update_crawler(Call& c, const json& b) {
  structure(b, "",
            {"Name", "Role", "DatabaseName", "Description", "Targets", "Schedule", "Classifiers",
             "TablePrefix", "SchemaChangePolicy", "RecrawlPolicy", "LineageConfiguration",
             "LakeFormationConfiguration", "Configuration", "CrawlerSecurityConfiguration"});
  const std::string name = required_str(b, "Name", "");
  name_crawler_fields(c, "CrawlerRunningException");
  const CrawlerView current = c.crawlers.get(c.caller, name);
  crawler::CrawlerDefinition d = current.definition;
  c.name_fields({}, std::nullopt);
  crawler_in(b, d, false);
  name_crawler_fields(c, "CrawlerRunningException");
  c.crawlers.update(c.caller, name, std::move(d), current.record.version);
  return json::object();
}

std::string crawler_name_in(const json& b, const char* key) {
  structure(b, "", {key});
  return required_str(b, key, "");
}

json get_crawler(Call& c, const json& b) {
  const std::string name = crawler_name_in(b, "Name");
  name_crawler_fields(c, "InvalidInputException");
  return json{{"Crawler", crawler_out(c.crawlers.get(c.caller, name))}};
}

json delete_crawler(Call& c, const json& b) {
  const std::string name = crawler_name_in(b, "Name");
  name_crawler_fields(c, "CrawlerRunningException");
  c.crawlers.remove(c.caller, name);
  return json::object();
}

json start_crawler(Call& c, const json& b) {
  const std::string name = crawler_name_in(b, "Name");
  name_crawler_fields(c, "CrawlerRunningException");
  c.crawlers.start_run(c.caller, name);
  return json::object();
}

json stop_crawler(Call& c, const json& b) {
  const std::string name = crawler_name_in(b, "Name");
  name_crawler_fields(c, "CrawlerNotRunningException");
  if (c.crawlers.get(c.caller, name).record.state == "STOPPING") {
    c.style.precondition = "CrawlerStoppingException";
    throw Error(ErrorCode::FailedPrecondition, "crawler '" + name + "' is already stopping");
  }
  c.crawlers.stop_run(c.caller, name);
  return json::object();
}

/// One page of the crawlers the caller may see (a page may be shorter than MaxResults).
catalog::Page<CrawlerView> crawler_page(Call& c, const json& b) {
  const catalog::PageRequest page{opt_str(b, "NextToken", "").value_or(""),
                                  aws::max_results(b, 100, kPageSize)};
  name_crawler_fields(c, "InvalidInputException");
  return c.crawlers.list(c.caller, page);
}

json get_crawlers(Call& c, const json& b) {
  structure(b, "", {"MaxResults", "NextToken"});
  const auto got = crawler_page(c, b);
  json items = json::array();
  for (const auto& v : got.items) items.push_back(crawler_out(v));
  json out = {{"Crawlers", std::move(items)}};
  if (!got.next_token.empty()) out["NextToken"] = got.next_token;
  return out;
}

json list_crawlers(Call& c, const json& b) {
  structure(b, "", {"MaxResults", "NextToken", "Tags"});
  if (has_content(opt(b, "Tags")))
    throw_invalid("Tags", "is not supported by Cairn: AWS resource tags are not kept");
  const auto got = crawler_page(c, b);
  json names = json::array();
  for (const auto& v : got.items) names.push_back(v.definition.name);
  json out = {{"CrawlerNames", std::move(names)}};
  if (!got.next_token.empty()) out["NextToken"] = got.next_token;
  return out;
}

json get_crawler_metrics(Call& c, const json& b) {
  structure(b, "", {"CrawlerNameList", "MaxResults", "NextToken"});
  std::vector<std::string> names = opt_str_list(b, "CrawlerNameList", "");
  if (names.size() > 100) throw_invalid("CrawlerNameList", "may name at most 100 crawlers");
  name_crawler_fields(c, "InvalidInputException");
  if (opt(b, "CrawlerNameList") == nullptr) {
    catalog::PageRequest page{"", 1000};
    for (;;) {
      auto got = c.crawlers.list(c.caller, page);
      for (const auto& v : got.items) names.push_back(v.definition.name);
      if (got.next_token.empty()) break;
      page.token = got.next_token;
    }
  }
  const aws::Slice sl = aws::slice(b, names.size(), 100, kPageSize);
  json items = json::array();
  for (std::size_t i = sl.begin; i < sl.end; ++i) {
    json m;
    try {
      m = c.crawlers.metrics(c.caller, names[i]);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::NotFound) throw;
      continue;  // as in Glue, a name that is not a (visible) crawler has no metrics
    }
    items.push_back(json{{"CrawlerName", m.at("crawler_name")},
                         {"TimeLeftSeconds", m.at("time_left_seconds")},
                         {"StillEstimating", m.at("still_estimating")},
                         {"LastRuntimeSeconds", m.at("last_runtime_seconds")},
                         {"MedianRuntimeSeconds", m.at("median_runtime_seconds")},
                         {"TablesCreated", m.at("tables_created")},
                         {"TablesUpdated", m.at("tables_updated")},
                         {"TablesDeleted", m.at("tables_deleted")}});
  }
  json out = {{"CrawlerMetricsList", std::move(items)}};
  if (!sl.next_token.empty()) out["NextToken"] = sl.next_token;
  return out;
}

/// One CrawlsFilter of ListCrawls, compiled.
struct CrawlFilter {
  std::string field;
  std::string op;
  std::string text;   ///< STATE
  double number = 0;  ///< CRAWL_ID, START_TIME, END_TIME (epoch seconds), DPU_HOUR

  bool compare(double v) const {
    if (op == "GT") return v > number;
    if (op == "GE") return v >= number;
    if (op == "LT") return v < number;
    if (op == "LE") return v <= number;
    if (op == "EQ") return v == number;
    return v != number;
  }

  bool matches(const catalog::CrawlerRun& r) const {
    if (field == "STATE") return (history_state(r.status) == text) == (op == "EQ");
    if (field == "CRAWL_ID") return compare(static_cast<double>(r.id));
    if (field == "START_TIME") return compare(epoch_seconds(r.start_time));
    if (field == "END_TIME") return r.end_time && compare(epoch_seconds(*r.end_time));
    return compare(0.0);  // DPU_HOUR: Cairn's runs cost no DPU
  }
};

std::vector<CrawlFilter> crawl_filters_in(const json& b) {
  std::vector<CrawlFilter> out;
  const json* list = opt(b, "Filters");
  if (list == nullptr) return out;
  if (!list->is_array()) throw_invalid("Filters", "must be a list of crawl filters");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string p = item("Filters", i);
    structure((*list)[i], p, {"FieldName", "FilterOperator", "FieldValue"});
    CrawlFilter f;
    f.field = required_str((*list)[i], "FieldName", p);
    f.op = required_str((*list)[i], "FilterOperator", p);
    const std::string value = required_str((*list)[i], "FieldValue", p);
    static const std::vector<std::string> kFields = {"CRAWL_ID", "STATE", "START_TIME", "END_TIME",
                                                     "DPU_HOUR"};
    static const std::vector<std::string> kOps = {"GT", "GE", "LT", "LE", "EQ", "NE"};
    if (std::find(kFields.begin(), kFields.end(), f.field) == kFields.end())
      throw_invalid(member(p, "FieldName"), "must be one of " + aws::join(kFields));
    if (std::find(kOps.begin(), kOps.end(), f.op) == kOps.end())
      throw_invalid(member(p, "FilterOperator"), "must be one of " + aws::join(kOps));
    if (f.field == "STATE") {
      if (f.op != "EQ" && f.op != "NE")
        throw_invalid(member(p, "FilterOperator"), "must be EQ or NE for STATE");
      static const std::vector<std::string> kStates = {"RUNNING", "COMPLETED", "FAILED", "STOPPED"};
      if (std::find(kStates.begin(), kStates.end(), value) == kStates.end())
        throw_invalid(member(p, "FieldValue"), "must be one of " + aws::join(kStates));
      f.text = value;
    } else {
      std::size_t used = 0;
      try {
        f.number = std::stod(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != value.size()) {
        throw_invalid(member(p, "FieldValue"),
                      f.field == "START_TIME" || f.field == "END_TIME"
                          ? "must be a time in epoch seconds, got " + catalog::quote_for_message(value)
                          : "must be a number, got " + catalog::quote_for_message(value));
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

json list_crawls(Call& c, const json& b) {
  structure(b, "", {"CrawlerName", "MaxResults", "Filters", "NextToken"});
  const std::string name = required_str(b, "CrawlerName", "");
  const std::vector<CrawlFilter> filters = crawl_filters_in(b);
  aws::max_results(b, 100, kPageSize);
  name_crawler_fields(c, "InvalidInputException");
  std::vector<catalog::CrawlerRun> runs;
  catalog::PageRequest page{"", 1000};
  for (;;) {
    auto got = c.crawlers.runs(c.caller, name, page);
    for (auto& r : got.items) {
      if (std::all_of(filters.begin(), filters.end(), [&](const CrawlFilter& f) { return f.matches(r); }))
        runs.push_back(std::move(r));
    }
    if (got.next_token.empty()) break;
    page.token = got.next_token;
  }
  return aws::paged_response(b, runs, "Crawls", 100, kPageSize,
                             [](const catalog::CrawlerRun& r) { return crawl_out(r); });
}

json update_crawler_schedule(Call& c, const json& b) {
  structure(b, "", {"CrawlerName", "Schedule"});
  const std::string name = required_str(b, "CrawlerName", "");
  const std::string schedule = opt_str(b, "Schedule", "").value_or("");
  name_crawler_fields(c, "SchedulerTransitioningException");
  const CrawlerView current = c.crawlers.get(c.caller, name);
  crawler::CrawlerDefinition d = current.definition;
  d.schedule = schedule;
  c.crawlers.update(c.caller, name, std::move(d), current.record.version);
  return json::object();
}

json start_crawler_schedule(Call& c, const json& b) {
  const std::string name = crawler_name_in(b, "CrawlerName");
  name_crawler_fields(c, "InvalidInputException");
  const CrawlerView v = c.crawlers.get(c.caller, name);
  // A schedule in Cairn is always active while it is set.
  c.style.precondition = v.definition.schedule.empty() ? "NoScheduleException" : "SchedulerRunningException";
  throw Error(
      ErrorCode::FailedPrecondition,
      v.definition.schedule.empty()
          ? "crawler '" + name + "' has no schedule: set one with UpdateCrawlerSchedule"
          : "the schedule of crawler '" + name + "' is already running (" + v.definition.schedule + ")");
}

}  // namespace

void add_crawler_operations(Handlers& handlers) {
  handlers.emplace("CreateCrawler", create_crawler);
  handlers.emplace("DeleteCrawler", delete_crawler);
  handlers.emplace("GetCrawler", get_crawler);
  handlers.emplace("GetCrawlerMetrics", get_crawler_metrics);
  handlers.emplace("GetCrawlers", get_crawlers);
  handlers.emplace("ListCrawlers", list_crawlers);
  handlers.emplace("ListCrawls", list_crawls);
  handlers.emplace("StartCrawler", start_crawler);
  handlers.emplace("StartCrawlerSchedule", start_crawler_schedule);
  handlers.emplace("StopCrawler", stop_crawler);
  handlers.emplace("UpdateCrawler", update_crawler);
  handlers.emplace("UpdateCrawlerSchedule", update_crawler_schedule);
}

}  // namespace cairn::api::glue
