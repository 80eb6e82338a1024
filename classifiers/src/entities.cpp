#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"
#include "validators.h"

namespace cairn::classifiers {

namespace text = catalog::text;

const std::vector<EntityInfo>& builtin_entities() {
  // name; prefilter pattern, matched against the whole trimmed value (RE2::ANCHOR_BOTH), loose on purpose
  // since the validators decide; has_checksum; needs_name_hint; threshold; name hints (en, de, fr, it, es,
  // nl).
  static const std::vector<EntityInfo> kEntities = {
      {"EMAIL",
       R"([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]+)",
       false,
       false,
       0.8,
       {"email", "mail", "courriel", "correo", "mailadres", "postaelettronica", "emailadres"}},
      {"PHONE_NUMBER",
       R"(\+?[0-9(][0-9 ()./-]+[0-9])",
       false,
       false,
       0.8,
       {"phone",     "tel",     "telephone", "mobile",    "cell",        "fax",         "gsm",
        "msisdn",    "telefon", "handy",     "rufnummer", "mobilnummer", "portable",    "telefono",
        "cellulare", "movil",   "móvil",     "telefoon",  "mobiel",      "mobielnummer"}},
      {"CREDIT_CARD",
       R"([0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{3,6}){2,4})",
       true,
       false,
       0.8,
       {"creditcard", "cardnumber", "cardno", "ccnumber", "cc", "pan", "card", "kreditkarte", "kartennummer",
        "cartebancaire", "numerocarte", "cartacredito", "cartadicredito", "tarjeta", "creditcardnummer"}},
      {"IBAN",
       R"([A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]+)",
       true,
       false,
       0.8,
       {"iban", "bankaccount", "accountnumber", "kontonummer", "bankverbindung", "rib", "comptebancaire",
        "conto", "cuenta", "rekeningnummer", "rekening"}},
      {"BIC",
       R"([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)",
       false,
       false,
       0.9,
       {"bic", "swift", "swiftcode", "bankcode", "codicebic", "codigobic"}},
      {"US_SSN",
       R"([0-9]{3}([- ]?)[0-9]{2}[- ]?[0-9]{4})",
       false,
       false,
       0.8,
       {"ssn", "socialsecurity", "socsec"}},
      {"IP_ADDRESS",
       R"([0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)",
       false,
       false,
       0.8,
       {"ip", "ipaddr", "ipaddress", "ipadresse", "adresseip", "indirizzoip", "direccionip", "ipadres",
        "clientip", "sourceip", "remoteaddr", "srcip", "dstip", "ipv4", "ipv6"}},
      {"MAC_ADDRESS",
       R"([0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})",
       false,
       false,
       0.8,
       {"mac", "macaddr", "macaddress", "hwaddr", "macadresse", "adressemac", "indirizzomac", "direccionmac",
        "macadres"}},
      {"VIN",
       R"([A-HJ-NPR-Za-hj-npr-z0-9]{13}[0-9]{4})",
       true,
       false,
       0.8,
       {"vin", "fin", "vehicleidentification", "fahrgestellnummer", "fahrzeugidentifizierungsnummer",
        "chassis", "numerochassis", "telaio", "bastidor", "chassisnummer", "vehicleid"}},
      {"DE_TAX_ID",
       R"([1-9][0-9] ?[0-9]{3} ?[0-9]{3} ?[0-9]{3})",
       true,
       false,
       0.8,
       {"steuerid", "steueridentifikationsnummer", "steuernummer", "idnr", "tin", "taxid", "taxnumber"}},
      {"FR_NIR",
       R"([12378] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[AaBb]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2})",
       true,
       false,
       0.8,
       {"nir", "insee", "securitesociale", "numsecu", "secu", "nss", "numerosecurite"}},
      {"IT_FISCAL_CODE",
       R"([A-Za-z]{6}[0-9A-Za-z]{2}[A-Za-z][0-9A-Za-z]{2}[A-Za-z][0-9A-Za-z]{3}[A-Za-z])",
       true,
       false,
       0.8,
       {"codicefiscale", "cf", "fiscalcode", "taxcode", "codfisc", "codfiscale"}},
      {"ES_DNI",
       R"([0-9]{8}[- ]?[A-Za-z]|[XYZxyz][- ]?[0-9]{7}[- ]?[A-Za-z])",
       true,
       false,
       0.8,
       {"dni", "nie", "nif", "documentoidentidad", "numerodocumento", "documento"}},
      {"GB_NINO",
       R"([A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D])",
       false,
       false,
       0.8,
       {"nino", "nationalinsurance", "ninumber", "ninonumber"}},
      {"NL_BSN",
       R"([0-9]{8,9}|[0-9]{4}\.[0-9]{2}\.[0-9]{3})",
       true,
       false,
       0.8,
       {"bsn", "burgerservicenummer", "sofinummer", "sofi"}},
      {"PASSPORT_NUMBER",
       R"([A-Z0-9]{6,9})",
       false,
       true,
       0.8,
       {"passport", "reisepass", "passnummer", "passeport", "passaporto", "pasaporte", "paspoort"}},
      {"DATE_OF_BIRTH",
       R"([0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}(?:[T ][0-9:.+Z-]*)?|[0-9]{1,2}[-./][0-9]{1,2}[-./][0-9]{4})",
       false,
       true,
       0.8,
       {"birth", "dob", "born", "birthday", "birthdate", "geburt", "naissance", "nascita", "nacimiento",
        "geboorte"}},
      {"PERSON_NAME",
       R"(\pL[\pL'., -]+)",
       false,
       true,
       0.7,
       {"firstname",   "lastname",       "fullname",     "surname",      "givenname",    "familyname",
        "forename",    "middlename",     "vorname",      "nachname",     "familienname", "kundenname",
        "prenom",      "prénom",         "nomdefamille", "nomcomplet",   "cognome",      "nomecompleto",
        "apellido",    "nombrecompleto", "voornaam",     "achternaam",   "customername", "clientname",
        "contactname", "personname",     "patientname",  "employeename", "cardholder",   "accountholder",
        "titular"}},
      {"POSTAL_ADDRESS",
       R"([\pL0-9][\pL0-9 ,./'#-]+)",
       false,
       true,
       0.7,
       {"address", "street", "adresse", "anschrift", "strasse", "straße", "indirizzo", "direccion",
        "dirección", "domicilio", "calle", "rue", "via", "adres", "straat", "wohnort"}},
      {"AWS_ACCESS_KEY_ID",
       R"((?:AKIA|ASIA)[A-Z2-7]{16})",
       false,
       false,
       0.8,
       {"accesskey", "accesskeyid", "awskey", "awsaccess", "keyid"}},
      {"AWS_SECRET_KEY",
       R"([A-Za-z0-9/+]{40})",
       false,
       true,
       0.8,
       {"secret", "secretkey", "secretaccesskey", "awssecret"}},
  };
  return kEntities;
}

const EntityInfo* find_builtin_entity(std::string_view name) {
  for (const auto& e : builtin_entities()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

namespace detail {

const std::vector<BuiltinSpec>& builtin_specs() {
  static const std::vector<BuiltinSpec> kSpecs = [] {
    static constexpr Validator kValidators[] = {
        validate_email,
        validate_phone,
        validate_credit_card,
        validate_iban,
        validate_bic,
        validate_us_ssn,
        validate_ip_address,
        validate_mac_address,
        validate_vin,
        validate_de_tax_id,
        validate_fr_nir,
        validate_it_fiscal_code,
        validate_es_dni,
        validate_gb_nino,
        validate_nl_bsn,
        validate_passport_number,
        validate_date_of_birth,
        validate_person_name,
        validate_postal_address,
        validate_aws_access_key_id,
        validate_aws_secret_key,
    };
    std::vector<BuiltinSpec> specs;
    const auto& entities = builtin_entities();
    for (std::size_t i = 0; i < entities.size(); ++i) {
      const bool letters = entities[i].name == "PERSON_NAME" || entities[i].name == "POSTAL_ADDRESS";
      specs.push_back(BuiltinSpec{&entities[i], kValidators[i], !letters});
    }
    return specs;
  }();
  return kSpecs;
}

}  // namespace detail

namespace detail {

bool validator_implies_pattern(const BuiltinSpec& spec, std::string_view value) {
  return spec.implies_pattern_past_ascii ||
         std::all_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace detail

namespace {

const detail::BuiltinSpec& spec_of(std::string_view entity) {
  for (const auto& spec : detail::builtin_specs()) {
    if (spec.info->name == entity) return spec;
  }
  throw_invalid("entity", "unknown entity type '" + std::string(entity) + "'");
}

}  // namespace

ValueMatch validate(std::string_view entity, std::string_view value) {
  return spec_of(entity).validate(text::trim_ascii_space(value));
}

bool validation_implies_pattern(std::string_view entity, std::string_view value) {
  return detail::validator_implies_pattern(spec_of(entity), text::trim_ascii_space(value));
}

namespace detail {

ColumnNameWords split_column_name(std::string_view column_name) {
  // The name lower-cased without separators, and its words (split at non-alphanumerics and at camelCase).
  ColumnNameWords out;
  out.words.emplace_back();
  char previous = 0;
  for (const char c : column_name) {
    const bool alpha_num = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                           static_cast<unsigned char>(c) >= 0x80;
    if (!alpha_num) {
      if (!out.words.back().empty()) out.words.emplace_back();
    } else {
      if (c >= 'A' && c <= 'Z' && previous >= 'a' && previous <= 'z' && !out.words.back().empty()) {
        out.words.emplace_back();
      }
      out.words.back().push_back(text::ascii_lower(c));
      out.compacted.push_back(text::ascii_lower(c));
    }
    previous = c;
  }
  return out;
}

bool has_hint(const ColumnNameWords& name, const std::vector<std::string_view>& hints) {
  for (const auto hint : hints) {
    if (hint.size() >= 5) {
      if (name.compacted.find(hint) != std::string::npos) return true;
      continue;
    }
    for (const auto& w : name.words) {
      if (w == hint) return true;
    }
  }
  return false;
}

}  // namespace detail

bool name_has_hint(std::string_view column_name, const std::vector<std::string_view>& hints) {
  return detail::has_hint(detail::split_column_name(column_name), hints);
}

bool column_name_hints(std::string_view entity, std::string_view column_name) {
  const EntityInfo* info = find_builtin_entity(entity);
  return info != nullptr && name_has_hint(column_name, info->name_hints);
}

}  // namespace cairn::classifiers
