// The review rules of classifiers/review.h: fingerprints of sampled values, and what a new classification
// does to a stored verdict (docs/classifiers.md, "Review").

#include "cairn/classifiers/review.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace cairn::classifiers {
namespace {

std::vector<std::string> values(int from, int to, const std::string& prefix = "v") {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

TEST(ValueFingerprint, IgnoresOrderAndRepetitionAndIsStable) {
  auto a = values(0, 500);
  auto b = a;
  std::reverse(b.begin(), b.end());
  b.insert(b.end(), a.begin(), a.begin() + 100);
  EXPECT_EQ(value_fingerprint(a), value_fingerprint(b));
  EXPECT_EQ(value_fingerprint(a).size(), kFingerprintHashes * 16);
  EXPECT_EQ(value_fingerprint({}), "");
  // Fixed across builds and machines: FNV-1a and splitmix64, nothing seeded at run time.
  EXPECT_EQ(value_fingerprint({"x"}).substr(0, 16), value_fingerprint({"x", "x"}).substr(0, 16));
}

TEST(ValueFingerprint, SimilarityEstimatesTheOverlapOfTheValueSets) {
  const auto base = value_fingerprint(values(0, 1000));
  EXPECT_DOUBLE_EQ(fingerprint_similarity(base, base), 1.0);
  // 900 of 1,100 shared: Jaccard 0.82; disjoint: 0. MinHash with 32 minima is within ~0.2 of it.
  EXPECT_GT(fingerprint_similarity(base, value_fingerprint(values(100, 1100))), 0.6);
  EXPECT_LT(fingerprint_similarity(base, value_fingerprint(values(0, 1000, "w"))), 0.2);
  EXPECT_EQ(fingerprint_similarity(base, ""), 0.0);
  EXPECT_EQ(fingerprint_similarity(base, "not a fingerprint"), 0.0);
  std::string bad = base;
  bad[5] = 'g';
  EXPECT_EQ(fingerprint_similarity(base, bad), 0.0);
}

TEST(Review, ANewDetectionIsAppliedInAutoModeAndRecommendedInReviewMode) {
  const auto fp = value_fingerprint(values(0, 100));
  auto r = review(std::nullopt, "", true, fp, true);
  EXPECT_EQ(r.status, "applied");
  EXPECT_EQ(r.event, "applied");
  EXPECT_TRUE(r.assign_tags);
  r = review(std::nullopt, "", true, fp, false);
  EXPECT_EQ(r.status, "recommended");
  EXPECT_EQ(r.event, "recommended");
  EXPECT_FALSE(r.assign_tags);
  // Nothing stored, nothing found: nothing to do.
  r = review(std::nullopt, "", false, fp, true);
  EXPECT_EQ(r.status, "");
  EXPECT_EQ(r.event, "");
  EXPECT_FALSE(r.assign_tags || r.remove_tags);
}

TEST(Review, AStewardsDecisionIsNeverOverwritten) {
  const auto old_fp = value_fingerprint(values(0, 100));
  const auto new_fp = value_fingerprint(values(0, 100, "other"));
  for (bool auto_mode : {true, false}) {
    for (bool detected : {true, false}) {
      auto r = review(std::string("accepted"), old_fp, detected, new_fp, auto_mode);
      EXPECT_EQ(r.status, "accepted");
      EXPECT_EQ(r.event, "");
      EXPECT_FALSE(r.assign_tags || r.remove_tags);
    }
    // A rejection stays while the values are the same (or nearly), and when the entity is gone.
    auto r = review(std::string("rejected"), old_fp, true, value_fingerprint(values(0, 101)), auto_mode);
    EXPECT_EQ(r.status, "rejected");
    EXPECT_EQ(r.event, "");
    r = review(std::string("rejected"), old_fp, false, new_fp, auto_mode);
    EXPECT_EQ(r.status, "rejected");
    // Without fingerprints nothing is known to have changed.
    r = review(std::string("rejected"), "", true, new_fp, auto_mode);
    EXPECT_EQ(r.status, "rejected");
  }
}

TEST(Review, ARejectionReopensWhenTheValuesChangeMaterially) {
  const auto old_fp = value_fingerprint(values(0, 100));
  const auto new_fp = value_fingerprint(values(0, 100, "other"));
  auto r = review(std::string("rejected"), old_fp, true, new_fp, false);
  EXPECT_EQ(r.status, "recommended");
  EXPECT_EQ(r.event, "reopened");
  EXPECT_FALSE(r.assign_tags);
  r = review(std::string("rejected"), old_fp, true, new_fp, true);
  EXPECT_EQ(r.status, "applied");
  EXPECT_EQ(r.event, "reopened");
  EXPECT_TRUE(r.assign_tags);
}

TEST(Review, WhatIsNoLongerDetectedIsClearedUnlessAStewardDecided) {
  const auto fp = value_fingerprint(values(0, 100));
  auto r = review(std::string("applied"), fp, false, fp, true);
  EXPECT_EQ(r.status, "");
  EXPECT_EQ(r.event, "cleared");
  EXPECT_TRUE(r.remove_tags);
  r = review(std::string("recommended"), fp, false, fp, false);
  EXPECT_EQ(r.status, "");
  EXPECT_EQ(r.event, "cleared");
  EXPECT_FALSE(r.remove_tags);
}

TEST(Review, ARecommendationIsAppliedOnceTheModeIsAuto) {
  const auto fp = value_fingerprint(values(0, 100));
  auto r = review(std::string("recommended"), fp, true, fp, false);
  EXPECT_EQ(r.status, "recommended");
  EXPECT_EQ(r.event, "");
  r = review(std::string("recommended"), fp, true, fp, true);
  EXPECT_EQ(r.status, "applied");
  EXPECT_EQ(r.event, "applied");
  EXPECT_TRUE(r.assign_tags);
  r = review(std::string("applied"), fp, true, fp, false);  // review mode does not take back what was applied
  EXPECT_EQ(r.status, "applied");
  EXPECT_EQ(r.event, "");
}

}  // namespace
}  // namespace cairn::classifiers
