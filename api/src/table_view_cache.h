#pragma once
// A node-local cache of rendered table views: the JSON body GetTable returns to one principal for one table,
// with the decision that allowed it (replayed into the audit log on every hit).
//
// An entry is served only while everything it was computed from is unchanged:
//  - the catalog: the store's catalog change token read before the table was (catalog::Store::
//    catalog_change_token; on PostgreSQL it also changes when another node writes, via NOTIFY);
//  - the policy: the same compiled snapshot (a new grant, filter, tag or membership compiles a new one);
//  - the clock: no time-bound grant of the subject (its own, its groups', EVERYONE's) has expired since.
// So a hit answers exactly what a miss would have computed; the cache only saves the work.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cairn/authz/authorizer.h"
#include "cairn/authz/policy_engine.h"
#include "cairn/catalog/model.h"

namespace cairn::api {

class TableViewCache {
 public:
  struct View {
    std::shared_ptr<const std::string> body;  ///< the response body
    authz::Decision decision;                 ///< the DescribeTable decision that allowed it
  };

  /// What an entry depends on, captured before the computation it caches starts.
  struct Basis {
    std::uint64_t catalog_token = 0;
    std::shared_ptr<const authz::PolicySnapshot> snapshot;
    authz::Subject subject;  ///< whose view it is (the expiry of its grants bounds the entry)
    catalog::Timestamp now = 0;
  };

  /// The cached view of `key` when it was computed on `basis`' catalog token and snapshot and no grant has
  /// expired since; otherwise nullptr.
  std::shared_ptr<const View> find(const std::string& key, const Basis& basis) const;
  /// Stores `view`, computed on `basis`; valid until the next expiry of a grant the subject holds.
  void put(const std::string& key, const Basis& basis, std::shared_ptr<const View> view);
  /// Number of entries (for tests and metrics).
  std::size_t size() const;

  /// The cache key of a principal's view of database.table.
  static std::string key(const std::string& subject, const std::string& database, const std::string& table);

 private:
  struct Entry {
    std::uint64_t catalog_token = 0;
    /// Identity of the snapshot (a weak reference, so cached entries do not keep old policies alive).
    std::weak_ptr<const authz::PolicySnapshot> snapshot;
    catalog::Timestamp valid_until = 0;  ///< exclusive
    std::shared_ptr<const View> view;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;  ///< guarded by mutex
  };
  /// Entries per shard before the shard is emptied (the simplest bound that needs no bookkeeping on hits;
  /// views are a few KB, so 16 x 2048 entries stay well under 100 MB).
  static constexpr std::size_t kMaxEntriesPerShard = 2048;

  Shard& shard(const std::string& key) const;

  mutable std::array<Shard, 16> shards_;
};

}  // namespace cairn::api
