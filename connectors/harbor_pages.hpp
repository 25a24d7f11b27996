#pragma once
// Harbor's paging, alike in API versions 1 and 2 (internal to connectors/):
// pages of 100, X-Total-Count when the server sends it.
#include <cctype>
#include <cstdlib>
#include <string>

#include <simdjson.h>

#include "connectors/http_client.hpp"
#include "connectors/lister_util.hpp"
#include "connectors/registry_lister.hpp"
#include "scanners/expected.hpp"

namespace regscan {

/// A Harbor answer that is not 200 is an error; 401 and 403 name the credentials.
inline expected<void> harbor_status(const std::string& path, const http_response& r) {
  if (r.status == 401 || r.status == 403)
    return make_error("harbor API " + path + ": HTTP " + std::to_string(r.status)
                      + ": check username/password");
  if (r.status != 200)
    return make_error("harbor API " + path + ": HTTP " + std::to_string(r.status));
  return {};
}

/// The note of a robot account listing all its projects: Harbor 1.x and
/// 2.0-2.3 answer /projects with the public projects only for robots.
inline std::string harbor_robot_note(const std::string& username) {
  return "the account " + username + " is a Harbor robot account: Harbor 1.x and 2.0-2.3 list only "
         "public projects to robots, so private projects may be missing; name them with --projects";
}

/// Harbor's `type` of an artifact as a listed_artifact kind: "" for images.
inline std::string harbor_kind(std::string type) {
  for (auto& c : type)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "image" ? std::string{} : type;
}

/// Calls `each(element)` for every item of every page; `fetch(page)` gets one
/// page (page_size=100) as an expected<http_response>. X-Total-Count decides
/// when present and believable (a server may cap its pages below 100);
/// else a short page is the last.
template <class Fetch, class Each>
expected<void> harbor_pages(const std::string& path, Fetch&& fetch, Each&& each) {
  lister_util::pager pages("harbor API " + path, 100);
  for (int page = 1; page <= api_caller::max_pages; ++page) {
    auto r = fetch(page);
    if (!r)
      return r.err();
    if (auto ok = harbor_status(path, *r); !ok)
      return ok;
    simdjson::dom::parser parser;
    simdjson::dom::array items;
    if (parser.parse(r->body).get(items))
      return make_error("harbor API " + path + ": response is not a JSON array");
    pages.take(items, each);
    auto total_text = r->header("x-total-count");
    auto more = pages.more(total_text.empty() ? -1 : std::strtoll(total_text.c_str(), nullptr, 10));
    if (!more)
      return more.err();
    if (!*more)
      return {};
  }
  return make_error("harbor API " + path + ": more than " + std::to_string(api_caller::max_pages)
                    + " pages");
}

} // namespace regscan
