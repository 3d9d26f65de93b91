// SPDX-License-Identifier: MIT
// XEP-0202: the server's time, as UTC (XEP-0082 format with milliseconds) and offset +00:00.
#include <chrono>

#include "tern/module_api.h"
#include "xmpp/datetime.h"

namespace tern::modules {
namespace {

class Time final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx.add_disco_feature(xmpp::ns::kTime);
    ctx.on_iq(IqType::Get, {xmpp::ns::kTime, "time"}, Addressed::ToServer, [](IqRequest& req) {
      xmpp::Element& time = req.reply_result({xmpp::ns::kTime, "time"});
      time.add_child("tzo").set_text("+00:00");
      time.add_child("utc").set_text(xmpp::xep82_datetime(std::chrono::system_clock::now()));
    });
  }
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Time, time, "XEP-0202 entity time of the server")
