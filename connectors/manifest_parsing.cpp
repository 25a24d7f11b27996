#include "connectors/manifest_parsing.hpp"

#include "connectors/json_fields.hpp"
#include "connectors/sha256.hpp"

namespace regscan {
namespace {

constexpr std::string_view docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";

} // namespace

bool is_index_media_type(std::string_view media_type) {
  return media_type == docker_list || media_type == oci_index;
}

expected<std::string> manifest_media_type(std::string_view body, std::string_view content_type,
                                          const std::string& what) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!json::parse(parser, body, doc))
    return make_error(errc::corrupt, "manifest " + what + " is not valid JSON");
  auto media_type = json::str(doc, "mediaType");
  if (media_type.empty())
    media_type = std::string(content_type.substr(0, content_type.find(';')));
  if (json::i64(doc, "schemaVersion", 2) == 1
      || media_type.starts_with("application/vnd.docker.distribution.manifest.v1"))
    return make_error(errc::invalid, "manifest " + what + ": schema 1 manifests are not supported");
  if (media_type.empty() || media_type == "application/json") {
    // OCI allows omitting mediaType: tell by shape.
    simdjson::dom::array a;
    media_type = !doc["manifests"].get(a) ? oci_index : oci_manifest;
  }
  return media_type;
}

std::string artifact_type_of(std::string_view artifact_type, std::string_view config_media_type,
                             const std::vector<std::string>& layer_media_types) {
  if (!artifact_type.empty())
    return std::string(artifact_type);
  // Schema 2 and OCI image configs; Docker manifests always name theirs.
  if (!config_media_type.empty() && config_media_type != "application/vnd.oci.image.config.v1+json"
      && config_media_type != "application/vnd.docker.container.image.v1+json")
    return std::string(config_media_type);
  auto filesystem = [](std::string_view t) {
    return t.empty() || t.find(".image.layer.") != std::string_view::npos
           || t.find(".image.rootfs.") != std::string_view::npos;
  };
  for (auto& t : layer_media_types)
    if (filesystem(t))
      return {};
  return layer_media_types.empty() ? std::string{} : layer_media_types.front();
}

expected<oci_image> parse_image_manifest(std::string_view body, const std::string& repo,
                                         const std::string& digest, const std::string& media_type) {
  const auto what = "manifest " + repo + "@" + digest;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!json::parse(parser, body, doc))
    return make_error(errc::corrupt, "manifest " + digest + " is not valid JSON");
  oci_image img;
  img.repository = repo;
  img.manifest_digest = digest;
  img.media_type = media_type;
  const auto artifact_type = json::str(doc, "artifactType");
  simdjson::dom::element config;
  if (doc["config"].get(config)) {
    if (artifact_type.empty())
      return make_error(errc::invalid, what + " has no config");
    img.artifact_type = artifact_type; // an OCI artifact manifest: no config at all
    return img;
  }
  img.config_digest = json::str(config, "digest");
  if (!is_sha256_digest(img.config_digest))
    return make_error(errc::invalid, what + " has an unsupported config digest");
  std::vector<std::string> layer_types;
  simdjson::dom::array layers;
  if (!doc["layers"].get(layers)) {
    if (layers.size() > max_manifest_layers)
      return make_error(errc::limit, what + " has " + std::to_string(layers.size())
                                       + " layers, more than the limit of "
                                       + std::to_string(max_manifest_layers));
    for (auto l : layers) {
      oci_layer layer{json::str(l, "digest"), json::str(l, "mediaType"), json::u64(l, "size")};
      if (!is_sha256_digest(layer.digest))
        return make_error(errc::invalid, what + " has an unsupported layer digest");
      img.size += layer.size;
      layer_types.push_back(layer.media_type);
      img.layers.push_back(std::move(layer));
    }
  }
  img.artifact_type = artifact_type_of(artifact_type, json::str(config, "mediaType"), layer_types);
  return img;
}

void read_image_config(oci_image& img) {
  simdjson::dom::parser parser;
  simdjson::dom::element cfg;
  // Non-image artifacts may carry a config that is not an image config.
  if (!json::parse(parser, img.config_json, cfg))
    return;
  img.os = json::str(cfg, "os");
  img.architecture = json::str(cfg, "architecture");
  img.variant = json::str(cfg, "variant");
  img.created = json::str(cfg, "created");
  simdjson::dom::array ids;
  if (!cfg["rootfs"]["diff_ids"].get(ids))
    for (auto id : ids) {
      std::string_view v;
      if (!id.get(v))
        img.diff_ids.emplace_back(v);
    }
}

expected<std::vector<index_entry>> parse_index(std::string_view body, const std::string& what) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array entries;
  if (!json::parse(parser, body, doc) || doc["manifests"].get(entries))
    return make_error(errc::invalid, "index " + what + " has no manifests");
  if (entries.size() > max_index_entries)
    return make_error(errc::limit, "index " + what + " has " + std::to_string(entries.size())
                                     + " entries, more than the limit of "
                                     + std::to_string(max_index_entries));
  std::vector<index_entry> wanted;
  for (auto e : entries) {
    if (is_index_media_type(json::str(e, "mediaType")))
      continue; // nested indexes are not expanded
    simdjson::dom::element platform;
    index_entry x{json::str(e, "digest"), {}, {}, {}};
    if (!e["platform"].get(platform)) {
      x.os = json::str(platform, "os");
      x.architecture = json::str(platform, "architecture");
      x.variant = json::str(platform, "variant");
    }
    // BuildKit attaches attestations as "unknown/unknown" platform entries.
    if (x.os == "unknown" && x.architecture == "unknown")
      continue;
    std::string_view ref_type;
    if (!e["annotations"]["vnd.docker.reference.type"].get(ref_type)
        && ref_type == "attestation-manifest")
      continue;
    if (!is_sha256_digest(x.digest))
      return make_error(errc::invalid, "index " + what + " lists an unsupported digest");
    wanted.push_back(std::move(x));
  }
  return wanted;
}

} // namespace regscan
