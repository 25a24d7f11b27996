#pragma once
// regscan's state in RocksDB: registries, images, scan tasks, scan results,
// the layer cache and the OSV vulnerability database. Key layouts live in storage/schema.hpp.
// Thread-safe: RocksDB serialises writes; the few read-modify-write paths
// (task ids, imports, cascading deletes) take a mutex of their own.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "scanners/expected.hpp"
#include "scanners/types.hpp"
#include "storage/records.hpp"

struct zip; // libzip's zip_t

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
class Slice;
class Status;
} // namespace rocksdb

namespace regscan {
namespace detail {
enum class durability; // rocksdb_util.hpp
}

class store {
 public:
  /// Creates `dir` and every column family when missing. Fails with
  /// "database <dir> is in use by another process" when another process (or
  /// another store in this one) holds it.
  static expected<std::unique_ptr<store>> open(const std::string& dir);
  ~store();
  /// Compacts every column family now, and returns when it is done (after a
  /// bulk load, so that what follows does not compete with compactions).
  expected<void> compact();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // --- registries ---
  expected<void> put_registry(const registry_record& r);
  /// Error "no registry named <name>" when absent.
  expected<registry_record> get_registry(const std::string& name);
  expected<std::vector<registry_record>> list_registries();
  /// Deletes the registry with its images and their scan results, in one
  /// batch, under the image lock (see delete_image).
  expected<void> delete_registry(const std::string& name);

  // --- images ---
  expected<void> put_image(const image_record& r);
  /// Error "no image <key>" when absent.
  expected<image_record> get_image(const std::string& key);
  /// Reads, changes and writes one image record under the lock that scans
  /// and re-matches take for theirs, so that concurrent updates (a sync, a
  /// scan finishing, a re-match) lose nothing. `change` gets the stored
  /// record, or one with only the key set when there is none (exists =
  /// false), and returns whether to write it.
  expected<void> update_image(const std::string& key,
                              const std::function<bool(image_record&, bool exists)>& change);
  expected<std::vector<image_record>> list_images();
  /// Deletes the image and its scan result, in one batch, under the image
  /// lock: a scan finishing at the same time cannot bring the image back.
  expected<void> delete_image(const std::string& key);

  // --- scan tasks ---
  /// 1, 2, 3, ... never reused, also across restarts.
  expected<uint64_t> next_task_id();
  expected<void> put_task(const task_record& t);
  /// Error "no task <id>" when absent.
  expected<task_record> get_task(uint64_t id);
  /// In id order.
  expected<std::vector<task_record>> list_tasks();
  /// Retires an ended task.
  expected<void> delete_task(uint64_t id);

  // --- pull budgets ---
  /// When (unix seconds) each image pull of the registry's last hour began.
  expected<std::vector<int64_t>> get_pulls(const std::string& registry);
  expected<void> put_pulls(const std::string& registry, const std::vector<int64_t>& pulls);

  // --- secret rules ---
  /// The user's secret rules, as the gitleaks TOML they were imported from;
  /// empty when none were.
  expected<std::string> get_secret_rules();
  expected<void> put_secret_rules(std::string_view toml);

  // --- scheduled scan and exceptions (store_ops.cpp) ---
  /// The scheduled scan; a disabled default when none was ever set.
  expected<schedule_record> get_schedule();
  expected<void> put_schedule(const schedule_record& s);
  /// Stores a new exception under the next id (1, 2, ...), which it returns.
  expected<uint64_t> add_exception(exception_record e);
  /// In id order.
  expected<std::vector<exception_record>> list_exceptions();
  /// Error "no exception <id>" (not_found) when absent.
  expected<void> delete_exception(uint64_t id);
  // --- console settings ---
  /// The image list's saved columns ("name,digest,..."); empty when none were saved.
  expected<std::string> get_image_columns();
  expected<void> put_image_columns(std::string_view columns);
  /// Makes every write so far survive a power cut (an fsync of the WAL), for
  /// a user's decision written through a crash-only path: an authorization.
  expected<void> sync_wal();

  // --- scan results ---
  // A result is kept in three parts: the inventory (results), the findings
  // without their advisory text (findings), and one package_index entry per
  // package family and name, which a re-match uses to find the images a
  // database change concerns without reading any inventory.

