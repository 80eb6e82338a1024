// Value sampling of Parquet files (crawler/src/parquet_values.cpp) against DuckDB's reading of the same
// files: apache/parquet-testing and files DuckDB writes here (codecs, encodings, nulls, page versions).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"
#include "cairn/crawler/byte_source.h"
#include "cairn/crawler/parquet_reader.h"
#include "cairn/crawler/value_sample.h"
#include "crawler/test_util.h"

namespace {

namespace fs = std::filesystem;
using cairn::Error;
using cairn::ErrorCode;
using cairn::crawler::ColumnValues;
using cairn::crawler::memory_source;
using cairn::crawler::open_local_file;
using cairn::crawler::sample_parquet_values;
using cairn::crawler::ValueSampleOptions;
using nlohmann::json;

fs::path parquet_testing_dir() {
  return fs::path(CAIRN_SOURCE_DIR) / ".." / "shared" / "data" / "parquet-testing";
}
fs::path engines_dir() {
  return fs::path(CAIRN_SOURCE_DIR) / "tests" / "engines";
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Whether `node` and @duckdb/node-api (installed by scripts/test.sh with npm ci in tests/engines) are here.
bool duckdb_available() {
  static const bool available = [] {
    if (!fs::exists(engines_dir() / "node_modules" / "@duckdb" / "node-api")) return false;
    return std::system("node --version > /dev/null 2>&1") == 0;
  }();
  return available;
}

// Runs tests/engines/parquet_values_dump.mjs with `args` and parses what it prints.
json run_dump(const std::vector<std::string>& args) {
  std::string command = "cd " + shell_quote(engines_dir().string()) + " && node parquet_values_dump.mjs";
  for (const std::string& a : args) command += " " + shell_quote(a);
  command += " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::string output;
  char buffer[65536];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  pclose(pipe);
  try {
    return json::parse(output);
  } catch (const json::exception&) {
    throw std::runtime_error("parquet_values_dump.mjs printed: " + output);
  }
}

// DuckDB's values of each top-level primitive column of `files`, at most `limit` per column.
json duckdb_values(const std::vector<std::string>& files, std::size_t limit) {
  std::vector<std::string> args{std::to_string(limit)};
  args.insert(args.end(), files.begin(), files.end());
  return run_dump(args);
}

void duckdb_sql(const std::string& statement) {
  const json r = run_dump({"--sql", statement});
  ASSERT_TRUE(r.contains("ok")) << r.dump();
}

bool parse_number(const std::string& s, double& v) {
  if (s == "nan" || s == "-nan") {
    v = NAN;
    return true;
  }
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

// A timestamp outside years 1..9999 (a corrupt INT96 such as int96_from_spark.parquet's last values): engines
// print their own overflow of it, which classification does not care about.
bool out_of_range_timestamp(const std::string& s) {
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  return digits < s.size() && s[digits] == '-' && (digits > 4 || s.find(" (BC) ") != std::string::npos);
}

// Strings, integers and dates compare exactly; numbers that differ in text compare as doubles.
bool same_value(const std::string& got, const std::string& want) {
  if (got == want) return true;
  if (out_of_range_timestamp(got) && out_of_range_timestamp(want)) return true;
  double a = 0;
  double b = 0;
  if (!parse_number(got, a) || !parse_number(want, b)) return false;
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b));
}

// Compares the sample of one file with DuckDB's values; returns the number of columns compared. A column
// compares when its name is a top-level column DuckDB printed and no other column has it ignoring case.
std::size_t expect_matches_duckdb(const std::string& file, const std::vector<ColumnValues>& got,
                                  const json& want, std::size_t limit) {
  std::map<std::string, int> lowered;
  for (const ColumnValues& c : got) ++lowered[cairn::catalog::text::lower(c.column)];
  std::size_t compared = 0;
  for (const ColumnValues& c : got) {
    if (!want.contains(c.column) || lowered[cairn::catalog::text::lower(c.column)] > 1) continue;
    SCOPED_TRACE(file + ", column " + c.column);
    const std::vector<std::string> expected = want[c.column].get<std::vector<std::string>>();
    ++compared;
    // A column the sampler stopped early (unsupported encoding or codec) must agree on what it has.
    if (c.note.empty()) {
      EXPECT_EQ(c.values.size(), std::min(limit, expected.size()));
    } else {
      EXPECT_LE(c.values.size(), expected.size());
    }
    for (std::size_t i = 0; i < c.values.size() && i < expected.size(); ++i) {
      if (!same_value(c.values[i], expected[i])) {
        ADD_FAILURE() << "value " << i << ": got '" << c.values[i] << "', DuckDB '" << expected[i] << "'";
        break;
      }
    }
  }
  return compared;
}

std::vector<fs::path> parquet_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext == ".parquet" || ext == ".encrypted") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// ---------------------------------------------------------------------------------------------------------------
// apache/parquet-testing

