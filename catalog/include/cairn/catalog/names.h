#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn::catalog {

/// Lower-cases and validates a database, table or column name (Glue's rules: 1–255 characters,
/// single-line string pattern, no control characters); throws Error(InvalidArgument, field) naming the
/// problem. The rule applied (see names.cpp): after ASCII lower-casing, [a-z0-9_][a-z0-9_-]*; use
/// normalize_column_name for columns, whose names may hold more characters.
std::string normalize_entity_name(std::string_view field, std::string_view name);
/// As above; messages call the name `what` (e.g. "database name") instead of deriving it from `field`.
std::string normalize_entity_name(std::string_view field, std::string_view name, std::string_view what);

/// Lower-cases and validates a column, partition key or bucket column name: 1–255 characters of valid
/// UTF-8, any printable character but , : < > ` and no outer whitespace; throws Error(InvalidArgument).
std::string normalize_column_name(std::string_view field, std::string_view name);

/// Validates a principal (user/role/group) name: IAM's [\w+=,.@-]{1,64}; case is preserved. Throws on
/// failure.
void validate_principal_name(std::string_view field, std::string_view name);

/// Validates a 12-digit catalog id; throws Error(InvalidArgument, "catalog_id").
void validate_catalog_id(std::string_view id);

/// True if `text` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view text);
/// Number of code points in well-formed UTF-8 `text` (bytes that do not start a code point are not counted).
std::size_t utf8_length(std::string_view text);
/// `text` in single quotes for an error message: control bytes and invalid UTF-8 as \xNN, cut after 64 bytes.
std::string quote_for_message(std::string_view text);

}  // namespace cairn::catalog
