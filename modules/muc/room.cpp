// SPDX-License-Identifier: MIT
// Occupants: entering, nick changes, leaving, presence (XEP-0045 §7.1–7.3, §7.6, §7.14).
// Messages, IQs and moderation are in room_messages.cpp and room_admin.cpp.
#include "modules/muc/room.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "modules/muc/room_internal.h"
#include "xmpp/base64.h"
#include "xmpp/namespaces.h"

namespace tern::modules::muc {

Room::Room(xmpp::Jid jid, RoomState state, Affiliations affiliations, RoomHost& host)
    : jid_(std::move(jid)),
      state_(std::move(state)),
      affiliations_(std::move(affiliations)),
      host_(host) {
  history_.set_capacity(static_cast<std::size_t>(state_.config.history_length));
}

// ---- what the room knows of a sender ----

Affiliation Room::affiliation_of(std::string_view bare) const {
  auto it = affiliations_.find(bare);
  return it == affiliations_.end() ? Affiliation::None : it->second.affiliation;
}

Room::Occupant* Room::occupant_by_session(const xmpp::Jid& full) {
  auto it = nick_by_session_.find(full.full());
  return it == nick_by_session_.end() ? nullptr : occupant_by_nick(it->second);
}

const Room::Occupant* Room::occupant_by_session(const xmpp::Jid& full) const {
  auto it = nick_by_session_.find(full.full());
  if (it == nick_by_session_.end()) {
    return nullptr;
  }
  auto o = occupants_.find(it->second);
  return o == occupants_.end() ? nullptr : &o->second;
}

Room::Occupant* Room::occupant_by_nick(std::string_view nick) {
  auto it = occupants_.find(nick);
  return it == occupants_.end() ? nullptr : &it->second;
}

Standing Room::standing_of(const xmpp::Jid& full) const {
  const Occupant* o = occupant_by_session(full);
  return Standing{affiliation_of(full.bare_view()), o != nullptr ? o->role : Role::None};
}

bool Room::is_moderator(const xmpp::Jid& full) const {
  const Occupant* o = occupant_by_session(full);
  return o != nullptr && o->role == Role::Moderator;
}

bool Room::is_last_owner(std::string_view bare) const {
  if (affiliation_of(bare) != Affiliation::Owner) {
    return false;
  }
  return std::count_if(affiliations_.begin(), affiliations_.end(), [](const auto& a) {
           return a.second.affiliation == Affiliation::Owner;
         }) == 1;
}

// ---- writing ----

xmpp::Jid Room::occupant_jid(std::string_view nick) const {
  auto full = jid_.with_resource(nick);
  return full ? std::move(full).value() : jid_;
}

std::string Room::occupant_id(std::string_view bare) const {
  // XEP-0421 §4: stable for one real bare JID in one room, revealing nothing about it.
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), state_.salt.data(), static_cast<int>(state_.salt.size()),
       reinterpret_cast<const unsigned char*>(bare.data()), bare.size(), mac, &mac_size);
  return xmpp::base64_encode(
      std::string_view(reinterpret_cast<const char*>(mac), std::min<unsigned int>(mac_size, 18)));
}

xmpp::StanzaPtr Room::presence_of(const Occupant& occupant, const xmpp::Jid& to, bool self,
                                  const std::vector<int>& codes, std::string_view type) const {
  const Session& shown = occupant.sessions.back();
  xmpp::StanzaPtr p;
  if (type.empty() && shown.presence) {
    p = shown.presence->clone();
  } else {
    p = xmpp::Stanza::create("presence", xmpp::ns::kClient);
  }
  xmpp::Element& root = p->root();
  root.set_attr("from", occupant_jid(occupant.nick).full());
  root.set_attr("to", to.full());
  if (type.empty()) {
    root.remove_attr("type");
  } else {
    root.set_attr("type", type);
  }
  xmpp::Element& x = root.add_child("x", xmpp::ns::kMucUser);
  xmpp::Element& item = x.add_child("item", xmpp::ns::kMucUser);
  item.set_attr("affiliation", affiliation_name(affiliation_of(occupant.bare)));
  item.set_attr("role", role_name(type == "unavailable" ? Role::None : occupant.role));
  // §7.2.3–7.2.4: the real JID goes to everyone in a non-anonymous room, to moderators (and the
  // occupant itself) in a semi-anonymous one.
  if (self || state_.config.non_anonymous() || is_moderator(to)) {
    item.set_attr("jid", shown.jid.full());
  }
  for (int code : codes) {
    x.add_child("status", xmpp::ns::kMucUser).set_attr("code", std::to_string(code));
  }
  if (self) {
    x.add_child("status", xmpp::ns::kMucUser).set_attr("code", "110");
  }
  root.add_child("occupant-id", xmpp::ns::kOccupantId).set_attr("id", occupant.occupant_id);
  return p;
}

