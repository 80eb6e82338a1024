#include "cairn/crawler/runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
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
  std::string state;          ///< the state text (as stored when unchanged; "" when unclassifiable)
  bool read = false;          ///< to be read in this run
  bool changed = false;       ///< new or changed since the last run
  bool inherit = false;       ///< changed beyond the folder's sample: takes the folder's schema
};

std::string parent_dir(const std::string& rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

std::string_view parent_view(std::string_view rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : rel.substr(0, slash);
}

std::string_view base_name(std::string_view rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

std::string join_path(const std::string& dir, std::string_view name) {
  std::string out = dir;
  if (!out.empty()) out += '/';
  out += name;
  return out;
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
      list_local(roots, known_dirs, out);
    }
    return out;
  }

 private:
  /// False (counted in `counts`) when an exclusion names `rel`.
  bool keep(const std::string& rel, RunStats& counts) const {
    if (exclusions_.excluded(rel)) {
      ++counts.files_excluded;
      return false;
    }
    return true;
  }

  /// Lists `roots` and every folder below them on up to ctx.threads threads (folders are independent; the
  /// listing is mostly readdir and fstatat, which run in parallel in the kernel). Each folder's files are
  /// appended together in name order, folders in path order.
  void list_local(const std::vector<std::string>& roots, const std::set<std::string>* known_dirs,
                  std::vector<Listed>& out) {
    std::string base = target_.local_dir();
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    struct Folder {
      std::string rel;
      std::vector<Listed> files;
    };
    std::vector<Folder> done;
    std::vector<std::string> queue;
    std::mutex mutex;
    std::condition_variable wake;
    int busy = 0;
    std::optional<Error> failure;
    // One folder: its files go to `folder`, its sub-folders to `subdirs`; counts to the caller's.
    auto read_one = [&](const std::string& rel_dir, Folder& folder, std::vector<std::string>& subdirs,
                        RunStats& counts) {
      if (!rel_dir.empty() && exclusions_.prunes_directory(rel_dir)) return;
      if (known_dirs && known_dirs->contains(rel_dir)) return;
      const std::string dir = rel_dir.empty() ? base : base + "/" + rel_dir;
      std::vector<detail::LocalEntry> entries;
      if (const int err = detail::read_local_folder(dir, entries); err != 0) {
        if (err == EACCES) {  // folders we may not read are skipped, as before
          ++counts.folders_listed;
          return;
        }
        const std::string message = std::error_code(err, std::generic_category()).message();
        if (rel_dir.empty())
          throw Error(ErrorCode::NotFound, "cannot list " + dir + ": " + message, "targets");
        counts.note("cannot list " + dir + ": " + message);
        return;
      }
      ++counts.folders_listed;
      folder.rel = rel_dir;
      const std::string rel_prefix = rel_dir.empty() ? std::string() : rel_dir + "/";
      for (auto& e : entries) {
        std::string rel = rel_prefix + e.name;
        if (e.folder) {
          subdirs.push_back(std::move(rel));
          continue;
        }
        if (!keep(rel, counts)) continue;
        Listed f;
        f.rel = std::move(rel);
        f.size = static_cast<std::int64_t>(e.size);
        f.mtime = e.mtime_ms;
        folder.files.push_back(std::move(f));
      }
      std::sort(folder.files.begin(), folder.files.end(),
                [](const Listed& a, const Listed& b) { return a.rel < b.rel; });
    };
    auto work = [&] {
      RunStats counts;
      std::unique_lock lock(mutex);
      while (true) {
        wake.wait(lock, [&] { return !queue.empty() || busy == 0 || failure; });
        if (queue.empty() || failure) break;
        const std::string rel_dir = std::move(queue.back());
        queue.pop_back();
        ++busy;
        lock.unlock();
        Folder folder;
        std::vector<std::string> subdirs;
        try {
          read_one(rel_dir, folder, subdirs, counts);
        } catch (const Error& e) {
          lock.lock();
          if (!failure) failure = e;
          --busy;
          wake.notify_all();
          break;
        }
        lock.lock();
        --busy;
        if (!folder.files.empty()) done.push_back(std::move(folder));
        queue.insert(queue.end(), std::make_move_iterator(subdirs.begin()),
                     std::make_move_iterator(subdirs.end()));
        wake.notify_all();
      }
      if (!lock.owns_lock()) lock.lock();
      stats_.folders_listed += counts.folders_listed;
      stats_.files_excluded += counts.files_excluded;
      for (auto& m : counts.messages) stats_.note(std::move(m));
    };
    queue = roots;
    int threads = ctx_.threads > 0 ? ctx_.threads : static_cast<int>(std::thread::hardware_concurrency());
    threads = std::clamp(threads, 1, 8);
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (failure) throw *failure;
    std::sort(done.begin(), done.end(), [](const Folder& a, const Folder& b) { return a.rel < b.rel; });
    std::size_t total = out.size();
    for (const auto& f : done) total += f.files.size();
    out.reserve(total);
    for (auto& f : done) std::move(f.files.begin(), f.files.end(), std::back_inserter(out));
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
    if (!keep(rel, stats_)) return;
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
void classify_files(const CrawlTarget& target, const ClassifyOptions& options,
                    const std::vector<Listed*>& files, StateSchemas& schemas, RunContext& ctx,
                    RunStats& stats) {
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
    // The folder of the last local file, kept open: files are opened relative to it (files come folder by
    // folder, so each thread opens each folder about once).
    std::string folder = "\n";  // no folder's name
    int folder_fd = -1;
    const std::unique_ptr<int, void (*)(int*)> closer(&folder_fd, [](int* fd) {
      if (*fd >= 0) ::close(*fd);
    });
    while (!stop.load(std::memory_order_relaxed)) {
      const std::size_t i = next.fetch_add(1);
      if (i >= files.size()) return;
      Listed& f = *files[i];
      std::unique_ptr<ByteSource> source;
      try {
        if (client) {
          source =
              client->open_object(loc.bucket, prefix + f.rel, static_cast<std::uint64_t>(f.size), f.etag);
        } else {
          const std::string_view dir = parent_view(f.rel);
          if (dir != folder) {
            if (folder_fd >= 0) ::close(folder_fd);
            folder = dir;
            const std::string path = dir.empty() ? base : base + "/" + folder;
            folder_fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // -1: by whole path
          }
          source = open_local_file(base + "/" + f.rel, static_cast<std::uint64_t>(f.size), folder_fd);
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
      // The file's state text, here on the readers' threads rather than afterwards on one; the schema is
      // then the one object all files of that text share (as for files unchanged since the last run).
      if (f.schema) {
        f.state = schemas.encode(*f.schema, f.sampled);
        f.schema = schemas.decode(f.state);
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
  for (const Listed* f : files)
    if (f->read) ++stats.files_read;
  std::sort(messages.begin(), messages.end());
  for (auto& m : messages) stats.note(std::move(m));
}

/// The catalog table a planned table becomes.
/// The storage descriptor of a planned table or partition: its columns, location, format and parameters.
/// (Moved from when `planned` is an rvalue.)
template <class Planned>
catalog::StorageDescriptor storage_of(Planned&& planned, const CrawlTarget& target) {
  catalog::StorageDescriptor sd;
  sd.columns = std::forward<Planned>(planned).columns;
  sd.location = location_of(target, planned.location);
  sd.input_format = std::forward<Planned>(planned).format.input_format;
  sd.output_format = std::forward<Planned>(planned).format.output_format;
  sd.compressed = planned.format.compression != "none";
  sd.serde_info.serialization_library = std::forward<Planned>(planned).format.serialization_library;
  sd.serde_info.parameters = std::forward<Planned>(planned).format.serde_parameters;
  sd.parameters = std::forward<Planned>(planned).parameters;
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

/// The catalog partition a planned partition becomes (one planned with share_partition_schemas is completed
/// here, so only the partitions a run writes or compares are).
catalog::Partition partition_of(PlannedPartition planned, const CrawlTarget& target) {
  complete_partition(planned);
  catalog::Partition p;
  p.values = std::move(planned.values);
  p.parameters = planned.parameters;
  p.storage_descriptor = storage_of(std::move(planned), target);
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

// ---- Folder rows -------------------------------------------------------------------------------------

/// Files of one folder that the layout takes as one entry: one schema id ("" = unclassified) and one kind
/// of name (data, or skipped by name), in the order of their first file.
struct Group {
  std::string id;
  std::uint64_t bytes = 0;
  std::int64_t records = 0;  ///< file_records() summed over the files
  bool exact = true;         ///< every record count exact (or absent)
  std::vector<std::string> names;
};

/// A folder row's text: per group "<id|->,<bytes>,<records>,<exact 0|1>,<files>;" then each name as
/// "<length>:<name>" (names may hold any byte).
std::string summary_text(const std::vector<Group>& groups) {
  std::string out;
  for (const Group& g : groups) {
    out += g.id.empty() ? "-" : g.id;
    out += ',';
    out += std::to_string(g.bytes);
    out += ',';
    out += std::to_string(g.records);
    out += g.exact ? ",1," : ",0,";
    out += std::to_string(g.names.size());
    out += ';';
    for (const std::string& n : g.names) {
      out += std::to_string(n.size());
      out += ':';
      out += n;
    }
  }
  return out;
}

[[noreturn]] void corrupt_folder_row() {
  throw Error(ErrorCode::Unavailable,
              "crawler state holds an unreadable folder row (re-crawl with a new crawler)");
}

template <class Int>
Int read_number(std::string_view text, std::size_t& pos, char end) {
  Int value{};
  const auto r = std::from_chars(text.data() + pos, text.data() + text.size(), value);
  if (r.ec != std::errc() || r.ptr == text.data() + text.size() || *r.ptr != end) corrupt_folder_row();
  pos = static_cast<std::size_t>(r.ptr - text.data()) + 1;
  return value;
}

/// `names` false: the groups without their names (what add_schema_rows needs).
std::vector<Group> parse_summary(std::string_view text, bool names = true) {
  std::vector<Group> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    Group g;
    const auto comma = text.find(',', pos);
    if (comma == std::string_view::npos) corrupt_folder_row();
    if (text.substr(pos, comma - pos) != "-") g.id = std::string(text.substr(pos, comma - pos));
    pos = comma + 1;
    g.bytes = read_number<std::uint64_t>(text, pos, ',');
    g.records = read_number<std::int64_t>(text, pos, ',');
    g.exact = read_number<int>(text, pos, ',') != 0;
    const auto count = read_number<std::size_t>(text, pos, ';');
    if (count == 0 || count > text.size()) corrupt_folder_row();
    if (names) g.names.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      const auto length = read_number<std::size_t>(text, pos, ':');
      if (length > text.size() - pos) corrupt_folder_row();
      if (names) g.names.emplace_back(text.substr(pos, length));
      pos += length;
    }
    out.push_back(std::move(g));
  }
  return out;
}

/// "<target index>:<rel>" → the index (below `targets`) and rel; nullopt for another form or target.
std::optional<std::size_t> target_of(std::string_view key, std::size_t targets, std::string& rel) {
  const auto colon = key.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::size_t index = 0;
  const auto parsed = std::from_chars(key.data(), key.data() + colon, index);
  if (parsed.ec != std::errc() || parsed.ptr != key.data() + colon || index >= targets) return std::nullopt;
  rel = std::string(key.substr(colon + 1));
  return index;
}

void append_number(std::string& out, std::int64_t n, char end) {
  char num[24];
  const auto r = std::to_chars(num, num + sizeof num, n);
  out.append(num, r.ptr);
  out += end;
}

std::string_view read_sized(std::string_view text, std::size_t& pos) {
  const auto length = read_number<std::size_t>(text, pos, ':');
  if (length > text.size() - pos) corrupt_folder_row();
  const std::string_view out = text.substr(pos, length);
  pos += length;
  return out;
}

/// A files row's text (runner.h, kFilesRowPrefix) for a folder's files in name order.
std::string files_text(const std::vector<Listed>& files) {
  std::string out;
  out.reserve(files.size() * 64);
  for (const Listed& f : files) {
    key_part(out, base_name(f.rel));
    append_number(out, f.size, ',');
    append_number(out, f.mtime, ',');
    key_part(out, f.etag);
    key_part(out, f.state);
  }
  return out;
}

/// Calls fn(name, row) for each file of a files row; the row's path is "<target index>:<path>" when
/// `dir_key` is the row's "<target index>:<folder>".
template <class Fn>
void for_each_file_of_row(const catalog::CrawlerFile& row, std::string_view dir_key, Fn&& fn) {
  const std::string_view text = row.schema;
  std::size_t pos = 0;
  while (pos < text.size()) {
    catalog::CrawlerFile f;
    const std::string_view name = read_sized(text, pos);
    f.size = read_number<std::int64_t>(text, pos, ',');
    f.mtime = read_number<std::int64_t>(text, pos, ',');
    f.etag = std::string(read_sized(text, pos));
    f.schema = std::string(read_sized(text, pos));
    f.path.reserve(dir_key.size() + 1 + name.size());
    f.path = dir_key;
    if (dir_key.find(':') + 1 != dir_key.size()) f.path += '/';  // "<target>:" alone: the target root
    f.path += name;
    fn(name, std::move(f));
  }
}

/// What the state holds about one folder of a target.
struct KnownFolder {
  bool has_row = false;       ///< it has a folder row
  bool row_trusted = false;   ///< the row stands for its files (the state has kFolderStateRow)
  bool files_in_row = false;  ///< its files' state is in its files row (else one row per file)
  std::string fingerprint;    ///< the row's
  std::vector<Group> groups;  ///< the row's
  std::unordered_map<std::string, catalog::CrawlerFile> files;  ///< file rows by name, once read
  bool files_loaded = false;                                    ///< `files` holds every file row

  /// The names of its files.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    if (files_loaded) {
      out.reserve(files.size());
      for (const auto& [name, f] : files) out.push_back(name);
      return out;
    }
    for (const Group& g : groups) out.insert(out.end(), g.names.begin(), g.names.end());
    return out;
  }
};

/// Takes a state row of files — a files row, or a per-file row of earlier runs — into `known` (per target,
/// folders by path); the schemas its files name stay stored. Files of targets no longer defined are left out.
void take_file_rows(catalog::CrawlerFile& row, std::vector<std::map<std::string, KnownFolder>>& known,
                    StateSchemas& schemas) {
  std::string rel;
  if (row.path.starts_with(kFilesRowPrefix)) {
    const std::string_view dir_key = std::string_view(row.path).substr(kFilesRowPrefix.size());
    const auto index = target_of(dir_key, known.size(), rel);
    if (!index) return;
    KnownFolder& k = known[*index][rel];
    k.files_in_row = true;
    for_each_file_of_row(row, dir_key, [&](std::string_view name, catalog::CrawlerFile file) {
      schemas.reference(file.schema);
      k.files.emplace(std::string(name), std::move(file));
    });
    return;
  }
  schemas.reference(row.schema);
  const auto index = target_of(row.path, known.size(), rel);
  if (!index) return;
  known[*index][parent_dir(rel)].files.emplace(std::string(base_name(rel)), std::move(row));
}

/// One folder of a target in this run.
struct FolderWork {
  std::vector<Listed> files;  ///< listed (or carried from file rows), in name order
  KnownFolder* known = nullptr;
  std::string fingerprint;           ///< of the listing
  std::vector<Group> groups;         ///< its files for the layout and its folder row
  std::vector<std::string> removed;  ///< names of files gone
  bool listed = false;
  bool in_scope = true;        ///< compared with the state (else carried as it is)
  bool from_row = false;       ///< its layout entries are its row's groups: unchanged or carried
  bool changed = false;        ///< files new, changed or removed
  bool files_changed = false;  ///< files new or changed
  bool dirty = false;          ///< its folder row is written (or deleted when no file is left)
  bool placed = false;         ///< its state went with a table's write
};

const std::string& rel_of(const Listed& f) {
  return f.rel;
}
const std::string& rel_of(const std::string& rel) {
  return rel;
}

/// 32 hex digits from a folder's listing (name order): names, sizes and mtimes (local) or ETags (S3), what
/// decides whether a file changed.
std::string listing_fingerprint(const std::vector<Listed>& files, bool s3) {
  std::string buf;
  buf.reserve(files.size() * 40);
  char num[24];
  for (const Listed& f : files) {
    key_part(buf, base_name(f.rel));
    auto r = std::to_chars(num, num + sizeof num, f.size);
    buf.append(num, r.ptr);
    buf += ',';
    if (s3) {
      key_part(buf, f.etag);
    } else {
      r = std::to_chars(num, num + sizeof num, f.mtime);
      buf.append(num, r.ptr);
    }
    buf += ';';
  }
  return content_id(buf);
}

/// A folder's files grouped by schema id and kind of name, in name order; sets the state text of every
/// classified file (encoding those read now).
std::vector<Group> groups_of(std::vector<Listed>& files, StateSchemas& schemas) {
  std::vector<Group> out;
  std::unordered_map<std::string, std::size_t> index;
  std::string last_key;
  std::size_t last = 0;
  for (Listed& f : files) {
    std::string key;
    if (f.schema) {
      if (f.changed && !f.read) f.state = schemas.encode(*f.schema, f.sampled);  // read: encoded
      const std::string_view named = id_of_text(f.state);
      key = named.empty() ? schemas.id_of(*f.schema) : std::string(named);
    }
    const std::string_view name = base_name(f.rel);
    key += skipped_name_reason(name).empty() ? '+' : '-';
    if (out.empty() || key != last_key) {
      auto [it, inserted] = index.try_emplace(key, out.size());
      if (inserted) {
        Group g;
        g.id = key.substr(0, key.size() - 1);
        out.push_back(std::move(g));
      }
      last = it->second;
      last_key = std::move(key);
    }
    Group& g = out[last];
    g.names.emplace_back(name);
    g.bytes += static_cast<std::uint64_t>(f.size);
    if (f.schema) {
      g.records += file_records(*f.schema, static_cast<std::uint64_t>(f.size), f.sampled);
      g.exact = g.exact && (f.schema->record_count_exact || !f.schema->record_count);
    }
  }
  return out;
}

/// The layout's entry for a group of the folder `dir`.
CrawledFile entry_of(const std::string& dir, Group g, StateSchemas& schemas) {
  CrawledFile c;
  c.path = join_path(dir, g.names.front());
  c.size = g.bytes;
  if (!g.id.empty()) c.shared_schema = schemas.schema_of_id(g.id);
  g.names.erase(g.names.begin());
  c.more_names = std::move(g.names);
  c.group_records = g.records;
  c.group_counts_exact = g.exact;
  return c;
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

std::vector<catalog::CrawlerFile> files_of_row(const catalog::CrawlerFile& files_row) {
  if (!files_row.path.starts_with(kFilesRowPrefix)) corrupt_folder_row();
  std::vector<catalog::CrawlerFile> out;
  const std::string_view dir_key = std::string_view(files_row.path).substr(kFilesRowPrefix.size());
  for_each_file_of_row(files_row, dir_key,
                       [&](std::string_view, catalog::CrawlerFile f) { out.push_back(std::move(f)); });
  return out;
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
  std::string text = counts_prefix(schema, sampled_bytes) + "#";
  std::string key = schema_key(schema);  // the costly part, outside the lock
  const std::lock_guard lock(mutex_);
  return text + id_locked(std::move(key), schema);
}

std::shared_ptr<const FileSchema> StateSchemas::decode(const std::string& text,
                                                       std::uint64_t* sampled_bytes) {
  const TextParts parts = split_text(text);
  const std::lock_guard lock(mutex_);
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
  std::unordered_set<std::string> added;
  std::vector<catalog::CrawlerFile> schema_rows;
  auto add = [&](std::string_view id) {
    if (id.empty()) return;
    std::string key(id);
    if (stored_.contains(key) || added.contains(key)) return;
    auto it = by_id_.find(key);
    if (it == by_id_.end()) return;  // cannot happen: encode and id_of register every id they give
    catalog::CrawlerFile row;
    row.path = std::string(kSchemaRowPrefix) + key;
    row.schema = it->second.json;
    schema_rows.push_back(std::move(row));
    added.insert(std::move(key));
  };
  for (const auto& row : rows) {
    if (row.path.starts_with(kFolderRowPrefix)) {
      for (const Group& g : parse_summary(row.schema, false)) add(g.id);
    } else if (row.path.starts_with(kFilesRowPrefix)) {
      continue;  // written with its folder's row, whose groups name the same schemas
    } else {
      add(id_of_text(row.schema));
    }
  }
  for (auto& row : schema_rows) rows.push_back(std::move(row));
}

std::string StateSchemas::id_of(const FileSchema& schema) {
  std::string key = schema_key(schema);
  const std::lock_guard lock(mutex_);
  return id_locked(std::move(key), schema);
}

const std::string& StateSchemas::id_locked(std::string key, const FileSchema& schema) {
  auto it = id_by_key_.find(key);
  if (it == id_by_key_.end()) {
    std::string body = schema_json(schema);
    std::string id = content_id(body);
    by_id_.try_emplace(id, Base{std::move(body), nullptr});
    it = id_by_key_.emplace(std::move(key), std::move(id)).first;
  }
  referenced_.insert(it->second);
  return it->second;
}

std::shared_ptr<const FileSchema> StateSchemas::schema_of_id(const std::string& id) {
  return base(id).schema;
}

void StateSchemas::reference_id(const std::string& id) {
  if (!id.empty()) referenced_.insert(id);
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

  // What earlier runs learnt. State with kFolderStateRow: the schema and folder rows only; the file rows of
  // a folder are read when its listing differs from its row. Older state (or none): every row.
  StateSchemas schemas;
  std::vector<std::map<std::string, KnownFolder>> known(def.targets.size());
  bool folder_state = false;
  std::vector<catalog::CrawlerFile> meta = store.load_crawler_files_with_prefix(def.name, "#");
  for (const auto& f : meta)
    if (f.path == kFolderStateRow) folder_state = true;
  for (auto& f : meta) {
    if (schemas.add_row(f)) continue;
    if (!f.path.starts_with(kFolderRowPrefix)) continue;
    std::vector<Group> groups = parse_summary(f.schema);
    for (const Group& g : groups) schemas.reference_id(g.id);  // stays stored until this run replaces it
    std::string dir;
    const auto index = target_of(std::string_view(f.path).substr(kFolderRowPrefix.size()), known.size(), dir);
    if (!index) continue;  // a target removed from the definition
    KnownFolder& k = known[*index][dir];
    k.has_row = true;
    k.row_trusted = folder_state;
    k.files_in_row = f.mtime == kFolderRowWithFilesRow;
    k.fingerprint = std::move(f.etag);
    k.groups = std::move(groups);
  }
  meta.clear();
  if (!folder_state) {
    for (auto& f : store.load_crawler_files(def.name))
      if (!f.path.starts_with('#')) take_file_rows(f, known, schemas);  // '#' rows: read above
    for (auto& by_dir : known)
      for (auto& [dir, k] : by_dir) k.files_loaded = true;
  }

  ClassifyOptions classify_options;
  classify_options.custom = def.classifiers;
  const bool new_folders_only = def.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY";
  const bool event_mode = !ctx.only_folders.empty();
  Applier applier(def, ctx, stats);
  std::set<std::string> keep_locations;
  std::vector<std::string> target_locations;
  // Every folder with file rows got its folder row in this run (then kFolderStateRow may be written).
  bool state_complete = true;

  for (std::size_t ti = 0; ti < def.targets.size() && !stopping(); ++ti) {
    const CrawlTarget& target = def.targets[ti];
    const bool s3 = target.is_s3();
    const GlobSet exclusions = GlobSet::create(target.exclusions);
    auto& known_folders = known[ti];
    target_locations.push_back(location_of(target, ""));

    // 1. List: everything, the reported folders (event mode), or only folders the state does not know.
    std::vector<std::string> roots{""};
    if (event_mode) {
      roots.clear();
      const std::string tag = std::to_string(ti) + ":";
      for (const auto& f : ctx.only_folders)
        if (f.rfind(tag, 0) == 0) roots.push_back(f.substr(tag.size()));
      if (roots.empty()) {
        if (!known_folders.empty()) state_complete = false;
        continue;
      }
    }
    std::set<std::string> known_dirs;
    if (new_folders_only)
      for (const auto& [dir, k] : known_folders) known_dirs.insert(dir);
    Lister lister(target, exclusions, ctx, stats);
    std::vector<Listed> listed = lister.list(roots, new_folders_only ? &known_dirs : nullptr);
    stats.files_listed += static_cast<std::int64_t>(listed.size());
    progress(false);

    // Folders in the listed scope are compared with the state; the others (event mode, known folders of
    // CRAWL_NEW_FOLDERS_ONLY) are carried over as they are.
    auto in_scope = [&](const std::string& dir) {
      if (new_folders_only && known_dirs.contains(dir)) return false;
      if (!event_mode) return true;
      return std::any_of(roots.begin(), roots.end(), [&](const std::string& r) {
        return r.empty() || dir == r || (dir.size() > r.size() && dir.starts_with(r) && dir[r.size()] == '/');
      });
    };
    std::map<std::string, FolderWork> folders;
    {
      FolderWork* last = nullptr;
      std::string_view last_dir;
      for (auto& f : listed) {
        const std::string_view dir = parent_view(f.rel);
        if (last == nullptr || dir != last_dir) {
          auto it = folders.try_emplace(std::string(dir)).first;
          last = &it->second;
          last_dir = it->first;
          last->listed = true;
        }
        last->files.push_back(std::move(f));
      }
      listed = {};
    }
    for (auto& [dir, k] : known_folders) folders[dir].known = &k;
    const auto by_rel = [](const Listed& a, const Listed& b) { return a.rel < b.rel; };

    // 2. Compare folder by folder: a folder whose listing has the fingerprint of its row is unchanged, and
    // its row stands for its files; the file rows of the others are read (in one batch) and compared.
    std::vector<std::string> to_load;
    for (auto& [dir, w] : folders) {
      w.in_scope = w.known == nullptr || in_scope(dir);
      if (!std::is_sorted(w.files.begin(), w.files.end(), by_rel))
        std::sort(w.files.begin(), w.files.end(), by_rel);
      if (!w.in_scope) {
        if (w.known->row_trusted) {
          w.from_row = true;
          continue;
        }
        // Older state: the folder's files are carried from their rows, and its folder row is written.
        for (auto& [name, row] : w.known->files) {
          Listed carried;
          carried.rel = join_path(dir, name);
          carried.size = row.size;
          carried.mtime = row.mtime;
          carried.etag = row.etag;
          if (!row.schema.empty()) carried.schema = schemas.decode(row.schema, &carried.sampled);
          carried.state = row.schema;
          w.files.push_back(std::move(carried));
        }
        std::sort(w.files.begin(), w.files.end(), by_rel);
        w.dirty = true;
        continue;
      }
      w.dirty = true;
      if (!w.listed) {  // every file of the folder is gone
        w.removed = w.known->names();
        w.changed = !w.removed.empty();
        continue;
      }
      w.fingerprint = listing_fingerprint(w.files, s3);
      if (w.known == nullptr) continue;  // a new folder
      if (w.known->row_trusted && w.known->fingerprint == w.fingerprint) {
        w.from_row = true;
        w.dirty = false;
        stats.files_unchanged += static_cast<std::int64_t>(w.files.size());
        w.files.clear();
        continue;
      }
      if (!w.known->files_loaded) {
        if (w.known->files_in_row) {
          to_load.push_back(std::string(kFilesRowPrefix) + state_key(ti, dir));
        } else {
          for (const std::string& name : w.known->names())
            to_load.push_back(state_key(ti, join_path(dir, name)));
        }
        w.known->files_loaded = true;
      }
    }
    for (auto& f : store.get_crawler_files(def.name, to_load)) take_file_rows(f, known, schemas);

    // 3. Decide what to read: new or changed files, at most sample_size per folder.
    std::vector<Listed*> to_read;
    for (auto& [dir, w] : folders) {
      if (!w.in_scope || !w.listed || w.from_row) continue;
      int sampled = 0;
      for (Listed& f : w.files) {
        const catalog::CrawlerFile* row = nullptr;
        if (w.known != nullptr) {
          auto it = w.known->files.find(std::string(base_name(f.rel)));
          if (it != w.known->files.end()) row = &it->second;
        }
        const bool same =
            row != nullptr && row->size == f.size && (s3 ? row->etag == f.etag : row->mtime == f.mtime);
        if (same) {
          if (!row->schema.empty()) f.schema = schemas.decode(row->schema, &f.sampled);
          f.state = row->schema;
          ++stats.files_unchanged;
          continue;
        }
        f.changed = true;
        w.changed = true;
        w.files_changed = true;
        if (target.sample_size > 0 && ++sampled > target.sample_size) {
          f.inherit = true;
        } else {
          to_read.push_back(&f);
        }
      }
      if (w.known == nullptr) continue;
      for (const auto& [name, row] : w.known->files) {
        const std::string rel = join_path(dir, name);
        if (!std::binary_search(w.files.begin(), w.files.end(), rel,
                                [](const auto& a, const auto& b) { return rel_of(a) < rel_of(b); })) {
          w.removed.push_back(name);
          w.changed = true;
        }
      }
    }
    for (const auto& [dir, w] : folders) stats.files_removed += static_cast<std::int64_t>(w.removed.size());
    classify_files(target, classify_options, to_read, schemas, ctx, stats);
    if (stopping()) {
      state_complete = false;
      break;
    }
    for (auto& [dir, w] : folders) {
      if (!w.files_changed || target.sample_size <= 0) continue;
      std::shared_ptr<const FileSchema> first;
      for (const Listed& f : w.files)
        if (f.schema && !f.inherit) {
          first = f.schema;
          break;
        }
      for (Listed& f : w.files)
        if (f.inherit) f.schema = first;
    }
    progress(false);

    // 3. Group into tables and partitions: each folder's files go to the layout as one entry per schema
    // (the files share their schemas with the layout: no copies), from its row when it is unchanged.
    std::vector<CrawledFile> crawled;
    for (auto& [dir, w] : folders) {
      if (w.from_row) {
        for (Group& g : w.known->groups) crawled.push_back(entry_of(dir, std::move(g), schemas));
        continue;
      }
      w.groups = groups_of(w.files, schemas);
      for (const Group& g : w.groups) crawled.push_back(entry_of(dir, g, schemas));
    }
    LayoutOptions layout_options;
    layout_options.combine_compatible_schemas = def.combine_compatible_schemas;
    layout_options.table_level = def.table_level;
    layout_options.table_prefix = def.table_prefix;
    layout_options.root_name = root_name(target);
    layout_options.share_partition_schemas = true;  // the applier completes the partitions it uses
    LayoutResult plan = plan_layout(std::move(crawled), layout_options);
    for (const auto& rel : plan.unclassified)
      stats.note(rel + ": no classifier recognised the file (UNKNOWN)");
    for (const auto& table : plan.tables) {
      for (const auto& n : table.notes) stats.note("table " + table.name + ": " + n);
      for (const auto& f : table.skipped_files)
        stats.note("table " + table.name + ": left out " + f.path + " (" + f.reason + ")");
    }
    for (const auto& f : plan.skipped) stats.note("left out " + f.path + " (" + f.reason + ")");

    // 4. Apply table by table, each with the state of its folders, so a crash leaves both consistent.
    // Tables without changed or removed files are not written (nor, in event runs, even compared).
    // A rewritten folder's state: its folder row and its files row (replacing the per-file rows of earlier
    // runs), or their removal when no file is left.
    auto state_rows = [&](const std::string& dir, FolderWork& w, std::vector<catalog::CrawlerFile>& rows,
                          std::vector<std::string>& gone) {
      w.placed = true;
      if (!w.dirty) return;
      const bool per_file_rows = w.known != nullptr && !w.known->files_in_row;
      if (per_file_rows)
        for (const std::string& name : w.known->names()) gone.push_back(state_key(ti, join_path(dir, name)));
      const std::string key = state_key(ti, dir);
      if (w.files.empty()) {
        if (w.known != nullptr && w.known->has_row) gone.push_back(std::string(kFolderRowPrefix) + key);
        if (w.known != nullptr && w.known->files_in_row) gone.push_back(std::string(kFilesRowPrefix) + key);
        return;
      }
      catalog::CrawlerFile row;
      row.path = std::string(kFolderRowPrefix) + key;
      row.size = static_cast<std::int64_t>(w.files.size());
      row.mtime = kFolderRowWithFilesRow;
      row.etag = w.fingerprint.empty() ? listing_fingerprint(w.files, s3) : w.fingerprint;
      row.schema = summary_text(w.groups);
      rows.push_back(std::move(row));
      catalog::CrawlerFile files_row;
      files_row.path = std::string(kFilesRowPrefix) + key;
      files_row.size = static_cast<std::int64_t>(w.files.size());
      files_row.schema = files_text(w.files);
      rows.push_back(std::move(files_row));
    };
    auto save = [&](std::vector<catalog::CrawlerFile>& files, const std::vector<std::string>& gone) {
      schemas.add_schema_rows(files);
      store.save_crawler_files(def.name, files, gone);
      schemas.mark_stored(files);
    };
    for (const auto& table : plan.tables) {
      if (stopping()) break;
      std::vector<catalog::CrawlerFile> files;
      std::vector<std::string> gone;
      std::set<std::string> changed_dirs;
      bool changed = false;
      bool removed = false;
      // The table's folders are its location and those below it (layout plans disjoint table roots).
      const std::string& loc = table.location;
      for (auto it = folders.lower_bound(loc); it != folders.end() && it->first.starts_with(loc); ++it) {
        const std::string& dir = it->first;
        if (!loc.empty() && dir.size() > loc.size() && dir[loc.size()] != '/') continue;
        FolderWork& w = it->second;
        changed = changed || w.changed;
        removed = removed || !w.removed.empty();
        if (w.files_changed) changed_dirs.insert(dir);
        state_rows(dir, w, files, gone);
      }
      keep_locations.insert(location_of(target, table.location));
      if (event_mode && !changed && files.empty() && gone.empty()) continue;
      // Partitions of folders without changed files stay as stored when nothing was removed or left out.
      const bool only_changed_dirs = !removed && table.skipped_files.empty();
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
        state_complete = false;  // the table's state rows were not written
      }
      progress(false);
    }
    // State of folders outside every table (unclassified files, files left out of every table), and
    // removals there.
    std::vector<catalog::CrawlerFile> rest;
    std::vector<std::string> rest_removed;
    for (auto& [dir, w] : folders)
      if (!w.placed) state_rows(dir, w, rest, rest_removed);
    if (stopping()) {
      state_complete = false;
    } else {
      save(rest, rest_removed);
    }
  }
  if (stopping()) state_complete = false;
  // Schema rows no file names any more.
  if (!stopping()) {
    const std::vector<std::string> unused = schemas.unreferenced_rows();
    if (!unused.empty()) store.save_crawler_files(def.name, {}, unused);
  }
  if (!folder_state && state_complete) {
    catalog::CrawlerFile marker;
    marker.path = std::string(kFolderStateRow);
    marker.schema = "1";
    store.save_crawler_files(def.name, {marker}, {});
  }
  if (!stopping() && !event_mode && !new_folders_only) applier.retire(keep_locations, target_locations);
  result.stopped = stopping();
  progress(true);
  return result;
}

}  // namespace cairn::crawler
