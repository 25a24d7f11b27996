#include "storage/records.hpp"

#include <array>
#include <utility>

namespace regscan {

namespace {

// Each enum's names, in declaration order: the stored and shown spelling.
constexpr std::array scan_status_names{"unscanned", "queued", "scanning", "scanned", "failed",
                                       "cancelled"};
constexpr std::array task_state_names{"queued", "waiting", "running", "done", "failed",
                                      "cancelled"};
constexpr std::array wait_reason_names{"", "budget", "backoff"};

template <class E, class Names>
std::optional<E> parse(const Names& names, std::string_view s) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (s == names[i])
      return static_cast<E>(i);
  return std::nullopt;
}

} // namespace

const char* to_string(scan_status s) { return scan_status_names[static_cast<std::size_t>(s)]; }
const char* to_string(task_state s) { return task_state_names[static_cast<std::size_t>(s)]; }
const char* to_string(wait_reason r) { return wait_reason_names[static_cast<std::size_t>(r)]; }

std::optional<scan_status> parse_scan_status(std::string_view s) {
  return parse<scan_status>(scan_status_names, s);
}
std::optional<task_state> parse_task_state(std::string_view s) {
  return parse<task_state>(task_state_names, s);
}
std::optional<wait_reason> parse_wait_reason(std::string_view s) {
  return parse<wait_reason>(wait_reason_names, s);
}

bool can_move(task_state from, task_state to) {
  using enum task_state;
  switch (from) {
    case queued: // a new task is stored queued too
      return to == queued || to == running || to == cancelled || to == failed;
    case waiting:
      return to == queued || to == cancelled || to == failed;
    case running: // queued again after a shutdown or an interruption
      return to == done || to == failed || to == cancelled || to == waiting || to == queued;
    case done:
    case failed:
    case cancelled:
      return false;
  }
  return false;
}

} // namespace regscan
