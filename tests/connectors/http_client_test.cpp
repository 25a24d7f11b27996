#include "connectors/http_client.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_http_server.hpp"

namespace regscan {
namespace {

using test::reply;
using test::test_http_server;

std::string header_of(const test::request& r, std::string_view name) {
  auto it = r.find(name);
  return it == r.end() ? std::string{} : std::string(it->value());
}

TEST(http_client, get_buffers_body_and_headers) {
  test_http_server server([](const test::request& r) {
    return reply{200, {{"X-Thing", "yes"}}, "hello " + std::string(r.target())};
  });
  http_client client;
  auto r = client.request("GET", server.url() + "/v2/?a=1", {{"Accept", "text/plain"}});
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello /v2/?a=1");
  EXPECT_EQ(r->header("x-thing"), "yes");
  EXPECT_EQ(r->header("X-THING"), "yes");
  EXPECT_EQ(r->header("missing"), "");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(header_of(reqs[0], "Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(header_of(reqs[0], "Accept"), "text/plain");
}

TEST(http_client, head_has_no_body) {
  test_http_server server([](const test::request&) { return reply{200, {{"Docker-Content-Digest", "sha256:x"}}, "0123456789"}; });
  http_client client;
  auto r = client.request("HEAD", server.url() + "/m");
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->header("docker-content-digest"), "sha256:x");
}

TEST(http_client, cross_host_redirect_drops_authorization) {
  // Same IP, another host name: an origin change all the same.
  test_http_server other([](const test::request&) { return reply{200, {}, "blob bytes"}; });
  test_http_server origin([&](const test::request&) {
    return test::redirect_to(307, other.url("localhost") + "/storage/blob?sig=abc");
  });
  http_client client;
  auto r = client.request("GET", origin.url() + "/v2/r/blobs/x",
                          {{"Authorization", "Bearer secret"}, {"Accept", "*/*"}});
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->body, "blob bytes");
  EXPECT_EQ(r->url, other.url("localhost") + "/storage/blob?sig=abc");
  ASSERT_EQ(origin.requests().size(), 1u);
  EXPECT_EQ(header_of(origin.requests()[0], "Authorization"), "Bearer secret");
  ASSERT_EQ(other.requests().size(), 1u);
  auto arrived = other.requests()[0];
  EXPECT_EQ(arrived.find("Authorization"), arrived.end());
  EXPECT_EQ(header_of(arrived, "Accept"), "*/*");
  EXPECT_EQ(header_of(arrived, "Host"), "localhost:" + std::to_string(other.port()));
}

TEST(http_client, same_origin_redirect_keeps_authorization) {
  test_http_server server([](const test::request& r) {
    if (r.target() == "/a")
      return test::redirect_to(302, "/b");
    return reply{200, {}, "b"};
  });
  http_client client;
  auto r = client.request("GET", server.url() + "/a", {{"Authorization", "Basic dTpw"}});
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->body, "b");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(header_of(reqs[1], "Authorization"), "Basic dTpw");
}

TEST(http_client, redirects_are_bounded) {
  test_http_server server([](const test::request&) { return test::redirect_to(301, "/again"); });
  http_client client(http_options{.max_redirects = 3});
  auto r = client.request("GET", server.url() + "/start");
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("too many redirects"), std::string::npos) << r.err().message;
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(http_client, stalled_body_times_out) {
  test_http_server server([](const test::request&) {
    reply r{200, {}, std::string(1000, 'x')};
    r.stall = true;
    return r;
  });
  http_client client(http_options{.timeout = std::chrono::seconds(1)});
  auto started = std::chrono::steady_clock::now();
  auto r = client.request("GET", server.url() + "/slow");
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("timed out"), std::string::npos) << r.err().message;
  EXPECT_NE(r.err().message.find("127.0.0.1"), std::string::npos) << r.err().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

// A body that trickles in (a byte every 300 ms) never trips the per-read
// timeout; the whole exchange's deadline stops it.
TEST(http_client, trickled_body_hits_the_total_deadline) {
  test_http_server server([](const test::request&) {
    reply r{200, {}, std::string(100, 'x')};
    r.trickle = std::chrono::milliseconds(300);
    return r;
  });
  http_client client(http_options{.timeout = std::chrono::seconds(1), .total_timeout = std::chrono::seconds(2)});
  auto started = std::chrono::steady_clock::now();
  auto r = client.request("GET", server.url() + "/trickle");
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("did not complete within 2s"), std::string::npos) << r.err().message;
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, std::chrono::milliseconds(1900));
  EXPECT_LT(took, std::chrono::seconds(4));
}

