#include "scanners/os/rpm_db.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace regscan {

// ---- SQLite --------------------------------------------------------------

namespace {

struct sqlite_closer {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct stmt_closer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

} // namespace

expected<void> read_rpmdb_sqlite(std::string_view file, const rpm_blob_visitor& visit) {
  if (file.size() < 100 || std::memcmp(file.data(), "SQLite format 3", 16) != 0)
    return error{"not an SQLite 3 database"};
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(raw);
    return error{"sqlite: cannot open an in-memory database"};
  }
  std::unique_ptr<sqlite3, sqlite_closer> db(raw);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  // sqlite owns (and frees) the copy. A WAL-mode header (bytes 18/19 = 2)
  // would make the in-memory VFS look for a -wal file: mark it rollback.
  auto* copy = static_cast<unsigned char*>(sqlite3_malloc64(file.size()));
  if (!copy)
    return error{"sqlite: out of memory"};
  std::memcpy(copy, file.data(), file.size());
  if (copy[18] == 2)
    copy[18] = 1;
  if (copy[19] == 2)
    copy[19] = 1;
  if (sqlite3_deserialize(raw, "main", copy, file.size(), file.size(),
                          SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY)
      != SQLITE_OK)
    return error{std::string("sqlite: ") + sqlite3_errmsg(raw)};
  // A crafted database can make queries slow: stop after a bounded number of
  // VM steps (generous: a few hundred per row).
  static constexpr int progress_ops = 10000;
  struct budget {
    uint64_t left;
  } steps{file.size() / 4 + 1'000'000};
  sqlite3_progress_handler(
      raw, progress_ops,
      [](void* p) -> int {
        auto* b = static_cast<budget*>(p);
        if (b->left < progress_ops)
          return 1;
        b->left -= progress_ops;
        return 0;
      },
      &steps);
  sqlite3_stmt* raw_stmt = nullptr;
  if (sqlite3_prepare_v2(raw, "SELECT blob FROM Packages", -1, &raw_stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw_stmt);
    return error{std::string("sqlite: ") + sqlite3_errmsg(raw)};
  }
  std::unique_ptr<sqlite3_stmt, stmt_closer> stmt(raw_stmt);
  int rc;
  while ((rc = sqlite3_step(raw_stmt)) == SQLITE_ROW) {
    auto* bytes = static_cast<const char*>(sqlite3_column_blob(raw_stmt, 0));
    int size = sqlite3_column_bytes(raw_stmt, 0);
    if (bytes && size > 0)
      visit(std::string_view(bytes, size));
  }
  if (rc != SQLITE_DONE)
    return error{std::string("sqlite: ") + sqlite3_errmsg(raw)};
  return {};
}

// ---- Berkeley DB hash ----------------------------------------------------
//
// db_page.h: every page starts with a 26-byte header (lsn 8, pgno 4,
// prev_pgno 4, next_pgno 4, entries 2, hf_offset 2, level 1, type 1). Page 0
// is the hash metadata page (magic 0x061561 at 12, pagesize at 20, type 8 at
// 25, last_pgno at 32). Hash pages (type 2 or 13) hold `entries` 16-bit item
// offsets after the header, keys and data alternating; an item is H_KEYDATA
// (type byte 1, bytes follow) or H_OFFPAGE (type 3, pgno at 4, total length
// at 8) whose bytes sit on a chain of overflow pages (type 7, hf_offset = the
// bytes on this page, next_pgno = the next one). The byte order is the
// writer's: the metadata magic tells which.

namespace {

constexpr uint32_t bdb_hash_magic = 0x061561;
constexpr size_t bdb_page_header = 26;
constexpr uint8_t p_hash_unsorted = 2, p_overflow = 7, p_hashmeta = 8, p_hash = 13;
constexpr uint8_t h_keydata = 1, h_offpage = 3;

struct bdb_reader {
  std::string_view file;
  bool swap = false;
  uint32_t page_size = 0;
  uint64_t pages = 0;

  uint32_t u32(size_t at) const {
    auto u = reinterpret_cast<const unsigned char*>(file.data() + at);
    uint32_t le = uint32_t(u[0]) | uint32_t(u[1]) << 8 | uint32_t(u[2]) << 16 | uint32_t(u[3]) << 24;
    uint32_t be = uint32_t(u[3]) | uint32_t(u[2]) << 8 | uint32_t(u[1]) << 16 | uint32_t(u[0]) << 24;
    return swap ? be : le;
  }
  uint16_t u16(size_t at) const {
    auto u = reinterpret_cast<const unsigned char*>(file.data() + at);
    return swap ? uint16_t(u[0] << 8 | u[1]) : uint16_t(u[1] << 8 | u[0]);
  }
  std::string_view page(uint64_t n) const { return file.substr(n * page_size, page_size); }

  // The bytes of an off-page item: follow the chain, at most `pages` hops.
  expected<std::string> overflow(uint32_t pgno, uint32_t total) const {
    if (total > file.size())
      return error{"overflow item longer than the file"};
    std::string out;
    out.reserve(total);
    for (uint64_t hops = 0; out.size() < total; ++hops) {
      if (pgno == 0 || pgno >= pages || hops >= pages)
        return error{"broken overflow chain at page " + std::to_string(pgno)};
      size_t base = size_t(pgno) * page_size;
      if (uint8_t(file[base + 25]) != p_overflow)
        return error{"page " + std::to_string(pgno) + " is not an overflow page"};
      uint32_t len = u16(base + 22);
      if (len > page_size - bdb_page_header || len > total - out.size())
        return error{"bad overflow length on page " + std::to_string(pgno)};
      out.append(file.substr(base + bdb_page_header, len));
      pgno = u32(base + 16);
    }
    return out;
  }
};

} // namespace

