// What checking one SigV4-signed GetTable costs the server, against the floor of its cryptography: parsing
// the Authorization header, and verifying the request with the signing key cached per access key and day
// (as Authenticator does), next to one SHA-256 of a canonical request's size plus one HMAC-SHA256 of a
// string to sign's size, which any verifier must compute.
//
//   build/bench/cairn-sigv4-bench [--benchmark_filter=…]
#include <benchmark/benchmark.h>

#include <ctime>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/authz/sigv4.h"
#include "crypto_util.h"

namespace {

using namespace cairn::authz;

constexpr std::string_view kSecret = "benchmark-secret-key-000000000000000000";

/// A GetTable as cairn-loadgen and the AWS SDKs send it: the headers a server sees, in wire order; its
/// Authorization header parsed, and the signing key a verifier caches for its scope.
struct SignedGetTable {
  SignableRequest req;
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::string header;
  SigV4Authorization auth;
  std::string key;
  std::function<std::string()> signing_key = [this] { return key; };

  SignedGetTable() {
    req.method = "GET";
    req.path = "/v1/databases/bench_db0/tables/t3";
    req.headers.emplace_back("Host", "127.0.0.1:8321");
    req.headers.emplace_back("User-Agent", "cairn-loadgen");
    sign_request(req, "AKIABENCHMARK0000001", kSecret, "us-east-1", "cairn");
    for (const auto& [name, value] : req.headers) {
      if (name == "Authorization") header = value;
    }
    std::string error;
    auth = parse_authorization(header, &error).value();
    key = derive_signing_key(kSecret, auth.date, auth.region, auth.service);
  }
  SignedGetTable(const SignedGetTable&) = delete;
  SignedGetTable& operator=(const SignedGetTable&) = delete;

  void verify(benchmark::State& state, const SigV4Authorization& parsed) const {
    const VerifyStatus status = verify_request_with_key(req, parsed, signing_key, now);
    if (status != VerifyStatus::Ok) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(status);
  }
};

void BM_ParseAuthorization(benchmark::State& state) {
  const SignedGetTable s;
  std::string error;
  for (auto _ : state) {
    auto auth = parse_authorization(s.header, &error);
    benchmark::DoNotOptimize(auth);
  }
}
BENCHMARK(BM_ParseAuthorization);

void BM_VerifyWithCachedKey(benchmark::State& state) {
  const SignedGetTable s;
  for (auto _ : state) s.verify(state, s.auth);
}
BENCHMARK(BM_VerifyWithCachedKey);

/// Parse and verify: what a server does per request once the key is cached.
void BM_ParseAndVerify(benchmark::State& state) {
  const SignedGetTable s;
  std::string error;
  for (auto _ : state) s.verify(state, *parse_authorization(s.header, &error));
}
BENCHMARK(BM_ParseAndVerify);

/// The floor: the canonical request's SHA-256 and the string to sign's HMAC, on inputs of their sizes.
void BM_CryptographyFloor(benchmark::State& state) {
  const SignedGetTable s;
  const std::string canonical = canonical_request(s.req, s.auth.signed_headers, sha256_hex(""));
  const std::string sts =
      string_to_sign("20260101T000000Z", "20260101/us-east-1/cairn/aws4_request", canonical);
  for (auto _ : state) {
    benchmark::DoNotOptimize(detail::sha256(canonical));
    benchmark::DoNotOptimize(detail::hmac_sha256_digest(s.key, sts));
  }
  state.counters["canonical_bytes"] = static_cast<double>(canonical.size());
}
BENCHMARK(BM_CryptographyFloor);

}  // namespace

BENCHMARK_MAIN();
