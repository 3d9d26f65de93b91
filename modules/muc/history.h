// SPDX-License-Identifier: MIT
// The messages a room replays to a newcomer (XEP-0045 §7.2.15): the last `history_length`
// groupchat messages, each kept once as the occupants got it (from the sender's room JID, no 'to'),
// and the selection a <history/> element asks for (maxchars, maxstanzas, seconds, since: every
// limit given applies). Bounded by the room's configuration.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "xmpp/element.h"
#include "xmpp/stanza.h"

namespace tern::modules::muc {

using Clock = std::chrono::system_clock;

// What a <history/> element asks for; absent limits are nullopt.
struct HistoryRequest {
  std::optional<std::size_t> max_chars;
  std::optional<std::size_t> max_stanzas;
  std::optional<std::chrono::seconds> seconds;
  std::optional<Clock::time_point> since;

  // Reads the <history/> child of a join's <x xmlns='…/muc'/> (nullptr: no limits). Values that
  // are not numbers or XEP-0082 date-times are ignored, as if absent.
  static HistoryRequest from(const xmpp::Element* history);
};

struct HistoryEntry {
  std::shared_ptr<const xmpp::Stanza> message;
  Clock::time_point when;
  std::size_t chars;  // the length of the stanza as XML, for maxchars
};

class History {
 public:
  void set_capacity(std::size_t capacity);
  void add(std::shared_ptr<const xmpp::Stanza> message, Clock::time_point when);
  // Oldest first: what `request` selects, as of `now`.
  std::vector<const HistoryEntry*> select(const HistoryRequest& request,
                                          Clock::time_point now) const;
  std::size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }

 private:
  std::size_t capacity_ = 20;
  std::deque<HistoryEntry> entries_;
};

}  // namespace tern::modules::muc
