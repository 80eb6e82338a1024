#include "cairn/crawler/csv_classifier.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <set>
#include <unordered_set>

#include "csv_parse.h"
#include "text_sample.h"

namespace cairn::crawler {

namespace {

// Delimiter candidates, rarest first: when two delimiters split the sample equally well, the rarer one wins
// (a tab-separated file whose text has commas in it is TSV, not CSV).
constexpr std::array<char, 5> kCandidates = {'\x01', '\t', '|', ';', ','};
// Rows read to choose the delimiter; the chosen one then parses the whole sample.
constexpr std::size_t kDetectRows = 200;
// The share of rows that must have the most common field count for the file to be delimited text.
constexpr double kMinConsistency = 0.8;
constexpr std::size_t kMaxColumnName = 255;

constexpr const char* kLazySimpleSerDe = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
constexpr const char* kOpenCsvSerDe = "org.apache.hadoop.hive.serde2.OpenCSVSerde";
constexpr const char* kTextInputFormat = "org.apache.hadoop.mapred.TextInputFormat";
constexpr const char* kTextOutputFormat = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
// Joda patterns for LazySimpleSerDe's timestamp.formats: ISO-8601 values with 'T', a fraction and a zone
// ("ZZ" also parses "Z"); Hive tries its default yyyy-MM-dd HH:mm:ss[.f] first.
constexpr const char* kIsoTimestampFormats =
    "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSZZ,yyyy-MM-dd'T'HH:mm:ssZZ,yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS,"
    "yyyy-MM-dd'T'HH:mm:ss";

using csv::ParsedViews;
using csv::RowShape;
using text::trim;

// ---------------------------------------------------------------------------------------------------------
// Tokenizer

// How well one delimiter splits the rows.
struct Split {
  char delim = ',';
  std::size_t columns = 0;     // the most common field count (ties: the larger count)
  std::size_t consistent = 0;  // rows with that count
  std::size_t rows = 0;
  std::size_t foreign = 0;  // fields holding another candidate delimiter (a sign of a wrong split)
  double consistency() const { return rows == 0 ? 0.0 : static_cast<double>(consistent) / rows; }
};

Split measure(const std::vector<RowShape>& shapes, char delim) {
  Split s;
  s.delim = delim;
  s.rows = shapes.size();
  // Field count -> rows; a sample has few distinct counts, so a vector searched linearly.
  std::vector<std::pair<std::size_t, std::size_t>> counts;
  for (const RowShape& row : shapes) {
    s.foreign += row.foreign;
    auto it =
        std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == row.fields; });
    if (it == counts.end()) {
      counts.emplace_back(row.fields, 1);
    } else {
      ++it->second;
    }
  }
  std::sort(counts.begin(), counts.end());
  for (const auto& [columns, rows] : counts) {
    if (rows >= s.consistent) {  // ascending keys: on a tie the larger field count wins
      s.columns = columns;
      s.consistent = rows;
    }
  }
  return s;
}

// The other candidate delimiters: bytes that, inside a field, hint that `delim` splits wrongly.
std::string foreign_of(char delim) {
  std::string out;
  for (char other : kCandidates)
    if (other != delim) out += other;
  return out;
}

// How `delim` splits the first `max_rows` rows of `body`.
Split measure(std::string_view body, char delim, char quote, bool truncated, std::size_t max_rows) {
  return measure(csv::row_shapes(body, delim, quote, truncated, max_rows, foreign_of(delim)), delim);
}

// How `delim` split the first `max_rows` rows of `parsed`.
Split measure(const ParsedViews& parsed, char delim, std::size_t max_rows = SIZE_MAX) {
  std::array<bool, 256> foreign{};
  for (char other : foreign_of(delim)) foreign[static_cast<unsigned char>(other)] = true;
  std::vector<RowShape> shapes;
  shapes.reserve(std::min(parsed.rows.size(), max_rows));
  for (const ParsedViews::Span& row : parsed.rows) {
    if (shapes.size() == max_rows) break;
    RowShape shape{row.count, 0};
    for (std::size_t f = 0; f < row.count; ++f) {
      const std::string_view cell = parsed.cells[row.begin + f];
      if (std::any_of(cell.begin(), cell.end(),
                      [&](char c) { return foreign[static_cast<unsigned char>(c)]; }))
        ++shape.foreign;
    }
    shapes.push_back(shape);
  }
  return measure(shapes, delim);
}

