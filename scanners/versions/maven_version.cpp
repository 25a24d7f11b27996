#include "scanners/versions/maven_version.hpp"

#include <memory>
#include <string>
#include <vector>

#include "scanners/versions/version_common.hpp"

namespace regscan {
namespace {

using namespace version_detail;

// One item of a parsed version: a number (digits without leading zeros),
// a word (its comparable qualifier), or a list.
struct item {
  enum kind_t { number, word, list } kind;
  std::string text;          // number: digits; word: comparable qualifier
  std::vector<item> items;   // list
};

constexpr std::string_view qualifiers[] = {"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
constexpr std::string_view release_index = "5";

// ComparableVersion.StringItem: aliases, then "index" or "7-word".
std::string comparable_qualifier(std::string word, bool followed_by_digit) {
  if (followed_by_digit && word.size() == 1) {
    if (word == "a")
      word = "alpha";
    else if (word == "b")
      word = "beta";
    else if (word == "m")
      word = "milestone";
  }
  if (word == "ga" || word == "final" || word == "release")
    word = "";
  else if (word == "cr")
    word = "rc";
  for (size_t i = 0; i < std::size(qualifiers); ++i)
    if (word == qualifiers[i])
      return std::to_string(i);
  return std::to_string(std::size(qualifiers)) + "-" + word;
}

item make_number(std::string_view digits) {
  while (!digits.empty() && digits.front() == '0')
    digits.remove_prefix(1);
  return {item::number, std::string{digits}, {}};
}

item make_item(bool digit, std::string_view s, bool followed_by_digit = false) {
  if (digit)
    return make_number(s);
  return {item::word, comparable_qualifier(std::string{s}, followed_by_digit), {}};
}

bool is_null(const item& i) {
  switch (i.kind) {
    case item::number: return i.text.empty();
    case item::word: return i.text == release_index;
    default: return i.items.empty();
  }
}

// ListItem.normalize(): drop trailing nulls, stopping at the first
// non-null that is not a list.
void normalize(std::vector<item>& items) {
  for (size_t i = items.size(); i-- > 0;) {
    if (is_null(items[i]))
      items.erase(items.begin() + static_cast<long>(i));
    else if (items[i].kind != item::list)
      break;
  }
}

item parse(std::string_view v) {
  std::string s{v};
  for (auto& c : s)
    c = to_lower(c);
  item root{item::list, {}, {}};
  // The path of open lists, innermost last; pointers stay valid because a
  // list is only appended to while it is the innermost one.
  std::vector<item*> stack{&root};
  auto open_list = [&]() {
    stack.back()->items.push_back({item::list, {}, {}});
    stack.push_back(&stack.back()->items.back());
  };
  bool digit = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' || c == '-') {
      if (i == start)
        stack.back()->items.push_back(make_number("0"));
      else
        stack.back()->items.push_back(make_item(digit, std::string_view{s}.substr(start, i - start)));
      start = i + 1;
      if (c == '-')
        open_list();
    } else if (is_digit(c)) {
      if (!digit && i > start) {
        // A word then a digit: the word starts a list of its own, unless
        // the current list is still empty.
        if (!stack.back()->items.empty())
          open_list();
        stack.back()->items.push_back(make_item(false, std::string_view{s}.substr(start, i - start), true));
        start = i;
        open_list();
      }
      digit = true;
    } else {
      if (digit && i > start) {
        stack.back()->items.push_back(make_item(true, std::string_view{s}.substr(start, i - start)));
        start = i;
        open_list();
      }
      digit = false;
    }
  }
  if (s.size() > start) {
    // So does a trailing word ("1.0.jre" reads as "1.0-jre").
    if (!digit && !stack.back()->items.empty())
      open_list();
    stack.back()->items.push_back(make_item(digit, std::string_view{s}.substr(start)));
  }
  while (!stack.empty()) {
    normalize(stack.back()->items);
    stack.pop_back();
  }
  return root;
}

int compare(const item* a, const item* b);

// Item.compareTo(null): how an item compares with a missing one.
int compare_with_null(const item& a) {
  switch (a.kind) {
    case item::number: return a.text.empty() ? 0 : 1;
    case item::word: return sign(a.text.compare(release_index));
    default:
      for (const auto& i : a.items)
        if (int r = compare_with_null(i); r != 0)
          return r;
      return 0;
  }
}

int compare(const item* a, const item* b) {
  if (a == nullptr)
    return b == nullptr ? 0 : -compare_with_null(*b);
  if (b == nullptr)
    return compare_with_null(*a);
  switch (a->kind) {
    case item::number:
      if (b->kind == item::number)
        return compare_numbers(a->text, b->text);
      return 1;
    case item::word:
      if (b->kind == item::word)
        return sign(a->text.compare(b->text));
      return -1;
    default:
      if (b->kind == item::number)
        return -1;
      if (b->kind == item::word)
        return 1;
      for (size_t i = 0; i < a->items.size() || i < b->items.size(); ++i) {
        const item* l = i < a->items.size() ? &a->items[i] : nullptr;
        const item* r = i < b->items.size() ? &b->items[i] : nullptr;
        if (int c = compare(l, r); c != 0)
          return c;
      }
      return 0;
  }
}

} // namespace

int compare_maven_versions(std::string_view a, std::string_view b) {
  item x = parse(a), y = parse(b);
  return compare(&x, &y);
}

} // namespace regscan
