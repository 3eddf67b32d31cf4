#include "jwks/key_set.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "jwks/strict_json.hpp"

namespace gate::jwks {

namespace {

constexpr std::string_view kKeySetErrorNames[] = {
    "not_json", "not_object", "keys_missing", "keys_not_array", "too_many_keys", "no_usable_key", "pem_invalid",
};
static_assert(std::size(kKeySetErrorNames) == static_cast<std::size_t>(KeySetError::pem_invalid) + 1);

KeySetParse failure(KeySetError error, std::vector<SkippedKey> skipped = {}) {
  return {nullptr, error, std::move(skipped)};
}

// PEM blocks, each from "-----BEGIN" to the end of its "-----END ...-----" line.
std::vector<std::string_view> pem_blocks(std::string_view text) {
  std::vector<std::string_view> blocks;
  constexpr std::string_view kBegin = "-----BEGIN ";
  constexpr std::string_view kEnd = "-----END ";
  std::size_t pos = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    std::size_t end = text.find(kEnd, pos);
    if (end == std::string_view::npos) {
      blocks.push_back(text.substr(pos));  // unterminated: the decoder will refuse it
      break;
    }
    std::size_t close = text.find("-----", end + kEnd.size());
    std::size_t stop = close == std::string_view::npos ? text.size() : close + 5;
    blocks.push_back(text.substr(pos, stop - pos));
    pos = stop;
  }
  return blocks;
}

}  // namespace

std::string_view to_string(KeySetError error) { return kKeySetErrorNames[static_cast<std::size_t>(error)]; }

KeySet::KeySet(std::vector<Key> keys) : keys_(std::move(keys)) {
  usable_count_ = static_cast<std::size_t>(
      std::count_if(keys_.begin(), keys_.end(), [](const Key& k) { return k.usable_for_verify(); }));
}

KeySetParse KeySet::from_keys(std::vector<Key> keys) {
  if (keys.size() > kMaxKeysPerSet) return failure(KeySetError::too_many_keys);
  if (std::none_of(keys.begin(), keys.end(), [](const Key& k) { return k.usable_for_verify(); })) {
    return failure(KeySetError::no_usable_key);
  }
  return {std::shared_ptr<const KeySet>(new KeySet(std::move(keys))), std::nullopt, {}};
}

KeySetParse KeySet::from_jwks_json(std::string_view document) {
  auto parsed = parse_strict_json(document);
  if (!parsed.value) return failure(KeySetError::not_json);
  if (!parsed.value->is_object()) return failure(KeySetError::not_object);
  auto it = parsed.value->find("keys");
  if (it == parsed.value->end()) return failure(KeySetError::keys_missing);
  if (!it->is_array()) return failure(KeySetError::keys_not_array);
  if (it->size() > kMaxKeysPerSet) return failure(KeySetError::too_many_keys);

  std::vector<Key> keys;
  std::vector<SkippedKey> skipped;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& jwk = (*it)[i];
    std::optional<std::string> kid;
    if (jwk.is_object() && jwk.contains("kid") && jwk["kid"].is_string()) kid = jwk["kid"].get<std::string>();
    KeyParse key = parse_jwk(jwk);
    if (!key.key) {
      skipped.push_back({i, std::move(kid), *key.error});
      continue;
    }
    // Two keys under one kid: which one a token means is ambiguous; keep the first.
    if (key.key->kid && std::any_of(keys.begin(), keys.end(), [&](const Key& k) { return k.kid == key.key->kid; })) {
      skipped.push_back({i, std::move(kid), KeyError::duplicate_kid});
      continue;
    }
    if (key.key->unusable) skipped.push_back({i, kid, *key.key->unusable});
    keys.push_back(std::move(*key.key));
  }
  KeySetParse out = from_keys(std::move(keys));
  out.skipped = std::move(skipped);
  return out;
}

KeySetParse KeySet::from_pem(std::string_view pem) {
  auto blocks = pem_blocks(pem);
  if (blocks.empty()) return failure(KeySetError::pem_invalid);
  if (blocks.size() > kMaxKeysPerSet) return failure(KeySetError::too_many_keys);
  std::vector<Key> keys;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    KeyParse key = parse_public_key_pem(blocks[i]);
    // A static key file is written by the operator: one bad block is a config error.
    if (!key.key) return failure(KeySetError::pem_invalid, {{i, std::nullopt, *key.error}});
    keys.push_back(std::move(*key.key));
  }
  return from_keys(std::move(keys));
}

const Key* KeySet::find(std::string_view kid) const {
  for (const Key& k : keys_) {
    if (k.kid && *k.kid == kid) return &k;
  }
  return nullptr;
}

const Key* KeySet::sole_usable_key() const {
  if (usable_count_ != 1) return nullptr;
  for (const Key& k : keys_) {
    if (k.usable_for_verify()) return &k;
  }
  return nullptr;
}

bool KeySet::contains_fingerprint(std::string_view fingerprint) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const Key& k) { return k.fingerprint == fingerprint; });
}

}  // namespace gate::jwks
