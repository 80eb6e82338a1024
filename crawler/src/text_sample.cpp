#include "text_sample.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace cairn::crawler::text {

namespace {

constexpr std::size_t kBinaryProbeBytes = 64 * 1024;

// Accepts every event; remembers where the parser failed.
struct ErrorPositionSax {
  std::size_t error_position = 0;
  bool failed = false;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(nlohmann::json::number_integer_t) { return true; }
  bool number_unsigned(nlohmann::json::number_unsigned_t) { return true; }
  bool number_float(nlohmann::json::number_float_t, const std::string&) { return true; }
  bool string(std::string&) { return true; }
  bool binary(nlohmann::json::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(std::string&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception&) {
    failed = true;
    error_position = position;
    return false;
  }
};

}  // namespace

std::string_view strip_utf8_bom(std::string_view s) {
  if (s.size() >= 3 && s.substr(0, 3) == "\xef\xbb\xbf") s.remove_prefix(3);
  return s;
}

namespace {

// Per byte: 2 for NUL, 1 for a control character that text does not hold, else 0 (one lookup per byte:
// every text file is probed).
constexpr std::array<std::uint8_t, 256> kBinaryClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (int u = 0; u < 256; ++u) {
    const char c = static_cast<char>(u);
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    if (u == 0) {
      t[u] = 2;
    } else if ((u < 0x20 && !space && u > 0x03) || u == 0x7f) {
      t[u] = 1;
    }
  }
  return t;
}();

}  // namespace

bool looks_binary(std::string_view s) {
  std::string_view probe = s.substr(0, std::min(s.size(), kBinaryProbeBytes));
  std::size_t control = 0;
  for (char c : probe) {
    const std::uint8_t v = kBinaryClass[static_cast<unsigned char>(c)];
    if (v == 2) return true;
    control += v;
  }
  return control * 100 > probe.size();
}

bool starts_json_value(std::string_view s) {
  std::string_view body = trim(s);
  if (body.empty() || (body.front() != '{' && body.front() != '[')) return false;
  ErrorPositionSax sax;
  nlohmann::json::sax_parse(body.begin(), body.end(), &sax, nlohmann::json::input_format_t::json,
                            /*strict=*/false);
  return !sax.failed || sax.error_position >= body.size();
}

}  // namespace cairn::crawler::text
