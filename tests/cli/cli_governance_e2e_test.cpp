#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cli/cli_harness.h"

// The steward commands (grant, revoke, permissions, tag, filter, location, access, audit) end to end against
// a real cairnd on both stores; the routes are those of docs/dev/governance-routes.md.

namespace cairn::cli_test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// ---- flag errors: caught before any request ----------------------------------------------------------

/// Runs cairn against an endpoint where nothing listens: a flag error exits 1 before connecting, anything
/// that reached the network would exit 2.
RunResult offline(const std::vector<std::string>& args) {
  static const TempDir home("cairn-gov-flags-");
  static const std::string endpoint = "http://127.0.0.1:" + std::to_string(unused_port());
  std::vector<std::string> argv{"--endpoint", endpoint};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(cairn_binary(), argv,
                     isolated_env(home.path(), {"AWS_ACCESS_KEY_ID=AKIAEXAMPLEEXAMPLE12",
                                                "AWS_SECRET_ACCESS_KEY=secretsecretsecret"}));
}

/// Expects exit 1 with one "cairn: …" line on stderr containing every one of `needles`.
void expect_flag_error(const std::vector<std::string>& args, const std::vector<std::string>& needles) {
  const RunResult r = offline(args);
  std::string command;
  for (const auto& a : args) command += a + " ";
  EXPECT_EQ(r.exit_code, 1) << command << "\n" << show(r);
  EXPECT_THAT(r.err, ::testing::StartsWith("cairn: ")) << command;
  for (const auto& needle : needles) EXPECT_THAT(r.err, HasSubstr(needle)) << command;
  EXPECT_TRUE(r.out.empty()) << command << "\n" << r.out;
}

TEST(CliGovernanceFlags, GrantAndRevokeResourceFlagErrors) {
  const std::vector<std::string> grant = {"grant", "--principal", "user:alice", "--permissions", "SELECT"};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = grant;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  expect_flag_error(grant, {"no resource given", "--table DB.TABLE"});
  expect_flag_error(with({"--database", "hr", "--table", "hr.employees"}),
                    {"more than one resource", "--database", "--table"});
  expect_flag_error(with({"--catalog", "--location", "s3://lake"}), {"more than one resource"});
  expect_flag_error(with({"--database", "hr", "--columns", "a"}), {"--columns needs --table"});
  expect_flag_error(with({"--table", "hr.employees", "--columns", "a", "--exclude-columns", "b"}),
                    {"--columns and --exclude-columns"});
  expect_flag_error(with({"--table", "hr.employees", "--exclude-columns", "salary,,phone"}),
                    {"--exclude-columns", "empty item"});
  expect_flag_error(with({"--table", "employees"}), {"DB.TABLE", "employees"});
  expect_flag_error(with({"--filter", "crm.customers"}), {"DB.TABLE.FILTER", "crm.customers"});
  expect_flag_error(with({"--tag-expression", "sensitivity=low"}), {"--tag-resource-type"});
  expect_flag_error(with({"--tag-expression", "sensitivity", "--tag-resource-type", "table"}),
                    {"--tag-expression", "KEY=V1,V2"});
  expect_flag_error(with({"--tag-expression", "a=1;a=2", "--tag-resource-type", "table"}), {"appears twice"});
  expect_flag_error(with({"--tag-expression", "a=1", "--tag-resource-type", "column"}),
                    {"--tag-resource-type", "database or table"});
  expect_flag_error(with({"--database", "hr", "--tag-resource-type", "table"}),
                    {"--tag-resource-type needs"});
  expect_flag_error(with({"--table", "hr.employees", "--mask", "email"}), {"--mask", "key=value"});
  expect_flag_error(with({"--table", "hr.employees", "--mask", "email="}), {"--mask", "empty"});
  expect_flag_error(with({"--table", "hr.employees", "--expires", "tomorrow"}),
                    {"--expires", "RFC 3339", "7d"});
  expect_flag_error(with({"--table", "hr.employees", "--expires", "2026-02-30T00:00:00Z"}), {"--expires"});
  expect_flag_error({"grant", "--principal", "user:alice", "--permissions", "SELECT,,DESCRIBE", "--catalog"},
                    {"--permissions", "empty item"});
  expect_flag_error({"grant", "--principal", "user:alice", "--permissions", "SELECT,FLY", "--catalog"},
                    {"FLY"});
  expect_flag_error({"grant", "--permissions", "SELECT", "--catalog"}, {"--principal"});
  expect_flag_error({"grant", "--principal", "user:alice", "--catalog"}, {"--permissions"});
  expect_flag_error({"revoke", "--principal", "user:alice", "--catalog"},
                    {"give --permissions", "--grantable"});
  expect_flag_error(
      {"revoke", "--principal", "user:alice", "--permissions", "SELECT", "--catalog", "--expires", "1d"},
      {"--expires"});
}

