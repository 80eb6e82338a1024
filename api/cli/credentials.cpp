#include "credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "cli_error.h"
#include "specs.h"

namespace cairn::api::cli {
namespace {

std::string trim(const std::string& text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

/// True when `line` is an INI section header "[name]"; sets *name.
bool section_header(const std::string& line, std::string* name) {
  const std::string t = trim(line);
  if (t.size() < 2 || t.front() != '[' || t.back() != ']') return false;
  *name = trim(t.substr(1, t.size() - 2));
  return true;
}

/// Reads credentials from an environment pair; empty when neither is set. Throws when only one is set.
std::optional<Credentials> from_env_pair(const char* id_var, const char* secret_var, const char* token_var) {
  const std::string id = env(id_var);
  const std::string secret = env(secret_var);
  if (id.empty() && secret.empty()) return std::nullopt;
  if (id.empty() || secret.empty()) {
    throw UserError(std::string(id.empty() ? secret_var : id_var) + " is set but " +
                    (id.empty() ? id_var : secret_var) + " is not; set both or neither");
  }
  Credentials creds{id, secret, token_var != nullptr ? env(token_var) : std::string(),
                    std::string("environment (") + id_var + ")"};
  return creds;
}

}  // namespace

IniFile parse_ini(std::istream& in) {
  IniFile ini;
  std::string line;
  std::string section;
  bool in_section = false;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    std::string name;
    if (section_header(t, &name)) {
      section = name;
      in_section = true;
      ini[section];
      continue;
    }
    const auto eq = t.find('=');
    if (!in_section || eq == std::string::npos) continue;
    ini[section][to_lower(trim(t.substr(0, eq)))] = trim(t.substr(eq + 1));
  }
  return ini;
}

std::string default_credentials_file() {
  const std::string shared = env("AWS_SHARED_CREDENTIALS_FILE");
  if (!shared.empty()) return shared;
  const std::string home = env("HOME");
  if (home.empty()) return {};
  return home + "/.aws/credentials";
}

Credentials resolve_credentials(const CredentialOptions& options) {
  const bool explicit_file = !options.profile.empty() || !options.credentials_file.empty();
  if (!explicit_file) {
    if (auto creds = from_env_pair("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))
      return *creds;
    if (auto creds = from_env_pair("CAIRN_ACCESS_KEY_ID", "CAIRN_SECRET_ACCESS_KEY", nullptr)) return *creds;
  }

  const std::string path =
      !options.credentials_file.empty() ? options.credentials_file : default_credentials_file();
  const std::string looked_env =
      explicit_file
          ? std::string()
          : "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and CAIRN_ACCESS_KEY_ID/CAIRN_SECRET_ACCESS_KEY are "
            "not set and ";
  const std::string hint =
      " (pass --credentials-file ./cairn-data/admin-credentials, or set AWS_ACCESS_KEY_ID and "
      "AWS_SECRET_ACCESS_KEY)";
  if (path.empty()) {
    throw UserError("no credentials found: " + looked_env +
                    "neither AWS_SHARED_CREDENTIALS_FILE nor HOME is set" + hint);
  }
  std::ifstream in(path);
  if (!in) {
    throw UserError("no credentials found: " + looked_env + "cannot read the credentials file '" + path +
                    "': " + std::strerror(errno) + hint);
  }
  const IniFile ini = parse_ini(in);

  std::string profile = options.profile;
  if (profile.empty()) profile = env("AWS_PROFILE");
  if (profile.empty()) profile = ini.count("cairn") != 0 ? "cairn" : "default";

  const auto section = ini.find(profile);
  if (section == ini.end()) {
    std::string known;
    for (const auto& [name, _] : ini) known += (known.empty() ? "" : ", ") + name;
    throw UserError(
        "no credentials found: " + looked_env + "profile '" + profile + "' is not in '" + path + "'" +
        (known.empty() ? std::string(" (the file has no profiles)") : " (profiles: " + known + ")"));
  }
  const auto get = [&](const char* key) {
    const auto it = section->second.find(key);
    return it == section->second.end() ? std::string() : it->second;
  };
  Credentials creds{get("aws_access_key_id"), get("aws_secret_access_key"), get("aws_session_token"),
                    "profile '" + profile + "' in '" + path + "'"};
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    throw UserError("profile '" + profile + "' in '" + path +
                    "' lacks aws_access_key_id or aws_secret_access_key");
  }
  return creds;
}

void write_profile(const std::string& path, const std::string& profile, const std::string& access_key_id,
                   const std::string& secret_access_key) {
  namespace fs = std::filesystem;
  const auto fail = [&](const std::string& what) {
    throw UserError("cannot write profile '" + profile + "' to '" + path + "': " + what);
  };

  std::vector<std::string> lines;
  {
    std::ifstream in(path);
    if (in) {
      std::string line;
      while (std::getline(in, line)) lines.push_back(line);
    } else if (errno != ENOENT) {
      fail(std::strerror(errno));
    }
  }

  // Drop the old section body (keys only; the header stays and comments inside it are kept).
  std::vector<std::string> out;
  bool in_target = false;
  bool found = false;
  for (const auto& line : lines) {
    std::string name;
    if (section_header(line, &name)) {
      in_target = name == profile;
      out.push_back(line);
      if (in_target) {
        found = true;
        out.push_back("aws_access_key_id = " + access_key_id);
        out.push_back("aws_secret_access_key = " + secret_access_key);
      }
      continue;
    }
    if (in_target) {
      const std::string t = trim(line);
      const auto eq = t.find('=');
      if (eq != std::string::npos && t[0] != '#' && t[0] != ';') {
        const std::string key = to_lower(trim(t.substr(0, eq)));
        if (key == "aws_access_key_id" || key == "aws_secret_access_key" || key == "aws_session_token")
          continue;
      }
    }
    out.push_back(line);
  }
  if (!found) {
    if (!out.empty() && !trim(out.back()).empty()) out.emplace_back();
    out.push_back("[" + profile + "]");
    out.push_back("aws_access_key_id = " + access_key_id);
    out.push_back("aws_secret_access_key = " + secret_access_key);
  }

  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path() && !fs::exists(target.parent_path(), ec)) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) fail(ec.message());
    ::chmod(target.parent_path().c_str(), 0700);
  }

  std::string text;
  for (const auto& line : out) text += line + "\n";
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail(std::strerror(errno));
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      fail(reason);
    }
    written += static_cast<std::size_t>(n);
  }
  bool ok = ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  std::string reason = ok ? std::string() : std::strerror(errno);
  if (::close(fd) != 0 && ok) {
    ok = false;
    reason = std::strerror(errno);
  }
  if (!ok) {
    ::unlink(temp.c_str());
    fail(reason);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    fail(reason);
  }
}

}  // namespace cairn::api::cli
