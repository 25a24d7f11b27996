#include "scanners/lang/java_cataloger.hpp"

#include <zip.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "scanners/cataloger_util.hpp"

namespace regscan {

namespace {

constexpr int max_depth = 3;                      // jar in war in ear
constexpr uint64_t max_member_size = 1ull << 20;  // a manifest or pom.properties
constexpr uint64_t max_nested_size = 64ull << 20; // one nested archive, inflated
constexpr uint64_t max_total_inflated = 256ull << 20; // per top-level archive
constexpr uint64_t max_entries = 200'000;

bool archive_name(std::string_view name) {
  return name.ends_with(".jar") || name.ends_with(".war") || name.ends_with(".ear")
         || name.ends_with(".JAR") || name.ends_with(".WAR") || name.ends_with(".EAR");
}

struct zip_closer {
  void operator()(zip_t* z) const { zip_discard(z); }
};

struct budget {
  uint64_t inflated = 0;
  bool exhausted = false;
};

/// Reads one member fully, within `limit` and the budget.
bool read_member(zip_t* z, zip_uint64_t index, uint64_t size, uint64_t limit, budget& b,
                 std::string& out) {
  if (size > limit || b.inflated + size > max_total_inflated) {
    b.exhausted = b.exhausted || size <= limit;
    return false;
  }
  zip_file_t* f = zip_fopen_index(z, index, 0);
  if (!f)
    return false;
  out.resize(size);
  zip_int64_t got = size ? zip_fread(f, out.data(), size) : 0;
  zip_fclose(f);
  if (got < 0 || uint64_t(got) != size)
    return false;
  b.inflated += size;
  return true;
}

/// "Key: value" lines with 72-byte continuation lines (the JAR manifest spec);
/// only the main section, which ends at the first blank line.
std::vector<std::pair<std::string, std::string>> manifest_main(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> fields;
  while (!text.empty()) {
    auto line = util::next_line(text);
    if (line.empty())
      break;
    if (line.front() == ' ') {
      if (!fields.empty())
        fields.back().second.append(line.substr(1));
      continue;
    }
    auto colon = line.find(": ");
    if (colon == std::string_view::npos)
      continue;
    fields.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
  }
  return fields;
}

std::string field(const std::vector<std::pair<std::string, std::string>>& fields,
                  std::string_view key) {
  for (const auto& [k, v] : fields)
    if (k == key)
      return std::string(util::trim(v));
  return {};
}

/// "key=value" lines (java.util.Properties, as Maven writes pom.properties).
std::string property(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    auto line = util::trim(util::next_line(text));
    if (line.empty() || line.front() == '#' || line.front() == '!')
      continue;
    auto eq = line.find_first_of("=:");
    if (eq != std::string_view::npos && util::trim(line.substr(0, eq)) == key)
      return std::string(util::trim(line.substr(eq + 1)));
  }
  return {};
}

struct walker {
  std::string_view layer;
  inventory& out;
  budget b;

  void archive(std::string_view bytes, const std::string& where, int depth) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
    if (!src) {
      zip_error_fini(&err);
      out.notes.push_back("java: " + where + ": cannot read the archive");
      return;
    }
    std::unique_ptr<zip_t, zip_closer> z(zip_open_from_source(src, ZIP_RDONLY, &err));
    if (!z) {
      zip_source_free(src);
      out.notes.push_back("java: " + where + ": not a valid zip archive ("
                          + zip_error_strerror(&err) + ")");
      zip_error_fini(&err);
      return;
    }
    zip_error_fini(&err);
    zip_int64_t n = zip_get_num_entries(z.get(), 0);
    if (n < 0 || uint64_t(n) > max_entries) {
      out.notes.push_back("java: " + where + ": too many entries");
      return;
    }
    std::string manifest;
    std::vector<std::pair<std::string, std::string>> poms; // entry, text
    std::vector<std::pair<zip_uint64_t, std::string>> nested;
    for (zip_int64_t i = 0; i < n; ++i) {
      zip_stat_t st;
      if (zip_stat_index(z.get(), i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)
          || !(st.valid & ZIP_STAT_SIZE))
        continue;
      std::string_view entry = st.name;
      std::string text;
      if (entry == "META-INF/MANIFEST.MF") {
        if (read_member(z.get(), i, st.size, max_member_size, b, text))
          manifest = std::move(text);
      } else if (entry.starts_with("META-INF/maven/") && entry.ends_with("/pom.properties")) {
        if (read_member(z.get(), i, st.size, max_member_size, b, text))
          poms.emplace_back(std::string(entry), std::move(text));
        else
          out.notes.push_back("java: " + where + "!/" + std::string(entry)
                              + ": not read (over the size budget or damaged)");
      } else if (archive_name(entry)) {
        nested.emplace_back(i, std::string(entry));
      }
    }
    bool found = false;
    for (const auto& [entry, pom] : poms) {
      auto group = property(pom, "groupId"), artifact = property(pom, "artifactId"),
           version = property(pom, "version");
      if (group.empty() || artifact.empty() || !util::valid_token(version)) {
        out.notes.push_back("java: " + where + "!/" + entry
                            + ": no groupId, artifactId or valid version; not listed");
        continue;
      }
      add(group + ":" + artifact, version, where);
      found = true;
    }
    if (!found && !manifest.empty()) {
      auto fields = manifest_main(manifest);
      auto name = field(fields, "Implementation-Title");
      auto version = field(fields, "Implementation-Version");
      if (name.empty() || version.empty()) {
        name = field(fields, "Bundle-SymbolicName");
        name = name.substr(0, name.find(';')); // "org.foo;singleton:=true"
        version = field(fields, "Bundle-Version");
      }
      if (!name.empty() && util::valid_token(version)) {
        add(name, version, where);
        found = true;
      }
    }
    if (!found && nested.empty())
      out.notes.push_back("java: " + where
                          + ": no pom.properties and no name and version in its manifest; not listed");
    for (const auto& [index, entry] : nested) {
      auto nested_where = where + "!/" + entry;
      if (depth + 1 > max_depth) {
        out.notes.push_back("java: " + nested_where + ": nested deeper than "
                            + std::to_string(max_depth) + " archives, not read");
        out.complete = false;
        continue;
      }
      zip_stat_t st;
      std::string bytes;
      if (zip_stat_index(z.get(), index, 0, &st) != 0
          || !read_member(z.get(), index, st.size, max_nested_size, b, bytes)) {
        out.notes.push_back("java: " + nested_where + ": not read (over the size budget or damaged)");
        out.complete = false;
        continue;
      }
      archive(bytes, nested_where, depth + 1);
    }
  }

  void add(std::string name, const std::string& version, const std::string& where) {
    package p;
    p.ecosystem = "Maven";
    p.name = std::move(name);
    p.version = version;
    p.source_name = p.name;
    p.source_version = version;
    p.file = where;
    p.layer.assign(layer);
    out.packages.push_back(std::move(p));
  }
};

} // namespace

bool java_cataloger::wants(std::string_view path) const {
  return archive_name(path);
}

void java_cataloger::parse(std::string_view path, std::string_view content,
                           std::string_view layer, const os_info&, inventory& out) const {
  walker w{layer, out, {}};
  w.archive(content, std::string(path), 0);
}

} // namespace regscan
