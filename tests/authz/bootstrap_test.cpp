#include <gtest/gtest.h>

#include <sys/stat.h>
#include <filesystem>
#include <memory>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <latch>
#include <thread>

#include "authz/store_fixture.h"
#include "cairn/authz/identity.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"
#include "support/store_backends.h"

// Fixtures live outside cairn::authz so that the test suites can be named after what they test.
namespace {

using namespace cairn;
using namespace cairn::authz;

using authz_test::TempStore;

using catalog::PrincipalKind;

const std::string kCatalog = "000000000000";

/// Clears CAIRN_ADMIN_ACCESS_KEY_ID / CAIRN_ADMIN_SECRET_ACCESS_KEY before and after each test.
class Bootstrap : public ::testing::Test {
 protected:
  Bootstrap() : box_(std::string(32, 'b')) { clear_env(); }
  ~Bootstrap() override { clear_env(); }
  static void clear_env() {
    ::unsetenv("CAIRN_ADMIN_ACCESS_KEY_ID");
    ::unsetenv("CAIRN_ADMIN_SECRET_ACCESS_KEY");
  }

  std::map<std::string, std::string> read_ini(const std::string& path, std::string* section) {
    std::ifstream in(path);
    std::string line;
    std::map<std::string, std::string> values;
    while (std::getline(in, line)) {
      if (!line.empty() && line.front() == '[') {
        *section = line;
        continue;
      }
      const std::size_t eq = line.find(" = ");
      if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 3);
    }
    return values;
  }

  Caller authenticate(const std::string& id, const std::string& secret) {
    SignableRequest req;
    req.method = "GET";
    req.path = "/v1/databases";
    req.headers = {{"Host", "localhost:7480"}};
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    sign_request(req, id, secret, "us-east-1", "cairn");
    return authz::Authenticator(db_.store(), box_, kCatalog).authenticate(req, now);
  }

  std::string error_about(const std::string& expected_field) {
    try {
      bootstrap_admin(db_.store(), box_, kCatalog, db_.dir().string());
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
      EXPECT_EQ(e.field(), expected_field);
      return e.what();
    }
    ADD_FAILURE() << "bootstrap accepted the environment";
    return {};
  }

  TempStore db_;
  SecretBox box_;
};

TEST_F(Bootstrap, GeneratedKeyIsWrittenToAPrivateCredentialsFile) {
  const BootstrapResult r = bootstrap_admin(db_.store(), box_, kCatalog, db_.dir().string());
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.credentials_file, (db_.dir() / "admin-credentials").string());
  EXPECT_EQ(r.access_key_id.substr(0, 4), "AKIA");

  struct stat st {};
  ASSERT_EQ(::stat(r.credentials_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::ifstream in(r.credentials_file);
  std::stringstream text;
  text << in.rdbuf();
  std::string section;
  const auto ini = read_ini(r.credentials_file, &section);
  EXPECT_EQ(section, "[cairn]");
  EXPECT_EQ(
      text.str().rfind("[cairn]\naws_access_key_id = " + r.access_key_id + "\naws_secret_access_key = ", 0),
      0u);
  EXPECT_EQ(ini.at("aws_access_key_id"), r.access_key_id);
  const std::string secret = ini.at("aws_secret_access_key");
  EXPECT_EQ(secret.size(), 40u);

  const auto admin = db_.store().get_principal(PrincipalKind::User, "admin");
  ASSERT_TRUE(admin.has_value());
  const auto key = db_.store().get_access_key(r.access_key_id);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->owner_name, "admin");
  EXPECT_EQ(key->status, catalog::AccessKeyStatus::Active);
  EXPECT_EQ(key->sealed_secret.find(secret), std::string::npos);
  EXPECT_EQ(box_.open(key->sealed_secret), secret);

  const Caller caller = authenticate(r.access_key_id, secret);
  EXPECT_TRUE(caller.is_admin);
  EXPECT_EQ(caller.arn, "arn:aws:iam::000000000000:user/admin");
}

