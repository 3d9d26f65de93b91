// SPDX-License-Identifier: MIT
// XEP-0054 vcard-temp: an account stores its own vCard, and anyone on the server reads it at the
// account's bare JID (vCards are public: a nickname and an avatar to show). The server answers
// for the account. A set is answered once committed; an account without a vCard gets an empty
// one, a reader of another's gets service-unavailable, as for an account that does not exist
// (XEP-0054 §3.3).
//
// XEP-0153: the SHA-1 of the vCard's photo is kept beside it, and the account's available
// presence gets <x xmlns='vcard-temp:x:update'><photo>HASH</photo></x> on its way to each
// recipient when the client sent none (avatar_hash.h), so that contacts fetch a new avatar.
//
// XEP-0398 (with the pep module): a PEP avatar is the vCard's PHOTO and the presence hash, and a
// vCard PHOTO is published as the PEP avatar (avatar_conversion.h).
//
// [modules.vcard] max_bytes bounds a vCard (not-acceptable past it, nothing stored).
#include <memory>
#include <string>

#include "modules/services/pep_service.h"
#include "modules/vcard/avatar_conversion.h"
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
    pep_ = ctx.service<pep::PepService>("pep");  // null without PEP: no conversion
    if (pep_ != nullptr) {
      ctx.add_account_disco_feature("urn:xmpp:pep-vcard-conversion:0");  // XEP-0398 §2
    }
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
    std::optional<vcard::Avatar> avatar;
    if (pep_ != nullptr) {
      avatar = vcard::pep_avatar(pep_->items(*txn, owner, vcard::kAvatarMetadata),
                                 pep_->items(*txn, owner, vcard::kAvatarData));
    }
    if (parsed == nullptr && !avatar && !req.to_own_account()) {
      // XEP-0054 §3.3: the same answer as for an account that does not exist (the router's),
      // so that nobody learns which accounts exist by asking for vCards.
      return req.reply_error(xmpp::StanzaError::service_unavailable());
    }
    xmpp::Element& result = req.reply_result();
    xmpp::Element& vcard =
        parsed ? *parsed->root().clone_into(result.arena())
               : *xmpp::Element::create(result.arena(), "vCard", xmpp::ns::kVcardTemp);
    result.append(&vcard);  // none yet: an empty one
    if (avatar) {
      vcard::set_photo(vcard, *avatar);  // XEP-0398 §3.1
    }
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
        [this, reply = req.defer(), owner,
         avatar = pep_ ? vcard::pep_items_for(req.payload()) : std::nullopt](StoreStatus status) {
          if (!status) {
            return reply->reply_error(
                status.out_of_space ? xmpp::StanzaError::resource_constraint("storage is full")
                                    : xmpp::StanzaError::internal_server_error());
          }
          reply->reply_result();
          if (avatar) {
            publish_avatar(owner, avatar->first, avatar->second);
          }
        });
  }

  // XEP-0398 §3.2: the vCard's photo becomes the PEP avatar, data first (XEP-0084 §4.1: a
  // contact told of new metadata must find the image).
  void publish_avatar(const std::string& owner, pep::PepItem data, pep::PepItem metadata) {
    pep_->replace_items(owner, std::string(vcard::kAvatarData), {}, {std::move(data)},
                        [this, owner, metadata = std::move(metadata)](bool ok) mutable {
                          if (!ok) {
                            log_.info("vcard.avatar", "vCard photo not published as the PEP avatar",
                                      {{"jid", owner}});
                            return;
                          }
                          pep_->replace_items(owner, std::string(vcard::kAvatarMetadata), {},
                                              {std::move(metadata)}, [](bool) {});
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
    // The PEP avatar when there is one (XEP-0398 §4), else the vCard's photo.
    std::optional<std::string> id;
    if (pep_ != nullptr) {
      id = vcard::pep_avatar_id(pep_->items(*txn, from->bare_view(), vcard::kAvatarMetadata));
    }
    if (!id) {
      if (auto hash = txn->get(store_, hash_key(from->bare_view()))) {
        id = std::string(*hash);
      }
    }
    if (id) {
      vcard::stamp_photo_hash(presence.root(), *id);
    }
  }

  ModuleContext* ctx_ = nullptr;
  log::Logger log_;
  StoreId store_;
  std::size_t max_bytes_ = 131072;
  pep::PepService* pep_ = nullptr;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(VCard, vcard, "XEP-0054 vcard-temp, XEP-0153 avatar hashes, XEP-0398 conversion",
            "pep?")