  /// Writes the result and the updated image record in one batch, so a crash
  /// never leaves an image marked scanned without its result (or the reverse).
  /// A result whose db_generation is older than db_generation() was matched
  /// against a database an import has changed since: its image goes into the
  /// re-match backlog in the same batch, and the on_rematch_pending callback runs.
  expected<void> put_result(const scan_result& r, const image_record& updated_image);
  /// The same, with the image record read and changed under the lock
  /// (update_image's); error "no image <key>" when it is gone.
  expected<void> put_result(const scan_result& r,
                            const std::function<void(image_record&)>& change_image);
  /// The inventory and the findings, each with its advisory's text.
  /// Error "no scan result for image <key>" when absent.
  expected<scan_result> get_result(const std::string& image_key);
  /// The findings alone, without advisory text: what counting and re-matching need.
  expected<findings_record> get_findings(const std::string& image_key);
  /// A re-match's writes: replaces the findings of each image and its counts
  /// (vuln_count, severity_counts), all in one batch. An image that is gone,
  /// or whose stored result is not the one the re-match read (result_seq, or
  /// last_scan and scanned_at, differ), is skipped: the scan's findings are
  /// newer. Returns the image keys written.
  expected<std::vector<std::string>> put_rematched(const std::vector<findings_record>& records);
  /// Calls fn(image key, encoded inventory) for every stored result, in key
  /// order, until fn returns false. Decode with codec::decode_result.
  expected<void> for_each_result(
    const std::function<bool(std::string_view key, std::string_view value)>& fn);
  /// Calls fn(image key, its packages) for every image with packages of the
  /// ecosystem family `family` ("Debian", "npm") filed under `name` (a
  /// lookup_names() name), until fn returns false.
  expected<void> for_each_indexed(
    std::string_view family, std::string_view name,
    const std::function<bool(std::string_view image_key, std::vector<package> packages)>& fn);

  // --- layer cache ---
  /// The encoded delta of layer `diff_id` under `analyzer_version`; nullopt
  /// when there is none.
  expected<std::optional<std::string>> get_layer(const std::string& diff_id,
                                                 const std::string& analyzer_version);
  /// Stores it in place of the layer's entries under other versions. There is
  /// no eviction: one entry per distinct layer ever scanned (tens of KiB each).
  expected<void> put_layer(const std::string& diff_id, const std::string& analyzer_version,
                           std::string_view encoded);

  // --- malware verdict cache ---
  // What the malware scanner said of each content, by signature set version
  // and SHA-256. Written without the write-ahead log: a verdict lost in a
  // crash is computed again (the memtable is flushed on a clean close).
  expected<std::optional<malware_verdict>> get_malware_verdict(std::string_view version,
                                                               std::string_view sha256);
  expected<void> put_malware_verdict(std::string_view version, std::string_view sha256,
                                     const malware_verdict& v);
  /// Removes the verdicts of every other signature set version.
  expected<void> keep_malware_verdicts_of(std::string_view version);
  /// Removes every verdict.
  expected<void> clear_malware_verdicts();
  /// RocksDB's estimate of the number of stored verdicts.
  uint64_t estimated_malware_verdicts();

  // --- vulnerability database ---
  /// Imports an osv.dev-style all.zip (flat <id>.json entries). Malformed
  /// entries are listed in report.errors ("<entry>: <reason>") and skipped;
  /// withdrawn records are removed; records whose stored JSON is byte-identical
  /// are counted unchanged and not rewritten. The archive is taken as the full
  /// export of its ecosystems: stored records of them that it lacks are
  /// removed. Updates "db/<ecosystem>" status for every ecosystem the archive
  /// touches; report.changed_packages lists what a re-match must look at.
  /// Every changed batch of records is written with the database generation
  /// bumped and the changed packages put into the re-match backlog, so an
  /// import cut short still leaves the re-match it owes. An archive that would
  /// remove more than a tenth of the stored records of one of its ecosystems
  /// is refused (errc::conflict, nothing written) unless opts.allow_shrink.
  expected<import_report> import_osv_zip(const std::string& zip_path,
                                         const std::string& source_label,
                                         const import_options& opts = {});
  /// The same for an archive in memory (the bytes a client sent).
  expected<import_report> import_osv_bytes(std::string_view zip_bytes,
                                           const std::string& source_label,
                                           const import_options& opts = {});
  /// Bumped by every import write that changes records; kept across restarts.
  uint64_t db_generation();
  /// Every stored record with an affected entry for (ecosystem, name), in id order.
  expected<std::vector<osv_record>> advisories_for(const std::string& ecosystem,
                                                   const std::string& name);
  /// One entry per imported ecosystem, in ecosystem order.
  expected<std::vector<ecosystem_status>> db_status();

