#pragma once

#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "api_client.h"

namespace cairn::api::cli {

/// Options that apply to every command.
struct GlobalOptions {
  std::string endpoint = "http://127.0.0.1:7480";
  std::string profile;
  std::string region;  ///< resolved in main(): --region, AWS_REGION, AWS_DEFAULT_REGION, us-east-1
  std::string output = "table";
  std::string credentials_file;
  int timeout_seconds = 30;
};

/// What a command handler gets: options, output streams and a lazily built client (credentials are only
/// needed once a request is made, so --help and flag errors work without them).
class Context {
 public:
  /// Keeps a reference to `options`, which must outlive the context.
  explicit Context(const GlobalOptions& options, std::ostream& out = std::cout)
      : options_(options), out_(out) {}

  /// The signed client; resolves credentials on first use (throws UserError when there are none).
  ApiClient& api() {
    if (!api_) {
      Credentials creds = resolve_credentials({options_.profile, options_.credentials_file});
      api_ = std::make_unique<ApiClient>(options_.endpoint, std::move(creds), options_.region,
                                         std::chrono::seconds(options_.timeout_seconds));
    }
    return *api_;
  }
  /// True with --output json.
  bool json() const { return options_.output == "json"; }
  /// The global options as parsed.
  const GlobalOptions& options() const { return options_; }
  /// Where command output goes (stdout).
  std::ostream& out() { return out_; }

 private:
  const GlobalOptions& options_;
  std::ostream& out_;
  std::unique_ptr<ApiClient> api_;
};

/// Maps leaf subcommands to their handlers; after parsing, the parsed leaf's handler runs.
class CommandRegistry {
 public:
  using Handler = std::function<void(Context&)>;
  /// Registers the handler run when `command` is the parsed leaf.
  void on(CLI::App* command, Handler handler) { handlers_.emplace_back(command, std::move(handler)); }
  /// Runs the handler of the deepest parsed subcommand; false when no registered command was parsed.
  bool run(Context& ctx) const {
    const std::pair<CLI::App*, Handler>* best = nullptr;
    int best_depth = -1;
    for (const auto& entry : handlers_) {
      if (!entry.first->parsed()) continue;
      int depth = 0;
      for (const CLI::App* app = entry.first; app->get_parent() != nullptr; app = app->get_parent()) ++depth;
      if (depth > best_depth) {
        best = &entry;
        best_depth = depth;
      }
    }
    if (best == nullptr) return false;
    best->second(ctx);
    return true;
  }

 private:
  std::vector<std::pair<CLI::App*, Handler>> handlers_;
};

/// Adds the catalog commands: database, table.
void add_catalog_commands(CLI::App& app, CommandRegistry& registry);
/// Adds the partition commands.
void add_partition_commands(CLI::App& app, CommandRegistry& registry);
/// Adds whoami.
void add_whoami_command(CLI::App& app, CommandRegistry& registry);
/// Adds user, role, group and access-key.
void add_identity_commands(CLI::App& app, CommandRegistry& registry);
/// Adds grant, revoke, permissions, tag, filter, location, access and audit.
void add_governance_commands(CLI::App& app, CommandRegistry& registry);
/// Adds crawler and connection.
void add_crawler_commands_all(CLI::App& app, CommandRegistry& registry);

}  // namespace cairn::api::cli
