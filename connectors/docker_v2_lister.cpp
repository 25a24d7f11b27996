// docker-v2: /v2/_catalog and /v2/<name>/tags/list through oci_client. For
// registries without a catalog (Docker Hub, GHCR) the configured list is
// used instead: "org/repo" entries as they are.
#include "connectors/registry_lister.hpp"

namespace regscan {

namespace {

class docker_v2_lister : public registry_lister {
 public:
  docker_v2_lister(const lister_config& cfg, oci_client& registry)
    : configured_(cfg.repositories), registry_(registry) {}

  expected<std::vector<std::string>> repositories() override {
    if (!configured_.empty())
      return configured_;
    return registry_.catalog();
  }

  expected<std::vector<listed_artifact>> artifacts(const std::string& repo) override {
    auto tags = registry_.tags(repo);
    if (!tags)
      return tags.err();
    // The tag list carries no digests: sync resolves each with a HEAD.
    std::vector<listed_artifact> out;
    out.reserve(tags->size());
    for (auto& t : *tags)
      out.push_back(listed_artifact{{}, {t}, 0, {}, {}, {}});
    return out;
  }

 private:
  std::vector<std::string> configured_;
  oci_client& registry_;
};

} // namespace

std::unique_ptr<registry_lister> make_docker_v2_lister(const lister_config& cfg, oci_client& registry) {
  return std::make_unique<docker_v2_lister>(cfg, registry);
}

} // namespace regscan
