// SPDX-License-Identifier: MIT
// XEP-0202: the server's time, as UTC (XEP-0082 format with milliseconds) and offset +00:00.
#include <chrono>
#include <cstdio>
#include <ctime>

#include "tern/module_api.h"

namespace tern::modules {
namespace {

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];  // generous: the compiler cannot bound every int field
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis.count()));
  return text;
}

class Time final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx.add_disco_feature(xmpp::ns::kTime);
    ctx.on_iq(IqType::Get, {xmpp::ns::kTime, "time"}, Addressed::ToServer, [](IqRequest& req) {
      xmpp::Element& time = req.reply_result({xmpp::ns::kTime, "time"});
      time.add_child("tzo").set_text("+00:00");
      time.add_child("utc").set_text(utc_now());
    });
  }
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Time, time, "XEP-0202 entity time of the server")
