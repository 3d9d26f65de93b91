// SPDX-License-Identifier: MIT
// The mobile corpus as one binary connection, for the binary codec's tests and benchmark: every
// line of tests/data/mobile-stanzas.xml with its direction and kind (the corpus's .tsv, kept in
// tests/data/binary-vectors/), and Connection, which holds an Encoder and a Decoder per direction
// and binds the own JID when the bind result passes, as a client and a server would.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "xmpp/binary/decoder.h"
#include "xmpp/binary/encoder.h"
#include "xmpp/binary/xml_text.h"

namespace tern::xmpp::binary::testing {

inline std::string test_data_dir() {
  const char* dir = std::getenv("TERN_TEST_DATA");  // NOLINT(concurrency-mt-unsafe): tests only
  return dir != nullptr ? dir : "tests/data";
}

struct CorpusLine {
  std::string xml;
  bool from_client = false;  // c2s; else s2c
  std::string kind;          // the corpus .tsv's kind column (receipt, chatstate, sm-r, …)
  XmlItem item;
};

// Every line of the corpus, parsed; empty when the files are missing.
inline std::vector<CorpusLine> load_corpus() {
  std::vector<CorpusLine> lines;
  std::ifstream xml(test_data_dir() + "/mobile-stanzas.xml");
  std::ifstream tsv(test_data_dir() + "/binary-vectors/mobile-stanzas.tsv");
  std::string text;
  std::string row;
  std::getline(tsv, row);  // header
  while (std::getline(xml, text) && std::getline(tsv, row)) {
    std::istringstream fields(row);
    std::string number;
    std::string dir;
    CorpusLine line;
    std::getline(fields, number, '\t');
    std::getline(fields, dir, '\t');
    std::getline(fields, line.kind, '\t');
    line.from_client = dir == "c2s";
    line.xml = text;
    auto parsed = parse_xml_item(text);
    if (!parsed) {
      return {};
    }
    line.item = std::move(parsed).value();
    lines.push_back(std::move(line));
  }
  return lines;
}

// Both directions of one client connection.
class Connection {
 public:
  Encoder& encoder(bool from_client) { return from_client ? client_out_ : server_out_; }
  Decoder& decoder(bool from_client) { return from_client ? server_in_ : client_in_; }

  // Appends the frame for `item` sent in the given direction.
  bool encode(const XmlItem& item, bool from_client, std::string& out) {
    Encoder& e = encoder(from_client);
    switch (item.kind) {
      case XmlItemKind::StreamOpen:
        e.encode_stream_open(item.header, out);
        return true;
      case XmlItemKind::StreamClose:
        Encoder::encode_stream_close(out);
        return true;
      case XmlItemKind::Element:
        return e.encode(item.stanza->root(), out).ok();
    }
    return false;
  }

  // After a frame has been both sent and received: the bind result binds the own JID on both
  // ends of both directions (section 8.3).
  void after(const XmlItem& item) {
    if (item.kind != XmlItemKind::Element) {
      return;
    }
    std::string_view jid = bound_jid(item.stanza->root());
    if (!jid.empty()) {
      client_out_.set_own_jid(jid);
      server_out_.set_own_jid(jid);
      client_in_.set_own_jid(jid);
      server_in_.set_own_jid(jid);
    }
  }

 private:
  Encoder client_out_{Role::Initiator};
  Encoder server_out_{Role::Responder};
  Decoder server_in_{Role::Initiator};
  Decoder client_in_{Role::Responder};
};

// Whether a decoded frame is the item it was encoded from (trees compared with equal_trees).
inline bool same(const XmlItem& item, const Frame& frame) {
  switch (item.kind) {
    case XmlItemKind::StreamClose:
      return frame.kind == FrameKind::StreamClose;
    case XmlItemKind::StreamOpen: {
      const StreamHeader& a = item.header;
      const StreamHeader& b = frame.header;
      return frame.kind == FrameKind::StreamOpen && a.to == b.to && a.from == b.from &&
             a.id == b.id && a.version == b.version && a.lang == b.lang &&
             a.content_ns == b.content_ns;
    }
    case XmlItemKind::Element:
      return frame.kind == FrameKind::Stanza && frame.stanza != nullptr &&
             equal_trees(item.stanza->root(), frame.stanza->root());
  }
  return false;
}

}  // namespace tern::xmpp::binary::testing
