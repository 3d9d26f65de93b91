// SPDX-License-Identifier: MIT
// BlockingService: what the blocking module offers the modules that name it in their
// TERN_MODULE: whether an account's blocklist blocks an address (XEP-0191 §6 matching), for what
// a module sends on the account's behalf without a stanza of the account's own to refuse (PEP
// notifications: XEP-0163 §4.3.3, nothing to a contact the owner blocked).
//
//   blocking_ = ctx.service<blocking::BlockingService>("blocking");  // "blocking?": null without
#pragma once

#include <string_view>

#include "tern/module_api.h"

namespace tern::modules::blocking {

class BlockingService {
 public:
  virtual ~BlockingService() = default;
  virtual bool blocks(const ReadTxn& txn, std::string_view owner,
                      const xmpp::Jid& address) const = 0;
};

}  // namespace tern::modules::blocking
