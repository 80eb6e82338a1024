#include "cairn/crawler/runner.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "cairn/catalog/error.h"
#include "cairn/catalog/model_json.h"
#include "cairn/crawler/classify.h"
#include "cairn/crawler/glob.h"
#include "cairn/crawler/layout.h"

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
  std::optional<FileSchema> schema;
  std::uint64_t sampled = 0;  ///< bytes the classifier read (record counts of samples scale by it)
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
    const fs::path dir = rel_dir.empty() ? fs::path(base) : fs::path(base) / rel_dir;
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      if (rel_dir.empty())
        throw Error(ErrorCode::NotFound, "cannot list " + dir.string() + ": " + ec.message(), "targets");
      stats_.note("cannot list " + dir.string() + ": " + ec.message());
      return;
    }
    ++stats_.folders_listed;
    std::vector<std::string> subdirs;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const fs::directory_entry& entry = *it;
      const std::string name = entry.path().filename().string();
      const std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      struct stat st {};
      if (::lstat(entry.path().c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        subdirs.push_back(rel);  // symbolic links to folders are not followed (no cycles)
      } else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
        if (S_ISLNK(st.st_mode) && (::stat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode))) continue;
        if (!keep(rel)) continue;
        Listed f;
        f.rel = rel;
        f.size = static_cast<std::int64_t>(st.st_size);
        f.mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
        out.push_back(std::move(f));
      }
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
        f.schema = classify_file(*source, options);
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
catalog::Table table_of(const PlannedTable& planned, const CrawlTarget& target, const std::string& crawler) {
  catalog::Table t;
  t.name = planned.name;
  t.table_type = "EXTERNAL_TABLE";
  t.owner = "crawler:" + crawler;
  t.parameters = planned.parameters;
  t.parameters[kCrawlerParameter] = crawler;
  t.parameters.erase(kDeprecatedParameter);
  t.partition_keys = planned.partition_keys;
  auto& sd = t.storage_descriptor;
  sd.columns = planned.columns;
  sd.location = location_of(target, planned.location);
  sd.input_format = planned.format.input_format;
  sd.output_format = planned.format.output_format;
  sd.compressed = planned.format.compression != "none";
  sd.serde_info.serialization_library = planned.format.serialization_library;
  sd.serde_info.parameters = planned.format.serde_parameters;
  sd.parameters = planned.parameters;
  return t;
}

