#include "sql_store.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <limits>
#include <set>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "cairn/catalog/byte_scan.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/model_json.h"
#include "cairn/catalog/names.h"

namespace cairn::catalog {

namespace sql {

const std::string& Row::text(std::size_t i) const {
  static const std::string empty;
  const auto& cell = cells.at(i);
  return cell ? *cell : empty;
}

std::int64_t Row::integer(std::size_t i) const {
  const auto& cell = cells.at(i);
  if (!cell) return 0;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), value);
  if (ec != std::errc() || ptr != cell->data() + cell->size()) {
    throw Error(ErrorCode::Internal, "store returned a non-integer where an integer was expected");
  }
  return value;
}

std::string Dialect::number(const std::string& sql, int first) const {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = first;
  for (char c : sql) {
    if (c == '?') {
      out += placeholder(n++);
    } else {
      out += c;
    }
  }
  return out;
}

Pool::Pool(Factory factory, int size, std::chrono::milliseconds timeout, std::string what)
    : factory_(std::move(factory)), size_(std::max(1, size)), timeout_(timeout), what_(std::move(what)) {}

Pool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->release(std::move(conn_));
}

Pool::Lease Pool::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (idle_.empty() && open_ >= size_) {
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= size_) {
      throw Error(ErrorCode::Unavailable, "timed out after " + std::to_string(timeout_.count()) +
                                              " ms waiting for a free " + what_ + " connection");
    }
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  try {
    return Lease(this, factory_());
  } catch (...) {
    lock.lock();
    --open_;
    available_.notify_one();
    throw;
  }
}

void Pool::release(std::unique_ptr<Connection> conn) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (conn && conn->usable()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  available_.notify_one();
}

}  // namespace sql

namespace {

using nlohmann::json;
using sql::Params;
using sql::Row;

constexpr std::size_t kChunk = 100;  // rows per multi-row statement

std::string dump(const json& j) {
  return j.dump();
}

json parse_json(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::Internal, std::string("store holds malformed JSON: ") + e.what());
  }
}

Parameters params_from(const std::string& text) {
  return parameters_from_json(parse_json(text), "parameters");
}

std::string columns_text(const std::vector<Column>& cols) {
  json arr = json::array();
  for (const auto& c : cols) arr.push_back(to_json(c));
  return dump(arr);
}

/// Canonical identity of a partition: the JSON text of its values (as json(values).dump() writes it); nullopt
/// if a value is not valid UTF-8 (such a partition cannot have been stored).
std::optional<std::string> partition_key(const std::vector<std::string>& values) {
  std::size_t size = 2;
  for (const std::string& v : values) size += v.size() + 3;
  std::string out;
  out.reserve(size);
  out += '[';
  try {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      append_json_string(out, values[i]);
    }
  } catch (const Error&) {
    return std::nullopt;
  }
  out += ']';
  return out;
}

std::vector<std::string> values_from(const std::string& text) {
  json j = parse_json(text);
  std::vector<std::string> out;
  for (const auto& v : j) out.push_back(v.get<std::string>());
  return out;
}

// --- opaque page tokens: base64url (no padding) of a small JSON object ------------------------------------

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(const std::string& in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64[(buf >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kB64[(buf << (6 - bits)) & 0x3F];
  return out;
}

std::optional<std::string> unbase64url(const std::string& in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    const char* pos = std::char_traits<char>::find(kB64, 64, c);
    if (pos == nullptr) return std::nullopt;
    buf = (buf << 6) | static_cast<std::uint32_t>(pos - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  return out;
}

std::string make_token(const json& position) {
  return base64url(position.dump());
}

/// The position encoded in `token`, or nullopt for the first page; throws InvalidArgument on a bad token.
std::optional<json> read_token(const std::string& token, const char* key) {
  if (token.empty()) return std::nullopt;
  auto raw = unbase64url(token);
  if (raw) {
    try {
      json j = json::parse(*raw);
      if (j.is_object() && j.contains(key)) return j.at(key);
    } catch (const json::exception&) {
    }
  }
  throw_invalid("next_token", "the page token is malformed or belongs to another listing");
}

std::string token_string(const std::string& token, const char* key) {
  auto pos = read_token(token, key);
  if (!pos) return std::string();
  if (!pos->is_string())
    throw_invalid("next_token", "the page token is malformed or belongs to another listing");
  return pos->get<std::string>();
}

// --- row decoding -----------------------------------------------------------------------------------------

constexpr const char* kDatabaseCols = "name, description, location_uri, parameters, create_time";

Database database_from(const Row& r) {
  Database db;
  db.name = r.text(0);
  db.description = r.text(1);
  db.location_uri = r.text(2);
  db.parameters = params_from(r.text(3));
  db.create_time = r.integer(4);
  return db;
}

constexpr const char* kTableCols =
    "d.name, t.name, t.description, t.owner, t.table_type, t.parameters, t.retention, t.partition_keys, "
    "t.storage_descriptor, t.view_original_text, t.view_expanded_text, t.create_time, t.update_time, "
    "t.version_id";

Table table_from(const Row& r) {
  Table t;
  t.database_name = r.text(0);
  t.name = r.text(1);
  t.description = r.text(2);
  t.owner = r.text(3);
  t.table_type = r.text(4);
  t.parameters = params_from(r.text(5));
  t.retention = static_cast<int>(r.integer(6));
  t.partition_keys = columns_from_json(parse_json(r.text(7)), "partition_keys");
  t.storage_descriptor = storage_descriptor_from_json(parse_json(r.text(8)), "storage_descriptor");
  t.view_original_text = r.text(9);
  t.view_expanded_text = r.text(10);
  t.create_time = r.integer(11);
  t.update_time = r.integer(12);
  t.version_id = r.integer(13);
  return t;
}

/// A stored version: table_json plus the fields JSON does not carry back.
Table version_from(const std::string& database, const std::string& name, Timestamp create_time,
                   std::int64_t version, Timestamp update_time, const std::string& table_json) {
  Table t = table_from_json(parse_json(table_json), "table");
  t.database_name = database;
  t.name = name;
  t.create_time = create_time;
  t.update_time = update_time;
  t.version_id = version;
  return t;
}

constexpr const char* kPartitionCols =
    "p.vals, p.storage_descriptor, p.parameters, p.create_time, p.last_access_time, p.part_key";

Partition partition_from(const Table& table, const Row& r) {
  Partition p;
  p.database_name = table.database_name;
  p.table_name = table.name;
  p.values = values_from(r.text(0));
  p.storage_descriptor = storage_descriptor_from_json(parse_json(r.text(1)), "storage_descriptor");
  p.parameters = params_from(r.text(2));
  p.create_time = r.integer(3);
  p.last_access_time = r.integer(4);
  return p;
}

const char* status_name(AccessKeyStatus s) {
  return s == AccessKeyStatus::Active ? "Active" : "Inactive";
}

PrincipalKind kind_from(const std::string& s) {
  if (s == "user") return PrincipalKind::User;
  if (s == "role") return PrincipalKind::Role;
  if (s == "group") return PrincipalKind::Group;
  throw Error(ErrorCode::Internal, "store holds an unknown principal kind");
}

AccessKey access_key_from(const Row& r) {
  AccessKey k;
  k.access_key_id = r.text(0);
  k.owner_kind = kind_from(r.text(1));
  k.owner_name = r.text(2);
  k.status = r.text(3) == "Active" ? AccessKeyStatus::Active : AccessKeyStatus::Inactive;
  k.sealed_secret = r.text(4);
  k.create_time = r.integer(5);
  return k;
}

Principal principal_from(const Row& r) {
  Principal p;
  p.kind = kind_from(r.text(0));
  p.name = r.text(1);
  p.description = r.text(2);
  p.create_time = r.integer(3);
  return p;
}

std::string table_label(const std::string& database, const std::string& name) {
  return "table '" + database + "." + name + "'";
}

BatchItemError item_error(const std::vector<std::string>& values, ErrorCode code, std::string message) {
  return BatchItemError{values, std::string(error_code_name(code)), std::move(message)};
}

Error translate(const sql::DriverError& e) {
  using Kind = sql::DriverError::Kind;
  switch (e.kind()) {
    case Kind::UniqueViolation:
      return Error(ErrorCode::AlreadyExists, "the entity already exists");
    case Kind::ForeignKeyViolation:
      return Error(ErrorCode::NotFound, "a referenced entity does not exist");
    case Kind::Busy:
      return Error(ErrorCode::Unavailable, std::string("the store is busy: ") + e.what());
    case Kind::ConnectionLost:
      return Error(ErrorCode::Unavailable, std::string("lost the connection to the store: ") + e.what());
    case Kind::InDoubt:
      return Error(ErrorCode::Unavailable,
                   "lost the connection to the store while committing; the outcome is unknown");
    case Kind::Other:
      break;
  }
  return Error(ErrorCode::Internal, std::string("store error: ") + e.what());
}

}  // namespace

SqlStore::SqlStore(std::unique_ptr<sql::Dialect> dialect, std::span<const migrations::Migration> migrations)
    : dialect_(std::move(dialect)), migrations_(migrations) {}

sql::Result SqlStore::exec(sql::Connection& conn, const std::string& sql, const Params& params) const {
  return conn.exec(dialect_->number(sql), params);
}

sql::Result SqlStore::exec_prepared(sql::Connection& conn, const std::string& sql,
                                    const Params& params) const {
  return conn.exec_prepared(dialect_->number(sql), params);
}

namespace {

/// The transaction a run_atomically group holds on this thread; store calls made inside join it.
struct AtomicGroup {
  const SqlStore* store = nullptr;
  sql::Connection* conn = nullptr;
};
thread_local AtomicGroup tl_group;

}  // namespace

template <class Fn>
auto SqlStore::transact(bool write, Fn&& fn, bool snapshot) {
  if (tl_group.store == this) return fn(*tl_group.conn);  // joins the group's transaction
  // A lost connection is replaced at once (the pool may hold several that broke together, e.g. after a server
  // restart); a busy store is retried a few times with a short back-off.
  constexpr int kMaxLost = 16;
  constexpr int kMaxBusy = 4;
  int lost = 0;
  int busy = 0;
  while (true) {
    auto lease = acquire(write);
    sql::Connection& conn = *lease;
    try {
      if (snapshot) {
        conn.begin_snapshot();
      } else {
        conn.begin(write);
      }
      if constexpr (std::is_void_v<std::invoke_result_t<Fn&, sql::Connection&>>) {
        fn(conn);
        conn.commit();
        return;
      } else {
        auto result = fn(conn);
        conn.commit();
        return result;
      }
    } catch (const sql::DriverError& e) {
      conn.rollback();
      using Kind = sql::DriverError::Kind;
      if (e.kind() == Kind::ConnectionLost || e.kind() == Kind::InDoubt) lease.discard();
      if (e.kind() == Kind::ConnectionLost && ++lost < kMaxLost) continue;
      if (e.kind() == Kind::Busy && ++busy < kMaxBusy) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * busy));
        continue;
      }
      throw translate(e);
    } catch (...) {
      conn.rollback();
      throw;
    }
  }
}

void SqlStore::with_transaction(bool write, const std::function<void(sql::Connection&)>& fn) {
  transact(write, fn);
}

void SqlStore::run_atomically(const std::function<void()>& fn) {
  if (tl_group.store == this) {
    fn();
    return;
  }
  transact(true, [&](sql::Connection& c) {
    struct Scope {
      explicit Scope(AtomicGroup group) { tl_group = group; }
      ~Scope() { tl_group = {}; }
      Scope(const Scope&) = delete;
      Scope& operator=(const Scope&) = delete;
    } scope(AtomicGroup{this, &c});
    fn();
  });
  // Calls inside changed the token before the commit; a cache filled in between must not outlive it.
  catalog_changed();
}

