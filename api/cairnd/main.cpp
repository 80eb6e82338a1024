#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "cairn/api/application.h"
#include "cairn/catalog/error.h"

namespace {

/// Blocks SIGINT/SIGTERM in every thread and waits for one of them on the main thread.
int wait_for_signal(sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cairnd: the Cairn metadata catalog and governance server"};
  app.footer(
      "Every flag can also be set by its environment variable (shown in brackets).\n"
      "Examples:\n"
      "  cairnd                                   # embedded SQLite store in ./cairn-data, 127.0.0.1:7480\n"
      "  cairnd --database-url postgresql://cairn@db:5432/cairn --listen 0.0.0.0:7480\n");
  cairn::api::Config config;
  std::string log_level = "info";
  int read_timeout_seconds = static_cast<int>(config.server.read_timeout.count());
  app.add_option("--data-dir", config.data_dir,
                 "Directory for the embedded store, master key and admin credentials")
      ->envname("CAIRN_DATA_DIR")
      ->capture_default_str();
  app.add_option("--listen", config.listen, "HOST:PORT to serve on (port 0 picks a free port)")
      ->envname("CAIRN_LISTEN")
      ->capture_default_str();
  app.add_option(
         "--database-url", config.database_url,
         "postgresql://user[:password]@host:port/dbname; without it the catalog is an embedded SQLite file")
      ->envname("CAIRN_DATABASE_URL");
  app.add_option("--catalog-id", config.catalog_id, "12-digit catalog (account) id used in ARNs")
      ->envname("CAIRN_CATALOG_ID")
      ->capture_default_str();
  app.add_option("--master-key-file", config.master_key_file,
                 "AES-256 key sealing secrets at rest (default DATA_DIR/master.key, created if missing)")
      ->envname("CAIRN_MASTER_KEY_FILE");
  app.add_option("--port-file", config.port_file, "Write the bound HOST:PORT to this file once serving")
      ->envname("CAIRN_PORT_FILE");
  app.add_option("--io-threads", config.server.io_threads, "Threads running network I/O")
      ->envname("CAIRN_IO_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--worker-threads", config.server.worker_threads,
                 "Threads running requests against the store")
      ->envname("CAIRN_WORKER_THREADS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--active-workers", config.server.active_workers,
                 "Worker threads woken for queued requests at once (0: one per core, at least 2); the rest "
                 "wake for a request that has waited 2 ms")
      ->envname("CAIRN_ACTIVE_WORKERS")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  app.add_option("--db-pool-size", config.db_pool_size, "PostgreSQL connections per node")
      ->envname("CAIRN_DB_POOL_SIZE")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--body-limit", config.server.body_limit, "Largest request body in bytes (larger gets 413)")
      ->envname("CAIRN_BODY_LIMIT")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--read-timeout", read_timeout_seconds, "Seconds a connection may stay idle or slow")
      ->envname("CAIRN_READ_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--crawler-lease-ms", config.crawler_lease_ms,
                 "How long a crawl's lease lasts without renewal before another node may take over")
      ->envname("CAIRN_CRAWLER_LEASE_MS")
      ->check(CLI::Range(std::int64_t{300}, std::int64_t{3600000}));
  app.add_option("--crawler-scheduler-interval-ms", config.crawler_scheduler_interval_ms,
                 "How often each node checks for crawler schedules that are due")
      ->envname("CAIRN_CRAWLER_SCHEDULER_INTERVAL_MS")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{3600000}));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->envname("CAIRN_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  config.server.read_timeout = std::chrono::seconds(read_timeout_seconds);

  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts, so all inherit the mask
  std::signal(SIGPIPE, SIG_IGN);

  try {
    cairn::api::Application server(config);
    server.start();
    const int sig = wait_for_signal(signals);
    spdlog::info("received signal {}, shutting down", sig);
    server.stop();
  } catch (const cairn::Error& e) {
    const std::string field = e.field().empty() ? "" : " (" + e.field() + ")";
    spdlog::critical("cannot start: {}{}", e.what(), field);
    return e.code() == cairn::ErrorCode::InvalidArgument ? 2 : 1;
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  return 0;
}
