#include "validators.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string_view>

namespace cairn::classifiers::detail {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_alpha(char c) {
  return is_upper(c) || is_lower(c);
}
bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char upper(char c) {
  return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c;
}

// True when `c` is in `set` (a few bytes: a loop is cheaper than memchr).
bool is_one_of(char c, std::string_view set) {
  for (const char s : set) {
    if (s == c) return true;
  }
  return false;
}

// A value's significant characters (separators removed, letters upper-cased) in a fixed buffer: no
// allocation.
struct Compact {
  std::array<char, 64> d;  // only the first n are read
  std::size_t n = 0;
  std::size_t separators = 0;
  std::string_view view() const { return {d.data(), n}; }
};

// `v` without the bytes of `seps`, letters upper-cased; false when a byte is neither alphanumeric nor in
// `seps`, or the result would exceed the buffer.
bool compact(std::string_view v, std::string_view seps, Compact& out) {
  // Each byte upper-cased when it is alphanumeric, 0 otherwise.
  static constexpr std::array<char, 256> kAlnumUpper = [] {
    std::array<char, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c - 'a' + 'A');
    return t;
  }();
  out.n = 0;
  out.separators = 0;
  for (const char c : v) {
    const char u = kAlnumUpper[static_cast<unsigned char>(c)];
    if (u != 0) {
      if (out.n == out.d.size()) return false;
      out.d[out.n++] = u;
    } else if (is_one_of(c, seps)) {
      ++out.separators;
    } else {
      return false;
    }
  }
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

bool all_same(std::string_view s) {
  for (const char c : s) {
    if (c != s.front()) return false;
  }
  return true;
}

// True when the bytes of `seps` in `v` each stand right after a number of significant (other) bytes listed in
// `cuts`, one at most at each and never first or last: the layout a pattern such as "[0-9]{2} ?[0-9]{3}"
// allows. Validators that drop separators wherever they are check it (when they dropped any), so that what
// they accept their entity's pattern matches (see "Validators imply patterns" in docs/classifiers.md).
bool separators_at(std::string_view v, std::string_view seps, std::initializer_list<unsigned> cuts) {
  std::uint64_t allowed = 0;  // bit k: a separator may follow k significant bytes
  for (const unsigned k : cuts) allowed |= std::uint64_t{1} << k;
  unsigned significant = 0;
  bool after_separator = true;  // a separator cannot come first
  for (const char c : v) {
    if (!is_one_of(c, seps)) {
      ++significant;
      after_separator = false;
      continue;
    }
    if (after_separator || significant >= 64 || ((allowed >> significant) & 1) == 0) return false;
    after_separator = true;
  }
  return !after_separator || v.empty();
}

int num(std::string_view digits) {
  int n = 0;
  for (const char c : digits) n = n * 10 + (c - '0');
  return n;
}

bool luhn(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (std::size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// A calendar date given as (year, month, day) that exists.
bool real_date(int y, int m, int d) {
  return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                     std::chrono::day{static_cast<unsigned>(d)}}
      .ok();
}

// Splits "a<sep>b<sep>c" made of digit groups with one separator kind among `seps`; false otherwise.
bool three_digit_groups(std::string_view v, std::string_view seps, std::array<std::string_view, 3>& groups) {
  std::size_t first = 0;
  while (first < v.size() && !is_one_of(v[first], seps)) ++first;
  if (first == v.size()) return false;
  const char sep = v[first];
  std::size_t second = first + 1;
  while (second < v.size() && v[second] != sep) ++second;
  if (second == v.size()) return false;
  for (std::size_t i = second + 1; i < v.size(); ++i) {
    if (v[i] == sep) return false;
  }
  groups = {v.substr(0, first), v.substr(first + 1, second - first - 1), v.substr(second + 1)};
  for (const auto g : groups) {
    if (!all_digits(g)) return false;
  }
  return true;
}

// Date-shaped: d{1,4} sep d{1,2} sep d{1,4} with a 4-digit year at one end (sep one of . / -).
bool date_shaped(std::string_view v) {
  std::array<std::string_view, 3> g;
  if (!three_digit_groups(v, "./-", g)) return false;
  if (g[1].size() > 2 || g[0].size() > 4 || g[2].size() > 4) return false;
  return g[0].size() == 4 || g[2].size() == 4;
}

// ---- PHONE_NUMBER ----

bool nanp(std::string_view nsn) {
  return nsn.size() == 10 && nsn[0] >= '2' && nsn[3] >= '2' && !(nsn[1] == '1' && nsn[2] == '1');
}

bool nsn_len(std::string_view nsn, std::size_t lo, std::size_t hi, bool zero_ok = false) {
  return nsn.size() >= lo && nsn.size() <= hi && (zero_ok || nsn[0] != '0');
}

// E.164 digits after '+' (or "00"): the countries of the issue with their national-number lengths, others by
// the E.164 length bound only.
bool e164(std::string_view d) {
  if (d.size() < 8 || d.size() > 15 || d[0] == '0') return false;
  if (d[0] == '1') return nanp(d.substr(1));
  const std::string_view cc = d.substr(0, 2);
  const std::string_view nsn = d.substr(2);
  if (cc == "49") return nsn_len(nsn, 7, 11);
  if (cc == "33") return nsn_len(nsn, 9, 9);
  if (cc == "44") return nsn_len(nsn, 9, 10);
  if (cc == "39") return nsn_len(nsn, 6, 11, true) && (nsn[0] == '0' || nsn[0] == '3');
  if (cc == "34") return nsn_len(nsn, 9, 9) && nsn[0] >= '6';
  if (cc == "31") return nsn_len(nsn, 9, 9);
  if (cc == "43") return nsn_len(nsn, 7, 13);
  return true;
}

// National formats: trunk prefix 0 (DE 8-12 digits, AT 8-14, FR/NL 10, GB 10-11, IT landline 8-11), IT mobile
// (3 + 8-9 digits), ES (9 digits from 6-9), US (10 digits, NANP, optional leading 1).
bool national(std::string_view d) {
  if (d.size() < 8 || d.size() > 14) return false;
  if (d[0] == '0') return d[1] != '0';                                // DE, AT, FR, NL, GB, IT landlines
  if (d[0] == '3' && (d.size() == 9 || d.size() == 10)) return true;  // IT mobile
  if (d.size() == 9 && d[0] >= '6') return true;                      // ES
  if (nanp(d)) return true;                                           // US
  return d.size() == 11 && d[0] == '1' && nanp(d.substr(1));
}

// ---- CREDIT_CARD ----

// Digits written in groups as the pattern allows: four, then two to four groups of three to six, each after
// one ' ' or '-'.
bool card_groups(std::string_view v) {
  std::size_t groups = 0;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    while (i < v.size() && is_digit(v[i])) ++i;
    const std::size_t length = i - start;
    if (groups == 0 ? length != 4 : (length < 3 || length > 6)) return false;
    ++groups;
    if (i == v.size()) return groups >= 3 && groups <= 5;
    if (v[i] != ' ' && v[i] != '-') return false;
    ++i;
  }
}

// ---- IBAN / BIC tables ----

struct IbanLength {
  char cc[3];
  int length;
};
constexpr IbanLength kIbanLengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24},
    {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SC", 31},
    {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24},
    {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
};

constexpr std::string_view kIsoCountries =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV "
    "BW BY "
    "BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI "
    "FJ FK "
    "FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO "
    "IQ IR "
    "IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG "
    "MH MK "
    "ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK "
    "PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC "
    "TD TF "
    "TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

// Index of a two-letter code in 26 x 26 tables, or -1 when `a` or `b` is not in A-Z.
int code_index(char a, char b) {
  if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return -1;
  return (a - 'A') * 26 + (b - 'A');
}

bool iso_country(char a, char b) {
  // kIsoCountries as a table, built once.
  static const std::array<bool, 26 * 26> kTable = [] {
    std::array<bool, 26 * 26> t{};
    for (std::size_t i = 0; i + 1 < kIsoCountries.size(); i += 3) {
      t[static_cast<std::size_t>(code_index(kIsoCountries[i], kIsoCountries[i + 1]))] = true;
    }
    return t;
  }();
  const int i = code_index(a, b);
  return i >= 0 && kTable[static_cast<std::size_t>(i)];
}

// The IBAN length of country `a``b`, 0 when the country has no IBAN.
int iban_length(char a, char b) {
  static const std::array<int, 26 * 26> kTable = [] {
    std::array<int, 26 * 26> t{};
    for (const auto& entry : kIbanLengths) {
      t[static_cast<std::size_t>(code_index(entry.cc[0], entry.cc[1]))] = entry.length;
    }
    return t;
  }();
  const int i = code_index(a, b);
  return i < 0 ? 0 : kTable[static_cast<std::size_t>(i)];
}

// The remainder mod 97 of the number written by `s`, letters counting as 10..35 (ISO 7064 MOD 97-10 input).
int mod97(std::string_view s, int r = 0) {
  // Up to 15 decimal digits accumulate before a reduction: below 97 * 10^16 < 2^64.
  std::uint64_t acc = static_cast<std::uint64_t>(r);
  int digits = 0;
  for (const char c : s) {
    if (is_digit(c)) {
      acc = acc * 10 + static_cast<std::uint64_t>(c - '0');
      ++digits;
    } else {
      acc = acc * 100 + static_cast<std::uint64_t>(c - 'A' + 10);
      digits += 2;
    }
    if (digits >= 14) {
      acc %= 97;
      digits = 0;
    }
  }
  return static_cast<int>(acc % 97);
}

// ---- VIN ----

int vin_value(char c) {
  // Per byte: the transliterated value of a digit or of a letter other than I, O and Q; -1 otherwise.
  static constexpr auto kTable = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    for (int d = 0; d <= 9; ++d) t[static_cast<std::size_t>('0' + d)] = static_cast<std::int8_t>(d);
    constexpr std::string_view kLetters = "ABCDEFGHJKLMNPRSTUVWXYZ";
    constexpr int kValues[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
    for (std::size_t i = 0; i < kLetters.size(); ++i) {
      t[static_cast<unsigned char>(kLetters[i])] = static_cast<std::int8_t>(kValues[i]);
    }
    return t;
  }();
  return kTable[static_cast<unsigned char>(c)];
}

// ---- IT_FISCAL_CODE ----

// An omocodia-capable digit position: a digit, or the letter standing for one (L=0 ... V=9); -1 otherwise.
int omocode_digit(char c) {
  if (is_digit(c)) return c - '0';
  static constexpr std::string_view kOmocodes = "LMNPQRSTUV";
  const std::size_t i = kOmocodes.find(c);
  return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

// ---- PERSON_NAME ----

bool name_particle(std::string_view w) {
  static constexpr std::string_view kParticles[] = {
      "van", "von", "de",  "der", "den", "di", "da", "del", "della", "la",  "le",    "ter",
      "zu",  "dos", "das", "du",  "des", "y",  "e",  "op",  "het",   "dei", "degli", "vom"};
  for (const auto p : kParticles) {
    if (w == p) return true;
  }
  return false;
}

bool utf8_lead(char c) {
  return static_cast<unsigned char>(c) >= 0xC0;
}
bool utf8_byte(char c) {
  return static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

ValueMatch validate_email(std::string_view v) {
  if (v.size() > 254) return ValueMatch::None;
  const std::size_t at = v.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || v.find('@', at + 1) != std::string_view::npos) {
    return ValueMatch::None;
  }
  const std::string_view local = v.substr(0, at);
  const std::string_view domain = v.substr(at + 1);
  static constexpr std::string_view kAtext = "!#$%&'*+/=?^_`{|}~-.";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return ValueMatch::None;
  }
  for (const char c : local) {
    if (!is_alnum(c) && !is_one_of(c, kAtext)) return ValueMatch::None;
  }
  if (domain.empty() || domain.size() > 253) return ValueMatch::None;
  std::size_t labels = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return ValueMatch::None;
    for (const char c : label) {
      if (!is_alnum(c) && c != '-') return ValueMatch::None;
    }
    ++labels;
    if (dot == std::string_view::npos) {
      if (labels < 2 || label.size() < 2) return ValueMatch::None;
      for (const char c : label) {
        if (!is_alpha(c)) return ValueMatch::None;
      }
      return ValueMatch::Valid;
    }
    start = dot + 1;
  }
}

