#include "cairn/crawler/grok.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "crawler/test_util.h"

namespace {

using cairn::Error;
using cairn::ErrorCode;
using cairn::crawler::classify_grok;
using cairn::crawler::FileSchema;
using cairn::crawler::GrokOptions;
using cairn::crawler::GrokPattern;
using cairn::crawler::test::columns_of;

// The message of the error compiling `pattern`, checking its code and field.
std::string error_of(const std::string& pattern, const std::string& custom, const std::string& field) {
  try {
    GrokPattern::compile(pattern, custom);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), field) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for " << pattern;
  return {};
}

#define EXPECT_GROK_ERROR(pattern, custom, field, fragment)          \
  do {                                                               \
    std::string message = error_of(pattern, custom, field);          \
    EXPECT_NE(message.find(fragment), std::string::npos) << message; \
  } while (0)

bool full_match(const std::string& name, const std::string& text) {
  return GrokPattern::compile("^%{" + name + "}$")->matches(text);
}

const std::string kApacheLines =
    R"x(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 )x"
    R"x("http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)")x"
    "\n"
    R"x(192.168.1.20 - - [11/Oct/2000:14:01:02 +0000] "POST /api/v1/items?id=7 HTTP/1.1" 201 - "-" "curl/8.4.0")x"
    "\n"
    R"x(2001:db8::1 - alice [12/Oct/2000:00:00:00 +0200] "-" 408 0 "-" "-")x"
    "\n";

// ---------------------------------------------------------------------------------------------------------------
// Invalid patterns first.

TEST(Grok, RejectsMalformedReferences) {
  EXPECT_GROK_ERROR("", "", "pattern", "empty");
  EXPECT_GROK_ERROR("  ", "", "pattern", "empty");
  EXPECT_GROK_ERROR("%{INT", "", "pattern", "unclosed '%{'");
  EXPECT_GROK_ERROR("%{IN T}", "", "pattern", "is not a reference");
  EXPECT_GROK_ERROR("%{:x}", "", "pattern", "is not a reference");
  EXPECT_GROK_ERROR("%{INT:}", "", "pattern", "names no field");
  EXPECT_GROK_ERROR("%{INT:x:}", "", "pattern", "names no type");
  EXPECT_GROK_ERROR("%{INT:x:date}", "", "pattern", "unknown type 'date'");
  EXPECT_GROK_ERROR("%{NOPE:x}", "", "pattern", "unknown pattern %{NOPE}");
  EXPECT_GROK_ERROR("%{int:x}", "", "pattern", "names are case-sensitive");
  EXPECT_GROK_ERROR("[a-z", "", "pattern", "unclosed '['");
  EXPECT_GROK_ERROR("(?<name", "", "pattern", "unclosed named group");
}

TEST(Grok, RejectsBadCustomPatterns) {
  EXPECT_GROK_ERROR("%{A}", "A %{B}\nB %{A}", "custom_patterns", "cycle: A -> B -> A");
  EXPECT_GROK_ERROR("%{A}", "A x%{A}", "custom_patterns", "cycle: A -> A");
  EXPECT_GROK_ERROR("%{FOO}", "FOO", "custom_patterns", "line 1: FOO has no regular expression");
  EXPECT_GROK_ERROR("%{FOO}", "# comment\n\nFO-O x", "custom_patterns", "line 3: the name 'FO-O'");
  EXPECT_GROK_ERROR("%{FOO}", "FOO a\nFOO b", "custom_patterns", "already defined on line 1");
  EXPECT_GROK_ERROR("%{FOO}", "FOO %{MISSING}", "custom_patterns",
                    "unknown pattern %{MISSING} in pattern FOO");
  EXPECT_GROK_ERROR("%{FOO:f}", "FOO %{BAR:b:datetime}\nBAR x", "custom_patterns", "unknown type 'datetime'");
}

TEST(Grok, ExplainsWhatRe2CannotDo) {
  EXPECT_GROK_ERROR("%{X:x}", "X (?<!a)b", "custom_patterns", "look-behind");
  EXPECT_GROK_ERROR("a(?=b)%{INT:x}", "", "pattern", "look-ahead");
  EXPECT_GROK_ERROR("(?>a)%{INT:x}", "", "pattern", "atomic");
  EXPECT_GROK_ERROR("(a)\\1%{INT:x}", "", "pattern", "back-references");
  EXPECT_GROK_ERROR("%{INT:x}(", "", "pattern", "does not compile");
}

TEST(Grok, RefusesExpansionBombs) {
  std::string custom = "A0 xx\n";
  for (int i = 1; i <= 20; ++i) {
    custom +=
        "A" + std::to_string(i) + " %{A" + std::to_string(i - 1) + "}%{A" + std::to_string(i - 1) + "}\n";
  }
  EXPECT_GROK_ERROR("%{A20:x}", custom, "custom_patterns", "more than 256 KiB");
}

