// Value sampling of Parquet files: the first pages of each flat column chunk, decoded (docs/crawlers.md,
// "Value sampling"). Page headers are Thrift (the structures of thrift/parquet_footer.thrift); pages are
// decompressed with snappy, zlib or zstd and decoded here (PLAIN, dictionary, RLE/bit-packed hybrid).

#include <snappy.h>
#include <thrift/TConfiguration.h>
#include <thrift/Thrift.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TTransportException.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/catalog/civil_date.h"
#include "cairn/catalog/error.h"
#include "cairn/crawler/compression.h"
#include "cairn/crawler/parquet_reader.h"
#include "cairn/crawler/value_sample.h"
#include "parquet_footer_types.h"
#include "parquet_values.h"

namespace cairn::crawler {

namespace {

namespace pt = parquet_thrift;

// The first read of a page header; a header that does not fit (large statistics) is read again with a
// window four times larger, up to kMaxPageHeaderBytes.
constexpr std::size_t kPageHeaderWindow = 16 * 1024;
constexpr std::size_t kMaxPageHeaderBytes = 16 * 1024 * 1024;
constexpr int kThriftRecursionLimit = 64;
constexpr std::uint64_t kPageBytesPerBudgetByte = 16;
constexpr const char* kBudgetNote = "the byte budget (max_bytes) ran out before the next page";
// Days from 0000-03-01-based civil computation constants and the Julian day of 1970-01-01 (INT96).
constexpr std::int64_t kJulianEpochDay = 2440588;
constexpr std::int64_t kNanosPerSecond = 1000000000;
constexpr std::int64_t kSecondsPerDay = 86400;

[[noreturn]] void fail(const std::string& file, const std::string& problem) {
  throw Error(ErrorCode::InvalidArgument, "invalid Parquet file " + file + ": " + problem);
}

// A column the sampler cannot decode (codec, encoding, budget): its values so far are kept with this note.
struct Unsupported {
  std::string note;
};

std::string enum_name(const std::map<int, const char*>& names, std::int32_t value) {
  auto it = names.find(value);
  return it == names.end() ? std::to_string(value) : it->second;
}

// ---------------------------------------------------------------------------------------------------------
// Rendering: the text DuckDB prints for a value of each logical type.

enum class Render {
  Boolean,
  Int,
  UInt,
  Float,
  Double,
  Float16,
  Date,
  TimeMillis,
  TimeMicros,
  TimeNanos,
  TimestampMillis,
  TimestampMicros,
  TimestampNanos,
  Int96,
  Decimal,
  Text,
  Uuid,
  Interval,
  Blob
};

struct ColumnType {
  std::int32_t physical = 0;
  std::int32_t type_length = 0;
  Render render = Render::Blob;
  int scale = 0;
};

Render time_unit(const pt::TimeUnit& unit, Render millis, Render micros, Render nanos) {
  if (unit.__isset.MILLIS) return millis;
  if (unit.__isset.NANOS) return nanos;
  return micros;
}

Render integer_render(std::int32_t physical) {
  return physical == pt::Type::INT32 || physical == pt::Type::INT64 ? Render::Int : Render::Blob;
}

// How a leaf's values are printed: its logical type, else its converted type, else its physical type (the
// precedence of the schema reader; its checks have passed).
ColumnType column_type(const pt::SchemaElement& e) {
  ColumnType t;
  t.physical = e.type;
  t.type_length = e.__isset.type_length ? e.type_length : 0;
  if (e.__isset.logicalType) {
    const pt::LogicalType& l = e.logicalType;
    if (l.__isset.STRING || l.__isset.ENUM || l.__isset.JSON) {
      t.render = Render::Text;
      return t;
    }
    if (l.__isset.UUID && t.physical == pt::Type::FIXED_LEN_BYTE_ARRAY && t.type_length == 16) {
      t.render = Render::Uuid;
      return t;
    }
    if (l.__isset.FLOAT16 && t.physical == pt::Type::FIXED_LEN_BYTE_ARRAY && t.type_length == 2) {
      t.render = Render::Float16;
      return t;
    }
    if (l.__isset.TIMESTAMP) {
      t.render = time_unit(l.TIMESTAMP.unit, Render::TimestampMillis, Render::TimestampMicros,
                           Render::TimestampNanos);
      return t;
    }
    if (l.__isset.TIME) {
      t.render = time_unit(l.TIME.unit, Render::TimeMillis, Render::TimeMicros, Render::TimeNanos);
      return t;
    }
    if (l.__isset.DATE) {
      t.render = Render::Date;
      return t;
    }
    if (l.__isset.DECIMAL) {
      t.render = Render::Decimal;
      t.scale = l.DECIMAL.scale;
      return t;
    }
    if (l.__isset.INTEGER) {
      t.render = l.INTEGER.isSigned ? integer_render(t.physical) : Render::UInt;
      return t;
    }
  }
  if (e.__isset.converted_type) {
    using CT = pt::ConvertedType;
    switch (e.converted_type) {
      case CT::UTF8:
      case CT::ENUM:
      case CT::JSON:
        t.render = Render::Text;
        return t;
      case CT::DECIMAL:
        t.render = Render::Decimal;
        t.scale = e.scale;
        return t;
      case CT::DATE:
        t.render = Render::Date;
        return t;
      case CT::TIME_MILLIS:
        t.render = Render::TimeMillis;
        return t;
      case CT::TIME_MICROS:
        t.render = Render::TimeMicros;
        return t;
      case CT::TIMESTAMP_MILLIS:
        t.render = Render::TimestampMillis;
        return t;
      case CT::TIMESTAMP_MICROS:
        t.render = Render::TimestampMicros;
        return t;
      case CT::UINT_8:
      case CT::UINT_16:
      case CT::UINT_32:
      case CT::UINT_64:
        t.render = Render::UInt;
        return t;
      case CT::INTERVAL:
        if (t.physical == pt::Type::FIXED_LEN_BYTE_ARRAY && t.type_length == 12) {
          t.render = Render::Interval;
          return t;
        }
        break;
      default:
        break;
    }
  }
  switch (t.physical) {
    case pt::Type::BOOLEAN:
      t.render = Render::Boolean;
      break;
    case pt::Type::INT32:
    case pt::Type::INT64:
      t.render = Render::Int;
      break;
    case pt::Type::INT96:
      t.render = Render::Int96;
      break;
    case pt::Type::FLOAT:
      t.render = Render::Float;
      break;
    case pt::Type::DOUBLE:
      t.render = Render::Double;
      break;
    default:
      t.render = Render::Blob;
      break;
  }
  return t;
}

template <class T>
T load_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A signed integer value of an INT32 or INT64 column (both render through int64).
std::int64_t signed_value(std::string_view raw) {
  return raw.size() == 4 ? load_le<std::int32_t>(raw.data()) : load_le<std::int64_t>(raw.data());
}
std::uint64_t unsigned_value(std::string_view raw) {
  return raw.size() == 4 ? load_le<std::uint32_t>(raw.data()) : load_le<std::uint64_t>(raw.data());
}

template <class T>
std::string shortest(T v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string out(buf, r.ptr);
  // DuckDB prints a whole number with ".0" (1.0, not 1), and large ones with an exponent (1e+20).
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

float half_to_float(std::uint16_t h) {
  const int sign = h >> 15;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  float v;
  if (exponent == 0) {
    v = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    v = mantissa == 0 ? INFINITY : NAN;
  } else {
    v = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
  }
  return sign ? -v : v;
}

void append_padded(std::string& out, std::int64_t value, int width) {
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width)
    out.append(static_cast<std::size_t>(width) - digits.size(), '0');
  out += digits;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Days since 1970-01-01 as YYYY-MM-DD (proleptic Gregorian; years before 1 as "YYYY-MM-DD (BC)").
std::string date_text(std::int64_t days) {
  const catalog::CivilDate date = catalog::civil_from_days(days);
  const std::int64_t m = date.month;
  const std::int64_t d = date.day;
  std::int64_t y = date.year;
  const bool bc = y <= 0;
  if (bc) y = 1 - y;
  std::string out;
  append_padded(out, y, 4);
  out += '-';
  append_padded(out, m, 2);
  out += '-';
  append_padded(out, d, 2);
  if (bc) out += " (BC)";
  return out;
}

// HH:MM:SS and, when not zero, the fraction of the second with trailing zeros removed; `value` counts units
// of `nanos_per_unit` nanoseconds since midnight.
std::string time_text(std::int64_t value, std::int64_t nanos_per_unit) {
  const std::int64_t units_per_second = kNanosPerSecond / nanos_per_unit;
  const std::int64_t seconds = value / units_per_second;
  const std::int64_t fraction = value % units_per_second * nanos_per_unit;
  std::string out;
  append_padded(out, seconds / 3600, 2);
  out += ':';
  append_padded(out, seconds / 60 % 60, 2);
  out += ':';
  append_padded(out, seconds % 60, 2);
  if (fraction != 0) {
    std::string digits;
    append_padded(digits, fraction, 9);
    digits.erase(digits.find_last_not_of('0') + 1);
    out += '.' + digits;
  }
  return out;
}

std::string timestamp_text(std::int64_t value, std::int64_t nanos_per_unit) {
  const std::int64_t units_per_day = kSecondsPerDay * (kNanosPerSecond / nanos_per_unit);
  const std::int64_t days = floor_div(value, units_per_day);
  const std::int64_t rest = value - days * units_per_day;
  return date_text(days) + " " + time_text(rest, nanos_per_unit);
}

// Two's complement big-endian bytes as a decimal number with `scale` digits after the point.
std::string decimal_text(std::string_view bytes, int scale) {
  std::vector<unsigned char> magnitude(bytes.begin(), bytes.end());
  const bool negative = !magnitude.empty() && (magnitude[0] & 0x80) != 0;
  if (negative) {  // negate: invert and add one
    for (unsigned char& b : magnitude) b = static_cast<unsigned char>(~b);
    for (std::size_t i = magnitude.size(); i-- > 0;) {
      if (++magnitude[i] != 0) break;
    }
  }
  std::string digits;
  std::size_t first = 0;
  while (first < magnitude.size()) {
    unsigned remainder = 0;
    for (std::size_t i = first; i < magnitude.size(); ++i) {
      const unsigned cur = remainder * 256 + magnitude[i];
      magnitude[i] = static_cast<unsigned char>(cur / 10);
      remainder = cur % 10;
    }
    digits += static_cast<char>('0' + remainder);
    while (first < magnitude.size() && magnitude[first] == 0) ++first;
  }
  if (digits.empty()) digits = "0";
  if (scale > 0 && digits.size() <= static_cast<std::size_t>(scale)) {
    digits.append(static_cast<std::size_t>(scale) + 1 - digits.size(), '0');
  }
  std::reverse(digits.begin(), digits.end());
  if (scale > 0) digits.insert(digits.size() - static_cast<std::size_t>(scale), 1, '.');
  return negative ? "-" + digits : digits;
}

std::string decimal_from_int(std::int64_t v, int scale) {
  std::string be(8, '\0');
  for (int i = 0; i < 8; ++i) be[static_cast<std::size_t>(7 - i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return decimal_text(be, scale);
}

// DuckDB's BLOB text: printable ASCII as is, except ' " and \, and every other byte as \xHH.
std::string blob_text(std::string_view raw) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 32 && u <= 126 && c != '\\' && c != '\'' && c != '"') {
      out += c;
    } else {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

std::string uuid_text(std::string_view raw) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    auto u = static_cast<unsigned char>(raw[i]);
    out += hex[u >> 4];
    out += hex[u & 15];
  }
  return out;
}

// DuckDB's INTERVAL text: "1 year 2 months 3 days 00:00:01.5" (parts that are zero left out).
std::string interval_text(std::string_view raw) {
  const std::int64_t months = load_le<std::uint32_t>(raw.data());
  const std::int64_t days = load_le<std::uint32_t>(raw.data() + 4);
  const std::int64_t millis = load_le<std::uint32_t>(raw.data() + 8);
  std::string out;
  auto part = [&](std::int64_t n, const char* unit) {
    if (n == 0) return;
    if (!out.empty()) out += ' ';
    out += std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
  };
  part(months / 12, "year");
  part(months % 12, "month");
  part(days, "day");
  if (millis != 0 || out.empty()) {
    if (!out.empty()) out += ' ';
    const std::int64_t hours = millis / (3600 * 1000);
    std::string clock = time_text(millis - hours * 3600 * 1000, 1000000);
    std::string h;
    append_padded(h, hours, 2);
    out += h + clock.substr(2);
  }
  return out;
}

std::string render(const ColumnType& t, std::string_view raw) {
  switch (t.render) {
    case Render::Boolean:
      return raw[0] != 0 ? "true" : "false";
    case Render::Int:
      return std::to_string(signed_value(raw));
    case Render::UInt:
      return std::to_string(unsigned_value(raw));
    case Render::Float:
      return shortest(load_le<float>(raw.data()));
    case Render::Double:
      return shortest(load_le<double>(raw.data()));
    case Render::Float16:
      return shortest(half_to_float(load_le<std::uint16_t>(raw.data())));
    case Render::Date:
      return date_text(signed_value(raw));
    case Render::TimeMillis:
      return time_text(signed_value(raw), 1000000);
    case Render::TimeMicros:
      return time_text(signed_value(raw), 1000);
    case Render::TimeNanos:
      return time_text(signed_value(raw), 1);
    case Render::TimestampMillis:
      return timestamp_text(signed_value(raw), 1000000);
    case Render::TimestampMicros:
      return timestamp_text(signed_value(raw), 1000);
    case Render::TimestampNanos:
      return timestamp_text(signed_value(raw), 1);
    case Render::Int96: {
      // Nanoseconds of the day, then the Julian day, as microseconds since the epoch in 64 bits the way
      // DuckDB converts them (wrapping around, without undefined behaviour, for days out of range).
      const std::int64_t nanos = load_le<std::int64_t>(raw.data());
      const std::int64_t day = load_le<std::int32_t>(raw.data() + 8) - kJulianEpochDay;
      const auto micros = static_cast<std::int64_t>(static_cast<std::uint64_t>(day) *
                                                        static_cast<std::uint64_t>(kSecondsPerDay * 1000000) +
                                                    static_cast<std::uint64_t>(nanos / 1000));
      return timestamp_text(static_cast<std::int64_t>(micros), 1000);
    }
    case Render::Decimal:
      if (t.physical == pt::Type::INT32 || t.physical == pt::Type::INT64) {
        return decimal_from_int(signed_value(raw), t.scale);
      }
      return decimal_text(raw, t.scale);
    case Render::Text:
      return std::string(raw);
    case Render::Uuid:
      return uuid_text(raw);
    case Render::Interval:
      return interval_text(raw);
    case Render::Blob:
      break;
  }
  return blob_text(raw);
}

// ---------------------------------------------------------------------------------------------------------
// Decoders

// The RLE/bit-packed hybrid encoding (levels, dictionary indices, RLE booleans), decoded lazily: a run may
// claim billions of values in a few bytes, so nothing is expanded ahead of use.
class RleDecoder {
 public:
  RleDecoder(std::string_view data, int bit_width) : data_(data), bit_width_(bit_width) {}

  /// The next value; false when the data holds no more.
  bool next(std::uint32_t& value) {
    if (repeat_left_ == 0 && literal_left_ == 0 && !next_run()) return false;
    if (repeat_left_ > 0) {
      --repeat_left_;
      value = repeat_value_;
      return true;
    }
    --literal_left_;
    value = bits_at(literal_bit_);
    literal_bit_ += static_cast<std::uint64_t>(bit_width_);
    return true;
  }

 private:
  bool next_run() {
    while (pos_ < data_.size()) {
      std::uint64_t header = 0;
      int shift = 0;
      while (true) {
        if (pos_ >= data_.size() || shift > 35) return false;
        auto b = static_cast<unsigned char>(data_[pos_++]);
        header |= static_cast<std::uint64_t>(b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) == 0) break;
      }
      if (header & 1) {
        const std::uint64_t groups = header >> 1;
        const std::uint64_t bytes = groups * static_cast<std::uint64_t>(bit_width_);
        const std::uint64_t available = std::min<std::uint64_t>(bytes, data_.size() - pos_);
        // A last group cut short by the end of the data holds only the values whose bits are all there.
        literal_left_ = bit_width_ == 0 ? groups * 8 : std::min(groups * 8, available * 8 / bit_width_);
        literal_bit_ = pos_ * 8;
        pos_ += static_cast<std::size_t>(available);
      } else {
        const std::size_t width_bytes = (static_cast<std::size_t>(bit_width_) + 7) / 8;
        if (data_.size() - pos_ < width_bytes) return false;
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < width_bytes; ++i)
          v |= static_cast<std::uint32_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
        pos_ += width_bytes;
        repeat_left_ = header >> 1;
        repeat_value_ = v;
      }
      if (repeat_left_ > 0 || literal_left_ > 0) return true;
    }
    return false;
  }

