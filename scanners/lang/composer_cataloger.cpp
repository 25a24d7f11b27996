#include "scanners/lang/composer_cataloger.hpp"

#include <simdjson.h>

#include <string>

#include "scanners/cataloger_util.hpp"

namespace regscan {

namespace dom = simdjson::dom;

bool composer_cataloger::wants(std::string_view path) const {
  return path == "vendor/composer/installed.json"
         || path.ends_with("/vendor/composer/installed.json");
}

void composer_cataloger::parse(std::string_view path, std::string_view content,
                               std::string_view layer, const os_info&, inventory& out) const {
  auto fail = [&](std::string why) {
    out.notes.push_back("composer: " + std::string(path) + ": " + why);
  };
  simdjson::padded_string padded{content};
  dom::parser parser;
  dom::element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS)
    return fail(std::string("not valid JSON: ") + simdjson::error_message(err));
  dom::array packages;
  if (root.get_array().get(packages) != simdjson::SUCCESS
      && root["packages"].get_array().get(packages) != simdjson::SUCCESS)
    return fail("neither an array nor an object with \"packages\"");
  size_t index = 0;
  for (dom::element e : packages) {
    std::string_view name, version;
    ++index;
    if (e["name"].get_string().get(name) != simdjson::SUCCESS
        || e["version"].get_string().get(version) != simdjson::SUCCESS
        || !util::valid_token(name) || !util::valid_token(version)) {
      fail("package #" + std::to_string(index) + (name.empty() ? "" : " (" + std::string(name) + ")")
           + " has no valid name or version; not listed");
      continue;
    }
    // Tags are often "v1.2.3"; Packagist advisories name "1.2.3".
    if (version.size() > 1 && (version[0] == 'v' || version[0] == 'V') && version[1] >= '0'
        && version[1] <= '9')
      version.remove_prefix(1);
    out.packages.push_back(util::language_package("Packagist", name, version, path, layer));
  }
}

} // namespace regscan
