#pragma once

// Calendar arithmetic on the proleptic Gregorian calendar, shared by everything that reads or writes dates
// (RFC 3339 timestamps, SigV4's X-Amz-Date, Parquet DATE values).

#include <cstdint>

namespace cairn::catalog {

/// A proleptic Gregorian calendar date.
struct CivilDate {
  std::int64_t year = 1970;
  int month = 1;  ///< 1..12
  int day = 1;    ///< 1..31
};

/// Days from 1970-01-01 to year-month-day (Howard Hinnant's days_from_civil). Like timegm, a day past the
/// month's end counts on into the next month.
std::int64_t days_from_civil(std::int64_t year, int month, int day);

/// The date `days` days after 1970-01-01 (negative: before it; Howard Hinnant's civil_from_days).
CivilDate civil_from_days(std::int64_t days);

}  // namespace cairn::catalog
