#include "cairn/catalog/names.h"

#include <gtest/gtest.h>

#include <string>

#include "cairn/catalog/byte_scan.h"
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

// --- byte_scan.h: the word-at-a-time searches agree with a byte-by-byte one ------------------------------

std::size_t naive_find(std::string_view text, std::size_t from, bool (*special)(unsigned char)) {
  for (std::size_t i = from; i < text.size(); ++i) {
    if (special(static_cast<unsigned char>(text[i]))) return i;
  }
  return text.size();
}

bool json_special(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

bool nul_or_non_ascii(unsigned char c) {
  return c == 0 || c >= 0x80;
}

TEST(ByteScan, EveryByteValueAtEveryPositionOfAWordAndItsTail) {
  // Every byte value at each position of strings of 0..19 bytes (two words and a tail), over a background of
  // bytes that are never special, then just below and above the borders the expressions test (0x1f/0x20,
  // 0x7f/0x80, 0x21-0x23 around '"', 0x5b-0x5d around '\\'), from every start position.
  for (char background : {'a', ' ', '~', '!', '#', '[', ']', '\x7f'}) {
    for (std::size_t size = 0; size < 20; ++size) {
      for (std::size_t pos = 0; pos < size; ++pos) {
        for (int value = 0; value < 256; ++value) {
          std::string s(size, background);
          s[pos] = static_cast<char>(value);
          for (std::size_t from = 0; from <= size; ++from) {
            ASSERT_EQ(text::find_json_special(s, from), naive_find(s, from, json_special))
                << "byte " << value << " at " << pos << " of " << size << " from " << from;
            ASSERT_EQ(text::find_nul_or_non_ascii(s, from), naive_find(s, from, nul_or_non_ascii))
                << "byte " << value << " at " << pos << " of " << size << " from " << from;
          }
        }
      }
    }
  }
}

TEST(ByteScan, TwoSpecialBytesInOneWordFindTheFirst) {
  // A borrow from a special byte may mark bytes above it; the byte-by-byte search within the word is exact.
  for (std::size_t first = 0; first < 8; ++first) {
    for (std::size_t second = first + 1; second < 8; ++second) {
      for (unsigned char a : {0x00, 0x01, 0x1f, 0x22, 0x5c, 0x80, 0xff}) {
        for (unsigned char b : {0x00, 0x1f, 0x22, 0x5c, 0xc3}) {
          std::string s(8, 'x');
          s[first] = static_cast<char>(a);
          s[second] = static_cast<char>(b);
          EXPECT_EQ(text::find_json_special(s), first);
        }
      }
    }
  }
}

}  // namespace
}  // namespace cairn::catalog
