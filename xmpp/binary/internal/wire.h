// SPDX-License-Identifier: MIT
// Byte-level reading and writing for the binary codec: unsigned LEB128 varints (at most ten bytes,
// no overlong forms), single bytes and byte runs. The reader never reads past its end and reports
// truncation and malformed varints by returning false; the caller turns that into a DecodeError.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tern::xmpp::binary {

constexpr std::size_t varint_size(std::uint64_t value) {
  std::size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

// Appends to a std::string through a cursor: the string is grown in steps and trimmed to what was
// written when the Writer goes away, so single bytes cost no size bookkeeping of the string's own.
// Use the string only after its Writer is gone.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(&out), at_(out.size()) {}
  ~Writer() { out_->resize(at_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void byte(std::uint8_t b) { *reserve(1) = static_cast<char>(b); }
  void bytes(std::string_view data) { bytes(data.data(), data.size()); }
  void bytes(const void* data, std::size_t size) {
    if (size != 0) {
      std::memcpy(reserve(size), data, size);
    }
  }
  void varint(std::uint64_t value) {
    char* p = reserve(10);
    std::size_t n = 0;
    while (value >= 0x80) {
      p[n++] = static_cast<char>((value & 0x7F) | 0x80);
      value >>= 7;
    }
    p[n++] = static_cast<char>(value);
    at_ -= 10 - n;
  }
  // Appends `size` bytes and returns where they start, for the caller to fill.
  char* extend(std::size_t size) { return reserve(size); }
  std::size_t size() const { return at_; }
  std::uint8_t at(std::size_t offset) const { return static_cast<std::uint8_t>((*out_)[offset]); }
  // Overwrites a byte already written.
  void patch(std::size_t offset, std::uint8_t b) { (*out_)[offset] = static_cast<char>(b); }
  // Writes `value` as a varint over the `reserved` bytes at `offset` (0 or 1), moving what
  // follows when it needs more: for a count known only after what it counts was written.
  void patch_varint(std::size_t offset, std::size_t reserved, std::uint64_t value) {
    std::size_t size = varint_size(value);
    if (size > reserved) {
      std::size_t end = at_;
      reserve(size - reserved);
      char* base = out_->data();
      std::memmove(base + offset + size, base + offset + reserved, end - offset - reserved);
    }
    char* p = out_->data() + offset;
    for (std::size_t i = 0; i < size; ++i, value >>= 7) {
      p[i] = static_cast<char>((value & 0x7F) | (i + 1 < size ? 0x80 : 0));
    }
  }

 private:
  char* reserve(std::size_t size) {
    if (at_ + size > out_->size()) {
      out_->resize(std::max(out_->size() * 2, at_ + size + 256));
    }
    char* p = out_->data() + at_;
    at_ += size;
    return p;
  }

  std::string* out_;
  std::size_t at_;
};

class Reader {
 public:
  Reader() = default;
  explicit Reader(std::string_view data)
      : begin_(reinterpret_cast<const std::uint8_t*>(data.data())),
        at_(begin_),
        end_(begin_ + data.size()) {}

  bool byte(std::uint8_t& out) {
    if (at_ == end_) {
      return false;
    }
    out = *at_++;
    return true;
  }
  bool varint(std::uint64_t& out) {
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (at_ == end_) {
        return false;
      }
      std::uint8_t b = *at_++;
      if (shift == 63 && b > 1) {
        return false;  // more than 64 bits
      }
      value |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift != 0) {
          return false;  // overlong: a final zero group after the first
        }
        out = value;
        return true;
      }
    }
    return false;
  }
  bool bytes(std::size_t size, std::string_view& out) {
    if (size > remaining()) {
      return false;
    }
    out = {reinterpret_cast<const char*>(at_), size};
    at_ += size;
    return true;
  }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - at_); }
  std::size_t offset() const { return static_cast<std::size_t>(at_ - begin_); }
  bool empty() const { return at_ == end_; }

 private:
  const std::uint8_t* begin_ = nullptr;
  const std::uint8_t* at_ = nullptr;
  const std::uint8_t* end_ = nullptr;
};

}  // namespace tern::xmpp::binary
