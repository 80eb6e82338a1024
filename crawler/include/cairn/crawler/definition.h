#pragma once
// A crawler's definition (Glue's Crawler: targets, database, prefix, schema change and recrawl policies,
// grouping, custom classifiers, schedule), its JSON form as the API and the store carry it, and its
// validation. Semantics: docs/crawlers.md, "Crawler definitions".

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cairn/crawler/classify.h"

namespace cairn::crawler {

/// One place to crawl: a local directory ("file:///abs/dir" or "/abs/dir") or "s3://bucket/prefix" reached
/// through a named connection (endpoint, region, credentials; see the connections API).
struct CrawlTarget {
  std::string path;
  std::string connection;               ///< required for s3://, empty for local paths
  std::vector<std::string> exclusions;  ///< globs relative to the target's root (glob.h)
  /// Files read per leaf folder (Glue's SampleSize, 1..249); 0 reads every file.
  int sample_size = 0;

  bool is_s3() const { return path.rfind("s3://", 0) == 0; }
  /// The local directory of a local target ("file://" removed).
  std::string local_dir() const;
};

struct CrawlerDefinition {
  std::string name;
  std::string description;
  std::vector<CrawlTarget> targets;
  std::string database;      ///< where tables go (must exist)
  std::string table_prefix;  ///< prepended to every table name
  /// Glue's SchemaChangePolicy.
  std::string update_behavior = "UPDATE_IN_DATABASE";     ///< or LOG
  std::string delete_behavior = "DEPRECATE_IN_DATABASE";  ///< or LOG, DELETE_FROM_DATABASE
  /// Glue's CrawlerOutput.Tables.AddOrUpdateBehavior = MergeNewColumns: add new columns, never change or
  /// remove existing ones.
  bool merge_new_columns_only = false;
  /// Glue's RecrawlPolicy: CRAWL_EVERYTHING or CRAWL_NEW_FOLDERS_ONLY.
  std::string recrawl_behavior = "CRAWL_EVERYTHING";
  /// Glue's Grouping: TableGroupingPolicy = CombineCompatibleSchemas, TableLevelConfiguration.
  bool combine_compatible_schemas = false;
  int table_level = 0;
  /// Tried before the built-in classifiers, in order.
  std::vector<CustomClassifier> classifiers;
  /// "" (on demand only), "cron(...)" or "rate(...)" (schedule.h).
  std::string schedule;
};

/// Checks every field; throws Error(InvalidArgument, field) naming the first bad one (e.g. "targets[1].path",
/// "schedule", "classifiers[0].grok.pattern") and what is wrong.
void validate(const CrawlerDefinition& definition);

/// JSON form (snake_case keys, as docs/api/openapi.yaml's Crawler). from_json throws
/// Error(InvalidArgument, field) for a wrong type or an unknown enum value; it does not run validate().
nlohmann::json to_json(const CrawlerDefinition& definition);
CrawlerDefinition definition_from_json(const nlohmann::json& body);

}  // namespace cairn::crawler
