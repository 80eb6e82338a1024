// The classification part of the store (classification_records.h) on SQLite and on PostgreSQL: entity types,
// settings with optimistic concurrency, verdicts with versions and paging, history, atomic groups, and what a
// dropped table takes with it.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/store.h"
#include "support/store_backends.h"

namespace cairn::catalog {
namespace {

using test::code_of;

Table table_of(const std::string& name) {
  Table t;
  t.name = name;
  t.table_type = "EXTERNAL_TABLE";
  for (const char* c : {"id", "email", "iban"}) {
    Column col;
    col.name = c;
    col.type = "string";
    t.storage_descriptor.columns.push_back(col);
  }
  t.storage_descriptor.location = "s3://lake/" + name;
  return t;
}

ColumnClassification verdict(const std::string& table, const std::string& column, const std::string& entity,
                             const std::string& status = "recommended") {
  ColumnClassification v;
  v.database = "crm";
  v.table = table;
  v.column = column;
  v.entity = entity;
  v.status = status;
  v.confidence = 0.975;
  v.sample_size = 1000;
  v.matched = 990;
  v.masked_example = "j***@e***.com";
  v.fingerprint = "fp1";
  v.source = "crawler:lake";
  return v;
}

ClassificationEvent event_for(const ColumnClassification& v, const std::string& event,
                              const std::string& actor) {
  ClassificationEvent e;
  e.database = v.database;
  e.table = v.table;
  e.column = v.column;
  e.entity = v.entity;
  e.event = event;
  e.status = v.status;
  e.actor = actor;
  e.confidence = v.confidence;
  e.sample_size = v.sample_size;
  e.matched = v.matched;
  return e;
}

class ClassificationStore : public test::FreshStoreTest {
 protected:
  ClassificationStore() : FreshStoreTest("classification") {}

  void SetUp() override {
    FreshStoreTest::SetUp();
    if (IsSkipped()) return;
    store_->create_database(Database{"crm", "", "", {}, 0});
    store_->create_table("crm", table_of("customers"));
    store_->create_table("crm", table_of("orders"));
  }

  ColumnClassification save(const ColumnClassification& v, std::optional<std::int64_t> expected = {},
                            const std::string& event = "recommended") {
    return store_->save_classification(v, event_for(v, event, "crawler:lake"), expected);
  }
};

TEST_P(ClassificationStore, EntityTypesAreCreatedListedAndDeletedByName) {
  EXPECT_TRUE(store_->list_entity_types().empty());
  EntityTypeRecord t{"EMPLOYEE_ID", "E-[0-9]{6}", R"(["employee","staff"])", "arn:aws:iam::1:user/steward",
                     0};
  const auto created = store_->create_entity_type(t);
  EXPECT_GT(created.create_time, 0);
  EXPECT_EQ(code_of([&] { store_->create_entity_type(t); }), ErrorCode::AlreadyExists);
  store_->create_entity_type(EntityTypeRecord{"BADGE", "B[0-9]+", "[]", "", 0});
  const auto all = store_->list_entity_types();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "BADGE");
  EXPECT_EQ(all[1].pattern, "E-[0-9]{6}");
  EXPECT_EQ(all[1].context_words, R"(["employee","staff"])");
  EXPECT_EQ(store_->get_entity_type("EMPLOYEE_ID")->created_by, "arn:aws:iam::1:user/steward");
  EXPECT_FALSE(store_->get_entity_type("NOPE"));
  store_->delete_entity_type("BADGE");
  EXPECT_EQ(code_of([&] { store_->delete_entity_type("BADGE"); }), ErrorCode::NotFound);
  EXPECT_EQ(store_->list_entity_types().size(), 1u);
}

TEST_P(ClassificationStore, SettingsAreVersionedAndCheckedAgainstTheExpectedVersion) {
  EXPECT_FALSE(store_->get_classification_settings());
  EXPECT_EQ(code_of([&] { store_->put_classification_settings(R"({"mode":"auto"})", 3); }),
            ErrorCode::VersionConflict);
  const auto first = store_->put_classification_settings(R"({"mode":"auto"})", 0);
  EXPECT_EQ(first.version, 1);
  EXPECT_EQ(code_of([&] { store_->put_classification_settings(R"({"mode":"review"})", 0); }),
            ErrorCode::VersionConflict);
  const auto second = store_->put_classification_settings(R"({"mode":"review"})", 1);
  EXPECT_EQ(second.version, 2);
  store_->put_classification_settings(R"({"mode":"auto"})", std::nullopt);  // unconditional
  const auto stored = store_->get_classification_settings();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->version, 3);
  EXPECT_EQ(stored->settings, R"({"mode":"auto"})");
}

