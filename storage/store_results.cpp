// The store's scan results: inventory, findings and the package index.
#include "storage/store.hpp"

#include <map>
#include <optional>
#include <unordered_map>

#include <rocksdb/write_batch.h>

#include "scanners/match/osv_record.hpp"
#include "scanners/match/vuln_matcher.hpp"
#include "storage/record_codec.hpp"
#include "storage/rocksdb_util.hpp"
#include "storage/schema.hpp"
#include "storage/vuln_db.hpp"

namespace regscan {

namespace {

using detail::db_error;
using detail::slice;
using detail::view;
using detail::durability;
using detail::write_options;
using schema::cf;
using schema::index;

// (family, lookup name) -> the inventory's packages filed under it.
using index_entries = std::map<std::pair<std::string, std::string>, std::vector<const package*>>;

index_entries index_entries_of(const inventory& inv) {
  index_entries out;
  for (auto& p : inv.packages) {
    auto family = schema::ecosystem_family(p.ecosystem);
    if (!schema::valid_key_part(family))
      continue;
    for (auto& name : lookup_names(p))
      if (schema::valid_key_part(name))
        out[{std::string{family}, name}].push_back(&p);
  }
  return out;
}

findings_record findings_of(const scan_result& r, uint64_t result_seq) {
  return {r.image_key, r.findings, r.scanned_at, r.matched_at, result_seq};
}

} // namespace

void store::forget_result(rocksdb::WriteBatch& batch, const std::string& image_key) {
  std::string value;
  if (db_->Get(rocksdb::ReadOptions{}, cf(index(cf::results)), image_key, &value).ok())
    // A result that no longer decodes leaves its index entries behind; they
    // lead to no findings and are skipped.
    if (auto old = codec::decode_result(value))
      for (auto& [key, pkgs] : index_entries_of(old->inv))
        batch.Delete(cf(index(cf::package_index)),
                     schema::package_index_key(key.first, key.second, image_key));
  batch.Delete(cf(index(cf::results)), image_key);
  batch.Delete(cf(index(cf::findings)), image_key);
}

expected<void> store::put_result(const scan_result& r, const image_record& updated_image) {
  std::unique_lock lock{image_mu_};
  auto written = write_result(r, updated_image);
  lock.unlock();
  return after_result_written(written);
}

expected<void> store::put_result(const scan_result& r,
                                 const std::function<void(image_record&)>& change_image) {
  std::unique_lock lock{image_mu_};
  auto img = get_image(r.image_key);
  if (!img)
    return img.err();
  change_image(*img);
  auto written = write_result(r, *img);
  lock.unlock();
  return after_result_written(written);
}

expected<void> store::after_result_written(const expected<bool>& written) {
  if (!written)
    return written.err();
  if (*written) {
    std::function<void()> listener;
    {
      std::lock_guard lock{listener_mu_};
      listener = pending_listener_;
    }
    if (listener)
      listener();
  }
  return {};
}

expected<bool> store::write_result(const scan_result& r, const image_record& updated_image) {
  if (r.image_key.empty() || r.image_key != updated_image.key)
    return make_error(errc::invalid, "scan result for '" + r.image_key
                                       + "' does not match image '" + updated_image.key + "'");
  auto seq = result_seq_ + 1;
  std::optional<image_record> before;
  if (image_observer_)
    if (auto cur = get_image(updated_image.key))
      before = std::move(*cur);
  rocksdb::WriteBatch batch;
  forget_result(batch, r.image_key); // a rescan may have other packages
  for (auto& [key, pkgs] : index_entries_of(r.inv))
    batch.Put(cf(index(cf::package_index)),
              schema::package_index_key(key.first, key.second, r.image_key),
              codec::encode_packages(pkgs));
  batch.Put(cf(index(cf::results)), r.image_key, codec::encode(r));
  batch.Put(cf(index(cf::findings)), r.image_key, codec::encode(findings_of(r, seq)));
  batch.Put(cf(index(cf::images)), updated_image.key, codec::encode(updated_image));
  batch.Put(cf(index(cf::meta)), slice(schema::meta_result_seq), schema::encode_u64(seq));
  // Checked and written under the lock that imports write under: an import
  // either comes before the check (and is seen) or after the write (and its
  // re-match finds this result).
  std::lock_guard lock{pending_mu_};
  bool stale = r.db_generation && *r.db_generation < db_generation_;
  if (stale)
    batch.Put(cf(index(cf::rematch_pending)), schema::pending_image_key(r.image_key),
              schema::encode_u64(seq));
  // Crash only: kill -9 loses no result; one lost to a power cut leaves the
  // image with its previous result, and the next scan writes it again.
  auto s = commit(durability::crash, &batch);
  if (!s.ok())
    return db_error("cannot store scan result for " + r.image_key, s);
  result_seq_ = seq;
  image_changed(before ? &*before : nullptr, &updated_image);
  return stale;
}

expected<findings_record> store::get_findings(const std::string& image_key) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::findings)), image_key, &value);
  if (s.IsNotFound())
    return make_error(errc::not_found, "no scan result for image " + image_key);
  if (!s.ok())
    return db_error("cannot read findings of " + image_key, s);
  return codec::decode_findings(value);
}

