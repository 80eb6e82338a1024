#pragma once
// The CSV classifier: delimiter, quoting, header and column types of a delimited text file, from a sample of
// its first bytes. The rules (delimiter choice, header detection, type widening, SerDe) are in
// docs/crawlers.md, "Formats: CSV".

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/crawler/file_schema.h"

namespace cairn::crawler {

/// Whether the first row is a header (Glue's ContainsHeader: UNKNOWN, PRESENT, ABSENT).
enum class CsvHeader { Detect, Present, Absent };

/// Which SerDe the table gets (Glue's custom CSV classifier Serde: None = detect, OpenCSVSerDe,
/// LazySimpleSerDe).
enum class CsvSerde { Detect, OpenCsv, LazySimple };

/// A custom CSV classifier's settings; the defaults are the built-in classifier (detect everything).
struct CsvOptions {
  /// The field delimiter; nullopt detects one of ',' '|' '\t' ';' '\x01'.
  std::optional<char> delimiter;
  /// The quote symbol (default '"').
  char quote = '"';
  CsvHeader header = CsvHeader::Detect;
  /// Column names to use instead of the header's (Glue's Header list). Names beyond the columns found are
  /// ignored; columns beyond the names are named col<i>.
  std::vector<std::string> custom_header;
  /// Glue's DisableValueTrimming: when true, " 12" is the string " 12" rather than the int 12.
  bool disable_value_trimming = false;
  /// Glue's AllowSingleColumn: accept a file with one column (no delimiter found) instead of rejecting it.
  bool allow_single_column = false;
  CsvSerde serde = CsvSerde::Detect;
  /// The sample is a prefix of a larger file: its last line may be partial and is dropped.
  bool truncated = false;
};

/// Classifies `sample` (the first bytes of a file, decompressed) as CSV: columns with Hive types, SerDe,
/// input/output formats, parameters and a certainty (1.0 for a clear delimiter with consistent rows).
/// Returns nullopt when the sample is not delimited text (binary data, JSON, free text in one column unless
/// `allow_single_column`, rows whose field counts disagree, an empty sample). `record_count` counts the data
/// rows of the sample and is exact unless `options.truncated`.
std::optional<FileSchema> classify_csv(std::string_view sample, const CsvOptions& options = {});

/// The Hive type the CSV classifier infers for one column from its values (empty and \N are nulls; values
/// are trimmed unless `trim` is false): used by classify_csv and exposed for schema merging and tests.
std::string infer_csv_column_type(const std::vector<std::string_view>& values, bool trim = true);

/// A header cell as a Glue column name: ASCII lower-cased, each run of characters outside [a-z0-9_]
/// replaced by one '_' (leading and trailing ones dropped); empty when nothing is left.
std::string sanitize_csv_column_name(std::string_view header_cell);

}  // namespace cairn::crawler
