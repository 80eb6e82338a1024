#pragma once

// ASCII text helpers shared by the parsers and validators of every module (catalog names, SigV4 headers,
// masks, crawler classifiers). They work on bytes: non-ASCII bytes (UTF-8 sequences) pass through unchanged,
// and none consults the C locale (std::tolower/std::isspace would, per byte).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::catalog::text {

/// FNV-1a's 64-bit offset basis.
inline constexpr std::uint64_t kFnv1aBasis = 14695981039346656037ULL;

/// The 64-bit FNV-1a hash of `s` starting from `basis`: stable across builds and machines, for ids and
/// fingerprints that are stored (never for security). Different bases give independent-enough hashes.
inline std::uint64_t fnv1a_64(std::string_view s, std::uint64_t basis = kFnv1aBasis) {
  std::uint64_t h = basis;
  for (const unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

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

/// `a` equals `b` ignoring ASCII case; no allocation.
inline bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

/// `s` without leading and trailing ASCII white space.
inline std::string_view trim_ascii_space(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

/// An RFC 3986 unreserved character (letters, digits, - . _ ~).
inline bool is_uri_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

/// RFC 3986 percent-encoding of every byte but the unreserved set (and '/' when `keep_slash`), upper-case
/// hex, as SigV4 and S3 define it.
inline std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (const char ch : s) {
    if (is_uri_unreserved(ch) || (keep_slash && ch == '/')) {
      out.push_back(ch);
    } else {
      const auto c = static_cast<unsigned char>(ch);
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

/// The value of the hexadecimal digit `c` (either case), or -1.
inline int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Decodes %XX escapes, and '+' as a space when `plus_is_space` (form data, S3's EncodingType url). A
/// malformed escape ('%' not followed by two hex digits) makes the result nullopt, or stays literal when
/// `keep_malformed` (what SigV4 canonicalisation does with a query it re-encodes).
inline std::optional<std::string> uri_decode(std::string_view s, bool plus_is_space,
                                             bool keep_malformed = false) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      const int hi = i + 2 < s.size() ? hex_digit_value(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? hex_digit_value(s[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>((hi << 4) | lo));
        i += 2;
        continue;
      }
      if (!keep_malformed) return std::nullopt;
    }
    out.push_back(c == '+' && plus_is_space ? ' ' : c);
  }
  return out;
}

}  // namespace cairn::catalog::text
