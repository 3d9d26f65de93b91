// SPDX-License-Identifier: MIT
// XEP-0402 §5.3 compatibility: legacy bookmarks (XEP-0048's <storage xmlns='storage:bookmarks'/>
// in XEP-0049 private storage) and bookmarks 2 (one item per room in the PEP node
// urn:xmpp:bookmarks:1) are the same data. A legacy set becomes the node's items; a legacy get is
// answered from them, so that an old client and a new one see one list. What only one side can say
// survives the other: a room's <extensions/> stay in its item when a legacy client rewrites the
// list, and the legacy <url/> entries stay in private storage. Pure functions, tested on their own.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modules/services/pep_service.h"
#include "xmpp/element.h"

namespace tern::modules::bookmarks {

inline constexpr std::string_view kLegacyNs = "storage:bookmarks";
inline constexpr std::string_view kNode = "urn:xmpp:bookmarks:1";

// XEP-0402 §3.3's publish-options, the node's configuration.
const std::vector<std::pair<std::string, std::string>>& node_config();

// The items for a legacy <storage/>'s conferences (the room JID is the item id); a room already
// in `existing` keeps its <extensions/>. Conferences without a room JID are left out.
std::vector<pep::PepItem> to_items(const xmpp::Element& storage,
                                   const std::vector<pep::PepItem>& existing);

// Appends to a legacy <storage/> one <conference/> per item.
void add_conferences(xmpp::Element& storage, const std::vector<pep::PepItem>& items);

// The legacy <storage/> without its conferences (the URLs), as XML.
std::string without_conferences(const xmpp::Element& storage);

}  // namespace tern::modules::bookmarks
