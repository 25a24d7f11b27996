// The remote worker protocol over CAF's real middleman on loopback: two
// actor systems in one process, the daemon's gate published on a port, a
// "worker" joining through remote_actor. A wrong token and another version
// are refused and never listed; the right token joins and is listed; a
// heartbeat without a session is dropped; a worker that goes away is
// dropped. Payloads survive CAF's binary serializer whole.
#include "actors/worker_gate.hpp"

#include <chrono>
#include <fstream>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <type_traits>

#include <gtest/gtest.h>

#include "actors/daemon_context.hpp"
#include "actors/supervisor.hpp"
#include "../storage/test_util.hpp"

using namespace regscan;
using namespace std::chrono_literals;

namespace {

const std::string token = "0123456789abcdef0123456789abcdef";

struct worker_protocol_test : testing::Test {
  test::temp_dir dir;
  daemon_context ctx;
  caf::actor_system_config daemon_cfg;
  caf::actor_system_config worker_cfg;
  std::unique_ptr<caf::actor_system> daemon_sys;
  std::unique_ptr<caf::actor_system> worker_sys;
  supervisor_actor sup;
  coordinator_actor gate;
  uint16_t port = 0;

  void SetUp() override {
    auto db = store::open(dir / "db");
    ASSERT_TRUE(db) << db.err().message;
    ctx.db = std::move(*db);
    ctx.cfg.worker_heartbeat_timeout_seconds = 2;
    for (auto* cfg : {&daemon_cfg, &worker_cfg}) {
      cfg->add_message_types<caf::id_block::regscan>();
      cfg->load<caf::io::middleman>();
    }
    daemon_sys = std::make_unique<caf::actor_system>(daemon_cfg);
    worker_sys = std::make_unique<caf::actor_system>(worker_cfg);
    sup = daemon_sys->spawn(supervisor, &ctx);
    // Small bounds, so that a test can pass them without sending 256 MiB.
    gate = daemon_sys->spawn(worker_gate, sup, token, std::string{"1.2.3"},
                             worker_gate_limits{4u << 10, 1u << 20});
    auto published = daemon_sys->middleman().publish(gate, 0, "127.0.0.1", true);
    ASSERT_TRUE(published) << daemon_sys->render(published.error());
    port = *published;
  }
  void TearDown() override {
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    worker_sys.reset();
    daemon_sys.reset();
  }
  join_answer join(caf::scoped_actor& self, const std::string& tok, const std::string& version) {
    auto remote = worker_sys->middleman().remote_actor<coordinator_actor>("127.0.0.1", port);
    EXPECT_TRUE(remote) << worker_sys->render(remote.error());
    join_answer out;
    out.reason = "no answer";
    if (!remote)
      return out;
    join_request req{tok, version, 2, "test-host", ""};
    self->request(*remote, 10s, join_atom::value, req)
      .receive([&](join_answer& a) { out = std::move(a); },
               [&](caf::error& err) { out.reason = worker_sys->render(err); });
    return out;
  }
  std::vector<worker_info> workers() {
    std::vector<worker_info> out;
    caf::scoped_actor self{*daemon_sys};
    self->request(sup, 10s, workers_atom::value)
      .receive([&](std::vector<worker_info>& w) { out = std::move(w); }, [&](caf::error&) {});
    return out;
  }
  std::vector<worker_info> workers_after(size_t n) {
    for (int i = 0; i < 100; ++i) {
      auto w = workers();
      if (w.size() == n)
        return w;
      std::this_thread::sleep_for(50ms);
    }
    return workers();
  }
};

TEST_F(worker_protocol_test, wrong_token_and_other_version_are_refused_and_not_listed) {
  caf::scoped_actor self{*worker_sys};
  auto wrong = join(self, "0123456789abcdef0123456789abcdeX", "1.2.3");
  EXPECT_FALSE(wrong.accepted);
  EXPECT_EQ(wrong.reason, "wrong token");
  EXPECT_TRUE(wrong.session.empty());
  auto other = join(self, token, "9.9.9");
  EXPECT_FALSE(other.accepted);
  EXPECT_NE(other.reason.find("regscan 9.9.9"), std::string::npos) << other.reason;
  EXPECT_NE(other.reason.find("regscan 1.2.3"), std::string::npos) << other.reason;
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(workers().empty());
}

TEST_F(worker_protocol_test, right_token_joins_is_listed_and_dropped_when_silent) {
  {
    caf::scoped_actor self{*worker_sys};
    auto ok = join(self, token, "1.2.3");
    ASSERT_TRUE(ok.accepted) << ok.reason;
    EXPECT_EQ(ok.session.size(), 48u);
    auto listed = workers_after(1);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].id, ok.worker);
    EXPECT_EQ(listed[0].slots, 2);
    EXPECT_EQ(listed[0].host, "test-host");
    EXPECT_EQ(listed[0].version, "1.2.3");
    EXPECT_NE(listed[0].address.find("127.0.0.1"), std::string::npos) << listed[0].address;
    // A heartbeat with a made-up session changes nothing; it stays until
    // it has been silent for the timeout (2 s here).
    auto remote = worker_sys->middleman().remote_actor<coordinator_actor>("127.0.0.1", port);
    ASSERT_TRUE(remote);
    caf::anon_send(*remote, heartbeat_atom::value, std::string{"forged"}, int32_t{7});
    std::this_thread::sleep_for(300ms);
    listed = workers();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].running, 0);
  }
  // The joined handle (the scoped actor) is gone, and no heartbeat comes.
  EXPECT_TRUE(workers_after(0).empty());
}

