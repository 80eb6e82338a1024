// SqlStore: crawler definitions, runs and their lease, per-file crawl state, and connections
// (crawler_records.h; migrations 0004_crawlers.sql). One implementation for both dialects.

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
using sql::Value;

constexpr const char* kCrawlerCols =
    "name, definition, version, create_time, update_time, next_run, state, current_run, lease_owner, "
    "lease_expires, last_run";
constexpr const char* kRunCols =
    "id, crawler, trigger_kind, owner, start_time, end_time, status, error, stats";
constexpr const char* kConnectionCols = "name, type, properties, sealed_secret, create_time, update_time";
constexpr int kMaxPage = 1000;
constexpr std::size_t kFileChunk = 100;  // rows per multi-row statement (PostgreSQL allows 65535 parameters)

std::optional<std::int64_t> optional_integer(const Row& r, std::size_t i) {
  if (r.is_null(i)) return std::nullopt;
  return r.integer(i);
}

Value optional_value(const std::optional<std::int64_t>& v) {
  if (!v) return std::monostate{};
  return *v;
}

CrawlerRecord crawler_from(const Row& r) {
  CrawlerRecord c;
  c.name = r.text(0);
  c.definition = r.text(1);
  c.version = r.integer(2);
  c.create_time = r.integer(3);
  c.update_time = r.integer(4);
  c.next_run = optional_integer(r, 5);
  c.state = r.text(6);
  c.current_run = optional_integer(r, 7);
  c.lease_owner = r.text(8);
  c.lease_expires = r.integer(9);
  c.last_run = optional_integer(r, 10);
  return c;
}

CrawlerRun run_from(const Row& r) {
  CrawlerRun run;
  run.id = r.integer(0);
  run.crawler = r.text(1);
  run.trigger = r.text(2);
  run.owner = r.text(3);
  run.start_time = r.integer(4);
  run.end_time = optional_integer(r, 5);
  run.status = r.text(6);
  run.error = r.text(7);
  run.stats = r.text(8);
  return run;
}

ConnectionRecord connection_from(const Row& r) {
  ConnectionRecord c;
  c.name = r.text(0);
  c.type = r.text(1);
  c.properties = r.text(2);
  c.sealed_secret = r.text(3);
  c.create_time = r.integer(4);
  c.update_time = r.integer(5);
  return c;
}

std::string crawler_label(std::string_view name) {
  return "crawler '" + std::string(name) + "'";
}

}  // namespace

std::int64_t id_token(const std::string& token) {
  if (token.empty()) return std::numeric_limits<std::int64_t>::max();
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec != std::errc() || ptr != token.data() + token.size() || v <= 0)
    throw Error(ErrorCode::InvalidArgument, "next_token is not a token this listing returned", "next_token");
  return v;
}

CrawlerRecord SqlStore::create_crawler(const CrawlerRecord& crawler) {
  CrawlerRecord out = crawler;
  out.version = 1;
  out.create_time = now_millis();
  out.update_time = out.create_time;
  out.state = "READY";
  out.current_run.reset();
  out.last_run.reset();
  out.lease_owner.clear();
  out.lease_expires = 0;
  with_transaction(true, [&](sql::Connection& c) {
    auto r =
        run(c,
            "INSERT INTO crawlers (name, definition, version, create_time, update_time, next_run, state) "
            "VALUES (?, ?, ?, ?, ?, ?, 'READY') ON CONFLICT (name) DO NOTHING RETURNING name",
            {out.name, out.definition, out.version, out.create_time, out.update_time,
             optional_value(out.next_run)});
    if (r.rows.empty())
      throw Error(ErrorCode::AlreadyExists, crawler_label(out.name) + " already exists", "name");
  });
  return out;
}

std::optional<CrawlerRecord> SqlStore::get_crawler(std::string_view name) {
  std::optional<CrawlerRecord> out;
  with_transaction(false, [&](sql::Connection& c) {
    auto r =
        run(c, std::string("SELECT ") + kCrawlerCols + " FROM crawlers WHERE name = ?", {std::string(name)});
    if (!r.rows.empty()) out = crawler_from(r.rows[0]);
  });
  return out;
}

