#pragma once
// Secrets in an image's config rather than its files: the environment, the
// labels, Cmd and Entrypoint, and each build step's created_by, where ARG
// and ENV values of a Dockerfile end up.
#include <string>
#include <string_view>
#include <vector>

#include "scanners/types.hpp"

namespace regscan {

class secret_scanner;

/// Scans the config blob; `layers` are the manifest's layer digests, so that a
/// build step's finding names the layer the step made. Locations are
/// "env:NAME", "label:KEY", "cmd", "entrypoint" and "history:N" (0-based step).
/// A config that is not JSON gives no findings.
std::vector<secret_finding> config_secrets(const secret_scanner& scanner,
                                           std::string_view config_json,
                                           const std::vector<std::string>& layers);

} // namespace regscan
