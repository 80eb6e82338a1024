#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cairn {

/// The kind of failure; the HTTP layer maps each to one status code (see api/src/errors.cpp).
enum class ErrorCode {
  InvalidArgument,     ///< 400: bad input; `field` names the offending field
  Unauthenticated,     ///< 401: missing or bad signature / unknown key
  AccessDenied,        ///< 403: authenticated but not allowed
  NotFound,            ///< 404: entity does not exist (or may not be seen)
  AlreadyExists,       ///< 409: create of an existing entity
  VersionConflict,     ///< 409: optimistic concurrency failure (stale version id)
  FailedPrecondition,  ///< 409: the entity is in a state that forbids the operation
  PayloadTooLarge,     ///< 413
  TooManyRequests,     ///< 429
  Unavailable,         ///< 503: store unreachable, shutting down
  Internal,            ///< 500: a bug; never for bad input
};

/// Stable wire name of a code, e.g. "InvalidArgument".
std::string_view error_code_name(ErrorCode code);

/// Exceptions end a request: the HTTP session's top-level handler turns them into JSON errors.
/// Expected "not found" on a lookup is a value (std::optional), not an exception.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::string field = {})
      : std::runtime_error(std::move(message)), code_(code), field_(std::move(field)) {}

  ErrorCode code() const { return code_; }
  /// The request field the error is about (dotted path, e.g. "storage_descriptor.columns[2].type"); may be
  /// empty.
  const std::string& field() const { return field_; }

 private:
  ErrorCode code_;
  std::string field_;
};

/// Throws Error(InvalidArgument) naming `field`.
[[noreturn]] void throw_invalid(std::string field, std::string message);
/// Throws Error(NotFound).
[[noreturn]] void throw_not_found(std::string message);

}  // namespace cairn
