// SPDX-License-Identifier: MIT
// The routed-address table: fixed slots, a position permutation and hashes by position, so a
// lookup is a scan of at most 64 hashes from the most recently used end.
#include "xmpp/binary/internal/jid_table.h"

#include <algorithm>

#include "xmpp/binary/internal/hash.h"

namespace tern::xmpp::binary {
namespace {

std::size_t bare_size(std::string_view jid) {
  std::size_t slash = jid.find('/');
  return slash == std::string_view::npos ? jid.size() : slash;
}

}  // namespace

JidTable::JidTable() {
  for (std::size_t i = 0; i < kJidTableSize; ++i) {
    order_[i] = static_cast<std::uint8_t>(i);
  }
}

int JidTable::find(std::string_view jid) const {
  std::uint64_t hash = hash_bytes(jid);
  for (std::size_t p = 0; p < size_; ++p) {
    if (hashes_[p] == hash && slots_[order_[p]].text == jid) {
      return static_cast<int>(p);
    }
  }
  return -1;
}

int JidTable::find_bare(std::string_view bare) const {
  std::uint64_t hash = hash_bytes(bare);
  for (std::size_t p = 0; p < size_; ++p) {
    if (bare_hashes_[p] == hash && bare_at(p) == bare) {
      return static_cast<int>(p);
    }
  }
  return -1;
}

std::string_view JidTable::bare_at(std::size_t position) const {
  const Slot& slot = slots_[order_[position]];
  return std::string_view(slot.text).substr(0, slot.bare_size);
}

void JidTable::move_to_front(std::size_t position) {
  std::uint8_t slot = order_[position];
  std::uint64_t hash = hashes_[position];
  std::uint64_t bare_hash = bare_hashes_[position];
  std::copy_backward(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(position),
                     order_.begin() + static_cast<std::ptrdiff_t>(position) + 1);
  std::copy_backward(hashes_.begin(), hashes_.begin() + static_cast<std::ptrdiff_t>(position),
                     hashes_.begin() + static_cast<std::ptrdiff_t>(position) + 1);
  std::copy_backward(bare_hashes_.begin(),
                     bare_hashes_.begin() + static_cast<std::ptrdiff_t>(position),
                     bare_hashes_.begin() + static_cast<std::ptrdiff_t>(position) + 1);
  order_[0] = slot;
  hashes_[0] = hash;
  bare_hashes_[0] = bare_hash;
}

void JidTable::move_back(std::size_t position) {
  std::uint8_t slot = order_[0];
  std::uint64_t hash = hashes_[0];
  std::uint64_t bare_hash = bare_hashes_[0];
  auto p = static_cast<std::ptrdiff_t>(position);
  std::copy(order_.begin() + 1, order_.begin() + p + 1, order_.begin());
  std::copy(hashes_.begin() + 1, hashes_.begin() + p + 1, hashes_.begin());
  std::copy(bare_hashes_.begin() + 1, bare_hashes_.begin() + p + 1, bare_hashes_.begin());
  order_[position] = slot;
  hashes_[position] = hash;
  bare_hashes_[position] = bare_hash;
}

void JidTable::touch(std::size_t position) {
  if (position != 0 && position < size_) {
    move_to_front(position);
    if (journaling_) {
      journal_.push_back({});
      journal_.back().position = static_cast<std::uint8_t>(position);
    }
  }
}

void JidTable::rollback() {
  for (auto undo = journal_.rbegin(); undo != journal_.rend(); ++undo) {
    if (!undo->insert) {
      move_back(undo->position);
      continue;
    }
    std::size_t last = size_ - 1;
    move_back(last);
    if (undo->grew) {
      --size_;
    } else {
      Slot& slot = slots_[order_[last]];
      slot.text.swap(undo->evicted);
      slot.bare_size = undo->evicted_bare_size;
      hashes_[last] = undo->evicted_hash;
      bare_hashes_[last] = undo->evicted_bare_hash;
    }
  }
  commit();
}

void JidTable::insert(std::string_view jid) {
  if (jid.size() > kJidTableMaxEntry) {
    return;
  }
  // The slot of the last position is the one to fill: free when the table is not yet full,
  // dropped when it is.
  bool grew = size_ < kJidTableSize;
  std::size_t position = grew ? size_ : kJidTableSize - 1;
  if (grew) {
    ++size_;
  }
  Slot& slot = slots_[order_[position]];
  if (journaling_) {
    journal_.push_back({});
    Undo& undo = journal_.back();
    undo.insert = true;
    undo.grew = grew;
    if (!grew) {
      undo.evicted.swap(slot.text);
      undo.evicted_bare_size = slot.bare_size;
      undo.evicted_hash = hashes_[position];
      undo.evicted_bare_hash = bare_hashes_[position];
    }
  }
  slot.text.assign(jid);
  slot.bare_size = static_cast<std::uint16_t>(bare_size(jid));
  hashes_[position] = hash_bytes(jid);
  bare_hashes_[position] = hash_bytes(std::string_view(jid).substr(0, slot.bare_size));
  move_to_front(position);
}

void DirectionState::set_own_jid(std::string_view full) {
  own_full.assign(full);
  own_bare_size = bare_size(full);
}

void DirectionState::restart(std::string_view domain, std::string_view content) {
  table.clear();
  own_full.clear();
  own_bare_size = 0;
  stream_domain.assign(domain);
  content_ns.assign(content);
}

}  // namespace tern::xmpp::binary
