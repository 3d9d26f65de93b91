// SPDX-License-Identifier: MIT
// An XEP-0357 app server inside ternd that wakes Android (and iOS) phones through Firebase Cloud
// Messaging's HTTP v1 API (docs/push.md). It serves push.HOST:
//   - a phone registers its FCM token with the ad-hoc command register-push-fcm (XEP-0050; the
//     command Conversations sends its app server) and gets a node and a secret, which it then
//     gives its own server in <enable/> (XEP-0357 §5); unregister-push-fcm forgets it;
//   - the push module publishes a notification to that node when a message waits for the
//     phone; this app server checks that the publisher owns the node and knows its secret, and
//     asks FCM to wake the device — with the node only, never the message's content.
// FCM is reached with the project's HTTP client (c-ares, TLS verified): an OAuth 2.0 access
// token from the service account (service_account.h), kept until shortly before it expires; a
// send that gets 429, 5xx or no answer is retried with exponential backoff (Retry-After
// honoured); a token FCM reports UNREGISTERED disables its registration.
#include <chrono>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>

#include "modules/push_fcm/fcm_message.h"
#include "modules/push_fcm/service_account.h"
#include "tern/module_api.h"
#include "tern/record.h"
#include "xmpp/random_ids.h"

namespace tern::modules {
namespace {

namespace ns = xmpp::ns;
using push_fcm::FcmOutcome;

constexpr std::string_view kCommands = "http://jabber.org/protocol/commands";
constexpr std::string_view kPubsub = "http://jabber.org/protocol/pubsub";
constexpr std::string_view kPush = "urn:xmpp:push:0";
constexpr std::string_view kRegister = "register-push-fcm";
constexpr std::string_view kUnregister = "unregister-push-fcm";

// What the app server keeps per node (store "push_fcm", global: node → registration), and an
// index of each owner's nodes ("\x01" owner "\0" node → nothing; node keys are hex, so the two
// never meet) that bounds how many one account may have.
struct FcmRegistration {
  std::string owner;  // bare JID
  std::string token;  // the device's FCM registration token
  std::string secret;
};

std::string encode(const FcmRegistration& r) {
  std::string out;
  record::put_u8(out, 1);
  record::put_str16(out, r.owner);
  record::put_str16(out, r.token);
  record::put_str16(out, r.secret);
  return out;
}

std::optional<FcmRegistration> decode(std::string_view data) {
  record::Reader reader(data);
  if (reader.u8() != 1) {
    return std::nullopt;
  }
  FcmRegistration r{reader.str16(), reader.str16(), reader.str16()};
  return reader.ok() ? std::optional(r) : std::nullopt;
}

// The value of field `var` in a data form (XEP-0004), or empty.
std::string_view form_value(const xmpp::Element* form, std::string_view var) {
  if (form == nullptr) {
    return {};
  }
  for (const xmpp::Element& field : form->children()) {
    if (field.name() == "field" && field.attr("var") == var) {
      return field.child_text("value", ns::kDataForms);
    }
  }
  return {};
}

std::string owner_key(std::string_view owner, std::string_view node) {
  std::string key = "\x01";
  key += owner;
  key += '\0';
  key += node;
  return key;
}

std::uint64_t now_s() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

class PushFcm final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    log_ = ctx.log();
    const std::string path = ctx.options().required_string("service_account");
    fcm_url_ = ctx.options().string(
        "fcm_url", "https://fcm.googleapis.com/v1/projects/{project}/messages:send");
    max_attempts_ = static_cast<int>(ctx.options().integer("max_attempts", 5, 1, 20));
    retry_base_ms_ = ctx.options().integer("retry_base_ms", 1000, 10, 600'000);
    retry_max_ms_ = ctx.options().integer("retry_max_ms", 300'000, 10, 3'600'000);
    timeout_ms_ =
        static_cast<std::uint64_t>(ctx.options().integer("timeout_ms", 10'000, 100, 120'000));
    const std::string subdomain = ctx.options().string("subdomain", "push");
    max_registrations_ =
        static_cast<std::size_t>(ctx.options().integer("max_registrations", 10, 1, 1000));
    max_pending_ =
        static_cast<std::size_t>(ctx.options().integer("max_pending", 10000, 1, 10'000'000));
    std::ifstream file(path);
    if (!file) {
      throw ModuleOptionError("[modules.push_fcm] service_account: cannot read " + path);
    }
    std::stringstream text;
    text << file.rdbuf();
    auto account = push_fcm::parse_service_account(text.str());
    if (!account) {
      throw ModuleOptionError("[modules.push_fcm] service_account " + path + ": " +
                              account.error());
    }
    account_ = std::move(account).value();
    if (const std::size_t at = fcm_url_.find("{project}"); at != std::string::npos) {
      fcm_url_.replace(at, 9, account_.project_id);
    }
    store_ = ctx.open_store("push_fcm", StoreScope::Global);
    ctx.serve_domain(subdomain, "Push notifications (FCM)",
                     [this](xmpp::StanzaPtr stanza) { on_stanza(*stanza); });
  }

 private:
  void on_stanza(const xmpp::Stanza& stanza) {
    const xmpp::Jid* from = stanza.from_jid();
    const std::string_view type = stanza.type();
    if (stanza.kind() != xmpp::StanzaKind::Iq || from == nullptr ||
        (type != "get" && type != "set")) {
      return;
    }
    const xmpp::Element* payload = stanza.root().first_child();
    if (payload == nullptr || stanza.root().child_element_count() != 1) {
      return error(stanza, xmpp::StanzaError::bad_request());
    }
    if (type == "get" && payload->is("query", ns::kDiscoInfo)) {
      xmpp::StanzaPtr reply = xmpp::make_iq_result(stanza.root());
      xmpp::Element& query = reply->root().add_child("query", ns::kDiscoInfo);
      query.add_child("identity", ns::kDiscoInfo)
          .set_attr("category", "pubsub")
          .set_attr("type", "push")
          .set_attr("name", "FCM app server");
      for (std::string_view f : {ns::kDiscoInfo, kCommands, kPush}) {
        query.add_child("feature", ns::kDiscoInfo).set_attr("var", f);
      }
      return ctx_->route(std::move(reply));
    }
    if (type == "set" && payload->is("command", kCommands)) {
      return command(stanza, *payload, *from);
    }
    if (type == "set" && payload->is("pubsub", kPubsub)) {
      return publish(stanza, *payload, *from);
    }
    error(stanza, xmpp::StanzaError::service_unavailable());
  }

  void error(const xmpp::Stanza& stanza, const xmpp::StanzaError& e) {
    if (xmpp::StanzaPtr reply = xmpp::make_error_reply(stanza.root(), e)) {
      ctx_->route(std::move(reply));
    }
  }

  // XEP-0050: register-push-fcm (token → node and secret), unregister-push-fcm (node).
  void command(const xmpp::Stanza& stanza, const xmpp::Element& command, const xmpp::Jid& from) {
    const std::string_view node = command.attr("node");
    const xmpp::Element* form = command.child("x", ns::kDataForms);
    const std::string owner(from.bare_view());
    if (node == kRegister) {
      const std::string token(form_value(form, "token"));
      if (token.empty() || token.size() > 4096) {
        return error(stanza, xmpp::StanzaError::bad_request("a token field is required"));
      }
      register_device(stanza, owner, token);
      return;
    }
    if (node == kUnregister) {
      const std::string push_node(form_value(form, "node"));
      auto request = std::make_shared<xmpp::StanzaPtr>(stanza.clone());
      ctx_->write(
          [store = store_, push_node, owner](WriteTxn& txn) -> Result<void, StoreError> {
            auto value = txn.get(store, push_node);
            std::optional<FcmRegistration> r = value ? decode(*value) : std::nullopt;
            if (r && r->owner == owner) {
              if (auto removed = txn.remove(store, push_node); !removed) {
                return Err(removed.error());
              }
              if (auto removed = txn.remove(store, owner_key(owner, push_node)); !removed) {
                return Err(removed.error());
              }
            }
            return {};
          },
          [this, request](StoreStatus status) {
            if (!status) {
              return error(**request, xmpp::StanzaError::internal_server_error());
            }
            xmpp::StanzaPtr reply = xmpp::make_iq_result((*request)->root());
            reply->root()
                .add_child("command", kCommands)
                .set_attr("node", kUnregister)
                .set_attr("status", "completed");
            ctx_->route(std::move(reply));
          });
      return;
    }
    error(stanza, xmpp::StanzaError::item_not_found("no such command"));
  }

  // The same token registered again gets its node back; past max_registrations, no more.
  void register_device(const xmpp::Stanza& stanza, const std::string& owner,
                       const std::string& token) {
    auto registration =
        std::make_shared<FcmRegistration>(FcmRegistration{owner, token, xmpp::random_hex(16)});
    auto push_node = std::make_shared<std::string>(xmpp::random_hex(16));
    auto full = std::make_shared<bool>(false);
    auto request = std::make_shared<xmpp::StanzaPtr>(stanza.clone());
    ctx_->write(
        [store = store_, push_node, registration, full,
         max = max_registrations_](WriteTxn& txn) -> Result<void, StoreError> {
          const std::string prefix = owner_key(registration->owner, "");
          std::size_t count = 0;
          bool found = false;
          txn.scan(store, prefix, [&](std::string_view key, std::string_view) {
            ++count;
            const std::string node(key.substr(prefix.size()));
            auto value = txn.get(store, node);
            std::optional<FcmRegistration> existing = value ? decode(*value) : std::nullopt;
            if (existing && existing->token == registration->token) {
              *push_node = node;
              *registration = *existing;
              found = true;
              return false;
            }
            return true;
          });
          if (found) {
            return {};
          }
          if (count >= max) {
            *full = true;
            return {};
          }
          if (auto r = txn.put(store, owner_key(registration->owner, *push_node), ""); !r) {
            return r;
          }
          return txn.put(store, *push_node, encode(*registration));
        },
        [this, request, push_node, registration, full](StoreStatus status) {
          if (!status) {
            return error(**request, xmpp::StanzaError::internal_server_error());
          }
          if (*full) {
            log_.info("limit.refused", "FCM registration refused: max_registrations",
                      {{"jid", registration->owner}});
            return error(**request, xmpp::StanzaError::resource_constraint(
                                        "too many devices registered for push"));
          }
          log_.info("push.registered", "device registered for FCM",
                    {{"jid", registration->owner}, {"node", *push_node}});
          xmpp::StanzaPtr reply = xmpp::make_iq_result((*request)->root());
          xmpp::Element& done = reply->root()
                                    .add_child("command", kCommands)
                                    .set_attr("node", kRegister)
                                    .set_attr("sessionid", xmpp::random_hex(8))
                                    .set_attr("status", "completed");
          xmpp::Element& result = done.add_child("x", ns::kDataForms).set_attr("type", "result");
          for (auto [var, value] :
               {std::pair<std::string_view, std::string_view>{"node", *push_node},
                {"secret", registration->secret}}) {
            result.add_child("field", ns::kDataForms)
                .set_attr("var", var)
                .add_child("value", ns::kDataForms)
                .add_text(value);
          }
          ctx_->route(std::move(reply));
        });
  }

  // XEP-0357 §7: a notification for a node. Only its owner's server publishes, with its secret.
  void publish(const xmpp::Stanza& stanza, const xmpp::Element& pubsub, const xmpp::Jid& from) {
    const xmpp::Element* publish = pubsub.child("publish", kPubsub);
    if (publish == nullptr) {
      return error(stanza, xmpp::StanzaError::bad_request());
    }
    const std::string node(publish->attr("node"));
    std::optional<FcmRegistration> registration;
    if (auto txn = ctx_->read()) {
      if (auto value = txn->get(store_, node)) {
        registration = decode(*value);
      }
    }
    if (!registration || registration->owner != from.bare_view()) {
      return error(stanza, xmpp::StanzaError::item_not_found("no such node"));
    }
    const xmpp::Element* options = pubsub.child("publish-options", kPubsub);
    const std::string_view secret =
        form_value(options != nullptr ? options->child("x", ns::kDataForms) : nullptr, "secret");
    if (secret != registration->secret) {
      log_.warn("limit.refused", "push refused: wrong secret", {{"node", node}});
      return error(stanza, xmpp::StanzaError::forbidden("wrong secret"));
    }
    ctx_->route(xmpp::make_iq_result(stanza.root()));
    // Pushes sending or waiting for a retry are bounded: while FCM is down they pile up, each
    // with a timer. Past the bound a push is dropped (the user's server published it: the
    // message itself waits offline either way).
    if (pending_ >= max_pending_) {
      log_.warn("limit.refused", "push dropped: max_pending pushes wait for FCM already",
                {{"node", node}, {"limit", static_cast<std::int64_t>(max_pending_)}});
      return;
    }
    ++pending_;
    send(node, registration->token, 1);
  }

  // A push is over (sent, refused, given up): one less pending.
  void settled() {
    if (pending_ > 0) {
      --pending_;
    }
  }

  // One FCM send, attempt `attempt` of max_attempts_.
  void send(const std::string& node, const std::string& token, int attempt) {
    with_access_token([this, node, token, attempt](const std::string& access,
                                                   const std::string& error) {
      if (!error.empty()) {
        return retry_or_give_up(node, token, attempt, 0, error);
      }
      HttpClientRequest request;
      request.url = fcm_url_;
      request.timeout_ms = timeout_ms_;
      request.headers = {{"Authorization", "Bearer " + access},
                         {"Content-Type", "application/json; charset=utf-8"}};
      request.body = push_fcm::fcm_request_body(token, node);
      ctx_->http_request(std::move(request), [this, node, token,
                                              attempt](const HttpClientResponse& response) {
        switch (push_fcm::classify_fcm_response(response)) {
          case FcmOutcome::Sent:
            log_.info("push.sent", "device woken through FCM", {{"node", node}});
            return settled();
          case FcmOutcome::Unregistered:
            settled();
            return disable(node);
          case FcmOutcome::Reauthorize:
            access_token_.clear();  // fetched again by the retry
            [[fallthrough]];
          case FcmOutcome::Retry:
            return retry_or_give_up(
                node, token, attempt, push_fcm::retry_after_seconds(response),
                response.status != 0 ? "HTTP " + std::to_string(response.status) : response.error);
          case FcmOutcome::Failed:
            log_.warn("push.failed", "FCM refused the push",
                      {{"node", node}, {"status", static_cast<std::int64_t>(response.status)}});
            return settled();
        }
      });
    });
  }

  void retry_or_give_up(const std::string& node, const std::string& token, int attempt,
                        std::uint64_t retry_after_s, const std::string& why) {
    if (attempt >= max_attempts_) {
      log_.warn("push.failed", "FCM push given up",
                {{"node", node}, {"attempts", static_cast<std::int64_t>(attempt)}, {"error", why}});
      return settled();
    }
    std::int64_t delay = retry_base_ms_ << std::min(attempt - 1, 20);
    delay = std::min(delay, retry_max_ms_);
    if (retry_after_s > 0) {
      delay = std::min<std::int64_t>(
          std::max<std::int64_t>(delay, static_cast<std::int64_t>(retry_after_s) * 1000),
          retry_max_ms_);
    }
    log_.info("push.retry", "FCM push to be retried",
              {{"node", node},
               {"attempt", static_cast<std::int64_t>(attempt)},
               {"delay_ms", delay},
               {"error", why}});
    ctx_->after(std::chrono::milliseconds(delay),
                [this, node, token, attempt] { send(node, token, attempt + 1); });
  }

  // FCM says the token is dead: the node goes, and the next publish to it gets item-not-found,
  // which tells the user's server to stop publishing there.
  void disable(const std::string& node) {
    log_.info("push.unregistered", "FCM reports the device unregistered: registration removed",
              {{"node", node}});
    ctx_->write(
        [store = store_, node](WriteTxn& txn) -> Result<void, StoreError> {
          auto value = txn.get(store, node);
          std::optional<FcmRegistration> r = value ? decode(*value) : std::nullopt;
          if (auto removed = txn.remove(store, node); !removed) {
            return Err(removed.error());
          }
          if (r) {
            if (auto removed = txn.remove(store, owner_key(r->owner, node)); !removed) {
              return Err(removed.error());
            }
          }
          return {};
        },
        [](StoreStatus) {});
  }

  using TokenWaiter = std::function<void(const std::string& access, const std::string& error)>;

  // The cached access token, or a new one (requests meanwhile wait for the same fetch).
  void with_access_token(TokenWaiter waiter) {
    if (!access_token_.empty() && now_s() < access_expires_s_) {
      return waiter(access_token_, {});
    }
    waiting_.push_back(std::move(waiter));
    if (waiting_.size() > 1) {
      return;  // a fetch is on its way
    }
    HttpClientRequest request;
    request.url = account_.token_uri;
    request.timeout_ms = timeout_ms_;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = push_fcm::token_request_body(push_fcm::make_assertion(account_, now_s()));
    ctx_->http_request(std::move(request), [this](const HttpClientResponse& response) {
      std::optional<push_fcm::AccessToken> token;
      if (response.status == 200) {
        token = push_fcm::parse_token_response(response.body);
      }
      std::string error;
      if (token) {
        access_token_ = token->token;
        // Renewed a minute early: a token must not expire on its way to FCM.
        access_expires_s_ = now_s() + (token->expires_in_s > 120 ? token->expires_in_s - 60 : 60);
      } else {
        error = response.status != 0 ? "token endpoint: HTTP " + std::to_string(response.status)
                                     : "token endpoint: " + response.error;
        log_.warn("push.auth_failed", "no FCM access token", {{"error", error}});
      }
      std::deque<TokenWaiter> waiting;
      waiting.swap(waiting_);
      for (TokenWaiter& w : waiting) {
        w(access_token_, error);
      }
    });
  }

  ModuleContext* ctx_ = nullptr;
  log::Logger log_;
  push_fcm::ServiceAccount account_;
  std::string fcm_url_;
  int max_attempts_ = 5;
  std::int64_t retry_base_ms_ = 1000;
  std::int64_t retry_max_ms_ = 300'000;
  std::uint64_t timeout_ms_ = 10'000;
  std::size_t max_registrations_ = 10;
  std::size_t max_pending_ = 10000;
  std::size_t pending_ = 0;  // pushes sending or waiting for a retry on this worker
  StoreId store_;
  std::string access_token_;
  std::uint64_t access_expires_s_ = 0;
  std::deque<TokenWaiter> waiting_;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(PushFcm, push_fcm, "XEP-0357 app server waking phones through FCM HTTP v1")
