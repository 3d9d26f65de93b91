// SPDX-License-Identifier: MIT
#include "conformance/runner/report.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>

#include "xmpp/escape.h"

namespace tern::conformance {

namespace {

void indented(std::ostream& out, std::string_view text, std::string_view prefix) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    out << prefix << text.substr(0, end) << '\n';
    if (end == std::string_view::npos) {
      break;
    }
    text.remove_prefix(end + 1);
  }
}

std::string attr(std::string_view value) {
  std::string out;
  xmpp::append_escaped_attr(out, value);
  return out;
}

std::string text(std::string_view value) {
  std::string out;
  xmpp::append_escaped_text(out, value);
  return out;
}

std::string failure_details(const Entry& e) {
  std::ostringstream out;
  out << e.scenario->path << ":" << e.result.line << ": " << e.result.reason << '\n';
  if (!e.result.expected.empty()) {
    out << "expected:\n";
    indented(out, e.result.expected, "  ");
    out << "received:\n";
    indented(out, e.result.received, "  ");
  }
  return out.str();
}

}  // namespace

void print_result(std::ostream& out, const Entry& e, bool verbose) {
  const Scenario& s = *e.scenario;
  const ScenarioResult& r = e.result;
  switch (r.outcome) {
    case Outcome::Passed:
      out << fmt::format("PASS {} ({} ms)\n", s.name, r.duration.count());
      return;
    case Outcome::Skipped:
      out << fmt::format("SKIP {}: {}\n", s.name, r.reason);
      return;
    case Outcome::Warned:
    case Outcome::Failed:
      out << fmt::format("{} {} ({} ms){}\n", r.outcome == Outcome::Warned ? "WARN" : "FAIL",
                         s.name, r.duration.count(),
                         r.outcome == Outcome::Warned
                             ? " [a SHOULD not followed: " + s.shoulds.front() + "]"
                         : e.known_gap.empty() ? ""
                                               : " [known gap: " + e.known_gap + "]");
      indented(out, failure_details(e), "    ");
      if (verbose) {
        out << "    transcript:\n";
        indented(out, r.transcript, "      ");
      }
      return;
  }
}

void print_summary(std::ostream& out, const std::vector<Entry>& entries) {
  struct Counts {
    int passed = 0, failed = 0, should = 0, skipped = 0;
  };
  std::map<std::string, Counts> by_spec;
  Counts total;
  for (const Entry& e : entries) {
    Counts& c = by_spec[e.scenario->spec_family()];
    for (Counts* counts : {&c, &total}) {
      switch (e.result.outcome) {
        case Outcome::Passed:
          ++counts->passed;
          break;
        case Outcome::Failed:
          ++counts->failed;
          break;
        case Outcome::Warned:
          ++counts->should;
          break;
        case Outcome::Skipped:
          ++counts->skipped;
          break;
      }
    }
  }
  out << fmt::format("\n{:<14} {:>6} {:>6} {:>6} {:>7}\n", "specification", "passed", "failed",
                     "should", "skipped");
  for (const auto& [spec, c] : by_spec) {
    out << fmt::format("{:<14} {:>6} {:>6} {:>6} {:>7}\n", spec, c.passed, c.failed, c.should,
                       c.skipped);
  }
  out << '\n';
  if (total.skipped > 0) {
    out << total.skipped << " skipped (each with its reason above)\n";
  }
  if (total.should > 0) {
    out << total.should << " SHOULD not followed (warnings, not failures)\n";
  }
  out << total.passed << " passed, " << total.failed << " failed\n";
}

bool write_junit(const std::string& path, const std::vector<Entry>& entries) {
  std::ofstream out(path);
  int failures = 0;
  int skipped = 0;
  double seconds = 0;
  for (const Entry& e : entries) {
    failures += e.result.outcome == Outcome::Failed ? 1 : 0;
    skipped += e.result.outcome == Outcome::Skipped ? 1 : 0;
    seconds += static_cast<double>(e.result.duration.count()) / 1000.0;
  }
  out << "<?xml version='1.0' encoding='UTF-8'?>\n";
  out << fmt::format(
      "<testsuites><testsuite name='tern-conformance' tests='{}' failures='{}' skipped='{}' "
      "time='{:.3f}'>\n",
      entries.size(), failures, skipped, seconds);
  for (const Entry& e : entries) {
    out << fmt::format("<testcase classname='{}' name='{}' time='{:.3f}'>",
                       attr(e.scenario->spec_family()), attr(e.scenario->name),
                       static_cast<double>(e.result.duration.count()) / 1000.0);
    if (e.result.outcome == Outcome::Failed) {
      out << fmt::format("<failure message='{}'>{}</failure>", attr(e.result.reason),
                         text(failure_details(e)));
      out << "<system-out>" << text(e.result.transcript) << "</system-out>";
    } else if (e.result.outcome == Outcome::Skipped) {
      out << fmt::format("<skipped message='{}'/>", attr(e.result.reason));
    } else if (e.result.outcome == Outcome::Warned) {  // JUnit has no warnings: passed, noted
      out << "<system-out>" << text("a SHOULD not followed: " + failure_details(e))
          << "</system-out>";
    }
    out << "</testcase>\n";
  }
  out << "</testsuite></testsuites>\n";
  return static_cast<bool>(out);
}

}  // namespace tern::conformance
