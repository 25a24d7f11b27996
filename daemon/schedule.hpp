#pragma once
// The scheduled scan's calendar: every 1, 7, 15 or 30 days at a time of
// day, in the daemon's local time zone ([schedule] timezone, applied as the
// process's TZ at start). libstdc++ 12 has no C++20 time-zone database, so
// local time is computed with localtime_r/mktime on calendar fields:
// "every N days at 09:00" stays at 09:00 across a DST change, and a time
// that a spring-forward skips runs when mktime normalises it (an hour later).
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

struct services;

/// "HH:MM" -> minutes after local midnight.
expected<int> parse_time_of_day(const std::string& text);

/// The first local `at` (minutes after midnight) strictly after `now`.
std::time_t first_run_after(std::time_t now, int at);

/// The local `at` of the day `days` calendar days after the local day of `from`.
std::time_t days_later_at(std::time_t from, int days, int at);

/// A schedule as `schedule set` stores it: checked, its next run planned
/// from `now`. errc::invalid when a field is wrong.
expected<schedule_record> make_schedule(int every_days, const std::string& at,
                                        const std::vector<std::string>& categories,
                                        const std::string& scope, std::time_t now);

/// Whether the schedule runs at `now`. When it does, `s` is moved on: its
/// last_run is now and its next run the first of its calendar after now, so
/// runs missed while the daemon was down run once, not once each.
bool take_due_run(schedule_record& s, std::time_t now);

/// The scan a schedule asks for: its scope and categories, as a scan request.
struct scan_ask;
scan_ask schedule_scan_ask(const schedule_record& s);

} // namespace regscan