ValueMatch validate_phone(std::string_view v) {
  if (v.size() < 8 || v.size() > 32 || date_shaped(v)) return ValueMatch::None;
  const bool plus = v.front() == '+';
  if (plus) v.remove_prefix(1);
  // The pattern's ends: a digit or '(' first, a digit last.
  if (!(is_digit(v.front()) || v.front() == '(') || !is_digit(v.back())) return ValueMatch::None;
  Compact c;
  // "+49 (0)30 ..." writes the trunk prefix in parentheses: it is not dialled from abroad.
  const std::size_t trunk = plus ? v.find("(0)") : std::string_view::npos;
  if (trunk != std::string_view::npos) {
    Compact head, tail;
    if (!compact(v.substr(0, trunk), " -./", head) || !compact(v.substr(trunk + 3), " -./", tail)) {
      return ValueMatch::None;
    }
    if (head.n + tail.n > c.d.size()) return ValueMatch::None;
    std::memcpy(c.d.data(), head.d.data(), head.n);
    std::memcpy(c.d.data() + head.n, tail.d.data(), tail.n);
    c.n = head.n + tail.n;
    c.separators = 1;
  } else if (!compact(v, " -./()", c)) {
    return ValueMatch::None;
  }
  const std::string_view d = c.view();
  if (!all_digits(d)) return ValueMatch::None;
  int open = 0;
  for (const char ch : v) open += (ch == '(') - (ch == ')');
  if (open != 0) return ValueMatch::None;
  if (plus) return e164(d) ? ValueMatch::Valid : ValueMatch::None;
  if (d.size() > 2 && d[0] == '0' && d[1] == '0')
    return e164(d.substr(2)) ? ValueMatch::NeedsNameHint : ValueMatch::None;
  if (!national(d)) return ValueMatch::None;
  return c.separators > 0 ? ValueMatch::Valid : ValueMatch::NeedsNameHint;
}