expected<scan_result> store::get_result(const std::string& image_key) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::results)), image_key, &value);
  if (s.IsNotFound())
    return make_error(errc::not_found, "no scan result for image " + image_key);
  if (!s.ok())
    return db_error("cannot read scan result for " + image_key, s);
  auto r = codec::decode_result(value);
  if (!r)
    return r.err();
  auto f = get_findings(image_key);
  if (!f)
    return f.err();
  r->findings = std::move(f->findings);
  r->matched_at = f->matched_at;
  // The advisory text, once per record. A record removed since the last
  // match leaves its finding without text until the re-match drops it.
  std::unordered_map<std::string, std::optional<osv_record>> records;
  for (auto& finding : r->findings) {
    auto [it, fresh] = records.try_emplace(finding.id);
    if (fresh && db_->Get(rocksdb::ReadOptions{}, cf(index(cf::vulns)), finding.id, &value).ok())
      if (auto rec = parse_osv_record(value))
        it->second = std::move(*rec);
    if (it->second)
      set_advisory_text(finding, *it->second);
  }
  return r;
}

expected<std::vector<std::string>> store::put_rematched(
  const std::vector<findings_record>& records) {
  std::lock_guard lock{image_mu_};
  rocksdb::WriteBatch batch;
  std::vector<std::string> written;
  std::vector<std::pair<image_record, image_record>> changed; // for the image observer
  for (auto& f : records) {
    auto img = get_image(f.image_key);
    if (!img || img->last_scan != f.scanned_at)
      continue;
    // The result read may have been replaced within the same second.
    std::string value;
    if (!db_->Get(rocksdb::ReadOptions{}, cf(index(cf::findings)), f.image_key, &value).ok())
      continue;
    auto current = codec::decode_findings(value);
    if (!current || current->result_seq != f.result_seq)
      continue;
    std::optional<image_record> before;
    if (image_observer_)
      before = *img;
    count_findings(*img, f.findings);
    batch.Put(cf(index(cf::findings)), f.image_key, codec::encode(f));
    batch.Put(cf(index(cf::images)), f.image_key, codec::encode(*img));
    written.push_back(f.image_key);
    if (before)
      changed.emplace_back(std::move(*before), std::move(*img));
  }
  // Crash only: a re-match lost to a power cut is done again from the
  // backlog, which the same recovery point still holds.
  auto s = commit(durability::crash, &batch);
  if (!s.ok())
    return db_error("cannot store re-matched findings", s);
  for (auto& [before, after] : changed)
    image_changed(&before, &after);
  return written;
}

expected<void> store::for_each_result(
  const std::function<bool(std::string_view key, std::string_view value)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it{
    db_->NewIterator(rocksdb::ReadOptions{}, cf(index(cf::results)))};
  for (it->SeekToFirst(); it->Valid(); it->Next())
    if (!fn(view(it->key()), view(it->value())))
      return {};
  if (!it->status().ok())
    return db_error("cannot read scan results", it->status());
  return {};
}

expected<void> store::for_each_indexed(
  std::string_view family, std::string_view name,
  const std::function<bool(std::string_view image_key, std::vector<package> packages)>& fn) {
  auto prefix = schema::package_index_prefix(family, name);
  std::unique_ptr<rocksdb::Iterator> it{
    db_->NewIterator(rocksdb::ReadOptions{}, cf(index(cf::package_index)))};
  for (it->Seek(slice(prefix)); it->Valid() && detail::starts_with(it->key(), prefix); it->Next()) {
    auto key = view(it->key());
    auto pkgs = codec::decode_packages(view(it->value()));
    if (!pkgs)
      return make_error("package index entry for " + std::string{schema::third_key_part(key)}
                        + ": " + pkgs.err().message);
    if (!fn(schema::third_key_part(key), std::move(*pkgs)))
      return {};
  }
  if (!it->status().ok())
    return db_error("cannot read the package index", it->status());
  return {};
}

expected<void> store::migrate_results() {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::meta)),
                    slice(schema::meta_results_layout), &value);
  if (s.ok() && schema::decode_u64(value) == schema::results_layout)
    return {};
  if (!s.ok() && !s.IsNotFound())
    return db_error("cannot read the results layout", s);
  // Layout 1: findings inside the result. Split each one; the advisory
  // text is dropped, as it is read from the advisory now.
  // The iterator reads a snapshot: rewriting what it has passed is safe.
  expected<void> written;
  auto walked = for_each_result([&](std::string_view key, std::string_view v) {
    auto r = codec::decode_result(v);
    auto img = get_image(std::string{key});
    if (r && img) {
      auto w = write_result(*r, *img);
      written = w ? expected<void>{} : expected<void>{w.err()};
    }
    return bool(written);
  });
  if (!walked)
    return walked.err();
  if (!written)
    return written.err();
  // Synced: the marker, and with it every rewritten result before it in the
  // WAL, must outlast a power cut, or the next start would migrate again.
  s = put(durability::power_cut, cf(index(cf::meta)), slice(schema::meta_results_layout),
          schema::encode_u64(schema::results_layout));
  if (!s.ok())
    return db_error("cannot store the results layout", s);
  return {};
}

} // namespace regscan
