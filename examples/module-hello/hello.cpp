// SPDX-License-Identifier: MIT
// module-hello: the smallest module built outside the tree. It answers an IQ get of
// <hello xmlns='urn:tern:example:hello'/> addressed to the server with its greeting and how many
// it answered since this worker's instance started, and it counts them for everyone in a figure
// that survives `ternctl module reload hello` (ModuleContext::shared: handed to the new code).
#include <atomic>
#include <string>

#include "tern/module_api.h"

namespace {

constexpr std::string_view kNs = "urn:tern:example:hello";

// Kept across reloads: ctx.shared() hands the same object to the new instance.
struct Answered {
  std::atomic<std::uint64_t> count{0};
};

class Hello final : public tern::Module {
 public:
  void start(tern::ModuleContext& ctx) override {
    answered_ = ctx.shared<Answered>("answered");
    // [modules.hello] greeting overrides the one built in.
    greeting_ = ctx.options().string("greeting", HELLO_GREETING);
    ctx.add_disco_feature(kNs);
    ctx.on_iq(tern::IqType::Get, {kNs, "hello"}, tern::Addressed::ToServer,
              [this](tern::IqRequest& request) {
                const std::uint64_t n = answered_->count.fetch_add(1) + 1;
                request.reply_result({kNs, "hello"})
                    .set_attr("answered", std::to_string(n))
                    .set_text(greeting_);
              });
  }

 private:
  std::shared_ptr<Answered> answered_;
  std::string greeting_;
};

}  // namespace

TERN_SHARED_MODULE(Hello, hello, "an example module built outside the tree")
