#include "scanners/layer/image_analyzer.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <openssl/evp.h>

#include "scanners/catalogers.hpp"
#include "scanners/layer/decompressor.hpp"
#include "scanners/malware/malware_scanner.hpp"
#include "scanners/os/os_release.hpp"
#include "scanners/secrets/secret_scanner.hpp"

namespace regscan {

namespace {

// Every cataloger in `wanted` (sorted) is in `ran` (sorted).
bool covers(const std::vector<size_t>& ran, const std::vector<size_t>& wanted) {
  return std::includes(ran.begin(), ran.end(), wanted.begin(), wanted.end());
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
    head_.clear();
    size_ = 0;
    if (plan_.malware != malware_read::none)
      EVP_DigestInit_ex(sha_.get(), EVP_sha256(), nullptr);
    // The size is untrusted until the bytes arrive: grow, do not pre-allocate it all.
    if (buffering())
      content_.reserve(static_cast<size_t>(std::min<uint64_t>(entry.size, 1 << 20)));
    return true;
  }

  expected<void> entry_data(const uint8_t* data, size_t size) override {
    size_ += size;
    if (plan_.malware != malware_read::none) {
      EVP_DigestUpdate(sha_.get(), data, size);
      if (head_.size() < malware_scanner::head_size) {
        head_.append(reinterpret_cast<const char*>(data),
                     std::min(size, malware_scanner::head_size - head_.size()));
        if (head_.size() == malware_scanner::head_size && !plan_.malware_named)
          plan_.malware = owner_.decide_malware(plan_.malware, head_);
      }
    }
    if (!buffering()) {
      content_ = std::string();
      return {};
    }
    auto checked = std::min<size_t>(content_.size(), binary_window);
    content_.append(reinterpret_cast<const char*>(data), size);
    // A binary (a NUL in its first 8 KiB) the secret scanner skips too.
    if (plan_.secrets && checked < binary_window) {
      auto end = std::min<size_t>(content_.size(), binary_window);
      if (std::memchr(content_.data() + checked, 0, end - checked)) {
        plan_.secrets = false;
        if (!buffering())
          content_ = std::string();
      }
    }
    return {};
  }

  expected<void> entry_end() override {
    if ((plan_.malware == malware_read::head || plan_.malware == malware_read::oversize)
        && !plan_.malware_named && head_.size() < malware_scanner::head_size)
      plan_.malware = owner_.decide_malware(plan_.malware, head_);
    if (plan_.malware != malware_read::none) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned n = 0;
      EVP_DigestFinal_ex(sha_.get(), md, &n);
      plan_.sha256 = hex(md, n);
      plan_.size = size_;
    }
    if (plan_.keep || !plan_.parsers.empty() || plan_.secrets || plan_.malware != malware_read::none)
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

  // Whether the entry's bytes are still needed whole.
  bool buffering() const {
    return plan_.keep || !plan_.parsers.empty() || plan_.secrets
           || plan_.malware == malware_read::head || plan_.malware == malware_read::full;
  }

