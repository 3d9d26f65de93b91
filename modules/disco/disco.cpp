// SPDX-License-Identifier: MIT
// XEP-0030: the server's disco#info (identity server/im and every feature the enabled modules
// declared, with their XEP-0128 extension forms) and disco#items (the domains modules serve, e.g.
// the MUC service); for the user's own bare JID, the account's identities (account/registered, and
// pubsub/pep from the pep module) and features, and its PEP nodes as disco#items (through the pep
// module's service). The XEP-0115 node#ver of the server's stream features answers as the plain
// query does (XEP-0115 §6.2); any other node is item-not-found.
#include "modules/services/pep_service.h"
#include "modules/services/roster_service.h"
#include "tern/module_api.h"

namespace tern::modules {
namespace {

class Disco final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx.add_disco_identity({"server", "im", "Tern"});
    ctx.add_disco_feature(xmpp::ns::kDiscoInfo);
    ctx.add_disco_feature(xmpp::ns::kDiscoItems);
    ctx.on_iq(IqType::Get, {xmpp::ns::kDiscoInfo, "query"}, Addressed::ToServer,
              [&ctx](IqRequest& req) { info(ctx, req); });
    ctx.on_iq(IqType::Get, {xmpp::ns::kDiscoItems, "query"}, Addressed::ToServer,
              [&ctx](IqRequest& req) {
                if (!req.payload().attr("node").empty()) {
                  return req.reply_error(xmpp::StanzaError::item_not_found());
                }
                // The services of the host's own domains (the MUC service), XEP-0030 §4.
                xmpp::Element& query = req.reply_result({xmpp::ns::kDiscoItems, "query"});
                for (const ServedDomain& served : ctx.served_domains()) {
                  query.add_child("item", xmpp::ns::kDiscoItems)
                      .set_attr("jid", served.domain)
                      .set_attr("name", served.name);
                }
              });
    // The server answers for an account (RFC 6121 §8.5.2.1.3), to its owner and to contacts who
    // may see its presence: others learn nothing about it (service-unavailable, as for any
    // account that does not exist).
    ctx.on_iq(IqType::Get, {xmpp::ns::kDiscoInfo, "query"}, Addressed::ToAccount,
              [&ctx, this](IqRequest& req) { account_info(ctx, req); });
    pep_ = ctx.service<pep::PepService>("pep");              // null without PEP
    roster_ = ctx.service<roster::RosterService>("roster");  // null without rosters
    ctx.on_iq(IqType::Get, {xmpp::ns::kDiscoItems, "query"}, Addressed::ToAccount,
              [&ctx, this](IqRequest& req) { account_items(ctx, req); });
  }

 private:
  // The account's PEP nodes (XEP-0060 §5.2), to its owner.
  // The owner, or a contact who may see the account's presence (XEP-0163 §6.2); to anyone else
  // the account answers as one that does not exist.
  bool may_discover(const IqRequest& req, std::string_view owner) const {
    return req.to_own_account() ||
           (roster_ != nullptr && roster_->may_see_presence(req.from(), owner));
  }

  // The account's PEP nodes the requester may read (XEP-0060 §5.2; all of them for the owner).
  void account_items(const ModuleContext& ctx, IqRequest& req) const {
    const std::string owner(req.to() ? req.to()->bare_view() : req.from().bare_view());
    if (!may_discover(req, owner)) {
      return req.reply_error(xmpp::StanzaError::service_unavailable());
    }
    if (!req.payload().attr("node").empty()) {
      return req.reply_error(xmpp::StanzaError::item_not_found());
    }
    std::vector<std::string> nodes;
    if (pep_ != nullptr) {
      auto txn = ctx.read();
      if (!txn) {
        return req.reply_error(xmpp::StanzaError::internal_server_error());
      }
      nodes = pep_->node_names(*txn, owner, req.from());
    }
    xmpp::Element& query = req.reply_result({xmpp::ns::kDiscoItems, "query"});
    for (const std::string& node : nodes) {
      query.add_child("item").set_attr("jid", owner).set_attr("node", node);
    }
  }

  pep::PepService* pep_ = nullptr;
  roster::RosterService* roster_ = nullptr;

  // The owner gets the account's identities and features; a contact its identities (XEP-0163
  // §6.2: whether the account is a PEP service).
  void account_info(const ModuleContext& ctx, IqRequest& req) const {
    const std::string owner(req.to() ? req.to()->bare_view() : req.from().bare_view());
    if (!may_discover(req, owner)) {
      return req.reply_error(xmpp::StanzaError::service_unavailable());
    }
    if (!req.payload().attr("node").empty()) {
      return req.reply_error(xmpp::StanzaError::item_not_found());
    }
    xmpp::Element& query = req.reply_result({xmpp::ns::kDiscoInfo, "query"});
    query.add_child("identity").set_attr("category", "account").set_attr("type", "registered");
    for (const DiscoIdentity& id : ctx.account_disco_identities()) {
      xmpp::Element& identity =
          query.add_child("identity").set_attr("category", id.category).set_attr("type", id.type);
      if (!id.name.empty()) {
        identity.set_attr("name", id.name);
      }
    }
    query.add_child("feature").set_attr("var", xmpp::ns::kDiscoInfo);
    query.add_child("feature").set_attr("var", xmpp::ns::kDiscoItems);
    if (!req.to_own_account()) {
      return;  // what the account's owner can do on it is the owner's business
    }
    for (const std::string& feature : ctx.account_disco_features()) {
      query.add_child("feature").set_attr("var", feature);
    }
  }

  static void info(const ModuleContext& ctx, IqRequest& req) {
    std::string_view node = req.payload().attr("node");
    if (!node.empty() && node != ctx.caps_node_ver()) {
      return req.reply_error(xmpp::StanzaError::item_not_found());
    }
    xmpp::Element& query = req.reply_result({xmpp::ns::kDiscoInfo, "query"});
    if (!node.empty()) {
      query.set_attr("node", node);  // echoed, as XEP-0115 §6.2's example shows
    }
    for (const DiscoIdentity& id : ctx.disco_identities()) {
      query.add_child("identity")
          .set_attr("category", id.category)
          .set_attr("type", id.type)
          .set_attr("name", id.name);
    }
    for (const std::string& feature : ctx.disco_features()) {
      query.add_child("feature").set_attr("var", feature);
    }
    // XEP-0128 §2 (forms of XEP-0004 type 'result', FORM_TYPE hidden).
    for (const DiscoExtension& extension : ctx.disco_extensions()) {
      xmpp::Element& form = query.add_child("x", xmpp::ns::kDataForms).set_attr("type", "result");
      form.add_child("field")
          .set_attr("var", "FORM_TYPE")
          .set_attr("type", "hidden")
          .add_child("value")
          .add_text(extension.form_type);
      for (const auto& [var, value] : extension.fields) {
        form.add_child("field").set_attr("var", var).add_child("value").add_text(value);
      }
    }
  }
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Disco, disco, "XEP-0030 service discovery of the server and accounts", "pep?",
            "roster?")
