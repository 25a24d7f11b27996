// The scheduled scan and the exceptions: small records in the meta column family.
#include "storage/store.hpp"

#include <memory>

#include <rocksdb/write_batch.h>

#include "storage/record_codec.hpp"
#include "storage/rocksdb_util.hpp"
#include "storage/schema.hpp"

namespace regscan {

using detail::db_error;
using detail::slice;
using detail::view;
using detail::durability;
using detail::write_options;
using schema::cf;
using schema::index;

expected<schedule_record> store::get_schedule() {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::meta)), slice(schema::meta_scan_schedule),
                    &value);
  if (s.IsNotFound())
    return schedule_record{};
  if (!s.ok())
    return db_error("cannot read the scan schedule", s);
  return codec::decode_schedule(value);
}

expected<void> store::put_schedule(const schedule_record& r) {
  // Schedules and exceptions are the user's decisions: they survive a power cut.
  auto s = put(durability::power_cut, cf(index(cf::meta)), slice(schema::meta_scan_schedule), codec::encode(r));
  if (!s.ok())
    return db_error("cannot store the scan schedule", s);
  return {};
}

expected<uint64_t> store::add_exception(exception_record e) {
  std::lock_guard lock{exception_mu_};
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::meta)), slice(schema::meta_exception_seq),
                    &value);
  uint64_t last = 0;
  if (s.ok()) {
    auto v = schema::decode_u64(value);
    if (!v)
      return make_error("corrupt exception sequence in database " + dir_);
    last = *v;
  } else if (!s.IsNotFound()) {
    return db_error("cannot read the exception sequence", s);
  }
  e.id = last + 1;
  rocksdb::WriteBatch batch;
  batch.Put(cf(index(cf::meta)), slice(schema::meta_exception_seq), schema::encode_u64(e.id));
  batch.Put(cf(index(cf::meta)), schema::exception_key(e.id), codec::encode(e));
  s = commit(durability::power_cut, &batch);
  if (!s.ok())
    return db_error("cannot store the exception", s);
  return e.id;
}

expected<std::vector<exception_record>> store::list_exceptions() {
  std::vector<exception_record> out;
  std::unique_ptr<rocksdb::Iterator> it{
    db_->NewIterator(rocksdb::ReadOptions{}, cf(index(cf::meta)))};
  for (it->Seek(slice(schema::meta_exception_prefix));
       it->Valid() && detail::starts_with(it->key(), schema::meta_exception_prefix); it->Next()) {
    auto rec = codec::decode_exception(view(it->value()));
    if (!rec)
      return rec.err();
    out.push_back(std::move(*rec));
  }
  if (!it->status().ok())
    return db_error("cannot read the exceptions", it->status());
  return out;
}

expected<void> store::delete_exception(uint64_t id) {
  std::lock_guard lock{exception_mu_};
  std::string value;
  auto key = schema::exception_key(id);
  auto s = db_->Get(rocksdb::ReadOptions{}, cf(index(cf::meta)), key, &value);
  if (s.IsNotFound())
    return make_error(errc::not_found, "no exception " + std::to_string(id));
  if (!s.ok())
    return db_error("cannot read exception " + std::to_string(id), s);
  s = remove(durability::power_cut, cf(index(cf::meta)), key);
  if (!s.ok())
    return db_error("cannot delete exception " + std::to_string(id), s);
  return {};
}

} // namespace regscan
