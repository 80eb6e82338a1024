// Fuzzes SigV4 request parsing. The whole input is parsed as an Authorization header value; then it is read
// as a request, one item per line:
//   line 1: method, line 2: raw path, line 3: raw query, following lines: "name: value" headers,
//   after an empty line: the body.
// The request's canonical form is computed for its own Authorization header (when it parses) or for all of
// its header names, verified against a fixed secret, and finally signed and verified again, which must
// succeed whenever the request can be sent over HTTP (token-character header names and a Host header).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/authz/sigv4.h"
#include "cairn/catalog/error.h"

namespace {

using cairn::authz::SignableRequest;
using cairn::authz::SigV4Authorization;

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAmzDate = "20150830T123600Z";
constexpr std::int64_t kAmzDateSeconds = 1440938160;  // 2015-08-30T12:36:00Z

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 9110 token characters, the only ones an HTTP header name may hold.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool has_header(const SignableRequest& req, std::string_view lower_name) {
  return std::any_of(req.headers.begin(), req.headers.end(),
                     [&](const auto& h) { return lower(h.first) == lower_name; });
}

void check_parsed(const SigV4Authorization& auth) {
  if (auth.access_key_id.empty() || auth.date.size() != 8 || auth.region.empty() || auth.service.empty() ||
      auth.signature.size() != 64 || auth.signed_headers.empty()) {
    __builtin_trap();
  }
  for (std::size_t i = 0; i < auth.signed_headers.size(); ++i) {
    if (auth.signed_headers[i].empty() || lower(auth.signed_headers[i]) != auth.signed_headers[i]) {
      __builtin_trap();
    }
    if (i > 0 && !(auth.signed_headers[i - 1] < auth.signed_headers[i])) __builtin_trap();
  }
}

std::optional<SigV4Authorization> parse(std::string_view header) {
  std::string error;
  auto auth = cairn::authz::parse_authorization(header, &error);
  if (auth) {
    check_parsed(*auth);
  } else if (error.empty()) {
    __builtin_trap();  // a refusal always says why
  }
  return auth;
}

SignableRequest request_from(std::string_view text) {
  SignableRequest req;
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (lines.size() >= 3 && line.empty()) {
      if (nl != std::string_view::npos) req.body = std::string(text.substr(nl + 1));
      break;
    }
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (lines.size() > 0) req.method = std::string(lines[0]);
  if (lines.size() > 1) req.path = std::string(lines[1]);
  if (lines.size() > 2) req.query = std::string(lines[2]);
  for (std::size_t i = 3; i < lines.size(); ++i) {
    const std::size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) {
      req.headers.emplace_back(std::string(lines[i]), std::string());
    } else {
      req.headers.emplace_back(std::string(lines[i].substr(0, colon)),
                               std::string(lines[i].substr(colon + 1)));
    }
  }
  return req;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse(text);

  SignableRequest req = request_from(text);
  const std::string payload_hash = cairn::authz::sha256_hex(req.body);

  std::optional<SigV4Authorization> auth;
  for (const auto& [name, value] : req.headers) {
    if (lower(name) == "authorization") {
      auth = parse(value);
      break;
    }
  }
  std::vector<std::string> names;
  if (auth) {
    names = auth->signed_headers;
  } else {
    for (const auto& header : req.headers) names.push_back(lower(header.first));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
  }
  const std::string canonical = cairn::authz::canonical_request(req, names, payload_hash);
  if (canonical != cairn::authz::canonical_request(req, names, payload_hash)) __builtin_trap();
  if (canonical.size() < payload_hash.size() ||
      canonical.compare(canonical.size() - payload_hash.size(), payload_hash.size(), payload_hash) != 0) {
    __builtin_trap();
  }
  (void)cairn::authz::string_to_sign(kAmzDate, "20150830/us-east-1/glue/aws4_request", canonical);

  if (auth) {
    std::string detail;
    const auto status = cairn::authz::verify_request(req, *auth, kSecret, kAmzDateSeconds, 900, &detail);
    if ((status == cairn::authz::VerifyStatus::Ok) != detail.empty()) __builtin_trap();
  }

  // Round trip: what sign_request produces verifies.
  const bool sendable =
      has_header(req, "host") &&
      std::all_of(req.headers.begin(), req.headers.end(), [](const auto& h) { return is_token(h.first); });
  try {
    cairn::authz::sign_request(req, "AKIDEXAMPLE", kSecret, "us-east-1", "glue", kAmzDate);
  } catch (const cairn::Error& e) {
    if (sendable || e.code() != cairn::ErrorCode::InvalidArgument) __builtin_trap();
    return 0;
  }
  if (!sendable) return 0;
  std::optional<SigV4Authorization> signed_auth;
  for (const auto& [name, value] : req.headers) {
    if (name == "Authorization") signed_auth = parse(value);
  }
  if (!signed_auth) __builtin_trap();
  std::string detail;
  if (cairn::authz::verify_request(req, *signed_auth, kSecret, kAmzDateSeconds, 900, &detail) !=
      cairn::authz::VerifyStatus::Ok) {
    __builtin_trap();
  }
  return 0;
}
