#include "pattern_shape.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace cairn::classifiers::detail {
namespace {

constexpr std::size_t kUnbounded = PatternShape::kUnbounded;
// Lengths past this are treated as unbounded (RE2 caps repetition counts at 1,000 anyway).
constexpr std::size_t kLengthCap = std::size_t{1} << 40;
// At most this many required byte sets per sub-pattern; dropping some only weakens the prefilter.
constexpr std::size_t kMaxRequired = 16;

std::size_t add_lengths(std::size_t a, std::size_t b) {
  if (a == kUnbounded || b == kUnbounded || a + b > kLengthCap) return kUnbounded;
  return a + b;
}

std::size_t multiply_length(std::size_t a, std::size_t n) {
  if (a == 0 || n == 0) return 0;
  if (a == kUnbounded || n == kUnbounded || a > kLengthCap / n) return kUnbounded;
  return a * n;
}

ByteSet byte_range(unsigned lo, unsigned hi) {
  ByteSet s;
  for (unsigned b = lo; b <= hi; ++b) s.set(b);
  return s;
}

// One atom: a byte set matched `min`..`max` bytes at a time (max 4 for sets that hold UTF-8 runes).
PatternShape atom(const ByteSet& bytes, std::size_t min, std::size_t max) {
  PatternShape s;
  s.bytes = bytes;
  s.min_bytes = min;
  s.max_bytes = max;
  s.required = {bytes};
  s.known = true;
  return s;
}

PatternShape empty_shape() {
  PatternShape s;
  s.bytes.reset();
  s.max_bytes = 0;
  s.known = true;
  return s;
}

// Drops required sets implied by others: duplicates and supersets of another required set.
void simplify(std::vector<ByteSet>& required) {
  std::vector<ByteSet> kept;
  for (std::size_t i = 0; i < required.size(); ++i) {
    bool implied = false;
    for (std::size_t j = 0; j < required.size() && !implied; ++j) {
      if (i == j) continue;
      const bool subset = (required[j] & ~required[i]).none();  // required[j] within required[i]
      implied = subset && (required[j] != required[i] || j < i);
    }
    if (!implied) kept.push_back(required[i]);
  }
  required = std::move(kept);
}

void concatenate(PatternShape& into, const PatternShape& next) {
  into.bytes |= next.bytes;
  into.min_bytes = add_lengths(into.min_bytes, next.min_bytes);
  into.max_bytes = add_lengths(into.max_bytes, next.max_bytes);
  into.required.insert(into.required.end(), next.required.begin(), next.required.end());
  simplify(into.required);
  if (into.required.size() > kMaxRequired) into.required.resize(kMaxRequired);
}

// `a` or `b`: a match of either contains a byte of (ra | rb) for every pair of their requirements.
void alternate(PatternShape& a, const PatternShape& b) {
  a.bytes |= b.bytes;
  a.min_bytes = std::min(a.min_bytes, b.min_bytes);
  a.max_bytes = std::max(a.max_bytes, b.max_bytes);
  std::vector<ByteSet> either;
  for (const auto& ra : a.required) {
    for (const auto& rb : b.required) either.push_back(ra | rb);
  }
  simplify(either);
  if (either.size() > kMaxRequired) either.resize(kMaxRequired);
  a.required = std::move(either);
}

class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  std::optional<PatternShape> parse() {
    auto s = alternation();
    if (!s || pos_ != p_.size()) return std::nullopt;
    return s;
  }

