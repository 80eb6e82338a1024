// The tamper-evident audit log (authz/audit.h, docs/authorization.md section 8): the canonical form and its
// hash, the batched writer, and verification against edits, deletions, broken links and truncation. The
// store tests run on SQLite and, when CAIRN_TEST_DATABASE_URL is set, on PostgreSQL in a fresh schema.

#include "cairn/authz/audit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"
#include "support/store_backends.h"

namespace cairn::authz {
namespace {

namespace fs = std::filesystem;
using catalog::AuditEntry;

AuditEntry golden_first() {
  AuditEntry e;
  e.seq = 1;
  e.time = 1767225600000;
  e.request_id = "req-1";
  e.principal = "user:alice";
  e.action = "DescribeTable";
  e.resource = "table/crm/customers";
  e.decision = "allow";
  e.deciding_ids = {"grant:7", "tag:pii"};
  return e;
}

constexpr const char* kGoldenFirstHash = "1b9681b5f373f75c6f8f67e0ea82c724d14e0fdd834faa2e1c81296c1502bacd";

TEST(AuditCanonicalForm, LengthPrefixedFieldsInDocumentedOrder) {
  EXPECT_EQ(audit_canonical_form(golden_first()),
            "1:1"
            "13:1767225600000"
            "5:req-1"
            "10:user:alice"
            "13:DescribeTable"
            "19:table/crm/customers"
            "5:allow"
            "15:grant:7,tag:pii"
            "0:"
            "0:");
}

TEST(AuditCanonicalForm, GoldenHashes) {
  const AuditEntry first = golden_first();
  EXPECT_EQ(audit_hash(first), kGoldenFirstHash);

  AuditEntry second;
  second.seq = 2;
  second.time = 1767225600001;
  second.request_id = "req-2";
  second.principal = "user:bob";
  second.action = "GrantPermissions";
  second.resource = "table/crm/customers";
  second.decision = "ok";
  second.detail =
      "granted SELECT to user:alice \xe2\x80\x94 \xc3\xbcn\xc3\xaf"
      "code";  // byte lengths, not chars
  second.prev_hash = kGoldenFirstHash;
  EXPECT_EQ(audit_canonical_form(second).substr(0, 77),
            "1:2"
            "13:1767225600001"
            "5:req-2"
            "8:user:bob"
            "16:GrantPermissions"
            "19:table/crm/customers");
  EXPECT_NE(audit_canonical_form(second).find("42:granted SELECT"), std::string::npos);
  EXPECT_EQ(audit_hash(second), "a18a0c4811307f0510a3738c9bb9266588bd46bf79f1cc6f21bf1436b60ed8d6");
}

TEST(AuditCanonicalForm, FieldBoundariesCannotShift) {
  AuditEntry a = golden_first();
  AuditEntry b = golden_first();
  a.request_id = "req-1user:alice";
  a.principal = "";
  b.request_id = "req-1";
  b.principal = "user:alice";
  EXPECT_NE(audit_canonical_form(a), audit_canonical_form(b));
  EXPECT_NE(audit_hash(a), audit_hash(b));

  // Every field takes part in the hash.
  const std::string base = audit_hash(golden_first());
  auto changed = [&](auto&& edit) {
    AuditEntry e = golden_first();
    edit(e);
    return audit_hash(e) != base;
  };
  EXPECT_TRUE(changed([](AuditEntry& e) { e.seq = 2; }));
  EXPECT_TRUE(changed([](AuditEntry& e) { e.time += 1; }));
  EXPECT_TRUE(changed([](AuditEntry& e) { e.request_id = "req-2"; }));
  EXPECT_TRUE(changed([](AuditEntry& e) { e.principal = "user:bob"; }));
  EXPECT_TRUE(changed([](AuditEntry& e) { e.action = "DropTable"; }));
  EXPECT_TRUE(changed([](AuditEntry& e) { e.resource = "table/crm/orders"; }));
  EXPECT_TRUE(changed([](AuditEntry& e) { e.decision = "deny"; }));
  EXPECT_TRUE(changed([](AuditEntry& e) { e.deciding_ids = {"grant:7"}; }));
  EXPECT_TRUE(changed([](AuditEntry& e) { e.detail = "x"; }));
  EXPECT_TRUE(changed([](AuditEntry& e) { e.prev_hash = kGoldenFirstHash; }));
  // The stored hash itself is not part of the form.
  EXPECT_FALSE(changed([](AuditEntry& e) { e.hash = "anything"; }));
}

// --- the store-backed tests -----------------------------------------------------------------------------

class AuditStoreTest : public test::FreshStoreTest {
 protected:
  AuditStoreTest() : FreshStoreTest("audit", "audit tests") {}