// ---------------------------------------------------------------------------------------------------------------
// Built-in patterns.

TEST(Grok, EveryBuiltInPatternCompiles) {
  for (const auto& [name, definition] : cairn::crawler::builtin_grok_patterns()) {
    EXPECT_NO_THROW(GrokPattern::compile("%{" + std::string(name) + "}")) << name << " = " << definition;
  }
  EXPECT_GE(cairn::crawler::builtin_grok_patterns().size(), 70u);
}

TEST(Grok, BuiltInPatternsMatchWhatTheirNamesSay) {
  EXPECT_TRUE(full_match("INT", "-42"));
  EXPECT_FALSE(full_match("INT", "4.2"));
  EXPECT_TRUE(full_match("NUMBER", "+4.25"));
  EXPECT_TRUE(full_match("NUMBER", ".5"));
  EXPECT_FALSE(full_match("NUMBER", "1e5"));
  EXPECT_TRUE(full_match("BOOLEAN", "TRUE"));
  EXPECT_TRUE(full_match("BASE16NUM", "0x1F"));
  EXPECT_TRUE(full_match("POSINT", "17"));
  EXPECT_FALSE(full_match("POSINT", "017"));
  EXPECT_TRUE(full_match("USERNAME", "j.doe-1_x"));
  EXPECT_TRUE(full_match("WORD", "hello_1"));
  EXPECT_TRUE(full_match("QUOTEDSTRING", R"("say \"hi\"")"));
  EXPECT_TRUE(full_match("QUOTEDSTRING", "'single'"));
  EXPECT_TRUE(full_match("QUOTEDSTRING", "\"\""));
  EXPECT_FALSE(full_match("QUOTEDSTRING", "\"open"));
  EXPECT_TRUE(full_match("UUID", "123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_TRUE(full_match("MAC", "00:1a:2B:3c:4d:5e"));
  EXPECT_TRUE(full_match("MAC", "001a.2b3c.4d5e"));
  EXPECT_TRUE(full_match("MAC", "00-1A-2B-3C-4D-5E"));
  EXPECT_TRUE(full_match("IPV4", "192.168.0.255"));
  EXPECT_FALSE(full_match("IPV4", "256.1.1.1"));
  EXPECT_TRUE(full_match("IPV6", "2001:db8::ff00:42:8329"));
  EXPECT_TRUE(full_match("IPV6", "::1"));
  EXPECT_TRUE(full_match("IPV6", "::ffff:192.0.2.1"));
  EXPECT_TRUE(full_match("IPV6", "fe80::1%eth0"));
  EXPECT_FALSE(full_match("IPV6", "1:2:3"));
  EXPECT_TRUE(full_match("IP", "10.0.0.1"));
  EXPECT_TRUE(full_match("HOSTNAME", "db-1.eu-west.example.com"));
  EXPECT_TRUE(full_match("IPORHOST", "example.org"));
  EXPECT_TRUE(full_match("HOSTPORT", "example.org:8080"));
  EXPECT_TRUE(full_match("UNIXPATH", "/var/log/app-1.log"));
  EXPECT_TRUE(full_match("PATH", "C:\\logs\\app.log"));
  EXPECT_TRUE(full_match("URIPATH", "/a/b.html"));
  EXPECT_TRUE(full_match("URIPARAM", "?q=1&r=%20x"));
  EXPECT_TRUE(full_match("URI", "https://user@example.com:8443/p/a?x=1"));
  EXPECT_TRUE(full_match("EMAILADDRESS", "first.last+tag@example.co.uk"));
  EXPECT_TRUE(full_match("MONTH", "September"));
  EXPECT_TRUE(full_match("MONTHNUM", "09"));
  EXPECT_TRUE(full_match("MONTHDAY", "31"));
  EXPECT_FALSE(full_match("MONTHDAY", "32"));
  EXPECT_TRUE(full_match("YEAR", "2024"));
  EXPECT_TRUE(full_match("TIME", "23:59:60.123"));
  EXPECT_TRUE(full_match("DATE_US", "12/31/2024"));
  EXPECT_TRUE(full_match("DATE_EU", "31.12.2024"));
  EXPECT_TRUE(full_match("DATE", "31.12.2024"));
  EXPECT_TRUE(full_match("TIMESTAMP_ISO8601", "2024-03-01T12:34:56.789+01:00"));
  EXPECT_TRUE(full_match("TIMESTAMP_ISO8601", "2024-03-01 12:34:56Z"));
  EXPECT_TRUE(full_match("HTTPDATE", "10/Oct/2000:13:55:36 -0700"));
  EXPECT_TRUE(full_match("SYSLOGTIMESTAMP", "Feb  9 07:15:00"));
  EXPECT_TRUE(full_match("DATESTAMP_RFC2822", "Sun, 10 Mar 2024 02:30:00 +0000"));
  EXPECT_TRUE(full_match("LOGLEVEL", "WARNING"));
  EXPECT_TRUE(full_match("LOGLEVEL", "err"));
  EXPECT_TRUE(full_match("DATA", ""));
  EXPECT_TRUE(full_match("SPACE", ""));
}

TEST(Grok, CombinedApacheLogHasLogstashFields) {
  auto pattern = GrokPattern::compile("%{COMBINEDAPACHELOG}");
  std::vector<std::string> names;
  for (const auto& f : pattern->fields()) names.push_back(f.name + ":" + f.hive_type);
  EXPECT_EQ(names, (std::vector<std::string>{"clientip:string", "ident:string", "auth:string",
                                             "timestamp:string", "verb:string", "request:string",
                                             "httpversion:string", "rawrequest:string", "response:string",
                                             "bytes:string", "referrer:string", "agent:string"}));
  auto values = pattern->parse(kApacheLines.substr(0, kApacheLines.find('\n')));
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ(*values, (std::vector<std::string>{"127.0.0.1", "-", "frank", "10/Oct/2000:13:55:36 -0700", "GET",
                                               "/apache_pb.gif", "1.0", "", "200", "2326",
                                               "\"http://www.example.com/start.html\"",
                                               "\"Mozilla/4.08 [en] (Win98; I ;Nav)\""}));
  EXPECT_FALSE(pattern->parse("not a log line").has_value());
}

TEST(Grok, DataTypedApacheLogHasTypes) {
  auto pattern = GrokPattern::compile("%{COMMONAPACHELOG_DATATYPED}");
  std::vector<std::string> types;
  for (const auto& f : pattern->fields()) types.push_back(f.name + ":" + f.hive_type);
  EXPECT_EQ(types,
            (std::vector<std::string>{"clientip:string", "ident:string", "auth:string", "timestamp:string",
                                      "verb:string", "request:string", "httpversion:float",
                                      "rawrequest:string", "response:int", "bytes:bigint"}));
}

// ---------------------------------------------------------------------------------------------------------------
// Fields and types.

TEST(Grok, TypesMapToHive) {
  auto pattern = GrokPattern::compile(
      "%{INT:a:byte} %{INT:b:short} %{INT:c:int} %{INT:d:long} %{NUMBER:e:float} %{NUMBER:f:double} "
      "%{WORD:g:boolean} %{WORD:h:string} %{WORD:i} %{WORD:j:INT}");
  std::vector<std::string> types;
  for (const auto& f : pattern->fields()) types.push_back(f.name + ":" + f.hive_type);
  EXPECT_EQ(types, (std::vector<std::string>{"a:tinyint", "b:smallint", "c:int", "d:bigint", "e:float",
                                             "f:double", "g:boolean", "h:string", "i:string", "j:int"}));
}

TEST(Grok, FieldNamesAreSanitizedAndDeduplicated) {
  auto pattern = GrokPattern::compile(
      "%{WORD:Client-IP} %{INT:n:int} %{WORD:client_ip} %{INT:UNWANTED} (?<User>\\w+) "
      "(?P<host>\\w+)|%{WORD:n}");
  std::vector<std::string> names;
  for (const auto& f : pattern->fields()) names.push_back(f.name + ":" + f.hive_type);
  // client_ip twice is one column; n is an int and a string, so a string; UNWANTED is no column.
  EXPECT_EQ(names, (std::vector<std::string>{"client_ip:string", "n:string", "user:string", "host:string"}));
  auto values = pattern->parse("a 7 b 9 carol db1");
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ(*values, (std::vector<std::string>{"a", "7", "carol", "db1"}));
}

TEST(Grok, CustomPatternsComposeAndHideBuiltIns) {
  const std::string custom =
      "# postfix queue ids\n"
      "POSTFIX_QUEUEID [0-9A-F]{10,11}\n"
      "  MSG %{POSTFIX_QUEUEID:queue_id}: %{GREEDYDATA:message}  \n"
      "INT [0-9]+\r\n";
  auto pattern = GrokPattern::compile("^%{SYSLOGTIMESTAMP:ts} %{HOSTNAME:host} %{MSG}$", custom);
  std::vector<std::string> names;
  for (const auto& f : pattern->fields()) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"ts", "host", "queue_id", "message"}));
  auto values = pattern->parse("Feb  9 07:15:00 m4eastmail B88C4120838: connect from unknown[192.168.55.4]");
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ((*values)[2], "B88C4120838");
  // The custom INT (digits only) replaces the built-in one, also inside built-ins.
  auto digits = GrokPattern::compile("^%{INT:n}$", custom);
  EXPECT_FALSE(digits->matches("-5"));
  EXPECT_TRUE(digits->matches("5"));
}

