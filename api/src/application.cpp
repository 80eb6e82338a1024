#include "cairn/api/application.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cairn/api/classification_service.h"
#include "cairn/api/crawler_service.h"
#include "cairn/api/errors.h"
#include "cairn/api/http.h"
#include "cairn/api/metrics.h"
#include "cairn/api/native_api.h"
#include "cairn/api/service.h"
#include "cairn/authz/audit.h"
#include "cairn/authz/authorizer.h"
#include "cairn/authz/identity.h"
#include "cairn/authz/policy_engine.h"
#include "cairn/authz/secret_box.h"
#include "cairn/catalog/names.h"
#include "cairn/catalog/store.h"
#include "glue_api.h"
#include "lakeformation_api.h"

namespace cairn::api {

namespace {

struct ListenAddress {
  std::string host;
  unsigned short port = 0;
};

ListenAddress parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    throw_invalid("listen", "--listen must be HOST:PORT (e.g. 127.0.0.1:7480), got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = listen.substr(colon + 1);
  int port = -1;
  if (port_text.size() <= 5 && port_text.find_first_not_of("0123456789") == std::string::npos) {
    port = std::stoi(port_text);
  }
  if (port < 0 || port > 65535)
    throw_invalid("listen", "--listen port must be 0..65535, got '" + port_text + "'");
  return {host, static_cast<unsigned short>(port)};
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Writes `content` to `path` atomically (temporary file + rename).
void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

struct Application::Impl {
  Config config;
  ListenAddress address;
  std::unique_ptr<catalog::Store> store;
  std::unique_ptr<authz::SecretBox> secrets;
  std::unique_ptr<authz::Authenticator> authenticator;
  std::unique_ptr<authz::PolicyEngine> engine;
  std::unique_ptr<authz::AuditLog> audit;
  std::unique_ptr<CatalogService> service;
  std::unique_ptr<CrawlerService> crawlers;
  std::unique_ptr<ClassificationService> classification;
  std::unique_ptr<NativeApi> native;
  Metrics metrics;
  std::unique_ptr<HttpServer> server;

  HttpResponse handle(const HttpRequest& req) {
    const auto start = std::chrono::steady_clock::now();
    HttpResponse resp;
    try {
      resp = dispatch(req);
    } catch (const Error& e) {
      resp = error_response(e, req.request_id);
      if (e.code() == ErrorCode::Internal || e.code() == ErrorCode::Unavailable) {
        spdlog::error("[{}] {} {}: {}", req.request_id, req.method, req.path, e.what());
      } else {
        spdlog::debug("[{}] {} {} -> {}: {}", req.request_id, req.method, req.path, error_code_name(e.code()),
                      e.what());
      }
    } catch (const std::exception& e) {
      spdlog::error("[{}] {} {}: unexpected error: {}", req.request_id, req.method, req.path, e.what());
      resp =
          error_response(ErrorCode::Internal,
                         "internal error; see the server log for request " + req.request_id, req.request_id);
    }
    metrics.record(resp.status,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return resp;
  }

  HttpResponse dispatch(const HttpRequest& req) {
    if (req.path == "/healthz") return HttpResponse{200, "application/json", {}, R"({"status":"ok"})"};
    if (req.path == "/readyz") return readyz();
    if (req.method == "POST" && is_lakeformation_operation(req.path))
      return handle_lakeformation(*service, *authenticator, req);
    if (is_glue_request(req)) return handle_glue(*service, *crawlers, *classification, *authenticator, req);
    const authz::RequestView signable{req.method, req.path, req.query, req.headers, req.body};
    authz::Caller caller = authenticator->authenticate(signable, unix_now());
    caller.request_id = req.request_id;
    if (req.path == "/metrics") {
      HttpResponse resp;
      resp.content_type = "text/plain; version=0.0.4";
      resp.body =
          metrics.render(std::string(store->backend()),
                         AuditFigures{audit->written(), audit->waiting(), audit->writer_in_background()});
      return resp;
    }
    if (req.path.rfind("/v1/", 0) == 0) return native->handle(req, caller);
    throw Error(ErrorCode::NotFound, "no such resource: " + req.path);
  }

  HttpResponse readyz() {
    bool ready = false;
    int version = 0;
    try {
      ready = store->ready();
      if (ready) version = store->schema_version();
    } catch (const std::exception& e) {
      spdlog::warn("readiness check failed: {}", e.what());
      ready = false;
    }
    nlohmann::json body = {{"status", ready ? "ready" : "unavailable"},
                           {"store", std::string(store->backend())}};
    if (ready) body["schema_version"] = version;
    return HttpResponse{ready ? 200 : 503, "application/json", {}, body.dump()};
  }
};

Application::Application(Config config) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.config = std::move(config);
  catalog::validate_catalog_id(s.config.catalog_id);
  s.address = parse_listen(s.config.listen);
  if (s.config.data_dir.empty()) throw_invalid("data_dir", "--data-dir must not be empty");
  if (std::filesystem::create_directories(s.config.data_dir)) {
    // The directory holds the master key and the administrator's credentials: owner only.
    std::filesystem::permissions(s.config.data_dir, std::filesystem::perms::owner_all);
  }
  const std::string key_file =
      s.config.master_key_file.empty() ? s.config.data_dir + "/master.key" : s.config.master_key_file;
  s.secrets = std::make_unique<authz::SecretBox>(authz::SecretBox::from_key_file(key_file, true));
  s.store = catalog::open_store(s.config.data_dir, s.config.database_url, s.config.db_pool_size);
  spdlog::info("store: {} (schema version {})", s.store->backend(), s.store->schema_version());

  authz::bootstrap_admin(*s.store, *s.secrets, s.config.catalog_id, s.config.data_dir);  // logs what it did

  s.authenticator = std::make_unique<authz::Authenticator>(*s.store, *s.secrets, s.config.catalog_id);
  s.engine = std::make_unique<authz::PolicyEngine>(*s.store);
  s.engine->start_watching();
  s.audit = std::make_unique<authz::AuditLog>(*s.store);
  s.service = std::make_unique<CatalogService>(*s.store, *s.engine, *s.audit, *s.secrets, s.config.catalog_id,
                                               s.authenticator.get());
  CrawlerServiceOptions crawler_options;
  crawler_options.lease_ms = s.config.crawler_lease_ms;
  crawler_options.scheduler_interval_ms = s.config.crawler_scheduler_interval_ms;
  s.crawlers = std::make_unique<CrawlerService>(*s.service, crawler_options);
  s.classification = std::make_unique<ClassificationService>(
      *s.service,
      [crawlers = s.crawlers.get()](const catalog::Table& t) { return crawlers->s3_client_for(t); });
  // Tables a crawl writes are classified at once, so that tag policies act on their PII columns.
  s.crawlers->set_table_written([classification = s.classification.get()](const std::string& crawler,
                                                                          const std::string& db,
                                                                          const std::string& table) {
    classification->classify_crawled(crawler, db, table);
  });
  s.native = std::make_unique<NativeApi>(*s.service);
  s.native->set_crawlers(s.crawlers.get());
  s.native->set_classification(s.classification.get());

  ServerOptions options = s.config.server;
  options.host = s.address.host;
  options.port = s.address.port;
  s.server =
      std::make_unique<HttpServer>(options, [this](const HttpRequest& req) { return impl_->handle(req); });
}

Application::~Application() {
  stop();
}

void Application::start() {
  impl_->server->start();
  impl_->crawlers->start();
  const std::string bound = impl_->address.host + ":" + std::to_string(impl_->server->port());
  if (!impl_->config.port_file.empty()) write_file_atomically(impl_->config.port_file, bound + "\n");
}

void Application::stop() {
  if (!impl_) return;
  if (impl_->server) impl_->server->stop();
  if (impl_->crawlers) impl_->crawlers->stop();  // running crawls record STOPPED
  if (impl_->engine) impl_->engine->stop_watching();
  if (impl_->audit) impl_->audit->stop();  // flushes every queued entry: a clean shutdown loses nothing
}

unsigned short Application::port() const {
  return impl_->server->port();
}

}  // namespace cairn::api
