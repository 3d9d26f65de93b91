// SPDX-License-Identifier: MIT
// XEP-0045 §5's rules on who may change roles and affiliations, row by row: each row is an actor's
// standing, a target's and the change asked, with the answer the XEP gives (the section in the
// row's comment). Where the XEP contradicts itself, the row says which reading Tern takes.
#include <gtest/gtest.h>

#include "modules/muc/roles.h"

namespace tern::modules::muc {
namespace {

using A = Affiliation;
using R = Role;
using C = xmpp::StanzaCondition;

// The condition refused with, or nullopt when allowed.
std::optional<C> role(Standing actor, Standing target, Role to) {
  auto refused = check_role_change(actor, target, to);
  return refused ? std::optional(refused->condition) : std::nullopt;
}

std::optional<C> affiliation(A actor, A from, A to, bool self = false, bool last_owner = false) {
  auto refused = check_affiliation_change(actor, from, to, self, last_owner);
  return refused ? std::optional(refused->condition) : std::nullopt;
}

TEST(MucRoles, NamesRoundTrip) {
  for (A a : {A::Outcast, A::None, A::Member, A::Admin, A::Owner}) {
    EXPECT_EQ(parse_affiliation(affiliation_name(a)), a);
  }
  for (R r : {R::None, R::Visitor, R::Participant, R::Moderator}) {
    EXPECT_EQ(parse_role(role_name(r)), r);
  }
  EXPECT_EQ(parse_role("king"), std::nullopt);
  EXPECT_EQ(parse_affiliation(""), std::nullopt);
}

TEST(MucRoles, DefaultRoleByAffiliation) {  // §5.1.2, table "Initial Role Based on Affiliation"
  EXPECT_EQ(default_role(A::Owner, false), R::Moderator);
  EXPECT_EQ(default_role(A::Admin, true), R::Moderator);
  EXPECT_EQ(default_role(A::Member, true), R::Participant);
  EXPECT_EQ(default_role(A::None, false), R::Participant);
  EXPECT_EQ(default_role(A::None, true), R::Visitor);
  EXPECT_EQ(default_role(A::Outcast, false), R::None);
}

TEST(MucRoles, RoleChangesRowByRow) {
  const Standing none_mod{A::None, R::Moderator};
  const Standing member_mod{A::Member, R::Moderator};
  const Standing admin_mod{A::Admin, R::Moderator};
  const Standing owner_mod{A::Owner, R::Moderator};
  const Standing none_part{A::None, R::Participant};
  const Standing none_vis{A::None, R::Visitor};
  const Standing member_part{A::Member, R::Participant};
  // 1. §8.2: a moderator kicks a participant.
  EXPECT_EQ(role(none_mod, none_part, R::None), std::nullopt);
  // 2. §8.3: a moderator grants voice to a visitor.
  EXPECT_EQ(role(none_mod, none_vis, R::Participant), std::nullopt);
  // 3. §8.5 and §5.1.3 ("higher"), not §8.4's "at or above": equal affiliation may be silenced.
  EXPECT_EQ(role(none_mod, none_part, R::Visitor), std::nullopt);
  // 4. §8.2: nobody is kicked by a moderator of lower affiliation.
  EXPECT_EQ(role(none_mod, member_part, R::None), C::NotAllowed);
  // 5. §8.2: equal affiliation may be kicked.
  EXPECT_EQ(role(member_mod, member_part, R::None), std::nullopt);
  // 6, 7. §8.2: a member cannot kick an admin, an admin cannot kick an owner.
  EXPECT_EQ(role(member_mod, admin_mod, R::None), C::NotAllowed);
  EXPECT_EQ(role(admin_mod, owner_mod, R::None), C::NotAllowed);
  // 8, 9, 10. §8.2 forbids only lower: admin kicks admin, owner kicks admin or owner.
  EXPECT_EQ(role(admin_mod, admin_mod, R::None), std::nullopt);
  EXPECT_EQ(role(owner_mod, admin_mod, R::None), std::nullopt);
  EXPECT_EQ(role(owner_mod, owner_mod, R::None), std::nullopt);
  // 12. §8 introduction: only moderators change roles.
  EXPECT_EQ(role(Standing{A::Owner, R::Participant}, none_part, R::None), C::Forbidden);
  EXPECT_EQ(role(Standing{A::None, R::Visitor}, none_vis, R::Participant), C::Forbidden);
  // 13. §9 introduction: granting moderation is for admins and owners.
  EXPECT_EQ(role(none_mod, none_part, R::Moderator), C::Forbidden);
  EXPECT_EQ(role(member_mod, none_part, R::Moderator), C::Forbidden);
  // 14, 15. §9.6, §9.7: an admin grants and revokes moderation of members and others.
  EXPECT_EQ(role(admin_mod, none_part, R::Moderator), std::nullopt);
  EXPECT_EQ(role(admin_mod, Standing{A::Member, R::Moderator}, R::Participant), std::nullopt);
  // 16, 17, 18. §9.7, §9.8: never from an admin or owner.
  EXPECT_EQ(role(admin_mod, admin_mod, R::Participant), C::NotAllowed);
  EXPECT_EQ(role(admin_mod, owner_mod, R::Participant), C::NotAllowed);
  EXPECT_EQ(role(owner_mod, admin_mod, R::Participant), C::NotAllowed);
  // 19, 21. §8.4: "the voice privileges of an admin or owner [cannot] be removed by anyone".
  EXPECT_EQ(role(owner_mod, admin_mod, R::Visitor), C::NotAllowed);
  EXPECT_EQ(role(none_mod, admin_mod, R::Visitor), C::NotAllowed);
  // §8.5: nor the voice of someone above the moderator.
  EXPECT_EQ(role(none_mod, member_part, R::Visitor), C::NotAllowed);
  // 20. §9 introduction: revoking moderation needs an admin.
  EXPECT_EQ(role(member_mod, Standing{A::None, R::Moderator}, R::Participant), C::Forbidden);
  // §5.1.3: a moderator is kicked only by an admin or owner.
  EXPECT_EQ(role(member_mod, Standing{A::None, R::Moderator}, R::None), C::NotAllowed);
  EXPECT_EQ(role(admin_mod, Standing{A::Member, R::Moderator}, R::None), std::nullopt);
}

TEST(MucRoles, AffiliationChangesRowByRow) {
  // 1. §10: an owner makes anyone anything.
  for (A to : {A::Owner, A::Admin, A::Member, A::Outcast}) {
    EXPECT_EQ(affiliation(A::Owner, A::None, to), std::nullopt);
  }
  // 2. §10.4, §10.7: the last owner cannot step down.
  EXPECT_EQ(affiliation(A::Owner, A::Owner, A::Admin, true, true), C::Conflict);
  EXPECT_EQ(affiliation(A::Owner, A::Owner, A::None, true, true), C::Conflict);
  // 3. §10.4: with another owner, it may.
  EXPECT_EQ(affiliation(A::Owner, A::Owner, A::Member, true, false), std::nullopt);
  // 4. §9.1: nobody bans himself.
  EXPECT_EQ(affiliation(A::Owner, A::Owner, A::Outcast, true, false), C::Conflict);
  // 5. §10.4: an owner may take away another owner's status.
  EXPECT_EQ(affiliation(A::Owner, A::Owner, A::None, false, false), std::nullopt);
  // 6. §9.1–9.5: an admin manages members and outcasts.
  EXPECT_EQ(affiliation(A::Admin, A::None, A::Member), std::nullopt);
  EXPECT_EQ(affiliation(A::Admin, A::Member, A::Outcast), std::nullopt);
  EXPECT_EQ(affiliation(A::Admin, A::Outcast, A::None), std::nullopt);
  // 7. §9.1: an admin cannot ban an owner.
  EXPECT_EQ(affiliation(A::Admin, A::Owner, A::Outcast), C::NotAllowed);
  // 8. §5.2.2: nor change another admin.
  EXPECT_EQ(affiliation(A::Admin, A::Admin, A::Member), C::NotAllowed);
  // 9. §9.1: an admin banning himself.
  EXPECT_EQ(affiliation(A::Admin, A::Admin, A::Outcast, true), C::Conflict);
  // 10. §10.5, §10.8: the owner and admin lists are the owners'.
  EXPECT_EQ(affiliation(A::Admin, A::Member, A::Admin), C::Forbidden);
  EXPECT_EQ(affiliation(A::Admin, A::None, A::Owner), C::Forbidden);
  // 11. §9 introduction: members and others change nothing.
  EXPECT_EQ(affiliation(A::Member, A::None, A::Member), C::Forbidden);
  EXPECT_EQ(affiliation(A::None, A::None, A::Outcast), C::Forbidden);
  // The error types are the XEP's (RFC 6120's defaults for the conditions).
  EXPECT_EQ(check_affiliation_change(A::None, A::None, A::Member, false, false)->type,
            xmpp::ErrorType::Auth);
  EXPECT_EQ(check_role_change(Standing{A::None, R::Moderator}, Standing{A::Member, R::Participant},
                              R::None)
                ->type,
            xmpp::ErrorType::Cancel);
}

}  // namespace
}  // namespace tern::modules::muc
