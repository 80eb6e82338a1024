#include "cairn/catalog/expr_lexer.h"

#include <algorithm>
#include <utility>

#include "cairn/catalog/names.h"
#include "cairn/catalog/text_util.h"

namespace cairn::catalog::expr {

namespace {

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && !text::is_ascii_space(c)) || u == 0x7f;
}

std::string unexpected(std::string_view s, std::size_t i) {
  return "unexpected " + quote_for_message(s.substr(i, 1));
}

std::optional<LexError> control_error(std::string_view s, std::size_t i, const LexSyntax& syntax) {
  if (!syntax.reject_control || !is_control(s[i])) return std::nullopt;
  return LexError{i, "unexpected control character " + quote_for_message(s.substr(i, 1))};
}

// A 'string' or a quoted name starting at s[i]; the quote doubled inside stands for itself.
std::optional<LexError> lex_quoted(std::string_view s, std::size_t& i, Token& t, const LexSyntax& syntax) {
  const char q = s[i];
  t.kind = q == '\'' ? TokenKind::String : TokenKind::QuotedIdent;
  ++i;
  while (true) {
    if (i >= s.size()) {
      return LexError{t.pos, std::string(t.kind == TokenKind::String ? syntax.unterminated_string
                                                                     : syntax.unterminated_name)};
    }
    if (auto error = control_error(s, i, syntax)) return error;
    if (s[i] == q) {
      if (i + 1 < s.size() && s[i + 1] == q) {
        t.text += q;
        i += 2;
        continue;
      }
      ++i;
      break;
    }
    t.text += s[i++];
  }
  if (t.kind == TokenKind::QuotedIdent && t.text.empty())
    return LexError{t.pos, std::string(syntax.empty_name)};
  return std::nullopt;
}

bool starts_number(std::string_view s, std::size_t i) {
  const char c = s[i];
  if (is_digit(c) || c == '.') return true;
  return (c == '-' || c == '+') && i + 1 < s.size() &&
         (is_digit(s[i + 1]) || (s[i + 1] == '.' && i + 2 < s.size() && is_digit(s[i + 2])));
}

// [+-]digits[.digits] | [+-].digits, with LexSyntax's exponent and trailing dot.
std::optional<LexError> lex_number(std::string_view s, std::size_t& i, Token& t, const LexSyntax& syntax) {
  t.kind = TokenKind::Number;
  const std::size_t start = i;
  if (s[i] == '-' || s[i] == '+') ++i;
  std::size_t int_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    const std::size_t dot = i++;
    std::size_t fraction = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++fraction;
    if (fraction == 0 && (int_digits == 0 || !syntax.trailing_dot)) {
      return LexError{dot, int_digits == 0 ? "unexpected '.'" : "expected digits after the decimal point"};
    }
  }
  if (syntax.exponent && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t exp = i + 1;
    if (exp < s.size() && (s[exp] == '+' || s[exp] == '-')) ++exp;
    if (exp < s.size() && is_digit(s[exp])) {
      i = exp;
      while (i < s.size() && is_digit(s[i])) ++i;
    }
  }
  if (i < s.size() && (is_ident_char(s[i]) || s[i] == '.')) {
    return LexError{i, unexpected(s, i) + std::string(syntax.after_number)};
  }
  t.text = std::string(s.substr(start, i - start));
  return std::nullopt;
}

// = <> != < > <= >=
std::optional<LexError> lex_operator(std::string_view s, std::size_t& i, Token& t) {
  const char c = s[i];
  t.kind = TokenKind::Op;
  std::string op(1, c);
  const char next = i + 1 < s.size() ? s[i + 1] : '\0';
  if ((c == '<' && (next == '>' || next == '=')) || (c == '>' && next == '=') || (c == '!' && next == '=')) {
    op += next;
  } else if (c == '!') {
    return LexError{i, "unexpected '!' (did you mean '!='?)"};
  }
  i += op.size();
  t.text = std::move(op);
  return std::nullopt;
}

// The token starting at s[i] (not white space, not the end).
std::optional<LexError> lex_token(std::string_view s, std::size_t& i, Token& t, const LexSyntax& syntax) {
  const char c = s[i];
  if (c == '\'' || (c != '\0' && syntax.name_quotes.find(c) != std::string_view::npos)) {
    return lex_quoted(s, i, t, syntax);
  }
  if (starts_number(s, i)) return lex_number(s, i, t, syntax);
  if (is_ident_start(c)) {
    t.kind = TokenKind::Ident;
    const std::size_t start = i;
    while (i < s.size() && is_ident_char(s[i])) ++i;
    t.text = std::string(s.substr(start, i - start));
    return std::nullopt;
  }
  if (c == '(' || c == ')' || c == ',') {
    t.kind = c == '(' ? TokenKind::LParen : c == ')' ? TokenKind::RParen : TokenKind::Comma;
    t.text = std::string(1, c);
    ++i;
    return std::nullopt;
  }
  if (c == '=' || c == '<' || c == '>' || c == '!') return lex_operator(s, i, t);
  if (syntax.hinted != '\0' && c == syntax.hinted) {
    return LexError{i, unexpected(s, i) + " " + std::string(syntax.hint)};
  }
  if (auto error = control_error(s, i, syntax)) return error;
  return LexError{i, "unexpected character " + quote_for_message(s.substr(i, 1))};
}

}  // namespace

std::string lower(std::string_view s) {
  return text::lower(s);
}

bool is_reserved_word(std::string_view lowered) {
  return lowered == "and" || lowered == "or" || lowered == "not" || lowered == "in" || lowered == "between" ||
         lowered == "like" || lowered == "is" || lowered == "null";
}

bool is_keyword(const Token& t, std::string_view word) {
  return t.kind == TokenKind::Ident && text::lower(t.text) == word;
}

LexResult tokenize(std::string_view text, const LexSyntax& syntax) {
  LexResult result;
  std::size_t i = 0;
  while (true) {
    while (i < text.size() && text::is_ascii_space(text[i])) ++i;
    Token t;
    t.pos = i;
    if (i >= text.size()) {
      result.tokens.push_back(std::move(t));
      return result;
    }
    if (auto error = lex_token(text, i, t, syntax)) {
      result.tokens.clear();
      result.error = std::move(error);
      return result;
    }
    result.tokens.push_back(std::move(t));
  }
}

void TokenCursor::reset(std::vector<Token> tokens) {
  tokens_ = std::move(tokens);
  at_ = 0;
}

const Token& TokenCursor::peek(std::size_t ahead) const {
  return tokens_[std::min(at_ + ahead, tokens_.size() - 1)];
}

const Token& TokenCursor::next() {
  return tokens_[at_ < tokens_.size() - 1 ? at_++ : at_];
}

bool TokenCursor::accept_keyword(std::string_view word) {
  if (!is_keyword(peek(), word)) return false;
  ++at_;
  return true;
}

}  // namespace cairn::catalog::expr
