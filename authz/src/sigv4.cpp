#include "cairn/authz/sigv4.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <initializer_list>
#include <string>

#include "cairn/catalog/civil_date.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"
#include "crypto_util.h"

namespace cairn::authz {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::array<std::string_view, 3> kServices = {"glue", "lakeformation", "cairn"};

using catalog::text::iequals_ascii;
using catalog::text::is_ascii_space;
using catalog::text::lower;
using catalog::text::trim_ascii_space;
using catalog::text::uri_encode;

/// Appends SigV4's Trimall of `value` to `out`: leading/trailing whitespace removed, inner runs of
/// whitespace collapsed to one space.
void append_trim_all(std::string& out, std::string_view value) {
  // The usual value (a host, a date, a hash) has no white space at all: appended whole. Every ASCII white
  // space character is at most ' ', so one comparison per byte finds the values that need the loop below.
  if (std::none_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) <= ' '; })) {
    out += value;
    return;
  }
  bool pending_space = false;
  bool any = false;
  for (char c : value) {
    if (is_ascii_space(c)) {
      pending_space = any;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    any = true;
    out.push_back(c);
  }
}

/// Decodes a query component as form data: %XX escapes and '+' for space; a malformed escape stays literal.
std::string query_decode(std::string_view s) {
  return *catalog::text::uri_decode(s, true, true);
}

/// RFC 3986 section 5.2.4 dot-segment removal plus the collapse of empty segments that AWS services apply
/// (botocore's normalize_url_path does the same); keeps a trailing slash when a segment remains.
std::string normalize_path(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out += segments[i];
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
  return out;
}

/// True when normalize_path(path) == path and uri_encode(path, true) == path: the path starts with '/', has
/// no empty, "." or ".." segment (a trailing '/' is kept by normalize_path) and only unreserved characters.
/// The usual request path; its canonical URI is the path itself.
bool canonical_as_is(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  std::size_t segment_start = 1;
  for (std::size_t i = 1; i <= path.size(); ++i) {
    if (i < path.size() && path[i] != '/') {
      if (!catalog::text::is_uri_unreserved(path[i])) return false;
      continue;
    }
    const std::string_view seg = path.substr(segment_start, i - segment_start);
    const bool trailing_slash = i == path.size() && i > 1;  // "/a/": the empty last segment is kept as '/'
    if ((seg.empty() && !trailing_slash && path.size() > 1) || seg == "." || seg == "..") return false;
    segment_start = i + 1;
  }
  return true;
}

/// Appends the canonical URI of a raw (percent-encoded, as on the wire) path. Non-S3 services sign the path
/// encoded twice: once in the URL the client sends, once more by the signer. So the wire path itself is
/// encoded once more here, '%' becoming "%25" (botocore: quote(normalize_url_path(path), safe='/~')). The
/// wire path is not decoded first: a client signs exactly the octets it sends, escapes like "%7e" included.
void append_canonical_uri(std::string& out, std::string_view raw_path) {
  if (canonical_as_is(raw_path)) {
    out += raw_path;
    return;
  }
  out += uri_encode(normalize_path(raw_path), true);
}

