// SPDX-License-Identifier: MIT
// XEP-0004 data forms as protocols use them: a submitted form read into its FORM_TYPE and its
// fields' values (XEP-0068), and a form written with a FORM_TYPE and fields. Field types and
// labels matter to people, not to the server, so only what the server acts on is kept.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.h"

namespace tern::xmpp {

struct SubmittedForm {
  std::string type;       // the <x type=…> ("submit", "result", …)
  std::string form_type;  // the hidden FORM_TYPE field's value; empty when absent
  // Every other field by var, with its values in order (one for most field types).
  std::map<std::string, std::vector<std::string>, std::less<>> fields;

  // The first value of a field, or nullopt when the field is absent or has no value.
  std::optional<std::string_view> value(std::string_view var) const;
};

// Reads <x xmlns='jabber:x:data'/>; nullopt for a form that breaks XEP-0004 (a field without a
// var, or one var twice). Values are the text of <value/> children.
std::optional<SubmittedForm> read_form(const Element& x);

// XEP-0004 boolean values: "1"/"true" and "0"/"false"; nullopt for anything else.
std::optional<bool> form_boolean(std::string_view value);

// Writes a form of `type` ("form", "result") under `parent`, with the hidden FORM_TYPE first;
// add fields with add_form_field.
Element& add_form(Element& parent, std::string_view type, std::string_view form_type);
// A field with a var, an optional XEP-0004 field type ("" for none) and its values.
Element& add_form_field(Element& form, std::string_view var, std::string_view field_type,
                        const std::vector<std::string>& values);

}  // namespace tern::xmpp
