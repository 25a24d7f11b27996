// Proof that the TSan build sees what it is there for (tests/CMakeLists.txt
// runs this in the TSan build only). "race": an actor writes a counter that
// the main thread reads with nothing ordering the two; TSan must report it.
// "ordered": the main thread reads after each reply; CAF's mailbox orders
// the accesses and TSan must stay silent, which it does only when CAF itself
// is built with TSan (tools/caf_tsan.sh).
#include <caf/all.hpp>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <thread>

namespace {

int counter = 0;

caf::behavior adder(caf::event_based_actor*) {
  return {[](int x) {
    counter += x;
    return x;
  }};
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2)
    return 2;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto actor = sys.spawn(adder);
  if (std::string_view{argv[1]} == "race") {
    caf::anon_send(actor, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::printf("%d\n", counter);
  } else {
    caf::scoped_actor self{sys};
    for (int i = 1; i <= 100; ++i)
      self->request(actor, caf::infinite, i).receive([](int) {}, [](caf::error&) {});
    std::printf("%d\n", counter);
  }
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  return 0;
}
