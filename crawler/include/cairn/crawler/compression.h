#pragma once
// Compressed text files (gzip, zstd, bzip2): codec detection and decompression of a bounded prefix, so that
// a classifier can sample a compressed file without inflating all of it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::crawler {

/// The compression codecs of text files that crawlers read (Glue's compressionType values).
enum class Codec { None, Gzip, Zstd, Bzip2 };

/// Glue's compressionType name of `codec`: "none", "gzip", "zstd" or "bzip2".
std::string_view codec_name(Codec codec);

/// The codec whose magic bytes start `head` (gzip 1f 8b, zstd 28 b5 2f fd, bzip2 "BZh1".."BZh9"); nullopt
/// when `head` starts with none of them (or is shorter than a magic).
std::optional<Codec> codec_from_magic(std::string_view head);

/// The codec a file name's extension suggests (".gz"/".gzip", ".zst"/".zstd", ".bz2"), case-insensitive;
/// Codec::None for any other name.
Codec codec_from_extension(std::string_view file_name);

/// The codec of a file: its magic bytes decide; the extension is only a hint used when `head` is too short
/// to hold a magic (e.g. an empty or 1-byte file). A ".gz" file whose bytes are not gzip is Codec::None.
Codec detect_codec(std::string_view head, std::string_view file_name);

/// A decompressed prefix and how it ended.
struct DecompressedSample {
  /// At most `max_output` bytes of decompressed content, from the start of the file.
  std::string data;
  /// True when every stream in the input was decoded to its end and `data` holds all of it: the input was a
  /// whole file and the output bound was not reached.
  bool complete = false;
  /// True when the input ended inside a stream (a prefix of a larger compressed file, or a cut file).
  bool input_truncated = false;
};

/// Decodes `compressed` until `max_output` bytes are produced or the input ends. Gzip members and zstd
/// frames and bzip2 streams that follow each other are decoded in turn (trailing non-gzip bytes after a
/// complete gzip member are ignored, as gzip(1) does). A truncated input is not an error: the bytes decoded
/// so far are returned with `input_truncated` set. Memory is bounded by `max_output` plus the codec's
/// window, whatever the compression ratio (decompression bombs stop at the bound). Codec::None copies the
/// prefix. Throws Error(InvalidArgument, "data") when the data is corrupt (bad header, checksum or block).
DecompressedSample decompress_sample(std::string_view compressed, Codec codec, std::size_t max_output);

/// decompress_sample(...).data: the first (at most) `max_output` decompressed bytes; throws as it does.
std::string decompress_prefix(std::string_view compressed, Codec codec, std::size_t max_output);

}  // namespace cairn::crawler
