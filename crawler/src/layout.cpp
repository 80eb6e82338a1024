#include "cairn/crawler/layout.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/text_util.h"
#include "cairn/crawler/csv_classifier.h"

namespace cairn::crawler {
namespace {

using catalog::Column;
using catalog::HiveType;
using TypeKind = HiveType::Kind;
namespace text = catalog::text;

constexpr std::size_t kMaxNameBytes = 255;
// std::string (not const char*): the parameter maps look them up once per column of every file.
const std::string kInferredType = "cairn.inferred_type";
const std::string kAvroLiteral = "avro.schema.literal";
constexpr const char* kOpenCsvSerDe = "org.apache.hadoop.hive.serde2.OpenCSVSerde";
// Glue's similarity idea: two schemas are alike when they share 70% of the smaller one's columns.
constexpr std::size_t kSimilarTenths = 7;
// Distinct schemas compared per folder before a new one is taken as unlike the rest unchecked; keeps a
// folder of thousands of unrelated schemas linear.
constexpr std::size_t kMaxClustersCompared = 64;

// ---- Widening ----------------------------------------------------------------------------------------

HiveType scalar(TypeKind kind) {
  HiveType t;
  t.kind = kind;
  return t;
}

bool same_type(const HiveType& a, const HiveType& b) {
  if (a.kind != b.kind || a.precision != b.precision || a.scale != b.scale ||
      a.children.size() != b.children.size() || a.field_names != b.field_names)
    return false;
  for (std::size_t i = 0; i < a.children.size(); ++i)
    if (!same_type(a.children[i], b.children[i])) return false;
  return true;
}

int integer_rank(TypeKind kind) {
  switch (kind) {
    case TypeKind::TinyInt:
      return 0;
    case TypeKind::SmallInt:
      return 1;
    case TypeKind::Int:
      return 2;
    default:
      return 3;
  }
}

// Decimal digits left of the point that a value of an exact numeric type can need.
int integer_digits(const HiveType& t) {
  if (t.kind == TypeKind::Decimal) return t.precision - t.scale;
  static constexpr int kDigits[] = {3, 5, 10, 19};  // tinyint, smallint, int, bigint
  return kDigits[integer_rank(t.kind)];
}

HiveType widen_type(const HiveType& a, const HiveType& b);

// Fields matched by name (ASCII case-insensitive). The struct with more fields (on a tie, the smaller
// field-name list) gives the order, the other's new fields follow: the same result in both directions.
HiveType widen_struct(const HiveType& a, const HiveType& b) {
  const HiveType* first = &a;
  const HiveType* second = &b;
  if (b.children.size() > a.children.size() ||
      (b.children.size() == a.children.size() && b.field_names < a.field_names))
    std::swap(first, second);
  HiveType out = scalar(TypeKind::Struct);
  std::vector<bool> matched(second->children.size(), false);
  for (std::size_t i = 0; i < first->children.size(); ++i) {
    std::size_t j = 0;
    while (j < second->children.size() &&
           (matched[j] || !text::iequals_ascii(first->field_names[i], second->field_names[j])))
      ++j;
    out.field_names.push_back(first->field_names[i]);
    if (j < second->children.size()) {
      matched[j] = true;
      out.children.push_back(widen_type(first->children[i], second->children[j]));
    } else {
      out.children.push_back(first->children[i]);
    }
  }
  for (std::size_t j = 0; j < second->children.size(); ++j) {
    if (matched[j]) continue;
    out.field_names.push_back(second->field_names[j]);
    out.children.push_back(second->children[j]);
  }
  return out;
}

HiveType widen_type(const HiveType& a, const HiveType& b) {
  if (same_type(a, b)) return a;
  if (a.kind == TypeKind::String || b.kind == TypeKind::String) return scalar(TypeKind::String);
  if (a.is_integer() && b.is_integer()) return integer_rank(a.kind) >= integer_rank(b.kind) ? a : b;
  const bool a_exact = a.is_integer() || a.kind == TypeKind::Decimal;
  const bool b_exact = b.is_integer() || b.kind == TypeKind::Decimal;
  if (a_exact && b_exact) {
    const int digits = std::max(integer_digits(a), integer_digits(b));
    int scale =
        std::max(a.kind == TypeKind::Decimal ? a.scale : 0, b.kind == TypeKind::Decimal ? b.scale : 0);
    if (digits + scale > 38) scale = std::max(0, 38 - digits);
    HiveType d = scalar(TypeKind::Decimal);
    d.precision = std::min(38, digits + scale);
    d.scale = scale;
    return d;
  }
  if (a.is_numeric() && b.is_numeric()) return scalar(TypeKind::Double);
  auto temporal = [](TypeKind k) { return k == TypeKind::Date || k == TypeKind::Timestamp; };
  if (temporal(a.kind) && temporal(b.kind)) return scalar(TypeKind::Timestamp);
  auto bounded_text = [](TypeKind k) { return k == TypeKind::Varchar || k == TypeKind::Char; };
  if (bounded_text(a.kind) && bounded_text(b.kind)) {
    HiveType t =
        scalar(a.kind == TypeKind::Char && b.kind == TypeKind::Char ? TypeKind::Char : TypeKind::Varchar);
    t.precision = std::max(a.precision, b.precision);
    return t;
  }
  if (a.kind == b.kind && a.children.size() == b.children.size()) {
    if (a.kind == TypeKind::Array || a.kind == TypeKind::Map) {
      HiveType out = scalar(a.kind);
      for (std::size_t i = 0; i < a.children.size(); ++i)
        out.children.push_back(widen_type(a.children[i], b.children[i]));
      return out;
    }
  }
  if (a.kind == TypeKind::Struct && b.kind == TypeKind::Struct) return widen_struct(a, b);
  return scalar(TypeKind::String);
}

// ---- Column merging ----------------------------------------------------------------------------------

std::string inferred_or_type(const Column& c) {
  auto it = c.parameters.find(kInferredType);
  return it == c.parameters.end() ? c.type : it->second;
}

// Columns merged by name in order of first appearance. Lists usually repeat one order, so the next
// position is tried before the name index.
class ColumnMerger {
 public:
  void add(const std::vector<Column>& columns) {
    std::size_t hint = 0;
    for (const Column& c : columns) {
      if (hint < columns_.size() && text::iequals_ascii(columns_[hint].name, c.name)) {
        merge_into(columns_[hint], c);
        ++hint;
        continue;
      }
      auto [it, inserted] = index_.try_emplace(text::lower(c.name), columns_.size());
      if (inserted)
        columns_.push_back(c);
      else
        merge_into(columns_[it->second], c);
      hint = it->second + 1;
    }
  }
  std::vector<Column> take() {
    index_.clear();
    return std::move(columns_);
  }

