#include "jwks/verifier.hpp"

#include <algorithm>
#include <cmath>

#include "jwks/base64url.hpp"
#include "jwks/signature.hpp"
#include "jwks/strict_json.hpp"

namespace gate::jwks {

namespace {

// 9999-12-31T23:59:59Z: later "times" are garbage (or overflow bait), not tokens.
constexpr double kLatestTime = 253402300799.0;

VerifyStatus json_status(StrictJsonError error, VerifyStatus not_json) {
  switch (error) {
    case StrictJsonError::duplicate_member: return VerifyStatus::json_duplicate_member;
    case StrictJsonError::too_deep: return VerifyStatus::json_too_deep;
    case StrictJsonError::not_json: break;
  }
  return not_json;
}

// Decoded segments, reused by every verification on this thread: three fewer
// allocations per cold token. A decoded JSON segment is dead once parsed (the tree
// owns copies); the signature lives until verify_signature returns. Nothing here
// suspends or re-enters, so one set per thread is enough.
struct DecodeBuffers {
  std::string json;
  std::string signature;
};

DecodeBuffers& decode_buffers() {
  thread_local DecodeBuffers buffers;
  return buffers;
}

// base64url → strict JSON → object, with the status naming which part failed.
VerifyStatus decode_object(std::string_view segment, VerifyStatus not_json, VerifyStatus not_object,
                           nlohmann::json& out) {
  std::string& bytes = decode_buffers().json;
  if (!base64url_decode_into(segment, bytes)) return VerifyStatus::base64url_invalid;
  auto parsed = parse_strict_json(bytes);
  if (!parsed.value) return json_status(*parsed.error, not_json);
  if (!parsed.value->is_object()) return not_object;
  out = std::move(*parsed.value);
  return VerifyStatus::ok;
}

VerifyStatus decode_payload(DecodedToken& token) {
  return decode_object(token.payload_segment, VerifyStatus::payload_not_json, VerifyStatus::payload_not_object,
                       token.payload);
}

// Size, exactly three segments, the header decoded; the payload only when asked:
// verify(token) decodes it after the signature, so that nothing of an unsigned
// payload is even parsed before the signature holds. decode_token() (the
// Authenticator's path) parses it first to read the unverified `iss` that picks
// the issuer; nothing else of it is used until the signature holds.
DecodedToken split_and_decode(std::string_view token, std::size_t max_token_bytes, bool need_payload) {
  DecodedToken out;
  if (token.size() > max_token_bytes) {
    out.status = VerifyStatus::token_too_large;
    return out;
  }
  std::size_t first = token.find('.');
  std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  // Exactly two dots; empty header or payload (detached or unencoded content) is not ours.
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos ||
      first == 0 || second == first + 1) {
    return out;
  }
  if (auto st = decode_object(token.substr(0, first), VerifyStatus::header_not_json,
                              VerifyStatus::header_not_object, out.header);
      st != VerifyStatus::ok) {
    out.status = st;
    return out;
  }
  out.payload_segment = token.substr(first + 1, second - first - 1);
  out.payload_decoded = need_payload;
  if (need_payload) {
    if (auto st = decode_payload(out); st != VerifyStatus::ok) {
      out.status = st;
      return out;
    }
  }
  out.signing_input = token.substr(0, second);
  out.signature_segment = token.substr(second + 1);
  out.status = VerifyStatus::ok;
  return out;
}

bool ascii_iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

// RFC 7515 §4.1.9: typ is a media type, compared case-insensitively, and the
// "application/" prefix may be left out. JWT (RFC 7519) and at+jwt (RFC 9068) only.
bool typ_allowed(std::string_view typ) {
  if (typ.size() > 12 && ascii_iequals(typ.substr(0, 12), "application/")) typ.remove_prefix(12);
  return ascii_iequals(typ, "JWT") || ascii_iequals(typ, "at+jwt");
}

struct HeaderCheck {
  HeaderCheck() = default;
  HeaderCheck(VerifyStatus failure) : status(failure) {}  // NOLINT: implicit on purpose
  VerifyStatus status = VerifyStatus::ok;
  Algorithm alg = Algorithm::RS256;
  std::optional<std::string> kid;
};

// alg, crit, typ, kid. jku, x5u, jwk and x5c are never read: keys come only from
// the issuer's configured source.
HeaderCheck check_header(const nlohmann::json& header, const IssuerConfig& issuer) {
  HeaderCheck out;
  auto alg_it = header.find("alg");
  if (alg_it == header.end()) return VerifyStatus::alg_missing;
  if (!alg_it->is_string()) return VerifyStatus::alg_not_string;
  const auto& alg_name = alg_it->get_ref<const std::string&>();
  if (ascii_iequals(alg_name, "none")) return VerifyStatus::alg_none;
  auto alg = parse_algorithm(alg_name);
  if (!alg) return VerifyStatus::alg_unknown;
  if (std::find(issuer.algorithms.begin(), issuer.algorithms.end(), *alg) == issuer.algorithms.end()) {
    return VerifyStatus::alg_not_allowed;
  }
  out.alg = *alg;
  // We understand no extension, so by RFC 7515 §4.1.11 any crit makes the token invalid.
  if (header.contains("crit")) return VerifyStatus::crit_present;
  if (auto typ = header.find("typ"); typ != header.end()) {
    if (!typ->is_string() || !typ_allowed(typ->get_ref<const std::string&>())) {
      return VerifyStatus::typ_not_allowed;
    }
  }
  if (auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string()) return VerifyStatus::kid_not_string;
    out.kid = kid->get<std::string>();
  }
  return out;
}

