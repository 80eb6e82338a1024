#include "cairn/crawler/parquet_reader.h"

#include <thrift/TConfiguration.h>
#include <thrift/Thrift.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/text_util.h"
#include "parquet_footer_types.h"
#include "parquet_values.h"
#include "reader_util.h"

namespace cairn::crawler {

namespace {

namespace pt = parquet_thrift;
using catalog::HiveType;
using Kind = HiveType::Kind;

constexpr std::size_t kMagicBytes = 4;
constexpr std::size_t kTrailerBytes = 8;  // little-endian footer length, then the magic
constexpr char kMagic[] = "PAR1";
constexpr char kEncryptedMagic[] = "PARE";
// Guards the recursive schema walk; Hive itself nests types at most 100 deep (parse_hive_type checks that).
constexpr int kMaxSchemaDepth = 256;
// Thrift's own guard for nested structures (its default).
constexpr int kThriftRecursionLimit = 64;
// Hive's decimal holds at most 38 digits; wider Parquet decimals are read as double, as DuckDB does.
constexpr std::int32_t kMaxHiveDecimalPrecision = 38;
// ConvertedType 24 is the legacy NULL annotation some old writers used; it is not in parquet.thrift any more.
constexpr int kLegacyNullConvertedType = 24;

[[noreturn]] void fail(const std::string& file, const std::string& problem) {
  throw Error(ErrorCode::InvalidArgument, "invalid Parquet file " + file + ": " + problem);
}

using catalog::text::lower;  // names compare case-insensitively, as in Hive

// Four magic bytes for a message: as text when printable, else as hex.
std::string describe_magic(const std::string& bytes) {
  bool printable = true;
  for (char c : bytes) printable = printable && c >= 0x20 && c < 0x7f;
  if (printable) return "'" + bytes + "'";
  static const char* hex = "0123456789abcdef";
  std::string out = "0x";
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    out += hex[u >> 4];
    out += hex[u & 15];
  }
  return out;
}

HiveType primitive(Kind kind) {
  HiveType t;
  t.kind = kind;
  return t;
}

HiveType decimal_type(int precision, int scale) {
  HiveType t;
  t.kind = Kind::Decimal;
  t.precision = precision;
  t.scale = scale;
  return t;
}

HiveType array_of(HiveType element) {
  HiveType t;
  t.kind = Kind::Array;
  t.children.push_back(std::move(element));
  return t;
}

// The name of a Parquet enum value for messages: its name in parquet.thrift, or the number when unknown.
std::string enum_name(const std::map<int, const char*>& names, std::int32_t value) {
  auto it = names.find(value);
  return it == names.end() ? std::to_string(value) : it->second;
}
std::string type_name(std::int32_t physical) {
  return enum_name(pt::_Type_VALUES_TO_NAMES, physical);
}
std::string converted_type_name(std::int32_t converted) {
  return enum_name(pt::_ConvertedType_VALUES_TO_NAMES, converted);
}

bool is_byte_array(std::int32_t physical) {
  return physical == pt::Type::BYTE_ARRAY || physical == pt::Type::FIXED_LEN_BYTE_ARRAY;
}

std::string codec_name(std::int32_t codec) {
  switch (codec) {
    case pt::CompressionCodec::UNCOMPRESSED:
      return "none";
    case pt::CompressionCodec::SNAPPY:
      return "snappy";
    case pt::CompressionCodec::GZIP:
      return "gzip";
    case pt::CompressionCodec::LZO:
      return "lzo";
    case pt::CompressionCodec::BROTLI:
      return "brotli";
    case pt::CompressionCodec::LZ4:
    case pt::CompressionCodec::LZ4_RAW:
      return "lz4";
    case pt::CompressionCodec::ZSTD:
      return "zstd";
  }
  return {};
}

using detail::NamedType;

// A primitive column of the schema, in the order of the column chunks of every row group.
struct Leaf {
  std::string path;
  int max_repetition_level = 0;
};

// Turns Parquet's flattened schema tree into Hive column types, reading nested shapes the way DuckDB does
// (see docs/crawlers.md, "Formats: Parquet").
class SchemaConverter {
 public:
  SchemaConverter(const std::string& file, const std::vector<pt::SchemaElement>& schema)
      : file_(file), schema_(schema) {}

