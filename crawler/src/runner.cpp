#include "cairn/crawler/runner.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "cairn/catalog/error.h"
#include "cairn/catalog/model_json.h"
#include "cairn/catalog/text_util.h"
#include "cairn/crawler/classify.h"
#include "cairn/crawler/glob.h"
#include "cairn/crawler/layout.h"
#include "local_folder.h"

namespace cairn::crawler {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::size_t kMaxMessages = 100;
constexpr const char* kCrawlerParameter = "UPDATED_BY_CRAWLER";
constexpr const char* kDeprecatedParameter = "DEPRECATED_BY_CRAWLER";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// One file as listed, with what the state says about it.
struct Listed {
  std::string rel;  ///< relative to the target root
  std::int64_t size = 0;
  std::int64_t mtime = 0;
  std::string etag;
  std::shared_ptr<const FileSchema> schema;  ///< null: unclassifiable (files of one schema share one)
  std::uint64_t sampled = 0;  ///< bytes the classifier read (record counts of samples scale by it)
  std::string state;          ///< the state text of an unchanged file, as stored
  bool read = false;          ///< to be read in this run
  bool changed = false;       ///< new or changed since the last run
};

std::string parent_dir(const std::string& rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

std::string state_key(std::size_t target, const std::string& rel) {
  return std::to_string(target) + ":" + rel;
}

/// "s3://bucket/prefix/" or "file:///dir" + "/" + rel, as Glue writes locations (S3 with a trailing '/').
std::string location_of(const CrawlTarget& target, const std::string& rel_dir) {
  if (target.is_s3()) {
    std::string base = target.path;
    if (base.back() != '/') base += '/';
    return rel_dir.empty() ? base : base + rel_dir + "/";
  }
  std::string base = target.local_dir();
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return "file://" + (rel_dir.empty() ? base : base + "/" + rel_dir);
}

std::string root_name(const CrawlTarget& target) {
  std::string p = target.is_s3() ? target.path.substr(5) : target.local_dir();
  while (!p.empty() && p.back() == '/') p.pop_back();
  const auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

/// Lists a target: every file under it that no exclusion names. `known_dirs` (CRAWL_NEW_FOLDERS_ONLY):
/// folders whose files the state already has are not listed again.
class Lister {
 public:
  Lister(const CrawlTarget& target, const GlobSet& exclusions, RunContext& ctx, RunStats& stats)
      : target_(target), exclusions_(exclusions), ctx_(ctx), stats_(stats) {}

  std::vector<Listed> list(const std::vector<std::string>& roots, const std::set<std::string>* known_dirs) {
    std::vector<Listed> out;
    if (target_.is_s3()) {
      list_s3(roots, known_dirs, out);
    } else {
      for (const auto& r : roots) list_local(r, known_dirs, out);
    }
    return out;
  }

 private:
  bool keep(const std::string& rel) {
    if (exclusions_.excluded(rel)) {
      ++stats_.files_excluded;
      return false;
    }
    return true;
  }

  void list_local(const std::string& rel_dir, const std::set<std::string>* known_dirs,
                  std::vector<Listed>& out) {
    if (!rel_dir.empty() && exclusions_.prunes_directory(rel_dir)) return;
    if (known_dirs && known_dirs->contains(rel_dir)) return;
    std::string base = target_.local_dir();
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    const std::string dir = rel_dir.empty() ? base : base + "/" + rel_dir;
    std::vector<detail::LocalEntry> entries;
    if (const int err = detail::read_local_folder(dir, entries); err != 0) {
      if (err != EACCES) {  // folders we may not read are skipped, as before
        const std::string message = std::error_code(err, std::generic_category()).message();
        if (rel_dir.empty())
          throw Error(ErrorCode::NotFound, "cannot list " + dir + ": " + message, "targets");
        stats_.note("cannot list " + dir + ": " + message);
        return;
      }
      ++stats_.folders_listed;
      return;
    }
    ++stats_.folders_listed;
    std::vector<std::string> subdirs;
    const std::string rel_prefix = rel_dir.empty() ? std::string() : rel_dir + "/";
    for (auto& e : entries) {
      std::string rel = rel_prefix + e.name;
      if (e.folder) {
        subdirs.push_back(std::move(rel));
        continue;
      }
      if (!keep(rel)) continue;
      Listed f;
      f.rel = std::move(rel);
      f.size = static_cast<std::int64_t>(e.size);
      f.mtime = e.mtime_ms;
      out.push_back(std::move(f));
    }
    std::sort(subdirs.begin(), subdirs.end());
    for (const auto& d : subdirs) list_local(d, known_dirs, out);
  }

  void list_s3(const std::vector<std::string>& roots, const std::set<std::string>* known_dirs,
               std::vector<Listed>& out) {
    const S3Location loc = parse_s3_url(target_.path, "targets.path");
    std::string prefix = loc.prefix;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    client_ = ctx_.s3(target_.connection);
    for (const auto& root : roots) {
      if (known_dirs) {
        list_s3_tree(loc.bucket, prefix, root, *known_dirs, out);
        continue;
      }
      S3ListRequest req;
      req.prefix = root.empty() ? prefix : prefix + root + "/";
      client_->list_objects(loc.bucket, req, [&](S3ListPage& page) {
        ++stats_.folders_listed;
        for (auto& o : page.objects) add_object(prefix, o, out);
        return !(ctx_.should_stop && ctx_.should_stop());
      });
    }
  }

  /// One folder level at a time (delimiter '/'), so that known folders are never listed.
  void list_s3_tree(const std::string& bucket, const std::string& prefix, const std::string& rel_dir,
                    const std::set<std::string>& known_dirs, std::vector<Listed>& out) {
    if (!rel_dir.empty() && (exclusions_.prunes_directory(rel_dir) || known_dirs.contains(rel_dir))) return;
    S3ListRequest req;
    req.prefix = rel_dir.empty() ? prefix : prefix + rel_dir + "/";
    req.delimiter = "/";
    std::vector<std::string> subdirs;
    client_->list_objects(bucket, req, [&](S3ListPage& page) {
      ++stats_.folders_listed;
      for (auto& o : page.objects) add_object(prefix, o, out);
      for (auto& p : page.common_prefixes) {
        std::string rel = p.substr(prefix.size());
        while (!rel.empty() && rel.back() == '/') rel.pop_back();
        if (!rel.empty()) subdirs.push_back(std::move(rel));
      }
      return true;
    });
    for (const auto& d : subdirs) list_s3_tree(bucket, prefix, d, known_dirs, out);
  }

  void add_object(const std::string& prefix, S3Object& o, std::vector<Listed>& out) {
    if (o.key.size() <= prefix.size() || o.key.back() == '/') return;  // folder markers
    std::string rel = o.key.substr(prefix.size());
    if (!keep(rel)) return;
    Listed f;
    f.rel = std::move(rel);
    f.size = static_cast<std::int64_t>(o.size);
    f.etag = std::move(o.etag);
    f.mtime = o.last_modified_ms;
    out.push_back(std::move(f));
  }

  const CrawlTarget& target_;
  const GlobSet& exclusions_;
  RunContext& ctx_;
  RunStats& stats_;
  std::shared_ptr<S3Client> client_;
};

catalog::Column column_of(const json& j) {
  return catalog::column_from_json(j, "state.columns");
}

/// Reads and classifies `files` (indices into `listed`) on a few threads.
void classify_files(const CrawlTarget& target, const ClassifyOptions& options, std::vector<Listed>& listed,
                    const std::vector<std::size_t>& files, RunContext& ctx, RunStats& stats) {
  if (files.empty()) return;
  std::shared_ptr<S3Client> client;
  S3Location loc;
  std::string prefix;
  if (target.is_s3()) {
    loc = parse_s3_url(target.path, "targets.path");
    prefix = loc.prefix;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    client = ctx.s3(target.connection);
  }
  std::string base = target.local_dir();
  while (base.size() > 1 && base.back() == '/') base.pop_back();

  std::atomic<std::size_t> next{0};
  std::atomic<std::int64_t> bytes{0};
  std::atomic<std::int64_t> failed{0};
  std::atomic<bool> stop{false};
  std::mutex messages_mutex;
  std::vector<std::string> messages;  // guarded by messages_mutex
  auto work = [&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const std::size_t i = next.fetch_add(1);
      if (i >= files.size()) return;
      Listed& f = listed[files[i]];
      std::unique_ptr<ByteSource> source;
      try {
        if (client) {
          source =
              client->open_object(loc.bucket, prefix + f.rel, static_cast<std::uint64_t>(f.size), f.etag);
        } else {
          source = open_local_file(base + "/" + f.rel);
        }
        if (auto schema = classify_file(*source, options))
          f.schema = std::make_shared<const FileSchema>(std::move(*schema));
      } catch (const std::exception& e) {
        f.schema.reset();
        failed.fetch_add(1);
        const std::lock_guard lock(messages_mutex);
        messages.push_back(f.rel + ": " + e.what());
      }
      if (source) {
        f.sampled = source->bytes_read();
        bytes.fetch_add(static_cast<std::int64_t>(f.sampled));
      }
      f.read = true;
      if (ctx.should_stop && (i % 64) == 0 && ctx.should_stop()) stop = true;
    }
  };
  int threads = ctx.threads > 0 ? ctx.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::clamp(threads, 1, 8);
  threads = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), files.size()));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  stats.bytes_read += bytes.load();
  stats.files_failed += failed.load();
  for (const auto& f : files)
    if (listed[f].read) ++stats.files_read;
  std::sort(messages.begin(), messages.end());
  for (auto& m : messages) stats.note(std::move(m));
}

