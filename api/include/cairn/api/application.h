#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cairn/api/http.h"

namespace cairn::api {

/// cairnd's configuration; every field also has a command-line flag and a CAIRN_* environment variable.
struct Config {
  std::string data_dir = "./cairn-data";
  std::string listen = "127.0.0.1:7480";  ///< HOST:PORT; port 0 picks a free one
  std::string database_url;               ///< empty: embedded SQLite in data_dir
  std::string catalog_id = "000000000000";
  std::string master_key_file;  ///< empty: data_dir/master.key
  std::string port_file;        ///< when set, "host:port" is written here once accepting
  int db_pool_size = 8;
  std::int64_t crawler_lease_ms = 30000;              ///< a crawl's lease (renewed every second)
  std::int64_t crawler_scheduler_interval_ms = 5000;  ///< how often due schedules are checked
  /// Threads, limits and timeouts of the HTTP server; host and port come from `listen`.
  ServerOptions server;
};

/// The assembled server: store, secrets, authentication, authorization, service, HTTP. One per process.
class Application {
 public:
  /// Validates the configuration, opens and migrates the store, bootstraps the administrator. Throws
  /// cairn::Error (InvalidArgument for bad flags, Unavailable / FailedPrecondition for the store).
  explicit Application(Config config);
  ~Application();

  /// Starts serving; throws std::runtime_error when the address cannot be bound.
  void start();
  void stop();
  unsigned short port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::api
