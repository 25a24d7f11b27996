#pragma once
// regscand's log: text lines by default, JSON lines (--log-format json), or
// the journal's native protocol with structured fields when systemd runs it
// (standard error is the journal). A message's `key=value` words become
// fields (REGSCAN_TASK=12 in the journal, "task":"12" in JSON), so that a
// state change logged as "scan task state: task=12 registry=lab ..." can be
// filtered by id. No secret is ever put in a message.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace regscan {

/// auto: the journal when standard error goes to it, else text.
enum class log_format { automatic, text, json, journal };

/// "auto", "text", "json" or "journal"; false when it is none of them.
bool parse_log_format(std::string_view name, log_format& out);

/// Makes spdlog's default logger write in `format` at `level`.
void setup_logging(log_format format, const std::string& level);

/// The `key=value` words of a message, in order (key: [a-z][a-z0-9_]*;
/// a trailing ',' ';' or ')' is not part of the value).
std::vector<std::pair<std::string, std::string>> log_fields(std::string_view message);

/// One JSON line (no newline): time, level, message and the message's fields.
std::string json_log_line(std::string_view time, std::string_view level, std::string_view message);

/// One datagram of the journal's native protocol.
std::string journal_entry(int priority, std::string_view message);

} // namespace regscan
