// The console's operations (issue 13): licenses, scan selection and dedupe,
// the scheduled scan's calendar and its firing with an injected clock, and
// exceptions; through the use-cases, the actors and the control API.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "actors/daemon_context.hpp"
#include "actors/scan_schedule.hpp"
#include "actors/supervisor.hpp"
#include "actors/vulndb.hpp"
#include "daemon/exceptions.hpp"
#include "daemon/front/control_api.hpp"
#include "daemon/license.hpp"
#include "daemon/scan_request.hpp"
#include "daemon/schedule.hpp"
#include "../storage/test_util.hpp"

using namespace regscan;
using namespace std::chrono_literals;

namespace {

/// Local time pinned to one zone for a test.
struct zone {
  explicit zone(const char* name) {
    if (auto tz = std::getenv("TZ"))
      saved = tz, had = true;
    setenv("TZ", name, 1);
    tzset();
  }
  ~zone() {
    if (had)
      setenv("TZ", saved.c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }
  std::string saved;
  bool had = false;
};

/// Unix seconds of a UTC calendar time.
std::time_t utc(int y, int mo, int d, int h, int mi) {
  std::tm t{};
  t.tm_year = y - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  return timegm(&t);
}

image_record image(const std::string& repo, const std::string& tag, const std::string& digest,
                   const std::string& image_id, const std::string& pushed = "") {
  image_record img;
  img.registry = "lab";
  img.repository = repo;
  img.tags = {tag};
  img.digest = digest;
  img.image_id = image_id;
  img.pushed = pushed;
  img.key = "lab/" + repo + "@" + digest;
  return img;
}

struct console_test : testing::Test {
  test::temp_dir dir;
  daemon_context ctx;
  caf::actor_system_config sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<control_api> api;
  supervisor_actor sup;
  std::optional<vulndb_actors> vulndb;
  simdjson::dom::parser parser;

  void SetUp() override {
    auto db = store::open(dir / "db");
    ASSERT_TRUE(db) << db.err().message;
    ctx.db = std::move(*db);
    ctx.cfg.data_dir = dir.path();
    ctx.cfg.max_retries = 0;
    registry_record reg;
    reg.name = "lab";
    reg.type = "docker-v2";
    reg.address = "http://127.0.0.1:1"; // nothing listens: scans fail, which is not what these check
    ASSERT_TRUE(ctx.db->put_registry(reg));
  }
  void start() {
    sys_cfg.add_message_types<caf::id_block::regscan>();
    sys = std::make_unique<caf::actor_system>(sys_cfg);
    sup = sys->spawn(supervisor, &ctx);
    vulndb = start_vulndb(*sys, ctx);
    api = std::make_unique<control_api>(*sys, ctx, sup, *vulndb);
  }
  void TearDown() override {
    if (!sys)
      return;
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    if (vulndb)
      stop_vulndb(ctx, *vulndb);
    vulndb.reset();
    api.reset();
    sys.reset();
  }
  void put(const image_record& img) { ASSERT_TRUE(ctx.db->put_image(img)); }
  /// Five images; b and c share an image ID.
  void five_images() {
    put(image("app", "1", "sha256:a1", "sha256:ia", "2026-01-01T00:00:00Z"));
    put(image("app", "2", "sha256:a2", "sha256:ib", "2026-02-01T00:00:00Z"));
    put(image("mirror", "2", "sha256:m2", "sha256:ib", "2026-02-01T00:00:00Z"));
    put(image("web", "1", "sha256:w1", "sha256:iw", "2026-01-01T00:00:00Z"));
    put(image("web", "2", "sha256:w2", "sha256:iw2", "2026-02-01T00:00:00Z"));
  }
  http_reply call(const std::string& method, const std::string& target, const std::string& body = "",
                  uid_t uid = ::getuid()) {
    return api->handle(http_exchange{method, target, body, peer_credentials{uid, ::getgid(), ::getpid()}});
  }
  simdjson::dom::element json(const http_reply& r) {
    simdjson::dom::element doc;
    EXPECT_FALSE(parser.parse(r.body).get(doc)) << r.body;
    return doc;
  }
};

} // namespace

// ---- licenses -------------------------------------------------------------------

TEST_F(console_test, without_a_quota_every_image_is_authorized) {
  five_images();
  auto st = license_status_of(ctx);
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->limited);
  EXPECT_EQ(st->used, 5); // records stored before licensing load as authorized
  auto img = ctx.db->get_image("lab/app@sha256:a1");
  ASSERT_TRUE(img);
  EXPECT_TRUE(may_scan(ctx, *img));
  EXPECT_EQ(unauthorize_images(ctx, {img->key}).err().code, errc::invalid);
}