  std::uint32_t bits_at(std::uint64_t bit) const {
    std::uint64_t v = 0;
    for (int i = 0; i < bit_width_; ++i, ++bit) {
      auto byte = static_cast<unsigned char>(data_[static_cast<std::size_t>(bit / 8)]);
      v |= static_cast<std::uint64_t>((byte >> (bit % 8)) & 1) << i;
    }
    return static_cast<std::uint32_t>(v);
  }

  std::string_view data_;
  int bit_width_;
  std::size_t pos_ = 0;
  std::uint64_t repeat_left_ = 0;
  std::uint32_t repeat_value_ = 0;
  std::uint64_t literal_left_ = 0;
  std::uint64_t literal_bit_ = 0;
};

int bit_width_of(std::uint32_t max_value) {
  int w = 0;
  while (max_value > 0) {
    ++w;
    max_value >>= 1;
  }
  return w;
}

// Definition levels of one page: RLE (the hybrid), the deprecated BIT_PACKED (most significant bit first),
// or none when the column is required.
class LevelReader {
 public:
  LevelReader() = default;
  LevelReader(std::string_view data, int bit_width, bool bit_packed)
      : rle_(data, bit_width), data_(data), bit_width_(bit_width), bit_packed_(bit_packed), present_(true) {}

  bool next(std::uint32_t& level) {
    if (!present_) {
      level = 0;
      return true;
    }
    if (!bit_packed_) return rle_.next(level);
    const std::uint64_t end = bit_ + static_cast<std::uint64_t>(bit_width_);
    if (end > data_.size() * 8) return false;
    std::uint32_t v = 0;
    for (; bit_ < end; ++bit_) {
      auto byte = static_cast<unsigned char>(data_[static_cast<std::size_t>(bit_ / 8)]);
      v = (v << 1) | ((byte >> (7 - bit_ % 8)) & 1);
    }
    level = v;
    return true;
  }

