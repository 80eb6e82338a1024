#include "cairn/crawler/s3_client.h"

#include <expat.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <climits>
#include <ctime>
#include <exception>
#include <optional>
#include <random>
#include <string_view>
#include <thread>

#include <spdlog/spdlog.h>

#include "cairn/authz/sigv4.h"
#include "cairn/catalog/error.h"
#include "cairn/catalog/text_util.h"

namespace cairn::crawler {

namespace text = catalog::text;

namespace {

constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Decodes a value of a listing with EncodingType url: %XX escapes and '+' for space (AWS encodes space as
/// '+' and '+' as %2B; botocore decodes with unquote_plus). nullopt for a malformed escape.
std::optional<std::string> url_decode_plus(std::string_view s) {
  return catalog::text::uri_decode(s, true);
}

/// Server-provided text made safe for a message: control characters become spaces, at most 400 bytes.
std::string clean_message(std::string_view s) {
  std::string out;
  for (char c : text::trim_ascii_space(s)) {
    if (out.size() >= 400) {
      out += "...";
      break;
    }
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  return out;
}

// --- XML ---------------------------------------------------------------------------------------------------
// S3 answers in XML. We parse it with expat (Debian's libexpat1-dev, in scripts/install-deps.sh) rather than
// by hand: it checks well-formedness, decodes the predefined entities (&amp; &lt; &gt; &quot; &apos;) and
// character references, and handles CDATA and namespaces. A document with a DOCTYPE is refused outright (S3
// never sends one), so no entity declarations are ever expanded and nothing external is loaded.

/// Called at the end of each element with the '/'-joined local names from the root ("ListBucketResult/
/// Contents/Key") and the element's own text.
using XmlVisitor = std::function<void(const std::string& path, const std::string& text)>;

struct XmlWalk {
  XML_Parser parser = nullptr;
  const XmlVisitor* visit = nullptr;
  std::vector<std::size_t> marks;  ///< length of `path` before each open element
  std::string path;
  std::string text;
  std::string error;  ///< set by a handler that stopped the parser
};

/// The local part of a name that expat reports as "namespace-uri local" (see XML_ParserCreateNS below).
std::string_view local_name(const XML_Char* name) {
  std::string_view n(name);
  const std::size_t space = n.rfind(' ');
  return space == std::string_view::npos ? n : n.substr(space + 1);
}

void XMLCALL xml_start(void* data, const XML_Char* name, const XML_Char** /*attributes*/) {
  auto* walk = static_cast<XmlWalk*>(data);
  walk->marks.push_back(walk->path.size());
  if (!walk->path.empty()) walk->path.push_back('/');
  walk->path += local_name(name);
  walk->text.clear();
}

void XMLCALL xml_end(void* data, const XML_Char* /*name*/) {
  auto* walk = static_cast<XmlWalk*>(data);
  try {
    (*walk->visit)(walk->path, walk->text);
  } catch (const std::exception& e) {
    walk->error = e.what();
    XML_StopParser(walk->parser, XML_FALSE);
  }
  walk->text.clear();
  walk->path.resize(walk->marks.back());
  walk->marks.pop_back();
}

void XMLCALL xml_text(void* data, const XML_Char* s, int len) {
  static_cast<XmlWalk*>(data)->text.append(s, static_cast<std::size_t>(len));
}

void XMLCALL xml_doctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  auto* walk = static_cast<XmlWalk*>(data);
  walk->error = "a DOCTYPE is not allowed";
  XML_StopParser(walk->parser, XML_FALSE);
}

/// Parses `xml`, calling `visit` per element. Returns why the document was refused, or empty on success.
std::string walk_xml(const std::string& xml, const XmlVisitor& visit) {
  if (xml.size() > static_cast<std::size_t>(INT_MAX)) return "the document is too large";
  XML_Parser parser = XML_ParserCreateNS(nullptr, ' ');
  if (parser == nullptr) throw std::bad_alloc();
  XmlWalk walk;
  walk.parser = parser;
  walk.visit = &visit;
  XML_SetUserData(parser, &walk);
  XML_SetElementHandler(parser, xml_start, xml_end);
  XML_SetCharacterDataHandler(parser, xml_text);
  XML_SetStartDoctypeDeclHandler(parser, xml_doctype);
  const XML_Status status = XML_Parse(parser, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  std::string error = walk.error;
  if (error.empty() && status != XML_STATUS_OK) {
    error = std::string(XML_ErrorString(XML_GetErrorCode(parser))) + " at line " +
            std::to_string(XML_GetCurrentLineNumber(parser));
  }
  XML_ParserFree(parser);
  return error;
}

/// The <Error> document of a failed request; empty fields when the body is not one (e.g. a proxy's page).
struct S3ErrorInfo {
  std::string code;
  std::string message;
  std::string region;    ///< <Region>, sent with a wrong-region error
  std::string endpoint;  ///< <Endpoint>, sent with PermanentRedirect
};

S3ErrorInfo parse_error_body(const std::string& body) {
  S3ErrorInfo info;
  if (body.empty()) return info;
  const std::string error = walk_xml(body, [&](const std::string& path, const std::string& value) {
    if (path == "Error/Code") info.code = clean_message(value);
    if (path == "Error/Message") info.message = clean_message(value);
    if (path == "Error/Region") info.region = clean_message(value);
    if (path == "Error/Endpoint") info.endpoint = clean_message(value);
  });
  if (!error.empty()) info = S3ErrorInfo{};
  return info;
}

// --- endpoints and addressing ------------------------------------------------------------------------------

struct ParsedEndpoint {
  std::string host;         ///< without brackets for IPv6
  std::string port;         ///< decimal
  std::string host_header;  ///< "host:port", port omitted when 80, IPv6 in brackets
  std::string url;          ///< "http://" + host_header, for messages
  bool is_ip = false;
};

bool is_ipv4(std::string_view host) {
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (!is_digit(c)) {
      return false;
    }
  }
  return dots == 3;
}

/// `url` for a message, with any user information ("http://user:secret@host") blanked out.
std::string redact_userinfo(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  const std::size_t at = url.rfind('@');
  if (scheme_end == std::string::npos || at == std::string::npos || at < scheme_end) return url;
  return url.substr(0, scheme_end + 3) + "***" + url.substr(at);
}

ParsedEndpoint parse_endpoint(const S3Connection& connection) {
  auto fail = [&](const std::string& why) -> Error {
    return Error(ErrorCode::InvalidArgument,
                 "invalid S3 endpoint '" + redact_userinfo(connection.endpoint) + "': " + why +
                     " (expected http://host[:port])",
                 "endpoint");
  };
  std::string authority;
  if (connection.endpoint.empty()) {
    authority = "s3." + connection.region + ".amazonaws.com";
  } else {
    const std::string& url = connection.endpoint;
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string::npos) throw fail("missing scheme");
    const std::string scheme = text::lower(url.substr(0, scheme_end));
    if (scheme == "https") {
      throw Error(
          ErrorCode::InvalidArgument,
          "S3 endpoint '" + redact_userinfo(url) +
              "' uses https, which Cairn's S3 transport does not support (it speaks plain HTTP only); "
              "put a TLS-originating proxy in front of the store and give its http://host:port",
          "endpoint");
    }
    if (scheme != "http") throw fail("unsupported scheme '" + scheme + "'");
    const std::string rest = url.substr(scheme_end + 3);
    const std::size_t slash = rest.find('/');
    if (slash != std::string::npos && slash + 1 != rest.size()) throw fail("a path is not allowed");
    authority = rest.substr(0, slash);
    if (authority.find_first_of("@?#") != std::string::npos) {
      throw fail("user information, a query or a fragment is not allowed");
    }
  }
  ParsedEndpoint ep;
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) throw fail("unterminated '[' in an IPv6 address");
    ep.host = authority.substr(1, close - 1);
    ep.is_ip = true;
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw fail("unexpected text after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) throw fail("empty port");
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string::npos && authority.find(':') != colon) {
      throw fail("IPv6 addresses must be written in brackets");
    }
    ep.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) throw fail("empty port");
    }
    ep.is_ip = is_ipv4(ep.host);
  }
  if (ep.host.empty()) throw fail("missing host");
  int port = 80;
  if (!port_text.empty()) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
      throw fail("port '" + port_text + "' is not a number in 1-65535");
    }
  }
  ep.port = std::to_string(port);
  const std::string host_part = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
  ep.host_header = port == 80 ? host_part : host_part + ":" + ep.port;
  ep.url = "http://" + ep.host_header;
  return ep;
}

