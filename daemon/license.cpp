#include "daemon/license.hpp"

#include <mutex>
#include <set>

#include <spdlog/spdlog.h>

#include "daemon/services.hpp"

namespace regscan {

namespace {

// Counting and changing authorizations is one critical section: two
// requests (or a request and a sync) must not both take the last license.
std::mutex& license_mutex() {
  static std::mutex m;
  return m;
}

expected<license_status> count_locked(services& ctx) {
  license_status st;
  st.limited = ctx.cfg.license_quota >= 0;
  st.quota = ctx.cfg.license_quota;
  st.auto_authorize = ctx.cfg.auto_authorize;
  auto images = ctx.db->list_images();
  if (!images)
    return images.err();
  for (auto& img : *images)
    st.used += img.authorized ? 1 : 0;
  st.free = st.limited ? std::max<int64_t>(st.quota - st.used, 0) : -1;
  return st;
}

expected<license_change> set_authorized(services& ctx, const std::vector<std::string>& keys,
                                        bool to) {
  std::lock_guard lock{license_mutex()};
  auto st = count_locked(ctx);
  if (!st)
    return st.err();
  std::set<std::string> wanted(keys.begin(), keys.end());
  license_change change;
  std::vector<std::string> to_change;
  for (auto& key : wanted) {
    auto img = ctx.db->get_image(key);
    if (!img)
      return img.err();
    (img->authorized == to ? change.unchanged : to_change).push_back(key);
  }
  if (to && st->limited && static_cast<int64_t>(to_change.size()) > st->free)
    return make_error(errc::limit,
                      "authorizing " + std::to_string(to_change.size()) + " image(s) needs "
                        + std::to_string(to_change.size()) + " license(s), but only "
                        + std::to_string(st->free) + " of " + std::to_string(st->quota)
                        + " remain (" + std::to_string(st->used)
                        + " used): nothing was authorized; unauthorize images or raise "
                          "license.quota");
  for (auto& key : to_change) {
    auto ok = ctx.db->update_image(key, [&](image_record& img, bool exists) {
      if (!exists)
        return false;
      img.authorized = to;
      return true;
    });
    if (!ok)
      return ok.err();
    change.changed.push_back(key);
  }
  // An authorization is the user's decision (and spends a license): it must
  // survive a power cut, which image writes alone do not.
  if (!to_change.empty())
    if (auto synced = ctx.db->sync_wal(); !synced)
      return synced.err();
  auto after = count_locked(ctx);
  if (!after)
    return after.err();
  change.after = *after;
  spdlog::info("license: {} image(s) {}; {} of {} licenses used", change.changed.size(),
               to ? "authorized" : "unauthorized", change.after.used,
               change.after.limited ? std::to_string(change.after.quota) : "unlimited");
  return change;
}

} // namespace

expected<license_status> license_status_of(services& ctx) {
  std::lock_guard lock{license_mutex()};
  return count_locked(ctx);
}

expected<license_change> authorize_images(services& ctx, const std::vector<std::string>& keys) {
  return set_authorized(ctx, keys, true);
}

expected<license_change> unauthorize_images(services& ctx, const std::vector<std::string>& keys) {
  if (ctx.cfg.license_quota < 0)
    return make_error(errc::invalid, "no license quota is configured ([license] quota): every "
                                     "image is authorized");
  return set_authorized(ctx, keys, false);
}

bool may_scan(const services& ctx, const image_record& img) {
  return ctx.cfg.license_quota < 0 || img.authorized;
}

expected<void> license_new_images(
  services& ctx, const std::function<expected<void>(const std::function<bool()>& decide)>& store_all) {
  if (ctx.cfg.license_quota < 0)
    return store_all([] { return true; });
  if (!ctx.cfg.auto_authorize)
    return store_all([] { return false; });
  std::lock_guard lock{license_mutex()};
  auto st = count_locked(ctx);
  if (!st)
    return st.err();
  int64_t free = st->free;
  int64_t refused = 0;
  auto ok = store_all([&] {
    if (free > 0) {
      --free;
      return true;
    }
    ++refused;
    return false;
  });
  if (refused > 0)
    spdlog::warn("license: {} new image(s) left unauthorized: all {} licenses are used", refused,
                 st->quota);
  return ok;
}

} // namespace regscan
