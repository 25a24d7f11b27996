#pragma once
// Exceptions: a finding accepted for an image or a repository, with a reason
// and an expiry. Until it expires an accepted finding is still listed
// (marked accepted) but does not count as risk: the image's counts by
// severity leave it out. Counts are adjusted when shown, not stored, so an
// exception takes effect, and expires, without rewriting any image.
#include <cstdint>
#include <string>
#include <vector>

#include "scanners/expected.hpp"
#include "scanners/types.hpp"
#include "storage/records.hpp"

namespace regscan {

class store;

struct services;

struct exception_form {
  std::string image;      // an image reference (image_refs.hpp), or ""
  std::string repository; // [registry/]repository, or ""
  std::string finding;
  std::string reason;
  int64_t expires = 0;    // unix seconds
  int64_t created_by = -1;
};

/// Checks and stores an exception (one per image the reference names).
/// errc::invalid for a missing field or a past expiry; errc::not_found when
/// the image or repository is unknown.
expected<std::vector<exception_record>> add_exception(services& ctx, const exception_form& form,
                                                      int64_t now);

/// Whether the exception covers the image (its key, or its repository).
bool concerns(const exception_record& e, const image_record& img);

/// The live exception (not expired at `now`) accepting `finding` (its id or
/// an alias) for the image; null when none does.
const exception_record* accepted_by(const std::vector<exception_record>& exceptions,
                                    const image_record& img, const finding& f, int64_t now);

/// The same for a secret (by its rule id).
const exception_record* accepted_by(const std::vector<exception_record>& exceptions,
                                    const image_record& img, const secret_finding& f, int64_t now);

/// The live exceptions that concern the image.
std::vector<exception_record> live_for(const std::vector<exception_record>& exceptions,
                                       const image_record& img, int64_t now);

/// The image's vulnerability and secret counts without its accepted
/// findings (what the findings stored for it are, minus those exceptions accept).
void discount_accepted(image_record& img, const std::vector<finding>& findings,
                       const std::vector<secret_finding>* secrets,
                       const std::vector<exception_record>& exceptions, int64_t now);

/// The image as its counts stand at `now`: without the findings its live
/// exceptions accept. Reads its stored findings only when one concerns it.
image_record without_accepted(store& db, const image_record& img,
                              const std::vector<exception_record>& exceptions, int64_t now);

} // namespace regscan
