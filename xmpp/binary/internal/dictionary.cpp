// SPDX-License-Identifier: MIT
// Reverse lookups over the static dictionary: open-addressing hash tables built once, on first
// use, from the generated tables (dictionary_data.cpp), and read-only after that.
#include "xmpp/binary/internal/dictionary.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "xmpp/binary/internal/hash.h"
#include "xmpp/names.h"

namespace tern::xmpp::binary::dict {
namespace {

constexpr std::size_t kSlots = 2048;  // power of two; load factor below 0.2 for every table

struct Index {
  std::array<std::int16_t, kSlots> slots{};
  Index() { slots.fill(-1); }

  template <class Equal>
  int find(std::uint64_t hash, Equal&& equal) const {
    for (std::size_t slot = hash & (kSlots - 1);; slot = (slot + 1) & (kSlots - 1)) {
      int index = slots[slot];
      if (index < 0 || equal(index)) {
        return index;
      }
    }
  }
  void insert(std::uint64_t hash, int index) {
    std::size_t slot = hash & (kSlots - 1);
    while (slots[slot] >= 0) {
      slot = (slot + 1) & (kSlots - 1);
    }
    slots[slot] = static_cast<std::int16_t>(index);
  }
};

// Names the XML parser interned (xmpp/names.h) and the dictionary's own strings are static: a
// view whose pointer and size match one of them has its text, so a pair of pointers finds a
// token without reading or hashing the text.
class PointerIndex {
 public:
  void add(std::string_view name, std::string_view ns, int token) {
    if (find(name, ns) != kNone) {
      return;
    }
    std::size_t slot = hash(name, ns);
    while (slots_[slot].token >= 0) {
      slot = (slot + 1) & (kPointerSlots - 1);
    }
    slots_[slot] = {key(name), key(ns), static_cast<std::uint16_t>(name.size()),
                    static_cast<std::uint16_t>(ns.size()), static_cast<std::int16_t>(token)};
  }
  int find(std::string_view name, std::string_view ns) const {
    for (std::size_t slot = hash(name, ns);; slot = (slot + 1) & (kPointerSlots - 1)) {
      const Entry& e = slots_[slot];
      if (e.token < 0) {
        return kNone;
      }
      if (e.name == key(name) && e.ns == key(ns) && e.name_size == name.size() &&
          e.ns_size == ns.size()) {
        return e.token;
      }
    }
  }
  // Adds every pairing of the static copies of `name` and `ns`.
  void add_all(std::string_view name, std::string_view ns, int token) {
    std::string_view names[2] = {name, names::lookup(name)};
    std::string_view namespaces[2] = {ns, ns.empty() ? ns : names::lookup(ns)};
    for (std::string_view n : names) {
      for (std::string_view s : namespaces) {
        if (n.data() != nullptr && (s.data() != nullptr || ns.empty())) {
          add(n, s, token);
        }
      }
    }
  }

 private:
  static constexpr std::size_t kPointerSlots = 2048;
  struct Entry {
    const char* name = nullptr;
    const char* ns = nullptr;
    std::uint16_t name_size = 0;
    std::uint16_t ns_size = 0;
    std::int16_t token = -1;
  };
  static const char* key(std::string_view s) { return s.empty() ? nullptr : s.data(); }
  static std::size_t hash(std::string_view name, std::string_view ns) {
    auto a = reinterpret_cast<std::uintptr_t>(key(name));
    auto b = reinterpret_cast<std::uintptr_t>(key(ns));
    std::uint64_t h = (a * 0x9E3779B97F4A7C15ULL) ^ (b * 0xC2B2AE3D27D4EB4FULL);
    return (h ^ (h >> 29)) & (kPointerSlots - 1);
  }
  std::array<Entry, kPointerSlots> slots_{};
};

// A bit of the value filter: a value whose bit is clear is not in the table.
std::size_t filter_bit(std::string_view v) {
  std::size_t first = static_cast<std::uint8_t>(v.front());
  std::size_t last = static_cast<std::uint8_t>(v.back());
  return (v.size() * 131 + first * 31 + last * 7) & 4095;
}

std::uint64_t pair_hash(std::string_view name, std::string_view ns) {
  return hash_bytes(name) ^ (hash_bytes(ns) * 0x9E3779B97F4A7C15ULL);
}

struct Indexes {
  Index elements;
  Index attributes;
  PointerIndex element_pointers;
  PointerIndex attribute_pointers;
  Index values;
  std::size_t max_value_size = 0;
  std::vector<int> empty_of;
  std::vector<int> text_of;
  std::array<std::vector<int>, 256> prefixes_by_first;  // longest first
  std::size_t shortest_prefix = SIZE_MAX;
  std::array<std::uint64_t, 64> value_filter{};  // bits by (size, first, last byte) of values

