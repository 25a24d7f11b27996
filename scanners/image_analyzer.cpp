#include "scanners/image_analyzer.hpp"

#include <algorithm>
#include <deque>
#include <vector>

#include "scanners/catalogers.hpp"
#include "scanners/decompressor.hpp"
#include "scanners/os_release.hpp"

namespace regscan {

namespace {

constexpr std::string_view os_release_path = "etc/os-release";
constexpr std::string_view os_release_fallback = "usr/lib/os-release";
constexpr std::string_view debian_version_path = "etc/debian_version";
constexpr std::string_view whiteout_prefix = ".wh.";
constexpr std::string_view opaque_whiteout = ".wh..wh..opq";
constexpr int max_symlink_hops = 40; // as Linux's MAXSYMLINKS
constexpr size_t max_link_targets = 10000;

std::string join(std::string_view dir, std::string_view name) {
  if (dir.empty())
    return std::string(name);
  std::string out(dir);
  out += '/';
  out.append(name);
  return out;
}

// Where a symlink in `dir` points, without following other links; ".." stops
// at the root.
std::string lexical_target(std::string_view dir, std::string_view target) {
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
  if (!target.starts_with('/'))
    add(dir);
  add(target);
  std::string out;
  for (auto part : parts) {
    if (!out.empty())
      out += '/';
    out.append(part);
  }
  return out;
}

} // namespace

/// One layer in flight: decompressor -> tar reader -> the analyzer.
class image_analyzer::layer_walk final : public tar_visitor {
 public:
  layer_walk(image_analyzer& owner, size_t index)
    : owner_(owner), index_(index), inflater_(owner.limits_.max_layer_bytes),
      tar_(*this, tar_limits{.max_entries = owner.limits_.max_entries}) {}

  expected<void> feed(const uint8_t* data, size_t size) {
    if (failed_)
      return error_;
    return check(inflater_.feed(data, size, sink()));
  }

  expected<void> end() {
    if (failed_)
      return error_;
    if (auto r = check(inflater_.finish(sink())); !r)
      return r;
    return check(tar_.finish());
  }

  uint64_t unsafe_entries() const { return tar_.unsafe_entries(); }
  size_t index() const { return index_; }

  bool entry_begin(const tar_entry& entry) override {
    if (!owner_.entry_begin(entry))
      return false;
    path_ = entry.path;
    content_.clear();
    // The size is untrusted until the bytes arrive: grow, do not pre-allocate it all.
    content_.reserve(static_cast<size_t>(std::min<uint64_t>(entry.size, 1 << 20)));
    return true;
  }

  expected<void> entry_data(const uint8_t* data, size_t size) override {
    content_.append(reinterpret_cast<const char*>(data), size);
    return {};
  }

  expected<void> entry_end() override {
    owner_.entry_end(std::move(path_), std::move(content_));
    path_.clear();
    content_ = std::string();
    return {};
  }

 private:
  decompressor::sink sink() {
    return [this](const uint8_t* p, size_t n) { return tar_.feed(p, n); };
  }

  expected<void> check(expected<void> r) {
    if (!r && !failed_) {
      failed_ = true;
      error_ = r.err();
    }
    return r;
  }

