// SPDX-License-Identifier: MIT
// PLAIN (RFC 4616): the client sends [authzid] NUL authcid NUL passwd in one message. The server
// checks the password against the stored SCRAM credentials (PBKDF2 with the stored salt and
// iteration count, then StoredKey compared in constant time), so PLAIN needs no plaintext
// password storage. The factory offers PLAIN only on encrypted streams.
//
// Failures: no or more than two NULs, empty authcid or password, a field over
// kMaxPlainFieldBytes, bad UTF-8: malformed-request. Unknown user, wrong password, password
// refused by OpaqueString: not-authorized (an unknown user costs one PBKDF2 run too).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/sasl/mechanism.h"

namespace tern::xmpp::sasl {

// RFC 4616 §2 asks servers to accept at least 255 octets per field; we accept up to the PRECIS
// limit on a prepared string.
inline constexpr std::size_t kMaxPlainFieldBytes = 1023;

class PlainServer final : public ServerMechanism {
 public:
  explicit PlainServer(SaslServerOptions options);

  std::string_view name() const override { return "PLAIN"; }

 protected:
  Step first(std::string_view message) override;
  Step step(std::string_view message) override;

 private:
  SaslServerOptions options_;
};

// The PLAIN initial response (raw bytes, to be base64-encoded into <auth/>); nullopt when a field
// contains NUL, authcid or password is empty, or a field is over kMaxPlainFieldBytes.
std::optional<std::string> plain_initial_response(std::string_view authcid,
                                                  std::string_view password,
                                                  std::string_view authzid = {});

}  // namespace tern::xmpp::sasl
