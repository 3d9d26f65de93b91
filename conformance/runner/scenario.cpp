// SPDX-License-Identifier: MIT
#include "conformance/runner/scenario.h"

#include <array>
#include <utility>

namespace tern::conformance {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool indented(std::string_view line) {
  return !line.empty() && (line.front() == ' ' || line.front() == '\t');
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) {
      break;
    }
    text.remove_prefix(end + 1);
  }
  return lines;
}

// The verbs after an actor's name. Those ending in ':' take an indented block.
struct Verb {
  std::string_view words;
  StepKind kind;
};
constexpr std::array kVerbs = {
    Verb{"connects", StepKind::Connect},
    Verb{"opens a stream", StepKind::OpenStream},
    Verb{"authenticates", StepKind::Authenticate},
    Verb{"fails to authenticate", StepKind::FailToAuthenticate},
    Verb{"fails to log in", StepKind::FailToLogIn},
    Verb{"sends:", StepKind::Send},
    Verb{"sends raw:", StepKind::SendRaw},
    Verb{"receives:", StepKind::Receive},
    Verb{"receives in order:", StepKind::ReceiveInOrder},
    Verb{"receives nothing", StepKind::ReceiveNothing},
    Verb{"receives nothing else", StepKind::ReceiveNothing},
    Verb{"disconnects", StepKind::Disconnect},
    Verb{"loses connection", StepKind::LoseConnection},
    Verb{"is disconnected", StepKind::IsDisconnected},
    Verb{"ignores:", StepKind::Ignore},
};

constexpr std::string_view kConnectTo = "fails to connect to ";
constexpr Verb kConnectToVerb{"fails to connect to", StepKind::FailToConnectTo};

std::string at(int line, std::string_view what) {
  return std::to_string(line) + ": " + std::string(what);
}

// "# key: value" metadata in a comment.
void read_metadata(std::string_view comment, Scenario& s) {
  const auto colon = comment.find(':');
  if (colon == std::string_view::npos) {
    return;
  }
  const std::string_view key = trim(comment.substr(0, colon));
  const std::string_view value = trim(comment.substr(colon + 1));
  if (key == "spec") {
    s.specs.emplace_back(value);
  } else if (key == "must") {
    s.musts.emplace_back(value);
  } else if (key == "should") {
    s.shoulds.emplace_back(value);
  } else if (key == "requires") {
    s.required_features.emplace_back(value);
  } else if (key == "known-gap") {
    const auto sep = value.find(':');
    if (sep != std::string_view::npos) {
      s.known_gaps.emplace_back(std::string(trim(value.substr(0, sep))),
                                std::string(trim(value.substr(sep + 1))));
    }
  }
}

}  // namespace

std::string Scenario::spec_family() const {
  if (specs.empty()) {
    return "(none)";
  }
  std::string_view spec = specs.front();
  // "RFC 6121 §2.1.3" -> "RFC 6121"; "XEP-0198 §5" -> "XEP-0198"
  std::size_t end = spec.find(' ');
  if (spec.starts_with("RFC ")) {
    end = spec.find(' ', 4);
  }
  return std::string(trim(spec.substr(0, end)));
}

const Actor* Scenario::actor(std::string_view name) const {
  for (const Actor& a : actors) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

Result<Scenario, std::string> parse_scenario(std::string_view text, std::string path) {
  Scenario s;
  s.path = std::move(path);
  const std::vector<std::string_view> lines = split_lines(text);
  bool in_steps = false;
  Actor* actor = nullptr;  // the actor whose "key: value" lines are being read
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int number = static_cast<int>(i) + 1;
    const std::string_view raw = lines[i];
    const std::string_view line = trim(raw);
    if (line.empty()) {
      continue;
    }
    if (line.front() == '#') {
      const std::string_view comment = trim(line.substr(1));
      if (s.title.empty() && s.actors.empty() && !in_steps) {
        s.title = comment;
      }
      read_metadata(comment, s);
      continue;
    }
    if (!in_steps) {
      if (line.find_first_not_of('-') == std::string_view::npos && line.size() >= 3) {
        in_steps = true;
        actor = nullptr;
        continue;
      }
      if (line.starts_with("[Client]")) {
        s.actors.push_back({std::string(trim(line.substr(8))), {}, {}, number});
        actor = &s.actors.back();
        continue;
      }
      const auto colon = line.find(':');
      if (actor == nullptr || !indented(raw) || colon == std::string_view::npos) {
        return Err(at(number, "expected '[Client] Name', an indented 'key: value' or '-----'"));
      }
      const std::string_view key = trim(line.substr(0, colon));
      const std::string_view value = trim(line.substr(colon + 1));
      if (key == "jid") {
        actor->jid = value;
      } else if (key == "password") {
        actor->password = value;
      } else {
        return Err(at(number, "unknown actor key '" + std::string(key) + "'"));
      }
      continue;
    }
    if (indented(raw)) {
      return Err(at(number, "an indented line that belongs to no 'sends:' or 'receives:'"));
    }
    Step step;
    step.line = number;
    const Verb* verb = nullptr;
    for (const Actor& a : s.actors) {
      if (line.starts_with(a.name) && line.size() > a.name.size() && line[a.name.size()] == ' ') {
        const std::string_view rest = trim(line.substr(a.name.size()));
        for (const Verb& v : kVerbs) {
          if (rest == v.words) {
            verb = &v;
            step.actor = a.name;
          }
        }
        if (rest.starts_with(kConnectTo) && rest.size() > kConnectTo.size()) {
          verb = &kConnectToVerb;
          step.actor = a.name;
          step.text = rest.substr(kConnectTo.size());
        }
      }
    }
    if (verb == nullptr) {
      return Err(at(number, "not a step: '" + std::string(line) + "'"));
    }
    step.kind = verb->kind;
    if (verb->words.ends_with(':')) {
      // The block: the indented lines that follow (blank lines inside are allowed).
      while (i + 1 < lines.size() && (indented(lines[i + 1]) || trim(lines[i + 1]).empty())) {
        ++i;
        step.text += trim(lines[i]);
      }
      if (step.text.empty()) {
        return Err(at(number, "'" + std::string(verb->words) + "' needs an indented block"));
      }
    }
    s.steps.push_back(std::move(step));
  }
  if (s.actors.empty()) {
    return Err(std::string("no [Client] declared"));
  }
  if (!in_steps) {
    return Err(std::string("no '-----' line before the steps"));
  }
  for (const Actor& a : s.actors) {
    if (a.jid.empty() || a.jid.find('@') == std::string::npos) {
      return Err(at(a.line, "actor " + a.name + " needs 'jid: name@domain'"));
    }
  }
  return s;
}

}  // namespace tern::conformance
