// regscan-analyze: runs the real image analyzer over layer blobs on disk
// (gzip, zstd or plain tar, base layer first) and prints the inventory as
// JSON. For the truth tests and the benchmark: the same code path as a scan,
// without a registry.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "scanners/layer/image_analyzer.hpp"
#include "scanners/json_writer.hpp"
#include "scanners/malware/malware_scanner.hpp"
#include "scanners/secrets/secret_scanner.hpp"

namespace {

void write_malware(regscan::json_writer& w, const regscan::malware_finding& f) {
  w.begin_object()
    .field("path", f.path)
    .field("signature", f.signature)
    .field("source", f.source)
    .field("type", f.type)
    .field("severity", f.severity)
    .field("layer", f.layer)
    .field("deleted", f.deleted)
    .end_object();
}

int usage() {
  std::cerr << "usage: regscan-analyze [--summary] [--secrets] [--malware DIR] <layer blob>...\n"
               "  prints the inventory of the image the layers make, as JSON\n"
               "  --summary: only counts (for benchmarks)\n"
               "  --secrets: also look for secrets with the built-in rules (fingerprints\n"
               "             are keyed with a fixed key: not comparable with regscand's)\n"
               "  --malware DIR: also look for malware with the signature files of DIR\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  using namespace regscan;
  bool summary = false, secrets = false;
  std::string malware_dir;
  std::vector<std::string> layers;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--summary")
      summary = true;
    else if (a == "--secrets")
      secrets = true;
    else if (a == "--malware" && i + 1 < argc)
      malware_dir = argv[++i];
    else if (a == "-h" || a == "--help")
      return usage();
    else
      layers.push_back(a);
  }
  if (layers.empty())
    return usage();

  image_analyzer analyzer;
  if (secrets) {
    auto scanner = secret_scanner::build(secret_ruleset{}, "regscan-analyze");
    if (!scanner) {
      std::cerr << "regscan-analyze: " << scanner.err().message << "\n";
      return 1;
    }
    analyzer.look_for_secrets(*scanner);
  }
  std::shared_ptr<const malware_scanner> malware;
  if (!malware_dir.empty()) {
    auto loaded = malware_scanner::load(malware_dir);
    if (!loaded) {
      std::cerr << "regscan-analyze: " << loaded.err().message << "\n";
      return 1;
    }
    malware = *loaded;
    analyzer.look_for_malware(malware);
  }
  std::vector<unsigned char> buf(1 << 20);
  for (const auto& path : layers) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
      std::cerr << "regscan-analyze: cannot open " << path << "\n";
      return 1;
    }
    analyzer.begin_layer(path);
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0)
      if (!analyzer.feed(buf.data(), n))
        break; // noted in the inventory
    std::fclose(f);
    (void)analyzer.end_layer();
  }
  auto inv = analyzer.finish();

  json_writer w;
  w.begin_object();
  w.key("os").begin_object()
    .field("id", inv.os.id)
    .field("version_id", inv.os.version_id)
    .field("version_codename", inv.os.version_codename)
    .field("pretty_name", inv.os.pretty_name)
    .end_object();
  w.field("complete", inv.complete);
  w.field("notes", inv.notes);
  w.field("package_count", static_cast<uint64_t>(inv.packages.size()));
  if (secrets) {
    w.field("secrets_complete", inv.secrets_complete);
    w.field("secret_count", static_cast<uint64_t>(inv.secrets.size()));
  }
  if (malware) {
    w.field("malware_complete", inv.malware_complete);
    w.field("malware_count", static_cast<uint64_t>(inv.malware.size()));
    w.field("malware_load_seconds", malware->load_seconds());
    w.field("malware_files_scanned", malware->scanned());
    w.field("malware_cache_hits", malware->cache_hits());
  }
  if (!summary) {
    if (malware) {
      w.key("malware").begin_array();
      for (const auto& f : inv.malware)
        write_malware(w, f);
      w.end_array();
    }
    w.key("packages").begin_array();
    for (const auto& p : inv.packages) {
      w.begin_object()
        .field("ecosystem", p.ecosystem)
        .field("name", p.name)
        .field("version", p.version)
        .field("source_name", p.source_name)
        .field("source_version", p.source_version)
        .field("file", p.file)
        .field("layer", p.layer)
        .field("owner", p.owner);
      if (!p.kind.empty()) // not from the registry: never matched
        w.field("kind", p.kind).field("source_url", p.source_url);
      w.end_object();
    }
    w.end_array();
    if (secrets) {
      w.key("secrets").begin_array();
      for (const auto& f : inv.secrets)
        w.begin_object()
          .field("rule_id", f.rule_id)
          .field("severity", f.severity)
          .field("location", f.location)
          .field("line", f.line)
          .field("masked", f.masked)
          .field("layer", f.layer)
          .field("deleted", f.deleted)
          .end_object();
      w.end_array();
    }
    w.key("linked_files").begin_array();
    for (const auto& l : inv.linked_files)
      w.begin_object().field("file", l.file).field("also_at", l.also_at).end_object();
    w.end_array();
  }
  w.end_object();
  std::cout << w.take() << "\n";
  return inv.complete ? 0 : 3;
}