  /// Quotes a text literal for raw_exec (test-controlled values only).
  static std::string literal(const std::string& text) {
    std::string out = "'";
    for (char ch : text) {
      out += ch;
      if (ch == '\'') out += '\'';
    }
    return out + "'";
  }

  static AuditEntry entry(int i, const std::string& principal = "user:alice") {
    AuditEntry e;
    e.time = 1767225600000 + i;
    e.request_id = "req-" + std::to_string(i);
    e.principal = principal;
    e.action = i % 3 == 0 ? "GrantPermissions" : "DescribeTable";
    e.resource = i % 2 == 0 ? "table/crm/customers" : "database/crm";
    e.decision = i % 3 == 0 ? "ok" : (i % 2 == 0 ? "allow" : "deny");
    e.deciding_ids = {"grant:" + std::to_string(i), "tag:pii"};
    e.detail = i % 5 == 0 ? "it's entry " + std::to_string(i) : "";
    return e;
  }

  /// Appends `n` entries through a writer and returns the verification of the result.
  AuditVerification write(int n) {
    AuditLog log(*store_, AuditLog::Options{std::chrono::milliseconds(5), 7, 1000});
    for (int i = 1; i <= n; ++i) log.record(entry(i));
    log.stop();
    EXPECT_EQ(log.written(), n);
    return verify_audit(*store_);
  }

  std::vector<AuditEntry> all_entries() {
    std::vector<AuditEntry> out;
    std::int64_t after = 0;
    for (;;) {
      auto page = store_->scan_audit(after, 1000);
      if (page.empty()) break;
      after = page.back().seq;
      out.insert(out.end(), page.begin(), page.end());
    }
    return out;
  }
};

TEST_P(AuditStoreTest, EmptyLogVerifies) {
  const AuditVerification v = verify_audit(*store_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 0);
  EXPECT_EQ(v.last_seq, 0);
  EXPECT_FALSE(v.first_bad_seq.has_value());
}

TEST_P(AuditStoreTest, EntriesRoundTripAndChain) {
  const AuditVerification v = write(12);
  ASSERT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 12);
  EXPECT_EQ(v.last_seq, 12);
  const auto entries = all_entries();
  ASSERT_EQ(entries.size(), 12u);
  std::string prev;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const AuditEntry& got = entries[i];
    const AuditEntry want = entry(static_cast<int>(i) + 1);
    EXPECT_EQ(got.seq, static_cast<std::int64_t>(i) + 1);
    EXPECT_EQ(got.time, want.time);
    EXPECT_EQ(got.request_id, want.request_id);
    EXPECT_EQ(got.principal, want.principal);
    EXPECT_EQ(got.action, want.action);
    EXPECT_EQ(got.resource, want.resource);
    EXPECT_EQ(got.decision, want.decision);
    EXPECT_EQ(got.deciding_ids, want.deciding_ids);
    EXPECT_EQ(got.detail, want.detail);
    EXPECT_EQ(got.prev_hash, prev);
    EXPECT_EQ(got.hash, audit_hash(got));
    prev = got.hash;
  }
  EXPECT_EQ(v.head_hash, prev);
}

TEST_P(AuditStoreTest, WriterLosesNothingUnderConcurrentRecording) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2500;
  {
    AuditLog log(*store_, AuditLog::Options{std::chrono::milliseconds(20), 500, 200000});
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kPerThread; ++i) {
          AuditEntry e = entry(i, "user:u" + std::to_string(t));
          e.request_id = "t" + std::to_string(t) + "-" + std::to_string(i);
          log.record(std::move(e));
        }
      });
    }
    for (auto& th : threads) th.join();
    log.stop();
    EXPECT_EQ(log.written(), kThreads * kPerThread);
    EXPECT_EQ(log.queued(), 0u);
  }
  const auto entries = all_entries();
  ASSERT_EQ(entries.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::set<std::string> ids;
  std::vector<int> next(kThreads, 0);
  for (const auto& e : entries) {
    ids.insert(e.request_id);
    // Each thread's entries keep their recording order.
    const int t = e.principal.back() - '0';
    const int i = std::stoi(e.request_id.substr(e.request_id.find('-') + 1));
    EXPECT_EQ(i, next[t]) << e.request_id;
    next[t] = i + 1;
  }
  EXPECT_EQ(ids.size(), entries.size());
  const AuditVerification v = verify_audit(*store_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, kThreads * kPerThread);
}

