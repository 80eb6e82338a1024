#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "context.h"
#include "output.h"
#include "specs.h"

namespace cairn::api::cli {
namespace {

using nlohmann::json;

struct PrincipalKind {
  const char* kind;    ///< "user"
  const char* plural;  ///< "users": path segment and list key
};

constexpr PrincipalKind kUser{"user", "users"};
constexpr PrincipalKind kRole{"role", "roles"};
constexpr PrincipalKind kGroup{"group", "groups"};

void print_principals(Context& ctx, const json& page, const char* key) {
  if (ctx.json()) return print_json(ctx.out(), page);
  TextTable table({"NAME", "ARN", "DESCRIPTION", "CREATED"});
  for (const auto& p : array_of(page, key)) {
    table.add_row({field(p, "name"), field(p, "arn"), field(p, "description"), field(p, "create_time")});
  }
  table.print(ctx.out());
}

void print_principal(Context& ctx, const json& p) {
  if (ctx.json()) return print_json(ctx.out(), p);
  print_fields(ctx.out(), {{"Name", field(p, "name")},
                           {"Kind", field(p, "kind")},
                           {"ARN", field(p, "arn")},
                           {"Description", field(p, "description")},
                           {"Created", field(p, "create_time")}});
}

void add_principal_commands(CLI::App& app, CommandRegistry& registry, const PrincipalKind& k) {
  const std::string kind = k.kind;
  const std::string plural = k.plural;
  auto* root = app.add_subcommand(kind, "Create, list, show and delete " + plural);
  root->alias(plural);
  root->require_subcommand(1);
  {
    struct Opts {
      std::string name, description;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("create", "Create a " + kind);
    cmd->add_option("NAME", o->name, "Name: letters, digits and +=,.@_- (up to 64)")->required();
    cmd->add_option("--description", o->description, "Free-text description");
    cmd->footer("Example:\n  cairn " + kind + " create " +
                (kind == "user"   ? "alice"
                 : kind == "role" ? "etl"
                                  : "analysts") +
                " --description \"...\"");
    registry.on(cmd, [o, kind, plural](Context& ctx) {
      json body = {{"name", o->name}};
      if (!o->description.empty()) body["description"] = o->description;
      const json created = ctx.api().post(api_path({"v1", plural}), body);
      if (ctx.json()) return print_json(ctx.out(), created);
      ctx.out() << "Created " << kind << " '" << field(created, "name") << "' (" << field(created, "arn")
                << ").\n";
    });
  }
  {
    auto* cmd = root->add_subcommand("list", "List " + plural);
    cmd->alias("ls");
    registry.on(cmd, [plural](Context& ctx) {
      print_principals(ctx, ctx.api().list_all(api_path({"v1", plural}), plural), plural.c_str());
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("get", "Show one " + kind);
    cmd->alias("describe");
    cmd->add_option("NAME", *name, "Name")->required();
    registry.on(cmd, [name, plural](Context& ctx) {
      print_principal(ctx, ctx.api().get(api_path({"v1", plural, *name})));
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("delete", "Delete a " + kind);
    cmd->alias("rm");
    cmd->add_option("NAME", *name, "Name")->required();
    registry.on(cmd, [name, kind, plural](Context& ctx) {
      ctx.api().del(api_path({"v1", plural, *name}));
      if (!ctx.json()) ctx.out() << "Deleted " << kind << " '" << *name << "'.\n";
    });
  }
  if (kind == "user") {
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("groups", "List the groups a user belongs to");
    cmd->add_option("NAME", *name, "User name")->required();
    registry.on(cmd, [name](Context& ctx) {
      print_principals(ctx, ctx.api().get(api_path({"v1", "users", *name, "groups"})), "groups");
    });
  }
  if (kind == "group") {
    for (const bool add : {true, false}) {
      auto names = std::make_shared<std::pair<std::string, std::string>>();
      auto* cmd = root->add_subcommand(add ? "add-member" : "remove-member",
                                       add ? "Add a user to a group" : "Remove a user from a group");
      cmd->add_option("GROUP", names->first, "Group name")->required();
      cmd->add_option("USER", names->second, "User name")->required();
      cmd->footer(std::string("Example:\n  cairn group ") + (add ? "add-member" : "remove-member") +
                  " analysts alice");
      registry.on(cmd, [names, add](Context& ctx) {
        ctx.api().call(add ? "PUT" : "DELETE",
                       api_path({"v1", "groups", names->first, "members", names->second}));
        if (!ctx.json()) {
          ctx.out() << (add ? "Added user '" : "Removed user '") << names->second
                    << (add ? "' to group '" : "' from group '") << names->first << "'.\n";
        }
      });
    }
    auto name = std::make_shared<std::string>();
    auto* cmd = root->add_subcommand("members", "List the members of a group");
    cmd->add_option("GROUP", *name, "Group name")->required();
    registry.on(cmd, [name](Context& ctx) {
      print_principals(ctx, ctx.api().get(api_path({"v1", "groups", *name, "members"})), "members");
    });
  }
}

// ---- access keys
// -------------------------------------------------------------------------------------------

struct KeyOwnerFlags {
  std::string user, role;
};

void add_owner_flags(CLI::App* cmd, KeyOwnerFlags& f) {
  auto* user = cmd->add_option("--user", f.user, "The user owning the key (default: yourself)");
  auto* role = cmd->add_option("--role", f.role, "The role owning the key");
  user->excludes(role);
}

/// "/v1/users/alice" or "/v1/roles/etl" for the owner flags; without flags the caller (from whoami).
std::pair<std::string, std::string> key_owner(Context& ctx, const KeyOwnerFlags& f) {
  if (!f.user.empty()) return {"user", f.user};
  if (!f.role.empty()) return {"role", f.role};
  const json me = ctx.api().get(api_path({"v1", "whoami"}));
  const std::string kind = field(me, "kind");
  if (kind != "user" && kind != "role") {
    throw UserError("cannot tell whose access keys to use (you are a " + kind +
                    "); pass --user NAME or --role NAME");
  }
  return {kind, field(me, "name")};
}

std::string keys_path(const std::pair<std::string, std::string>& owner) {
  return api_path({"v1", owner.first == "user" ? "users" : "roles", owner.second, "access-keys"});
}

void add_access_key_commands(CLI::App& app, CommandRegistry& registry) {
  auto* root = app.add_subcommand("access-key", "Create, list, activate, deactivate and delete access keys");
  root->alias("access-keys");
  root->require_subcommand(1);
  {
    struct Opts {
      KeyOwnerFlags owner;
      std::string write_profile, credentials_file;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("create", "Create an access key; the secret is shown only once");
    add_owner_flags(cmd, o->owner);
    auto* profile =
        cmd->add_option("--write-profile", o->write_profile,
                        "Also store the key as this profile in a shared-credentials file (mode 0600)");
    cmd->add_option("--credentials-file", o->credentials_file,
                    "File for --write-profile (default: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials)")
        ->needs(profile);
    cmd->footer(
        "Examples:\n"
        "  cairn access-key create --user alice\n"
        "  cairn access-key create --user alice --write-profile alice --credentials-file ~/.aws/credentials\n"
        "  cairn --profile alice whoami");
    registry.on(cmd, [o](Context& ctx) {
      const auto owner = key_owner(ctx, o->owner);
      const json key = ctx.api().post(keys_path(owner), json::object());
      std::string written;
      if (!o->write_profile.empty()) {
        written = o->credentials_file.empty() ? default_credentials_file() : o->credentials_file;
        if (written.empty()) throw UserError("--write-profile: no file given and HOME is not set");
        write_profile(written, o->write_profile, field(key, "access_key_id"),
                      field(key, "secret_access_key"));
      }
      if (ctx.json()) {
        print_json(ctx.out(), key);
      } else {
        ctx.out() << "Created an access key for " << owner.first << " '" << owner.second
                  << "'. The secret is shown only this once.\n";
        print_fields(ctx.out(), {{"Access key ID", field(key, "access_key_id")},
                                 {"Secret access key", field(key, "secret_access_key")},
                                 {"Status", field(key, "status")},
                                 {"Owner", field(key, "owner_arn")}});
      }
      if (!written.empty()) {
        (ctx.json() ? std::cerr : ctx.out())
            << "Wrote profile '" << o->write_profile << "' to '" << written
            << "'; use it with: cairn --profile " << o->write_profile
            << (o->credentials_file.empty() ? "" : " --credentials-file " + written) << " whoami\n";
      }
    });
  }
  {
    auto o = std::make_shared<KeyOwnerFlags>();
    auto* cmd = root->add_subcommand("list", "List access keys (never their secrets)");
    cmd->alias("ls");
    add_owner_flags(cmd, *o);
    registry.on(cmd, [o](Context& ctx) {
      const json page = ctx.api().list_all(keys_path(key_owner(ctx, *o)), "access_keys");
      if (ctx.json()) return print_json(ctx.out(), page);
      TextTable table({"ACCESS KEY ID", "STATUS", "OWNER", "CREATED"});
      for (const auto& k : array_of(page, "access_keys")) {
        table.add_row(
            {field(k, "access_key_id"), field(k, "status"), field(k, "owner_arn"), field(k, "create_time")});
      }
      table.print(ctx.out());
    });
  }
  for (const char* status : {"Active", "Inactive"}) {
    struct Opts {
      KeyOwnerFlags owner;
      std::string id;
    };
    auto o = std::make_shared<Opts>();
    const bool activate = std::string(status) == "Active";
    auto* cmd =
        root->add_subcommand(activate ? "activate" : "deactivate",
                             activate ? "Let an access key sign requests again"
                                      : "Stop an access key from signing requests (it can be re-activated)");
    cmd->add_option("ID", o->id, "Access key id")->required();
    add_owner_flags(cmd, o->owner);
    registry.on(cmd, [o, status](Context& ctx) {
      const json key =
          ctx.api().patch(api_path(keys_path(key_owner(ctx, o->owner)), {o->id}), json{{"status", status}});
      if (ctx.json()) return print_json(ctx.out(), key);
      ctx.out() << "Access key " << o->id << " is now " << field(key, "status") << ".\n";
    });
  }
  {
    struct Opts {
      KeyOwnerFlags owner;
      std::string id;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root->add_subcommand("delete", "Delete an access key for good");
    cmd->alias("rm");
    cmd->add_option("ID", o->id, "Access key id")->required();
    add_owner_flags(cmd, o->owner);
    registry.on(cmd, [o](Context& ctx) {
      ctx.api().del(api_path(keys_path(key_owner(ctx, o->owner)), {o->id}));
      if (!ctx.json()) ctx.out() << "Deleted access key " << o->id << ".\n";
    });
  }
}

}  // namespace

void add_whoami_command(CLI::App& app, CommandRegistry& registry) {
  auto* whoami = app.add_subcommand("whoami", "Show who the server thinks you are");
  whoami->footer("Example:\n  cairn --credentials-file ./cairn-data/admin-credentials whoami");
  registry.on(whoami, [](Context& ctx) {
    const json me = ctx.api().get(api_path({"v1", "whoami"}));
    if (ctx.json()) return print_json(ctx.out(), me);
    std::string groups;
    for (const auto& g : array_of(me, "groups")) {
      groups += (groups.empty() ? "" : ", ") + (g.is_string() ? g.get<std::string>() : field(g, "name"));
    }
    print_fields(ctx.out(), {{"ARN", field(me, "arn")},
                             {"Kind", field(me, "kind")},
                             {"Name", field(me, "name")},
                             {"Groups", groups},
                             {"Administrator", me.value("is_admin", false) ? "yes" : "no"},
                             {"Access key", field(me, "access_key_id")},
                             {"Credentials", ctx.api().credentials().source}});
  });
}

void add_identity_commands(CLI::App& app, CommandRegistry& registry) {
  add_principal_commands(app, registry, kUser);
  add_principal_commands(app, registry, kRole);
  add_principal_commands(app, registry, kGroup);
  add_access_key_commands(app, registry);
}

}  // namespace cairn::api::cli