TEST_F(worker_protocol_test, an_oversized_join_is_refused) {
  auto remote = worker_sys->middleman().remote_actor<coordinator_actor>("127.0.0.1", port);
  ASSERT_TRUE(remote);
  caf::scoped_actor self{*worker_sys};
  join_request req{token, "1.2.3", 2, std::string(8u << 10, 'h'), ""};
  join_answer out;
  self->request(*remote, 10s, join_atom::value, req)
    .receive([&](join_answer& a) { out = std::move(a); }, [&](caf::error&) {});
  EXPECT_FALSE(out.accepted);
  EXPECT_EQ(out.reason, "the join message is larger than 4 KiB");
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(workers().empty());
}

// A joined worker whose result is larger than the bound: the result is not
// passed on, the worker is told to go (it ends), and it is no longer listed.
TEST_F(worker_protocol_test, an_oversized_result_drops_its_worker) {
  auto remote = worker_sys->middleman().remote_actor<coordinator_actor>("127.0.0.1", port);
  ASSERT_TRUE(remote);
  auto gate_handle = *remote;
  auto joined = std::make_shared<std::atomic<bool>>(false);
  auto fake = worker_sys->spawn([=](caf::event_based_actor* self) -> caf::behavior {
    join_request req{token, "1.2.3", 1, "big-host", ""};
    self->request(gate_handle, 10s, join_atom::value, req).then([=](join_answer& a) {
      if (!a.accepted)
        return;
      *joined = true;
      // Wait until listed, then send a result of 2 MiB (the bound is 1 MiB).
      self->delayed_send(self, 300ms, a.session);
    });
    return {
      [=](const std::string& session) {
        worker_result big;
        big.task = 1;
        big.ok = true;
        big.layers.push_back({"sha256:x", std::string(2u << 20, 'd')});
        self->send(gate_handle, done_atom::value, session, std::move(big));
      },
    };
  });
  caf::scoped_actor self{*worker_sys};
  self->monitor(fake);
  ASSERT_EQ(workers_after(1).size(), 1u);
  caf::error reason;
  self->receive([&](caf::down_msg& msg) { reason = msg.reason; },
                caf::after(10s) >> [&] { reason = caf::sec::request_timeout; });
  EXPECT_TRUE(*joined);
  EXPECT_EQ(reason, caf::exit_reason::user_shutdown) << worker_sys->render(reason);
  EXPECT_TRUE(workers_after(0).empty());
}

