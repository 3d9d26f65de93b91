// SPDX-License-Identifier: MIT
#include "modules/pep/node_config.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace tern::modules::pep {
namespace {

enum class Kind : std::uint8_t { Boolean, MaxItems, List, Text, Multi };

struct Field {
  std::string_view var;
  Kind kind;
  std::string_view fallback;                   // canonical; "" for none
  std::vector<std::string_view> options = {};  // a List's values Tern supports
  std::string_view form_type = {};             // the XEP-0004 field type in the configure form
};

// XEP-0060 §16.4.4, every field of the registry.
const std::vector<Field>& registry() {
  static const std::vector<Field> fields = {
      {"pubsub#access_model", Kind::List, "presence", {"open", "presence", "roster", "whitelist"}},
      {"pubsub#body_xslt", Kind::Text, ""},
      {"pubsub#children_association_policy", Kind::Text, ""},
      {"pubsub#children_association_whitelist", Kind::Multi, "", {}, "jid-multi"},
      {"pubsub#children", Kind::Multi, "", {}, "text-multi"},
      {"pubsub#children_max", Kind::Text, ""},
      {"pubsub#collection", Kind::Multi, "", {}, "text-multi"},
      {"pubsub#contact", Kind::Multi, "", {}, "jid-multi"},
      {"pubsub#dataform_xslt", Kind::Text, ""},
      {"pubsub#deliver_notifications", Kind::Boolean, "1"},
      {"pubsub#deliver_payloads", Kind::Boolean, "1"},
      {"pubsub#description", Kind::Text, ""},
      {"pubsub#item_expire", Kind::Text, ""},
      {"pubsub#itemreply", Kind::List, "owner", {"owner", "publisher"}},
      {"pubsub#language", Kind::Text, ""},
      {"pubsub#max_items", Kind::MaxItems, "1"},
      {"pubsub#max_payload_size", Kind::Text, ""},
      {"pubsub#node_type", Kind::List, "leaf", {"leaf"}},
      {"pubsub#notification_type", Kind::List, "headline", {"headline", "normal"}},
      {"pubsub#notify_config", Kind::Boolean, "0"},
      {"pubsub#notify_delete", Kind::Boolean, "1"},
      {"pubsub#notify_retract", Kind::Boolean, "1"},
      {"pubsub#notify_sub", Kind::Boolean, "0"},
      {"pubsub#persist_items", Kind::Boolean, "1"},
      {"pubsub#presence_based_delivery", Kind::Boolean, "0"},
      // A PEP node has one publisher: its owner (XEP-0163 §3).
      {"pubsub#publish_model", Kind::List, "publishers", {"publishers"}},
      {"pubsub#purge_offline", Kind::Boolean, "0"},
      {"pubsub#roster_groups_allowed", Kind::Multi, "", {}, "list-multi"},
      {"pubsub#send_last_published_item",
       Kind::List,
       "on_sub_and_presence",
       {"never", "on_sub", "on_sub_and_presence"}},
      {"pubsub#subscribe", Kind::Boolean, "1"},
      {"pubsub#tempsub", Kind::Boolean, "0"},
      {"pubsub#title", Kind::Text, ""},
      {"pubsub#type", Kind::Text, ""},
  };
  return fields;
}

const Field* find_field(std::string_view var) {
  for (const Field& field : registry()) {
    if (field.var == var) {
      return &field;
    }
  }
  return nullptr;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// The canonical values of a submitted field, or the reason they are not acceptable.
struct Canonical {
  std::vector<std::string> values;
  std::string error;
};

Canonical canonical(const Field& field, const std::vector<std::string>& submitted,
                    const ConfigLimits& limits) {
  auto single = [&]() -> std::optional<std::string_view> {
    if (submitted.size() > 1) {
      return std::nullopt;
    }
    return submitted.empty() ? std::string_view() : std::string_view(submitted.front());
  };
  std::string var(field.var);
  switch (field.kind) {
    case Kind::Boolean: {
      auto text = single();
      auto value = text ? xmpp::form_boolean(*text) : std::nullopt;
      if (!value) {
        return {{}, var + " takes a boolean"};
      }
      return {{*value ? "1" : "0"}, {}};
    }
    case Kind::MaxItems: {
      auto text = single();
      if (text && *text == "max") {
        return {{"max"}, {}};
      }
      auto value = text ? parse_integer(*text) : std::nullopt;
      if (!value || *value < 1) {
        return {{}, var + " takes a positive number or 'max'"};
      }
      if (*value > limits.max_items) {
        return {{}, var + " may be at most " + std::to_string(limits.max_items)};
      }
      return {{std::to_string(*value)}, {}};
    }
    case Kind::List: {
      auto text = single();
      if (!text ||
          std::find(field.options.begin(), field.options.end(), *text) == field.options.end()) {
        return {{}, var + " does not support '" + std::string(text.value_or("")) + "'"};
      }
      return {{std::string(*text)}, {}};
    }
    case Kind::Text: {
      auto text = single();
      if (!text) {
        return {{}, var + " takes one value"};
      }
      return {{std::string(*text)}, {}};
    }
    case Kind::Multi: {
      std::vector<std::string> values = submitted;
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
      return {values, {}};
    }
  }
  return {{}, var + " is not supported"};
}

std::vector<std::string> default_values(const Field& field) {
  if (field.kind == Kind::Multi || field.fallback.empty()) {
    return {};
  }
  return {std::string(field.fallback)};
}

// Stored form: each string as "<length>:<bytes>"; a field is its var, its value count, values.
void put_string(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

std::optional<std::string_view> take_string(std::string_view& in) {
  std::size_t colon = in.find(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  auto length = parse_integer(in.substr(0, colon));
  if (!length || *length < 0 || static_cast<std::size_t>(*length) > in.size() - colon - 1) {
    return std::nullopt;
  }
  std::string_view s = in.substr(colon + 1, static_cast<std::size_t>(*length));
  in.remove_prefix(colon + 1 + static_cast<std::size_t>(*length));
  return s;
}

}  // namespace

const std::vector<std::string>& NodeConfig::values(std::string_view var) const {
  if (auto it = set_.find(var); it != set_.end()) {
    return it->second;
  }
  // The registry's defaults, made once.
  static const auto defaults = [] {
    std::map<std::string, std::vector<std::string>, std::less<>> d;
    for (const Field& field : registry()) {
      d.emplace(std::string(field.var), default_values(field));
    }
    return d;
  }();
  static const std::vector<std::string> none;
  auto it = defaults.find(var);
  return it == defaults.end() ? none : it->second;
}

bool NodeConfig::flag(std::string_view var) const {
  const auto& v = values(var);
  return !v.empty() && v.front() == "1";
}

AccessModel NodeConfig::access_model() const {
  const auto& v = values("pubsub#access_model");
  std::string_view model = v.empty() ? "presence" : std::string_view(v.front());
  if (model == "open") {
    return AccessModel::Open;
  }
  if (model == "roster") {
    return AccessModel::Roster;
  }
  if (model == "whitelist") {
    return AccessModel::Whitelist;
  }
  return AccessModel::Presence;
}

std::int64_t NodeConfig::max_items(const ConfigLimits& limits) const {
  const auto& v = values("pubsub#max_items");
  if (v.empty() || v.front() == "max") {
    return limits.max_items;
  }
  return std::min(parse_integer(v.front()).value_or(1), limits.max_items);
}

SendLastItem NodeConfig::send_last_published_item() const {
  const auto& v = values("pubsub#send_last_published_item");
  if (!v.empty() && v.front() == "never") {
    return SendLastItem::Never;
  }
  if (!v.empty() && v.front() == "on_sub") {
    return SendLastItem::OnSubscription;
  }
  return SendLastItem::OnSubscriptionAndPresence;
}

std::vector<std::string> NodeConfig::roster_groups() const {
  return values("pubsub#roster_groups_allowed");
}

std::optional<std::string> NodeConfig::apply(const xmpp::SubmittedForm& form,
                                             const ConfigLimits& limits) {
  auto changed = set_;
  for (const auto& [var, submitted] : form.fields) {
    const Field* field = find_field(var);
    if (field == nullptr) {
      return "unknown field " + var;
    }
    Canonical value = canonical(*field, submitted, limits);
    if (!value.error.empty()) {
      return value.error;
    }
    if (value.values == default_values(*field)) {
      changed.erase(var);
    } else {
      changed[var] = std::move(value.values);
    }
  }
  set_ = std::move(changed);
  return std::nullopt;
}

std::optional<std::string> NodeConfig::unmet_precondition(const xmpp::SubmittedForm& options,
                                                          const ConfigLimits& limits) const {
  for (const auto& [var, submitted] : options.fields) {
    const Field* field = find_field(var);
    if (field == nullptr) {
      return "unknown publish option " + var;
    }
    Canonical wanted = canonical(*field, submitted, limits);
    if (!wanted.error.empty()) {
      return wanted.error;
    }
    if (wanted.values != values(var)) {
      return "the node's " + var + " differs";
    }
  }
  return std::nullopt;
}

void NodeConfig::write_form(xmpp::Element& parent, const ConfigLimits& limits) const {
  xmpp::Element& form = xmpp::add_form(parent, "form", kNodeConfigForm);
  for (const Field& field : registry()) {
    std::string_view type = field.form_type;
    if (type.empty()) {
      switch (field.kind) {
        case Kind::Boolean:
          type = "boolean";
          break;
        case Kind::List:
          type = "list-single";
          break;
        case Kind::Multi:
          type = "text-multi";
          break;
        case Kind::MaxItems:
        case Kind::Text:
          type = "text-single";
          break;
      }
    }
    xmpp::Element& element = xmpp::add_form_field(form, field.var, type, values(field.var));
    for (std::string_view option : field.options) {
      element.add_child("option").add_child("value").add_text(option);
    }
    if (field.kind == Kind::MaxItems) {
      element.set_attr("label", "Items kept (at most " + std::to_string(limits.max_items) + ")");
    }
  }
}

std::string NodeConfig::serialize() const {
  std::string out;
  for (const auto& [var, values] : set_) {
    put_string(out, var);
    put_string(out, std::to_string(values.size()));
    for (const std::string& value : values) {
      put_string(out, value);
    }
  }
  return out;
}

std::optional<NodeConfig> NodeConfig::parse(std::string_view stored) {
  NodeConfig config;
  while (!stored.empty()) {
    auto var = take_string(stored);
    auto count_text = var ? take_string(stored) : std::nullopt;
    auto count = count_text ? parse_integer(*count_text) : std::nullopt;
    if (!count || *count < 0) {
      return std::nullopt;
    }
    std::vector<std::string> values;
    for (std::int64_t i = 0; i < *count; ++i) {
      auto value = take_string(stored);
      if (!value) {
        return std::nullopt;
      }
      values.emplace_back(*value);
    }
    config.set_[std::string(*var)] = std::move(values);
  }
  return config;
}

}  // namespace tern::modules::pep
