#pragma once
// Small JSON helpers shared by the listers (internal to connectors/).
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "scanners/expected.hpp"

namespace regscan::lister_util {

inline std::string str(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  return e[key].get(v) ? std::string{} : std::string(v);
}

inline uint64_t u64(simdjson::dom::element e, std::string_view key) {
  uint64_t v = 0;
  if (!e[key].get(v))
    return v;
  int64_t s = 0;
  if (!e[key].get(s) && s > 0)
    return static_cast<uint64_t>(s);
  double d = 0;
  if (!e[key].get(d) && d > 0)
    return static_cast<uint64_t>(d);
  return 0;
}

inline int64_t i64(simdjson::dom::element e, std::string_view key, int64_t fallback = 0) {
  int64_t v = 0;
  return e[key].get(v) ? fallback : v;
}

/// Walks a paged listing without trusting the server's paging: items are
/// told apart by their JSON text, so a page that only repeats earlier ones
/// (a server that ignores the page parameter) is an error rather than an
/// endless loop or a silently partial listing; a total that the items
/// already contradict is ignored.
class pager {
 public:
  pager(std::string what, size_t page_size) : what_(std::move(what)), page_size_(page_size) {}

  /// Calls each(e) for the items of `items` not seen before.
  template <class Each>
  void take(simdjson::dom::array items, Each&& each) {
    on_page_ = added_ = 0;
    for (auto e : items) {
      ++on_page_;
      ++taken_;
      if (seen_.insert(simdjson::minify(e)).second) {
        ++added_;
        each(e);
      }
    }
  }

  /// Whether the last page brought nothing new.
  bool repeated() const { return on_page_ > 0 && added_ == 0; }

  /// Distinct items so far.
  size_t seen() const { return seen_.size(); }
  /// Items received so far, repeats included: the next item offset of an
  /// API that pages by offset (a page may repeat an item of another page).
  size_t taken() const { return taken_; }

  /// After take(): whether to ask for the next page. total < 0: not given.
  expected<bool> more(int64_t total) const {
    if (on_page_ == 0)
      return false;
    // Totals count rows, and a listing may hold the same row twice: compare
    // the rows received, so a duplicate neither ends the walk early nor
    // makes a last page of repeats look like a server ignoring paging.
    auto taken = static_cast<int64_t>(taken_);
    // Only a short last page may be all repeats: a full one is a server
    // that ignores paging, whatever its total says.
    if (repeated() && !(total >= 0 && taken >= total && on_page_ < page_size_))
      return make_error(what_ + ": a page repeats earlier ones (the server ignores paging)");
    if (total >= 0 && taken <= total)
      return taken < total;
    return on_page_ >= page_size_;
  }

 private:
  std::string what_;
  size_t page_size_;
  std::set<std::string> seen_;
  size_t on_page_ = 0, added_ = 0, taken_ = 0;
};

} // namespace regscan::lister_util
