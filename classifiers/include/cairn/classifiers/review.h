#pragma once

// What a new classification does to the verdict already stored for a column and entity (docs/classifiers.md,
// "Review"): the rules that keep a steward's decision, reopen a rejection only when the values changed
// materially, and clear what is no longer detected. Pure functions; the service applies their outcome.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::classifiers {

/// A fingerprint of a column's sampled values: a MinHash signature (kFingerprintHashes 64-bit minima of
/// seeded FNV-1a hashes over the distinct values) as hex text. Order and repetitions of the values do not
/// matter; "" for no values. Deterministic across runs and machines.
std::string value_fingerprint(const std::vector<std::string>& values);

/// The number of minima in a fingerprint.
inline constexpr std::size_t kFingerprintHashes = 32;

/// The estimated Jaccard similarity (0..1) of the value sets behind two fingerprints: the share of equal
/// minima. 0 when either is empty or malformed (nothing can be said to be the same).
double fingerprint_similarity(std::string_view a, std::string_view b);

/// Values changed materially when their estimated similarity falls below this.
inline constexpr double kMaterialChangeSimilarity = 0.5;

/// A verdict's new status and what to do about it.
struct ReviewOutcome {
  /// The status to store; "" = remove the stored verdict.
  std::string status;
  /// The history event to append ("" = none: only the figures are refreshed, or nothing changed).
  std::string event;
  bool assign_tags = false;  ///< assign the entity's tags to the column
  bool remove_tags = false;  ///< remove the tags this entity put on the column
};

/// The outcome for one column and entity. `stored_status` is the stored verdict's status (nullopt: none);
/// `detected` whether the new classification found the entity; `auto_mode` the settings' mode.
///   none,                 detected → applied (auto: assign tags) | recommended (review)
///   applied,              detected → applied (figures refreshed)
///   recommended,          detected → recommended; in auto mode → applied (assign tags)
///   accepted,             detected → accepted (a steward's decision stands)
///   rejected,             detected → rejected; → reopened as applied (auto: assign) | recommended when the
///                                    values changed materially (two valid fingerprints less similar
///                                    than kMaterialChangeSimilarity)
///   applied|recommended,  not detected → removed ("cleared"; applied: remove tags)
///   accepted|rejected,    not detected → unchanged (a steward's decision stands)
ReviewOutcome review(const std::optional<std::string>& stored_status, std::string_view stored_fingerprint,
                     bool detected, std::string_view new_fingerprint, bool auto_mode);

}  // namespace cairn::classifiers
