#include "cairn/crawler/orc_reader.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

constexpr std::string_view kMagic = "ORC";
// The default compression block size of ORC writers, used when the postscript leaves it out.
constexpr std::uint64_t kDefaultBlockSize = 256 * 1024;
constexpr std::uint64_t kMaxBlockSize = 64ull * 1024 * 1024;
constexpr std::size_t kInflateStep = 64 * 1024;
constexpr int kMaxTypeDepth = 100;
// Types may be shared (a DAG); expanded into a Hive type tree they could grow exponentially.
constexpr std::size_t kMaxTypeNodes = 100000;
constexpr int kMaxHiveDecimalPrecision = 38;
// ORC's defaults for a decimal without precision and scale (files of Hive 0.11).
constexpr int kDefaultDecimalPrecision = 38;
constexpr int kDefaultDecimalScale = 10;
constexpr std::uint64_t kMaxVarcharLength = 65535;
constexpr std::uint64_t kMaxCharLength = 255;

// orc_proto.proto: CompressionKind and Type.Kind.
enum Compression : std::uint64_t { kNone = 0, kZlib = 1, kSnappy = 2, kLzo = 3, kLz4 = 4, kZstd = 5 };
enum TypeKind : std::uint64_t {
  kBoolean = 0,
  kByte = 1,
  kShort = 2,
  kInt = 3,
  kLong = 4,
  kFloat = 5,
  kDouble = 6,
  kString = 7,
  kBinary = 8,
  kTimestamp = 9,
  kList = 10,
  kMap = 11,
  kStruct = 12,
  kUnion = 13,
  kDecimal = 14,
  kDate = 15,
  kVarchar = 16,
  kChar = 17,
  kTimestampInstant = 18,
};

[[noreturn]] void fail(const std::string& file, const std::string& problem) {
  throw Error(ErrorCode::InvalidArgument, "invalid ORC file " + file + ": " + problem);
}

using catalog::text::lower;  // names compare case-insensitively, as in Hive

HiveType primitive(Kind kind, int precision = 0, int scale = 0) {
  return detail::hive_primitive(kind, precision, scale);
}

// The protobuf wire format, for the two messages the reader needs; unknown fields are skipped.
class ProtoReader {
 public:
  ProtoReader(std::string_view data, const std::string& file, std::string message)
      : data_(data), file_(file), message_(std::move(message)) {}

  /// The next field's number and wire type; false at the end of the message.
  bool next(std::uint32_t& field, int& wire) {
    if (pos_ >= data_.size()) return false;
    const std::uint64_t tag = varint();
    field = static_cast<std::uint32_t>(tag >> 3);
    wire = static_cast<int>(tag & 7);
    if (field == 0 || tag >> 3 > std::numeric_limits<std::uint32_t>::max())
      corrupt("has an invalid field tag");
    return true;
  }

  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int i = 0; i < 10; ++i) {
      if (pos_ >= data_.size()) corrupt("ends inside a number");
      const auto b = static_cast<std::uint8_t>(data_[pos_++]);
      if (i == 9 && b > 1) corrupt("holds a number longer than 64 bits");
      value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) return value;
    }
    corrupt("holds a number longer than 64 bits");
  }

  std::string_view bytes() {
    const std::uint64_t length = varint();
    if (length > data_.size() - pos_) corrupt("has a field longer than the message");
    std::string_view out = data_.substr(pos_, static_cast<std::size_t>(length));
    pos_ += static_cast<std::size_t>(length);
    return out;
  }

  /// A varint field, or a packed run of them, appended to `out`.
  void varints(int wire, std::vector<std::uint64_t>& out) {
    if (wire == 0) {
      out.push_back(varint());
      return;
    }
    if (wire != 2) corrupt("has a number list of the wrong wire type");
    ProtoReader packed(bytes(), file_, message_);
    while (!packed.at_end()) out.push_back(packed.varint());
  }

  std::uint64_t varint_field(int wire) {
    if (wire != 0) corrupt("has a number of the wrong wire type");
    return varint();
  }

  std::string_view bytes_field(int wire) {
    if (wire != 2) corrupt("has a text or message field of the wrong wire type");
    return bytes();
  }

  void skip(int wire) {
    switch (wire) {
      case 0:
        varint();
        return;
      case 1:
        advance(8);
        return;
      case 2:
        bytes();
        return;
      case 5:
        advance(4);
        return;
      default:
        corrupt("uses a field encoding ORC never writes (wire type " + std::to_string(wire) + ")");
    }
  }

  bool at_end() const { return pos_ >= data_.size(); }

 private:
  void advance(std::size_t n) {
    if (n > data_.size() - pos_) corrupt("ends inside a field");
    pos_ += n;
  }
  [[noreturn]] void corrupt(const std::string& what) const { fail(file_, "the " + message_ + " " + what); }

  std::string_view data_;
  const std::string& file_;
  std::string message_;
  std::size_t pos_ = 0;
};

