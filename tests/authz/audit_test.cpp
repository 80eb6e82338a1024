// The tamper-evident audit log (authz/audit.h, docs/authorization.md section 8): the canonical form and its
// hash, the batched writer, and verification against edits, deletions, broken links and truncation. The
// store tests run on SQLite and, when CAIRN_TEST_DATABASE_URL is set, on PostgreSQL in a fresh schema.

#include "cairn/authz/audit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"
#include "support/store_backends.h"

namespace cairn::authz {
namespace {

namespace fs = std::filesystem;
using catalog::AuditEntry;
using catalog::AuditQuery;

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
//
// The store keeps one audit_batches row per appended batch (migrations/*/0003_audit_batches.sql); the tamper
// tests edit entries inside those rows with the backend's JSON functions, as an attacker with SQL access
// would.

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

  /// Appends entry(1), entry(2), ... directly to the store, one append (so one stored batch of up to 1,024
  /// entries) per element of `sizes`; returns the entries as appended.
  std::vector<AuditEntry> append_batches(const std::vector<int>& sizes) {
    std::vector<AuditEntry> out;
    int i = 0;
    for (int size : sizes) {
      std::vector<AuditEntry> batch;
      for (int k = 0; k < size; ++k) batch.push_back(entry(++i));
      store_->append_audit(batch, audit_hash);
      out.insert(out.end(), batch.begin(), batch.end());
    }
    return out;
  }

  /// The SQL condition selecting the batch that holds entry `seq`.
  static std::string batch_of(std::int64_t seq) {
    const std::string s = std::to_string(seq);
    return "first_seq <= " + s + " AND last_seq >= " + s;
  }

  /// Sets element `index` of entry `seq` inside its stored batch ([seq, time, request_id, principal, action,
  /// resource, decision, deciding_ids, detail, hash]) to the JSON value `json_value`, behind the store's
  /// back.
  void edit_entry(std::int64_t seq, int index, const std::string& json_value) {
    const std::string position = "(" + std::to_string(seq) + " - first_seq)";
    if (is_sqlite()) {
      raw_exec("UPDATE audit_batches SET entries = json_set(entries, '$[' || " + position + " || '][" +
               std::to_string(index) + "]', json(" + literal(json_value) + ")) WHERE " + batch_of(seq));
    } else {
      raw_exec("UPDATE audit_batches SET entries = jsonb_set(entries::jsonb, ARRAY[" + position +
               "::text, '" + std::to_string(index) + "'], " + literal(json_value) + "::jsonb)::text WHERE " +
               batch_of(seq));
    }
  }

