#include "cairn/crawler/avro_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/text_util.h"
#include "reader_util.h"

namespace cairn::crawler {

namespace {

using catalog::HiveType;
using Kind = HiveType::Kind;
using nlohmann::json;

constexpr char kMagic[] = {'O', 'b', 'j', '\x01'};
constexpr std::size_t kMagicBytes = sizeof(kMagic);
constexpr std::size_t kSyncBytes = 16;
constexpr std::size_t kMaxVarintBytes = 10;
// Read-ahead while walking blocks: small blocks are streamed in large reads, large blocks are hopped over
// with small reads of their headers (one read per block).
constexpr std::size_t kLargeRead = 64 * 1024;
constexpr std::size_t kSmallRead = 64;
// Limits on the schema: JSON nesting, Hive type nesting (as parse_hive_type), and the number of types after
// named types are expanded (a schema referring to one record many times can grow exponentially).
constexpr int kMaxJsonDepth = 512;
constexpr int kMaxTypeDepth = 100;
constexpr std::size_t kMaxTypeNodes = 100000;
constexpr int kMaxHiveDecimalPrecision = 38;
constexpr std::int64_t kMaxVarcharLength = 65535;
constexpr std::int64_t kMaxCharLength = 255;

[[noreturn]] void fail(const std::string& file, const std::string& problem) {
  throw Error(ErrorCode::InvalidArgument, "invalid Avro file " + file + ": " + problem);
}

using catalog::text::lower;  // names compare case-insensitively, as in Hive

HiveType primitive(Kind kind, int precision = 0, int scale = 0) {
  return detail::hive_primitive(kind, precision, scale);
}

// Forward-only reads of a ByteSource through a buffer, failing with the file's name at a premature end.
class Reader {
 public:
  explicit Reader(ByteSource& source) : source_(source), size_(source.size()) {}

  std::uint64_t position() const { return pos_; }
  std::uint64_t remaining() const { return size_ - pos_; }
  bool at_end() const { return pos_ >= size_; }
  void set_read_ahead(std::size_t bytes) { read_ahead_ = bytes; }

  std::uint8_t byte(const std::string& what) {
    fill(1, what);
    return static_cast<std::uint8_t>(buffer_[static_cast<std::size_t>(pos_++ - buffer_offset_)]);
  }

  // A zig-zag varint long.
  std::int64_t varlong(const std::string& what) {
    std::uint64_t value = 0;
    for (std::size_t i = 0;; ++i) {
      const std::uint8_t b = byte(what);
      if (i == kMaxVarintBytes - 1 && b > 1)
        fail(source_.name(), what + " holds a number longer than 64 bits");
      value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) break;
    }
    return static_cast<std::int64_t>((value >> 1) ^ (~(value & 1) + 1));
  }

  std::string bytes(std::uint64_t length, const std::string& what) {
    if (length > remaining()) fail(source_.name(), "the file ends inside " + what);
    const auto n = static_cast<std::size_t>(length);
    fill(n, what);
    std::string out = buffer_.substr(static_cast<std::size_t>(pos_ - buffer_offset_), n);
    pos_ += n;
    return out;
  }

  void skip(std::uint64_t length, const std::string& what) {
    if (length > remaining()) fail(source_.name(), "the file ends inside " + what);
    pos_ += length;
  }

 private:
  // Makes [pos_, pos_ + n) available in buffer_, keeping what it already holds of that range.
  void fill(std::size_t n, const std::string& what) {
    if (n > remaining()) fail(source_.name(), "the file ends inside " + what);
    const std::uint64_t buffer_end = buffer_offset_ + buffer_.size();
    if (pos_ >= buffer_offset_ && pos_ + n <= buffer_end) return;
    std::string kept;
    if (pos_ >= buffer_offset_ && pos_ < buffer_end)
      kept = buffer_.substr(static_cast<std::size_t>(pos_ - buffer_offset_));
    const std::uint64_t from = pos_ + kept.size();
    const std::uint64_t want = std::min<std::uint64_t>(std::max(n - kept.size(), read_ahead_), size_ - from);
    std::string chunk = source_.read(from, static_cast<std::size_t>(want));
    if (chunk.size() != want) fail(source_.name(), "the file ended early while " + what + " was read");
    buffer_ = std::move(kept) + chunk;
    buffer_offset_ = pos_;
  }

