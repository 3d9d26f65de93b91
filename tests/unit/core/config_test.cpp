// SPDX-License-Identifier: MIT
#include "core/config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/config/embedded_config.h"

namespace tern::core {
namespace {

Config parse_ok(std::string_view text, const std::vector<std::string>& overrides = {}) {
  auto result = parse_config(text, "test.toml", overrides);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().to_string());
  return result.ok() ? std::move(result).value() : Config{};
}

std::string parse_error(std::string_view text, const std::vector<std::string>& overrides = {}) {
  auto result = parse_config(text, "test.toml", overrides);
  EXPECT_FALSE(result.ok());
  return result.ok() ? "" : result.error().to_string();
}

TEST(Config, EmbeddedDefaultServesLocalhost) {
  auto result = load_config("");
  ASSERT_TRUE(result.ok());
  const Config& c = *result;
  EXPECT_EQ(c.source, "(embedded default)");
  ASSERT_EQ(c.hosts.size(), 1U);
  EXPECT_EQ(c.hosts[0].domain, "localhost");
  EXPECT_TRUE(c.hosts[0].certificate.empty());
  EXPECT_EQ(c.starttls_listeners, (std::vector<ListenAddress>{{"0.0.0.0", 5222}}));
  EXPECT_EQ(c.direct_tls_listeners, (std::vector<ListenAddress>{{"0.0.0.0", 5223}}));
  EXPECT_TRUE(c.require_encryption);
  EXPECT_TRUE(c.binary);
  EXPECT_EQ(c.limits.max_stanza_bytes, 262144U);
  EXPECT_GE(c.effective_workers(), 1U);
}

// The embedded default is etc/tern.toml itself (built in by core/config/embed_config.py): the
// file an operator reads is what ternd runs with, and a default changes in one place.
TEST(Config, TheEmbeddedDefaultIsTheDocumentedFile) {
  std::ifstream in(TERN_SOURCE_ROOT "/etc/tern.toml");
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_FALSE(text.str().empty());
  EXPECT_EQ(kEmbeddedConfig, text.str());
  // And what the file says is what load_config("") gives (the modules enabled, say).
  auto embedded = load_config("");
  auto file = parse_config(text.str(), "etc/tern.toml");
  ASSERT_TRUE(embedded.ok() && file.ok());
  EXPECT_EQ(embedded->modules, file->modules);
  EXPECT_EQ(embedded->store_max_map_size, file->store_max_map_size);
  ASSERT_TRUE(embedded->module_options.count("offline"));
  EXPECT_EQ(std::get<std::int64_t>(embedded->module_options.at("offline").at("max_messages").value),
            10000);
}

TEST(Config, StoragePathResolvesAgainstTheFileTheSourceTreeOrTheWorkingDirectory) {
  EXPECT_EQ(resolve_storage_path("/var/lib/tern/", "/etc/tern/tern.toml", false), "/var/lib/tern/");
  EXPECT_EQ(resolve_storage_path("data", "/etc/tern/tern.toml", false), "/etc/tern/data");
  EXPECT_EQ(resolve_storage_path("../data", "/etc/tern/tern.toml", false), "/etc/data");
  EXPECT_EQ(resolve_storage_path("tern-data", "", false), TERN_SOURCE_ROOT "/tern-data");
  EXPECT_EQ(resolve_storage_path("here", "/etc/tern/tern.toml", true),
            (std::filesystem::current_path() / "here").string());
  auto embedded = load_config("", {"server.workers=1"});
  ASSERT_TRUE(embedded.ok());
  EXPECT_EQ(embedded->storage_path, TERN_SOURCE_ROOT "/tern-data");
  EXPECT_EQ(embedded->describe_source(), "(embedded default) with --set server.workers");
  EXPECT_EQ(load_config("")->describe_source(), "(embedded default)");
}

TEST(Config, ModuleTablesKeepTypedValuesAndWhereTheyWereWritten) {
  Config c = parse_ok(R"([modules]
enabled = ["roster", "ping"]

[modules.roster]
max_items = 50
note = "x"
strict = true
)",
                      {"modules.ping.interval=30"});
  const ModuleOptionTable& roster = c.module_options.at("roster");
  EXPECT_EQ(std::get<std::int64_t>(roster.at("max_items").value), 50);
  EXPECT_EQ(roster.at("max_items").where, "test.toml:5");
  EXPECT_EQ(std::get<std::string>(roster.at("note").value), "x");
  EXPECT_TRUE(std::get<bool>(roster.at("strict").value));
  const ModuleOptionValue& interval = c.module_options.at("ping").at("interval");
  EXPECT_EQ(std::get<std::int64_t>(interval.value), 30);
  EXPECT_EQ(interval.where, "--set modules.ping.interval=30");
  // Tables of modules that are not enabled are unknown keys; values must be scalars.
  EXPECT_EQ(parse_error("[modules]\nenabled = []\n[modules.roster]\nmax_items = 1\n"),
            "test.toml:3:10: [modules] unknown key 'roster'");
  EXPECT_EQ(parse_error("[modules]\nenabled = [\"roster\"]\n[modules.roster]\nx = [1]\n"),
            "test.toml:4:5: [modules] roster.x must be a string, an integer or a boolean");
}

