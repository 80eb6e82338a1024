#pragma once
// A client for S3-compatible object stores (AWS S3, MinIO, Ceph RGW, moto): ListObjectsV2 with paging,
// ranged GetObject behind a ByteSource, PutObject and CreateBucket, SigV4-signed with the server's signer
// (authz/sigv4.h), with retries and backoff. HTTP goes through an injected transport so that this library
// stays free of Boost; api/s3_transport.h has the production one. See docs/crawlers.md, "S3 targets".

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cairn/crawler/byte_source.h"

namespace cairn::crawler {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// One HTTP response as a transport returns it; header names as the server sent them.
struct HttpExchangeResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
};

/// Sends one HTTP/1.1 request over plain HTTP (no TLS) to host:port and returns the response, whatever its
/// status. `target` is the raw request target ("/bucket/key?x=y"); `headers` carry Host. Throws (any
/// std::exception) when no response arrives: connection failure or timeout. Must be thread-safe when one
/// S3Client is shared between threads.
using HttpTransport = std::function<HttpExchangeResponse(
    const std::string& host, const std::string& port, const std::string& method, const std::string& target,
    const HttpHeaders& headers, const std::string& body)>;

/// Where and how to reach a store. The secret and session token are never logged nor put into error messages
/// or ByteSource names.
struct S3Connection {
  /// "http://host[:port]" of an S3-compatible store. Empty means AWS: http://s3.<region>.amazonaws.com. The
  /// transport speaks plain HTTP only, so TLS is not supported: an https endpoint is refused, and for AWS put
  /// a TLS-originating proxy in front (endpoint "http://proxy:port"); AWS answers plain HTTP itself, but then
  /// data travels unencrypted and buckets whose policy demands aws:SecureTransport refuse the requests.
  std::string endpoint;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< temporary credentials only; empty otherwise
  /// true: http://endpoint/bucket/key. false: http://bucket.endpoint/key (Host bucket.endpoint), except for a
  /// bucket name that is not a DNS name (upper case, '_', longer than 63) or an endpoint given as an IP
  /// address, which fall back to path-style as AWS SDKs do.
  bool path_style = false;
};

/// Backoff between attempts: "full jitter" (a random delay in [0, min(max_delay, base_delay * 2^retry))),
/// raised to a Retry-After the server sent, capped at max_delay.
struct S3RetryPolicy {
  int max_attempts = 5;  ///< attempts per request, the first included (1 = no retries)
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
};

/// What a client did so far; counters only grow. Safe to read from any thread.
struct S3Stats {
  std::uint64_t requests = 0;        ///< HTTP requests sent, retries included
  std::uint64_t retries = 0;         ///< requests that were repeated after a retryable failure
  std::uint64_t bytes_received = 0;  ///< response body bytes (object bytes, listings, errors)
  std::uint64_t bytes_sent = 0;      ///< request body bytes
};

/// A bucket and key prefix, as in "s3://bucket/prefix/".
struct S3Location {
  std::string bucket;
  std::string prefix;  ///< raw key prefix, no leading '/'; may be empty
};

/// Splits "s3://bucket/prefix" (prefix optional; taken verbatim, not percent-decoded). Throws
/// Error(InvalidArgument, field) for another scheme, a missing or malformed bucket name.
S3Location parse_s3_url(const std::string& url, const std::string& field = "url");

/// One object of a listing.
struct S3Object {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;                   ///< without the surrounding quotes
  std::int64_t last_modified_ms = 0;  ///< Unix epoch milliseconds (UTC)
};

/// What to list: ListObjectsV2's parameters.
struct S3ListRequest {
  std::string prefix;
  /// "/" lists one folder level: deeper keys come back as common prefixes ("folder/").
  std::string delimiter;
  int max_keys = 1000;  ///< per page, 1..1000
  std::string continuation_token;
  std::string start_after;
};

/// One page of ListObjectsV2.
struct S3ListPage {
  std::vector<S3Object> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;  ///< set when truncated
};

/// Parses a ListBucketResult document (keys URL-decoded when it says EncodingType url). Throws
/// Error(Unavailable) naming `what` for malformed XML, a DOCTYPE, or a missing or invalid element value.
S3ListPage parse_list_objects_response(const std::string& xml, const std::string& what);

/// "2024-01-31T12:34:56.789Z" (or with an offset "+02:00"; fraction optional) as Unix epoch milliseconds;
/// false for text that is not such a timestamp.
bool parse_iso8601_ms(const std::string& text, std::int64_t& out);

/// A SigV4-signing S3 client. Thread-safe when its transport is; ByteSources it opens keep what they need
/// alive, so they may outlive the client.
class S3Client {
 public:
  /// Throws Error(InvalidArgument, "endpoint") for an endpoint that is not http://host[:port] (https is
  /// refused: TLS is not supported) and Error(InvalidArgument, "region") for an empty region.
  S3Client(S3Connection connection, HttpTransport transport, S3RetryPolicy retry = {});
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  /// One ListObjectsV2 page. Throws Error (see "Errors" in docs/crawlers.md): NotFound for a missing
  /// bucket, AccessDenied, Unavailable when retries are exhausted or the response is malformed.
  S3ListPage list_objects_page(const std::string& bucket, const S3ListRequest& request);

  /// Every page of the listing in order, following continuation tokens; stops early when `on_page` returns
  /// false. Throws as list_objects_page.
  void list_objects(const std::string& bucket, S3ListRequest request,
                    const std::function<bool(S3ListPage&)>& on_page);

  /// The whole object. Throws Error(NotFound) for a missing bucket or key, others as list_objects_page.
  std::string get_object(const std::string& bucket, const std::string& key);

  /// Bytes [offset, offset + length) through `Range: bytes=…`; fewer only when the object ends sooner.
  /// `length` 0 gives an empty string without a request. Throws as get_object.
  std::string get_object_range(const std::string& bucket, const std::string& key, std::uint64_t offset,
                               std::size_t length);

  /// A ByteSource named "s3://bucket/key" whose reads are ranged GETs (a read within one of the last two
  /// responses of up to 1 MiB is served without a request). `size` comes from the listing; when
  /// `etag` is non-empty every read sends If-Match, so an object replaced since the listing fails with
  /// Error(FailedPrecondition) instead of mixing bytes of two versions.
  std::unique_ptr<ByteSource> open_object(const std::string& bucket, const std::string& key,
                                          std::uint64_t size, const std::string& etag = {});

  /// Stores `body` at bucket/key (single PUT, up to S3's 5 GiB limit). Throws as get_object.
  void put_object(const std::string& bucket, const std::string& key, const std::string& body,
                  const std::string& content_type = "application/octet-stream");

  /// Creates the bucket (with a LocationConstraint outside us-east-1). Throws Error(AlreadyExists) when it
  /// exists, others as list_objects_page.
  void create_bucket(const std::string& bucket);

  /// Counters of this client and every source it opened.
  S3Stats stats() const;

  /// The endpoint in use ("http://host:port"), for messages; never credentials.
  const std::string& endpoint() const;

  /// The client's state, shared with the ByteSources it opens (defined in s3_client.cpp).
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace cairn::crawler
