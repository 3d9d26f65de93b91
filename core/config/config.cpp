// SPDX-License-Identifier: MIT
// TOML → Config with toml++: overrides are applied to the parsed document first, then every
// section is read against its list of known keys, so errors point at the line that caused them.
#include "core/config/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "core/config/embedded_config.h"
#include "xmpp/precis/jid_prep.h"

namespace tern::core {
namespace {

constexpr std::string_view kEmbedded = kEmbeddedConfigSource;

// Where the document's nodes came from: the file, or for nodes set by an override, its text.
struct Origins {
  std::string file;
  std::map<const toml::node*, std::string> overrides;
};

ConfigError error_at(const toml::node& node, const Origins& origins, std::string message) {
  ConfigError error;
  if (auto it = origins.overrides.find(&node); it != origins.overrides.end()) {
    error.source = "--set " + it->second;
  } else {
    error.source = origins.file;
    error.line = node.source().begin.line;
    error.column = node.source().begin.column;
  }
  error.message = std::move(message);
  return error;
}

// Reads one table, remembering the first error; finish() then rejects unknown keys.
class Section {
 public:
  Section(const toml::table& table, std::string name, const Origins& origins)
      : table_(table), name_(std::move(name)), origins_(origins) {}

  template <class Int>
  void integer(std::string_view key, Int& out, std::int64_t min, std::int64_t max) {
    const toml::node* node = take(key);
    if (node == nullptr) {
      return;
    }
    std::optional<std::int64_t> v = node->value<std::int64_t>();
    if (!node->is_integer() || !v || *v < min || *v > max) {
      fail(*node, std::string(key) + " must be an integer from " + std::to_string(min) + " to " +
                      std::to_string(max));
      return;
    }
    out = static_cast<Int>(*v);
  }

  void boolean(std::string_view key, bool& out) {
    if (const toml::node* node = take(key)) {
      if (!node->is_boolean()) {
        return fail(*node, std::string(key) + " must be true or false");
      }
      out = *node->value<bool>();
    }
  }

  void string(std::string_view key, std::string& out) {
    if (const toml::node* node = take(key)) {
      if (!node->is_string()) {
        return fail(*node, std::string(key) + " must be a string");
      }
      out = *node->value<std::string>();
    }
  }

  // Returns false when absent (out untouched).
  bool strings(std::string_view key, std::vector<std::string>& out) {
    const toml::node* node = take(key);
    if (node == nullptr) {
      return false;
    }
    const toml::array* array = node->as_array();
    if (array == nullptr || !array->is_homogeneous(toml::node_type::string)) {
      if (array == nullptr || !array->empty()) {
        fail(*node, std::string(key) + " must be an array of strings");
        return false;
      }
    }
    out.clear();
    for (const toml::node& item : *array) {
      out.push_back(*item.value<std::string>());
    }
    return true;
  }

  const toml::node* take(std::string_view key) {
    known_.emplace_back(key);
    return table_.get(key);
  }

  void fail(const toml::node& node, std::string message) {
    if (!error_) {
      error_ = error_at(node, origins_, "[" + name_ + "] " + std::move(message));
    }
  }

  std::optional<ConfigError> finish() {
    for (const auto& [key, node] : table_) {
      if (std::find(known_.begin(), known_.end(), key.str()) == known_.end() && !error_) {
        error_ = error_at(node, origins_,
                          "[" + name_ + "] unknown key '" + std::string(key.str()) + "'");
        if (error_->line != 0 &&
            key.source().begin.line != 0) {  // point at the key rather than its value
          error_->line = key.source().begin.line;
          error_->column = key.source().begin.column;
        }
      }
    }
    return error_;
  }

 private:
  const toml::table& table_;
  std::string name_;
  const Origins& origins_;
  std::vector<std::string> known_;
  std::optional<ConfigError> error_;
};

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs brackets
  }
  unsigned port = 0;
  std::string_view digits = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port > 65535 || host.empty()) {
    return std::nullopt;
  }
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(port)};
}