  static std::string hex(const unsigned char* p, unsigned n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(n * 2, '0');
    for (unsigned i = 0; i < n; ++i) {
      out[2 * i] = digits[p[i] >> 4];
      out[2 * i + 1] = digits[p[i] & 15];
    }
    return out;
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
  std::string head_; // the first bytes, for the malware scanner's type check
  uint64_t size_ = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha_{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  entry_plan plan_;
  static constexpr size_t binary_window = 8192;
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
                                         std::vector<cataloger_output> parts_,
                                         uint64_t* held_packages)
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

void image_analyzer::look_for_secrets(std::shared_ptr<const secret_scanner> scanner) {
  secret_scanner_ = std::move(scanner);
}

void image_analyzer::secrets_incomplete(std::string why) {
  secrets_complete_ = false;
  not_cacheable(why); // a replay would not repeat the note
  note(std::move(why), false);
}

bool image_analyzer::hold_secret(size_t layer, secret_finding f) {
  if (secrets_.size() >= limits_.max_secrets) {
    if (!secrets_full_) {
      secrets_full_ = true;
      secrets_incomplete("over max_secrets (" + std::to_string(limits_.max_secrets)
                         + "): later secrets not kept");
    }
    return false;
  }
  if (!f.deleted)
    live_secrets_.emplace(f.location, secrets_.size());
  secrets_.push_back(held_secret{layer, std::move(f)});
  return true;
}

void image_analyzer::scan_secrets(const std::string& path, std::string_view content, size_t layer) {
  std::vector<secret_finding> found;
  secret_scanner_->scan(path, content, found);
  for (auto& f : found) {
    f.layer = layers_[layer];
    if (!hold_secret(layer, std::move(f)))
      break;
  }
}

namespace {

// Marks the findings of `live` (location -> index into `held`) at `path`
// and/or below it deleted by `by`, and forgets them.
template <class Held>
void mark_deleted(std::multimap<std::string, size_t, std::less<>>& live, std::vector<Held>& held,
                  std::string_view path, uint8_t bits, const std::string& by) {
  if (live.empty())
    return;
  auto mark = [&](auto from, auto to) {
    for (auto it = from; it != to; ++it) {
      auto& f = held[it->second].found;
      f.deleted = true;
      f.deleted_by = by;
    }
    live.erase(from, to);
  };
  if (bits & remove_path_bit) {
    auto [from, to] = live.equal_range(path);
    mark(from, to);
  }
  if (bits & remove_below_bit) {
    std::string prefix = path.empty() ? "" : std::string(path) + "/";
    auto from = live.lower_bound(prefix);
    auto to = from;
    while (to != live.end() && to->first.starts_with(prefix))
      ++to;
    mark(from, to);
  }
}

} // namespace

void image_analyzer::delete_secrets(std::string_view path, uint8_t bits) {
  mark_deleted(live_secrets_, secrets_, path, bits, layers_.back());
  mark_deleted(live_malware_, malware_, path, bits, layers_.back());
}

void image_analyzer::look_for_malware(std::shared_ptr<const malware_scanner> scanner) {
  malware_scanner_ = std::move(scanner);
}

void image_analyzer::malware_incomplete(std::string why) {
  malware_complete_ = false;
  not_cacheable(why); // a replay would not repeat the note
  note(std::move(why), false);
}

bool image_analyzer::hold_malware(size_t layer, malware_finding f) {
  if (malware_.size() >= limits_.max_malware) {
    if (!malware_full_) {
      malware_full_ = true;
      malware_incomplete("over max_malware (" + std::to_string(limits_.max_malware)
                         + "): later malware findings not kept");
    }
    return false;
  }
  if (!f.deleted) // by the file's path: deleting the file deletes its members
    live_malware_.emplace(f.path.substr(0, f.path.size() - (f.member.empty() ? 0 : f.member.size() + 1)),
                          malware_.size());
  malware_.push_back(held_malware{layer, std::move(f)});
  return true;
}

image_analyzer::malware_read image_analyzer::decide_malware(malware_read m,
                                                            std::string_view head) const {
  bool wanted = malware_scanner::wants_by_content(head);
  if (m == malware_read::head && wanted)
    return malware_read::full;
  if (m == malware_read::oversize && wanted)
    return malware_read::oversize; // a gap: scan_malware says so
  if (m == malware_read::full)
    return m;
  return malware_scanner_->has_iocs() ? malware_read::ioc : malware_read::none;
}

void image_analyzer::scan_malware(const std::string& path, std::string_view content,
                                  const entry_plan& plan, size_t layer) {
  malware_scanner::verdict v;
  if (plan.malware == malware_read::full) {
    v = malware_scanner_->scan(path, content, plan.sha256);
  } else {
    v.findings = malware_scanner_->check_ioc(plan.sha256);
    if (plan.malware == malware_read::oversize)
      v.incomplete = std::to_string(plan.size) + " bytes, over the malware max_file_size ("
                     + std::to_string(malware_scanner_->limits().max_file_size) + "): not scanned";
  }
  if (!v.incomplete.empty())
    malware_incomplete("layer " + layers_[layer] + ": " + path + ": " + v.incomplete);
  for (auto& f : v.findings) {
    f.path = f.member.empty() ? path : path + std::string(archive_member_separator) + f.member;
    f.sha256 = plan.sha256;
    f.size = plan.size;
    f.layer = layers_[layer];
    if (!hold_malware(layer, std::move(f)))
      break;
  }
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

void image_analyzer::note_unsafe_entries(size_t layer, uint64_t count) {
  if (count > 0)
    note("layer " + layers_[layer] + ": " + std::to_string(count)
           + " entries with paths outside the image root skipped",
         false);
}

void image_analyzer::end_unended_layer(std::string_view before) {
  if (!walk_)
    return;
  note("layer " + layers_[walk_->index()] + ": not ended before " + std::string(before), true);
  (void)end_layer();
}

void image_analyzer::begin_layer(std::string digest, byte_observer observer, bool record_delta) {
  end_unended_layer("the next layer began");
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
  note_unsafe_entries(walk->index(), walk->unsafe_entries());
  if (!r && !layer_error_noted_) {
    layer_error_noted_ = true;
    note("layer " + layers_[walk->index()] + ": " + r.err().message, true);
  }
  if (layer_error_noted_) {
    secrets_complete_ = false; // the rest of the layer was not read
    malware_complete_ = false;
  }
  if (recorder_) {
    if (!layer_complete_)
      not_cacheable("it is incomplete");
    delta_ = make_delta(walk->index(), walk->unsafe_entries());
    recorder_.reset();
  }
  return r;
}

bool image_analyzer::wanted_by_name(std::string_view path) const {
  return std::any_of(catalogers_.begin(), catalogers_.end(),
                     [&](const auto& c) { return c->wants(path); });
}

image_analyzer::entry_plan image_analyzer::plan(const tar_entry& entry) const {
  entry_plan p;
  std::string_view path = entry.path;
  p.keep = is_os_file(path) || link_targets_.contains(path);
  if (secret_scanner_ && entry.type == tar_entry_type::file
      && secret_scanner_->wants(path, entry.size)) {
    p.secrets_skipped = secret_scanner_->skipped_reason(path, entry.size);
    p.secrets = p.secrets_skipped.empty();
  }
  if (malware_scanner_ && entry.type == tar_entry_type::file && entry.size > 0) {
    bool big = entry.size > malware_scanner_->limits().max_file_size;
    if (!malware_scanner_->scans_content())
      p.malware = malware_read::ioc;
    else if ((p.malware_named = malware_scanner_->wants_by_name(path, entry.mode)))
      p.malware = big ? malware_read::oversize : malware_read::full;
    else
      p.malware = big ? malware_read::oversize : malware_read::head;
  }
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
    auto f = fs_.resolve(path);
    return f ? f->content.get() : nullptr;
  });
  if (!same_os(os, os_seen_.back()))
    os_seen_.push_back(std::move(os));
  return os_seen_.size() - 1;
}

size_t image_analyzer::os_index(const os_info& os) {
  auto seen = std::find_if(os_seen_.begin(), os_seen_.end(),
                           [&](const os_info& o) { return same_os(o, os); });
  if (seen != os_seen_.end())
    return static_cast<size_t>(seen - os_seen_.begin());
  os_seen_.push_back(os);
  return os_seen_.size() - 1;
}

void image_analyzer::parse_into_record(const std::string& path, const std::string& content,
                                       const std::vector<size_t>& parsers, size_t layer) {
  records_.erase(path); // replaced, whatever the parse gives
  record rec;
  rec.layer = layer;
  rec.os = current_os();
  const auto& os = os_seen_[rec.os];
  std::vector<cataloger_output> parts;
  uint64_t packages = 0;
  for (auto i : parsers) {
    inventory scratch;
    catalogers_[i]->parse(path, content, layers_[layer], os, scratch);
    if (scratch.packages.empty() && scratch.owned_files.empty() && scratch.notes.empty()
        && scratch.complete)
      continue;
    packages += scratch.packages.size();
    parts.push_back(cataloger_output{i, std::move(scratch.packages),
                                     std::move(scratch.owned_files), std::move(scratch.notes),
                                     scratch.complete});
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

void image_analyzer::remove(std::string_view path, uint8_t bits, bool any_layer) {
  auto current = walk_ ? walk_->index() : layers_.size();
  delete_secrets(path, bits);
  if (bits & remove_path_bit) {
    auto below = any_layer ? std::numeric_limits<size_t>::max() : current;
    if (fs_.remove_path(path, below))
      os_dirty_ = true;
    erase_lower(records_, path, below);
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
  if (bits & remove_below_bit) {
    if (fs_.remove_below(path, current))
      os_dirty_ = true;
    erase_lower_below(records_, path, current);
  }
}

bool image_analyzer::entry_begin(const tar_entry& entry, entry_plan& out) {
  std::string_view path = entry.path;
  if (auto w = as_whiteout(path)) {
    if (w->removes != 0) {
      remove(w->path, w->removes, false);
      record_removal(w->path, w->removes);
    }
    return false;
  }

  // Whatever this entry is, it replaces what was at its path; a non-directory
  // also hides everything lower layers had below it.
  uint8_t removes =
    entry.type == tar_entry_type::dir ? remove_path_bit : remove_path_bit | remove_below_bit;
  remove(path, removes, true);
  record_removal(path, removes);

  auto layer = walk_->index();
  switch (entry.type) {
    case tar_entry_type::symlink:
      if (fs_.symlinks().size() >= limits_.max_symlinks) {
        // Links past the bound are not followed: what they lead to may be missed.
        if (!symlinks_full_) {
          symlinks_full_ = true;
          note("layer " + layers_[layer] + ": over max_symlinks ("
                 + std::to_string(limits_.max_symlinks) + "): later symlinks not followed",
               true);
        }
        return false;
      }
      fs_.add_symlink(entry.path, entry.link_target, layer);
      os_dirty_ = true;
      // Keep what a wanted symlink points at when it shows up later (in this
      // or an upper layer); bounded, since each wanted symlink adds one path.
      if (is_os_file(path) || link_targets_.contains(path) || wanted_by_name(path)) {
        if (link_targets_.size() < max_link_targets) {
          auto target = lexical_target(path, entry.link_target);
          if (recorder_)
            recorder_->add_link_target(target);
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
      if (auto it = fs_.files().find(target); it != fs_.files().end()) {
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
          fs_.add_file(entry.path, content, layer);
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
      } else if (auto l = fs_.symlinks().find(target); l != fs_.symlinks().end()) {
        if (l->second.layer != layer)
          not_cacheable("a hardlink to a lower layer's symlink");
        fs_.add_symlink(entry.path, l->second.target, layer);
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
      if (!p.secrets_skipped.empty())
        secrets_incomplete("layer " + layers_[layer] + ": " + entry.path + ": " + p.secrets_skipped);
      if (!p.keep && p.parsers.empty()) {
        if (!p.secrets && p.malware == malware_read::none)
          return false;
        out = std::move(p); // only the secret or malware scanner wants it: within its own size limit
        return true;
      }
      auto cap = p.keep || std::any_of(p.parsers.begin(), p.parsers.end(), [&](size_t i) {
                   return catalogers_[i]->wants(path);
                 })
                   ? limits_.max_file_size
                   : limits_.max_executable_size;
      if (entry.size > cap) {
        note("layer " + layers_[layer] + ": " + entry.path + " is " + std::to_string(entry.size)
               + " bytes, over max_file_size (" + std::to_string(cap) + "): not scanned",
             true);
        if (p.malware == malware_read::none)
          return false;
        // The malware scanner still takes it, within its own limit.
        p.keep = false;
        p.parsers.clear();
        p.secrets = false;
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
  if (plan.malware != malware_read::none)
    scan_malware(path, content, plan, layer);
  if (plan.secrets)
    scan_secrets(path, content, layer);
  if (!plan.keep && plan.parsers.empty())
    return;
  auto shared = std::make_shared<const std::string>(std::move(content));
  if (plan.keep) {
    fs_.add_file(path, shared, layer);
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

inventory image_analyzer::finish() {
  end_unended_layer("finish");
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
  for (const auto& [path, link] : fs_.symlinks()) {
    link_parsers.clear();
    for (size_t i = 0; i < catalogers_.size(); ++i)
      if (catalogers_[i]->wants(path))
        link_parsers.push_back(i);
    if (link_parsers.empty())
      continue;
    std::string resolved;
    const auto* f = fs_.resolve(path, &resolved);
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
  if (secret_scanner_) {
    out.secrets_scanned = true;
    out.secrets_complete = secrets_complete_;
    std::stable_sort(secrets_.begin(), secrets_.end(),
                     [](const held_secret& a, const held_secret& b) {
                       return std::tie(a.layer, a.found.location, a.found.line)
                              < std::tie(b.layer, b.found.location, b.found.line);
                     });
    for (auto& held : secrets_)
      out.secrets.push_back(std::move(held.found));
    secrets_.clear();
    live_secrets_.clear();
  }
  if (malware_scanner_) {
    out.malware_scanned = true;
    out.malware_complete = malware_complete_;
    out.malware_version = malware_scanner_->version();
    std::stable_sort(malware_.begin(), malware_.end(),
                     [](const held_malware& a, const held_malware& b) {
                       return std::tie(a.layer, a.found.path, a.found.signature)
                              < std::tie(b.layer, b.found.path, b.found.signature);
                     });
    for (auto& held : malware_)
      out.malware.push_back(std::move(held.found));
    malware_.clear();
    live_malware_.clear();
  }
  return out;
}

} // namespace regscan
