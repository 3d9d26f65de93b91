// SPDX-License-Identifier: MIT
// PushService: what the push module (XEP-0357) offers the modules that name it in their
// TERN_MODULE ("push?": null without it). The MUC service hands it a room message together with
// the room's members who are not in the room and reserved a nickname there (XEP-0045 §7.10):
// those whose nickname the message mentions get a push on every device they registered, as
// [modules.push] groupchat_mentions allows (docs/muc.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tern/module_api.h"

namespace tern::modules::push {

// A member a room message might be for: its bare JID and its reserved nickname in the room.
using AbsentMember = std::pair<std::string, std::string>;

class PushService {
 public:
  virtual ~PushService() = default;

  // Whether room mentions wake anyone ([modules.push] groupchat_mentions): when not, a room
  // need not look for absent members at all.
  virtual bool wakes_for_mentions() const = 0;
  // A groupchat message a room broadcast (from the sender's occupant JID, no 'to'): each of
  // `absent` whose nickname its body mentions is notified (not the sender's own nickname).
  virtual void room_message_for_absent(const xmpp::Stanza& message,
                                       const std::vector<AbsentMember>& absent) = 0;
};

}  // namespace tern::modules::push
