#include "cairn/crawler/glob.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "cairn/catalog/error.h"
#include "cairn/catalog/names.h"

namespace cairn::crawler {

namespace {

constexpr std::size_t kMaxAlternatives = 4096;
constexpr std::size_t kMaxNesting = 32;
constexpr std::int64_t kRe2MaxMem = 64 << 20;

struct Node;
using Seq = std::vector<Node>;

struct Node {
  enum class Kind { Char, Any, Star, GlobStar, Class, Group };
  Kind kind = Kind::Char;
  char32_t ch = 0;
  bool negated = false;
  std::vector<std::pair<char32_t, char32_t>> ranges;  // Class
  std::vector<Seq> alternatives;                      // Group
};

// The code point at `i` of valid UTF-8 `s`, advancing `i` past it.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = byte(i);
  std::size_t n = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
  char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1f) : n == 3 ? (b & 0x0f) : (b & 0x07);
  for (std::size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (byte(i + k) & 0x3f);
  i += n;
  return cp;
}

class Parser {
 public:
  Parser(std::string_view pattern, std::string field) : p_(pattern), field_(std::move(field)) {}

  Seq parse() {
    if (p_.empty()) fail("the pattern is empty");
    if (!catalog::is_valid_utf8(p_)) fail("the pattern is not valid UTF-8");
    if (p_.front() == '/') {
      fail(
          "the pattern starts with '/': exclusions are relative to the target's root (write 'logs/**', "
          "not '/logs/**')");
    }
    return sequence(0);
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw_invalid(field_, "invalid exclusion pattern '" + std::string(p_) + "': " + why);
  }

  Seq sequence(std::size_t depth) {
    Seq seq;
    while (i_ < p_.size()) {
      char c = p_[i_];
      if (depth > 0 && (c == ',' || c == '}')) return seq;
      Node node;
      if (c == '\\') {
        ++i_;
        if (i_ >= p_.size()) fail("it ends with a '\\' that escapes nothing");
        node.ch = next_code_point(p_, i_);
      } else if (c == '*') {
        std::size_t stars = 0;
        while (i_ < p_.size() && p_[i_] == '*') ++i_, ++stars;
        node.kind = stars >= 2 ? Node::Kind::GlobStar : Node::Kind::Star;
      } else if (c == '?') {
        ++i_;
        node.kind = Node::Kind::Any;
      } else if (c == '[') {
        node = bracket();
      } else if (c == '{') {
        node = group(depth);
      } else {
        node.ch = next_code_point(p_, i_);
      }
      seq.push_back(std::move(node));
    }
    if (depth > 0) fail("a '{' is never closed by '}'");
    return seq;
  }

  // [set] or [!set]: one character (never '/'); a ']' or '-' first is literal, as are '*', '?' and '\'.
  Node bracket() {
    std::size_t open = i_++;
    Node node;
    node.kind = Node::Kind::Class;
    if (i_ < p_.size() && p_[i_] == '!') {
      node.negated = true;
      ++i_;
    }
    bool first = true;
    while (true) {
      if (i_ >= p_.size())
        fail("the '[' at position " + std::to_string(open + 1) + " is never closed by ']'");
      if (p_[i_] == ']' && !first) {
        ++i_;
        return node;
      }
      first = false;
      char32_t lo = next_code_point(p_, i_);
      char32_t hi = lo;
      if (i_ + 1 < p_.size() && p_[i_] == '-' && p_[i_ + 1] != ']') {
        ++i_;
        hi = next_code_point(p_, i_);
        if (hi < lo) fail("the range in the '[' at position " + std::to_string(open + 1) + " runs backwards");
      }
      if (lo <= '/' && '/' <= hi) {
        fail("a '[...]' cannot match '/': brackets match one character within a path segment");
      }
      node.ranges.emplace_back(lo, hi);
    }
  }

