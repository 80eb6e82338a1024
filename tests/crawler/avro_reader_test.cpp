#include "cairn/crawler/avro_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
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
using cairn::crawler::read_avro_schema;

// ---------------------------------------------------------------------------------------------------------------
// Object container files written by hand (Avro 1.11 specification, "Object Container Files").

std::string zigzag_long(std::int64_t v) {
  std::uint64_t u = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  std::string out;
  while (u >= 0x80) {
    out += static_cast<char>((u & 0x7f) | 0x80);
    u >>= 7;
  }
  out += static_cast<char>(u);
  return out;
}

std::string avro_bytes(const std::string& s) {
  return zigzag_long(static_cast<std::int64_t>(s.size())) + s;
}

const std::string kSync = "0123456789abcdef";

std::string header(const std::string& schema, const std::map<std::string, std::string>& extra = {},
                   const std::string& sync = kSync) {
  std::map<std::string, std::string> metadata = extra;
  metadata.emplace("avro.schema", schema);
  std::string out = std::string("Obj\x01", 4);
  out += zigzag_long(static_cast<std::int64_t>(metadata.size()));
  for (const auto& [key, value] : metadata) out += avro_bytes(key) + avro_bytes(value);
  out += zigzag_long(0);
  return out + sync;
}

std::string block(std::int64_t count, const std::string& data, const std::string& sync = kSync) {
  return zigzag_long(count) + zigzag_long(static_cast<std::int64_t>(data.size())) + data + sync;
}

// Records of {"id": long, "name": string}.
std::string people(std::int64_t first, std::int64_t count) {
  std::string data;
  for (std::int64_t i = first; i < first + count; ++i)
    data += zigzag_long(i) + avro_bytes("person " + std::to_string(i));
  return data;
}

const std::string kPeopleSchema = R"({"type":"record","name":"Person","namespace":"com.example","fields":[)"
                                  R"({"name":"id","type":"long"},{"name":"name","type":"string"}]})";

FileSchema read_bytes(const std::string& bytes) {
  auto source = memory_source("mem://test.avro", bytes);
  return read_avro_schema(*source);
}

