#pragma once
// The production HTTP transport of the crawler's S3 client (crawler/s3_client.h), over HttpClient
// (Boost.Beast), so that cairn_crawler itself needs no Boost. Plain HTTP only: TLS is not supported.

#include <chrono>
#include <cstddef>

#include "cairn/crawler/s3_client.h"

namespace cairn::api {

struct S3TransportOptions {
  std::chrono::seconds timeout{30};   ///< connect, write and read timeout of each request
  std::size_t max_idle_per_host = 8;  ///< persistent connections kept per host:port between requests
};

/// A thread-safe crawler::HttpTransport. Each request borrows an idle persistent connection to its host:port
/// (or opens one), so concurrent requests use separate connections; afterwards up to `max_idle_per_host`
/// stay open. A connection whose request failed is closed. Host names ending in ".localhost" connect to
/// localhost (RFC 6761), so virtual-host addressing works against a store on this machine. Throws
/// std::runtime_error on connection failure or timeout; never sends HEAD (HttpClient expects a body).
crawler::HttpTransport make_s3_transport(S3TransportOptions options = {});

}  // namespace cairn::api
