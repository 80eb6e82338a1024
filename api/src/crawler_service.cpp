#include "cairn/api/crawler_service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>

#include "cairn/api/s3_transport.h"
#include "cairn/authz/audit.h"
#include "cairn/authz/authorizer.h"
#include "cairn/authz/secret_box.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/json_fields.h"
#include "cairn/catalog/model_json.h"
#include "cairn/crawler/runner.h"
#include "cairn/crawler/schedule.h"

namespace cairn::api {

namespace {

using nlohmann::json;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

authz::Resource database_resource(const std::string& database) {
  return authz::Resource{database, {}, {}, {}, {}};
}

authz::Resource catalog_resource() {
  return authz::Resource{{}, {}, {}, {}, {}};
}

std::string crawler_resource(const std::string& name) {
  return "crawler/" + name;
}

/// When the schedule fires next after `now` (ms), or nullopt without a schedule.
std::optional<std::int64_t> next_run_after(const std::string& schedule, std::int64_t now,
                                           std::int64_t anchor) {
  if (schedule.empty()) return std::nullopt;
  const auto next = crawler::parse_schedule(schedule).next_after(now / 1000, anchor / 1000);
  if (!next) return std::nullopt;
  return *next * 1000;
}

std::string default_node_id() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

/// True when `rel` is "a/b/c": no empty, "." or ".." segment.
bool plain_relative_path(const std::string& rel) {
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = std::min(rel.find('/', start), rel.size());
    const std::string_view segment(rel.data() + start, slash - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (slash == rel.size()) return true;
    start = slash + 1;
  }
}

crawler::CrawlerDefinition parse_definition(const catalog::CrawlerRecord& record) {
  return crawler::definition_from_json(json::parse(record.definition));
}

std::string connection_properties(const ConnectionInput& in) {
  return json{{"endpoint", in.endpoint},
              {"region", in.region},
              {"path_style", in.path_style},
              {"access_key_id", in.access_key_id}}
      .dump();
}

ConnectionView connection_view(const catalog::ConnectionRecord& r) {
  ConnectionView v;
  v.name = r.name;
  v.type = r.type;
  v.create_time = r.create_time;
  v.update_time = r.update_time;
  const json p = json::parse(r.properties);
  v.endpoint = p.value("endpoint", "");
  v.region = p.value("region", "");
  v.path_style = p.value("path_style", true);
  v.access_key_id = p.value("access_key_id", "");
  return v;
}

void validate_connection(const ConnectionInput& in, bool create) {
  if (in.name.empty() || in.name.size() > 255 ||
      in.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
          std::string::npos)
    throw_invalid("name", "name must be 1 to 255 characters of letters, digits, '_', '-' and '.'");
  if (in.region.empty()) throw_invalid("region", "region is required (e.g. us-east-1)");
  if (create && (in.access_key_id.empty() || in.secret_access_key.empty()))
    throw_invalid(in.access_key_id.empty() ? "access_key_id" : "secret_access_key",
                  "access_key_id and secret_access_key are required");
  // The S3 client refuses what it cannot reach (https, malformed URLs) with a message naming the endpoint.
  crawler::S3Connection probe;
  probe.endpoint = in.endpoint;
  probe.region = in.region;
  crawler::S3Client check(
      probe, [](const std::string&, const std::string&, const std::string&, const std::string&,
                const crawler::HttpHeaders&, const std::string&) { return crawler::HttpExchangeResponse{}; });
}

}  // namespace

struct CrawlerService::Impl {
  CatalogService& cat;
  catalog::Store& store;
  CrawlerServiceOptions options;
  crawler::HttpTransport transport = make_s3_transport();

  std::mutex mutex;
  std::condition_variable changed;  // runs ending, stop requests; guarded by mutex
  struct Active {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> stop;
    bool done = false;
  };
  std::map<std::string, Active> active;  // by crawler name; guarded by mutex
  bool stopping = false;                 // guarded by mutex
  std::thread scheduler;
  TableWritten table_written;  // set before start()

  Impl(CatalogService& c, CrawlerServiceOptions o) : cat(c), store(c.store()), options(std::move(o)) {
    if (options.node_id.empty()) options.node_id = default_node_id();
  }

