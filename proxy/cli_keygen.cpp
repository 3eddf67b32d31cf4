// `libsql-gate keygen --alg RS256|ES256|EdDSA --kid KID --out DIR` (SPEC §1): a
// development issuer — DIR/private.pem (mode 0600) and DIR/jwks.json.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "jwks/signer.hpp"
#include "proxy/cli_args.hpp"
#include "proxy/cli_commands.hpp"

namespace gate::proxy {

namespace {

int usage_error(const std::string& message) {
  std::fprintf(stderr, "libsql-gate keygen: %s\n", message.c_str());
  print_usage();
  return 2;
}

// Written with its final mode from the first byte: a private key is never, even
// briefly, readable by others.
bool write_file(const std::filesystem::path& path, const std::string& content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) ok = false;
    else done += static_cast<std::size_t>(n);
  }
  return ::close(fd) == 0 && ok;
}

}  // namespace

int run_keygen(std::span<char* const> args) {
  static constexpr std::array<FlagSpec, 3> kFlags{{{"alg"}, {"kid"}, {"out"}}};
  auto parsed = CliArgs::parse(args, kFlags);
  if (!parsed.args) return usage_error(parsed.error);
  const CliArgs& flags = *parsed.args;
  for (const char* required : {"alg", "kid", "out"}) {
    if (!flags.get(required)) return usage_error(std::string("missing --") + required);
  }
  auto alg = jwks::parse_algorithm(*flags.get("alg"));
  if (!alg || (*alg != jwks::Algorithm::RS256 && *alg != jwks::Algorithm::ES256 && *alg != jwks::Algorithm::EdDSA)) {
    return usage_error("--alg must be RS256, ES256 or EdDSA");
  }
  std::string kid = *flags.get("kid");
  if (kid.empty()) return usage_error("--kid must not be empty");

  auto key = jwks::generate_key(*alg, kid);
  if (!key) {
    std::fprintf(stderr, "libsql-gate keygen: key generation failed\n");
    return 1;
  }
  std::filesystem::path dir = *flags.get("out");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "libsql-gate keygen: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }
  if (!write_file(dir / "private.pem", key->private_pem, 0600) || !write_file(dir / "jwks.json", key->jwks_json, 0644)) {
    std::fprintf(stderr, "libsql-gate keygen: cannot write into %s\n", dir.c_str());
    return 1;
  }
  std::printf("wrote %s (private, mode 0600) and %s (kid %s, alg %s)\n", (dir / "private.pem").c_str(),
              (dir / "jwks.json").c_str(), kid.c_str(), std::string(jwks::to_string(*alg)).c_str());
  return 0;
}

}  // namespace gate::proxy