 private:
  RleDecoder rle_{{}, 0};
  std::string_view data_;
  int bit_width_ = 0;
  bool bit_packed_ = false;
  bool present_ = false;
  std::uint64_t bit_ = 0;
};

// PLAIN values of one physical type, as raw slices (a boolean as one byte 0 or 1).
class PlainReader {
 public:
  PlainReader(std::string_view data, const ColumnType& type) : data_(data), type_(type) {}

  bool next(std::string_view& raw) {
    static const char kBooleans[2] = {0, 1};
    switch (type_.physical) {
      case pt::Type::BOOLEAN: {
        if (bit_ >= data_.size() * 8) return false;
        auto byte = static_cast<unsigned char>(data_[static_cast<std::size_t>(bit_ / 8)]);
        raw = std::string_view(&kBooleans[(byte >> (bit_ % 8)) & 1], 1);
        ++bit_;
        return true;
      }
      case pt::Type::INT32:
      case pt::Type::FLOAT:
        return fixed(4, raw);
      case pt::Type::INT64:
      case pt::Type::DOUBLE:
        return fixed(8, raw);
      case pt::Type::INT96:
        return fixed(12, raw);
      case pt::Type::FIXED_LEN_BYTE_ARRAY:
        return fixed(static_cast<std::size_t>(type_.type_length), raw);
      case pt::Type::BYTE_ARRAY: {
        if (data_.size() - pos_ < 4) return false;
        const std::uint32_t length = load_le<std::uint32_t>(data_.data() + pos_);
        if (data_.size() - pos_ - 4 < length) return false;
        raw = data_.substr(pos_ + 4, length);
        pos_ += 4 + static_cast<std::size_t>(length);
        return true;
      }
      default:
        return false;
    }
  }

