// SPDX-License-Identifier: MIT
#include "tests/unit/xmpp/test_sink.h"

#include <algorithm>

namespace tern::xmpp::testing {

void feed_in_chunks(StreamParser& parser, std::string_view data, std::size_t chunk) {
  if (chunk == 0) {
    chunk = data.size();
  }
  while (!data.empty() && !parser.failed() && !parser.closed()) {
    std::string_view piece = data.substr(0, std::min(chunk, data.size()));
    data.remove_prefix(parser.feed(piece));  // less than piece.size() only after a restart
  }
}

StanzaPtr parse_one(std::string_view xml) {
  RecordingSink sink;
  StreamParser parser(sink);
  std::string input(kClientHeader);
  input += xml;
  parser.feed(input);
  if (sink.error_count != 0 || sink.stanzas.size() != 1) {
    return nullptr;
  }
  return std::move(sink.stanzas.front());
}

}  // namespace tern::xmpp::testing