TEST(http_client, truncated_and_dropped_answers_are_errors) {
  test_http_server server([](const test::request& r) {
    reply out{200, {}, std::string(1000, 'x')};
    out.truncate = r.target() == "/truncated";
    out.drop = r.target() == "/dropped";
    return out;
  });
  http_client client;
  for (auto path : {"/truncated", "/dropped"}) {
    auto r = client.request("GET", server.url() + path);
    ASSERT_FALSE(r) << path;
    EXPECT_NE(r.err().message.find("127.0.0.1"), std::string::npos) << r.err().message;
  }
}

TEST(http_client, oversized_body_is_rejected) {
  test_http_server server([](const test::request& r) {
    reply out{200, {}, std::string(5000, 'x')};
    out.close_delimited = r.target() == "/no-length";
    return out;
  });
  http_client client(http_options{.max_body = 1024});
  for (auto path : {"/with-length", "/no-length"}) {
    auto r = client.request("GET", server.url() + path);
    ASSERT_FALSE(r) << path;
    EXPECT_NE(r.err().message.find("exceeds the limit"), std::string::npos) << r.err().message;
  }
}

TEST(http_client, stream_sends_2xx_body_to_sink_and_buffers_errors) {
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 7);
  test_http_server server([&](const test::request& r) {
    if (r.target() == "/missing")
      return reply{404, {}, R"({"errors":[{"code":"BLOB_UNKNOWN"}]})"};
    return reply{200, {}, big};
  });
  http_client client(http_options{.max_body = 1024});
  std::string got;
  size_t calls = 0;
  auto sink = [&](const uint8_t* p, size_t n) -> expected<void> {
    got.append(reinterpret_cast<const char*>(p), n);
    ++calls;
    return {};
  };
  auto r = client.stream("GET", server.url() + "/blob", {}, sink);
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(got == big);
  EXPECT_GT(calls, 1u);
  got.clear();
  auto missing = client.stream("GET", server.url() + "/missing", {}, sink);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("BLOB_UNKNOWN"), std::string::npos);
  EXPECT_TRUE(got.empty());
}

TEST(http_client, sink_error_aborts) {
  test_http_server server([](const test::request&) { return reply{200, {}, std::string(200000, 'x')}; });
  http_client client;
  auto r = client.stream("GET", server.url() + "/blob", {},
                         [](const uint8_t*, size_t) -> expected<void> { return make_error("disk full"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message, "disk full");
}

TEST(http_client, connection_refused_names_the_host) {
  uint16_t port;
  {
    test_http_server gone([](const test::request&) { return reply{}; });
    port = gone.port();
  }
  http_client client;
  auto r = client.request("GET", "http://127.0.0.1:" + std::to_string(port) + "/v2/",
                          {{"Authorization", "Basic c2VjcmV0"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.err().message;
  EXPECT_EQ(r.err().message.find("c2VjcmV0"), std::string::npos);
}

TEST(http_client, tls_self_signed_needs_verification_off) {
  auto ctx = test::self_signed_context();
  if (!ctx)
    GTEST_SKIP() << "openssl CLI not available to make a test certificate";
  test_http_server server([](const test::request&) { return reply{200, {}, "secure"}; }, ctx);
  http_client strict;
  auto refused = strict.request("GET", server.url("localhost") + "/v2/");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.err().message.find("certificate verification failed"), std::string::npos)
    << refused.err().message;
  EXPECT_NE(refused.err().message.find("localhost"), std::string::npos);
  http_client lax(http_options{.verify_tls = false});
  for (auto host : {"localhost", "127.0.0.1"}) {
    auto r = lax.request("GET", server.url(host) + "/v2/");
    ASSERT_TRUE(r) << r.err().message;
    EXPECT_EQ(r->body, "secure");
  }
}

// A TLS registry that sends a client to plain http loses what TLS gave:
// refused, and the plain-http host is never asked.
TEST(http_client, an_https_to_http_redirect_is_refused) {
  auto ctx = test::self_signed_context();
  if (!ctx)
    GTEST_SKIP() << "openssl CLI not available to make a test certificate";
  test_http_server plain([](const test::request&) { return reply{200, {}, "in clear"}; });
  test_http_server secure([&](const test::request&) {
    return test::redirect_to(307, plain.url() + "/storage/blob");
  }, ctx);
  http_client client(http_options{.verify_tls = false});
  auto r = client.request("GET", secure.url() + "/v2/r/blobs/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::invalid);
  EXPECT_NE(r.err().message.find("https to plain http"), std::string::npos) << r.err().message;
  EXPECT_EQ(plain.requests().size(), 0u);
}

} // namespace
} // namespace regscan
