// Fuzzes request-body decoding: parse_json_body, then the strict model readers and the normalisation the
// service applies to a decoded table, partition or database. Only cairn::Error may escape; a decoded
// entity serialises back to JSON that decodes to the same entity.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cairn/api/json_body.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/model.h"
#include "cairn/catalog/model_json.h"
#include "cairn/catalog/validation.h"

namespace {

namespace catalog = cairn::catalog;
using nlohmann::json;

void expect_invalid_argument(const cairn::Error& e) {
  if (e.code() != cairn::ErrorCode::InvalidArgument) __builtin_trap();
}

// Runs `decode` on `j`; when it succeeds, to_json of the result must decode to the same JSON again.
template <typename Decode>
void round_trip(const json& j, Decode decode) {
  json first;
  try {
    first = catalog::to_json(decode(j));
  } catch (const cairn::Error& e) {
    expect_invalid_argument(e);
    return;
  }
  (void)first.dump();  // strings from the parser are valid UTF-8, so dump() cannot throw
  json second;
  try {
    second = catalog::to_json(decode(first));
  } catch (const cairn::Error&) {
    __builtin_trap();  // what to_json writes must be accepted back
  }
  if (first != second) __builtin_trap();
}

template <typename Entity, typename Normalize>
void normalize_twice(Entity entity, Normalize normalize) {
  try {
    normalize(entity);
  } catch (const cairn::Error& e) {
    expect_invalid_argument(e);
    return;
  }
  const json once = catalog::to_json(entity);
  try {
    normalize(entity);
  } catch (const cairn::Error&) {
    __builtin_trap();  // a normalised entity is valid
  }
  if (catalog::to_json(entity) != once) __builtin_trap();  // normalising is idempotent
}

const catalog::Table& partitioned_table() {
  static const catalog::Table table = [] {
    catalog::Table t;
    t.name = "events";
    t.database_name = "analytics";
    t.partition_keys = {{"year", "int", "", {}},
                        {"dt", "date", "", {}},
                        {"region", "string", "", {}},
                        {"price", "decimal(10,2)", "", {}}};
    return t;
  }();
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  json j;
  try {
    j = cairn::api::parse_json_body(body);
  } catch (const cairn::Error& e) {
    expect_invalid_argument(e);
    if (e.field() != "body") __builtin_trap();
    return 0;
  }
  if (!j.is_object()) __builtin_trap();

  round_trip(j, [](const json& v) { return catalog::table_from_json(v); });
  round_trip(j, [](const json& v) { return catalog::partition_from_json(v); });
  round_trip(j, [](const json& v) { return catalog::database_from_json(v); });

  // The API wraps entities: {"table": {...}}, {"partition": {...}}, {"database": {...}}.
  for (const char* key : {"table", "partition", "database", "storage_descriptor"}) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    try {
      if (std::string_view(key) == "table") {
        normalize_twice(catalog::table_from_json(*it, key),
                        [](catalog::Table& t) { catalog::normalize_table(t); });
      } else if (std::string_view(key) == "partition") {
        normalize_twice(catalog::partition_from_json(*it, key),
                        [](catalog::Partition& p) { catalog::normalize_partition(partitioned_table(), p); });
      } else if (std::string_view(key) == "database") {
        normalize_twice(catalog::database_from_json(*it, key),
                        [](catalog::Database& d) { catalog::normalize_database(d); });
      } else {
        catalog::StorageDescriptor sd = catalog::storage_descriptor_from_json(*it, key);
        catalog::normalize_storage_descriptor(sd, key);
        (void)catalog::to_json(sd).dump();
      }
    } catch (const cairn::Error& e) {
      expect_invalid_argument(e);
    }
  }
  return 0;
}
