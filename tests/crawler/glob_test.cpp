#include "cairn/crawler/glob.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cairn/catalog/error.h"

namespace {

using cairn::Error;
using cairn::ErrorCode;
using cairn::crawler::GlobSet;

GlobSet globs(std::vector<std::string> patterns) {
  return GlobSet::create(patterns);
}

bool excluded(const std::string& pattern, const std::string& path) {
  return globs({pattern}).excluded(path);
}

// The message of the error for `patterns`, checking its code and that it names exclusions[index].
std::string error_of(const std::vector<std::string>& patterns, std::size_t index) {
  try {
    GlobSet::create(patterns);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), "exclusions[" + std::to_string(index) + "]") << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

#define EXPECT_GLOB_ERROR(pattern, fragment)                                            \
  do {                                                                                  \
    std::string message = error_of({"ok/**", pattern}, 1);                              \
    EXPECT_NE(message.find(fragment), std::string::npos) << pattern << ": " << message; \
  } while (0)

// ---------------------------------------------------------------------------------------------------------------
// Invalid patterns first.

TEST(Glob, RejectsInvalidPatternsNamingThem) {
  EXPECT_GLOB_ERROR("", "empty");
  EXPECT_GLOB_ERROR("logs/[a-z", "never closed by ']'");
  EXPECT_GLOB_ERROR("logs/[", "never closed by ']'");
  EXPECT_GLOB_ERROR("[]", "never closed by ']'");
  EXPECT_GLOB_ERROR("*.{csv,json", "'{' is never closed");
  EXPECT_GLOB_ERROR("{a,{b,c}", "'{' is never closed");
  EXPECT_GLOB_ERROR("logs\\", "escapes nothing");
  EXPECT_GLOB_ERROR("/logs/**", "starts with '/'");
  EXPECT_GLOB_ERROR("[z-a]", "runs backwards");
  EXPECT_GLOB_ERROR("a[x/y]b", "cannot match '/'");
  EXPECT_GLOB_ERROR("a[!.-0]b", "cannot match '/'");
  EXPECT_GLOB_ERROR("bad\xff", "not valid UTF-8");
  EXPECT_NE(error_of({"x["}, 0).find("invalid exclusion pattern 'x['"), std::string::npos);
}

TEST(Glob, RejectsBracesNestedTooDeep) {
  std::string deep(40, '{');
  deep += "a";
  deep += std::string(40, '}');
  EXPECT_GLOB_ERROR(deep, "nest more than");
}

// ---------------------------------------------------------------------------------------------------------------
// Matching (Glue's exclude semantics: Java's glob).

TEST(Glob, EmptySetExcludesNothing) {
  GlobSet none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.excluded("a.csv"));
  EXPECT_FALSE(none.prunes_directory("logs"));
  EXPECT_TRUE(globs({}).empty());
  EXPECT_FALSE(globs({}).excluded(""));
}

TEST(Glob, StarStaysWithinOneSegment) {
  EXPECT_TRUE(excluded("*.csv", "a.csv"));
  EXPECT_TRUE(excluded("*.csv", ".csv"));
  EXPECT_FALSE(excluded("*.csv", "dir/a.csv"));
  EXPECT_FALSE(excluded("*.csv", "a.csv.gz"));
  EXPECT_TRUE(excluded("myfolder/*", "myfolder/mysource"));
  EXPECT_FALSE(excluded("myfolder/*", "myfolder/mydir/mysource"));
  EXPECT_TRUE(excluded("myfolder/*/*", "myfolder/mydir/mysource"));
  EXPECT_TRUE(excluded("*.*", "a.b"));
  EXPECT_FALSE(excluded("*.*", "ab"));
}

TEST(Glob, DoubleStarCrossesSegments) {
  EXPECT_TRUE(excluded("**.csv", "a.csv"));
  EXPECT_TRUE(excluded("**.csv", "x/y/a.csv"));
  EXPECT_TRUE(excluded("myfolder/**", "myfolder/mydir/mysource"));
  EXPECT_TRUE(excluded("myfolder**", "myfolder"));
  EXPECT_TRUE(excluded("myfolder**", "myfolder/mydir/mysource"));
  // As in Java (and Glue), '**/' needs a '/': a top-level file is not matched by **/*.csv.
  EXPECT_TRUE(excluded("**/*.csv", "x/a.csv"));
  EXPECT_FALSE(excluded("**/*.csv", "a.csv"));
  EXPECT_TRUE(excluded("{**/,}*.csv", "a.csv"));
  EXPECT_TRUE(excluded("**", "a\nb/c"));  // any byte, even a line break in an S3 key
  EXPECT_TRUE(excluded("logs/***", "logs/a/b"));
}

