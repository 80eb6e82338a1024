// The S3 client against a real moto_server (scripts/test.sh starts one and exports CAIRN_TEST_S3_ENDPOINT),
// plus parsing, retries and error mapping against a local HTTP server that plays a failing S3.

#include "cairn/crawler/s3_client.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cairn/api/http.h"
#include "cairn/api/s3_transport.h"
#include "cairn/catalog/error.h"
#include "cairn/crawler/parquet_reader.h"

namespace cairn::crawler {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSecret = "testing-secret-DO-NOT-PRINT";

/// The moto endpoint, or empty when the tests run without one.
std::string moto_endpoint() {
  const char* value = std::getenv("CAIRN_TEST_S3_ENDPOINT");
  return value == nullptr ? std::string() : std::string(value);
}

constexpr const char* kNoMoto =
    "CAIRN_TEST_S3_ENDPOINT is not set: run scripts/test.sh, or start `moto_server -H 127.0.0.1 -p PORT` and "
    "export CAIRN_TEST_S3_ENDPOINT=http://127.0.0.1:PORT";

S3Connection connection_to(const std::string& endpoint, bool path_style = true) {
  S3Connection c;
  c.endpoint = endpoint;
  c.region = "us-east-1";
  c.access_key_id = "testing";  // moto accepts any credentials
  c.secret_access_key = kSecret;
  c.path_style = path_style;
  return c;
}

S3RetryPolicy fast_retries() {
  S3RetryPolicy policy;
  policy.base_delay = 1ms;
  policy.max_delay = 4ms;
  return policy;
}

std::string unique_bucket(const std::string& what) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  std::ostringstream out;
  out << "cairn-" << what << "-" << std::hex << rd() << "-" << counter++;
  return out.str();
}

/// Everything a listing returns, all pages.
S3ListPage list_everything(S3Client& client, const std::string& bucket, S3ListRequest request,
                           int* pages = nullptr) {
  S3ListPage all;
  int count = 0;
  client.list_objects(bucket, std::move(request), [&](S3ListPage& page) {
    ++count;
    for (auto& o : page.objects) all.objects.push_back(o);
    for (auto& p : page.common_prefixes) all.common_prefixes.push_back(p);
    return true;
  });
  if (pages != nullptr) *pages = count;
  return all;
}

std::vector<std::string> keys_of(const S3ListPage& page) {
  std::vector<std::string> keys;
  for (const auto& o : page.objects) keys.push_back(o.key);
  return keys;
}

template <class F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no cairn::Error thrown";
  return Error(ErrorCode::Internal, "no error");
}

// --- parsing, without a server -----------------------------------------------------------------------------

TEST(S3Url, SplitsBucketAndPrefix) {
  auto a = parse_s3_url("s3://my-bucket/lake/sales/");
  EXPECT_EQ(a.bucket, "my-bucket");
  EXPECT_EQ(a.prefix, "lake/sales/");
  auto b = parse_s3_url("s3://my.bucket");
  EXPECT_EQ(b.bucket, "my.bucket");
  EXPECT_EQ(b.prefix, "");
  auto c = parse_s3_url("S3://bkt/dt=2024-01-01/a b+c%");
  EXPECT_EQ(c.bucket, "bkt");
  EXPECT_EQ(c.prefix, "dt=2024-01-01/a b+c%");  // verbatim, not percent-decoded
}

TEST(S3Url, RejectsBadInputNamingTheField) {
  for (const std::string url : {"http://bucket/x", "s3://", "s3:///prefix", "s3://ab/x", "s3://bad_bucket!/x",
                                "s3://-bucket/x", "s3://bucket//x", "bucket/prefix"}) {
    Error e = error_of([&] { parse_s3_url(url, "targets[0].path"); });
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << url;
    EXPECT_EQ(e.field(), "targets[0].path") << url;
    EXPECT_NE(std::string(e.what()).find("s3://"), std::string::npos) << e.what();
  }
}

