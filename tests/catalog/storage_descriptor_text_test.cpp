// storage_descriptor_text, parameters_text and append_json_string must write exactly what nlohmann's
// to_json(...).dump() writes: the stores compare and parse these texts, and a storage descriptor written by
// either path must be the same bytes.
#include <gtest/gtest.h>

#include <climits>
#include <random>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/model_json.h"

namespace cairn::catalog {
namespace {

using nlohmann::json;

void expect_same_text(const StorageDescriptor& sd) {
  EXPECT_EQ(storage_descriptor_text(sd), to_json(sd).dump());
}

std::string all_ascii_bytes() {
  std::string out;
  for (int c = 1; c < 0x80; ++c) out += static_cast<char>(c);
  return out;
}

TEST(StorageDescriptorText, EmptyDescriptor) {
  expect_same_text(StorageDescriptor{});
  EXPECT_EQ(
      storage_descriptor_text(StorageDescriptor{}),
      R"({"bucket_columns":[],"columns":[],"compressed":false,"input_format":"","location":"",)"
      R"("number_of_buckets":-1,"output_format":"","parameters":{},"serde_info":{"name":"","parameters":{},)"
      R"("serialization_library":""},"stored_as_sub_directories":false})");
}

TEST(StorageDescriptorText, EveryAsciiByteAndNul) {
  StorageDescriptor sd;
  sd.location = all_ascii_bytes();
  sd.input_format = std::string("a\0b", 3);
  sd.output_format = "\"quoted\" \\back\\slash\\ \x7f";
  sd.serde_info.name = "\b\f\n\r\t\x01\x1f\x0b";
  sd.columns = {{"c", "string", all_ascii_bytes(), {{all_ascii_bytes(), all_ascii_bytes()}}}};
  expect_same_text(sd);
}

TEST(StorageDescriptorText, Utf8PassesThrough) {
  StorageDescriptor sd;
  sd.location = "s3://lake/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80/\xef\xbf\xbf/\xf4\x8f\xbf\xbf";
  sd.columns = {{"n\xc3\xa4me", "string", "\xe6\x97\xa5\xe6\x9c\xac", {{"\xc3\xa9", "\xf0\x9f\x98\x80"}}}};
  sd.bucket_columns = {"n\xc3\xa4me", "\xf0\x9f\x98\x80"};
  expect_same_text(sd);
}

TEST(StorageDescriptorText, FullDescriptorBooleansAndNumbers) {
  StorageDescriptor sd;
  for (int i = 0; i < 11; ++i) {
    sd.columns.push_back({"c" + std::to_string(i), i % 2 ? "int" : "array<struct<a:int,b:string>>",
                          i % 3 ? "" : "comment " + std::to_string(i),
                          i % 4 ? Parameters{} : Parameters{{"cairn.inferred_type", "int"}, {"k", "v"}}});
  }
  sd.location = "s3://lake/t/";
  sd.input_format = "in";
  sd.output_format = "out";
  sd.bucket_columns = {"c1", "c2", "c3"};
  sd.serde_info = {"serde", "org.example.SerDe", {{"field.delim", ","}, {"serialization.format", "1"}}};
  for (int i = 0; i < 40; ++i) sd.parameters["p" + std::to_string(i)] = std::to_string(i * 7);
  for (const bool compressed : {false, true}) {
    for (const bool sub_directories : {false, true}) {
      for (const int buckets : {-1, 0, 1, 8, -2, -1000000, INT_MAX, INT_MIN}) {
        sd.compressed = compressed;
        sd.stored_as_sub_directories = sub_directories;
        sd.number_of_buckets = buckets;
        expect_same_text(sd);
      }
    }
  }
}

TEST(StorageDescriptorText, KeysSortedAsStdMap) {
  StorageDescriptor sd;
  sd.parameters = {{"B", "1"}, {"a", "2"},        {"a.b", "3"}, {"a_b", "4"},
                   {"", "5"},  {"\xc3\xa9", "6"}, {"~", "7"}};
  sd.serde_info.parameters = sd.parameters;
  expect_same_text(sd);
  EXPECT_EQ(parameters_text(sd.parameters), json(sd.parameters).dump());
}

TEST(StorageDescriptorText, InvalidUtf8IsRefusedLikeDump) {
  for (const std::string bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xe2\x82",
                                "\x80", "\xf8\x88\x80\x80\x80"}) {
    StorageDescriptor sd;
    sd.columns = {{"c", "string", "", {{"k", bad}}}};
    EXPECT_THROW(to_json(sd).dump(), json::type_error);
    try {
      storage_descriptor_text(sd);
      ADD_FAILURE() << "no error for invalid UTF-8";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
      EXPECT_EQ(e.field(), "storage_descriptor");
    }
    EXPECT_THROW(parameters_text({{bad, "v"}}), Error);
    std::string out;
    EXPECT_THROW(append_json_string(out, bad), Error);
  }
}

TEST(AppendJsonString, EveryByteAndSequenceAsDump) {
  for (int c = 0; c < 0x80; ++c) {
    const std::string text(1, static_cast<char>(c));
    std::string out = "x";
    append_json_string(out, text);
    EXPECT_EQ(out, "x" + json(text).dump()) << "byte " << c;
  }
  for (const std::string text : {"", "plain", "caf\xc3\xa9", "\xf0\x9f\x98\x80\n\x7f\"", "\\u0041"}) {
    std::string out;
    append_json_string(out, text);
    EXPECT_EQ(out, json(text).dump());
  }
}

// --- random valid descriptors
// -------------------------------------------------------------------------------

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  /// Valid UTF-8: ASCII (controls, quotes and backslashes often), and 2-, 3- and 4-byte sequences.
  std::string text() {
    std::string out;
    const int n = below(4) == 0 ? 0 : below(24);
    for (int i = 0; i < n; ++i) {
      switch (below(6)) {
        case 0:
          out += static_cast<char>(below(0x20));
          break;
        case 1:
          out += "\"\\/\x7f"[below(4)];
          break;
        case 2:
          append_code_point(out, 0x80 + below(0x800 - 0x80));
          break;
        case 3: {
          int cp = 0x800 + below(0x10000 - 0x800);
          if (cp >= 0xd800 && cp <= 0xdfff) cp -= 0x800;  // no surrogates
          append_code_point(out, cp);
          break;
        }
        case 4:
          append_code_point(out, 0x10000 + below(0x110000 - 0x10000));
          break;
        default:
          out += static_cast<char>(0x20 + below(0x5f));
      }
    }
    return out;
  }

