// SPDX-License-Identifier: MIT
// StreamParser: stream open/close, tree building, chunking, restarts and the RFC 6120 §11
// restrictions. Limits are in stream_parser_limits_test.cpp.
#include "xmpp/stream_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/xmpp/test_sink.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace tern::xmpp {
namespace {

using testing::feed_in_chunks;
using testing::kClientHeader;
using testing::RecordingSink;

constexpr std::string_view kChat =
    "<message to='juliet@example.com' type='chat' id='m1'>"
    "<body>Wherefore art thou, Romeo? &lt;3 &amp; caf\xC3\xA9 \xF0\x9F\x98\x80</body>"
    "<active xmlns='http://jabber.org/protocol/chatstates'/>"
    "</message>";

std::string client_stream(std::string_view body) {
  std::string s(kClientHeader);
  s += body;
  return s;
}

TEST(StreamParser, ReportsStreamHeaderAttributes) {
  RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' from='juliet@example.com' "
      "id='abc' version='1.0' xml:lang='de'>");
  ASSERT_EQ(sink.headers.size(), 1U);
  const StreamHeader& h = sink.headers[0];
  EXPECT_EQ(h.to, "example.com");
  EXPECT_EQ(h.from, "juliet@example.com");
  EXPECT_EQ(h.id, "abc");
  EXPECT_EQ(h.version, "1.0");
  EXPECT_EQ(h.lang, "de");
  EXPECT_EQ(h.content_ns, ns::kClient);
  EXPECT_TRUE(parser.stream_open());
  EXPECT_EQ(sink.error_count, 0);
}

TEST(StreamParser, BuildsTreeWithNamespacesAttributesAndDecodedText) {
  RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(client_stream(kChat));
  ASSERT_EQ(sink.stanzas.size(), 1U);
  const Stanza& s = *sink.stanzas[0];
  EXPECT_EQ(s.kind(), StanzaKind::Message);
  EXPECT_EQ(s.root().ns(), ns::kClient);
  EXPECT_EQ(s.to(), "juliet@example.com");
  EXPECT_EQ(s.type(), "chat");
  EXPECT_EQ(s.id(), "m1");
  EXPECT_EQ(s.root().child_text("body"),
            "Wherefore art thou, Romeo? <3 & caf\xC3\xA9 \xF0\x9F\x98\x80");
  const Element* active = s.root().child("active", ns::kChatStates);
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->parent(), &s.root());
}

TEST(StreamParser, KnownNamesAreInternedNotCopied) {
  RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(client_stream(kChat));
  ASSERT_EQ(sink.stanzas.size(), 1U);
  // Interned names point into the static table: the same address across stanzas.
  RecordingSink sink2;
  StreamParser parser2(sink2);
  parser2.feed(client_stream(kChat));
  EXPECT_EQ(sink.stanzas[0]->root().ns().data(), sink2.stanzas[0]->root().ns().data());
  EXPECT_EQ(sink.stanzas[0]->root().name().data(), sink2.stanzas[0]->root().name().data());
}

TEST(StreamParser, KeepsMixedContentInOrder) {
  RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(client_stream("<message><body>a<b/>c<![CDATA[<d>]]>e</body></message>"));
  ASSERT_EQ(sink.stanzas.size(), 1U);
  const Element* body = sink.stanzas[0]->root().child("body");
  ASSERT_NE(body, nullptr);
  const Node* n = body->first_node();
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->text_value(), "a");
  n = n->next();
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->is_element());
  n = n->next();
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->text_value(), "c<d>e");  // CDATA is text (RFC 6120 does not forbid it)
  EXPECT_EQ(n->next(), nullptr);
  EXPECT_EQ(body->text(), "ac<d>e");
}

TEST(StreamParser, EveryChunkingGivesTheSameTrees) {
  std::string input = client_stream(std::string(kChat) + "<r xmlns='urn:xmpp:sm:3'/>" +
                                    std::string(kChat) + "</stream:stream>");
  RecordingSink whole;
  StreamParser reference(whole);
  reference.feed(input);
  ASSERT_EQ(whole.stanzas.size(), 3U);
  ASSERT_EQ(whole.closes, 1);
  for (std::size_t chunk : {1U, 2U, 3U, 7U, 13U, 64U, 1000U}) {
    RecordingSink sink;
    StreamParser parser(sink);
    feed_in_chunks(parser, input, chunk);
    ASSERT_EQ(sink.stanzas.size(), 3U) << "chunk " << chunk;
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_TRUE(equal_trees(sink.stanzas[i]->root(), whole.stanzas[i]->root()))
          << "chunk " << chunk << " stanza " << i;
    }
    EXPECT_EQ(sink.closes, 1);
    EXPECT_EQ(sink.error_count, 0);
  }
}

