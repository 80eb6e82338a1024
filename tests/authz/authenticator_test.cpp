#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <thread>

#include <ctime>

#include "authz/store_fixture.h"
#include "cairn/authz/identity.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"

// Fixtures live outside cairn::authz so that the test suites can be named after what they test.
namespace {

using namespace cairn;
using namespace cairn::authz;

using authz_test::TempStore;

using catalog::AccessKeyStatus;
using catalog::PrincipalKind;

constexpr std::int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
const std::string kCatalog = "000000000000";

std::string amz_date(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

struct Key {
  std::string id;
  std::string secret;
};

class Authenticator : public ::testing::Test {
 protected:
  Authenticator() : box_(std::string(32, 'm')), authn_(db_.store(), box_, kCatalog) {
    catalog::Store& s = db_.store();
    for (const auto& [kind, name] :
         std::vector<std::pair<PrincipalKind, std::string>>{{PrincipalKind::User, "admin"},
                                                            {PrincipalKind::User, "alice"},
                                                            {PrincipalKind::Role, "etl"},
                                                            {PrincipalKind::Group, "analysts"},
                                                            {PrincipalKind::Group, "emea"}}) {
      catalog::Principal p;
      p.kind = kind;
      p.name = name;
      s.create_principal(p);
    }
    s.add_group_member("analysts", "alice");
    s.add_group_member("emea", "alice");
    admin_ = add_key(PrincipalKind::User, "admin");
    alice_ = add_key(PrincipalKind::User, "alice");
    etl_ = add_key(PrincipalKind::Role, "etl");
    inactive_ = add_key(PrincipalKind::User, "alice");
    s.set_access_key_status(inactive_.id, AccessKeyStatus::Inactive);
  }

  Key add_key(PrincipalKind kind, const std::string& owner) {
    Key k{generate_access_key_id(kind), generate_secret_access_key()};
    catalog::AccessKey key;
    key.access_key_id = k.id;
    key.owner_kind = kind;
    key.owner_name = owner;
    key.sealed_secret = box_.seal(k.secret);
    db_.store().create_access_key(key);
    return k;
  }

  static SignableRequest signed_request(const Key& key, std::string_view service = "glue",
                                        std::int64_t at = kNow) {
    SignableRequest req;
    req.method = "POST";
    req.path = "/";
    req.headers = {{"Host", "127.0.0.1:7480"}, {"X-Amz-Target", "AWSGlue.GetDatabases"}};
    req.body = "{}";
    sign_request(req, key.id, key.secret, "us-east-1", service, amz_date(at));
    return req;
  }

  std::string unauthenticated(const SignableRequest& req, std::int64_t now = kNow) {
    try {
      authn_.authenticate(req, now);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Unauthenticated) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "request was authenticated";
    return {};
  }

  TempStore db_;
  SecretBox box_;
  authz::Authenticator authn_;
  Key admin_, alice_, etl_, inactive_;
};

TEST_F(Authenticator, UserWithGroups) {
  const Caller c = authn_.authenticate(signed_request(alice_), kNow);
  EXPECT_EQ(c.principal.kind, PrincipalKind::User);
  EXPECT_EQ(c.principal.name, "alice");
  EXPECT_EQ(c.arn, "arn:aws:iam::000000000000:user/alice");
  EXPECT_EQ(c.access_key_id, alice_.id);
  EXPECT_EQ(c.groups, (std::vector<std::string>{"analysts", "emea"}));
  EXPECT_FALSE(c.is_admin);
}

TEST_F(Authenticator, AdminAndRole) {
  const Caller admin = authn_.authenticate(signed_request(admin_, "cairn"), kNow);
  EXPECT_TRUE(admin.is_admin);
  EXPECT_EQ(admin.arn, "arn:aws:iam::000000000000:user/admin");

  const Caller etl = authn_.authenticate(signed_request(etl_, "lakeformation"), kNow + 600);
  EXPECT_EQ(etl.principal.kind, PrincipalKind::Role);
  EXPECT_EQ(etl.arn, "arn:aws:iam::000000000000:role/etl");
  EXPECT_TRUE(etl.groups.empty());
  EXPECT_FALSE(etl.is_admin);
}

TEST_F(Authenticator, OneKeyAcrossCredentialScopes) {
  // The cached signing key follows the scope: a stale one would fail every request after a scope change.
  struct Scope {
    std::string region;
    std::string service;
    std::int64_t at;
  };
  const std::vector<Scope> scopes = {
      {"us-east-1", "glue", kNow},          {"us-east-1", "cairn", kNow},
      {"us-east-10", "cairn", kNow},        {"us-east-1", "cairn", kNow + 86400},
      {"eu-west-1", "lakeformation", kNow}, {"us-east-1", "glue", kNow}};
  for (const Scope& scope : scopes) {
    for (int repeat = 0; repeat < 2; ++repeat) {
      SignableRequest req;
      req.method = "GET";
      req.path = "/v1/databases";
      req.headers = {{"Host", "127.0.0.1:7480"}};
      sign_request(req, alice_.id, alice_.secret, scope.region, scope.service, amz_date(scope.at));
      const Caller c = authn_.authenticate(req, scope.at);
      EXPECT_EQ(c.principal.name, "alice") << scope.region << "/" << scope.service;
      EXPECT_EQ(c.access_key_id, alice_.id);
    }
  }
  // A request signed with another secret under the cached scope is still refused.
  SignableRequest forged;
  forged.method = "GET";
  forged.path = "/v1/databases";
  forged.headers = {{"Host", "127.0.0.1:7480"}};
  sign_request(forged, alice_.id, etl_.secret, "us-east-1", "glue", amz_date(kNow));
  EXPECT_NE(unauthenticated(forged).find("signature does not match"), std::string::npos);
}

TEST_F(Authenticator, MissingOrMalformedAuthorization) {
  SignableRequest req = signed_request(alice_);
  std::erase_if(req.headers, [](const auto& h) { return h.first == "Authorization"; });
  EXPECT_EQ(unauthenticated(req),
            "missing Authorization header (requests must be signed with AWS Signature Version 4)");

  req.headers.emplace_back("authorization", "Basic YWxpY2U6cGFzcw==");
  EXPECT_NE(unauthenticated(req).find("malformed Authorization header"), std::string::npos);

  SignableRequest twice = signed_request(alice_);
  twice.headers.emplace_back("Authorization", twice.headers.back().second);
  EXPECT_NE(unauthenticated(twice).find("more than one"), std::string::npos);
}

TEST_F(Authenticator, UnknownAndInactiveKeysLookAlike) {
  const Key unknown{generate_access_key_id(PrincipalKind::User), generate_secret_access_key()};
  EXPECT_EQ(unauthenticated(signed_request(unknown)), "invalid access key id");
  EXPECT_EQ(unauthenticated(signed_request(inactive_)), "invalid access key id");
}

TEST_F(Authenticator, WrongSecretClockSkewAndService) {
  const Key forged{alice_.id, generate_secret_access_key()};
  const std::string bad_sig = unauthenticated(signed_request(forged));
  EXPECT_EQ(bad_sig.rfind("signature does not match", 0), 0u) << bad_sig;
  EXPECT_EQ(bad_sig.find(alice_.secret), std::string::npos);
  EXPECT_EQ(bad_sig.find(forged.secret), std::string::npos);

  const std::string skew = unauthenticated(signed_request(alice_, "glue", kNow - 16 * 60));
  EXPECT_EQ(skew.rfind("request time is more than 15 minutes from server time", 0), 0u) << skew;

  EXPECT_NE(unauthenticated(signed_request(alice_, "s3")).find("glue, lakeformation or cairn"),
            std::string::npos);

  SignableRequest tampered = signed_request(alice_);
  tampered.body = "{\"x\":1}";
  EXPECT_NE(unauthenticated(tampered).find("payload hash does not match"), std::string::npos);
}

TEST_F(Authenticator, ReactivatedKeyWorksAgain) {
  db_.store().set_access_key_status(inactive_.id, AccessKeyStatus::Active);
  EXPECT_EQ(authn_.authenticate(signed_request(inactive_), kNow).principal.name, "alice");
  db_.store().delete_access_key(inactive_.id);
  authn_.invalidate();
  EXPECT_EQ(unauthenticated(signed_request(inactive_)), "invalid access key id");
}

TEST_F(Authenticator, VerifiedKeysAreCachedUntilInvalidated) {
  EXPECT_EQ(authn_.authenticate(signed_request(alice_), kNow).principal.name, "alice");
  // A change made behind this node's back (another node, same store) is seen only after the cache lifetime...
  db_.store().set_access_key_status(alice_.id, AccessKeyStatus::Inactive);
  db_.store().remove_group_member("emea", "alice");
  const Caller cached = authn_.authenticate(signed_request(alice_), kNow);
  EXPECT_EQ(cached.groups.size(), 2u);
  // ...or at once after invalidate(), which the service calls after every identity change it makes.
  authn_.invalidate();
  EXPECT_EQ(unauthenticated(signed_request(alice_)), "invalid access key id");
}

TEST_F(Authenticator, CacheEntriesExpire) {
  authz::Authenticator short_lived(db_.store(), box_, kCatalog, std::chrono::milliseconds(50));
  EXPECT_EQ(short_lived.authenticate(signed_request(alice_), kNow).principal.name, "alice");
  db_.store().set_access_key_status(alice_.id, AccessKeyStatus::Inactive);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  EXPECT_THROW(short_lived.authenticate(signed_request(alice_), kNow), cairn::Error);
}

TEST_F(Authenticator, UnknownKeysAreNotCached) {
  const SignableRequest req = signed_request(alice_);
  db_.store().delete_access_key(alice_.id);
  authn_.invalidate();
  EXPECT_EQ(unauthenticated(req), "invalid access key id");
  // Re-creating a key with the same id and secret works at once: the failure was not remembered.
  catalog::AccessKey key;
  key.access_key_id = alice_.id;
  key.owner_kind = PrincipalKind::User;
  key.owner_name = "alice";
  key.sealed_secret = box_.seal(alice_.secret);
  db_.store().create_access_key(key);
  EXPECT_EQ(authn_.authenticate(req, kNow).principal.name, "alice");
}

}  // namespace
