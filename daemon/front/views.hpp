#pragma once
// JSON views of what the control API answers, and errors as HTTP replies:
// one table maps an error code to its status.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/front/http_server.hpp"
#include "daemon/image_details.hpp"
#include "daemon/image_query.hpp"
#include "daemon/sync.hpp"
#include "scanners/expected.hpp"
#include "scanners/json_writer.hpp"
#include "scanners/types.hpp"
#include "storage/records.hpp"

namespace regscan {

/// The HTTP status of an error code.
int http_status(errc code);

/// {"error": message, "code": code}.
http_reply json_error(int status, const std::string& message, errc code);
/// The same with the code the status stands for.
http_reply json_error(int status, const std::string& message);
/// An error as the reply its code calls for.
http_reply error_reply(const error& e);
http_reply json_ok(std::string body);

/// dropped: an edit's secrets dropped because the registry's destination changed.
void write_registry(json_writer& w, const registry_record& r,
                    const std::vector<std::string>* dropped = nullptr);
/// new_findings >= 0: findings first seen after the asked time (--new-since).
void write_image(json_writer& w, const image_record& img, const std::string& registry_type,
                 const std::string& address, int64_t new_findings = -1);
/// An image of the list: write_image's fields and the console's (security,
/// risks, authorization, malware, advice for a failed scan).
void write_image_row(json_writer& w, const image_row& row);
/// The details page's risk summary: counts by kind and severity, the worst finding.
void write_risk(json_writer& w, const risk_summary& r);
void write_finding(json_writer& w, const finding& f);
void write_secret(json_writer& w, const secret_finding& f);
/// The same, marked accepted by an exception (null: not accepted).
void write_finding(json_writer& w, const finding& f, const exception_record* accepted);
void write_secret(json_writer& w, const secret_finding& f, const exception_record* accepted);
/// An exception, with whether it has expired at `now`.
void write_exception(json_writer& w, const exception_record& e, int64_t now);
void write_malware(json_writer& w, const malware_finding& f);
/// `text` (a build step) with each secret found in it masked as the
/// finding shows it; hidden whole when a secret cannot be told apart in it.
std::string mask_secrets(std::string text, const std::vector<const secret_finding*>& found);
void write_import_report(json_writer& w, const import_report& r, uint64_t rematch);
void write_package(json_writer& w, const package& p, std::string_view step = {});
void write_task(json_writer& w, const task_record& t);
std::string sync_progress_json(const sync_progress& p);

} // namespace regscan