TEST(Grok, MatchesAnywhereUnlessAnchored) {
  auto loose = GrokPattern::compile("%{INT:n}");
  EXPECT_TRUE(loose->matches("abc 42 def"));
  auto anchored = GrokPattern::compile("^%{INT:n}$");
  EXPECT_FALSE(anchored->matches("abc 42 def"));
  EXPECT_TRUE(anchored->matches("42"));
  EXPECT_EQ(anchored->regex().substr(0, 1), "^");
}

TEST(Grok, PercentWithoutBraceAndBracketsAreLiteral) {
  auto pattern = GrokPattern::compile("^100% [%{] %{INT:n}$");
  EXPECT_TRUE(pattern->matches("100% { 5"));
}

// ---------------------------------------------------------------------------------------------------------------
// The Grok classifier.

GrokOptions apache() {
  GrokOptions o;
  o.classification = "apache_access";
  o.pattern = "%{COMBINEDAPACHELOG}";
  return o;
}

TEST(Grok, ClassifiesApacheLogsWithGrokSerDe) {
  std::optional<FileSchema> fs = classify_grok(kApacheLines, apache(), false);
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(fs->classification, "apache_access");
  EXPECT_EQ(fs->certainty, 1.0);
  EXPECT_EQ(columns_of(*fs).size(), 12u);
  EXPECT_EQ(columns_of(*fs)[0], "clientip:string");
  EXPECT_EQ(fs->record_count, 3);
  EXPECT_TRUE(fs->record_count_exact);
  EXPECT_EQ(fs->serialization_library, "com.amazonaws.glue.serde.GrokSerDe");
  EXPECT_EQ(fs->input_format, "org.apache.hadoop.mapred.TextInputFormat");
  EXPECT_EQ(fs->output_format, "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat");
  EXPECT_EQ(fs->serde_parameters.at("input.format"), "%{COMBINEDAPACHELOG}");
  EXPECT_EQ(fs->serde_parameters.count("input.grokCustomPatterns"), 0u);
}

