#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/classifiers/pii.h"

namespace {

using cairn::Error;
using cairn::ErrorCode;
using cairn::classifiers::builtin_entities;
using cairn::classifiers::column_name_hints;
using cairn::classifiers::ColumnVerdict;
using cairn::classifiers::CustomEntityType;
using cairn::classifiers::Detector;
using cairn::classifiers::mask_example;

const Detector& detector() {
  static const Detector kDetector = Detector::create();
  return kDetector;
}

// `n` values made by `make(i)`.
template <typename F>
std::vector<std::string> values(std::size_t n, F make) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(make(i));
  return out;
}

std::vector<std::string> entities_of(const std::vector<ColumnVerdict>& verdicts) {
  std::vector<std::string> out;
  for (const auto& v : verdicts) out.push_back(v.entity);
  return out;
}

// 40 distinct valid IBANs (DE, computed check digits).
std::vector<std::string> ibans() {
  return values(40, [](std::size_t i) {
    std::string bban = "3704004405320130" + std::to_string(10 + i);
    int r = 0;
    for (const char c : bban + "131400") r = (r * 10 + (c - '0')) % 97;
    const int check = 98 - r;
    return std::string("DE") + (check < 10 ? "0" : "") + std::to_string(check) + bban;
  });
}

TEST(Entities, BuiltinListIsTheIssues) {
  const std::vector<std::string> expected = {
      "EMAIL",         "PHONE_NUMBER", "CREDIT_CARD",    "IBAN",
      "BIC",           "US_SSN",       "IP_ADDRESS",     "MAC_ADDRESS",
      "VIN",           "DE_TAX_ID",    "FR_NIR",         "IT_FISCAL_CODE",
      "ES_DNI",        "GB_NINO",      "NL_BSN",         "PASSPORT_NUMBER",
      "DATE_OF_BIRTH", "PERSON_NAME",  "POSTAL_ADDRESS", "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_KEY"};
  std::vector<std::string> names;
  for (const auto& e : builtin_entities()) {
    names.emplace_back(e.name);
    EXPECT_GT(e.threshold, 0.5);
    EXPECT_FALSE(e.name_hints.empty()) << e.name;
  }
  EXPECT_EQ(names, expected);
  EXPECT_EQ(detector().entity_names(), expected);
}

TEST(Entities, NameHintsInSeveralLanguages) {
  EXPECT_TRUE(column_name_hints("DATE_OF_BIRTH", "Geburtsdatum"));
  EXPECT_TRUE(column_name_hints("DATE_OF_BIRTH", "date_naissance"));
  EXPECT_TRUE(column_name_hints("DATE_OF_BIRTH", "customerDob"));
  EXPECT_TRUE(column_name_hints("PHONE_NUMBER", "telefono"));
  EXPECT_TRUE(column_name_hints("PHONE_NUMBER", "tel_nr"));
  EXPECT_FALSE(column_name_hints("PHONE_NUMBER", "hotel_name"));  // "tel" is a whole-word hint
  EXPECT_TRUE(column_name_hints("IBAN", "customer_IBAN"));
  EXPECT_TRUE(column_name_hints("POSTAL_ADDRESS", "billing_address"));
  EXPECT_FALSE(column_name_hints("PERSON_NAME", "product_name"));
  EXPECT_FALSE(column_name_hints("NOPE", "iban"));
}

TEST(Detector, MatchReportsEveryValidatingEntity) {
  EXPECT_EQ(detector().match("jane.doe@example.com"), std::vector<std::string>{"EMAIL"});
  EXPECT_EQ(detector().match(" DE89 3704 0044 0532 0130 00 "), std::vector<std::string>{"IBAN"});
  const auto ssn = detector().match("123-45-6789");
  EXPECT_NE(std::find(ssn.begin(), ssn.end(), "US_SSN"), ssn.end());
  EXPECT_TRUE(detector().match("hello world").empty());
  EXPECT_TRUE(detector().match("").empty());
  EXPECT_TRUE(detector().match(std::string(600, '1')).empty());
}

TEST(Detector, IbanColumnWithAndWithoutHint) {
  const auto column = ibans();
  const auto hinted = detector().classify_column("customer_iban", "string", column);
  ASSERT_EQ(entities_of(hinted), std::vector<std::string>{"IBAN"});
  EXPECT_EQ(hinted[0].matched, 40u);
  EXPECT_EQ(hinted[0].sample_size, 40u);
  EXPECT_DOUBLE_EQ(hinted[0].matched_fraction, 1.0);
  EXPECT_EQ(hinted[0].masked_example.substr(0, 4), "DE" + column[0].substr(2, 2));
  EXPECT_NE(hinted[0].masked_example.find("****"), std::string::npos);
  EXPECT_NE(hinted[0].reason.find("40/40"), std::string::npos);
  const auto plain = detector().classify_column("col_7", "string", column);
  ASSERT_EQ(entities_of(plain), std::vector<std::string>{"IBAN"});
  EXPECT_GT(hinted[0].confidence, plain[0].confidence);
}