TEST(S3Endpoint, HttpsIsRefusedWithTheReason) {
  auto transport = api::make_s3_transport();
  Error e = error_of([&] { S3Client(connection_to("https://s3.example.com"), transport); });
  EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(e.field(), "endpoint");
  EXPECT_NE(std::string(e.what()).find("https"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("proxy"), std::string::npos) << e.what();

  Error userinfo = error_of([&] { S3Client(connection_to("http://AKID:hunter2@host:9000"), transport); });
  EXPECT_EQ(std::string(userinfo.what()).find("hunter2"), std::string::npos) << userinfo.what();
  EXPECT_EQ(error_of([&] { S3Client(connection_to("http://host:99999"), transport); }).field(), "endpoint");
  EXPECT_EQ(error_of([&] { S3Client(connection_to("http://host/path"), transport); }).field(), "endpoint");
  S3Connection bad_region = connection_to("");
  bad_region.region = "us/east";
  EXPECT_EQ(error_of([&] { S3Client(bad_region, transport); }).field(), "region");

  S3Client aws(connection_to(""), transport);
  EXPECT_EQ(aws.endpoint(), "http://s3.us-east-1.amazonaws.com");
  S3Client local(connection_to("http://[::1]:9000/"), transport);
  EXPECT_EQ(local.endpoint(), "http://[::1]:9000");
}

TEST(S3ListXml, ParsesEntriesEntitiesAndUrlEncodedKeys) {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>lake%2F</Prefix><KeyCount>3</KeyCount><MaxKeys>2</MaxKeys>
  <Contents><Key>lake/a+b%2Bc%25.csv</Key><LastModified>2024-01-31T12:34:56.789Z</LastModified>
    <ETag>&quot;0123abcd&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>lake/%C3%BCber%20x.csv</Key><LastModified>2024-02-29T00:00:00+01:00</LastModified>
    <ETag>"e-2"</ETag><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>lake/dt%3D2024-01-01/</Prefix></CommonPrefixes>
  <IsTruncated>true</IsTruncated><NextContinuationToken>tok+/=&amp;</NextContinuationToken>
  <EncodingType>url</EncodingType>
</ListBucketResult>)";
  S3ListPage page = parse_list_objects_response(xml, "test");
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "lake/a b+c%.csv");
  EXPECT_EQ(page.objects[0].size, 1234u);
  EXPECT_EQ(page.objects[0].etag, "0123abcd");
  EXPECT_EQ(page.objects[0].last_modified_ms, 1706704496789);
  EXPECT_EQ(page.objects[1].key,
            "lake/\xC3\xBC"
            "ber x.csv");
  EXPECT_EQ(page.objects[1].etag, "e-2");
  EXPECT_EQ(page.objects[1].last_modified_ms, 1709161200000);  // 2024-02-28T23:00:00Z
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"lake/dt=2024-01-01/"});
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_continuation_token, "tok+/=&");  // tokens are never URL-encoded

  // Without EncodingType the keys are taken as they are (entities and CDATA decoded by the XML parser).
  S3ListPage raw = parse_list_objects_response(
      "<ListBucketResult><Contents><Key>a&amp;b&#x20;%41+<![CDATA[<c>]]></Key><Size>1</Size>"
      "<LastModified>2024-01-01T00:00:00Z</LastModified></Contents><IsTruncated>false</IsTruncated>"
      "</ListBucketResult>",
      "test");
  ASSERT_EQ(raw.objects.size(), 1u);
  EXPECT_EQ(raw.objects[0].key, "a&b %41+<c>");
  EXPECT_FALSE(raw.truncated);
}

TEST(S3ListXml, RefusesMalformedDocuments) {
  const std::vector<std::string> bad = {
      "",
      "<ListBucketResult><Contents><Key>a</Key></ListBucketResult>",
      "<Error><Code>x</Code></Error>",
      "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Key>a</Key><LastModified>yesterday</LastModified></Contents>"
      "</ListBucketResult>",
      "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
      "<ListBucketResult><Contents><Key>%zz</Key></Contents><EncodingType>url</EncodingType></"
      "ListBucketResult>",
      "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><ListBucketResult><Prefix>&a;</Prefix></ListBucketResult>",
  };
  for (const std::string& xml : bad) {
    Error e = error_of([&] { parse_list_objects_response(xml, "ListObjectsV2 s3://b"); });
    EXPECT_EQ(e.code(), ErrorCode::Unavailable) << xml;
    EXPECT_EQ(std::string(e.what()).rfind("ListObjectsV2 s3://b: ", 0), 0u) << e.what();
  }
}

TEST(S3Iso8601, ParsesS3Timestamps) {
  std::int64_t ms = 0;
  ASSERT_TRUE(parse_iso8601_ms("1970-01-01T00:00:00Z", ms));
  EXPECT_EQ(ms, 0);
  ASSERT_TRUE(parse_iso8601_ms("2024-01-01T00:00:00.5Z", ms));
  EXPECT_EQ(ms, 1704067200500);
  ASSERT_TRUE(parse_iso8601_ms("2024-01-01T02:00:00.000+02:00", ms));
  EXPECT_EQ(ms, 1704067200000);
  for (const char* bad :
       {"2024-02-30T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00", "2024-1-01T00:00:00Z",
        "2024-01-01T00:00:00.Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00Zjunk"}) {
    EXPECT_FALSE(parse_iso8601_ms(bad, ms)) << bad;
  }
}

// --- against moto_server -----------------------------------------------------------------------------------