  /// Removes entry `seq` from inside its stored batch, behind the store's back.
  void remove_entry(std::int64_t seq) {
    const std::string position = "(" + std::to_string(seq) + " - first_seq)";
    if (is_sqlite()) {
      raw_exec("UPDATE audit_batches SET entries = json_remove(entries, '$[' || " + position +
               " || ']') WHERE " + batch_of(seq));
    } else {
      raw_exec("UPDATE audit_batches SET entries = (entries::jsonb - " + position + "::int)::text WHERE " +
               batch_of(seq));
    }
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

  /// For the writer's rounds, with batches of 10: the store fails while the writer holds entries 1..10, so
  /// entries 11..`last` queue up behind them; once the store is back, waits until two batches are written.
  void hold_the_first_batch_while_recording(AuditLog& log, int last) {
    raw_exec("ALTER TABLE audit_batches RENAME TO audit_batches_away");
    for (int i = 1; i <= 10; ++i) log.record(entry(i));
    for (int i = 0; i < 200 && log.queued() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_EQ(log.queued(), 0u) << "the writer took the first batch";
    for (int i = 11; i <= last; ++i) log.record(entry(i));
    raw_exec("ALTER TABLE audit_batches_away RENAME TO audit_batches");
    for (int i = 0; i < 2000 && log.written() < 20; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  /// The log verifies and holds exactly entry(1) .. entry(n), in that order.
  void expect_entries_in_order(int n) {
    const AuditVerification v = verify_audit(*store_);
    EXPECT_TRUE(v.ok) << v.problem;
    EXPECT_EQ(v.entries, n);
    const auto entries = all_entries();
    ASSERT_EQ(entries.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
      EXPECT_EQ(entries[static_cast<std::size_t>(i)].request_id, entry(i + 1).request_id);
  }

  /// Every entry matching `query`, page by page with `limit`; checks that every page but the last is full
  /// and carries a token.
  std::vector<AuditEntry> query_all(const AuditQuery& query, int limit) {
    std::vector<AuditEntry> out;
    catalog::PageRequest page{"", limit};
    for (int pages = 0;; ++pages) {
      auto result = store_->query_audit(query, page);
      EXPECT_LE(static_cast<int>(result.items.size()), limit);
      if (!result.next_token.empty()) {
        EXPECT_EQ(static_cast<int>(result.items.size()), limit);
      }
      out.insert(out.end(), result.items.begin(), result.items.end());
      if (result.next_token.empty() || pages > 100000) break;
      page.token = result.next_token;
    }
    return out;
  }

  std::int64_t count_rows(const std::string& table) {
    return std::stoll(raw_scalar("SELECT COUNT(*) FROM " + table));
  }
};

void expect_same_entry(const AuditEntry& got, const AuditEntry& want) {
  EXPECT_EQ(got.seq, want.seq);
  EXPECT_EQ(got.time, want.time) << "seq " << want.seq;
  EXPECT_EQ(got.request_id, want.request_id) << "seq " << want.seq;
  EXPECT_EQ(got.principal, want.principal) << "seq " << want.seq;
  EXPECT_EQ(got.action, want.action) << "seq " << want.seq;
  EXPECT_EQ(got.resource, want.resource) << "seq " << want.seq;
  EXPECT_EQ(got.decision, want.decision) << "seq " << want.seq;
  EXPECT_EQ(got.deciding_ids, want.deciding_ids) << "seq " << want.seq;
  EXPECT_EQ(got.detail, want.detail) << "seq " << want.seq;
  EXPECT_EQ(got.prev_hash, want.prev_hash) << "seq " << want.seq;
  EXPECT_EQ(got.hash, want.hash) << "seq " << want.seq;
}

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

TEST_P(AuditStoreTest, TextNeedingEscapesRoundTrips) {
  std::vector<AuditEntry> batch;
  for (int i = 1; i <= 3; ++i) batch.push_back(entry(i));
  batch[0].detail = "quote \" backslash \\ slash / tab \t newline \n cr \r bell \x07 del \x7f";
  batch[1].request_id = "\xe2\x80\x94 \xc3\xbcn\xc3\xaf\xf0\x9f\x94\x92";
  batch[1].deciding_ids = {};
  batch[2].deciding_ids = {"", "a,b", "\"x\""};
  batch[2].principal = "";
  batch[2].resource = "";
  store_->append_audit(batch, audit_hash);
  const auto stored = all_entries();
  ASSERT_EQ(stored.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) expect_same_entry(stored[i], batch[i]);
  EXPECT_TRUE(verify_audit(*store_).ok);
}

TEST_P(AuditStoreTest, OneRowPerBatchAndOneIndexRowPerDistinctPrincipalAndResource) {
  std::vector<AuditEntry> small;
  for (int i = 0; i < 256; ++i) small.push_back(entry(i, "user:u" + std::to_string(i % 4)));
  store_->append_audit(small, audit_hash);
  EXPECT_EQ(count_rows("audit_batches"), 1);
  EXPECT_EQ(count_rows("audit_batch_principals"), 4);
  EXPECT_EQ(count_rows("audit_batch_resources"), 2);
  EXPECT_EQ(raw_scalar("SELECT last_seq FROM audit_batches WHERE first_seq = 1"), "256");
  EXPECT_EQ(raw_scalar("SELECT last_hash FROM audit_batches WHERE first_seq = 1"), small.back().hash);

  // A longer append is stored as rows of at most 1,024 entries, in one transaction.
  std::vector<AuditEntry> large;
  for (int i = 0; i < 3000; ++i) large.push_back(entry(i, "user:u" + std::to_string(i % 3)));
  store_->append_audit(large, audit_hash);
  EXPECT_EQ(large.front().seq, 257);
  EXPECT_EQ(large.back().seq, 3256);
  EXPECT_EQ(count_rows("audit_batches"), 4);
  EXPECT_EQ(count_rows("audit_batch_principals"), 4 + 3 * 3);
  EXPECT_EQ(count_rows("audit_batch_resources"), 2 + 3 * 2);
  EXPECT_EQ(raw_scalar("SELECT last_seq FROM audit_batches WHERE first_seq = 1281"), "2304");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 3256);
}

TEST_P(AuditStoreTest, QueriesFilterAndPageAcrossManyBatches) {
  // ~600 entries in 40 batches of 1..31 entries; principals, resources, actions, decisions and times vary
  // within batches, and the time ranges of neighbouring batches overlap.
  const std::vector<std::string> principals = {"user:alice", "user:bob", "role:etl", "group:analysts",
                                               "user:carl"};
  const std::vector<std::string> resources = {
      "table/crm/customers", "table/crm/orders", "table/crm2/x", "table/crm",
      "database/crm",        "database/crm2",    "catalog",      "table/crm/orders/extra"};
  const std::vector<std::string> actions = {"DescribeTable", "GetPartitions", "GrantPermissions"};
  const std::vector<std::string> decisions = {"allow", "deny", "ok", "error"};
  const catalog::Timestamp base = 1767225600000;
  std::vector<AuditEntry> appended;
  int i = 0;
  for (int b = 0; b < 40; ++b) {
    std::vector<AuditEntry> batch;
    const int size = 1 + (b * 13) % 31;
    for (int k = 0; k < size; ++k, ++i) {
      AuditEntry e = entry(i);
      e.principal = principals[static_cast<std::size_t>((i * 7 + b) % 5)];
      e.resource = resources[static_cast<std::size_t>((i * 3 + i / 11) % 8)];
      e.action = actions[static_cast<std::size_t>(i % 3)];
      e.decision = decisions[static_cast<std::size_t>((i / 2) % 4)];
      e.time = base + i * 10 - (i % 9) * 40;
      batch.push_back(std::move(e));
    }
    store_->append_audit(batch, audit_hash);
    appended.insert(appended.end(), batch.begin(), batch.end());
  }
  ASSERT_GT(appended.size(), 500u);
  EXPECT_EQ(count_rows("audit_batches"), 40);

  auto t = [&](int step) { return catalog::Timestamp{base + step * 10}; };
  struct Case {
    std::string name;
    AuditQuery query;
  };
  const std::vector<Case> cases = {
      {"everything", {}},
      {"principal", {"user:bob", "", "", "", {}, {}}},
      {"rare principal", {"user:carl", "", "", "", {}, {}}},
      {"unknown principal", {"user:nobody", "", "", "", {}, {}}},
      {"resource and below", {"", "table/crm", "", "", {}, {}}},
      {"resource prefix with slash", {"", "table/", "", "", {}, {}}},
      {"exact resource", {"", "database/crm", "", "", {}, {}}},
      {"deep resource", {"", "table/crm/orders", "", "", {}, {}}},
      {"partial name matches nothing", {"", "table/cr", "", "", {}, {}}},
      {"action", {"", "", "GetPartitions", "", {}, {}}},
      {"decision", {"", "", "", "deny", {}, {}}},
      {"action and decision", {"", "", "GrantPermissions", "error", {}, {}}},
      {"from", {"", "", "", "", t(300), {}}},
      {"to", {"", "", "", "", {}, t(120)}},
      {"from and to", {"", "", "", "", t(200), t(260)}},
      {"empty time range", {"", "", "", "", t(200), t(200)}},
      {"after the end", {"", "", "", "", t(100000), {}}},
      {"principal and resource", {"user:alice", "table/crm", "", "", {}, {}}},
      {"principal and time", {"role:etl", "", "", "", t(100), t(400)}},
      {"resource and time", {"", "table/crm2", "", "", t(50), t(500)}},
      {"everything at once", {"group:analysts", "table/", "DescribeTable", "allow", t(0), t(700)}},
  };
  for (const Case& c : cases) {
    std::vector<const AuditEntry*> want;
    for (const AuditEntry& e : appended) {
      const AuditQuery& q = c.query;
      const std::string below = q.resource_prefix.empty() || q.resource_prefix.back() == '/'
                                    ? q.resource_prefix
                                    : q.resource_prefix + "/";
      if (!q.principal.empty() && e.principal != q.principal) continue;
      if (!q.resource_prefix.empty() && e.resource != q.resource_prefix && !e.resource.starts_with(below))
        continue;
      if (!q.action.empty() && e.action != q.action) continue;
      if (!q.decision.empty() && e.decision != q.decision) continue;
      if (q.from && e.time < *q.from) continue;
      if (q.to && e.time >= *q.to) continue;
      want.push_back(&e);
    }
    for (int limit : {1, 3, 7, 50, 1000}) {
      SCOPED_TRACE(c.name + ", limit " + std::to_string(limit));
      const auto got = query_all(c.query, limit);
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t k = 0; k < got.size(); ++k) expect_same_entry(got[k], *want[k]);
    }
  }
  // A limit below 1 reads one entry, and a malformed token is refused.
  EXPECT_EQ(store_->query_audit({}, catalog::PageRequest{"", 0}).items.size(), 1u);
  EXPECT_EQ(test::code_of([&] {
              store_->query_audit({}, catalog::PageRequest{"%%%", 10});
            }),
            ErrorCode::InvalidArgument);
}

TEST_P(AuditStoreTest, QueriesSpanManyRoundsOfCandidatesAndLargeBatches) {
  // 1,100 batches of one entry (more candidates than one round lists) and 12 of 1,000 (more entries than one
  // read takes); rare denials make queries walk all of them.
  std::vector<AuditEntry> appended;
  auto make = [&](int i) {
    AuditEntry e = entry(i, i % 2 == 0 ? "user:a" : "user:b");
    e.resource = "table/db/t" + std::to_string(i % 3);
    e.decision = i % 97 == 0 ? "deny" : "allow";
    return e;
  };
  int i = 0;
  for (int b = 0; b < 1100; ++b) {
    std::vector<AuditEntry> batch = {make(++i)};
    store_->append_audit(batch, audit_hash);
    appended.push_back(batch[0]);
  }
  for (int b = 0; b < 12; ++b) {
    std::vector<AuditEntry> batch;
    for (int k = 0; k < 1000; ++k) batch.push_back(make(++i));
    store_->append_audit(batch, audit_hash);
    appended.insert(appended.end(), batch.begin(), batch.end());
  }
  const catalog::Timestamp from = appended[1049].time;
  const std::vector<std::pair<AuditQuery, int>> cases = {
      {{}, 1000},
      {{"user:a", "", "", "", {}, {}}, 1000},
      {{"", "table/db/t1", "", "", {}, {}}, 1000},
      {{"", "", "", "deny", {}, {}}, 7},
      {{"", "", "", "deny", {}, {}}, 1000},
      {{"user:b", "table/db", "", "deny", {}, {}}, 3},
      {{"", "table/db/", "", "deny", from, {}}, 1000},
  };
  for (const auto& [query, limit] : cases) {
    std::vector<std::int64_t> want;
    for (const AuditEntry& e : appended) {
      if ((query.principal.empty() || e.principal == query.principal) &&
          (query.resource_prefix.empty() || e.resource.starts_with(query.resource_prefix)) &&
          (query.decision.empty() || e.decision == query.decision) && (!query.from || e.time >= *query.from))
        want.push_back(e.seq);
    }
    std::vector<std::int64_t> got;
    for (const AuditEntry& e : query_all(query, limit)) got.push_back(e.seq);
    EXPECT_EQ(got, want) << query.principal << " " << query.resource_prefix << " " << query.decision;
  }
}

TEST_P(AuditStoreTest, ScanReturnsExactlyTheEntriesAfterASeqAcrossBatchBoundaries) {
  const auto appended = append_batches({1, 5, 17, 2, 40, 1, 9});  // 75 entries
  for (std::int64_t after : {0, 1, 3, 6, 22, 23, 24, 70, 74, 75, 90}) {
    for (int limit : {1, 2, 5, 16, 100}) {
      const auto got = store_->scan_audit(after, limit);
      const std::size_t expected = static_cast<std::size_t>(std::clamp<std::int64_t>(75 - after, 0, limit));
      ASSERT_EQ(got.size(), expected) << "after " << after << " limit " << limit;
      for (std::size_t k = 0; k < got.size(); ++k)
        expect_same_entry(got[k], appended[static_cast<std::size_t>(after) + k]);
    }
  }
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
  // Each thread's entries are found by principal, page by page.
  for (int t = 0; t < kThreads; ++t) {
    const auto mine = query_all(AuditQuery{"user:u" + std::to_string(t), "", "", "", {}, {}}, 1000);
    EXPECT_EQ(mine.size(), static_cast<std::size_t>(kPerThread));
  }
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
  raw_exec("ALTER TABLE audit_batches RENAME TO audit_batches_away");
  std::atomic<int> recorded{1};
  std::thread producer([&] {
    for (int i = 2; i <= 30; ++i) {
      log.record(entry(i));
      recorded = i;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // At most what the writer took at once (the whole queue, at most 10) plus a full queue (10) got past
  // record(); the rest waits.
  EXPECT_LE(recorded.load(), 1 + 10 + 10);
  EXPECT_GE(recorded.load(), 1 + 10);
  EXPECT_EQ(log.written(), 1);
  raw_exec("ALTER TABLE audit_batches_away RENAME TO audit_batches");
  producer.join();
  log.stop();
  EXPECT_EQ(log.written(), 30);
  expect_entries_in_order(30);
}

TEST_P(AuditStoreTest, WhileFullBatchesWaitTheWriterLeavesTheRestForItsNextRound) {
  AuditLog::Options options{std::chrono::hours(1), 10, 100};
  options.background = false;
  AuditLog log(*store_, options);
  hold_the_first_batch_while_recording(log, 25);
  // Two full batches are written; the last five wait for the next round (a flush interval of an hour here)
  // instead of going out as a short batch of their own.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(log.written(), 20);
  EXPECT_EQ(log.waiting(), 5);
  log.flush();
  EXPECT_EQ(log.written(), 25);
  EXPECT_EQ(raw_scalar("SELECT COUNT(*) FROM audit_batches"), "3");
  EXPECT_EQ(raw_scalar("SELECT COUNT(*) FROM audit_batches WHERE last_seq - first_seq + 1 = 10"), "2");
  expect_entries_in_order(25);
}

TEST_P(AuditStoreTest, ALeftoverIsWrittenWithTheNextRoundsEntriesInOrder) {
  AuditLog::Options options{std::chrono::milliseconds(20), 10, 100};
  options.background = false;
  AuditLog log(*store_, options);
  hold_the_first_batch_while_recording(log, 23);  // a full batch and three left over
  // The leftover three go out with the next entries; with fewer than a batch waiting at the next flush
  // interval, everything is written.
  for (int i = 24; i <= 30; ++i) log.record(entry(i));
  for (int i = 0; i < 2000 && log.written() < 30; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(log.written(), 30);
  log.stop();
  expect_entries_in_order(30);
}

TEST_P(AuditStoreTest, WriterWaitsInTheIdleClassAndLeavesItWhenBehindOrAwaited) {
  AuditLog::Options options{std::chrono::milliseconds(5), 5, 100};
  options.catch_up_at = 20;
  AuditLog log(*store_, options);
  log.record(entry(1));
  log.flush();
  auto eventually = [&](bool background) {
    for (int i = 0; i < 400 && log.writer_in_background() != background; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return log.writer_in_background() == background;
  };
  if (!eventually(true)) {
    // The writer stays at normal priority when it could not come back from the idle class.
    GTEST_SKIP() << "this process may not return a thread from SCHED_IDLE (needs CAP_SYS_NICE or "
                    "RLIMIT_NICE >= 20)";
  }
  // A failing store makes the entries pile up: past catch_up_at the writer returns to normal priority.
  raw_exec("ALTER TABLE audit_batches RENAME TO audit_batches_away");
  for (int i = 2; i <= 10; ++i) log.record(entry(i));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(log.writer_in_background()) << "9 waiting entries are below catch_up_at";
  for (int i = 11; i <= 30; ++i) log.record(entry(i));
  EXPECT_TRUE(eventually(false)) << "30 waiting entries are past catch_up_at";
  raw_exec("ALTER TABLE audit_batches_away RENAME TO audit_batches");
  log.flush();
  EXPECT_TRUE(eventually(true)) << "caught up";
  EXPECT_EQ(log.written(), 30);
  log.stop();
  const AuditVerification v = verify_audit(*store_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 30);
}

TEST_P(AuditStoreTest, WriterStaysAtNormalPriorityWithoutBackground) {
  AuditLog::Options options{std::chrono::milliseconds(5), 5, 100};
  options.background = false;
  AuditLog log(*store_, options);
  log.record(entry(1));
  log.flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(log.writer_in_background());
  EXPECT_EQ(log.written(), 1);
}

TEST_P(AuditStoreTest, DetectsEditedEntryInsideABatch) {
  append_batches({5, 5, 5, 5});
  edit_entry(7, 8, "\"nothing to see\"");  // detail of the second entry of batch 6..10
  EXPECT_EQ(all_entries()[6].detail, "nothing to see");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 7);
  EXPECT_NE(v.problem.find("hash mismatch"), std::string::npos) << v.problem;
  EXPECT_EQ(v.entries, 6);
  EXPECT_EQ(v.last_seq, 6);
}

TEST_P(AuditStoreTest, DetectsEveryEditedFieldInsideABatch) {
  // Entry 8 sits in the middle of batch 6..10; each field edit alone is detected there.
  const std::vector<std::pair<int, std::string>> edits = {
      {1, "1767225600999"}, {2, "\"req-x\""},   {3, "\"user:mallory\""},
      {4, "\"DropTable\""}, {5, "\"catalog\""}, {6, "\"deny\""},
      {7, "[\"grant:8\"]"}, {8, "\"x\""},       {9, "\"" + std::string(64, 'a') + "\""},
  };
  append_batches({5, 5, 5});
  for (const auto& [index, value] : edits) {
    SCOPED_TRACE("element " + std::to_string(index));
    const std::string saved = raw_scalar("SELECT entries FROM audit_batches WHERE first_seq = 6");
    edit_entry(8, index, value);
    const AuditVerification v = verify_audit(*store_);
    EXPECT_FALSE(v.ok);
    ASSERT_TRUE(v.first_bad_seq.has_value());
    EXPECT_EQ(*v.first_bad_seq, 8);
    raw_exec("UPDATE audit_batches SET entries = " + literal(saved) + " WHERE first_seq = 6");
    EXPECT_TRUE(verify_audit(*store_).ok);
  }
}

TEST_P(AuditStoreTest, DetectsEditedDecision) {
  append_batches({5, 5, 5, 5});
  edit_entry(1, 6, "\"allow\"");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 1);
}

TEST_P(AuditStoreTest, DetectsDeletedEntryInsideABatchAsGap) {
  append_batches({5, 5, 5, 5});
  remove_entry(8);
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 9);
  EXPECT_NE(v.problem.find("gap: entries 8..8 missing"), std::string::npos) << v.problem;
  EXPECT_EQ(v.last_seq, 7);
}

TEST_P(AuditStoreTest, DetectsDeletedLastEntryOfABatchAsGap) {
  append_batches({5, 5, 5, 5});
  remove_entry(10);
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 11);
  EXPECT_NE(v.problem.find("gap: entries 10..10 missing"), std::string::npos) << v.problem;
  EXPECT_EQ(v.last_seq, 9);
}

TEST_P(AuditStoreTest, DetectsDeletedBatch) {
  append_batches({5, 5, 5, 5});
  raw_exec("DELETE FROM audit_batches WHERE first_seq = 6");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 11);
  EXPECT_NE(v.problem.find("gap: entries 6..10 missing"), std::string::npos) << v.problem;
  EXPECT_EQ(v.last_seq, 5);
  // The index rows left behind do not break queries.
  EXPECT_EQ(query_all(AuditQuery{"user:alice", "", "", "", {}, {}}, 3).size(), 15u);
  EXPECT_EQ(query_all(AuditQuery{"", "database/crm", "", "", {}, {}}, 2).size(), 8u);
}

TEST_P(AuditStoreTest, DetectsDeletedFirstBatch) {
  append_batches({3, 7});
  raw_exec("DELETE FROM audit_batches WHERE first_seq <= 3");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 4);
  EXPECT_NE(v.problem.find("gap: entries 1..3 missing"), std::string::npos) << v.problem;
}

TEST_P(AuditStoreTest, DetectsUnreadableBatch) {
  append_batches({5, 5, 5});
  raw_exec("UPDATE audit_batches SET entries = '[[6, \"truncated' WHERE first_seq = 6");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 6);
  EXPECT_NE(v.problem.find("altered"), std::string::npos) << v.problem;
  // A query that reaches the batch fails instead of skipping its entries silently.
  EXPECT_EQ(test::code_of([&] {
              store_->query_audit({}, catalog::PageRequest{"", 1000});
            }),
            ErrorCode::Internal);
  EXPECT_EQ(
      test::code_of([&] {
        store_->query_audit(AuditQuery{"user:alice", "", "", "", {}, {}}, catalog::PageRequest{"", 100});
      }),
      ErrorCode::Internal);
}

TEST_P(AuditStoreTest, DetectsBrokenLinkWhenAnEntryIsRewrittenWithAFreshHash) {
  append_batches({5, 5, 5, 5});
  // A forger rewrites entry 5 (the last of its batch) and recomputes its hash: entry 5 is self-consistent,
  // but the next batch still names the old hash as the prev_hash of entry 6.
  AuditEntry e5 = all_entries()[4];
  ASSERT_EQ(e5.seq, 5);
  e5.decision = "allow";
  e5.detail = "forged";
  edit_entry(5, 6, "\"allow\"");
  edit_entry(5, 8, "\"forged\"");
  edit_entry(5, 9, "\"" + audit_hash(e5) + "\"");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 6);
  EXPECT_NE(v.problem.find("prev_hash does not match entry 5"), std::string::npos) << v.problem;
  EXPECT_EQ(v.last_seq, 5);
}

TEST_P(AuditStoreTest, DetectsEntryRewrittenWithAFreshHashInsideABatch) {
  append_batches({5, 5, 5, 5});
  // Entry 7 is rewritten with a fresh hash: entry 8 was hashed over the old one.
  AuditEntry e7 = all_entries()[6];
  e7.decision = "allow";
  edit_entry(7, 6, "\"allow\"");
  edit_entry(7, 9, "\"" + audit_hash(e7) + "\"");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 8);
  EXPECT_EQ(v.last_seq, 7);
}

