#pragma once

// ASCII text helpers shared by the catalog's parsers and validators (internal to cairn_catalog). They work on
// bytes: non-ASCII bytes (UTF-8 sequences) pass through unchanged.

#include <string>
#include <string_view>

namespace cairn::catalog::text {

/// `c` lower-cased when it is an ASCII upper-case letter, otherwise `c` unchanged.
inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `s` with its ASCII upper-case letters lower-cased.
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

/// True for the six ASCII white-space characters of C's isspace: space, \t, \n, \r, \f, \v.
inline bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace cairn::catalog::text