/// The catalog table a planned table becomes.
/// The storage descriptor of a planned table or partition: its columns, location, format and parameters.
template <class Planned>
catalog::StorageDescriptor storage_of(const Planned& planned, const CrawlTarget& target) {
  catalog::StorageDescriptor sd;
  sd.columns = planned.columns;
  sd.location = location_of(target, planned.location);
  sd.input_format = planned.format.input_format;
  sd.output_format = planned.format.output_format;
  sd.compressed = planned.format.compression != "none";
  sd.serde_info.serialization_library = planned.format.serialization_library;
  sd.serde_info.parameters = planned.format.serde_parameters;
  sd.parameters = planned.parameters;
  return sd;
}

catalog::Table table_of(const PlannedTable& planned, const CrawlTarget& target, const std::string& crawler) {
  catalog::Table t;
  t.name = planned.name;
  t.table_type = "EXTERNAL_TABLE";
  t.owner = "crawler:" + crawler;
  t.parameters = planned.parameters;
  t.parameters[kCrawlerParameter] = crawler;
  t.parameters.erase(kDeprecatedParameter);
  t.partition_keys = planned.partition_keys;
  t.storage_descriptor = storage_of(planned, target);
  return t;
}

catalog::Partition partition_of(const PlannedPartition& planned, const CrawlTarget& target) {
  catalog::Partition p;
  p.values = planned.values;
  p.parameters = planned.parameters;
  p.storage_descriptor = storage_of(planned, target);
  return p;
}

/// Whether an update would change nothing a reader sees (the run then leaves the table's version alone).
bool same_keys(const catalog::Table& a, const catalog::Table& b) {
  if (a.partition_keys.size() != b.partition_keys.size()) return false;
  for (std::size_t i = 0; i < a.partition_keys.size(); ++i)
    if (a.partition_keys[i].name != b.partition_keys[i].name ||
        a.partition_keys[i].type != b.partition_keys[i].type)
      return false;
  return true;
}