  std::vector<NamedType> convert() {
    if (schema_.empty()) fail(file_, "the footer has an empty schema");
    const pt::SchemaElement& root = schema_[0];
    if (!root.__isset.num_children || root.num_children <= 0) fail(file_, "the schema has no columns");
    std::size_t next = 1;
    std::vector<NamedType> columns = convert_children(next, 0, 1, 0, "");
    if (next != schema_.size()) {
      fail(file_, "the schema has " + std::to_string(schema_.size() - next) +
                      " element(s) after the last column of its root");
    }
    return columns;
  }

  const std::vector<Leaf>& leaves() const { return leaves_; }

 private:
  [[noreturn]] void fail_column(const std::string& path, const std::string& problem) const {
    fail(file_, "column '" + path + "': " + problem);
  }

  std::vector<NamedType> convert_children(std::size_t& next, std::size_t group_index, int depth, int max_rep,
                                          const std::string& path) {
    const pt::SchemaElement& group = schema_[group_index];
    std::vector<NamedType> children;
    for (std::int32_t i = 0; i < group.num_children; ++i) {
      if (next >= schema_.size()) {
        const std::string what = group_index == 0 ? "the root" : "group '" + path + "'";
        fail(file_, "the schema ends after " + std::to_string(i) + " of the " +
                        std::to_string(group.num_children) + " children of " + what);
      }
      children.push_back(convert_element(next, depth, max_rep, path));
    }
    // Names that collide ignoring case get "_1", "_2", ... (as DuckDB does): Hive names are case-insensitive.
    std::unordered_map<std::string, std::size_t> seen;
    for (NamedType& child : children) {
      std::string name = child.name;
      std::string key = lower(name);
      for (auto it = seen.find(key); it != seen.end(); it = seen.find(key)) {
        name += "_" + std::to_string(++it->second);
        key = lower(name);
      }
      seen.emplace(std::move(key), 0);
      child.name = std::move(name);
    }
    return children;
  }

  static bool annotated_list(const pt::SchemaElement& e) {
    return (e.__isset.converted_type && e.converted_type == pt::ConvertedType::LIST) ||
           (e.__isset.logicalType && e.logicalType.__isset.LIST);
  }
  static bool annotated_map(const pt::SchemaElement& e) {
    return (e.__isset.converted_type && e.converted_type == pt::ConvertedType::MAP) ||
           (e.__isset.logicalType && e.logicalType.__isset.MAP);
  }

