// SPDX-License-Identifier: MIT
// The XML namespaces Tern speaks, as constants, so that no namespace string is spelled twice in
// the code. Each one names its specification.
#pragma once

#include <string_view>

namespace tern::xmpp::ns {

// RFC 6120
inline constexpr std::string_view kStreams = "http://etherx.jabber.org/streams";
// RFC 7395 §3.3.2: <open/> and <close/> of XMPP over WebSocket.
inline constexpr std::string_view kFraming = "urn:ietf:params:xml:ns:xmpp-framing";
inline constexpr std::string_view kClient = "jabber:client";
inline constexpr std::string_view kServer = "jabber:server";
inline constexpr std::string_view kComponent = "jabber:component:accept";  // XEP-0114
inline constexpr std::string_view kStreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view kStanzaErrors = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view kTls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view kSasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view kBind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view kSession = "urn:ietf:params:xml:ns:xmpp-session";  // RFC 3921
// XML itself: the namespace of xml:lang, bound to the prefix "xml" in every document.
inline constexpr std::string_view kXml = "http://www.w3.org/XML/1998/namespace";

// RFC 6121
inline constexpr std::string_view kRoster = "jabber:iq:roster";
inline constexpr std::string_view kRosterVer = "urn:xmpp:features:rosterver";
inline constexpr std::string_view kPreApproval = "urn:xmpp:features:pre-approval";

// XEPs
inline constexpr std::string_view kDiscoInfo = "http://jabber.org/protocol/disco#info";    // 0030
inline constexpr std::string_view kDiscoItems = "http://jabber.org/protocol/disco#items";  // 0030
inline constexpr std::string_view kDataForms = "jabber:x:data";                            // 0004
inline constexpr std::string_view kMuc = "http://jabber.org/protocol/muc";                 // 0045
inline constexpr std::string_view kMucUser = "http://jabber.org/protocol/muc#user";        // 0045
inline constexpr std::string_view kMucAdmin = "http://jabber.org/protocol/muc#admin";      // 0045
inline constexpr std::string_view kMucOwner = "http://jabber.org/protocol/muc#owner";      // 0045
inline constexpr std::string_view kMucRequest = "http://jabber.org/protocol/muc#request";  // 0045
inline constexpr std::string_view kMucSelfPing =
    "http://jabber.org/protocol/muc#self-ping-optimization";         // 0410
inline constexpr std::string_view kRegister = "jabber:iq:register";  // 0077
inline constexpr std::string_view kRegisterFeature =
    "http://jabber.org/features/iq-register";                                                // 0077
inline constexpr std::string_view kPubsub = "http://jabber.org/protocol/pubsub";             // 0060
inline constexpr std::string_view kPubsubEvent = "http://jabber.org/protocol/pubsub#event";  // 0060
inline constexpr std::string_view kPubsubOwner = "http://jabber.org/protocol/pubsub#owner";  // 0060
inline constexpr std::string_view kPubsubErrors =
    "http://jabber.org/protocol/pubsub#errors";                                           // 0060
inline constexpr std::string_view kVcardTemp = "vcard-temp";                              // 0054
inline constexpr std::string_view kVcardUpdate = "vcard-temp:x:update";                   // 0153
inline constexpr std::string_view kVersion = "jabber:iq:version";                         // 0092
inline constexpr std::string_view kCaps = "http://jabber.org/protocol/caps";              // 0115
inline constexpr std::string_view kChatStates = "http://jabber.org/protocol/chatstates";  // 0085
inline constexpr std::string_view kReceipts = "urn:xmpp:receipts";                        // 0184
inline constexpr std::string_view kBlocking = "urn:xmpp:blocking";                        // 0191
inline constexpr std::string_view kBlockingErrors = "urn:xmpp:blocking:errors";           // 0191
inline constexpr std::string_view kStreamManagement = "urn:xmpp:sm:3";                    // 0198
inline constexpr std::string_view kRsm = "http://jabber.org/protocol/rsm";                // 0059
inline constexpr std::string_view kPing = "urn:xmpp:ping";                                // 0199
inline constexpr std::string_view kTime = "urn:xmpp:time";                                // 0202
inline constexpr std::string_view kDelay = "urn:xmpp:delay";                              // 0203
inline constexpr std::string_view kConference = "jabber:x:conference";                    // 0249
inline constexpr std::string_view kCarbons = "urn:xmpp:carbons:2";                        // 0280
inline constexpr std::string_view kForward = "urn:xmpp:forward:0";                        // 0297
inline constexpr std::string_view kMam = "urn:xmpp:mam:2";                                // 0313
inline constexpr std::string_view kMamExtended = "urn:xmpp:mam:2#extended";               // 0313
inline constexpr std::string_view kChatMarkers = "urn:xmpp:chat-markers:0";               // 0333
inline constexpr std::string_view kHints = "urn:xmpp:hints";                              // 0334
inline constexpr std::string_view kCsi = "urn:xmpp:csi:0";                                // 0352
inline constexpr std::string_view kPush = "urn:xmpp:push:0";                              // 0357
inline constexpr std::string_view kStanzaId = "urn:xmpp:sid:0";                           // 0359
inline constexpr std::string_view kHttpUpload = "urn:xmpp:http:upload:0";                 // 0363
inline constexpr std::string_view kOccupantId = "urn:xmpp:occupant-id:0";                 // 0421
inline constexpr std::string_view kSaslChannelBinding = "urn:xmpp:sasl-cb:0";             // 0440

}  // namespace tern::xmpp::ns
