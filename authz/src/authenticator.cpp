#include "cairn/authz/identity.h"

#include <cctype>

#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"

namespace cairn::authz {
namespace {

constexpr std::int64_t kMaxSkewSeconds = 15 * 60;

[[noreturn]] void unauthenticated(std::string message) {
  throw Error(ErrorCode::Unauthenticated, std::move(message));
}

/// Whether `scope` is "date/region/service" of `auth` (compared in place, without building that string).
bool same_scope(std::string_view scope, const SigV4Authorization& auth) {
  for (const std::string* part : {&auth.date, &auth.region, &auth.service}) {
    if (!scope.starts_with(*part)) return false;
    scope.remove_prefix(part->size());
    if (part == &auth.service) return scope.empty();
    if (scope.empty() || scope.front() != '/') return false;
    scope.remove_prefix(1);
  }
  return false;
}

}  // namespace

Authenticator::Authenticator(catalog::Store& store, const SecretBox& box, std::string catalog_id,
                             std::chrono::milliseconds cache_ttl)
    : store_(store), box_(box), catalog_id_(std::move(catalog_id)), cache_ttl_(cache_ttl) {}

void Authenticator::invalidate() const {
  std::lock_guard lock(cache_mutex_);
  cache_.clear();
}

Caller Authenticator::authenticate(const RequestView& req, std::int64_t now_seconds) const {
  const std::string* header = nullptr;
  for (const auto& [name, value] : req.headers) {
    if (!catalog::text::iequals_ascii(name, "authorization")) continue;
    if (header != nullptr) unauthenticated("more than one Authorization header");
    header = &value;
  }
  if (header == nullptr) {
    unauthenticated("missing Authorization header (requests must be signed with AWS Signature Version 4)");
  }
  std::string error;
  auto auth = parse_authorization(*header, &error);
  if (!auth) unauthenticated("malformed Authorization header: " + error);

  const auto now = std::chrono::steady_clock::now();
  std::shared_ptr<const CachedKey> cached;
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(auth->access_key_id); it != cache_.end()) {
      if (it->second->expires > now) {
        cached = it->second;
      } else {
        cache_.erase(it);
      }
    }
  }
  bool fresh = false;
  if (!cached) {
    const auto key = store_.get_access_key(auth->access_key_id);
    if (!key || key->status != catalog::AccessKeyStatus::Active) unauthenticated("invalid access key id");
    auto entry = std::make_shared<CachedKey>();
    entry->kind = key->owner_kind;
    entry->owner = key->owner_name;
    entry->arn = PrincipalRef{key->owner_kind, key->owner_name}.arn(catalog_id_);
    entry->expires = now + cache_ttl_;
    try {
      entry->secret = box_.open(key->sealed_secret);
    } catch (const Error&) {
      throw Error(ErrorCode::Internal, "the stored secret of access key " + auth->access_key_id +
                                           " cannot be opened (was the master key file replaced?)");
    }
    if (key->owner_kind == catalog::PrincipalKind::User)
      entry->groups = store_.list_groups_for_user(key->owner_name);
    cached = std::move(entry);
    fresh = true;
  }
  const CachedKey& entry = *cached;
  auto signing_key = [&] {
    std::lock_guard lock(entry.scope_mutex);
    if (!same_scope(entry.scope, *auth)) {
      entry.signing_key = derive_signing_key(entry.secret, auth->date, auth->region, auth->service);
      entry.scope = auth->date + "/" + auth->region + "/" + auth->service;
    }
    return entry.signing_key;
  };

  std::string detail;
  switch (verify_request_with_key(req, *auth, signing_key, now_seconds, kMaxSkewSeconds, &detail)) {
    case VerifyStatus::Ok:
      break;
    case VerifyStatus::ClockSkew:
      unauthenticated("request time is more than 15 minutes from server time: " + detail);
    case VerifyStatus::BadSignature:
      unauthenticated("signature does not match: " + detail);
    case VerifyStatus::BadPayloadHash:
      unauthenticated("payload hash does not match: " + detail);
    case VerifyStatus::UnknownService:
      unauthenticated("unknown service: " + detail);
    case VerifyStatus::MissingAuthorization:
    case VerifyStatus::Malformed:
      unauthenticated("malformed signed request: " + detail);
  }

  Caller caller;
  caller.principal = PrincipalRef{entry.kind, entry.owner};
  caller.arn = entry.arn;
  caller.access_key_id = std::move(auth->access_key_id);
  caller.groups = entry.groups;
  caller.is_admin = is_administrator(caller.principal);
  if (fresh && cache_ttl_.count() > 0) {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= kMaxCachedKeys) cache_.clear();
    cache_.try_emplace(caller.access_key_id, std::move(cached));
  }
  return caller;
}

}  // namespace cairn::authz