TEST_P(ClassificationStore, AVerdictKeepsEveryFieldAndCountsVersions) {
  auto v = verdict("customers", "email", "EMAIL");
  v.decided_by = "";
  const auto stored = save(v, 0);
  EXPECT_EQ(stored.version, 1);
  EXPECT_GT(stored.classified_time, 0);
  const auto got = store_->get_classification("crm", "customers", "email", "EMAIL");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, "recommended");
  EXPECT_DOUBLE_EQ(got->confidence, 0.975);
  EXPECT_EQ(got->sample_size, 1000);
  EXPECT_EQ(got->matched, 990);
  EXPECT_EQ(got->masked_example, "j***@e***.com");
  EXPECT_EQ(got->fingerprint, "fp1");
  EXPECT_EQ(got->source, "crawler:lake");
  EXPECT_EQ(got->version, 1);

  // A steward's decision, checked against the version the steward saw.
  auto accepted = *got;
  accepted.status = "accepted";
  accepted.decided_by = "arn:aws:iam::1:user/steward";
  accepted.decided_time = 1234;
  EXPECT_EQ(code_of([&] { save(accepted, 0, "accepted"); }), ErrorCode::VersionConflict);
  EXPECT_EQ(code_of([&] { save(accepted, 2, "accepted"); }), ErrorCode::VersionConflict);
  EXPECT_EQ(save(accepted, 1, "accepted").version, 2);
  const auto after = store_->get_classification("crm", "customers", "email", "EMAIL");
  EXPECT_EQ(after->status, "accepted");
  EXPECT_EQ(after->decided_by, "arn:aws:iam::1:user/steward");
  EXPECT_EQ(after->decided_time, 1234);
  // A failed save changed nothing, not even the history.
  const auto events = store_->list_classification_events("crm", "customers", {"", 100});
  ASSERT_EQ(events.items.size(), 2u);
  EXPECT_EQ(events.items[0].event, "accepted");  // newest first
  EXPECT_EQ(events.items[1].event, "recommended");
  EXPECT_EQ(events.items[0].actor, "crawler:lake");
  EXPECT_DOUBLE_EQ(events.items[1].confidence, 0.975);
}

TEST_P(ClassificationStore, AVerdictOnAMissingTableIsNotFound) {
  EXPECT_EQ(code_of([&] { save(verdict("nope", "email", "EMAIL")); }), ErrorCode::NotFound);
  EXPECT_TRUE(store_->list_classification_events("crm", "nope", {"", 10}).items.empty());
}

TEST_P(ClassificationStore, ListsFilterByTableAndStatusAndPageInKeyOrder) {
  save(verdict("orders", "email", "EMAIL"));
  save(verdict("customers", "iban", "IBAN", "applied"));
  save(verdict("customers", "email", "EMAIL", "rejected"));
  save(verdict("customers", "email", "PERSON_NAME"));
  auto keys = [](const std::vector<ColumnClassification>& items) {
    std::vector<std::string> out;
    for (const auto& v : items) out.push_back(v.table + "." + v.column + ":" + v.entity);
    return out;
  };
  std::vector<ColumnClassification> all;
  PageRequest page{"", 1};
  do {
    auto p = store_->list_classifications({}, page);
    ASSERT_LE(p.items.size(), 1u);
    all.insert(all.end(), p.items.begin(), p.items.end());
    page.token = p.next_token;
  } while (!page.token.empty());
  EXPECT_EQ(keys(all), (std::vector<std::string>{"customers.email:EMAIL", "customers.email:PERSON_NAME",
                                                 "customers.iban:IBAN", "orders.email:EMAIL"}));
  EXPECT_EQ(keys(store_->list_classifications({"crm", "orders", ""}, {"", 100}).items),
            (std::vector<std::string>{"orders.email:EMAIL"}));
  EXPECT_EQ(keys(store_->list_classifications({"crm", "", "recommended"}, {"", 100}).items),
            (std::vector<std::string>{"customers.email:PERSON_NAME", "orders.email:EMAIL"}));
  EXPECT_EQ(code_of([&] {
              store_->list_classifications({"", "orders", ""}, {"", 10});
            }),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of([&] { store_->list_classifications({}, {"garbage", 10}); }), ErrorCode::InvalidArgument);
}

