#pragma once

// Shared harness of the `cairn` CLI end-to-end tests: a real cairnd per store ("sqlite", and "postgres" when
// CAIRN_TEST_DATABASE_URL is set, in a database created for the run), and helpers to run the cairn binary as
// the administrator or with any environment.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "support/cairnd_process.h"
#include "support/process.h"

namespace cairn::cli_test {

using namespace cairn::test;  // CairndProcess, run_process, TempDir, read_file, write_file, unique_name, ...
using nlohmann::json;

inline constexpr const char* kAdminKey = "AKIACAIRNCLITEST0001";
inline constexpr const char* kAdminSecret = "cliTestSecret/0123456789abcdefghijklmnopqr";

/// Path of the cairn binary of this build.
inline std::string cairn_binary() {
  return std::string(CAIRN_BINARY_DIR) + "/api/cairn";
}

/// Exit code, stdout and stderr of a run, for failure messages.
inline std::string show(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

inline std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// stdout of a run as JSON (a failed expectation and a discarded value when it is not JSON).
inline json parse_json(const RunResult& r) {
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON:\n" << show(r);
  return j;
}

/// `url` pointing at database `name` (URL or key=value conninfo form).
inline std::string with_database(const std::string& url, const std::string& name) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url + " dbname=" + name;
  const auto query = url.find('?', scheme + 3);
  const auto slash = url.find('/', scheme + 3);
  const std::string base = url.substr(0, std::min(slash, query));
  return base + "/" + name + (query == std::string::npos ? std::string() : url.substr(query));
}

/// One cairnd (and for PostgreSQL a database created for this run, dropped afterwards).
struct Server {
  TempDir dir{"cairn-cli-test-"};  ///< cairnd's HOME and the tests' home directories
  std::unique_ptr<CairndProcess> process;
  std::string admin_url;  ///< CAIRN_TEST_DATABASE_URL, to drop `database` afterwards
  std::string database;

  ~Server() {
    process.reset();  // cairnd must be gone before its database can be dropped
    if (!database.empty()) {
      try {
        pqxx::connection c(admin_url);
        pqxx::nontransaction tx(c);
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(database));
      } catch (const std::exception&) {
        // best effort: a leftover test database is harmless
      }
    }
  }
};

/// Starts cairnd on `store` ("sqlite" or "postgres"); throws when it does not come up.
inline std::unique_ptr<Server> start_server(const std::string& store, bool admin_from_env = true) {
  auto server = std::make_unique<Server>();
  CairndOptions options;
  options.env = {{"HOME", server->dir.path()}};
  options.admin_access_key_id = kAdminKey;
  options.admin_secret_access_key = kAdminSecret;
  options.admin_from_env = admin_from_env;
  options.start_timeout = std::chrono::seconds(60);
  if (store == "postgres") {
    server->admin_url = std::getenv("CAIRN_TEST_DATABASE_URL");
    server->database = unique_name("cairn_cli");
    pqxx::connection c(server->admin_url);
    pqxx::nontransaction tx(c);
    tx.exec("CREATE DATABASE " + tx.quote_name(server->database));
    options.args = {"--database-url", with_database(server->admin_url, server->database)};
  }
  server->process = std::make_unique<CairndProcess>(std::move(options));
  return server;
}

/// Runs `cairn` against a cairnd, one per store and test suite (the parameter: "sqlite", or "postgres",
/// skipped unless CAIRN_TEST_DATABASE_URL is set).
class CliServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  static std::map<std::string, std::unique_ptr<Server>>& servers() {
    static std::map<std::string, std::unique_ptr<Server>> instances;
    return instances;
  }
  static void TearDownTestSuite() { servers().clear(); }

  void SetUp() override {
    const std::string store = GetParam();
    if (store == "postgres") {
      const char* url = std::getenv("CAIRN_TEST_DATABASE_URL");
      if (url == nullptr || *url == '\0') GTEST_SKIP() << "CAIRN_TEST_DATABASE_URL is not set";
    }
    auto& slot = servers()[store];
    if (!slot) {
      try {
        slot = start_server(store);
      } catch (const std::exception& e) {
        FAIL() << "cannot start cairnd: " << e.what();
      }
    }
    server_ = slot.get();
    home_ = server_->dir.path() + "/home-" + unique_name("t");
    std::filesystem::create_directories(home_);
  }

  /// Environment without any credentials: HOME is an empty per-test directory.
  std::vector<std::string> bare_env(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> env{"HOME=" + home_, "PATH=/usr/bin:/bin",
                                 "CAIRN_ENDPOINT=" + server_->process->endpoint()};
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
  }

  /// Runs cairn as the administrator (credentials in AWS_* environment variables).
  RunResult cairn(const std::vector<std::string>& args,
                  const std::vector<std::string>& extra_env = {}) const {
    std::vector<std::string> env = bare_env(extra_env);
    env.push_back(std::string("AWS_ACCESS_KEY_ID=") + kAdminKey);
    env.push_back(std::string("AWS_SECRET_ACCESS_KEY=") + kAdminSecret);
    return run_process(cairn_binary(), args, env);
  }

  /// Runs cairn with exactly `env` added to the bare environment.
  RunResult cairn_env(const std::vector<std::string>& args, const std::vector<std::string>& env) const {
    return run_process(cairn_binary(), args, bare_env(env));
  }

  /// A shared-credentials file holding the administrator's key as `profile`.
  std::string admin_profile_file(const std::string& profile) const {
    const std::string path = home_ + "/admin-" + profile + ".ini";
    write_file(path, "[" + profile + "]\naws_access_key_id = " + kAdminKey +
                         "\naws_secret_access_key = " + kAdminSecret + "\n");
    return path;
  }

  /// The shared-credentials file make_user writes profiles into.
  std::string credentials_file() const { return home_ + "/credentials"; }

  /// Creates user `name` with an access key saved as profile `name` in credentials_file().
  void make_user(const std::string& name) {
    ASSERT_EQ(cairn({"user", "create", name}).exit_code, 0);
    const RunResult r = cairn({"access-key", "create", "--user", name, "--write-profile", name,
                               "--credentials-file", credentials_file()});
    ASSERT_EQ(r.exit_code, 0) << show(r);
  }

  /// Runs cairn as a user made with make_user.
  RunResult as(const std::string& name, std::vector<std::string> args) const {
    args.insert(args.begin(), {"--credentials-file", credentials_file(), "--profile", name});
    return cairn_env(args, {});
  }

  Server* server_ = nullptr;
  std::string home_;
};

/// Environment for runs without a fixture server: only HOME, PATH and `extra`.
inline std::vector<std::string> isolated_env(const std::string& home,
                                             const std::vector<std::string>& extra = {}) {
  std::vector<std::string> env{"HOME=" + home, "PATH=/usr/bin:/bin"};
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

}  // namespace cairn::cli_test

#define EXPECT_EXIT_CODE(result, code) EXPECT_EQ((result).exit_code, (code)) << show(result)
