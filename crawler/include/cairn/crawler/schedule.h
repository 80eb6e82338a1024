#pragma once
// Crawler schedules: Glue's cron(Minutes Hours Day-of-month Month Day-of-week Year) and rate(N unit), in UTC
// (docs/crawlers.md, "Schedules").

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::crawler {

/// A parsed schedule; immutable, cheap to copy.
class Schedule {
 public:
  enum class Kind { Cron, Rate };

  Kind kind() const { return kind_; }
  /// The expression as given (surrounding white space removed).
  const std::string& expression() const { return expression_; }
  /// For rate(): the period in seconds; 0 for cron().
  std::int64_t period_seconds() const { return period_; }

  /// The first time the schedule fires strictly after `epoch_seconds`: for rate(), anchor + k·period (k ≥ 0)
  /// with `anchor_epoch_seconds` the time the schedule was set; for cron(), a whole UTC minute (the anchor is
  /// ignored). nullopt when there is none (the cron's years are over, or the time does not fit 64 bits).
  std::optional<std::int64_t> next_after(std::int64_t epoch_seconds, std::int64_t anchor_epoch_seconds) const;

  /// The schedule in words, e.g. "every 5 minutes" or "at 12:00 UTC on Monday to Friday".
  std::string describe() const;

 private:
  friend Schedule parse_schedule(std::string_view text);
  bool day_matches(int year, int month, int day) const;

  // Day-of-month and day-of-week forms beyond a plain set of values.
  enum class DayMode { Any, Values, Last, LastWeekday, NearestWeekday, LastOfWeek, NthOfWeek };

  Kind kind_ = Kind::Rate;
  std::string expression_;
  std::int64_t period_ = 0;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // bits 1..31
  std::bitset<13> months_;         // bits 1..12
  std::bitset<8> days_of_week_;    // bits 1..7, 1 = Sunday
  std::bitset<230> years_;         // bit y - 1970
  DayMode dom_mode_ = DayMode::Any;
  DayMode dow_mode_ = DayMode::Any;
  int dom_day_ = 0;  // NearestWeekday: the day
  int dow_day_ = 0;  // LastOfWeek / NthOfWeek: the weekday (1 = Sunday)
  int dow_nth_ = 0;  // NthOfWeek: 1..5
};

/// Parses "cron(Minutes Hours Day-of-month Month Day-of-week Year)" (AWS syntax: `*` `,` `-` `/`, `?` in
/// exactly one of the day fields, `L` and `W` in day-of-month, `L` and `#` in day-of-week, JAN–DEC,
/// SUN–SAT with 1 = SUN, years 1970–2199) or "rate(N minute|minutes|hour|hours|day|days)" (the singular
/// only for N = 1). Throws Error(InvalidArgument, "schedule") naming the bad field and why.
Schedule parse_schedule(std::string_view text);

}  // namespace cairn::crawler
