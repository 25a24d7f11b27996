#pragma once
// What a scan request asks for, turned into what the supervisor queues: the
// images in scope (named ones, all, or the newest tag of each repository),
// those not authorized set apart with the reason, the risk categories, and
// the images that share an image ID grouped so that each group is scanned
// once and its result recorded for all.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

struct services;

/// The risk categories a scan may look for, in their order.
inline constexpr std::string_view scan_categories[] = {"vulns", "secrets", "malware"};

/// Whether this daemon has an engine for the category: vulns always, secrets
/// when [secrets] enabled; malware when its engine is plugged in (see run_scan).
bool category_available(const services& ctx, std::string_view category);

enum class scan_scope { named, all, latest };

struct scan_ask {
  scan_scope scope = scan_scope::named;
  std::vector<std::string> refs;       // scope named: image references (image_refs.hpp)
  std::vector<std::string> categories; // empty: every available one
  bool dedupe = true;                  // images with one image ID are scanned once
  /// More selection (the list filters' grammar plugs in here): images it
  /// rejects are left out. Unset = all in scope.
  std::function<bool(const image_record&)> filter;
};

/// One scan: the image scanned, and the images that get its result.
struct scan_group {
  std::string key;
  std::vector<std::string> shares_with;
};

struct scan_selection {
  std::vector<scan_group> groups;
  /// Images in scope that are not scanned, each with why ("not authorized ...").
  std::vector<std::pair<std::string, std::string>> refused;
  std::vector<std::string> categories;  // asked and available (the task's)
  std::vector<std::string> unavailable; // asked, but no engine here
};

/// Known category names, or errc::invalid naming the unknown one.
expected<std::vector<std::string>> parse_categories(const std::vector<std::string>& names);

/// The newest tag of each repository by push time (then the config's
/// creation time, then the sync time): every platform image of that tag.
std::vector<image_record> latest_per_repository(const std::vector<image_record>& images);

/// Groups the images by image ID (config digest), in order of first
/// appearance; without dedupe (or an image ID) each image is its own group.
std::vector<scan_group> group_by_image_id(const std::vector<image_record>& images, bool dedupe);

/// The selection of a request. errc::not_found when a named reference names
/// no image; errc::invalid for an unknown category.
expected<scan_selection> select_for_scan(services& ctx, const scan_ask& ask);

} // namespace regscan