  Indexes() : empty_of(kElementCount, kNone), text_of(kElementCount, kNone) {
    for (std::size_t i = 0; i < kElementCount; ++i) {
      elements.insert(pair_hash(kElements[i].name, kElements[i].ns), static_cast<int>(i));
      element_pointers.add_all(kElements[i].name, kElements[i].ns, static_cast<int>(i));
    }
    for (std::size_t i = 0; i < kAttributeCount; ++i) {
      attributes.insert(pair_hash(kAttributes[i].name, kAttributes[i].ns), static_cast<int>(i));
      attribute_pointers.add_all(kAttributes[i].name, kAttributes[i].ns, static_cast<int>(i));
    }
    for (std::size_t i = 0; i < kValueCount; ++i) {
      values.insert(hash_bytes(kValues[i]), static_cast<int>(i));
      std::size_t bit = filter_bit(kValues[i]);
      value_filter[bit / 64] |= std::uint64_t{1} << (bit % 64);
      max_value_size = std::max(max_value_size, kValues[i].size());
    }
    for (std::size_t i = 0; i < kEmptyFormCount; ++i) {
      empty_of[kEmptyForms[i]] = static_cast<int>(i);
    }
    for (std::size_t i = 0; i < kTextFormCount; ++i) {
      text_of[kTextForms[i]] = static_cast<int>(i);
    }
    for (std::size_t i = 0; i < kPrefixCount; ++i) {
      shortest_prefix = std::min(shortest_prefix, kPrefixes[i].size());
      auto& list = prefixes_by_first[static_cast<std::uint8_t>(kPrefixes[i][0])];
      list.push_back(static_cast<int>(i));
    }
    for (auto& list : prefixes_by_first) {
      std::stable_sort(list.begin(), list.end(),
                       [](int a, int b) { return kPrefixes[a].size() > kPrefixes[b].size(); });
    }
  }
};

const Indexes& indexes() {
  static const Indexes instance;
  return instance;
}

constexpr std::string_view kMessageTypes[] = {"chat", "groupchat", "headline", "normal", "error"};
constexpr std::string_view kPresenceTypes[] = {"unavailable", "subscribe",    "subscribed",
                                               "unsubscribe", "unsubscribed", "error"};
constexpr std::string_view kIqTypes[] = {"get", "set", "result", "error"};

std::pair<const std::string_view*, std::size_t> types_of(std::string_view element_name) {
  switch (element_name.size()) {  // the stanza form exists only for these three names
    case 7:
      return {kMessageTypes, std::size(kMessageTypes)};
    case 8:
      return {kPresenceTypes, std::size(kPresenceTypes)};
    case 2:
      return {kIqTypes, std::size(kIqTypes)};
    default:
      return {nullptr, 0};
  }
}

bool same(std::string_view a, std::string_view b) {  // short strings: no library call
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

int find_element(std::string_view name, std::string_view ns) {
  const Indexes& idx = indexes();
  if (int token = idx.element_pointers.find(name, ns); token != kNone) {
    return token;
  }
  return idx.elements.find(pair_hash(name, ns), [&](int i) {
    return kElements[i].name == name && kElements[i].ns == ns;
  });
}

int find_attribute(std::string_view name, std::string_view ns) {
  const Indexes& idx = indexes();
  if (int token = idx.attribute_pointers.find(name, ns); token != kNone) {
    return token;
  }
  return idx.attributes.find(pair_hash(name, ns), [&](int i) {
    return kAttributes[i].name == name && kAttributes[i].ns == ns;
  });
}

int find_value(std::string_view value) {
  const Indexes& idx = indexes();
  if (value.empty() || value.size() > idx.max_value_size) {
    return kNone;
  }
  std::size_t bit = filter_bit(value);
  if ((idx.value_filter[bit / 64] & (std::uint64_t{1} << (bit % 64))) == 0) {
    return kNone;
  }
  return idx.values.find(hash_bytes(value), [&](int i) { return kValues[i] == value; });
}

int empty_form_of(int element) {
  return indexes().empty_of[static_cast<std::size_t>(element)];
}

int text_form_of(int element) {
  return indexes().text_of[static_cast<std::size_t>(element)];
}

std::size_t matching_prefixes(std::string_view value, int* out) {
  const Indexes& idx = indexes();
  if (value.size() <= idx.shortest_prefix) {
    return 0;
  }
  std::size_t count = 0;
  for (int i : idx.prefixes_by_first[static_cast<std::uint8_t>(value[0])]) {
    if (value.size() > kPrefixes[i].size() && value.starts_with(kPrefixes[i]) && count < 4) {
      out[count++] = i;
    }
  }
  return count;
}

bool is_forwarded(std::string_view name, std::string_view ns) {
  return name.size() == 9 && ns.size() == 18 && name == "forwarded" && ns == "urn:xmpp:forward:0";
}

int stanza_type_code(std::string_view element_name, std::string_view type) {
  auto [types, count] = types_of(element_name);
  for (std::size_t i = 0; i < count; ++i) {
    if (same(types[i], type)) {
      return static_cast<int>(i) + 1;
    }
  }
  return 0;
}

std::string_view stanza_type_value(std::string_view element_name, int code) {
  auto [types, count] = types_of(element_name);
  if (code < 1 || static_cast<std::size_t>(code) > count) {
    return {};
  }
  return types[code - 1];
}

}  // namespace tern::xmpp::binary::dict
