#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "jwks/strict_json.hpp"

using namespace gate::jwks;

namespace {

std::optional<StrictJsonError> error_of(std::string_view text) { return parse_strict_json(text).error; }

// The type of every node, recursively: 1 (unsigned), -1 (integer) and 1.0 (float)
// compare equal under nlohmann's operator==, but policy code may ask which it is.
bool same_types(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !same_types(*it, *other)) return false;
    }
  } else if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same_types(a[i], b[i])) return false;
    }
  }
  return true;
}

// The oracle: the parser this one replaced, kept here verbatim in behaviour so the
// differential test below can hold the new one to it. A bracket scan bounds depth
// before nlohmann parses; then every ':' outside strings must be one member of the
// parsed tree, or a name was repeated.
std::optional<StrictJsonError> reference_parse(std::string_view text, nlohmann::json& out) {
  std::size_t depth = 0, colons = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == ':') ++colons;
    if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return StrictJsonError::too_deep;
    }
    if ((c == ']' || c == '}') && depth > 0) --depth;
  }
  out = nlohmann::json::parse(text.begin(), text.end(), nullptr, false, false);
  if (out.is_discarded()) return StrictJsonError::not_json;
  auto members = [](const auto& self, const nlohmann::json& v) -> std::size_t {
    std::size_t n = v.is_object() ? v.size() : 0;
    if (v.is_structured()) {
      for (const auto& child : v) n += self(self, child);
    }
    return n;
  };
  if (members(members, out) != colons) return StrictJsonError::duplicate_member;
  return std::nullopt;
}

void check_same_as_reference(const std::string& text) {
  nlohmann::json expected;
  auto expected_error = reference_parse(text, expected);
  // The one intended difference: nlohmann's lexer takes a NUL byte outside a string
  // for the end of input, so the former parser accepted "{}\0anything". A NUL is
  // never valid JSON text; the new parser refuses it wherever it stands.
  if (text.find('\0') != std::string::npos &&
      (!expected_error || *expected_error == StrictJsonError::duplicate_member)) {
    expected_error = StrictJsonError::not_json;
  }
  auto got = parse_strict_json(text);
  CAPTURE(text);
  REQUIRE(got.error == expected_error);
  REQUIRE(got.value.has_value() == !expected_error.has_value());
  if (got.value) {
    REQUIRE(*got.value == expected);
    REQUIRE(same_types(*got.value, expected));
    REQUIRE(got.value->dump() == expected.dump());
  }
}

}  // namespace

TEST_CASE("strict json: duplicate member names are refused, at any depth, after unescaping") {
  CHECK(error_of(R"({"exp":1,"exp":2})") == StrictJsonError::duplicate_member);
  CHECK(error_of(R"({"a":{"b":1,"b":1}})") == StrictJsonError::duplicate_member);
  CHECK(error_of(R"({"a":[{"b":1},{"b":1,"b":2}]})") == StrictJsonError::duplicate_member);
  CHECK(error_of(R"({"exp":1,"\u0065xp":2})") == StrictJsonError::duplicate_member);
  CHECK(error_of(R"({"a":1,"\u0061":2})") == StrictJsonError::duplicate_member);
  CHECK(error_of(R"({"\u0061":1,"\u0061":2})") == StrictJsonError::duplicate_member);
  CHECK(error_of(R"({"\/":1,"/":2})") == StrictJsonError::duplicate_member);
  CHECK(error_of(R"({"é":1,"\u00e9":2})") == StrictJsonError::duplicate_member);
  CHECK(error_of(R"({"😀":1,"\ud83d\ude00":2})") == StrictJsonError::duplicate_member);
  CHECK(error_of(R"({"":1,"":2})") == StrictJsonError::duplicate_member);
  // The duplicate's own value is still checked: deeper problems outrank it.
  CHECK(error_of(R"({"a":1,"a":[1,}})") == StrictJsonError::not_json);
  CHECK(error_of(R"({"a":1,"a":2} x)") == StrictJsonError::not_json);
  CHECK(error_of(R"({"a":1,"a":)" + std::string(40, '[') + std::string(40, ']') + "}") ==
        StrictJsonError::too_deep);
  // Names that differ only after the escape are not duplicates; case matters.
  CHECK_FALSE(error_of(R"({"a":1,"\u0062":2,"A":3})"));
  // The same name in sibling objects is fine.
  auto ok = parse_strict_json(R"({"a":{"b":1},"c":{"b":2},"d":[{"b":3},{"b":4}]})");
  REQUIRE(ok.value);
  CHECK((*ok.value)["c"]["b"] == 2);
}

