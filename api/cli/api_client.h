#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/api/http_client.h"
#include "cli_error.h"
#include "credentials.h"

namespace cairn::api::cli {

using Query = std::vector<std::pair<std::string, std::string>>;

/// "/seg1/seg2/…" with each segment percent-encoded.
std::string api_path(std::initializer_list<std::string_view> segments);
/// `base` followed by each value as one percent-encoded segment.
std::string api_path(std::string base, const std::vector<std::string>& segments);

/// A non-2xx answer from the server. Exit code 1 for 4xx, 2 for 5xx; what() is the one-line message.
class ApiError : public CliError {
 public:
  /// Exit code 2 for status >= 500, else 1; `hint` (may be empty) is appended after a dash.
  ApiError(int status, std::string code, std::string message, std::string request_id, std::string field,
           std::string hint);
  /// HTTP status of the answer.
  int status() const { return status_; }
  /// The server's error code ("NotFound", …); empty when the body had none.
  const std::string& code() const { return code_; }
  /// The server's message, without code or request id.
  const std::string& server_message() const { return message_; }
  /// The request id from the error body or x-request-id; may be empty.
  const std::string& request_id() const { return request_id_; }
  /// The field the error is about; may be empty.
  const std::string& field() const { return field_; }

 private:
  int status_;
  std::string code_;
  std::string message_;
  std::string request_id_;
  std::string field_;
};

/// Builds the one-line message "<message> (<code>, field <f>, request <id>)"; the field is left out when the
/// message already names it.
std::string format_api_error(const std::string& message, const std::string& code, const std::string& field,
                             const std::string& request_id);

/// Signs every request with SigV4 (service "cairn") and turns answers into JSON or ApiError.
class ApiClient {
 public:
  /// Throws UserError when `endpoint_url` is not a valid http:// URL.
  ApiClient(std::string endpoint_url, Credentials credentials, std::string region,
            std::chrono::seconds timeout);

  /// Sends one signed request. Returns the parsed JSON body of a 2xx answer (null for an empty body); throws
  /// ApiError for 4xx/5xx and CliError(2) when the server cannot be reached or answers garbage.
  nlohmann::json call(const std::string& method, const std::string& path, const Query& query = {},
                      const nlohmann::json* body = nullptr);
  /// call() shorthands for each method.
  nlohmann::json get(const std::string& path, const Query& query = {}) { return call("GET", path, query); }
  nlohmann::json post(const std::string& path, const nlohmann::json& body) {
    return call("POST", path, {}, &body);
  }
  nlohmann::json put(const std::string& path, const nlohmann::json& body) {
    return call("PUT", path, {}, &body);
  }
  nlohmann::json patch(const std::string& path, const nlohmann::json& body) {
    return call("PATCH", path, {}, &body);
  }
  nlohmann::json del(const std::string& path) { return call("DELETE", path); }

  /// Follows next_token pages of a list whose items are in `key`, concatenating them into one response of the
  /// same shape. With `max` > 0 it stops after `max` items and keeps the server's next_token when more
  /// remain.
  nlohmann::json list_all(const std::string& path, const std::string& key, Query query = {},
                          std::size_t max = 0);

  /// The credentials requests are signed with.
  const Credentials& credentials() const { return credentials_; }

 private:
  std::string endpoint_url_;
  Credentials credentials_;
  std::string region_;
  std::chrono::seconds timeout_;
  HttpClient http_;
};

}  // namespace cairn::api::cli
