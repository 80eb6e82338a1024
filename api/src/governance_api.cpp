// Native API routes for governance: permissions, tags, data cells filters, locations, engine access,
// explain, search, audit, query authorizations. A thin translation onto CatalogService.

#include <nlohmann/json.hpp>

#include "cairn/api/json_body.h"
#include "cairn/api/policy_json.h"
#include "cairn/catalog/model_json.h"
#include "cairn/catalog/names.h"
#include "native_common.h"

namespace cairn::api::native {

namespace {

std::string dialect_string_type(authz::SqlDialect d) {
  return d == authz::SqlDialect::Spark ? "STRING" : "VARCHAR";
}

bool is_string_type(const std::string& hive_type) {
  return hive_type == "string" || hive_type.rfind("varchar", 0) == 0 || hive_type.rfind("char", 0) == 0;
}

json mask_json(const authz::Mask& mask) {
  std::string spec = authz::mask_spec(mask);
  std::string type = spec.substr(0, spec.find('('));
  json j = {{"type", type}, {"spec", spec}};
  if (mask.kind == authz::Mask::Kind::ShowLast) j["n"] = mask.n;
  return j;
}

std::string or_sql(const std::vector<std::shared_ptr<const authz::RowFilter>>& preds, authz::SqlDialect d) {
  if (preds.size() == 1) return preds.front()->to_sql(d);
  std::string out;
  for (const auto& p : preds) out += (out.empty() ? "(" : " OR (") + p->to_sql(d) + ")";
  return out;
}

/// True when a rule masks the column with text (hash_sha256, redact, show_last): a CASE has one type, so the
/// column is text on every row.
bool masked_as_text(const authz::ColumnAccess& c) {
  for (const auto& rule : c.rules) {
    if (rule.mask &&
        (rule.mask->kind == authz::Mask::Kind::HashSha256 || rule.mask->kind == authz::Mask::Kind::Redact ||
         rule.mask->kind == authz::Mask::Kind::ShowLast)) {
      return true;
    }
  }
  return false;
}

/// The expression an engine selects for a column: its rules as a CASE (docs/engines.md).
std::string select_sql(const authz::ColumnAccess& c, authz::SqlDialect d) {
  const std::string col = authz::quote_identifier(c.name, d);
  const bool to_string = masked_as_text(c);
  auto value = [&](const authz::ColumnRule& rule) {
    if (rule.mask) return authz::mask_sql(*rule.mask, col, c.type, d);
    if (to_string && !is_string_type(c.type)) return "CAST(" + col + " AS " + dialect_string_type(d) + ")";
    return col;
  };
  // Without a cell filter the column shows in exactly the rows the WHERE clause keeps, so the last rule needs
  // no condition (and a single rule none at all): the engine can push predicates down on plain columns.
  const bool rows_are_table_rows = c.cell_filter.empty();
  if (c.rules.size() == 1 && (rows_are_table_rows || c.rules.front().predicates.empty())) {
    return value(c.rules.front());
  }
  std::string out = "CASE";
  bool has_else = false;
  for (std::size_t i = 0; i < c.rules.size(); ++i) {
    const auto& rule = c.rules[i];
    if (rule.predicates.empty() || (rows_are_table_rows && i + 1 == c.rules.size())) {
      out += " ELSE " + value(rule);
      has_else = true;
      break;
    }
    out += " WHEN " + or_sql(rule.predicates, d) + " THEN " + value(rule);
  }
  if (!has_else) out += " ELSE NULL";
  return out + " END";
}

/// The type of what select_sql yields: masks that produce text make the column a string (on every row, since
/// a CASE has one type).
std::string result_type(const authz::ColumnAccess& c) {
  return masked_as_text(c) && !is_string_type(c.type) ? "string" : c.type;
}

/// Rows where a column shows anything, as SQL (only when it has a cell filter).
std::string cell_filter_sql(const authz::ColumnAccess& c, authz::SqlDialect d) {
  std::map<std::string, std::shared_ptr<const authz::RowFilter>> preds;
  for (const auto& rule : c.rules) {
    if (rule.predicates.empty()) return "";
    for (const auto& p : rule.predicates) preds.emplace(p->canonical_text(), p);
  }
  std::vector<std::shared_ptr<const authz::RowFilter>> list;
  for (auto& [_, p] : preds) list.push_back(p);
  return list.empty() ? "" : or_sql(list, d);
}

json nullable(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

json access_json(const ResolvedTable& r, authz::SqlDialect d, const std::string& dialect_name) {
  const auto& a = r.access;
  const auto& t = r.table;
  json columns = json::array();
  for (const auto& c : a.columns) {
    json col = {{"name", c.name},
                {"type", c.type},
                {"comment", c.comment},
                {"partition_key", c.partition_key},
                {"mask", nullptr},
                {"mask_sql", nullptr},
                {"cell_filter", nullable(c.cell_filter)},
                {"cell_filter_sql", nullptr},
                {"select_sql", select_sql(c, d)},
                {"deciding_ids", c.deciding_ids}};
    // `mask` is set when every row the column shows is masked the same way; when rows differ (some
    // unmasked, or different masks) it is null and `conditional_mask` is true: `rules` and `select_sql` say
    // which.
    bool uniform = true;
    for (const auto& rule : c.rules) uniform = uniform && rule.mask == c.rules.front().mask;
    const authz::ColumnRule& first = c.rules.front();
    if (uniform && first.mask) {
      col["mask"] = mask_json(*first.mask);
      col["mask_sql"] = authz::mask_sql(*first.mask, authz::quote_identifier(c.name, d), c.type, d);
    }
    col["conditional_mask"] = !uniform;
    col["result_type"] = result_type(c);
    if (!c.cell_filter.empty()) col["cell_filter_sql"] = cell_filter_sql(c, d);
    json rules = json::array();
    for (const auto& rule : c.rules) {
      rules.push_back({{"when", nullable(rule.predicate_text)},
                       {"mask", rule.mask ? json(authz::mask_spec(*rule.mask)) : json(nullptr)},
                       {"deciding_ids", rule.deciding_ids}});
    }
    col["rules"] = std::move(rules);
    columns.push_back(std::move(col));
  }
  json sd = catalog::to_json(t.storage_descriptor);
  return json{{"database", t.database_name},
              {"table", t.name},
              {"table_version_id", t.version_id},
              {"dialect", dialect_name},
              {"permissions", catalog::permission_names(a.permissions)},
              {"grantable", catalog::permission_names(a.grantable)},
              {"columns", std::move(columns)},
              {"all_rows", a.all_rows},
              {"row_filter", nullable(a.row_filter)},
              {"row_filter_sql", a.all_rows ? json(nullptr) : json(or_sql(a.row_filters, d))},
              {"partition_filter", nullable(a.partition_filter)},
              {"location", t.storage_descriptor.location},
              {"input_format", t.storage_descriptor.input_format},
              {"output_format", t.storage_descriptor.output_format},
              {"serde_info", sd.value("serde_info", json::object())},
              {"parameters", t.parameters},
              {"table_type", t.table_type},
              {"query_authorization",
               {{"id", r.query_authorization_id},
                {"expires_at", catalog::format_timestamp(r.query_authorization_expires_at)}}},
              {"deciding_ids", a.deciding_ids}};
}

json explanation_json(const authz::Explanation& ex, const std::string& db, const std::string& table,
                      const std::string& catalog_id) {
  json perms = json::array();
  for (const auto& p : ex.permissions) {
    perms.push_back({{"permission", catalog::permission_name(p.permission)},
                     {"allowed", p.allowed},
                     {"grantable", p.grantable},
                     {"deciding_ids", p.deciding_ids},
                     {"missing", nullable(p.missing)}});
  }
  json cols = json::array();
  for (const auto& c : ex.columns) {
    cols.push_back({{"name", c.name},
                    {"allowed", c.allowed},
                    {"mask", nullable(c.mask)},
                    {"cell_filter", nullable(c.cell_filter)},
                    {"deciding_ids", c.deciding_ids},
                    {"reason", c.reason}});
  }
  json column_tags = json::object();
  for (const auto& [name, tags] : ex.column_tags) {
    json list = json::array();
    for (const auto& t : tags) list.push_back(to_json(t));
    column_tags[name] = std::move(list);
  }
  json table_tags = json::array();
  for (const auto& t : ex.table_tags) table_tags.push_back(to_json(t));
  json considered = json::array();
  for (const auto& p : ex.principals_considered) considered.push_back(principal_display(p, catalog_id));
  return json{{"principal", principal_display(ex.principal, catalog_id)},
              {"database", db},
              {"table", table},
              {"is_admin", ex.is_admin},
              {"principals_considered", std::move(considered)},
              {"permissions", std::move(perms)},
              {"columns", std::move(cols)},
              {"all_rows", ex.all_rows},
              {"row_filter", nullable(ex.row_filter)},
              {"expired_grants", ex.expired_grants},
              {"effective_tags", {{"table", std::move(table_tags)}, {"columns", std::move(column_tags)}}}};
}

std::optional<catalog::Timestamp> time_param(const Ctx& c, const std::string& name) {
  const std::string v = c.param(name);
  if (v.empty()) return std::nullopt;
  return parse_timestamp(v, name);
}

class GovernanceRouter {
 public:
  GovernanceRouter(CatalogService& s, Ctx& c) : s_(s), c_(c) {}

  std::optional<HttpResponse> route() {
    const auto& seg = c_.seg;
    const std::size_t n = seg.size();
    if (n < 2) return std::nullopt;
    const std::string& top = seg[1];
    if (top == "permissions") return permissions();
    if (top == "tags") return tag_keys();
    if (top == "filters") return all_filters();
    if (top == "locations") return locations();
    if (top == "search") return search();
    if (top == "audit") return audit();
    if (top == "query-authorizations") return query_authorizations();
    if (top != "databases" || n < 4) return std::nullopt;
    // /v1/databases/{db}/tags[/{key}]
    if (seg[3] == "tags") return tags(TagTarget{seg[2], {}, {}, {}, {}}, 4);
    if (seg[3] != "tables" || n < 6) return std::nullopt;
    const std::string& db = seg[2];
    const std::string& table = seg[4];
    const std::string& sub = seg[5];
    if (sub == "tags") return tags(TagTarget{db, table, {}, {}, {}}, 6);
    if (sub == "columns" && n >= 8 && seg[7] == "tags") return tags(TagTarget{db, table, seg[6], {}, {}}, 8);
    if (sub == "filters") return filters(db, table);
    if (sub == "access" && n == 6) return access(db, table);
    if (sub == "explain" && n == 6) return explain(db, table);
    return std::nullopt;
  }

 private:
  const Caller& who() const { return c_.caller; }
  const std::string& catalog_id() const { return s_.catalog_id(); }
  const std::string& m() const { return c_.req.method; }
  json body() const { return parse_json_body(c_.req.body); }
  [[noreturn]] void not_found() const {
    throw Error(ErrorCode::NotFound, "no such resource: " + c_.req.path);
  }

  HttpResponse permissions() {
    const auto& seg = c_.seg;
    const std::size_t n = seg.size();
    if (n == 2) {
      if (m() != "GET") return method_not_allowed(c_, "GET");
      catalog::GrantQuery q;
      if (!c_.param("principal").empty())
        q.principal = principal_id_from_text(c_.param("principal"), catalog_id());
      if (!c_.param("kind").empty()) q.kind = catalog::parse_resource_kind(c_.param("kind"), "kind");
      if (!c_.param("database").empty())
        q.database = catalog::normalize_entity_name("database", c_.param("database"));
      if (!c_.param("table").empty()) {
        if (q.database.empty()) throw_invalid("table", "table needs database");
        q.table = catalog::normalize_entity_name("table", c_.param("table"));
      }
      const catalog::Timestamp now = catalog::now_millis();
      return json_response(200,
                           page_json("items", s_.list_grants(who(), q, page_request(c_)),
                                     [&](const catalog::Grant& g) { return to_json(g, catalog_id(), now); }));
    }
    if (n == 3 && (seg[2] == "grant" || seg[2] == "revoke")) {
      if (m() != "POST") return method_not_allowed(c_, "POST");
      catalog::Grant g = grant_request_from_json(body(), catalog_id());
      if (seg[2] == "grant")
        return json_response(200, to_json(s_.grant_permissions(who(), std::move(g)), catalog_id()));
      auto remaining = s_.revoke_permissions(who(), std::move(g));
      return json_response(200,
                           json{{"grant", remaining ? to_json(*remaining, catalog_id()) : json(nullptr)}});
    }
    if (n == 3) {
      if (m() != "GET") return method_not_allowed(c_, "GET");
      std::int64_t id = 0;
      const std::string& text = seg[2];
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
      if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) {
        throw_invalid("id", "grant id must be a positive integer, got '" + text + "'");
      }
      return json_response(200, to_json(s_.get_grant(who(), id), catalog_id()));
    }
    not_found();
  }

  HttpResponse tag_keys() {
    const auto& seg = c_.seg;
    if (seg.size() == 2) {
      if (m() == "GET") {
        json items = json::array();
        for (const auto& t : s_.list_tag_keys(who())) items.push_back(to_json(t));
        return json_response(200, json{{"items", std::move(items)}});
      }
      if (m() == "POST")
        return json_response(201, to_json(s_.create_tag_key(who(), tag_key_from_json(body()))));
      return method_not_allowed(c_, "GET, POST");
    }
    if (seg.size() != 3) not_found();
    const std::string& key = seg[2];
    if (m() == "GET") return json_response(200, to_json(s_.get_tag_key(who(), key)));
    if (m() == "PATCH") {
      TagKeyUpdate u = tag_key_update_from_json(body());
      return json_response(200, to_json(s_.update_tag_key(who(), key, u.add, u.remove)));
    }
    if (m() == "DELETE") {
      s_.delete_tag_key(who(), key);
      return no_content();
    }
    return method_not_allowed(c_, "GET, PATCH, DELETE");
  }

  HttpResponse tags(TagTarget target, std::size_t at) {
    const auto& seg = c_.seg;
    if (seg.size() == at) {
      if (m() == "GET") return json_response(200, effective_tags_to_json(s_.get_tags(who(), target)));
      if (m() == "PUT") {
        auto assignment = tag_assignment_from_json(body());
        return json_response(200, effective_tags_to_json(s_.assign_tags(who(), target, assignment)));
      }
      return method_not_allowed(c_, "GET, PUT");
    }
    if (seg.size() == at + 1) {
      if (m() != "DELETE") return method_not_allowed(c_, "DELETE");
      s_.unassign_tag(who(), target, seg[at]);
      return no_content();
    }
    not_found();
  }

  HttpResponse filters(const std::string& db, const std::string& table) {
    const auto& seg = c_.seg;
    if (seg.size() == 6) {
      if (m() == "GET") {
        return json_response(200, page_json("items", s_.list_filters(who(), db, table, page_request(c_)),
                                            [](const catalog::DataCellsFilter& f) { return to_json(f); }));
      }
      if (m() == "POST") {
        DataCellsFilterBody b = data_cells_filter_body_from_json(body(), db, table);
        return json_response(201, to_json(s_.create_filter(who(), std::move(b.filter))));
      }
      return method_not_allowed(c_, "GET, POST");
    }
    if (seg.size() != 7) not_found();
    const std::string& name = seg[6];
    if (m() == "GET") return json_response(200, to_json(s_.get_filter(who(), db, table, name)));
    if (m() == "PUT") {
      DataCellsFilterBody b = data_cells_filter_body_from_json(body(), db, table, name);
      return json_response(200, to_json(s_.update_filter(who(), std::move(b.filter), b.expected_version_id)));
    }
    if (m() == "DELETE") {
      s_.delete_filter(who(), db, table, name);
      return no_content();
    }
    return method_not_allowed(c_, "GET, PUT, DELETE");
  }

  HttpResponse all_filters() {
    if (c_.seg.size() != 2) not_found();
    if (m() != "GET") return method_not_allowed(c_, "GET");
    return json_response(
        200, page_json("items", s_.list_filters(who(), c_.param("database"), {}, page_request(c_)),
                       [](const catalog::DataCellsFilter& f) { return to_json(f); }));
  }

  HttpResponse locations() {
    if (c_.seg.size() != 2) not_found();
    if (m() == "GET") {
      json items = json::array();
      for (const auto& l : s_.list_locations(who())) items.push_back(to_json(l, catalog_id()));
      return json_response(200, json{{"items", std::move(items)}});
    }
    if (m() == "POST") {
      return json_response(
          201,
          to_json(s_.register_location(who(), data_location_from_json(body(), catalog_id())), catalog_id()));
    }
    if (m() == "DELETE") {
      const std::string uri = c_.param("uri");
      if (uri.empty()) throw_invalid("uri", "?uri= names the location to deregister");
      s_.deregister_location(who(), uri);
      return no_content();
    }
    return method_not_allowed(c_, "GET, POST, DELETE");
  }

  HttpResponse access(const std::string& db, const std::string& table) {
    if (m() != "GET") return method_not_allowed(c_, "GET");
    std::string dialect_name = c_.param("dialect");
    if (dialect_name.empty()) dialect_name = "duckdb";
    const authz::SqlDialect d = authz::parse_sql_dialect(dialect_name, "dialect");
    return json_response(200, access_json(s_.resolve_access(who(), db, table), d, dialect_name));
  }

  HttpResponse explain(const std::string& db, const std::string& table) {
    if (m() != "GET") return method_not_allowed(c_, "GET");
    std::string principal = c_.param("principal");
    if (principal.empty()) principal = who().arn;
    auto ex = s_.explain(who(), principal, db, table);
    return json_response(200, explanation_json(ex, catalog::normalize_entity_name("database", db),
                                               catalog::normalize_entity_name("table", table), catalog_id()));
  }

  HttpResponse search() {
    if (c_.seg.size() != 2) not_found();
    if (m() != "GET") return method_not_allowed(c_, "GET");
    int limit = 100;
    if (!c_.param("max_results").empty()) limit = page_request(c_).limit;
    json items = json::array();
    for (const auto& hit : s_.search(who(), c_.param("q"), c_.param("database"), limit)) {
      json cols = json::array();
      for (const auto& c : hit.columns) cols.push_back(catalog::to_json(c));
      items.push_back(
          {{"database", hit.database}, {"table", hit.table}, {"matched", hit.matched}, {"columns", cols}});
    }
    return json_response(200, json{{"items", std::move(items)}});
  }

  HttpResponse audit() {
    const auto& seg = c_.seg;
    if (m() != "GET") return method_not_allowed(c_, "GET");
    if (seg.size() == 2) {
      catalog::AuditQuery q;
      if (!c_.param("principal").empty())
        q.principal = principal_id_from_text(c_.param("principal"), catalog_id());
      q.resource_prefix = c_.param("resource");
      q.action = c_.param("action");
      q.decision = c_.param("decision");
      q.from = time_param(c_, "from");
      q.to = time_param(c_, "to");
      return json_response(200,
                           page_json("items", s_.query_audit(who(), q, page_request(c_)),
                                     [&](const catalog::AuditEntry& e) { return to_json(e, catalog_id()); }));
    }
    if (seg.size() == 3 && seg[2] == "verify") {
      std::optional<std::pair<std::int64_t, std::string>> head;
      const std::string seq = c_.param("expect_seq"), hash = c_.param("expect_hash");
      if (!seq.empty() || !hash.empty()) {
        std::int64_t n = 0;
        auto [ptr, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), n);
        if (seq.empty() || ec != std::errc() || ptr != seq.data() + seq.size() || n <= 0) {
          throw_invalid("expect_seq", "expect_seq must be a positive integer (with expect_hash)");
        }
        if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
          throw_invalid("expect_hash", "expect_hash must be 64 lower-case hex characters (with expect_seq)");
        }
        head = std::make_pair(n, hash);
      }
      return json_response(200, to_json(s_.verify_audit(who(), head)));
    }
    not_found();
  }

  HttpResponse query_authorizations() {
    const auto& seg = c_.seg;
    if (seg.size() != 3) not_found();
    if (m() != "GET") return method_not_allowed(c_, "GET");
    authz::QueryAuthorization qa = s_.check_query_authorization(who(), seg[2]);
    return json_response(200, json{{"valid", true},
                                   {"principal", principal_display(qa.principal, catalog_id())},
                                   {"database", qa.database},
                                   {"table", qa.table},
                                   {"table_version_id", qa.table_version},
                                   {"issued_at", catalog::format_timestamp(qa.issued_at)},
                                   {"expires_at", catalog::format_timestamp(qa.expires_at)}});
  }

  CatalogService& s_;
  Ctx& c_;
};

}  // namespace

std::optional<HttpResponse> route_governance(CatalogService& service, Ctx& ctx) {
  return GovernanceRouter(service, ctx).route();
}

}  // namespace cairn::api::native