 private:
  static void merge_into(Column& into, const Column& c) {
    if (into.parameters.empty() && c.parameters.empty()) {
      if (into.type != c.type) into.type = widen_hive_type(into.type, c.type);
      if (into.comment.empty() && !c.comment.empty()) into.comment = c.comment;
      return;
    }
    const bool inferred = into.parameters.contains(kInferredType) || c.parameters.contains(kInferredType);
    std::string inferred_type;
    if (inferred) inferred_type = widen_hive_type(inferred_or_type(into), inferred_or_type(c));
    if (into.type != c.type) into.type = widen_hive_type(into.type, c.type);
    if (into.comment.empty()) into.comment = c.comment;
    for (const auto& [key, value] : c.parameters)
      if (key != kInferredType) into.parameters.try_emplace(key, value);
    if (inferred && into.type == "string" && inferred_type != "string")
      into.parameters[kInferredType] = inferred_type;
    else
      into.parameters.erase(kInferredType);
  }

  std::vector<Column> columns_;
  std::unordered_map<std::string, std::size_t> index_;  // lower-case name -> position
};

// ---- Names and paths ---------------------------------------------------------------------------------

enum class NameKind { KeyValue, ValueLike, NameLike };

NameKind name_kind(std::string_view segment) {
  const auto eq = segment.find('=');
  if (eq != std::string_view::npos && eq > 0) return NameKind::KeyValue;
  if (!segment.empty() && segment[0] >= '0' && segment[0] <= '9') return NameKind::ValueLike;
  return NameKind::NameLike;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Hive's FileUtils.unescapePathName: %XX is the byte XX; anything else stays as it is.
std::string hive_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool hidden_name(std::string_view segment) {
  return !segment.empty() && (segment[0] == '.' || segment[0] == '_');
}

bool name_based(const std::string& classification) {
  return classification == "parquet" || classification == "orc" || classification == "avro" ||
         classification == "json";
}

// Formats that compress inside the file: Glue writes compressionType "none" for them.
bool internally_compressed(const std::string& classification) {
  return classification == "parquet" || classification == "orc" || classification == "avro";
}

// At most 8 names, for messages.
std::string name_list(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 8;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i) out += (i ? "," : "") + names[i];
  if (names.size() > kShown) out += ",… (" + std::to_string(names.size()) + " columns)";
  return out;
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// ---- Schema signatures -------------------------------------------------------------------------------

// What grouping compares: the format (which SerDe can read the files) and the column names.
struct Signature {
  std::string format_key;    // equal keys: one SerDe reads both
  std::string format_label;  // the same for people
  bool positional = false;   // columns are matched by position (CSV, Grok): compare name lists, not sets
  std::vector<std::string> ordered;  // lower-case names in column order
  std::vector<std::string> sorted;   // the same, sorted and unique
};

class Signatures {
 public:
  int of_schema(const FileSchema& s) {
    std::string key = s.classification;
    std::string label = s.classification;
    auto param = [&](const char* name) {
      auto it = s.parameters.find(name);
      return it == s.parameters.end() ? std::string() : it->second;
    };
    if (s.classification == "csv") {
      const std::string delimiter = param("delimiter");
      const std::string header = param("skip.header.line.count");
      const bool has_header = !header.empty() && header != "0";
      key += "|delimiter=" + delimiter + (has_header ? "|header" : "|no header");
      label += " (delimiter '" + delimiter + (has_header ? "', with header)" : "', without header)");
    } else if (s.classification == "json") {
      const std::string path = param("jsonPath");
      if (!path.empty()) {
        key += "|jsonPath=" + path;
        label += " (JSON path " + path + ")";
      }
    } else if (!name_based(s.classification)) {
      key += "|serde=" + s.serialization_library;
      for (const auto& [k, v] : s.serde_parameters) key += "|" + k + "=" + v;
      label += " (SerDe " + s.serialization_library + ")";
    }
    // Most files repeat a schema: look the format and the names as written up first.
    std::string raw = key;
    raw += '\x1e';
    for (const Column& c : s.columns) {
      raw += c.name;
      raw += '\x1f';
    }
    auto cached = by_raw_.find(raw);
    if (cached != by_raw_.end()) return cached->second;
    std::vector<std::string> names;
    names.reserve(s.columns.size());
    for (const Column& c : s.columns) names.push_back(text::lower(c.name));
    const int id = intern(std::move(key), std::move(label), !name_based(s.classification), std::move(names));
    by_raw_.emplace(std::move(raw), id);
    return id;
  }

  int intern(std::string format_key, std::string format_label, bool positional,
             std::vector<std::string> ordered) {
    std::vector<std::string> sorted = ordered;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string key = format_key;
    key += '\x1e';
    for (const auto& n : positional ? ordered : sorted) {
      key += n;
      key += '\x1f';
    }
    auto [it, inserted] = index_.try_emplace(std::move(key), static_cast<int>(sigs_.size()));
    if (inserted)
      sigs_.push_back(Signature{std::move(format_key), std::move(format_label), positional,
                                std::move(ordered), std::move(sorted)});
    return it->second;
  }

  const Signature& operator[](int id) const { return sigs_[static_cast<std::size_t>(id)]; }

 private:
  std::vector<Signature> sigs_;
  std::unordered_map<std::string, int> index_;   // format and canonical names -> id
  std::unordered_map<std::string, int> by_raw_;  // format and names as a file writes them -> id
};

std::size_t shared_names(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t i = 0, j = 0, n = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++n;
      ++i;
      ++j;
    }
  }
  return n;
}

bool is_prefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// ---- Clustering --------------------------------------------------------------------------------------

// How alike two groups must be to join: format only (CombineCompatibleSchemas, or two sets of Hive
// partitions, which their writer declared one dataset), similar (partition-like folders, files of one
// folder), or the same columns (a named folder joining others).
enum class Match { FormatOnly, Similar, Same };

struct Candidate {
  int sig = -1;
  int depth = 0;  // folder levels from the candidate down to its data files
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  NameKind kind = NameKind::ValueLike;
  std::size_t weight = 1;  // members it counts for in a tie (a group of files: its files)
};

struct Cluster {
  int sig = -1;  // the one signature of a single-signature cluster, else -1
  std::string format_key;
  std::string format_label;
  bool positional = false;
  int depth = 0;
  std::vector<std::string> ordered;
  std::vector<std::string> sorted;
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  std::vector<std::size_t> members;  // candidate indices
  std::size_t weight = 0;            // what the members count for in a tie (sum of their weights)
  bool all_key_value = true;
  bool all_partition_like = true;
};

bool schemas_fit(const Cluster& a, const Cluster& b, Match match) {
  if (a.format_key != b.format_key || a.depth != b.depth) return false;
  switch (match) {
    case Match::FormatOnly:
      return true;
    case Match::Same:
      return a.positional ? a.ordered == b.ordered : a.sorted == b.sorted;
    case Match::Similar:
      break;
  }
  if (a.positional) return is_prefix(a.ordered, b.ordered) || is_prefix(b.ordered, a.ordered);
  const std::size_t smaller = std::min(a.sorted.size(), b.sorted.size());
  return shared_names(a.sorted, b.sorted) * 10 >= smaller * kSimilarTenths;
}

void absorb(Cluster& into, Cluster&& other) {
  for (auto& n : other.ordered)
    if (!std::binary_search(into.sorted.begin(), into.sorted.end(), n)) into.ordered.push_back(n);
  std::vector<std::string> merged;
  merged.reserve(into.sorted.size() + other.sorted.size());
  std::set_union(into.sorted.begin(), into.sorted.end(), other.sorted.begin(), other.sorted.end(),
                 std::back_inserter(merged));
  into.sorted = std::move(merged);
  into.sig = -1;
  into.files += other.files;
  into.bytes += other.bytes;
  into.members.insert(into.members.end(), other.members.begin(), other.members.end());
  into.weight += other.weight;
  into.all_key_value = into.all_key_value && other.all_key_value;
  into.all_partition_like = into.all_partition_like && other.all_partition_like;
}

class Clusterer {
 public:
  Clusterer(const Signatures& sigs, bool combine) : sigs_(sigs), combine_(combine) {}

