// SPDX-License-Identifier: MIT
// presence: the sessions of a process form a ring; each has the R nearest others (R/2 on each
// side) as contacts with mutual subscriptions, set up through the protocol after login (subscribe
// both ways, each side approving what it is asked), which ends when no subscription stanza
// arrived for a while. In the phase, sessions broadcast a presence (<status> carries the send
// time) at --rate broadcasts/s over the process (default: each session once a second); every
// contact should receive it, so expected = broadcasts × R.
#include <string>

#include "tools/tern-bench/modes.h"
#include "tools/tern-bench/pacer.h"
#include "xmpp/namespaces.h"

namespace tern::bench {

namespace {

constexpr std::string_view kStampPrefix = "p";
constexpr std::uint64_t kQuietUs =
    std::uint64_t{1500} * 1000;  // subscriptions are settled after this silence

class PresenceScenario final : public Scenario {
 public:
  PresenceScenario(const Options& options, std::uint64_t first, std::uint64_t count,
                   const tls::TlsContext* tls)
      : Scenario(options, first, count, tls), pacer_(uv(), [this] { send_next(); }) {
    uv_timer_init(uv(), &timer_);
    timer_.data = this;
  }
  ~PresenceScenario() override { uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr); }
  PresenceScenario(const PresenceScenario&) = delete;
  PresenceScenario& operator=(const PresenceScenario&) = delete;

  void start_phase() override {
    running_ = true;
    uv_timer_stop(&timer_);  // (the settling wait, if it still ran)
    pacer_.start(options_.rate > 0 ? options_.rate : static_cast<double>(count()));
  }

  void stop_phase() override {
    running_ = false;
    pacer_.stop();
  }

  bool drained() const override { return stats_.received >= stats_.expected; }

 protected:
  void after_logins() override {
    last_subscription_us_ = now_micros();
    const std::uint64_t half = options_.roster / 2;
    for (std::uint64_t i = 0; i < count(); ++i) {
      if (!session(i).up || session(i).ended()) {
        continue;
      }
      senders_.push_back(i);
      for (std::uint64_t k = 1; k <= half; ++k) {
        for (std::uint64_t contact : {(i + k) % count(), (i + count() - k) % count()}) {
          session(i).send_xml("<presence type='subscribe' to='" + bare_jid(contact) + "'/>");
        }
      }
    }
    uv_timer_start(&timer_, &PresenceScenario::on_settle, 100, 100);
  }

  void on_message(Session& session, const xmpp::Element& stanza) override {
    if (stanza.name() != "presence") {
      return;
    }
    const std::string_view type = stanza.attr("type");
    if (type == "subscribe") {
      last_subscription_us_ = now_micros();
      std::string approve = "<presence type='subscribed' to='";
      approve += stanza.attr("from");
      approve += "'/>";
      session.send_xml(approve);
      return;
    }
    if (type == "subscribed") {
      last_subscription_us_ = now_micros();
      return;
    }
    const xmpp::Element* status = stanza.child("status", xmpp::ns::kClient);
    std::uint64_t stamp = 0;
    if (status == nullptr || !read_stamp(status->text(), kStampPrefix, stamp)) {
      return;
    }
    // Our own broadcast reflected to us is not a contact's receipt.
    const std::string_view from = stanza.attr("from");
    const std::string own = bare_jid(session.index());
    if (from.starts_with(own) && (from.size() == own.size() || from[own.size()] == '/')) {
      return;
    }
    ++stats_.received;
    const std::uint64_t now = now_micros();
    stats_.latency.record(now > stamp ? now - stamp : 0);
    if (running_) {
      ++stats_.received_in_window;
    }
  }

 private:
  static void on_settle(uv_timer_t* timer) {
    auto* self = static_cast<PresenceScenario*>(timer->data);
    if (now_micros() - self->last_subscription_us_ >= kQuietUs) {
      uv_timer_stop(timer);
      self->set_up_done();
    }
  }

  // The rate's next broadcast, from the senders in turn.
  void send_next() {
    if (senders_.empty()) {
      return;
    }
    Session& from = session(senders_[cursor_]);
    cursor_ = (cursor_ + 1) % senders_.size();
    if (from.ended()) {
      return;
    }
    from.send_xml("<presence><status>" + std::string(kStampPrefix) + std::to_string(now_micros()) +
                  "</status></presence>");
    ++stats_.sent;
    stats_.expected += options_.roster;
  }

  std::vector<std::uint64_t> senders_;
  std::size_t cursor_ = 0;
  std::uint64_t last_subscription_us_ = 0;
  uv_timer_t timer_{};  // waits for the subscriptions to settle
  Pacer pacer_;
};

}  // namespace

std::unique_ptr<Scenario> make_presence_scenario(const Options& options, std::uint64_t first,
                                                 std::uint64_t count, const tls::TlsContext* tls) {
  return std::make_unique<PresenceScenario>(options, first, count, tls);
}

}  // namespace tern::bench
