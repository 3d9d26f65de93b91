// SPDX-License-Identifier: MIT
// XEP-0160 offline messages. A message for an account with no resource that can take it
// (RFC 6121 §8.5.2.2.1) is committed to the account's queue in the store (storage/
// offline_store), marked with a XEP-0359 <stanza-id/> so that clients can recognise a
// retransmission; it is delivered, oldest first and with a XEP-0203 <delay/> stamp, when the
// account next sends available presence with a non-negative priority, and deleted from the queue
// only once it has been handed to that session's socket. A session that ends before that leaves
// the message queued for the next one (at-least-once; the stanza-id makes a repeat harmless).
//
// What is stored: chat and normal messages that carry a body, a XEP-0184 receipt, a XEP-0333
// marker, or the XEP-0334 <store/> hint, unless they carry <no-store/> or <no-permanent-store/>.
// Other chat or normal messages (a bare chat state, say) and headlines are dropped quietly, as
// RFC 6121 allows; groupchat and errors are left to the router (bounced, or dropped for errors).
// Over the per-account quota ([modules.offline] max_messages) the sender gets
// resource-constraint: nothing is dropped silently.
#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>

#include "storage/offline_store.h"
#include "tern/module_api.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace tern::modules {
namespace {

using storage::OfflineMessage;
using storage::OfflineStore;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// XEP-0082 date-time in UTC with milliseconds.
std::string xep82_stamp(std::int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

// A random UUID (version 4) for XEP-0359: unique and not guessable.
std::string new_stanza_id() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  char text[40];
  std::snprintf(text, sizeof text,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return text;
}

bool has_child_ns(const xmpp::Element& e, std::string_view name, std::string_view ns) {
  return e.child(name, ns) != nullptr;
}

// Whether a chat or normal message is worth keeping (see the file comment).
bool worth_storing(const xmpp::Element& message) {
  if (has_child_ns(message, "no-store", xmpp::ns::kHints) ||
      has_child_ns(message, "no-permanent-store", xmpp::ns::kHints)) {
    return false;
  }
  if (message.child("body", xmpp::ns::kClient) != nullptr ||
      has_child_ns(message, "store", xmpp::ns::kHints) ||
      has_child_ns(message, "received", xmpp::ns::kReceipts)) {
    return true;
  }
  for (const char* marker : {"received", "displayed", "acknowledged"}) {
    if (has_child_ns(message, marker, xmpp::ns::kChatMarkers)) {
      return true;
    }
  }
  return false;
}

// XEP-0359 §3: the server adds its own <stanza-id by=…/> and removes any that claims to be
// from it (a client must not be able to forge one).
void stamp_stanza_id(xmpp::Element& message, std::string_view by) {
  std::vector<xmpp::Element*> forged;
  for (xmpp::Element& child : message.children()) {
    if (child.is("stanza-id", xmpp::ns::kStanzaId) && child.attr("by") == by) {
      forged.push_back(&child);
    }
  }
  for (xmpp::Element* e : forged) {
    message.remove_child(e);
  }
  message.add_child("stanza-id", xmpp::ns::kStanzaId)
      .set_attr("id", new_stanza_id())
      .set_attr("by", by);
}

class Offline final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    // [modules.offline] max_messages: the most messages one account's queue may hold.
    quota_ = static_cast<std::size_t>(ctx.options().integer("max_messages", 10000, 1, 1000000));
    ctx.add_disco_feature("msgoffline");  // XEP-0160 §4
    ctx.add_disco_feature(xmpp::ns::kStanzaId);
    ctx.on_undeliverable_message([this](xmpp::StanzaPtr& stanza) { return store(stanza); });
    ctx.on_outbound(xmpp::StanzaKind::Message, [this](xmpp::StanzaPtr& stanza) {
      strip_forgeries(stanza->root());
      return Verdict::Continue;
    });
    ctx.on_presence_broadcast([this](const PresenceBroadcast& b) {
      if (b.change == PresenceChange::Initial) {
        deliver_if_eligible(std::string(b.from.bare_view()), b.from);
      }
    });
  }

