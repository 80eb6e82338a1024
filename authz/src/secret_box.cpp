#include "cairn/authz/secret_box.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>

#include "cairn/catalog/error.h"
#include "crypto_util.h"

namespace cairn::authz {
namespace {

constexpr unsigned char kVersion = 1;
constexpr std::size_t kKeySize = 32;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw Error(ErrorCode::Internal, "EVP_CIPHER_CTX_new failed");
  return ctx;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

}  // namespace

SecretBox SecretBox::from_key_file(const std::string& path, bool create_if_missing) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (!create_if_missing) {
      throw Error(ErrorCode::FailedPrecondition, "master key file " + path + " does not exist");
    }
    const std::string key = detail::random_bytes(kKeySize);
    if (detail::write_private_file_atomically(path, detail::hex_encode(key) + "\n", false)) {
      spdlog::info("created master key file {} (mode 0600); keep it with backups of the store", path);
      return SecretBox(key);
    }
    // Another process created it first: fall through and read theirs.
    if (::stat(path.c_str(), &st) != 0) {
      throw Error(ErrorCode::FailedPrecondition, "cannot read master key file " + path);
    }
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorCode::FailedPrecondition, "master key file " + path + " is not a regular file");
  }
  // Group/world-readable key files are accepted with a warning rather than refused: secret mounts
  // (Kubernetes, Docker) often present files as 0644 and the operator may not control that. The warning names
  // the fix.
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    spdlog::warn("master key file {} is accessible by group or others (mode {:o}); run chmod 600 {}", path,
                 st.st_mode & 0777, path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::FailedPrecondition, "cannot read master key file " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  const auto key = text.size() == 2 * kKeySize ? detail::hex_decode(text) : std::nullopt;
  if (!key) {
    throw Error(ErrorCode::FailedPrecondition,
                "master key file " + path + " must hold exactly 64 hex characters (a 32-byte AES-256 key)");
  }
  return SecretBox(*key);
}

SecretBox::SecretBox(std::string key32) : key_(std::move(key32)) {
  if (key_.size() != kKeySize) {
    throw Error(ErrorCode::InvalidArgument,
                "the master key must be 32 bytes, got " + std::to_string(key_.size()));
  }
}

std::string SecretBox::seal(std::string_view plaintext) const {
  const std::string nonce = detail::random_bytes(kNonceSize);
  const unsigned char version = kVersion;
  std::string out;
  out.reserve(1 + kNonceSize + plaintext.size() + kTagSize);
  out.push_back(static_cast<char>(version));
  out += nonce;
  const std::size_t header = out.size();
  out.resize(header + plaintext.size() + kTagSize);

  CipherCtx ctx = new_ctx();
  int len = 0;
  bool ok =
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize), nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), bytes(nonce)) == 1 &&
      // The version byte is authenticated too, so it cannot be swapped for another format's.
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, &version, 1) == 1 &&
      EVP_EncryptUpdate(ctx.get(), bytes(out) + header, &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) == 1;
  int final_len = 0;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), bytes(out) + header + len, &final_len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                           bytes(out) + header + plaintext.size()) == 1;
  if (!ok) throw Error(ErrorCode::Internal, "AES-256-GCM encryption failed");
  return detail::base64_encode(out);
}

std::string SecretBox::open(std::string_view sealed) const {
  const auto raw = detail::base64_decode(sealed);
  if (!raw || raw->size() < 1 + kNonceSize + kTagSize) {
    throw Error(ErrorCode::Internal, "sealed secret is malformed (not base64 or too short)");
  }
  const unsigned char version = static_cast<unsigned char>((*raw)[0]);
  if (version != kVersion) {
    throw Error(ErrorCode::Internal, "sealed secret has unknown format version " + std::to_string(version));
  }
  const std::string_view data(*raw);
  const std::string_view nonce = data.substr(1, kNonceSize);
  const std::string_view ciphertext = data.substr(1 + kNonceSize, data.size() - 1 - kNonceSize - kTagSize);
  std::string tag(data.substr(data.size() - kTagSize));
  std::string plain(ciphertext.size(), '\0');

  CipherCtx ctx = new_ctx();
  int len = 0;
  int final_len = 0;
  const bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize), nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), bytes(nonce)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, &version, 1) == 1 &&
      EVP_DecryptUpdate(ctx.get(), bytes(plain), &len, bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), bytes(plain) + len, &final_len) == 1;
  if (!ok) {
    throw Error(ErrorCode::Internal,
                "sealed secret failed authentication: it was altered or sealed under another master key");
  }
  plain.resize(static_cast<std::size_t>(len + final_len));
  return plain;
}

}  // namespace cairn::authz

namespace cairn::authz {

std::string SecretBox::derive_key(std::string_view purpose) const {
  return detail::hmac_sha256(key_, purpose);
}

}  // namespace cairn::authz
