// SPDX-License-Identifier: MIT
#include "client/client_stream.h"

#include <utility>

#include "tls/tls_transport.h"
#include "xmpp/base64.h"
#include "xmpp/escape.h"
#include "xmpp/namespaces.h"
#include "xmpp/sasl/plain.h"

namespace tern::client {

namespace ns = xmpp::ns;
using xmpp::sasl::ScramHash;

std::string_view mechanism_name(Mechanism mechanism) {
  switch (mechanism) {
    case Mechanism::ScramSha256:
      return "SCRAM-SHA-256";
    case Mechanism::ScramSha1:
      return "SCRAM-SHA-1";
    case Mechanism::ScramSha512:
      return "SCRAM-SHA-512";
    case Mechanism::Plain:
      return "PLAIN";
  }
  return "PLAIN";
}

std::optional<Mechanism> parse_mechanism(std::string_view name) {
  for (Mechanism m :
       {Mechanism::ScramSha256, Mechanism::ScramSha1, Mechanism::ScramSha512, Mechanism::Plain}) {
    if (mechanism_name(m) == name) {
      return m;
    }
  }
  return std::nullopt;
}

tls::TlsClientOptions binary_tls_options() {
  tls::TlsClientOptions options;
  options.preferred_alpn = {std::string(tls::kAlpnXmppBinary)};
  options.alpn = tls::kAlpnXmppClient;
  return options;
}

namespace {

xmpp::ParserOptions parser_options(const ClientOptions& options) {
  xmpp::ParserOptions parser;
  parser.limits = options.limits;
  return parser;
}

}  // namespace

ClientStream::ClientStream(ClientOptions options, const tls::TlsContext* tls)
    : options_(std::move(options)),
      tls_context_(tls),
      transport_(std::make_unique<tls::PlainTransport>()),
      parser_(*this, parser_options(options_)) {}

ClientStream::~ClientStream() = default;

void ClientStream::start(std::string& wire_out) {
  wire_out_ = &wire_out;
  if (options_.tls == TlsMode::Direct || options_.tls == TlsMode::DirectBinary) {
    start_tls();
  } else {
    open_stream();
  }
  wire_out_ = nullptr;
}

void ClientStream::on_received(std::string_view wire_bytes, std::string& wire_out) {
  if (state_ == ClientState::Failed || state_ == ClientState::Closed) {
    return;
  }
  wire_out_ = &wire_out;
  plaintext_.clear();
  auto received = transport_->on_received(wire_bytes, plaintext_, wire_out);
  if (!received) {
    fail("TLS: " + received.error().message);
    wire_out_ = nullptr;
    return;
  }
  if (stream_pending_ && transport_->handshake_done()) {
    stream_pending_ = false;
    tls_done_ = true;
    // ALPN is settled by the handshake: the format is known before the first stream byte.
    if (options_.tls == TlsMode::DirectBinary &&
        transport_->negotiated_alpn() == tls::kAlpnXmppBinary) {
      binary_ = std::make_unique<BinaryWire>(options_.resume_jid);
    }
    open_stream();
  }
  plaintext_received_ += plaintext_.size();
  if (binary_) {
    if (auto problem = binary_->feed(plaintext_, *this)) {
      fail(*problem);
    }
    plaintext_.clear();
  }
  std::string_view rest = plaintext_;
  while (!rest.empty() && state_ != ClientState::Failed && state_ != ClientState::Closed) {
    const std::size_t used = parser_.feed(rest);
    if (used == 0) {
      break;  // the parser failed or the stream ended
    }
    rest.remove_prefix(used);
    // A restart (after <proceed/> or SASL success) stopped the parser early. After <proceed/>
    // nothing may follow in plaintext (it would be an injection before TLS): drop it. After
    // SASL success the rest belongs to the new stream.
    if (step_ == Step::AwaitTlsHandshake) {
      break;
    }
  }
  if (transport_->peer_closed() && state_ != ClientState::Failed) {
    transport_->close(wire_out);
    if (state_ != ClientState::Closed) {
      state_ = ClientState::Closed;
      if (failure_.empty()) {
        failure_ = "the server closed the TLS session";
      }
    }
  }
  wire_out_ = nullptr;
}

void ClientStream::on_disconnected() {
  if (state_ == ClientState::Negotiating) {
    fail("connection closed during negotiation");
  } else if (state_ == ClientState::Ready) {
    state_ = ClientState::Closed;
    failure_ = "connection closed";
  }
}

void ClientStream::send(const xmpp::Element& element, std::string& wire_out) {
  if (binary_) {
    if (state_ == ClientState::Failed || state_ == ClientState::Closed) {
      return;
    }
    wire_out_ = &wire_out;
    out_.clear();
    if (binary_->write(element, out_)) {
      write_plaintext(out_);
    } else {
      fail("binary XMPP cannot carry <" + std::string(element.name()) + "/>");
    }
    wire_out_ = nullptr;
    return;
  }
  out_.clear();
  serializer_.write(out_, element);
  send_xml(out_, wire_out);
}

void ClientStream::send_xml(std::string_view xml, std::string& wire_out) {
  if (state_ == ClientState::Failed || state_ == ClientState::Closed) {
    return;
  }
  wire_out_ = &wire_out;
  write_element_xml(xml);
  wire_out_ = nullptr;
}

void ClientStream::close(std::string& wire_out) {
  if (state_ == ClientState::Failed || state_ == ClientState::Closed) {
    return;
  }
  wire_out_ = &wire_out;
  write_stream_close();
  transport_->close(wire_out);
  state_ = ClientState::Closed;
  if (failure_.empty()) {
    failure_ = "closed by the client";
  }
  wire_out_ = nullptr;
}

void ClientStream::on_stream_open(const xmpp::StreamHeader& header) {
  server_header_ = header;
}

void ClientStream::on_stanza(xmpp::StanzaPtr stanza) {
  if (state_ == ClientState::Failed || state_ == ClientState::Closed) {
    return;  // binary frames decoded after the end (the XML parser stops by itself)
  }
  if (stanza->root().is("error", ns::kStreams)) {
    stream_error_ = xmpp::StreamError::from_element(stanza->root());
    const std::string condition =
        stream_error_ ? std::string(xmpp::condition_name(stream_error_->condition)) : "unknown";
    if (state_ == ClientState::Ready) {
      received_.push_back(std::move(stanza));
      state_ = ClientState::Closed;
      failure_ = "stream error: " + condition;
    } else {
      fail("stream error: " + condition);
    }
    return;
  }
  if (state_ == ClientState::Ready) {
    received_.push_back(std::move(stanza));
    return;
  }
  negotiate(std::move(stanza));
}

void ClientStream::on_stream_close() {
  if (state_ == ClientState::Negotiating) {
    fail("the server closed the stream during negotiation");
    return;
  }
  if (state_ == ClientState::Ready) {
    state_ = ClientState::Closed;
    failure_ = "the server closed the stream";
    // Answer with our own close (RFC 6120 §4.4).
    if (wire_out_ != nullptr) {
      write_stream_close();
      transport_->close(*wire_out_);
    }
  }
}

void ClientStream::on_stream_error(const xmpp::StreamError& error) {
  fail("the server's XML is invalid: " + std::string(xmpp::condition_name(error.condition)));
}

void ClientStream::negotiate(xmpp::StanzaPtr stanza) {
  const xmpp::Element& root = stanza->root();
  switch (step_) {
    case Step::AwaitFeatures:
      if (!root.is("features", ns::kStreams)) {
        fail("expected stream features, got <" + std::string(root.name()) + "/>");
        return;
      }
      on_features(std::move(stanza));
      return;
    case Step::AwaitProceed:
      if (!root.is("proceed", ns::kTls)) {
        fail("STARTTLS refused");
        return;
      }
      request_restart();
      start_tls();
      return;
    case Step::AwaitSasl:
      on_sasl(root);
      return;
    case Step::AwaitBind:
      on_bind_result(root);
      return;
    case Step::AwaitTlsHandshake:
    case Step::Done:
      fail("unexpected <" + std::string(root.name()) + "/> during negotiation");
      return;
  }
}

void ClientStream::on_features(xmpp::StanzaPtr features) {
  features_ = std::move(features);
  const xmpp::Element& root = features_->root();
  const bool encrypted = transport_->is_encrypted();
  if (!encrypted && options_.tls == TlsMode::StartTls) {
    if (root.child("starttls", ns::kTls) == nullptr) {
      fail("the server offers no STARTTLS");
      return;
    }
    write_element_xml("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    step_ = Step::AwaitProceed;
    return;
  }
  if (!authenticated_) {
    if (options_.stop_after == StopAfter::Features) {
      become_ready();
      return;
    }
    start_sasl(root);
    return;
  }
  if (options_.stop_after == StopAfter::Sasl) {
    become_ready();
    return;
  }
  if (root.child("bind", ns::kBind) == nullptr) {
    fail("the server offers no resource binding");
    return;
  }
  std::string bind = "<iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>";
  if (!options_.resource.empty()) {
    bind += "<resource>";
    xmpp::append_escaped_text(bind, options_.resource);
    bind += "</resource>";
  }
  bind += "</bind></iq>";
  write_element_xml(bind);
  step_ = Step::AwaitBind;
}

void ClientStream::start_sasl(const xmpp::Element& features) {
  const std::string_view wanted = mechanism_name(options_.mechanism);
  bool offered = false;
  if (const xmpp::Element* mechanisms = features.child("mechanisms", ns::kSasl)) {
    for (const xmpp::Element& m : mechanisms->children()) {
      if (m.is("mechanism", ns::kSasl) && m.text() == wanted) {
        offered = true;
      }
    }
  }
  if (!offered) {
    fail("the server does not offer " + std::string(wanted));
    return;
  }
  std::string initial;
  if (options_.mechanism == Mechanism::Plain) {
    auto response = xmpp::sasl::plain_initial_response(options_.username, options_.password);
    if (!response) {
      fail("PLAIN: the username or password cannot be sent");
      return;
    }
    initial = std::move(*response);
  } else {
    ScramHash hash = options_.mechanism == Mechanism::ScramSha1     ? ScramHash::Sha1
                     : options_.mechanism == Mechanism::ScramSha512 ? ScramHash::Sha512
                                                                    : ScramHash::Sha256;
    xmpp::sasl::ScramClientOptions scram_options;
    // We can bind (TLS), but this client does not use -PLUS: say so honestly with "y".
    scram_options.binding_supported = transport_->is_encrypted();
    scram_ = std::make_unique<xmpp::sasl::ScramClient>(hash, options_.username, options_.password,
                                                       scram_options);
    auto first = scram_->client_first();
    if (!first) {
      fail("SCRAM: " + std::string(xmpp::sasl::describe(first.error())));
      return;
    }
    initial = std::move(*first);
  }
  std::string auth = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='";
  auth += wanted;
  auth += "'>";
  auth += initial.empty() ? "=" : xmpp::base64_encode(initial);
  auth += "</auth>";
  write_element_xml(auth);
  step_ = Step::AwaitSasl;
}

void ClientStream::on_sasl(const xmpp::Element& element) {
  if (element.is("challenge", ns::kSasl) && scram_) {
    auto server_first = xmpp::base64_decode(element.text());
    if (!server_first) {
      fail("SCRAM: the challenge is not base64");
      return;
    }
    auto final_message = scram_->client_final(*server_first);
    if (!final_message) {
      fail("SCRAM: " + std::string(xmpp::sasl::describe(final_message.error())));
      return;
    }
    std::string response = "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
    response += xmpp::base64_encode(*final_message);
    response += "</response>";
    write_element_xml(response);
    return;
  }
  if (element.is("success", ns::kSasl)) {
    if (scram_) {
      auto server_final = xmpp::base64_decode(element.text());
      if (!server_final || !scram_->verify_server_final(*server_final)) {
        fail("SCRAM: the server's signature does not match: it does not know our password");
        return;
      }
    }
    authenticated_ = true;
    request_restart();
    open_stream();
    return;
  }
  if (element.is("failure", ns::kSasl)) {
    std::string condition = "failure";
    for (const xmpp::Element& child : element.children()) {
      if (child.name() != "text") {
        condition = child.name();
      }
    }
    fail("SASL failure: " + condition);
    return;
  }
  fail("unexpected <" + std::string(element.name()) + "/> during SASL");
}

void ClientStream::on_bind_result(const xmpp::Element& iq) {
  if (iq.name() != "iq" || iq.attr("id") != "bind_1") {
    fail("unexpected <" + std::string(iq.name()) + "/> while binding");
    return;
  }
  if (iq.attr("type") != "result") {
    fail("resource binding refused");
    return;
  }
  const xmpp::Element* bind = iq.child("bind", ns::kBind);
  const xmpp::Element* jid = bind != nullptr ? bind->child("jid", ns::kBind) : nullptr;
  auto parsed = jid != nullptr ? xmpp::Jid::parse(jid->text()) : xmpp::Jid::parse("");
  if (!parsed || !parsed->has_resource()) {
    fail("the bind result carries no full JID");
    return;
  }
  jid_ = std::move(*parsed);
  become_ready();
}

void ClientStream::start_tls() {
  if (tls_context_ == nullptr) {
    fail("TLS: no client context");
    return;
  }
  auto tls = tls::TlsTransport::client(*tls_context_, options_.domain);
  if (!tls) {
    fail("TLS: " + tls.error().message);
    return;
  }
  transport_ = std::move(*tls);
  step_ = Step::AwaitTlsHandshake;
  stream_pending_ = true;
  if (auto started = transport_->start(*wire_out_); !started) {
    fail("TLS: " + started.error().message);
  }
}

void ClientStream::open_stream() {
  step_ = Step::AwaitFeatures;
  xmpp::StreamHeader header;
  header.to = options_.domain;
  header.version = "1.0";
  out_.clear();
  if (binary_) {
    header.content_ns = ns::kClient;  // a binary header carries the default namespace (§4.1)
    binary_->write_stream_open(header, out_);
  } else {
    serializer_.write_stream_open(out_, header);
  }
  write_plaintext(out_);
}

void ClientStream::write_element_xml(std::string_view xml) {
  if (!binary_) {
    return write_plaintext(xml);
  }
  std::string frame;
  if (!binary_->write_xml(xml, frame)) {
    return fail("binary XMPP cannot carry this XML: " + std::string(xml.substr(0, 80)));
  }
  write_plaintext(frame);
}

void ClientStream::write_stream_close() {
  std::string end;
  if (binary_) {
    binary_->write_stream_close(end);
  } else {
    xmpp::Serializer::write_stream_close(end);
  }
  write_plaintext(end);
}

// Binary streams have no document to restart: the server's next frame is a stream header.
void ClientStream::request_restart() {
  if (!binary_) {
    parser_.request_restart();
  }
}

void ClientStream::write_plaintext(std::string_view bytes) {
  plaintext_sent_ += bytes.size();
  if (auto sent = transport_->send(bytes, *wire_out_); !sent) {
    fail("TLS: " + sent.error().message);
  }
}

void ClientStream::become_ready() {
  step_ = Step::Done;
  state_ = ClientState::Ready;
}

void ClientStream::fail(std::string why) {
  if (state_ == ClientState::Failed) {
    return;
  }
  state_ = ClientState::Failed;
  failure_ = std::move(why);
  parser_.stop();
}

}  // namespace tern::client
