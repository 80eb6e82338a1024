#pragma once

// Word-at-a-time searches for the few bytes that text writers must treat specially. The audit writer runs
// every entry's text through them (JSON escaping, the storable check): a byte-by-byte loop with several
// comparisons per byte was a sixth of its CPU (docs/performance.md). Eight bytes are tested at once with
// the classic SWAR expressions ("determine if a word has a byte less than n", Bit Twiddling Hacks); a word
// that has one is then searched byte by byte, so the result is exact.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace cairn::catalog::text {

namespace detail {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

/// Nonzero exactly when some byte of `w` is below `n` (n <= 128).
constexpr std::uint64_t any_byte_below(std::uint64_t w, unsigned n) {
  return (w - kOnes * n) & ~w & kHighBits;
}

/// Nonzero exactly when some byte of `w` equals `c`.
constexpr std::uint64_t any_byte_equal(std::uint64_t w, unsigned char c) {
  return any_byte_below(w ^ (kOnes * c), 1);
}

/// The position of the first byte at or after `from` for which `special` holds (text.size() when none);
/// `word_has` tells, exactly, whether a word of eight bytes holds one.
template <class WordHas, class Special>
std::size_t find_byte(std::string_view text, std::size_t from, WordHas word_has, Special special) {
  std::size_t i = from;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + i, sizeof w);
    if (word_has(w) != 0) break;
  }
  for (; i < text.size(); ++i) {
    if (special(static_cast<unsigned char>(text[i]))) return i;
  }
  return text.size();
}

}  // namespace detail

/// The position of the first byte at or after `from` that JSON text cannot hold as it is (below 0x20, '"'
/// or '\\') or that is not ASCII (0x80 and above); text.size() when there is none.
inline std::size_t find_json_special(std::string_view text, std::size_t from = 0) {
  return detail::find_byte(
      text, from,
      [](std::uint64_t w) {
        return detail::any_byte_below(w, 0x20) | detail::any_byte_equal(w, '"') |
               detail::any_byte_equal(w, '\\') | (w & detail::kHighBits);
      },
      [](unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; });
}

/// The position of the first NUL or non-ASCII byte at or after `from`; text.size() when there is none.
inline std::size_t find_nul_or_non_ascii(std::string_view text, std::size_t from = 0) {
  return detail::find_byte(
      text, from, [](std::uint64_t w) { return detail::any_byte_below(w, 1) | (w & detail::kHighBits); },
      [](unsigned char c) { return c == 0 || c >= 0x80; });
}

}  // namespace cairn::catalog::text
