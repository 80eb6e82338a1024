#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "cairn/api/http.h"

namespace cairn::api {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxTargetLength = 8192;
constexpr std::uint32_t kHeaderLimit = 32 * 1024;
constexpr auto kHandlerDrainWait = std::chrono::seconds(5);
constexpr auto kSessionCloseWait = std::chrono::seconds(2);
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 1024 * 1024;

std::string json_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      out += "\\u00";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

HttpResponse error_response(int status, std::string_view code, std::string_view message,
                            std::string_view request_id) {
  HttpResponse res;
  res.status = status;
  res.body = "{\"error\":{\"code\":\"" + json_escape(code) + "\",\"message\":\"" + json_escape(message) +
             "\",\"request_id\":\"" + json_escape(request_id) + "\"}}";
  return res;
}

/// Unique, unpredictable-looking 16-hex-digit ids: the splitmix64 finalizer (a bijection) over a random
/// starting point plus a counter, so two ids of one server never collide.
class RequestIds {
 public:
  RequestIds() {
    std::random_device rd;
    seed_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }

  std::string next() {
    std::uint64_t z = seed_ + counter_.fetch_add(1, std::memory_order_relaxed) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z = z ^ (z >> 31);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(16, '0');
    for (int i = 15; i >= 0; --i) {
      id[static_cast<std::size_t>(i)] = kHex[z & 0x0F];
      z >>= 4;
    }
    return id;
  }

 private:
  std::uint64_t seed_ = 0;
  std::atomic<std::uint64_t> counter_{0};
};

bool valid_client_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_target(std::string_view target) {
  if (target.empty() || target.front() != '/' || target.size() > kMaxTargetLength) return false;
  for (char c : target) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
  }
  return true;
}

bool safe_header_text(std::string_view text) {
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

std::string format_endpoint(const tcp::endpoint& ep) {
  auto address = ep.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

/// The pool's active threads for `configured` (0: the machine's cores, at least 2).
int active_workers(int configured) {
  if (configured > 0) return configured;
  return static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
}

/// Fixed-size pool for handler work; at most `max_pending` tasks wait, the rest are refused.
///
/// Of its threads, at most `active` are woken for queued work at once: a task queued while that many are
/// awake waits for one of them to finish its task, which then takes the next without sleeping. Waking a
/// parked thread for every task costs a futex wake and a context switch each, and on a machine with fewer
/// cores than threads the woken threads only preempt one another (measured: GetTable on the 2-core machine
/// cost ~30% more CPU per request with 8 threads woken freely than with 2; docs/performance.md). The other
/// threads are headroom for handlers that block (store round trips, S3 reads): a task that has waited
/// kStallWake wakes one more thread, from the next submission or from the watchdog thread, so handlers that
/// block never hold the queue up for longer than that.
class WorkerPool {
 public:
  enum class Submit { Accepted, Full, Stopped };

  /// A task that waited this long wakes a thread beyond the active ones.
  static constexpr auto kStallWake = std::chrono::milliseconds(2);

  WorkerPool(int threads, int active, std::size_t max_pending)
      : max_pending_(max_pending),
        workers_(static_cast<std::size_t>(std::max(threads, 1))),
        active_(static_cast<std::size_t>(std::clamp(active, 1, std::max(threads, 1)))) {
    const int count = static_cast<int>(workers_);
    threads_.reserve(static_cast<std::size_t>(count) + 1);
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { run(); });
    threads_.emplace_back([this] { watch(); });
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { shutdown(); }

  /// Queues `task` unless `max_pending` tasks already wait or the pool is stopped.
  Submit try_submit(std::function<void()> task) {
    bool wake = false;
    bool watch = false;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return Submit::Stopped;
      if (tasks_.size() >= max_pending_) return Submit::Full;
      const Clock::time_point now = Clock::now();
      tasks_.push_back({std::move(task), now});
      wake = should_wake(now);
      if (wake) {
        ++waking_;
      } else if (watchdog_idle_) {
        watchdog_idle_ = false;  // a task waits for a busy thread: the watchdog keeps an eye on it
        watch = true;
      }
    }
    if (wake) work_cv_.notify_one();
    if (watch) watch_cv_.notify_one();
    return Submit::Accepted;
  }

  /// True once no task waits or runs; false when `deadline` passed first.
  bool wait_idle(Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return idle_cv_.wait_until(lock, deadline, [this] { return tasks_.empty() && running_ == 0; });
  }

  /// Drops waiting tasks and joins the threads (a running task is waited for). Idempotent.
  void shutdown() {
    std::deque<Queued> dropped;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      dropped.swap(tasks_);
    }
    work_cv_.notify_all();
    watch_cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  struct Queued {
    std::function<void()> task;
    Clock::time_point queued;
  };

  // Whether the task just queued should wake a parked thread: fewer than `active_` threads are awake (or
  // being woken), or the oldest queued task has waited kStallWake. Called with mu_ held.
  bool should_wake(Clock::time_point now) const {
    if (parked_ <= waking_) return false;  // every parked thread is already being woken
    const std::size_t awake = workers_ - parked_ + waking_;
    return awake < active_ || now - tasks_.front().queued >= kStallWake;
  }

  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      while (!stopping_ && tasks_.empty()) {
        ++parked_;
        work_cv_.wait(lock);
        --parked_;
        if (waking_ > 0) --waking_;
      }
      if (stopping_) return;
      std::function<void()> task = std::move(tasks_.front().task);
      tasks_.pop_front();
      ++running_;
      lock.unlock();
      task();
      task = nullptr;
      lock.lock();
      --running_;
      if (running_ == 0 && tasks_.empty()) idle_cv_.notify_all();
    }
  }

  // Wakes a parked thread whenever the oldest queued task has waited kStallWake (its handlers are blocked);
  // sleeps without a timeout while no task waits for a busy thread.
  void watch() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (tasks_.empty()) {
        watchdog_idle_ = true;
        watch_cv_.wait(lock, [this] { return stopping_ || !watchdog_idle_; });
        continue;
      }
      const Clock::time_point due = tasks_.front().queued + kStallWake;
      watch_cv_.wait_until(lock, due, [this] { return stopping_; });
      if (stopping_ || tasks_.empty()) continue;
      if (Clock::now() - tasks_.front().queued >= kStallWake && parked_ > waking_) {
        ++waking_;
        work_cv_.notify_one();
        // The woken thread takes the oldest task; the next check is for the one after it.
        watch_cv_.wait_for(lock, kStallWake, [this] { return stopping_; });
      }
    }
  }

  const std::size_t max_pending_;
  const std::size_t workers_;  // threads running tasks (the watchdog is one more)
  const std::size_t active_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::condition_variable watch_cv_;
  std::deque<Queued> tasks_;    // guarded by mu_
  std::size_t running_ = 0;     // guarded by mu_
  std::size_t parked_ = 0;      // threads waiting on work_cv_; guarded by mu_
  std::size_t waking_ = 0;      // parked threads notified and not yet awake; guarded by mu_
  bool watchdog_idle_ = false;  // the watchdog waits without a timeout; guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::vector<std::thread> threads_;
};