TEST_F(Bootstrap, IsIdempotent) {
  const BootstrapResult first = bootstrap_admin(db_.store(), box_, kCatalog, db_.dir().string());
  ASSERT_TRUE(first.created);
  std::ifstream in(first.credentials_file);
  std::stringstream before;
  before << in.rdbuf();

  const BootstrapResult second = bootstrap_admin(db_.store(), box_, kCatalog, db_.dir().string());
  EXPECT_FALSE(second.created);
  EXPECT_TRUE(second.credentials_file.empty());
  std::ifstream again(first.credentials_file);
  std::stringstream after;
  after << again.rdbuf();
  EXPECT_EQ(before.str(), after.str());
  EXPECT_EQ(db_.store().count_principals(), 1);
  EXPECT_EQ(db_.store().list_access_keys(PrincipalKind::User, "admin").size(), 1u);

  // Environment keys on a non-empty store change nothing either.
  ::setenv("CAIRN_ADMIN_ACCESS_KEY_ID", "AKIAENVKEY0000000001", 1);
  ::setenv("CAIRN_ADMIN_SECRET_ACCESS_KEY", "env-secret-0123456789", 1);
  EXPECT_FALSE(bootstrap_admin(db_.store(), box_, kCatalog, db_.dir().string()).created);
  EXPECT_FALSE(db_.store().get_access_key("AKIAENVKEY0000000001").has_value());
}

TEST_F(Bootstrap, EnvironmentKeysAreUsedAndNoFileIsWritten) {
  ::setenv("CAIRN_ADMIN_ACCESS_KEY_ID", "AKIAENVKEY0000000001", 1);
  ::setenv("CAIRN_ADMIN_SECRET_ACCESS_KEY", "env-secret-0123456789", 1);
  const BootstrapResult r = bootstrap_admin(db_.store(), box_, kCatalog, db_.dir().string());
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.access_key_id, "AKIAENVKEY0000000001");
  EXPECT_TRUE(r.credentials_file.empty());
  EXPECT_FALSE(std::filesystem::exists(db_.dir() / "admin-credentials"));
  EXPECT_TRUE(authenticate("AKIAENVKEY0000000001", "env-secret-0123456789").is_admin);
}

TEST_F(Bootstrap, InvalidEnvironmentKeysAreRefusedClearly) {
  ::setenv("CAIRN_ADMIN_ACCESS_KEY_ID", "AKIASHORT", 1);
  ::setenv("CAIRN_ADMIN_SECRET_ACCESS_KEY", "env-secret-0123456789", 1);
  EXPECT_NE(error_about("CAIRN_ADMIN_ACCESS_KEY_ID").find("16 to 128"), std::string::npos);

  ::setenv("CAIRN_ADMIN_ACCESS_KEY_ID", "AKIA-NOT-ALNUM-00000", 1);
  EXPECT_NE(error_about("CAIRN_ADMIN_ACCESS_KEY_ID").find("letters and digits"), std::string::npos);

  ::setenv("CAIRN_ADMIN_ACCESS_KEY_ID", "AKIAENVKEY0000000001", 1);
  ::setenv("CAIRN_ADMIN_SECRET_ACCESS_KEY", "short", 1);
  EXPECT_NE(error_about("CAIRN_ADMIN_SECRET_ACCESS_KEY").find("at least 16"), std::string::npos);

  ::unsetenv("CAIRN_ADMIN_SECRET_ACCESS_KEY");
  EXPECT_NE(error_about("CAIRN_ADMIN_SECRET_ACCESS_KEY").find("set both"), std::string::npos);

  // Nothing was created by the refused attempts.
  EXPECT_EQ(db_.store().count_principals(), 0);
}

TEST_F(Bootstrap, InterruptedBootstrapIsCompleted) {
  catalog::Principal admin;
  admin.kind = PrincipalKind::User;
  admin.name = "admin";
  db_.store().create_principal(admin);
  const BootstrapResult r = bootstrap_admin(db_.store(), box_, kCatalog, db_.dir().string());
  EXPECT_TRUE(r.created);
  EXPECT_EQ(db_.store().list_access_keys(PrincipalKind::User, "admin").size(), 1u);
  EXPECT_FALSE(bootstrap_admin(db_.store(), box_, kCatalog, db_.dir().string()).created);
}

