#pragma once
// Avro object container files: the schema from the header, the exact row count from the block headers
// (docs/crawlers.md, "Formats: Avro").

#include <cstddef>
#include <cstdint>

#include "cairn/crawler/byte_source.h"
#include "cairn/crawler/file_schema.h"

namespace cairn::crawler {

/// The largest header (magic, metadata map with the schema, sync marker) the reader accepts.
inline constexpr std::uint64_t kAvroMaxHeaderBytes = 64ull * 1024 * 1024;
/// The widest `avro.schema.literal` table parameter written (Glue's limit on a parameter value); a longer
/// schema is left out and Hive's AvroSerDe falls back to the columns.
inline constexpr std::size_t kAvroMaxSchemaLiteralBytes = 512000;

/// Reads the Avro object container `source`: columns (Hive types) from the fields of the top-level record
/// schema, the codec, and the exact row count summed over the data blocks, whose headers are read and whose
/// data is skipped (checking every block's sync marker). Throws Error(InvalidArgument) naming the file and
/// the problem for a corrupt or truncated file, an unknown codec, or a schema Hive cannot express (not a
/// record, recursive); errors of the source itself pass through.
FileSchema read_avro_schema(ByteSource& source);

}  // namespace cairn::crawler