void SqlStore::migrate(sql::Connection& conn) {
  try {
    conn.exec_script(dialect_->schema_migrations_ddl());
    conn.begin(true);
    try {
      const int current = static_cast<int>(
          exec(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}).rows.at(0).integer(0));
      const int known = migrations_.back().version;
      if (current > known) {
        throw Error(ErrorCode::FailedPrecondition, "store schema version " + std::to_string(current) +
                                                       " is newer than this cairnd (knows up to " +
                                                       std::to_string(known) + "); upgrade cairnd");
      }
      for (const auto& m : migrations_) {
        if (m.version <= current) continue;
        conn.exec_script(std::string(m.sql));
        exec(conn, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
             {std::int64_t{m.version}, std::string(m.name), now_millis()});
      }
      conn.commit();
    } catch (...) {
      conn.rollback();
      throw;
    }
  } catch (const sql::DriverError& e) {
    Error err = translate(e);
    throw Error(err.code(), std::string("migrating the store failed: ") + err.what());
  }
}

int SqlStore::schema_version() {
  return transact(false, [&](sql::Connection& c) {
    return static_cast<int>(
        exec(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}).rows.at(0).integer(0));
  });
}

bool SqlStore::ready() {
  try {
    return schema_version() == migrations_.back().version;
  } catch (const std::exception&) {
    return false;
  }
}

// --- databases --------------------------------------------------------------------------------------------

Database SqlStore::create_database_impl(const Database& db) {
  Database out = db;
  out.create_time = now_millis();
  transact(true, [&](sql::Connection& c) {
    announce_catalog_change(c);
    auto r =
        exec(c,
             "INSERT INTO databases (name, description, location_uri, parameters, create_time) "
             "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id",
             {out.name, out.description, out.location_uri, parameters_text(out.parameters), out.create_time});
    if (r.rows.empty()) throw Error(ErrorCode::AlreadyExists, "database '" + out.name + "' already exists");
  });
  return out;
}

std::optional<Database> SqlStore::get_database_impl(const std::string& name) {
  return transact(false, [&](sql::Connection& c) -> std::optional<Database> {
    auto r = exec(c, std::string("SELECT ") + kDatabaseCols + " FROM databases WHERE name = ?", {name});
    if (r.rows.empty()) return std::nullopt;
    return database_from(r.rows[0]);
  });
}

Page<Database> SqlStore::list_databases_impl(const PageRequest& page) {
  const std::string after = token_string(page.token, "n");
  return transact(false, [&](sql::Connection& c) {
    auto r = exec(
        c, std::string("SELECT ") + kDatabaseCols + " FROM databases WHERE name > ? ORDER BY name LIMIT ?",
        {after, std::int64_t{page.limit} + 1});
    Page<Database> out;
    for (const auto& row : r.rows) {
      if (static_cast<int>(out.items.size()) == page.limit) {
        out.next_token = make_token({{"n", out.items.back().name}});
        break;
      }
      out.items.push_back(database_from(row));
    }
    return out;
  });
}

Database SqlStore::update_database_impl(const std::string& name, const Database& db) {
  return transact(true, [&](sql::Connection& c) {
    announce_catalog_change(c);
    auto r = exec(c,
                  "UPDATE databases SET description = ?, location_uri = ?, parameters = ? WHERE name = ? "
                  "RETURNING create_time",
                  {db.description, db.location_uri, parameters_text(db.parameters), name});
    if (r.rows.empty()) throw_not_found("database '" + name + "' not found");
    Database out = db;
    out.name = name;
    out.create_time = r.rows[0].integer(0);
    return out;
  });
}

void SqlStore::delete_database_impl(const std::string& name) {
  transact(true, [&](sql::Connection& c) {
    announce_catalog_change(c);
    // Locking the row first makes a concurrent grant, filter or tag assignment naming the database either
    // commit before (and be deleted here) or fail its foreign key check after.
    auto r = exec(c, "SELECT id FROM databases WHERE name = ?" + dialect_->for_update(), {name});
    if (r.rows.empty()) throw_not_found("database '" + name + "' not found");
    const std::int64_t id = r.rows[0].integer(0);
    std::int64_t governance = 0;
    governance += exec(c, "DELETE FROM grants WHERE database_id = ?", {id}).affected;
    governance += exec(c, "DELETE FROM data_cells_filters WHERE database_id = ?", {id}).affected;
    governance += exec(c, "DELETE FROM tag_assignments WHERE database_id = ?", {id}).affected;
    exec(c, "DELETE FROM databases WHERE id = ?", {id});
    if (governance > 0) bump_policy_epoch(c);
  });
}

// --- tables -----------------------------------------------------------------------------------------------

namespace {

/// Id of `database`; throws NotFound.
std::int64_t database_id(sql::Connection& c, const sql::Dialect& d, const std::string& database) {
  auto r = c.exec(d.number("SELECT id FROM databases WHERE name = ?"), {database});
  if (r.rows.empty()) throw_not_found("database '" + database + "' not found");
  return r.rows[0].integer(0);
}

/// Id of database.table; throws NotFound.
std::int64_t table_id(sql::Connection& c, const sql::Dialect& d, const std::string& database,
                      const std::string& name) {
  auto r = c.exec(d.number("SELECT t.id FROM tables t JOIN databases d ON d.id = t.database_id "
                           "WHERE d.name = ? AND t.name = ?"),
                  {database, name});
  if (r.rows.empty()) throw_not_found(table_label(database, name) + " not found");
  return r.rows[0].integer(0);
}

/// The JSON of a table's full state for table_versions.
std::string table_json_text(const Table& t) {
  return dump(to_json(t));
}

/// Names of a table's columns and partition keys.
std::set<std::string> column_names(const Table& t) {
  std::set<std::string> out;
  for (const auto& c : t.storage_descriptor.columns) out.insert(c.name);
  for (const auto& c : t.partition_keys) out.insert(c.name);
  return out;
}

}  // namespace

Table SqlStore::create_table_impl(const std::string& database, const Table& table) {
  Table out = table;
  out.database_name = database;
  out.create_time = now_millis();
  out.update_time = out.create_time;
  out.version_id = 1;
  transact(true, [&](sql::Connection& c) {
    announce_catalog_change(c);
    const std::int64_t db_id = database_id(c, *dialect_, database);
    auto r =
        exec(c,
             "INSERT INTO tables (database_id, name, description, owner, table_type, parameters, retention, "
             "partition_keys, storage_descriptor, view_original_text, view_expanded_text, create_time, "
             "update_time, version_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (database_id, name) DO NOTHING RETURNING id",
             {db_id, out.name, out.description, out.owner, out.table_type, parameters_text(out.parameters),
              std::int64_t{out.retention}, columns_text(out.partition_keys),
              storage_descriptor_text(out.storage_descriptor), out.view_original_text, out.view_expanded_text,
              out.create_time, out.update_time, out.version_id});
    if (r.rows.empty())
      throw Error(ErrorCode::AlreadyExists, table_label(database, out.name) + " already exists");
    exec(c, "INSERT INTO table_versions (table_id, version_id, update_time, table_json) VALUES (?, ?, ?, ?)",
         {r.rows[0].integer(0), out.version_id, out.update_time, table_json_text(out)});
  });
  return out;
}

std::optional<Table> SqlStore::get_table_impl(const std::string& database, const std::string& name) {
  return transact(false, [&](sql::Connection& c) -> std::optional<Table> {
    auto r =
        exec(c,
             std::string("SELECT ") + kTableCols +
                 " FROM tables t JOIN databases d ON d.id = t.database_id WHERE d.name = ? AND t.name = ?",
             {database, name});
    if (r.rows.empty()) return std::nullopt;
    return table_from(r.rows[0]);
  });
}

Page<Table> SqlStore::list_tables_impl(const std::string& database, const PageRequest& page) {
  const std::string after = token_string(page.token, "n");
  return transact(false, [&](sql::Connection& c) {
    const std::int64_t db_id = database_id(c, *dialect_, database);
    auto r = exec(c,
                  std::string("SELECT ") + kTableCols +
                      " FROM tables t JOIN databases d ON d.id = t.database_id WHERE t.database_id = ? AND "
                      "t.name > ? ORDER BY t.name LIMIT ?",
                  {db_id, after, std::int64_t{page.limit} + 1});
    Page<Table> out;
    for (const auto& row : r.rows) {
      if (static_cast<int>(out.items.size()) == page.limit) {
        out.next_token = make_token({{"n", out.items.back().name}});
        break;
      }
      out.items.push_back(table_from(row));
    }
    return out;
  });
}

Table SqlStore::update_table_impl(const std::string& database, const Table& table,
                                  std::optional<std::int64_t> expected_version) {
  return transact(true, [&](sql::Connection& c) {
    announce_catalog_change(c);
    auto r = exec(c,
                  "SELECT id, version_id, create_time FROM tables WHERE database_id = "
                  "(SELECT id FROM databases WHERE name = ?) AND name = ?" +
                      dialect_->for_update(),
                  {database, table.name});
    if (r.rows.empty()) throw_not_found(table_label(database, table.name) + " not found");
    const std::int64_t id = r.rows[0].integer(0);
    const std::int64_t current = r.rows[0].integer(1);
    if (expected_version && *expected_version != current) {
      throw Error(ErrorCode::VersionConflict,
                  table_label(database, table.name) + " is at version " + std::to_string(current) +
                      ", not the expected version " + std::to_string(*expected_version),
                  "version_id");
    }
    Table out = table;
    out.database_name = database;
    out.create_time = r.rows[0].integer(2);
    out.update_time = std::max(now_millis(), out.create_time);
    out.version_id = current + 1;
    exec(c,
         "UPDATE tables SET description = ?, owner = ?, table_type = ?, parameters = ?, retention = ?, "
         "partition_keys = ?, storage_descriptor = ?, view_original_text = ?, view_expanded_text = ?, "
         "update_time = ?, version_id = ? WHERE id = ?",
         {out.description, out.owner, out.table_type, parameters_text(out.parameters),
          std::int64_t{out.retention}, columns_text(out.partition_keys),
          storage_descriptor_text(out.storage_descriptor), out.view_original_text, out.view_expanded_text,
          out.update_time, out.version_id, id});
    exec(c, "INSERT INTO table_versions (table_id, version_id, update_time, table_json) VALUES (?, ?, ?, ?)",
         {id, out.version_id, out.update_time, table_json_text(out)});
    // Tag assignments of columns the table no longer has go with them.
    const std::set<std::string> columns = column_names(out);
    std::int64_t removed = 0;
    for (const auto& row :
         exec(c, "SELECT DISTINCT column_name FROM tag_assignments WHERE table_id = ? AND column_name <> ''",
              {id})
             .rows) {
      if (columns.contains(row.text(0))) continue;
      removed +=
          exec(c, "DELETE FROM tag_assignments WHERE table_id = ? AND column_name = ?", {id, row.text(0)})
              .affected;
    }
    if (removed > 0) bump_policy_epoch(c);
    return out;
  });
}

