// SqlStore: PII classification — entity types, settings, verdicts and their history
// (classification_records.h; migrations 0005_classification.sql). One implementation for both dialects.

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/catalog/error.h"
#include "sql_store.h"

namespace cairn::catalog {

namespace {

using sql::Params;
using sql::Row;

constexpr const char* kEntityTypeCols = "name, pattern, context_words, created_by, create_time";
constexpr const char* kVerdictCols =
    "database_name, table_name, column_name, entity, status, confidence, sample_size, matched, "
    "masked_example, "
    "fingerprint, source, classified_time, decided_by, decided_time, version";
constexpr const char* kEventCols =
    "id, database_name, table_name, column_name, entity, event, status, actor, time, confidence, "
    "sample_size, "
    "matched, note";
constexpr int kMaxPage = 1000;
// Listing tokens hold the last key; a separator that cannot occur in names (they are validated identifiers).
constexpr char kTokenSeparator = '\x1f';

double real(const Row& r, std::size_t i) {
  const std::string& text = r.text(i);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size())
    throw Error(ErrorCode::Internal, "the store holds a malformed number '" + text + "'");
  return v;
}

EntityTypeRecord entity_type_from(const Row& r) {
  EntityTypeRecord t;
  t.name = r.text(0);
  t.pattern = r.text(1);
  t.context_words = r.text(2);
  t.created_by = r.text(3);
  t.create_time = r.integer(4);
  return t;
}

ColumnClassification verdict_from(const Row& r) {
  ColumnClassification v;
  v.database = r.text(0);
  v.table = r.text(1);
  v.column = r.text(2);
  v.entity = r.text(3);
  v.status = r.text(4);
  v.confidence = real(r, 5);
  v.sample_size = r.integer(6);
  v.matched = r.integer(7);
  v.masked_example = r.text(8);
  v.fingerprint = r.text(9);
  v.source = r.text(10);
  v.classified_time = r.integer(11);
  v.decided_by = r.text(12);
  v.decided_time = r.integer(13);
  v.version = r.integer(14);
  return v;
}

ClassificationEvent event_from(const Row& r) {
  ClassificationEvent e;
  e.id = r.integer(0);
  e.database = r.text(1);
  e.table = r.text(2);
  e.column = r.text(3);
  e.entity = r.text(4);
  e.event = r.text(5);
  e.status = r.text(6);
  e.actor = r.text(7);
  e.time = r.integer(8);
  e.confidence = real(r, 9);
  e.sample_size = r.integer(10);
  e.matched = r.integer(11);
  e.note = r.text(12);
  return e;
}

std::string verdict_label(std::string_view database, std::string_view table, std::string_view column,
                          std::string_view entity) {
  return "the " + std::string(entity) + " verdict on column '" + std::string(column) + "' of table '" +
         std::string(database) + "." + std::string(table) + "'";
}

/// The four key parts of a verdict listing token.
std::vector<std::string> verdict_token(const std::string& token) {
  std::vector<std::string> parts;
  if (token.empty()) return parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = token.find(kTokenSeparator, start);
    parts.push_back(token.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (parts.size() != 4)
    throw Error(ErrorCode::InvalidArgument, "next_token is not a token this listing returned", "next_token");
  return parts;
}

}  // namespace

EntityTypeRecord SqlStore::create_entity_type(const EntityTypeRecord& type) {
  EntityTypeRecord out = type;
  out.create_time = now_millis();
  with_transaction(true, [&](sql::Connection& c) {
    auto r = run(c,
                 "INSERT INTO entity_types (name, pattern, context_words, created_by, create_time) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING name",
                 {out.name, out.pattern, out.context_words, out.created_by, out.create_time});
    if (r.rows.empty())
      throw Error(ErrorCode::AlreadyExists, "entity type '" + out.name + "' already exists", "name");
  });
  return out;
}

std::optional<EntityTypeRecord> SqlStore::get_entity_type(std::string_view name) {
  std::optional<EntityTypeRecord> out;
  with_transaction(false, [&](sql::Connection& c) {
    auto r = run(c, std::string("SELECT ") + kEntityTypeCols + " FROM entity_types WHERE name = ?",
                 {std::string(name)});
    if (!r.rows.empty()) out = entity_type_from(r.rows[0]);
  });
  return out;
}

std::vector<EntityTypeRecord> SqlStore::list_entity_types() {
  std::vector<EntityTypeRecord> out;
  with_transaction(false, [&](sql::Connection& c) {
    auto r = run(c, std::string("SELECT ") + kEntityTypeCols + " FROM entity_types ORDER BY name", {});
    for (const auto& row : r.rows) out.push_back(entity_type_from(row));
  });
  return out;
}

void SqlStore::delete_entity_type(std::string_view name) {
  with_transaction(true, [&](sql::Connection& c) {
    if (run(c, "DELETE FROM entity_types WHERE name = ?", {std::string(name)}).affected == 0)
      throw Error(ErrorCode::NotFound, "entity type '" + std::string(name) + "' not found", "name");
  });
}

std::optional<ClassificationSettingsRecord> SqlStore::get_classification_settings() {
  std::optional<ClassificationSettingsRecord> out;
  with_transaction(false, [&](sql::Connection& c) {
    auto r = run(c, "SELECT settings, version, update_time FROM classification_settings WHERE id = 1", {});
    if (r.rows.empty()) return;
    out = ClassificationSettingsRecord{r.rows[0].text(0), r.rows[0].integer(1), r.rows[0].integer(2)};
  });
  return out;
}

ClassificationSettingsRecord SqlStore::put_classification_settings(
    const std::string& settings, std::optional<std::int64_t> expected_version) {
  ClassificationSettingsRecord out{settings, 0, now_millis()};
  with_transaction(true, [&](sql::Connection& c) {
    auto r = run(c, "SELECT version FROM classification_settings WHERE id = 1", {});
    const std::int64_t current = r.rows.empty() ? 0 : r.rows[0].integer(0);
    if (expected_version && *expected_version != current)
      throw Error(ErrorCode::VersionConflict,
                  "the classification settings are at version " + std::to_string(current) + ", not " +
                      std::to_string(*expected_version),
                  "expected_version");
    out.version = current + 1;
    if (r.rows.empty()) {
      run(c, "INSERT INTO classification_settings (id, settings, version, update_time) VALUES (1, ?, ?, ?)",
          {out.settings, out.version, out.update_time});
    } else {
      run(c, "UPDATE classification_settings SET settings = ?, version = ?, update_time = ? WHERE id = 1",
          {out.settings, out.version, out.update_time});
    }
  });
  return out;
}

Page<ColumnClassification> SqlStore::list_classifications(const ClassificationFilter& filter,
                                                          const PageRequest& page) {
  if (!filter.table.empty() && filter.database.empty())
    throw Error(ErrorCode::InvalidArgument, "a table filter needs a database", "database");
  const int limit = std::clamp(page.limit, 1, kMaxPage);
  const std::vector<std::string> after = verdict_token(page.token);
  std::string text = std::string("SELECT ") + kVerdictCols + " FROM column_classifications WHERE 1 = 1";
  Params params;
  if (!filter.database.empty()) {
    text += " AND database_name = ?";
    params.emplace_back(filter.database);
  }
  if (!filter.table.empty()) {
    text += " AND table_name = ?";
    params.emplace_back(filter.table);
  }
  if (!filter.status.empty()) {
    text += " AND status = ?";
    params.emplace_back(filter.status);
  }
  if (!after.empty()) {
    // Row-value comparison spelt out: SQLite and PostgreSQL both have it, but this form uses the index the
    // same way on both.
    text +=
        " AND (database_name > ? OR (database_name = ? AND (table_name > ? OR (table_name = ? AND "
        "(column_name > ? OR (column_name = ? AND entity > ?))))))";
    for (const auto& v : {after[0], after[0], after[1], after[1], after[2], after[2], after[3]})
      params.emplace_back(v);
  }
  text += " ORDER BY database_name, table_name, column_name, entity LIMIT ?";
  params.emplace_back(std::int64_t{limit} + 1);
  Page<ColumnClassification> out;
  with_transaction(false, [&](sql::Connection& c) {
    out.items.clear();
    for (const auto& row : run(c, text, params).rows) out.items.push_back(verdict_from(row));
  });
  if (static_cast<int>(out.items.size()) > limit) {
    out.items.resize(static_cast<std::size_t>(limit));
    const auto& last = out.items.back();
    out.next_token = last.database + kTokenSeparator + last.table + kTokenSeparator + last.column +
                     kTokenSeparator + last.entity;
  }
  return out;
}

std::optional<ColumnClassification> SqlStore::get_classification(std::string_view database,
                                                                 std::string_view table,
                                                                 std::string_view column,
                                                                 std::string_view entity) {
  std::optional<ColumnClassification> out;
  with_transaction(false, [&](sql::Connection& c) {
    auto r = run(c,
                 std::string("SELECT ") + kVerdictCols +
                     " FROM column_classifications WHERE database_name = ? AND table_name = ? AND "
                     "column_name = ? AND entity = ?",
                 {std::string(database), std::string(table), std::string(column), std::string(entity)});
    if (!r.rows.empty()) out = verdict_from(r.rows[0]);
  });
  return out;
}

namespace {

void append_event(const std::function<sql::Result(const std::string&, const Params&)>& exec_fn,
                  const ClassificationEvent& e) {
  exec_fn(
      "INSERT INTO classification_events (database_name, table_name, column_name, entity, event, status, "
      "actor, "
      "time, confidence, sample_size, matched, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {e.database, e.table, e.column, e.entity, e.event, e.status, e.actor,
       e.time == 0 ? now_millis() : e.time, e.confidence, e.sample_size, e.matched, e.note});
}

}  // namespace

