// SPDX-License-Identifier: MIT
#include "modules/mam/query.h"

#include <algorithm>
#include <charconv>

#include "xmpp/data_form.h"
#include "xmpp/datetime.h"
#include "xmpp/namespaces.h"
#include "xmpp/stream_parser.h"

namespace tern::modules::mam {
namespace {

std::int64_t ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

bool matches_with(const Entry& e, const xmpp::Jid& with) {
  auto other = xmpp::Jid::parse(e.with);
  if (!other) {
    return false;
  }
  // A bare JID matches every resource of it; a full JID only itself (§4.1.1).
  return with.has_resource() ? other->full() == with.full()
                             : other->bare_view() == with.bare_view();
}

bool in_filters(const Entry& e, const Query& q) {
  if (q.start && e.stamp_ms < ms(*q.start)) {
    return false;
  }
  if (q.end && e.stamp_ms > ms(*q.end)) {
    return false;
  }
  return !q.with || matches_with(e, *q.with);
}

}  // namespace

Result<Query, xmpp::StanzaError> read_query(const xmpp::Element& element,
                                            const PageLimits& limits) {
  Query q;
  q.queryid = std::string(element.attr("queryid"));
  q.max = limits.default_max;
  if (const xmpp::Element* x = element.child("x", xmpp::ns::kDataForms)) {
    auto form = xmpp::read_form(*x);
    if (!form || (!form->form_type.empty() && form->form_type != xmpp::ns::kMam)) {
      return Err(xmpp::StanzaError::bad_request("not a urn:xmpp:mam:2 form"));
    }
    for (const auto& [var, values] : form->fields) {
      std::string_view value = values.empty() ? std::string_view() : std::string_view(values[0]);
      if (var == "with") {
        auto jid = xmpp::Jid::parse(value);
        if (!jid) {
          return Err(xmpp::StanzaError::bad_request("'with' is not a JID"));
        }
        q.with = std::move(jid).value();
      } else if (var == "start" || var == "end") {
        auto when = xmpp::parse_xep82_datetime(value);
        if (!when) {
          return Err(xmpp::StanzaError::bad_request("'" + var + "' is not a XEP-0082 date-time"));
        }
        (var == "start" ? q.start : q.end) = *when;
      } else if (var == "after-id") {
        q.after = std::string(value);
      } else if (var == "before-id") {
        q.before = std::string(value);
      } else if (var == "ids") {
        q.ids = values;
      } else {
        return Err(xmpp::StanzaError::feature_not_implemented("unknown field " + var));
      }
    }
  }
  if (const xmpp::Element* set = element.child("set", xmpp::ns::kRsm)) {
    if (const xmpp::Element* max = set->child("max", xmpp::ns::kRsm)) {
      std::string_view text = max->text();
      std::size_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return Err(xmpp::StanzaError::bad_request("<max/> is not a number"));
      }
      q.max = std::min(n, limits.max);  // XEP-0059 §2.1: the server may return fewer
    }
    if (const xmpp::Element* after = set->child("after", xmpp::ns::kRsm)) {
      q.after = std::string(after->text());
    }
    if (const xmpp::Element* before = set->child("before", xmpp::ns::kRsm)) {
      q.before = std::string(before->text());
    }
  }
  return q;
}