ValueMatch validate_credit_card(std::string_view v) {
  Compact c;
  if (!compact(v, " -", c)) return ValueMatch::None;
  const std::string_view d = c.view();
  const std::size_t n = d.size();
  if (n < 13 || n > 19 || !all_digits(d) || all_same(d)) return ValueMatch::None;
  if (c.separators > 0 && !card_groups(v)) return ValueMatch::None;
  const int p2 = num(d.substr(0, 2));
  const int p3 = num(d.substr(0, 3));
  const int p4 = num(d.substr(0, 4));
  bool issuer = false;
  if (d[0] == '4') {
    issuer = n == 13 || n == 16 || n == 19;  // Visa
  } else if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) {
    issuer = n == 16;  // Mastercard
  } else if (p2 == 34 || p2 == 37) {
    issuer = n == 15;  // American Express
  } else if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || p2 == 62) {
    issuer = n >= 16;  // Discover, UnionPay
  } else if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) {
    issuer = n >= 14;  // Diners Club
  } else if (p4 >= 3528 && p4 <= 3589) {
    issuer = n >= 16;  // JCB
  } else if (p2 == 50 || (p2 >= 56 && p2 <= 58) || p4 == 6304 || p4 == 6759 || (p4 >= 6761 && p4 <= 6763)) {
    issuer = true;  // Maestro
  }
  return issuer && luhn(d) ? ValueMatch::Valid : ValueMatch::None;
}

