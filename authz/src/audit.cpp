#include "cairn/authz/audit.h"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <string_view>
#include <utility>

#include "cairn/catalog/error.h"
#include "crypto_util.h"

namespace cairn::authz {
namespace {

/// Appends the decimal text of `n` to `out`.
void put_number(std::string& out, std::int64_t n) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

/// Appends `<byte length>:<bytes>` to `out`.
void put_field(std::string& out, std::string_view value) {
  put_number(out, static_cast<std::int64_t>(value.size()));
  out += ':';
  out.append(value.data(), value.size());
}

/// Appends `<byte length>:<decimal text of n>` to `out`.
void put_number_field(std::string& out, std::int64_t n) {
  char buf[24];
  put_field(out, std::string_view(
                     buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, n).ptr - buf)));
}

/// Appends the deciding ids joined by ',' as one field to `out`.
void put_ids_field(std::string& out, const std::vector<std::string>& ids) {
  std::size_t size = ids.empty() ? 0 : ids.size() - 1;
  for (const std::string& id : ids) size += id.size();
  put_number(out, static_cast<std::int64_t>(size));
  out += ':';
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += ids[i];
  }
}

/// Appends audit_canonical_form(entry) to `out`.
void put_canonical_form(std::string& out, const catalog::AuditEntry& entry) {
  put_number_field(out, entry.seq);
  put_number_field(out, entry.time);
  put_field(out, entry.request_id);
  put_field(out, entry.principal);
  put_field(out, entry.action);
  put_field(out, entry.resource);
  put_field(out, entry.decision);
  put_ids_field(out, entry.deciding_ids);
  put_field(out, entry.detail);
  put_field(out, entry.prev_hash);
}

/// First retry delay after a failed append, and the longest one.
constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
/// How long a stopping writer keeps retrying a failing store before it gives up on the queued entries.
constexpr std::chrono::seconds kStopRetryBudget{30};
/// How often flush() repeats its wake-up of the writer while it waits.
constexpr std::chrono::milliseconds kFlushNudge{10};
/// Entries read per page by verify_audit.
constexpr int kVerifyPage = 10000;

/// Puts `thread` in scheduling class `policy` (SCHED_IDLE or SCHED_OTHER); false when refused.
bool set_scheduling_class(pthread_t thread, int policy) {
  sched_param param{};
  param.sched_priority = 0;
  return pthread_setschedparam(thread, policy, &param) == 0;
}

/// Whether the calling thread may return from the idle class to normal priority: Linux allows that only
/// with CAP_SYS_NICE or an RLIMIT_NICE that permits nice 0, which is what going back from nice 1 to 0
/// asks for too. Leaves the thread at nice 1 when refused.
bool may_return_to_normal_priority() {
  const auto tid = static_cast<id_t>(::gettid());
  if (::setpriority(PRIO_PROCESS, tid, 1) != 0) return false;
  return ::setpriority(PRIO_PROCESS, tid, 0) == 0;
}

}  // namespace

std::string audit_canonical_form(const catalog::AuditEntry& entry) {
  std::string out;
  put_canonical_form(out, entry);
  return out;
}

std::string audit_hash(const catalog::AuditEntry& entry) {
  // The writer hashes every entry it appends: the form is built in a buffer reused by the thread (and
  // sha256_raw reuses the thread's digest context).
  thread_local std::string form;
  form.clear();
  put_canonical_form(form, entry);
  return detail::hex_encode(detail::sha256(form));
}