  catalog::CrawlerRecord record_of(const std::string& name) {
    auto record = store.get_crawler(name);
    if (!record) throw Error(ErrorCode::NotFound, "crawler '" + name + "' not found");
    return *record;
  }

  /// The record, if the caller may see it (NotFound otherwise, like a missing one).
  std::pair<catalog::CrawlerRecord, crawler::CrawlerDefinition> visible(const Caller& caller,
                                                                        const std::string& name) {
    auto record = record_of(name);
    auto def = parse_definition(record);
    if (!cat.decide(caller, authz::Action::DescribeCrawlers, database_resource(def.database)).allowed)
      throw Error(ErrorCode::NotFound, "crawler '" + name + "' not found");
    return {std::move(record), std::move(def)};
  }

  /// Glue's CrawlerRunningException: a crawler is neither changed nor deleted during a run.
  static void require_idle(const catalog::CrawlerRecord& record, const std::string& operation) {
    if (record.state == "READY") return;
    throw Error(ErrorCode::FailedPrecondition,
                "crawler '" + record.name + "' is " + record.state + "; " + operation +
                    " it when its run has ended (stop it first)",
                "name");
  }

  void check_targets(const crawler::CrawlerDefinition& def) {
    if (!store.get_database(def.database))
      throw Error(ErrorCode::NotFound, "database '" + def.database + "' does not exist; create it first",
                  "database");
    for (std::size_t i = 0; i < def.targets.size(); ++i) {
      const auto& t = def.targets[i];
      if (t.is_s3() && !store.get_connection(t.connection))
        throw Error(
            ErrorCode::InvalidArgument,
            "targets[" + std::to_string(i) + "].connection names no connection ('" + t.connection + "')",
            "targets[" + std::to_string(i) + "].connection");
    }
  }

  CrawlerView view(catalog::CrawlerRecord record, crawler::CrawlerDefinition def) {
    CrawlerView v;
    v.definition = std::move(def);
    if (record.last_run) v.last_run = store.get_crawler_run(*record.last_run);
    v.record = std::move(record);
    return v;
  }

  std::shared_ptr<crawler::S3Client> s3_client(const std::string& connection) {
    auto record = store.get_connection(connection);
    if (!record) throw Error(ErrorCode::NotFound, "connection '" + connection + "' not found");
    const json p = json::parse(record->properties);
    crawler::S3Connection c;
    c.endpoint = p.value("endpoint", "");
    c.region = p.value("region", "us-east-1");
    c.path_style = p.value("path_style", true);
    c.access_key_id = p.value("access_key_id", "");
    c.secret_access_key = cat.secrets().open(record->sealed_secret);
    return std::make_shared<crawler::S3Client>(c, transport);
  }

  /// Begins a run (lease in the store) and starts its thread. nullopt when another run holds the lease.
  std::optional<catalog::CrawlerRun> begin(const std::string& name, const std::string& trigger,
                                           std::vector<std::string> only_folders) {
    std::unique_lock lock(mutex);
    if (stopping) throw Error(ErrorCode::Unavailable, "the server is shutting down");
    reap(lock);
    if (active.contains(name)) return std::nullopt;
    const std::int64_t now = now_ms();
    auto run = store.begin_crawler_run(name, options.node_id, trigger, now, now + options.lease_ms);
    if (!run) return std::nullopt;
    auto stop = std::make_shared<std::atomic<bool>>(false);
    Active& a = active[name];
    a.stop = stop;
    a.thread = std::thread([this, name, run = *run, stop, folders = std::move(only_folders)] {
      execute(name, run, stop, folders);
    });
    return run;
  }

  /// Joins finished run threads.
  void reap(std::unique_lock<std::mutex>& lock) {
    (void)lock;
    for (auto it = active.begin(); it != active.end();) {
      if (it->second.done) {
        it->second.thread.join();
        it = active.erase(it);
      } else {
        ++it;
      }
    }
  }

