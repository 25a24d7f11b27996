#include "storage/store.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include "scanners/match/osv_record.hpp"
#include "storage/record_codec.hpp"
#include "storage/rocksdb_util.hpp"
#include "storage/schema.hpp"

#include <spdlog/spdlog.h>

namespace regscan {

namespace {

using schema::cf;
using schema::index;
using detail::db_error;
using detail::slice;
using detail::starts_with;
using detail::durability;
using detail::write_options;

// RocksDB's own log goes to ours, not to LOG files in the data folder: on a
// full disk those fail too, and Debian's librocksdb, built with assertions,
// aborts when it writes another line to a log file that failed.
class rocksdb_log : public rocksdb::Logger {
 public:
  rocksdb_log() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel())
      return;
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    spdlog::log(level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? spdlog::level::err : spdlog::level::warn,
                "rocksdb: {}", line);
  }
};

} // namespace

// ---- open / close -----------------------------------------------------------

expected<std::unique_ptr<store>> store::open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error("cannot create database directory " + dir + ": " + ec.message());

  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.info_log = std::make_shared<rocksdb_log>();

  // Open every column family already on disk, including ones a newer regscan
  // may have added: RocksDB refuses to open a database without all of them.
  std::vector<std::string> names;
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(options, dir, &existing).ok())
    names = existing;
  auto want = [&](std::string_view n) {
    if (std::find(names.begin(), names.end(), n) == names.end())
      names.emplace_back(n);
  };
  want(rocksdb::kDefaultColumnFamilyName);
  for (auto n : schema::column_families)
    want(n);

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (auto& n : names)
    descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions{options});

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(rocksdb::DBOptions{options}, dir, descriptors, &handles, &db);
  if (!s.ok()) {
    auto text = s.ToString();
    if (s.IsIOError() && (text.find("lock") != std::string::npos
                          || text.find("LOCK") != std::string::npos))
      return make_error("database " + dir + " is in use by another process");
    return db_error("cannot open database " + dir, s);
  }

  std::unique_ptr<store> st{new store};
  st->dir_ = dir;
  st->db_ = db;
  st->handles_.assign(schema::column_families.size(), nullptr);
  std::vector<rocksdb::ColumnFamilyHandle*> extra;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto it = std::find(schema::column_families.begin(), schema::column_families.end(), names[i]);
    if (it != schema::column_families.end())
      st->handles_[static_cast<std::size_t>(it - schema::column_families.begin())] = handles[i];
    else if (names[i] == rocksdb::kDefaultColumnFamilyName)
      st->default_cf_ = handles[i];
    else
      extra.push_back(handles[i]);
  }
  // Column families we do not know are left alone, and their handles closed.
  for (auto* h : extra)
    db->DestroyColumnFamilyHandle(h);
  for (auto [key, value] : {std::pair{schema::meta_db_generation, &st->db_generation_},
                             std::pair{schema::meta_result_seq, &st->result_seq_}}) {
    std::string stored;
    auto got = db->Get(rocksdb::ReadOptions{}, st->cf(index(cf::meta)), slice(key), &stored);
    if (got.ok() && schema::decode_u64(stored))
      *value = *schema::decode_u64(stored);
    else if (got.ok())
      return make_error(errc::corrupt, "corrupt " + std::string{key} + " in database " + dir);
    else if (!got.IsNotFound())
      return db_error("cannot read " + std::string{key}, got);
  }
  if (auto ok = st->migrate_results(); !ok)
    return ok.err();
  return st;
}

store::~store() {
  if (!db_)
    return;
  for (auto* h : handles_)
    if (h)
      db_->DestroyColumnFamilyHandle(h);
  if (default_cf_)
    db_->DestroyColumnFamilyHandle(default_cf_);
  db_->Close();
  delete db_;
}

expected<void> store::compact() {
  for (auto* h : handles_)
    if (auto s = db_->CompactRange(rocksdb::CompactRangeOptions{}, h, nullptr, nullptr); !s.ok())
      return db_error("cannot compact the database", s);
  return {};
}

// ---- registries -------------------------------------------------------------

