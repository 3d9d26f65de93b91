// SPDX-License-Identifier: MIT
#include "conformance/runner/server_features.h"

#include <algorithm>

#include "xmpp/namespaces.h"

namespace tern::conformance {
namespace {

void add_stream_features(client::BlockingClient& c, FeatureSet& features) {
  if (const xmpp::Stanza* f = c.stream().features()) {
    for (const xmpp::Element& child : f->root().children()) {
      features.emplace(child.ns());
    }
  }
}

// Sends a disco query of namespace `ns` to `to` (the sender's own account when `to` is empty)
// and returns its answer, or nothing when none came in time.
xmpp::StanzaPtr disco(client::BlockingClient& c, std::string_view ns, const std::string& to,
                      int& counter, const Target& target) {
  const std::string id = "probe-" + std::to_string(++counter);
  c.send_xml("<iq type='get' id='" + id + "'" + (to.empty() ? "" : " to='" + to + "'") +
             "><query xmlns='" + std::string(ns) + "'/></iq>");
  while (xmpp::StanzaPtr s = c.next(target.timeout)) {
    if (s->root().name() == "iq" && s->root().attr("id") == id) {
      return s;
    }
  }
  return nullptr;
}

FeatureSet disco_info(client::BlockingClient& c, const std::string& to, int& counter,
                      const Target& target) {
  xmpp::StanzaPtr answer = disco(c, xmpp::ns::kDiscoInfo, to, counter, target);
  return answer ? disco_info_features(answer->root()) : FeatureSet{};
}

// The services' features that none of `domain` and `items` advertises yet.
FeatureSet missing_services(const FeatureSet& domain,
                            const std::vector<std::pair<std::string, FeatureSet>>& items) {
  FeatureSet missing;
  for (const ServiceVariable& service : kServiceVariables) {
    const bool found = domain.contains(service.feature) ||
                       std::any_of(items.begin(), items.end(), [&](const auto& item) {
                         return item.second.contains(service.feature);
                       });
    if (!found) {
      missing.emplace(service.feature);
    }
  }
  return missing;
}

}  // namespace

FeatureSet disco_info_features(const xmpp::Element& iq) {
  FeatureSet features;
  if (iq.name() != "iq" || iq.attr("type") != "result") {
    return features;
  }
  if (const xmpp::Element* query = iq.child("query", xmpp::ns::kDiscoInfo)) {
    for (const xmpp::Element& feature : query->children()) {
      if (feature.name() == "feature" && feature.ns() == xmpp::ns::kDiscoInfo) {
        features.emplace(feature.attr("var"));
      }
    }
  }
  return features;
}

std::vector<std::string> disco_item_jids(const xmpp::Element& iq) {
  std::vector<std::string> jids;
  if (iq.name() != "iq" || iq.attr("type") != "result") {
    return jids;
  }
  if (const xmpp::Element* query = iq.child("query", xmpp::ns::kDiscoItems)) {
    for (const xmpp::Element& item : query->children()) {
      if (item.name() != "item" || item.ns() != xmpp::ns::kDiscoItems || item.has_attr("node") ||
          item.attr("jid").empty()) {
        continue;
      }
      std::string jid(item.attr("jid"));
      if (std::find(jids.begin(), jids.end(), jid) == jids.end()) {
        jids.push_back(std::move(jid));
      }
    }
  }
  return jids;
}

void bind_services(std::string_view domain, const FeatureSet& domain_features,
                   const std::vector<std::pair<std::string, FeatureSet>>& items,
                   ServerFeatures& out) {
  for (const ServiceVariable& service : kServiceVariables) {
    if (domain_features.contains(service.feature)) {
      out.variables.emplace(service.variable, domain);
      out.features.emplace(service.feature);
      continue;
    }
    for (const auto& [jid, features] : items) {
      if (features.contains(service.feature)) {
        out.variables.emplace(service.variable, jid);
        out.features.emplace(service.feature);
        break;
      }
    }
  }
}

Result<ServerFeatures, std::string> probe_features(const Target& target, const Account& account) {
  client::ClientOptions options;
  options.domain = target.domain;
  options.username = account.localpart;
  options.password = account.password;
  options.tls = target.tls;
  options.mechanism = target.mechanism;
  ServerFeatures out;
  {
    // Before authentication: what the server offers there (XEP-0077's <register/>).
    client::ClientOptions first = options;
    first.stop_after = client::StopAfter::Features;
    client::BlockingClient c(first, target.tls_context);
    if (!c.connect(target.endpoint, target.timeout)) {
      return Err("cannot connect to probe the server's features: " + c.failure());
    }
    add_stream_features(c, out.features);
    c.close();
  }
  client::BlockingClient c(options, target.tls_context);
  if (!c.connect(target.endpoint, target.timeout)) {
    return Err("cannot connect to probe the server's features: " + c.failure());
  }
  if (target.tls == client::TlsMode::DirectBinary && !c.stream().binary()) {
    return Err(std::string("the server did not agree on binary XMPP (ALPN tern-xmpp-binary/1)"));
  }
  add_stream_features(c, out.features);
  int counter = 0;
  const FeatureSet domain_features = disco_info(c, target.domain, counter, target);
  out.features.insert(domain_features.begin(), domain_features.end());
  // The account itself: XEP-0357 push is announced on the user's bare JID.
  out.features.merge(disco_info(c, "", counter, target));
  // A service the domain does not advertise itself may be one of its items (XEP-0363 §3): ask
  // the items in the server's order until every such service is found.
  std::vector<std::pair<std::string, FeatureSet>> items;
  if (!missing_services(domain_features, items).empty()) {
    if (xmpp::StanzaPtr answer = disco(c, xmpp::ns::kDiscoItems, target.domain, counter, target)) {
      for (const std::string& jid : disco_item_jids(answer->root())) {
        if (jid == target.domain) {
          continue;
        }
        items.emplace_back(jid, disco_info(c, jid, counter, target));
        if (missing_services(domain_features, items).empty()) {
          break;
        }
      }
    }
  }
  bind_services(target.domain, domain_features, items, out);
  c.close();
  return out;
}

}  // namespace tern::conformance
