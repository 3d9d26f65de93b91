// SPDX-License-Identifier: MIT
// tern-conformance: plays scenario files (conformance/scenarios, scansion format) against any
// XMPP server and reports per scenario, per specification, as JUnit XML and with the closing line
// "N passed, N failed". Exit status: 0 when nothing failed (or every failure is a known gap of
// --server), 1 when something failed, 2 on a usage or setup error.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "conformance/runner/accounts.h"
#include "conformance/runner/inband_registration.h"
#include "conformance/runner/player.h"
#include "conformance/runner/report.h"
#include "conformance/runner/scenario.h"
#include "conformance/runner/server_features.h"

namespace tern::conformance {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::string_view kUsage = R"(usage: tern-conformance [options] SCENARIO_OR_DIR...
  --host HOST             server address (127.0.0.1)
  --port PORT             c2s port (5222)
  --domain DOMAIN         the XMPP domain the accounts live on (localhost)
  --direct-tls            TLS from the first byte (XEP-0368) instead of STARTTLS
  --binary                direct TLS offering Tern binary XMPP (docs/binary-xmpp.md); give the
                          direct TLS port. Scenarios that send raw text are skipped
  --mechanism NAME        SCRAM-SHA-256 (default), SCRAM-SHA-1, SCRAM-SHA-512 or PLAIN
  --provision COMMAND     creates each fresh account: {jid} {user} {domain} {password}
                          are replaced, e.g. 'ternctl adduser {jid} {password}'
  --register              fresh accounts registered in-band (XEP-0077) instead
  --accounts FILE         pre-made accounts instead, one 'jid password' per line
  --jobs N                scenarios played at once (8)
  --timeout MS            wait for a connection or an expected stanza (5000)
  --quiet MS              how long 'receives nothing' waits (300)
  --server NAME           the server's name, to report the scenarios' known gaps for it
  --filter TEXT           only scenarios whose name contains TEXT
  --junit FILE            also write JUnit XML
  --verbose               print the stanza transcript of failed scenarios
)";

struct Options {
  Target target;
  std::string provision;
  std::string accounts;
  bool register_inband = false;
  int jobs = 8;
  std::string server;
  std::string filter;
  std::string junit;
  bool verbose = false;
  bool direct_tls = false;
  bool binary = false;
  std::vector<std::string> inputs;
};

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) {
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    std::optional<std::string> v;
    if (arg == "--direct-tls") {
      o.direct_tls = true;
      continue;
    }
    if (arg == "--verbose") {
      o.verbose = true;
      continue;
    }
    if (arg == "--register") {
      o.register_inband = true;
      continue;
    }
    if (arg == "--binary") {
      o.binary = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      o.inputs.emplace_back(arg);
      continue;
    }
    if (!(v = value())) {
      std::cerr << "tern-conformance: " << arg << " needs a value\n";
      return std::nullopt;
    }
    try {
      if (arg == "--host") {
        o.target.endpoint.host = *v;
      } else if (arg == "--port") {
        o.target.endpoint.port = static_cast<std::uint16_t>(std::stoi(*v));
      } else if (arg == "--domain") {
        o.target.domain = *v;
      } else if (arg == "--mechanism") {
        auto m = client::parse_mechanism(*v);
        if (!m) {
          std::cerr << "tern-conformance: unknown mechanism " << *v << "\n";
          return std::nullopt;
        }
        o.target.mechanism = *m;
      } else if (arg == "--provision") {
        o.provision = *v;
      } else if (arg == "--accounts") {
        o.accounts = *v;
      } else if (arg == "--jobs") {
        o.jobs = std::max(1, std::stoi(*v));
      } else if (arg == "--timeout") {
        o.target.timeout = std::chrono::milliseconds(std::stoi(*v));
      } else if (arg == "--quiet") {
        o.target.quiet = std::chrono::milliseconds(std::stoi(*v));
      } else if (arg == "--server") {
        o.server = *v;
      } else if (arg == "--filter") {
        o.filter = *v;
      } else if (arg == "--junit") {
        o.junit = *v;
      } else {
        std::cerr << "tern-conformance: unknown option " << arg << "\n";
        return std::nullopt;
      }
    } catch (const std::exception&) {
      std::cerr << "tern-conformance: bad number for " << arg << "\n";
      return std::nullopt;
    }
  }
  const int account_sources =
      int{!o.provision.empty()} + int{!o.accounts.empty()} + int{o.register_inband};
  if (o.inputs.empty() || account_sources != 1) {
    std::cerr << kUsage
              << "(give scenarios, and exactly one of --provision, --register and --accounts)\n";
    return std::nullopt;
  }
  o.target.tls = o.binary       ? client::TlsMode::DirectBinary
                 : o.direct_tls ? client::TlsMode::Direct
                                : client::TlsMode::StartTls;
  return o;
}

