#pragma once
// One crawl: list the targets, read only new or changed files (the store keeps what earlier runs learnt),
// group files into tables and partitions (layout.h) and apply the result to the catalog, one table per
// transaction together with the file state it came from. Semantics: docs/crawlers.md, "Runs".

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
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
  /// Called after a table whose files changed was written (its transaction committed), with the database and
  /// the table's name in the catalog; PII classification hooks in here. Whatever it throws becomes a note of
  /// the table; the run goes on. May be empty.
  std::function<void(const std::string& database, const std::string& table)> table_written;
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

/// A file's schema (and the bytes its classifier read) as the crawler state kept it before schemas were
/// stored once per distinct schema ("<records|->,<exact 0|1>,<sampled bytes>;<schema JSON>"), and back
/// (throws Error(Unavailable) for corrupt state). Runs still read this form; they write StateSchemas' form.
std::string file_schema_text(const FileSchema& schema, std::uint64_t sampled_bytes = 0);
FileSchema file_schema_from_text(const std::string& text, std::uint64_t* sampled_bytes = nullptr);

/// The path of the state row that holds one distinct schema: the prefix, then the schema's id (32 hex digits
/// of a hash of its JSON); the row's `schema` is the JSON. A path without "<target index>:" is no file.
inline constexpr std::string_view kSchemaRowPrefix = "#schema/";

/// The path prefix of the state row that summarises one listed folder: the prefix, then "<target
/// index>:<folder>". The row's `size` is the folder's file count, `etag` a fingerprint of its listing (names,
/// sizes, mtimes or ETags), `schema` its files grouped by schema (docs/crawlers.md, "Incremental crawls").
inline constexpr std::string_view kFolderRowPrefix = "#folder/";
/// The path prefix of the state row that holds the state of every file of one folder (written with the
/// folder's row, which then has `mtime` kFolderRowWithFilesRow): the prefix, then "<target index>:<folder>".
/// Its `size` is the file count, its `schema` per file in name order "<length>:<name><size>,<mtime>,"
/// "<length>:<ETag><length>:<state text>". Folders written by earlier runs (folder row `mtime` 0) have one
/// row per file instead, "<target index>:<path>"; a run that rewrites such a folder replaces them.
inline constexpr std::string_view kFilesRowPrefix = "%files/";
inline constexpr std::int64_t kFolderRowWithFilesRow = 1;
/// The file rows a files row stands for (paths "<target index>:<path>", as the per-file rows of earlier
/// runs). Throws Error(Unavailable) for an unreadable row.
std::vector<catalog::CrawlerFile> files_of_row(const catalog::CrawlerFile& files_row);
/// The state row whose presence says that every folder with file rows has its folder row (written by the
/// first run that completes with folder rows; state of older runs lacks it and is then read whole).
inline constexpr std::string_view kFolderStateRow = "#folders";

/// The per-file state texts of one crawler, each distinct schema encoded, stored and decoded once. A file
/// row's text is "<records|->,<exact 0|1>,<sampled bytes>;#<id>", the id naming a schema row. encode, decode
/// and id_of may run on several threads at once (the crawler's readers encode what they classify); the other
/// members are for one thread at a time.
class StateSchemas {
 public:
  /// Takes a state row: a schema row (kept, true) or a file row (false, left alone).
  bool add_row(catalog::CrawlerFile& row);
  /// The state text of a file's schema; its id is recorded as used in this run.
  std::string encode(const FileSchema& schema, std::uint64_t sampled_bytes);
  /// The schema of a state text (either form); texts that differ only in the sampled bytes share one object.
  /// Throws Error(Unavailable) for corrupt state or a schema row that is missing.
  std::shared_ptr<const FileSchema> decode(const std::string& text, std::uint64_t* sampled_bytes = nullptr);
  /// The id (32 hex digits) of a schema's state row; recorded as used in this run.
  std::string id_of(const FileSchema& schema);
  /// The schema a schema row holds, without record counts, decoded once. Throws Error(Unavailable) for a
  /// missing or corrupt row.
  std::shared_ptr<const FileSchema> schema_of_id(const std::string& id);
  /// Appends to `rows` the schema rows that `rows`' file texts and folder rows name and the store may lack
  /// (call mark_stored(rows) once they are saved).
  void add_schema_rows(std::vector<catalog::CrawlerFile>& rows) const;
  /// Records that `rows` (a batch add_schema_rows completed) are saved.
  void mark_stored(const std::vector<catalog::CrawlerFile>& rows);
  /// Notes the id a stored file text names (a file that stays, or may stay, in the state).
  void reference(const std::string& text);
  /// Notes a schema id named by a stored folder row.
  void reference_id(const std::string& id);
  /// Paths of stored schema rows no file text named (reference, encode): safe to delete.
  std::vector<std::string> unreferenced_rows() const;

 private:
  struct Base {
    std::string json;                          // the schema row's text
    std::shared_ptr<const FileSchema> schema;  // decoded once, without record counts
  };
  const Base& base(const std::string& id);
  /// The id of the schema whose schema_key is `key` (registered when new); mutex_ held.
  const std::string& id_locked(std::string key, const FileSchema& schema);

  std::unordered_map<std::string, Base> by_id_;
  std::unordered_set<std::string> stored_;                  // ids with a saved schema row
  std::unordered_set<std::string> referenced_;              // ids named by texts that stay
  std::string last_reference_;                              // the id reference() saw last
  std::unordered_map<std::string, std::string> id_by_key_;  // canonical schema key -> id
  std::unordered_map<std::string, std::shared_ptr<const FileSchema>> by_text_;  // text sans sampled bytes
  std::mutex mutex_;  // encode, decode and id_of
};

}  // namespace cairn::crawler
