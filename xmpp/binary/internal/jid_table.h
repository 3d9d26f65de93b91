// SPDX-License-Identifier: MIT
// The per-direction state of a binary stream (docs/binary-xmpp.md, section 8): the table of whole
// routed addresses, the connection's own JID once bound, and the stream domain. It is the only
// context that outlives a frame, it holds identifiers only (never content), it is bounded (64
// entries of at most 255 bytes) and every stream header resets it. Encoder and decoder of one
// direction keep identical copies by applying the same rules to the same frames.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/binary/format.h"

namespace tern::xmpp::binary {

// Move-to-front list: position 0 is the address used or inserted last.
class JidTable {
 public:
  JidTable();

  // Position of `jid`, or -1.
  int find(std::string_view jid) const;
  // Position of the first entry whose bare part (the text before the first '/') is `bare`, or -1.
  int find_bare(std::string_view bare) const;
  std::string_view at(std::size_t position) const { return slots_[order_[position]].text; }
  std::string_view bare_at(std::size_t position) const;
  std::size_t size() const { return size_; }

  // Moves the entry at `position` to the front.
  void touch(std::size_t position);
  // Adds `jid` at the front, dropping the last entry when the table is full. Addresses longer
  // than kJidTableMaxEntry are not added.
  void insert(std::string_view jid);
  void clear() { size_ = 0; }

  // An undo log for the encoder, whose frame may fail half way: begin() starts recording,
  // rollback() undoes every touch and insert since, commit() forgets them.
  void begin() {
    journal_.clear();
    journaling_ = true;
  }
  void commit() {
    journal_.clear();
    journaling_ = false;
  }
  void rollback();

 private:
  struct Slot {
    std::string text;
    std::uint16_t bare_size = 0;
  };
  struct Undo {
    bool insert = false;
    bool grew = false;          // insert into a table that was not full
    std::uint8_t position = 0;  // touch: where the entry came from
    std::string evicted;        // insert into a full table: the dropped entry
    std::uint16_t evicted_bare_size = 0;
    std::uint64_t evicted_hash = 0;
    std::uint64_t evicted_bare_hash = 0;
  };
  void move_to_front(std::size_t position);
  void move_back(std::size_t position);  // the inverse of move_to_front

  std::array<Slot, kJidTableSize> slots_;
  std::array<std::uint8_t, kJidTableSize> order_{};    // position -> slot
  std::array<std::uint64_t, kJidTableSize> hashes_{};  // by position
  std::array<std::uint64_t, kJidTableSize> bare_hashes_{};
  std::size_t size_ = 0;
  std::vector<Undo> journal_;
  bool journaling_ = false;
};

// Everything one direction of a binary stream remembers between frames.
struct DirectionState {
  explicit DirectionState(Role role) : sender(role) {}

  Role sender;
  JidTable table;
  std::string own_full;  // the bound full JID; empty before binding
  std::size_t own_bare_size = 0;
  std::string stream_domain;  // empty when the stream header named none
  // The stream's default namespace: what a literal element name at the root inherits.
  std::string content_ns = "jabber:client";

  std::string_view own_bare() const { return std::string_view(own_full).substr(0, own_bare_size); }
  void set_own_jid(std::string_view full);
  // A stream header: forget the table and the own JID, take the new stream domain and content
  // namespace.
  void restart(std::string_view domain, std::string_view content);
};

}  // namespace tern::xmpp::binary