  void execute(const std::string& name, const catalog::CrawlerRun& run,
               const std::shared_ptr<std::atomic<bool>>& stop, const std::vector<std::string>& only_folders) {
    std::string status = "SUCCEEDED";
    std::string error;
    crawler::RunStats final_stats;
    std::mutex stats_mutex;
    crawler::RunStats latest;  // guarded by stats_mutex
    std::atomic<bool> lost{false};
    std::mutex beat_mutex;
    std::condition_variable beat;
    bool finished = false;  // guarded by beat_mutex
    // Heartbeat: renews the lease (with the progress so far) until the run ends; a stop request from any node
    // or a lost lease ends the run.
    // Every second (progress for `cairn crawler start --wait`), or a third of the lease when that is shorter.
    const std::int64_t heartbeat_ms = std::clamp<std::int64_t>(options.lease_ms / 3, 10, 1000);
    std::thread heartbeat([&] {
      std::unique_lock beat_lock(beat_mutex);
      while (!beat.wait_for(beat_lock, std::chrono::milliseconds(heartbeat_ms), [&] { return finished; })) {
        beat_lock.unlock();
        std::string stats_text;
        {
          const std::lock_guard g(stats_mutex);
          stats_text = latest.to_json().dump();
        }
        try {
          const auto state = store.renew_crawler_lease(name, run.id, options.node_id,
                                                       now_ms() + options.lease_ms, stats_text);
          if (state == catalog::LeaseState::StopRequested) stop->store(true);
          if (state == catalog::LeaseState::Lost) {
            lost = true;
            stop->store(true);
          }
        } catch (const std::exception& e) {
          spdlog::warn("crawler {}: renewing the lease failed: {}", name, e.what());
        }
        beat_lock.lock();
      }
    });
    try {
      const catalog::CrawlerRecord record = record_of(name);
      const crawler::CrawlerDefinition def = parse_definition(record);
      crawler::RunContext ctx;
      ctx.store = &store;
      ctx.crawler_name = name;
      ctx.s3 = [this](const std::string& c) { return s3_client(c); };
      ctx.should_stop = [&] { return stop->load(); };
      ctx.progress = [&](const crawler::RunStats& s) {
        const std::lock_guard g(stats_mutex);
        latest = s;
      };
      ctx.audit = [&](const std::string& action, const std::string& resource, const std::string& detail) {
        cat.record_mutation("crawler:" + name, "crawl-" + std::to_string(run.id), action, resource, true,
                            detail);
      };
      ctx.only_folders = only_folders;
      if (table_written)
        ctx.table_written = [&](const std::string& database, const std::string& table) {
          table_written(name, database, table);
        };
      spdlog::info("crawler {}: run {} started ({})", name, run.id, run.trigger);
      auto result = crawler::run_crawl(def, ctx);
      final_stats = result.stats;
      if (result.stopped) status = "STOPPED";
    } catch (const std::exception& e) {
      status = "FAILED";
      error = e.what();
      const std::lock_guard g(stats_mutex);
      final_stats = latest;
    }
    {
      const std::lock_guard g(beat_mutex);
      finished = true;
    }
    beat.notify_all();
    heartbeat.join();
    if (lost) {
      spdlog::warn("crawler {}: run {} lost its lease to another node; its result is not recorded", name,
                   run.id);
    } else {
      try {
        store.finish_crawler_run(name, run.id, options.node_id, status, error, final_stats.to_json().dump(),
                                 now_ms());
      } catch (const std::exception& e) {
        spdlog::error("crawler {}: recording the end of run {} failed: {}", name, run.id, e.what());
      }
    }
    spdlog::info("crawler {}: run {} {}{}", name, run.id, status, error.empty() ? "" : ": " + error);
    const std::lock_guard lock(mutex);
    auto it = active.find(name);
    if (it != active.end()) it->second.done = true;
    changed.notify_all();
  }

