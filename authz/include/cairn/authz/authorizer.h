#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cairn/authz/identity.h"
#include "cairn/catalog/policy.h"

namespace cairn::authz {

/// What a request wants to do.
enum class Action {
  // catalog reads
  ListDatabases,
  DescribeDatabase,
  ListTables,
  DescribeTable,
  ListPartitions,
  DescribePartition,
  // catalog writes
  CreateDatabase,
  AlterDatabase,
  DropDatabase,
  CreateTable,
  AlterTable,
  DropTable,
  CreatePartition,
  AlterPartition,
  DropPartition,
  // identity administration
  ManagePrincipals,
  DescribePrincipals,
  ManageAccessKeys,
  DescribeAccessKeys,
  // governance
  DescribeGrants,   ///< list/get grants (resource: what they are on; filtered per item)
  ManageTagKeys,    ///< create/update/delete LF-Tag keys
  DescribeTagKeys,  ///< list/get LF-Tag keys
  AssignTags,       ///< assign/unassign tags on a database, table or column
  CreateFilter,     ///< create a data cells filter on a table
  DescribeFilter,   ///< see a data cells filter (resource.filter set)
  AlterFilter,      ///< update a data cells filter
  DropFilter,       ///< delete a data cells filter
  ManageLocations,  ///< register/deregister data locations
  DescribeLocations,
  ReadAudit,  ///< query and verify the audit log
  Explain,    ///< explain a principal's access (resource.principal: whose)
  // crawlers and connections
  ManageCrawlers,     ///< create/update/delete/start/stop a crawler (resource.database: its database)
  DescribeCrawlers,   ///< see a crawler and its runs (resource.database: its database)
  ManageConnections,  ///< create/update/delete/see connections (they hold credentials)
};

const char* action_name(Action action);

/// The object of an action; empty fields are "not applicable" (catalog-level actions leave all empty).
struct Resource {
  std::string database;
  std::string table;
  std::string principal;  ///< for identity actions: the target principal's ARN
  std::string filter;     ///< for filter actions: the data cells filter's name (with database and table)
  std::string location;   ///< for CreateTable/AlterTable: the table's storage location, if any
};

/// An authorization result that says who decided.
struct Decision {
  bool allowed = false;
  std::string reason;                     ///< human-readable, for errors and audit
  std::vector<std::string> deciding_ids;  ///< ids of the grants/rules that decided
};

/// The permission engine interface every handler asks, for every lookup and every mutation.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual Decision decide(const Caller& caller, Action action, const Resource& resource) const = 0;

  /// Throwing twin of decide(): Error(AccessDenied) with the reason when denied.
  void require(const Caller& caller, Action action, const Resource& resource) const;
  /// May `caller` grant or revoke `grant` (already normalised)? Administrators may; others need the grant
  /// option for every permission of it on its resource (docs/authorization.md). The default allows
  /// administrators only.
  virtual Decision decide_grant(const Caller& caller, const catalog::Grant& grant) const;
  /// decide(…).allowed; implementations may answer faster without building the reason.
  virtual bool is_granted(const Caller& caller, Action action, const Resource& resource) const {
    return decide(caller, action, resource).allowed;
  }
};

/// Foundation policy: administrators may do everything; everyone else nothing, except that a caller may
/// describe itself and list/manage nothing else.
class AdminOnlyAuthorizer final : public Authorizer {
 public:
  Decision decide(const Caller& caller, Action action, const Resource& resource) const override;
};

}  // namespace cairn::authz