struct KeyChoice {
  KeyChoice(VerifyStatus failure) : status(failure) {}  // NOLINT: implicit on purpose
  explicit KeyChoice(const Key* chosen) : key(chosen) {}
  VerifyStatus status = VerifyStatus::ok;
  const Key* key = nullptr;
};

KeyChoice choose_key(const KeySet& keys, const std::optional<std::string>& kid, Algorithm alg) {
  const Key* key = nullptr;
  if (kid) {
    key = keys.find(*kid);
    // A set that is one kid-less key (a PEM) verifies whatever kid the token names:
    // e.g. Clerk's PEM for networkless verification, with Clerk tokens carrying a kid.
    if (key == nullptr) {
      const Key* sole = keys.sole_usable_key();
      if (sole != nullptr && !sole->kid) key = sole;
    }
    if (key == nullptr) return VerifyStatus::kid_unknown;
  } else {
    if (keys.usable_count() > 1) return VerifyStatus::kid_missing;
    key = keys.sole_usable_key();
    if (key == nullptr) return VerifyStatus::kid_missing;
  }
  if (!key->usable_for_verify()) return VerifyStatus::key_not_for_signing;
  if (!key_fits_algorithm(*key, alg)) return VerifyStatus::alg_key_mismatch;
  return KeyChoice(key);
}

// A NumericDate (RFC 7519 §2): a JSON number, integer or fraction, within
// [0, year 9999]. Booleans are not numbers.
std::optional<double> numeric_date(const nlohmann::json& value) {
  if (!value.is_number()) return std::nullopt;
  double t = value.get<double>();
  if (!std::isfinite(t) || t < 0 || t > kLatestTime) return std::nullopt;
  return t;
}

VerifyStatus check_time_claims(const nlohmann::json& claims, const IssuerConfig& issuer, std::int64_t now_unix,
                               double& exp_out) {
  const double now = static_cast<double>(now_unix);
  const double skew = static_cast<double>(std::max<std::int64_t>(issuer.clock_skew_s, 0));
  auto exp = claims.find("exp");
  if (exp == claims.end()) return VerifyStatus::exp_missing;
  if (!exp->is_number()) return VerifyStatus::exp_not_numeric;
  auto exp_time = numeric_date(*exp);
  if (!exp_time) return VerifyStatus::exp_invalid;
  // No skew on exp: the token cache keeps an entry until exactly exp, and the
  // issuer's stated lifetime is the one to honour. Skew covers nbf/iat only.
  if (now >= *exp_time) return VerifyStatus::expired;
  exp_out = *exp_time;
  if (auto nbf = claims.find("nbf"); nbf != claims.end()) {
    auto t = numeric_date(*nbf);
    if (!t) return VerifyStatus::nbf_invalid;
    if (*t > now + skew) return VerifyStatus::nbf_in_future;
  }
  if (auto iat = claims.find("iat"); iat != claims.end()) {
    auto t = numeric_date(*iat);
    if (!t) return VerifyStatus::iat_invalid;
    if (*t > now + skew) return VerifyStatus::iat_in_future;
  }
  return VerifyStatus::ok;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

VerifyStatus check_audience(const nlohmann::json& claims, const IssuerConfig& issuer) {
  if (issuer.audiences.empty()) return VerifyStatus::ok;
  auto aud = claims.find("aud");
  if (aud == claims.end()) return VerifyStatus::aud_mismatch;
  if (aud->is_string()) {
    return contains(issuer.audiences, aud->get_ref<const std::string&>()) ? VerifyStatus::ok
                                                                           : VerifyStatus::aud_mismatch;
  }
  if (!aud->is_array()) return VerifyStatus::aud_mismatch;
  bool found = false;
  for (const auto& entry : *aud) {
    if (!entry.is_string()) return VerifyStatus::aud_mismatch;  // a malformed aud is not trusted in part
    found = found || contains(issuer.audiences, entry.get_ref<const std::string&>());
  }
  return found ? VerifyStatus::ok : VerifyStatus::aud_mismatch;
}

VerifyStatus check_authorized_party(const nlohmann::json& claims, const IssuerConfig& issuer) {
  auto azp = claims.find("azp");
  if (azp == claims.end() || issuer.authorized_parties.empty()) return VerifyStatus::ok;
  if (!azp->is_string() || !contains(issuer.authorized_parties, azp->get_ref<const std::string&>())) {
    return VerifyStatus::azp_mismatch;
  }
  return VerifyStatus::ok;
}

VerifyResult fail(VerifyStatus status) { return {status, std::nullopt}; }

}  // namespace

