#pragma once

// Shared pieces of the AWS JSON protocols (the Lake Formation REST-JSON API and the Glue JSON 1.1 API):
// strict reading of request shapes with errors that name the member
// ("TableInput.StorageDescriptor.Columns[2].Type"), paging, the translation of cairn::Error into an AWS error
// ({"__type", "Message"} and x-amzn-ErrorType), and the request skeleton (SigV4, body, errors). Internal
// header of cairn_api.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/api/http.h"
#include "cairn/authz/identity.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/model.h"

namespace cairn::api::aws {

using nlohmann::json;

/// `items` joined with `sep`.
std::string join(const std::vector<std::string>& items, const char* sep = ", ");
/// Compact JSON; invalid UTF-8 in strings is replaced rather than thrown.
std::string dump(const json& j);
/// Milliseconds as the epoch seconds AWS JSON protocols use for timestamps.
double epoch_seconds(catalog::Timestamp millis);

// --- request shapes ---------------------------------------------------------------------------------

/// "path.key" ("key" at the top level).
std::string member(const std::string& path, std::string_view key);
/// "path[i]".
std::string item(const std::string& path, std::size_t i);

/// `v` must be a JSON object whose keys are all in `known` (throws InvalidArgument naming a member that is
/// not).
void structure(const json& v, const std::string& path, std::initializer_list<std::string_view> known);
/// obj[key] when present and not null, else nullptr.
const json* opt(const json& obj, const std::string& key);
/// obj[key]; throws InvalidArgument "is required" naming path.key when absent or null.
const json& required(const json& obj, const std::string& key, const std::string& path);
/// The string `v`; throws InvalidArgument naming `field` when it is not one.
std::string str(const json& v, const std::string& field);
/// obj[key] as a string; InvalidArgument naming path.key when absent or not a string.
std::string required_str(const json& obj, const std::string& key, const std::string& path);
/// obj[key] as a string, nullopt when absent; InvalidArgument naming path.key when not a string.
std::optional<std::string> opt_str(const json& obj, const std::string& key, const std::string& path);
/// A list of strings; throws InvalidArgument naming the list or the bad item.
std::vector<std::string> str_list(const json& v, const std::string& field);
/// Empty when absent.
std::vector<std::string> opt_str_list(const json& obj, const std::string& key, const std::string& path);
/// obj[key] as a boolean, nullopt when absent; InvalidArgument naming path.key when not one.
std::optional<bool> opt_bool(const json& obj, const std::string& key, const std::string& path);
/// An integer member within [min, max]; nullopt when absent.
std::optional<std::int64_t> opt_int(const json& obj, const std::string& key, const std::string& path,
                                    std::int64_t min, std::int64_t max);
/// A map of string to string (Parameters, Tags); empty when absent.
std::map<std::string, std::string> opt_str_map(const json& obj, const std::string& key,
                                               const std::string& path);
/// An empty structure (TableWildcard, AllRowsWildcard) when present.
bool opt_marker(const json& obj, const std::string& key, const std::string& path);
/// Whether a member holds something (not null, "", false, [] or {}).
bool has_content(const json* v);
/// Refuses (InvalidArgument naming path.key) a member that has content: "is not supported by Cairn: <why>".
void refuse_unless_empty(const json& obj, const std::string& key, const std::string& path,
                         const std::string& why);
/// A CatalogId member: absent, or `catalog_id`. Another 12-digit id is NotFound ("catalog … not found"),
/// anything else InvalidArgument.
void check_catalog_id(const json& obj, const std::string& key, const std::string& path,
                      const std::string& catalog_id);

/// The top-level MaxResults: `default_size` when absent, InvalidArgument unless an integer from 1 to `max`.
int max_results(const json& b, int default_size = 100, int max = 1000);

/// One page of a list that is paged here, in memory (tokens "offset-N").
struct Slice {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string next_token;  ///< empty on the last page
};
/// The page of `total` items that the top-level NextToken and MaxResults ask for; InvalidArgument naming
/// NextToken for a token this function did not make.
Slice slice(const json& b, std::size_t total, int default_size = 100, int max = 1000);

/// The response of a list paged in memory: {`key`: [to(item) of the slice], "NextToken" when more}.
template <class T, class ToJson>
json paged_response(const json& b, const std::vector<T>& items, const char* key, int default_size, int max,
                    ToJson to) {
  const Slice sl = slice(b, items.size(), default_size, max);
  json out_items = json::array();
  for (std::size_t i = sl.begin; i < sl.end; ++i) out_items.push_back(to(items[i]));
  json out = {{key, std::move(out_items)}};
  if (!sl.next_token.empty()) out["NextToken"] = sl.next_token;
  return out;
}

// --- errors -----------------------------------------------------------------------------------------

/// Native field path prefix -> the protocol's member path, for errors raised by the service and the store.
using FieldMap = std::vector<std::pair<std::string, std::string>>;

/// The protocol's member path of a native field: the first prefix of `fields` that matches (at a '.' or '['
/// boundary) is replaced and the rest passed through `rest` (unchanged when `rest` is empty); a leading '.'
/// is ignored. Without a match, `fallback` (when given) translates the whole field; else next_token and
/// max_results become NextToken and MaxResults, and other fields are returned as they are.
std::string translate_field(const FieldMap& fields, std::string field,
                            const std::function<std::string(std::string)>& rest = {},
                            const std::function<std::string(const std::string&)>& fallback = {});

/// An error as an AWS JSON protocol answers it.
struct AwsError {
  int status = 400;
  std::string type;
  std::string message;
};

/// How a protocol names the errors that differ between AWS services.
struct AwsErrorStyle {
  std::string_view precondition = "InvalidInputException";                ///< ErrorCode::FailedPrecondition
  std::string_view throttled = "ThrottledException";                      ///< ErrorCode::TooManyRequests
  std::string_view version_conflict = "ConcurrentModificationException";  ///< ErrorCode::VersionConflict
  /// Drop the native field path that a message starts with ("storage_descriptor.columns[2].type: …") before
  /// the translated one is put in front.
  bool strip_native_field = false;
};

/// The AWS error of `e`: InvalidInputException (400) for bad input, EntityNotFoundException, AlreadyExists-
/// Exception, style.version_conflict (400), AccessDeniedException (403), the SigV4 failures
/// (UnrecognizedClientException, InvalidSignatureException, MissingAuthenticationTokenException,
/// IncompleteSignatureException; 403), InternalServiceException (500, 503). Input errors' messages start
/// with `field` (the translated member path) when it is not empty.
AwsError aws_error(const Error& e, const std::string& field, const AwsErrorStyle& style = {});
/// The HTTP response of an AWS error (x-amzn-ErrorType, x-amzn-RequestId, {"__type", "Message"}).
HttpResponse aws_error_response(const AwsError& e, const std::string& request_id);

/// Seconds since the Unix epoch (the clock SigV4 checks against).
std::int64_t unix_now();

/// Serves one AWS JSON request: authenticates it (SigV4), parses the body (blank is {}), answers `run`'s
/// output as JSON with x-amzn-RequestId, and turns every failure into an AWS error: an Error by `translate`,
/// anything else into InternalServiceException naming the request id. `protocol` names the API in the log.
/// Never throws.
HttpResponse serve(std::string_view protocol, const std::string& op,
                   const authz::Authenticator& authenticator, const HttpRequest& req,
                   const std::function<json(const authz::Caller&, const json&)>& run,
                   const std::function<AwsError(const Error&)>& translate);

}  // namespace cairn::api::aws
