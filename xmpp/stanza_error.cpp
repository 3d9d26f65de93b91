// SPDX-License-Identifier: MIT
// Stanza error names, default types, element conversion and error replies (RFC 6120 §8.3).
#include "xmpp/stanza_error.h"

#include <array>
#include <utility>

#include "xmpp/namespaces.h"

namespace tern::xmpp {
namespace {

struct ConditionInfo {
  std::string_view name;
  ErrorType type;
};

// RFC 6120 §8.3.3: each condition's name and the error type the RFC gives it.
constexpr std::array<ConditionInfo, kStanzaConditionCount> kConditions = {{
    {"bad-request", ErrorType::Modify},
    {"conflict", ErrorType::Cancel},
    {"feature-not-implemented", ErrorType::Cancel},
    {"forbidden", ErrorType::Auth},
    {"gone", ErrorType::Cancel},
    {"internal-server-error", ErrorType::Cancel},
    {"item-not-found", ErrorType::Cancel},
    {"jid-malformed", ErrorType::Modify},
    {"not-acceptable", ErrorType::Modify},
    {"not-allowed", ErrorType::Cancel},
    {"not-authorized", ErrorType::Auth},
    {"policy-violation", ErrorType::Modify},
    {"recipient-unavailable", ErrorType::Wait},
    {"redirect", ErrorType::Modify},
    {"registration-required", ErrorType::Auth},
    {"remote-server-not-found", ErrorType::Cancel},
    {"remote-server-timeout", ErrorType::Wait},
    {"resource-constraint", ErrorType::Wait},
    {"service-unavailable", ErrorType::Cancel},
    {"subscription-required", ErrorType::Auth},
    {"undefined-condition", ErrorType::Cancel},
    {"unexpected-request", ErrorType::Wait},
}};

constexpr std::array<std::string_view, 5> kTypeNames = {"auth", "cancel", "continue", "modify",
                                                        "wait"};

}  // namespace

std::string_view condition_name(StanzaCondition condition) {
  return kConditions[static_cast<std::size_t>(condition)].name;
}

std::optional<StanzaCondition> parse_stanza_condition(std::string_view name) {
  for (std::size_t i = 0; i < kConditions.size(); ++i) {
    if (kConditions[i].name == name) {
      return static_cast<StanzaCondition>(i);
    }
  }
  return std::nullopt;
}

std::string_view error_type_name(ErrorType type) {
  return kTypeNames[static_cast<std::size_t>(type)];
}

std::optional<ErrorType> parse_error_type(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) {
      return static_cast<ErrorType>(i);
    }
  }
  return std::nullopt;
}

ErrorType default_error_type(StanzaCondition condition) {
  return kConditions[static_cast<std::size_t>(condition)].type;
}

StanzaError StanzaError::of(StanzaCondition condition, std::string text) {
  return StanzaError{default_error_type(condition), condition, std::move(text), {}, {}, {}};
}
StanzaError StanzaError::bad_request(std::string text) {
  return of(StanzaCondition::BadRequest, std::move(text));
}
StanzaError StanzaError::conflict(std::string text) {
  return of(StanzaCondition::Conflict, std::move(text));
}
StanzaError StanzaError::feature_not_implemented(std::string text) {
  return of(StanzaCondition::FeatureNotImplemented, std::move(text));
}
StanzaError StanzaError::forbidden(std::string text) {
  return of(StanzaCondition::Forbidden, std::move(text));
}
StanzaError StanzaError::internal_server_error(std::string text) {
  return of(StanzaCondition::InternalServerError, std::move(text));
}
StanzaError StanzaError::item_not_found(std::string text) {
  return of(StanzaCondition::ItemNotFound, std::move(text));
}
StanzaError StanzaError::jid_malformed(std::string text) {
  return of(StanzaCondition::JidMalformed, std::move(text));
}
StanzaError StanzaError::not_acceptable(std::string text) {
  return of(StanzaCondition::NotAcceptable, std::move(text));
}
StanzaError StanzaError::not_allowed(std::string text) {
  return of(StanzaCondition::NotAllowed, std::move(text));
}
StanzaError StanzaError::not_authorized(std::string text) {
  return of(StanzaCondition::NotAuthorized, std::move(text));
}
StanzaError StanzaError::policy_violation(std::string text) {
  return of(StanzaCondition::PolicyViolation, std::move(text));
}
StanzaError StanzaError::recipient_unavailable(std::string text) {
  return of(StanzaCondition::RecipientUnavailable, std::move(text));
}
StanzaError StanzaError::remote_server_not_found(std::string text) {
  return of(StanzaCondition::RemoteServerNotFound, std::move(text));
}
StanzaError StanzaError::resource_constraint(std::string text) {
  return of(StanzaCondition::ResourceConstraint, std::move(text));
}
StanzaError StanzaError::service_unavailable(std::string text) {
  return of(StanzaCondition::ServiceUnavailable, std::move(text));
}
StanzaError StanzaError::unexpected_request(std::string text) {
  return of(StanzaCondition::UnexpectedRequest, std::move(text));
}

