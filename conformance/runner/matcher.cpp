// SPDX-License-Identifier: MIT
#include "conformance/runner/matcher.h"

#include <vector>

#include "conformance/runner/fragment.h"
#include "xmpp/escape.h"

namespace tern::conformance {

namespace {

constexpr std::string_view kCapture = "{capture:";
constexpr std::string_view kBareOrFull = "{bare-or-full:";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

// The concatenated text children (Element::text() gives one run only when there are several).
std::string all_text(const xmpp::Element& e) {
  std::string text;
  for (const xmpp::Node* n = e.first_node(); n != nullptr; n = n->next()) {
    text += n->text_value();
  }
  return std::string(trim(text));
}

std::string describe(const xmpp::Element& e) {
  return std::string(e.name());
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// A value from the script against one received: equal, any, a bare or full JID, or a capture.
bool value_matches(std::string_view expected, std::string_view actual, Captures& captures) {
  if (expected == kAny) {
    return true;
  }
  if (expected.starts_with(kBareOrFull) && expected.ends_with('}')) {
    // A bare JID, or a full JID of it: for where a spec lets a server address either. (Not for
    // stanzas sent to a bare JID: RFC 6121 §8.5.2.1 says the server MUST NOT rewrite their 'to'.)
    const std::string_view bare =
        expected.substr(kBareOrFull.size(), expected.size() - kBareOrFull.size() - 1);
    return actual == bare || (actual.size() > bare.size() + 1 && actual.starts_with(bare) &&
                              actual[bare.size()] == '/');
  }
  if (expected.starts_with(kCapture) && expected.ends_with('}')) {
    const std::string_view name =
        expected.substr(kCapture.size(), expected.size() - kCapture.size() - 1);
    captures.insert_or_assign(std::string(name), std::string(actual));
    return true;
  }
  return expected == actual;
}

class Matcher {
 public:
  explicit Matcher(Captures& captures) : captures_(captures) {}

  std::optional<std::string> run(const xmpp::Element& expected, const xmpp::Element& actual,
                                 bool strict, const std::string& path) {
    const std::string here = path + "/" + describe(expected);
    if (expected.name() != actual.name() || expected.ns() != actual.ns()) {
      return here + ": received <" + std::string(actual.name()) + " xmlns='" +
             std::string(actual.ns()) + "'>, expected <" + std::string(expected.name()) +
             " xmlns='" + std::string(expected.ns()) + "'>";
    }
    if (const xmpp::Attribute* s = expected.find_attr("strict", kScansionNs)) {
      strict = s->value == "true";
    }
    std::size_t expected_attrs = 0;
    for (const xmpp::Attribute& a : expected.attrs()) {
      if (a.ns == kScansionNs) {
        continue;
      }
      ++expected_attrs;
      const xmpp::Attribute* got = actual.find_attr(a.name, a.ns);
      if (got == nullptr) {
        return here + ": attribute " + std::string(a.name) + " missing, expected " +
               quoted(a.value);
      }
      if (!value_matches(a.value, got->value, captures_)) {
        return here + ": attribute " + std::string(a.name) + " is " + quoted(got->value) +
               ", expected " + quoted(a.value);
      }
    }
    if (strict && actual.attrs().size() != expected_attrs) {
      return here + ": unexpected attributes (strict)";
    }
    const std::string want_text = all_text(expected);
    if (!want_text.empty() || strict) {
      const std::string got_text = all_text(actual);
      if (!value_matches(want_text, got_text, captures_)) {
        return here + ": text is " + quoted(got_text) + ", expected " + quoted(want_text);
      }
    }
    return strict ? children_strict(expected, actual, here) : children_any(expected, actual, here);
  }

 private:
  std::optional<std::string> children_strict(const xmpp::Element& expected,
                                             const xmpp::Element& actual, const std::string& here) {
    auto want = expected.children().begin();
    auto got = actual.children().begin();
    for (; want != expected.children().end(); ++want, ++got) {
      if (got == actual.children().end()) {
        return here + ": child <" + std::string(want->name()) + "/> missing (strict)";
      }
      if (auto why = run(*want, *got, true, here)) {
        return why;
      }
    }
    if (got != actual.children().end()) {
      return here + ": unexpected child <" + std::string(got->name()) + "/> (strict)";
    }
    return std::nullopt;
  }

  // Each expected child against the first unused received child that matches it.
  std::optional<std::string> children_any(const xmpp::Element& expected,
                                          const xmpp::Element& actual, const std::string& here) {
    std::vector<const xmpp::Element*> unused;
    for (const xmpp::Element& c : actual.children()) {
      unused.push_back(&c);
    }
    for (const xmpp::Element& want : expected.children()) {
      std::optional<std::string> closest;
      bool found = false;
      for (auto it = unused.begin(); it != unused.end(); ++it) {
        Captures trial = captures_;
        Matcher inner(trial);
        auto why = inner.run(want, **it, false, here);
        if (!why) {
          captures_ = std::move(trial);
          unused.erase(it);
          found = true;
          break;
        }
        // Report the difference with a child of the same name, the likely intended one.
        if (!closest && (*it)->name() == want.name()) {
          closest = why;
        }
      }
      if (!found) {
        return closest ? *closest
                       : here + ": no child <" + std::string(want.name()) + " xmlns='" +
                             std::string(want.ns()) + "'>";
      }
    }
    return std::nullopt;
  }

  Captures& captures_;
};

void print(std::string& out, const xmpp::Element& e, std::string_view parent_ns, int depth) {
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
  out += '<';
  out += e.name();
  if (e.ns() != parent_ns) {
    out += " xmlns='";
    xmpp::append_escaped_attr(out, e.ns());
    out += '\'';
  }
  for (const xmpp::Attribute& a : e.attrs()) {
    if (a.ns == kScansionNs) {
      continue;
    }
    out += ' ';
    if (!a.ns.empty()) {
      out += "xml:";
    }
    out += a.name;
    out += "='";
    xmpp::append_escaped_attr(out, a.value);
    out += '\'';
  }
  const std::string text = all_text(e);
  if (e.child_element_count() == 0 && text.empty()) {
    out += "/>\n";
    return;
  }
  out += '>';
  if (e.child_element_count() == 0) {
    xmpp::append_escaped_text(out, text);
  } else {
    out += '\n';
    if (!text.empty()) {
      out.append(static_cast<std::size_t>(depth + 1) * 2, ' ');
      xmpp::append_escaped_text(out, text);
      out += '\n';
    }
    for (const xmpp::Element& c : e.children()) {
      print(out, c, e.ns(), depth + 1);
    }
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
  }
  out += "</";
  out += e.name();
  out += ">\n";
}

}  // namespace

std::optional<std::string> match(const xmpp::Element& expected, const xmpp::Element& actual,
                                 Captures& captures) {
  Captures trial = captures;
  Matcher matcher(trial);
  auto why = matcher.run(expected, actual, false, "");
  if (!why) {
    captures = std::move(trial);
  }
  return why;
}

std::string pretty(const xmpp::Element& element) {
  std::string out;
  print(out, element, "jabber:client", 0);
  return out;
}

}  // namespace tern::conformance
