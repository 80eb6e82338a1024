// cairn-loadgen: closed-loop HTTP load over N keep-alive connections (Boost.Beast), optionally SigV4-signed
// per request; prints throughput and latency percentiles.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "cairn/api/http_client.h"
#include "cairn/authz/sigv4.h"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Config {
  cairn::api::Endpoint endpoint;
  std::vector<std::string> paths;
  std::string method = "GET";
  std::string body;
  bool sign = false;
  std::string access_key;
  std::string secret;
  std::uint64_t max_requests = 0;  // 0 = unlimited (bounded by time)
  std::chrono::seconds timeout{10};
  Clock::time_point warmup_end;
  Clock::time_point end;
};

struct Shared {
  std::atomic<std::uint64_t> next_path{0};
  std::atomic<std::uint64_t> budget_used{0};
};

struct Stats {
  std::vector<std::uint32_t> latencies_us;
  std::map<std::string, std::uint64_t> outcomes;  // "200", "429", "connect", "timeout", "io"
  std::array<std::uint64_t, 600> by_status{};     // responses by HTTP status, folded into outcomes at the end
  Clock::time_point last_completion{};
};

/// A response body that is counted and dropped. The load generator shares the machine with the server, so
/// what it spends per response is taken from the server: storing each body in a string cost it an allocation
/// and a copy per response (~8% of its CPU on a 3 KB GetTable, nothing on /healthz).
struct DiscardedBody {
  using value_type = std::uint64_t;  // bytes received

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& size) : size_(size) {}
    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) {
      size_ = 0;
      ec = {};
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      const std::size_t n = net::buffer_size(buffers);
      size_ += n;
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& size_;
  };
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& ioc, const Config& config, Shared& shared,
             tcp::resolver::results_type endpoints)
      : config_(config),
        shared_(shared),
        endpoints_(std::move(endpoints)),
        strand_(net::make_strand(ioc)),
        stream_(strand_),
        retry_timer_(strand_),
        wire_cache_(config.paths.size()) {}

  void start() {
    net::post(strand_, [self = shared_from_this()] { self->connect(); });
  }
  Stats& stats() { return stats_; }

 private:
  void connect() {
    if (Clock::now() >= config_.end) return;
    stream_.expires_after(config_.timeout);
    stream_.async_connect(
        endpoints_, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) {
            self->record_failure(ec == beast::error::timeout ? "timeout" : "connect", Clock::now());
            self->retry_later();
            return;
          }
          beast::error_code opt_ec;
          self->stream_.socket().set_option(tcp::no_delay(true), opt_ec);
          // Room for a whole response at once: an empty flat_buffer starts reading 512 bytes at a time,
          // which costs a multi-KB response (GetTable) several extra reads that /healthz does not pay.
          self->buffer_.reserve(64 * 1024);
          self->send_next();
        });
  }

  void retry_later() {
    beast::error_code ec;
    stream_.socket().close(ec);
    buffer_.clear();
    retry_timer_.expires_after(std::chrono::milliseconds(50));
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->connect();
    });
  }

  /// The bytes of the request for `target`, built once per path and, when signing, re-signed at most once per
  /// second: X-Amz-Date has a resolution of one second, so a request signed anew within the same second would
  /// carry the same headers. The load generator shares the machine with the server, and signing and building
  /// a request cost it about as much CPU as the server spends checking one; without this cache, signed
  /// endpoints would be measured against a slower client than /healthz. The server still parses and verifies
  /// every request in full.
  const std::string& wire_request(std::size_t path) {
    const std::int64_t second = config_.sign ? static_cast<std::int64_t>(std::time(nullptr)) : 0;
    const std::string& target = config_.paths[path];
    auto& entry = wire_cache_[path];
    if (entry.first != second || entry.second.empty()) {
      http::request<http::string_body> req;
      req.method_string(config_.method);
      req.target(target);
      req.version(11);
      req.keep_alive(true);
      req.set(http::field::host, config_.endpoint.host_header());
      req.set(http::field::user_agent, "cairn-loadgen");
      if (!config_.body.empty()) req.set(http::field::content_type, "application/json");
      if (config_.sign) {
        cairn::authz::SignableRequest signable;
        signable.method = config_.method;
        auto q = target.find('?');
        signable.path = target.substr(0, q);
        if (q != std::string::npos) signable.query = target.substr(q + 1);
        signable.headers.emplace_back("host", config_.endpoint.host_header());
        if (!config_.body.empty()) signable.headers.emplace_back("content-type", "application/json");
        signable.body = config_.body;
        cairn::authz::sign_request(signable, config_.access_key, config_.secret, "us-east-1", "cairn");
        for (const auto& [name, value] : signable.headers) req.set(name, value);
      }
      req.body() = config_.body;
      req.prepare_payload();
      std::ostringstream out;
      out << req;
      entry = {second, out.str()};
    }
    return entry.second;
  }

  bool claim_request(Clock::time_point now) {
    if (now >= config_.end) return false;
    if (now < config_.warmup_end || config_.max_requests == 0) return true;
    return shared_.budget_used.fetch_add(1) < config_.max_requests;
  }

  void send_next() {
    auto now = Clock::now();
    if (!claim_request(now)) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.close();
      return;
    }
    const std::string& wire = wire_request(shared_.next_path.fetch_add(1) % config_.paths.size());
    started_ = now;
    stream_.expires_after(config_.timeout);
    net::async_write(stream_, net::buffer(wire),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) {
                         self->record_failure(ec == beast::error::timeout ? "timeout" : "io", Clock::now());
                         self->retry_later();
                         return;
                       }
                       self->read_response();
                     });
  }

  void read_response() {
    parser_.emplace();
    parser_->body_limit(256 * 1024 * 1024);
    http::async_read(
        stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
          auto done = Clock::now();
          if (ec) {
            self->record_failure(ec == beast::error::timeout ? "timeout" : "io", done);
            self->retry_later();
            return;
          }
          auto& res = self->parser_->get();
          if (self->started_ >= self->config_.warmup_end) {
            auto us = std::chrono::duration_cast<std::chrono::microseconds>(done - self->started_).count();
            self->stats_.latencies_us.push_back(
                static_cast<std::uint32_t>(std::min<std::int64_t>(us, UINT32_MAX)));
            const unsigned status = res.result_int();
            if (status < self->stats_.by_status.size()) {
              self->stats_.by_status[status]++;
            } else {
              self->stats_.outcomes[std::to_string(status)]++;
            }
            self->stats_.last_completion = done;
          }
          if (!res.keep_alive()) {
            self->retry_later();
            return;
          }
          self->send_next();
        });
  }

  void record_failure(const std::string& kind, Clock::time_point when) {
    if (when < config_.warmup_end) return;
    stats_.outcomes[kind]++;
    stats_.last_completion = when;
  }

  const Config& config_;
  Shared& shared_;
  tcp::resolver::results_type endpoints_;
  net::strand<net::io_context::executor_type> strand_;
  beast::tcp_stream stream_;
  net::steady_timer retry_timer_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<DiscardedBody>> parser_;
  Clock::time_point started_;
  std::vector<std::pair<std::int64_t, std::string>> wire_cache_;  ///< by path index: (second, bytes)
  Stats stats_;
};