TEST(Glob, QuestionMarkIsOneCharacterOfASegment) {
  EXPECT_TRUE(excluded("foo.?", "foo.a"));
  EXPECT_FALSE(excluded("foo.?", "foo.ab"));
  EXPECT_FALSE(excluded("foo.?", "foo."));
  EXPECT_FALSE(excluded("a?b", "a/b"));
  EXPECT_TRUE(excluded("caf?", "caf\xc3\xa9"));  // one code point, two bytes
}

TEST(Glob, BracketExpressions) {
  EXPECT_TRUE(excluded("[a-c]*", "b.txt"));
  EXPECT_FALSE(excluded("[a-c]*", "d.txt"));
  EXPECT_TRUE(excluded("[!a-c]*", "d.txt"));
  EXPECT_FALSE(excluded("[!a-c]*", "b.txt"));
  EXPECT_FALSE(excluded("x[!a]y", "x/y"));  // a negated set never matches '/'
  EXPECT_TRUE(excluded("[]]x", "]x"));      // ']' first is literal
  EXPECT_TRUE(excluded("[-a]", "-"));       // '-' first is literal
  EXPECT_TRUE(excluded("[!-a]", "b"));
  EXPECT_FALSE(excluded("[!-a]", "-"));
  EXPECT_TRUE(excluded("[a-]", "-"));  // '-' last is literal
  EXPECT_TRUE(excluded("[*?\\]", "*"));
  EXPECT_TRUE(excluded("[*?\\]", "\\"));
  EXPECT_FALSE(excluded("[*?\\]", "a"));
  EXPECT_TRUE(excluded("2015/0[2-9]/**", "2015/05/x.csv"));
  EXPECT_FALSE(excluded("2015/0[2-9]/**", "2015/01/x.csv"));
  EXPECT_TRUE(excluded("[\xc3\xa0-\xc3\xbf]x", "\xc3\xa9x"));  // a range of non-ASCII letters (à-ÿ)
  EXPECT_TRUE(excluded("[^]", "^"));                           // '^' is not negation, as in Java
}

TEST(Glob, BraceGroupsAndNesting) {
  EXPECT_TRUE(excluded("*.{csv,avro}", "a.csv"));
  EXPECT_TRUE(excluded("*.{csv,avro}", "a.avro"));
  EXPECT_FALSE(excluded("*.{csv,avro}", "a.json"));
  EXPECT_TRUE(excluded("{a,b{1,2}}.txt", "a.txt"));
  EXPECT_TRUE(excluded("{a,b{1,2}}.txt", "b2.txt"));
  EXPECT_FALSE(excluded("{a,b{1,2}}.txt", "b.txt"));
  EXPECT_TRUE(excluded("{logs,tmp/**}", "tmp/a/b"));
  EXPECT_TRUE(excluded("x{,.bak}", "x"));
  EXPECT_TRUE(excluded("x{,.bak}", "x.bak"));
  EXPECT_TRUE(excluded("a,b", "a,b"));  // outside braces ',' and '}' are literal
  EXPECT_TRUE(excluded("a}b", "a}b"));
}

TEST(Glob, EscapesAndRegexCharactersAreLiteral) {
  EXPECT_TRUE(excluded("\\*.csv", "*.csv"));
  EXPECT_FALSE(excluded("\\*.csv", "a.csv"));
  EXPECT_TRUE(excluded("a\\{b", "a{b"));
  EXPECT_TRUE(excluded("a\\[b", "a[b"));
  EXPECT_TRUE(excluded("a.b", "a.b"));
  EXPECT_FALSE(excluded("a.b", "axb"));
  EXPECT_TRUE(excluded("(x)+$^|y", "(x)+$^|y"));
  EXPECT_TRUE(excluded("year=2024/part-0.csv", "year=2024/part-0.csv"));
  EXPECT_FALSE(excluded("year=2024", "year=2024/part-0.csv"));  // the whole path must match
}

TEST(Glob, SaysWhichPatternMatchedFirst) {
  GlobSet set = globs({"*.tmp", "**.csv", "logs/**"});
  EXPECT_EQ(set.first_match("a.tmp"), 0u);
  EXPECT_EQ(set.first_match("logs/a.csv"), 1u);
  EXPECT_EQ(set.first_match("logs/a.json"), 2u);
  EXPECT_FALSE(set.first_match("data/a.json").has_value());
  EXPECT_FALSE(set.empty());
}

