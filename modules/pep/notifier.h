// SPDX-License-Identifier: MIT
// PEP notifications (XEP-0163 §4, XEP-0060 §7.1.2.1): an event message from the owner's bare JID
// to every available resource that may read the node and asked for it with NODE+notify — the
// owner's own resources and its contacts', and the resources of a bare JID subscribed explicitly
// — plus one to each full JID subscribed explicitly; and, on a resource's initial presence, the
// last item of each node it asked for, from its own account and every account whose presence it
// sees (§4.3.4). Nothing goes to a contact the owner blocked (§4.3.3); messages go through the
// router, so the recipient's own blocklist applies too.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "modules/pep/interests.h"
#include "modules/pep/node_store.h"
#include "modules/services/blocking_service.h"
#include "modules/services/roster_service.h"
#include "tern/module_api.h"

namespace tern::modules::pep {

class Notifier {
 public:
  // `blocking` is null when the blocking module is not enabled.
  Notifier(ModuleContext& ctx, Interests& interests, roster::RosterService& roster,
           const blocking::BlockingService* blocking, NodeStore store)
      : ctx_(ctx), interests_(interests), roster_(roster), blocking_(blocking), store_(store) {}

  // Sends <event xmlns='…pubsub#event'/>, completed by `fill`, about `node` of `owner`.
  void broadcast(std::string_view owner, std::string_view node, const NodeConfig& config,
                 const std::function<void(xmpp::Element& event)>& fill);

  // One item to one JID (the last item for a new subscriber, XEP-0163 §4.3.4).
  void send_item(std::string_view owner, const xmpp::Jid& to, std::string_view node,
                 const Item& item, bool with_payload);

  // The last published items `resource` asked for (XEP-0163 §4.3.4).
  void send_last_items(const xmpp::Jid& resource, const NotifyNodes& nodes);

  // <items node=…><item id=…>PAYLOAD</item></items> under `event` (payload as stored XML;
  // omitted when empty).
  static void add_item(xmpp::Element& event, std::string_view node, std::string_view id,
                       std::string_view payload);

 private:
  void send(std::string_view owner, const xmpp::Jid& to,
            const std::function<void(xmpp::Element& event)>& fill);
  bool wants(const ResourceInfo& resource, std::string_view node);

  ModuleContext& ctx_;
  Interests& interests_;
  bool blocked(const ReadTxn& txn, std::string_view owner, std::string_view contact) const;

  roster::RosterService& roster_;
  const blocking::BlockingService* blocking_;
  NodeStore store_;
};

}  // namespace tern::modules::pep
