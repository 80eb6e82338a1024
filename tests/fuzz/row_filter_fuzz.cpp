// Fuzzes the row filter parser (Lake Formation's PartiQL subset) against a fixed table whose columns cover
// every Hive type family, and the column mask parser: RowFilter::parse either builds a filter or throws
// cairn::Error(InvalidArgument); a built filter has a canonical text that parses to itself, renders SQL in
// every dialect in which literals and quoted names are closed and nothing (';', comments, unbalanced
// parentheses) escapes them, evaluates on several rows, and, when it has a Glue form, that form parses with
// catalog::PartitionExpression and agrees with matches() on valid partition values.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/authz/row_filter.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/model.h"
#include "cairn/catalog/partition_expr.h"

namespace {

using cairn::authz::RowFilter;
using cairn::authz::SqlDialect;
using cairn::catalog::Column;

const std::vector<Column>& columns() {
  static const std::vector<Column> c = {
      {"id", "bigint", "", {}},
      {"country", "string", "", {}},
      {"year", "int", "", {}},
      {"amount", "decimal(10,2)", "", {}},
      {"score", "double", "", {}},
      {"ratio", "float", "", {}},
      {"active", "boolean", "", {}},
      {"d", "date", "", {}},
      {"ts", "timestamp", "", {}},
      {"code", "varchar(8)", "", {}},
      {"tags", "array<string>", "", {}},
      {"payload", "binary", "", {}},
      {"tiny", "tinyint", "", {}},
      {"date", "date", "", {}},
      {"first name", "string", "", {}},
      {"region", "string", "", {}},
      {"dt", "date", "", {}},
      {"hour", "int", "", {}},
      {"price", "decimal(5,2)", "", {}},
      {"flag", "boolean", "", {}},
  };
  return c;
}

const std::vector<Column>& partition_keys() {
  static const std::vector<Column> k = {
      {"region", "string", "", {}},      {"dt", "date", "", {}},      {"hour", "int", "", {}},
      {"price", "decimal(5,2)", "", {}}, {"flag", "boolean", "", {}},
  };
  return k;
}

// Walks SQL text: outside quotes there is no ';', no comment start and parentheses balance; every quote is
// closed. Spark strings use backslash escapes and `names`; the others double the quote.
void check_sql(const std::string& sql, SqlDialect dialect) {
  const bool spark = dialect == SqlDialect::Spark;
  const char name_quote = spark ? '`' : '"';
  int depth = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') {
      for (++i;; ++i) {
        if (i >= sql.size()) __builtin_trap();
        if (spark && sql[i] == '\\') {
          ++i;
          continue;
        }
        if (sql[i] == '\'') {
          if (!spark && i + 1 < sql.size() && sql[i + 1] == '\'') {
            ++i;
            continue;
          }
          break;
        }
      }
    } else if (c == name_quote) {
      for (++i;; ++i) {
        if (i >= sql.size()) __builtin_trap();
        if (sql[i] == name_quote) {
          if (i + 1 < sql.size() && sql[i + 1] == name_quote) {
            ++i;
            continue;
          }
          break;
        }
      }
    } else if (c == ';' || c == '"' || c == '`' || (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') ||
               (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*')) {
      __builtin_trap();
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth < 0) __builtin_trap();
    }
  }
  if (depth != 0 || sql.empty() || sql.front() != '(' || sql.back() != ')') __builtin_trap();
}