TEST(StreamParser, SplitUtf8SequencesAcrossChunks) {
  // A 4-byte emoji and a 2-byte é split at every possible position.
  std::string body = "<message><body>\xF0\x9F\x98\x80\xC3\xA9</body></message>";
  std::string input = client_stream(body);
  std::size_t at = input.find('\xF0');
  for (std::size_t split = at; split <= at + 6; ++split) {
    RecordingSink sink;
    StreamParser parser(sink);
    parser.feed(std::string_view(input).substr(0, split));
    parser.feed(std::string_view(input).substr(split));
    ASSERT_EQ(sink.stanzas.size(), 1U) << split;
    EXPECT_EQ(sink.stanzas[0]->root().child_text("body"), "\xF0\x9F\x98\x80\xC3\xA9");
  }
}

TEST(StreamParser, OneByteFeedingDeliversStanzaOnItsLastByte) {
  RecordingSink sink;
  StreamParser parser(sink);
  std::string input = client_stream(kChat);
  for (std::size_t i = 0; i + 1 < input.size(); ++i) {
    parser.feed(std::string_view(&input[i], 1));
  }
  EXPECT_TRUE(sink.stanzas.empty()) << "no stanza before its closing '>'";
  parser.feed(std::string_view(&input.back(), 1));
  EXPECT_EQ(sink.stanzas.size(), 1U);
}

TEST(StreamParser, WhitespaceKeepalivesBetweenStanzasAreIgnored) {
  RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(client_stream(" \n\t<presence/>\r\n <presence/> "));
  EXPECT_EQ(sink.stanzas.size(), 2U);
  EXPECT_EQ(sink.error_count, 0);
}

TEST(StreamParser, TextOutsideStanzaIsBadFormat) {
  RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(client_stream("hello<presence/>"));
  ASSERT_TRUE(sink.error.has_value());
  EXPECT_EQ(sink.error->condition, StreamCondition::BadFormat);
  EXPECT_TRUE(sink.stanzas.empty());
}

TEST(StreamParser, StreamCloseIsReported) {
  RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(client_stream("<presence/></stream:stream>"));
  EXPECT_EQ(sink.stanzas.size(), 1U);
  EXPECT_EQ(sink.closes, 1);
  EXPECT_TRUE(parser.closed());
  EXPECT_EQ(parser.feed("<presence/>"), 11U);  // ignored after the close
  EXPECT_EQ(sink.stanzas.size(), 1U);
  EXPECT_EQ(sink.error_count, 0);
}

TEST(StreamParser, ResetStartsANewStream) {
  RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(client_stream("<presence/>"));
  parser.reset();
  parser.feed(client_stream("<message/>"));
  ASSERT_EQ(sink.headers.size(), 2U);
  ASSERT_EQ(sink.stanzas.size(), 2U);
  EXPECT_EQ(sink.stanzas[1]->root().name(), "message");
  EXPECT_EQ(sink.error_count, 0);
}

// A sink that restarts the stream when it sees <success/>, as a client does after SASL.
class RestartingSink : public RecordingSink {
 public:
  StreamParser* parser = nullptr;
  void on_stanza(StanzaPtr stanza) override {
    bool restart = stanza->root().name() == "success";
    RecordingSink::on_stanza(std::move(stanza));
    if (restart) {
      parser->request_restart();
    }
  }
};

