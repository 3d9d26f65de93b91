// SPDX-License-Identifier: MIT
#include "conformance/runner/server_features.h"

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

// The features of `to`'s disco#info (the sender's own account when `to` is empty).
void add_disco_features(client::BlockingClient& c, const std::string& to, const Target& target,
                        FeatureSet& features) {
  const std::string id = "probe-" + (to.empty() ? std::string("account") : to);
  c.send_xml("<iq type='get' id='" + id + "'" + (to.empty() ? "" : " to='" + to + "'") +
             "><query xmlns='" + std::string(xmpp::ns::kDiscoInfo) + "'/></iq>");
  while (xmpp::StanzaPtr s = c.next(target.timeout)) {
    const xmpp::Element& iq = s->root();
    if (iq.name() != "iq" || iq.attr("id") != id) {
      continue;
    }
    if (const xmpp::Element* query = iq.child("query", xmpp::ns::kDiscoInfo)) {
      for (const xmpp::Element& feature : query->children()) {
        if (feature.name() == "feature") {
          features.emplace(feature.attr("var"));
        }
      }
    }
    return;
  }
}

}  // namespace

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
    add_stream_features(c, features);
    c.close();
  }
  client::BlockingClient c(options, target.tls_context);
  if (!c.connect(target.endpoint, target.timeout)) {
    return Err("cannot connect to probe the server's features: " + c.failure());
  }
  if (target.tls == client::TlsMode::DirectBinary && !c.stream().binary()) {
    return Err(std::string("the server did not agree on binary XMPP (ALPN tern-xmpp-binary/1)"));
  }
  add_stream_features(c, features);
  add_disco_features(c, target.domain, target, features);
  // The account itself: XEP-0357 push is announced on the user's bare JID.
  add_disco_features(c, "", target, features);
  c.close();
  return features;
}

}  // namespace tern::conformance
