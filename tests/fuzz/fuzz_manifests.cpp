// What a registry sends about an image: every input goes through the
// manifest media-type check, the image manifest, index and config readers.
// Besides not crashing, what they accept must keep the limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/manifest_parsing.hpp"
#include "connectors/sha256.hpp"

using namespace regscan;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)manifest_media_type(in, "application/vnd.oci.image.manifest.v1+json; charset=utf-8", "fuzz");
  if (auto img = parse_image_manifest(in, "fuzz/repo", "sha256:0", "")) {
    if (img->layers.size() > max_manifest_layers)
      std::abort();
    for (auto& l : img->layers)
      if (!is_sha256_digest(l.digest))
        std::abort();
  }
  if (auto entries = parse_index(in, "fuzz")) {
    if (entries->size() > max_index_entries)
      std::abort();
    for (auto& e : *entries)
      if (!is_sha256_digest(e.digest))
        std::abort();
  }
  oci_image img;
  img.config_json = std::string(in);
  read_image_config(img);
  return 0;
}
