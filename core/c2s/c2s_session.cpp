// SPDX-License-Identifier: MIT
// Stream-level logic of a client session: headers, features, dispatch of top-level elements by
// state, from-stamping of established traffic, and closing.
#include "core/c2s/c2s_session.h"

#include <algorithm>

#include "log/logger.h"
#include "xmpp/namespaces.h"
#include "xmpp/precis/jid_prep.h"

namespace tern::core::c2s {

namespace ns = xmpp::ns;

namespace {

const log::Logger kLog("c2s");

}  // namespace

namespace {
// For hosts that keep no figures (tests): counted per thread, never read.
Counters& unread_counters() {
  thread_local Counters counters;
  return counters;
}
}  // namespace

C2sSession::C2sSession(SessionIo& io, SessionHost& host, SessionOptions options)
    : io_(&io),
      host_(host),
      counters_(host.counters() != nullptr ? host.counters() : &unread_counters()),
      options_(options),
      codec_(make_xml_codec(*this, limits_before_auth(), ns::kClient)) {}

xmpp::ParserLimits C2sSession::limits_before_auth() const {
  xmpp::ParserLimits limits = options_.limits;
  limits.max_stanza_bytes =
      std::min(limits.max_stanza_bytes, options_.max_stanza_bytes_before_auth);
  limits.max_text_bytes = std::min(limits.max_text_bytes, options_.max_stanza_bytes_before_auth);
  return limits;
}

C2sSession::~C2sSession() = default;

void C2sSession::on_bytes(std::string_view bytes) {
  while (!bytes.empty() && state_ != SessionState::Closed && state_ != SessionState::TlsHandshake) {
    std::size_t used = codec_->feed(bytes);
    bytes.remove_prefix(used);
  }
  // Bytes after <starttls/> in the same read are plaintext injected before the handshake
  // (CVE-2011-0411 class): they are dropped, never parsed as if they came over TLS.
}

void C2sSession::on_tls_established(WireFormat format) {
  if (state_ == SessionState::TlsHandshake) {
    codec_->reset();
    header_sent_ = false;
    state_ = SessionState::ExpectHeader;
  } else if (format == WireFormat::Binary && state_ == SessionState::ExpectHeader &&
             !header_sent_ && codec_->format() != WireFormat::Binary) {
    // Direct TLS with ALPN tern-xmpp-binary/1: binary from the first byte, both ways.
    codec_ = make_binary_codec(*this, limits_before_auth());
  }
}

void C2sSession::use_websocket_framing() {
  if (state_ == SessionState::ExpectHeader && !header_sent_) {
    codec_ = make_framed_xml_codec(*this, limits_before_auth());
  }
}

namespace {

// Where a detached session's output goes: nowhere (deliveries wait as unacknowledged).
class DetachedIo final : public SessionIo {
 public:
  void write(std::string_view /*xml*/) override {}
  bool can_start_tls() const override { return false; }
  void start_tls() override {}
  bool encrypted() const override { return true; }
  std::vector<xmpp::sasl::ChannelBindingData> channel_bindings() const override { return {}; }
  void close() override {}
};
DetachedIo g_detached_io;

}  // namespace

void SessionHost::resume(C2sSession& session, std::string_view /*previd*/) {
  session.resume_failed();
}

void C2sSession::on_disconnected(std::string_view reason) {
  if (state_ == SessionState::Established && sm_.enabled() && !resume_id_.empty()) {
    // XEP-0198 §5: kept for resumption instead of ended.
    state_ = SessionState::Detached;
    io_ = &g_detached_io;
    codec_->stop();
    ack_requested_ = false;
    host_.on_detached(*this);
    return;
  }
  io_ = &g_detached_io;  // the connection is going away
  set_end_reason(reason);
  finish(false);
}

void C2sSession::expire(std::string_view reason) {
  kLog.info("session.expired", "resumable session expired",
            {{"jid", jid_.full()}, {"conn", log_connection_}, {"reason", reason}});
  set_end_reason(reason);
  finish(false);
}

void C2sSession::set_end_reason(std::string_view reason) {
  if (end_reason_.empty()) {
    end_reason_ = reason;
  }
}

bool C2sSession::write(const xmpp::Element& element) {
  out_.clear();
  if (!codec_->write(out_, element)) {
    return false;
  }
  io_->write(out_);
  return true;
}

void C2sSession::send_header(std::string_view to) {
  stream_id_ = host_.new_stream_id();
  xmpp::StreamHeader header;
  header.id = stream_id_;
  header.from = std::string(to);
  header.version = "1.0";
  header.lang = "en";
  out_.clear();
  codec_->write_stream_open(out_, header);
  io_->write(out_);
  header_sent_ = true;
}

void C2sSession::on_stream_open(const xmpp::StreamHeader& header) {
  std::string domain;
  bool known = xmpp::precis::prepare_domain(header.to, domain) == xmpp::precis::PrepStatus::Ok &&
               host_.serves_domain(domain);
  send_header(known ? std::string_view(domain) : std::string_view());
  if (!known) {
    // RFC 6120 §4.9.3.6: a 'to' the server does not serve (or none).
    return close(xmpp::StreamError::host_unknown());
  }
  if (!domain_.empty() && domain != domain_) {
    return close(xmpp::StreamError::host_unknown("the domain may not change on a restart"));
  }
  if (header.version.empty() || header.version.front() < '1') {
    // RFC 6120 §4.7.5: Tern speaks XMPP 1.0 streams only.
    return close(xmpp::StreamError::unsupported_version("version='1.0' is required"));
  }
  domain_ = std::move(domain);
  kLog.debug("stream.open", "stream opened",
             {{"to", domain_}, {"conn", log_connection_}, {"jid", jid_.full()}});
  if (state_ == SessionState::ExpectHeader) {
    state_ = jid_.empty() ? SessionState::Negotiating : SessionState::Authenticated;
  }
  send_features();
}

bool C2sSession::may_authenticate() const {
  return io_->encrypted() || !options_.require_encryption;
}

void C2sSession::send_features() {
  xmpp::StanzaPtr features = xmpp::Stanza::create("features", ns::kStreams);
  if (state_ == SessionState::Authenticated) {
    add_bind_features(features->root());
    add_sm_features(features->root());
    features->root().add_child("csi", ns::kCsi);  // XEP-0352
    host_.add_features(*this, features->root());
  } else {
    if (!io_->encrypted() && io_->can_start_tls()) {
      xmpp::Element& tls = features->root().add_child("starttls", ns::kTls);
      if (options_.require_encryption) {
        tls.add_child("required");
      }
    }
    if (may_authenticate()) {
      add_sasl_features(features->root());
      host_.add_features_before_authentication(*this, features->root());
    }
  }
  write(features->root());
}

void C2sSession::on_stanza(xmpp::StanzaPtr stanza) {
  const xmpp::Element& root = stanza->root();
  if (root.ns() == ns::kStreams) {
    if (auto error = xmpp::StreamError::from_element(root)) {
      return on_peer_stream_error(*error);
    }
  }
  switch (state_) {
    case SessionState::Negotiating:
      if (root.is("starttls", ns::kTls)) {
        return handle_starttls(root);
      }
      if (root.ns() == ns::kSasl) {
        return handle_sasl(root);
      }
      if (root.is("iq", ns::kClient) && may_authenticate() &&
          host_.on_iq_before_authentication(*this, std::move(stanza))) {
        return;
      }
      break;
    case SessionState::Authenticating:
      if (root.ns() == ns::kSasl) {
        return handle_sasl(root);
      }
      break;
    case SessionState::Authenticated:
      if (root.is("iq", ns::kClient) && handle_bind_iq(root)) {
        return;
      }
      if (root.ns() == ns::kStreamManagement) {
        return handle_sm(root);  // <enable/> too early, or <resume/>
      }
      break;
    case SessionState::Established:
      return handle_client_stanza(std::move(stanza));
    default:
      break;
  }
  // RFC 6120 §6.4.1 / §7.1: nothing but negotiation before authentication and binding.
  close(xmpp::StreamError::not_authorized("negotiate the stream first"));
}

void C2sSession::handle_client_stanza(xmpp::StanzaPtr stanza) {
  xmpp::Element& root = stanza->root();
  if (root.ns() == ns::kStreamManagement) {
    return handle_sm(root);
  }
  if (root.ns() == ns::kCsi) {
    return handle_csi(root);  // XEP-0352: a nonza, not counted by stream management
  }
  if (root.ns() != ns::kClient) {
    if (!host_.on_nonza(*this, std::move(stanza))) {
      close(xmpp::StreamError::unsupported_stanza_type());
    }
    return;
  }
  if (stanza->kind() == xmpp::StanzaKind::Other) {
    // Built with append: GCC 12 -O3 warns falsely on "<" + std::string (-Wrestrict, PR 105329).
    std::string text = "<";
    text.append(root.name()).append("/> is not a stanza");
    return close(xmpp::StreamError::unsupported_stanza_type(text));
  }
  // XEP-0198 §4: every stanza counts, the ones the session answers itself included.
  StreamManagement::Ticket ticket = sm_.enabled() ? sm_.received() : 0;
  auto answer_here = [&](const xmpp::Element& reply) {
    write(reply);
    stanza_handled(ticket);
  };
  if (stanza->kind() == xmpp::StanzaKind::Iq && root.attr("type") == "set") {
    const xmpp::Element* payload = root.first_child();
    if (payload != nullptr && payload->is("session", ns::kSession)) {
      // The legacy session request is a no-op that succeeds (RFC 3921 §3, kept optional).
      xmpp::StanzaPtr result = xmpp::make_iq_result(root);
      result->root().remove_attr("from");
      return answer_here(result->root());
    }
    if (payload != nullptr && payload->is("bind", ns::kBind)) {
      // One resource per stream (RFC 6120 §7.7.2.3 leaves more to a never-finished extension).
      return answer_here(xmpp::make_error_reply(root, xmpp::StanzaError::not_allowed())->root());
    }
  }
  // RFC 6120 §8.1.2.1: the server stamps the full JID of the session on every stanza; whatever
  // the client wrote in 'from' is replaced, so no client can send as anyone else.
  stanza->stamp_from(jid_);
  if (root.find_attr("to") != nullptr) {
    if (stanza->to_jid() == nullptr) {  // parsed once here, for the router and every hook
      if (auto reply = xmpp::make_error_reply(root, xmpp::StanzaError::jid_malformed())) {
        // From the entity addressed when only the resource is malformed (a room nickname that
        // fails resourceprep: the client matches the error to its join), else from the server.
        std::string_view to = root.attr("to");
        std::size_t slash = to.find('/');
        auto bare = slash == std::string_view::npos ? Err(xmpp::JidError{})
                                                    : xmpp::Jid::parse(to.substr(0, slash));
        if (bare) {
          reply->root().set_attr("from", bare->full());
        } else {
          reply->root().remove_attr("from");
        }
        write(reply->root());
      }
      return stanza_handled(ticket);
    }
  }
  counters_->stanzas_in[Counters::kind_index(stanza->kind())].add();
  host_.on_stanza(*this, std::move(stanza), ticket);
}

void C2sSession::answer_before_authentication(const xmpp::Stanza& reply) {
  if (state_ == SessionState::Negotiating) {
    write(reply.root());
  }
}

bool C2sSession::deliver(const xmpp::Stanza& stanza) {
  if (state_ == SessionState::Detached || state_ == SessionState::Resuming) {
    sm_.sent(stanza.clone());  // kept for the client that resumes (or re-routed)
    if (state_ == SessionState::Detached) {
      unacked_over_limit();  // (a resuming session checks once the old queue joins it)
    }
    return true;
  }
  if (state_ != SessionState::Established) {
    return false;
  }
  if (csi_.inactive()) {
    for (const xmpp::StanzaPtr& now : csi_.offer(stanza.clone())) {
      transmit(*now);
    }
  } else if (!transmit(stanza)) {
    return true;  // not written, and not kept: its receipt must not say delivered
  }
  counters_->stanzas_out[Counters::kind_index(stanza.kind())].add();
  return sm_.enabled();
}

bool C2sSession::deliver_prepared(const xmpp::PreparedStanza& stanza, std::string_view to) {
  if (state_ != SessionState::Established || codec_->format() != WireFormat::Xml ||
      csi_.inactive() || (sm_.enabled() && sm_.unwritten() > 0)) {
    return false;
  }
  out_.clear();
  stanza.write(out_, to);
  io_->write(out_);
  counters_->stanzas_out[Counters::kind_index(stanza.stanza().kind())].add();
  if (sm_.enabled()) {
    sm_.sent(stanza.copy_for(to));  // a tree only for what may have to be sent again
    request_ack();
    unacked_over_limit();
  }
  return true;
}

bool C2sSession::transmit(const xmpp::Stanza& stanza) {
  if (sm_.enabled() && sm_.unwritten() > 0) {
    // A resend is still going out in slices: this one queues behind it, in order.
    sm_.sent(stanza.clone());
    sm_.set_unwritten(sm_.unwritten() + 1);
    unacked_over_limit();
    return true;
  }
  if (!write(stanza.root())) {
    // Only binary refuses a tree (docs/binary-xmpp.md §9); not counted by XEP-0198 either, as the
    // client never sees it.
    return false;
  }
  if (sm_.enabled()) {
    sm_.sent(stanza.clone());
    request_ack();
    unacked_over_limit();
  }
  return true;
}

bool C2sSession::unacked_over_limit() {
  if (sm_.unacked_count() <= options_.max_unacked_stanzas &&
      sm_.unacked_bytes() <= options_.max_unacked_bytes) {
    return false;
  }
  if ((state_ == SessionState::Established || state_ == SessionState::Detached) &&
      !unacked_overflow_reported_) {
    // Not ended here: this runs inside a delivery (of a batch, of held CSI stanzas), and ending
    // re-enters the router and the modules. The host ends it on the next turn of the loop; what
    // arrives meanwhile is kept like the rest.
    unacked_overflow_reported_ = true;
    kLog.warn("limit.refused",
              "too many unacknowledged stanzas: the session ends, they go to the offline queue",
              {{"jid", jid_.full()},
               {"conn", log_connection_},
               {"detached", state_ == SessionState::Detached},
               {"unacked", sm_.unacked_count()},
               {"bytes", sm_.unacked_bytes()},
               {"max_stanzas", options_.max_unacked_stanzas},
               {"max_bytes", options_.max_unacked_bytes}});
    host_.on_unacked_overflow(*this);
  }
  return true;
}

void C2sSession::end_for_unacked_overflow() {
  if (state_ == SessionState::Established) {
    // XEP-0198 leaves this to the server; Prosody and ejabberd end the stream too. The session
    // cannot be resumed: what it holds goes to the offline queue (SessionHost::on_closed).
    close(xmpp::StreamError::resource_constraint(
        "too many unacknowledged stanzas: " + std::to_string(sm_.unacked_count()) + " (" +
        std::to_string(sm_.unacked_bytes()) + " bytes)"));
  } else if (state_ == SessionState::Detached) {
    expire("unacked-overflow");
  }
}

void C2sSession::handle_csi(const xmpp::Element& element) {
  if (element.name() == "active") {
    for (const xmpp::StanzaPtr& held : csi_.set_active()) {
      transmit(*held);
    }
  } else if (element.name() == "inactive") {
    csi_.set_inactive();
  } else {
    close(xmpp::StreamError::unsupported_stanza_type());
  }
}

void C2sSession::on_stream_close() {
  set_end_reason("client-closed");
  close();
}

void C2sSession::on_peer_stream_error(const xmpp::StreamError& error) {
  std::string_view condition = xmpp::condition_name(error.condition);
  kLog.info("stream.error.received", "the client ended the stream with an error",
            {{"condition", condition},
             {"text", error.text},
             {"conn", log_connection_},
             {"jid", jid_.full()}});
  set_end_reason(std::string("error-received:").append(condition));
  close();  // RFC 6120 §4.9.1: the stream is over; our side ends without an error of its own
}

void C2sSession::on_stream_error(const xmpp::StreamError& error) {
  close(error);
}

void C2sSession::on_foreign_input() {
  set_end_reason("foreign-input");
  finish(true);  // docs/binary-xmpp.md §2.1: close without answering
}

void C2sSession::close(const xmpp::StreamError& error) {
  if (state_ == SessionState::Closed) {
    return;
  }
  std::string_view condition = xmpp::condition_name(error.condition);
  // RFC 6120 §4.9.3.14, §4.9.3.17: a limit was reached (size, rate, failed attempts).
  bool limit = error.condition == xmpp::StreamCondition::PolicyViolation ||
               error.condition == xmpp::StreamCondition::ResourceConstraint;
  // Every session gets system-shutdown at a stop; its conn.closed line says so already.
  log::Level level = limit                                                      ? log::Level::Warn
                     : error.condition == xmpp::StreamCondition::SystemShutdown ? log::Level::Debug
                                                                                : log::Level::Info;
  kLog.write(level, limit ? "limit.refused" : "stream.error.sent",
             limit ? "refused by a limit: stream error sent" : "stream error sent",
             {{"condition", condition},
              {"text", error.text},
              {"conn", log_connection_},
              {"peer", peer_},
              {"jid", jid_.full()}});
  set_end_reason(std::string("error-sent:").append(condition));
  if (!header_sent_) {
    send_header(domain_);  // RFC 6120 §4.9.1.1: a header first, even for an error
  }
  write(error.to_stanza()->root());
  close();
}

void C2sSession::close() {
  if (state_ == SessionState::Closed) {
    return;
  }
  set_end_reason("server-closed");
  codec_->stop();
  out_.clear();
  codec_->write_stream_close(out_);
  io_->write(out_);
  finish(true);
}

void C2sSession::finish(bool notify_io) {
  if (state_ != SessionState::Closed) {
    state_ = SessionState::Closed;
    codec_->stop();
    if (notify_io) {
      io_->close();
    }
  }
  if (!closed_notified_) {
    closed_notified_ = true;
    host_.on_closed(*this);
  }
}

}  // namespace tern::core::c2s
