#include "cairn/crawler/grok.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>

#include "cairn/catalog/error.h"
#include "cairn/crawler/csv_classifier.h"
#include "text_sample.h"

namespace cairn::crawler {

namespace {

constexpr const char* kGrokSerDe = "com.amazonaws.glue.serde.GrokSerDe";
constexpr const char* kTextInputFormat = "org.apache.hadoop.mapred.TextInputFormat";
constexpr const char* kTextOutputFormat = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
constexpr std::size_t kMaxExpandedBytes = 256 * 1024;
constexpr std::int64_t kRe2MaxMem = 64 << 20;
constexpr double kMinMatchingShare = 0.8;
constexpr std::size_t kCacheEntries = 64;
// Glue's marker for parts of a line that are matched but not wanted as columns.
constexpr std::string_view kUnwanted = "UNWANTED";

// The built-in patterns: Logstash's grok-patterns (and Glue's additions BOOLEAN, the *_DATATYPED Apache logs
// and UNWANTED fields), rewritten for RE2, which has no look-around, atomic groups or possessive
// quantifiers: (?>x) became (?:x), look-behind and look-ahead guards such as (?<![0-9]) were dropped (so
// an unanchored IPV4 or BASE10NUM can match inside a longer run of digits), and QUOTEDSTRING no longer
// refuses a quote preceded by a backslash.
const std::vector<std::pair<std::string_view, std::string_view>> kBuiltins = {
    {"USERNAME", R"g([a-zA-Z0-9._-]+)g"},
    {"USER", R"g(%{USERNAME})g"},
    {"EMAILLOCALPART", R"g([a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*)g"},
    {"EMAILADDRESS", R"g(%{EMAILLOCALPART}@%{HOSTNAME})g"},
    {"INT", R"g((?:[+-]?(?:[0-9]+)))g"},
    {"BASE10NUM", R"g([+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+))g"},
    {"NUMBER", R"g((?:%{BASE10NUM}))g"},
    {"BASE16NUM", R"g([+-]?(?:0x)?[0-9A-Fa-f]+)g"},
    {"BASE16FLOAT", R"g(\b[+-]?(?:0x)?(?:[0-9A-Fa-f]+(?:\.[0-9A-Fa-f]*)?|\.[0-9A-Fa-f]+)\b)g"},
    {"POSINT", R"g(\b(?:[1-9][0-9]*)\b)g"},
    {"NONNEGINT", R"g(\b(?:[0-9]+)\b)g"},
    {"BOOLEAN", R"g((?i:true|false))g"},
    {"WORD", R"g(\b\w+\b)g"},
    {"NOTSPACE", R"g(\S+)g"},
    {"SPACE", R"g(\s*)g"},
    {"DATA", R"g(.*?)g"},
    {"GREEDYDATA", R"g(.*)g"},
    {"QUOTEDSTRING", R"g("(?:\\.|[^\\"])*"|'(?:\\.|[^\\'])*'|`(?:\\.|[^\\`])*`)g"},
    {"UUID", R"g([A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12})g"},
    // Networking
    {"CISCOMAC", R"g((?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4})g"},
    {"WINDOWSMAC", R"g((?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2})g"},
    {"COMMONMAC", R"g((?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2})g"},
    {"MAC", R"g(%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC})g"},
    {"IPV6",
     R"g((?:(?:(?:[0-9A-Fa-f]{1,4}:){7}(?:[0-9A-Fa-f]{1,4}|:))|(?:(?:[0-9A-Fa-f]{1,4}:){6}(?::[0-9A-Fa-)g"
     R"g(f]{1,4}|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))g"
     R"g()|(?:(?:[0-9A-Fa-f]{1,4}:){5}(?:(?:(?::[0-9A-Fa-f]{1,4}){1,2})|:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[)g"
     R"g(1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))|(?:(?:[0-9A-Fa-f]{1,4}:){4}(?:(?:(?:)g"
     R"g(:[0-9A-Fa-f]{1,4}){1,3})|(?:(?::[0-9A-Fa-f]{1,4})?:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.)g"
     R"g((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(?:(?:[0-9A-Fa-f]{1,4}:){3}(?:(?:(?::[0-9A-Fa-f])g"
     R"g({1,4}){1,4})|(?:(?::[0-9A-Fa-f]{1,4}){0,2}:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-)g"
     R"g(5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(?:(?:[0-9A-Fa-f]{1,4}:){2}(?:(?:(?::[0-9A-Fa-f]{1,4}){1)g"
     R"g(,5})|(?:(?::[0-9A-Fa-f]{1,4}){0,3}:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4)g"
     R"g(]\d|1\d\d|[1-9]?\d)){3}))|:))|(?:(?:[0-9A-Fa-f]{1,4}:){1}(?:(?:(?::[0-9A-Fa-f]{1,4}){1,6})|(?:)g"
     R"g((?::[0-9A-Fa-f]{1,4}){0,4}:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\)g"
     R"g(d|[1-9]?\d)){3}))|:))|(?::(?:(?:(?::[0-9A-Fa-f]{1,4}){1,7})|(?:(?::[0-9A-Fa-f]{1,4}){0,5}:(?:()g"
     R"g(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:)))(?:%.+)?)g"},
    {"IPV4", R"g((?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})\.(?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})\.)g"
             R"g((?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})\.(?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2}))g"},
    {"IP", R"g(%{IPV6}|%{IPV4})g"},
    {"HOSTNAME",
     R"g(\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(?:\.?|\b))g"},
    {"HOST", R"g(%{HOSTNAME})g"},
    {"IPORHOST", R"g(%{IP}|%{HOSTNAME})g"},
    {"HOSTPORT", R"g(%{IPORHOST}:%{POSINT})g"},
    // Paths
    {"PATH", R"g(%{UNIXPATH}|%{WINPATH})g"},
    {"UNIXPATH", R"g((?:/(?:[\w_%!$@:.,+~-]+|\\.)*)+)g"},
    {"TTY", R"g(/dev/(?:pts|tty[pq]?)(?:\w+)?/?[0-9]+)g"},
    {"WINPATH", R"g((?:[A-Za-z]+:|\\)(?:\\[^\\?*]*)+)g"},
    {"URIPROTO", R"g([A-Za-z]+(?:\+[A-Za-z+]+)?)g"},
    {"URIHOST", R"g(%{IPORHOST}(?::%{POSINT:port})?)g"},
    {"URIPATH", R"g((?:/[A-Za-z0-9$.+!*'(){},~:;=@#%_\-]*)+)g"},
    {"URIPARAM", R"g(\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]]*)g"},
    {"URIPATHPARAM", R"g(%{URIPATH}(?:%{URIPARAM})?)g"},
    {"URI", R"g(%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?)g"},
    // Dates and times
    {"MONTH",
     R"g(\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|)g"
     R"g(Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b)g"},
    {"MONTHNUM", R"g((?:0?[1-9]|1[0-2]))g"},
    {"MONTHNUM2", R"g((?:0[1-9]|1[0-2]))g"},
    {"MONTHDAY", R"g((?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9]))g"},
    {"DAY",
     R"g((?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?))g"},
    {"YEAR", R"g((?:\d\d){1,2})g"},
    {"HOUR", R"g((?:2[0123]|[01]?[0-9]))g"},
    {"MINUTE", R"g((?:[0-5][0-9]))g"},
    {"SECOND", R"g((?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?))g"},
    {"TIME", R"g(%{HOUR}:%{MINUTE}(?::%{SECOND}))g"},
    {"DATE_US", R"g(%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR})g"},
    {"DATE_EU", R"g(%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR})g"},
    {"ISO8601_TIMEZONE", R"g((?:Z|[+-]%{HOUR}(?::?%{MINUTE})))g"},
    {"ISO8601_SECOND", R"g((?:%{SECOND}|60))g"},
    {"TIMESTAMP_ISO8601",
     R"g(%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?)g"},
    {"DATE", R"g(%{DATE_US}|%{DATE_EU})g"},
    {"DATESTAMP", R"g(%{DATE}[- ]%{TIME})g"},
    {"TZ", R"g((?:[PMCE][SD]T|UTC))g"},
    {"DATESTAMP_RFC822", R"g(%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ})g"},
    {"DATESTAMP_RFC2822", R"g(%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE})g"},
    {"DATESTAMP_OTHER", R"g(%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR})g"},
    {"DATESTAMP_EVENTLOG", R"g(%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND})g"},
    {"HTTPDATE", R"g(%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT})g"},
    // Syslog
    {"SYSLOGTIMESTAMP", R"g(%{MONTH} +%{MONTHDAY} %{TIME})g"},
    {"PROG", R"g((?:[\w._/%-]+))g"},
    {"SYSLOGPROG", R"g(%{PROG:program}(?:\[%{POSINT:pid}\])?)g"},
    {"SYSLOGHOST", R"g(%{IPORHOST})g"},
    {"SYSLOGFACILITY", R"g(<%{NONNEGINT:facility}.%{NONNEGINT:priority}>)g"},
    {"SYSLOGBASE",
     R"g(%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} %{SYSLOGPROG}:)g"},
    {"QS", R"g(%{QUOTEDSTRING})g"},
    // Log formats
    {"COMMONAPACHELOG",
     R"g(%{IPORHOST:clientip} %{USER:ident} %{USER:auth} \[%{HTTPDATE:timestamp}\] "(?:%{WORD:verb} )g"
     R"g(%{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})" %{NUMBER:response} )g"
     R"g((?:%{NUMBER:bytes}|-))g"},
    {"COMBINEDAPACHELOG", R"g(%{COMMONAPACHELOG} %{QS:referrer} %{QS:agent})g"},
    {"COMMONAPACHELOG_DATATYPED",
     R"g(%{IPORHOST:clientip} %{USER:ident} %{USER:auth} \[%{HTTPDATE:timestamp}\] "(?:%{WORD:verb} )g"
     R"g(%{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion:float})?|%{DATA:rawrequest})" )g"
     R"g(%{NUMBER:response:int} (?:%{NUMBER:bytes:long}|-))g"},
    {"COMBINEDAPACHELOG_DATATYPED", R"g(%{COMMONAPACHELOG_DATATYPED} %{QS:referrer} %{QS:agent})g"},
    {"LOGLEVEL",
     R"g(([Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|[Ww]arn?(?:ing)?|)g"
     R"g(WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|)g"
     R"g([Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?))g"},
};

// Grok's :type suffixes and the Hive types of their columns (Glue: byte, boolean, double, short, int, long,
// float; string is the default).
const std::map<std::string, std::string>& grok_types() {
  static const std::map<std::string, std::string> types = {
      {"string", "string"}, {"byte", "tinyint"}, {"short", "smallint"}, {"int", "int"},
      {"long", "bigint"},   {"float", "float"},  {"double", "double"},  {"boolean", "boolean"},
  };
  return types;
}

bool is_pattern_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

struct CustomDef {
  std::string definition;
  std::size_t line = 0;
};

std::map<std::string, CustomDef> parse_custom_patterns(std::string_view text) {
  std::map<std::string, CustomDef> out;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text::trim(text.substr(pos, end - pos));
    ++line_no;
    pos = end + 1;
    if (line.empty() || line.front() == '#') continue;
    std::size_t name_end = 0;
    while (name_end < line.size() && !text::is_space(line[name_end])) ++name_end;
    std::string name(line.substr(0, name_end));
    std::string where = "custom pattern on line " + std::to_string(line_no);
    if (!std::all_of(name.begin(), name.end(), is_pattern_name_char)) {
      throw_invalid("custom_patterns", where + ": the name '" + name +
                                           "' may only hold letters, digits and '_' (write \"NAME regex\")");
    }
    std::string_view definition = text::trim(line.substr(name_end));
    if (definition.empty())
      throw_invalid("custom_patterns", where + ": " + name + " has no regular expression");
    auto [it, inserted] = out.emplace(name, CustomDef{std::string(definition), line_no});
    if (!inserted) {
      throw_invalid("custom_patterns",
                    where + ": " + name + " is already defined on line " + std::to_string(it->second.line));
    }
  }
  return out;
}

