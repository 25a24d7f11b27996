// Where oci_client sends credentials: only the registry's own 401 is
// followed, and a token realm is plain HTTP only when the registry is.
// Every host is a real server on its own loopback port.
#include "connectors/oci_client.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "connectors/sha256.hpp"
#include "test_http_server.hpp"

namespace regscan {
namespace {

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

// registry -> 307 to a storage host -> 401 with a Bearer realm on a third
// host. The registry's own token server (another origin, named by the
// registry's own 401) gets the credentials; the third host gets nothing.
// The config blob is served by the registry itself and fetched first, as a
// scan does: the layer request then carries a cached token.
TEST(auth_origin, a_redirect_target_cannot_harvest_credentials) {
  std::string config = "config bytes";
  auto config_digest = sha256_digest(config);
  std::string blob = "layer bytes";
  auto digest = sha256_digest(blob);
  test_http_server harvester([](const test::request&) {
    return reply{200, {}, R"({"token":"harvested","expires_in":300})"};
  });
  test_http_server storage([&](const test::request&) {
    return reply{401,
                 {{"WWW-Authenticate",
                   "Bearer realm=\"" + harvester.url("localhost") + "/token\",service=\"storage\""}},
                 ""};
  });
  test_http_server token_server([](const test::request& r) {
    if (header_of(r, "Authorization") != basic("u:p"))
      return reply{401, {}, "{}"};
    return reply{200, {}, R"({"token":"registry-token","expires_in":300})"};
  });
  test_http_server registry([&](const test::request& r) {
    if (header_of(r, "Authorization") != "Bearer registry-token")
      return reply{401,
                   {{"WWW-Authenticate", "Bearer realm=\"" + token_server.url("localhost")
                                           + "/token\",service=\"registry\""}},
                   ""};
    if (std::string(r.target()) == "/v2/app/blobs/" + config_digest)
      return reply{200, {}, config};
    return test::redirect_to(307, storage.url("localhost") + "/blob?X-Amz-Signature=1");
  });
  oci_client client(registry.url(), {"u", "p"});
  client.set_sleep([](std::chrono::milliseconds) {});
  std::string got;
  auto sink = [&](const uint8_t* p, size_t n) -> expected<void> {
    got.append(reinterpret_cast<const char*>(p), n);
    return {};
  };
  auto first = client.fetch_blob("app", config_digest, sink);
  ASSERT_TRUE(first) << first.err().message;
  EXPECT_EQ(got, config);
  got.clear();
  auto r = client.fetch_blob("app", digest, sink);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::unauthorized) << r.err().message;
  EXPECT_TRUE(got.empty());
  // The registry's own token server was asked, with the credentials.
  ASSERT_EQ(token_server.count("/token"), 1u);
  EXPECT_EQ(header_of(token_server.requests().front(), "Authorization"), basic("u:p"));
  // Neither the storage host nor the realm it named ever saw them.
  EXPECT_TRUE(harvester.requests().empty());
  for (auto& req : storage.requests())
    EXPECT_EQ(req.find("Authorization"), req.end());
}

// The same with a registry that lets anyone pull: the client holds
// credentials but has not been asked for them yet when storage answers 401.
TEST(auth_origin, a_redirect_target_of_an_open_registry_cannot_harvest_credentials) {
  auto digest = sha256_digest("layer bytes");
  test_http_server harvester([](const test::request&) {
    return reply{200, {}, R"({"token":"harvested","expires_in":300})"};
  });
  test_http_server storage([&](const test::request&) {
    return reply{401, {{"WWW-Authenticate", "Bearer realm=\"" + harvester.url("localhost") + "/token\""}}, ""};
  });
  test_http_server registry([&](const test::request&) {
    return test::redirect_to(307, storage.url("localhost") + "/blob");
  });
  oci_client client(registry.url(), {"u", "p"});
  client.set_sleep([](std::chrono::milliseconds) {});
  auto r = client.fetch_blob("app", digest, [](const uint8_t*, size_t) -> expected<void> { return {}; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::unauthorized) << r.err().message;
  EXPECT_TRUE(harvester.requests().empty());
  for (auto& req : registry.requests())
    EXPECT_EQ(req.find("Authorization"), req.end());
}

// A TLS registry whose challenge names a plain-HTTP realm: no token request
// goes out, not even an anonymous one (the token would travel in clear).
TEST(auth_origin, a_tls_registry_cannot_name_a_plain_http_realm) {
  auto tls = test::self_signed_context();
  if (!tls)
    GTEST_SKIP() << "openssl CLI not available to make a test certificate";
  test_http_server token_server([](const test::request&) {
    return reply{200, {}, R"({"token":"t","expires_in":300})"};
  });
  test_http_server registry([&](const test::request& r) {
    if (header_of(r, "Authorization") == "Bearer t")
      return reply{200, {}, "{}"};
    return reply{401, {{"WWW-Authenticate", "Bearer realm=\"" + token_server.url() + "/token\""}}, ""};
  }, tls);
  for (auto creds : {registry_credentials{}, registry_credentials{"u", "p"}}) {
    oci_client client(registry.url(), creds, http_options{.verify_tls = false});
    client.set_sleep([](std::chrono::milliseconds) {});
    auto r = client.ping();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, errc::invalid) << r.err().message;
    EXPECT_NE(r.err().message.find("plain-HTTP token realm"), std::string::npos) << r.err().message;
  }
  EXPECT_TRUE(token_server.requests().empty());
}

} // namespace
} // namespace regscan
