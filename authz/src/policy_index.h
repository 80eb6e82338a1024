#pragma once

// Internal to policy_engine.cpp: hashing and an immutable open-addressing index from names to dense ids, so a
// table-level decision hashes the table name and the principal name once each and then works on integers.

#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::authz::detail {

/// "No id": a name that is not interned, an empty slot.
inline constexpr std::uint32_t kNone = 0xFFFFFFFFu;

/// The murmur3 64-bit finaliser (good low and high bits from any input).
inline std::uint64_t mix64(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/// A 64-bit hash of `s` (eight bytes per step; names are short).
inline std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed = 0x9E3779B97F4A7C15ULL) {
  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(s.size()) * 0xff51afd7ed558ccdULL);
  const char* p = s.data();
  std::size_t n = s.size();
  auto step = [&h](std::uint64_t w) {
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    h = (h << 29) | (h >> 35);
  };
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    step(w);
    p += 8;
    n -= 8;
  }
  if (n != 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    step(w);
  }
  return mix64(h);
}

/// The hash of a (database, table) pair.
inline std::uint64_t hash_pair(std::string_view a, std::string_view b) {
  return mix64(hash_bytes(a) ^ (hash_bytes(b, 0xC2B2AE3D27D4EB4FULL) * 0x165667B19E3779F9ULL));
}

/// An immutable hash index of dense ids 0..n-1 by their 64-bit hashes (linear probing, load <= 1/2). The
/// caller keeps the keys and confirms a candidate id with its own comparison.
class HashSlots {
 public:
  /// Indexes ids 0..hashes.size()-1; id i has hash hashes[i].
  void build(const std::vector<std::uint64_t>& hashes) {
    std::size_t capacity = 8;
    while (capacity < hashes.size() * 2) capacity *= 2;
    slots_.assign(capacity, Slot{0, kNone});
    mask_ = capacity - 1;
    for (std::uint32_t id = 0; id < hashes.size(); ++id) {
      std::size_t pos = hashes[id] & mask_;
      while (slots_[pos].id != kNone) pos = (pos + 1) & mask_;
      slots_[pos] = Slot{static_cast<std::uint32_t>(hashes[id] >> 32), id};
    }
  }
  /// The id with hash `h` for which `same(id)` holds, or kNone.
  template <class Same>
  std::uint32_t find(std::uint64_t h, Same&& same) const {
    if (slots_.empty()) return kNone;
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t pos = h & mask_;; pos = (pos + 1) & mask_) {
      const Slot& s = slots_[pos];
      if (s.id == kNone) return kNone;
      if (s.tag == tag && same(s.id)) return s.id;
    }
  }

 private:
  struct Slot {
    std::uint32_t tag;  ///< the hash's upper half
    std::uint32_t id;
  };
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

/// An open-addressing index of name pairs (database, table) to dense ids with a two-word payload. Short
/// names are kept in the slot itself, so that a lookup usually reads one cache line and nothing else.
class PairSlots {
 public:
  struct Slot {
    std::uint32_t tag = 0;  ///< the hash's upper half
    std::uint32_t id = kNone;
    std::uint32_t a = 0;         ///< payload
    std::uint32_t b = 0;         ///< payload
    std::uint8_t first = kLong;  ///< length of the first name, or kLong: the names are not in the slot
    std::uint8_t size = 0;       ///< length of both names
    char key[14] = {};
  };
  static constexpr std::uint8_t kLong = 0xFF;

  /// Empties the index and makes room for `count` ids.
  void reset(std::size_t count) {
    std::size_t capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    count_ = 0;
  }
  std::size_t count() const { return count_; }
  std::size_t capacity() const { return slots_.size(); }

  /// The slot of (first, second), or the empty slot where it belongs (id == kNone). `same(id)` compares
  /// the names of an id whose names are not in its slot. The index must not be full (count < capacity).
  template <class Same>
  const Slot* probe(std::uint64_t h, std::string_view first, std::string_view second, Same&& same) const {
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t pos = h & mask_;; pos = (pos + 1) & mask_) {
      const Slot& s = slots_[pos];
      if (s.id == kNone) return &s;
      if (s.tag != tag) continue;
      if (s.first == kLong) {
        if (same(s.id)) return &s;
      } else if (s.first == first.size() && s.size == first.size() + second.size() &&
                 same_bytes(s.key, first) && same_bytes(s.key + first.size(), second)) {
        return &s;
      }
    }
  }
  /// The slot of (first, second), or nullptr.
  template <class Same>
  const Slot* find(std::uint64_t h, std::string_view first, std::string_view second, Same&& same) const {
    if (slots_.empty()) return nullptr;
    const Slot* s = probe(h, first, second, std::forward<Same>(same));
    return s->id == kNone ? nullptr : s;
  }
  /// Fills the empty slot `at` (from probe()) with an id.
  void fill(const Slot* at, std::uint64_t h, std::string_view first, std::string_view second,
            std::uint32_t id, std::uint32_t a, std::uint32_t b) {
    Slot& s = slots_[static_cast<std::size_t>(at - slots_.data())];
    s.tag = static_cast<std::uint32_t>(h >> 32);
    s.id = id;
    s.a = a;
    s.b = b;
    if (first.size() + second.size() <= sizeof(s.key)) {
      s.first = static_cast<std::uint8_t>(first.size());
      s.size = static_cast<std::uint8_t>(first.size() + second.size());
      copy_bytes(s.key, first);
      copy_bytes(s.key + first.size(), second);
    }
    ++count_;
  }

 private:
  // An empty std::string_view may have a null data(); memcpy/memcmp must not see it even with a size of 0.
  static void copy_bytes(char* to, std::string_view from) {
    if (!from.empty()) std::memcpy(to, from.data(), from.size());
  }
  static bool same_bytes(const char* at, std::string_view text) {
    return text.empty() || std::memcmp(at, text.data(), text.size()) == 0;
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
};

}  // namespace cairn::authz::detail
