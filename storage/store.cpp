#include "storage/store.hpp"

#include "scanners/vuln_matcher.hpp"

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

#include "scanners/osv_record.hpp"
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
  import_report report;
};

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
        return make_error("stored record " + id + " cannot be parsed any more: "
                          + prev.err().message);
      for (auto& [eco, name] : index_entries(*prev)) {
        batch.Delete(vindex, schema::vuln_index_key(eco, name, id));
        st.report.changed_packages.emplace(eco, name);
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
      st.report.changed_packages.emplace(eco, name);
    }
    ++st.report.written;
    for (auto& eco : ecosystems_of(e.rec))
      ++st.report.per_ecosystem[eco];
  }
  st.pending.clear();
  if (batch.Count() == 0)
    return {};
  auto s = db_->Write(write_options(), &batch);
  if (!s.ok())
    return db_error("cannot write vulnerability records", s);
  return {};
}

// An all.zip is the full export of its ecosystems: a stored record of one of
// them that the archive no longer has was deleted upstream. Its ecosystems are
// taken by base name ("Debian" for "Debian:12"), so that a release the export
// dropped goes too. Entries that failed to parse still protect their id.
expected<void> store::remove_stale_records(import_state& st) {
  std::set<std::string> bases;
  for (auto& [eco, n] : st.report.per_ecosystem)
    bases.insert(eco.substr(0, eco.find(':')));
  if (bases.empty())
    return {};
  auto covered = [&](std::string_view eco) {
    return bases.count(std::string{eco.substr(0, eco.find(':'))}) > 0;
  };
  auto* vulns = cf(index(cf::vulns));
  auto* vindex = cf(index(cf::vuln_index));
  std::set<std::string> stale;
  for (auto& base : bases) {
    std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{}, vindex)};
    for (it->Seek(slice(base)); it->Valid() && starts_with(it->key(), base); it->Next()) {
      std::string_view key{it->key().data(), it->key().size()};
      auto eco = key.substr(0, key.find('\0'));
      if (!covered(eco) || eco.substr(0, eco.find(':')) != base)
        continue;
      std::string id{schema::third_key_part(key)};
      if (!id.empty() && !st.seen.count(id) && !st.entry_ids.count(id))
        stale.insert(std::move(id));
    }
    if (!it->status().ok())
      return db_error("cannot read the vulnerability index", it->status());
  }
  rocksdb::WriteBatch batch;
  for (auto& id : stale) {
    std::string json;
    auto s = db_->Get(rocksdb::ReadOptions{}, vulns, id, &json);
    if (s.IsNotFound())
      continue;
    if (!s.ok())
      return db_error("cannot read stored record " + id, s);
    auto prev = parse_osv_record(json);
    if (!prev)
      return make_error("stored record " + id + " cannot be parsed any more: "
                        + prev.err().message);
    for (auto& [eco, name] : index_entries(*prev)) {
      batch.Delete(vindex, schema::vuln_index_key(eco, name, id));
      st.report.changed_packages.emplace(eco, name);
    }
    for (auto& eco : ecosystems_of(*prev))
      st.touched.insert(eco);
    batch.Delete(vulns, id);
    ++st.report.removed;
  }
  if (batch.Count() == 0)
    return {};
  auto s = db_->Write(write_options(), &batch);
  if (!s.ok())
    return db_error("cannot remove vulnerability records", s);
  return {};
}

expected<import_report> store::import_osv_zip(const std::string& zip_path,
                                              const std::string& source_label) {
  std::lock_guard lock{import_mu_};
  int zerr = 0;
  zip_t* raw = zip_open(zip_path.c_str(), ZIP_RDONLY, &zerr);
  if (!raw)
    return make_error("cannot open OSV archive " + zip_path + ": " + zip_message(zerr));
  std::unique_ptr<zip_t, void (*)(zip_t*)> za{raw, [](zip_t* z) { zip_discard(z); }};

  import_state st;
  st.pending.reserve(import_batch_size);
  auto entries = zip_get_num_entries(za.get(), 0);
  if (entries < 0)
    return make_error("cannot read OSV archive " + zip_path + ": " + zip_strerror(za.get()));

  std::string data;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t zs;
    zip_stat_init(&zs);
    if (zip_stat_index(za.get(), static_cast<zip_uint64_t>(i), 0, &zs) != 0) {
      st.report.errors.push_back("entry #" + std::to_string(i) + ": "
                                 + zip_strerror(za.get()));
      continue;
    }
    std::string name = (zs.valid & ZIP_STAT_NAME) && zs.name ? zs.name
                                                             : "entry #" + std::to_string(i);
    if (!name.ends_with(".json"))
      continue; // directories and anything that is not a record
    ++st.report.read;
    st.entry_ids.insert(std::filesystem::path(name).stem().string());
    if (!(zs.valid & ZIP_STAT_SIZE) || zs.size > max_osv_entry_size) {
      st.report.errors.push_back(name + ": entry too large or of unknown size");
      continue;
    }
    zip_file_t* zf = zip_fopen_index(za.get(), static_cast<zip_uint64_t>(i), 0);
    if (!zf) {
      st.report.errors.push_back(name + ": " + zip_strerror(za.get()));
      continue;
    }
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
    if (!read_ok) {
      st.report.errors.push_back(name + ": cannot decompress: " + read_err);
      continue;
    }
    auto rec = parse_osv_record(data);
    if (!rec) {
      st.report.errors.push_back(name + ": " + rec.err().message);
      continue;
    }
    if (!schema::valid_key_part(rec->id)) {
      st.report.errors.push_back(name + ": record has no usable id");
      continue;
    }
    auto [seen, fresh] = st.seen.emplace(rec->id, name);
    if (!fresh) {
      st.report.errors.push_back(name + ": duplicate record id " + rec->id + " (also in "
                                 + seen->second + "), skipped");
      continue;
    }
    st.pending.push_back({std::move(name), std::move(data), std::move(*rec)});
    data.clear();
    if (st.pending.size() >= import_batch_size)
      if (auto r = flush_import_batch(st); !r)
        return r.err();
  }
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
