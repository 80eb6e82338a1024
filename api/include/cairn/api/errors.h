#pragma once

#include <string>

#include "cairn/api/http.h"
#include "cairn/catalog/error.h"

namespace cairn::api {

/// HTTP status for an error code (InvalidArgument 400, Unauthenticated 401, AccessDenied 403, NotFound 404,
/// AlreadyExists/VersionConflict/FailedPrecondition 409, PayloadTooLarge 413, TooManyRequests 429,
/// Unavailable 503, Internal 500).
int http_status(ErrorCode code);

/// {"error":{"code":"…","message":"…","request_id":"…"[,"field":"…"]}} with the matching status.
HttpResponse error_response(ErrorCode code, const std::string& message, const std::string& request_id,
                            const std::string& field = {});
HttpResponse error_response(const Error& error, const std::string& request_id);

}  // namespace cairn::api