TEST(ParquetValues, EveryParquetTestingFileSamplesOrGivesAClearError) {
  const fs::path dir = parquet_testing_dir();
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir.string();
  std::size_t sampled = 0;
  std::size_t rejected = 0;
  for (const fs::path& dir_path : {dir, dir / "bad_data"}) {
    for (const fs::path& path : parquet_files(dir_path)) {
      SCOPED_TRACE(path.string());
      auto source = open_local_file(path.string());
      try {
        const std::vector<ColumnValues> values = sample_parquet_values(*source, ValueSampleOptions{});
        ++sampled;
        // The footer's first read and the pages needed, each byte at most twice.
        EXPECT_LE(source->bytes_read(), source->size() + cairn::crawler::kParquetTailReadBytes);
        for (const ColumnValues& c : values) EXPECT_LE(c.values.size(), 1000u);
      } catch (const Error& e) {
        ++rejected;
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
        std::cout << "  " << path.filename().string() << ": " << e.what() << "\n";
      }
    }
  }
  std::cout << "parquet-testing: " << sampled << " files sampled, " << rejected << " rejected\n";
  EXPECT_GT(sampled, 40u);
}

TEST(ParquetValues, BadDataFilesNeverCrash) {
  const fs::path dir = parquet_testing_dir() / "bad_data";
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir.string();
  std::size_t rejected = 0;
  for (const fs::path& path : parquet_files(dir)) {
    SCOPED_TRACE(path.string());
    auto source = open_local_file(path.string());
    try {
      sample_parquet_values(*source, ValueSampleOptions{});
    } catch (const Error& e) {
      ++rejected;
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find("invalid Parquet file " + path.string()), std::string::npos)
          << e.what();
    }
  }
  // The two footer-broken files at least; the others are broken in pages the sampler may not need.
  EXPECT_GE(rejected, 2u);
}

TEST(ParquetValues, ParquetTestingFilesMatchDuckDb) {
  const fs::path dir = parquet_testing_dir();
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir.string();
  if (!duckdb_available()) GTEST_SKIP() << "node or tests/engines/node_modules/@duckdb/node-api missing";
  constexpr std::size_t kLimit = 100;
  std::vector<std::string> files;
  for (const fs::path& path : parquet_files(dir)) files.push_back(path.string());
  const json want = duckdb_values(files, kLimit);
  std::size_t files_compared = 0;
  std::size_t columns_compared = 0;
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    if (!want.contains(file) || want[file].contains("__error__")) continue;
    auto source = open_local_file(file);
    ValueSampleOptions options;
    options.max_values_per_column = kLimit;
    std::vector<ColumnValues> got;
    try {
      got = sample_parquet_values(*source, options);
    } catch (const Error& e) {
      ADD_FAILURE() << "DuckDB reads it, the sampler says: " << e.what();
      continue;
    }
    ++files_compared;
    columns_compared += expect_matches_duckdb(file, got, want[file], kLimit);
  }
  std::cout << "parquet-testing: " << columns_compared << " columns of " << files_compared
            << " files compared with DuckDB\n";
  EXPECT_GT(columns_compared, 100u);
}