struct PostScript {
  std::uint64_t footer_length = 0;
  std::uint64_t metadata_length = 0;
  std::uint64_t compression = kNone;
  std::uint64_t block_size = kDefaultBlockSize;
  std::string magic;
};

PostScript parse_postscript(std::string_view bytes, const std::string& file) {
  PostScript ps;
  ProtoReader in(bytes, file, "postscript");
  std::uint32_t field;
  int wire;
  while (in.next(field, wire)) {
    switch (field) {
      case 1:
        ps.footer_length = in.varint_field(wire);
        break;
      case 2:
        ps.compression = in.varint_field(wire);
        break;
      case 3:
        ps.block_size = in.varint_field(wire);
        break;
      case 5:
        ps.metadata_length = in.varint_field(wire);
        break;
      case 8000:
        ps.magic = std::string(in.bytes_field(wire));
        break;
      default:
        in.skip(wire);
    }
  }
  return ps;
}

struct Stripe {
  std::uint64_t offset = 0;
  std::uint64_t index_length = 0;
  std::uint64_t data_length = 0;
  std::uint64_t footer_length = 0;
  std::uint64_t rows = 0;
};

struct OrcType {
  std::uint64_t kind = 0;
  bool has_kind = false;
  std::vector<std::uint64_t> subtypes;
  std::vector<std::string> field_names;
  std::optional<std::uint64_t> maximum_length;
  std::optional<std::uint64_t> precision;
  std::optional<std::uint64_t> scale;
};

struct Footer {
  std::vector<Stripe> stripes;
  std::vector<OrcType> types;
  std::optional<std::uint64_t> rows;
};

Stripe parse_stripe(std::string_view bytes, const std::string& file) {
  Stripe stripe;
  ProtoReader in(bytes, file, "footer's stripe information");
  std::uint32_t field;
  int wire;
  while (in.next(field, wire)) {
    switch (field) {
      case 1:
        stripe.offset = in.varint_field(wire);
        break;
      case 2:
        stripe.index_length = in.varint_field(wire);
        break;
      case 3:
        stripe.data_length = in.varint_field(wire);
        break;
      case 4:
        stripe.footer_length = in.varint_field(wire);
        break;
      case 5:
        stripe.rows = in.varint_field(wire);
        break;
      default:
        in.skip(wire);
    }
  }
  return stripe;
}

OrcType parse_type(std::string_view bytes, const std::string& file) {
  OrcType type;
  ProtoReader in(bytes, file, "footer's type list");
  std::uint32_t field;
  int wire;
  while (in.next(field, wire)) {
    switch (field) {
      case 1:
        type.kind = in.varint_field(wire);
        type.has_kind = true;
        break;
      case 2:
        in.varints(wire, type.subtypes);
        break;
      case 3:
        type.field_names.emplace_back(in.bytes_field(wire));
        break;
      case 4:
        type.maximum_length = in.varint_field(wire);
        break;
      case 5:
        type.precision = in.varint_field(wire);
        break;
      case 6:
        type.scale = in.varint_field(wire);
        break;
      default:
        in.skip(wire);
    }
  }
  return type;
}

