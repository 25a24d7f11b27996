#include "scanners/layer/image_analyzer.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <vector>

#include "scanners/catalogers.hpp"
#include "scanners/layer/decompressor.hpp"
#include "scanners/os/os_release.hpp"

namespace regscan {

namespace {

constexpr std::string_view whiteout_prefix = ".wh.";
constexpr std::string_view opaque_whiteout = ".wh..wh..opq";
constexpr int max_symlink_hops = 40; // as Linux's MAXSYMLINKS
constexpr size_t max_link_targets = 10000;
// Paths recorded for one layer's delta; a layer with more is not cached.
constexpr uint64_t max_delta_path_bytes = 32ull << 20;
// Bump when the walk itself changes what it records (catalogers have their own
// versions): it is part of the layer cache key.
constexpr int analyzer_version = 3; // 2: rpm module streams; 3: a hardlink shares its target's parse

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

// Every cataloger in `wanted` (sorted) is in `ran` (sorted).
bool covers(const std::vector<size_t>& ran, const std::vector<size_t>& wanted) {
  return std::includes(ran.begin(), ran.end(), wanted.begin(), wanted.end());
}

std::string unsafe_entries_note(std::string_view layer, uint64_t count) {
  return "layer " + std::string(layer) + ": " + std::to_string(count)
         + " entries with paths outside the image root skipped";
}

bool same_os(const os_info& a, const os_info& b) {
  return a.id == b.id && a.version_id == b.version_id
         && a.version_codename == b.version_codename && a.pretty_name == b.pretty_name;
}

// Distroless images without an os-release: dpkg's base-files says the release.
void distroless_fallback(os_info& os, const std::vector<package>& packages) {
  for (const auto& p : packages) {
    if (p.name != "base-files" || !p.ecosystem.starts_with("Debian"))
      continue;
    size_t digits = 0;
    while (digits < p.version.size() && p.version[digits] >= '0' && p.version[digits] <= '9')
      ++digits;
    os.id = "debian";
    os.version_id = p.version.substr(0, digits);
    os.pretty_name = "Debian GNU/Linux " + os.version_id + " (distroless)";
    return;
  }
}

} // namespace

/// One layer in flight: decompressor -> tar reader -> the analyzer.
class image_analyzer::layer_walk final : public tar_visitor {
 public:
  layer_walk(image_analyzer& owner, size_t index, byte_observer observer)
    : owner_(owner), index_(index), observer_(std::move(observer)),
      inflater_(owner.limits_.max_layer_bytes),
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
    plan_ = entry_plan{};
    if (!owner_.entry_begin(entry, plan_))
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
    owner_.entry_end(std::move(path_), std::move(content_), std::move(plan_));
    path_.clear();
    content_ = std::string();
    return {};
  }

