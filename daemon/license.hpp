#pragma once
// Licensing: an image must be authorized before it is scanned, and each
// authorized image uses one license of the configured quota ([license]
// quota). "An image" is one image record of the inventory: one platform
// manifest of one repository (its key), so two tags of one digest are one
// image, and each platform of a multi-arch index is one. Without a quota
// every image is authorized (and records stored before licensing existed
// load as authorized), so nothing changes for an install that sets none.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

struct services;

struct license_status {
  bool limited = false; // a quota is configured
  int64_t quota = -1;   // -1: no quota
  int64_t used = 0;     // authorized images
  int64_t free = 0;     // max(quota - used, 0); -1 without a quota
  bool auto_authorize = false;
};

/// What an authorization or unauthorization did.
struct license_change {
  std::vector<std::string> changed;   // image keys whose status changed
  std::vector<std::string> unchanged; // already so
  license_status after;
};

/// The quota, and how many licenses authorized images use.
expected<license_status> license_status_of(services& ctx);

/// Authorizes the images (keys). All or nothing: when the images not yet
/// authorized need more licenses than remain, nothing changes and the error
/// (errc::limit) says how many are needed and how many remain.
expected<license_change> authorize_images(services& ctx, const std::vector<std::string>& keys);

/// Takes the authorization of the images back: their licenses are free again.
/// Without a quota images cannot be unauthorized (errc::invalid).
expected<license_change> unauthorize_images(services& ctx, const std::vector<std::string>& keys);

/// Whether an image may be scanned: authorized, or no quota configured.
bool may_scan(const services& ctx, const image_record& img);

/// Decides the authorization of the new images a sync stores, in order:
/// without a quota all are; with one, while licenses remain when
/// auto_authorize is on, else none. Holds the license lock while `store_all`
/// runs, which calls `decide()` once per new image.
expected<void> license_new_images(services& ctx,
                                  const std::function<expected<void>(const std::function<bool()>& decide)>& store_all);

} // namespace regscan
