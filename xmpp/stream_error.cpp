// SPDX-License-Identifier: MIT
// Stream error names, constructors and element conversion (RFC 6120 §4.9).
#include "xmpp/stream_error.h"

#include <array>
#include <utility>

#include "xmpp/namespaces.h"

namespace tern::xmpp {
namespace {

constexpr std::array<std::string_view, kStreamConditionCount> kNames = {
    "bad-format",
    "bad-namespace-prefix",
    "conflict",
    "connection-timeout",
    "host-gone",
    "host-unknown",
    "improper-addressing",
    "internal-server-error",
    "invalid-from",
    "invalid-namespace",
    "invalid-xml",
    "not-authorized",
    "not-well-formed",
    "policy-violation",
    "remote-connection-failed",
    "reset",
    "resource-constraint",
    "restricted-xml",
    "see-other-host",
    "system-shutdown",
    "undefined-condition",
    "unsupported-encoding",
    "unsupported-feature",
    "unsupported-stanza-type",
    "unsupported-version",
};

StreamError make(StreamCondition condition, std::string text) {
  return StreamError{condition, std::move(text), {}};
}

}  // namespace

std::string_view condition_name(StreamCondition condition) {
  return kNames[static_cast<std::size_t>(condition)];
}

std::optional<StreamCondition> parse_stream_condition(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      return static_cast<StreamCondition>(i);
    }
  }
  return std::nullopt;
}

StreamError StreamError::bad_format(std::string text) {
  return make(StreamCondition::BadFormat, std::move(text));
}
StreamError StreamError::conflict(std::string text) {
  return make(StreamCondition::Conflict, std::move(text));
}
StreamError StreamError::connection_timeout(std::string text) {
  return make(StreamCondition::ConnectionTimeout, std::move(text));
}
StreamError StreamError::host_unknown(std::string text) {
  return make(StreamCondition::HostUnknown, std::move(text));
}
StreamError StreamError::internal_server_error(std::string text) {
  return make(StreamCondition::InternalServerError, std::move(text));
}
StreamError StreamError::invalid_namespace(std::string text) {
  return make(StreamCondition::InvalidNamespace, std::move(text));
}
StreamError StreamError::not_authorized(std::string text) {
  return make(StreamCondition::NotAuthorized, std::move(text));
}
StreamError StreamError::not_well_formed(std::string text) {
  return make(StreamCondition::NotWellFormed, std::move(text));
}
StreamError StreamError::policy_violation(std::string text) {
  return make(StreamCondition::PolicyViolation, std::move(text));
}
StreamError StreamError::resource_constraint(std::string text) {
  return make(StreamCondition::ResourceConstraint, std::move(text));
}
StreamError StreamError::restricted_xml(std::string text) {
  return make(StreamCondition::RestrictedXml, std::move(text));
}
StreamError StreamError::see_other_host(std::string address) {
  return StreamError{StreamCondition::SeeOtherHost, {}, std::move(address)};
}
StreamError StreamError::system_shutdown(std::string text) {
  return make(StreamCondition::SystemShutdown, std::move(text));
}
StreamError StreamError::unsupported_encoding(std::string text) {
  return make(StreamCondition::UnsupportedEncoding, std::move(text));
}
StreamError StreamError::unsupported_stanza_type(std::string text) {
  return make(StreamCondition::UnsupportedStanzaType, std::move(text));
}
StreamError StreamError::unsupported_version(std::string text) {
  return make(StreamCondition::UnsupportedVersion, std::move(text));
}

StanzaPtr StreamError::to_stanza() const {
  StanzaPtr stanza = Stanza::create("error", ns::kStreams);
  Element& cond = stanza->root().add_child(condition_name(condition), ns::kStreamErrors);
  if (condition == StreamCondition::SeeOtherHost) {
    cond.set_text(other_host);  // RFC 6120 §4.9.3.19: the address is the element's text
  }
  if (!text.empty()) {
    stanza->root()
        .add_child("text", ns::kStreamErrors)
        .set_attr("lang", ns::kXml, "en")
        .set_text(text);
  }
  return stanza;
}

std::optional<StreamError> StreamError::from_element(const Element& element) {
  if (!element.is("error", ns::kStreams)) {
    return std::nullopt;
  }
  StreamError error;
  bool found = false;
  for (const Element& child : element.children()) {
    if (child.ns() != ns::kStreamErrors) {
      continue;  // application-specific condition: kept out of the generic type
    }
    if (child.name() == "text") {
      error.text = std::string(child.text());
    } else if (auto condition = parse_stream_condition(child.name()); condition && !found) {
      error.condition = *condition;
      found = true;
      if (*condition == StreamCondition::SeeOtherHost) {
        error.other_host = std::string(child.text());
      }
    }
  }
  return error;
}

}  // namespace tern::xmpp