/// A bucket name that can be the first label of a host name (AWS's rules for virtual-host addressing).
bool dns_compatible_bucket(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63 || is_ipv4(bucket)) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c); };
  if (!alnum(bucket.front()) || !alnum(bucket.back())) return false;
  for (std::size_t i = 0; i < bucket.size(); ++i) {
    const char c = bucket[i];
    if (!alnum(c) && c != '-' && c != '.') return false;
    if (c == '.' && (bucket[i + 1] == '.' || bucket[i + 1] == '-' || bucket[i - 1] == '-')) return false;
  }
  return true;
}

/// True when a request path (not yet encoded) survives the shared SigV4 signer unchanged. The signer
/// (authz/sigv4.cpp) normalizes paths as non-S3 services require: it drops empty, "." and ".." segments. S3
/// signs the path as sent, so a key with such segments ("a//b", "x/./y") would be signed wrongly.
bool signable_path(std::string_view path) {
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view segment = path.substr(start, end - start);
    const bool last = slash == std::string_view::npos;
    if (segment == "." || segment == "..") return false;
    if (segment.empty() && !last) return false;  // "a//b"; a trailing '/' (empty last segment) is kept
    if (last) break;
    start = slash + 1;
  }
  return true;
}

std::optional<std::string> header_value(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (text::iequals_ascii(n, name)) return v;
  }
  return std::nullopt;
}

