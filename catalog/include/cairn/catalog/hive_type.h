#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::catalog {

/// A parsed Hive column type, e.g. `array<struct<a:int,b:string>>`.
struct HiveType {
  enum class Kind {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Decimal,
    String,
    Varchar,
    Char,
    Date,
    Timestamp,
    Binary,
    Interval,
    Array,
    Map,
    Struct,
    UnionType
  };
  Kind kind = Kind::String;
  int precision = 0;                     ///< decimal(p,s): p (default 10); varchar(n)/char(n): n
  int scale = 0;                         ///< decimal(p,s): s (default 0)
  std::vector<HiveType> children;        ///< array: [elem]; map: [key, value]; struct/uniontype: fields
  std::vector<std::string> field_names;  ///< struct only, same length as children

  /// Canonical lower-case text, e.g. "map<string,array<decimal(10,2)>>".
  std::string to_string() const;
  bool is_numeric() const;
  bool is_integer() const;
};

/// Parses a Hive type string (case-insensitive, whitespace tolerated); throws Error(InvalidArgument, field).
HiveType parse_hive_type(std::string_view text, const std::string& field = "type");

}  // namespace cairn::catalog
