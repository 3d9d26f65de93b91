// SPDX-License-Identifier: MIT
// Block management behind Arena: a chain of blocks per arena, a bounded free list per thread.
#include "xmpp/arena.h"

#include <cstdlib>

namespace tern::xmpp {
namespace {

// Block payloads are rounded so that the header plus payload keeps max_align_t alignment.
constexpr std::size_t kHeaderSize = 2 * sizeof(void*) > alignof(std::max_align_t)
                                        ? 2 * sizeof(void*)
                                        : alignof(std::max_align_t);
// Enough for a burst of stanzas in flight on one worker; beyond this, blocks go back to malloc.
constexpr std::size_t kMaxFreeBlocks = 256;

struct FreeList {
  void* head = nullptr;  // each free block's first word links to the next
  std::size_t count = 0;

  FreeList() = default;
  FreeList(const FreeList&) = delete;
  FreeList& operator=(const FreeList&) = delete;
  ~FreeList() { clear(); }
  void clear() {
    while (head != nullptr) {
      void* next = *static_cast<void**>(head);
      std::free(head);
      head = next;
    }
    count = 0;
  }
};

thread_local FreeList t_free_blocks;

constexpr std::size_t kStandardAllocation = kHeaderSize + Arena::kBlockSize;

void* take_standard_block() {
  if (t_free_blocks.head != nullptr) {
    void* block = t_free_blocks.head;
    t_free_blocks.head = *static_cast<void**>(block);
    --t_free_blocks.count;
    return block;
  }
  return std::malloc(kStandardAllocation);
}

void give_back_block(void* block, std::size_t payload) {
  if (payload == Arena::kBlockSize && t_free_blocks.count < kMaxFreeBlocks) {
    *static_cast<void**>(block) = t_free_blocks.head;
    t_free_blocks.head = block;
    ++t_free_blocks.count;
    return;
  }
  std::free(block);
}

}  // namespace

Arena& Arena::operator=(Arena&& other) noexcept {
  if (this != &other) {
    release();
    head_ = std::exchange(other.head_, nullptr);
    used_ = std::exchange(other.used_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    total_ = std::exchange(other.total_, 0);
    next_block_size_ = std::exchange(other.next_block_size_, kBlockSize);
  }
  return *this;
}

void Arena::push_block(std::size_t payload) {
  void* raw = payload == kBlockSize ? take_standard_block() : std::malloc(kHeaderSize + payload);
  if (raw == nullptr) {
    throw std::bad_alloc();
  }
  auto* header = static_cast<BlockHeader*>(raw);
  header->size = payload;
  header->next = head_ == nullptr
                     ? nullptr
                     : reinterpret_cast<BlockHeader*>(static_cast<char*>(head_) - kHeaderSize);
  head_ = static_cast<char*>(raw) + kHeaderSize;
  used_ = 0;
  capacity_ = payload;
}

void* Arena::allocate_slow(std::size_t bytes, std::size_t align) {
  // Grow geometrically so a large stanza needs O(log n) blocks, but give an oversize request a
  // block of its own size rather than doubling past it.
  std::size_t payload = next_block_size_;
  if (head_ != nullptr) {
    next_block_size_ = next_block_size_ * 2;
    payload = next_block_size_;
  }
  if (bytes + align > payload) {
    payload = bytes + align;
  }
  push_block(payload);
  return allocate(bytes, align);
}

void Arena::release() {
  if (head_ != nullptr) {
    auto* header = reinterpret_cast<BlockHeader*>(static_cast<char*>(head_) - kHeaderSize);
    while (header != nullptr) {
      BlockHeader* next = header->next;
      give_back_block(header, header->size);
      header = next;
    }
  }
  head_ = nullptr;
  used_ = 0;
  capacity_ = 0;
  total_ = 0;
  next_block_size_ = kBlockSize;
}

std::size_t Arena::free_list_size() {
  return t_free_blocks.count;
}

void Arena::trim_free_list() {
  t_free_blocks.clear();
}

}  // namespace tern::xmpp
