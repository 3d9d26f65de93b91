// SPDX-License-Identifier: MIT
// IQs to a room: disco (XEP-0030, the muc#roominfo form), moderation and affiliation lists
// (XEP-0045 §8–9, muc#admin), configuration and destruction (§10, muc#owner).
#include <algorithm>

#include "modules/muc/room.h"
#include "modules/muc/room_internal.h"
#include "xmpp/data_form.h"
#include "xmpp/namespaces.h"

namespace tern::modules::muc {
namespace {

xmpp::StanzaPtr result_with(const xmpp::Stanza& iq, std::string_view name, std::string_view ns,
                            xmpp::Element** payload) {
  xmpp::StanzaPtr reply = xmpp::make_iq_result(iq.root());
  *payload = &reply->root().add_child(name, ns);
  return reply;
}

}  // namespace

void Room::on_iq(const xmpp::Stanza& iq, const xmpp::Jid& from, std::string_view nick) {
  std::string_view type = iq.type();
  if (type == "result" || type == "error") {
    return relay_iq_answer(iq, from);
  }
  if (type != "get" && type != "set") {
    return;
  }
  if (!nick.empty()) {
    return relay_iq(iq, from, nick);
  }
  const xmpp::Element* query = iq.root().first_child();
  if (query == nullptr || iq.root().child_element_count() != 1) {
    return send_error(iq, xmpp::StanzaError::bad_request("one payload expected"));
  }
  bool get = type == "get";
  std::string_view ns = query->ns();
  if (get && query->is("query", xmpp::ns::kDiscoInfo)) {
    return disco_info(iq, from);
  }
  if (get && query->is("query", xmpp::ns::kDiscoItems)) {
    return disco_items(iq, from);
  }
  if (get && query->is("ping", xmpp::ns::kPing)) {
    return host_.send(xmpp::make_iq_result(iq.root()));
  }
  if (query->name() == "query" && ns == xmpp::ns::kMam) {
    return archive_query(iq, from);
  }
  if (query->name() == "query" && ns == xmpp::ns::kMucAdmin) {
    return get ? admin_get(iq, from, *query) : admin_set(iq, from, *query);
  }
  if (query->name() == "query" && ns == xmpp::ns::kMucOwner) {
    return get ? owner_get(iq, from) : owner_set(iq, from, *query);
  }
  if (query->name() == "query" && ns == xmpp::ns::kRegister) {
    return registration(iq, from, *query);
  }
  send_error(iq, xmpp::StanzaError::service_unavailable());
}

void Room::disco_info(const xmpp::Stanza& iq, const xmpp::Jid& from) {
  if (iq.root().first_child()->attr("node") == "x-roomuser-item" && !locked_) {
    return reserved_nick_info(iq, from);  // §7.12
  }
  if (!iq.root().first_child()->attr("node").empty()) {
    return send_error(iq, xmpp::StanzaError::item_not_found());
  }
  if (locked_ && affiliation_of(from.bare_view()) != Affiliation::Owner) {
    return send_error(iq, xmpp::StanzaError::item_not_found("no such room"));
  }
  xmpp::Element* query = nullptr;
  xmpp::StanzaPtr reply = result_with(iq, "query", xmpp::ns::kDiscoInfo, &query);
  const RoomConfig& config = state_.config;
  query->add_child("identity", xmpp::ns::kDiscoInfo)
      .set_attr("category", "conference")
      .set_attr("type", "text")
      .set_attr("name", config.name.empty() ? jid_.local() : std::string_view(config.name));
  std::vector<std::string_view> features = {
      xmpp::ns::kDiscoInfo,  xmpp::ns::kDiscoItems,  xmpp::ns::kMuc,
      xmpp::ns::kMucRequest, xmpp::ns::kMucSelfPing, xmpp::ns::kOccupantId,
      xmpp::ns::kStanzaId,   xmpp::ns::kPing,        xmpp::ns::kRegister,
  };
  for (std::string_view f : config.features()) {
    features.push_back(f);
  }
  if (archived()) {
    features.push_back(xmpp::ns::kMam);
  }
  for (std::string_view f : features) {
    query->add_child("feature", xmpp::ns::kDiscoInfo).set_attr("var", f);
  }
  config.write_info_form(*query, state_.subject, occupants_.size());
  host_.send(std::move(reply));
}

void Room::disco_items(const xmpp::Stanza& iq, const xmpp::Jid& from) {
  // §6.5: the occupants, to those in the room (others learn nothing about who is inside).
  xmpp::Element* query = nullptr;
  xmpp::StanzaPtr reply = result_with(iq, "query", xmpp::ns::kDiscoItems, &query);
  if (occupant_by_session(from) != nullptr) {
    for (const auto& [nick, occupant] : occupants_) {
      query->add_child("item", xmpp::ns::kDiscoItems)
          .set_attr("jid", occupant_jid(nick).full())
          .set_attr("name", nick);
    }
  }
  host_.send(std::move(reply));
}

void Room::archive_query(const xmpp::Stanza& iq, const xmpp::Jid& from) {
  if (!archived()) {
    return send_error(iq, xmpp::StanzaError::service_unavailable("this room keeps no archive"));
  }
  // XEP-0313 §6.1.2: who may enter may read; in a members-only room, members (present or not).
  Affiliation affiliation = affiliation_of(from.bare_view());
  if (affiliation == Affiliation::Outcast ||
      (state_.config.members_only && affiliation < Affiliation::Member)) {
    return send_error(iq, xmpp::StanzaError::forbidden("only members read this room's archive"));
  }
  if (iq.type() == "get") {
    return send_error(iq, xmpp::StanzaError::feature_not_implemented());
  }
  host_.query_archive(*this, iq);
}

void Room::admin_get(const xmpp::Stanza& iq, const xmpp::Jid& from, const xmpp::Element& query) {
  const xmpp::Element* asked = query.child("item", xmpp::ns::kMucAdmin);
  if (asked == nullptr) {
    return send_error(iq, xmpp::StanzaError::bad_request("an <item/> with a role or affiliation"));
  }
  Standing actor = standing_of(from);
  xmpp::Element* out = nullptr;
  xmpp::StanzaPtr reply = result_with(iq, "query", xmpp::ns::kMucAdmin, &out);
  if (auto affiliation = parse_affiliation(asked->attr("affiliation"))) {
    // §9.5, §10.5, §10.8: the lists are the admins' and owners' business; members of a
    // non-anonymous members-only room may see who the members are (§9.5).
    bool member_list_for_members = *affiliation == Affiliation::Member &&
                                   state_.config.members_only && state_.config.non_anonymous() &&
                                   actor.affiliation >= Affiliation::Member;
    if ((actor.affiliation < Affiliation::Admin && !member_list_for_members) ||
        *affiliation == Affiliation::None) {
      return send_error(iq, xmpp::StanzaError::forbidden("only admins and owners see the lists"));
    }
    for (const auto& [jid, entry] : affiliations_) {
      if (entry.affiliation != *affiliation) {
        continue;
      }
      xmpp::Element& item = out->add_child("item", xmpp::ns::kMucAdmin);
      item.set_attr("affiliation", affiliation_name(entry.affiliation)).set_attr("jid", jid);
      if (!entry.nick.empty()) {
        item.set_attr("nick", entry.nick);  // the reserved nickname (§9.5's examples)
      }
      if (!entry.reason.empty()) {
        item.add_child("reason", xmpp::ns::kMucAdmin).set_text(entry.reason);
      }
    }
    return host_.send(std::move(reply));
  }
  if (auto role = parse_role(asked->attr("role"))) {
    // §8.5, §9.8: the moderators and participants lists are for moderators.
    if (actor.role != Role::Moderator) {
      return send_error(iq, xmpp::StanzaError::forbidden("only moderators see the roles"));
    }
    for (const auto& [nick, occupant] : occupants_) {
      if (occupant.role != *role) {
        continue;
      }
      out->add_child("item", xmpp::ns::kMucAdmin)
          .set_attr("affiliation", affiliation_name(affiliation_of(occupant.bare)))
          .set_attr("jid", occupant.sessions.back().jid.full())
          .set_attr("nick", nick)
          .set_attr("role", role_name(occupant.role));
    }
    return host_.send(std::move(reply));
  }
  send_error(iq, xmpp::StanzaError::bad_request("unknown role or affiliation"));
}

void Room::admin_set(const xmpp::Stanza& iq, const xmpp::Jid& from, const xmpp::Element& query) {
  // Every item is checked before any is applied: a list changes whole or not at all.
  struct RoleChange {
    std::string nick;
    Role role;
    std::string reason;
  };
  struct AffiliationChange {
    std::string jid;
    Affiliation affiliation;
    std::string reason;
  };
  std::vector<RoleChange> roles;
  std::vector<AffiliationChange> affiliations;
  Standing actor = standing_of(from);
  const Occupant* actor_occupant = occupant_by_session(from);
  for (const xmpp::Element& item : query.children()) {
    if (!item.is("item", xmpp::ns::kMucAdmin)) {
      continue;
    }
    std::string reason(item.child_text("reason", xmpp::ns::kMucAdmin));
    if (item.has_attr("affiliation")) {
      auto affiliation = parse_affiliation(item.attr("affiliation"));
      std::string jid;
      if (item.has_attr("jid")) {
        auto parsed = xmpp::Jid::parse(item.attr("jid"));
        if (!parsed) {
          return send_error(iq, xmpp::StanzaError::jid_malformed());
        }
        jid = std::string(parsed->bare_view());
      } else if (Occupant* o = occupant_by_nick(item.attr("nick"))) {
        jid = o->bare;
      }
      if (!affiliation || jid.empty()) {
        return send_error(iq, xmpp::StanzaError::bad_request("an affiliation needs a jid"));
      }
      if (item.has_attr("role")) {  // §17.4: one or the other
        return send_error(iq, xmpp::StanzaError::bad_request("a role or an affiliation, not both"));
      }
      if (auto refused =
              check_affiliation_change(actor.affiliation, affiliation_of(jid), *affiliation,
                                       jid == from.bare_view(), is_last_owner(jid))) {
        return send_error(iq, *refused);
      }
      affiliations.push_back({jid, *affiliation, reason});
    } else if (item.has_attr("role")) {
      auto role = parse_role(item.attr("role"));
      Occupant* target = occupant_by_nick(item.attr("nick"));
      if (!role) {
        return send_error(iq, xmpp::StanzaError::bad_request("unknown role"));
      }
      if (target == nullptr) {
        return send_error(iq, xmpp::StanzaError::item_not_found("no occupant by that nickname"));
      }
      Standing standing{affiliation_of(target->bare), target->role};
      if (auto refused = check_role_change(actor, standing, *role)) {
        return send_error(iq, *refused);
      }
      roles.push_back({target->nick, *role, reason});
    } else {
      return send_error(iq, xmpp::StanzaError::bad_request("an item needs a role or affiliation"));
    }
  }
  std::string actor_nick = actor_occupant != nullptr ? actor_occupant->nick : std::string();
  // §8.2: the moderator hears of success before the occupants hear of the change.
  host_.send(xmpp::make_iq_result(iq.root()));
  for (const AffiliationChange& change : affiliations) {
    set_affiliation(change.jid, change.affiliation, change.reason, actor_nick);
  }
  for (const RoleChange& change : roles) {
    if (Occupant* target = occupant_by_nick(change.nick)) {
      set_role(*target, change.role, actor_nick, change.reason);
    }
  }
}

void Room::set_role(Occupant& occupant, Role role, std::string_view actor,
                    std::string_view reason) {
  if (role == Role::None) {  // §8.2: kicked
    return remove_occupant(occupant.nick, Statuses{{307}, {}}, actor, reason);
  }
  occupant.role = role;
  std::string reason_text(reason);
  broadcast_presence(occupant, {}, {}, [&reason_text](xmpp::Element& x) {
    if (!reason_text.empty()) {
      x.child("item", xmpp::ns::kMucUser)
          ->add_child("reason", xmpp::ns::kMucUser)
          .set_text(reason_text);
    }
  });
}

void Room::set_affiliation(const std::string& jid, Affiliation affiliation,
                           const std::string& reason, std::string_view actor,
                           std::optional<std::string> nick) {
  AffiliationEntry entry{affiliation, reason, {}};
  if (affiliation >= Affiliation::Member) {  // a reserved nickname goes with the membership
    auto it = affiliations_.find(jid);
    entry.nick = nick ? std::move(*nick) : it != affiliations_.end() ? it->second.nick : "";
  }
  if (affiliation == Affiliation::None) {
    affiliations_.erase(jid);
  } else {
    affiliations_[jid] = entry;
  }
  if (state_.config.persistent) {
    host_.save_affiliation(*this, jid, entry);
  }
  // Occupants of that account change role with the affiliation, or leave (§9.1, §9.4).
  std::vector<std::string> nicks;
  for (const auto& [nick, occupant] : occupants_) {
    if (occupant.bare == jid) {
      nicks.push_back(nick);
    }
  }
  for (const std::string& nick : nicks) {
    if (affiliation == Affiliation::Outcast) {
      remove_occupant(nick, Statuses{{301}, {}}, actor, reason);
    } else if (state_.config.members_only && affiliation < Affiliation::Member) {
      remove_occupant(nick, Statuses{{321}, {}}, actor, reason);
    } else {
      Occupant& occupant = occupants_.at(nick);
      occupant.role = default_role(affiliation, state_.config.moderated);
      broadcast_presence(occupant, {});
    }
  }
}

void Room::owner_get(const xmpp::Stanza& iq, const xmpp::Jid& from) {
  if (affiliation_of(from.bare_view()) != Affiliation::Owner) {  // §10.2
    return send_error(iq, xmpp::StanzaError::forbidden("only owners configure the room"));
  }
  xmpp::Element* query = nullptr;
  xmpp::StanzaPtr reply = result_with(iq, "query", xmpp::ns::kMucOwner, &query);
  state_.config.write_form(*query, host_.limits());
  host_.send(std::move(reply));
}

void Room::owner_set(const xmpp::Stanza& iq, const xmpp::Jid& from, const xmpp::Element& query) {
  if (affiliation_of(from.bare_view()) != Affiliation::Owner) {  // §10.2, §10.9
    return send_error(iq, xmpp::StanzaError::forbidden("only owners configure or destroy"));
  }
  if (const xmpp::Element* doomed = query.child("destroy", xmpp::ns::kMucOwner)) {
    destroy(*doomed);
    return host_.send(xmpp::make_iq_result(iq.root()));
  }
  const xmpp::Element* x = query.child("x", xmpp::ns::kDataForms);
  auto form = x != nullptr ? xmpp::read_form(*x) : std::nullopt;
  if (!form) {
    return send_error(iq, xmpp::StanzaError::bad_request("a data form or <destroy/> expected"));
  }
  if (form->type == "cancel") {
    // §10.1.3: cancelling the configuration of a room being created destroys it.
    if (locked_) {
      destroy(*query.child("x", xmpp::ns::kDataForms));
    }
    return host_.send(xmpp::make_iq_result(iq.root()));
  }
  if (form->type != "submit") {
    return send_error(iq, xmpp::StanzaError::bad_request("the form must be submitted"));
  }
  if (!form->fields.empty() && form->form_type != kRoomConfigForm) {
    return send_error(iq, xmpp::StanzaError::bad_request("not a room configuration form"));
  }
  RoomConfig before = state_.config;
  if (auto refused = state_.config.apply(*form, host_.limits())) {
    return send_error(iq, xmpp::StanzaError::not_acceptable(*refused));
  }
  configuration_changed(before);
  host_.send(xmpp::make_iq_result(iq.root()));
}

void Room::configuration_changed(const RoomConfig& before) {
  const RoomConfig& now = state_.config;
  bool was_locked = locked_;
  locked_ = false;
  history_.set_capacity(static_cast<std::size_t>(now.history_length));
  if (now.persistent) {
    host_.save_state(*this);
    if (!before.persistent || was_locked) {
      for (const auto& [jid, entry] : affiliations_) {
        host_.save_affiliation(*this, jid, entry);
      }
    }
  } else if (before.persistent) {
    host_.forget(*this);
  }
  if (now.members_only && !before.members_only) {
    // §9.4: who is not a member leaves, with 322.
    std::vector<std::string> outsiders;
    for (const auto& [nick, occupant] : occupants_) {
      if (affiliation_of(occupant.bare) < Affiliation::Member) {
        outsiders.push_back(nick);
      }
    }
    for (const std::string& nick : outsiders) {
      remove_occupant(nick, Statuses{{322}, {}}, {}, {});
    }
  }
  if (was_locked) {
    return;  // the first configuration of a new room is no change for anyone
  }
  // §10.2.1: occupants learn of the change; 172/173 when the room's anonymity changed.
  std::vector<int> codes = {104};
  if (now.whois != before.whois) {
    codes.push_back(now.non_anonymous() ? 172 : 173);
  }
  send_status_message(codes);
}

void Room::destroy(const xmpp::Element& reason_source) {
  // §10.9: every occupant leaves with the <destroy/> (alternate venue and reason) the owner gave.
  xmpp::StanzaPtr holder = xmpp::Stanza::create("destroy", xmpp::ns::kMucUser);
  xmpp::Element& destroy = holder->root();
  if (reason_source.is("destroy", xmpp::ns::kMucOwner)) {
    if (reason_source.has_attr("jid")) {
      destroy.set_attr("jid", reason_source.attr("jid"));
    }
    if (const xmpp::Element* reason = reason_source.child("reason", xmpp::ns::kMucOwner)) {
      destroy.add_child("reason", xmpp::ns::kMucUser).set_text(reason->text());
    }
    if (const xmpp::Element* password = reason_source.child("password", xmpp::ns::kMucOwner)) {
      destroy.add_child("password", xmpp::ns::kMucUser).set_text(password->text());
    }
  }
  std::vector<std::string> nicks;
  for (const auto& [nick, occupant] : occupants_) {
    nicks.push_back(nick);
  }
  for (const std::string& nick : nicks) {
    remove_occupant(nick, {}, {}, {}, &destroy);
  }
  destroyed_ = true;
  host_.forget(*this);
}

}  // namespace tern::modules::muc
