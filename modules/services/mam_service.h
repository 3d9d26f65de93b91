// SPDX-License-Identifier: MIT
// ArchiveService: what the mam module (XEP-0313 message archives) offers the modules that name
// it in their TERN_MODULE ("mam?": null without it):
//   - the MUC service keeps each room's archive there and hands it the room's MAM queries once
//     it has decided the asker may read the room (the answer goes back through the router);
//   - the offline module tells it when a queued message reached a device, and the carbons
//     module when a carbon copy did, so that the account's sync archive neither shows it to
//     that device again nor keeps it longer than needed (docs/mam.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "tern/module_api.h"

namespace tern::modules::mam {

// A room message as the archive keeps it: the stanza the occupants got and when the room sent it.
struct ArchivedRoomMessage {
  std::shared_ptr<const xmpp::Stanza> message;
  std::chrono::system_clock::time_point when;
};

class ArchiveService {
 public:
  virtual ~ArchiveService() = default;

  // Whether rooms keep archives ([modules.mam] room_max_messages and room_max_age not 0).
  virtual bool archives_rooms() const = 0;
  // Keeps a groupchat message the room broadcast (its 'from' is the occupant's room JID, no
  // 'to'), under the XEP-0359 id the room gave it.
  virtual void archive_room_message(std::string_view room, std::string_view stanza_id,
                                    const xmpp::Stanza& message) = 0;
  // Answers a XEP-0313 query (the IQ as the asker sent it) from the room's archive.
  virtual void query_room(std::string_view room, const xmpp::Stanza& iq) = 0;
  // The room's last `max` archived messages, oldest first (a room loaded again refills the
  // history it shows newcomers from them). A read; fine on the event loop.
  virtual std::vector<ArchivedRoomMessage> recent_room_messages(std::string_view room,
                                                                std::size_t max) const = 0;
  // The room is gone: its archive too.
  virtual void forget_room(std::string_view room) = 0;

  // A copy of a message to `owner` (a XEP-0280 carbon) reached `resource`, and its client
  // acknowledged it: that device has the message, as if it had got the original live.
  virtual void delivered_as_copy(std::string_view owner, std::string_view resource,
                                 std::string_view stanza_id) = 0;
  // The offline queue refused a message to `owner` (its quota, or a full store) and its sender
  // was told so: it is no message of the account's, and the archive lets it go.
  virtual void not_queued(std::string_view owner, std::string_view stanza_id) = 0;
  // A message the offline queue held reached `resource` of `owner` (and was acknowledged).
  virtual void delivered_from_queue(std::string_view owner, std::string_view resource,
                                    std::string_view stanza_id) = 0;
};

}  // namespace tern::modules::mam