ValueMatch validate_iban(std::string_view v) {
  Compact c;
  if (!compact(v, " ", c)) return ValueMatch::None;
  const std::string_view s = c.view();
  // v[0..3] themselves (no space among them) are the country and check digits.
  if (s.size() < 15 || s.size() > 34 || !is_alpha(v[0]) || !is_alpha(v[1]) || !is_digit(v[2]) ||
      !is_digit(v[3])) {
    return ValueMatch::None;
  }
  if (static_cast<std::size_t>(iban_length(s[0], s[1])) != s.size()) return ValueMatch::None;
  return mod97(s.substr(0, 4), mod97(s.substr(4))) == 1 ? ValueMatch::Valid : ValueMatch::None;
}

ValueMatch validate_bic(std::string_view v) {
  if (v.size() != 8 && v.size() != 11) return ValueMatch::None;
  for (std::size_t i = 0; i < 6; ++i) {
    if (!is_upper(v[i])) return ValueMatch::None;
  }
  for (std::size_t i = 6; i < v.size(); ++i) {
    if (!is_upper(v[i]) && !is_digit(v[i])) return ValueMatch::None;
  }
  return iso_country(v[4], v[5]) ? ValueMatch::Valid : ValueMatch::None;
}

ValueMatch validate_us_ssn(std::string_view v) {
  std::string_view area, group, serial;
  bool formatted = false;
  if (v.size() == 9 && all_digits(v)) {
    area = v.substr(0, 3);
    group = v.substr(3, 2);
    serial = v.substr(5);
  } else if (v.size() == 11 && (v[3] == '-' || v[3] == ' ') && v[6] == v[3]) {
    area = v.substr(0, 3);
    group = v.substr(4, 2);
    serial = v.substr(7);
    if (!all_digits(area) || !all_digits(group) || !all_digits(serial)) return ValueMatch::None;
    formatted = true;
  } else {
    return ValueMatch::None;
  }
  const int a = num(area);
  if (a == 0 || a == 666 || a >= 900 || num(group) == 0 || num(serial) == 0) return ValueMatch::None;
  return formatted ? ValueMatch::Valid : ValueMatch::NeedsNameHint;
}

