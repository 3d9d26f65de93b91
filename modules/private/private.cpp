// SPDX-License-Identifier: MIT
// XEP-0049 Private XML Storage: an account keeps XML fragments on its server, one per qualified
// name of the fragment's root (legacy bookmarks, XEP-0048, are `storage:bookmarks`; roster notes
// `storage:rosternotes`). Only the account itself reads and writes them; they go with the
// account (a per-account store). A set is answered once it is committed.
//
// With the pep module enabled, legacy bookmarks (storage:bookmarks) live in the XEP-0402 node
// urn:xmpp:bookmarks:1 instead (bookmarks_compat.h): old and new clients share one list, and the
// account's disco#info says urn:xmpp:bookmarks:1#compat.
//
// [modules.private] max_bytes bounds one fragment (64 KiB) and max_fragments an account's number
// of fragments (100): past either, not-acceptable (a size) or resource-constraint (the count),
// refused in the write so that pipelined sets cannot pass together.
#include <memory>
#include <string>

#include "modules/private/bookmarks_compat.h"
#include "modules/services/pep_service.h"
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
    ctx.add_disco_feature(kPrivateNs);           // where poezio and Prosody's users look for it
    pep_ = ctx.service<pep::PepService>("pep");  // null when pep is not enabled
    if (pep_ != nullptr) {
      ctx.add_account_disco_feature("urn:xmpp:bookmarks:1#compat");  // XEP-0402 §5.3
    }
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
    xmpp::Element& copy = *answer.clone_into(query.arena());
    query.append(&copy);
    if (pep_ != nullptr && is_legacy_bookmarks(**fragment)) {
      bookmarks::add_conferences(copy, pep_->items(*txn, req.from().bare_view(), bookmarks::kNode));
    }
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
    if (pep_ != nullptr && is_legacy_bookmarks(**fragment)) {
      return set_legacy_bookmarks(req, owner, **fragment);
    }
    store(fragment_key(owner, **fragment), owner, std::move(xml), req.defer());
  }

  static bool is_legacy_bookmarks(const xmpp::Element& fragment) {
    return fragment.is("storage", bookmarks::kLegacyNs);
  }

  // The conferences go to the bookmarks 2 node, the rest (URLs) to private storage.
  void set_legacy_bookmarks(IqRequest& req, const std::string& owner,
                            const xmpp::Element& storage) {
    std::vector<pep::PepItem> existing;
    if (auto txn = ctx_->read()) {
      existing = pep_->items(*txn, owner, bookmarks::kNode);
    } else {
      return req.reply_error(xmpp::StanzaError::internal_server_error());
    }
    std::string key = fragment_key(owner, storage);
    std::string rest = bookmarks::without_conferences(storage);
    pep_->replace_items(owner, std::string(bookmarks::kNode), bookmarks::node_config(),
                        bookmarks::to_items(storage, existing),
                        [this, reply = req.defer(), key = std::move(key), owner,
                         rest = std::move(rest)](bool ok) mutable {
                          if (!ok) {
                            log_.warn("bookmarks.refused",
                                      "legacy bookmarks not stored in the bookmarks node",
                                      {{"jid", owner}});
                            return reply->reply_error(xmpp::StanzaError::resource_constraint(
                                "the bookmarks could not be stored (too many, or too large)"));
                          }
                          store(key, owner, std::move(rest), std::move(reply));
                        });
  }

  // Stores one fragment and answers (within max_fragments, counted in the write).
  void store(std::string key, const std::string& owner, std::string xml,
             std::shared_ptr<DeferredIq> reply) {
    auto over_limit = std::make_shared<bool>(false);  // set on the writer thread
    ctx_->write(
        [key = std::move(key), owner, xml = std::move(xml), over_limit, limit = max_fragments_,
         store = store_](WriteTxn& txn) -> Result<void, StoreError> {
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
        [reply = std::move(reply), over_limit, owner, this](bool ok) {
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
  pep::PepService* pep_ = nullptr;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(PrivateStorage, private, "XEP-0049 private XML storage: legacy bookmarks, notes",
            "pep?")