Page<CrawlerRecord> SqlStore::list_crawlers(const PageRequest& page) {
  const int limit = std::clamp(page.limit, 1, kMaxPage);
  Page<CrawlerRecord> out;
  with_transaction(false, [&](sql::Connection& c) {
    auto r =
        run(c, std::string("SELECT ") + kCrawlerCols + " FROM crawlers WHERE name > ? ORDER BY name LIMIT ?",
            {page.token, std::int64_t{limit} + 1});
    for (const auto& row : r.rows) out.items.push_back(crawler_from(row));
  });
  if (static_cast<int>(out.items.size()) > limit) {
    out.items.resize(static_cast<std::size_t>(limit));
    out.next_token = out.items.back().name;
  }
  return out;
}

CrawlerRecord SqlStore::update_crawler(std::string_view name, const std::string& definition,
                                       std::optional<Timestamp> next_run,
                                       std::optional<std::int64_t> expected_version) {
  CrawlerRecord out;
  with_transaction(true, [&](sql::Connection& c) {
    auto r = run(
        c, std::string("SELECT ") + kCrawlerCols + " FROM crawlers WHERE name = ?" + dialect().for_update(),
        {std::string(name)});
    if (r.rows.empty()) throw_not_found(crawler_label(name) + " not found");
    out = crawler_from(r.rows[0]);
    if (expected_version && *expected_version != out.version) {
      throw Error(ErrorCode::VersionConflict,
                  crawler_label(name) + " is at version " + std::to_string(out.version) +
                      ", not the expected version " + std::to_string(*expected_version),
                  "version");
    }
    out.definition = definition;
    out.next_run = next_run;
    out.version += 1;
    out.update_time = std::max(now_millis(), out.create_time);
    run(c, "UPDATE crawlers SET definition = ?, next_run = ?, version = ?, update_time = ? WHERE name = ?",
        {out.definition, optional_value(out.next_run), out.version, out.update_time, out.name});
  });
  return out;
}

void SqlStore::delete_crawler(std::string_view name) {
  with_transaction(true, [&](sql::Connection& c) {
    auto r = run(c, "SELECT state, lease_expires FROM crawlers WHERE name = ?" + dialect().for_update(),
                 {std::string(name)});
    if (r.rows.empty()) throw_not_found(crawler_label(name) + " not found");
    if (r.rows[0].text(0) != "READY" && r.rows[0].integer(1) >= now_millis()) {
      throw Error(
          ErrorCode::FailedPrecondition,
          crawler_label(name) + " is running; stop it (cairn crawler stop) and delete it when it is READY",
          "name");
    }
    run(c, "DELETE FROM crawler_files WHERE crawler = ?", {std::string(name)});
    run(c, "DELETE FROM crawler_runs WHERE crawler = ?", {std::string(name)});
    run(c, "DELETE FROM crawlers WHERE name = ?", {std::string(name)});
  });
}

std::optional<CrawlerRun> SqlStore::begin_crawler_run(std::string_view name, const std::string& owner,
                                                      const std::string& trigger, Timestamp now,
                                                      Timestamp lease_until) {
  std::optional<CrawlerRun> out;
  with_transaction(true, [&](sql::Connection& c) {
    auto r = run(
        c, "SELECT state, current_run, lease_expires FROM crawlers WHERE name = ?" + dialect().for_update(),
        {std::string(name)});
    if (r.rows.empty()) throw_not_found(crawler_label(name) + " not found");
    const Row& row = r.rows[0];
    if (row.text(0) != "READY") {
      if (row.integer(2) >= now) return;  // a live run holds the lease
      if (!row.is_null(1)) {
        run(c,
            "UPDATE crawler_runs SET status = 'FAILED', end_time = ?, error = ? WHERE id = ? AND status = "
            "'RUNNING'",
            {now,
             std::string("the node running it stopped renewing its lease (it stopped or lost the store)"),
             row.integer(1)});
      }
    }
    CrawlerRun run_row;
    run_row.crawler = std::string(name);
    run_row.trigger = trigger;
    run_row.owner = owner;
    run_row.start_time = now;
    run_row.status = "RUNNING";
    auto ins =
        run(c,
            "INSERT INTO crawler_runs (crawler, trigger_kind, owner, start_time, status, error, stats) "
            "VALUES (?, ?, ?, ?, 'RUNNING', '', '{}') RETURNING id",
            {run_row.crawler, trigger, owner, now});
    run_row.id = ins.rows.at(0).integer(0);
    run(c,
        "UPDATE crawlers SET state = 'RUNNING', current_run = ?, last_run = ?, lease_owner = ?, "
        "lease_expires = ? "
        "WHERE name = ?",
        {run_row.id, run_row.id, owner, lease_until, run_row.crawler});
    out = run_row;
  });
  return out;
}

