// SPDX-License-Identifier: MIT
// XEP-0054 vcard-temp: an account stores its own vCard, and anyone on the server reads it at the
// account's bare JID (vCards are public: a nickname and an avatar to show). The server answers
// for the account. A set is answered once committed; an account without a vCard gets an empty
// one, a reader of another's gets item-not-found (as Prosody does).
//
// XEP-0153: the SHA-1 of the vCard's photo is kept beside it, and the account's available
// presence gets <x xmlns='vcard-temp:x:update'><photo>HASH</photo></x> on its way to each
// recipient when the client sent none (avatar_hash.h), so that contacts fetch a new avatar.
//
// [modules.vcard] max_bytes bounds a vCard (not-acceptable past it, nothing stored).
#include <memory>
#include <string>

#include "modules/vcard/avatar_hash.h"
#include "tern/module_api.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace tern::modules {
namespace {

// Per account: 'v' → the vCard as XML, 'h' → its photo hash ("" for none).
std::string vcard_key(std::string_view owner) {
  return std::string(owner) + '\0' + 'v';
}
std::string hash_key(std::string_view owner) {
  return std::string(owner) + '\0' + 'h';
}

class VCard final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    log_ = ctx.log();
    store_ = ctx.open_store("vcard");
    max_bytes_ =
        static_cast<std::size_t>(ctx.options().integer("max_bytes", 131072, 1024, 16777216));
    ctx.add_account_disco_feature(xmpp::ns::kVcardTemp);
    ctx.add_disco_feature(xmpp::ns::kVcardTemp);
    ctx.on_iq(IqType::Get, {xmpp::ns::kVcardTemp, "vCard"}, Addressed::ToAccount,
              [this](IqRequest& req) { get(req); });
    ctx.on_iq(IqType::Set, {xmpp::ns::kVcardTemp, "vCard"}, Addressed::ToAccount,
              [this](IqRequest& req) { set(req); });
    ctx.on_inbound(xmpp::StanzaKind::Presence, HookStage::Rewrite, [this](xmpp::StanzaPtr& p) {
      stamp(*p);
      return Verdict::Continue;
    });
  }

 private:
  void get(IqRequest& req) {
    std::string owner(req.to() ? req.to()->bare_view() : req.from().bare_view());
    auto txn = ctx_->read();
    if (!txn) {
      return req.reply_error(xmpp::StanzaError::internal_server_error());
    }
    auto stored = txn->get(store_, vcard_key(owner));
    xmpp::StanzaPtr parsed = stored ? xmpp::parse_stanza(*stored) : nullptr;
    if (parsed == nullptr && !req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::item_not_found("no vCard"));
    }
    if (parsed == nullptr) {
      req.reply_result({xmpp::ns::kVcardTemp, "vCard"});  // none yet: an empty one
      return;
    }
    xmpp::Element& result = req.reply_result();
    result.append(parsed->root().clone_into(result.arena()));
  }

  void set(IqRequest& req) {
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden("only your own vCard"));
    }
    const std::string owner(req.from().bare_view());
    std::string xml = xmpp::to_xml(req.payload());
    if (xml.size() > max_bytes_) {
      log_.info("limit.refused", "vCard refused: larger than max_bytes",
                {{"jid", owner}, {"max_bytes", static_cast<std::int64_t>(max_bytes_)}});
      return req.reply_error(xmpp::StanzaError::not_acceptable(
          "a vCard may hold at most " + std::to_string(max_bytes_) + " bytes"));
    }
    auto hash = vcard::photo_hash(req.payload());
    if (!hash) {
      return req.reply_error(xmpp::StanzaError::bad_request("the PHOTO is not base64"));
    }
    ctx_->write(
        [store = store_, owner, xml = std::move(xml),
         hash = *hash](WriteTxn& txn) -> Result<void, StoreError> {
          if (auto put = txn.put(store, vcard_key(owner), xml); !put) {
            return put;
          }
          return txn.put(store, hash_key(owner), hash);
        },
        [reply = req.defer()](StoreStatus status) {
          if (!status) {
            return reply->reply_error(
                status.out_of_space ? xmpp::StanzaError::resource_constraint("storage is full")
                                    : xmpp::StanzaError::internal_server_error());
          }
          reply->reply_result();
        });
  }

  // XEP-0153 §4.3 on the server's side, for each recipient of an account's available presence.
  void stamp(xmpp::Stanza& presence) {
    const xmpp::Jid* from = presence.from_jid();
    if (from == nullptr || !presence.type().empty() ||
        presence.root().child("x", xmpp::ns::kVcardUpdate) != nullptr) {
      return;
    }
    auto txn = ctx_->read();
    if (!txn) {
      return;
    }
    if (auto hash = txn->get(store_, hash_key(from->bare_view()))) {
      vcard::stamp_photo_hash(presence.root(), std::string(*hash));
    }
  }

  ModuleContext* ctx_ = nullptr;
  log::Logger log_;
  StoreId store_;
  std::size_t max_bytes_ = 131072;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(VCard, vcard, "XEP-0054 vcard-temp and XEP-0153 avatar hashes in presence")