ValueMatch validate_ip_address(std::string_view v) {
  if (v.empty() || v.size() > 45) return ValueMatch::None;
  // inet_pton reads a C string: a NUL (or any byte but these) would end or bend what it parses.
  for (const char c : v) {
    if (!is_hex(c) && c != '.' && c != ':') return ValueMatch::None;
  }
  char text[46];
  std::memcpy(text, v.data(), v.size());
  text[v.size()] = '\0';
  if (v.find(':') == std::string_view::npos) {
    unsigned char a[4];
    if (inet_pton(AF_INET, text, a) != 1) return ValueMatch::None;
    if (a[0] == 127 || a[0] == 0 || (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)) {
      return ValueMatch::None;
    }
    if ((a[0] == 192 && a[1] == 0 && a[2] == 2) || (a[0] == 198 && a[1] == 51 && a[2] == 100) ||
        (a[0] == 203 && a[1] == 0 && a[2] == 113)) {
      return ValueMatch::None;
    }
    return ValueMatch::Valid;
  }
  unsigned char a[16];
  if (inet_pton(AF_INET6, text, a) != 1) return ValueMatch::None;
  static constexpr unsigned char kZero[16] = {};
  if (std::memcmp(a, kZero, 15) == 0 && (a[15] == 0 || a[15] == 1)) return ValueMatch::None;  // :: and ::1
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) return ValueMatch::None;  // 2001:db8::/32
  if (std::memcmp(a, kZero, 10) == 0 && a[10] == 0xff && a[11] == 0xff && a[12] == 127) {
    return ValueMatch::None;  // ::ffff:127.0.0.0/104
  }
  return ValueMatch::Valid;
}

ValueMatch validate_mac_address(std::string_view v) {
  Compact c;
  if (v.size() == 17) {
    const char sep = v[2];
    if (sep != ':' && sep != '-') return ValueMatch::None;
    for (std::size_t i = 2; i < 17; i += 3) {
      if (v[i] != sep) return ValueMatch::None;
    }
  } else if (v.size() == 14) {
    if (v[4] != '.' || v[9] != '.') return ValueMatch::None;
  } else {
    return ValueMatch::None;
  }
  if (!compact(v, ":-.", c) || c.n != 12) return ValueMatch::None;
  for (std::size_t i = 0; i < c.n; ++i) {
    if (!is_hex(c.d[i])) return ValueMatch::None;
  }
  if (all_same(c.view()) && (c.d[0] == '0' || c.d[0] == 'F')) return ValueMatch::None;
  return ValueMatch::Valid;
}

