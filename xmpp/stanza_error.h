// SPDX-License-Identifier: MIT
// Stanza errors (RFC 6120 §8.3): every defined condition with its default error type, named
// constructors, and the error reply to a request. A stanza error goes back to the sender; the
// stream carries on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xmpp/stanza.h"

namespace tern::xmpp {

// RFC 6120 §8.3.2
enum class ErrorType : std::uint8_t { Auth, Cancel, Continue, Modify, Wait };

// RFC 6120 §8.3.3, in the RFC's order.
enum class StanzaCondition : std::uint8_t {
  BadRequest,
  Conflict,
  FeatureNotImplemented,
  Forbidden,
  Gone,
  InternalServerError,
  ItemNotFound,
  JidMalformed,
  NotAcceptable,
  NotAllowed,
  NotAuthorized,
  PolicyViolation,
  RecipientUnavailable,
  Redirect,
  RegistrationRequired,
  RemoteServerNotFound,
  RemoteServerTimeout,
  ResourceConstraint,
  ServiceUnavailable,
  SubscriptionRequired,
  UndefinedCondition,
  UnexpectedRequest,
};
inline constexpr std::size_t kStanzaConditionCount = 22;

std::string_view condition_name(StanzaCondition condition);
std::optional<StanzaCondition> parse_stanza_condition(std::string_view name);
std::string_view error_type_name(ErrorType type);
std::optional<ErrorType> parse_error_type(std::string_view name);
// The type RFC 6120 §8.3.3 recommends for each condition.
ErrorType default_error_type(StanzaCondition condition);

// RFC 6120 §8.3.2: an application-specific condition, an empty element in the application's
// namespace that refines the defined condition (e.g. XEP-0191's <blocked/>). Absent when `name`
// is empty.
struct ApplicationCondition {
  std::string ns;
  std::string name;
  // Its child elements with their text, in the same namespace (XEP-0363's <max-file-size/>).
  std::vector<std::pair<std::string, std::string>> children;
  // Its attributes (XEP-0060's <unsupported feature='…'/>).
  std::vector<std::pair<std::string, std::string>> attributes = {};
  friend bool operator==(const ApplicationCondition&, const ApplicationCondition&) = default;
};

struct StanzaError {
  ErrorType type = ErrorType::Cancel;
  StanzaCondition condition = StanzaCondition::UndefinedCondition;
  std::string text;      // optional explanation (English)
  std::string by;        // the entity that generated the error, when not the recipient
  std::string redirect;  // URI for Gone and Redirect (RFC 6120 §8.3.3.5, §8.3.3.14)
  ApplicationCondition application;

  // A condition with its default type and an optional text.
  static StanzaError of(StanzaCondition condition, std::string text = {});
  static StanzaError bad_request(std::string text = {});
  static StanzaError conflict(std::string text = {});
  static StanzaError feature_not_implemented(std::string text = {});
  static StanzaError forbidden(std::string text = {});
  static StanzaError internal_server_error(std::string text = {});
  static StanzaError item_not_found(std::string text = {});
  static StanzaError jid_malformed(std::string text = {});
  static StanzaError not_acceptable(std::string text = {});
  static StanzaError not_allowed(std::string text = {});
  static StanzaError not_authorized(std::string text = {});
  static StanzaError policy_violation(std::string text = {});
  static StanzaError recipient_unavailable(std::string text = {});
  static StanzaError remote_server_not_found(std::string text = {});
  static StanzaError resource_constraint(std::string text = {});
  static StanzaError service_unavailable(std::string text = {});
  static StanzaError unexpected_request(std::string text = {});

  // This error with an application-specific condition <name xmlns=ns/> added.
  StanzaError with_application_condition(
      std::string_view ns, std::string_view name,
      std::vector<std::pair<std::string, std::string>> children = {},
      std::vector<std::pair<std::string, std::string>> attributes = {}) const;

  // Appends <error type=…>…</error> to `parent`.
  Element& append_to(Element& parent) const;
  // Reads the <error/> child of a stanza of type 'error'; nullopt when there is none.
  static std::optional<StanzaError> from_stanza(const Element& stanza);

  friend bool operator==(const StanzaError&, const StanzaError&) = default;
};

// Whether an error may be sent in reply to `request`: never to an error (RFC 6120 §8.3.1: avoid
// loops) and never to an IQ result.
bool may_reply_with_error(const Element& request);

// The error reply to `request` (RFC 6120 §8.3.1): same name, to/from swapped, id kept,
// type='error', and the <error/> element. nullptr when may_reply_with_error() is false.
StanzaPtr make_error_reply(const Element& request, const StanzaError& error);

}  // namespace tern::xmpp
