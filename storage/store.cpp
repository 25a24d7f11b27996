#include "storage/store.hpp"

#include "scanners/match/vuln_matcher.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>
#include <zip.h>

#include "scanners/match/osv_record.hpp"
#include "storage/record_codec.hpp"
#include "storage/rocksdb_util.hpp"
#include "storage/schema.hpp"

namespace regscan {

namespace {

using schema::cf;
using schema::index;
using detail::db_error;
using detail::slice;
using detail::starts_with;
using detail::write_options;

// Larger entries are not OSV records: refuse them instead of allocating.
constexpr uint64_t max_osv_entry_size = 64 * 1024 * 1024;
constexpr std::size_t import_batch_size = 1000;

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// The (ecosystem, name) pairs a record is indexed under.
std::set<std::pair<std::string, std::string>> index_entries(const osv_record& r) {
  std::set<std::pair<std::string, std::string>> out;
  for (auto& a : r.affected)
    if (schema::valid_key_part(a.ecosystem) && schema::valid_key_part(a.name))
      out.emplace(a.ecosystem, normalized_package_name(a.ecosystem, a.name));
  return out;
}

std::set<std::string> ecosystems_of(const osv_record& r) {
  std::set<std::string> out;
  for (auto& a : r.affected)
    if (schema::valid_key_part(a.ecosystem))
      out.insert(a.ecosystem);
  return out;
}

std::string zip_message(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string msg = zip_error_strerror(&e);
  zip_error_fini(&e);
  return msg;
}

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
  options.keep_log_file_num = 4;
  options.max_log_file_size = 8 << 20;

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
  auto s = db_->Put(write_options(), cf(index(cf::registries)), r.name, codec::encode(r));
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
  }
  if (!it->status().ok())
    return db_error("cannot list images of registry " + name, it->status());
  s = db_->Write(write_options(), &batch);
  if (!s.ok())
    return db_error("cannot delete registry " + name, s);
  return {};
}

// ---- images -----------------------------------------------------------------

expected<void> store::put_image(const image_record& r) {
  if (r.key.empty())
    return make_error("an image record needs a key");
  auto s = db_->Put(write_options(), cf(index(cf::images)), r.key, codec::encode(r));
  if (!s.ok())
    return db_error("cannot store image " + r.key, s);
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
  if (!change(img, exists))
    return {};
  img.key = key;
  return put_image(img);
}

expected<std::vector<image_record>> store::list_images() {
  return read_all<image_record>(db_, cf(index(cf::images)), "image", codec::decode_image);
}

expected<void> store::delete_image(const std::string& key) {
  // A scan that read the image before the delete must not write it back after.
  std::lock_guard lock{image_mu_};
  rocksdb::WriteBatch batch;
  batch.Delete(cf(index(cf::images)), key);
  forget_result(batch, key);
  auto s = db_->Write(write_options(), &batch);
  if (!s.ok())
    return db_error("cannot delete image " + key, s);
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
  s = db_->Put(write_options(), cf(index(cf::meta)), slice(schema::meta_task_seq),
               schema::encode_u64(next));
  if (!s.ok())
    return db_error("cannot store task sequence", s);
  return next;
}

expected<void> store::put_task(const task_record& t) {
  auto s = db_->Put(write_options(), cf(index(cf::tasks)), schema::task_key(t.id),
                    codec::encode(t));
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
  auto s = db_->Delete(write_options(), cf(index(cf::tasks)), schema::task_key(id));
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
  auto s = db_->Put(write_options(), cf(index(cf::meta)), schema::budget_key(registry), value);
  if (!s.ok())
    return db_error("cannot store the pull budget of " + registry, s);
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
  auto s = db_->Write(write_options(), &batch);
  if (!s.ok())
    return db_error("cannot store cached layer " + diff_id, s);
  return {};
}

// ---- vulnerability database -------------------------------------------------

