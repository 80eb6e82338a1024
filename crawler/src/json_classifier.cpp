#include "cairn/crawler/json_classifier.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "text_sample.h"

namespace cairn::crawler {

namespace {

constexpr const char* kJsonSerDe = "org.openx.data.jsonserde.JsonSerDe";
constexpr const char* kTextInputFormat = "org.apache.hadoop.mapred.TextInputFormat";
constexpr const char* kTextOutputFormat = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
// Nesting below this depth (from the record) is typed string: Hive type strings nest at most 100 levels.
constexpr std::size_t kMaxDepth = 64;
constexpr std::size_t kMaxName = 255;
// Below this share of parsed records the sample is not JSON records.
constexpr double kMinGoodShare = 0.9;

// ---------------------------------------------------------------------------------------------------------
// The inferred type of a JSON value, merged across records.

struct JType {
  enum class K { Null, Boolean, Int, BigInt, Double, String, Struct, Array };
  K kind = K::Null;
  std::vector<std::string> keys;  // Struct: lower-cased keys, first appearance first
  std::vector<JType> fields;      // Struct: parallel to keys
  std::vector<JType> element;     // Array: the merged element type (empty until an element is seen)
  // Struct: key -> position, built once a struct has many keys (small ones are searched linearly).
  std::unordered_map<std::string, std::size_t> index;

  explicit JType(K k = K::Null) : kind(k) {}

  void make_string() {
    kind = K::String;
    keys.clear();
    fields.clear();
    index.clear();
    element.clear();
  }

  // Position of `key` among the keys, or keys.size().
  std::size_t find(const std::string& key) const {
    if (keys.size() <= kLinearKeys) {
      return static_cast<std::size_t>(std::find(keys.begin(), keys.end(), key) - keys.begin());
    }
    auto it = index.find(key);
    return it == index.end() ? keys.size() : it->second;
  }

  // Merges `value` into the field `key`, appending the field when it is new.
  void merge_field(std::string&& key, JType&& value);

  // The field `key`, appended as Null when it is new (merging into it is then merge_field).
  JType& slot(const std::string& key);

