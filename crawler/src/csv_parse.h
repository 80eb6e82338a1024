#pragma once
// The delimited-text tokenizer of the CSV classifier, shared with value sampling (value_sample.cpp) so that
// both split a sample into the same rows and fields: internal to cairn_crawler.

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::crawler::csv {

// A row's fields: a view into Parsed::cells.
struct Fields {
  const std::string* data = nullptr;
  std::size_t count = 0;
  std::size_t size() const { return count; }
  const std::string& operator[](std::size_t i) const { return data[i]; }
  const std::string* begin() const { return data; }
  const std::string* end() const { return data + count; }
};

struct Row {
  Fields fields;
  bool quoted = false;  // some field of the row was enclosed in quotes
};

struct Parsed {
  std::vector<std::string> cells;  // the fields of all rows, row after row (one allocation pattern for all)
  std::vector<Row> rows;           // views into `cells`: a Parsed is moved, never copied
  bool backslash_escapes = false;  // a backslash escaped a quote, the delimiter or a backslash
  std::size_t malformed = 0;       // rows with text after a closing quote or an unterminated quote

  Parsed() = default;
  Parsed(Parsed&&) = default;
  Parsed& operator=(Parsed&&) = default;
  Parsed(const Parsed&) = delete;
  Parsed& operator=(const Parsed&) = delete;
};

/// Splits `text` into rows of fields. Line breaks are \n, \r\n or \r (as Hadoop's LineRecordReader). A field
/// that starts with `quote` (0 = no quoting) runs to the matching quote; inside it a doubled quote (RFC 4180)
/// or a backslash-escaped quote stands for one quote, and line breaks are data. Outside quotes a backslash
/// escapes the delimiter, the quote or a backslash (LazySimpleSerDe's escape.delim). Blank lines are skipped.
/// With `truncated`, the last row is dropped unless a line break ends it (the sample may cut it).
Parsed parse(std::string_view text, char delim, char quote, bool truncated, std::size_t max_rows);

// The rows of `parse` with fields as views: into the parsed text when a field is one stretch of it (no
// quote doubling or escape inside), else into `owned`. Valid while the text lives; moved, never copied.
struct ParsedViews {
  struct Span {
    std::size_t begin = 0;  // first field in `cells`
    std::size_t count = 0;
    bool quoted = false;  // some field of the row was enclosed in quotes
  };
  std::vector<std::string_view> cells;  // the fields of all rows, row after row
  std::vector<Span> rows;
  std::deque<std::string> owned;  // fields that are not one stretch of the text
  bool backslash_escapes = false;
  std::size_t malformed = 0;

  std::string_view field(std::size_t row, std::size_t i) const { return cells[rows[row].begin + i]; }
  std::size_t fields(std::size_t row) const { return rows[row].count; }

  ParsedViews() = default;
  ParsedViews(ParsedViews&&) = default;
  ParsedViews& operator=(ParsedViews&&) = default;
  ParsedViews(const ParsedViews&) = delete;
  ParsedViews& operator=(const ParsedViews&) = delete;
};

/// `parse` with the fields as views (see ParsedViews): the same rows, fields, flags and counts.
ParsedViews parse_views(std::string_view text, char delim, char quote, bool truncated, std::size_t max_rows);

/// The shape of one row of `parse`: its field count and how many of its fields hold a byte of `foreign`.
struct RowShape {
  std::size_t fields = 0;
  std::size_t foreign = 0;
};

/// The rows `parse` would give, as shapes only (no field is copied): for choosing a delimiter. `foreign`
/// lists the bytes to look for in field values (the other candidate delimiters).
std::vector<RowShape> row_shapes(std::string_view text, char delim, char quote, bool truncated,
                                 std::size_t max_rows, std::string_view foreign);

}  // namespace cairn::crawler::csv
