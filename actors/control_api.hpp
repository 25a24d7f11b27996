#pragma once
// The control socket's API: HTTP/1.1 + JSON, the way dockerd's socket works,
// so `curl --unix-socket var/regscand.sock http://x/images` works too.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/actors.hpp"
#include "actors/http_server.hpp"
#include "actors/rematch.hpp"
#include "storage/records.hpp"

namespace regscan {

class daemon_context;

class control_api {
 public:
  /// Resumes the re-match the store's backlog still owes (an import or a
  /// re-match cut short by a crash) and runs one whenever a result is stored
  /// that an import has made stale.
  control_api(caf::actor_system& sys, daemon_context& ctx, supervisor_actor supervisor);
  ~control_api();

  http_reply handle(const http_exchange& ex);

  /// Whether a re-match is writing (shutdown waits for it).
  bool rematch_running() const;

 private:
  http_reply route(const http_exchange& ex);
  http_reply add_registry(const std::string& body);
  http_reply edit_registry(const std::string& name, const std::string& body);
  http_reply list_registries();
  http_reply show_registry(const std::string& name);
  http_reply delete_registry(const std::string& name);
  http_reply test_registry(const std::string& name);
  http_reply start_sync(const std::string& body);
  http_reply sync_status(const std::string& name);
  http_reply list_images(int64_t new_since);
  http_reply show_image(const std::string& ref, bool findings, bool packages);
  http_reply start_scan(const std::string& body);
  http_reply cancel_scan(const std::string& body);
  http_reply list_tasks();
  /// Every kept task, as the supervisor sees it (with why and until when it waits).
  expected<std::vector<task_record>> supervised_tasks();
  http_reply db_import(std::string_view query, const std::string& body);
  http_reply db_update(const std::string& body);
  http_reply db_status();
  http_reply rematch_status();
  /// Re-matches stored inventories after an import changed these packages.
  uint64_t start_rematch(package_keys changed);

  /// The images a user's reference names: [registry/]repo[:tag|@digest], a
  /// digest or image ID (or a prefix of one of at least 12 hex digits).
  std::vector<image_record> find_images(const std::string& ref, std::string& error);

  caf::actor_system& sys_;
  daemon_context& ctx_;
  supervisor_actor supervisor_;
  std::shared_ptr<rematch_queue> rematch_;
};

} // namespace regscan
