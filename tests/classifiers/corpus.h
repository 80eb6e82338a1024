#pragma once

// A labelled corpus for the PII detectors: a deterministic, seeded generator of synthetic valid values per
// entity in several locales, look-alike negatives (order numbers, amounts, timestamps, UUIDs, product codes,
// digit strings failing their checksum, years, version strings, ...) and columns of them under realistic and
// misleading names.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::classifiers::test {

/// A small deterministic generator (splitmix64): the same seed gives the same corpus on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  /// A number in [0, n); 0 when n is 0.
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  /// True with probability `p`.
  bool chance(double p) { return static_cast<double>(next() % 1000000) < p * 1000000.0; }
  /// `n` characters drawn from `alphabet`.
  std::string chars(std::string_view alphabet, std::size_t n);
  /// `n` decimal digits.
  std::string digits(std::size_t n) { return chars("0123456789", n); }

 private:
  std::uint64_t state_;
};

/// The locales the generator writes values for.
enum class Locale { US, GB, DE, FR, IT, ES, NL, AT };
inline constexpr Locale kLocales[] = {Locale::US, Locale::GB, Locale::DE, Locale::FR,
                                      Locale::IT, Locale::ES, Locale::NL, Locale::AT};

/// A synthetic value of built-in `entity` that its validator accepts (formatted as people write it in
/// `locale`).
std::string valid_value(std::string_view entity, Locale locale, Rng& rng);

/// The look-alike negative kinds, e.g. "order_number", "amount", "uuid", "luhn_failing_digits".
const std::vector<std::string>& lookalike_kinds();

/// A look-alike value of `kind` that no entity should claim.
std::string lookalike_value(std::string_view kind, Rng& rng);

/// One generated column and its label.
struct LabelledColumn {
  std::string name;
  std::string hive_type;
  std::string label;  ///< the entity the column holds; empty for a negative
  std::string kind;   ///< what the values are, e.g. "IBAN/DE" or "order_number"
  std::vector<std::string> values;
};

/// The corpus: `positives` columns per built-in entity (cycling through locales and column names, a few dirty
/// values each), for each entity `targeted` negatives under its own column names (values failing its checksum
/// or look-alikes), and `lookalikes` columns per look-alike kind; each column has `rows` values.
std::vector<LabelledColumn> generate_corpus(std::uint64_t seed, std::size_t positives = 40,
                                            std::size_t targeted = 10, std::size_t lookalikes = 8,
                                            std::size_t rows = 200);

}  // namespace cairn::classifiers::test
