#pragma once
// Reading what a registry sends about an image: manifests, indexes and image
// configs. Bytes in, records out, no I/O: oci_client fetches, these parse
// (and tests/fuzz/fuzz_manifests feeds them hostile bytes).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scanners/expected.hpp"

namespace regscan {

struct oci_layer {
  std::string digest;
  std::string media_type;
  uint64_t size = 0;
};

/// One platform image.
struct oci_image {
  std::string repository, tag;       // tag empty when resolved by digest
  std::string manifest_digest;       // digest of the platform manifest
  std::string index_digest;          // digest of the index/list it came from, empty if none
  std::string index_media_type;      // media type of that index/list
  std::string media_type;            // of the platform manifest
  std::string config_digest;         // image ID
  uint64_t size = 0;                 // sum of layer sizes
  std::string os, architecture, variant, created; // from the config blob
  std::vector<oci_layer> layers;
  std::vector<std::string> diff_ids; // rootfs.diff_ids from the config
  std::string config_json;           // raw config blob (history etc.), <= 4 MiB; "" for artifacts
  /// "" for a container image; else what the artifact is (its artifactType,
  /// or its config's media type, e.g. application/vnd.cncf.helm.config.v1+json,
  /// or the media type of its first layer): listed, never scanned, and its
  /// config blob is not fetched.
  std::string artifact_type;
};

/// More layers in one manifest, or more entries in one index, is
/// errc::limit: real images stay far below (Docker stops at 127 layers).
constexpr size_t max_manifest_layers = 500;
constexpr size_t max_index_entries = 256;

/// True for a Docker manifest list or an OCI index.
bool is_index_media_type(std::string_view media_type);

/// The media type of a fetched manifest: its mediaType field, else the
/// Content-Type the registry sent, else told by shape (OCI may omit both).
/// Not JSON, or a schema 1 manifest, is an error naming `what`.
expected<std::string> manifest_media_type(std::string_view body, std::string_view content_type,
                                          const std::string& what);

/// The artifact type of a manifest that is not a container image, or "":
/// an OCI 1.1 artifactType, a config that is not an image config, or layers
/// none of which is a filesystem layer (signatures, attestations).
std::string artifact_type_of(std::string_view artifact_type, std::string_view config_media_type,
                             const std::vector<std::string>& layer_media_types);

/// An image manifest's config digest, layers and artifact type; the config
/// blob's fields stay empty (see read_image_config).
expected<oci_image> parse_image_manifest(std::string_view body, const std::string& repo,
                                         const std::string& digest, const std::string& media_type);

/// Fills os, architecture, variant, created and diff_ids from img.config_json.
/// A config that is not an image config leaves them empty.
void read_image_config(oci_image& img);

/// A platform manifest an index lists.
struct index_entry {
  std::string digest, os, architecture, variant;
};

/// The platform manifests of an index: nested indexes and attestations
/// (BuildKit's unknown/unknown entries) are left out.
expected<std::vector<index_entry>> parse_index(std::string_view body, const std::string& what);

} // namespace regscan
