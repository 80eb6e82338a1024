#pragma once
// Random access to the bytes of one file, so that format readers fetch only what they need (a Parquet footer,
// Avro block headers, a text sample) whether the file is on local disk, in memory or behind S3 ranged GETs.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace cairn::crawler {

/// A read-only file of known size. Implementations override `size()` and `read_at()`; callers use `read()`,
/// which clamps the range to the file and counts the bytes delivered (run statistics report them).
/// One reader uses a source at a time; `bytes_read()` may be sampled from another thread.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  /// Size of the file in bytes.
  virtual std::uint64_t size() = 0;

  /// Bytes [offset, offset + length) of the file; fewer only when the range passes the end of the file (empty
  /// at or past the end). Throws Error when the underlying read fails.
  std::string read(std::uint64_t offset, std::size_t length);

  /// The file's name for messages (a path or a URL), never credentials.
  const std::string& name() const { return name_; }

  /// Total bytes returned by `read()` so far.
  std::uint64_t bytes_read() const { return bytes_read_.load(std::memory_order_relaxed); }

 protected:
  explicit ByteSource(std::string name) : name_(std::move(name)) {}

  /// Reads exactly `length` bytes at `offset`; the caller guarantees offset + length <= size(). Throws Error
  /// on failure (including a file that shrank underneath).
  virtual std::string read_at(std::uint64_t offset, std::size_t length) = 0;

 private:
  std::string name_;
  std::atomic<std::uint64_t> bytes_read_{0};
};

/// Opens a local file for positioned reads (pread; the descriptor closes with the source). Throws
/// Error(NotFound) for a missing file, Error(AccessDenied) for one we may not read, Error(InvalidArgument)
/// for a directory or other non-regular file, Error(Unavailable) for other I/O failures.
std::unique_ptr<ByteSource> open_local_file(const std::string& path);

/// Opens a local file that a listing just found to be a regular file of `listed_size` bytes, without a second
/// stat (the crawler's reads; S3 objects are read at their listed size too). A file changed since is read at
/// its listed size: one that shrank fails on read, one replaced by a folder fails on read. `folder_fd`, when
/// not -1, is an open descriptor of the folder holding `path`: the file is opened relative to it.
std::unique_ptr<ByteSource> open_local_file(const std::string& path, std::uint64_t listed_size,
                                            int folder_fd = -1);

/// A source over bytes held in memory, named `name` in messages; never throws on read.
std::unique_ptr<ByteSource> memory_source(std::string name, std::string bytes);

}  // namespace cairn::crawler