struct store::import_state {
  struct entry {
    std::string name; // zip entry
    std::string json;
    osv_record rec;
  };
  std::vector<entry> pending;
  std::unordered_map<std::string, std::string> seen; // record id -> first entry name
  std::set<std::string> touched;                    // ecosystems whose status changes
  std::unordered_set<std::string> entry_ids;        // "<id>" of every <id>.json entry, even bad ones
  std::map<std::string, size_t> bases;              // ecosystems the archive exports, by base name -> its records
  std::set<std::string> stale;                      // stored records it no longer has
  import_report report;
};

namespace {

// Calls fn(entry name, bytes) for every <id>.json entry of the archive, in
// archive order; bytes is null for an entry that cannot be read, and
// `errors` (when not null) is told why. fn returns an error to stop.
expected<void> for_each_json_entry(
  zip_t* za, std::vector<std::string>* errors,
  const std::function<expected<void>(std::string& name, std::string* data)>& fn) {
  auto note = [&](std::string e) {
    if (errors)
      errors->push_back(std::move(e));
  };
  auto entries = zip_get_num_entries(za, 0);
  if (entries < 0)
    return make_error(errc::corrupt, std::string{"cannot read OSV archive: "} + zip_strerror(za));
  std::string data;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t zs;
    zip_stat_init(&zs);
    if (zip_stat_index(za, static_cast<zip_uint64_t>(i), 0, &zs) != 0) {
      note("entry #" + std::to_string(i) + ": " + zip_strerror(za));
      continue;
    }
    std::string name = (zs.valid & ZIP_STAT_NAME) && zs.name ? zs.name
                                                             : "entry #" + std::to_string(i);
    if (!name.ends_with(".json"))
      continue; // directories and anything that is not a record
    bool readable = false;
    if (!(zs.valid & ZIP_STAT_SIZE) || zs.size > max_osv_entry_size) {
      note(name + ": entry too large or of unknown size");
    } else if (zip_file_t* zf = zip_fopen_index(za, static_cast<zip_uint64_t>(i), 0); !zf) {
      note(name + ": " + zip_strerror(za));
    } else {
      data.resize(zs.size);
      zip_uint64_t got = 0;
      bool read_ok = true;
      while (got < zs.size) {
        auto r = zip_fread(zf, data.data() + got, zs.size - got);
        if (r <= 0) {
          read_ok = false;
          break;
        }
        got += static_cast<zip_uint64_t>(r);
      }
      std::string read_err = read_ok ? "" : zip_file_strerror(zf);
      zip_fclose(zf);
      readable = read_ok;
      if (!read_ok)
        note(name + ": cannot decompress: " + read_err);
    }
    // An entry that cannot be read still names its record.
    if (auto r = fn(name, readable ? &data : nullptr); !r)
      return r;
    data.clear();
  }
  return {};
}

} // namespace

uint64_t store::db_generation() {
  std::lock_guard lock{pending_mu_};
  return db_generation_;
}

expected<void> store::write_import_batch(
  rocksdb::WriteBatch& batch, const std::set<std::pair<std::string, std::string>>& changed) {
  std::lock_guard lock{pending_mu_};
  auto generation = db_generation_ + 1;
  auto token = schema::encode_u64(generation);
  for (auto& [eco, name] : changed)
    batch.Put(cf(index(cf::rematch_pending)), schema::pending_package_key(eco, name), token);
  batch.Put(cf(index(cf::meta)), slice(schema::meta_db_generation), token);
  auto s = db_->Write(write_options(), &batch);
  if (!s.ok())
    return db_error("cannot write vulnerability records", s);
  db_generation_ = generation;
  return {};
}

