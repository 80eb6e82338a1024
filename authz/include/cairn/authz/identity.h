#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cairn/authz/secret_box.h"
#include "cairn/authz/sigv4.h"
#include "cairn/catalog/model.h"
#include "cairn/catalog/store.h"

namespace cairn::authz {

/// A principal reference: kind + name, printable as an IAM-style ARN.
struct PrincipalRef {
  catalog::PrincipalKind kind = catalog::PrincipalKind::User;
  std::string name;
  /// arn:aws:iam::<catalog_id>:user/<name> (role/, group/).
  std::string arn(const std::string& catalog_id) const;
};

/// Parses "arn:aws:iam::<12 digits>:user/alice" (the account must equal `catalog_id`), "user:alice",
/// "role:etl", "group:analysts". Throws Error(InvalidArgument, field) with what is wrong.
PrincipalRef parse_principal(std::string_view text, const std::string& catalog_id,
                             const std::string& field = "principal");

/// The authenticated caller of a request.
struct Caller {
  PrincipalRef principal;
  std::string arn;
  std::vector<std::string> groups;  ///< group names the user belongs to
  std::string access_key_id;
  bool is_admin = false;
  std::string request_id;  ///< set by the server for the audit log
};

/// A fresh access key id (20 upper-case alphanumerics starting "AKIA" for users, "AROA" for roles — AWS's
/// prefixes) and a 40-character secret, from OpenSSL's RAND_bytes.
std::string generate_access_key_id(catalog::PrincipalKind owner_kind);
std::string generate_secret_access_key();

/// Authenticates SigV4-signed requests against the store's access keys (secrets sealed by `box`).
///
/// Verified keys are cached for `cache_ttl` (with their owner's groups), so a request does not wait on the
/// store for its credentials; invalidate() drops entries at once on this node after identity changes, and
/// other nodes sharing the store see a deactivated key or a membership change within `cache_ttl`. Unknown
/// keys are never cached, so a new key works at once.
class Authenticator {
 public:
  Authenticator(catalog::Store& store, const SecretBox& box, std::string catalog_id,
                std::chrono::milliseconds cache_ttl = std::chrono::milliseconds(1000));
  /// The caller, or throws Error(Unauthenticated) with a message that says what is wrong (never the secret,
  /// never whether a key id exists but is inactive vs. unknown beyond "invalid access key").
  Caller authenticate(const RequestView& req, std::int64_t now_seconds) const;
  /// Forgets every cached key (call after any change to access keys, principals or group memberships).
  void invalidate() const;

 private:
  struct CachedKey {
    catalog::PrincipalKind kind;
    std::string owner;
    std::string arn;  ///< the owner's ARN, formatted once
    std::string secret;
    std::vector<std::string> groups;
    std::chrono::steady_clock::time_point expires;
    /// The signing key of the last credential scope ("date/region/service") this key signed for: clients
    /// sign every request of a day with one scope, so four of the five HMACs of a check are skipped.
    mutable std::mutex scope_mutex;
    mutable std::string scope;        ///< guarded by scope_mutex
    mutable std::string signing_key;  ///< guarded by scope_mutex
  };
  static constexpr std::size_t kMaxCachedKeys = 10000;

  catalog::Store& store_;
  const SecretBox& box_;
  std::string catalog_id_;
  std::chrono::milliseconds cache_ttl_;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const CachedKey>>
      cache_;  ///< guarded by cache_mutex_
};

/// What bootstrap_admin did.
struct BootstrapResult {
  bool created = false;          ///< false when the store already had principals
  std::string credentials_file;  ///< set when a generated key was written to DIR/admin-credentials
  std::string access_key_id;
};

/// On an empty store: creates user "admin" and an access key — from CAIRN_ADMIN_ACCESS_KEY_ID /
/// CAIRN_ADMIN_SECRET_ACCESS_KEY when both are set, else generated and written to
/// `data_dir`/admin-credentials (mode 0600, INI, profile [cairn]). The secret is never logged.
BootstrapResult bootstrap_admin(catalog::Store& store, const SecretBox& box, const std::string& catalog_id,
                                const std::string& data_dir);

/// Name of the bootstrap administrator user.
inline constexpr std::string_view kAdminUser = "admin";

/// True for the data lake administrator (the bootstrap user), the one rule every component uses.
inline bool is_administrator(const PrincipalRef& principal) {
  return principal.kind == catalog::PrincipalKind::User && principal.name == kAdminUser;
}

}  // namespace cairn::authz