TEST(CliGovernanceFlags, OtherCommandsFlagErrors) {
  expect_flag_error({"filter", "create", "crm.customers.f", "--all-columns"},
                    {"--row-filter EXPR or --all-rows"});
  expect_flag_error({"filter", "create", "crm.customers.f", "--all-rows"}, {"--columns", "--all-columns"});
  expect_flag_error(
      {"filter", "create", "crm.customers.f", "--all-rows", "--row-filter", "a = 1", "--all-columns"},
      {"--row-filter and --all-rows"});
  expect_flag_error({"filter", "create", "crm.customers.f", "--all-rows", "--columns", "a", "--all-columns"},
                    {"only one of --columns"});
  expect_flag_error({"filter", "create", "crm.customers.f", "--row-filter", " ", "--all-columns"},
                    {"--row-filter is empty"});
  expect_flag_error({"filter", "create", "customers.f", "--all-rows", "--all-columns"}, {"DB.TABLE.FILTER"});
  expect_flag_error({"filter", "update", "crm.customers.f"}, {"nothing to change"});
  expect_flag_error({"filter", "list", "--database", "crm", "--table", "crm.customers"},
                    {"--database", "--table"});
  expect_flag_error({"tag", "show"}, {"--database DB or --table DB.TABLE"});
  expect_flag_error({"tag", "show", "--column", "email"}, {"--column", "--table"});
  expect_flag_error({"tag", "assign", "--database", "crm", "sensitivity"}, {"key=value"});
  expect_flag_error({"tag", "assign", "--database", "crm", "a=1", "a=2"}, {"given twice"});
  expect_flag_error({"tag", "create", "pii"}, {"--values"});
  expect_flag_error({"tag", "create", "pii", "--values", "a,,b"}, {"--values", "empty item"});
  expect_flag_error({"tag", "update", "pii"}, {"nothing to change"});
  expect_flag_error({"access", "resolve", "hr.employees", "--dialect", "postgres"}, {"--dialect"});
  expect_flag_error({"access", "resolve", "employees"}, {"DB.TABLE"});
  expect_flag_error({"access", "explain", "--table", "hr.employees"}, {"--principal"});
  expect_flag_error({"audit", "query", "--decision", "maybe"}, {"--decision"});
  expect_flag_error({"audit", "query", "--since", "yesterday"}, {"--since", "7d"});
  expect_flag_error({"audit", "query", "--since", "7d", "--from", "2026-11-01T00:00:00Z"},
                    {"--since", "--from"});
  expect_flag_error({"audit", "query", "--to", "2026-11-01"}, {"--to", "RFC 3339"});
  expect_flag_error({"audit", "query", "--table", "crm.customers", "--database", "crm"},
                    {"--table", "--database"});
  expect_flag_error({"audit", "query", "--limit", "0"}, {"--limit"});
  expect_flag_error({"audit", "verify", "--expect-head", "abc"}, {"--expect-head", "SEQ:HASH"});
  expect_flag_error({"audit", "verify", "--expect-head", "12:xyz"}, {"--expect-head"});
  expect_flag_error({"permissions", "list", "--kind", "VIEW"}, {"VIEW"});
  expect_flag_error({"permissions", "list", "--table", "nodot"}, {"DB.TABLE"});
  expect_flag_error({"location", "register"}, {"URI"});
}

TEST(CliGovernanceFlags, HelpNamesEveryCommandAndExamples) {
  const RunResult top = offline({"--help"});
  EXPECT_EXIT_CODE(top, 0);
  for (const char* command :
       {"grant", "revoke", "permissions", "tag", "filter", "location", "access", "audit"}) {
    EXPECT_THAT(top.out, HasSubstr(command));
    EXPECT_EXIT_CODE(offline({command, "--help"}), 0);
  }
  const RunResult grant = offline({"grant", "--help"});
  EXPECT_THAT(grant.out, AllOf(HasSubstr("--exclude-columns"), HasSubstr("--tag-expression"),
                               HasSubstr("--expires"), HasSubstr("show_last(N)"), HasSubstr("EVERYONE")));
  EXPECT_THAT(offline({"filter", "create", "--help"}).out, HasSubstr("--row-filter"));
  EXPECT_THAT(offline({"audit", "verify", "--help"}).out, HasSubstr("--expect-head"));
}

