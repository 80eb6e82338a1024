#include "table_view_cache.h"

#include <functional>

namespace cairn::api {

namespace {
/// Same control block: the very snapshot the entry was computed on (not merely one at the same address).
bool same_snapshot(const std::weak_ptr<const authz::PolicySnapshot>& cached,
                   const std::shared_ptr<const authz::PolicySnapshot>& current) {
  return !cached.owner_before(current) && !current.owner_before(cached) && !cached.expired();
}
}  // namespace

std::string TableViewCache::key(const std::string& subject, const std::string& database,
                                const std::string& table) {
  std::string k;
  k.reserve(subject.size() + database.size() + table.size() + 2);
  k += subject;
  k += '\x1f';
  k += database;
  k += '\x1f';
  k += table;
  return k;
}

TableViewCache::Shard& TableViewCache::shard(const std::string& key) const {
  return shards_[std::hash<std::string>{}(key) % shards_.size()];
}

std::shared_ptr<const TableViewCache::View> TableViewCache::find(const std::string& key,
                                                                 const Basis& basis) const {
  Shard& s = shard(key);
  std::lock_guard lock(s.mutex);
  auto it = s.entries.find(key);
  if (it == s.entries.end()) return nullptr;
  const Entry& e = it->second;
  if (e.catalog_token != basis.catalog_token || basis.now >= e.valid_until ||
      !same_snapshot(e.snapshot, basis.snapshot)) {
    s.entries.erase(it);
    return nullptr;
  }
  return e.view;
}

void TableViewCache::put(const std::string& key, const Basis& basis, std::shared_ptr<const View> view) {
  Entry e;
  e.catalog_token = basis.catalog_token;
  e.snapshot = basis.snapshot;
  e.valid_until = basis.snapshot->next_expiry_after(basis.subject, basis.now);
  e.view = std::move(view);
  Shard& s = shard(key);
  std::lock_guard lock(s.mutex);
  if (s.entries.size() >= kMaxEntriesPerShard && !s.entries.contains(key)) s.entries.clear();
  s.entries.insert_or_assign(key, std::move(e));
}

std::size_t TableViewCache::size() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.entries.size();
  }
  return n;
}

}  // namespace cairn::api
