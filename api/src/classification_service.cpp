#include "cairn/api/classification_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "cairn/authz/audit.h"
#include "cairn/authz/authorizer.h"
#include "cairn/authz/policy_engine.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/json_fields.h"
#include "cairn/catalog/model_json.h"
#include "cairn/catalog/names.h"
#include "cairn/catalog/policy.h"
#include "cairn/catalog/text_util.h"
#include "cairn/classifiers/review.h"
#include "cairn/crawler/table_sample.h"

namespace cairn::api {

using authz::Action;
using authz::Resource;
using catalog::ClassificationEvent;
using catalog::ColumnClassification;
using nlohmann::json;

namespace {

constexpr std::string_view kEntityPlaceholder = "{entity}";
constexpr std::int64_t kMaxSampleSize = 10000;
constexpr std::int64_t kMaxFiles = 1000;

[[noreturn]] void invalid(const std::string& field, const std::string& message) {
  throw Error(ErrorCode::InvalidArgument, field + ": " + message, field);
}

std::string db_name(const std::string& name) {
  return catalog::normalize_entity_name("database", name);
}
std::string table_name(const std::string& name) {
  return catalog::normalize_entity_name("table", name);
}
std::string column_name(const std::string& name) {
  return catalog::normalize_column_name("column", name);
}

/// Checks the shape of an entity name (built-in names are upper case, custom ones as their steward wrote
/// them).
std::string entity_name(const std::string& name, const std::string& field) {
  if (name.empty() || name.size() > 128) invalid(field, "an entity name has 1 to 128 characters");
  for (const char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      invalid(field, "an entity name holds letters, digits, '_' and '-' only");
  return name;
}

std::string column_resource(const std::string& db, const std::string& table, const std::string& column) {
  return "column/" + db + "/" + table + "/" + column;
}

bool active(const std::string& status) {
  return status == "applied" || status == "accepted";
}

/// `value` of a tag mapping with every "{entity}" replaced by `name`.
std::string with_entity(std::string value, std::string_view name) {
  for (auto p = value.find(kEntityPlaceholder); p != std::string::npos;
       p = value.find(kEntityPlaceholder, p + name.size()))
    value.replace(p, kEntityPlaceholder.size(), name);
  return value;
}

/// Who acts: a caller of the API, or a crawler (its hook has no caller).
struct Actor {
  const Caller* caller = nullptr;
  std::string crawler;
  std::string name() const { return caller ? caller->arn : "crawler:" + crawler; }
  std::string source() const { return caller ? "classify:" + caller->arn : "crawler:" + crawler; }
};

}  // namespace

// --- settings --------------------------------------------------------------------------------------------

std::map<std::string, std::string> ClassificationSettings::tags_for(const std::string& entity) const {
  auto it = std::find_if(tags.begin(), tags.end(),
                         [&](const auto& kv) { return catalog::text::iequals_ascii(kv.first, entity); });
  if (it == tags.end()) it = tags.find("*");
  std::map<std::string, std::string> out;
  if (it == tags.end()) return out;
  const std::string lowered = catalog::text::lower(entity);
  for (const auto& [key, value] : it->second)
    out[key] = catalog::normalize_tag_value(with_entity(value, lowered), "tags." + entity + "." + key);
  return out;
}

ClassificationSettings default_classification_settings() {
  ClassificationSettings s;
  s.tags["*"] = {{"pii", std::string(kEntityPlaceholder)}, {"sensitivity", "high"}};
  return s;
}

ClassificationSettings classification_settings_from_json(const json& body, ClassificationSettings s) {
  if (!body.is_object()) invalid("body", "must be a JSON object");
  catalog::reject_unknown_keys(body, {"mode", "classify_on_crawl", "sample_size", "max_files", "tags"}, "");
  if (body.contains("mode")) {
    s.mode = catalog::string_field(body.at("mode"), "mode");
    if (s.mode != "auto" && s.mode != "review") invalid("mode", "must be \"auto\" or \"review\"");
  }
  if (body.contains("classify_on_crawl")) {
    if (!body.at("classify_on_crawl").is_boolean()) invalid("classify_on_crawl", "must be true or false");
    s.classify_on_crawl = body.at("classify_on_crawl").get<bool>();
  }
  auto bounded = [&](const char* key, std::int64_t max, std::int64_t& out) {
    if (!body.contains(key)) return;
    const json& v = body.at(key);
    if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > max)
      invalid(key, "must be an integer from 1 to " + std::to_string(max));
    out = v.get<std::int64_t>();
  };
  bounded("sample_size", kMaxSampleSize, s.sample_size);
  bounded("max_files", kMaxFiles, s.max_files);
  if (body.contains("tags")) {
    const json& tags = body.at("tags");
    if (!tags.is_object())
      invalid("tags", "must map entity names (or \"*\") to objects of tag keys and values");
    s.tags.clear();
    for (const auto& [entity_key, mapping] : tags.items()) {
      const std::string entity = entity_key == "*" ? "*" : entity_name(entity_key, "tags." + entity_key);
      const std::string field = "tags." + entity_key;
      if (!mapping.is_object()) invalid(field, "must map tag keys to values");
      auto& out = s.tags[entity];
      for (const auto& [key, value] : mapping.items()) {
        const std::string key_field = field + "." + key;
        const std::string k = catalog::normalize_tag_key_name(key, key_field);
        std::string v = catalog::string_field(value, key_field);
        // Checked with a stand-in entity: the value must be a valid tag value whatever the entity.
        catalog::normalize_tag_value(with_entity(v, "x"), key_field);
        out[k] = catalog::text::lower(v);
      }
    }
  }
  return s;
}

json to_json(const ClassificationSettings& s) {
  json tags = json::object();
  for (const auto& [entity, mapping] : s.tags) {
    json m = json::object();
    for (const auto& [k, v] : mapping) m[k] = v;
    tags[entity] = std::move(m);
  }
  json out = {{"mode", s.mode},
              {"classify_on_crawl", s.classify_on_crawl},
              {"sample_size", s.sample_size},
              {"max_files", s.max_files},
              {"tags", std::move(tags)},
              {"version", s.version}};
  if (s.update_time) out["update_time"] = catalog::format_timestamp(s.update_time);
  return out;
}

json to_json(const ColumnClassification& v) {
  json out = {{"database", v.database},
              {"table", v.table},
              {"column", v.column},
              {"entity", v.entity},
              {"status", v.status},
              {"confidence", v.confidence},
              {"sample_size", v.sample_size},
              {"matched", v.matched},
              {"matched_fraction", v.sample_size ? static_cast<double>(v.matched) / v.sample_size : 0.0},
              {"source", v.source},
              {"classified_time", catalog::format_timestamp(v.classified_time)},
              {"version", v.version}};
  if (!v.masked_example.empty()) out["masked_example"] = v.masked_example;
  if (!v.decided_by.empty()) {
    out["decided_by"] = v.decided_by;
    out["decided_time"] = catalog::format_timestamp(v.decided_time);
  }
  return out;
}

json to_json(const ClassificationEvent& e) {
  json out = {{"id", e.id},
              {"database", e.database},
              {"table", e.table},
              {"column", e.column},
              {"entity", e.entity},
              {"event", e.event},
              {"status", e.status},
              {"actor", e.actor},
              {"time", catalog::format_timestamp(e.time)},
              {"confidence", e.confidence},
              {"sample_size", e.sample_size},
              {"matched", e.matched}};
  if (!e.note.empty()) out["note"] = e.note;
  return out;
}

json to_json(const catalog::EntityTypeRecord& t) {
  json words = json::parse(t.context_words, nullptr, false);
  if (!words.is_array()) words = json::array();
  return {{"name", t.name},
          {"pattern", t.pattern},
          {"context_words", std::move(words)},
          {"created_by", t.created_by},
          {"create_time", catalog::format_timestamp(t.create_time)}};
}

json to_json(const ClassifyResult& r) {
  json events = json::array();
  for (const auto& e : r.events) events.push_back(to_json(e));
  json verdicts = json::array();
  for (const auto& v : r.verdicts) verdicts.push_back(to_json(v));
  return {{"database", r.database}, {"table", r.table}, {"files_read", r.files_read},
          {"notes", r.notes},       {"events", events}, {"verdicts", verdicts}};
}

// --- the service -----------------------------------------------------------------------------------------

struct ClassificationService::Impl {
  CatalogService& cat;
  catalog::Store& store;
  S3Resolver s3;

