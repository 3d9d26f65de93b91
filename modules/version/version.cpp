// SPDX-License-Identifier: MIT
// XEP-0092: the server's software name and version. The operating system is not disclosed.
#include "tern/module_api.h"

namespace tern::modules {
namespace {

class Version final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx.add_disco_feature(xmpp::ns::kVersion);
    ctx.on_iq(IqType::Get, {xmpp::ns::kVersion, "query"}, Addressed::ToServer, [](IqRequest& req) {
      xmpp::Element& query = req.reply_result({xmpp::ns::kVersion, "query"});
      query.add_child("name").set_text("Tern");
      query.add_child("version").set_text("0.1.0");
    });
  }
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Version, version, "XEP-0092 software version of the server")