Footer parse_footer(std::string_view bytes, const std::string& file) {
  Footer footer;
  ProtoReader in(bytes, file, "footer");
  std::uint32_t field;
  int wire;
  while (in.next(field, wire)) {
    switch (field) {
      case 3:
        footer.stripes.push_back(parse_stripe(in.bytes_field(wire), file));
        break;
      case 4:
        footer.types.push_back(parse_type(in.bytes_field(wire), file));
        break;
      case 6:
        footer.rows = in.varint_field(wire);
        break;
      default:
        in.skip(wire);
    }
  }
  return footer;
}

std::string compression_name(std::uint64_t compression) {
  switch (compression) {
    case kNone:
      return "none";
    case kZlib:
      return "zlib";
    case kSnappy:
      return "snappy";
    case kLzo:
      return "lzo";
    case kLz4:
      return "lz4";
    case kZstd:
      return "zstd";
    default:
      return {};
  }
}

// One compressed chunk: a raw deflate stream (ORC's zlib), a snappy block or a zstd frame, at most `limit`
// bytes once decompressed.
std::string decompress_chunk(std::string_view chunk, std::uint64_t compression, std::uint64_t limit,
                             const std::string& file) {
  const std::string codec = compression_name(compression);
  auto corrupt = [&](const std::string& why) -> std::string {
    fail(file, "a " + codec + " chunk of the footer does not decompress: " + why);
  };
  switch (compression) {
    case kZlib: {
      z_stream zs{};
      if (inflateInit2(&zs, -15) != Z_OK) throw Error(ErrorCode::Internal, "zlib inflateInit2 failed");
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
      zs.avail_in = static_cast<uInt>(chunk.size());
      std::string out;
      int rc = Z_OK;
      while (rc == Z_OK) {
        if (out.size() >= limit) break;
        const std::size_t before = out.size();
        out.resize(std::min<std::uint64_t>(before + kInflateStep, limit));
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + before);
        zs.avail_out = static_cast<uInt>(out.size() - before);
        rc = inflate(&zs, Z_NO_FLUSH);
        out.resize(out.size() - zs.avail_out);
      }
      inflateEnd(&zs);
      if (rc != Z_STREAM_END) {
        return corrupt(out.size() >= limit ? "it inflates past the compression block size"
                                           : "the deflate stream is invalid or cut short");
      }
      return out;
    }
    case kSnappy: {
      std::size_t length = 0;
      if (!snappy::GetUncompressedLength(chunk.data(), chunk.size(), &length)) return corrupt("bad length");
      if (length > limit) return corrupt("it declares more than the compression block size");
      std::string out(length, '\0');
      if (!snappy::RawUncompress(chunk.data(), chunk.size(), out.data())) return corrupt("invalid data");
      return out;
    }
    case kZstd: {
      const unsigned long long length = ZSTD_getFrameContentSize(chunk.data(), chunk.size());
      if (length == ZSTD_CONTENTSIZE_ERROR) return corrupt("not a zstd frame");
      const std::uint64_t capacity = length == ZSTD_CONTENTSIZE_UNKNOWN ? limit : length;
      if (capacity > limit) return corrupt("it declares more than the compression block size");
      std::string out(static_cast<std::size_t>(capacity), '\0');
      const std::size_t got = ZSTD_decompress(out.data(), out.size(), chunk.data(), chunk.size());
      if (ZSTD_isError(got)) return corrupt(ZSTD_getErrorName(got));
      out.resize(got);
      return out;
    }
    default:
      fail(file, "its footer is compressed with " + codec + ", which Cairn does not decompress");
  }
}