bool same_table(const catalog::Table& a, const catalog::Table& b) {
  return catalog::to_json(a.storage_descriptor) == catalog::to_json(b.storage_descriptor) &&
         a.parameters == b.parameters && a.table_type == b.table_type && same_keys(a, b);
}

bool same_partition(const catalog::Partition& a, const catalog::Partition& b) {
  return catalog::to_json(a.storage_descriptor) == catalog::to_json(b.storage_descriptor) &&
         a.parameters == b.parameters;
}

/// New columns of `planned` appended to `existing` (MergeNewColumns: existing columns keep their types).
std::vector<catalog::Column> merge_new_columns(const std::vector<catalog::Column>& existing,
                                               const std::vector<catalog::Column>& planned) {
  std::vector<catalog::Column> out = existing;
  std::set<std::string> names;
  for (const auto& c : existing) names.insert(c.name);
  for (const auto& c : planned)
    if (!names.contains(c.name)) out.push_back(c);
  return out;
}

std::vector<catalog::Partition> all_partitions(catalog::Store& store, const std::string& db,
                                               const std::string& table) {
  std::vector<catalog::Partition> out;
  catalog::PageRequest page;
  page.limit = 1000;
  while (true) {
    auto p = store.list_partitions(db, table, std::string_view(), page);
    for (auto& item : p.items) out.push_back(std::move(item));
    if (p.next_token.empty()) break;
    page.token = p.next_token;
  }
  return out;
}

std::string values_key(const std::vector<std::string>& values) {
  return json(values).dump();
}

/// Applies the plan of one target to the catalog.
class Applier {
 public:
  Applier(const CrawlerDefinition& def, RunContext& ctx, RunStats& stats)
      : def_(def), ctx_(ctx), stats_(stats) {}

  /// Writes one planned table (create or update, with its partitions) and `state_files`/`state_removed`
  /// in one transaction. `changed` false: no file under the table changed, so the catalog is left alone.
  /// `changed_dirs` (may be null): the folders of the changed files when no file of the table was removed
  /// and the plan left none out; partitions elsewhere are then known to be as stored and are not read.
  /// Returns the table's name in the catalog (unique_name may have changed it); "" when `changed` is false.
  std::string apply(const PlannedTable& planned, const CrawlTarget& target, bool changed,
                    const std::set<std::string>* changed_dirs,
                    const std::vector<catalog::CrawlerFile>& state_files,
                    const std::vector<std::string>& state_removed) {
    catalog::Store& store = *ctx_.store;
    catalog::Table table = table_of(planned, target, def_.name);
    if (!changed) {
      ++stats_.tables_unchanged;
      store.save_crawler_files(def_.name, state_files, state_removed);
      return {};
    }
    std::vector<std::string> audit_actions;
    store.run_atomically([&] {
      audit_actions.clear();
      RunStats delta;
      auto existing = store.get_table(def_.database, table.name);
      if (existing && existing->storage_descriptor.location != table.storage_descriptor.location) {
        // A table of that name holds another location (another crawler's, or a person's): never touch it.
        table.name = unique_name(table.name, table.storage_descriptor.location);
        existing = store.get_table(def_.database, table.name);
      }
      const bool keys_kept = existing && same_keys(*existing, table);
      if (!existing) {
        store.create_table(def_.database, table);
        ++delta.tables_created;
        audit_actions.push_back("CreateTable");
      } else if (def_.update_behavior == "LOG") {
        // The table stays as it is, but new partitions are still added (Glue's incremental crawls, which
        // require LOG, exist to add them); changed partitions are only noted (apply_partitions).
        if (!same_table(*existing, table))
          delta.note("table " + table.name + " changed in the files; not updated (update_behavior LOG)");
        if (!same_keys(*existing, table)) {
          // Partitions of other keys would not fit the table as it stays.
          store.save_crawler_files(def_.name, state_files, state_removed);
          pending_ = delta;
          return;
        }
      } else {
        catalog::Table next = table;
        if (def_.merge_new_columns_only)
          next.storage_descriptor.columns =
              merge_new_columns(existing->storage_descriptor.columns, table.storage_descriptor.columns);
        next.description = existing->description;
        next.owner = existing->owner;
        if (!same_table(*existing, next)) {
          store.update_table(def_.database, next, existing->version_id);
          ++delta.tables_updated;
          audit_actions.push_back("UpdateTable");
        } else {
          ++delta.tables_unchanged;
        }
      }
      apply_partitions(planned, target, table.name, existing.has_value(), keys_kept ? changed_dirs : nullptr,
                       delta, audit_actions);
      store.save_crawler_files(def_.name, state_files, state_removed);
      pending_ = delta;
    });
    merge(pending_);
    for (const auto& action : audit_actions) audit(action, "table/" + def_.database + "/" + table.name, "");
    placed_.insert(table.name);
    return table.name;
  }

