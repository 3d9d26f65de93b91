// SPDX-License-Identifier: MIT
// Element trees to frames. Names that are not tokens are checked as they are written; when a tree
// cannot be carried, the frame is dropped and the JID table's changes are undone, so the state
// stays in step with the peer's.
#include "xmpp/binary/encoder.h"

#include "xmpp/binary/internal/dictionary.h"
#include "xmpp/binary/internal/text.h"
#include "xmpp/binary/internal/typed.h"
#include "xmpp/namespaces.h"

namespace tern::xmpp::binary {
namespace {

bool reserved_ns(std::string_view ns) {
  return ns == kXmlnsNs || ns == ns::kXml;
}

// The first child that is an item: an element or a non-empty text node.
const Node* first_item(const Element& e) {
  const Node* n = e.first_node();
  while (n != nullptr && n->is_text() && n->text_value().empty()) {
    n = n->next();
  }
  return n;
}

// The text run starting at `n` (merged into `buffer` when it spans several nodes); `n` is left on
// the last node of the run.
std::string_view text_run(const Node*& n, std::string& buffer) {
  std::string_view first = n->text_value();
  const Node* next = n->next();
  if (next == nullptr || !next->is_text()) {
    return first;
  }
  buffer.assign(first);
  while (next != nullptr && next->is_text()) {
    buffer += next->text_value();
    n = next;
    next = next->next();
  }
  return buffer;
}

// Where a stanza header attribute goes (from, to, id, type), by name; nullptr for any other.
const Attribute** header_slot(std::string_view name, const Attribute*& from, const Attribute*& to,
                              const Attribute*& id, const Attribute*& type) {
  switch (name.size()) {
    case 2:
      return name[0] == 't' && name[1] == 'o'   ? &to
             : name[0] == 'i' && name[1] == 'd' ? &id
                                                : nullptr;
    case 4:
      return name == "from" ? &from : name == "type" ? &type : nullptr;
    default:
      return nullptr;
  }
}

void finish_frame(std::string& out, std::size_t start) {
  std::size_t body = out.size() - start - 1;
  std::size_t size = varint_size(body);
  if (size > 1) {
    out.insert(start + 1, size - 1, '\0');
  }
  for (std::size_t i = 0; i < size; ++i, body >>= 7) {
    out[start + i] = static_cast<char>((body & 0x7F) | (i + 1 < size ? 0x80 : 0));
  }
}

}  // namespace

std::string_view describe(EncodeError error) {
  switch (error) {
    case EncodeError::InvalidName:
      return "a name is not an ASCII NCName";
    case EncodeError::ReservedName:
      return "an xmlns attribute or a name in a reserved namespace";
    case EncodeError::TooDeep:
      return "elements nested too deep";
    case EncodeError::TooManyAttributes:
      return "too many attributes on one element";
  }
  return "unknown error";
}

Encoder::Encoder(Role sender, Limits limits) : limits_(limits), state_(sender), values_(state_) {}

Encoder::Encoder(const Encoder& other)
    : limits_(other.limits_), state_(other.state_), values_(state_) {}

Result<void, EncodeError> Encoder::encode(const Element& element, std::string& out) {
  std::size_t start = out.size();
  out.push_back('\0');  // the length, fixed up by finish_frame
  bool ok = true;
  {
    Writer w(out);
    if (!short_form(element, w)) {
      state_.table.begin();
      ok = this->element(w, element, state_.content_ns, nullptr, true, 1);
      if (ok) {
        state_.table.commit();
      } else {
        state_.table.rollback();
      }
    }
  }
  if (!ok) {
    out.resize(start);
    return Err(error_);
  }
  finish_frame(out, start);
  return {};
}

bool Encoder::fail(EncodeError error) {
  error_ = error;
  return false;
}

void Encoder::encode_stream_open(const StreamHeader& header, std::string& out) {
  std::size_t start = out.size();
  out.push_back('\0');
  bool custom_ns = header.content_ns != ns::kClient;
  {
    Writer w(out);
    std::uint8_t flags = (header.to.empty() ? 0 : 0x01) | (header.from.empty() ? 0 : 0x02) |
                         (header.id.empty() ? 0 : 0x04) | (header.version.empty() ? 0 : 0x08) |
                         (header.lang.empty() ? 0 : 0x10) | (custom_ns ? 0x20 : 0);
    w.byte(ebyte::kStreamOpen);
    w.byte(flags);
    if (custom_ns) {
      values_.write(w, header.content_ns, ValueClass::Part, nullptr);
    }
    for (const std::string* field :
         {&header.to, &header.from, &header.id, &header.version, &header.lang}) {
      if (!field->empty()) {
        values_.write(w, *field, ValueClass::Part, nullptr);
      }
    }
  }
  finish_frame(out, start);
  state_.restart(state_.sender == Role::Initiator ? header.to : header.from,
                 custom_ns ? std::string_view(header.content_ns) : ns::kClient);
}

void Encoder::encode_stream_close(std::string& out) {
  out.push_back('\x01');
  out.push_back(static_cast<char>(ebyte::kStreamClose));
}

bool Encoder::short_form(const Element& e, Writer& out) {
  if (e.name().size() != 1 || e.first_node() != nullptr || e.ns() != ns::kStreamManagement) {
    return false;
  }
  if (e.name() == "r" && e.attrs().empty()) {
    out.byte(ebyte::kSmRequest);
    return true;
  }
  std::uint64_t h = 0;
  if (e.name() == "a" && e.attrs().size() == 1 && e.attrs()[0].name == "h" &&
      e.attrs()[0].ns.empty() && parse_uint(e.attrs()[0].value, h) && h <= 0xFFFFFFFFULL) {
    out.byte(ebyte::kSmAck);
    out.varint(h);
    return true;
  }
  return false;
}

bool Encoder::element(Writer& out, const Element& e, std::string_view parent_ns,
                      const StanzaRefs* refs, bool routing, std::size_t depth) {
  if (depth > limits_.max_depth) {
    return fail(EncodeError::TooDeep);
  }
  std::size_t attrs = e.attrs().size();
  if (attrs > limits_.max_attributes) {
    return fail(EncodeError::TooManyAttributes);
  }
  int token = dict::find_element(e.name(), e.ns());
  if (token != dict::kNone && (dict::kElements[token].flags & dict::kStanzaForm) != 0) {
    return stanza(out, e, token, routing, depth);
  }
  bool verbatim = token != dict::kNone && (dict::kElements[token].flags & dict::kVerbatim) != 0;
  const Node* item = first_item(e);
  bool text_first = item != nullptr && item->is_text();
  if (token != dict::kNone && attrs == 0) {
    if (item == nullptr) {
      if (int slot = dict::empty_form_of(token); slot != dict::kNone) {
        out.byte(static_cast<std::uint8_t>(ebyte::kEmptyFirst + slot));
        return true;
      }
    } else if (text_first) {
      const Node* last = item;
      std::string_view run = text_run(last, merged_);
      if (last->next() == nullptr) {
        if (int slot = dict::text_form_of(token); slot != dict::kNone) {
          out.byte(static_cast<std::uint8_t>(ebyte::kTextFirst + slot));
          text(out, run, verbatim, refs);
          return true;
        }
      }
    }
  }
  if (token == dict::kNone) {
    if (!valid_name(e.name())) {
      return fail(EncodeError::InvalidName);
    }
    if (reserved_ns(e.ns())) {
      return fail(EncodeError::ReservedName);
    }
    bool inherit = e.ns() == parent_ns;
    out.byte(inherit ? ebyte::kLiteralName : ebyte::kLiteralNameNs);
    values_.write(out, e.name(), ValueClass::Name, nullptr);
    if (!inherit) {
      values_.write(out, e.ns(), ValueClass::Name, nullptr);
    }
  } else if (static_cast<std::size_t>(token) < ebyte::kPage0Elements) {
    out.byte(static_cast<std::uint8_t>(token));
  } else {
    out.byte(ebyte::kPage1);
    out.byte(static_cast<std::uint8_t>(static_cast<std::size_t>(token) - ebyte::kPage0Elements));
  }
  // The shape byte's child count is patched in once the children are written (one walk over
  // them, as the serializer does); the rare count of 15 or more gets its varint then.
  std::size_t shape = out.size();
  out.byte(static_cast<std::uint8_t>((attrs < 7 ? attrs : 7) | (text_first ? 0x80 : 0)));
  if (attrs >= 7) {
    out.varint(attrs);
  }
  std::size_t count_at = out.size();
  for (const Attribute& a : e.attrs()) {
    if (!attribute(out, a, refs)) {
      return false;
    }
  }
  if (text_first) {
    text(out, text_run(item, merged_), verbatim, refs);
    item = item->next();
  }
  std::size_t rest = 0;
  if (!children(out, e, item, verbatim, refs, depth, rest)) {
    return false;
  }
  out.patch(shape, static_cast<std::uint8_t>(out.at(shape) | (rest < 15 ? rest : 15) << 3));
  if (rest >= 15) {
    out.patch_varint(count_at, 0, rest);
  }
  return true;
}

bool Encoder::stanza(Writer& out, const Element& e, int token, bool routing, std::size_t depth) {
  const Attribute* from = nullptr;
  const Attribute* to = nullptr;
  const Attribute* id = nullptr;
  const Attribute* type = nullptr;
  std::size_t extras = 0;
  for (const Attribute& a : e.attrs()) {
    const Attribute** slot = a.ns.empty() ? header_slot(a.name, from, to, id, type) : nullptr;
    if (slot != nullptr) {
      *slot = &a;
    } else {
      ++extras;
    }
  }
  int type_code = type == nullptr ? 0 : dict::stanza_type_code(e.name(), type->value);
  if (type != nullptr && type_code == 0) {
    type_code = 7;
  }
  const Node* item = first_item(e);
  if (static_cast<std::size_t>(token) < ebyte::kPage0Elements) {
    out.byte(static_cast<std::uint8_t>(token));
  } else {
    out.byte(ebyte::kPage1);
    out.byte(static_cast<std::uint8_t>(static_cast<std::size_t>(token) - ebyte::kPage0Elements));
  }
  out.byte(static_cast<std::uint8_t>((from != nullptr ? 0x01 : 0) | (to != nullptr ? 0x02 : 0) |
                                     (id != nullptr ? 0x04 : 0) | type_code << 3 |
                                     (extras != 0 ? 0x40 : 0) | (item != nullptr ? 0x80 : 0)));
  StanzaRefs own;
  ValueClass address = routing ? ValueClass::Routing : ValueClass::General;
  if (from != nullptr) {
    values_.write(out, from->value, address, &own);
    own.from = from->value;
    own.from_bare = own.from.substr(0, own.from.find('/'));
    own.has_from = true;
  }
  if (to != nullptr) {
    values_.write(out, to->value, address, &own);
    own.to = to->value;
    own.has_to = true;
  }
  if (id != nullptr) {
    values_.write(out, id->value, ValueClass::General, &own);
    own.id = id->value;
    own.has_id = true;
  }
  if (type_code == 7) {
    values_.write(out, type->value, ValueClass::General, &own);
  }
  if (extras != 0) {
    out.varint(extras);
    for (const Attribute& a : e.attrs()) {
      if (&a != from && &a != to && &a != id && &a != type && !attribute(out, a, &own)) {
        return false;
      }
    }
  }
  if (item != nullptr) {
    std::size_t count_at = out.size();
    out.byte(0);  // the count, patched in after the children
    std::size_t count = 0;
    if (!children(out, e, item, false, &own, depth, count)) {
      return false;
    }
    out.patch_varint(count_at, 1, count);
  }
  return true;
}

bool Encoder::attribute(Writer& out, const Attribute& a, const StanzaRefs* refs) {
  int token = dict::find_attribute(a.name, a.ns);
  if (token != dict::kNone) {
    out.byte(static_cast<std::uint8_t>(token));
  } else if (!valid_name(a.name)) {
    return fail(EncodeError::InvalidName);
  } else if (a.ns == kXmlnsNs || (a.ns.empty() && a.name == "xmlns")) {
    return fail(EncodeError::ReservedName);
  } else if (a.ns.empty()) {
    out.byte(abyte::kLiteralName);
    values_.write(out, a.name, ValueClass::Name, nullptr);
  } else {
    out.byte(abyte::kLiteralNameNs);
    values_.write(out, a.name, ValueClass::Name, nullptr);
    values_.write(out, a.ns, ValueClass::Name, nullptr);
  }
  values_.write(out, a.value, ValueClass::General, refs);
  return true;
}

bool Encoder::children(Writer& out, const Element& e, const Node* from, bool verbatim,
                       const StanzaRefs* refs, std::size_t depth, std::size_t& count) {
  bool forwarded = dict::is_forwarded(e.name(), e.ns());
  for (const Node* n = from; n != nullptr; n = n->next()) {
    if (const Element* child = n->as_element()) {
      if (!element(out, *child, e.ns(), refs, forwarded, depth + 1)) {
        return false;
      }
      ++count;
      continue;
    }
    if (n->text_value().empty()) {
      continue;
    }
    std::string_view run = text_run(n, merged_);
    out.byte(ebyte::kText);
    text(out, run, verbatim, refs);
    ++count;
  }
  return true;
}

void Encoder::text(Writer& out, std::string_view text, bool verbatim, const StanzaRefs* refs) {
  values_.write(out, text, verbatim ? ValueClass::Verbatim : ValueClass::General, refs);
}

}  // namespace tern::xmpp::binary
