#include "cairn/authz/authorizer.h"

#include "cairn/catalog/error.h"

namespace cairn::authz {
namespace {

bool is_self_service(Action action) {
  return action == Action::DescribePrincipals || action == Action::DescribeAccessKeys ||
         action == Action::ManageAccessKeys;
}

std::string describe(const Resource& resource) {
  if (!resource.principal.empty()) return "principal '" + resource.principal + "'";
  if (!resource.table.empty()) return "table '" + resource.database + "." + resource.table + "'";
  if (!resource.database.empty()) return "database '" + resource.database + "'";
  return "the catalog";
}

std::string who(const Caller& caller) {
  return std::string(catalog::principal_kind_name(caller.principal.kind)) + "/" + caller.principal.name;
}

}  // namespace

const char* action_name(Action action) {
  switch (action) {
    case Action::ListDatabases:
      return "ListDatabases";
    case Action::DescribeDatabase:
      return "DescribeDatabase";
    case Action::ListTables:
      return "ListTables";
    case Action::DescribeTable:
      return "DescribeTable";
    case Action::ListPartitions:
      return "ListPartitions";
    case Action::DescribePartition:
      return "DescribePartition";
    case Action::CreateDatabase:
      return "CreateDatabase";
    case Action::AlterDatabase:
      return "AlterDatabase";
    case Action::DropDatabase:
      return "DropDatabase";
    case Action::CreateTable:
      return "CreateTable";
    case Action::AlterTable:
      return "AlterTable";
    case Action::DropTable:
      return "DropTable";
    case Action::CreatePartition:
      return "CreatePartition";
    case Action::AlterPartition:
      return "AlterPartition";
    case Action::DropPartition:
      return "DropPartition";
    case Action::ManagePrincipals:
      return "ManagePrincipals";
    case Action::DescribePrincipals:
      return "DescribePrincipals";
    case Action::ManageAccessKeys:
      return "ManageAccessKeys";
    case Action::DescribeAccessKeys:
      return "DescribeAccessKeys";
    case Action::DescribeGrants:
      return "DescribeGrants";
    case Action::ManageTagKeys:
      return "ManageTagKeys";
    case Action::DescribeTagKeys:
      return "DescribeTagKeys";
    case Action::AssignTags:
      return "AssignTags";
    case Action::CreateFilter:
      return "CreateFilter";
    case Action::DescribeFilter:
      return "DescribeFilter";
    case Action::AlterFilter:
      return "AlterFilter";
    case Action::DropFilter:
      return "DropFilter";
    case Action::ManageLocations:
      return "ManageLocations";
    case Action::DescribeLocations:
      return "DescribeLocations";
    case Action::ManageCrawlers:
      return "ManageCrawlers";
    case Action::DescribeCrawlers:
      return "DescribeCrawlers";
    case Action::ManageConnections:
      return "ManageConnections";
    case Action::ReadAudit:
      return "ReadAudit";
    case Action::Explain:
      return "Explain";
  }
  return "Unknown";
}

void Authorizer::require(const Caller& caller, Action action, const Resource& resource) const {
  Decision decision = decide(caller, action, resource);
  if (!decision.allowed) throw Error(ErrorCode::AccessDenied, std::move(decision.reason));
}

Decision Authorizer::decide_grant(const Caller& caller, const catalog::Grant& grant) const {
  Decision decision;
  decision.allowed = caller.is_admin;
  decision.reason = caller.is_admin ? who(caller) + " is an administrator"
                                    : who(caller) + " may not grant on " + catalog::resource_key(grant) +
                                          " (only administrators may)";
  decision.deciding_ids = {caller.is_admin ? "admin" : "admin-only"};
  return decision;
}

Decision AdminOnlyAuthorizer::decide(const Caller& caller, Action action, const Resource& resource) const {
  Decision decision;
  if (caller.is_admin) {
    decision.allowed = true;
    decision.reason = who(caller) + " is an administrator";
    decision.deciding_ids = {"admin"};
    return decision;
  }
  if (is_self_service(action) && !resource.principal.empty() && resource.principal == caller.arn) {
    decision.allowed = true;
    decision.reason = who(caller) + " may " + action_name(action) + " on itself";
    decision.deciding_ids = {"self"};
    return decision;
  }
  decision.reason = who(caller) + " is not allowed to " + action_name(action) + " on " + describe(resource) +
                    " (only administrators may, until grants exist)";
  decision.deciding_ids = {"admin-only"};
  return decision;
}

}  // namespace cairn::authz