  std::mutex detector_mutex;
  std::string detector_key;  // the entity types the cached detector was built from
  std::optional<classifiers::Detector> detector;

  Impl(CatalogService& c, S3Resolver r) : cat(c), store(c.store()), s3(std::move(r)) {}

  ClassificationSettings load_settings() {
    ClassificationSettings s = default_classification_settings();
    auto stored = store.get_classification_settings();
    if (!stored) return s;
    const json body = json::parse(stored->settings, nullptr, false);
    if (body.is_discarded()) throw Error(ErrorCode::Internal, "stored classification settings are not JSON");
    s = classification_settings_from_json(body, s);
    s.version = stored->version;
    s.update_time = stored->update_time;
    return s;
  }

  /// The detector for the stored entity types, compiled again only when they changed (on any node).
  classifiers::Detector current_detector() {
    const auto types = store.list_entity_types();
    std::string key;
    std::vector<classifiers::CustomEntityType> custom;
    for (const auto& t : types) {
      key += t.name + '\n' + t.pattern + '\n' + t.context_words + '\n';
      classifiers::CustomEntityType c;
      c.name = t.name;
      c.pattern = t.pattern;
      const json words = json::parse(t.context_words, nullptr, false);
      if (words.is_array())
        for (const auto& w : words)
          if (w.is_string()) c.context_words.push_back(w.get<std::string>());
      custom.push_back(std::move(c));
    }
    const std::lock_guard lock(detector_mutex);
    if (!detector || key != detector_key) {
      detector = classifiers::Detector::create(std::move(custom));
      detector_key = std::move(key);
    }
    return *detector;
  }

