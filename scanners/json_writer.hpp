#pragma once
// A small streaming JSON writer: commas and escapes handled, nothing else.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace regscan {

class json_writer {
 public:
  json_writer& begin_object() { value_prefix(); out_ += '{'; first_.push_back(true); return *this; }
  json_writer& end_object() { out_ += '}'; first_.pop_back(); return *this; }
  json_writer& begin_array() { value_prefix(); out_ += '['; first_.push_back(true); return *this; }
  json_writer& end_array() { out_ += ']'; first_.pop_back(); return *this; }

  /// Writes an object key; the next call writes its value.
  json_writer& key(std::string_view k) {
    comma();
    append_string(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  json_writer& value(std::string_view s) { value_prefix(); append_string(s); return *this; }
  json_writer& value(const char* s) { return value(std::string_view{s}); }
  json_writer& value(const std::string& s) { return value(std::string_view{s}); }
  json_writer& value(bool b) { value_prefix(); out_ += b ? "true" : "false"; return *this; }
  json_writer& value(int64_t n) { value_prefix(); out_ += std::to_string(n); return *this; }
  json_writer& value(uint64_t n) { value_prefix(); out_ += std::to_string(n); return *this; }
  json_writer& value(int n) { return value(static_cast<int64_t>(n)); }
  json_writer& value(double d) {
    value_prefix();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    out_ += buf;
    return *this;
  }
  json_writer& null() { value_prefix(); out_ += "null"; return *this; }
  /// Inserts already-serialized JSON as a value.
  json_writer& raw(std::string_view json) { value_prefix(); out_ += json; return *this; }

  template <class T>
  json_writer& field(std::string_view k, const T& v) { key(k); return value(v); }
  json_writer& field(std::string_view k, const std::vector<std::string>& v) {
    key(k);
    begin_array();
    for (auto& s : v)
      value(s);
    return end_array();
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void comma() {
    if (first_.empty())
      return;
    if (!first_.back())
      out_ += ',';
    first_.back() = false;
  }
  void value_prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    comma();
  }
  void append_string(std::string_view s) {
    out_ += '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += static_cast<char>(c);
          }
      }
    }
    out_ += '"';
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

} // namespace regscan