// One capture group of the expanded regex: which field it fills.
struct Group {
  std::string re2_name;
  std::size_t field = 0;
};

// Expands %{...} references and named groups into one RE2 expression whose capture groups are named
// _g0, _g1, … in order of appearance.
class Expander {
 public:
  explicit Expander(const std::map<std::string, CustomDef>& custom) : custom_(custom) {
    for (const auto& [name, definition] : kBuiltins) builtins_.emplace(name, definition);
  }

  void expand(std::string_view text, const std::string& field) {
    std::size_t i = 0;
    while (i < text.size()) {
      char c = text[i];
      if (c == '\\') {
        std::size_t n = std::min<std::size_t>(2, text.size() - i);
        append(text.substr(i, n), field);
        i += n;
      } else if (c == '[') {
        std::size_t end = class_end(text, i);
        if (end == std::string_view::npos) fail(field, "an unclosed '[' in " + where());
        append(text.substr(i, end - i), field);
        i = end;
      } else if (c == '%' && i + 1 < text.size() && text[i + 1] == '{') {
        std::size_t close = text.find('}', i + 2);
        if (close == std::string_view::npos) fail(field, "an unclosed '%{' in " + where());
        reference(text.substr(i + 2, close - i - 2), field);
        i = close + 1;
      } else if (c == '(' && text.substr(i, 4) == "(?P<") {
        i = named_group(text, i + 4, field);
      } else if (c == '(' && text.substr(i, 3) == "(?<" && i + 3 < text.size() && text[i + 3] != '=' &&
                 text[i + 3] != '!') {
        i = named_group(text, i + 3, field);
      } else {
        append(text.substr(i, 1), field);
        ++i;
      }
    }
  }