// ORC compression: chunks with a 3-byte little-endian header (length << 1 | is_original).
std::string decompress_footer(std::string_view data, const PostScript& ps, const std::string& file) {
  if (ps.compression == kNone) return std::string(data);
  if (ps.block_size == 0 || ps.block_size > kMaxBlockSize) {
    fail(file, "the compression block size " + std::to_string(ps.block_size) + " is out of range");
  }
  std::string out;
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 3) fail(file, "the footer ends inside a compression chunk header");
    const auto* h = reinterpret_cast<const unsigned char*>(data.data() + pos);
    const std::uint32_t header =
        h[0] | (static_cast<std::uint32_t>(h[1]) << 8) | (static_cast<std::uint32_t>(h[2]) << 16);
    const bool original = (header & 1) != 0;
    const std::size_t length = header >> 1;
    pos += 3;
    if (length > data.size() - pos) fail(file, "a compression chunk runs past the end of the footer");
    const std::string_view chunk = data.substr(pos, length);
    pos += length;
    if (original) {
      out.append(chunk);
    } else {
      out += decompress_chunk(chunk, ps.compression, ps.block_size, file);
    }
    if (out.size() > kOrcMaxFooterBytes) {
      fail(file, "the footer decompresses to more than " + std::to_string(kOrcMaxFooterBytes) + " bytes");
    }
  }
  return out;
}

using detail::NamedType;

// ORC's type tree (a list in pre-order, children by index) to Hive types; ORC's types are Hive's own.
class TypeConverter {
 public:
  TypeConverter(const std::string& file, const std::vector<OrcType>& types) : file_(file), types_(types) {}

  std::vector<NamedType> columns() {
    if (types_.empty()) fail(file_, "the footer has no types");
    if (!types_[0].has_kind || types_[0].kind != kStruct) fail(file_, "the root type is not a struct");
    std::vector<NamedType> fields = struct_fields(0, 0);
    if (fields.empty()) fail(file_, "the schema has no columns");
    return fields;
  }

 private:
  [[noreturn]] void fail_type(std::uint64_t id, const std::string& problem) const {
    fail(file_, "type " + std::to_string(id) + ": " + problem);
  }

  const OrcType& child(std::uint64_t parent, std::uint64_t id) const {
    // Children follow their parent in the pre-order list: this also rules out cycles.
    if (id <= parent || id >= types_.size())
      fail_type(parent, "child type " + std::to_string(id) + " is out of range");
    return types_[static_cast<std::size_t>(id)];
  }

