#include "scanners/os/apk_cataloger.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "scanners/cataloger_util.hpp"

namespace regscan {

namespace {

constexpr std::string_view installed_file = "lib/apk/db/installed";
constexpr size_t max_path = 4096; // PATH_MAX: a longer F: line is malformed
constexpr size_t max_owned_bytes = 64u << 20; // joined F:/R: paths of one database

struct record {
  std::string name, version, origin;
  std::vector<std::string> files;
  size_t first_line = 0;
  bool any = false;
};

void finish(record& r, std::string_view path, std::string_view layer,
            const std::string& ecosystem, inventory& out) {
  if (!r.any)
    return;
  if (!util::valid_token(r.name) || !util::valid_token(r.version)) {
    out.notes.push_back("apk: skipped malformed record in " + std::string(path) + " (line "
                        + std::to_string(r.first_line) + "): missing or bad P:/V:");
    return;
  }
  package p;
  p.ecosystem = ecosystem;
  p.name = std::move(r.name);
  p.version = std::move(r.version);
  p.source_name = util::valid_token(r.origin) ? std::move(r.origin) : p.name;
  p.source_version = p.version;
  p.file.assign(path);
  p.layer.assign(layer);
  for (auto& f : r.files)
    out.owned_files.push_back(owned_file{std::move(f), p.name});
  out.packages.push_back(std::move(p));
}

} // namespace

std::string apk_ecosystem(const os_info& os) {
  if (os.id == "alpine" && !os.version_id.empty()) {
    auto v = util::major_minor(os.version_id);
    if (v.find('.') != std::string_view::npos) // "3.19"; edge's "3.20_alpha2024" too
      return "Alpine:v" + std::string(v);
  }
  if (os.id == "wolfi")
    return "Wolfi";
  if (os.id == "chainguard")
    return "Chainguard";
  return "Alpine"; // apk without a known release: the family
}

void apk_cataloger::rebase_os(const os_info& parsed_with, const os_info& final_os,
                              std::vector<package>& packages) const {
  auto from = apk_ecosystem(parsed_with), to = apk_ecosystem(final_os);
  for (auto& p : packages)
    if (p.ecosystem == from)
      p.ecosystem = to;
}

bool apk_cataloger::wants(std::string_view path) const {
  return path == installed_file;
}

void apk_cataloger::parse(std::string_view path, std::string_view content,
                          std::string_view layer, const os_info& os, inventory& out) const {
  auto ecosystem = apk_ecosystem(os);
  record r;
  std::string dir; // the last F: line; R: names are relative to it
  size_t line_no = 0, bad_lines = 0, owned_bytes = 0;
  bool owned_truncated = false;
  // Real databases spell out every path (their a:/Z: lines alone outweigh the
  // joins), so the paths never need much more memory than the file itself.
  size_t owned_budget = std::min(max_owned_bytes, 8 * content.size() + (1u << 20));
  while (!content.empty()) {
    auto line = util::next_line(content);
    ++line_no;
    if (util::trim(line).empty()) {
      finish(r, path, layer, ecosystem, out);
      r = record{};
      dir.clear();
      continue;
    }
    if (!r.any) {
      r.any = true;
      r.first_line = line_no;
    }
    if (line.size() < 2 || line[1] != ':') {
      ++bad_lines;
      continue;
    }
    auto value = line.substr(2);
    switch (line[0]) {
    case 'P': r.name.assign(util::trim(value)); break;
    case 'V': r.version.assign(util::trim(value)); break;
    case 'o': r.origin.assign(util::trim(value)); break;
    case 'F':
      dir = util::normalize_path(value);
      if (dir.size() > max_path) {
        ++bad_lines;
        dir.clear();
      }
      break;
    case 'R': {
      auto file = util::normalize_path(value);
      if (file.empty() || file == ".." || file.find('/') != std::string::npos) {
        ++bad_lines; // R: is a plain name inside the F: directory
        break;
      }
      // One long F: with many R: lines must not multiply memory without end.
      owned_bytes += dir.size() + 1 + file.size();
      if (owned_bytes > owned_budget) {
        owned_truncated = true;
        break;
      }
      r.files.push_back(dir.empty() ? file : dir + "/" + file);
      break;
    }
    default: break;
    }
  }
  finish(r, path, layer, ecosystem, out);
  if (owned_truncated)
    out.notes.push_back("apk: " + std::string(path) + ": over " + std::to_string(owned_budget)
                        + " bytes of file paths; the rest of the file list is not kept");
  if (bad_lines > 0)
    out.notes.push_back("apk: " + std::to_string(bad_lines) + " malformed line(s) ignored in "
                        + std::string(path));
}

} // namespace regscan
