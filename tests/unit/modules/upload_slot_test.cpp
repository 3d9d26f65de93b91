// SPDX-License-Identifier: MIT
// XEP-0363 slots (modules/http_upload/upload_slot): the token an upload server checks, URL
// encoding of names in any script, the filenames refused, and the shape of a slot's URLs.
#include "modules/http_upload/upload_slot.h"

#include <gtest/gtest.h>

#include <string>

namespace tern::modules::http_upload {
namespace {

TEST(UploadSlot, TokenIsHmacSha256OfPathSizeAndTypeInHex) {
  // Expected value computed independently (Python: hmac.new(secret, msg, sha256).hexdigest()).
  EXPECT_EQ(slot_token("sesame", "0b7f6a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c/résumé 1.pdf", 1024,
                       "application/pdf"),
            "b407c75ae4e529eae2a509326b00e76d979acc011f865b7450573036d3212b32");
  // Any change to what was granted changes the token.
  const std::string base = slot_token("sesame", "a/b.txt", 10, "text/plain");
  EXPECT_NE(slot_token("sesame", "a/b.txt", 11, "text/plain"), base);
  EXPECT_NE(slot_token("sesame", "a/c.txt", 10, "text/plain"), base);
  EXPECT_NE(slot_token("sesame", "a/b.txt", 10, "text/html"), base);
  EXPECT_NE(slot_token("open", "a/b.txt", 10, "text/plain"), base);
}

TEST(UploadSlot, PercentEncodingKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(percent_encode("photo-1_a.b~c.jpg"), "photo-1_a.b~c.jpg");
  EXPECT_EQ(percent_encode("my photo?.jpg"), "my%20photo%3F.jpg");
  EXPECT_EQ(percent_encode("résumé"), "r%C3%A9sum%C3%A9");
  EXPECT_EQ(percent_encode("a#b&c=d%"), "a%23b%26c%3Dd%25");
}

TEST(UploadSlot, FilenamesWithPathsOrControlCharactersAreRefused) {
  EXPECT_TRUE(acceptable_filename("photo.jpg"));
  EXPECT_TRUE(acceptable_filename("фото 2026.jpg"));
  EXPECT_FALSE(acceptable_filename(""));
  EXPECT_FALSE(acceptable_filename("."));
  EXPECT_FALSE(acceptable_filename(".."));
  EXPECT_FALSE(acceptable_filename("../etc/passwd"));
  EXPECT_FALSE(acceptable_filename("a/b"));
  EXPECT_FALSE(acceptable_filename(std::string("a\0b", 3)));
  EXPECT_FALSE(acceptable_filename("a\nb"));
  EXPECT_FALSE(acceptable_filename(std::string(256, 'x')));
  EXPECT_TRUE(acceptable_filename(std::string(255, 'x')));
}

TEST(UploadSlot, SlotsShareARandomPathAndOnlyThePutUrlCarriesTheToken) {
  const Slot a = make_slot("https://up.example.com/put/", "https://dl.example.com", "sesame",
                           "my file.png", 2048, "image/png");
  const Slot b = make_slot("https://up.example.com/put/", "https://dl.example.com", "sesame",
                           "my file.png", 2048, "image/png");
  // https://up.example.com/put/UUID/my%20file.png?v2=TOKEN
  const std::string put_prefix = "https://up.example.com/put/";
  ASSERT_EQ(a.put_url.rfind(put_prefix, 0), 0U) << a.put_url;
  const std::string rest = a.put_url.substr(put_prefix.size());
  const std::string uuid = rest.substr(0, 36);
  EXPECT_EQ(uuid[8], '-');
  EXPECT_EQ(uuid[14], '4');  // version 4
  EXPECT_EQ(rest.substr(36, 16), "/my%20file.png?v");
  EXPECT_EQ(rest.substr(52), "2=" + slot_token("sesame", uuid + "/my file.png", 2048, "image/png"));
  EXPECT_EQ(a.get_url, "https://dl.example.com/" + uuid + "/my%20file.png");
  EXPECT_NE(a.put_url, b.put_url);  // a fresh path each time
}

}  // namespace
}  // namespace tern::modules::http_upload
