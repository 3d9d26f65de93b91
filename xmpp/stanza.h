// SPDX-License-Identifier: MIT
// Stanza: one top-level stream element (a message, presence or IQ, or a nonza such as <r/>) with
// the arena that holds its tree. It is the unit the parser emits, the router moves and the
// serializer writes. Ownership is unique (StanzaPtr); a fan-out clones.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/arena.h"
#include "xmpp/element.h"
#include "xmpp/jid.h"

namespace tern::xmpp {

enum class StanzaKind : std::uint8_t { Message, Presence, Iq, Other };

class Stanza;
using StanzaPtr = std::unique_ptr<Stanza>;

// Who wants to know that a stanza reached its recipient: the server's delivery layer reports
// success once (the recipient acknowledged it, or it was written to a socket without stream
// management); if every copy of the stanza is gone without that, the receipt reports failure.
// Copies made for fan-out share one receipt. Thread-safe: it can fire on any worker.
class DeliveryReceipt {
 public:
  explicit DeliveryReceipt(std::function<void(bool delivered)> done) : done_(std::move(done)) {}
  // A receipt for one delivered copy (its resource's acknowledgement), reporting to `wraps` (the
  // stanza's own, possibly none), which it keeps alive.
  DeliveryReceipt(std::function<void(bool delivered)> done, std::shared_ptr<DeliveryReceipt> wraps)
      : done_(std::move(done)), wraps_(std::move(wraps)), copy_(true) {}
  DeliveryReceipt(const DeliveryReceipt&) = delete;
  DeliveryReceipt& operator=(const DeliveryReceipt&) = delete;
  ~DeliveryReceipt() { fire(false); }
  void delivered() { fire(true); }
  // Whether this is one copy's receipt, and the stanza's it reports to. A copy routed again (its
  // session ended unacknowledged) goes on with the stanza's receipt, not the old copy's.
  bool is_copy() const { return copy_; }
  const std::shared_ptr<DeliveryReceipt>& wraps() const { return wraps_; }
  // The stanza's own receipt behind any copy receipts (none when it has none).
  static std::shared_ptr<DeliveryReceipt> stanza_receipt(std::shared_ptr<DeliveryReceipt> r) {
    while (r && r->is_copy()) {
      r = r->wraps();
    }
    return r;
  }

 private:
  void fire(bool delivered) {
    if (!fired_.exchange(true) && done_) {
      done_(delivered);
    }
  }
  std::function<void(bool)> done_;
  std::shared_ptr<DeliveryReceipt> wraps_;
  bool copy_ = false;
  std::atomic<bool> fired_{false};
};

class Stanza {
 public:
  Stanza() = default;
  Stanza(const Stanza&) = delete;
  Stanza& operator=(const Stanza&) = delete;

  // A new stanza whose root is <name xmlns=ns/>.
  static StanzaPtr create(std::string_view name, std::string_view ns);

  Arena& arena() { return arena_; }
  bool has_root() const { return root_ != nullptr; }
  Element& root() { return *root_; }
  const Element& root() const { return *root_; }
  void set_root(Element* root) { root_ = root; }

  // message, presence or iq in jabber:client or jabber:server; anything else is Other.
  StanzaKind kind() const;
  std::string_view name() const { return root_->name(); }
  std::string_view type() const { return root_->attr("type"); }
  std::string_view id() const { return root_->attr("id"); }
  std::string_view to() const { return root_->attr("to"); }
  std::string_view from() const { return root_->attr("from"); }
  // 'to' and 'from' as prepared JIDs (null when absent or not a JID), parsed once per value and
  // kept with the stanza, so that the router and every hook ask again for nothing (a clone
  // parses its own on first use). The pointer
  // stays valid until the attribute is changed and asked for again: a caller that changes the
  // stanza (or hands it to code that may) keeps a copy of the Jid instead. A stanza belongs to
  // one thread at a time; one shared between threads (a last presence in the registry) is asked
  // on a clone.
  const Jid* to_jid() const { return parsed(Address::To); }
  const Jid* from_jid() const { return parsed(Address::From); }
  // Sets 'from' to a JID already prepared (the server stamping a client's stanza), parsed with it.
  void stamp_from(const Jid& jid);

  // A deep copy in a fresh arena (for fan-out and for handing a stanza to another thread); it
  // shares the delivery receipt.
  StanzaPtr clone() const;

  // See DeliveryReceipt; none for most stanzas.
  const std::shared_ptr<DeliveryReceipt>& receipt() const { return receipt_; }
  void set_receipt(std::shared_ptr<DeliveryReceipt> receipt) { receipt_ = std::move(receipt); }

 private:
  enum class Address : std::uint8_t { To, From };
  // An address as parsed, and where its text was: an attribute's value lives in the arena, and
  // setting it again copies the new value elsewhere in the arena (which never reuses an address
  // while the stanza lives), so a changed attribute is told by its text's place and length
  // without copying the text. Kept in the stanza itself: no allocation but the Jid's.
  struct ParsedAddress {
    const char* text = nullptr;
    std::size_t length = 0;
    bool parsed = false;
    std::optional<Jid> jid;
  };
  const Jid* parsed(Address which) const;

  Arena arena_;
  Element* root_ = nullptr;
  std::shared_ptr<DeliveryReceipt> receipt_;
  mutable ParsedAddress to_;
  mutable ParsedAddress from_;
};

// The reply skeleton for a request: same element name and namespace, `to` and `from` swapped,
// `id` kept. The caller sets `type` and adds the payload.
StanzaPtr make_reply(const Element& request);

// An IQ result for an IQ get or set: make_reply plus type='result'.
StanzaPtr make_iq_result(const Element& request);

}  // namespace tern::xmpp
