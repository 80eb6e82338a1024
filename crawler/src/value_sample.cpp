// Value sampling of text files (CSV, JSON) by the schema their classifier produced (docs/crawlers.md,
// "Value sampling"). Parquet sampling is in parquet_values.cpp.

#include "cairn/crawler/value_sample.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"
#include "cairn/crawler/compression.h"
#include "csv_parse.h"
#include "text_sample.h"

namespace cairn::crawler {

namespace {

using catalog::text::trim_ascii_space;

// Collects values per column name in a fixed column order, honouring the per-column limit.
class Collector {
 public:
  explicit Collector(std::size_t max_values) : max_values_(max_values) {}

  /// The slot of `column`, created (in first-use order) when new.
  std::size_t slot(const std::string& column) {
    auto [it, added] = index_.emplace(column, columns_.size());
    if (added) columns_.push_back(ColumnValues{column, {}, 0, {}});
    return it->second;
  }
  void value(std::size_t slot, std::string text) {
    ColumnValues& c = columns_[slot];
    if (c.values.size() < max_values_) c.values.push_back(std::move(text));
  }
  void null(std::size_t slot) {
    ColumnValues& c = columns_[slot];
    if (c.values.size() < max_values_) ++c.nulls;
  }
  bool all_full() const {
    if (columns_.empty()) return false;
    return std::all_of(columns_.begin(), columns_.end(),
                       [&](const ColumnValues& c) { return c.values.size() >= max_values_; });
  }
  std::vector<ColumnValues> take() { return std::move(columns_); }

 private:
  std::size_t max_values_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<ColumnValues> columns_;
};

// ---------------------------------------------------------------------------------------------------------
// CSV

std::string parameter(const FileSchema& schema, const char* name) {
  auto it = schema.serde_parameters.find(name);
  if (it != schema.serde_parameters.end()) return it->second;
  it = schema.parameters.find(name);
  return it == schema.parameters.end() ? std::string() : it->second;
}

// A delimiter as the CSV classifier writes it into the parameters: the character, or its code in decimal
// for digits and control characters.
char delimiter_of(const FileSchema& schema) {
  std::string d = parameter(schema, "separatorChar");
  if (d.empty()) d = parameter(schema, "delimiter");
  if (d.empty()) d = parameter(schema, "field.delim");
  if (d.size() == 1 && !(d[0] >= '0' && d[0] <= '9')) return d[0];
  if (!d.empty() && d.size() <= 3 &&
      std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return static_cast<char>(std::stoi(d));
  }
  return ',';
}

std::vector<ColumnValues> sample_csv(std::string_view body, bool truncated, const FileSchema& schema,
                                     const ValueSampleOptions& options) {
  const char delim = delimiter_of(schema);
  const std::string quote_text = parameter(schema, "quoteChar");
  const char quote = quote_text.size() == 1 ? quote_text[0] : '"';
  const bool header = parameter(schema, "skip.header.line.count") == "1";
  Collector out(options.max_values_per_column);
  for (const catalog::Column& column : schema.columns) out.slot(column.name);
  const std::size_t columns = schema.columns.size();
  std::size_t row_index = 0;
  const csv::Parsed parsed = csv::parse(body, delim, quote, truncated, SIZE_MAX);
  for (const csv::Row& parsed_row : parsed.rows) {
    const csv::Fields& row = parsed_row.fields;
    if (row_index++ == 0 && header) continue;
    for (std::size_t c = 0; c < columns; ++c) {
      std::string_view value = c < row.size() ? trim_ascii_space(row[c]) : std::string_view();
      if (value.empty() || value == "\\N") {
        out.null(c);
      } else {
        out.value(c, std::string(value));
      }
    }
    if (out.all_full()) break;
  }
  return out.take();
}

// ---------------------------------------------------------------------------------------------------------
// JSON

// One step of a JSON path (the JSON classifier's syntax): .name or ['name'], [n], [*], .*
struct Step {
  enum class Kind { Key, Index, AnyIndex, AnyKey } kind;
  std::string key;
  std::int64_t index = 0;
};

std::vector<Step> parse_json_path(const std::string& path) {
  auto bad = [&](const std::string& why) -> std::vector<Step> {
    throw Error(ErrorCode::InvalidArgument, "malformed JSON path '" + path + "': " + why, "json_path");
  };
  if (path.empty() || path[0] != '$') return bad("it must start with $");
  std::vector<Step> steps;
  std::size_t i = 1;
  while (i < path.size()) {
    if (path.compare(i, 2, ".*") == 0) {
      steps.push_back({Step::Kind::AnyKey, {}, 0});
      i += 2;
    } else if (path[i] == '.') {
      std::size_t j = i + 1;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      if (j == i + 1) return bad("an empty name");
      steps.push_back({Step::Kind::Key, path.substr(i + 1, j - i - 1), 0});
      i = j;
    } else if (path.compare(i, 3, "[*]") == 0) {
      steps.push_back({Step::Kind::AnyIndex, {}, 0});
      i += 3;
    } else if (path.compare(i, 2, "['") == 0) {
      const std::size_t close = path.find("']", i + 2);
      if (close == std::string::npos) return bad("an unclosed ['name']");
      steps.push_back({Step::Kind::Key, path.substr(i + 2, close - i - 2), 0});
      i = close + 2;
    } else if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos || close == i + 1) return bad("an unclosed or empty [n]");
      const std::string digits = path.substr(i + 1, close - i - 1);
      if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          digits.size() > 9) {
        return bad("'" + digits + "' is not an index");
      }
      steps.push_back({Step::Kind::Index, {}, std::stoll(digits)});
      i = close + 1;
    } else {
      return bad("unexpected '" + std::string(1, path[i]) + "'");
    }
  }
  return steps;
}