void SqlStore::delete_table_impl(const std::string& database, const std::string& name) {
  transact(true, [&](sql::Connection& c) {
    announce_catalog_change(c);
    auto r = exec(c,
                  "SELECT id FROM tables WHERE database_id = (SELECT id FROM databases WHERE name = ?) AND "
                  "name = ?" +
                      dialect_->for_update(),
                  {database, name});
    if (r.rows.empty()) throw_not_found(table_label(database, name) + " not found");
    const std::int64_t id = r.rows[0].integer(0);
    std::int64_t governance = 0;
    governance += exec(c, "DELETE FROM grants WHERE table_id = ?", {id}).affected;
    governance += exec(c, "DELETE FROM data_cells_filters WHERE table_id = ?", {id}).affected;
    governance += exec(c, "DELETE FROM tag_assignments WHERE table_id = ?", {id}).affected;
    exec(c, "DELETE FROM tables WHERE id = ?", {id});
    if (governance > 0) bump_policy_epoch(c);
  });
}

Page<Table> SqlStore::list_table_versions_impl(const std::string& database, const std::string& name,
                                               const PageRequest& page) {
  std::int64_t before = std::numeric_limits<std::int64_t>::max();
  if (auto pos = read_token(page.token, "v")) {
    if (!pos->is_number_integer()) throw_invalid("next_token", "the page token is malformed");
    before = pos->get<std::int64_t>();
  }
  return transact(false, [&](sql::Connection& c) {
    auto t = exec(c,
                  "SELECT t.id, t.create_time FROM tables t JOIN databases d ON d.id = t.database_id "
                  "WHERE d.name = ? AND t.name = ?",
                  {database, name});
    if (t.rows.empty()) throw_not_found(table_label(database, name) + " not found");
    const std::int64_t id = t.rows[0].integer(0);
    const Timestamp create_time = t.rows[0].integer(1);
    auto r = exec(c,
                  "SELECT version_id, update_time, table_json FROM table_versions WHERE table_id = ? AND "
                  "version_id < ? ORDER BY version_id DESC LIMIT ?",
                  {id, before, std::int64_t{page.limit} + 1});
    Page<Table> out;
    for (const auto& row : r.rows) {
      if (static_cast<int>(out.items.size()) == page.limit) {
        out.next_token = make_token({{"v", out.items.back().version_id}});
        break;
      }
      out.items.push_back(
          version_from(database, name, create_time, row.integer(0), row.integer(1), row.text(2)));
    }
    return out;
  });
}

std::optional<Table> SqlStore::get_table_version_impl(const std::string& database, const std::string& name,
                                                      std::int64_t version) {
  return transact(false, [&](sql::Connection& c) -> std::optional<Table> {
    auto r = exec(c,
                  "SELECT v.version_id, v.update_time, v.table_json, t.create_time FROM table_versions v "
                  "JOIN tables t ON t.id = v.table_id JOIN databases d ON d.id = t.database_id "
                  "WHERE d.name = ? AND t.name = ? AND v.version_id = ?",
                  {database, name, version});
    if (r.rows.empty()) return std::nullopt;
    const Row& row = r.rows[0];
    return version_from(database, name, row.integer(3), row.integer(0), row.integer(1), row.text(2));
  });
}

// --- partitions -------------------------------------------------------------------------------------------

std::vector<BatchItemError> SqlStore::create_partitions_impl(const Table& table,
                                                             const std::vector<Partition>& partitions) {
  std::vector<BatchItemError> errors;
  // Items to insert, deduplicated within the batch (a repeated item is reported like an existing one).
  std::vector<std::pair<std::string, const Partition*>> items;
  std::unordered_set<std::string> seen;
  for (const auto& p : partitions) {
    auto key = partition_key(p.values);
    if (!key) {
      errors.push_back(
          item_error(p.values, ErrorCode::InvalidArgument, "partition values must be valid UTF-8"));
    } else if (!seen.insert(*key).second) {
      errors.push_back(
          item_error(p.values, ErrorCode::AlreadyExists, "partition is listed twice in the batch"));
    } else {
      items.emplace_back(*key, &p);
    }
  }
  if (items.empty()) return errors;
  const Timestamp now = now_millis();
  std::unordered_set<std::string> inserted = transact(true, [&](sql::Connection& c) {
    const std::int64_t id = table_id(c, *dialect_, table.database_name, table.name);
    std::unordered_set<std::string> done;
    for (std::size_t start = 0; start < items.size(); start += kChunk) {
      const std::size_t end = std::min(items.size(), start + kChunk);
      std::string text =
          "INSERT INTO partitions (table_id, part_key, vals, storage_descriptor, parameters, create_time, "
          "last_access_time) VALUES ";
      Params params;
      params.reserve((end - start) * 7);
      for (std::size_t i = start; i < end; ++i) {
        const Partition& p = *items[i].second;
        text += i == start ? "(?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?)";
        params.insert(params.end(),
                      {id, items[i].first, items[i].first, storage_descriptor_text(p.storage_descriptor),
                       parameters_text(p.parameters), now, now});
      }
      text += " ON CONFLICT (table_id, part_key) DO NOTHING RETURNING part_key";
      for (const auto& row : exec(c, text, params).rows) done.insert(row.text(0));
    }
    return done;
  });
  for (const auto& [key, p] : items) {
    if (!inserted.contains(key)) {
      errors.push_back(item_error(p->values, ErrorCode::AlreadyExists, "partition already exists"));
    }
  }
  return errors;
}

std::vector<Partition> SqlStore::get_partitions_impl(
    const Table& table, const std::vector<std::vector<std::string>>& values_list) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const auto& values : values_list) {
    auto key = partition_key(values);
    if (key && seen.insert(*key).second) keys.push_back(*key);
  }
  return transact(false, [&](sql::Connection& c) {
    const std::int64_t id = table_id(c, *dialect_, table.database_name, table.name);
    std::unordered_map<std::string, Partition> found;
    for (std::size_t start = 0; start < keys.size(); start += kChunk) {
      const std::size_t end = std::min(keys.size(), start + kChunk);
      std::string text = std::string("SELECT ") + kPartitionCols +
                         " FROM partitions p WHERE p.table_id = ? AND p.part_key IN (";
      Params params{id};
      for (std::size_t i = start; i < end; ++i) {
        text += i == start ? "?" : ", ?";
        params.emplace_back(keys[i]);
      }
      text += ")";
      for (const auto& row : exec(c, text, params).rows)
        found.emplace(row.text(5), partition_from(table, row));
    }
    std::vector<Partition> out;
    for (const auto& key : keys) {
      if (auto it = found.find(key); it != found.end()) out.push_back(std::move(it->second));
    }
    return out;
  });
}

namespace {

sql::Value to_value(const PartitionExpression::SqlParam& p) {
  return std::visit([](const auto& v) -> sql::Value { return v; }, p);
}

}  // namespace

Page<Partition> SqlStore::list_partitions_impl(const Table& table, const PartitionExpression* filter,
                                               const PageRequest& page) {
  const std::string after = token_string(page.token, "k");
  return transact(false, [&](sql::Connection& c) {
    const std::int64_t id = table_id(c, *dialect_, table.database_name, table.name);
    Params params{id, after};
    std::string text = dialect_->number(std::string("SELECT ") + kPartitionCols +
                                        " FROM partitions p WHERE p.table_id = ? AND p.part_key > ?");
    if (filter != nullptr) {
      std::vector<PartitionExpression::SqlParam> expr_params(params.size(), std::int64_t{0});
      text += " AND (" + filter->to_sql(*dialect_, expr_params) + ")";
      for (std::size_t i = params.size(); i < expr_params.size(); ++i)
        params.push_back(to_value(expr_params[i]));
    }
    text += dialect_->number(" ORDER BY p.part_key LIMIT ?", static_cast<int>(params.size()) + 1);
    params.emplace_back(std::int64_t{page.limit} + 1);
    const std::string setup = dialect_->keyset_scan_setup();
    sql::Result r;
    if (setup.empty()) {
      r = c.exec(text, params);
    } else {
      c.exec_script(setup);
      try {
        r = c.exec(text, params);
      } catch (...) {
        try {
          c.exec_script(dialect_->keyset_scan_teardown());
        } catch (
            const std::exception&) {  // the connection is likely gone; the first error is the one to report
        }
        throw;
      }
      c.exec_script(dialect_->keyset_scan_teardown());
    }
    Page<Partition> out;
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
      if (static_cast<int>(i) == page.limit) {
        out.next_token = make_token({{"k", r.rows[i - 1].text(5)}});
        break;
      }
      out.items.push_back(partition_from(table, r.rows[i]));
    }
    return out;
  });
}

std::vector<BatchItemError> SqlStore::update_partitions_impl(
    const Table& table, const std::vector<std::pair<std::vector<std::string>, Partition>>& entries) {
  const Timestamp now = now_millis();
  return transact(true, [&](sql::Connection& c) {
    const std::int64_t id = table_id(c, *dialect_, table.database_name, table.name);
    std::vector<BatchItemError> errors;
    for (const auto& [values, p] : entries) {
      auto old_key = partition_key(values);
      auto new_key = partition_key(p.values);
      if (!new_key) {
        errors.push_back(
            item_error(values, ErrorCode::InvalidArgument, "partition values must be valid UTF-8"));
        continue;
      }
      if (!old_key) {
        errors.push_back(item_error(values, ErrorCode::NotFound, "partition not found"));
        continue;
      }
      if (*new_key != *old_key &&
          !exec(c, "SELECT 1 FROM partitions WHERE table_id = ? AND part_key = ?", {id, *new_key})
               .rows.empty()) {
        errors.push_back(
            item_error(values, ErrorCode::AlreadyExists, "another partition already has the new values"));
        continue;
      }
      auto r = exec(c,
                    "UPDATE partitions SET part_key = ?, vals = ?, storage_descriptor = ?, parameters = ?, "
                    "last_access_time = ? WHERE table_id = ? AND part_key = ?",
                    {*new_key, *new_key, storage_descriptor_text(p.storage_descriptor),
                     parameters_text(p.parameters), now, id, *old_key});
      if (r.affected == 0) errors.push_back(item_error(values, ErrorCode::NotFound, "partition not found"));
    }
    return errors;
  });
}

std::vector<BatchItemError> SqlStore::delete_partitions_impl(
    const Table& table, const std::vector<std::vector<std::string>>& values_list) {
  std::vector<std::pair<std::string, const std::vector<std::string>*>> items;
  std::vector<BatchItemError> errors;
  for (const auto& values : values_list) {
    if (auto key = partition_key(values)) {
      items.emplace_back(*key, &values);
    } else {
      errors.push_back(item_error(values, ErrorCode::NotFound, "partition not found"));
    }
  }
  std::unordered_set<std::string> deleted = transact(true, [&](sql::Connection& c) {
    const std::int64_t id = table_id(c, *dialect_, table.database_name, table.name);
    std::unordered_set<std::string> done;
    for (std::size_t start = 0; start < items.size(); start += kChunk) {
      const std::size_t end = std::min(items.size(), start + kChunk);
      std::string text = "DELETE FROM partitions WHERE table_id = ? AND part_key IN (";
      Params params{id};
      for (std::size_t i = start; i < end; ++i) {
        text += i == start ? "?" : ", ?";
        params.emplace_back(items[i].first);
      }
      text += ") RETURNING part_key";
      for (const auto& row : exec(c, text, params).rows) done.insert(row.text(0));
    }
    return done;
  });
  std::unordered_set<std::string> reported;
  for (const auto& [key, values] : items) {
    // A partition named twice is deleted once; the repeat is reported as missing.
    if (!deleted.contains(key) || !reported.insert(key).second) {
      errors.push_back(item_error(*values, ErrorCode::NotFound, "partition not found"));
    }
  }
  return errors;
}

// --- identity ---------------------------------------------------------------------------------------------