void Room::broadcast_presence(const Occupant& occupant, const Statuses& statuses,
                              std::string_view type,
                              const std::function<void(xmpp::Element&)>& extra) {
  for (const auto& [nick, recipient] : occupants_) {
    bool self = nick == occupant.nick;
    std::vector<int> codes = statuses.to_all;
    if (self) {
      codes.insert(codes.end(), statuses.to_self.begin(), statuses.to_self.end());
    }
    for (const Session& s : recipient.sessions) {
      xmpp::StanzaPtr p = presence_of(occupant, s.jid, self, codes, type);
      if (extra) {
        extra(*p->root().child("x", xmpp::ns::kMucUser));
      }
      host_.send(std::move(p));
    }
  }
}

void Room::send_to_occupant(const Occupant& occupant, const xmpp::Stanza& stanza) {
  for (const Session& s : occupant.sessions) {
    xmpp::StanzaPtr copy = stanza.clone();
    copy->root().set_attr("to", s.jid.full());
    host_.send(std::move(copy));
  }
}

void Room::send_to_everyone(std::shared_ptr<const xmpp::Stanza> message) {
  std::vector<xmpp::Jid> recipients;
  recipients.reserve(occupants_.size());
  for (const auto& [nick, occupant] : occupants_) {
    for (const Session& s : occupant.sessions) {
      recipients.push_back(s.jid);
    }
  }
  host_.send_to_many(std::move(message), std::move(recipients));
}

void Room::send_error(const xmpp::Stanza& request, const xmpp::StanzaError& error) {
  if (xmpp::StanzaPtr reply = internal::error_reply(request, error, jid_.full())) {
    host_.send(std::move(reply));
  }
}

void Room::send_status_message(const std::vector<int>& codes) {
  // §10.2.1: occupants learn that the configuration changed (104, 172, 173…).
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", xmpp::ns::kClient);
  m->root().set_attr("from", jid_.full()).set_attr("type", "groupchat");
  m->root().set_attr("id", host_.new_stanza_id());
  xmpp::Element& x = m->root().add_child("x", xmpp::ns::kMucUser);
  for (int code : codes) {
    x.add_child("status", xmpp::ns::kMucUser).set_attr("code", std::to_string(code));
  }
  send_to_everyone(std::move(m));
}

void Room::send_subject(const xmpp::Jid& to) {
  // §7.2.16: the subject comes last on entry, empty when there is none.
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", xmpp::ns::kClient);
  std::string from(state_.subject_by.empty() ? jid_.full()
                                             : occupant_jid(state_.subject_by).full());
  m->root().set_attr("from", from).set_attr("to", to.full()).set_attr("type", "groupchat");
  m->root().set_attr("id", host_.new_stanza_id());
  m->root().add_child("subject", xmpp::ns::kClient).set_text(state_.subject);
  host_.send(std::move(m));
}

void Room::recall(std::shared_ptr<const xmpp::Stanza> message, Clock::time_point when) {
  history_.add(std::move(message), when);
}

void Room::send_history(const xmpp::Jid& to, const xmpp::Element* history_request) {
  HistoryRequest request = HistoryRequest::from(history_request);
  for (const HistoryEntry* entry : history_.select(request, host_.now())) {
    xmpp::StanzaPtr copy = entry->message->clone();
    copy->root().set_attr("to", to.full());
    // XEP-0203: when the room received it.
    copy->root()
        .add_child("delay", xmpp::ns::kDelay)
        .set_attr("from", jid_.full())
        .set_attr("stamp", internal::stamp(entry->when));
    host_.send(std::move(copy));
  }
}

