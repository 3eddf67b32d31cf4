#pragma once
// Two ES256 signing keys for rotation scenarios (made once per test binary).
#include "jwks_test_support.hpp"

namespace gate::jwks::testing {

inline const test::TestKey& key_a() {
  static const test::TestKey key = test::make_key(Algorithm::ES256, "key-a");
  return key;
}

inline const test::TestKey& key_b() {
  static const test::TestKey key = test::make_key(Algorithm::ES256, "key-b");
  return key;
}

}  // namespace gate::jwks::testing
