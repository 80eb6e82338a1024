#include "cairn/crawler/compression.h"

#include <bzlib.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <functional>
#include <string>

#include "cairn/catalog/error.h"
#include "crawler/compress_util.h"

namespace cairn::crawler {
namespace {

using test::bzip2_bytes;
using test::compress_bytes;
using test::gzip_bytes;
using test::zstd_bytes;

// Lines of CSV-like text, `n` bytes or a little more.
std::string text_of_size(std::size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; ++i) {
    s += std::to_string(i) + ",name" + std::to_string(i * 7919 % 1000) + ",2024-01-" +
         std::to_string(10 + i % 20) + "\n";
  }
  return s;
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::Internal;
}

const Codec kCodecs[] = {Codec::Gzip, Codec::Zstd, Codec::Bzip2};

// --- negative cases first ---

TEST(Compression, CorruptDataIsAClearError) {
  std::string text = text_of_size(200000);
  for (Codec codec : kCodecs) {
    std::string packed = compress_bytes(codec, text);
    // Damage the middle of the compressed body: a bad block, bad code or checksum mismatch.
    for (std::size_t i = packed.size() / 2; i < packed.size() / 2 + 16; ++i)
      packed[i] = static_cast<char>(~packed[i]);
    try {
      decompress_prefix(packed, codec, SIZE_MAX);
      ADD_FAILURE() << "no error for corrupt " << codec_name(codec);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << codec_name(codec);
      EXPECT_EQ(e.field(), "data");
      EXPECT_NE(std::string(e.what()).find(std::string(codec_name(codec))), std::string::npos) << e.what();
    }
  }
}

TEST(Compression, PlainTextGivenAsCompressedIsAnError) {
  std::string plain = "id,name\n1,alice\n2,bob\n";
  for (Codec codec : kCodecs) {
    EXPECT_EQ(code_of([&] { decompress_prefix(plain, codec, 1 << 20); }), ErrorCode::InvalidArgument)
        << codec_name(codec);
  }
}

TEST(Compression, DecompressionBombStopsAtTheBound) {
  // 1 GiB of zeros: one 16 MiB member/frame/stream repeated 64 times (concatenation is valid for all three).
  const std::string zeros(16u << 20, '\0');
  for (Codec codec : kCodecs) {
    std::string member = compress_bytes(codec, zeros);
    std::string bomb;
    for (int i = 0; i < 64; ++i) bomb += member;
    ASSERT_LT(bomb.size(), 4u << 20) << codec_name(codec);
    DecompressedSample s = decompress_sample(bomb, codec, 1 << 20);
    EXPECT_EQ(s.data.size(), 1u << 20) << codec_name(codec);
    EXPECT_FALSE(s.complete);
    EXPECT_FALSE(s.input_truncated);
    EXPECT_LE(s.data.capacity(), (1u << 20) + 1) << "allocation beyond the bound";
  }
}

TEST(Compression, EmptyInputIsTruncatedNotAnError) {
  for (Codec codec : kCodecs) {
    DecompressedSample s = decompress_sample("", codec, 1024);
    EXPECT_TRUE(s.data.empty());
    EXPECT_TRUE(s.input_truncated) << codec_name(codec);
    EXPECT_FALSE(s.complete);
  }
}

// --- rules ---

TEST(Compression, RoundTripsWholeFiles) {
  std::string text = text_of_size(300000);
  for (Codec codec : kCodecs) {
    DecompressedSample s = decompress_sample(compress_bytes(codec, text), codec, 1 << 20);
    EXPECT_EQ(s.data, text) << codec_name(codec);
    EXPECT_TRUE(s.complete);
    EXPECT_FALSE(s.input_truncated);
  }
}

TEST(Compression, StopsAtMaxOutputWithAPrefix) {
  std::string text = text_of_size(300000);
  for (Codec codec : kCodecs) {
    DecompressedSample s = decompress_sample(compress_bytes(codec, text), codec, 10000);
    EXPECT_EQ(s.data, text.substr(0, 10000)) << codec_name(codec);
    EXPECT_FALSE(s.complete);
    EXPECT_EQ(decompress_prefix(compress_bytes(codec, text), codec, 10000), s.data);
  }
}

TEST(Compression, ContentOfExactlyTheBoundIsComplete) {
  std::string text = text_of_size(5000).substr(0, 5000);
  for (Codec codec : kCodecs) {
    DecompressedSample s = decompress_sample(compress_bytes(codec, text), codec, 5000);
    EXPECT_EQ(s.data, text) << codec_name(codec);
    EXPECT_TRUE(s.complete) << codec_name(codec);
  }
}

TEST(Compression, TruncatedInputYieldsThePrefixDecoded) {
  // Only the first part of a big compressed file was read: decode what is there, without an error.
  std::string text = text_of_size(2000000);
  for (Codec codec : kCodecs) {
    std::string packed = compress_bytes(codec, text);
    std::string head = packed.substr(0, packed.size() / 2);
    DecompressedSample s = decompress_sample(head, codec, SIZE_MAX);
    EXPECT_TRUE(s.input_truncated) << codec_name(codec);
    EXPECT_FALSE(s.complete);
    EXPECT_GT(s.data.size(), 0u) << codec_name(codec);
    EXPECT_LT(s.data.size(), text.size());
    EXPECT_EQ(s.data, text.substr(0, s.data.size())) << codec_name(codec);
  }
}

TEST(Compression, ConcatenatedMembersAreDecodedInTurn) {
  for (Codec codec : kCodecs) {
    std::string packed = compress_bytes(codec, "id,name\n1,alice\n") + compress_bytes(codec, "2,bob\n");
    DecompressedSample s = decompress_sample(packed, codec, 1024);
    EXPECT_EQ(s.data, "id,name\n1,alice\n2,bob\n") << codec_name(codec);
    EXPECT_TRUE(s.complete) << codec_name(codec);
  }
}

TEST(Compression, GzipIgnoresTrailingGarbageLikeGzip) {
  DecompressedSample s = decompress_sample(gzip_bytes("a,b\n") + std::string(8, '\0'), Codec::Gzip, 1024);
  EXPECT_EQ(s.data, "a,b\n");
  EXPECT_TRUE(s.complete);
}

TEST(Compression, GzipCutInsideTheSecondMemberHeaderIsTruncated) {
  DecompressedSample s = decompress_sample(gzip_bytes("a,b\n") + "\x1f", Codec::Gzip, 1024);
  EXPECT_EQ(s.data, "a,b\n");
  EXPECT_TRUE(s.input_truncated);
}

TEST(Compression, NoneCopiesAPrefix) {
  DecompressedSample s = decompress_sample("abcdef", Codec::None, 4);
  EXPECT_EQ(s.data, "abcd");
  EXPECT_FALSE(s.complete);
  EXPECT_TRUE(decompress_sample("abc", Codec::None, 4).complete);
}

TEST(Compression, DetectsCodecsByMagic) {
  EXPECT_EQ(codec_from_magic(gzip_bytes("x")), Codec::Gzip);
  EXPECT_EQ(codec_from_magic(zstd_bytes("x")), Codec::Zstd);
  EXPECT_EQ(codec_from_magic(bzip2_bytes("x")), Codec::Bzip2);
  EXPECT_EQ(codec_from_magic("BZh0"), std::nullopt);
  EXPECT_EQ(codec_from_magic("a,b,c\n"), std::nullopt);
  EXPECT_EQ(codec_from_magic(""), std::nullopt);
  // Magic decides whatever the name says.
  EXPECT_EQ(detect_codec(zstd_bytes("x"), "data.csv.gz"), Codec::Zstd);
  EXPECT_EQ(detect_codec(gzip_bytes("x"), "data.csv"), Codec::Gzip);
  EXPECT_EQ(detect_codec("a,b,c\n1,2,3\n", "mislabelled.csv.gz"), Codec::None);
}

TEST(Compression, ExtensionIsAHintForTooShortHeads) {
  EXPECT_EQ(codec_from_extension("part-0000.csv.GZ"), Codec::Gzip);
  EXPECT_EQ(codec_from_extension("x.gzip"), Codec::Gzip);
  EXPECT_EQ(codec_from_extension("x.json.zst"), Codec::Zstd);
  EXPECT_EQ(codec_from_extension("x.zstd"), Codec::Zstd);
  EXPECT_EQ(codec_from_extension("x.tsv.bz2"), Codec::Bzip2);
  EXPECT_EQ(codec_from_extension("x.csv"), Codec::None);
  EXPECT_EQ(codec_from_extension("gz"), Codec::None);
  EXPECT_EQ(detect_codec("", "empty.csv.gz"), Codec::Gzip);
  EXPECT_EQ(detect_codec("a", "one-byte.bz2"), Codec::Bzip2);
  EXPECT_EQ(detect_codec("", "empty.csv"), Codec::None);
}

TEST(Compression, CodecNamesAreGluesCompressionType) {
  EXPECT_EQ(codec_name(Codec::None), "none");
  EXPECT_EQ(codec_name(Codec::Gzip), "gzip");
  EXPECT_EQ(codec_name(Codec::Zstd), "zstd");
  EXPECT_EQ(codec_name(Codec::Bzip2), "bzip2");
}

}  // namespace
}  // namespace cairn::crawler