// True when `a` splits the sample better than `b`: more consistent rows, then fewer fields holding another
// candidate, then more columns; on a full tie the earlier (rarer) candidate stays.
bool better(const Split& a, const Split& b) {
  // consistent/rows compared by cross-multiplication: exact.
  std::size_t lhs = a.consistent * b.rows;
  std::size_t rhs = b.consistent * a.rows;
  if (lhs != rhs) return lhs > rhs;
  std::size_t fa = a.foreign * b.rows;
  std::size_t fb = b.foreign * a.rows;
  if (fa != fb) return fa < fb;
  return a.columns > b.columns;
}

bool viable(const Split& s, std::size_t min_columns) {
  return s.rows > 0 && s.columns >= min_columns && s.consistency() >= kMinConsistency;
}

// ---------------------------------------------------------------------------------------------------------
// Values and column types

enum class Kind { Null, Boolean, Integer, Fixed, Float, Date, Timestamp, IsoTimestamp, Text };

struct Value {
  Kind kind = Kind::Text;
  int int_class = 0;           // Integer: 0 fits int, 1 fits bigint, 2 wider (at most 38 digits)
  int int_digits = 0;          // Integer/Fixed: significant digits before the point
  int scale = 0;               // Fixed: digits after the point
  bool trailing_zero = false;  // Fixed: the fraction ends in 0 (fixed-scale formatting, e.g. 12.50)
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads `count` digits at s[pos..] as a number; -1 when they are not all digits.
int digits_at(std::string_view s, std::size_t pos, std::size_t count) {
  if (pos + count > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// yyyy-MM-dd at the start of `s`, with a real calendar day.
bool date_at_start(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  int y = digits_at(s, 0, 4);
  int m = digits_at(s, 5, 2);
  int d = digits_at(s, 8, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max_day = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  return d <= max_day;
}

// HH:mm:ss[.f{1,9}] at s[pos..]; returns the position after it, or npos.
std::size_t time_at(std::string_view s, std::size_t pos) {
  if (pos + 8 > s.size() || s[pos + 2] != ':' || s[pos + 5] != ':') return std::string_view::npos;
  int h = digits_at(s, pos, 2);
  int mi = digits_at(s, pos + 3, 2);
  int sec = digits_at(s, pos + 6, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return std::string_view::npos;
  pos += 8;
  if (pos < s.size() && s[pos] == '.') {
    std::size_t start = ++pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (pos == start || pos - start > 9) return std::string_view::npos;
  }
  return pos;
}

// Z, +HH, +HHmm or +HH:mm (or -) exactly filling s[pos..].
bool zone_at(std::string_view s, std::size_t pos) {
  std::string_view z = s.substr(pos);
  if (z == "Z") return true;
  if (z.empty() || (z[0] != '+' && z[0] != '-')) return false;
  int h = digits_at(z, 1, 2);
  if (h < 0 || h > 18) return false;
  if (z.size() == 3) return true;
  if (z.size() == 5) return digits_at(z, 3, 2) >= 0 && digits_at(z, 3, 2) <= 59;
  if (z.size() == 6 && z[3] == ':') return digits_at(z, 4, 2) >= 0 && digits_at(z, 4, 2) <= 59;
  return false;
}

Value classify_number(std::string_view s) {
  Value v;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t int_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  std::size_t int_len = i - int_start;
  std::size_t frac_len = 0;
  bool point = false;
  bool exponent = false;
  char last_frac = 0;
  if (i < s.size() && s[i] == '.') {
    point = true;
    std::size_t frac_start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    frac_len = i - frac_start;
    if (frac_len > 0) last_frac = s[i - 1];
  }
  if (int_len + frac_len == 0) return v;  // Text
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    exponent = true;
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp_start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == exp_start) return v;
  }
  if (i != s.size()) return v;
  // A leading zero before more integer digits (007, 01234) marks a code to keep as written: text.
  if (int_len > 1 && s[int_start] == '0') return v;
  if (exponent || int_len == 0 || (point && frac_len == 0)) {
    v.kind = Kind::Float;
    return v;
  }
  bool zero_int = int_len == 1 && s[int_start] == '0';
  v.int_digits = zero_int ? 0 : static_cast<int>(int_len);
  if (point) {
    v.kind = Kind::Fixed;
    v.scale = static_cast<int>(frac_len);
    v.trailing_zero = last_frac == '0';
    return v;
  }
  std::int64_t parsed = 0;
  auto [ptr, ec] = std::from_chars(s.data() + (s[0] == '+' ? 1 : 0), s.data() + s.size(), parsed);
  if (ec == std::errc() && ptr == s.data() + s.size()) {
    v.kind = Kind::Integer;
    v.int_class = (parsed >= INT32_MIN && parsed <= INT32_MAX) ? 0 : 1;
    return v;
  }
  if (int_len <= 38) {
    v.kind = Kind::Integer;
    v.int_class = 2;
  }
  return v;
}

bool is_null_token(std::string_view s) {
  return s.empty() || s == "\\N" || s == "NULL" || s == "null";
}

// The kind of one field value (already trimmed when trimming applies).
Value classify_value(std::string_view s) {
  Value v;
  if (is_null_token(s)) {
    v.kind = Kind::Null;
    return v;
  }
  if (catalog::text::iequals_ascii(s, "true") || catalog::text::iequals_ascii(s, "false")) {
    v.kind = Kind::Boolean;
    return v;
  }
  char first = s[0];
  if (is_digit(first) || first == '-' || first == '+' || first == '.') {
    if (s.size() >= 10 && date_at_start(s)) {
      if (s.size() == 10) {
        v.kind = Kind::Date;
        return v;
      }
      char sep = s[10];
      if (sep == ' ' || sep == 'T') {
        std::size_t end = time_at(s, 11);
        if (end == s.size()) {
          v.kind = sep == 'T' ? Kind::IsoTimestamp : Kind::Timestamp;
          return v;
        }
        if (end != std::string_view::npos && sep == 'T' && zone_at(s, end)) {
          v.kind = Kind::IsoTimestamp;
          return v;
        }
      }
      return v;  // Text
    }
    return classify_number(s);
  }
  return v;  // Text
}

// What one column's values were, for the widening rules of column_type().
struct ColumnStats {
  std::size_t values = 0;  // non-null values
  bool text = false;
  bool boolean = false;
  bool integer = false;
  bool fixed = false;
  bool floating = false;
  bool date = false;
  bool timestamp = false;
  bool iso_timestamp = false;
  int int_class = 0;
  int max_int_digits = 0;
  int scale = -1;
  bool mixed_scale = false;
  bool trailing_zero = false;

  void add(const Value& v) {
    if (v.kind == Kind::Null) return;
    ++values;
    switch (v.kind) {
      case Kind::Null:
        break;
      case Kind::Text:
        text = true;
        break;
      case Kind::Boolean:
        boolean = true;
        break;
      case Kind::Integer:
        integer = true;
        int_class = std::max(int_class, v.int_class);
        max_int_digits = std::max(max_int_digits, v.int_digits);
        break;
      case Kind::Fixed:
        fixed = true;
        max_int_digits = std::max(max_int_digits, v.int_digits);
        if (scale >= 0 && scale != v.scale) mixed_scale = true;
        scale = std::max(scale, v.scale);
        trailing_zero = trailing_zero || v.trailing_zero;
        break;
      case Kind::Float:
        floating = true;
        break;
      case Kind::Date:
        date = true;
        break;
      case Kind::Timestamp:
        timestamp = true;
        break;
      case Kind::IsoTimestamp:
        timestamp = true;
        iso_timestamp = true;
        break;
    }
  }

  // The widening rules (docs/crawlers.md, "Formats: CSV").
  std::string type() const {
    if (values == 0 || text) return "string";
    bool numeric = integer || fixed || floating;
    bool temporal = date || timestamp;
    int families = (boolean ? 1 : 0) + (numeric ? 1 : 0) + (temporal ? 1 : 0);
    if (families > 1) return "string";
    if (boolean) return "boolean";
    if (temporal) return timestamp ? "timestamp" : "date";
    if (floating) return "double";
    if (fixed) {
      int needed = max_int_digits + scale;
      bool fixed_scale = !mixed_scale && (trailing_zero || scale == 2);
      if (fixed_scale && needed <= 38) {
        int precision = (needed <= 18 && scale < 18) ? 18 : 38;
        return "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
      }
      return "double";
    }
    if (int_class == 0) return "int";
    if (int_class == 1) return "bigint";
    return "decimal(38,0)";
  }
};

std::string_view prepared(std::string_view value, bool trim_values) {
  return trim_values ? trim(value) : value;
}

ColumnStats stats_of(const std::vector<std::string_view>& values, bool trim_values) {
  ColumnStats stats;
  for (std::string_view v : values) stats.add(classify_value(prepared(v, trim_values)));
  return stats;
}

// ---------------------------------------------------------------------------------------------------------
// Header detection

// Words that name columns far more often than they are column values.
const std::unordered_set<std::string_view>& header_words() {
  static const std::unordered_set<std::string_view> words = {
      "id",           "uuid",      "guid",        "key",         "name",      "names",    "first",
      "last",         "middle",    "full",        "given",       "family",    "surname",  "nickname",
      "user",         "username",  "login",       "email",       "mail",      "phone",    "mobile",
      "fax",          "tel",       "address",     "addr",        "street",    "city",     "town",
      "state",        "province",  "region",      "country",     "zip",       "zipcode",  "postal",
      "postcode",     "code",      "county",      "district",    "lat",       "latitude", "lon",
      "lng",          "longitude", "location",    "geo",         "date",      "time",     "datetime",
      "timestamp",    "ts",        "created",     "updated",     "modified",  "deleted",  "year",
      "month",        "day",       "week",        "hour",        "minute",    "second",   "start",
      "end",          "begin",     "duration",    "age",         "dob",       "birth",    "birthday",
      "gender",       "sex",       "title",       "description", "desc",      "comment",  "comments",
      "note",         "notes",     "remark",      "remarks",     "text",      "message",  "body",
      "subject",      "summary",   "label",       "tag",         "tags",      "category", "categories",
      "type",         "kind",      "class",       "group",       "status",    "flag",     "level",
      "rank",         "score",     "rating",      "grade",       "count",     "number",   "num",
      "no",           "nr",        "qty",         "quantity",    "amount",    "total",    "sum",
      "avg",          "min",       "max",         "price",       "cost",      "value",    "rate",
      "ratio",        "percent",   "pct",         "balance",     "currency",  "iban",     "bic",
      "swift",        "account",   "acct",        "card",        "ssn",       "tax",      "vat",
      "salary",       "income",    "revenue",     "sales",       "discount",  "fee",      "order",
      "invoice",      "payment",   "transaction", "txn",         "product",   "item",     "sku",
      "model",        "brand",     "vendor",      "supplier",    "customer",  "client",   "company",
      "organization", "org",       "department",  "dept",        "team",      "role",     "job",
      "position",     "manager",   "employee",    "owner",       "author",    "source",   "target",
      "url",          "uri",       "link",        "domain",      "host",      "ip",       "path",
      "file",         "filename",  "size",        "length",      "width",     "height",   "weight",
      "color",        "colour",    "language",    "lang",        "locale",    "timezone", "version",
      "active",       "enabled",   "parent",      "ref",         "reference", "index",    "idx",
      "seq",          "sequence",  "line",        "row",         "col",       "column",   "field",
      "attribute",    "attr",      "property",    "unit",        "units",     "stock",
  };
  return words;
}

// Whether `f` holds for a word of a header cell, lower-cased: words split at non-alphanumerics,
// letter/digit changes and camelCase. One buffer for all words: this runs for every cell of every file.
template <typename F>
bool any_word(std::string_view cell, F&& f) {
  std::string current;
  bool found = false;
  auto flush = [&] {
    if (!current.empty()) {
      for (char& c : current) c = catalog::text::ascii_lower(c);
      found = found || f(std::string_view(current));
    }
    current.clear();
  };
  char prev = 0;
  for (char c : cell) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = is_digit(c);
    if (!alpha && !digit) {
      flush();
    } else {
      bool prev_lower = prev >= 'a' && prev <= 'z';
      bool prev_digit = is_digit(prev);
      bool upper = c >= 'A' && c <= 'Z';
      if ((upper && prev_lower) || (digit != prev_digit && !current.empty())) flush();
      current += c;
    }
    prev = c;
    if (found) return true;
  }
  flush();
  return found;
}

// A header cell must look like a column name: starts with a letter, '_' or '#', then letters, digits and a
// few separators (space _ - . ( ) / # % $ &), at most 64 bytes and 6 words; non-ASCII bytes count as letters.
bool is_name_like(std::string_view cell) {
  if (cell.empty() || cell.size() > 64) return false;
  auto letter = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80;
  };
  if (!letter(cell[0]) && cell[0] != '_' && cell[0] != '#') return false;
  std::size_t spaces = 0;
  for (char c : cell) {
    if (c == ' ') ++spaces;
    bool ok = letter(c) || is_digit(c) || std::string_view("_ -.()/#%$&").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return spaces <= 5;
}

bool has_identifier_marks(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') return true;
    if (i > 0 && s[i] >= 'A' && s[i] <= 'Z' && s[i - 1] >= 'a' && s[i - 1] <= 'z') return true;
  }
  return false;
}

bool has_data_marks(std::string_view s) {
  for (char c : s) {
    if (is_digit(c) || c == '@' || c == ':' || c == '/' || c == '\\') return true;
  }
  return false;
}

enum class Case { None, Lower, Upper, Capitalized, Mixed };

Case case_of(std::string_view s) {
  std::size_t lower = 0;
  std::size_t upper = 0;
  bool upper_inside_word = false;
  char prev = ' ';
  for (char c : s) {
    bool is_up = c >= 'A' && c <= 'Z';
    bool is_low = c >= 'a' && c <= 'z';
    bool prev_letter = (prev >= 'a' && prev <= 'z') || (prev >= 'A' && prev <= 'Z');
    if (is_up) {
      ++upper;
      if (prev_letter) upper_inside_word = true;
    }
    if (is_low) ++lower;
    prev = c;
  }
  if (lower + upper == 0) return Case::None;
  if (upper == 0) return Case::Lower;
  if (lower == 0) return upper > 1 ? Case::Upper : Case::Capitalized;
  return upper_inside_word ? Case::Mixed : Case::Capitalized;
}

// Share of `values` for which `pred` holds; 0 when there are none.
template <typename Pred>
double share(const std::vector<std::string_view>& values, Pred pred) {
  std::size_t n = 0;
  std::size_t hit = 0;
  for (std::string_view v : values) {
    ++n;
    if (pred(v)) ++hit;
  }
  return n == 0 ? 0.0 : static_cast<double>(hit) / static_cast<double>(n);
}

// Name evidence for one text column (rule E2 in docs/crawlers.md): the header cell names things the way
// columns are named and differs in shape from the column's values.
bool has_name_evidence(std::string_view cell, const std::vector<std::string_view>& values) {
  if (any_word(cell, [](std::string_view w) { return header_words().count(w) > 0; })) {
    return true;  // E2a: a common column-name word
  }
  if (has_identifier_marks(cell) && !values.empty() && share(values, has_identifier_marks) < 0.1) {
    return true;  // E2b: snake_case or camelCase, unlike the values
  }
  if (!has_data_marks(cell) && !values.empty() && share(values, has_data_marks) >= 0.8) {
    return true;  // E2c: the values carry digits or @ : / \ and the cell does not
  }
  Case cell_case = case_of(cell);
  if (cell_case != Case::None && cell_case != Case::Mixed) {
    std::vector<std::string_view> lettered;
    for (std::string_view v : values) {
      if (case_of(v) != Case::None) lettered.push_back(v);
    }
    if (!lettered.empty() &&
        share(lettered, [&](std::string_view v) { return case_of(v) != cell_case; }) >= 0.8) {
      return true;  // E2d: the cell is written in another letter case than the values
    }
  }
  return false;
}

// Decides whether rows[0] is a header from the rows below it (up to kDetectRows of them; docs/crawlers.md,
// "Header detection"): B1-B5 must hold, and either
// a column's values below are typed while its cell is text (E1, Glue's rule), or at least half the columns
// show name evidence (E2; this finds headers of all-text files, Glue's blind spot). `stats` receives the
// type statistics of each column's values below the header (complete only when it returns true).
bool detect_header(const ParsedViews& rows, std::size_t columns, bool trim_values,
                   std::vector<ColumnStats>& stats) {
  if (rows.rows.empty()) return false;
  if (rows.fields(0) != columns) return false;
  std::set<std::string> seen;
  for (std::size_t c = 0; c < columns; ++c) {
    std::string_view cell = trim(rows.field(0, c));
    if (cell.empty()) return false;                                  // B1
    if (!is_name_like(cell)) return false;                           // B2
    if (classify_value(cell).kind != Kind::Text) return false;       // B3
    if (!seen.insert(text::ascii_lower(cell)).second) return false;  // B4
  }
  std::size_t typed = 0;
  std::size_t named = 0;
  std::vector<std::string_view> values;
  values.reserve(std::min(rows.rows.size(), kDetectRows + 1));
  for (std::size_t c = 0; c < columns; ++c) {
    std::string_view cell = trim(rows.field(0, c));
    values.clear();
    for (std::size_t r = 1; r < rows.rows.size() && r <= kDetectRows; ++r) {
      if (c >= rows.fields(r)) continue;
      std::string_view v = prepared(rows.field(r, c), trim_values);
      if (is_null_token(v)) continue;
      if (catalog::text::iequals_ascii(trim(v), cell))
        return false;  // B5: the cell is one of the column's values
      values.push_back(v);
    }
    const ColumnStats& column = stats.emplace_back(stats_of(values, trim_values));
    if (column.values > 0 && !column.text) ++typed;  // E1
    if (has_name_evidence(cell, values)) ++named;    // E2
  }
  return typed > 0 || named * 2 >= columns;
}

// LazySimpleSerDe reads field.delim as a byte number when it parses as one (LazyUtils.getByte), and the
// catalog rejects control characters in parameters: digits and control characters are written as numbers.
std::string delimiter_parameter(char delim) {
  auto u = static_cast<unsigned char>(delim);
  if (delim == '\t') return "\t";  // the catalog accepts tabs in parameter values
  if (u < 0x20 || u == 0x7f || is_digit(delim)) return std::to_string(static_cast<int>(u));
  return std::string(1, delim);
}

}  // namespace