  void schedule_loop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      lock.unlock();
      try {
        tick();
      } catch (const std::exception& e) {
        spdlog::warn("crawler scheduler: {}", e.what());
      }
      lock.lock();
      changed.wait_for(lock, std::chrono::milliseconds(options.scheduler_interval_ms),
                       [&] { return stopping; });
    }
  }

  /// Starts every crawler whose schedule is due. The claim (compare-and-set of next_run) makes one node the
  /// winner; a schedule missed while every node was down is due at once and fires once.
  void tick() {
    const std::int64_t now = now_ms();
    catalog::PageRequest page;
    page.limit = 1000;
    while (true) {
      auto p = store.list_crawlers(page);
      for (const auto& record : p.items) {
        if (!record.next_run || *record.next_run > now) continue;
        std::optional<std::int64_t> next;
        try {
          next = next_run_after(parse_definition(record).schedule, now, record.update_time);
        } catch (const std::exception& e) {
          spdlog::warn("crawler {}: bad schedule: {}", record.name, e.what());
          continue;
        }
        if (!store.claim_crawler_schedule(record.name, *record.next_run, next)) continue;
        const bool missed = now - *record.next_run > options.scheduler_interval_ms * 2;
        try {
          if (!begin(record.name, missed ? "startup" : "schedule", {}))
            spdlog::info("crawler {}: scheduled run skipped, a run is in progress", record.name);
        } catch (const std::exception& e) {
          // The run did not begin (store unreachable, shutting down): hand the due time back, so that this
          // node or another fires it on a later tick instead of losing it.
          spdlog::warn("crawler {}: scheduled run could not begin: {}", record.name, e.what());
          try {
            // (A schedule with no later time, e.g. a cron whose last year passed, cannot be handed back.)
            if (!next || !store.claim_crawler_schedule(record.name, *next, record.next_run))
              spdlog::warn("crawler {}: the due run is lost (its schedule has no later time or changed)",
                           record.name);
          } catch (const std::exception& again) {
            spdlog::warn("crawler {}: the due run is lost: {}", record.name, again.what());
          }
        }
      }
      if (p.next_token.empty()) break;
      page.token = p.next_token;
    }
  }
};

CrawlerService::CrawlerService(CatalogService& catalog, CrawlerServiceOptions options)
    : impl_(std::make_unique<Impl>(catalog, std::move(options))) {}

CrawlerService::~CrawlerService() {
  stop();
}

void CrawlerService::start() {
  if (!impl_->options.run_scheduler || impl_->scheduler.joinable()) return;
  impl_->scheduler = std::thread([this] { impl_->schedule_loop(); });
}

void CrawlerService::stop() {
  {
    std::unique_lock lock(impl_->mutex);
    impl_->stopping = true;
    for (auto& [name, a] : impl_->active) a.stop->store(true);
    impl_->changed.notify_all();
  }
  if (impl_->scheduler.joinable()) impl_->scheduler.join();
  wait_idle();
}

void CrawlerService::wait_idle() {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait(lock, [&] {
    return std::all_of(impl_->active.begin(), impl_->active.end(),
                       [](const auto& kv) { return kv.second.done; });
  });
  impl_->reap(lock);
}

void CrawlerService::set_table_written(TableWritten fn) {
  impl_->table_written = std::move(fn);
}

std::shared_ptr<crawler::S3Client> CrawlerService::s3_client_for(const catalog::Table& table) {
  const std::string& location = table.storage_descriptor.location;
  const auto by = table.parameters.find("UPDATED_BY_CRAWLER");
  if (by != table.parameters.end()) {
    if (auto record = impl_->store.get_crawler(by->second)) {
      const auto def = parse_definition(*record);
      for (const auto& t : def.targets) {
        if (!t.is_s3()) continue;
        std::string root = t.path;
        if (root.back() != '/') root += '/';
        if (location == t.path || location.rfind(root, 0) == 0) return impl_->s3_client(t.connection);
      }
    }
  }
  throw Error(ErrorCode::FailedPrecondition,
              "no connection is known for " + location +
                  ": only tables written by a crawler with an S3 target holding the location can be sampled",
              "location");
}

CrawlerView CrawlerService::create(const Caller& caller, crawler::CrawlerDefinition def) {
  crawler::validate(def);
  impl_->cat.require(caller, authz::Action::ManageCrawlers, database_resource(def.database));
  impl_->check_targets(def);
  catalog::CrawlerRecord record;
  record.name = def.name;
  record.definition = crawler::to_json(def).dump();
  const std::int64_t now = now_ms();
  record.next_run = next_run_after(def.schedule, now, now);
  try {
    record = impl_->store.create_crawler(record);
  } catch (const Error& e) {
    impl_->cat.record_mutation(caller, "CreateCrawler", crawler_resource(def.name), false, e.what());
    throw;
  }
  impl_->cat.record_mutation(caller, "CreateCrawler", crawler_resource(def.name), true, "");
  return impl_->view(std::move(record), std::move(def));
}