  /// Tables this crawler made earlier under the target whose files are all gone.
  void retire(const std::set<std::string>& keep_locations, const std::vector<std::string>& target_locations) {
    catalog::Store& store = *ctx_.store;
    catalog::PageRequest page;
    page.limit = 1000;
    std::vector<catalog::Table> gone;
    while (true) {
      auto p = store.list_tables(def_.database, page);
      for (auto& t : p.items) {
        auto it = t.parameters.find(kCrawlerParameter);
        if (it == t.parameters.end() || it->second != def_.name) continue;
        const std::string& loc = t.storage_descriptor.location;
        if (keep_locations.contains(loc)) continue;
        const bool under_target =
            std::any_of(target_locations.begin(), target_locations.end(),
                        [&](const std::string& root) { return loc.rfind(root, 0) == 0; });
        if (under_target) gone.push_back(std::move(t));
      }
      if (p.next_token.empty()) break;
      page.token = p.next_token;
    }
    for (auto& t : gone) {
      const std::string resource = "table/" + def_.database + "/" + t.name;
      if (def_.delete_behavior == "LOG") {
        stats_.note("table " + t.name + ": its files are gone; kept (delete_behavior LOG)");
      } else if (def_.delete_behavior == "DELETE_FROM_DATABASE") {
        store.delete_table(def_.database, t.name);
        ++stats_.tables_deleted;
        audit("DeleteTable", resource, "files gone");
      } else if (!t.parameters.contains(kDeprecatedParameter)) {
        t.parameters[kDeprecatedParameter] = std::to_string(now_ms());
        store.update_table(def_.database, t, t.version_id);
        ++stats_.tables_deprecated;
        audit("UpdateTable", resource, "deprecated: files gone");
      }
    }
  }

 private:
  void apply_partitions(const PlannedTable& planned, const CrawlTarget& target, const std::string& table_name,
                        bool table_existed, const std::set<std::string>* changed_dirs, RunStats& delta,
                        std::vector<std::string>& audit_actions) {
    catalog::Store& store = *ctx_.store;
    // Only the partitions of changed folders when the others are known to be as stored.
    const bool only_changed = table_existed && changed_dirs;
    auto wanted = [&](const PlannedPartition& pp) {
      return !only_changed || changed_dirs->contains(pp.location);
    };
    std::unordered_map<std::string, catalog::Partition> existing;
    if (only_changed) {
      std::vector<std::vector<std::string>> values;
      for (const auto& pp : planned.partitions)
        if (wanted(pp)) values.push_back(pp.values);
      for (std::size_t start = 0; start < values.size(); start += 1000) {
        const std::vector<std::vector<std::string>> chunk(
            values.begin() + static_cast<std::ptrdiff_t>(start),
            values.begin() + static_cast<std::ptrdiff_t>(std::min(values.size(), start + 1000)));
        for (auto& p : store.batch_get_partitions(def_.database, table_name, chunk))
          existing.emplace(values_key(p.values), std::move(p));
      }
    } else if (table_existed) {
      for (auto& p : all_partitions(store, def_.database, table_name))
        existing.emplace(values_key(p.values), std::move(p));
    }
    std::vector<catalog::Partition> to_create;
    std::vector<std::pair<std::vector<std::string>, catalog::Partition>> to_update;
    std::unordered_set<std::string> planned_keys;
    for (const auto& pp : planned.partitions) {
      if (!wanted(pp)) continue;
      catalog::Partition p = partition_of(pp, target);
      const std::string key = values_key(p.values);
      planned_keys.insert(key);
      auto it = existing.find(key);
      if (it == existing.end()) {
        to_create.push_back(std::move(p));
      } else if (!same_partition(it->second, p)) {
        if (def_.update_behavior == "LOG") {
          delta.note("partition " + key + " of " + table_name +
                     " changed; not updated (update_behavior LOG)");
        } else {
          to_update.emplace_back(p.values, std::move(p));
        }
      }
    }
    std::vector<std::vector<std::string>> to_delete;
    for (const auto& [key, p] : existing)
      if (!only_changed && !planned_keys.contains(key)) to_delete.push_back(p.values);
    auto check = [&](const std::vector<catalog::BatchItemError>& errors, const char* what) {
      for (const auto& e : errors)
        if (!e.error_code.empty())
          throw Error(ErrorCode::Unavailable, std::string(what) + " partition " + values_key(e.values) +
                                                  " of " + table_name + " failed: " + e.message);
    };
    if (!to_create.empty()) {
      delta.partitions_added += static_cast<std::int64_t>(to_create.size());
      check(store.create_partitions(def_.database, table_name, std::move(to_create)), "creating");
      audit_actions.push_back("BatchCreatePartition");
    }
    if (!to_update.empty()) {
      delta.partitions_updated += static_cast<std::int64_t>(to_update.size());
      check(store.update_partitions(def_.database, table_name, std::move(to_update)), "updating");
      audit_actions.push_back("BatchUpdatePartition");
    }
    if (!to_delete.empty()) {
      if (def_.delete_behavior == "DELETE_FROM_DATABASE") {
        delta.partitions_removed += static_cast<std::int64_t>(to_delete.size());
        check(store.delete_partitions(def_.database, table_name, to_delete), "deleting");
        audit_actions.push_back("BatchDeletePartition");
      } else {
        delta.note(std::to_string(to_delete.size()) + " partition(s) of " + table_name +
                   " have no files any more; kept (delete_behavior " + def_.delete_behavior + ")");
      }
    }
  }

  std::string unique_name(const std::string& name, const std::string& location) {
    // A stable suffix from the location, so the next run picks the same name.
    std::uint64_t h = 1469598103934665603ULL;
    for (const unsigned char ch : location) h = (h ^ ch) * 1099511628211ULL;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(h & 0xffffffffULL));
    return name + "_" + buf;
  }

  void merge(const RunStats& d) {
    stats_.tables_created += d.tables_created;
    stats_.tables_updated += d.tables_updated;
    stats_.tables_unchanged += d.tables_unchanged;
    stats_.partitions_added += d.partitions_added;
    stats_.partitions_updated += d.partitions_updated;
    stats_.partitions_removed += d.partitions_removed;
    for (const auto& m : d.messages) stats_.note(m);
  }

  void audit(const std::string& action, const std::string& resource, const std::string& detail) {
    if (ctx_.audit) ctx_.audit(action, resource, detail);
  }

  const CrawlerDefinition& def_;
  RunContext& ctx_;
  RunStats& stats_;
  RunStats pending_;
  std::set<std::string> placed_;
};

