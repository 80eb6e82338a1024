#include "cairn/authz/identity.h"

#include <gtest/gtest.h>

#include <set>

#include "cairn/catalog/error.h"

namespace cairn::authz {
namespace {

using catalog::PrincipalKind;

const std::string kCatalog = "123456789012";

std::string invalid_message(std::string_view text, const std::string& field = "principal") {
  try {
    parse_principal(text, kCatalog, field);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), field);
    return e.what();
  }
  ADD_FAILURE() << "accepted " << text;
  return {};
}

TEST(Identity, ArnOfEachKind) {
  EXPECT_EQ((PrincipalRef{PrincipalKind::User, "alice"}.arn(kCatalog)),
            "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ((PrincipalRef{PrincipalKind::Role, "etl"}.arn(kCatalog)), "arn:aws:iam::123456789012:role/etl");
  EXPECT_EQ((PrincipalRef{PrincipalKind::Group, "analysts"}.arn(kCatalog)),
            "arn:aws:iam::123456789012:group/analysts");
}

TEST(Identity, ParsesShortFormsAndArns) {
  struct Case {
    std::string text;
    PrincipalKind kind;
    std::string name;
  };
  for (const Case& c : std::vector<Case>{
           {"user:alice", PrincipalKind::User, "alice"},
           {"role:etl", PrincipalKind::Role, "etl"},
           {"group:analysts", PrincipalKind::Group, "analysts"},
           {"user:Bob.Smith@example.com", PrincipalKind::User, "Bob.Smith@example.com"},
           {"arn:aws:iam::123456789012:user/alice", PrincipalKind::User, "alice"},
           {"arn:aws:iam::123456789012:role/etl-job", PrincipalKind::Role, "etl-job"},
           {"arn:aws:iam::123456789012:group/emea-analysts", PrincipalKind::Group, "emea-analysts"},
       }) {
    const PrincipalRef ref = parse_principal(c.text, kCatalog);
    EXPECT_EQ(ref.kind, c.kind) << c.text;
    EXPECT_EQ(ref.name, c.name) << c.text;
  }
  // Round trip through the ARN.
  const PrincipalRef ref = parse_principal("role:etl", kCatalog);
  EXPECT_EQ(parse_principal(ref.arn(kCatalog), kCatalog).name, "etl");
}

TEST(Identity, ErrorsNameTheProblem) {
  EXPECT_NE(invalid_message("arn:aws:iam::999999999999:user/alice").find("999999999999"), std::string::npos);
  EXPECT_NE(invalid_message("arn:aws:iam::999999999999:user/alice").find(kCatalog), std::string::npos);
  EXPECT_NE(invalid_message("arn:aws:s3:::bucket").find("arn:aws:iam::"), std::string::npos);
  EXPECT_NE(invalid_message("arn:aws:iam::123456789012:policy/p").find("user, role or group"),
            std::string::npos);
  EXPECT_NE(invalid_message("arn:aws:iam::123456789012:user").find("user/<name>"), std::string::npos);
  EXPECT_NE(invalid_message("arn:aws:iam::123456789012:user/division/alice").find("path"), std::string::npos);
  EXPECT_NE(invalid_message("robot:x").find("unknown kind"), std::string::npos);
  EXPECT_NE(invalid_message("alice").find("user:NAME"), std::string::npos);
  EXPECT_NE(invalid_message("").find("empty"), std::string::npos);
  EXPECT_NE(invalid_message("user:").find("1..64"), std::string::npos);
  EXPECT_NE(invalid_message("user:al ice").find("letters"), std::string::npos);
  EXPECT_NE(invalid_message("user:" + std::string(65, 'a')).find("1..64"), std::string::npos);
  invalid_message("group:x y", "grantee");
}

TEST(Identity, GeneratedAccessKeyIdsLookLikeAws) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string user = generate_access_key_id(PrincipalKind::User);
    const std::string role = generate_access_key_id(PrincipalKind::Role);
    for (const std::string& id : {user, role}) {
      ASSERT_EQ(id.size(), 20u);
      EXPECT_EQ(id.substr(4).find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), std::string::npos) << id;
    }
    EXPECT_EQ(user.substr(0, 4), "AKIA");
    EXPECT_EQ(role.substr(0, 4), "AROA");
    seen.insert(user);
    seen.insert(role);
  }
  EXPECT_EQ(seen.size(), 400u);
  EXPECT_THROW(generate_access_key_id(PrincipalKind::Group), Error);
}

TEST(Identity, GeneratedSecretsAre40Base64Characters) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string secret = generate_secret_access_key();
    ASSERT_EQ(secret.size(), 40u);
    EXPECT_EQ(secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
              std::string::npos)
        << secret;
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 200u);
}

}  // namespace
}  // namespace cairn::authz
