// cairn-datagen: fills a running cairnd with a synthetic catalog over the native API (signed requests), so
// benchmarks measure a realistic store: N databases x M tables x K columns, P partitions per table.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cairn/api/http_client.h"
#include "cairn/authz/sigv4.h"

namespace {

using nlohmann::json;

struct Signer {
  std::string access_key;
  std::string secret;
  cairn::api::HttpClient* client;

  cairn::api::HttpResponse send(const std::string& method, const std::string& target,
                                const std::string& body) {
    const auto q = target.find('?');
    cairn::authz::SignableRequest req{
        method,
        target.substr(0, q),
        q == std::string::npos ? "" : target.substr(q + 1),
        {{"host", client->endpoint().host_header()}, {"content-type", "application/json"}},
        body};
    cairn::authz::sign_request(req, access_key, secret, "us-east-1", "cairn");
    auto resp = client->send(method, target, req.headers, body);
    if (resp.status >= 300 && resp.status != 409) {
      throw std::runtime_error(method + " " + target + " -> " + std::to_string(resp.status) + ": " +
                               resp.body);
    }
    return resp;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cairn-datagen: create N databases x M tables x K columns with P partitions each"};
  std::string endpoint = "http://127.0.0.1:7480";
  int databases = 2, tables = 50, columns = 20, partitions = 100, batch = 100;
  std::string prefix = "bench";
  std::string analyst;
  int noise_grants = 0;
  const char* env_key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* env_secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  std::string key = env_key ? env_key : "", secret = env_secret ? env_secret : "";
  app.add_option("--endpoint", endpoint)->capture_default_str();
  app.add_option("--databases", databases)->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--tables", tables, "tables per database")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--columns", columns, "columns per table")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--partitions", partitions, "partitions per table")
      ->check(CLI::Range(0, 10000000))
      ->capture_default_str();
  app.add_option("--batch", batch, "partitions per request")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--prefix", prefix, "database name prefix")->capture_default_str();
  app.add_option(
      "--analyst", analyst,
      "also create this user with an access key (printed) and governed access: on every table SELECT on "
      "all columns but c1, c1 masked through a data cells filter on c0 > 0, and a tag policy");
  app.add_option("--noise-grants", noise_grants,
                 "with --analyst: this many further grants to other users (spread over the tables)")
      ->capture_default_str();
  app.add_option("--access-key", key, "default: AWS_ACCESS_KEY_ID");
  app.add_option("--secret", secret, "default: AWS_SECRET_ACCESS_KEY");
  CLI11_PARSE(app, argc, argv);
  if (key.empty() || secret.empty()) {
    std::cerr << "cairn-datagen: set --access-key/--secret or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY\n";
    return 1;
  }