TEST(Grok, CustomPatternsAreASerDeParameter) {
  GrokOptions o;
  o.classification = "kv";
  o.pattern = "^%{KEY:key}=%{INT:value:int}$";
  o.custom_patterns = "KEY [a-z]+";
  std::optional<FileSchema> fs = classify_grok("a=1\r\nb=2\r\n\r\n", o, false);
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(columns_of(*fs), (std::vector<std::string>{"key:string", "value:int"}));
  EXPECT_EQ(fs->serde_parameters.at("input.grokCustomPatterns"), "KEY [a-z]+");
  EXPECT_EQ(fs->record_count, 2);
}

TEST(Grok, SomeLinesNotMatchingLowerTheCertainty) {
  std::string sample;
  for (int i = 0; i < 9; ++i) sample += "k=" + std::to_string(i) + "\n";
  sample += "garbage\n";
  GrokOptions o;
  o.classification = "kv";
  o.pattern = "^%{WORD:key}=%{INT:value:int}$";
  std::optional<FileSchema> fs = classify_grok(sample, o, false);
  ASSERT_TRUE(fs.has_value());
  EXPECT_DOUBLE_EQ(fs->certainty, 0.9 * 0.9);
  sample += "more garbage\nand more\n";  // 9 of 12 match: below 80%
  EXPECT_FALSE(classify_grok(sample, o, false).has_value());
}

TEST(Grok, TruncatedSampleDropsItsCutLine) {
  GrokOptions o;
  o.classification = "kv";
  o.pattern = "^%{WORD:key}=%{INT:value:int}$";
  std::optional<FileSchema> fs = classify_grok("a=1\nb=2\nc=", o, true);
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(fs->certainty, 1.0);
  EXPECT_EQ(fs->record_count, 2);
  EXPECT_FALSE(fs->record_count_exact);
  EXPECT_FALSE(classify_grok("a=1", o, true).has_value());  // one cut line: nothing to judge
}

TEST(Grok, RejectsBinaryBlankAndFieldlessSamples) {
  GrokOptions o = apache();
  EXPECT_FALSE(classify_grok(std::string("\x00\x01\x02garbage\n", 11), o, false).has_value());
  EXPECT_FALSE(classify_grok("", o, false).has_value());
  EXPECT_FALSE(classify_grok("\n  \n", o, false).has_value());
  o.pattern = "%{GREEDYDATA}";
  EXPECT_FALSE(classify_grok("anything\n", o, false).has_value());
  o.classification.clear();
  o.pattern = "%{GREEDYDATA:line}";
  EXPECT_EQ(classify_grok("\xef\xbb\xbf"
                          "anything\n",
                          o, false)
                ->classification,
            "grok");
  EXPECT_THROW(classify_grok("x\n", GrokOptions{"c", "%{NOPE:x}", ""}, false), Error);
}

}  // namespace
