// SPDX-License-Identifier: MIT
// One room of the MUC service (XEP-0045): its occupants, affiliations, configuration, subject and
// history, and what it does with the stanzas addressed to it. A room lives on one worker (the
// service shards rooms by JID), so nothing here locks; it talks to the rest of the server only
// through its RoomHost (sending, storing), which makes it testable on its own.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modules/muc/history.h"
#include "modules/muc/roles.h"
#include "modules/muc/room_config.h"
#include "xmpp/jid.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_error.h"

namespace tern::modules::muc {

class Room;

// An affiliation with the reason given for it (§9.1 bans carry one).
struct AffiliationEntry {
  Affiliation affiliation = Affiliation::None;
  std::string reason;
  std::string nick;  // the nickname the account reserved (§7.10; members and above), or empty
};
using Affiliations = std::map<std::string, AffiliationEntry, std::less<>>;  // by bare JID

// What a room keeps across restarts besides its affiliations.
struct RoomState {
  RoomConfig config;
  std::string subject;
  std::string subject_by;  // the nick that set it
  std::string salt;        // keys the room's occupant ids (XEP-0421)
};

// What a room needs from the service around it.
class RoomHost {
 public:
  virtual ~RoomHost() = default;
  // Sends a stanza the room wrote (its 'from' is the room's) through the router.
  virtual void send(xmpp::StanzaPtr stanza) = 0;
  // Sends one stanza without 'to' to many full JIDs, serialised once (ModuleContext::fan_out).
  virtual void send_to_many(std::shared_ptr<const xmpp::Stanza> stanza,
                            std::vector<xmpp::Jid> recipients) = 0;
  // A persistent room's state or one affiliation changed; or the room is gone (destroyed, or
  // no longer persistent): its records are deleted.
  virtual void save_state(const Room& room) = 0;
  virtual void save_affiliation(const Room& room, std::string_view jid,
                                const AffiliationEntry& entry) = 0;
  virtual void forget(const Room& room) = 0;
  virtual const ConfigLimits& limits() const = 0;
  virtual Clock::time_point now() const = 0;
  // A limit refused something (for the operator's log; never message content).
  virtual void log_refusal(std::string_view what, const Room& room, std::string_view who) = 0;
  // A fresh XEP-0359 stanza id for a message the room broadcasts.
  virtual std::string new_stanza_id() = 0;
  // The room's XEP-0313 archive, where the service keeps one (none: false, and nothing kept).
  virtual bool archives() const = 0;
  virtual void archive(const Room& room, std::string_view stanza_id,
                       const xmpp::Stanza& message) = 0;
  virtual void query_archive(const Room& room, const xmpp::Stanza& iq) = 0;
  // Whether a message may wake members who are not in the room (push, on room mentions); then
  // each groupchat message goes to message_for_absent with those members (bare JID, reserved
  // nickname).
  virtual bool wakes_absent_members() const = 0;
  virtual void message_for_absent(
      const xmpp::Stanza& message,
      const std::vector<std::pair<std::string, std::string>>& absent) = 0;
};

class Room {
 public:
  // A room restored or created. A room being created is locked (§10.1.1) until its owner
  // configures it or accepts the default configuration.
  Room(xmpp::Jid jid, RoomState state, Affiliations affiliations, RoomHost& host);

  const xmpp::Jid& jid() const { return jid_; }
  const RoomState& state() const { return state_; }
  const Affiliations& affiliations() const { return affiliations_; }
  bool locked() const { return locked_; }
  bool destroyed() const { return destroyed_; }
  std::size_t occupant_count() const { return occupants_.size(); }
  // Nobody left and nothing to keep: the service lets it go.
  bool finished() const { return destroyed_ || (occupants_.empty() && !state_.config.persistent); }