  void audit(const Actor& actor, const std::string& action, const std::string& resource,
             const std::string& detail) {
    if (actor.caller) {
      cat.record_mutation(*actor.caller, action, resource, true, detail);
    } else {
      cat.record_mutation(actor.name(), "classify-" + actor.crawler, action, resource, true, detail);
    }
  }

  std::vector<ColumnClassification> table_verdicts(const std::string& db, const std::string& table) {
    std::vector<ColumnClassification> out;
    catalog::ClassificationFilter f;
    f.database = db;
    f.table = table;
    catalog::PageRequest page;
    page.limit = 1000;
    do {
      auto p = store.list_classifications(f, page);
      for (auto& v : p.items) out.push_back(std::move(v));
      page.token = p.next_token;
    } while (!page.token.empty());
    return out;
  }

  /// Makes sure every key of `tags` exists and allows its values (creating the key or adding the values),
  /// so that assigning them cannot fail. Small writes of their own: an unused allowed value changes nobody's
  /// access.
  bool ensure_tag_values(const Actor& actor, const std::map<std::string, std::set<std::string>>& tags) {
    bool changed = false;
    for (const auto& [key, values] : tags) {
      auto existing = store.get_tag_key(key);
      if (!existing) {
        catalog::TagKey k;
        k.key = key;
        k.values.assign(values.begin(), values.end());
        try {
          store.create_tag_key(k);
          audit(actor, "CreateTagKey", "tag/" + key, "for PII classification");
          changed = true;
          continue;
        } catch (const Error& e) {
          if (e.code() != ErrorCode::AlreadyExists) throw;  // another node created it meanwhile
          existing = store.get_tag_key(key);
          if (!existing) throw;
        }
      }
      std::vector<std::string> missing;
      for (const auto& value : values)
        if (std::find(existing->values.begin(), existing->values.end(), value) == existing->values.end())
          missing.push_back(value);
      if (missing.empty()) continue;
      store.update_tag_key(key, missing, {});
      std::string added;
      for (const auto& value : missing) added += (added.empty() ? "'" : ", '") + value + "'";
      audit(actor, "UpdateTagKey", "tag/" + key, "allowed values " + added + " added for PII classification");
      changed = true;
    }
    return changed;
  }

  /// The tags `entities` map to, as ensure_tag_values takes them.
  static std::map<std::string, std::set<std::string>> tag_values_of(const ClassificationSettings& settings,
                                                                    const std::set<std::string>& entities) {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& entity : entities)
      for (auto& [key, value] : settings.tags_for(entity)) out[key].insert(value);
    return out;
  }

