// SPDX-License-Identifier: MIT
#include "modules/mam/eligibility.h"

#include "xmpp/namespaces.h"

namespace tern::modules::mam {

bool archivable(const xmpp::Element& message) {
  std::string_view type = message.attr("type");
  if (!type.empty() && type != "chat" && type != "normal") {
    return false;
  }
  if (message.child("body", xmpp::ns::kClient) == nullptr) {
    return false;
  }
  return message.child("no-store", xmpp::ns::kHints) == nullptr &&
         message.child("no-permanent-store", xmpp::ns::kHints) == nullptr;
}

}  // namespace tern::modules::mam