LeaseState SqlStore::renew_crawler_lease(std::string_view name, std::int64_t run_id, const std::string& owner,
                                         Timestamp lease_until, const std::string& stats) {
  LeaseState state = LeaseState::Lost;
  with_transaction(true, [&](sql::Connection& c) {
    auto r =
        run(c,
            "UPDATE crawlers SET lease_expires = ? WHERE name = ? AND current_run = ? AND lease_owner = ? "
            "AND state <> 'READY' RETURNING state",
            {lease_until, std::string(name), run_id, owner});
    if (r.rows.empty()) return;
    state = r.rows[0].text(0) == "STOPPING" ? LeaseState::StopRequested : LeaseState::Held;
    run(c, "UPDATE crawler_runs SET stats = ? WHERE id = ?", {stats, run_id});
  });
  return state;
}

bool SqlStore::request_crawler_stop(std::string_view name) {
  bool stopping = false;
  with_transaction(true, [&](sql::Connection& c) {
    auto r =
        run(c, "SELECT state FROM crawlers WHERE name = ?" + dialect().for_update(), {std::string(name)});
    if (r.rows.empty()) throw_not_found(crawler_label(name) + " not found");
    if (r.rows[0].text(0) == "READY") return;
    run(c, "UPDATE crawlers SET state = 'STOPPING' WHERE name = ?", {std::string(name)});
    stopping = true;
  });
  return stopping;
}

bool SqlStore::finish_crawler_run(std::string_view name, std::int64_t run_id, const std::string& owner,
                                  const std::string& status, const std::string& error,
                                  const std::string& stats, Timestamp end_time) {
  bool done = false;
  with_transaction(true, [&](sql::Connection& c) {
    auto r =
        run(c,
            "UPDATE crawlers SET state = 'READY', current_run = NULL, lease_owner = '', lease_expires = 0 "
            "WHERE name = ? AND current_run = ? AND lease_owner = ? RETURNING name",
            {std::string(name), run_id, owner});
    if (r.rows.empty()) return;
    run(c, "UPDATE crawler_runs SET status = ?, error = ?, stats = ?, end_time = ? WHERE id = ?",
        {status, error, stats, end_time, run_id});
    done = true;
  });
  return done;
}

std::optional<CrawlerRun> SqlStore::get_crawler_run(std::int64_t id) {
  std::optional<CrawlerRun> out;
  with_transaction(false, [&](sql::Connection& c) {
    auto r = run(c, std::string("SELECT ") + kRunCols + " FROM crawler_runs WHERE id = ?", {id});
    if (!r.rows.empty()) out = run_from(r.rows[0]);
  });
  return out;
}

Page<CrawlerRun> SqlStore::list_crawler_runs(std::string_view name, const PageRequest& page) {
  const int limit = std::clamp(page.limit, 1, kMaxPage);
  const std::int64_t before = id_token(page.token);
  Page<CrawlerRun> out;
  with_transaction(false, [&](sql::Connection& c) {
    auto r = run(c,
                 std::string("SELECT ") + kRunCols +
                     " FROM crawler_runs WHERE crawler = ? AND id < ? ORDER BY id DESC LIMIT ?",
                 {std::string(name), before, std::int64_t{limit} + 1});
    for (const auto& row : r.rows) out.items.push_back(run_from(row));
  });
  if (static_cast<int>(out.items.size()) > limit) {
    out.items.resize(static_cast<std::size_t>(limit));
    out.next_token = std::to_string(out.items.back().id);
  }
  return out;
}

