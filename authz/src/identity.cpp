#include "cairn/authz/identity.h"

#include "cairn/catalog/error.h"
#include "cairn/catalog/names.h"
#include "crypto_util.h"

namespace cairn::authz {
namespace {

std::optional<catalog::PrincipalKind> kind_from_word(std::string_view word) {
  if (word == "user") return catalog::PrincipalKind::User;
  if (word == "role") return catalog::PrincipalKind::Role;
  if (word == "group") return catalog::PrincipalKind::Group;
  return std::nullopt;
}

PrincipalRef make_ref(std::string_view text, std::string_view kind_word, std::string_view name,
                      const std::string& field) {
  const auto kind = kind_from_word(kind_word);
  if (!kind) {
    throw_invalid(field, "principal " + catalog::quote_for_message(text) + " has unknown kind " +
                             catalog::quote_for_message(kind_word) + " (expected user, role or group)");
  }
  if (name.find('/') != std::string_view::npos) {
    throw_invalid(field, "principal " + catalog::quote_for_message(text) +
                             " has a path in its name; IAM paths are not supported");
  }
  catalog::validate_principal_name(field, name);
  return PrincipalRef{*kind, std::string(name)};
}

/// Encodes 10 random bytes as 16 characters of RFC 4648 base32 ([A-Z2-7]), as AWS key ids are.
std::string base32_16() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const std::string raw = detail::random_bytes(10);
  std::string out;
  out.reserve(16);
  std::uint64_t acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kAlphabet[(acc >> bits) & 31]);
    }
  }
  return out;
}

}  // namespace

std::string PrincipalRef::arn(const std::string& catalog_id) const {
  return "arn:aws:iam::" + catalog_id + ":" + catalog::principal_kind_name(kind) + "/" + name;
}

PrincipalRef parse_principal(std::string_view text, const std::string& catalog_id, const std::string& field) {
  if (text.empty())
    throw_invalid(field, "principal is empty (expected user:NAME, role:NAME, group:NAME or an ARN)");
  constexpr std::string_view kArnPrefix = "arn:aws:iam::";
  if (text.substr(0, 4) == "arn:") {
    if (text.substr(0, kArnPrefix.size()) != kArnPrefix) {
      throw_invalid(field, "principal ARN " + catalog::quote_for_message(text) +
                               " must start with arn:aws:iam:: (an IAM user, role or group)");
    }
    const std::string_view rest = text.substr(kArnPrefix.size());
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos) {
      throw_invalid(field, "principal ARN " + catalog::quote_for_message(text) +
                               " must look like arn:aws:iam::<12-digit catalog id>:user/<name>");
    }
    const std::string_view account = rest.substr(0, colon);
    if (account != catalog_id) {
      throw_invalid(field, "principal ARN " + catalog::quote_for_message(text) + " names account " +
                               catalog::quote_for_message(account) + ", but this catalog's id is " +
                               catalog_id);
    }
    const std::string_view resource = rest.substr(colon + 1);
    const std::size_t slash = resource.find('/');
    if (slash == std::string_view::npos) {
      throw_invalid(field, "principal ARN " + catalog::quote_for_message(text) +
                               " must end in user/<name>, role/<name> or group/<name>");
    }
    return make_ref(text, resource.substr(0, slash), resource.substr(slash + 1), field);
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw_invalid(field, "principal " + catalog::quote_for_message(text) +
                             " must be user:NAME, role:NAME, group:NAME or an ARN arn:aws:iam::" +
                             catalog_id + ":user/NAME");
  }
  return make_ref(text, text.substr(0, colon), text.substr(colon + 1), field);
}

std::string generate_access_key_id(catalog::PrincipalKind owner_kind) {
  if (owner_kind == catalog::PrincipalKind::Group) {
    throw Error(ErrorCode::InvalidArgument,
                "groups cannot own access keys; create the key for a user or role", "owner");
  }
  return (owner_kind == catalog::PrincipalKind::Role ? "AROA" : "AKIA") + base32_16();
}

std::string generate_secret_access_key() {
  // 30 random bytes are exactly 40 base64 characters, without padding.
  return detail::base64_encode(detail::random_bytes(30));
}

}  // namespace cairn::authz
