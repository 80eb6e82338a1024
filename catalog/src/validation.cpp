#include "cairn/catalog/validation.h"

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "cairn/catalog/error.h"
#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/names.h"
#include "cairn/catalog/text_util.h"

namespace cairn::catalog {

namespace {

// Limits (characters are Unicode code points; Glue's documented limits where Glue has one):
constexpr std::size_t kMaxColumns = 10000;          // storage descriptor columns
constexpr std::size_t kMaxPartitionKeys = 100;      // partition keys of a table
constexpr std::size_t kMaxParameterKey = 255;       // parameters: key length (1..255)
constexpr std::size_t kMaxParameterValue = 512000;  // parameters: value length
constexpr std::size_t kMaxDescription = 2048;       // database/table description
constexpr std::size_t kMaxDatabaseLocation = 1024;  // database location_uri
constexpr std::size_t kMaxStorageLocation = 2056;   // storage descriptor location
constexpr std::size_t kMaxFormat = 128;             // input_format / output_format
constexpr std::size_t kMaxSerDeText = 255;          // serde_info name / serialization_library
constexpr std::size_t kMaxOwner = 255;              // table owner
constexpr std::size_t kMaxTableType = 255;          // table_type
constexpr std::size_t kMaxViewText = 409600;        // view_original_text / view_expanded_text
constexpr std::size_t kMaxComment = 255;            // column comment
constexpr std::size_t kMaxPartitionValue = 1024;    // one partition value

// Field paths are passed either as text or as a callable that builds the text: a crawl validates thousands of
// partitions with dozens of fields each, and the path of a field ("storage_descriptor.columns[3].comment") is
// only needed when that field is bad.
template <typename Path>
std::string path_text(const Path& path) {
  if constexpr (std::is_invocable_v<const Path&>) {
    return path();
  } else {
    return std::string(path);
  }
}

template <typename Path>
[[noreturn]] void fail(const Path& path, const std::string& message) {
  std::string field = path_text(path);
  throw_invalid(field, field + ": " + message);
}

// Runs `fn`; an InvalidArgument it throws gets "path: " in front of its message.
template <typename Fn>
auto with_path(const std::string& path, Fn&& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::InvalidArgument) throw;
    std::string field = e.field().empty() ? path : e.field();
    throw Error(ErrorCode::InvalidArgument, field + ": " + e.what(), field);
  }
}

// normalize_column_name(path(), name) with the path built only on failure: the name is checked under
// `what_field`, a field whose last component gives the same wording ("name" -> "column name",
// "bucket_columns" -> "bucket columns name"), and an error is given the real path, as with_path would.
template <typename Path>
std::string column_name_at(const Path& path, const std::string& what_field, const std::string& name) {
  try {
    return normalize_column_name(what_field, name);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::InvalidArgument) throw;
    std::string field = path_text(path);
    throw Error(ErrorCode::InvalidArgument, field + ": " + e.what(), field);
  }
}

enum class Lines { Single, Multi };

// What one pass over a text finds: whether it is all ASCII, its length in characters (utf8_length, valid
// once the text is known to be UTF-8) and whether it holds a control character `lines` does not allow.
struct TextScan {
  bool ascii = true;
  bool control = false;
  std::size_t length = 0;
};

TextScan scan_text(std::string_view value, Lines lines) {
  TextScan out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      out.ascii = false;
      if ((u & 0xc0) != 0x80) ++out.length;
      continue;
    }
    ++out.length;
    if (u < 0x20 || u == 0x7f) {
      const bool allowed = lines == Lines::Multi && (c == '\t' || c == '\n' || c == '\r');
      out.control = out.control || !allowed;
    }
  }
  return out;
}

