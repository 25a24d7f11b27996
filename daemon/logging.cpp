#include "daemon/logging.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "daemon/systemd.hpp"

namespace regscan {

namespace {

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string iso_time(spdlog::log_clock::time_point tp) {
  auto t = spdlog::log_clock::to_time_t(tp);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

/// syslog priorities, as the journal wants them.
int priority(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    case spdlog::level::critical: return 2;
    default: return 6;
  }
}

void write_stderr(const std::string& line) {
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

class json_sink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    auto level = spdlog::level::to_string_view(msg.level);
    auto line = json_log_line(iso_time(msg.time), std::string_view(level.data(), level.size()),
                              std::string_view(msg.payload.data(), msg.payload.size()));
    line += '\n';
    write_stderr(line);
  }
  void flush_() override {}
};

/// Datagrams to /run/systemd/journal/socket; standard error when that fails.
class journal_sink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  journal_sink() { fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0); }
  ~journal_sink() override { ::close(fd_); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    auto entry = journal_entry(priority(msg.level), text);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, "/run/systemd/journal/socket");
    if (::sendto(fd_, entry.data(), entry.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                 sizeof addr) < 0)
      write_stderr(std::string(text) + "\n");
  }
  void flush_() override {}

 private:
  int fd_ = -1;
};

} // namespace

bool parse_log_format(std::string_view name, log_format& out) {
  if (name == "auto")
    out = log_format::automatic;
  else if (name == "text")
    out = log_format::text;
  else if (name == "json")
    out = log_format::json;
  else if (name == "journal")
    out = log_format::journal;
  else
    return false;
  return true;
}

std::vector<std::pair<std::string, std::string>> log_fields(std::string_view message) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < message.size()) {
    while (i < message.size() && std::isspace(static_cast<unsigned char>(message[i])))
      ++i;
    size_t end = i;
    while (end < message.size() && !std::isspace(static_cast<unsigned char>(message[end])))
      ++end;
    auto word = message.substr(i, end - i);
    i = end;
    auto eq = word.find('=');
    if (eq == 0 || eq == std::string_view::npos || !(word[0] >= 'a' && word[0] <= 'z'))
      continue;
    auto key = word.substr(0, eq);
    bool ok = true;
    for (char c : key)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    auto value = word.substr(eq + 1);
    while (!value.empty() && (value.back() == ',' || value.back() == ';' || value.back() == ')'))
      value.remove_suffix(1);
    if (ok && !value.empty())
      out.emplace_back(std::string(key), std::string(value));
  }
  return out;
}

std::string json_log_line(std::string_view time, std::string_view level, std::string_view message) {
  std::string out = "{\"time\":";
  json_string(out, time);
  out += ",\"level\":";
  json_string(out, level);
  out += ",\"message\":";
  json_string(out, message);
  for (auto& [key, value] : log_fields(message)) {
    if (key == "time" || key == "level" || key == "message")
      continue;
    out += ',';
    json_string(out, key);
    out += ':';
    json_string(out, value);
  }
  out += '}';
  return out;
}

std::string journal_entry(int priority, std::string_view message) {
  std::string out = "PRIORITY=" + std::to_string(priority) + "\nSYSLOG_IDENTIFIER=regscand\n";
  // MESSAGE in the binary form: a length, then bytes that may hold newlines.
  out += "MESSAGE\n";
  uint64_t n = message.size();
  for (int b = 0; b < 8; ++b)
    out += static_cast<char>((n >> (8 * b)) & 0xff);
  out += message;
  out += '\n';
  for (auto& [key, value] : log_fields(message)) {
    std::string name = "REGSCAN_";
    for (char c : key)
      name += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    if (value.find('\n') == std::string::npos)
      out += name + "=" + value + "\n";
  }
  return out;
}

void setup_logging(log_format format, const std::string& level) {
  if (format == log_format::automatic)
    format = stderr_is_journal() ? log_format::journal : log_format::text;
  std::shared_ptr<spdlog::logger> logger;
  switch (format) {
    case log_format::json:
      logger = std::make_shared<spdlog::logger>("regscand", std::make_shared<json_sink>());
      break;
    case log_format::journal:
      logger = std::make_shared<spdlog::logger>("regscand", std::make_shared<journal_sink>());
      break;
    default:
      logger = std::make_shared<spdlog::logger>("regscand", std::make_shared<spdlog::sinks::stderr_sink_mt>());
      logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

} // namespace regscan
