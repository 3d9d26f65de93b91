// SPDX-License-Identifier: MIT
// XEP-0049 Private XML Storage: an account keeps XML fragments on its server, one per qualified
// name of the fragment's root (legacy bookmarks, XEP-0048, are `storage:bookmarks`; roster notes
// `storage:rosternotes`). Only the account itself reads and writes them; they go with the
// account (a per-account store). A set is answered once it is committed.
//
// [modules.private] max_bytes bounds one fragment (64 KiB) and max_fragments an account's number
// of fragments (100): past either, not-acceptable (a size) or resource-constraint (the count),
// refused in the write so that pipelined sets cannot pass together.
#include <memory>
#include <string>

#include "tern/module_api.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace tern::modules {
namespace {

constexpr std::string_view kPrivateNs = "jabber:iq:private";

// Per account: "bare JID \0 namespace \x01 name" → the fragment as XML (\x01 occurs in neither).
std::string fragment_key(std::string_view owner, const xmpp::Element& fragment) {
  std::string key(owner);
  key += '\0';
  key += fragment.ns();
  key += '\x01';
  key += fragment.name();
  return key;
}

// XEP-0049 §2.3: the query holds exactly one fragment, in a namespace of its own (not the
// stream's, nor one of the protocol's jabber:* namespaces).
Result<const xmpp::Element*, xmpp::StanzaError> the_fragment(const xmpp::Element& query) {
  const xmpp::Element* fragment = nullptr;
  for (const xmpp::Element& child : query.children()) {
    if (fragment != nullptr) {
      return Err(xmpp::StanzaError::not_acceptable("one fragment per request"));
    }
    fragment = &child;
  }
  if (fragment == nullptr) {
    return Err(xmpp::StanzaError::not_acceptable("the query holds no fragment"));
  }
  if (fragment->ns().empty() || fragment->ns().starts_with("jabber:")) {
    return Err(xmpp::StanzaError::not_acceptable("a fragment needs a namespace of its own"));
  }
  return fragment;
}

class PrivateStorage final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    log_ = ctx.log();
    store_ = ctx.open_store("private");
    max_bytes_ = static_cast<std::size_t>(ctx.options().integer("max_bytes", 65536, 256, 1048576));
    max_fragments_ =
        static_cast<std::size_t>(ctx.options().integer("max_fragments", 100, 1, 10000));
    ctx.add_account_disco_feature(kPrivateNs);
    ctx.on_iq(IqType::Get, {kPrivateNs, "query"}, Addressed::ToAccount,
              [this](IqRequest& req) { get(req); });
    ctx.on_iq(IqType::Set, {kPrivateNs, "query"}, Addressed::ToAccount,
              [this](IqRequest& req) { set(req); });
  }

 private:
  void get(IqRequest& req) {
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden());  // §2.3: another user's data
    }
    auto fragment = the_fragment(req.payload());
    if (!fragment) {
      return req.reply_error(fragment.error());
    }
    auto txn = ctx_->read();
    if (!txn) {
      return req.reply_error(xmpp::StanzaError::internal_server_error());
    }
    auto stored = txn->get(store_, fragment_key(req.from().bare_view(), **fragment));
    xmpp::StanzaPtr parsed = stored ? xmpp::parse_stanza(*stored) : nullptr;
    xmpp::Element& query = req.reply_result({kPrivateNs, "query"});
    // Nothing stored: the empty element as asked (§2.2).
    const xmpp::Element& answer = parsed ? parsed->root() : **fragment;
    query.append(answer.clone_into(query.arena()));
  }

  void set(IqRequest& req) {
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden());
    }
    auto fragment = the_fragment(req.payload());
    if (!fragment) {
      return req.reply_error(fragment.error());
    }
    std::string xml = xmpp::to_xml(**fragment);
    if (xml.size() > max_bytes_) {
      return req.reply_error(xmpp::StanzaError::not_acceptable(
          "a fragment may hold at most " + std::to_string(max_bytes_) + " bytes"));
    }
    std::string owner(req.from().bare_view());
    auto over_limit = std::make_shared<bool>(false);  // set on the writer thread
    ctx_->write(
        [key = fragment_key(owner, **fragment), owner, xml = std::move(xml), over_limit,
         limit = max_fragments_, store = store_](WriteTxn& txn) -> Result<void, StoreError> {
          if (!txn.get(store, key)) {
            std::size_t count = 0;
            txn.scan(store, owner + '\0',
                     [&](std::string_view, std::string_view) { return ++count < limit; });
            if (count >= limit) {
              *over_limit = true;
              return {};
            }
          }
          return txn.put(store, key, xml);
        },
        [reply = req.defer(), over_limit, owner, this](bool ok) {
          if (!ok) {
            return reply->reply_error(xmpp::StanzaError::internal_server_error());
          }
          if (*over_limit) {
            log_.warn(
                "limit.refused", "private storage set refused: max_fragments reached",
                {{"jid", owner}, {"max_fragments", static_cast<std::int64_t>(max_fragments_)}});
            return reply->reply_error(xmpp::StanzaError::resource_constraint(
                "at most " + std::to_string(max_fragments_) + " fragments per account"));
          }
          reply->reply_result();
        });
  }

  ModuleContext* ctx_ = nullptr;
  StoreId store_;
  log::Logger log_;
  std::size_t max_bytes_ = 65536;
  std::size_t max_fragments_ = 100;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(PrivateStorage, private, "XEP-0049 private XML storage (legacy bookmarks, notes)")