std::string sanitize_csv_column_name(std::string_view header_cell) {
  std::string out;
  bool pending = false;  // a run of invalid characters waits to become one '_'
  for (char c : header_cell) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    bool valid = (l >= 'a' && l <= 'z') || is_digit(l) || l == '_';
    if (!valid) {
      pending = true;
      continue;
    }
    if (pending && !out.empty()) out += '_';
    pending = false;
    out += l;
  }
  if (out.size() > kMaxColumnName) out.resize(kMaxColumnName);
  return out;
}

std::string infer_csv_column_type(const std::vector<std::string_view>& values, bool trim) {
  return stats_of(values, trim).type();
}

std::optional<FileSchema> classify_csv(std::string_view sample, const CsvOptions& options) {
  std::string_view body = text::strip_utf8_bom(sample);
  if (trim(body).empty() || text::looks_binary(body)) return std::nullopt;
  if (text::starts_json_value(body)) return std::nullopt;
  const bool trim_values = !options.disable_value_trimming;
  const char quote = options.quote;

  // 1. The delimiter: the given one, or the candidate that splits the first rows most consistently.
  std::optional<Split> chosen;
  std::optional<ParsedViews> early;  // the whole sample, parsed with early_delim while choosing the delimiter
  char early_delim = 0;
  bool single_column = false;
  if (options.delimiter) {
    Split s = measure(body, *options.delimiter, quote, options.truncated, kDetectRows);
    if (viable(s, 2)) {
      chosen = s;
    } else if (options.allow_single_column && viable(s, 1) && s.columns == 1) {
      chosen = s;
      single_column = true;
    }
  } else {
    // A delimiter absent from the sample leaves every row one field: never viable, so not tokenized.
    std::string present;
    for (char d : kCandidates)
      if (body.find(d) != std::string_view::npos) present += d;
    if (present.size() == 1) {
      // The only candidate: parse the whole sample at once; its first rows are the detection rows.
      early_delim = present[0];
      early = csv::parse_views(body, early_delim, quote, options.truncated, SIZE_MAX);
      Split s = measure(*early, early_delim, kDetectRows);
      if (viable(s, 2)) chosen = s;
    } else {
      for (char d : present) {
        Split s = measure(body, d, quote, options.truncated, kDetectRows);
        if (viable(s, 2) && (!chosen || better(s, *chosen))) chosen = s;
      }
    }
    if (!chosen && options.allow_single_column) {
      // One column: a delimiter that never splits a row, so the whole line is the value.
      for (char d : {',', '\t', '|', ';', '\x01'}) {
        Split s = measure(body, d, quote, options.truncated, kDetectRows);
        if (s.rows > 0 && s.columns == 1 && s.consistent == s.rows) {
          chosen = s;
          single_column = true;
          break;
        }
      }
    }
  }
  if (!chosen) return std::nullopt;
  const char delim = chosen->delim;

  // 2. The whole sample with that delimiter.
  const ParsedViews parsed = early && early_delim == delim
                                 ? std::move(*early)
                                 : csv::parse_views(body, delim, quote, options.truncated, SIZE_MAX);
  // Fewer rows than the detection limit: the detection saw every row, so its split is this one.
  Split split = chosen->rows < kDetectRows ? *chosen : measure(parsed, delim);
  if (!viable(split, single_column ? 1 : 2)) return std::nullopt;
  const std::size_t columns = split.columns;
  const std::size_t row_count = parsed.rows.size();

  // 3. The header.
  bool header = false;
  std::vector<ColumnStats> header_stats;
  switch (options.header) {
    case CsvHeader::Present:
      header = true;
      break;
    case CsvHeader::Absent:
      header = false;
      break;
    case CsvHeader::Detect: {
      bool equals_custom = !options.custom_header.empty() && parsed.fields(0) == options.custom_header.size();
      for (std::size_t c = 0; equals_custom && c < parsed.fields(0); ++c) {
        equals_custom = sanitize_csv_column_name(parsed.field(0, c)) ==
                        sanitize_csv_column_name(options.custom_header[c]);
      }
      header = equals_custom || detect_header(parsed, columns, trim_values, header_stats);
      // With a header and at most kDetectRows data rows, detection typed exactly the data rows.
      if (!header || equals_custom || row_count > kDetectRows + 1) header_stats.clear();
      break;
    }
  }
  const std::size_t first_data = header ? 1 : 0;

  // 4. Column names: custom ones, else the header's sanitised, else col<i>; empties and repeats get col<i>.
  std::vector<std::string> names;
  std::set<std::string> used;
  for (std::size_t c = 0; c < columns; ++c) {
    std::string name;
    if (!options.custom_header.empty()) {
      if (c < options.custom_header.size()) name = sanitize_csv_column_name(options.custom_header[c]);
    } else if (header && c < parsed.fields(0)) {
      name = sanitize_csv_column_name(parsed.field(0, c));
    }
    if (name.empty() || used.count(name) > 0) {
      std::string base = "col" + std::to_string(c);
      name = base;
      for (int k = 1; used.count(name) > 0; ++k) name = base + "_" + std::to_string(k);
    }
    used.insert(name);
    names.push_back(std::move(name));
  }

  // 5. Types over the data rows; a missing field is a null.
  bool data_quoted = false;
  for (std::size_t r = first_data; r < row_count; ++r) data_quoted = data_quoted || parsed.rows[r].quoted;
  std::vector<ColumnStats> column_stats = std::move(header_stats);
  if (column_stats.empty()) {
    std::vector<std::string_view> values;
    values.reserve(row_count - first_data);
    for (std::size_t c = 0; c < columns; ++c) {
      values.clear();
      for (std::size_t r = first_data; r < row_count; ++r)
        if (c < parsed.fields(r)) values.push_back(parsed.field(r, c));
      column_stats.push_back(stats_of(values, trim_values));
    }
  }
  bool open_csv = options.serde == CsvSerde::OpenCsv || (options.serde == CsvSerde::Detect && data_quoted);
  if (delim == '\x01' || quote == '\0') open_csv = false;  // OpenCSVSerde cannot be given a control char

  FileSchema fs;
  fs.classification = "csv";
  bool iso_timestamps = false;
  fs.columns.reserve(columns);
  for (std::size_t c = 0; c < columns; ++c) {
    const ColumnStats& stats = column_stats[c];
    catalog::Column column;
    column.name = names[c];
    std::string inferred = stats.type();
    if (open_csv) {
      // Hive's OpenCSVSerde reads every column as a string whatever the declared type; the inferred type
      // is kept as a column parameter for engines and for schema merging.
      column.type = "string";
      if (inferred != "string") column.parameters["cairn.inferred_type"] = inferred;
    } else {
      column.type = inferred;
      iso_timestamps = iso_timestamps || (inferred == "timestamp" && stats.iso_timestamp);
    }
    fs.columns.push_back(std::move(column));
  }
  fs.record_count = static_cast<std::int64_t>(row_count - first_data);
  fs.record_count_exact = !options.truncated;
  fs.input_format = kTextInputFormat;
  fs.output_format = kTextOutputFormat;
  std::string delim_text = delimiter_parameter(delim);
  if (open_csv) {
    fs.serialization_library = kOpenCsvSerDe;
    fs.serde_parameters["separatorChar"] = std::string(1, delim);
    fs.serde_parameters["quoteChar"] = std::string(1, quote);
    fs.serde_parameters["escapeChar"] = "\\";
  } else {
    fs.serialization_library = kLazySimpleSerDe;
    fs.serde_parameters["field.delim"] = delim_text;
    if (parsed.backslash_escapes) fs.serde_parameters["escape.delim"] = "\\";
    if (iso_timestamps) fs.serde_parameters["timestamp.formats"] = kIsoTimestampFormats;
  }
  fs.parameters["delimiter"] = delim_text;
  fs.parameters["areColumnsQuoted"] = data_quoted ? "true" : "false";
  fs.parameters["columnsOrdered"] = "true";
  if (header) fs.parameters["skip.header.line.count"] = "1";

  // 6. Certainty: 1.0 for consistent rows (at least two of them); less for ragged rows, malformed quoting
  // and one-row samples.
  double certainty = split.consistent == split.rows ? 1.0 : 0.9 * split.consistency();
  if (parsed.malformed > 0) certainty *= 0.9;
  if (row_count < 2) certainty = std::min(certainty, 0.5);
  fs.certainty = certainty;
  return fs;
}

}  // namespace cairn::crawler
