// SPDX-License-Identifier: MIT
#include "conformance/runner/player.h"

#include <deque>
#include <memory>
#include <optional>

#include "conformance/runner/fragment.h"
#include "conformance/runner/matcher.h"
#include "xmpp/escape.h"
#include "xmpp/serializer.h"

namespace tern::conformance {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kSmNs = "urn:xmpp:sm:3";

struct ActorState {
  const Actor* decl = nullptr;
  Account account;
  std::string resource;  // from the script's jid, if it has one
  std::unique_ptr<client::BlockingClient> client;
  // Received and not yet claimed by a step, oldest first: what a "receives:" step did not match
  // waits here for a later step (the specs rarely fix the order of stanzas), and synthesized
  // elements (features, SASL failures) are queued here too.
  std::deque<xmpp::StanzaPtr> pending;
  std::string full_jid;
  // "ignores:" patterns: stanzas a server may add that the scenario does not care about.
  std::vector<xmpp::StanzaPtr> ignored;
};

struct StepFailure {
  explicit StepFailure(std::string why, std::string want = {}, std::string got = {})
      : reason(std::move(why)), expected(std::move(want)), received(std::move(got)) {}
  std::string reason;
  std::string expected;
  std::string received;
};

class Play {
 public:
  Play(const Scenario& scenario, const Target& target, const std::vector<Account>& accounts)
      : scenario_(scenario), target_(target) {
    for (std::size_t i = 0; i < scenario.actors.size(); ++i) {
      ActorState a;
      a.decl = &scenario.actors[i];
      a.account = accounts[i];
      const auto slash = a.decl->jid.find('/');
      if (slash != std::string::npos) {
        a.resource = a.decl->jid.substr(slash + 1);
      }
      actors_.push_back(std::move(a));
    }
  }
  ~Play() {
    for (ActorState& a : actors_) {
      if (a.client) {
        a.client->close();
      }
    }
  }
  Play(const Play&) = delete;
  Play& operator=(const Play&) = delete;

  ScenarioResult run() {
    ScenarioResult result;
    for (const Step& step : scenario_.steps) {
      if (auto failure = run_step(step)) {
        result.outcome = Outcome::Failed;
        result.line = step.line;
        result.reason = step.actor + ": " + failure->reason;
        result.expected = std::move(failure->expected);
        result.received = std::move(failure->received);
        break;
      }
    }
    result.transcript = std::move(transcript_);
    return result;
  }

 private:
  ActorState& actor(const std::string& name) {
    for (ActorState& a : actors_) {
      if (a.decl->name == name) {
        return a;
      }
    }
    return actors_.front();  // the parser checked the names
  }

  std::optional<StepFailure> run_step(const Step& step) {
    ActorState& a = actor(step.actor);
    switch (step.kind) {
      case StepKind::Connect:
        return connect(a, client::StopAfter::Bind, Refusal::None, {});
      case StepKind::OpenStream:
        return connect(a, client::StopAfter::Features, Refusal::None, {});
      case StepKind::Authenticate:
        return connect(a, client::StopAfter::Sasl, Refusal::None, {});
      case StepKind::FailToAuthenticate:
        return connect(a, client::StopAfter::Bind, Refusal::WrongPassword, {});
      case StepKind::FailToLogIn:
        return connect(a, client::StopAfter::Bind, Refusal::RightPassword, {});
      case StepKind::FailToConnectTo:
        return connect(a, client::StopAfter::Bind, Refusal::RightPassword, step.text);
      case StepKind::Send:
      case StepKind::SendRaw:
        return send(a, step);
      case StepKind::Receive:
        return receive(a, step);
      case StepKind::ReceiveInOrder:
        return receive_in_order(a, step);
      case StepKind::ReceiveNothing:
        return receive_nothing(a);
      case StepKind::Disconnect:
        if (a.client) {
          a.client->close();
          a.client.reset();
        }
        a.pending.clear();
        return std::nullopt;
      case StepKind::LoseConnection:
        if (a.client) {
          a.client->disconnect();
          a.client.reset();
        }
        a.pending.clear();
        return std::nullopt;
      case StepKind::Ignore: {
        auto text = substitute(step.text);
        if (!text) {
          return StepFailure{text.error()};
        }
        auto patterns = parse_fragment(text.value());
        if (!patterns) {
          return StepFailure{"the XML to ignore is " + patterns.error()};
        }
        for (auto& p : patterns.value()) {
          a.ignored.push_back(std::move(p));
        }
        return std::nullopt;
      }
      case StepKind::IsDisconnected:
        if (a.client && !a.client->wait_closed(target_.timeout)) {
          return StepFailure{"the server did not end the stream within " +
                             std::to_string(target_.timeout.count()) + " ms"};
        }
        if (a.client) {
          // What came before the end stays expected-able; the actor may connect again.
          while (xmpp::StanzaPtr s = a.client->next(std::chrono::milliseconds(0))) {
            log(a, "<-", xmpp::to_xml(s->root()));
            a.pending.push_back(std::move(s));
          }
          a.client.reset();
        }
        return std::nullopt;
    }
    return std::nullopt;
  }