bool SqlStore::claim_crawler_schedule(std::string_view name, Timestamp expected,
                                      std::optional<Timestamp> next) {
  bool claimed = false;
  with_transaction(true, [&](sql::Connection& c) {
    claimed = run(c, "UPDATE crawlers SET next_run = ? WHERE name = ? AND next_run = ?",
                  {optional_value(next), std::string(name), expected})
                  .affected == 1;
  });
  return claimed;
}

namespace {

constexpr const char* kCrawlerFileCols = "SELECT path, size, mtime, etag, file_schema FROM crawler_files";

void append_crawler_files(sql::Result& r, std::vector<CrawlerFile>& out) {
  out.reserve(out.size() + r.rows.size());
  for (auto& row : r.rows) {
    CrawlerFile f;
    f.path = std::move(*row.cells[0]);
    f.size = row.integer(1);
    f.mtime = row.integer(2);
    f.etag = row.text(3);
    f.schema = row.text(4);
    out.push_back(std::move(f));
  }
}

/// The least string above every string that starts with `prefix`, when the prefix ends in an ASCII byte
/// (its successor is then ASCII too, so the bound is valid UTF-8); "" otherwise (no upper bound).
std::string prefix_bound(std::string_view prefix) {
  if (prefix.empty() || static_cast<unsigned char>(prefix.back()) >= 0x7f) return {};
  std::string bound(prefix);
  bound.back() = static_cast<char>(bound.back() + 1);
  return bound;
}

}  // namespace

std::vector<CrawlerFile> SqlStore::load_crawler_files(std::string_view name) {
  std::vector<CrawlerFile> out;
  with_transaction(false, [&](sql::Connection& c) {
    auto r = run(c, std::string(kCrawlerFileCols) + " WHERE crawler = ? ORDER BY path", {std::string(name)});
    append_crawler_files(r, out);
  });
  return out;
}

std::vector<CrawlerFile> SqlStore::load_crawler_files_with_prefix(std::string_view name,
                                                                  std::string_view prefix) {
  std::vector<CrawlerFile> out;
  const std::string bound = prefix_bound(prefix);
  with_transaction(false, [&](sql::Connection& c) {
    // path is compared bytewise in both stores (SQLite's BINARY, PostgreSQL's COLLATE "C" column), so the
    // range is the prefix and walks the (crawler, path) key.
    if (!bound.empty()) {
      auto r = run(
          c, std::string(kCrawlerFileCols) + " WHERE crawler = ? AND path >= ? AND path < ? ORDER BY path",
          {std::string(name), std::string(prefix), bound});
      append_crawler_files(r, out);
      return;
    }
    auto r = run(c, std::string(kCrawlerFileCols) + " WHERE crawler = ? AND path >= ? ORDER BY path",
                 {std::string(name), std::string(prefix)});
    append_crawler_files(r, out);
  });
  if (bound.empty())
    std::erase_if(out, [&](const CrawlerFile& f) { return !std::string_view(f.path).starts_with(prefix); });
  return out;
}

std::vector<CrawlerFile> SqlStore::get_crawler_files(std::string_view name,
                                                     const std::vector<std::string>& paths) {
  std::vector<CrawlerFile> out;
  if (paths.empty()) return out;
  const std::string crawler(name);
  with_transaction(false, [&](sql::Connection& c) {
    for (std::size_t start = 0; start < paths.size(); start += kFileChunk) {
      const std::size_t end = std::min(paths.size(), start + kFileChunk);
      std::string text = std::string(kCrawlerFileCols) + " WHERE crawler = ? AND path IN (";
      Params params{crawler};
      for (std::size_t i = start; i < end; ++i) {
        text += i == start ? "?" : ", ?";
        params.emplace_back(paths[i]);
      }
      auto r = run(c, text + ")", params);
      append_crawler_files(r, out);
    }
  });
  std::sort(out.begin(), out.end(),
            [](const CrawlerFile& a, const CrawlerFile& b) { return a.path < b.path; });
  return out;
}

