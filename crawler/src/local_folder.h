#pragma once
// Reading one local folder for the crawler's listing and for table value sampling: readdir and fstatat
// relative to the open folder (no path walk per entry). Internal to cairn_crawler.

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::crawler::detail {

/// One entry of a folder: a sub-folder, or a regular file (or a symbolic link to one).
struct LocalEntry {
  std::string name;
  bool folder = false;
  std::uint64_t size = 0;
  std::int64_t mtime_ms = 0;  ///< Unix epoch milliseconds
};

/// Appends the entries of `dir` to `out` in readdir order ("." and ".." left out; symbolic links to folders
/// are not followed, so there are no cycles; other kinds of entries are left out). Returns 0, or the errno of
/// opening the folder.
int read_local_folder(const std::string& dir, std::vector<LocalEntry>& out);

}  // namespace cairn::crawler::detail