TEST_F(Bootstrap, StoreWithOtherPrincipalsIsLeftAlone) {
  catalog::Principal alice;
  alice.kind = PrincipalKind::User;
  alice.name = "alice";
  db_.store().create_principal(alice);
  EXPECT_FALSE(bootstrap_admin(db_.store(), box_, kCatalog, db_.dir().string()).created);
  EXPECT_FALSE(db_.store().get_principal(PrincipalKind::User, "admin").has_value());
}

/// Two nodes bootstrapping one new store at the same moment (two cairnd processes started together on a new
/// PostgreSQL database): neither fails, and the administrator ends up with the keys of the nodes that report
/// having created one.
class BootstrapRace : public ::testing::TestWithParam<std::string> {
 protected:
  ~BootstrapRace() override {
    ::unsetenv("CAIRN_ADMIN_ACCESS_KEY_ID");
    ::unsetenv("CAIRN_ADMIN_SECRET_ACCESS_KEY");
  }

  struct Node {
    std::unique_ptr<catalog::Store> store;
    TempStore data_dir;  // the node's own data directory (its store object is on `backend`)
    BootstrapResult result;
    std::string error;
  };

  /// Runs `rounds` races on new stores; `check` inspects each one's outcome.
  template <class Check>
  void race(int rounds, Check&& check) {
    const SecretBox box(std::string(32, 'b'));
    for (int round = 0; round < rounds; ++round) {
      test::FreshStore backend;
      if (!backend.create(GetParam(), "bootstrap")) GTEST_SKIP() << test::no_database_url_reason("this test");
      std::vector<Node> nodes(2);
      for (Node& n : nodes) n.store = backend.open();
      std::latch start(2);
      std::vector<std::thread> threads;
      for (Node& n : nodes) {
        threads.emplace_back([&] {
          start.arrive_and_wait();
          try {
            n.result = bootstrap_admin(*n.store, box, kCatalog, n.data_dir.dir().string());
          } catch (const std::exception& e) {
            n.error = e.what();
          }
        });
      }
      for (auto& t : threads) t.join();
      for (const Node& n : nodes) ASSERT_EQ(n.error, "") << "round " << round;
      ASSERT_TRUE(nodes[0].store->get_principal(PrincipalKind::User, "admin")) << "round " << round;
      std::set<std::string> keys;
      for (const auto& k : nodes[0].store->list_access_keys(PrincipalKind::User, "admin")) {
        keys.insert(k.access_key_id);
      }
      check(nodes, keys, round);
      nodes.clear();
    }
  }
};

TEST_P(BootstrapRace, WithTheKeyFromTheEnvironmentOneKeyIsCreated) {
  ::setenv("CAIRN_ADMIN_ACCESS_KEY_ID", "AKIARACE000000000001", 1);
  ::setenv("CAIRN_ADMIN_SECRET_ACCESS_KEY", "race-secret-0000000000", 1);
  race(20, [](const std::vector<Node>& nodes, const std::set<std::string>& keys, int round) {
    EXPECT_EQ(keys, std::set<std::string>{"AKIARACE000000000001"}) << "round " << round;
    EXPECT_EQ(nodes[0].result.created + nodes[1].result.created, 1) << "round " << round;
  });
}

TEST_P(BootstrapRace, WithGeneratedKeysEveryReportedKeyExistsAndNoOtherIsLeftBehind) {
  race(20, [](const std::vector<Node>& nodes, const std::set<std::string>& keys, int round) {
    std::set<std::string> reported;
    for (const Node& n : nodes) {
      const auto file = n.data_dir.dir() / "admin-credentials";
      if (n.result.created) {
        reported.insert(n.result.access_key_id);
        EXPECT_TRUE(std::filesystem::exists(file)) << "round " << round;
      } else {
        EXPECT_FALSE(std::filesystem::exists(file)) << "a credentials file without a key, round " << round;
      }
    }
    EXPECT_FALSE(reported.empty()) << "round " << round;
    EXPECT_EQ(keys, reported) << "round " << round;
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, BootstrapRace, test::store_backends(), test::backend_test_name);

}  // namespace
