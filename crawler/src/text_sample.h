#pragma once
// Helpers shared by the text classifiers (CSV, JSON): internal to cairn_crawler.

#include <string>
#include <string_view>

#include "cairn/catalog/text_util.h"

namespace cairn::crawler::text {

/// `s` without a leading UTF-8 byte order mark (EF BB BF).
std::string_view strip_utf8_bom(std::string_view s);

/// True when `s` is not text: it holds a NUL byte, or more than 1% of its bytes are control characters
/// other than \t \n \r \f \v and the Hive delimiters \x01..\x03. Only the first 64 KiB are examined.
bool looks_binary(std::string_view s);

// The ASCII helpers of catalog/text_util.h, under the names the classifiers use.
inline constexpr auto& is_space = catalog::text::is_ascii_space;
inline constexpr auto& trim = catalog::text::trim_ascii_space;
inline constexpr auto& ascii_lower = catalog::text::lower;

/// True when `s` begins (after white space) a JSON object or array that nlohmann_json accepts up to the end
/// of `s` or up to the end of its first value: a JSON document, or a prefix of one cut by sampling.
bool starts_json_value(std::string_view s);

}  // namespace cairn::crawler::text
