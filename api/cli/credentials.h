#pragma once

#include <istream>
#include <map>
#include <string>

namespace cairn::api::cli {

/// An access key and where it came from (for messages; never the secret).
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string source;  ///< e.g. "environment (AWS_ACCESS_KEY_ID)" or "profile 'cairn' in
                       ///< ./cairn-data/admin-credentials"
};

/// What the user asked for on the command line (empty = not given).
struct CredentialOptions {
  std::string profile;           ///< --profile
  std::string credentials_file;  ///< --credentials-file
};

/// INI sections (profile name → key → value) of an AWS shared-credentials file. Keys are lower-cased; '#' and
/// ';' start comments; malformed lines are ignored as the AWS CLI does.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
/// Parses an INI stream; never throws (an unreadable stream gives an empty result).
IniFile parse_ini(std::istream& in);

/// AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials; empty when neither is set.
std::string default_credentials_file();

/// Resolves credentials. With --profile or --credentials-file the shared-credentials file decides; otherwise
/// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (+AWS_SESSION_TOKEN), then
/// CAIRN_ACCESS_KEY_ID/CAIRN_SECRET_ACCESS_KEY, then the file (profile: AWS_PROFILE, else "cairn" when the
/// file has it, else "default"). Throws UserError saying where it looked when none are found.
Credentials resolve_credentials(const CredentialOptions& options);

/// Adds or replaces `profile` in the INI file at `path` (created with its directory if missing), keeping the
/// other profiles and comments; the file ends up with mode 0600. Throws UserError when it cannot be written.
void write_profile(const std::string& path, const std::string& profile, const std::string& access_key_id,
                   const std::string& secret_access_key);

}  // namespace cairn::api::cli
