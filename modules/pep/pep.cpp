// SPDX-License-Identifier: MIT
// XEP-0163 Personal Eventing Protocol on the XEP-0060 core it profiles: every account is a
// PubSub service at its bare JID whose nodes only it publishes to (OMEMO device lists and
// bundles, avatars, nicknames, bookmarks). What this file does is take requests apart and answer
// them; the pieces live beside it:
//   node_config  the node configuration form, publish-options preconditions
//   node_store   nodes and items in the per-account store "pep" (gone with the account)
//   access       who may read a node (open, presence, roster, whitelist)
//   interests    which nodes each resource wants (XEP-0115 +notify), verified caps cache
//   notifier     event messages to the owner's and contacts' resources, last items on presence
//
// Writes (publish, retract, configure, delete, purge) check and change the node inside one store
// write, so that pipelined requests see each other; the answer and the notifications follow the
// commit. [modules.pep] bounds an item's size, a node's items and an account's nodes.
#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <string>

#include "modules/pep/access.h"
#include "modules/pep/interests.h"
#include "modules/pep/node_config.h"
#include "modules/pep/node_store.h"
#include "modules/pep/notifier.h"
#include "modules/services/blocking_service.h"
#include "modules/services/pep_service.h"
#include "modules/services/roster_service.h"
#include "tern/module_api.h"
#include "xmpp/caps.h"
#include "xmpp/data_form.h"
#include "xmpp/random_ids.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace tern::modules {
namespace {

using pep::Access;
using pep::Node;
using pep::NodeConfig;

xmpp::StanzaError pubsub_error(const xmpp::StanzaError& error, std::string_view condition) {
  return error.with_application_condition(xmpp::ns::kPubsubErrors, condition);
}

// XEP-0060 §11: feature-not-implemented refined by <unsupported feature='…'/>.
xmpp::StanzaError unsupported(std::string_view feature) {
  return xmpp::StanzaError::feature_not_implemented().with_application_condition(
      xmpp::ns::kPubsubErrors, "unsupported", {}, {{"feature", std::string(feature)}});
}

xmpp::StanzaError nodeid_required() {
  return pubsub_error(xmpp::StanzaError::bad_request("a node is required"), "nodeid-required");
}

// Requests of XEP-0060 a PEP service here does not offer, with the feature each belongs to
// (§11: feature-not-implemented with <unsupported feature='…'/>). A node's only affiliate is its
// owner, and subscriptions have no options.
std::optional<std::string_view> unsupported_feature(bool owner, IqType type,
                                                    std::string_view request) {
  struct Row {
    bool owner;
    IqType type;
    std::string_view request;
    std::string_view feature;
  };
  static constexpr Row kRows[] = {
      {false, IqType::Get, "subscriptions", "retrieve-subscriptions"},
      {false, IqType::Get, "affiliations", "retrieve-affiliations"},
      {false, IqType::Get, "default", "retrieve-default-sub"},
      {false, IqType::Get, "options", "subscription-options"},
      {false, IqType::Set, "options", "subscription-options"},
      {true, IqType::Get, "affiliations", "modify-affiliations"},
      {true, IqType::Set, "affiliations", "modify-affiliations"},
      {true, IqType::Get, "subscriptions", "manage-subscriptions"},
      {true, IqType::Set, "subscriptions", "manage-subscriptions"},
  };
  for (const Row& row : kRows) {
    if (row.owner == owner && row.type == type && row.request == request) {
      return row.feature;
    }
  }
  return std::nullopt;
}

// What a store write decided, read by its completion on the worker.
struct WriteOutcome {
  std::optional<xmpp::StanzaError> error;
  std::optional<Node> node;  // the node as it was left (or as it was, when deleted)
};

// The single element a <pubsub/> request holds (XEP-0060: one action per request, except the
// publish-options and configure that go with publish and create).
const xmpp::Element* action(const xmpp::Element& pubsub) {
  for (const xmpp::Element& child : pubsub.children()) {
    if (child.name() != "publish-options" && child.name() != "configure") {
      return &child;
    }
  }
  return pubsub.first_child();
}

// The form in <publish-options/> or <configure/>: nullopt when there is none; an error for one
// that is not of `form_type`.
Result<std::optional<xmpp::SubmittedForm>, xmpp::StanzaError> form_in(const xmpp::Element* holder,
                                                                      std::string_view form_type) {
  if (holder == nullptr) {
    return std::optional<xmpp::SubmittedForm>();
  }
  const xmpp::Element* x = holder->child("x", xmpp::ns::kDataForms);
  if (x == nullptr) {
    return std::optional<xmpp::SubmittedForm>();
  }
  auto form = xmpp::read_form(*x);
  if (!form || (form->type != "submit" && form->type != "cancel") ||
      (!form->form_type.empty() && form->form_type != form_type)) {
    return Err(pubsub_error(
        xmpp::StanzaError::bad_request("expected a submitted " + std::string(form_type) + " form"),
        "invalid-options"));
  }
  return form;
}

class Pep final : public Module, public pep::PepService {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    log_ = ctx.log();
    store_ = pep::NodeStore(ctx.open_store("pep"));
    ModuleOptions& options = ctx.options();
    max_item_bytes_ =
        static_cast<std::size_t>(options.integer("max_item_bytes", 131072, 256, 16777216));
    limits_.max_items = options.integer("max_items_per_node", 256, 1, 100000);
    max_nodes_ = static_cast<std::size_t>(options.integer("max_nodes", 128, 1, 100000));
    max_subscribers_ =
        static_cast<std::size_t>(options.integer("max_subscribers", 1000, 1, 1000000));
    roster_ = ctx.service<roster::RosterService>("roster");
    interests_ = ctx.shared<pep::Interests>("interests");
    notifier_.emplace(ctx, *interests_, *roster_,
                      ctx.service<blocking::BlockingService>("blocking"), store_);
    ctx.provide<pep::PepService>(*this);

