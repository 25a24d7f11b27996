#include "storage/layer_codec.hpp"

#include <zstd.h>

#include <cstdint>

namespace regscan::codec {

namespace {

// 2: packages carry their module stream; 3: and the layer's secrets; 4: and its malware;
// 5: packages carry their kind and source URL; 6: malware findings name the archive member.
// Another format is a cache miss: the layer is analyzed again.
constexpr uint8_t format_version = 6;
// A delta is a few MiB at most (the path cap is 32 MiB): refuse to inflate
// more than this from a damaged value.
constexpr uint64_t max_decoded_size = 256ull << 20;

class writer {
 public:
  void number(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void text(std::string_view s) {
    number(s.size());
    out_.append(s);
  }
  void os(const os_info& o) {
    text(o.id);
    text(o.version_id);
    text(o.version_codename);
    text(o.pretty_name);
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == in_.size(); }

  uint64_t number() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size())
        break;
      auto byte = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        return v;
    }
    ok_ = false;
    return 0;
  }
  // A count of items that each take at least one byte: never more than what is left.
  size_t count() {
    auto n = number();
    if (n > in_.size() - pos_) {
      ok_ = false;
      return 0;
    }
    return static_cast<size_t>(n);
  }
  std::string text() {
    auto n = number();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(pos_, static_cast<size_t>(n)));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  os_info os() {
    os_info o;
    o.id = text();
    o.version_id = text();
    o.version_codename = text();
    o.pretty_name = text();
    return o;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void write_part(writer& w, const cataloger_output& p) {
  w.number(p.cataloger);
  w.number(p.complete ? 1 : 0);
  w.number(p.packages.size());
  for (const auto& pkg : p.packages)
    for (const auto* field : {&pkg.ecosystem, &pkg.name, &pkg.version, &pkg.source_name,
                              &pkg.source_version, &pkg.file, &pkg.layer, &pkg.owner,
                              &pkg.module, &pkg.kind, &pkg.source_url})
      w.text(*field);
  w.number(p.owned.size());
  for (const auto& f : p.owned) {
    w.text(f.path);
    w.text(f.package);
  }
  w.number(p.notes.size());
  for (const auto& n : p.notes)
    w.text(n);
}

cataloger_output read_part(reader& r) {
  cataloger_output p;
  p.cataloger = static_cast<size_t>(r.number());
  p.complete = r.number() != 0;
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    auto& pkg = p.packages.emplace_back();
    for (auto* field : {&pkg.ecosystem, &pkg.name, &pkg.version, &pkg.source_name,
                        &pkg.source_version, &pkg.file, &pkg.layer, &pkg.owner, &pkg.module,
                        &pkg.kind, &pkg.source_url})
      *field = r.text();
  }
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    auto path = r.text();
    p.owned.push_back(owned_file{std::move(path), r.text()});
  }
  for (auto n = r.count(); n > 0 && r.ok(); --n)
    p.notes.push_back(r.text());
  return p;
}

void write_secret(writer& w, const secret_finding& f) {
  for (const auto* field : {&f.rule_id, &f.rule_name, &f.category, &f.severity, &f.location,
                            &f.masked, &f.fingerprint, &f.layer, &f.deleted_by})
    w.text(*field);
  w.number(static_cast<uint64_t>(f.line));
  w.number(f.deleted ? 1 : 0);
}

secret_finding read_secret(reader& r) {
  secret_finding f;
  for (auto* field : {&f.rule_id, &f.rule_name, &f.category, &f.severity, &f.location,
                      &f.masked, &f.fingerprint, &f.layer, &f.deleted_by})
    *field = r.text();
  f.line = static_cast<int>(r.number());
  f.deleted = r.number() != 0;
  return f;
}

void write_malware(writer& w, const malware_finding& f) {
  for (const auto* field : {&f.path, &f.member, &f.sha256, &f.signature, &f.source, &f.type,
                            &f.severity, &f.layer, &f.deleted_by, &f.advice})
    w.text(*field);
  w.number(f.size);
  w.number(f.deleted ? 1 : 0);
}

malware_finding read_malware(reader& r) {
  malware_finding f;
  for (auto* field : {&f.path, &f.member, &f.sha256, &f.signature, &f.source, &f.type,
                      &f.severity, &f.layer, &f.deleted_by, &f.advice})
    *field = r.text();
  f.size = r.number();
  f.deleted = r.number() != 0;
  return f;
}

void write_strings(writer& w, const std::vector<std::string>& list) {
  w.number(list.size());
  for (const auto& s : list)
    w.text(s);
}

std::vector<std::string> read_strings(reader& r) {
  std::vector<std::string> out;
  for (auto n = r.count(); n > 0 && r.ok(); --n)
    out.push_back(r.text());
  return out;
}

} // namespace

std::string encode(const layer_delta& d) {
  writer w;
  w.number(format_version);
  w.text(d.layer);
  w.number(d.unsafe_entries);
  w.number(d.removals.size());
  for (const auto& [path, bits] : d.removals) {
    w.text(path);
    w.number(bits);
  }
  w.number(d.symlinks.size());
  for (const auto& [path, target] : d.symlinks) {
    w.text(path);
    w.text(target);
  }
  w.number(d.files.size());
  for (const auto& [path, content] : d.files) {
    w.text(path);
    w.text(content);
  }
  w.number(d.records.size());
  for (const auto& rec : d.records) {
    w.text(rec.path);
    w.os(rec.os);
    w.number(rec.parts.size());
    for (const auto& p : rec.parts)
      write_part(w, p);
  }
  write_strings(w, d.link_targets);
  write_strings(w, d.lower_link_targets);
  w.number(d.secrets.size());
  for (const auto& f : d.secrets)
    write_secret(w, f);
  w.number(d.malware.size());
  for (const auto& f : d.malware)
    write_malware(w, f);

  const auto& raw = w.bytes();
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  auto n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  // Compressing into a buffer of ZSTD_compressBound bytes cannot fail.
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

expected<layer_delta> decode_layer_delta(std::string_view bytes) {
  auto size = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_decoded_size)
    return make_error("layer cache entry: not a zstd frame of a known size");
  std::string raw(static_cast<size_t>(size), '\0');
  auto got = ZSTD_decompress(raw.data(), raw.size(), bytes.data(), bytes.size());
  if (ZSTD_isError(got) || got != raw.size())
    return make_error("layer cache entry: corrupt zstd frame");

  reader r(raw);
  if (r.number() != format_version)
    return make_error("layer cache entry: unknown format");
  layer_delta d;
  d.layer = r.text();
  d.unsafe_entries = r.number();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    auto path = r.text();
    d.removals.emplace_back(std::move(path), static_cast<uint8_t>(r.number()));
  }
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    auto path = r.text();
    d.symlinks.emplace_back(std::move(path), r.text());
  }
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    auto path = r.text();
    d.files.emplace_back(std::move(path), r.text());
  }
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    auto& rec = d.records.emplace_back();
    rec.path = r.text();
    rec.os = r.os();
    for (auto parts = r.count(); parts > 0 && r.ok(); --parts)
      rec.parts.push_back(read_part(r));
  }
  d.link_targets = read_strings(r);
  d.lower_link_targets = read_strings(r);
  for (auto n = r.count(); n > 0 && r.ok(); --n)
    d.secrets.push_back(read_secret(r));
  for (auto n = r.count(); n > 0 && r.ok(); --n)
    d.malware.push_back(read_malware(r));
  if (!r.done())
    return make_error("layer cache entry: truncated or with trailing bytes");
  return d;
}

} // namespace regscan::codec