 private:
  bool fixed(std::size_t width, std::string_view& raw) {
    if (data_.size() - pos_ < width) return false;
    raw = data_.substr(pos_, width);
    pos_ += width;
    return true;
  }

  std::string_view data_;
  const ColumnType& type_;
  std::size_t pos_ = 0;
  std::uint64_t bit_ = 0;
};

// ---------------------------------------------------------------------------------------------------------
// Column chunks

// Sequential reads of one column chunk from its start, bounded by `end` (the end of the data section) and
// counted against the column's byte budget.
class ChunkReader {
 public:
  ChunkReader(ByteSource& source, std::uint64_t start, std::uint64_t end, std::size_t& budget)
      : source_(source), end_(end), buffer_start_(start), budget_(budget) {}

  std::uint64_t end() const { return end_; }

  /// Bytes from `offset` that view() can give within the budget: those buffered and those it may still read.
  std::uint64_t reachable(std::uint64_t offset) const {
    const std::uint64_t have_end = buffer_start_ + buffer_.size();
    return (have_end > offset ? have_end - offset : 0) + budget_;
  }

  /// Bytes [offset, offset + length) of the chunk, reading what is not buffered yet (offsets only grow).
  /// Throws Unsupported when the budget would be exceeded.
  std::string_view view(std::uint64_t offset, std::size_t length) {
    if (offset > buffer_start_) {  // drop what lies before: earlier pages are done
      const auto drop =
          static_cast<std::size_t>(std::min<std::uint64_t>(offset - buffer_start_, buffer_.size()));
      buffer_.erase(0, drop);
      buffer_start_ += drop;
    }
    const std::uint64_t want_end = offset + length;
    const std::uint64_t have_end = buffer_start_ + buffer_.size();
    if (want_end > have_end) {
      const std::uint64_t read_end = want_end;
      if (read_end - have_end > budget_) throw Unsupported{kBudgetNote};
      std::string more = source_.read(have_end, static_cast<std::size_t>(read_end - have_end));
      budget_ -= more.size();
      buffer_ += more;
      if (buffer_start_ + buffer_.size() < want_end) {
        fail(source_.name(), "the file ended inside a column chunk at offset " + std::to_string(have_end));
      }
    }
    return std::string_view(buffer_).substr(static_cast<std::size_t>(offset - buffer_start_), length);
  }