void SqlStore::save_crawler_files(std::string_view name, const std::vector<CrawlerFile>& files,
                                  const std::vector<std::string>& removed) {
  if (files.empty() && removed.empty()) return;
  const std::string crawler(name);
  with_transaction(true, [&](sql::Connection& c) {
    for (std::size_t start = 0; start < removed.size(); start += kFileChunk) {
      const std::size_t end = std::min(removed.size(), start + kFileChunk);
      std::string text = "DELETE FROM crawler_files WHERE crawler = ? AND path IN (";
      Params params{crawler};
      for (std::size_t i = start; i < end; ++i) {
        text += i == start ? "?" : ", ?";
        params.emplace_back(removed[i]);
      }
      run(c, text + ")", params);
    }
    for (std::size_t start = 0; start < files.size(); start += kFileChunk) {
      const std::size_t end = std::min(files.size(), start + kFileChunk);
      std::string text = "INSERT INTO crawler_files (crawler, path, size, mtime, etag, file_schema) VALUES ";
      Params params;
      params.reserve((end - start) * 6);
      for (std::size_t i = start; i < end; ++i) {
        const CrawlerFile& f = files[i];
        text += i == start ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)";
        params.insert(params.end(), {crawler, f.path, f.size, f.mtime, f.etag, f.schema});
      }
      text +=
          " ON CONFLICT (crawler, path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, etag = "
          "excluded.etag, file_schema = excluded.file_schema";
      run(c, text, params);
    }
  });
}

ConnectionRecord SqlStore::create_connection(const ConnectionRecord& connection) {
  ConnectionRecord out = connection;
  out.create_time = now_millis();
  out.update_time = out.create_time;
  with_transaction(true, [&](sql::Connection& c) {
    auto r = run(c,
                 "INSERT INTO connections (name, type, properties, sealed_secret, create_time, update_time) "
                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING name",
                 {out.name, out.type, out.properties, out.sealed_secret, out.create_time, out.update_time});
    if (r.rows.empty())
      throw Error(ErrorCode::AlreadyExists, "connection '" + out.name + "' already exists", "name");
  });
  return out;
}

std::optional<ConnectionRecord> SqlStore::get_connection(std::string_view name) {
  std::optional<ConnectionRecord> out;
  with_transaction(false, [&](sql::Connection& c) {
    auto r = run(c, std::string("SELECT ") + kConnectionCols + " FROM connections WHERE name = ?",
                 {std::string(name)});
    if (!r.rows.empty()) out = connection_from(r.rows[0]);
  });
  return out;
}

std::vector<ConnectionRecord> SqlStore::list_connections() {
  std::vector<ConnectionRecord> out;
  with_transaction(false, [&](sql::Connection& c) {
    for (const auto& row :
         run(c, std::string("SELECT ") + kConnectionCols + " FROM connections ORDER BY name", {}).rows)
      out.push_back(connection_from(row));
  });
  return out;
}

ConnectionRecord SqlStore::update_connection(const ConnectionRecord& connection) {
  ConnectionRecord out;
  with_transaction(true, [&](sql::Connection& c) {
    auto r = run(c,
                 std::string("SELECT ") + kConnectionCols + " FROM connections WHERE name = ?" +
                     dialect().for_update(),
                 {connection.name});
    if (r.rows.empty()) throw_not_found("connection '" + connection.name + "' not found");
    out = connection_from(r.rows[0]);
    out.type = connection.type;
    out.properties = connection.properties;
    if (!connection.sealed_secret.empty()) out.sealed_secret = connection.sealed_secret;
    out.update_time = std::max(now_millis(), out.create_time);
    run(c,
        "UPDATE connections SET type = ?, properties = ?, sealed_secret = ?, update_time = ? WHERE name = ?",
        {out.type, out.properties, out.sealed_secret, out.update_time, out.name});
  });
  return out;
}

void SqlStore::delete_connection(std::string_view name) {
  with_transaction(true, [&](sql::Connection& c) {
    if (run(c, "DELETE FROM connections WHERE name = ?", {std::string(name)}).affected == 0)
      throw_not_found("connection '" + std::string(name) + "' not found");
  });
}

}  // namespace cairn::catalog
