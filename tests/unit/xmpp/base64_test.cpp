// SPDX-License-Identifier: MIT
// Strict base64: the RFC 4648 §10 vectors, round trips of every byte and length, and rejection of
// everything that is not the one canonical spelling (bad characters, padding, whitespace,
// non-zero trailing bits).
#include "xmpp/base64.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace tern::xmpp {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_encoded_size(plain.size()), encoded.size());
    EXPECT_EQ(base64_decode(encoded), plain) << encoded;
  }
}

TEST(Base64, EveryByteAndLengthRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
  }
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
  for (std::size_t length = 0; length <= 70; ++length) {
    const std::string bytes = all.substr(256 - length);
    const std::string encoded = base64_encode(bytes);
    EXPECT_EQ(encoded.size() % 4, 0U);
    EXPECT_EQ(base64_decode(encoded), bytes) << length;
  }
}

TEST(Base64, EncodeToAppends) {
  std::string out = "v=";
  base64_encode_to("foo", out);
  EXPECT_EQ(out, "v=Zm9v");
}

TEST(Base64, RejectsBadLength) {
  for (const char* text : {"Z", "Zg", "Zg=", "Zm9vY", "Zm9vYg="}) {
    EXPECT_FALSE(base64_decode(text).has_value()) << text;
  }
}

TEST(Base64, RejectsBadCharacters) {
  for (const char* text : {"Zm9-", "Zm9_", "Zm9*", "Zm\x80v", "Zm.v", "Zm9v!!!!"}) {
    EXPECT_FALSE(base64_decode(text).has_value()) << text;
  }
  EXPECT_FALSE(base64_decode(std::string("Zm9\0", 4)).has_value());
}

TEST(Base64, RejectsWhitespace) {
  for (const char* text : {" Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "Zm9v\r\nZm9v", "Zm\t9"}) {
    EXPECT_FALSE(base64_decode(text).has_value()) << text;
  }
}

TEST(Base64, RejectsMisplacedPadding) {
  for (const char* text :
       {"====", "Z===", "=Zm9", "Zm=v", "Z=g=", "Zg==Zm9v", "Zm9v====", "Zm8=Zm8=", "Zg=a"}) {
    EXPECT_FALSE(base64_decode(text).has_value()) << text;
  }
}

TEST(Base64, RejectsNonZeroTrailingBits) {
  // "Zg==" and "Zm8=" are canonical; the same data with stray low bits is not.
  for (const char* text : {"Zh==", "Zv==", "Zm9=", "Zm+="}) {
    EXPECT_FALSE(base64_decode(text).has_value()) << text;
  }
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
}

}  // namespace
}  // namespace tern::xmpp
