// SPDX-License-Identifier: MIT
// Fresh accounts registered in-band (XEP-0077 §3.1) on the server under test, for servers that
// allow it: no command or file needed, only the address.
#pragma once

#include <memory>

#include "conformance/runner/accounts.h"
#include "conformance/runner/player.h"

namespace tern::conformance {

// Each account: a stream to the features after TLS, then <query xmlns='jabber:iq:register'> with
// the username and a random password; anything but a result fails the acquisition.
std::unique_ptr<AccountSource> make_inband_registrar(const Target& target);

}  // namespace tern::conformance