  /// Groups `candidates` (in name order) by compatibility; `similar_always`: every pair that is not a pair
  /// of Hive partitions needs only similar columns (inside a partition or a forced table level).
  std::vector<Cluster> run(const std::vector<Candidate>& candidates, bool similar_always) const {
    std::vector<Cluster> buckets;
    std::map<std::pair<int, int>, std::size_t> bucket_of;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      const Candidate& c = candidates[i];
      auto [it, inserted] = bucket_of.try_emplace({c.sig, c.depth}, buckets.size());
      if (inserted) {
        const Signature& s = sigs_[c.sig];
        Cluster b;
        b.sig = c.sig;
        b.format_key = s.format_key;
        b.format_label = s.format_label;
        b.positional = s.positional;
        b.depth = c.depth;
        b.ordered = s.ordered;
        b.sorted = s.sorted;
        buckets.push_back(std::move(b));
      }
      Cluster& b = buckets[it->second];
      b.files += c.files;
      b.bytes += c.bytes;
      b.members.push_back(i);
      b.weight += c.weight;
      b.all_key_value = b.all_key_value && c.kind == NameKind::KeyValue;
      b.all_partition_like = b.all_partition_like && c.kind != NameKind::NameLike;
    }
    std::vector<std::size_t> order(buckets.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      const Cluster& a = buckets[x];
      const Cluster& b = buckets[y];
      if (a.files != b.files) return a.files > b.files;
      if (a.bytes != b.bytes) return a.bytes > b.bytes;
      return a.members.front() < b.members.front();
    });
    std::vector<Cluster> clusters;
    for (std::size_t index : order) {
      Cluster& b = buckets[index];
      bool placed = false;
      const std::size_t compared = std::min(clusters.size(), kMaxClustersCompared);
      for (std::size_t k = 0; k < compared && !placed; ++k) {
        if (schemas_fit(b, clusters[k], match(b, clusters[k], similar_always))) {
          absorb(clusters[k], std::move(b));
          placed = true;
        }
      }
      if (!placed) clusters.push_back(std::move(b));
    }
    for (Cluster& c : clusters) std::sort(c.members.begin(), c.members.end());
    return clusters;
  }

  /// The cluster holding the most files (then the most bytes, the most members, the first name).
  static std::size_t dominant(const std::vector<Cluster>& clusters) {
    auto key = [](const Cluster& c) {
      return std::make_tuple(c.files, c.bytes, c.weight,
                             std::numeric_limits<std::size_t>::max() - c.members.front());
    };
    std::size_t best = 0;
    for (std::size_t i = 1; i < clusters.size(); ++i)
      if (key(clusters[i]) > key(clusters[best])) best = i;
    return best;
  }

  /// Why a group does not join the dominant cluster `main`, in words.
  static std::string mismatch(const Cluster& group, const Cluster& main, Match match) {
    if (group.format_key != main.format_key)
      return "its format is " + group.format_label + ", the table's is " + main.format_label;
    if (group.depth != main.depth)
      return "its data files lie " + plural(static_cast<std::size_t>(group.depth), "folder level") +
             " below it, the other partitions' " + std::to_string(main.depth) +
             " (every partition of a table has the same keys)";
    if (group.positional)
      return "its columns (" + name_list(group.ordered) + ") are neither the table's (" +
             name_list(main.ordered) + ") nor a prefix of them";
    const std::size_t shared = shared_names(group.sorted, main.sorted);
    std::string why = "its columns share " + std::to_string(shared) + " of " +
                      std::to_string(group.sorted.size()) + " names with the table's " +
                      std::to_string(main.sorted.size());
    if (match == Match::Same)
      return why + "; a named folder joins others as a partition only with the same columns";
    return why + "; at least 70% of the smaller schema's names must be shared";
  }

  Match match(const Cluster& a, const Cluster& b, bool similar_always) const {
    if (combine_ || (a.all_key_value && b.all_key_value)) return Match::FormatOnly;
    if (similar_always || (a.all_partition_like && b.all_partition_like)) return Match::Similar;
    return Match::Same;
  }

 private:
  const Signatures& sigs_;
  bool combine_;
};