  /// The bytes from `offset` to `end`.
  std::uint64_t left(std::uint64_t offset) const { return offset >= end_ ? 0 : end_ - offset; }

 private:
  ByteSource& source_;
  std::uint64_t end_;
  std::uint64_t buffer_start_;
  std::string buffer_;
  std::size_t& budget_;
};

// Decodes one page header at `data`; returns its length, or 0 when the bytes end inside it.
std::size_t decode_page_header(std::string_view data, pt::PageHeader& header, const std::string& file,
                               std::uint64_t offset) {
  const auto limit = static_cast<std::int32_t>(data.size());
  const int max_frame_size = apache::thrift::TConfiguration::DEFAULT_MAX_FRAME_SIZE;
  auto config =
      std::make_shared<apache::thrift::TConfiguration>(limit, max_frame_size, kThriftRecursionLimit);
  auto buffer = std::make_shared<apache::thrift::transport::TMemoryBuffer>(
      reinterpret_cast<std::uint8_t*>(const_cast<char*>(data.data())),
      static_cast<std::uint32_t>(data.size()), apache::thrift::transport::TMemoryBuffer::OBSERVE, config);
  apache::thrift::protocol::TCompactProtocolT<apache::thrift::transport::TMemoryBuffer> protocol(
      buffer, limit, limit);
  try {
    header.read(&protocol);
  } catch (const apache::thrift::transport::TTransportException& e) {
    if (e.getType() == apache::thrift::transport::TTransportException::END_OF_FILE) return 0;
    fail(file, "the page header at offset " + std::to_string(offset) + " does not decode: " + e.what());
  } catch (const apache::thrift::TException& e) {
    fail(file, "the page header at offset " + std::to_string(offset) + " does not decode: " + e.what());
  }
  return data.size() - buffer->available_read();
}

bool supported_codec(std::int32_t codec) {
  return codec == pt::CompressionCodec::UNCOMPRESSED || codec == pt::CompressionCodec::SNAPPY ||
         codec == pt::CompressionCodec::GZIP || codec == pt::CompressionCodec::ZSTD;
}

// A leaf column of the schema (in column chunk order) and its levels.
struct Leaf {
  std::string path;
  const pt::SchemaElement* element = nullptr;
  int max_definition = 0;
  int max_repetition = 0;
};

void collect_leaves(const std::vector<pt::SchemaElement>& schema, std::size_t& next, int children, int def,
                    int rep, const std::string& parent, std::vector<Leaf>& out) {
  for (int i = 0; i < children && next < schema.size(); ++i) {
    const pt::SchemaElement& e = schema[next++];
    const std::string path = parent.empty() ? e.name : parent + "." + e.name;
    int d = def;
    int r = rep;
    if (e.__isset.repetition_type && e.repetition_type != pt::FieldRepetitionType::REQUIRED) ++d;
    if (e.__isset.repetition_type && e.repetition_type == pt::FieldRepetitionType::REPEATED) ++r;
    if (e.__isset.num_children && e.num_children > 0) {
      collect_leaves(schema, next, e.num_children, d, r, path, out);
    } else {
      out.push_back({path, &e, d, r});
    }
  }
}

// Samples one column: its chunks in row group order, page by page.
class ColumnSampler {
 public:
  ColumnSampler(ByteSource& source, const Leaf& leaf, const ValueSampleOptions& options, ColumnValues& out)
      : source_(source),
        file_(source.name()),
        leaf_(leaf),
        type_(column_type(*leaf.element)),
        options_(options),
        out_(out),
        budget_(options.max_bytes) {}