 private:
  Verdict store(xmpp::StanzaPtr& stanza) {
    std::string_view type = stanza->type();
    if (type == "groupchat" || type == "error") {
      return Verdict::Continue;
    }
    if (type == "headline" || !worth_storing(stanza->root())) {
      return Verdict::Handled;  // RFC 6121 §8.5.2.2.1: may be silently ignored
    }
    auto to = xmpp::Jid::parse(stanza->to());
    if (!to) {
      return Verdict::Continue;
    }
    std::string owner(to->bare_view());
    // A message this server delivered before (from the queue, then never acknowledged) keeps its
    // stanza-id and delay, so that the client recognises it; anything else gets a fresh id.
    if (!delayed_by_us(stanza->root())) {
      stamp_stanza_id(stanza->root(), owner);
    }
    std::string xml = xmpp::to_xml(stanza->root());
    std::shared_ptr<xmpp::Stanza> original(stanza.release());
    // XEP-0198: the sender hears the message is safe only once it is committed.
    std::shared_ptr<void> ack = ctx_->hold_ack();
    auto stored = std::make_shared<std::optional<std::uint64_t>>();
    std::int64_t stamp = now_ms();
    std::size_t quota = quota_;
    ctx_->write(
        [owner, xml = std::move(xml), stamp, quota,
         stored](storage::WriteTxn& txn) -> Result<void, storage::StorageError> {
          auto pushed = OfflineStore::push(txn, owner, stamp, xml, quota);
          if (!pushed) {
            return Err(pushed.error());
          }
          *stored = *pushed;
          return {};
        },
        [this, owner, original, stored, ack](bool ok) {
          if (!ok || !stored->has_value()) {
            // Over quota (or the store failed): the sender hears of it, per XEP-0160 §3.
            if (auto error = xmpp::make_error_reply(
                    original->root(), ok ? xmpp::StanzaError::resource_constraint("offline quota")
                                         : xmpp::StanzaError::internal_server_error())) {
              ctx_->route(std::move(error));
            }
            return;
          }
          // The account may have come online while the write was committing.
          if (auto resource = best_resource(owner)) {
            deliver_queue(owner, *resource);
          }
        });
    return Verdict::Handled;
  }

  // An available resource with non-negative priority (RFC 6121 §8.5.2.1.1), the highest.
  std::optional<xmpp::Jid> best_resource(const std::string& owner) const {
    std::optional<xmpp::Jid> best;
    int best_priority = -1;
    for (const ResourceInfo& r : ctx_->resources(owner)) {
      if (r.available && r.priority > best_priority) {
        best = r.jid;
        best_priority = r.priority;
      }
    }
    return best;
  }

  void deliver_if_eligible(const std::string& owner, const xmpp::Jid& resource) {
    for (const ResourceInfo& r : ctx_->resources(owner)) {
      if (r.jid.full() == resource.full() && r.available && r.priority >= 0) {
        return deliver_queue(owner, resource);
      }
    }
  }

  // Sends the whole queue to `resource`; what reached its socket is then deleted, up to the
  // first message that did not.
  void deliver_queue(const std::string& owner, const xmpp::Jid& resource) {
    std::vector<OfflineMessage> queue;
    if (auto txn = ctx_->store().read()) {
      queue = OfflineStore::read(*txn, owner);
    }
    if (queue.empty()) {
      return;
    }
    struct Progress {
      std::size_t outstanding = 0;
      std::uint64_t written_through = 0;  // every message up to this one reached the socket
      bool broken = false;
    };
    auto progress = std::make_shared<Progress>();
    progress->outstanding = queue.size();
    for (const OfflineMessage& m : queue) {
      xmpp::StanzaPtr stanza = xmpp::parse_stanza(m.xml);
      if (!stanza) {
        --progress->outstanding;  // unreadable record: leave it for an operator to inspect
        progress->broken = true;
        continue;
      }
      if (!delayed_by_us(stanza->root())) {
        stanza->root()
            .add_child("delay", xmpp::ns::kDelay)
            .set_attr("from", ctx_->host())
            .set_attr("stamp", xep82_stamp(m.stamp_ms))
            .set_text("Offline Storage");
      }
      std::uint64_t sequence = m.sequence;
      ctx_->send_to_session(resource, std::move(stanza),
                            [this, owner, progress, sequence](bool written) {
                              if (written && !progress->broken) {
                                progress->written_through = sequence;
                              } else {
                                progress->broken = true;
                              }
                              if (--progress->outstanding == 0 && progress->written_through != 0) {
                                remove_through(owner, progress->written_through);
                              }
                            });
    }
  }

  void remove_through(const std::string& owner, std::uint64_t sequence) {
    ctx_->write(
        [owner, sequence](storage::WriteTxn& txn) -> Result<void, storage::StorageError> {
          auto removed = OfflineStore::remove_through(txn, owner, sequence);
          return removed ? Result<void, storage::StorageError>{} : Err(removed.error());
        },
        [](bool) {});
  }

  // XEP-0359 §3.1: what a client sends must not carry ids that look like this server's, nor this
  // host's offline delay (which marks a message the queue already holds an id for).
  void strip_forgeries(xmpp::Element& message) const {
    std::vector<xmpp::Element*> forged;
    for (xmpp::Element& child : message.children()) {
      if (child.is("stanza-id", xmpp::ns::kStanzaId) ||
          (child.is("delay", xmpp::ns::kDelay) && child.attr("from") == ctx_->host())) {
        forged.push_back(&child);
      }
    }
    for (xmpp::Element* e : forged) {
      message.remove_child(e);
    }
  }

  // Whether the message carries this host's XEP-0203 delay and a stanza-id: it came from this
  // queue before (clients cannot send those: strip_forgeries).
  bool delayed_by_us(const xmpp::Element& message) const {
    const xmpp::Element* delay = message.child("delay", xmpp::ns::kDelay);
    return delay != nullptr && delay->attr("from") == ctx_->host() &&
           message.child("stanza-id", xmpp::ns::kStanzaId) != nullptr;
  }

  ModuleContext* ctx_ = nullptr;
  std::size_t quota_ = 10000;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Offline, offline, "XEP-0160 offline messages, deleted once delivered")
