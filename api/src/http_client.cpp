#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "cairn/api/http_client.h"

namespace cairn::api {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr std::uint64_t kResponseBodyLimit = 1024ULL * 1024 * 1024;

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

Endpoint Endpoint::parse(const std::string& url) {
  auto fail = [&](const std::string& why) {
    return std::invalid_argument("invalid endpoint '" + url + "': " + why + " (expected http://host:port)");
  };
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw fail("missing scheme");
  std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme == "https") {
    throw std::invalid_argument(
        "https endpoints are not supported; use http://host:port and put a TLS-terminating "
        "proxy in front of cairnd (endpoint was '" +
        url + "')");
  }
  if (scheme != "http") throw fail("unsupported scheme '" + scheme + "'");
  std::string rest = url.substr(scheme_end + 3);
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos && slash + 1 != rest.size()) throw fail("a path is not allowed");
  if (authority.find('@') != std::string::npos) throw fail("user information is not allowed");
  if (authority.find_first_of("?#") != std::string::npos) throw fail("a query or fragment is not allowed");
  if (authority.empty()) throw fail("missing host");

  Endpoint ep;
  std::string port_text;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) throw fail("unterminated '[' in IPv6 address");
    ep.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw fail("unexpected text after IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) throw fail("empty port");
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string::npos) {
      if (authority.find(':') != colon) throw fail("IPv6 addresses must be written in brackets");
      ep.host = authority.substr(0, colon);
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) throw fail("empty port");
    } else {
      ep.host = authority;
    }
  }
  if (ep.host.empty()) throw fail("missing host");
  if (port_text.empty()) {
    ep.port = "80";
  } else {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) {
      throw fail("port '" + port_text + "' is not a number");
    }
    int port = std::stoi(port_text);
    if (port < 1 || port > 65535) throw fail("port " + port_text + " is out of range 1-65535");
    ep.port = std::to_string(port);
  }
  return ep;
}

std::string Endpoint::host_header() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

struct HttpClient::Impl {
  Impl(Endpoint ep, std::chrono::seconds t) : endpoint(std::move(ep)), timeout(t) {}

  /// Runs the io_context until the operation started by `start` completes; returns its error.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code result = net::error::would_block;
    start(result);
    ioc.restart();
    ioc.run();
    return result;
  }

  void connect() {
    stream.reset();
    buffer.clear();
    stream.emplace(ioc);
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(endpoint.host, endpoint.port, ec);
    if (ec) {
      stream.reset();
      throw std::runtime_error("cannot resolve " + endpoint.host_header() + ": " + ec.message());
    }
    stream->expires_after(timeout);
    ec = run([&](beast::error_code& out) {
      stream->async_connect(results, [&out](beast::error_code e, const tcp::endpoint&) { out = e; });
    });
    if (ec) {
      stream.reset();
      throw std::runtime_error("cannot connect to " + endpoint.host_header() + ": " +
                               (ec == beast::error::timeout ? std::string("timed out") : ec.message()));
    }
    beast::error_code opt_ec;
    stream->socket().set_option(tcp::no_delay(true), opt_ec);
  }

  void disconnect() {
    if (!stream) return;
    beast::error_code ec;
    stream->socket().shutdown(tcp::socket::shutdown_both, ec);
    stream->close();
    stream.reset();
  }

  enum class Failure { None, Stale, Fatal };

  /// One attempt on the current connection. `Stale` means the server had closed the kept-alive connection
  /// before reading the request, so resending is safe.
  Failure exchange(http::request<http::string_body>& req, http::response<http::string_body>& out,
                   beast::error_code& error) {
    stream->expires_after(timeout);
    error = run([&](beast::error_code& result) {
      http::async_write(*stream, req, [&result](beast::error_code e, std::size_t) { result = e; });
    });
    if (error) {
      bool stale = error == net::error::broken_pipe || error == net::error::connection_reset ||
                   error == net::error::eof;
      return stale ? Failure::Stale : Failure::Fatal;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(kResponseBodyLimit);
    bool got_bytes = false;
    error = run([&](beast::error_code& result) {
      http::async_read(*stream, buffer, parser, [&result, &got_bytes](beast::error_code e, std::size_t n) {
        result = e;
        got_bytes = n > 0;
      });
    });
    if (error) {
      bool stale = !got_bytes && (error == http::error::end_of_stream ||
                                  error == net::error::connection_reset || error == net::error::eof);
      return stale ? Failure::Stale : Failure::Fatal;
    }
    out = parser.release();
    return Failure::None;
  }

  Endpoint endpoint;
  std::chrono::seconds timeout;
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(Endpoint endpoint, std::chrono::seconds timeout)
    : impl_(std::make_unique<Impl>(std::move(endpoint), timeout)) {}

HttpClient::~HttpClient() {
  if (impl_) impl_->disconnect();
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

const Endpoint& HttpClient::endpoint() const {
  return impl_->endpoint;
}

HttpResponse HttpClient::send(const std::string& method, const std::string& target, const HeaderList& headers,
                              const std::string& body) {
  if (!impl_) throw std::runtime_error("HttpClient used after move");
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    if (beast::iequals(name, "host")) has_host = true;
    req.insert(name, value);
  }
  if (!has_host) req.set(http::field::host, impl_->endpoint.host_header());
  req.body() = body;
  req.keep_alive(true);
  req.prepare_payload();

  http::response<http::string_body> res;
  for (int attempt = 0;; ++attempt) {
    bool reused = impl_->stream.has_value();
    if (!reused) impl_->connect();
    beast::error_code ec;
    auto failure = impl_->exchange(req, res, ec);
    if (failure == Impl::Failure::None) break;
    impl_->disconnect();
    if (failure == Impl::Failure::Stale && reused && attempt == 0) continue;
    std::string what = ec == beast::error::timeout ? std::string("timed out") : ec.message();
    throw std::runtime_error(method + " " + target + " on " + impl_->endpoint.host_header() +
                             " failed: " + what);
  }
  if (!res.keep_alive()) impl_->disconnect();

  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  for (const auto& field : res) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace cairn::api
