// SPDX-License-Identifier: MIT
// PepService: what the pep module offers the modules that name it in their TERN_MODULE (private
// storage keeps legacy bookmarks in the XEP-0402 node through it): an account's items of a
// node, and replacing them all at once, as the owner's own publishes and retractions would
// (stored in one write, then notified).
//
//   pep_ = ctx.service<pep::PepService>("pep");  // TERN_MODULE(…, "pep?"): null without pep
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tern/module_api.h"

namespace tern::modules::pep {

struct PepItem {
  std::string id;
  std::string payload;  // the item's payload as XML
  friend bool operator==(const PepItem&, const PepItem&) = default;
};

class PepService {
 public:
  virtual ~PepService() = default;

  // The items of `owner`'s `node`, oldest first; none when there is no such node.
  virtual std::vector<PepItem> items(const ReadTxn& txn, std::string_view owner,
                                     std::string_view node) const = 0;

  // The names of `owner`'s nodes `viewer` may read (for the account's disco#items, XEP-0060
  // §5.2): all of them for the owner.
  virtual std::vector<std::string> node_names(const ReadTxn& txn, std::string_view owner,
                                              const xmpp::Jid& viewer) const = 0;

  // Makes `node` hold exactly `items`: new and changed ones published, missing ones retracted,
  // the node created with `config` (pubsub#node_config fields, e.g. {"pubsub#access_model",
  // "whitelist"}) when it does not exist. `done(true)` once committed and notified; false when
  // the write failed or the node could not take them (nothing changed then).
  virtual void replace_items(const std::string& owner, const std::string& node,
                             const std::vector<std::pair<std::string, std::string>>& config,
                             std::vector<PepItem> items, std::function<void(bool ok)> done) = 0;
};

}  // namespace tern::modules::pep