bool is_throttling_code(std::string_view code) {
  return code == "SlowDown" || code == "Throttling" || code == "ThrottlingException" ||
         code == "RequestThrottled" || code == "RequestLimitExceeded" || code == "TooManyRequestsException" ||
         code == "ProvisionedThroughputExceededException" || code == "BandwidthLimitExceeded";
}

bool is_retryable(int status, std::string_view code) {
  if (status == 429 || is_throttling_code(code)) return true;
  if (code == "RequestTimeout" || code == "InternalError" || code == "ServiceUnavailable") return true;
  return status >= 500 && status != 501;
}

bool is_access_denied_code(std::string_view code) {
  return code == "AccessDenied" || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
         code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired" ||
         code == "AllAccessDisabled" || code == "InvalidSecurity" || code == "AccountProblem";
}

std::uint64_t random_below(std::uint64_t bound) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  if (bound == 0) return 0;
  return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(engine);
}

}  // namespace

// --- public helpers ----------------------------------------------------------------------------------------

S3Location parse_s3_url(const std::string& url, const std::string& field) {
  constexpr std::string_view kScheme = "s3://";
  if (url.size() < kScheme.size() ||
      !text::iequals_ascii(std::string_view(url).substr(0, kScheme.size()), kScheme)) {
    throw Error(ErrorCode::InvalidArgument, "'" + url + "' is not an S3 URL (expected s3://bucket/prefix)",
                field);
  }
  const std::string rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  S3Location location;
  location.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) location.prefix = rest.substr(slash + 1);
  const std::string& bucket = location.bucket;
  if (bucket.empty()) {
    throw Error(ErrorCode::InvalidArgument,
                "S3 URL '" + url + "' has no bucket (expected s3://bucket/prefix)", field);
  }
  // AWS's rules, widened to legacy names (upper case, '_', up to 255 characters) that old buckets may have.
  bool valid = bucket.size() >= 3 && bucket.size() <= 255;
  for (char c : bucket) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '-' || c == '_';
    valid = valid && ok;
  }
  valid =
      valid && bucket.front() != '.' && bucket.front() != '-' && bucket.back() != '.' && bucket.back() != '-';
  if (!valid) {
    throw Error(ErrorCode::InvalidArgument,
                "S3 URL '" + url + "' has an invalid bucket name '" + bucket +
                    "' (3-63 characters: lower-case letters, digits, '.' and '-', starting and ending with a "
                    "letter or digit)",
                field);
  }
  if (!location.prefix.empty() && location.prefix.front() == '/') {
    throw Error(ErrorCode::InvalidArgument,
                "S3 URL '" + url + "' has '//' after the bucket; write s3://bucket/prefix", field);
  }
  return location;
}