TEST_P(AuditStoreTest, DetectsRewrittenPrevHash) {
  append_batches({5, 5, 5, 5});
  raw_exec("UPDATE audit_batches SET prev_hash = " + literal(std::string(64, '0')) + " WHERE first_seq = 11");
  const AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 11);
  EXPECT_NE(v.problem.find("prev_hash does not match entry 10"), std::string::npos) << v.problem;
}

TEST_P(AuditStoreTest, DetectsTruncatedTailOnlyWithExpectedHead) {
  const auto appended = append_batches({5, 5, 5, 5, 5, 5});
  const AuditVerification before = verify_audit(*store_);
  ASSERT_TRUE(before.ok);
  const std::pair<std::int64_t, std::string> head{before.last_seq, before.head_hash};
  EXPECT_EQ(head.second, appended.back().hash);
  EXPECT_TRUE(verify_audit(*store_, head).ok);

  raw_exec("DELETE FROM audit_batches WHERE first_seq > 25");
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

  // Appending after the truncation continues from entry 25 (the index rows of the removed batch are kept).
  std::vector<AuditEntry> more = {entry(99)};
  store_->append_audit(more, audit_hash);
  EXPECT_EQ(more[0].seq, 26);
  EXPECT_TRUE(verify_audit(*store_).ok);
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
  // More than one verification page (10,000 entries), with batches straddling the page boundary.
  append_batches(std::vector<int>(13, 777) /* 10,101 entries */);
  AuditVerification v = verify_audit(*store_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 10101);
  remove_entry(10001);
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

// --- migration of a 0002-era log (one row per entry in audit_log) ----------------------------------------

class AuditMigrationTest : public AuditStoreTest {
 protected:
  /// Replaces the store with a database at schema version 2 (0001 and 0002 applied from migrations/) holding
  /// `entries` chained with audit_hash as audit_log rows; returns them with seq, prev_hash and hash set. The
  /// store is opened (and migrated) by the caller.
  std::vector<AuditEntry> make_version_2_log(std::vector<AuditEntry> entries) {
    store_.reset();
    backend_.remove();
    if (!backend_.create(GetParam(), "auditmig")) return {};
    if (is_sqlite()) std::filesystem::create_directories(backend_.dir());
    const fs::path dir = fs::path(CAIRN_SOURCE_DIR) / "migrations" / (is_sqlite() ? "sqlite" : "postgres");
    raw_exec(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT "
        "NOT NULL)");
    int version = 0;
    for (const char* file : {"0001_init.sql", "0002_governance.sql"}) {
      std::ifstream in(dir / file);
      std::stringstream sql;
      sql << in.rdbuf();
      EXPECT_FALSE(sql.str().empty()) << file;
      raw_exec(sql.str());
      ++version;
      raw_exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (" +
               std::to_string(version) + ", " + literal(version == 1 ? "init" : "governance") + ", 0)");
    }
    std::string prev;
    std::int64_t seq = 0;
    for (AuditEntry& e : entries) {
      e.seq = ++seq;
      e.prev_hash = prev;
      e.hash = audit_hash(e);
      prev = e.hash;
      raw_exec(
          "INSERT INTO audit_log (seq, time, request_id, principal, action, resource, decision, "
          "deciding_ids, detail, prev_hash, hash) VALUES (" +
          std::to_string(e.seq) + ", " + std::to_string(e.time) + ", " + literal(e.request_id) + ", " +
          literal(e.principal) + ", " + literal(e.action) + ", " + literal(e.resource) + ", " +
          literal(e.decision) + ", " + literal(nlohmann::json(e.deciding_ids).dump()) + ", " +
          literal(e.detail) + ", " + literal(e.prev_hash) + ", " + literal(e.hash) + ")");
    }
    return entries;
  }

  static std::vector<AuditEntry> old_entries() {
    std::vector<AuditEntry> out;
    for (int i = 1; i <= 25; ++i) out.push_back(entry(i, i % 4 == 0 ? "user:bob" : "user:alice"));
    out[2].detail = "quote \" backslash \\ newline \n tab \t \xe2\x80\x94 it's";
    out[3].deciding_ids = {};
    out[4].request_id = "";
    return out;
  }
};

TEST_P(AuditMigrationTest, Version2LogKeepsItsEntriesAndVerifies) {
  const auto old = make_version_2_log(old_entries());
  if (old.empty()) GTEST_SKIP() << test::no_database_url_reason("audit tests");
  store_ = open();
  EXPECT_EQ(store_->schema_version(), std::stoi(raw_scalar("SELECT MAX(version) FROM schema_migrations")));
  EXPECT_EQ(raw_scalar(is_sqlite() ? "SELECT COUNT(*) FROM sqlite_master WHERE name = 'audit_log'"
                                   : "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() "
                                     "AND tablename = 'audit_log'"),
            "0");
  EXPECT_EQ(count_rows("audit_batches"), 25);  // one batch per old row

  AuditVerification v = verify_audit(*store_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 25);
  EXPECT_EQ(v.head_hash, old.back().hash);
  const auto stored = all_entries();
  ASSERT_EQ(stored.size(), old.size());
  for (std::size_t i = 0; i < old.size(); ++i) expect_same_entry(stored[i], old[i]);

  // Queries by principal, resource and time find the migrated entries.
  const auto bobs = query_all(AuditQuery{"user:bob", "", "", "", {}, {}}, 2);
  ASSERT_EQ(bobs.size(), 6u);
  EXPECT_EQ(bobs[0].seq, 4);
  EXPECT_EQ(query_all(AuditQuery{"", "table/crm", "", "", {}, {}}, 4).size(), 12u);
  EXPECT_EQ(query_all(AuditQuery{"", "", "", "", old[9].time, old[19].time}, 3).size(), 10u);

  // New batches continue the chain.
  {
    AuditLog log(*store_);
    for (int i = 26; i <= 40; ++i) log.record(entry(i));
  }
  v = verify_audit(*store_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 40);
  EXPECT_EQ(all_entries()[25].prev_hash, old.back().hash);
}

TEST_P(AuditMigrationTest, EntryAlteredBeforeTheMigrationIsStillDetected) {
  const auto old = make_version_2_log(old_entries());
  if (old.empty()) GTEST_SKIP() << test::no_database_url_reason("audit tests");
  raw_exec("UPDATE audit_log SET decision = 'allow' WHERE seq = 12");
  raw_exec("DELETE FROM audit_log WHERE seq = 20");
  store_ = open();
  AuditVerification v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 12);
  EXPECT_NE(v.problem.find("altered"), std::string::npos) << v.problem;
  raw_exec("UPDATE audit_batches SET entries = REPLACE(entries, '\"allow\"', " +
           literal("\"" + old[11].decision + "\"") + ") WHERE first_seq = 12");
  v = verify_audit(*store_);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.first_bad_seq.has_value());
  EXPECT_EQ(*v.first_bad_seq, 21);
  EXPECT_NE(v.problem.find("gap: entries 20..20 missing"), std::string::npos) << v.problem;
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditStoreTest, test::store_backends(), test::backend_test_name);
INSTANTIATE_TEST_SUITE_P(Backends, AuditMigrationTest, test::store_backends(), test::backend_test_name);

}  // namespace
}  // namespace cairn::authz