// Checks a free-text field: valid UTF-8, at most `max` characters, no control characters (Multi allows tab,
// CR and LF). One pass over the text; the checks fail in that order.
template <typename Path>
void check_text(const Path& path, std::string_view value, std::size_t max, Lines lines) {
  const TextScan scan = scan_text(value, lines);
  if (!scan.ascii && !is_valid_utf8(value)) fail(path, "is not valid UTF-8");
  if (scan.length > max) {
    fail(path,
         "must be at most " + std::to_string(max) + " characters (got " + std::to_string(scan.length) + ")");
  }
  if (scan.control) fail(path, "must not contain control characters");
}

template <typename Path>
void check_parameters(const Path& path, const Parameters& parameters) {
  for (const auto& [key, value] : parameters) {
    if (key.empty()) fail(path, "parameter keys must not be empty");
    const TextScan scan = scan_text(key, Lines::Single);
    if (!scan.ascii && !is_valid_utf8(key))
      fail(path, "parameter key " + quote_for_message(key) + " is not valid UTF-8");
    if (scan.length > kMaxParameterKey) {
      fail(path, "parameter key " + quote_for_message(key) + " is longer than " +
                     std::to_string(kMaxParameterKey) + " characters");
    }
    if (scan.control) {
      fail(path, "parameter key " + quote_for_message(key) + " must not contain control characters");
    }
    check_text([&] { return path_text(path) + "." + key; }, value, kMaxParameterValue, Lines::Multi);
  }
}

bool is_complex(const HiveType& t) {
  using K = HiveType::Kind;
  return t.kind == K::Array || t.kind == K::Map || t.kind == K::Struct || t.kind == K::UnionType;
}

// Normalises one column at `path` (text or a callable building it); returns its parsed type.
template <typename Path>
HiveType normalize_column(Column& column, const Path& path) {
  static const std::string kNameField = "name";
  static const std::string kTypeField = "type";
  auto sub = [&](const char* name) { return [&path, name] { return path_text(path) + name; }; };
  column.name = column_name_at(sub(".name"), kNameField, column.name);
  if (column.type.empty()) fail(sub(".type"), "column '" + column.name + "' has no type");
  HiveType type;
  try {
    // The parser's messages do not name the field; the error is re-thrown with the real path.
    type = parse_hive_type(column.type, kTypeField);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::InvalidArgument) throw;
    fail(sub(".type"), "invalid type for column " + quote_for_message(column.name) + ": " + e.what());
  }
  column.type = type.to_string();
  check_text(sub(".comment"), column.comment, kMaxComment, Lines::Multi);
  check_parameters(sub(".parameters"), column.parameters);
  return type;
}

// The columns normalised so far, for the duplicate-name check: a linear scan for the usual handful of
// columns, a hash map beyond kLinearColumns (the names are views into `columns`, which does not change size
// meanwhile).
class ColumnNames {
 public:
  explicit ColumnNames(const std::vector<Column>& columns) : columns_(columns) {
    if (columns.size() > kLinearColumns) index_.reserve(columns.size());
  }

  /// Adds columns[i] (the columns before it were added); the index of an earlier column with its name, or
  /// npos.
  std::size_t add(std::size_t i) {
    const std::string& name = columns_[i].name;
    if (columns_.size() > kLinearColumns) {
      auto [it, inserted] = index_.emplace(name, i);
      return inserted ? std::string::npos : it->second;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (columns_[j].name == name) return j;
    }
    return std::string::npos;
  }

  /// Whether a column has `name` (once every column was added).
  bool contains(std::string_view name) const {
    if (columns_.size() > kLinearColumns) return index_.contains(name);
    for (const Column& c : columns_) {
      if (c.name == name) return true;
    }
    return false;
  }

 private:
  static constexpr std::size_t kLinearColumns = 32;
  const std::vector<Column>& columns_;
  std::unordered_map<std::string_view, std::size_t> index_;
};

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

int two_digits(std::string_view s, std::size_t at) {
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

bool all_digits(std::string_view s, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (!is_ascii_digit(s[i])) return false;
  }
  return true;
}

