#include "cairn/crawler/classify.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "cairn/catalog/error.h"
#include "cairn/crawler/avro_reader.h"
#include "cairn/crawler/compression.h"
#include "cairn/crawler/orc_reader.h"
#include "cairn/crawler/parquet_reader.h"
#include "text_sample.h"

namespace cairn::crawler {

namespace {

// The first read of every file: the magic bytes and, for most text files, the whole sample.
constexpr std::size_t kHeadBytes = 64 * 1024;
constexpr std::size_t kMaxNameBytes = 255;
constexpr std::size_t kMaxGrokPatternBytes = 2048;
constexpr std::size_t kMaxGrokCustomPatternBytes = 16000;

// A view of `inner` that serves the bytes of its already-read head from memory, so a reader that fetches
// them again (a small Parquet file's tail, the ORC magic) costs no second read.
class HeadCachedSource : public ByteSource {
 public:
  HeadCachedSource(ByteSource& inner, const std::string& head, std::uint64_t size)
      : ByteSource(inner.name()), inner_(inner), head_(head), size_(size) {}
  std::uint64_t size() override { return size_; }

 protected:
  std::string read_at(std::uint64_t offset, std::size_t length) override {
    if (offset >= head_.size()) return inner_.read(offset, length);
    std::string out = head_.substr(static_cast<std::size_t>(offset), length);
    if (out.size() < length) out += inner_.read(head_.size(), length - out.size());
    return out;
  }

 private:
  ByteSource& inner_;
  const std::string& head_;
  std::uint64_t size_;
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

struct TextSample {
  std::string data;
  bool truncated = false;
  Codec codec = Codec::None;
};

// The first `options.text_sample_bytes` decompressed bytes of the file whose first bytes are `head`.
TextSample text_sample(ByteSource& source, std::uint64_t size, const std::string& head,
                       const ClassifyOptions& options) {
  TextSample out;
  const std::size_t want = std::max<std::size_t>(options.text_sample_bytes, 1);
  out.codec = detect_codec(head, source.name());
  if (out.codec == Codec::None) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, want));
    out.data = head.substr(0, n);
    if (n > out.data.size()) out.data += source.read(out.data.size(), n - out.data.size());
    out.truncated = size > n;
    return out;
  }
  // Compressed: decode a prefix, growing it (×4) until the sample is full, the file ends or the bound is hit.
  const std::size_t cap = max_compressed_sample_bytes(options);
  std::string compressed = head;
  while (true) {
    DecompressedSample d;
    try {
      d = decompress_sample(compressed, out.codec, want);
    } catch (const Error& e) {
      throw_invalid("data", source.name() + ": " + std::string(codec_name(out.codec)) +
                                " data does not decompress: " + e.what());
    }
    const bool whole_file = compressed.size() >= size;
    if (d.data.size() >= want || d.complete || whole_file || compressed.size() >= cap) {
      out.data = std::move(d.data);
      out.truncated = !d.complete;
      return out;
    }
    const std::uint64_t next = std::min<std::uint64_t>({size, cap, compressed.size() * 4});
    compressed += source.read(compressed.size(), static_cast<std::size_t>(next - compressed.size()));
  }
}

std::optional<FileSchema> run_custom(const CustomClassifier& c, std::string_view sample, bool truncated) {
  switch (c.kind) {
    case CustomClassifier::Kind::Csv: {
      CsvOptions o = c.csv;
      o.truncated = truncated;
      return classify_csv(sample, o);
    }
    case CustomClassifier::Kind::Json: {
      JsonOptions o = c.json;
      o.truncated = truncated;
      return classify_json(sample, o);
    }
    case CustomClassifier::Kind::Grok:
      return classify_grok(sample, c.grok, truncated);
  }
  return std::nullopt;
}

