// The layer cache's side of the walk: recording what a walked layer did, and
// replaying it in another image in place of the layer's bytes.
#include "scanners/layer/layer_delta.hpp"

#include <algorithm>

#include "scanners/layer/image_analyzer.hpp"
#include "scanners/malware/malware_scanner.hpp"
#include "scanners/secrets/secret_scanner.hpp"

namespace regscan {

namespace {

// Paths recorded for one layer's delta; a layer with more is not cached.
constexpr uint64_t max_delta_path_bytes = 32ull << 20;
// Bump when the walk itself changes what it records (catalogers have their own
// versions): it is part of the layer cache key.
// 2: rpm module streams; 3: a hardlink shares its target's parse; 4: malware
constexpr int analyzer_version = 4;

} // namespace

void delta_recorder::add_removal(std::string_view path, uint8_t bits) {
  if (!refused_.empty())
    return;
  bytes_ += path.size() + sizeof(std::string);
  if (bytes_ > max_delta_path_bytes) {
    refuse("it has over " + std::to_string(max_delta_path_bytes) + " bytes of paths");
    return;
  }
  removals_.emplace_back(path, bits);
}

void delta_recorder::add_link_target(std::string target) {
  if (refused_.empty())
    link_targets_.push_back(std::move(target));
}

void delta_recorder::refuse(std::string why) {
  if (!refused_.empty())
    return;
  refused_ = std::move(why);
  removals_ = {};
  link_targets_ = {};
}

void delta_recorder::move_to(layer_delta& d) {
  // One entry per path, its bits merged; the order does not matter, since
  // each only deletes what lower layers had.
  std::sort(removals_.begin(), removals_.end());
  for (auto& [path, bits] : removals_) {
    if (!d.removals.empty() && d.removals.back().first == path)
      d.removals.back().second |= bits;
    else
      d.removals.emplace_back(std::move(path), bits);
  }
  removals_.clear();
  std::sort(link_targets_.begin(), link_targets_.end());
  link_targets_.erase(std::unique(link_targets_.begin(), link_targets_.end()),
                      link_targets_.end());
  d.link_targets = std::move(link_targets_);
}

void image_analyzer::not_cacheable(std::string why) {
  if (recorder_)
    recorder_->refuse(std::move(why));
}

void image_analyzer::record_removal(std::string_view path, uint8_t bits) {
  if (recorder_)
    recorder_->add_removal(path, bits);
}

std::vector<std::string> image_analyzer::lower_link_targets(
  const std::vector<std::pair<std::string, uint8_t>>& removals, size_t layer) const {
  std::vector<std::string> out;
  for (const auto& [path, bits] : removals)
    if (auto it = link_targets_.find(path); it != link_targets_.end() && it->second < layer)
      out.push_back(path);
  return out;
}

expected<layer_delta> image_analyzer::make_delta(size_t layer, uint64_t unsafe_entries) {
  if (!recorder_->refused().empty())
    return make_error("layer " + layers_[layer] + " is not cacheable: " + recorder_->refused());
  layer_delta d;
  d.layer = layers_[layer];
  d.unsafe_entries = unsafe_entries;
  recorder_->move_to(d);
  for (const auto& [path, link] : fs_.symlinks())
    if (link.layer == layer)
      d.symlinks.emplace_back(path, link.target);
  for (const auto& [path, file] : fs_.files())
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
  d.lower_link_targets = lower_link_targets(d.removals, layer);
  for (const auto& held : secrets_)
    if (held.layer == layer)
      d.secrets.push_back(held.found); // deleted only by this layer, if at all
  for (const auto& held : malware_)
    if (held.layer == layer)
      d.malware.push_back(held.found);
  return d;
}

expected<layer_delta> image_analyzer::take_delta() {
  auto out = std::move(delta_);
  delta_ = make_error("the delta was taken already");
  return out;
}

bool image_analyzer::replay_layer(std::string digest, const layer_delta& delta) {
  end_unended_layer("the next layer began");
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
      || fs_.symlinks().size() + delta.symlinks.size() > limits_.max_symlinks
      || records_.size() + delta.records.size() > limits_.max_records
      || held_packages_ + packages > limits_.max_packages
      || secrets_.size() + delta.secrets.size() > limits_.max_secrets
      || malware_.size() + delta.malware.size() > limits_.max_malware
      || lower_link_targets(delta.removals, layers_.size()) != delta.lower_link_targets)
    return false;
  for (const auto& r : delta.records)
    for (const auto& part : r.parts)
      if (part.cataloger >= catalogers_.size())
        return false; // from other catalogers: the cache key should have told
  layers_.push_back(std::move(digest));
  auto layer = layers_.size() - 1;
  for (const auto& [path, bits] : delta.removals)
    remove(path, bits, false);
  for (const auto& [path, target] : delta.symlinks)
    fs_.add_symlink(path, target, layer);
  for (const auto& [path, content] : delta.files)
    fs_.add_file(path, std::make_shared<const std::string>(content), layer);
  os_dirty_ = true;
  for (const auto& r : delta.records) {
    record rec;
    rec.layer = layer;
    rec.os = os_index(r.os);
    auto parts = r.parts;
    // The catalogers that would parse it here (those that found something, at least).
    std::vector<size_t> parsers;
    for (size_t i = 0; i < catalogers_.size(); ++i)
      if (catalogers_[i]->wants(r.path)
          || std::any_of(parts.begin(), parts.end(),
                         [&](const cataloger_output& p) { return p.cataloger == i; }))
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
  for (auto f : delta.secrets) {
    f.layer = layers_[layer];
    if (f.deleted)
      f.deleted_by = layers_[layer];
    hold_secret(layer, std::move(f));
  }
  for (auto f : delta.malware) {
    f.layer = layers_[layer];
    if (f.deleted)
      f.deleted_by = layers_[layer];
    hold_malware(layer, std::move(f));
  }
  note_unsafe_entries(layer, delta.unsafe_entries);
  return true;
}

std::string image_analyzer::cache_version() const {
  auto out = "analyzer=" + std::to_string(analyzer_version);
  for (const auto& c : catalogers_)
    out += ";" + std::string(c->name()) + "=" + std::to_string(c->version());
  out += ";limits=" + std::to_string(limits_.max_layer_bytes) + "/"
         + std::to_string(limits_.max_entries) + "/" + std::to_string(limits_.max_file_size) + "/"
         + std::to_string(limits_.max_executable_size);
  if (secret_scanner_)
    out += ";secrets=" + secret_scanner_->version() + "/" + std::to_string(limits_.max_secrets);
  if (malware_scanner_)
    out += ";malware=" + malware_scanner_->version() + "/" + std::to_string(limits_.max_malware);
  return out;
}

} // namespace regscan
