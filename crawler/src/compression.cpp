#include "cairn/crawler/compression.h"

#include <bzlib.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include "cairn/catalog/error.h"

namespace cairn::crawler {

namespace {

// Output grows in steps of this size, so a bound of gigabytes allocates only what the data really fills.
constexpr std::size_t kOutputStep = 64 * 1024;
// zlib and bzip2 count input in 32-bit unsigned ints; larger inputs are fed in slices.
constexpr std::size_t kMaxInputSlice = 1u << 30;

[[noreturn]] void throw_corrupt(std::string_view codec, std::string_view detail) {
  throw Error(ErrorCode::InvalidArgument, "corrupt " + std::string(codec) + " data: " + std::string(detail),
              "data");
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  std::string_view tail = s.substr(s.size() - suffix.size());
  for (std::size_t i = 0; i < tail.size(); ++i) {
    char c = tail[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

// Makes room for the next decoder call: at most kOutputStep more bytes, never past `limit`. Returns the
// free space appended (the caller shrinks the string back to what the decoder wrote).
std::size_t grow(std::string& out, std::size_t limit) {
  std::size_t room = std::min(kOutputStep, limit - out.size());
  std::size_t needed = out.size() + room;
  if (needed > out.capacity()) {
    // Doubling as std::string does, but never past the limit, so capacity stays within the bound
    // (std::string::reserve would itself double; a fresh string gets exactly what it asks for).
    std::string bigger;
    bigger.reserve(std::min(limit, std::max(needed, 2 * out.capacity())));
    bigger.append(out);
    out.swap(bigger);
  }
  out.resize(needed);
  return room;
}

// Every decoder below decodes up to limit = max_output + 1 bytes: reaching the extra byte proves that more
// content follows, so `complete` is exact even when the content is exactly max_output bytes long.
void finish(DecompressedSample& result, std::size_t max_output) {
  if (result.data.size() > max_output) {
    result.data.resize(max_output);
    result.complete = false;
    result.input_truncated = false;
  }
}

DecompressedSample inflate_gzip(std::string_view in, std::size_t limit) {
  DecompressedSample result;
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    throw Error(ErrorCode::Internal, "zlib: inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  std::size_t pos = 0;  // input bytes consumed
  std::string& out = result.data;
  while (out.size() < limit) {
    if (zs.avail_in == 0) {
      if (pos == in.size()) {
        result.input_truncated = true;
        break;
      }
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
      zs.avail_in = static_cast<uInt>(std::min(in.size() - pos, kMaxInputSlice));
    }
    std::size_t before = out.size();
    std::size_t room = grow(out, limit);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    zs.avail_out = static_cast<uInt>(room);
    const Bytef* in_before = zs.next_in;
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(before + room - zs.avail_out);
    pos += static_cast<std::size_t>(zs.next_in - in_before);
    if (rc == Z_STREAM_END) {
      std::string_view rest = in.substr(pos);
      if (starts_with(rest, "\x1f\x8b")) {  // another member (concatenated gzip, e.g. from `cat a.gz b.gz`)
        if (inflateReset(&zs) != Z_OK) throw Error(ErrorCode::Internal, "zlib: inflateReset failed");
        zs.avail_in = 0;
        continue;
      }
      if (rest == "\x1f") {  // the next member's header was cut after its first byte
        result.input_truncated = true;
        break;
      }
      result.complete = true;  // trailing bytes that are not a gzip member are ignored, as gzip(1) does
      break;
    }
    if (rc == Z_BUF_ERROR) {  // no progress possible: the input given is used up (there is output room)
      if (zs.avail_in != 0) throw Error(ErrorCode::Internal, "zlib: inflate made no progress");
      if (pos == in.size()) {
        result.input_truncated = true;
        break;
      }
      continue;
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT)
      throw_corrupt("gzip", zs.msg != nullptr ? zs.msg : "bad data");
    if (rc != Z_OK) throw Error(ErrorCode::Internal, "zlib: inflate failed with code " + std::to_string(rc));
  }
  return result;
}

DecompressedSample decompress_zstd(std::string_view in, std::size_t limit) {
  DecompressedSample result;
  std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) throw Error(ErrorCode::Internal, "zstd: cannot create a decompression context");
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::string& out = result.data;
  while (out.size() < limit) {
    std::size_t before = out.size();
    std::size_t room = grow(out, limit);
    ZSTD_outBuffer output{out.data() + before, room, 0};
    std::size_t rc = ZSTD_decompressStream(dctx.get(), &output, &input);
    out.resize(before + output.pos);
    if (ZSTD_isError(rc)) throw_corrupt("zstd", ZSTD_getErrorName(rc));
    if (rc == 0 && input.pos == input.size) {  // a frame ended exactly where the input ends
      result.complete = true;
      break;
    }
    if (input.pos == input.size && output.pos < room) {  // the decoder wants input that is not there
      result.input_truncated = true;
      break;
    }
  }
  return result;
}

DecompressedSample decompress_bzip2(std::string_view in, std::size_t limit) {
  DecompressedSample result;
  bz_stream bs{};
  if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK) throw Error(ErrorCode::Internal, "bzip2: init failed");
  auto end_stream = [](bz_stream* s) { return BZ2_bzDecompressEnd(s); };
  std::unique_ptr<bz_stream, decltype(end_stream)> guard(&bs, end_stream);
  std::size_t pos = 0;
  std::string& out = result.data;
  while (out.size() < limit) {
    if (bs.avail_in == 0 && pos < in.size()) {
      bs.next_in = const_cast<char*>(in.data() + pos);
      bs.avail_in = static_cast<unsigned int>(std::min(in.size() - pos, kMaxInputSlice));
    }
    std::size_t before = out.size();
    std::size_t room = grow(out, limit);
    bs.next_out = out.data() + before;
    bs.avail_out = static_cast<unsigned int>(room);
    const char* in_before = bs.next_in;
    int rc = BZ2_bzDecompress(&bs);
    std::size_t produced = room - bs.avail_out;
    out.resize(before + produced);
    std::size_t consumed = in_before == nullptr ? 0 : static_cast<std::size_t>(bs.next_in - in_before);
    pos += consumed;
    if (rc == BZ_STREAM_END) {
      std::string_view rest = in.substr(pos);
      if (starts_with(rest, "BZh")) {  // another stream (pbzip2 and `cat a.bz2 b.bz2` write several)
        BZ2_bzDecompressEnd(&bs);
        bs = bz_stream{};
        if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK) throw Error(ErrorCode::Internal, "bzip2: init failed");
        continue;
      }
      result.complete = true;  // trailing garbage is ignored, as bzip2(1) does
      break;
    }
    if (rc == BZ_DATA_ERROR) throw_corrupt("bzip2", "bad block data or checksum");
    if (rc == BZ_DATA_ERROR_MAGIC) throw_corrupt("bzip2", "bad stream header");
    if (rc != BZ_OK)
      throw Error(ErrorCode::Internal, "bzip2: decompress failed with code " + std::to_string(rc));
    if (produced == 0 && consumed == 0 && bs.avail_in == 0 && pos == in.size()) {
      result.input_truncated = true;
      break;
    }
  }
  return result;
}

}  // namespace

std::string_view codec_name(Codec codec) {
  switch (codec) {
    case Codec::None:
      return "none";
    case Codec::Gzip:
      return "gzip";
    case Codec::Zstd:
      return "zstd";
    case Codec::Bzip2:
      return "bzip2";
  }
  return "none";
}

std::optional<Codec> codec_from_magic(std::string_view head) {
  if (starts_with(head, "\x1f\x8b")) return Codec::Gzip;
  if (starts_with(head, "\x28\xb5\x2f\xfd")) return Codec::Zstd;
  if (head.size() >= 4 && starts_with(head, "BZh") && head[3] >= '1' && head[3] <= '9') return Codec::Bzip2;
  return std::nullopt;
}

Codec codec_from_extension(std::string_view file_name) {
  if (ends_with_ci(file_name, ".gz") || ends_with_ci(file_name, ".gzip")) return Codec::Gzip;
  if (ends_with_ci(file_name, ".zst") || ends_with_ci(file_name, ".zstd")) return Codec::Zstd;
  if (ends_with_ci(file_name, ".bz2")) return Codec::Bzip2;
  return Codec::None;
}

Codec detect_codec(std::string_view head, std::string_view file_name) {
  if (auto by_magic = codec_from_magic(head)) return *by_magic;
  // 4 bytes hold every magic above: a longer head without one is not compressed, whatever its name says.
  if (head.size() >= 4) return Codec::None;
  return codec_from_extension(file_name);
}

DecompressedSample decompress_sample(std::string_view compressed, Codec codec, std::size_t max_output) {
  std::size_t limit = max_output == SIZE_MAX ? max_output : max_output + 1;
  DecompressedSample result;
  switch (codec) {
    case Codec::None:
      result.data.assign(compressed.substr(0, limit));
      result.complete = true;
      break;
    case Codec::Gzip:
      result = inflate_gzip(compressed, limit);
      break;
    case Codec::Zstd:
      result = decompress_zstd(compressed, limit);
      break;
    case Codec::Bzip2:
      result = decompress_bzip2(compressed, limit);
      break;
  }
  finish(result, max_output);
  return result;
}

std::string decompress_prefix(std::string_view compressed, Codec codec, std::size_t max_output) {
  return decompress_sample(compressed, codec, max_output).data;
}

}  // namespace cairn::crawler
