// Hostile fixtures on the listers' own request path: Harbor's REST API and
// Tencent Cloud API answering 429 (Retry-After as seconds or an HTTP date),
// 5xx, dropping the connection, stalling or truncating the body, and paging
// that lies (X-Total-Count, repeated pages). The answers follow the published
// shapes (Harbor 2.x swagger; Tencent Cloud API 3.0 for tcr 2019-09-24); the
// faults are what real servers and proxies do under load.
#include "connectors/registry_lister.hpp"

#include <gtest/gtest.h>

#include <ctime>

#include "test_http_server.hpp"

namespace regscan {
namespace {

using namespace std::chrono_literals;
using test::reply;
using test::test_http_server;

struct fault_fixture {
  std::vector<std::chrono::milliseconds> waits;
  oci_client unused{"http://127.0.0.1:1", {}}; // listing never touches the registry here

  std::unique_ptr<registry_lister> lister(const std::string& type, const std::string& api) {
    lister_config cfg;
    cfg.type = type;
    cfg.address = "http://127.0.0.1:1";
    cfg.api_endpoint = api;
    cfg.creds = {"u", "p"};
    cfg.instance_id = "tcr-1";
    cfg.region = "ap-guangzhou";
    cfg.secret_id = "AKIDtest";
    cfg.secret_key = "secret";
    cfg.http.timeout = 1s;
    auto l = make_lister(cfg, unused, [this](std::chrono::milliseconds d) { waits.push_back(d); });
    EXPECT_TRUE(l) << l.err().message;
    return std::move(*l);
  }
};

std::string http_date(std::chrono::system_clock::time_point t) {
  auto tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string projects(int from, int count) {
  std::string out = "[";
  for (int i = from; i < from + count; ++i)
    out += std::string(i > from ? "," : "") + R"({"project_id":)" + std::to_string(i) + R"(,"name":"p)"
           + std::to_string(i) + "\"}";
  return out + "]";
}

// Every kind of passing fault once, then the answer: the listing succeeds,
// with the Retry-After date honoured and backoff between the others.
TEST(lister_faults, harbor_rides_out_429_5xx_drops_and_truncation) {
  int calls = 0;
  auto later = http_date(std::chrono::system_clock::now() + 30s);
  test_http_server api([&](const test::request& r) -> reply {
    std::string t(r.target());
    if (t.starts_with("/api/v2.0/projects/"))
      return {200, {{"X-Total-Count", "0"}}, "[]"};
    switch (++calls) {
      case 1: return {429, {{"Retry-After", later}}, "{}"};
      case 2: return {503, {}, "busy"};
      case 3: {
        reply out{200, {{"X-Total-Count", "1"}}, projects(1, 1)};
        out.truncate = true;
        return out;
      }
      default: return {200, {{"X-Total-Count", "1"}}, projects(1, 1)};
    }
  });
  fault_fixture f;
  auto repos = f.lister("harbor", api.url())->repositories();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(calls, 4);
  ASSERT_EQ(f.waits.size(), 3u);
  EXPECT_GE(f.waits[0], 28s);
  EXPECT_LE(f.waits[0], 30s);
  EXPECT_LE(f.waits[1], 750ms); // jittered backoff: 250 ms, then 500 ms (x0.5..1.5)
  EXPECT_LE(f.waits[2], 1500ms);
}

TEST(lister_faults, harbor_gives_up_after_bounded_attempts) {
  for (std::string fault : {"502", "drop", "stall", "429"}) {
    test_http_server api([&](const test::request&) -> reply {
      reply out{200, {{"X-Total-Count", "1"}}, projects(1, 1)};
      if (fault == "502")
        out.status = 502;
      if (fault == "429")
        out = {429, {{"Retry-After", "999999"}}, ""};
      out.drop = fault == "drop";
      out.stall = fault == "stall";
      return out;
    });
    fault_fixture f;
    auto started = std::chrono::steady_clock::now();
    auto repos = f.lister("harbor", api.url())->repositories();
    ASSERT_FALSE(repos) << fault;
    EXPECT_EQ(api.requests().size(), size_t(api_caller::max_attempts)) << fault;
    EXPECT_EQ(f.waits.size(), size_t(api_caller::max_attempts - 1)) << fault;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s) << fault;
    if (fault == "502") {
      EXPECT_NE(repos.err().message.find("HTTP 502"), std::string::npos) << repos.err().message;
    }
    if (fault == "429") {
      EXPECT_NE(repos.err().message.find("HTTP 429"), std::string::npos) << repos.err().message;
      EXPECT_EQ(f.waits[0], std::chrono::milliseconds(api_caller::retry_after_cap)); // capped
    }
    if (fault == "stall") {
      EXPECT_NE(repos.err().message.find("timed out"), std::string::npos) << repos.err().message;
    }
    if (fault == "drop") {
      EXPECT_NE(repos.err().message.find("127.0.0.1"), std::string::npos) << repos.err().message;
    }
  }
}

// A server that ignores ?page= and claims a huge total: the second page
// repeats the first, which is an error after two requests, not 1000.
TEST(lister_faults, harbor_repeated_pages_are_an_error) {
  test_http_server api([](const test::request&) {
    return reply{200, {{"X-Total-Count", "100000"}}, projects(1, 100)};
  });
  fault_fixture f;
  auto repos = f.lister("harbor", api.url())->repositories();
  ASSERT_FALSE(repos);
  EXPECT_NE(repos.err().message.find("repeats earlier ones"), std::string::npos) << repos.err().message;
  EXPECT_EQ(api.requests().size(), 2u);
}

// X-Total-Count that the items contradict (1 while a full page came) is
// ignored; one that is too large ends at the first empty page.
TEST(lister_faults, harbor_total_count_lies_do_not_cut_or_hang) {
  test_http_server api([](const test::request& r) {
    std::string t(r.target());
    if (t.starts_with("/api/v2.0/projects/"))
      return reply{200, {{"X-Total-Count", "5000"}}, "[]"};
    if (t == "/api/v2.0/projects?page=1&page_size=100")
      return reply{200, {{"X-Total-Count", "1"}}, projects(1, 100)};
    if (t == "/api/v2.0/projects?page=2&page_size=100")
      return reply{200, {{"X-Total-Count", "1"}}, projects(101, 30)};
    return reply{500, {}, "unexpected"};
  });
  fault_fixture f;
  auto repos = f.lister("harbor", api.url())->repositories();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(api.count("/api/v2.0/projects?"), 2u);
  EXPECT_EQ(api.count("/api/v2.0/projects/"), 130u); // every project's repositories, once each
}

reply tencent(const std::string& inner) {
  return {200, {{"Content-Type", "application/json"}}, R"({"Response":{)" + inner + R"(,"RequestId":"r"}})"};
}

// Tencent Cloud API reports its rate limit as HTTP 200 with the common error
// code RequestLimitExceeded; a gateway in front may also answer HTTP 429.
TEST(lister_faults, tcr_retries_rate_limits_of_both_kinds) {
  int calls = 0;
  test_http_server api([&](const test::request&) -> reply {
    switch (++calls) {
      case 1: return tencent(R"("Error":{"Code":"RequestLimitExceeded","Message":"too many requests"})");
      case 2: return {429, {{"Retry-After", "3"}}, ""};
      default: return tencent(R"("RepositoryList":[{"Name":"ns/app","Namespace":"ns"}],"TotalCount":1)");
    }
  });
  fault_fixture f;
  auto repos = f.lister("tcr", api.url())->repositories();
  ASSERT_TRUE(repos) << repos.err().message;
  EXPECT_EQ(*repos, std::vector<std::string>{"ns/app"});
  ASSERT_EQ(f.waits.size(), 2u);
  EXPECT_EQ(f.waits[1], 3s);
  // Signed anew for every attempt (the signature covers the timestamp).
  EXPECT_EQ(api.requests().size(), 3u);

  test_http_server always([](const test::request&) {
    return tencent(R"("Error":{"Code":"RequestLimitExceeded","Message":"too many requests"})");
  });
  fault_fixture g;
  auto none = g.lister("tcr", always.url())->repositories();
  ASSERT_FALSE(none);
  EXPECT_NE(none.err().message.find("RequestLimitExceeded"), std::string::npos) << none.err().message;
  EXPECT_EQ(always.requests().size(), size_t(api_caller::max_attempts));
}

TEST(lister_faults, tcr_and_ccr_paging_that_ignores_offset_is_an_error) {
  std::string list;
  for (int i = 0; i < 100; ++i)
    list += std::string(i ? "," : "") + R"({"Name":"ns/r)" + std::to_string(i) + R"(","Namespace":"ns"})";
  test_http_server tcr([&](const test::request&) {
    return tencent(R"("RepositoryList":[)" + list + R"(],"TotalCount":100000)");
  });
  fault_fixture f;
  auto repos = f.lister("tcr", tcr.url())->repositories();
  ASSERT_FALSE(repos);
  EXPECT_NE(repos.err().message.find("repeats earlier ones"), std::string::npos) << repos.err().message;
  EXPECT_EQ(tcr.requests().size(), 2u);

  std::string tags;
  for (int i = 0; i < 100; ++i)
    tags += std::string(i ? "," : "") + R"({"TagName":"t)" + std::to_string(i) + R"(","SizeByte":1})";
  test_http_server ccr([&](const test::request&) {
    return tencent(R"("Data":{"TagCount":100000,"TagInfo":[)" + tags + "]}");
  });
  auto arts = f.lister("ccr", ccr.url())->artifacts("ns/app");
  ASSERT_FALSE(arts);
  EXPECT_NE(arts.err().message.find("repeats earlier ones"), std::string::npos) << arts.err().message;
  EXPECT_EQ(ccr.requests().size(), 2u);
}

} // namespace
} // namespace regscan
