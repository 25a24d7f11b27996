// oci_client against fake registries written in the test: auth flows,
// retries, pagination edge cases and integrity checks that a real registry
// will not produce on demand.
#include "connectors/oci_client.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "connectors/sha256.hpp"
#include "test_http_server.hpp"

namespace regscan {
namespace {

using namespace std::chrono_literals;
using test::reply;
using test::test_http_server;

std::string header_of(const test::request& r, std::string_view name) {
  auto it = r.find(name);
  return it == r.end() ? std::string{} : std::string(it->value());
}

std::string basic(const std::string& user_pass) {
  std::string out(4 * ((user_pass.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(user_pass.data()),
                           static_cast<int>(user_pass.size()));
  out.resize(static_cast<size_t>(n));
  return "Basic " + out;
}

struct recorded_sleeps {
  std::vector<std::chrono::milliseconds> waits;
  oci_client::sleep_fn fn() {
    return [this](std::chrono::milliseconds d) { waits.push_back(d); };
  }
};

TEST(oci_client_fake, bearer_token_flow_with_cache) {
  test_http_server* self = nullptr;
  test_http_server server([&](const test::request& r) {
    auto target = std::string(r.target());
    if (target.starts_with("/token")) {
      if (header_of(r, "Authorization") != basic("u:p"))
        return reply{401, {}, "{}"};
      return reply{200, {}, R"({"access_token":"tok-1","expires_in":300})"};
    }
    if (header_of(r, "Authorization") == "Bearer tok-1")
      return reply{200, {}, "{}"};
    return reply{401,
                 {{"WWW-Authenticate",
                   "Bearer realm=\"" + self->url() + "/token\",service=\"fake registry\""}},
                 R"({"errors":[{"code":"UNAUTHORIZED"}]})"};
  });
  self = &server;
  oci_client client(server.url(), {"u", "p"});
  auto ok = client.ping();
  ASSERT_TRUE(ok) << ok.err().message;
  ASSERT_TRUE(client.ping());
  EXPECT_EQ(server.count("/token"), 1u); // cached
  auto reqs = server.requests();
  bool saw_service = false;
  for (auto& r : reqs)
    saw_service |= std::string(r.target()).find("service=fake%20registry") != std::string::npos;
  EXPECT_TRUE(saw_service);

  oci_client wrong(server.url(), {"u", "nope"});
  auto bad = wrong.ping();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.err().message,
            "authentication failed for 127.0.0.1:" + std::to_string(server.port())
              + ": check username/password");
  EXPECT_EQ(bad.err().message.find("nope"), std::string::npos);
}

// The hand-off to a remote worker: the coordinator's client gets a fresh
// pull token for one repository; the worker's client pulls with it and asks
// the token server for nothing. Once the registry refuses it, or it has
// expired, the worker's request is errc::unavailable (retried with a new
// one), never a token request without credentials.
TEST(oci_client_fake, a_handed_pull_token_is_used_and_never_renewed_by_the_worker) {
  test_http_server* self = nullptr;
  int minted = 0;
  test_http_server server([&](const test::request& r) {
    auto target = std::string(r.target());
    if (target.starts_with("/token")) {
      if (header_of(r, "Authorization") != basic("u:p"))
        return reply{401, {}, "{}"};
      ++minted;
      return reply{200, {}, R"({"token":"tok-)" + std::to_string(minted) + R"(","expires_in":300})"};
    }
    auto auth = header_of(r, "Authorization");
    if (auth == "Bearer tok-1" || auth == "Bearer tok-2")
      return reply{200, {{"Docker-Content-Digest", "sha256:" + std::string(64, 'a')}}, "{}"};
    return reply{401, {{"WWW-Authenticate", "Bearer realm=\"" + self->url() + "/token\",service=\"s\""}}, "{}"};
  });
  self = &server;
  oci_client plain(server.url(), {"u", "p"});
  auto none = plain.pull_token_for("app");
  ASSERT_TRUE(none) << none.err().message;
  EXPECT_FALSE(*none) << "no request yet: the client does not know the registry uses tokens";

  oci_client coordinator(server.url(), {"u", "p"});
  ASSERT_TRUE(coordinator.ping());
  auto handed = coordinator.pull_token_for("app");
  ASSERT_TRUE(handed) << handed.err().message;
  ASSERT_TRUE(*handed);
  EXPECT_EQ((*handed)->token, "tok-2"); // fresh, not the ping's
  EXPECT_GT((*handed)->valid_seconds, 200);
  EXPECT_LE((*handed)->valid_seconds, 300);
  EXPECT_NE(server.requests().back().target().find("scope=repository%3Aapp%3Apull"), std::string::npos);

  auto tokens = server.count("/token");
  oci_client worker(server.url(), {});
  worker.use_pull_token("app", **handed);
  EXPECT_TRUE(worker.head_manifest("app", "1"));
  EXPECT_EQ(server.count("/token"), tokens);

  oci_client refused(server.url(), {});
  refused.use_pull_token("app", {"tok-revoked", 300});
  auto r = refused.head_manifest("app", "1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::unavailable) << r.err().message;
  oci_client expired(server.url(), {});
  expired.use_pull_token("app", {"tok-2", 0});
  r = expired.head_manifest("app", "1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::unavailable) << r.err().message;
  EXPECT_EQ(server.count("/token"), tokens);
}

TEST(oci_client_fake, bearer_token_uses_challenge_scope) {
  test_http_server* self = nullptr;
  test_http_server server([&](const test::request& r) {
    auto target = std::string(r.target());
    if (target.starts_with("/token"))
      return reply{200, {}, R"({"token":"t-)" + std::to_string(target.find("scope=repository%3Aapp%3Apull") != std::string::npos) + R"("})"};
    if (header_of(r, "Authorization") == "Bearer t-1")
      return reply{200, {}, R"({"name":"app","tags":["1","2"]})"};
    return reply{401,
                 {{"WWW-Authenticate", "Bearer realm=\"" + self->url()
                                         + "/token\",service=\"s\",scope=\"repository:app:pull\""}},
                 ""};
  });
  self = &server;
  oci_client client(server.url(), {}); // anonymous token
  auto tags = client.tags("app");
  ASSERT_TRUE(tags) << tags.err().message;
  EXPECT_EQ(*tags, (std::vector<std::string>{"1", "2"}));
  for (auto& r : server.requests()) {
    if (std::string(r.target()).starts_with("/token")) {
      EXPECT_EQ(r.find("Authorization"), r.end()); // no credentials configured
    }
  }
}

TEST(oci_client_fake, basic_auth_without_credentials_is_explained) {
  test_http_server server([](const test::request&) {
    return reply{401, {{"WWW-Authenticate", "Basic realm=\"r\""}}, ""};
  });
  oci_client client(server.url(), {});
  auto r = client.ping();
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("no username/password configured"), std::string::npos) << r.err().message;
}

TEST(oci_client_fake, retries_429_honouring_retry_after) {
  int calls = 0;
  test_http_server server([&](const test::request&) {
    return ++calls == 1 ? reply{429, {{"Retry-After", "7"}}, ""} : reply{200, {}, "{}"};
  });
  recorded_sleeps sleeps;
  oci_client client(server.url(), {});
  client.set_sleep(sleeps.fn());
  auto ok = client.ping();
  ASSERT_TRUE(ok) << ok.err().message;
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(sleeps.waits, (std::vector<std::chrono::milliseconds>{7s}));
}

TEST(oci_client_fake, each_429_calls_the_throttled_hook_once) {
  int calls = 0;
  test_http_server server([&](const test::request&) {
    return ++calls <= 2 ? reply{429, {}, ""} : reply{200, {}, "{}"};
  });
  int throttled = 0;
  http_options opts;
  opts.on_throttled = [&] { ++throttled; };
  oci_client client(server.url(), {}, opts);
  recorded_sleeps sleeps;
  client.set_sleep(sleeps.fn());
  ASSERT_TRUE(client.ping());
  EXPECT_EQ(throttled, 2);
  EXPECT_EQ(sleeps.waits.size(), 2u);
}

TEST(oci_client_fake, retry_after_is_capped_and_5xx_backs_off) {
  int calls = 0;
  test_http_server server([&](const test::request&) {
    ++calls;
    if (calls == 1)
      return reply{429, {{"Retry-After", "86400"}}, ""};
    return reply{503, {}, ""};
  });
  recorded_sleeps sleeps;
  oci_client client(server.url(), {});
  client.set_sleep(sleeps.fn());
  auto r = client.ping();
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("503"), std::string::npos) << r.err().message;
  EXPECT_EQ(calls, oci_client::max_attempts);
  ASSERT_EQ(sleeps.waits.size(), 3u);
  EXPECT_EQ(sleeps.waits[0], 60s);
  // 250 ms x 2^(attempt-1), jittered by x0.5..1.5.
  EXPECT_GE(sleeps.waits[1], 250ms);
  EXPECT_LE(sleeps.waits[1], 750ms);
  EXPECT_GE(sleeps.waits[2], 500ms);
  EXPECT_LE(sleeps.waits[2], 1500ms);
}

std::string http_date(std::chrono::system_clock::time_point t) {
  auto tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Retry-After as an HTTP date: the wait is the time until then, capped.
TEST(oci_client_fake, retry_after_as_http_date) {
  int calls = 0;
  std::string when;
  test_http_server server([&](const test::request&) {
    if (++calls <= 2)
      return reply{429, {{"Retry-After", when}}, ""};
    return reply{200, {}, "{}"};
  });
  recorded_sleeps sleeps;
  oci_client client(server.url(), {});
  client.set_sleep([&](std::chrono::milliseconds d) {
    sleeps.waits.push_back(d);
    when = "Fri, 31 Dec 2999 23:59:59 GMT"; // the second answer: absurdly far
  });
  when = http_date(std::chrono::system_clock::now() + 20s);
  auto ok = client.ping();
  ASSERT_TRUE(ok) << ok.err().message;
  ASSERT_EQ(sleeps.waits.size(), 2u);
  EXPECT_GE(sleeps.waits[0], 18s); // whole seconds, a moment later
  EXPECT_LE(sleeps.waits[0], 20s);
  EXPECT_EQ(sleeps.waits[1], 60s);
}

TEST(oci_client_fake, connection_errors_are_retried) {
  uint16_t port;
  {
    test_http_server gone([](const test::request&) { return reply{}; });
    port = gone.port();
  }
  recorded_sleeps sleeps;
  oci_client client("http://127.0.0.1:" + std::to_string(port), {"u", "p"});
  client.set_sleep(sleeps.fn());
  auto r = client.ping();
  ASSERT_FALSE(r);
  EXPECT_EQ(sleeps.waits.size(), 3u);
  EXPECT_NE(r.err().message.find("127.0.0.1"), std::string::npos);
}

TEST(oci_client_fake, catalog_follows_links_and_stops_on_loops) {
  test_http_server server([](const test::request& r) {
    auto t = std::string(r.target());
    if (t == "/v2/_catalog?n=100")
      return reply{200, {{"Link", R"(</v2/_catalog?last=b&n=100>; rel="next")"}}, R"({"repositories":["a","b"]})"};
    if (t == "/v2/_catalog?last=b&n=100") // points back to the first page
      return reply{200, {{"Link", R"(</v2/_catalog?n=100>; rel="next")"}}, R"({"repositories":["c"]})"};
    return reply{404, {}, ""};
  });
  oci_client client(server.url(), {});
  auto repos = client.catalog();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(*repos, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(oci_client_fake, pagination_stops_on_repeated_pages) {
  int calls = 0;
  test_http_server server([&](const test::request&) {
    ++calls;
    // Always the same names with a fresh next link: only repeats after page 1.
    return reply{200, {{"Link", "</v2/app/tags/list?last=x" + std::to_string(calls) + ">; rel=\"next\""}},
                 R"({"name":"app","tags":["x","y"]})"};
  });
  oci_client client(server.url(), {});
  auto tags = client.tags("app");
  ASSERT_TRUE(tags) << tags.err().message;
  EXPECT_EQ(*tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(calls, 2);
}

// A next link asking for a huge n gets a huge page: refused at the body
// limit, not buffered without end.
TEST(oci_client_fake, pagination_with_a_huge_page_is_refused) {
  std::string names;
  for (int i = 0; names.size() < (5u << 20); ++i)
    names += std::string(i ? "," : "") + "\"r" + std::to_string(i) + "\"";
  test_http_server server([&](const test::request& r) {
    if (r.target() == "/v2/_catalog?n=100")
      return reply{200, {{"Link", R"(</v2/_catalog?n=2000000000&last=a>; rel="next")"}}, R"({"repositories":["a"]})"};
    return reply{200, {}, R"({"repositories":[)" + names + "]}"};
  });
  oci_client client(server.url(), {});
  auto repos = client.catalog();
  ASSERT_FALSE(repos);
  EXPECT_NE(repos.err().message.find("exceeds the limit"), std::string::npos) << repos.err().message;
  EXPECT_EQ(server.requests().size(), 2u); // not retried
}

// Pages that never end (each with new names) stop at max_pages with an
// error: a partial listing must not pass for the whole registry.
TEST(oci_client_fake, endless_pagination_is_an_error) {
  int calls = 0;
  test_http_server server([&](const test::request&) {
    ++calls;
    return reply{200, {{"Link", "</v2/_catalog?last=r" + std::to_string(calls) + ">; rel=\"next\""}},
                 R"({"repositories":["r)" + std::to_string(calls) + "\"]}"};
  });
  oci_client client(server.url(), {});
  auto repos = client.catalog();
  ASSERT_FALSE(repos);
  EXPECT_NE(repos.err().message.find("more than 1000 pages"), std::string::npos) << repos.err().message;
  EXPECT_EQ(calls, oci_client::max_pages);
}

TEST(oci_client_fake, pagination_without_link_uses_last) {
  test_http_server server([](const test::request& r) {
    auto t = std::string(r.target());
    std::string names;
    if (t == "/v2/_catalog?n=100") {
      for (int i = 0; i < 100; ++i)
        names += std::string(i ? "," : "") + "\"r" + std::to_string(1000 + i) + "\"";
    } else if (t == "/v2/_catalog?n=100&last=r1099") {
      names = R"("z")";
    } else {
      return reply{404, {}, ""};
    }
    return reply{200, {}, R"({"repositories":[)" + names + "]}"};
  });
  oci_client client(server.url(), {});
  auto repos = client.catalog();
  ASSERT_TRUE(repos) << repos.err().message;
  ASSERT_EQ(repos->size(), 101u);
  EXPECT_EQ(repos->back(), "z");
}

TEST(oci_client_fake, resolves_an_oci_image) {
  std::string config = R"({"os":"linux","architecture":"riscv64","rootfs":{"type":"layers","diff_ids":["sha256:)"
                       + std::string(64, 'd') + R"("]}})";
  auto config_digest = sha256_digest(config);
  std::string manifest = R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")"
                         + config_digest + R"(","size":1},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"sha256:)"
                         + std::string(64, 'e') + R"(","size":42}]})";
  test_http_server server([&](const test::request& r) {
    auto t = std::string(r.target());
    if (t == "/v2/app/manifests/1")
      return reply{200, {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}, manifest};
    if (t == "/v2/app/blobs/" + config_digest)
      return reply{200, {}, config};
    return reply{404, {}, ""};
  });
  oci_client client(server.url(), {});
  auto images = client.resolve("app", "1");
  ASSERT_TRUE(images) << images.err().message;
  ASSERT_EQ(images->size(), 1u);
  auto& img = images->front();
  EXPECT_EQ(img.media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(img.manifest_digest, sha256_digest(manifest));
  EXPECT_EQ(img.config_digest, config_digest);
  EXPECT_EQ(img.architecture, "riscv64");
  EXPECT_EQ(img.size, 42u);
  EXPECT_EQ(img.diff_ids.size(), 1u);
  EXPECT_EQ(img.config_json, config);
}