bool parse_iso8601_ms(const std::string& value, std::int64_t& out) {
  std::size_t pos = 0;
  auto number = [&](std::size_t digits, int& target) {
    if (pos + digits > value.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      const char c = value[pos + i];
      if (!is_digit(c)) return false;
      v = v * 10 + (c - '0');
    }
    pos += digits;
    target = v;
    return true;
  };
  auto expect = [&](char c) {
    if (pos < value.size() && value[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(4, year) || !expect('-') || !number(2, month) || !expect('-') || !number(2, day)) return false;
  if (!(expect('T') || expect('t')) || !number(2, hour) || !expect(':') || !number(2, minute) ||
      !expect(':') || !number(2, second)) {
    return false;
  }
  int millis = 0;
  if (expect('.')) {
    int scale = 100;
    std::size_t digits = 0;
    while (pos < value.size() && is_digit(value[pos])) {
      millis += (value[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++digits;
    }
    if (digits == 0) return false;
  }
  int offset_minutes = 0;
  if (expect('Z') || expect('z')) {
  } else if (pos < value.size() && (value[pos] == '+' || value[pos] == '-')) {
    const int sign = value[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!number(2, oh) || !expect(':') || !number(2, om) || oh > 23 || om > 59) return false;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return false;
  }
  if (pos != value.size()) return false;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return false;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second == 60 ? 59 : second;  // a leap second counts as the second before it
  const std::time_t seconds = ::timegm(&tm);
  if (tm.tm_mday != day || tm.tm_mon != month - 1) return false;  // timegm normalized e.g. February 30
  out = (static_cast<std::int64_t>(seconds) - offset_minutes * 60LL) * 1000 + millis;
  return true;
}

S3ListPage parse_list_objects_response(const std::string& xml, const std::string& what) {
  S3ListPage page;
  bool url_encoded = false;
  bool saw_root = false;
  S3Object current;
  std::vector<std::string> raw_prefixes;
  auto bad = [&](const std::string& why) { return Error(ErrorCode::Unavailable, what + ": " + why); };
  const std::string error = walk_xml(xml, [&](const std::string& path, const std::string& value) {
    constexpr std::string_view kContents = "ListBucketResult/Contents/";
    if (path == "ListBucketResult") {
      saw_root = true;
    } else if (path.compare(0, kContents.size(), kContents) == 0) {
      const std::string_view field = std::string_view(path).substr(kContents.size());
      if (field == "Key") {
        current.key = value;
      } else if (field == "Size") {
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), current.size);
        if (ec != std::errc() || end != value.data() + value.size()) {
          throw bad("object size '" + clean_message(value) + "' is not a number");
        }
      } else if (field == "ETag") {
        std::string_view etag = text::trim_ascii_space(value);
        if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
          etag = etag.substr(1, etag.size() - 2);
        current.etag = std::string(etag);
      } else if (field == "LastModified") {
        if (!parse_iso8601_ms(std::string(text::trim_ascii_space(value)), current.last_modified_ms)) {
          throw bad("LastModified '" + clean_message(value) + "' is not an ISO-8601 timestamp");
        }
      }
    } else if (path == "ListBucketResult/Contents") {
      page.objects.push_back(std::move(current));
      current = S3Object{};
    } else if (path == "ListBucketResult/CommonPrefixes/Prefix") {
      raw_prefixes.push_back(value);
    } else if (path == "ListBucketResult/IsTruncated") {
      const std::string flag = text::lower(text::trim_ascii_space(value));
      if (flag != "true" && flag != "false")
        throw bad("IsTruncated '" + clean_message(value) + "' is not a boolean");
      page.truncated = flag == "true";
    } else if (path == "ListBucketResult/NextContinuationToken") {
      page.next_continuation_token = value;
    } else if (path == "ListBucketResult/EncodingType") {
      url_encoded = text::lower(text::trim_ascii_space(value)) == "url";
    }
  });
  if (!error.empty()) throw bad("malformed ListObjectsV2 response: " + error);
  if (!saw_root) throw bad("the response is not a ListBucketResult");
  if (page.truncated && page.next_continuation_token.empty()) {
    throw bad("the listing is truncated but has no NextContinuationToken");
  }
  // EncodingType appears after the entries, so keys are decoded once the whole page is read.
  auto decode = [&](std::string& value) {
    if (!url_encoded) return;
    auto decoded = url_decode_plus(value);
    if (!decoded) throw bad("key '" + clean_message(value) + "' has a malformed %-escape");
    value = std::move(*decoded);
  };
  for (S3Object& object : page.objects) decode(object.key);
  for (std::string& prefix : raw_prefixes) {
    decode(prefix);
    page.common_prefixes.push_back(std::move(prefix));
  }
  return page;
}

// --- the client --------------------------------------------------------------------------------------------

/// One S3 operation before addressing and signing.
struct S3Call {
  std::string method;
  std::string operation;  ///< "GetObject", for messages
  std::string bucket;
  std::string key;    ///< empty for bucket operations
  std::string query;  ///< encoded, without '?'
  HttpHeaders headers;
  std::string body;

  std::string resource() const { return "s3://" + bucket + (key.empty() ? "" : "/" + key); }
};

struct S3Client::Impl {
  Impl(S3Connection c, HttpTransport t, S3RetryPolicy r)
      : connection(std::move(c)), transport(std::move(t)), retry(r), endpoint(parse_endpoint(connection)) {}

  /// Sends `call` with retries; returns the 2xx response, or (with `accept_status`) a response of that
  /// status. Throws Error for every other outcome.
  HttpExchangeResponse execute(const S3Call& call, int accept_status = 0) {
    const bool virtual_host = !connection.path_style && !endpoint.is_ip && dns_compatible_bucket(call.bucket);
    const std::string connect_host = virtual_host ? call.bucket + "." + endpoint.host : endpoint.host;
    const std::string host_header =
        virtual_host ? call.bucket + "." + endpoint.host_header : endpoint.host_header;
    const std::string path =
        virtual_host ? "/" + call.key : "/" + call.bucket + (call.key.empty() ? "" : "/" + call.key);
    if (!signable_path(path)) {
      throw Error(
          ErrorCode::InvalidArgument,
          "S3 key '" + call.key + "' in bucket '" + call.bucket +
              "' has an empty, '.' or '..' path segment, which Cairn's SigV4 signer cannot sign for S3",
          "key");
    }
    const std::string target = text::uri_encode(path, true) + (call.query.empty() ? "" : "?" + call.query);
    const int attempts = std::max(1, retry.max_attempts);

    for (int attempt = 1;; ++attempt) {
      authz::SignableRequest request;
      request.method = call.method;
      request.path = path;  // unencoded: the signer encodes it once, as S3's canonical URI wants
      request.query = call.query;
      request.headers = call.headers;
      request.headers.emplace_back("Host", host_header);
      request.body = call.body;
      authz::sign_request(request, connection.access_key_id, connection.secret_access_key, connection.region,
                          "s3", {}, connection.session_token);

      requests.fetch_add(1, std::memory_order_relaxed);
      bytes_sent.fetch_add(call.body.size(), std::memory_order_relaxed);
      std::optional<HttpExchangeResponse> response;
      std::string failure;
      try {
        response = transport(connect_host, endpoint.port, call.method, target, request.headers, call.body);
      } catch (const std::exception& e) {
        failure = e.what();
      }

      S3ErrorInfo info;
      bool retryable = true;
      std::chrono::milliseconds retry_after{0};
      if (response) {
        bytes_received.fetch_add(response->body.size(), std::memory_order_relaxed);
        const int status = response->status;
        if ((status >= 200 && status < 300) || (accept_status != 0 && status == accept_status)) {
          return std::move(*response);
        }
        info = parse_error_body(response->body);
        if (info.code.empty()) info.code = "HTTP " + std::to_string(status);
        retryable = is_retryable(status, info.code);
        if (auto header = header_value(response->headers, "Retry-After")) {
          int seconds = 0;
          auto [end, ec] = std::from_chars(header->data(), header->data() + header->size(), seconds);
          if (ec == std::errc() && end == header->data() + header->size() && seconds > 0) {
            retry_after = std::chrono::seconds(seconds);
          }
        }
      }
      if (!retryable || attempt >= attempts) {
        if (!response) {
          throw Error(ErrorCode::Unavailable, "S3 " + call.operation + " " + call.resource() + " at " +
                                                  endpoint.url + " failed after " + std::to_string(attempt) +
                                                  (attempt == 1 ? " attempt: " : " attempts: ") + failure);
        }
        throw to_error(call, response->status, info, attempt);
      }
      const auto delay = backoff(attempt, retry_after);
      spdlog::debug("S3 {} {} at {}: {}; retrying in {} ms (attempt {} of {})", call.operation,
                    call.resource(), endpoint.url,
                    response ? info.code + " (HTTP " + std::to_string(response->status) + ")" : failure,
                    delay.count(), attempt + 1, attempts);
      retries.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::sleep_for(delay);
    }
  }

  std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds retry_after) const {
    const auto cap = static_cast<std::uint64_t>(std::max<std::int64_t>(0, retry.max_delay.count()));
    std::uint64_t ceiling = static_cast<std::uint64_t>(std::max<std::int64_t>(1, retry.base_delay.count()));
    for (int i = 1; i < attempt && ceiling < cap; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, cap);
    std::uint64_t delay = random_below(ceiling + 1);
    delay = std::max(delay, static_cast<std::uint64_t>(retry_after.count()));
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(delay, cap)));
  }

  Error to_error(const S3Call& call, int status, const S3ErrorInfo& info, int attempts) const {
    const std::string detail = info.code + (info.message.empty() ? "" : ": " + info.message);
    const std::string where = "S3 " + call.operation + " " + call.resource() + " at " + endpoint.url;
    const std::string& code = info.code;
    if (code == "NoSuchBucket") {
      return Error(ErrorCode::NotFound,
                   "S3 bucket '" + call.bucket + "' does not exist at " + endpoint.url + " (" + detail + ")");
    }
    if (code == "NoSuchKey") {
      return Error(ErrorCode::NotFound, "S3 object " + call.resource() + " does not exist (" + detail + ")");
    }
    if (is_access_denied_code(code) || status == 401 || status == 403) {
      return Error(ErrorCode::AccessDenied, where + " was denied: " + detail);
    }
    if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" ||
        code == "IllegalLocationConstraintException" || (status >= 300 && status < 400)) {
      std::string hint = "; check the connection's region ('" + connection.region + "') and endpoint";
      if (!info.region.empty()) hint += "; S3 names region '" + info.region + "'";
      if (!info.endpoint.empty()) hint += "; S3 names endpoint '" + info.endpoint + "'";
      return Error(ErrorCode::InvalidArgument, where + " failed: " + detail + hint, "region");
    }
    if (code == "BucketAlreadyExists" || code == "BucketAlreadyOwnedByYou") {
      return Error(ErrorCode::AlreadyExists,
                   "S3 bucket '" + call.bucket + "' already exists (" + detail + ")");
    }
    if (code == "PreconditionFailed" || status == 412) {
      return Error(ErrorCode::FailedPrecondition,
                   where + " failed: the object changed since it was listed (" + detail + ")");
    }
    const std::string tried = attempts > 1 ? " after " + std::to_string(attempts) + " attempts" : "";
    if (status == 429 || is_throttling_code(code)) {
      return Error(ErrorCode::TooManyRequests, where + " was throttled" + tried + ": " + detail);
    }
    if (status >= 500) return Error(ErrorCode::Unavailable, where + " failed" + tried + ": " + detail);
    if (status == 404) return Error(ErrorCode::NotFound, where + " failed: " + detail);
    if (status == 413) return Error(ErrorCode::PayloadTooLarge, where + " failed: " + detail);
    if (status == 409) return Error(ErrorCode::FailedPrecondition, where + " failed: " + detail);
    return Error(ErrorCode::InvalidArgument, where + " failed: " + detail);
  }

  /// Bytes [offset, offset + length) of an object. `within_size`: the caller knows the object holds them,
  /// so a short answer means it shrank (Unavailable); otherwise fewer bytes (or none, past the end) are fine.
  std::string get_range(const std::string& bucket, const std::string& key, std::uint64_t offset,
                        std::size_t length, const std::string& etag, bool within_size) {
    S3Call call{"GET", "GetObject", bucket, key, {}, {}, {}};
    call.headers.emplace_back("Range",
                              "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
    if (!etag.empty()) call.headers.emplace_back("If-Match", "\"" + etag + "\"");
    HttpExchangeResponse response = execute(call, 416);
    std::string bytes;
    if (response.status == 416 && !within_size) return bytes;  // the range starts at or past the end
    if (response.status == 206) {
      bytes = std::move(response.body);
      if (bytes.size() > length) {
        throw Error(ErrorCode::Unavailable, "S3 GetObject " + call.resource() + " at " + endpoint.url +
                                                " returned " + std::to_string(bytes.size()) +
                                                " bytes for a range of " + std::to_string(length));
      }
    } else if (response.status != 416) {  // 200: the server ignored Range and sent the whole object
      bytes =
          offset < response.body.size() ? response.body.substr(static_cast<std::size_t>(offset), length) : "";
    }
    if (within_size && bytes.size() != length) {
      throw Error(ErrorCode::Unavailable, "cannot read " + call.resource() +
                                              ": the object shrank while being read (" +
                                              std::to_string(bytes.size()) + " of " + std::to_string(length) +
                                              " bytes at offset " + std::to_string(offset) + ")");
    }
    return bytes;
  }

  const S3Connection connection;
  const HttpTransport transport;
  const S3RetryPolicy retry;
  const ParsedEndpoint endpoint;
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> bytes_sent{0};
};