  // The creator's first presence: it becomes the owner, enters with status 201 and the room
  // stays locked until configured.
  void create(const xmpp::Stanza& presence, const xmpp::Jid& from, std::string_view nick);
  // Stanzas addressed to the room (nick empty) or to an occupant (room@service/nick); `from` is
  // the sender's full JID, stamped by the server.
  void on_presence(const xmpp::Stanza& presence, const xmpp::Jid& from, std::string_view nick);
  void on_message(const xmpp::Stanza& message, const xmpp::Jid& from, std::string_view nick);
  void on_iq(const xmpp::Stanza& iq, const xmpp::Jid& from, std::string_view nick);
  // The account was deleted: it loses its affiliation (occupants are gone with its sessions).
  void forget_account(std::string_view bare_jid);
  // The service is stopping: every occupant is told (status 332).
  void shut_down();
  // A message the room sent before it was last unloaded (from its archive), back into the
  // history newcomers are shown. Oldest first.
  void recall(std::shared_ptr<const xmpp::Stanza> message, Clock::time_point when);

 private:
  struct Session {
    xmpp::Jid jid;                                 // the occupant's real full JID
    std::shared_ptr<const xmpp::Stanza> presence;  // its last presence to the room
  };
  struct Occupant {
    std::string nick;
    std::string bare;  // the real bare JID
    std::vector<Session> sessions;
    Role role = Role::None;
    std::string occupant_id;
  };
  // A status code and the recipients it is meant for.
  struct Statuses {
    std::vector<int> to_all;
    std::vector<int> to_self;  // besides 110
  };
  // An IQ relayed to an occupant, awaiting its answer (§7.5 IQs between occupants).
  struct RelayedIq {
    std::string relay_id;
    xmpp::Jid asker;  // real full JID
    std::string original_id;
    std::string target_nick;
  };

  // Entering (§7.2).
  std::optional<xmpp::StanzaError> check_entry(const xmpp::Stanza& presence, const xmpp::Jid& from,
                                               std::string_view nick) const;
  void enter(const xmpp::Stanza& presence, const xmpp::Jid& from, std::string_view nick,
             Statuses statuses);
  void resync(Occupant& occupant, const xmpp::Stanza& presence, const xmpp::Jid& from);
  void change_nick(Occupant& occupant, const xmpp::Stanza& presence, const xmpp::Jid& from,
                   std::string_view nick);
  void leave(const xmpp::Jid& from, const xmpp::Stanza* presence, const Statuses& statuses);
  // Removes an occupant with every session (kick, ban, destroy), telling everyone.
  void remove_occupant(const std::string& nick, const Statuses& statuses, std::string_view actor,
                       std::string_view reason, const xmpp::Element* destroy = nullptr);

  // Messages (§7.4, §7.5, §7.8, §7.13, §8.1).
  void groupchat(const xmpp::Stanza& message, const xmpp::Jid& from);
  void change_subject(const xmpp::Stanza& message, Occupant& sender);
  // Hands a groupchat message to the host with the members who reserved a nickname and are not
  // in the room (push on mentions).
  void tell_absent_members(const xmpp::Stanza& message);
  void private_message(const xmpp::Stanza& message, const xmpp::Jid& from, std::string_view nick);
  void invite(const xmpp::Element& invite, const xmpp::Jid& from);
  void decline(const xmpp::Element& decline, const xmpp::Jid& from);
  // Counts one more invitation from `inviter` (a bare JID) this minute, unless it is one too
  // many (ConfigLimits::invitations_per_minute).
  bool invitation_allowed(std::string_view inviter);
  void voice_request(const xmpp::Stanza& message, const xmpp::Element& form, const xmpp::Jid& from);
  void relay_iq(const xmpp::Stanza& iq, const xmpp::Jid& from, std::string_view nick);
  void relay_iq_answer(const xmpp::Stanza& iq, const xmpp::Jid& from);