  bool full() const { return out_.values.size() >= options_.max_values_per_column; }

  void sample_chunk(const pt::ColumnMetaData& meta, std::uint64_t data_end) {
    if (meta.num_values == 0) return;
    if (!supported_codec(meta.codec)) {
      throw Unsupported{"compression codec " + enum_name(pt::_CompressionCodec_VALUES_TO_NAMES, meta.codec) +
                        " is not supported"};
    }
    codec_ = meta.codec;
    std::int64_t start = meta.data_page_offset;
    if (meta.__isset.dictionary_page_offset && meta.dictionary_page_offset > 0 &&
        meta.dictionary_page_offset < start) {
      start = meta.dictionary_page_offset;
    }
    // The footer check placed the chunk's start inside the data section. Pages are read until the chunk's
    // value count is reached, bounded by the data section rather than by total_compressed_size, which some
    // writers got wrong (without the dictionary page); DuckDB reads those files too.
    const auto begin = static_cast<std::uint64_t>(start);
    const std::uint64_t chunk_end = begin + static_cast<std::uint64_t>(meta.total_compressed_size);
    ChunkReader reader(source_, begin, data_end, budget_);
    dictionary_.clear();
    dictionary_page_.clear();
    has_dictionary_ = false;
    std::int64_t seen = 0;
    std::uint64_t offset = begin;
    while (!full() && seen < meta.num_values && reader.left(offset) > 0) {
      pt::PageHeader header;
      std::size_t header_length = 0;
      // The header window stays inside the chunk's claimed size (not to read the next chunk's bytes) unless
      // the header itself runs past it.
      const std::uint64_t left = reader.left(offset);
      std::uint64_t limit = chunk_end > offset ? std::min(chunk_end - offset, left) : left;
      for (std::size_t window = kPageHeaderWindow;;) {
        const std::uint64_t reachable = reader.reachable(offset);
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>({window, limit, reachable}));
        header_length = n == 0 ? 0 : decode_page_header(reader.view(offset, n), header, file_, offset);
        if (header_length > 0) break;
        if (n == left || window >= kMaxPageHeaderBytes) {
          fail(file_, column() + ": the page header at offset " + std::to_string(offset) +
                          " runs past the end of the data section");
        }
        if (n == reachable) throw Unsupported{kBudgetNote};
        if (n == limit) {
          limit = left;
        } else {
          window *= 4;
        }
      }
      chunk_values_left_ = meta.num_values - seen;
      const std::uint64_t body = offset + header_length;
      if (header.compressed_page_size < 0 || header.uncompressed_page_size < 0 ||
          static_cast<std::uint64_t>(header.compressed_page_size) > reader.left(body)) {
        fail(file_, column() + ": the page at offset " + std::to_string(offset) + " claims " +
                        std::to_string(header.compressed_page_size) +
                        " bytes, past the end of the data section (truncated or corrupt file)");
      }
      const auto size = static_cast<std::size_t>(header.compressed_page_size);
      if (static_cast<std::uint64_t>(header.uncompressed_page_size) > max_page_bytes()) {
        throw Unsupported{"a page of " + std::to_string(header.uncompressed_page_size) +
                          " bytes is larger than " + std::to_string(max_page_bytes()) +
                          " (kPageBytesPerBudgetByte x max_bytes)"};
      }
      switch (header.type) {
        case pt::PageType::DICTIONARY_PAGE:
          read_dictionary(header, reader.view(body, size), offset);
          break;
        case pt::PageType::DATA_PAGE:
          if (!header.__isset.data_page_header) fail(file_, page(offset) + " has no data page header");
          seen += read_data_page_v1(header, reader.view(body, size), offset);
          break;
        case pt::PageType::DATA_PAGE_V2:
          if (!header.__isset.data_page_header_v2) fail(file_, page(offset) + " has no data page v2 header");
          seen += read_data_page_v2(header, reader.view(body, size), offset);
          break;
        default:  // index pages and unknown types carry no values
          break;
      }
      offset = body + size;
    }
  }

 private:
  std::string column() const { return "column '" + leaf_.path + "'"; }
  // The largest decompressed page decoded: writers put megabytes of values in one page (DuckDB writes
  // 5 MiB string pages), so the bound is a multiple of the byte budget.
  std::uint64_t max_page_bytes() const {
    return kPageBytesPerBudgetByte * static_cast<std::uint64_t>(options_.max_bytes);
  }
  std::string page(std::uint64_t offset) const {
    return column() + ": the page at offset " + std::to_string(offset);
  }

  std::string decompress(std::string_view data, std::size_t size, std::uint64_t offset) {
    if (size == 0 && data.empty()) return {};  // an empty page (no values), whatever the codec
    if (codec_ == pt::CompressionCodec::UNCOMPRESSED) {
      if (data.size() != size) {
        fail(file_, page(offset) + " holds " + std::to_string(data.size()) + " bytes, its header says " +
                        std::to_string(size));
      }
      return std::string(data);
    }
    std::string out;
    if (codec_ == pt::CompressionCodec::SNAPPY) {
      std::size_t length = 0;
      if (!snappy::GetUncompressedLength(data.data(), data.size(), &length) || length != size) {
        fail(file_, page(offset) + " is not snappy data of " + std::to_string(size) + " bytes");
      }
      out.resize(length);
      if (!snappy::RawUncompress(data.data(), data.size(), out.data())) {
        fail(file_, page(offset) + " does not decompress (snappy)");
      }
      return out;
    }
    const Codec codec = codec_ == pt::CompressionCodec::GZIP ? Codec::Gzip : Codec::Zstd;
    try {
      out = decompress_prefix(data, codec, size);
    } catch (const Error& e) {
      fail(file_,
           page(offset) + " does not decompress (" + std::string(codec_name(codec)) + "): " + e.what());
    }
    if (out.size() != size) {
      fail(file_, page(offset) + " decompresses to " + std::to_string(out.size()) +
                      " bytes, its header says " + std::to_string(size));
    }
    return out;
  }