    ctx.add_account_disco_identity({"pubsub", "pep", ""});  // XEP-0163 §6.1
    // On the account (XEP-0163 §6.1) and on the server too: clients such as poezio look for
    // pubsub#publish on the domain before they store bookmarks in PEP (as with Prosody).
    auto feature = [&ctx](const std::string& var) {
      ctx.add_account_disco_feature(var);
      ctx.add_disco_feature(var);
    };
    feature(std::string(xmpp::ns::kPubsub));
    for (std::string_view name : {"access-open",
                                  "access-presence",
                                  "access-roster",
                                  "access-whitelist",
                                  "auto-create",
                                  "auto-subscribe",
                                  "config-node",
                                  "config-node-max",
                                  "create-and-configure",
                                  "create-nodes",
                                  "delete-items",
                                  "delete-nodes",
                                  "filtered-notifications",
                                  "item-ids",
                                  "last-published",
                                  "persistent-items",
                                  "presence-notifications",
                                  "publish",
                                  "publish-options",
                                  "purge-nodes",
                                  "retract-items",
                                  "retrieve-default",
                                  "retrieve-items"}) {
      feature(std::string(xmpp::ns::kPubsub) + "#" + std::string(name));
    }

    ctx.on_iq(IqType::Get, {xmpp::ns::kPubsub, "pubsub"}, Addressed::ToAccount,
              [this](IqRequest& req) { get(req); });
    ctx.on_iq(IqType::Set, {xmpp::ns::kPubsub, "pubsub"}, Addressed::ToAccount,
              [this](IqRequest& req) { set(req); });
    ctx.on_iq(IqType::Get, {xmpp::ns::kPubsubOwner, "pubsub"}, Addressed::ToAccount,
              [this](IqRequest& req) { owner_get(req); });
    ctx.on_iq(IqType::Set, {xmpp::ns::kPubsubOwner, "pubsub"}, Addressed::ToAccount,
              [this](IqRequest& req) { owner_set(req); });
    ctx.on_presence_broadcast(HookStage::Observe,
                              [this](const PresenceBroadcast& b) { presence(b); });
    ctx.on_inbound(xmpp::StanzaKind::Iq, HookStage::Handle,
                   [this](xmpp::StanzaPtr& stanza) { return caps_answer(*stanza); });
    ctx.on_session_ended(HookStage::Observe,
                         [this](const SessionEvent& e) { interests_->forget(e.jid.full()); });
  }

  // --- PepService ------------------------------------------------------------------------------

  std::vector<pep::PepItem> items(const ReadTxn& txn, std::string_view owner,
                                  std::string_view node) const override {
    std::vector<pep::PepItem> out;
    for (pep::Item& item : store_.items(txn, owner, node)) {
      out.push_back({std::move(item.id), std::move(item.payload)});
    }
    return out;
  }

  std::vector<std::string> node_names(const ReadTxn& txn, std::string_view owner,
                                      const xmpp::Jid& viewer) const override {
    const bool is_owner = viewer.bare_view() == owner;
    std::optional<roster::RosterItem> contact;
    if (!is_owner) {
      contact = roster_->item(txn, owner, viewer.bare_view());
    }
    std::vector<std::string> names;
    for (Node& node : store_.nodes(txn, owner)) {
      if (pep::access(node.config, is_owner, contact) == Access::Allowed) {
        names.push_back(std::move(node.name));
      }
    }
    return names;
  }

