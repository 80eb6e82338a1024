#pragma once
// Classification of one file: custom classifiers first, then the built-in ones chosen by magic bytes or,
// for text, after decompression (docs/crawlers.md, "Classification order").

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "cairn/crawler/byte_source.h"
#include "cairn/crawler/csv_classifier.h"
#include "cairn/crawler/file_schema.h"
#include "cairn/crawler/grok.h"
#include "cairn/crawler/json_classifier.h"

namespace cairn::crawler {

/// A custom classifier of a crawler (Glue's CsvClassifier, JsonClassifier or GrokClassifier); only the
/// options of its kind are used.
struct CustomClassifier {
  std::string name;
  enum class Kind { Csv, Json, Grok } kind = Kind::Csv;
  CsvOptions csv;
  JsonOptions json;
  GrokOptions grok;
};

struct ClassifyOptions {
  /// Tried first, in order; a certainty of 1.0 wins at once.
  std::vector<CustomClassifier> custom;
  /// Decompressed bytes from the start of a text file that the text classifiers see.
  std::size_t text_sample_bytes = 1 << 20;
};

/// Compressed bytes read at most to fill the text sample of a compressed file: four times the sample (enough
/// for two full bzip2 blocks of incompressible data) plus the first read.
std::size_t max_compressed_sample_bytes(const ClassifyOptions& options);

/// The schema of one file: custom classifiers first in order (a certainty of 1.0 wins at once), then the
/// built-in ones chosen by magic bytes (PAR1 / Obj\x01 / ORC) and, for text after decompression
/// (compression.h), JSON and CSV; the highest certainty wins, the earlier classifier on a tie (Glue's rules).
/// nullopt when nothing recognises the file (Glue's UNKNOWN), including a zero-length file. Reads the first
/// 64 KiB, then only what the chosen reader needs (a footer, the rest of the text sample, a bounded
/// compressed prefix). Corrupt binary files (bad Parquet footer, truncated Avro header) and corrupt
/// compressed data throw Error(InvalidArgument) naming the file and the problem; errors of the source pass
/// through.
std::optional<FileSchema> classify_file(ByteSource& source, const ClassifyOptions& options = {});

/// Checks a custom classifier definition; `index` is its position in the crawler's list. Throws
/// Error(InvalidArgument) with field "classifiers[<index>].<what>" for: a name outside [A-Za-z0-9_-]{1,255},
/// a CSV delimiter or quote that is a line break or NUL or the same character as the other, a custom header
/// name that is empty or longer than 255 bytes, a missing or malformed JSON path, a missing Grok
/// classification, a Grok pattern longer than 2048 bytes or custom patterns longer than 16000 bytes, or a
/// Grok pattern that does not compile.
void validate_custom_classifier(const CustomClassifier& classifier, std::size_t index);

/// validate_custom_classifier for each, and no two with the same name: throws
/// Error(InvalidArgument, "classifiers[<i>].name") for the later one.
void validate_custom_classifiers(const std::vector<CustomClassifier>& classifiers);

}  // namespace cairn::crawler