class S3Moto : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = moto_endpoint();
    if (endpoint_.empty()) GTEST_SKIP() << kNoMoto;
    client_ = std::make_unique<S3Client>(connection_to(endpoint_), api::make_s3_transport(), fast_retries());
    bucket_ = unique_bucket("t");
    client_->create_bucket(bucket_);
  }

  std::string endpoint_;
  std::unique_ptr<S3Client> client_;
  std::string bucket_;
};

TEST_F(S3Moto, AwkwardKeysRoundTripThroughPutListAndGet) {
  const std::vector<std::string> keys = {
      "plain.csv",
      "with space/a b.csv",
      "unicode/\xC3\xBC"
      "ber-\xE6\x97\xA5\xE6\x9C\xAC.csv",
      "plus/a+b.csv",
      "hive/dt=2024-01-01/part-0.csv",
      "percent/100%.csv",
      "percent/%41%2F.csv",
      "mixed/a b+c=d%e&f?g#h;i,j'k(l)~m.csv",
      "folder/",
  };
  for (const std::string& key : keys) client_->put_object(bucket_, key, "body of " + key, "text/csv");

  S3ListPage all = list_everything(*client_, bucket_, {});
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(keys_of(all), expected);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const S3Object& o : all.objects) {
    EXPECT_EQ(o.size, ("body of " + o.key).size()) << o.key;
    EXPECT_EQ(o.etag.size(), 32u) << o.etag;  // MD5 of a single-part upload, quotes stripped
    EXPECT_LT(std::llabs(o.last_modified_ms - now_ms), 3600 * 1000LL) << o.key;
    EXPECT_EQ(client_->get_object(bucket_, o.key), "body of " + o.key);
  }

  // A prefix with the same characters is encoded in the query and matches exactly.
  S3ListRequest mixed;
  mixed.prefix = "mixed/a b+c=d%e&f?";
  EXPECT_EQ(keys_of(list_everything(*client_, bucket_, mixed)), std::vector<std::string>{keys[7]});
  S3ListRequest percent;
  percent.prefix = "percent/%4";
  EXPECT_EQ(keys_of(list_everything(*client_, bucket_, percent)),
            std::vector<std::string>{"percent/%41%2F.csv"});
}

TEST_F(S3Moto, ListsInPagesOfTwo) {
  for (int i = 0; i < 7; ++i)
    client_->put_object(bucket_, "paged/obj-" + std::to_string(i), std::string(i, 'x'));
  client_->put_object(bucket_, "other/obj", "x");
  S3ListRequest request;
  request.prefix = "paged/";
  request.max_keys = 2;
  const S3Stats before = client_->stats();
  std::vector<std::size_t> page_sizes;
  std::vector<std::string> keys;
  client_->list_objects(bucket_, request, [&](S3ListPage& page) {
    page_sizes.push_back(page.objects.size());
    for (const auto& o : page.objects) keys.push_back(o.key);
    EXPECT_EQ(page.truncated, page_sizes.size() < 4);
    return true;
  });
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{2, 2, 2, 1}));
  std::vector<std::string> expected;
  for (int i = 0; i < 7; ++i) expected.push_back("paged/obj-" + std::to_string(i));
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(client_->stats().requests - before.requests, 4u);
  EXPECT_GT(client_->stats().bytes_received, before.bytes_received);

  // Stopping early sends no further request.
  const S3Stats mid = client_->stats();
  int pages = 0;
  client_->list_objects(bucket_, request, [&](S3ListPage&) { return ++pages < 2; });
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(client_->stats().requests - mid.requests, 2u);

  // start-after skips what was seen, as a resumed listing would.
  S3ListRequest after;
  after.prefix = "paged/";
  after.start_after = "paged/obj-4";
  EXPECT_EQ(keys_of(list_everything(*client_, bucket_, after)),
            (std::vector<std::string>{"paged/obj-5", "paged/obj-6"}));

  S3ListRequest bad = request;
  bad.max_keys = 0;
  EXPECT_EQ(error_of([&] { client_->list_objects_page(bucket_, bad); }).field(), "max_keys");
}

TEST_F(S3Moto, DelimiterListsFoldersOnly) {
  for (const char* key : {"lake/dt=2024-01-01/a.csv", "lake/dt=2024-01-01/b.csv", "lake/dt=2024-01-02/a.csv",
                          "lake/dt=2024-01-03/hour=1/x.csv", "lake/top.csv", "elsewhere/z.csv"}) {
    client_->put_object(bucket_, key, "1,2\n");
  }
  S3ListRequest request;
  request.prefix = "lake/";
  request.delimiter = "/";
  S3ListPage one_level = list_everything(*client_, bucket_, request);
  EXPECT_EQ(one_level.common_prefixes,
            (std::vector<std::string>{"lake/dt=2024-01-01/", "lake/dt=2024-01-02/", "lake/dt=2024-01-03/"}));
  EXPECT_EQ(keys_of(one_level), std::vector<std::string>{"lake/top.csv"});

  // Paged by two, folders and objects together still come back once each.
  request.max_keys = 2;
  int pages = 0;
  S3ListPage paged = list_everything(*client_, bucket_, request, &pages);
  EXPECT_GE(pages, 2);
  std::set<std::string> seen(paged.common_prefixes.begin(), paged.common_prefixes.end());
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(paged.common_prefixes.size(), 3u);
  EXPECT_EQ(keys_of(paged), std::vector<std::string>{"lake/top.csv"});

  request.prefix = "lake/dt=2024-01-03/";
  request.max_keys = 1000;
  EXPECT_EQ(list_everything(*client_, bucket_, request).common_prefixes,
            std::vector<std::string>{"lake/dt=2024-01-03/hour=1/"});
}