// Schema JSON of the state (no record counts: those are per file).
std::string schema_json(const FileSchema& s) {
  json cols = json::array();
  for (const auto& c : s.columns) cols.push_back(catalog::to_json(c));
  const json j{{"c", s.classification},    {"cols", std::move(cols)},
               {"z", s.compression},       {"serde", s.serialization_library},
               {"in", s.input_format},     {"out", s.output_format},
               {"sp", s.serde_parameters}, {"p", s.parameters},
               {"cert", s.certainty}};
  return j.dump();
}

FileSchema schema_from_json(const std::string& body) {
  try {
    const json j = json::parse(body);
    FileSchema s;
    s.classification = j.at("c").get<std::string>();
    for (const auto& c : j.at("cols")) s.columns.push_back(column_of(c));
    s.compression = j.at("z").get<std::string>();
    s.serialization_library = j.at("serde").get<std::string>();
    s.input_format = j.at("in").get<std::string>();
    s.output_format = j.at("out").get<std::string>();
    s.serde_parameters = j.at("sp").get<std::map<std::string, std::string>>();
    s.parameters = j.at("p").get<std::map<std::string, std::string>>();
    s.certainty = j.at("cert").get<double>();
    return s;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::Unavailable,
                std::string("crawler state holds an unreadable file schema: ") + e.what());
  }
}

/// The parts of a state text "<records>,<exact>,<sampled>;<body>".
struct TextParts {
  std::size_t c1, c2, semi;
};

TextParts split_text(const std::string& text) {
  const auto semi = text.find(';');
  const auto c1 = text.find(',');
  const auto c2 = c1 == std::string::npos ? c1 : text.find(',', c1 + 1);
  if (semi == std::string::npos || c2 == std::string::npos || c2 > semi)
    throw Error(ErrorCode::Unavailable,
                "crawler state holds an unreadable file schema (re-crawl with a new crawler)");
  return TextParts{c1, c2, semi};
}

/// A file's record counts applied to its schema, and the sampled bytes.
FileSchema with_counts(const FileSchema& base, const std::string& text, const TextParts& p,
                       std::uint64_t* sampled_bytes) {
  FileSchema out = base;
  try {
    const std::string records = text.substr(0, p.c1);
    if (records != "-") out.record_count = std::stoll(records);
    out.record_count_exact = text.compare(p.c1 + 1, p.c2 - p.c1 - 1, "1") == 0;
    if (sampled_bytes) *sampled_bytes = std::stoull(text.substr(p.c2 + 1, p.semi - p.c2 - 1));
  } catch (const std::exception&) {
    throw Error(ErrorCode::Unavailable, "crawler state holds an unreadable file schema (bad counts)");
  }
  return out;
}

std::string counts_prefix(const FileSchema& s, std::uint64_t sampled_bytes) {
  return (s.record_count ? std::to_string(*s.record_count) : std::string("-")) + "," +
         (s.record_count_exact ? "1" : "0") + "," + std::to_string(sampled_bytes) + ";";
}

/// Everything schema_json encodes, unambiguously (length-prefixed), without building JSON.
void key_part(std::string& key, std::string_view s) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, s.size());
  key.append(buf, r.ptr);
  key += ':';
  key += s;
}

void key_map(std::string& key, const std::map<std::string, std::string>& m) {
  key_part(key, std::to_string(m.size()));
  for (const auto& [k, v] : m) {
    key_part(key, k);
    key_part(key, v);
  }
}

std::string schema_key(const FileSchema& s) {
  std::string key;
  key.reserve(256);
  key_part(key, s.classification);
  key_part(key, s.compression);
  key_part(key, s.serialization_library);
  key_part(key, s.input_format);
  key_part(key, s.output_format);
  key_map(key, s.serde_parameters);
  key_map(key, s.parameters);
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, s.certainty);
  key_part(key, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
  key_part(key, std::to_string(s.columns.size()));
  for (const auto& c : s.columns) {
    key_part(key, c.name);
    key_part(key, c.type);
    key_part(key, c.comment);
    key_map(key, c.parameters);
  }
  return key;
}

/// 32 hex digits: two 64-bit FNV-1a hashes (different offsets) of `s`.
std::string content_id(std::string_view s) {
  // The bases ids were first computed with: kept so that stored ids stay valid.
  const std::uint64_t a = catalog::text::fnv1a_64(s, 1469598103934665603ULL);
  const std::uint64_t b = catalog::text::fnv1a_64(s, 0x84222325cbf29ce4ULL);
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buf;
}

/// The schema id a new-form state text names, or "" (old form, or no schema).
std::string_view id_of_text(std::string_view text) {
  const auto semi = text.find(';');
  if (semi == std::string_view::npos || semi + 1 >= text.size() || text[semi + 1] != '#') return {};
  return text.substr(semi + 2);
}

}  // namespace

void RunStats::note(std::string message) {
  if (messages.size() < kMaxMessages) {
    messages.push_back(std::move(message));
  } else if (messages.size() == kMaxMessages) {
    messages.push_back("… more messages were left out");
  }
}

nlohmann::json RunStats::to_json() const {
  return json{{"files_listed", files_listed},
              {"files_excluded", files_excluded},
              {"files_read", files_read},
              {"files_unchanged", files_unchanged},
              {"files_removed", files_removed},
              {"files_failed", files_failed},
              {"bytes_read", bytes_read},
              {"folders_listed", folders_listed},
              {"tables_created", tables_created},
              {"tables_updated", tables_updated},
              {"tables_unchanged", tables_unchanged},
              {"tables_deleted", tables_deleted},
              {"tables_deprecated", tables_deprecated},
              {"partitions_added", partitions_added},
              {"partitions_updated", partitions_updated},
              {"partitions_removed", partitions_removed},
              {"messages", messages}};
}

