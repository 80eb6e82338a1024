#include "cairn/crawler/table_sample.h"

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"
#include "local_folder.h"

namespace cairn::crawler {

namespace {

using catalog::text::iequals_ascii;

/// Hive and Spark marker and temporary files (_SUCCESS, _metadata, .crc, ...) hold no rows of the table.
bool hidden(std::string_view name) {
  return !name.empty() && (name[0] == '.' || name[0] == '_');
}

/// Collects values per table column from file samples, in file order, up to the per-column limit.
class Collector {
 public:
  Collector(const catalog::Table& table, std::size_t max_values) : max_values_(max_values) {
    for (const auto& c : table.storage_descriptor.columns) {
      ColumnValues v;
      v.column = c.name;
      columns_.push_back(std::move(v));
    }
  }

  void add(std::vector<ColumnValues>& sampled) {
    for (auto& s : sampled) {
      for (auto& c : columns_) {
        if (!iequals_ascii(c.column, s.column)) continue;
        c.nulls += s.nulls;
        for (auto& v : s.values) {
          if (c.values.size() >= max_values_) break;
          c.values.push_back(std::move(v));
        }
        if (c.note.empty() && !s.note.empty()) c.note = s.note;
        break;
      }
    }
  }

  bool full() const {
    return std::all_of(columns_.begin(), columns_.end(),
                       [&](const ColumnValues& c) { return c.values.size() >= max_values_; });
  }

  std::vector<ColumnValues> take() { return std::move(columns_); }

 private:
  std::size_t max_values_;
  std::vector<ColumnValues> columns_;
};

/// Calls `visit(path, size)` for the regular files under `dir` in path order (a folder's name sorts as
/// "name/", which is S3's key order) until it returns false. Symbolic links to folders are not followed.
bool walk_local(const std::string& dir, const std::function<bool(const std::string&, std::uint64_t)>& visit,
                bool top) {
  std::vector<detail::LocalEntry> read;
  if (const int err = detail::read_local_folder(dir, read); err != 0) {
    if (top)
      throw Error(err == ENOENT ? ErrorCode::NotFound : ErrorCode::Unavailable,
                  "cannot list the table location " + dir + ": " +
                      std::error_code(err, std::generic_category()).message());
    return true;  // an unreadable sub-folder is skipped, as the crawler does
  }
  std::erase_if(read, [](const detail::LocalEntry& e) { return hidden(e.name); });
  const auto key = [](const detail::LocalEntry& e) { return e.folder ? e.name + "/" : e.name; };
  std::sort(read.begin(), read.end(),
            [&](const detail::LocalEntry& a, const detail::LocalEntry& b) { return key(a) < key(b); });
  for (const auto& e : read) {
    if (e.folder ? !walk_local(dir + "/" + e.name, visit, false) : !visit(dir + "/" + e.name, e.size))
      return false;
  }
  return true;
}

}  // namespace

FileSchema table_file_schema(const catalog::Table& table) {
  FileSchema s;
  const auto& sd = table.storage_descriptor;
  auto it = table.parameters.find("classification");
  s.classification = it == table.parameters.end() ? std::string() : catalog::text::lower(it->second);
  s.columns = sd.columns;
  s.serialization_library = sd.serde_info.serialization_library;
  s.input_format = sd.input_format;
  s.output_format = sd.output_format;
  s.serde_parameters = sd.serde_info.parameters;
  s.parameters = table.parameters;
  return s;
}

TableSample sample_table_values(const catalog::Table& table,
                                const std::function<std::shared_ptr<S3Client>()>& s3,
                                const TableSampleOptions& options) {
  TableSample result;
  const FileSchema format = table_file_schema(table);
  Collector collector(table, options.values.max_values_per_column);
  const bool parquet = format.classification == "parquet";
  const bool text = format.classification == "csv" || format.classification == "json";
  const std::string& location = table.storage_descriptor.location;
  if (!parquet && !text) {
    result.notes.push_back("values of " +
                           (format.classification.empty() ? "unclassified" : format.classification) +
                           " tables are not sampled (Parquet, CSV and JSON are)");
    result.columns = collector.take();
    return result;
  }
  if (location.empty()) throw Error(ErrorCode::InvalidArgument, "the table has no location", "location");

  // Samples one file; false ends the walk.
  auto sample = [&](ByteSource& source) {
    try {
      std::vector<ColumnValues> values = parquet ? sample_parquet_values(source, options.values)
                                                 : sample_text_file_values(source, format, options.values);
      collector.add(values);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::Unavailable) throw;
      result.notes.push_back(source.name() + ": " + e.what());
    }
    ++result.files_read;
    return result.files_read < options.max_files && !collector.full();
  };

  if (location.rfind("s3://", 0) == 0) {
    const S3Location loc = parse_s3_url(location, "location");
    if (!s3) throw Error(ErrorCode::FailedPrecondition, "no S3 connection is known for " + location);
    const std::shared_ptr<S3Client> client = s3();
    S3ListRequest req;
    req.prefix = loc.prefix;
    if (!req.prefix.empty() && req.prefix.back() != '/') req.prefix += '/';
    bool more = true;
    client->list_objects(loc.bucket, req, [&](S3ListPage& page) {
      for (const auto& o : page.objects) {
        if (!more) break;
        if (o.key.size() <= req.prefix.size() || o.key.back() == '/') continue;  // folder markers
        const std::string rel = o.key.substr(req.prefix.size());
        // Any hidden path segment (a _temporary folder, a .crc file) is skipped.
        bool skip = hidden(rel);
        for (std::size_t p = rel.find('/'); !skip && p != std::string::npos; p = rel.find('/', p + 1))
          skip = hidden(std::string_view(rel).substr(p + 1));
        if (skip) continue;
        try {
          auto source = client->open_object(loc.bucket, o.key, o.size, o.etag);
          more = sample(*source);
        } catch (const Error& e) {
          if (e.code() == ErrorCode::Unavailable) throw;
          result.notes.push_back("s3://" + loc.bucket + "/" + o.key + ": " + e.what());
        }
      }
      return more;
    });
  } else {
    std::string dir = location.rfind("file://", 0) == 0 ? location.substr(7) : location;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    walk_local(
        dir,
        [&](const std::string& path, std::uint64_t) {
          std::unique_ptr<ByteSource> source;
          try {
            source = open_local_file(path);
          } catch (const Error& e) {
            result.notes.push_back(path + ": " + e.what());
            return true;
          }
          return sample(*source);
        },
        true);
  }
  result.columns = collector.take();
  return result;
}

}  // namespace cairn::crawler
