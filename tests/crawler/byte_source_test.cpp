#include "cairn/crawler/byte_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cairn/catalog/error.h"

namespace {

namespace fs = std::filesystem;
using cairn::Error;
using cairn::ErrorCode;
using cairn::crawler::memory_source;
using cairn::crawler::open_local_file;

class ByteSourceFile : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cairn_byte_source_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_ / "secret", fs::perms::owner_all, ec);
    fs::remove_all(dir_, ec);
  }
  fs::path write(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path dir_;
};

ErrorCode code_of_open(const std::string& path) {
  try {
    open_local_file(path);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    return e.code();
  }
  ADD_FAILURE() << "opened " << path;
  return ErrorCode::Internal;
}

TEST_F(ByteSourceFile, MissingFileIsNotFound) {
  EXPECT_EQ(code_of_open((dir_ / "absent.parquet").string()), ErrorCode::NotFound);
  EXPECT_EQ(code_of_open((dir_ / "absent" / "below.parquet").string()), ErrorCode::NotFound);
}

TEST_F(ByteSourceFile, DirectoryIsInvalid) {
  EXPECT_EQ(code_of_open(dir_.string()), ErrorCode::InvalidArgument);
}

TEST_F(ByteSourceFile, UnreadableFileIsAccessDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
  const fs::path path = write("secret", "x");
  fs::permissions(path, fs::perms::none);
  EXPECT_EQ(code_of_open(path.string()), ErrorCode::AccessDenied);
}

TEST_F(ByteSourceFile, ReadsRangesAndStopsAtTheEnd) {
  const fs::path path = write("data.bin", "0123456789");
  auto source = open_local_file(path.string());
  EXPECT_EQ(source->name(), path.string());
  EXPECT_EQ(source->size(), 10u);
  EXPECT_EQ(source->read(0, 4), "0123");
  EXPECT_EQ(source->read(6, 100), "6789");
  EXPECT_EQ(source->read(10, 5), "");
  EXPECT_EQ(source->read(1u << 30, 5), "");
  EXPECT_EQ(source->read(3, 0), "");
  EXPECT_EQ(source->bytes_read(), 8u);
}

TEST_F(ByteSourceFile, AFileThatShrinksIsAnError) {
  const fs::path path = write("shrinking.bin", std::string(1000, 'a'));
  auto source = open_local_file(path.string());
  fs::resize_file(path, 10);
  try {
    source->read(0, 1000);
    ADD_FAILURE() << "read past the new end";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unavailable);
    EXPECT_NE(std::string(e.what()).find("shrank"), std::string::npos) << e.what();
  }
}

// The crawler opens files at the size its listing gave, without a second stat.
TEST_F(ByteSourceFile, AListedFileIsReadAtItsListedSize) {
  const fs::path path = write("listed.csv", "a,b\n1,2\n");
  auto source = open_local_file(path.string(), 4);  // the listing saw the first 4 bytes
  EXPECT_EQ(source->size(), 4u);
  EXPECT_EQ(source->read(0, 100), "a,b\n");
  EXPECT_EQ(source->bytes_read(), 4u);
}

TEST_F(ByteSourceFile, AListedFileOpensRelativeToItsOpenFolder) {
  const fs::path path = write("in_folder.csv", "x,y\n");
  const int folder = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(folder, 0);
  auto source = open_local_file(path.string(), 4, folder);
  EXPECT_EQ(source->name(), path.string());
  EXPECT_EQ(source->read(0, 4), "x,y\n");
  try {
    open_local_file((dir_ / "absent.csv").string(), 4, folder);
    ADD_FAILURE() << "opened a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotFound);
    EXPECT_NE(std::string(e.what()).find((dir_ / "absent.csv").string()), std::string::npos) << e.what();
  }
  ::close(folder);
}

TEST_F(ByteSourceFile, AListedFileThatShrankOrBecameAFolderIsAnError) {
  const fs::path path = write("listed.csv", std::string(100, 'a'));
  auto source = open_local_file(path.string(), 1000);
  try {
    source->read(0, 1000);
    ADD_FAILURE() << "read past the end";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unavailable);
    EXPECT_NE(std::string(e.what()).find("shrank"), std::string::npos) << e.what();
  }
  auto folder = open_local_file(dir_.string(), 100);
  try {
    folder->read(0, 100);
    ADD_FAILURE() << "read a folder";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unavailable);
    EXPECT_NE(std::string(e.what()).find(dir_.string()), std::string::npos) << e.what();
  }
  try {
    open_local_file((dir_ / "gone.csv").string(), 10);
    ADD_FAILURE() << "opened a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotFound);
  }
}

TEST(ByteSource, MemorySourceReadsRanges) {
  auto source = memory_source("mem://x", std::string("abc\0def", 7));
  EXPECT_EQ(source->name(), "mem://x");
  EXPECT_EQ(source->size(), 7u);
  EXPECT_EQ(source->read(2, 3), std::string("c\0d", 3));
  EXPECT_EQ(source->read(5, 10), "ef");
  EXPECT_EQ(source->read(7, 1), "");
  EXPECT_EQ(source->bytes_read(), 5u);
  // A huge length is clamped to the file, not allocated.
  EXPECT_EQ(source->read(0, static_cast<std::size_t>(-1)).size(), 7u);
}

}  // namespace
