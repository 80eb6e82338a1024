#pragma once

// What the store keeps for crawlers: definitions (as JSON text — crawler/definition.h owns their format and
// validation), runs with their lease, the per-file state of incremental crawls, and named connections. The
// store keeps these consistent and atomic; it does not interpret definitions. Semantics: docs/crawlers.md.

#include <cstdint>
#include <optional>
#include <string>

#include "cairn/catalog/model.h"

namespace cairn::catalog {

/// A crawler as stored. `state` is READY, RUNNING or STOPPING (Glue's crawler states).
struct CrawlerRecord {
  std::string name;
  std::string definition;  ///< JSON text
  std::int64_t version = 0;
  Timestamp create_time = 0;
  Timestamp update_time = 0;
  /// When the schedule is due next (nullopt: no schedule). Claimed with Store::claim_crawler_schedule.
  std::optional<Timestamp> next_run;
  std::string state = "READY";
  std::optional<std::int64_t> current_run;  ///< the run holding the lease while RUNNING/STOPPING
  std::string lease_owner;                  ///< node id of that run
  Timestamp lease_expires = 0;
  std::optional<std::int64_t> last_run;  ///< the most recent run, finished or not
};

/// One run of a crawler. `status`: RUNNING, SUCCEEDED, FAILED, STOPPED (Glue's LastCrawl/CrawlerHistory).
struct CrawlerRun {
  std::int64_t id = 0;
  std::string crawler;
  std::string trigger;  ///< "manual", "schedule", "event", "startup"
  std::string owner;    ///< node that ran it
  Timestamp start_time = 0;
  std::optional<Timestamp> end_time;
  std::string status = "RUNNING";
  std::string error;
  std::string stats = "{}";  ///< JSON counters (crawler/runner.h)
};

/// What a run learnt about one file, kept so the next run reads only new or changed files. The crawler
/// (crawler/runner.h, StateSchemas) owns the text of `schema`; the store keeps rows as they are given. Rows
/// whose path is not "<target index>:…" are the crawler's own (one per distinct file schema).
struct CrawlerFile {
  std::string path;  ///< "<target index>:<path relative to the target root>", or a crawler-owned key
  std::int64_t size = 0;
  std::int64_t mtime = 0;  ///< milliseconds (local files) or 0
  std::string etag;        ///< S3 ETag, or ""
  std::string schema;      ///< the file's schema as the crawler encodes it ("" when unclassifiable)
};

/// A named connection to an object store. `properties` is JSON text (endpoint, region, path style, access key
/// id); `sealed_secret` is the secret access key sealed by authz/secret_box.h, never returned by the API.
struct ConnectionRecord {
  std::string name;
  std::string type = "S3";
  std::string properties = "{}";
  std::string sealed_secret;
  Timestamp create_time = 0;
  Timestamp update_time = 0;
};

/// What renew_crawler_lease found.
enum class LeaseState {
  Held,           ///< the run still holds the lease, now extended
  StopRequested,  ///< held and extended, but a stop was requested: finish as STOPPED
  Lost,           ///< another node took over (the lease had expired): stop writing
};

}  // namespace cairn::catalog
