// SPDX-License-Identifier: MIT
// Stream errors (RFC 6120 §4.9): every defined condition, the named constructors the rest of the
// code uses, and conversion to and from the <stream:error/> element. A stream error is always
// fatal to the stream: the sender writes it, then </stream:stream>, then closes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/stanza.h"

namespace tern::xmpp {

// RFC 6120 §4.9.3, in the RFC's order.
enum class StreamCondition : std::uint8_t {
  BadFormat,
  BadNamespacePrefix,
  Conflict,
  ConnectionTimeout,
  HostGone,
  HostUnknown,
  ImproperAddressing,
  InternalServerError,
  InvalidFrom,
  InvalidNamespace,
  InvalidXml,
  NotAuthorized,
  NotWellFormed,
  PolicyViolation,
  RemoteConnectionFailed,
  Reset,
  ResourceConstraint,
  RestrictedXml,
  SeeOtherHost,
  SystemShutdown,
  UndefinedCondition,
  UnsupportedEncoding,
  UnsupportedFeature,
  UnsupportedStanzaType,
  UnsupportedVersion,
};
inline constexpr std::size_t kStreamConditionCount = 25;

// The element name of a condition, e.g. "not-well-formed".
std::string_view condition_name(StreamCondition condition);
std::optional<StreamCondition> parse_stream_condition(std::string_view name);

struct StreamError {
  StreamCondition condition = StreamCondition::UndefinedCondition;
  std::string text;        // optional human-readable explanation (English), never stanza content
  std::string other_host;  // the new address, for SeeOtherHost only

  static StreamError bad_format(std::string text = {});
  static StreamError conflict(std::string text = {});
  static StreamError connection_timeout(std::string text = {});
  static StreamError host_unknown(std::string text = {});
  static StreamError internal_server_error(std::string text = {});
  static StreamError invalid_namespace(std::string text = {});
  static StreamError not_authorized(std::string text = {});
  static StreamError not_well_formed(std::string text = {});
  static StreamError policy_violation(std::string text = {});
  static StreamError resource_constraint(std::string text = {});
  static StreamError restricted_xml(std::string text = {});
  static StreamError see_other_host(std::string address);
  static StreamError system_shutdown(std::string text = {});
  static StreamError unsupported_encoding(std::string text = {});
  static StreamError unsupported_stanza_type(std::string text = {});
  static StreamError unsupported_version(std::string text = {});

  // <stream:error xmlns:stream=…><condition xmlns='urn:…:xmpp-streams'/><text>…</text></…>
  StanzaPtr to_stanza() const;
  // Reads a received <stream:error/>; nullopt when `element` is not one.
  static std::optional<StreamError> from_element(const Element& element);

  friend bool operator==(const StreamError&, const StreamError&) = default;
};

}  // namespace tern::xmpp