TEST_P(AuditStoreTest, DestructorFlushes) {
  {
    AuditLog log(*store_, AuditLog::Options{std::chrono::hours(1), 1000, 200000});
    for (int i = 1; i <= 30; ++i) log.record(entry(i));
  }
  EXPECT_EQ(all_entries().size(), 30u);
}

TEST_P(AuditStoreTest, FlushWaitsForQueuedEntries) {
  AuditLog log(*store_, AuditLog::Options{std::chrono::hours(1), 1000, 200000});
  for (int i = 1; i <= 5; ++i) log.record(entry(i));
  log.flush();
  EXPECT_EQ(log.written(), 5);
  EXPECT_EQ(log.queued(), 0u);
  EXPECT_EQ(all_entries().size(), 5u);
  log.flush();  // nothing queued: returns at once
  log.record(entry(6));
  log.flush();
  EXPECT_EQ(all_entries().size(), 6u);
}

TEST_P(AuditStoreTest, RecordSetsTimeWhenZero) {
  AuditLog log(*store_);
  AuditEntry e = entry(1);
  e.time = 0;
  const catalog::Timestamp before = catalog::now_millis();
  log.record(e);
  log.flush();
  const auto entries = all_entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_GE(entries[0].time, before);
  EXPECT_LE(entries[0].time, catalog::now_millis());
}

TEST_P(AuditStoreTest, RecordAfterStopWritesSynchronously) {
  AuditLog log(*store_, AuditLog::Options{std::chrono::hours(1), 1000, 200000});
  log.record(entry(1));
  log.stop();
  log.stop();  // idempotent
  log.record(entry(2));
  EXPECT_EQ(log.written(), 2);
  EXPECT_EQ(all_entries().size(), 2u);
  EXPECT_TRUE(verify_audit(*store_).ok);
}

TEST_P(AuditStoreTest, StoreOutageIsRetriedAndBackPressureBlocksRecording) {
  AuditLog log(*store_, AuditLog::Options{std::chrono::milliseconds(5), 5, 10});
  log.record(entry(1));
  log.flush();
  raw_exec("ALTER TABLE audit_log RENAME TO audit_log_away");
  std::atomic<int> recorded{1};
  std::thread producer([&] {
    for (int i = 2; i <= 30; ++i) {
      log.record(entry(i));
      recorded = i;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // At most one batch in flight (5) plus a full queue (10) got past record(); the rest waits.
  EXPECT_LE(recorded.load(), 1 + 5 + 10);
  EXPECT_GE(recorded.load(), 1 + 10);
  EXPECT_EQ(log.written(), 1);
  raw_exec("ALTER TABLE audit_log_away RENAME TO audit_log");
  producer.join();
  log.stop();
  EXPECT_EQ(log.written(), 30);
  const AuditVerification v = verify_audit(*store_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 30);
  const auto entries = all_entries();
  ASSERT_EQ(entries.size(), 30u);
  for (int i = 0; i < 30; ++i)
    EXPECT_EQ(entries[static_cast<std::size_t>(i)].request_id, entry(i + 1).request_id);
}

TEST_P(AuditStoreTest, DetectsEditedEntry) {
  ASSERT_TRUE(write(20).ok);
  raw_exec("UPDATE audit_log SET detail = " + literal("nothing to see") + " WHERE seq = 7");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 7);
  EXPECT_NE(v.problem.find("hash mismatch"), std::string::npos) << v.problem;
  EXPECT_EQ(v.entries, 6);
  EXPECT_EQ(v.last_seq, 6);
}

TEST_P(AuditStoreTest, DetectsEditedDecision) {
  ASSERT_TRUE(write(20).ok);
  raw_exec("UPDATE audit_log SET decision = 'allow' WHERE seq = 1");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 1);
}

TEST_P(AuditStoreTest, DetectsDeletedMiddleEntryAsGap) {
  ASSERT_TRUE(write(20).ok);
  raw_exec("DELETE FROM audit_log WHERE seq = 10");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 11);
  EXPECT_NE(v.problem.find("gap: entries 10..10 missing"), std::string::npos) << v.problem;
  EXPECT_EQ(v.last_seq, 9);
}

