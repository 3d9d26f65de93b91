// SPDX-License-Identifier: MIT
#include "modules/muc/roles.h"

#include <array>

namespace tern::modules::muc {
namespace {

constexpr std::array<std::string_view, 5> kAffiliations = {"outcast", "none", "member", "admin",
                                                           "owner"};
constexpr std::array<std::string_view, 4> kRoles = {"none", "visitor", "participant", "moderator"};

bool admin_or_owner(Affiliation a) {
  return a == Affiliation::Admin || a == Affiliation::Owner;
}

}  // namespace

std::string_view affiliation_name(Affiliation affiliation) {
  return kAffiliations.at(static_cast<std::size_t>(affiliation));
}

std::string_view role_name(Role role) {
  return kRoles.at(static_cast<std::size_t>(role));
}

std::optional<Affiliation> parse_affiliation(std::string_view name) {
  for (std::size_t i = 0; i < kAffiliations.size(); ++i) {
    if (kAffiliations[i] == name) {
      return static_cast<Affiliation>(i);
    }
  }
  return std::nullopt;
}

std::optional<Role> parse_role(std::string_view name) {
  for (std::size_t i = 0; i < kRoles.size(); ++i) {
    if (kRoles[i] == name) {
      return static_cast<Role>(i);
    }
  }
  return std::nullopt;
}

Role default_role(Affiliation affiliation, bool moderated) {
  switch (affiliation) {
    case Affiliation::Owner:
    case Affiliation::Admin:
      return Role::Moderator;
    case Affiliation::Member:
      return Role::Participant;
    case Affiliation::None:
      return moderated ? Role::Visitor : Role::Participant;
    case Affiliation::Outcast:
      return Role::None;
  }
  return Role::None;
}

std::optional<xmpp::StanzaError> check_role_change(Standing actor, Standing target, Role to) {
  // §8 (introduction): only moderators change roles.
  if (actor.role != Role::Moderator) {
    return xmpp::StanzaError::forbidden("only moderators may change roles");
  }
  bool moderation_changes =
      to != Role::None && (to == Role::Moderator) != (target.role == Role::Moderator);
  if (moderation_changes) {
    // §8.4, §9.8: never from an admin or owner, whose moderation and voice come with the
    // affiliation, whoever asks...
    if (admin_or_owner(target.affiliation)) {
      return xmpp::StanzaError::not_allowed("admins and owners stay moderators");
    }
    // ...and granting or revoking moderation is for admins and owners (§9 introduction).
    if (!admin_or_owner(actor.affiliation)) {
      return xmpp::StanzaError::forbidden("only admins and owners grant or revoke moderation");
    }
  }
  if (to == Role::None) {
    // §8.2: nobody is kicked by a moderator of lower affiliation; a moderator leaves only by an
    // admin's or owner's hand (§5.1.3).
    if (target.affiliation > actor.affiliation ||
        (target.role == Role::Moderator && !admin_or_owner(actor.affiliation))) {
      return xmpp::StanzaError::not_allowed("you may not kick this occupant");
    }
  }
  if (to == Role::Visitor) {
    // §8.4–8.5: admins and owners never lose their voice, nor anyone above the moderator. (§8.4
    // says "at or above", §8.5 and §5.1.3 "higher": Tern follows the latter, as servers do, so
    // that an unaffiliated moderator can silence an unaffiliated participant.)
    if (admin_or_owner(target.affiliation) || target.affiliation > actor.affiliation) {
      return xmpp::StanzaError::not_allowed("you may not revoke this occupant's voice");
    }
  }
  return std::nullopt;
}

std::optional<xmpp::StanzaError> check_affiliation_change(Affiliation actor, Affiliation from,
                                                          Affiliation to, bool self,
                                                          bool last_owner) {
  // §9 (introduction): affiliations are for admins and owners.
  if (!admin_or_owner(actor)) {
    return xmpp::StanzaError::forbidden("only admins and owners change affiliations");
  }
  // §9.1: nobody bans himself.
  if (self && to == Affiliation::Outcast) {
    return xmpp::StanzaError::conflict("you cannot ban yourself");
  }
  if (actor == Affiliation::Admin) {
    // §10.5, §10.8: the owner and admin lists are the owners'.
    if (admin_or_owner(to)) {
      return xmpp::StanzaError::forbidden("only owners grant admin or owner");
    }
    // §9.1, §5.2.2: an admin cannot touch an owner or another admin.
    if (admin_or_owner(from)) {
      return xmpp::StanzaError::not_allowed("only owners change owners and admins");
    }
  }
  // §10.2, §10.4: a room keeps at least one owner.
  if (from == Affiliation::Owner && to != Affiliation::Owner && last_owner) {
    return xmpp::StanzaError::conflict("a room needs an owner");
  }
  return std::nullopt;
}

}  // namespace tern::modules::muc
