#pragma once
// Tables and partitions from classified files: which folders are tables, which are partitions, the merged
// schemas and Glue's table parameters. Pure computation, no I/O. The grouping rule, with examples, is in
// docs/crawlers.md, "Tables and partitions".

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/catalog/model.h"
#include "cairn/crawler/file_schema.h"

namespace cairn::crawler {

/// One listed file and what the classifiers made of it.
struct CrawledFile {
  /// Relative to the crawl target's root, '/'-separated, no leading '/'. A path ending in '/' is a folder
  /// marker object and is ignored.
  std::string path;
  std::uint64_t size = 0;
  /// nullopt: no classifier recognised the file (Glue's UNKNOWN).
  std::optional<FileSchema> schema;
  /// Bytes of the stored file that the classifier's sample covered. With an inexact `record_count` the
  /// file's records are estimated as record_count × size / sampled_bytes; 0 = unknown (the sample's count
  /// is taken as it is).
  std::uint64_t sampled_bytes = 0;
  /// The schema shared with other files (the crawler's runs pass one object per distinct schema and record
  /// count); used when `schema` is empty. Both empty: unrecognised.
  std::shared_ptr<const FileSchema> shared_schema = nullptr;

  /// A group: more files of the folder of `path` (their names) that the entry stands for too. All its
  /// files have the entry's format and columns (their record counts may differ: see `group_records`) and
  /// the same kind of name (all data files, or all skipped by name); `size` is the bytes of all of them.
  /// The plan is the one of the files given one by one (skipped files may be listed in another order). The
  /// crawler's runs give each folder's files as groups, one per schema (docs/crawlers.md, "Incremental
  /// crawls").
  std::vector<std::string> more_names = {};
  /// Of a group: the records of all its files, each counted as file_records() counts a single file's;
  /// nullopt: counted from the schema as one file.
  std::optional<std::int64_t> group_records = std::nullopt;
  /// Of a group: whether every file's record count is exact (or absent).
  bool group_counts_exact = true;

