#pragma once
// Files a config names (jwks_file, keys_file, ca_file, auth_token_file): resolved
// against the config file's directory and checked at load time, so a missing key
// file fails `check` instead of the first request.
#include <string>
#include <string_view>

namespace gate::proxy {

// `path` as is when absolute, else `base_dir`/`path`.
std::string resolve_config_path(std::string_view path, const std::string& base_dir);

struct FileRead {
  std::string contents;
  std::string error;  // e.g. "cannot read /etc/x.pem: No such file or directory"
};

// Reads a whole regular file; directories and unreadable files are errors.
FileRead read_config_file(const std::string& path);

}  // namespace gate::proxy
