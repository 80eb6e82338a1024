#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "cairn/authz/identity.h"
#include "cairn/catalog/error.h"
#include "crypto_util.h"

namespace cairn::authz {
namespace {

constexpr const char* kEnvKeyId = "CAIRN_ADMIN_ACCESS_KEY_ID";
constexpr const char* kEnvSecret = "CAIRN_ADMIN_SECRET_ACCESS_KEY";

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

void validate_env_key(const std::string& id, const std::string& secret) {
  if (id.size() < 16 || id.size() > 128) {
    throw Error(
        ErrorCode::InvalidArgument,
        std::string(kEnvKeyId) + " must be 16 to 128 characters (got " + std::to_string(id.size()) + ")",
        kEnvKeyId);
  }
  for (char c : id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      throw Error(
          ErrorCode::InvalidArgument,
          std::string(kEnvKeyId) + " may contain only upper-case letters and digits (like AWS key ids)",
          kEnvKeyId);
    }
  }
  if (secret.size() < 16) {
    throw Error(ErrorCode::InvalidArgument,
                std::string(kEnvSecret) + " must be at least 16 characters (got " +
                    std::to_string(secret.size()) + ")",
                kEnvSecret);
  }
  for (char c : secret) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      throw Error(ErrorCode::InvalidArgument,
                  std::string(kEnvSecret) + " must not contain whitespace or control characters", kEnvSecret);
    }
  }
}

/// True when the store holds only the administrator, without any access key: a bootstrap interrupted between
/// its two writes, which is finished rather than left unusable.
bool interrupted_bootstrap(catalog::Store& store) {
  if (store.count_principals() != 1) return false;
  const auto admin = store.get_principal(catalog::PrincipalKind::User, kAdminUser);
  return admin && store.list_access_keys(catalog::PrincipalKind::User, kAdminUser).empty();
}

}  // namespace

BootstrapResult bootstrap_admin(catalog::Store& store, const SecretBox& box, const std::string& catalog_id,
                                const std::string& data_dir) {
  BootstrapResult result;
  const bool resume = store.count_principals() != 0;
  if (resume && !interrupted_bootstrap(store)) return result;

  const auto env_id = env(kEnvKeyId);
  const auto env_secret = env(kEnvSecret);
  if (env_id.has_value() != env_secret.has_value()) {
    throw Error(ErrorCode::InvalidArgument,
                std::string("set both ") + kEnvKeyId + " and " + kEnvSecret + ", or neither (one is set)",
                env_id ? kEnvSecret : kEnvKeyId);
  }

  std::string key_id;
  std::string secret;
  if (env_id) {
    validate_env_key(*env_id, *env_secret);
    key_id = *env_id;
    secret = *env_secret;
  } else {
    key_id = generate_access_key_id(catalog::PrincipalKind::User);
    secret = generate_secret_access_key();
    // Written before the store learns of the key: if this fails nothing is created and the next start
    // retries; the reverse order could leave an administrator whose secret nobody has.
    result.credentials_file = (std::filesystem::path(data_dir) / "admin-credentials").string();
    detail::write_private_file_atomically(
        result.credentials_file,
        "[cairn]\naws_access_key_id = " + key_id + "\naws_secret_access_key = " + secret + "\n", true);
  }

  // Nodes sharing a store may start together on a new database: another node may create the administrator,
  // or its key from the same environment, between the check above and the writes below. Its bootstrap then
  // stands; this node's generated credentials, which no stored key matches, are removed.
  auto lost_the_race = [&] {
    if (!result.credentials_file.empty()) {
      std::error_code ignored;
      std::filesystem::remove(result.credentials_file, ignored);
    }
    spdlog::info("the administrator was created by another node sharing this store");
    return BootstrapResult{};
  };
  if (!resume) {
    catalog::Principal admin;
    admin.kind = catalog::PrincipalKind::User;
    admin.name = std::string(kAdminUser);
    admin.description = "bootstrap administrator";
    try {
      store.create_principal(admin);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::AlreadyExists) throw;
      // A generated key is this node's alone: the other node's bootstrap adds its own. A key from the
      // environment is every node's: it is added below unless the other node already did.
      if (!env_id) return lost_the_race();
    }
  }
  catalog::AccessKey key;
  key.access_key_id = key_id;
  key.owner_kind = catalog::PrincipalKind::User;
  key.owner_name = std::string(kAdminUser);
  key.status = catalog::AccessKeyStatus::Active;
  key.sealed_secret = box.seal(secret);
  try {
    store.create_access_key(key);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::AlreadyExists) throw;
    return lost_the_race();
  }

  result.created = true;
  result.access_key_id = key_id;
  const std::string arn = PrincipalRef{catalog::PrincipalKind::User, std::string(kAdminUser)}.arn(catalog_id);
  if (env_id) {
    spdlog::info("created administrator {} with access key {} from {}", arn, key_id, kEnvKeyId);
  } else {
    spdlog::info("created administrator {} with access key {}; credentials written to {} (profile [cairn])",
                 arn, key_id, result.credentials_file);
  }
  return result;
}

}  // namespace cairn::authz
