#include "crypto_util.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"

namespace cairn::authz::detail {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

[[noreturn]] void throw_io(const std::string& what, const std::string& path) {
  throw Error(ErrorCode::FailedPrecondition, what + " " + path + ": " + std::strerror(errno));
}

/// Writes the lower-case hex of `size` bytes at `data` to `out` (2 * `size` characters).
void encode_hex(const unsigned char* data, std::size_t size, char* out) {
  for (std::size_t i = 0; i < size; ++i) {
    *out++ = kHexDigits[data[i] >> 4];
    *out++ = kHexDigits[data[i] & 0x0f];
  }
}

}  // namespace

std::string hex_encode(std::string_view data) {
  std::string out(data.size() * 2, '\0');
  encode_hex(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

void hex_encode_to(const Digest& digest, char* out) {
  encode_hex(digest.data(), digest.size(), out);
}

std::string hex_encode(const Digest& digest) {
  std::string out(digest.size() * 2, '\0');
  hex_encode_to(digest, out.data());
  return out;
}

bool hex_decode_to(std::string_view hex, unsigned char* out, std::size_t size) {
  if (hex.size() != 2 * size) return false;
  for (std::size_t i = 0; i < size; ++i) {
    const int hi = catalog::text::hex_digit_value(hex[2 * i]);
    const int lo = catalog::text::hex_digit_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>((hi << 4) | lo);
  }
  return true;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  if (!hex_decode_to(hex, reinterpret_cast<unsigned char*>(out.data()), out.size())) return std::nullopt;
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(data[i]) << 16) |
                            (static_cast<unsigned char>(data[i + 1]) << 8) |
                            static_cast<unsigned char>(data[i + 2]);
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
    out.push_back(kBase64Alphabet[v & 63]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const std::uint32_t v = static_cast<unsigned char>(data[i]) << 16;
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out += "==";
  } else if (rest == 2) {
    const std::uint32_t v =
        (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8);
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, as a canonical encoder writes them.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

namespace {

// OpenSSL 3 looks an algorithm up by name on every EVP_sha256()/HMAC() call; at one signature check per
// request that lookup cost more than the hashing. The algorithms are fetched once, and each thread reuses
// one HMAC context (EVP_MAC_init with a new key resets it), which measured 2.0 -> 1.0 us per HMAC.
EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw Error(ErrorCode::Internal, "OpenSSL has no SHA256");
  return md;
}

struct MacContext {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  MacContext() {
    mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac != nullptr) ctx = EVP_MAC_CTX_new(mac);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (ctx != nullptr && EVP_MAC_CTX_set_params(ctx, params) != 1) {
      EVP_MAC_CTX_free(ctx);
      ctx = nullptr;
    }
  }
  ~MacContext() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
  MacContext(const MacContext&) = delete;
  MacContext& operator=(const MacContext&) = delete;
};

}  // namespace

Digest sha256(std::string_view data) {
  // Every signed request hashes its canonical request, and the audit writer every entry: each thread reuses
  // one digest context instead of the one EVP_Digest allocates, initialises and frees per call.
  struct DigestContext {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~DigestContext() { EVP_MD_CTX_free(ctx); }
    DigestContext() = default;
    DigestContext(const DigestContext&) = delete;
    DigestContext& operator=(const DigestContext&) = delete;
  };
  thread_local DigestContext dc;
  Digest digest;
  unsigned int len = 0;
  if (dc.ctx == nullptr || EVP_DigestInit_ex2(dc.ctx, sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(dc.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(dc.ctx, digest.data(), &len) != 1 || len != digest.size()) {
    throw Error(ErrorCode::Internal, "SHA-256 failed");
  }
  return digest;
}

Digest hmac_sha256_digest(std::string_view key, std::string_view data) {
  thread_local MacContext mc;
  // The key this thread's context holds. Verifying a request signs with the same cached signing key as the
  // request before it (one per access key and day): EVP_MAC_init with a null key restarts from the keyed
  // state instead of hashing the key into it again.
  thread_local std::string keyed_with;
  thread_local bool keyed = false;
  Digest mac;
  std::size_t len = 0;
  // An empty key is passed as a 1-byte buffer with length 0: EVP_MAC_init treats a null key as "keep the
  // previous key".
  static const unsigned char kEmpty = 0;
  const bool same_key = keyed && key == keyed_with;
  const auto* key_bytes = same_key      ? nullptr
                          : key.empty() ? &kEmpty
                                        : reinterpret_cast<const unsigned char*>(key.data());
  if (!same_key) {
    keyed = false;  // until the init below succeeds
    OPENSSL_cleanse(keyed_with.data(), keyed_with.size());
    keyed_with.assign(key);
  }
  if (mc.ctx == nullptr || EVP_MAC_init(mc.ctx, key_bytes, same_key ? 0 : key.size(), nullptr) != 1 ||
      EVP_MAC_update(mc.ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(mc.ctx, mac.data(), &len, mac.size()) != 1 || len != mac.size()) {
    keyed = false;
    throw Error(ErrorCode::Internal, "HMAC-SHA256 failed");
  }
  keyed = true;
  return mac;
}

std::string sha256_raw(std::string_view data) {
  const Digest digest = sha256(data);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  const Digest mac = hmac_sha256_digest(key, data);
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw Error(ErrorCode::Internal, "RAND_bytes failed: the system random source is unavailable");
  }
  return out;
}

bool write_private_file_atomically(const std::string& path, std::string_view content, bool replace_existing) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) {
      throw Error(ErrorCode::FailedPrecondition,
                  "cannot create directory " + dir.string() + ": " + ec.message());
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  const std::string tmp = (dir / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()) +
                                  "." + hex_encode(random_bytes(4))))
                              .string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw_io("cannot create", tmp);
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t written = 0;
  while (ok && written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    errno = saved_errno;
    throw_io("cannot write", tmp);
  }
  if (replace_existing) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      errno = e;
      throw_io("cannot rename a temporary file to", path);
    }
    return true;
  }
  // link() fails with EEXIST instead of replacing, so a concurrent creator wins and readers never see a
  // partially written file.
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int e = errno;
  ::unlink(tmp.c_str());
  if (rc == 0) return true;
  if (e == EEXIST) return false;
  errno = e;
  throw_io("cannot create", path);
}

}  // namespace cairn::authz::detail
