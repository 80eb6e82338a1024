#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/classifiers/pii.h"

namespace {

using cairn::classifiers::validate;
using cairn::classifiers::ValueMatch;

void expect_valid(const char* entity, const std::vector<std::string>& values) {
  for (const auto& v : values) EXPECT_EQ(validate(entity, v), ValueMatch::Valid) << entity << ": " << v;
}
void expect_hint_only(const char* entity, const std::vector<std::string>& values) {
  for (const auto& v : values)
    EXPECT_EQ(validate(entity, v), ValueMatch::NeedsNameHint) << entity << ": " << v;
}
void expect_none(const char* entity, const std::vector<std::string>& values) {
  for (const auto& v : values) EXPECT_EQ(validate(entity, v), ValueMatch::None) << entity << ": " << v;
}

TEST(Validators, Email) {
  expect_valid("EMAIL", {"jane.doe@example.com", "a+tag@mail.web.de", "x@b.co", " o'brien@corp.ie "});
  expect_none("EMAIL", {"plain", "a@b", "a@b.c", "a@b.c0m", ".a@b.com", "a..b@c.com", "a.@b.com", "a@-b.com",
                        "a@b-.com", "a@@b.com", "a b@c.com", std::string(65, 'a') + "@b.com",
                        "a@" + std::string(250, 'b') + ".com", "a@b..com"});
}

TEST(Validators, PhoneNumber) {
  expect_valid("PHONE_NUMBER",
               {"+49 30 1234567", "+49 (0)30 12345678", "+33 6 12 34 56 78", "+44 20 7946 0958",
                "+39 06 1234 5678", "+39 347 123 4567", "+34 612 345 678", "+31 20 123 4567", "+43 1 5123456",
                "+1 (415) 555-2671", "030 1234567", "06 12 34 56 78", "020 7946 0958", "(415) 555-2671",
                "612 34 56 78", "+41 44 668 18 00"});
  expect_hint_only("PHONE_NUMBER", {"03012345678", "4155552671", "612345678", "0049301234567"});
  expect_none("PHONE_NUMBER",
              {"+49 0301234", "+33 1234", "+1 (115) 555-2671", "+34 512 345 678", "12.03.1985", "2023-05-12",
               "12345", "+44 0 1234 5678", "1234.56", "1.2.3", "(415 555-2671", "00000000", "555-2671"});
}

TEST(Validators, CreditCard) {
  expect_valid("CREDIT_CARD",
               {"4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005",
                "6011111111111117", "3530111333300000", "2221000000000009", "30569309025904"});
  expect_none("CREDIT_CARD", {"4111111111111112", "1234567812345670", "411111111111", "0000000000000000",
                              "5500 0000 0000 0005", "37828224631000", "41111111111111111111"});
}

TEST(Validators, Iban) {
  expect_valid("IBAN", {"DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "GB29NWBK60161331926819",
                        "FR1420041010050500013M02606", "NL91ABNA0417164300", "IT60X0542811101000000123456",
                        "ES9121000418450200051332", "AT611904300234573201", "de89370400440532013000"});
  expect_none("IBAN", {"DE89370400440532013001", "DE8937040044053201300", "XX89370400440532013000",
                       "GB29NWBK6016133192681", "DE89-3704-0044-0532-0130-00"});
}

TEST(Validators, Bic) {
  expect_valid("BIC", {"DEUTDEFF", "DEUTDEFF500", "BNPAFRPPXXX", "UNCRITMM"});
  expect_none("BIC", {"DEUTXXFF", "DEUTDEF", "deutdeff", "DEU1DEFF", "DEUTDEFF50"});
}

TEST(Validators, UsSsn) {
  expect_valid("US_SSN", {"123-45-6789", "123 45 6789", "899-99-9999"});
  expect_hint_only("US_SSN", {"123456789"});
  expect_none("US_SSN", {"000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000",
                         "123-45 6789", "12-345-6789"});
}

TEST(Validators, IpAddress) {
  expect_valid("IP_ADDRESS",
               {"10.0.0.1", "8.8.8.8", "192.168.1.20", "2a02:8108:1:2::1", "fe80::1", "::ffff:10.1.2.3"});
  expect_none("IP_ADDRESS", {"127.0.0.1", "192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1", "::1",
                             "::", "256.1.1.1", "1.2.3", "01.2.3.4", "0.0.0.0", "::ffff:127.0.0.1",
                             "12:30:45", "aa:bb:cc:dd:ee:ff", std::string("192.168.1.20\0\0", 14),
                             std::string("10.0.0.1\0x", 10)});
}

TEST(Validators, MacAddress) {
  expect_valid("MAC_ADDRESS", {"00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e"});
  expect_none("MAC_ADDRESS", {"00:1A:2B:3C:4D", "00:1A-2B:3C:4D:5E", "00:00:00:00:00:00", "FF:FF:FF:FF:FF:FF",
                              "0G:1A:2B:3C:4D:5E", "001A2B3C4D5E"});
}

TEST(Validators, Vin) {
  expect_valid("VIN", {"1HGCM82633A004352", "1M8GDM9AXKP042788", "WVWZZZ1JZXW000001", "WDB1240821A123456",
                       "vf1rfb00x56789012"});
  expect_none("VIN", {"1HGCM82634A004352", "1HGCM82633A00435", "WVWZZZ1JZXW00000I", "WVWZZZ1JZXW0000AB",
                      "12345678901234567", "1HGCM8263OA004352"});
}

TEST(Validators, DeTaxId) {
  expect_valid("DE_TAX_ID",
               {"86095742719", "47036892816", "65929970489", "57549285017", "25768131411", "86 095 742 719"});
  expect_none("DE_TAX_ID", {"86095742718", "01234567890", "11111111111", "12345678903", "8609574271"});
}

TEST(Validators, FrNir) {
  expect_valid("FR_NIR", {"185057800608491", "1 85 05 78 006 084 91", "255082A12345646", "269052B12345618"});
  expect_none("FR_NIR",
              {"185057800608492", "385057800608491", "185137800608491", "18505780060843", "255082C12345646"});
}

TEST(Validators, ItFiscalCode) {
  expect_valid("IT_FISCAL_CODE",
               {"RSSMRA85T10A562S", "rssmra85t10a562s", "MRTMTT91D08F205J", "RSSMRA85T10A56NH"});
  expect_none("IT_FISCAL_CODE", {"RSSMRA85T10A562T", "RSSMRA85Z10A562S", "RSSMRA85T99A562S",
                                 "RSSMRA85T10A562", "123MRA85T10A562S"});
}

TEST(Validators, EsDniNie) {
  expect_valid("ES_DNI", {"12345678Z", "12345678-Z", "X1234567L", "Y1234567X", "Z1234567R", "00000001R"});
  expect_none("ES_DNI", {"12345678A", "X1234567A", "00000000T", "1234567Z", "W1234567L"});
}

TEST(Validators, GbNino) {
  expect_valid("GB_NINO", {"AB123456C", "AB 12 34 56 C", "JG103759A", "ZX999999D"});
  expect_none("GB_NINO",
              {"AB123456E", "DA123456A", "AO123456A", "GB123456A", "BG123456A", "NK123456A", "AB12345C"});
}

TEST(Validators, NlBsn) {
  expect_valid("NL_BSN", {"111222333", "123456782", "1234.56.782", "12345672"});
  expect_none("NL_BSN", {"111222334", "123456789", "000000000", "1234567", "12.3456.782"});
}

TEST(Validators, HintOnlyEntities) {
  expect_hint_only("PASSPORT_NUMBER", {"C01X00T47", "123456789", "YA1234567", "PAA123456"});
  expect_none("PASSPORT_NUMBER", {"ABCDEFGH", "12345", "1234567890", "ab123456", "AAAAAAAA"});
  expect_hint_only("DATE_OF_BIRTH", {"1985-03-12", "12.03.1985", "03/25/1985", "1985-03-12T00:00:00Z",
                                     "1985-03-12 00:00:00", "1920-01-01"});
  expect_none("DATE_OF_BIRTH",
              {"2999-01-01", "1850-01-01", "1985-02-30", "1985", "12.1985", "1985-13-01", "85-03-12"});
  expect_hint_only("PERSON_NAME", {"Jane Doe", "Jean-Luc Picard", "Ludwig van Beethoven", "Ælfrida Jones",
                                   "O'Neil", "Müller, Hans", "J. R. Tolkien"});
  expect_none("PERSON_NAME", {"jane doe", "Widget 3000", "ACME-42", "a", "x@y.com"});
  expect_hint_only("POSTAL_ADDRESS", {"Hauptstraße 12, 10115 Berlin", "12 Rue de la Paix, 75002 Paris",
                                      "221B Baker Street, London NW1 6XE", "Calle Mayor 5, 28013 Madrid"});
  expect_none("POSTAL_ADDRESS",
              {"10.0.0.1", "jane@example.com", "Berlin", "12345 67890", "http://x.de/a 1 bb cc"});
  expect_valid("AWS_ACCESS_KEY_ID", {"AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A"});
  expect_none("AWS_ACCESS_KEY_ID", {"AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN1EXAMPLE", "ABIAIOSFODNN7EXAMPLE"});
  expect_hint_only("AWS_SECRET_KEY", {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"});
  expect_none("AWS_SECRET_KEY",
              {"wjalrxutnfemi/k7mdeng/bpxrficyexamplekey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE"});
}

TEST(Validators, UnknownEntityThrows) {
  try {
    validate("NOPE", "x");
    FAIL() << "no error";
  } catch (const cairn::Error& e) {
    EXPECT_EQ(e.code(), cairn::ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), "entity");
  }
}

}  // namespace
