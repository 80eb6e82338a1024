#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cairn/api/http_client.h"
#include "cairn/api/http_util.h"
#include "cairn/catalog/error.h"

namespace cairn::api {
namespace {

TEST(HttpUtil, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b%2Fc%2fd"), "a b/c/d");
  EXPECT_EQ(percent_decode("x+y"), "x+y");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%C3%A9"), "\xC3\xA9");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("abc%zz"));
  EXPECT_FALSE(percent_decode("%g0"));
}

TEST(HttpUtil, SplitPath) {
  EXPECT_EQ(split_path("/"), std::vector<std::string>{});
  EXPECT_EQ(split_path(""), std::vector<std::string>{});
  EXPECT_EQ(split_path("/v1/databases/my%20db/tables"),
            (std::vector<std::string>{"v1", "databases", "my db", "tables"}));
  EXPECT_EQ(split_path("/v1/databases/"), (std::vector<std::string>{"v1", "databases"}));
  EXPECT_EQ(split_path("/a//b"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split_path("/a%2Fb"), (std::vector<std::string>{"a/b"}));
  try {
    split_path("/v1/bad%zz");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), "path");
  }
}

TEST(HttpUtil, ParseQuery) {
  QueryParams q = parse_query("a=1&b=x+y&c&d=%26%3D&&a=2&=e");
  ASSERT_EQ(q.size(), 6u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"b", "x y"}));
  EXPECT_EQ(q[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ(q[3], (std::pair<std::string, std::string>{"d", "&="}));
  EXPECT_EQ(q[4], (std::pair<std::string, std::string>{"a", "2"}));
  EXPECT_EQ(q[5], (std::pair<std::string, std::string>{"", "e"}));
  EXPECT_EQ(query_value(q, "a"), "1");
  EXPECT_FALSE(query_value(q, "zzz"));
  EXPECT_TRUE(parse_query("").empty());
  try {
    parse_query("a=%x");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.field(), "query");
  }
}

TEST(HttpUtil, EncodeRoundTrips) {
  EXPECT_EQ(percent_encode_segment("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode_segment("a b/c?d%"), "a%20b%2Fc%3Fd%25");
  EXPECT_EQ(percent_encode_segment("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(url_encode_query_value("x y+z&="), "x%20y%2Bz%26%3D");
  std::string all;
  for (int c = 1; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(percent_decode(percent_encode_segment(all)), all);
  EXPECT_EQ(split_path("/" + percent_encode_segment("db/with slash")),
            std::vector<std::string>{"db/with slash"});
  auto q = parse_query("k=" + url_encode_query_value("a+b c"));
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].second, "a+b c");
}

TEST(HttpUtil, HeaderLookupIsCaseInsensitive) {
  HttpRequest req;
  req.headers = {{"Content-Type", "application/json"}, {"X-Amz-Date", "1"}, {"x-amz-date", "2"}};
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("X-AMZ-DATE"), "1");
  EXPECT_EQ(req.header("missing"), "");
}

TEST(HttpUtil, EndpointParse) {
  Endpoint ep = Endpoint::parse("http://127.0.0.1:7480");
  EXPECT_EQ(ep.host, "127.0.0.1");
  EXPECT_EQ(ep.port, "7480");
  EXPECT_EQ(ep.host_header(), "127.0.0.1:7480");
  EXPECT_EQ(Endpoint::parse("http://localhost:9000/").port, "9000");
  EXPECT_EQ(Endpoint::parse("HTTP://example.com").port, "80");
  Endpoint v6 = Endpoint::parse("http://[::1]:7480");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.host_header(), "[::1]:7480");
}

TEST(HttpUtil, EndpointParseErrors) {
  try {
    Endpoint::parse("https://cairn.example.com:443");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("https endpoints are not supported"), std::string::npos);
  }
  for (const char* bad :
       {"127.0.0.1:7480", "ftp://h:1", "http://", "http://:80", "http://h:", "http://h:99999", "http://h:0",
        "http://h:abc", "http://h:80/v1", "http://u@h:80", "http://::1:80", "http://[::1"}) {
    EXPECT_THROW(Endpoint::parse(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace cairn::api