  std::string out;
  std::vector<GrokField> fields;
  std::vector<Group> groups;

 private:
  // The end (one past ']') of the character class starting at `start`, or npos when it is not closed.
  static std::size_t class_end(std::string_view text, std::size_t start) {
    std::size_t i = start + 1;
    if (i < text.size() && text[i] == '^') ++i;
    if (i < text.size() && text[i] == ']') ++i;
    while (i < text.size()) {
      if (text[i] == '\\') {
        i += 2;
        continue;
      }
      if (text[i] == '[' && i + 1 < text.size() && text[i + 1] == ':') {
        std::size_t close = text.find(":]", i + 2);
        if (close != std::string_view::npos) {
          i = close + 2;
          continue;
        }
      }
      if (text[i] == ']') return i + 1;
      ++i;
    }
    return std::string_view::npos;
  }

  std::string where() const {
    return stack_.empty() ? std::string("the pattern") : "pattern " + stack_.back();
  }

  [[noreturn]] void fail(const std::string& field, const std::string& message) const {
    throw_invalid(field, "invalid Grok pattern: " + message);
  }

  void append(std::string_view s, const std::string& field) {
    out.append(s);
    if (out.size() > kMaxExpandedBytes) {
      fail(field, "it expands to more than " + std::to_string(kMaxExpandedBytes / 1024) +
                      " KiB of regular expression (patterns that refer to each other many times?)");
    }
  }

