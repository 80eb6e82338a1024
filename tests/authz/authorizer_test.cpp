#include "cairn/authz/authorizer.h"

#include <gtest/gtest.h>

#include <set>

#include "cairn/catalog/error.h"

namespace cairn::authz {
namespace {

using catalog::PrincipalKind;

const std::string kCatalog = "000000000000";

Caller make_caller(PrincipalKind kind, const std::string& name, bool admin = false) {
  Caller c;
  c.principal = PrincipalRef{kind, name};
  c.arn = c.principal.arn(kCatalog);
  c.is_admin = admin;
  return c;
}

const std::vector<Action> kAllActions = {
    Action::ListDatabases,      Action::DescribeDatabase,   Action::ListTables,
    Action::DescribeTable,      Action::ListPartitions,     Action::DescribePartition,
    Action::CreateDatabase,     Action::AlterDatabase,      Action::DropDatabase,
    Action::CreateTable,        Action::AlterTable,         Action::DropTable,
    Action::CreatePartition,    Action::AlterPartition,     Action::DropPartition,
    Action::ManagePrincipals,   Action::DescribePrincipals, Action::ManageAccessKeys,
    Action::DescribeAccessKeys,
};

TEST(AdminOnlyAuthorizer, ActionNamesAreTheEnumNames) {
  EXPECT_STREQ(action_name(Action::CreateDatabase), "CreateDatabase");
  EXPECT_STREQ(action_name(Action::DescribeAccessKeys), "DescribeAccessKeys");
  std::set<std::string> names;
  for (Action a : kAllActions) names.insert(action_name(a));
  EXPECT_EQ(names.size(), kAllActions.size());
}

TEST(AdminOnlyAuthorizer, AdminMayDoEverything) {
  const AdminOnlyAuthorizer authz;
  const Caller admin = make_caller(PrincipalKind::User, "admin", true);
  for (Action a : kAllActions) {
    const Decision d = authz.decide(admin, a, Resource{"sales", "orders", "", {}, {}});
    EXPECT_TRUE(d.allowed) << action_name(a);
    EXPECT_EQ(d.deciding_ids, std::vector<std::string>{"admin"});
    EXPECT_NO_THROW(authz.require(admin, a, Resource{}));
  }
}

TEST(AdminOnlyAuthorizer, OthersAreDeniedWithAReason) {
  const AdminOnlyAuthorizer authz;
  const Caller alice = make_caller(PrincipalKind::User, "alice");
  for (Action a : kAllActions) EXPECT_FALSE(authz.is_granted(alice, a, Resource{"sales", "", "", {}, {}}));

  const Decision d = authz.decide(alice, Action::CreateDatabase, Resource{"sales", "", "", {}, {}});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason,
            "user/alice is not allowed to CreateDatabase on database 'sales' (only administrators may, until "
            "grants "
            "exist)");
  EXPECT_FALSE(d.deciding_ids.empty());

  EXPECT_NE(authz.decide(alice, Action::DescribeTable, Resource{"sales", "orders", "", {}, {}})
                .reason.find("table 'sales.orders'"),
            std::string::npos);
  EXPECT_NE(authz.decide(alice, Action::ListDatabases, Resource{}).reason.find("the catalog"),
            std::string::npos);

  try {
    authz.require(alice, Action::DropTable, Resource{"sales", "orders", "", {}, {}});
    FAIL() << "require did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::AccessDenied);
    EXPECT_NE(std::string(e.what()).find("DropTable"), std::string::npos);
  }
}

TEST(AdminOnlyAuthorizer, CallerMayDescribeItselfAndManageItsOwnKeys) {
  const AdminOnlyAuthorizer authz;
  const Caller alice = make_caller(PrincipalKind::User, "alice");
  const Resource self{"", "", alice.arn, {}, {}};
  const Resource bob{"", "", "arn:aws:iam::000000000000:user/bob", {}, {}};
  for (Action a : {Action::DescribePrincipals, Action::DescribeAccessKeys, Action::ManageAccessKeys}) {
    const Decision d = authz.decide(alice, a, self);
    EXPECT_TRUE(d.allowed) << action_name(a);
    EXPECT_EQ(d.deciding_ids, std::vector<std::string>{"self"});
    EXPECT_FALSE(authz.is_granted(alice, a, bob)) << action_name(a);
  }
  EXPECT_FALSE(authz.is_granted(alice, Action::ManagePrincipals, self));

  const Caller etl = make_caller(PrincipalKind::Role, "etl");
  EXPECT_TRUE(authz.is_granted(etl, Action::ManageAccessKeys, Resource{"", "", etl.arn, {}, {}}));
  EXPECT_NE(authz.decide(etl, Action::ListTables, Resource{"sales", "", "", {}, {}}).reason.find("role/etl"),
            std::string::npos);
}

}  // namespace
}  // namespace cairn::authz
