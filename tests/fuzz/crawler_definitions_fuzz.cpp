// Fuzzes what people and servers hand the crawler as text: schedule expressions, exclusion globs, Grok
// patterns, crawler definitions (JSON) and S3 ListObjectsV2 responses (XML). The first byte picks the parser;
// each either returns or throws cairn::Error — never crashes, hangs or reads outside the input.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cairn/catalog/error.h"
#include "cairn/crawler/definition.h"
#include "cairn/crawler/glob.h"
#include "cairn/crawler/grok.h"
#include "cairn/crawler/s3_client.h"
#include "cairn/crawler/schedule.h"

namespace crawler = cairn::crawler;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 5) {
      case 0: {
        const crawler::Schedule s = crawler::parse_schedule(text);
        // A next time is strictly later and again a firing time of the schedule.
        const auto next = s.next_after(1700000000, 1690000000);
        if (next && *next <= 1700000000) __builtin_trap();
        break;
      }
      case 1: {
        std::vector<std::string> patterns;
        std::string::size_type start = 0;
        while (start <= text.size()) {
          const auto nl = text.find('\n', start);
          patterns.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
          if (nl == std::string::npos) break;
          start = nl + 1;
        }
        const auto set = crawler::GlobSet::create(patterns);
        for (const char* path : {"a/b/c.csv", "logs/x", "", "a/.b/_tmp/x.bak"}) {
          const bool excluded = set.excluded(path);
          (void)excluded;
        }
        if (set.prunes_directory("logs") && !set.excluded("logs/a/b")) __builtin_trap();
        break;
      }
      case 2: {
        const auto nl = text.find('\n');
        const auto pattern = crawler::GrokPattern::compile(
            text.substr(0, nl), nl == std::string::npos ? std::string() : text.substr(nl + 1));
        (void)pattern;
        break;
      }
      case 3: {
        const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_discarded()) break;
        const crawler::CrawlerDefinition d = crawler::definition_from_json(j);
        crawler::validate(d);
        // What validates survives the round trip through JSON.
        if (crawler::to_json(crawler::definition_from_json(crawler::to_json(d))) != crawler::to_json(d))
          __builtin_trap();
        break;
      }
      default:
        (void)crawler::parse_list_objects_response(text, "fuzz");
        break;
    }
  } catch (const cairn::Error&) {
  }
  return 0;
}
