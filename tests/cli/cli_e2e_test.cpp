#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_harness.h"

namespace cairn::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CliEndToEnd : public CliServerTest {};

TEST_P(CliEndToEnd, FullCatalogJourney) {
  const std::string db = unique_name("sales");
  const std::string orders = db + ".orders";

  RunResult r = cairn({"database", "create", db, "--description", "Sales data", "--location",
                       "s3://lake/sales/", "--param", "team=revenue"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("Created database '" + db + "'"));
  r = cairn({"database", "list"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr(db));
  r = cairn({"database", "describe", db});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("Sales data"));
  EXPECT_THAT(r.out, HasSubstr("team=revenue"));
  r = cairn({"database", "update", db, "--description", "Sales (EU)", "--param", "region=eu"});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"database", "get", db, "--output", "json"});
  EXPECT_EXIT_CODE(r, 0);
  json dbj = parse_json(r);
  EXPECT_EQ(dbj.value("description", ""), "Sales (EU)");
  EXPECT_EQ(dbj["parameters"].value("region", ""), "eu");
  EXPECT_EQ(dbj["parameters"].value("team", ""), "revenue");

  // Table from flags: a type with ':' and ',' inside brackets, a comment after it, partition keys, parquet.
  r = cairn({"table", "create", orders, "--column", "id:bigint:order id", "--column", "amount:decimal(10,2)",
             "--column", "s:struct<a:int,b:string>:nested: with colon", "--partition-key", "year:string",
             "--partition-key", "month:string", "--format", "parquet", "--location", "s3://lake/sales/orders",
             "--description", "Orders"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("version 1"));
  r = cairn({"table", "describe", orders, "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  json t = parse_json(r);
  ASSERT_TRUE(t.contains("storage_descriptor")) << r.out;
  const json& sd = t["storage_descriptor"];
  ASSERT_EQ(sd["columns"].size(), 3u);
  EXPECT_EQ(sd["columns"][0]["comment"], "order id");
  EXPECT_EQ(sd["columns"][1]["type"], "decimal(10,2)");
  EXPECT_EQ(sd["columns"][2]["name"], "s");
  EXPECT_EQ(sd["columns"][2]["type"], "struct<a:int,b:string>");
  EXPECT_EQ(sd["columns"][2]["comment"], "nested: with colon");
  EXPECT_EQ(sd["input_format"], "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
  EXPECT_EQ(sd["output_format"], "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat");
  EXPECT_EQ(sd["serde_info"]["serialization_library"],
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
  EXPECT_EQ(t["parameters"].value("classification", ""), "parquet");
  ASSERT_EQ(t["partition_keys"].size(), 2u);
  EXPECT_EQ(t["version_id"], 1);

  r = cairn({"table", "describe", orders});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("parquet"));
  EXPECT_THAT(r.out, HasSubstr("struct<a:int,b:string>"));
  EXPECT_THAT(r.out, HasSubstr("Partition keys (2)"));
  EXPECT_THAT(r.out, HasSubstr("s3://lake/sales/orders"));

  // Table from a JSON file, with --format applied on top.
  const std::string file = home_ + "/returns.json";
  write_file(file, R"({"name": "returns", "description": "Returns",
      "storage_descriptor": {"columns": [{"name": "id", "type": "bigint"}, {"name": "reason", "type": "string"}],
                             "location": "s3://lake/sales/returns/"}})");
  r = cairn({"table", "create", db + ".returns", "--file", file, "--format", "csv"});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"table", "get", db + ".returns", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  json ret = parse_json(r);
  EXPECT_EQ(ret["storage_descriptor"]["serde_info"]["serialization_library"],
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
  EXPECT_EQ(ret["storage_descriptor"]["serde_info"]["parameters"].value("field.delim", ""), ",");
  EXPECT_EQ(ret["storage_descriptor"]["columns"].size(), 2u);

  r = cairn({"table", "list", db});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("orders"));
  EXPECT_THAT(r.out, HasSubstr("returns"));
  r = cairn({"table", "list", db, "-o", "json"});
  EXPECT_EQ(parse_json(r)["tables"].size(), 2u);

  // Update: the CLI names the version it read; a stale --expected-version is a clear conflict.
  r = cairn({"table", "update", orders, "--add-column", "note:string", "--description", "Orders v2"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("version 1 -> 2"));
  r = cairn({"table", "update", orders, "--add-column", "other:int", "--expected-version", "1"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("VersionConflict"));
  EXPECT_THAT(r.err, HasSubstr("no longer at version 1"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = cairn({"table", "update", orders, "--drop-column", "nosuch"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("no column 'nosuch'"));

  r = cairn({"table", "versions", orders, "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  const json version_list = parse_json(r);
  std::vector<int> versions;
  for (const auto& v : version_list["versions"]) versions.push_back(v.value("version_id", 0));
  EXPECT_THAT(versions, ::testing::Contains(1));
  r = cairn({"table", "versions", orders});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("VERSION"));
  r = cairn({"table", "version", orders, "1", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  json v1 = parse_json(r);
  EXPECT_EQ(v1["version_id"], 1);
  EXPECT_EQ(v1["storage_descriptor"]["columns"].size(), 3u);
  EXPECT_EQ(v1["description"], "Orders");
  r = cairn({"table", "describe", orders, "-o", "json"});
  EXPECT_EQ(parse_json(r)["storage_descriptor"]["columns"].size(), 4u);

  // Partitions: positional values, repeated --values, a file; list with --filter and --max; get; delete.
  r = cairn({"partition", "add", orders, "2026", "11"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("Added 1 of 1"));
  r = cairn({"partition", "add", orders, "--values", "2026,10", "--values", "2025,12"});
  EXPECT_EXIT_CODE(r, 0);
  const std::string parts = home_ + "/partitions.json";
  write_file(
      parts,
      R"([{"values": ["2024", "01"], "storage_descriptor": {"columns": [{"name": "id", "type": "bigint"}],
                         "location": "s3://elsewhere/2024/01/"}}])");
  r = cairn({"partition", "add", orders, "--file", parts});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"partition", "add", orders, "2026", "11"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("[2026, 11]"));

  r = cairn({"partition", "list", orders});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("YEAR"));
  EXPECT_THAT(r.out, HasSubstr("MONTH"));
  EXPECT_THAT(r.out, HasSubstr("s3://lake/sales/orders/year=2026/month=11/"));
  r = cairn({"partition", "list", orders, "-o", "json"});
  EXPECT_EQ(parse_json(r)["partitions"].size(), 4u);
  r = cairn({"partition", "list", orders, "--filter", "year = '2026'", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  json filtered = parse_json(r);
  ASSERT_EQ(filtered["partitions"].size(), 2u);
  for (const auto& p : filtered["partitions"]) EXPECT_EQ(p["values"][0], "2026");
  r = cairn(
      {"partition", "list", orders, "--filter", "year >= '2025' AND month IN ('10', '12')", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_json(r)["partitions"].size(), 2u);
  r = cairn({"partition", "list", orders, "--max", "1", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  json one = parse_json(r);
  EXPECT_EQ(one["partitions"].size(), 1u);
  EXPECT_TRUE(one.contains("next_token")) << r.out;
  r = cairn({"partition", "list", orders, "--max", "3", "-o", "json"});
  EXPECT_EQ(parse_json(r)["partitions"].size(), 3u);
  r = cairn({"partition", "list", orders, "--filter", "nosuchkey = '1'"});
  EXPECT_EXIT_CODE(r, 1);

  r = cairn({"partition", "get", orders, "2026", "11", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  json p = parse_json(r);
  EXPECT_EQ(p["values"], json::array({"2026", "11"}));
  EXPECT_EQ(p["storage_descriptor"]["location"], "s3://lake/sales/orders/year=2026/month=11/");
  EXPECT_EQ(p["storage_descriptor"]["columns"].size(), 4u);
  r = cairn({"partition", "get", orders, "2026", "11"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("year=2026, month=11"));

  r = cairn({"partition", "delete", orders, "2026", "11"});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"partition", "get", orders, "2026", "11"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  r = cairn({"partition", "delete", orders, "--values", "2026,10", "--values", "2025,12"});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"partition", "list", orders, "-o", "json"});
  EXPECT_EQ(parse_json(r)["partitions"].size(), 1u);

  r = cairn({"table", "delete", orders});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"table", "delete", db + ".returns"});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"table", "describe", orders});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  EXPECT_THAT(r.err, ::testing::StartsWith("cairn: "));
  r = cairn({"database", "delete", db});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"database", "describe", db});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
}

TEST_P(CliEndToEnd, IdentityUsersKeysGroupsRoles) {
  const std::string alice = unique_name("alice");
  const std::string group = unique_name("analysts");
  const std::string role = unique_name("etl");

  RunResult r = cairn({"user", "create", alice, "--description", "Analyst"});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"user", "list"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr(alice));
  r = cairn({"user", "get", alice, "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(parse_json(r).value("arn", ""), ::testing::EndsWith(":user/" + alice));

  // Create a key and store it as a profile next to an existing one.
  const std::string creds = home_ + "/credentials";
  write_file(creds,
             "# my keys\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = othersecret\n");
  r = cairn(
      {"access-key", "create", "--user", alice, "--write-profile", "alice", "--credentials-file", creds});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("Secret access key"));
  EXPECT_THAT(r.out, HasSubstr("Wrote profile 'alice'"));
  struct stat st {};
  ASSERT_EQ(::stat(creds.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string text = read_file(creds);
  EXPECT_THAT(text, HasSubstr("[other]\naws_access_key_id = AKIAOTHER"));
  EXPECT_THAT(text, HasSubstr("[alice]\naws_access_key_id = "));

  r = cairn({"access-key", "list", "--user", alice, "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  json keys = parse_json(r)["access_keys"];
  ASSERT_EQ(keys.size(), 1u);
  const std::string key_id = keys[0].value("access_key_id", "");
  EXPECT_EQ(keys[0].value("status", ""), "Active");
  EXPECT_FALSE(keys[0].contains("secret_access_key"));
  EXPECT_THAT(text, HasSubstr(key_id));

  const std::vector<std::string> as_alice = {"--credentials-file", creds, "--profile", "alice"};
  const auto alice_cmd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), as_alice.begin(), as_alice.end());
    return cairn_env(args, {});
  };
  r = alice_cmd({"whoami", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  json me = parse_json(r);
  EXPECT_EQ(me.value("name", ""), alice);
  EXPECT_EQ(me.value("is_admin", true), false);
  EXPECT_EQ(me.value("access_key_id", ""), key_id);
  r = alice_cmd({"whoami"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("profile 'alice'"));

  r = alice_cmd({"database", "create", unique_name("forbidden")});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(lower(r.err), HasSubstr("denied"));
  r = alice_cmd({"user", "create", unique_name("mallory")});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("AccessDenied"));

  // Deactivated keys are refused (401, exit 1); activation restores them; deletion ends them.
  r = cairn({"access-key", "deactivate", key_id, "--user", alice});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("Inactive"));
  r = alice_cmd({"whoami"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("profile 'alice'"));
  r = cairn({"access-key", "activate", key_id, "--user", alice, "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_json(r).value("status", ""), "Active");
  r = alice_cmd({"whoami"});
  EXPECT_EXIT_CODE(r, 0);
  r = alice_cmd({"access-key", "list"});  // without --user: the caller's own keys (may be refused by policy)
  EXPECT_THAT(r.exit_code, ::testing::AnyOf(0, 1)) << show(r);

  // Groups and roles.
  r = cairn({"group", "create", group});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"group", "add-member", group, alice});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"group", "members", group});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr(alice));
  r = cairn({"user", "groups", alice, "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  ASSERT_EQ(parse_json(r)["groups"].size(), 1u);
  r = alice_cmd({"whoami"});
  EXPECT_THAT(r.out, HasSubstr(group));
  r = cairn({"group", "remove-member", group, alice});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"group", "members", group, "-o", "json"});
  EXPECT_EQ(parse_json(r)["members"].size(), 0u);

  r = cairn({"role", "create", role, "--description", "ETL jobs"});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"role", "get", role});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr(":role/" + role));
  r = cairn({"access-key", "create", "--role", role, "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  json role_key = parse_json(r);
  EXPECT_FALSE(role_key.value("secret_access_key", "").empty());
  r = cairn({"access-key", "list", "--role", role});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr(role_key.value("access_key_id", "?")));
  r = cairn({"access-key", "delete", role_key.value("access_key_id", "?"), "--role", role});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"role", "list"});
  EXPECT_THAT(r.out, HasSubstr(role));
  r = cairn({"role", "delete", role});
  EXPECT_EXIT_CODE(r, 0);

  r = cairn({"access-key", "delete", key_id, "--user", alice});
  EXPECT_EXIT_CODE(r, 0);
  r = alice_cmd({"whoami"});
  EXPECT_EXIT_CODE(r, 1);
  r = cairn({"group", "delete", group});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"user", "delete", alice});
  EXPECT_EXIT_CODE(r, 0);
  r = cairn({"user", "get", alice});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
}

