#pragma once
// The API layers read request bodies with catalog/json_fields.h.

#include "cairn/catalog/json_fields.h"

namespace cairn::api {

using catalog::kMaxJsonDepth;
using catalog::parse_json_body;
using catalog::reject_unknown_keys;
using catalog::require_key;
using catalog::string_array;
using catalog::string_field;

}  // namespace cairn::api
