#include <doctest/doctest.h>

#include "jwks/base64url.hpp"

using namespace gate::jwks;

TEST_CASE("base64url: round trip of every length and byte value") {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
    auto decoded = base64url_decode(base64url_encode(bytes));
    REQUIRE(decoded);
    CHECK(*decoded == bytes);
  }
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64url_decode("-_8") == std::string("\xfb\xff"));
}

TEST_CASE("base64url: padding, standard alphabet, whitespace and foreign bytes are refused") {
  CHECK_FALSE(base64url_decode("Zm9v="));
  CHECK_FALSE(base64url_decode("Zg=="));
  CHECK_FALSE(base64url_decode("+_8"));
  CHECK_FALSE(base64url_decode("-/8"));
  CHECK_FALSE(base64url_decode("Zm 9v"));
  CHECK_FALSE(base64url_decode("Zm9v\n"));
  CHECK_FALSE(base64url_decode(std::string("Zm\0v", 4)));
  CHECK_FALSE(base64url_decode("Zm9\xc3\xa9"));
}

TEST_CASE("base64url: a length of 4n+1 and non-zero trailing bits are refused (one text per byte string)") {
  CHECK(base64url_decode("Zg") == std::string("f"));
  CHECK_FALSE(base64url_decode("Zh"));  // same first byte, a trailing bit set
  CHECK_FALSE(base64url_decode("Zm9"));  // "fo" + 2 bits set
  CHECK(base64url_decode("Zm8") == std::string("fo"));
  CHECK_FALSE(base64url_decode("Zm9vY"));
  CHECK(base64url_decode("") == std::string());
}

TEST_CASE("base64url: decoding into a reused buffer leaves exactly the new bytes") {
  std::string buffer;
  REQUIRE(base64url_decode_into(base64url_encode(std::string(300, 'x')), buffer));
  CHECK(buffer == std::string(300, 'x'));
  REQUIRE(base64url_decode_into("Zm8", buffer));
  CHECK(buffer == "fo");
  REQUIRE(base64url_decode_into("", buffer));
  CHECK(buffer.empty());
  // The same refusals as base64url_decode.
  for (std::string bad : {"Zm9v=", "Zh", "Zm9vY", "+_8", "Zm 9v"}) {
    CAPTURE(bad);
    CHECK_FALSE(base64url_decode_into(bad, buffer));
  }
}
