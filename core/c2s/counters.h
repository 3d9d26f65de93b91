// SPDX-License-Identifier: MIT
// c2s::Counters: what one worker's client connections and sessions count for /metrics
// (docs/operations.md): logins, stanzas and bytes, TLS handshakes. Each worker owns one and
// updates it on its own thread only (metrics/counter.h: no lock, no atomic read-modify-write on
// the hot path); a scrape reads every worker's and sums them.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "metrics/counter.h"
#include "xmpp/stanza.h"

namespace tern::core::c2s {

struct Counters {
  // Stanzas by kind: message, presence, iq.
  static constexpr std::array<std::string_view, 3> kKinds = {"message", "presence", "iq"};
  // SASL mechanisms by name; anything else counts as "other" (the label set stays bounded).
  static constexpr std::array<std::string_view, 9> kMechanisms = {"PLAIN",
                                                                  "SCRAM-SHA-1",
                                                                  "SCRAM-SHA-1-PLUS",
                                                                  "SCRAM-SHA-256",
                                                                  "SCRAM-SHA-256-PLUS",
                                                                  "SCRAM-SHA-512",
                                                                  "SCRAM-SHA-512-PLUS",
                                                                  "EXTERNAL",
                                                                  "other"};

  static std::size_t kind_index(xmpp::StanzaKind kind) {
    switch (kind) {
      case xmpp::StanzaKind::Message:
        return 0;
      case xmpp::StanzaKind::Presence:
        return 1;
      default:
        return 2;
    }
  }
  static std::size_t mechanism_index(std::string_view name) {
    for (std::size_t i = 0; i + 1 < kMechanisms.size(); ++i) {
      if (kMechanisms[i] == name) {
        return i;
      }
    }
    return kMechanisms.size() - 1;
  }

  std::array<metrics::Counter, kKinds.size()> stanzas_in;   // routed from clients
  std::array<metrics::Counter, kKinds.size()> stanzas_out;  // written to clients
  metrics::Counter bytes_in;   // read from client connections (TLS records included)
  metrics::Counter bytes_out;  // handed to the kernel for client connections
  metrics::Counter tls_handshakes;
  metrics::Counter tls_failures;  // handshakes that failed
  std::array<metrics::Counter, kMechanisms.size()> logins;
  // Failed logins: wrong credentials (not-authorized) and every other SASL failure.
  std::array<metrics::Counter, kMechanisms.size()> logins_refused;
  std::array<metrics::Counter, kMechanisms.size()> logins_failed_other;
  metrics::Counter sessions_opened;  // connections accepted (TCP, WebSocket, BOSH)
  metrics::Gauge connections;        // client connections open now
};

}  // namespace tern::core::c2s
