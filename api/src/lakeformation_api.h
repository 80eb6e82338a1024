#pragma once

// The AWS Lake Formation REST-JSON API (botocore model lakeformation/2017-03-31): `POST /<Operation>` with a
// JSON body, errors as {"Message"} with the header x-amzn-ErrorType. A thin translation onto CatalogService,
// so enforcement is exactly that of the native API. Internal header; what is supported and how LF shapes map
// onto Cairn's model is in docs/aws-compatibility.md.

#include <string_view>

#include "cairn/api/http.h"
#include "cairn/api/service.h"
#include "cairn/authz/identity.h"

namespace cairn::api {

/// Whether `path` is "/<Op>" for an operation of the Lake Formation model (supported or not: unsupported
/// ones are answered with an InvalidInputException that says so).
bool is_lakeformation_operation(std::string_view path);

/// Authenticates (SigV4) and answers one `POST /<Op>` Lake Formation request. Never throws: every failure,
/// authentication included, becomes a Lake Formation error response.
HttpResponse handle_lakeformation(CatalogService& service, const authz::Authenticator& authenticator,
                                  const HttpRequest& req);

}  // namespace cairn::api