TEST_P(ClassificationStore, DeletingAVerdictRecordsWhyAndADroppedTableTakesItsVerdictsButNotTheHistory) {
  const auto v = save(verdict("customers", "email", "EMAIL"));
  EXPECT_TRUE(store_->delete_classification("crm", "customers", "email", "EMAIL",
                                            event_for(v, "cleared", "crawler:lake")));
  EXPECT_FALSE(store_->delete_classification("crm", "customers", "email", "EMAIL",
                                             event_for(v, "cleared", "crawler:lake")));
  EXPECT_FALSE(store_->get_classification("crm", "customers", "email", "EMAIL"));
  save(verdict("orders", "email", "EMAIL"));
  store_->delete_table("crm", "orders");
  EXPECT_TRUE(store_->list_classifications({"crm", "orders", ""}, {"", 10}).items.empty());
  // A table of the same name created later starts without verdicts; the history stays.
  store_->create_table("crm", table_of("orders"));
  EXPECT_TRUE(store_->list_classifications({"crm", "orders", ""}, {"", 10}).items.empty());
  EXPECT_EQ(store_->list_classification_events("crm", "orders", {"", 10}).items.size(), 1u);
  const auto history = store_->list_classification_events("crm", "", {"", 10});
  ASSERT_EQ(history.items.size(), 3u);
  EXPECT_EQ(history.items[1].event, "cleared");
}

TEST_P(ClassificationStore, HistoryPagesNewestFirst) {
  auto v = verdict("customers", "email", "EMAIL");
  for (int i = 0; i < 5; ++i) v = save(v);
  std::vector<std::int64_t> ids;
  PageRequest page{"", 2};
  do {
    auto p = store_->list_classification_events("crm", "customers", page);
    for (const auto& e : p.items) ids.push_back(e.id);
    page.token = p.next_token;
  } while (!page.token.empty());
  ASSERT_EQ(ids.size(), 5u);
  for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i - 1], ids[i]);
  EXPECT_EQ(code_of([&] {
              store_->list_classification_events("crm", "customers", {"-4", 2});
            }),
            ErrorCode::InvalidArgument);
}

TEST_P(ClassificationStore, AVerdictJoinsAnAtomicGroupWithTheTagsItApplies) {
  store_->create_tag_key(TagKey{"pii", {"email", "iban"}, 0});
  TagAssignment target;
  target.database = "crm";
  target.table = "customers";
  target.column = "email";
  // The group fails after both writes: neither the tag nor the verdict (nor its history) stays.
  EXPECT_THROW(store_->run_atomically([&] {
    store_->assign_tags(target, {{"pii", "email"}});
    save(verdict("customers", "email", "EMAIL", "applied"));
    throw Error(ErrorCode::Internal, "boom");
  }),
               Error);
  EXPECT_FALSE(store_->get_classification("crm", "customers", "email", "EMAIL"));
  EXPECT_TRUE(store_->list_classification_events("crm", "customers", {"", 10}).items.empty());
  EXPECT_TRUE(store_->list_tag_assignments("crm", "customers").empty());
  store_->run_atomically([&] {
    store_->assign_tags(target, {{"pii", "email"}});
    save(verdict("customers", "email", "EMAIL", "applied"));
  });
  EXPECT_TRUE(store_->get_classification("crm", "customers", "email", "EMAIL"));
  EXPECT_EQ(store_->list_tag_assignments("crm", "customers").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ClassificationStore, test::store_backends(), test::backend_test_name);

}  // namespace
}  // namespace cairn::catalog