  NamedType convert_element(std::size_t& next, int depth, int max_rep, const std::string& parent_path) {
    const std::size_t index = next++;
    const pt::SchemaElement& e = schema_[index];
    const std::string path = parent_path.empty() ? e.name : parent_path + "." + e.name;
    if (depth > kMaxSchemaDepth) {
      fail(file_, "the schema nests deeper than " + std::to_string(kMaxSchemaDepth) + " levels");
    }
    bool repeated = false;
    if (e.__isset.repetition_type) {
      switch (e.repetition_type) {
        case pt::FieldRepetitionType::REQUIRED:
        case pt::FieldRepetitionType::OPTIONAL:
          break;
        case pt::FieldRepetitionType::REPEATED:
          repeated = true;
          break;
        case pt::FieldRepetitionType::VECTOR:
          fail_column(path, "the VECTOR repetition is not supported");
        default:
          fail_column(path, "unknown repetition type " + std::to_string(e.repetition_type));
      }
    }
    if (repeated) ++max_rep;

    if (e.__isset.num_children && e.num_children > 0) {
      std::vector<NamedType> children = convert_children(next, index, depth + 1, max_rep, path);
      bool is_map_key_value =
          e.__isset.converted_type && e.converted_type == pt::ConvertedType::MAP_KEY_VALUE;
      if (!is_map_key_value) {
        // The only child of a MAP group is its key/value group, annotated or not.
        const pt::SchemaElement& previous = schema_[index - 1];
        is_map_key_value = index > 1 && annotated_map(previous) && previous.__isset.num_children &&
                           previous.num_children == 1;
      }
      if (is_map_key_value) {
        if (children.size() != 2) {
          fail_column(path, "a map's key/value group needs two children (key and value), it has " +
                                std::to_string(children.size()));
        }
        if (!repeated) fail_column(path, "a map's key/value group must be repeated");
        HiveType map;
        map.kind = Kind::Map;
        map.children.push_back(std::move(children[0].type));
        map.children.push_back(std::move(children[1].type));
        return {e.name, std::move(map)};
      }
      HiveType type;
      if (children.size() > 1 || (!annotated_list(e) && !annotated_map(e) && !repeated)) {
        type.kind = Kind::Struct;
        for (NamedType& child : children) {
          type.field_names.push_back(lower(child.name));
          type.children.push_back(std::move(child.type));
        }
      } else {
        // A LIST or MAP group, or a repeated group, with one child stands for that child (3-level lists,
        // legacy 2-level lists, repeated single-field groups).
        type = std::move(children[0].type);
      }
      if (repeated) type = array_of(std::move(type));
      return {e.name, std::move(type)};
    }

    if (!e.__isset.type)
      fail_column(path, "neither a group (no children) nor a primitive (no physical type)");
    leaves_.push_back({path, max_rep});
    HiveType type = leaf_type(e, path);
    if (repeated) type = array_of(std::move(type));
    return {e.name, std::move(type)};
  }

  HiveType decimal(const std::string& path, std::int32_t physical, std::int32_t precision,
                   std::int32_t scale) const {
    if (physical != pt::Type::INT32 && physical != pt::Type::INT64 && !is_byte_array(physical)) {
      fail_column(path, "DECIMAL on physical type " + type_name(physical));
    }
    if (precision < 1 || scale < 0 || scale > precision) {
      fail_column(path, "invalid DECIMAL precision " + std::to_string(precision) + " and scale " +
                            std::to_string(scale));
    }
    if (precision > kMaxHiveDecimalPrecision) return primitive(Kind::Double);
    return decimal_type(precision, scale);
  }

  [[noreturn]] void wrong_physical(const std::string& path, const std::string& annotation,
                                   std::int32_t physical) const {
    fail_column(path, annotation + " on physical type " + type_name(physical));
  }

  // The annotation of a primitive column: its logical type when set and meaningful, else its converted type,
  // else its physical type.
  HiveType leaf_type(const pt::SchemaElement& e, const std::string& path) const {
    const std::int32_t physical = e.type;
    if (physical < pt::Type::BOOLEAN || physical > pt::Type::FIXED_LEN_BYTE_ARRAY) {
      fail_column(path, "unknown physical type " + std::to_string(physical));
    }
    if (physical == pt::Type::FIXED_LEN_BYTE_ARRAY && (!e.__isset.type_length || e.type_length < 0)) {
      fail_column(path, "FIXED_LEN_BYTE_ARRAY without a valid type_length");
    }
    if (e.__isset.logicalType) {
      const pt::LogicalType& logical = e.logicalType;
      if (logical.__isset.UUID && physical == pt::Type::FIXED_LEN_BYTE_ARRAY) return primitive(Kind::String);
      if (logical.__isset.FLOAT16 && physical == pt::Type::FIXED_LEN_BYTE_ARRAY && e.type_length == 2) {
        return primitive(Kind::Float);
      }
      if (logical.__isset.TIMESTAMP) {
        if (physical != pt::Type::INT64) wrong_physical(path, "TIMESTAMP", physical);
        return primitive(Kind::Timestamp);
      }
      if (logical.__isset.TIME) {
        // Hive has no time-of-day type: the count since midnight, as stored.
        if (physical == pt::Type::INT32) return primitive(Kind::Int);
        if (physical == pt::Type::INT64) return primitive(Kind::BigInt);
        wrong_physical(path, "TIME", physical);
      }
      if (logical.__isset.STRING || logical.__isset.ENUM || logical.__isset.JSON) {
        if (!is_byte_array(physical)) wrong_physical(path, "a string logical type", physical);
        return primitive(Kind::String);
      }
      if (logical.__isset.BSON || logical.__isset.GEOMETRY || logical.__isset.GEOGRAPHY) {
        if (!is_byte_array(physical)) wrong_physical(path, "a binary logical type", physical);
        return primitive(Kind::Binary);
      }
      if (logical.__isset.DATE) {
        if (physical != pt::Type::INT32) wrong_physical(path, "DATE", physical);
        return primitive(Kind::Date);
      }
      if (logical.__isset.DECIMAL) {
        return decimal(path, physical, logical.DECIMAL.precision, logical.DECIMAL.scale);
      }
      if (logical.__isset.INTEGER) return integer_type(path, physical, logical.INTEGER);
    }
    if (e.__isset.converted_type) return converted_leaf_type(e, path);
    return physical_type(physical);
  }

