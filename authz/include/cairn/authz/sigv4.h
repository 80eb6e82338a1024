#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::authz {

/// The parts of an HTTP request that SigV4 covers, as views of a request held elsewhere: what verification
/// reads, so that a server checks the request it parsed without copying it. `path` is the raw (still
/// percent-encoded) path, `query` the raw query string without '?'. Header names in any case.
struct RequestView {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  std::span<const std::pair<std::string, std::string>> headers;
  std::string_view body;
};

/// The parts of an HTTP request that SigV4 covers, owned: what a client builds and sign_request() adds
/// headers to. Converts to a RequestView of itself.
struct SignableRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  operator RequestView() const { return {method, path, query, headers, body}; }  // NOLINT: a view of it
};

/// Parsed `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
/// SignedHeaders=host;x-amz-date, Signature=…` header.
struct SigV4Authorization {
  std::string access_key_id;
  std::string date;  ///< yyyymmdd from the credential scope
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  ///< lower-case, as listed
  std::string signature;                    ///< lower-case hex
};

/// Parses the Authorization header value; nullopt (with `error` set) when it is malformed.
std::optional<SigV4Authorization> parse_authorization(std::string_view header, std::string* error);

/// Canonical request, string to sign and signature as the AWS SigV4 specification defines them
/// (the same code serves signing and verification).
std::string canonical_request(const RequestView& req, const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
std::string compute_signature(std::string_view secret, std::string_view date, std::string_view region,
                              std::string_view service, std::string_view string_to_sign);
/// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);

/// Signs `req` in place: adds x-amz-date, x-amz-content-sha256 and Authorization (and x-amz-security-token
/// when `session_token` is non-empty). `amz_date` is yyyymmddThhmmssZ; empty means now. Requires a Host
/// header.
void sign_request(SignableRequest& req, std::string_view access_key_id, std::string_view secret,
                  std::string_view region, std::string_view service, std::string_view amz_date = {},
                  std::string_view session_token = {});

/// Why verification failed; Ok on success.
enum class VerifyStatus {
  Ok,
  MissingAuthorization,
  Malformed,
  UnknownService,
  ClockSkew,
  BadPayloadHash,
  BadSignature
};

/// Verifies a request whose Authorization header was already parsed, given the key's secret.
/// Checks: x-amz-date present and within `max_skew_seconds` of `now` (unix seconds), credential date matches,
/// service is glue/lakeformation/cairn, host is signed, x-amz-content-sha256 (when present) equals the body's
/// hash (UNSIGNED-PAYLOAD is refused), and the signature matches (constant-time compare).
VerifyStatus verify_request(const RequestView& req, const SigV4Authorization& auth, std::string_view secret,
                            std::int64_t now, std::int64_t max_skew_seconds = 900,
                            std::string* detail = nullptr);

/// The SigV4 signing key for `secret` and a credential scope (four chained HMACs). It depends only on the
/// secret and the scope, so a verifier may cache it per (key, date, region, service).
std::string derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                               std::string_view service);

/// verify_request with the signing key supplied by `signing_key` (called only once every other check has
/// passed, with `auth`'s scope), so that a caller can serve it from a cache.
VerifyStatus verify_request_with_key(const RequestView& req, const SigV4Authorization& auth,
                                     const std::function<std::string()>& signing_key, std::int64_t now,
                                     std::int64_t max_skew_seconds = 900, std::string* detail = nullptr);

}  // namespace cairn::authz
