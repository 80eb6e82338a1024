#include "cairn/classifiers/review.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <set>

#include "cairn/catalog/text_util.h"

namespace cairn::classifiers {

namespace {

constexpr std::size_t kHexDigits = 16;  // per minimum

/// splitmix64's finaliser: turns one value hash into independent-enough hashes per seed.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// The minima of a fingerprint, or nullopt when it is not one.
std::optional<std::array<std::uint64_t, kFingerprintHashes>> minima(std::string_view text) {
  if (text.size() != kFingerprintHashes * kHexDigits) return std::nullopt;
  std::array<std::uint64_t, kFingerprintHashes> out{};
  for (std::size_t i = 0; i < kFingerprintHashes; ++i) {
    const char* begin = text.data() + i * kHexDigits;
    const auto [ptr, ec] = std::from_chars(begin, begin + kHexDigits, out[i], 16);
    if (ec != std::errc() || ptr != begin + kHexDigits) return std::nullopt;
  }
  return out;
}

}  // namespace

std::string value_fingerprint(const std::vector<std::string>& values) {
  if (values.empty()) return {};
  std::array<std::uint64_t, kFingerprintHashes> low;
  low.fill(std::numeric_limits<std::uint64_t>::max());
  // Repetitions change no minimum, so the distinct values need no set of their own.
  for (const std::string& v : values) {
    const std::uint64_t h = catalog::text::fnv1a_64(v);
    for (std::size_t i = 0; i < kFingerprintHashes; ++i) low[i] = std::min(low[i], mix(h ^ mix(i + 1)));
  }
  std::string out;
  out.reserve(kFingerprintHashes * kHexDigits);
  char buf[kHexDigits + 1];
  for (const std::uint64_t m : low) {
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(m));
    out += buf;
  }
  return out;
}

double fingerprint_similarity(std::string_view a, std::string_view b) {
  const auto x = minima(a);
  const auto y = minima(b);
  if (!x || !y) return 0;
  std::size_t equal = 0;
  for (std::size_t i = 0; i < kFingerprintHashes; ++i) equal += (*x)[i] == (*y)[i] ? 1 : 0;
  return static_cast<double>(equal) / static_cast<double>(kFingerprintHashes);
}

ReviewOutcome review(const std::optional<std::string>& stored_status, std::string_view stored_fingerprint,
                     bool detected, std::string_view new_fingerprint, bool auto_mode) {
  const std::string fresh = auto_mode ? "applied" : "recommended";
  if (!stored_status) {
    if (!detected) return {};
    return {fresh, fresh, auto_mode, false};
  }
  const std::string& s = *stored_status;
  if (!detected) {
    if (s == "applied") return {"", "cleared", false, true};
    if (s == "recommended") return {"", "cleared", false, false};
    return {s, "", false, false};  // accepted, rejected: the steward's decision stands
  }
  if (s == "recommended" && auto_mode) return {"applied", "applied", true, false};
  // Without two fingerprints nothing is known to have changed: a rejection stays.
  if (s == "rejected" && minima(stored_fingerprint) && minima(new_fingerprint) &&
      fingerprint_similarity(stored_fingerprint, new_fingerprint) < kMaterialChangeSimilarity) {
    return {fresh, "reopened", auto_mode, false};
  }
  return {s, "", false, false};
}

}  // namespace cairn::classifiers
