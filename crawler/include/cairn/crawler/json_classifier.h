#pragma once
// The JSON classifier: the schema of newline-delimited JSON, concatenated JSON objects or a top-level array
// of objects, from a sample of the file's first bytes. Rules in docs/crawlers.md, "Formats: JSON".

#include <optional>
#include <string>
#include <string_view>

#include "cairn/crawler/file_schema.h"

namespace cairn::crawler {

/// A custom JSON classifier's settings; the defaults are the built-in classifier.
struct JsonOptions {
  /// Glue's JsonPath: the records are the values at this path in each top-level JSON value, e.g. "$[*]"
  /// (the elements of a top-level array) or "$.records[*]". Steps: .name, ['name'], [n], [*], .*.
  /// Empty: each top-level object is a record, and a top-level array's elements are the records.
  std::string json_path;
  /// The sample is a prefix of a larger file: a record cut at its end is dropped.
  bool truncated = false;
};

/// Classifies `sample` as JSON: the records' fields merged into columns (first appearance order) with Hive
/// types, the OpenX JsonSerDe, and a certainty (1.0 when every record parsed). Returns nullopt when the
/// sample is not JSON records (it does not start with { or [, no record is an object, or more than 10% of
/// its values fail to parse). Throws Error(InvalidArgument, "json_path") for a malformed `json_path`.
std::optional<FileSchema> classify_json(std::string_view sample, const JsonOptions& options = {});

}  // namespace cairn::crawler