Principal SqlStore::create_principal_impl(const Principal& principal) {
  Principal out = principal;
  out.create_time = now_millis();
  transact(true, [&](sql::Connection& c) {
    auto r = exec(c,
                  "INSERT INTO principals (kind, name, description, create_time) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (kind, name) DO NOTHING RETURNING name",
                  {std::string(principal_kind_name(out.kind)), out.name, out.description, out.create_time});
    if (r.rows.empty()) {
      throw Error(ErrorCode::AlreadyExists,
                  std::string(principal_kind_name(out.kind)) + " " + out.name + " already exists");
    }
    bump_policy_epoch(c);
  });
  return out;
}

std::optional<Principal> SqlStore::get_principal_impl(PrincipalKind kind, const std::string& name) {
  return transact(false, [&](sql::Connection& c) -> std::optional<Principal> {
    auto r =
        exec(c, "SELECT kind, name, description, create_time FROM principals WHERE kind = ? AND name = ?",
             {std::string(principal_kind_name(kind)), name});
    if (r.rows.empty()) return std::nullopt;
    return principal_from(r.rows[0]);
  });
}

Page<Principal> SqlStore::list_principals_impl(PrincipalKind kind, const PageRequest& page) {
  const std::string after = token_string(page.token, "n");
  return transact(false, [&](sql::Connection& c) {
    auto r = exec(c,
                  "SELECT kind, name, description, create_time FROM principals WHERE kind = ? AND name > ? "
                  "ORDER BY name LIMIT ?",
                  {std::string(principal_kind_name(kind)), after, std::int64_t{page.limit} + 1});
    Page<Principal> out;
    for (const auto& row : r.rows) {
      if (static_cast<int>(out.items.size()) == page.limit) {
        out.next_token = make_token({{"n", out.items.back().name}});
        break;
      }
      out.items.push_back(principal_from(row));
    }
    return out;
  });
}

void SqlStore::delete_principal_impl(PrincipalKind kind, const std::string& name) {
  transact(true, [&](sql::Connection& c) {
    const std::string k = principal_kind_name(kind);
    auto r =
        exec(c, "SELECT 1 FROM principals WHERE kind = ? AND name = ?" + dialect_->for_update(), {k, name});
    if (r.rows.empty()) throw_not_found(k + " " + name + " not found");
    // The principal's grants go explicitly; memberships and access keys by ON DELETE CASCADE.
    exec(c, "DELETE FROM grants WHERE principal_kind = ? AND principal_name = ?", {k, name});
    exec(c, "DELETE FROM principals WHERE kind = ? AND name = ?", {k, name});
    bump_policy_epoch(c);
  });
}

std::int64_t SqlStore::count_principals() {
  return transact(false, [&](sql::Connection& c) {
    return exec(c, "SELECT COUNT(*) FROM principals", {}).rows.at(0).integer(0);
  });
}

namespace {

void require_principal(sql::Connection& c, const sql::Dialect& d, PrincipalKind kind,
                       const std::string& name) {
  auto r = c.exec(d.number("SELECT 1 FROM principals WHERE kind = ? AND name = ?"),
                  {std::string(principal_kind_name(kind)), name});
  if (r.rows.empty()) throw_not_found(std::string(principal_kind_name(kind)) + " " + name + " not found");
}

}  // namespace

void SqlStore::add_group_member_impl(const std::string& group, const std::string& user) {
  transact(true, [&](sql::Connection& c) {
    require_principal(c, *dialect_, PrincipalKind::Group, group);
    require_principal(c, *dialect_, PrincipalKind::User, user);
    auto r = exec(c, "INSERT INTO group_members (group_name, user_name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                  {group, user});
    if (r.affected > 0) bump_policy_epoch(c);
  });
}

void SqlStore::remove_group_member_impl(const std::string& group, const std::string& user) {
  transact(true, [&](sql::Connection& c) {
    auto r =
        exec(c,
             "DELETE FROM group_members WHERE group_kind = 'group' AND group_name = ? AND user_kind = 'user' "
             "AND user_name = ?",
             {group, user});
    if (r.affected == 0) throw_not_found("user " + user + " is not a member of group " + group);
    bump_policy_epoch(c);
  });
}

std::vector<std::string> SqlStore::list_group_members_impl(const std::string& group) {
  return transact(false, [&](sql::Connection& c) {
    require_principal(c, *dialect_, PrincipalKind::Group, group);
    std::vector<std::string> out;
    for (const auto& row :
         exec(c,
              "SELECT user_name FROM group_members WHERE group_kind = 'group' AND group_name = ? "
              "ORDER BY user_name",
              {group})
             .rows) {
      out.push_back(row.text(0));
    }
    return out;
  });
}

std::vector<std::string> SqlStore::list_groups_for_user(std::string_view user) {
  return transact(false, [&](sql::Connection& c) {
    std::vector<std::string> out;
    for (const auto& row :
         exec(c,
              "SELECT group_name FROM group_members WHERE user_kind = 'user' AND user_name = ? "
              "ORDER BY group_name",
              {std::string(user)})
             .rows) {
      out.push_back(row.text(0));
    }
    return out;
  });
}

void SqlStore::create_access_key_impl(const AccessKey& key) {
  transact(true, [&](sql::Connection& c) {
    require_principal(c, *dialect_, key.owner_kind, key.owner_name);
    auto r = exec(c,
                  "INSERT INTO access_keys (access_key_id, owner_kind, owner_name, status, sealed_secret, "
                  "create_time) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (access_key_id) DO NOTHING "
                  "RETURNING access_key_id",
                  {key.access_key_id, std::string(principal_kind_name(key.owner_kind)), key.owner_name,
                   std::string(status_name(key.status)), key.sealed_secret, key.create_time});
    if (r.rows.empty())
      throw Error(ErrorCode::AlreadyExists, "access key " + key.access_key_id + " already exists");
  });
}

namespace {
constexpr const char* kAccessKeyCols =
    "access_key_id, owner_kind, owner_name, status, sealed_secret, create_time";
}  // namespace

std::optional<AccessKey> SqlStore::get_access_key(std::string_view access_key_id) {
  return transact(false, [&](sql::Connection& c) -> std::optional<AccessKey> {
    auto r = exec(c, std::string("SELECT ") + kAccessKeyCols + " FROM access_keys WHERE access_key_id = ?",
                  {std::string(access_key_id)});
    if (r.rows.empty()) return std::nullopt;
    return access_key_from(r.rows[0]);
  });
}

std::vector<AccessKey> SqlStore::list_access_keys_impl(PrincipalKind owner_kind, const std::string& owner) {
  return transact(false, [&](sql::Connection& c) {
    require_principal(c, *dialect_, owner_kind, owner);
    std::vector<AccessKey> out;
    for (const auto& row : exec(c,
                                std::string("SELECT ") + kAccessKeyCols +
                                    " FROM access_keys WHERE owner_kind = ? AND owner_name = ? "
                                    "ORDER BY create_time, access_key_id",
                                {std::string(principal_kind_name(owner_kind)), owner})
                               .rows) {
      out.push_back(access_key_from(row));
    }
    return out;
  });
}

void SqlStore::set_access_key_status(std::string_view access_key_id, AccessKeyStatus status) {
  transact(true, [&](sql::Connection& c) {
    auto r = exec(c, "UPDATE access_keys SET status = ? WHERE access_key_id = ?",
                  {std::string(status_name(status)), std::string(access_key_id)});
    if (r.affected == 0) throw_not_found("access key " + std::string(access_key_id) + " not found");
  });
}

void SqlStore::delete_access_key(std::string_view access_key_id) {
  transact(true, [&](sql::Connection& c) {
    auto r = exec(c, "DELETE FROM access_keys WHERE access_key_id = ?", {std::string(access_key_id)});
    if (r.affected == 0) throw_not_found("access key " + std::string(access_key_id) + " not found");
  });
}

// --- governance -------------------------------------------------------------------------------------------
//
// Concurrency: every governance write is one transaction that ends by incrementing the single policy_epoch
// row (PostgreSQL: plus pg_notify, delivered on commit). Rows a write depends on are locked (FOR UPDATE) or
// referenced by foreign keys, so a concurrent delete of what a record names either happens before the write
// (which then fails with NotFound) or waits for it (and deletes the new record too).

namespace {

constexpr std::int64_t kAuditLockKey = 0x636169726E617564;  // "cairnaud"
constexpr int kMaxAuditScan = 10000;
constexpr int kMaxAuditPage = 1000;
constexpr std::size_t kMaxAuditBatch = 1024;       // entries per audit_batches row; a longer append is split
constexpr std::int64_t kAuditCandidates = 1024;    // candidate batches a query lists per round
constexpr std::size_t kAuditFetchGroup = 32;       // batches a query reads per statement, at most...
constexpr std::int64_t kAuditFetchEntries = 8192;  // ...holding at most this many entries (or one batch)
constexpr auto kEpochPollInterval = std::chrono::milliseconds(50);
constexpr std::size_t kMaxAuditPrincipal = 256;  // indexed columns stay far below a btree entry's limit
constexpr std::size_t kMaxAuditResource = 1024;

/// Makes `text` storable in every backend before it is hashed: NUL bytes, and every non-ASCII byte of text
/// that is not valid UTF-8, become '?'; then it is cut to `max` bytes at a character boundary.
void storable(std::string& text, std::size_t max = std::string::npos) {
  // ASCII without NUL, the common case, needs nothing replaced.
  if (catalog::text::find_nul_or_non_ascii(text) != text.size()) {
    const bool utf8 = is_valid_utf8(text);
    for (char& c : text) {
      if (c == '\0' || (!utf8 && static_cast<unsigned char>(c) >= 0x80)) c = '?';
    }
  }
  if (text.size() <= max) return;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
}

std::string strings_text(const std::vector<std::string>& items) {
  return dump(json(items));
}

std::vector<std::string> strings_from(const std::string& text) {
  const json j = parse_json(text);
  std::vector<std::string> out;
  for (const auto& v : j) out.push_back(v.get<std::string>());
  return out;
}

std::string masks_text(const std::map<std::string, std::string>& masks) {
  return dump(json(masks));
}

std::map<std::string, std::string> masks_from(const std::string& text) {
  const json j = parse_json(text);
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) out.emplace(k, v.get<std::string>());
  return out;
}

std::string tag_expression_text(const std::vector<TagCondition>& expression) {
  json arr = json::array();
  for (const auto& c : expression) arr.push_back({{"key", c.key}, {"values", c.values}});
  return dump(arr);
}

std::vector<TagCondition> tag_expression_from(const std::string& text) {
  const json j = parse_json(text);
  std::vector<TagCondition> out;
  for (const auto& c : j) {
    TagCondition cond;
    cond.key = c.at("key").get<std::string>();
    cond.values = c.at("values").get<std::vector<std::string>>();
    out.push_back(std::move(cond));
  }
  return out;
}

ResourceKind stored_kind(const std::string& text) {
  try {
    return parse_resource_kind(text, "kind");
  } catch (const Error&) {
    throw Error(ErrorCode::Internal, "store holds an unknown resource kind");
  }
}

constexpr const char* kGrantCols =
    "id, principal, kind, database_name, table_name, columns, column_wildcard, excluded_columns, location, "
    "filter_name, tag_resource_type, tag_expression, column_masks, permissions, grantable, expires_at, "
    "granted_by, create_time, update_time";

Grant grant_from(const Row& r) {
  Grant g;
  g.id = r.integer(0);
  g.principal = r.text(1);
  g.kind = stored_kind(r.text(2));
  g.database = r.text(3);
  g.table = r.text(4);
  g.columns = strings_from(r.text(5));
  g.column_wildcard = r.integer(6) != 0;
  g.excluded_columns = strings_from(r.text(7));
  g.location = r.text(8);
  g.filter_name = r.text(9);
  g.tag_resource_type = r.text(10);
  g.tag_expression = tag_expression_from(r.text(11));
  g.column_masks = masks_from(r.text(12));
  g.permissions = static_cast<PermissionSet>(r.integer(13));
  g.grantable = static_cast<PermissionSet>(r.integer(14));
  if (!r.is_null(15)) g.expires_at = r.integer(15);
  g.granted_by = r.text(16);
  g.create_time = r.integer(17);
  g.update_time = r.integer(18);
  return g;
}

constexpr const char* kFilterCols =
    "database_name, table_name, name, row_filter, all_rows, columns, column_wildcard, excluded_columns, "
    "column_masks, version_id, create_time, update_time";

DataCellsFilter filter_from(const Row& r) {
  DataCellsFilter f;
  f.database = r.text(0);
  f.table = r.text(1);
  f.name = r.text(2);
  f.row_filter = r.text(3);
  f.all_rows = r.integer(4) != 0;
  f.columns = strings_from(r.text(5));
  f.column_wildcard = r.integer(6) != 0;
  f.excluded_columns = strings_from(r.text(7));
  f.column_masks = masks_from(r.text(8));
  f.version_id = r.integer(9);
  f.create_time = r.integer(10);
  f.update_time = r.integer(11);
  return f;
}

TagKey tag_key_from(const Row& r) {
  TagKey t;
  t.key = r.text(0);
  t.values = strings_from(r.text(1));
  t.create_time = r.integer(2);
  return t;
}

constexpr const char* kAssignmentCols = "database_name, table_name, column_name, key, value";

TagAssignment assignment_from(const Row& r) {
  return TagAssignment{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4)};
}

