// SPDX-License-Identifier: MIT
// libFuzzer target for the SASL mechanisms. Byte 0 chooses what runs; the rest is split at the
// first 0xFF byte (never valid in UTF-8, so nothing of interest is lost) into two messages.
//   bits 0-1  hash: 0 SHA-1, 1 SHA-256, 2 and 3 SHA-512
//   bit 2     the -PLUS variant
//   bit 3     the connection has channel binding data (tls-exporter, tls-server-end-point)
//   bit 4     <auth/> without an initial response (an empty challenge first)
//   bits 6-7  0 or 3: SCRAM server fed client-first and client-final
//             1: SCRAM client fed server-first and server-final
//             2: PLAIN server fed the first message
// The account "user" with password "pencil" exists for every hash, and the server nonce is
// fixed ("SRV"), so a seed can carry a complete, valid exchange. Oracle: no crash or sanitizer
// report, and the invariants of Step and ServerMechanism hold (a violation traps).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/sasl/mechanism.h"
#include "xmpp/sasl/plain.h"
#include "xmpp/sasl/scram.h"

namespace {

using tern::xmpp::sasl::ChannelBindingData;
using tern::xmpp::sasl::PlainServer;
using tern::xmpp::sasl::SaslChannel;
using tern::xmpp::sasl::SaslServerOptions;
using tern::xmpp::sasl::ScramClient;
using tern::xmpp::sasl::ScramClientOptions;
using tern::xmpp::sasl::ScramCredentials;
using tern::xmpp::sasl::ScramHash;
using tern::xmpp::sasl::ScramServer;
using tern::xmpp::sasl::ServerMechanism;
using tern::xmpp::sasl::Step;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

// Salt and iteration count shared with the seeds in fuzz/regressions/scram/. PLAIN runs PBKDF2
// on every input, so its credentials use a single iteration.
constexpr std::string_view kSalt = "fuzzsaltfuzzsalt";
constexpr std::uint32_t kIterations = 4096;

ScramCredentials credentials(ScramHash hash, std::uint32_t iterations) {
  return tern::xmpp::sasl::derive_scram_credentials(hash, "pencil", kSalt, iterations).value();
}

SaslServerOptions make_options(std::uint32_t iterations) {
  struct Store {
    ScramCredentials sha1, sha256, sha512;
  };
  const Store store{credentials(ScramHash::Sha1, iterations),
                    credentials(ScramHash::Sha256, iterations),
                    credentials(ScramHash::Sha512, iterations)};
  SaslServerOptions options;
  options.lookup = [store](std::string_view user,
                           ScramHash hash) -> std::optional<ScramCredentials> {
    if (user != "user") {
      return std::nullopt;
    }
    switch (hash) {
      case ScramHash::Sha1:
        return store.sha1;
      case ScramHash::Sha256:
        return store.sha256;
      case ScramHash::Sha512:
        return store.sha512;
    }
    return std::nullopt;
  };
  options.fake_salt_key = "fuzz";
  options.fake_iterations = iterations;
  options.fixed_nonce = "SRV";
  return options;
}

const SaslServerOptions& scram_options() {
  static const SaslServerOptions options = make_options(kIterations);
  return options;
}

const SaslServerOptions& plain_options() {
  static const SaslServerOptions options = make_options(1);
  return options;
}

// `was_succeeded`: whether the exchange had succeeded before this step.
void check_step(const ServerMechanism& server, const Step& step, bool was_succeeded) {
  check(step.data.empty() || !step.is_failure());
  check(!step.is_failure() || server.done());
  check(server.succeeded() == (was_succeeded || step.is_success()));
  check(!was_succeeded || !step.is_success());
  check(server.succeeded() || (server.authcid().empty() && server.authzid().empty()));
  if (server.succeeded()) {
    check(server.authcid() == "user");
  }
}

void run_server(ServerMechanism& server, bool without_response, std::string_view first,
                std::string_view second) {
  if (without_response) {
    const Step empty = server.start_without_response();
    check(empty.is_challenge() && empty.data.empty());
    check_step(server, empty, false);
  }
  const Step step1 = without_response ? server.next(first) : server.start(first);
  check_step(server, step1, false);
  const bool succeeded = server.succeeded();
  const Step step2 = server.next(second);
  check_step(server, step2, succeeded);
  if (step1.is_challenge()) {
    check(step2.is_failure() || step2.data.starts_with("v="));
  } else {
    check(step2.is_failure());  // out of order after the end
  }
  const Step aborted = server.abort();
  check(aborted.is_failure());
  check(server.done());
  check(server.succeeded() == (step1.is_success() || step2.is_success()));
}

void run_client(ScramHash hash, bool plus, std::string_view first, std::string_view second) {
  ScramClientOptions options;
  options.fixed_nonce = "CLI";
  options.min_iterations = 1;
  options.max_iterations = 16;  // keep PBKDF2 cheap
  if (plus) {
    options.channel_binding = ChannelBindingData{"tls-exporter", std::string(32, '\x5A')};
  }
  ScramClient client(hash, "user", "pencil", options);
  check(client.client_first().ok());
  const auto final_message = client.client_final(first);
  if (final_message.ok()) {
    check(final_message->starts_with("c="));
    (void)client.verify_server_final(second);
  }
  check(!client.verify_server_final(second).ok());  // out of order by now
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const uint8_t control = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t split = input.find('\xFF');
  const std::string_view first = input.substr(0, split);
  const std::string_view second =
      split == std::string_view::npos ? std::string_view() : input.substr(split + 1);

  static constexpr ScramHash kHashes[] = {ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512,
                                          ScramHash::Sha512};
  const ScramHash hash = kHashes[control & 3];
  const bool plus = (control & 4) != 0;
  SaslChannel channel{true, {}};
  if ((control & 8) != 0) {
    channel.channel_bindings = {{"tls-exporter", std::string(32, '\x5A')},
                                {"tls-server-end-point", std::string(32, '\xC3')}};
  }
  const bool without_response = (control & 16) != 0;

  switch (control >> 6) {
    case 1:
      run_client(hash, plus, first, second);
      break;
    case 2: {
      PlainServer server(plain_options());
      run_server(server, without_response, first, second);
      break;
    }
    default: {
      ScramServer server(hash, plus, scram_options(), channel);
      run_server(server, without_response, first, second);
      break;
    }
  }
  return 0;
}
