#pragma once

#include <string>
#include <string_view>

namespace cairn::authz {

/// Seals secrets at rest with AES-256-GCM (OpenSSL EVP) under a 32-byte master key.
/// Sealed form: base64(version byte 1 | 12-byte random nonce | ciphertext | 16-byte tag).
class SecretBox {
 public:
  /// Loads the master key from `path` (64 hex characters); creates it (mode 0600, random) when absent and
  /// `create_if_missing`. Throws Error(FailedPrecondition) for a malformed or unreadable key file.
  static SecretBox from_key_file(const std::string& path, bool create_if_missing);
  explicit SecretBox(std::string key32);

  std::string seal(std::string_view plaintext) const;
  /// Throws Error(Internal) when the sealed text was altered or sealed under another key.
  std::string open(std::string_view sealed) const;
  /// A 32-byte key for one purpose (HMAC-SHA256 of `purpose` under the master key), e.g. for signing query
  /// authorization ids; the master key itself is never used twice.
  std::string derive_key(std::string_view purpose) const;

 private:
  std::string key_;
};

}  // namespace cairn::authz
