#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::catalog {

/// Milliseconds since the Unix epoch (UTC).
using Timestamp = std::int64_t;
using Parameters = std::map<std::string, std::string>;

/// Current wall-clock time as a Timestamp.
Timestamp now_millis();

struct Database {
  std::string name;  ///< lower-case, validated
  std::string description;
  std::string location_uri;
  Parameters parameters;
  Timestamp create_time = 0;  ///< set by the store
};

struct Column {
  std::string name;  ///< lower-case, validated
  std::string type;  ///< Hive type string, normalised (see hive_type.h)
  std::string comment;
  Parameters parameters;
};

struct SerDeInfo {
  std::string name;
  std::string serialization_library;
  Parameters parameters;
};

struct StorageDescriptor {
  std::vector<Column> columns;
  std::string location;
  std::string input_format;
  std::string output_format;
  bool compressed = false;
  int number_of_buckets = -1;
  std::vector<std::string> bucket_columns;
  SerDeInfo serde_info;
  Parameters parameters;
  bool stored_as_sub_directories = false;
};

struct Table {
  std::string database_name;  ///< filled in by the store on reads
  std::string name;
  std::string description;
  std::string owner;
  std::string table_type;  ///< e.g. EXTERNAL_TABLE, VIRTUAL_VIEW; free text as in Glue
  Parameters parameters;
  int retention = 0;
  std::vector<Column> partition_keys;
  StorageDescriptor storage_descriptor;
  std::string view_original_text;
  std::string view_expanded_text;
  Timestamp create_time = 0;  ///< set by the store
  Timestamp update_time = 0;  ///< set by the store
  /// Version id: 1 on create, +1 on every update. Earlier versions stay readable (list_table_versions).
  std::int64_t version_id = 0;
};

struct Partition {
  std::string database_name;        ///< filled in by the store on reads
  std::string table_name;           ///< filled in by the store on reads
  std::vector<std::string> values;  ///< one per partition key, in key order
  StorageDescriptor storage_descriptor;
  Parameters parameters;
  Timestamp create_time = 0;       ///< set by the store
  Timestamp last_access_time = 0;  ///< set by the store on updates
};

enum class PrincipalKind { User, Role, Group };

/// "user" / "role" / "group".
const char* principal_kind_name(PrincipalKind kind);

struct Principal {
  PrincipalKind kind = PrincipalKind::User;
  std::string name;  ///< as given (IAM names are case-preserving); validated [\w+=,.@-]{1,64}
  std::string description;
  Timestamp create_time = 0;
};

enum class AccessKeyStatus { Active, Inactive };

struct AccessKey {
  std::string
      access_key_id;  ///< 20 characters, AKIA… (user) or ASIA-less CKIA… style; see authz/credentials.h
  PrincipalKind owner_kind = PrincipalKind::User;  ///< User or Role
  std::string owner_name;
  AccessKeyStatus status = AccessKeyStatus::Active;
  /// The secret, sealed by authz::SecretBox (AES-256-GCM); the store never sees the plain secret.
  std::string sealed_secret;
  Timestamp create_time = 0;
};

/// Result of one item of a batch operation: empty `error_code` means success.
struct BatchItemError {
  std::vector<std::string> values;  ///< the partition values the error is about
  std::string error_code;           ///< error_code_name() of the failure
  std::string message;
};

}  // namespace cairn::catalog
