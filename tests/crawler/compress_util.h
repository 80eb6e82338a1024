#pragma once
// Compressors for crawler test fixtures: gzip, zstd and bzip2 files written in memory.

#include <bzlib.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <string>
#include <string_view>

#include "cairn/crawler/compression.h"

namespace cairn::crawler::test {

/// `data` as one gzip member.
inline std::string gzip_bytes(std::string_view data, int level = 6) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

/// `data` as one zstd frame.
inline std::string zstd_bytes(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

/// `data` as one bzip2 stream (900 KB blocks).
inline std::string bzip2_bytes(std::string_view data) {
  std::string out(data.size() + data.size() / 100 + 600, '\0');
  unsigned int n = static_cast<unsigned int>(out.size());
  EXPECT_EQ(BZ2_bzBuffToBuffCompress(out.data(), &n, const_cast<char*>(data.data()),
                                     static_cast<unsigned int>(data.size()), 9, 0, 0),
            BZ_OK);
  out.resize(n);
  return out;
}

/// `data` compressed with `codec` (Codec::None: unchanged).
inline std::string compress_bytes(Codec codec, std::string_view data) {
  switch (codec) {
    case Codec::Gzip:
      return gzip_bytes(data);
    case Codec::Zstd:
      return zstd_bytes(data);
    case Codec::Bzip2:
      return bzip2_bytes(data);
    case Codec::None:
      break;
  }
  return std::string(data);
}

}  // namespace cairn::crawler::test