ValueMatch validate_vin(std::string_view v) {
  if (v.size() != 17) return ValueMatch::None;
  std::array<char, 17> s{};
  for (std::size_t i = 0; i < 17; ++i) {
    s[i] = upper(v[i]);
    if (vin_value(s[i]) < 0) return ValueMatch::None;  // also rejects I, O, Q
  }
  if (!is_upper(s[0]) && !is_upper(s[1]) && !is_upper(s[2])) return ValueMatch::None;
  for (std::size_t i = 13; i < 17; ++i) {
    if (!is_digit(s[i])) return ValueMatch::None;
  }
  if (s[0] >= '1' && s[0] <= '5') {  // North America: check digit at position 9 is mandatory
    static constexpr int kWeights[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
    int sum = 0;
    for (std::size_t i = 0; i < 17; ++i) sum += vin_value(s[i]) * kWeights[i];
    const int check = sum % 11;
    if (s[8] != (check == 10 ? 'X' : static_cast<char>('0' + check))) return ValueMatch::None;
    if (s[9] == 'U' || s[9] == 'Z' || s[9] == '0') return ValueMatch::None;
  }
  return ValueMatch::Valid;
}

ValueMatch validate_de_tax_id(std::string_view v) {
  Compact c;
  if (!compact(v, " ", c)) return ValueMatch::None;
  const std::string_view d = c.view();
  if (d.size() != 11 || !all_digits(d) || d[0] == '0' ||
      (c.separators > 0 && !separators_at(v, " ", {2, 5, 8}))) {
    return ValueMatch::None;
  }
  // Digit-repeat rule: in the first ten digits exactly one digit occurs two or three times, every other at
  // most once, and no digit stands three times in a row.
  std::array<int, 10> counts{};
  for (std::size_t i = 0; i < 10; ++i) ++counts[d[i] - '0'];
  int repeated = 0;
  for (const int n : counts) {
    if (n > 3) return ValueMatch::None;
    if (n >= 2) ++repeated;
  }
  if (repeated != 1) return ValueMatch::None;
  for (std::size_t i = 2; i < 10; ++i) {
    if (d[i] == d[i - 1] && d[i] == d[i - 2]) return ValueMatch::None;
  }
  // ISO 7064 MOD 11,10: product' = (((digit + product) mod 10, 0 read as 10) * 2) mod 11, as a table.
  static constexpr auto kStep = [] {
    std::array<std::array<std::uint8_t, 10>, 11> t{};
    for (int p = 0; p <= 10; ++p) {
      for (int digit = 0; digit <= 9; ++digit) {
        int sum = (digit + p) % 10;
        if (sum == 0) sum = 10;
        t[static_cast<std::size_t>(p)][static_cast<std::size_t>(digit)] =
            static_cast<std::uint8_t>((sum * 2) % 11);
      }
    }
    return t;
  }();
  int product = 10;
  for (std::size_t i = 0; i < 10; ++i) {
    product = kStep[static_cast<std::size_t>(product)][static_cast<std::size_t>(d[i] - '0')];
  }
  int check = 11 - product;
  if (check == 10) check = 0;
  return check == d[10] - '0' ? ValueMatch::Valid : ValueMatch::None;
}

ValueMatch validate_fr_nir(std::string_view v) {
  Compact c;
  if (!compact(v, " ", c)) return ValueMatch::None;
  const std::string_view s = c.view();
  if (s.size() != 15 || (c.separators > 0 && !separators_at(v, " ", {1, 3, 5, 7, 10, 13})))
    return ValueMatch::None;
  if (s[0] != '1' && s[0] != '2' && s[0] != '7' && s[0] != '8') return ValueMatch::None;
  if (!all_digits(s.substr(1, 4)) || !all_digits(s.substr(7))) return ValueMatch::None;
  const int month = num(s.substr(3, 2));
  if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50)) return ValueMatch::None;
  int r = 0;
  if (s[5] == '2' && (s[6] == 'A' || s[6] == 'B')) {
    // Corsica: 2A counts as 19 and 2B as 18 in the key.
    r = mod97(s.substr(0, 5));
    r = mod97(s[6] == 'A' ? "19" : "18", r);
  } else if (all_digits(s.substr(5, 2))) {
    r = mod97(s.substr(0, 7));
  } else {
    return ValueMatch::None;
  }
  r = mod97(s.substr(7, 6), r);
  const int key = num(s.substr(13));
  return key >= 1 && key <= 97 && key == 97 - r ? ValueMatch::Valid : ValueMatch::None;
}

ValueMatch validate_it_fiscal_code(std::string_view v) {
  if (v.size() != 16) return ValueMatch::None;
  std::array<char, 16> s{};
  for (std::size_t i = 0; i < 16; ++i) s[i] = upper(v[i]);
  for (const std::size_t i : {0, 1, 2, 3, 4, 5, 8, 11, 15}) {
    if (!is_upper(s[i])) return ValueMatch::None;
  }
  for (const std::size_t i : {6, 7, 9, 10, 12, 13, 14}) {
    if (omocode_digit(s[i]) < 0) return ValueMatch::None;
  }
  if (std::string_view("ABCDEHLMPRST").find(s[8]) == std::string_view::npos) return ValueMatch::None;
  const int day = omocode_digit(s[9]) * 10 + omocode_digit(s[10]);
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) return ValueMatch::None;
  static constexpr int kOdd[36] = {1,  0,  5,  7,  9,  13, 15, 17, 19, 21,                             // 0-9
                                   1,  0,  5,  7,  9,  13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8,  // A-R
                                   12, 14, 16, 10, 22, 25, 24, 23};                                    // S-Z
  int sum = 0;
  for (std::size_t i = 0; i < 15; ++i) {
    const int idx = is_digit(s[i]) ? s[i] - '0' : s[i] - 'A' + 10;
    if (i % 2 == 0) {
      sum += kOdd[idx];  // odd positions counting from 1
    } else {
      sum += is_digit(s[i]) ? s[i] - '0' : s[i] - 'A';
    }
  }
  return s[15] == static_cast<char>('A' + sum % 26) ? ValueMatch::Valid : ValueMatch::None;
}

