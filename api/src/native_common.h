#pragma once

// Helpers shared by the native API's route files (native_api.cpp, governance_api.cpp). Internal header.

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/api/classification_service.h"
#include "cairn/api/crawler_service.h"
#include "cairn/api/http.h"
#include "cairn/api/service.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"

namespace cairn::api::native {

using nlohmann::json;

/// Parsed request context shared by the route handlers.
struct Ctx {
  const HttpRequest& req;
  const Caller& caller;
  std::vector<std::string> seg;                            ///< decoded path segments
  std::vector<std::pair<std::string, std::string>> query;  ///< decoded query parameters

  std::string param(const std::string& name) const {
    for (const auto& [k, v] : query) {
      if (k == name) return v;
    }
    return {};
  }
};

inline HttpResponse json_response(int status, const json& body) {
  HttpResponse resp;
  resp.status = status;
  resp.body = body.dump();
  return resp;
}

inline HttpResponse no_content() {
  HttpResponse resp;
  resp.status = 204;
  resp.content_type.clear();
  return resp;
}

inline HttpResponse method_not_allowed(const Ctx& ctx, const char* allow) {
  HttpResponse resp;
  resp.status = 405;
  resp.headers.emplace_back("Allow", allow);
  resp.body =
      json{{"error",
            {{"code", "MethodNotAllowed"},
             {"message", "method " + ctx.req.method + " is not allowed here (allowed: " + allow + ")"},
             {"request_id", ctx.req.request_id}}}}
          .dump();
  return resp;
}

inline catalog::PageRequest page_request(const Ctx& ctx) {
  catalog::PageRequest page;
  page.token = ctx.param("next_token");
  const std::string max = ctx.param("max_results");
  if (!max.empty()) {
    int n = 0;
    auto [ptr, ec] = std::from_chars(max.data(), max.data() + max.size(), n);
    if (ec != std::errc() || ptr != max.data() + max.size() || n < 1 || n > 1000) {
      throw_invalid("max_results", "max_results must be an integer from 1 to 1000, got '" + max + "'");
    }
    page.limit = n;
  }
  return page;
}

template <class T, class ToJson>
json page_json(const char* key, const catalog::Page<T>& page, ToJson to) {
  json items = json::array();
  for (const auto& item : page.items) items.push_back(to(item));
  json out = {{key, std::move(items)}};
  if (!page.next_token.empty()) out["next_token"] = page.next_token;
  return out;
}

/// Routes the governance paths (docs/api/openapi.yaml, "Governance"); nullopt when the path is not one.
std::optional<HttpResponse> route_governance(CatalogService& service, Ctx& ctx);
/// Routes /v1/crawlers and /v1/connections (docs/api/openapi.yaml, "Crawlers"); nullopt for other paths.
std::optional<HttpResponse> route_crawlers(CrawlerService& service, Ctx& ctx);
/// /v1/classification/settings, /v1/entity-types, /v1/classifications and a table's classifications.
std::optional<HttpResponse> route_classification(ClassificationService& service, Ctx& ctx);

}  // namespace cairn::api::native
