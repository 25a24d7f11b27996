#include "actors/daemon_context.hpp"

namespace regscan {

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