  /// The tags a column should carry from its active verdicts: for each key, the value of the most confident
  /// verdict that maps it.
  static std::map<std::string, std::string> desired_tags(const ClassificationSettings& settings,
                                                         std::vector<const ColumnClassification*> verdicts) {
    std::sort(verdicts.begin(), verdicts.end(), [](const auto* a, const auto* b) {
      return a->confidence != b->confidence ? a->confidence > b->confidence : a->entity < b->entity;
    });
    std::map<std::string, std::string> out;
    for (const auto* v : verdicts)
      if (active(v->status))
        for (auto& [k, val] : settings.tags_for(v->entity)) out.try_emplace(k, val);
    return out;
  }

  /// Sets a column's tags after verdicts on it changed: assigns what its active verdicts map to, and removes
  /// the tags `released` entities had put there when nothing active maps that key and the column still
  /// carries the released value (a value a person set since is left alone). Joins the caller's atomic group.
  /// Returns the tag changes made (for the audit log).
  std::vector<std::string> retag_column(const ClassificationSettings& settings, const std::string& db,
                                        const std::string& table, const std::string& column,
                                        const std::vector<const ColumnClassification*>& verdicts,
                                        const std::vector<std::string>& released) {
    const auto desired = desired_tags(settings, verdicts);
    std::map<std::string, std::string> current;
    for (const auto& a : store.list_tag_assignments(db, table))
      if (a.column == column) current[a.key] = a.value;
    std::map<std::string, std::string> assign;
    for (const auto& [k, v] : desired) {
      auto it = current.find(k);
      if (it == current.end() || it->second != v) assign[k] = v;
    }
    std::vector<std::string> unassign;
    for (const auto& entity : released)
      for (const auto& [k, v] : settings.tags_for(entity)) {
        auto it = current.find(k);
        if (!desired.contains(k) && it != current.end() && it->second == v &&
            std::find(unassign.begin(), unassign.end(), k) == unassign.end())
          unassign.push_back(k);
      }
    const catalog::TagAssignment target{db, table, column, {}, {}};
    std::vector<std::string> changes;
    if (!assign.empty()) {
      store.assign_tags(target, assign);
      for (const auto& [k, v] : assign) changes.push_back("+" + k + "=" + v);
    }
    if (!unassign.empty()) {
      store.unassign_tags(target, unassign);
      for (const auto& k : unassign) changes.push_back("-" + k);
    }
    return changes;
  }

