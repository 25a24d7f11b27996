#pragma once
// Build history: the image config's history (one entry per Dockerfile step,
// empty_layer for steps such as ENV that add no layer) lined up with the
// manifest's layers, so a package or finding can name the step that brought
// it in.
#include <string>
#include <string_view>
#include <vector>

namespace regscan {

struct history_step {
  std::string created_by; // "/bin/sh -c apt-get install -y curl", "ENV A=b", ...
  std::string created;    // RFC 3339, as the config says
  std::string comment;
  bool empty_layer = false;
  std::string layer;      // the layer this step made; empty for empty_layer steps
};

/// The config's history as it is, in order, with no layers set; empty, with
/// `why` set, when the config has none or is not JSON.
std::vector<history_step> read_history(std::string_view config_json, std::string* why = nullptr);

/// Sets each layer-making step's layer when their count equals the layers';
/// false, changing nothing, when it does not.
bool assign_layers(std::vector<history_step>& steps, const std::vector<std::string>& layers);

/// Steps in order. When the config has no usable history, or its non-empty
/// steps do not match the layer count, each layer gets a step with an empty
/// created_by (and `note` says why), so every layer still has an entry.
std::vector<history_step> line_up_history(std::string_view config_json,
                                          const std::vector<std::string>& layers,
                                          std::string* note = nullptr);

/// The step that made `layer`: its created_by, or "" when unknown.
std::string step_for_layer(const std::vector<history_step>& steps, std::string_view layer);

} // namespace regscan
