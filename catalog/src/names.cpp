#include "cairn/catalog/names.h"

#include <cstdint>

#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"

namespace cairn::catalog {

// Naming rules (stricter than Glue, which accepts almost any single-line string, so that every name is usable
// unquoted in Hive, Spark, Trino and Athena SQL and in paths):
//  - database and table names: 1..255 characters; ASCII lower-cased; then [a-z0-9_][a-z0-9_-]*.
//  - column names (and partition keys, bucket columns): 1..255 characters of valid UTF-8; ASCII lower-cased;
//  any
//    printable character except , : < > ` (they would break Hive type strings) and no control characters, no
//    leading or trailing whitespace.
//  - principal names: IAM's [A-Za-z0-9_+=,.@-]{1,64}, case preserved.
//  - catalog ids: exactly 12 ASCII digits.

namespace {

constexpr std::size_t kMaxNameLength = 255;
constexpr std::size_t kMaxPrincipalNameLength = 64;

using text::ascii_lower;
using text::is_ascii_space;

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

// "database_name" -> "database name", "storage_descriptor.columns[2].name" -> "name".
std::string what_from_field(std::string_view field) {
  std::size_t dot = field.rfind('.');
  std::string_view last = dot == std::string_view::npos ? field : field.substr(dot + 1);
  std::size_t bracket = last.find('[');
  if (bracket != std::string_view::npos) last = last.substr(0, bracket);
  std::string out(last);
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  if (out.empty()) out = "name";
  if (out.find("name") == std::string::npos) out += " name";
  return out;
}

// Length of the UTF-8 sequence starting at text[i] if it is well-formed, else 0.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    unsigned char cc = byte(i + k);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;  // overlong
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  // ASCII runs (nearly all text here) need no decoding.
  std::size_t i = 0;
  while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) ++i;
  for (; i < text.size();) {
    std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++count;
  }
  return count;
}

std::string quote_for_message(std::string_view text) {
  static const char* hex = "0123456789abcdef";
  std::string out = "'";
  std::size_t i = 0;
  while (i < text.size()) {
    if (i >= 64) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = utf8_sequence_length(text, i);
    if (n == 0 || is_control(c)) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out + "'";
}

std::string normalize_entity_name(std::string_view field, std::string_view name) {
  return normalize_entity_name(field, name, what_from_field(field));
}

std::string normalize_entity_name(std::string_view field, std::string_view name, std::string_view what) {
  std::string f(field);
  std::string w(what);
  if (name.empty()) throw_invalid(f, w + " must not be empty");
  if (name.size() > kMaxNameLength) {
    throw_invalid(f, w + " must be at most 255 characters (got " + std::to_string(utf8_length(name)) + ")");
  }
  std::string out(name);
  for (char& c : out) {
    c = ascii_lower(c);
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      throw_invalid(f, w + " " + quote_for_message(name) + " may contain only letters, digits, '_' and '-'");
    }
  }
  if (out[0] == '-') {
    throw_invalid(f, w + " " + quote_for_message(name) + " must start with a letter, a digit or '_'");
  }
  return out;
}

std::string normalize_column_name(std::string_view field, std::string_view name) {
  std::string f(field);
  std::string w = what_from_field(field);
  if (w == "name") w = "column name";
  if (name.empty()) throw_invalid(f, w + " must not be empty");
  if (!is_valid_utf8(name)) throw_invalid(f, w + " " + quote_for_message(name) + " is not valid UTF-8");
  std::size_t length = utf8_length(name);
  if (length > kMaxNameLength) {
    throw_invalid(f, w + " must be at most 255 characters (got " + std::to_string(length) + ")");
  }
  if (is_ascii_space(name.front()) || is_ascii_space(name.back())) {
    throw_invalid(f, w + " " + quote_for_message(name) + " must not start or end with whitespace");
  }
  std::string out(name);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (is_control(u)) {
      throw_invalid(f, w + " " + quote_for_message(name) + " must not contain control characters");
    }
    if (c == ',' || c == ':' || c == '<' || c == '>' || c == '`') {
      throw_invalid(f, w + " " + quote_for_message(name) + " must not contain '" + std::string(1, c) +
                           "' (names may not contain , : < > or `)");
    }
    c = ascii_lower(c);
  }
  return out;
}

void validate_principal_name(std::string_view field, std::string_view name) {
  std::string f(field);
  if (name.empty() || name.size() > kMaxPrincipalNameLength) {
    throw_invalid(f, "principal name " + quote_for_message(name) + " must be 1..64 characters (got " +
                         std::to_string(name.size()) + ")");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '-';
    if (!ok) {
      throw_invalid(f, "principal name " + quote_for_message(name) +
                           " may contain only letters, digits and _+=,.@- (IAM's rule)");
    }
  }
}

void validate_catalog_id(std::string_view id) {
  bool ok = id.size() == 12;
  for (char c : id) ok = ok && c >= '0' && c <= '9';
  if (!ok) throw_invalid("catalog_id", "catalog id " + quote_for_message(id) + " must be exactly 12 digits");
}

}  // namespace cairn::catalog
