// Fuzzes the Hive type parser: any input either parses or throws cairn::Error, and a parsed type's
// canonical text parses back to the same canonical text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/partition_expr.h"

namespace {

using cairn::catalog::HiveType;

void check_shape(const HiveType& t) {
  using K = HiveType::Kind;
  if (t.is_integer() && !t.is_numeric()) __builtin_trap();
  switch (t.kind) {
    case K::Array:
      if (t.children.size() != 1) __builtin_trap();
      break;
    case K::Map:
      if (t.children.size() != 2) __builtin_trap();
      break;
    case K::Struct:
      if (t.children.empty() || t.field_names.size() != t.children.size()) __builtin_trap();
      break;
    case K::UnionType:
      if (t.children.empty()) __builtin_trap();
      break;
    default:
      if (!t.children.empty()) __builtin_trap();
  }
  for (const HiveType& child : t.children) check_shape(child);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  HiveType parsed;
  try {
    parsed = cairn::catalog::parse_hive_type(text);
  } catch (const cairn::Error& e) {
    if (e.code() != cairn::ErrorCode::InvalidArgument || e.field() != "type") __builtin_trap();
    return 0;
  }
  check_shape(parsed);
  const std::string canonical = parsed.to_string();
  HiveType reparsed;
  try {
    reparsed = cairn::catalog::parse_hive_type(canonical);
  } catch (const cairn::Error&) {
    __builtin_trap();  // the canonical text of a valid type must itself be valid
  }
  if (reparsed.to_string() != canonical) __builtin_trap();
  // Partition keys classify their type through the same parser; it must agree on valid types.
  if (cairn::catalog::key_value_type(std::string(text)) != cairn::catalog::key_value_type(canonical)) {
    __builtin_trap();
  }
  return 0;
}
