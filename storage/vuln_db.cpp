#include "storage/vuln_db.hpp"

#include "storage/store.hpp"

namespace regscan {

expected<const std::vector<osv_record>*> advisory_cache::get(const std::string& ecosystem,
                                                             const std::string& name) {
  key_.assign(ecosystem).push_back('\0');
  key_.append(name);
  if (auto it = cache_.find(key_); it != cache_.end())
    return &it->second;
  auto records = db_.advisories_for(ecosystem, name);
  if (!records)
    return records.err();
  auto [it, fresh] = cache_.emplace(key_, std::move(*records));
  return &it->second;
}

} // namespace regscan
