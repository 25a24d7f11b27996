// The metrics: image gauges kept up to date by the store's image observer
// (the same as a recount after every kind of write), a scrape that stays
// under 50 ms with 100,000 image records, and a text that Prometheus' own
// parser (`promtool check metrics`) accepts.
#include "daemon/metrics.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

#include "daemon/services.hpp"
#include "storage/store.hpp"
#include "../storage/test_util.hpp"
#include "../test_support.hpp"

using namespace regscan;

namespace {

image_record image(int i, scan_status status) {
  image_record img;
  img.registry = i % 2 ? "lab" : "prod";
  img.repository = "app" + std::to_string(i % 100);
  img.digest = "sha256:" + std::to_string(i);
  img.key = img.registry + "/" + img.repository + "@" + img.digest;
  img.tags = {"v" + std::to_string(i)};
  img.scan_status = status;
  if (status == scan_status::scanned) {
    img.severity_counts = {{"high", 2}, {"low", 1}};
    img.vuln_count = 3;
    img.incomplete = i % 10 == 0;
  }
  return img;
}

struct metrics_test : testing::Test {
  test::temp_dir dir;
  std::unique_ptr<store> db;
  metrics stats;
  void SetUp() override {
    auto opened = store::open(dir / "db");
    ASSERT_TRUE(opened) << opened.err().message;
    db = std::move(*opened);
  }
  void observe() {
    db->observe_images([this](const image_record* b, const image_record* a) { stats.image_changed(b, a); });
  }
  /// The image lines of a scrape: what a recount from the store must give too.
  static std::string image_lines(const std::string& text) {
    std::string out;
    size_t at = 0;
    while (at < text.size()) {
      auto nl = text.find('\n', at);
      auto line = text.substr(at, nl - at);
      if (line.starts_with("regscan_images") || line.starts_with("regscan_findings"))
        out += line + "\n";
      at = nl + 1;
    }
    return out;
  }
  void add_registry(const std::string& name) {
    registry_record reg;
    reg.name = name;
    reg.type = "docker-v2";
    ASSERT_TRUE(db->put_registry(reg));
  }
  std::string recount() {
    metrics fresh;
    fresh.count_images(*db);
    return image_lines(fresh.render(*db));
  }
};

} // namespace

TEST_F(metrics_test, gauges_follow_every_kind_of_image_write) {
  observe();
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(db->put_image(image(i, i % 3 ? scan_status::scanned : scan_status::unscanned)));
  EXPECT_EQ(image_lines(stats.render(*db)), recount());
  // Rewritten, changed in place, given a scan result, deleted, and deleted with their registry.
  ASSERT_TRUE(db->put_image(image(1, scan_status::failed)));
  ASSERT_TRUE(db->update_image(image(2, {}).key, [](image_record& img, bool) {
    img.scan_status = scan_status::queued;
    img.severity_counts.clear();
    return true;
  }));
  scan_result r;
  auto scanned = image(3, scan_status::scanned);
  scanned.severity_counts = {{"critical", 5}};
  r.image_key = scanned.key;
  ASSERT_TRUE(db->put_result(r, scanned));
  ASSERT_TRUE(db->delete_image(image(4, {}).key));
  registry_record reg;
  reg.name = "prod";
  reg.type = "docker-v2";
  ASSERT_TRUE(db->put_registry(reg));
  ASSERT_TRUE(db->delete_registry("prod"));
  auto lines = image_lines(stats.render(*db));
  EXPECT_EQ(lines, recount());
  EXPECT_NE(lines.find("severity=\"critical\"} 5"), std::string::npos) << lines;
  EXPECT_NE(lines.find("regscan_images{status=\"failed\"} 1"), std::string::npos) << lines;
}