expected<void> store::put_registry(const registry_record& r) {
  if (!schema::valid_key_part(r.name))
    return make_error("a registry needs a name");
  // A registry and its sealed credentials are the user's: nothing rebuilds them.
  auto s = put(durability::power_cut, cf(index(cf::registries)), r.name, codec::encode(r));
  if (!s.ok())
    return db_error("cannot store registry " + r.name, s);
  return {};
}

expected<registry_record> store::get_registry(const std::string& name) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::registries)), name, &value);
  if (s.IsNotFound())
    return make_error(errc::not_found, "no registry named " + name);
  if (!s.ok())
    return db_error("cannot read registry " + name, s);
  return codec::decode_registry(value);
}

namespace {

// Decodes every value of a column family, in key order.
template <class T, class Decode>
expected<std::vector<T>> read_all(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* h,
                                  std::string_view what, Decode decode) {
  std::vector<T> out;
  std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(rocksdb::ReadOptions{}, h)};
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto v = decode(std::string_view{it->value().data(), it->value().size()});
    if (!v)
      return make_error(std::string{what} + " " + it->key().ToString() + ": " + v.err().message);
    out.push_back(std::move(*v));
  }
  if (!it->status().ok())
    return db_error(std::string{"cannot list "} + std::string{what} + "s", it->status());
  return out;
}

} // namespace

expected<std::vector<registry_record>> store::list_registries() {
  return read_all<registry_record>(db_, cf(index(cf::registries)), "registry",
                                   codec::decode_registry);
}

expected<void> store::delete_registry(const std::string& name) {
  std::lock_guard lock{cascade_mu_};
  std::lock_guard image_lock{image_mu_}; // no result write between the scan and the delete
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::registries)), name, &value);
  if (s.IsNotFound())
    return make_error(errc::not_found, "no registry named " + name);
  if (!s.ok())
    return db_error("cannot read registry " + name, s);

  rocksdb::WriteBatch batch;
  std::vector<image_record> deleted; // for the image observer
  batch.Delete(cf(index(cf::registries)), name);
  batch.Delete(cf(index(cf::meta)), schema::budget_key(name));
  // The key of an image starts with its registry, but the record's own field
  // is what says whose it is: scan them all (deleting a registry is rare).
  std::unique_ptr<rocksdb::Iterator> it{
    db_->NewIterator(rocksdb::ReadOptions{}, cf(index(cf::images)))};
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto img = codec::decode_image(std::string_view{it->value().data(), it->value().size()});
    if (!img)
      return make_error("image " + it->key().ToString() + ": " + img.err().message);
    if (img->registry != name)
      continue;
    batch.Delete(cf(index(cf::images)), it->key());
    forget_result(batch, it->key().ToString());
    if (image_observer_)
      deleted.push_back(std::move(*img));
  }
  if (!it->status().ok())
    return db_error("cannot list images of registry " + name, it->status());
  // A deleted registry must not come back with its credentials after a power cut.
  s = commit(durability::power_cut, &batch);
  if (!s.ok())
    return db_error("cannot delete registry " + name, s);
  for (auto& img : deleted)
    image_changed(&img, nullptr);
  return {};
}

// ---- images -----------------------------------------------------------------

expected<void> store::put_image(const image_record& r) {
  std::lock_guard lock{image_mu_};
  std::optional<image_record> before;
  if (image_observer_)
    if (auto cur = get_image(r.key))
      before = std::move(*cur);
  return put_image_locked(r, before ? &*before : nullptr);
}

expected<void> store::put_image_locked(const image_record& r, const image_record* before) {
  if (r.key.empty())
    return make_error("an image record needs a key");
  // The next sync rebuilds an image record; an authorization, the one field
  // a user sets, is made durable by its caller with sync_wal().
  auto s = put(durability::crash, cf(index(cf::images)), r.key, codec::encode(r));
  if (!s.ok())
    return db_error("cannot store image " + r.key, s);
  image_changed(before, &r);
  return {};
}

