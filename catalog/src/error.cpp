#include "cairn/catalog/error.h"

namespace cairn {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "InvalidArgument";
    case ErrorCode::Unauthenticated:
      return "Unauthenticated";
    case ErrorCode::AccessDenied:
      return "AccessDenied";
    case ErrorCode::NotFound:
      return "NotFound";
    case ErrorCode::AlreadyExists:
      return "AlreadyExists";
    case ErrorCode::VersionConflict:
      return "VersionConflict";
    case ErrorCode::FailedPrecondition:
      return "FailedPrecondition";
    case ErrorCode::PayloadTooLarge:
      return "PayloadTooLarge";
    case ErrorCode::TooManyRequests:
      return "TooManyRequests";
    case ErrorCode::Unavailable:
      return "Unavailable";
    case ErrorCode::Internal:
      return "Internal";
  }
  return "Internal";
}

void throw_invalid(std::string field, std::string message) {
  throw Error(ErrorCode::InvalidArgument, std::move(message), std::move(field));
}

void throw_not_found(std::string message) {
  throw Error(ErrorCode::NotFound, std::move(message));
}

}  // namespace cairn
