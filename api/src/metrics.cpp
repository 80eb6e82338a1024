#include "cairn/api/metrics.h"

#include <sstream>

namespace cairn::api {

void Metrics::record(int status, double seconds) {
  const int cls = status / 100;
  if (cls >= 1 && cls <= 5) by_class_[static_cast<std::size_t>(cls)].fetch_add(1, std::memory_order_relaxed);
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string Metrics::render(const std::string& store_backend, const AuditFigures& audit) const {
  std::ostringstream out;
  out << "# HELP cairn_http_requests_total HTTP requests answered, by status class.\n"
      << "# TYPE cairn_http_requests_total counter\n";
  for (int cls = 1; cls <= 5; ++cls) {
    out << "cairn_http_requests_total{code=\"" << cls << "xx\"} "
        << by_class_[static_cast<std::size_t>(cls)].load(std::memory_order_relaxed) << "\n";
  }
  out << "# HELP cairn_http_request_duration_seconds Time from request parsed to response ready.\n"
      << "# TYPE cairn_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < kBuckets.size(); ++b) {
    cumulative += buckets_[b].load(std::memory_order_relaxed);
    out << "cairn_http_request_duration_seconds_bucket{le=\"" << kBuckets[b] << "\"} " << cumulative << "\n";
  }
  cumulative += buckets_[kBuckets.size()].load(std::memory_order_relaxed);
  out << "cairn_http_request_duration_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "cairn_http_request_duration_seconds_sum " << static_cast<double>(sum_micros_.load()) / 1e6 << "\n"
      << "cairn_http_request_duration_seconds_count " << count_.load() << "\n"
      << "# HELP cairn_info Build and store information.\n# TYPE cairn_info gauge\n"
      << "cairn_info{store=\"" << store_backend << "\"} 1\n"
      << "# HELP cairn_audit_entries_written_total Audit entries this process appended to the store.\n"
      << "# TYPE cairn_audit_entries_written_total counter\n"
      << "cairn_audit_entries_written_total " << audit.written << "\n"
      << "# HELP cairn_audit_entries_waiting Audit entries recorded and not yet in the store.\n"
      << "# TYPE cairn_audit_entries_waiting gauge\n"
      << "cairn_audit_entries_waiting " << audit.waiting << "\n"
      << "# HELP cairn_audit_writer_background 1 while the audit writer runs in the idle scheduling class.\n"
      << "# TYPE cairn_audit_writer_background gauge\n"
      << "cairn_audit_writer_background " << (audit.background ? 1 : 0) << "\n";
  return out.str();
}

}  // namespace cairn::api
