#include "actors/daemon_context.hpp"

namespace regscan {

expected<oci_client> daemon_context::client_for(const registry_record& rec,
                                               const std::atomic<bool>* cancel) const {
  registry_credentials creds;
  creds.username = rec.username;
  if (!rec.password_sealed.empty()) {
    auto pw = secrets->open(rec.password_sealed);
    if (!pw)
      return make_error("registry " + rec.name + ": " + pw.err().message);
    creds.password = *pw;
  }
  http_options opts;
  opts.verify_tls = rec.verify_tls;
  opts.cancel = cancel;
  opts.min_transfer_bytes_per_second = static_cast<uint64_t>(cfg.min_transfer_bytes_per_second);
  opts.min_transfer_window = std::chrono::seconds(cfg.min_transfer_window_seconds);
  return oci_client{rec.address, std::move(creds), opts};
}

void daemon_context::add_registry_actor(const std::string& name, registry_actor handle) {
  std::lock_guard<std::mutex> guard{mtx_};
  registries_.insert_or_assign(name, std::move(handle));
}

std::optional<registry_actor> daemon_context::registry_actor_for(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = registries_.find(name);
  if (i == registries_.end())
    return std::nullopt;
  return i->second;
}

std::optional<registry_actor> daemon_context::remove_registry_actor(const std::string& name) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = registries_.find(name);
  if (i == registries_.end())
    return std::nullopt;
  auto handle = i->second;
  registries_.erase(i);
  return handle;
}

std::vector<registry_actor> daemon_context::take_registry_actors() {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<registry_actor> out;
  for (auto& [name, handle] : registries_)
    out.push_back(handle);
  registries_.clear();
  return out;
}

} // namespace regscan
