#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cairn/api/http.h"

namespace cairn::api {

/// Parsed "http://host:port" base URL (https is not supported by the CLI; put a TLS proxy in front).
struct Endpoint {
  std::string host;
  std::string port;
  /// Throws std::invalid_argument with a readable message for a bad URL.
  static Endpoint parse(const std::string& url);
  std::string host_header() const;  ///< "host:port"
};

/// A blocking HTTP/1.1 client with a persistent connection (Boost.Beast), reconnecting when the server closed
/// it.
class HttpClient {
 public:
  explicit HttpClient(Endpoint endpoint, std::chrono::seconds timeout = std::chrono::seconds(30));
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  /// Sends the request (Host header added if missing) and returns the response. Throws std::runtime_error
  /// on connection failure or timeout.
  HttpResponse send(const std::string& method, const std::string& target, const HeaderList& headers,
                    const std::string& body);

  const Endpoint& endpoint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::api
