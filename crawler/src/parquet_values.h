#pragma once
// Internal to cairn_crawler: the validated footer of a Parquet file, shared by the schema reader
// (parquet_reader.cpp defines read_parquet_metadata) and the value sampler (parquet_values.cpp).

#include <cstdint>

#include "cairn/crawler/byte_source.h"
#include "parquet_footer_types.h"

namespace cairn::crawler::detail {

/// A decoded Parquet footer and where the data section ends (the offset of the footer).
struct ParquetMetadata {
  parquet_thrift::FileMetaData metadata;
  std::uint64_t data_end = 0;
};

/// Reads and decodes the footer of `source` with every check read_parquet_schema makes (magic, lengths,
/// encryption, schema shape, row groups and column chunk ranges inside [4, data_end)); throws as it does.
ParquetMetadata read_parquet_metadata(ByteSource& source);

}  // namespace cairn::crawler::detail