// ---- Formats and statistics --------------------------------------------------------------------------

struct Stats {
  std::int64_t objects = 0;
  std::int64_t records = 0;
  std::uint64_t bytes = 0;
  void add(const CrawledFile& f) {
    objects += static_cast<std::int64_t>(f.objects());
    bytes += f.size;
    records += f.group_records ? *f.group_records : file_records(*f.schema_ptr(), f.size, f.sampled_bytes);
  }
};

bool is_open_csv(const FileSchema& s) {
  return s.serialization_library == kOpenCsvSerDe;
}

// The storage of a group of files: one file's SerDe and formats (OpenCSVSerde when any CSV file is quoted,
// since it reads unquoted files too), the most common compression, SerDe parameters of the other files with
// the same SerDe that the first lacks (JSON mapping.*), and JSON's `paths` rebuilt from the merged columns.
class FormatMerger {
 public:
  /// Adds `count` files of schema `s`; `exact`: their record counts are all exact (or absent).
  void add(const FileSchema& s, std::size_t count, bool exact) {
    if (!rep_ || (s.classification == "csv" && is_open_csv(s) && !is_open_csv(*rep_))) rep_ = &s;
    auto& extra = extras_[s.serialization_library];
    for (const auto& [key, value] : s.serde_parameters) extra.try_emplace(key, value);
    auto it = std::find_if(compressions_.begin(), compressions_.end(),
                           [&](const auto& entry) { return entry.first == s.compression; });
    if (it == compressions_.end())
      compressions_.emplace_back(s.compression, count);
    else
      it->second += count;
    auto lit = s.parameters.find(kAvroLiteral);
    const std::string* literal = lit == s.parameters.end() ? nullptr : &lit->second;
    if (files_ == 0)
      literal_ = literal;
    else if ((literal == nullptr) != (literal_ == nullptr) || (literal && *literal != *literal_))
      literal_differs_ = true;
    exact_ = exact_ && exact;
    certainty_ = std::min(certainty_, s.certainty);
    files_ += count;
  }

  /// The merged storage for `columns` (the group's final columns) and `records`; notes go to `notes` when
  /// not null.
  FileSchema finish(const std::vector<Column>& columns, std::int64_t records,
                    std::vector<std::string>* notes) const {
    FileSchema out = *rep_;
    out.columns.clear();
    auto extra = extras_.find(out.serialization_library);
    if (extra != extras_.end())
      for (const auto& [key, value] : extra->second) out.serde_parameters.try_emplace(key, value);
    std::size_t best = 0;
    for (std::size_t i = 1; i < compressions_.size(); ++i)
      if (compressions_[i].second > compressions_[best].second) best = i;
    out.compression = compressions_[best].first;
    if (out.classification == "json") {
      std::string paths;
      for (const Column& c : columns) paths += (paths.empty() ? "" : ",") + c.name;
      out.serde_parameters["paths"] = paths;
    }
    if (literal_differs_ && out.parameters.erase(kAvroLiteral) && notes)
      notes->push_back(
          "avro.schema.literal left out: the files hold different Avro schemas, so AvroSerDe reads "
          "by the merged columns");
    out.record_count = records;
    out.record_count_exact = exact_;
    out.certainty = certainty_;
    return out;
  }

 private:
  const FileSchema* rep_ = nullptr;
  std::map<std::string, std::map<std::string, std::string>> extras_;  // SerDe -> parameters
  std::vector<std::pair<std::string, std::size_t>> compressions_;     // in order of first appearance
  const std::string* literal_ = nullptr;
  bool literal_differs_ = false;
  bool exact_ = true;
  double certainty_ = 1.0;
  std::size_t files_ = 0;
};

/// Sets the parameters of glue_parameters() that come from `stats` (`p` holds those of `format` otherwise).
void set_glue_stats(std::map<std::string, std::string>& p, const FileSchema& format, const Stats& stats) {
  p["objectCount"] = std::to_string(stats.objects);
  p["recordCount"] = std::to_string(stats.records);
  p["sizeKey"] = std::to_string(stats.bytes);
  if (stats.records > 0) {
    const auto records = static_cast<std::uint64_t>(stats.records);
    p["averageRecordSize"] = std::to_string((stats.bytes + records / 2) / records);
  } else if (auto own = format.parameters.find("averageRecordSize"); own != format.parameters.end()) {
    p["averageRecordSize"] = own->second;
  } else {
    p.erase("averageRecordSize");
  }
}

std::map<std::string, std::string> glue_parameters(const FileSchema& format, const Stats& stats) {
  std::map<std::string, std::string> p = format.parameters;
  p["classification"] = format.classification;
  p["compressionType"] = internally_compressed(format.classification) ? "none" : format.compression;
  p["typeOfData"] = "file";
  set_glue_stats(p, format, stats);
  p["CrawlerSchemaDeserializerVersion"] = "1.0";
  p["CrawlerSchemaSerializerVersion"] = "1.0";
  return p;
}

// ---- The folder tree ---------------------------------------------------------------------------------

enum class NodeKind {
  Empty,      // no classified data below
  Unit,       // all data below can be one table (this folder its root or a partition level of a parent's)
  Container,  // holds tables below, is none itself
};

enum class Role {
  None,     // the root, a container's container or empty child, or an empty child of a table folder
  Member,   // a partition level of the parent's table
  Skipped,  // left out of the parent's table, with `reason`
  Table,    // a table root
};

struct OtherFile {
  std::string path;
  std::string reason;
  bool unclassified;
};

struct Node {
  std::string_view name;
  Node* parent = nullptr;
  int level = 1;  // the target root is 1
  NameKind kind_of_name = NameKind::NameLike;
  bool in_partition = false;  // this folder or one above it (below the root) is key=value
  std::map<std::string_view, std::unique_ptr<Node>> children;
  std::vector<std::size_t> files;      // classified files directly here, in path order
  std::vector<OtherFile> other_files;  // hidden and unclassified files directly here

  NodeKind kind = NodeKind::Empty;
  Role role = Role::None;
  std::string reason;  // Role::Skipped
  int depth = 0;       // Unit: folder levels down to the data files
  int sig = -1;        // Unit: the merged signature of its data
  std::size_t data_files = 0;
  std::uint64_t data_bytes = 0;
  std::vector<std::size_t> main_files;  // the dominant group of `files`
  std::size_t data_files_direct = 0;    // the files main_files stand for
  int main_sig = -1;
  bool direct_used = false;   // main_files are the table's (or a partition's) data
  std::string direct_reason;  // why `files` are left out when !direct_used
};

