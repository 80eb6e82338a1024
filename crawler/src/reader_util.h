#pragma once
// Pieces the binary format readers (Parquet, Avro, ORC) share: their intermediate typed columns, and the
// final check that turns them into catalog columns with canonical Hive type strings.

#include <string>
#include <utility>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/model.h"

namespace cairn::crawler::detail {

/// A column as a reader decodes it: its name in the file and its Hive type.
struct NamedType {
  std::string name;
  catalog::HiveType type;
};

/// A Hive type without children.
inline catalog::HiveType hive_primitive(catalog::HiveType::Kind kind, int precision = 0, int scale = 0) {
  catalog::HiveType t;
  t.kind = kind;
  t.precision = precision;
  t.scale = scale;
  return t;
}

/// `columns` as catalog columns, each type re-parsed by catalog::parse_hive_type so that what is stored is
/// exactly what the catalog accepts; a type Hive cannot express is `fail(what + " '<name>' has a type Hive
/// cannot express: …")`.
template <class Fail>
std::vector<catalog::Column> hive_columns(std::vector<NamedType> columns, const std::string& what,
                                          Fail&& fail) {
  std::vector<catalog::Column> out;
  out.reserve(columns.size());
  for (NamedType& column : columns) {
    std::string type = column.type.to_string();
    try {
      type = catalog::parse_hive_type(type).to_string();
    } catch (const Error& e) {
      fail(what + " '" + column.name + "' has a type Hive cannot express: " + e.what());
    }
    catalog::Column c;
    c.name = std::move(column.name);
    c.type = std::move(type);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace cairn::crawler::detail
