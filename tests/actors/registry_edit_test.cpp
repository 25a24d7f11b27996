// Issue 10.1: a control-socket user must not get a stored registry password
// by pointing the registry somewhere else. Through the control API and the
// real registry actor: the registry is edited to a listener of ours (the
// "attacker"), then tested and synced; the listener must never see the old
// secret, in a header or a body.
#include <unistd.h>

#include <chrono>
#include <thread>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "daemon/front/control_api.hpp"
#include "actors/daemon_context.hpp"
#include "actors/supervisor.hpp"
#include "actors/vulndb.hpp"
#include "../connectors/test_http_server.hpp"
#include "../storage/test_util.hpp"

using namespace regscan;
using namespace std::chrono_literals;

namespace {

const std::string old_secret = "old-s3cret-pw";

// What an attacker's listener answers: a Basic challenge to every registry
// request (the bait for credentials) and a token to a Docker Hub login.
test::reply attacker(const test::request& req) {
  if (std::string(req.target()).starts_with("/v2/auth/token"))
    return {200, {{"Content-Type", "application/json"}}, R"({"access_token":"t"})"};
  return {401, {{"WWW-Authenticate", R"(Basic realm="registry")"}}, "{}"};
}

// The registry the password was given for: open, with no repositories.
test::reply home(const test::request& req) {
  if (std::string(req.target()).starts_with("/v2/_catalog"))
    return {200, {{"Content-Type", "application/json"}}, R"({"repositories":[]})"};
  return {200, {{"Content-Type", "application/json"}}, "{}"};
}

std::string decode_base64(const std::string& in) {
  static const std::string alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0, value = 0;
  for (char c : in) {
    auto pos = alphabet.find(c);
    if (pos == std::string::npos)
      continue;
    value = value << 6 | static_cast<int>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(value >> bits & 0xff);
    }
  }
  return out;
}

/// Every header and body the listener received, Basic credentials decoded.
std::string everything_seen(const test::test_http_server& server) {
  std::string all;
  for (auto& r : server.requests()) {
    for (auto& f : r) {
      std::string v(f.value());
      all += std::string(f.name_string()) + ": " + v + "\n";
      if (v.starts_with("Basic "))
        all += decode_base64(v.substr(6)) + "\n";
    }
    all += r.body() + "\n";
  }
  return all;
}

struct registry_edit_test : testing::Test {
  test::temp_dir dir;
  daemon_context ctx;
  caf::actor_system_config sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<control_api> api;
  supervisor_actor sup;
  std::optional<vulndb_actors> vulndb;
  test::test_http_server home_server{home};
  test::test_http_server attacker_server{attacker};

  void SetUp() override {
    auto db = store::open(dir / "db");
    ASSERT_TRUE(db) << db.err().message;
    ctx.db = std::move(*db);
    auto box = secret_box::open_or_create(dir / "secret.key");
    ASSERT_TRUE(box) << box.err().message;
    ctx.secrets.emplace(std::move(*box));
    ctx.cfg.data_dir = dir.path();
    ctx.cfg.max_retries = 0;
    sys_cfg.add_message_types<caf::id_block::regscan>();
    sys = std::make_unique<caf::actor_system>(sys_cfg);
    sup = sys->spawn(supervisor, &ctx);
    vulndb = start_vulndb(*sys, ctx);
    api = std::make_unique<control_api>(*sys, ctx, sup, *vulndb);
  }
  void TearDown() override {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    if (vulndb)
      stop_vulndb(ctx, *vulndb);
    vulndb.reset(); // a handle kept would keep the actor system waiting
    for (auto& r : ctx.take_registry_actors())
      caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
    api.reset();
    sys.reset();
  }
  http_reply call(const std::string& method, const std::string& target, const std::string& body = "") {
    return api->handle(http_exchange{method, target, body, peer_credentials{::getuid(), ::getgid(), ::getpid()}});
  }
  void add_lab() {
    auto added = call("POST", "/registries",
                      R"({"name":"lab","type":"docker-v2","address":")" + home_server.url()
                        + R"(","username":"alice","password":")" + old_secret + R"("})");
    ASSERT_EQ(added.status, 201) << added.body;
  }
  /// `registry test` and a whole sync, as the CLI runs them.
  void test_and_sync() {
    auto tested = call("POST", "/registries/lab/test");
    EXPECT_EQ(tested.status, 200) << tested.body;
    auto started = call("POST", "/sync", R"({"registry":"lab"})");
    ASSERT_EQ(started.status, 200) << started.body;
    std::string status;
    for (int i = 0; i < 1500; ++i) {
      status = call("GET", "/sync?registry=lab").body;
      if (status.find("\"state\":\"running\"") == std::string::npos)
        break;
      std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(status.find("\"state\":\"running\""), std::string::npos) << status;
  }
};

} // namespace

TEST_F(registry_edit_test, a_new_address_never_receives_the_stored_password) {
  add_lab();
  auto edited = call("PATCH", "/registries/lab", R"({"address":")" + attacker_server.url() + R"("})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_NE(edited.body.find(R"("credentials_dropped":["password"])"), std::string::npos) << edited.body;
  EXPECT_NE(edited.body.find(R"("password_set":false)"), std::string::npos) << edited.body;
  test_and_sync();
  ASSERT_GT(attacker_server.requests().size(), 0u) << "the edited registry was never contacted";
  auto seen = everything_seen(attacker_server);
  EXPECT_EQ(seen.find(old_secret), std::string::npos) << seen;
}

TEST_F(registry_edit_test, a_new_api_endpoint_never_receives_the_stored_password) {
  add_lab();
  // The Hub API lists the namespaces of `repositories`, after a login.
  auto edited = call("PATCH", "/registries/lab", R"({"api_endpoint":")" + attacker_server.url()
                                                   + R"(","repositories":["library/"]})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_NE(edited.body.find(R"("credentials_dropped":["password"])"), std::string::npos) << edited.body;
  test_and_sync();
  ASSERT_GT(attacker_server.requests().size(), 0u) << "the API endpoint was never contacted";
  auto seen = everything_seen(attacker_server);
  EXPECT_EQ(seen.find(old_secret), std::string::npos) << seen;
}

// The check can see a password: one given with the move goes to the new host
// (the user typed it for that host), and the old one still never does.
TEST_F(registry_edit_test, a_password_given_with_the_move_is_the_one_sent) {
  add_lab();
  auto edited = call("PATCH", "/registries/lab",
                     R"({"address":")" + attacker_server.url() + R"(","password":"new-pw-for-it"})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_NE(edited.body.find(R"("credentials_dropped":[])"), std::string::npos) << edited.body;
  test_and_sync();
  auto seen = everything_seen(attacker_server);
  EXPECT_NE(seen.find("alice:new-pw-for-it"), std::string::npos) << seen;
  EXPECT_EQ(seen.find(old_secret), std::string::npos) << seen;
}

// An edit that does not change where credentials go keeps them.
TEST_F(registry_edit_test, an_edit_in_place_keeps_the_password) {
  add_lab();
  auto edited = call("PATCH", "/registries/lab", R"({"rate_limit":100})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_NE(edited.body.find(R"("password_set":true)"), std::string::npos) << edited.body;
  EXPECT_NE(edited.body.find(R"("credentials_dropped":[])"), std::string::npos) << edited.body;
}