class Session;

/// Everything the server shares with its sessions. Member order matters: the io_context is destroyed before
/// the session registry, because destroying it destroys sessions that unregister themselves.
class ServerCore {
 public:
  ServerCore(ServerOptions options, HttpHandler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        pool_(options_.worker_threads, active_workers(options_.active_workers), options_.max_pending),
        acceptor_(net::make_strand(ioc_)) {}

  void start();
  void stop();
  unsigned short port() const { return port_.load(); }

  void register_session(const std::shared_ptr<Session>& session);
  void unregister_session(Session* session);

  const ServerOptions& options() const { return options_; }
  const HttpHandler& handler() const { return handler_; }
  RequestIds& ids() { return ids_; }
  WorkerPool& pool() { return pool_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

 private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  ServerOptions options_;
  HttpHandler handler_;
  RequestIds ids_;
  std::atomic<bool> stopping_{false};
  std::atomic<unsigned short> port_{0};

  std::mutex lifecycle_mu_;
  bool started_ = false;  // guarded by lifecycle_mu_
  bool stopped_ = false;  // guarded by lifecycle_mu_

  std::mutex sessions_mu_;
  std::condition_variable sessions_cv_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;  // guarded by sessions_mu_

  WorkerPool pool_;
  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;
  std::unique_ptr<net::steady_timer> accept_retry_;
  std::vector<std::thread> io_threads_;
};

/// One connection. All members are touched only on the connection's strand, except `core_` (thread-safe).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ServerCore& core)
      : stream_(std::move(socket)), core_(core), idle_timer_(stream_.get_executor()) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    remote_ = ec ? std::string("unknown") : format_endpoint(ep);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { core_.unregister_session(this); }

  void start() {
    core_.register_session(shared_from_this());
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

  /// Server shutdown: finish what is queued, then close (posted to the strand).
  void shutdown_gracefully() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->closed_) return;
      if (self->queue_.empty() && !self->writing_) self->close_now();
    });
  }

 private:
  struct Slot {
    std::uint64_t seq = 0;
    bool ready = false;
    bool close = false;  // close the connection once this response is written
    bool keep_alive = true;
    unsigned version = 11;
    std::string request_id;
    std::string method;  // for the debug log line only: empty unless debug logging is on
    std::string path;    // likewise
    Clock::time_point received;
    // The handler's response, kept until written: `res`'s body is a view of its payload() (a deque does not
    // move its elements, so a view of a short body's inline buffer stays valid).
    HttpResponse response;
    http::response<http::span_body<const char>> res;
  };

  void do_read() {
    if (closed_ || read_pending_ || read_closed_) return;
    if (queue_.size() >= core_.options().max_pipeline) return;  // resumed by on_write
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(core_.options().body_limit);
    if (queue_.empty()) {
      idle_timer_.cancel();
      stream_.expires_after(core_.options().read_timeout);
      timed_read_ = true;
    } else {
      // Requests are in flight: a timeout here would kill their responses; the idle timer takes over once
      // the queue drains (see on_write).
      stream_.expires_never();
      timed_read_ = false;
    }
    read_pending_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    read_pending_ = false;
    if (closed_) return;
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == net::error::operation_aborted) {
      read_closed_ = true;
      if (queue_.empty() && !writing_) close_now();
      return;
    }
    if (ec == beast::error::timeout) {
      // basic_stream already closed the socket; a timed read only runs while nothing is queued.
      close_now();
      return;
    }
    if (ec == http::error::body_limit) {
      read_closed_ = true;
      queue_error(413, "PayloadTooLarge",
                  "request body exceeds " + std::to_string(core_.options().body_limit) + " bytes");
      return;
    }
    if (ec == http::error::header_limit) {
      read_closed_ = true;
      queue_error(431, "RequestHeaderFieldsTooLarge",
                  "request header exceeds " + std::to_string(kHeaderLimit) + " bytes");
      return;
    }
    if (ec && ec.category() == beast::error_code(http::error::bad_target).category()) {
      read_closed_ = true;
      queue_error(400, "InvalidArgument", "malformed HTTP request");
      return;
    }
    if (ec) {
      spdlog::debug("connection {}: read failed: {}", remote_, ec.message());
      close_now();
      return;
    }
    dispatch_request(parser_->release());
    do_read();
    do_write();
  }

  Slot& new_slot() {
    Slot& slot = queue_.emplace_back();
    slot.seq = next_seq_++;
    slot.received = Clock::now();
    return slot;
  }

  void queue_error(int status, std::string_view code, const std::string& message) {
    Slot& slot = new_slot();
    slot.request_id = core_.ids().next();
    slot.close = true;
    if (spdlog::should_log(spdlog::level::debug)) {
      slot.method = "-";
      slot.path = "-";
    }
    spdlog::debug("connection {}: {} {} (request {})", remote_, status, message, slot.request_id);
    fill(slot, error_response(status, code, message, slot.request_id));
    do_write();
  }

  void dispatch_request(http::request<http::string_body>&& req) {
    Slot& slot = new_slot();
    std::string_view sent_id = req["x-request-id"];
    slot.request_id = valid_client_request_id(sent_id) ? std::string(sent_id) : core_.ids().next();
    slot.keep_alive = req.keep_alive();
    slot.version = req.version();
    std::string_view target = req.target();
    const bool debug = spdlog::should_log(spdlog::level::debug);
    if (debug) slot.method = std::string(req.method_string());

    if (!valid_target(target)) {
      if (debug) slot.path = "-";
      fill(slot, error_response(400, "InvalidArgument", "invalid request target", slot.request_id));
      return;
    }
    auto qpos = target.find('?');
    if (debug) slot.path = std::string(target.substr(0, qpos));
    if (core_.stopping()) {
      slot.close = true;
      fill(slot, error_response(503, "Unavailable", "server is shutting down", slot.request_id));
      return;
    }

    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(target);
    request.path = std::string(target.substr(0, qpos));
    if (qpos != std::string_view::npos) request.query = std::string(target.substr(qpos + 1));
    request.headers.reserve(static_cast<std::size_t>(std::distance(req.begin(), req.end())));
    for (const auto& field : req) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(req.body());
    request.request_id = slot.request_id;
    request.remote = remote_;

    auto task = [self = shared_from_this(), seq = slot.seq, request = std::move(request)]() mutable {
      HttpResponse response;
      try {
        response = self->core_.handler()(request);
      } catch (const std::exception& e) {
        spdlog::error("request {} {} {}: handler failed: {}", request.request_id, request.method,
                      request.path, e.what());
        response = error_response(500, "Internal", "internal server error", request.request_id);
      } catch (...) {
        spdlog::error("request {} {} {}: handler failed with a non-standard exception", request.request_id,
                      request.method, request.path);
        response = error_response(500, "Internal", "internal server error", request.request_id);
      }
      auto* session = self.get();
      net::post(session->stream_.get_executor(),
                [self = std::move(self), seq, response = std::move(response)]() mutable {
                  self->on_response(seq, std::move(response));
                });
    };
    switch (core_.pool().try_submit(std::move(task))) {
      case WorkerPool::Submit::Accepted:
        return;
      case WorkerPool::Submit::Full: {
        HttpResponse busy =
            error_response(429, "TooManyRequests", "too many requests; retry later", slot.request_id);
        busy.headers.emplace_back("Retry-After", "1");
        fill(slot, std::move(busy));
        return;
      }
      case WorkerPool::Submit::Stopped:
        slot.close = true;
        fill(slot, error_response(503, "Unavailable", "server is shutting down", slot.request_id));
        return;
    }
  }

  void on_response(std::uint64_t seq, HttpResponse&& response) {
    if (closed_ || queue_.empty() || seq < queue_.front().seq) return;
    std::size_t index = static_cast<std::size_t>(seq - queue_.front().seq);
    if (index >= queue_.size()) return;
    fill(queue_[index], std::move(response));
    do_write();
  }

  void fill(Slot& slot, HttpResponse&& response) {
    auto& res = slot.res;
    int status = response.status;
    if (status < 100 || status > 599) {
      spdlog::error("request {}: handler returned invalid status {}", slot.request_id, status);
      response = error_response(500, "Internal", "internal server error", slot.request_id);
      status = 500;
    }
    res.result(static_cast<unsigned>(status));
    res.version(slot.version);
    res.set(http::field::server, "cairn");
    if (!response.content_type.empty() && safe_header_text(response.content_type)) {
      res.set(http::field::content_type, response.content_type);
    }
    for (auto& [name, value] : response.headers) {
      auto field = http::string_to_field(name);
      if (field == http::field::content_length || field == http::field::transfer_encoding ||
          field == http::field::connection || field == http::field::server || name.empty() ||
          !safe_header_text(name) || !safe_header_text(value) || beast::iequals(name, "x-request-id")) {
        continue;
      }
      res.insert(name, value);
    }
    res.set("x-request-id", slot.request_id);
    slot.response = std::move(response);
    const std::string& payload = slot.response.payload();
    res.body() = http::span_body<const char>::value_type(payload.data(), payload.size());
    res.prepare_payload();
    slot.ready = true;
    if (spdlog::should_log(spdlog::level::debug)) {
      auto micros =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - slot.received).count();
      spdlog::debug("{} {} {} {}us request_id={}", slot.method, slot.path, status, micros, slot.request_id);
    }
  }

  void do_write() {
    if (closed_ || writing_ || queue_.empty() || !queue_.front().ready) return;
    Slot& slot = queue_.front();
    bool last_on_stop = core_.stopping() && queue_.size() == 1;
    bool keep = slot.keep_alive && !slot.close && !last_on_stop;
    slot.res.keep_alive(keep);
    writing_ = true;
    stream_.expires_after(core_.options().read_timeout);
    http::async_write(stream_, slot.res,
                      beast::bind_front_handler(&Session::on_write, shared_from_this(), keep));
  }

  void on_write(bool keep, beast::error_code ec, std::size_t /*bytes*/) {
    writing_ = false;
    if (closed_) return;
    if (ec) {
      spdlog::debug("connection {}: write failed: {}", remote_, ec.message());
      close_now();
      return;
    }
    bool had_close = queue_.front().close;
    queue_.pop_front();
    if (!keep) {
      if (had_close && !read_pending_ && !core_.stopping()) {
        linger();
      } else {
        close_now();
      }
      return;
    }
    if (queue_.empty() && (read_closed_ || core_.stopping())) {
      close_now();
      return;
    }
    if (!read_pending_) {
      do_read();
    } else if (!timed_read_ && queue_.empty()) {
      arm_idle_timer();
    }
    do_write();
  }

  void arm_idle_timer() {
    idle_timer_.expires_after(core_.options().read_timeout);
    idle_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (self->read_pending_ && !self->timed_read_ && self->queue_.empty()) self->close_now();
    });
  }

  /// After an error response the client may still be sending: stop sending, discard what arrives for a
  /// bounded time, then close; closing with unread data would reset the connection and could lose the
  /// response.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      close_now();
      return;
    }
    buffer_.consume(buffer_.size());
    stream_.expires_after(kLingerTime);
    do_linger_read();
  }

  void do_linger_read() {
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->lingered_ += n;
                              if (ec || self->closed_ || self->lingered_ > kLingerBytes) {
                                self->close_now();
                                return;
                              }
                              self->do_linger_read();
                            });
  }

  void close_now() {
    if (closed_) return;
    closed_ = true;
    idle_timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    // queue_ is kept: a write still pending references its response until it completes with an error.
  }

  beast::tcp_stream stream_;
  ServerCore& core_;
  net::steady_timer idle_timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<Slot> queue_;
  std::uint64_t next_seq_ = 0;
  std::string remote_;
  std::size_t lingered_ = 0;
  bool read_pending_ = false;
  bool timed_read_ = false;
  bool read_closed_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

