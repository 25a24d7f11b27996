#pragma once
// The console's pages over the control socket: the overview, the image list
// (filter, search, sort, page, columns, CSV/JSON export), the saved columns
// and one image's reports. Each parses the request, asks the use-cases
// (daemon/image_query, daemon/image_details) and renders.
#include <string>
#include <string_view>

#include "daemon/front/http_server.hpp"

namespace regscan {

struct services;

/// GET /overview
http_reply overview_reply(services& ctx);
/// GET /images?filter=&search=&registry=a,b&sort=col[:desc]&page=&page_size=
///   &columns=a,b&format=json|csv|table&new_since=
http_reply image_list_reply(services& ctx, std::string_view query);
/// GET /settings/image-columns
http_reply image_columns_reply(services& ctx);
/// PUT /settings/image-columns {"columns":"a,b"} (or an array); "" resets to the default.
http_reply save_image_columns(services& ctx, const std::string& body);
/// GET /report?ref=&format=json|sarif|cyclonedx
http_reply report_reply(services& ctx, std::string_view query);

} // namespace regscan