TEST(oci_client_fake, pagination_never_leaves_the_registry) {
  test_http_server server([](const test::request&) {
    return reply{200, {{"Link", "<http://evil.example/v2/_catalog?n=100>; rel=\"next\""}},
                 R"({"repositories":["a"]})"};
  });
  oci_client client(server.url(), {"u", "p"});
  auto r = client.catalog();
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("another host"), std::string::npos);
}

TEST(oci_client_fake, rejects_schema1_oversized_and_mismatched_manifests) {
  std::string good = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:)"
                     + std::string(64, 'a') + R"("},"layers":[]})";
  test_http_server server([&](const test::request& r) {
    auto t = std::string(r.target());
    if (t == "/v2/app/manifests/v1")
      return reply{200, {{"Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws"}},
                   R"({"schemaVersion":1,"name":"app","tag":"v1","fsLayers":[]})"};
    if (t == "/v2/app/manifests/big")
      return reply{200, {}, std::string(5u << 20, ' ')};
    if (t == "/v2/app/manifests/lying")
      return reply{200, {{"Docker-Content-Digest", "sha256:" + std::string(64, 'b')}}, good};
    if (t.starts_with("/v2/app/manifests/sha256:"))
      return reply{200, {}, good};
    return reply{404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"};
  });
  oci_client client(server.url(), {});
  auto v1 = client.resolve("app", "v1");
  ASSERT_FALSE(v1);
  EXPECT_NE(v1.err().message.find("schema 1 manifests are not supported"), std::string::npos) << v1.err().message;
  auto big = client.resolve("app", "big");
  ASSERT_FALSE(big);
  EXPECT_NE(big.err().message.find("larger than 4 MiB"), std::string::npos) << big.err().message;
  auto lying = client.resolve("app", "lying");
  ASSERT_FALSE(lying);
  EXPECT_NE(lying.err().message.find("digest mismatch"), std::string::npos) << lying.err().message;
  auto by_digest = client.resolve("app", "sha256:" + std::string(64, 'c'));
  ASSERT_FALSE(by_digest);
  EXPECT_NE(by_digest.err().message.find("digest mismatch"), std::string::npos);
  auto missing = client.resolve("app", "nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.err().message.find("MANIFEST_UNKNOWN"), std::string::npos) << missing.err().message;
  EXPECT_FALSE(client.resolve("../etc", "x"));
  EXPECT_FALSE(client.resolve("app", "bad/tag"));
}

TEST(oci_client_fake, blob_redirect_to_storage_drops_credentials_and_verifies_digest) {
  std::string blob = "layer bytes";
  auto digest = sha256_digest(blob);
  test_http_server storage([&](const test::request& r) {
    return reply{200, {}, r.target() == "/tampered" ? blob + "!" : blob};
  });
  test_http_server registry([&](const test::request& r) {
    if (header_of(r, "Authorization") != basic("u:p"))
      return reply{401, {{"WWW-Authenticate", "Basic realm=\"r\""}}, ""};
    auto t = std::string(r.target());
    if (t == "/v2/app/blobs/" + digest)
      return test::redirect_to(307, storage.url("localhost") + "/blob?X-Amz-Signature=1");
    return test::redirect_to(307, storage.url("localhost") + "/tampered");
  });
  oci_client client(registry.url(), {"u", "p"});
  std::string got;
  auto sink = [&](const uint8_t* p, size_t n) -> expected<void> {
    got.append(reinterpret_cast<const char*>(p), n);
    return {};
  };
  auto ok = client.fetch_blob("app", digest, sink);
  ASSERT_TRUE(ok) << ok.err().message;
  EXPECT_EQ(got, blob);
  for (auto& r : storage.requests())
    EXPECT_EQ(r.find("Authorization"), r.end());
  auto other = sha256_digest("something else");
  auto bad = client.fetch_blob("app", other, sink);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.err().message, "digest mismatch for " + other);
  EXPECT_FALSE(client.fetch_blob("app", "sha256:short", sink));
}

} // namespace
} // namespace regscan
