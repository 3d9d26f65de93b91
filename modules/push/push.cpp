// SPDX-License-Identifier: MIT
// XEP-0357 push notifications. A client registers an app server (a JID and a node naming the
// device there, with optional publish options such as a secret) for its account; when a message
// the user should hear about cannot reach a live connection — it went to the offline queue, or
// to a session whose connection is gone while it waits to be resumed (XEP-0198) — the server
// publishes a notification to every registered app server, which wakes the device through the
// platform's push service.
//
// What a notification says (§7, urn:xmpp:push:summary): the message count, and the sender and
// body only when the operator allows it ([modules.push] include_sender, include_body; both off
// by default, as the app server and the platform's push service are third parties). Stored in
// the module's "push" store (push_store.h); deleted with the account.
//
// Group chat ([modules.push] groupchat_mentions, off by default): a room message that mentions
// the nickname a session has in that room (room_nicks.h) wakes the phone when it goes to that
// session while it waits to be resumed, and, for a member of the room who is not in it, when it
// mentions the nickname the member reserved there (XEP-0045 §7.10; the MUC service asks through
// PushService). Other room messages never do.

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modules/push/push_store.h"
#include "modules/push/room_nicks.h"
#include "modules/services/push_service.h"
#include "tern/module_api.h"
#include "xmpp/random_ids.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace tern::modules {
namespace {

namespace ns = xmpp::ns;
using push::PushRegistration;
using push::PushStore;

constexpr std::string_view kPush = "urn:xmpp:push:0";
constexpr std::string_view kSummary = "urn:xmpp:push:summary";
constexpr std::string_view kPubsub = "http://jabber.org/protocol/pubsub";
constexpr std::string_view kOmemo = "eu.siacs.conversations.axolotl";
constexpr std::string_view kOpenPgp = "urn:xmpp:openpgp:0";

// Messages a person reads: with a body, or end-to-end encrypted (the body is then a fallback, or
// absent). Chat states, receipts and markers wake nobody.
bool worth_a_push(const xmpp::Stanza& message) {
  const std::string_view type = message.type();
  if (type == "error" || type == "groupchat" || type == "headline") {
    return false;
  }
  const xmpp::Element& root = message.root();
  return root.child("body", ns::kClient) != nullptr || root.child("encrypted", kOmemo) != nullptr ||
         root.child("openpgp", kOpenPgp) != nullptr;
}

void add_field(xmpp::Element& form, std::string_view var, std::string_view value) {
  form.add_child("field", ns::kDataForms)
      .set_attr("var", var)
      .add_child("value", ns::kDataForms)
      .add_text(value);
}

class Push final : public Module, public push::PushService {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    ctx.provide<push::PushService>(*this);
    registrations_ = PushStore(ctx.open_store("push"));
    include_sender_ = ctx.options().boolean("include_sender", false);
    include_body_ = ctx.options().boolean("include_body", false);
    max_registrations_ =
        static_cast<std::size_t>(ctx.options().integer("max_registrations", 20, 1, 1000));
    ctx.add_account_disco_feature(kPush);  // §5: on the account's bare JID
    ctx.on_iq(IqType::Set, {kPush, "enable"}, Addressed::ToAccount,
              [this](IqRequest& req) { enable(req); });
    ctx.on_iq(IqType::Set, {kPush, "disable"}, Addressed::ToAccount,
              [this](IqRequest& req) { disable(req); });
    // Observe: before offline storage (Handle) takes the message.
    ctx.on_undeliverable_message(HookStage::Observe, [this](xmpp::StanzaPtr& message) {
      if (worth_a_push(*message)) {
        notify(message->to(), *message);
      }
      return Verdict::Continue;  // the offline module stores it
    });
    ctx.on_message_delivered(HookStage::Observe, [this](const MessageDelivered& delivered) {
      if ((worth_a_push(delivered.message) || mentions_recipient(delivered)) &&
          went_to_detached(delivered)) {
        notify(delivered.message.to(), delivered.message);
      }
    });
    mention_rooms_ = static_cast<std::size_t>(
        ctx.options().integer("mention_rooms_per_session", 100, 1, 100000));
    if (ctx.options().boolean("groupchat_mentions", false)) {
      room_nicks_ = ctx.shared<push::RoomNicks>("room_nicks");
      ctx.on_outbound(xmpp::StanzaKind::Presence, HookStage::Observe,
                      [this](xmpp::StanzaPtr& presence) {
                        followed(*presence);
                        return Verdict::Continue;
                      });
      ctx.on_session_ended(HookStage::Observe,
                           [this](const SessionEvent& e) { room_nicks_->session_ended(e.jid); });
    }
  }

