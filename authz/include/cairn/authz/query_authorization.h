#pragma once

// Query authorization ids: what the engine resolve endpoint hands out so that a downstream component (a
// storage proxy, a credential vendor, an audit pipeline) can check that a query on a table was authorized for
// a principal until a time, without asking the catalog again. HMAC-SHA256-signed; see docs/engines.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/authz/secret_box.h"
#include "cairn/catalog/model.h"

namespace cairn::authz {

struct QueryAuthorization {
  std::string principal;  ///< canonical principal id ("user:alice")
  std::string database;
  std::string table;
  std::int64_t table_version = 0;
  catalog::Timestamp issued_at = 0;
  catalog::Timestamp expires_at = 0;
  std::string nonce;  ///< 16 random hex characters, set by issue
};

/// "qa1.<base64url(JSON payload)>.<hex HMAC-SHA256 of 'qa1.' + payload part>" under
/// box.derive_key("cairn/query-authorization/v1"). Sets `qa.nonce`.
std::string issue_query_authorization(const SecretBox& box, QueryAuthorization& qa);
/// The authorization when `id` is well formed, correctly signed and not expired at `now`; nullopt otherwise
/// (never throws for bad input).
std::optional<QueryAuthorization> verify_query_authorization(const SecretBox& box, std::string_view id,
                                                             catalog::Timestamp now);

}  // namespace cairn::authz