expected<image_record> store::get_image(const std::string& key) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::images)), key, &value);
  if (s.IsNotFound())
    return make_error(errc::not_found, "no image " + key);
  if (!s.ok())
    return db_error("cannot read image " + key, s);
  return codec::decode_image(value);
}

expected<void> store::update_image(
  const std::string& key, const std::function<bool(image_record&, bool exists)>& change) {
  std::lock_guard lock{image_mu_};
  image_record img;
  img.key = key;
  bool exists = false;
  if (auto cur = get_image(key)) {
    img = std::move(*cur);
    exists = true;
  } else if (cur.err().code != errc::not_found) {
    return cur.err();
  }
  std::optional<image_record> before;
  if (exists && image_observer_)
    before = img;
  if (!change(img, exists))
    return {};
  img.key = key;
  return put_image_locked(img, before ? &*before : nullptr);
}

expected<std::vector<image_record>> store::list_images() {
  return read_all<image_record>(db_, cf(index(cf::images)), "image", codec::decode_image);
}

expected<void> store::delete_image(const std::string& key) {
  // A scan that read the image before the delete must not write it back after.
  std::lock_guard lock{image_mu_};
  std::optional<image_record> before;
  if (image_observer_)
    if (auto cur = get_image(key))
      before = std::move(*cur);
  rocksdb::WriteBatch batch;
  batch.Delete(cf(index(cf::images)), key);
  forget_result(batch, key);
  auto s = commit(durability::crash, &batch); // a sync removes it again
  if (!s.ok())
    return db_error("cannot delete image " + key, s);
  if (before)
    image_changed(&*before, nullptr);
  return {};
}

// ---- tasks ------------------------------------------------------------------

expected<uint64_t> store::next_task_id() {
  std::lock_guard lock{seq_mu_};
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::meta)), slice(schema::meta_task_seq),
                    &value);
  uint64_t last = 0;
  if (s.ok()) {
    auto v = schema::decode_u64(value);
    if (!v)
      return make_error("corrupt task sequence in database " + dir_);
    last = *v;
  } else if (!s.IsNotFound()) {
    return db_error("cannot read task sequence", s);
  }
  auto next = last + 1;
  // Crash only: a power cut loses the tasks that took the lost numbers too
  // (the WAL recovers a prefix), so no stored record names a reused id.
  s = put(durability::crash, cf(index(cf::meta)), slice(schema::meta_task_seq), schema::encode_u64(next));
  if (!s.ok())
    return db_error("cannot store task sequence", s);
  return next;
}

expected<void> store::put_task(const task_record& t) {
  // Crash only: kill -9 loses no task; a scan request lost to a power cut
  // is asked again by the schedule or the user, and an fsync per task would
  // slow `scan --all` down.
  auto s = put(durability::crash, cf(index(cf::tasks)), schema::task_key(t.id), codec::encode(t));
  if (!s.ok())
    return db_error("cannot store task " + std::to_string(t.id), s);
  return {};
}

expected<task_record> store::get_task(uint64_t id) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::tasks)), schema::task_key(id), &value);
  if (s.IsNotFound())
    return make_error(errc::not_found, "no task " + std::to_string(id));
  if (!s.ok())
    return db_error("cannot read task " + std::to_string(id), s);
  return codec::decode_task(value);
}

expected<std::vector<task_record>> store::list_tasks() {
  return read_all<task_record>(db_, cf(index(cf::tasks)), "task", codec::decode_task);
}

expected<void> store::delete_task(uint64_t id) {
  auto s = remove(durability::crash, cf(index(cf::tasks)), schema::task_key(id));
  if (!s.ok())
    return db_error("cannot delete task " + std::to_string(id), s);
  return {};
}

// ---- pull budgets -----------------------------------------------------------

expected<std::vector<int64_t>> store::get_pulls(const std::string& registry) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::meta)), schema::budget_key(registry),
                    &value);
  std::vector<int64_t> out;
  if (s.IsNotFound())
    return out;
  if (!s.ok())
    return db_error("cannot read the pull budget of " + registry, s);
  if (value.size() % 8 != 0)
    return make_error(errc::corrupt, "corrupt pull budget of " + registry);
  for (size_t at = 0; at < value.size(); at += 8)
    out.push_back(static_cast<int64_t>(*schema::decode_u64(std::string_view{value}.substr(at, 8))));
  return out;
}

