#pragma once

// Test helper shared by the catalog tests that check InvalidArgument errors: what a call rejected, and why.

#include <gtest/gtest.h>

#include <string>

#include "cairn/catalog/error.h"

namespace cairn::catalog_test {

/// The field and message of an InvalidArgument error.
struct Failure {
  std::string field;
  std::string message;
};

/// Calls `fn` and returns the field and message of the cairn::Error it throws (a test failure unless its code
/// is InvalidArgument), or {"<none>", "<no error>"} when it does not throw.
template <typename Fn>
Failure failure_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    return {e.field(), e.what()};
  }
  return {"<none>", "<no error>"};
}

}  // namespace cairn::catalog_test