 private:
  decompressor::sink sink() {
    return [this](const uint8_t* p, size_t n) {
      if (observer_)
        observer_(p, n);
      return tar_.feed(p, n);
    };
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
  byte_observer observer_;
  decompressor inflater_;
  tar_reader tar_;
  std::string path_;
  std::string content_;
  entry_plan plan_;
  bool failed_ = false;
  error error_;
};

image_analyzer::image_analyzer(analysis_limits limits)
  : image_analyzer(default_catalogers(), limits) {}

image_analyzer::image_analyzer(std::vector<std::unique_ptr<cataloger>> catalogers,
                               analysis_limits limits)
  : limits_(limits), catalogers_(std::move(catalogers)) {
  os_seen_.emplace_back(); // index 0: nothing known yet
}

image_analyzer::~image_analyzer() = default;

image_analyzer::parsed_file::parsed_file(std::string path_, std::vector<size_t> parsers_,
                                         std::vector<part> parts_, uint64_t* held_packages)
  : path(std::move(path_)), parsers(std::move(parsers_)), parts(std::move(parts_)),
    held(held_packages) {
  for (const auto& p : parts)
    packages += p.packages.size();
  if (held)
    *held += packages;
}

image_analyzer::parsed_file::~parsed_file() {
  if (held)
    *held -= packages;
}

void image_analyzer::note(std::string text, bool incomplete) {
  if (notes_.size() < limits_.max_notes)
    notes_.push_back(std::move(text));
  else
    ++notes_dropped_;
  if (incomplete) {
    complete_ = false;
    layer_complete_ = false;
  }
}

void image_analyzer::add_note(std::string text, bool incomplete) {
  note(std::move(text), incomplete);
}

void image_analyzer::begin_layer(std::string digest, byte_observer observer, bool record_delta) {
  if (walk_) {
    note("layer " + layers_[walk_->index()] + ": not ended before the next layer began", true);
    (void)end_layer();
  }
  layers_.push_back(std::move(digest));
  layer_error_noted_ = false;
  layer_complete_ = true;
  recorder_ = record_delta ? std::make_unique<delta_recorder>() : nullptr;
  delta_ = make_error("layer " + layers_.back() + " was not walked with record_delta");
  walk_ = std::make_unique<layer_walk>(*this, layers_.size() - 1, std::move(observer));
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
  auto r = walk_->end();
  // What the layer delivered before any error still counts.
  flush_deferred();
  auto walk = std::move(walk_);
  if (walk->unsafe_entries() > 0)
    note(unsafe_entries_note(layers_[walk->index()], walk->unsafe_entries()), false);
  if (!r && !layer_error_noted_) {
    layer_error_noted_ = true;
    note("layer " + layers_[walk->index()] + ": " + r.err().message, true);
  }
  if (recorder_) {
    if (!layer_complete_)
      not_cacheable("it is incomplete");
    delta_ = make_delta(walk->index(), walk->unsafe_entries());
    recorder_.reset();
  }
  return r;
}

// --- the layer cache ----------------------------------------------------------

void image_analyzer::not_cacheable(std::string why) {
  if (!recorder_ || !recorder_->not_cacheable.empty())
    return;
  recorder_->not_cacheable = std::move(why);
  recorder_->removals = {};
  recorder_->link_targets = {};
}

void image_analyzer::record_removal(std::string_view path, uint8_t bits) {
  if (!recorder_ || !recorder_->not_cacheable.empty())
    return;
  recorder_->bytes += path.size() + sizeof(std::string);
  if (recorder_->bytes > max_delta_path_bytes) {
    not_cacheable("it has over " + std::to_string(max_delta_path_bytes) + " bytes of paths");
    return;
  }
  recorder_->removals.emplace_back(path, bits);
}

std::vector<std::string> image_analyzer::lower_link_targets(
  const std::vector<std::pair<std::string, uint8_t>>& removals, size_t layer) const {
  std::vector<std::string> out;
  for (const auto& [path, bits] : removals)
    if (auto it = link_targets_.find(path); it != link_targets_.end() && it->second < layer)
      out.push_back(path);
  return out;
}

expected<image_analyzer::layer_delta> image_analyzer::make_delta(size_t layer,
                                                                 uint64_t unsafe_entries) {
  auto& rec = *recorder_;
  if (!rec.not_cacheable.empty())
    return make_error("layer " + layers_[layer] + " is not cacheable: " + rec.not_cacheable);
  layer_delta d;
  d.layer = layers_[layer];
  d.unsafe_entries = unsafe_entries;
  // One entry per path, its bits merged; the order does not matter, since
  // each only deletes what lower layers had.
  std::sort(rec.removals.begin(), rec.removals.end());
  for (auto& [path, bits] : rec.removals) {
    if (!d.removals.empty() && d.removals.back().first == path)
      d.removals.back().second |= bits;
    else
      d.removals.emplace_back(std::move(path), bits);
  }
  for (const auto& [path, link] : symlinks_)
    if (link.layer == layer)
      d.symlinks.emplace_back(path, link.target);
  for (const auto& [path, file] : files_)
    if (file.layer == layer)
      d.files.emplace_back(path, *file.content);
  for (const auto& [path, r] : records_) {
    if (r.layer != layer)
      continue;
    for (const auto& p : r.parsed->parts)
      if (!p.complete)
        return make_error("layer " + layers_[layer] + " is not cacheable: "
                          + std::string(catalogers_[p.cataloger]->name()) + " hit a limit in "
                          + path);
    d.records.push_back(layer_delta::parsed{path, os_seen_[r.os], r.parsed->parts});
  }
  std::sort(rec.link_targets.begin(), rec.link_targets.end());
  rec.link_targets.erase(std::unique(rec.link_targets.begin(), rec.link_targets.end()),
                         rec.link_targets.end());
  d.link_targets = std::move(rec.link_targets);
  d.lower_link_targets = lower_link_targets(d.removals, layer);
  return d;
}

expected<image_analyzer::layer_delta> image_analyzer::take_delta() {
  auto out = std::move(delta_);
  delta_ = make_error("the delta was taken already");
  return out;
}

bool image_analyzer::replay_layer(std::string digest, const layer_delta& delta) {
  if (walk_) {
    note("layer " + layers_[walk_->index()] + ": not ended before the next layer began", true);
    (void)end_layer();
  }
  // What the walk consulted of the layers below: the wanted symlinks'
  // targets among its paths, and room for its own targets and symlinks
  // (counted before its deletions: it may refuse more than needed). The OS it parsed
  // with may differ: finish() rebases, as for a walked layer.
  // Past the image's caps, the walk says what was left out.
  uint64_t packages = 0;
  for (const auto& r : delta.records)
    for (const auto& part : r.parts)
      packages += part.packages.size();
  if (link_targets_.size() + delta.link_targets.size() > max_link_targets
      || symlinks_.size() + delta.symlinks.size() > limits_.max_symlinks
      || records_.size() + delta.records.size() > limits_.max_records
      || held_packages_ + packages > limits_.max_packages
      || lower_link_targets(delta.removals, layers_.size()) != delta.lower_link_targets)
    return false;
  for (const auto& r : delta.records)
    for (const auto& part : r.parts)
      if (part.cataloger >= catalogers_.size())
        return false; // from other catalogers: the cache key should have told
  layers_.push_back(std::move(digest));
  auto layer = layers_.size() - 1;
  for (const auto& [path, bits] : delta.removals) {
    if (bits & remove_path_bit)
      remove_path(path, false);
    if (bits & remove_below_bit)
      remove_below(path);
  }
  for (const auto& [path, target] : delta.symlinks)
    symlinks_[path] = kept_link{target, layer};
  for (const auto& [path, content] : delta.files)
    files_[path] = kept_file{std::make_shared<const std::string>(content), layer};
  os_dirty_ = true;
  for (const auto& r : delta.records) {
    record rec;
    rec.layer = layer;
    auto seen = std::find_if(os_seen_.begin(), os_seen_.end(),
                             [&](const os_info& os) { return same_os(os, r.os); });
    rec.os = static_cast<size_t>(seen - os_seen_.begin());
    if (seen == os_seen_.end())
      os_seen_.push_back(r.os);
    auto parts = r.parts;
    // The catalogers that would parse it here (those that found something, at least).
    std::vector<size_t> parsers;
    for (size_t i = 0; i < catalogers_.size(); ++i)
      if (catalogers_[i]->wants(r.path)
          || std::any_of(parts.begin(), parts.end(), [&](const part& p) { return p.cataloger == i; }))
        parsers.push_back(i);
    for (auto& part : parts)
      for (auto& pkg : part.packages)
        if (pkg.layer == delta.layer)
          pkg.layer = layers_[layer];
    rec.parsed = std::make_shared<parsed_file>(r.path, std::move(parsers), std::move(parts),
                                               &held_packages_);
    records_[r.path] = std::move(rec);
  }
  for (const auto& target : delta.link_targets)
    link_targets_.emplace(target, layer);
  if (delta.unsafe_entries > 0)
    note(unsafe_entries_note(layers_[layer], delta.unsafe_entries), false);
  return true;
}

std::string image_analyzer::cache_version() const {
  auto out = "analyzer=" + std::to_string(analyzer_version);
  for (const auto& c : catalogers_)
    out += ";" + std::string(c->name()) + "=" + std::to_string(c->version());
  out += ";limits=" + std::to_string(limits_.max_layer_bytes) + "/"
         + std::to_string(limits_.max_entries) + "/" + std::to_string(limits_.max_file_size) + "/"
         + std::to_string(limits_.max_executable_size);
  return out;
}

bool image_analyzer::wanted_by_name(std::string_view path) const {
  return std::any_of(catalogers_.begin(), catalogers_.end(),
                     [&](const auto& c) { return c->wants(path); });
}

image_analyzer::entry_plan image_analyzer::plan(const tar_entry& entry) const {
  entry_plan p;
  std::string_view path = entry.path;
  p.keep = is_os_file(path) || link_targets_.contains(path);
  bool executable = (entry.mode & 0111) != 0 && entry.type != tar_entry_type::dir
                    && entry.type != tar_entry_type::symlink;
  for (size_t i = 0; i < catalogers_.size(); ++i) {
    const auto& c = *catalogers_[i];
    if (c.wants(path)
        || (executable && c.wants_executable(path, entry.mode, entry.size)))
      p.parsers.push_back(i);
  }
  return p;
}

size_t image_analyzer::current_os() {
  if (!os_dirty_)
    return os_seen_.size() - 1;
  os_dirty_ = false;
  auto os = detect_os([this](std::string_view path) -> const std::string* {
    auto f = find_file(path);
    return f ? f->content.get() : nullptr;
  });
  if (!same_os(os, os_seen_.back()))
    os_seen_.push_back(std::move(os));
  return os_seen_.size() - 1;
}

void image_analyzer::parse_into_record(const std::string& path, const std::string& content,
                                       const std::vector<size_t>& parsers, size_t layer) {
  records_.erase(path); // replaced, whatever the parse gives
  record rec;
  rec.layer = layer;
  rec.os = current_os();
  const auto& os = os_seen_[rec.os];
  std::vector<part> parts;
  uint64_t packages = 0;
  for (auto i : parsers) {
    inventory scratch;
    catalogers_[i]->parse(path, content, layers_[layer], os, scratch);
    if (scratch.packages.empty() && scratch.owned_files.empty() && scratch.notes.empty()
        && scratch.complete)
      continue;
    packages += scratch.packages.size();
    parts.push_back(part{i, std::move(scratch.packages), std::move(scratch.owned_files),
                         std::move(scratch.notes), scratch.complete});
  }
  if (parts.empty() || !room_for_record(path))
    return;
  if (held_packages_ + packages > limits_.max_packages) {
    note(path + ": " + std::to_string(packages) + " packages, over max_packages ("
           + std::to_string(limits_.max_packages) + ") for the image: not listed",
         true);
    return;
  }
  rec.parsed = std::make_shared<parsed_file>(path, parsers, std::move(parts), &held_packages_);
  records_[path] = std::move(rec);
}

void image_analyzer::share_record(const std::string& path, const record& from, size_t layer) {
  // A delta has no way to say two paths share a parse.
  not_cacheable("a hardlink to a parsed file");
  auto shared = record{layer, from.os, from.parsed};
  if (room_for_record(path))
    records_[path] = std::move(shared);
}

bool image_analyzer::room_for_record(std::string_view path) {
  if (records_.size() < limits_.max_records || records_.contains(path))
    return true;
  if (!records_full_) {
    records_full_ = true;
    note("over max_records (" + std::to_string(limits_.max_records)
           + ") parsed files for the image: " + std::string(path) + " and later ones not listed",
         true);
  } else {
    complete_ = false;
    layer_complete_ = false;
  }
  return false;
}

// Files that arrived while no OS was known are parsed once the layer is read.
void image_analyzer::flush_deferred() {
  auto layer = layers_.size() - 1;
  auto pending = std::move(deferred_);
  deferred_.clear();
  deferred_bytes_ = 0;
  deferred_uses_.clear();
  // Hardlinks to one another share their content: parse it once.
  std::map<std::pair<const std::string*, std::vector<size_t>>, std::string> parsed_as;
  for (auto& [path, file] : pending) {
    auto key = std::make_pair(file.content.get(), file.parsers);
    if (auto it = parsed_as.find(key); it != parsed_as.end()) {
      if (auto r = records_.find(it->second); r != records_.end())
        share_record(path, r->second, layer);
      continue;
    }
    parse_into_record(path, *file.content, file.parsers, layer);
    parsed_as.emplace(std::move(key), path);
  }
}

// Drops `path` itself: from any layer when the same layer rewrites it.
void image_analyzer::remove_path(std::string_view path, bool any_layer) {
  auto current = walk_ ? walk_->index() : layers_.size();
  if (auto it = files_.find(path); it != files_.end() && (any_layer || it->second.layer < current)) {
    files_.erase(it);
    os_dirty_ = true;
  }
  if (auto it = symlinks_.find(path);
      it != symlinks_.end() && (any_layer || it->second.layer < current)) {
    symlinks_.erase(it);
    os_dirty_ = true;
  }
  if (auto it = records_.find(path);
      it != records_.end() && (any_layer || it->second.layer < current))
    records_.erase(it);
  if (any_layer)
    if (auto it = deferred_.find(path); it != deferred_.end()) {
      auto uses = deferred_uses_.find(it->second.content.get());
      if (uses != deferred_uses_.end() && --uses->second == 0) {
        deferred_bytes_ -= it->second.content->size();
        deferred_uses_.erase(uses);
      }
      deferred_.erase(it);
    }
}

// Drops everything lower layers put under `dir` ("" is the root).
void image_analyzer::remove_below(std::string_view dir) {
  auto current = walk_ ? walk_->index() : layers_.size();
  auto prefix = dir.empty() ? std::string() : std::string(dir) + '/';
  auto sweep = [&](auto& map) {
    bool erased = false;
    for (auto it = map.lower_bound(prefix); it != map.end() && it->first.starts_with(prefix);) {
      if (it->second.layer < current) {
        it = map.erase(it);
        erased = true;
      } else {
        ++it;
      }
    }
    return erased;
  };
  if (sweep(files_) | sweep(symlinks_))
    os_dirty_ = true;
  sweep(records_);
}

bool image_analyzer::entry_begin(const tar_entry& entry, entry_plan& out) {
  std::string_view path = entry.path;
  auto slash = path.rfind('/');
  auto dir = slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
  auto base = slash == std::string_view::npos ? path : path.substr(slash + 1);

  if (base.starts_with(whiteout_prefix)) {
    if (base == opaque_whiteout) {
      remove_below(dir);
      record_removal(dir, remove_below_bit);
    } else if (!base.starts_with(".wh..wh.")) { // other ".wh..wh." names are aufs metadata
      auto victim = join(dir, base.substr(whiteout_prefix.size()));
      remove_path(victim, false);
      remove_below(victim);
      record_removal(victim, remove_path_bit | remove_below_bit);
    }
    return false;
  }

  // Whatever this entry is, it replaces what was at its path; a non-directory
  // also hides everything lower layers had below it.
  remove_path(path, true);
  if (entry.type != tar_entry_type::dir)
    remove_below(path);
  record_removal(path, entry.type == tar_entry_type::dir ? remove_path_bit
                                                         : remove_path_bit | remove_below_bit);

  auto layer = walk_->index();
  switch (entry.type) {
    case tar_entry_type::symlink:
      if (symlinks_.size() >= limits_.max_symlinks) {
        // Links past the bound are not followed: what they lead to may be missed.
        if (!symlinks_full_) {
          symlinks_full_ = true;
          note("layer " + layers_[layer] + ": over max_symlinks ("
                 + std::to_string(limits_.max_symlinks) + "): later symlinks not followed",
               true);
        }
        return false;
      }
      symlinks_[entry.path] = kept_link{entry.link_target, layer};
      os_dirty_ = true;
      // Keep what a wanted symlink points at when it shows up later (in this
      // or an upper layer); bounded, since each wanted symlink adds one path.
      if (is_os_file(path) || link_targets_.contains(path) || wanted_by_name(path)) {
        if (link_targets_.size() < max_link_targets) {
          auto target = lexical_target(dir, entry.link_target);
          if (recorder_)
            recorder_->link_targets.push_back(target);
          link_targets_.emplace(std::move(target), layer);
        } else {
          // Another image may have room for it: what this walk kept depends on it.
          not_cacheable("over " + std::to_string(max_link_targets) + " symlink targets");
        }
      }
      return false;
    case tar_entry_type::hardlink: {
      auto p = plan(entry);
      if (!p.keep && p.parsers.empty())
        return false;
      // A hardlink shares its target's content, which must have been kept.
      // Resolving it through a lower layer, or through a file whose parse
      // waited for the OS, depends on the layers below: such a layer is not
      // cached.
      const auto& target = entry.link_target;
      std::shared_ptr<const std::string> content;
      if (auto it = files_.find(target); it != files_.end()) {
        content = it->second.content;
        if (it->second.layer != layer)
          not_cacheable("a hardlink to a lower layer's file");
      } else if (auto d = deferred_.find(target); d != deferred_.end()) {
        content = d->second.content;
        not_cacheable("a hardlink to a file parsed at the layer's end");
      }
      // Another path to a parsed file shares its parse: listed once, with every path.
      auto parsed = records_.find(target);
      if (content) {
        if (p.keep) {
          files_[entry.path] = kept_file{content, layer};
          os_dirty_ = true;
        }
        if (p.parsers.empty())
          return false;
        if (auto d = deferred_.find(target); d != deferred_.end() && d->second.content == content) {
          // Parsed with its target at the layer's end.
          defer(entry.path, content, p.parsers);
        } else if (parsed != records_.end() && covers(parsed->second.parsed->parsers, p.parsers)) {
          share_record(entry.path, parsed->second, layer);
        } else {
          parse_into_record(entry.path, *content, p.parsers, layer);
        }
      } else if (auto l = symlinks_.find(target); l != symlinks_.end()) {
        if (l->second.layer != layer)
          not_cacheable("a hardlink to a lower layer's symlink");
        symlinks_[entry.path] = kept_link{l->second.target, layer};
        os_dirty_ = true;
      } else if (parsed != records_.end() && !p.parsers.empty()) {
        share_record(entry.path, parsed->second, layer);
      } else {
        note("layer " + layers_[layer] + ": " + entry.path + " is a hardlink to " + target
               + ", whose content was not kept",
             true);
      }
      return false;
    }
    case tar_entry_type::file: {
      auto p = plan(entry);
      if (!p.keep && p.parsers.empty())
        return false;
      auto cap = p.keep || std::any_of(p.parsers.begin(), p.parsers.end(), [&](size_t i) {
                   return catalogers_[i]->wants(path);
                 })
                   ? limits_.max_file_size
                   : limits_.max_executable_size;
      if (entry.size > cap) {
        note("layer " + layers_[layer] + ": " + entry.path + " is " + std::to_string(entry.size)
               + " bytes, over max_file_size (" + std::to_string(cap) + "): not scanned",
             true);
        return false;
      }
      out = std::move(p);
      return true;
    }
    default:
      return false;
  }
}

void image_analyzer::entry_end(std::string path, std::string content, entry_plan plan) {
  auto layer = walk_->index();
  auto shared = std::make_shared<const std::string>(std::move(content));
  if (plan.keep) {
    files_[path] = kept_file{shared, layer};
    os_dirty_ = true;
  }
  if (plan.parsers.empty())
    return;
  // The OS decides ecosystems: hold the file until the layer ends when none
  // is known yet (bounded; past the bound, parse with what is known).
  if (os_seen_[current_os()].id.empty() && defer(path, shared, plan.parsers))
    return;
  parse_into_record(path, *shared, plan.parsers, layer);
}

bool image_analyzer::defer(std::string path, std::shared_ptr<const std::string> content,
                           std::vector<size_t> parsers) {
  auto& uses = deferred_uses_[content.get()];
  if (uses == 0) {
    if (deferred_bytes_ + content->size() > limits_.max_deferred_bytes) {
      deferred_uses_.erase(content.get());
      return false;
    }
    deferred_bytes_ += content->size();
  }
  ++uses;
  deferred_[std::move(path)] = deferred_file{std::move(content), std::move(parsers)};
  return true;
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

inventory image_analyzer::finish() {
  if (walk_) {
    note("layer " + layers_[walk_->index()] + ": not ended before finish", true);
    (void)end_layer();
  }
  inventory out;
  auto final_index = current_os();
  out.os = os_seen_[final_index];

  // A wanted path may be a symlink to a file. It shares the file's parse when
  // the file was parsed for what the link's name wants; else the file is
  // parsed through the link, once for all the links that reach it. These
  // records come after the others, in a map of their own.
  std::map<std::string, record, std::less<>> via_links;
  std::map<std::pair<std::string, std::vector<size_t>>, record> link_parses;
  std::vector<size_t> link_parsers;
  for (const auto& [path, link] : symlinks_) {
    link_parsers.clear();
    for (size_t i = 0; i < catalogers_.size(); ++i)
      if (catalogers_[i]->wants(path))
        link_parsers.push_back(i);
    if (link_parsers.empty())
      continue;
    std::string resolved;
    const auto* f = find_file(path, &resolved);
    auto r = resolved.empty() ? records_.end() : records_.find(resolved);
    if (r != records_.end() && (f == nullptr || covers(r->second.parsed->parsers, link_parsers))) {
      via_links[path] = r->second;
      continue;
    }
    if (f == nullptr) {
      for (auto i : link_parsers)
        out.notes.push_back(std::string(catalogers_[i]->name()) + ": " + path
                            + " is a symlink to nothing kept (" + link.target + ")");
      continue;
    }
    auto [parse, first] = link_parses.try_emplace(std::make_pair(resolved, link_parsers));
    if (first) {
      parse_into_record(path, *f->content, link_parsers, f->layer);
      if (auto it = records_.find(path); it != records_.end()) {
        parse->second = std::move(it->second);
        records_.erase(it);
      }
    }
    if (parse->second.parsed)
      via_links[path] = parse->second;
  }

  // Each parsed file once, with the paths that reach it.
  struct group {
    record* rec = nullptr;
    std::vector<const std::string*> paths;
  };
  std::vector<group> groups;
  std::unordered_map<const parsed_file*, size_t> group_of;
  for (auto* map : {&records_, &via_links})
    for (auto& [path, rec] : *map) {
      auto [it, first] = group_of.try_emplace(rec.parsed.get(), groups.size());
      if (first)
        groups.push_back(group{&rec, {}});
      groups[it->second].paths.push_back(&path);
    }

  if (out.os.id.empty()) {
    std::vector<package> found;
    for (const auto& g : groups)
      for (const auto& part : g.rec->parsed->parts)
        found.insert(found.end(), part.packages.begin(), part.packages.end());
    distroless_fallback(out.os, found);
    if (!out.os.id.empty()) {
      os_seen_.push_back(out.os);
      final_index = os_seen_.size() - 1;
    }
  }

  std::vector<bool> os_cataloger(catalogers_.size(), false);
  std::unordered_map<std::string_view, std::string_view> owners;
  for (auto& g : groups) {
    for (auto& part : g.rec->parsed->parts) {
      if (g.rec->os != final_index && !part.packages.empty())
        catalogers_[part.cataloger]->rebase_os(os_seen_[g.rec->os], out.os, part.packages);
      if (!part.owned.empty())
        os_cataloger[part.cataloger] = true;
      for (const auto& f : part.owned)
        owners.emplace(f.path, f.package);
    }
  }
  out.packages.reserve(held_packages_);
  for (auto& g : groups) {
    const auto& parsed = *g.rec->parsed;
    // Named by the path it was parsed as while that is still there, else by
    // the first path that reaches it.
    bool there = std::any_of(g.paths.begin(), g.paths.end(),
                             [&](const std::string* p) { return *p == parsed.path; });
    const std::string& file = there ? parsed.path : *g.paths.front();
    if (g.paths.size() > 1) {
      linked_file linked{file, {}};
      for (const auto* p : g.paths)
        if (*p != file)
          linked.also_at.push_back(*p);
      std::sort(linked.also_at.begin(), linked.also_at.end());
      out.linked_files.push_back(std::move(linked));
    }
    for (const auto& part : parsed.parts) {
      for (const auto& pkg : part.packages) {
        auto& listed = out.packages.emplace_back(pkg);
        if (listed.file == parsed.path)
          listed.file = file;
        if (!os_cataloger[part.cataloger] && listed.owner.empty())
          if (auto it = owners.find(listed.file); it != owners.end())
            listed.owner = it->second;
      }
      out.notes.insert(out.notes.end(), part.notes.begin(), part.notes.end());
      if (!part.complete)
        complete_ = false;
    }
  }
  std::sort(out.linked_files.begin(), out.linked_files.end(),
            [](const linked_file& a, const linked_file& b) { return a.file < b.file; });
  out.notes.insert(out.notes.begin(), notes_.begin(), notes_.end());
  auto dropped = notes_dropped_;
  if (out.notes.size() > limits_.max_notes) {
    dropped += out.notes.size() - limits_.max_notes;
    out.notes.resize(limits_.max_notes);
  }
  if (dropped > 0)
    out.notes.push_back(std::to_string(dropped) + " more notes, over max_notes ("
                        + std::to_string(limits_.max_notes) + "), not kept");
  out.complete = complete_;
  return out;
}

} // namespace regscan