  /// Applies a fresh classification of a table (the state machine of classifiers::review) in one atomic
  /// group per table: verdicts, their history and the column tags change together.
  ClassifyResult apply(const Actor& actor, const ClassificationSettings& settings,
                       const catalog::Table& table, const crawler::TableSample& sample) {
    ClassifyResult result;
    result.database = table.database_name;
    result.table = table.name;
    result.files_read = sample.files_read;
    result.notes = sample.notes;
    const classifiers::Detector detector = current_detector();
    const bool auto_mode = settings.mode == "auto";

    struct Found {
      classifiers::ColumnVerdict verdict;
      std::string fingerprint;
    };
    // column -> entity -> new verdict; fingerprints per column
    std::map<std::string, std::map<std::string, Found>> found;
    std::map<std::string, std::string> fingerprints;
    for (const auto& col : table.storage_descriptor.columns) {
      auto it = std::find_if(sample.columns.begin(), sample.columns.end(),
                             [&](const crawler::ColumnValues& v) { return v.column == col.name; });
      // No value read (unreadable files, only nulls): nothing is known, so the column's verdicts stay.
      if (it == sample.columns.end() || it->values.empty()) continue;
      const std::string fp = classifiers::value_fingerprint(it->values);
      fingerprints[col.name] = fp;
      for (auto& v : detector.classify_column(col.name, col.type, it->values))
        found[col.name][v.entity] = Found{v, fp};
    }

    // Tag keys and values the new verdicts may assign exist first (outside the group; idempotent).
    std::set<std::string> found_entities;
    for (const auto& [column, entities] : found)
      for (const auto& [entity, f] : entities) found_entities.insert(entity);
    bool tags_changed = ensure_tag_values(actor, tag_values_of(settings, found_entities));

    std::vector<std::pair<std::string, std::string>> audit_lines;  // resource, detail
    store.run_atomically([&] {
      result.events.clear();
      audit_lines.clear();
      const auto stored = table_verdicts(table.database_name, table.name);
      std::map<std::string, std::map<std::string, ColumnClassification>> by_column;
      for (const auto& v : stored) by_column[v.column][v.entity] = v;
      for (const auto& [column, entities] : found) by_column[column];  // columns with new verdicts only
      bool group_tags_changed = false;
      for (auto& [column, entities] : by_column) {
        // A column the table no longer has, or of which no value was read, keeps its verdicts as they are
        // (`fingerprints` holds exactly the table's columns with values).
        if (!fingerprints.contains(column)) continue;
        const auto fcol = found.find(column);
        std::set<std::string> names;
        for (const auto& [e, v] : entities) names.insert(e);
        if (fcol != found.end())
          for (const auto& [e, f] : fcol->second) names.insert(e);
        std::vector<std::string> released;
        bool retag = false;
        std::map<std::string, ColumnClassification> after;
        for (const auto& entity : names) {
          const auto sit = entities.find(entity);
          const ColumnClassification* old = sit == entities.end() ? nullptr : &sit->second;
          const Found* now = nullptr;
          if (fcol != found.end()) {
            auto f = fcol->second.find(entity);
            if (f != fcol->second.end()) now = &f->second;
          }
          const std::string new_fp = now ? now->fingerprint : fingerprints[column];
          const auto outcome =
              classifiers::review(old ? std::optional<std::string>(old->status) : std::nullopt,
                                  old ? old->fingerprint : std::string(), now != nullptr, new_fp, auto_mode);
          ClassificationEvent ev;
          ev.database = table.database_name;
          ev.table = table.name;
          ev.column = column;
          ev.entity = entity;
          ev.actor = actor.name();
          ev.time = catalog::now_millis();
          if (outcome.status.empty()) {
            if (!old) continue;
            ev.event = outcome.event.empty() ? "cleared" : outcome.event;
            ev.note = "no longer detected";
            store.delete_classification(ev.database, ev.table, column, entity, ev);
            result.events.push_back(ev);
            audit_lines.emplace_back(column_resource(ev.database, ev.table, column), entity + " " + ev.event);
            if (outcome.remove_tags || active(old->status)) {
              released.push_back(entity);
              retag = true;
            }
            continue;
          }
          ColumnClassification v = old ? *old : ColumnClassification{};
          v.database = table.database_name;
          v.table = table.name;
          v.column = column;
          v.entity = entity;
          const std::string before_status = v.status;
          bool figures_changed = false;
          if (now) {
            const auto& nv = now->verdict;
            figures_changed = !old || old->confidence != nv.confidence ||
                              old->sample_size != static_cast<std::int64_t>(nv.sample_size) ||
                              old->matched != static_cast<std::int64_t>(nv.matched) ||
                              old->fingerprint != now->fingerprint ||
                              old->masked_example != nv.masked_example;
            v.confidence = nv.confidence;
            v.sample_size = static_cast<std::int64_t>(nv.sample_size);
            v.matched = static_cast<std::int64_t>(nv.matched);
            v.masked_example = nv.masked_example;
            v.fingerprint = now->fingerprint;
            v.source = actor.source();
            v.classified_time = ev.time;
            ev.note = nv.reason;
          }
          v.status = outcome.status;
          if (outcome.status != before_status &&
              (outcome.status == "applied" || outcome.status == "recommended")) {
            v.decided_by.clear();  // a reopened verdict is no longer a steward's decision
            v.decided_time = 0;
          }
          if (outcome.event.empty() && !figures_changed && v.status == before_status) {
            after[entity] = v;
            continue;
          }
          ev.event = outcome.event.empty() ? (old ? "detected" : outcome.status) : outcome.event;
          ev.status = v.status;
          ev.confidence = v.confidence;
          ev.sample_size = v.sample_size;
          ev.matched = v.matched;
          after[entity] = store.save_classification(
              v, ev, old ? std::optional<std::int64_t>(old->version) : std::optional<std::int64_t>(0));
          result.events.push_back(ev);
          if (!outcome.event.empty())
            audit_lines.emplace_back(column_resource(ev.database, ev.table, column),
                                     entity + " " + ev.event + " (" + ev.status + ")");
          if (outcome.assign_tags || active(v.status) != active(before_status)) retag = true;
          if (outcome.remove_tags) released.push_back(entity);
        }
        if (!retag) continue;
        std::vector<const ColumnClassification*> current;
        for (const auto& [e, v] : after) current.push_back(&v);
        auto changes = retag_column(settings, table.database_name, table.name, column, current, released);
        if (!changes.empty()) {
          group_tags_changed = true;
          std::string detail;
          for (const auto& c : changes) detail += (detail.empty() ? "" : " ") + c;
          audit_lines.emplace_back(column_resource(table.database_name, table.name, column), detail);
        }
      }
      if (group_tags_changed) tags_changed = true;
    });
    for (const auto& [resource, detail] : audit_lines)
      audit(actor, detail.front() == '+' || detail.front() == '-' ? "AssignTags" : "ClassifyColumn", resource,
            detail);
    if (tags_changed) cat.engine().reload();
    result.verdicts = table_verdicts(table.database_name, table.name);
    return result;
  }

