// SPDX-License-Identifier: MIT
// THE header for module authors: everything a module may use, and nothing else (modules/ gets
// only this folder on its include path from core/; scripts/check_layering.sh enforces it).
//
// A module is a class with start(ModuleContext&) and an optional stop(). The server makes one
// instance per (virtual host × worker): instance state belongs to one thread and needs no locks.
// Everything a module registers through its context is removed by the server when the module
// stops; there is no remove_* call to keep in step.
//
//   class Ping final : public Module {
//    public:
//     void start(ModuleContext& ctx) override {
//       ctx.add_disco_feature(xmpp::ns::kPing);
//       ctx.on_iq(IqType::Get, {xmpp::ns::kPing, "ping"}, Addressed::ToServer,
//                 [](IqRequest& req) { req.reply_result(); });
//     }
//   };
//   TERN_MODULE(Ping, ping, "XEP-0199 ping of the server")
//
// Rules the server keeps for every module:
//   - Exactly one reply per IQ: reply_result() or reply_error(). A handler that returns without
//     answering gets internal-server-error sent for it, and the module is named in the log.
//   - An IQ whose payload no module registered gets service-unavailable (RFC 6120 §8.4).
//   - Handlers run on the worker's event loop: they must not block.
//   - An exception escaping a handler becomes internal-server-error; the worker carries on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/jid.h"
#include "xmpp/namespaces.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_error.h"

namespace tern {

enum class IqType : std::uint8_t { Get, Set };

// Whom the IQ was addressed to.
enum class Addressed : std::uint8_t {
  ToServer,   // the host itself (no 'to', or the domain)
  ToAccount,  // the bare JID of a local account (handled by the server on its behalf)
};

// A payload element's qualified name.
struct QName {
  std::string_view ns;
  std::string_view name;
};

// One IQ get or set, to be answered exactly once.
class IqRequest {
 public:
  IqRequest(const xmpp::Element& iq, const xmpp::Element& payload, xmpp::Jid from)
      : iq_(iq), payload_(payload), from_(std::move(from)) {}
  IqRequest(const IqRequest&) = delete;
  IqRequest& operator=(const IqRequest&) = delete;

  const xmpp::Element& iq() const { return iq_; }
  const xmpp::Element& payload() const { return payload_; }
  // The sender's full JID (stamped by the server: it is authentic).
  const xmpp::Jid& from() const { return from_; }

  // Answers with type='result'. With a name, the result carries that payload element, which is
  // returned for the handler to fill; without one, the result is empty and its root is returned.
  xmpp::Element& reply_result(QName payload = {});
  void reply_error(const xmpp::StanzaError& error);

  bool answered() const { return reply_ != nullptr; }
  // The server takes the reply after the handler returns.
  xmpp::StanzaPtr take_reply() { return std::move(reply_); }

 private:
  const xmpp::Element& iq_;
  const xmpp::Element& payload_;
  xmpp::Jid from_;
  xmpp::StanzaPtr reply_;
};

using IqHandler = std::function<void(IqRequest&)>;

struct DiscoIdentity {
  std::string category;
  std::string type;
  std::string name;
};

class ModuleContext {
 public:
  virtual ~ModuleContext() = default;
  // The virtual host this instance serves.
  virtual std::string_view host() const = 0;
  // XEP-0030 features and identities of the host.
  virtual void add_disco_feature(std::string_view var) = 0;
  virtual void add_disco_identity(DiscoIdentity identity) = 0;
  virtual const std::vector<std::string>& disco_features() const = 0;
  virtual const std::vector<DiscoIdentity>& disco_identities() const = 0;
  // Handles IQs of `type` whose single payload is `payload`, addressed as given.
  virtual void on_iq(IqType type, QName payload, Addressed addressed, IqHandler handler) = 0;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual void start(ModuleContext& ctx) = 0;
  virtual void stop() {}
};

// What the module list (modules/builtin_modules.cpp) holds for each module.
struct ModuleInfo {
  std::string_view name;
  std::string_view summary;
  std::unique_ptr<Module> (*create)();
};

}  // namespace tern

// Defines the module's ModuleInfo as tern::modules::module_info_<id>(), which
// modules/builtin_modules.cpp lists. `id` is the module's name as written in [modules] enabled.
#define TERN_MODULE(Class, id, Summary)                                                          \
  namespace tern::modules {                                                                      \
  const ::tern::ModuleInfo& module_info_##id() {                                                 \
    static const ::tern::ModuleInfo info{#id, Summary, []() -> std::unique_ptr<::tern::Module> { \
                                           return std::make_unique<Class>();                     \
                                         }};                                                     \
    return info;                                                                                 \
  }                                                                                              \
  }
