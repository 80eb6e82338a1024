#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace cairn::api {

/// The audit writer's state as /metrics shows it (read from authz::AuditLog when rendering).
struct AuditFigures {
  std::int64_t written = 0;  ///< entries appended to the store by this process
  std::int64_t waiting = 0;  ///< entries recorded and not yet in the store
  bool background = false;   ///< the writer is in the idle scheduling class
};

/// Request counters and a latency histogram, exported in the Prometheus text format at /metrics.
/// Lock-free: every field is an atomic updated with relaxed ordering.
class Metrics {
 public:
  /// Records one finished request.
  void record(int status, double seconds);
  /// Prometheus exposition text (version 0.0.4).
  std::string render(const std::string& store_backend, const AuditFigures& audit) const;

 private:
  static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  std::array<std::atomic<std::uint64_t>, 6> by_class_{};  ///< index status/100 (1xx..5xx), 0 unused
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

}  // namespace cairn::api