  // %{NAME}, %{NAME:field}, %{NAME:field:type}.
  void reference(std::string_view body, const std::string& field) {
    std::string_view name = body;
    std::string_view target;
    std::string_view type;
    std::size_t colon = body.find(':');
    if (colon != std::string_view::npos) {
      name = body.substr(0, colon);
      target = body.substr(colon + 1);
      std::size_t sep = target.find(':');
      if (sep != std::string_view::npos) {
        type = target.substr(sep + 1);
        target = target.substr(0, sep);
        if (type.empty()) fail(field, "'%{" + std::string(body) + "}' names no type after the second ':'");
      }
      if (target.empty()) fail(field, "'%{" + std::string(body) + "}' names no field after ':'");
    }
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_pattern_name_char)) {
      fail(field,
           "'%{" + std::string(body) +
               "}' is not a reference: write %{NAME}, %{NAME:field} or %{NAME:field:type} with NAME of "
               "letters, digits and '_'");
    }
    std::string hive_type = "string";
    if (!type.empty()) {
      auto it = grok_types().find(text::ascii_lower(type));
      if (it == grok_types().end()) {
        fail(field, "'%{" + std::string(body) + "}' has the unknown type '" + std::string(type) +
                        "' (known: byte, short, int, long, float, double, boolean, string)");
      }
      hive_type = it->second;
    }
    std::string key(name);
    if (std::find(stack_.begin(), stack_.end(), key) != stack_.end()) {
      std::string cycle;
      for (auto it = std::find(stack_.begin(), stack_.end(), key); it != stack_.end(); ++it)
        cycle += *it + " -> ";
      fail("custom_patterns", "patterns refer to each other in a cycle: " + cycle + key);
    }
    std::string_view definition;
    std::string definition_field;
    if (auto it = custom_.find(key); it != custom_.end()) {
      definition = it->second.definition;
      definition_field = "custom_patterns";
    } else if (auto b = builtins_.find(key); b != builtins_.end()) {
      definition = b->second;
      definition_field = field;
    } else {
      fail(field, "unknown pattern %{" + key + "} in " + where() +
                      " (define it in the custom patterns; names are case-sensitive)");
    }
    open_group(target, hive_type, field);
    stack_.push_back(key);
    expand(definition, definition_field);
    stack_.pop_back();
    append(")", field);
  }

  // (?P<name>…) or (?<name>…) written in a pattern: a string field. `i` is just after '<'.
  std::size_t named_group(std::string_view text, std::size_t i, const std::string& field) {
    std::size_t close = text.find('>', i);
    if (close == std::string_view::npos) fail(field, "an unclosed named group '(?<' in " + where());
    std::string_view name = text.substr(i, close - i);
    if (name.empty()) fail(field, "a named group without a name in " + where());
    open_group(name, "string", field);
    return close + 1;
  }

  // Opens a capture group for field `target` (a non-capturing group when `target` is empty or UNWANTED).
  void open_group(std::string_view target, const std::string& hive_type, const std::string& field) {
    if (target.empty() || target == kUnwanted) {
      append("(?:", field);
      return;
    }
    std::string column = sanitize_csv_column_name(target);
    if (column.empty()) column = "col" + std::to_string(fields.size());
    std::size_t index = fields.size();
    for (std::size_t k = 0; k < fields.size(); ++k) {
      if (fields[k].name == column) index = k;
    }
    if (index == fields.size()) {
      fields.push_back(GrokField{column, hive_type});
    } else if (fields[index].hive_type != hive_type) {
      fields[index].hive_type = "string";  // the same field with two types: only text holds both
    }
    std::string re2_name = "_g" + std::to_string(groups.size());
    groups.push_back(Group{re2_name, index});
    append("(?P<" + re2_name + ">", field);
  }

  const std::map<std::string, CustomDef>& custom_;
  std::unordered_map<std::string_view, std::string_view> builtins_;
  std::vector<std::string> stack_;
};