expected<void> store::put_pulls(const std::string& registry, const std::vector<int64_t>& pulls) {
  std::string value;
  for (auto t : pulls)
    value += schema::encode_u64(static_cast<uint64_t>(t));
  // Crash only: after a power cut the budget may forget a few pulls of the
  // last seconds, once; an fsync per pull is not worth that.
  auto s = put(durability::crash, cf(index(cf::meta)), schema::budget_key(registry), value);
  if (!s.ok())
    return db_error("cannot store the pull budget of " + registry, s);
  return {};
}

// ---- secret rules -----------------------------------------------------------

expected<std::string> store::get_secret_rules() {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::meta)), schema::meta_secret_rules, &value);
  if (s.IsNotFound())
    return std::string{};
  if (!s.ok())
    return db_error("cannot read the secret rules", s);
  return value;
}

expected<void> store::put_secret_rules(std::string_view toml) {
  auto s = put(durability::power_cut, cf(index(cf::meta)), schema::meta_secret_rules, toml);
  if (!s.ok())
    return db_error("cannot store the secret rules", s);
  return {};
}

expected<std::string> store::get_image_columns() {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::meta)), schema::meta_image_columns, &value);
  if (s.IsNotFound())
    return std::string{};
  if (!s.ok())
    return db_error("cannot read the image list's columns", s);
  return value;
}

expected<void> store::put_image_columns(std::string_view columns) {
  auto s = put(durability::power_cut, cf(index(cf::meta)), schema::meta_image_columns, columns);
  if (!s.ok())
    return db_error("cannot store the image list's columns", s);
  return {};
}

rocksdb::Status store::commit(durability d, rocksdb::WriteBatch* batch) {
  auto s = db_->Write(write_options(d), batch);
  if (s.ok() || !s.IsIOError())
    return s;
  // After a failed write RocksDB refuses every other until it is resumed.
  // For a full disk its own recovery thread does that once the free space
  // exceeds a write buffer (it looks every few seconds; Resume() says busy
  // meanwhile); for other errors, Resume() here does.
  if (db_->Resume().ok())
    s = db_->Write(write_options(d), batch);
  return s;
}

rocksdb::Status store::put(durability d, rocksdb::ColumnFamilyHandle* family, const rocksdb::Slice& key,
                           const rocksdb::Slice& value) {
  rocksdb::WriteBatch batch;
  batch.Put(family, key, value);
  return commit(d, &batch);
}

rocksdb::Status store::remove(durability d, rocksdb::ColumnFamilyHandle* family, const rocksdb::Slice& key) {
  rocksdb::WriteBatch batch;
  batch.Delete(family, key);
  return commit(d, &batch);
}

expected<void> store::sync_wal() {
  auto s = db_->SyncWAL();
  if (!s.ok())
    return db_error("cannot sync the write-ahead log", s);
  return {};
}

// ---- layer cache ------------------------------------------------------------

expected<std::optional<std::string>> store::get_layer(const std::string& diff_id,
                                                      const std::string& analyzer_version) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::layers)),
                    schema::layer_key(diff_id, analyzer_version), &value);
  if (s.IsNotFound())
    return std::optional<std::string>{};
  if (!s.ok())
    return db_error("cannot read cached layer " + diff_id, s);
  return std::optional<std::string>{std::move(value)};
}

expected<void> store::put_layer(const std::string& diff_id, const std::string& analyzer_version,
                                std::string_view encoded) {
  if (!schema::valid_key_part(diff_id))
    return make_error("a cached layer needs a diffID");
  auto key = schema::layer_key(diff_id, analyzer_version);
  auto prefix = schema::layer_prefix(diff_id);
  rocksdb::WriteBatch batch;
  // Entries of other analyzer versions will never be read again.
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{}, cf(index(cf::layers)))};
  for (it->Seek(prefix); it->Valid() && starts_with(it->key(), prefix); it->Next())
    if (it->key() != rocksdb::Slice(key))
      batch.Delete(cf(index(cf::layers)), it->key());
  if (!it->status().ok())
    return db_error("cannot read cached layer " + diff_id, it->status());
  batch.Put(cf(index(cf::layers)), key, slice(encoded));
  // A cache: a lost entry is analyzed again.
  auto s = commit(durability::crash, &batch);
  if (!s.ok())
    return db_error("cannot store cached layer " + diff_id, s);
  return {};
}

