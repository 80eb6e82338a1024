#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cairn/api/http.h"
#include "cairn/api/http_client.h"

namespace cairn::api {
namespace {

using namespace std::chrono_literals;

/// A latch the test opens once; handlers wait on it.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    }
    return {};
  }
};

/// Blocking POSIX socket to the server, with a tiny HTTP/1.1 response reader (Content-Length bodies only).
class RawConn {
 public:
  explicit RawConn(unsigned short port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect failed");
    }
  }
  ~RawConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  void send_all(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<std::size_t>(n);
    }
  }

  /// Reads one response; throws when the connection closes first or nothing arrives within `timeout`.
  RawResponse read_response(std::chrono::milliseconds timeout = 5000ms) {
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) fill(timeout);
    RawResponse res;
    std::string head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    std::size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    res.status = std::stoi(status_line.substr(9, 3));
    std::size_t content_length = 0;
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      std::size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (strcasecmp(name.c_str(), "content-length") == 0) content_length = std::stoul(value);
      res.headers.emplace_back(name, value);
      pos = end + 2;
    }
    while (buffer_.size() < content_length) fill(timeout);
    res.body = buffer_.substr(0, content_length);
    buffer_.erase(0, content_length);
    return res;
  }

  /// True when the peer closed the connection (EOF or reset) within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r == 0) return false;
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n <= 0) return true;
      buffer_.append(tmp, static_cast<std::size_t>(n));
    }
  }

 private:
  void fill(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) throw std::runtime_error("timed out reading");
    char tmp[4096];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) throw std::runtime_error("connection closed while reading");
    buffer_.append(tmp, static_cast<std::size_t>(n));
  }

  int fd_ = -1;
  std::string buffer_;
};

ServerOptions test_options() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.io_threads = 1;
  options.worker_threads = 2;
  options.read_timeout = 5s;
  return options;
}

HttpResponse text(int status, std::string body) {
  HttpResponse res;
  res.status = status;
  res.content_type = "text/plain";
  res.body = std::move(body);
  return res;
}

Endpoint endpoint_for(const HttpServer& server) {
  return Endpoint::parse("http://127.0.0.1:" + std::to_string(server.port()));
}

std::string header_of(const HttpResponse& res, const std::string& name) {
  for (const auto& [k, v] : res.headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return {};
}

bool is_hex16(const std::string& id) {
  if (id.size() != 16) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST(HttpServer, RoundTripEchoesRequestParts) {
  HttpServer server(test_options(), [](const HttpRequest& req) {
    nlohmann::json j = {
        {"method", req.method},        {"target", req.target}, {"path", req.path},
        {"query", req.query},          {"body", req.body},     {"header", std::string(req.header("X-TEST"))},
        {"request_id", req.request_id}};
    HttpResponse res;
    res.status = 201;
    res.body = j.dump();
    res.headers.emplace_back("X-Extra", "yes");
    return res;
  });
  server.start();
  ASSERT_NE(server.port(), 0);
  HttpClient client(endpoint_for(server), 5s);
  HttpResponse res = client.send("POST", "/v1/things%20x?a=1&b=2", {{"x-test", "hello"}}, "payload");
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.content_type, "application/json");
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["target"], "/v1/things%20x?a=1&b=2");
  EXPECT_EQ(j["path"], "/v1/things%20x");
  EXPECT_EQ(j["query"], "a=1&b=2");
  EXPECT_EQ(j["body"], "payload");
  EXPECT_EQ(j["header"], "hello");
  EXPECT_EQ(header_of(res, "x-request-id"), j["request_id"].get<std::string>());
  EXPECT_EQ(header_of(res, "server"), "cairn");
  EXPECT_EQ(header_of(res, "x-extra"), "yes");
}

TEST(HttpServer, KeepAliveReusesTheConnection) {
  HttpServer server(test_options(), [](const HttpRequest& req) { return text(200, req.remote); });
  server.start();
  HttpClient client(endpoint_for(server), 5s);
  std::string first = client.send("GET", "/a", {}, "").body;
  std::string second = client.send("GET", "/b", {}, "").body;
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, second);  // same peer address:port → same TCP connection
}

