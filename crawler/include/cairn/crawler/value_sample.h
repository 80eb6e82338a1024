#pragma once
// Value sampling for classification (issue 5): the first non-null values of each column of a file, as text,
// decoded from Parquet pages or parsed from a CSV/JSON text sample. Rules in docs/crawlers.md,
// "Value sampling".

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/crawler/byte_source.h"
#include "cairn/crawler/file_schema.h"

namespace cairn::crawler {

/// The sampled values of one column.
struct ColumnValues {
  /// Dotted path for a field of a struct (Parquet groups, JSON objects), the top-level name otherwise.
  std::string column;
  /// Non-null values as text, in file order (deterministic).
  std::vector<std::string> values;
  /// Nulls met among the rows the sample scanned.
  std::size_t nulls = 0;
  /// Why the column has no (or fewer) values when the reader could not decode it (an unsupported codec or
  /// encoding, a page over the byte budget); empty otherwise.
  std::string note;
};

struct ValueSampleOptions {
  /// Non-null values kept per column.
  std::size_t max_values_per_column = 1000;
  /// Parquet: bytes read per column (page headers and pages); a decompressed page may be 16 times larger.
  /// Text: the decompressed sample read from the start of the file.
  std::size_t max_bytes = 4 << 20;
};

/// The first non-null values of every leaf column without repetition of the Parquet file `source` (list and
/// map contents are not sampled), from the dictionary and data pages (v1, v2) of its first row groups,
/// reading only those pages. Columns with an unsupported codec or encoding keep the values decoded so far and
/// a note. Throws Error(InvalidArgument) naming the file and the problem for a corrupt, truncated or
/// encrypted file; errors of the source pass through.
std::vector<ColumnValues> sample_parquet_values(ByteSource& source, const ValueSampleOptions& options);

/// The values of each column of `schema` (as classify_csv or classify_json produced it for this file) in the
/// text `sample` (decompressed, from the start of the file; `truncated` when it is a prefix, so its last
/// record may be cut and is dropped). CSV: by the schema's delimiter, quoting and header; JSON: by top-level
/// key, fields of nested objects by dotted path, scalars only. Other classifications give an empty result.
std::vector<ColumnValues> sample_text_values(std::string_view sample, bool truncated,
                                             const FileSchema& schema, const ValueSampleOptions& options);

/// sample_text_values over the first `options.max_bytes` decompressed bytes of `source` (gzip, zstd, bzip2
/// detected as the classifier does). Throws Error(InvalidArgument) for corrupt compressed data; errors of
/// the source pass through.
std::vector<ColumnValues> sample_text_file_values(ByteSource& source, const FileSchema& schema,
                                                  const ValueSampleOptions& options);

}  // namespace cairn::crawler