TEST_F(S3Moto, RangedReadsFetchOnlyTheRange) {
  std::string body;
  for (int i = 0; i < 1000; ++i) body.push_back(static_cast<char>('a' + (i * 7) % 26));
  const std::string key = "ranged/data bin+1.bin";
  client_->put_object(bucket_, key, body);

  auto source = client_->open_object(bucket_, key, body.size());
  EXPECT_EQ(source->name(), "s3://" + bucket_ + "/" + key);
  EXPECT_EQ(source->size(), 1000u);
  const S3Stats before = client_->stats();
  EXPECT_EQ(source->read(992, 8), body.substr(992, 8));
  EXPECT_EQ(source->read(300, 100), body.substr(300, 100));
  EXPECT_EQ(source->read(990, 100), body.substr(990));  // clamped by ByteSource::read
  EXPECT_EQ(source->read(1000, 10), "");                // no request at all
  const S3Stats after = client_->stats();
  EXPECT_EQ(after.requests - before.requests, 3u);
  EXPECT_EQ(after.bytes_received - before.bytes_received, 8u + 100u + 10u);
  EXPECT_EQ(source->bytes_read(), 118u);

  // A read inside one of the last two responses needs no request: classification reads the head, the
  // Parquet reader the tail and then the leading magic again.
  const S3Stats cached = client_->stats();
  EXPECT_EQ(source->read(0, 64), body.substr(0, 64));
  EXPECT_EQ(source->read(900, 100), body.substr(900, 100));
  EXPECT_EQ(source->read(0, 4), body.substr(0, 4));
  EXPECT_EQ(source->read(950, 8), body.substr(950, 8));
  EXPECT_EQ(source->read(60, 4), body.substr(60, 4));
  EXPECT_EQ(client_->stats().requests - cached.requests, 2u);
  EXPECT_EQ(source->read(60, 8), body.substr(60, 8));  // passes the end of the cached head: fetched
  EXPECT_EQ(client_->stats().requests - cached.requests, 3u);

  EXPECT_EQ(client_->get_object_range(bucket_, key, 990, 50), body.substr(990));
  EXPECT_EQ(client_->get_object_range(bucket_, key, 5000, 10), "");

  // A source opened with a stale size reports the shrink instead of returning short data.
  auto stale = client_->open_object(bucket_, key, 2000);
  Error shrank = error_of([&] { stale->read(1500, 10); });
  EXPECT_EQ(shrank.code(), ErrorCode::Unavailable);
  EXPECT_NE(std::string(shrank.what()).find("s3://" + bucket_), std::string::npos) << shrank.what();
}

TEST_F(S3Moto, IfMatchRefusesAnObjectReplacedSinceTheListing) {
  client_->put_object(bucket_, "v.csv", "version one");
  S3ListPage page = client_->list_objects_page(bucket_, {});
  ASSERT_EQ(page.objects.size(), 1u);
  auto source = client_->open_object(bucket_, "v.csv", page.objects[0].size, page.objects[0].etag);
  EXPECT_EQ(source->read(0, 7), "version");
  client_->put_object(bucket_, "v.csv", "version two");
  EXPECT_EQ(source->read(0, 4), "vers");  // within the previous response: still the listed version's bytes
  Error e = error_of([&] { source->read(8, 3); });
  EXPECT_EQ(e.code(), ErrorCode::FailedPrecondition) << e.what();
}

fs::path parquet_testing_dir() {
  return fs::path(CAIRN_SOURCE_DIR) / ".." / "shared" / "data" / "parquet-testing";
}

