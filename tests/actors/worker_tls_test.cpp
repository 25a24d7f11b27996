// TLS on the worker link: the start check of the certificate files (made
// here with the openssl command), and a join through CAF's OpenSSL module on
// loopback with a certificate on each side.
#include "actors/worker_tls.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <gtest/gtest.h>

#include "actors/actors.hpp"
#include "../storage/test_util.hpp"

using namespace regscan;
using namespace std::chrono_literals;

namespace {

struct worker_tls_test : testing::Test {
  test::temp_dir dir;

  void SetUp() override {
    make_ca("ca");
    make_ca("other");
    make_cert("ca", "daemon", "serverAuth");
    make_cert("ca", "worker", "clientAuth");
    make_cert("other", "rogue", "clientAuth");
  }
  std::string path(const std::string& name) const { return dir / name; }
  void run(const std::string& command) {
    ASSERT_EQ(std::system(("cd " + dir.path() + " && " + command + " 2>/dev/null").c_str()), 0)
      << command;
  }
  void make_ca(const std::string& name) {
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN="
        + name + " -keyout " + name + ".key -out " + name + ".crt");
  }
  void make_cert(const std::string& ca, const std::string& name, const std::string& usage) {
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" + name
        + " -keyout " + name + ".key -out " + name + ".csr");
    std::ofstream{dir / (name + ".ext")} << "basicConstraints=CA:FALSE\nextendedKeyUsage=" << usage
                                         << "\n";
    run("openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca
        + ".key -CAcreateserial -days 2 -extfile " + name + ".ext -out " + name + ".crt");
  }
  worker_tls_files files(const std::string& name, const std::string& ca) const {
    return {path(name + ".crt"), path(name + ".key"), path(ca + ".crt")};
  }
};

TEST_F(worker_tls_test, the_start_check_names_what_is_wrong) {
  EXPECT_TRUE(check_worker_tls(files("daemon", "ca"), true));
  EXPECT_TRUE(check_worker_tls(files("worker", "ca"), false));
  auto message = [](const expected<void>& r) { return r ? std::string{"ok"} : r.err().message; };
  // A worker's certificate is no server certificate, and the reverse.
  EXPECT_NE(message(check_worker_tls(files("worker", "ca"), true)).find("as a TLS server certificate"),
            std::string::npos);
  EXPECT_NE(message(check_worker_tls(files("daemon", "ca"), false)).find("unsuitable certificate purpose"),
            std::string::npos)
    << message(check_worker_tls(files("daemon", "ca"), false));
  EXPECT_NE(message(check_worker_tls(files("rogue", "ca"), false)).find("does not verify against the CA"),
            std::string::npos);
  auto mixed = files("worker", "ca");
  mixed.key = path("rogue.key");
  EXPECT_NE(message(check_worker_tls(mixed, false)).find("does not belong to the certificate"),
            std::string::npos);
  run("openssl pkey -in worker.key -aes256 -passout pass:secret -out encrypted.key");
  auto encrypted = files("worker", "ca");
  encrypted.key = path("encrypted.key");
  EXPECT_NE(message(check_worker_tls(encrypted, false)).find("not encrypted"), std::string::npos)
    << message(check_worker_tls(encrypted, false));
  auto missing = files("worker", "ca");
  missing.ca = path("nowhere.crt");
  EXPECT_NE(message(check_worker_tls(missing, false)).find("cannot load the TLS CA"), std::string::npos);
  EXPECT_FALSE(check_worker_tls({path("worker.crt"), "", path("ca.crt")}, false));
}

// Two actor systems with CAF's OpenSSL module: the daemon's publishes an
// actor, the worker's reaches it and gets an answer.
TEST_F(worker_tls_test, a_worker_with_a_certificate_of_the_ca_reaches_the_daemon) {
  caf::actor_system_config daemon_cfg;
  caf::actor_system_config worker_cfg;
  for (auto* cfg : {&daemon_cfg, &worker_cfg}) {
    cfg->add_message_types<caf::id_block::regscan>();
    cfg->load<caf::io::middleman>();
  }
  use_worker_tls(daemon_cfg, files("daemon", "ca"));
  use_worker_tls(worker_cfg, files("worker", "ca"));
  caf::actor_system daemon_sys{daemon_cfg};
  caf::actor_system worker_sys{worker_cfg};
  auto gate = daemon_sys.spawn([]() -> coordinator_actor::behavior_type {
    return {
      [](join_atom, join_request& req) { return join_answer{true, req.host, 7, "s"}; },
      [](heartbeat_atom, const std::string&, int32_t) {},
      [](done_atom, const std::string&, worker_result&) {},
    };
  });
  auto port = caf::openssl::publish(gate, 0, "127.0.0.1", true);
  ASSERT_TRUE(port) << daemon_sys.render(port.error());
  auto remote = caf::openssl::remote_actor<coordinator_actor>(worker_sys, "127.0.0.1", *port);
  ASSERT_TRUE(remote) << worker_sys.render(remote.error());
  caf::scoped_actor self{worker_sys};
  join_answer out;
  self->request(*remote, 10s, join_atom::value, join_request{"t", "v", 1, "over-tls", ""})
    .receive([&](join_answer& a) { out = std::move(a); }, [&](caf::error&) {});
  EXPECT_TRUE(out.accepted);
  EXPECT_EQ(out.reason, "over-tls");
  caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
}

} // namespace
