// SPDX-License-Identifier: MIT
// Messages in a room (XEP-0045 §7.4 groupchat, §7.5 private messages, §7.8 mediated invitations,
// §7.13 voice requests, §8.1 subject) and IQs relayed between occupants.
#include <algorithm>
#include <set>

#include "modules/muc/room.h"
#include "modules/muc/room_internal.h"
#include "xmpp/data_form.h"
#include "xmpp/namespaces.h"

namespace tern::modules::muc {
namespace {

// Errors an occupant's client answers with when it is no longer there: the room lets the
// occupant go (as Prosody does) instead of sending to a ghost forever.
bool means_gone(const xmpp::Stanza& error) {
  auto parsed = xmpp::StanzaError::from_stanza(error.root());
  if (!parsed) {
    return true;
  }
  switch (parsed->condition) {
    case xmpp::StanzaCondition::Gone:
    case xmpp::StanzaCondition::ItemNotFound:
    case xmpp::StanzaCondition::RecipientUnavailable:
    case xmpp::StanzaCondition::RemoteServerNotFound:
    case xmpp::StanzaCondition::RemoteServerTimeout:
    case xmpp::StanzaCondition::ServiceUnavailable:
      return true;
    default:
      return false;
  }
}

const xmpp::Element* request_form(const xmpp::Stanza& message) {
  for (const xmpp::Element& x : message.root().children()) {
    if (x.is("x", xmpp::ns::kDataForms)) {
      auto form = xmpp::read_form(x);
      if (form && form->form_type == xmpp::ns::kMucRequest) {
        return &x;
      }
    }
  }
  return nullptr;
}

}  // namespace

void Room::on_message(const xmpp::Stanza& message, const xmpp::Jid& from, std::string_view nick) {
  std::string_view type = message.type();
  if (type == "error") {
    if (occupant_by_session(from) != nullptr && means_gone(message)) {
      leave(from, nullptr, Statuses{{333}, {}});
    }
    return;
  }
  if (!nick.empty()) {
    if (type == "groupchat") {  // §7.5: groupchat goes to the room, not to an occupant
      return send_error(
          message, xmpp::StanzaError::bad_request("groupchat messages go to the room's bare JID"));
    }
    return private_message(message, from, nick);
  }
  if (type == "groupchat") {
    return groupchat(message, from);
  }
  if (const xmpp::Element* x = message.root().child("x", xmpp::ns::kMucUser)) {
    if (const xmpp::Element* invitation = x->child("invite", xmpp::ns::kMucUser)) {
      return invite(*invitation, from);
    }
    if (const xmpp::Element* declined = x->child("decline", xmpp::ns::kMucUser)) {
      return decline(*declined, from);
    }
  }
  if (const xmpp::Element* form = request_form(message)) {
    return voice_request(message, *form, from);
  }
  send_error(message, xmpp::StanzaError::bad_request("nothing the room handles"));
}

void Room::groupchat(const xmpp::Stanza& message, const xmpp::Jid& from) {
  Occupant* sender = occupant_by_session(from);
  if (sender == nullptr) {  // §7.4
    return send_error(message, xmpp::StanzaError::not_acceptable("you are not in this room"));
  }
  if (sender->role < Role::Participant) {  // §7.4, §8.3: a visitor in a moderated room
    return send_error(message, xmpp::StanzaError::forbidden("you have no voice in this room"));
  }
  // §8.1: a subject without a body changes the subject; with a <thread/> it is a message of a
  // thread that has a subject (Prosody issue 667).
  const xmpp::Element* subject = message.root().child("subject", xmpp::ns::kClient);
  if (subject != nullptr && message.root().child("body", xmpp::ns::kClient) == nullptr &&
      message.root().child("thread", xmpp::ns::kClient) == nullptr) {
    return change_subject(message, *sender);
  }
  // One copy as occupants get it, without 'to': the history keeps it, each session gets a clone.
  xmpp::StanzaPtr out = message.clone();
  xmpp::Element& root = out->root();
  root.remove_attr("to");
  root.set_attr("from", occupant_jid(sender->nick).full());
  // Ids only the room may set (XEP-0359 §3.1, XEP-0421 §4): a client's own are dropped.
  std::vector<xmpp::Element*> forged;
  for (xmpp::Element& child : root.children()) {
    if ((child.is("stanza-id", xmpp::ns::kStanzaId) && child.attr("by") == jid_.full()) ||
        child.is("occupant-id", xmpp::ns::kOccupantId)) {
      forged.push_back(&child);
    }
  }
  for (xmpp::Element* child : forged) {
    root.remove_child(child);
  }
  std::string stanza_id = host_.new_stanza_id();
  root.add_child("stanza-id", xmpp::ns::kStanzaId)
      .set_attr("id", stanza_id)
      .set_attr("by", jid_.full());
  root.add_child("occupant-id", xmpp::ns::kOccupantId).set_attr("id", sender->occupant_id);
  std::shared_ptr<const xmpp::Stanza> shared(std::move(out));
  send_to_everyone(shared);
  // What newcomers are shown: what was said (chat states and other notices are not history).
  if (shared->root().child("body", xmpp::ns::kClient) != nullptr ||
      shared->root().child("subject", xmpp::ns::kClient) != nullptr) {
    history_.add(shared, host_.now());
    if (archived()) {
      host_.archive(*this, stanza_id, *shared);  // under the id the occupants got (XEP-0359)
    }
    if (host_.wakes_absent_members()) {
      tell_absent_members(*shared);
    }
  }
}

void Room::tell_absent_members(const xmpp::Stanza& message) {
  std::vector<std::pair<std::string, std::string>> absent;
  std::set<std::string_view> present;
  for (const auto& [jid, entry] : affiliations_) {
    if (entry.nick.empty()) {
      continue;
    }
    if (present.empty()) {  // only once there is a reserved nickname at all
      for (const auto& [nick, occupant] : occupants_) {
        present.insert(occupant.bare);
      }
    }
    if (present.count(jid) == 0) {
      absent.emplace_back(jid, entry.nick);
    }
  }
  if (!absent.empty()) {
    host_.message_for_absent(message, absent);
  }
}

void Room::change_subject(const xmpp::Stanza& message, Occupant& sender) {
  // §8.1: moderators, or participants where the configuration lets them.
  bool allowed = sender.role == Role::Moderator ||
                 (state_.config.participants_change_subject && sender.role >= Role::Participant);
  if (!allowed) {
    return send_error(message,
                      xmpp::StanzaError::forbidden("you may not change the subject of this room"));
  }
  state_.subject = std::string(message.root().child_text("subject", xmpp::ns::kClient));
  state_.subject_by = sender.nick;
  xmpp::StanzaPtr out = message.clone();
  out->root().remove_attr("to");
  out->root().set_attr("from", occupant_jid(sender.nick).full());
  send_to_everyone(std::move(out));
  if (state_.config.persistent) {
    host_.save_state(*this);
  }
}

void Room::private_message(const xmpp::Stanza& message, const xmpp::Jid& from,
                           std::string_view nick) {
  Occupant* sender = occupant_by_session(from);
  if (sender == nullptr) {
    return send_error(message, xmpp::StanzaError::not_acceptable("you are not in this room"));
  }
  bool allowed = false;
  switch (state_.config.allow_pm) {
    case AllowPm::Anyone:
      allowed = true;
      break;
    case AllowPm::Participants:
      allowed = sender->role >= Role::Participant;
      break;
    case AllowPm::Moderators:
      allowed = sender->role == Role::Moderator;
      break;
    case AllowPm::None:
      break;
  }
  if (!allowed) {
    return send_error(message,
                      xmpp::StanzaError::forbidden("private messages are not allowed here"));
  }
  Occupant* target = occupant_by_nick(nick);
  if (target == nullptr) {  // §7.5
    return send_error(message, xmpp::StanzaError::item_not_found("no occupant by that nickname"));
  }
  xmpp::StanzaPtr out = message.clone();
  xmpp::Element& root = out->root();
  root.set_attr("from", occupant_jid(sender->nick).full());
  internal::remove_children(root, "occupant-id", xmpp::ns::kOccupantId);
  // §7.5: marked as a private message from a room (carbons leave it alone, XEP-0280 §6).
  if (root.child("x", xmpp::ns::kMucUser) == nullptr) {
    root.add_child("x", xmpp::ns::kMucUser);
  }
  root.add_child("occupant-id", xmpp::ns::kOccupantId).set_attr("id", sender->occupant_id);
  send_to_occupant(*target, *out);
}

void Room::invite(const xmpp::Element& invitation, const xmpp::Jid& from) {
  auto invitee = xmpp::Jid::parse(invitation.attr("to"));
  const Occupant* inviter = occupant_by_session(from);
  auto refuse = [&](const xmpp::StanzaError& error) {
    xmpp::StanzaPtr m = xmpp::Stanza::create("message", xmpp::ns::kClient);
    m->root().set_attr("from", jid_.full()).set_attr("to", from.full());
    m->root().set_attr("type", "error");
    error.append_to(m->root());
    host_.send(std::move(m));
  };
  if (!invitee) {
    return refuse(xmpp::StanzaError::jid_malformed("the invitee's address is not a JID"));
  }
  if (inviter == nullptr) {
    return refuse(xmpp::StanzaError::not_acceptable("only occupants may invite"));
  }
  if (!invitation_allowed(from.bare_view())) {
    // A room must not become a way to message strangers in bulk.
    host_.log_refusal("invitations over invitations_per_minute", *this, from.bare_view());
    return refuse(xmpp::StanzaError::resource_constraint(
        "at most " + std::to_string(host_.limits().invitations_per_minute) +
        " invitations a minute"));
  }
  Affiliation affiliation = affiliation_of(from.bare_view());
  // §7.8.2: in a members-only room, admins and owners invite, members too where the
  // configuration allows it; the invitee becomes a member.
  if (state_.config.members_only) {
    bool may_invite = affiliation >= Affiliation::Admin ||
                      (state_.config.members_invite && affiliation >= Affiliation::Member);
    if (!may_invite) {
      return refuse(xmpp::StanzaError::forbidden("you may not invite to this room"));
    }
    std::string bare(invitee->bare_view());
    if (affiliation_of(bare) == Affiliation::None) {
      set_affiliation(bare, Affiliation::Member, {}, inviter->nick);
    }
  }
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", xmpp::ns::kClient);
  m->root().set_attr("from", jid_.full()).set_attr("to", invitee->full());
  m->root().set_attr("id", host_.new_stanza_id());
  xmpp::Element& out_x = m->root().add_child("x", xmpp::ns::kMucUser);
  xmpp::Element& out_invite = out_x.add_child("invite", xmpp::ns::kMucUser);
  out_invite.set_attr("from", from.full());
  if (const xmpp::Element* reason = invitation.child("reason", xmpp::ns::kMucUser)) {
    out_invite.add_child("reason", xmpp::ns::kMucUser).set_text(reason->text());
  }
  if (state_.config.password_protected) {
    out_x.add_child("password", xmpp::ns::kMucUser).set_text(state_.config.password);
  }
  m->root()
      .add_child("body", xmpp::ns::kClient)
      .set_text(std::string(from.bare_view()) + " invites you to the room " +
                std::string(jid_.full()));
  host_.send(std::move(m));
}

bool Room::invitation_allowed(std::string_view inviter) {
  Clock::time_point now = host_.now();
  InvitationWindow& window = invitations_[std::string(inviter)];
  if (now - window.start >= std::chrono::minutes(1)) {
    window = InvitationWindow{now, 0};
  }
  if (window.sent >= host_.limits().invitations_per_minute) {
    return false;
  }
  ++window.sent;
  std::erase_if(invitations_, [&](const auto& w) {  // windows long past go (bounded map)
    return now - w.second.start >= std::chrono::minutes(1);
  });
  return true;
}

void Room::decline(const xmpp::Element& declined, const xmpp::Jid& from) {
  // §7.8.2: the room passes a refusal on to the inviter.
  auto inviter = xmpp::Jid::parse(declined.attr("to"));
  if (!inviter) {
    return;
  }
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", xmpp::ns::kClient);
  m->root().set_attr("from", jid_.full()).set_attr("to", inviter->full());
  xmpp::Element& out = m->root()
                           .add_child("x", xmpp::ns::kMucUser)
                           .add_child("decline", xmpp::ns::kMucUser)
                           .set_attr("from", from.bare_view());
  if (const xmpp::Element* reason = declined.child("reason", xmpp::ns::kMucUser)) {
    out.add_child("reason", xmpp::ns::kMucUser).set_text(reason->text());
  }
  host_.send(std::move(m));
}

void Room::voice_request(const xmpp::Stanza& message, const xmpp::Element& form_element,
                         const xmpp::Jid& from) {
  Occupant* sender = occupant_by_session(from);
  if (sender == nullptr) {
    return send_error(message, xmpp::StanzaError::not_acceptable("you are not in this room"));
  }
  auto form = xmpp::read_form(form_element);
  if (form->type == "submit" && form->value("muc#request_allow")) {
    // §8.6: a moderator's answer to a request.
    auto allow = xmpp::form_boolean(*form->value("muc#request_allow"));
    Occupant* target = occupant_by_nick(form->value("muc#roomnick").value_or(""));
    if (!allow || !*allow || target == nullptr) {
      return;
    }
    if (auto refused = check_role_change(standing_of(from),
                                         Standing{affiliation_of(target->bare), target->role},
                                         Role::Participant)) {
      return send_error(message, *refused);
    }
    return set_role(*target, Role::Participant, sender->nick, {});
  }
  if (sender->role != Role::Visitor) {
    return;  // §7.13 is for visitors
  }
  // §7.13: every moderator gets the request as a form to approve.
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", xmpp::ns::kClient);
  m->root().set_attr("from", jid_.full());
  m->root().set_attr("id", host_.new_stanza_id());
  xmpp::Element& x = xmpp::add_form(m->root(), "form", xmpp::ns::kMucRequest);
  x.add_child("title", xmpp::ns::kDataForms).set_text("Voice request");
  xmpp::add_form_field(x, "muc#role", "list-single", {"participant"});
  xmpp::add_form_field(x, "muc#jid", "jid-single", {std::string(from.full())});
  xmpp::add_form_field(x, "muc#roomnick", "text-single", {sender->nick});
  xmpp::add_form_field(x, "muc#request_allow", "boolean", {"0"});
  for (const auto& [nick, occupant] : occupants_) {
    if (occupant.role == Role::Moderator) {
      send_to_occupant(occupant, *m);
    }
  }
}

void Room::relay_iq(const xmpp::Stanza& iq, const xmpp::Jid& from, std::string_view nick) {
  const Occupant* asker = occupant_by_session(from);
  const xmpp::Element* payload = iq.root().first_child();
  if (asker == nullptr) {
    // XEP-0410 §3: a self-ping from someone not (or no longer) in the room; any other IQ to an
    // occupant from outside is a bad request (XEP-0045 §6.6).
    if (payload != nullptr && payload->is("ping", xmpp::ns::kPing)) {
      return send_error(iq, xmpp::StanzaError::not_acceptable("you are not in this room"));
    }
    return send_error(iq, xmpp::StanzaError::bad_request("only occupants reach occupants"));
  }
  if (nick == asker->nick && payload != nullptr && payload->is("ping", xmpp::ns::kPing)) {
    // XEP-0410 §3.1: the room answers a self-ping for the client.
    return host_.send(xmpp::make_iq_result(iq.root()));
  }
  Occupant* target = occupant_by_nick(nick);
  if (target == nullptr) {
    return send_error(iq, xmpp::StanzaError::item_not_found("no occupant by that nickname"));
  }
  // The target answers the room, which passes the answer back under the original id.
  RelayedIq relayed{host_.new_stanza_id(), from, std::string(iq.id()), target->nick};
  xmpp::StanzaPtr out = iq.clone();
  out->root().set_attr("from", occupant_jid(asker->nick).full());
  out->root().set_attr("id", relayed.relay_id);
  // vCards are the account's: its server answers for the bare JID (XEP-0054 §3.3 in a room).
  bool vcard = payload != nullptr && payload->is("vCard", xmpp::ns::kVcardTemp);
  out->root().set_attr("to",
                       vcard ? std::string_view(target->bare) : target->sessions.back().jid.full());
  relayed_.push_back(std::move(relayed));
  if (relayed_.size() > internal::kMaxRelayedIqs) {
    relayed_.pop_front();
  }
  host_.send(std::move(out));
}

void Room::relay_iq_answer(const xmpp::Stanza& iq, const xmpp::Jid& from) {
  auto it = std::find_if(relayed_.begin(), relayed_.end(),
                         [&iq](const RelayedIq& r) { return r.relay_id == iq.id(); });
  if (it == relayed_.end()) {
    return;
  }
  RelayedIq relayed = std::move(*it);
  relayed_.erase(it);
  const Occupant* target = occupant_by_nick(relayed.target_nick);
  if (target == nullptr || (from.bare_view() != target->bare)) {
    return;  // only the occupant asked (or its account) may answer
  }
  xmpp::StanzaPtr out = iq.clone();
  out->root().set_attr("from", occupant_jid(relayed.target_nick).full());
  out->root().set_attr("to", relayed.asker.full());
  out->root().set_attr("id", relayed.original_id);
  host_.send(std::move(out));
}

}  // namespace tern::modules::muc