  void replace_items(const std::string& owner, const std::string& node,
                     const std::vector<std::pair<std::string, std::string>>& config,
                     std::vector<pep::PepItem> wanted, std::function<void(bool)> done) override {
    xmpp::SubmittedForm form;
    for (const auto& [var, value] : config) {
      form.fields[var] = {value};
    }
    for (const pep::PepItem& item : wanted) {
      if (item.payload.size() > max_item_bytes_) {
        return done(false);
      }
    }
    struct Change {
      bool refused = false;
      std::optional<Node> node;
      std::vector<pep::PepItem> published;
      std::vector<std::string> retracted;
    };
    auto change = std::make_shared<Change>();
    ctx_->write(
        [this, owner, node, form = std::move(form), wanted = std::move(wanted),
         change](WriteTxn& txn) -> Result<void, StoreError> {
          // Every check before the first change: a refusal leaves the node as it was.
          std::optional<Node> found = store_.node(txn, owner, node);
          if (!found) {
            found = Node{node, {}, 1, 0};
            if (store_.node_count(txn, owner) >= max_nodes_ || found->config.apply(form, limits_)) {
              change->refused = true;
              return {};
            }
          }
          const std::int64_t keep = found->config.max_items(limits_);
          if (static_cast<std::int64_t>(wanted.size()) > keep) {
            change->refused = true;
            return {};
          }
          const std::vector<pep::Item> existing = store_.items(txn, owner, node);
          for (const pep::Item& old : existing) {
            bool kept = std::any_of(wanted.begin(), wanted.end(),
                                    [&](const pep::PepItem& w) { return w.id == old.id; });
            if (!kept) {
              if (auto gone = store_.retract(txn, owner, *found, old.id); !gone) {
                return Err(gone.error());
              }
              change->retracted.push_back(old.id);
            }
          }
          for (const pep::PepItem& item : wanted) {
            bool same = std::any_of(existing.begin(), existing.end(), [&](const pep::Item& old) {
              return old.id == item.id && old.payload == item.payload;
            });
            if (same) {
              continue;
            }
            if (auto put = store_.publish(txn, owner, *found, {item.id, item.payload, 0}, keep);
                !put) {
              return Err(put.error());
            }
            change->published.push_back(item);
          }
          change->node = std::move(found);
          return store_.put_node(txn, owner, *change->node);
        },
        [this, change, owner, node, done = std::move(done)](StoreStatus status) {
          if (!status || change->refused) {
            return done(false);
          }
          const NodeConfig& config = change->node->config;
          for (const pep::PepItem& item : change->published) {
            notifier_->broadcast(owner, node, config, [&](xmpp::Element& event) {
              pep::Notifier::add_item(event, node, item.id,
                                      config.deliver_payloads() ? item.payload : "");
            });
          }
          for (const std::string& id : change->retracted) {
            if (config.notify_retract()) {
              notifier_->broadcast(owner, node, config, [&](xmpp::Element& event) {
                event.add_child("items")
                    .set_attr("node", node)
                    .add_child("retract")
                    .set_attr("id", id);
              });
            }
          }
          done(true);
        });
  }

 private:
  // The PEP service asked: the bare JID addressed, or the sender's own.
  static std::string owner_of(const IqRequest& req) {
    return std::string(req.to() ? req.to()->bare_view() : req.from().bare_view());
  }

  // --- requests -------------------------------------------------------------------------------

  void get(IqRequest& req) {
    const xmpp::Element* request = action(req.payload());
    if (request == nullptr) {
      return req.reply_error(xmpp::StanzaError::bad_request("an empty pubsub request"));
    }
    if (request->name() == "items") {
      return retrieve_items(req, *request);
    }
    if (auto feature = unsupported_feature(false, IqType::Get, request->name())) {
      return req.reply_error(unsupported(*feature));
    }
    req.reply_error(xmpp::StanzaError::bad_request("unknown pubsub request"));
  }

  void set(IqRequest& req) {
    const xmpp::Element* request = action(req.payload());
    if (request == nullptr) {
      return req.reply_error(xmpp::StanzaError::bad_request("an empty pubsub request"));
    }
    std::string_view name = request->name();
    if (auto feature = unsupported_feature(false, IqType::Set, name)) {
      return req.reply_error(unsupported(*feature));
    }
    if (name == "subscribe" || name == "unsubscribe") {  // anyone, within the access model
      return subscription(req, *request, name == "subscribe");
    }
    if (!req.to_own_account()) {
      log_.info("pep.refused", "publish to another account's PEP service refused",
                {{"from", req.from().bare_view()}, {"action", name}});
      // XEP-0060 §7.1.3.1: only the owner publishes to a PEP node.
      return req.reply_error(
          xmpp::StanzaError::forbidden("only the account itself publishes to its nodes"));
    }
    if (name == "publish") {
      return publish(req, *request);
    }
    if (name == "retract") {
      return retract(req, *request);
    }
    if (name == "create") {
      return create(req, *request);
    }
    req.reply_error(xmpp::StanzaError::bad_request("unknown pubsub request"));
  }

