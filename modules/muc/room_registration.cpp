// SPDX-License-Identifier: MIT
// Registering with a room (XEP-0045 §7.10): a member reserves a nickname with a muc#register
// form (an account without an affiliation becomes a member by it only where the service allows);
// nobody else may enter or change to that nickname (§7.2.9), and the account can ask which one it
// reserved (§7.12, disco node x-roomuser-item).
// The nickname is kept with the affiliation (AffiliationEntry::nick), so it is stored with it,
// survives a restart in a persistent room, and goes with the membership.
#include "modules/muc/room.h"
#include "modules/muc/room_internal.h"
#include "xmpp/data_form.h"
#include "xmpp/jid.h"
#include "xmpp/namespaces.h"

namespace tern::modules::muc {
namespace {

constexpr std::string_view kRegisterFormType = "http://jabber.org/protocol/muc#register";
constexpr std::string_view kRoomNickField = "muc#register_roomnick";

}  // namespace

const std::string* Room::reserved_nick(std::string_view bare) const {
  auto it = affiliations_.find(bare);
  return it != affiliations_.end() && !it->second.nick.empty() ? &it->second.nick : nullptr;
}

bool Room::reserved_for_another(std::string_view nick, std::string_view bare) const {
  for (const auto& [jid, entry] : affiliations_) {
    if (entry.nick == nick && jid != bare) {
      return true;
    }
  }
  return false;
}

void Room::registration(const xmpp::Stanza& iq, const xmpp::Jid& from, const xmpp::Element& query) {
  std::string bare(from.bare_view());
  Affiliation affiliation = affiliation_of(bare);
  if (locked_ || affiliation == Affiliation::Outcast) {
    return send_error(iq, affiliation == Affiliation::Outcast
                              ? xmpp::StanzaError::forbidden("you are banned from this room")
                              : xmpp::StanzaError::item_not_found("no such room"));
  }
  // Members reserve their nicknames. Others become members by registering only where the
  // service allows it ([modules.muc] allow_unaffiliated_register), and never in a members-only
  // room, which takes its members from its admins (§9.5); otherwise anyone could squat names.
  if (affiliation < Affiliation::Member &&
      (state_.config.members_only || !host_.limits().allow_unaffiliated_register)) {
    return send_error(iq, xmpp::StanzaError::of(xmpp::StanzaCondition::RegistrationRequired,
                                                "only members may register with this room"));
  }
  if (iq.type() == "get") {
    xmpp::StanzaPtr reply = xmpp::make_iq_result(iq.root());
    xmpp::Element& answer = reply->root().add_child("query", xmpp::ns::kRegister);
    if (const std::string* nick = reserved_nick(bare)) {
      answer.add_child("registered", xmpp::ns::kRegister);
      answer.add_child("username", xmpp::ns::kRegister).set_text(*nick);
      return host_.send(std::move(reply));
    }
    answer.add_child("instructions", xmpp::ns::kRegister)
        .set_text("Reserve your nickname in this room.");
    xmpp::Element& form = xmpp::add_form(answer, "form", kRegisterFormType);
    xmpp::add_form_field(form, kRoomNickField, "text-single", {})
        .set_attr("label", "Nickname")
        .add_child("required", xmpp::ns::kDataForms);
    return host_.send(std::move(reply));
  }
  if (query.child("remove", xmpp::ns::kRegister) != nullptr) {
    return unregister(iq, bare);
  }
  const xmpp::Element* x = query.child("x", xmpp::ns::kDataForms);
  std::optional<xmpp::SubmittedForm> form = x != nullptr ? xmpp::read_form(*x) : std::nullopt;
  if (!form || form->type != "submit" || form->form_type != kRegisterFormType) {
    return send_error(iq, xmpp::StanzaError::bad_request("a submitted muc#register form expected"));
  }
  std::optional<std::string_view> wanted = form->value(kRoomNickField);
  if (!wanted) {
    return send_error(iq, xmpp::StanzaError::not_acceptable("a nickname is required"));
  }
  // The nickname as an occupant JID has it (resourceprep), which is what entering compares.
  auto as_jid = xmpp::Jid::parse(std::string(jid_.bare_view()) + "/" + std::string(*wanted));
  if (!as_jid || !as_jid->has_resource()) {
    return send_error(iq, xmpp::StanzaError::not_acceptable("that nickname is not allowed"));
  }
  std::string nick(as_jid->resource());
  auto in_use = occupants_.find(nick);
  if (reserved_for_another(nick, bare) ||
      (in_use != occupants_.end() && in_use->second.bare != bare)) {
    return send_error(iq, xmpp::StanzaError::conflict("that nickname is taken"));
  }
  if (affiliation < Affiliation::Member) {
    set_affiliation(bare, Affiliation::Member, {}, {}, nick);  // allow_unaffiliated_register
  } else {
    keep_nick(bare, std::move(nick));
  }
  host_.send(xmpp::make_iq_result(iq.root()));
}

// The affiliation is unchanged, so nobody is told (set_affiliation would broadcast presence).
void Room::keep_nick(const std::string& bare, std::string nick) {
  AffiliationEntry& entry = affiliations_.at(bare);
  entry.nick = std::move(nick);
  if (state_.config.persistent) {
    host_.save_affiliation(*this, bare, entry);
  }
}

// The nickname is given up; the affiliation stays (the admins gave it, or may take it).
void Room::unregister(const xmpp::Stanza& iq, const std::string& bare) {
  if (reserved_nick(bare) == nullptr) {
    return send_error(iq, xmpp::StanzaError::item_not_found("you are not registered here"));
  }
  keep_nick(bare, std::string());
  host_.send(xmpp::make_iq_result(iq.root()));
}

void Room::reserved_nick_info(const xmpp::Stanza& iq, const xmpp::Jid& from) {
  xmpp::StanzaPtr reply = xmpp::make_iq_result(iq.root());
  xmpp::Element& query = reply->root().add_child("query", xmpp::ns::kDiscoInfo);
  query.set_attr("node", "x-roomuser-item");
  if (const std::string* nick = reserved_nick(from.bare_view())) {
    query.add_child("identity", xmpp::ns::kDiscoInfo)
        .set_attr("category", "conference")
        .set_attr("type", "text")
        .set_attr("name", *nick);
  }
  host_.send(std::move(reply));
}

}  // namespace tern::modules::muc
