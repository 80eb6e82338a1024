// The custom entity type operations of the Glue JSON API (CreateCustomEntityType, GetCustomEntityType,
// ListCustomEntityTypes, BatchGetCustomEntityTypes, DeleteCustomEntityType) translated onto
// ClassificationService, which validates, authorizes and audits them (docs/classifiers.md). Mapping and
// deviations: docs/aws-compatibility.md.

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "glue_api.h"

namespace cairn::api::glue {

namespace {

using aws::opt;
using aws::required;
using aws::required_str;
using aws::structure;
using nlohmann::json;

constexpr int kPageSize = 1000;          ///< Glue's PageSize maximum
constexpr std::size_t kBatchNames = 50;  ///< Glue's CustomEntityTypeNames maximum

constexpr const char* kNoTags =
    "is not supported by Cairn: custom entity types carry no resource tags (tag columns and tables instead)";

/// Names the next service call's errors as entity type members.
void name_entity_type_fields(Call& c) {
  c.name_fields({{"name", "Name"}, {"pattern", "RegexString"}, {"context_words", "ContextWords"}},
                std::nullopt);
}

/// Glue's CustomEntityType of a stored type (ContextWords only when there are some: the list has a minimum
/// of one item).
json entity_type_out(const catalog::EntityTypeRecord& t) {
  json out = {{"Name", t.name}, {"RegexString", t.pattern}};
  const json words = json::parse(t.context_words, nullptr, false);
  if (words.is_array() && !words.empty()) out["ContextWords"] = words;
  return out;
}

json create_custom_entity_type(Call& c, const json& b) {
  structure(b, "", {"Name", "RegexString", "ContextWords", "Tags"});
  aws::refuse_unless_empty(b, "Tags", "", kNoTags);
  classifiers::CustomEntityType type;
  type.name = required_str(b, "Name", "");
  type.pattern = required_str(b, "RegexString", "");
  if (const json* words = opt(b, "ContextWords")) {
    type.context_words = aws::str_list(*words, "ContextWords");
    if (type.context_words.empty()) throw_invalid("ContextWords", "must hold 1 to 20 words when present");
  }
  name_entity_type_fields(c);
  return json{{"Name", c.classification.create_entity_type(c.caller, type).name}};
}

json get_custom_entity_type(Call& c, const json& b) {
  structure(b, "", {"Name"});
  const std::string name = required_str(b, "Name", "");
  name_entity_type_fields(c);
  return entity_type_out(c.classification.get_entity_type(c.caller, name));
}

json list_custom_entity_types(Call& c, const json& b) {
  structure(b, "", {"NextToken", "MaxResults", "Tags"});
  aws::refuse_unless_empty(b, "Tags", "", kNoTags);
  aws::max_results(b, 100, kPageSize);
  name_entity_type_fields(c);
  const auto types = c.classification.list_entity_types(c.caller);
  return aws::paged_response(b, types, "CustomEntityTypes", 100, kPageSize,
                             [](const catalog::EntityTypeRecord& t) { return entity_type_out(t); });
}

json batch_get_custom_entity_types(Call& c, const json& b) {
  structure(b, "", {"Names"});
  const std::vector<std::string> names = aws::str_list(required(b, "Names", ""), "Names");
  if (names.empty() || names.size() > kBatchNames)
    throw_invalid("Names", "must hold 1 to " + std::to_string(kBatchNames) + " names");
  name_entity_type_fields(c);
  std::map<std::string, catalog::EntityTypeRecord> by_name;
  for (auto& t : c.classification.list_entity_types(c.caller)) by_name.emplace(t.name, std::move(t));
  json found = json::array();
  json missing = json::array();
  for (const auto& name : names) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) {
      missing.push_back(name);
    } else {
      found.push_back(entity_type_out(it->second));
    }
  }
  json out = {{"CustomEntityTypes", std::move(found)}};
  if (!missing.empty()) out["CustomEntityTypesNotFound"] = std::move(missing);
  return out;
}

json delete_custom_entity_type(Call& c, const json& b) {
  structure(b, "", {"Name"});
  const std::string name = required_str(b, "Name", "");
  name_entity_type_fields(c);
  c.classification.delete_entity_type(c.caller, name);
  return json{{"Name", name}};
}

}  // namespace

void add_entity_type_operations(Handlers& handlers) {
  handlers.emplace("BatchGetCustomEntityTypes", batch_get_custom_entity_types);
  handlers.emplace("CreateCustomEntityType", create_custom_entity_type);
  handlers.emplace("DeleteCustomEntityType", delete_custom_entity_type);
  handlers.emplace("GetCustomEntityType", get_custom_entity_type);
  handlers.emplace("ListCustomEntityTypes", list_custom_entity_types);
}

}  // namespace cairn::api::glue
