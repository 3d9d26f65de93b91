// SPDX-License-Identifier: MIT
// The XEP-0313 query engine both archives share (rooms and accounts): a <query/> read into its
// filters (the urn:xmpp:mam:2 form: with, start, end, before-id, after-id, ids; XEP-0059 paging:
// max, after, before), run over an archive in the store, and the answer written: one
// <result/> message per entry and the <fin/> with the page's bounds. What an archive shows a
// given asker is the caller's filter (the sync archive shows each device what it has not got).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/mam/archive_store.h"
#include "xmpp/jid.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_error.h"

namespace tern::modules::mam {

struct PageLimits {
  std::size_t default_max = 50;  // entries per page when the client gives no <max/>
  std::size_t max = 250;         // the most a client may ask for (more is capped)
};

struct Query {
  std::string queryid;
  std::optional<xmpp::Jid> with;
  std::optional<Clock::time_point> start;
  std::optional<Clock::time_point> end;
  std::optional<std::string> after;   // RSM <after/> or the form's after-id
  std::optional<std::string> before;  // RSM <before/> (empty: the last page) or before-id
  std::vector<std::string> ids;       // the form's ids: exactly these entries
  std::size_t max = 50;
};

// Reads a <query xmlns='urn:xmpp:mam:2'/>. A field the form does not define:
// feature-not-implemented (§4.1.5); a date that is not XEP-0082, a 'with' that is not a JID:
// bad-request naming it. A <max/> above the limit is capped (§4.3.1: no error).
Result<Query, xmpp::StanzaError> read_query(const xmpp::Element& query, const PageLimits& limits);

struct Page {
  std::vector<StoredEntry> entries;  // oldest first
  bool complete = false;             // nothing more in the direction of paging
};

// Runs `query` over `owner`'s archive; `visible` decides what the asker may see. An after or
// before id the archive does not hold: item-not-found.
Result<Page, xmpp::StanzaError> run_query(const ReadTxn& txn, const ArchiveStores& stores,
                                          std::string_view owner, const Query& query,
                                          const std::function<bool(const Entry&)>& visible);

// The answer: each entry as a <message from=`archive` to=`asker`> carrying <result/> with the
// forwarded message and its delay (oldest first), then the <fin/> of the IQ result.
std::vector<xmpp::StanzaPtr> write_results(std::string_view archive, const xmpp::Jid& asker,
                                           const Query& query, const Page& page);
void write_fin(xmpp::Element& iq_result, const Page& page);

// The form an IQ get of <query/> returns (§4.1.5): the fields Tern understands.
void write_form(xmpp::Element& query);

}  // namespace tern::modules::mam