// Every .scs file under the inputs, named by its path below the folder given.
bool load_scenarios(const Options& o, std::vector<Scenario>& out) {
  std::vector<std::pair<fs::path, fs::path>> files;  // (file, base)
  for (const std::string& input : o.inputs) {
    if (fs::is_directory(input)) {
      for (const auto& entry : fs::recursive_directory_iterator(input)) {
        if (entry.is_regular_file() && entry.path().extension() == ".scs") {
          files.emplace_back(entry.path(), input);
        }
      }
    } else {
      files.emplace_back(input, fs::path(input).parent_path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& [file, base] : files) {
    std::ifstream in(file);
    if (!in) {
      std::cerr << "tern-conformance: cannot read " << file << "\n";
      return false;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parse_scenario(text.str(), file.string());
    if (!parsed) {
      std::cerr << file.string() << ":" << parsed.error() << "\n";
      return false;
    }
    Scenario s = std::move(parsed.value());
    s.name = fs::relative(file, base).replace_extension().string();
    if (s.name.find(o.filter) != std::string::npos) {
      out.push_back(std::move(s));
    }
  }
  return true;
}

std::string run_tag() {
  constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::mt19937 rng{std::random_device{}()};
  std::string tag;
  for (int i = 0; i < 6; ++i) {
    tag += kChars[rng() % kChars.size()];
  }
  return tag;
}

int run(int argc, char** argv) {
  auto options = parse_args(argc, argv);
  if (!options) {
    return 2;
  }
  Options& o = *options;
  std::vector<Scenario> scenarios;
  if (!load_scenarios(o, scenarios)) {
    return 2;
  }
  tls::TlsClientOptions tls_options;
  if (o.binary) {
    tls_options = client::binary_tls_options();
  } else if (o.direct_tls) {
    tls_options.alpn = tls::kAlpnXmppClient;
  }
  auto tls = tls::TlsContext::client(tls_options);
  if (!tls) {
    std::cerr << "tern-conformance: TLS: " << tls.error().message << "\n";
    return 2;
  }
  o.target.tls_context = &tls.value();

  std::unique_ptr<AccountSource> accounts;
  if (!o.provision.empty()) {
    accounts = make_provisioner(o.provision, o.target.domain);
  } else if (o.register_inband) {
    accounts = make_inband_registrar(o.target);
  } else {
    auto pool = load_account_pool(o.accounts);
    if (!pool) {
      std::cerr << "tern-conformance: " << pool.error() << "\n";
      return 2;
    }
    accounts = std::move(pool.value());
  }
  const std::string tag = run_tag();

  // What the server advertises, for "# requires:".
  FeatureSet features;
  {
    auto probe_account = accounts->acquire({"probe"}, tag);
    if (!probe_account) {
      std::cerr << "tern-conformance: " << probe_account.error() << "\n";
      return 2;
    }
    auto probed = probe_features(o.target, probe_account.value().front());
    accounts->release(probe_account.value());
    if (!probed) {
      std::cerr << "tern-conformance: " << probed.error() << "\n";
      return 2;
    }
    features = std::move(probed.value().features);
    // ${upload service}: the domain or the disco#items entity offering it (XEP-0363 §3).
    o.target.variables = std::move(probed.value().variables);
  }

  std::vector<Entry> entries(scenarios.size());
  std::atomic<std::size_t> next{0};
  std::mutex print_mutex;
  auto worker = [&] {
    for (std::size_t i = next++; i < scenarios.size(); i = next++) {
      const Scenario& s = scenarios[i];
      Entry& e = entries[i];
      e.scenario = &s;
      for (const std::string& feature : s.required_features) {
        if (!features.contains(feature)) {
          e.result.outcome = Outcome::Skipped;
          e.result.reason = "the server does not advertise " + feature;
        }
      }
      // Raw text (malformed XML on purpose) has no binary form: such scenarios test the XML
      // parser, which a binary stream does not use.
      if (o.binary && std::any_of(s.steps.begin(), s.steps.end(), [](const Step& step) {
            return step.kind == StepKind::SendRaw;
          })) {
        e.result.outcome = Outcome::Skipped;
        e.result.reason = "it sends raw text, which a binary stream cannot carry";
      }
      if (e.result.outcome != Outcome::Skipped) {
        // Actors whose jids share a localpart are resources of one account.
        std::vector<std::string> localparts;
        std::vector<std::size_t> account_of;
        for (const Actor& a : s.actors) {
          const std::string localpart = a.jid.substr(0, a.jid.find('@'));
          auto it = std::find(localparts.begin(), localparts.end(), localpart);
          account_of.push_back(static_cast<std::size_t>(it - localparts.begin()));
          if (it == localparts.end()) {
            localparts.push_back(localpart);
          }
        }
        auto leased = accounts->acquire(localparts, tag + "-" + std::to_string(i));
        if (!leased) {
          e.result.outcome = Outcome::Failed;
          e.result.reason = leased.error();
        } else {
          std::vector<Account> per_actor;
          per_actor.reserve(account_of.size());
          for (std::size_t index : account_of) {
            per_actor.push_back(leased.value()[index]);
          }
          e.result = play(s, o.target, per_actor);
          accounts->release(leased.value());
        }
      }
      if (e.result.outcome == Outcome::Failed && e.result.line > 0 && s.tests_should_only()) {
        e.result.outcome = Outcome::Warned;
      }
      for (const auto& [server, why] : s.known_gaps) {
        if (!o.server.empty() && server == o.server && e.result.outcome == Outcome::Failed) {
          e.known_gap = why;
        }
      }
      std::lock_guard lock(print_mutex);
      print_result(std::cout, e, o.verbose);
      std::cout.flush();
    }
  };
  std::vector<std::thread> threads;
  const auto jobs = std::min<std::size_t>(static_cast<std::size_t>(o.jobs), scenarios.size());
  for (std::size_t t = 0; t < jobs; ++t) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) {
    t.join();
  }

  print_summary(std::cout, entries);
  if (!o.junit.empty() && !write_junit(o.junit, entries)) {
    std::cerr << "tern-conformance: cannot write " << o.junit << "\n";
    return 2;
  }
  const bool clean = std::all_of(entries.begin(), entries.end(), [](const Entry& e) {
    return e.result.outcome != Outcome::Failed || !e.known_gap.empty();
  });
  return clean ? 0 : 1;
}

}  // namespace
}  // namespace tern::conformance

int main(int argc, char** argv) {
  try {
    return tern::conformance::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tern-conformance: %s\n", e.what());
    return 2;
  } catch (...) {
    return 2;
  }
}
