// Bounds on what a registry can make a layer download cost: a minimum
// transfer rate, a blob length that must match its descriptor, and caps on
// layers per manifest and entries per index. Real servers on loopback ports.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "connectors/http_client.hpp"
#include "connectors/oci_client.hpp"
#include "connectors/sha256.hpp"
#include "test_http_server.hpp"

namespace regscan {
namespace {

using namespace std::chrono_literals;
using test::reply;
using test::test_http_server;

// A short window keeps the test fast: 100 bytes/s over 1 s.
http_options slow_limit() {
  http_options o;
  o.timeout = 5s;
  o.min_transfer_bytes_per_second = 100;
  o.min_transfer_window = 1s;
  return o;
}

// 400 bytes, one every 20 ms (50 bytes/s): each byte arrives well within the
// read timeout, and the whole would take 8 s. The first window ends short.
TEST(transfer_limits, a_trickling_body_below_the_minimum_rate_is_cut_off) {
  test_http_server server([](const test::request&) {
    reply r{200, {}, std::string(400, 'x')};
    r.trickle = 20ms;
    return r;
  });
  http_client client(slow_limit());
  size_t got = 0;
  auto started = std::chrono::steady_clock::now();
  auto r = client.stream("GET", server.url() + "/v2/app/blobs/x", {},
                         [&](const uint8_t*, size_t n) -> expected<void> {
                           got += n;
                           return {};
                         });
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::transport) << r.err().message;
  EXPECT_NE(r.err().message.find("slower than the minimum of 100 bytes/s"), std::string::npos)
    << r.err().message;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 3s);
  EXPECT_LT(got, 100u);
}

// The same limit lets a body through that keeps up with it, however long it
// takes: 600 bytes at up to 500 bytes/s spans more than one window.
TEST(transfer_limits, a_body_at_the_minimum_rate_passes) {
  test_http_server server([](const test::request&) {
    reply r{200, {}, std::string(600, 'y')};
    r.trickle = 2ms;
    return r;
  });
  http_client client(slow_limit());
  std::string got;
  auto r = client.stream("GET", server.url() + "/blob", {}, [&](const uint8_t* p, size_t n) -> expected<void> {
    got.append(reinterpret_cast<const char*>(p), n);
    return {};
  });
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(got, std::string(600, 'y'));
}

TEST(transfer_limits, oci_fetch_blob_is_cut_off_when_trickling) {
  std::string blob(400, 'z');
  auto digest = sha256_digest(blob);
  test_http_server registry([&](const test::request&) {
    reply r{200, {}, blob};
    r.trickle = 20ms;
    return r;
  });
  oci_client client(registry.url(), {}, slow_limit());
  client.set_sleep([](std::chrono::milliseconds) {});
  auto r = client.fetch_blob("app", digest, [](const uint8_t*, size_t) -> expected<void> { return {}; },
                             blob.size());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::transport) << r.err().message;
}

struct blob_server {
  std::string blob;
  test_http_server server{[this](const test::request&) { return reply{200, {}, blob}; }};
};

// A blob whose bytes hash to its digest but whose length is not the one its
// descriptor gives is corrupt; a longer one stops at the descriptor's size.
TEST(transfer_limits, blob_length_must_match_the_descriptor) {
  blob_server fixture;
  fixture.blob = std::string(300000, 'b'); // several reads
  auto digest = sha256_digest(fixture.blob);
  oci_client client(fixture.server.url(), {});
  std::string got;
  auto sink = [&](const uint8_t* p, size_t n) -> expected<void> {
    got.append(reinterpret_cast<const char*>(p), n);
    return {};
  };

  auto exact = client.fetch_blob("app", digest, sink, fixture.blob.size());
  ASSERT_TRUE(exact) << exact.err().message;
  EXPECT_EQ(got, fixture.blob);

  got.clear();
  uint64_t smaller = fixture.blob.size() - 100000; // the blob is longer than its descriptor
  auto longer = client.fetch_blob("app", digest, sink, smaller);
  ASSERT_FALSE(longer);
  EXPECT_EQ(longer.err().code, errc::corrupt) << longer.err().message;
  EXPECT_NE(longer.err().message.find("longer than"), std::string::npos) << longer.err().message;
  EXPECT_LE(got.size(), smaller);

  got.clear();
  auto shorter = client.fetch_blob("app", digest, sink, fixture.blob.size() + 1);
  ASSERT_FALSE(shorter);
  EXPECT_EQ(shorter.err().code, errc::corrupt) << shorter.err().message;
  EXPECT_NE(shorter.err().message.find("has 300000 bytes, its descriptor says 300001"), std::string::npos)
    << shorter.err().message;
}

std::string digest_of(size_t i) {
  auto hex = std::to_string(i);
  return "sha256:" + std::string(64 - hex.size(), '0') + hex;
}

TEST(transfer_limits, a_manifest_with_too_many_layers_is_refused) {
  std::string config = R"({"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}})";
  auto config_digest = sha256_digest(config);
  auto manifest_with = [&](size_t layers) {
    std::string m = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":")"
                    + config_digest + R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[)";
    for (size_t i = 0; i < layers; ++i)
      m += (i ? "," : "") + std::string(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")")
           + digest_of(i) + R"(","size":10})";
    return m + "]}";
  };
  auto at_cap = manifest_with(max_manifest_layers);
  auto over_cap = manifest_with(max_manifest_layers + 1);
  test_http_server registry([&](const test::request& r) {
    auto t = std::string(r.target());
    if (t == "/v2/app/manifests/at-cap")
      return reply{200, {}, at_cap};
    if (t == "/v2/app/manifests/over-cap")
      return reply{200, {}, over_cap};
    if (t == "/v2/app/blobs/" + config_digest)
      return reply{200, {}, config};
    return reply{404, {}, ""};
  });
  oci_client client(registry.url(), {});
  auto ok = client.resolve("app", "at-cap");
  ASSERT_TRUE(ok) << ok.err().message;
  EXPECT_EQ(ok->front().layers.size(), max_manifest_layers);

  auto refused = client.resolve("app", "over-cap");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().code, errc::limit) << refused.err().message;
  EXPECT_NE(refused.err().message.find("more than the limit of " + std::to_string(max_manifest_layers)),
            std::string::npos)
    << refused.err().message;
}

TEST(transfer_limits, an_index_with_too_many_entries_is_refused) {
  std::string index = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)";
  for (size_t i = 0; i <= max_index_entries; ++i)
    index += (i ? "," : "") + std::string(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")")
             + digest_of(i) + R"(","size":100,"platform":{"os":"linux","architecture":"arch)" + std::to_string(i)
             + R"("}})";
  index += "]}";
  test_http_server registry([&](const test::request& r) {
    if (std::string(r.target()) == "/v2/app/manifests/multi")
      return reply{200, {{"Content-Type", "application/vnd.oci.image.index.v1+json"}}, index};
    return reply{404, {}, ""};
  });
  oci_client client(registry.url(), {});
  auto r = client.resolve("app", "multi");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::limit) << r.err().message;
  // Refused before any platform manifest was asked for.
  EXPECT_EQ(registry.count("/v2/app/manifests/sha256:"), 0u);
}

} // namespace
} // namespace regscan