expected<void> store::flush_import_batch(import_state& st) {
  if (st.pending.empty())
    return {};
  auto n = st.pending.size();
  std::vector<rocksdb::Slice> keys;
  keys.reserve(n);
  for (auto& e : st.pending)
    keys.emplace_back(e.rec.id);
  std::vector<rocksdb::PinnableSlice> old(n);
  std::vector<rocksdb::Status> statuses(n);
  db_->MultiGet(rocksdb::ReadOptions{}, cf(index(cf::vulns)), n, keys.data(), old.data(),
                statuses.data());

  rocksdb::WriteBatch batch;
  std::set<std::pair<std::string, std::string>> changed; // this batch's
  auto* vulns = cf(index(cf::vulns));
  auto* vindex = cf(index(cf::vuln_index));
  for (std::size_t i = 0; i < n; ++i) {
    auto& e = st.pending[i];
    auto& id = e.rec.id;
    bool exists = statuses[i].ok();
    if (!exists && !statuses[i].IsNotFound())
      return db_error("cannot read stored record " + id, statuses[i]);
    std::string_view stored{exists ? old[i].data() : "", exists ? old[i].size() : 0};
    bool withdrawn = !e.rec.withdrawn.empty();

    if (!withdrawn && exists && stored == e.json) {
      ++st.report.unchanged;
      for (auto& eco : ecosystems_of(e.rec))
        ++st.report.per_ecosystem[eco];
      continue;
    }
    for (auto& eco : ecosystems_of(e.rec))
      st.touched.insert(eco);

    if (exists) {
      // Remove the old record's index entries: its affected packages may differ.
      auto prev = parse_osv_record(stored);
      if (!prev)
        return make_error(errc::corrupt, "stored record " + id + " cannot be parsed any more: "
                                           + prev.err().message);
      for (auto& [eco, name] : index_entries(*prev)) {
        batch.Delete(vindex, schema::vuln_index_key(eco, name, id));
        changed.emplace(eco, name);
      }
      for (auto& eco : ecosystems_of(*prev))
        st.touched.insert(eco);
    }
    if (withdrawn) {
      ++st.report.withdrawn;
      if (exists)
        batch.Delete(vulns, id);
      continue;
    }
    batch.Put(vulns, id, e.json);
    for (auto& [eco, name] : index_entries(e.rec)) {
      batch.Put(vindex, schema::vuln_index_key(eco, name, id), rocksdb::Slice{});
      changed.emplace(eco, name);
    }
    ++st.report.written;
    for (auto& eco : ecosystems_of(e.rec))
      ++st.report.per_ecosystem[eco];
  }
  st.pending.clear();
  if (batch.Count() == 0)
    return {};
  if (auto r = write_import_batch(batch, changed); !r)
    return r;
  st.report.changed_packages.insert(changed.begin(), changed.end());
  return {};
}

// The first pass over an archive: the ids it has and the ecosystems it
// exports, as the import proper will count them (parsable records with a
// usable id, first of their id, not withdrawn), so that what it would remove
// is known before anything is written.
expected<void> store::read_archive_ids(zip_t* za, import_state& st) {
  return for_each_json_entry(za, nullptr, [&](std::string& name, std::string* data) {
    st.entry_ids.insert(std::filesystem::path(name).stem().string());
    if (!data)
      return expected<void>{};
    auto rec = parse_osv_record(*data);
    if (!rec || !schema::valid_key_part(rec->id) || !st.seen.emplace(rec->id, name).second)
      return expected<void>{};
    if (rec->withdrawn.empty()) {
      std::set<std::string> bases;
      for (auto& eco : ecosystems_of(*rec))
        bases.insert(eco.substr(0, eco.find(':')));
      for (auto& base : bases)
        ++st.bases[base];
    }
    return expected<void>{};
  });
}