  // Whether a connection must be refused, and with which password it tries.
  enum class Refusal : std::uint8_t {
    None,           // it must succeed
    WrongPassword,  // the account's password with a suffix
    RightPassword,  // the account's own password (a deleted account, a domain not served)
  };

  // Connects `a` as far as `stop`; with a refusal, expects the negotiation to fail and queues
  // what the server said as an element.
  std::optional<StepFailure> connect(ActorState& a, client::StopAfter stop, Refusal refusal,
                                     const std::string& domain) {
    const bool must_fail = refusal != Refusal::None;
    if (a.client) {
      return StepFailure{"connects while still connected (disconnect first)"};
    }
    client::ClientOptions options;
    options.domain = domain.empty() ? target_.domain : domain;
    options.username = a.account.localpart;
    options.password =
        refusal == Refusal::WrongPassword ? a.account.password + "-wrong" : a.account.password;
    options.resource = a.resource;
    options.tls = target_.tls;
    options.mechanism = target_.mechanism;
    options.stop_after = stop;
    // A stream that resumes by hand takes over the actor's previous session (binary §8.3).
    options.resume_jid = a.full_jid;
    a.client = std::make_unique<client::BlockingClient>(options, target_.tls_context);
    a.pending.clear();
    const bool ready = a.client->connect(target_.endpoint, target_.timeout);
    log(a, "connect", ready ? "ready" : a.client->failure());
    if (must_fail) {
      if (ready) {
        return StepFailure{"the connection was accepted, expected a refusal"};
      }
      queue_failure(a);
      a.client.reset();
      return std::nullopt;
    }
    if (!ready) {
      return StepFailure{"could not connect: " + a.client->failure()};
    }
    if (stop == client::StopAfter::Bind) {
      a.full_jid = a.client->stream().jid().full();
    }
    if (stop != client::StopAfter::Bind && a.client->stream().features() != nullptr) {
      a.pending.push_back(a.client->stream().features()->clone());
    }
    return std::nullopt;
  }

  // What the server said when it refused, as the element it sent (the client library keeps the
  // condition, not the element).
  void queue_failure(ActorState& a) {
    std::string xml;
    const std::string& failure = a.client->failure();
    if (const auto& error = a.client->stream().stream_error()) {
      xml = "<stream:error><" + std::string(xmpp::condition_name(error->condition)) +
            " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>";
    } else if (failure.starts_with("SASL failure: ")) {
      xml = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><" + failure.substr(14) +
            "/></failure>";
    }
    if (!xml.empty()) {
      if (auto parsed = parse_fragment(xml); parsed) {
        for (auto& s : parsed.value()) {
          a.pending.push_back(std::move(s));
        }
      }
    }
  }

  std::optional<StepFailure> send(ActorState& a, const Step& step) {
    if (!a.client) {
      return StepFailure{"sends while not connected"};
    }
    auto text = substitute(step.text);
    if (!text) {
      return StepFailure{text.error()};
    }
    if (step.kind == StepKind::Send) {
      if (auto parsed = parse_fragment(text.value()); !parsed) {
        return StepFailure{"the XML to send is " + parsed.error()};
      }
    }
    log(a, "->", text.value());
    if (!a.client->send_xml(text.value())) {
      return StepFailure{"sending failed: " + a.client->failure()};
    }
    return std::nullopt;
  }

  // Reads the next element from `a`'s stream into `a.pending`; false when nothing came within
  // `timeout` (or the stream has ended).
  bool read_more(ActorState& a, std::chrono::milliseconds timeout) {
    if (!a.client) {
      return false;
    }
    xmpp::StanzaPtr stanza = a.client->next(std::max(timeout, std::chrono::milliseconds(0)));
    if (!stanza) {
      return false;
    }
    log(a, "<-", xmpp::to_xml(stanza->root()));
    a.pending.push_back(std::move(stanza));
    return true;
  }

  static std::chrono::milliseconds left_until(Clock::time_point deadline) {
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                    std::chrono::milliseconds(0));
  }

