#include "scanners/secrets/config_secrets.hpp"

#include <simdjson.h>

#include "scanners/secrets/secret_scanner.hpp"

namespace regscan {

namespace {

std::string joined(simdjson::dom::array args) {
  std::string out;
  for (auto a : args) {
    std::string_view v;
    if (a.get_string().get(v) != simdjson::SUCCESS)
      continue;
    if (!out.empty())
      out += ' ';
    out.append(v);
  }
  return out;
}

} // namespace

std::vector<secret_finding> config_secrets(const secret_scanner& scanner,
                                           std::string_view config_json,
                                           const std::vector<std::string>& layers) {
  std::vector<secret_finding> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(config_json.data(), config_json.size()).get(doc) != simdjson::SUCCESS)
    return out;
  // Env, labels and commands belong to no layer; a build step to the one it made.
  auto scan = [&](const std::string& location, std::string_view text, const std::string& layer) {
    auto first = out.size();
    scanner.scan(location, text, out);
    for (auto i = first; i < out.size(); ++i)
      out[i].layer = layer;
  };

  simdjson::dom::object config;
  if (doc["config"].get_object().get(config) == simdjson::SUCCESS) {
    simdjson::dom::array env;
    if (config["Env"].get_array().get(env) == simdjson::SUCCESS)
      for (auto e : env) {
        std::string_view v;
        if (e.get_string().get(v) != simdjson::SUCCESS)
          continue;
        scan("env:" + std::string(v.substr(0, v.find('='))), v, "");
      }
    simdjson::dom::object labels;
    if (config["Labels"].get_object().get(labels) == simdjson::SUCCESS)
      for (auto [key, value] : labels) {
        std::string_view v;
        if (value.get_string().get(v) != simdjson::SUCCESS)
          continue;
        scan("label:" + std::string(key), std::string(key) + "=" + std::string(v), "");
      }
    for (auto [field, location] : {std::pair{"Cmd", "cmd"}, std::pair{"Entrypoint", "entrypoint"}}) {
      simdjson::dom::array args;
      if (config[field].get_array().get(args) == simdjson::SUCCESS)
        scan(location, joined(args), "");
    }
  }

  // Each step's created_by; a step that made a layer names it when the
  // steps line up with the layers.
  simdjson::dom::array history;
  if (doc["history"].get_array().get(history) != simdjson::SUCCESS)
    return out;
  std::vector<std::pair<std::string, bool>> steps; // created_by, empty_layer
  size_t with_layer = 0;
  for (auto entry : history) {
    std::string_view created_by;
    if (entry["created_by"].get_string().get(created_by) != simdjson::SUCCESS)
      created_by = {};
    bool empty = false;
    if (entry["empty_layer"].get_bool().get(empty) != simdjson::SUCCESS)
      empty = false;
    with_layer += empty ? 0 : 1;
    steps.emplace_back(std::string(created_by), empty);
  }
  bool lined_up = with_layer == layers.size();
  size_t next_layer = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& [created_by, empty] = steps[i];
    std::string layer = lined_up && !empty ? layers[next_layer] : "";
    if (!empty)
      ++next_layer;
    if (!created_by.empty())
      scan("history:" + std::to_string(i), created_by, layer);
  }
  return out;
}

} // namespace regscan