void ServerCore::register_session(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(sessions_mu_);
  sessions_.emplace(session.get(), session);
}

void ServerCore::unregister_session(Session* session) {
  std::lock_guard lock(sessions_mu_);
  sessions_.erase(session);
  if (sessions_.empty()) sessions_cv_.notify_all();
}

void ServerCore::start() {
  std::lock_guard lock(lifecycle_mu_);
  if (started_) throw std::runtime_error("HttpServer::start called twice");
  if (stopped_) throw std::runtime_error("HttpServer was stopped and cannot be restarted");
  std::string where = options_.host + ":" + std::to_string(options_.port);
  beast::error_code ec;
  tcp::resolver resolver(ioc_);
  auto results = resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("cannot resolve listen address " + where + ": " + ec.message());
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  started_ = true;
  work_.emplace(net::make_work_guard(ioc_));
  net::post(acceptor_.get_executor(), [this] { do_accept(); });
  int count = options_.io_threads > 0 ? options_.io_threads : 1;
  for (int i = 0; i < count; ++i) {
    io_threads_.emplace_back([this] {
      while (true) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http server I/O thread: unexpected exception: {}", e.what());
        }
      }
    });
  }
  spdlog::info("listening on {}:{}", options_.host, port_.load());
}

void ServerCore::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&ServerCore::on_accept, this));
}

