#include "cairn/crawler/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "cairn/catalog/error.h"

namespace cairn::crawler {

std::string ByteSource::read(std::uint64_t offset, std::size_t length) {
  const std::uint64_t total = size();
  if (offset >= total || length == 0) return {};
  const std::uint64_t available = total - offset;
  const std::size_t n = available < length ? static_cast<std::size_t>(available) : length;
  std::string bytes = read_at(offset, n);
  bytes_read_.fetch_add(bytes.size(), std::memory_order_relaxed);
  return bytes;
}

namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

class LocalFileSource final : public ByteSource {
 public:
  LocalFileSource(std::string path, int fd, std::uint64_t size)
      : ByteSource(std::move(path)), fd_(fd), size_(size) {}
  ~LocalFileSource() override { ::close(fd_); }

  std::uint64_t size() override { return size_; }

 protected:
  std::string read_at(std::uint64_t offset, std::size_t length) override {
    std::string out(length, '\0');
    std::size_t done = 0;
    while (done < length) {
      ssize_t got = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        throw Error(ErrorCode::Unavailable, "cannot read " + name() + ": " + errno_text(errno));
      }
      if (got == 0) {
        throw Error(ErrorCode::Unavailable,
                    "cannot read " + name() + ": the file shrank to " + std::to_string(offset + done) +
                        " bytes while being read (was " + std::to_string(size_) + ")");
      }
      done += static_cast<std::size_t>(got);
    }
    return out;
  }

 private:
  int fd_;
  std::uint64_t size_;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string name, std::string bytes) : ByteSource(std::move(name)), bytes_(std::move(bytes)) {}

  std::uint64_t size() override { return bytes_.size(); }

 protected:
  std::string read_at(std::uint64_t offset, std::size_t length) override {
    return bytes_.substr(static_cast<std::size_t>(offset), length);
  }

 private:
  std::string bytes_;
};

}  // namespace

namespace {

// `folder_fd` >= 0: the open folder of `path`, whose last component is then opened relative to it (no walk
// of the whole path per file).
int open_for_reading(const std::string& path, int folder_fd = -1) {
  const char* name = path.c_str();
  if (folder_fd >= 0) {
    const auto slash = path.rfind('/');
    if (slash != std::string::npos) name += slash + 1;
  }
  int fd;
  do {
    fd =
        folder_fd >= 0 ? ::openat(folder_fd, name, O_RDONLY | O_CLOEXEC) : ::open(name, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) throw Error(ErrorCode::NotFound, "file not found: " + path);
    if (err == EACCES || err == EPERM) {
      throw Error(ErrorCode::AccessDenied, "cannot open " + path + ": " + errno_text(err));
    }
    throw Error(ErrorCode::Unavailable, "cannot open " + path + ": " + errno_text(err));
  }
  return fd;
}

}  // namespace

std::unique_ptr<ByteSource> open_local_file(const std::string& path, std::uint64_t listed_size,
                                            int folder_fd) {
  return std::make_unique<LocalFileSource>(path, open_for_reading(path, folder_fd), listed_size);
}

std::unique_ptr<ByteSource> open_local_file(const std::string& path) {
  const int fd = open_for_reading(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(ErrorCode::Unavailable, "cannot stat " + path + ": " + errno_text(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorCode::InvalidArgument,
                S_ISDIR(st.st_mode) ? path + " is a directory, not a file" : path + " is not a regular file");
  }
  return std::make_unique<LocalFileSource>(path, fd, static_cast<std::uint64_t>(st.st_size));
}

std::unique_ptr<ByteSource> memory_source(std::string name, std::string bytes) {
  return std::make_unique<MemorySource>(std::move(name), std::move(bytes));
}

}  // namespace cairn::crawler
