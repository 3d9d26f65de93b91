// SPDX-License-Identifier: MIT
#include "tools/tern-bench/scenario.h"

#include <arpa/inet.h>

#include <cstdio>

#include "tools/tern-bench/modes.h"

namespace tern::bench {

namespace {

bool loopback(const std::string& host) {
  return host.starts_with("127.");
}

}  // namespace

Scenario::Scenario(const Options& options, std::uint64_t first, std::uint64_t count,
                   const tls::TlsContext* tls)
    : options_(options), first_(first), loop_(tls, *this) {
  uv_ip4_addr(options_.host.c_str(), options_.port, &server_);
  count_ = count;
  stats_.sessions_wanted = count;
  uv_timer_init(loop_.uv(), &setup_timer_);
  setup_timer_.data = this;
}

Scenario::~Scenario() {
  uv_close(reinterpret_cast<uv_handle_t*>(&setup_timer_), nullptr);
  uv_run(loop_.uv(), UV_RUN_DEFAULT);
}

std::string Scenario::username(std::uint64_t index) const {
  return options_.prefix + std::to_string(options_.first + first_ + index);
}

std::string Scenario::bare_jid(std::uint64_t index) const {
  return username(index) + '@' + options_.domain;
}

client::ClientOptions Scenario::client_options(std::uint64_t index) const {
  client::ClientOptions client;
  client.domain = options_.domain;
  client.username = username(index);
  client.password = options_.password;
  client.resource = "bench";
  client.tls = options_.tls;
  client.mechanism = options_.mechanism;
  return client;
}

void Scenario::set_up(std::function<void()> done) {
  done_ = std::move(done);
  // Here, not in the constructor: client_options() is virtual.
  sessions_.reserve(count_);
  for (std::uint64_t i = 0; i < count_; ++i) {
    sessions_.push_back(std::make_unique<Session>(loop_, i, client_options(i)));
  }
  setup_started_ns_ = uv_hrtime();
  uv_timer_start(&setup_timer_, &Scenario::on_setup_timeout,
                 static_cast<std::uint64_t>(options_.setup_timeout * 1000), 0);
  start_next();
  check_set_up();
}

void Scenario::start_next() {
  // A connect that fails at once comes back here through mark_failed(): let the outer call go on.
  if (starting_) {
    return;
  }
  starting_ = true;
  while (in_negotiation_ < options_.concurrency && next_to_start_ < sessions_.size()) {
    Session& session = *sessions_[next_to_start_++];
    ++in_negotiation_;
    sockaddr_in source{};
    const bool spread = options_.sources > 0 && loopback(options_.host);
    if (spread) {
      // 127.0.0.2 onwards: each source address has its own ephemeral port range.
      const std::uint64_t n = (first_ + session.index()) % options_.sources;
      const std::string address = "127.0.0." + std::to_string(2 + n);
      uv_ip4_addr(address.c_str(), 0, &source);
    }
    session.connect(server_, spread ? &source : nullptr);
  }
  starting_ = false;
}

void Scenario::on_ready(Session& session) {
  on_negotiated(session);
}

void Scenario::on_negotiated(Session& session) {
  std::string login;
  if (options_.initial_presence) {
    login = "<presence/>";
  }
  // Answered after the presence was handled (a stream is processed in order), by any server
  // (XEP-0199 ping, or an error reply, which proves the same).
  login += "<iq type='get' id='";
  login += kUpId;
  login += "' to='" + options_.domain + "'><ping xmlns='urn:xmpp:ping'/></iq>";
  session.send_xml(login);
}

void Scenario::on_stanza(Session& session, const xmpp::Element& stanza) {
  if (!session.up) {
    if (stanza.name() == "iq" && stanza.attr("id") == kUpId) {
      if (login_reply_ok(stanza)) {
        mark_up(session);
      } else {
        session.close(false);  // counted as failed by on_ended()
      }
    }
    return;
  }
  on_message(session, stanza);
}

void Scenario::mark_up(Session& session) {
  session.up = true;
  ++settled_;
  ++stats_.sessions_up;
  stats_.logins.record((uv_hrtime() - session.started_ns()) / 1000);
  --in_negotiation_;
  on_up(session);
  start_next();
  check_set_up();
}

void Scenario::mark_failed(Session& session) {
  ++stats_.sessions_failed;
  if (options_.verbose) {
    std::fprintf(stderr, "tern-bench: %s: %s\n", username(session.index()).c_str(),
                 session.stream().failure().c_str());
  }
  if (session.up) {
    return;  // lost after its login, which still counts as done
  }
  ++settled_;
  --in_negotiation_;
  start_next();
  check_set_up();
}

void Scenario::on_ended(Session& session) {
  if (!closing_all_ && !session.finished) {
    mark_failed(session);
  }
}

void Scenario::check_set_up() {
  if (logins_done_ || settled_ < sessions_.size()) {
    return;
  }
  logins_done_ = true;
  stats_.setup_seconds = static_cast<double>(uv_hrtime() - setup_started_ns_) / 1e9;
  after_logins();
}

void Scenario::set_up_done() {
  if (set_up_done_) {
    return;
  }
  set_up_done_ = true;
  uv_timer_stop(&setup_timer_);
  if (done_) {
    done_();
  }
}

void Scenario::on_setup_timeout(uv_timer_t* timer) {
  auto* self = static_cast<Scenario*>(timer->data);
  if (!self->logins_done_) {
    // What never started, or is not up by now, counts as failed.
    self->stats_.sessions_failed += self->sessions_.size() - self->next_to_start_;
    self->settled_ += self->sessions_.size() - self->next_to_start_;
    self->next_to_start_ = self->sessions_.size();
    for (auto& session : self->sessions_) {
      if (!session->up && !session->ended()) {
        session->close(false);
      }
    }
    self->check_set_up();
  }
  self->set_up_done();
}

void Scenario::close_all() {
  running_ = false;
  closing_all_ = true;
  set_up_done_ = true;
  uv_timer_stop(&setup_timer_);
  for (auto& session : sessions_) {
    session->close(false);
  }
}

}  // namespace tern::bench

namespace tern::bench {

std::uint64_t now_micros() {
  return uv_hrtime() / 1000;
}

bool read_stamp(std::string_view text, std::string_view prefix, std::uint64_t& micros) {
  if (!text.starts_with(prefix)) {
    return false;
  }
  text.remove_prefix(prefix.size());
  std::uint64_t value = 0;
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    value = value * 10 + static_cast<std::uint64_t>(text[digits] - '0');
    ++digits;
  }
  micros = value;
  return digits > 0;
}

std::unique_ptr<Scenario> make_scenario(const Options& options, std::uint64_t first,
                                        std::uint64_t count, const tls::TlsContext* tls) {
  switch (options.mode) {
    case Mode::Connect:
      return make_connect_scenario(options, first, count, tls);
    case Mode::Chat:
      return make_chat_scenario(options, first, count, tls);
    case Mode::Presence:
      return make_presence_scenario(options, first, count, tls);
    case Mode::Register:
      return make_register_scenario(options, first, count, tls);
    case Mode::Muc:
      return make_muc_scenario(options, first, count, tls);
  }
  return nullptr;
}

}  // namespace tern::bench