  HiveType integer_type(const std::string& path, std::int32_t physical, const pt::IntType& integer) const {
    const int width = integer.bitWidth;
    const bool wide = width == 64;
    if (width != 8 && width != 16 && width != 32 && width != 64) {
      fail_column(path, "INTEGER logical type with bit width " + std::to_string(width));
    }
    if (physical != (wide ? pt::Type::INT64 : pt::Type::INT32)) {
      wrong_physical(path, "INTEGER(" + std::to_string(width) + ")", physical);
    }
    // Unsigned integers widen to the next signed type; a 64-bit one needs decimal(20,0).
    switch (width) {
      case 8:
        return primitive(integer.isSigned ? Kind::TinyInt : Kind::SmallInt);
      case 16:
        return primitive(integer.isSigned ? Kind::SmallInt : Kind::Int);
      case 32:
        return primitive(integer.isSigned ? Kind::Int : Kind::BigInt);
      default:
        return integer.isSigned ? primitive(Kind::BigInt) : decimal_type(20, 0);
    }
  }

  HiveType converted_leaf_type(const pt::SchemaElement& e, const std::string& path) const {
    using CT = pt::ConvertedType;
    const std::int32_t physical = e.type;
    auto expect = [&](std::int32_t wanted, const char* annotation, HiveType result) {
      if (physical != wanted) wrong_physical(path, annotation, physical);
      return result;
    };
    switch (e.converted_type) {
      case CT::INT_8:
        return expect(pt::Type::INT32, "INT_8", primitive(Kind::TinyInt));
      case CT::INT_16:
        return expect(pt::Type::INT32, "INT_16", primitive(Kind::SmallInt));
      case CT::INT_32:
        return expect(pt::Type::INT32, "INT_32", primitive(Kind::Int));
      case CT::INT_64:
        return expect(pt::Type::INT64, "INT_64", primitive(Kind::BigInt));
      case CT::UINT_8:
        return expect(pt::Type::INT32, "UINT_8", primitive(Kind::SmallInt));
      case CT::UINT_16:
        return expect(pt::Type::INT32, "UINT_16", primitive(Kind::Int));
      case CT::UINT_32:
        return expect(pt::Type::INT32, "UINT_32", primitive(Kind::BigInt));
      case CT::UINT_64:
        return expect(pt::Type::INT64, "UINT_64", decimal_type(20, 0));
      case CT::DATE:
        return expect(pt::Type::INT32, "DATE", primitive(Kind::Date));
      case CT::TIMESTAMP_MILLIS:
        return expect(pt::Type::INT64, "TIMESTAMP_MILLIS", primitive(Kind::Timestamp));
      case CT::TIMESTAMP_MICROS:
        return expect(pt::Type::INT64, "TIMESTAMP_MICROS", primitive(Kind::Timestamp));
      case CT::TIME_MILLIS:
        return expect(pt::Type::INT32, "TIME_MILLIS", primitive(Kind::Int));
      case CT::TIME_MICROS:
        return expect(pt::Type::INT64, "TIME_MICROS", primitive(Kind::BigInt));
      case CT::DECIMAL:
        if (!e.__isset.precision || !e.__isset.scale)
          fail_column(path, "DECIMAL without precision and scale");
        return decimal(path, physical, e.precision, e.scale);
      case CT::UTF8:
      case CT::ENUM:
      case CT::JSON:
        if (!is_byte_array(physical)) wrong_physical(path, "a string converted type", physical);
        return primitive(Kind::String);
      case CT::BSON:
        if (!is_byte_array(physical)) wrong_physical(path, "BSON", physical);
        return primitive(Kind::Binary);
      case CT::INTERVAL:
        // Months, days and milliseconds fit neither Hive interval type: the 12 bytes as stored.
        return expect(pt::Type::FIXED_LEN_BYTE_ARRAY, "INTERVAL", primitive(Kind::Binary));
      case CT::MAP:
      case CT::MAP_KEY_VALUE:
      case CT::LIST:
        fail_column(
            path, "the group annotation " + converted_type_name(e.converted_type) + " on a primitive column");
    }
    if (e.converted_type == kLegacyNullConvertedType) return physical_type(physical);
    fail_column(path, "unknown converted type " + std::to_string(e.converted_type));
  }

