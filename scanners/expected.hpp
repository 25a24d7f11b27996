#pragma once
// A value or an error: the error path of every function that handles image,
// network or database bytes. Exceptions are kept for start-up only. Callers
// decide by an error's code; its message is for people and logs only.
#include <string>
#include <utility>
#include <variant>

namespace regscan {

/// What kind of failure an error is. Callers branch on this, never on text.
enum class errc {
  internal,     // a bug or an unexpected state of this program
  not_found,    // the thing named does not exist
  conflict,     // exists already, or is busy
  invalid,      // the request or the input is malformed or not allowed
  unauthorized, // credentials missing or refused
  forbidden,    // the caller may not do this
  transport,    // the network or a peer failed; trying again may work
  limit,        // a size, count, time or rate limit was hit
  corrupt,      // stored or received bytes are damaged or lie
  cancelled,    // stopped on request
  unavailable,  // a dependency is not ready yet (starting, shutting down)
};

/// A short stable name: "not_found", "transport", ...
constexpr const char* to_string(errc c) {
  switch (c) {
    case errc::internal: return "internal";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::invalid: return "invalid";
    case errc::unauthorized: return "unauthorized";
    case errc::forbidden: return "forbidden";
    case errc::transport: return "transport";
    case errc::limit: return "limit";
    case errc::corrupt: return "corrupt";
    case errc::cancelled: return "cancelled";
    case errc::unavailable: return "unavailable";
  }
  return "internal";
}

struct error {
  std::string message;
  errc code = errc::internal;
};

template <class T>
class expected {
 public:
  expected(T value) : v_(std::move(value)) {}
  expected(error err) : v_(std::move(err)) {}
  explicit operator bool() const { return v_.index() == 0; }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, error> v_;
};

template <>
class expected<void> {
 public:
  expected() = default;
  expected(error err) : err_(std::move(err)), ok_(false) {}
  explicit operator bool() const { return ok_; }
  const error& err() const { return err_; }

 private:
  error err_;
  bool ok_ = true;
};

inline error make_error(std::string message) {
  return error{std::move(message)};
}

inline error make_error(errc code, std::string message) {
  return error{std::move(message), code};
}

/// The same error with more context in front of its message, code kept.
inline error wrap_error(std::string context, const error& e) {
  return error{std::move(context) + ": " + e.message, e.code};
}

} // namespace regscan