CrawlerView CrawlerService::update(const Caller& caller, const std::string& name,
                                   crawler::CrawlerDefinition def,
                                   std::optional<std::int64_t> expected_version) {
  auto [record, old] = impl_->visible(caller, name);
  def.name = name;
  crawler::validate(def);
  impl_->cat.require(caller, authz::Action::ManageCrawlers, database_resource(old.database));
  Impl::require_idle(record, "update");
  if (def.database != old.database)
    impl_->cat.require(caller, authz::Action::ManageCrawlers, database_resource(def.database));
  impl_->check_targets(def);
  const std::int64_t now = now_ms();
  // A changed schedule counts from now; an unchanged one keeps its next time.
  std::optional<std::int64_t> next = def.schedule == old.schedule && record.next_run
                                         ? record.next_run
                                         : next_run_after(def.schedule, now, now);
  if (def.schedule.empty()) next.reset();
  auto stored = impl_->store.update_crawler(name, crawler::to_json(def).dump(), next, expected_version);
  impl_->cat.record_mutation(caller, "UpdateCrawler", crawler_resource(name), true, "");
  return impl_->view(std::move(stored), std::move(def));
}

CrawlerView CrawlerService::get(const Caller& caller, const std::string& name) {
  auto [record, def] = impl_->visible(caller, name);
  return impl_->view(std::move(record), std::move(def));
}

catalog::Page<CrawlerView> CrawlerService::list(const Caller& caller, const catalog::PageRequest& page) {
  auto records = impl_->store.list_crawlers(page);
  catalog::Page<CrawlerView> out;
  out.next_token = records.next_token;
  for (auto& r : records.items) {
    auto def = parse_definition(r);
    if (!impl_->cat.decide(caller, authz::Action::DescribeCrawlers, database_resource(def.database)).allowed)
      continue;
    out.items.push_back(impl_->view(std::move(r), std::move(def)));
  }
  return out;
}

void CrawlerService::remove(const Caller& caller, const std::string& name) {
  auto [record, def] = impl_->visible(caller, name);
  impl_->cat.require(caller, authz::Action::ManageCrawlers, database_resource(def.database));
  Impl::require_idle(record, "delete");
  impl_->store.delete_crawler(name);
  impl_->cat.record_mutation(caller, "DeleteCrawler", crawler_resource(name), true, "");
}

catalog::CrawlerRun CrawlerService::start_run(const Caller& caller, const std::string& name,
                                              const std::vector<std::string>& folders) {
  auto [record, def] = impl_->visible(caller, name);
  impl_->cat.require(caller, authz::Action::ManageCrawlers, database_resource(def.database));
  // Reported folders become "<target>:<relative folder>"; a folder under no target is an error naming it.
  std::vector<std::string> only;
  for (std::size_t i = 0; i < folders.size(); ++i) {
    std::string folder = folders[i];
    if (folder.rfind("file://", 0) == 0) folder = folder.substr(7);
    while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
    bool found = false;
    for (std::size_t t = 0; t < def.targets.size() && !found; ++t) {
      std::string root = def.targets[t].is_s3() ? def.targets[t].path : def.targets[t].local_dir();
      while (root.size() > 1 && root.back() == '/') root.pop_back();
      if (folder == root) {
        only.push_back(std::to_string(t) + ":");
        found = true;
      } else if (folder.rfind(root + "/", 0) == 0) {
        std::string rel = folder.substr(root.size() + 1);
        // A local folder is a path below the target: no empty, "." or ".." segment may lead out of it.
        if (!def.targets[t].is_s3() && !plain_relative_path(rel))
          throw Error(
              ErrorCode::InvalidArgument,
              "folders[" + std::to_string(i) +
                  "] must name a folder below the target without empty, '.' or '..' segments: " + folders[i],
              "folders[" + std::to_string(i) + "]");
        only.push_back(std::to_string(t) + ":" + rel);
        found = true;
      }
    }
    if (!found)
      throw Error(ErrorCode::InvalidArgument,
                  "folders[" + std::to_string(i) + "] is under none of the crawler's targets: " + folders[i],
                  "folders[" + std::to_string(i) + "]");
  }
  auto run = impl_->begin(name, folders.empty() ? "manual" : "event", std::move(only));
  if (!run) {
    impl_->cat.record_mutation(caller, "StartCrawler", crawler_resource(name), false, "already running");
    throw Error(ErrorCode::FailedPrecondition, "crawler '" + name + "' is already running", "name");
  }
  impl_->cat.record_mutation(caller, "StartCrawler", crawler_resource(name), true,
                             "run " + std::to_string(run->id));
  return *run;
}

