// Fuzzes what an administrator may PUT as PII classification settings: parse_json_body, then
// classification_settings_from_json over the defaults. Only cairn::Error(InvalidArgument) with a message may
// escape; accepted settings serialise with to_json to JSON that reads back to the same settings, and every
// entity's tag mapping (tags_for) yields valid tag values.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cairn/api/classification_service.h"
#include "cairn/api/json_body.h"
#include "cairn/catalog/error.h"

namespace {

using nlohmann::json;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

json without_version(json j) {
  j.erase("version");
  j.erase("update_time");
  return j;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  json body;
  try {
    body = cairn::api::parse_json_body(text);
  } catch (const cairn::Error& e) {
    check(e.code() == cairn::ErrorCode::InvalidArgument);
    return 0;
  }
  cairn::api::ClassificationSettings settings;
  try {
    settings =
        cairn::api::classification_settings_from_json(body, cairn::api::default_classification_settings());
  } catch (const cairn::Error& e) {
    // The field is named (it may be "" only for a key that is itself "").
    check(e.code() == cairn::ErrorCode::InvalidArgument && std::string_view(e.what()).size() > 0);
    return 0;
  }
  check(settings.mode == "auto" || settings.mode == "review");
  check(settings.sample_size >= 1 && settings.sample_size <= 10000);
  check(settings.max_files >= 1 && settings.max_files <= 1000);
  // Round trip: what is stored reads back to the same settings.
  const json stored = without_version(cairn::api::to_json(settings));
  const cairn::api::ClassificationSettings again =
      cairn::api::classification_settings_from_json(stored, cairn::api::default_classification_settings());
  check(without_version(cairn::api::to_json(again)) == stored);
  // Every mapping gives valid tag values for built-in, custom-looking and mapped entity names.
  for (const std::string entity : {"EMAIL", "CREDIT_CARD", "employee-id", "X"})
    (void)settings.tags_for(entity);
  for (const auto& [entity, mapping] : settings.tags)
    if (entity != "*") (void)settings.tags_for(entity);  // "*" is no entity name
  return 0;
}
