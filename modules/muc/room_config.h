// SPDX-License-Identifier: MIT
// A room's configuration (XEP-0045 §10.2, the muc#roomconfig form of §15.5.3) and what follows
// from it: the form an owner gets and submits, the room's disco#info features (§15.6) and its
// muc#roominfo form (§15.5.4), and the record it is kept as. Pure functions: tested on their own
// (tests/unit/modules/muc_room_config_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/data_form.h"
#include "xmpp/element.h"

namespace tern::modules::muc {

inline constexpr std::string_view kRoomConfigForm = "http://jabber.org/protocol/muc#roomconfig";
inline constexpr std::string_view kRoomInfoForm = "http://jabber.org/protocol/muc#roominfo";

enum class Whois : std::uint8_t { Moderators, Anyone };  // semi-anonymous, non-anonymous
// Who may send private messages (muc#roomconfig_allowpm).
enum class AllowPm : std::uint8_t { Anyone, Participants, Moderators, None };

// The service's bounds on what a configuration may ask.
struct ConfigLimits {
  std::int64_t max_occupants = 1000;         // the most muc#roomconfig_maxusers may say
  std::int64_t max_history = 100;            // the most messages a room keeps for newcomers
  std::int64_t invitations_per_minute = 10;  // mediated invitations one user may send a room
  // Whether a user without an affiliation may register with a room (§7.10), becoming a member;
  // off: only members, admins and owners reserve a nickname (Prosody's default).
  bool allow_unaffiliated_register = false;
};

struct RoomConfig {
  std::string name;
  std::string description;
  std::string language;
  bool persistent = false;
  bool is_public = true;
  bool members_only = false;
  bool moderated = false;
  bool password_protected = false;
  std::string password;
  std::int64_t max_occupants = 0;  // 0: the service's limit
  Whois whois = Whois::Moderators;
  bool participants_change_subject = false;
  AllowPm allow_pm = AllowPm::Anyone;
  bool members_invite = false;  // muc#roomconfig_allowinvites
  std::int64_t history_length = 20;
  bool archived = true;  // muc#roomconfig_enablearchiving: the room's XEP-0313 archive

  // The occupants the room admits now, under `limits`.
  std::int64_t occupant_limit(const ConfigLimits& limits) const;
  bool non_anonymous() const { return whois == Whois::Anyone; }

  // §10.1.3: the form an owner fills in, with the current values.
  void write_form(xmpp::Element& query, const ConfigLimits& limits) const;
  // §10.2: applies a submitted form. A field the form does not offer is ignored (XEP-0004 §3.1);
  // one it offers must have a valid value, else the error names it and nothing changes. A form
  // with fields must be of FORM_TYPE muc#roomconfig (an instant room's is empty, §10.1.2).
  std::optional<std::string> apply(const xmpp::SubmittedForm& form, const ConfigLimits& limits);

  // §15.6: the room's features for disco#info, without the protocol's own.
  std::vector<std::string_view> features() const;
  // §15.5.4: the muc#roominfo form in disco#info.
  void write_info_form(xmpp::Element& query, std::string_view subject, std::size_t occupants) const;

  // The record the room is kept as (persistent rooms), and back; nullopt for a damaged record.
  std::string encode() const;
  static std::optional<RoomConfig> decode(std::string_view record);
};

}  // namespace tern::modules::muc