VerifyResult verify(DecodedToken&& decoded, const KeySet& keys, const IssuerConfig& issuer, std::int64_t now_unix) {
  if (decoded.status != VerifyStatus::ok) return fail(decoded.status);
  std::string& signature = decode_buffers().signature;
  if (!base64url_decode_into(decoded.signature_segment, signature)) return fail(VerifyStatus::base64url_invalid);

  HeaderCheck header = check_header(decoded.header, issuer);
  if (header.status != VerifyStatus::ok) return fail(header.status);
  KeyChoice choice = choose_key(keys, header.kid, header.alg);
  if (choice.status != VerifyStatus::ok) return fail(choice.status);

  // Signature first: until it verifies, no claim of this token means anything.
  if (!verify_signature(header.alg, *choice.key, decoded.signing_input, signature)) {
    return fail(VerifyStatus::signature_invalid);
  }
  if (!decoded.payload_decoded) {
    if (auto st = decode_payload(decoded); st != VerifyStatus::ok) return fail(st);
  }

  const nlohmann::json& claims = decoded.payload;
  double exp = 0;
  if (auto st = check_time_claims(claims, issuer, now_unix, exp); st != VerifyStatus::ok) return fail(st);
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string() || iss->get_ref<const std::string&>() != issuer.issuer) {
    return fail(VerifyStatus::iss_mismatch);
  }
  std::string subject;
  if (auto sub = claims.find("sub"); sub != claims.end()) {
    if (!sub->is_string()) return fail(VerifyStatus::sub_not_string);
    subject = sub->get<std::string>();
  }
  if (auto st = check_audience(claims, issuer); st != VerifyStatus::ok) return fail(st);
  if (auto st = check_authorized_party(claims, issuer); st != VerifyStatus::ok) return fail(st);

  VerifiedToken verified;
  verified.issuer = issuer.issuer;
  verified.subject = std::move(subject);
  verified.exp = exp;
  verified.kid = std::move(header.kid);
  verified.key_fingerprint = choice.key->fingerprint;
  verified.alg = header.alg;
  verified.claims = std::move(decoded.payload);
  return {VerifyStatus::ok, std::move(verified)};
}

VerifyResult verify(std::string_view token, const KeySet& keys, const IssuerConfig& issuer, std::int64_t now_unix,
                    std::size_t max_token_bytes) {
  return verify(split_and_decode(token, max_token_bytes, /*need_payload=*/false), keys, issuer, now_unix);
}

DecodedToken decode_token(std::string_view token, std::size_t max_token_bytes) {
  return split_and_decode(token, max_token_bytes, /*need_payload=*/true);
}

const std::string* unverified_issuer(const DecodedToken& token) {
  if (token.status != VerifyStatus::ok) return nullptr;
  auto iss = token.payload.find("iss");
  if (iss == token.payload.end() || !iss->is_string()) return nullptr;
  return &iss->get_ref<const std::string&>();
}

}  // namespace gate::jwks
