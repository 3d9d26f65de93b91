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
  std::deque<xmpp::StanzaPtr> pending;  // synthesized elements (features, failures) read first
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

  // The next element for `a`. A server may ask for an ack at any moment (XEP-0198 §4), so
  // an <r/> is skipped unless the step expects one (`keep_ack_requests`).
  // Stanzas matching an "ignores:" pattern are skipped too, unless they match an `expected`
  // element.
  xmpp::StanzaPtr next(ActorState& a, std::chrono::milliseconds timeout,
                       bool keep_ack_requests = false,
                       const std::vector<xmpp::StanzaPtr>* expected = nullptr) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      xmpp::StanzaPtr stanza = next_element(a, std::max(left, std::chrono::milliseconds(0)));
      if (!stanza) {
        return stanza;
      }
      const bool ack_request = stanza->root().is("r", kSmNs);
      if ((ack_request && !keep_ack_requests) ||
          (!ack_request && skippable(a, *stanza, expected))) {
        continue;
      }
      return stanza;
    }
  }

  bool skippable(const ActorState& a, const xmpp::Stanza& stanza,
                 const std::vector<xmpp::StanzaPtr>* expected) {
    Captures scratch;
    if (expected != nullptr) {
      for (const auto& e : *expected) {
        scratch = captures_;
        if (!match(e->root(), stanza.root(), scratch)) {
          return false;
        }
      }
    }
    for (const auto& pattern : a.ignored) {
      scratch = captures_;
      if (!match(pattern->root(), stanza.root(), scratch)) {
        return true;
      }
    }
    return false;
  }

  xmpp::StanzaPtr next_element(ActorState& a, std::chrono::milliseconds timeout) {
    if (!a.pending.empty()) {
      xmpp::StanzaPtr first = std::move(a.pending.front());
      a.pending.pop_front();
      return first;
    }
    if (!a.client) {
      return nullptr;
    }
    xmpp::StanzaPtr stanza = a.client->next(timeout);
    if (stanza) {
      log(a, "<-", xmpp::to_xml(stanza->root()));
    }
    return stanza;
  }

  std::optional<StepFailure> receive(ActorState& a, const Step& step) {
    auto text = substitute(step.text);
    if (!text) {
      return StepFailure{text.error()};
    }
    auto expected = parse_fragment(text.value());
    if (!expected) {
      return StepFailure{"the expected XML is " + expected.error()};
    }
    std::vector<xmpp::StanzaPtr> got;
    std::string expected_pretty;
    for (const auto& e : expected.value()) {
      expected_pretty += pretty(e->root());
    }
    bool wants_ack_request = false;
    for (const auto& e : expected.value()) {
      wants_ack_request = wants_ack_request || e->root().is("r", kSmNs);
    }
    const auto deadline = Clock::now() + target_.timeout;
    while (got.size() < expected.value().size()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      xmpp::StanzaPtr stanza = next(a, std::max(left, std::chrono::milliseconds(0)),
                                    wants_ack_request, &expected.value());
      if (!stanza) {
        std::string received;
        for (const auto& g : got) {
          received += pretty(g->root());
        }
        const std::string why =
            a.client && a.client->closed()
                ? "the stream ended (" + a.client->failure() + ")"
                : "nothing came within " + std::to_string(target_.timeout.count()) + " ms";
        return StepFailure{why, expected_pretty, received.empty() ? "(nothing)" : received};
      }
      got.push_back(std::move(stanza));
    }
    // Any order: each received element is assigned to one expected element (a handful at most,
    // so a backtracking search is fine).
    std::vector<bool> used(got.size(), false);
    std::string why;
    if (!assign(expected.value(), 0, got, used, why)) {
      std::string received;
      for (const auto& g : got) {
        received += pretty(g->root());
      }
      return StepFailure{"mismatch: " + why, expected_pretty, received};
    }
    return std::nullopt;
  }

  bool assign(const std::vector<xmpp::StanzaPtr>& expected, std::size_t i,
              const std::vector<xmpp::StanzaPtr>& got, std::vector<bool>& used, std::string& why) {
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
        if (assign(expected, i + 1, got, used, why)) {
          return true;
        }
        used[j] = false;
        captures_ = std::move(saved);
      } else if (why.empty()) {
        why = *mismatch;
      }
    }
    return false;
  }

  std::optional<StepFailure> receive_nothing(ActorState& a) {
    if (xmpp::StanzaPtr stanza = next(a, target_.quiet)) {
      return StepFailure{"received a stanza, expected none within " +
                             std::to_string(target_.quiet.count()) + " ms",
                         "(nothing)", pretty(stanza->root())};
    }
    return std::nullopt;
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