TEST_F(S3Moto, ParquetFootersOverRangedGetsMatchLocalReads) {
  const fs::path dir = parquet_testing_dir();
  if (!fs::exists(dir)) GTEST_SKIP() << "no shared data at " << dir.string();
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.find(".parquet") != std::string::npos) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 20u);

  fs::path largest;
  std::uint64_t largest_size = 0;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string key = "parquet/" + file.filename().string();
    client_->put_object(bucket_, key, bytes);
    if (bytes.size() > largest_size) {
      largest_size = bytes.size();
      largest = file;
    }

    auto local = open_local_file(file.string());
    auto remote = client_->open_object(bucket_, key, bytes.size());
    std::optional<FileSchema> local_schema, remote_schema;
    std::optional<ErrorCode> local_error, remote_error;
    try {
      local_schema = read_parquet_schema(*local);
    } catch (const Error& e) {
      local_error = e.code();
    }
    try {
      remote_schema = read_parquet_schema(*remote);
    } catch (const Error& e) {
      remote_error = e.code();
    }
    ASSERT_EQ(local_error, remote_error) << file;
    if (local_schema) {
      ASSERT_TRUE(remote_schema) << file;
      ASSERT_EQ(remote_schema->columns.size(), local_schema->columns.size()) << file;
      for (std::size_t i = 0; i < local_schema->columns.size(); ++i) {
        EXPECT_EQ(remote_schema->columns[i].name, local_schema->columns[i].name) << file;
        EXPECT_EQ(remote_schema->columns[i].type, local_schema->columns[i].type) << file;
      }
      EXPECT_EQ(remote_schema->record_count, local_schema->record_count) << file;
      EXPECT_EQ(remote_schema->compression, local_schema->compression) << file;
    }
    EXPECT_EQ(remote->bytes_read(), local->bytes_read()) << file;
  }

  // The largest file: only the footer travels, in two requests (the tail, then the leading magic)...
  ASSERT_GT(largest_size, 4 * kParquetTailReadBytes) << largest;
  const std::string key = "parquet/" + largest.filename().string();
  const S3Stats before = client_->stats();
  auto footer_only = client_->open_object(bucket_, key, largest_size);
  read_parquet_schema(*footer_only);
  const std::uint64_t fetched = client_->stats().bytes_received - before.bytes_received;
  EXPECT_EQ(fetched, kParquetTailReadBytes + 4) << largest;
  EXPECT_EQ(client_->stats().requests - before.requests, 2u);
  EXPECT_LT(fetched * 4, largest_size) << "fetched " << fetched << " of " << largest_size;

  // ... and after classification's first 64 KiB, the magic comes from that read: one request for the footer.
  const S3Stats classified = client_->stats();
  auto source = client_->open_object(bucket_, key, largest_size);
  source->read(0, kParquetTailReadBytes);
  read_parquet_schema(*source);
  const std::uint64_t with_head = client_->stats().bytes_received - classified.bytes_received;
  EXPECT_EQ(client_->stats().requests - classified.requests, 2u);
  EXPECT_EQ(with_head, 2 * kParquetTailReadBytes);
  std::cout << "S3 Parquet footer of " << largest.filename().string() << " (" << largest_size
            << " bytes): " << fetched << " bytes fetched alone, " << with_head
            << " with classification's first 64 KiB\n";
}

/// Wraps a transport, recording (connect host, Host header, target) of every request.
struct RecordingTransport {
  HttpTransport inner;
  std::shared_ptr<std::vector<std::vector<std::string>>> seen =
      std::make_shared<std::vector<std::vector<std::string>>>();

  HttpTransport transport() const {
    return [inner = inner, seen = seen](const std::string& host, const std::string& port,
                                        const std::string& method, const std::string& target,
                                        const HttpHeaders& headers, const std::string& body) {
      std::string host_header;
      for (const auto& [k, v] : headers) {
        if (k == "Host") host_header = v;
      }
      seen->push_back({host, host_header, target});
      return inner(host, port, method, target, headers, body);
    };
  }
};

// moto picks the bucket from the Host header unless it is "localhost…", an IP address, a single label or
// s3[.-]<region>.amazonaws.com: so "bucket.localhost:PORT" is virtual-host addressing to moto. That name does
// not resolve through glibc here; the production transport connects *.localhost to localhost (RFC 6761) and
// keeps the Host header, exactly as a resolver that implements RFC 6761 would.
TEST_F(S3Moto, VirtualHostAddressing) {
  const std::string port = endpoint_.substr(endpoint_.rfind(':') + 1);
  RecordingTransport recording{api::make_s3_transport()};
  S3Client vhost(connection_to("http://localhost:" + port, false), recording.transport(), fast_retries());
  const std::string bucket = unique_bucket("vh");
  vhost.create_bucket(bucket);
  vhost.put_object(bucket, "dt=2024-01-01/a b.csv", "x,y\n");
  S3ListPage page = vhost.list_objects_page(bucket, {});
  EXPECT_EQ(keys_of(page), std::vector<std::string>{"dt=2024-01-01/a b.csv"});
  EXPECT_EQ(vhost.get_object(bucket, "dt=2024-01-01/a b.csv"), "x,y\n");
  EXPECT_EQ(vhost.open_object(bucket, "dt=2024-01-01/a b.csv", 4)->read(2, 2), "y\n");
  ASSERT_EQ(recording.seen->size(), 5u);
  for (const auto& request : *recording.seen) {
    EXPECT_EQ(request[0], bucket + ".localhost");
    EXPECT_EQ(request[1], bucket + ".localhost:" + port);
    EXPECT_EQ(request[2].find(bucket), std::string::npos) << request[2];  // the bucket is not in the path
  }
  EXPECT_EQ((*recording.seen)[1][2], "/dt%3D2024-01-01/a%20b.csv");
  // The path-style client sees the same bucket.
  EXPECT_EQ(client_->get_object(bucket, "dt=2024-01-01/a b.csv"), "x,y\n");

  // An IP-address endpoint cannot carry the bucket in the host name: path-style is used instead.
  recording.seen->clear();
  S3Client by_ip(connection_to(endpoint_, false), recording.transport(), fast_retries());
  EXPECT_EQ(by_ip.get_object(bucket, "dt=2024-01-01/a b.csv"), "x,y\n");
  ASSERT_EQ(recording.seen->size(), 1u);
  EXPECT_EQ((*recording.seen)[0][2], "/" + bucket + "/dt%3D2024-01-01/a%20b.csv");
}