TEST(ParquetValues, UnsupportedCodecsAndEncodingsAreNotes) {
  const fs::path dir = parquet_testing_dir();
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir.string();
  {
    auto source = open_local_file((dir / "lz4_raw_compressed.parquet").string());
    const auto values = sample_parquet_values(*source, ValueSampleOptions{});
    ASSERT_FALSE(values.empty());
    for (const ColumnValues& c : values) {
      EXPECT_TRUE(c.values.empty());
      EXPECT_NE(c.note.find("LZ4_RAW"), std::string::npos) << c.note;
    }
  }
  {
    auto source = open_local_file((dir / "delta_binary_packed.parquet").string());
    const auto values = sample_parquet_values(*source, ValueSampleOptions{});
    ASSERT_FALSE(values.empty());
    EXPECT_NE(values[0].note.find("DELTA_BINARY_PACKED"), std::string::npos) << values[0].note;
  }
}

TEST(ParquetValues, EncryptedFilesAreRejected) {
  const fs::path dir = parquet_testing_dir();
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir.string();
  for (const char* file : {"encrypt_columns_and_footer.parquet.encrypted",
                           "encrypt_columns_plaintext_footer.parquet.encrypted"}) {
    auto source = open_local_file((dir / file).string());
    try {
      sample_parquet_values(*source, ValueSampleOptions{});
      ADD_FAILURE() << file << " was sampled";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find("is encrypted"), std::string::npos) << e.what();
    }
  }
}

TEST(ParquetValues, KnownValuesOfParquetTestingFiles) {
  const fs::path dir = parquet_testing_dir();
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir.string();
  auto column = [&](const std::string& file, const std::string& name) {
    auto source = open_local_file((dir / file).string());
    for (ColumnValues& c : sample_parquet_values(*source, ValueSampleOptions{})) {
      if (c.column == name) return c;
    }
    ADD_FAILURE() << file << " has no column " << name;
    return ColumnValues{};
  };
  const ColumnValues ts = column("alltypes_plain.parquet", "timestamp_col");  // INT96
  ASSERT_EQ(ts.values.size(), 8u);
  EXPECT_EQ(ts.values[0], "2009-03-01 00:00:00");
  EXPECT_EQ(ts.values[1], "2009-03-01 00:01:00");
  EXPECT_EQ(column("alltypes_plain.parquet", "date_string_col").values[0], "03/01/09");  // BLOB text
  EXPECT_EQ(column("alltypes_dictionary.parquet", "bool_col").values,
            (std::vector<std::string>{"true", "false"}));
  const ColumnValues decimals = column("int32_decimal.parquet", "value");
  ASSERT_FALSE(decimals.values.empty());
  EXPECT_EQ(decimals.values[0], "1.00");
  const ColumnValues nulls = column("nulls.snappy.parquet", "b_struct.b_c_int");
  EXPECT_TRUE(nulls.values.empty());
  EXPECT_EQ(nulls.nulls, 8u);
}

// ---------------------------------------------------------------------------------------------------------------
// Files DuckDB writes

