// The store's OSV import: an osv.dev-style all.zip into the vulns and
// vuln_index column families, in batches, with the re-match backlog each
// batch owes.
#include "storage/store.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <zip.h>

#include "scanners/match/osv_record.hpp"
#include "scanners/match/vuln_matcher.hpp"
#include "storage/record_codec.hpp"
#include "storage/rocksdb_util.hpp"
#include "storage/schema.hpp"

namespace regscan {

namespace {

using detail::db_error;
using detail::slice;
using detail::starts_with;
using detail::durability;
using detail::write_options;
using schema::cf;
using schema::index;

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

expected<void> store::write_import_batch(
  rocksdb::WriteBatch& batch, const std::set<std::pair<std::string, std::string>>& changed) {
  std::lock_guard lock{pending_mu_};
  auto generation = db_generation_ + 1;
  auto token = schema::encode_u64(generation);
  for (auto& [eco, name] : changed)
    batch.Put(cf(index(cf::rematch_pending)), schema::pending_package_key(eco, name), token);
  batch.Put(cf(index(cf::meta)), slice(schema::meta_db_generation), token);
  // Crash only: an import lost to a power cut is imported again by the next
  // `db update`; the WAL's recovery point keeps records, generation and
  // backlog consistent with each other.
  auto s = commit(durability::crash, &batch);
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
    auto s = commit(durability::crash, &meta);
    if (!s.ok())
      return db_error("cannot store vulnerability database status", s);
  }
  return std::move(st.report);
}

} // namespace regscan
