#pragma once

// What every whole match of an RE2 pattern looks like, read from the pattern's syntax (docs/classifiers.md,
// "How a value is matched"): the bytes a match can contain, its length bounds and byte sets it always
// contains. The detector's byte prefilter rules an entity out for a value only by these facts, so it never
// drops a value the pattern would match. Syntax the analysis does not model (flags, negated or POSIX classes,
// \x escapes, Unicode classes other than \pL, ...) gives the shape that rules nothing out.

#include <bitset>
#include <cstddef>
#include <limits>
#include <string_view>
#include <vector>

namespace cairn::classifiers::detail {

using ByteSet = std::bitset<256>;

/// Facts true of every string the pattern matches as a whole (RE2 syntax, UTF-8, case-sensitive).
struct PatternShape {
  static constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();
  ByteSet bytes = ByteSet().set();  ///< every byte a match may contain
  std::size_t min_bytes = 0;        ///< a match has at least this many bytes
  std::size_t max_bytes = kUnbounded;
  std::vector<ByteSet> required;  ///< a match contains at least one byte of each set
  bool known = false;             ///< false: the pattern's syntax was not modelled; nothing is ruled out
};

/// The shape of `pattern`; a shape with known == false (ruling nothing out) when its syntax is not modelled.
PatternShape analyse_pattern(std::string_view pattern);

}  // namespace cairn::classifiers::detail