  // PushService
  bool wakes_for_mentions() const override { return room_nicks_ != nullptr; }
  void room_message_for_absent(const xmpp::Stanza& message,
                               const std::vector<push::AbsentMember>& absent) override {
    const xmpp::Jid* from = message.from_jid();
    if (!room_nicks_ || from == nullptr || message.root().child("subject", ns::kClient)) {
      return;
    }
    std::string_view body = message.root().child_text("body", ns::kClient);
    for (const auto& [member, nick] : absent) {
      if (nick != from->resource() && push::mentions(body, nick) && !connected(member)) {
        notify(member, message);
      }
    }
  }

 private:
  // §5: <enable jid node> with optional publish options, stored for the sender's own account.
  void enable(IqRequest& req) {
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden("only your own account"));
    }
    const xmpp::Element& enable = req.payload();
    auto app_server = xmpp::Jid::parse(enable.attr("jid"));
    const std::string_view node = enable.attr("node");
    if (!app_server || node.empty()) {
      return req.reply_error(
          xmpp::StanzaError::bad_request("an app server 'jid' and a 'node' are required"));
    }
    PushRegistration registration{std::string(app_server->full()), std::string(node), {}};
    if (const xmpp::Element* form = enable.child("x", ns::kDataForms)) {
      registration.publish_options = xmpp::to_xml(*form);
    }
    std::shared_ptr<DeferredIq> answer = req.defer();
    auto full = std::make_shared<bool>(false);
    ctx_->write(
        [owner = std::string(req.from().bare_view()), registration, full,
         limit = max_registrations_,
         store = registrations_](WriteTxn& txn) -> Result<void, StoreError> {
          const std::vector<PushRegistration> existing = store.list(txn, owner);
          const bool known =
              std::any_of(existing.begin(), existing.end(), [&](const PushRegistration& r) {
                return r.app_server == registration.app_server && r.node == registration.node;
              });
          if (!known && existing.size() >= limit) {
            *full = true;
            return {};
          }
          return store.put(txn, owner, registration);
        },
        [answer, full](bool ok) {
          if (!ok) {
            return answer->reply_error(xmpp::StanzaError::internal_server_error());
          }
          if (*full) {
            return answer->reply_error(
                xmpp::StanzaError::resource_constraint("too many push registrations"));
          }
          answer->reply_result();
        });
  }

  // §6: <disable jid [node]/>: one device, or every device at that app server.
  void disable(IqRequest& req) {
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden("only your own account"));
    }
    auto app_server = xmpp::Jid::parse(req.payload().attr("jid"));
    if (!app_server) {
      return req.reply_error(xmpp::StanzaError::bad_request("an app server 'jid' is required"));
    }
    std::shared_ptr<DeferredIq> answer = req.defer();
    ctx_->write(
        [owner = std::string(req.from().bare_view()), jid = std::string(app_server->full()),
         node = std::string(req.payload().attr("node")),
         store = registrations_](WriteTxn& txn) -> Result<void, StoreError> {
          auto removed = store.remove(txn, owner, jid, node);
          if (!removed) {
            return Err(removed.error());
          }
          return {};
        },
        [answer](bool ok) {
          if (!ok) {
            return answer->reply_error(xmpp::StanzaError::internal_server_error());
          }
          answer->reply_result();
        });
  }

  // A presence a client sent, for the rooms and nicknames of its session (groupchat_mentions).
  void followed(const xmpp::Stanza& presence) {
    const xmpp::Jid* from = presence.from_jid();
    const xmpp::Jid* to = presence.to_jid();
    if (from != nullptr && to != nullptr &&
        !room_nicks_->presence_sent(presence, *from, *to, mention_rooms_)) {
      ctx_->log().info("limit.refused",
                       "room not followed for mentions: mention_rooms_per_session reached",
                       {{"jid", from->full()}, {"room", to->bare_view()}});
    }
  }

  // A room message (not the occupant's own, not a subject) whose body names the nickname the
  // recipient session has in that room.
  bool mentions_recipient(const MessageDelivered& delivered) const {
    const xmpp::Stanza& message = delivered.message;
    const xmpp::Jid* from = message.from_jid();
    if (!room_nicks_ || message.type() != "groupchat" || from == nullptr ||
        message.root().child("subject", ns::kClient) != nullptr) {
      return false;
    }
    std::string_view body = message.root().child_text("body", ns::kClient);
    for (const xmpp::Jid& to : delivered.resources) {
      std::optional<std::string> nick = room_nicks_->nick(to, from->bare_view());
      if (nick && *nick != from->resource() && push::mentions(body, *nick)) {
        return true;
      }
    }
    return false;
  }

  // Whether the account has a session with a live connection (one waiting to be resumed has
  // none): like a one-to-one message, a mention wakes only an account that is not online.
  bool connected(const std::string& bare) const {
    for (const ResourceInfo& r : ctx_->resources(bare)) {
      if (!r.has_flag(kDetachedFlag)) {
        return true;
      }
    }
    return false;
  }

  bool went_to_detached(const MessageDelivered& delivered) const {
    for (const xmpp::Jid& to : delivered.resources) {
      for (const ResourceInfo& r : ctx_->resources(to.bare_view())) {
        if (r.jid.full() == to.full() && r.has_flag(kDetachedFlag)) {
          return true;
        }
      }
    }
    return false;
  }

  // §7: one publish per registration of the recipient's account.
  void notify(std::string_view to, const xmpp::Stanza& message) {
    auto recipient = xmpp::Jid::parse(to);
    if (!recipient) {
      return;
    }
    const std::string owner(recipient->bare_view());
    std::vector<PushRegistration> registrations;
    if (auto txn = ctx_->read()) {
      registrations = registrations_.list(*txn, owner);
    }
    for (const PushRegistration& registration : registrations) {
      ctx_->route(notification(owner, registration, message));
    }
  }

  xmpp::StanzaPtr notification(const std::string& owner, const PushRegistration& registration,
                               const xmpp::Stanza& message) const {
    xmpp::StanzaPtr iq = xmpp::Stanza::create("iq", ns::kClient);
    iq->root()
        .set_attr("type", "set")
        .set_attr("from", owner)
        .set_attr("to", registration.app_server)
        .set_attr("id", "push-" + xmpp::random_hex(9));
    xmpp::Element& pubsub = iq->root().add_child("pubsub", kPubsub);
    xmpp::Element& form = pubsub.add_child("publish", kPubsub)
                              .set_attr("node", registration.node)
                              .add_child("item", kPubsub)
                              .add_child("notification", kPush)
                              .add_child("x", ns::kDataForms)
                              .set_attr("type", "submit");
    add_field(form, "FORM_TYPE", kSummary);
    add_field(form, "message-count", "1");
    if (include_sender_) {
      add_field(form, "last-message-sender", message.from());
    }
    if (include_body_) {
      if (std::string_view body = message.root().child_text("body", ns::kClient); !body.empty()) {
        add_field(form, "last-message-body", body);
      }
    }
    if (!registration.publish_options.empty()) {
      // §5: the options the client gave, as it gave them (a secret for the app server, say).
      if (xmpp::StanzaPtr options = xmpp::parse_stanza(registration.publish_options)) {
        pubsub.add_child("publish-options", kPubsub)
            .append(options->root().clone_into(iq->arena()));
      }
    }
    return iq;
  }

  ModuleContext* ctx_ = nullptr;
  PushStore registrations_{StoreId{}};  // opened in start()
  bool include_sender_ = false;
  bool include_body_ = false;
  std::size_t max_registrations_ = 20;
  std::shared_ptr<push::RoomNicks> room_nicks_;  // with groupchat_mentions only
  std::size_t mention_rooms_ = 100;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Push, push, "XEP-0357 push notifications to registered app servers")
