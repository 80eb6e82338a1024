#include "cairn/catalog/hive_type.h"

#include <cstddef>
#include <string>
#include <unordered_set>

#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"

namespace cairn::catalog {

namespace {

// Limits: a type string is at most 131072 bytes (Glue's Column.Type limit), nests at most 100 levels of
// array/map/struct/uniontype (so hostile input cannot exhaust the stack), and a struct field name is
// 1..255 characters.
constexpr std::size_t kMaxTypeLength = 131072;
constexpr int kMaxDepth = 100;
constexpr std::size_t kMaxFieldNameLength = 255;

// Kind::Interval keeps which interval in `precision`: 0 = year to month, 1 = day to second; the canonical
// text is Hive's metastore name ("interval_year_month" / "interval_day_time").
constexpr int kIntervalYearMonth = 0;
constexpr int kIntervalDayTime = 1;

using text::lower;

// Narrower than text::is_ascii_space on purpose: \f and \v in a type string are control characters, rejected.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}
bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
bool is_type_punct(char c) {
  return c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ':' || c == '`';
}

// Quotes text taken from input for an error message: printable bytes as is, others as \xNN, cut at 40.
std::string quote_input(std::string_view s) {
  std::string out = "'";
  std::size_t n = 0;
  for (char c : s) {
    if (++n > 40) {
      out += "...";
      break;
    }
    if (is_control(c)) {
      static const char* hex = "0123456789abcdef";
      auto u = static_cast<unsigned char>(c);
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "'";
}

class TypeParser {
 public:
  TypeParser(std::string_view text, const std::string& field) : text_(text), field_(field) {}

  HiveType parse() {
    if (text_.size() > kMaxTypeLength) {
      fail_plain("type is longer than " + std::to_string(kMaxTypeLength) + " characters");
    }
    skip_ws();
    if (at_end()) fail_plain("type is empty");
    HiveType t = parse_type(0);
    skip_ws();
    if (!at_end()) fail(pos_, "unexpected " + describe_here() + " after the type");
    return t;
  }

 private:
  [[noreturn]] void fail_plain(const std::string& message) { throw_invalid(field_, message); }
  [[noreturn]] void fail(std::size_t pos, const std::string& message) {
    throw_invalid(field_, message + " at position " + std::to_string(pos));
  }

  bool at_end() const { return pos_ >= text_.size(); }
  void skip_ws() {
    while (!at_end() && is_space(text_[pos_])) ++pos_;
  }
  std::string describe_here() const {
    if (at_end()) return "end of input";
    return quote_input(text_.substr(pos_, 1));
  }

  void expect(char c, const std::string& context) {
    skip_ws();
    if (at_end() || text_[pos_] != c) {
      fail(pos_, std::string("expected '") + c + "' " + context + ", found " + describe_here());
    }
    ++pos_;
  }

  bool accept(char c) {
    skip_ws();
    if (!at_end() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::string_view read_ident() {
    std::size_t start = pos_;
    while (!at_end() && is_ident_char(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // Peeks a following identifier (after whitespace) without consuming it unless it equals `word`.
  bool accept_word(std::string_view word) {
    std::size_t save = pos_;
    skip_ws();
    if (!at_end() && is_ident_start(text_[pos_])) {
      std::string_view w = read_ident();
      if (lower(w) == word) return true;
    }
    pos_ = save;
    return false;
  }

  int read_int(const std::string& what) {
    skip_ws();
    std::size_t start = pos_;
    long value = 0;
    while (!at_end() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (pos_ - start >= 9) fail(start, what + " is too large");
      value = value * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    if (pos_ == start) fail(pos_, "expected " + what + " (a number), found " + describe_here());
    return static_cast<int>(value);
  }

  HiveType parse_type(int depth) {
    skip_ws();
    std::size_t start = pos_;
    if (at_end()) fail(pos_, "expected a type, found end of input");
    if (!is_ident_start(text_[pos_])) fail(pos_, "expected a type name, found " + describe_here());
    std::string_view raw = read_ident();
    std::string name = lower(raw);
    HiveType t;
    using K = HiveType::Kind;
    if (name == "string") {
      t.kind = K::String;
    } else if (name == "boolean") {
      t.kind = K::Boolean;
    } else if (name == "tinyint") {
      t.kind = K::TinyInt;
    } else if (name == "smallint") {
      t.kind = K::SmallInt;
    } else if (name == "int" || name == "integer") {
      t.kind = K::Int;
    } else if (name == "bigint") {
      t.kind = K::BigInt;
    } else if (name == "float") {
      t.kind = K::Float;
    } else if (name == "double") {
      t.kind = K::Double;
      accept_word("precision");
    } else if (name == "date") {
      t.kind = K::Date;
    } else if (name == "timestamp") {
      t.kind = K::Timestamp;
    } else if (name == "binary") {
      t.kind = K::Binary;
    } else if (name == "decimal") {
      parse_decimal(t);
    } else if (name == "varchar" || name == "char") {
      parse_sized_string(t, name);
    } else if (name == "interval_year_month") {
      t.kind = K::Interval;
      t.precision = kIntervalYearMonth;
    } else if (name == "interval_day_time") {
      t.kind = K::Interval;
      t.precision = kIntervalDayTime;
    } else if (name == "interval") {
      parse_interval(t, start);
    } else if (name == "array" || name == "map" || name == "struct" || name == "uniontype") {
      if (depth >= kMaxDepth) {
        fail(start, "type nests more than " + std::to_string(kMaxDepth) + " levels deep");
      }
      expect('<', "after '" + name + "'");
      if (name == "array") {
        t.kind = K::Array;
        t.children.push_back(parse_type(depth + 1));
      } else if (name == "map") {
        t.kind = K::Map;
        skip_ws();
        std::size_t key_pos = pos_;
        HiveType key = parse_type(depth + 1);
        if (is_complex(key.kind)) {
          fail(key_pos, "map key type must be a primitive type, not '" + key.to_string() + "'");
        }
        t.children.push_back(std::move(key));
        expect(',', "between the map key and value types");
        t.children.push_back(parse_type(depth + 1));
      } else if (name == "struct") {
        t.kind = K::Struct;
        parse_struct_fields(t, depth);
      } else {
        t.kind = K::UnionType;
        skip_ws();
        if (!at_end() && text_[pos_] == '>') fail(pos_, "uniontype must have at least one member type");
        do {
          t.children.push_back(parse_type(depth + 1));
        } while (accept(','));
      }
      expect('>', "to close '" + name + "<'");
    } else {
      fail(start, "unknown type " + quote_input(raw));
    }
    return t;
  }

  static bool is_complex(HiveType::Kind k) {
    return k == HiveType::Kind::Array || k == HiveType::Kind::Map || k == HiveType::Kind::Struct ||
           k == HiveType::Kind::UnionType;
  }

  void parse_decimal(HiveType& t) {
    t.kind = HiveType::Kind::Decimal;
    t.precision = 10;
    t.scale = 0;
    if (!accept('(')) return;
    skip_ws();
    std::size_t p_pos = pos_;
    t.precision = read_int("decimal precision");
    if (t.precision < 1 || t.precision > 38) {
      fail(p_pos, "decimal precision must be 1..38 (got " + std::to_string(t.precision) + ")");
    }
    if (accept(',')) {
      skip_ws();
      std::size_t s_pos = pos_;
      t.scale = read_int("decimal scale");
      if (t.scale > t.precision) {
        fail(s_pos, "decimal scale must be 0..precision (got scale " + std::to_string(t.scale) +
                        " for precision " + std::to_string(t.precision) + ")");
      }
    }
    expect(')', "to close 'decimal('");
  }

  void parse_sized_string(HiveType& t, const std::string& name) {
    bool is_varchar = name == "varchar";
    t.kind = is_varchar ? HiveType::Kind::Varchar : HiveType::Kind::Char;
    int max = is_varchar ? 65535 : 255;
    expect('(', "after '" + name + "' (its length is required)");
    skip_ws();
    std::size_t n_pos = pos_;
    t.precision = read_int(name + " length");
    if (t.precision < 1 || t.precision > max) {
      fail(n_pos,
           name + " length must be 1.." + std::to_string(max) + " (got " + std::to_string(t.precision) + ")");
    }
    expect(')', "to close '" + name + "('");
  }

  void parse_interval(HiveType& t, std::size_t start) {
    t.kind = HiveType::Kind::Interval;
    if (accept_word("year")) {
      if (accept_word("to") && accept_word("month")) {
        t.precision = kIntervalYearMonth;
        return;
      }
    } else if (accept_word("day")) {
      if (accept_word("to") && accept_word("second")) {
        t.precision = kIntervalDayTime;
        return;
      }
    }
    fail(start, "interval must be 'interval year to month' or 'interval day to second'");
  }

  void parse_struct_fields(HiveType& t, int depth) {
    std::unordered_set<std::string> seen;
    skip_ws();
    if (!at_end() && text_[pos_] == '>') fail(pos_, "struct must have at least one field");
    do {
      skip_ws();
      std::size_t name_pos = pos_;
      std::string field_name = read_field_name();
      if (!seen.insert(field_name).second) {
        fail(name_pos, "duplicate struct field name " + quote_input(field_name));
      }
      expect(':', "after struct field name " + quote_input(field_name));
      t.field_names.push_back(std::move(field_name));
      t.children.push_back(parse_type(depth + 1));
    } while (accept(','));
  }

  // A field name is either backquoted (`` `` `` stands for one backquote; any character but control
  // characters) or a run of characters other than whitespace, control characters and <>(),:`.
  // Returned lower-cased: struct field names are case-insensitive, like column names.
  std::string read_field_name() {
    std::size_t start = pos_;
    std::string name;
    if (!at_end() && text_[pos_] == '`') {
      ++pos_;
      while (true) {
        if (at_end()) fail(start, "unterminated backquoted field name");
        char c = text_[pos_];
        if (c == '`') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '`') {
            name += '`';
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        if (is_control(c)) fail(pos_, "control character in struct field name");
        name += c;
        ++pos_;
      }
    } else {
      while (!at_end()) {
        char c = text_[pos_];
        if (is_space(c) || is_control(c) || is_type_punct(c)) break;
        name += c;
        ++pos_;
      }
      if (!at_end() && is_control(text_[pos_])) fail(pos_, "control character in struct field name");
    }
    if (name.empty()) fail(start, "expected a struct field name, found " + describe_at(start));
    if (name.size() > kMaxFieldNameLength) {
      fail(start, "struct field name is longer than " + std::to_string(kMaxFieldNameLength) + " characters");
    }
    return lower(name);
  }

  std::string describe_at(std::size_t pos) const {
    if (pos >= text_.size()) return "end of input";
    return quote_input(text_.substr(pos, 1));
  }

  std::string_view text_;
  const std::string& field_;
  std::size_t pos_ = 0;
};

bool is_plain_field_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

void append_type(const HiveType& t, std::string& out) {
  using K = HiveType::Kind;
  switch (t.kind) {
    case K::Boolean:
      out += "boolean";
      return;
    case K::TinyInt:
      out += "tinyint";
      return;
    case K::SmallInt:
      out += "smallint";
      return;
    case K::Int:
      out += "int";
      return;
    case K::BigInt:
      out += "bigint";
      return;
    case K::Float:
      out += "float";
      return;
    case K::Double:
      out += "double";
      return;
    case K::Decimal:
      out += "decimal(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
      return;
    case K::String:
      out += "string";
      return;
    case K::Varchar:
      out += "varchar(" + std::to_string(t.precision) + ")";
      return;
    case K::Char:
      out += "char(" + std::to_string(t.precision) + ")";
      return;
    case K::Date:
      out += "date";
      return;
    case K::Timestamp:
      out += "timestamp";
      return;
    case K::Binary:
      out += "binary";
      return;
    case K::Interval:
      out += t.precision == kIntervalDayTime ? "interval_day_time" : "interval_year_month";
      return;
    case K::Array:
      out += "array<";
      if (!t.children.empty()) append_type(t.children[0], out);
      out += ">";
      return;
    case K::Map:
      out += "map<";
      for (std::size_t i = 0; i < t.children.size(); ++i) {
        if (i > 0) out += ",";
        append_type(t.children[i], out);
      }
      out += ">";
      return;
    case K::Struct:
      out += "struct<";
      for (std::size_t i = 0; i < t.children.size(); ++i) {
        if (i > 0) out += ",";
        const std::string& name = i < t.field_names.size() ? t.field_names[i] : std::string();
        if (is_plain_field_name(name)) {
          out += name;
        } else {
          out += '`';
          for (char c : name) {
            if (c == '`') out += '`';
            out += c;
          }
          out += '`';
        }
        out += ":";
        append_type(t.children[i], out);
      }
      out += ">";
      return;
    case K::UnionType:
      out += "uniontype<";
      for (std::size_t i = 0; i < t.children.size(); ++i) {
        if (i > 0) out += ",";
        append_type(t.children[i], out);
      }
      out += ">";
      return;
  }
}

}  // namespace

std::string HiveType::to_string() const {
  std::string out;
  append_type(*this, out);
  return out;
}

bool HiveType::is_numeric() const {
  return kind == Kind::TinyInt || kind == Kind::SmallInt || kind == Kind::Int || kind == Kind::BigInt ||
         kind == Kind::Float || kind == Kind::Double || kind == Kind::Decimal;
}

bool HiveType::is_integer() const {
  return kind == Kind::TinyInt || kind == Kind::SmallInt || kind == Kind::Int || kind == Kind::BigInt;
}

HiveType parse_hive_type(std::string_view text, const std::string& field) {
  return TypeParser(text, field).parse();
}

}  // namespace cairn::catalog