expected<void> read_rpmdb_bdb(std::string_view file, const rpm_blob_visitor& visit) {
  if (file.size() < 512)
    return error{"Berkeley DB: shorter than a metadata page"};
  bdb_reader r{file};
  if (r.u32(12) != bdb_hash_magic) {
    r.swap = true;
    if (r.u32(12) != bdb_hash_magic)
      return error{"not a Berkeley DB hash database (bad magic)"};
  }
  if (uint8_t(file[25]) != p_hashmeta)
    return error{"Berkeley DB: page 0 is not a hash metadata page"};
  if (file[24] != 0)
    return error{"Berkeley DB: encrypted databases are not supported"};
  r.page_size = r.u32(20);
  if (r.page_size < 512 || r.page_size > 65536 || (r.page_size & (r.page_size - 1)) != 0)
    return error{"Berkeley DB: bad page size " + std::to_string(r.page_size)};
  r.pages = file.size() / r.page_size; // a truncated last page is ignored
  std::vector<std::string> problems;
  for (uint64_t n = 1; n < r.pages; ++n) {
    size_t base = n * r.page_size;
    uint8_t type = uint8_t(file[base + 25]);
    if (type != p_hash && type != p_hash_unsorted)
      continue;
    uint32_t entries = r.u16(base + 20);
    if (bdb_page_header + size_t(entries) * 2 > r.page_size) {
      problems.push_back("page " + std::to_string(n) + ": too many entries");
      continue;
    }
    // Items fill the page from its end; item i ends where item i-1 starts.
    for (uint32_t i = 1; i < entries; i += 2) { // odd indexes are data items
      uint32_t at = r.u16(base + bdb_page_header + i * 2);
      uint32_t end = r.u16(base + bdb_page_header + (i - 1) * 2);
      if (at < bdb_page_header + entries * 2 || at >= r.page_size || end > r.page_size) {
        problems.push_back("page " + std::to_string(n) + ": bad item offset");
        break;
      }
      uint8_t item = uint8_t(file[base + at]);
      if (item == h_offpage) {
        if (at + 12 > r.page_size) {
          problems.push_back("page " + std::to_string(n) + ": truncated off-page item");
          break;
        }
        auto bytes = r.overflow(r.u32(base + at + 4), r.u32(base + at + 8));
        if (!bytes) {
          problems.push_back(bytes.err().message);
          continue;
        }
        visit(*bytes);
      } else if (item == h_keydata) {
        if (end <= at) {
          problems.push_back("page " + std::to_string(n) + ": bad item length");
          break;
        }
        visit(file.substr(base + at + 1, end - at - 1));
      }
      // H_DUPLICATE/H_OFFDUP: rpm's Packages has unique keys; nothing to read.
    }
  }
  if (!problems.empty())
    return error{"Berkeley DB: " + std::to_string(problems.size())
                 + " damaged item(s), first: " + problems.front()};
  return {};
}

// ---- NDB -----------------------------------------------------------------
//
// lib/backend/ndb/rpmpkg.c: a 32-byte header (magic "RpmP", version 0,
// generation, slot page count), then 16-byte slots (magic "Slot", package
// index, block offset, block count) filling the slot pages; a slot's blob
// starts at block offset * 16 with a 16-byte header (magic "BlbS", package
// index, checksum, length) and the header blob. Little-endian.

namespace {

constexpr uint32_t le_magic(const char (&m)[5]) {
  return uint32_t(uint8_t(m[0])) | uint32_t(uint8_t(m[1])) << 8 | uint32_t(uint8_t(m[2])) << 16
         | uint32_t(uint8_t(m[3])) << 24;
}

uint32_t le32(std::string_view f, size_t at) {
  auto u = reinterpret_cast<const unsigned char*>(f.data() + at);
  return uint32_t(u[0]) | uint32_t(u[1]) << 8 | uint32_t(u[2]) << 16 | uint32_t(u[3]) << 24;
}

} // namespace

expected<void> read_rpmdb_ndb(std::string_view file, const rpm_blob_visitor& visit) {
  constexpr size_t slot_page = 4096, slot_size = 16, header_size = 32, block = 16;
  if (file.size() < header_size || le32(file, 0) != le_magic("RpmP"))
    return error{"not an rpm ndb database (bad magic)"};
  if (le32(file, 4) != 0)
    return error{"ndb: unsupported version " + std::to_string(le32(file, 4))};
  uint64_t slot_pages = le32(file, 12);
  if (slot_pages == 0 || slot_pages * slot_page > file.size())
    return error{"ndb: slot pages run past the file"};
  size_t damaged = 0;
  for (size_t at = header_size; at + slot_size <= slot_pages * slot_page; at += slot_size) {
    if (le32(file, at) != le_magic("Slot"))
      continue;
    uint32_t index = le32(file, at + 4);
    uint64_t offset = uint64_t(le32(file, at + 8)) * block;
    uint64_t blocks = le32(file, at + 12);
    if (index == 0)
      continue; // a free slot
    if (offset + 16 > file.size() || blocks * block > file.size() - offset
        || le32(file, offset) != le_magic("BlbS") || le32(file, offset + 4) != index) {
      ++damaged;
      continue;
    }
    uint64_t len = le32(file, offset + 12);
    if (len > blocks * block - 16) {
      ++damaged;
      continue;
    }
    visit(file.substr(offset + 16, len));
  }
  if (damaged)
    return error{"ndb: " + std::to_string(damaged) + " damaged slot(s)"};
  return {};
}

} // namespace regscan
