#include "cairn/crawler/parquet_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/crawler/byte_source.h"
#include "crawler/test_util.h"

namespace {

namespace fs = std::filesystem;
using cairn::Error;
using cairn::ErrorCode;
using cairn::crawler::ByteSource;
using cairn::crawler::FileSchema;
using cairn::crawler::memory_source;
using cairn::crawler::read_parquet_schema;
using nlohmann::json;

// ---------------------------------------------------------------------------------------------------------------
// Synthetic files: a Thrift compact-protocol writer for just the footer structures the tests need.

class CompactWriter {
 public:
  enum : std::uint8_t {
    kTrue = 1,
    kFalse = 2,
    kByte = 3,
    kI32 = 5,
    kI64 = 6,
    kBinary = 8,
    kList = 9,
    kStruct = 12
  };

  void i32(std::int16_t id, std::int32_t v) {
    field(id, kI32);
    varint(zigzag(v));
  }
  void i64(std::int16_t id, std::int64_t v) {
    field(id, kI64);
    varint(zigzag(v));
  }
  void i8(std::int16_t id, std::int8_t v) {
    field(id, kByte);
    out_ += static_cast<char>(v);
  }
  void boolean(std::int16_t id, bool v) { field(id, v ? kTrue : kFalse); }
  void string(std::int16_t id, const std::string& v) {
    field(id, kBinary);
    varint(v.size());
    out_ += v;
  }
  /// A binary field header claiming `length` bytes, without the bytes.
  void binary_header(std::int16_t id, std::uint64_t length) {
    field(id, kBinary);
    varint(length);
  }
  void begin_struct(std::int16_t id) {
    field(id, kStruct);
    push();
  }
  void end_struct() {
    out_ += '\0';
    pop();
  }
  /// A list header; write `size` elements after it (structs with begin_element/end_struct).
  void begin_list(std::int16_t id, std::uint8_t element_type, std::uint64_t size) {
    field(id, kList);
    if (size < 15) {
      out_ += static_cast<char>((size << 4) | element_type);
    } else {
      out_ += static_cast<char>(0xf0 | element_type);
      varint(size);
    }
  }
  void begin_element() { push(); }
  void list_string(const std::string& v) {
    varint(v.size());
    out_ += v;
  }
  void list_i32(std::int32_t v) { varint(zigzag(v)); }
  void stop() { out_ += '\0'; }
  const std::string& bytes() const { return out_; }

