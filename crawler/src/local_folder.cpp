#include "local_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>

namespace cairn::crawler::detail {

int read_local_folder(const std::string& dir, std::vector<LocalEntry>& out) {
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) return errno;
  const std::unique_ptr<DIR, int (*)(DIR*)> closer(handle, ::closedir);
  const int fd = ::dirfd(handle);
  while (const dirent* entry = ::readdir(handle)) {
    const char* name = entry->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    if (entry->d_type == DT_DIR) {  // no stat for folders
      out.push_back({name, true, 0, 0});
      continue;
    }
    struct stat st {};
    if (::fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      out.push_back({name, true, 0, 0});
    } else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
      if (S_ISLNK(st.st_mode) && (::fstatat(fd, name, &st, 0) != 0 || !S_ISREG(st.st_mode))) continue;
      out.push_back({name, false, static_cast<std::uint64_t>(st.st_size),
                     static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000});
    }
  }
  return 0;
}

}  // namespace cairn::crawler::detail
