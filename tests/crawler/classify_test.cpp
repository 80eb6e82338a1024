#include "cairn/crawler/classify.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "crawler/compress_util.h"
#include "crawler/test_util.h"

namespace {

namespace fs = std::filesystem;

using cairn::Error;
using cairn::ErrorCode;
using cairn::crawler::classify_file;
using cairn::crawler::ClassifyOptions;
using cairn::crawler::Codec;
using cairn::crawler::CsvHeader;
using cairn::crawler::CustomClassifier;
using cairn::crawler::FileSchema;
using cairn::crawler::validate_custom_classifier;
using cairn::crawler::validate_custom_classifiers;
using cairn::crawler::test::columns_of;
using cairn::crawler::test::compress_bytes;
using cairn::crawler::test::RecordingSource;
using Columns = std::vector<std::string>;

std::optional<FileSchema> classify(const std::string& name, const std::string& bytes,
                                   const ClassifyOptions& options = {}) {
  RecordingSource source(name, bytes);
  return classify_file(source, options);
}

// The message of the error classifying `bytes`, checking that it is InvalidArgument naming the file.
std::string error_of(const std::string& name, const std::string& bytes) {
  try {
    classify(name, bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for " << name;
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// Binary fixtures written by hand.

std::string varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  return out + static_cast<char>(v);
}

std::string zigzag(std::int64_t v) {
  return varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

// An Avro object container with `schema` and no data blocks.
std::string avro_file(const std::string& schema) {
  auto bytes = [](const std::string& s) { return zigzag(static_cast<std::int64_t>(s.size())) + s; };
  return std::string("Obj\x01", 4) + zigzag(1) + bytes("avro.schema") + bytes(schema) + zigzag(0) +
         "0123456789abcdef";
}

// Protobuf fields for the ORC tail.
std::string pb_varint(int field, std::uint64_t v) {
  return varint(static_cast<std::uint64_t>(field) << 3) + varint(v);
}
std::string pb_bytes(int field, const std::string& v) {
  return varint((static_cast<std::uint64_t>(field) << 3) | 2) + varint(v.size()) + v;
}

// An uncompressed ORC file of one 10-byte stripe of `rows` rows: struct<id:bigint,name:string>.
std::string orc_file(std::uint64_t rows) {
  const std::string stripe_data(10, 's');
  std::string root =
      pb_varint(1, 12) + pb_bytes(2, varint(1) + varint(2)) + pb_bytes(3, "id") + pb_bytes(3, "name");
  std::string footer = pb_varint(1, 3) +
                       pb_bytes(3, pb_varint(1, 3) + pb_varint(2, 2) + pb_varint(3, 6) + pb_varint(4, 2) +
                                       pb_varint(5, rows)) +
                       pb_bytes(4, root) + pb_bytes(4, pb_varint(1, 4)) + pb_bytes(4, pb_varint(1, 7)) +
                       pb_varint(6, rows) + pb_varint(8, 10000);
  std::string postscript = pb_varint(1, footer.size()) + pb_varint(2, 0) + pb_varint(3, 256 * 1024) +
                           pb_bytes(4, varint(0) + varint(12)) + pb_varint(5, 0) + pb_bytes(8000, "ORC");
  return "ORC" + stripe_data + footer + postscript + static_cast<char>(postscript.size());
}

fs::path parquet_testing() {
  return fs::path(CAIRN_SOURCE_DIR) / ".." / "shared" / "data" / "parquet-testing";
}

std::string read_whole(const fs::path& path) {
  auto source = cairn::crawler::open_local_file(path.string());
  return source->read(0, static_cast<std::size_t>(source->size()));
}

const std::string kCsv = "id,name,city\n1,alice,berlin\n2,bob,paris\n3,carol,rome\n";
const std::string kJson = "{\"id\": 1, \"tags\": [\"a\"]}\n{\"id\": 2, \"tags\": []}\n";

std::string big_csv(std::size_t bytes) {
  std::string s = "id,name,amount\n";
  for (int i = 0; s.size() < bytes; ++i) {
    s += std::to_string(i) + ",name" + std::to_string(i * 7919 % 1000) + "," + std::to_string(i % 97) +
         ".25\n";
  }
  return s;
}

// A crawler's custom Grok classifier named `name`.
CustomClassifier custom_grok(const std::string& name, const std::string& classification,
                             const std::string& pattern) {
  CustomClassifier c;
  c.name = name;
  c.kind = CustomClassifier::Kind::Grok;
  c.grok = {classification, pattern, ""};
  return c;
}

// ---------------------------------------------------------------------------------------------------------------
// Unknown and corrupt files first.

TEST(Classify, EmptyFileIsUnknownWithoutReading) {
  RecordingSource source("mem://empty.csv", "");
  EXPECT_FALSE(classify_file(source).has_value());
  EXPECT_TRUE(source.reads.empty());
}

TEST(Classify, BinaryJunkIsUnknown) {
  std::string junk;
  for (int i = 0; i < 5000; ++i) junk += static_cast<char>((i * 131 + 7) % 256);
  EXPECT_FALSE(classify("mem://junk.bin", junk).has_value());
  EXPECT_FALSE(classify("mem://one.bin", std::string(1, '\0')).has_value());
  EXPECT_FALSE(classify("mem://prose.txt",
                        "It was the best of times, it was the worst of times,\nit was the age of wisdom\n"
                        "it was the age of foolishness, it was the epoch of belief, it was the epoch of\n")
                   .has_value());
}

TEST(Classify, CorruptBinaryFilesAreErrorsNamingTheFile) {
  EXPECT_NE(error_of("mem://bad.parquet", "PAR1" + std::string(100, '\x07') + "PAR1").find("footer"),
            std::string::npos);
  EXPECT_FALSE(error_of("mem://short.parquet", "PAR1").empty());
  EXPECT_FALSE(error_of("mem://encrypted.parquet", "PARE" + std::string(100, '\x07') + "PARE").empty());
  EXPECT_FALSE(error_of("mem://cut.avro", std::string("Obj\x01\x02", 5)).empty());
  std::string avro = avro_file(R"({"type":"record","name":"r","fields":[{"name":"a","type":"long"}]})");
  EXPECT_FALSE(error_of("mem://cut2.avro", avro.substr(0, avro.size() - 10)).empty());
  EXPECT_FALSE(error_of("mem://bad.orc", "ORC" + std::string(50, '\x07') + "\x03").empty());
}

TEST(Classify, CorruptCompressedDataIsAnErrorNamingTheFile) {
  std::string gz = compress_bytes(Codec::Gzip, kCsv);
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x55);
  gz[gz.size() / 2 + 1] = static_cast<char>(gz[gz.size() / 2 + 1] ^ 0x55);
  std::string message = error_of("mem://bad.csv.gz", gz);
  EXPECT_NE(message.find("gzip"), std::string::npos) << message;
}

TEST(Classify, TextThatStartsLikeOrcIsText) {
  std::optional<FileSchema> fs = classify("mem://ids.csv", "ORCID,name\n0000-0001,alice\n0000-0002,bob\n");
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(fs->classification, "csv");
  EXPECT_EQ(columns_of(*fs), (Columns{"orcid:string", "name:string"}));
}

// ---------------------------------------------------------------------------------------------------------------
// Binary formats by magic.

TEST(Classify, AvroAndOrcByMagic) {
  std::optional<FileSchema> avro =
      classify("mem://people.avro",
               avro_file(R"({"type":"record","name":"p","fields":[{"name":"id","type":"long"}]})"));
  ASSERT_TRUE(avro.has_value());
  EXPECT_EQ(avro->classification, "avro");
  EXPECT_EQ(columns_of(*avro), (Columns{"id:bigint"}));

  std::optional<FileSchema> orc = classify("mem://people.orc", orc_file(42));
  ASSERT_TRUE(orc.has_value());
  EXPECT_EQ(orc->classification, "orc");
  EXPECT_EQ(columns_of(*orc), (Columns{"id:bigint", "name:string"}));
  EXPECT_EQ(orc->record_count, 42);
}

TEST(Classify, CustomClassifiersDoNotRunOnBinaryFormats) {
  ClassifyOptions options;
  options.custom.push_back(custom_grok("everything", "lines", "%{GREEDYDATA:line}"));
  EXPECT_EQ(classify("mem://x.orc", orc_file(1), options)->classification, "orc");
  EXPECT_EQ(classify("mem://x.csv", "a\nb\n", options)->classification, "lines");
}

TEST(Classify, ParquetTestingFilesByMagic) {
  const fs::path dir = parquet_testing();
  if (!fs::exists(dir / "alltypes_plain.parquet")) GTEST_SKIP() << "no " << dir.string();
  // A small file: one read serves the magic and the footer.
  RecordingSource small("mem://alltypes_plain.parquet", read_whole(dir / "alltypes_plain.parquet"));
  std::optional<FileSchema> fs = classify_file(small);
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(fs->classification, "parquet");
  EXPECT_EQ(fs->record_count, 8);
  EXPECT_EQ(small.reads.size(), 1u);
  // A large file: the head and the tail, not the middle.
  const fs::path large_path = dir / "alltypes_tiny_pages_plain.parquet";
  if (fs::exists(large_path)) {
    RecordingSource large("mem://large.parquet", read_whole(large_path));
    ASSERT_TRUE(classify_file(large).has_value());
    EXPECT_LE(large.bytes_read(), 200u * 1024) << large.size();
  }
  // A file broken in its footer: an error naming it.
  const fs::path bad = dir / "bad_data" / "PARQUET-1481.parquet";
  if (fs::exists(bad)) {
    auto source = cairn::crawler::open_local_file(bad.string());
    try {
      classify_file(*source);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("PARQUET-1481.parquet"), std::string::npos) << e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Text, plain and compressed.

TEST(Classify, PlainCsvAndJson) {
  std::optional<FileSchema> csv = classify("mem://a.csv", kCsv);
  ASSERT_TRUE(csv.has_value());
  EXPECT_EQ(csv->classification, "csv");
  EXPECT_EQ(csv->compression, "none");
  EXPECT_EQ(columns_of(*csv), (Columns{"id:int", "name:string", "city:string"}));
  EXPECT_TRUE(csv->record_count_exact);

  std::optional<FileSchema> json = classify("mem://a.json", kJson);
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(json->classification, "json");
  EXPECT_EQ(columns_of(*json), (Columns{"id:int", "tags:array<string>"}));
}

TEST(Classify, LargeTextIsSampledAsATruncatedPrefix) {
  const std::string data = big_csv(300 * 1024);
  ClassifyOptions options;
  options.text_sample_bytes = 100 * 1024;
  RecordingSource source("mem://big.csv", data);
  std::optional<FileSchema> fs = classify_file(source, options);
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(columns_of(*fs), (Columns{"id:int", "name:string", "amount:decimal(18,2)"}));
  EXPECT_FALSE(fs->record_count_exact);
  EXPECT_EQ(source.bytes_read(), 100u * 1024);  // the 64 KiB head, then the rest of the sample
  EXPECT_EQ(source.reads.size(), 2u);

  // A file of exactly the sample's size is whole: its count is exact.
  options.text_sample_bytes = data.size();
  EXPECT_TRUE(classify("mem://big.csv", data, options)->record_count_exact);
}

class CompressedText : public ::testing::TestWithParam<Codec> {};

TEST_P(CompressedText, CsvAndJsonAreClassifiedAfterDecompression) {
  const Codec codec = GetParam();
  const std::string name = std::string(cairn::crawler::codec_name(codec));
  std::optional<FileSchema> csv = classify("mem://a.csv." + name, compress_bytes(codec, kCsv));
  ASSERT_TRUE(csv.has_value());
  EXPECT_EQ(csv->classification, "csv");
  EXPECT_EQ(csv->compression, name);
  EXPECT_EQ(columns_of(*csv), (Columns{"id:int", "name:string", "city:string"}));
  EXPECT_TRUE(csv->record_count_exact);

  std::optional<FileSchema> json = classify("mem://a.json." + name, compress_bytes(codec, kJson));
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(json->classification, "json");
  EXPECT_EQ(json->compression, name);
}

TEST_P(CompressedText, LargeFilesAreReadOnlyAsFarAsTheSampleNeeds) {
  const Codec codec = GetParam();
  const std::string data = big_csv(8 * 1024 * 1024);
  const std::string compressed = compress_bytes(codec, data);
  ClassifyOptions options;
  options.text_sample_bytes = 256 * 1024;
  RecordingSource source("mem://big.csv.z", compressed);
  std::optional<FileSchema> fs = classify_file(source, options);
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(columns_of(*fs), (Columns{"id:int", "name:string", "amount:decimal(18,2)"}));
  EXPECT_FALSE(fs->record_count_exact);
  EXPECT_LE(source.bytes_read(), cairn::crawler::max_compressed_sample_bytes(options));
  EXPECT_LT(source.bytes_read(), compressed.size());
}

TEST_P(CompressedText, ACutFileGivesWhatItHolds) {
  const Codec codec = GetParam();
  const std::string compressed = compress_bytes(codec, big_csv(2 * 1024 * 1024));
  std::optional<FileSchema> fs = classify("mem://cut.csv.z", compressed.substr(0, compressed.size() / 2));
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(fs->classification, "csv");
  EXPECT_FALSE(fs->record_count_exact);
}

INSTANTIATE_TEST_SUITE_P(Codecs, CompressedText, ::testing::Values(Codec::Gzip, Codec::Zstd, Codec::Bzip2),
                         [](const auto& info) {
                           return std::string(cairn::crawler::codec_name(info.param));
                         });

// ---------------------------------------------------------------------------------------------------------------
// Custom classifiers.

CustomClassifier custom_csv(const std::string& name) {
  CustomClassifier c;
  c.name = name;
  c.kind = CustomClassifier::Kind::Csv;
  return c;
}

TEST(Classify, CustomCsvBeatsTheBuiltInOne) {
  // Built-in: no header detected in an all-text file of the same shape as its first row.
  const std::string data = "alice,berlin\nbob,paris\ncarol,rome\n";
  std::optional<FileSchema> builtin = classify("mem://people.csv", data);
  ASSERT_TRUE(builtin.has_value());
  EXPECT_EQ(columns_of(*builtin), (Columns{"col0:string", "col1:string"}));

  ClassifyOptions options;
  CustomClassifier c = custom_csv("people");
  c.csv.header = CsvHeader::Absent;
  c.csv.custom_header = {"person", "town"};
  options.custom.push_back(c);
  std::optional<FileSchema> custom = classify("mem://people.csv", data, options);
  ASSERT_TRUE(custom.has_value());
  EXPECT_EQ(columns_of(*custom), (Columns{"person:string", "town:string"}));
  EXPECT_EQ(custom->record_count, 3);
}

TEST(Classify, CustomClassifiersRunInOrderAndTheFirstCertainOneWins) {
  ClassifyOptions options;
  CustomClassifier pipes = custom_csv("pipes");
  pipes.csv.delimiter = '|';  // does not split this file: no result
  CustomClassifier first = custom_csv("first");
  first.csv.custom_header = {"first_a", "first_b", "first_c"};
  first.csv.header = CsvHeader::Present;
  CustomClassifier second = custom_csv("second");
  second.csv.custom_header = {"second_a", "second_b", "second_c"};
  second.csv.header = CsvHeader::Present;
  options.custom = {pipes, first, second};
  std::optional<FileSchema> fs = classify("mem://a.csv", kCsv, options);
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(columns_of(*fs), (Columns{"first_a:int", "first_b:string", "first_c:string"}));
}

TEST(Classify, AnUncertainCustomResultLosesToACertainBuiltIn) {
  ClassifyOptions options;
  options.custom.push_back(custom_grok("mostly_ints", "ints", "^%{INT:a},%{INT:b}$"));
  std::string data = "a,b\n";
  for (int i = 0; i < 20; ++i) data += std::to_string(i) + "," + std::to_string(i * 2) + "\n";
  // 20 of 21 lines match the Grok pattern (certainty 0.9 × 20/21); the CSV classifier is certain.
  std::optional<FileSchema> fs = classify("mem://ints.csv", data, options);
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(fs->classification, "csv");
  // Without a competitor the Grok result stands.
  std::optional<FileSchema> only = classify("mem://ints.log", "a;b\n1,2\n3,4\n5,6\n7,8\n", options);
  ASSERT_TRUE(only.has_value());
  EXPECT_EQ(only->classification, "ints");
  EXPECT_LT(only->certainty, 1.0);
}

TEST(Classify, GrokClassifierOnCompressedApacheLogs) {
  const std::string lines =
      "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /index.html HTTP/1.1\" 200 512\n"
      "10.0.0.2 - bob [10/Oct/2000:13:55:37 -0700] \"GET /missing HTTP/1.1\" 404 -\n";
  ClassifyOptions options;
  options.custom.push_back(custom_grok("apache", "apache_access", "%{COMMONAPACHELOG_DATATYPED}"));
  std::optional<FileSchema> fs = classify("mem://access.log.gz", compress_bytes(Codec::Gzip, lines), options);
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(fs->classification, "apache_access");
  EXPECT_EQ(fs->compression, "gzip");
  EXPECT_EQ(fs->serialization_library, "com.amazonaws.glue.serde.GrokSerDe");
  EXPECT_EQ(columns_of(*fs).back(), "bytes:bigint");
  EXPECT_EQ(fs->record_count, 2);
}

TEST(Classify, CustomJsonPathClassifier) {
  ClassifyOptions options;
  CustomClassifier json;
  json.name = "records";
  json.kind = CustomClassifier::Kind::Json;
  json.json.json_path = "$.records[*]";
  options.custom.push_back(json);
  std::optional<FileSchema> fs =
      classify("mem://wrapped.json", R"({"records": [{"x": 1, "y": "a"}, {"x": 2, "y": "b"}]})", options);
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(columns_of(*fs), (Columns{"x:int", "y:string"}));
  EXPECT_EQ(fs->parameters.at("jsonPath"), "$.records[*]");
}

// ---------------------------------------------------------------------------------------------------------------
// Validation of custom classifier definitions.

std::string validation_error(const CustomClassifier& c, std::size_t index, const std::string& field) {
  try {
    validate_custom_classifier(c, index);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), field) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for " << field;
  return {};
}

TEST(Classify, ValidatesCustomClassifierNames) {
  validation_error(custom_csv(""), 0, "classifiers[0].name");
  validation_error(custom_csv("has space"), 1, "classifiers[1].name");
  validation_error(custom_csv("dot.name"), 0, "classifiers[0].name");
  validation_error(custom_csv(std::string(256, 'a')), 0, "classifiers[0].name");
  EXPECT_NO_THROW(validate_custom_classifier(custom_csv(std::string(255, 'a')), 0));
  EXPECT_NO_THROW(validate_custom_classifier(custom_csv("My-Classifier_2"), 0));
  try {
    validate_custom_classifiers({custom_csv("a"), custom_csv("a")});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "classifiers[1].name");
  }
}

TEST(Classify, ValidatesCsvSettings) {
  CustomClassifier c = custom_csv("c");
  c.csv.delimiter = '\n';
  validation_error(c, 0, "classifiers[0].csv.delimiter");
  c.csv.delimiter = '\0';
  validation_error(c, 0, "classifiers[0].csv.delimiter");
  c.csv.delimiter = '"';
  validation_error(c, 0, "classifiers[0].csv.quote");
  c.csv.delimiter = ',';
  c.csv.quote = '\r';
  validation_error(c, 0, "classifiers[0].csv.quote");
  c.csv.quote = '\'';
  c.csv.custom_header = {"a", " "};
  validation_error(c, 0, "classifiers[0].csv.custom_header[1]");
  c.csv.custom_header = {std::string(256, 'x')};
  validation_error(c, 0, "classifiers[0].csv.custom_header[0]");
  c.csv.custom_header = {"a", "b"};
  EXPECT_NO_THROW(validate_custom_classifier(c, 0));
}

TEST(Classify, ValidatesJsonPaths) {
  CustomClassifier c;
  c.name = "j";
  c.kind = CustomClassifier::Kind::Json;
  EXPECT_NE(validation_error(c, 2, "classifiers[2].json.json_path").find("needs a JSON path"),
            std::string::npos);
  c.json.json_path = "records[*]";
  EXPECT_NE(validation_error(c, 2, "classifiers[2].json.json_path").find("'$'"), std::string::npos);
  c.json.json_path = "$.records[";
  validation_error(c, 2, "classifiers[2].json.json_path");
  c.json.json_path = "$.records[*]";
  EXPECT_NO_THROW(validate_custom_classifier(c, 2));
}

TEST(Classify, ValidatesGrokClassifiers) {
  CustomClassifier c;
  c.name = "g";
  c.kind = CustomClassifier::Kind::Grok;
  c.grok = {"", "%{INT:a}", ""};
  validation_error(c, 0, "classifiers[0].grok.classification");
  c.grok = {"logs", "%{NOPE:a}", ""};
  EXPECT_NE(validation_error(c, 0, "classifiers[0].grok.pattern").find("unknown pattern"), std::string::npos);
  c.grok = {"logs", "%{A:a}", "A %{B}\nB %{A}"};
  EXPECT_NE(validation_error(c, 3, "classifiers[3].grok.custom_patterns").find("cycle"), std::string::npos);
  c.grok = {"logs", "%{INT}", ""};
  EXPECT_NE(validation_error(c, 0, "classifiers[0].grok.pattern").find("names no field"), std::string::npos);
  c.grok = {"logs", std::string(2049, 'a'), ""};
  validation_error(c, 0, "classifiers[0].grok.pattern");
  c.grok = {"logs", "%{INT:a}", std::string(16001, 'a')};
  validation_error(c, 0, "classifiers[0].grok.custom_patterns");
  c.grok = {"logs", "%{INT:a}%{X:x}", "X (?<=y)z"};
  validation_error(c, 0, "classifiers[0].grok.custom_patterns");
  c.grok = {"logs", "%{INT:a} %{X:x}", "X [a-z]+"};
  EXPECT_NO_THROW(validate_custom_classifier(c, 0));
}

}  // namespace