class DuckDbWritten : public testing::Test {
 protected:
  void SetUp() override {
    if (!duckdb_available()) GTEST_SKIP() << "node or tests/engines/node_modules/@duckdb/node-api missing";
    dir_ = fs::temp_directory_path() / ("cairn-parquet-values-" + std::to_string(::getpid()) + "-" +
                                        testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Writes `select` to <dir>/<name> with the COPY options `options`; returns the path.
  std::string write(const std::string& name, const std::string& select, const std::string& options) {
    const std::string path = (dir_ / name).string();
    duckdb_sql("COPY (" + select + ") TO '" + path + "' (FORMAT parquet, " + options + ")");
    return path;
  }

  fs::path dir_;
};

// Every type the sampler renders, with nulls, dictionary-friendly and unique strings, over several pages.
const char* const kAllTypes =
    "SELECT i::INTEGER AS id, "
    "CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1000003 END::BIGINT AS big, "
    "CASE WHEN i % 5 = 0 THEN NULL ELSE 'user' || (i % 7) || '@example.com' END AS email, "
    "'unique-' || i || '-' || md5(i::VARCHAR) AS token, "
    "DATE '2020-01-01' + (i % 400)::INTEGER AS day, "
    "TIMESTAMP '2021-06-01 12:00:00' + INTERVAL (i * 1234567) MICROSECOND AS at, "
    "(i * 1.25)::DECIMAL(10,2) AS price, "
    "(i * 3.5)::DECIMAL(30,4) AS wide, "
    "i / 7.0 AS ratio, "
    "(i / 3.0)::FLOAT AS f, "
    "i % 2 = 0 AS flag, "
    "CASE WHEN i % 4 = 0 THEN NULL ELSE ('\\x00\\x41' || i)::BLOB END AS raw, "
    "md5(i::VARCHAR)::UUID AS uid "
    "FROM range(0, 5000) t(i)";

TEST_F(DuckDbWritten, EveryCodecMatchesDuckDb) {
  for (const char* codec : {"uncompressed", "snappy", "gzip", "zstd"}) {
    SCOPED_TRACE(codec);
    const std::string path = write(std::string(codec) + ".parquet", kAllTypes,
                                   std::string("COMPRESSION ") + codec + ", ROW_GROUP_SIZE 2048");
    auto source = open_local_file(path);
    const auto got = sample_parquet_values(*source, ValueSampleOptions{});
    ASSERT_EQ(got.size(), 13u);
    for (const ColumnValues& c : got) EXPECT_TRUE(c.note.empty()) << c.column << ": " << c.note;
    const json want = duckdb_values({path}, 1000);
    EXPECT_EQ(expect_matches_duckdb(path, got, want[path], 1000), 13u);
    // Nulls counted among the rows read: 1000 non-null values of `big` need about 1500 rows.
    EXPECT_EQ(got[1].values.size(), 1000u);
    EXPECT_EQ(got[1].nulls, 500u);
    EXPECT_EQ(got[0].values[0], "0");
    EXPECT_EQ(got[2].values[0], "user1@example.com");
    EXPECT_EQ(got[4].values[0], "2020-01-01");
    EXPECT_EQ(got[5].values[1], "2021-06-01 12:00:01.234567");
    EXPECT_EQ(got[6].values[1], "1.25");
    EXPECT_EQ(got[7].values[1], "3.5000");
    EXPECT_EQ(got[11].values[0], "\\x00A1");
  }
}

TEST_F(DuckDbWritten, DataPageV2MatchesDuckDb) {
  for (const char* codec : {"uncompressed", "snappy", "zstd"}) {
    SCOPED_TRACE(codec);
    const std::string path = write(std::string("v2-") + codec + ".parquet", kAllTypes,
                                   std::string("COMPRESSION ") + codec + ", PARQUET_VERSION V2");
    auto source = open_local_file(path);
    const auto got = sample_parquet_values(*source, ValueSampleOptions{});
    const json want = duckdb_values({path}, 1000);
    // DuckDB's V2 files use DELTA encodings for some types: those columns carry a note and are compared on
    // the values they have.
    EXPECT_EQ(expect_matches_duckdb(path, got, want[path], 1000), 13u);
  }
}

TEST_F(DuckDbWritten, LimitsAndOnlyTheFirstPagesAreRead) {
  const std::string path =
      write("big.parquet", "SELECT i AS id, 'name-' || i AS s, i * 0.5 AS d FROM range(0, 400000) t(i)",
            "COMPRESSION snappy, ROW_GROUP_SIZE 100000");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  cairn::crawler::test::RecordingSource source(path, bytes);
  ValueSampleOptions options;
  options.max_values_per_column = 10;
  const auto got = sample_parquet_values(source, options);
  ASSERT_EQ(got.size(), 3u);
  for (const ColumnValues& c : got) EXPECT_EQ(c.values.size(), 10u);
  EXPECT_EQ(got[0].values[9], "9");
  EXPECT_EQ(got[2].values[3], "1.5");
  // The footer plus one page per column: far less than the file.
  EXPECT_LT(source.bytes_read(), bytes.size() / 3) << source.bytes_read() << " of " << bytes.size();

  // A byte budget smaller than a page stops each column with a note.
  cairn::crawler::test::RecordingSource small(path, bytes);
  options.max_bytes = 64;
  for (const ColumnValues& c : sample_parquet_values(small, options)) {
    EXPECT_TRUE(c.values.empty());
    EXPECT_FALSE(c.note.empty());
  }
  EXPECT_LE(small.bytes_read(), 65536u + 4 + 3 * 64);

  // No values asked: nothing decoded.
  options = ValueSampleOptions{};
  options.max_values_per_column = 0;
  cairn::crawler::test::RecordingSource none(path, bytes);
  for (const ColumnValues& c : sample_parquet_values(none, options)) EXPECT_TRUE(c.values.empty());
}

TEST_F(DuckDbWritten, NestedColumnsUseDottedPathsAndListsAreSkipped) {
  const std::string path =
      write("nested.parquet",
            "SELECT {'name': 'n' || i, 'zip': CASE WHEN i % 2 = 0 THEN NULL ELSE i END} AS person, "
            "[i, i + 1] AS list, i AS id FROM range(0, 10) t(i)",
            "COMPRESSION zstd");
  auto source = open_local_file(path);
  const auto got = sample_parquet_values(*source, ValueSampleOptions{});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].column, "person.name");
  EXPECT_EQ(got[0].values[3], "n3");
  EXPECT_EQ(got[1].column, "person.zip");
  EXPECT_EQ(got[1].values, (std::vector<std::string>{"1", "3", "5", "7", "9"}));
  EXPECT_EQ(got[1].nulls, 5u);
  EXPECT_EQ(got[2].column, "id");
}

