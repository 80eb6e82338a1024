#pragma once
// What a format reader or classifier learns from one file: the shared result type of crawler/ readers.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cairn/catalog/model.h"

namespace cairn::crawler {

/// The schema and storage facts of one file, in Glue's terms.
struct FileSchema {
  /// Glue classification: "parquet", "avro", "orc", "csv", "json", or a custom classifier's name.
  std::string classification;
  /// Columns with Hive type strings (catalog/hive_type.h validates them), in file order.
  std::vector<catalog::Column> columns;
  /// Rows in the file when the format says so without reading data (Parquet footer, Avro block counts), or
  /// the rows counted in the sample for text formats (see `record_count_exact`).
  std::optional<std::int64_t> record_count;
  bool record_count_exact = false;
  /// "none", "gzip", "zstd", "bzip2", "snappy" (Glue's compressionType).
  std::string compression = "none";
  /// SerDe and formats as Glue writes them into the StorageDescriptor.
  std::string serialization_library;
  std::string input_format;
  std::string output_format;
  /// SerDe parameters (e.g. field.delim, separatorChar, quoteChar, escapeChar, skip.header.line.count).
  std::map<std::string, std::string> serde_parameters;
  /// Table parameters this file contributes (e.g. delimiter, skip.header.line.count).
  std::map<std::string, std::string> parameters;
  /// How sure the classifier is, 0..1 (custom classifiers: 1.0 wins; Glue's semantics).
  double certainty = 1.0;
};

}  // namespace cairn::crawler
