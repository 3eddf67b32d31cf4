#include "jwks/jwks_observer.hpp"

namespace gate::jwks {

std::string_view to_string(CacheLookup lookup) {
  switch (lookup) {
    case CacheLookup::hit: return "hit";
    case CacheLookup::miss: return "miss";
  }
  return "miss";
}

}  // namespace gate::jwks