// An all.zip is the full export of its ecosystems: a stored record of one of
// them that the archive no longer has was deleted upstream. Its ecosystems are
// taken by base name ("Debian" for "Debian:12"), so that a release the export
// dropped goes too. Entries that failed to parse still protect their id.
// Unless allowed, an archive that would shrink an ecosystem it exports (by
// base name, as osv.dev exports them) by removing more than a tenth of its
// stored records is refused: a truncated or hostile export would otherwise
// make every image of it look clean. An archive that removes records but
// brings as many in (a hand-made record replaced by the real export) is no
// shrink.
expected<void> store::find_stale_records(import_state& st, const import_options& opts) {
  auto* vindex = cf(index(cf::vuln_index));
  std::map<std::string, std::set<std::string>> stored, removed; // base -> ids
  for (auto& [base, records] : st.bases) {
    std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{}, vindex)};
    for (it->Seek(slice(base)); it->Valid() && starts_with(it->key(), base); it->Next()) {
      std::string_view key{it->key().data(), it->key().size()};
      auto eco = key.substr(0, key.find('\0'));
      if (eco.substr(0, eco.find(':')) != base)
        continue;
      std::string id{schema::third_key_part(key)};
      if (id.empty())
        continue;
      stored[base].insert(id);
      if (!st.seen.count(id) && !st.entry_ids.count(id)) {
        removed[base].insert(id);
        st.stale.insert(std::move(id));
      }
    }
    if (!it->status().ok())
      return db_error("cannot read the vulnerability index", it->status());
  }
  if (opts.allow_shrink)
    return {};
  for (auto& [base, ids] : removed)
    if (ids.size() * 10 > stored[base].size() && st.bases[base] * 10 < stored[base].size() * 9)
      return make_error(errc::conflict,
                        "the archive would remove " + std::to_string(ids.size()) + " of the "
                          + std::to_string(stored[base].size()) + " stored records of " + base
                          + " (more than 10%): refused; import it with --allow-shrink if the "
                            "export really shrank");
  return {};
}

expected<void> store::remove_stale_records(import_state& st) {
  auto* vulns = cf(index(cf::vulns));
  auto* vindex = cf(index(cf::vuln_index));
  rocksdb::WriteBatch batch;
  std::set<std::pair<std::string, std::string>> changed;
  for (auto& id : st.stale) {
    std::string json;
    auto s = db_->Get(rocksdb::ReadOptions{}, vulns, id, &json);
    if (s.IsNotFound())
      continue;
    if (!s.ok())
      return db_error("cannot read stored record " + id, s);
    auto prev = parse_osv_record(json);
    if (!prev)
      return make_error(errc::corrupt, "stored record " + id + " cannot be parsed any more: "
                                         + prev.err().message);
    for (auto& [eco, name] : index_entries(*prev)) {
      batch.Delete(vindex, schema::vuln_index_key(eco, name, id));
      changed.emplace(eco, name);
    }
    for (auto& eco : ecosystems_of(*prev))
      st.touched.insert(eco);
    batch.Delete(vulns, id);
    ++st.report.removed;
  }
  if (batch.Count() == 0)
    return {};
  if (auto r = write_import_batch(batch, changed); !r)
    return wrap_error("cannot remove vulnerability records", r.err());
  st.report.changed_packages.insert(changed.begin(), changed.end());
  return {};
}

expected<import_report> store::import_osv_zip(const std::string& zip_path,
                                              const std::string& source_label,
                                              const import_options& opts) {
  int zerr = 0;
  zip_t* raw = zip_open(zip_path.c_str(), ZIP_RDONLY, &zerr);
  if (!raw)
    return make_error(zerr == ZIP_ER_NOENT ? errc::not_found : errc::invalid,
                      "cannot open OSV archive " + zip_path + ": " + zip_message(zerr));
  std::unique_ptr<zip_t, void (*)(zip_t*)> za{raw, [](zip_t* z) { zip_discard(z); }};
  return import_osv_archive(za.get(), source_label, opts);
}

