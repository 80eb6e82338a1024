#pragma once
// One crawl: list the targets, read only new or changed files (the store keeps what earlier runs learnt),
// group files into tables and partitions (layout.h) and apply the result to the catalog, one table per
// transaction together with the file state it came from. Semantics: docs/crawlers.md, "Runs".

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cairn/catalog/store.h"
#include "cairn/crawler/definition.h"
#include "cairn/crawler/file_schema.h"
#include "cairn/crawler/s3_client.h"

namespace cairn::crawler {

/// Counters of one run (the run history and GetCrawlerMetrics report them).
struct RunStats {
  std::int64_t files_listed = 0;     ///< files found in the targets (after exclusions)
  std::int64_t files_excluded = 0;   ///< files skipped by an exclusion glob
  std::int64_t files_read = 0;       ///< new or changed files opened and classified
  std::int64_t files_unchanged = 0;  ///< files whose size and mtime/ETag matched the last run: not read
  std::int64_t files_removed = 0;    ///< files gone since the last run
  std::int64_t files_failed = 0;     ///< files that could not be read or parsed (see `errors`)
  std::int64_t bytes_read = 0;       ///< bytes fetched from the files
  std::int64_t folders_listed = 0;   ///< directory listings (or S3 list requests)
  std::int64_t tables_created = 0;
  std::int64_t tables_updated = 0;
  std::int64_t tables_unchanged = 0;
  std::int64_t tables_deleted = 0;     ///< DELETE_FROM_DATABASE
  std::int64_t tables_deprecated = 0;  ///< DEPRECATE_IN_DATABASE
  std::int64_t partitions_added = 0;
  std::int64_t partitions_updated = 0;
  std::int64_t partitions_removed = 0;
  /// Files and tables the run could not handle, and changes it only logged (LOG policies); at most 100.
  std::vector<std::string> messages;

  nlohmann::json to_json() const;
  static RunStats from_json(const nlohmann::json& j);
  /// Adds a message (kept up to the limit; later ones are counted in the last message).
  void note(std::string message);
};

/// What a run needs from its surroundings.
struct RunContext {
  catalog::Store* store = nullptr;
  std::string crawler_name;
  /// Returns a client for a named connection; throws Error(NotFound) for an unknown one.
  std::function<std::shared_ptr<S3Client>(const std::string& connection)> s3;
  /// Polled between files and tables; true ends the run early (status STOPPED). May be empty.
  std::function<bool()> should_stop;
  /// Called with the counters so far, at most every `progress_interval_ms` and at the end. May be empty.
  std::function<void(const RunStats&)> progress;
  std::int64_t progress_interval_ms = 500;
  /// Called once per catalog mutation (action like "CreateTable", resource like "table/db/t"). May be empty.
  std::function<void(const std::string& action, const std::string& resource, const std::string& detail)>
      audit;
  /// Event-mode runs: "<target index>:<folder>" prefixes reported as changed; only these are listed and read
  /// (tables elsewhere are left alone). Empty: a full run.
  std::vector<std::string> only_folders;
  /// Threads that read and classify files (0: the hardware's).
  int threads = 0;
};

/// The outcome of run_crawl.
struct RunResult {
  RunStats stats;
  bool stopped = false;  ///< should_stop ended it early; what was applied stays applied
};

/// Crawls every target of `definition` and applies the result. Throws Error for what ends the run (the
/// database does not exist, a target cannot be listed); a file that cannot be read is noted and skipped.
RunResult run_crawl(const CrawlerDefinition& definition, RunContext& context);

/// A file's schema (and the bytes its classifier read) as the crawler state keeps it, and back (throws
/// Error(Unavailable) for corrupt state).
std::string file_schema_text(const FileSchema& schema, std::uint64_t sampled_bytes = 0);
FileSchema file_schema_from_text(const std::string& text, std::uint64_t* sampled_bytes = nullptr);

/// Decodes state texts, each distinct schema once (the files of one folder usually share one).
class SchemaDecoder {
 public:
  /// As file_schema_from_text.
  FileSchema decode(const std::string& text, std::uint64_t* sampled_bytes = nullptr);

 private:
  std::unordered_map<std::string, FileSchema> cache_;
};

}  // namespace cairn::crawler
