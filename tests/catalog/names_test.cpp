#include "cairn/catalog/names.h"

#include <gtest/gtest.h>

#include <string>

#include "cairn/catalog/error.h"

namespace cairn::catalog {
namespace {

template <typename Fn>
std::string error_of(Fn&& fn, const std::string& expected_field) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), expected_field);
    return e.what();
  }
  return "<no error>";
}

TEST(Names, EntityNamesAreLowerCased) {
  EXPECT_EQ(normalize_entity_name("name", "Sales"), "sales");
  EXPECT_EQ(normalize_entity_name("name", "core_Accounts-2"), "core_accounts-2");
  EXPECT_EQ(normalize_entity_name("name", "_x"), "_x");
  EXPECT_EQ(normalize_entity_name("name", "1abc"), "1abc");
  EXPECT_EQ(normalize_entity_name("name", std::string(255, 'A')), std::string(255, 'a'));
}

TEST(Names, EntityNameErrorsSayTheRule) {
  auto err = [](std::string_view name) {
    return error_of([&] { normalize_entity_name("name", name, "database name"); }, "name");
  };
  EXPECT_EQ(err("A b"), "database name 'A b' may contain only letters, digits, '_' and '-'");
  EXPECT_EQ(err(""), "database name must not be empty");
  EXPECT_EQ(err(std::string(256, 'a')), "database name must be at most 255 characters (got 256)");
  EXPECT_EQ(err("-abc"), "database name '-abc' must start with a letter, a digit or '_'");
  for (std::string_view bad : {"a/b", "a\\b", "a:b", " a", "a ", "a.b", "a\nb", "caf\xc3\xa9", "a\x7f"}) {
    EXPECT_NE(err(bad).find("may contain only letters, digits, '_' and '-'"), std::string::npos) << bad;
  }
  EXPECT_EQ(err("a\nb"), "database name 'a\\x0ab' may contain only letters, digits, '_' and '-'");
}

TEST(Names, EntityNameDerivesWhatFromField) {
  EXPECT_EQ(error_of([] { normalize_entity_name("table_name", "a b"); }, "table_name"),
            "table name 'a b' may contain only letters, digits, '_' and '-'");
  EXPECT_EQ(error_of([] { normalize_entity_name("database", ""); }, "database"),
            "database name must not be empty");
}

TEST(Names, ColumnNamesAllowMoreCharacters) {
  EXPECT_EQ(normalize_column_name("name", "Order Date"), "order date");
  EXPECT_EQ(normalize_column_name("name", "a.b$c-d/e"), "a.b$c-d/e");
  EXPECT_EQ(normalize_column_name("name", "Caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(normalize_column_name("name", std::string(255, 'X')), std::string(255, 'x'));
  // 255 two-byte characters are 255 characters.
  std::string wide;
  for (int i = 0; i < 255; ++i) wide += "\xc3\xa9";
  EXPECT_EQ(normalize_column_name("name", wide), wide);
}

TEST(Names, ColumnNameErrors) {
  auto err = [](std::string_view name) {
    return error_of([&] { normalize_column_name("columns[0].name", name); }, "columns[0].name");
  };
  EXPECT_EQ(err(""), "column name must not be empty");
  EXPECT_EQ(err(std::string(256, 'a')), "column name must be at most 255 characters (got 256)");
  for (const char* bad : {"a,b", "a:b", "a<b", "a>b", "a`b"}) {
    EXPECT_NE(err(bad).find("names may not contain , : < > or `"), std::string::npos) << bad;
  }
  EXPECT_NE(err("a\tb").find("control characters"), std::string::npos);
  EXPECT_NE(err("a\x7f").find("control characters"), std::string::npos);
  EXPECT_NE(err(" a").find("must not start or end with whitespace"), std::string::npos);
  EXPECT_NE(err("a ").find("must not start or end with whitespace"), std::string::npos);
  EXPECT_NE(err("a\xff").find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(err("\xc0\xaf").find("not valid UTF-8"), std::string::npos);      // overlong '/'
  EXPECT_NE(err("\xed\xa0\x80").find("not valid UTF-8"), std::string::npos);  // surrogate
}

TEST(Names, PrincipalNames) {
  validate_principal_name("name", "Alice");
  validate_principal_name("name", "etl+batch=1,x.y@z-w_v");
  validate_principal_name("name", std::string(64, 'a'));
  auto err = [](std::string_view name) {
    return error_of([&] { validate_principal_name("name", name); }, "name");
  };
  EXPECT_NE(err("").find("must be 1..64 characters"), std::string::npos);
  EXPECT_NE(err(std::string(65, 'a')).find("must be 1..64 characters (got 65)"), std::string::npos);
  for (const char* bad : {"a b", "a/b", "a:b", "a#b", "caf\xc3\xa9", "a*"}) {
    EXPECT_NE(err(bad).find("may contain only letters, digits and _+=,.@-"), std::string::npos) << bad;
  }
}

TEST(Names, CatalogIds) {
  validate_catalog_id("000000000000");
  validate_catalog_id("123456789012");
  for (const char* bad :
       {"", "12345678901", "1234567890123", "12345678901a", " 12345678901", "１23456789012"}) {
    EXPECT_NE(error_of([&] { validate_catalog_id(bad); }, "catalog_id").find("must be exactly 12 digits"),
              std::string::npos)
        << bad;
  }
}

TEST(Names, Utf8Helpers) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_EQ(utf8_length("\xe2\x82\xac"
                        "a"),
            2u);
  EXPECT_EQ(quote_for_message("a\x01\xff"), "'a\\x01\\xff'");
  EXPECT_EQ(quote_for_message(std::string(100, 'x')), "'" + std::string(64, 'x') + "...'");
}

}  // namespace
}  // namespace cairn::catalog