namespace {

class S3ObjectSource final : public ByteSource {
 public:
  S3ObjectSource(std::shared_ptr<S3Client::Impl> client, std::string bucket, std::string key,
                 std::uint64_t size, std::string etag)
      : ByteSource("s3://" + bucket + "/" + key),
        client_(std::move(client)),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        size_(size),
        etag_(std::move(etag)) {}

  std::uint64_t size() override { return size_; }

 protected:
  /// A read inside one of the last two responses is served from it: readers re-read bytes they already
  /// fetched (after the classifier's first 64 KiB and its footer read, the Parquet reader checks the leading
  /// magic), and each request to a store costs tens of milliseconds.
  std::string read_at(std::uint64_t offset, std::size_t length) override {
    for (const Window& window : recent_) {
      if (offset >= window.offset && offset + length <= window.offset + window.bytes.size()) {
        return window.bytes.substr(static_cast<std::size_t>(offset - window.offset), length);
      }
    }
    std::string bytes = client_->get_range(bucket_, key_, offset, length, etag_, true);
    if (bytes.size() <= kKeepBytes) {
      recent_[1] = std::move(recent_[0]);
      recent_[0] = Window{offset, bytes};
    }
    return bytes;
  }

 private:
  static constexpr std::size_t kKeepBytes = 1 << 20;  ///< larger responses are not kept