std::string key_label(const Column& key) {
  return "partition key '" + key.name + "' (" + key.type + ")";
}

// Decimal text [+-]digits[.digits] fits decimal(p,s): at most p-s integer digits (leading zeros aside) and at
// most s fraction digits.
bool fits_decimal(std::string_view text, int precision, int scale, std::string& problem) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t int_start = i;
  while (i < text.size() && is_ascii_digit(text[i])) ++i;
  std::size_t int_end = i;
  std::size_t frac_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    std::size_t frac_start = i;
    while (i < text.size() && is_ascii_digit(text[i])) ++i;
    frac_digits = i - frac_start;
  }
  if (i != text.size() || (int_end == int_start && frac_digits == 0)) {
    problem = "is not a decimal number";
    return false;
  }
  std::size_t first = int_start;
  while (first < int_end && text[first] == '0') ++first;
  std::size_t int_digits = int_end - first;
  if (int_digits > static_cast<std::size_t>(precision - scale)) {
    problem = "has more than " + std::to_string(precision - scale) + " digits before the decimal point";
    return false;
  }
  if (frac_digits > static_cast<std::size_t>(scale)) {
    problem = "has more than " + std::to_string(scale) + " digits after the decimal point";
    return false;
  }
  return true;
}

}  // namespace

bool is_valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!all_digits(s, 0, 4) || !all_digits(s, 5, 7) || !all_digits(s, 8, 10)) return false;
  int year = two_digits(s, 0) * 100 + two_digits(s, 2);
  int month = two_digits(s, 5);
  int day = two_digits(s, 8);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max_day = kDays[month - 1];
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && leap) max_day = 29;
  return day <= max_day;
}

bool is_valid_timestamp(std::string_view s) {
  if (s.size() < 19 || !is_valid_date(s.substr(0, 10)) || s[10] != ' ' || s[13] != ':' || s[16] != ':') {
    return false;
  }
  if (!all_digits(s, 11, 13) || !all_digits(s, 14, 16) || !all_digits(s, 17, 19)) return false;
  if (two_digits(s, 11) > 23 || two_digits(s, 14) > 59 || two_digits(s, 17) > 59) return false;
  if (s.size() == 19) return true;
  if (s[19] != '.' || s.size() < 21 || s.size() > 29) return false;
  return all_digits(s, 20, s.size());
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  if (!text.empty() && text[0] == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text[0] == '-') return std::nullopt;
  }
  if (text.empty()) return std::nullopt;
  std::size_t digits_from = text[0] == '-' ? 1 : 0;
  if (digits_from == text.size() || !all_digits(text, digits_from, text.size())) return std::nullopt;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text) {
  std::string_view body = text;
  if (!body.empty() && body[0] == '+') body.remove_prefix(1);
  // Grammar check first: from_chars would also accept "inf", "nan" and hex forms.
  std::size_t i = 0;
  if (i < body.size() && body[i] == '-') ++i;
  std::size_t mantissa_digits = 0;
  while (i < body.size() && is_ascii_digit(body[i])) ++i, ++mantissa_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && is_ascii_digit(body[i])) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    std::size_t exp_start = i;
    while (i < body.size() && is_ascii_digit(body[i])) ++i;
    if (i == exp_start) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec != std::errc() || ptr != body.data() + body.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

