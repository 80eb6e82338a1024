#include "cairn/authz/query_authorization.h"

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "crypto_util.h"

namespace cairn::authz {
namespace {

constexpr std::string_view kPrefix = "qa1.";
constexpr std::string_view kPurpose = "cairn/query-authorization/v1";

std::string base64url(std::string_view data) {
  std::string s = detail::base64_encode(data);
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string s(text);
  for (char& c : s) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (c == '+' || c == '/' || c == '=') {
      return std::nullopt;
    }
  }
  while (s.size() % 4 != 0) s.push_back('=');
  return detail::base64_decode(s);
}

std::string sign(const SecretBox& box, std::string_view signed_part) {
  return detail::hex_encode(detail::hmac_sha256(box.derive_key(kPurpose), signed_part));
}

}  // namespace

std::string issue_query_authorization(const SecretBox& box, QueryAuthorization& qa) {
  qa.nonce = detail::hex_encode(detail::random_bytes(8));
  const nlohmann::json payload = {{"p", qa.principal},     {"d", qa.database},    {"t", qa.table},
                                  {"v", qa.table_version}, {"iat", qa.issued_at}, {"exp", qa.expires_at},
                                  {"n", qa.nonce}};
  const std::string signed_part = std::string(kPrefix) + base64url(payload.dump());
  return signed_part + "." + sign(box, signed_part);
}

std::optional<QueryAuthorization> verify_query_authorization(const SecretBox& box, std::string_view id,
                                                             catalog::Timestamp now) {
  if (id.size() > 4096 || id.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const auto dot = id.rfind('.');
  if (dot == std::string_view::npos || dot < kPrefix.size()) return std::nullopt;
  const std::string_view signed_part = id.substr(0, dot);
  const std::string_view signature = id.substr(dot + 1);
  const std::string expected = sign(box, signed_part);
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  auto payload_text = base64url_decode(signed_part.substr(kPrefix.size()));
  if (!payload_text) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(*payload_text);
    QueryAuthorization qa;
    qa.principal = j.at("p").get<std::string>();
    qa.database = j.at("d").get<std::string>();
    qa.table = j.at("t").get<std::string>();
    qa.table_version = j.at("v").get<std::int64_t>();
    qa.issued_at = j.at("iat").get<std::int64_t>();
    qa.expires_at = j.at("exp").get<std::int64_t>();
    qa.nonce = j.at("n").get<std::string>();
    if (now >= qa.expires_at) return std::nullopt;
    return qa;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace cairn::authz