// A list of "host:port" strings (IPv6 as "[addr]:port"), replacing `out` when present.
void read_listen_addresses(Section& s, const toml::table& table, const char* key,
                           std::vector<ListenAddress>& out) {
  std::vector<std::string> texts;
  if (!s.strings(key, texts)) {
    return;
  }
  out.clear();
  for (const std::string& text : texts) {
    if (auto address = parse_listen_address(text)) {
      out.push_back(*address);
    } else {
      s.fail(*table.get(key),
             std::string(key) + ": '" + text + "' is not host:port (IPv6 as [addr]:port)");
    }
  }
}

const toml::table* sub_table(Section& parent, std::string_view key,
                             std::optional<ConfigError>& error, const Origins& file) {
  const toml::node* node = parent.take(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_table()) {
    if (!error) {
      error = error_at(*node, file, "[" + std::string(key) + "] must be a table");
    }
    return nullptr;
  }
  return node->as_table();
}

// Applies "a.b.0.c=VALUE" to the document.
std::optional<ConfigError> apply_override(toml::table& root, const std::string& spec,
                                          Origins& origins) {
  ConfigError error{"--set " + spec, 0, 0, {}};
  std::size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    error.message = "expected KEY=VALUE";
    return error;
  }
  std::string key = spec.substr(0, eq);
  std::string text = spec.substr(eq + 1);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + text, std::string_view(error.source));
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", text}};  // not a TOML value: take it as a string
  }
  std::vector<std::string> path;
  std::stringstream segments(key);
  for (std::string part; std::getline(segments, part, '.');) {
    if (part.empty()) {
      error.message = "empty segment in key '" + key + "'";
      return error;
    }
    path.push_back(part);
  }
  toml::node* at = &root;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    if (toml::table* t = at->as_table()) {
      if (t->get(path[i]) == nullptr) {
        t->insert(path[i], toml::table{});
      }
      at = t->get(path[i]);
    } else if (toml::array* a = at->as_array()) {
      std::size_t index = 0;
      auto [end, ec] = std::from_chars(path[i].data(), path[i].data() + path[i].size(), index);
      if (ec != std::errc() || end != path[i].data() + path[i].size() || index >= a->size()) {
        error.message = "no element '" + path[i] + "' in '" + key + "'";
        return error;
      }
      at = a->get(index);
    } else {
      error.message = "'" + path[i] + "' in '" + key + "' is not a table";
      return error;
    }
  }
  toml::table* parent = at->as_table();
  if (parent == nullptr) {
    error.message = "'" + key + "' does not name a table entry";
    return error;
  }
  parsed.get("v")->visit([&](auto&& value) { parent->insert_or_assign(path.back(), value); });
  origins.overrides[parent->get(path.back())] = spec;
  return std::nullopt;
}

// The components core/ and storage/ log as (each module logs under its own name).
constexpr std::string_view kLogComponents[] = {"server",  "c2s",     "router",
                                               "storage", "modules", "log"};

std::optional<log::Level> read_level(Section& s, const toml::node& node, std::string_view what) {
  std::optional<std::string> name = node.value_exact<std::string>();
  std::optional<log::Level> level = name ? log::parse_level(*name) : std::nullopt;
  if (!level) {
    s.fail(node,
           std::string(what) + " must be \"debug\", \"info\", \"warn\", \"error\" or \"off\"");
  }
  return level;
}

