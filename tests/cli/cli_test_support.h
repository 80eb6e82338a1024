#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace cairn::cli_test {

/// Exit code and captured output of a finished process.
struct RunResult {
  int exit_code = -1;  ///< exit status, or 128+signal when killed
  std::string out;
  std::string err;
};

/// Runs `program` with `args` and exactly the environment `env` ("NAME=value"), stdin from /dev/null,
/// capturing stdout and stderr. Kills the process after `timeout` (exit_code then reports the signal).
RunResult run_process(const std::string& program, const std::vector<std::string>& args,
                      const std::vector<std::string>& env,
                      std::chrono::seconds timeout = std::chrono::seconds(60));

/// A fresh directory under TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// A `cairnd` child process on a free port of 127.0.0.1.
class CairndProcess {
 public:
  CairndProcess() = default;
  ~CairndProcess();
  CairndProcess(const CairndProcess&) = delete;
  CairndProcess& operator=(const CairndProcess&) = delete;

  /// Starts cairnd with --data-dir, --listen 127.0.0.1:0 and --port-file plus `extra_args`, in environment
  /// `env`, and waits (up to 60 s) until it writes its port. Throws std::runtime_error with the log on
  /// failure.
  void start(const std::string& data_dir, const std::vector<std::string>& extra_args,
             const std::vector<std::string>& env);
  /// SIGTERM, then SIGKILL after 10 s; idempotent.
  void stop();
  /// "http://127.0.0.1:PORT".
  const std::string& endpoint() const { return endpoint_; }
  /// What cairnd wrote to stdout and stderr so far.
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string endpoint_;
  std::string log_path_;
};

/// Contents of a file; empty when it cannot be read.
std::string read_file(const std::string& path);
/// Writes `text` to `path` (mode 0600); throws std::runtime_error on failure.
void write_file(const std::string& path, const std::string& text);
/// A port on 127.0.0.1 that nothing listens on right now (bound, then released).
int unused_port();
/// `prefix` followed by a suffix unique to this process run, lower-case letters and digits.
std::string unique_name(const std::string& prefix);

}  // namespace cairn::cli_test
