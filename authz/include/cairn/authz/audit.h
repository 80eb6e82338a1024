#pragma once

// The tamper-evident audit log: entries are hash-chained (SHA-256 of the previous entry's hash and this
// entry's canonical form) and appended in batches by a background writer so that lookups never wait on it.

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cairn/catalog/policy.h"
#include "cairn/catalog/store.h"

namespace cairn::authz {

/// Canonical form of an entry for hashing: the fields seq, time, request_id, principal, action, resource,
/// decision, deciding_ids, detail and prev_hash, each length-prefixed ("<len>:<bytes>"), joined — so that no
/// two different entries have the same form. Documented in docs/authorization.md.
std::string audit_canonical_form(const catalog::AuditEntry& entry);
/// Lower-case hex SHA-256 of audit_canonical_form(entry).
std::string audit_hash(const catalog::AuditEntry& entry);

/// Result of verifying the chain.
struct AuditVerification {
  bool ok = true;
  std::int64_t entries = 0;                   ///< entries checked
  std::int64_t last_seq = 0;                  ///< seq of the last entry checked
  std::string head_hash;                      ///< hash of the last entry checked
  std::optional<std::int64_t> first_bad_seq;  ///< first entry whose hash, link or sequence is wrong
  std::string problem;  ///< what is wrong there ("hash mismatch: entry was altered", "gap: entries
                        ///< 41..43 missing", "prev_hash does not match entry 40")
};
/// Walks the whole log in seq order (in pages of 10,000) and checks seq continuity from 1, each prev_hash
/// against the previous hash and each hash against the recomputed one. When `expected_head` is given (a
/// head hash recorded earlier) it must appear at its position, which detects truncation of the tail.
AuditVerification verify_audit(
    catalog::Store& store,
    const std::optional<std::pair<std::int64_t, std::string>>& expected_head = std::nullopt);

/// Batched background writer. record() only queues (never blocks on the store); a writer thread appends
/// queued entries every `flush_interval` or when `batch_size` are waiting. stop() (and the destructor)
/// flushes everything queued before returning, so a clean shutdown loses nothing. If the store fails, the
/// taken entries are kept and retried with backoff; when the queue exceeds `max_queue` the oldest entries
/// are still kept and record() starts blocking until there is room (back-pressure instead of loss).
///
/// With `background` (the default), the writer thread runs in Linux's idle scheduling class (SCHED_IDLE)
/// while it keeps up: hashing and appending a batch is milliseconds of CPU at once, and at normal priority
/// the scheduler let it run out its slice while request threads woken on its core waited (the 2 ms tail
/// and idle CPU of docs/performance.md, "the audit writer's bursts"). It returns to normal priority while
/// `catch_up_at` entries wait, while someone waits in flush() and while stopping, so it cannot be starved.
/// Returning needs CAP_SYS_NICE or RLIMIT_NICE >= 20; without either the writer stays at normal priority
/// (nice 1) throughout. docs/operations.md says how to grant it.
class AuditLog {
 public:
  struct Options {
    std::chrono::milliseconds flush_interval{200};
    std::size_t batch_size = 1000;
    std::size_t max_queue = 200000;
    bool background = true;
    std::size_t catch_up_at = 8000;  ///< entries waiting (queued or being written); at most max_queue
  };
  AuditLog(catalog::Store& store, Options options);
  explicit AuditLog(catalog::Store& store) : AuditLog(store, Options{}) {}
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  /// Queues an entry (time set to now when 0).
  void record(catalog::AuditEntry entry);
  /// Blocks until every entry queued before the call is in the store.
  void flush();
  /// Flushes and stops the writer; record() afterwards writes synchronously.
  void stop();
  /// Entries appended so far by this writer, and entries currently queued.
  std::int64_t written() const;
  std::size_t queued() const;
  /// Entries recorded and not yet in the store (queued or being written).
  std::int64_t waiting() const;
  /// Whether the writer thread is in the idle scheduling class at the moment.
  bool writer_in_background() const { return in_background_.load(std::memory_order_relaxed); }

 private:
  void run();
  /// Appends `batch`, retrying while the store fails.
  void write_batch(std::span<catalog::AuditEntry> batch);
  /// Whether the writer must not wait in the idle class: catch_up_at entries wait, someone waits in
  /// flush(), or it is stopping. mutex_ held.
  bool behind() const;
  /// Returns the writer thread (`writer`: thread_'s handle, or pthread_self() in the writer) to normal
  /// priority; mutex_ held.
  void promote(pthread_t writer);
  /// The writer, before it waits: into the idle class when it has caught up, out of it when behind() (a
  /// backlog that grows meanwhile, flush() and stop() promote it from their own threads); mutex_ held.
  void choose_priority();

  catalog::Store& store_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::vector<catalog::AuditEntry> queue_;  ///< recorded, not yet taken by the writer
  std::vector<catalog::AuditEntry> spare_;  ///< an empty vector with capacity, swapped in for queue_
  /// Taken by the writer and not yet written: fewer than a batch, left over while full batches were
  /// waiting; written first in the writer's next round. Only the writer touches it.
  std::vector<catalog::AuditEntry> carry_;
  std::int64_t enqueued_ = 0;  ///< total ever queued
  std::int64_t written_ = 0;   ///< total appended
  int flush_waiters_ = 0;      ///< threads in flush()
  bool stopping_ = false;
  bool stopped_ = false;
  bool may_leave_background_ = false;       ///< the writer can be returned from the idle class; mutex_
  std::atomic<bool> in_background_{false};  ///< written with mutex_ held; read without it too
  std::thread thread_;
};

}  // namespace cairn::authz