void validate_partition_value(const std::string& field, const Column& key, const std::string& value) {
  if (value.empty()) fail(field, "value for " + key_label(key) + " must not be empty");
  if (!is_valid_utf8(value)) fail(field, "value for " + key_label(key) + " is not valid UTF-8");
  std::size_t length = utf8_length(value);
  if (length > kMaxPartitionValue) {
    fail(field, "value for " + key_label(key) + " must be at most " + std::to_string(kMaxPartitionValue) +
                    " characters (got " + std::to_string(length) + ")");
  }
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      fail(field, "value for " + key_label(key) + " must not contain control characters");
  }
  HiveType type = with_path(field, [&] { return parse_hive_type(key.type, field); });
  auto bad = [&] { return "value " + quote_for_message(value) + " for " + key_label(key); };
  using K = HiveType::Kind;
  switch (type.kind) {
    case K::TinyInt:
    case K::SmallInt:
    case K::Int:
    case K::BigInt: {
      auto v = parse_int64(value);
      if (!v) fail(field, bad() + " is not an integer");
      std::int64_t lo = INT64_MIN, hi = INT64_MAX;
      if (type.kind == K::TinyInt) lo = -128, hi = 127;
      if (type.kind == K::SmallInt) lo = -32768, hi = 32767;
      if (type.kind == K::Int) lo = -2147483648LL, hi = 2147483647LL;
      if (*v < lo || *v > hi) {
        fail(field, bad() + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
      }
      return;
    }
    case K::Float:
    case K::Double:
      if (!parse_number(value)) fail(field, bad() + " is not a number");
      return;
    case K::Decimal: {
      std::string problem;
      if (!fits_decimal(value, type.precision, type.scale, problem)) fail(field, bad() + " " + problem);
      return;
    }
    case K::Date:
      if (!is_valid_date(value)) fail(field, bad() + " is not a date 'YYYY-MM-DD'");
      return;
    case K::Timestamp:
      if (!is_valid_timestamp(value)) fail(field, bad() + " is not a timestamp 'YYYY-MM-DD HH:MM:SS[.fff]'");
      return;
    case K::Boolean: {
      const std::string lowered = text::lower(value);
      if (lowered != "true" && lowered != "false") fail(field, bad() + " is not 'true' or 'false'");
      return;
    }
    case K::Varchar:
    case K::Char:
      if (length > static_cast<std::size_t>(type.precision)) {
        fail(field, bad() + " is longer than " + std::to_string(type.precision) + " characters");
      }
      return;
    default:
      return;
  }
}

void normalize_storage_descriptor(StorageDescriptor& sd, const std::string& path) {
  // The paths of the fields are built only for an error (see path_text).
  auto field = [&path](const char* name) {
    return [&path, name] { return path.empty() ? std::string(name) : path + "." + name; };
  };
  auto column_path = [&](std::size_t i) {
    return [&field, i] { return field("columns")() + "[" + std::to_string(i) + "]"; };
  };
  if (sd.columns.size() > kMaxColumns) {
    fail(field("columns"), "at most " + std::to_string(kMaxColumns) + " columns are allowed (got " +
                               std::to_string(sd.columns.size()) + ")");
  }
  ColumnNames seen(sd.columns);
  for (std::size_t i = 0; i < sd.columns.size(); ++i) {
    normalize_column(sd.columns[i], column_path(i));
    if (const std::size_t first = seen.add(i); first != std::string::npos) {
      fail(column_path(i)() + ".name",
           "duplicate column name '" + sd.columns[i].name + "' (also " + column_path(first)() + ")");
    }
  }
  check_text(field("location"), sd.location, kMaxStorageLocation, Lines::Single);
  check_text(field("input_format"), sd.input_format, kMaxFormat, Lines::Single);
  check_text(field("output_format"), sd.output_format, kMaxFormat, Lines::Single);
  if (sd.number_of_buckets < -1) {
    fail(field("number_of_buckets"),
         "must be -1 (not bucketed) or at least 0 (got " + std::to_string(sd.number_of_buckets) + ")");
  }
  for (std::size_t i = 0; i < sd.bucket_columns.size(); ++i) {
    std::string bucket_path = field("bucket_columns")() + "[" + std::to_string(i) + "]";
    std::string& name = sd.bucket_columns[i];
    name = with_path(bucket_path, [&] { return normalize_column_name(bucket_path, name); });
    if (!sd.columns.empty() && !seen.contains(name))
      fail(bucket_path, "bucket column '" + name + "' is not a column");
  }
  check_text(field("serde_info.name"), sd.serde_info.name, kMaxSerDeText, Lines::Single);
  check_text(field("serde_info.serialization_library"), sd.serde_info.serialization_library, kMaxSerDeText,
             Lines::Single);
  check_parameters(field("serde_info.parameters"), sd.serde_info.parameters);
  check_parameters(field("parameters"), sd.parameters);
}

