// SPDX-License-Identifier: MIT
// The group chats (XEP-0045) each session of this server is in, and under which nickname, as
// seen in the presence it sent to them: what a room message must contain to be a mention of that
// session's user, the one kind of groupchat message worth waking a phone for (as Prosody's
// mod_cloud_notify does). Kept across workers (a session resumed elsewhere keeps its rooms);
// written only when a client enters, renames, leaves or ends, read only for a room message to a
// session waiting to be resumed.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "xmpp/stanza.h"

namespace tern::modules::push {

class RoomNicks {
 public:
  // A presence a client of this server sent to `to` (an occupant JID, room/nick): entering
  // (with XEP-0045's <x/>), a new nickname in a room it is in, or leaving. A session already
  // followed in `max_rooms` rooms is not followed into another: false then (the caller logs).
  bool presence_sent(const xmpp::Stanza& presence, const xmpp::Jid& from, const xmpp::Jid& to,
                     std::size_t max_rooms);
  void session_ended(const xmpp::Jid& session);
  // The nickname `session` has in `room` (a bare JID), if it is in it.
  std::optional<std::string> nick(const xmpp::Jid& session, std::string_view room) const;

 private:
  struct Membership {
    std::string room;
    std::string nick;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<Membership>> by_session_;  // by full JID
};

// Whether a room message's body mentions `nick`: the nickname appears in it as a word of its own
// (not inside a longer word, so that "Al" is not mentioned by "Also").
bool mentions(std::string_view body, std::string_view nick);

}  // namespace tern::modules::push