expected<import_report> store::import_osv_bytes(std::string_view zip_bytes,
                                                const std::string& source_label,
                                                const import_options& opts) {
  zip_error_t zerr;
  zip_error_init(&zerr);
  zip_source_t* src = zip_source_buffer_create(zip_bytes.data(), zip_bytes.size(), 0, &zerr);
  if (!src) {
    zip_error_fini(&zerr);
    return make_error(errc::internal, "cannot read OSV archive " + source_label);
  }
  zip_t* raw = zip_open_from_source(src, ZIP_RDONLY, &zerr);
  if (!raw) {
    zip_source_free(src);
    std::string msg = zip_error_strerror(&zerr);
    zip_error_fini(&zerr);
    return make_error(errc::invalid, "cannot open OSV archive " + source_label + ": " + msg);
  }
  zip_error_fini(&zerr);
  std::unique_ptr<zip_t, void (*)(zip_t*)> za{raw, [](zip_t* z) { zip_discard(z); }};
  return import_osv_archive(za.get(), source_label, opts);
}

expected<import_report> store::import_osv_archive(zip_t* za, const std::string& source_label,
                                                  const import_options& opts) {
  std::lock_guard lock{import_mu_};
  import_state st;
  if (auto r = read_archive_ids(za, st); !r)
    return wrap_error(source_label, r.err());
  if (auto r = find_stale_records(st, opts); !r)
    return wrap_error("importing " + source_label, r.err());
  st.seen.clear(); // the second pass finds duplicates again, and reports them
  st.pending.reserve(import_batch_size);

  auto read = for_each_json_entry(za, &st.report.errors, [&](std::string& name,
                                                              std::string* data) {
    ++st.report.read;
    if (!data)
      return expected<void>{}; // reported by for_each_json_entry
    auto rec = parse_osv_record(*data);
    if (!rec) {
      st.report.errors.push_back(name + ": " + rec.err().message);
      return expected<void>{};
    }
    if (!schema::valid_key_part(rec->id)) {
      st.report.errors.push_back(name + ": record has no usable id");
      return expected<void>{};
    }
    auto [seen, fresh] = st.seen.emplace(rec->id, name);
    if (!fresh) {
      st.report.errors.push_back(name + ": duplicate record id " + rec->id + " (also in "
                                 + seen->second + "), skipped");
      return expected<void>{};
    }
    st.pending.push_back({std::move(name), std::move(*data), std::move(*rec)});
    if (st.pending.size() >= import_batch_size)
      return flush_import_batch(st);
    return expected<void>{};
  });
  if (!read)
    return read.err();
  if (auto r = flush_import_batch(st); !r)
    return r.err();
  if (auto r = remove_stale_records(st); !r)
    return r.err();

  // Status of every ecosystem this archive touched, counted from the index so
  // it reflects the whole database and not only this archive.
  std::set<std::string> statused = st.touched;
  for (auto& [eco, count] : st.report.per_ecosystem)
    statused.insert(eco);
  rocksdb::WriteBatch meta;
  auto imported_at = now_seconds();
  for (auto& eco : statused) {
    auto prefix = schema::vuln_index_ecosystem_prefix(eco);
    std::unordered_set<std::string> ids;
    std::unique_ptr<rocksdb::Iterator> it{
      db_->NewIterator(rocksdb::ReadOptions{}, cf(index(cf::vuln_index)))};
    for (it->Seek(prefix); it->Valid() && starts_with(it->key(), prefix); it->Next())
      ids.emplace(schema::third_key_part(std::string_view{it->key().data(), it->key().size()}));
    if (!it->status().ok())
      return db_error("cannot count records of " + eco, it->status());
    ecosystem_status status{eco, ids.size(), imported_at, source_label};
    meta.Put(cf(index(cf::meta)), schema::meta_db_key(eco), codec::encode(status));
  }
  if (meta.Count() > 0) {
    auto s = db_->Write(write_options(), &meta);
    if (!s.ok())
      return db_error("cannot store vulnerability database status", s);
  }
  return std::move(st.report);
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
  auto s = db_->Write(write_options(), &batch);
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