// Calls fn with the path of every file `f` stands for (a group's others lie in the folder of its path).
template <class Fn>
void for_each_path(const CrawledFile& f, Fn&& fn) {
  fn(f.path);
  if (f.more_names.empty()) return;
  const auto slash = f.path.rfind('/');
  const std::string dir = slash == std::string::npos ? std::string() : f.path.substr(0, slash + 1);
  for (const std::string& name : f.more_names) fn(dir + name);
}

std::string path_of(const Node& n) {
  std::vector<std::string_view> parts;
  for (const Node* p = &n; p->parent; p = p->parent) parts.push_back(p->name);
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty()) out += '/';
    out += *it;
  }
  return out;
}

std::string quoted_folder(const Node& n) {
  return n.parent ? "'" + path_of(n) + "'" : "the target root";
}

struct PartBuild {
  std::vector<std::string_view> segments;  // from the table root down
  std::string location;
  const std::vector<std::size_t>* files;
};

struct TableBuild {
  const Node* root = nullptr;
  std::string location;
  std::vector<PartBuild> parts;
  std::vector<SkippedFile> skipped;
};

// The basis the table-name suffixes were first computed with (not FNV's own): kept so names stay the same.
std::uint64_t fnv1a(std::string_view s) {
  return catalog::text::fnv1a_64(s, 1469598103934665603ULL);
}

std::string fit_name(const std::string& base, const std::string& suffix) {
  return base.substr(0, kMaxNameBytes - std::min(kMaxNameBytes, suffix.size())) + suffix;
}

class Planner {
 public:
  Planner(std::vector<CrawledFile> files, const LayoutOptions& options)
      : files_(std::move(files)), options_(options), clusterer_(sigs_, options.combine_compatible_schemas) {}

  LayoutResult run() {
    build_tree();
    process(root_);
    if (root_.kind == NodeKind::Unit) root_.role = Role::Table;
    std::string path;
    std::vector<std::string_view> segments;
    emit(root_, nullptr, path, segments);
    std::sort(builds_.begin(), builds_.end(),
              [](const auto& a, const auto& b) { return a->location < b->location; });
    std::vector<std::string> raw_names;
    for (auto& b : builds_) {
      raw_names.push_back(b->root->parent ? std::string(b->root->name) : options_.root_name);
      result_.tables.push_back(finish_table(*b));
    }
    assign_names(raw_names);
    return std::move(result_);
  }