TEST(StreamParser, RestartFromCallbackReturnsUnparsedRest) {
  RestartingSink sink;
  StreamParser parser(sink);
  sink.parser = &parser;
  std::string first = client_stream("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  std::string second = client_stream("<iq type='set' id='b'/>");
  std::string input = first + second;
  std::size_t used = parser.feed(input);
  EXPECT_EQ(used, first.size());
  EXPECT_EQ(parser.feed(std::string_view(input).substr(used)), second.size());
  ASSERT_EQ(sink.headers.size(), 2U);
  ASSERT_EQ(sink.stanzas.size(), 2U);
  EXPECT_EQ(sink.stanzas[1]->root().name(), "iq");
  EXPECT_EQ(sink.error_count, 0);
}

// go-sendxmpp sends "\n<?xml version='1.0'?>" before the restarted header; whitespace belongs to
// neither document and a declaration may open the new one (RFC 6120 §4.3.3), in any slicing.
TEST(StreamParser, RestartAcceptsWhitespaceThenDeclaration) {
  constexpr std::string_view kDeclaration = "<?xml version='1.0'?>";
  const std::string header_alone(kClientHeader.substr(kDeclaration.size()));
  // Each is followed by a header without a declaration of its own.
  for (std::string_view prefix :
       {"", "\n", " \r\n\t", "<?xml version='1.0'?>", "\n<?xml version='1.0'?>",
        "\r\n <?xml version='1.0' encoding='UTF-8'?>"}) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{4096}}) {
      RestartingSink sink;
      StreamParser parser(sink);
      sink.parser = &parser;
      std::string input = client_stream("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>") +
                          std::string(prefix) + header_alone + "<presence/>";
      std::string_view rest(input);
      for (int guard = 0; !rest.empty() && guard < 100000; ++guard) {
        rest.remove_prefix(parser.feed(rest.substr(0, std::min(chunk, rest.size()))));
      }
      EXPECT_EQ(sink.error_count, 0) << "prefix " << prefix.size() << " chunk " << chunk;
      EXPECT_EQ(sink.headers.size(), 2U) << "prefix " << prefix.size() << " chunk " << chunk;
      EXPECT_EQ(sink.stanzas.size(), 2U) << "prefix " << prefix.size() << " chunk " << chunk;
    }
  }
}

TEST(StreamParser, DeclarationBetweenStanzasIsStillAnError) {
  RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(client_stream("<presence/>\n<?xml version='1.0'?>"));
  EXPECT_EQ(sink.error_count, 1);
}

TEST(StreamParser, RestartWorksWithOneByteFeeding) {
  RestartingSink sink;
  StreamParser parser(sink);
  sink.parser = &parser;
  std::string input = client_stream("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>") +
                      client_stream("<presence/>");
  feed_in_chunks(parser, input, 1);
  EXPECT_EQ(sink.headers.size(), 2U);
  EXPECT_EQ(sink.stanzas.size(), 2U);
  EXPECT_EQ(sink.error_count, 0);
}

TEST(StreamParser, StopEndsParsingWithoutAnError) {
  struct StoppingSink : RecordingSink {
    StreamParser* parser = nullptr;
    void on_stanza(StanzaPtr s) override {
      RecordingSink::on_stanza(std::move(s));
      parser->stop();
    }
  } sink;
  StreamParser parser(sink);
  sink.parser = &parser;
  parser.feed(client_stream("<a/><b/><c/>"));
  EXPECT_EQ(sink.stanzas.size(), 1U);
  EXPECT_EQ(sink.error_count, 0);
  EXPECT_TRUE(parser.failed());
}

struct BadInput {
  const char* name;
  std::string input;
  StreamCondition expected;
};

class StreamParserErrors : public ::testing::TestWithParam<BadInput> {};

TEST_P(StreamParserErrors, ReportsTheRfcCondition) {
  const BadInput& bad = GetParam();
  for (std::size_t chunk : {0U, 1U}) {
    RecordingSink sink;
    StreamParser parser(sink);
    feed_in_chunks(parser, bad.input, chunk);
    ASSERT_EQ(sink.error_count, 1) << bad.name << " chunk " << chunk;
    EXPECT_EQ(sink.error->condition, bad.expected)
        << bad.name << ": got " << condition_name(sink.error->condition) << " (" << sink.error->text
        << ")";
    EXPECT_TRUE(parser.failed());
    // A failed parser consumes and reports nothing more.
    parser.feed("<presence/>");
    EXPECT_EQ(sink.error_count, 1);
  }
}

const std::string kHeader(kClientHeader);