void CrawlerService::stop_run(const Caller& caller, const std::string& name) {
  auto [record, def] = impl_->visible(caller, name);
  impl_->cat.require(caller, authz::Action::ManageCrawlers, database_resource(def.database));
  if (!impl_->store.request_crawler_stop(name))
    throw Error(ErrorCode::FailedPrecondition, "crawler '" + name + "' is not running", "name");
  {
    const std::lock_guard lock(impl_->mutex);
    auto it = impl_->active.find(name);
    if (it != impl_->active.end()) it->second.stop->store(true);
  }
  impl_->cat.record_mutation(caller, "StopCrawler", crawler_resource(name), true, "");
}

catalog::Page<catalog::CrawlerRun> CrawlerService::runs(const Caller& caller, const std::string& name,
                                                        const catalog::PageRequest& page) {
  impl_->visible(caller, name);
  return impl_->store.list_crawler_runs(name, page);
}

catalog::CrawlerRun CrawlerService::run(const Caller& caller, const std::string& name, std::int64_t run_id) {
  impl_->visible(caller, name);
  auto run = impl_->store.get_crawler_run(run_id);
  if (!run || run->crawler != name)
    throw Error(ErrorCode::NotFound,
                "run " + std::to_string(run_id) + " of crawler '" + name + "' not found");
  return *run;
}

nlohmann::json CrawlerService::metrics(const Caller& caller, const std::string& name) {
  auto [record, def] = impl_->visible(caller, name);
  catalog::PageRequest page;
  page.limit = 100;
  auto runs = impl_->store.list_crawler_runs(name, page);
  std::vector<double> durations;
  const catalog::CrawlerRun* last_done = nullptr;
  for (const auto& r : runs.items) {
    if (!r.end_time) continue;
    durations.push_back(static_cast<double>(*r.end_time - r.start_time) / 1000.0);
    if (!last_done) last_done = &r;
  }
  double median = 0;
  if (!durations.empty()) {
    std::sort(durations.begin(), durations.end());
    const std::size_t n = durations.size();
    median = n % 2 ? durations[n / 2] : (durations[n / 2 - 1] + durations[n / 2]) / 2;
  }
  json m{{"crawler_name", name},
         {"still_estimating", false},
         {"time_left_seconds", 0.0},
         {"last_runtime_seconds",
          last_done ? static_cast<double>(*last_done->end_time - last_done->start_time) / 1000.0 : 0.0},
         {"median_runtime_seconds", median},
         {"tables_created", 0},
         {"tables_updated", 0},
         {"tables_deleted", 0}};
  if (record.state != "READY" && record.current_run) {
    if (auto current = impl_->store.get_crawler_run(*record.current_run)) {
      const double elapsed = static_cast<double>(now_ms() - current->start_time) / 1000.0;
      m["still_estimating"] = durations.empty();
      m["time_left_seconds"] = durations.empty() ? 0.0 : std::max(0.0, median - elapsed);
    }
  }
  if (last_done) {
    const auto s = crawler::RunStats::from_json(json::parse(last_done->stats));
    m["tables_created"] = s.tables_created;
    m["tables_updated"] = s.tables_updated;
    m["tables_deleted"] = s.tables_deleted + s.tables_deprecated;
  }
  return m;
}

ConnectionView CrawlerService::create_connection(const Caller& caller, const ConnectionInput& input) {
  impl_->cat.require(caller, authz::Action::ManageConnections, catalog_resource());
  validate_connection(input, true);
  catalog::ConnectionRecord r;
  r.name = input.name;
  r.properties = connection_properties(input);
  r.sealed_secret = impl_->cat.secrets().seal(input.secret_access_key);
  auto stored = impl_->store.create_connection(r);
  impl_->cat.record_mutation(caller, "CreateConnection", "connection/" + input.name, true, "");
  return connection_view(stored);
}