  std::vector<NamedType> struct_fields(std::uint64_t id, int depth) {
    const OrcType& t = types_[static_cast<std::size_t>(id)];
    if (t.field_names.size() != t.subtypes.size()) {
      fail_type(id, "a struct with " + std::to_string(t.subtypes.size()) + " fields and " +
                        std::to_string(t.field_names.size()) + " field names");
    }
    std::vector<NamedType> fields;
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < t.subtypes.size(); ++i) {
      child(id, t.subtypes[i]);
      std::string name = t.field_names[i];
      // Names that collide ignoring case get "_1", "_2", ... (as for Parquet).
      for (auto it = seen.find(lower(name)); it != seen.end(); it = seen.find(lower(name))) {
        name += "_" + std::to_string(++it->second);
      }
      seen.emplace(lower(name), 0);
      fields.push_back({std::move(name), convert(t.subtypes[i], depth + 1)});
    }
    return fields;
  }

  HiveType convert(std::uint64_t id, int depth) {
    if (depth > kMaxTypeDepth) {
      fail(file_, "types nest deeper than " + std::to_string(kMaxTypeDepth) + " levels");
    }
    if (++nodes_ > kMaxTypeNodes) {
      fail(file_, "the schema expands to more than " + std::to_string(kMaxTypeNodes) + " types");
    }
    const OrcType& t = types_[static_cast<std::size_t>(id)];
    if (!t.has_kind) fail_type(id, "no kind");
    auto expect_children = [&](std::size_t n, const char* what) {
      if (t.subtypes.size() != n) {
        fail_type(id, std::string(what) + " with " + std::to_string(t.subtypes.size()) + " child types");
      }
      for (std::uint64_t sub : t.subtypes) child(id, sub);
    };
    switch (t.kind) {
      case kBoolean:
        return primitive(Kind::Boolean);
      case kByte:
        return primitive(Kind::TinyInt);
      case kShort:
        return primitive(Kind::SmallInt);
      case kInt:
        return primitive(Kind::Int);
      case kLong:
        return primitive(Kind::BigInt);
      case kFloat:
        return primitive(Kind::Float);
      case kDouble:
        return primitive(Kind::Double);
      case kString:
        return primitive(Kind::String);
      case kBinary:
        return primitive(Kind::Binary);
      case kTimestamp:
      case kTimestampInstant:
        return primitive(Kind::Timestamp);
      case kDate:
        return primitive(Kind::Date);
      case kDecimal: {
        const std::uint64_t precision = t.precision.value_or(kDefaultDecimalPrecision);
        const std::uint64_t scale = t.scale.value_or(t.precision ? 0 : kDefaultDecimalScale);
        if (precision < 1 || precision > kMaxHiveDecimalPrecision || scale > precision) {
          fail_type(id, "invalid decimal precision " + std::to_string(precision) + " and scale " +
                            std::to_string(scale));
        }
        return primitive(Kind::Decimal, static_cast<int>(precision), static_cast<int>(scale));
      }
      case kVarchar:
      case kChar: {
        const bool is_char = t.kind == kChar;
        const std::uint64_t limit = is_char ? kMaxCharLength : kMaxVarcharLength;
        if (!t.maximum_length || *t.maximum_length < 1 || *t.maximum_length > limit) {
          fail_type(id, std::string(is_char ? "char" : "varchar") + " without a length in 1.." +
                            std::to_string(limit));
        }
        return primitive(is_char ? Kind::Char : Kind::Varchar, static_cast<int>(*t.maximum_length));
      }
      case kList: {
        expect_children(1, "a list");
        HiveType out = primitive(Kind::Array);
        out.children.push_back(convert(t.subtypes[0], depth + 1));
        return out;
      }
      case kMap: {
        expect_children(2, "a map");
        HiveType out = primitive(Kind::Map);
        out.children.push_back(convert(t.subtypes[0], depth + 1));
        out.children.push_back(convert(t.subtypes[1], depth + 1));
        return out;
      }
      case kUnion: {
        if (t.subtypes.empty()) fail_type(id, "a union without members");
        HiveType out = primitive(Kind::UnionType);
        for (std::uint64_t sub : t.subtypes) {
          child(id, sub);
          out.children.push_back(convert(sub, depth + 1));
        }
        return out;
      }
      case kStruct: {
        std::vector<NamedType> fields = struct_fields(id, depth);
        if (fields.empty()) fail_type(id, "a struct without fields");
        HiveType out = primitive(Kind::Struct);
        for (NamedType& field : fields) {
          out.field_names.push_back(lower(field.name));
          out.children.push_back(std::move(field.type));
        }
        return out;
      }
      default:
        fail_type(id, "unknown kind " + std::to_string(t.kind));
    }
  }

  const std::string& file_;
  const std::vector<OrcType>& types_;
  std::size_t nodes_ = 0;
};

}  // namespace