// ---- against a server --------------------------------------------------------------------------------

class CliGovernance : public CliServerTest {
 protected:
  /// Creates database `db` and table `db.table` with string columns `columns` (+ partition key `dt`).
  void make_table(const std::string& db, const std::string& table, const std::vector<std::string>& columns) {
    if (cairn({"database", "describe", db}).exit_code != 0) {
      ASSERT_EQ(cairn({"database", "create", db}).exit_code, 0);
    }
    std::vector<std::string> args = {"table", "create", db + "." + table};
    for (const auto& c : columns) args.insert(args.end(), {"--column", c + ":string"});
    args.insert(args.end(), {"--partition-key", "dt:string", "--format", "parquet", "--location",
                             "s3://lake/" + db + "/" + table + "/"});
    const RunResult r = cairn(args);
    ASSERT_EQ(r.exit_code, 0) << show(r);
  }

  /// Runs `sql` directly on the server's store, behind its back, binding `text` to ?1 and `number` to ?2.
  void store_exec(const std::string& sql, const std::string& text, std::int64_t number) {
    if (GetParam() == "postgres") {
      pqxx::connection c(with_database(server_->admin_url, server_->database));
      pqxx::work tx(c);
      std::string pg = sql;
      pg.replace(pg.find("?1"), 2, "$1");
      pg.replace(pg.find("?2"), 2, "$2");
      tx.exec_params(pg, text, number);
      tx.commit();
      return;
    }
    sqlite3* db = nullptr;
    const std::string path = server_->process->data_dir() + "/catalog.db";
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK) << path;
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_bind_text(stmt, 1, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 2, number);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }

  /// The grants of `principal` as JSON items.
  json grants_of(const std::string& principal) {
    const RunResult r = cairn({"permissions", "list", "--principal", principal, "-o", "json"});
    EXPECT_EXIT_CODE(r, 0);
    return parse_json(r).value("items", json::array());
  }
};

/// Names of the "columns" items of a TableAccess.
std::vector<std::string> column_names(const json& access) {
  std::vector<std::string> out;
  for (const auto& c : access.value("columns", json::array())) out.push_back(c.value("name", ""));
  return out;
}

