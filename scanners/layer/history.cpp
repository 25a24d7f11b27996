#include "scanners/layer/history.hpp"

#include <simdjson.h>

namespace regscan {

namespace {

std::vector<history_step> one_per_layer(const std::vector<std::string>& layers) {
  std::vector<history_step> out;
  for (const auto& l : layers) {
    history_step step;
    step.layer = l;
    out.push_back(std::move(step));
  }
  return out;
}

size_t layer_steps(const std::vector<history_step>& steps) {
  size_t n = 0;
  for (const auto& s : steps)
    n += s.empty_layer ? 0 : 1;
  return n;
}

} // namespace

std::vector<history_step> read_history(std::string_view config_json, std::string* why) {
  auto none = [&](const char* reason) {
    if (why)
      *why = reason;
    return std::vector<history_step>{};
  };
  if (config_json.empty())
    return none("no image config");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(config_json.data(), config_json.size()).get(doc) != simdjson::SUCCESS)
    return none("image config is not JSON");
  simdjson::dom::array history;
  if (doc["history"].get_array().get(history) != simdjson::SUCCESS)
    return none("image config has no history");
  std::vector<history_step> steps;
  for (auto entry : history) {
    history_step s;
    std::string_view v;
    if (entry["created_by"].get_string().get(v) == simdjson::SUCCESS)
      s.created_by.assign(v);
    if (entry["created"].get_string().get(v) == simdjson::SUCCESS)
      s.created.assign(v);
    if (entry["comment"].get_string().get(v) == simdjson::SUCCESS)
      s.comment.assign(v);
    bool empty = false;
    if (entry["empty_layer"].get_bool().get(empty) == simdjson::SUCCESS)
      s.empty_layer = empty;
    steps.push_back(std::move(s));
  }
  return steps;
}

bool assign_layers(std::vector<history_step>& steps, const std::vector<std::string>& layers) {
  if (layer_steps(steps) != layers.size())
    return false;
  size_t next = 0;
  for (auto& s : steps)
    if (!s.empty_layer)
      s.layer = layers[next++];
  return true;
}

std::vector<history_step> line_up_history(std::string_view config_json,
                                          const std::vector<std::string>& layers,
                                          std::string* note) {
  std::string why;
  auto steps = read_history(config_json, &why);
  if (steps.empty() && !why.empty()) {
    if (note)
      *note = std::move(why);
    return one_per_layer(layers);
  }
  if (!assign_layers(steps, layers)) {
    if (note)
      *note = "image config history has " + std::to_string(layer_steps(steps)) + " layer steps for "
              + std::to_string(layers.size()) + " layers";
    return one_per_layer(layers);
  }
  if (note)
    note->clear();
  return steps;
}

std::string step_for_layer(const std::vector<history_step>& steps, std::string_view layer) {
  for (const auto& s : steps)
    if (!s.empty_layer && s.layer == layer)
      return s.created_by;
  return {};
}

} // namespace regscan
