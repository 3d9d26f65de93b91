// SPDX-License-Identifier: MIT
// ModuleHost: the modules of one virtual host on one worker, and what they registered: disco
// features and identities, and the IQ handler table ((type, addressed, namespace, name) → handler,
// one hash probe per IQ). It is each module's ModuleContext, and the router's way to them.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tern/module_api.h"
#include "xmpp/result.h"

namespace tern::core {

class ModuleHost final : public ModuleContext {
 public:
  // Starts the `enabled` modules (names from `available`), in order. Fails on an unknown name.
  static Result<std::unique_ptr<ModuleHost>, std::string> start(
      std::string host, const std::vector<std::string>& enabled,
      const std::vector<const ModuleInfo*>& available);
  ~ModuleHost() override;
  ModuleHost(const ModuleHost&) = delete;
  ModuleHost& operator=(const ModuleHost&) = delete;

  // The reply to an IQ get or set (a result or an error), or nullptr when no module handles its
  // payload; the caller then answers service-unavailable.
  xmpp::StanzaPtr dispatch_iq(const xmpp::Element& iq, Addressed addressed, const xmpp::Jid& from);

  // XEP-0115 §5.1: the verification string of this host's identities and features (SHA-1,
  // base64), for the <c/> stream feature.
  std::string caps_ver() const;

  // ModuleContext
  std::string_view host() const override { return host_; }
  void add_disco_feature(std::string_view var) override;
  void add_disco_identity(DiscoIdentity identity) override;
  const std::vector<std::string>& disco_features() const override { return features_; }
  const std::vector<DiscoIdentity>& disco_identities() const override { return identities_; }
  void on_iq(IqType type, QName payload, Addressed addressed, IqHandler handler) override;

 private:
  explicit ModuleHost(std::string host) : host_(std::move(host)) {}
  static std::string key(IqType type, Addressed addressed, std::string_view ns,
                         std::string_view name);

  struct Registration {
    IqHandler handler;
    std::string_view module;  // for the log and the unanswered-IQ error
  };

  std::string host_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::string_view starting_;  // the module whose start() is running
  std::unordered_map<std::string, Registration> iq_handlers_;
  std::vector<std::string> features_;
  std::vector<DiscoIdentity> identities_;
};

}  // namespace tern::core