 private:
  bool at_end() const { return pos_ >= p_.size(); }
  unsigned char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < p_.size() ? static_cast<unsigned char>(p_[pos_ + ahead]) : 0;
  }

  std::optional<PatternShape> alternation() {
    auto s = sequence();
    while (s && !at_end() && peek() == '|') {
      ++pos_;
      auto next = sequence();
      if (!next) return std::nullopt;
      alternate(*s, *next);
    }
    return s;
  }

  std::optional<PatternShape> sequence() {
    PatternShape s = empty_shape();
    while (!at_end() && peek() != '|' && peek() != ')') {
      auto a = atom_at();
      if (!a) return std::nullopt;
      if (!quantified(*a)) return std::nullopt;
      concatenate(s, *a);
    }
    return s;
  }

  // Applies any quantifiers after an atom; false on repetition syntax the analysis does not model.
  bool quantified(PatternShape& a) {
    while (!at_end()) {
      std::size_t lo = 0, hi = 0;
      const unsigned char c = peek();
      if (c == '*' || c == '+' || c == '?') {
        lo = c == '+' ? 1 : 0;
        hi = c == '?' ? 1 : kUnbounded;
        ++pos_;
      } else if (c == '{') {
        if (!repeat_counts(lo, hi)) return false;
      } else {
        return true;
      }
      if (!at_end() && peek() == '?') ++pos_;  // non-greedy: the same strings
      a.min_bytes = multiply_length(a.min_bytes, lo);
      a.max_bytes = multiply_length(a.max_bytes, hi);
      if (lo == 0) a.required.clear();
      if (hi == 0) a = empty_shape();
    }
    return true;
  }

  std::optional<std::size_t> number() {
    std::size_t n = 0, digits = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      n = n * 10 + (peek() - '0');
      ++pos_;
      if (++digits > 4) return std::nullopt;
    }
    if (digits == 0) return std::nullopt;
    return n;
  }

  // {n}, {n,} or {n,m} at pos_.
  bool repeat_counts(std::size_t& lo, std::size_t& hi) {
    ++pos_;
    const auto n = number();
    if (!n) return false;
    lo = hi = *n;
    if (!at_end() && peek() == ',') {
      ++pos_;
      if (!at_end() && peek() == '}') {
        hi = kUnbounded;
      } else {
        const auto m = number();
        if (!m || *m < lo) return false;
        hi = *m;
      }
    }
    if (at_end() || peek() != '}') return false;
    ++pos_;
    return true;
  }

  // The byte set of an escape valid both inside and outside classes: \d \s \w \pL \p{L} \pN \p{N}, escaped
  // punctuation and \n \t \r \f \v. `wide` is set for sets holding UTF-8 runes of several bytes.
  std::optional<ByteSet> escape(bool& wide) {
    ++pos_;  // the backslash
    if (at_end()) return std::nullopt;
    const unsigned char c = peek();
    ++pos_;
    switch (c) {
      case 'd':
        return byte_range('0', '9');
      case 's': {
        ByteSet s;
        for (const unsigned char b : {'\t', '\n', '\f', '\r', ' '}) s.set(b);
        return s;
      }
      case 'w':
        return byte_range('0', '9') | byte_range('A', 'Z') | byte_range('a', 'z') | byte_range('_', '_');
      case 'p': {
        char category = 0;
        if (!at_end() && peek() == '{') {
          if (pos_ + 2 >= p_.size() || p_[pos_ + 2] != '}') return std::nullopt;
          category = p_[pos_ + 1];
          pos_ += 3;
        } else if (!at_end()) {
          category = p_[pos_++];
        }
        wide = true;
        if (category == 'L') return byte_range('A', 'Z') | byte_range('a', 'z') | byte_range(0x80, 0xFF);
        if (category == 'N') return byte_range('0', '9') | byte_range(0x80, 0xFF);
        return std::nullopt;
      }
      case 'n':
        return ByteSet().set('\n');
      case 't':
        return ByteSet().set('\t');
      case 'r':
        return ByteSet().set('\r');
      case 'f':
        return ByteSet().set('\f');
      case 'v':
        return ByteSet().set('\v');
      default:
        if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
          return ByteSet().set(c);  // escaped punctuation stands for itself
        }
        return std::nullopt;
    }
  }

  // The length of the UTF-8 sequence that starts with `lead`, or 0 when it is not a lead byte.
  static std::size_t utf8_length(unsigned char lead) {
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    if (lead >= 0xE0) return lead <= 0xEF ? 3 : 0;
    if (lead >= 0xC2) return 2;
    return 0;
  }

  std::optional<PatternShape> atom_at() {
    const unsigned char c = peek();
    switch (c) {
      case '(': {
        ++pos_;
        if (!at_end() && peek() == '?') {
          if (peek(1) == ':') {
            pos_ += 2;
          } else if (peek(1) == 'P' && peek(2) == '<') {
            const std::size_t close = p_.find('>', pos_);
            if (close == std::string_view::npos) return std::nullopt;
            pos_ = close + 1;
          } else {
            return std::nullopt;  // flags such as (?i) change what matches
          }
        }
        auto inner = alternation();
        if (!inner || at_end() || peek() != ')') return std::nullopt;
        ++pos_;
        return inner;
      }
      case '[':
        return char_class();
      case '\\': {
        const unsigned char next = peek(1);
        if (next == 'b' || next == 'B' || next == 'A' || next == 'z') {
          pos_ += 2;
          return empty_shape();  // zero-width assertions
        }
        bool wide = false;
        auto set = escape(wide);
        if (!set) return std::nullopt;
        return atom(*set, 1, wide ? 4 : 1);
      }
      case '.': {
        ++pos_;
        ByteSet all;
        all.set();
        all.reset('\n');
        return atom(all, 1, 4);
      }
      case '^':
      case '$':
        ++pos_;
        return empty_shape();
      case '*':
      case '+':
      case '?':
      case '{':
      case ')':
      case '|':
        return std::nullopt;
      default:
        break;
    }
    if (c < 0x80) {
      ++pos_;
      return atom(ByteSet().set(c), 1, 1);
    }
    // A literal UTF-8 rune: its bytes in sequence, quantified as one atom.
    const std::size_t n = utf8_length(c);
    if (n == 0 || pos_ + n > p_.size()) return std::nullopt;
    PatternShape rune = empty_shape();
    for (std::size_t i = 0; i < n; ++i) {
      const auto b = static_cast<unsigned char>(p_[pos_ + i]);
      if (i > 0 && (b & 0xC0) != 0x80) return std::nullopt;
      concatenate(rune, atom(ByteSet().set(b), 1, 1));
    }
    pos_ += n;
    return rune;
  }

  // One endpoint or member of a class: a single ASCII byte (`single`), or a set (escapes, UTF-8 runes).
  std::optional<ByteSet> class_item(bool& wide, int& single) {
    single = -1;
    const unsigned char c = peek();
    if (c == '\\') {
      auto set = escape(wide);
      if (set && set->count() == 1 && !wide) {
        for (unsigned b = 0; b < 256; ++b) {
          if (set->test(b)) single = static_cast<int>(b);
        }
      }
      return set;
    }
    if (c == '[' && peek(1) == ':') return std::nullopt;  // POSIX classes
    if (c < 0x80) {
      ++pos_;
      single = c;
      return ByteSet().set(c);
    }
    const std::size_t n = utf8_length(c);
    if (n == 0 || pos_ + n > p_.size()) return std::nullopt;
    pos_ += n;
    wide = true;
    return byte_range(0x80, 0xFF);
  }

  std::optional<PatternShape> char_class() {
    ++pos_;
    if (!at_end() && peek() == '^') return std::nullopt;  // negated classes are not modelled
    ByteSet set;
    bool wide = false;
    bool first = true;
    while (true) {
      if (at_end()) return std::nullopt;
      if (peek() == ']' && !first) break;
      first = false;
      int lo = -1;
      auto item = class_item(wide, lo);
      if (!item) return std::nullopt;
      if (!at_end() && peek() == '-' && peek(1) != ']' && pos_ + 1 < p_.size()) {
        ++pos_;
        int hi = -1;
        bool wide_hi = false;
        if (!class_item(wide_hi, hi) || lo < 0 || hi < 0 || hi < lo) return std::nullopt;
        *item = byte_range(static_cast<unsigned>(lo), static_cast<unsigned>(hi));
      }
      set |= *item;
    }
    ++pos_;  // ']'
    return atom(set, 1, wide ? 4 : 1);
  }

  std::string_view p_;
  std::size_t pos_ = 0;
};

}  // namespace

PatternShape analyse_pattern(std::string_view pattern) {
  auto shape = Parser(pattern).parse();
  if (!shape) return PatternShape{};
  shape->known = true;
  return std::move(*shape);
}

}  // namespace cairn::classifiers::detail
