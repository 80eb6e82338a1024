// Fuzzes the crawler's readers of untrusted files: the Parquet footer, the Avro container header and blocks,
// the ORC tail, the CSV and JSON classifiers, value sampling (Parquet pages; CSV and JSON records) and the
// prefix decompressors. Each either returns a result or
// throws cairn::Error — never crashes, hangs or reads outside the input — and every column type a reader
// returns is one the catalog accepts (it parses as a Hive type and prints back unchanged).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/crawler/avro_reader.h"
#include "cairn/crawler/byte_source.h"
#include "cairn/crawler/compression.h"
#include "cairn/crawler/csv_classifier.h"
#include "cairn/crawler/json_classifier.h"
#include "cairn/crawler/orc_reader.h"
#include "cairn/crawler/parquet_reader.h"
#include "cairn/crawler/value_sample.h"

namespace {

namespace crawler = cairn::crawler;

void check_types(const crawler::FileSchema& schema) {
  for (const auto& column : schema.columns) {
    if (cairn::catalog::parse_hive_type(column.type).to_string() != column.type) __builtin_trap();
  }
}

template <class Read>
void read_binary(const std::string& bytes, Read&& read) {
  auto source = crawler::memory_source("fuzz-input", bytes);
  try {
    check_types(read(*source));
  } catch (const cairn::Error&) {
  }
}

// Small limits: the fuzzer explores the decoders, not the budget.
crawler::ValueSampleOptions sample_options() {
  crawler::ValueSampleOptions options;
  options.max_values_per_column = 50;
  options.max_bytes = 256 * 1024;
  return options;
}

void check_samples(const std::vector<crawler::ColumnValues>& columns) {
  for (const auto& c : columns) {
    if (c.values.size() > sample_options().max_values_per_column) __builtin_trap();
  }
}

template <class Classify>
void classify_text(std::string_view text, bool truncated, Classify&& classify) {
  try {
    if (auto schema = classify(text)) {
      check_types(*schema);
      check_samples(crawler::sample_text_values(text, truncated, *schema, sample_options()));
    }
  } catch (const cairn::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  read_binary(bytes, [](crawler::ByteSource& s) { return crawler::read_parquet_schema(s); });
  {
    auto source = crawler::memory_source("fuzz-input", bytes);
    try {
      check_samples(crawler::sample_parquet_values(*source, sample_options()));
    } catch (const cairn::Error&) {
    }
  }
  read_binary(bytes, [](crawler::ByteSource& s) { return crawler::read_avro_schema(s); });
  read_binary(bytes, [](crawler::ByteSource& s) { return crawler::read_orc_schema(s); });
  for (const bool truncated : {false, true}) {
    crawler::CsvOptions csv;
    csv.truncated = truncated;
    classify_text(bytes, truncated, [&](std::string_view t) { return crawler::classify_csv(t, csv); });
    crawler::JsonOptions json;
    json.truncated = truncated;
    classify_text(bytes, truncated, [&](std::string_view t) { return crawler::classify_json(t, json); });
  }
  for (const auto codec : {crawler::Codec::Gzip, crawler::Codec::Zstd, crawler::Codec::Bzip2}) {
    try {
      const std::string out = crawler::decompress_prefix(bytes, codec, 64 * 1024);
      if (out.size() > 64 * 1024) __builtin_trap();
    } catch (const cairn::Error&) {
    }
  }
  return 0;
}