  static HiveType physical_type(std::int32_t physical) {
    switch (physical) {
      case pt::Type::BOOLEAN:
        return primitive(Kind::Boolean);
      case pt::Type::INT32:
        return primitive(Kind::Int);
      case pt::Type::INT64:
        return primitive(Kind::BigInt);
      case pt::Type::INT96:
        return primitive(Kind::Timestamp);
      case pt::Type::FLOAT:
        return primitive(Kind::Float);
      case pt::Type::DOUBLE:
        return primitive(Kind::Double);
      case pt::Type::BYTE_ARRAY:
      case pt::Type::FIXED_LEN_BYTE_ARRAY:
        break;
    }
    return primitive(Kind::Binary);
  }

  const std::string& file_;
  const std::vector<pt::SchemaElement>& schema_;
  std::vector<Leaf> leaves_;
};

// The serialized FileMetaData: from the tail read when it holds it, else with one more read of what is
// missing.
std::string read_footer(ByteSource& source, std::uint64_t size) {
  const std::string& file = source.name();
  if (size < kMagicBytes + 1 + kTrailerBytes) {
    fail(file, "the file is " + std::to_string(size) +
                   " bytes, too short for 'PAR1', a footer, its length and 'PAR1' again");
  }
  const std::size_t tail_length =
      static_cast<std::size_t>(std::min<std::uint64_t>(size, kParquetTailReadBytes));
  const std::uint64_t tail_offset = size - tail_length;
  std::string tail = source.read(tail_offset, tail_length);
  if (tail.size() != tail_length) fail(file, "the file ended early while its last bytes were read");

  const std::string trailer_magic = tail.substr(tail_length - kMagicBytes);
  if (trailer_magic == kEncryptedMagic) {
    throw Error(ErrorCode::InvalidArgument,
                "Parquet file " + file +
                    " is encrypted (its footer is encrypted, magic 'PARE'); reading "
                    "it needs the decryption keys, which Cairn does not have");
  }
  if (trailer_magic != kMagic) {
    fail(file, "it does not end with the Parquet magic 'PAR1' (found " + describe_magic(trailer_magic) + ")");
  }
  const std::string head_magic = tail_offset == 0 ? tail.substr(0, kMagicBytes) : source.read(0, kMagicBytes);
  if (head_magic != kMagic) {
    fail(file, "it does not start with the Parquet magic 'PAR1' (found " + describe_magic(head_magic) + ")");
  }

  const auto* p = reinterpret_cast<const unsigned char*>(tail.data() + tail_length - kTrailerBytes);
  const std::uint64_t footer_length =
      static_cast<std::uint64_t>(p[0]) | static_cast<std::uint64_t>(p[1]) << 8 |
      static_cast<std::uint64_t>(p[2]) << 16 | static_cast<std::uint64_t>(p[3]) << 24;
  if (footer_length == 0) fail(file, "the footer length is 0");
  if (footer_length > size - kTrailerBytes - kMagicBytes) {
    fail(file, "the footer length " + std::to_string(footer_length) + " does not fit in the file of " +
                   std::to_string(size) + " bytes");
  }
  if (footer_length > kParquetMaxFooterBytes) {
    fail(file, "the footer is " + std::to_string(footer_length) + " bytes, more than the " +
                   std::to_string(kParquetMaxFooterBytes) + " Cairn decodes");
  }
  const std::uint64_t footer_offset = size - kTrailerBytes - footer_length;
  if (footer_offset >= tail_offset) {
    return tail.substr(static_cast<std::size_t>(footer_offset - tail_offset),
                       static_cast<std::size_t>(footer_length));
  }
  const std::size_t missing = static_cast<std::size_t>(tail_offset - footer_offset);
  std::string footer = source.read(footer_offset, missing);
  if (footer.size() != missing) fail(file, "the file ended early while its footer was read");
  footer.append(tail, 0, tail_length - kTrailerBytes);
  return footer;
}

pt::FileMetaData decode_footer(const std::string& file, std::string& footer) {
  const auto limit = static_cast<std::int32_t>(footer.size());
  // Copied, not forwarded by reference: libthrift declares the constant without defining it.
  const int max_frame_size = apache::thrift::TConfiguration::DEFAULT_MAX_FRAME_SIZE;
  auto config =
      std::make_shared<apache::thrift::TConfiguration>(limit, max_frame_size, kThriftRecursionLimit);
  auto buffer = std::make_shared<apache::thrift::transport::TMemoryBuffer>(
      reinterpret_cast<std::uint8_t*>(footer.data()), static_cast<std::uint32_t>(footer.size()),
      apache::thrift::transport::TMemoryBuffer::OBSERVE, config);
  // No string or list in the footer can be longer than the footer itself: bounding both by its size keeps a
  // corrupt length from allocating more than the footer could describe.
  apache::thrift::protocol::TCompactProtocolT<apache::thrift::transport::TMemoryBuffer> protocol(
      buffer, limit, limit);
  pt::FileMetaData metadata;
  try {
    metadata.read(&protocol);
  } catch (const apache::thrift::TException& e) {
    fail(file, "the footer (" + std::to_string(footer.size()) +
                   " bytes) does not decode as Parquet metadata: " + e.what());
  }
  return metadata;
}

void reject_encryption(const std::string& file, const pt::FileMetaData& metadata) {
  bool encrypted = metadata.__isset.encryption_algorithm;
  for (const pt::RowGroup& group : metadata.row_groups) {
    for (const pt::ColumnChunk& chunk : group.columns) {
      encrypted = encrypted || chunk.__isset.crypto_metadata || chunk.__isset.encrypted_column_metadata;
    }
  }
  if (encrypted) {
    throw Error(ErrorCode::InvalidArgument,
                "Parquet file " + file +
                    " is encrypted (plaintext footer, encrypted columns); reading "
                    "it needs the decryption keys, which Cairn does not have");
  }
}

// Row count and the codec of most column chunks, after checking that the row groups match the schema.
std::pair<std::int64_t, std::string> check_row_groups(const std::string& file,
                                                      const pt::FileMetaData& metadata,
                                                      const std::vector<Leaf>& leaves,
                                                      std::uint64_t data_end) {
  std::int64_t rows = 0;
  std::map<std::int32_t, std::size_t> codecs;
  for (std::size_t g = 0; g < metadata.row_groups.size(); ++g) {
    const pt::RowGroup& group = metadata.row_groups[g];
    // Messages are built only on failure: this runs for every column chunk of every file.
    auto where = [&] { return "row group " + std::to_string(g); };
    if (group.num_rows < 0) fail(file, where() + " has a negative row count");
    if (rows > std::numeric_limits<std::int64_t>::max() - group.num_rows)
      fail(file, "the row count overflows");
    rows += group.num_rows;
    if (group.columns.size() != leaves.size()) {
      fail(file, where() + " has " + std::to_string(group.columns.size()) +
                     " column chunks, the schema has " + std::to_string(leaves.size()) +
                     " primitive columns");
    }
    for (std::size_t c = 0; c < group.columns.size(); ++c) {
      const pt::ColumnChunk& chunk = group.columns[c];
      auto column = [&] { return where() + ", column '" + leaves[c].path + "'"; };
      if (chunk.__isset.file_path) {
        fail(file, column() + " keeps its data in another file ('" + chunk.file_path +
                       "'); only self-contained files are supported");
      }
      if (!chunk.__isset.meta_data) fail(file, column() + " has no column metadata");
      const pt::ColumnMetaData& meta = chunk.meta_data;
      if (codec_name(meta.codec).empty()) {
        fail(file, column() + " uses unknown compression codec " + std::to_string(meta.codec));
      }
      ++codecs[meta.codec];
      if (meta.num_values < 0 || meta.total_compressed_size < 0 || meta.total_uncompressed_size < 0) {
        fail(file, column() + " has a negative value count or size");
      }
      // The chunk's pages (from its dictionary page when it has one) lie between the magic and the footer; a
      // chunk past the footer means a truncated or patched file. Some writers leave the offsets of a chunk
      // without values at 0, or the dictionary offset at 0.
      if (meta.num_values > 0) {
        std::int64_t start = meta.data_page_offset;
        if (meta.__isset.dictionary_page_offset && meta.dictionary_page_offset > 0 &&
            meta.dictionary_page_offset < start) {
          start = meta.dictionary_page_offset;
        }
        if (start < static_cast<std::int64_t>(kMagicBytes) || static_cast<std::uint64_t>(start) >= data_end ||
            static_cast<std::uint64_t>(meta.total_compressed_size) >
                data_end - static_cast<std::uint64_t>(start)) {
          fail(file, column() + " claims " + std::to_string(meta.total_compressed_size) +
                         " bytes at offset " + std::to_string(start) + ", outside the data section [4, " +
                         std::to_string(data_end) + ") (truncated or corrupt file)");
        }
      }
      // Every row of a column without repetition holds exactly one value (or null).
      if (leaves[c].max_repetition_level == 0 && meta.num_values != group.num_rows) {
        fail(file, column() + " has " + std::to_string(meta.num_values) + " values for " +
                       std::to_string(group.num_rows) + " rows");
      }
    }
  }
  std::string compression = "none";
  std::size_t most = 0;
  for (const auto& [codec, count] : codecs) {
    if (count > most) {
      most = count;
      compression = codec_name(codec);
    }
  }
  return {rows, compression};
}

}  // namespace