// [log], and the old [server] log_level.
std::optional<ConfigError> read_log_section(const toml::table* t, const toml::node* legacy_level,
                                            const Origins& file, Config& config) {
  log::Options& options = config.logging;
  toml::table empty;
  Section s(t != nullptr ? *t : empty, "log", file);
  if (const toml::node* level = s.take("level")) {
    if (legacy_level != nullptr) {
      s.fail(*legacy_level, "[server] log_level is the old name of [log] level: set only one");
    }
    options.level = read_level(s, *level, "level").value_or(options.level);
  } else if (legacy_level != nullptr) {
    options.level =
        read_level(s, *legacy_level, "level (set as [server] log_level)").value_or(options.level);
  }
  if (const toml::node* node = s.take("components")) {
    const toml::table* components = node->as_table();
    if (components == nullptr) {
      s.fail(*node, "components must be a table: { c2s = \"debug\", storage = \"warn\" }");
    }
    for (const auto& [key, value] : components != nullptr ? *components : empty) {
      std::string_view name = key.str();
      bool known =
          std::find(std::begin(kLogComponents), std::end(kLogComponents), name) !=
              std::end(kLogComponents) ||
          std::find(config.modules.begin(), config.modules.end(), name) != config.modules.end();
      if (!known) {
        s.fail(value, "components: unknown component '" + std::string(name) +
                          "' (server, c2s, router, storage, modules, log, or an enabled module)");
      } else if (auto level = read_level(s, value, "components." + std::string(name))) {
        options.components.insert_or_assign(std::string(name), *level);
      }
    }
  }
  std::string format = "text";
  s.string("format", format);
  if (auto parsed = log::parse_format(format)) {
    options.format = *parsed;
  } else {
    s.fail(*t->get("format"), "format must be \"text\", \"json\" or \"journald\"");
  }
  s.string("destination", options.destination);
  if (options.destination.empty()) {
    s.fail(*t->get("destination"), "destination must be \"stderr\" or a file path");
  }
  std::int64_t rate = static_cast<std::int64_t>(options.rate_limit);
  std::int64_t burst = static_cast<std::int64_t>(options.rate_burst);
  s.integer("rate_limit", rate, 0, 1'000'000);
  s.integer("rate_burst", burst, 1, 1'000'000);
  options.rate_limit = static_cast<double>(rate);
  options.rate_burst = static_cast<double>(burst);
  s.integer("queue_lines", options.queue_lines, 16, 1 << 24);
  std::int64_t slow = config.slow_commit.count();
  s.integer("slow_commit_ms", slow, 1, 600'000);
  config.slow_commit = std::chrono::milliseconds(slow);
  return s.finish();
}

Result<Config, ConfigError> read_document(const toml::table& root, const Origins& file) {
  Config config;
  config.source = file.file;
  config.hosts = {VirtualHost{"localhost", "", ""}};
  config.starttls_listeners = {ListenAddress{"0.0.0.0", 5222}};
  config.direct_tls_listeners = {ListenAddress{"0.0.0.0", 5223}};
  config.http_listeners = {ListenAddress{"0.0.0.0", 5280}};
  config.https_listeners = {ListenAddress{"0.0.0.0", 5281}};
  // blocking before presence and offline: its hooks must see a stanza before they act on it;
  // push before offline, which takes the messages it stores.
  config.modules = {"roster", "blocking", "presence", "carbons", "push",    "offline",
                    "disco",  "ping",     "version",  "time",    "register"};

  Section top(root, "", file);
  std::optional<ConfigError> error;
  const toml::node* legacy_level = nullptr;
  auto keep_first = [&](std::optional<ConfigError> e) {
    if (e && !error) {
      error = std::move(e);
    }
  };

  if (const toml::table* t = sub_table(top, "server", error, file)) {
    Section s(*t, "server", file);
    s.integer("workers", config.workers, 0, 1024);
    s.string("storage_path", config.storage_path);
    // The log level's old place, still read; [log] level is the new one (read_log_section).
    legacy_level = s.take("log_level");
    keep_first(s.finish());
  }

  if (const toml::node* node = top.take("host")) {
    const toml::array* hosts = node->as_array();
    if (hosts == nullptr || !hosts->is_array_of_tables() || hosts->empty()) {
      keep_first(error_at(*node, file, "host must be a non-empty array of tables ([[host]])"));
    } else {
      config.hosts.clear();
      for (const toml::node& h : *hosts) {
        Section s(*h.as_table(), "host", file);
        VirtualHost host;
        std::string raw;
        s.string("domain", raw);
        s.string("certificate", host.certificate);
        s.string("key", host.key);
        if (xmpp::precis::prepare_domain(raw, host.domain) != xmpp::precis::PrepStatus::Ok) {
          s.fail(h, "domain '" + raw + "' is not a valid XMPP domain (RFC 7622 §3.2)");
        }
        if (host.certificate.empty() != host.key.empty()) {
          s.fail(h, "certificate and key go together: set both or neither");
        }
        keep_first(s.finish());
        config.hosts.push_back(std::move(host));
      }
    }
  }

  if (const toml::table* t = sub_table(top, "c2s", error, file)) {
    Section s(*t, "c2s", file);
    read_listen_addresses(s, *t, "starttls", config.starttls_listeners);
    read_listen_addresses(s, *t, "direct_tls", config.direct_tls_listeners);
    s.boolean("require_encryption", config.require_encryption);
    s.boolean("binary", config.binary);
    s.integer("max_sessions_per_account", config.max_sessions_per_account, 1, 10000);
    s.integer("max_connections", config.max_connections, 0, 100000000);
    s.integer("max_connections_per_address", config.max_connections_per_address, 0, 100000000);
    s.integer("auth_failures_per_account", config.auth_failures_per_account, 1, 1000000);
    s.integer("auth_failures_per_address", config.auth_failures_per_address, 1, 1000000);
    s.integer("max_output_bytes", config.max_output_bytes, 262144, std::size_t{1} << 30);
    // At least two of the offline module's slices (100 messages, 256 KiB of XML): a client that
    // logs in to a long queue must be able to take one while acknowledging the one before.
    s.integer("max_unacked_stanzas", config.max_unacked_stanzas, 200, 1000000);
    s.integer("max_unacked_bytes", config.max_unacked_bytes, 1 << 20, std::size_t{1} << 30);
    std::int64_t write_timeout = config.write_timeout.count();
    s.integer("write_timeout", write_timeout, 1, 3600);
    config.write_timeout = std::chrono::seconds(write_timeout);
    std::int64_t lockout = config.auth_max_lockout.count();
    s.integer("auth_max_lockout", lockout, 2, 86400);
    config.auth_max_lockout = std::chrono::seconds(lockout);
    std::int64_t negotiation = config.negotiation_timeout.count();
    std::int64_t idle = config.idle_timeout.count();
    s.integer("negotiation_timeout", negotiation, 1, 3600);
    s.integer("idle_timeout", idle, 1, 86400);
    std::int64_t resume = config.resume_timeout.count();
    s.integer("resume_timeout", resume, 0, 86400);
    config.negotiation_timeout = std::chrono::seconds(negotiation);
    config.idle_timeout = std::chrono::seconds(idle);
    config.resume_timeout = std::chrono::seconds(resume);
    keep_first(s.finish());
  }

  if (const toml::table* t = sub_table(top, "http", error, file)) {
    Section s(*t, "http", file);
    read_listen_addresses(s, *t, "listen", config.http_listeners);
    read_listen_addresses(s, *t, "tls_listen", config.https_listeners);
    s.string("public_url", config.http_public_url);
    if (!config.http_public_url.empty() && !config.http_public_url.starts_with("http://") &&
        !config.http_public_url.starts_with("https://")) {
      s.fail(*t->get("public_url"), "public_url must start with http:// or https://");
    }
    while (config.http_public_url.ends_with('/')) {
      config.http_public_url.pop_back();
    }
    s.integer("max_target_bytes", config.http_max_target_bytes, 256, 1 << 20);
    s.integer("max_header_fields", config.http_max_header_fields, 8, 10000);
    s.integer("max_header_bytes", config.http_max_header_bytes, 1024, 1 << 20);
    s.integer("max_body_bytes", config.http_max_body_bytes, 1024, std::size_t{1} << 30);
    for (auto [key, value] : {std::pair{"header_timeout", &config.http_header_timeout},
                              std::pair{"body_timeout", &config.http_body_timeout},
                              std::pair{"idle_timeout", &config.http_idle_timeout},
                              std::pair{"bosh_max_wait", &config.http_bosh_max_wait},
                              std::pair{"bosh_inactivity", &config.http_bosh_inactivity}}) {
      std::int64_t seconds = value->count();
      s.integer(key, seconds, 1, 3600);
      *value = std::chrono::seconds(seconds);
    }
    s.strings("cors_origins", config.http_cors_origins);
    s.boolean("consider_websocket_secure", config.http_consider_websocket_secure);
    s.string("client_trust_file", config.http_client_trust_file);
    s.integer("client_max_requests", config.http_client_max_requests, 1, 100000);
    keep_first(s.finish());
  }

  if (const toml::table* t = sub_table(top, "metrics", error, file)) {
    Section s(*t, "metrics", file);
    s.boolean("enabled", config.metrics_enabled);
    s.string("path", config.metrics_path);
    if (!config.metrics_path.starts_with('/')) {
      s.fail(*t->get("path"), "path must start with /");
    }
    s.strings("allow", config.metrics_allow);
    read_listen_addresses(s, *t, "listen", config.metrics_listeners);
    keep_first(s.finish());
  }

  if (const toml::table* t = sub_table(top, "admin", error, file)) {
    Section s(*t, "admin", file);
    s.boolean("enabled", config.admin_enabled);
    s.string("socket", config.admin_socket);
    keep_first(s.finish());
  }

  if (const toml::table* t = sub_table(top, "activity", error, file)) {
    Section s(*t, "activity", file);
    s.string("file", config.activity_file);
    s.integer("max_bytes", config.activity_max_bytes, 256, std::int64_t{1} << 40);
    s.integer("keep", config.activity_keep, 0, 1000);
    keep_first(s.finish());
  }

  if (const toml::table* t = sub_table(top, "alerts", error, file)) {
    Section s(*t, "alerts", file);
    s.boolean("enabled", config.alerts_enabled);
    std::int64_t interval = config.alert_interval.count();
    s.integer("interval", interval, 1, 3600);
    config.alert_interval = std::chrono::seconds(interval);
    for (auto [key, value] :
         {std::pair{"session_output_bytes", &config.alert_session_output_bytes},
          std::pair{"session_unacked_stanzas", &config.alert_session_unacked_stanzas},
          std::pair{"loop_lag_ms", &config.alert_loop_lag_ms},
          std::pair{"writer_queue", &config.alert_writer_queue},
          std::pair{"commit_ms", &config.alert_commit_ms},
          std::pair{"disk_free_bytes", &config.alert_disk_free_bytes},
          std::pair{"login_failures_per_minute", &config.alert_login_failures_per_minute}}) {
      s.integer(key, *value, 0, std::int64_t{1} << 50);
    }
    keep_first(s.finish());
  }

  if (const toml::table* t = sub_table(top, "storage", error, file)) {
    Section s(*t, "storage", file);
    s.integer("map_size", config.store_map_size, std::int64_t{1} << 20, std::int64_t{1} << 40);
    s.integer("max_map_size", config.store_max_map_size, std::int64_t{1} << 20,
              std::int64_t{1} << 44);
    if (config.store_max_map_size < config.store_map_size) {
      const toml::node* node = t->get("max_map_size");
      s.fail(
          node != nullptr ? *node : *t->get("map_size"),
          "max_map_size must be at least map_size (" + std::to_string(config.store_map_size) + ")");
    }
    s.integer("min_room", config.store_min_room, 0, std::int64_t{1} << 50);
    std::int64_t lazy = config.store_lazy_commit.count();
    s.integer("lazy_commit_ms", lazy, 0, 1000);
    config.store_lazy_commit = std::chrono::milliseconds(lazy);
    keep_first(s.finish());
  }

  if (const toml::table* t = sub_table(top, "limits", error, file)) {
    Section s(*t, "limits", file);
    xmpp::ParserLimits& l = config.limits;
    s.integer("max_stanza_bytes", l.max_stanza_bytes, 1024, 64 << 20);
    s.integer("max_depth", l.max_depth, 2, 1000);
    s.integer("max_attributes", l.max_attributes, 4, 10000);
    s.integer("max_text_bytes", l.max_text_bytes, 64, 64 << 20);
    s.integer("max_token_bytes", l.max_token_bytes, 1024, 64 << 20);
    s.integer("max_stanza_bytes_before_auth", config.max_stanza_bytes_before_auth, 1024, 64 << 20);
    keep_first(s.finish());
  }

  if (const toml::table* t = sub_table(top, "modules", error, file)) {
    Section s(*t, "modules", file);
    s.strings("enabled", config.modules);
    s.strings("load", config.module_load);
    // Each enabled module may have its own [modules.NAME] table of strings, integers and
    // booleans; which keys it accepts is the module's business (ModuleOptions).
    for (const std::string& name : config.modules) {
      const toml::node* node = s.take(name);
      if (node == nullptr) {
        continue;
      }
      const toml::table* options = node->as_table();
      if (options == nullptr) {
        s.fail(*node, name + " must be a table of options");
        continue;
      }
      ModuleOptionTable& table = config.module_options[name];
      for (const auto& [key, value] : *options) {
        ModuleOptionValue option;
        ConfigError at = error_at(value, file, "");
        option.where = at.line != 0 ? at.source + ":" + std::to_string(at.line) : at.source;
        if (auto b = value.value_exact<bool>()) {
          option.value = *b;
        } else if (auto i = value.value_exact<std::int64_t>()) {
          option.value = *i;
        } else if (auto str = value.value_exact<std::string>()) {
          option.value = *str;
        } else {
          s.fail(value, name + "." + std::string(key.str()) +
                            " must be a string, an integer or a boolean");
          continue;
        }
        table.emplace(std::string(key.str()), std::move(option));
      }
    }
    keep_first(s.finish());
  }

  // After [modules]: a module's name is a log component too.
  keep_first(read_log_section(sub_table(top, "log", error, file), legacy_level, file, config));
  keep_first(top.finish());
  if (error) {
    return Err(std::move(*error));
  }
  return config;
}

}  // namespace