TEST(Detector, BelowThresholdGivesNoVerdict) {
  auto column = ibans();
  for (std::size_t i = 0; i < 12; ++i) column[i] = "ORD-" + std::to_string(1000 + i);  // 28/40 = 0.7 < 0.8
  EXPECT_TRUE(detector().classify_column("iban", "string", column).empty());
}

TEST(Detector, AColumnIsReadToTheEndWhileAnEntityCanStillReachItsThreshold) {
  // 8 order numbers first, then 40 IBANs: 40/48 = 0.83 >= 0.8, so the early stop must not end the scan after
  // the first values that fail.
  std::vector<std::string> column;
  for (std::size_t i = 0; i < 8; ++i) column.push_back("ORD-" + std::to_string(1000 + i));
  for (const auto& iban : ibans()) column.push_back(iban);
  const auto verdicts = detector().classify_column("col_3", "string", column);
  ASSERT_EQ(entities_of(verdicts), std::vector<std::string>{"IBAN"});
  EXPECT_EQ(verdicts[0].matched, 40u);
  EXPECT_EQ(verdicts[0].sample_size, 48u);
  // Three more failures at the front and no entity can reach 0.8 (40/51): no verdict, as with a full scan.
  column.insert(column.begin(), {"ORD-1", "ORD-2", "ORD-3"});
  EXPECT_TRUE(detector().classify_column("col_3", "string", column).empty());
}

TEST(Detector, NullsAreNotCounted) {
  auto column = ibans();
  for (int i = 0; i < 30; ++i) column.emplace_back(i % 2 == 0 ? "" : "   ");
  const auto verdicts = detector().classify_column("iban", "string", column);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].sample_size, 40u);
}

TEST(Detector, HintRequiredEntities) {
  const auto dates = values(50, [](std::size_t i) {
    return std::to_string(1950 + i) + "-0" + std::to_string(1 + i % 9) + "-1" + std::to_string(i % 9);
  });
  EXPECT_EQ(entities_of(detector().classify_column("geburtsdatum", "string", dates)),
            std::vector<std::string>{"DATE_OF_BIRTH"});
  EXPECT_TRUE(detector().classify_column("created", "string", dates).empty());
  // Date-typed columns may hold a birth date, with the hint.
  EXPECT_EQ(entities_of(detector().classify_column("dob", "date", dates)),
            std::vector<std::string>{"DATE_OF_BIRTH"});
  EXPECT_TRUE(detector().classify_column("shipped_on", "date", dates).empty());
  // Recent event dates under a birth name span too few years to be birth dates.
  const auto recent = values(50, [](std::size_t i) {
    return std::to_string(2020 + i % 5) + "-0" + std::to_string(1 + i % 9) + "-1" + std::to_string(i % 9);
  });
  EXPECT_TRUE(detector().classify_column("date_of_birth", "string", recent).empty());

  const auto names = values(30, [](std::size_t i) {
    static const char* kFirst[] = {"Anna", "Jean", "Luca", "María", "Daan", "James"};
    static const char* kLast[] = {"Müller", "Dubois", "Rossi", "García", "de Vries"};
    return std::string(kFirst[i % 6]) + " " + kLast[i % 5];
  });
  EXPECT_EQ(entities_of(detector().classify_column("customer_name", "string", names)),
            std::vector<std::string>{"PERSON_NAME"});
  EXPECT_TRUE(detector().classify_column("product", "string", names).empty());
}

TEST(Detector, BareDigitsNeedAHint) {
  const auto ssns = values(30, [](std::size_t i) { return std::to_string(123450000 + i * 7919); });
  const auto hinted = entities_of(detector().classify_column("ssn", "string", ssns));
  EXPECT_NE(std::find(hinted.begin(), hinted.end(), "US_SSN"), hinted.end());
  const auto plain = entities_of(detector().classify_column("order_id", "string", ssns));
  EXPECT_EQ(std::find(plain.begin(), plain.end(), "US_SSN"), plain.end());
}

TEST(Detector, LowCardinalityColumnsAreSkipped) {
  const auto column = values(40, [](std::size_t i) {
    static const char* kEmails[] = {"a@b.com", "c@d.com", "e@f.com", "g@h.com"};
    return std::string(kEmails[i % 4]);
  });
  EXPECT_TRUE(detector().classify_column("email", "string", column).empty());
  // Fewer than 20 values: not judged low-cardinality.
  const std::vector<std::string> few(column.begin(), column.begin() + 8);
  EXPECT_EQ(entities_of(detector().classify_column("email", "string", few)),
            std::vector<std::string>{"EMAIL"});
}

