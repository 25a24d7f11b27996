#pragma once
// A Tencent Cloud API 3.0 caller for the TCR service (version 2019-09-24):
// signed POSTs of a JSON body; Response.Error becomes an error.
#include <functional>
#include <string>

#include "connectors/registry_lister.hpp"

namespace regscan {

class tencent_api {
 public:
  /// endpoint: "https://tcr.tencentcloudapi.com" unless overridden (the
  /// international site: "https://tcr.intl.tencentcloudapi.com"; a bare
  /// host means https).
  tencent_api(const lister_config& cfg, sleep_fn sleep);
  /// The raw JSON reply of a successful call.
  expected<std::string> call(const std::string& action, const std::string& payload);
  const std::string& endpoint() const { return endpoint_; }
  /// Replaces the clock (seconds since the epoch) used for X-TC-Timestamp.
  void set_clock(std::function<int64_t()> now) { now_ = std::move(now); }

  static constexpr const char* default_endpoint = "https://tcr.tencentcloudapi.com";
  static constexpr const char* api_version = "2019-09-24";

 private:
  std::string endpoint_, host_, error_;
  std::string secret_id_, secret_key_, token_, region_;
  api_caller api_;
  std::function<int64_t()> now_;
};

} // namespace regscan
