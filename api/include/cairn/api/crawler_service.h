#pragma once
// Crawlers inside cairnd: definitions and connections (authorized and audited like every other call), runs on
// background threads with a lease in the store (one run per crawler across nodes), and the scheduler.
// Semantics: docs/crawlers.md, "Crawler definitions", "Runs", "Schedules".

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cairn/api/service.h"
#include "cairn/catalog/crawler_records.h"
#include "cairn/crawler/definition.h"
#include "cairn/crawler/s3_client.h"

namespace cairn::api {

/// A crawler as the API returns it: its definition plus state, schedule and the last run.
struct CrawlerView {
  crawler::CrawlerDefinition definition;
  catalog::CrawlerRecord record;
  std::optional<catalog::CrawlerRun> last_run;
};

/// A connection as the API returns it (never the secret).
struct ConnectionView {
  std::string name;
  std::string type;
  std::string endpoint;
  std::string region;
  bool path_style = false;
  std::string access_key_id;
  catalog::Timestamp create_time = 0;
  catalog::Timestamp update_time = 0;
};

/// A connection as created or updated; an empty secret on update keeps the stored one.
struct ConnectionInput {
  std::string name;
  std::string endpoint;
  std::string region = "us-east-1";
  bool path_style = true;
  std::string access_key_id;
  std::string secret_access_key;
};

struct CrawlerServiceOptions {
  std::string node_id;                        ///< names this node in leases (default: host:pid)
  std::int64_t lease_ms = 30000;              ///< a run renews its lease every lease_ms / 3
  std::int64_t scheduler_interval_ms = 5000;  ///< how often due schedules are checked
  bool run_scheduler = true;                  ///< false: runs start only on request (tests)
};

class CrawlerService {
 public:
  CrawlerService(CatalogService& catalog, CrawlerServiceOptions options = {});
  ~CrawlerService();
  CrawlerService(const CrawlerService&) = delete;
  CrawlerService& operator=(const CrawlerService&) = delete;

  /// Starts the scheduler thread: a schedule missed while no node ran fires once now, then as scheduled.
  void start();
  /// Asks running crawls to stop, waits for them (they record STOPPED) and stops the scheduler.
  void stop();

  // Definitions. Managing a crawler needs CREATE_TABLE on its database (or administrator); seeing one needs
  // some permission on its database; others get NotFound.
  CrawlerView create(const Caller& caller, crawler::CrawlerDefinition definition);
  CrawlerView update(const Caller& caller, const std::string& name, crawler::CrawlerDefinition definition,
                     std::optional<std::int64_t> expected_version);
  CrawlerView get(const Caller& caller, const std::string& name);
  /// The crawlers the caller may see, ordered by name.
  catalog::Page<CrawlerView> list(const Caller& caller, const catalog::PageRequest& page);
  void remove(const Caller& caller, const std::string& name);

  /// Starts a run now on this node; throws Error(FailedPrecondition) when one is already running (Glue's
  /// CrawlerRunningException). `folders` (event mode: "s3://…" or local paths of changed folders under a
  /// target) limits the run to those folders.
  catalog::CrawlerRun start_run(const Caller& caller, const std::string& name,
                                const std::vector<std::string>& folders = {});
  /// RUNNING → STOPPING; FailedPrecondition when not running (Glue's CrawlerNotRunningException).
  void stop_run(const Caller& caller, const std::string& name);
  catalog::Page<catalog::CrawlerRun> runs(const Caller& caller, const std::string& name,
                                          const catalog::PageRequest& page);
  catalog::CrawlerRun run(const Caller& caller, const std::string& name, std::int64_t run_id);
  /// Glue's GetCrawlerMetrics for one crawler: last runtime, median runtime, tables created/updated/deleted
  /// by the last run, time left (0 when not running).
  nlohmann::json metrics(const Caller& caller, const std::string& name);

  // Connections: administrators only (they hold credentials).
  ConnectionView create_connection(const Caller& caller, const ConnectionInput& input);
  ConnectionView update_connection(const Caller& caller, const ConnectionInput& input);
  ConnectionView get_connection(const Caller& caller, const std::string& name);
  std::vector<ConnectionView> list_connections(const Caller& caller);
  void delete_connection(const Caller& caller, const std::string& name);

  /// Blocks until no run started by this node is in progress (tests and shutdown).
  void wait_idle();

  /// Called on a run's thread after it wrote a table whose files changed (crawler name, database, table);
  /// what it throws becomes a note of the run, which goes on. Set before start().
  using TableWritten = std::function<void(const std::string& crawler, const std::string& database,
                                          const std::string& table)>;
  void set_table_written(TableWritten fn);

  /// A client for the s3:// location of `table`, through the connection of the target of the crawler that
  /// wrote it (table parameter UPDATED_BY_CRAWLER) which holds the location. Error(FailedPrecondition) when
  /// the table was not written by a crawler with such a target.
  std::shared_ptr<crawler::S3Client> s3_client_for(const catalog::Table& table);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// JSON forms for the API.
nlohmann::json to_json(const CrawlerView& view);
nlohmann::json to_json(const catalog::CrawlerRun& run);
nlohmann::json to_json(const ConnectionView& view);

}  // namespace cairn::api
