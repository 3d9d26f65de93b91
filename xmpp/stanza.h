// SPDX-License-Identifier: MIT
// Stanza: one top-level stream element (a message, presence or IQ, or a nonza such as <r/>) with
// the arena that holds its tree. It is the unit the parser emits, the router moves and the
// serializer writes. Ownership is unique (StanzaPtr); a fan-out clones.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "xmpp/arena.h"
#include "xmpp/element.h"

namespace tern::xmpp {

enum class StanzaKind : std::uint8_t { Message, Presence, Iq, Other };

class Stanza;
using StanzaPtr = std::unique_ptr<Stanza>;

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

  // A deep copy in a fresh arena (for fan-out and for handing a stanza to another thread).
  StanzaPtr clone() const;

 private:
  Arena arena_;
  Element* root_ = nullptr;
};

// The reply skeleton for a request: same element name and namespace, `to` and `from` swapped,
// `id` kept. The caller sets `type` and adds the payload.
StanzaPtr make_reply(const Element& request);

// An IQ result for an IQ get or set: make_reply plus type='result'.
StanzaPtr make_iq_result(const Element& request);

}  // namespace tern::xmpp