TEST_P(CliGovernance, GrantRevokeAndListEveryResourceForm) {
  const std::string db = unique_name("gov");
  const std::string user = unique_name("grantee");
  const std::string principal = "user:" + user;
  const std::string tag = unique_name("tier");
  make_table(db, "orders", {"id", "amount", "email"});
  make_user(user);
  ASSERT_EQ(cairn({"filter", "create", db + ".orders.big", "--row-filter", "amount > '100'", "--all-columns"})
                .exit_code,
            0);
  ASSERT_EQ(cairn({"location", "register", "s3://lake/" + db}).exit_code, 0);
  ASSERT_EQ(cairn({"tag", "create", tag, "--values", "gold,silver"}).exit_code, 0);

  struct Form {
    std::vector<std::string> flags;
    std::string permissions;
    std::string kind;
    std::string people;  ///< how `permissions list` shows the resource
  };
  const std::vector<Form> forms = {
      {{"--catalog"}, "CREATE_DATABASE", "CATALOG", "catalog"},
      {{"--database", db}, "DESCRIBE", "DATABASE", "database " + db},
      {{"--table", db + ".orders"}, "SELECT", "TABLE", "table " + db + ".orders"},
      {{"--table", db + ".orders", "--columns", "id,amount"},
       "SELECT",
       "TABLE_WITH_COLUMNS",
       "table " + db + ".orders columns amount, id"},
      {{"--table", db + ".orders", "--exclude-columns", "email"},
       "SELECT",
       "TABLE_WITH_COLUMNS",
       "table " + db + ".orders except columns email"},
      {{"--all-tables", db}, "SELECT", "TABLE_WILDCARD", "all tables in " + db},
      {{"--filter", db + ".orders.big"}, "SELECT", "DATA_CELLS_FILTER", "filter " + db + ".orders.big"},
      {{"--location", "s3://lake/" + db},
       "DATA_LOCATION_ACCESS",
       "DATA_LOCATION",
       "location s3://lake/" + db},
      {{"--tag-expression", tag + "=gold,silver", "--tag-resource-type", "table"},
       "SELECT",
       "TAG_POLICY",
       "tables tagged " + tag + "=gold|silver"},
  };
  for (const Form& form : forms) {
    std::vector<std::string> args = {"grant", "--principal", principal, "--permissions", form.permissions};
    args.insert(args.end(), form.flags.begin(), form.flags.end());
    std::vector<std::string> json_args = args;
    json_args.insert(json_args.end(), {"-o", "json"});
    RunResult r = cairn(json_args);
    ASSERT_EQ(r.exit_code, 0) << form.kind << "\n" << show(r);
    const json granted = parse_json(r);
    EXPECT_EQ(granted["resource"].value("kind", ""), form.kind) << r.out;
    EXPECT_THAT(granted.value("principal", ""), ::testing::EndsWith(":user/" + user));
    EXPECT_EQ(granted["permissions"], json::array({form.permissions})) << r.out;
    EXPECT_EQ(granted.value("expired", true), false);

    r = cairn({"permissions", "list", "--principal", principal});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_THAT(r.out, AllOf(HasSubstr("PRINCIPAL"), HasSubstr(form.people), HasSubstr(principal)));

    args[0] = "revoke";
    r = cairn(args);
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_THAT(r.out, HasSubstr("Nothing is left")) << form.kind;
    EXPECT_TRUE(grants_of(principal).empty()) << form.kind;
  }

  // Grant option, expiry and masks; granting again merges; revoking the grant option keeps the permission.
  RunResult r =
      cairn({"grant", "--principal", principal, "--table", db + ".orders", "--permissions", "SELECT",
             "--grantable", "SELECT", "--expires", "7d", "--mask", "email=hash_sha256", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  json g = parse_json(r);
  EXPECT_EQ(g["grantable"], json::array({"SELECT"}));
  EXPECT_EQ(g["column_masks"], json({{"email", "hash_sha256"}}));
  EXPECT_TRUE(g["expires_at"].is_string()) << r.out;
  r = cairn({"grant", "--principal", principal, "--table", db + ".orders", "--permissions", "DESCRIBE",
             "--mask", "email=hash_sha256"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Granted DESCRIBE"), HasSubstr("email=hash_sha256")));
  json items = grants_of(principal);
  ASSERT_EQ(items.size(), 1u) << items.dump();
  EXPECT_EQ(items[0]["permissions"], json::array({"SELECT", "DESCRIBE"}));
  const std::string id = std::to_string(items[0].value("id", 0));
  r = cairn({"permissions", "describe", id});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Grantable:"), HasSubstr("hash_sha256")));

  // Lists by resource and by kind.
  r = cairn({"permissions", "list", "--table", db + ".orders", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_json(r)["items"].size(), 1u) << r.out;
  r = cairn({"permissions", "list", "--database", db, "--kind", "table", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_json(r)["items"].size(), 1u) << r.out;
  r = cairn({"permissions", "list", "--database", db, "--kind", "DATA_CELLS_FILTER", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(parse_json(r)["items"].empty()) << r.out;

  r = cairn({"revoke", "--principal", principal, "--table", db + ".orders", "--permissions", "SELECT",
             "--grantable", "SELECT", "--mask", "email=hash_sha256", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  const json left = parse_json(r);
  ASSERT_TRUE(left["grant"].is_object()) << r.out;
  EXPECT_EQ(left["grant"]["permissions"], json::array({"DESCRIBE"}));
  EXPECT_EQ(left["grant"]["grantable"], json::array());

  // Revoking what is not held names the problem; an unknown principal or table is a user error.
  r = cairn({"revoke", "--principal", principal, "--database", db, "--permissions", "ALTER"});
  EXPECT_EXIT_CODE(r, 1);
  r = cairn({"grant", "--principal", "user:" + unique_name("nobody"), "--database", db, "--permissions",
             "DESCRIBE"});
  EXPECT_EXIT_CODE(r, 1);
  r = cairn({"grant", "--principal", principal, "--table", db + ".nosuch", "--permissions", "SELECT"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
}

// Journey 3: the analyst sees every column but the two excluded ones, and nothing about them.
TEST_P(CliGovernance, AnalystGrantedAllButSalaryAndPhoneResolvesTheOtherColumns) {
  const std::string hr = unique_name("hr");
  const std::string analyst = unique_name("analyst");
  make_table(hr, "employees", {"id", "name", "email", "salary", "phone_number"});
  make_user(analyst);

  RunResult r = as(analyst, {"access", "resolve", hr + ".employees"});
  EXPECT_EXIT_CODE(r, 1);  // no grant yet: the table is invisible (404)
  EXPECT_THAT(r.err, HasSubstr("NotFound"));

  r = cairn({"grant", "--principal", "user:" + analyst, "--table", hr + ".employees", "--exclude-columns",
             "salary,phone_number", "--permissions", "SELECT"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, HasSubstr("except columns phone_number, salary"));

  r = as(analyst, {"access", "resolve", hr + ".employees", "--dialect", "duckdb", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const json access = parse_json(r);
  EXPECT_THAT(column_names(access), ::testing::UnorderedElementsAre("id", "name", "email", "dt"));
  EXPECT_THAT(r.out, AllOf(Not(HasSubstr("salary")), Not(HasSubstr("phone_number"))));
  EXPECT_EQ(access.value("all_rows", false), true);

  r = as(analyst, {"access", "resolve", hr + ".employees"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Columns you may see (4)"), HasSubstr("email"), Not(HasSubstr("salary")),
                           Not(HasSubstr("phone_number"))));

  // The steward asks why: explain names the deciding grant for visible columns and denies the others.
  r = cairn(
      {"access", "explain", "--principal", "user:" + analyst, "--table", hr + ".employees", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const json why = parse_json(r);
  bool saw_salary = false;
  for (const auto& c : why.value("columns", json::array())) {
    const std::string name = c.value("name", "");
    if (name == "salary" || name == "phone_number") {
      saw_salary = saw_salary || name == "salary";
      EXPECT_FALSE(c.value("allowed", true)) << c.dump();
    } else {
      EXPECT_TRUE(c.value("allowed", false)) << c.dump();
      EXPECT_THAT(c.value("deciding_ids", json::array()).dump(), HasSubstr("grant:")) << c.dump();
    }
  }
  EXPECT_TRUE(saw_salary) << r.out;
  r = cairn({"access", "explain", "--principal", "user:" + analyst, "--table", hr + ".employees"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Permissions:"), HasSubstr("PERMISSION"), HasSubstr("Columns:"),
                           HasSubstr("salary"), HasSubstr("grant:")));

  // Revoked: the table is invisible again.
  r = cairn({"revoke", "--principal", "user:" + analyst, "--table", hr + ".employees", "--exclude-columns",
             "salary,phone_number", "--permissions", "SELECT"});
  EXPECT_EXIT_CODE(r, 0);
  r = as(analyst, {"access", "resolve", hr + ".employees"});
  EXPECT_EXIT_CODE(r, 1);
}

TEST_P(CliGovernance, TagsInheritAndTagPoliciesSelectColumns) {
  const std::string db = unique_name("crm");
  const std::string sensitivity = unique_name("sensitivity");
  const std::string pii = unique_name("pii");
  const std::string analyst = unique_name("analyst");
  make_table(db, "customers", {"id", "name", "email"});
  make_user(analyst);

  RunResult r = cairn({"tag", "create", sensitivity, "--values", "low,high"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, HasSubstr("Created tag '" + sensitivity + "'"));
  ASSERT_EQ(cairn({"tag", "create", pii, "--values", "email"}).exit_code, 0);
  r = cairn({"tag", "update", pii, "--add", "phone,iban"});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"tag", "describe", pii, "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_json(r)["values"], json::array({"email", "iban", "phone"}));
  r = cairn({"tag", "list"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("KEY"), HasSubstr(sensitivity), HasSubstr("high,low")));

  r = cairn({"tag", "assign", "--database", db, sensitivity + "=low"});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"tag", "assign", "--table", db + ".customers", "--column", "email", sensitivity + "=high",
             pii + "=email"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("Effective tags"));

  // The table inherits the database's value; the column's explicit value overrides it.
  r = cairn({"tag", "show", "--table", db + ".customers", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(parse_json(r)["tags"], json::parse(R"([{"key":")" + sensitivity +
                                               R"(","value":"low","source":"database","inherited":true}])"));
  r = cairn({"tag", "show", "--table", db + ".customers", "--column", "email", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  json tags = parse_json(r)["tags"];
  ASSERT_EQ(tags.size(), 2u) << r.out;
  for (const auto& t : tags) {
    EXPECT_EQ(t.value("source", ""), "column") << t.dump();
    EXPECT_FALSE(t.value("inherited", true)) << t.dump();
    EXPECT_EQ(t.value("value", ""), t.value("key", "") == pii ? "email" : "high") << t.dump();
  }
  r = cairn({"tag", "show", "--table", db + ".customers", "--column", "name"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("INHERITED"), HasSubstr(sensitivity), HasSubstr("low"), HasSubstr("yes")));

  // Journey 2: SELECT on sensitivity=low shows every column but the one tagged high, with no re-grant.
  r = cairn({"grant", "--principal", "user:" + analyst, "--tag-expression", sensitivity + "=low",
             "--tag-resource-type", "table", "--permissions", "SELECT,DESCRIBE"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = as(analyst, {"access", "resolve", db + ".customers", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(column_names(parse_json(r)), ::testing::UnorderedElementsAre("id", "name", "dt"));
  make_table(db, "late", {"id", "note"});
  r = as(analyst, {"access", "resolve", db + ".late", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(column_names(parse_json(r)), ::testing::UnorderedElementsAre("id", "note", "dt"));

  // Unassigning the column's override lets it inherit again, so the analyst sees it.
  r = cairn({"tag", "unassign", "--table", db + ".customers", "--column", "email", sensitivity});
  EXPECT_EXIT_CODE(r, 0);
  r = as(analyst, {"access", "resolve", db + ".customers", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(column_names(parse_json(r)), ::testing::Contains("email"));

  // A value in use cannot be removed; an unknown value cannot be assigned.
  r = cairn({"tag", "update", sensitivity, "--remove", "low"});
  EXPECT_EXIT_CODE(r, 1);
  r = cairn({"tag", "assign", "--database", db, sensitivity + "=medium"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("medium"));

  ASSERT_EQ(cairn({"revoke", "--principal", "user:" + analyst, "--tag-expression", sensitivity + "=low",
                   "--tag-resource-type", "table", "--permissions", "SELECT,DESCRIBE"})
                .exit_code,
            0);
  EXPECT_EXIT_CODE(cairn({"tag", "unassign", "--table", db + ".customers", "--column", "email", pii}), 0);
  EXPECT_EXIT_CODE(cairn({"tag", "unassign", "--database", db, sensitivity}), 0);
  EXPECT_EXIT_CODE(cairn({"tag", "delete", pii}), 0);
  r = cairn({"tag", "describe", pii});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
}

TEST_P(CliGovernance, FiltersAreValidatedVersionedAndEnforced) {
  const std::string db = unique_name("sales");
  const std::string member = unique_name("emea");
  const std::string group = unique_name("emea_analysts");
  make_table(db, "customers", {"id", "country", "customer_name", "email"});
  make_user(member);
  ASSERT_EQ(cairn({"group", "create", group}).exit_code, 0);
  ASSERT_EQ(cairn({"group", "add-member", group, member}).exit_code, 0);

  // An unknown column is a 400 naming it.
  RunResult r = cairn(
      {"filter", "create", db + ".customers.bad", "--row-filter", "nosuch_col = 'DE'", "--all-columns"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("nosuch_col"));
  r = cairn({"filter", "create", db + ".customers.bad", "--all-rows", "--columns", "id,ghost"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("ghost"));

  const std::string de = db + ".customers.de_only";
  r = cairn({"filter", "create", de, "--row-filter", "country = 'DE'", "--exclude-columns", "customer_name"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, HasSubstr("version 1"));
  r = cairn({"filter", "create", de, "--all-rows", "--all-columns"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AlreadyExists"));
  r = cairn({"filter", "describe", de});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("country = 'DE'"), HasSubstr("all except customer_name")));
  r = cairn({"filter", "list", "--table", db + ".customers"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("FILTER"), HasSubstr(de)));
  r = cairn({"filter", "list", "--database", db, "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_json(r)["items"].size(), 1u);
  r = cairn({"filter", "update", de, "--mask", "email=hash_sha256", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  json updated = parse_json(r);
  EXPECT_EQ(updated.value("version_id", 0), 2);
  EXPECT_EQ(updated.value("row_filter", ""), "country = 'DE'");
  EXPECT_EQ(updated["column_masks"], json({{"email", "hash_sha256"}}));
  r = cairn({"filter", "update", de, "--row-filter", "country = 'AT'", "--expected-version", "1"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("VersionConflict"));

  // Journey 4: a member of the granted group resolves the row filter and the columns; all-rows wins.
  r = cairn({"grant", "--principal", "group:" + group, "--filter", de, "--permissions", "SELECT"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = as(member, {"access", "resolve", db + ".customers", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  json access = parse_json(r);
  EXPECT_EQ(access.value("all_rows", true), false);
  EXPECT_THAT(access.value("row_filter", ""), HasSubstr("DE"));
  EXPECT_THAT(column_names(access), ::testing::UnorderedElementsAre("id", "country", "email", "dt"));
  r = as(member, {"access", "resolve", db + ".customers"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Rows:"), HasSubstr("DE"), HasSubstr("hash_sha256"),
                           Not(HasSubstr("customer_name"))));
  r = cairn(
      {"grant", "--principal", "user:" + member, "--table", db + ".customers", "--permissions", "SELECT"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = as(member, {"access", "resolve", db + ".customers", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  access = parse_json(r);
  EXPECT_EQ(access.value("all_rows", false), true);
  EXPECT_THAT(column_names(access), ::testing::Contains("customer_name"));

  r = cairn({"filter", "delete", de});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"filter", "describe", de});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  r = cairn({"permissions", "list", "--principal", "group:" + group, "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(parse_json(r)["items"].empty()) << r.out;  // the grant on the filter went with it
}

TEST_P(CliGovernance, LocationsRegisterListDeregister) {
  const std::string uri = "s3://" + unique_name("bucket") + "/raw";
  RunResult r =
      cairn({"location", "register", uri + "/", "--role-arn", "arn:aws:iam::000000000000:role/lake"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_THAT(r.out, HasSubstr("Registered location '" + uri + "'"));  // normalised: no trailing '/'
  r = cairn({"location", "register", uri});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AlreadyExists"));
  r = cairn({"location", "list"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("URI"), HasSubstr(uri), HasSubstr("role/lake"), HasSubstr("user:admin")));
  r = cairn({"location", "register", "ftp://nowhere"});
  EXPECT_EXIT_CODE(r, 1);
  r = cairn({"location", "deregister", uri});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"location", "list", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, Not(HasSubstr(uri)));
  EXPECT_EXIT_CODE(cairn({"location", "deregister", uri}), 1);
}

TEST_P(CliGovernance, AuditQueryAndVerify) {
  const std::string db = unique_name("audited");
  const std::string reader = unique_name("reader");
  make_table(db, "events", {"id", "payload"});
  make_user(reader);
  ASSERT_EQ(
      cairn({"grant", "--principal", "user:" + reader, "--table", db + ".events", "--permissions", "SELECT"})
          .exit_code,
      0);
  EXPECT_EXIT_CODE(as(reader, {"table", "describe", db + ".events"}), 0);
  EXPECT_EXIT_CODE(as(reader, {"table", "delete", db + ".events"}), 1);  // a denied decision

  // Entries are written in batches: poll until the reader's decisions are there.
  json items;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const RunResult r = cairn({"audit", "query", "--table", db + ".events", "--principal", "user:" + reader,
                               "--since", "1h", "-o", "json"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    items = parse_json(r).value("items", json::array());
    const bool has_deny = std::any_of(items.begin(), items.end(),
                                      [](const json& e) { return e.value("decision", "") == "deny"; });
    if (has_deny) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(items.empty());
  bool allow = false, deny = false;
  for (const auto& e : items) {
    EXPECT_THAT(e.value("resource", ""), ::testing::StartsWith("table/" + db + "/events")) << e.dump();
    EXPECT_THAT(e.value("principal", ""), ::testing::EndsWith(":user/" + reader)) << e.dump();
    EXPECT_EQ(e.value("hash", "").size(), 64u) << e.dump();
    allow = allow || e.value("decision", "") == "allow";
    deny = deny || e.value("decision", "") == "deny";
  }
  EXPECT_TRUE(allow && deny) << items.dump(2);

  RunResult r = cairn({"audit", "query", "--table", db + ".events", "--decision", "deny"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("SEQ"), HasSubstr("DECISION"), HasSubstr("deny"), HasSubstr("user:" + reader)));
  r = cairn({"audit", "query", "--limit", "2", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_json(r)["items"].size(), 2u);
  r = cairn({"audit", "query", "--from", "2000-01-01T00:00:00Z", "--to", "2000-01-02T00:00:00+01:00", "-o",
             "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(parse_json(r)["items"].empty()) << r.out;

  r = cairn({"audit", "verify", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const json v = parse_json(r);
  EXPECT_TRUE(v.value("ok", false));
  EXPECT_GT(v.value("entries", 0), 0);
  const std::string head = std::to_string(v.value("last_seq", 0)) + ":" + v.value("head_hash", "");
  r = cairn({"audit", "verify", "--expect-head", head});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Audit log intact"), HasSubstr("Head:")));
  // A head that is not in the log (e.g. the log was cut) is a failed verification: exit 1, clear message.
  r = cairn({"audit", "verify", "--expect-head",
             std::to_string(v.value("last_seq", 0)) + ":" + std::string(64, '0')});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("audit log verification FAILED"));
}

TEST_P(CliGovernance, AnAlteredAuditEntryFailsVerification) {
  const std::string db = unique_name("tamper");
  ASSERT_EQ(cairn({"database", "create", db}).exit_code, 0);
  json v;
  for (int attempt = 0; attempt < 50; ++attempt) {  // until the batch with the creation is written
    const RunResult r = cairn({"audit", "query", "--resource", "database/" + db, "-o", "json"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    v = parse_json(r).value("items", json::array());
    if (!v.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(v.empty());
  const std::int64_t seq = v[0].value("seq", std::int64_t{0});
  const std::string detail = v[0].value("detail", "");

  // Entries are stored per appended batch (migration 0003): field 8 of entry (seq - first_seq) is the detail.
  const std::string update = GetParam() == "postgres"
                                 ? "UPDATE audit_batches b SET entries = jsonb_set(b.entries::jsonb, "
                                   "ARRAY[(s.q - b.first_seq)::text, "
                                   "'8'], to_jsonb(?1::text))::text FROM (SELECT ?2::bigint AS q) s WHERE "
                                   "s.q BETWEEN b.first_seq AND "
                                   "b.last_seq"
                                 : "UPDATE audit_batches SET entries = json_set(entries, '$[' || (s.q - "
                                   "first_seq) || '][8]', ?1) FROM "
                                   "(SELECT ?2 AS q) s WHERE s.q BETWEEN first_seq AND last_seq";
  store_exec(update, "nothing to see", seq);
  RunResult r = cairn({"audit", "verify"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.out, AllOf(HasSubstr("First bad entry:  " + std::to_string(seq)), HasSubstr("altered")));
  EXPECT_THAT(r.err, AllOf(HasSubstr("audit log verification FAILED at entry " + std::to_string(seq)),
                           HasSubstr("altered")));
  r = cairn({"audit", "verify", "-o", "json"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_EQ(parse_json(r).value("first_bad_seq", std::int64_t{0}), seq);

  // Put it back (the detail text is all that changed): the chain verifies again.
  store_exec(update, detail, seq);
  EXPECT_EXIT_CODE(cairn({"audit", "verify"}), 0);
}

TEST_P(CliGovernance, UnprivilegedUsersAreRefusedClearly) {
  const std::string nobody = unique_name("nobody");
  const std::string other = unique_name("other");
  const std::string db = unique_name("private");
  make_user(nobody);
  make_table(db, "t", {"id"});
  ASSERT_EQ(cairn({"user", "create", other}).exit_code, 0);
  ASSERT_EQ(cairn({"grant", "--principal", "user:" + other, "--database", db, "--permissions", "DESCRIBE"})
                .exit_code,
            0);

  RunResult r = as(nobody, {"audit", "query"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err,
              AllOf(HasSubstr("access denied"), HasSubstr("administrators"), HasSubstr("AccessDenied")));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = as(nobody, {"audit", "verify"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AccessDenied"));

  // Another principal's grants are not shown to someone who neither holds them nor may grant on them.
  r = as(nobody, {"permissions", "list", "--principal", "user:" + other, "-o", "json"});
  if (r.exit_code == 0) {
    EXPECT_TRUE(parse_json(r)["items"].empty()) << r.out;
  } else {
    EXPECT_EXIT_CODE(r, 1);
    EXPECT_THAT(r.err, AllOf(HasSubstr("access denied"), HasSubstr("AccessDenied")));
  }
  r = as(nobody, {"grant", "--principal", "user:" + nobody, "--database", db, "--permissions", "DESCRIBE"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AccessDenied"));
  r = as(nobody, {"access", "explain", "--principal", "user:" + other, "--table", db + ".t"});
  EXPECT_EXIT_CODE(r, 1);
  r = as(nobody, {"tag", "create", unique_name("k"), "--values", "a"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AccessDenied"));
}

INSTANTIATE_TEST_SUITE_P(Store, CliGovernance, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace cairn::cli_test