DataLocation location_from(const Row& r) {
  return DataLocation{r.text(0), r.text(1), r.text(2), r.integer(3)};
}

// The audit log is stored per appended batch (migrations/*/0003_audit_batches.sql): one audit_batches row
// holds a batch's entries as a JSON array of [seq, time, request_id, principal, action, resource, decision,
// [deciding_ids...], detail, hash]; the row keeps the prev_hash of its first entry (each later entry's
// prev_hash is the hash before it), the hash of its last entry, its seq range and its time range.

void put_json_integer(std::string& out, std::int64_t value) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  out.append(buf, end);
}

/// The stored form of a batch of entries (audit_batches.entries).
std::string encode_audit_batch(std::span<const AuditEntry> entries) {
  std::size_t size = 2;
  for (const AuditEntry& e : entries) {
    size += 80 + e.request_id.size() + e.principal.size() + e.action.size() + e.resource.size() +
            e.decision.size() + e.detail.size() + e.hash.size();
    for (const std::string& id : e.deciding_ids) size += id.size() + 3;
  }
  std::string out;
  out.reserve(size);
  out += '[';
  for (const AuditEntry& e : entries) {
    if (out.size() > 1) out += ',';
    out += '[';
    put_json_integer(out, e.seq);
    out += ',';
    put_json_integer(out, e.time);
    for (const std::string* field : {&e.request_id, &e.principal, &e.action, &e.resource, &e.decision}) {
      out += ',';
      append_json_string(out, *field);
    }
    out += ",[";
    for (std::size_t i = 0; i < e.deciding_ids.size(); ++i) {
      if (i > 0) out += ',';
      append_json_string(out, e.deciding_ids[i]);
    }
    out += "],";
    append_json_string(out, e.detail);
    out += ',';
    append_json_string(out, e.hash);
    out += ']';
  }
  out += ']';
  return out;
}

/// The entries of a stored batch whose first entry's prev_hash is `prev_hash`; nullopt when `text` is not a
/// non-empty array of well-formed entries (it was altered behind the store's back).
std::optional<std::vector<AuditEntry>> decode_audit_batch(std::string prev_hash, const std::string& text) {
  json batch = json::parse(text, nullptr, false);
  if (!batch.is_array() || batch.empty()) return std::nullopt;
  std::vector<AuditEntry> out;
  out.reserve(batch.size());
  for (json& item : batch) {
    if (!item.is_array() || item.size() != 10 || !item[0].is_number_integer() ||
        !item[1].is_number_integer() || !item[7].is_array())
      return std::nullopt;
    for (std::size_t i : {2, 3, 4, 5, 6, 8, 9}) {
      if (!item[i].is_string()) return std::nullopt;
    }
    AuditEntry e;
    e.seq = item[0].get<std::int64_t>();
    e.time = item[1].get<std::int64_t>();
    std::string* fields[] = {&e.request_id, &e.principal, &e.action, &e.resource, &e.decision};
    for (std::size_t i = 0; i < 5; ++i) *fields[i] = std::move(item[i + 2].get_ref<std::string&>());
    e.deciding_ids.reserve(item[7].size());
    for (json& id : item[7]) {
      if (!id.is_string()) return std::nullopt;
      e.deciding_ids.push_back(std::move(id.get_ref<std::string&>()));
    }
    e.detail = std::move(item[8].get_ref<std::string&>());
    e.hash = std::move(item[9].get_ref<std::string&>());
    e.prev_hash = std::move(prev_hash);
    prev_hash = e.hash;
    out.push_back(std::move(e));
  }
  return out;
}

/// Inserts one (key, first_seq) row into `table` (audit_batch_principals or audit_batch_resources, whose key
/// column is `column`) for every key of `distinct`, in order, `per_statement` rows per statement. A row left
/// behind by a batch removed behind the store's back is kept (ON CONFLICT DO NOTHING): it names the same
/// first_seq.
template <class Run>
void audit_index_rows(const std::unordered_set<std::string_view>& distinct, std::int64_t first_seq,
                      std::size_t per_statement, const std::string& table, const std::string& column,
                      Run&& run) {
  // A batch has a thousand entries and few distinct keys: collecting them in a hash set costs a fraction of
  // sorting all thousand (which was 6% of the audit writer's CPU).
  std::vector<std::string_view> keys(distinct.begin(), distinct.end());
  std::sort(keys.begin(), keys.end());
  for (std::size_t start = 0; start < keys.size(); start += per_statement) {
    const std::size_t end = std::min(keys.size(), start + per_statement);
    std::string text = "INSERT INTO " + table + " (" + column + ", first_seq) VALUES ";
    Params params;
    params.reserve(2 * (end - start));
    for (std::size_t i = start; i < end; ++i) {
      text += i == start ? "(?, ?)" : ", (?, ?)";
      params.emplace_back(std::string(keys[i]));
      params.emplace_back(first_seq);
    }
    run(text + " ON CONFLICT DO NOTHING", params);
  }
}

std::int64_t flag(bool b) {
  return b ? 1 : 0;
}

std::string filter_label(const std::string& database, const std::string& table, const std::string& name) {
  return "data cells filter '" + name + "' on table '" + database + "." + table + "'";
}

std::string target_label(const TagAssignment& t) {
  if (t.table.empty()) return "database '" + t.database + "'";
  if (t.column.empty()) return table_label(t.database, t.table);
  return "column '" + t.column + "' of " + table_label(t.database, t.table);
}

/// The page position of a listing keyed by an integer (ids, audit sequence numbers).
std::int64_t token_integer(const std::string& token, const char* key) {
  auto pos = read_token(token, key);
  if (!pos) return 0;
  if (!pos->is_number_integer()) throw_invalid("next_token", "the page token is malformed");
  return pos->get<std::int64_t>();
}

/// The smallest string greater than every string starting with `prefix` (empty: there is none).
std::string prefix_successor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

/// Rows of a TAG_POLICY grant (id, tag_expression) using `key` (and, when `values` is given, one of them):
/// the first such grant id and value, or nullopt.
std::optional<std::pair<std::int64_t, std::string>> tag_policy_use(sql::Connection& c, const sql::Dialect& d,
                                                                   const std::string& key,
                                                                   const std::vector<std::string>* values) {
  auto r = c.exec(d.number("SELECT id, tag_expression FROM grants WHERE kind = ? ORDER BY id"),
                  {std::string(resource_kind_name(ResourceKind::TagPolicy))});
  for (const auto& row : r.rows) {
    for (const auto& cond : tag_expression_from(row.text(1))) {
      if (cond.key != key) continue;
      if (values == nullptr) return std::make_pair(row.integer(0), std::string());
      for (const auto& v : cond.values) {
        if (std::binary_search(values->begin(), values->end(), v)) return std::make_pair(row.integer(0), v);
      }
    }
  }
  return std::nullopt;
}

/// The allowed values of tag key `key`, locking the key's row; nullopt when it does not exist.
std::optional<std::vector<std::string>> lock_tag_key(sql::Connection& c, const sql::Dialect& d,
                                                     const std::string& key) {
  auto r = c.exec(d.number("SELECT vals FROM tag_keys WHERE key = ?" + d.for_update()), {key});
  if (r.rows.empty()) return std::nullopt;
  return strings_from(r.rows[0].text(0));
}

/// Splits a canonical principal id into (kind, name); EVERYONE has neither (NULLs).
std::pair<sql::Value, sql::Value> principal_ref(const std::string& principal) {
  if (principal == kEveryone) return {std::monostate{}, std::monostate{}};
  const auto colon = principal.find(':');
  return {principal.substr(0, colon), principal.substr(colon + 1)};
}

}  // namespace

void SqlStore::announce_catalog_change(sql::Connection& conn) {
  const std::string notify = dialect_->notify_catalog();
  if (!notify.empty()) exec(conn, notify, {});
}

std::int64_t SqlStore::bump_policy_epoch(sql::Connection& conn) {
  auto r = exec(conn, "UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch", {});
  if (r.rows.empty()) throw Error(ErrorCode::Internal, "the store has no policy_epoch row");
  const std::int64_t epoch = r.rows[0].integer(0);
  const std::string notify = dialect_->notify_policy();
  if (!notify.empty()) exec(conn, notify, {std::to_string(epoch)});
  return epoch;
}

std::int64_t SqlStore::policy_epoch() {
  return transact(false, [&](sql::Connection& c) {
    auto r = exec(c, "SELECT epoch FROM policy_epoch WHERE id = 1", {});
    if (r.rows.empty()) throw Error(ErrorCode::Internal, "the store has no policy_epoch row");
    return r.rows[0].integer(0);
  });
}

std::int64_t SqlStore::wait_policy_change(std::int64_t known_epoch, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const std::int64_t epoch = policy_epoch();
    const auto now = std::chrono::steady_clock::now();
    if (epoch != known_epoch || now >= deadline) return epoch;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(kEpochPollInterval, deadline - now));
  }
}

PolicyData SqlStore::load_policy() {
  return transact(
      false,
      [&](sql::Connection& c) {
        PolicyData out;
        out.epoch = exec(c, "SELECT epoch FROM policy_epoch WHERE id = 1", {}).rows.at(0).integer(0);
        for (const auto& row :
             exec(c, std::string("SELECT ") + kGrantCols + " FROM grants ORDER BY id", {}).rows)
          out.grants.push_back(grant_from(row));
        for (const auto& row : exec(c,
                                    std::string("SELECT ") + kFilterCols +
                                        " FROM data_cells_filters ORDER BY database_name, table_name, name",
                                    {})
                                   .rows)
          out.filters.push_back(filter_from(row));
        for (const auto& row : exec(c, "SELECT key, vals, create_time FROM tag_keys ORDER BY key", {}).rows)
          out.tag_keys.push_back(tag_key_from(row));
        for (const auto& row : exec(c,
                                    std::string("SELECT ") + kAssignmentCols +
                                        " FROM tag_assignments ORDER BY database_name, table_name, "
                                        "column_name, key",
                                    {})
                                   .rows)
          out.tag_assignments.push_back(assignment_from(row));
        for (const auto& row :
             exec(c, "SELECT uri, role_arn, registered_by, create_time FROM data_locations ORDER BY uri", {})
                 .rows)
          out.locations.push_back(location_from(row));
        for (const auto& row :
             exec(c, "SELECT name FROM principals WHERE kind = 'group' ORDER BY name", {}).rows)
          out.group_members[row.text(0)];
        for (const auto& row :
             exec(c, "SELECT group_name, user_name FROM group_members ORDER BY group_name, user_name", {})
                 .rows)
          out.group_members[row.text(0)].push_back(row.text(1));
        return out;
      },
      true);
}

