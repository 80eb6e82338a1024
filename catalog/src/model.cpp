#include "cairn/catalog/model.h"

#include <chrono>

namespace cairn::catalog {

Timestamp now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* principal_kind_name(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::User:
      return "user";
    case PrincipalKind::Role:
      return "role";
    case PrincipalKind::Group:
      return "group";
  }
  return "user";
}

}  // namespace cairn::catalog
