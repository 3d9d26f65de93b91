// SPDX-License-Identifier: MIT
// register: creates the accounts by in-band registration (XEP-0077 §3.1) for servers that have no
// fast provisioning command of their own (ejabberdctl starts an Erlang node per call). Each
// session stops after the stream features (TLS done, not authenticated), sends the registration
// and closes once answered; an account that already exists (<conflict/>) counts as done.
#include <string>

#include "tools/tern-bench/modes.h"
#include "xmpp/escape.h"

namespace tern::bench {

namespace {

class RegisterScenario final : public Scenario {
 public:
  using Scenario::Scenario;

 protected:
  client::ClientOptions client_options(std::uint64_t index) const override {
    client::ClientOptions client = Scenario::client_options(index);
    client.stop_after = client::StopAfter::Features;
    return client;
  }

  void on_negotiated(Session& session) override {
    std::string iq = "<iq type='set' id='";
    iq += kUpId;
    iq += "'><query xmlns='jabber:iq:register'><username>";
    xmpp::append_escaped_text(iq, username(session.index()));
    iq += "</username><password>";
    xmpp::append_escaped_text(iq, options_.password);
    iq += "</password></query></iq>";
    session.send_xml(iq);
  }

  bool login_reply_ok(const xmpp::Element& iq) override {
    if (iq.attr("type") == "result") {
      return true;
    }
    const xmpp::Element* error = iq.child("error");
    return error != nullptr &&
           error->child("conflict", "urn:ietf:params:xml:ns:xmpp-stanzas") != nullptr;
  }

  void on_up(Session& session) override {
    session.finished = true;
    session.close(true);
  }
};

}  // namespace

std::unique_ptr<Scenario> make_register_scenario(const Options& options, std::uint64_t first,
                                                 std::uint64_t count, const tls::TlsContext* tls) {
  return std::make_unique<RegisterScenario>(options, first, count, tls);
}

}  // namespace tern::bench
