#include "daemon/front/control_access.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "scanners/json_writer.hpp"

namespace regscan {

namespace {

std::optional<gid_t> group_id(const std::string& name) {
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  while (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) == ERANGE)
    buf.resize(buf.size() * 2);
  if (!found)
    return std::nullopt;
  return found->gr_gid;
}

/// The peer's primary gid at connect, and the primary and supplementary
/// groups of its uid's passwd entry.
std::vector<gid_t> groups_of(const peer_credentials& peer) {
  std::vector<gid_t> out{peer.gid};
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  while (::getpwuid_r(peer.uid, &pw, buf.data(), buf.size(), &found) == ERANGE)
    buf.resize(buf.size() * 2);
  if (!found)
    return out;
  int count = 64;
  std::vector<gid_t> groups(count);
  if (::getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count) == -1) {
    groups.resize(count); // count is now the number needed
    if (::getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count) == -1)
      count = 0;
  }
  groups.resize(count);
  out.push_back(found->pw_gid);
  out.insert(out.end(), groups.begin(), groups.end());
  return out;
}

bool member_of(const std::vector<gid_t>& groups, const std::string& group_name) {
  if (group_name.empty())
    return false;
  auto gid = group_id(group_name);
  return gid && std::find(groups.begin(), groups.end(), *gid) != groups.end();
}

const char* to_string(control_role r) {
  switch (r) {
    case control_role::admin: return "admin";
    case control_role::viewer: return "viewer";
    case control_role::none: return "none";
  }
  return "none";
}

} // namespace

control_role role_of(const std::optional<peer_credentials>& peer, const std::string& admin_group,
                     const std::string& viewer_group) {
  if (!peer)
    return control_role::none;
  if (peer->uid == 0 || peer->uid == ::getuid())
    return control_role::admin;
  auto groups = groups_of(*peer);
  if (member_of(groups, admin_group))
    return control_role::admin;
  if (member_of(groups, viewer_group))
    return control_role::viewer;
  return control_role::none;
}

bool is_read_only(const http_exchange& ex) {
  return ex.method == "GET";
}

std::optional<http_reply> check_control_access(const http_exchange& ex, const daemon_config& cfg) {
  auto role = role_of(ex.peer, cfg.admin_group, cfg.viewer_group);
  bool read_only = is_read_only(ex);
  auto path = ex.target.substr(0, ex.target.find('?'));
  long uid = ex.peer ? static_cast<long>(ex.peer->uid) : -1;
  if (role == control_role::admin || (role == control_role::viewer && read_only)) {
    if (!read_only)
      spdlog::info("control: uid {} ({}) {} {}", uid, to_string(role), ex.method, path);
    return std::nullopt;
  }
  std::string why = role == control_role::viewer
                      ? "a viewer may only read: " + ex.method + " " + path + " needs the admin role"
                      : "uid " + std::to_string(uid) + " has no role on this daemon";
  spdlog::warn("control: uid {} refused: {} {}: {}", uid, ex.method, path, why);
  json_writer w;
  w.begin_object().field("error", why).field("code", regscan::to_string(errc::forbidden)).end_object();
  return http_reply{403, w.take()};
}

expected<void> check_role_groups(const daemon_config& cfg) {
  for (auto* name : {&cfg.admin_group, &cfg.viewer_group})
    if (!name->empty() && !group_id(*name))
      return make_error(errc::not_found, "group " + *name + " does not exist");
  return {};
}

} // namespace regscan
