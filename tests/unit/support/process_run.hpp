#pragma once
// Runs a command as a real process from the unit tests (the CLI tests of every
// room): POSIX shell quoting, exit code, stdout, and stderr when asked for.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace gate::test {

// 'text' for /bin/sh, with embedded single quotes escaped.
inline std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct ProcessRun {
  int exit_code = -1;  // -1: could not start, or killed by a signal
  std::string out;
  std::string err;     // only when a stderr file was given
};

// Runs `command` through /bin/sh with stdout captured. With `stderr_path` (a file
// the caller owns), stderr is redirected there and read back into `err`;
// otherwise it goes to the test log.
inline ProcessRun run_command(const std::string& command, const std::string& stderr_path = {}) {
  ProcessRun run;
  std::string full = stderr_path.empty() ? command : command + " 2>" + shell_quoted(stderr_path);
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.out.append(buffer.data(), n);
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!stderr_path.empty()) {
    std::ifstream in(stderr_path);
    std::ostringstream text;
    text << in.rdbuf();
    run.err = text.str();
  }
  return run;
}

}  // namespace gate::test
