#include "scanners/lang/dotnet_cataloger.hpp"

#include <simdjson.h>

#include <string>

#include "scanners/cataloger_util.hpp"

namespace regscan {

namespace dom = simdjson::dom;

bool dotnet_cataloger::wants(std::string_view path) const {
  return path.ends_with(".deps.json") && util::base_name(path).size() > 10;
}

void dotnet_cataloger::parse(std::string_view path, std::string_view content,
                             std::string_view layer, const os_info&, inventory& out) const {
  auto fail = [&](std::string why) {
    out.notes.push_back("dotnet: " + std::string(path) + ": " + why);
  };
  simdjson::padded_string padded{content};
  dom::parser parser;
  dom::element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS)
    return fail(std::string("not valid JSON: ") + simdjson::error_message(err));
  dom::object libraries;
  if (root["libraries"].get_object().get(libraries) != simdjson::SUCCESS)
    return fail("no \"libraries\" object");
  for (auto [key, value] : libraries) {
    std::string_view type;
    if (value["type"].get_string().get(type) != simdjson::SUCCESS) {
      fail("library " + std::string(key) + " has no type; not listed");
      continue;
    }
    if (type != "package") { // "project" and "reference" entries are the app itself
      fail("library " + std::string(key) + " of type " + std::string(type)
           + ": the application's own code, not listed");
      continue;
    }
    auto slash = key.find('/');
    auto name = key.substr(0, slash);
    auto version = slash == std::string_view::npos ? std::string_view{} : key.substr(slash + 1);
    if (!util::valid_token(name) || !util::valid_token(version)) {
      fail("library key " + std::string(key) + " is not of the form Name/Version; not listed");
      continue;
    }
    out.packages.push_back(util::language_package("NuGet", name, version, path, layer));
  }
}

} // namespace regscan