TEST(worker_protocol, payloads_survive_the_binary_serializer) {
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::regscan>();
  caf::actor_system sys{cfg};
  worker_result r;
  r.task = 42;
  r.ok = true;
  r.code = errc::limit;
  r.inv.os = {"debian", "12", "bookworm", "Debian 12"};
  r.inv.packages.push_back({"Debian:12", "libssl3", "3.0.9-1", "openssl", "3.0.9-1",
                            "var/lib/dpkg/status", "sha256:aa", "", ""});
  r.inv.linked_files.push_back({"usr/lib/x", {"lib/x"}});
  r.inv.complete = false;
  r.inv.notes = {"a note"};
  r.inv.secrets_scanned = true;
  r.inv.secrets.push_back({"aws-access-key", "AWS", "cloud", "High", "app/credentials", 2, "AKIA****",
                           "ff", "sha256:bb", true, "sha256:cc"});
  r.inv.malware_scanned = true;
  r.inv.malware_version = "v1";
  r.inv.malware.push_back({"bin/x", "", "ee", 68, "Eicar", "clamav", "test", "Low", "sha256:bb", false,
                           "", "remove it"});
  r.layers.push_back({"sha256:dd", std::string("\0\1delta", 7)});
  r.cache_version = "cv";
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  ASSERT_FALSE(sink(r));
  worker_result back;
  caf::binary_deserializer source{sys, buf};
  ASSERT_FALSE(source(back));
  EXPECT_EQ(back.task, 42u);
  EXPECT_EQ(back.code, errc::limit);
  EXPECT_EQ(back.inv.os.version_codename, "bookworm");
  ASSERT_EQ(back.inv.packages.size(), 1u);
  EXPECT_EQ(back.inv.packages[0].source_name, "openssl");
  EXPECT_EQ(back.inv.packages[0].layer, "sha256:aa");
  EXPECT_EQ(back.inv.linked_files[0].also_at[0], "lib/x");
  EXPECT_FALSE(back.inv.complete);
  ASSERT_EQ(back.inv.secrets.size(), 1u);
  EXPECT_EQ(back.inv.secrets[0].line, 2);
  EXPECT_TRUE(back.inv.secrets[0].deleted);
  EXPECT_EQ(back.inv.secrets[0].deleted_by, "sha256:cc");
  ASSERT_EQ(back.inv.malware.size(), 1u);
  EXPECT_EQ(back.inv.malware[0].size, 68u);
  EXPECT_EQ(back.inv.malware[0].advice, "remove it");
  EXPECT_EQ(back.layers[0].delta, std::string("\0\1delta", 7));

  worker_job job;
  job.task = 7;
  job.password = "pw";
  job.layers.push_back({"sha256:1", "application/x", 10, "sha256:2", "delta"});
  job.secret_key = std::string(32, '\x01');
  buf.clear();
  caf::binary_serializer sink2{sys, buf};
  ASSERT_FALSE(sink2(job));
  worker_job job_back;
  caf::binary_deserializer source2{sys, buf};
  ASSERT_FALSE(source2(job_back));
  EXPECT_EQ(job_back.password, "pw");
  EXPECT_EQ(job_back.layers[0].diff_id, "sha256:2");
  EXPECT_EQ(job_back.secret_key, job.secret_key);
}

namespace {

/// Sets every field fields() names to a value of its own ("<name>", 7, true).
template <class T>
T filled() {
  T x;
  fields(x, [](const char* name, auto& v, field_use = {}) {
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<V, std::string>)
      v = std::string("<") + name + ">";
    else if constexpr (std::is_same_v<V, bool>)
      v = true;
    else if constexpr (std::is_integral_v<V>)
      v = 7;
  });
  return x;
}

/// "name=value" of every field fields() names, strings, numbers and bools.
template <class T>
std::string described(const T& x) {
  std::string out;
  fields(x, [&](const char* name, const auto& v, field_use = {}) {
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<V, std::string>)
      out += std::string(name) + "=" + v + ";";
    else if constexpr (std::is_same_v<V, bool> || std::is_integral_v<V>)
      out += std::string(name) + "=" + std::to_string(v) + ";";
  });
  return out;
}

template <class T>
T round_trip(caf::actor_system& sys, T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  EXPECT_FALSE(sink(x));
  T back;
  caf::binary_deserializer source{sys, buf};
  EXPECT_FALSE(source(back));
  return back;
}

} // namespace

TEST(worker_protocol, every_field_of_a_finding_and_a_package_crosses) {
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::regscan>();
  caf::actor_system sys{cfg};
  auto pkg = filled<package>();
  auto secret = filled<secret_finding>();
  auto malware = filled<malware_finding>();
  EXPECT_EQ(described(round_trip(sys, pkg)), described(pkg));
  EXPECT_EQ(described(round_trip(sys, secret)), described(secret));
  EXPECT_EQ(described(round_trip(sys, malware)), described(malware));
  EXPECT_NE(described(pkg).find("kind=<kind>"), std::string::npos) << described(pkg);
}

TEST(worker_protocol, token_file_and_comparison) {
  test::temp_dir dir;
  {
    std::ofstream f{dir / "short"};
    f << "short\n";
  }
  {
    std::ofstream f{dir / "good"};
    f << "  " << token << " \nsecond line\n";
  }
  EXPECT_FALSE(read_worker_token(dir / "missing"));
  auto short_one = read_worker_token(dir / "short");
  ASSERT_FALSE(short_one);
  EXPECT_NE(short_one.err().message.find("16 characters"), std::string::npos);
  auto good = read_worker_token(dir / "good");
  ASSERT_TRUE(good) << good.err().message;
  EXPECT_EQ(*good, token);
  EXPECT_TRUE(same_secret(token, token));
  EXPECT_FALSE(same_secret(token, token + "x"));
  EXPECT_FALSE(same_secret(token, ""));
  EXPECT_FALSE(same_secret("", token));
}

} // namespace