TEST(Config, ReadsEverySection) {
  Config c = parse_ok(R"(
[server]
workers = 2
storage_path = "/var/lib/tern"
log_level = "debug"

[[host]]
domain = "Example.COM."
certificate = "/etc/tern/example.pem"
key = "/etc/tern/example.key"

[[host]]
domain = "chat.example.net"

[c2s]
starttls = ["127.0.0.1:15222", "[::1]:15222"]
direct_tls = []
require_encryption = false
binary = false
idle_timeout = 30

[limits]
max_stanza_bytes = 65536

[modules]
enabled = ["ping"]
[modules.ping]
anything = 1
)");
  EXPECT_EQ(c.workers, 2U);
  EXPECT_EQ(c.storage_path, "/var/lib/tern");
  EXPECT_EQ(c.logging.level, log::Level::Debug);  // the old place of [log] level, still read
  ASSERT_EQ(c.hosts.size(), 2U);
  EXPECT_EQ(c.hosts[0].domain, "example.com");  // prepared: lowercase, trailing dot gone
  EXPECT_EQ(c.hosts[0].key, "/etc/tern/example.key");
  EXPECT_EQ(c.hosts[1].domain, "chat.example.net");
  EXPECT_EQ(c.starttls_listeners,
            (std::vector<ListenAddress>{{"127.0.0.1", 15222}, {"::1", 15222}}));
  EXPECT_TRUE(c.direct_tls_listeners.empty());
  EXPECT_FALSE(c.require_encryption);
  EXPECT_FALSE(c.binary);
  EXPECT_EQ(c.idle_timeout.count(), 30);
  EXPECT_EQ(c.limits.max_stanza_bytes, 65536U);
  EXPECT_EQ(c.modules, std::vector<std::string>{"ping"});
}

TEST(Config, ReadsTheLogSection) {
  Config c = parse_ok(R"(
[log]
level = "warn"
components = { c2s = "debug", router = "off", ping = "error" }
format = "json"
destination = "/var/log/tern/ternd.log"
rate_limit = 5
rate_burst = 10
queue_lines = 1024
slow_commit_ms = 250

[modules]
enabled = ["ping"]
)");
  EXPECT_EQ(c.logging.level, log::Level::Warn);
  EXPECT_EQ(c.logging.level_of("c2s"), log::Level::Debug);
  EXPECT_EQ(c.logging.level_of("router"), log::Level::Off);
  EXPECT_EQ(c.logging.level_of("ping"), log::Level::Error);  // a module is a component
  EXPECT_EQ(c.logging.level_of("storage"), log::Level::Warn);
  EXPECT_EQ(c.logging.format, log::Format::Json);
  EXPECT_EQ(c.logging.destination, "/var/log/tern/ternd.log");
  EXPECT_EQ(c.logging.rate_limit, 5);
  EXPECT_EQ(c.logging.rate_burst, 10);
  EXPECT_EQ(c.logging.queue_lines, 1024U);
  EXPECT_EQ(c.slow_commit.count(), 250);
  // A component's level from the command line.
  Config o = parse_ok("", {"log.components.storage=debug", "log.format=journald"});
  EXPECT_EQ(o.logging.level_of("storage"), log::Level::Debug);
  EXPECT_EQ(o.logging.format, log::Format::Journald);
}