ColumnClassification SqlStore::save_classification(const ColumnClassification& verdict,
                                                   const ClassificationEvent& event,
                                                   std::optional<std::int64_t> expected_version) {
  ColumnClassification out = verdict;
  with_transaction(true, [&](sql::Connection& c) {
    auto t = run(c,
                 "SELECT t.id FROM tables t JOIN databases d ON d.id = t.database_id WHERE d.name = ? AND "
                 "t.name = ?",
                 {verdict.database, verdict.table});
    if (t.rows.empty())
      throw Error(ErrorCode::NotFound, "table '" + verdict.database + "." + verdict.table + "' not found",
                  "table");
    const std::int64_t table_id = t.rows[0].integer(0);
    auto cur =
        run(c,
            "SELECT version FROM column_classifications WHERE database_name = ? AND table_name = ? AND "
            "column_name = ? AND entity = ?",
            {verdict.database, verdict.table, verdict.column, verdict.entity});
    const std::int64_t current = cur.rows.empty() ? 0 : cur.rows[0].integer(0);
    if (expected_version && *expected_version != current)
      throw Error(ErrorCode::VersionConflict,
                  verdict_label(verdict.database, verdict.table, verdict.column, verdict.entity) +
                      " is at version " + std::to_string(current) + ", not " +
                      std::to_string(*expected_version),
                  "expected_version");
    out.version = current + 1;
    if (out.classified_time == 0) out.classified_time = now_millis();
    const Params values = {
        table_id,           out.status,      out.confidence, out.sample_size,     out.matched,
        out.masked_example, out.fingerprint, out.source,     out.classified_time, out.decided_by,
        out.decided_time,   out.version,     out.database,   out.table,           out.column,
        out.entity};
    if (cur.rows.empty()) {
      run(c,
          "INSERT INTO column_classifications (table_id, status, confidence, sample_size, matched, "
          "masked_example, fingerprint, source, classified_time, decided_by, decided_time, version, "
          "database_name, table_name, column_name, entity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "?, ?)",
          values);
    } else {
      run(c,
          "UPDATE column_classifications SET table_id = ?, status = ?, confidence = ?, sample_size = ?, "
          "matched = ?, masked_example = ?, fingerprint = ?, source = ?, classified_time = ?, decided_by = "
          "?, "
          "decided_time = ?, version = ? WHERE database_name = ? AND table_name = ? AND column_name = ? AND "
          "entity = ?",
          values);
    }
    append_event([&](const std::string& text, const Params& p) { return run(c, text, p); }, event);
  });
  return out;
}

