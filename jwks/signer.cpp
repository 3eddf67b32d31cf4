#include "jwks/signer.hpp"

#include <system_error>

#include <jwt/jwt.hpp>
#include <openssl/ec.h>

#include "jwks/algorithm_params.hpp"
#include "jwks/base64url.hpp"
#include "jwks/private_key.hpp"

namespace gate::jwks {

namespace {

bool signed_by_cpp_jwt(Algorithm alg) {
  switch (alg) {
    case Algorithm::RS256:
    case Algorithm::RS384:
    case Algorithm::RS512:
    case Algorithm::ES256:
    case Algorithm::ES384:
    case Algorithm::ES512: return true;
    default: return false;
  }
}

// DER ECDSA-Sig-Value → JOSE R‖S, each left-padded to the curve size.
std::optional<std::string> der_to_jose(const unsigned char* der, std::size_t len, std::size_t component) {
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(len));
  if (sig == nullptr) return std::nullopt;
  std::string out(2 * component, '\0');
  auto buf = reinterpret_cast<unsigned char*>(out.data());
  bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), buf, static_cast<int>(component)) > 0 &&
            BN_bn2binpad(ECDSA_SIG_get0_s(sig), buf + component, static_cast<int>(component)) > 0;
  ECDSA_SIG_free(sig);
  if (!ok) return std::nullopt;
  return out;
}

SignResult sign_with_cpp_jwt(const nlohmann::json& claims, std::string_view private_pem,
                             const std::optional<std::string>& kid, Algorithm alg) {
  try {
    jwt::jwt_object token{jwt::params::algorithm(std::string(to_string(alg))),
                          jwt::params::secret(std::string(private_pem))};
    if (kid) token.header().add_header("kid", *kid);
    for (const auto& [name, value] : claims.items()) token.payload().add_claim(name, value, true);
    std::error_code ec;
    std::string out = token.signature(ec);
    if (ec) return {std::nullopt, "cpp-jwt: " + ec.message()};
    return {std::move(out), {}};
  } catch (const std::exception& e) {
    return {std::nullopt, std::string("cpp-jwt: ") + e.what()};
  }
}

SignResult sign_with_openssl(const nlohmann::json& claims, std::string_view private_pem,
                             const std::optional<std::string>& kid, Algorithm alg) {
  nlohmann::json header{{"alg", to_string(alg)}, {"typ", "JWT"}};
  if (kid) header["kid"] = *kid;
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  auto sig = sign_bytes(alg, private_pem, input);
  if (!sig) return {std::nullopt, "signing failed: does the key fit " + std::string(to_string(alg)) + "?"};
  return {input + "." + base64url_encode(*sig), {}};
}

}  // namespace

std::optional<Algorithm> algorithm_for_private_key(std::string_view private_pem) {
  ossl::Pkey key = read_pem_key(private_pem, /*allow_public=*/false);
  return default_algorithm(key.get());
}

SignResult sign_token(const nlohmann::json& claims, std::string_view private_pem, std::optional<std::string> kid,
                      std::optional<Algorithm> alg) {
  if (!claims.is_object()) return {std::nullopt, "claims must be a JSON object"};
  if (!alg) alg = algorithm_for_private_key(private_pem);
  if (!alg) return {std::nullopt, "not a PEM private key of a supported type (RSA, P-256/384/521, Ed25519)"};
  if (signed_by_cpp_jwt(*alg)) return sign_with_cpp_jwt(claims, private_pem, kid, *alg);
  return sign_with_openssl(claims, private_pem, kid, *alg);
}

std::optional<std::string> sign_bytes(Algorithm alg, std::string_view private_pem, std::string_view signing_input) {
  ossl::Pkey key = read_pem_key(private_pem, /*allow_public=*/false);
  if (!key) return std::nullopt;
  ossl::MdCtx md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestSignInit(md.get(), &pctx, digest_for(alg), nullptr, key.get()) != 1) return std::nullopt;
  if (!set_rsa_padding(pctx, alg)) return std::nullopt;
  auto in = reinterpret_cast<const unsigned char*>(signing_input.data());
  std::size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, in, signing_input.size()) != 1) return std::nullopt;
  std::string sig(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, signing_input.size()) != 1) {
    return std::nullopt;
  }
  sig.resize(len);
  if (std::size_t component = ec_component_bytes(alg)) {
    return der_to_jose(reinterpret_cast<const unsigned char*>(sig.data()), len, component);
  }
  return sig;
}

}  // namespace gate::jwks
