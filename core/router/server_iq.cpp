// SPDX-License-Identifier: MIT
// The IQs the server answers for itself until the module API carries them as modules:
// XEP-0199 ping, XEP-0030 disco#info (identity server/im and the features below), XEP-0092
// software version.
#include "core/router/router.h"
#include "xmpp/namespaces.h"

namespace tern::core {

namespace ns = xmpp::ns;

xmpp::StanzaPtr answer_server_iq(const xmpp::Element& iq) {
  const xmpp::Element* payload = iq.first_child();
  if (payload == nullptr || iq.attr("type") != "get") {
    return nullptr;
  }
  if (payload->is("ping", ns::kPing)) {
    return xmpp::make_iq_result(iq);
  }
  if (payload->is("query", ns::kDiscoInfo) && payload->attr("node").empty()) {
    xmpp::StanzaPtr result = xmpp::make_iq_result(iq);
    xmpp::Element& query = result->root().add_child("query", ns::kDiscoInfo);
    query.add_child("identity")
        .set_attr("category", "server")
        .set_attr("type", "im")
        .set_attr("name", "Tern");
    for (std::string_view feature : {ns::kDiscoInfo, ns::kPing, ns::kVersion}) {
      query.add_child("feature").set_attr("var", feature);
    }
    return result;
  }
  if (payload->is("query", ns::kVersion)) {
    xmpp::StanzaPtr result = xmpp::make_iq_result(iq);
    xmpp::Element& query = result->root().add_child("query", ns::kVersion);
    query.add_child("name").set_text("Tern");
    query.add_child("version").set_text("0.1.0");
    return result;
  }
  return nullptr;
}

}  // namespace tern::core