  // {a,b,...}: any of the alternatives; they may nest.
  Node group(std::size_t depth) {
    if (depth >= kMaxNesting) fail("braces nest more than " + std::to_string(kMaxNesting) + " deep");
    ++i_;
    Node node;
    node.kind = Node::Kind::Group;
    while (true) {
      node.alternatives.push_back(sequence(depth + 1));
      // sequence() returns at ',' or '}' (it fails at the end of the pattern).
      char c = p_[i_++];
      if (c == '}') return node;
    }
  }

  std::string_view p_;
  std::string field_;
  std::size_t i_ = 0;
};

void append_code_point(std::string& out, char32_t cp) {
  bool plain = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  if (plain) {
    out += static_cast<char>(cp);
    return;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\x{%x}", static_cast<unsigned>(cp));
  out += buf;
}

void to_regex(const Seq& seq, std::string& out) {
  for (const Node& node : seq) {
    switch (node.kind) {
      case Node::Kind::Char:
        append_code_point(out, node.ch);
        break;
      case Node::Kind::Any:
        out += "[^/]";
        break;
      case Node::Kind::Star:
        out += "[^/]*";
        break;
      case Node::Kind::GlobStar:
        out += ".*";
        break;
      case Node::Kind::Class:
        out += node.negated ? "[^/" : "[";
        for (auto [lo, hi] : node.ranges) {
          append_code_point(out, lo);
          if (hi != lo) {
            out += '-';
            append_code_point(out, hi);
          }
        }
        out += ']';
        break;
      case Node::Kind::Group:
        out += "(?:";
        for (std::size_t k = 0; k < node.alternatives.size(); ++k) {
          if (k > 0) out += '|';
          to_regex(node.alternatives[k], out);
        }
        out += ')';
        break;
    }
  }
}

// The brace-free sequences `seq` stands for, appended to `out`; false when there would be more than
// kMaxAlternatives.
bool expand(const Seq& seq, Seq prefix, std::vector<Seq>& out) {
  for (std::size_t k = 0; k < seq.size(); ++k) {
    if (seq[k].kind != Node::Kind::Group) {
      prefix.push_back(seq[k]);
      continue;
    }
    for (const Seq& alternative : seq[k].alternatives) {
      Seq rest = alternative;
      rest.insert(rest.end(), seq.begin() + static_cast<std::ptrdiff_t>(k) + 1, seq.end());
      if (!expand(rest, prefix, out)) return false;
    }
    return true;
  }
  if (out.size() >= kMaxAlternatives) return false;
  out.push_back(std::move(prefix));
  return true;
}

bool class_matches(const Node& node, char32_t c) {
  if (c == '/') return false;
  bool in = std::any_of(node.ranges.begin(), node.ranges.end(),
                        [c](const auto& r) { return r.first <= c && c <= r.second; });
  return in != node.negated;
}

// Adds to `states` the positions reachable without consuming a character (skipping a '*' or '**').
void close(const Seq& seq, std::vector<bool>& states) {
  for (std::size_t p = 0; p < seq.size(); ++p) {
    bool star = seq[p].kind == Node::Kind::Star || seq[p].kind == Node::Kind::GlobStar;
    if (states[p] && star) states[p + 1] = true;
  }
}

// True when brace-free `seq` matches `prefix` followed by every non-empty string.
bool covers_everything_after(const Seq& seq, const std::vector<char32_t>& prefix) {
  std::vector<bool> states(seq.size() + 1, false);
  states[0] = true;
  close(seq, states);
  for (char32_t c : prefix) {
    std::vector<bool> next(seq.size() + 1, false);
    bool any = false;
    for (std::size_t p = 0; p < seq.size(); ++p) {
      if (!states[p]) continue;
      const Node& node = seq[p];
      bool stay = false;
      bool advance = false;
      switch (node.kind) {
        case Node::Kind::Char:
          advance = node.ch == c;
          break;
        case Node::Kind::Any:
          advance = c != '/';
          break;
        case Node::Kind::Class:
          advance = class_matches(node, c);
          break;
        case Node::Kind::Star:
          stay = c != '/';
          break;
        case Node::Kind::GlobStar:
          stay = true;
          break;
        case Node::Kind::Group:
          break;  // expanded away
      }
      if (stay) next[p] = any = true;
      if (advance) next[p + 1] = any = true;
    }
    if (!any) return false;
    states = std::move(next);
    close(seq, states);
  }
  for (std::size_t p = 0; p < seq.size(); ++p) {
    if (!states[p]) continue;
    bool globstar = false;
    bool only_stars = true;
    for (std::size_t q = p; q < seq.size(); ++q) {
      if (seq[q].kind == Node::Kind::GlobStar) {
        globstar = true;
      } else if (seq[q].kind != Node::Kind::Star) {
        only_stars = false;
        break;
      }
    }
    if (only_stars && globstar) return true;
  }
  return false;
}

}  // namespace

struct GlobSet::Impl {
  std::vector<std::string> patterns;
  std::unique_ptr<RE2::Set> set;
  // Each pattern alone: used when the set's DFA runs out of memory, and to find the first match.
  std::vector<std::unique_ptr<RE2>> each;
  // Each pattern's brace-free expansions (empty when too many) for prunes_directory.
  std::vector<std::vector<Seq>> expanded;
};

GlobSet::GlobSet() : GlobSet(std::make_shared<Impl>()) {}

GlobSet::GlobSet(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

GlobSet GlobSet::create(const std::vector<std::string>& patterns) {
  auto impl = std::make_shared<Impl>();
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(true);
  options.set_max_mem(kRe2MaxMem);
  impl->set = std::make_unique<RE2::Set>(options, RE2::ANCHOR_BOTH);
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    std::string field = "exclusions[" + std::to_string(i) + "]";
    Seq seq = Parser(patterns[i], field).parse();
    std::string regex;
    to_regex(seq, regex);
    std::string error;
    if (impl->set->Add(regex, &error) < 0) {
      throw_invalid(field, "invalid exclusion pattern '" + patterns[i] + "': " + error);
    }
    impl->each.push_back(std::make_unique<RE2>("^(?:" + regex + ")$", options));
    std::vector<Seq> alternatives;
    if (!expand(seq, {}, alternatives)) alternatives.clear();
    impl->expanded.push_back(std::move(alternatives));
    impl->patterns.push_back(patterns[i]);
  }
  if (!patterns.empty() && !impl->set->Compile()) {
    throw_invalid("exclusions", "the exclusion patterns are too large to compile together");
  }
  return GlobSet(std::move(impl));
}

bool GlobSet::empty() const {
  return impl_->patterns.empty();
}

std::optional<std::size_t> GlobSet::first_match(std::string_view relative_path) const {
  if (empty()) return std::nullopt;
  re2::StringPiece text(relative_path.data(), relative_path.size());
  std::vector<int> hits;
  RE2::Set::ErrorInfo info{};
  if (impl_->set->Match(text, &hits, &info)) {
    return static_cast<std::size_t>(*std::min_element(hits.begin(), hits.end()));
  }
  if (info.kind == RE2::Set::kNoError) return std::nullopt;
  for (std::size_t i = 0; i < impl_->each.size(); ++i) {  // the set's DFA gave up: one pattern at a time
    if (RE2::FullMatch(text, *impl_->each[i])) return i;
  }
  return std::nullopt;
}

bool GlobSet::excluded(std::string_view relative_path) const {
  return first_match(relative_path).has_value();
}

bool GlobSet::prunes_directory(std::string_view relative_dir) const {
  if (empty()) return false;
  if (!relative_dir.empty() && relative_dir.back() == '/') relative_dir.remove_suffix(1);
  if (!catalog::is_valid_utf8(relative_dir)) return false;
  std::vector<char32_t> prefix;
  for (std::size_t i = 0; i < relative_dir.size();) prefix.push_back(next_code_point(relative_dir, i));
  if (!relative_dir.empty()) prefix.push_back('/');
  for (const std::vector<Seq>& alternatives : impl_->expanded) {
    for (const Seq& seq : alternatives) {
      if (covers_everything_after(seq, prefix)) return true;
    }
  }
  return false;
}

}  // namespace cairn::crawler
