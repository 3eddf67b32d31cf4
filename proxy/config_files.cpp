#include "proxy/config_files.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gate::proxy {

std::string resolve_config_path(std::string_view path, const std::string& base_dir) {
  std::filesystem::path given(path);
  if (given.is_absolute() || base_dir.empty()) return given.lexically_normal().string();
  return (std::filesystem::path(base_dir) / given).lexically_normal().string();
}

FileRead read_config_file(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return {{}, "cannot read " + path + ": no such file"};
  if (!std::filesystem::is_regular_file(status)) return {{}, "cannot read " + path + ": not a regular file"};
  std::ifstream in(path, std::ios::binary);
  if (!in) return {{}, "cannot read " + path + ": " + std::strerror(errno)};
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return {{}, "cannot read " + path + ": read error"};
  return {contents.str(), {}};
}

}  // namespace gate::proxy
