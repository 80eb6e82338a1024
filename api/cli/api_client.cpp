#include "api_client.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "cairn/api/http_util.h"
#include "cairn/authz/sigv4.h"
#include "specs.h"

namespace cairn::api::cli {
namespace {

Endpoint parse_endpoint(const std::string& url) {
  try {
    return Endpoint::parse(url);
  } catch (const std::exception& e) {
    throw UserError("invalid --endpoint '" + url + "': " + e.what());
  }
}

std::string first_line(const std::string& text, std::size_t limit) {
  std::string line = text.substr(0, text.find_first_of("\r\n"));
  if (line.size() > limit) line = line.substr(0, limit) + "...";
  return line;
}

std::string header_value(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (to_lower(key) == to_lower(name)) return value;
  }
  return {};
}

std::string connection_message(const std::string& endpoint, const std::string& what,
                               std::chrono::seconds timeout) {
  const std::string lower = to_lower(what);
  if (lower.find("refused") != std::string::npos) {
    return "cannot connect to " + endpoint + ": connection refused \u2014 is cairnd running?";
  }
  if (lower.find("timed out") != std::string::npos || lower.find("timeout") != std::string::npos) {
    return "no answer from " + endpoint + " within " + std::to_string(timeout.count()) +
           "s (timeout) \u2014 is cairnd overloaded or is something else listening there?";
  }
  return "cannot connect to " + endpoint + ": " + what;
}

/// A hint for errors whose cause is usually the caller's setup rather than the request.
std::string hint_for(int status, const Credentials& creds) {
  if (status == 401) return "credentials from " + creds.source;
  return {};
}

}  // namespace

std::string api_path(std::initializer_list<std::string_view> segments) {
  std::string path;
  for (const auto segment : segments) path += "/" + percent_encode_segment(segment);
  return path;
}

std::string api_path(std::string base, const std::vector<std::string>& segments) {
  for (const auto& segment : segments) base += "/" + percent_encode_segment(segment);
  return base;
}

std::string format_api_error(const std::string& message, const std::string& code, const std::string& field,
                             const std::string& request_id) {
  std::string details = code;
  if (!field.empty() && message.find(field) == std::string::npos) {
    details += (details.empty() ? "" : ", ") + std::string("field ") + field;
  }
  if (!request_id.empty()) details += (details.empty() ? "" : ", ") + std::string("request ") + request_id;
  return details.empty() ? message : message + " (" + details + ")";
}

ApiError::ApiError(int status, std::string code, std::string message, std::string request_id,
                   std::string field, std::string hint)
    : CliError(status >= 500 ? kExitServerError : kExitUserError,
               format_api_error(message, code, field, request_id) + (hint.empty() ? "" : " \u2014 " + hint)),
      status_(status),
      code_(std::move(code)),
      message_(std::move(message)),
      request_id_(std::move(request_id)),
      field_(std::move(field)) {}

ApiClient::ApiClient(std::string endpoint_url, Credentials credentials, std::string region,
                     std::chrono::seconds timeout)
    : endpoint_url_(std::move(endpoint_url)),
      credentials_(std::move(credentials)),
      region_(std::move(region)),
      timeout_(timeout),
      http_(parse_endpoint(endpoint_url_), timeout) {}

nlohmann::json ApiClient::call(const std::string& method, const std::string& path, const Query& query,
                               const nlohmann::json* body) {
  std::string query_string;
  for (const auto& [key, value] : query) {
    query_string +=
        (query_string.empty() ? "" : "&") + url_encode_query_value(key) + "=" + url_encode_query_value(value);
  }

  authz::SignableRequest request;
  request.method = method;
  request.path = path;
  request.query = query_string;
  request.headers.emplace_back("host", http_.endpoint().host_header());
  request.headers.emplace_back("accept", "application/json");
  if (body != nullptr) {
    request.body = body->dump();
    request.headers.emplace_back("content-type", "application/json");
  }
  authz::sign_request(request, credentials_.access_key_id, credentials_.secret_access_key, region_, "cairn",
                      {}, credentials_.session_token);

  const std::string target = query_string.empty() ? path : path + "?" + query_string;
  HttpResponse response;
  try {
    response = http_.send(method, target, request.headers, request.body);
  } catch (const std::exception& e) {
    throw CliError(kExitServerError, connection_message(endpoint_url_, e.what(), timeout_));
  }

  nlohmann::json parsed;
  const bool has_body = response.body.find_first_not_of(" \t\r\n") != std::string::npos;
  bool is_json = true;
  if (has_body) {
    parsed = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    is_json = !parsed.is_discarded();
  }

  if (response.status >= 200 && response.status < 300) {
    if (!is_json) {
      throw CliError(kExitServerError,
                     "the server at " + endpoint_url_ + " answered " + method + " " + path +
                         " with something that is not JSON: " + first_line(response.body, 120));
    }
    return has_body ? parsed : nlohmann::json();
  }

  std::string code;
  std::string message;
  std::string request_id = header_value(response.headers, "x-request-id");
  std::string field;
  if (is_json && parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    const auto& error = parsed["error"];
    code = error.value("code", std::string());
    message = error.value("message", std::string());
    field = error.value("field", std::string());
    if (error.contains("request_id") && error["request_id"].is_string()) request_id = error["request_id"];
  }
  if (message.empty()) {
    message = "the server answered HTTP " + std::to_string(response.status);
    if (has_body && !is_json) message += ": " + first_line(response.body, 120);
  }
  throw ApiError(response.status, std::move(code), std::move(message), std::move(request_id),
                 std::move(field), hint_for(response.status, credentials_));
}

nlohmann::json ApiClient::list_all(const std::string& path, const std::string& key, Query query,
                                   std::size_t max) {
  nlohmann::json result;
  nlohmann::json items = nlohmann::json::array();
  std::string token;
  constexpr std::size_t kPageSize = 1000;
  while (true) {
    Query page_query = query;
    if (max > 0)
      page_query.emplace_back("max_results", std::to_string(std::min(kPageSize, max - items.size())));
    if (!token.empty()) page_query.emplace_back("next_token", token);
    nlohmann::json page = get(path, page_query);
    if (!page.is_object()) {
      throw CliError(kExitServerError,
                     "the server answered GET " + path + " with something that is not an object");
    }
    if (page.contains(key) && page[key].is_array()) {
      for (auto& item : page[key]) items.push_back(std::move(item));
    }
    token = page.contains("next_token") && page["next_token"].is_string()
                ? page["next_token"].get<std::string>()
                : std::string();
    if (result.is_null()) result = std::move(page);
    if (token.empty() || (max > 0 && items.size() >= max)) break;
  }
  if (max > 0 && items.size() > max)
    items.erase(items.begin() + static_cast<std::ptrdiff_t>(max), items.end());
  result[key] = std::move(items);
  if (token.empty()) {
    result.erase("next_token");
  } else {
    result["next_token"] = token;
  }
  return result;
}

}  // namespace cairn::api::cli