  // IQs to the room (§9, §10, XEP-0030).
  void disco_info(const xmpp::Stanza& iq, const xmpp::Jid& from);
  void disco_items(const xmpp::Stanza& iq, const xmpp::Jid& from);
  void archive_query(const xmpp::Stanza& iq, const xmpp::Jid& from);
  bool archived() const { return state_.config.archived && host_.archives(); }
  void admin_get(const xmpp::Stanza& iq, const xmpp::Jid& from, const xmpp::Element& query);
  void admin_set(const xmpp::Stanza& iq, const xmpp::Jid& from, const xmpp::Element& query);
  void owner_get(const xmpp::Stanza& iq, const xmpp::Jid& from);
  void owner_set(const xmpp::Stanza& iq, const xmpp::Jid& from, const xmpp::Element& query);
  void destroy(const xmpp::Element& destroy);
  void set_role(Occupant& occupant, Role role, std::string_view actor, std::string_view reason);
  // `nick`: the reserved nickname it gets; nullopt keeps the one it has (if it stays a member).
  void set_affiliation(const std::string& jid, Affiliation affiliation, const std::string& reason,
                       std::string_view actor, std::optional<std::string> nick = std::nullopt);
  // Registration (§7.10, room_registration.cpp).
  void registration(const xmpp::Stanza& iq, const xmpp::Jid& from, const xmpp::Element& query);
  void unregister(const xmpp::Stanza& iq, const std::string& bare);
  // Sets (or, empty, clears) the reserved nickname of an affiliated account and stores it.
  void keep_nick(const std::string& bare, std::string nick);
  void reserved_nick_info(const xmpp::Stanza& iq, const xmpp::Jid& from);
  const std::string* reserved_nick(std::string_view bare) const;
  bool reserved_for_another(std::string_view nick, std::string_view bare) const;
  void configuration_changed(const RoomConfig& before);

  // What the room knows of a sender.
  Affiliation affiliation_of(std::string_view bare) const;
  Occupant* occupant_by_session(const xmpp::Jid& full);
  const Occupant* occupant_by_session(const xmpp::Jid& full) const;
  Occupant* occupant_by_nick(std::string_view nick);
  Standing standing_of(const xmpp::Jid& full) const;
  bool is_last_owner(std::string_view bare) const;

  // Writing.
  xmpp::Jid occupant_jid(std::string_view nick) const;
  std::string occupant_id(std::string_view bare) const;
  // An occupant's presence as `to` sees it (jid shown to moderators, or to all in a
  // non-anonymous room), with the status codes given.
  xmpp::StanzaPtr presence_of(const Occupant& occupant, const xmpp::Jid& to, bool self,
                              const std::vector<int>& codes, std::string_view type = {}) const;
  void broadcast_presence(const Occupant& occupant, const Statuses& statuses,
                          std::string_view type = {},
                          const std::function<void(xmpp::Element&)>& extra = {});
  void send_to_occupant(const Occupant& occupant, const xmpp::Stanza& stanza);
  // A groupchat message (without 'to') to every session of every occupant.
  void send_to_everyone(std::shared_ptr<const xmpp::Stanza> message);
  void send_error(const xmpp::Stanza& request, const xmpp::StanzaError& error);
  void send_status_message(const std::vector<int>& codes);
  void send_subject(const xmpp::Jid& to);
  void send_history(const xmpp::Jid& to, const xmpp::Element* history_request);
  bool is_moderator(const xmpp::Jid& full) const;

  xmpp::Jid jid_;
  RoomState state_;
  Affiliations affiliations_;
  RoomHost& host_;
  bool locked_ = false;
  bool destroyed_ = false;
  std::map<std::string, Occupant, std::less<>> occupants_;           // by nick
  std::map<std::string, std::string, std::less<>> nick_by_session_;  // real full JID → nick
  struct InvitationWindow {
    Clock::time_point start;
    std::int64_t sent = 0;
  };
  std::map<std::string, InvitationWindow, std::less<>> invitations_;  // by inviter's bare JID
  History history_;
  std::deque<RelayedIq> relayed_;  // bounded (kMaxRelayedIqs)
};

}  // namespace tern::modules::muc