TEST_P(CliEndToEnd, JsonAndTableOutput) {
  const std::string db = unique_name("fmt");
  ASSERT_EQ(cairn({"database", "create", db, "--description", "Formats"}).exit_code, 0);

  RunResult table = cairn({"database", "list"});
  EXPECT_EXIT_CODE(table, 0);
  EXPECT_THAT(table.out, ::testing::StartsWith("NAME"));
  EXPECT_THAT(table.out, HasSubstr("DESCRIPTION"));
  EXPECT_TRUE(json::parse(table.out, nullptr, false).is_discarded());

  RunResult js = cairn({"database", "list", "--output", "json"});
  EXPECT_EXIT_CODE(js, 0);
  json list = parse_json(js);
  ASSERT_TRUE(list["databases"].is_array());
  bool found = false;
  for (const auto& d : list["databases"]) found = found || d.value("name", "") == db;
  EXPECT_TRUE(found) << js.out;

  RunResult from_env = cairn({"database", "describe", db}, {"CAIRN_OUTPUT=json"});
  EXPECT_EXIT_CODE(from_env, 0);
  json described = parse_json(from_env);
  EXPECT_EQ(described.value("name", ""), db);
  EXPECT_EQ(described.value("description", ""), "Formats");
  EXPECT_TRUE(described.contains("create_time"));
  EXPECT_EQ(from_env.out, described.dump(2) + "\n");  // pretty-printed server JSON

  RunResult kv = cairn({"database", "describe", db});
  EXPECT_THAT(kv.out, HasSubstr("Description:"));
  EXPECT_THAT(kv.out, HasSubstr("Formats"));

  RunResult me = cairn({"whoami", "-o", "json"});
  EXPECT_EXIT_CODE(me, 0);
  EXPECT_EQ(parse_json(me).value("is_admin", false), true);

  EXPECT_EXIT_CODE(cairn({"database", "list", "--output", "yaml"}), 1);
  EXPECT_EXIT_CODE(cairn({"database", "delete", db, "-o", "json"}), 0);
}