// ---- malware verdict cache --------------------------------------------------

expected<std::optional<malware_verdict>> store::get_malware_verdict(std::string_view version,
                                                                    std::string_view sha256) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::malware_verdicts)),
                    schema::malware_verdict_key(version, sha256), &value);
  if (s.IsNotFound())
    return std::optional<malware_verdict>{};
  if (!s.ok())
    return db_error("cannot read the malware verdict of " + std::string{sha256}, s);
  auto v = codec::decode_malware_verdict(value);
  if (!v)
    return v.err();
  return std::optional<malware_verdict>{std::move(*v)};
}

expected<void> store::put_malware_verdict(std::string_view version, std::string_view sha256,
                                          const malware_verdict& v) {
  if (!schema::valid_key_part(version) || !schema::valid_key_part(sha256))
    return make_error("a malware verdict needs a signature set version and a sha256");
  // Not even a crash needs it: a lost verdict is computed again, and a
  // clean close flushes it. So no WAL write, and no "disk is full" for it.
  auto wo = write_options(durability::crash);
  wo.disableWAL = true;
  auto s = db_->Put(wo, cf(index(cf::malware_verdicts)), schema::malware_verdict_key(version, sha256),
                    codec::encode(v));
  if (!s.ok())
    return db_error("cannot store the malware verdict of " + std::string{sha256}, s);
  return {};
}

expected<void> store::keep_malware_verdicts_of(std::string_view version) {
  auto* h = cf(index(cf::malware_verdicts));
  auto prefix = schema::malware_verdict_prefix(version);
  auto after = prefix;
  after.back() = '\1';
  // Versions are hex digits: "\xff" sorts after every key.
  for (auto [from, to] : {std::pair<std::string, std::string>{"", prefix},
                          std::pair<std::string, std::string>{after, "\xff"}})
    if (auto s = db_->DeleteRange(write_options(durability::crash), h, from, to); !s.ok())
      return db_error("cannot drop old malware verdicts", s);
  return {};
}

expected<void> store::clear_malware_verdicts() {
  auto* h = cf(index(cf::malware_verdicts));
  if (auto s = db_->DeleteRange(write_options(durability::crash), h, "", "\xff"); !s.ok())
    return db_error("cannot drop the malware verdicts", s);
  // So that the key estimate counts them gone.
  if (auto s = db_->CompactRange(rocksdb::CompactRangeOptions{}, h, nullptr, nullptr); !s.ok())
    return db_error("cannot compact the malware verdicts", s);
  return {};
}

uint64_t store::estimated_malware_verdicts() {
  uint64_t n = 0;
  if (!db_->GetIntProperty(cf(index(cf::malware_verdicts)), "rocksdb.estimate-num-keys", &n))
    return 0;
  return n;
}

// ---- vulnerability database (its import is in osv_import.cpp) ---------------

uint64_t store::db_generation() {
  std::lock_guard lock{pending_mu_};
  return db_generation_;
}

