// SPDX-License-Identifier: MIT
#include "conformance/runner/server_features.h"

#include "xmpp/namespaces.h"

namespace tern::conformance {

Result<FeatureSet, std::string> probe_features(const Target& target, const Account& account) {
  client::ClientOptions options;
  options.domain = target.domain;
  options.username = account.localpart;
  options.password = account.password;
  options.tls = target.tls;
  options.mechanism = target.mechanism;
  FeatureSet features;
  {
    // Before authentication: what the server offers there (XEP-0077's <register/>).
    client::ClientOptions first = options;
    first.stop_after = client::StopAfter::Features;
    client::BlockingClient c(first, target.tls_context);
    if (!c.connect(target.endpoint, target.timeout)) {
      return Err("cannot connect to probe the server's features: " + c.failure());
    }
    if (const xmpp::Stanza* f = c.stream().features()) {
      for (const xmpp::Element& child : f->root().children()) {
        features.emplace(child.ns());
      }
    }
    c.close();
  }
  client::BlockingClient c(options, target.tls_context);
  if (!c.connect(target.endpoint, target.timeout)) {
    return Err("cannot connect to probe the server's features: " + c.failure());
  }
  if (const xmpp::Stanza* f = c.stream().features()) {
    for (const xmpp::Element& child : f->root().children()) {
      features.emplace(child.ns());
    }
  }
  c.send_xml("<iq type='get' id='probe' to='" + target.domain + "'><query xmlns='" +
             std::string(xmpp::ns::kDiscoInfo) + "'/></iq>");
  while (xmpp::StanzaPtr s = c.next(target.timeout)) {
    const xmpp::Element& iq = s->root();
    if (iq.name() != "iq" || iq.attr("id") != "probe") {
      continue;
    }
    if (const xmpp::Element* query = iq.child("query", xmpp::ns::kDiscoInfo)) {
      for (const xmpp::Element& feature : query->children()) {
        if (feature.name() == "feature") {
          features.emplace(feature.attr("var"));
        }
      }
    }
    break;
  }
  c.close();
  return features;
}

}  // namespace tern::conformance
