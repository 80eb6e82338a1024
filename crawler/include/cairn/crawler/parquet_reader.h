#pragma once
// Parquet: the schema, row count and compression of a file, read from its footer alone (docs/crawlers.md,
// "Formats: Parquet").

#include <cstddef>
#include <cstdint>

#include "cairn/crawler/byte_source.h"
#include "cairn/crawler/file_schema.h"

namespace cairn::crawler {

/// Bytes read from the end of a Parquet file in the first request: the trailer and, for almost every file,
/// the whole footer. A longer footer costs one more read.
inline constexpr std::size_t kParquetTailReadBytes = 64 * 1024;
/// The largest footer the reader decodes; a longer one is rejected as invalid input.
inline constexpr std::uint64_t kParquetMaxFooterBytes = 256ull * 1024 * 1024;

/// Reads the footer of the Parquet file `source` (checking the 'PAR1' magic at both ends) and returns its
/// columns as Hive types, the exact row count (sum of the row groups' rows), the codec of its column chunks
/// and Glue's ParquetHiveSerDe storage settings. Reads the last kParquetTailReadBytes, the first 4 bytes when
/// not among them, and the rest of the footer when longer. Throws Error(InvalidArgument) naming the file and
/// the problem for a corrupt, truncated or encrypted file or a schema Hive cannot express; errors of the
/// source itself pass through.
FileSchema read_parquet_schema(ByteSource& source);

}  // namespace cairn::crawler
