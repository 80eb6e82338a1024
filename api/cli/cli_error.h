#pragma once

#include <stdexcept>
#include <string>

namespace cairn::api::cli {

/// Process exit codes of `cairn`.
enum ExitCode : int { kExitOk = 0, kExitUserError = 1, kExitServerError = 2 };

/// Ends the command: main() prints "cairn: <what()>" on stderr and exits with exit_code().
class CliError : public std::runtime_error {
 public:
  /// An error ending the command with `exit_code`.
  CliError(int exit_code, std::string message)
      : std::runtime_error(std::move(message)), exit_code_(exit_code) {}
  /// The process exit code to use.
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

/// A user error (bad flags, unreadable file): exit code 1.
class UserError : public CliError {
 public:
  /// An error ending the command with exit code 1.
  explicit UserError(std::string message) : CliError(kExitUserError, std::move(message)) {}
};

}  // namespace cairn::api::cli