 private:
  static std::uint64_t zigzag(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  void field(std::int16_t id, std::uint8_t type) {
    const int delta = id - last_;
    if (delta > 0 && delta <= 15) {
      out_ += static_cast<char>((delta << 4) | type);
    } else {
      out_ += static_cast<char>(type);
      varint(zigzag(id));
    }
    last_ = id;
  }
  void push() {
    stack_.push_back(last_);
    last_ = 0;
  }
  void pop() {
    last_ = stack_.back();
    stack_.pop_back();
  }
  std::string out_;
  std::int16_t last_ = 0;
  std::vector<std::int16_t> stack_;
};

// Parquet enum values (parquet.thrift).
enum Physical {
  BOOLEAN = 0,
  INT32 = 1,
  INT64 = 2,
  INT96 = 3,
  FLOAT = 4,
  DOUBLE = 5,
  BYTE_ARRAY = 6,
  FLBA = 7
};
enum Repetition { REQUIRED = 0, OPTIONAL = 1, REPEATED = 2 };
enum Converted { UTF8 = 0, MAP = 1, MAP_KEY_VALUE = 2, LIST = 3, DECIMAL = 5, DATE = 6, TIME_MILLIS = 7 };
enum ConvertedInt { UINT_8 = 11, UINT_16 = 12, UINT_32 = 13, UINT_64 = 14, INT_8 = 15, INT_16 = 16 };

struct Element {
  std::string name;
  std::optional<int> type;
  std::optional<int> repetition;
  std::optional<int> children;
  std::optional<int> converted;
  std::optional<int> type_length;
  std::optional<int> precision;
  std::optional<int> scale;
  /// A logical type: union member id and, for INTEGER/TIMESTAMP/DECIMAL, its fields.
  std::optional<int> logical;
  int logical_a = 0;
  int logical_b = 0;
};

Element group(std::string name, int children, std::optional<int> repetition = OPTIONAL,
              std::optional<int> converted = std::nullopt) {
  Element e;
  e.name = std::move(name);
  e.children = children;
  e.repetition = repetition;
  e.converted = converted;
  return e;
}

Element leaf(std::string name, int type, int repetition = OPTIONAL,
             std::optional<int> converted = std::nullopt) {
  Element e;
  e.name = std::move(name);
  e.type = type;
  e.repetition = repetition;
  e.converted = converted;
  return e;
}

void write_element(CompactWriter& w, const Element& e) {
  w.begin_element();
  if (e.type) w.i32(1, *e.type);
  if (e.type_length) w.i32(2, *e.type_length);
  if (e.repetition) w.i32(3, *e.repetition);
  w.string(4, e.name);
  if (e.children) w.i32(5, *e.children);
  if (e.converted) w.i32(6, *e.converted);
  if (e.scale) w.i32(7, *e.scale);
  if (e.precision) w.i32(8, *e.precision);
  if (e.logical) {
    w.begin_struct(10);
    w.begin_struct(static_cast<std::int16_t>(*e.logical));
    if (*e.logical == 10) {  // IntType
      w.i8(1, static_cast<std::int8_t>(e.logical_a));
      w.boolean(2, e.logical_b != 0);
    } else if (*e.logical == 8 || *e.logical == 7) {  // TimestampType / TimeType: isAdjustedToUTC, unit
      w.boolean(1, e.logical_a != 0);
      w.begin_struct(2);
      w.begin_struct(static_cast<std::int16_t>(e.logical_b));  // 1 MILLIS, 2 MICROS, 3 NANOS
      w.end_struct();
      w.end_struct();
    } else if (*e.logical == 5) {  // DecimalType: scale, precision
      w.i32(1, e.logical_a);
      w.i32(2, e.logical_b);
    }
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
}

struct Chunk {
  int type = INT32;
  int codec = 0;
  std::int64_t num_values = 0;
  std::int64_t data_page_offset = 4;
  std::optional<std::string> file_path;
};

struct Footer {
  std::vector<Element> schema;
  std::vector<std::pair<std::int64_t, std::vector<Chunk>>> row_groups;  // num_rows, chunks
  bool encryption_algorithm = false;
};

std::string encode_footer(const Footer& f) {
  CompactWriter w;
  w.i32(1, 1);
  w.begin_list(2, CompactWriter::kStruct, f.schema.size());
  for (const Element& e : f.schema) write_element(w, e);
  std::int64_t rows = 0;
  for (const auto& g : f.row_groups) rows += g.first;
  w.i64(3, rows);
  w.begin_list(4, CompactWriter::kStruct, f.row_groups.size());
  for (const auto& [num_rows, chunks] : f.row_groups) {
    w.begin_element();
    w.begin_list(1, CompactWriter::kStruct, chunks.size());
    for (const Chunk& c : chunks) {
      w.begin_element();
      if (c.file_path) w.string(1, *c.file_path);
      w.i64(2, 0);
      w.begin_struct(3);
      w.i32(1, c.type);
      w.begin_list(2, CompactWriter::kI32, 1);
      w.list_i32(0);
      w.begin_list(3, CompactWriter::kBinary, 1);
      w.list_string("x");
      w.i32(4, c.codec);
      w.i64(5, c.num_values);
      w.i64(6, 10);
      w.i64(7, 10);
      w.i64(9, c.data_page_offset);
      w.end_struct();
      w.end_struct();
    }
    w.i64(2, 10);
    w.i64(3, num_rows);
    w.end_struct();
  }
  if (f.encryption_algorithm) {
    w.begin_struct(8);
    w.begin_struct(1);
    w.end_struct();
    w.end_struct();
  }
  w.stop();
  return w.bytes();
}

std::string le32(std::uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

/// "PAR1", `data_bytes` of filler, the footer, its length, "PAR1".
std::string parquet_file(const std::string& footer, std::size_t data_bytes = 16) {
  return "PAR1" + std::string(data_bytes, 'd') + footer + le32(static_cast<std::uint32_t>(footer.size())) +
         "PAR1";
}

/// A footer of one row group over `schema`, with one chunk per leaf holding `rows` values each.
Footer single_group(std::vector<Element> schema, std::int64_t rows = 3, int codec = 0) {
  Footer f;
  std::vector<Chunk> chunks;
  for (std::size_t i = 1; i < schema.size(); ++i) {
    if (schema[i].type) chunks.push_back({*schema[i].type, codec, rows, 4, std::nullopt});
  }
  f.schema = std::move(schema);
  f.row_groups.push_back({rows, std::move(chunks)});
  return f;
}

FileSchema read_bytes(const std::string& bytes, const std::string& name = "mem://test.parquet") {
  auto source = memory_source(name, bytes);
  return read_parquet_schema(*source);
}

/// The message of the InvalidArgument error that reading `bytes` throws ("" when it does not throw).
std::string error_of(const std::string& bytes) {
  try {
    read_bytes(bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find("mem://test.parquet"), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

std::vector<std::pair<std::string, std::string>> columns_of(const FileSchema& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& c : s.columns) out.emplace_back(c.name, c.type);
  return out;
}

using Columns = std::vector<std::pair<std::string, std::string>>;

Element root(int children) {
  Element e;
  e.name = "schema";
  e.children = children;
  return e;
}

// ---------------------------------------------------------------------------------------------------------------
// Corrupt and unsupported input: a clear InvalidArgument naming the file, never a crash.

TEST(ParquetReader, RejectsFilesTooShortForTheFraming) {
  EXPECT_NE(error_of("").find("too short"), std::string::npos);
  EXPECT_NE(error_of("PAR1PAR1").find("too short"), std::string::npos);
}

TEST(ParquetReader, RejectsAMissingMagicAtEitherEnd) {
  const std::string footer = encode_footer(single_group({root(1), leaf("a", INT32)}));
  std::string bad_tail = parquet_file(footer);
  bad_tail.replace(bad_tail.size() - 4, 4, "PAR2");
  EXPECT_NE(error_of(bad_tail).find("does not end with the Parquet magic 'PAR1' (found 'PAR2')"),
            std::string::npos);
  std::string bad_head = parquet_file(footer);
  bad_head.replace(0, 4, std::string("\x00\x01\x02\x03", 4));
  EXPECT_NE(error_of(bad_head).find("does not start with the Parquet magic 'PAR1' (found 0x00010203)"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(100, 'x')).find("does not end with"), std::string::npos);
}

TEST(ParquetReader, RejectsEncryptedFilesOfBothKinds) {
  const std::string footer = encode_footer(single_group({root(1), leaf("a", INT32)}));
  std::string encrypted_footer = parquet_file(footer);
  encrypted_footer.replace(0, 4, "PARE");
  encrypted_footer.replace(encrypted_footer.size() - 4, 4, "PARE");
  EXPECT_NE(error_of(encrypted_footer).find("is encrypted (its footer is encrypted"), std::string::npos);

  Footer plaintext = single_group({root(1), leaf("a", INT32)});
  plaintext.encryption_algorithm = true;
  EXPECT_NE(error_of(parquet_file(encode_footer(plaintext))).find("is encrypted (plaintext footer"),
            std::string::npos);
}

TEST(ParquetReader, RejectsBadFooterLengths) {
  const std::string footer = encode_footer(single_group({root(1), leaf("a", INT32)}));
  std::string zero = parquet_file(footer);
  zero.replace(zero.size() - 8, 4, le32(0));
  EXPECT_NE(error_of(zero).find("footer length is 0"), std::string::npos);
  std::string too_long = parquet_file(footer);
  too_long.replace(too_long.size() - 8, 4, le32(0xfffffff0u));
  EXPECT_NE(error_of(too_long).find("does not fit in the file"), std::string::npos);
}

TEST(ParquetReader, RejectsFootersThatAreNotThrift) {
  EXPECT_NE(error_of(parquet_file(std::string(40, '\xff'))).find("does not decode as Parquet metadata"),
            std::string::npos);
  // A valid footer cut short, and one whose length covers only part of it.
  const std::string footer = encode_footer(single_group({root(2), leaf("a", INT32), leaf("b", DOUBLE)}));
  EXPECT_NE(error_of(parquet_file(footer.substr(0, footer.size() / 2))).find("does not decode"),
            std::string::npos);
  // Required fields missing: an empty struct.
  EXPECT_NE(error_of(parquet_file(std::string(1, '\0'))).find("does not decode"), std::string::npos);
}

TEST(ParquetReader, HugeDeclaredListsFailWithoutAllocatingThem) {
  // FileMetaData.version, then a schema list claiming 2^31-1 elements in a 20-byte footer.
  CompactWriter w;
  w.i32(1, 1);
  w.begin_list(2, CompactWriter::kStruct, 0x7fffffff);
  w.stop();
  EXPECT_NE(error_of(parquet_file(w.bytes())).find("does not decode"), std::string::npos);
  // A string claiming 1 GiB.
  CompactWriter s;
  s.i32(1, 1);
  s.begin_list(2, CompactWriter::kStruct, 1);
  s.begin_element();
  s.i32(1, 1);
  s.binary_header(4, 1u << 30);
  EXPECT_NE(error_of(parquet_file(s.bytes())).find("does not decode"), std::string::npos);
}

TEST(ParquetReader, RejectsSchemasThatDoNotFormATree) {
  // The root declares 3 children, 2 follow.
  EXPECT_NE(error_of(parquet_file(encode_footer(single_group({root(3), leaf("a", INT32), leaf("b", INT32)}))))
                .find("the schema ends after 2 of the 3 children of the root"),
            std::string::npos);
  // Elements left after the root's last child.
  Footer extra = single_group({root(1), leaf("a", INT32)});
  extra.schema.push_back(leaf("b", INT32));
  EXPECT_NE(error_of(parquet_file(encode_footer(extra))).find("after the last column of its root"),
            std::string::npos);
  // No columns at all.
  EXPECT_NE(error_of(parquet_file(encode_footer(single_group({root(0)})))).find("the schema has no columns"),
            std::string::npos);
  // An element with neither children nor a type.
  Element neither;
  neither.name = "x";
  neither.repetition = OPTIONAL;
  EXPECT_NE(
      error_of(parquet_file(encode_footer(single_group({root(1), neither})))).find("column 'x': neither"),
      std::string::npos);
}

TEST(ParquetReader, RejectsUnknownOrMismatchedTypes) {
  EXPECT_NE(error_of(parquet_file(encode_footer(single_group({root(1), leaf("a", 9)}))))
                .find("column 'a': unknown physical type 9"),
            std::string::npos);
  EXPECT_NE(error_of(parquet_file(encode_footer(single_group({root(1), leaf("a", INT64, OPTIONAL, INT_8)}))))
                .find("column 'a': INT_8 on physical type INT64"),
            std::string::npos);
  EXPECT_NE(error_of(parquet_file(encode_footer(single_group({root(1), leaf("a", INT32, OPTIONAL, 99)}))))
                .find("unknown converted type 99"),
            std::string::npos);
  Element decimal = leaf("d", INT32, OPTIONAL, DECIMAL);
  EXPECT_NE(error_of(parquet_file(encode_footer(single_group({root(1), decimal})))).find("without precision"),
            std::string::npos);
  decimal.precision = 4;
  decimal.scale = 5;
  EXPECT_NE(error_of(parquet_file(encode_footer(single_group({root(1), decimal})))).find("invalid DECIMAL"),
            std::string::npos);
  EXPECT_NE(
      error_of(parquet_file(encode_footer(single_group({root(1), leaf("f", FLBA)})))).find("type_length"),
      std::string::npos);
  EXPECT_NE(error_of(parquet_file(encode_footer(single_group({root(1), leaf("l", INT32, OPTIONAL, LIST)}))))
                .find("the group annotation LIST on a primitive column"),
            std::string::npos);
}

TEST(ParquetReader, RejectsAMapWithoutValues) {
  // As DuckDB does (map_no_value.parquet): a key/value group needs both.
  Footer f = single_group({root(1), group("m", 1, OPTIONAL, MAP), group("key_value", 1, REPEATED),
                           leaf("key", BYTE_ARRAY, REQUIRED, UTF8)});
  EXPECT_NE(error_of(parquet_file(encode_footer(f)))
                .find("column 'm.key_value': a map's key/value group needs two"),
            std::string::npos);
}

TEST(ParquetReader, RejectsRowGroupsThatDoNotMatchTheSchema) {
  Footer missing = single_group({root(2), leaf("a", INT32), leaf("b", INT32)});
  missing.row_groups[0].second.pop_back();
  EXPECT_NE(error_of(parquet_file(encode_footer(missing)))
                .find("row group 0 has 1 column chunks, the schema has 2"),
            std::string::npos);
  Footer short_column = single_group({root(2), leaf("a", INT32), leaf("b", INT32)}, 5);
  short_column.row_groups[0].second[1].num_values = 4;
  EXPECT_NE(error_of(parquet_file(encode_footer(short_column))).find("column 'b' has 4 values for 5 rows"),
            std::string::npos);
  Footer outside = single_group({root(1), leaf("a", INT32)});
  outside.row_groups[0].second[0].data_page_offset = 1 << 20;
  EXPECT_NE(error_of(parquet_file(encode_footer(outside)))
                .find("claims 10 bytes at offset 1048576, outside the data section [4, 20) (truncated or "
                      "corrupt file)"),
            std::string::npos);
  // A chunk that starts inside the data but runs into the footer (total_compressed_size is 10).
  Footer overlapping = single_group({root(1), leaf("a", INT32)});
  overlapping.row_groups[0].second[0].data_page_offset = 15;
  EXPECT_NE(error_of(parquet_file(encode_footer(overlapping))).find("claims 10 bytes at offset 15"),
            std::string::npos);
  // Without values, offsets of 0 are tolerated (as some writers leave them).
  Footer empty_chunk = single_group({root(1), leaf("a", INT32)}, 0);
  empty_chunk.row_groups[0].second[0].data_page_offset = 0;
  EXPECT_EQ(read_bytes(parquet_file(encode_footer(empty_chunk))).record_count, 0);
  Footer external = single_group({root(1), leaf("a", INT32)});
  external.row_groups[0].second[0].file_path = "part-0.parquet";
  EXPECT_NE(error_of(parquet_file(encode_footer(external))).find("keeps its data in another file"),
            std::string::npos);
  Footer negative = single_group({root(1), leaf("a", INT32)}, -1);
  EXPECT_NE(error_of(parquet_file(encode_footer(negative))).find("negative row count"), std::string::npos);
  Footer codec = single_group({root(1), leaf("a", INT32)}, 3, 42);
  EXPECT_NE(error_of(parquet_file(encode_footer(codec))).find("unknown compression codec 42"),
            std::string::npos);
}

TEST(ParquetReader, RandomCorruptionOfAValidFooterNeverCrashes) {
  const std::string footer = encode_footer(single_group(
      {root(3), leaf("a", INT32), group("s", 2), leaf("x", BYTE_ARRAY, OPTIONAL, UTF8), leaf("y", DOUBLE),
       group("l", 1, OPTIONAL, LIST), group("list", 1, REPEATED), leaf("element", INT64)}));
  std::uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
  };
  for (int i = 0; i < 3000; ++i) {
    std::string corrupt = footer;
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int f = 0; f < flips; ++f) corrupt[next() % corrupt.size()] = static_cast<char>(next() & 0xff);
    try {
      read_bytes(parquet_file(corrupt));
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Synthetic schemas: how Parquet annotations become Hive types.

TEST(ParquetReader, MapsAnnotatedPrimitives) {
  Element dec = leaf("dec", FLBA, OPTIONAL, DECIMAL);
  dec.type_length = 16;
  dec.precision = 38;
  dec.scale = 4;
  Element wide_dec = leaf("wide_dec", BYTE_ARRAY, OPTIONAL, DECIMAL);
  wide_dec.precision = 40;
  wide_dec.scale = 2;
  Element ts = leaf("ts", INT64);
  ts.logical = 8;  // TIMESTAMP(isAdjustedToUTC=true, NANOS)
  ts.logical_a = 1;
  ts.logical_b = 3;
  Element time_us = leaf("time_us", INT64);
  time_us.logical = 7;  // TIME(MICROS)
  time_us.logical_b = 2;
  Element u8 = leaf("u8", INT32);
  u8.logical = 10;  // INTEGER(8, unsigned)
  u8.logical_a = 8;
  Element u64 = leaf("u64", INT64);
  u64.logical = 10;
  u64.logical_a = 64;
  Element uuid = leaf("uuid", FLBA);
  uuid.type_length = 16;
  uuid.logical = 14;
  Element f16 = leaf("f16", FLBA);
  f16.type_length = 2;
  f16.logical = 15;
  Element str = leaf("str", BYTE_ARRAY);
  str.logical = 1;  // STRING without a converted type
  Element flba = leaf("flba", FLBA);
  flba.type_length = 5;
  const FileSchema s =
      read_bytes(parquet_file(encode_footer(single_group({root(22),
                                                          leaf("b", BOOLEAN),
                                                          leaf("i8", INT32, OPTIONAL, INT_8),
                                                          leaf("i16", INT32, OPTIONAL, INT_16),
                                                          leaf("ui8", INT32, OPTIONAL, UINT_8),
                                                          leaf("ui16", INT32, OPTIONAL, UINT_16),
                                                          leaf("ui32", INT32, OPTIONAL, UINT_32),
                                                          leaf("ui64", INT64, OPTIONAL, UINT_64),
                                                          leaf("d", INT32, OPTIONAL, DATE),
                                                          leaf("t_ms", INT32, OPTIONAL, TIME_MILLIS),
                                                          leaf("legacy_ts", INT96),
                                                          leaf("f", FLOAT),
                                                          leaf("bin", BYTE_ARRAY),
                                                          leaf("s", BYTE_ARRAY, REQUIRED, UTF8),
                                                          dec,
                                                          wide_dec,
                                                          ts,
                                                          time_us,
                                                          u8,
                                                          u64,
                                                          uuid,
                                                          f16,
                                                          str}))));
  EXPECT_EQ(columns_of(s), (Columns{{"b", "boolean"},
                                    {"i8", "tinyint"},
                                    {"i16", "smallint"},
                                    {"ui8", "smallint"},
                                    {"ui16", "int"},
                                    {"ui32", "bigint"},
                                    {"ui64", "decimal(20,0)"},
                                    {"d", "date"},
                                    {"t_ms", "int"},
                                    {"legacy_ts", "timestamp"},
                                    {"f", "float"},
                                    {"bin", "binary"},
                                    {"s", "string"},
                                    {"dec", "decimal(38,4)"},
                                    {"wide_dec", "double"},
                                    {"ts", "timestamp"},
                                    {"time_us", "bigint"},
                                    {"u8", "smallint"},
                                    {"u64", "decimal(20,0)"},
                                    {"uuid", "string"},
                                    {"f16", "float"},
                                    {"str", "string"}}));
}

TEST(ParquetReader, MapsListsMapsAndStructs) {
  const FileSchema s = read_bytes(parquet_file(encode_footer(single_group({
      root(6),
      // 3-level list
      group("three", 1, OPTIONAL, LIST),
      group("list", 1, REPEATED),
      leaf("element", INT64),
      // legacy 2-level list
      group("two", 1, OPTIONAL, LIST),
      leaf("array", BYTE_ARRAY, REPEATED, UTF8),
      // a list of structs in the legacy form: the repeated group is the element
      group("legacy_structs", 1, OPTIONAL, LIST),
      group("array", 2, REPEATED),
      leaf("x", INT32),
      leaf("y", INT32),
      // map<string, array<int>>
      group("m", 1, OPTIONAL, MAP),
      group("key_value", 2, REPEATED),
      leaf("key", BYTE_ARRAY, REQUIRED, UTF8),
      group("value", 1, OPTIONAL, LIST),
      group("list", 1, REPEATED),
      leaf("element", INT32),
      // a struct with a repeated field and no annotations; names keep their case, struct fields fold it
      group("Struct", 2),
      leaf("Id", INT32, REQUIRED),
      leaf("tags", BYTE_ARRAY, REPEATED, UTF8),
      // MAP_KEY_VALUE-annotated key/value group
      group("mkv", 1, OPTIONAL, MAP),
      group("map", 2, REPEATED, MAP_KEY_VALUE),
      leaf("key", INT32, REQUIRED),
      leaf("value", DOUBLE),
  }))));
  EXPECT_EQ(columns_of(s), (Columns{{"three", "array<bigint>"},
                                    {"two", "array<string>"},
                                    {"legacy_structs", "array<struct<x:int,y:int>>"},
                                    {"m", "map<string,array<int>>"},
                                    {"Struct", "struct<id:int,tags:array<string>>"},
                                    {"mkv", "map<int,double>"}}));
}

TEST(ParquetReader, RenamesColumnsThatCollideIgnoringCase) {
  const FileSchema s = read_bytes(parquet_file(
      encode_footer(single_group({root(4), leaf("a", INT32), leaf("A", INT32), leaf("a_1", INT32),
                                  group("s", 2), leaf("x", INT32), leaf("X", INT32)}))));
  EXPECT_EQ(columns_of(s),
            (Columns{{"a", "int"}, {"A_1", "int"}, {"a_1_1", "int"}, {"s", "struct<x:int,x_1:int>"}}));
}

TEST(ParquetReader, ReportsRowsCompressionAndGlueStorage) {
  Footer f = single_group({root(2), leaf("a", INT32), leaf("b", INT32)}, 7, 1);
  f.row_groups.push_back({5, {Chunk{INT32, 1, 5, 4, std::nullopt}, Chunk{INT32, 6, 5, 4, std::nullopt}}});
  const FileSchema s = read_bytes(parquet_file(encode_footer(f)));
  EXPECT_EQ(s.classification, "parquet");
  ASSERT_TRUE(s.record_count.has_value());
  EXPECT_EQ(*s.record_count, 12);
  EXPECT_TRUE(s.record_count_exact);
  EXPECT_EQ(s.compression, "snappy");  // 3 of the 4 chunks
  EXPECT_EQ(s.serialization_library, "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
  EXPECT_EQ(s.input_format, "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
  EXPECT_EQ(s.output_format, "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat");
  EXPECT_EQ(s.serde_parameters.at("serialization.format"), "1");

  const FileSchema empty =
      read_bytes(parquet_file(encode_footer(Footer{{root(1), leaf("a", INT32)}, {}, false})));
  EXPECT_EQ(*empty.record_count, 0);
  EXPECT_EQ(empty.compression, "none");
}

/// Records every read of the file's bytes (tests/crawler/test_util.h).
class RecordingSource : public cairn::crawler::test::RecordingSource {
 public:
  explicit RecordingSource(std::string bytes)
      : cairn::crawler::test::RecordingSource("mem://recorded.parquet", std::move(bytes)) {}
};

TEST(ParquetReader, ReadsOnlyTheTailAndTheMagicOfALargeFile) {
  const std::string footer = encode_footer(single_group({root(1), leaf("a", INT32)}));
  RecordingSource source(parquet_file(footer, 10 << 20));
  read_parquet_schema(source);
  const std::uint64_t size = source.size();
  ASSERT_EQ(source.reads.size(), 2u);
  EXPECT_EQ(source.reads[0], (std::pair<std::uint64_t, std::size_t>{size - 65536, 65536}));
  EXPECT_EQ(source.reads[1], (std::pair<std::uint64_t, std::size_t>{0, 4}));
  EXPECT_EQ(source.bytes_read(), 65536u + 4u);
}

TEST(ParquetReader, ReadsALongFooterWithOneMoreRead) {
  std::vector<Element> schema{root(3000)};
  for (int i = 0; i < 3000; ++i)
    schema.push_back(leaf("column_with_a_long_name_" + std::to_string(i), INT64));
  const std::string footer = encode_footer(single_group(schema));
  ASSERT_GT(footer.size(), 65536u);
  RecordingSource source(parquet_file(footer, 1 << 20));
  const FileSchema s = read_parquet_schema(source);
  EXPECT_EQ(s.columns.size(), 3000u);
  ASSERT_EQ(source.reads.size(), 3u);
  const std::uint64_t footer_offset = source.size() - 8 - footer.size();
  EXPECT_EQ(source.reads[2].first, footer_offset);
  EXPECT_EQ(source.reads[2].second, footer.size() + 8 - 65536);
}

TEST(ParquetReader, ReadsASmallFileInOneRead) {
  RecordingSource source(parquet_file(encode_footer(single_group({root(1), leaf("a", INT32)}))));
  read_parquet_schema(source);
  EXPECT_EQ(source.reads.size(), 1u);
  EXPECT_EQ(source.bytes_read(), source.size());
}

// ---------------------------------------------------------------------------------------------------------------
// apache/parquet-testing against DuckDB's reading of the same files (EXPECTED-duckdb.json).

fs::path parquet_testing_dir() {
  return fs::path(CAIRN_SOURCE_DIR) / ".." / "shared" / "data" / "parquet-testing";
}

// DuckDB type names as Hive types. Unsigned integers widen to the next signed type (UBIGINT to
// decimal(20,0)); TIMESTAMP variants are all Hive timestamps; UUID is a string.
class DuckDbTypeParser {
 public:
  explicit DuckDbTypeParser(std::string text) : text_(std::move(text)) {}

  std::string hive() {
    std::string out = type();
    skip_ws();
    if (pos_ != text_.size()) throw std::runtime_error("trailing text in DuckDB type " + text_);
    return out;
  }

 private:
  void skip_ws() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  bool accept(char c) {
    skip_ws();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) throw std::runtime_error(std::string("expected '") + c + "' in DuckDB type " + text_);
  }
  std::string word() {
    skip_ws();
    std::string w;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      w += text_[pos_++];
    }
    return w;
  }
  std::string name() {
    skip_ws();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      std::string n;
      ++pos_;
      while (pos_ < text_.size()) {
        if (text_[pos_] == '"') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
            n += '"';
            pos_ += 2;
            continue;
          }
          ++pos_;
          return n;
        }
        n += text_[pos_++];
      }
      throw std::runtime_error("unterminated name in " + text_);
    }
    return word();
  }
  std::string type() {
    std::string base = word();
    std::string out;
    if (base == "STRUCT") {
      expect('(');
      out = "struct<";
      do {
        std::string field = name();
        std::string quoted;
        for (char c : field) quoted += c == '`' ? std::string("``") : std::string(1, c);
        out += "`" + quoted + "`:" + type();
        if (accept(',')) {
          out += ",";
          continue;
        }
        break;
      } while (true);
      expect(')');
      out += ">";
    } else if (base == "MAP") {
      expect('(');
      out = "map<" + type();
      expect(',');
      out += "," + type() + ">";
      expect(')');
    } else if (base == "DECIMAL") {
      expect('(');
      std::string p = word();
      expect(',');
      std::string s = word();
      expect(')');
      out = "decimal(" + p + "," + s + ")";
    } else if (base == "TIMESTAMP") {
      // TIMESTAMP, TIMESTAMP WITH TIME ZONE
      skip_ws();
      if (text_.compare(pos_, 14, "WITH TIME ZONE") == 0) pos_ += 14;
      out = "timestamp";
    } else {
      static const std::map<std::string, std::string> scalars{{"BOOLEAN", "boolean"},
                                                              {"TINYINT", "tinyint"},
                                                              {"SMALLINT", "smallint"},
                                                              {"INTEGER", "int"},
                                                              {"BIGINT", "bigint"},
                                                              {"UTINYINT", "smallint"},
                                                              {"USMALLINT", "int"},
                                                              {"UINTEGER", "bigint"},
                                                              {"UBIGINT", "decimal(20,0)"},
                                                              {"FLOAT", "float"},
                                                              {"DOUBLE", "double"},
                                                              {"DATE", "date"},
                                                              {"TIMESTAMP_NS", "timestamp"},
                                                              {"TIMESTAMP_MS", "timestamp"},
                                                              {"TIMESTAMP_S", "timestamp"},
                                                              {"TIMESTAMPTZ", "timestamp"},
                                                              {"VARCHAR", "string"},
                                                              {"JSON", "string"},
                                                              {"UUID", "string"},
                                                              {"BLOB", "binary"}};
      auto it = scalars.find(base);
      if (it == scalars.end()) throw std::runtime_error("unmapped DuckDB type " + base + " in " + text_);
      out = it->second;
    }
    while (accept('[')) {
      expect(']');
      out = "array<" + out + ">";
    }
    return out;
  }

  std::string text_;
  std::size_t pos_ = 0;
};

std::string hive_of_duckdb(const std::string& duckdb_type) {
  return cairn::catalog::parse_hive_type(DuckDbTypeParser(duckdb_type).hive()).to_string();
}

TEST(ParquetReader, DuckDbTypeNamesMapToHive) {
  EXPECT_EQ(hive_of_duckdb("STRUCT(a INTEGER, B INTEGER[], c STRUCT(D STRUCT(e INTEGER, f VARCHAR)[][]))"),
            "struct<a:int,b:array<int>,c:struct<d:array<array<struct<e:int,f:string>>>>>");
  EXPECT_EQ(hive_of_duckdb("MAP(VARCHAR, MAP(INTEGER, BOOLEAN))[]"), "array<map<string,map<int,boolean>>>");
  EXPECT_EQ(hive_of_duckdb("DECIMAL(25,2)"), "decimal(25,2)");
  EXPECT_EQ(hive_of_duckdb("UBIGINT"), "decimal(20,0)");
  EXPECT_EQ(hive_of_duckdb("STRUCT(\"a b\" TIMESTAMP WITH TIME ZONE)"), "struct<`a b`:timestamp>");
}

TEST(ParquetReader, EveryParquetTestingFileMatchesDuckDb) {
  const fs::path dir = parquet_testing_dir();
  if (!fs::exists(dir / "EXPECTED-duckdb.json")) GTEST_SKIP() << "no " << dir.string();
  std::ifstream in(dir / "EXPECTED-duckdb.json");
  const json expected = json::parse(in);
  std::size_t matched = 0;
  for (const auto& [file, want] : expected.items()) {
    SCOPED_TRACE(file);
    auto source = cairn::crawler::open_local_file((dir / file).string());
    if (want.contains("error")) {
      try {
        read_parquet_schema(*source);
        ADD_FAILURE() << "expected an error like DuckDB's: " << want["error"];
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
        ++matched;
      }
      continue;
    }
    FileSchema got;
    try {
      got = read_parquet_schema(*source);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    Columns want_columns;
    for (const auto& column : want["columns"]) {
      want_columns.emplace_back(column[0].get<std::string>(), hive_of_duckdb(column[1].get<std::string>()));
    }
    const bool same_columns = columns_of(got) == want_columns;
    EXPECT_TRUE(same_columns) << testing::PrintToString(columns_of(got)) << "\nwant\n"
                              << testing::PrintToString(want_columns);
    ASSERT_TRUE(got.record_count.has_value());
    EXPECT_EQ(*got.record_count, want["rows"].get<std::int64_t>());
    EXPECT_TRUE(got.record_count_exact);
    EXPECT_EQ(got.classification, "parquet");
    if (same_columns && *got.record_count == want["rows"].get<std::int64_t>()) ++matched;
  }
  EXPECT_EQ(matched, expected.size());
  std::cout << "parquet-testing: " << matched << " of " << expected.size() << " files match DuckDB\n";
}

TEST(ParquetReader, CompressionOfParquetTestingFiles) {
  const fs::path dir = parquet_testing_dir();
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir.string();
  const std::map<std::string, std::string> want{{"alltypes_plain.parquet", "none"},
                                                {"alltypes_plain.snappy.parquet", "snappy"},
                                                {"byte_stream_split.zstd.parquet", "zstd"},
                                                {"concatenated_gzip_members.parquet", "gzip"},
                                                {"large_string_map.brotli.parquet", "brotli"},
                                                {"lz4_raw_compressed.parquet", "lz4"}};
  for (const auto& [file, compression] : want) {
    auto source = cairn::crawler::open_local_file((dir / file).string());
    EXPECT_EQ(read_parquet_schema(*source).compression, compression) << file;
  }
}

TEST(ParquetReader, EncryptedParquetTestingFilesGiveAClearError) {
  const fs::path dir = parquet_testing_dir();
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir.string();
  std::size_t seen = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".encrypted") continue;
    ++seen;
    auto source = cairn::crawler::open_local_file(entry.path().string());
    try {
      read_parquet_schema(*source);
      ADD_FAILURE() << entry.path() << " was read";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find("is encrypted"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(seen, 2u);
}

// bad_data/ holds files broken in their footer and files broken only in their pages. A footer-only reader
// must reject the first kind with a clear error; the second kind it cannot see (their footers are sound), so
// for those it must give the footer's schema and never crash. Decoding pages is a later reader's job.
TEST(ParquetReader, BadDataFilesGiveAClearErrorOrTheirFooterSchema) {
  const fs::path dir = parquet_testing_dir() / "bad_data";
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir.string();
  const std::map<std::string, std::string> footer_errors{
      {"PARQUET-1481.parquet", "column 'Handle': unknown physical type -7"},
      {"ARROW-RS-GH-6229-DICTHEADER.parquet", "outside the data section"}};
  std::size_t rejected = 0;
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    SCOPED_TRACE(file);
    ++files;
    auto source = cairn::crawler::open_local_file(entry.path().string());
    const auto expected = footer_errors.find(file);
    try {
      const FileSchema s = read_parquet_schema(*source);
      EXPECT_EQ(expected, footer_errors.end()) << "read " << testing::PrintToString(columns_of(s));
      EXPECT_FALSE(s.columns.empty());
    } catch (const Error& e) {
      ++rejected;
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find(entry.path().string()), std::string::npos) << e.what();
      ASSERT_NE(expected, footer_errors.end()) << e.what();
      EXPECT_NE(std::string(e.what()).find(expected->second), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(rejected, footer_errors.size());
  std::cout << "parquet-testing/bad_data: " << rejected << " of " << files
            << " files rejected from their footer; the others are broken only in their pages\n";
}

}  // namespace
