#include "daemon/exceptions.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "daemon/image_refs.hpp"
#include "daemon/services.hpp"
#include "storage/store.hpp"

namespace regscan {

namespace {

std::string repository_of(const image_record& img) { return img.registry + "/" + img.repository; }

bool names(const finding& f, const std::string& id) {
  return f.id == id || std::find(f.aliases.begin(), f.aliases.end(), id) != f.aliases.end();
}

} // namespace

expected<std::vector<exception_record>> add_exception(services& ctx, const exception_form& form,
                                                      int64_t now) {
  if (form.image.empty() == form.repository.empty())
    return make_error(errc::invalid, "name an image (--image) or a repository (--repository)");
  if (form.finding.empty())
    return make_error(errc::invalid, "name the finding (--finding): an advisory id, an alias or a "
                                     "secret rule id");
  if (form.reason.empty())
    return make_error(errc::invalid, "give a reason (--reason)");
  if (form.expires <= now)
    return make_error(errc::invalid, "the expiry (--expires) must be in the future");
  exception_record e;
  e.finding = form.finding;
  e.reason = form.reason;
  e.expires = form.expires;
  e.created_at = now;
  e.created_by = form.created_by;
  std::vector<exception_record> out;
  if (!form.repository.empty()) {
    // [registry/]repository: the registry part is needed when more than one has it.
    auto images = ctx.db->list_images();
    if (!images)
      return images.err();
    std::vector<std::string> matches;
    for (auto& img : *images) {
      auto full = repository_of(img);
      if ((full == form.repository || img.repository == form.repository)
          && std::find(matches.begin(), matches.end(), full) == matches.end())
        matches.push_back(full);
    }
    if (matches.empty())
      return make_error(errc::not_found, "no repository " + form.repository + " in the inventory");
    if (matches.size() > 1)
      return make_error(errc::invalid, "repository " + form.repository + " is in more than one "
                                         "registry: name it as registry/repository");
    e.repository = matches.front();
    auto id = ctx.db->add_exception(e);
    if (!id)
      return id.err();
    e.id = *id;
    out.push_back(e);
  } else {
    auto images = find_images(*ctx.db, form.image);
    if (!images)
      return images.err();
    for (auto& img : *images) {
      auto one = e;
      one.image = img.key;
      auto id = ctx.db->add_exception(one);
      if (!id)
        return id.err();
      one.id = *id;
      out.push_back(std::move(one));
    }
  }
  for (auto& x : out)
    spdlog::info("exception {} added by uid {}: {} accepted for {} until {}: {}", x.id, x.created_by,
                 x.finding, x.image.empty() ? x.repository : x.image, x.expires, x.reason);
  return out;
}

bool concerns(const exception_record& e, const image_record& img) {
  return e.image.empty() ? e.repository == repository_of(img) : e.image == img.key;
}

const exception_record* accepted_by(const std::vector<exception_record>& exceptions,
                                    const image_record& img, const finding& f, int64_t now) {
  for (auto& e : exceptions)
    if (e.expires > now && names(f, e.finding) && concerns(e, img))
      return &e;
  return nullptr;
}

const exception_record* accepted_by(const std::vector<exception_record>& exceptions,
                                    const image_record& img, const secret_finding& f, int64_t now) {
  for (auto& e : exceptions)
    if (e.expires > now && f.rule_id == e.finding && concerns(e, img))
      return &e;
  return nullptr;
}

std::vector<exception_record> live_for(const std::vector<exception_record>& exceptions,
                                       const image_record& img, int64_t now) {
  std::vector<exception_record> out;
  for (auto& e : exceptions)
    if (e.expires > now && concerns(e, img))
      out.push_back(e);
  return out;
}

void discount_accepted(image_record& img, const std::vector<finding>& findings,
                       const std::vector<secret_finding>* secrets,
                       const std::vector<exception_record>& exceptions, int64_t now) {
  std::vector<finding> counted;
  for (auto& f : findings)
    if (!accepted_by(exceptions, img, f, now))
      counted.push_back(f);
  count_findings(img, counted);
  if (secrets && img.secret_count >= 0) {
    img.secret_counts.clear();
    img.secret_count = 0;
    for (auto& s : *secrets)
      if (!accepted_by(exceptions, img, s, now)) {
        img.secret_counts[s.severity]++;
        img.secret_count++;
      }
  }
}

image_record without_accepted(store& db, const image_record& img,
                              const std::vector<exception_record>& exceptions, int64_t now) {
  auto live = live_for(exceptions, img, now);
  if (live.empty())
    return img;
  auto found = db.get_findings(img.key);
  if (!found)
    return img;
  image_record shown = img;
  auto result = db.get_result(img.key);
  discount_accepted(shown, found->findings, result ? &result->inv.secrets : nullptr, live, now);
  return shown;
}

} // namespace regscan
