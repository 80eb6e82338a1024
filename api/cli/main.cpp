#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "context.h"

namespace cairn::api::cli {
/// Adds pii, classify and entity-type (commands_classification.cpp).
void add_classification_commands(CLI::App& app, CommandRegistry& registry);
}  // namespace cairn::api::cli

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

constexpr const char* kFooter =
    "Credentials (first found): --profile/--credentials-file select a profile of a shared-credentials file;\n"
    "otherwise AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (+AWS_SESSION_TOKEN), then\n"
    "CAIRN_ACCESS_KEY_ID/CAIRN_SECRET_ACCESS_KEY, then AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials\n"
    "(profile AWS_PROFILE, else 'cairn' if present, else 'default'). Requests are signed with SigV4.\n"
    "\n"
    "Exit codes: 0 success, 1 user error (bad flags, 4xx answers), 2 server or connection error (5xx, no "
    "answer).\n"
    "\n"
    "Examples:\n"
    "  cairn --credentials-file ./cairn-data/admin-credentials whoami\n"
    "  cairn database create sales\n"
    "  cairn table create sales.orders --column id:bigint --column 'amount:decimal(10,2)' \\\n"
    "      --partition-key dt:string --format parquet --location s3://lake/sales/orders/\n"
    "  cairn partition list sales.orders --filter \"dt >= '2026-11-01'\" --output json\n"
    "  cairn grant --principal user:analyst --table hr.employees --exclude-columns salary,phone_number \\\n"
    "      --permissions SELECT\n"
    "  cairn access explain --principal user:analyst --table hr.employees\n"
    "\n"
    "Run 'cairn COMMAND --help' (e.g. 'cairn table create --help') for a command's flags and examples.";

}  // namespace

int main(int argc, char** argv) {
  using namespace cairn::api::cli;

  GlobalOptions options;
  CLI::App app{"cairn - command-line client for the Cairn metadata catalog", "cairn"};
  app.fallthrough();
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("cairn: ") + e.what() + " (see --help)\n";
  });

  app.add_option("--endpoint", options.endpoint, "Server URL")
      ->envname("CAIRN_ENDPOINT")
      ->capture_default_str();
  app.add_option("--profile", options.profile,
                 "Profile of the shared-credentials file (env AWS_PROFILE; default 'cairn' if present, else "
                 "'default')");
  app.add_option("--credentials-file", options.credentials_file,
                 "Shared-credentials INI file to read, e.g. ./cairn-data/admin-credentials");
  app.add_option("--region", options.region,
                 "Region in the SigV4 scope (env AWS_REGION, AWS_DEFAULT_REGION; default us-east-1)");
  app.add_option("-o,--output", options.output,
                 "Output format: table (for people) or json (the server's JSON)")
      ->envname("CAIRN_OUTPUT")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", options.timeout_seconds, "Seconds to wait for the server")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  CommandRegistry registry;
  add_whoami_command(app, registry);
  add_catalog_commands(app, registry);
  add_partition_commands(app, registry);
  add_identity_commands(app, registry);
  add_governance_commands(app, registry);
  add_crawler_commands_all(app, registry);
  add_classification_commands(app, registry);
  app.footer(kFooter);  // after the subcommands: CLI11 copies a parent's footer into subcommands made later

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUserError;
  }

  if (options.region.empty()) options.region = env("AWS_REGION");
  if (options.region.empty()) options.region = env("AWS_DEFAULT_REGION");
  if (options.region.empty()) options.region = "us-east-1";

  Context ctx(options);
  try {
    if (!registry.run(ctx)) {
      std::cerr << "cairn: no command given (see --help)\n";
      return kExitUserError;
    }
    std::cout.flush();
    return kExitOk;
  } catch (const CliError& e) {
    std::cout.flush();
    std::cerr << "cairn: " << e.what() << '\n';
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "cairn: unexpected error: " << e.what() << '\n';
    return kExitServerError;
  }
}
