#pragma once

// The lexical layer shared by the two condition languages: Glue partition expressions
// (catalog/src/partition_expr.cpp) and row filters (authz/src/row_filter.cpp). Both read the same tokens
// (names, 'strings', numbers, comparison operators, parentheses, commas), the same comparison operators and
// the same reserved words; LexSyntax holds what they spell differently. Each language keeps its own grammar
// and its own wording for the errors it finds; the tokenizer returns its errors as values, which the caller
// reports with its own position format.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::catalog::expr {

/// True for an ASCII digit.
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
/// True for a byte that may start a bare name: an ASCII letter, '_' or any non-ASCII (UTF-8) byte.
constexpr bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
/// True for a byte that may continue a bare name: is_ident_start or a digit.
constexpr bool is_ident_char(char c) {
  return is_ident_start(c) || is_digit(c);
}

/// `s` with its ASCII upper-case letters lower-cased (keywords and names compare this way).
std::string lower(std::string_view s);

/// True for the words both languages reserve (given lower-case): AND OR NOT IN BETWEEN LIKE IS NULL.
bool is_reserved_word(std::string_view lowered);

enum class TokenKind { Ident, QuotedIdent, String, Number, Op, LParen, RParen, Comma, End };

struct Token {
  TokenKind kind = TokenKind::End;
  std::string text;     ///< name / unquoted string value / number as written / operator / punctuation
  std::size_t pos = 0;  ///< byte offset in the text
};

/// True when `t` is a bare name that reads as keyword `word` (given lower-case), in any ASCII case.
bool is_keyword(const Token& t, std::string_view word);

/// What the languages spell differently, and their wording for the errors that differ.
struct LexSyntax {
  /// Characters that quote a name (the quote doubled inside stands for itself); ' always quotes a string.
  std::string_view name_quotes{};
  /// Numbers may end in an exponent e[+-]digits.
  bool exponent = false;
  /// "1." is a number; otherwise a decimal point needs digits after it.
  bool trailing_dot = false;
  /// Control characters other than white space are errors, inside quotes too.
  bool reject_control = false;
  /// Messages: a 'string without its closing quote, a quoted name without its closing quote, a quoted name
  /// with nothing inside, and the words after "unexpected 'x'" when a name character touches a number.
  std::string_view unterminated_string{};
  std::string_view unterminated_name{};
  std::string_view empty_name{};
  std::string_view after_number{};
  /// A character (not '\0') rejected with "unexpected 'c' " followed by `hint`.
  char hinted = '\0';
  std::string_view hint{};
};

struct LexError {
  std::size_t pos = 0;  ///< byte offset of the problem
  std::string message;  ///< without the position
};

/// Tokens of `text` ending with one End token (at the end of the text), or the first lexical error (tokens
/// then empty). White space (space, \t, \n, \r, \f, \v) separates tokens.
struct LexResult {
  std::vector<Token> tokens;
  std::optional<LexError> error;
};
LexResult tokenize(std::string_view text, const LexSyntax& syntax);

/// A read position in a token list that ends with an End token; it never moves past that End token.
class TokenCursor {
 public:
  /// Starts reading `tokens` (which must end with an End token) from the first.
  void reset(std::vector<Token> tokens);
  /// The token `ahead` places after the cursor (the End token when that runs past the end).
  const Token& peek(std::size_t ahead = 0) const;
  /// The token at the cursor; steps past it unless it is the End token.
  const Token& next();
  /// Steps past `n` tokens (the caller has seen that they are not the End token).
  void skip(std::size_t n = 1) { at_ += n; }
  /// Steps past the token at the cursor when it is keyword `word` (lower-case); false (not moving) if not.
  bool accept_keyword(std::string_view word);

 private:
  std::vector<Token> tokens_;
  std::size_t at_ = 0;
};

// Comparison operators, for any enum with the enumerators Eq, Ne, Lt, Gt, Le, Ge (each language's tree has
// its own).

/// The operator a lexed Op token spells: = <> != < > <= >= (anything else reads as >=).
template <typename Op>
Op compare_op_from(std::string_view text) {
  if (text == "=") return Op::Eq;
  if (text == "<>" || text == "!=") return Op::Ne;
  if (text == "<") return Op::Lt;
  if (text == ">") return Op::Gt;
  if (text == "<=") return Op::Le;
  return Op::Ge;
}

/// The operator with its sides swapped: `literal < key` is `key > literal`.
template <typename Op>
Op flip(Op op) {
  switch (op) {
    case Op::Lt:
      return Op::Gt;
    case Op::Gt:
      return Op::Lt;
    case Op::Le:
      return Op::Ge;
    case Op::Ge:
      return Op::Le;
    default:
      return op;
  }
}

/// The operator's SQL text; Ne is "<>".
template <typename Op>
const char* compare_op_text(Op op) {
  switch (op) {
    case Op::Eq:
      return "=";
    case Op::Ne:
      return "<>";
    case Op::Lt:
      return "<";
    case Op::Gt:
      return ">";
    case Op::Le:
      return "<=";
    case Op::Ge:
      return ">=";
  }
  return "=";
}

/// Whether `value op literal` holds, given `order`: negative, zero or positive as value is less than, equal
/// to or greater than the literal.
template <typename Op>
bool compare_holds(Op op, int order) {
  switch (op) {
    case Op::Eq:
      return order == 0;
    case Op::Ne:
      return order != 0;
    case Op::Lt:
      return order < 0;
    case Op::Gt:
      return order > 0;
    case Op::Le:
      return order <= 0;
    case Op::Ge:
      return order >= 0;
  }
  return false;
}

}  // namespace cairn::catalog::expr
