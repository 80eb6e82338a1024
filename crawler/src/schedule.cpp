#include "cairn/crawler/schedule.h"

#include <array>
#include <charconv>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"

namespace cairn::crawler {

namespace {

namespace text = catalog::text;

constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2199;
constexpr std::int64_t kMaxRate = 1000000000;

constexpr std::array<const char*, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 7> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
constexpr std::array<const char*, 12> kMonthWords = {"January",   "February", "March",    "April",
                                                     "May",       "June",     "July",     "August",
                                                     "September", "October",  "November", "December"};
constexpr std::array<const char*, 7> kDayWords = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                  "Thursday", "Friday", "Saturday"};
constexpr std::array<const char*, 5> kOrdinals = {"first", "second", "third", "fourth", "fifth"};

[[noreturn]] void bad(const std::string& message) {
  throw_invalid("schedule", "invalid schedule: " + message);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  int month;
  int day;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), static_cast<int>(m),
               static_cast<int>(d)};
}

bool is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

// 1 = Sunday … 7 = Saturday.
int weekday(int y, int m, int d) {
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return static_cast<int>(((days + 4) % 7 + 7) % 7) + 1;  // 1970-01-01 was a Thursday
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

template <std::size_t N>
int first_at_or_after(const std::bitset<N>& bits, int from) {
  for (int i = from; i < static_cast<int>(N); ++i) {
    if (bits[static_cast<std::size_t>(i)]) return i;
  }
  return -1;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    std::size_t end = s.find(sep, pos);
    out.push_back(s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    if (end == std::string_view::npos) return out;
    pos = end + 1;
  }
}

std::vector<std::string_view> split_space(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && text::is_ascii_space(s[i])) ++i;
    std::size_t start = i;
    while (i < s.size() && !text::is_ascii_space(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<std::int64_t> parse_digits(std::string_view s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.front() == '-' || s.front() == '+')
    return std::nullopt;
  return v;
}

// One cron field's bounds and names.
struct Field {
  const char* name;
  int min;
  int max;
  const std::array<const char*, 12>* month_names = nullptr;
  const std::array<const char*, 7>* day_names = nullptr;
  int offset = 0;  // the bit of value v is v - offset

  [[noreturn]] void fail(std::string_view token, const std::string& why) const {
    bad(std::string("cron field ") + name + " '" + std::string(token) + "': " + why);
  }

  std::string range_text() const {
    std::string r = std::to_string(min) + "-" + std::to_string(max);
    if (month_names) r += " or JAN-DEC";
    if (day_names) r += " or SUN-SAT (1 = SUN)";
    return r;
  }

  int value(std::string_view token, std::string_view item) const {
    if (auto v = parse_digits(item)) {
      if (*v < min || *v > max) fail(token, std::string(item) + " is out of range " + range_text());
      return static_cast<int>(*v);
    }
    if (month_names) {
      for (std::size_t i = 0; i < month_names->size(); ++i) {
        if (text::iequals_ascii(item, (*month_names)[i])) return static_cast<int>(i) + 1;
      }
    }
    if (day_names) {
      for (std::size_t i = 0; i < day_names->size(); ++i) {
        if (text::iequals_ascii(item, (*day_names)[i])) return static_cast<int>(i) + 1;
      }
    }
    if (item == "?") fail(token, "'?' must stand alone, and only in Day-of-month or Day-of-week");
    if (item.empty()) fail(token, "a value is missing");
    fail(token, "'" + std::string(item) + "' is not a value (expected " + range_text() + ")");
  }

  // A list of values, ranges and steps: * , - / (e.g. "0/15", "MON-FRI", "1,15,30", "8-18/2").
  template <std::size_t N>
  std::bitset<N> values(std::string_view token) const {
    std::bitset<N> bits;
    for (std::string_view item : split(token, ',')) {
      if (item.empty()) fail(token, "an empty element in the list");
      std::string_view base = item;
      int step = 0;
      std::size_t slash = item.find('/');
      if (slash != std::string_view::npos) {
        base = item.substr(0, slash);
        std::optional<std::int64_t> s = parse_digits(item.substr(slash + 1));
        if (!s || *s < 1) fail(token, "the step after '/' must be a whole number of at least 1");
        if (*s > max - min) {
          fail(token, "the step " + std::to_string(*s) + " is larger than the field's span " + range_text());
        }
        step = static_cast<int>(*s);
      }
      int lo = min;
      int hi = max;
      if (base != "*") {
        std::size_t dash = base.find('-');
        if (dash == std::string_view::npos) {
          lo = value(token, base);
          hi = step > 0 ? max : lo;  // "5/15" runs from 5 to the end of the field
        } else {
          lo = value(token, base.substr(0, dash));
          hi = value(token, base.substr(dash + 1));
          if (hi < lo) fail(token, "the range " + std::string(base) + " runs backwards");
        }
      }
      for (int v = lo; v <= hi; v += step > 0 ? step : 1) bits.set(static_cast<std::size_t>(v - offset));
    }
    return bits;
  }
};

const Field kMinutes{"Minutes", 0, 59};
const Field kHours{"Hours", 0, 23};
const Field kDayOfMonth{"Day-of-month", 1, 31};
const Field kMonth{"Month", 1, 12, &kMonthNames};
const Field kDayOfWeek{"Day-of-week", 1, 7, nullptr, &kDayNames};
const Field kYear{"Year", kFirstYear, kLastYear, nullptr, nullptr, kFirstYear};

bool has_any_of(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

// "1-5" style text of the runs of set bits in [lo, hi], each written by `word`.
template <std::size_t N, class Word>
std::string runs(const std::bitset<N>& bits, int lo, int hi, Word word, const char* to = " to ") {
  std::string out;
  for (int v = lo; v <= hi; ++v) {
    if (!bits[static_cast<std::size_t>(v)]) continue;
    int end = v;
    while (end + 1 <= hi && bits[static_cast<std::size_t>(end + 1)]) ++end;
    if (!out.empty()) out += ", ";
    out += word(v);
    if (end > v) out += (end == v + 1 ? std::string(", ") : std::string(to)) + word(end);
    v = end;
  }
  return out;
}

std::string two_digits(int v) {
  return (v < 10 ? "0" : "") + std::to_string(v);
}

}  // namespace

Schedule parse_schedule(std::string_view input) {
  std::string_view s = text::trim_ascii_space(input);
  Schedule out;
  out.expression_ = std::string(s);
  auto body_of = [&](std::string_view keyword) -> std::optional<std::string_view> {
    if (s.size() < keyword.size() + 2 || !text::iequals_ascii(s.substr(0, keyword.size()), keyword) ||
        s[keyword.size()] != '(') {
      return std::nullopt;
    }
    if (s.back() != ')') bad("'" + std::string(s) + "' lacks the closing ')'");
    return s.substr(keyword.size() + 1, s.size() - keyword.size() - 2);
  };

  if (std::optional<std::string_view> body = body_of("rate")) {
    std::vector<std::string_view> parts = split_space(*body);
    if (parts.size() != 2) bad("rate() takes a number and a unit, e.g. rate(5 minutes)");
    std::optional<std::int64_t> n = parse_digits(parts[0]);
    if (!n || *n < 1 || *n > kMaxRate) {
      bad("the rate value '" + std::string(parts[0]) + "' must be a whole number from 1 to " +
          std::to_string(kMaxRate));
    }
    static constexpr std::array<std::pair<const char*, std::int64_t>, 3> kUnits = {
        {{"minute", 60}, {"hour", 3600}, {"day", 86400}}};
    std::string unit = text::lower(parts[1]);
    for (const auto& [name, seconds] : kUnits) {
      std::string singular = name;
      if (unit != singular && unit != singular + "s") continue;
      bool plural = unit.back() == 's';
      if (*n == 1 && plural)
        bad("rate(1 " + unit + ") must be written with the singular unit: rate(1 " + singular + ")");
      if (*n != 1 && !plural)
        bad("a rate of " + std::to_string(*n) + " takes the plural unit: " + singular + "s");
      out.kind_ = Schedule::Kind::Rate;
      out.period_ = *n * seconds;
      return out;
    }
    bad("the rate unit '" + std::string(parts[1]) + "' is not minute(s), hour(s) or day(s)");
  }

  std::optional<std::string_view> body = body_of("cron");
  if (!body) bad("'" + std::string(s) + "' is neither cron(...) nor rate(...)");
  std::vector<std::string_view> f = split_space(*body);
  if (f.size() != 6) {
    bad("cron() takes 6 fields (Minutes Hours Day-of-month Month Day-of-week Year); got " +
        std::to_string(f.size()));
  }
  out.kind_ = Schedule::Kind::Cron;
  const std::array<const Field*, 6> plain = {&kMinutes, &kHours, nullptr, &kMonth, nullptr, &kYear};
  for (std::size_t i = 0; i < plain.size(); ++i) {
    if (plain[i] && (has_any_of(f[i], "?#") || f[i] == "L" || f[i] == "W" || f[i] == "LW")) {
      plain[i]->fail(f[i], "'?', 'L', 'W' and '#' are only allowed in Day-of-month and Day-of-week");
    }
  }
  out.minutes_ = kMinutes.values<60>(f[0]);
  out.hours_ = kHours.values<24>(f[1]);
  out.months_ = kMonth.values<13>(f[3]);
  out.years_ = kYear.values<230>(f[5]);

  bool dom_any = f[2] == "?";
  bool dow_any = f[4] == "?";
  if (dom_any && dow_any) bad("only one of Day-of-month and Day-of-week may be '?'");
  if (!dom_any && !dow_any) {
    bad("one of Day-of-month and Day-of-week must be '?' (AWS cannot combine both: e.g. cron(0 12 * * ? *) "
        "or "
        "cron(0 12 ? * MON-FRI *))");
  }

  // Day-of-month: values, L (last day), LW (last weekday), nW (weekday nearest day n).
  std::string_view dom = f[2];
  if (dom_any) {
    out.dom_mode_ = Schedule::DayMode::Any;
  } else if (dom == "L") {
    out.dom_mode_ = Schedule::DayMode::Last;
  } else if (dom == "LW") {
    out.dom_mode_ = Schedule::DayMode::LastWeekday;
  } else if (has_any_of(dom, "LW#?")) {
    if (dom.size() >= 2 && dom.back() == 'W' && !has_any_of(dom.substr(0, dom.size() - 1), "LW#?,-/*")) {
      out.dom_mode_ = Schedule::DayMode::NearestWeekday;
      out.dom_day_ = kDayOfMonth.value(dom, dom.substr(0, dom.size() - 1));
    } else if (dom.find('#') != std::string_view::npos) {
      kDayOfMonth.fail(dom, "'#' belongs in Day-of-week (e.g. 6#3 = the third Friday)");
    } else if (dom.find('?') != std::string_view::npos) {
      kDayOfMonth.fail(dom, "'?' must stand alone");
    } else {
      kDayOfMonth.fail(dom,
                       "'L' and 'W' stand alone (L, LW) or follow one day (15W); they do not combine with "
                       "lists, ranges or steps");
    }
  } else {
    out.dom_mode_ = Schedule::DayMode::Values;
    out.days_of_month_ = kDayOfMonth.values<32>(dom);
  }

  // Day-of-week: values, L (= 7, Saturday), nL (last weekday n of the month), n#k (k-th weekday n).
  std::string_view dow = f[4];
  if (dow_any) {
    out.dow_mode_ = Schedule::DayMode::Any;
  } else if (dow == "L") {
    out.dow_mode_ = Schedule::DayMode::Values;
    out.days_of_week_.set(7);
  } else if (std::size_t hash = dow.find('#'); hash != std::string_view::npos) {
    std::string_view day = dow.substr(0, hash);
    std::string_view nth = dow.substr(hash + 1);
    if (has_any_of(day, ",-/*L?") || has_any_of(nth, ",-/*L?#")) {
      kDayOfWeek.fail(dow, "'#' takes one weekday and a number, e.g. 6#3 or FRI#3");
    }
    out.dow_mode_ = Schedule::DayMode::NthOfWeek;
    out.dow_day_ = kDayOfWeek.value(dow, day);
    std::optional<std::int64_t> n = parse_digits(nth);
    if (!n || *n < 1 || *n > 5) kDayOfWeek.fail(dow, "the number after '#' must be 1 to 5");
    out.dow_nth_ = static_cast<int>(*n);
  } else if (dow.size() >= 2 && dow.back() == 'L') {
    std::string_view day = dow.substr(0, dow.size() - 1);
    if (has_any_of(day, ",-/*L?")) kDayOfWeek.fail(dow, "'L' follows one weekday, e.g. 6L or FRIL");
    out.dow_mode_ = Schedule::DayMode::LastOfWeek;
    out.dow_day_ = kDayOfWeek.value(dow, day);
  } else {
    out.dow_mode_ = Schedule::DayMode::Values;
    out.days_of_week_ = kDayOfWeek.values<8>(dow);
  }
  return out;
}

bool Schedule::day_matches(int year, int month, int day) const {
  const int dim = days_in_month(year, month);
  switch (dom_mode_) {
    case DayMode::Any:
      break;
    case DayMode::Values:
      if (!days_of_month_[static_cast<std::size_t>(day)]) return false;
      break;
    case DayMode::Last:
      if (day != dim) return false;
      break;
    case DayMode::LastWeekday: {
      int last = dim;
      int wd = weekday(year, month, last);
      if (wd == 7) last -= 1;
      if (wd == 1) last -= 2;
      if (day != last) return false;
      break;
    }
    case DayMode::NearestWeekday: {
      // The weekday nearest dom_day_ within the month; none when the month is shorter.
      if (dom_day_ > dim) return false;
      int target = dom_day_;
      int wd = weekday(year, month, target);
      if (wd == 7) target = target > 1 ? target - 1 : target + 2;    // Saturday: Friday, or Monday the 3rd
      if (wd == 1) target = target < dim ? target + 1 : target - 2;  // Sunday: Monday, or Friday before
      if (day != target) return false;
      break;
    }
    case DayMode::LastOfWeek:
    case DayMode::NthOfWeek:
      break;
  }
  if (dow_mode_ == DayMode::Any) return true;
  const int wd = weekday(year, month, day);
  switch (dow_mode_) {
    case DayMode::Values:
      return days_of_week_[static_cast<std::size_t>(wd)];
    case DayMode::LastOfWeek:
      return wd == dow_day_ && day + 7 > dim;
    case DayMode::NthOfWeek:
      return wd == dow_day_ && (day - 1) / 7 + 1 == dow_nth_;
    default:
      return true;
  }
}

std::optional<std::int64_t> Schedule::next_after(std::int64_t epoch_seconds, std::int64_t anchor) const {
  if (kind_ == Kind::Rate) {
    if (epoch_seconds < anchor) return anchor;
    __int128 k = (static_cast<__int128>(epoch_seconds) - anchor) / period_ + 1;
    __int128 next = static_cast<__int128>(anchor) + k * period_;
    if (next > INT64_MAX) return std::nullopt;
    return static_cast<std::int64_t>(next);
  }
  // The first whole minute after epoch_seconds, split into date and time of day.
  std::int64_t minute = floor_div(epoch_seconds, 60) + 1;
  const std::int64_t first = days_from_civil(kFirstYear, 1, 1) * 1440;
  if (minute < first) minute = first;
  std::int64_t days = floor_div(minute, 1440);
  int minute_of_day = static_cast<int>(minute - days * 1440);
  Civil c = civil_from_days(days);
  if (c.year > kLastYear) return std::nullopt;
  int year = static_cast<int>(c.year);
  int month = c.month;
  int day = c.day;
  int hour = minute_of_day / 60;
  int min = minute_of_day % 60;
  // Field by field: a year, month or day that cannot match is skipped whole.
  for (; year <= kLastYear; ++year, month = 1, day = 1, hour = 0, min = 0) {
    if (!years_[static_cast<std::size_t>(year - kFirstYear)]) continue;
    for (; month <= 12; ++month, day = 1, hour = 0, min = 0) {
      if (!months_[static_cast<std::size_t>(month)]) continue;
      const int dim = days_in_month(year, month);
      for (; day <= dim; ++day, hour = 0, min = 0) {
        if (!day_matches(year, month, day)) continue;
        for (int h = first_at_or_after(hours_, hour); h >= 0; h = first_at_or_after(hours_, h + 1)) {
          int m = first_at_or_after(minutes_, h == hour ? min : 0);
          if (m < 0) continue;
          return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                 h * 3600 + m * 60;
        }
      }
    }
  }
  return std::nullopt;
}

std::string Schedule::describe() const {
  if (kind_ == Kind::Rate) {
    static constexpr std::array<std::pair<std::int64_t, const char*>, 3> kUnits = {
        {{86400, "day"}, {3600, "hour"}, {60, "minute"}}};
    for (const auto& [seconds, unit] : kUnits) {
      if (period_ % seconds != 0) continue;
      std::int64_t n = period_ / seconds;
      return n == 1 ? std::string("every ") + unit : "every " + std::to_string(n) + " " + unit + "s";
    }
    return "every " + std::to_string(period_) + " seconds";
  }
  auto number = [](int v) { return std::to_string(v); };
  std::string out;
  if (minutes_.count() == 1 && hours_.count() == 1) {
    out = "at " + two_digits(first_at_or_after(hours_, 0)) + ":" +
          two_digits(first_at_or_after(minutes_, 0)) + " UTC";
  } else {
    out = minutes_.all() ? "every minute" : "at minute " + runs(minutes_, 0, 59, number, "-");
    out += hours_.all() ? " of every hour" : " of hour " + runs(hours_, 0, 23, number, "-");
    out += " UTC";
  }
  auto weekday_word = [](int v) { return std::string(kDayWords[static_cast<std::size_t>(v - 1)]); };
  switch (dom_mode_) {
    case DayMode::Values:
      if (days_of_month_.count() < 31)
        out += ", on day " + runs(days_of_month_, 1, 31, number, "-") + " of the month";
      break;
    case DayMode::Last:
      out += ", on the last day of the month";
      break;
    case DayMode::LastWeekday:
      out += ", on the last weekday of the month";
      break;
    case DayMode::NearestWeekday:
      out += ", on the weekday nearest day " + std::to_string(dom_day_) + " of the month";
      break;
    default:
      break;
  }
  switch (dow_mode_) {
    case DayMode::Values:
      if (days_of_week_.count() < 7) out += ", on " + runs(days_of_week_, 1, 7, weekday_word);
      break;
    case DayMode::LastOfWeek:
      out += ", on the last " + weekday_word(dow_day_) + " of the month";
      break;
    case DayMode::NthOfWeek:
      out += ", on the " + std::string(kOrdinals[static_cast<std::size_t>(dow_nth_ - 1)]) + " " +
             weekday_word(dow_day_) + " of the month";
      break;
    default:
      break;
  }
  if (months_.count() < 12) {
    out += ", in " + runs(months_, 1, 12,
                          [](int v) { return std::string(kMonthWords[static_cast<std::size_t>(v - 1)]); });
  }
  if (years_.count() < years_.size()) {
    std::bitset<kLastYear + 1> years;
    for (std::size_t i = 0; i < years_.size(); ++i) years[i + kFirstYear] = years_[i];
    out += ", in " + runs(years, kFirstYear, kLastYear, number, "-");
  }
  return out;
}

}  // namespace cairn::crawler