void normalize_database(Database& db) {
  db.name = normalize_entity_name("name", db.name, "database name");
  check_text("description", db.description, kMaxDescription, Lines::Multi);
  check_text("location_uri", db.location_uri, kMaxDatabaseLocation, Lines::Single);
  check_parameters("parameters", db.parameters);
}

void normalize_table(Table& table) {
  if (!table.database_name.empty()) {
    table.database_name = normalize_entity_name("database_name", table.database_name, "database name");
  }
  table.name = normalize_entity_name("name", table.name, "table name");
  check_text("description", table.description, kMaxDescription, Lines::Multi);
  check_text("owner", table.owner, kMaxOwner, Lines::Single);
  check_text("table_type", table.table_type, kMaxTableType, Lines::Single);
  check_parameters("parameters", table.parameters);
  if (table.retention < 0)
    fail("retention", "must not be negative (got " + std::to_string(table.retention) + ")");
  check_text("view_original_text", table.view_original_text, kMaxViewText, Lines::Multi);
  check_text("view_expanded_text", table.view_expanded_text, kMaxViewText, Lines::Multi);

  normalize_storage_descriptor(table.storage_descriptor, "storage_descriptor");

  if (table.partition_keys.size() > kMaxPartitionKeys) {
    fail("partition_keys", "at most " + std::to_string(kMaxPartitionKeys) +
                               " partition keys are allowed (got " +
                               std::to_string(table.partition_keys.size()) + ")");
  }
  std::unordered_map<std::string, std::string> seen;
  const auto& columns = table.storage_descriptor.columns;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    seen.emplace(columns[i].name, "storage_descriptor.columns[" + std::to_string(i) + "]");
  }
  for (std::size_t i = 0; i < table.partition_keys.size(); ++i) {
    std::string key_path = "partition_keys[" + std::to_string(i) + "]";
    Column& key = table.partition_keys[i];
    HiveType type = normalize_column(key, key_path);
    if (is_complex(type)) {
      fail(key_path + ".type",
           "partition key '" + key.name + "' must have a primitive type, not '" + key.type + "'");
    }
    auto [it, inserted] = seen.emplace(key.name, key_path);
    if (!inserted) {
      fail(key_path + ".name", "partition key '" + key.name + "' has the same name as " + it->second +
                                   " (names are unique across columns and partition keys, ignoring case)");
    }
  }
}

void normalize_partition(const Table& table, Partition& partition) {
  if (!partition.database_name.empty()) {
    partition.database_name =
        normalize_entity_name("database_name", partition.database_name, "database name");
  }
  if (!partition.table_name.empty()) {
    partition.table_name = normalize_entity_name("table_name", partition.table_name, "table name");
  }
  const auto& keys = table.partition_keys;
  if (keys.empty()) {
    fail("values", "table '" + table.name + "' has no partition keys, so it cannot have partitions");
  }
  if (partition.values.size() != keys.size()) {
    std::string names;
    for (std::size_t i = 0; i < keys.size(); ++i) names += (i ? ", " : "") + keys[i].name;
    fail("values", "expected " + std::to_string(keys.size()) + (keys.size() == 1 ? " value" : " values") +
                       " (one per partition key: " + names + "), got " +
                       std::to_string(partition.values.size()));
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    validate_partition_value("values[" + std::to_string(i) + "]", keys[i], partition.values[i]);
  }
  normalize_storage_descriptor(partition.storage_descriptor, "storage_descriptor");
  check_parameters("parameters", partition.parameters);
}

}  // namespace cairn::catalog