TEST_CASE("strict json: depth is bounded, 10k nesting does not recurse") {
  std::string deep = std::string(10000, '[') + std::string(10000, ']');
  CHECK(error_of(deep) == StrictJsonError::too_deep);
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  CHECK(error_of(objects) == StrictJsonError::too_deep);
  std::string at_limit = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  CHECK(parse_strict_json(at_limit).value);
  std::string over = "[" + at_limit + "]";
  CHECK(error_of(over) == StrictJsonError::too_deep);
  // Too deep anywhere counts, even after a syntax error the parser stops at.
  CHECK(error_of("[1,,2," + std::string(100, '[')) == StrictJsonError::too_deep);
  CHECK(error_of("{\"a\":1}" + std::string(100, '{')) == StrictJsonError::too_deep);
  // Brackets inside strings do not count.
  CHECK(parse_strict_json("{\"a\":\"" + std::string(100, '[') + "\\\"" + "\"}").value);
  CHECK(parse_strict_json("{\"" + std::string(100, '{') + "\":1}").value);
  // A lower limit is honoured.
  CHECK(parse_strict_json("[[1]]", 2).value);
  CHECK(parse_strict_json("[[[1]]]", 2).error == StrictJsonError::too_deep);
}

TEST_CASE("strict json: syntax errors, trailing data, comments, invalid UTF-8, overflow") {
  for (std::string bad : {"", " ", "{", "}", "{\"a\":1}x", "{\"a\":1} {}", "{\"a\":1},", "/*c*/{}", "{}//",
                          "{\"a\":\"\xff\"}", "{\"a\":1e400}", "{'a':1}", "{\"a\":\"\\ud800\"}", "NaN", "Infinity",
                          "{a:1}", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "[,1]", "{,}", "{\"a\"}", "{\"a\":}",
                          "[1 2]", "tru", "nul", "True", "falsey", "nulll", "\"abc", "[\"a\"", "{\"a\":1"}) {
    CAPTURE(bad);
    CHECK(error_of(bad) == StrictJsonError::not_json);
  }
  // nlohmann stops reading at a NUL byte, so the former parser accepted these.
  CHECK(error_of(std::string("{}\0", 3)) == StrictJsonError::not_json);
  CHECK(error_of(std::string("{\"a\":1}\0{\"a\":2}", 15)) == StrictJsonError::not_json);
  CHECK(error_of(std::string("{\"a\":\"x\0y\"}", 11)) == StrictJsonError::not_json);
  CHECK(parse_strict_json("  {\"a\" : [1, 2.5, true, null, \"x\"]}  ").value);
  CHECK(parse_strict_json("\t\r\n{}\n").value);
  // Only the four JSON whitespace characters.
  CHECK(error_of("\f{}") == StrictJsonError::not_json);
  CHECK(error_of("{}\v") == StrictJsonError::not_json);
  // Scalars at the top are JSON (the verifier refuses them as "not an object").
  CHECK(parse_strict_json("1").value == nlohmann::json(1));
  CHECK(parse_strict_json("\"x\"").value == nlohmann::json("x"));
}

TEST_CASE("strict json: every truncation of a valid document is refused") {
  const std::string doc =
      R"({"iss":"https://x.test","exp":1800000600.5,"aud":["a","b"],"n":null,"t":true,"f":false,)"
      R"("s":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t","neg":-12,"e":1E+2,"o":{"k":[{}]}})";
  REQUIRE(parse_strict_json(doc).value);
  for (std::size_t n = 0; n < doc.size(); ++n) {
    CAPTURE(n);
    CHECK(parse_strict_json(std::string_view(doc).substr(0, n)).error == StrictJsonError::not_json);
  }
}

TEST_CASE("strict json: UTF-8 must be well-formed (RFC 3629), in names and values") {
  const std::vector<std::string> bad = {
      "\x80",             // lone continuation byte
      "\xc0\x80",         // overlong NUL
      "\xc1\xbf",         // overlong
      "\xe0\x80\x80",     // overlong 3-byte
      "\xe0\x9f\xbf",     // overlong 3-byte, top
      "\xed\xa0\x80",     // UTF-16 surrogate D800 encoded
      "\xed\xbf\xbf",     // surrogate DFFF
      "\xf0\x80\x80\x80", // overlong 4-byte
      "\xf0\x8f\xbf\xbf", // overlong 4-byte, top
      "\xf4\x90\x80\x80", // above U+10FFFF
      "\xf5\x80\x80\x80", // lead byte never valid
      "\xff",             // never valid
      "\xc3",             // truncated 2-byte
      "\xe2\x82",         // truncated 3-byte
      "\xf0\x9f\x98",     // truncated 4-byte
      "\xc3\x28",         // bad continuation
      "\xe2\x28\xa1",     // bad continuation
  };
  for (const auto& seq : bad) {
    CAPTURE(seq);
    CHECK(error_of("{\"a\":\"" + seq + "\"}") == StrictJsonError::not_json);
    CHECK(error_of("{\"" + seq + "\":1}") == StrictJsonError::not_json);
  }
  // The edges that are valid.
  for (std::string good : {"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
                           "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\x7f"}) {
    CAPTURE(good);
    auto parsed = parse_strict_json("{\"a\":\"" + good + "\"}");
    REQUIRE(parsed.value);
    CHECK((*parsed.value)["a"] == good);
  }
}

