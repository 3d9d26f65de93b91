// SPDX-License-Identifier: MIT
// chat: sessions 2k and 2k+1 of a process are a pair and send each other one-to-one messages
// (type chat, to the full JID, a body of --body-bytes). The id carries the send time, so the
// receiver measures the latency without any shared table. Flat out (no --rate), each direction
// keeps --window messages in flight: a new one leaves as soon as one arrives (closed loop, the
// server's saturation point). With --rate, messages leave on a 2 ms tick at that average rate
// (open loop, for latency at a given load).
#include <string>

#include "tools/tern-bench/modes.h"
#include "tools/tern-bench/pacer.h"

namespace tern::bench {

namespace {

constexpr std::string_view kStampPrefix = "m";

class ChatScenario final : public Scenario {
 public:
  ChatScenario(const Options& options, std::uint64_t first, std::uint64_t count,
               const tls::TlsContext* tls)
      : Scenario(options, first, count, tls),
        body_(options.body_bytes, 'x'),
        pacer_(uv(), [this] { send_next(); }) {}

  void start_phase() override {
    running_ = true;
    if (options_.rate <= 0) {
      for (std::uint64_t index : senders_) {
        for (std::uint32_t i = 0; i < options_.window; ++i) {
          send_one(session(index));
        }
      }
      return;
    }
    pacer_.start(options_.rate);
  }

  void stop_phase() override {
    running_ = false;
    pacer_.stop();
  }

  bool drained() const override { return stats_.received >= stats_.sent; }

 protected:
  void after_logins() override {
    for (std::uint64_t a = 0; a + 1 < count(); a += 2) {
      Session& first = session(a);
      Session& second = session(a + 1);
      if (!first.up || !second.up || first.ended() || second.ended()) {
        continue;  // a pair with a failed half sends nothing
      }
      pair_up(first, second);
      pair_up(second, first);
    }
    set_up_done();
  }

  void on_message(Session& session, const xmpp::Element& stanza) override {
    std::uint64_t stamp = 0;
    if (stanza.name() != "message" || !read_stamp(stanza.attr("id"), kStampPrefix, stamp)) {
      return;
    }
    ++stats_.received;
    const std::uint64_t now = now_micros();
    stats_.latency.record(now > stamp ? now - stamp : 0);
    if (running_) {
      ++stats_.received_in_window;
      if (options_.rate <= 0) {
        send_one(this->session(session.peer));  // closed loop: the sender may send the next one
      }
    }
  }

 private:
  void pair_up(Session& from, Session& to) {
    from.peer = to.index();
    from.message_prefix = "<message type='chat' to='";
    from.message_prefix += to.stream().jid().full();
    from.message_prefix += "' id='";
    from.message_prefix += kStampPrefix;
    senders_.push_back(from.index());
  }

  void send_one(Session& from) {
    if (from.ended()) {
      return;
    }
    xml_ = from.message_prefix;
    xml_ += std::to_string(now_micros());
    xml_ += "'><body>";
    xml_ += body_;
    xml_ += "</body></message>";
    from.send_xml(xml_);
    ++stats_.sent;
  }

  // The rate's next message, from the senders in turn.
  void send_next() {
    if (senders_.empty()) {
      return;
    }
    send_one(session(senders_[cursor_]));
    cursor_ = (cursor_ + 1) % senders_.size();
  }

  std::string body_;
  std::string xml_;  // reused for every message
  std::vector<std::uint64_t> senders_;
  std::size_t cursor_ = 0;
  Pacer pacer_;
};

}  // namespace

std::unique_ptr<Scenario> make_chat_scenario(const Options& options, std::uint64_t first,
                                             std::uint64_t count, const tls::TlsContext* tls) {
  return std::make_unique<ChatScenario>(options, first, count, tls);
}

}  // namespace tern::bench
