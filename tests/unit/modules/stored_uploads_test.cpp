// SPDX-License-Identifier: MIT
// The pure parts of ternd's own upload store (modules/http_upload): the Range header (RFC 9110
// §14), the records of slots and files, the slot ids accepted in URLs, and percent-decoding.
#include <gtest/gtest.h>

#include "modules/http_upload/byte_range.h"
#include "modules/http_upload/upload_records.h"
#include "modules/http_upload/upload_slot.h"

namespace tern::modules::http_upload {
namespace {

using Kind = ByteRange::Kind;

TEST(ByteRange, OneRangeInItsThreeForms) {
  ByteRange r = parse_byte_range("bytes=0-99", 1000);
  EXPECT_EQ(r.kind, Kind::Part);
  EXPECT_EQ(r.first, 0U);
  EXPECT_EQ(r.last, 99U);
  EXPECT_EQ(r.length(), 100U);
  r = parse_byte_range("bytes=900-", 1000);
  EXPECT_EQ((std::pair{r.first, r.last}), (std::pair<std::uint64_t, std::uint64_t>{900, 999}));
  r = parse_byte_range("bytes=-100", 1000);
  EXPECT_EQ((std::pair{r.first, r.last}), (std::pair<std::uint64_t, std::uint64_t>{900, 999}));
  r = parse_byte_range("bytes=-5000", 1000);  // more than the file: all of it
  EXPECT_EQ((std::pair{r.first, r.last}), (std::pair<std::uint64_t, std::uint64_t>{0, 999}));
  r = parse_byte_range("bytes=500-99999", 1000);  // the end is clipped
  EXPECT_EQ(r.last, 999U);
}

TEST(ByteRange, UnsatisfiableAndIgnored) {
  EXPECT_EQ(parse_byte_range("bytes=1000-", 1000).kind, Kind::Unsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=-0", 1000).kind, Kind::Unsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=0-", 0).kind, Kind::Unsatisfiable);
  // Not understood or several ranges: the whole file (RFC 9110 §14.2 lets a server ignore Range).
  for (std::string_view header :
       {"", "items=0-5", "bytes=5-2", "bytes=a-b", "bytes=0-1,5-6", "bytes=-", "bytes=1",
        "bytes=--5", "bytes=99999999999999999999-"}) {
    EXPECT_EQ(parse_byte_range(header, 1000).kind, Kind::Whole) << header;
  }
}

TEST(UploadRecords, RoundTripAndDamage) {
  Upload upload{"juliet@example.com", "résumé.pdf", "application/pdf", 1234, 1700000000, true};
  std::optional<Upload> back = decode_upload(encode_upload(upload));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->owner, upload.owner);
  EXPECT_EQ(back->filename, upload.filename);
  EXPECT_EQ(back->content_type, upload.content_type);
  EXPECT_EQ(back->size, upload.size);
  EXPECT_EQ(back->since_s, upload.since_s);
  EXPECT_TRUE(back->stored);
  std::string record = encode_upload(upload);
  EXPECT_FALSE(decode_upload(record.substr(0, record.size() - 3)));
  record[0] = 9;  // a version this build does not know
  EXPECT_FALSE(decode_upload(record));
}

TEST(UploadRecords, OnlyOurSlotIdsAreValid) {
  EXPECT_TRUE(valid_slot_id("0b7f6a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c"));
  for (std::string_view id :
       {"0B7F6A3C-1D2E-4F5A-8B9C-0D1E2F3A4B5C", "..", "../../etc/passwd",
        "0b7f6a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5", "0b7f6a3c/1d2e-4f5a-8b9c-0d1e2f3a4b5c",
        "0b7f6a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c0", ""}) {
    EXPECT_FALSE(valid_slot_id(id)) << id;
  }
}

TEST(UploadSlot, PercentDecodingIsTheReverseOfEncoding) {
  std::string out;
  for (std::string_view name : {"résumé 1.pdf", "a#b&c=d%", "photo.jpg", "ü/../x"}) {
    ASSERT_TRUE(percent_decode(percent_encode(name), out));
    EXPECT_EQ(out, name);
  }
  EXPECT_TRUE(percent_decode("%c3%a9", out));
  EXPECT_EQ(out, "\xC3\xA9");
  EXPECT_FALSE(percent_decode("%2", out));
  EXPECT_FALSE(percent_decode("%g0", out));
  EXPECT_FALSE(percent_decode("a%00b", out));
}

}  // namespace
}  // namespace tern::modules::http_upload
