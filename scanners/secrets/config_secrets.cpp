#include "scanners/secrets/config_secrets.hpp"

#include <simdjson.h>

#include "scanners/layer/history.hpp"
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
  // steps line up with the layers (else no step names one).
  auto steps = read_history(config_json);
  assign_layers(steps, layers);
  for (size_t i = 0; i < steps.size(); ++i)
    if (!steps[i].created_by.empty())
      scan("history:" + std::to_string(i), steps[i].created_by, steps[i].layer);
  return out;
}

} // namespace regscan
