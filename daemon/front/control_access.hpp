#pragma once
// Who may do what on the control socket. The Unix listener hands every
// request the peer's credentials (SO_PEERCRED); they are checked here against
// two roles from the configuration:
//   admin  - root, the daemon's own uid, members of `admin_group`: everything;
//   viewer - members of `viewer_group`: read-only requests (GET: list, show,
//            export, status);
//   anybody else, or a request without credentials, is refused.
// A peer is a member of a group when it is its primary group (at connect or
// in its passwd entry) or one of its supplementary groups.
#include <optional>
#include <string>

#include "daemon/front/http_server.hpp"
#include "config/daemon_config.hpp"
#include "scanners/expected.hpp"

namespace regscan {

enum class control_role { none, viewer, admin };

/// The role of `peer` under the configured group names (empty = no such role).
control_role role_of(const std::optional<peer_credentials>& peer, const std::string& admin_group,
                     const std::string& viewer_group);

/// Whether a request changes nothing, so that a viewer may make it.
bool is_read_only(const http_exchange& ex);

/// A 403 reply ({"error": ..., "code": "forbidden"}) when the request's peer
/// may not make it, else nothing. Logs every refusal and every state-changing
/// request it lets through with the peer's uid.
std::optional<http_reply> check_control_access(const http_exchange& ex, const daemon_config& cfg);

/// An error (not_found) when admin_group or viewer_group names no group.
expected<void> check_role_groups(const daemon_config& cfg);

} // namespace regscan
