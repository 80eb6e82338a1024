#pragma once

// Starts a real cairnd binary for integration tests: a temporary data dir (or a fixed one, to restart on the
// same data), `--listen 127.0.0.1:0 --port-file F`, known administrator credentials, stdout/stderr captured
// to DATA_DIR/../cairnd.log. Header-only so any test executable can use it with #include
// "support/cairnd_process.h".

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/process.h"

extern char** environ;

namespace cairn::test {

/// How to start cairnd.
struct CairndOptions {
#ifdef CAIRN_BINARY_DIR
  std::string binary = CAIRN_BINARY_DIR "/api/cairnd";
#else
  std::string binary;
#endif
  std::vector<std::string> args;                         ///< extra arguments, e.g. {"--body-limit", "2048"}
  std::vector<std::pair<std::string, std::string>> env;  ///< extra or overriding environment variables
  std::string admin_access_key_id = "AKIACAIRNTESTADMIN01";
  std::string admin_secret_access_key = "cairn-test-admin-secret-0123456789abcdef";
  /// When false, CAIRN_ADMIN_ACCESS_KEY_ID / CAIRN_ADMIN_SECRET_ACCESS_KEY are not set: a new store then
  /// bootstraps an administrator of its own and writes its key to DATA_DIR/admin-credentials (and
  /// access_key_id() / secret_access_key() do not name it).
  bool admin_from_env = true;
  /// When set (64 hex characters), written to a key file passed as --master-key-file. Nodes sharing one
  /// PostgreSQL store must share the master key, or the access keys sealed by one cannot be opened by
  /// another.
  std::string master_key_hex;
  std::chrono::milliseconds start_timeout{20000};
  std::chrono::milliseconds stop_timeout{10000};  ///< SIGTERM grace period before SIGKILL
  bool keep_dir = false;  ///< keep the temporary directory (also kept when CAIRN_TEST_KEEP_DIRS is set)
  /// When set, cairnd runs in this directory (DIR/data, DIR/port, DIR/cairnd.log, DIR/master.key) instead of
  /// a temporary one: it is created when missing and never removed, and the log is appended to, so that a new
  /// CairndProcess on the same `dir` (and the same --database-url) restarts the service on the same data.
  std::string dir;
};

/// A running cairnd child process; stopped (SIGTERM, then SIGKILL) and cleaned up on destruction. It is
/// killed when the thread that started it exits, so create it on a thread that outlives it (e.g. the test
/// body).
class CairndProcess {
 public:
  /// Creates the temporary directory and starts cairnd; throws std::runtime_error with the tail of the log
  /// when it exits early or does not write its port file within `start_timeout`.
  explicit CairndProcess(CairndOptions options = {}) : options_(std::move(options)) {
    dir_ = options_.dir.empty() ? make_temp_dir("cairnd-test-") : options_.dir;
    data_dir_ = dir_ + "/data";
    port_file_ = dir_ + "/port";
    log_path_ = dir_ + "/cairnd.log";
    try {
      start();
    } catch (...) {
      cleanup();
      throw;
    }
  }

  ~CairndProcess() {
    try {
      stop();
    } catch (...) {
    }
    cleanup();
  }

  CairndProcess(const CairndProcess&) = delete;
  CairndProcess& operator=(const CairndProcess&) = delete;

  /// Sends SIGTERM, waits up to `stop_timeout`, then SIGKILL. Returns the wait status (or nullopt when it was
  /// not running). Idempotent.
  std::optional<int> stop() {
    if (pid_ <= 0) return std::nullopt;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + options_.stop_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  /// True while the child has not exited.
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = status;
      return false;
    }
    return true;
  }

