#pragma once
// ORC: the schema, row count and compression of a file, read from its tail alone (docs/crawlers.md,
// "Formats: ORC").

#include <cstddef>
#include <cstdint>

#include "cairn/crawler/byte_source.h"
#include "cairn/crawler/file_schema.h"

namespace cairn::crawler {

/// Bytes read from the end of an ORC file in the first request: the postscript and, for almost every file,
/// the footer. A longer footer costs one more read.
inline constexpr std::size_t kOrcTailReadBytes = 64 * 1024;
/// The largest footer the reader accepts, compressed or decompressed.
inline constexpr std::uint64_t kOrcMaxFooterBytes = 256ull * 1024 * 1024;

/// Reads the tail of the ORC file `source` (postscript, then the footer, decompressed with the file's codec
/// when it is zlib, snappy or zstd) and returns its columns as Hive types, the exact row count, the codec and
/// Glue's OrcSerde storage settings. Reads the last kOrcTailReadBytes, the first 3 bytes when not among them,
/// and the rest of the footer when longer. Throws Error(InvalidArgument) naming the file and the problem for
/// a corrupt or truncated file, a footer compressed with LZO or LZ4, or a schema Hive cannot express; errors
/// of the source itself pass through.
FileSchema read_orc_schema(ByteSource& source);

}  // namespace cairn::crawler