// ---- entering, changing nick, leaving ----

void Room::create(const xmpp::Stanza& presence, const xmpp::Jid& from, std::string_view nick) {
  affiliations_[std::string(from.bare_view())] = AffiliationEntry{Affiliation::Owner, {}, {}};
  locked_ = true;
  Statuses statuses;
  statuses.to_self.push_back(201);
  enter(presence, from, nick, std::move(statuses));
}

std::optional<xmpp::StanzaError> Room::check_entry(const xmpp::Stanza& presence,
                                                   const xmpp::Jid& from,
                                                   std::string_view nick) const {
  // The XEP gives no order; this is Prosody's, so that clients see the same answer.
  Affiliation affiliation = affiliation_of(from.bare_view());
  if (state_.config.members_only && affiliation <= Affiliation::None) {  // §7.2.6
    return xmpp::StanzaError::of(xmpp::StanzaCondition::RegistrationRequired,
                                 "this room is for members only");
  }
  if (affiliation == Affiliation::Outcast) {  // §7.2.7
    return xmpp::StanzaError::forbidden("you are banned from this room");
  }
  if (state_.config.password_protected) {  // §7.2.5
    const xmpp::Element* x = presence.root().child("x", xmpp::ns::kMuc);
    std::string_view given = x != nullptr ? x->child_text("password", xmpp::ns::kMuc) : "";
    if (!internal::equal_secret(given, state_.config.password)) {
      return xmpp::StanzaError::not_authorized("a password is needed to enter this room");
    }
  }
  // §7.2.10: a room being created admits nobody but its owner until it is configured.
  if (locked_ && affiliation != Affiliation::Owner) {
    return xmpp::StanzaError::item_not_found("the room is being created and is still locked");
  }
  auto taken = occupants_.find(nick);
  if (taken != occupants_.end() && taken->second.bare != from.bare_view()) {  // §7.2.8
    return xmpp::StanzaError::conflict("that nickname is in use");
  }
  if (reserved_for_another(nick, from.bare_view())) {  // §7.2.9
    return xmpp::StanzaError::conflict("that nickname is reserved by a member of this room");
  }
  // §7.2.9: a full room still admits its admins and owners.
  if (taken == occupants_.end() && affiliation < Affiliation::Admin &&
      static_cast<std::int64_t>(occupants_.size()) >=
          state_.config.occupant_limit(host_.limits())) {
    return xmpp::StanzaError::service_unavailable("the room is full");
  }
  return std::nullopt;
}

void Room::enter(const xmpp::Stanza& presence, const xmpp::Jid& from, std::string_view nick,
                 Statuses statuses) {
  if (internal::nick_modified(presence, nick)) {
    statuses.to_self.push_back(210);  // §7.2: the service changed the nickname (normalised it)
  }
  auto [it, is_new] = occupants_.try_emplace(std::string(nick));
  Occupant& occupant = it->second;
  if (is_new) {
    occupant.nick = std::string(nick);
    occupant.bare = std::string(from.bare_view());
    occupant.role = default_role(affiliation_of(from.bare_view()), state_.config.moderated);
    occupant.occupant_id = occupant_id(from.bare_view());
  }
  occupant.sessions.push_back(Session{from, internal::as_occupant_presence(presence)});
  nick_by_session_[std::string(from.full())] = std::string(nick);

  // §7.2.3: the newcomer first learns who is there...
  for (const auto& [other_nick, other] : occupants_) {
    if (other_nick != nick) {
      host_.send(presence_of(other, from, false, {}));
    }
  }
  // ...then everyone (the newcomer last, with 110 and what concerns it) learns of the newcomer.
  if (state_.config.non_anonymous()) {
    statuses.to_self.push_back(100);  // §7.2.4
  }
  if (archived()) {
    statuses.to_self.push_back(170);  // §7.2.12: the room keeps what is said (XEP-0313)
  }
  for (const auto& [other_nick, other] : occupants_) {
    if (other_nick == nick) {
      continue;
    }
    for (const Session& s : other.sessions) {
      host_.send(presence_of(occupant, s.jid, false, statuses.to_all));
    }
  }
  std::vector<int> self_codes = statuses.to_all;
  self_codes.insert(self_codes.end(), statuses.to_self.begin(), statuses.to_self.end());
  for (const Session& s : occupant.sessions) {
    // The occupant's other sessions (one nick, several clients) see the new presence too.
    host_.send(presence_of(occupant, s.jid, true, s.jid == from ? self_codes : statuses.to_all));
  }
  const xmpp::Element* x = presence.root().child("x", xmpp::ns::kMuc);
  send_history(from, x != nullptr ? x->child("history", xmpp::ns::kMuc) : nullptr);
  send_subject(from);
}