TEST_F(metrics_test, a_scrape_of_100000_images_takes_under_50_ms_and_names_none) {
  for (int i = 0; i < 100000; ++i)
    ASSERT_TRUE(db->put_image(image(i, i % 4 ? scan_status::scanned : scan_status::queued)));
  add_registry("lab");
  stats.count_images(*db);
  observe();
  stats.scan_seconds.observe(3.5);
  stats.sync_finished("lab", true, 1700000000);
  stats.budget_changed("lab", 100, {std::time(nullptr) - 10});
  stats.image_pulled("lab");
  stats.layer_pulled("lab", 4096, 0.2);
  stats.worker_joined(3, "build-7", "10.0.0.7:41234", "1.2.3", 4, 1700000000);
  stats.worker_running(3, 2);
  stats.worker_task_ended(3, "succeeded");
  auto start = std::chrono::steady_clock::now();
  auto text = stats.render(*db);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 50.0);
  RecordProperty("scrape_ms", std::to_string(ms));
  EXPECT_NE(text.find("regscan_images{status=\"scanned\"} 75000"), std::string::npos) << text;
  EXPECT_NE(text.find("regscan_images_incomplete 5000"), std::string::npos) << text;
  EXPECT_EQ(text.find("app1"), std::string::npos) << "an image name is in a label";

  if (!test::have("promtool"))
    GTEST_SKIP() << "promtool not installed (Debian's prometheus package; tools/install-deps.sh installs it)";
  test::spit(dir / "metrics.txt", text);
  auto cmd = "promtool check metrics < " + (dir / "metrics.txt") + " > " + (dir / "promtool.txt")
             + " 2>&1";
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << test::slurp(dir / "promtool.txt") << text;
  // promtool prints lint problems (naming, units) even when it exits 0.
  EXPECT_EQ(test::slurp(dir / "promtool.txt"), "") << text;
}

TEST_F(metrics_test, pulls_bytes_and_the_remaining_budget_are_counted_per_registry) {
  add_registry("lab");
  add_registry("open");
  auto now = std::time(nullptr);
  // One pull has left the hour-long window, two are in it.
  stats.budget_changed("lab", 10, {now - 4000, now - 100, now - 5});
  stats.budget_changed("open", 0, {now - 5});
  stats.image_pulled("lab");
  stats.layer_pulled("lab", 1000, 0.3);
  stats.layer_pulled("lab", 500, 2.0);
  stats.image_pulled("open");
  stats.layer_pulled("open", 7, 0.01);
  auto text = stats.render(*db);
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  EXPECT_TRUE(has("regscan_registry_pull_budget_remaining{registry=\"lab\"} 8")) << text;
  EXPECT_FALSE(has("regscan_registry_pull_budget_remaining{registry=\"open\"} 0")) << "no limit, no gauge";
  EXPECT_TRUE(has("regscan_registry_images_pulled_total{registry=\"lab\"} 1")) << text;
  EXPECT_TRUE(has("regscan_registry_layer_bytes_pulled_total{registry=\"lab\"} 1500")) << text;
  EXPECT_TRUE(has("regscan_registry_layer_bytes_pulled_total{registry=\"open\"} 7")) << text;
  EXPECT_TRUE(has("regscan_layer_bytes_pulled_total 1507")) << text;
  EXPECT_TRUE(has("regscan_images_pulled_total 2")) << text;
  EXPECT_TRUE(has("regscan_layer_pull_duration_seconds_bucket{le=\"0.1\"} 1")) << text;
  EXPECT_TRUE(has("regscan_layer_pull_duration_seconds_bucket{le=\"0.5\"} 2")) << text;
  EXPECT_TRUE(has("regscan_layer_pull_duration_seconds_count 3")) << text;
}

