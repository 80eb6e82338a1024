#include "table_view.h"

#include <string>

#include "output.h"
#include "specs.h"

namespace cairn::api::cli {
namespace {

void print_columns(std::ostream& out, const char* title, const nlohmann::json& columns) {
  out << '\n' << title << " (" << columns.size() << ")\n";
  if (columns.empty()) return;
  TextTable table({"#", "NAME", "TYPE", "COMMENT"});
  std::size_t index = 0;
  for (const auto& column : columns) {
    table.add_row(
        {std::to_string(++index), field(column, "name"), field(column, "type"), field(column, "comment")});
  }
  table.print(out, "  ");
}

}  // namespace

void print_table_details(std::ostream& out, const nlohmann::json& table) {
  const nlohmann::json sd = table.value("storage_descriptor", nlohmann::json::object());
  const nlohmann::json serde =
      sd.is_object() ? sd.value("serde_info", nlohmann::json::object()) : nlohmann::json();
  Fields fields = {
      {"Table", field(table, "database_name") + "." + field(table, "name")},
      {"Description", field(table, "description")},
      {"Type", field(table, "table_type")},
      {"Owner", field(table, "owner")},
      {"Location", field(sd, "location")},
      {"Format", describe_format(sd)},
      {"Input format", field(sd, "input_format")},
      {"Output format", field(sd, "output_format")},
      {"SerDe", field(serde, "serialization_library")},
  };
  const std::string serde_params =
      format_parameters(serde.is_object() ? serde.value("parameters", nlohmann::json()) : nlohmann::json());
  if (!serde_params.empty()) fields.emplace_back("SerDe parameters", serde_params);
  fields.emplace_back("Parameters", format_parameters(table.value("parameters", nlohmann::json())));
  if (!field(table, "view_original_text").empty())
    fields.emplace_back("View text", field(table, "view_original_text"));
  fields.emplace_back("Version", field(table, "version_id"));
  fields.emplace_back("Created", field(table, "create_time"));
  fields.emplace_back("Updated", field(table, "update_time"));
  print_fields(out, fields);
  print_columns(out, "Columns", array_of(sd, "columns"));
  print_columns(out, "Partition keys", array_of(table, "partition_keys"));
}

void print_partition_details(std::ostream& out, const nlohmann::json& partition, const nlohmann::json& keys) {
  const nlohmann::json& values = array_of(partition, "values");
  std::string rendered;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string key = i < keys.size() ? field(keys[i], "name") : std::string();
    const std::string value = values[i].is_string() ? values[i].get<std::string>() : values[i].dump();
    rendered += (rendered.empty() ? "" : ", ") + (key.empty() ? value : key + "=" + value);
  }
  const nlohmann::json sd = partition.value("storage_descriptor", nlohmann::json::object());
  print_fields(out, {
                        {"Table", field(partition, "database_name") + "." + field(partition, "table_name")},
                        {"Values", rendered},
                        {"Location", field(sd, "location")},
                        {"Format", describe_format(sd)},
                        {"Columns", std::to_string(array_of(sd, "columns").size())},
                        {"Parameters", format_parameters(partition.value("parameters", nlohmann::json()))},
                        {"Created", field(partition, "create_time")},
                        {"Last access", field(partition, "last_access_time")},
                    });
}

}  // namespace cairn::api::cli
