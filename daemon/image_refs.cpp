#include "daemon/image_refs.hpp"

#include <cctype>
#include <string_view>

#include "storage/store.hpp"

namespace regscan {

expected<std::vector<image_record>> find_images(store& db, const std::string& ref) {
  std::vector<image_record> out;
  auto images = db.list_images();
  if (!images)
    return images.err();
  auto is_hex_prefix = [](std::string_view s) {
    if (s.rfind("sha256:", 0) == 0)
      s.remove_prefix(7);
    if (s.size() < 12)
      return false;
    for (char c : s)
      if (!std::isxdigit(static_cast<unsigned char>(c)))
        return false;
    return true;
  };
  auto strip = [](const std::string& d) {
    return d.rfind("sha256:", 0) == 0 ? d.substr(7) : d;
  };
  std::string name = ref;
  // A reference without tag or digest means :latest, as docker has it.
  auto slash = name.rfind('/');
  auto tail = slash == std::string::npos ? name : name.substr(slash + 1);
  if (!is_hex_prefix(ref) && tail.find(':') == std::string::npos
      && name.find('@') == std::string::npos)
    name += ":latest";
  for (auto& img : *images) {
    bool hit = img.key == ref;
    if (!hit && is_hex_prefix(ref)) {
      auto want = strip(ref);
      for (auto* d : {&img.digest, &img.image_id, &img.index_digest})
        if (!d->empty() && strip(*d).rfind(want, 0) == 0)
          hit = true;
    }
    for (auto& tag : img.tags) {
      if (hit)
        break;
      hit = name == img.repository + ":" + tag
            || name == img.registry + "/" + img.repository + ":" + tag;
    }
    for (auto* d : {&img.digest, &img.index_digest}) {
      if (hit || d->empty())
        break;
      hit = name == img.repository + "@" + *d || name == img.registry + "/" + img.repository + "@" + *d;
    }
    if (hit)
      out.push_back(img);
  }
  if (out.empty())
    return make_error(errc::not_found,
                      "no image matches " + ref + " (run `regscanctl images list` to see the inventory)");
  return out;
}

} // namespace regscan