TEST_F(S3Moto, MapsMissingBucketsAndKeys) {
  const std::string missing = unique_bucket("missing");
  Error no_bucket = error_of([&] { client_->list_objects_page(missing, {}); });
  EXPECT_EQ(no_bucket.code(), ErrorCode::NotFound);
  EXPECT_NE(std::string(no_bucket.what()).find("'" + missing + "'"), std::string::npos) << no_bucket.what();
  EXPECT_NE(std::string(no_bucket.what()).find("NoSuchBucket"), std::string::npos) << no_bucket.what();

  Error no_key = error_of([&] { client_->get_object(bucket_, "no/such key.csv"); });
  EXPECT_EQ(no_key.code(), ErrorCode::NotFound);
  EXPECT_NE(std::string(no_key.what()).find("s3://" + bucket_ + "/no/such key.csv"), std::string::npos)
      << no_key.what();

  Error range_no_bucket = error_of([&] { client_->open_object(missing, "k", 10)->read(0, 4); });
  EXPECT_EQ(range_no_bucket.code(), ErrorCode::NotFound);
  EXPECT_EQ(client_->stats().retries, 0u);  // 4xx answers are not retried

  // Keys the shared signer cannot sign for S3 are refused before anything is sent.
  Error unsignable = error_of([&] { client_->get_object(bucket_, "a//b.csv"); });
  EXPECT_EQ(unsignable.code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(unsignable.field(), "key");
}

TEST_F(S3Moto, RetriesConnectionFailures) {
  auto real = api::make_s3_transport();
  auto failures = std::make_shared<std::atomic<int>>(2);
  HttpTransport flaky = [real, failures](const std::string& host, const std::string& port,
                                         const std::string& method, const std::string& target,
                                         const HttpHeaders& headers, const std::string& body) {
    if (failures->fetch_sub(1) > 0) throw std::runtime_error("connection refused (simulated)");
    return real(host, port, method, target, headers, body);
  };
  S3Client client(connection_to(endpoint_), flaky, fast_retries());
  client.put_object(bucket_, "k", "v");
  EXPECT_EQ(client.stats().retries, 2u);
  EXPECT_EQ(client.stats().requests, 3u);
  EXPECT_EQ(client_->get_object(bucket_, "k"), "v");

  failures->store(100);
  Error e = error_of([&] { client.get_object(bucket_, "k"); });
  EXPECT_EQ(e.code(), ErrorCode::Unavailable);
  EXPECT_NE(std::string(e.what()).find("after 5 attempts"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("simulated"), std::string::npos) << e.what();
  EXPECT_EQ(client.stats().retries, 2u + 4u);
  EXPECT_EQ(std::string(e.what()).find(kSecret), std::string::npos);
}

/// The signature our client sends equals botocore's S3SigV4Auth for the same request: moto does not check
/// signatures, so this is what shows that keys are signed as S3 wants (the path encoded once, not
/// normalized). Skipped without python3 and botocore.
TEST_F(S3Moto, SignaturesMatchBotocore) {
  if (std::system("python3 -c 'import botocore.auth' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no botocore";
  struct Captured {
    std::string method, target, body;
    HttpHeaders headers;
  };
  auto captured = std::make_shared<std::vector<Captured>>();
  auto real = api::make_s3_transport();
  HttpTransport capture = [real, captured](const std::string& host, const std::string& port,
                                           const std::string& method, const std::string& target,
                                           const HttpHeaders& headers, const std::string& body) {
    captured->push_back({method, target, body, headers});
    return real(host, port, method, target, headers, body);
  };
  S3Connection connection = connection_to(endpoint_);
  connection.session_token = "session-token/with+odd=chars";
  S3Client client(connection, capture, fast_retries());
  const std::string key = "sig/dt=2024-01-01/a b+c%d~e(f).csv";
  client.put_object(bucket_, key, "payload");
  S3ListRequest request;
  request.prefix = "sig/dt=2024-01-01/a b+";
  request.delimiter = "/";
  request.continuation_token.clear();
  request.start_after = "sig/a=b c";
  client.list_objects_page(bucket_, request);
  client.open_object(bucket_, key, 7)->read(2, 3);
  ASSERT_EQ(captured->size(), 3u);

  nlohmann::json input = nlohmann::json::array();
  std::vector<std::string> signatures;
  for (const Captured& c : *captured) {
    nlohmann::json headers = nlohmann::json::array();
    std::string host, signature;
    for (const auto& [k, v] : c.headers) {
      if (k == "Authorization") {
        signature = v.substr(v.find("Signature=") + 10);
        continue;
      }
      if (k == "Host") host = v;
      headers.push_back({k, v});
    }
    signatures.push_back(signature);
    input.push_back(
        {{"method", c.method}, {"url", "http://" + host + c.target}, {"headers", headers}, {"body", c.body}});
  }
  const fs::path dir = fs::temp_directory_path() / ("cairn-sig-" + unique_bucket("x"));
  fs::create_directories(dir);
  std::ofstream(dir / "in.json") << input.dump();
  std::ofstream(dir / "sign.py") << R"(import json, sys
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
creds = Credentials("testing", sys.argv[2])
for r in json.load(open(sys.argv[1])):
    headers = {k: v for k, v in r["headers"]}
    req = AWSRequest(method=r["method"], url=r["url"], headers=headers, data=r["body"].encode())
    req.context["timestamp"] = headers["x-amz-date"]
    auth = S3SigV4Auth(creds, "s3", "us-east-1")
    print(auth.signature(auth.string_to_sign(req, auth.canonical_request(req)), req))
)";
  const std::string command = "python3 " + (dir / "sign.py").string() + " " + (dir / "in.json").string() +
                              " " + kSecret + " > " + (dir / "out.txt").string();
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream out(dir / "out.txt");
  std::vector<std::string> expected;
  for (std::string line; std::getline(out, line);) expected.push_back(line);
  fs::remove_all(dir);
  EXPECT_EQ(signatures, expected);
}

// --- a local server playing a failing S3 -------------------------------------------------------------------

class FakeS3 {
 public:
  using Reply = std::function<api::HttpResponse(int call, const api::HttpRequest&)>;
  explicit FakeS3(Reply reply)
      : server_(options(),
                [this, reply](const api::HttpRequest& request) { return reply(calls_++, request); }) {
    server_.start();
  }
  ~FakeS3() { server_.stop(); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  int calls() const { return calls_.load(); }

  static api::HttpResponse xml(int status, const std::string& body) {
    api::HttpResponse response;
    response.status = status;
    response.content_type = "application/xml";
    response.body = body;
    return response;
  }
  static api::HttpResponse error(int status, const std::string& code, const std::string& message) {
    return xml(status, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" +
                           message + "</Message><RequestId>r1</RequestId></Error>");
  }

 private:
  static api::ServerOptions options() {
    api::ServerOptions o;
    o.port = 0;
    o.worker_threads = 2;
    return o;
  }
  std::atomic<int> calls_{0};
  api::HttpServer server_;
};

const char* kEmptyListing =
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
    "<Contents><Key>k</Key><Size>3</Size><ETag>\"e\"</ETag><LastModified>2024-01-01T00:00:00.000Z</"
    "LastModified>"
    "</Contents><IsTruncated>false</IsTruncated></ListBucketResult>";

TEST(S3Retries, ServerErrorsAndThrottlingAreRetriedWithBackoff) {
  FakeS3 server([](int call, const api::HttpRequest&) {
    if (call == 0) return FakeS3::error(503, "SlowDown", "Please reduce your request rate.");
    if (call == 1) return FakeS3::error(500, "InternalError", "We encountered an internal error.");
    return FakeS3::xml(200, kEmptyListing);
  });
  S3Client client(connection_to(server.endpoint()), api::make_s3_transport(), fast_retries());
  S3ListPage page = client.list_objects_page("b", {});
  EXPECT_EQ(keys_of(page), std::vector<std::string>{"k"});
  EXPECT_EQ(client.stats().retries, 2u);
  EXPECT_EQ(client.stats().requests, 3u);
  EXPECT_EQ(server.calls(), 3);
}

TEST(S3Retries, AThrottlingCodeOn400IsRetried) {
  FakeS3 server([](int call, const api::HttpRequest&) {
    if (call < 2) return FakeS3::error(400, "RequestTimeout", "Your socket connection was not read.");
    return FakeS3::xml(200, "data");
  });
  S3Client client(connection_to(server.endpoint()), api::make_s3_transport(), fast_retries());
  EXPECT_EQ(client.get_object("b", "k"), "data");
  EXPECT_EQ(client.stats().retries, 2u);
}

TEST(S3Retries, GiveUpAfterTheLastAttempt) {
  FakeS3 throttled(
      [](int, const api::HttpRequest&) { return FakeS3::error(429, "SlowDown", "Reduce your rate."); });
  S3Client client(connection_to(throttled.endpoint()), api::make_s3_transport(), fast_retries());
  Error e = error_of([&] { client.get_object("b", "k"); });
  EXPECT_EQ(e.code(), ErrorCode::TooManyRequests);
  EXPECT_NE(std::string(e.what()).find("after 5 attempts"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("Reduce your rate."), std::string::npos) << e.what();
  EXPECT_EQ(throttled.calls(), 5);
  EXPECT_EQ(client.stats().retries, 4u);

  FakeS3 broken([](int, const api::HttpRequest&) {
    api::HttpResponse r;
    r.status = 502;
    r.content_type = "text/html";
    r.body = "<html>bad gateway</html>";
    return r;
  });
  S3RetryPolicy three = fast_retries();
  three.max_attempts = 3;
  S3Client through_proxy(connection_to(broken.endpoint()), api::make_s3_transport(), three);
  Error gateway = error_of([&] { through_proxy.list_objects_page("b", {}); });
  EXPECT_EQ(gateway.code(), ErrorCode::Unavailable);
  EXPECT_NE(std::string(gateway.what()).find("HTTP 502"), std::string::npos) << gateway.what();
  EXPECT_EQ(broken.calls(), 3);
}

TEST(S3Errors, DenialsMapToAccessDeniedWithS3sMessage) {
  FakeS3 server([](int call, const api::HttpRequest&) {
    if (call == 0) return FakeS3::error(403, "AccessDenied", "Access Denied");
    if (call == 1) {
      return FakeS3::error(403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature you provided.");
    }
    if (call == 2) return FakeS3::error(403, "InvalidAccessKeyId", "The AWS Access Key Id does not exist.");
    if (call == 3) {
      return FakeS3::xml(
          301,
          "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access "
          "must be addressed using the specified endpoint.</Message>"
          "<Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint></Error>");
    }
    if (call == 4) return FakeS3::error(409, "BucketAlreadyOwnedByYou", "Your previous request succeeded.");
    return FakeS3::error(400, "InvalidArgument", "Unsupported &lt;thing&gt; &amp; more");
  });
  S3Client client(connection_to(server.endpoint()), api::make_s3_transport(), fast_retries());
  for (const char* message :
       {"Access Denied", "does not match the signature", "Access Key Id does not exist"}) {
    Error e = error_of([&] { client.get_object("b", "k"); });
    EXPECT_EQ(e.code(), ErrorCode::AccessDenied) << e.what();
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("s3://b/k"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(kSecret), std::string::npos) << e.what();
  }
  Error redirect = error_of([&] { client.list_objects_page("b", {}); });
  EXPECT_EQ(redirect.code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(redirect.field(), "region");
  EXPECT_NE(std::string(redirect.what()).find("eu-west-1"), std::string::npos) << redirect.what();
  EXPECT_EQ(error_of([&] { client.create_bucket("b"); }).code(), ErrorCode::AlreadyExists);
  Error other = error_of([&] { client.put_object("b", "k", "v"); });
  EXPECT_EQ(other.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(std::string(other.what()).find("InvalidArgument: Unsupported <thing> & more"), std::string::npos)
      << other.what();
  EXPECT_EQ(client.stats().retries, 0u);
  EXPECT_EQ(server.calls(), 6);
}

TEST(S3Client, SourcesOutliveTheClientAndCountReads) {
  FakeS3 server([](int, const api::HttpRequest& request) {
    EXPECT_EQ(request.header("Range"), "bytes=4-7");
    EXPECT_EQ(request.target, "/b/dir/k%2B1");
    EXPECT_NE(request.header("Authorization").find("Credential=testing/"), std::string::npos);
    EXPECT_EQ(request.header("x-amz-security-token"), "");
    auto response = FakeS3::xml(206, "4567");
    response.content_type = "application/octet-stream";
    return response;
  });
  std::unique_ptr<ByteSource> source;
  {
    S3Client client(connection_to(server.endpoint()), api::make_s3_transport(), fast_retries());
    source = client.open_object("b", "dir/k+1", 10);
  }
  EXPECT_EQ(source->read(4, 4), "4567");
  EXPECT_EQ(source->bytes_read(), 4u);
}

}  // namespace
}  // namespace cairn::crawler
