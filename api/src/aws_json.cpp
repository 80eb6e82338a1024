#include "aws_json.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "cairn/api/json_body.h"
#include "cairn/authz/sigv4.h"
#include "cairn/catalog/names.h"

namespace cairn::api::aws {

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

double epoch_seconds(catalog::Timestamp millis) {
  return static_cast<double>(millis) / 1000.0;
}

std::string member(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string item(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void structure(const json& v, const std::string& path, std::initializer_list<std::string_view> known) {
  if (!v.is_object()) throw_invalid(path.empty() ? "body" : path, "must be a structure (a JSON object)");
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (std::find(known.begin(), known.end(), std::string_view(it.key())) != known.end()) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    throw_invalid(member(path, it.key()),
                  "is not a member of this structure" +
                      (list.empty() ? std::string(" (it has none)") : " (members: " + list + ")"));
  }
}

const json* opt(const json& obj, const std::string& key) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const json& required(const json& obj, const std::string& key, const std::string& path) {
  const json* v = opt(obj, key);
  if (v == nullptr) throw_invalid(member(path, key), "is required");
  return *v;
}

std::string str(const json& v, const std::string& field) {
  if (!v.is_string()) throw_invalid(field, "must be a string");
  return v.get<std::string>();
}

std::string required_str(const json& obj, const std::string& key, const std::string& path) {
  return str(required(obj, key, path), member(path, key));
}

std::optional<std::string> opt_str(const json& obj, const std::string& key, const std::string& path) {
  const json* v = opt(obj, key);
  if (v == nullptr) return std::nullopt;
  return str(*v, member(path, key));
}

std::vector<std::string> str_list(const json& v, const std::string& field) {
  if (!v.is_array()) throw_invalid(field, "must be a list of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(str(v[i], item(field, i)));
  return out;
}

std::vector<std::string> opt_str_list(const json& obj, const std::string& key, const std::string& path) {
  const json* v = opt(obj, key);
  return v == nullptr ? std::vector<std::string>{} : str_list(*v, member(path, key));
}

std::optional<bool> opt_bool(const json& obj, const std::string& key, const std::string& path) {
  const json* v = opt(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) throw_invalid(member(path, key), "must be true or false");
  return v->get<bool>();
}

std::optional<std::int64_t> opt_int(const json& obj, const std::string& key, const std::string& path,
                                    std::int64_t min, std::int64_t max) {
  const json* v = opt(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer() || v->get<std::int64_t>() < min || v->get<std::int64_t>() > max) {
    throw_invalid(member(path, key),
                  "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v->get<std::int64_t>();
}

std::map<std::string, std::string> opt_str_map(const json& obj, const std::string& key,
                                               const std::string& path) {
  std::map<std::string, std::string> out;
  const json* v = opt(obj, key);
  if (v == nullptr) return out;
  const std::string field = member(path, key);
  if (!v->is_object()) throw_invalid(field, "must be a map of strings to strings");
  for (auto it = v->begin(); it != v->end(); ++it) out.emplace(it.key(), str(*it, member(field, it.key())));
  return out;
}

bool opt_marker(const json& obj, const std::string& key, const std::string& path) {
  const json* v = opt(obj, key);
  if (v == nullptr) return false;
  structure(*v, member(path, key), {});
  return true;
}

bool has_content(const json* v) {
  if (v == nullptr || v->is_null()) return false;
  if (v->is_string()) return !v->get_ref<const std::string&>().empty();
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_array() || v->is_object()) return !v->empty();
  return true;
}

void refuse_unless_empty(const json& obj, const std::string& key, const std::string& path,
                         const std::string& why) {
  if (has_content(opt(obj, key))) throw_invalid(member(path, key), "is not supported by Cairn: " + why);
}

void check_catalog_id(const json& obj, const std::string& key, const std::string& path,
                      const std::string& catalog_id) {
  const json* v = opt(obj, key);
  if (v == nullptr) return;
  const std::string field = member(path, key);
  const std::string id = str(*v, field);
  if (id.size() != 12 || id.find_first_not_of("0123456789") != std::string::npos) {
    throw_invalid(field, "a catalog id is 12 digits, got " + catalog::quote_for_message(id));
  }
  if (id != catalog_id) {
    throw Error(ErrorCode::NotFound,
                "catalog " + id + " not found: this server serves catalog " + catalog_id + " (" + field + ")",
                field);
  }
}

int max_results(const json& b, int default_size, int max) {
  const json* v = opt(b, "MaxResults");
  if (v == nullptr) return default_size;
  if (!v->is_number_integer() || v->get<std::int64_t>() < 1 || v->get<std::int64_t>() > max) {
    throw_invalid("MaxResults", "must be an integer from 1 to " + std::to_string(max));
  }
  return static_cast<int>(v->get<std::int64_t>());
}

Slice slice(const json& b, std::size_t total, int default_size, int max) {
  Slice s;
  const std::string token = opt_str(b, "NextToken", "").value_or("");
  if (!token.empty()) {
    const bool ok = token.size() <= 9 + 7 && token.rfind("offset-", 0) == 0 && token.size() > 7 &&
                    token.find_first_not_of("0123456789", 7) == std::string::npos;
    if (!ok) throw_invalid("NextToken", "is not a token returned by this operation");
    s.begin = std::min<std::size_t>(std::stoull(token.substr(7)), total);
  }
  s.end = std::min(total, s.begin + static_cast<std::size_t>(max_results(b, default_size, max)));
  if (s.end < total) s.next_token = "offset-" + std::to_string(s.end);
  return s;
}

std::string translate_field(const FieldMap& fields, std::string field,
                            const std::function<std::string(std::string)>& rest,
                            const std::function<std::string(const std::string&)>& fallback) {
  if (!field.empty() && field.front() == '.') field.erase(0, 1);
  for (const auto& [from, to] : fields) {
    if (field.compare(0, from.size(), from) != 0) continue;
    if (field.size() != from.size() && field[from.size()] != '.' && field[from.size()] != '[') continue;
    std::string tail = field.substr(from.size());
    return to + (rest ? rest(std::move(tail)) : tail);
  }
  if (fallback) return fallback(field);
  // Paging parameters, named the same way by every list operation.
  if (field == "next_token") return "NextToken";
  if (field == "max_results") return "MaxResults";
  return field;
}

AwsError aws_error(const Error& e, const std::string& field, const AwsErrorStyle& style) {
  AwsError out;
  out.message = e.what();
  switch (e.code()) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::FailedPrecondition:
      out.type =
          e.code() == ErrorCode::InvalidArgument ? "InvalidInputException" : std::string(style.precondition);
      if (style.strip_native_field && !e.field().empty() && out.message.rfind(e.field(), 0) == 0) {
        std::size_t cut = e.field().size();
        if (out.message.compare(cut, 2, ": ") == 0) {
          cut += 2;
        } else if (out.message.compare(cut, 1, " ") == 0) {
          cut += 1;
        } else {
          cut = 0;
        }
        out.message.erase(0, cut);
      }
      if (!field.empty()) out.message = field + ": " + out.message;
      break;
    case ErrorCode::Unauthenticated: {
      out.status = 403;
      const std::string m = e.what();
      if (m.rfind("invalid access key id", 0) == 0) {
        out.type = "UnrecognizedClientException";
      } else if (m.rfind("missing Authorization", 0) == 0) {
        out.type = "MissingAuthenticationTokenException";
      } else if (m.rfind("malformed", 0) == 0 || m.rfind("more than one", 0) == 0) {
        out.type = "IncompleteSignatureException";
      } else {
        out.type = "InvalidSignatureException";
      }
      break;
    }
    case ErrorCode::AccessDenied:
      out.status = 403;
      out.type = "AccessDeniedException";
      break;
    case ErrorCode::NotFound:
      out.type = "EntityNotFoundException";
      break;
    case ErrorCode::AlreadyExists:
      out.type = "AlreadyExistsException";
      break;
    case ErrorCode::VersionConflict:
      out.type = std::string(style.version_conflict);
      break;
    case ErrorCode::PayloadTooLarge:
      out.status = 413;
      out.type = "InvalidInputException";
      break;
    case ErrorCode::TooManyRequests:
      out.status = 429;
      out.type = std::string(style.throttled);
      break;
    case ErrorCode::Unavailable:
      out.status = 503;
      out.type = "InternalServiceException";
      break;
    case ErrorCode::Internal:
      out.status = 500;
      out.type = "InternalServiceException";
      break;
  }
  return out;
}

HttpResponse aws_error_response(const AwsError& e, const std::string& request_id) {
  HttpResponse resp;
  resp.status = e.status;
  resp.headers.emplace_back("x-amzn-ErrorType", e.type);
  resp.headers.emplace_back("x-amzn-RequestId", request_id);
  resp.body = dump(json{{"__type", e.type}, {"Message", e.message}});
  return resp;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpResponse serve(std::string_view protocol, const std::string& op,
                   const authz::Authenticator& authenticator, const HttpRequest& req,
                   const std::function<json(const authz::Caller&, const json&)>& run,
                   const std::function<AwsError(const Error&)>& translate) {
  try {
    const authz::RequestView signable{req.method, req.path, req.query, req.headers, req.body};
    authz::Caller caller = authenticator.authenticate(signable, unix_now());
    caller.request_id = req.request_id;
    const bool blank = req.body.find_first_not_of(" \t\r\n") == std::string::npos;
    const json body = blank ? json::object() : parse_json_body(req.body);
    HttpResponse resp;
    resp.headers.emplace_back("x-amzn-RequestId", req.request_id);
    resp.body = dump(run(caller, body));
    return resp;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::Internal || e.code() == ErrorCode::Unavailable) {
      spdlog::error("[{}] {} {}: {}", req.request_id, protocol, op, e.what());
    } else {
      spdlog::debug("[{}] {} {} -> {}: {}", req.request_id, protocol, op, error_code_name(e.code()),
                    e.what());
    }
    return aws_error_response(translate(e), req.request_id);
  } catch (const std::exception& e) {
    spdlog::error("[{}] {} {}: unexpected error: {}", req.request_id, protocol, op, e.what());
    return aws_error_response(AwsError{500, "InternalServiceException",
                                       "internal error; see the server log for request " + req.request_id},
                              req.request_id);
  }
}

}  // namespace cairn::api::aws
