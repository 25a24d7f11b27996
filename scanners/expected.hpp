#pragma once
// A value or an error message: the error path of every function that handles
// image, network or database bytes. Exceptions are kept for start-up only.
#include <string>
#include <utility>
#include <variant>

namespace regscan {

struct error {
  std::string message;
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

} // namespace regscan