ValueMatch validate_es_dni(std::string_view v) {
  Compact c;
  if (!compact(v, " -", c) || c.n != 9) return ValueMatch::None;
  std::string_view s = c.view();
  int prefix = 0;
  if (s[0] == 'X' || s[0] == 'Y' || s[0] == 'Z') {
    prefix = s[0] - 'X';
    if (!all_digits(s.substr(1, 7)) || (c.separators > 0 && !separators_at(v, " -", {1, 8})))
      return ValueMatch::None;
  } else if (!all_digits(s.substr(0, 8)) || (c.separators > 0 && !separators_at(v, " -", {8}))) {
    return ValueMatch::None;
  }
  if (!is_upper(s[8])) return ValueMatch::None;
  long n = prefix;
  for (std::size_t i = (s[0] >= 'X' ? 1 : 0); i < 8; ++i) n = n * 10 + (s[i] - '0');
  if (n == 0) return ValueMatch::None;
  static constexpr std::string_view kLetters = "TRWAGMYFPDXBNJZSQVHLCKE";
  return s[8] == kLetters[n % 23] ? ValueMatch::Valid : ValueMatch::None;
}

ValueMatch validate_gb_nino(std::string_view v) {
  Compact c;
  if (!compact(v, " ", c) || c.n != 9 || (c.separators > 0 && !separators_at(v, " ", {2, 4, 6, 8})))
    return ValueMatch::None;
  for (const char ch : v) {
    if (is_lower(ch)) return ValueMatch::None;  // the letters are capitals
  }
  const std::string_view s = c.view();
  if (!is_upper(s[0]) || !is_upper(s[1]) || !all_digits(s.substr(2, 6)) || s[8] < 'A' || s[8] > 'D') {
    return ValueMatch::None;
  }
  if (std::string_view("DFIQUV").find(s[0]) != std::string_view::npos) return ValueMatch::None;
  if (std::string_view("DFIQUVO").find(s[1]) != std::string_view::npos) return ValueMatch::None;
  for (const std::string_view bad : {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}) {
    if (s.substr(0, 2) == bad) return ValueMatch::None;
  }
  return ValueMatch::Valid;
}

ValueMatch validate_nl_bsn(std::string_view v) {
  Compact c;
  if (!compact(v, ".", c)) return ValueMatch::None;
  if (c.separators != 0 && !(c.separators == 2 && v.size() == 11 && v[4] == '.' && v[7] == '.')) {
    return ValueMatch::None;
  }
  std::string_view d = c.view();
  if ((d.size() != 8 && d.size() != 9) || !all_digits(d)) return ValueMatch::None;
  std::array<char, 9> s{};
  const std::size_t pad = 9 - d.size();
  s[0] = '0';
  std::memcpy(s.data() + pad, d.data(), d.size());
  int sum = 0;
  bool zero = true;
  for (std::size_t i = 0; i < 9; ++i) {
    const int digit = s[i] - '0';
    if (digit != 0) zero = false;
    sum += i < 8 ? digit * static_cast<int>(9 - i) : -digit;
  }
  return !zero && sum % 11 == 0 ? ValueMatch::Valid : ValueMatch::None;
}

ValueMatch validate_passport_number(std::string_view v) {
  if (v.size() < 6 || v.size() > 9 || all_same(v)) return ValueMatch::None;
  std::size_t digits = 0;
  for (const char c : v) {
    if (is_digit(c)) {
      ++digits;
    } else if (!is_upper(c)) {
      return ValueMatch::None;
    }
  }
  // All-digit passport numbers (US, GB) have nine digits.
  if (digits == v.size() && digits != 9) return ValueMatch::None;
  return digits > 0 ? ValueMatch::NeedsNameHint : ValueMatch::None;
}