void Room::on_presence(const xmpp::Stanza& presence, const xmpp::Jid& from, std::string_view nick) {
  std::string_view type = presence.type();
  if (type == "error") {
    // An occupant's client answered with an error: it is gone (§7.14, Prosody's "ghost" rule).
    if (occupant_by_session(from) != nullptr) {
      leave(from, nullptr, Statuses{{333}, {}});
    }
    return;
  }
  if (type == "unavailable") {
    leave(from, &presence, {});
    return;
  }
  if (!type.empty()) {
    return;  // subscriptions and probes have no meaning here
  }
  if (nick.empty()) {
    // §7.2.1: entering needs a nickname.
    return send_error(presence, xmpp::StanzaError::jid_malformed("a nickname is required"));
  }
  Occupant* current = occupant_by_session(from);
  if (current == nullptr) {
    if (presence.root().child("x", xmpp::ns::kMuc) == nullptr) {
      // §7.2.18: presence without <x/> from someone not in the room is no join (a client that
      // thinks it is still inside); answered as Prosody does.
      return send_error(presence, xmpp::StanzaError::item_not_found("you are not in this room"));
    }
    if (auto refused = check_entry(presence, from, nick)) {
      return send_error(presence, *refused);
    }
    return enter(presence, from, nick, {});
  }
  if (current->nick != nick) {
    return change_nick(*current, presence, from, nick);
  }
  if (presence.root().child("x", xmpp::ns::kMuc) != nullptr) {
    return resync(*current, presence, from);
  }
  // §7.7: a presence update, for everyone.
  for (Session& s : current->sessions) {
    if (s.jid == from) {
      s.presence = internal::as_occupant_presence(presence);
      // The shown session is the last one that spoke.
      std::swap(s, current->sessions.back());
      break;
    }
  }
  broadcast_presence(*current, {});
}

void Room::resync(Occupant& occupant, const xmpp::Stanza& presence, const xmpp::Jid& from) {
  // §17.3: a join from a client already in the room (it lost track, say after a reconnect the
  // room never saw) is answered as a join: everyone's presence, its own, history and subject.
  for (Session& s : occupant.sessions) {
    if (s.jid == from) {
      s.presence = internal::as_occupant_presence(presence);
    }
  }
  for (const auto& [nick, other] : occupants_) {
    if (nick != occupant.nick) {
      host_.send(presence_of(other, from, false, {}));
    }
  }
  host_.send(presence_of(occupant, from, true, {}));
  const xmpp::Element* x = presence.root().child("x", xmpp::ns::kMuc);
  send_history(from, x->child("history", xmpp::ns::kMuc));
  send_subject(from);
}

