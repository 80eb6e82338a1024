#include "classifiers/corpus.h"

#include <array>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cairn/classifiers/pii.h"

namespace cairn::classifiers::test {

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string Rng::chars(std::string_view alphabet, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(alphabet[below(alphabet.size())]);
  return out;
}

namespace {

constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kHex = "0123456789abcdef";

template <typename T>
const T& pick(Rng& rng, const std::vector<T>& items) {
  return items[rng.below(items.size())];
}

std::string num(std::size_t n, int width) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%0*zu", width, n);
  return buffer;
}

std::string range(Rng& rng, std::size_t lo, std::size_t hi, int width = 0) {
  return num(lo + rng.below(hi - lo + 1), width);
}

// Groups `s` in blocks of `size` separated by `sep`.
std::string grouped(const std::string& s, std::size_t size, char sep) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && i % size == 0) out.push_back(sep);
    out.push_back(s[i]);
  }
  return out;
}

char luhn_check(const std::string& payload) {
  int sum = 0;
  bool twice = true;
  for (std::size_t i = payload.size(); i-- > 0;) {
    int d = payload[i] - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

int mod97(const std::string& s) {
  int r = 0;
  for (const char c : s) {
    if (c >= '0' && c <= '9') {
      r = (r * 10 + (c - '0')) % 97;
    } else {
      r = (r * 100 + (c - 'A' + 10)) % 97;
    }
  }
  return r;
}

// ---- names and places per locale ----

struct LocaleData {
  std::vector<std::string> first, last, streets, cities, domains;
};

const LocaleData& data(Locale l) {
  static const LocaleData kUs{{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
                               "David", "Elizabeth", "William", "Barbara", "Richard", "Susan"},
                              {"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
                               "Rodriguez", "Martinez", "Wilson", "Anderson", "O'Connor"},
                              {"Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill"},
                              {"Springfield", "Portland", "Austin", "Denver", "Boston", "Seattle"},
                              {"gmail.com", "yahoo.com", "outlook.com", "aol.com", "comcast.net"}};
  static const LocaleData kGb{{"Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily",
                               "Charlie", "Sophie", "Thomas", "Grace"},
                              {"Taylor", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes",
                               "Edwards", "Green", "Hall", "Wood", "Harris"},
                              {"Baker", "High", "Church", "Station", "Victoria", "Mill", "Park", "Queen"},
                              {"London", "Manchester", "Leeds", "Bristol", "Glasgow", "Cardiff"},
                              {"btinternet.com", "yahoo.co.uk", "sky.com", "gmail.com", "hotmail.co.uk"}};
  static const LocaleData kDe{{"Lukas", "Anna", "Jonas", "Lena", "Felix", "Marie", "Maximilian", "Sophie",
                               "Paul", "Jürgen", "Mia", "Björn", "Sabine"},
                              {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
                               "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "von Bülow"},
                              {"Haupt", "Bahnhof", "Schiller", "Goethe", "Garten", "Kirch", "Linden", "Berg"},
                              {"Berlin", "München", "Hamburg", "Köln", "Frankfurt am Main", "Stuttgart"},
                              {"web.de", "gmx.de", "t-online.de", "posteo.de", "gmail.com"}};
  static const LocaleData kFr{
      {"Jean", "Marie", "Pierre", "Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "François",
       "Émilie"},
      {"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
       "de la Fontaine", "Lefèvre"},
      {"de la Paix", "Victor Hugo", "de Rivoli", "Pasteur", "de la République", "Nationale"},
      {"Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux", "Nantes"},
      {"orange.fr", "free.fr", "laposte.net", "sfr.fr", "gmail.com"}};
  static const LocaleData kIt{{"Marco", "Giulia", "Luca", "Francesca", "Giuseppe", "Chiara", "Alessandro",
                               "Sara", "Matteo", "Elena", "Niccolò"},
                              {"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
                               "Ricci", "Marino", "Greco", "De Luca", "D'Angelo"},
                              {"Roma", "Garibaldi", "Mazzini", "Dante", "Cavour", "Verdi", "Manzoni"},
                              {"Roma", "Milano", "Napoli", "Torino", "Bologna", "Firenze"},
                              {"libero.it", "virgilio.it", "tiscali.it", "alice.it", "gmail.com"}};
  static const LocaleData kEs{
      {"Antonio", "María", "Manuel", "Carmen", "José", "Lucía", "Javier", "Ana", "Daniel", "Laura", "Sofía"},
      {"García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
       "Martín", "de la Fuente"},
      {"Mayor", "Alcalá", "Gran Vía", "Serrano", "del Prado", "Real", "Nueva"},
      {"Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga"},
      {"telefonica.net", "gmail.com", "hotmail.es", "yahoo.es", "movistar.es"}};
  static const LocaleData kNl{
      {"Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Finn", "Tess", "Bram", "Sanne", "Joris"},
      {"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit", "Meijer",
       "de Boer", "Mulder"},
      {"Keizersgracht", "Dorpsstraat", "Kerkstraat", "Stationsweg", "Molenweg", "Prinsengracht"},
      {"Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven", "Groningen"},
      {"ziggo.nl", "kpnmail.nl", "hetnet.nl", "xs4all.nl", "gmail.com"}};
  static const LocaleData kAt{{"Florian", "Katharina", "Tobias", "Johanna", "Stefan", "Theresa", "Andreas"},
                              {"Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser"},
                              {"Ring", "Mariahilfer", "Haupt", "Linzer", "Grazer", "Wiener"},
                              {"Wien", "Graz", "Linz", "Salzburg", "Innsbruck"},
                              {"aon.at", "gmx.at", "chello.at", "a1.net"}};
  switch (l) {
    case Locale::US:
      return kUs;
    case Locale::GB:
      return kGb;
    case Locale::DE:
      return kDe;
    case Locale::FR:
      return kFr;
    case Locale::IT:
      return kIt;
    case Locale::ES:
      return kEs;
    case Locale::NL:
      return kNl;
    case Locale::AT:
      return kAt;
  }
  return kUs;
}

std::string ascii_fold(const std::string& s) {
  // Lower-cases ASCII and drops what an e-mail local part would not carry (accents, spaces, apostrophes).
  std::string out;
  for (const char c : s) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (c >= 'a' && c <= 'z') {
      out.push_back(c);
    }
  }
  return out.empty() ? "user" : out;
}

// ---- entity generators ----

std::string email(Locale l, Rng& rng) {
  const auto& d = data(l);
  const std::string first = ascii_fold(pick(rng, d.first)), last = ascii_fold(pick(rng, d.last));
  std::string local;
  switch (rng.below(4)) {
    case 0:
      local = first + "." + last;
      break;
    case 1:
      local = first.substr(0, 1) + last + range(rng, 1, 99);
      break;
    case 2:
      local = first + "_" + last + range(rng, 1950, 2005);
      break;
    default:
      local = last + "+" + rng.chars("abcdefghijklmnopqrstuvwxyz", 4);
  }
  return local + "@" + pick(rng, d.domains);
}

std::string nanp_number(Rng& rng) {
  std::string area = range(rng, 2, 9) + rng.digits(2);
  if (area[1] == '1' && area[2] == '1') area[2] = '2';
  return area + range(rng, 2, 9) + rng.digits(6);
}

std::string phone(Locale l, Rng& rng) {
  const bool intl = rng.chance(0.4);
  switch (l) {
    case Locale::US: {
      const std::string n = nanp_number(rng);
      if (intl) return "+1 " + n.substr(0, 3) + "-" + n.substr(3, 3) + "-" + n.substr(6);
      if (rng.chance(0.5)) return "(" + n.substr(0, 3) + ") " + n.substr(3, 3) + "-" + n.substr(6);
      return n.substr(0, 3) + "." + n.substr(3, 3) + "." + n.substr(6);
    }
    case Locale::GB: {
      const std::string n = pick(rng, std::vector<std::string>{"20", "161", "113", "7700", "7911"});
      const std::string rest = rng.digits(10 - n.size());
      return intl ? "+44 " + n + " " + rest : "0" + n + " " + rest;
    }
    case Locale::DE: {
      const std::string area =
          pick(rng, std::vector<std::string>{"30", "40", "89", "221", "151", "170", "6221"});
      const std::string rest = range(rng, 1, 9) + rng.digits(area.size() >= 3 ? 6 : 7);
      return intl ? "+49 " + area + " " + rest : "0" + area + (rng.chance(0.5) ? " " : "/") + rest;
    }
    case Locale::FR: {
      const std::string n = range(rng, 1, 7) + rng.digits(8);
      std::string g = n.substr(0, 1) + " " + grouped(n.substr(1), 2, ' ');
      if (intl) return "+33 " + g;
      return "0" + n.substr(0, 1) + (rng.chance(0.5) ? " " : ".") +
             grouped(n.substr(1), 2, rng.chance(0.5) ? ' ' : '.');
    }
    case Locale::IT: {
      if (rng.chance(0.5)) {
        const std::string n = "3" + rng.digits(2) + " " + rng.digits(3) + " " + rng.digits(4);
        return intl ? "+39 " + n : n;
      }
      const std::string n = "0" + range(rng, 2, 9) + " " + rng.digits(4) + " " + rng.digits(4);
      return intl ? "+39 " + n : n;
    }
    case Locale::ES: {
      const std::string n = range(rng, 6, 9) + rng.digits(2) + " " + rng.digits(3) + " " + rng.digits(3);
      return intl ? "+34 " + n : n;
    }
    case Locale::NL: {
      if (rng.chance(0.5)) return intl ? "+31 6 " + rng.digits(8) : "06-" + rng.digits(8);
      const std::string n = range(rng, 10, 79) + "-" + range(rng, 1, 9) + rng.digits(6);
      return intl ? "+31 " + n : "0" + n;
    }
    case Locale::AT: {
      const std::string area = pick(rng, std::vector<std::string>{"1", "664", "676", "316", "512"});
      const std::string rest = range(rng, 1, 9) + rng.digits(6);
      return intl ? "+43 " + area + " " + rest : "0" + area + " " + rest;
    }
  }
  return {};
}

std::string credit_card(Locale, Rng& rng) {
  std::string payload;
  switch (rng.below(4)) {
    case 0:
      payload = "4" + rng.digits(14);
      break;
    case 1:
      payload = "5" + range(rng, 1, 5) + rng.digits(13);
      break;
    case 2:
      payload = "3" + std::string(rng.chance(0.5) ? "4" : "7") + rng.digits(12);
      break;
    default:
      payload = "6011" + rng.digits(11);
  }
  const std::string card = payload + luhn_check(payload);
  const auto style = rng.below(3);
  if (style == 0) return card;
  if (card.size() == 15) return card.substr(0, 4) + " " + card.substr(4, 6) + " " + card.substr(10);
  return grouped(card, 4, style == 1 ? ' ' : '-');
}

std::string iban(Locale l, Rng& rng) {
  std::string cc, bban;
  switch (l) {
    case Locale::DE:
      cc = "DE";
      bban = rng.digits(18);
      break;
    case Locale::FR:
      cc = "FR";
      bban = rng.digits(10) + rng.chars("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", 11) + rng.digits(2);
      break;
    case Locale::IT:
      cc = "IT";
      bban = rng.chars(kUpper, 1) + rng.digits(10) + rng.chars("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", 12);
      break;
    case Locale::ES:
      cc = "ES";
      bban = rng.digits(20);
      break;
    case Locale::NL:
      cc = "NL";
      bban = pick(rng, std::vector<std::string>{"ABNA", "INGB", "RABO", "TRIO", "SNSB"}) + rng.digits(10);
      break;
    case Locale::GB:
      cc = "GB";
      bban = pick(rng, std::vector<std::string>{"NWBK", "BARC", "LOYD", "HBUK", "MIDL"}) + rng.digits(14);
      break;
    case Locale::AT:
      cc = "AT";
      bban = rng.digits(16);
      break;
    case Locale::US:
      cc = "CH";
      bban = rng.digits(5) + rng.chars("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", 12);
      break;
  }
  const int check = 98 - mod97(bban + cc + "00");
  const std::string out = cc + num(static_cast<std::size_t>(check), 2) + bban;
  return rng.chance(0.4) ? grouped(out, 4, ' ') : out;
}

std::string country_code(Locale l) {
  switch (l) {
    case Locale::US:
      return "US";
    case Locale::GB:
      return "GB";
    case Locale::DE:
      return "DE";
    case Locale::FR:
      return "FR";
    case Locale::IT:
      return "IT";
    case Locale::ES:
      return "ES";
    case Locale::NL:
      return "NL";
    case Locale::AT:
      return "AT";
  }
  return "DE";
}

std::string bic(Locale l, Rng& rng) {
  std::string out = rng.chars(kUpper, 4) + country_code(l) + rng.chars(kUpper, 1) +
                    rng.chars("ABCDEFGHJKLMNPQRSTUVWXYZ123456789", 1);
  if (rng.chance(0.5)) out += rng.chance(0.5) ? "XXX" : rng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 3);
  return out;
}

std::string us_ssn(Locale, Rng& rng) {
  std::size_t area = 1 + rng.below(899);
  if (area == 666) area = 667;
  return num(area, 3) + "-" + range(rng, 1, 99, 2) + "-" + range(rng, 1, 9999, 4);
}

std::string ip_address(Locale, Rng& rng) {
  switch (rng.below(4)) {
    case 0:
      return "10." + range(rng, 0, 255) + "." + range(rng, 0, 255) + "." + range(rng, 1, 254);
    case 1:
      return "192.168." + range(rng, 0, 255) + "." + range(rng, 1, 254);
    case 2: {
      std::size_t first = 1 + rng.below(223);
      if (first == 127 || first == 10 || first == 192 || first == 198 || first == 203) first = 85;
      return num(first, 0) + "." + range(rng, 0, 255) + "." + range(rng, 0, 255) + "." + range(rng, 1, 254);
    }
    default: {
      std::string out =
          pick(rng, std::vector<std::string>{"2a02", "2001:4860", "2a00:1450", "fe80:0", "2606:4700"});
      out += ":" + rng.chars(kHex, 1 + rng.below(4)) + ":" + rng.chars(kHex, 4) +
             "::" + rng.chars(kHex, 1 + rng.below(4));
      return out;
    }
  }
}

std::string mac_address(Locale, Rng& rng) {
  std::string hex = rng.chars(kHex, 12);
  if (rng.chance(0.5)) {
    for (char& c : hex) c = (c >= 'a') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  const auto style = rng.below(3);
  if (style == 2) return grouped(hex, 4, '.');
  return grouped(hex, 2, style == 0 ? ':' : '-');
}

int vin_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  static constexpr std::string_view kLetters = "ABCDEFGHJKLMNPRSTUVWXYZ";
  static constexpr int kValues[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
  return kValues[kLetters.find(c)];
}

std::string vin(Locale l, Rng& rng) {
  constexpr std::string_view kVinChars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
  constexpr std::string_view kYears = "ABCDEFGHJKLMNPRSTVWXY123456789";
  const bool north_america = l == Locale::US || rng.chance(0.15);
  std::string wmi = north_america
                        ? pick(rng, std::vector<std::string>{"1HG", "1FA", "1G1", "2T1", "3VW", "4T1", "5YJ"})
                        : pick(rng, std::vector<std::string>{"WVW", "WBA", "WDB", "VF1", "ZFA", "VSS", "SAL",
                                                             "YV1", "TMB", "JHM", "KMH"});
  std::string s =
      wmi + rng.chars(kVinChars, 5) + "0" + rng.chars(kYears, 1) + rng.chars(kVinChars, 1) + rng.digits(6);
  if (north_america) {
    static constexpr int kWeights[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
    int sum = 0;
    for (std::size_t i = 0; i < 17; ++i) sum += vin_value(s[i]) * kWeights[i];
    s[8] = sum % 11 == 10 ? 'X' : static_cast<char>('0' + sum % 11);
  } else {
    s[8] = rng.chars(kVinChars, 1)[0];
  }
  return s;
}

std::string de_tax_id(Locale, Rng& rng) {
  while (true) {
    // Ten digits: nine distinct ones and one of them twice (or eight and one three times, not three in a
    // row).
    std::string pool(kDigits);
    for (std::size_t i = pool.size(); i > 1; --i) std::swap(pool[i - 1], pool[rng.below(i)]);
    const bool thrice = rng.chance(0.2);
    std::string d = pool.substr(0, thrice ? 8 : 9);
    d.push_back(d[rng.below(d.size())]);
    if (thrice) d.push_back(d.back());
    for (std::size_t i = d.size(); i > 1; --i) std::swap(d[i - 1], d[rng.below(i)]);
    if (d[0] == '0') continue;
    bool triple = false;
    for (std::size_t i = 2; i < 10; ++i) triple = triple || (d[i] == d[i - 1] && d[i] == d[i - 2]);
    if (triple) continue;
    int product = 10;
    for (std::size_t i = 0; i < 10; ++i) {
      int sum = (d[i] - '0' + product) % 10;
      if (sum == 0) sum = 10;
      product = (sum * 2) % 11;
    }
    const int check = 11 - product == 10 ? 0 : 11 - product;
    d.push_back(static_cast<char>('0' + check));
    return rng.chance(0.3) ? d.substr(0, 2) + " " + d.substr(2, 3) + " " + d.substr(5, 3) + " " + d.substr(8)
                           : d;
  }
}

std::string fr_nir(Locale, Rng& rng) {
  const std::string sex = rng.chance(0.5) ? "1" : "2";
  const std::string head = sex + rng.digits(2) + range(rng, 1, 12, 2);
  const bool corsica = rng.chance(0.1);
  const std::string dept = corsica ? (rng.chance(0.5) ? "2A" : "2B") : range(rng, 1, 95, 2);
  const std::string tail = range(rng, 1, 999, 3) + range(rng, 1, 999, 3);
  std::string digits = head + (corsica ? (dept == "2A" ? "19" : "18") : dept) + tail;
  const int key = 97 - mod97(digits);
  const std::string value = head + dept + tail + num(static_cast<std::size_t>(key), 2);
  if (!rng.chance(0.3)) return value;
  return value.substr(0, 1) + " " + value.substr(1, 2) + " " + value.substr(3, 2) + " " + value.substr(5, 2) +
         " " + value.substr(7, 3) + " " + value.substr(10, 3) + " " + value.substr(13);
}

std::string it_fiscal_code(Locale, Rng& rng) {
  constexpr std::string_view kConsonants = "BCDFGHLMNPRSTVZ";
  std::string s = rng.chars(kConsonants, 6) + rng.digits(2) + rng.chars("ABCDEHLMPRST", 1);
  const std::size_t day = 1 + rng.below(28) + (rng.chance(0.5) ? 40 : 0);
  s += num(day, 2) + pick(rng, std::vector<std::string>{"H501", "F205", "A562", "L219", "G273", "D612"});
  static constexpr int kOdd[36] = {1,  0,  5, 7, 9,  13, 15, 17, 19, 21, 1,  0,  5,  7,  9,  13, 15, 17,
                                   19, 21, 2, 4, 18, 20, 11, 3,  6,  8,  12, 14, 16, 10, 22, 25, 24, 23};
  int sum = 0;
  for (std::size_t i = 0; i < 15; ++i) {
    const bool digit = s[i] >= '0' && s[i] <= '9';
    const int idx = digit ? s[i] - '0' : s[i] - 'A' + 10;
    sum += i % 2 == 0 ? kOdd[idx] : (digit ? s[i] - '0' : s[i] - 'A');
  }
  s.push_back(static_cast<char>('A' + sum % 26));
  return s;
}

std::string es_dni(Locale, Rng& rng) {
  static constexpr std::string_view kLetters = "TRWAGMYFPDXBNJZSQVHLCKE";
  if (rng.chance(0.3)) {
    const std::size_t prefix = rng.below(3);
    const std::string digits = rng.digits(7);
    const std::size_t n = prefix * 10000000 + std::stoul(digits);
    return std::string(1, static_cast<char>('X' + prefix)) + digits + kLetters[n % 23];
  }
  const std::string digits = range(rng, 1, 9) + rng.digits(7);
  const std::string sep = rng.chance(0.2) ? "-" : "";
  return digits + sep + kLetters[std::stoul(digits) % 23];
}

std::string gb_nino(Locale, Rng& rng) {
  std::string prefix;
  do {
    prefix = rng.chars("ABCEGHJKLMNOPRSTWXYZ", 1) + rng.chars("ABCEGHJKLMNPRSTWXYZ", 1);
  } while (prefix == "BG" || prefix == "GB" || prefix == "KN" || prefix == "NK" || prefix == "NT" ||
           prefix == "TN" || prefix == "ZZ");
  const std::string d = rng.digits(6);
  const std::string suffix = rng.chars("ABCD", 1);
  if (rng.chance(0.4))
    return prefix + " " + d.substr(0, 2) + " " + d.substr(2, 2) + " " + d.substr(4) + " " + suffix;
  return prefix + d + suffix;
}

std::string nl_bsn(Locale, Rng& rng) {
  while (true) {
    const std::string d = range(rng, 1, 6) + rng.digits(7);
    int sum = 0;
    for (std::size_t i = 0; i < 8; ++i) sum += (d[i] - '0') * static_cast<int>(9 - i);
    const int check = sum % 11;
    if (check == 10) continue;
    const std::string out = d + static_cast<char>('0' + check);
    return rng.chance(0.2) ? out.substr(0, 4) + "." + out.substr(4, 2) + "." + out.substr(6) : out;
  }
}

std::string passport(Locale l, Rng& rng) {
  switch (l) {
    case Locale::DE:
    case Locale::AT:
      return "C" + rng.chars("CFGHJKLMNPRTVWXYZ0123456789", 7) + rng.digits(1);
    case Locale::FR:
      return rng.digits(2) + rng.chars(kUpper, 2) + rng.digits(5);
    case Locale::IT:
      return rng.chars(kUpper, 2) + rng.digits(7);
    case Locale::ES:
      return rng.chars(kUpper, 3) + rng.digits(6);
    case Locale::NL:
      return rng.chars("ABCDEFGHIJKLMNPQRSTUVWXYZ", 2) + rng.chars("ABCDEFGHIJKLMNPQRSTUVWXYZ0123456789", 6) +
             rng.digits(1);
    default:
      return range(rng, 1, 9) + rng.digits(8);
  }
}

std::string date_of_birth(Locale l, Rng& rng) {
  const std::string y = range(rng, 1935, 2012), m = range(rng, 1, 12, 2), d = range(rng, 1, 28, 2);
  if (rng.chance(0.3)) return y + "-" + m + "-" + d;
  switch (l) {
    case Locale::US:
      return m + "/" + d + "/" + y;
    case Locale::DE:
    case Locale::AT:
      return d + "." + m + "." + y;
    case Locale::NL:
      return d + "-" + m + "-" + y;
    default:
      return d + "/" + m + "/" + y;
  }
}

std::string person_name(Locale l, Rng& rng) {
  const auto& d = data(l);
  return pick(rng, d.first) + " " + pick(rng, d.last);
}

std::string postal_address(Locale l, Rng& rng) {
  const auto& d = data(l);
  const std::string n = range(rng, 1, 240);
  const std::string street = pick(rng, d.streets), city = pick(rng, d.cities);
  switch (l) {
    case Locale::US:
      return n + " " + street + " St, " + city + ", " +
             pick(rng, std::vector<std::string>{"CA", "TX", "NY", "OR"}) + " " + range(rng, 10000, 99999);
    case Locale::GB:
      return n + " " + street + " Road, " + city + " " + rng.chars(kUpper, 2) + range(rng, 1, 20) + " " +
             rng.digits(1) + rng.chars(kUpper, 2);
    case Locale::DE:
      return street + "straße " + n + ", " + range(rng, 10000, 99999) + " " + city;
    case Locale::AT:
      return street + "gasse " + n + ", " + range(rng, 1000, 9999) + " " + city;
    case Locale::FR:
      return n + " rue " + street + ", " + range(rng, 10000, 95999) + " " + city;
    case Locale::IT:
      return "Via " + street + " " + n + ", " + range(rng, 10000, 99999) + " " + city;
    case Locale::ES:
      return "Calle " + street + " " + n + ", " + range(rng, 10000, 52999) + " " + city;
    case Locale::NL:
      return street + " " + n + ", " + range(rng, 1000, 9999) + " " + rng.chars("ABCDEFGHJKLMNPRSTVWXZ", 2) +
             " " + city;
  }
  return {};
}

std::string aws_access_key_id(Locale, Rng& rng) {
  return std::string(rng.chance(0.7) ? "AKIA" : "ASIA") + rng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
}

std::string aws_secret_key(Locale, Rng& rng) {
  return rng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 2) + rng.chars("abcdefghijklmnopqrstuvwxyz", 2) +
         rng.digits(2) + rng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+", 34);
}

using Generator = std::string (*)(Locale, Rng&);

struct EntityCorpus {
  std::string_view entity;
  Generator generate;
  std::vector<std::string> names;  // realistic column names (the first ones carry a name hint)
  std::string hive_type = "string";
};

const std::vector<EntityCorpus>& entity_corpora() {
  static const std::vector<EntityCorpus> kCorpora = {
      {"EMAIL",
       email,
       {"email", "e_mail", "contact_email", "courriel", "correo_electronico", "EmailAdres", "col_4", "value",
        "user_contact"}},
      {"PHONE_NUMBER",
       phone,
       {"phone", "telefonnummer", "telephone", "telefono", "mobile", "telefoonnummer", "contact_no",
        "field_9"}},
      {"CREDIT_CARD",
       credit_card,
       {"credit_card", "card_number", "kreditkarte", "numero_carte", "tarjeta", "pan", "payment_ref", "c12"}},
      {"IBAN", iban, {"iban", "kontonummer_iban", "customer_iban", "rekeningnummer", "account", "col_2"}},
      {"BIC", bic, {"bic", "swift_code", "bic_code", "bank_swift", "bank_id", "col_8"}},
      {"US_SSN", us_ssn, {"ssn", "social_security_number", "tax_ref", "col_1"}},
      {"IP_ADDRESS", ip_address, {"ip_address", "client_ip", "remote_addr", "adresse_ip", "host", "src"}},
      {"MAC_ADDRESS", mac_address, {"mac_address", "mac", "hw_addr", "device_id", "col_5"}},
      {"VIN", vin, {"vin", "fahrgestellnummer", "numero_chassis", "telaio", "vehicle", "col_3"}},
      {"DE_TAX_ID",
       de_tax_id,
       {"steuer_id", "steueridentifikationsnummer", "tax_id", "idnr", "kunden_ref", "c4"}},
      {"FR_NIR", fr_nir, {"nir", "numero_securite_sociale", "insee", "num_secu", "ref_client", "c5"}},
      {"IT_FISCAL_CODE",
       it_fiscal_code,
       {"codice_fiscale", "cf", "fiscal_code", "tax_code", "cliente_ref", "c6"}},
      {"ES_DNI", es_dni, {"dni", "nie", "nif", "documento_identidad", "id_cliente", "c7"}},
      {"GB_NINO", gb_nino, {"nino", "national_insurance_number", "ni_number", "employee_ref", "c8"}},
      {"NL_BSN", nl_bsn, {"bsn", "burgerservicenummer", "sofinummer", "klant_ref", "c9"}},
      {"PASSPORT_NUMBER",
       passport,
       {"passport_number", "reisepass_nr", "numero_passeport", "passaporto", "pasaporte", "paspoortnummer"}},
      {"DATE_OF_BIRTH",
       date_of_birth,
       {"date_of_birth", "dob", "geburtsdatum", "date_naissance", "data_nascita", "fecha_nacimiento",
        "geboortedatum", "birthdate"}},
      {"PERSON_NAME",
       person_name,
       {"full_name", "customer_name", "nachname_vorname", "nom_complet", "nome_completo", "nombre_completo",
        "achternaam", "cardholder"}},
      {"POSTAL_ADDRESS",
       postal_address,
       {"address", "street_address", "anschrift", "adresse_postale", "indirizzo", "direccion", "adres",
        "billing_address"}},
      {"AWS_ACCESS_KEY_ID",
       aws_access_key_id,
       {"aws_access_key_id", "access_key", "key_id", "credential", "col_11"}},
      {"AWS_SECRET_KEY", aws_secret_key, {"aws_secret_access_key", "secret_key", "secret", "aws_secret"}},
  };
  return kCorpora;
}

const EntityCorpus& corpus_of(std::string_view entity) {
  for (const auto& c : entity_corpora()) {
    if (c.entity == entity) return c;
  }
  throw std::invalid_argument("no corpus for " + std::string(entity));
}

// One digit of `value` replaced by another: a checksum failure for every single-digit-detecting check.
std::string corrupt_digit(const std::string& value, Rng& rng) {
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] >= '0' && value[i] <= '9') positions.push_back(i);
  }
  if (positions.empty()) return value;
  std::string out = value;
  const std::size_t at = positions[rng.below(positions.size())];
  out[at] = static_cast<char>('0' + (out[at] - '0' + 1 + rng.below(9)) % 10);
  return out;
}

}  // namespace