RunStats RunStats::from_json(const nlohmann::json& j) {
  RunStats s;
  if (!j.is_object()) return s;
  auto get = [&](const char* key, std::int64_t& out) {
    if (j.contains(key) && j.at(key).is_number_integer()) out = j.at(key).get<std::int64_t>();
  };
  get("files_listed", s.files_listed);
  get("files_excluded", s.files_excluded);
  get("files_read", s.files_read);
  get("files_unchanged", s.files_unchanged);
  get("files_removed", s.files_removed);
  get("files_failed", s.files_failed);
  get("bytes_read", s.bytes_read);
  get("folders_listed", s.folders_listed);
  get("tables_created", s.tables_created);
  get("tables_updated", s.tables_updated);
  get("tables_unchanged", s.tables_unchanged);
  get("tables_deleted", s.tables_deleted);
  get("tables_deprecated", s.tables_deprecated);
  get("partitions_added", s.partitions_added);
  get("partitions_updated", s.partitions_updated);
  get("partitions_removed", s.partitions_removed);
  if (j.contains("messages") && j.at("messages").is_array())
    for (const auto& m : j.at("messages"))
      if (m.is_string()) s.messages.push_back(m.get<std::string>());
  return s;
}

std::string file_schema_text(const FileSchema& s, std::uint64_t sampled_bytes) {
  return counts_prefix(s, sampled_bytes) + schema_json(s);
}

FileSchema file_schema_from_text(const std::string& text, std::uint64_t* sampled_bytes) {
  const TextParts parts = split_text(text);
  return with_counts(schema_from_json(text.substr(parts.semi + 1)), text, parts, sampled_bytes);
}

bool StateSchemas::add_row(catalog::CrawlerFile& row) {
  if (!row.path.starts_with(kSchemaRowPrefix)) return false;
  std::string id = row.path.substr(kSchemaRowPrefix.size());
  stored_.insert(id);
  by_id_.try_emplace(std::move(id), Base{std::move(row.schema), nullptr});
  return true;
}

const StateSchemas::Base& StateSchemas::base(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    throw Error(ErrorCode::Unavailable,
                "crawler state names a schema it does not hold (" + id + "); re-crawl with a new crawler");
  if (!it->second.schema)
    it->second.schema = std::make_shared<const FileSchema>(schema_from_json(it->second.json));
  return it->second;
}

std::string StateSchemas::encode(const FileSchema& schema, std::uint64_t sampled_bytes) {
  std::string key = schema_key(schema);
  auto it = id_by_key_.find(key);
  if (it == id_by_key_.end()) {
    std::string body = schema_json(schema);
    std::string id = content_id(body);
    by_id_.try_emplace(id, Base{std::move(body), nullptr});
    it = id_by_key_.emplace(std::move(key), std::move(id)).first;
  }
  referenced_.insert(it->second);
  return counts_prefix(schema, sampled_bytes) + "#" + it->second;
}

std::shared_ptr<const FileSchema> StateSchemas::decode(const std::string& text,
                                                       std::uint64_t* sampled_bytes) {
  const TextParts parts = split_text(text);
  // Files of one schema and record count share one object: the key leaves the sampled bytes out.
  std::string key = text.substr(0, parts.c2 + 1);
  key.append(text, parts.semi, std::string::npos);
  auto it = by_text_.find(key);
  if (it != by_text_.end()) {
    if (sampled_bytes) {
      try {
        *sampled_bytes = std::stoull(text.substr(parts.c2 + 1, parts.semi - parts.c2 - 1));
      } catch (const std::exception&) {
        throw Error(ErrorCode::Unavailable, "crawler state holds an unreadable file schema (bad counts)");
      }
    }
    return it->second;
  }
  std::shared_ptr<const FileSchema> out;
  if (parts.semi + 1 < text.size() && text[parts.semi + 1] == '#') {
    out = std::make_shared<const FileSchema>(
        with_counts(*base(text.substr(parts.semi + 2)).schema, text, parts, sampled_bytes));
  } else {
    out = std::make_shared<const FileSchema>(
        with_counts(schema_from_json(text.substr(parts.semi + 1)), text, parts, sampled_bytes));
  }
  by_text_.emplace(std::move(key), out);
  return out;
}

void StateSchemas::add_schema_rows(std::vector<catalog::CrawlerFile>& rows) const {
  std::unordered_set<std::string_view> added;
  const std::size_t n = rows.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view id = id_of_text(rows[i].schema);
    if (id.empty() || !added.insert(id).second) continue;
    const std::string key(id);
    if (stored_.contains(key)) continue;
    auto it = by_id_.find(key);
    if (it == by_id_.end()) continue;  // cannot happen: encode registers every id it writes
    catalog::CrawlerFile row;
    row.path = std::string(kSchemaRowPrefix) + key;
    row.schema = it->second.json;
    rows.push_back(std::move(row));
  }
}

void StateSchemas::mark_stored(const std::vector<catalog::CrawlerFile>& rows) {
  for (const auto& r : rows)
    if (r.path.starts_with(kSchemaRowPrefix)) stored_.insert(r.path.substr(kSchemaRowPrefix.size()));
}

void StateSchemas::reference(const std::string& text) {
  const std::string_view id = id_of_text(text);
  if (id.empty() || id == last_reference_) return;  // files of one folder mostly name one schema
  last_reference_ = id;
  referenced_.insert(last_reference_);
}

std::vector<std::string> StateSchemas::unreferenced_rows() const {
  std::vector<std::string> out;
  for (const auto& id : stored_)
    if (!referenced_.contains(id)) out.push_back(std::string(kSchemaRowPrefix) + id);
  std::sort(out.begin(), out.end());
  return out;
}