catalog::Partition partition_of(const PlannedPartition& planned, const CrawlTarget& target) {
  catalog::Partition p;
  p.values = planned.values;
  p.parameters = planned.parameters;
  auto& sd = p.storage_descriptor;
  sd.columns = planned.columns;
  sd.location = location_of(target, planned.location);
  sd.input_format = planned.format.input_format;
  sd.output_format = planned.format.output_format;
  sd.compressed = planned.format.compression != "none";
  sd.serde_info.serialization_library = planned.format.serialization_library;
  sd.serde_info.parameters = planned.format.serde_parameters;
  sd.parameters = planned.parameters;
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
  void apply(const PlannedTable& planned, const CrawlTarget& target, bool changed,
             const std::vector<catalog::CrawlerFile>& state_files,
             const std::vector<std::string>& state_removed) {
    catalog::Store& store = *ctx_.store;
    catalog::Table table = table_of(planned, target, def_.name);
    if (!changed) {
      ++stats_.tables_unchanged;
      store.save_crawler_files(def_.name, state_files, state_removed);
      return;
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
      apply_partitions(planned, target, table.name, existing.has_value(), delta, audit_actions);
      store.save_crawler_files(def_.name, state_files, state_removed);
      pending_ = delta;
    });
    merge(pending_);
    for (const auto& action : audit_actions) audit(action, "table/" + def_.database + "/" + table.name, "");
    placed_.insert(table.name);
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
                        bool table_existed, RunStats& delta, std::vector<std::string>& audit_actions) {
    catalog::Store& store = *ctx_.store;
    std::unordered_map<std::string, catalog::Partition> existing;
    if (table_existed)
      for (auto& p : all_partitions(store, def_.database, table_name))
        existing.emplace(values_key(p.values), std::move(p));
    std::vector<catalog::Partition> to_create;
    std::vector<std::pair<std::vector<std::string>, catalog::Partition>> to_update;
    std::unordered_set<std::string> planned_keys;
    for (const auto& pp : planned.partitions) {
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
      if (!planned_keys.contains(key)) to_delete.push_back(p.values);
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

// State text: "<records or ->,<exact 0|1>,<sampled bytes>;<schema JSON>". The per-file numbers come first so
// that files of one schema share the JSON part, which a run decodes once (SchemaDecoder).
std::string file_schema_text(const FileSchema& s, std::uint64_t sampled_bytes) {
  json cols = json::array();
  for (const auto& c : s.columns) cols.push_back(catalog::to_json(c));
  const json j{{"c", s.classification},    {"cols", std::move(cols)},
               {"z", s.compression},       {"serde", s.serialization_library},
               {"in", s.input_format},     {"out", s.output_format},
               {"sp", s.serde_parameters}, {"p", s.parameters},
               {"cert", s.certainty}};
  return (s.record_count ? std::to_string(*s.record_count) : std::string("-")) + "," +
         (s.record_count_exact ? "1" : "0") + "," + std::to_string(sampled_bytes) + ";" + j.dump();
}

FileSchema SchemaDecoder::decode(const std::string& text, std::uint64_t* sampled_bytes) {
  const auto semi = text.find(';');
  const auto c1 = text.find(',');
  const auto c2 = c1 == std::string::npos ? c1 : text.find(',', c1 + 1);
  if (semi == std::string::npos || c2 == std::string::npos || c2 > semi)
    throw Error(ErrorCode::Unavailable,
                "crawler state holds an unreadable file schema (re-crawl with a new crawler)");
  const std::string body = text.substr(semi + 1);
  auto it = cache_.find(body);
  if (it == cache_.end()) {
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
      it = cache_.emplace(body, std::move(s)).first;
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(ErrorCode::Unavailable,
                  std::string("crawler state holds an unreadable file schema: ") + e.what());
    }
  }
  FileSchema out = it->second;
  const std::string records = text.substr(0, c1);
  try {
    if (records != "-") out.record_count = std::stoll(records);
    out.record_count_exact = text.compare(c1 + 1, c2 - c1 - 1, "1") == 0;
    if (sampled_bytes) *sampled_bytes = std::stoull(text.substr(c2 + 1, semi - c2 - 1));
  } catch (const std::exception&) {
    throw Error(ErrorCode::Unavailable, "crawler state holds an unreadable file schema (bad counts)");
  }
  return out;
}

FileSchema file_schema_from_text(const std::string& text, std::uint64_t* sampled_bytes) {
  SchemaDecoder decoder;
  return decoder.decode(text, sampled_bytes);
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

  // What earlier runs learnt, by target.
  std::vector<std::map<std::string, catalog::CrawlerFile>> state(def.targets.size());
  for (auto& f : store.load_crawler_files(def.name)) {
    const auto colon = f.path.find(':');
    if (colon == std::string::npos) continue;
    std::size_t index = 0;
    try {
      index = static_cast<std::size_t>(std::stoul(f.path.substr(0, colon)));
    } catch (const std::exception&) {
      continue;
    }
    if (index >= state.size()) continue;  // a target removed from the definition
    state[index].emplace(f.path.substr(colon + 1), std::move(f));
  }

  SchemaDecoder decoder;
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
    std::unordered_set<std::string> listed_names;
    for (const auto& f : listed) listed_names.insert(f.rel);
    std::vector<std::string> removed;
    for (const auto& [rel, f] : known)
      if (in_scope(rel) && !listed_names.contains(rel)) removed.push_back(rel);
    stats.files_removed += static_cast<std::int64_t>(removed.size());
    for (const auto& [rel, f] : known) {
      if (in_scope(rel)) continue;
      Listed carried;
      carried.rel = rel;
      carried.size = f.size;
      carried.mtime = f.mtime;
      carried.etag = f.etag;
      if (!f.schema.empty()) carried.schema = decoder.decode(f.schema, &carried.sampled);
      listed.push_back(std::move(carried));
    }
    std::sort(listed.begin(), listed.end(), [](const Listed& a, const Listed& b) { return a.rel < b.rel; });

    // 2. Decide what to read: new or changed files, at most sample_size per folder.
    std::vector<std::size_t> to_read;
    std::map<std::string, int> sampled_per_dir;
    std::vector<std::size_t> inherit;  // changed files beyond the folder's sample: take the folder's schema
    for (std::size_t i = 0; i < listed.size(); ++i) {
      Listed& f = listed[i];
      if (!in_scope(f.rel)) continue;
      auto it = known.find(f.rel);
      const bool same = it != known.end() && it->second.size == f.size &&
                        (target.is_s3() ? it->second.etag == f.etag : it->second.mtime == f.mtime);
      if (same) {
        if (!it->second.schema.empty()) f.schema = decoder.decode(it->second.schema, &f.sampled);
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
      std::map<std::string, const FileSchema*> folder_schema;
      for (const auto& f : listed)
        if (f.schema && !folder_schema.contains(parent_dir(f.rel)))
          folder_schema[parent_dir(f.rel)] = &*f.schema;
      for (const std::size_t i : inherit) {
        auto it = folder_schema.find(parent_dir(listed[i].rel));
        if (it != folder_schema.end()) listed[i].schema = *it->second;
      }
    }
    progress(false);

    // 3. Group into tables and partitions.
    std::vector<CrawledFile> crawled;
    crawled.reserve(listed.size());
    std::unordered_map<std::string, std::size_t> by_rel;
    for (std::size_t i = 0; i < listed.size(); ++i) {
      by_rel.emplace(listed[i].rel, i);
      crawled.push_back(CrawledFile{listed[i].rel, static_cast<std::uint64_t>(listed[i].size),
                                    listed[i].schema, listed[i].sampled});
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

    // 4. Apply table by table, each with the state of its files, so a crash leaves both consistent.
    std::set<std::string> removed_set(removed.begin(), removed.end());
    auto state_of = [&](const Listed& f) {
      catalog::CrawlerFile c;
      c.path = state_key(ti, f.rel);
      c.size = f.size;
      c.mtime = f.mtime;
      c.etag = f.etag;
      if (f.schema) c.schema = file_schema_text(*f.schema, f.sampled);
      return c;
    };
    std::set<std::string> placed_files;
    for (const auto& table : plan.tables) {
      if (stopping()) break;
      const std::string prefix = table.location.empty() ? std::string() : table.location + "/";
      std::vector<catalog::CrawlerFile> files;
      std::vector<std::string> gone;
      bool changed = false;
      // The table's files are those under its location (layout plans disjoint table roots).
      auto lo = std::lower_bound(listed.begin(), listed.end(), prefix,
                                 [](const Listed& f, const std::string& p) { return f.rel < p; });
      for (auto it = lo; it != listed.end() && it->rel.compare(0, prefix.size(), prefix) == 0; ++it) {
        if (it->changed) {
          changed = true;
          files.push_back(state_of(*it));
        }
        placed_files.insert(it->rel);
      }
      for (auto it = removed_set.lower_bound(prefix); it != removed_set.end() && it->rfind(prefix, 0) == 0;) {
        gone.push_back(state_key(ti, *it));
        changed = true;
        it = removed_set.erase(it);
      }
      keep_locations.insert(location_of(target, table.location));
      if (event_mode && !changed) continue;
      try {
        applier.apply(table, target, changed, files, gone);
      } catch (const Error& e) {
        if (e.code() == ErrorCode::Unavailable) throw;
        stats.note("table " + table.name + ": " + e.what());
      }
      progress(false);
    }
    // State of files that belong to no table (unclassified files, files of tables that failed) and removals
    // outside every table.
    std::vector<catalog::CrawlerFile> rest;
    for (const auto& f : listed)
      if (f.changed && !placed_files.contains(f.rel)) rest.push_back(state_of(f));
    std::vector<std::string> rest_removed;
    for (const auto& rel : removed_set) rest_removed.push_back(state_key(ti, rel));
    if (!stopping()) store.save_crawler_files(def.name, rest, rest_removed);
  }
  if (!stopping() && !event_mode && !new_folders_only) applier.retire(keep_locations, target_locations);
  result.stopped = stopping();
  progress(true);
  return result;
}

}  // namespace cairn::crawler