TEST_F(console_test, quota_arithmetic_refuses_at_quota_plus_one_and_unauthorize_frees) {
  ctx.cfg.license_quota = 3;
  for (auto img : {image("app", "1", "sha256:a1", "i1"), image("app", "2", "sha256:a2", "i2"),
                   image("app", "3", "sha256:a3", "i3"), image("app", "4", "sha256:a4", "i4")}) {
    img.authorized = false;
    put(img);
  }
  auto key = [](int i) { return "lab/app@sha256:a" + std::to_string(i); };
  auto two = authorize_images(ctx, {key(1), key(2)});
  ASSERT_TRUE(two) << two.err().message;
  EXPECT_EQ(two->after.used, 2);
  EXPECT_EQ(two->after.free, 1);
  // 2 more do not fit in the 1 left: nothing changes.
  auto over = authorize_images(ctx, {key(3), key(4)});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.err().code, errc::limit);
  EXPECT_NE(over.err().message.find("only 1 of 3 remain"), std::string::npos) << over.err().message;
  EXPECT_FALSE(ctx.db->get_image(key(3))->authorized);
  // quota: the third fits; the fourth (quota + 1) is refused.
  ASSERT_TRUE(authorize_images(ctx, {key(3)}));
  auto plus_one = authorize_images(ctx, {key(4)});
  ASSERT_FALSE(plus_one);
  EXPECT_NE(plus_one.err().message.find("only 0 of 3 remain"), std::string::npos);
  // Authorizing an authorized image uses nothing.
  auto again = authorize_images(ctx, {key(1)});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->unchanged.size(), 1u);
  // Unauthorize frees a license for the fourth.
  auto freed = unauthorize_images(ctx, {key(2)});
  ASSERT_TRUE(freed);
  EXPECT_EQ(freed->after.free, 1);
  ASSERT_TRUE(authorize_images(ctx, {key(4)}));
  EXPECT_FALSE(may_scan(ctx, *ctx.db->get_image(key(2))));
  EXPECT_TRUE(may_scan(ctx, *ctx.db->get_image(key(4))));
}

TEST_F(console_test, auto_authorize_takes_new_images_while_licenses_remain) {
  ctx.cfg.license_quota = 2;
  ctx.cfg.auto_authorize = true;
  auto existing = image("app", "1", "sha256:a1", "i1"); // authorized: one used
  put(existing);
  std::vector<bool> decided;
  ASSERT_TRUE(license_new_images(ctx, [&](const std::function<bool()>& decide) -> expected<void> {
    for (int i = 0; i < 3; ++i)
      decided.push_back(decide());
    return {};
  }));
  EXPECT_EQ(decided, (std::vector<bool>{true, false, false}));
  ctx.cfg.auto_authorize = false;
  decided.clear();
  ASSERT_TRUE(license_new_images(ctx, [&](const std::function<bool()>& decide) -> expected<void> {
    decided.push_back(decide());
    return {};
  }));
  EXPECT_EQ(decided, (std::vector<bool>{false}));
}

// ---- selection and dedupe --------------------------------------------------------

TEST(scan_selection, images_with_one_image_id_are_one_group) {
  std::vector<image_record> imgs{image("app", "1", "sha256:a1", "sha256:x"),
                                 image("app", "2", "sha256:a2", "sha256:y"),
                                 image("mirror", "1", "sha256:m1", "sha256:x"),
                                 image("other", "1", "sha256:o1", "")};
  auto groups = group_by_image_id(imgs, true);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].key, "lab/app@sha256:a1");
  EXPECT_EQ(groups[0].shares_with, (std::vector<std::string>{"lab/mirror@sha256:m1"}));
  EXPECT_TRUE(groups[1].shares_with.empty());
  EXPECT_EQ(group_by_image_id(imgs, false).size(), 4u); // --no-dedupe
}