  struct Window {
    std::uint64_t offset = 0;
    std::string bytes;
  };

  std::shared_ptr<S3Client::Impl> client_;
  std::string bucket_;
  std::string key_;
  std::uint64_t size_;
  std::string etag_;
  Window recent_[2];  ///< the last two responses, newest first
};

void require_bucket(const std::string& bucket) {
  if (bucket.empty() || bucket.find('/') != std::string::npos) {
    throw Error(ErrorCode::InvalidArgument, "invalid S3 bucket name '" + bucket + "'", "bucket");
  }
}

void require_key(const std::string& key) {
  if (key.empty()) throw Error(ErrorCode::InvalidArgument, "an S3 object key must not be empty", "key");
}

}  // namespace

S3Client::S3Client(S3Connection connection, HttpTransport transport, S3RetryPolicy retry) {
  const std::string& region = connection.region;
  const bool region_ok =
      !region.empty() && region.size() <= 64 && std::all_of(region.begin(), region.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_';
      });
  if (!region_ok) {
    throw Error(ErrorCode::InvalidArgument,
                "invalid S3 region '" + region + "' (letters, digits, '-' and '_', e.g. us-east-1)",
                "region");
  }
  if (!transport)
    throw Error(ErrorCode::InvalidArgument, "an S3 client needs an HTTP transport", "transport");
  impl_ = std::make_shared<Impl>(std::move(connection), std::move(transport), retry);
}