  image_analyzer& owner_;
  size_t index_;
  decompressor inflater_;
  tar_reader tar_;
  std::string path_;
  std::string content_;
  bool failed_ = false;
  error error_;
};

image_analyzer::image_analyzer(analysis_limits limits)
  : image_analyzer(default_catalogers(), limits) {}

image_analyzer::image_analyzer(std::vector<std::unique_ptr<cataloger>> catalogers,
                               analysis_limits limits)
  : limits_(limits), catalogers_(std::move(catalogers)) {}

image_analyzer::~image_analyzer() = default;

void image_analyzer::note(std::string text, bool incomplete) {
  notes_.push_back(std::move(text));
  if (incomplete)
    complete_ = false;
}

void image_analyzer::begin_layer(std::string digest) {
  if (walk_) {
    note("layer " + layers_[walk_->index()] + ": not ended before the next layer began", true);
    (void)end_layer();
  }
  layers_.push_back(std::move(digest));
  layer_error_noted_ = false;
  walk_ = std::make_unique<layer_walk>(*this, layers_.size() - 1);
}

expected<void> image_analyzer::feed(const uint8_t* data, size_t size) {
  if (!walk_)
    return make_error("feed without begin_layer");
  if (auto r = walk_->feed(data, size); !r) {
    // Note the first failure only; later feeds repeat the same error.
    if (!layer_error_noted_) {
      layer_error_noted_ = true;
      note("layer " + layers_[walk_->index()] + ": " + r.err().message, true);
    }
    return r;
  }
  return {};
}

expected<void> image_analyzer::end_layer() {
  if (!walk_)
    return make_error("end_layer without begin_layer");
  auto walk = std::move(walk_);
  auto r = walk->end();
  if (walk->unsafe_entries() > 0)
    note("layer " + layers_[walk->index()] + ": " + std::to_string(walk->unsafe_entries())
           + " entries with paths outside the image root skipped",
         false);
  if (!r && !layer_error_noted_) {
    layer_error_noted_ = true;
    note("layer " + layers_[walk->index()] + ": " + r.err().message, true);
  }
  return r;
}

bool image_analyzer::wanted(std::string_view path) const {
  if (path == os_release_path || path == os_release_fallback || path == debian_version_path)
    return true;
  if (link_targets_.contains(path))
    return true;
  return std::any_of(catalogers_.begin(), catalogers_.end(),
                     [&](const auto& c) { return c->wants(path); });
}

// Drops `path` itself: from any layer when the same layer rewrites it.
void image_analyzer::remove_path(std::string_view path, bool any_layer) {
  auto current = walk_ ? walk_->index() : layers_.size();
  if (auto it = files_.find(path); it != files_.end() && (any_layer || it->second.layer < current))
    files_.erase(it);
  if (auto it = symlinks_.find(path);
      it != symlinks_.end() && (any_layer || it->second.layer < current))
    symlinks_.erase(it);
}

// Drops everything lower layers put under `dir` ("" is the root).
void image_analyzer::remove_below(std::string_view dir) {
  auto current = walk_ ? walk_->index() : layers_.size();
  auto prefix = dir.empty() ? std::string() : std::string(dir) + '/';
  auto sweep = [&](auto& map) {
    for (auto it = map.lower_bound(prefix); it != map.end() && it->first.starts_with(prefix);) {
      if (it->second.layer < current)
        it = map.erase(it);
      else
        ++it;
    }
  };
  sweep(files_);
  sweep(symlinks_);
}

bool image_analyzer::entry_begin(const tar_entry& entry) {
  std::string_view path = entry.path;
  auto slash = path.rfind('/');
  auto dir = slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
  auto base = slash == std::string_view::npos ? path : path.substr(slash + 1);

  if (base.starts_with(whiteout_prefix)) {
    if (base == opaque_whiteout) {
      remove_below(dir);
    } else if (!base.starts_with(".wh..wh.")) { // other ".wh..wh." names are aufs metadata
      auto victim = join(dir, base.substr(whiteout_prefix.size()));
      remove_path(victim, false);
      remove_below(victim);
    }
    return false;
  }

  // Whatever this entry is, it replaces what was at its path; a non-directory
  // also hides everything lower layers had below it.
  remove_path(path, true);
  if (entry.type != tar_entry_type::dir)
    remove_below(path);

  auto layer = walk_->index();
  switch (entry.type) {
    case tar_entry_type::symlink:
      symlinks_[entry.path] = kept_link{entry.link_target, layer};
      // Keep what a wanted symlink points at when it shows up later (in this
      // or an upper layer); bounded, since each wanted symlink adds one path.
      if (wanted(path) && link_targets_.size() < max_link_targets)
        link_targets_.insert(lexical_target(dir, entry.link_target));
      return false;
    case tar_entry_type::hardlink: {
      if (!wanted(path))
        return false;
      // A hardlink shares its target's content, which must have been kept.
      if (auto it = files_.find(entry.link_target); it != files_.end()) {
        files_[entry.path] = kept_file{it->second.content, layer};
      } else if (auto l = symlinks_.find(entry.link_target); l != symlinks_.end()) {
        symlinks_[entry.path] = kept_link{l->second.target, layer};
      } else {
        note("layer " + layers_[layer] + ": " + entry.path + " is a hardlink to "
               + entry.link_target + ", whose content was not kept",
             true);
      }
      return false;
    }
    case tar_entry_type::file:
      if (!wanted(path))
        return false;
      if (entry.size > limits_.max_file_size) {
        note("layer " + layers_[layer] + ": " + entry.path + " is " + std::to_string(entry.size)
               + " bytes, over max_file_size (" + std::to_string(limits_.max_file_size)
               + "): not scanned",
             true);
        return false;
      }
      return true;
    default:
      return false;
  }
}

void image_analyzer::entry_end(std::string path, std::string content) {
  auto layer = walk_->index();
  files_[std::move(path)] =
    kept_file{std::make_shared<const std::string>(std::move(content)), layer};
}

const image_analyzer::kept_file* image_analyzer::find_file(std::string_view path,
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
    if (++hops > max_symlink_hops)
      return nullptr;
    done.pop_back();
    const auto& target = link->second.target;
    if (target.starts_with('/'))
      done.clear();
    push_parts(target);
  }
  auto final_path = joined();
  auto it = files_.find(final_path);
  if (it == files_.end())
    return nullptr;
  if (resolved)
    *resolved = std::move(final_path);
  return &it->second;
}

inventory image_analyzer::finish() {
  if (walk_) {
    note("layer " + layers_[walk_->index()] + ": not ended before finish", true);
    (void)end_layer();
  }
  inventory out;
  if (auto f = find_file(os_release_path); f != nullptr)
    out.os = parse_os_release(*f->content);
  else if (auto g = find_file(os_release_fallback); g != nullptr)
    out.os = parse_os_release(*g->content);
  if (auto d = find_file(debian_version_path); d != nullptr) {
    auto fallback = parse_debian_version(*d->content);
    if (out.os.id.empty())
      out.os = fallback;
    else if (out.os.id == "debian" && out.os.version_id.empty())
      out.os.version_id = fallback.version_id; // testing/sid os-release has no VERSION_ID
  }

  for (const auto& c : catalogers_) {
    for (const auto& [path, file] : files_)
      if (c->wants(path))
        c->parse(path, *file.content, layers_[file.layer], out.os, out);
    // A wanted path may be a symlink to the real file.
    for (const auto& [path, link] : symlinks_) {
      if (!c->wants(path))
        continue;
      if (auto f = find_file(path); f != nullptr)
        c->parse(path, *f->content, layers_[f->layer], out.os, out);
      else
        out.notes.push_back(std::string(c->name()) + ": " + path
                            + " is a symlink to nothing kept (" + link.target + ")");
    }
  }
  out.notes.insert(out.notes.begin(), notes_.begin(), notes_.end());
  out.complete = complete_;
  return out;
}

} // namespace regscan
