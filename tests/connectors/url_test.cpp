#include "connectors/url.hpp"

#include <gtest/gtest.h>

#include "connectors/header_parsing.hpp"
#include "connectors/sha256.hpp"

namespace regscan {
namespace {

TEST(url, parses_scheme_host_port_and_target) {
  auto u = parse_url("https://Registry.Example.com:8443/v2/_catalog?n=100");
  ASSERT_TRUE(u) << u.err().message;
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "registry.example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/v2/_catalog?n=100");
  EXPECT_EQ(u->authority(), "registry.example.com:8443");
  EXPECT_EQ(u->describe(), "registry.example.com:8443/v2/_catalog");
}

TEST(url, default_ports_and_root_target) {
  auto a = parse_url("http://127.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, 80);
  EXPECT_EQ(a->target, "/");
  EXPECT_EQ(a->str(), "http://127.0.0.1/");
  auto b = parse_url("https://ghcr.io?x=1#frag");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->target, "/?x=1");
  EXPECT_EQ(b->authority(), "ghcr.io");
}

TEST(url, ipv6_literals) {
  auto u = parse_url("http://[::1]:5000/v2/");
  ASSERT_TRUE(u) << u.err().message;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 5000);
  EXPECT_EQ(u->authority(), "[::1]:5000");
  auto v = parse_url("https://[2001:db8::1]");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->host, "2001:db8::1");
  EXPECT_EQ(v->port, 443);
}

TEST(url, rejects_bad_input) {
  EXPECT_FALSE(parse_url("ftp://host/"));
  EXPECT_FALSE(parse_url("host:5000"));
  EXPECT_FALSE(parse_url("http://"));
  EXPECT_FALSE(parse_url("http://host:0/"));
  EXPECT_FALSE(parse_url("http://host:70000/"));
  EXPECT_FALSE(parse_url("http://host:12ab/"));
  EXPECT_FALSE(parse_url("http://[::1/"));
  EXPECT_FALSE(parse_url("http://a b/"));
  EXPECT_FALSE(parse_url("http://host/a b"));
  auto creds = parse_url("https://user:secret@host/");
  ASSERT_FALSE(creds);
  EXPECT_EQ(creds.err().message.find("secret"), std::string::npos);
}

TEST(url, resolves_locations) {
  auto base = *parse_url("https://reg.io:5000/v2/repo/blobs/sha256:ab?x=1");
  EXPECT_EQ(resolve_url(base, "https://s3.aws/bucket/k?sig=1")->str(), "https://s3.aws/bucket/k?sig=1");
  EXPECT_EQ(resolve_url(base, "//cdn.example/x")->str(), "https://cdn.example/x");
  EXPECT_EQ(resolve_url(base, "/v2/_catalog?last=b&n=2")->str(), "https://reg.io:5000/v2/_catalog?last=b&n=2");
  EXPECT_EQ(resolve_url(base, "other")->str(), "https://reg.io:5000/v2/repo/blobs/other");
  EXPECT_EQ(resolve_url(base, "?n=2")->str(), "https://reg.io:5000/v2/repo/blobs/sha256:ab?n=2");
  EXPECT_FALSE(resolve_url(base, ""));
  EXPECT_FALSE(resolve_url(base, "file:///etc/passwd"));
}

TEST(url, same_origin_compares_scheme_host_port) {
  auto a = *parse_url("http://127.0.0.1:5000/a");
  EXPECT_TRUE(same_origin(a, *parse_url("http://127.0.0.1:5000/b?c")));
  EXPECT_FALSE(same_origin(a, *parse_url("http://localhost:5000/a")));
  EXPECT_FALSE(same_origin(a, *parse_url("https://127.0.0.1:5000/a")));
  EXPECT_FALSE(same_origin(a, *parse_url("http://127.0.0.1:5001/a")));
}

TEST(header_parsing, www_authenticate) {
  auto c = parse_www_authenticate(
    R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(c[0].params["service"], "registry.docker.io");
  EXPECT_EQ(c[0].params["scope"], "repository:library/alpine:pull");
  auto two = parse_www_authenticate(R"(Basic realm="Registry Realm", Bearer realm="http://x/t", error=invalid_token)");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].scheme, "basic");
  EXPECT_EQ(two[0].params["realm"], "Registry Realm");
  EXPECT_EQ(two[1].params["error"], "invalid_token");
  EXPECT_TRUE(parse_www_authenticate("").empty());
}

TEST(header_parsing, link_next) {
  EXPECT_EQ(parse_next_link(R"(</v2/_catalog?last=b&n=2>; rel="next")"), "/v2/_catalog?last=b&n=2");
  EXPECT_EQ(parse_next_link(R"(</a>; rel="prev", </b>; rel=next)"), "/b");
  EXPECT_FALSE(parse_next_link(R"(</a>; rel="prev")"));
  EXPECT_FALSE(parse_next_link("garbage"));
  EXPECT_FALSE(parse_next_link(""));
}

TEST(header_parsing, retry_after) {
  using namespace std::chrono;
  auto now = system_clock::from_time_t(1445412480); // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(parse_retry_after("7", now, seconds(60)), seconds(7));
  EXPECT_EQ(parse_retry_after("3600", now, seconds(60)), seconds(60));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now, seconds(60)), seconds(30));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 09:00:00 GMT", now, seconds(60)), seconds(60));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now, seconds(60)), seconds(0));
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 2999 23:59:59 GMT", now, seconds(60)), seconds(60));
  EXPECT_FALSE(parse_retry_after("soon", now, seconds(60)));
}

TEST(sha256, known_vectors) {
  EXPECT_EQ(sha256_digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha256 h;
  h.update("a", 1);
  h.update("bc", 2);
  EXPECT_EQ(h.digest(), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(is_sha256_digest(sha256_digest("x")));
  EXPECT_FALSE(is_sha256_digest("sha256:ABC"));
  EXPECT_FALSE(is_sha256_digest("sha512:" + std::string(64, 'a')));
}

} // namespace
} // namespace regscan
