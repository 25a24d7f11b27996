#pragma once
// The control socket's API: HTTP/1.1 + JSON, the way dockerd's socket works,
// so `curl --unix-socket var/regscand.sock http://x/images` works too.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/actors.hpp"
#include "daemon/front/http_server.hpp"
#include "actors/vulndb.hpp"
#include "storage/records.hpp"

namespace regscan {

class daemon_context;

class control_api {
 public:
  control_api(caf::actor_system& sys, daemon_context& ctx, supervisor_actor supervisor,
              vulndb_actors vulndb);

  http_reply handle(const http_exchange& ex);

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
  http_reply show_image(std::string_view query);
  http_reply list_secret_rules();
  http_reply import_secret_rules(const std::string& body);
  http_reply malware_db_status();
  http_reply malware_db_reload();
  http_reply malware_db_import(std::string_view query, const std::string& body);
  http_reply start_scan(const std::string& body);
  http_reply cancel_scan(const std::string& body);
  http_reply list_tasks();
  http_reply list_workers();
  /// Every kept task, as the supervisor sees it (with why and until when it waits).
  expected<std::vector<task_record>> supervised_tasks();
  http_reply db_import(std::string_view query, const std::string& body);
  http_reply db_update(const std::string& body);
  http_reply db_status();
  http_reply rematch_status();
  /// Sends an import or update to the vulnerability-database actor and
  /// renders its answer.
  template <class... Ts>
  http_reply vulndb_reply(Ts&&... request);

  // The console's operations (control_ops.cpp): licenses, the scheduled
  // scan, exceptions.
  std::optional<http_reply> route_ops(const http_exchange& ex, const std::string& path,
                                      std::string_view query);
  http_reply change_authorization(const std::string& body, bool authorize);
  http_reply license_show();
  http_reply schedule_show();
  http_reply schedule_set(const std::string& body);
  http_reply schedule_disable();
  http_reply list_exceptions();
  http_reply add_exception(const http_exchange& ex);
  http_reply remove_exception(const std::string& id);
  /// Every stored exception (none when they cannot be read: logged).
  std::vector<exception_record> exceptions_now();
  /// The image as shown: its accepted findings do not count.
  image_record shown_image(const image_record& img, const std::vector<exception_record>& exceptions);

  caf::actor_system& sys_;
  daemon_context& ctx_;
  supervisor_actor supervisor_;
  vulndb_actors vulndb_;
};

} // namespace regscan