TEST_P(CliEndToEnd, BadColumnTypeIsAUserErrorNamingTheField) {
  const std::string db = unique_name("bad");
  ASSERT_EQ(cairn({"database", "create", db}).exit_code, 0);
  RunResult r = cairn({"table", "create", db + ".t", "--column", "id:bigint", "--column", "x:strng"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("InvalidArgument"));
  EXPECT_THAT(r.err, HasSubstr("columns[1]"));
  EXPECT_THAT(r.err, HasSubstr("request "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  r = cairn({"table", "create", db + ".t", "--column", "m:map<string,int"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("never closed"));
  r = cairn({"table", "create", db + ".t", "--column", "nocolon"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("name:type"));
  r = cairn({"table", "create", db + ".t", "--column", "a:int", "--format", "xml"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("parquet"));
  r = cairn({"table", "create", db + ".t", "--file", home_ + "/missing.json"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot read"));
  r = cairn({"table", "list", db, "-o", "json"});
  EXPECT_EQ(parse_json(r)["tables"].size(), 0u);
  EXPECT_EXIT_CODE(cairn({"database", "delete", db}), 0);
}

TEST_P(CliEndToEnd, CredentialSources) {
  // AWS_* environment variables (the default of this fixture).
  RunResult r = cairn({"whoami", "-o", "json"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_json(r).value("access_key_id", ""), kAdminKey);

  // CAIRN_* environment variables.
  const std::vector<std::string> cairn_vars = {std::string("CAIRN_ACCESS_KEY_ID=") + kAdminKey,
                                               std::string("CAIRN_SECRET_ACCESS_KEY=") + kAdminSecret};
  EXPECT_EXIT_CODE(cairn_env({"whoami"}, cairn_vars), 0);

  // AWS_* come before CAIRN_*: a wrong AWS key wins and is refused (401 is a user error).
  std::vector<std::string> both = cairn_vars;
  both.push_back("AWS_ACCESS_KEY_ID=AKIAWRONGWRONGWRONG1");
  both.push_back("AWS_SECRET_ACCESS_KEY=wrongwrongwrongwrongwrong");
  r = cairn_env({"whoami"}, both);
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("environment (AWS_ACCESS_KEY_ID)"));

  // A wrong secret for a real key id.
  r = cairn_env({"whoami"}, {std::string("AWS_ACCESS_KEY_ID=") + kAdminKey,
                             "AWS_SECRET_ACCESS_KEY=not-the-secret-at-all"});
  EXPECT_EXIT_CODE(r, 1);

  // --credentials-file + --profile beat the environment.
  const std::string file = admin_profile_file("ops");
  r = cairn_env({"--credentials-file", file, "--profile", "ops", "whoami"}, both);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("profile 'ops'"));
  // AWS_PROFILE picks the profile.
  EXPECT_EXIT_CODE(cairn_env({"--credentials-file", file, "whoami"}, {"AWS_PROFILE=ops"}), 0);
  // A missing profile says which exist.
  r = cairn_env({"--credentials-file", file, "--profile", "nope", "whoami"}, {});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("profile 'nope'"));
  EXPECT_THAT(r.err, HasSubstr("ops"));

  // AWS_SHARED_CREDENTIALS_FILE: profile "cairn" is preferred over "default".
  const std::string shared = home_ + "/shared";
  write_file(shared,
             std::string("[default]\naws_access_key_id = AKIAWRONGWRONGWRONG1\naws_secret_access_key = x\n") +
                 "[cairn]\naws_access_key_id = " + kAdminKey + "\naws_secret_access_key = " + kAdminSecret +
                 "\n");
  EXPECT_EXIT_CODE(cairn_env({"whoami"}, {"AWS_SHARED_CREDENTIALS_FILE=" + shared}), 0);

  // ~/.aws/credentials with a [default] profile.
  std::filesystem::create_directories(home_ + "/.aws");
  write_file(home_ + "/.aws/credentials", std::string("[default]\naws_access_key_id = ") + kAdminKey +
                                              "\naws_secret_access_key = " + kAdminSecret + "\n");
  r = cairn_env({"whoami"}, {});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("profile 'default'"));

  // Any region is accepted in the signature scope.
  EXPECT_EXIT_CODE(cairn_env({"--region", "eu-central-1", "whoami"}, {}), 0);
  EXPECT_EXIT_CODE(cairn_env({"whoami"}, {"AWS_REGION=ap-south-1"}), 0);
}

INSTANTIATE_TEST_SUITE_P(Store, CliEndToEnd, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// ---- without a fixture server
// ------------------------------------------------------------------------------

TEST(CliWithoutServer, HelpIsUseful) {
  TempDir home;
  RunResult r = run_process(cairn_binary(), {"--help"}, isolated_env(home.path()));
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("Usage"));
  EXPECT_THAT(r.out, HasSubstr("--endpoint"));
  EXPECT_THAT(r.out, HasSubstr("Exit codes"));
  for (const char* command :
       {"database", "table", "partition", "user", "role", "group", "access-key", "whoami"}) {
    EXPECT_THAT(r.out, HasSubstr(command));
    RunResult sub = run_process(cairn_binary(), {command, "--help"}, isolated_env(home.path()));
    EXPECT_EXIT_CODE(sub, 0);
  }
  r = run_process(cairn_binary(), {"table", "create", "--help"}, isolated_env(home.path()));
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("--column"));
  EXPECT_THAT(r.out, HasSubstr("struct<sku:string,qty:int>"));
  EXPECT_THAT(r.out, Not(HasSubstr("Exit codes")));  // the top-level footer is not repeated
  r = run_process(cairn_binary(), {"partition", "list", "--help"}, isolated_env(home.path()));
  EXPECT_THAT(r.out, HasSubstr("--filter"));
}

TEST(CliWithoutServer, BadFlagsAreUserErrors) {
  TempDir home;
  const auto env =
      isolated_env(home.path(), {"AWS_ACCESS_KEY_ID=AKIAEXAMPLEEXAMPLE12", "AWS_SECRET_ACCESS_KEY=x"});
  RunResult r = run_process(cairn_binary(), {}, env);
  EXPECT_EXIT_CODE(r, 1);
  r = run_process(cairn_binary(), {"database", "frobnicate"}, env);
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, ::testing::StartsWith("cairn: "));
  r = run_process(cairn_binary(), {"--output", "yaml", "whoami"}, env);
  EXPECT_EXIT_CODE(r, 1);
  r = run_process(cairn_binary(), {"table", "create", "nodot", "--column", "a:int"}, env);
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("DB.TABLE"));
  r = run_process(cairn_binary(), {"table", "create", "a.b", "--column", "s:struct<a:int>>"}, env);
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("unbalanced '>'"));
  r = run_process(cairn_binary(), {"--endpoint", "ftp://x", "whoami"}, env);
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("--endpoint"));
}

