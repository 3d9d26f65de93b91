// SPDX-License-Identifier: MIT
// Arena: a bump allocator that owns every node and string of one stanza, so building a tree costs
// no malloc per node and dropping it costs no destructor per node (nginx and h2o pools). Standard
// sized blocks are recycled through a per-thread free list, so in steady state a stanza's memory
// comes from a block the previous stanza on the same thread gave back.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

namespace tern::xmpp {

class Arena {
 public:
  // Size of a recycled block. The median stanza of shared/corpus/mobile-stanzas.xml needs well
  // under 1 KiB of nodes and strings; the 95th percentile fits in 2 KiB (docs/performance.md).
  static constexpr std::size_t kBlockSize = 2048;

  Arena() = default;
  ~Arena() { release(); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&& other) noexcept { *this = std::move(other); }
  Arena& operator=(Arena&& other) noexcept;

  // Raw memory, aligned to `align` (a power of two no larger than alignof(std::max_align_t)).
  void* allocate(std::size_t bytes, std::size_t align = alignof(std::max_align_t)) {
    std::size_t offset = (used_ + align - 1) & ~(align - 1);
    if (head_ == nullptr || offset + bytes > capacity_) {
      return allocate_slow(bytes, align);
    }
    used_ = offset + bytes;
    total_ += bytes;
    return reinterpret_cast<char*>(head_) + offset;
  }

  // Constructs a T in the arena. T's destructor never runs, so T must be trivially destructible.
  template <class T, class... Args>
  T* make(Args&&... args) {
    static_assert(std::is_trivially_destructible_v<T>, "arena objects are never destroyed");
    return new (allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
  }

  template <class T>
  T* make_array(std::size_t count) {
    static_assert(std::is_trivially_destructible_v<T>, "arena objects are never destroyed");
    T* items = static_cast<T*>(allocate(sizeof(T) * count, alignof(T)));
    for (std::size_t i = 0; i < count; ++i) {
      new (items + i) T();
    }
    return items;
  }

  // Copies `text` into the arena; the view stays valid as long as the arena.
  std::string_view copy(std::string_view text) {
    if (text.empty()) {
      return {};
    }
    char* dst = static_cast<char*>(allocate(text.size(), 1));
    std::memcpy(dst, text.data(), text.size());
    return {dst, text.size()};
  }

  // Bytes handed out so far (payload, without alignment padding or block headers).
  std::size_t bytes_allocated() const { return total_; }

  // Frees every block (recycling standard ones) and starts empty.
  void release();

  // Blocks held by this thread's free list; for tests and metrics.
  static std::size_t free_list_size();
  // Drops this thread's free list (a worker shrinking after a burst).
  static void trim_free_list();

 private:
  struct BlockHeader {
    BlockHeader* next;
    std::size_t size;  // payload bytes after the header
  };

  void* allocate_slow(std::size_t bytes, std::size_t align);
  void push_block(std::size_t payload);

  // head_ points just past the current block's header; the block's header sits before it.
  void* head_ = nullptr;
  std::size_t used_ = 0;
  std::size_t capacity_ = 0;
  std::size_t total_ = 0;
  std::size_t next_block_size_ = kBlockSize;
};

}  // namespace tern::xmpp
