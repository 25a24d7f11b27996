#pragma once
// The image list of the console: which images a filter expression, a search
// and a registry choice keep, in which order, which page, which columns; the
// overview's counts over the same rows; what to do about a failed scan. Pure
// functions over stored records, so the scan and authorize commands can reuse
// the filter, and tests need no daemon.
//
// Filter grammar (case-insensitive; spaces around tokens are ignored):
//   filter    := condition ( "," condition )*          "," is AND
//   condition := field op value ( "|" value )*         "|" is OR within one field
//   op        := "=" | "!=" | ">=" | "<=" | ">" | "<"  (ordering ops: severity only)
//   field     := status | security | registry | registry_type | authorization
//              | severity | has | repository | os | architecture
//   status:        unscanned queued scanning scanned cancelled failed
//   security:      risky safe unknown        (unknown: no finished scan yet)
//   severity:      critical high medium low unknown — the image has at least
//                  one vulnerability of it; severity>=high: of high or worse
//   has:           vulnerabilities secrets malware risk (any of the three)
//   authorization: authorized unauthorized
// Example: status=scanned|failed,severity>=high,registry=harbor1,has=secrets
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

/// One image with what the list shows of its registry.
struct image_row {
  image_record image;
  std::string registry_type;
  std::string registry_address;
  int64_t new_findings = -1; // findings first seen after --new-since; -1 without it
};

class store;

/// Every stored image with its registry's type and address. new_since >= 0:
/// only images with findings first seen after it, with their count.
expected<std::vector<image_row>> load_image_rows(store& db, int64_t new_since = -1);

/// The image's security status: risky when its last finished scan found
/// anything, safe when it found nothing, unknown before any finished scan.
const char* security_status(const image_record& img);
/// Until authorization lands every image counts as authorized.
const char* authorization_status(const image_record& img);
/// Malware findings of the last scan; -1 while the scan does not look for malware.
int malware_count(const image_record& img);
/// The kinds of risk found: "vulnerabilities,secrets,malware", or "" for none.
std::string risk_kinds(const image_record& img);
/// "registry/repository:tag1,tag2" (":<none>" without tags).
std::string image_name(const image_record& img);

/// What to do about a failed scan, from its error code (an errc name).
std::string failure_advice(const image_record& img);

struct image_condition {
  std::string field;
  std::string op; // = != >= <= > <
  std::vector<std::string> values; // lower case
};

struct image_filter {
  std::vector<image_condition> all; // every one must hold
};

/// errc::invalid with the offending part when the expression is not in the grammar.
expected<image_filter> parse_image_filter(std::string_view expr);
bool matches(const image_filter& filter, const image_row& row);
/// Case-insensitive substring of the name, repository, a tag, the digest,
/// the index digest, the image ID, the OS or the architecture.
bool matches_search(std::string_view text, const image_row& row);

/// A cell of a column: text for tables and CSV, a number where the column is one.
struct cell {
  std::string text;
  std::optional<int64_t> number;
};

/// Every column, in the order `--columns` documents them.
const std::vector<std::string>& image_columns();
/// What the list shows when no columns are chosen or saved.
const std::vector<std::string>& default_image_columns();
/// "name,digest,..." checked against image_columns(); errc::invalid naming an unknown one.
expected<std::vector<std::string>> parse_columns(std::string_view list);
/// The column's header in a table ("LAST SCAN" for last_scan).
std::string column_header(std::string_view column);
cell column_value(const image_row& row, std::string_view column);

struct image_query {
  image_filter filter;
  std::string search;
  std::vector<std::string> registries; // empty: every registry
  std::string sort = "name";
  bool descending = false;
  size_t page = 1;      // 1-based
  size_t page_size = 0; // 0: every matching image on one page
};

/// "column" or "column:desc" / "column:asc" into the query.
expected<void> parse_sort(std::string_view spec, image_query& q);

struct image_page {
  std::vector<image_row> rows; // the page, sorted
  size_t total = 0;            // matching images, over all pages
  size_t pages = 1;
};

/// Filters, searches, sorts (ties by image key) and cuts the page.
image_page run_query(const image_query& q, std::vector<image_row> rows);

/// One CSV field as RFC 4180 wants it: quoted, with quotes doubled, when it
/// holds a comma, a quote, CR or LF (or starts or ends with a space).
std::string csv_field(std::string_view s);
/// A header line and one line per row, each ended by CRLF.
std::string to_csv(const std::vector<std::string>& columns, const std::vector<image_row>& rows);

/// The overview page: counts over the latest scans of every image.
struct overview {
  size_t images = 0;
  size_t at_risk = 0;
  std::map<std::string, size_t> by_status;   // every scan_status, also those at 0
  std::map<std::string, size_t> by_security; // risky, safe, unknown
  size_t unauthorized = 0;
  int64_t vulnerabilities = 0;
  std::map<std::string, int64_t> vulnerabilities_by_severity;
  int64_t malware = 0;
  int64_t secrets = 0;
  struct registry_line {
    std::string name, type, address;
    size_t images = 0;
    int64_t last_synced = 0; // the latest sync that saw one of its images; 0: none
  };
  std::vector<registry_line> registries;
};

overview summarize(const std::vector<image_row>& rows, const std::vector<registry_record>& registries);

/// `s` with ASCII letters in lower case: names, severities and filters compare so.
std::string ascii_lower(std::string_view s);

/// The vulnerability severities, worst first, as findings spell them.
const std::vector<std::string>& severities();
/// Rank of a severity: 0 for Critical ... 4 for Unknown (any case); 4 for anything else.
int severity_rank(std::string_view severity);

} // namespace regscan
