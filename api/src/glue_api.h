#pragma once

// The AWS Glue JSON 1.1 API (botocore model glue/2017-03-31): `POST /` with `X-Amz-Target: AWSGlue.<Op>` and
// a JSON body, errors as {"__type", "Message"} with the header x-amzn-ErrorType. A thin translation onto
// CatalogService, CrawlerService and ClassificationService, so enforcement is exactly that of the native API.
// Internal header; what is supported and how Glue shapes map onto Cairn's model is in
// docs/aws-compatibility.md.

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "aws_json.h"
#include "cairn/api/classification_service.h"
#include "cairn/api/crawler_service.h"
#include "cairn/api/http.h"
#include "cairn/api/service.h"
#include "cairn/authz/identity.h"

namespace cairn::api {

/// Whether `req` is a Glue request: `POST /` whose X-Amz-Target starts with "AWSGlue." (supported operation
/// or not: unsupported ones are answered with an InvalidInputException that says so).
bool is_glue_request(const HttpRequest& req);

/// Authenticates (SigV4) and answers one Glue request. Never throws: every failure, authentication included,
/// becomes a Glue error response.
HttpResponse handle_glue(CatalogService& service, CrawlerService& crawlers,
                         ClassificationService& classification, const authz::Authenticator& authenticator,
                         const HttpRequest& req);

namespace glue {

/// One Glue call: the services, the caller, and how the errors of the service call it makes are named.
struct Call {
  CatalogService& service;
  CrawlerService& crawlers;
  ClassificationService& classification;
  const Caller& caller;
  /// Native field prefixes -> Glue member paths, set just before the service is called (errors raised while
  /// reading the request already use Glue's names).
  aws::FieldMap fields;
  /// When set, a native field that `fields` does not map becomes `*prefix` + "." + its Glue spelling
  /// ("storage_descriptor.columns[2].type" -> "TableInput.StorageDescriptor.Columns[2].Type").
  std::optional<std::string> prefix;
  /// Glue's names of FailedPrecondition and VersionConflict for this operation.
  aws::AwsErrorStyle style{"InvalidInputException", "ThrottlingException", "ConcurrentModificationException",
                           true};

  /// Sets how the next service call's errors are named.
  void name_fields(aws::FieldMap map, std::optional<std::string> fallback_prefix) {
    fields = std::move(map);
    prefix = std::move(fallback_prefix);
  }
};

using Handler = std::function<nlohmann::json(Call&, const nlohmann::json&)>;
using Handlers = std::map<std::string, Handler, std::less<>>;

/// The Glue spelling of a native field path: every snake_case segment in PascalCase, indexes kept
/// ("partition_keys[1].type" -> "PartitionKeys[1].Type").
std::string pascal_path(const std::string& native);

/// The Glue error of `e` raised during `call`.
aws::AwsError glue_error(const Error& e, const Call& call);

/// Adds the crawler operations (glue_crawler_api.cpp).
void add_crawler_operations(Handlers& handlers);
/// Adds the custom entity type operations (glue_api_entity_types.cpp).
void add_entity_type_operations(Handlers& handlers);

}  // namespace glue

}  // namespace cairn::api
