#pragma once
// JSON encoding of the records in records.hpp. Every field round-trips, except
// that strings which are not valid UTF-8 are stored with U+FFFD in place of the
// bad bytes (JSON cannot carry them, and simdjson would refuse to read them back).
#include <string>
#include <string_view>
#include <vector>

#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan::codec {

std::string encode(const registry_record& r);
std::string encode(const image_record& r);
std::string encode(const task_record& r);
/// The inventory part only: findings go to the findings column family.
std::string encode(const scan_result& r);
std::string encode(const findings_record& r);
/// A package_index value: the packages of one image under one name.
std::string encode_packages(const std::vector<const package*>& packages);
std::string encode(const ecosystem_status& r);

expected<registry_record> decode_registry(std::string_view json);
expected<image_record> decode_image(std::string_view json);
expected<task_record> decode_task(std::string_view json);
expected<scan_result> decode_result(std::string_view json);
expected<findings_record> decode_findings(std::string_view json);
expected<std::vector<package>> decode_packages(std::string_view json);
expected<ecosystem_status> decode_ecosystem_status(std::string_view json);

std::string encode(const schedule_record& r);
std::string encode(const exception_record& r);
expected<schedule_record> decode_schedule(std::string_view json);
expected<exception_record> decode_exception(std::string_view json);

std::string encode(const malware_verdict& v);
expected<malware_verdict> decode_malware_verdict(std::string_view json);

/// `s` if it is valid UTF-8, else a copy with each invalid byte replaced by U+FFFD.
std::string utf8_safe(std::string_view s);

} // namespace regscan::codec
