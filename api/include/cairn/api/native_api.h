#pragma once

#include "cairn/api/http.h"
#include "cairn/api/service.h"

namespace cairn::api {

class CrawlerService;
class ClassificationService;

/// The native REST API under /v1/ (see docs/api/openapi.yaml): a thin translation of HTTP onto
/// CatalogService.
class NativeApi {
 public:
  explicit NativeApi(CatalogService& service) : service_(service) {}
  /// Serves /v1/crawlers and /v1/connections with `crawlers` (absent: those paths are 404).
  void set_crawlers(CrawlerService* crawlers) { crawlers_ = crawlers; }
  /// Serves the classification routes with `classification` (absent: those paths are 404).
  void set_classification(ClassificationService* classification) { classification_ = classification; }

  /// Answers an authenticated request whose path starts with /v1/. Throws cairn::Error for failures
  /// (the caller turns them into JSON errors); unknown routes throw Error(NotFound), a known path with
  /// another method gets 405.
  HttpResponse handle(const HttpRequest& req, const Caller& caller);

 private:
  CatalogService& service_;
  CrawlerService* crawlers_ = nullptr;
  ClassificationService* classification_ = nullptr;
};

}  // namespace cairn::api