detail::ParquetMetadata detail::read_parquet_metadata(ByteSource& source) {
  const std::uint64_t size = source.size();
  std::string footer = read_footer(source, size);
  ParquetMetadata result{decode_footer(source.name(), footer), size - kTrailerBytes - footer.size()};
  reject_encryption(source.name(), result.metadata);
  SchemaConverter converter(source.name(), result.metadata.schema);
  converter.convert();
  check_row_groups(source.name(), result.metadata, converter.leaves(), result.data_end);
  return result;
}

FileSchema read_parquet_schema(ByteSource& source) {
  const std::string& file = source.name();
  const std::uint64_t size = source.size();
  std::string footer = read_footer(source, size);
  const pt::FileMetaData metadata = decode_footer(file, footer);
  reject_encryption(file, metadata);

  SchemaConverter converter(file, metadata.schema);
  std::vector<NamedType> columns = converter.convert();
  const std::uint64_t data_end = size - kTrailerBytes - footer.size();
  auto [rows, compression] = check_row_groups(file, metadata, converter.leaves(), data_end);

  FileSchema result;
  result.classification = "parquet";
  result.columns = detail::hive_columns(std::move(columns), "column",
                                        [&](const std::string& problem) { fail(file, problem); });
  result.record_count = rows;
  result.record_count_exact = true;
  result.compression = std::move(compression);
  result.serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
  result.input_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
  result.output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
  result.serde_parameters["serialization.format"] = "1";
  return result;
}

}  // namespace cairn::crawler
