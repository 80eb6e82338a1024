#include "csv_parse.h"

#include <array>
#include <utility>

#include "text_sample.h"

namespace cairn::crawler::csv {

namespace {

using text::trim;

// Bytes that end a run of field text: one table lookup per byte instead of a search of the stop list.
using StopTable = std::array<bool, 256>;

StopTable stop_table(std::initializer_list<char> stops) {
  StopTable t{};
  for (char c : stops) t[static_cast<unsigned char>(c)] = true;
  return t;
}

// The tokenizer behind parse, parse_views and row_shapes. It hands a sink the field text piece by piece,
// each piece a stretch of `text` (a run, or the one byte an escape or doubled quote stands for):
//   append(p, n)          more text of the current field
//   end_field()           the current field is complete
//   last_field_blank()    the field just ended is white space only
//   keep_row(count, q)    the row of `count` fields just ended is kept (`q`: some field was quoted)
//   drop_row()            the fields of the current row (and any field in progress) are discarded
template <class Sink>
void tokenize(std::string_view text, char delim, char quote, bool truncated, std::size_t max_rows, Sink& sink,
              bool& backslash_escapes, std::size_t& malformed_rows) {
  const std::size_t n = text.size();
  const char* t = text.data();
  const bool escapes = delim != '\\' && quote != '\\';
  // Bytes that end a run of plain text outside and inside quotes.
  const StopTable plain_stops =
      stop_table({delim, '\n', '\r', escapes ? '\\' : delim, quote != '\0' ? quote : delim});
  const StopTable quoted_stops = stop_table({quote, escapes ? '\\' : quote});
  auto run_end = [&](std::size_t from, const StopTable& stops) {
    std::size_t j = from;
    while (j < n && !stops[static_cast<unsigned char>(t[j])]) ++j;
    return j;
  };
  std::size_t i = 0;
  std::size_t kept = 0;
  while (i < n && kept < max_rows) {
    enum class State { Start, Plain, Quoted, AfterQuote };
    std::size_t count = 0;
    bool row_quoted = false;
    bool field_quoted = false;
    bool ended = false;
    bool malformed = false;
    State st = State::Start;
    auto end_field = [&] {
      sink.end_field();
      ++count;
      row_quoted = row_quoted || field_quoted;
      field_quoted = false;
      st = State::Start;
    };
    while (i < n) {
      if (st == State::Quoted) {
        std::size_t j = run_end(i, quoted_stops);
        sink.append(t + i, j - i);
        i = j;
        if (i >= n) break;
        char c = t[i];
        if (c == quote) {
          if (i + 1 < n && t[i + 1] == quote) {
            sink.append(t + i, 1);
            i += 2;
          } else {
            st = State::AfterQuote;
            ++i;
          }
          continue;
        }
        // c is a backslash
        if (i + 1 < n && (t[i + 1] == quote || t[i + 1] == '\\')) {
          sink.append(t + i + 1, 1);
          backslash_escapes = true;
          i += 2;
        } else {
          sink.append(t + i, 1);
          ++i;
        }
        continue;
      }
      char c = t[i];
      if (c == '\n' || c == '\r') {
        ++i;
        if (c == '\r' && i < n && t[i] == '\n') ++i;
        ended = true;
        break;
      }
      if (c == delim) {
        end_field();
        ++i;
        continue;
      }
      if (st == State::Start && quote != '\0' && c == quote) {
        st = State::Quoted;
        field_quoted = true;
        ++i;
        continue;
      }
      if (st == State::AfterQuote) malformed = true;  // "abc"def: keep the text, as OpenCSV does
      st = State::Plain;
      if (escapes && c == '\\' && i + 1 < n &&
          (t[i + 1] == delim || t[i + 1] == '\\' || (quote != '\0' && t[i + 1] == quote))) {
        sink.append(t + i + 1, 1);
        backslash_escapes = true;
        i += 2;
        continue;
      }
      // A plain run: up to the next delimiter, line break, backslash or quote.
      std::size_t j = run_end(i + 1, plain_stops);
      sink.append(t + i, j - i);
      i = j;
    }
    if (!ended) {
      if (truncated) {  // the sample cut this row (possibly inside a quoted field): drop it
        sink.drop_row();
        break;
      }
      if (st == State::Quoted) malformed = true;
    }
    end_field();
    if (malformed) ++malformed_rows;
    if (count == 1 && !row_quoted && sink.last_field_blank()) {
      sink.drop_row();
      continue;
    }
    sink.keep_row(count, row_quoted);
    ++kept;
  }
}

// Fields as strings (parse).
struct StringSink {
  explicit StringSink(std::vector<std::string>& c) : cells(c) {}
  std::vector<std::string>& cells;
  std::vector<ParsedViews::Span> spans;
  std::string field;
  std::size_t row_begin = 0;