  ByteSource& source_;
  std::uint64_t size_;
  std::uint64_t pos_ = 0;
  std::string buffer_;
  std::uint64_t buffer_offset_ = 0;
  std::size_t read_ahead_ = kLargeRead;
};

struct Header {
  std::map<std::string, std::string> metadata;
  std::string sync;
};

Header read_header(Reader& in, const std::string& file) {
  const std::string magic = in.bytes(kMagicBytes, "the magic");
  if (magic != std::string(kMagic, kMagicBytes))
    fail(file, "it does not start with the Avro magic 'Obj\\x01'");
  Header header;
  const std::string where = "the header's metadata";
  while (true) {
    std::int64_t count = in.varlong(where);
    if (count == 0) break;
    if (count < 0) {
      if (count == std::numeric_limits<std::int64_t>::min())
        fail(file, where + " has an invalid entry count");
      count = -count;
      if (in.varlong(where) < 0) fail(file, where + " has a negative block size");
    }
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int64_t key_length = in.varlong(where);
      if (key_length < 0) fail(file, where + " has a negative key length");
      std::string key = in.bytes(static_cast<std::uint64_t>(key_length), where);
      const std::int64_t value_length = in.varlong(where);
      if (value_length < 0) fail(file, where + " has a negative value length for '" + key + "'");
      header.metadata[std::move(key)] = in.bytes(static_cast<std::uint64_t>(value_length), where);
      if (in.position() > kAvroMaxHeaderBytes) {
        fail(file, "the header is longer than " + std::to_string(kAvroMaxHeaderBytes) + " bytes");
      }
    }
  }
  header.sync = in.bytes(kSyncBytes, "the header's sync marker");
  return header;
}

// Sums the record counts of the data blocks; reads each block's header and sync marker, skips its data.
std::int64_t count_rows(Reader& in, const std::string& file, const std::string& sync) {
  std::int64_t rows = 0;
  for (std::uint64_t block = 0; !in.at_end(); ++block) {
    const std::uint64_t offset = in.position();
    const std::string where = "block " + std::to_string(block) + " (offset " + std::to_string(offset) + ")";
    const std::int64_t count = in.varlong(where);
    const std::int64_t size = in.varlong(where);
    if (count < 0 || size < 0) fail(file, where + " has a negative record count or size");
    if (static_cast<std::uint64_t>(size) > in.remaining() ||
        in.remaining() - static_cast<std::uint64_t>(size) < kSyncBytes) {
      fail(file, where + " declares " + std::to_string(size) + " bytes of data, past the end of the file");
    }
    in.skip(static_cast<std::uint64_t>(size), where);
    in.set_read_ahead(static_cast<std::uint64_t>(size) < kLargeRead ? kLargeRead : kSmallRead);
    if (in.bytes(kSyncBytes, where) != sync) fail(file, where + " does not end with the file's sync marker");
    if (rows > std::numeric_limits<std::int64_t>::max() - count) fail(file, "the record count overflows");
    rows += count;
  }
  return rows;
}

using detail::NamedType;

// Avro schema JSON to Hive types (docs/crawlers.md, "Formats: Avro"): named types are expanded where they are
// used, a union with null is its other member, other unions are uniontype<...> (as Hive's AvroSerDe reads
// them).
class SchemaConverter {
 public:
  explicit SchemaConverter(const std::string& file) : file_(file) {}

  std::vector<NamedType> columns(const json& schema) {
    const bool is_record = schema.is_object() && schema.contains("type") && schema["type"].is_string() &&
                           (schema["type"] == "record" || schema["type"] == "error");
    if (!is_record) {
      fail(file_,
           "the top-level schema is " + describe(schema) + ", not a record; Hive reads records as rows");
    }
    std::string ns;
    const std::string name = define(schema, "", ns, "the top-level record");
    return record_fields(schema, name, ns, 0, "");
  }

 private:
  struct Definition {
    const json* schema;
    std::string ns;  // the namespace its nested names resolve in
  };

