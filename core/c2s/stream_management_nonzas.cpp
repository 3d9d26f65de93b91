// SPDX-License-Identifier: MIT
// XEP-0198 stream management on the wire: the <sm/> feature, <enable/>, <r/> and <a/>, and the
// server's own ack requests. The counting is StreamManagement's (stream_management.h).
//
// Acks are requested eagerly: after a stanza is delivered, one <r/> goes out unless one is
// already waiting, so what the client has received is known soon (offline messages are deleted
// and unacknowledged ones re-routed on that basis). And since a stanza may be handled only after
// a store write commits, an <r/> answered with an h that lagged behind is followed by an
// unsolicited <a/> (XEP-0198 §4 allows one at any time) once everything received is handled.
#include <charconv>

#include "core/c2s/c2s_session.h"
#include "log/logger.h"
#include "xmpp/namespaces.h"

namespace tern::core::c2s {

namespace ns = xmpp::ns;

namespace {

const log::Logger kLog("c2s");

}  // namespace

void C2sSession::add_sm_features(xmpp::Element& features) {
  features.add_child("sm", ns::kStreamManagement);
}

void C2sSession::sm_failed(std::string_view condition) {
  xmpp::StanzaPtr failed = xmpp::Stanza::create("failed", ns::kStreamManagement);
  failed->root().add_child(condition, ns::kStanzaErrors);
  write(failed->root());
}

void C2sSession::request_ack() {
  if (!ack_requested_) {
    ack_requested_ = true;
    write(xmpp::Stanza::create("r", ns::kStreamManagement)->root());
  }
}

void C2sSession::stanza_handled(StreamManagement::Ticket ticket) {
  if (ticket == 0) {
    return;
  }
  sm_.handled(ticket);
  if (ack_owed_ && sm_.all_handled() && state_ == SessionState::Established) {
    ack_owed_ = false;
    xmpp::StanzaPtr a = xmpp::Stanza::create("a", ns::kStreamManagement);
    a->root().set_attr("h", std::to_string(sm_.inbound_h()));
    write(a->root());
  }
}

void C2sSession::handle_sm(const xmpp::Element& element) {
  std::string_view name = element.name();
  if (name == "enable") {
    // §3: only once, and only after a resource is bound.
    if (state_ != SessionState::Established || sm_.enabled()) {
      return sm_failed("unexpected-request");
    }
    sm_.enable();
    xmpp::StanzaPtr enabled = xmpp::Stanza::create("enabled", ns::kStreamManagement);
    std::string_view wants = element.attr("resume");
    if ((wants == "true" || wants == "1") && options_.resume_timeout_s > 0) {
      resume_id_ = host_.register_resumable(*this);
    }
    if (!resume_id_.empty()) {  // §5: resumable, for at most `max` seconds after a drop
      enabled->root()
          .set_attr("id", resume_id_)
          .set_attr("resume", "true")
          .set_attr("max", std::to_string(options_.resume_timeout_s));
    }
    write(enabled->root());
    return;
  }
  if (name == "resume") {
    // §5: after authentication, instead of binding.
    std::string_view previd = element.attr("previd");
    std::string_view text = element.attr("h");
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), resume_client_h_);
    if (state_ != SessionState::Authenticated || previd.empty() || text.empty() ||
        ec != std::errc() || end != text.data() + text.size()) {
      return sm_failed(state_ == SessionState::Authenticated ? "bad-request"
                                                             : "unexpected-request");
    }
    state_ = SessionState::Resuming;
    host_.resume(*this, previd);
    return;
  }
  if (!sm_.enabled() || (name != "r" && name != "a")) {
    return close(xmpp::StreamError::unsupported_stanza_type(
        "stream management is not enabled, or <" + std::string(name) + "/> is unknown"));
  }
  if (name == "r") {
    xmpp::StanzaPtr a = xmpp::Stanza::create("a", ns::kStreamManagement);
    a->root().set_attr("h", std::to_string(sm_.inbound_h()));
    write(a->root());
    ack_owed_ = !sm_.all_handled();
    return;
  }
  std::string_view text = element.attr("h");
  std::uint32_t h = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), h);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    xmpp::StreamError error;
    error.text = "<a/> needs a 32-bit h";
    return close(error);
  }
  std::size_t sent_unacked = sm_.unacked_count() - sm_.unwritten();
  if (!sm_.acknowledge(h)) {
    // §4: the client claims more than was sent.
    xmpp::StreamError too_high;  // undefined-condition
    too_high.text = "h acknowledges more stanzas than were sent";
    xmpp::StanzaPtr error = too_high.to_stanza();
    error->root()
        .add_child("handled-count-too-high", ns::kStreamManagement)
        .set_attr("h", std::to_string(h))
        .set_attr("send-count", std::to_string(sm_.outbound_h() + sent_unacked));
    write(error->root());
    return close();
  }
  ack_requested_ = false;
  if (sm_.unacked_count() > 0) {
    request_ack();
  }
}