std::string valid_value(std::string_view entity, Locale locale, Rng& rng) {
  return corpus_of(entity).generate(locale, rng);
}

const std::vector<std::string>& lookalike_kinds() {
  static const std::vector<std::string> kKinds = {"order_number",
                                                  "amount",
                                                  "timestamp",
                                                  "uuid",
                                                  "product_code",
                                                  "luhn_failing_digits",
                                                  "mod97_failing_iban",
                                                  "bsn_failing_digits",
                                                  "tax_id_failing_digits",
                                                  "year",
                                                  "version",
                                                  "sequence_id",
                                                  "zip_code",
                                                  "sha1_hex",
                                                  "session_token",
                                                  "recent_date",
                                                  "percentage",
                                                  "tracking_number",
                                                  "invoice_id",
                                                  "phone_model"};
  return kKinds;
}

std::string lookalike_value(std::string_view kind, Rng& rng) {
  if (kind == "order_number") {
    switch (rng.below(3)) {
      case 0:
        return "ORD-" + range(rng, 2019, 2025) + "-" + rng.digits(6);
      case 1:
        return range(rng, 100000000, 999999999);
      default:
        return "SO" + rng.digits(8);
    }
  }
  if (kind == "amount") {
    return (rng.chance(0.1) ? "-" : "") + range(rng, 0, 99999) + (rng.chance(0.5) ? "." : ",") +
           rng.digits(2);
  }
  if (kind == "timestamp") {
    return range(rng, 2018, 2025) + "-" + range(rng, 1, 12, 2) + "-" + range(rng, 1, 28, 2) +
           (rng.chance(0.5) ? "T" : " ") + range(rng, 0, 23, 2) + ":" + range(rng, 0, 59, 2) + ":" +
           range(rng, 0, 59, 2) + (rng.chance(0.5) ? "Z" : "");
  }
  if (kind == "uuid") {
    return rng.chars(kHex, 8) + "-" + rng.chars(kHex, 4) + "-4" + rng.chars(kHex, 3) + "-" +
           rng.chars("89ab", 1) + rng.chars(kHex, 3) + "-" + rng.chars(kHex, 12);
  }
  if (kind == "product_code") {
    switch (rng.below(3)) {
      case 0:
        return "SKU-" + rng.digits(5) + "-" + pick(rng, std::vector<std::string>{"XS", "S", "M", "L", "XL"});
      case 1:
        return rng.chars(kUpper, 2) + "-" + rng.digits(4);
      default:
        return rng.chars(kUpper, 3) + rng.digits(3) + rng.chars(kUpper, 1);
    }
  }
  if (kind == "luhn_failing_digits") {
    Rng inner(rng.next());
    std::string v = credit_card(Locale::US, inner);
    return corrupt_digit(v, rng);
  }
  if (kind == "mod97_failing_iban") return corrupt_digit(iban(kLocales[rng.below(8)], rng), rng);
  if (kind == "bsn_failing_digits") return corrupt_digit(nl_bsn(Locale::NL, rng), rng);
  if (kind == "tax_id_failing_digits") return corrupt_digit(de_tax_id(Locale::DE, rng), rng);
  if (kind == "year") return range(rng, 1950, 2025);
  if (kind == "version") {
    return (rng.chance(0.3) ? "v" : "") + range(rng, 0, 12) + "." + range(rng, 0, 30) + "." +
           range(rng, 0, 99) + (rng.chance(0.2) ? "-rc" + range(rng, 1, 5) : "");
  }
  if (kind == "sequence_id") return range(rng, 1, 5000000);
  if (kind == "zip_code") return range(rng, 1000, 99999, 5);
  if (kind == "sha1_hex") return rng.chars(kHex, 40);
  if (kind == "session_token")
    return rng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 32);
  if (kind == "recent_date") {
    return range(rng, 1, 28, 2) + "." + range(rng, 1, 12, 2) + "." + range(rng, 2019, 2025);
  }
  if (kind == "percentage") return range(rng, 0, 100) + "." + rng.digits(1) + "%";
  if (kind == "tracking_number") return "1Z" + rng.chars("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", 16);
  if (kind == "invoice_id") return "INV" + range(rng, 2020, 2025) + rng.digits(6);
  if (kind == "phone_model") {
    return pick(rng, std::vector<std::string>{"iPhone", "Galaxy S", "Pixel ", "Xperia ", "Nokia G"}) +
           range(rng, 5, 24);
  }
  throw std::invalid_argument("unknown look-alike kind " + std::string(kind));
}