  /// The file's schema (`schema`, else `shared_schema`), or null when no classifier recognised it.
  const FileSchema* schema_ptr() const { return schema ? &*schema : shared_schema.get(); }
  /// The files the entry stands for.
  std::uint64_t objects() const { return 1 + more_names.size(); }
};

/// Glue's grouping settings.
struct LayoutOptions {
  /// Glue's Grouping.TableGroupingPolicy = CombineCompatibleSchemas: any two schemas of the same format
  /// combine, whatever their columns.
  bool combine_compatible_schemas = false;
  /// Glue's Grouping.TableLevelConfiguration: 0 = automatic; n ≥ 1 = every folder at level n holds a table
  /// (the target root is level 1, its sub-folders level 2, …).
  int table_level = 0;
  /// Prepended to every table name (then sanitized with it).
  std::string table_prefix;
  /// The raw name of a table rooted at the target root itself (e.g. the target folder's last segment, or
  /// the bucket); empty gives "table".
  std::string root_name;
  /// A partition whose files share one schema that an earlier partition of the table had too gets
  /// `same_as` instead of its own copy of that partition's columns, format and parameters (see
  /// PlannedPartition::same_as). For callers that use few of many partitions (the crawler's re-crawls).
  bool share_partition_schemas = false;
};

/// A file inside a table's tree (or outside every table) that the plan does not use, and why.
struct SkippedFile {
  std::string path;
  std::string reason;
};

struct PlannedPartition {
  /// One per partition key of the table, in key order: the Hive-unescaped `value` of a `key=value` folder,
  /// else the folder name as it is.
  std::vector<std::string> values;
  /// Relative folder of the partition (no trailing '/').
  std::string location;
  /// The merged schema of this partition's files (each partition keeps its own).
  std::vector<catalog::Column> columns;
  /// Classification, SerDe, formats and their parameters; `format.columns` is left empty (see `columns`).
  FileSchema format;
  /// Glue's parameters (see PlannedTable::parameters) for this partition's files.
  std::map<std::string, std::string> parameters;
  std::int64_t object_count = 0;
  std::int64_t record_count = 0;
  std::uint64_t size = 0;
  /// Only with LayoutOptions::share_partition_schemas: the columns, format and parameters this partition
  /// has but for its own counts (objectCount, recordCount, sizeKey, averageRecordSize), shared with the
  /// other partitions like it; `columns`, `format` and `parameters` are then empty until
  /// complete_partition() fills them.
  std::shared_ptr<const PlannedPartition> same_as = nullptr;
};

/// Fills `p`'s columns, format and parameters from p.same_as, which it resets; does nothing when it is null.
void complete_partition(PlannedPartition& p);

struct PlannedTable {
  /// Sanitized to [a-z0-9_] with the table prefix, unique in the plan.
  std::string name;
  /// Relative folder of the table root ("" = the target root). Table locations never nest.
  std::string location;
  /// The merge of the partitions' schemas (or of the files' for an unpartitioned table), without the
  /// partition keys.
  std::vector<catalog::Column> columns;
  /// `key` of `key=value` folders, else partition_<level index>; all of type string.
  std::vector<catalog::Column> partition_keys;
  /// Classification, SerDe, formats and their parameters of the table; `format.columns` is left empty.
  FileSchema format;
  /// classification, compressionType, typeOfData=file, objectCount, recordCount, sizeKey,
  /// averageRecordSize, CrawlerSchema{Serializer,Deserializer}Version, and the format's own (delimiter,
  /// areColumnsQuoted, columnsOrdered, skip.header.line.count, jsonPath, avro.schema.literal).
  std::map<std::string, std::string> parameters;
  /// Sorted by location; empty for an unpartitioned table.
  std::vector<PlannedPartition> partitions;
  std::int64_t object_count = 0;
  std::int64_t record_count = 0;
  std::uint64_t size = 0;
  /// Files inside the table's folder tree that the table does not use, with the reason.
  std::vector<SkippedFile> skipped_files;
  /// What a person should know about the plan of this table (dropped or renamed columns, skipped files).
  std::vector<std::string> notes;
};

struct LayoutResult {
  /// Sorted by location.
  std::vector<PlannedTable> tables;
  /// Every file no classifier recognised (also listed in its table's `skipped_files` when inside one).
  std::vector<std::string> unclassified;
  /// Files outside every table's tree that were left out (hidden files, files above the table level,
  /// files beside folders that hold tables), with the reason.
  std::vector<SkippedFile> skipped;
};

/// Groups `files` into tables and partitions by the rule of docs/crawlers.md ("Tables and partitions"); an
/// empty input gives an empty plan. Any set of paths is accepted; throws Error(InvalidArgument) only for a
/// column type that is not a Hive type. O(n log n) in the number of files.
LayoutResult plan_layout(std::vector<CrawledFile> files, const LayoutOptions& options = {});

/// The records a file of `size` bytes counts for in recordCount: an exact count as it is; a sample's count
/// scaled by size ÷ sampled_bytes (rounded) when the sample covered less than the file; 0 without a count.
std::int64_t file_records(const FileSchema& schema, std::uint64_t size, std::uint64_t sampled_bytes);

/// Why plan_layout leaves out a file named `name` (its last path segment) whatever its content (hidden,
/// checksum, folder marker), or "" when the name is a data file's.
std::string skipped_name_reason(std::string_view name);

/// The narrowest Hive type that holds values of both `a` and `b` (docs/crawlers.md, widening table); the
/// result does not depend on the order of the arguments. Throws Error(InvalidArgument) for an unparsable
/// type.
std::string widen_hive_type(std::string_view a, std::string_view b);

/// Union of two column lists by name (ASCII case-insensitive), in order of first appearance (a's columns,
/// then b's new ones), types widened with widen_hive_type; a column keeps its first spelling and comment.
std::vector<catalog::Column> merge_columns(const std::vector<catalog::Column>& a,
                                           const std::vector<catalog::Column>& b);

/// A table name from a folder name: ASCII lower-cased, each run of characters outside [a-z0-9_] replaced
/// by one '_' (none at the ends), at most 255 bytes; "table" when nothing is left. Never empty.
std::string sanitize_table_name(std::string_view raw);

}  // namespace cairn::crawler
