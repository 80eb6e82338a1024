#pragma once

// What the store keeps for PII classification (issue 5; semantics: docs/classifiers.md): the entity types
// stewards define, the settings that turn verdicts into tags, one current verdict per column and entity with
// its review status, and the history of every verdict and decision. The store keeps these consistent; the
// service decides what a new verdict does to a steward's decision.

#include <cstdint>
#include <string>

#include "cairn/catalog/model.h"

namespace cairn::catalog {

/// A steward-defined entity type (Glue's CreateCustomEntityType): an RE2 pattern and optional context words.
struct EntityTypeRecord {
  std::string name;
  std::string pattern;
  std::string context_words = "[]";  ///< JSON array of strings
  std::string created_by;            ///< principal ARN
  Timestamp create_time = 0;
};

/// The classification settings (one per catalog), JSON text owned by the service (mode, tag mapping, sample
/// size); `version` counts updates for optimistic concurrency.
struct ClassificationSettingsRecord {
  std::string settings = "{}";
  std::int64_t version = 0;
  Timestamp update_time = 0;
};

/// The current verdict on one column for one entity. `status`:
///   "applied"     — mode auto: the entity's tags were assigned when it was detected;
///   "recommended" — mode review: waiting for a steward;
///   "accepted"    — a steward accepted it (tags assigned);
///   "rejected"    — a steward rejected it (no tags; stays rejected until the values change materially).
struct ColumnClassification {
  std::string database;
  std::string table;
  std::string column;
  std::string entity;
  std::string status;
  double confidence = 0;
  std::int64_t sample_size = 0;  ///< non-null values sampled
  std::int64_t matched = 0;      ///< of which validated as the entity
  std::string masked_example;    ///< never a raw value (e.g. "j***@e***.com")
  std::string fingerprint;       ///< of the sampled values, to tell a material change
  std::string source;            ///< "crawler:<name>" or "classify:<principal ARN>"
  Timestamp classified_time = 0;
  std::string decided_by;  ///< the steward of an accept/reject, else ""
  Timestamp decided_time = 0;
  std::int64_t version = 0;
};

/// One entry of the classification history (append-only). `event`: detected, applied, recommended,
/// accepted, rejected, reopened (a rejected verdict whose values changed materially), cleared (no longer
/// detected), kept (re-detected; a steward's decision stands).
struct ClassificationEvent {
  std::int64_t id = 0;
  std::string database;
  std::string table;
  std::string column;
  std::string entity;
  std::string event;
  std::string status;  ///< the verdict's status after the event ("" once cleared)
  std::string actor;   ///< principal ARN or "crawler:<name>"
  Timestamp time = 0;
  double confidence = 0;
  std::int64_t sample_size = 0;
  std::int64_t matched = 0;
  std::string note;
};

/// Which verdicts to list: every field optional ("" = any); `table` needs `database`.
struct ClassificationFilter {
  std::string database;
  std::string table;
  std::string status;
};

}  // namespace cairn::catalog