// Text classifiers in order: custom ones, then JSON and CSV. A certainty of 1.0 wins at once; otherwise
// the highest certainty, the earlier classifier on a tie.
std::optional<FileSchema> classify_text(const TextSample& sample, const ClassifyOptions& options) {
  std::optional<FileSchema> best;
  auto consider = [&best](std::optional<FileSchema> candidate) {
    if (candidate && (!best || candidate->certainty > best->certainty)) best = std::move(candidate);
    return best && best->certainty >= 1.0;
  };
  bool decided = false;
  for (const CustomClassifier& c : options.custom) {
    if ((decided = consider(run_custom(c, sample.data, sample.truncated)))) break;
  }
  if (!decided) {
    JsonOptions json;
    json.truncated = sample.truncated;
    decided = consider(classify_json(sample.data, json));
  }
  if (!decided) {
    CsvOptions csv;
    csv.truncated = sample.truncated;
    consider(classify_csv(sample.data, csv));
  }
  if (best) best->compression = std::string(codec_name(sample.codec));
  return best;
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_line_break_or_nul(char c) {
  return c == '\n' || c == '\r' || c == '\0';
}

void validate_csv(const CsvOptions& csv, const std::string& prefix) {
  if (csv.delimiter && is_line_break_or_nul(*csv.delimiter)) {
    throw_invalid(prefix + ".delimiter", "the delimiter cannot be a line break or NUL");
  }
  if (is_line_break_or_nul(csv.quote))
    throw_invalid(prefix + ".quote", "the quote cannot be a line break or NUL");
  if (csv.delimiter && *csv.delimiter == csv.quote) {
    throw_invalid(prefix + ".quote", "the quote cannot be the delimiter too");
  }
  for (std::size_t k = 0; k < csv.custom_header.size(); ++k) {
    const std::string& name = csv.custom_header[k];
    std::string field = prefix + ".custom_header[" + std::to_string(k) + "]";
    if (text::trim(name).empty()) throw_invalid(field, "a header name cannot be empty");
    if (name.size() > kMaxNameBytes) throw_invalid(field, "a header name is at most 255 bytes");
  }
}

void validate_grok(const GrokOptions& grok, const std::string& prefix) {
  if (text::trim(grok.classification).empty()) {
    throw_invalid(prefix + ".classification",
                  "a Grok classifier needs a classification (e.g. apache_access)");
  }
  if (grok.classification.size() > kMaxNameBytes ||
      std::any_of(grok.classification.begin(), grok.classification.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    throw_invalid(prefix + ".classification",
                  "the classification is at most 255 bytes without control characters");
  }
  if (grok.pattern.size() > kMaxGrokPatternBytes) {
    throw_invalid(prefix + ".pattern", "the Grok pattern is longer than 2048 bytes");
  }
  if (grok.custom_patterns.size() > kMaxGrokCustomPatternBytes) {
    throw_invalid(prefix + ".custom_patterns", "the custom patterns are longer than 16000 bytes");
  }
  std::shared_ptr<const GrokPattern> compiled;
  try {
    compiled = GrokPattern::compile(grok.pattern, grok.custom_patterns);
  } catch (const Error& e) {
    throw Error(e.code(), e.what(), prefix + "." + (e.field().empty() ? std::string("pattern") : e.field()));
  }
  if (compiled->fields().empty()) {
    throw_invalid(prefix + ".pattern",
                  "the Grok pattern names no field, so a table would have no columns: name "
                  "fields with %{PATTERN:field}");
  }
}

}  // namespace

std::size_t max_compressed_sample_bytes(const ClassifyOptions& options) {
  return 4 * std::max<std::size_t>(options.text_sample_bytes, 1) + kHeadBytes;
}

std::optional<FileSchema> classify_file(ByteSource& source, const ClassifyOptions& options) {
  const std::uint64_t size = source.size();
  if (size == 0) return std::nullopt;
  const std::string head =
      source.read(0, static_cast<std::size_t>(std::min<std::uint64_t>(size, kHeadBytes)));
  HeadCachedSource cached(source, head, size);
  // Binary formats by magic. Custom classifiers read text and cannot match these files, so they are not run.
  if (starts_with(head, "PAR1") || starts_with(head, "PARE")) return read_parquet_schema(cached);
  if (starts_with(head, std::string_view("Obj\x01", 4))) return read_avro_schema(cached);
  if (starts_with(head, "ORC")) {
    // Three letters also start text ("ORCID,name"): a file that is not ORC and reads as text is classified
    // as text.
    try {
      return read_orc_schema(cached);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::InvalidArgument || text::looks_binary(head)) throw;
    }
  }
  return classify_text(text_sample(source, size, head, options), options);
}

void validate_custom_classifier(const CustomClassifier& classifier, std::size_t index) {
  const std::string prefix = "classifiers[" + std::to_string(index) + "]";
  const std::string& name = classifier.name;
  if (name.empty() || name.size() > kMaxNameBytes || !std::all_of(name.begin(), name.end(), is_name_char)) {
    throw_invalid(prefix + ".name",
                  "a classifier name is 1 to 255 characters of letters, digits, '_' and '-'");
  }
  switch (classifier.kind) {
    case CustomClassifier::Kind::Csv:
      validate_csv(classifier.csv, prefix + ".csv");
      break;
    case CustomClassifier::Kind::Json: {
      const std::string field = prefix + ".json.json_path";
      if (classifier.json.json_path.empty()) {
        throw_invalid(field, "a JSON classifier needs a JSON path (e.g. $[*] or $.records[*])");
      }
      try {
        JsonOptions probe;
        probe.json_path = classifier.json.json_path;
        classify_json(R"({"a":1})", probe);
      } catch (const Error& e) {
        throw Error(e.code(), e.what(), field);
      }
      break;
    }
    case CustomClassifier::Kind::Grok:
      validate_grok(classifier.grok, prefix + ".grok");
      break;
  }
}

void validate_custom_classifiers(const std::vector<CustomClassifier>& classifiers) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < classifiers.size(); ++i) {
    validate_custom_classifier(classifiers[i], i);
    if (!names.insert(classifiers[i].name).second) {
      throw_invalid("classifiers[" + std::to_string(i) + "].name",
                    "the classifier name '" + classifiers[i].name + "' is used twice");
    }
  }
}

}  // namespace cairn::crawler
