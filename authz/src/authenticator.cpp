#include "cairn/authz/identity.h"

#include <cctype>

#include "cairn/catalog/error.h"

namespace cairn::authz {
namespace {

constexpr std::int64_t kMaxSkewSeconds = 15 * 60;

[[noreturn]] void unauthenticated(std::string message) {
  throw Error(ErrorCode::Unauthenticated, std::move(message));
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Authenticator::Authenticator(catalog::Store& store, const SecretBox& box, std::string catalog_id)
    : store_(store), box_(box), catalog_id_(std::move(catalog_id)) {}

Caller Authenticator::authenticate(const SignableRequest& req, std::int64_t now_seconds) const {
  const std::string* header = nullptr;
  for (const auto& [name, value] : req.headers) {
    if (!iequals(name, "authorization")) continue;
    if (header != nullptr) unauthenticated("more than one Authorization header");
    header = &value;
  }
  if (header == nullptr) {
    unauthenticated("missing Authorization header (requests must be signed with AWS Signature Version 4)");
  }
  std::string error;
  const auto auth = parse_authorization(*header, &error);
  if (!auth) unauthenticated("malformed Authorization header: " + error);

  const auto key = store_.get_access_key(auth->access_key_id);
  if (!key || key->status != catalog::AccessKeyStatus::Active) unauthenticated("invalid access key id");

  std::string secret;
  try {
    secret = box_.open(key->sealed_secret);
  } catch (const Error&) {
    throw Error(ErrorCode::Internal, "the stored secret of access key " + auth->access_key_id +
                                         " cannot be opened (was the master key file replaced?)");
  }

  std::string detail;
  switch (verify_request(req, *auth, secret, now_seconds, kMaxSkewSeconds, &detail)) {
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
  caller.principal = PrincipalRef{key->owner_kind, key->owner_name};
  caller.arn = caller.principal.arn(catalog_id_);
  caller.access_key_id = key->access_key_id;
  if (key->owner_kind == catalog::PrincipalKind::User) {
    caller.groups = store_.list_groups_for_user(key->owner_name);
    caller.is_admin = key->owner_name == kAdminUser;
  }
  return caller;
}

}  // namespace cairn::authz