  ClassifyResult classify_table(const Actor& actor, const ClassificationSettings& settings,
                                const catalog::Table& table) {
    crawler::TableSampleOptions options;
    options.values.max_values_per_column = static_cast<std::size_t>(settings.sample_size);
    options.max_files = static_cast<std::size_t>(settings.max_files);
    std::function<std::shared_ptr<crawler::S3Client>()> client;
    if (s3) client = [&] { return s3(table); };
    const crawler::TableSample sample = crawler::sample_table_values(table, client, options);
    return apply(actor, settings, table, sample);
  }

  /// The table as the store has it (NotFound when missing).
  catalog::Table load(const std::string& db, const std::string& table) {
    auto t = store.get_table(db, table);
    if (!t) throw Error(ErrorCode::NotFound, "table '" + db + "." + table + "' not found");
    return *t;
  }

  /// Decides a steward's accept or reject.
  ColumnClassification decide(const Caller& caller, const std::string& database, const std::string& table,
                              const std::string& column, const std::string& entity,
                              std::optional<std::int64_t> expected_version, bool accept) {
    const std::string db = db_name(database);
    const std::string t = table_name(table);
    const std::string c = column_name(column);
    const std::string e = entity_name(entity, "entity");
    const Resource r{db, t, {}, {}, {}};
    cat.get_table(caller, db, t);  // 404 when not visible
    auto current = store.get_classification(db, t, c, e);
    if (!current) {  // "email" for the built-in EMAIL
      std::string upper = e;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
      current = store.get_classification(db, t, c, upper);
    }
    const std::string what = "verdict " + e + " on " + db + "." + t + "." + c;
    if (!current) throw Error(ErrorCode::NotFound, what + " not found");
    cat.require(caller, Action::AssignTags, r);
    const std::string status = accept ? "accepted" : "rejected";
    if (current->status == status && !expected_version) return *current;
    const ClassificationSettings settings = load_settings();
    const Actor actor{&caller, {}};
    if (accept) ensure_tag_values(actor, tag_values_of(settings, {current->entity}));
    ColumnClassification saved;
    std::vector<std::string> changes;
    store.run_atomically([&] {
      ColumnClassification v = *current;
      v.status = status;
      v.decided_by = caller.arn;
      v.decided_time = catalog::now_millis();
      ClassificationEvent ev;
      ev.database = db;
      ev.table = t;
      ev.column = c;
      ev.entity = v.entity;
      ev.event = status;
      ev.status = status;
      ev.actor = caller.arn;
      ev.time = v.decided_time;
      ev.confidence = v.confidence;
      ev.sample_size = v.sample_size;
      ev.matched = v.matched;
      saved = store.save_classification(v, ev, expected_version.value_or(current->version));
      std::vector<ColumnClassification> column_verdicts;
      for (auto& other : table_verdicts(db, t))
        if (other.column == c) column_verdicts.push_back(std::move(other));
      std::vector<const ColumnClassification*> ptrs;
      for (const auto& x : column_verdicts) ptrs.push_back(&x);
      std::vector<std::string> released;
      if (!accept) released.push_back(v.entity);
      changes = retag_column(settings, db, t, c, ptrs, released);
    });
    std::string detail = current->entity + " " + status;
    for (const auto& ch : changes) detail += " " + ch;
    cat.record_mutation(caller, accept ? "AcceptClassification" : "RejectClassification",
                        column_resource(db, t, c), true, detail);
    if (!changes.empty()) cat.engine().reload();
    return saved;
  }

  /// What of a table's verdicts the caller may see.
  struct Visibility {
    bool table = false;
    bool steward = false;                 // may assign tags on the table: sees every column's verdicts
    std::map<std::string, bool> columns;  // visible column -> unmasked
  };