  Parameters parameters() {
    Parameters out;
    const int n = below(3) == 0 ? 0 : below(12);
    for (int i = 0; i < n; ++i) out[text()] = text();
    return out;
  }

  StorageDescriptor descriptor() {
    StorageDescriptor sd;
    const int columns = below(14);
    for (int i = 0; i < columns; ++i) sd.columns.push_back({text(), text(), text(), parameters()});
    sd.location = text();
    sd.input_format = text();
    sd.output_format = text();
    sd.compressed = below(2) == 1;
    sd.number_of_buckets = below(3) == 0 ? -1 : std::uniform_int_distribution<int>(INT_MIN, INT_MAX)(rng_);
    const int buckets = below(4);
    for (int i = 0; i < buckets; ++i) sd.bucket_columns.push_back(text());
    sd.serde_info = {text(), text(), parameters()};
    sd.parameters = parameters();
    sd.stored_as_sub_directories = below(2) == 1;
    return sd;
  }

 private:
  static void append_code_point(std::string& out, int cp) {
    if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    }
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }

  std::mt19937 rng_;
};

TEST(StorageDescriptorText, RandomDescriptorsMatchDump) {
  Generator gen(20261122);
  for (int i = 0; i < 3000; ++i) {
    const StorageDescriptor sd = gen.descriptor();
    const std::string expected = to_json(sd).dump();
    ASSERT_EQ(storage_descriptor_text(sd), expected) << "descriptor " << i;
    ASSERT_EQ(parameters_text(sd.parameters), json(sd.parameters).dump()) << "descriptor " << i;
  }
}

}  // namespace
}  // namespace cairn::catalog
