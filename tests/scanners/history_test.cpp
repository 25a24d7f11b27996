#include "scanners/layer/history.hpp"

#include <gtest/gtest.h>

namespace regscan {
namespace {

// The history of a real `docker build` of:
//   FROM debian:12 / ENV A=b / RUN apt-get install -y curl / COPY app /app / CMD ["/app"]
constexpr std::string_view config = R"({
  "architecture": "amd64", "os": "linux",
  "config": {"Env": ["A=b"], "Cmd": ["/app"]},
  "rootfs": {"type": "layers", "diff_ids": ["sha256:d1", "sha256:d2", "sha256:d3"]},
  "history": [
    {"created": "2024-06-12T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:4d1 in / "},
    {"created": "2024-06-12T00:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]", "empty_layer": true},
    {"created": "2024-06-13T10:00:00Z", "created_by": "ENV A=b", "comment": "buildkit.dockerfile.v0", "empty_layer": true},
    {"created": "2024-06-13T10:00:05Z", "created_by": "RUN /bin/sh -c apt-get install -y curl # buildkit", "comment": "buildkit.dockerfile.v0"},
    {"created": "2024-06-13T10:00:06Z", "created_by": "COPY app /app # buildkit", "comment": "buildkit.dockerfile.v0"},
    {"created": "2024-06-13T10:00:06Z", "created_by": "CMD [\"/app\"]", "comment": "buildkit.dockerfile.v0", "empty_layer": true}
  ]
})";

TEST(history, lines_steps_up_with_layers) {
  std::string note = "stale";
  auto steps = line_up_history(config, {"sha256:l1", "sha256:l2", "sha256:l3"}, &note);
  EXPECT_EQ(note, "");
  ASSERT_EQ(steps.size(), 6u);
  EXPECT_EQ(steps[0].layer, "sha256:l1");
  EXPECT_TRUE(steps[1].empty_layer);
  EXPECT_EQ(steps[1].layer, "");
  EXPECT_EQ(steps[3].layer, "sha256:l2");
  EXPECT_EQ(steps[4].layer, "sha256:l3");
  EXPECT_EQ(steps[2].comment, "buildkit.dockerfile.v0");
  EXPECT_EQ(step_for_layer(steps, "sha256:l2"), "RUN /bin/sh -c apt-get install -y curl # buildkit");
  EXPECT_EQ(step_for_layer(steps, "sha256:nope"), "");
}

TEST(history, mismatch_or_missing_history_still_gives_one_step_per_layer) {
  std::string note;
  auto steps = line_up_history(config, {"sha256:l1", "sha256:l2"}, &note);
  EXPECT_EQ(note, "image config history has 3 layer steps for 2 layers");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[1].layer, "sha256:l2");
  EXPECT_EQ(steps[1].created_by, "");
  EXPECT_EQ(line_up_history(R"({"rootfs":{}})", {"a"}, &note).size(), 1u);
  EXPECT_EQ(note, "image config has no history");
  EXPECT_EQ(line_up_history("{not json", {"a"}, &note).size(), 1u);
  EXPECT_EQ(note, "image config is not JSON");
  EXPECT_EQ(line_up_history("", {}, &note).size(), 0u);
}

} // namespace
} // namespace regscan