// --- grants -----------------------------------------------------------------------------------------------

Grant SqlStore::grant_permissions_impl(const Grant& grant) {
  const std::string key = resource_key(grant);
  const Timestamp now = now_millis();
  return transact(true, [&](sql::Connection& c) {
    const auto [principal_kind, principal_name] = principal_ref(grant.principal);
    if (grant.principal != kEveryone) {
      require_principal(c, *dialect_, kind_from(std::get<std::string>(principal_kind)),
                        std::get<std::string>(principal_name));
    }
    sql::Value db_id;
    sql::Value tbl_id;
    sql::Value filter_id;
    switch (grant.kind) {
      case ResourceKind::Database:
      case ResourceKind::TableWildcard:
        db_id = database_id(c, *dialect_, grant.database);
        break;
      case ResourceKind::Table:
      case ResourceKind::TableWithColumns: {
        auto r = exec(c,
                      "SELECT t.id, d.id FROM tables t JOIN databases d ON d.id = t.database_id "
                      "WHERE d.name = ? AND t.name = ?",
                      {grant.database, grant.table});
        if (r.rows.empty()) throw_not_found(table_label(grant.database, grant.table) + " not found");
        tbl_id = r.rows[0].integer(0);
        db_id = r.rows[0].integer(1);
        break;
      }
      case ResourceKind::DataCellsFilter: {
        auto r = exec(c,
                      "SELECT id, table_id, database_id FROM data_cells_filters WHERE database_name = ? AND "
                      "table_name = ? AND name = ?",
                      {grant.database, grant.table, grant.filter_name});
        if (r.rows.empty()) {
          throw_not_found(filter_label(grant.database, grant.table, grant.filter_name) + " not found");
        }
        filter_id = r.rows[0].integer(0);
        tbl_id = r.rows[0].integer(1);
        db_id = r.rows[0].integer(2);
        break;
      }
      case ResourceKind::TagPolicy:
        for (std::size_t i = 0; i < grant.tag_expression.size(); ++i) {
          const TagCondition& cond = grant.tag_expression[i];
          const std::string field = "grant.resource.tag_expression[" + std::to_string(i) + "]";
          auto allowed = lock_tag_key(c, *dialect_, cond.key);
          if (!allowed) throw_invalid(field + ".key", "tag key '" + cond.key + "' does not exist");
          for (std::size_t j = 0; j < cond.values.size(); ++j) {
            if (!std::binary_search(allowed->begin(), allowed->end(), cond.values[j])) {
              throw_invalid(field + ".values[" + std::to_string(j) + "]",
                            "'" + cond.values[j] + "' is not an allowed value of tag key '" + cond.key + "'");
            }
          }
        }
        break;
      case ResourceKind::Catalog:
      case ResourceKind::DataLocation:
        break;
    }
    sql::Value expires;
    if (grant.expires_at) expires = *grant.expires_at;
    auto r = exec(
        c,
        "INSERT INTO grants (principal, principal_kind, principal_name, kind, resource_key, database_name, "
        "table_name, database_id, table_id, filter_id, columns, column_wildcard, excluded_columns, location, "
        "filter_name, tag_resource_type, tag_expression, column_masks, permissions, grantable, expires_at, "
        "granted_by, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, "
        "?, ?, ?, ?, ?) ON CONFLICT " +
            dialect_->grant_identity() +
            " DO UPDATE SET "
            "permissions = grants.permissions | excluded.permissions, "
            "grantable = grants.grantable | excluded.grantable, "
            "expires_at = CASE WHEN grants.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL "
            "WHEN grants.expires_at > excluded.expires_at THEN grants.expires_at ELSE excluded.expires_at "
            "END, "
            "granted_by = excluded.granted_by, update_time = excluded.update_time "
            "WHERE grants.resource_key = excluded.resource_key RETURNING " +
            std::string(kGrantCols),
        {grant.principal,
         principal_kind,
         principal_name,
         std::string(resource_kind_name(grant.kind)),
         key,
         grant.database,
         grant.table,
         db_id,
         tbl_id,
         filter_id,
         strings_text(grant.columns),
         flag(grant.column_wildcard),
         strings_text(grant.excluded_columns),
         grant.location,
         grant.filter_name,
         grant.tag_resource_type,
         tag_expression_text(grant.tag_expression),
         masks_text(grant.column_masks),
         std::int64_t{grant.permissions},
         std::int64_t{grant.grantable},
         expires,
         grant.granted_by,
         now,
         now});
    if (r.rows.empty()) {
      // Another resource of this principal has the same identity digest (PostgreSQL): never merge into it.
      throw Error(ErrorCode::Internal,
                  "cannot store the grant: its resource key collides with another grant's");
    }
    Grant out = grant_from(r.rows[0]);
    bump_policy_epoch(c);
    return out;
  });
}

std::optional<Grant> SqlStore::revoke_permissions_impl(const Grant& grant) {
  const std::string key = resource_key(grant);
  return transact(true, [&](sql::Connection& c) -> std::optional<Grant> {
    auto r = exec(c,
                  std::string("SELECT ") + kGrantCols +
                      " FROM grants WHERE principal = ? AND resource_key = ?" + dialect_->for_update(),
                  {grant.principal, key});
    if (r.rows.empty()) throw_not_found(grant.principal + " holds no grant on " + key);
    Grant current = grant_from(r.rows[0]);
    const PermissionSet revoke = grant.permissions;
    const auto revoke_option = static_cast<PermissionSet>(grant.permissions | grant.grantable);
    if ((current.permissions & revoke) == 0 && (current.grantable & revoke_option) == 0) {
      throw_not_found(grant.principal + " holds none of the revoked permissions on " + key);
    }
    const auto permissions = static_cast<PermissionSet>(current.permissions & ~revoke);
    const auto grantable = static_cast<PermissionSet>(current.grantable & ~revoke_option & permissions);
    std::optional<Grant> out;
    if (permissions == 0) {
      exec(c, "DELETE FROM grants WHERE id = ?", {current.id});
    } else {
      current.permissions = permissions;
      current.grantable = grantable;
      current.update_time = std::max(now_millis(), current.create_time);
      exec(c, "UPDATE grants SET permissions = ?, grantable = ?, update_time = ? WHERE id = ?",
           {std::int64_t{permissions}, std::int64_t{grantable}, current.update_time, current.id});
      out = std::move(current);
    }
    bump_policy_epoch(c);
    return out;
  });
}

std::optional<Grant> SqlStore::get_grant_impl(std::int64_t id) {
  return transact(false, [&](sql::Connection& c) -> std::optional<Grant> {
    auto r = exec(c, std::string("SELECT ") + kGrantCols + " FROM grants WHERE id = ?", {id});
    if (r.rows.empty()) return std::nullopt;
    return grant_from(r.rows[0]);
  });
}

Page<Grant> SqlStore::list_grants_impl(const GrantQuery& query, const PageRequest& page) {
  const std::int64_t after = token_integer(page.token, "i");
  std::string text = std::string("SELECT ") + kGrantCols + " FROM grants WHERE id > ?";
  Params params{after};
  if (!query.principal.empty()) {
    text += " AND principal = ?";
    params.emplace_back(query.principal);
  }
  if (query.kind) {
    text += " AND kind = ?";
    params.emplace_back(std::string(resource_kind_name(*query.kind)));
  }
  if (!query.database.empty()) {
    text += " AND database_name = ?";
    params.emplace_back(query.database);
  }
  if (!query.table.empty()) {
    text += " AND table_name = ?";
    params.emplace_back(query.table);
  }
  text += " ORDER BY id LIMIT ?";
  params.emplace_back(std::int64_t{page.limit} + 1);
  return transact(false, [&](sql::Connection& c) {
    auto r = exec(c, text, params);
    Page<Grant> out;
    for (const auto& row : r.rows) {
      if (static_cast<int>(out.items.size()) == page.limit) {
        out.next_token = make_token({{"i", out.items.back().id}});
        break;
      }
      out.items.push_back(grant_from(row));
    }
    return out;
  });
}

// --- data cells filters -----------------------------------------------------------------------------------

DataCellsFilter SqlStore::create_data_cells_filter_impl(const DataCellsFilter& filter) {
  DataCellsFilter out = filter;
  out.version_id = 1;
  out.create_time = now_millis();
  out.update_time = out.create_time;
  transact(true, [&](sql::Connection& c) {
    auto t = exec(c,
                  "SELECT t.id, d.id FROM tables t JOIN databases d ON d.id = t.database_id "
                  "WHERE d.name = ? AND t.name = ?",
                  {out.database, out.table});
    if (t.rows.empty()) throw_not_found(table_label(out.database, out.table) + " not found");
    auto r =
        exec(c,
             "INSERT INTO data_cells_filters (table_id, database_id, database_name, table_name, name, "
             "row_filter, all_rows, columns, column_wildcard, excluded_columns, column_masks, version_id, "
             "create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (database_name, table_name, name) DO NOTHING RETURNING id",
             {t.rows[0].integer(0), t.rows[0].integer(1), out.database, out.table, out.name, out.row_filter,
              flag(out.all_rows), strings_text(out.columns), flag(out.column_wildcard),
              strings_text(out.excluded_columns), masks_text(out.column_masks), out.version_id,
              out.create_time, out.update_time});
    if (r.rows.empty()) {
      throw Error(ErrorCode::AlreadyExists,
                  filter_label(out.database, out.table, out.name) + " already exists");
    }
    bump_policy_epoch(c);
  });
  return out;
}

DataCellsFilter SqlStore::update_data_cells_filter_impl(const DataCellsFilter& filter,
                                                        std::optional<std::int64_t> expected_version) {
  return transact(true, [&](sql::Connection& c) {
    auto r = exec(c,
                  "SELECT id, version_id, create_time FROM data_cells_filters WHERE database_name = ? AND "
                  "table_name = ? AND name = ?" +
                      dialect_->for_update(),
                  {filter.database, filter.table, filter.name});
    const std::string label = filter_label(filter.database, filter.table, filter.name);
    if (r.rows.empty()) throw_not_found(label + " not found");
    const std::int64_t current = r.rows[0].integer(1);
    if (expected_version && *expected_version != current) {
      throw Error(ErrorCode::VersionConflict,
                  label + " is at version " + std::to_string(current) + ", not the expected version " +
                      std::to_string(*expected_version),
                  "version_id");
    }
    DataCellsFilter out = filter;
    out.version_id = current + 1;
    out.create_time = r.rows[0].integer(2);
    out.update_time = std::max(now_millis(), out.create_time);
    exec(c,
         "UPDATE data_cells_filters SET row_filter = ?, all_rows = ?, columns = ?, column_wildcard = ?, "
         "excluded_columns = ?, column_masks = ?, version_id = ?, update_time = ? WHERE id = ?",
         {out.row_filter, flag(out.all_rows), strings_text(out.columns), flag(out.column_wildcard),
          strings_text(out.excluded_columns), masks_text(out.column_masks), out.version_id, out.update_time,
          r.rows[0].integer(0)});
    bump_policy_epoch(c);
    return out;
  });
}