// SAX events of one top-level JSON value: records are the objects at the path; their scalar fields (outside
// arrays) are buffered as (dotted path, text or null) and delivered when the record closes.
class RecordSax {
 public:
  RecordSax(const std::vector<Step>& path, const std::map<std::string, std::string>& names, Collector& out)
      : path_(path), names_(names), out_(out) {}

  void reset() {
    stack_.clear();
    record_ = -1;
    pending_.clear();
    completed_ = false;
  }
  /// True once the top-level value ended (a later parse error is the start of the next value).
  bool completed() const { return completed_; }

  bool null() { return scalar(nullptr); }
  bool boolean(bool v) { return scalar(v ? "true" : "false"); }
  bool number_integer(nlohmann::json::number_integer_t v) { return scalar(std::to_string(v)); }
  bool number_unsigned(nlohmann::json::number_unsigned_t v) { return scalar(std::to_string(v)); }
  bool number_float(nlohmann::json::number_float_t, const std::string& text) { return scalar(text); }
  bool string(std::string& v) { return scalar(v); }
  bool binary(nlohmann::json::binary_t&) { return scalar(nullptr); }
  bool start_object(std::size_t) { return open(false); }
  bool key(std::string& k) {
    stack_.back().key = k;
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(true); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception&) {
    error_position_ = position;
    return false;
  }
  std::size_t error_position() const { return error_position_; }

 private:
  struct Frame {
    bool array = false;
    std::string key;
    std::int64_t index = -1;
  };
  struct Field {
    std::string column;
    bool null = false;
    std::string text;
  };

  // A value begins at the current position: counts it in its array.
  void begin_value() {
    if (!stack_.empty() && stack_.back().array) ++stack_.back().index;
  }

  bool at_record_path() const {
    if (stack_.size() != path_.size()) return false;
    for (std::size_t i = 0; i < path_.size(); ++i) {
      const Frame& f = stack_[i];
      const Step& s = path_[i];
      switch (s.kind) {
        case Step::Kind::Key:
          if (f.array || f.key != s.key) return false;
          break;
        case Step::Kind::AnyKey:
          break;
        case Step::Kind::Index:
          if (!f.array || f.index != s.index) return false;
          break;
        case Step::Kind::AnyIndex:
          if (!f.array) return false;
          break;
      }
    }
    return true;
  }

  // The column of a scalar at the top of the stack inside the record: dotted keys from the record down;
  // empty when an array lies in between (only scalars of objects are sampled).
  std::string column_here() const {
    std::string column;
    for (std::size_t i = static_cast<std::size_t>(record_); i < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.array) return {};
      // Hive matches JSON keys ignoring case and the classifier names columns in lower case; keys it had to
      // rename are in its mapping.<name> parameters.
      if (i == static_cast<std::size_t>(record_)) {
        auto it = names_.find(f.key);
        column = it == names_.end() ? catalog::text::lower(f.key) : it->second;
      } else {
        column += "." + catalog::text::lower(f.key);
      }
    }
    return column;
  }

  bool scalar(std::string text) {
    begin_value();
    if (record_ >= 0) {
      std::string column = column_here();
      if (!column.empty()) pending_.push_back({std::move(column), false, std::move(text)});
    }
    finish_top();
    return true;
  }
  bool scalar(std::nullptr_t) {
    begin_value();
    if (record_ >= 0) {
      std::string column = column_here();
      if (!column.empty()) pending_.push_back({std::move(column), true, {}});
    }
    finish_top();
    return true;
  }

  bool open(bool array) {
    begin_value();
    if (record_ < 0 && !array && at_record_path()) record_ = static_cast<int>(stack_.size());
    stack_.push_back(Frame{array, {}, -1});
    return true;
  }

  bool close() {
    stack_.pop_back();
    if (record_ >= 0 && static_cast<int>(stack_.size()) == record_) {
      for (Field& f : pending_) {
        const std::size_t slot = out_.slot(f.column);
        if (f.null) {
          out_.null(slot);
        } else {
          out_.value(slot, std::move(f.text));
        }
      }
      pending_.clear();
      record_ = -1;
    }
    finish_top();
    return true;
  }

  void finish_top() {
    if (stack_.empty()) completed_ = true;
  }

  const std::vector<Step>& path_;
  const std::map<std::string, std::string>& names_;
  Collector& out_;
  std::vector<Frame> stack_;
  int record_ = -1;  // stack depth of the open record's object frame, -1 outside a record
  std::vector<Field> pending_;
  bool completed_ = false;
  std::size_t error_position_ = 0;
};