unsigned Config::effective_workers() const {
  if (workers != 0) {
    return workers;
  }
  unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

std::string ConfigError::to_string() const {
  std::string out = source;
  if (line != 0) {
    out += ":" + std::to_string(line) + ":" + std::to_string(column);
  }
  return out + ": " + message;
}

Result<Config, ConfigError> parse_config(std::string_view toml_text, const std::string& source,
                                         const std::vector<std::string>& overrides) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    return Err(ConfigError{source, e.source().begin.line, e.source().begin.column,
                           std::string(e.description())});
  }
  Origins origins{source, {}};
  for (const std::string& spec : overrides) {
    if (auto error = apply_override(root, spec, origins)) {
      return Err(std::move(*error));
    }
  }
  auto config = read_document(root, origins);
  if (config) {
    config->overrides = overrides;
  }
  return config;
}

std::string Config::describe_source() const {
  if (overrides.empty()) {
    return source;
  }
  std::string out = source + " with --set";
  for (const std::string& spec : overrides) {
    out += " " + spec.substr(0, spec.find('='));
  }
  return out;
}

std::string resolve_storage_path(const std::string& storage_path, const std::string& config_path,
                                 bool from_override) {
  namespace fs = std::filesystem;
  fs::path path(storage_path);
  if (path.is_absolute()) {
    return path.lexically_normal().string();
  }
  std::error_code ec;
  fs::path base;
  if (from_override) {
    base = fs::current_path(ec);
  } else if (!config_path.empty()) {
    base = fs::absolute(config_path, ec).parent_path();
  } else {
    base = TERN_SOURCE_ROOT;
  }
  return (base / path).lexically_normal().string();
}

Result<Config, ConfigError> load_config(const std::string& path,
                                        const std::vector<std::string>& overrides) {
  std::string text(kEmbeddedConfig);
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return Err(ConfigError{path, 0, 0, "cannot read the file"});
    }
    std::stringstream content;
    content << in.rdbuf();
    text = content.str();
  }
  auto config = parse_config(text, path.empty() ? std::string(kEmbedded) : path, overrides);
  if (config) {
    bool from_override = std::any_of(overrides.begin(), overrides.end(), [](const auto& spec) {
      return spec.rfind("server.storage_path=", 0) == 0;
    });
    config->storage_path = resolve_storage_path(config->storage_path, path, from_override);
    if (!config->activity_file.empty()) {
      config->activity_file = resolve_storage_path(config->activity_file, path, from_override);
    }
    for (std::string& module : config->module_load) {
      module = resolve_storage_path(module, path, from_override);
    }
    config->admin_socket = config->admin_socket.empty()
                               ? config->storage_path + "/ternd.sock"
                               : resolve_storage_path(config->admin_socket, path, from_override);
  }
  return config;
}

}  // namespace tern::core
