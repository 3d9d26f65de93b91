// SPDX-License-Identifier: MIT
// The little binary record helpers every store uses (modules' too): little-endian integers and
// length-prefixed bytes written to a std::string, and a Reader that never reads past the end (ok()
// turns false).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::record {

inline void put_u8(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
}
inline void put_u16(std::string& out, std::size_t v) {
  put_u8(out, v);
  put_u8(out, v >> 8);
}
inline void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) {
    put_u8(out, (v >> shift) & 0xFF);
  }
}
inline void put_u64(std::string& out, std::uint64_t v) {
  put_u32(out, static_cast<std::uint32_t>(v));
  put_u32(out, static_cast<std::uint32_t>(v >> 32));
}
// A string of at most 65,535 bytes with a u16 length (callers bound what they store).
inline void put_str16(std::string& out, std::string_view s) {
  put_u16(out, s.size());
  out.append(s.substr(0, 0xFFFF));
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::uint8_t u8() {
    if (data_.empty()) {
      ok_ = false;
      return 0;
    }
    auto v = static_cast<std::uint8_t>(data_.front());
    data_.remove_prefix(1);
    return v;
  }
  std::uint16_t u16() {
    std::uint16_t lo = u8();
    return static_cast<std::uint16_t>(lo | (u8() << 8));
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int shift = 0; shift < 32; shift += 8) {
      v |= static_cast<std::uint32_t>(u8()) << shift;
    }
    return v;
  }
  std::uint64_t u64() {
    std::uint64_t lo = u32();
    return lo | (static_cast<std::uint64_t>(u32()) << 32);
  }
  std::string bytes(std::size_t n) {
    if (data_.size() < n) {
      ok_ = false;
      return {};
    }
    std::string v(data_.substr(0, n));
    data_.remove_prefix(n);
    return v;
  }
  std::string str16() { return bytes(u16()); }
  bool ok() const { return ok_; }
  bool at_end() const { return data_.empty(); }

 private:
  std::string_view data_;
  bool ok_ = true;
};

}  // namespace tern::record