std::string re2_hint(const std::string& error) {
  if (error.find("perl operator") != std::string::npos || error.find("(?<") != std::string::npos ||
      error.find("(?=") != std::string::npos || error.find("(?!") != std::string::npos ||
      error.find("(?>") != std::string::npos) {
    return " (RE2 has no look-ahead, look-behind, atomic groups or possessive quantifiers: rewrite the "
           "expression without them)";
  }
  if (error.find("escape sequence: \\") != std::string::npos) {
    return " (RE2 has no back-references such as \\1)";
  }
  return {};
}

}  // namespace

struct GrokPattern::Impl {
  std::string regex;
  std::unique_ptr<RE2> re;
  // The field index of each capture group, by RE2 group number (1-based; index 0 unused).
  std::vector<std::size_t> group_field;
};

GrokPattern::GrokPattern(std::unique_ptr<Impl> impl, std::vector<GrokField> fields)
    : impl_(std::move(impl)), fields_(std::move(fields)) {}

GrokPattern::~GrokPattern() = default;

const std::string& GrokPattern::regex() const {
  return impl_->regex;
}

std::shared_ptr<const GrokPattern> GrokPattern::compile(std::string_view pattern,
                                                        std::string_view custom_patterns) {
  if (text::trim(pattern).empty()) throw_invalid("pattern", "the Grok pattern is empty");
  std::map<std::string, CustomDef> custom = parse_custom_patterns(custom_patterns);
  Expander expander(custom);
  expander.expand(pattern, "pattern");

  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kRe2MaxMem);
  auto impl = std::make_unique<Impl>();
  impl->regex = std::move(expander.out);
  impl->re = std::make_unique<RE2>(impl->regex, options);
  if (!impl->re->ok()) {
    const std::string& arg = impl->re->error_arg();
    std::string field =
        (!arg.empty() && pattern.find(arg) == std::string_view::npos && !custom_patterns.empty())
            ? "custom_patterns"
            : "pattern";
    throw_invalid(field, "invalid Grok pattern: the regular expression does not compile: " +
                             impl->re->error() + re2_hint(impl->re->error()));
  }
  impl->group_field.assign(static_cast<std::size_t>(impl->re->NumberOfCapturingGroups()) + 1, SIZE_MAX);
  const auto& named = impl->re->NamedCapturingGroups();
  for (const Group& g : expander.groups) {
    auto it = named.find(g.re2_name);
    if (it != named.end()) impl->group_field[static_cast<std::size_t>(it->second)] = g.field;
  }
  return std::shared_ptr<const GrokPattern>(new GrokPattern(std::move(impl), std::move(expander.fields)));
}

