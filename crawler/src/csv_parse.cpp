#include "csv_parse.h"

#include <algorithm>

#include "text_sample.h"

namespace cairn::crawler::csv {

using text::trim;

Parsed parse(std::string_view text, char delim, char quote, bool truncated, std::size_t max_rows) {
  Parsed out;
  struct Span {
    std::size_t begin;
    std::size_t count;
    bool quoted;
  };
  std::vector<Span> spans;
  const std::size_t n = text.size();
  const bool escapes = delim != '\\' && quote != '\\';
  // Characters that end a run of plain text outside and inside quotes.
  char plain_stops[5] = {delim, '\n', '\r', escapes ? '\\' : delim, quote != '\0' ? quote : delim};
  char quoted_stops[2] = {quote, escapes ? '\\' : quote};
  auto run_end = [&](std::size_t from, const char* stops, std::size_t nstops) {
    std::size_t j = from;
    while (j < n && std::find(stops, stops + nstops, text[j]) == stops + nstops) ++j;
    return j;
  };
  std::size_t i = 0;
  while (i < n && spans.size() < max_rows) {
    enum class State { Start, Plain, Quoted, AfterQuote };
    Span span{out.cells.size(), 0, false};
    std::string field;
    bool field_quoted = false;
    bool ended = false;
    bool malformed = false;
    State st = State::Start;
    auto end_field = [&] {
      out.cells.push_back(std::move(field));
      field.clear();
      ++span.count;
      span.quoted = span.quoted || field_quoted;
      field_quoted = false;
      st = State::Start;
    };
    while (i < n) {
      if (st == State::Quoted) {
        std::size_t j = run_end(i, quoted_stops, 2);
        field.append(text, i, j - i);
        i = j;
        if (i >= n) break;
        char c = text[i];
        if (c == quote) {
          if (i + 1 < n && text[i + 1] == quote) {
            field += quote;
            i += 2;
          } else {
            st = State::AfterQuote;
            ++i;
          }
          continue;
        }
        // c is a backslash
        if (i + 1 < n && (text[i + 1] == quote || text[i + 1] == '\\')) {
          field += text[i + 1];
          out.backslash_escapes = true;
          i += 2;
        } else {
          field += c;
          ++i;
        }
        continue;
      }
      char c = text[i];
      if (c == '\n' || c == '\r') {
        ++i;
        if (c == '\r' && i < n && text[i] == '\n') ++i;
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
          (text[i + 1] == delim || text[i + 1] == '\\' || (quote != '\0' && text[i + 1] == quote))) {
        field += text[i + 1];
        out.backslash_escapes = true;
        i += 2;
        continue;
      }
      // A plain run: up to the next delimiter, line break, backslash or quote.
      std::size_t j = run_end(i + 1, plain_stops, 5);
      field.append(text, i, j - i);
      i = j;
    }
    if (!ended) {
      if (truncated) {  // the sample cut this row (possibly inside a quoted field): drop it
        out.cells.resize(span.begin);
        break;
      }
      if (st == State::Quoted) malformed = true;
    }
    end_field();
    if (malformed) ++out.malformed;
    bool blank = span.count == 1 && !span.quoted && trim(out.cells[span.begin]).empty();
    if (blank) {
      out.cells.resize(span.begin);
      continue;
    }
    spans.push_back(span);
  }
  out.rows.reserve(spans.size());
  for (const Span& sp : spans)
    out.rows.push_back(Row{Fields{out.cells.data() + sp.begin, sp.count}, sp.quoted});
  return out;
}

}  // namespace cairn::crawler::csv