void ServerCore::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open() || stopping()) return;
  if (ec) {
    spdlog::warn("accept failed: {}", ec.message());
    // Back off briefly (e.g. out of file descriptors) instead of spinning.
    accept_retry_ =
        std::make_unique<net::steady_timer>(acceptor_.get_executor(), std::chrono::milliseconds(100));
    accept_retry_->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open() && !stopping()) do_accept();
    });
    return;
  }
  beast::error_code opt_ec;
  socket.set_option(tcp::no_delay(true), opt_ec);
  std::make_shared<Session>(std::move(socket), *this)->start();
  do_accept();
}

void ServerCore::stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (!started_) {
    pool_.shutdown();
    return;
  }
  stopping_.store(true, std::memory_order_release);
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    if (accept_retry_) accept_retry_->cancel();
  });

  if (!pool_.wait_idle(Clock::now() + kHandlerDrainWait)) {
    spdlog::warn("http server stop: handlers still running after {}s; closing connections anyway",
                 kHandlerDrainWait.count());
  }
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard sessions_lock(sessions_mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->shutdown_gracefully();
  live.clear();
  {
    std::unique_lock sessions_lock(sessions_mu_);
    sessions_cv_.wait_for(sessions_lock, kSessionCloseWait, [this] { return sessions_.empty(); });
  }
  work_.reset();
  ioc_.stop();
  for (auto& t : io_threads_) {
    if (t.joinable()) t.join();
  }
  io_threads_.clear();
  pool_.shutdown();
  spdlog::info("http server on port {} stopped", port_.load());
}

}  // namespace

struct HttpServer::Impl : ServerCore {
  using ServerCore::ServerCore;
};

HttpServer::HttpServer(ServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  impl_->start();
}

void HttpServer::stop() {
  impl_->stop();
}

unsigned short HttpServer::port() const {
  return impl_->port();
}

}  // namespace cairn::api