  void read_dictionary(const pt::PageHeader& header, std::string_view data, std::uint64_t offset) {
    if (!header.__isset.dictionary_page_header) fail(file_, page(offset) + " has no dictionary page header");
    const pt::DictionaryPageHeader& dict = header.dictionary_page_header;
    if (dict.encoding != pt::Encoding::PLAIN && dict.encoding != pt::Encoding::PLAIN_DICTIONARY) {
      throw Unsupported{"dictionary encoding " + enum_name(pt::_Encoding_VALUES_TO_NAMES, dict.encoding) +
                        " is not supported"};
    }
    if (dict.num_values < 0) fail(file_, page(offset) + " has a negative dictionary size");
    dictionary_page_ = decompress(data, static_cast<std::size_t>(header.uncompressed_page_size), offset);
    dictionary_.clear();
    PlainReader reader(dictionary_page_, type_);
    std::string_view raw;
    for (std::int32_t i = 0; i < dict.num_values; ++i) {
      if (!reader.next(raw)) {
        fail(file_, page(offset) + ": the dictionary ends after " + std::to_string(i) + " of its " +
                        std::to_string(dict.num_values) + " values");
      }
      // Booleans point into a static table; every other value into dictionary_page_, which stays alive.
      dictionary_.push_back(raw);
    }
    has_dictionary_ = true;
  }

  std::int64_t read_data_page_v1(const pt::PageHeader& header, std::string_view data, std::uint64_t offset) {
    const pt::DataPageHeader& h = header.data_page_header;
    const std::string page_data =
        decompress(data, static_cast<std::size_t>(header.uncompressed_page_size), offset);
    std::string_view rest = page_data;
    LevelReader levels;
    if (leaf_.max_definition > 0) {
      const int width = bit_width_of(static_cast<std::uint32_t>(leaf_.max_definition));
      if (h.definition_level_encoding == pt::Encoding::RLE) {
        if (rest.size() < 4) fail(file_, page(offset) + ": its definition levels are cut");
        const std::uint32_t length = load_le<std::uint32_t>(rest.data());
        if (rest.size() - 4 < length) fail(file_, page(offset) + ": its definition levels are cut");
        levels = LevelReader(rest.substr(4, length), width, false);
        rest.remove_prefix(4 + static_cast<std::size_t>(length));
      } else if (h.definition_level_encoding == pt::Encoding::BIT_PACKED) {
        const std::uint64_t bytes = (static_cast<std::uint64_t>(std::max(h.num_values, 0)) * width + 7) / 8;
        if (rest.size() < bytes) fail(file_, page(offset) + ": its definition levels are cut");
        levels = LevelReader(rest.substr(0, static_cast<std::size_t>(bytes)), width, true);
        rest.remove_prefix(static_cast<std::size_t>(bytes));
      } else {
        throw Unsupported{"definition level encoding " +
                          enum_name(pt::_Encoding_VALUES_TO_NAMES, h.definition_level_encoding) +
                          " is not supported"};
      }
    }
    return read_values(h.num_values, h.encoding, levels, rest, offset);
  }

  std::int64_t read_data_page_v2(const pt::PageHeader& header, std::string_view data, std::uint64_t offset) {
    const pt::DataPageHeaderV2& h = header.data_page_header_v2;
    if (h.repetition_levels_byte_length < 0 || h.definition_levels_byte_length < 0 ||
        static_cast<std::uint64_t>(h.repetition_levels_byte_length) +
                static_cast<std::uint64_t>(h.definition_levels_byte_length) >
            std::min<std::uint64_t>(data.size(), static_cast<std::uint64_t>(header.uncompressed_page_size))) {
      fail(file_, page(offset) + ": its level lengths do not fit in the page");
    }
    const auto rep = static_cast<std::size_t>(h.repetition_levels_byte_length);
    const auto def = static_cast<std::size_t>(h.definition_levels_byte_length);
    LevelReader levels;
    if (leaf_.max_definition > 0) {
      levels = LevelReader(data.substr(rep, def),
                           bit_width_of(static_cast<std::uint32_t>(leaf_.max_definition)), false);
    }
    const std::string_view values = data.substr(rep + def);
    const std::size_t values_size = static_cast<std::size_t>(header.uncompressed_page_size) - rep - def;
    // Levels stay uncompressed; the values are compressed unless the header says otherwise.
    std::string plain;
    if (h.is_compressed && codec_ != pt::CompressionCodec::UNCOMPRESSED) {
      plain = decompress(values, values_size, offset);
    } else {
      if (values.size() != values_size) fail(file_, page(offset) + ": its sizes disagree");
      plain = std::string(values);
    }
    // levels points into `data`, which the chunk reader keeps until the next page.
    return read_values(h.num_values, h.encoding, levels, plain, offset);
  }