  void append(const char* p, std::size_t n) { field.append(p, n); }
  void end_field() {
    cells.push_back(std::move(field));
    field.clear();
  }
  bool last_field_blank() const { return trim(cells.back()).empty(); }
  void keep_row(std::size_t count, bool quoted) {
    spans.push_back(ParsedViews::Span{row_begin, count, quoted});
    row_begin = cells.size();
  }
  void drop_row() {
    cells.resize(row_begin);
    field.clear();
  }
};

// Fields as views of the text, copied only when not one stretch of it (parse_views).
struct ViewSink {
  explicit ViewSink(ParsedViews& o) : out(o) {}
  ParsedViews& out;
  const char* piece = nullptr;  // the field so far while it is one stretch of the text
  std::size_t length = 0;
  bool copied = false;  // the field so far is in `copy`
  std::string copy;
  std::size_t row_begin = 0;

  void append(const char* p, std::size_t n) {
    if (n == 0) return;
    if (copied) {
      copy.append(p, n);
    } else if (piece == nullptr) {
      piece = p;
      length = n;
    } else if (piece + length == p) {
      length += n;
    } else {
      copy.assign(piece, length);
      copy.append(p, n);
      copied = true;
    }
  }
  void reset_field() {
    piece = nullptr;
    length = 0;
    copied = false;
  }
  void end_field() {
    if (copied) {
      out.owned.push_back(std::move(copy));
      copy = std::string();
      out.cells.emplace_back(out.owned.back());
    } else {
      out.cells.emplace_back(piece == nullptr ? std::string_view() : std::string_view(piece, length));
    }
    reset_field();
  }
  bool last_field_blank() const { return trim(out.cells.back()).empty(); }
  void keep_row(std::size_t count, bool quoted) {
    out.rows.push_back(ParsedViews::Span{row_begin, count, quoted});
    row_begin = out.cells.size();
  }
  void drop_row() {
    out.cells.resize(row_begin);
    copy.clear();
    reset_field();
  }
};

// Field counts and foreign bytes only (row_shapes).
struct ShapeSink {
  explicit ShapeSink(std::vector<RowShape>& o) : out(o) {}
  std::vector<RowShape>& out;
  StopTable foreign_bytes{};
  bool field_foreign = false;
  bool field_text = false;  // the field holds a byte other than white space
  bool last_text = false;
  std::size_t row_foreign = 0;

  void append(const char* p, std::size_t n) {
    for (std::size_t k = 0; k < n && !(field_foreign && field_text); ++k) {
      field_foreign = field_foreign || foreign_bytes[static_cast<unsigned char>(p[k])];
      field_text = field_text || !text::is_space(p[k]);
    }
  }
  void end_field() {
    if (field_foreign) ++row_foreign;
    last_text = field_text;
    field_foreign = false;
    field_text = false;
  }
  bool last_field_blank() const { return !last_text; }
  void keep_row(std::size_t count, bool) {
    out.push_back(RowShape{count, row_foreign});
    row_foreign = 0;
  }
  void drop_row() {
    row_foreign = 0;
    field_foreign = false;
    field_text = false;
  }
};

}  // namespace

Parsed parse(std::string_view text, char delim, char quote, bool truncated, std::size_t max_rows) {
  Parsed out;
  StringSink sink(out.cells);
  tokenize(text, delim, quote, truncated, max_rows, sink, out.backslash_escapes, out.malformed);
  out.rows.reserve(sink.spans.size());
  for (const ParsedViews::Span& sp : sink.spans)
    out.rows.push_back(Row{Fields{out.cells.data() + sp.begin, sp.count}, sp.quoted});
  return out;
}

ParsedViews parse_views(std::string_view text, char delim, char quote, bool truncated, std::size_t max_rows) {
  ParsedViews out;
  ViewSink sink(out);
  tokenize(text, delim, quote, truncated, max_rows, sink, out.backslash_escapes, out.malformed);
  return out;
}

std::vector<RowShape> row_shapes(std::string_view text, char delim, char quote, bool truncated,
                                 std::size_t max_rows, std::string_view foreign) {
  std::vector<RowShape> out;
  ShapeSink sink(out);
  for (char c : foreign) sink.foreign_bytes[static_cast<unsigned char>(c)] = true;
  bool escapes = false;
  std::size_t malformed = 0;
  tokenize(text, delim, quote, truncated, max_rows, sink, escapes, malformed);
  return out;
}

}  // namespace cairn::crawler::csv
