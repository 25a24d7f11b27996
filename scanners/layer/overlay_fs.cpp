#include "scanners/layer/overlay_fs.hpp"

#include <algorithm>
#include <deque>
#include <vector>

namespace regscan {

namespace {

constexpr std::string_view whiteout_prefix = ".wh.";
constexpr std::string_view opaque_whiteout = ".wh..wh..opq";
constexpr int max_symlink_hops = 40; // as Linux's MAXSYMLINKS

std::string join(std::string_view dir, std::string_view name) {
  if (dir.empty())
    return std::string(name);
  std::string out(dir);
  out += '/';
  out.append(name);
  return out;
}

} // namespace

std::optional<whiteout> as_whiteout(std::string_view path) {
  auto slash = path.rfind('/');
  auto dir = slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
  auto base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (!base.starts_with(whiteout_prefix))
    return std::nullopt;
  if (base == opaque_whiteout)
    return whiteout{std::string(dir), remove_below_bit};
  if (base.starts_with(".wh..wh."))
    return whiteout{};
  return whiteout{join(dir, base.substr(whiteout_prefix.size())),
                  remove_path_bit | remove_below_bit};
}

std::string lexical_target(std::string_view link, std::string_view target) {
  std::vector<std::string_view> parts;
  auto add = [&](std::string_view p) {
    size_t i = 0;
    while (i <= p.size()) {
      auto j = std::min(p.find('/', i), p.size());
      auto part = p.substr(i, j - i);
      i = j + 1;
      if (part.empty() || part == ".")
        continue;
      if (part == "..") {
        if (!parts.empty())
          parts.pop_back();
        continue;
      }
      parts.push_back(part);
    }
  };
  if (auto slash = link.rfind('/'); !target.starts_with('/') && slash != std::string_view::npos)
    add(link.substr(0, slash)); // its directory
  add(target);
  std::string out;
  for (auto part : parts) {
    if (!out.empty())
      out += '/';
    out.append(part);
  }
  return out;
}

void overlay_fs::add_file(std::string path, std::shared_ptr<const std::string> content,
                          size_t layer) {
  files_[std::move(path)] = kept_file{std::move(content), layer};
}

void overlay_fs::add_symlink(std::string path, std::string target, size_t layer) {
  symlinks_[std::move(path)] = kept_link{std::move(target), layer};
}

bool overlay_fs::remove_path(std::string_view path, size_t below) {
  return erase_lower(files_, path, below) | erase_lower(symlinks_, path, below);
}

bool overlay_fs::remove_below(std::string_view dir, size_t below) {
  return erase_lower_below(files_, dir, below) | erase_lower_below(symlinks_, dir, below);
}

const overlay_fs::kept_file* overlay_fs::resolve(std::string_view path,
                                                 std::string* resolved) const {
  std::vector<std::string> done;
  std::deque<std::string> todo;
  auto push_parts = [&](std::string_view p) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= p.size()) {
      auto j = std::min(p.find('/', i), p.size());
      parts.emplace_back(p.substr(i, j - i));
      i = j + 1;
    }
    todo.insert(todo.begin(), parts.begin(), parts.end());
  };
  auto joined = [&] {
    std::string out;
    for (const auto& part : done) {
      if (!out.empty())
        out += '/';
      out += part;
    }
    return out;
  };
  push_parts(path);
  int hops = 0;
  while (!todo.empty()) {
    auto part = std::move(todo.front());
    todo.pop_front();
    if (part.empty() || part == ".")
      continue;
    if (part == "..") {
      if (!done.empty()) // ".." at the root stays at the root, as in a chroot
        done.pop_back();
      continue;
    }
    done.push_back(std::move(part));
    auto link = symlinks_.find(joined());
    if (link == symlinks_.end())
      continue;
    if (++hops > max_symlink_hops) {
      if (resolved)
        resolved->clear();
      return nullptr;
    }
    done.pop_back();
    const auto& target = link->second.target;
    if (target.starts_with('/'))
      done.clear();
    push_parts(target);
  }
  auto final_path = joined();
  auto it = files_.find(final_path);
  if (resolved)
    *resolved = std::move(final_path);
  return it == files_.end() ? nullptr : &it->second;
}

} // namespace regscan