ConnectionView CrawlerService::update_connection(const Caller& caller, const ConnectionInput& input) {
  impl_->cat.require(caller, authz::Action::ManageConnections, catalog_resource());
  validate_connection(input, false);
  auto existing = impl_->store.get_connection(input.name);
  if (!existing) throw Error(ErrorCode::NotFound, "connection '" + input.name + "' not found");
  ConnectionInput merged = input;
  if (merged.access_key_id.empty()) merged.access_key_id = connection_view(*existing).access_key_id;
  catalog::ConnectionRecord r;
  r.name = input.name;
  r.properties = connection_properties(merged);
  if (!input.secret_access_key.empty()) r.sealed_secret = impl_->cat.secrets().seal(input.secret_access_key);
  auto stored = impl_->store.update_connection(r);
  impl_->cat.record_mutation(caller, "UpdateConnection", "connection/" + input.name, true, "");
  return connection_view(stored);
}

ConnectionView CrawlerService::get_connection(const Caller& caller, const std::string& name) {
  impl_->cat.require(caller, authz::Action::ManageConnections, catalog_resource());
  auto r = impl_->store.get_connection(name);
  if (!r) throw Error(ErrorCode::NotFound, "connection '" + name + "' not found");
  return connection_view(*r);
}

std::vector<ConnectionView> CrawlerService::list_connections(const Caller& caller) {
  impl_->cat.require(caller, authz::Action::ManageConnections, catalog_resource());
  std::vector<ConnectionView> out;
  for (const auto& r : impl_->store.list_connections()) out.push_back(connection_view(r));
  return out;
}

void CrawlerService::delete_connection(const Caller& caller, const std::string& name) {
  impl_->cat.require(caller, authz::Action::ManageConnections, catalog_resource());
  // A connection a crawler uses stays (its next run would fail): name the crawler.
  catalog::PageRequest page;
  page.limit = 1000;
  while (true) {
    auto p = impl_->store.list_crawlers(page);
    for (const auto& r : p.items) {
      for (const auto& t : parse_definition(r).targets)
        if (t.connection == name)
          throw Error(
              ErrorCode::FailedPrecondition,
              "connection '" + name + "' is used by crawler '" + r.name + "'; change or delete it first",
              "name");
    }
    if (p.next_token.empty()) break;
    page.token = p.next_token;
  }
  impl_->store.delete_connection(name);
  impl_->cat.record_mutation(caller, "DeleteConnection", "connection/" + name, true, "");
}

nlohmann::json to_json(const CrawlerView& v) {
  json j = crawler::to_json(v.definition);
  j["state"] = v.record.state;
  j["version"] = v.record.version;
  j["create_time"] = catalog::format_timestamp(v.record.create_time);
  j["update_time"] = catalog::format_timestamp(v.record.update_time);
  if (v.record.next_run) j["next_run"] = catalog::format_timestamp(*v.record.next_run);
  if (v.last_run) j["last_run"] = to_json(*v.last_run);
  return j;
}

nlohmann::json to_json(const catalog::CrawlerRun& r) {
  json j{{"id", r.id},
         {"crawler", r.crawler},
         {"trigger", r.trigger},
         {"node", r.owner},
         {"status", r.status},
         {"start_time", catalog::format_timestamp(r.start_time)},
         {"stats", crawler::RunStats::from_json(json::parse(r.stats)).to_json()}};
  if (r.end_time) {
    j["end_time"] = catalog::format_timestamp(*r.end_time);
    j["duration_seconds"] = static_cast<double>(*r.end_time - r.start_time) / 1000.0;
  }
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

nlohmann::json to_json(const ConnectionView& v) {
  return json{{"name", v.name},
              {"type", v.type},
              {"endpoint", v.endpoint},
              {"region", v.region},
              {"path_style", v.path_style},
              {"access_key_id", v.access_key_id},
              {"create_time", catalog::format_timestamp(v.create_time)},
              {"update_time", catalog::format_timestamp(v.update_time)}};
}

}  // namespace cairn::api
