#pragma once
// Helpers of the crawler tests: a ByteSource that records what a reader fetches, and the column list of a
// FileSchema checked against the catalog's rules.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/names.h"
#include "cairn/crawler/byte_source.h"
#include "cairn/crawler/file_schema.h"

namespace cairn::crawler::test {

class RecordingSource : public ByteSource {
 public:
  /// `name` is what error messages call the file (e.g. "mem://recorded.parquet").
  RecordingSource(std::string name, std::string bytes)
      : ByteSource(std::move(name)), bytes_(std::move(bytes)) {}
  std::uint64_t size() override { return bytes_.size(); }
  /// (offset, length) of every read, in order.
  std::vector<std::pair<std::uint64_t, std::size_t>> reads;

 protected:
  std::string read_at(std::uint64_t offset, std::size_t length) override {
    reads.emplace_back(offset, length);
    return bytes_.substr(offset, length);
  }

 private:
  std::string bytes_;
};

/// "name:type" for each column; also checks that every type is a canonical Hive type string and every name a
/// valid catalog column name.
inline std::vector<std::string> columns_of(const FileSchema& fs) {
  std::vector<std::string> out;
  for (const catalog::Column& c : fs.columns) {
    EXPECT_EQ(catalog::parse_hive_type(c.type).to_string(), c.type);
    EXPECT_EQ(catalog::normalize_column_name("name", c.name), c.name);
    out.push_back(c.name + ":" + c.type);
  }
  return out;
}

}  // namespace cairn::crawler::test