std::vector<ColumnValues> sample_json(std::string_view body, bool truncated, const FileSchema& schema,
                                      const ValueSampleOptions& options) {
  std::string_view content = trim_ascii_space(body);
  if (content.empty()) return {};
  std::string path_text = parameter(schema, "jsonPath");
  if (path_text.empty()) path_text = content.front() == '[' ? "$[*]" : "$";
  const std::vector<Step> path = parse_json_path(path_text);
  // A JSON key -> its column name, where the classifier renamed it (the SerDe's mapping.<name> = key).
  std::map<std::string, std::string> names;
  for (const auto& [key, value] : schema.serde_parameters) {
    if (key.rfind("mapping.", 0) == 0) names.emplace(value, key.substr(8));
  }
  Collector out(options.max_values_per_column);
  for (const catalog::Column& column : schema.columns) out.slot(column.name);
  RecordSax sax(path, names, out);
  std::size_t pos = 0;
  while (!out.all_full()) {
    while (pos < body.size() && text::is_space(body[pos])) ++pos;
    if (pos >= body.size()) break;
    const std::string_view rest = body.substr(pos);
    sax.reset();
    const bool ok = nlohmann::json::sax_parse(rest.begin(), rest.end(), &sax);
    if (ok) break;  // the rest was one value
    // In strict mode a complete value followed by another fails at the first character of the next one.
    const std::size_t error_at = sax.error_position();
    if (sax.completed() && error_at >= 1) {
      pos += error_at - 1;
      continue;
    }
    if (truncated && error_at >= rest.size()) break;  // the sample cut the last value
    // A malformed value: resume at the line after the one where it started (NDJSON).
    const std::size_t line_end = body.find('\n', pos);
    if (line_end == std::string_view::npos) break;
    pos = line_end + 1;
  }
  return out.take();
}

}  // namespace

std::vector<ColumnValues> sample_text_values(std::string_view sample, bool truncated,
                                             const FileSchema& schema, const ValueSampleOptions& options) {
  const std::string_view body = text::strip_utf8_bom(sample);
  if (schema.classification == "csv") return sample_csv(body, truncated, schema, options);
  if (schema.classification == "json") return sample_json(body, truncated, schema, options);
  return {};
}

std::vector<ColumnValues> sample_text_file_values(ByteSource& source, const FileSchema& schema,
                                                  const ValueSampleOptions& options) {
  const std::uint64_t size = source.size();
  const std::size_t head_length = static_cast<std::size_t>(std::min<std::uint64_t>(size, 8));
  const Codec codec = detect_codec(source.read(0, head_length), source.name());
  if (codec == Codec::None) {
    const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(size, options.max_bytes));
    const std::string sample = source.read(0, length);
    return sample_text_values(sample, length < size, schema, options);
  }
  // Compressed: read growing prefixes until the sample is full or the file ends (at most four times the
  // sample, as the classifier bounds its compressed reads).
  const std::uint64_t cap =
      std::min<std::uint64_t>(size, 4 * static_cast<std::uint64_t>(options.max_bytes) + 65536);
  std::uint64_t read = std::min<std::uint64_t>(cap, 65536);
  while (true) {
    const std::string compressed = source.read(0, static_cast<std::size_t>(read));
    DecompressedSample d;
    try {
      d = decompress_sample(compressed, codec, options.max_bytes);
    } catch (const Error& e) {
      throw Error(ErrorCode::InvalidArgument, source.name() + ": " + std::string(codec_name(codec)) +
                                                  " data does not decompress: " + e.what());
    }
    if (d.complete || d.data.size() >= options.max_bytes || read >= cap) {
      return sample_text_values(d.data, !d.complete, schema, options);
    }
    read = std::min<std::uint64_t>(cap, read * 4);
  }
}

}  // namespace cairn::crawler
