#pragma once
// What regscand tells systemd, written by hand: the notify protocol is one
// datagram to $NOTIFY_SOCKET, and the journal's native protocol one
// datagram to its socket, so libsystemd is not needed for either.
#include <chrono>
#include <string>
#include <string_view>

namespace regscan {

/// Sends `state` (e.g. "READY=1\nSTATUS=...") to $NOTIFY_SOCKET; false when
/// the variable is unset (not run by systemd) or the send failed.
bool sd_notify(std::string_view state);

/// How often systemd wants WATCHDOG=1: $WATCHDOG_USEC, when $WATCHDOG_PID is
/// unset or this process; zero when no watchdog is asked for.
std::chrono::microseconds watchdog_timeout();

/// Whether standard error goes to the journal: $JOURNAL_STREAM names its
/// device and inode ("dev:ino").
bool stderr_is_journal();

} // namespace regscan