expected<std::vector<osv_record>> store::advisories_for(const std::string& ecosystem,
                                                        const std::string& name) {
  std::vector<osv_record> out;
  if (!schema::valid_key_part(ecosystem) || !schema::valid_key_part(name))
    return out;
  // One snapshot for the index scan and the record reads: an import running
  // alongside cannot leave an index entry whose record is gone.
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  std::unique_ptr<const rocksdb::Snapshot, std::function<void(const rocksdb::Snapshot*)>> guard{
    snap, [this](const rocksdb::Snapshot* s) { db_->ReleaseSnapshot(s); }};
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;

  auto prefix = schema::vuln_index_prefix(ecosystem, name);
  std::vector<std::string> ids;
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(ro, cf(index(cf::vuln_index)))};
  for (it->Seek(prefix); it->Valid() && starts_with(it->key(), prefix); it->Next())
    ids.emplace_back(it->key().data() + prefix.size(), it->key().size() - prefix.size());
  if (!it->status().ok())
    return db_error("cannot read the vulnerability index", it->status());
  if (ids.empty())
    return out;

  std::vector<rocksdb::Slice> keys(ids.begin(), ids.end());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  db_->MultiGet(ro, cf(index(cf::vulns)), ids.size(), keys.data(), values.data(),
                statuses.data());
  out.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound())
      continue; // cannot happen within one snapshot; tolerate it anyway
    if (!statuses[i].ok())
      return db_error("cannot read record " + ids[i], statuses[i]);
    auto rec = parse_osv_record(std::string_view{values[i].data(), values[i].size()});
    if (!rec)
      return make_error("stored record " + ids[i] + ": " + rec.err().message);
    out.push_back(std::move(*rec));
  }
  return out;
}

expected<rematch_backlog> store::pending_rematch() {
  rematch_backlog out;
  std::unique_ptr<rocksdb::Iterator> it{
    db_->NewIterator(rocksdb::ReadOptions{}, cf(index(cf::rematch_pending)))};
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = detail::view(it->key());
    auto token = schema::decode_u64(detail::view(it->value())).value_or(0);
    if (key.starts_with(schema::pending_image_prefix)) {
      out.images.emplace(key.substr(schema::pending_image_prefix.size()), token);
    } else if (key.starts_with(schema::pending_package_prefix)) {
      auto rest = key.substr(schema::pending_package_prefix.size());
      auto sep = rest.find('\0');
      if (sep != std::string_view::npos)
        out.packages.emplace(std::pair{std::string{rest.substr(0, sep)},
                                       std::string{rest.substr(sep + 1)}},
                             token);
    }
  }
  if (!it->status().ok())
    return db_error("cannot read the re-match backlog", it->status());
  return out;
}

expected<void> store::clear_pending_rematch(const rematch_backlog& done) {
  std::lock_guard lock{pending_mu_}; // no entry is rewritten between the check and the delete
  rocksdb::WriteBatch batch;
  auto* h = cf(index(cf::rematch_pending));
  auto clear = [&](const std::string& key, uint64_t token) -> expected<void> {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions{}, h, key, &value);
    if (s.IsNotFound())
      return {};
    if (!s.ok())
      return db_error("cannot read the re-match backlog", s);
    if (schema::decode_u64(value).value_or(0) == token)
      batch.Delete(h, key);
    return {};
  };
  for (auto& [pkg, token] : done.packages)
    if (auto r = clear(schema::pending_package_key(pkg.first, pkg.second), token); !r)
      return r;
  for (auto& [image, token] : done.images)
    if (auto r = clear(schema::pending_image_key(image), token); !r)
      return r;
  if (batch.Count() == 0)
    return {};
  // A lost clear only means the packages are matched once more.
  auto s = commit(durability::crash, &batch);
  if (!s.ok())
    return db_error("cannot update the re-match backlog", s);
  return {};
}

void store::on_rematch_pending(std::function<void()> fn) {
  std::lock_guard lock{listener_mu_};
  pending_listener_ = std::move(fn);
}

expected<std::vector<ecosystem_status>> store::db_status() {
  std::vector<ecosystem_status> out;
  std::unique_ptr<rocksdb::Iterator> it{
    db_->NewIterator(rocksdb::ReadOptions{}, cf(index(cf::meta)))};
  for (it->Seek(slice(schema::meta_db_prefix));
       it->Valid() && starts_with(it->key(), schema::meta_db_prefix); it->Next()) {
    auto v = codec::decode_ecosystem_status(
      std::string_view{it->value().data(), it->value().size()});
    if (!v)
      return make_error("status " + it->key().ToString() + ": " + v.err().message);
    out.push_back(std::move(*v));
  }
  if (!it->status().ok())
    return db_error("cannot read vulnerability database status", it->status());
  return out;
}

} // namespace regscan
