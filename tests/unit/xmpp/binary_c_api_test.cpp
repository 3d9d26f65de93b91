// SPDX-License-Identifier: MIT
// The C interface (xmpp/binary/tern_binary.h): the whole corpus through a client session and a
// server session as XML text, the own JID bound by the sessions themselves, partial input and
// errors.
#include <gtest/gtest.h>

#include "tests/unit/xmpp/binary_corpus.h"
#include "xmpp/binary/tern_binary.h"

namespace tern::xmpp::binary {
namespace {

struct Sessions {
  Sessions()
      : client(tern_bx_session_new(TERN_BX_INITIATOR)),
        server(tern_bx_session_new(TERN_BX_RESPONDER)) {}
  ~Sessions() {
    tern_bx_session_free(client);
    tern_bx_session_free(server);
  }
  Sessions(const Sessions&) = delete;
  Sessions& operator=(const Sessions&) = delete;
  tern_bx_session* client;
  tern_bx_session* server;
};

TEST(BinaryCApi, TheCorpusAsXmlTextBothWays) {
  auto lines = testing::load_corpus();
  ASSERT_EQ(lines.size(), 2009U);
  Sessions s;
  std::size_t own_refs = 0;
  for (const auto& line : lines) {
    tern_bx_session* from = line.from_client ? s.client : s.server;
    tern_bx_session* to = line.from_client ? s.server : s.client;
    const uint8_t* frame = nullptr;
    size_t frame_size = 0;
    ASSERT_EQ(tern_bx_encode(from, line.xml.data(), line.xml.size(), &frame, &frame_size),
              TERN_BX_OK)
        << line.xml << ": " << tern_bx_error(from);
    std::string bytes(reinterpret_cast<const char*>(frame), frame_size);
    own_refs += bytes.find('\x54') != std::string::npos ? 1 : 0;
    size_t consumed = 0;
    const char* xml = nullptr;
    size_t xml_size = 0;
    ASSERT_EQ(tern_bx_decode(to, frame, frame_size, &consumed, &xml, &xml_size), TERN_BX_OK)
        << line.xml << ": " << tern_bx_error(to);
    EXPECT_EQ(consumed, frame_size);
    auto back = parse_xml_item({xml, xml_size});
    ASSERT_TRUE(back.ok()) << std::string(xml, xml_size);
    EXPECT_EQ(back->kind, line.item.kind);
    if (line.item.kind == XmlItemKind::Element) {
      EXPECT_TRUE(equal_trees(line.item.stanza->root(), back->stanza->root()))
          << line.xml << "\n"
          << std::string(xml, xml_size);
    } else if (line.item.kind == XmlItemKind::StreamOpen) {
      EXPECT_EQ(back->header.from, line.item.header.from);
      EXPECT_EQ(back->header.to, line.item.header.to);
    }
  }
  EXPECT_GT(own_refs, 500U);  // the sessions bound the own JID from the bind result
}

TEST(BinaryCApi, PreambleKeepaliveAndPartialInput) {
  EXPECT_EQ(tern_bx_preamble()[0], 0xC1);
  EXPECT_EQ(tern_bx_preamble()[1], 1);
  Sessions s;
  const uint8_t keepalive[] = {0x00};
  size_t consumed = 0;
  const char* xml = nullptr;
  size_t xml_size = 0;
  ASSERT_EQ(tern_bx_decode(s.server, keepalive, 1, &consumed, &xml, &xml_size), TERN_BX_OK);
  EXPECT_EQ(std::string(xml, xml_size), " ");
  const uint8_t* frame = nullptr;
  size_t frame_size = 0;
  std::string ping = "<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>";
  ASSERT_EQ(tern_bx_encode(s.client, ping.data(), ping.size(), &frame, &frame_size), TERN_BX_OK);
  std::string bytes(reinterpret_cast<const char*>(frame), frame_size);
  EXPECT_EQ(tern_bx_decode(s.server, frame, frame_size - 1, &consumed, &xml, &xml_size),
            TERN_BX_NEED_MORE);
  ASSERT_EQ(tern_bx_decode(s.server, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                           &consumed, &xml, &xml_size),
            TERN_BX_OK);
  // The stanza form writes from, to, id and type in that order (attribute order is not part of
  // an XML tree).
  EXPECT_EQ(std::string(xml, xml_size),
            "<iq id='p1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>");
}

TEST(BinaryCApi, Errors) {
  Sessions s;
  const uint8_t* frame = nullptr;
  size_t frame_size = 0;
  std::string bad = "<message><unclosed></message>";
  EXPECT_EQ(tern_bx_encode(s.client, bad.data(), bad.size(), &frame, &frame_size), TERN_BX_ERROR);
  EXPECT_STRNE(tern_bx_error(s.client), "");
  const uint8_t garbage[] = {0x02, 0xE4, 0x00};
  size_t consumed = 0;
  const char* xml = nullptr;
  size_t xml_size = 0;
  EXPECT_EQ(tern_bx_decode(s.server, garbage, sizeof garbage, &consumed, &xml, &xml_size),
            TERN_BX_ERROR);
  EXPECT_STREQ(tern_bx_condition(s.server), "not-well-formed");
  EXPECT_EQ(tern_bx_set_own_jid(s.client, "", 0), TERN_BX_ERROR);
  EXPECT_EQ(tern_bx_set_own_jid(s.client, "a@b/c", 5), TERN_BX_OK);
  EXPECT_EQ(tern_bx_encode(nullptr, bad.data(), bad.size(), &frame, &frame_size), TERN_BX_ERROR);
}

}  // namespace
}  // namespace tern::xmpp::binary
