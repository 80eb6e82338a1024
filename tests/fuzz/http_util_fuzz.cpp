// Fuzzes request-target decoding: split_path, parse_query and percent_decode either succeed or throw
// cairn::Error (bad escapes only), and percent encoding round-trips through decoding.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/api/http_util.h"
#include "cairn/catalog/error.h"

namespace {

namespace api = cairn::api;

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

void check_encoding(std::string_view raw) {
  const std::string encoded = api::percent_encode_segment(raw);
  for (char c : encoded) {
    if (!is_unreserved(c) && c != '%') __builtin_trap();
  }
  const std::optional<std::string> decoded = api::percent_decode(encoded);
  if (!decoded || *decoded != raw) __builtin_trap();
  if (api::url_encode_query_value(raw) != encoded) __builtin_trap();
  // One encoded segment is one path segment.
  std::vector<std::string> segments;
  try {
    segments = api::split_path("/v1/" + encoded);
  } catch (const cairn::Error&) {
    __builtin_trap();
  }
  if (raw.empty()) {
    if (segments.size() != 1 || segments[0] != "v1") __builtin_trap();
  } else if (segments.size() != 2 || segments[1] != raw) {
    __builtin_trap();
  }
  // One encoded name/value pair is one query parameter.
  api::QueryParams params;
  try {
    params = api::parse_query("a=" + encoded + "&" + encoded + "=b");
  } catch (const cairn::Error&) {
    __builtin_trap();
  }
  if (params.empty() || params[0].first != "a" || params[0].second != raw) __builtin_trap();
  if (!raw.empty() && (params.size() != 2 || params[1].first != raw || params[1].second != "b")) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // A request target: path, then '?' and the query.
  const std::size_t question = text.find('?');
  const std::string_view path = text.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : text.substr(question + 1);

  const std::optional<std::string> decoded = api::percent_decode(text);
  if (decoded && decoded->size() > text.size()) __builtin_trap();

  try {
    const std::vector<std::string> segments = api::split_path(path);
    std::size_t total = 0;
    for (const std::string& s : segments) total += s.size();
    if (total > path.size()) __builtin_trap();
  } catch (const cairn::Error& e) {
    if (e.code() != cairn::ErrorCode::InvalidArgument || e.field() != "path") __builtin_trap();
  }

  try {
    const api::QueryParams params = api::parse_query(query);
    for (const auto& [name, value] : params) {
      // Empty pieces ("a&&b") are skipped, so without '=' every name holds at least one byte.
      if (name.empty() && query.find('=') == std::string_view::npos) __builtin_trap();
      (void)api::query_value(params, name);
    }
  } catch (const cairn::Error& e) {
    if (e.code() != cairn::ErrorCode::InvalidArgument || e.field() != "query") __builtin_trap();
  }

  check_encoding(text);
  if (decoded) check_encoding(*decoded);
  return 0;
}
