#include "cairn/crawler/schedule.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"

namespace {

using cairn::Error;
using cairn::ErrorCode;
using cairn::crawler::parse_schedule;
using cairn::crawler::Schedule;

// "YYYY-MM-DD HH:MM[:SS]" in UTC as epoch seconds.
std::int64_t at(const std::string& s) {
  std::tm tm{};
  tm.tm_sec = 0;
  int n = std::sscanf(s.c_str(), "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                      &tm.tm_min, &tm.tm_sec);
  EXPECT_GE(n, 5) << s;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm));
}

// Epoch seconds as "YYYY-MM-DD HH:MM Www" (UTC), or "none".
std::string show(std::optional<std::int64_t> t) {
  if (!t) return "none";
  std::time_t tt = static_cast<std::time_t>(*t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M %a", &tm);
  return buf;
}

std::string next(const std::string& expression, const std::string& after) {
  return show(parse_schedule(expression).next_after(at(after), 0));
}

std::string error_of(const std::string& expression) {
  try {
    parse_schedule(expression);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << expression;
    EXPECT_EQ(e.field(), "schedule") << expression;
    return e.what();
  }
  ADD_FAILURE() << "no error for " << expression;
  return {};
}

#define EXPECT_ERROR(expression, fragment) \
  EXPECT_NE(error_of(expression).find(fragment), std::string::npos) << error_of(expression)

// ---------------------------------------------------------------------------------------------------------------
// Errors first.

TEST(Schedule, RejectsWhatIsNeitherCronNorRate) {
  EXPECT_ERROR("", "neither cron");
  EXPECT_ERROR("every 5 minutes", "neither cron");
  EXPECT_ERROR("0 12 * * ? *", "neither cron");
  EXPECT_ERROR("cron(0 12 * * ? *", "closing ')'");
  EXPECT_ERROR("at(2024-01-01T00:00:00)", "neither cron");
}

TEST(Schedule, RejectsBadRates) {
  EXPECT_ERROR("rate()", "a number and a unit");
  EXPECT_ERROR("rate(5)", "a number and a unit");
  EXPECT_ERROR("rate(5 minutes extra)", "a number and a unit");
  EXPECT_ERROR("rate(0 minutes)", "from 1 to");
  EXPECT_ERROR("rate(-5 minutes)", "from 1 to");
  EXPECT_ERROR("rate(1.5 hours)", "from 1 to");
  EXPECT_ERROR("rate(+5 minutes)", "from 1 to");
  EXPECT_ERROR("rate(10000000000 days)", "from 1 to");
  EXPECT_ERROR("rate(1 minutes)", "singular");
  EXPECT_ERROR("rate(1 days)", "singular");
  EXPECT_ERROR("rate(5 minute)", "plural");
  EXPECT_ERROR("rate(2 hour)", "plural");
  EXPECT_ERROR("rate(5 weeks)", "minute(s), hour(s) or day(s)");
  EXPECT_ERROR("rate(5 seconds)", "minute(s), hour(s) or day(s)");
}

TEST(Schedule, RejectsTheWrongNumberOfCronFields) {
  EXPECT_ERROR("cron()", "6 fields");
  EXPECT_ERROR("cron(0 12 * * ?)", "got 5");
  EXPECT_ERROR("cron(0 0 12 * * ? *)", "got 7");
}

TEST(Schedule, RequiresExactlyOneQuestionMarkDay) {
  EXPECT_ERROR("cron(0 12 * * * *)", "must be '?'");
  EXPECT_ERROR("cron(0 12 1 * MON *)", "must be '?'");
  EXPECT_ERROR("cron(0 12 ? * ? *)", "only one of");
  EXPECT_ERROR("cron(? 12 * * ? *)", "Minutes");
  EXPECT_ERROR("cron(0 12 * ? ? *)", "Month");
  EXPECT_ERROR("cron(0 12 * * ? ?)", "Year");
  EXPECT_ERROR("cron(0 12 1,? * ? *)", "Day-of-month");
  EXPECT_ERROR("cron(0 12 ? * MON,? *)", "Day-of-week");
}

TEST(Schedule, RejectsValuesOutOfRangeNamingTheField) {
  EXPECT_ERROR("cron(60 12 * * ? *)", "Minutes '60': 60 is out of range 0-59");
  EXPECT_ERROR("cron(0 24 * * ? *)", "Hours '24'");
  EXPECT_ERROR("cron(0 12 0 * ? *)", "Day-of-month '0'");
  EXPECT_ERROR("cron(0 12 32 * ? *)", "Day-of-month '32'");
  EXPECT_ERROR("cron(0 12 * 0 ? *)", "Month '0'");
  EXPECT_ERROR("cron(0 12 * 13 ? *)", "Month '13'");
  EXPECT_ERROR("cron(0 12 ? * 0 *)", "Day-of-week '0'");
  EXPECT_ERROR("cron(0 12 ? * 8 *)", "1 = SUN");
  EXPECT_ERROR("cron(0 12 * * ? 1969)", "Year '1969'");
  EXPECT_ERROR("cron(0 12 * * ? 2200)", "Year '2200'");
  EXPECT_ERROR("cron(0 12 * FOO ? *)", "'FOO' is not a value");
  EXPECT_ERROR("cron(0 12 ? * FRIDAY *)", "'FRIDAY' is not a value");
  EXPECT_ERROR("cron(0 12 * JAN-FEBR ? *)", "Month");
  EXPECT_ERROR("cron(0 12 * * ? 20x4)", "Year");
  EXPECT_ERROR("cron(-1 12 * * ? *)", "Minutes");
}

TEST(Schedule, RejectsBadListsRangesAndSteps) {
  EXPECT_ERROR("cron(0,,5 12 * * ? *)", "empty element");
  EXPECT_ERROR("cron(0, 12 * * ? *)", "empty element");
  EXPECT_ERROR("cron(5-3 12 * * ? *)", "runs backwards");
  EXPECT_ERROR("cron(0 12 * * ? 2026-2024)", "runs backwards");
  EXPECT_ERROR("cron(0 12 ? * FRI-MON *)", "runs backwards");
  EXPECT_ERROR("cron(0/0 * * * ? *)", "at least 1");
  EXPECT_ERROR("cron(0/x * * * ? *)", "at least 1");
  EXPECT_ERROR("cron(0/60 * * * ? *)", "larger than the field's span");
  EXPECT_ERROR("cron(0- * * * ? *)", "a value is missing");
  EXPECT_ERROR("cron(0 L * * ? *)", "only allowed in Day-of-month and Day-of-week");
  EXPECT_ERROR("cron(0 12 * * ? 2024#1)", "only allowed in Day-of-month and Day-of-week");
}

TEST(Schedule, RejectsMisusedLWAndHash) {
  EXPECT_ERROR("cron(0 12 L,1 * ? *)", "stand alone");
  EXPECT_ERROR("cron(0 12 W * ? *)", "stand alone");
  EXPECT_ERROR("cron(0 12 1-15W * ? *)", "stand alone");
  EXPECT_ERROR("cron(0 12 L-3 * ? *)", "stand alone");
  EXPECT_ERROR("cron(0 12 32W * ? *)", "out of range");
  EXPECT_ERROR("cron(0 12 0W * ? *)", "out of range");
  EXPECT_ERROR("cron(0 12 1#3 * ? *)", "'#' belongs in Day-of-week");
  EXPECT_ERROR("cron(0 12 ? * 6#6 *)", "1 to 5");
  EXPECT_ERROR("cron(0 12 ? * 6#0 *)", "1 to 5");
  EXPECT_ERROR("cron(0 12 ? * 6# *)", "1 to 5");
  EXPECT_ERROR("cron(0 12 ? * 1-2#3 *)", "one weekday");
  EXPECT_ERROR("cron(0 12 ? * #3 *)", "a value is missing");
  EXPECT_ERROR("cron(0 12 ? * 8#1 *)", "out of range");
  EXPECT_ERROR("cron(0 12 ? * 6L,1 *)", "not a value");
  EXPECT_ERROR("cron(0 12 ? * 8L *)", "out of range");
  EXPECT_ERROR("cron(0 12 ? * 15W *)", "not a value");
  EXPECT_ERROR("cron(0 12 ? * 1,L *)", "follows one weekday");
}

// ---------------------------------------------------------------------------------------------------------------
// rate()

TEST(Schedule, RateFiresAtAnchorPlusWholePeriods) {
  Schedule s = parse_schedule("rate(5 minutes)");
  EXPECT_EQ(s.kind(), Schedule::Kind::Rate);
  EXPECT_EQ(s.period_seconds(), 300);
  const std::int64_t anchor = at("2024-01-01 10:00:17");
  EXPECT_EQ(s.next_after(anchor, anchor), anchor + 300);
  EXPECT_EQ(s.next_after(anchor + 299, anchor), anchor + 300);
  EXPECT_EQ(s.next_after(anchor + 300, anchor), anchor + 600);  // strictly after
  EXPECT_EQ(s.next_after(anchor + 86400 * 365, anchor), anchor + 86400 * 365 + 300);
  EXPECT_EQ(s.next_after(anchor - 1000, anchor), anchor);  // before the anchor: the anchor itself
}

TEST(Schedule, RateUnits) {
  EXPECT_EQ(parse_schedule("rate(1 minute)").period_seconds(), 60);
  EXPECT_EQ(parse_schedule("rate(1 hour)").period_seconds(), 3600);
  EXPECT_EQ(parse_schedule("rate(12 hours)").period_seconds(), 12 * 3600);
  EXPECT_EQ(parse_schedule("rate(1 day)").period_seconds(), 86400);
  EXPECT_EQ(parse_schedule("  RATE( 7  Days )  ").period_seconds(), 7 * 86400);
  EXPECT_EQ(parse_schedule(" rate(2 days) ").expression(), "rate(2 days)");
}

TEST(Schedule, RateBeyondSixtyFourBitsHasNoNextTime) {
  Schedule s = parse_schedule("rate(1000000000 days)");
  EXPECT_FALSE(s.next_after(INT64_MAX - 10, 0).has_value());
  EXPECT_EQ(s.next_after(0, 0), 1000000000LL * 86400);
}

// ---------------------------------------------------------------------------------------------------------------
// cron()

TEST(Schedule, DailyAtNoonIsStrictlyAfterAtMinuteResolution) {
  EXPECT_EQ(next("cron(0 12 * * ? *)", "2024-01-01 11:59:30"), "2024-01-01 12:00 Mon");
  EXPECT_EQ(next("cron(0 12 * * ? *)", "2024-01-01 12:00:00"), "2024-01-02 12:00 Tue");
  EXPECT_EQ(next("cron(0 12 * * ? *)", "2024-01-01 12:00:59"), "2024-01-02 12:00 Tue");
  EXPECT_EQ(next("cron(0 12 * * ? *)", "2024-12-31 13:00"), "2025-01-01 12:00 Wed");
  EXPECT_EQ(parse_schedule("cron(0 12 * * ? *)").kind(), Schedule::Kind::Cron);
}

TEST(Schedule, StepsListsAndRanges) {
  EXPECT_EQ(next("cron(0/15 * * * ? *)", "2024-01-01 10:07"), "2024-01-01 10:15 Mon");
  EXPECT_EQ(next("cron(0/15 * * * ? *)", "2024-01-01 10:45"), "2024-01-01 11:00 Mon");
  EXPECT_EQ(next("cron(*/20 * * * ? *)", "2024-01-01 10:45"), "2024-01-01 11:00 Mon");
  EXPECT_EQ(next("cron(5/20 * * * ? *)", "2024-01-01 10:46"), "2024-01-01 11:05 Mon");
  EXPECT_EQ(next("cron(0 8-18/2 ? * MON *)", "2024-01-01 10:00"), "2024-01-01 12:00 Mon");
  EXPECT_EQ(next("cron(0 8-18/2 ? * MON *)", "2024-01-01 18:00"), "2024-01-08 08:00 Mon");
  EXPECT_EQ(next("cron(0 9 ? * MON-FRI *)", "2024-03-01 10:00"), "2024-03-04 09:00 Mon");
  EXPECT_EQ(next("cron(0 9 ? * 2-6 *)", "2024-03-01 10:00"), "2024-03-04 09:00 Mon");
  EXPECT_EQ(next("cron(30 1,13 * * ? *)", "2024-03-01 02:00"), "2024-03-01 13:30 Fri");
  EXPECT_EQ(next("cron(0 0 1 jan,Jul ? *)", "2024-02-01 00:00"), "2024-07-01 00:00 Mon");
  EXPECT_EQ(next("cron(0 0 ? * sun *)", "2024-03-01 00:00"), "2024-03-03 00:00 Sun");
  EXPECT_EQ(next("cron(59 23 31 DEC ? *)", "2024-03-01 00:00"), "2024-12-31 23:59 Tue");
}

TEST(Schedule, February29OnlyInLeapYears) {
  EXPECT_EQ(next("cron(0 0 29 2 ? *)", "2023-03-01 00:00"), "2024-02-29 00:00 Thu");
  EXPECT_EQ(next("cron(0 0 29 2 ? *)", "2024-02-29 00:00"), "2028-02-29 00:00 Tue");
  // 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
  EXPECT_EQ(next("cron(0 0 29 2 ? *)", "2096-03-01 00:00"), "2104-02-29 00:00 Fri");
  EXPECT_EQ(next("cron(0 0 29 2 ? *)", "1999-01-01 00:00"), "2000-02-29 00:00 Tue");
  // A day no month has never fires: nullopt, found quickly by skipping whole months.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(next("cron(0 0 30 2 ? *)", "2024-01-01 00:00"), "none");
  EXPECT_EQ(next("cron(0 0 31 4,6,9,11 ? *)", "2024-01-01 00:00"), "none");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(Schedule, LastDayOfMonth) {
  EXPECT_EQ(next("cron(0 0 L 2 ? *)", "2023-01-01 00:00"), "2023-02-28 00:00 Tue");
  EXPECT_EQ(next("cron(0 0 L 2 ? *)", "2024-01-01 00:00"), "2024-02-29 00:00 Thu");
  EXPECT_EQ(next("cron(30 23 L * ? *)", "2024-04-15 00:00"), "2024-04-30 23:30 Tue");
  EXPECT_EQ(next("cron(30 23 L * ? *)", "2024-04-30 23:30"), "2024-05-31 23:30 Fri");
}

TEST(Schedule, NearestWeekdayStaysInTheMonth) {
  // 2024-01-15 is a Monday: the day itself.
  EXPECT_EQ(next("cron(0 0 15W * ? *)", "2024-01-01 00:00"), "2024-01-15 00:00 Mon");
  // 2024-06-15 is a Saturday: Friday the 14th.
  EXPECT_EQ(next("cron(0 0 15W * ? *)", "2024-06-01 00:00"), "2024-06-14 00:00 Fri");
  // 2024-09-15 is a Sunday: Monday the 16th.
  EXPECT_EQ(next("cron(0 0 15W * ? *)", "2024-09-01 00:00"), "2024-09-16 00:00 Mon");
  // 2024-06-01 is a Saturday: Monday the 3rd, not Friday 31 May.
  EXPECT_EQ(next("cron(0 0 1W * ? *)", "2024-05-15 00:00"), "2024-06-03 00:00 Mon");
  // 2024-09-01 is a Sunday: Monday the 2nd.
  EXPECT_EQ(next("cron(0 0 1W * ? *)", "2024-08-15 00:00"), "2024-09-02 00:00 Mon");
  // 2024-03-31 is a Sunday and the last day: Friday the 29th, not 1 April.
  EXPECT_EQ(next("cron(0 0 31W * ? *)", "2024-03-15 00:00"), "2024-03-29 00:00 Fri");
  // 2024-08-31 is a Saturday: Friday the 30th.
  EXPECT_EQ(next("cron(0 0 31W * ? *)", "2024-08-01 00:00"), "2024-08-30 00:00 Fri");
  // Months without a 31st are skipped.
  EXPECT_EQ(next("cron(0 0 31W * ? *)", "2024-04-01 00:00"), "2024-05-31 00:00 Fri");
}

TEST(Schedule, LastWeekdayOfMonth) {
  // June 2024 ends on Sunday the 30th: Friday the 28th. August 2024 ends on Saturday the 31st: Friday the
  // 30th.
  EXPECT_EQ(next("cron(0 18 LW * ? *)", "2024-06-01 00:00"), "2024-06-28 18:00 Fri");
  EXPECT_EQ(next("cron(0 18 LW * ? *)", "2024-08-01 00:00"), "2024-08-30 18:00 Fri");
  EXPECT_EQ(next("cron(0 18 LW * ? *)", "2024-07-01 00:00"), "2024-07-31 18:00 Wed");
}

TEST(Schedule, NthAndLastWeekdayOfMonth) {
  EXPECT_EQ(next("cron(0 10 ? * 6#3 *)", "2024-03-01 00:00"), "2024-03-15 10:00 Fri");
  EXPECT_EQ(next("cron(0 10 ? * FRI#1 *)", "2024-03-02 00:00"), "2024-04-05 10:00 Fri");
  // April 2024 has four Fridays: the fifth Friday is next found in May (the 31st).
  EXPECT_EQ(next("cron(0 10 ? * 6#5 *)", "2024-04-01 00:00"), "2024-05-31 10:00 Fri");
  EXPECT_EQ(next("cron(0 10 ? * 6L *)", "2024-04-01 00:00"), "2024-04-26 10:00 Fri");
  EXPECT_EQ(next("cron(0 10 ? * FRIL *)", "2024-04-27 00:00"), "2024-05-31 10:00 Fri");
  EXPECT_EQ(next("cron(0 10 ? * 5L *)", "2024-02-01 00:00"), "2024-02-29 10:00 Thu");
  // L alone in Day-of-week is Saturday (7).
  EXPECT_EQ(next("cron(0 0 ? * L *)", "2024-01-03 00:00"), "2024-01-06 00:00 Sat");
}

TEST(Schedule, EveryNthWeekdayOfAYearIsRight) {
  // Chain 2024's third Fridays and last weekdays and check each with the calendar.
  Schedule third_friday = parse_schedule("cron(0 12 ? * 6#3 2024)");
  Schedule last_weekday = parse_schedule("cron(0 12 LW * ? 2024)");
  for (const Schedule* s : {&third_friday, &last_weekday}) {
    std::vector<std::int64_t> fires;
    for (auto t = s->next_after(at("2023-12-31 23:00"), 0); t; t = s->next_after(*t, 0)) fires.push_back(*t);
    ASSERT_EQ(fires.size(), 12u);
    for (std::size_t i = 0; i < fires.size(); ++i) {
      std::time_t tt = static_cast<std::time_t>(fires[i]);
      std::tm tm{};
      gmtime_r(&tt, &tm);
      EXPECT_EQ(tm.tm_mon, static_cast<int>(i));
      EXPECT_GE(tm.tm_wday, 1);
      EXPECT_LE(tm.tm_wday, 5);
      if (s == &third_friday) {
        EXPECT_EQ(tm.tm_wday, 5);
        EXPECT_GE(tm.tm_mday, 15);
        EXPECT_LE(tm.tm_mday, 21);
      } else {
        // No weekday follows in the month.
        for (std::int64_t later = fires[i] + 86400;; later += 86400) {
          std::time_t lt = static_cast<std::time_t>(later);
          std::tm ltm{};
          gmtime_r(&lt, &ltm);
          if (ltm.tm_mon != tm.tm_mon) break;
          EXPECT_TRUE(ltm.tm_wday == 0 || ltm.tm_wday == 6) << show(later);
        }
      }
    }
  }
}

TEST(Schedule, YearRangesEnd) {
  EXPECT_EQ(next("cron(0 0 1 1 ? 2025-2026)", "2024-06-01 00:00"), "2025-01-01 00:00 Wed");
  EXPECT_EQ(next("cron(0 0 1 1 ? 2025-2026)", "2025-01-01 00:00"), "2026-01-01 00:00 Thu");
  EXPECT_EQ(next("cron(0 0 1 1 ? 2025-2026)", "2026-01-01 00:00"), "none");
  EXPECT_EQ(next("cron(0 0 * * ? 2020)", "2024-01-01 00:00"), "none");
  EXPECT_EQ(next("cron(0 0 1 1 ? 2030/10)", "2031-01-01 00:00"), "2040-01-01 00:00 Sun");
  EXPECT_EQ(next("cron(59 23 31 12 ? 2199)", "2199-12-31 23:58"), "2199-12-31 23:59 Tue");
  EXPECT_EQ(next("cron(59 23 31 12 ? *)", "2199-12-31 23:59"), "none");
  EXPECT_EQ(next("cron(* * * * ? *)", "2300-01-01 00:00"), "none");
}

TEST(Schedule, TimesBefore1970StartAtTheFirstYear) {
  Schedule s = parse_schedule("cron(0 0 1 1 ? *)");
  EXPECT_EQ(s.next_after(-1000000, 0), 0);
  EXPECT_EQ(s.next_after(-1, 0), 0);
  EXPECT_EQ(show(s.next_after(0, 0)), "1971-01-01 00:00 Fri");
}

TEST(Schedule, UtcHasNoDaylightSavingGaps) {
  // 02:30 exists on the days clocks change in the US (2024-03-10) and the EU (2024-03-31): UTC has no gaps.
  EXPECT_EQ(next("cron(30 2 * * ? *)", "2024-03-10 00:00"), "2024-03-10 02:30 Sun");
  EXPECT_EQ(next("cron(30 2 * * ? *)", "2024-03-31 00:00"), "2024-03-31 02:30 Sun");
  EXPECT_EQ(next("cron(30 1 * * ? *)", "2024-10-27 01:30"), "2024-10-28 01:30 Mon");
}

TEST(Schedule, EveryMinuteForYearsIsFast) {
  Schedule s = parse_schedule("cron(* * * * ? *)");
  std::int64_t t = at("2024-01-01 00:00");
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100000; ++i) t = *s.next_after(t, 0);
  EXPECT_EQ(show(t), "2024-03-10 10:40 Sun");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(Schedule, DescribesItselfInWords) {
  EXPECT_EQ(parse_schedule("rate(5 minutes)").describe(), "every 5 minutes");
  EXPECT_EQ(parse_schedule("rate(1 hour)").describe(), "every hour");
  EXPECT_EQ(parse_schedule("rate(2 days)").describe(), "every 2 days");
  EXPECT_EQ(parse_schedule("cron(0 12 ? * MON-FRI *)").describe(), "at 12:00 UTC, on Monday to Friday");
  EXPECT_EQ(parse_schedule("cron(0 12 * * ? *)").describe(), "at 12:00 UTC");
  EXPECT_EQ(parse_schedule("cron(0/15 * * * ? *)").describe(), "at minute 0, 15, 30, 45 of every hour UTC");
  EXPECT_EQ(parse_schedule("cron(0 10 ? * 6#3 *)").describe(),
            "at 10:00 UTC, on the third Friday of the month");
  EXPECT_EQ(parse_schedule("cron(0 0 L 2 ? 2025-2027)").describe(),
            "at 00:00 UTC, on the last day of the month, in February, in 2025-2027");
  EXPECT_EQ(parse_schedule("cron(0 0 15W * ? *)").describe(),
            "at 00:00 UTC, on the weekday nearest day 15 of the month");
}

}  // namespace
