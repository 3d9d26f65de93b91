// SPDX-License-Identifier: MIT
// Elements, stanza forms, attributes and children, read into the stanza's arena.
#include "xmpp/binary/internal/tree_reader.h"

#include <algorithm>

#include "xmpp/binary/internal/dictionary.h"
#include "xmpp/namespaces.h"

namespace tern::xmpp::binary {

bool TreeReader::element(std::uint8_t b, std::string_view parent_ns, const StanzaRefs* refs,
                         bool routing, std::size_t depth, Element*& out) {
  if (depth > limits_.max_depth) {
    return fail(DecodeErrorKind::LimitExceeded, "elements nested too deep");
  }
  int token = dict::kNone;
  enum class Form { Full, Empty, Text } form = Form::Full;
  std::string_view name;
  std::string_view ns;
  if (b <= ebyte::kFullLast) {
    token = b;
  } else if (b < ebyte::kTextFirst) {
    form = Form::Empty;
    if (static_cast<std::size_t>(b - ebyte::kEmptyFirst) >= dict::kEmptyFormCount) {
      return fail(DecodeErrorKind::Malformed, "empty form out of range");
    }
    token = dict::kEmptyForms[b - ebyte::kEmptyFirst];
  } else if (b < ebyte::kPage1) {
    form = Form::Text;
    if (static_cast<std::size_t>(b - ebyte::kTextFirst) >= dict::kTextFormCount) {
      return fail(DecodeErrorKind::Malformed, "text form out of range");
    }
    token = dict::kTextForms[b - ebyte::kTextFirst];
  } else if (b == ebyte::kPage1) {
    std::uint8_t index = 0;
    if (!in_.byte(index) || ebyte::kPage0Elements + index >= dict::kElementCount) {
      return fail(DecodeErrorKind::Malformed, "element token out of range");
    }
    token = static_cast<int>(ebyte::kPage0Elements + index);
  } else if (b == ebyte::kLiteralName) {
    if (!read_name(name)) {
      return false;
    }
    ns = parent_ns;
  } else if (b == ebyte::kLiteralNameNs) {
    if (!read_name(name) || !element_ns(ns)) {
      return false;
    }
  } else {
    return fail(DecodeErrorKind::Malformed, "not an element code");
  }
  bool verbatim = false;
  if (token != dict::kNone) {
    const dict::ElementEntry& entry = dict::kElements[token];
    name = entry.name;
    ns = entry.ns;
    verbatim = (entry.flags & dict::kVerbatim) != 0;
  }
  Element* e = arena_.make<Element>(arena_, name, ns);
  out = e;
  if (!charge(name.size() * 2 + 5)) {
    return false;
  }
  if (form == Form::Empty) {
    return true;
  }
  if (form == Form::Text) {
    return text(e, verbatim, refs);
  }
  if (token != dict::kNone && (dict::kElements[token].flags & dict::kStanzaForm) != 0) {
    return stanza(token, e, routing, depth);
  }
  std::uint8_t shape = 0;
  std::uint64_t attrs = 0;
  std::uint64_t items = 0;
  if (!in_.byte(shape)) {
    return fail(DecodeErrorKind::Malformed, "truncated element");
  }
  attrs = shape & 0x07;
  items = (shape >> 3) & 0x0F;
  if ((attrs == 7 && !in_.varint(attrs)) || (items == 15 && !in_.varint(items))) {
    return fail(DecodeErrorKind::Malformed, "bad count");
  }
  if (attrs > limits_.max_attributes) {
    return fail(DecodeErrorKind::LimitExceeded, "too many attributes");
  }
  if (attrs * 2 + items > in_.remaining()) {
    return fail(DecodeErrorKind::Malformed, "counts past the end of the frame");
  }
  if (attrs != 0) {
    auto* list = arena_.make_array<Attribute>(attrs);
    for (std::size_t i = 0; i < attrs; ++i) {
      if (!attribute(list, i, refs)) {
        return false;
      }
    }
    e->adopt_attrs(list, static_cast<std::uint32_t>(attrs));
  }
  bool text_first = (shape & 0x80) != 0;
  if (text_first && !text(e, verbatim, refs)) {
    return false;
  }
  return children(e, items, text_first, verbatim, refs, depth);
}

bool TreeReader::stanza(int token, Element* e, bool routing, std::size_t depth) {
  std::uint8_t shape = 0;
  if (!in_.byte(shape)) {
    return fail(DecodeErrorKind::Malformed, "truncated stanza");
  }
  int type_code = (shape >> 3) & 0x07;
  std::string_view type;
  if (type_code != 0 && type_code != 7) {
    type = dict::stanza_type_value(dict::kElements[token].name, type_code);
    if (type.empty()) {
      return fail(DecodeErrorKind::Malformed, "undefined stanza type code");
    }
  }
  Attribute fixed[4];
  std::size_t count = 0;
  StanzaRefs own;
  ValueClass address = routing ? ValueClass::Routing : ValueClass::General;
  auto fixed_attr = [&](std::string_view attr_name, ValueClass where, std::string_view& slot) {
    if (!value(where, &own, slot)) {
      return false;
    }
    fixed[count++] = {attr_name, {}, slot};
    return charge(attr_name.size() + slot.size() + 4);
  };
  if ((shape & 0x01) != 0) {
    if (!fixed_attr("from", address, own.from)) {
      return false;
    }
    own.from_bare = own.from.substr(0, own.from.find('/'));
    own.has_from = true;
  }
  if ((shape & 0x02) != 0) {
    if (!fixed_attr("to", address, own.to)) {
      return false;
    }
    own.has_to = true;
  }
  if ((shape & 0x04) != 0) {
    if (!fixed_attr("id", ValueClass::General, own.id)) {
      return false;
    }
    own.has_id = true;
  }
  if (type_code == 7) {
    if (!fixed_attr("type", ValueClass::General, type)) {
      return false;
    }
  } else if (type_code != 0) {
    fixed[count++] = {"type", {}, type};
    if (!charge(type.size() + 8)) {
      return false;
    }
  }
  std::uint64_t extras = 0;
  if ((shape & 0x40) != 0 && (!in_.varint(extras) || extras == 0)) {
    return fail(DecodeErrorKind::Malformed, "bad attribute count");
  }
  if (count + extras > limits_.max_attributes) {
    return fail(DecodeErrorKind::LimitExceeded, "too many attributes");
  }
  if (extras * 2 > in_.remaining()) {
    return fail(DecodeErrorKind::Malformed, "counts past the end of the frame");
  }
  std::size_t total = count + extras;
  if (total != 0) {
    Attribute* list = arena_.make_array<Attribute>(total);
    std::copy_n(fixed, count, list);
    for (std::size_t i = count; i < total; ++i) {
      if (!attribute(list, i, &own)) {
        return false;
      }
    }
    e->adopt_attrs(list, static_cast<std::uint32_t>(total));
  }
  std::uint64_t items = 0;
  if ((shape & 0x80) != 0) {
    if (!in_.varint(items) || items == 0) {
      return fail(DecodeErrorKind::Malformed, "bad child count");
    }
    if (items > in_.remaining()) {
      return fail(DecodeErrorKind::Malformed, "counts past the end of the frame");
    }
  }
  return children(e, items, false, false, &own, depth);
}

bool TreeReader::attribute(Attribute* attrs, std::size_t at, const StanzaRefs* refs) {
  std::uint8_t b = 0;
  if (!in_.byte(b)) {
    return fail(DecodeErrorKind::Malformed, "truncated attribute");
  }
  Attribute& a = attrs[at];
  if (b < dict::kAttributeCount) {
    a.name = dict::kAttributes[b].name;
    a.ns = dict::kAttributes[b].ns;
  } else if (b == abyte::kLiteralName || b == abyte::kLiteralNameNs) {
    if (!read_name(a.name) ||
        (b == abyte::kLiteralNameNs && !value(ValueClass::Name, nullptr, a.ns))) {
      return false;
    }
    if ((a.ns.empty() && a.name == "xmlns") || a.ns == kXmlnsNs) {
      return fail(DecodeErrorKind::InvalidName, "namespace declarations are not attributes");
    }
  } else {
    return fail(DecodeErrorKind::Malformed, "attribute token out of range");
  }
  for (std::size_t i = 0; i < at; ++i) {
    if (attrs[i].name == a.name && attrs[i].ns == a.ns) {
      return fail(DecodeErrorKind::Duplicate, "attribute repeated");
    }
  }
  return value(ValueClass::General, refs, a.value) &&
         charge(a.name.size() + a.ns.size() + a.value.size() + 4);
}

bool TreeReader::children(Element* e, std::uint64_t count, bool after_text, bool verbatim,
                          const StanzaRefs* refs, std::size_t depth) {
  bool forwarded = dict::is_forwarded(e->name(), e->ns());
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint8_t b = 0;
    if (!in_.byte(b)) {
      return fail(DecodeErrorKind::Malformed, "truncated children");
    }
    if (b == ebyte::kText) {
      if (after_text) {
        return fail(DecodeErrorKind::Malformed, "adjacent text items");
      }
      if (!text(e, verbatim, refs)) {
        return false;
      }
      after_text = true;
      continue;
    }
    after_text = false;
    Element* child = nullptr;
    if (!element(b, e->ns(), refs, forwarded, depth + 1, child)) {
      return false;
    }
    e->append(child);
  }
  return true;
}

}  // namespace tern::xmpp::binary
