#pragma once
// PII classification inside cairnd (issue 5; semantics in docs/classifiers.md, "From verdict to access"):
// settings, steward-defined entity types, column verdicts with their review state, and the tags verdicts put
// on columns, so that tag policies act on them at once. Every call is authorized and audited through
// CatalogService; the crawl hook (classify_crawled) acts as the crawler.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cairn/api/service.h"
#include "cairn/catalog/classification_records.h"
#include "cairn/classifiers/pii.h"
#include "cairn/crawler/s3_client.h"

namespace cairn::api {

/// How verdicts become tags. Stored as JSON in the store (classification_settings); defaults apply until
/// an administrator stores settings.
struct ClassificationSettings {
  /// "auto": a detected entity's tags are assigned at once (status applied); "review": it is recorded as
  /// recommended and a steward accepts or rejects it.
  std::string mode = "auto";
  /// Classify every table a crawl writes (after its transaction).
  bool classify_on_crawl = true;
  /// Non-null values sampled per column (1..10000).
  std::int64_t sample_size = 1000;
  /// Files read per table at most (1..1000), the first in path order.
  std::int64_t max_files = 32;
  /// Entity name (or "*" for every entity without its own entry) → tag key → value; "{entity}" in a value
  /// stands for the entity's name in lower case. Default {"*": {"pii": "{entity}", "sensitivity": "high"}}.
  std::map<std::string, std::map<std::string, std::string>> tags;
  std::int64_t version = 0;  ///< 0 while only defaults apply
  catalog::Timestamp update_time = 0;

  /// The tags entity `entity` maps to (keys and values normalized).
  std::map<std::string, std::string> tags_for(const std::string& entity) const;
};

/// The defaults (mode auto, classify on crawl, 1,000 values, 32 files, pii={entity} and sensitivity=high).
ClassificationSettings default_classification_settings();

/// Reads settings from a request body (absent keys keep `base`'s values); throws Error(InvalidArgument)
/// naming the field ("mode", "sample_size", "tags.EMAIL.pii", ...).
ClassificationSettings classification_settings_from_json(const nlohmann::json& body,
                                                         ClassificationSettings base);

/// What one classification of a table did.
struct ClassifyResult {
  std::string database;
  std::string table;
  std::size_t files_read = 0;
  std::vector<std::string> notes;  ///< files not sampled and why; never a value
  /// Events this classification appended (new, changed, reopened and cleared verdicts).
  std::vector<catalog::ClassificationEvent> events;
  /// The table's verdicts afterwards.
  std::vector<catalog::ColumnClassification> verdicts;
};

class ClassificationService {
 public:
  /// Gives a client for a table's s3:// location (CrawlerService::s3_client_for); may be empty.
  using S3Resolver = std::function<std::shared_ptr<crawler::S3Client>(const catalog::Table&)>;

  ClassificationService(CatalogService& catalog, S3Resolver s3);
  ~ClassificationService();
  ClassificationService(const ClassificationService&) = delete;
  ClassificationService& operator=(const ClassificationService&) = delete;

  // Settings: anyone who may describe tag keys reads them; changing them needs ManageTagKeys.
  ClassificationSettings settings(const Caller& caller);
  /// VersionConflict when `expected_version` is given and differs (0: only defaults so far).
  ClassificationSettings put_settings(const Caller& caller, const ClassificationSettings& settings,
                                      std::optional<std::int64_t> expected_version);

  // Entity types (Glue's custom entity types): DescribeTagKeys to read, ManageTagKeys to change.
  catalog::EntityTypeRecord create_entity_type(const Caller& caller,
                                               const classifiers::CustomEntityType& type);
  catalog::EntityTypeRecord get_entity_type(const Caller& caller, const std::string& name);
  std::vector<catalog::EntityTypeRecord> list_entity_types(const Caller& caller);
  void delete_entity_type(const Caller& caller, const std::string& name);

  /// Verdicts matching `filter` that the caller may see: on visible tables, of columns it may see or of
  /// tables on which it may assign tags; the masked example only where it sees the column unmasked. A page
  /// may hold fewer than its limit and still have a next token.
  catalog::Page<catalog::ColumnClassification> list(const Caller& caller,
                                                    const catalog::ClassificationFilter& filter,
                                                    const catalog::PageRequest& page);
  /// History of a table's verdicts (newest first), under the same visibility as list().
  catalog::Page<catalog::ClassificationEvent> history(const Caller& caller, const std::string& database,
                                                      const std::string& table,
                                                      const catalog::PageRequest& page);

  /// A steward's decisions (AssignTags on the table): accept assigns the entity's tags, reject removes them;
  /// neither is overwritten by later classifications (docs/classifiers.md, "Review"). NotFound when there is
  /// no such verdict (or it is not visible); VersionConflict for a stale `expected_version`.
  catalog::ColumnClassification accept(const Caller& caller, const std::string& database,
                                       const std::string& table, const std::string& column,
                                       const std::string& entity,
                                       std::optional<std::int64_t> expected_version);
  catalog::ColumnClassification reject(const Caller& caller, const std::string& database,
                                       const std::string& table, const std::string& column,
                                       const std::string& entity,
                                       std::optional<std::int64_t> expected_version);

  /// Samples the table's files now and applies the verdicts (ALTER on the table).
  ClassifyResult classify(const Caller& caller, const std::string& database, const std::string& table);
  /// The crawl hook: the same for a table crawler `crawler` just wrote, acting as "crawler:<name>"; does
  /// nothing when the settings say not to classify on crawl.
  void classify_crawled(const std::string& crawler, const std::string& database, const std::string& table);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// JSON forms for the API.
nlohmann::json to_json(const ClassificationSettings& settings);
nlohmann::json to_json(const catalog::ColumnClassification& verdict);
nlohmann::json to_json(const catalog::ClassificationEvent& event);
nlohmann::json to_json(const catalog::EntityTypeRecord& type);
nlohmann::json to_json(const ClassifyResult& result);

}  // namespace cairn::api