TEST_CASE("strict json: escapes and surrogate pairs") {
  auto parsed = parse_strict_json(R"(["\"\\\/\b\f\n\r\t","\u0041\u00e9\u20ac\ud83d\ude00","\u0000","\uD83D\uDE00"])");
  REQUIRE(parsed.value);
  CHECK((*parsed.value)[0] == "\"\\/\b\f\n\r\t");
  CHECK((*parsed.value)[1] == "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  CHECK((*parsed.value)[2] == std::string("\0", 1));
  CHECK((*parsed.value)[3] == "\xf0\x9f\x98\x80");
  for (std::string bad : {R"(["\x41"])", R"(["\U0041"])", R"(["\u12G4"])", R"(["\u123"])", R"(["\'"])", R"(["\a"])",
                          R"(["\ud800"])", R"(["\udc00"])", R"(["\ud800\u0041"])", R"(["\ud800\ud800"])",
                          R"(["\ud800x"])", R"(["\ud800\"])", R"(["\"])", "[\"\t\"]", "[\"\n\"]", "[\"\x01\"]",
                          "[\"\x1f\"]"}) {
    CAPTURE(bad);
    CHECK(error_of(bad) == StrictJsonError::not_json);
  }
}

TEST_CASE("strict json: numbers keep nlohmann's types and range") {
  auto parsed = parse_strict_json(
      R"([0,-0,1,18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809,)"
      R"(1.5,1e2,1E-2,-1.25e+3,1e-400,1800000600.999])");
  REQUIRE(parsed.value);
  const auto& v = *parsed.value;
  CHECK(v[0].is_number_unsigned());
  CHECK(v[1].is_number_integer());
  CHECK_FALSE(v[1].is_number_unsigned());
  CHECK(v[2].get<std::uint64_t>() == 1);
  CHECK(v[3].is_number_unsigned());
  CHECK(v[3].get<std::uint64_t>() == UINT64_MAX);
  CHECK(v[4].is_number_float());
  CHECK(v[5].is_number_integer());
  CHECK(v[5].get<std::int64_t>() == INT64_MIN);
  CHECK(v[6].is_number_float());
  CHECK(v[7].get<double>() == 1.5);
  CHECK(v[8].is_number_float());
  CHECK(v[8].get<double>() == 100.0);
  CHECK(v[9].get<double>() == 0.01);
  CHECK(v[10].get<double>() == -1250.0);
  CHECK(v[11].get<double>() == 0.0);  // underflow is zero, as strtod (and nlohmann) has it
  CHECK(v[12].get<double>() == 1800000600.999);
  for (const std::string& bad : std::vector<std::string>{"[01]", "[-01]", "[-]", "[1.]", "[.5]", "[+1]", "[1e]", "[1e+]", "[1.e5]", "[0x10]",
                          "[1e400]", "[-1e400]", "[1" + std::string(400, '0') + "]", "[--1]", "[1-]", "[Infinity]"}) {
    CAPTURE(bad);
    CHECK(error_of(bad) == StrictJsonError::not_json);
  }
}

TEST_CASE("strict json: a UTF-8 byte-order mark is skipped at the very start only, as before") {
  CHECK(parse_strict_json("\xef\xbb\xbf{\"a\":1}").value);
  CHECK(error_of(" \xef\xbb\xbf{}") == StrictJsonError::not_json);
  CHECK(error_of("\xef\xbb{}") == StrictJsonError::not_json);
  CHECK(error_of("{}\xef\xbb\xbf") == StrictJsonError::not_json);
}