TEST(HttpServer, BodyOverLimitGets413AndClose) {
  ServerOptions options = test_options();
  options.body_limit = 1024;
  std::atomic<int> calls{0};
  HttpServer server(options, [&](const HttpRequest&) {
    ++calls;
    return text(200, "ok");
  });
  server.start();
  RawConn conn(server.port());
  std::string body(4096, 'x');
  conn.send_all("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + body);
  RawResponse res = conn.read_response();
  EXPECT_EQ(res.status, 413);
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["error"]["code"], "PayloadTooLarge");
  EXPECT_EQ(j["error"]["message"], "request body exceeds 1024 bytes");
  EXPECT_EQ(j["error"]["request_id"], res.header("x-request-id"));
  EXPECT_TRUE(conn.closed_within(3000ms));
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServer, MalformedRequestLineGets400AndClose) {
  HttpServer server(test_options(), [](const HttpRequest&) { return text(200, "ok"); });
  server.start();
  RawConn conn(server.port());
  conn.send_all("THIS IS NOT HTTP\r\n\r\n");
  RawResponse res = conn.read_response();
  EXPECT_EQ(res.status, 400);
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["error"]["code"], "InvalidArgument");
  EXPECT_FALSE(j["error"]["request_id"].get<std::string>().empty());
  EXPECT_TRUE(conn.closed_within(3000ms));
}

