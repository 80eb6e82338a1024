#pragma once

// Test fixture shared by the authz tests that need a real catalog store.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "cairn/catalog/store.h"

namespace cairn::authz_test {

/// A temporary directory holding an embedded SQLite store, removed at the end of the test.
class TempStore {
 public:
  /// Creates the directory under the system temp directory and opens an SQLite store in it.
  TempStore() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-authz-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    store_ = catalog::open_store(dir_.string(), "");
  }
  ~TempStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  /// The open store.
  catalog::Store& store() { return *store_; }
  /// The store's directory.
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<catalog::Store> store_;
};

}  // namespace cairn::authz_test