  const std::string& host() const { return host_; }
  unsigned short port() const { return port_; }
  /// "host:port" as written to the port file.
  std::string host_port() const { return host_ + ":" + std::to_string(port_); }
  /// "http://host:port".
  std::string endpoint() const { return "http://" + host_port(); }
  const std::string& access_key_id() const { return options_.admin_access_key_id; }
  const std::string& secret_access_key() const { return options_.admin_secret_access_key; }
  /// The directory holding data/, port, cairnd.log (and master.key).
  const std::string& dir() const { return dir_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  pid_t pid() const { return pid_; }

  /// The last `lines` lines of cairnd's combined stdout/stderr.
  std::string log_tail(std::size_t lines = 40) const {
    std::ifstream in(log_path_);
    std::deque<std::string> tail;
    std::string line;
    while (std::getline(in, line)) {
      tail.push_back(line);
      if (tail.size() > lines) tail.pop_front();
    }
    std::string out;
    for (const auto& l : tail) out += l + "\n";
    return out;
  }

 private:
  void start() {
    std::filesystem::create_directories(data_dir_);
    std::filesystem::remove(port_file_);  // a previous start's port file on a fixed dir
    std::vector<std::string> argv_s = {options_.binary, "--data-dir",  data_dir_, "--listen",
                                       "127.0.0.1:0",   "--port-file", port_file_};
    if (!options_.master_key_hex.empty()) {
      const std::string key_file = dir_ + "/master.key";
      {
        std::ofstream out(key_file, std::ios::trunc);
        out << options_.master_key_hex << "\n";
        if (!out) throw std::runtime_error("cannot write " + key_file);
      }
      std::filesystem::permissions(key_file,
                                   std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      argv_s.insert(argv_s.end(), {"--master-key-file", key_file});
    }
    argv_s.insert(argv_s.end(), options_.args.begin(), options_.args.end());

    std::vector<std::pair<std::string, std::string>> overrides;
    if (options_.admin_from_env) {
      overrides = {{"CAIRN_ADMIN_ACCESS_KEY_ID", options_.admin_access_key_id},
                   {"CAIRN_ADMIN_SECRET_ACCESS_KEY", options_.admin_secret_access_key}};
    }
    overrides.insert(overrides.end(), options_.env.begin(), options_.env.end());
    std::vector<std::string> env_s;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string entry(*e);
      const std::string name = entry.substr(0, entry.find('='));
      bool overridden = false;
      for (const auto& [k, v] : overrides) overridden = overridden || k == name;
      // Flags given here must not be overridden by a CAIRN_* setting of the developer's shell.
      if (!overridden && name.rfind("CAIRN_", 0) != 0) env_s.push_back(entry);
    }
    for (const auto& [k, v] : overrides) env_s.push_back(k + "=" + v);

    // Appends: a temporary dir has no log yet, a fixed dir keeps the log of every start.
    const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot create " + log_path_ + ": " + std::strerror(errno));
    try {
      pid_ = spawn_process(argv_s, env_s, log_fd, log_fd);
    } catch (...) {
      ::close(log_fd);
      throw;
    }
    ::close(log_fd);

    const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
    while (true) {
      if (read_port_file()) return;
      if (!running()) {
        throw std::runtime_error("cairnd exited during start-up (wait status " +
                                 std::to_string(exit_status_) + "); log " + log_path_ + ":\n" + log_tail());
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        stop();
        throw std::runtime_error("cairnd did not write its port file within " +
                                 std::to_string(options_.start_timeout.count()) + " ms; log " + log_path_ +
                                 ":\n" + log_tail());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  /// Parses "host:port\n" once the file is complete (cairnd writes it atomically).
  bool read_port_file() {
    std::ifstream in(port_file_);
    if (!in) return false;
    std::string text;
    std::getline(in, text);
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 >= text.size()) return false;
    const std::string port_text = text.substr(colon + 1);
    if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5) return false;
    const int port = std::stoi(port_text);
    if (port <= 0 || port > 65535) return false;
    host_ = text.substr(0, colon);
    port_ = static_cast<unsigned short>(port);
    return true;
  }

  void cleanup() {
    if (dir_.empty() || !options_.dir.empty() || options_.keep_dir ||
        std::getenv("CAIRN_TEST_KEEP_DIRS") != nullptr) {
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  CairndOptions options_;
  std::string dir_;
  std::string data_dir_;
  std::string port_file_;
  std::string log_path_;
  std::string host_;
  unsigned short port_ = 0;
  pid_t pid_ = -1;
  int exit_status_ = 0;
};

}  // namespace cairn::test
