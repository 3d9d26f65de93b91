// SPDX-License-Identifier: MIT
// muc: --rooms rooms of --occupants sessions each (a process holds whole rooms) at the server's
// XEP-0045 service (--muc-service, by default conference.DOMAIN). The first occupant of each
// room creates it and accepts the default configuration (an instant room, §10.1.2), then the
// others enter (no history). In the measured phase one occupant per room sends groupchat
// messages (a body of --body-bytes) and every occupant, the sender included, receives each one:
// a message is --occupants deliveries. The id carries the send time, which the room keeps, so
// each receiver measures the latency. Flat out (no --rate) each room keeps --window messages in
// flight (a new one leaves when the sender gets its own back); with --rate, messages leave on a
// 2 ms tick at that average rate over all rooms.
#include <string>
#include <vector>

#include "tools/tern-bench/modes.h"
#include "tools/tern-bench/pacer.h"
#include "xmpp/random_ids.h"

namespace tern::bench {

namespace {

constexpr std::string_view kStampPrefix = "g";
constexpr std::string_view kMucUser = "http://jabber.org/protocol/muc#user";

bool has_status(const xmpp::Element& presence, std::string_view code) {
  const xmpp::Element* x = presence.child("x", kMucUser);
  if (x == nullptr) {
    return false;
  }
  for (const xmpp::Element& child : x->children()) {
    if (child.is("status", kMucUser) && child.attr("code") == code) {
      return true;
    }
  }
  return false;
}

class MucScenario final : public Scenario {
 public:
  MucScenario(const Options& options, std::uint64_t first, std::uint64_t count,
              const tls::TlsContext* tls)
      : Scenario(options, first, count, tls),
        body_(options.body_bytes, 'x'),
        service_(options.muc_service.empty() ? "conference." + options.domain
                                             : options.muc_service),
        run_tag_(xmpp::random_hex(4)),
        first_room_(first / options.occupants),
        pacer_(uv(), [this] { send_next(); }) {
    rooms_.resize(count / options.occupants);
  }

  void start_phase() override {
    running_ = true;
    if (options_.rate <= 0) {
      for (std::size_t r = 0; r < rooms_.size(); ++r) {
        for (std::uint32_t i = 0; i < options_.window; ++i) {
          send_one(r);
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

  bool drained() const override { return stats_.received >= stats_.expected; }

 protected:
  void after_logins() override {
    for (std::size_t r = 0; r < rooms_.size(); ++r) {
      enter(r, 0);  // the creator first; the others once the room is configured
    }
    if (rooms_.empty()) {
      set_up_done();
    }
  }

  void on_message(Session& session, const xmpp::Element& stanza) override {
    std::size_t r = session.index() / options_.occupants;
    if (stanza.name() == "presence") {
      return on_presence(session, r, stanza);
    }
    if (stanza.name() == "iq" && stanza.attr("id") == "config" &&
        session.index() % options_.occupants == 0) {
      return room_configured(r);  // a result, or an error from a server that did not lock it
    }
    std::uint64_t stamp = 0;
    if (stanza.name() != "message" || stanza.attr("type") != "groupchat" ||
        !read_stamp(stanza.attr("id"), kStampPrefix, stamp)) {
      return;
    }
    ++stats_.received;
    const std::uint64_t now = now_micros();
    stats_.latency.record(now > stamp ? now - stamp : 0);
    if (running_) {
      ++stats_.received_in_window;
      if (options_.rate <= 0 && session.index() % options_.occupants == 0) {
        send_one(r);  // the sender has its own back: the room may take the next one
      }
    }
  }

 private:
  struct Room {
    std::uint64_t entered = 0;
    bool configured = false;
  };

  std::string room_jid(std::size_t r) const {
    return "benchroom" + run_tag_ + "-" + std::to_string(first_room_ + r) + "@" + service_;
  }

  void enter(std::size_t r, std::uint64_t occupant) {
    Session& s = session(r * options_.occupants + occupant);
    if (s.ended() || !s.up) {
      return;
    }
    std::string xml = "<presence to='" + room_jid(r) + "/u" + std::to_string(s.index()) +
                      "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/>"
                      "</x></presence>";
    s.send_xml(xml);
  }

  void on_presence(Session& session, std::size_t r, const xmpp::Element& presence) {
    if (!has_status(presence, "110") || presence.attr("type") == "unavailable") {
      return;  // only a session's own entry counts
    }
    Room& room = rooms_[r];
    const std::uint64_t occupant = session.index() % options_.occupants;
    if (occupant == 0 && !room.configured) {
      if (has_status(presence, "201")) {
        // An instant room (§10.1.2): the default configuration, which unlocks it.
        session.send_xml("<iq type='set' id='config' to='" + room_jid(r) +
                         "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                         "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
        return;
      }
      return room_configured(r);  // it existed
    }
    if (++room.entered == options_.occupants && ++rooms_full_ == rooms_.size()) {
      set_up_done();
    }
  }

  void room_configured(std::size_t r) {
    Room& room = rooms_[r];
    if (room.configured) {
      return;
    }
    room.configured = true;
    if (++room.entered == options_.occupants && ++rooms_full_ == rooms_.size()) {
      return set_up_done();
    }
    for (std::uint64_t o = 1; o < options_.occupants; ++o) {
      enter(r, o);
    }
  }

  void send_one(std::size_t r) {
    Session& from = session(r * options_.occupants);
    if (from.ended()) {
      return;
    }
    xml_ = "<message type='groupchat' to='";
    xml_ += room_jid(r);
    xml_ += "' id='";
    xml_ += kStampPrefix;
    xml_ += std::to_string(now_micros());
    xml_ += "'><body>";
    xml_ += body_;
    xml_ += "</body></message>";
    from.send_xml(xml_);
    ++stats_.sent;
    stats_.expected += options_.occupants;
  }

  // The rate's next message, from the rooms in turn.
  void send_next() {
    if (rooms_.empty()) {
      return;
    }
    send_one(cursor_);
    cursor_ = (cursor_ + 1) % rooms_.size();
  }

  std::string body_;
  std::string service_;
  // Rooms of this run only: a server still clearing the last run's rooms (ejabberd takes its
  // time) must not hand this run a room whose nicknames are still taken (a process holds whole
  // rooms, so each process has its own tag).
  std::string run_tag_;
  std::uint64_t first_room_;
  std::string xml_;  // reused for every message
  std::vector<Room> rooms_;
  std::size_t rooms_full_ = 0;
  std::size_t cursor_ = 0;
  Pacer pacer_;
};

}  // namespace

std::unique_ptr<Scenario> make_muc_scenario(const Options& options, std::uint64_t first,
                                            std::uint64_t count, const tls::TlsContext* tls) {
  return std::make_unique<MucScenario>(options, first, count, tls);
}

}  // namespace tern::bench
