#include "cairn/api/errors.h"

#include <nlohmann/json.hpp>

namespace cairn::api {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return 400;
    case ErrorCode::Unauthenticated:
      return 401;
    case ErrorCode::AccessDenied:
      return 403;
    case ErrorCode::NotFound:
      return 404;
    case ErrorCode::AlreadyExists:
    case ErrorCode::VersionConflict:
    case ErrorCode::FailedPrecondition:
      return 409;
    case ErrorCode::PayloadTooLarge:
      return 413;
    case ErrorCode::TooManyRequests:
      return 429;
    case ErrorCode::Unavailable:
      return 503;
    case ErrorCode::Internal:
      return 500;
  }
  return 500;
}

HttpResponse error_response(ErrorCode code, const std::string& message, const std::string& request_id,
                            const std::string& field) {
  nlohmann::json err = {
      {"code", std::string(error_code_name(code))}, {"message", message}, {"request_id", request_id}};
  if (!field.empty()) err["field"] = field;
  HttpResponse resp;
  resp.status = http_status(code);
  resp.body = nlohmann::json{{"error", err}}.dump();
  if (code == ErrorCode::Unauthenticated) resp.headers.emplace_back("WWW-Authenticate", "AWS4-HMAC-SHA256");
  return resp;
}

HttpResponse error_response(const Error& error, const std::string& request_id) {
  return error_response(error.code(), error.what(), request_id, error.field());
}

}  // namespace cairn::api