  try {
    cairn::api::HttpClient client(cairn::api::Endpoint::parse(endpoint));
    Signer s{key, secret, &client};
    const auto start = std::chrono::steady_clock::now();
    long long created_partitions = 0;
    for (int d = 0; d < databases; ++d) {
      const std::string db = prefix + "_db" + std::to_string(d);
      s.send("POST", "/v1/databases", json{{"name", db}, {"location_uri", "s3://bench/" + db + "/"}}.dump());
      for (int t = 0; t < tables; ++t) {
        const std::string table = "t" + std::to_string(t);
        json cols = json::array();
        for (int c = 0; c < columns; ++c) {
          static const char* kTypes[] = {"bigint",        "string",    "double",
                                         "decimal(12,2)", "timestamp", "boolean"};
          cols.push_back({{"name", "c" + std::to_string(c)},
                          {"type", kTypes[c % 6]},
                          {"comment", "column " + std::to_string(c)}});
        }
        json body = {
            {"name", table},
            {"table_type", "EXTERNAL_TABLE"},
            {"parameters", {{"classification", "parquet"}}},
            {"partition_keys",
             json::array({{{"name", "year"}, {"type", "int"}}, {{"name", "day"}, {"type", "string"}}})},
            {"storage_descriptor",
             {{"columns", cols},
              {"location", "s3://bench/" + db + "/" + table + "/"},
              {"input_format", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"},
              {"output_format", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"},
              {"serde_info",
               {{"serialization_library", "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}}}}};
        s.send("POST", "/v1/databases/" + db + "/tables", body.dump());
        for (int p = 0; p < partitions;) {
          json parts = json::array();
          for (int i = 0; i < batch && p < partitions; ++i, ++p) {
            const std::string year = std::to_string(2000 + p / 1000);
            const std::string day = std::to_string(p % 1000);
            parts.push_back(
                {{"values", {year, day}},
                 {"storage_descriptor",
                  {{"location", "s3://bench/" + db + "/" + table + "/year=" + year + "/day=" + day + "/"}}}});
          }
          created_partitions += static_cast<long long>(parts.size());
          s.send("POST", "/v1/databases/" + db + "/tables/" + table + "/partitions",
                 json{{"partitions", parts}}.dump());
        }
      }
    }
    json analyst_key = nullptr;
    if (!analyst.empty()) {
      s.send("POST", "/v1/users", json{{"name", analyst}}.dump());
      analyst_key = json::parse(s.send("POST", "/v1/users/" + analyst + "/access-keys", "").body);
      s.send("POST", "/v1/tags", json{{"key", "sensitivity"}, {"values", {"low", "high"}}}.dump());
      for (int d = 0; d < databases; ++d) {
        const std::string db = prefix + "_db" + std::to_string(d);
        s.send("PUT", "/v1/databases/" + db + "/tags", json{{"tags", {{"sensitivity", "low"}}}}.dump());
        for (int t = 0; t < tables; ++t) {
          const std::string table = "t" + std::to_string(t);
          const std::string base = "/v1/databases/" + db + "/tables/" + table;
          s.send("PUT", base + "/columns/c2/tags", json{{"tags", {{"sensitivity", "high"}}}}.dump());
          s.send("POST", "/v1/permissions/grant",
                 json{{"principal", "user:" + analyst},
                      {"resource",
                       {{"kind", "TABLE_WITH_COLUMNS"},
                        {"database", db},
                        {"table", table},
                        {"column_wildcard", true},
                        {"excluded_columns", {"c1"}}}},
                      {"permissions", {"SELECT"}}}
                     .dump());
          s.send("POST", base + "/filters",
                 json{{"name", "positive"},
                      {"row_filter", "c0 > 0"},
                      {"columns", {"c0", "c1"}},
                      {"column_masks", {{"c1", "redact"}}}}
                     .dump());
          s.send("POST", "/v1/permissions/grant",
                 json{{"principal", "user:" + analyst},
                      {"resource",
                       {{"kind", "DATA_CELLS_FILTER"},
                        {"database", db},
                        {"table", table},
                        {"filter", "positive"}}},
                      {"permissions", {"SELECT"}}}
                     .dump());
        }
      }
      s.send("POST", "/v1/permissions/grant",
             json{{"principal", "user:" + analyst},
                  {"resource",
                   {{"kind", "TAG_POLICY"},
                    {"tag_resource_type", "TABLE"},
                    {"tag_expression", {{{"key", "sensitivity"}, {"values", {"low"}}}}}}},
                  {"permissions", {"SELECT"}}}
                 .dump());
      for (int g = 0; g < noise_grants; ++g) {
        const std::string user = "noise" + std::to_string(g % 100);
        if (g < 100) s.send("POST", "/v1/users", json{{"name", user}}.dump());
        const std::string db = prefix + "_db" + std::to_string(g % databases);
        s.send("POST", "/v1/permissions/grant",
               json{{"principal", "user:" + user},
                    {"resource",
                     {{"kind", "TABLE"}, {"database", db}, {"table", "t" + std::to_string(g % tables)}}},
                    {"permissions", {g % 2 == 0 ? "SELECT" : "DESCRIBE"}}}
                   .dump());
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << json{{"analyst", analyst_key},           {"databases", databases},
                      {"tables", databases * tables},     {"columns_per_table", columns},
                      {"partitions", created_partitions}, {"seconds", secs}}
                     .dump()
              << "\n";
  } catch (const std::exception& e) {
    std::cerr << "cairn-datagen: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