bool GrokPattern::matches(std::string_view line) const {
  return RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), *impl_->re);
}

std::optional<std::vector<std::string>> GrokPattern::parse(std::string_view line) const {
  std::vector<re2::StringPiece> groups(impl_->group_field.size());
  if (!impl_->re->Match(re2::StringPiece(line.data(), line.size()), 0, line.size(), RE2::UNANCHORED,
                        groups.data(), static_cast<int>(groups.size()))) {
    return std::nullopt;
  }
  std::vector<std::string> values(fields_.size());
  std::vector<bool> set(fields_.size(), false);
  for (std::size_t g = 1; g < groups.size(); ++g) {
    std::size_t f = impl_->group_field[g];
    if (f == SIZE_MAX || set[f] || groups[g].data() == nullptr) continue;
    values[f] = std::string(groups[g].data(), groups[g].size());
    set[f] = true;
  }
  return values;
}

const std::vector<std::pair<std::string_view, std::string_view>>& builtin_grok_patterns() {
  return kBuiltins;
}

namespace {

// Compiled patterns by (pattern, custom patterns), least recently used first out: a crawl classifies many
// files with the same few classifiers.
class GrokCache {
 public:
  std::shared_ptr<const GrokPattern> get(const std::string& pattern, const std::string& custom) {
    auto key = std::make_pair(pattern, custom);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = index_.find(key);
      if (it != index_.end()) {
        order_.splice(order_.begin(), order_, it->second);
        return it->second->second;
      }
    }
    std::shared_ptr<const GrokPattern> compiled = GrokPattern::compile(pattern, custom);
    std::lock_guard<std::mutex> lock(mutex_);
    if (index_.find(key) == index_.end()) {
      order_.emplace_front(key, compiled);
      index_.emplace(std::move(key), order_.begin());
      if (order_.size() > kCacheEntries) {
        index_.erase(order_.back().first);
        order_.pop_back();
      }
    }
    return compiled;
  }

 private:
  using Key = std::pair<std::string, std::string>;
  std::mutex mutex_;  // guards order_ and index_
  std::list<std::pair<Key, std::shared_ptr<const GrokPattern>>> order_;
  std::map<Key, decltype(order_)::iterator> index_;
};

GrokCache& grok_cache() {
  static GrokCache cache;
  return cache;
}

}  // namespace

std::optional<FileSchema> classify_grok(std::string_view sample, const GrokOptions& options, bool truncated) {
  std::shared_ptr<const GrokPattern> pattern = grok_cache().get(options.pattern, options.custom_patterns);
  std::string_view body = text::strip_utf8_bom(sample);
  if (pattern->fields().empty() || text::looks_binary(body)) return std::nullopt;
  if (truncated) {
    std::size_t last_break = body.find_last_of("\r\n");
    body = last_break == std::string_view::npos ? std::string_view() : body.substr(0, last_break + 1);
  }
  std::size_t lines = 0;
  std::size_t matched = 0;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (text::trim(line).empty()) continue;
    ++lines;
    if (pattern->matches(line)) ++matched;
  }
  if (lines == 0) return std::nullopt;
  double share = static_cast<double>(matched) / static_cast<double>(lines);
  if (share < kMinMatchingShare) return std::nullopt;

  FileSchema fs;
  fs.classification = options.classification.empty() ? "grok" : options.classification;
  for (const GrokField& field : pattern->fields()) {
    catalog::Column column;
    column.name = field.name;
    column.type = field.hive_type;
    fs.columns.push_back(std::move(column));
  }
  fs.record_count = static_cast<std::int64_t>(lines);
  fs.record_count_exact = !truncated;
  fs.serialization_library = kGrokSerDe;
  fs.input_format = kTextInputFormat;
  fs.output_format = kTextOutputFormat;
  fs.serde_parameters["input.format"] = options.pattern;
  if (!options.custom_patterns.empty())
    fs.serde_parameters["input.grokCustomPatterns"] = options.custom_patterns;
  fs.certainty = matched == lines ? 1.0 : 0.9 * share;
  return fs;
}

}  // namespace cairn::crawler