  Visibility visibility(const Caller& caller, const std::string& db, const std::string& table) {
    Visibility v;
    try {
      const catalog::Table t = cat.get_table(caller, db, table);
      v.table = true;
      for (const auto& c : t.storage_descriptor.columns)
        v.columns[c.name] = !c.parameters.contains("cairn:mask");
    } catch (const Error& e) {
      if (e.code() != ErrorCode::NotFound) throw;
      return v;
    }
    v.steward = cat.decide(caller, Action::AssignTags, Resource{db, table, {}, {}, {}}).allowed;
    return v;
  }
};

ClassificationService::ClassificationService(CatalogService& catalog, S3Resolver s3)
    : impl_(std::make_unique<Impl>(catalog, std::move(s3))) {}

ClassificationService::~ClassificationService() = default;

ClassificationSettings ClassificationService::settings(const Caller& caller) {
  impl_->cat.require(caller, Action::DescribeTagKeys, Resource{});
  return impl_->load_settings();
}

ClassificationSettings ClassificationService::put_settings(const Caller& caller,
                                                           const ClassificationSettings& settings,
                                                           std::optional<std::int64_t> expected_version) {
  impl_->cat.require(caller, Action::ManageTagKeys, Resource{});
  json body = to_json(settings);
  body.erase("version");
  body.erase("update_time");
  const ClassificationSettings checked = classification_settings_from_json(body, settings);
  try {
    impl_->store.put_classification_settings(body.dump(), expected_version);
  } catch (const Error& e) {
    impl_->cat.record_mutation(caller, "PutClassificationSettings", "classification/settings", false,
                               e.what());
    throw;
  }
  impl_->cat.record_mutation(caller, "PutClassificationSettings", "classification/settings", true,
                             "mode " + checked.mode);
  return impl_->load_settings();
}

catalog::EntityTypeRecord ClassificationService::create_entity_type(
    const Caller& caller, const classifiers::CustomEntityType& type) {
  impl_->cat.require(caller, Action::ManageTagKeys, Resource{});
  classifiers::validate_custom_entity_type(type);
  if (impl_->store.get_entity_type(type.name))
    throw Error(ErrorCode::AlreadyExists, "entity type '" + type.name + "' already exists", "name");
  // The pattern must compile together with every other type (and its name must be new to the detector).
  std::vector<classifiers::CustomEntityType> all;
  for (const auto& t : impl_->store.list_entity_types()) {
    classifiers::CustomEntityType c;
    c.name = t.name;
    c.pattern = t.pattern;
    all.push_back(std::move(c));
  }
  all.push_back(type);
  try {
    classifiers::Detector::create(all);
  } catch (const Error& e) {
    const std::string prefix = "custom[" + std::to_string(all.size() - 1) + "].";
    std::string field = e.field();
    if (field.rfind(prefix, 0) == 0) field = field.substr(prefix.size());
    std::string message = e.what();
    if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
    throw Error(e.code(), message, field);
  }
  catalog::EntityTypeRecord record;
  record.name = type.name;
  record.pattern = type.pattern;
  record.context_words = json(type.context_words).dump();
  record.created_by = caller.arn;
  try {
    record = impl_->store.create_entity_type(record);
  } catch (const Error& e) {
    impl_->cat.record_mutation(caller, "CreateCustomEntityType", "entity-type/" + type.name, false, e.what());
    throw;
  }
  impl_->cat.record_mutation(caller, "CreateCustomEntityType", "entity-type/" + type.name, true, "");
  return record;
}

catalog::EntityTypeRecord ClassificationService::get_entity_type(const Caller& caller,
                                                                 const std::string& name) {
  impl_->cat.require(caller, Action::DescribeTagKeys, Resource{});
  auto found = impl_->store.get_entity_type(name);
  if (!found) throw Error(ErrorCode::NotFound, "entity type '" + name + "' not found");
  return *found;
}

std::vector<catalog::EntityTypeRecord> ClassificationService::list_entity_types(const Caller& caller) {
  impl_->cat.require(caller, Action::DescribeTagKeys, Resource{});
  return impl_->store.list_entity_types();
}

