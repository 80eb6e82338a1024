#pragma once
// Value samples of a whole catalog table for PII classification (issue 5): the first values of each of its
// columns, read from the first files under its location in path order. One function serves both the crawl
// (right after a table is written) and `cairn classify` on demand, so both see the same values. Rules in
// docs/crawlers.md, "Value sampling".

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cairn/catalog/model.h"
#include "cairn/crawler/file_schema.h"
#include "cairn/crawler/s3_client.h"
#include "cairn/crawler/value_sample.h"

namespace cairn::crawler {

struct TableSampleOptions {
  /// Per column and per file; values of several files are concatenated up to max_values_per_column.
  ValueSampleOptions values;
  /// Files read at most (the first in path order).
  std::size_t max_files = 32;
};

struct TableSample {
  /// One entry per data column of the table (partition keys excluded), in the table's order.
  std::vector<ColumnValues> columns;
  std::size_t files_read = 0;
  /// Files that could not be read or sampled, and formats whose values are not sampled.
  std::vector<std::string> notes;
};

/// The format of `table`'s files as the crawler's classifiers describe it (classification, SerDe parameters,
/// table parameters, columns), for sample_text_values.
FileSchema table_file_schema(const catalog::Table& table);

/// Samples `table`'s data columns from the files under its location ("file://…", a plain path or
/// "s3://bucket/prefix"), in path order, skipping names that start with '.' or '_' (Hive and Spark marker
/// files): Parquet pages (sample_parquet_values) or CSV/JSON text (sample_text_file_values), matching file
/// columns to table columns by name, case-insensitively. Stops when every column holds
/// `options.values.max_values_per_column` values or `options.max_files` files were read. `s3` gives the
/// client for an S3 location (called at most once; may be empty for local tables). A file that cannot be
/// read becomes a note; a location that cannot be listed throws Error (NotFound, Unavailable, ...).
TableSample sample_table_values(const catalog::Table& table,
                                const std::function<std::shared_ptr<S3Client>()>& s3,
                                const TableSampleOptions& options);

}  // namespace cairn::crawler
