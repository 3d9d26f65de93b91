// SPDX-License-Identifier: MIT
#include "modules/muc/history.h"

#include <charconv>
#include <string>
#include <string_view>

#include "xmpp/datetime.h"
#include "xmpp/serializer.h"

namespace tern::modules::muc {
namespace {

std::optional<std::size_t> number(const xmpp::Element& e, std::string_view name) {
  std::string_view text = e.attr(name);
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return v;
}

// XML characters, not bytes (§7.2.15 counts characters): UTF-8 continuation bytes are skipped.
std::size_t characters(std::string_view utf8) {
  std::size_t n = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
      ++n;
    }
  }
  return n;
}

}  // namespace

HistoryRequest HistoryRequest::from(const xmpp::Element* history) {
  HistoryRequest r;
  if (history == nullptr) {
    return r;
  }
  r.max_chars = number(*history, "maxchars");
  r.max_stanzas = number(*history, "maxstanzas");
  if (auto s = number(*history, "seconds")) {
    r.seconds = std::chrono::seconds(*s);
  }
  if (std::string_view since = history->attr("since"); !since.empty()) {
    r.since = xmpp::parse_xep82_datetime(since);
  }
  return r;
}

void History::set_capacity(std::size_t capacity) {
  capacity_ = capacity;
  while (entries_.size() > capacity_) {
    entries_.pop_front();
  }
}

void History::add(std::shared_ptr<const xmpp::Stanza> message, Clock::time_point when) {
  if (capacity_ == 0) {
    return;
  }
  std::string xml;
  xmpp::Serializer().write(xml, message->root());
  entries_.push_back(HistoryEntry{std::move(message), when, characters(xml)});
  if (entries_.size() > capacity_) {
    entries_.pop_front();
  }
}

std::vector<const HistoryEntry*> History::select(const HistoryRequest& request,
                                                 Clock::time_point now) const {
  // Newest first until a limit is reached, then returned oldest first.
  std::vector<const HistoryEntry*> picked;
  std::size_t chars = 0;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (request.max_stanzas && picked.size() >= *request.max_stanzas) {
      break;
    }
    if (request.seconds && it->when < now - *request.seconds) {
      break;
    }
    if (request.since && it->when <= *request.since) {
      break;
    }
    if (request.max_chars && chars + it->chars > *request.max_chars) {
      break;
    }
    chars += it->chars;
    picked.push_back(&*it);
  }
  return {picked.rbegin(), picked.rend()};
}

}  // namespace tern::modules::muc
