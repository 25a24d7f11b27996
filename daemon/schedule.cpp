#include "daemon/schedule.hpp"

#include <cstdio>

#include "daemon/scan_request.hpp"

namespace regscan {

expected<int> parse_time_of_day(const std::string& text) {
  int h = 0, m = 0, used = 0;
  if (std::sscanf(text.c_str(), "%2d:%2d%n", &h, &m, &used) != 2 || used != static_cast<int>(text.size())
      || h < 0 || h > 23 || m < 0 || m > 59)
    return make_error(errc::invalid, "--at must be HH:MM (local time), not \"" + text + "\"");
  return h * 60 + m;
}

std::time_t days_later_at(std::time_t from, int days, int at) {
  std::tm t{};
  localtime_r(&from, &t);
  t.tm_mday += days; // mktime normalises the month and the DST change
  t.tm_hour = 0;
  t.tm_min = at;
  t.tm_sec = 0;
  t.tm_isdst = -1;
  return std::mktime(&t);
}

std::time_t first_run_after(std::time_t now, int at) {
  for (int day = 0; day <= 2; ++day)
    if (auto t = days_later_at(now, day, at); t > now)
      return t;
  return now + 86400; // unreachable with sane clocks
}

expected<schedule_record> make_schedule(int every_days, const std::string& at,
                                        const std::vector<std::string>& categories,
                                        const std::string& scope, std::time_t now) {
  if (every_days != 1 && every_days != 7 && every_days != 15 && every_days != 30)
    return make_error(errc::invalid, "--every must be 1, 7, 15 or 30 (days)");
  auto minute = parse_time_of_day(at);
  if (!minute)
    return minute.err();
  auto cats = parse_categories(categories);
  if (!cats)
    return cats.err();
  if (scope != "all" && scope != "latest")
    return make_error(errc::invalid, "--scope must be all or latest");
  schedule_record s;
  s.enabled = true;
  s.every_days = every_days;
  s.at = at;
  s.categories = *cats;
  s.scope = scope;
  s.next_run = first_run_after(now, *minute);
  s.updated_at = now;
  return s;
}

bool take_due_run(schedule_record& s, std::time_t now) {
  if (!s.enabled || s.next_run == 0 || s.next_run > now)
    return false;
  auto minute = parse_time_of_day(s.at);
  int at = minute ? *minute : 0;
  s.last_run = now;
  // On the calendar of the planned run: the first one after now.
  auto next = static_cast<std::time_t>(s.next_run);
  while (next <= now)
    next = days_later_at(next, s.every_days, at);
  s.next_run = next;
  return true;
}

scan_ask schedule_scan_ask(const schedule_record& s) {
  scan_ask ask;
  ask.scope = s.scope == "latest" ? scan_scope::latest : scan_scope::all;
  ask.categories = s.categories;
  return ask;
}

} // namespace regscan