void Room::change_nick(Occupant& occupant, const xmpp::Stanza& presence, const xmpp::Jid& from,
                       std::string_view nick) {
  auto taken = occupants_.find(nick);
  if (taken != occupants_.end()) {  // §7.6.3, also when it is the same user under another nick
    return send_error(presence, xmpp::StanzaError::conflict("that nickname is in use"));
  }
  if (reserved_for_another(nick, occupant.bare)) {
    return send_error(presence, xmpp::StanzaError::conflict(
                                    "that nickname is reserved by a member of this room"));
  }
  if (occupant.sessions.size() > 1) {
    // One nick, several clients: one of them cannot take the others elsewhere.
    return send_error(presence, xmpp::StanzaError::not_acceptable(
                                    "leave from your other clients before changing nickname"));
  }
  // §7.6.2: unavailable from the old nick with 303 and the new one, then available from it.
  std::string new_nick(nick);
  // The occupant stays (§7.6 examples): its role is kept in the unavailable presence.
  std::string_view role = role_name(occupant.role);
  broadcast_presence(
      occupant, Statuses{{303}, {}}, "unavailable", [&new_nick, role](xmpp::Element& x) {
        x.child("item", xmpp::ns::kMucUser)->set_attr("nick", new_nick).set_attr("role", role);
      });
  Occupant moved = std::move(occupant);
  occupants_.erase(moved.nick);
  moved.nick = new_nick;
  moved.sessions.back().presence = internal::as_occupant_presence(presence);
  nick_by_session_[std::string(from.full())] = new_nick;
  Occupant& renamed = occupants_.emplace(new_nick, std::move(moved)).first->second;
  Statuses statuses;
  if (internal::nick_modified(presence, new_nick)) {
    statuses.to_self.push_back(210);
  }
  broadcast_presence(renamed, statuses);
}

void Room::leave(const xmpp::Jid& from, const xmpp::Stanza* presence, const Statuses& statuses) {
  auto found = nick_by_session_.find(from.full());
  if (found == nick_by_session_.end()) {
    return;
  }
  std::string nick = found->second;
  nick_by_session_.erase(found);
  Occupant& occupant = occupants_.at(nick);
  auto session = std::find_if(occupant.sessions.begin(), occupant.sessions.end(),
                              [&from](const Session& s) { return s.jid == from; });
  // The leaving session is shown in the unavailable presence, with the client's status text.
  std::swap(*session, occupant.sessions.back());
  if (presence != nullptr) {
    occupant.sessions.back().presence = internal::as_occupant_presence(*presence);
  }
  auto with_status = [presence](xmpp::Element& x) {
    if (presence == nullptr) {
      return;
    }
    if (std::string_view status = presence->root().child_text("status", xmpp::ns::kClient);
        !status.empty()) {
      x.parent()->add_child("status", xmpp::ns::kClient).set_text(status);
    }
  };
  if (occupant.sessions.size() == 1) {
    broadcast_presence(occupant, statuses, "unavailable", with_status);
    occupants_.erase(nick);
    return;
  }
  // One of several clients under this nick: only it leaves; the others stay as they were.
  xmpp::StanzaPtr gone = presence_of(occupant, from, true, statuses.to_all, "unavailable");
  with_status(*gone->root().child("x", xmpp::ns::kMucUser));
  host_.send(std::move(gone));
  occupant.sessions.pop_back();
  broadcast_presence(occupant, {});
}

void Room::remove_occupant(const std::string& nick, const Statuses& statuses,
                           std::string_view actor, std::string_view reason,
                           const xmpp::Element* destroy) {
  auto it = occupants_.find(nick);
  if (it == occupants_.end()) {
    return;
  }
  Occupant& occupant = it->second;
  std::string actor_nick(actor);
  std::string reason_text(reason);
  broadcast_presence(occupant, statuses, "unavailable", [&](xmpp::Element& x) {
    xmpp::Element& item = *x.child("item", xmpp::ns::kMucUser);
    if (!actor_nick.empty()) {
      item.add_child("actor", xmpp::ns::kMucUser).set_attr("nick", actor_nick);
    }
    if (!reason_text.empty()) {
      item.add_child("reason", xmpp::ns::kMucUser).set_text(reason_text);
    }
    if (destroy != nullptr) {
      x.append(destroy->clone_into(x.arena()));
    }
  });
  for (const Session& s : occupant.sessions) {
    nick_by_session_.erase(std::string(s.jid.full()));
  }
  occupants_.erase(it);
}

void Room::shut_down() {
  // §11.2: everyone hears everyone leave (332), so nobody is left thinking others are still in.
  for (const auto& [nick, occupant] : occupants_) {
    broadcast_presence(occupant, Statuses{{332}, {}}, "unavailable");
  }
  occupants_.clear();
  nick_by_session_.clear();
}

void Room::forget_account(std::string_view bare_jid) {
  affiliations_.erase(std::string(bare_jid));
}

}  // namespace tern::modules::muc