FileSchema read_orc_schema(ByteSource& source) {
  const std::string& file = source.name();
  const std::uint64_t size = source.size();
  // "ORC", the footer, the postscript (at least one byte) and its length byte.
  if (size < kMagic.size() + 2)
    fail(file, "the file is " + std::to_string(size) + " bytes, too short for ORC");
  const std::size_t tail_length = static_cast<std::size_t>(std::min<std::uint64_t>(size, kOrcTailReadBytes));
  const std::uint64_t tail_offset = size - tail_length;
  const std::string tail = source.read(tail_offset, tail_length);
  if (tail.size() != tail_length) fail(file, "the file ended early while its last bytes were read");

  const std::string head = tail_offset == 0 ? tail.substr(0, kMagic.size()) : source.read(0, kMagic.size());
  if (head != kMagic) fail(file, "it does not start with the ORC magic 'ORC'");

  const std::size_t ps_length = static_cast<unsigned char>(tail.back());
  if (ps_length == 0 || ps_length + 1 + kMagic.size() > size) {
    fail(file, "the postscript length " + std::to_string(ps_length) + " does not fit the file");
  }
  const PostScript ps =
      parse_postscript(std::string_view(tail).substr(tail_length - 1 - ps_length, ps_length), file);
  if (ps.magic != kMagic)
    fail(file, "the postscript does not hold the ORC magic (not an ORC file, or corrupt)");
  const std::string codec = compression_name(ps.compression);
  if (codec.empty()) fail(file, "unknown compression kind " + std::to_string(ps.compression));

  const std::uint64_t footer_end = size - 1 - ps_length;
  if (ps.footer_length == 0 || ps.footer_length > footer_end - kMagic.size()) {
    fail(file, "the footer length " + std::to_string(ps.footer_length) + " does not fit the file");
  }
  if (ps.footer_length > kOrcMaxFooterBytes) {
    fail(file, "the footer is " + std::to_string(ps.footer_length) + " bytes, more than Cairn reads");
  }
  const std::uint64_t footer_offset = footer_end - ps.footer_length;
  std::string raw_footer;
  if (footer_offset >= tail_offset) {
    raw_footer = tail.substr(static_cast<std::size_t>(footer_offset - tail_offset),
                             static_cast<std::size_t>(ps.footer_length));
  } else {
    const std::size_t missing = static_cast<std::size_t>(tail_offset - footer_offset);
    raw_footer = source.read(footer_offset, missing);
    if (raw_footer.size() != missing) fail(file, "the file ended early while its footer was read");
    raw_footer.append(tail, 0, static_cast<std::size_t>(footer_end - tail_offset));
  }
  const Footer footer = parse_footer(decompress_footer(raw_footer, ps, file), file);

  // Stripes lie between the header and the metadata section that precedes the footer.
  if (ps.metadata_length > footer_offset - kMagic.size())
    fail(file, "the metadata length does not fit the file");
  const std::uint64_t data_end = footer_offset - ps.metadata_length;
  std::uint64_t stripe_rows = 0;
  for (std::size_t i = 0; i < footer.stripes.size(); ++i) {
    const Stripe& s = footer.stripes[i];
    std::uint64_t end = s.offset;
    bool fits = s.offset >= kMagic.size() && s.offset <= data_end;
    for (std::uint64_t part : {s.index_length, s.data_length, s.footer_length}) {
      fits = fits && part <= data_end - end;
      if (fits) end += part;
    }
    if (!fits) {
      fail(file, "stripe " + std::to_string(i) + " lies outside the data section [3, " +
                     std::to_string(data_end) + ") (truncated or corrupt file)");
    }
    if (s.rows > std::numeric_limits<std::uint64_t>::max() - stripe_rows)
      fail(file, "the row count overflows");
    stripe_rows += s.rows;
  }
  const std::uint64_t rows = footer.rows.value_or(stripe_rows);
  if (rows != stripe_rows) {
    fail(file,
         "the footer counts " + std::to_string(rows) + " rows, its stripes " + std::to_string(stripe_rows));
  }
  if (rows > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    fail(file, "the row count overflows");

  std::vector<NamedType> columns = TypeConverter(file, footer.types).columns();
  FileSchema result;
  result.classification = "orc";
  result.columns = detail::hive_columns(std::move(columns), "column",
                                        [&](const std::string& problem) { fail(file, problem); });
  result.record_count = static_cast<std::int64_t>(rows);
  result.record_count_exact = true;
  result.compression = codec;
  result.serialization_library = "org.apache.hadoop.hive.ql.io.orc.OrcSerde";
  result.input_format = "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat";
  result.output_format = "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat";
  result.serde_parameters["serialization.format"] = "1";
  return result;
}

}  // namespace cairn::crawler
