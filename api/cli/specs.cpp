#include "specs.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "cli_error.h"

namespace cairn::api::cli {
namespace {

std::string trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

char closing_of(char open) {
  return open == '<' ? '>' : ')';
}

}  // namespace

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

TableRef parse_table_ref(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) {
    throw UserError("expected DB.TABLE, got '" + std::string(text) + "'");
  }
  return TableRef{std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
}

TableItemRef parse_table_item_ref(std::string_view text, std::string_view what, std::string_view hint) {
  const auto first = text.find('.');
  const auto second = first == std::string_view::npos ? std::string_view::npos : text.find('.', first + 1);
  if (first == 0 || second == std::string_view::npos || second == first + 1 || second + 1 >= text.size()) {
    throw UserError("expected DB.TABLE." + std::string(what) + ", got '" + std::string(text) + "'" +
                    std::string(hint));
  }
  return {std::string(text.substr(0, first)), std::string(text.substr(first + 1, second - first - 1)),
          std::string(text.substr(second + 1))};
}

nlohmann::json parse_column_spec(std::string_view spec, std::string_view flag) {
  const std::string where = std::string(flag) + " '" + std::string(spec) + "'";
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos) throw UserError(where + ": expected name:type[:comment]");
  std::string name = trim(spec.substr(0, colon));
  if (name.empty()) throw UserError(where + ": the column name is empty");

  const std::string_view rest = spec.substr(colon + 1);
  std::string open_brackets;  // stack of '<' and '('
  std::size_t type_end = rest.size();
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '<' || c == '(') {
      open_brackets.push_back(c);
    } else if (c == '>' || c == ')') {
      if (open_brackets.empty() || closing_of(open_brackets.back()) != c) {
        throw UserError(where + ": unbalanced '" + std::string(1, c) + "' in the type");
      }
      open_brackets.pop_back();
    } else if (c == ':' && open_brackets.empty()) {
      type_end = i;
      break;
    }
  }
  if (!open_brackets.empty()) {
    throw UserError(where + ": '" + std::string(1, open_brackets.back()) + "' in the type is never closed");
  }
  std::string type = trim(rest.substr(0, type_end));
  if (type.empty()) throw UserError(where + ": the column type is empty");
  std::string comment = type_end < rest.size() ? std::string(rest.substr(type_end + 1)) : std::string();

  return nlohmann::json{{"name", std::move(name)},
                        {"type", std::move(type)},
                        {"comment", std::move(comment)},
                        {"parameters", nlohmann::json::object()}};
}

std::pair<std::string, std::string> parse_key_value(std::string_view spec, std::string_view flag) {
  const auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw UserError(std::string(flag) + " '" + std::string(spec) + "': expected key=value");
  }
  return {std::string(spec.substr(0, eq)), std::string(spec.substr(eq + 1))};
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    if (comma == std::string_view::npos) {
      out.emplace_back(text.substr(start));
      return out;
    }
    out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
}

const std::vector<StorageFormat>& storage_formats() {
  static const std::vector<StorageFormat> formats = {
      {"parquet",
       "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
       "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
       "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
       {{"serialization.format", "1"}}},
      {"csv",
       "org.apache.hadoop.mapred.TextInputFormat",
       "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
       "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
       {{"field.delim", ","}}},
      {"json",
       "org.apache.hadoop.mapred.TextInputFormat",
       "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
       "org.openx.data.jsonserde.JsonSerDe",
       {}},
      {"orc",
       "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
       "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
       "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
       {}},
      {"avro",
       "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
       "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
       "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
       {}},
  };
  return formats;
}

const StorageFormat& storage_format(std::string_view name) {
  const std::string lower = to_lower(name);
  std::string known;
  for (const auto& format : storage_formats()) {
    if (format.name == lower) return format;
    known += known.empty() ? format.name : "|" + format.name;
  }
  throw UserError("--format '" + std::string(name) + "': expected one of " + known);
}

std::string describe_format(const nlohmann::json& sd) {
  if (!sd.is_object()) return {};
  const std::string serde = sd.contains("serde_info") && sd["serde_info"].is_object()
                                ? sd["serde_info"].value("serialization_library", std::string())
                                : std::string();
  const std::string input = sd.value("input_format", std::string());
  for (const auto& format : storage_formats()) {
    if (!serde.empty() && serde == format.serialization_library) return format.name;
  }
  if (!serde.empty()) return serde;
  return input;
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw UserError("cannot read '" + path + "'");
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw UserError("'" + path + "' is not valid JSON: " + e.what());
  }
}

}  // namespace cairn::api::cli