TEST(scan_selection, latest_is_the_newest_tag_of_each_repository_by_push_time) {
  std::vector<image_record> imgs{image("app", "1", "sha256:a1", "x", "2026-01-02T00:00:00Z"),
                                 image("app", "2", "sha256:a2", "y", "2026-03-01T00:00:00Z"),
                                 image("app", "3", "sha256:a3", "z", "2026-02-01T00:00:00Z"),
                                 image("web", "1", "sha256:w1", "w", "")};
  // Both platforms of a multi-arch tag.
  auto arm = image("app", "2", "sha256:a2arm", "y2", "2026-03-01T00:00:00Z");
  imgs[1].index_digest = arm.index_digest = "sha256:idx";
  imgs.push_back(arm);
  std::vector<std::string> keys;
  for (auto& img : latest_per_repository(imgs))
    keys.push_back(img.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"lab/app@sha256:a2", "lab/web@sha256:w1",
                                            "lab/app@sha256:a2arm"}));
}

TEST(scan_selection, categories_are_checked) {
  EXPECT_TRUE(parse_categories({"vulns", "secrets", "malware"}));
  auto bad = parse_categories({"viruses"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.err().code, errc::invalid);
}

// ---- the scheduled scan's calendar --------------------------------------------------

TEST(schedule_calendar, times_of_day_in_the_configured_zone) {
  zone shanghai{"Asia/Shanghai"}; // UTC+8, no DST
  auto now = utc(2026, 6, 1, 0, 0); // 08:00 in Shanghai
  EXPECT_EQ(first_run_after(now, 9 * 60), utc(2026, 6, 1, 1, 0));          // 09:00 today
  EXPECT_EQ(first_run_after(now, 7 * 60), utc(2026, 6, 1, 23, 0));         // 07:00 tomorrow
  EXPECT_EQ(days_later_at(utc(2026, 6, 1, 1, 0), 7, 9 * 60), utc(2026, 6, 8, 1, 0));
  for (auto bad : {"9", "24:00", "09:60", "09:00x", ""})
    EXPECT_FALSE(parse_time_of_day(bad)) << bad;
  EXPECT_FALSE(make_schedule(2, "09:00", {}, "all", now));
  EXPECT_FALSE(make_schedule(7, "09:00", {}, "some", now));
  EXPECT_FALSE(make_schedule(7, "09:00", {"viruses"}, "all", now));
}

TEST(schedule_calendar, the_wall_time_stays_across_daylight_saving_changes) {
  zone berlin{"Europe/Berlin"}; // CET -> CEST on 2026-03-29, CEST -> CET on 2026-10-25
  auto before = utc(2026, 3, 28, 8, 0); // 09:00 CET
  auto after = days_later_at(before, 1, 9 * 60);
  EXPECT_EQ(after, utc(2026, 3, 29, 7, 0)); // 09:00 CEST: 23 hours later
  EXPECT_EQ(days_later_at(utc(2026, 10, 24, 7, 0), 1, 9 * 60), utc(2026, 10, 25, 8, 0)); // 25 h
  zone new_york{"America/New_York"}; // 02:30 does not exist on 2026-03-08
  EXPECT_EQ(days_later_at(utc(2026, 3, 7, 7, 30), 1, 2 * 60 + 30), utc(2026, 3, 8, 7, 30)); // 03:30 EDT
}

TEST(schedule_calendar, a_missed_run_runs_once_and_the_calendar_goes_on) {
  zone shanghai{"Asia/Shanghai"};
  auto set_at = utc(2026, 6, 1, 0, 0);
  auto s = make_schedule(1, "09:00", {"vulns"}, "latest", set_at);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->next_run, utc(2026, 6, 1, 1, 0));
  EXPECT_FALSE(take_due_run(*s, utc(2026, 6, 1, 0, 59)));
  // The daemon was down for three days and starts at 12:00 on June 4th.
  auto start = utc(2026, 6, 4, 4, 0);
  EXPECT_TRUE(take_due_run(*s, start));
  EXPECT_EQ(s->last_run, start);
  EXPECT_EQ(s->next_run, utc(2026, 6, 5, 1, 0)); // once, then the next 09:00
  EXPECT_FALSE(take_due_run(*s, start + 60));
  s->enabled = false;
  EXPECT_FALSE(take_due_run(*s, utc(2026, 6, 6, 0, 0)));
}

