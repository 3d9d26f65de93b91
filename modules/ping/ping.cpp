// SPDX-License-Identifier: MIT
// XEP-0199: the server answers <ping/> addressed to it, or to the account itself (no 'to').
#include "tern/module_api.h"

namespace tern::modules {
namespace {

class Ping final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx.add_disco_feature(xmpp::ns::kPing);
    for (Addressed to : {Addressed::ToServer, Addressed::ToAccount}) {
      ctx.on_iq(IqType::Get, {xmpp::ns::kPing, "ping"}, to,
                [](IqRequest& req) { req.reply_result(); });
    }
  }
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Ping, ping, "XEP-0199 ping of the server")
