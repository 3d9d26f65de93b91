// SPDX-License-Identifier: MIT
#include "modules/push/room_nicks.h"

#include <algorithm>

#include "xmpp/namespaces.h"

namespace tern::modules::push {

bool RoomNicks::presence_sent(const xmpp::Stanza& presence, const xmpp::Jid& from,
                              const xmpp::Jid& to, std::size_t max_rooms) {
  if (!to.has_resource()) {
    return true;
  }
  std::string_view type = presence.type();
  bool entering = type.empty() && presence.root().child("x", xmpp::ns::kMuc) != nullptr;
  std::lock_guard lock(mutex_);
  auto session = by_session_.find(std::string(from.full()));
  if (session == by_session_.end() && !entering) {
    return true;  // presence to someone not a room this session entered
  }
  std::vector<Membership>& rooms =
      session != by_session_.end() ? session->second : by_session_[std::string(from.full())];
  auto room = std::find_if(rooms.begin(), rooms.end(),
                           [&](const Membership& m) { return m.room == to.bare_view(); });
  if (type == "unavailable") {
    if (room != rooms.end()) {
      rooms.erase(room);
    }
  } else if (type.empty() && room != rooms.end()) {
    room->nick = std::string(to.resource());  // §7.6: a new nickname (or the same)
  } else if (entering) {
    if (rooms.size() >= max_rooms) {
      return false;
    }
    rooms.push_back(Membership{std::string(to.bare_view()), std::string(to.resource())});
  }
  if (rooms.empty()) {
    by_session_.erase(std::string(from.full()));
  }
  return true;
}

void RoomNicks::session_ended(const xmpp::Jid& session) {
  std::lock_guard lock(mutex_);
  by_session_.erase(std::string(session.full()));
}

std::optional<std::string> RoomNicks::nick(const xmpp::Jid& session, std::string_view room) const {
  std::lock_guard lock(mutex_);
  auto found = by_session_.find(std::string(session.full()));
  if (found == by_session_.end()) {
    return std::nullopt;
  }
  for (const Membership& m : found->second) {
    if (m.room == room) {
      return m.nick;
    }
  }
  return std::nullopt;
}

namespace {

// Letters and digits of any script continue a word; so does anything beyond ASCII (a byte of a
// multi-byte character), so a nickname is never found inside a longer non-ASCII word.
bool word_byte(char c) {
  auto b = static_cast<unsigned char>(c);
  return b >= 0x80 || (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
         b == '_';
}

}  // namespace

bool mentions(std::string_view body, std::string_view nick) {
  if (nick.empty()) {
    return false;
  }
  for (std::size_t at = body.find(nick); at != std::string_view::npos;
       at = body.find(nick, at + 1)) {
    bool starts = at == 0 || !word_byte(body[at - 1]) || !word_byte(nick.front());
    std::size_t end = at + nick.size();
    bool ends = end == body.size() || !word_byte(body[end]) || !word_byte(nick.back());
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

}  // namespace tern::modules::push