 private:
  // ---- 1. The tree of folders.
  void build_tree() {
    // Files are indexed, never moved: sorting the indices by path costs what sorting the listing does.
    std::vector<std::pair<std::string_view, std::size_t>> order(files_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = {files_[i].path, i};
    if (!std::is_sorted(order.begin(), order.end())) std::sort(order.begin(), order.end());
    file_sig_.assign(files_.size(), -1);
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::size_t i = order[k].second;
      if (k > 0 && order[k].first == order[k - 1].first) continue;  // listed twice: the first one counts
      std::string_view path = files_[i].path;
      while (!path.empty() && path.front() == '/') path.remove_prefix(1);
      if (path.empty() || path.back() == '/') continue;  // a folder marker object
      std::vector<std::string_view> segments;
      for (std::size_t start = 0; start <= path.size();) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        if (slash > start) segments.push_back(path.substr(start, slash - start));
        start = slash + 1;
      }
      Node* node = &root_;
      std::string reason;
      for (std::size_t s = 0; s + 1 < segments.size(); ++s) {
        if (hidden_name(segments[s])) {
          reason = "inside the hidden folder '" + std::string(segments[s]) +
                   "' (names starting with '_' or '.' are skipped, as Hive, Spark and Athena skip them)";
          break;
        }
        node = child(*node, segments[s]);
      }
      const bool in_hidden_folder = !reason.empty();
      if (!in_hidden_folder) reason = skipped_name_reason(segments.back());
      if (!reason.empty()) {
        for_each_path(files_[i], [&](std::string p) {
          std::string why = reason;
          if (!in_hidden_folder && p.size() != files_[i].path.size())
            why = skipped_name_reason(std::string_view(p).substr(p.rfind('/') + 1));
          node->other_files.push_back(OtherFile{std::move(p), std::move(why), false});
        });
        continue;
      }
      const FileSchema* schema = files_[i].schema_ptr();
      if (!schema) {
        for_each_path(files_[i], [&](std::string p) {
          result_.unclassified.push_back(p);
          node->other_files.push_back(
              OtherFile{std::move(p), "no classifier recognised the file (UNKNOWN)", true});
        });
        continue;
      }
      file_sig_[i] = schema == last_schema_ ? last_sig_ : sigs_.of_schema(*schema);
      last_schema_ = schema;
      last_sig_ = file_sig_[i];
      node->files.push_back(i);
    }
  }

  Node* child(Node& parent, std::string_view name) {
    auto& slot = parent.children[name];
    if (!slot) {
      slot = std::make_unique<Node>();
      slot->name = name;
      slot->parent = &parent;
      slot->level = parent.level + 1;
      slot->kind_of_name = name_kind(name);
      slot->in_partition = parent.in_partition || slot->kind_of_name == NameKind::KeyValue;
    }
    return slot.get();
  }

  // ---- 2. Bottom-up decisions.
  void process(Node& n) {
    for (auto& entry : n.children) process(*entry.second);
    const int table_level = options_.table_level;
    const bool no_split = n.in_partition || (table_level > 0 && n.level >= table_level);

    if (!n.files.empty()) {
      std::vector<Candidate> candidates;
      candidates.reserve(n.files.size());
      for (std::size_t f : n.files) {
        const std::size_t objects = files_[f].objects();
        candidates.push_back(
            Candidate{file_sig_[f], 0, objects, files_[f].size, NameKind::ValueLike, objects});
      }
      std::vector<Cluster> clusters = clusterer_.run(candidates, true);
      Cluster& main = clusters[Clusterer::dominant(clusters)];
      for (std::size_t m : main.members) n.main_files.push_back(n.files[m]);
      n.data_files_direct = main.files;
      n.main_sig = main.sig >= 0 ? main.sig : intern(main);
    }

    std::vector<Node*> units;
    bool container_child = false;
    for (auto& entry : n.children) {
      if (entry.second->kind == NodeKind::Unit) units.push_back(entry.second.get());
      if (entry.second->kind == NodeKind::Container) container_child = true;
    }
    if (table_level > 0 && n.level < table_level) {
      make_container(n, units, "above the table level (" + std::to_string(table_level) + ")");
      return;
    }
    if (container_child) {
      make_container(n, units, "beside folders that hold tables (a folder's files belong to one table)");
      return;
    }
    if (units.empty()) {
      if (!n.main_files.empty()) make_unit_from_files(n);
      return;
    }

    std::vector<Candidate> candidates;
    candidates.reserve(units.size());
    for (const Node* u : units)
      candidates.push_back(Candidate{u->sig, u->depth, u->data_files, u->data_bytes, u->kind_of_name});
    std::vector<Cluster> clusters = clusterer_.run(candidates, no_split);
    const std::size_t main_index = Clusterer::dominant(clusters);
    const Cluster& main = clusters[main_index];

    if (n.data_files_direct > main.files) {
      // The files beside the sub-folders outnumber those of the sub-folders' dominant group: this folder is
      // an unpartitioned table and the sub-folders are strays inside it.
      make_unit_from_files(n);
      for (Node* u : units) {
        u->role = Role::Skipped;
        u->reason = "a sub-folder of the unpartitioned table in " + quoted_folder(n) +
                    ", whose files lie directly in it (they outnumber the sub-folders' files)";
      }
      return;
    }

    std::vector<std::size_t> cluster_of(units.size(), 0);
    for (std::size_t c = 0; c < clusters.size(); ++c)
      for (std::size_t m : clusters[c].members) cluster_of[m] = c;
    std::vector<bool> in_main(units.size(), false);
    bool partition_like_member = false;
    for (std::size_t m : main.members) {
      in_main[m] = true;
      if (units[m]->kind_of_name != NameKind::NameLike) partition_like_member = true;
    }
    bool named_outsider = false;
    for (std::size_t i = 0; i < units.size(); ++i)
      if (!in_main[i] && units[i]->kind_of_name == NameKind::NameLike) named_outsider = true;
    const bool partitioned =
        no_split || partition_like_member || (main.members.size() >= 2 && !named_outsider);
    if (!partitioned) {
      make_container(n, units, "beside folders that hold tables (a folder's files belong to one table)");
      return;
    }

    n.kind = NodeKind::Unit;
    n.depth = main.depth + 1;
    n.sig = main.sig >= 0 ? main.sig : intern(main);
    n.data_files = main.files;
    n.data_bytes = main.bytes;
    n.direct_reason = "above the partition folders (a partitioned table reads only its partitions' folders)";
    for (std::size_t i = 0; i < units.size(); ++i) {
      if (in_main[i]) {
        units[i]->role = Role::Member;
        continue;
      }
      const Cluster& own = clusters[cluster_of[i]];
      units[i]->role = Role::Skipped;
      units[i]->reason = "does not match the other partitions of the table in " + quoted_folder(n) + ": " +
                         Clusterer::mismatch(own, main, clusterer_.match(own, main, no_split));
    }
  }

  void make_container(Node& n, const std::vector<Node*>& units, std::string reason) {
    n.kind = NodeKind::Container;
    for (Node* u : units) u->role = Role::Table;
    n.direct_reason = std::move(reason);
  }

  void make_unit_from_files(Node& n) {
    n.kind = NodeKind::Unit;
    n.depth = 0;
    n.sig = n.main_sig;
    n.direct_used = true;
    n.data_files = n.data_files_direct;
    n.data_bytes = 0;
    for (std::size_t f : n.main_files) n.data_bytes += files_[f].size;
  }

  int intern(const Cluster& c) { return sigs_.intern(c.format_key, c.format_label, c.positional, c.ordered); }

  // ---- 3. Top-down: tables, partitions and left-out files.
  void emit(Node& n, TableBuild* table, std::string& path, std::vector<std::string_view>& segments) {
    std::unique_ptr<TableBuild> own;
    std::vector<std::string_view> own_segments;
    std::vector<std::string_view>* segs = &segments;
    if (n.role == Role::Table) {
      own = std::make_unique<TableBuild>();
      own->root = &n;
      own->location = path;
      table = own.get();
      segs = &own_segments;
    }
    for (const OtherFile& o : n.other_files) leave_out(table, o.path, o.reason, o.unclassified);
    if (n.direct_used) {
      table->parts.push_back(PartBuild{*segs, path, &n.main_files});
      std::size_t m = 0;
      for (std::size_t f : n.files) {
        if (m < n.main_files.size() && n.main_files[m] == f) {
          ++m;
          continue;
        }
        leave_out_file(table, f, file_mismatch(f, n));
      }
    } else {
      for (std::size_t f : n.files) leave_out_file(table, f, n.direct_reason);
    }
    for (auto& entry : n.children) {
      Node& c = *entry.second;
      const std::size_t before = path.size();
      if (!path.empty()) path += '/';
      path += c.name;
      switch (c.role) {
        case Role::Member:
          segs->push_back(c.name);
          emit(c, table, path, *segs);
          segs->pop_back();
          break;
        case Role::Skipped:
          leave_out_tree(c, table, c.reason);
          break;
        case Role::Table: {
          std::vector<std::string_view> fresh;
          emit(c, nullptr, path, fresh);
          break;
        }
        case Role::None:
          emit(c, table, path, *segs);
          break;
      }
      path.resize(before);
    }
    if (own) builds_.push_back(std::move(own));
  }

  void leave_out(TableBuild* table, const std::string& path, const std::string& reason, bool unclassified) {
    if (table)
      table->skipped.push_back(SkippedFile{path, reason});
    else if (!unclassified)
      result_.skipped.push_back(SkippedFile{path, reason});
  }

  // Every file a classified entry stands for.
  void leave_out_file(TableBuild* table, std::size_t file, const std::string& reason) {
    for_each_path(files_[file], [&](std::string p) { leave_out(table, p, reason, false); });
  }

  void leave_out_tree(const Node& n, TableBuild* table, const std::string& reason) {
    for (const OtherFile& o : n.other_files) leave_out(table, o.path, o.reason, o.unclassified);
    for (std::size_t f : n.files) leave_out_file(table, f, reason);
    for (const auto& entry : n.children) leave_out_tree(*entry.second, table, reason);
  }

  std::string file_mismatch(std::size_t file, const Node& n) const {
    const Signature& own = sigs_[file_sig_[file]];
    const Signature& main = sigs_[n.main_sig];
    if (own.format_key != main.format_key)
      return "its format is " + own.format_label + ", most files in " + quoted_folder(n) + " are " +
             main.format_label;
    return "its columns share " + std::to_string(shared_names(own.sorted, main.sorted)) + " of " +
           std::to_string(own.sorted.size()) + " names with those of most files in " + quoted_folder(n);
  }

  // ---- 4. One planned table.
  PlannedTable finish_table(TableBuild& b) {
    PlannedTable t;
    t.location = b.location;
    t.skipped_files = std::move(b.skipped);
    const std::size_t depth = static_cast<std::size_t>(b.root->depth);

    FormatMerger table_format;
    ColumnMerger table_columns;
    Stats table_stats;
    std::vector<FormatMerger> part_formats;
    part_formats.reserve(b.parts.size());
    t.partitions.reserve(b.parts.size());
    // A partition whose entries have the schemas (objects) and exactness of an earlier partition's, in the
    // same order, gets that one's columns and storage, copied rather than merged again: a merge depends on
    // nothing else, except the most common compression, so entries of several compressions are always
    // merged. first_like: the (schema, exact) of the entries -> index of the first such partition.
    std::vector<std::ptrdiff_t> same_as(b.parts.size(), -1);
    std::map<std::vector<std::pair<const FileSchema*, bool>>, std::size_t> first_like;
    std::vector<std::pair<const FileSchema*, bool>> entries;
    for (const PartBuild& part : b.parts) {
      PlannedPartition p;
      p.location = part.location;
      ColumnMerger columns;
      FormatMerger format;
      Stats stats;
      entries.clear();
      bool one_compression = true;
      for (std::size_t f : *part.files) {
        const CrawledFile& file = files_[f];
        const FileSchema& s = *file.schema_ptr();
        const bool exact =
            file.group_records ? file.group_counts_exact : s.record_count_exact || !s.record_count;
        table_format.add(s, file.objects(), exact);
        stats.add(file);
        one_compression =
            one_compression && (entries.empty() || s.compression == entries.front().first->compression);
        entries.emplace_back(&s, exact);
      }
      std::optional<std::size_t> earlier;
      if (one_compression) {
        auto [it, inserted] = first_like.try_emplace(entries, t.partitions.size());
        if (!inserted) earlier = it->second;
      }
      if (!earlier)
        for (std::size_t i = 0; i < entries.size(); ++i) {
          columns.add(entries[i].first->columns);
          format.add(*entries[i].first, files_[(*part.files)[i]].objects(), entries[i].second);
        }
      if (earlier) {
        // Its columns are the earlier partition's (which the table's merge already has: a merge is a
        // join, so adding them again changes nothing); they are filled in below.
        same_as[t.partitions.size()] = static_cast<std::ptrdiff_t>(*earlier);
      } else {
        p.columns = columns.take();
        table_columns.add(p.columns);
      }
      p.object_count = stats.objects;
      p.record_count = stats.records;
      p.size = stats.bytes;
      table_stats.objects += stats.objects;
      table_stats.records += stats.records;
      table_stats.bytes += stats.bytes;
      part_formats.push_back(std::move(format));
      t.partitions.push_back(std::move(p));
    }
    t.columns = table_columns.take();
    t.object_count = table_stats.objects;
    t.record_count = table_stats.records;
    t.size = table_stats.bytes;
    const std::string classification = files_[b.parts.front().files->front()].schema_ptr()->classification;

    if (depth > 0) {
      plan_partition_keys(b, t, depth, classification);
    }
    t.format = table_format.finish(t.columns, t.record_count, &t.notes);
    t.parameters = glue_parameters(t.format, table_stats);
    if (depth == 0) {
      t.partitions.clear();
    } else {
      // Partitions like an earlier one share one copy of it (its index is lower: finished before).
      std::map<std::size_t, std::shared_ptr<const PlannedPartition>> patterns;
      for (std::size_t i = 0; i < t.partitions.size(); ++i) {
        PlannedPartition& p = t.partitions[i];
        if (same_as[i] >= 0) {
          auto& pattern = patterns[static_cast<std::size_t>(same_as[i])];
          if (!pattern) {
            PlannedPartition e = t.partitions[static_cast<std::size_t>(same_as[i])];
            e.values.clear();
            pattern = std::make_shared<const PlannedPartition>(std::move(e));
          }
          p.same_as = pattern;
          if (!options_.share_partition_schemas) complete_partition(p);
          continue;
        }
        p.format = part_formats[i].finish(p.columns, p.record_count, nullptr);
        p.parameters = glue_parameters(p.format, Stats{p.object_count, p.record_count, p.size});
      }
      std::sort(t.partitions.begin(), t.partitions.end(),
                [](const PlannedPartition& x, const PlannedPartition& y) { return x.location < y.location; });
    }
    if (!t.skipped_files.empty())
      t.notes.push_back(plural(t.skipped_files.size(), "file") +
                        " in the table's folders left out (see skipped_files)");
    return t;
  }

  // Keys from the folder names level by level, partition values, and a key that is also a data column.
  void plan_partition_keys(const TableBuild& b, PlannedTable& t, std::size_t depth,
                           const std::string& classification) {
    std::set<std::string> used;
    for (std::size_t j = 0; j < depth; ++j) {
      std::string key;
      bool all_key_value = true;
      bool any_key_value = false;
      for (const PartBuild& part : b.parts) {
        const std::string_view segment = part.segments[j];
        const auto eq = segment.find('=');
        if (name_kind(segment) != NameKind::KeyValue) {
          all_key_value = false;
          continue;
        }
        any_key_value = true;
        std::string k = sanitize_csv_column_name(hive_unescape(segment.substr(0, eq)));
        if (key.empty())
          key = k;
        else if (k != key)
          all_key_value = false;
      }
      const std::string generic = "partition_" + std::to_string(j);
      if (!all_key_value || key.empty()) {
        if (any_key_value)
          t.notes.push_back("partition level " + std::to_string(j) +
                            ": the folders are not all key=value with one key, so the key is " + generic);
        key = generic;
      }
      if (used.contains(key)) key = generic;
      while (used.contains(key)) key += "_" + std::to_string(j);
      used.insert(key);
      t.partition_keys.push_back(Column{key, "string", {}, {}});
    }
    for (std::size_t i = 0; i < t.partitions.size(); ++i) {
      for (const std::string_view segment : b.parts[i].segments) {
        const auto eq = segment.find('=');
        t.partitions[i].values.push_back(name_kind(segment) == NameKind::KeyValue
                                             ? hive_unescape(segment.substr(eq + 1))
                                             : std::string(segment));
      }
    }
    // A partition key named like a data column: Hive refuses the table. Formats read by name drop the column
    // (the engine fills it from the folder); positional formats keep it and rename the key.
    for (std::size_t j = 0; j < t.partition_keys.size(); ++j) {
      Column& key = t.partition_keys[j];
      auto same_name = [&](const Column& c) { return text::iequals_ascii(c.name, key.name); };
      if (std::none_of(t.columns.begin(), t.columns.end(), same_name)) continue;
      if (name_based(classification)) {
        t.notes.push_back(
            "column '" + key.name +
            "' of the files is also a partition key: left out of the columns (engines fill it from "
            "the folder names)");
        std::erase_if(t.columns, same_name);
        for (PlannedPartition& p : t.partitions) std::erase_if(p.columns, same_name);
      } else {
        std::string renamed = "partition_" + std::to_string(j);
        while (used.contains(renamed) ||
               std::any_of(t.columns.begin(), t.columns.end(),
                           [&](const Column& c) { return text::iequals_ascii(c.name, renamed); }))
          renamed += "_" + std::to_string(j);
        used.insert(renamed);
        t.notes.push_back("partition key '" + key.name + "' renamed " + renamed +
                          ": the files have a column of that name");
        key.name = renamed;
      }
    }
  }

  // ---- 5. Unique names.
  void assign_names(const std::vector<std::string>& raw_names) {
    auto& tables = result_.tables;
    std::vector<std::string> base(tables.size());
    std::map<std::string, std::vector<std::size_t>> by_base;
    for (std::size_t i = 0; i < tables.size(); ++i) {
      base[i] = sanitize_table_name(options_.table_prefix + raw_names[i]);
      by_base[base[i]].push_back(i);
    }
    // One table of each name keeps it: the one whose folder name needed no change, then the shortest
    // location, then the first. The others get a suffix from their location, stable from run to run.
    std::set<std::string> taken;
    std::vector<bool> named(tables.size(), false);
    for (auto& [name, indices] : by_base) {
      auto rank = [&](std::size_t i) {
        const std::string raw = options_.table_prefix + raw_names[i];
        return std::make_tuple(sanitize_table_name(raw) == raw ? 0 : 1, tables[i].location.size(),
                               tables[i].location);
      };
      const std::size_t winner = *std::min_element(
          indices.begin(), indices.end(), [&](std::size_t x, std::size_t y) { return rank(x) < rank(y); });
      tables[winner].name = name;
      named[winner] = true;
      taken.insert(name);
    }
    for (std::size_t i = 0; i < tables.size(); ++i) {
      if (named[i]) continue;
      char hash[16];
      std::snprintf(hash, sizeof hash, "_%08x",
                    static_cast<unsigned>(fnv1a(tables[i].location) & 0xffffffffU));
      std::string name = fit_name(base[i], hash);
      for (int k = 2; taken.contains(name); ++k) name = fit_name(base[i], hash + ("_" + std::to_string(k)));
      tables[i].notes.push_back("named " + name + ": another table's folder has the name " + base[i] +
                                " too");
      tables[i].name = name;
      taken.insert(std::move(name));
    }
  }

  std::vector<CrawledFile> files_;
  const LayoutOptions& options_;
  Signatures sigs_;
  Clusterer clusterer_;
  std::vector<int> file_sig_;
  const FileSchema* last_schema_ = nullptr;  // files in path order often share one schema object
  int last_sig_ = -1;
  Node root_;
  std::vector<std::unique_ptr<TableBuild>> builds_;
  LayoutResult result_;
};

}  // namespace