TEST_F(metrics_test, images_are_counted_by_authorization_as_it_changes) {
  observe();
  for (int i = 0; i < 10; ++i) {
    auto img = image(i, scan_status::scanned);
    img.authorized = i >= 3;
    ASSERT_TRUE(db->put_image(img));
  }
  auto text = stats.render(*db);
  EXPECT_NE(text.find("regscan_images_by_authorization{authorization=\"authorized\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("regscan_images_by_authorization{authorization=\"unauthorized\"} 3\n"), std::string::npos)
      << text;
  // Authorized, then deleted: each write moves the gauges.
  ASSERT_TRUE(db->update_image(image(0, {}).key, [](image_record& img, bool) {
    img.authorized = true;
    return true;
  }));
  ASSERT_TRUE(db->delete_image(image(5, {}).key));
  text = stats.render(*db);
  EXPECT_NE(text.find("regscan_images_by_authorization{authorization=\"authorized\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("regscan_images_by_authorization{authorization=\"unauthorized\"} 2\n"), std::string::npos)
      << text;
  metrics fresh;
  fresh.count_images(*db);
  EXPECT_NE(fresh.render(*db).find("authorization=\"unauthorized\"} 2\n"), std::string::npos);
}

TEST_F(metrics_test, a_deleted_registry_leaves_the_scrape_even_if_its_sync_ends_later) {
  add_registry("lab");
  add_registry("gone");
  stats.image_pulled("gone");
  stats.sync_finished("gone", true, 1700000000);
  stats.image_pulled("lab");
  ASSERT_TRUE(db->delete_registry("gone"));
  stats.registry_deleted("gone");
  // A sync that was stopping reports after the deletion.
  stats.sync_finished("gone", false, 1700000100);
  auto text = stats.render(*db);
  EXPECT_EQ(text.find("registry=\"gone\""), std::string::npos) << text;
  EXPECT_NE(text.find("regscan_registry_images_pulled_total{registry=\"lab\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("regscan_registries 1\n"), std::string::npos) << text;
}

TEST_F(metrics_test, a_registrys_429_answers_are_counted_through_its_http_options) {
  add_registry("lab");
  services ctx;
  registry_record rec;
  rec.name = "lab";
  auto opts = ctx.http_options_for(rec);
  ASSERT_TRUE(opts.on_throttled);
  opts.on_throttled();
  opts.on_throttled();
  auto text = ctx.stats.render(*db);
  EXPECT_NE(text.find("regscan_registry_throttled_total{registry=\"lab\"} 2\n"), std::string::npos) << text;
}

TEST_F(metrics_test, a_workers_series_leave_with_it_even_if_a_task_ends_later) {
  stats.worker_joined(3, "build-7", "10.0.0.7:41234", "1.2.3", 4, 1700000000);
  stats.worker_joined(4, "build-8", "10.0.0.8:41234", "1.2.3", 2, 1700000000);
  stats.worker_running(3, 1);
  stats.worker_heartbeat(3, 1700000005);
  stats.worker_task_ended(3, "succeeded");
  stats.worker_task_ended(3, "cancelled");
  stats.worker_task_ended(4, "failed");
  auto text = stats.render(*db);
  for (auto line : {"regscan_worker_info{worker=\"3\",host=\"build-7\",address=\"10.0.0.7:41234\",version=\"1.2.3\"} 1\n",
                    "regscan_worker_slots{worker=\"3\"} 4\n", "regscan_worker_running_tasks{worker=\"3\"} 1\n",
                    "regscan_worker_last_heartbeat_timestamp_seconds{worker=\"3\"} 1700000005\n",
                    "regscan_worker_tasks_total{worker=\"3\",outcome=\"succeeded\"} 1\n",
                    "regscan_worker_tasks_total{worker=\"3\",outcome=\"cancelled\"} 1\n",
                    "regscan_worker_tasks_total{worker=\"3\",outcome=\"failed\"} 0\n",
                    "regscan_worker_tasks_total{worker=\"4\",outcome=\"failed\"} 1\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  stats.worker_left(3);
  // Its last task's outcome arrives after it was dropped.
  stats.worker_task_ended(3, "failed");
  stats.worker_running(3, 0);
  stats.worker_heartbeat(3, 1700000010);
  text = stats.render(*db);
  EXPECT_EQ(text.find("worker=\"3\""), std::string::npos) << text;
  EXPECT_NE(text.find("regscan_worker_slots{worker=\"4\"} 2\n"), std::string::npos) << text;
}
