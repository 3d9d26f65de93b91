// SPDX-License-Identifier: MIT
// A PEP node's configuration (XEP-0060 §16.4.4 pubsub#node_config, as XEP-0163 profiles it):
// every field of the registry is recognised, so that a client's publish-options or configure
// form never fails on a field Tern merely stores; the fields Tern acts on are read through the
// typed accessors. Values are kept canonical (booleans "1"/"0", max_items a number or "max"),
// so a precondition compares meanings, not spellings ("true" meets "1").
//
// Pure functions over the form: tested on their own (tests/unit/modules/pep_node_config_test).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/data_form.h"
#include "xmpp/element.h"

namespace tern::modules::pep {

inline constexpr std::string_view kNodeConfigForm = "http://jabber.org/protocol/pubsub#node_config";
inline constexpr std::string_view kPublishOptionsForm =
    "http://jabber.org/protocol/pubsub#publish-options";

enum class AccessModel : std::uint8_t { Presence, Open, Roster, Whitelist };
enum class SendLastItem : std::uint8_t { Never, OnSubscription, OnSubscriptionAndPresence };

// The server's bounds on what a configuration may ask.
struct ConfigLimits {
  std::int64_t max_items = 256;  // what "max" means, and the most a node may keep
};

class NodeConfig {
 public:
  // XEP-0163 §5's defaults: presence access, notifications with payloads, the last item on
  // subscription and presence, persistent items, one item kept (as Prosody and ejabberd do).
  NodeConfig() = default;

  AccessModel access_model() const;
  // The most items the node keeps (max_items, with "max" the server's limit).
  std::int64_t max_items(const ConfigLimits& limits) const;
  bool persist_items() const { return flag("pubsub#persist_items"); }
  bool deliver_notifications() const { return flag("pubsub#deliver_notifications"); }
  bool deliver_payloads() const { return flag("pubsub#deliver_payloads"); }
  bool notify_delete() const { return flag("pubsub#notify_delete"); }
  bool notify_retract() const { return flag("pubsub#notify_retract"); }
  SendLastItem send_last_published_item() const;
  // roster_groups_allowed, for the roster access model.
  std::vector<std::string> roster_groups() const;

  // Applies a submitted configure form or publish-options' node defaults: every field must be
  // one of the registry's with a valid value; nothing changes on an error, whose text names the
  // field.
  std::optional<std::string> apply(const xmpp::SubmittedForm& form, const ConfigLimits& limits);
  // XEP-0060 §7.1.5: whether every publish-option equals this configuration's value; the
  // text of the first that does not.
  std::optional<std::string> unmet_precondition(const xmpp::SubmittedForm& options,
                                                const ConfigLimits& limits) const;

  // The configure form (XEP-0060 §8.2.1) under `parent`, type 'form'.
  void write_form(xmpp::Element& parent, const ConfigLimits& limits) const;

  // The stored form: fields that differ from the defaults.
  std::string serialize() const;
  static std::optional<NodeConfig> parse(std::string_view stored);

  friend bool operator==(const NodeConfig&, const NodeConfig&) = default;

 private:
  bool flag(std::string_view var) const;
  const std::vector<std::string>& values(std::string_view var) const;

  // Fields set away from the default, canonical values.
  std::map<std::string, std::vector<std::string>, std::less<>> set_;
};

}  // namespace tern::modules::pep