std::string widen_hive_type(std::string_view a, std::string_view b) {
  if (a == b) return std::string(a);
  return widen_type(catalog::parse_hive_type(a, "type"), catalog::parse_hive_type(b, "type")).to_string();
}

std::vector<Column> merge_columns(const std::vector<Column>& a, const std::vector<Column>& b) {
  ColumnMerger merger;
  merger.add(a);
  merger.add(b);
  return merger.take();
}

std::string sanitize_table_name(std::string_view raw) {
  std::string name = sanitize_csv_column_name(raw);
  if (name.empty()) return "table";
  if (name.size() > kMaxNameBytes) name.resize(kMaxNameBytes);
  return name;
}

std::int64_t file_records(const FileSchema& s, std::uint64_t size, std::uint64_t sampled_bytes) {
  if (!s.record_count || *s.record_count <= 0) return 0;
  const std::int64_t sampled = *s.record_count;
  if (s.record_count_exact || sampled_bytes == 0 || sampled_bytes >= size) return sampled;
  const long double estimate = static_cast<long double>(sampled) * static_cast<long double>(size) /
                               static_cast<long double>(sampled_bytes);
  return static_cast<std::int64_t>(std::llround(estimate));
}

std::string skipped_name_reason(std::string_view name) {
  if (hidden_name(name))
    return "hidden file (names starting with '_' or '.' are skipped, as Hive, Spark and Athena skip them)";
  if (name.ends_with(".crc")) return "checksum file (.crc)";
  if (name.ends_with("_$folder$")) return "folder marker object (_$folder$)";
  return {};
}

void complete_partition(PlannedPartition& p) {
  if (!p.same_as) return;
  const std::shared_ptr<const PlannedPartition> pattern = std::move(p.same_as);
  p.same_as = nullptr;
  p.columns = pattern->columns;
  p.format = pattern->format;
  p.format.record_count = p.record_count;
  p.parameters = pattern->parameters;
  set_glue_stats(p.parameters, p.format, Stats{p.object_count, p.record_count, p.size});
}

LayoutResult plan_layout(std::vector<CrawledFile> files, const LayoutOptions& options) {
  return Planner(std::move(files), options).run();
}

}  // namespace cairn::crawler