TEST(Glob, ManyPatternsInOneSet) {
  std::vector<std::string> patterns;
  for (int i = 0; i < 500; ++i) patterns.push_back("dir" + std::to_string(i) + "/**/*.{tmp,bak}");
  GlobSet set = globs(patterns);
  EXPECT_EQ(set.first_match("dir321/a/b/c.bak"), 321u);
  EXPECT_FALSE(set.excluded("dir321/c.bak"));
  EXPECT_FALSE(set.excluded("dir500/a/c.bak"));
}

// ---------------------------------------------------------------------------------------------------------------
// Pruning directories.

TEST(Glob, PrunesOnlyDirectoriesWhoseEveryPathIsExcluded) {
  GlobSet logs = globs({"logs/**"});
  EXPECT_TRUE(logs.prunes_directory("logs"));
  EXPECT_TRUE(logs.prunes_directory("logs/"));
  EXPECT_TRUE(logs.prunes_directory("logs/2024/01"));
  EXPECT_FALSE(logs.prunes_directory("log"));
  EXPECT_FALSE(logs.prunes_directory("logs2"));
  EXPECT_FALSE(logs.prunes_directory("other"));
  EXPECT_FALSE(logs.prunes_directory(""));

  EXPECT_FALSE(globs({"logs/*"}).prunes_directory("logs"));  // logs/x/y is not excluded
  EXPECT_FALSE(globs({"logs/*"}).prunes_directory("logs/x"));
  EXPECT_FALSE(globs({"logs/**/x"}).prunes_directory("logs"));
  EXPECT_FALSE(globs({"logs/**.csv"}).prunes_directory("logs"));
  EXPECT_FALSE(globs({"*.csv"}).prunes_directory("a"));
  EXPECT_TRUE(globs({"lo**"}).prunes_directory("logs"));
  EXPECT_TRUE(globs({"lo**"}).prunes_directory("lo"));
  EXPECT_TRUE(globs({"**"}).prunes_directory(""));
  EXPECT_TRUE(globs({"**"}).prunes_directory("any/dir"));
  EXPECT_TRUE(globs({"*/**"}).prunes_directory("a"));
  EXPECT_FALSE(globs({"*/**"}).prunes_directory(""));  // a top-level file is not excluded
  EXPECT_TRUE(globs({"**/tmp/**"}).prunes_directory("a/b/tmp"));
  EXPECT_FALSE(globs({"**/tmp/**"}).prunes_directory("tmp"));  // tmp/x does not match **/tmp/**
  EXPECT_TRUE(globs({"{logs,tmp}/**"}).prunes_directory("tmp"));
  EXPECT_TRUE(globs({"2015/0[2-9]/**"}).prunes_directory("2015/05"));
  EXPECT_FALSE(globs({"2015/0[2-9]/**"}).prunes_directory("2015/01"));
  EXPECT_FALSE(globs({"2015/0[2-9]/**"}).prunes_directory("2015"));
  EXPECT_TRUE(globs({"incremental_**/**"}).prunes_directory("incremental_2024"));
  EXPECT_TRUE(globs({"*.csv", "staging/**"}).prunes_directory("staging"));
  EXPECT_FALSE(globs({"logs/**"}).prunes_directory("bad\xff"));
}

TEST(Glob, APrunedDirectoryHasOnlyExcludedPaths) {
  const std::vector<std::string> patterns = {"logs/**",       "lo**",   "*/**",      "**/tmp/**",
                                             "{a,b{1,2}}/**", "x/*/**", "[a-c]*/**", "2015/0[2-9]/**",
                                             "q?/**",         "**.csv"};
  const std::vector<std::string> dirs = {"",      "logs", "lo",      "a",    "b1", "b3",  "x", "x/y",
                                         "a/tmp", "tmp",  "2015/05", "2015", "q1", "qq1", "c", "d/e"};
  const std::vector<std::string> children = {"f", "f.csv", "y/z", "tmp/f", ".hidden", "a/b/c/d.json"};
  for (const std::string& pattern : patterns) {
    GlobSet set = globs({pattern});
    for (const std::string& dir : dirs) {
      if (!set.prunes_directory(dir)) continue;
      for (const std::string& child : children) {
        std::string path = dir.empty() ? child : dir + "/" + child;
        EXPECT_TRUE(set.excluded(path)) << pattern << " prunes '" << dir << "' but keeps " << path;
      }
    }
  }
}

TEST(Glob, BraceExplosionIsNotPrunedButStillMatches) {
  std::string pattern;
  for (int i = 0; i < 13; ++i) pattern += "{a,b}";  // 8192 alternatives
  pattern += "/**";
  GlobSet set = globs({pattern});
  std::string dir(13, 'a');
  EXPECT_TRUE(set.excluded(dir + "/x"));
  EXPECT_FALSE(set.prunes_directory(dir));  // conservative
}

}  // namespace
