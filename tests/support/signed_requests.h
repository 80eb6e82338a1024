#pragma once

// Pieces of the SigV4-signing HTTP clients of the API integration tests: the request as it is signed, header
// lookup, and the percent-encoding of query strings and path segments. Header-only:
// #include "support/signed_requests.h".

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string>
#include <utility>

#include "cairn/api/http.h"
#include "cairn/api/http_client.h"
#include "cairn/api/http_util.h"
#include "cairn/authz/sigv4.h"

namespace cairn::test {

/// Case-insensitive ASCII equality.
inline bool iequals(const std::string& a, const std::string& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

/// The value of the first header named `name` (case-insensitive) in `headers`, or "".
inline std::string header_value(const api::HeaderList& headers, const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

/// The unsigned request `method target` to `endpoint`: `target` is "/path[?raw-query]" (already encoded); a
/// Host header, Content-Type application/json when `body` is not empty, then the `extra` headers.
inline authz::SignableRequest signable_request(const api::Endpoint& endpoint, const std::string& method,
                                               const std::string& target, const std::string& body,
                                               api::HeaderList extra = {}) {
  authz::SignableRequest req;
  req.method = method;
  const auto q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  req.headers.emplace_back("Host", endpoint.host_header());
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  for (auto& h : extra) req.headers.push_back(std::move(h));
  req.body = body;
  return req;
}

/// "&"-joined query with SigV4-compatible encoding.
inline std::string query(std::initializer_list<std::pair<std::string, std::string>> params) {
  std::string out;
  for (const auto& [k, v] : params) {
    out += (out.empty() ? "" : "&") + api::url_encode_query_value(k) + "=" + api::url_encode_query_value(v);
  }
  return out;
}

/// A path segment, percent-encoded.
inline std::string seg(const std::string& s) {
  return api::percent_encode_segment(s);
}

}  // namespace cairn::test