std::optional<DataCellsFilter> SqlStore::get_data_cells_filter_impl(const std::string& database,
                                                                    const std::string& table,
                                                                    const std::string& name) {
  return transact(false, [&](sql::Connection& c) -> std::optional<DataCellsFilter> {
    auto r = exec(c,
                  std::string("SELECT ") + kFilterCols +
                      " FROM data_cells_filters WHERE database_name = ? AND table_name = ? AND name = ?",
                  {database, table, name});
    if (r.rows.empty()) return std::nullopt;
    return filter_from(r.rows[0]);
  });
}

Page<DataCellsFilter> SqlStore::list_data_cells_filters_impl(const std::string& database,
                                                             const std::string& table,
                                                             const PageRequest& page) {
  std::array<std::string, 3> after;
  if (auto pos = read_token(page.token, "f")) {
    if (!pos->is_array() || pos->size() != 3 || !(*pos)[0].is_string() || !(*pos)[1].is_string() ||
        !(*pos)[2].is_string()) {
      throw_invalid("next_token", "the page token is malformed");
    }
    for (std::size_t i = 0; i < 3; ++i) after[i] = (*pos)[i].get<std::string>();
  }
  return transact(false, [&](sql::Connection& c) {
    std::string text = std::string("SELECT ") + kFilterCols +
                       " FROM data_cells_filters WHERE (database_name, table_name, name) > (?, ?, ?)";
    Params params{after[0], after[1], after[2]};
    if (!database.empty()) {
      database_id(c, *dialect_, database);
      text += " AND database_name = ?";
      params.emplace_back(database);
    }
    if (!table.empty()) {
      table_id(c, *dialect_, database, table);
      text += " AND table_name = ?";
      params.emplace_back(table);
    }
    text += " ORDER BY database_name, table_name, name LIMIT ?";
    params.emplace_back(std::int64_t{page.limit} + 1);
    auto r = exec(c, text, params);
    Page<DataCellsFilter> out;
    for (const auto& row : r.rows) {
      if (static_cast<int>(out.items.size()) == page.limit) {
        const auto& last = out.items.back();
        out.next_token = make_token({{"f", {last.database, last.table, last.name}}});
        break;
      }
      out.items.push_back(filter_from(row));
    }
    return out;
  });
}

void SqlStore::delete_data_cells_filter_impl(const std::string& database, const std::string& table,
                                             const std::string& name) {
  transact(true, [&](sql::Connection& c) {
    auto r =
        exec(c,
             "SELECT id FROM data_cells_filters WHERE database_name = ? AND table_name = ? AND name = ?" +
                 dialect_->for_update(),
             {database, table, name});
    if (r.rows.empty()) throw_not_found(filter_label(database, table, name) + " not found");
    const std::int64_t id = r.rows[0].integer(0);
    exec(c, "DELETE FROM grants WHERE filter_id = ?", {id});
    exec(c, "DELETE FROM data_cells_filters WHERE id = ?", {id});
    bump_policy_epoch(c);
  });
}

// --- LF-Tags ----------------------------------------------------------------------------------------------

TagKey SqlStore::create_tag_key_impl(const TagKey& tag) {
  TagKey out = tag;
  out.create_time = now_millis();
  transact(true, [&](sql::Connection& c) {
    auto r =
        exec(c,
             "INSERT INTO tag_keys (key, vals, create_time) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING "
             "RETURNING key",
             {out.key, strings_text(out.values), out.create_time});
    if (r.rows.empty()) throw Error(ErrorCode::AlreadyExists, "tag key '" + out.key + "' already exists");
    bump_policy_epoch(c);
  });
  return out;
}

TagKey SqlStore::update_tag_key_impl(const std::string& key, const std::vector<std::string>& add,
                                     const std::vector<std::string>& remove) {
  return transact(true, [&](sql::Connection& c) {
    auto r =
        exec(c, "SELECT key, vals, create_time FROM tag_keys WHERE key = ?" + dialect_->for_update(), {key});
    if (r.rows.empty()) throw_not_found("tag key '" + key + "' not found");
    TagKey out = tag_key_from(r.rows[0]);
    std::set<std::string> values(out.values.begin(), out.values.end());
    for (const auto& v : remove) {
      if (!values.contains(v)) throw_invalid("remove", "'" + v + "' is not a value of tag key '" + key + "'");
    }
    if (!remove.empty()) {
      std::string text =
          "SELECT " + std::string(kAssignmentCols) + " FROM tag_assignments WHERE key = ? AND value IN (";
      Params params{key};
      for (std::size_t i = 0; i < remove.size(); ++i) {
        text += i == 0 ? "?" : ", ?";
        params.emplace_back(remove[i]);
      }
      text += ") ORDER BY database_name, table_name, column_name LIMIT 1";
      auto used = exec(c, text, params);
      if (!used.rows.empty()) {
        const TagAssignment a = assignment_from(used.rows[0]);
        throw Error(ErrorCode::FailedPrecondition, "value '" + a.value + "' of tag key '" + key +
                                                       "' is assigned to " + target_label(a) +
                                                       "; unassign it first");
      }
      if (auto grant = tag_policy_use(c, *dialect_, key, &remove)) {
        throw Error(ErrorCode::FailedPrecondition, "value '" + grant->second + "' of tag key '" + key +
                                                       "' is used by tag policy grant " +
                                                       std::to_string(grant->first) + "; revoke it first");
      }
    }
    for (const auto& v : remove) values.erase(v);
    values.insert(add.begin(), add.end());
    if (values.empty()) throw_invalid("remove", "a tag key keeps at least one value");
    if (values.size() > 1000) throw_invalid("add", "a tag key has at most 1000 values");
    out.values.assign(values.begin(), values.end());
    exec(c, "UPDATE tag_keys SET vals = ? WHERE key = ?", {strings_text(out.values), key});
    bump_policy_epoch(c);
    return out;
  });
}

std::optional<TagKey> SqlStore::get_tag_key_impl(const std::string& key) {
  return transact(false, [&](sql::Connection& c) -> std::optional<TagKey> {
    auto r = exec(c, "SELECT key, vals, create_time FROM tag_keys WHERE key = ?", {key});
    if (r.rows.empty()) return std::nullopt;
    return tag_key_from(r.rows[0]);
  });
}

std::vector<TagKey> SqlStore::list_tag_keys_impl() {
  return transact(false, [&](sql::Connection& c) {
    std::vector<TagKey> out;
    for (const auto& row : exec(c, "SELECT key, vals, create_time FROM tag_keys ORDER BY key", {}).rows)
      out.push_back(tag_key_from(row));
    return out;
  });
}

void SqlStore::delete_tag_key_impl(const std::string& key) {
  transact(true, [&](sql::Connection& c) {
    if (!lock_tag_key(c, *dialect_, key)) throw_not_found("tag key '" + key + "' not found");
    if (auto grant = tag_policy_use(c, *dialect_, key, nullptr)) {
      throw Error(ErrorCode::FailedPrecondition, "tag key '" + key + "' is used by tag policy grant " +
                                                     std::to_string(grant->first) + "; revoke it first");
    }
    exec(c, "DELETE FROM tag_assignments WHERE key = ?", {key});
    exec(c, "DELETE FROM tag_keys WHERE key = ?", {key});
    bump_policy_epoch(c);
  });
}

void SqlStore::assign_tags_impl(const TagAssignment& target, const std::map<std::string, std::string>& tags) {
  transact(true, [&](sql::Connection& c) {
    const std::int64_t db_id = database_id(c, *dialect_, target.database);
    sql::Value tbl_id;
    if (!target.table.empty()) {
      // Locked so that a concurrent update_table cannot drop the column between this check and the insert.
      auto r = exec(
          c,
          "SELECT id, partition_keys, storage_descriptor FROM tables WHERE database_id = ? AND name = ?" +
              dialect_->for_update(),
          {db_id, target.table});
      if (r.rows.empty()) throw_not_found(table_label(target.database, target.table) + " not found");
      tbl_id = r.rows[0].integer(0);
      if (!target.column.empty()) {
        Table t;
        t.partition_keys = columns_from_json(parse_json(r.rows[0].text(1)), "partition_keys");
        t.storage_descriptor =
            storage_descriptor_from_json(parse_json(r.rows[0].text(2)), "storage_descriptor");
        if (!column_names(t).contains(target.column)) throw_not_found(target_label(target) + " not found");
      }
    }
    for (const auto& [key, value] : tags) {
      auto allowed = lock_tag_key(c, *dialect_, key);
      if (!allowed) throw_invalid("tags." + key, "tag key '" + key + "' does not exist");
      if (!std::binary_search(allowed->begin(), allowed->end(), value)) {
        throw_invalid("tags." + key, "'" + value + "' is not an allowed value of tag key '" + key + "'");
      }
      exec(c,
           "INSERT INTO tag_assignments (database_id, table_id, database_name, table_name, column_name, key, "
           "value) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (database_name, table_name, column_name, key) "
           "DO UPDATE SET value = excluded.value, database_id = excluded.database_id, "
           "table_id = excluded.table_id",
           {db_id, tbl_id, target.database, target.table, target.column, key, value});
    }
    bump_policy_epoch(c);
  });
}

void SqlStore::unassign_tags_impl(const TagAssignment& target, const std::vector<std::string>& keys) {
  transact(true, [&](sql::Connection& c) {
    for (const auto& key : keys) {
      auto r =
          exec(c,
               "DELETE FROM tag_assignments WHERE database_name = ? AND table_name = ? AND column_name = ? "
               "AND key = ?",
               {target.database, target.table, target.column, key});
      if (r.affected == 0)
        throw_not_found("tag key '" + key + "' is not assigned to " + target_label(target));
    }
    bump_policy_epoch(c);
  });
}

std::vector<TagAssignment> SqlStore::list_tag_assignments_impl(const std::string& database,
                                                               const std::string& table) {
  return transact(false, [&](sql::Connection& c) {
    database_id(c, *dialect_, database);
    std::string text =
        std::string("SELECT ") + kAssignmentCols + " FROM tag_assignments WHERE database_name = ?";
    Params params{database};
    if (!table.empty()) {
      table_id(c, *dialect_, database, table);
      text += " AND table_name = ?";
      params.emplace_back(table);
    }
    text += " ORDER BY database_name, table_name, column_name, key";
    std::vector<TagAssignment> out;
    for (const auto& row : exec(c, text, params).rows) out.push_back(assignment_from(row));
    return out;
  });
}

// --- data locations ---------------------------------------------------------------------------------------

DataLocation SqlStore::register_location_impl(const DataLocation& location) {
  DataLocation out = location;
  out.create_time = now_millis();
  transact(true, [&](sql::Connection& c) {
    auto r =
        exec(c,
             "INSERT INTO data_locations (uri, role_arn, registered_by, create_time) VALUES (?, ?, ?, ?) "
             "ON CONFLICT (uri) DO NOTHING RETURNING uri",
             {out.uri, out.role_arn, out.registered_by, out.create_time});
    if (r.rows.empty())
      throw Error(ErrorCode::AlreadyExists, "location " + out.uri + " is already registered");
    bump_policy_epoch(c);
  });
  return out;
}

void SqlStore::deregister_location_impl(const std::string& uri) {
  transact(true, [&](sql::Connection& c) {
    if (exec(c, "DELETE FROM data_locations WHERE uri = ?", {uri}).affected == 0) {
      throw_not_found("location " + uri + " is not registered");
    }
    bump_policy_epoch(c);
  });
}