  static constexpr std::size_t kLinearKeys = 16;
};

bool is_number(JType::K k) {
  return k == JType::K::Int || k == JType::K::BigInt || k == JType::K::Double;
}

// Widening (docs/crawlers.md, "Formats: JSON"): null yields to anything; int < bigint < double; structs
// merge field by field and arrays element by element; any other disagreement (boolean vs number, struct vs
// scalar, array vs struct, anything vs string) is string.
void merge(JType& into, JType&& from) {
  using K = JType::K;
  if (from.kind == K::Null || into.kind == K::String) return;
  if (into.kind == K::Null) {
    into = std::move(from);
    return;
  }
  if (from.kind == K::String) {
    into.make_string();
    return;
  }
  if (is_number(into.kind) && is_number(from.kind)) {
    into.kind = std::max(into.kind, from.kind);
    return;
  }
  if (into.kind != from.kind) {
    into.make_string();
    return;
  }
  if (into.kind == K::Struct) {
    for (std::size_t i = 0; i < from.keys.size(); ++i)
      into.merge_field(std::move(from.keys[i]), std::move(from.fields[i]));
  } else if (into.kind == K::Array && !from.element.empty()) {
    if (into.element.empty()) {
      into.element = std::move(from.element);
    } else {
      merge(into.element[0], std::move(from.element[0]));
    }
  }
}

void JType::merge_field(std::string&& key, JType&& value) {
  std::size_t at = find(key);
  if (at < keys.size()) {
    merge(fields[at], std::move(value));
    return;
  }
  keys.push_back(std::move(key));
  fields.push_back(std::move(value));
  if (keys.size() > kLinearKeys) {
    if (index.empty()) {
      for (std::size_t i = 0; i < keys.size(); ++i) index.emplace(keys[i], i);
    } else {
      index.emplace(keys.back(), keys.size() - 1);
    }
  }
}

JType& JType::slot(const std::string& key) {
  std::size_t at = find(key);
  if (at < keys.size()) return fields[at];
  merge_field(std::string(key), JType());
  return fields.back();
}

// merge(into, JType(kind)) for a scalar kind, without building the scalar.
void merge_scalar(JType& into, JType::K kind) {
  using K = JType::K;
  if (kind == K::Null || into.kind == K::String) return;
  if (into.kind == K::Null) {
    into.kind = kind;  // a Null type has no children
  } else if (kind == K::String) {
    into.make_string();
  } else if (is_number(into.kind) && is_number(kind)) {
    into.kind = std::max(into.kind, kind);
  } else if (into.kind != kind) {
    into.make_string();
  }
}

// ---------------------------------------------------------------------------------------------------------
// JSON path

struct Step {
  enum class T { Key, Index, Wildcard };
  T type = T::Wildcard;
  std::string key;
  std::size_t index = 0;
};

[[noreturn]] void bad_path(std::string_view path, const std::string& why) {
  throw Error(ErrorCode::InvalidArgument, "invalid JSON path '" + std::string(path) + "': " + why,
              "json_path");
}

// $ then steps: .name  .*  [*]  [n]  ['name']  ["name"].
std::vector<Step> parse_path(std::string_view path) {
  std::vector<Step> steps;
  if (path.empty() || path[0] != '$') bad_path(path, "it must start with '$'");
  std::size_t i = 1;
  while (i < path.size()) {
    Step step;
    if (path[i] == '.') {
      ++i;
      if (i < path.size() && path[i] == '*') {
        ++i;
      } else {
        std::size_t start = i;
        while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
        if (i == start) bad_path(path, "a '.' must be followed by a name or '*'");
        step.type = Step::T::Key;
        step.key = std::string(path.substr(start, i - start));
      }
    } else if (path[i] == '[') {
      ++i;
      if (i < path.size() && path[i] == '*') {
        ++i;
      } else if (i < path.size() && (path[i] == '\'' || path[i] == '"')) {
        char q = path[i++];
        std::size_t start = i;
        while (i < path.size() && path[i] != q) ++i;
        if (i >= path.size()) bad_path(path, "unterminated quoted name");
        step.type = Step::T::Key;
        step.key = std::string(path.substr(start, i - start));
        ++i;
      } else {
        std::size_t start = i;
        std::size_t n = 0;
        while (i < path.size() && path[i] >= '0' && path[i] <= '9') {
          if (n > (SIZE_MAX - 9) / 10) bad_path(path, "array index too large");
          n = n * 10 + static_cast<std::size_t>(path[i] - '0');
          ++i;
        }
        if (i == start) bad_path(path, "expected '*', an index or a quoted name after '['");
        step.type = Step::T::Index;
        step.index = n;
      }
      if (i >= path.size() || path[i] != ']') bad_path(path, "expected ']'");
      ++i;
    } else {
      bad_path(path, "unexpected '" + std::string(1, path[i]) + "'");
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------------------
// Fast path. nlohmann_json's SAX parser costs more than typing the records; most samples are plain ASCII
// records, which this checks and splits into the events that parser would report. Anything outside that
// subset (non-ASCII bytes, \u escapes, escaped keys, long numbers, any syntax error) returns false and
// the value goes to nlohmann_json, so its acceptance and errors stay the reference.

struct Event {
  enum class Type : std::uint8_t { Scalar, Key, StartObject, StartArray, End } type = Type::Scalar;
  JType::K kind = JType::K::Null;  // Scalar
  std::string_view key;            // Key: the raw key (no escapes)
};

// The kind nlohmann_json gives the number token `t` (JSON number grammar already checked): an integer that
// fits int64 (negative) or uint64 (otherwise) is reported as such, anything else as a double.
JType::K number_kind(std::string_view t, bool is_float) {
  if (is_float) return JType::K::Double;
  if (t[0] == '-') {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || ptr != t.data() + t.size()) return JType::K::Double;  // overflow: a double
    return v >= INT32_MIN ? JType::K::Int : JType::K::BigInt;
  }
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size()) return JType::K::Double;
  if (v <= static_cast<std::uint64_t>(INT32_MAX)) return JType::K::Int;
  if (v <= static_cast<std::uint64_t>(INT64_MAX)) return JType::K::BigInt;
  return JType::K::Double;
}

// The longest number token the fast path takes, and the most exponent digits: within them every double is
// finite (nlohmann_json rejects a number that overflows to infinity).
constexpr std::size_t kMaxFastNumber = 32;
constexpr std::size_t kMaxFastExponentDigits = 2;
// Events of a typical record (a few dozen fields): reserved once per sample.
constexpr std::size_t kEventsReserve = 128;

// Splits `s`, one JSON object or array and nothing else, into `events`; false when `s` is outside the fast
// path's subset or not valid JSON. `stack` is scratch space.
bool fast_events(std::string_view s, std::vector<Event>& events, std::vector<char>& stack) {
  events.clear();
  stack.clear();
  const std::size_t n = s.size();
  std::size_t i = 0;
  auto ws = [&] {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  // A string at s[i] == '"': moves past it; `escaped` tells whether it held an escape.
  auto string_token = [&](bool& escaped) {
    escaped = false;
    for (++i; i < n; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"') {
        ++i;
        return true;
      }
      if (c < 0x20 || c >= 0x80) return false;
      if (c == '\\') {
        if (i + 1 >= n) return false;
        const char e = s[i + 1];
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't')
          return false;
        escaped = true;
        ++i;
      }
    }
    return false;
  };
  auto literal = [&](std::string_view word) {
    if (s.substr(i, word.size()) != word) return false;
    i += word.size();
    return true;
  };
  enum class Next { Value, Key, AfterValue };
  Next next = Next::Value;
  while (true) {
    if (next == Next::Value) {
      if (i >= n) return false;
      const char c = s[i];
      if (c == '{' || c == '[') {
        const bool object = c == '{';
        stack.push_back(c);
        events.push_back(Event{object ? Event::Type::StartObject : Event::Type::StartArray, {}, {}});
        ++i;
        ws();
        if (i < n && s[i] == (object ? '}' : ']')) {
          stack.pop_back();
          events.push_back(Event{Event::Type::End, {}, {}});
          ++i;
          next = Next::AfterValue;
        } else {
          next = object ? Next::Key : Next::Value;
        }
        continue;
      }
      JType::K kind;
      if (c == '"') {
        bool escaped = false;
        if (!string_token(escaped)) return false;
        kind = JType::K::String;
      } else if (c == 't' || c == 'f') {
        if (!literal(c == 't' ? "true" : "false")) return false;
        kind = JType::K::Boolean;
      } else if (c == 'n') {
        if (!literal("null")) return false;
        kind = JType::K::Null;
      } else if (c == '-' || is_digit(c)) {
        const std::size_t start = i;
        if (s[i] == '-') ++i;
        if (i < n && s[i] == '0') {
          ++i;
        } else if (i < n && is_digit(s[i])) {
          while (i < n && is_digit(s[i])) ++i;
        } else {
          return false;
        }
        bool is_float = false;
        if (i < n && s[i] == '.') {
          ++i;
          const std::size_t digits = i;
          while (i < n && is_digit(s[i])) ++i;
          if (i == digits) return false;
          is_float = true;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
          ++i;
          if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
          const std::size_t digits = i;
          while (i < n && is_digit(s[i])) ++i;
          if (i == digits || i - digits > kMaxFastExponentDigits) return false;
          is_float = true;
        }
        if (i - start > kMaxFastNumber) return false;
        kind = number_kind(s.substr(start, i - start), is_float);
      } else {
        return false;
      }
      events.push_back(Event{Event::Type::Scalar, kind, {}});
      next = Next::AfterValue;
      continue;
    }
    if (next == Next::Key) {
      if (i >= n || s[i] != '"') return false;
      const std::size_t start = i;
      bool escaped = false;
      if (!string_token(escaped) || escaped) return false;  // an escaped key needs decoding: nlohmann_json
      events.push_back(Event{Event::Type::Key, {}, s.substr(start + 1, i - start - 2)});
      ws();
      if (i >= n || s[i] != ':') return false;
      ++i;
      ws();
      next = Next::Value;
      continue;
    }
    // After a value: the end of the input, or a separator or the end of the enclosing container.
    ws();
    if (stack.empty()) return i == n;
    if (i >= n) return false;
    const bool object = stack.back() == '{';
    if (s[i] == ',') {
      ++i;
      ws();
      next = object ? Next::Key : Next::Value;
    } else if (s[i] == (object ? '}' : ']')) {
      stack.pop_back();
      events.push_back(Event{Event::Type::End, {}, {}});
      ++i;
    } else {
      return false;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// SAX handler: follows the path through each top-level value and types every record found at its end.

struct Tally {
  std::size_t records = 0;      // objects found at the path
  std::size_t non_objects = 0;  // other values found at the path (they cannot be rows)
};

class RecordCollector {
 public:
  RecordCollector(const std::vector<Step>& path, JType& merged, Tally& tally)
      : path_(path), merged_(merged), tally_(tally) {}

  bool null() { return scalar(JType::K::Null); }
  bool boolean(bool) { return scalar(JType::K::Boolean); }
  bool number_integer(nlohmann::json::number_integer_t v) {
    return scalar(v >= INT32_MIN && v <= INT32_MAX ? JType::K::Int : JType::K::BigInt);
  }
  bool number_unsigned(nlohmann::json::number_unsigned_t v) {
    if (v <= static_cast<nlohmann::json::number_unsigned_t>(INT32_MAX)) return scalar(JType::K::Int);
    if (v <= static_cast<nlohmann::json::number_unsigned_t>(INT64_MAX)) return scalar(JType::K::BigInt);
    return scalar(JType::K::Double);  // above bigint: the next step of the widening chain
  }
  bool number_float(nlohmann::json::number_float_t, const std::string&) { return scalar(JType::K::Double); }
  bool string(std::string&) { return scalar(JType::K::String); }
  bool binary(nlohmann::json::binary_t&) { return scalar(JType::K::String); }
  bool start_object(std::size_t) { return open(JType::K::Struct); }
  bool start_array(std::size_t) { return open(JType::K::Array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    set_key(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception&) {
    failed_ = true;
    return false;
  }

  bool failed() const { return failed_; }

  /// Feeds the events of one checked value (fast_events), to the same result as nlohmann_json's events of
  /// it. An object record is merged into the result as its events come instead of being typed on its own
  /// first: merging is associative (a join of types), and a checked value cannot fail half-way.
  void replay(const std::vector<Event>& events) {
    for (const Event& e : events) {
      if (!stream_.empty()) {
        stream(e);
        continue;
      }
      switch (e.type) {
        case Event::Type::Scalar:
          scalar(e.kind);
          break;
        case Event::Type::Key:
          set_key(e.key);
          break;
        case Event::Type::StartObject:
          if (!capturing_ && at_record()) {
            ++tally_.records;
            if (merged_.kind == JType::K::Null) merged_ = JType(JType::K::Struct);
            stream_.push_back(&merged_);
          } else {
            open(JType::K::Struct);
          }
          break;
        case Event::Type::StartArray:
          open(JType::K::Array);
          break;
        case Event::Type::End:
          close();
          break;
      }
    }
  }

  /// Forgets any half-read value (after a parse error) before the next top-level value.
  void reset() {
    stream_.clear();
    frames_.clear();
    build_.clear();
    capturing_ = false;
    opaque_ = 0;
    failed_ = false;
  }

 private:
  struct Frame {
    bool is_object = false;
    int matched = 0;  // path steps matched by this container's position, -1 when off the path
    std::string key;
    std::size_t index = 0;
  };
  struct Build {
    JType node;
    std::string pending_key;
  };

  // The slot of the value about to start inside the container `parent` of the merged type.
  JType& child_slot(JType& parent) {
    if (parent.kind == JType::K::Struct) return parent.slot(stream_key_);
    if (parent.element.empty()) parent.element.emplace_back();
    return parent.element[0];
  }

  // One event inside an object record being merged (stream_: the containers open in it, the record
  // first; null where the value is absorbed: its slot is string, or it nests too deep).
  void stream(const Event& e) {
    JType* parent = stream_.back();
    switch (e.type) {
      case Event::Type::Key:
        if (parent) {
          stream_key_.assign(e.key);
          for (char& c : stream_key_) c = catalog::text::ascii_lower(c);
        }
        return;
      case Event::Type::Scalar:
        if (parent) merge_scalar(child_slot(*parent), e.kind);
        return;
      case Event::Type::StartObject:
      case Event::Type::StartArray: {
        const JType::K kind = e.type == Event::Type::StartObject ? JType::K::Struct : JType::K::Array;
        if (!parent) {
          stream_.push_back(nullptr);
          return;
        }
        JType& slot = child_slot(*parent);
        if (stream_.size() >= kMaxDepth) {  // too deep to type: string (as the capture does)
          merge_scalar(slot, JType::K::String);
          stream_.push_back(nullptr);
        } else if (slot.kind == JType::K::Null || slot.kind == kind) {
          slot.kind = kind;
          stream_.push_back(&slot);
        } else {
          slot.make_string();
          stream_.push_back(nullptr);
        }
        return;
      }
      case Event::Type::End:
        stream_.pop_back();
        if (stream_.empty()) value_done();  // the record ended
        return;
    }
  }

  void set_key(std::string_view k) {
    if (capturing_) {
      if (opaque_ == 0) build_.back().pending_key = text::ascii_lower(k);
    } else {
      frames_.back().key.assign(k);
    }
  }

  // How many path steps the position of the value about to start matches (-1: off the path).
  int matched_here() const {
    if (frames_.empty()) return 0;  // the top-level value is "$"
    const Frame& f = frames_.back();
    if (f.matched < 0 || static_cast<std::size_t>(f.matched) >= path_.size()) return -1;
    const Step& s = path_[static_cast<std::size_t>(f.matched)];
    bool ok = s.type == Step::T::Wildcard || (f.is_object ? (s.type == Step::T::Key && s.key == f.key)
                                                          : (s.type == Step::T::Index && s.index == f.index));
    return ok ? f.matched + 1 : -1;
  }

  bool at_record() const {
    int m = matched_here();
    return m >= 0 && static_cast<std::size_t>(m) == path_.size();
  }

  void value_done() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
  }

  void deliver(JType&& record) {
    if (record.kind == JType::K::Struct) {
      ++tally_.records;
      if (merged_.kind == JType::K::Null) merged_ = JType(JType::K::Struct);
      merge(merged_, std::move(record));
    } else {
      ++tally_.non_objects;
    }
    capturing_ = false;
    value_done();
  }

  void attach(JType&& node) {
    Build& parent = build_.back();
    if (parent.node.kind == JType::K::Struct) {
      parent.node.merge_field(std::move(parent.pending_key), std::move(node));
      parent.pending_key.clear();
    } else if (parent.node.element.empty()) {
      parent.node.element.push_back(std::move(node));
    } else {
      merge(parent.node.element[0], std::move(node));
    }
  }

  bool scalar(JType::K kind) {
    if (capturing_) {
      if (opaque_ == 0) attach(JType(kind));
      return true;
    }
    if (at_record()) {
      deliver(JType(kind));
    } else {
      value_done();
    }
    return true;
  }

  bool open(JType::K kind) {
    if (capturing_) {
      if (opaque_ > 0 || build_.size() >= kMaxDepth) {
        ++opaque_;
      } else {
        build_.push_back(Build{JType(kind), {}});
      }
      return true;
    }
    if (at_record()) {
      capturing_ = true;
      build_.push_back(Build{JType(kind), {}});
      return true;
    }
    frames_.push_back(Frame{kind == JType::K::Struct, matched_here(), {}, 0});
    return true;
  }

  bool close() {
    if (capturing_) {
      if (opaque_ > 0) {
        if (--opaque_ == 0) attach(JType(JType::K::String));  // too deep to type: string
        return true;
      }
      JType node = std::move(build_.back().node);
      build_.pop_back();
      if (build_.empty()) {
        deliver(std::move(node));
      } else {
        attach(std::move(node));
      }
      return true;
    }
    frames_.pop_back();
    value_done();
    return true;
  }

  const std::vector<Step>& path_;
  JType& merged_;
  Tally& tally_;
  std::vector<Frame> frames_;  // containers around the current position, outside a record
  std::vector<Build> build_;   // containers of the record being typed
  bool capturing_ = false;
  std::size_t opaque_ = 0;  // nesting inside a container below kMaxDepth
  bool failed_ = false;
  std::vector<JType*> stream_;  // replay: containers of the object record being merged (null: absorbed)
  std::string stream_key_;      // replay: the lower-cased key of the value about to start
};

// ---------------------------------------------------------------------------------------------------------
// Framing: where each top-level value of the sample ends (NDJSON lines, concatenated or pretty-printed
// objects, one big array). Only brackets and strings are tracked; nlohmann_json parses each value.

constexpr std::size_t kUnclosed = std::string_view::npos;

std::size_t value_end(std::string_view s, std::size_t start) {
  char first = s[start];
  if (first == '{' || first == '[') {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = start; i < s.size(); ++i) {
      char c = s[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return kUnclosed;
  }
  if (first == '"') {
    for (std::size_t i = start + 1; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '"') {
        return i + 1;
      }
    }
    return kUnclosed;
  }
  std::size_t i = start;
  while (i < s.size() && !text::is_space(s[i]) && s[i] != '{' && s[i] != '[') ++i;
  return i;
}

// ---------------------------------------------------------------------------------------------------------
// Names and Hive types

// A JSON key as a column or struct field name: characters the catalog rejects (, : < > ` and control
// characters) become '_', outer white space is dropped, at most 255 bytes (cut on a UTF-8 boundary).
std::string sanitize_key(std::string_view key) {
  std::string out;
  for (char c : text::trim(key)) {
    auto u = static_cast<unsigned char>(c);
    bool bad = u < 0x20 || u == 0x7f || c == ',' || c == ':' || c == '<' || c == '>' || c == '`';
    out += bad ? '_' : c;
  }
  if (out.size() > kMaxName) {
    std::size_t cut = kMaxName;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

// Names for the keys of one struct: sanitised, empty ones col<i>, repeats suffixed _<n>. Records a
// JsonSerDe mapping (name -> JSON key) for every name that differs from its key.
std::vector<std::string> field_names(const std::vector<std::string>& keys,
                                     std::map<std::string, std::string>& mappings) {
  std::vector<std::string> names;
  std::set<std::string> used;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::string name = sanitize_key(keys[i]);
    if (name.empty()) name = "col" + std::to_string(i);
    std::string base = name;
    for (int k = 1; used.count(name) > 0; ++k) name = base + "_" + std::to_string(k);
    used.insert(name);
    if (name != keys[i]) mappings.emplace("mapping." + name, keys[i]);
    names.push_back(std::move(name));
  }
  return names;
}

catalog::HiveType to_hive(const JType& t, std::map<std::string, std::string>& mappings) {
  using HK = catalog::HiveType::Kind;
  catalog::HiveType h;
  switch (t.kind) {
    case JType::K::Null:
    case JType::K::String:
      h.kind = HK::String;
      break;
    case JType::K::Boolean:
      h.kind = HK::Boolean;
      break;
    case JType::K::Int:
      h.kind = HK::Int;
      break;
    case JType::K::BigInt:
      h.kind = HK::BigInt;
      break;
    case JType::K::Double:
      h.kind = HK::Double;
      break;
    case JType::K::Array:
      h.kind = HK::Array;
      h.children.push_back(t.element.empty() ? catalog::HiveType{} : to_hive(t.element[0], mappings));
      break;
    case JType::K::Struct:
      if (t.keys.empty()) {  // only {} seen: Hive has no empty struct
        h.kind = HK::String;
        break;
      }
      h.kind = HK::Struct;
      h.field_names = field_names(t.keys, mappings);
      for (const JType& f : t.fields) h.children.push_back(to_hive(f, mappings));
      break;
  }
  return h;
}

}  // namespace

std::optional<FileSchema> classify_json(std::string_view sample, const JsonOptions& options) {
  std::string_view body = text::strip_utf8_bom(sample);
  std::string_view content = text::trim(body);
  if (content.empty() || (content.front() != '{' && content.front() != '[')) return std::nullopt;
  if (text::looks_binary(body)) return std::nullopt;

  std::string path_text = options.json_path;
  if (path_text.empty()) path_text = content.front() == '[' ? "$[*]" : "$";
  const std::vector<Step> path = parse_path(path_text);

  JType merged;
  Tally tally;
  std::size_t bad = 0;  // top-level values that failed to parse (not counting a sample's cut tail)
  RecordCollector collector(path, merged, tally);
  std::vector<Event> events;
  events.reserve(kEventsReserve);
  std::vector<char> stack;
  std::size_t pos = 0;
  while (true) {
    while (pos < body.size() && text::is_space(body[pos])) ++pos;
    if (pos >= body.size()) break;
    std::size_t end = value_end(body, pos);
    bool unclosed = end == kUnclosed;
    std::string_view chunk = body.substr(pos, unclosed ? std::string_view::npos : end - pos);
    collector.reset();
    if (fast_events(chunk, events, stack)) {
      collector.replay(events);
    } else {
      collector.reset();
      nlohmann::json::sax_parse(chunk.begin(), chunk.end(), &collector);
    }
    // A value cut by the end of a truncated sample is expected: the records completed before the cut were
    // already typed. Any other failure is malformed data.
    if (collector.failed() && !(unclosed && options.truncated)) ++bad;
    if (unclosed) break;
    pos = end;
  }

  std::size_t good = tally.records;
  std::size_t failures = bad + tally.non_objects;
  if (good == 0 || merged.keys.empty()) return std::nullopt;
  double share = static_cast<double>(good) / static_cast<double>(good + failures);
  if (share < kMinGoodShare) return std::nullopt;

  FileSchema fs;
  fs.classification = "json";
  std::map<std::string, std::string> mappings;
  std::vector<std::string> names = field_names(merged.keys, mappings);
  std::string paths;
  for (std::size_t i = 0; i < names.size(); ++i) {
    catalog::Column column;
    column.name = names[i];
    column.type = to_hive(merged.fields[i], mappings).to_string();
    fs.columns.push_back(std::move(column));
    if (!paths.empty()) paths += ',';
    paths += names[i];
  }
  fs.record_count = static_cast<std::int64_t>(good);
  fs.record_count_exact = !options.truncated && failures == 0;
  fs.serialization_library = kJsonSerDe;
  fs.input_format = kTextInputFormat;
  fs.output_format = kTextOutputFormat;
  fs.serde_parameters["paths"] = paths;
  for (auto& [key, value] : mappings) fs.serde_parameters[key] = value;
  if (!options.json_path.empty()) fs.parameters["jsonPath"] = options.json_path;
  fs.certainty = failures == 0 ? 1.0 : share;
  return fs;
}

}  // namespace cairn::crawler
