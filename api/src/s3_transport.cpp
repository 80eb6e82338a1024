#include "cairn/api/s3_transport.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cairn/api/http_client.h"
#include "cairn/catalog/text_util.h"

namespace cairn::api {

namespace {

/// Idle persistent connections per host:port.
class ConnectionPool {
 public:
  explicit ConnectionPool(S3TransportOptions options) : options_(options) {}

  /// An idle connection to host:port, or a new (not yet connected) one.
  std::unique_ptr<HttpClient> acquire(const std::string& host, const std::string& port) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = idle_.find(host + " " + port);
      if (it != idle_.end() && !it->second.empty()) {
        std::unique_ptr<HttpClient> client = std::move(it->second.back());
        it->second.pop_back();
        return client;
      }
    }
    Endpoint endpoint;
    endpoint.host = host;
    endpoint.port = port;
    return std::make_unique<HttpClient>(std::move(endpoint), options_.timeout);
  }

  /// Keeps `client` for the next request to its host:port unless enough are idle already.
  void release(std::unique_ptr<HttpClient> client) {
    const Endpoint& endpoint = client->endpoint();
    std::lock_guard<std::mutex> lock(mutex_);
    auto& idle = idle_[endpoint.host + " " + endpoint.port];
    if (idle.size() < options_.max_idle_per_host) idle.push_back(std::move(client));
  }

 private:
  const S3TransportOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<HttpClient>>> idle_;  ///< guarded by mutex_
};

/// The host to connect to: names under ".localhost" resolve to the loopback host itself (RFC 6761 §6.3),
/// which glibc's resolver does not do on its own.
std::string connect_host(const std::string& host) {
  constexpr std::string_view kLocal = ".localhost";
  const std::string lower = catalog::text::lower(host);
  if (lower.size() > kLocal.size() &&
      lower.compare(lower.size() - kLocal.size(), kLocal.size(), kLocal) == 0) {
    return "localhost";
  }
  return host;
}

}  // namespace

crawler::HttpTransport make_s3_transport(S3TransportOptions options) {
  auto pool = std::make_shared<ConnectionPool>(options);
  return [pool](const std::string& host, const std::string& port, const std::string& method,
                const std::string& target, const crawler::HttpHeaders& headers,
                const std::string& body) -> crawler::HttpExchangeResponse {
    std::unique_ptr<HttpClient> client = pool->acquire(connect_host(host), port);
    HttpResponse response = client->send(method, target, headers, body);  // throws: the connection is dropped
    pool->release(std::move(client));
    crawler::HttpExchangeResponse out;
    out.status = response.status;
    out.headers = std::move(response.headers);
    out.body = std::move(response.body);
    return out;
  };
}

}  // namespace cairn::api
