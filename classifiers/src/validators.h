#pragma once

// The per-entity validators behind the RE2::Set prefilter (docs/classifiers.md, "Validators"). Each takes a
// value already trimmed of ASCII space and says whether it is the entity.

#include <string>
#include <string_view>
#include <vector>

#include "cairn/classifiers/pii.h"

namespace cairn::classifiers::detail {

using Validator = ValueMatch (*)(std::string_view value);

ValueMatch validate_email(std::string_view v);
ValueMatch validate_phone(std::string_view v);
ValueMatch validate_credit_card(std::string_view v);
ValueMatch validate_iban(std::string_view v);
ValueMatch validate_bic(std::string_view v);
ValueMatch validate_us_ssn(std::string_view v);
ValueMatch validate_ip_address(std::string_view v);
ValueMatch validate_mac_address(std::string_view v);
ValueMatch validate_vin(std::string_view v);
ValueMatch validate_de_tax_id(std::string_view v);
ValueMatch validate_fr_nir(std::string_view v);
ValueMatch validate_it_fiscal_code(std::string_view v);
ValueMatch validate_es_dni(std::string_view v);
ValueMatch validate_gb_nino(std::string_view v);
ValueMatch validate_nl_bsn(std::string_view v);
ValueMatch validate_passport_number(std::string_view v);
ValueMatch validate_date_of_birth(std::string_view v);
ValueMatch validate_person_name(std::string_view v);
ValueMatch validate_postal_address(std::string_view v);
ValueMatch validate_aws_access_key_id(std::string_view v);
ValueMatch validate_aws_secret_key(std::string_view v);

/// A built-in entity: its rules and prefilter pattern (EntityInfo) and its validator. Every built-in
/// validator accepts (Valid or NeedsNameHint) only values its pattern matches, or, when
/// `implies_pattern_past_ascii` is false, only ASCII values its pattern matches (PERSON_NAME and
/// POSTAL_ADDRESS take any byte >= 0x80 as part of a letter; their patterns want Unicode letters).
/// tests/classifiers/validators_test.cpp checks it.
struct BuiltinSpec {
  const EntityInfo* info;
  Validator validate;
  bool implies_pattern_past_ascii;
};

/// True when `value`, accepted by `spec`'s validator, surely matches its pattern (see BuiltinSpec).
bool validator_implies_pattern(const BuiltinSpec& spec, std::string_view value);

/// The built-in entities with their patterns, in builtin_entities() order.
const std::vector<BuiltinSpec>& builtin_specs();

/// A column name as name hints see it (see name_has_hint): lower-cased without separators, and its words.
struct ColumnNameWords {
  std::string compacted;
  std::vector<std::string> words;
};

/// `column_name` split once, for has_hint() over many entities.
ColumnNameWords split_column_name(std::string_view column_name);

/// name_has_hint() on a name split by split_column_name().
bool has_hint(const ColumnNameWords& name, const std::vector<std::string_view>& hints);

}  // namespace cairn::classifiers::detail