void ClassificationService::delete_entity_type(const Caller& caller, const std::string& name) {
  impl_->cat.require(caller, Action::ManageTagKeys, Resource{});
  try {
    impl_->store.delete_entity_type(name);
  } catch (const Error& e) {
    impl_->cat.record_mutation(caller, "DeleteCustomEntityType", "entity-type/" + name, false, e.what());
    throw;
  }
  impl_->cat.record_mutation(caller, "DeleteCustomEntityType", "entity-type/" + name, true, "");
}

catalog::Page<ColumnClassification> ClassificationService::list(const Caller& caller,
                                                                const catalog::ClassificationFilter& filter,
                                                                const catalog::PageRequest& page) {
  catalog::ClassificationFilter f = filter;
  if (!f.database.empty()) f.database = db_name(f.database);
  if (!f.table.empty()) {
    if (f.database.empty()) invalid("table", "a table filter needs a database");
    f.table = table_name(f.table);
    impl_->cat.get_table(caller, f.database, f.table);  // 404 for a table the caller may not see
  }
  if (!f.status.empty() && f.status != "applied" && f.status != "recommended" && f.status != "accepted" &&
      f.status != "rejected")
    invalid("status", "must be applied, recommended, accepted or rejected");
  auto result = impl_->store.list_classifications(f, page);
  std::map<std::pair<std::string, std::string>, Impl::Visibility> seen;
  std::vector<ColumnClassification> kept;
  for (auto& v : result.items) {
    auto key = std::make_pair(v.database, v.table);
    auto it = seen.find(key);
    if (it == seen.end()) it = seen.emplace(key, impl_->visibility(caller, v.database, v.table)).first;
    const auto& vis = it->second;
    if (!vis.table) continue;
    auto col = vis.columns.find(v.column);
    if (col == vis.columns.end() && !vis.steward) continue;
    if (col == vis.columns.end() || !col->second) v.masked_example.clear();
    kept.push_back(std::move(v));
  }
  result.items = std::move(kept);
  return result;
}

catalog::Page<ClassificationEvent> ClassificationService::history(const Caller& caller,
                                                                  const std::string& database,
                                                                  const std::string& table,
                                                                  const catalog::PageRequest& page) {
  const std::string db = db_name(database);
  const std::string t = table_name(table);
  const Impl::Visibility vis = impl_->visibility(caller, db, t);
  if (!vis.table) throw Error(ErrorCode::NotFound, "table '" + db + "." + t + "' not found");
  auto result = impl_->store.list_classification_events(db, t, page);
  if (!vis.steward)
    std::erase_if(result.items,
                  [&](const ClassificationEvent& e) { return !vis.columns.contains(e.column); });
  return result;
}

ColumnClassification ClassificationService::accept(const Caller& caller, const std::string& database,
                                                   const std::string& table, const std::string& column,
                                                   const std::string& entity,
                                                   std::optional<std::int64_t> expected_version) {
  return impl_->decide(caller, database, table, column, entity, expected_version, true);
}

ColumnClassification ClassificationService::reject(const Caller& caller, const std::string& database,
                                                   const std::string& table, const std::string& column,
                                                   const std::string& entity,
                                                   std::optional<std::int64_t> expected_version) {
  return impl_->decide(caller, database, table, column, entity, expected_version, false);
}

ClassifyResult ClassificationService::classify(const Caller& caller, const std::string& database,
                                               const std::string& table) {
  const std::string db = db_name(database);
  const std::string t = table_name(table);
  impl_->cat.get_table(caller, db, t);  // 404 when not visible
  impl_->cat.require(caller, Action::AlterTable, Resource{db, t, {}, {}, {}});
  const Actor actor{&caller, {}};
  auto result = impl_->classify_table(actor, impl_->load_settings(), impl_->load(db, t));
  impl_->cat.record_mutation(caller, "ClassifyTable", "table/" + db + "/" + t, true,
                             std::to_string(result.files_read) + " files read, " +
                                 std::to_string(result.events.size()) + " verdict changes");
  return result;
}

void ClassificationService::classify_crawled(const std::string& crawler, const std::string& database,
                                             const std::string& table) {
  const ClassificationSettings settings = impl_->load_settings();
  if (!settings.classify_on_crawl) return;
  const Actor actor{nullptr, crawler};
  const auto result = impl_->classify_table(actor, settings, impl_->load(database, table));
  spdlog::debug("crawler {}: classified {}.{} ({} files, {} verdict changes)", crawler, database, table,
                result.files_read, result.events.size());
}

}  // namespace cairn::api