INSTANTIATE_TEST_SUITE_P(
    Rfc6120, StreamParserErrors,
    ::testing::Values(
        BadInput{"garbage", "\x01\x02garbage", StreamCondition::NotWellFormed},
        BadInput{"mismatched_tag", kHeader + "<message></iq>", StreamCondition::NotWellFormed},
        BadInput{"invalid_utf8", kHeader + "<message><body>\xC3\x28</body></message>",
                 StreamCondition::NotWellFormed},
        BadInput{"overlong_utf8", kHeader + "<message><body>\xC0\xAF</body></message>",
                 StreamCondition::NotWellFormed},
        BadInput{"control_char", kHeader + "<message><body>\x01</body></message>",
                 StreamCondition::NotWellFormed},
        BadInput{"bad_char_ref", kHeader + "<message><body>&#0;</body></message>",
                 StreamCondition::NotWellFormed},
        BadInput{"unbound_prefix", kHeader + "<foo:bar/>", StreamCondition::BadNamespacePrefix},
        BadInput{"wrong_stream_ns",
                 "<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong'>",
                 StreamCondition::InvalidNamespace},
        BadInput{"wrong_content_ns",
                 "<stream:stream xmlns='jabber:wrong' "
                 "xmlns:stream='http://etherx.jabber.org/streams'>",
                 StreamCondition::InvalidNamespace},
        BadInput{"no_default_ns", "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
                 StreamCondition::InvalidNamespace},
        BadInput{"root_not_stream",
                 "<stream:features xmlns='jabber:client' "
                 "xmlns:stream='http://etherx.jabber.org/streams'>",
                 StreamCondition::BadFormat},
        BadInput{"comment", kHeader + "<!-- hi --><presence/>", StreamCondition::RestrictedXml},
        BadInput{"comment_in_stanza", kHeader + "<message><!-- hi --></message>",
                 StreamCondition::RestrictedXml},
        BadInput{"processing_instruction", kHeader + "<?foo bar?>", StreamCondition::RestrictedXml},
        BadInput{"dtd", "<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY a 'b'>]>",
                 StreamCondition::RestrictedXml},
        BadInput{"billion_laughs",
                 "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
                 "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
                 "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>"
                 "<stream:stream xmlns='jabber:client' "
                 "xmlns:stream='http://etherx.jabber.org/streams'><message>&lol3;</message>",
                 StreamCondition::RestrictedXml},
        BadInput{"external_entity",
                 "<?xml version='1.0'?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "
                 "'file:///etc/passwd'>]><stream:stream>&xxe;",
                 StreamCondition::RestrictedXml},
        BadInput{"undefined_entity", kHeader + "<message><body>&nbsp;</body></message>",
                 StreamCondition::RestrictedXml},
        BadInput{"latin1_declaration",
                 "<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream "
                 "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
                 StreamCondition::UnsupportedEncoding},
        BadInput{"text_at_stream_level", kHeader + "x", StreamCondition::BadFormat},
        BadInput{"duplicate_attribute", kHeader + "<message id='a' id='b'/>",
                 StreamCondition::NotWellFormed}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; });

TEST(StreamParser, ContentNamespaceIsConfigurable) {
  RecordingSink sink;
  ParserOptions options;
  options.content_ns = std::string(ns::kServer);
  StreamParser parser(sink, options);
  parser.feed(
      "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>");
  EXPECT_EQ(sink.error_count, 0);
  ASSERT_EQ(sink.headers.size(), 1U);
  EXPECT_EQ(sink.headers[0].content_ns, ns::kServer);
}

TEST(StreamParser, StanzasAlreadyDeliveredSurviveALaterError) {
  RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(client_stream("<message id='1'/><message id='2'/><bad"));
  parser.feed("<<<");
  EXPECT_EQ(sink.stanzas.size(), 2U);
  EXPECT_EQ(sink.error_count, 1);
}

TEST(StreamParser, ParsedStanzaSerializesBackEquivalently) {
  auto stanza = testing::parse_one(kChat);
  ASSERT_NE(stanza, nullptr);
  std::string out;
  Serializer().write(out, stanza->root());
  auto again = testing::parse_one(out);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(equal_trees(stanza->root(), again->root())) << out;
}

}  // namespace
}  // namespace tern::xmpp

namespace tern::xmpp {
namespace {

TEST(ParseStanza, ReadsBackWhatToXmlWrote) {
  auto original = testing::parse_one(
      "<message to='a@b' type='chat'><body>hi &amp; bye</body>"
      "<x xmlns='urn:example'><y/></x></message>");
  ASSERT_NE(original, nullptr);
  std::string stored = to_xml(original->root());
  StanzaPtr back = parse_stanza(stored);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(to_xml(back->root()), stored);
  EXPECT_EQ(back->kind(), StanzaKind::Message);
  EXPECT_EQ(back->root().child_text("body"), "hi & bye");
}

TEST(ParseStanza, RefusesAnythingButOneWellFormedElement) {
  EXPECT_EQ(parse_stanza("<message><body>open"), nullptr);
  EXPECT_EQ(parse_stanza("<a/><b/>"), nullptr);
  EXPECT_EQ(parse_stanza("not xml"), nullptr);
  EXPECT_EQ(parse_stanza(""), nullptr);
}

}  // namespace
}  // namespace tern::xmpp