TEST(HttpServer, InvalidTargetsGet400) {
  std::atomic<int> calls{0};
  HttpServer server(test_options(), [&](const HttpRequest&) {
    ++calls;
    return text(200, "ok");
  });
  server.start();
  {
    RawConn conn(server.port());
    conn.send_all("GET http://example.com/x HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(conn.read_response().status, 400);
  }
  {
    RawConn conn(server.port());
    conn.send_all("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(conn.read_response().status, 400);
  }
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServer, PipelinedRequestsAnsweredInOrder) {
  ServerOptions options = test_options();
  options.worker_threads = 4;
  HttpServer server(options, [](const HttpRequest& req) {
    if (req.path == "/first") std::this_thread::sleep_for(300ms);  // finishes last, must still come first
    if (req.path == "/third") std::this_thread::sleep_for(50ms);
    return text(200, req.path);
  });
  server.start();
  RawConn conn(server.port());
  conn.send_all(
      "GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /second HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /third HTTP/1.1\r\nHost: x\r\n\r\n");
  std::set<std::string> ids;
  for (const char* expected : {"/first", "/second", "/third"}) {
    RawResponse res = conn.read_response();
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, expected);
    ids.insert(res.header("x-request-id"));
  }
  EXPECT_EQ(ids.size(), 3u);
}

TEST(HttpServer, SharedBodiesAreSentAsIsAndOutliveTheirOwner) {
  // One large shared body served to several pipelined requests, a short owned body (inside the slot's
  // string) between them, and a shared body whose only other owner is dropped before the write.
  auto large = std::make_shared<const std::string>(200 * 1024, 'x');
  ServerOptions options = test_options();
  options.worker_threads = 4;
  HttpServer server(options, [&large](const HttpRequest& req) {
    HttpResponse res;
    res.content_type = "text/plain";
    if (req.path == "/large") {
      res.shared_body = large;
    } else if (req.path == "/temporary") {
      res.shared_body = std::make_shared<const std::string>("only the response holds me");
      res.body = "ignored when shared_body is set";
    } else {
      res.body = "short";
    }
    EXPECT_EQ(&res.payload(), res.shared_body ? res.shared_body.get() : &res.body);
    return res;
  });
  server.start();
  RawConn conn(server.port());
  std::string requests;
  for (const char* path : {"/large", "/short", "/temporary", "/large", "/short"}) {
    requests += std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  conn.send_all(requests);
  for (const char* path : {"/large", "/short", "/temporary", "/large", "/short"}) {
    RawResponse res = conn.read_response();
    EXPECT_EQ(res.status, 200) << path;
    EXPECT_EQ(res.header("content-type"), "text/plain");
    const std::string expected = std::string(path) == "/large"       ? *large
                                 : std::string(path) == "/temporary" ? "only the response holds me"
                                                                     : "short";
    EXPECT_EQ(res.header("content-length"), std::to_string(expected.size())) << path;
    EXPECT_EQ(res.body, expected) << path;
  }
}

TEST(HttpServer, PipelineQueueBoundStillAnswersEverything) {
  ServerOptions options = test_options();
  options.max_pipeline = 2;
  HttpServer server(options, [](const HttpRequest& req) { return text(200, req.path); });
  server.start();
  RawConn conn(server.port());
  std::string burst;
  for (int i = 0; i < 20; ++i) burst += "GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  conn.send_all(burst);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(conn.read_response().body, "/r" + std::to_string(i));
}

TEST(HttpServer, IdleConnectionClosedAfterReadTimeout) {
  ServerOptions options = test_options();
  options.read_timeout = 1s;
  HttpServer server(options, [](const HttpRequest&) { return text(200, "ok"); });
  server.start();
  RawConn conn(server.port());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(conn.closed_within(4000ms));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 900ms);
}

TEST(HttpServer, SlowHandlerOutlivesReadTimeoutOnKeptAliveConnection) {
  ServerOptions options = test_options();
  options.read_timeout = 1s;
  HttpServer server(options, [](const HttpRequest&) {
    std::this_thread::sleep_for(1500ms);
    return text(200, "slow");
  });
  server.start();
  RawConn conn(server.port());
  conn.send_all("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(conn.read_response(3000ms).body, "slow");
  // Once idle again, the timeout applies.
  EXPECT_TRUE(conn.closed_within(3000ms));
}

TEST(HttpServer, RequestIdsArePresentUniqueAndClientIdsReused) {
  HttpServer server(test_options(), [](const HttpRequest& req) { return text(200, req.request_id); });
  server.start();
  HttpClient client(endpoint_for(server), 5s);
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    HttpResponse res = client.send("GET", "/id", {}, "");
    std::string id = header_of(res, "x-request-id");
    EXPECT_TRUE(is_hex16(id)) << id;
    EXPECT_EQ(res.body, id);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 50u);
  HttpResponse reused = client.send("GET", "/id", {{"x-request-id", "client-Id_1.2"}}, "");
  EXPECT_EQ(header_of(reused, "x-request-id"), "client-Id_1.2");
  HttpResponse replaced = client.send("GET", "/id", {{"x-request-id", "bad id!"}}, "");
  EXPECT_TRUE(is_hex16(header_of(replaced, "x-request-id")));
}

// Starts a server on `options` whose handler (after `seen`, when given) blocks a request for /block until the
// test ends, and expects every path of `served` answered on another connection meanwhile.
void expect_served_while_one_blocks(const ServerOptions& options, const std::vector<std::string>& served,
                                    const std::function<void(const HttpRequest&)>& seen = nullptr) {
  Gate gate;
  std::promise<void> entered;
  HttpServer server(options, [&](const HttpRequest& req) {
    if (seen) seen(req);
    if (req.path == "/block") {
      entered.set_value();
      gate.wait();
    }
    return text(200, req.path);
  });
  server.start();
  auto blocked = std::async(std::launch::async, [&] {
    HttpClient client(endpoint_for(server), 10s);
    return client.send("GET", "/block", {}, "").body;
  });
  struct OpenAtExit {
    Gate& gate;
    ~OpenAtExit() { gate.open(); }  // also when a send below throws, so the blocked request ends
  } open_at_exit{gate};
  entered.get_future().wait();
  HttpClient other(endpoint_for(server), 5s);
  for (const std::string& path : served) EXPECT_EQ(other.send("GET", path, {}, "").body, path);
  gate.open();
  EXPECT_EQ(blocked.get(), "/block");
}

TEST(HttpServer, HandlerRunsOffTheIoThread) {
  ServerOptions options = test_options();
  options.io_threads = 1;
  options.worker_threads = 2;
  std::mutex ids_mu;
  std::set<std::thread::id> handler_threads;
  // With the only I/O thread free, a second connection is served while the first handler blocks.
  expect_served_while_one_blocks(options, {"/fast"}, [&](const HttpRequest&) {
    std::lock_guard lock(ids_mu);
    handler_threads.insert(std::this_thread::get_id());
  });
  std::lock_guard lock(ids_mu);
  EXPECT_EQ(handler_threads.count(std::this_thread::get_id()), 0u);
  EXPECT_LE(handler_threads.size(), 2u);
}

TEST(HttpServer, BlockedHandlersBeyondTheActiveThreadsDoNotHoldTheQueueUp) {
  // One thread is woken for queued work at once; it blocks in its handler. A request queued behind it wakes
  // another pool thread once it has waited the stall time, from the watchdog (nothing else is submitted), so
  // it is answered while the first is still blocked (otherwise the gate, opened only after it, never opens).
  ServerOptions options = test_options();
  options.worker_threads = 3;
  options.active_workers = 1;
  expect_served_while_one_blocks(options, {"/fast", "/again"});
}

TEST(HttpServer, SaturatedPoolAnswers429) {
  ServerOptions options = test_options();
  options.worker_threads = 1;
  options.max_pending = 1;
  Gate gate;
  std::promise<void> entered;
  std::atomic<bool> first{true};
  std::atomic<int> calls{0};
  HttpServer server(options, [&](const HttpRequest&) {
    ++calls;
    if (first.exchange(false)) {
      entered.set_value();
      gate.wait();
    }
    return text(200, "done");
  });
  server.start();
  RawConn running(server.port());
  running.send_all("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  entered.get_future().wait();
  RawConn waiting(server.port());
  waiting.send_all("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(200ms);  // let /b reach the pool queue
  RawConn refused(server.port());
  refused.send_all("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  RawResponse res = refused.read_response();
  EXPECT_EQ(res.status, 429);
  EXPECT_EQ(res.header("retry-after"), "1");
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["error"]["code"], "TooManyRequests");
  EXPECT_EQ(j["error"]["request_id"], res.header("x-request-id"));
  gate.open();
  EXPECT_EQ(running.read_response().status, 200);
  EXPECT_EQ(waiting.read_response().status, 200);
  EXPECT_EQ(calls.load(), 2);
}

TEST(HttpServer, HandlerExceptionBecomes500WithoutDetails) {
  HttpServer server(test_options(), [](const HttpRequest&) -> HttpResponse {
    throw std::runtime_error("secret internal detail");
  });
  server.start();
  HttpClient client(endpoint_for(server), 5s);
  HttpResponse res = client.send("GET", "/boom", {}, "");
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("secret internal detail"), std::string::npos);
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["error"]["code"], "Internal");
  EXPECT_EQ(j["error"]["request_id"], header_of(res, "x-request-id"));
  // The connection stays usable.
  EXPECT_EQ(client.send("GET", "/boom", {}, "").status, 500);
}

TEST(HttpServer, StopCompletesInFlightRequest) {
  std::promise<void> entered;
  HttpServer server(test_options(), [&](const HttpRequest&) {
    entered.set_value();
    std::this_thread::sleep_for(300ms);
    return text(200, "finished");
  });
  server.start();
  auto endpoint = endpoint_for(server);
  auto reply = std::async(std::launch::async, [&] {
    HttpClient client(endpoint, 10s);
    return client.send("GET", "/work", {}, "");
  });
  entered.get_future().wait();
  server.stop();
  HttpResponse res = reply.get();
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "finished");
  server.stop();  // idempotent
  HttpClient late(endpoint, 2s);
  EXPECT_THROW(late.send("GET", "/work", {}, ""), std::runtime_error);
}

TEST(HttpServer, ClientReconnectsAfterServerClosedKeepAlive) {
  ServerOptions options = test_options();
  options.read_timeout = 1s;
  HttpServer server(options, [](const HttpRequest&) { return text(200, "ok"); });
  server.start();
  HttpClient client(endpoint_for(server), 5s);
  EXPECT_EQ(client.send("GET", "/x", {}, "").body, "ok");
  std::this_thread::sleep_for(1500ms);  // server closes the idle connection
  EXPECT_EQ(client.send("GET", "/x", {}, "").body, "ok");
}

TEST(HttpServer, BindingATakenPortThrows) {
  HttpServer first(test_options(), [](const HttpRequest&) { return text(200, "ok"); });
  first.start();
  ServerOptions options = test_options();
  options.port = first.port();
  HttpServer second(options, [](const HttpRequest&) { return text(200, "ok"); });
  EXPECT_THROW(second.start(), std::runtime_error);
}

}  // namespace
}  // namespace cairn::api
