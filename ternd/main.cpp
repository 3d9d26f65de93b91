// SPDX-License-Identifier: MIT
// ternd: the server's entry point and composition root (core/ and the built-in modules meet
// only here); the only code not shared with tests.
//
//   ternd [--config FILE] [--set KEY=VALUE]…     run (no --config: the embedded default)
//   ternd [--config FILE] [--set KEY=VALUE]… --check-config
//
// On start it prints one line per listening socket ("ternd: listening starttls 0.0.0.0:5222")
// and then "ternd: ready" on standard output, so scripts and tests can wait for it and learn
// ports chosen with :0. The log ([log]: standard error by default) starts before the server and
// stops after it. SIGINT or SIGTERM stop it in order, the log's last lines written; SIGHUP reloads
// the configuration (Server::reload). Exit status: 0
// after a clean stop, 2 for a usage or configuration error, 1 when the server could not start (an
// unknown module is reported with the configuration file).
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/module/shared_module.h"
#include "core/server/server.h"
#include "log/backend.h"
#include "modules/builtin_modules.h"
#include "ternd/service_manager.h"

namespace {

const tern::log::Logger kLog("server");

constexpr const char* kUsage =
    "usage: ternd [--config FILE] [--set KEY=VALUE]... [--check-config]\n";

int run(int argc, char** argv) {
  std::string config_path;
  std::vector<std::string> overrides;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--config" || arg == "--set") && i + 1 < argc) {
      (arg == "--config" ? config_path : overrides.emplace_back()) = argv[++i];
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "ternd: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  auto config = tern::core::load_config(config_path, overrides);
  if (!config) {
    std::cerr << "ternd: " << config.error().to_string() << "\n";
    return 2;
  }
  // The built-in modules, and those of [modules] load (shared objects built with the SDK).
  std::vector<const tern::ModuleInfo*> modules = tern::modules::builtin_modules();
  std::map<std::string, std::string> shared_paths;  // module name → its shared object
  for (const std::string& path : config->module_load) {
    auto loaded = tern::core::load_shared_module(path);
    if (!loaded) {
      std::cerr << "ternd: [modules] load: " << loaded.error() << "\n";
      return 2;
    }
    const std::string name(loaded->info->name);
    for (const tern::ModuleInfo* known : modules) {
      if (known->name == name) {
        std::cerr << "ternd: [modules] load: " << path << ": a module named '" << name
                  << "' exists already\n";
        return 2;
      }
    }
    modules.push_back(loaded->info);
    shared_paths.emplace(name, path);
  }
  if (check_only) {
    if (auto checked = tern::core::check_modules(*config, modules); !checked) {
      std::cerr << "ternd: " << checked.error() << "\n";
      return 2;
    }
    std::cout << "ternd: " << config->describe_source() << ": configuration is valid (store "
              << config->storage_path << ")\n";
    return 0;
  }

  // Signals are taken synchronously by this thread (sigwait); every worker thread inherits the
  // blocked mask. Writes to a closed socket must return EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);  // not a stop: a reload (below)
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // After the signal mask: the log's threads inherit it, so that sigwait() below gets SIGTERM.
  if (auto failed = tern::log::start(config->logging)) {
    std::cerr << "ternd: " << *failed << "\n";
    return 1;
  }
  tern::log::StopAtExit stop_log;  // declared before the server: stops after it

  auto server = tern::core::Server::create(std::move(config).value(), std::move(modules),
                                           std::move(shared_paths));
  if (!server) {
    std::cerr << "ternd: " << server.error() << "\n";
    return 1;
  }
  std::cout << "ternd: configuration " << (*server)->config().describe_source() << "\n"
            << "ternd: store " << (*server)->config().storage_path << "\n";
  for (const auto& host : (*server)->tls().hosts()) {
    // What a user needs to trust a self-signed certificate: where it is and what it hashes to.
    std::cout << "ternd: certificate for " << host.domain << ": " << host.certificate_file
              << (host.self_signed
                      ? (host.generated ? " (self-signed, made now)" : " (self-signed)")
                      : "")
              << " SHA-256 " << host.fingerprint << "\n";
  }
  auto bound = (*server)->start();
  if (!bound) {
    std::cerr << "ternd: " << bound.error() << "\n";
    return 1;
  }
  for (const auto& listener : *bound) {
    std::cout << "ternd: listening " << listener.kind << " " << listener.address.host << ":"
              << listener.address.port << "\n";
    kLog.info("server.listening", "listening",
              {{"listener", listener.kind},
               {"host", listener.address.host},
               {"port", listener.address.port}});
  }
  std::cout << "ternd: ready (" << (*server)->config().effective_workers() << " workers, "
            << (*server)->config().hosts.size() << " hosts)" << std::endl;
  tern::ternd::notify_ready();
  auto watchdog = std::make_unique<tern::ternd::Watchdog>(
      [&server](std::chrono::milliseconds stale) { return (*server)->workers_turning(stale); });
  kLog.info("server.started", "ready",
            {{"workers", (*server)->config().effective_workers()},
             {"hosts", (*server)->config().hosts.size()},
             {"listeners", bound->size()},
             {"config", (*server)->config().source}});

  int signal_number = 0;
  for (;;) {
    sigwait(&stop_signals, &signal_number);
    if (signal_number != SIGHUP) {
      break;
    }
    // SIGHUP: the configuration again, applied where it can be (docs/operations.md).
    tern::ternd::notify_reloading();
    tern::core::Server::ReloadResult reloaded = (*server)->reload();
    std::cout << "ternd: " << reloaded.text << std::flush;
    tern::ternd::notify_ready();
  }
  std::cout << "ternd: stopping (signal " << signal_number << ")" << std::endl;
  tern::ternd::notify_stopping();
  watchdog.reset();  // the workers' ticks end with them: no "stuck" verdict while stopping
  kLog.info("server.stopping", "stopping", {{"signal", signal_number}});
  (*server)->stop();
  kLog.info("server.stopped", "stopped: every session closed, every write committed");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "ternd: fatal: " << e.what() << "\n";  // out of memory at start, in practice
    return 1;
  }
}