  [[noreturn]] void fail_at(const std::string& path, const std::string& problem) const {
    fail(file_, (path.empty() ? std::string("the schema") : "field '" + path + "'") + ": " + problem);
  }

  static std::string describe(const json& s) {
    if (s.is_string()) return "'" + s.get<std::string>() + "'";
    if (s.is_array()) return "a union";
    if (s.is_object() && s.contains("type") && s["type"].is_string())
      return "a " + s["type"].get<std::string>();
    return "not a type";
  }

  // Registers a record, enum or fixed under its full name; returns the full name and sets `inner_ns` to the
  // namespace its own nested definitions use.
  std::string define(const json& s, const std::string& ns, std::string& inner_ns, const std::string& path) {
    if (!s.contains("name") || !s["name"].is_string() || s["name"].get<std::string>().empty()) {
      fail_at(path, "a named type (record, enum, fixed) without a name");
    }
    const std::string name = s["name"].get<std::string>();
    std::string full;
    if (name.find('.') != std::string::npos) {
      full = name;
      inner_ns = name.substr(0, name.rfind('.'));
    } else {
      inner_ns = ns;
      if (s.contains("namespace") && s["namespace"].is_string()) inner_ns = s["namespace"].get<std::string>();
      full = inner_ns.empty() ? name : inner_ns + "." + name;
    }
    auto [it, inserted] = named_.emplace(full, Definition{&s, inner_ns});
    if (!inserted && it->second.schema != &s) fail_at(path, "the type '" + full + "' is defined twice");
    return full;
  }

  HiveType convert(const json& s, const std::string& ns, int depth, const std::string& path) {
    if (depth > kMaxTypeDepth)
      fail_at(path, "types nest deeper than " + std::to_string(kMaxTypeDepth) + " levels");
    if (++nodes_ > kMaxTypeNodes) {
      fail(file_, "the schema expands to more than " + std::to_string(kMaxTypeNodes) + " types");
    }
    if (s.is_string()) return named_or_primitive(s.get<std::string>(), ns, depth, path);
    if (s.is_array()) return union_type(s, ns, depth, path);
    if (!s.is_object() || !s.contains("type")) fail_at(path, "not an Avro type: " + s.dump().substr(0, 80));
    const json& type = s["type"];
    if (!type.is_string()) return convert(type, ns, depth, path);
    const std::string name = type.get<std::string>();
    if (name == "record" || name == "error") {
      std::string inner_ns;
      const std::string full = define(s, ns, inner_ns, path);
      return record(s, full, inner_ns, depth, path);
    }
    if (name == "enum") {
      std::string inner_ns;
      define(s, ns, inner_ns, path);
      return primitive(Kind::String);
    }
    if (name == "fixed") {
      std::string inner_ns;
      define(s, ns, inner_ns, path);
      if (!s.contains("size") || !s["size"].is_number_integer() || s["size"].get<std::int64_t>() < 0) {
        fail_at(path, "a fixed type without a valid size");
      }
      if (auto decimal = logical_decimal(s, s["size"].get<std::int64_t>())) return *decimal;
      return primitive(Kind::Binary);
    }
    if (name == "array") {
      if (!s.contains("items")) fail_at(path, "an array without items");
      HiveType t = primitive(Kind::Array);
      t.children.push_back(convert(s["items"], ns, depth + 1, path));
      return t;
    }
    if (name == "map") {
      if (!s.contains("values")) fail_at(path, "a map without values");
      HiveType t = primitive(Kind::Map);
      t.children.push_back(primitive(Kind::String));
      t.children.push_back(convert(s["values"], ns, depth + 1, path));
      return t;
    }
    if (auto logical = logical_primitive(s, name)) return *logical;
    return named_or_primitive(name, ns, depth, path);
  }