TEST(CliWithoutServer, ExitTwoWhenNothingListens) {
  TempDir home;
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(unused_port());
  RunResult r = run_process(cairn_binary(), {"--endpoint", endpoint, "database", "list"},
                            isolated_env(home.path(), {"AWS_ACCESS_KEY_ID=AKIAEXAMPLEEXAMPLE12",
                                                       "AWS_SECRET_ACCESS_KEY=secretsecretsecret"}));
  EXPECT_EXIT_CODE(r, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot connect to " + endpoint));
  EXPECT_THAT(r.err, HasSubstr("is cairnd running?"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(CliWithoutServer, NoCredentialsSaysWhereItLooked) {
  TempDir home;
  RunResult r = run_process(cairn_binary(), {"whoami"}, isolated_env(home.path()));
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr("no credentials found"));
  EXPECT_THAT(r.err, HasSubstr("AWS_ACCESS_KEY_ID"));
  EXPECT_THAT(r.err, HasSubstr("CAIRN_ACCESS_KEY_ID"));
  EXPECT_THAT(r.err, HasSubstr(home.path() + "/.aws/credentials"));
  r = run_process(cairn_binary(), {"--credentials-file", home.path() + "/nope", "whoami"},
                  isolated_env(home.path()));
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.err, HasSubstr(home.path() + "/nope"));
}

TEST(CliBootstrap, AdminCredentialsFileFromDataDir) {
  std::unique_ptr<Server> server;
  try {
    server = start_server("sqlite", /*admin_from_env=*/false);
  } catch (const std::exception& e) {
    FAIL() << "cannot start cairnd: " << e.what();
  }
  const std::string file = server->process->data_dir() + "/admin-credentials";
  RunResult r = run_process(
      cairn_binary(),
      {"--endpoint", server->process->endpoint(), "--credentials-file", file, "whoami", "-o", "json"},
      isolated_env(server->dir.path()));
  EXPECT_EXIT_CODE(r, 0);
  json me = json::parse(r.out, nullptr, false);
  EXPECT_EQ(me.value("is_admin", false), true) << r.out;
  EXPECT_EQ(me.value("name", ""), "admin");
}

}  // namespace
}  // namespace cairn::cli_test
