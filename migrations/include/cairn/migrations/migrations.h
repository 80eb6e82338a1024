#pragma once

#include <span>
#include <string_view>

namespace cairn::migrations {

/// One versioned schema change, embedded from migrations/<dialect>/NNNN_name.sql at build time.
struct Migration {
  int version;            ///< 1, 2, ... consecutive
  std::string_view name;  ///< the file name's part after the version, e.g. "init"
  std::string_view sql;   ///< the file's text: one or more statements
};

/// The SQLite migrations in version order (never empty).
std::span<const Migration> sqlite_migrations();
/// The PostgreSQL migrations in version order (never empty).
std::span<const Migration> postgres_migrations();

}  // namespace cairn::migrations
