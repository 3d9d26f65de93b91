// SPDX-License-Identifier: MIT
// The static dictionary of binary XMPP version 1 (docs/binary-xmpp.md, appendix A): the element
// table (name, namespace, form flags), the empty-form and text-form lists, attribute names, values
// and prefixes, in wire order; and the reverse lookups the encoder needs. The tables are generated
// (dictionary_data.cpp by tools/gen_dictionary.py) and never change at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tern::xmpp::binary::dict {

inline constexpr std::uint8_t kStanzaForm = 0x01;  // message, presence, iq: the stanza form
inline constexpr std::uint8_t kVerbatim = 0x02;    // text is human-readable: literal only

struct ElementEntry {
  std::string_view name;
  std::string_view ns;
  std::uint8_t flags;
};

struct AttributeEntry {
  std::string_view name;
  std::string_view ns;
};

extern const ElementEntry kElements[];
extern const std::uint16_t kEmptyForms[];  // element indices
extern const std::uint16_t kTextForms[];   // element indices
extern const AttributeEntry kAttributes[];
extern const std::string_view kValues[];
extern const std::string_view kPrefixes[];
extern const std::size_t kElementCount;
extern const std::size_t kEmptyFormCount;
extern const std::size_t kTextFormCount;
extern const std::size_t kAttributeCount;
extern const std::size_t kValueCount;
extern const std::size_t kPrefixCount;

inline constexpr int kNone = -1;

// Reverse lookups (encoder side): the index, or kNone.
int find_element(std::string_view name, std::string_view ns);
int find_attribute(std::string_view name, std::string_view ns);
int find_value(std::string_view value);
// The empty-form or text-form slot of an element index, or kNone.
int empty_form_of(int element);
int text_form_of(int element);

// Prefixes that `value` starts with, longest first, written into `out` (at most 4); returns the
// count. A prefix equal to the whole value does not count (the rest must be non-empty).
std::size_t matching_prefixes(std::string_view value, int* out);

// Whether an element is XEP-0297's <forwarded/>, whose stanza child has routing addresses.
bool is_forwarded(std::string_view name, std::string_view ns);

// The type attribute codes of the stanza form (section 5.3): 1..6 for the listed values of the
// stanza kind (by the name of a stanza-form element: message, presence or iq), 0 when `type` is
// not one of them.
int stanza_type_code(std::string_view element_name, std::string_view type);
// The value of a code, or an empty view when the code is not defined for the element.
std::string_view stanza_type_value(std::string_view element_name, int code);

}  // namespace tern::xmpp::binary::dict