TEST_CASE("strict json: differential against the former nlohmann-based parser on random and mutated documents") {
  const std::vector<std::string> seeds = {
      R"({"alg":"RS256","kid":"rsa-1","typ":"JWT"})",
      R"({"alg":"ES256","typ":"at+jwt","crit":["b64"],"jwk":{"kty":"EC","crv":"P-256","x":"abc","y":"def"}})",
      R"({"iss":"https://example.clerk.accounts.dev","sub":"user_2abc","azp":"https://app.example.com",)"
      R"("iat":1800000000,"nbf":1799999995,"exp":1800003600.5,"aud":["a","b"],)"
      R"("perm":[{"t":["comments"],"a":["data_read","data_add"]}],"meta":{"x":null,"y":true,"z":false}})",
      R"({"keys":[{"kty":"RSA","n":"0vx7","e":"AQAB","kid":"k1","use":"sig","key_ops":["verify"]}]})",
      R"(["\u0061","\ud83d\ude00","é","\"\\\/\b\f\n\r\t",-0,0.5e-3,1E+2,18446744073709551616,-9223372036854775809])",
      R"({"a":{"b":{"c":[[[]]],"d":{}}},"\u0061x":1,"ax":2})",
      "\xef\xbb\xbf {\"bom\" : 1 }\n",
      std::string(kMaxJsonDepth - 1, '[') + R"({"a":1,"\u0061":2})" + std::string(kMaxJsonDepth - 1, ']'),
      std::string(kMaxJsonDepth, '[') + "1" + std::string(kMaxJsonDepth, ']'),
      R"({"x":")" + std::string(40, '[') + R"(\"","y":)" + std::string(20, '{') + R"("a":1)" + std::string(20, '}'),
  };
  // Bytes that matter to a JSON parser, plus whole escapes and UTF-8 edges.
  const std::vector<std::string> pieces = {
      "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u0061", "\\ud800", "\\udc00", "\\u00", "\\\"", "0", "1", "-",
      "+", ".", "e", "E", "1e400", "18446744073709551616", "true", "null", "f", " ", "\t", "\n", "\x01", "\x7f",
      "\x80", "\xc2\x80", "\xc0\x80", "\xe0\xa0\x80", "\xed\xa0\x80", "\xf0\x90\x80\x80", "\xf4\x90\x80\x80",
      "\xff", "\xef\xbb\xbf", "a", "\"a\"", "\"a\":1,", "\"\\u0061\":2,", std::string(1, '\0')};
  std::mt19937_64 rng(20261128);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };

  // Random well-formed documents whose names are sometimes escaped, so that
  // duplicates hide behind \u escapes.
  auto random_name = [&] {
    static const std::vector<std::string> names = {"a", "b", "exp", "é", "😀", ""};
    std::string name = names[pick(names.size())];
    if (name == "a" && pick(2) == 0) return std::string("\\u0061");
    if (name == "é" && pick(2) == 0) return std::string("\\u00e9");
    if (name == "😀" && pick(2) == 0) return std::string("\\ud83d\\ude00");
    return name;
  };
  auto random_value = [&](const auto& self, int depth) -> std::string {
    switch (pick(depth > 3 ? 6 : 8)) {
      case 0: return std::to_string(static_cast<std::int64_t>(rng()) >> pick(64));
      case 1: return std::to_string(rng());
      case 2: return std::to_string(static_cast<double>(rng() % 1000000) / 7.0) + (pick(2) ? "e" + std::to_string(static_cast<int>(pick(700)) - 350) : "");
      case 3: return pick(2) ? "true" : (pick(2) ? "false" : "null");
      case 4:
      case 5: return "\"" + random_name() + "\"";
      case 6: {
        std::string out = "[";
        for (std::size_t i = 0, n = pick(4); i < n; ++i) out += (i ? "," : "") + self(self, depth + 1);
        return out + "]";
      }
      default: {
        std::string out = "{";
        for (std::size_t i = 0, n = pick(4); i < n; ++i) {
          out += (i ? "," : "") + std::string("\"") + random_name() + "\":" + self(self, depth + 1);
        }
        return out + "}";
      }
    }
  };

  std::vector<std::string> corpus = seeds;
  for (int i = 0; i < 20000; ++i) corpus.push_back(random_value(random_value, 0));
  for (const auto& text : corpus) check_same_as_reference(text);

  // Mutations: flip, insert, delete, splice in a piece, truncate, repeat a slice.
  for (int i = 0; i < 200000; ++i) {
    std::string text = corpus[pick(corpus.size())];
    for (std::size_t edits = 1 + pick(3); edits > 0; --edits) {
      const std::size_t at = text.empty() ? 0 : pick(text.size() + 1);
      switch (pick(6)) {
        case 0:
          if (at < text.size()) text[at] = static_cast<char>(rng());
          break;
        case 1: text.insert(at, pieces[pick(pieces.size())]); break;
        case 2:
          if (at < text.size()) text.erase(at, 1 + pick(4));
          break;
        case 3:
          if (at < text.size()) text[at] = pieces[pick(pieces.size())][0];
          break;
        case 4: text.resize(at); break;
        default:
          if (at < text.size()) text.insert(at, text.substr(at, 1 + pick(12)));
          break;
      }
    }
    check_same_as_reference(text);
  }
}
