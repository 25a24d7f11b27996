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

} // namespace

std::vector<history_step> line_up_history(std::string_view config_json,
                                          const std::vector<std::string>& layers,
                                          std::string* note) {
  auto fallback = [&](std::string why) {
    if (note)
      *note = std::move(why);
    return one_per_layer(layers);
  };
  if (config_json.empty())
    return fallback("no image config");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(config_json.data(), config_json.size()).get(doc) != simdjson::SUCCESS)
    return fallback("image config is not JSON");
  simdjson::dom::array history;
  if (doc["history"].get_array().get(history) != simdjson::SUCCESS)
    return fallback("image config has no history");
  std::vector<history_step> steps;
  size_t with_layer = 0;
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
    if (!s.empty_layer)
      ++with_layer;
    steps.push_back(std::move(s));
  }
  if (with_layer != layers.size())
    return fallback("image config history has " + std::to_string(with_layer)
                    + " layer steps for " + std::to_string(layers.size()) + " layers");
  size_t next = 0;
  for (auto& s : steps)
    if (!s.empty_layer)
      s.layer = layers[next++];
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