AuditVerification verify_audit(catalog::Store& store,
                               const std::optional<std::pair<std::int64_t, std::string>>& expected_head) {
  AuditVerification result;
  std::int64_t expected_seq = 1;
  std::string previous_hash;
  bool head_seen = false;
  auto fail = [&](std::int64_t seq, std::string problem) {
    result.ok = false;
    result.first_bad_seq = seq;
    result.problem = std::move(problem);
  };
  std::int64_t after = 0;
  while (result.ok) {
    std::vector<catalog::AuditEntry> page = store.scan_audit(after, kVerifyPage);
    for (const catalog::AuditEntry& entry : page) {
      if (entry.seq != expected_seq) {
        if (entry.seq > expected_seq) {
          fail(entry.seq, "gap: entries " + std::to_string(expected_seq) + ".." +
                              std::to_string(entry.seq - 1) + " missing");
        } else {
          fail(entry.seq, "sequence: expected entry " + std::to_string(expected_seq) + ", found entry " +
                              std::to_string(entry.seq));
        }
        break;
      }
      if (entry.prev_hash != previous_hash) {
        fail(entry.seq, entry.seq == 1 ? std::string("prev_hash of the first entry is not empty")
                                       : "prev_hash does not match entry " + std::to_string(entry.seq - 1));
        break;
      }
      if (audit_hash(entry) != entry.hash) {
        fail(entry.seq, "hash mismatch: entry was altered");
        break;
      }
      if (expected_head && entry.seq == expected_head->first) {
        head_seen = true;
        if (entry.hash != expected_head->second) {
          fail(entry.seq, "expected head " + std::to_string(expected_head->first) + ":" +
                              expected_head->second + " does not match entry " + std::to_string(entry.seq) +
                              " (hash " + entry.hash + ")");
          break;
        }
      }
      ++result.entries;
      result.last_seq = entry.seq;
      result.head_hash = entry.hash;
      previous_hash = entry.hash;
      ++expected_seq;
    }
    if (page.size() < static_cast<std::size_t>(kVerifyPage)) break;
    after = page.back().seq;
  }
  if (result.ok && expected_head && !head_seen) {
    if (expected_head->first < 1) {
      fail(expected_head->first,
           "expected head " + std::to_string(expected_head->first) + " is not a sequence");
    } else {
      fail(result.last_seq + 1, "truncated: the log ends at entry " + std::to_string(result.last_seq) +
                                    " but the expected head is entry " +
                                    std::to_string(expected_head->first));
    }
  }
  return result;
}

AuditLog::AuditLog(catalog::Store& store, Options options) : store_(store), options_(options) {
  options_.batch_size = std::max<std::size_t>(options_.batch_size, 1);
  options_.max_queue = std::max(options_.max_queue, options_.batch_size);
  options_.catch_up_at = std::clamp<std::size_t>(options_.catch_up_at, 1, options_.max_queue);
  thread_ = std::thread([this] { run(); });
}

AuditLog::~AuditLog() {
  stop();
}

void AuditLog::record(catalog::AuditEntry entry) {
  if (entry.time == 0) entry.time = catalog::now_millis();
  std::unique_lock<std::mutex> lock(mutex_);
  if (!stopped_ && queue_.size() >= options_.max_queue) {
    wake_.notify_all();
    drained_.wait(lock, [this] { return stopped_ || queue_.size() < options_.max_queue; });
  }
  if (stopped_) {
    ++enqueued_;
    lock.unlock();
    std::vector<catalog::AuditEntry> batch;
    batch.push_back(std::move(entry));
    write_batch(batch);
    lock.lock();
    written_ += static_cast<std::int64_t>(batch.size());
    drained_.notify_all();
    return;
  }
  queue_.push_back(std::move(entry));
  ++enqueued_;
  if (in_background_.load(std::memory_order_relaxed) && behind()) promote(thread_.native_handle());
  if (queue_.size() >= options_.batch_size) wake_.notify_all();
}

void AuditLog::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::int64_t target = enqueued_;
  ++flush_waiters_;  // the writer leaves the idle class while someone waits for it
  promote(thread_.native_handle());
  struct Leave {
    int& waiters;
    ~Leave() { --waiters; }
  } leave{flush_waiters_};
  while (written_ < target) {
    // The writer may be appending (or not yet waiting) when we notify, so the wake-up is repeated until the
    // entries are in; it signals drained_ after every batch.
    wake_.notify_all();
    drained_.wait_for(lock, kFlushNudge);
  }
}

void AuditLog::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    promote(thread_.native_handle());  // drains at normal priority
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::int64_t AuditLog::written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return written_;
}

std::int64_t AuditLog::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return enqueued_ - written_;
}

std::size_t AuditLog::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

bool AuditLog::behind() const {
  return stopping_ || flush_waiters_ > 0 ||
         enqueued_ - written_ >= static_cast<std::int64_t>(options_.catch_up_at);
}

void AuditLog::promote(pthread_t writer) {
  // Done by whichever thread notices, not only by the writer: a writer in the idle class gets no CPU while
  // request threads keep both cores busy, so it could not promote itself.
  if (!may_leave_background_ || stopped_ || !in_background_.load(std::memory_order_relaxed)) return;
  if (set_scheduling_class(writer, SCHED_OTHER)) in_background_.store(false, std::memory_order_relaxed);
}

void AuditLog::choose_priority() {
  if (!may_leave_background_) return;
  if (behind()) {
    promote(pthread_self());
  } else if (!in_background_.load(std::memory_order_relaxed) && queue_.size() < options_.batch_size &&
             set_scheduling_class(pthread_self(), SCHED_IDLE)) {
    in_background_.store(true, std::memory_order_relaxed);
  }
}

