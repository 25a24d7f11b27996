#include "actors/worker_gate.hpp"

#include <ctime>
#include <fstream>

#include <openssl/rand.h>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <spdlog/spdlog.h>

namespace regscan {

bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

expected<std::string> read_worker_token(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return make_error(errc::not_found, "cannot read the worker token file " + path);
  std::string line;
  std::getline(in, line);
  auto first = line.find_first_not_of(" \t\r");
  auto last = line.find_last_not_of(" \t\r");
  line = first == std::string::npos ? "" : line.substr(first, last - first + 1);
  if (line.size() < 16)
    return make_error(errc::invalid, "the worker token in " + path
                                       + " is shorter than 16 characters: use a long random one "
                                         "(openssl rand -hex 32)");
  return line;
}

namespace {

std::string random_session() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

join_answer refuse(worker_gate_state& st, const std::string& why) {
  st.refused++;
  spdlog::warn("worker refused: {}", why);
  return {false, why, 0, {}};
}

} // namespace

coordinator_actor::behavior_type
worker_gate(coordinator_actor::stateful_pointer<worker_gate_state> self, supervisor_actor supervisor,
            std::string token, std::string version, worker_gate_limits limits) {
  return {
    [=](join_atom, join_request& req) -> caf::result<join_answer> {
      auto& st = self->state;
      if (wire_size(req) > limits.max_join)
        return refuse(st, "the join message is larger than " + std::to_string(limits.max_join >> 10)
                            + " KiB");
      // The token first: nothing else a peer says is looked at before it.
      if (!same_secret(req.token, token))
        return refuse(st, "wrong token");
      if (req.version != version)
        return refuse(st, "the worker is regscan " + req.version + " and the daemon regscan "
                            + version + ": run the same version on both");
      if (req.slots < 1 || req.slots > 256)
        return refuse(st, "slots must be between 1 and 256");
      auto sender = self->current_sender();
      auto session = random_session();
      if (!sender || session.empty())
        return refuse(st, "no reply address or no session key");
      worker_info info;
      info.id = st.next_id++;
      info.host = req.host.substr(0, 256);
      info.version = req.version;
      info.slots = req.slots;
      info.joined_at = std::time(nullptr);
      info.malware_version = req.malware_version.substr(0, 256);
      auto handle = caf::actor_cast<caf::actor>(sender);
      st.sessions[session] = {info.id, handle.address()};
      auto answer = join_answer{true, {}, info.id, session};
      auto rp = self->make_response_promise<join_answer>();
      // The peer's address, as its connection says.
      auto node = sender->node();
      self->request(self->system().middleman().actor_handle(), std::chrono::seconds{5},
                    caf::get_atom::value, node)
        .then(
          [=](const caf::node_id&, const std::string& host, uint16_t port) mutable {
            info.address = host + ":" + std::to_string(port);
            spdlog::info("worker {} joined from {} ({}, {} slots)", info.id, info.address,
                         info.host, info.slots);
            self->send(supervisor, join_atom::value, info, handle);
            rp.deliver(answer);
          },
          [=](caf::error&) mutable {
            info.address = "unknown";
            self->send(supervisor, join_atom::value, info, handle);
            rp.deliver(answer);
          });
      return rp;
    },
    [=](heartbeat_atom, const std::string& session, int32_t running) {
      auto s = self->state.sessions.find(session);
      if (s == self->state.sessions.end())
        return; // not joined: dropped
      self->send(supervisor, heartbeat_atom::value, s->second.worker, running);
    },
    [=](done_atom, const std::string& session, worker_result& result) {
      auto s = self->state.sessions.find(session);
      if (s == self->state.sessions.end()) {
        spdlog::warn("a result for task {} without a valid session: dropped", result.task);
        return;
      }
      if (auto size = wire_size(result); size > limits.max_result) {
        // Not passed on. The worker is told to go: the supervisor sees it
        // end and queues its tasks again. Its later messages are dropped.
        spdlog::warn("worker {}: the result of task {} is {} MiB, above the link's {} MiB: the "
                     "worker is dropped",
                     s->second.worker, result.task, size >> 20, limits.max_result >> 20);
        self->send_exit(s->second.handle, caf::exit_reason::user_shutdown);
        self->state.sessions.erase(s);
        return;
      }
      self->send(supervisor, done_atom::value, s->second.worker, std::move(result));
    },
  };
}

} // namespace regscan