TEST_F(DuckDbWritten, DeterministicAcrossRuns) {
  const std::string path = write("d.parquet", kAllTypes, "COMPRESSION zstd");
  auto a = open_local_file(path);
  auto b = open_local_file(path);
  const auto first = sample_parquet_values(*a, ValueSampleOptions{});
  const auto second = sample_parquet_values(*b, ValueSampleOptions{});
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].values, second[i].values);
    EXPECT_EQ(first[i].nulls, second[i].nulls);
  }
}

// Corrupt pages: every byte of the data section of a small file flipped in turn gives values or a clear
// error, never a crash, a hang or another exception.
TEST_F(DuckDbWritten, CorruptPagesGiveValuesOrAClearError) {
  for (const char* codec : {"uncompressed", "snappy", "gzip", "zstd"}) {
    const std::string path =
        write(std::string("c-") + codec + ".parquet",
              "SELECT i AS id, CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' || (i % 5) END AS s, "
              "DATE '2020-01-01' + i::INTEGER AS d FROM range(0, 50) t(i)",
              std::string("COMPRESSION ") + codec);
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::uint32_t footer = static_cast<unsigned char>(bytes[bytes.size() - 8]) |
                                 static_cast<unsigned char>(bytes[bytes.size() - 7]) << 8;
    const std::size_t data_end = bytes.size() - 8 - footer;
    std::size_t errors = 0;
    for (std::size_t pos = 4; pos < data_end; ++pos) {
      for (unsigned char mask : {0xffu, 0x80u}) {
        std::string broken = bytes;
        broken[pos] = static_cast<char>(broken[pos] ^ mask);
        auto source = memory_source("mem://broken.parquet", broken);
        try {
          sample_parquet_values(*source, ValueSampleOptions{});
        } catch (const Error& e) {
          ++errors;
          ASSERT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
          ASSERT_NE(std::string(e.what()).find("mem://broken.parquet"), std::string::npos) << e.what();
        }
      }
    }
    EXPECT_GT(errors, 0u) << codec;
  }
}

}  // namespace