TEST_F(console_test, a_scheduled_scan_fires_with_an_injected_clock_and_missed_runs_once) {
  zone shanghai{"Asia/Shanghai"};
  five_images();
  auto set_at = utc(2026, 6, 1, 0, 0);
  auto s = make_schedule(7, "09:00", {"vulns"}, "latest", set_at);
  ASSERT_TRUE(s);
  ASSERT_TRUE(ctx.db->put_schedule(*s));
  start();
  auto clock = std::make_shared<std::atomic<std::time_t>>(utc(2026, 6, 1, 0, 30));
  auto sched = sys->spawn(scan_schedule, &ctx, sup, [clock] { return clock->load(); });
  auto tasks = [&] {
    std::vector<task_record> out;
    caf::scoped_actor self{*sys};
    self->request(sup, 10s, list_atom::value)
      .receive([&](std::vector<task_record>& t) { out = std::move(t); }, [](caf::error&) {});
    return out;
  };
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(tasks().empty()); // not due yet
  // Two weeks later (two runs missed): it runs once, at this tick.
  *clock = utc(2026, 6, 15, 2, 0);
  caf::anon_send(sched, run_atom::value);
  std::vector<task_record> queued;
  for (int i = 0; i < 100 && queued.empty(); ++i) {
    std::this_thread::sleep_for(50ms);
    queued = tasks();
  }
  // Scope latest: the newest tags are app:2, mirror:2 and web:2; app:2 and
  // mirror:2 share an image ID, so two scans.
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[0].image_key, "lab/app@sha256:a2");
  EXPECT_EQ(queued[0].shares_with, (std::vector<std::string>{"lab/mirror@sha256:m2"}));
  EXPECT_EQ(queued[0].categories, (std::vector<std::string>{"vulns"}));
  auto stored = ctx.db->get_schedule();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->last_run, utc(2026, 6, 15, 2, 0));
  EXPECT_EQ(stored->next_run, utc(2026, 6, 22, 1, 0));
  // Another tick at the same time queues nothing more.
  caf::anon_send(sched, run_atom::value);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(tasks().size(), 2u);
  caf::anon_send_exit(sched, caf::exit_reason::user_shutdown);
}

// ---- exceptions ------------------------------------------------------------------

TEST_F(console_test, an_exception_stops_counting_until_it_expires) {
  five_images();
  auto img = *ctx.db->get_image("lab/app@sha256:a1");
  finding f1, f2;
  f1.id = "DSA-1";
  f1.aliases = {"CVE-2026-1"};
  f1.severity = "High";
  f2.id = "DSA-2";
  f2.severity = "Low";
  exception_form form;
  form.repository = "app";
  form.finding = "CVE-2026-1";
  form.reason = "not reachable";
  form.expires = 2000;
  form.created_by = 1234;
  EXPECT_FALSE(add_exception(ctx, form, 2000)); // already expired
  auto added = add_exception(ctx, form, 1000);
  ASSERT_TRUE(added) << added.err().message;
  ASSERT_EQ(added->size(), 1u);
  EXPECT_EQ(added->front().repository, "lab/app");
  EXPECT_EQ(added->front().created_by, 1234);
  auto all = *ctx.db->list_exceptions();
  EXPECT_EQ(accepted_by(all, img, f1, 1999), &all.front());
  EXPECT_EQ(accepted_by(all, img, f1, 2000), nullptr); // expired
  EXPECT_EQ(accepted_by(all, img, f2, 1999), nullptr);
  EXPECT_EQ(accepted_by(all, *ctx.db->get_image("lab/web@sha256:w1"), f1, 1999), nullptr);
  discount_accepted(img, {f1, f2}, nullptr, all, 1999);
  EXPECT_EQ(img.vuln_count, 1);
  EXPECT_EQ(img.severity_counts.count("High"), 0u);
  discount_accepted(img, {f1, f2}, nullptr, all, 2001);
  EXPECT_EQ(img.vuln_count, 2);
  ASSERT_TRUE(ctx.db->delete_exception(added->front().id));
  EXPECT_EQ(ctx.db->delete_exception(added->front().id).err().code, errc::not_found);
  exception_form bad = form;
  bad.repository = "nope";
  EXPECT_EQ(add_exception(ctx, bad, 1000).err().code, errc::not_found);
}

// ---- through the control socket's API ---------------------------------------------------

