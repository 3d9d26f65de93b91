// SPDX-License-Identifier: MIT
#include "xmpp/data_form.h"

#include "xmpp/namespaces.h"

namespace tern::xmpp {

std::optional<std::string_view> SubmittedForm::value(std::string_view var) const {
  auto it = fields.find(var);
  if (it == fields.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second.front();
}

std::optional<SubmittedForm> read_form(const Element& x) {
  if (!x.is("x", ns::kDataForms)) {
    return std::nullopt;
  }
  SubmittedForm form;
  form.type = x.attr("type");
  for (const Element& field : x.children()) {
    if (!field.is("field", ns::kDataForms)) {
      continue;  // <title/>, <instructions/>, <reported/>, <item/>
    }
    std::string_view var = field.attr("var");
    if (var.empty()) {
      return std::nullopt;
    }
    std::vector<std::string> values;
    for (const Element& value : field.children()) {
      if (value.is("value", ns::kDataForms)) {
        values.emplace_back(value.text());
      }
    }
    if (var == "FORM_TYPE") {
      if (!form.form_type.empty() || values.size() != 1) {
        return std::nullopt;
      }
      form.form_type = values.front();
      continue;
    }
    if (!form.fields.emplace(std::string(var), std::move(values)).second) {
      return std::nullopt;
    }
  }
  return form;
}

std::optional<bool> form_boolean(std::string_view value) {
  if (value == "1" || value == "true") {
    return true;
  }
  if (value == "0" || value == "false") {
    return false;
  }
  return std::nullopt;
}

Element& add_form(Element& parent, std::string_view type, std::string_view form_type) {
  Element& form = parent.add_child("x", ns::kDataForms).set_attr("type", type);
  add_form_field(form, "FORM_TYPE", "hidden", {std::string(form_type)});
  return form;
}

Element& add_form_field(Element& form, std::string_view var, std::string_view field_type,
                        const std::vector<std::string>& values) {
  Element& field = form.add_child("field", ns::kDataForms).set_attr("var", var);
  if (!field_type.empty()) {
    field.set_attr("type", field_type);
  }
  for (const std::string& value : values) {
    field.add_child("value", ns::kDataForms).add_text(value);
  }
  return field;
}

}  // namespace tern::xmpp
