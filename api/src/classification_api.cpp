// The native API's PII classification routes (docs/api/openapi.yaml, "Classification"):
//   /v1/classification/settings                         GET, PUT
//   /v1/entity-types[/{name}]                            GET, POST / GET, DELETE
//   /v1/classifications?database=&table=&status=         GET
//   /v1/databases/{db}/tables/{t}/classifications        GET (the table's verdicts), POST (classify now)
//   /v1/databases/{db}/tables/{t}/classifications/{column}/{entity}/{accept|reject}   POST
//   /v1/databases/{db}/tables/{t}/classification-history GET

#include "cairn/api/classification_service.h"
#include "cairn/api/json_body.h"
#include "native_common.h"

namespace cairn::api::native {

namespace {

std::optional<std::int64_t> expected_version(json& body) {
  if (!body.contains("expected_version")) return std::nullopt;
  if (!body.at("expected_version").is_number_integer() || body.at("expected_version").get<std::int64_t>() < 0)
    throw_invalid("expected_version", "expected_version must be a non-negative integer");
  const auto v = body.at("expected_version").get<std::int64_t>();
  body.erase("expected_version");
  return v;
}

json verdict_page(const catalog::Page<catalog::ColumnClassification>& page) {
  return page_json("classifications", page,
                   [](const catalog::ColumnClassification& v) { return to_json(v); });
}

HttpResponse settings_route(ClassificationService& s, Ctx& ctx) {
  const std::string& method = ctx.req.method;
  if (method == "GET") return json_response(200, to_json(s.settings(ctx.caller)));
  if (method == "PUT") {
    json body = parse_json_body(ctx.req.body);
    if (!body.is_object()) throw_invalid("body", "the body must be a JSON object");
    const auto expected = expected_version(body);
    // Keys left out keep their current values.
    auto merged = classification_settings_from_json(body, s.settings(ctx.caller));
    return json_response(200, to_json(s.put_settings(ctx.caller, merged, expected)));
  }
  return method_not_allowed(ctx, "GET, PUT");
}

HttpResponse entity_type_routes(ClassificationService& s, Ctx& ctx) {
  const std::string& method = ctx.req.method;
  if (ctx.seg.size() == 2) {
    if (method == "GET") {
      json items = json::array();
      for (const auto& t : s.list_entity_types(ctx.caller)) items.push_back(to_json(t));
      return json_response(200, json{{"entity_types", std::move(items)}});
    }
    if (method == "POST") {
      const json body = parse_json_body(ctx.req.body);
      if (!body.is_object()) throw_invalid("body", "the body must be a JSON object");
      reject_unknown_keys(body, {"name", "pattern", "context_words"}, "");
      classifiers::CustomEntityType type;
      type.name = string_field(require_key(body, "name", ""), "name");
      type.pattern = string_field(require_key(body, "pattern", ""), "pattern");
      if (body.contains("context_words"))
        type.context_words = string_array(body.at("context_words"), "context_words");
      return json_response(201, to_json(s.create_entity_type(ctx.caller, type)));
    }
    return method_not_allowed(ctx, "GET, POST");
  }
  if (ctx.seg.size() != 3) throw Error(ErrorCode::NotFound, "no such resource: " + ctx.req.path);
  if (method == "GET") return json_response(200, to_json(s.get_entity_type(ctx.caller, ctx.seg[2])));
  if (method == "DELETE") {
    s.delete_entity_type(ctx.caller, ctx.seg[2]);
    return no_content();
  }
  return method_not_allowed(ctx, "GET, DELETE");
}

// /v1/databases/{db}/tables/{t}/classifications[/{column}/{entity}/{accept|reject}] and
// /v1/databases/{db}/tables/{t}/classification-history
HttpResponse table_routes(ClassificationService& s, Ctx& ctx) {
  const auto& seg = ctx.seg;
  const std::string& method = ctx.req.method;
  const std::string& db = seg[2];
  const std::string& table = seg[4];
  if (seg[5] == "classification-history") {
    if (seg.size() != 6) throw Error(ErrorCode::NotFound, "no such resource: " + ctx.req.path);
    if (method != "GET") return method_not_allowed(ctx, "GET");
    return json_response(200, page_json("events", s.history(ctx.caller, db, table, page_request(ctx)),
                                        [](const catalog::ClassificationEvent& e) { return to_json(e); }));
  }
  if (seg.size() == 6) {
    if (method == "GET") {
      catalog::ClassificationFilter f;
      f.database = db;
      f.table = table;
      f.status = ctx.param("status");
      return json_response(200, verdict_page(s.list(ctx.caller, f, page_request(ctx))));
    }
    if (method == "POST") {
      if (!ctx.req.body.empty()) {
        const json body = parse_json_body(ctx.req.body);
        if (!body.is_object()) throw_invalid("body", "the body must be a JSON object (or empty)");
        reject_unknown_keys(body, {}, "");
      }
      return json_response(200, to_json(s.classify(ctx.caller, db, table)));
    }
    return method_not_allowed(ctx, "GET, POST");
  }
  if (seg.size() != 9 || (seg[8] != "accept" && seg[8] != "reject"))
    throw Error(ErrorCode::NotFound, "no such resource: " + ctx.req.path);
  if (method != "POST") return method_not_allowed(ctx, "POST");
  std::optional<std::int64_t> expected;
  if (!ctx.req.body.empty()) {
    json body = parse_json_body(ctx.req.body);
    if (!body.is_object()) throw_invalid("body", "the body must be a JSON object");
    expected = expected_version(body);
    reject_unknown_keys(body, {}, "");
  }
  const auto verdict = seg[8] == "accept" ? s.accept(ctx.caller, db, table, seg[6], seg[7], expected)
                                          : s.reject(ctx.caller, db, table, seg[6], seg[7], expected);
  return json_response(200, to_json(verdict));
}

}  // namespace

std::optional<HttpResponse> route_classification(ClassificationService& service, Ctx& ctx) {
  const auto& seg = ctx.seg;
  if (seg.size() < 2) return std::nullopt;
  if (seg[1] == "classification" && seg.size() == 3 && seg[2] == "settings")
    return settings_route(service, ctx);
  if (seg[1] == "entity-types") return entity_type_routes(service, ctx);
  if (seg[1] == "classifications" && seg.size() == 2) {
    if (ctx.req.method != "GET") return method_not_allowed(ctx, "GET");
    catalog::ClassificationFilter f;
    f.database = ctx.param("database");
    f.table = ctx.param("table");
    f.status = ctx.param("status");
    return json_response(200, verdict_page(service.list(ctx.caller, f, page_request(ctx))));
  }
  if (seg[1] == "databases" && seg.size() >= 6 && seg[3] == "tables" &&
      (seg[5] == "classifications" || seg[5] == "classification-history"))
    return table_routes(service, ctx);
  return std::nullopt;
}

}  // namespace cairn::api::native
