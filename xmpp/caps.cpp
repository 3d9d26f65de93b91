// SPDX-License-Identifier: MIT
#include "xmpp/caps.h"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <vector>

#include "xmpp/base64.h"
#include "xmpp/namespaces.h"

namespace tern::xmpp {

std::optional<CapsClaim> caps_claim(const Element& presence) {
  const Element* c = presence.child("c", ns::kCaps);
  if (c == nullptr || c->attr("hash").empty() || c->attr("node").empty() ||
      c->attr("ver").empty()) {
    return std::nullopt;
  }
  return CapsClaim{std::string(c->attr("hash")), std::string(c->attr("node")),
                   std::string(c->attr("ver"))};
}

namespace {

template <typename T>
bool has_duplicates(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  return std::adjacent_find(values.begin(), values.end()) != values.end();
}

// §5.1 step 3: a form's FORM_TYPE, then its fields sorted by var, each with its values sorted.
std::optional<std::pair<std::string, std::string>> form_string(const Element& form) {
  std::string form_type;
  std::map<std::string, std::vector<std::string>> fields;
  for (const Element& field : form.children()) {
    if (!field.is("field", ns::kDataForms)) {
      continue;
    }
    std::vector<std::string> values;
    for (const Element& value : field.children()) {
      if (value.is("value", ns::kDataForms)) {
        values.emplace_back(value.text());
      }
    }
    std::string var(field.attr("var"));
    if (var == "FORM_TYPE") {
      if (field.attr("type") != "hidden" || values.size() != 1 || !form_type.empty()) {
        return std::nullopt;  // §5.4 step 3.6
      }
      form_type = values.front();
      continue;
    }
    std::sort(values.begin(), values.end());
    if (!fields.emplace(std::move(var), std::move(values)).second) {
      return std::nullopt;
    }
  }
  if (form_type.empty()) {
    return std::pair<std::string, std::string>{};  // ignored (§5.4 step 3.6)
  }
  std::string s = form_type + "<";
  for (const auto& [var, values] : fields) {
    s += var + "<";
    for (const std::string& value : values) {
      s += value + "<";
    }
  }
  return std::pair<std::string, std::string>{form_type, s};
}

}  // namespace

std::optional<std::string> caps_verification_string(const Element& query) {
  std::vector<std::string> identities;
  std::vector<std::string> features;
  std::vector<std::pair<std::string, std::string>> forms;  // (FORM_TYPE, its string)
  for (const Element& child : query.children()) {
    if (child.is("identity", ns::kDiscoInfo)) {
      identities.push_back(
          std::string(child.attr("category")) + "/" + std::string(child.attr("type")) + "/" +
          std::string(child.attr("lang", ns::kXml)) + "/" + std::string(child.attr("name")));
    } else if (child.is("feature", ns::kDiscoInfo)) {
      features.emplace_back(child.attr("var"));
    } else if (child.is("x", ns::kDataForms)) {
      auto form = form_string(child);
      if (!form) {
        return std::nullopt;
      }
      if (!form->first.empty()) {
        forms.push_back(std::move(*form));
      }
    }
  }
  std::vector<std::string> form_types;
  form_types.reserve(forms.size());
  for (const auto& form : forms) {
    form_types.push_back(form.first);
  }
  if (has_duplicates(identities) || has_duplicates(features) || has_duplicates(form_types)) {
    return std::nullopt;  // §5.4 steps 3.3–3.5
  }
  std::sort(identities.begin(), identities.end());
  std::sort(features.begin(), features.end());
  std::sort(forms.begin(), forms.end());
  std::string s;
  for (const std::string& identity : identities) {
    s += identity + "<";
  }
  for (const std::string& feature : features) {
    s += feature + "<";
  }
  for (const auto& form : forms) {
    s += form.second;
  }
  return s;
}

std::optional<std::string> caps_hash(std::string_view algorithm, std::string_view s) {
  const EVP_MD* md = nullptr;
  if (algorithm == "sha-1") {
    md = EVP_sha1();
  } else if (algorithm == "sha-256") {
    md = EVP_sha256();
  } else if (algorithm == "sha-512") {
    md = EVP_sha512();
  } else {
    return std::nullopt;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(s.data(), s.size(), digest, &length, md, nullptr) != 1) {
    return std::nullopt;
  }
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace tern::xmpp