void AuditLog::run() {
  const bool may_leave = options_.background && may_return_to_normal_priority();
  if (options_.background && !may_leave) {
    spdlog::info(
        "audit log: the writer runs at normal priority (returning from the idle scheduling class needs "
        "CAP_SYS_NICE or RLIMIT_NICE >= 20)");
  }
  std::unique_lock<std::mutex> lock(mutex_);
  may_leave_background_ = may_leave;
  for (;;) {
    choose_priority();
    if (!stopping_ && queue_.size() < options_.batch_size) {
      // Woken early by a full batch, flush() or stop(); otherwise appends what is queued every interval.
      wake_.wait_for(lock, options_.flush_interval);
    }
    if (queue_.empty() && carry_.empty()) {
      if (stopping_) {
        // Under the lock that record() takes: entries recorded from now on are written synchronously.
        stopped_ = true;
        in_background_.store(false, std::memory_order_relaxed);
        drained_.notify_all();
        return;
      }
      continue;
    }
    // While a full batch waits, only full batches are written and what is left over (fewer than a batch)
    // waits in carry_ for the next round, at most one flush interval: each batch costs the store a
    // transaction and a few statements whatever its size (PostgreSQL spent ~3.5 us of CPU more per entry in
    // batches of 256 than of 1,000), and a writer that wrote whatever it found left a short batch behind
    // nearly every round (513 entries per batch on average under load). When less than a batch waits, or
    // someone waits in flush(), or the writer is stopping, everything is written.
    const bool whole_batches_only =
        !stopping_ && flush_waiters_ == 0 && queue_.size() + carry_.size() >= options_.batch_size;
    // Everything queued is taken at once by swapping vectors, so record() never waits while entries are
    // moved: moving a thousand entries out under the lock (as this writer once did) held every recording
    // thread for as long as that took, and for milliseconds whenever the writer was preempted meanwhile.
    // The taken entries stay counted as pending (written_ < enqueued_) until they are in the store, so
    // flush() waits for them; record()'s back-pressure counts only what is still queued.
    std::vector<catalog::AuditEntry> taken;
    taken.swap(spare_);
    taken.swap(queue_);
    lock.unlock();
    auto write = [this](std::span<catalog::AuditEntry> batch) {
      write_batch(batch);
      std::lock_guard<std::mutex> written_lock(mutex_);
      written_ += static_cast<std::int64_t>(batch.size());
      drained_.notify_all();
    };
    // Entries are written in place, in batch_size spans; only the carried entries and those completing
    // their batch are moved.
    std::span<catalog::AuditEntry> rest(taken);
    auto move_into_carry = [&](std::size_t n) {
      carry_.insert(carry_.end(), std::make_move_iterator(rest.begin()),
                    std::make_move_iterator(rest.begin() + static_cast<std::ptrdiff_t>(n)));
      rest = rest.subspan(n);
    };
    if (!carry_.empty()) {
      // carry_ holds fewer than batch_size entries: it is completed from the front of what was taken.
      move_into_carry(std::min(rest.size(), options_.batch_size - carry_.size()));
      if (carry_.size() >= options_.batch_size || !whole_batches_only) {
        write(carry_);
        carry_.clear();
      }
    }
    while (rest.size() >= options_.batch_size || (!rest.empty() && !whole_batches_only)) {
      const std::size_t n = std::min(rest.size(), options_.batch_size);
      write(rest.first(n));
      rest = rest.subspan(n);
    }
    move_into_carry(rest.size());
    // The entries were allocated by the recording threads: they are freed here, outside mutex_, and the
    // emptied vector keeps its capacity for the next swap.
    taken.clear();
    lock.lock();
    spare_.swap(taken);
  }
}

void AuditLog::write_batch(std::span<catalog::AuditEntry> batch) {
  auto backoff = kFirstBackoff;
  std::optional<std::chrono::steady_clock::time_point> give_up_at;
  for (int attempt = 1;; ++attempt) {
    for (catalog::AuditEntry& entry : batch) {
      entry.seq = 0;
      entry.prev_hash.clear();
      entry.hash.clear();
    }
    try {
      store_.append_audit(batch, audit_hash);
      if (attempt > 1)
        spdlog::info("audit log: appended {} entries after {} attempts", batch.size(), attempt);
      return;
    } catch (const std::exception& e) {
      spdlog::warn("audit log: appending {} entries failed (attempt {}): {}; retrying in {} ms", batch.size(),
                   attempt, e.what(), backoff.count());
    }
    bool stopping = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping = stopping_;
    }
    if (stopping) {
      const auto now = std::chrono::steady_clock::now();
      if (!give_up_at) give_up_at = now + kStopRetryBudget;
      if (now >= *give_up_at) {
        spdlog::error("audit log: the store kept failing during shutdown; {} entries could not be written",
                      batch.size());
        return;
      }
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace cairn::authz