  // --- re-match backlog ---
  /// What a re-match still owes: written with the imports and results that
  /// cause it, so it survives a crash.
  expected<rematch_backlog> pending_rematch();
  /// Removes the entries of `done` (a pending_rematch() a re-match has
  /// finished) whose token is unchanged: one written again meanwhile stays.
  expected<void> clear_pending_rematch(const rematch_backlog& done);
  /// Called, outside the store's locks, after a result went into the backlog
  /// (see put_result). nullptr to stop.
  void on_rematch_pending(std::function<void()> fn);

  /// Told of every image record written or deleted, once it is written, under
  /// the image lock: the record before (nullptr: new) and after (nullptr:
  /// deleted). For gauges kept up to date as images change (metrics). Set
  /// it before anything writes images.
  using image_observer = std::function<void(const image_record* before, const image_record* after)>;
  void observe_images(image_observer fn) { image_observer_ = std::move(fn); }

 private:
  store() = default;
  rocksdb::ColumnFamilyHandle* cf(std::size_t i) const { return handles_[i]; }
  /// Every write goes through these. A write that fails (a full disk puts
  /// RocksDB in read-only mode) asks RocksDB to resume and is tried once
  /// more: writes work again as soon as space returns, without a restart.
  rocksdb::Status commit(detail::durability d, rocksdb::WriteBatch* batch);
  rocksdb::Status put(detail::durability d, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key,
                      const rocksdb::Slice& value);
  rocksdb::Status remove(detail::durability d, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key);

  // The OSV import (osv_import.cpp).
  struct import_state;
  expected<import_report> import_osv_archive(::zip* za, const std::string& source_label,
                                             const import_options& opts);
  expected<void> read_archive_ids(::zip* za, import_state& st);
  expected<void> find_stale_records(import_state& st, const import_options& opts);
  expected<void> remove_stale_records(import_state& st);
  /// Writes an import's batch with the generation bump and the re-match
  /// backlog entries of `changed`.
  expected<void> write_import_batch(rocksdb::WriteBatch& batch,
                                    const std::set<std::pair<std::string, std::string>>& changed);
  expected<void> flush_import_batch(import_state& st);

  // Scan results (store_results.cpp).
  /// Adds to `batch` the deletes of an image's result: inventory, findings
  /// and package_index entries.
  void forget_result(rocksdb::WriteBatch& batch, const std::string& image_key);
  /// Under image_mu_. True when the result went into the re-match backlog.
  expected<bool> write_result(const scan_result& r, const image_record& updated_image);
  /// Tells the listener when the result went into the backlog.
  expected<void> after_result_written(const expected<bool>& written);
  /// Brings results written by an older layout to the current one.
  expected<void> migrate_results();

  std::string dir_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_; // indexed by schema::cf
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  std::mutex seq_mu_;     // next_task_id's read-modify-write
  std::mutex cascade_mu_; // delete_registry's scan-then-delete
  std::mutex import_mu_;  // one import at a time: it reads before it writes
  std::mutex image_mu_;   // read-modify-write of image records: sync, scan, re-match
  image_observer image_observer_;
  std::mutex exception_mu_; // add_exception's id read-modify-write
  /// Under image_mu_: writes `r` and tells the observer.
  expected<void> put_image_locked(const image_record& r, const image_record* before);
  void image_changed(const image_record* before, const image_record* after) {
    if (image_observer_)
      image_observer_(before, after);
  }
  std::mutex pending_mu_; // the generation and the re-match backlog: read, compared, written
  uint64_t db_generation_ = 0; // under pending_mu_
  uint64_t result_seq_ = 0;    // under image_mu_
  std::mutex listener_mu_;
  std::function<void()> pending_listener_;
};

} // namespace regscan