TEST_F(console_test, control_api_authorize_refuses_at_quota_plus_one_and_scan_says_unauthorized) {
  ctx.cfg.license_quota = 2;
  for (auto img : {image("app", "1", "sha256:a1", "i1"), image("app", "2", "sha256:a2", "i2"),
                   image("app", "3", "sha256:a3", "i3")}) {
    img.authorized = false;
    put(img);
  }
  start();
  auto ok = call("POST", "/authorize", R"({"images":["lab/app:1","lab/app:2"]})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json(ok)["free"].get_int64().value(), 0);
  auto refused = call("POST", "/authorize", R"({"images":["lab/app:3"]})");
  EXPECT_EQ(refused.status, 413) << refused.body;
  EXPECT_NE(refused.body.find("only 0 of 2 remain"), std::string::npos) << refused.body;
  auto lic = json(call("GET", "/license"));
  EXPECT_EQ(lic["used"].get_int64().value(), 2);
  // A scan of the unauthorized image says so, per image.
  auto scan = call("POST", "/scans", R"({"images":["lab/app:3"]})");
  ASSERT_EQ(scan.status, 202) << scan.body;
  EXPECT_NE(scan.body.find("not authorized"), std::string::npos) << scan.body;
  auto listed = call("GET", "/images");
  EXPECT_NE(listed.body.find(R"("authorized":false)"), std::string::npos);
  ASSERT_EQ(call("POST", "/unauthorize", R"({"images":["lab/app:1"]})").status, 200);
  EXPECT_EQ(call("POST", "/authorize", R"({"images":["lab/app:3"]})").status, 200);
}

TEST_F(console_test, control_api_scan_options_dedupe_and_cancel_all) {
  five_images();
  ctx.cfg.max_parallel_scans = 1;
  start();
  auto bad = call("POST", "/scans", R"({"all":true,"categories":["viruses"]})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto scan = call("POST", "/scans", R"({"all":true,"categories":["vulns","malware"]})");
  ASSERT_EQ(scan.status, 202) << scan.body;
  EXPECT_NE(scan.body.find(R"("shares_result_of":"lab/app@sha256:a2")"), std::string::npos) << scan.body;
  EXPECT_NE(scan.body.find(R"("not_available":["malware"])"), std::string::npos) << scan.body;
  auto cancel = call("POST", "/scans/cancel", R"({"all":true})");
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  auto tasks = json(call("GET", "/scans"));
  size_t n = 0;
  for (auto t : tasks.get_array()) {
    ++n;
    std::string_view state = t["state"].get_string().value();
    EXPECT_TRUE(state == "cancelled" || state == "failed") << state; // one may have failed first
  }
  EXPECT_EQ(n, 4u); // five images, two share one scan
  auto nodedupe = call("POST", "/scans", R"({"all":true,"dedupe":false})");
  EXPECT_EQ(nodedupe.body.find("shares_result_of"), std::string::npos) << nodedupe.body;
}

TEST_F(console_test, control_api_schedule_persists_and_exceptions_record_the_peer_uid) {
  five_images();
  start();
  auto set = call("PUT", "/schedule", R"({"every_days":7,"at":"03:30","scope":"latest","categories":["vulns"]})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_GT(json(set)["next_run"].get_int64().value(), std::time(nullptr));
  auto shown = json(call("GET", "/schedule"));
  EXPECT_TRUE(shown["enabled"].get_bool().value());
  EXPECT_EQ(std::string_view(shown["scope"].get_string().value()), "latest");
  EXPECT_EQ(call("PUT", "/schedule", R"({"every_days":2,"at":"03:30"})").status, 400);
  EXPECT_FALSE(json(call("DELETE", "/schedule"))["enabled"].get_bool().value());

  auto added = call("POST", "/exceptions",
                    R"({"image":"lab/app:1","finding":"CVE-1","reason":"r","expires":)"
                      + std::to_string(std::time(nullptr) + 3600) + "}",
                    4242);
  // uid 4242 has no role: refused before anything is stored.
  EXPECT_EQ(added.status, 403);
  added = call("POST", "/exceptions",
               R"({"image":"lab/app:1","finding":"CVE-1","reason":"r","expires":)"
                 + std::to_string(std::time(nullptr) + 3600) + "}");
  ASSERT_EQ(added.status, 201) << added.body;
  auto list = json(call("GET", "/exceptions"));
  ASSERT_EQ(list.get_array().size(), 1u);
  EXPECT_EQ(list.at(0)["created_by"].get_int64().value(), static_cast<int64_t>(::getuid()));
  EXPECT_EQ(call("POST", "/exceptions", R"({"image":"lab/app:1","finding":"CVE-1","reason":"r","expires":1})").status, 400);
  EXPECT_EQ(call("DELETE", "/exceptions/1").status, 200);
  EXPECT_EQ(call("DELETE", "/exceptions/1").status, 404);
}
