// SPDX-License-Identifier: MIT
// XEP-0280 §6 (Messages Eligible for Carbons Delivery): which messages are copied to a user's
// other resources, as a pure function of the message, so that the rules are tested on their own.
#pragma once

#include <cstdint>

#include "xmpp/element.h"

namespace tern::modules::carbons {

enum class Direction : std::uint8_t {
  Sent,      // a client of the user sent it (the user's server copies it, §8)
  Received,  // it was delivered to the user (§7)
};

// Whether `message` is copied to the user's other resources in `direction`.
bool eligible(const xmpp::Element& message, Direction direction);

}  // namespace tern::modules::carbons
