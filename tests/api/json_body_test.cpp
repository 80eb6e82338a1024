#include "cairn/api/json_body.h"

#include <gtest/gtest.h>

#include "cairn/catalog/error.h"

namespace cairn::api {
namespace {

ErrorCode code_of(std::string_view body, std::string* field = nullptr) {
  try {
    parse_json_body(body);
  } catch (const Error& e) {
    if (field != nullptr) *field = e.field();
    return e.code();
  }
  return ErrorCode::Internal;
}

TEST(JsonBody, AcceptsAnObject) {
  EXPECT_EQ(parse_json_body(R"({"a":[1,2,{"b":null}]})")["a"][1], 2);
}

TEST(JsonBody, RefusesEmptyMalformedAndNonObjectBodies) {
  std::string field;
  EXPECT_EQ(code_of("", &field), ErrorCode::InvalidArgument);
  EXPECT_EQ(field, "body");
  EXPECT_EQ(code_of("{\"a\":"), ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of("[1,2]"), ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of("\"text\""), ErrorCode::InvalidArgument);
}

// Regression: nlohmann throws out_of_range (not parse_error) for numbers beyond double's range; that escaped
// as a 500 until tests/fuzz/json_body_fuzz found it (reproducers in tests/fuzz/crashes/json_body_fuzz/).
TEST(JsonBody, NumberOverflowIsABadRequestNotAnInternalError) {
  EXPECT_EQ(code_of("1e400"), ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of(R"({"table":{"name":"t","retention":1e400}})"), ErrorCode::InvalidArgument);
}

TEST(JsonBody, RefusesDeepNestingBeforeParsing) {
  const std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(code_of(deep), ErrorCode::InvalidArgument);
  const std::string ok =
      "{\"a\":" + std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_NO_THROW(parse_json_body(ok));
  // Brackets inside strings do not count.
  EXPECT_NO_THROW(parse_json_body("{\"a\":\"" + std::string(1000, '[') + "\"}"));
}

TEST(JsonBody, StrictFieldHelpersNameTheField) {
  const auto j = parse_json_body(R"({"name":5,"values":["a",1],"extra":true})");
  try {
    string_field(j["name"], "name");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "name");
  }
  try {
    string_array(j["values"], "values");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "values[1]");
  }
  try {
    reject_unknown_keys(j, {"name", "values"}, "");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "extra");
  }
}

}  // namespace
}  // namespace cairn::api
