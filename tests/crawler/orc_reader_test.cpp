#include "cairn/crawler/orc_reader.h"

#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/crawler/byte_source.h"
#include "crawler/test_util.h"

namespace {

using cairn::Error;
using cairn::ErrorCode;
using cairn::crawler::ByteSource;
using cairn::crawler::FileSchema;
using cairn::crawler::memory_source;
using cairn::crawler::read_orc_schema;

// ---------------------------------------------------------------------------------------------------------------
// ORC tails written by hand (ORC specification v1, "File Tail"; messages of orc_proto.proto).

class Proto {
 public:
  Proto& varint(std::uint32_t field, std::uint64_t v) {
    tag(field, 0);
    raw_varint(v);
    return *this;
  }
  Proto& bytes(std::uint32_t field, const std::string& v) {
    tag(field, 2);
    raw_varint(v.size());
    out_ += v;
    return *this;
  }
  Proto& packed(std::uint32_t field, const std::vector<std::uint64_t>& values) {
    Proto inner;
    for (std::uint64_t v : values) inner.raw_varint(v);
    return bytes(field, inner.str());
  }
  const std::string& str() const { return out_; }

 private:
  void tag(std::uint32_t field, int wire) { raw_varint((static_cast<std::uint64_t>(field) << 3) | wire); }
  void raw_varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  std::string out_;
};

enum Kind {
  BOOLEAN = 0,
  BYTE = 1,
  SHORT = 2,
  INT = 3,
  LONG = 4,
  FLOAT = 5,
  DOUBLE = 6,
  STRING = 7,
  BINARY = 8,
  TIMESTAMP = 9,
  LIST = 10,
  MAP = 11,
  STRUCT = 12,
  UNION = 13,
  DECIMAL = 14,
  DATE = 15,
  VARCHAR = 16,
  CHAR = 17,
  TIMESTAMP_INSTANT = 18
};
enum Compression { NONE = 0, ZLIB = 1, SNAPPY = 2, LZO = 3, LZ4 = 4, ZSTD = 5 };

std::string type(int kind, std::vector<std::uint64_t> subtypes = {}, std::vector<std::string> names = {}) {
  Proto p;
  p.varint(1, kind);
  if (!subtypes.empty()) p.packed(2, subtypes);
  for (const auto& n : names) p.bytes(3, n);
  return p.str();
}

struct OrcFile {
  std::vector<std::string> types;
  std::vector<std::uint64_t> stripe_rows;  // one stripe of 10 bytes per entry
  std::optional<std::uint64_t> rows;       // Footer.numberOfRows; the stripes' sum when unset
  int compression = NONE;
  std::uint64_t block_size = 256 * 1024;
  std::string magic = "ORC";
};

// ORC chunks: 3-byte header (length << 1 | original) then the bytes.
std::string chunk(const std::string& body, bool original) {
  const std::uint32_t header = static_cast<std::uint32_t>(body.size() << 1) | (original ? 1 : 0);
  std::string out;
  out += static_cast<char>(header & 0xff);
  out += static_cast<char>((header >> 8) & 0xff);
  out += static_cast<char>((header >> 16) & 0xff);
  return out + body;
}

std::string compress(const std::string& data, int compression) {
  switch (compression) {
    case ZLIB: {
      z_stream zs{};
      deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
      std::string out(deflateBound(&zs, data.size()), '\0');
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      zs.avail_in = static_cast<uInt>(data.size());
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      deflate(&zs, Z_FINISH);
      out.resize(zs.total_out);
      deflateEnd(&zs);
      return chunk(out, false);
    }
    case SNAPPY: {
      std::string out;
      snappy::Compress(data.data(), data.size(), &out);
      return chunk(out, false);
    }
    case ZSTD: {
      std::string out(ZSTD_compressBound(data.size()), '\0');
      out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
      return chunk(out, false);
    }
    case LZ4:
      return chunk("not really lz4", false);
    default:
      return chunk(data, true);
  }
}

std::string encode(const OrcFile& f) {
  std::string file = "ORC";
  Proto footer;
  footer.varint(1, 3);
  std::uint64_t total = 0;
  for (std::uint64_t rows : f.stripe_rows) {
    footer.bytes(3,
                 Proto().varint(1, file.size()).varint(2, 2).varint(3, 6).varint(4, 2).varint(5, rows).str());
    file += std::string(10, 's');
    total += rows;
  }
  for (const auto& t : f.types) footer.bytes(4, t);
  footer.varint(6, f.rows.value_or(total));
  footer.varint(8, 10000);
  const std::string body = f.compression == NONE ? footer.str() : compress(footer.str(), f.compression);
  Proto ps;
  ps.varint(1, body.size()).varint(2, f.compression).varint(3, f.block_size).packed(4, {0, 12}).varint(5, 0);
  ps.bytes(8000, f.magic);
  file += body + ps.str();
  file += static_cast<char>(ps.str().size());
  return file;
}

OrcFile simple(int compression = NONE) {
  OrcFile f;
  f.types = {type(STRUCT, {1, 2}, {"id", "name"}), type(LONG), type(STRING)};
  f.stripe_rows = {100, 50};
  f.compression = compression;
  return f;
}

FileSchema read_bytes(const std::string& bytes) {
  auto source = memory_source("mem://test.orc", bytes);
  return read_orc_schema(*source);
}

std::string error_of(const std::string& bytes) {
  try {
    read_bytes(bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find("mem://test.orc"), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

using Columns = std::vector<std::pair<std::string, std::string>>;

Columns columns_of(const FileSchema& s) {
  Columns out;
  for (const auto& c : s.columns) out.emplace_back(c.name, c.type);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Corrupt input first.

TEST(OrcReader, RejectsFilesWithoutTheMagic) {
  EXPECT_NE(error_of("").find("too short"), std::string::npos);
  EXPECT_NE(error_of("PAR1 not orc at all").find("does not start with the ORC magic"), std::string::npos);
  OrcFile f = simple();
  f.magic = "ORX";
  EXPECT_NE(error_of(encode(f)).find("the postscript does not hold the ORC magic"), std::string::npos);
}

TEST(OrcReader, RejectsBadLengths) {
  std::string zero_ps = encode(simple());
  zero_ps.back() = '\0';
  EXPECT_NE(error_of(zero_ps).find("the postscript length 0"), std::string::npos);
  std::string long_ps = "ORC" + std::string(5, 'x');
  long_ps += static_cast<char>(200);
  EXPECT_NE(error_of(long_ps).find("the postscript length 200 does not fit"), std::string::npos);
  // A postscript claiming a footer longer than the file.
  Proto ps;
  ps.varint(1, 1000).varint(2, NONE).bytes(8000, "ORC");
  std::string bytes = "ORC" + ps.str();
  bytes += static_cast<char>(ps.str().size());
  EXPECT_NE(error_of(bytes).find("the footer length 1000 does not fit"), std::string::npos);
}

TEST(OrcReader, RejectsCorruptProtobuf) {
  // A footer of 0xff bytes: a varint that never ends.
  Proto ps;
  ps.varint(1, 12).varint(2, NONE).bytes(8000, "ORC");
  std::string bytes = "ORC" + std::string(12, '\xff') + ps.str();
  bytes += static_cast<char>(ps.str().size());
  EXPECT_NE(error_of(bytes).find("the footer holds a number longer than 64 bits"), std::string::npos);
  // A type message claiming a field longer than itself.
  OrcFile f = simple();
  f.types[1] = std::string("\x1a\x7f", 2);
  EXPECT_NE(error_of(encode(f)).find("the footer's type list has a field longer than the message"),
            std::string::npos);
}

TEST(OrcReader, RejectsCorruptCompression) {
  OrcFile f = simple(ZLIB);
  std::string bytes = encode(f);
  // Flip bytes inside the deflate stream (after "ORC", the stripes and the chunk header).
  const std::size_t at = 3 + 20 + 3;
  for (std::size_t i = at; i < at + 6; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  EXPECT_NE(error_of(bytes).find("does not decompress"), std::string::npos);
  EXPECT_NE(error_of(encode(simple(LZ4))).find("compressed with lz4, which Cairn does not decompress"),
            std::string::npos);
  OrcFile unknown = simple();
  unknown.compression = 9;
  EXPECT_NE(error_of(encode(unknown)).find("unknown compression kind 9"), std::string::npos);
  OrcFile huge_block = simple(ZLIB);
  huge_block.block_size = 1ull << 40;
  EXPECT_NE(error_of(encode(huge_block)).find("compression block size"), std::string::npos);
}

TEST(OrcReader, RejectsBadTypeTrees) {
  OrcFile not_struct = simple();
  not_struct.types = {type(LONG)};
  EXPECT_NE(error_of(encode(not_struct)).find("the root type is not a struct"), std::string::npos);
  OrcFile cycle = simple();
  cycle.types = {type(STRUCT, {1}, {"a"}), type(LIST, {0})};
  EXPECT_NE(error_of(encode(cycle)).find("type 1: child type 0 is out of range"), std::string::npos);
  OrcFile missing = simple();
  missing.types = {type(STRUCT, {1, 5}, {"a", "b"}), type(INT)};
  EXPECT_NE(error_of(encode(missing)).find("child type 5 is out of range"), std::string::npos);
  OrcFile names = simple();
  names.types = {type(STRUCT, {1, 2}, {"a"}), type(INT), type(INT)};
  EXPECT_NE(error_of(encode(names)).find("a struct with 2 fields and 1 field names"), std::string::npos);
  OrcFile map = simple();
  map.types = {type(STRUCT, {1}, {"m"}), type(MAP, {2}), type(INT)};
  EXPECT_NE(error_of(encode(map)).find("a map with 1 child types"), std::string::npos);
  OrcFile unknown = simple();
  unknown.types = {type(STRUCT, {1}, {"a"}), type(42)};
  EXPECT_NE(error_of(encode(unknown)).find("type 1: unknown kind 42"), std::string::npos);
  OrcFile varchar = simple();
  varchar.types = {type(STRUCT, {1}, {"a"}), type(VARCHAR)};
  EXPECT_NE(error_of(encode(varchar)).find("varchar without a length"), std::string::npos);
  OrcFile deep = simple();
  deep.types = {type(STRUCT, {1}, {"a"})};
  for (std::uint64_t i = 1; i < 150; ++i) deep.types.push_back(type(LIST, {i + 1}));
  deep.types.push_back(type(INT));
  EXPECT_NE(error_of(encode(deep)).find("nest deeper"), std::string::npos);
  // Shared types: each struct uses the next one twice, 2^60 types once expanded.
  OrcFile shared = simple();
  shared.types = {type(STRUCT, {1}, {"a"})};
  for (std::uint64_t i = 1; i < 60; ++i) shared.types.push_back(type(STRUCT, {i + 1, i + 1}, {"l", "r"}));
  shared.types.push_back(type(INT));
  EXPECT_NE(error_of(encode(shared)).find("expands to more than"), std::string::npos);
}

TEST(OrcReader, RejectsInconsistentRowCounts) {
  OrcFile f = simple();
  f.rows = 7;
  EXPECT_NE(error_of(encode(f)).find("the footer counts 7 rows, its stripes 150"), std::string::npos);
}

TEST(OrcReader, RandomCorruptionNeverCrashes) {
  for (int compression : {NONE, ZLIB, SNAPPY, ZSTD}) {
    const std::string good = encode(simple(compression));
    std::uint32_t seed = 99 + compression;
    auto next = [&seed] {
      seed = seed * 1103515245u + 12345u;
      return seed >> 8;
    };
    for (int i = 0; i < 2000; ++i) {
      std::string corrupt = good;
      const int flips = 1 + static_cast<int>(next() % 3);
      for (int k = 0; k < flips; ++k)
        corrupt[3 + next() % (corrupt.size() - 3)] = static_cast<char>(next() & 0xff);
      try {
        read_bytes(corrupt);
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Schemas, counts and storage.

TEST(OrcReader, ReadsEachCompression) {
  for (int compression : {NONE, ZLIB, SNAPPY, ZSTD}) {
    SCOPED_TRACE(compression);
    const FileSchema s = read_bytes(encode(simple(compression)));
    EXPECT_EQ(columns_of(s), (Columns{{"id", "bigint"}, {"name", "string"}}));
    ASSERT_TRUE(s.record_count.has_value());
    EXPECT_EQ(*s.record_count, 150);
    EXPECT_TRUE(s.record_count_exact);
  }
  EXPECT_EQ(read_bytes(encode(simple(NONE))).compression, "none");
  EXPECT_EQ(read_bytes(encode(simple(ZLIB))).compression, "zlib");
  EXPECT_EQ(read_bytes(encode(simple(SNAPPY))).compression, "snappy");
  EXPECT_EQ(read_bytes(encode(simple(ZSTD))).compression, "zstd");
  const FileSchema s = read_bytes(encode(simple()));
  EXPECT_EQ(s.classification, "orc");
  EXPECT_EQ(s.serialization_library, "org.apache.hadoop.hive.ql.io.orc.OrcSerde");
  EXPECT_EQ(s.input_format, "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat");
  EXPECT_EQ(s.output_format, "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat");
}

TEST(OrcReader, MapsEveryKind) {
  OrcFile f = simple();
  Proto dec;
  dec.varint(1, DECIMAL).varint(5, 12).varint(6, 2);
  Proto old_dec;
  old_dec.varint(1, DECIMAL);
  Proto vc;
  vc.varint(1, VARCHAR).varint(4, 40);
  Proto ch;
  ch.varint(1, CHAR).varint(4, 3);
  f.types = {type(STRUCT, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 22, 25},
                  {"b",   "t",  "s",   "i",       "l",  "f",  "d",   "str", "bin", "ts",
                   "tsi", "dt", "dec", "old_dec", "vc", "ch", "arr", "m",   "u",   "Nested"}),
             type(BOOLEAN),
             type(BYTE),
             type(SHORT),
             type(INT),
             type(LONG),
             type(FLOAT),
             type(DOUBLE),
             type(STRING),
             type(BINARY),
             type(TIMESTAMP),
             type(TIMESTAMP_INSTANT),
             type(DATE),
             dec.str(),
             old_dec.str(),
             vc.str(),
             ch.str(),
             /*17*/ type(LIST, {18}),
             type(INT),
             /*19*/ type(MAP, {20, 21}),
             type(STRING),
             type(DOUBLE),
             /*22*/ type(UNION, {23, 24}),
             type(INT),
             type(STRING),
             /*25*/ type(STRUCT, {26, 27}, {"X", "x"}),
             type(INT),
             type(INT)};
  EXPECT_EQ(columns_of(read_bytes(encode(f))), (Columns{{"b", "boolean"},
                                                        {"t", "tinyint"},
                                                        {"s", "smallint"},
                                                        {"i", "int"},
                                                        {"l", "bigint"},
                                                        {"f", "float"},
                                                        {"d", "double"},
                                                        {"str", "string"},
                                                        {"bin", "binary"},
                                                        {"ts", "timestamp"},
                                                        {"tsi", "timestamp"},
                                                        {"dt", "date"},
                                                        {"dec", "decimal(12,2)"},
                                                        {"old_dec", "decimal(38,10)"},
                                                        {"vc", "varchar(40)"},
                                                        {"ch", "char(3)"},
                                                        {"arr", "array<int>"},
                                                        {"m", "map<string,double>"},
                                                        {"u", "uniontype<int,string>"},
                                                        {"Nested", "struct<x:int,x_1:int>"}}));
}

TEST(OrcReader, AcceptsUnpackedSubtypesAndUnknownFields) {
  OrcFile f = simple();
  Proto root;
  root.varint(1, STRUCT).varint(2, 1).bytes(3, "only").varint(99, 7).bytes(100, "future");
  f.types = {root.str(), type(INT)};
  EXPECT_EQ(columns_of(read_bytes(encode(f))), (Columns{{"only", "int"}}));
}

/// Records every read of the file's bytes (tests/crawler/test_util.h).
class RecordingSource : public cairn::crawler::test::RecordingSource {
 public:
  explicit RecordingSource(std::string bytes)
      : cairn::crawler::test::RecordingSource("mem://recorded.orc", std::move(bytes)) {}
};

TEST(OrcReader, ReadsOnlyTheTail) {
  // Stripes of 10 MiB of filler before the tail: the reader fetches the last 64 KiB and the 3-byte magic.
  std::string bytes = encode(simple(ZLIB));
  bytes.insert(3, std::string(10 << 20, 'z'));
  // The stripe offsets now point into the filler, which still lies before the footer.
  RecordingSource source(bytes);
  EXPECT_EQ(*read_orc_schema(source).record_count, 150);
  ASSERT_EQ(source.reads.size(), 2u);
  EXPECT_EQ(source.reads[1], (std::pair<std::uint64_t, std::size_t>{0, 3}));
  EXPECT_EQ(source.bytes_read(), 64u * 1024 + 3);
}

}  // namespace