namespace {

// Column names under which each look-alike kind is generated: neutral ones and misleading ones that carry an
// entity's name hint.
std::vector<std::string> lookalike_names(std::string_view kind) {
  if (kind == "order_number")
    return {"order_id", "order_number", "bestellnummer", "numero_commande", "tel_order_ref"};
  if (kind == "amount") return {"amount", "betrag", "montant", "card_amount", "iban_balance"};
  if (kind == "timestamp")
    return {"created_at", "updated_at", "fax_sent_at", "birth_registered_at", "event_time"};
  if (kind == "uuid") return {"id", "customer_uuid", "request_id", "secret_id", "passport_uuid"};
  if (kind == "product_code")
    return {"sku", "product_code", "artikelnummer", "passport_category", "vin_model_code"};
  if (kind == "luhn_failing_digits")
    return {"card_number", "credit_card", "kreditkarte", "loyalty_number", "c1"};
  if (kind == "mod97_failing_iban")
    return {"iban", "iban_typo", "kontonummer", "rekeningnummer", "account_ref"};
  if (kind == "bsn_failing_digits") return {"bsn", "klantnummer", "burgerservicenummer", "member_no", "c2"};
  if (kind == "tax_id_failing_digits") return {"steuer_id", "idnr", "tax_id", "kundennummer", "c3"};
  if (kind == "year") return {"birth_year", "year", "geburtsjahr", "annee_naissance", "model_year"};
  if (kind == "version")
    return {"version", "app_version", "mobile_app_version", "firmware", "ip_stack_version"};
  if (kind == "sequence_id") return {"id", "row_id", "address_id", "customer_id", "phone_id"};
  if (kind == "zip_code") return {"zip", "plz", "code_postal", "cap", "postal_code"};
  if (kind == "sha1_hex") return {"sha1", "customer_name_hash", "secret_hash", "email_hash", "checksum"};
  if (kind == "session_token") return {"session_token", "csrf_token", "nonce", "secret_nonce", "api_token"};
  if (kind == "recent_date")
    return {"order_date", "lieferdatum", "date_commande", "birth_certificate_issued", "dob_checked_on"};
  if (kind == "percentage") return {"discount", "rate", "tax_rate", "card_fee_pct", "vat"};
  if (kind == "tracking_number")
    return {"tracking_number", "sendungsnummer", "vin_shipment_ref", "parcel", "colis"};
  if (kind == "invoice_id")
    return {"invoice_id", "rechnungsnummer", "facture", "iban_invoice_ref", "fattura"};
  if (kind == "phone_model") return {"phone_model", "telefon_modell", "device", "mobile_device", "handy_typ"};
  return {"value"};
}

std::vector<std::string> column_values(Rng& rng, std::size_t rows, double dirty,
                                       const std::function<std::string()>& make) {
  static const std::vector<std::string> kDirty = {"", "N/A", "unknown", "-", "null", "?", "n.v."};
  std::vector<std::string> values;
  values.reserve(rows);
  for (std::size_t i = 0; i < rows; ++i) values.push_back(rng.chance(dirty) ? pick(rng, kDirty) : make());
  return values;
}

}  // namespace