  // A primitive type name or a reference to a named type defined earlier.
  HiveType named_or_primitive(const std::string& name, const std::string& ns, int depth,
                              const std::string& path) {
    static const std::map<std::string, Kind> primitives{{"null", Kind::String},  {"boolean", Kind::Boolean},
                                                        {"int", Kind::Int},      {"long", Kind::BigInt},
                                                        {"float", Kind::Float},  {"double", Kind::Double},
                                                        {"bytes", Kind::Binary}, {"string", Kind::String}};
    if (auto it = primitives.find(name); it != primitives.end()) return primitive(it->second);
    auto found = named_.end();
    if (name.find('.') == std::string::npos && !ns.empty()) found = named_.find(ns + "." + name);
    if (found == named_.end()) found = named_.find(name);
    if (found == named_.end()) fail_at(path, "unknown type '" + name + "'");
    const json& definition = *found->second.schema;
    const std::string kind = definition["type"].get<std::string>();
    if (kind == "record" || kind == "error") {
      return record(definition, found->first, found->second.ns, depth, path);
    }
    return convert(definition, found->second.ns, depth, path);
  }

  HiveType record(const json& s, const std::string& full_name, const std::string& ns, int depth,
                  const std::string& path) {
    std::vector<NamedType> fields = record_fields(s, full_name, ns, depth, path);
    HiveType t = primitive(Kind::Struct);
    for (NamedType& field : fields) {
      t.field_names.push_back(lower(field.name));
      t.children.push_back(std::move(field.type));
    }
    return t;
  }

  std::vector<NamedType> record_fields(const json& s, const std::string& full_name, const std::string& ns,
                                       int depth, const std::string& path) {
    if (!active_.insert(full_name).second) {
      fail_at(path, "the record '" + full_name + "' contains itself; Hive types cannot be recursive");
    }
    if (!s.contains("fields") || !s["fields"].is_array())
      fail_at(path, "record '" + full_name + "' has no fields");
    if (s["fields"].empty()) {
      fail_at(path, "record '" + full_name + "' has no fields; a Hive struct needs at least one");
    }
    std::vector<NamedType> out;
    std::map<std::string, std::string> seen;  // lower-cased name -> name
    for (const json& field : s["fields"]) {
      if (!field.is_object() || !field.contains("name") || !field["name"].is_string() ||
          field["name"].get<std::string>().empty() || !field.contains("type")) {
        fail_at(path, "record '" + full_name + "' has a field without a name or a type");
      }
      const std::string name = field["name"].get<std::string>();
      auto [it, inserted] = seen.emplace(lower(name), name);
      if (!inserted) {
        fail_at(path, "record '" + full_name + "' has fields '" + it->second + "' and '" + name +
                          "', which Hive's case-insensitive names cannot tell apart");
      }
      const std::string field_path = path.empty() ? name : path + "." + name;
      out.push_back({name, convert(field["type"], ns, depth + 1, field_path)});
    }
    active_.erase(full_name);
    return out;
  }

  HiveType union_type(const json& s, const std::string& ns, int depth, const std::string& path) {
    if (s.empty()) fail_at(path, "an empty union");
    std::vector<HiveType> members;
    for (const json& member : s) {
      if (member.is_string() && member.get<std::string>() == "null") continue;
      members.push_back(convert(member, ns, depth + 1, path));
    }
    if (members.empty()) return primitive(Kind::String);
    if (members.size() == 1) return std::move(members[0]);
    HiveType t = primitive(Kind::UnionType);
    t.children = std::move(members);
    return t;
  }

  static std::optional<std::string> logical_type(const json& s) {
    if (s.contains("logicalType") && s["logicalType"].is_string()) return s["logicalType"].get<std::string>();
    return std::nullopt;
  }

  // A logical type over a primitive; nullopt when absent or invalid (the spec says to use the underlying
  // type).
  static std::optional<HiveType> logical_primitive(const json& s, const std::string& type) {
    const std::optional<std::string> logical = logical_type(s);
    if (!logical) return std::nullopt;
    if (type == "int" && *logical == "date") return primitive(Kind::Date);
    if (type == "int" && *logical == "time-millis") return primitive(Kind::Int);
    if (type == "long" && *logical == "time-micros") return primitive(Kind::BigInt);
    if (type == "long" && (*logical == "timestamp-millis" || *logical == "timestamp-micros" ||
                           *logical == "timestamp-nanos" || *logical == "local-timestamp-millis" ||
                           *logical == "local-timestamp-micros" || *logical == "local-timestamp-nanos")) {
      return primitive(Kind::Timestamp);
    }
    if (type == "bytes") return logical_decimal(s, -1);
    if (type == "string" && (*logical == "varchar" || *logical == "char") && s.contains("maxLength") &&
        s["maxLength"].is_number_integer()) {
      const std::int64_t length = s["maxLength"].get<std::int64_t>();
      const bool is_char = *logical == "char";
      if (length >= 1 && length <= (is_char ? kMaxCharLength : kMaxVarcharLength)) {
        return primitive(is_char ? Kind::Char : Kind::Varchar, static_cast<int>(length));
      }
    }
    return std::nullopt;
  }