  // A server may ask for an ack at any moment (XEP-0198 §4), and may send what an "ignores:"
  // pattern names: such elements are noise unless a step expects them (`expected`).
  bool noise(const ActorState& a, const xmpp::Stanza& stanza,
             const std::vector<xmpp::StanzaPtr>& expected) {
    Captures scratch;
    for (const auto& e : expected) {
      scratch = captures_;
      if (!match(e->root(), stanza.root(), scratch)) {
        return false;
      }
    }
    if (stanza.root().is("r", kSmNs)) {
      return true;
    }
    for (const auto& pattern : a.ignored) {
      scratch = captures_;
      if (!match(pattern->root(), stanza.root(), scratch)) {
        return true;
      }
    }
    return false;
  }

  struct Expected {
    std::vector<xmpp::StanzaPtr> elements;
    std::string pretty;
  };
  Result<Expected, StepFailure> expected_of(const Step& step) {
    auto text = substitute(step.text);
    if (!text) {
      return Err(StepFailure{text.error()});
    }
    auto parsed = parse_fragment(text.value());
    if (!parsed) {
      return Err(StepFailure{"the expected XML is " + parsed.error()});
    }
    Expected e{std::move(parsed).value(), {}};
    for (const auto& element : e.elements) {
      e.pretty += pretty(element->root());
    }
    return e;
  }

  std::string pretty_all(const std::vector<const xmpp::Stanza*>& stanzas) {
    std::string out;
    for (const xmpp::Stanza* s : stanzas) {
      out += pretty(s->root());
    }
    return out.empty() ? "(nothing)" : out;
  }

  // "receives:": every expected element matches a distinct element received since the last
  // claim, in any order, however many unrelated ones came before, between or after (they stay
  // pending for later steps). The specs seldom fix the order of stanzas or forbid extra ones;
  // where one does, the scenario says "receives in order:" or "receives nothing".
  std::optional<StepFailure> receive(ActorState& a, const Step& step) {
    auto expected = expected_of(step);
    if (!expected) {
      return expected.error();
    }
    const std::vector<xmpp::StanzaPtr>& want = expected.value().elements;
    const auto deadline = Clock::now() + target_.timeout;
    for (;;) {
      std::vector<const xmpp::Stanza*> candidates;
      for (const auto& p : a.pending) {
        candidates.push_back(p.get());
      }
      std::vector<int> assigned(want.size(), -1);
      std::vector<bool> used(candidates.size(), false);
      std::string why;
      if (assign(want, 0, candidates, used, assigned, why)) {
        std::vector<bool> claimed(a.pending.size(), false);
        for (int index : assigned) {
          claimed[static_cast<std::size_t>(index)] = true;
        }
        std::deque<xmpp::StanzaPtr> rest;
        for (std::size_t i = 0; i < a.pending.size(); ++i) {
          if (!claimed[i]) {
            rest.push_back(std::move(a.pending[i]));
          }
        }
        a.pending = std::move(rest);
        return std::nullopt;
      }
      if (!read_more(a, left_until(deadline))) {
        std::vector<const xmpp::Stanza*> shown;
        for (const xmpp::Stanza* c : candidates) {
          if (!noise(a, *c, {})) {
            shown.push_back(c);
          }
        }
        std::string reason =
            a.client && a.client->closed()
                ? "the stream ended (" + a.client->failure() + ")"
                : "nothing matching came within " + std::to_string(target_.timeout.count()) + " ms";
        if (!why.empty() && !shown.empty()) {
          reason += "; closest mismatch: " + why;
        }
        return StepFailure{reason, expected.value().pretty, pretty_all(shown)};
      }
    }
  }

  // "receives in order:": the next elements (noise aside), exactly these, in this order; for the
  // few places where a specification fixes the order.
  std::optional<StepFailure> receive_in_order(ActorState& a, const Step& step) {
    auto expected = expected_of(step);
    if (!expected) {
      return expected.error();
    }
    const std::vector<xmpp::StanzaPtr>& want = expected.value().elements;
    const auto deadline = Clock::now() + target_.timeout;
    std::vector<const xmpp::Stanza*> got;
    std::vector<xmpp::StanzaPtr> taken;
    std::size_t next_pending = 0;
    while (got.size() < want.size()) {
      if (next_pending == a.pending.size() && !read_more(a, left_until(deadline))) {
        return StepFailure{
            a.client && a.client->closed()
                ? "the stream ended (" + a.client->failure() + ")"
                : "nothing came within " + std::to_string(target_.timeout.count()) + " ms",
            expected.value().pretty, pretty_all(got)};
      }
      const xmpp::Stanza& s = *a.pending[next_pending++];
      if (noise(a, s, want)) {
        continue;
      }
      got.push_back(&s);
      const std::size_t i = got.size() - 1;
      if (auto mismatch = match(want[i]->root(), s.root(), captures_)) {
        return StepFailure{"mismatch (in order): " + *mismatch, expected.value().pretty,
                           pretty_all(got)};
      }
    }
    a.pending.erase(a.pending.begin(),
                    a.pending.begin() + static_cast<std::ptrdiff_t>(next_pending));
    return std::nullopt;
  }

