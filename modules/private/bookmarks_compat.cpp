// SPDX-License-Identifier: MIT
#include "modules/private/bookmarks_compat.h"

#include "xmpp/data_form.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza.h"
#include "xmpp/stream_parser.h"

namespace tern::modules::bookmarks {

const std::vector<std::pair<std::string, std::string>>& node_config() {
  static const std::vector<std::pair<std::string, std::string>> config = {
      {"pubsub#persist_items", "true"},
      {"pubsub#max_items", "max"},
      {"pubsub#send_last_published_item", "never"},
      {"pubsub#access_model", "whitelist"},
  };
  return config;
}

std::vector<pep::PepItem> to_items(const xmpp::Element& storage,
                                   const std::vector<pep::PepItem>& existing) {
  std::vector<pep::PepItem> items;
  for (const xmpp::Element& legacy : storage.children()) {
    std::string_view room = legacy.attr("jid");
    if (!legacy.is("conference", kLegacyNs) || room.empty()) {
      continue;
    }
    xmpp::StanzaPtr made = xmpp::Stanza::create("conference", kNode);
    xmpp::Element& conference = made->root();
    if (!legacy.attr("name").empty()) {
      conference.set_attr("name", legacy.attr("name"));
    }
    auto autojoin = xmpp::form_boolean(legacy.attr("autojoin"));
    conference.set_attr("autojoin", autojoin.value_or(false) ? "true" : "false");
    for (std::string_view child : {"nick", "password"}) {
      if (const xmpp::Element* value = legacy.child(child, kLegacyNs)) {
        conference.add_child(child).add_text(value->text());
      }
    }
    for (const pep::PepItem& old : existing) {
      if (old.id != room) {
        continue;
      }
      xmpp::StanzaPtr parsed = xmpp::parse_stanza(old.payload);
      const xmpp::Element* extensions =
          parsed ? parsed->root().child("extensions", kNode) : nullptr;
      if (extensions != nullptr) {
        conference.append(extensions->clone_into(conference.arena()));
      }
    }
    items.push_back({std::string(room), xmpp::to_xml(conference)});
  }
  return items;
}

void add_conferences(xmpp::Element& storage, const std::vector<pep::PepItem>& items) {
  for (const pep::PepItem& item : items) {
    xmpp::StanzaPtr parsed = xmpp::parse_stanza(item.payload);
    if (parsed == nullptr || !parsed->root().is("conference", kNode)) {
      continue;
    }
    const xmpp::Element& conference = parsed->root();
    xmpp::Element& legacy = storage.add_child("conference", kLegacyNs).set_attr("jid", item.id);
    if (!conference.attr("name").empty()) {
      legacy.set_attr("name", conference.attr("name"));
    }
    legacy.set_attr("autojoin", xmpp::form_boolean(conference.attr("autojoin")).value_or(false)
                                    ? "true"
                                    : "false");
    for (std::string_view child : {"nick", "password"}) {
      if (const xmpp::Element* value = conference.child(child, kNode)) {
        legacy.add_child(child, kLegacyNs).add_text(value->text());
      }
    }
  }
}

std::string without_conferences(const xmpp::Element& storage) {
  xmpp::StanzaPtr copy = xmpp::Stanza::create("storage", kLegacyNs);
  for (const xmpp::Element& child : storage.children()) {
    if (!child.is("conference", kLegacyNs)) {
      copy->root().append(child.clone_into(copy->arena()));
    }
  }
  return xmpp::to_xml(copy->root());
}

}  // namespace tern::modules::bookmarks
