// One JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2) → Key.
#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>
#include <openssl/core_names.h>

#include "jwks/base64url.hpp"
#include "jwks/key.hpp"
#include "jwks/key_build.hpp"

namespace gate::jwks {

namespace {

// A member that is absent, a string, or wrong (present but not a string).
struct Member {
  std::optional<std::string> value;
  bool wrong_type = false;
};

Member string_member(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end()) return {};
  if (!it->is_string()) return {std::nullopt, true};
  return {it->get<std::string>(), false};
}

struct Bytes {
  std::optional<std::string> value;
  std::optional<KeyError> error;
};

// A required base64url member decoded strictly.
Bytes required_bytes(const nlohmann::json& jwk, const char* name) {
  Member m = string_member(jwk, name);
  if (!m.value) return {std::nullopt, KeyError::member_not_string};
  auto bytes = base64url_decode(*m.value);
  if (!bytes) return {std::nullopt, KeyError::base64url_invalid};
  return {std::move(bytes), std::nullopt};
}

ossl::Bignum to_bignum(const std::string& bytes) {
  return ossl::Bignum(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
}

KeyParse rsa_key(const nlohmann::json& jwk) {
  Bytes n = required_bytes(jwk, "n");
  if (n.error) return {std::nullopt, n.error};
  Bytes e = required_bytes(jwk, "e");
  if (e.error) return {std::nullopt, e.error};
  // Size limits before any big-number work: the JWKS is attacker-influenced input.
  if (n.value->empty() || n.value->size() > 8192 / 8 + 1) return {std::nullopt, KeyError::rsa_modulus_invalid};
  if (e.value->empty() || e.value->size() > 8) return {std::nullopt, KeyError::rsa_exponent_invalid};
  ossl::Bignum bn_n = to_bignum(*n.value), bn_e = to_bignum(*e.value);
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return {std::nullopt, KeyError::key_build_failed};
  }
  ossl::Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return {std::nullopt, KeyError::key_build_failed};
  return key_from_public_pkey(ossl::public_key_from_params("RSA", params.get()));
}

struct CurveInfo {
  std::string_view jwk_name;
  const char* group;
  std::size_t coordinate_bytes;
};
constexpr std::array<CurveInfo, 3> kCurves{{
    {"P-256", "P-256", 32},
    {"P-384", "P-384", 48},
    {"P-521", "P-521", 66},
}};

KeyParse ec_key(const nlohmann::json& jwk) {
  Member crv = string_member(jwk, "crv");
  if (!crv.value) return {std::nullopt, KeyError::member_not_string};
  auto curve = std::find_if(kCurves.begin(), kCurves.end(), [&](const CurveInfo& c) { return c.jwk_name == *crv.value; });
  if (curve == kCurves.end()) return {std::nullopt, KeyError::ec_curve_unsupported};
  Bytes x = required_bytes(jwk, "x");
  if (x.error) return {std::nullopt, x.error};
  Bytes y = required_bytes(jwk, "y");
  if (y.error) return {std::nullopt, y.error};
  // RFC 7518 §6.2.1.2: exactly the field size, leading zeros kept.
  if (x.value->size() != curve->coordinate_bytes || y.value->size() != curve->coordinate_bytes) {
    return {std::nullopt, KeyError::ec_coordinate_length};
  }
  std::string point = "\x04" + *x.value + *y.value;  // SEC1 uncompressed
  std::string group(curve->group);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  ossl::Pkey pkey = ossl::public_key_from_params("EC", params);
  // fromdata refuses a point that is not on the curve; public_check (in
  // key_from_public_pkey) covers the rest.
  if (!pkey) return {std::nullopt, KeyError::ec_point_invalid};
  return key_from_public_pkey(std::move(pkey));
}

KeyParse okp_key(const nlohmann::json& jwk) {
  Member crv = string_member(jwk, "crv");
  if (!crv.value) return {std::nullopt, KeyError::member_not_string};
  if (*crv.value != "Ed25519") return {std::nullopt, KeyError::okp_curve_unsupported};
  Bytes x = required_bytes(jwk, "x");
  if (x.error) return {std::nullopt, x.error};
  if (x.value->size() != 32) return {std::nullopt, KeyError::okp_x_length};
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, x.value->data(), x.value->size()),
      OSSL_PARAM_construct_end(),
  };
  return key_from_public_pkey(ossl::public_key_from_params("ED25519", params));
}

// use / key_ops / alg: whether this well-formed key may verify signatures.
std::optional<KeyError> check_usage(const nlohmann::json& jwk, Key& key) {
  Member use = string_member(jwk, "use");
  if (use.wrong_type) return KeyError::member_not_string;
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    if (!ops->is_array()) return KeyError::member_not_string;
    bool verify = false;
    for (const auto& op : *ops) {
      if (!op.is_string()) return KeyError::member_not_string;
      verify = verify || op.get_ref<const std::string&>() == "verify";
    }
    if (!verify) key.unusable = KeyError::key_ops_without_verify;
  }
  if (use.value && *use.value != "sig") key.unusable = KeyError::use_not_sig;
  Member alg = string_member(jwk, "alg");
  if (alg.wrong_type) return KeyError::member_not_string;
  if (alg.value) {
    if (auto parsed = parse_algorithm(*alg.value)) {
      key.alg = *parsed;
      if (!key_fits_algorithm(key, *parsed)) return KeyError::alg_kty_mismatch;
    } else if (!key.unusable) {
      key.unusable = KeyError::alg_unsupported;  // e.g. RSA-OAEP, HS256: not ours to verify
    }
  }
  return std::nullopt;
}

}  // namespace

KeyParse parse_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return {std::nullopt, KeyError::not_object};
  Member kty = string_member(jwk, "kty");
  if (kty.wrong_type) return {std::nullopt, KeyError::member_not_string};
  if (!kty.value) return {std::nullopt, KeyError::kty_missing};
  Member kid = string_member(jwk, "kid");
  if (kid.wrong_type) return {std::nullopt, KeyError::member_not_string};
  // A published private key means the issuer is compromised or misconfigured.
  if (jwk.contains("d")) return {std::nullopt, KeyError::private_key_material};

  KeyParse parsed;
  if (*kty.value == "RSA") {
    parsed = rsa_key(jwk);
  } else if (*kty.value == "EC") {
    parsed = ec_key(jwk);
  } else if (*kty.value == "OKP") {
    parsed = okp_key(jwk);
  } else {
    return {std::nullopt, KeyError::kty_unsupported};
  }
  if (!parsed.key) return parsed;
  parsed.key->kid = std::move(kid.value);
  if (auto err = check_usage(jwk, *parsed.key)) return {std::nullopt, err};
  return parsed;
}

}  // namespace gate::jwks