  // Assigns each expected element (from `i` on) a distinct candidate, oldest first; a handful of
  // elements at most, so a backtracking search is fine.
  bool assign(const std::vector<xmpp::StanzaPtr>& expected, std::size_t i,
              const std::vector<const xmpp::Stanza*>& got, std::vector<bool>& used,
              std::vector<int>& assigned, std::string& why) {
    if (i == expected.size()) {
      return true;
    }
    for (std::size_t j = 0; j < got.size(); ++j) {
      if (used[j]) {
        continue;
      }
      Captures saved = captures_;
      auto mismatch = match(expected[i]->root(), got[j]->root(), captures_);
      if (!mismatch) {
        used[j] = true;
        assigned[i] = static_cast<int>(j);
        if (assign(expected, i + 1, got, used, assigned, why)) {
          return true;
        }
        used[j] = false;
        captures_ = std::move(saved);
      } else if (why.empty() && got[j]->root().name() == expected[i]->root().name()) {
        why = *mismatch;  // against an element of the same name: the likeliest intended one
      }
    }
    return false;
  }

  // "receives nothing": nothing that is not noise came within the quiet window, nor is any left
  // unclaimed from before (so "receives: …" then "receives nothing" means "that and nothing
  // else").
  std::optional<StepFailure> receive_nothing(ActorState& a) {
    const auto deadline = Clock::now() + target_.quiet;
    std::size_t checked = 0;
    for (;;) {
      for (; checked < a.pending.size(); ++checked) {
        if (!noise(a, *a.pending[checked], {})) {
          return StepFailure{"received a stanza no step claimed, expected none (within " +
                                 std::to_string(target_.quiet.count()) + " ms)",
                             "(nothing)", pretty(a.pending[checked]->root())};
        }
      }
      if (!read_more(a, left_until(deadline))) {
        return std::nullopt;
      }
    }
  }

  // ${Romeo's full JID}, ${Romeo's JID}, ${Romeo's resource}, ${Romeo's username},
  // ${Romeo's password}, ${domain}
  // and ${NAME} of a capture, XML-escaped.
  Result<std::string, std::string> substitute(std::string_view text) {
    std::string out;
    while (!text.empty()) {
      const auto open = text.find("${");
      if (open == std::string_view::npos) {
        out += text;
        break;
      }
      const auto close = text.find('}', open);
      if (close == std::string_view::npos) {
        return Err(std::string("'${' without '}'"));
      }
      out += text.substr(0, open);
      const std::string_view name = text.substr(open + 2, close - open - 2);
      auto value = variable(name);
      if (!value) {
        return Err("unknown variable ${" + std::string(name) + "}");
      }
      xmpp::append_escaped_attr(out, *value);
      text.remove_prefix(close + 1);
    }
    return out;
  }

  std::optional<std::string> variable(std::string_view name) {
    if (name == "domain") {
      return target_.domain;
    }
    if (auto v = target_.variables.find(name); v != target_.variables.end()) {
      return v->second;
    }
    if (auto c = captures_.find(name); c != captures_.end()) {
      return c->second;
    }
    for (const ActorState& a : actors_) {
      const std::string prefix = a.decl->name + "'s ";
      if (!name.starts_with(prefix)) {
        continue;
      }
      const std::string_view what = name.substr(prefix.size());
      if (what == "JID") {
        return a.account.bare();
      }
      if (what == "full JID") {
        return a.full_jid;
      }
      if (what == "resource") {
        const auto slash = a.full_jid.find('/');
        return slash == std::string::npos ? std::string() : a.full_jid.substr(slash + 1);
      }
      if (what == "username") {
        return a.account.localpart;
      }
      if (what == "password") {
        return a.account.password;
      }
    }
    return std::nullopt;
  }

  void log(const ActorState& a, std::string_view direction, std::string_view what) {
    transcript_ += a.decl->name;
    transcript_ += ' ';
    transcript_ += direction;
    transcript_ += ' ';
    transcript_ += what;
    transcript_ += '\n';
  }

  const Scenario& scenario_;
  const Target& target_;
  std::vector<ActorState> actors_;
  Captures captures_;
  std::string transcript_;
};

}  // namespace

ScenarioResult play(const Scenario& scenario, const Target& target,
                    const std::vector<Account>& accounts) {
  const auto start = Clock::now();
  ScenarioResult result;
  {
    Play play(scenario, target, accounts);
    result = play.run();
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return result;
}

}  // namespace tern::conformance