TEST_P(AuditStoreTest, DetectsDeletedFirstEntries) {
  ASSERT_TRUE(write(10).ok);
  raw_exec("DELETE FROM audit_log WHERE seq <= 3");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 4);
  EXPECT_NE(v.problem.find("gap: entries 1..3 missing"), std::string::npos) << v.problem;
}

TEST_P(AuditStoreTest, DetectsBrokenLinkWhenAnEntryIsRewrittenWithAFreshHash) {
  ASSERT_TRUE(write(20).ok);
  // A forger rewrites entry 5 and recomputes its hash: entry 5 is self-consistent, but entry 6 still
  // names the old hash.
  AuditEntry e5 = all_entries()[4];
  ASSERT_EQ(e5.seq, 5);
  e5.decision = "allow";
  e5.detail = "forged";
  const std::string forged = audit_hash(e5);
  raw_exec("UPDATE audit_log SET decision = 'allow', detail = 'forged', hash = " + literal(forged) +
           " WHERE seq = 5");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 6);
  EXPECT_NE(v.problem.find("prev_hash does not match entry 5"), std::string::npos) << v.problem;
  EXPECT_EQ(v.last_seq, 5);
}

TEST_P(AuditStoreTest, DetectsRewrittenPrevHash) {
  ASSERT_TRUE(write(20).ok);
  raw_exec("UPDATE audit_log SET prev_hash = " + literal(std::string(64, '0')) + " WHERE seq = 12");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 12);
  EXPECT_NE(v.problem.find("prev_hash does not match entry 11"), std::string::npos) << v.problem;
}

TEST_P(AuditStoreTest, DetectsTruncatedTailOnlyWithExpectedHead) {
  const AuditVerification before = write(30);
  ASSERT_TRUE(before.ok);
  const std::pair<std::int64_t, std::string> head{before.last_seq, before.head_hash};
  EXPECT_TRUE(verify_audit(*store_, head).ok);

  raw_exec("DELETE FROM audit_log WHERE seq > 25");
  // The shortened chain is internally consistent...
  const AuditVerification plain = verify_audit(*store_);
  EXPECT_TRUE(plain.ok) << plain.problem;
  EXPECT_EQ(plain.last_seq, 25);
  // ...but not against the head recorded earlier.
  const AuditVerification v = verify_audit(*store_, head);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 26);
  EXPECT_NE(v.problem.find("truncated"), std::string::npos) << v.problem;
}

TEST_P(AuditStoreTest, ExpectedHeadMustMatchItsEntry) {
  const AuditVerification before = write(10);
  ASSERT_TRUE(before.ok);
  // A head recorded at entry 4 is checked at its position; later entries are fine.
  const std::string h4 = all_entries()[3].hash;
  EXPECT_TRUE(verify_audit(*store_, std::make_pair(std::int64_t{4}, h4)).ok);
  const AuditVerification v = verify_audit(*store_, std::make_pair(std::int64_t{4}, std::string(64, 'f')));
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 4);
}

TEST_P(AuditStoreTest, VerifiesAcrossPages) {
  // More than one verification page (10,000 entries).
  {
    AuditLog log(*store_, AuditLog::Options{std::chrono::milliseconds(5), 2000, 200000});
    for (int i = 1; i <= 10005; ++i) log.record(entry(i));
  }
  AuditVerification v = verify_audit(*store_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 10005);
  raw_exec("DELETE FROM audit_log WHERE seq = 10001");
  v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 10002);
}

TEST_P(AuditStoreTest, AppendsFromTwoWritersInterleaveIntoOneChain) {
  {
    AuditLog a(*store_, AuditLog::Options{std::chrono::milliseconds(1), 3, 1000});
    AuditLog b(*store_, AuditLog::Options{std::chrono::milliseconds(1), 4, 1000});
    for (int i = 1; i <= 200; ++i) (i % 2 == 0 ? a : b).record(entry(i));
  }
  const AuditVerification v = verify_audit(*store_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditStoreTest, test::store_backends(), test::backend_test_name);

}  // namespace
}  // namespace cairn::authz