void fuzz_masks(std::string_view text) {
  cairn::authz::Mask mask;
  try {
    mask = cairn::authz::parse_mask(text, "mask");
  } catch (const cairn::Error& e) {
    if (e.code() != cairn::ErrorCode::InvalidArgument || e.field() != "mask") __builtin_trap();
    return;
  }
  if (cairn::authz::parse_mask(cairn::authz::mask_spec(mask), "mask") != mask) __builtin_trap();
  for (const char* type :
       {"string", "int", "date", "timestamp", "decimal(10,2)", "binary", "map<string,int>"}) {
    try {
      cairn::authz::check_mask_applies(mask, type, "mask");
    } catch (const cairn::Error& e) {
      if (e.code() != cairn::ErrorCode::InvalidArgument) __builtin_trap();
    }
    for (SqlDialect d : {SqlDialect::DuckDB, SqlDialect::Trino, SqlDialect::Spark}) {
      if (cairn::authz::mask_sql(mask, "\"c\"", type, d).empty()) __builtin_trap();
    }
    (void)cairn::authz::apply_mask(mask, std::string(text), type);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size <= 64) fuzz_masks(text);

  std::shared_ptr<const RowFilter> filter;
  try {
    filter = RowFilter::parse(text, columns());
  } catch (const cairn::Error& e) {
    if (e.code() != cairn::ErrorCode::InvalidArgument || e.field() != "row_filter") __builtin_trap();
    if (std::string_view(e.what()).substr(0, 12) != "row_filter: ") __builtin_trap();
    return 0;
  }
  if (!filter) __builtin_trap();

  // The canonical text is stable and within the limits.
  const std::string& canonical = filter->canonical_text();
  std::shared_ptr<const RowFilter> again;
  try {
    again = RowFilter::parse(canonical, columns());
  } catch (const cairn::Error&) {
    __builtin_trap();
  }
  if (again->canonical_text() != canonical) __builtin_trap();

  // Referenced columns: sorted, unique, known.
  const std::vector<std::string>& referenced = filter->referenced_columns();
  if (referenced.empty()) __builtin_trap();
  for (std::size_t i = 0; i < referenced.size(); ++i) {
    if (i > 0 && !(referenced[i - 1] < referenced[i])) __builtin_trap();
    bool known = false;
    for (const Column& c : columns()) known = known || c.name == referenced[i];
    if (!known) __builtin_trap();
  }
  if (!filter->references_only(referenced)) __builtin_trap();

  for (SqlDialect d : {SqlDialect::DuckDB, SqlDialect::Trino, SqlDialect::Spark}) {
    const std::string sql = filter->to_sql(d);
    check_sql(sql, d);
    if (again->to_sql(d) != sql) __builtin_trap();
  }

  // Evaluation on rows of NULLs, of the input itself, and of ordinary values.
  const std::string raw(text);
  (void)filter->matches([](std::string_view) { return std::optional<std::string>(); });
  (void)filter->matches([&](std::string_view) { return std::optional<std::string>(raw); });
  (void)filter->matches([](std::string_view column) -> std::optional<std::string> {
    if (column == "d" || column == "date" || column == "dt") return "2024-02-29";
    if (column == "ts") return "2024-02-29 12:00:00.5";
    if (column == "active" || column == "flag") return "TRUE";
    if (column == "amount" || column == "price") return "1.50";
    return "42";
  });

  // The Glue form, when there is one, parses and agrees on valid partition values.
  const std::optional<std::string> glue = filter->to_partition_expression(partition_keys());
  if (glue) {
    std::shared_ptr<const cairn::catalog::PartitionExpression> expr;
    try {
      expr = cairn::catalog::PartitionExpression::create(*glue, partition_keys());
    } catch (const cairn::Error&) {
      __builtin_trap();
    }
    const std::vector<std::vector<std::string>> rows = {
        {"eu", "2024-02-29", "42", "1.50", "true"},
        {"", "0001-01-01", "-7", "-999.99", "false"},
        {"it's", "9999-12-31", "2147483647", "0", "true"},
    };
    for (const auto& values : rows) {
      const bool ours = filter->matches([&](std::string_view column) -> std::optional<std::string> {
        for (std::size_t i = 0; i < partition_keys().size(); ++i) {
          if (partition_keys()[i].name == column) return values[i];
        }
        return std::nullopt;
      });
      if (ours != expr->matches(values)) __builtin_trap();
    }
  }
  return 0;
}
