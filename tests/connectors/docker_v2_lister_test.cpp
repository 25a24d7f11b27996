// The docker-v2 lister's configured repositories: plain entries as they
// are, "ns/" and "ns/*" expanded from the catalog (filtered by prefix) or,
// for Docker Hub, from its repository listing API. Docker Hub cannot be
// reached from here: its fixture is written from the published Docker Hub
// API reference (POST /v2/auth/token; GET /v2/namespaces/{namespace}/
// repositories with page_size, answers {count, next, previous, results}).
#include "connectors/registry_lister.hpp"

#include <gtest/gtest.h>

#include "test_http_server.hpp"

namespace regscan {
namespace {

using test::reply;
using test::test_http_server;
using strings = std::vector<std::string>;

std::string header_of(const test::request& r, const char* name) {
  auto it = r.find(name);
  return it == r.end() ? std::string{} : std::string(it->value());
}

expected<strings> list(const std::string& address, const strings& entries, const std::string& api = {},
                       registry_credentials creds = {}) {
  oci_client registry(address, creds);
  lister_config cfg;
  cfg.type = "docker-v2";
  cfg.address = address;
  cfg.api_endpoint = api;
  cfg.creds = creds;
  cfg.repositories = entries;
  auto lister = make_lister(cfg, registry, [](std::chrono::milliseconds) {});
  if (!lister)
    return lister.err();
  return (*lister)->repositories();
}

TEST(docker_v2_lister, namespace_entries_filter_the_catalog) {
  EXPECT_EQ(repository_namespace("myorg/"), "myorg");
  EXPECT_EQ(repository_namespace("myorg/*"), "myorg");
  EXPECT_EQ(repository_namespace("a/b/"), "a/b");
  EXPECT_FALSE(repository_namespace("myorg/app"));
  EXPECT_FALSE(repository_namespace("/"));
  EXPECT_FALSE(repository_namespace("Bad/"));

  test_http_server registry([](const test::request& r) {
    if (std::string(r.target()).starts_with("/v2/_catalog"))
      return reply{200, {}, R"({"repositories":["a/x","a/y","ab/w","b/z","c/q"]})"};
    return reply{404, {}, ""};
  });
  auto repos = list(registry.url(), {"a/", "b/z", "a/x", "c/*"});
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(*repos, (strings{"a/x", "a/y", "b/z", "c/q"}));
  EXPECT_EQ(registry.count("/v2/_catalog"), 1u); // fetched once for both namespaces

  // Plain entries alone never touch the catalog.
  auto plain = list(registry.url(), {"a/x", "zz/top"});
  ASSERT_TRUE(plain) << plain.err().message;
  EXPECT_EQ(*plain, (strings{"a/x", "zz/top"}));
  EXPECT_EQ(registry.count("/v2/_catalog"), 1u);
}

TEST(docker_v2_lister, namespace_without_a_catalog_is_a_clear_error) {
  test_http_server registry([](const test::request&) {
    return reply{404, {}, R"({"errors":[{"code":"UNSUPPORTED","message":"catalog is disabled"}]})"};
  });
  auto repos = list(registry.url(), {"myorg/app", "myorg/"});
  ASSERT_FALSE(repos);
  EXPECT_NE(repos.err().message.find("repositories entry 'myorg/'"), std::string::npos) << repos.err().message;
  EXPECT_NE(repos.err().message.find("no catalog"), std::string::npos) << repos.err().message;
}

TEST(docker_v2_lister, docker_hub_namespace_through_the_hub_api) {
  test_http_server* self = nullptr;
  strings logins;
  test_http_server hub([&](const test::request& r) -> reply {
    std::string t(r.target());
    if (t == "/v2/auth/token" && r.method() == boost::beast::http::verb::post) {
      logins.push_back(r.body());
      if (r.body() != R"({"identifier":"me","secret":"dckr_pat_x"})")
        return {401, {}, R"({"detail":"Incorrect authentication credentials"})"};
      return {200, {{"Content-Type", "application/json"}}, R"({"access_token":"jwt-1"})"};
    }
    if (header_of(r, "Authorization") != "Bearer jwt-1")
      return {401, {}, R"({"detail":"authentication required"})"};
    if (t == "/v2/namespaces/myorg/repositories?page_size=100")
      return {200, {}, R"({"count":3,"next":")" + self->url()
                         + R"(/v2/namespaces/myorg/repositories?page=2&page_size=100","previous":null,)"
                           R"("results":[{"name":"api","namespace":"myorg","repository_type":"image","is_private":true},)"
                           R"({"name":"web","namespace":"myorg","repository_type":"image","is_private":false}]})"};
    if (t == "/v2/namespaces/myorg/repositories?page=2&page_size=100")
      return {200, {}, R"({"count":3,"next":null,"previous":")" + self->url()
                         + R"(/v2/namespaces/myorg/repositories?page_size=100","results":[{"name":"db","namespace":"myorg"}]})"};
    if (t.starts_with("/v2/namespaces/ghost/"))
      return {404, {}, R"({"message":"object not found"})"};
    return {500, {}, "unexpected " + t};
  });
  self = &hub;
  // The registry address is unused: the hub listing decides.
  auto repos = list("http://127.0.0.1:1", {"myorg/", "library/debian"}, hub.url(), {"me", "dckr_pat_x"});
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(*repos, (strings{"myorg/api", "myorg/web", "myorg/db", "library/debian"}));
  EXPECT_EQ(logins.size(), 1u);

  auto wrong = list("http://127.0.0.1:1", {"myorg/"}, hub.url(), {"me", "nope"});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.err().message.find("check username/password"), std::string::npos) << wrong.err().message;
  EXPECT_EQ(wrong.err().message.find("nope"), std::string::npos);

  auto ghost = list("http://127.0.0.1:1", {"ghost/*"}, hub.url(), {"me", "dckr_pat_x"});
  ASSERT_FALSE(ghost);
  EXPECT_NE(ghost.err().message.find("repositories entry 'ghost/*'"), std::string::npos) << ghost.err().message;
  EXPECT_NE(ghost.err().message.find("no such namespace"), std::string::npos) << ghost.err().message;
}

// The bearer token goes with every page: a `next` to another host is refused.
TEST(docker_v2_lister, docker_hub_next_page_stays_on_the_hub) {
  test_http_server other([](const test::request&) { return reply{200, {}, R"({"results":[]})"}; });
  test_http_server hub([&](const test::request&) {
    return reply{200, {}, R"({"count":2,"next":")" + other.url("localhost")
                            + R"(/v2/namespaces/o/repositories?page=2","results":[{"name":"a","namespace":"o"}]})"};
  });
  auto repos = list("http://127.0.0.1:1", {"o/"}, hub.url());
  ASSERT_FALSE(repos);
  EXPECT_NE(repos.err().message.find("another host"), std::string::npos) << repos.err().message;
  EXPECT_TRUE(other.requests().empty());
}

} // namespace
} // namespace regscan