std::string error_of(const std::string& bytes) {
  try {
    read_bytes(bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find("mem://test.avro"), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

std::string record_of(const std::string& fields) {
  return R"({"type":"record","name":"r","fields":[)" + fields + "]}";
}

using Columns = std::vector<std::pair<std::string, std::string>>;

Columns columns_of(const std::string& schema) {
  Columns out;
  for (const auto& c : read_bytes(header(schema)).columns) out.emplace_back(c.name, c.type);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Corrupt input first: a clear InvalidArgument naming the file.

TEST(AvroReader, RejectsAFileWithoutTheMagic) {
  EXPECT_NE(error_of("").find("the file ends inside the magic"), std::string::npos);
  EXPECT_NE(error_of("PAR1xxxxxxxxxxxxxxxxxxxxxx").find("does not start with the Avro magic"),
            std::string::npos);
}

TEST(AvroReader, RejectsACorruptHeader) {
  const std::string good = header(kPeopleSchema);
  // Cut inside the metadata and inside the sync marker.
  EXPECT_NE(error_of(good.substr(0, 20)).find("the file ends inside the header's metadata"),
            std::string::npos);
  EXPECT_NE(error_of(good.substr(0, good.size() - 3)).find("the file ends inside the header's sync marker"),
            std::string::npos);
  // A key length of -1 and a varint longer than 64 bits.
  EXPECT_NE(
      error_of(std::string("Obj\x01", 4) + zigzag_long(1) + zigzag_long(-1)).find("negative key length"),
      std::string::npos);
  EXPECT_NE(
      error_of(std::string("Obj\x01", 4) + std::string(10, '\xff') + "\x01").find("longer than 64 bits"),
      std::string::npos);
  // A value claiming far more bytes than the file has.
  EXPECT_NE(error_of(std::string("Obj\x01", 4) + zigzag_long(1) + avro_bytes("k") + zigzag_long(1LL << 40))
                .find("the file ends inside the header's metadata"),
            std::string::npos);
}

TEST(AvroReader, RejectsAMissingOrInvalidSchema) {
  std::string no_schema = std::string("Obj\x01", 4) + zigzag_long(1) + avro_bytes("avro.codec") +
                          avro_bytes("null") + zigzag_long(0) + kSync;
  EXPECT_NE(error_of(no_schema).find("the header has no avro.schema"), std::string::npos);
  EXPECT_NE(error_of(header("{not json")).find("avro.schema is not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(header(std::string(100000, '[') + std::string(100000, ']'))).find("nests deeper"),
            std::string::npos);
}

TEST(AvroReader, RejectsSchemasHiveCannotExpress) {
  EXPECT_NE(error_of(header(R"("string")")).find("the top-level schema is 'string', not a record"),
            std::string::npos);
  EXPECT_NE(error_of(header(R"(["null",)" + kPeopleSchema + "]")).find("is a union, not a record"),
            std::string::npos);
  EXPECT_NE(error_of(header(record_of(""))).find("has no fields"), std::string::npos);
  // A linked list: recursive.
  EXPECT_NE(error_of(header(R"({"type":"record","name":"Node","fields":[{"name":"v","type":"int"},)"
                            R"({"name":"next","type":["null","Node"]}]})"))
                .find("field 'next': the record 'Node' contains itself"),
            std::string::npos);
  EXPECT_NE(error_of(header(record_of(R"({"name":"a","type":"Missing"})")))
                .find("field 'a': unknown type 'Missing'"),
            std::string::npos);
  EXPECT_NE(error_of(header(record_of(R"({"name":"a","type":"int"},{"name":"A","type":"int"})")))
                .find("fields 'a' and 'A'"),
            std::string::npos);
  EXPECT_NE(error_of(header(record_of(R"({"name":"a","type":[]})"))).find("an empty union"),
            std::string::npos);
  EXPECT_NE(
      error_of(header(record_of(R"({"name":"a","type":{"type":"fixed","name":"f"}})"))).find("valid size"),
      std::string::npos);
  EXPECT_NE(
      error_of(header(record_of(R"({"name":"a","type":{"type":"array"}})"))).find("an array without items"),
      std::string::npos);
  EXPECT_NE(error_of(header(record_of(R"({"name":"a","type":{"type":"enum","name":"E","symbols":["X"]}},)"
                                      R"({"name":"b","type":{"type":"fixed","name":"E","size":2}})")))
                .find("the type 'E' is defined twice"),
            std::string::npos);
  EXPECT_NE(error_of(header(kPeopleSchema, {{"avro.codec", "lzma"}})).find("unknown codec 'lzma'"),
            std::string::npos);
}

TEST(AvroReader, RejectsSchemasThatExpandExponentially) {
  // T0 = {a: int}, Tn = {a: Tn-1, b: Tn-1}: 2^40 types once expanded.
  std::string fields =
      R"({"name":"a","type":{"type":"record","name":"T0","fields":[{"name":"x","type":"int"}]}})";
  std::string previous = "T0";
  for (int i = 1; i <= 40; ++i) {
    const std::string name = "T" + std::to_string(i);
    fields = R"({"name":"f)" + std::to_string(i) + R"(","type":{"type":"record","name":")" + name +
             R"(","fields":[)" + fields + R"(,{"name":"b","type":")" + previous + R"("}]}})";
    previous = name;
  }
  EXPECT_NE(error_of(header(record_of(fields))).find("expands to more than"), std::string::npos);
}

TEST(AvroReader, RejectsCorruptBlocks) {
  const std::string h = header(kPeopleSchema);
  EXPECT_NE(error_of(h + block(2, people(0, 2), "fedcba9876543210"))
                .find("block 0 (offset " + std::to_string(h.size()) + ") does not end with the file's sync"),
            std::string::npos);
  EXPECT_NE(error_of(h + block(2, people(0, 2)) + zigzag_long(1) + zigzag_long(1000) + "xx")
                .find("block 1 (offset"),
            std::string::npos);
  EXPECT_NE(error_of(h + zigzag_long(-3) + zigzag_long(0) + kSync).find("negative record count"),
            std::string::npos);
  // Truncated in the middle of a block, and right after a block's header.
  const std::string full = h + block(2, people(0, 2));
  EXPECT_NE(error_of(full.substr(0, full.size() - 5)).find("past the end of the file"), std::string::npos);
  EXPECT_NE(error_of(h + zigzag_long(5)).find("the file ends inside block 0"), std::string::npos);
}

TEST(AvroReader, RandomCorruptionNeverCrashes) {
  const std::string good = header(record_of(R"({"name":"a","type":["null","long"]},)"
                                            R"({"name":"m","type":{"type":"map","values":"string"}})")) +
                           block(3, "abcdefghij") + block(4, "0123456789");
  std::uint32_t seed = 777;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
  };
  for (int i = 0; i < 3000; ++i) {
    std::string corrupt = good;
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int f = 0; f < flips; ++f) corrupt[next() % corrupt.size()] = static_cast<char>(next() & 0xff);
    if (next() % 4 == 0) corrupt.resize(next() % corrupt.size());
    try {
      read_bytes(corrupt);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Schemas, counts and storage.

TEST(AvroReader, CountsRecordsOverAllBlocks) {
  const std::string bytes = header(kPeopleSchema, {{"avro.codec", "null"}}) + block(3, people(0, 3)) +
                            block(0, "") + block(5, people(3, 5));
  const FileSchema s = read_bytes(bytes);
  EXPECT_EQ(s.classification, "avro");
  ASSERT_TRUE(s.record_count.has_value());
  EXPECT_EQ(*s.record_count, 8);
  EXPECT_TRUE(s.record_count_exact);
  EXPECT_EQ(s.compression, "none");
  EXPECT_EQ(s.serialization_library, "org.apache.hadoop.hive.serde2.avro.AvroSerDe");
  EXPECT_EQ(s.input_format, "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat");
  EXPECT_EQ(s.output_format, "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat");
  EXPECT_EQ(s.parameters.at("avro.schema.literal"), kPeopleSchema);
  ASSERT_EQ(s.columns.size(), 2u);
  EXPECT_EQ(s.columns[0].name, "id");
  EXPECT_EQ(s.columns[0].type, "bigint");
  EXPECT_EQ(s.columns[1].type, "string");

  EXPECT_EQ(*read_bytes(header(kPeopleSchema)).record_count, 0);
}

TEST(AvroReader, ReportsTheCodec) {
  const std::map<std::string, std::string> codecs{{"deflate", "deflate"}, {"snappy", "snappy"},
                                                  {"bzip2", "bzip2"},     {"xz", "xz"},
                                                  {"zstandard", "zstd"},  {"null", "none"}};
  for (const auto& [codec, compression] : codecs) {
    EXPECT_EQ(read_bytes(header(kPeopleSchema, {{"avro.codec", codec}}) + block(1, "zz")).compression,
              compression)
        << codec;
  }
}

TEST(AvroReader, MapsTypesToHive) {
  const Columns got = columns_of(record_of(R"(
    {"name":"b","type":"boolean"},
    {"name":"i","type":"int"},
    {"name":"l","type":"long"},
    {"name":"f","type":"float"},
    {"name":"d","type":"double"},
    {"name":"raw","type":"bytes"},
    {"name":"s","type":"string"},
    {"name":"Opt","type":["null","string"]},
    {"name":"opt_last","type":["int","null"]},
    {"name":"choice","type":["null","int","string"]},
    {"name":"only_null","type":"null"},
    {"name":"e","type":{"type":"enum","name":"Color","symbols":["RED","GREEN"]}},
    {"name":"fx","type":{"type":"fixed","name":"Hash","size":16}},
    {"name":"tags","type":{"type":"array","items":"string"}},
    {"name":"attrs","type":{"type":"map","values":{"type":"array","items":"long"}}},
    {"name":"addr","type":{"type":"record","name":"Address","fields":[
        {"name":"Street","type":"string"},{"name":"zip","type":["null","int"]}]}},
    {"name":"addr2","type":"Address"},
    {"name":"color2","type":"Color"}
  )"));
  EXPECT_EQ(got, (Columns{{"b", "boolean"},
                          {"i", "int"},
                          {"l", "bigint"},
                          {"f", "float"},
                          {"d", "double"},
                          {"raw", "binary"},
                          {"s", "string"},
                          {"Opt", "string"},
                          {"opt_last", "int"},
                          {"choice", "uniontype<int,string>"},
                          {"only_null", "string"},
                          {"e", "string"},
                          {"fx", "binary"},
                          {"tags", "array<string>"},
                          {"attrs", "map<string,array<bigint>>"},
                          {"addr", "struct<street:string,zip:int>"},
                          {"addr2", "struct<street:string,zip:int>"},
                          {"color2", "string"}}));
}

TEST(AvroReader, MapsLogicalTypes) {
  const Columns got = columns_of(record_of(R"(
    {"name":"d","type":{"type":"int","logicalType":"date"}},
    {"name":"ts_ms","type":{"type":"long","logicalType":"timestamp-millis"}},
    {"name":"ts_us","type":["null",{"type":"long","logicalType":"timestamp-micros"}]},
    {"name":"local_ts","type":{"type":"long","logicalType":"local-timestamp-millis"}},
    {"name":"t_ms","type":{"type":"int","logicalType":"time-millis"}},
    {"name":"t_us","type":{"type":"long","logicalType":"time-micros"}},
    {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
    {"name":"dec_noscale","type":{"type":"bytes","logicalType":"decimal","precision":5}},
    {"name":"dec_fixed","type":{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":18,"scale":3}},
    {"name":"dec_too_wide_for_fixed","type":{"type":"fixed","name":"D2","size":2,"logicalType":"decimal","precision":9}},
    {"name":"dec_bad_scale","type":{"type":"bytes","logicalType":"decimal","precision":2,"scale":3}},
    {"name":"dec_wide","type":{"type":"bytes","logicalType":"decimal","precision":50,"scale":2}},
    {"name":"id","type":{"type":"string","logicalType":"uuid"}},
    {"name":"vc","type":{"type":"string","logicalType":"varchar","maxLength":20}},
    {"name":"unknown_logical","type":{"type":"long","logicalType":"something-new"}},
    {"name":"date_on_string","type":{"type":"string","logicalType":"date"}}
  )"));
  EXPECT_EQ(got, (Columns{{"d", "date"},
                          {"ts_ms", "timestamp"},
                          {"ts_us", "timestamp"},
                          {"local_ts", "timestamp"},
                          {"t_ms", "int"},
                          {"t_us", "bigint"},
                          {"dec", "decimal(10,2)"},
                          {"dec_noscale", "decimal(5,0)"},
                          {"dec_fixed", "decimal(18,3)"},
                          {"dec_too_wide_for_fixed", "binary"},
                          {"dec_bad_scale", "binary"},
                          {"dec_wide", "double"},
                          {"id", "string"},
                          {"vc", "varchar(20)"},
                          {"unknown_logical", "bigint"},
                          {"date_on_string", "string"}}));
}

TEST(AvroReader, ResolvesNamesThroughNamespaces) {
  const Columns got = columns_of(R"({"type":"record","name":"Outer","namespace":"a.b","fields":[
    {"name":"x","type":{"type":"record","name":"Inner","fields":[{"name":"v","type":"int"}]}},
    {"name":"y","type":"Inner"},
    {"name":"z","type":{"type":"record","name":"c.Other","fields":[
        {"name":"k","type":{"type":"enum","name":"Kind","symbols":["A"]}},
        {"name":"k2","type":"c.Kind"},
        {"name":"i2","type":"a.b.Inner"}]}}
  ]})");
  EXPECT_EQ(got, (Columns{{"x", "struct<v:int>"},
                          {"y", "struct<v:int>"},
                          {"z", "struct<k:string,k2:string,i2:struct<v:int>>"}}));
}

/// Records every read of the file's bytes (tests/crawler/test_util.h).
class RecordingSource : public cairn::crawler::test::RecordingSource {
 public:
  explicit RecordingSource(std::string bytes)
      : cairn::crawler::test::RecordingSource("mem://recorded.avro", std::move(bytes)) {}
};

TEST(AvroReader, SkipsTheDataOfLargeBlocks) {
  // Ten blocks of 1 MiB each: the reader fetches the header and then a few bytes per block.
  std::string bytes = header(kPeopleSchema);
  for (int i = 0; i < 10; ++i) bytes += block(1000, std::string(1 << 20, 'x'));
  RecordingSource source(bytes);
  const FileSchema s = read_avro_schema(source);
  EXPECT_EQ(*s.record_count, 10000);
  EXPECT_LE(source.reads.size(), 12u);
  EXPECT_LT(source.bytes_read(), 200u * 1024);
}

TEST(AvroReader, StreamsSmallBlocksInLargeReads) {
  std::string bytes = header(kPeopleSchema);
  for (int i = 0; i < 1000; ++i) bytes += block(2, people(2 * i, 2));
  RecordingSource source(bytes);
  EXPECT_EQ(*read_avro_schema(source).record_count, 2000);
  EXPECT_LE(source.reads.size(), bytes.size() / (64 * 1024) + 3);
}

}  // namespace