Result<Page, xmpp::StanzaError> run_query(const ReadTxn& txn, const ArchiveStores& stores,
                                          std::string_view owner, const Query& query,
                                          const std::function<bool(const Entry&)>& visible) {
  Page page;
  auto keep = [&](const Entry& e) { return in_filters(e, query) && visible(e); };
  if (!query.ids.empty()) {
    for (const std::string& id : query.ids) {
      if (auto seq = find_id(txn, stores, owner, id)) {
        if (auto e = get(txn, stores, owner, *seq); e && keep(*e)) {
          page.entries.push_back(StoredEntry{*seq, std::move(*e)});
        }
      }
    }
    std::sort(page.entries.begin(), page.entries.end(),
              [](const auto& a, const auto& b) { return a.seq < b.seq; });
    page.complete = true;
    return page;
  }
  auto resolve = [&](const std::optional<std::string>& id) -> Result<std::uint64_t, bool> {
    auto seq = find_id(txn, stores, owner, *id);
    if (!seq) {
      return Err(false);
    }
    return *seq;
  };
  std::uint64_t low = 0;
  std::uint64_t high = UINT64_MAX;  // exclusive
  if (query.after) {
    auto seq = resolve(query.after);
    if (!seq) {
      return Err(xmpp::StanzaError::item_not_found("no message with that id in the archive"));
    }
    low = *seq + 1;
  }
  bool backwards = query.before.has_value();
  if (backwards && !query.before->empty()) {
    auto seq = resolve(query.before);
    if (!seq) {
      return Err(xmpp::StanzaError::item_not_found("no message with that id in the archive"));
    }
    high = *seq;
  }
  page.complete = true;
  if (!backwards) {
    scan_up(txn, stores, owner, low, [&](const StoredEntry& s) {
      if (s.seq >= high) {
        return false;
      }
      if (!keep(s.entry)) {
        return true;
      }
      if (page.entries.size() == query.max) {
        page.complete = false;  // one more exists past the page
        return false;
      }
      page.entries.push_back(s);
      return true;
    });
    return page;
  }
  scan_down(txn, stores, owner, high, [&](const StoredEntry& s) {
    if (s.seq < low) {
      return false;
    }
    if (!keep(s.entry)) {
      return true;
    }
    if (page.entries.size() == query.max) {
      page.complete = false;
      return false;
    }
    page.entries.push_back(s);
    return true;
  });
  std::reverse(page.entries.begin(), page.entries.end());
  return page;
}

std::vector<xmpp::StanzaPtr> write_results(std::string_view archive, const xmpp::Jid& asker,
                                           const Query& query, const Page& page) {
  std::vector<xmpp::StanzaPtr> out;
  for (const StoredEntry& s : page.entries) {
    xmpp::StanzaPtr archived = xmpp::parse_stanza(s.entry.xml);
    if (!archived) {
      continue;  // a damaged entry is skipped, not served
    }
    xmpp::StanzaPtr m = xmpp::Stanza::create("message", xmpp::ns::kClient);
    m->root().set_attr("from", archive).set_attr("to", asker.full());
    xmpp::Element& result = m->root().add_child("result", xmpp::ns::kMam);
    if (!query.queryid.empty()) {
      result.set_attr("queryid", query.queryid);
    }
    result.set_attr("id", s.entry.id);
    xmpp::Element& forwarded = result.add_child("forwarded", xmpp::ns::kForward);
    forwarded.add_child("delay", xmpp::ns::kDelay)
        .set_attr("stamp", xmpp::xep82_datetime(
                               Clock::time_point(std::chrono::milliseconds(s.entry.stamp_ms))));
    forwarded.append(archived->root().clone_into(m->arena()));
    out.push_back(std::move(m));
  }
  return out;
}

void write_fin(xmpp::Element& iq_result, const Page& page) {
  xmpp::Element& fin = iq_result.add_child("fin", xmpp::ns::kMam);
  if (page.complete) {
    fin.set_attr("complete", "true");
  }
  xmpp::Element& set = fin.add_child("set", xmpp::ns::kRsm);
  if (!page.entries.empty()) {
    set.add_child("first", xmpp::ns::kRsm).set_text(page.entries.front().entry.id);
    set.add_child("last", xmpp::ns::kRsm).set_text(page.entries.back().entry.id);
  }
}

void write_form(xmpp::Element& query) {
  xmpp::Element& form = xmpp::add_form(query, "form", xmpp::ns::kMam);
  xmpp::add_form_field(form, "with", "jid-single", {});
  xmpp::add_form_field(form, "start", "text-single", {});
  xmpp::add_form_field(form, "end", "text-single", {});
  xmpp::add_form_field(form, "before-id", "text-single", {});
  xmpp::add_form_field(form, "after-id", "text-single", {});
  xmpp::add_form_field(form, "ids", "list-multi", {});
}

}  // namespace tern::modules::mam