S3Client::~S3Client() = default;

S3ListPage S3Client::list_objects_page(const std::string& bucket, const S3ListRequest& request) {
  require_bucket(bucket);
  if (request.max_keys < 1 || request.max_keys > 1000) {
    throw Error(ErrorCode::InvalidArgument,
                "max_keys must be within 1-1000, not " + std::to_string(request.max_keys), "max_keys");
  }
  S3Call call{"GET", "ListObjectsV2", bucket, {}, "list-type=2&encoding-type=url", {}, {}};
  auto add = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) call.query += "&" + std::string(name) + "=" + text::uri_encode(value, false);
  };
  add("prefix", request.prefix);
  add("delimiter", request.delimiter);
  add("max-keys", std::to_string(request.max_keys));
  add("continuation-token", request.continuation_token);
  add("start-after", request.start_after);
  const HttpExchangeResponse response = impl_->execute(call);
  return parse_list_objects_response(response.body, "S3 ListObjectsV2 " + call.resource() +
                                                        (request.prefix.empty() ? "" : "/" + request.prefix) +
                                                        " at " + impl_->endpoint.url);
}

void S3Client::list_objects(const std::string& bucket, S3ListRequest request,
                            const std::function<bool(S3ListPage&)>& on_page) {
  for (;;) {
    S3ListPage page = list_objects_page(bucket, request);
    const bool more = page.truncated;
    std::string token = page.next_continuation_token;
    if (!on_page(page) || !more) return;
    if (token == request.continuation_token) {
      throw Error(ErrorCode::Unavailable, "S3 ListObjectsV2 s3://" + bucket + " at " + impl_->endpoint.url +
                                              " returned the same continuation token twice");
    }
    request.continuation_token = std::move(token);
    request.start_after.clear();
  }
}