std::string canonical_query(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= raw_query.size()) {
    const std::size_t amp = raw_query.find('&', start);
    const std::size_t end = amp == std::string_view::npos ? raw_query.size() : amp;
    const std::string_view item = raw_query.substr(start, end - start);
    if (!item.empty()) {
      const std::size_t eq = item.find('=');
      const std::string_view key = item.substr(0, eq);
      const std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
      pairs.emplace_back(uri_encode(query_decode(key), false), uri_encode(query_decode(value), false));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    out += key;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::optional<std::string_view> first_header(const RequestView& req, std::string_view lower_name) {
  for (const auto& [name, value] : req.headers) {
    if (iequals_ascii(name, lower_name)) return value;
  }
  return std::nullopt;
}

void erase_header(SignableRequest& req, std::string_view lower_name) {
  std::erase_if(req.headers, [&](const auto& h) { return iequals_ascii(h.first, lower_name); });
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

/// Parses yyyymmddThhmmssZ into unix seconds (per request: digits read in place, no tm/timegm).
std::optional<std::int64_t> parse_amz_date(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !all_digits(s.substr(0, 8)) ||
      !all_digits(s.substr(9, 6))) {
    return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int n = 0;
    for (std::size_t i = pos; i < pos + len; ++i) n = n * 10 + (s[i] - '0');
    return n;
  };
  const int year = num(0, 4);
  const int month = num(4, 2);
  const int day = num(6, 2);
  const int hour = num(9, 2);
  const int minute = num(11, 2);
  const int second = num(13, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  return catalog::days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

/// Parses an RFC 1123 HTTP date ("Sun, 30 Aug 2015 12:36:00 GMT") into unix seconds.
std::optional<std::int64_t> parse_http_date(std::string_view s) {
  std::tm tm{};
  const std::string text(trim_ascii_space(s));
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&tm));
}

std::string format_amz_date(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

VerifyStatus fail(VerifyStatus status, std::string* detail, std::string message) {
  if (detail != nullptr) *detail = std::move(message);
  return status;
}

}  // namespace

std::optional<SigV4Authorization> parse_authorization(std::string_view header, std::string* error) {
  auto fail_parse = [&](std::string message) -> std::optional<SigV4Authorization> {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  header = trim_ascii_space(header);
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm ||
      (header.size() > kAlgorithm.size() && !is_ascii_space(header[kAlgorithm.size()]))) {
    return fail_parse("unsupported authorization scheme (expected AWS4-HMAC-SHA256)");
  }
  std::string_view rest = header.substr(kAlgorithm.size());
  std::optional<std::string_view> credential, signed_headers, signature;
  std::size_t start = 0;
  while (start <= rest.size()) {
    const std::size_t comma = rest.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? rest.size() : comma;
    const std::string_view part = trim_ascii_space(rest.substr(start, end - start));
    if (!part.empty()) {
      const std::size_t eq = part.find('=');
      if (eq == std::string_view::npos) return fail_parse("component '" + std::string(part) + "' has no '='");
      const std::string_view key = trim_ascii_space(part.substr(0, eq));
      const std::string_view value = trim_ascii_space(part.substr(eq + 1));
      std::optional<std::string_view>* slot = nullptr;
      if (key == "Credential") slot = &credential;
      if (key == "SignedHeaders") slot = &signed_headers;
      if (key == "Signature") slot = &signature;
      if (slot == nullptr) return fail_parse("unknown component '" + std::string(key) + "'");
      if (slot->has_value()) return fail_parse("component '" + std::string(key) + "' appears twice");
      *slot = value;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (!credential) return fail_parse("missing Credential");
  if (!signed_headers) return fail_parse("missing SignedHeaders");
  if (!signature) return fail_parse("missing Signature");

  SigV4Authorization auth;
  // The five parts of the scope, as views into the header; a sixth part only marks "too many".
  std::array<std::string_view, 6> scope;
  std::size_t parts = 0;
  std::size_t pos = 0;
  while (parts < scope.size()) {
    const std::size_t slash = credential->find('/', pos);
    scope[parts++] =
        credential->substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  if (parts != 5 || scope[4] != kTerminator) {
    return fail_parse("Credential must be <access key id>/<yyyymmdd>/<region>/<service>/aws4_request");
  }
  if (scope[0].empty()) return fail_parse("Credential has an empty access key id");
  if (scope[1].size() != 8 || !all_digits(scope[1])) return fail_parse("Credential date must be yyyymmdd");
  if (scope[2].empty()) return fail_parse("Credential has an empty region");
  if (scope[3].empty()) return fail_parse("Credential has an empty service");
  auth.access_key_id = scope[0];
  auth.date = scope[1];
  auth.region = scope[2];
  auth.service = scope[3];

  if (signed_headers->empty()) return fail_parse("SignedHeaders is empty");
  pos = 0;
  while (true) {
    const std::size_t semi = signed_headers->find(';', pos);
    const std::string_view name =
        signed_headers->substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
    if (name.empty()) return fail_parse("SignedHeaders has an empty header name");
    if (std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      return fail_parse("SignedHeaders names must be lower-case");
    }
    if (!auth.signed_headers.empty() && std::string_view(auth.signed_headers.back()) >= name) {
      return fail_parse("SignedHeaders must be sorted and without duplicates");
    }
    auth.signed_headers.emplace_back(name);
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }

  if (signature->size() != 64 || !std::all_of(signature->begin(), signature->end(), [](char c) {
        return catalog::text::hex_digit_value(c) >= 0;
      })) {
    return fail_parse("Signature must be 64 hex characters");
  }
  auth.signature = lower(*signature);
  return auth;
}

namespace {

/// Appends the canonical request to `out` (what canonical_request returns).
void append_canonical_request(std::string& out, const RequestView& req,
                              const std::vector<std::string>& signed_headers, std::string_view payload_hash) {
  out.reserve(out.size() + 256 + req.path.size() + req.query.size());
  const std::size_t method_start = out.size();
  out += req.method;
  for (std::size_t i = method_start; i < out.size(); ++i) {
    if (out[i] >= 'a' && out[i] <= 'z') out[i] = static_cast<char>(out[i] - 'a' + 'A');
  }
  out.push_back('\n');
  append_canonical_uri(out, req.path);
  out.push_back('\n');
  if (!req.query.empty()) out += canonical_query(req.query);
  out.push_back('\n');
  for (const std::string& name : signed_headers) {
    out += name;
    out.push_back(':');
    bool first = true;
    for (const auto& [header, value] : req.headers) {
      if (!iequals_ascii(header, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      append_trim_all(out, value);
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  for (std::size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) out.push_back(';');
    out += signed_headers[i];
  }
  out.push_back('\n');
  out += payload_hash;
}

/// Appends the string to sign to `out`: the algorithm, the request time, the credential scope (the
/// concatenation of `scope_parts`) and the hex SHA-256 of the canonical request, one per line.
void append_string_to_sign(std::string& out, std::string_view amz_date,
                           std::initializer_list<std::string_view> scope_parts,
                           const detail::Digest& canonical_hash) {
  std::size_t scope_size = 0;
  for (std::string_view part : scope_parts) scope_size += part.size();
  out.reserve(out.size() + kAlgorithm.size() + amz_date.size() + scope_size + 67);
  out += kAlgorithm;
  out.push_back('\n');
  out += amz_date;
  out.push_back('\n');
  for (std::string_view part : scope_parts) out += part;
  out.push_back('\n');
  const std::size_t at = out.size();
  out.resize(at + 64);
  detail::hex_encode_to(canonical_hash, out.data() + at);
}

}  // namespace

std::string canonical_request(const RequestView& req, const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash) {
  std::string out;
  append_canonical_request(out, req, signed_headers, payload_hash);
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out;
  append_string_to_sign(out, amz_date, {scope}, detail::sha256(canonical_request));
  return out;
}

std::string derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                               std::string_view service) {
  const std::string k_date = detail::hmac_sha256("AWS4" + std::string(secret), date);
  const std::string k_region = detail::hmac_sha256(k_date, region);
  const std::string k_service = detail::hmac_sha256(k_region, service);
  return detail::hmac_sha256(k_service, kTerminator);
}

std::string compute_signature(std::string_view secret, std::string_view date, std::string_view region,
                              std::string_view service, std::string_view string_to_sign) {
  return detail::hex_encode(
      detail::hmac_sha256(derive_signing_key(secret, date, region, service), string_to_sign));
}

std::string sha256_hex(std::string_view data) {
  return detail::hex_encode(detail::sha256_raw(data));
}

void sign_request(SignableRequest& req, std::string_view access_key_id, std::string_view secret,
                  std::string_view region, std::string_view service, std::string_view amz_date,
                  std::string_view session_token) {
  if (!first_header(req, "host"))
    throw Error(ErrorCode::InvalidArgument, "cannot sign a request without a Host header", "host");
  const std::string date = amz_date.empty() ? format_amz_date(static_cast<std::int64_t>(std::time(nullptr)))
                                            : std::string(amz_date);
  if (!parse_amz_date(date)) {
    throw Error(ErrorCode::InvalidArgument, "signing time '" + date + "' is not yyyymmddThhmmssZ",
                "amz_date");
  }
  erase_header(req, "authorization");
  erase_header(req, "x-amz-date");
  erase_header(req, "x-amz-content-sha256");
  if (!session_token.empty()) erase_header(req, "x-amz-security-token");

  const std::string payload_hash = sha256_hex(req.body);
  req.headers.emplace_back("x-amz-date", date);
  req.headers.emplace_back("x-amz-content-sha256", payload_hash);
  if (!session_token.empty()) req.headers.emplace_back("x-amz-security-token", std::string(session_token));

  std::vector<std::string> names;
  for (const auto& header : req.headers) names.push_back(lower(header.first));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  const std::string day = date.substr(0, 8);
  const std::string scope =
      day + "/" + std::string(region) + "/" + std::string(service) + "/" + std::string(kTerminator);
  const std::string sts = string_to_sign(date, scope, canonical_request(req, names, payload_hash));
  std::string signed_list;
  for (const std::string& name : names) {
    if (!signed_list.empty()) signed_list.push_back(';');
    signed_list += name;
  }
  req.headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + std::string(access_key_id) + "/" + scope +
                           ", SignedHeaders=" + signed_list +
                           ", Signature=" + compute_signature(secret, day, region, service, sts));
}

VerifyStatus verify_request(const RequestView& req, const SigV4Authorization& auth, std::string_view secret,
                            std::int64_t now, std::int64_t max_skew_seconds, std::string* detail) {
  return verify_request_with_key(
      req, auth, [&] { return derive_signing_key(secret, auth.date, auth.region, auth.service); }, now,
      max_skew_seconds, detail);
}

VerifyStatus verify_request_with_key(const RequestView& req, const SigV4Authorization& auth,
                                     const std::function<std::string()>& signing_key, std::int64_t now,
                                     std::int64_t max_skew_seconds, std::string* detail) {
  if (std::find(kServices.begin(), kServices.end(), auth.service) == kServices.end()) {
    return fail(VerifyStatus::UnknownService, detail,
                "service '" + auth.service + "' is not served here (sign for glue, lakeformation or cairn)");
  }
  const auto& signed_names = auth.signed_headers;
  if (std::find(signed_names.begin(), signed_names.end(), "host") == signed_names.end()) {
    return fail(VerifyStatus::Malformed, detail, "the host header must be signed");
  }
  for (const std::string& name : signed_names) {
    if (!first_header(req, name)) {
      return fail(VerifyStatus::Malformed, detail, "signed header '" + name + "' is not in the request");
    }
  }

  std::string_view amz_date;
  std::string formatted_date;  // the Date header's time as yyyymmddThhmmssZ
  std::int64_t request_time = 0;
  if (const auto x_amz_date = first_header(req, "x-amz-date")) {
    const auto parsed = parse_amz_date(trim_ascii_space(*x_amz_date));
    if (!parsed) {
      return fail(VerifyStatus::Malformed, detail,
                  "X-Amz-Date '" + std::string(trim_ascii_space(*x_amz_date)) +
                      "' is not in the form yyyymmddThhmmssZ");
    }
    amz_date = trim_ascii_space(*x_amz_date);
    request_time = *parsed;
  } else if (const auto http_date = first_header(req, "date")) {
    const auto parsed = parse_http_date(*http_date);
    if (!parsed) {
      return fail(VerifyStatus::Malformed, detail,
                  "Date '" + std::string(trim_ascii_space(*http_date)) + "' is not an RFC 1123 date");
    }
    formatted_date = format_amz_date(*parsed);
    amz_date = formatted_date;
    request_time = *parsed;
  } else {
    return fail(VerifyStatus::Malformed, detail, "missing X-Amz-Date (or Date) header");
  }
  const std::int64_t skew = request_time > now ? request_time - now : now - request_time;
  if (skew > max_skew_seconds) {
    return fail(VerifyStatus::ClockSkew, detail,
                "request time " + std::string(amz_date) + " is " + std::to_string(skew) +
                    " seconds from server time " + format_amz_date(now) + " (at most " +
                    std::to_string(max_skew_seconds) + " allowed)");
  }
  if (amz_date.substr(0, 8) != auth.date) {
    return fail(VerifyStatus::Malformed, detail,
                "credential scope date " + auth.date + " does not match the request date " +
                    std::string(amz_date.substr(0, 8)));
  }

  // Most requests (every GET) have no body: its hash is a constant.
  static const detail::Digest kEmptyBodyDigest = detail::sha256("");
  char body_hex[64];
  detail::hex_encode_to(req.body.empty() ? kEmptyBodyDigest : detail::sha256(req.body), body_hex);
  const std::string_view body_hash(body_hex, sizeof body_hex);
  if (const auto content_sha = first_header(req, "x-amz-content-sha256")) {
    const std::string_view claimed = trim_ascii_space(*content_sha);
    if (claimed == "UNSIGNED-PAYLOAD" || claimed.substr(0, 10) == "STREAMING-") {
      return fail(
          VerifyStatus::BadPayloadHash, detail,
          "x-amz-content-sha256 '" + std::string(claimed) + "' is refused: the payload must be signed");
    }
    if (claimed != body_hash) {
      return fail(VerifyStatus::BadPayloadHash, detail,
                  "x-amz-content-sha256 does not equal the SHA-256 of the request body");
    }
  }

  // Per request, in two buffers and without hex-encoding the result: the claimed signature is decoded
  // instead, and compared in constant time.
  std::string canonical;
  append_canonical_request(canonical, req, signed_names, body_hash);
  std::string sts;
  append_string_to_sign(sts, amz_date, {auth.date, "/", auth.region, "/", auth.service, "/", kTerminator},
                        detail::sha256(canonical));
  const detail::Digest expected = detail::hmac_sha256_digest(signing_key(), sts);
  detail::Digest claimed{};
  if (!detail::hex_decode_to(auth.signature, claimed.data(), claimed.size()) ||
      CRYPTO_memcmp(expected.data(), claimed.data(), expected.size()) != 0) {
    return fail(VerifyStatus::BadSignature, detail,
                "the signature does not match (check the secret access key and how the request was signed)");
  }
  if (detail != nullptr) detail->clear();
  return VerifyStatus::Ok;
}

}  // namespace cairn::authz