RunResult run_crawl(const CrawlerDefinition& def, RunContext& ctx) {
  RunResult result;
  RunStats& stats = result.stats;
  catalog::Store& store = *ctx.store;
  if (!store.get_database(def.database))
    throw Error(ErrorCode::NotFound, "database '" + def.database + "' does not exist; create it first",
                "database");
  auto stopping = [&] { return ctx.should_stop && ctx.should_stop(); };
  std::int64_t last_progress = 0;
  auto progress = [&](bool force) {
    if (!ctx.progress) return;
    const std::int64_t now = now_ms();
    if (!force && now - last_progress < ctx.progress_interval_ms) return;
    last_progress = now;
    ctx.progress(stats);
  };

  // What earlier runs learnt, by target (one read of the whole state).
  StateSchemas schemas;
  std::vector<std::unordered_map<std::string, catalog::CrawlerFile>> state(def.targets.size());
  for (auto& f : store.load_crawler_files(def.name)) {
    if (schemas.add_row(f)) continue;
    schemas.reference(f.schema);  // stays stored until this run replaces it
    const auto colon = f.path.find(':');
    if (colon == std::string::npos) continue;
    std::size_t index = 0;
    const auto parsed = std::from_chars(f.path.data(), f.path.data() + colon, index);
    if (parsed.ec != std::errc() || parsed.ptr != f.path.data() + colon) continue;
    if (index >= state.size()) continue;  // a target removed from the definition
    std::string rel = f.path.substr(colon + 1);
    state[index].emplace(std::move(rel), std::move(f));
  }

  ClassifyOptions classify_options;
  classify_options.custom = def.classifiers;
  const bool new_folders_only = def.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY";
  const bool event_mode = !ctx.only_folders.empty();
  Applier applier(def, ctx, stats);
  std::set<std::string> keep_locations;
  std::vector<std::string> target_locations;

  for (std::size_t ti = 0; ti < def.targets.size() && !stopping(); ++ti) {
    const CrawlTarget& target = def.targets[ti];
    const GlobSet exclusions = GlobSet::create(target.exclusions);
    auto& known = state[ti];
    target_locations.push_back(location_of(target, ""));

    // 1. List: everything, the reported folders (event mode), or only folders the state does not know.
    std::vector<std::string> roots{""};
    if (event_mode) {
      roots.clear();
      const std::string tag = std::to_string(ti) + ":";
      for (const auto& f : ctx.only_folders)
        if (f.rfind(tag, 0) == 0) roots.push_back(f.substr(tag.size()));
      if (roots.empty()) continue;
    }
    std::set<std::string> known_dirs;
    if (new_folders_only)
      for (const auto& [rel, f] : known) known_dirs.insert(parent_dir(rel));
    Lister lister(target, exclusions, ctx, stats);
    std::vector<Listed> listed = lister.list(roots, new_folders_only ? &known_dirs : nullptr);
    stats.files_listed += static_cast<std::int64_t>(listed.size());
    progress(false);

    // Files of the state inside the listed scope but not listed: removed. Outside the scope (event mode,
    // known folders of CRAWL_NEW_FOLDERS_ONLY): carried over as they are.
    auto in_scope = [&](const std::string& rel) {
      if (new_folders_only && known_dirs.contains(parent_dir(rel))) return false;
      if (!event_mode) return true;
      return std::any_of(roots.begin(), roots.end(),
                         [&](const std::string& r) { return r.empty() || rel.rfind(r + "/", 0) == 0; });
    };
    std::vector<std::string> removed;
    {
      std::unordered_set<std::string_view> listed_names;
      listed_names.reserve(listed.size());
      for (const auto& f : listed) listed_names.insert(f.rel);
      for (const auto& [rel, f] : known)
        if (!listed_names.contains(rel) && in_scope(rel)) removed.push_back(rel);
    }
    stats.files_removed += static_cast<std::int64_t>(removed.size());
    if (new_folders_only || event_mode) {
      for (auto& [rel, f] : known) {
        if (in_scope(rel)) continue;
        Listed carried;
        carried.rel = rel;
        carried.size = f.size;
        carried.mtime = f.mtime;
        carried.etag = f.etag;
        if (!f.schema.empty()) carried.schema = schemas.decode(f.schema, &carried.sampled);
        carried.state = std::move(f.schema);
        listed.push_back(std::move(carried));
      }
    }
    if (!std::is_sorted(listed.begin(), listed.end(),
                        [](const Listed& a, const Listed& b) { return a.rel < b.rel; }))
      std::sort(listed.begin(), listed.end(), [](const Listed& a, const Listed& b) { return a.rel < b.rel; });

    // 2. Decide what to read: new or changed files, at most sample_size per folder.
    std::vector<std::size_t> to_read;
    std::unordered_map<std::string, int> sampled_per_dir;
    std::vector<std::size_t> inherit;  // changed files beyond the folder's sample: take the folder's schema
    for (std::size_t i = 0; i < listed.size(); ++i) {
      Listed& f = listed[i];
      if (!f.state.empty() || !in_scope(f.rel)) continue;  // carried
      auto it = known.find(f.rel);
      const bool same = it != known.end() && it->second.size == f.size &&
                        (target.is_s3() ? it->second.etag == f.etag : it->second.mtime == f.mtime);
      if (same) {
        if (!it->second.schema.empty()) f.schema = schemas.decode(it->second.schema, &f.sampled);
        f.state = std::move(it->second.schema);
        ++stats.files_unchanged;
        continue;
      }
      f.changed = true;
      if (target.sample_size > 0 && ++sampled_per_dir[parent_dir(f.rel)] > target.sample_size) {
        inherit.push_back(i);
      } else {
        to_read.push_back(i);
      }
    }
    classify_files(target, classify_options, listed, to_read, ctx, stats);
    if (stopping()) break;
    if (!inherit.empty()) {
      std::unordered_map<std::string, std::shared_ptr<const FileSchema>> folder_schema;
      for (const auto& f : listed)
        if (f.schema) folder_schema.try_emplace(parent_dir(f.rel), f.schema);
      for (const std::size_t i : inherit) {
        auto it = folder_schema.find(parent_dir(listed[i].rel));
        if (it != folder_schema.end()) listed[i].schema = it->second;
      }
    }
    progress(false);

    // 3. Group into tables and partitions (the files share their schemas with the layout: no copies).
    std::vector<CrawledFile> crawled;
    crawled.reserve(listed.size());
    for (const auto& f : listed) {
      CrawledFile c;
      c.path = f.rel;
      c.size = static_cast<std::uint64_t>(f.size);
      c.sampled_bytes = f.sampled;
      c.shared_schema = f.schema;
      crawled.push_back(std::move(c));
    }
    LayoutOptions layout_options;
    layout_options.combine_compatible_schemas = def.combine_compatible_schemas;
    layout_options.table_level = def.table_level;
    layout_options.table_prefix = def.table_prefix;
    layout_options.root_name = root_name(target);
    LayoutResult plan = plan_layout(std::move(crawled), layout_options);
    for (const auto& rel : plan.unclassified)
      stats.note(rel + ": no classifier recognised the file (UNKNOWN)");
    for (const auto& table : plan.tables) {
      for (const auto& n : table.notes) stats.note("table " + table.name + ": " + n);
      for (const auto& f : table.skipped_files)
        stats.note("table " + table.name + ": left out " + f.path + " (" + f.reason + ")");
    }
    for (const auto& f : plan.skipped) stats.note("left out " + f.path + " (" + f.reason + ")");

    // 4. Apply table by table, each with the state of its files, so a crash leaves both consistent. Tables
    // without changed or removed files are not written (nor, in event runs, even compared).
    std::set<std::string> removed_set(removed.begin(), removed.end());
    auto state_of = [&](const Listed& f) {
      catalog::CrawlerFile c;
      c.path = state_key(ti, f.rel);
      c.size = f.size;
      c.mtime = f.mtime;
      c.etag = f.etag;
      if (f.schema) c.schema = schemas.encode(*f.schema, f.sampled);
      return c;
    };
    auto save = [&](std::vector<catalog::CrawlerFile>& files, const std::vector<std::string>& gone) {
      schemas.add_schema_rows(files);
      store.save_crawler_files(def.name, files, gone);
      schemas.mark_stored(files);
    };
    std::vector<bool> placed(listed.size(), false);
    for (const auto& table : plan.tables) {
      if (stopping()) break;
      const std::string prefix = table.location.empty() ? std::string() : table.location + "/";
      std::vector<catalog::CrawlerFile> files;
      std::vector<std::string> gone;
      std::set<std::string> changed_dirs;
      bool changed = false;
      // The table's files are those under its location (layout plans disjoint table roots).
      auto lo = std::lower_bound(listed.begin(), listed.end(), prefix,
                                 [](const Listed& f, const std::string& p) { return f.rel < p; });
      for (auto it = lo; it != listed.end() && it->rel.compare(0, prefix.size(), prefix) == 0; ++it) {
        if (it->changed) {
          changed = true;
          files.push_back(state_of(*it));
          std::string dir = parent_dir(it->rel);
          if (changed_dirs.empty() || *changed_dirs.rbegin() != dir) changed_dirs.insert(std::move(dir));
        }
        placed[static_cast<std::size_t>(it - listed.begin())] = true;
      }
      for (auto it = removed_set.lower_bound(prefix); it != removed_set.end() && it->rfind(prefix, 0) == 0;) {
        gone.push_back(state_key(ti, *it));
        changed = true;
        it = removed_set.erase(it);
      }
      keep_locations.insert(location_of(target, table.location));
      if (event_mode && !changed) continue;
      // Partitions of folders without changed files stay as stored when nothing was removed or left out.
      const bool only_changed_dirs = gone.empty() && table.skipped_files.empty();
      try {
        schemas.add_schema_rows(files);
        const std::string written =
            applier.apply(table, target, changed, only_changed_dirs ? &changed_dirs : nullptr, files, gone);
        schemas.mark_stored(files);
        if (!written.empty() && ctx.table_written) {
          // What follows a table's write (PII classification) never fails the crawl: the table is written.
          try {
            ctx.table_written(def.database, written);
          } catch (const std::exception& e) {
            stats.note("table " + written + ": " + e.what());
          }
        }
      } catch (const Error& e) {
        if (e.code() == ErrorCode::Unavailable) throw;
        stats.note("table " + table.name + ": " + e.what());
      }
      progress(false);
    }
    // State of files that belong to no table (unclassified files, files of tables that failed) and removals
    // outside every table.
    std::vector<catalog::CrawlerFile> rest;
    for (std::size_t i = 0; i < listed.size(); ++i)
      if (listed[i].changed && !placed[i]) rest.push_back(state_of(listed[i]));
    std::vector<std::string> rest_removed;
    for (const auto& rel : removed_set) rest_removed.push_back(state_key(ti, rel));
    if (!stopping()) save(rest, rest_removed);
  }
  // Schema rows no file names any more.
  if (!stopping()) {
    const std::vector<std::string> unused = schemas.unreferenced_rows();
    if (!unused.empty()) store.save_crawler_files(def.name, {}, unused);
  }
  if (!stopping() && !event_mode && !new_folders_only) applier.retire(keep_locations, target_locations);
  result.stopped = stopping();
  progress(true);
  return result;
}

}  // namespace cairn::crawler