TEST(Config, LogSectionErrors) {
  EXPECT_EQ(parse_error("[log]\nlevel = \"verbose\"\n"),
            "test.toml:2:9: [log] level must be \"debug\", \"info\", \"warn\", \"error\" or "
            "\"off\"");
  EXPECT_EQ(parse_error("[log]\ncomponents = { c2z = \"debug\" }\n"),
            "test.toml:2:22: [log] components: unknown component 'c2z' (server, c2s, router, "
            "storage, modules, log, or an enabled module)");
  EXPECT_EQ(parse_error("[log]\nformat = \"xml\"\n"),
            "test.toml:2:10: [log] format must be \"text\", \"json\" or \"journald\"");
  EXPECT_EQ(parse_error("[server]\nlog_level = \"debug\"\n[log]\nlevel = \"info\"\n"),
            "test.toml:2:13: [log] [server] log_level is the old name of [log] level: set only "
            "one");
  EXPECT_EQ(parse_error("[log]\nrate_limit = -1\n"),
            "test.toml:2:14: [log] rate_limit must be an integer from 0 to 1000000");
  EXPECT_EQ(parse_error("[log]\nverbosity = 3\n"), "test.toml:2:1: [log] unknown key 'verbosity'");
}

TEST(Config, ErrorsNameFileLineAndReason) {
  EXPECT_EQ(parse_error("[server]\nwrkers = 2\n"), "test.toml:2:1: [server] unknown key 'wrkers'");
  EXPECT_EQ(parse_error("[server]\n\nworkers = \"two\"\n"),
            "test.toml:3:11: [server] workers must be an integer from 0 to 1024");
  EXPECT_EQ(parse_error("[limits]\nmax_depth = 1\n"),
            "test.toml:2:13: [limits] max_depth must be an integer from 2 to 1000");
  EXPECT_EQ(parse_error("[c2s]\nstarttls = [\"localhost\"]\n"),
            "test.toml:2:12: [c2s] starttls: 'localhost' is not host:port (IPv6 as [addr]:port)");
  EXPECT_EQ(parse_error("[[host]]\ndomain = \"bad domain\"\n").substr(0, 12), "test.toml:1:");
  EXPECT_NE(parse_error("[[host]]\ndomain = \"a.example\"\ncertificate = \"x.pem\"\n")
                .find("certificate and key go together"),
            std::string::npos);
  EXPECT_EQ(parse_error("[storage]\nmap_size = 4194304\nmax_map_size = 2097152\n"),
            "test.toml:3:16: [storage] max_map_size must be at least map_size (4194304)");
  EXPECT_EQ(parse_ok("[storage]\nmap_size = 4194304\nmax_map_size = 4194304\n").store_max_map_size,
            4194304U);
  EXPECT_EQ(parse_error("frobnicate = true\n"), "test.toml:1:1: [] unknown key 'frobnicate'");
  std::string syntax = parse_error("[server\n");
  EXPECT_TRUE(syntax.starts_with("test.toml:1:")) << syntax;
}

TEST(Config, MissingFileIsAnError) {
  auto result = load_config("/nonexistent/tern.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().to_string(), "/nonexistent/tern.toml: cannot read the file");
}

TEST(Config, OverridesSetAnyKey) {
  Config c = parse_ok(
      "[server]\nworkers = 4\n",
      {"server.workers=1", "c2s.starttls=[\"127.0.0.1:0\"]", "c2s.require_encryption=false",
       "server.storage_path=/tmp/tern test", "limits.max_depth=10"});
  EXPECT_EQ(c.workers, 1U);
  EXPECT_EQ(c.starttls_listeners, (std::vector<ListenAddress>{{"127.0.0.1", 0}}));
  EXPECT_FALSE(c.require_encryption);
  EXPECT_EQ(c.storage_path, "/tmp/tern test");  // not a TOML value: taken as a string
  EXPECT_EQ(c.limits.max_depth, 10U);
}

TEST(Config, OverrideIndexesExistingArrays) {
  Config c = parse_ok("[[host]]\ndomain = \"a.example\"\n[[host]]\ndomain = \"b.example\"\n",
                      {"host.1.domain=c.example"});
  ASSERT_EQ(c.hosts.size(), 2U);
  EXPECT_EQ(c.hosts[1].domain, "c.example");
}

TEST(Config, OverrideErrorsNameTheOverride) {
  EXPECT_EQ(parse_error("", {"server.workers"}), "--set server.workers: expected KEY=VALUE");
  EXPECT_EQ(parse_error("", {"server.workers=many"}),
            "--set server.workers=many: [server] workers must be an integer from 0 to 1024");
  EXPECT_EQ(parse_error("", {"server.wrkers=1"}),
            "--set server.wrkers=1: [server] unknown key 'wrkers'");
  EXPECT_EQ(parse_error("[[host]]\ndomain = \"a.example\"\n", {"host.5.domain=x"}),
            "--set host.5.domain=x: no element '5' in 'host.5.domain'");
}

}  // namespace
}  // namespace tern::core
