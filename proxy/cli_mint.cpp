// `libsql-gate mint` (SPEC §1): a signed token for development and tests. The alg
// follows the key (RSA → RS256, P-256 → ES256, Ed25519 → EdDSA).
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "jwks/signer.hpp"
#include "jwks/strict_json.hpp"
#include "policy/grant.hpp"
#include "proxy/cli_args.hpp"
#include "proxy/cli_commands.hpp"

namespace gate::proxy {

namespace {

int usage_error(const std::string& message) {
  std::fprintf(stderr, "libsql-gate mint: %s\n", message.c_str());
  print_usage();
  return 2;
}

// "90", "90s", "15m", "2h", "7d" → seconds.
std::optional<std::int64_t> parse_ttl(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9 || text.size() - digits > 1) return std::nullopt;
  std::int64_t value = std::stoll(text.substr(0, digits));
  char unit = digits < text.size() ? text[digits] : 's';
  switch (unit) {
    case 's': break;
    case 'm': value *= 60; break;
    case 'h': value *= 3600; break;
    case 'd': value *= 86400; break;
    default: return std::nullopt;
  }
  if (value <= 0) return std::nullopt;
  return value;
}

// Each --perm spec becomes one Turso `perm` entry {"t": [table] | null, "a": [...]}.
std::optional<nlohmann::json> perm_claim(const std::vector<std::string>& specs, std::string& error) {
  nlohmann::json perm = nlohmann::json::array();
  for (const std::string& spec : specs) {
    auto parsed = policy::parse_grant_spec(spec);
    if (parsed.error) {
      error = "--perm " + spec + ": " + parsed.error->reason;
      return std::nullopt;
    }
    nlohmann::json actions = nlohmann::json::array();
    for (const auto& grant : parsed.grants) actions.push_back(std::string(policy::to_string(grant.action)));
    nlohmann::json table = nlohmann::json(nullptr);
    if (!parsed.grants.empty() && parsed.grants.front().table) table = {*parsed.grants.front().table};
    perm.push_back({{"t", table}, {"a", actions}});
  }
  return perm;
}

}  // namespace

int run_mint(std::span<char* const> args) {
  static constexpr std::array<FlagSpec, 8> kFlags{{{"key"}, {"kid"}, {"iss"}, {"sub"}, {"aud"}, {"ttl"},
                                                   {"perm", true}, {"claims"}}};
  auto parsed = CliArgs::parse(args, kFlags);
  if (!parsed.args) return usage_error(parsed.error);
  const CliArgs& flags = *parsed.args;
  for (const char* required : {"key", "kid", "iss", "sub"}) {
    if (!flags.get(required)) return usage_error(std::string("missing --") + required);
  }
  auto ttl = parse_ttl(flags.get("ttl").value_or("15m"));
  if (!ttl) return usage_error("--ttl must be a positive number with unit s, m, h or d (e.g. 15m)");

  nlohmann::json claims = nlohmann::json::object();
  if (auto extra = flags.get("claims")) {
    auto json = jwks::parse_strict_json(*extra);
    if (!json.value || !json.value->is_object()) return usage_error("--claims must be a JSON object");
    claims = std::move(*json.value);
  }
  if (flags.has("perm")) {
    std::string error;
    auto perm = perm_claim(flags.all("perm"), error);
    if (!perm) return usage_error(error);
    claims["perm"] = std::move(*perm);
  }
  // The flags are the point of the command: they win over the same names in --claims.
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  claims["iss"] = *flags.get("iss");
  claims["sub"] = *flags.get("sub");
  if (auto aud = flags.get("aud")) claims["aud"] = *aud;
  claims["iat"] = now;
  claims["exp"] = now + *ttl;

  std::ifstream in(*flags.get("key"), std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "libsql-gate mint: cannot read --key %s\n", flags.get("key")->c_str());
    return 1;
  }
  std::stringstream pem;
  pem << in.rdbuf();
  auto token = jwks::sign_token(claims, pem.str(), *flags.get("kid"));
  if (!token.token) {
    std::fprintf(stderr, "libsql-gate mint: %s\n", token.error.c_str());
    return 1;
  }
  std::printf("%s\n", token.token->c_str());
  return 0;
}

}  // namespace gate::proxy
