#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cairn/authz/identity.h"

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
};

const char* action_name(Action action);

/// The object of an action; empty fields are "not applicable" (catalog-level actions leave all empty).
struct Resource {
  std::string database;
  std::string table;
  std::string principal;  ///< for identity actions: the target principal's ARN
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
  bool is_granted(const Caller& caller, Action action, const Resource& resource) const {
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
