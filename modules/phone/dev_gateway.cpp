// SPDX-License-Identifier: MIT
// The development gateway: nothing leaves the machine. A developer (or a test) reads the PIN
// from the file or the log.
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "modules/phone/sms_gateway.h"

namespace tern::modules::phone {
namespace {

class DevGateway final : public SmsGateway {
 public:
  DevGateway(ModuleContext& ctx, std::string file)
      : ctx_(ctx), file_(std::move(file)), log_(ctx.log()) {}

  void send(SmsMessage message, SmsDone done) override {
    if (file_.empty()) {
      log_.info("sms.dev", "development gateway: SMS written here, not sent",
                {{"to", message.to}, {"text", message.text}});
      return done(true, {});
    }
    auto line = std::make_shared<std::string>(message.to + "\t" + message.text + "\n");
    auto ok = std::make_shared<bool>(false);
    ctx_.offload(
        [file = file_, line, ok] {
          const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
          if (fd >= 0) {
            *ok = ::write(fd, line->data(), line->size()) == static_cast<ssize_t>(line->size());
            ::close(fd);
          }
        },
        [ok, done = std::move(done), file = file_, log = log_] {
          if (!*ok) {
            log.warn("sms.failed", "development gateway: cannot append to its file",
                     {{"file", file}});
            return done(false, "cannot write " + file);
          }
          done(true, {});
        });
  }

 private:
  ModuleContext& ctx_;
  std::string file_;
  log::Logger log_;
};

}  // namespace

std::unique_ptr<SmsGateway> make_dev_gateway(ModuleContext& ctx, std::string file) {
  return std::make_unique<DevGateway>(ctx, std::move(file));
}

}  // namespace tern::modules::phone
