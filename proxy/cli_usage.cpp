#include <cstdio>

#include "proxy/cli_commands.hpp"

namespace gate::proxy {

void print_usage() {
  std::fputs(
      "usage:\n"
      "  libsql-gate serve   --config FILE        run the proxy (or LIBSQL_GATE_CONFIG=FILE)\n"
      "  libsql-gate check   --config FILE        validate the config and print a summary\n"
      "  libsql-gate explain --config FILE (--token JWT | --claims JSON) --sql SQL [--schema FILE.sql]\n"
      "  libsql-gate keygen  --alg RS256|ES256|EdDSA --kid KID --out DIR\n"
      "  libsql-gate mint    --key private.pem --kid KID --iss ISS --sub SUB [--aud AUD] [--ttl 15m]\n"
      "                      [--perm TABLE:ACTION[,ACTION...]]... [--claims JSON]\n"
      "  libsql-gate version\n",
      stderr);
}

}  // namespace gate::proxy