void C2sSession::resume_succeeded(const xmpp::Jid& jid, StreamManagement previous, std::string id) {
  if (state_ != SessionState::Resuming) {
    return;
  }
  // What reached this session while the host moved the old one over comes after the old queue.
  std::deque<xmpp::StanzaPtr> arrived_meanwhile = sm_.take_unacked();
  sm_ = std::move(previous);
  for (xmpp::StanzaPtr& stanza : arrived_meanwhile) {
    sm_.sent(std::move(stanza));
  }
  if (!sm_.acknowledge(resume_client_h_)) {
    resume_client_h_ = 0;  // an impossible h: acknowledge nothing, retransmit everything
  }
  jid_ = jid;
  resume_id_ = std::move(id);
  state_ = SessionState::Established;
  kLog.info("session.resumed", "session resumed (XEP-0198)",
            {{"jid", jid_.full()}, {"conn", log_connection_}, {"unacked", sm_.unacked_count()}});
  xmpp::StanzaPtr resumed = xmpp::Stanza::create("resumed", ns::kStreamManagement);
  resumed->root().set_attr("previd", resume_id_).set_attr("h", std::to_string(sm_.inbound_h()));
  write(resumed->root());
  // docs/binary-xmpp.md §2.3, §8.3: this connection's state started empty; the own JID is bound
  // again once <resumed/> is out.
  codec_->bind_own_jid(jid_.full());
  ack_requested_ = false;
  if (unacked_over_limit()) {
    return;  // what arrived meanwhile made it too much: it ends, all of it is routed again
  }
  // §5: everything the client has not acknowledged, again and in order — in slices, one per turn
  // of the loop once the previous one is written, so that a large queue neither stalls the
  // worker nor piles up in the output buffer.
  sm_.set_unwritten(sm_.unacked_count());
  write_unwritten();
}

void C2sSession::write_unwritten() {
  // Enough to keep a fast link busy for a turn; small next to c2s.max_output_bytes (at least
  // 256 KiB).
  constexpr std::size_t kSliceBytes = std::size_t{64} * 1024;
  std::size_t written = 0;
  while (sm_.unwritten() > 0 && written < kSliceBytes) {
    const xmpp::StanzaPtr& stanza = sm_.unacked()[sm_.unacked_count() - sm_.unwritten()];
    out_.clear();
    if (!codec_->write(out_, stanza->root())) {
      // Only binary refuses a tree (docs/binary-xmpp.md §9): the client can never count it.
      sm_.drop_next_unwritten();
      continue;
    }
    io_->write(out_);
    written += out_.size();
    sm_.set_unwritten(sm_.unwritten() - 1);
  }
  if (sm_.unacked_count() > sm_.unwritten()) {
    request_ack();
  }
  if (sm_.unwritten() > 0) {
    io_->request_writable();
  }
}

void C2sSession::on_writable() {
  if (state_ == SessionState::Established && sm_.unwritten() > 0) {
    write_unwritten();
  }
}

void C2sSession::resume_failed() {
  if (state_ != SessionState::Resuming) {
    return;
  }
  state_ = SessionState::Authenticated;  // the client may bind a new session instead
  sm_.take_unacked();
  sm_failed("item-not-found");
}

}  // namespace tern::core::c2s
