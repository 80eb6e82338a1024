// The native API's crawler and connection routes (docs/api/openapi.yaml, "Crawlers").

#include <algorithm>
#include <charconv>
#include <string_view>

#include "cairn/api/crawler_service.h"
#include "cairn/api/json_body.h"
#include "native_common.h"

namespace cairn::api::native {

namespace {

ConnectionInput connection_input(const json& body, const std::string& name) {
  reject_unknown_keys(body,
                      {"name", "endpoint", "region", "path_style", "access_key_id", "secret_access_key"}, "");
  ConnectionInput in;
  in.name = name;
  if (body.contains("name")) {
    in.name = string_field(body.at("name"), "name");
    if (!name.empty() && in.name != name) throw_invalid("name", "name in the body differs from the path");
  }
  if (body.contains("endpoint")) in.endpoint = string_field(body.at("endpoint"), "endpoint");
  if (body.contains("region")) in.region = string_field(body.at("region"), "region");
  if (body.contains("path_style")) {
    if (!body.at("path_style").is_boolean()) throw_invalid("path_style", "path_style must be true or false");
    in.path_style = body.at("path_style").get<bool>();
  }
  if (body.contains("access_key_id"))
    in.access_key_id = string_field(body.at("access_key_id"), "access_key_id");
  if (body.contains("secret_access_key"))
    in.secret_access_key = string_field(body.at("secret_access_key"), "secret_access_key");
  return in;
}

HttpResponse crawler_routes(CrawlerService& s, Ctx& ctx) {
  const auto& seg = ctx.seg;  // v1 crawlers [name [action [id]]]
  const std::string& method = ctx.req.method;
  if (seg.size() == 2) {
    if (method == "GET") {
      return json_response(200, page_json("crawlers", s.list(ctx.caller, page_request(ctx)),
                                          [](const CrawlerView& v) { return to_json(v); }));
    }
    if (method == "POST") {
      auto def = crawler::definition_from_json(parse_json_body(ctx.req.body));
      return json_response(201, to_json(s.create(ctx.caller, std::move(def))));
    }
    return method_not_allowed(ctx, "GET, POST");
  }
  const std::string& name = seg[2];
  if (seg.size() == 3) {
    if (method == "GET") return json_response(200, to_json(s.get(ctx.caller, name)));
    if (method == "PUT") {
      json body = parse_json_body(ctx.req.body);
      std::optional<std::int64_t> expected;
      if (body.contains("expected_version")) {
        if (!body.at("expected_version").is_number_integer())
          throw_invalid("expected_version", "expected_version must be an integer");
        expected = body.at("expected_version").get<std::int64_t>();
        body.erase("expected_version");
      }
      if (body.contains("name") && body.at("name") != name)
        throw_invalid("name", "a crawler cannot be renamed; the name in the body differs from the path");
      body["name"] = name;
      auto def = crawler::definition_from_json(body);
      return json_response(200, to_json(s.update(ctx.caller, name, std::move(def), expected)));
    }
    if (method == "DELETE") {
      s.remove(ctx.caller, name);
      return no_content();
    }
    return method_not_allowed(ctx, "GET, PUT, DELETE");
  }
  const std::string& action = seg[3];
  if (seg.size() == 4 && action == "start") {
    if (method != "POST") return method_not_allowed(ctx, "POST");
    std::vector<std::string> folders;
    if (!ctx.req.body.empty()) {
      const json body = parse_json_body(ctx.req.body);
      reject_unknown_keys(body, {"folders"}, "");
      if (body.contains("folders")) folders = string_array(body.at("folders"), "folders");
    }
    return json_response(202, to_json(s.start_run(ctx.caller, name, folders)));
  }
  if (seg.size() == 4 && action == "new-objects") {
    // S3 event notifications in spirit: the objects (or folders) that appeared; their folders are re-crawled.
    if (method != "POST") return method_not_allowed(ctx, "POST");
    const json body = parse_json_body(ctx.req.body);
    reject_unknown_keys(body, {"objects"}, "");
    auto objects = string_array(require_key(body, "objects", ""), "objects");
    if (objects.empty()) throw_invalid("objects", "objects must list at least one object");
    std::vector<std::string> folders;
    std::vector<std::size_t> object_of;  // the first object of each folder, for errors
    for (std::size_t i = 0; i < objects.size(); ++i) {
      const std::string& o = objects[i];
      if (o.empty()) throw_invalid("objects[" + std::to_string(i) + "]", "objects must not hold empty paths");
      const auto slash = o.rfind('/');
      std::string folder = o.back() == '/' || slash == std::string::npos ? o : o.substr(0, slash);
      if (std::find(folders.begin(), folders.end(), folder) == folders.end()) {
        folders.push_back(std::move(folder));
        object_of.push_back(i);
      }
    }
    try {
      return json_response(202, to_json(s.start_run(ctx.caller, name, folders)));
    } catch (const Error& e) {
      // start_run names "folders[i]"; this request's field is "objects".
      const std::string& field = e.field();
      const std::string_view prefix = "folders[";
      if (e.code() != ErrorCode::InvalidArgument || field.size() <= prefix.size() + 1 ||
          field.compare(0, prefix.size(), prefix) != 0 || field.back() != ']')
        throw;
      std::size_t index = 0;
      const char* end = field.data() + field.size() - 1;
      if (std::from_chars(field.data() + prefix.size(), end, index).ptr != end || index >= object_of.size())
        throw;
      const std::string object_field = "objects[" + std::to_string(object_of[index]) + "]";
      std::string message = e.what();
      if (message.rfind(field, 0) == 0) message.replace(0, field.size(), object_field + " (its folder)");
      throw Error(ErrorCode::InvalidArgument, message, object_field);
    }
  }
  if (seg.size() == 4 && action == "stop") {
    if (method != "POST") return method_not_allowed(ctx, "POST");
    s.stop_run(ctx.caller, name);
    return json_response(202, to_json(s.get(ctx.caller, name)));
  }
  if (seg.size() == 4 && action == "metrics") {
    if (method != "GET") return method_not_allowed(ctx, "GET");
    return json_response(200, s.metrics(ctx.caller, name));
  }
  if (action == "runs" && seg.size() <= 5) {
    if (method != "GET") return method_not_allowed(ctx, "GET");
    if (seg.size() == 4) {
      return json_response(200, page_json("runs", s.runs(ctx.caller, name, page_request(ctx)),
                                          [](const catalog::CrawlerRun& r) { return to_json(r); }));
    }
    std::int64_t id = 0;
    const auto [ptr, ec] = std::from_chars(seg[4].data(), seg[4].data() + seg[4].size(), id);
    if (ec != std::errc() || ptr != seg[4].data() + seg[4].size() || id < 1)
      throw_invalid("run_id", "run id must be a positive integer, got '" + seg[4] + "'");
    return json_response(200, to_json(s.run(ctx.caller, name, id)));
  }
  throw Error(ErrorCode::NotFound, "no such resource: " + ctx.req.path);
}

HttpResponse connection_routes(CrawlerService& s, Ctx& ctx) {
  const auto& seg = ctx.seg;
  const std::string& method = ctx.req.method;
  if (seg.size() == 2) {
    if (method == "GET") {
      json items = json::array();
      for (const auto& c : s.list_connections(ctx.caller)) items.push_back(to_json(c));
      return json_response(200, json{{"connections", std::move(items)}});
    }
    if (method == "POST") {
      auto in = connection_input(parse_json_body(ctx.req.body), "");
      return json_response(201, to_json(s.create_connection(ctx.caller, in)));
    }
    return method_not_allowed(ctx, "GET, POST");
  }
  if (seg.size() != 3) throw Error(ErrorCode::NotFound, "no such resource: " + ctx.req.path);
  if (method == "GET") return json_response(200, to_json(s.get_connection(ctx.caller, seg[2])));
  if (method == "PUT") {
    auto in = connection_input(parse_json_body(ctx.req.body), seg[2]);
    return json_response(200, to_json(s.update_connection(ctx.caller, in)));
  }
  if (method == "DELETE") {
    s.delete_connection(ctx.caller, seg[2]);
    return no_content();
  }
  return method_not_allowed(ctx, "GET, PUT, DELETE");
}

}  // namespace

std::optional<HttpResponse> route_crawlers(CrawlerService& service, Ctx& ctx) {
  if (ctx.seg.size() < 2) return std::nullopt;
  if (ctx.seg[1] == "crawlers") return crawler_routes(service, ctx);
  if (ctx.seg[1] == "connections") return connection_routes(service, ctx);
  return std::nullopt;
}

}  // namespace cairn::api::native