  void owner_get(IqRequest& req) {
    const xmpp::Element* request = req.payload().first_child();
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden("only the account owns its nodes"));
    }
    if (request == nullptr) {
      return req.reply_error(xmpp::StanzaError::bad_request("an empty pubsub request"));
    }
    if (request->name() == "default") {
      xmpp::Element& answer =
          req.reply_result({xmpp::ns::kPubsubOwner, "pubsub"}).add_child("default");
      NodeConfig().write_form(answer, limits_);
      return;
    }
    if (request->name() == "configure") {
      std::string_view node = request->attr("node");
      if (node.empty()) {
        return req.reply_error(nodeid_required());
      }
      auto txn = ctx_->read();
      if (!txn) {
        return req.reply_error(xmpp::StanzaError::internal_server_error());
      }
      auto found = store_.node(*txn, req.from().bare_view(), node);
      if (!found) {
        return req.reply_error(xmpp::StanzaError::item_not_found("no such node"));
      }
      xmpp::Element& answer = req.reply_result({xmpp::ns::kPubsubOwner, "pubsub"})
                                  .add_child("configure")
                                  .set_attr("node", node);
      found->config.write_form(answer, limits_);
      return;
    }
    if (auto feature = unsupported_feature(true, IqType::Get, request->name())) {
      return req.reply_error(unsupported(*feature));
    }
    req.reply_error(xmpp::StanzaError::bad_request("unknown pubsub owner request"));
  }

  void owner_set(IqRequest& req) {
    const xmpp::Element* request = req.payload().first_child();
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden("only the account owns its nodes"));
    }
    if (request == nullptr) {
      return req.reply_error(xmpp::StanzaError::bad_request("an empty pubsub request"));
    }
    std::string_view name = request->name();
    if (auto feature = unsupported_feature(true, IqType::Set, name)) {
      return req.reply_error(unsupported(*feature));
    }
    if (name != "configure" && name != "delete" && name != "purge") {
      return req.reply_error(xmpp::StanzaError::bad_request("unknown pubsub owner request"));
    }
    std::string node(request->attr("node"));
    if (node.empty()) {
      return req.reply_error(nodeid_required());
    }
    if (name == "configure") {
      return configure(req, *request, node);
    }
    if (name == "delete") {
      return delete_node(req, node);
    }
    purge(req, node);
  }

  // XEP-0060 §6.5: the items of a node, all, the newest max_items, or those asked by id.
  void retrieve_items(IqRequest& req, const xmpp::Element& request) {
    std::string_view node = request.attr("node");
    if (node.empty()) {
      return req.reply_error(nodeid_required());
    }
    const std::string owner = owner_of(req);
    const bool is_owner = owner == req.from().bare_view();
    std::optional<std::size_t> newest;
    if (request.has_attr("max_items")) {
      std::string_view text = request.attr("max_items");
      std::size_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return req.reply_error(xmpp::StanzaError::bad_request("max_items takes a number"));
      }
      newest = value;
    }
    auto txn = ctx_->read();
    if (!txn) {
      return req.reply_error(xmpp::StanzaError::internal_server_error());
    }
    auto found = store_.node(*txn, owner, node);
    if (!found) {
      return req.reply_error(xmpp::StanzaError::item_not_found("no such node"));
    }
    std::optional<roster::RosterItem> contact;
    if (!is_owner) {
      contact = roster_->item(*txn, owner, req.from().bare_view());
    }
    if (Access verdict = pep::access(found->config, is_owner, contact);
        verdict != Access::Allowed) {
      log_.info("pep.refused", "PEP items refused by the node's access model",
                {{"from", req.from().bare_view()}, {"owner", owner}, {"node", node}});
      return req.reply_error(pep::access_error(verdict));
    }
    std::vector<pep::Item> chosen;
    if (request.first_child() != nullptr) {
      for (const xmpp::Element& wanted : request.children()) {
        if (wanted.name() == "item" && !wanted.attr("id").empty()) {
          if (auto item = store_.item(*txn, owner, node, wanted.attr("id"))) {
            chosen.push_back(std::move(*item));
          }
        }
      }
    } else {
      chosen = store_.items(*txn, owner, node);
      if (newest && *newest < chosen.size()) {
        chosen.erase(chosen.begin(), chosen.end() - static_cast<std::ptrdiff_t>(*newest));
      }
    }
    xmpp::Element& answer =
        req.reply_result({xmpp::ns::kPubsub, "pubsub"}).add_child("items").set_attr("node", node);
    for (const pep::Item& item : chosen) {
      xmpp::Element& element = answer.add_child("item").set_attr("id", item.id);
      if (xmpp::StanzaPtr payload = xmpp::parse_stanza(item.payload)) {
        element.append(payload->root().clone_into(element.arena()));
      }
    }
  }

  // XEP-0060 §7.1 with XEP-0163's auto-create and §7.1.5's publish-options.
  void publish(IqRequest& req, const xmpp::Element& request) {
    std::string node(request.attr("node"));
    if (node.empty()) {
      return req.reply_error(nodeid_required());
    }
    const xmpp::Element* item = nullptr;
    for (const xmpp::Element& child : request.children()) {
      if (item != nullptr || child.name() != "item") {
        return req.reply_error(pubsub_error(
            xmpp::StanzaError::bad_request("publish exactly one item"), "invalid-payload"));
      }
      item = &child;
    }
    if (item == nullptr) {
      return req.reply_error(
          pubsub_error(xmpp::StanzaError::bad_request("an item is required"), "item-required"));
    }
    if (item->child_element_count() != 1) {
      return req.reply_error(
          item->child_element_count() == 0
              ? pubsub_error(xmpp::StanzaError::bad_request("the item needs a payload"),
                             "payload-required")
              : pubsub_error(xmpp::StanzaError::bad_request("one payload element per item"),
                             "invalid-payload"));
    }
    auto options = form_in(req.payload().child("publish-options", xmpp::ns::kPubsub),
                           pep::kPublishOptionsForm);
    if (!options) {
      return req.reply_error(options.error());
    }
    pep::Item stored{std::string(item->attr("id")), xmpp::to_xml(*item->first_child()), 0};
    if (stored.id.empty()) {
      stored.id = xmpp::random_uuid();  // §7.1.2: the service makes one
    }
    const std::string owner(req.from().bare_view());
    if (stored.payload.size() > max_item_bytes_) {
      log_.info("limit.refused", "PEP item refused: larger than max_item_bytes",
                {{"jid", owner},
                 {"node", node},
                 {"max_item_bytes", static_cast<std::int64_t>(max_item_bytes_)}});
      return req.reply_error(pubsub_error(
          xmpp::StanzaError::not_acceptable("an item may hold at most " +
                                            std::to_string(max_item_bytes_) + " bytes"),
          "payload-too-big"));
    }
    auto outcome = std::make_shared<WriteOutcome>();
    ctx_->write(
        [this, owner, node, stored, options = std::move(*options),
         outcome](WriteTxn& txn) -> Result<void, StoreError> {
          std::optional<Node> found = store_.node(txn, owner, node);
          if (!found) {
            if (store_.node_count(txn, owner) >= max_nodes_) {
              outcome->error = xmpp::StanzaError::resource_constraint(
                  "at most " + std::to_string(max_nodes_) + " nodes per account");
              return {};
            }
            found = Node{node, {}, 1, 0};
            if (options) {
              if (auto bad = found->config.apply(*options, limits_)) {
                outcome->error =
                    pubsub_error(xmpp::StanzaError::conflict(*bad), "precondition-not-met");
                return {};
              }
            }
          } else if (options) {
            if (auto unmet = found->config.unmet_precondition(*options, limits_)) {
              outcome->error =
                  pubsub_error(xmpp::StanzaError::conflict(*unmet), "precondition-not-met");
              return {};
            }
          }
          const std::int64_t keep =
              found->config.persist_items() ? found->config.max_items(limits_) : 1;
          auto removed = store_.publish(txn, owner, *found, stored, keep);
          if (!removed) {
            return Err(removed.error());
          }
          outcome->node = std::move(found);
          return {};
        },
        [this, reply = req.defer(), outcome, owner, node, stored](StoreStatus status) {
          if (!status) {
            return reply->reply_error(
                status.out_of_space ? xmpp::StanzaError::resource_constraint("storage is full")
                                    : xmpp::StanzaError::internal_server_error());
          }
          if (outcome->error) {
            log_.info("pep.refused", "PEP publish refused",
                      {{"jid", owner}, {"node", node}, {"reason", outcome->error->text}});
            return reply->reply_error(*outcome->error);
          }
          reply->reply_result({xmpp::ns::kPubsub, "pubsub"}, [&](xmpp::Element& pubsub) {
            pubsub.add_child("publish")
                .set_attr("node", node)
                .add_child("item")
                .set_attr("id", stored.id);
          });
          const bool payloads = outcome->node->config.deliver_payloads();
          notifier_->broadcast(owner, node, outcome->node->config, [&](xmpp::Element& event) {
            pep::Notifier::add_item(event, node, stored.id,
                                    payloads ? std::string_view(stored.payload) : "");
          });
        });
  }

  // XEP-0060 §6.1 and §6.2 (XEP-0163 §5 requires both): an explicit subscription of the
  // requester's bare or full JID, within the node's access model; a new subscriber gets the last
  // item at once (XEP-0163 §4.3.4).
  void subscription(IqRequest& req, const xmpp::Element& request, bool subscribe) {
    std::string node(request.attr("node"));
    if (node.empty()) {
      return req.reply_error(nodeid_required());
    }
    auto jid = xmpp::Jid::parse(request.attr("jid"));
    if (!jid || jid->bare_view() != req.from().bare_view() ||
        (jid->has_resource() && *jid != req.from())) {
      // §6.1.3.1 and §6.2.3.3: only one's own JID.
      return req.reply_error(
          pubsub_error(xmpp::StanzaError::bad_request("subscribe your own JID"), "invalid-jid"));
    }
    const std::string owner = owner_of(req);
    const bool is_owner = owner == req.from().bare_view();
    auto txn = ctx_->read();
    if (!txn) {
      return req.reply_error(xmpp::StanzaError::internal_server_error());
    }
    auto found = store_.node(*txn, owner, node);
    if (!found) {
      return req.reply_error(xmpp::StanzaError::item_not_found("no such node"));
    }
    if (subscribe) {
      std::optional<roster::RosterItem> contact;
      if (!is_owner) {
        contact = roster_->item(*txn, owner, req.from().bare_view());
      }
      if (Access verdict = pep::access(found->config, is_owner, contact);
          verdict != Access::Allowed) {
        log_.info("pep.refused", "PEP subscription refused by the node's access model",
                  {{"from", req.from().bare_view()}, {"owner", owner}, {"node", node}});
        return req.reply_error(pep::access_error(verdict));
      }
    }
    auto outcome = std::make_shared<WriteOutcome>();
    ctx_->write(
        [this, owner, node, subscriber = std::string(jid->full()), subscribe,
         outcome](WriteTxn& txn) -> Result<void, StoreError> {
          outcome->node = store_.node(txn, owner, node);
          if (!outcome->node) {
            outcome->error = xmpp::StanzaError::item_not_found("no such node");
            return {};
          }
          if (!subscribe) {
            auto removed = store_.unsubscribe(txn, owner, node, subscriber);
            if (!removed) {
              return Err(removed.error());
            }
            if (!*removed) {  // §6.2.3.2
              outcome->error = pubsub_error(xmpp::StanzaError::unexpected_request("not subscribed"),
                                            "not-subscribed");
            }
            return {};
          }
          if (!store_.subscribed(txn, owner, node, subscriber) &&
              store_.subscribers(txn, owner, node).size() >= max_subscribers_) {
            outcome->error = xmpp::StanzaError::resource_constraint(
                "at most " + std::to_string(max_subscribers_) + " subscribers per node");
            return {};
          }
          return store_.subscribe(txn, owner, node, subscriber);
        },
        [this, reply = req.defer(), outcome, owner, node, subscriber = *jid,
         subscribe](StoreStatus status) {
          if (!status) {
            return reply->reply_error(xmpp::StanzaError::internal_server_error());
          }
          if (outcome->error) {
            log_.info("pep.refused", "PEP subscription change refused",
                      {{"jid", subscriber.bare_view()},
                       {"node", node},
                       {"reason", outcome->error->text}});
            return reply->reply_error(*outcome->error);
          }
          if (!subscribe) {
            return reply->reply_result();
          }
          reply->reply_result({xmpp::ns::kPubsub, "pubsub"}, [&](xmpp::Element& pubsub) {
            pubsub.add_child("subscription")
                .set_attr("node", node)
                .set_attr("jid", subscriber.full())
                .set_attr("subscription", "subscribed");
          });
          const NodeConfig& config = outcome->node->config;
          if (config.send_last_published_item() == pep::SendLastItem::Never) {
            return;
          }
          std::optional<pep::Item> last;
          if (auto read = ctx_->read()) {
            last = store_.last_item(*read, owner, *outcome->node);
          }  // the read ends before anything is routed
          if (last) {
            notifier_->send_item(owner, subscriber, node, *last, config.deliver_payloads());
          }
        });
  }

  // XEP-0060 §7.2.
  void retract(IqRequest& req, const xmpp::Element& request) {
    std::string node(request.attr("node"));
    const xmpp::Element* item = request.child("item");
    if (node.empty()) {
      return req.reply_error(nodeid_required());
    }
    if (item == nullptr || item->attr("id").empty()) {
      return req.reply_error(
          pubsub_error(xmpp::StanzaError::bad_request("an item id is required"), "item-required"));
    }
    const std::string notify_attr(request.attr("notify"));
    std::string id(item->attr("id"));
    const std::string owner(req.from().bare_view());
    auto outcome = std::make_shared<WriteOutcome>();
    ctx_->write(
        [this, owner, node, id, outcome](WriteTxn& txn) -> Result<void, StoreError> {
          std::optional<Node> found = store_.node(txn, owner, node);
          if (!found) {
            outcome->error = xmpp::StanzaError::item_not_found("no such node");
            return {};
          }
          auto existed = store_.retract(txn, owner, *found, id);
          if (!existed) {
            return Err(existed.error());
          }
          if (!*existed) {
            outcome->error = xmpp::StanzaError::item_not_found("no such item");
            return {};
          }
          outcome->node = std::move(found);
          return {};
        },
        [this, reply = req.defer(), outcome, owner, node, id, notify_attr](StoreStatus status) {
          if (!status) {
            return reply->reply_error(xmpp::StanzaError::internal_server_error());
          }
          if (outcome->error) {
            return reply->reply_error(*outcome->error);
          }
          reply->reply_result();
          auto notify = xmpp::form_boolean(notify_attr);
          if (notify.value_or(outcome->node->config.notify_retract())) {
            notifier_->broadcast(owner, node, outcome->node->config, [&](xmpp::Element& event) {
              event.add_child("items")
                  .set_attr("node", node)
                  .add_child("retract")
                  .set_attr("id", id);
            });
          }
        });
  }

  // XEP-0060 §8.1 (with §8.1.3's configure form).
  void create(IqRequest& req, const xmpp::Element& request) {
    std::string node(request.attr("node"));
    if (node.empty()) {
      return req.reply_error(unsupported("instant-nodes"));
    }
    auto config =
        form_in(req.payload().child("configure", xmpp::ns::kPubsub), pep::kNodeConfigForm);
    if (!config) {
      return req.reply_error(config.error());
    }
    Node created{node, {}, 1, 0};
    if (*config && (*config)->type == "submit") {
      if (auto bad = created.config.apply(**config, limits_)) {
        log_.info("pep.refused", "PEP node creation refused: bad configuration",
                  {{"jid", req.from().bare_view()}, {"reason", *bad}});
        return req.reply_error(xmpp::StanzaError::not_acceptable(*bad));
      }
    }
    const std::string owner(req.from().bare_view());
    auto outcome = std::make_shared<WriteOutcome>();
    ctx_->write(
        [this, owner, created, outcome](WriteTxn& txn) -> Result<void, StoreError> {
          if (store_.node(txn, owner, created.name)) {
            outcome->error = xmpp::StanzaError::conflict("the node exists");
            return {};
          }
          if (store_.node_count(txn, owner) >= max_nodes_) {
            outcome->error = xmpp::StanzaError::resource_constraint(
                "at most " + std::to_string(max_nodes_) + " nodes per account");
            return {};
          }
          return store_.put_node(txn, owner, created);
        },
        [this, reply = req.defer(), outcome, owner, node](StoreStatus status) {
          if (!status) {
            return reply->reply_error(xmpp::StanzaError::internal_server_error());
          }
          if (outcome->error) {
            log_.info("pep.refused", "PEP node creation refused",
                      {{"jid", owner}, {"node", node}, {"reason", outcome->error->text}});
            return reply->reply_error(*outcome->error);
          }
          reply->reply_result();
        });
  }

  // XEP-0060 §8.2.
  void configure(IqRequest& req, const xmpp::Element& request, const std::string& node) {
    const xmpp::Element* x = request.child("x", xmpp::ns::kDataForms);
    auto form = x ? xmpp::read_form(*x) : std::nullopt;
    if (!form || (form->type != "submit" && form->type != "cancel") ||
        (!form->form_type.empty() && form->form_type != pep::kNodeConfigForm)) {
      return req.reply_error(
          xmpp::StanzaError::bad_request("expected a submitted node_config form"));
    }
    if (form->type == "cancel") {
      req.reply_result();  // §8.2.6
      return;
    }
    NodeConfig check;
    if (auto bad = check.apply(*form, limits_)) {
      log_.info("pep.refused", "PEP node configuration refused",
                {{"jid", req.from().bare_view()}, {"node", node}, {"reason", *bad}});
      return req.reply_error(xmpp::StanzaError::not_acceptable(*bad));
    }
    const std::string owner(req.from().bare_view());
    auto outcome = std::make_shared<WriteOutcome>();
    ctx_->write(
        [this, owner, node, form = std::move(*form),
         outcome](WriteTxn& txn) -> Result<void, StoreError> {
          std::optional<Node> found = store_.node(txn, owner, node);
          if (!found) {
            outcome->error = xmpp::StanzaError::item_not_found("no such node");
            return {};
          }
          if (auto bad = found->config.apply(form, limits_)) {
            outcome->error = xmpp::StanzaError::not_acceptable(*bad);
            return {};
          }
          // Fewer items allowed now: the oldest go at once.
          const std::int64_t keep =
              found->config.persist_items() ? found->config.max_items(limits_) : 1;
          std::vector<pep::Item> items = store_.items(txn, owner, node);
          for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < items.size(); ++i) {
            if (auto gone = store_.retract(txn, owner, *found, items[i].id); !gone) {
              return Err(gone.error());
            }
          }
          return store_.put_node(txn, owner, *found);
        },
        [reply = req.defer(), outcome](StoreStatus status) {
          if (!status) {
            return reply->reply_error(xmpp::StanzaError::internal_server_error());
          }
          if (outcome->error) {
            return reply->reply_error(*outcome->error);
          }
          reply->reply_result();
        });
  }

  // XEP-0060 §8.4 and §8.5: the node and its items, or its items only, with notifications.
  void delete_node(IqRequest& req, const std::string& node) { remove(req, node, true); }
  void purge(IqRequest& req, const std::string& node) { remove(req, node, false); }

  void remove(IqRequest& req, const std::string& node, bool whole) {
    const std::string owner(req.from().bare_view());
    auto outcome = std::make_shared<WriteOutcome>();
    ctx_->write(
        [this, owner, node, whole, outcome](WriteTxn& txn) -> Result<void, StoreError> {
          std::optional<Node> found = store_.node(txn, owner, node);
          if (!found) {
            outcome->error = xmpp::StanzaError::item_not_found("no such node");
            return {};
          }
          auto done =
              whole ? store_.delete_node(txn, owner, node) : store_.purge(txn, owner, *found);
          outcome->node = std::move(found);
          return done;
        },
        [this, reply = req.defer(), outcome, owner, node, whole](StoreStatus status) {
          if (!status) {
            return reply->reply_error(xmpp::StanzaError::internal_server_error());
          }
          if (outcome->error) {
            return reply->reply_error(*outcome->error);
          }
          reply->reply_result();
          const NodeConfig& config = outcome->node->config;
          if (whole ? config.notify_delete() : config.notify_retract()) {
            notifier_->broadcast(owner, node, config, [&](xmpp::Element& event) {
              event.add_child(whole ? "delete" : "purge").set_attr("node", node);
            });
          }
        });
  }

  // --- presence and caps ----------------------------------------------------------------------

  // XEP-0163 §4.3.4: a resource's initial presence brings it the last items it asks for; a
  // resource whose caps are not known yet is asked (disco#info from its own bare JID, which the
  // answer is addressed back to) and served when the answer comes.
  void presence(const PresenceBroadcast& b) {
    if (b.change == PresenceChange::Unavailable) {
      return;
    }
    auto claim = xmpp::caps_claim(b.presence.root());
    auto nodes = interests_->of(b.from.full(), claim);
    if (nodes) {
      if (b.change == PresenceChange::Initial) {
        notifier_->send_last_items(b.from, *nodes);
      }
      return;
    }
    auto query = interests_->wait_for(b.from.full(), *claim, b.change == PresenceChange::Initial);
    if (!query) {
      if (interests_->full()) {
        log_.warn("limit.refused", "caps not asked: too many queries in flight",
                  {{"jid", b.from.full()}});
      }
      return;
    }
    xmpp::StanzaPtr iq = xmpp::Stanza::create("iq", xmpp::ns::kClient);
    iq->root()
        .set_attr("type", "get")
        .set_attr("id", query->id)
        .set_attr("from", b.from.bare_view())
        .set_attr("to", b.from.full())
        .add_child("query", xmpp::ns::kDiscoInfo)
        .set_attr("node", query->node);
    ctx_->send_to_session(b.from, std::move(iq));
  }

  Verdict caps_answer(xmpp::Stanza& iq) {
    std::string_view type = iq.type();
    if ((type != "result" && type != "error") || !iq.id().starts_with("pep-caps-")) {
      return Verdict::Continue;
    }
    const xmpp::Element* query =
        type == "result" ? iq.root().child("query", xmpp::ns::kDiscoInfo) : nullptr;
    pep::Interests::Answered answered = interests_->answer(iq.id(), iq.from(), query);
    if (!answered.known) {
      return Verdict::Continue;
    }
    log_.debug("pep.caps", "capabilities learnt",
               {{"jid", iq.from()}, {"verified", answered.verified}});
    for (const std::string& full : answered.owed) {
      auto jid = xmpp::Jid::parse(full);
      auto claim_nodes = jid ? interests_->of(full, claim_of(*jid)) : nullptr;
      if (claim_nodes) {
        notifier_->send_last_items(*jid, *claim_nodes);
      }
    }
    return Verdict::Handled;
  }

  // The caps a connected resource announced last.
  std::optional<xmpp::CapsClaim> claim_of(const xmpp::Jid& full) const {
    for (const ResourceInfo& resource : ctx_->resources(full.bare_view())) {
      if (resource.jid == full && resource.presence) {
        return xmpp::caps_claim(resource.presence->root());
      }
    }
    return std::nullopt;
  }

  ModuleContext* ctx_ = nullptr;
  log::Logger log_;
  pep::NodeStore store_;
  pep::ConfigLimits limits_;
  std::size_t max_item_bytes_ = 131072;
  std::size_t max_nodes_ = 128;
  std::size_t max_subscribers_ = 1000;
  roster::RosterService* roster_ = nullptr;
  std::shared_ptr<pep::Interests> interests_;
  std::optional<pep::Notifier> notifier_;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Pep, pep, "XEP-0163 personal eventing on a XEP-0060 PubSub core", "roster", "blocking?")
