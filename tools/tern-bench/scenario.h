// SPDX-License-Identifier: MIT
// A scenario: the sessions of one generator process and what they do. The base class brings the
// sessions up the way a real client logs in (connect, TLS, SASL, bind, initial presence) with a
// bounded number of negotiations in flight, and times each login; the modes (connect, chat,
// presence, register: one file each) add what happens in the measured phase, between start_phase()
// and stop_phase(), which the coordinator calls at the same moment in every process.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tools/tern-bench/options.h"
#include "tools/tern-bench/session.h"
#include "tools/tern-bench/stats.h"

namespace tern::bench {

class Scenario : public SessionListener {
 public:
  // The accounts [first, first + count) of the run's numbering (options.first is added too).
  Scenario(const Options& options, std::uint64_t first, std::uint64_t count,
           const tls::TlsContext* tls);
  ~Scenario() override;
  Scenario(const Scenario&) = delete;
  Scenario& operator=(const Scenario&) = delete;

  uv_loop_t* uv() { return loop_.uv(); }
  Stats& stats() { return stats_; }

  // Brings every session up; `done` runs once all are up or failed (or the set-up timed out).
  void set_up(std::function<void()> done);
  virtual void start_phase() {}
  virtual void stop_phase() {}
  // Whether everything sent in the phase has arrived (the drain after stop_phase() waits for it).
  virtual bool drained() const { return true; }
  // Closes every session (abruptly: the generator is leaving) and lets the loop finish.
  void close_all();

 protected:
  // The options of session `index` (register mode stops after the stream features).
  virtual client::ClientOptions client_options(std::uint64_t index) const;
  // Negotiation is done: by default send initial presence and a ping; the answer marks it up.
  virtual void on_negotiated(Session& session);
  // Whether the answer to the login IQ (id kUpId) means the session is up.
  virtual bool login_reply_ok(const xmpp::Element& /*iq*/) { return true; }
  // A session is logged in.
  virtual void on_up(Session& /*session*/) {}
  // Any stanza that arrives once the session is up.
  virtual void on_message(Session& /*session*/, const xmpp::Element& /*stanza*/) {}
  // Every session is up or failed: a scenario with a set-up step of its own (presence:
  // subscriptions) does it here and then calls set_up_done().
  virtual void after_logins() { set_up_done(); }

  void mark_up(Session& session);
  void mark_failed(Session& session);
  void set_up_done();

  // "PREFIX<n>" and "PREFIX<n>@DOMAIN" for the session at `index` of this process.
  std::string username(std::uint64_t index) const;
  std::string bare_jid(std::uint64_t index) const;
  Session& session(std::uint64_t index) { return *sessions_[index]; }
  std::uint64_t count() const { return count_; }

  // The id of the IQ whose answer completes a login.
  static constexpr std::string_view kUpId = "tern-bench-up";

  const Options& options_;
  std::uint64_t first_;
  std::uint64_t count_ = 0;
  SessionLoop loop_;
  std::vector<std::unique_ptr<Session>> sessions_;
  Stats stats_;
  bool running_ = false;  // inside the measured phase

 private:
  void on_ready(Session& session) final;
  void on_stanza(Session& session, const xmpp::Element& stanza) final;
  void on_ended(Session& session) final;
  void start_next();
  void check_set_up();
  static void on_setup_timeout(uv_timer_t* timer);

  sockaddr_in server_{};
  std::uint64_t next_to_start_ = 0;
  std::uint64_t in_negotiation_ = 0;
  std::uint64_t settled_ = 0;  // sessions up or failed during the set-up
  std::uint64_t setup_started_ns_ = 0;
  bool logins_done_ = false;
  bool set_up_done_ = false;
  bool closing_all_ = false;
  bool starting_ = false;
  std::function<void()> done_;
  uv_timer_t setup_timer_{};
};

// The scenario of options.mode for one process.
std::unique_ptr<Scenario> make_scenario(const Options& options, std::uint64_t first,
                                        std::uint64_t count, const tls::TlsContext* tls);

}  // namespace tern::bench