TEST(Detector, TypesThatCannotHoldTheEntityAreSkipped) {
  const auto cards = values(30, [](std::size_t i) {
    std::string payload = "411111111111" + std::to_string(100 + i);
    int sum = 0;
    bool twice = true;
    for (std::size_t k = payload.size(); k-- > 0;) {
      int d = payload[k] - '0';
      if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
      twice = !twice;
    }
    return payload + std::to_string((10 - sum % 10) % 10);
  });
  EXPECT_EQ(entities_of(detector().classify_column("card", "string", cards)),
            std::vector<std::string>{"CREDIT_CARD"});
  EXPECT_EQ(entities_of(detector().classify_column("card", "bigint", cards)),
            std::vector<std::string>{"CREDIT_CARD"});
  EXPECT_TRUE(detector().classify_column("card", "int", cards).empty());
  EXPECT_TRUE(detector().classify_column("card", "double", cards).empty());
  EXPECT_TRUE(detector().classify_column("card", "decimal(20,0)", cards).empty());
  EXPECT_TRUE(detector().classify_column("card", "boolean", cards).empty());
  EXPECT_TRUE(detector().classify_column("card", "array<string>", cards).empty());
  EXPECT_TRUE(detector().classify_column("card", "date", cards).empty());
}

TEST(Masking, Examples) {
  EXPECT_EQ(mask_example("EMAIL", "jane.doe@example.com"), "j***@e***.com");
  EXPECT_EQ(mask_example("IBAN", "DE89370400440532013000"), "DE89 **** **** **** **** 00");
  EXPECT_EQ(mask_example("IBAN", "DE89 3704 0044 0532 0130 00"), "DE89 **** **** **** **** 00");
  EXPECT_EQ(mask_example("CREDIT_CARD", "4111 1111 1111 1111"), "**** **** **** 1111");
  EXPECT_EQ(mask_example("IP_ADDRESS", "10.1.2.3"), "10.*.*.*");
  EXPECT_EQ(mask_example("PERSON_NAME", "Jürgen Müller"), "J*** M***");
  EXPECT_EQ(mask_example("US_SSN", "123-45-6789"), "***-**-**89");
  EXPECT_EQ(mask_example("DATE_OF_BIRTH", "1985-03-12"), "****-**-**");
  EXPECT_EQ(mask_example("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"), "AKIA************MPLE");
  EXPECT_EQ(mask_example("AWS_SECRET_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "wJal****");
  EXPECT_EQ(mask_example("EMAIL", ""), "");
}

TEST(CustomEntities, ParticipateInTheSet) {
  const Detector d =
      Detector::create({CustomEntityType{"EMPLOYEE_ID", "EMP-[0-9]{6}", {}},
                        CustomEntityType{"PROJECT_CODE", "[A-Z]{3}-[0-9]{2}", {"project", "Projekt"}}});
  EXPECT_EQ(d.match("EMP-123456"), std::vector<std::string>{"EMPLOYEE_ID"});
  const auto employees = values(30, [](std::size_t i) { return "EMP-" + std::to_string(100000 + i); });
  EXPECT_EQ(entities_of(d.classify_column("staff", "string", employees)),
            std::vector<std::string>{"EMPLOYEE_ID"});
  const auto projects = values(30, [](std::size_t i) {
    return std::string(1, static_cast<char>('A' + i % 26)) + "BC-" + std::to_string(10 + i);
  });
  EXPECT_TRUE(d.classify_column("code", "string", projects).empty());  // context words are required
  EXPECT_EQ(entities_of(d.classify_column("projekt_code", "string", projects)),
            std::vector<std::string>{"PROJECT_CODE"});
  EXPECT_EQ(d.entity_names().back(), "PROJECT_CODE");
}

// The field of the error Detector::create throws for `custom`.
std::string error_field(std::vector<CustomEntityType> custom) {
  try {
    Detector::create(std::move(custom));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    return e.field();
  }
  return "(no error)";
}

TEST(CustomEntities, ValidationNamesTheField) {
  EXPECT_EQ(error_field({{"bad name", "x", {}}}), "custom[0].name");
  EXPECT_EQ(error_field({{"", "x", {}}}), "custom[0].name");
  EXPECT_EQ(error_field({{"IBAN", "x", {}}}), "custom[0].name");
  EXPECT_EQ(error_field({{"OK", "x", {}}, {"OK", "y", {}}}), "custom[1].name");
  EXPECT_EQ(error_field({{"OK", "(unclosed", {}}}), "custom[0].pattern");
  EXPECT_EQ(error_field({{"OK", "", {}}}), "custom[0].pattern");
  EXPECT_EQ(error_field({{"OK", "x", std::vector<std::string>(21, "word")}}), "custom[0].context_words");
  EXPECT_EQ(error_field({{"OK", "x", {"fine", ""}}}), "custom[0].context_words[1]");
  EXPECT_EQ(error_field({{"OK", "x", {"--"}}}), "custom[0].context_words[0]");
  EXPECT_EQ(error_field({{"Ok_name-2", "[0-9]+", std::vector<std::string>(20, "word")}}), "(no error)");
}

}  // namespace
