#pragma once
// "host:port" listen addresses of the config: "0.0.0.0:8080", "127.0.0.1:0",
// "[::1]:8080", "localhost:8080". Port 0 asks the OS for a free port (tests).
#include <string>
#include <string_view>

#include "proxy/config.hpp"

namespace gate::proxy {

struct ListenAddressParse {
  ListenAddress address;
  std::string error;  // set when the text is not a usable listen address
};

ListenAddressParse parse_listen_address(std::string_view text);

// "host:port" again, with IPv6 hosts in brackets.
std::string to_string(const ListenAddress& address);

// True when binding both would collide: same port (non-zero) and the same host,
// or either host is a wildcard (0.0.0.0 / ::), which also takes the port.
bool listen_addresses_overlap(const ListenAddress& a, const ListenAddress& b);

}  // namespace gate::proxy
