#include "config/daemon_config.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <gtest/gtest.h>

using namespace regscan;

TEST(daemon_config, defaults_are_valid) {
  EXPECT_EQ(daemon_config{}.validate(), "");
}

TEST(daemon_config, shipped_file_loads) {
  daemon_config cfg;
  load_config_file(REGSCAN_SOURCE_DIR "/config/regscan.toml", cfg);
  EXPECT_EQ(cfg.validate(), "");
  EXPECT_EQ(cfg.socket, "var/regscand.sock");
  EXPECT_EQ(cfg.metrics_address, "127.0.0.1:9464");
}

TEST(daemon_config, bad_values_are_named) {
  daemon_config cfg;
  cfg.max_parallel_scans = 0;
  EXPECT_NE(cfg.validate().find("max_parallel"), std::string::npos);
  cfg = {};
  cfg.log_level = "loud";
  EXPECT_NE(cfg.validate().find("log_level"), std::string::npos);
  cfg = {};
  cfg.metrics_address = "9464";
  EXPECT_NE(cfg.validate().find("metrics_address"), std::string::npos);
}

TEST(daemon_config, min_transfer_rate_is_read_and_checked) {
  auto path = testing::TempDir() + "rate.toml";
  std::ofstream(path) << "[scan]\nmin_transfer_bytes_per_second = 4096\nmin_transfer_window_seconds = 30\n";
  daemon_config cfg;
  load_config_file(path, cfg);
  std::remove(path.c_str());
  EXPECT_EQ(cfg.min_transfer_bytes_per_second, 4096);
  EXPECT_EQ(cfg.min_transfer_window_seconds, 30);
  EXPECT_EQ(cfg.validate(), "");
  cfg.min_transfer_window_seconds = 0;
  EXPECT_NE(cfg.validate().find("min_transfer_window_seconds"), std::string::npos);
  cfg = {};
  cfg.min_transfer_bytes_per_second = -1;
  EXPECT_NE(cfg.validate().find("min_transfer_bytes_per_second"), std::string::npos);
}

TEST(daemon_config, syntax_error_names_file_and_line) {
  auto path = testing::TempDir() + "bad.toml";
  std::ofstream(path) << "[daemon]\ndata_dir = \n";
  daemon_config cfg;
  try {
    load_config_file(path, cfg);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(daemon_config, unknown_settings_are_errors) {
  auto path = testing::TempDir() + "typo.toml";
  for (auto text : {"[daemon]\nlog_levle = \"debug\"\n", "[demon]\nlog_level = \"debug\"\n", "stray = 1\n"}) {
    std::ofstream(path) << text;
    daemon_config cfg;
    try {
      load_config_file(path, cfg);
      ADD_FAILURE() << "no error for " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("unknown"), std::string::npos) << e.what();
    }
  }
  std::remove(path.c_str());
}

TEST(daemon_config, license_and_schedule_settings_are_read_and_checked) {
  auto path = testing::TempDir() + "license.toml";
  std::ofstream(path) << "[license]\nquota = 25\nauto_authorize = true\n"
                         "[schedule]\ntimezone = \"Asia/Shanghai\"\n";
  daemon_config cfg;
  load_config_file(path, cfg);
  EXPECT_EQ(cfg.license_quota, 25);
  EXPECT_TRUE(cfg.auto_authorize);
  EXPECT_EQ(cfg.timezone, "Asia/Shanghai");
  EXPECT_EQ(cfg.validate(), "");
  // Without [license] there is no quota: every image is authorized.
  EXPECT_EQ(daemon_config{}.license_quota, -1);
  cfg.timezone = "Mars/Olympus_Mons"; // glibc would take it for UTC without a word
  EXPECT_NE(cfg.validate().find("schedule.timezone"), std::string::npos);
  cfg.timezone = "../../etc/passwd";
  EXPECT_NE(cfg.validate().find("schedule.timezone"), std::string::npos);
  std::ofstream(path) << "[license]\nquota = -3\n";
  EXPECT_THROW(load_config_file(path, cfg), std::runtime_error);
  std::ofstream(path) << "[license]\nqouta = 3\n";
  EXPECT_THROW(load_config_file(path, cfg), std::runtime_error);
  std::remove(path.c_str());
}

TEST(daemon_config, the_worker_link_needs_tls_or_the_insecure_flag) {
  auto path = testing::TempDir() + "workers.toml";
  std::ofstream(path) << "[workers]\nlisten = \"127.0.0.1:7500\"\ntoken_file = \"t\"\n";
  daemon_config cfg;
  load_config_file(path, cfg);
  auto why = cfg.validate();
  EXPECT_NE(why.find("--worker-tls-cert"), std::string::npos) << why;
  EXPECT_NE(why.find("--insecure-worker-link"), std::string::npos) << why;
  std::ofstream(path) << "[workers]\nlisten = \"127.0.0.1:7500\"\ntoken_file = \"t\"\n"
                         "tls_cert = \"c.crt\"\ntls_key = \"c.key\"\ntls_ca = \"ca.crt\"\n";
  cfg = {};
  load_config_file(path, cfg);
  EXPECT_EQ(cfg.validate(), "");
  EXPECT_EQ(cfg.worker_tls_cert, "c.crt");
  EXPECT_EQ(cfg.worker_tls_key, "c.key");
  EXPECT_EQ(cfg.worker_tls_ca, "ca.crt");
  cfg.insecure_worker_link = true;
  EXPECT_NE(cfg.validate().find("choose one"), std::string::npos);
  cfg.insecure_worker_link = false;
  cfg.worker_tls_key.clear();
  EXPECT_NE(cfg.validate().find("all three"), std::string::npos);
  std::remove(path.c_str());
}
