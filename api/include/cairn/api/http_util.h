#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::api {

/// Ordered (name, value) pairs of a decoded query string; a name may repeat.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

/// Decodes %XX escapes (either hex case); '+' stays '+'. nullopt when a '%' is not followed by two hex
/// digits.
std::optional<std::string> percent_decode(std::string_view text);

/// Splits a raw path ("/v1/databases/my%20db") into decoded segments ({"v1","databases","my db"}). The
/// leading
/// '/' and one trailing '/' are dropped; "/" gives an empty vector; interior empty segments ("a//b") are kept
/// as "". Throws cairn::Error(InvalidArgument, field "path") on a bad escape.
std::vector<std::string> split_path(std::string_view raw_path);

/// Parses "a=1&b=x+y&c" into {{"a","1"},{"b","x y"},{"c",""}} decoding '+' as space and %XX; empty pieces are
/// skipped. Throws cairn::Error(InvalidArgument, field "query") on a bad escape.
QueryParams parse_query(std::string_view raw_query);

/// First value of `name` in `params`, or nullopt when absent.
std::optional<std::string> query_value(const QueryParams& params, std::string_view name);

/// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), upper-case hex; safe
/// for one path segment ('/' is encoded).
std::string percent_encode_segment(std::string_view text);

/// Encodes a query name or value the same way (space becomes %20, so the result is also SigV4-canonical).
std::string url_encode_query_value(std::string_view text);

}  // namespace cairn::api
