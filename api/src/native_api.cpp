#include "cairn/api/native_api.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "cairn/api/http_util.h"
#include "cairn/api/json_body.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/model_json.h"
#include "native_common.h"

namespace cairn::api {

using catalog::PrincipalKind;
using nlohmann::json;

extern const char* const kOpenApiYaml;

namespace {

using native::Ctx;
using native::json_response;
using native::method_not_allowed;
using native::no_content;
using native::page_json;
using native::page_request;

json errors_json(const std::vector<catalog::BatchItemError>& errors) {
  json out = json::array();
  for (const auto& e : errors)
    out.push_back({{"values", e.values}, {"code", e.error_code}, {"message", e.message}});
  return json{{"errors", std::move(out)}};
}

std::vector<std::vector<std::string>> values_list(const json& body, const std::string& key) {
  const json& list = require_key(body, key, "");
  if (!list.is_array()) throw_invalid(key, key + " must be an array of arrays of strings");
  std::vector<std::vector<std::string>> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    out.push_back(string_array(list[i], key + "[" + std::to_string(i) + "]"));
  }
  return out;
}

/// The optional "name" in a body must agree with the name in the path.
void check_body_name(json& body, const std::string& path_name, const char* what) {
  if (!body.contains("name")) {
    body["name"] = path_name;
    return;
  }
  if (!body["name"].is_string()) throw_invalid("name", "name must be a string");
  const std::string given = body["name"].get<std::string>();
  std::string a = given, b = path_name;
  for (auto* s : {&a, &b}) {
    for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (a != b) {
    throw_invalid("name", std::string(what) + " name '" + given + "' in the body differs from '" + path_name +
                              "' in the path; renaming is not supported");
  }
}

PrincipalKind principal_kind(const std::string& collection) {
  if (collection == "users") return PrincipalKind::User;
  if (collection == "roles") return PrincipalKind::Role;
  return PrincipalKind::Group;
}

class Router {
 public:
  Router(CatalogService& service, Ctx& ctx) : s_(service), c_(ctx) {}

  HttpResponse route() {
    const auto& seg = c_.seg;
    const std::string& m = c_.req.method;
    const std::size_t n = seg.size();
    if (n == 2 && seg[1] == "whoami") return m == "GET" ? whoami() : method_not_allowed(c_, "GET");
    if (n == 2 && seg[1] == "openapi.yaml") {
      if (m != "GET") return method_not_allowed(c_, "GET");
      HttpResponse resp;
      resp.content_type = "application/yaml";
      resp.body = kOpenApiYaml;
      return resp;
    }
    if (auto governed = native::route_governance(s_, c_)) return std::move(*governed);
    if (n >= 2 && seg[1] == "databases") return databases();
    if (n >= 2 && (seg[1] == "users" || seg[1] == "roles" || seg[1] == "groups")) return principals();
    throw Error(ErrorCode::NotFound, "no such resource: " + c_.req.path);
  }

 private:
  const Caller& who() const { return c_.caller; }
  json body() const { return parse_json_body(c_.req.body); }
  const std::string& catalog_id() const { return s_.catalog_id(); }

  HttpResponse whoami() {
    const Caller& c = who();
    return json_response(200, {{"arn", c.arn},
                               {"kind", catalog::principal_kind_name(c.principal.kind)},
                               {"name", c.principal.name},
                               {"groups", c.groups},
                               {"is_admin", c.is_admin},
                               {"access_key_id", c.access_key_id}});
  }

  // /v1/databases[/{db}[/tables[/{t}[/versions[/{n}] | /partitions[/...]]]]]
  HttpResponse databases() {
    const auto& seg = c_.seg;
    const std::string& m = c_.req.method;
    const std::size_t n = seg.size();
    if (n == 2) {
      if (m == "GET") {
        return json_response(200, page_json("databases", s_.list_databases(who(), page_request(c_)),
                                            [](const auto& d) { return catalog::to_json(d); }));
      }
      if (m == "POST") {
        auto db = s_.create_database(who(), catalog::database_from_json(body()));
        return json_response(201, catalog::to_json(db));
      }
      return method_not_allowed(c_, "GET, POST");
    }
    const std::string& db = seg[2];
    if (n == 3) {
      if (m == "GET") return json_response(200, catalog::to_json(s_.get_database(who(), db)));
      if (m == "PUT") {
        json b = body();
        check_body_name(b, db, "database");
        return json_response(200,
                             catalog::to_json(s_.update_database(who(), db, catalog::database_from_json(b))));
      }
      if (m == "DELETE") {
        s_.delete_database(who(), db);
        return no_content();
      }
      return method_not_allowed(c_, "GET, PUT, DELETE");
    }
    if (seg[3] != "tables") throw Error(ErrorCode::NotFound, "no such resource: " + c_.req.path);
    if (n == 4) {
      if (m == "GET") {
        return json_response(200, page_json("tables", s_.list_tables(who(), db, page_request(c_)),
                                            [](const auto& t) { return catalog::to_json(t); }));
      }
      if (m == "POST") {
        auto t = s_.create_table(who(), db, catalog::table_from_json(body()));
        return json_response(201, catalog::to_json(t));
      }
      return method_not_allowed(c_, "GET, POST");
    }
    const std::string& table = seg[4];
    if (n == 5) return table_item(db, table);
    if (seg[5] == "versions") return versions(db, table);
    if (seg[5] == "partitions") return partitions(db, table);
    throw Error(ErrorCode::NotFound, "no such resource: " + c_.req.path);
  }

  HttpResponse table_item(const std::string& db, const std::string& table) {
    const std::string& m = c_.req.method;
    if (m == "GET") {
      HttpResponse resp;
      resp.status = 200;
      resp.shared_body = s_.get_table_json(who(), db, table);  // the cached rendering, not a copy
      return resp;
    }
    if (m == "PUT") {
      json b = body();
      std::optional<std::int64_t> expected;
      if (auto it = b.find("expected_version_id"); it != b.end()) {
        if (!it->is_number_integer())
          throw_invalid("expected_version_id", "expected_version_id must be an integer");
        expected = it->get<std::int64_t>();
        b.erase(it);
      }
      if (auto if_match = c_.req.header("If-Match"); !if_match.empty() && !expected) {
        std::string v(if_match);
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        std::int64_t parsed = 0;
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
        if (ec != std::errc() || ptr != v.data() + v.size()) {
          throw_invalid("If-Match",
                        "If-Match must be a table version id, got '" + std::string(if_match) + "'");
        }
        expected = parsed;
      }
      check_body_name(b, table, "table");
      auto updated = s_.update_table(who(), db, catalog::table_from_json(b), expected);
      HttpResponse resp = json_response(200, catalog::to_json(updated));
      resp.headers.emplace_back("ETag", "\"" + std::to_string(updated.version_id) + "\"");
      return resp;
    }
    if (m == "DELETE") {
      s_.delete_table(who(), db, table);
      return no_content();
    }
    return method_not_allowed(c_, "GET, PUT, DELETE");
  }

  HttpResponse versions(const std::string& db, const std::string& table) {
    if (c_.req.method != "GET") return method_not_allowed(c_, "GET");
    const auto& seg = c_.seg;
    if (seg.size() == 6) {
      return json_response(200,
                           page_json("versions", s_.list_table_versions(who(), db, table, page_request(c_)),
                                     [](const auto& t) { return catalog::to_json(t); }));
    }
    if (seg.size() != 7) throw Error(ErrorCode::NotFound, "no such resource: " + c_.req.path);
    std::int64_t version = 0;
    const std::string& v = seg[6];
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
    if (ec != std::errc() || ptr != v.data() + v.size() || version < 1) {
      throw_invalid("version", "table version must be a positive integer, got '" + v + "'");
    }
    return json_response(200, catalog::to_json(s_.get_table_version(who(), db, table, version)));
  }

  HttpResponse partitions(const std::string& db, const std::string& table) {
    const auto& seg = c_.seg;
    const std::string& m = c_.req.method;
    if (seg.size() == 6) {
      if (m == "GET") {
        catalog::Page<catalog::Partition> page;
        try {
          page = s_.list_partitions(who(), db, table, c_.param("filter"), page_request(c_));
        } catch (const Error& e) {
          // The service names Glue's field ("expression"); here the expression arrives as ?filter=.
          if (e.code() != ErrorCode::InvalidArgument || e.field() != "expression") throw;
          throw Error(ErrorCode::InvalidArgument, e.what(), "filter");
        }
        return json_response(
            200, page_json("partitions", page, [](const auto& p) { return catalog::to_json(p); }));
      }
      if (m == "POST") {
        json b = body();
        reject_unknown_keys(b, {"partitions"}, "");
        const json& list = require_key(b, "partitions", "");
        if (!list.is_array()) throw_invalid("partitions", "partitions must be an array");
        std::vector<catalog::Partition> parts;
        for (std::size_t i = 0; i < list.size(); ++i) {
          parts.push_back(catalog::partition_from_json(list[i], "partitions[" + std::to_string(i) + "]"));
        }
        return json_response(200, errors_json(s_.create_partitions(who(), db, table, std::move(parts))));
      }
      return method_not_allowed(c_, "GET, POST");
    }
    if (m == "POST" && seg.size() == 7) {
      json b = body();
      if (seg[6] == "batch-get") {
        reject_unknown_keys(b, {"values"}, "");
        json out = json::array();
        for (const auto& p : s_.batch_get_partitions(who(), db, table, values_list(b, "values"))) {
          out.push_back(catalog::to_json(p));
        }
        return json_response(200, {{"partitions", std::move(out)}});
      }
      if (seg[6] == "batch-delete") {
        reject_unknown_keys(b, {"values"}, "");
        return json_response(200,
                             errors_json(s_.delete_partitions(who(), db, table, values_list(b, "values"))));
      }
      if (seg[6] == "batch-update") {
        reject_unknown_keys(b, {"entries"}, "");
        const json& list = require_key(b, "entries", "");
        if (!list.is_array()) throw_invalid("entries", "entries must be an array");
        std::vector<std::pair<std::vector<std::string>, catalog::Partition>> entries;
        for (std::size_t i = 0; i < list.size(); ++i) {
          const std::string path = "entries[" + std::to_string(i) + "]";
          if (!list[i].is_object()) throw_invalid(path, path + " must be an object");
          reject_unknown_keys(list[i], {"values", "partition"}, path);
          entries.emplace_back(
              string_array(require_key(list[i], "values", path), path + ".values"),
              catalog::partition_from_json(require_key(list[i], "partition", path), path + ".partition"));
        }
        return json_response(200, errors_json(s_.update_partitions(who(), db, table, std::move(entries))));
      }
    }
    const std::vector<std::string> values(seg.begin() + 6, seg.end());
    if (m == "GET") return json_response(200, catalog::to_json(s_.get_partition(who(), db, table, values)));
    if (m == "PUT") {
      json b = body();
      if (!b.contains("values")) b["values"] = values;
      s_.update_partition(who(), db, table, values, catalog::partition_from_json(b));
      return json_response(
          200, catalog::to_json(s_.get_partition(who(), db, table, string_array(b["values"], "values"))));
    }
    if (m == "DELETE") {
      auto errors = s_.delete_partitions(who(), db, table, {values});
      if (!errors.empty()) throw Error(ErrorCode::NotFound, errors.front().message);
      return no_content();
    }
    return method_not_allowed(c_, "GET, PUT, DELETE");
  }

  // /v1/{users|roles|groups}[/{name}[/members[/{user}] | /groups | /access-keys[/{id}]]]
  HttpResponse principals() {
    const auto& seg = c_.seg;
    const std::string& m = c_.req.method;
    const std::size_t n = seg.size();
    const PrincipalKind kind = principal_kind(seg[1]);
    const auto to = [this](const catalog::Principal& p) { return catalog::to_json(p, catalog_id()); };
    if (n == 2) {
      if (m == "GET")
        return json_response(
            200, page_json(seg[1].c_str(), s_.list_principals(who(), kind, page_request(c_)), to));
      if (m == "POST") {
        json b = body();
        reject_unknown_keys(b, {"name", "description"}, "");
        catalog::Principal p;
        p.kind = kind;
        p.name = string_field(require_key(b, "name", ""), "name");
        if (b.contains("description")) p.description = string_field(b["description"], "description");
        return json_response(201, to(s_.create_principal(who(), std::move(p))));
      }
      return method_not_allowed(c_, "GET, POST");
    }
    const std::string& name = seg[2];
    if (n == 3) {
      if (m == "GET") return json_response(200, to(s_.get_principal(who(), kind, name)));
      if (m == "DELETE") {
        s_.delete_principal(who(), kind, name);
        return no_content();
      }
      return method_not_allowed(c_, "GET, DELETE");
    }
    if (kind == PrincipalKind::Group && seg[3] == "members") {
      if (n == 4) {
        if (m != "GET") return method_not_allowed(c_, "GET");
        json out = json::array();
        for (const auto& p : s_.list_group_members(who(), name)) out.push_back(to(p));
        return json_response(200, {{"members", std::move(out)}});
      }
      if (n == 5) {
        if (m == "PUT") {
          s_.add_group_member(who(), name, seg[4]);
          return no_content();
        }
        if (m == "DELETE") {
          s_.remove_group_member(who(), name, seg[4]);
          return no_content();
        }
        return method_not_allowed(c_, "PUT, DELETE");
      }
    }
    if (kind == PrincipalKind::User && seg[3] == "groups" && n == 4) {
      if (m != "GET") return method_not_allowed(c_, "GET");
      json out = json::array();
      for (const auto& p : s_.list_groups_for_user(who(), name)) out.push_back(to(p));
      return json_response(200, {{"groups", std::move(out)}});
    }
    if (kind != PrincipalKind::Group && seg[3] == "access-keys") return access_keys(kind, name);
    throw Error(ErrorCode::NotFound, "no such resource: " + c_.req.path);
  }

  HttpResponse access_keys(PrincipalKind kind, const std::string& owner) {
    const auto& seg = c_.seg;
    const std::string& m = c_.req.method;
    if (seg.size() == 4) {
      if (m == "GET") {
        json out = json::array();
        for (const auto& k : s_.list_access_keys(who(), kind, owner))
          out.push_back(catalog::to_json(k, catalog_id()));
        return json_response(200, {{"access_keys", std::move(out)}});
      }
      if (m == "POST") {
        if (!c_.req.body.empty()) reject_unknown_keys(body(), {}, "");
        CreatedAccessKey created = s_.create_access_key(who(), kind, owner);
        json out = catalog::to_json(created.key, catalog_id());
        out["secret_access_key"] = created.secret_access_key;
        return json_response(201, out);
      }
      return method_not_allowed(c_, "GET, POST");
    }
    if (seg.size() != 5) throw Error(ErrorCode::NotFound, "no such resource: " + c_.req.path);
    const std::string& id = seg[4];
    if (m == "PATCH") {
      json b = body();
      reject_unknown_keys(b, {"status"}, "");
      const std::string status = string_field(require_key(b, "status", ""), "status");
      catalog::AccessKeyStatus st;
      if (status == "Active") {
        st = catalog::AccessKeyStatus::Active;
      } else if (status == "Inactive") {
        st = catalog::AccessKeyStatus::Inactive;
      } else {
        throw_invalid("status", "status must be \"Active\" or \"Inactive\", got \"" + status + "\"");
      }
      return json_response(
          200, catalog::to_json(s_.set_access_key_status(who(), kind, owner, id, st), catalog_id()));
    }
    if (m == "DELETE") {
      s_.delete_access_key(who(), kind, owner, id);
      return no_content();
    }
    return method_not_allowed(c_, "PATCH, DELETE");
  }

  CatalogService& s_;
  Ctx& c_;
};

}  // namespace

HttpResponse NativeApi::handle(const HttpRequest& req, const Caller& caller) {
  Ctx ctx{req, caller, split_path(req.path), {}};
  for (const auto& [k, v] : parse_query(req.query)) ctx.query.emplace_back(k, v);
  if (ctx.seg.empty() || ctx.seg[0] != "v1")
    throw Error(ErrorCode::NotFound, "no such resource: " + req.path);
  if (crawlers_) {
    if (auto resp = route_crawlers(*crawlers_, ctx)) return std::move(*resp);
  }
  if (classification_) {
    if (auto resp = route_classification(*classification_, ctx)) return std::move(*resp);
  }
  return Router(service_, ctx).route();
}

}  // namespace cairn::api
