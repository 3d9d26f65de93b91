// SPDX-License-Identifier: MIT
// Which messages an account's sync archive keeps (XEP-0313 §7 leaves it to the server): chat and
// normal messages with a body, not errors, headlines or groupchat (rooms keep their own), and
// not those the sender marked <no-store/> or <no-permanent-store/> (XEP-0334).
#pragma once

#include <string_view>

#include "xmpp/element.h"

namespace tern::modules::mam {

bool archivable(const xmpp::Element& message);

}  // namespace tern::modules::mam
