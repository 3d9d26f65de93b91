// SPDX-License-Identifier: MIT
// XEP-0280 Message Carbons (version 1.0.1). A resource that enabled carbons (§4, §5) gets a copy
// of every eligible message (§6, modules/carbons/eligibility.cpp) that the user's other resources
// send (§8) or receive (§7), as <sent/> or <received/> around a XEP-0297 <forwarded/>. The switch
// is a flag of the session in the registry: every worker sees it and it ends with the session.
// A <received/> copy a device acknowledges counts, for the account's sync archive (mam), as that
// device having the message: the archive then neither keeps it for that device nor shows it again.
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modules/carbons/eligibility.h"
#include "modules/services/mam_service.h"
#include "tern/module_api.h"
#include "xmpp/stanza_id.h"

namespace tern::modules {
namespace {

using carbons::Direction;

constexpr std::string_view kCarbonsFlag = "carbons";

// §7, §8: from the user's bare JID, to the resource getting the copy, with the original's type.
xmpp::StanzaPtr make_carbon(const xmpp::Stanza& original, Direction direction,
                            std::string_view user, const xmpp::Jid& to) {
  xmpp::StanzaPtr carbon = xmpp::Stanza::create("message", xmpp::ns::kClient);
  xmpp::Element& root = carbon->root();
  root.set_attr("from", user).set_attr("to", to.full());
  if (const xmpp::Attribute* type = original.root().find_attr("type")) {
    root.set_attr("type", type->value);
  }
  std::string_view wrapper = direction == Direction::Sent ? "sent" : "received";
  root.add_child(wrapper, xmpp::ns::kCarbons)
      .add_child("forwarded", xmpp::ns::kForward)
      .append(original.root().clone_into(carbon->arena()));
  return carbon;
}

class Carbons final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    archive_ = ctx.service<mam::ArchiveService>("mam");  // null without archives
    ctx.add_disco_feature(xmpp::ns::kCarbons);
    ctx.on_iq(IqType::Set, {xmpp::ns::kCarbons, "enable"}, Addressed::ToAccount,
              [this](IqRequest& req) { switch_carbons(req, true); });
    ctx.on_iq(IqType::Set, {xmpp::ns::kCarbons, "disable"}, Addressed::ToAccount,
              [this](IqRequest& req) { switch_carbons(req, false); });
    // Observe: the copies are of the message as rewritten (forged stanza-ids stripped).
    ctx.on_outbound(xmpp::StanzaKind::Message, HookStage::Observe,
                    [this](xmpp::StanzaPtr& message) {
                      copy_sent(*message);
                      return Verdict::Continue;
                    });
    ctx.on_message_delivered(HookStage::Observe,
                             [this](const MessageDelivered& d) { copy_received(d); });
  }

 private:
  // §4, §5: for the requesting session only. Enabling or disabling twice is no error (§10.1).
  void switch_carbons(IqRequest& req, bool on) {
    std::string_view to = req.iq().attr("to");
    if (!to.empty() && to != req.from().bare_view()) {
      // §5: not-allowed for switching another user's carbons.
      return req.reply_error(xmpp::StanzaError::not_allowed());
    }
    ctx_->set_flag(req.from(), kCarbonsFlag, on);
    req.reply_result();
  }

  // §8: the sender's other resources get a copy, whether or not the sender enabled carbons.
  void copy_sent(const xmpp::Stanza& message) {
    if (!carbons::eligible(message.root(), Direction::Sent)) {
      return;
    }
    const xmpp::Jid* from = message.from_jid();
    const xmpp::Jid* to = message.to_jid();
    if (!from || !to) {
      return;
    }
    if (to->bare_view() == from->bare_view()) {
      return;  // to the user's own account: copy_received copies it, once
    }
    send_copies(message, Direction::Sent, from->bare_view(), {from->full()});
  }

  // §7: the resources that did not get the message under RFC 6121 get a copy, except its sender
  // when one resource of the user wrote to the user's own account.
  void copy_received(const MessageDelivered& delivered) {
    xmpp::Stanza& message = delivered.message;
    if (xmpp::Element* marker = message.root().child("private", xmpp::ns::kCarbons)) {
      // §9: not copied, and the receiving server SHOULD remove the marker before delivery.
      message.root().remove_child(marker);
      return;
    }
    if (delivered.resources.empty() || !carbons::eligible(message.root(), Direction::Received)) {
      return;
    }
    std::vector<std::string_view> already_have{message.from()};
    for (const xmpp::Jid& resource : delivered.resources) {
      already_have.push_back(resource.full());
    }
    send_copies(message, Direction::Received, delivered.resources.front().bare_view(),
                already_have);
  }

  // To every available, carbons-enabled resource of `user` not listed in `except`.
  void send_copies(const xmpp::Stanza& message, Direction direction, std::string_view user,
                   const std::vector<std::string_view>& except) {
    for (const ResourceInfo& r : ctx_->resources(user)) {
      if (!r.available || !r.has_flag(kCarbonsFlag) ||
          std::find(except.begin(), except.end(), r.jid.full()) != except.end()) {
        continue;
      }
      xmpp::StanzaPtr carbon = make_carbon(message, direction, user, r.jid);
      if (direction == Direction::Received) {
        tell_archive_when_acknowledged(*carbon, message, user, r.jid);
      }
      ctx_->send_to_session(r.jid, std::move(carbon));
    }
  }

  // The receipt fires on the device's worker once its client acknowledged the copy; the archive
  // is this worker's, so the news is posted here. A copy receipt: if the device's session ends
  // first and the carbon is routed again (to another resource), it is dropped, so no other
  // client's acknowledgement is taken for this device's.
  void tell_archive_when_acknowledged(xmpp::Stanza& carbon, const xmpp::Stanza& original,
                                      std::string_view user, const xmpp::Jid& device) {
    const xmpp::Element* id =
        archive_ != nullptr ? xmpp::stanza_id_by(original.root(), user) : nullptr;
    if (id == nullptr) {
      return;  // no archive, or a message it does not keep (it stamps every one it may)
    }
    carbon.set_receipt(std::make_shared<xmpp::DeliveryReceipt>(
        [ctx = ctx_, archive = archive_, owner = std::string(user),
         resource = std::string(device.resource()),
         stanza_id = std::string(id->attr("id"))](bool delivered) {
          if (delivered) {
            ctx->post([archive, owner, resource, stanza_id] {
              archive->delivered_as_copy(owner, resource, stanza_id);
            });
          }
        },
        nullptr));
  }

  ModuleContext* ctx_ = nullptr;
  mam::ArchiveService* archive_ = nullptr;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Carbons, carbons, "XEP-0280 message carbons: every client of a user sees both sides",
            "mam?")