StanzaError StanzaError::with_application_condition(
    std::string_view ns, std::string_view name,
    std::vector<std::pair<std::string, std::string>> children,
    std::vector<std::pair<std::string, std::string>> attributes) const {
  StanzaError refined = *this;
  refined.application = {std::string(ns), std::string(name), std::move(children),
                         std::move(attributes)};
  return refined;
}

Element& StanzaError::append_to(Element& parent) const {
  Element& error = parent.add_child("error");
  error.set_attr("type", error_type_name(type));
  if (!by.empty()) {
    error.set_attr("by", by);
  }
  Element& cond = error.add_child(condition_name(condition), ns::kStanzaErrors);
  if ((condition == StanzaCondition::Gone || condition == StanzaCondition::Redirect) &&
      !redirect.empty()) {
    cond.set_text(redirect);
  }
  if (!text.empty()) {
    error.add_child("text", ns::kStanzaErrors).set_attr("lang", ns::kXml, "en").set_text(text);
  }
  // RFC 6120 §8.3.2: the application-specific condition comes after the defined one and the text.
  if (!application.name.empty()) {
    Element& app = error.add_child(application.name, application.ns);
    for (const auto& [name, value] : application.attributes) {
      app.set_attr(name, value);
    }
    for (const auto& [name, text] : application.children) {
      app.add_child(name, application.ns).set_text(text);
    }
  }
  return error;
}

std::optional<StanzaError> StanzaError::from_stanza(const Element& stanza) {
  const Element* error = stanza.child("error");
  if (error == nullptr) {
    return std::nullopt;
  }
  StanzaError result;
  result.type = parse_error_type(error->attr("type")).value_or(ErrorType::Cancel);
  result.by = std::string(error->attr("by"));
  bool found = false;
  for (const Element& child : error->children()) {
    if (child.ns() != ns::kStanzaErrors) {
      if (result.application.name.empty()) {
        result.application = {std::string(child.ns()), std::string(child.name()), {}};
        for (const Attribute& attribute : child.attrs()) {
          result.application.attributes.emplace_back(attribute.name, attribute.value);
        }
        for (const Element& grandchild : child.children()) {
          result.application.children.emplace_back(grandchild.name(), grandchild.text());
        }
      }
      continue;
    }
    if (child.name() == "text") {
      result.text = std::string(child.text());
    } else if (auto condition = parse_stanza_condition(child.name()); condition && !found) {
      result.condition = *condition;
      result.redirect = std::string(child.text());
      found = true;
    }
  }
  return result;
}

bool may_reply_with_error(const Element& request) {
  std::string_view type = request.attr("type");
  if (type == "error") {
    return false;
  }
  return !(request.name() == "iq" && type == "result");
}

StanzaPtr make_error_reply(const Element& request, const StanzaError& error) {
  if (!may_reply_with_error(request)) {
    return nullptr;
  }
  StanzaPtr reply = make_reply(request);
  reply->root().set_attr("type", "error");
  error.append_to(reply->root());
  return reply;
}

}  // namespace tern::xmpp
