// SPDX-License-Identifier: MIT
// The well-known name table behind names::lookup: an open-addressing hash table built once, on
// first use, from kWellKnown, and read-only after that (safe to share between threads).
#include "xmpp/names.h"

#include <array>
#include <cstdint>

#include "xmpp/namespaces.h"

namespace tern::xmpp::names {
namespace {

// Chosen from shared/corpus/mobile-stanzas.xml and the RFCs: every element and attribute name and
// namespace that appears in ordinary client traffic.
constexpr std::string_view kWellKnown[] = {
    // namespaces
    ns::kStreams,
    ns::kClient,
    ns::kServer,
    ns::kComponent,
    ns::kStreamErrors,
    ns::kStanzaErrors,
    ns::kTls,
    ns::kSasl,
    ns::kBind,
    ns::kSession,
    ns::kXml,
    ns::kRoster,
    ns::kRosterVer,
    ns::kPreApproval,
    ns::kDiscoInfo,
    ns::kDiscoItems,
    ns::kDataForms,
    ns::kRegister,
    ns::kVersion,
    ns::kCaps,
    ns::kChatStates,
    ns::kReceipts,
    ns::kBlocking,
    ns::kStreamManagement,
    ns::kPing,
    ns::kTime,
    ns::kDelay,
    ns::kCarbons,
    ns::kForward,
    ns::kChatMarkers,
    ns::kHints,
    ns::kCsi,
    ns::kPush,
    ns::kStanzaId,
    ns::kHttpUpload,
    ns::kSaslChannelBinding,
    "jabber:x:oob",
    "urn:xmpp:idle:1",
    "vcard-temp:x:update",
    "http://jabber.org/protocol/muc",
    "http://jabber.org/protocol/muc#user",
    "http://jabber.org/protocol/pubsub",
    "http://jabber.org/protocol/pubsub#event",
    "http://jabber.org/protocol/commands",
    "urn:xmpp:message-correct:0",
    "urn:xmpp:reactions:0",
    "urn:xmpp:reply:0",
    "urn:xmpp:fallback:0",
    "urn:xmpp:file:metadata:0",
    "urn:xmpp:hashes:2",
    "urn:xmpp:eme:0",
    "eu.siacs.conversations.axolotl",
    "urn:xmpp:occupant-id:0",
    "urn:xmpp:avatar:metadata",
    "http://jabber.org/protocol/nick",
    "urn:xmpp:bookmarks:1",
    // stream and negotiation elements
    "stream",
    "features",
    "starttls",
    "proceed",
    "failure",
    "required",
    "mechanisms",
    "mechanism",
    "auth",
    "challenge",
    "response",
    "success",
    "abort",
    "bind",
    "resource",
    "jid",
    "session",
    "optional",
    "sasl-channel-binding",
    "channel-binding",
    "ver",
    "sm",
    "enable",
    "enabled",
    "resume",
    "resumed",
    "failed",
    "r",
    "a",
    "active",
    "inactive",
    "csi",
    "text",
    // stanzas and common children
    "message",
    "presence",
    "iq",
    "body",
    "subject",
    "thread",
    "error",
    "show",
    "status",
    "priority",
    "query",
    "item",
    "group",
    "x",
    "c",
    "delay",
    "composing",
    "paused",
    "gone",
    "received",
    "request",
    "displayed",
    "markable",
    "acknowledged",
    "origin-id",
    "stanza-id",
    "store",
    "no-store",
    "no-permanent-store",
    "no-copy",
    "ping",
    "time",
    "tzo",
    "utc",
    "name",
    "version",
    "os",
    "identity",
    "feature",
    "block",
    "unblock",
    "blocklist",
    "sent",
    "forwarded",
    "private",
    "slot",
    "put",
    "get",
    "header",
    "url",
    "desc",
    "encrypted",
    "key",
    "iv",
    "payload",
    "encryption",
    "reactions",
    "reaction",
    "reply",
    "fallback",
    "replace",
    "file",
    "media-type",
    "size",
    "hash",
    "thumbnail",
    "width",
    "height",
    "idle",
    "photo",
    "event",
    "items",
    "publish",
    "command",
    "field",
    "value",
    "occupant-id",
    "nick",
    "metadata",
    "info",
    // attributes and common values
    "to",
    "from",
    "id",
    "type",
    "lang",
    "xmlns",
    "node",
    "var",
    "category",
    "subscription",
    "ask",
    "approved",
    "h",
    "location",
    "max",
    "previd",
    "stamp",
    "since",
    "filename",
    "content-type",
    "code",
    "role",
    "affiliation",
    "namespace",
    "by",
    "for",
    "start",
    "end",
    "algo",
    "sid",
    "rid",
    "prekey",
    "action",
    "sessionid",
    "label",
    "chat",
    "groupchat",
    "normal",
    "headline",
    "set",
    "result",
    "unavailable",
    "subscribe",
    "subscribed",
    "unsubscribe",
    "unsubscribed",
    "probe",
    "away",
    "xa",
    "dnd",
    "none",
    "both",
    "remove",
    "cancel",
    "modify",
    "wait",
    "continue",
    "true",
    "false",
    "1.0",
    "en",
    "client",
    "phone",
    "pc",
    "server",
    "im",
    "sha-1",
    "sha-256",
};

constexpr std::size_t kSlots = 1024;  // power of two, load factor below 0.3
static_assert(std::size(kWellKnown) * 3 < kSlots);

std::uint32_t fnv1a(std::string_view text) {
  std::uint32_t hash = 2166136261U;
  for (unsigned char c : text) {
    hash = (hash ^ c) * 16777619U;
  }
  return hash;
}

struct Table {
  std::array<const std::string_view*, kSlots> slots{};
  std::size_t count = 0;

  Table() {
    for (const std::string_view& name : kWellKnown) {
      std::size_t slot = fnv1a(name) & (kSlots - 1);
      while (slots[slot] != nullptr && *slots[slot] != name) {
        slot = (slot + 1) & (kSlots - 1);
      }
      if (slots[slot] == nullptr) {
        slots[slot] = &name;
        ++count;
      }
    }
  }
};

const Table& table() {
  static const Table instance;
  return instance;
}

}  // namespace

std::string_view lookup(std::string_view text) {
  const Table& t = table();
  std::size_t slot = fnv1a(text) & (kSlots - 1);
  while (const std::string_view* entry = t.slots[slot]) {
    if (*entry == text) {
      return *entry;
    }
    slot = (slot + 1) & (kSlots - 1);
  }
  return {};
}

std::size_t table_size() {
  return table().count;
}

}  // namespace tern::xmpp::names
