#pragma once
// An immutable snapshot of one issuer's keys. Built once per fetch, then shared as
// std::shared_ptr<const KeySet>: readers never lock, a refresh swaps the pointer.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jwks/key.hpp"

namespace gate::jwks {

enum class KeySetError : std::uint8_t {
  not_json,        // incl. duplicate members / too deep (strict_json)
  not_object,
  keys_missing,    // no "keys" member
  keys_not_array,
  too_many_keys,   // more than kMaxKeysPerSet
  no_usable_key,   // parsed, but not one key can verify signatures
  pem_invalid,     // from_pem: no PEM block, or a block that is not a public key
};

std::string_view to_string(KeySetError error);

inline constexpr std::size_t kMaxKeysPerSet = 100;

// A JWK that was left out (or kept but unusable) and why: logged by the fetcher.
struct SkippedKey {
  std::size_t index = 0;           // position in "keys" / PEM block number
  std::optional<std::string> kid;
  KeyError reason{};
};

struct KeySetParse;

class KeySet {
 public:
  // A JWKS document {"keys":[...]}. Keys that cannot be built are skipped and
  // recorded; keys that are well formed but not for signing (use=enc, key_ops
  // without verify) are kept, marked unusable, so a token naming them fails with
  // key_not_for_signing rather than kid_unknown (which would trigger a refetch).
  static KeySetParse from_jwks_json(std::string_view document);
  // One or more concatenated PEM public keys. They carry no kid.
  static KeySetParse from_pem(std::string_view pem);
  // From already built keys (tests, composition); fails with no_usable_key if none.
  static KeySetParse from_keys(std::vector<Key> keys);

  // The key whose kid is exactly `kid`, usable or not; nullptr if none.
  const Key* find(std::string_view kid) const;
  // The key for a token that names no kid (or names a kid while the set is a single
  // kid-less key, e.g. a PEM for Clerk's networkless verification): the only
  // verify-usable key, or nullptr when there are several.
  const Key* sole_usable_key() const;
  // Whether a key with this fingerprint is still in the set (token cache eviction).
  bool contains_fingerprint(std::string_view fingerprint) const;

  std::span<const Key> keys() const { return keys_; }
  std::size_t size() const { return keys_.size(); }
  std::size_t usable_count() const { return usable_count_; }

 private:
  explicit KeySet(std::vector<Key> keys);
  std::vector<Key> keys_;
  std::size_t usable_count_ = 0;
};

struct KeySetParse {
  std::shared_ptr<const KeySet> set;  // null exactly when error is set
  std::optional<KeySetError> error;
  std::vector<SkippedKey> skipped;
};

}  // namespace gate::jwks