  // decimal(p,s) over bytes (fixed_size < 0) or fixed; double beyond Hive's 38 digits (as for Parquet).
  static std::optional<HiveType> logical_decimal(const json& s, std::int64_t fixed_size) {
    const std::optional<std::string> logical = logical_type(s);
    if (!logical || *logical != "decimal") return std::nullopt;
    if (!s.contains("precision") || !s["precision"].is_number_integer()) return std::nullopt;
    const std::int64_t precision = s["precision"].get<std::int64_t>();
    std::int64_t scale = 0;
    if (s.contains("scale")) {
      if (!s["scale"].is_number_integer()) return std::nullopt;
      scale = s["scale"].get<std::int64_t>();
    }
    if (precision < 1 || scale < 0 || scale > precision) return std::nullopt;
    if (fixed_size >= 0) {
      // The most digits a signed two's-complement number of `fixed_size` bytes holds.
      const double digits = std::floor(static_cast<double>(8 * fixed_size - 1) * std::log10(2.0));
      if (fixed_size == 0 || static_cast<double>(precision) > digits) return std::nullopt;
    }
    if (precision > kMaxHiveDecimalPrecision) return primitive(Kind::Double);
    return primitive(Kind::Decimal, static_cast<int>(precision), static_cast<int>(scale));
  }

  const std::string& file_;
  std::map<std::string, Definition> named_;
  std::set<std::string>
      active_;  // records whose fields are being converted (a reference to one is recursion)
  std::size_t nodes_ = 0;
};

struct TooDeep {};

json parse_schema(const std::string& file, const std::string& text) {
  try {
    return json::parse(text, [](int depth, json::parse_event_t, json&) {
      if (depth > kMaxJsonDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    fail(file, "avro.schema nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  } catch (const json::exception& e) {
    fail(file, std::string("avro.schema is not valid JSON: ") + e.what());
  }
}

std::string compression_of(const std::string& file, const std::map<std::string, std::string>& metadata) {
  auto it = metadata.find("avro.codec");
  if (it == metadata.end() || it->second == "null") return "none";
  static const std::map<std::string, std::string> codecs{
      {"deflate", "deflate"}, {"snappy", "snappy"}, {"bzip2", "bzip2"}, {"xz", "xz"}, {"zstandard", "zstd"}};
  auto codec = codecs.find(it->second);
  if (codec == codecs.end()) fail(file, "unknown codec '" + it->second.substr(0, 64) + "'");
  return codec->second;
}

}  // namespace

FileSchema read_avro_schema(ByteSource& source) {
  const std::string& file = source.name();
  Reader in(source);
  const Header header = read_header(in, file);
  auto schema_text = header.metadata.find("avro.schema");
  if (schema_text == header.metadata.end()) fail(file, "the header has no avro.schema");
  const json schema = parse_schema(file, schema_text->second);
  std::vector<NamedType> columns = SchemaConverter(file).columns(schema);
  const std::string compression = compression_of(file, header.metadata);
  const std::int64_t rows = count_rows(in, file, header.sync);

  FileSchema result;
  result.classification = "avro";
  result.columns = detail::hive_columns(std::move(columns), "field",
                                        [&](const std::string& problem) { fail(file, problem); });
  result.record_count = rows;
  result.record_count_exact = true;
  result.compression = compression;
  result.serialization_library = "org.apache.hadoop.hive.serde2.avro.AvroSerDe";
  result.input_format = "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat";
  result.output_format = "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat";
  result.serde_parameters["serialization.format"] = "1";
  if (schema_text->second.size() <= kAvroMaxSchemaLiteralBytes) {
    result.parameters["avro.schema.literal"] = schema_text->second;
  }
  return result;
}

}  // namespace cairn::crawler
