#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/api/http.h"
#include "cairn/api/http_util.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"

namespace cairn::api {

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (catalog::text::iequals_ascii(key, name)) return value;
  }
  return {};
}

std::optional<std::string> percent_decode(std::string_view text) {
  return catalog::text::uri_decode(text, false);
}

std::vector<std::string> split_path(std::string_view raw_path) {
  std::vector<std::string> segments;
  if (!raw_path.empty() && raw_path.front() == '/') raw_path.remove_prefix(1);
  if (!raw_path.empty() && raw_path.back() == '/') raw_path.remove_suffix(1);
  if (raw_path.empty()) return segments;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = raw_path.find('/', start);
    std::string_view piece =
        raw_path.substr(start, slash == std::string_view::npos ? raw_path.npos : slash - start);
    auto decoded = percent_decode(piece);
    if (!decoded)
      throw Error(ErrorCode::InvalidArgument, "malformed percent-encoding in request path", "path");
    segments.push_back(std::move(*decoded));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

QueryParams parse_query(std::string_view raw_query) {
  QueryParams params;
  std::size_t start = 0;
  while (start <= raw_query.size()) {
    std::size_t amp = raw_query.find('&', start);
    std::string_view piece =
        raw_query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!piece.empty()) {
      std::size_t eq = piece.find('=');
      auto name = catalog::text::uri_decode(piece.substr(0, eq), true);
      auto value = eq == std::string_view::npos ? std::optional<std::string>(std::string())
                                                : catalog::text::uri_decode(piece.substr(eq + 1), true);
      if (!name || !value) {
        throw Error(ErrorCode::InvalidArgument, "malformed percent-encoding in query string", "query");
      }
      params.emplace_back(std::move(*name), std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return params;
}

std::optional<std::string> query_value(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string percent_encode_segment(std::string_view text) {
  return catalog::text::uri_encode(text, false);
}

std::string url_encode_query_value(std::string_view text) {
  return percent_encode_segment(text);
}

}  // namespace cairn::api