std::vector<DataLocation> SqlStore::list_locations_impl() {
  return transact(false, [&](sql::Connection& c) {
    std::vector<DataLocation> out;
    for (const auto& row :
         exec(c, "SELECT uri, role_arn, registered_by, create_time FROM data_locations ORDER BY uri", {})
             .rows)
      out.push_back(location_from(row));
    return out;
  });
}

// --- audit log --------------------------------------------------------------------------------------------
//
// One append is one transaction (PostgreSQL: under the audit advisory lock, so seq has no gaps across
// nodes); its entries become audit_batches rows of up to kMaxAuditBatch entries each, plus one index row
// per distinct principal and resource of each row. Reads find candidate batches through those index rows
// (or the seq and time columns), in rounds of growing size, decode them and filter their entries.

void SqlStore::append_audit(std::span<AuditEntry> entries, const AuditHasher& hasher) {
  if (entries.empty()) return;
  const Timestamp now = now_millis();
  for (auto& e : entries) {
    for (std::string* field : {&e.request_id, &e.action, &e.decision, &e.detail}) storable(*field);
    for (std::string& id : e.deciding_ids) storable(id);
    storable(e.principal, kMaxAuditPrincipal);
    storable(e.resource, kMaxAuditResource);
    if (e.time == 0) e.time = now;
  }
  const std::size_t per_statement = dialect_->rows_per_insert();
  transact(true, [&](sql::Connection& c) {
    const std::string lock = dialect_->audit_lock();
    // The writer runs these statements for every batch: they are prepared, which spares PostgreSQL planning
    // the insert with its ~250 KB entries value folded in as a constant (a fifth of its work per batch).
    if (!lock.empty()) exec_prepared(c, lock, {kAuditLockKey});
    auto last =
        exec_prepared(c, "SELECT last_seq, last_hash FROM audit_batches ORDER BY first_seq DESC LIMIT 1", {});
    std::int64_t seq = last.rows.empty() ? 0 : last.rows[0].integer(0);
    std::string prev = last.rows.empty() ? std::string() : last.rows[0].text(1);
    for (auto& e : entries) {
      e.seq = ++seq;
      e.prev_hash = prev;
      e.hash = hasher(e);
      prev = e.hash;
    }
    auto run = [&](const std::string& text, const Params& params) { exec(c, text, params); };
    std::unordered_set<std::string_view> principals;
    std::unordered_set<std::string_view> resources;
    for (std::size_t start = 0; start < entries.size(); start += kMaxAuditBatch) {
      const std::span<const AuditEntry> batch(entries.data() + start,
                                              std::min(kMaxAuditBatch, entries.size() - start));
      Timestamp min_time = batch.front().time;
      Timestamp max_time = batch.front().time;
      principals.clear();
      resources.clear();
      for (const AuditEntry& e : batch) {
        min_time = std::min(min_time, e.time);
        max_time = std::max(max_time, e.time);
        principals.insert(e.principal);
        resources.insert(e.resource);
      }
      const std::int64_t first_seq = batch.front().seq;
      exec_prepared(
          c,
          "INSERT INTO audit_batches (first_seq, last_seq, min_time, max_time, prev_hash, last_hash, "
          "entries) VALUES (?, ?, ?, ?, ?, ?, ?)",
          {first_seq, batch.back().seq, min_time, max_time, batch.front().prev_hash, batch.back().hash,
           encode_audit_batch(batch)});
      audit_index_rows(principals, first_seq, per_statement, "audit_batch_principals", "principal", run);
      audit_index_rows(resources, first_seq, per_statement, "audit_batch_resources", "resource", run);
    }
  });
}

Page<AuditEntry> SqlStore::query_audit(const AuditQuery& query, const PageRequest& page) {
  const int limit = std::clamp(page.limit, 1, kMaxAuditPage);
  const std::int64_t after = token_integer(page.token, "s");
  // A resource path and everything below it ("table/crm" matches "table/crm" and "table/crm/orders" but not
  // "table/crm2"); a prefix ending in '/' matches whatever starts with it.
  const std::string& prefix = query.resource_prefix;
  const std::string below = prefix.empty() || prefix.back() == '/' ? prefix : prefix + "/";
  auto matches = [&](const AuditEntry& e) {
    return e.seq > after && (query.principal.empty() || e.principal == query.principal) &&
           (prefix.empty() || e.resource == prefix || e.resource.starts_with(below)) &&
           (query.action.empty() || e.action == query.action) &&
           (query.decision.empty() || e.decision == query.decision) &&
           (!query.from || e.time >= *query.from) && (!query.to || e.time < *query.to);
  };

  // The candidate batches of one round, in first_seq order, as (first_seq, entry count): those naming the
  // principal (else a resource under the prefix, else every batch) whose time range meets [from, to),
  // starting with the batch holding entry `position` (first round) or after batch `position` (later rounds).
  // An index row whose batch is gone (removed behind the store's back) joins nothing.
  auto candidates = [&](bool first_round, std::int64_t position, Params& params) {
    const bool by_principal = !query.principal.empty();
    const bool by_resource = !by_principal && !prefix.empty();
    const char* key = by_principal || by_resource ? "k.first_seq" : "t.first_seq";
    std::string text = std::string(by_resource ? "SELECT DISTINCT " : "SELECT ") + key +
                       ", t.last_seq - t.first_seq + 1 FROM ";
    if (by_principal) {
      text +=
          "audit_batch_principals k JOIN audit_batches t ON t.first_seq = k.first_seq WHERE k.principal = ? "
          "AND ";
      params.emplace_back(query.principal);
    } else if (by_resource) {
      const std::string end = prefix_successor(below);
      text += "audit_batch_resources k JOIN audit_batches t ON t.first_seq = k.first_seq WHERE ";
      text += end.empty() ? "(k.resource = ? OR k.resource >= ?) AND "
                          : "(k.resource = ? OR (k.resource >= ? AND k.resource < ?)) AND ";
      params.emplace_back(prefix);
      params.emplace_back(below);
      if (!end.empty()) params.emplace_back(end);
    } else {
      text += "audit_batches t WHERE ";
    }
    text += key;
    text += first_round ? " >= (SELECT COALESCE(MAX(first_seq), 0) FROM audit_batches WHERE first_seq <= ?)"
                        : " > ?";
    params.emplace_back(position);
    if (query.from) {
      text += " AND t.max_time >= ?";
      params.emplace_back(*query.from);
    }
    if (query.to) {
      text += " AND t.min_time < ?";
      params.emplace_back(*query.to);
    }
    text += std::string(" ORDER BY ") + key + " LIMIT ?";
    params.emplace_back(kAuditCandidates);
    return text;
  };
  // Reads a group of batches by first_seq; one statement text whatever the group's size (padded with -1).
  static const std::string fetch = [] {
    std::string text = "SELECT first_seq, prev_hash, entries FROM audit_batches WHERE first_seq IN (?";
    for (std::size_t i = 1; i < kAuditFetchGroup; ++i) text += ", ?";
    return text + ")";
  }();

  std::vector<AuditEntry> items;
  transact(
      false,
      [&](sql::Connection& c) {
        items.clear();
        std::int64_t position = after + 1;
        if (query.from) {
          // No batch before the first one reaching `from` can match: start there. The unary plus keeps the
          // planner on audit_batches_by_time instead of walking the primary key from its start.
          auto first =
              exec(c, "SELECT MIN(+first_seq) FROM audit_batches WHERE max_time >= ?", {*query.from});
          if (first.rows.empty() || first.rows[0].is_null(0)) return;
          position = std::max(position, first.rows[0].integer(0));
        }
        for (bool first_round = true;; first_round = false) {
          Params params;
          const std::string text = candidates(first_round, position, params);
          const auto listed = exec(c, text, params).rows;
          for (std::size_t next = 0; next < listed.size();) {
            // The next group: up to kAuditFetchGroup batches holding up to kAuditFetchEntries entries.
            Params group;
            std::int64_t entries = 0;
            while (next < listed.size() && group.size() < kAuditFetchGroup) {
              const std::int64_t size = std::max<std::int64_t>(1, listed[next].integer(1));
              if (!group.empty() && entries + size > kAuditFetchEntries) break;
              entries += size;
              group.emplace_back(listed[next++].integer(0));
            }
            group.resize(kAuditFetchGroup, std::int64_t{-1});
            auto rows = exec(c, fetch, group).rows;
            std::sort(rows.begin(), rows.end(),
                      [](const Row& a, const Row& b) { return a.integer(0) < b.integer(0); });
            for (const Row& row : rows) {
              auto decoded = decode_audit_batch(row.text(1), row.text(2));
              if (!decoded) {
                throw Error(ErrorCode::Internal,
                            "the audit batch starting at entry " + row.text(0) +
                                " is unreadable: it was altered (run cairn audit verify)");
              }
              for (AuditEntry& e : *decoded) {
                if (!matches(e)) continue;
                items.push_back(std::move(e));
                if (items.size() > static_cast<std::size_t>(limit)) return;
              }
            }
          }
          if (static_cast<std::int64_t>(listed.size()) < kAuditCandidates) return;
          position = listed.back().integer(0);
        }
      },
      true);
  Page<AuditEntry> out;
  if (items.size() > static_cast<std::size_t>(limit)) {
    items.resize(static_cast<std::size_t>(limit));
    out.next_token = make_token({{"s", items.back().seq}});
  }
  out.items = std::move(items);
  return out;
}

std::vector<AuditEntry> SqlStore::scan_audit(std::int64_t after_seq, int limit) {
  if (limit < 1) throw_invalid("limit", "the scan limit is 1 or more");
  limit = std::min(limit, kMaxAuditScan);
  const auto wanted = static_cast<std::size_t>(limit);
  return transact(
      false,
      [&](sql::Connection& c) {
        std::vector<AuditEntry> out;
        // Round by round: the seq ranges of the next batches tell how many hold the entries still wanted,
        // then exactly those are read and decoded.
        std::string from =
            "first_seq >= (SELECT COALESCE(MAX(first_seq), 0) FROM audit_batches WHERE first_seq <= ?)";
        std::int64_t position = after_seq + 1;
        while (out.size() < wanted) {
          const auto need = static_cast<std::int64_t>(wanted - out.size());
          auto spans = exec(c,
                            "SELECT first_seq, last_seq FROM audit_batches WHERE " + from +
                                " ORDER BY first_seq LIMIT ?",
                            {position, need})
                           .rows;
          if (spans.empty()) break;
          std::int64_t upto = spans.back().integer(0);
          std::int64_t counted = 0;
          for (const Row& span : spans) {
            counted +=
                std::max<std::int64_t>(0, span.integer(1) - std::max(span.integer(0), after_seq + 1) + 1);
            if (counted >= need) {
              upto = span.integer(0);
              break;
            }
          }
          auto rows = exec(c,
                           "SELECT first_seq, prev_hash, entries FROM audit_batches WHERE " + from +
                               " AND first_seq <= ? ORDER BY first_seq",
                           {position, upto})
                          .rows;
          for (const Row& row : rows) {
            auto decoded = decode_audit_batch(row.text(1), row.text(2));
            if (!decoded) {
              // An unreadable batch stands in as one entry that fails verification at its first seq.
              AuditEntry stand_in;
              stand_in.seq = row.integer(0);
              stand_in.prev_hash = row.text(1);
              stand_in.detail = "unreadable audit batch";
              decoded.emplace(1, std::move(stand_in));
            }
            for (AuditEntry& e : *decoded) {
              if (e.seq <= after_seq) continue;
              out.push_back(std::move(e));
              if (out.size() == wanted) return out;
            }
          }
          from = "first_seq > ?";
          position = upto;
        }
        return out;
      },
      true);
}

}  // namespace cairn::catalog