double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)] / 1000.0;
}

bool is_error_outcome(const std::string& outcome) {
  if (outcome.empty() || outcome[0] < '0' || outcome[0] > '9') return true;
  return outcome[0] != '2' && outcome[0] != '3';
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cairn-loadgen: HTTP load generator for cairnd (closed loop over keep-alive connections)"};
  std::string endpoint_url = "http://127.0.0.1:7480";
  int connections = 8;
  int threads = 1;
  double duration = 10.0;
  double warmup = 0.0;
  std::uint64_t requests = 0;
  int timeout = 10;
  std::vector<std::string> paths;
  std::string method = "GET";
  std::string body;
  bool sign = false;
  bool json = false;
  std::string access_key;
  std::string secret;
  app.add_option("--endpoint", endpoint_url, "Server base URL (http://host:port)")->capture_default_str();
  app.add_option("--connections", connections, "Concurrent keep-alive connections")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--threads", threads, "I/O threads of the load generator")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  auto* duration_opt =
      app.add_option("--duration", duration, "Measured seconds (after warm-up); at most 3600")
          ->check(CLI::Range(0.1, 3600.0))
          ->capture_default_str();
  app.add_option("--requests", requests, "Stop after this many measured requests (time limit still applies)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
  app.add_option("--warmup", warmup, "Seconds of unmeasured warm-up before measuring")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  app.add_option("--timeout", timeout, "Per-request timeout in seconds")
      ->check(CLI::Range(1, 300))
      ->capture_default_str();
  app.add_option("--path", paths, "Request target; repeat to round-robin over several (default /healthz)");
  app.add_option("--method", method, "HTTP method")->capture_default_str();
  app.add_option("--body", body, "Request body (sent as application/json)");
  app.add_flag("--sign", sign, "Sign each request with SigV4 (service cairn, region us-east-1)");
  app.add_option("--access-key", access_key, "Access key id (default: AWS_ACCESS_KEY_ID)");
  app.add_option("--secret", secret, "Secret access key (default: AWS_SECRET_ACCESS_KEY)");
  app.add_flag("--json", json, "Print the result as one JSON object");
  CLI11_PARSE(app, argc, argv);

  Config config;
  try {
    config.endpoint = cairn::api::Endpoint::parse(endpoint_url);
  } catch (const std::invalid_argument& e) {
    std::cerr << "cairn-loadgen: " << e.what() << "\n";
    return 1;
  }
  if (paths.empty()) paths.push_back("/healthz");
  for (const auto& p : paths) {
    if (p.empty() || p.front() != '/') {
      std::cerr << "cairn-loadgen: --path must start with '/': " << p << "\n";
      return 1;
    }
  }
  if (requests > 0 && duration_opt->count() == 0)
    duration = 600.0;  // --requests alone: bounded by 10 minutes
  if (sign) {
    if (access_key.empty()) {
      if (const char* v = std::getenv("AWS_ACCESS_KEY_ID")) access_key = v;
    }
    if (secret.empty()) {
      if (const char* v = std::getenv("AWS_SECRET_ACCESS_KEY")) secret = v;
    }
    if (access_key.empty() || secret.empty()) {
      std::cerr
          << "cairn-loadgen: --sign needs --access-key/--secret or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY\n";
      return 1;
    }
  }
  config.paths = paths;
  config.method = method;
  config.body = body;
  config.sign = sign;
  config.access_key = access_key;
  config.secret = secret;
  config.max_requests = requests;
  config.timeout = std::chrono::seconds(timeout);

  net::io_context ioc;
  tcp::resolver::results_type endpoints;
  try {
    tcp::resolver resolver(ioc);
    endpoints = resolver.resolve(config.endpoint.host, config.endpoint.port);
  } catch (const std::exception& e) {
    std::cerr << "cairn-loadgen: cannot resolve " << config.endpoint.host_header() << ": " << e.what()
              << "\n";
    return 1;
  }

  auto start = Clock::now();
  config.warmup_end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  config.end = config.warmup_end +
               std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  Shared shared;
  std::vector<std::shared_ptr<Connection>> conns;
  for (int i = 0; i < connections; ++i) {
    conns.push_back(std::make_shared<Connection>(ioc, config, shared, endpoints));
    conns.back()->start();
  }
  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) workers.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : workers) t.join();
  auto finished = Clock::now();

  Stats total;
  Clock::time_point last = config.warmup_end;
  for (auto& c : conns) {
    auto& s = c->stats();
    total.latencies_us.insert(total.latencies_us.end(), s.latencies_us.begin(), s.latencies_us.end());
    for (const auto& [k, v] : s.outcomes) total.outcomes[k] += v;
    for (std::size_t status = 0; status < s.by_status.size(); ++status) {
      if (s.by_status[status] > 0) total.outcomes[std::to_string(status)] += s.by_status[status];
    }
    last = std::max(last, s.last_completion);
  }
  conns.clear();
  std::sort(total.latencies_us.begin(), total.latencies_us.end());
  double measured = std::chrono::duration<double>(std::min(last, finished) - config.warmup_end).count();
  if (measured <= 0) measured = std::chrono::duration<double>(finished - config.warmup_end).count();
  if (measured <= 0) measured = 1e-9;
  std::uint64_t responses = total.latencies_us.size();
  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t> error_outcomes;
  for (const auto& [k, v] : total.outcomes) {
    if (is_error_outcome(k)) {
      errors += v;
      error_outcomes[k] = v;
    }
  }
  double rps = static_cast<double>(responses) / measured;
  double p50 = percentile_ms(total.latencies_us, 0.50);
  double p90 = percentile_ms(total.latencies_us, 0.90);
  double p99 = percentile_ms(total.latencies_us, 0.99);
  double max_ms = total.latencies_us.empty() ? 0.0 : total.latencies_us.back() / 1000.0;

  if (json) {
    nlohmann::json out = {
        {"endpoint", endpoint_url},
        {"connections", connections},
        {"method", method},
        {"paths", paths},
        {"signed", sign},
        {"duration_s", measured},
        {"warmup_s", warmup},
        {"responses", responses},
        {"requests_per_second", rps},
        {"latency_ms", {{"p50", p50}, {"p90", p90}, {"p99", p99}, {"max", max_ms}}},
        {"outcomes", total.outcomes},
        {"errors", errors},
        {"errors_by_status", error_outcomes},
    };
    std::cout << out.dump() << "\n";
  } else {
    std::printf("cairn-loadgen: %s %s x%zu path(s), %d connection(s)%s\n", method.c_str(),
                endpoint_url.c_str(), paths.size(), connections, sign ? ", SigV4-signed" : "");
    std::printf("responses:   %llu in %.2f s\n", static_cast<unsigned long long>(responses), measured);
    std::printf("throughput:  %.1f req/s\n", rps);
    std::printf("latency ms:  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", p50, p90, p99, max_ms);
    std::printf("errors:      %llu\n", static_cast<unsigned long long>(errors));
    for (const auto& [k, v] : total.outcomes) {
      std::printf("  %-10s %llu\n", k.c_str(), static_cast<unsigned long long>(v));
    }
  }
  return 0;
}