  // The values of one data page after its levels; returns the page's value count.
  std::int64_t read_values(std::int32_t num_values, std::int32_t encoding, LevelReader& levels,
                           std::string_view data, std::uint64_t offset) {
    if (num_values < 0) fail(file_, page(offset) + " has a negative value count");
    // Bounds the level loop: a corrupt count cannot make a run of nulls spin through billions of values.
    if (num_values > chunk_values_left_) {
      fail(file_, page(offset) + " claims " + std::to_string(num_values) + " values, more than the " +
                      std::to_string(chunk_values_left_) + " left in its column chunk");
    }
    const bool dictionary =
        encoding == pt::Encoding::PLAIN_DICTIONARY || encoding == pt::Encoding::RLE_DICTIONARY;
    const bool boolean_rle = encoding == pt::Encoding::RLE && type_.physical == pt::Type::BOOLEAN;
    if (encoding != pt::Encoding::PLAIN && !dictionary && !boolean_rle) {
      throw Unsupported{"encoding " + enum_name(pt::_Encoding_VALUES_TO_NAMES, encoding) +
                        " is not supported"};
    }
    if (dictionary && !has_dictionary_)
      fail(file_, page(offset) + " is dictionary encoded without a dictionary");
    PlainReader plain(data, type_);
    RleDecoder indices({}, 0);
    if (dictionary) {
      if (data.empty()) {
        indices = RleDecoder({}, 0);
      } else {
        const int width = static_cast<unsigned char>(data[0]);
        if (width > 32) fail(file_, page(offset) + ": dictionary index bit width " + std::to_string(width));
        indices = RleDecoder(data.substr(1), width);
      }
    } else if (boolean_rle) {
      if (data.size() < 4) fail(file_, page(offset) + ": its RLE booleans are cut");
      const std::uint32_t length = load_le<std::uint32_t>(data.data());
      if (data.size() - 4 < length) fail(file_, page(offset) + ": its RLE booleans are cut");
      indices = RleDecoder(data.substr(4, length), 1);
    }
    static const char kBooleans[2] = {0, 1};
    const auto max_def = static_cast<std::uint32_t>(leaf_.max_definition);
    for (std::int32_t i = 0; i < num_values && !full(); ++i) {
      std::uint32_t level = 0;
      if (!levels.next(level)) {
        fail(file_, page(offset) + ": its definition levels end after " + std::to_string(i) + " of " +
                        std::to_string(num_values) + " values");
      }
      if (level != max_def) {
        ++out_.nulls;
        continue;
      }
      std::string_view raw;
      bool ok = false;
      if (dictionary || boolean_rle) {
        std::uint32_t index = 0;
        ok = indices.next(index);
        if (ok && dictionary) {
          if (index >= dictionary_.size()) {
            fail(file_, page(offset) + ": dictionary index " + std::to_string(index) + " is past the " +
                            std::to_string(dictionary_.size()) + " dictionary values");
          }
          raw = dictionary_[index];
        } else if (ok) {
          raw = std::string_view(&kBooleans[index & 1], 1);
        }
      } else {
        ok = plain.next(raw);
      }
      if (!ok) {
        fail(file_,
             page(offset) + ": its values end after " + std::to_string(out_.values.size()) + " were read");
      }
      out_.values.push_back(render(type_, raw));
    }
    return num_values;
  }

  ByteSource& source_;
  const std::string& file_;
  const Leaf& leaf_;
  ColumnType type_;
  const ValueSampleOptions& options_;
  ColumnValues& out_;
  std::size_t budget_;
  std::int32_t codec_ = 0;
  std::string dictionary_page_;
  std::vector<std::string_view> dictionary_;
  bool has_dictionary_ = false;
  std::int64_t chunk_values_left_ = 0;
};

}  // namespace

std::vector<ColumnValues> sample_parquet_values(ByteSource& file, const ValueSampleOptions& options) {
  // A file no longer than the footer reader's first read is read once, whole, and decoded from memory.
  std::unique_ptr<ByteSource> whole;
  const std::uint64_t size = file.size();
  if (size <= kParquetTailReadBytes)
    whole = memory_source(file.name(), file.read(0, static_cast<std::size_t>(size)));
  ByteSource& source = whole ? *whole : file;
  const detail::ParquetMetadata footer = detail::read_parquet_metadata(source);
  const pt::FileMetaData& metadata = footer.metadata;
  std::vector<Leaf> leaves;
  std::size_t next = 1;
  collect_leaves(metadata.schema, next, metadata.schema[0].num_children, 0, 0, "", leaves);

  std::vector<ColumnValues> result;
  for (std::size_t c = 0; c < leaves.size(); ++c) {
    const Leaf& leaf = leaves[c];
    if (leaf.max_repetition > 0) continue;
    ColumnValues values;
    values.column = leaf.path;
    if (options.max_values_per_column > 0) {
      ColumnSampler sampler(source, leaf, options, values);
      try {
        for (const pt::RowGroup& group : metadata.row_groups) {
          if (sampler.full()) break;
          sampler.sample_chunk(group.columns[c].meta_data, footer.data_end);
        }
      } catch (const Unsupported& u) {
        values.note = u.note;
      }
    }
    result.push_back(std::move(values));
  }
  return result;
}

}  // namespace cairn::crawler
