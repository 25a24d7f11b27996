#pragma once
// What the actors of regscand share: the use-cases' services and the
// directory of registry actors.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/actors.hpp"
#include "daemon/services.hpp"

namespace regscan {

class daemon_context : public services {
 public:
  void add_registry_actor(const std::string& name, registry_actor handle);
  std::optional<registry_actor> registry_actor_for(const std::string& name) const;
  /// Removes and returns the actor, so the caller can stop it.
  std::optional<registry_actor> remove_registry_actor(const std::string& name);
  /// Removes and returns them all (shutdown).
  std::vector<registry_actor> take_registry_actors();

 private:
  mutable std::mutex mtx_;
  std::map<std::string, registry_actor> registries_;
};

} // namespace regscan