std::string S3Client::get_object(const std::string& bucket, const std::string& key) {
  require_bucket(bucket);
  require_key(key);
  return impl_->execute(S3Call{"GET", "GetObject", bucket, key, {}, {}, {}}).body;
}

std::string S3Client::get_object_range(const std::string& bucket, const std::string& key,
                                       std::uint64_t offset, std::size_t length) {
  require_bucket(bucket);
  require_key(key);
  if (length == 0) return {};
  return impl_->get_range(bucket, key, offset, length, {}, false);
}

std::unique_ptr<ByteSource> S3Client::open_object(const std::string& bucket, const std::string& key,
                                                  std::uint64_t size, const std::string& etag) {
  require_bucket(bucket);
  require_key(key);
  return std::make_unique<S3ObjectSource>(impl_, bucket, key, size, etag);
}

void S3Client::put_object(const std::string& bucket, const std::string& key, const std::string& body,
                          const std::string& content_type) {
  require_bucket(bucket);
  require_key(key);
  S3Call call{"PUT", "PutObject", bucket, key, {}, {{"Content-Type", content_type}}, body};
  impl_->execute(call);
}

void S3Client::create_bucket(const std::string& bucket) {
  require_bucket(bucket);
  S3Call call{"PUT", "CreateBucket", bucket, {}, {}, {}, {}};
  if (impl_->connection.region != "us-east-1") {
    call.body = "<CreateBucketConfiguration xmlns=\"" + std::string(kS3Namespace) +
                "\"><LocationConstraint>" + impl_->connection.region +
                "</LocationConstraint></CreateBucketConfiguration>";
    call.headers.emplace_back("Content-Type", "application/xml");
  }
  impl_->execute(call);
}

S3Stats S3Client::stats() const {
  S3Stats s;
  s.requests = impl_->requests.load(std::memory_order_relaxed);
  s.retries = impl_->retries.load(std::memory_order_relaxed);
  s.bytes_received = impl_->bytes_received.load(std::memory_order_relaxed);
  s.bytes_sent = impl_->bytes_sent.load(std::memory_order_relaxed);
  return s;
}

const std::string& S3Client::endpoint() const {
  return impl_->endpoint.url;
}

}  // namespace cairn::crawler