ValueMatch validate_date_of_birth(std::string_view v) {
  // An ISO timestamp's date part: "1985-03-12T00:00:00Z", "1985-03-12 00:00:00".
  bool time = false;
  if (v.size() > 10 && (v[10] == 'T' || v[10] == ' ')) {
    for (const char c : v.substr(11)) {
      if (!is_digit(c) && !is_one_of(c, ":.+Z-")) return ValueMatch::None;
    }
    v = v.substr(0, 10);
    time = true;
  }
  std::array<std::string_view, 3> g;
  if (!three_digit_groups(v, "./-", g) || g[1].size() > 2 || g[1].empty()) return ValueMatch::None;
  if (time && g[0].size() != 4) return ValueMatch::None;  // a time follows year-first dates only
  int y = 0, m = 0, d = 0;
  if (g[0].size() == 4 && g[2].size() <= 2 && !g[2].empty()) {
    y = num(g[0]);
    m = num(g[1]);
    d = num(g[2]);
  } else if (g[2].size() == 4 && g[0].size() <= 2 && !g[0].empty()) {
    y = num(g[2]);
    d = num(g[0]);
    m = num(g[1]);
    if (m > 12 && d <= 12) std::swap(d, m);  // US order mm/dd/yyyy
  } else {
    return ValueMatch::None;
  }
  if (m < 1 || m > 12 || d < 1 || d > 31 || !real_date(y, m, d)) return ValueMatch::None;
  using namespace std::chrono;
  const year_month_day today{floor<days>(system_clock::now())};
  const year_month_day born{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (sys_days{born} > sys_days{today}) return ValueMatch::None;
  int age = static_cast<int>(today.year()) - y;
  if (today.month() < born.month() || (today.month() == born.month() && today.day() < born.day())) --age;
  return age >= 0 && age <= 120 ? ValueMatch::NeedsNameHint : ValueMatch::None;
}

ValueMatch validate_person_name(std::string_view v) {
  if (v.size() < 2 || v.size() > 60 || !(is_alpha(v[0]) || utf8_lead(v[0]))) return ValueMatch::None;
  std::size_t words = 0;
  bool capitalised = false;
  std::size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == ',')) ++i;
    const std::size_t start = i;
    while (i < v.size() && v[i] != ' ' && v[i] != ',') ++i;
    const std::string_view w = v.substr(start, i - start);
    if (w.empty()) continue;
    ++words;
    if (name_particle(w)) continue;
    if (!(is_upper(w[0]) || utf8_lead(w[0]))) return ValueMatch::None;
    std::size_t letters = 0;
    for (const char c : w) {
      if (is_alpha(c) || utf8_byte(c)) {
        ++letters;
      } else if (c != '-' && c != '\'' && c != '.') {
        return ValueMatch::None;
      }
    }
    if (letters == 0) return ValueMatch::None;
    capitalised = true;
  }
  return words >= 1 && words <= 5 && capitalised ? ValueMatch::NeedsNameHint : ValueMatch::None;
}

ValueMatch validate_postal_address(std::string_view v) {
  if (v.size() < 8 || v.size() > 200 || !(is_alnum(v[0]) || utf8_lead(v[0]))) return ValueMatch::None;
  if (v.find('@') != std::string_view::npos || v.find("://") != std::string_view::npos)
    return ValueMatch::None;
  std::size_t digits = 0, words = 0, run = 0;
  for (std::size_t i = 0; i <= v.size(); ++i) {
    const char c = i < v.size() ? v[i] : ' ';
    if (is_alpha(c) || utf8_byte(c)) {
      ++run;
      continue;
    }
    if (run >= 2) ++words;
    run = 0;
    if (is_digit(c)) {
      ++digits;
    } else if (!is_one_of(c, " ,.-/'#")) {
      return ValueMatch::None;
    }
  }
  if (digits == 0 || words < 2 || digits * 5 > v.size() * 2) return ValueMatch::None;
  return ValueMatch::NeedsNameHint;
}

ValueMatch validate_aws_access_key_id(std::string_view v) {
  if (v.size() != 20 || (v.substr(0, 4) != "AKIA" && v.substr(0, 4) != "ASIA")) return ValueMatch::None;
  for (const char c : v.substr(4)) {
    if (!is_upper(c) && !(c >= '2' && c <= '7')) return ValueMatch::None;
  }
  return ValueMatch::Valid;
}

ValueMatch validate_aws_secret_key(std::string_view v) {
  if (v.size() != 40) return ValueMatch::None;
  // Per byte: 1 upper, 2 lower, 4 digit, 8 '/' or '+', 0 anything else; no branch per byte.
  static constexpr auto kKind = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = 1;
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = 2;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = 4;
    t['/'] = t['+'] = 8;
    return t;
  }();
  unsigned kinds = 0;
  bool other = false;
  for (const char c : v) {
    const unsigned k = kKind[static_cast<unsigned char>(c)];
    kinds |= k;
    other |= k == 0;
  }
  return !other && (kinds & 7) == 7 ? ValueMatch::NeedsNameHint : ValueMatch::None;
}

}  // namespace cairn::classifiers::detail