std::vector<LabelledColumn> generate_corpus(std::uint64_t seed, std::size_t positives, std::size_t targeted,
                                            std::size_t lookalikes, std::size_t rows) {
  Rng rng(seed);
  std::vector<LabelledColumn> out;
  for (const auto& c : entity_corpora()) {
    for (std::size_t i = 0; i < positives; ++i) {
      const Locale locale = kLocales[i % std::size(kLocales)];
      LabelledColumn col;
      col.name = c.names[i % c.names.size()];
      col.label = std::string(c.entity);
      col.kind = std::string(c.entity);
      col.hive_type = c.hive_type;
      if (c.entity == "DATE_OF_BIRTH" && i % 4 == 3) col.hive_type = "date";
      col.values = column_values(rng, rows, 0.03, [&] { return c.generate(locale, rng); });
      out.push_back(std::move(col));
    }
    // Targeted negatives: the entity's own (hinted) column names over values that fail its validator.
    for (std::size_t i = 0; i < targeted; ++i) {
      const Locale locale = kLocales[i % std::size(kLocales)];
      LabelledColumn col;
      col.name = c.names[i % 3];
      col.hive_type = "string";
      const bool checksum = find_builtin_entity(c.entity)->has_checksum && c.entity != "VIN";
      if (checksum && i % 2 == 0) {
        col.kind = std::string(c.entity) + " with a checksum error";
        col.values =
            column_values(rng, rows, 0.0, [&] { return corrupt_digit(c.generate(locale, rng), rng); });
      } else {
        const std::string& kind = lookalike_kinds()[(i * 7 + col.name.size()) % lookalike_kinds().size()];
        col.kind = kind;
        col.values = column_values(rng, rows, 0.0, [&] { return lookalike_value(kind, rng); });
      }
      out.push_back(std::move(col));
    }
  }
  for (const auto& kind : lookalike_kinds()) {
    const auto names = lookalike_names(kind);
    for (std::size_t i = 0; i < lookalikes; ++i) {
      LabelledColumn col;
      col.name = names[i % names.size()];
      col.hive_type = "string";
      col.kind = kind;
      col.values = column_values(rng, rows, 0.01, [&] { return lookalike_value(kind, rng); });
      out.push_back(std::move(col));
    }
  }
  return out;
}

}  // namespace cairn::classifiers::test
