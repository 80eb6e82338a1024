#include <algorithm>
#include <string>
#include <string_view>

#include "cairn/catalog/text_util.h"
#include "cairn/classifiers/pii.h"

namespace cairn::classifiers {

namespace {

bool alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The bytes of the UTF-8 character starting `s` (1 for ASCII or a stray byte).
std::size_t first_char_bytes(std::string_view s) {
  if (s.empty()) return 0;
  const auto lead = static_cast<unsigned char>(s[0]);
  std::size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return n <= s.size() ? n : 1;
}

// Each word (a run of bytes without space or comma) as its first character and "***".
std::string mask_words(std::string_view v) {
  std::string out;
  std::size_t i = 0;
  while (i < v.size()) {
    if (v[i] == ' ' || v[i] == ',') {
      out.push_back(v[i++]);
      continue;
    }
    std::size_t end = i;
    while (end < v.size() && v[end] != ' ' && v[end] != ',') ++end;
    out.append(v.substr(i, first_char_bytes(v.substr(i))));
    out.append("***");
    i = end;
  }
  return out;
}

// Every letter and digit as '*' but the last `keep`; separators stay.
std::string mask_keep_last(std::string_view v, std::size_t keep) {
  std::size_t total = 0;
  for (const char c : v) total += alnum(c) ? 1 : 0;
  std::string out;
  std::size_t seen = 0;
  for (const char c : v) {
    if (!alnum(c)) {
      out.push_back(static_cast<unsigned char>(c) >= 0x80 ? '*' : c);
      continue;
    }
    ++seen;
    out.push_back(seen + keep > total ? c : '*');
  }
  return out;
}

std::string mask_email(std::string_view v) {
  const std::size_t at = v.rfind('@');
  const std::size_t dot = v.rfind('.');
  if (at == std::string_view::npos || dot == std::string_view::npos || dot < at || at == 0) {
    return mask_keep_last(v, 0);
  }
  std::string out;
  out.push_back(v[0]);
  out.append("***@");
  if (dot > at + 1) out.push_back(v[at + 1]);
  out.append("***");
  out.append(v.substr(dot));
  return out;
}

// Groups of four: the first group (country and check digits) and the last two characters in clear.
std::string mask_iban(std::string_view v) {
  std::string compact;
  for (const char c : v) {
    if (c != ' ') compact.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  std::string out;
  for (std::size_t i = 0; i < compact.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back(' ');
    out.push_back(i < 4 || i + 2 >= compact.size() ? compact[i] : '*');
  }
  return out;
}

std::string mask_ip(std::string_view v) {
  const bool v6 = v.find(':') != std::string_view::npos;
  const char sep = v6 ? ':' : '.';
  const std::size_t first = v.find(sep);
  if (first == std::string_view::npos) return "***";
  std::string out(v.substr(0, first));
  out.append(v6 ? ":*" : ".*.*.*");
  return out;
}

}  // namespace

std::string mask_example(std::string_view entity, std::string_view value) {
  const std::string_view v = catalog::text::trim_ascii_space(value);
  if (v.empty()) return {};
  if (entity == "EMAIL") return mask_email(v);
  if (entity == "IBAN") return mask_iban(v);
  if (entity == "CREDIT_CARD") return mask_keep_last(v, 4);
  if (entity == "IP_ADDRESS") return mask_ip(v);
  if (entity == "PERSON_NAME" || entity == "POSTAL_ADDRESS") return mask_words(v);
  if (entity == "DATE_OF_BIRTH") return mask_keep_last(v, 0);
  if (entity == "AWS_ACCESS_KEY_ID" && v.size() > 8) {
    return std::string(v.substr(0, 4)) + std::string(v.size() - 8, '*') + std::string(v.substr(v.size() - 4));
  }
  if (entity == "AWS_SECRET_KEY")
    return std::string(v.substr(0, std::min<std::size_t>(4, v.size() / 4))) + "****";
  // Identifiers (phone numbers, national ids, VIN, BIC, MAC, passports, custom types): the last two in clear,
  // none at all for short values.
  return mask_keep_last(v, v.size() >= 8 ? 2 : 0);
}

}  // namespace cairn::classifiers