bool SqlStore::delete_classification(std::string_view database, std::string_view table,
                                     std::string_view column, std::string_view entity,
                                     const ClassificationEvent& event) {
  bool removed = false;
  with_transaction(true, [&](sql::Connection& c) {
    removed = run(c,
                  "DELETE FROM column_classifications WHERE database_name = ? AND table_name = ? AND "
                  "column_name = ? AND entity = ?",
                  {std::string(database), std::string(table), std::string(column), std::string(entity)})
                  .affected > 0;
    if (removed)
      append_event([&](const std::string& text, const Params& p) { return run(c, text, p); }, event);
  });
  return removed;
}

Page<ClassificationEvent> SqlStore::list_classification_events(std::string_view database,
                                                               std::string_view table,
                                                               const PageRequest& page) {
  const int limit = std::clamp(page.limit, 1, kMaxPage);
  const std::int64_t before = id_token(page.token);
  std::string text =
      std::string("SELECT ") + kEventCols + " FROM classification_events WHERE database_name = ?";
  Params params = {std::string(database)};
  if (!table.empty()) {
    text += " AND table_name = ?";
    params.emplace_back(std::string(table));
  }
  text += " AND id < ? ORDER BY id DESC LIMIT ?";
  params.emplace_back(before);
  params.emplace_back(std::int64_t{limit} + 1);
  Page<ClassificationEvent> out;
  with_transaction(false, [&](sql::Connection& c) {
    out.items.clear();
    for (const auto& row : run(c, text, params).rows) out.items.push_back(event_from(row));
  });
  if (static_cast<int>(out.items.size()) > limit) {
    out.items.resize(static_cast<std::size_t>(limit));
    out.next_token = std::to_string(out.items.back().id);
  }
  return out;
}

}  // namespace cairn::catalog
