// SPDX-License-Identifier: MIT
#include "conformance/runner/inband_registration.h"

#include "client/blocking_client.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace tern::conformance {
namespace {

class InbandRegistrar final : public AccountSource {
 public:
  explicit InbandRegistrar(const Target& target) : target_(target) {}

  Result<std::vector<Account>, std::string> acquire(const std::vector<std::string>& localparts,
                                                    std::string_view tag) override {
    std::vector<Account> accounts;
    for (const std::string& localpart : localparts) {
      Account account{unique_localpart(localpart, tag), target_.domain, random_password()};
      if (auto failed = register_account(account)) {
        return Err("registering " + account.bare() + " in-band failed: " + *failed);
      }
      accounts.push_back(std::move(account));
    }
    return accounts;
  }
  void release(const std::vector<Account>& /*accounts*/) override {}

 private:
  // Nothing on success, else why.
  std::optional<std::string> register_account(const Account& account) const {
    client::ClientOptions options;
    options.domain = target_.domain;
    options.username = account.localpart;
    options.tls = target_.tls;
    options.stop_after = client::StopAfter::Features;
    client::BlockingClient c(options, target_.tls_context);
    if (!c.connect(target_.endpoint, target_.timeout)) {
      return c.failure();
    }
    xmpp::StanzaPtr iq = xmpp::Stanza::create("iq", xmpp::ns::kClient);
    iq->root().set_attr("type", "set").set_attr("id", "register");
    xmpp::Element& query = iq->root().add_child("query", xmpp::ns::kRegister);
    query.add_child("username", xmpp::ns::kRegister).add_text(account.localpart);
    query.add_child("password", xmpp::ns::kRegister).add_text(account.password);
    if (!c.send(iq->root())) {
      return c.failure();
    }
    while (xmpp::StanzaPtr reply = c.next(target_.timeout)) {
      if (reply->root().attr("id") != "register") {
        continue;
      }
      c.close();
      if (reply->root().attr("type") == "result") {
        return std::nullopt;
      }
      return xmpp::to_xml(reply->root());
    }
    return c.failure().empty() ? "no answer" : c.failure();
  }

  const Target& target_;
};

}  // namespace

std::unique_ptr<AccountSource> make_inband_registrar(const Target& target) {
  return std::make_unique<InbandRegistrar>(target);
}

}  // namespace tern::conformance
