#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::authz::detail {

/// Lower-case hex of `data`.
std::string hex_encode(std::string_view data);
/// Bytes of a hex string (either case); nullopt when the length is odd or a character is not hex.
std::optional<std::string> hex_decode(std::string_view hex);
/// Decodes `hex` (either case) into exactly `size` bytes at `out`, without allocating; false when `hex` is
/// not 2 * `size` hex digits (`out` is then unspecified).
bool hex_decode_to(std::string_view hex, unsigned char* out, std::size_t size);

/// Standard base64 with padding (RFC 4648 section 4).
std::string base64_encode(std::string_view data);
/// Decodes standard base64 (padding optional, no whitespace); nullopt on any invalid character or length.
std::optional<std::string> base64_decode(std::string_view text);

/// A SHA-256 digest or HMAC-SHA256 value.
using Digest = std::array<unsigned char, 32>;

/// SHA-256 of `data`, without allocating (the per-request paths use these).
Digest sha256(std::string_view data);
/// HMAC-SHA256 of `data` under `key`, without allocating.
Digest hmac_sha256_digest(std::string_view key, std::string_view data);
/// Writes the 64 lower-case hex digits of `digest` to `out`.
void hex_encode_to(const Digest& digest, char* out);
/// Lower-case hex of `digest`.
std::string hex_encode(const Digest& digest);

/// Raw 32-byte SHA-256 digest.
std::string sha256_raw(std::string_view data);
/// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// `n` bytes from OpenSSL's CSPRNG; throws Error(Internal) when RAND_bytes fails.
std::string random_bytes(std::size_t n);

/// Writes `content` to `path` atomically (a temporary file in the same directory, fsync, then rename or link)
/// with mode 0600, creating the parent directory (mode 0700) when needed. With `replace_existing` false an
/// existing file is kept and false is returned. Throws Error(FailedPrecondition) on I/O errors.
bool write_private_file_atomically(const std::string& path, std::string_view content, bool replace_existing);

}  // namespace cairn::authz::detail
