// SPDX-License-Identifier: MIT
// The module test harness: a module runs on a real ModuleHost, over a real store in a temporary
// directory, with fake sessions. What the module sends, routes and posts is kept for the test to
// read; its store writes queue until the test settles them, so that a test can order a commit
// against other events, or fail it as a full disk would (failing_commits).
//
//   ModuleHarness h({"blocking"});
//   h.services().connect("juliet@example.com/phone", true);
//   auto reply = h.iq("<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>…</block></iq>",
//                     "juliet@example.com/phone");
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/module/module_host.h"
#include "modules/builtin_modules.h"
#include "storage/env.h"
#include "tests/unit/xmpp/test_sink.h"

namespace tern::testing {

// The server's side of a ModuleContext, for tests.
class FakeServices final : public core::ModuleServices {
 public:
  explicit FakeServices(storage::Environment& env) : env_(env) {}

  // A connected resource, available or not (replacing one of the same full JID).
  void connect(std::string_view full, bool available) {
    std::erase_if(resources_, [&](const ResourceInfo& r) { return r.jid.full() == full; });
    ResourceInfo r;
    r.jid = xmpp::Jid::parse(full).value();
    r.available = available;
    resources_.push_back(std::move(r));
  }
  // A connected, available resource whose last broadcast presence is `presence` (XML).
  void connect_with_presence(std::string_view full, std::string_view presence) {
    connect(full, true);
    resources_.back().presence = xmpp::testing::parse_one(presence);
  }
  void disconnect(std::string_view full) {
    std::erase_if(resources_, [&](const ResourceInfo& r) { return r.jid.full() == full; });
  }

  // Commits the oldest queued write (or fails it, while failing_commits > 0, as a full disk
  // would); its completion waits for run_completion().
  void commit_next() {
    ASSERT_FALSE(writes_.empty());
    auto [write, done] = std::move(writes_.front());
    writes_.pop_front();
    if (failing_commits > 0) {
      --failing_commits;
      completions_.emplace_back([done = std::move(done)]() { done(StoreStatus{false, true}); });
      return;
    }
    const bool ok = env_.write(write).ok();
    completions_.emplace_back([done = std::move(done), ok]() { done(StoreStatus{ok, false}); });
  }
  void run_completion() {
    ASSERT_FALSE(completions_.empty());
    auto done = std::move(completions_.front());
    completions_.pop_front();
    done();
  }
  // Commits and completes everything queued, including what completions queue in turn.
  void settle() {
    while (!writes_.empty() || !completions_.empty()) {
      if (!writes_.empty()) {
        commit_next();
      }
      while (!completions_.empty()) {
        run_completion();
      }
    }
  }
  // Runs what was posted (the next turn of the worker's loop), until nothing more is.
  void run_posted() {
    while (!posted_.empty()) {
      auto task = std::move(posted_.front());
      posted_.pop_front();
      task();
    }
  }
  // What went to sessions, as (full JID, stanza), since the last call.
  std::vector<std::pair<std::string, xmpp::StanzaPtr>> take_sent() {
    return std::exchange(sent_, {});
  }
  // What the module routed (errors to senders, presence to contacts), since the last call.
  std::vector<xmpp::StanzaPtr> take_routed() { return std::exchange(routed_, {}); }

  int failing_commits = 0;
  bool short_of_room = false;
  std::vector<std::string> closed;  // accounts whose sessions close_sessions ended

  // core::ModuleServices
  void send_to_session(const xmpp::Jid& full, xmpp::StanzaPtr stanza) override {
    sent_.emplace_back(full.full(), std::move(stanza));
  }
  void route(xmpp::StanzaPtr stanza) override { routed_.push_back(std::move(stanza)); }
  // Seen as the copies route() would have taken (the one-serialisation path is the server's).
  void fan_out(std::shared_ptr<const xmpp::Stanza> stanza,
               std::vector<xmpp::Jid> recipients) override {
    for (const xmpp::Jid& to : recipients) {
      xmpp::StanzaPtr copy = stanza->clone();
      copy->root().set_attr("to", to.full());
      routed_.push_back(std::move(copy));
    }
  }
  std::shared_ptr<void> hold_ack() override { return nullptr; }
  std::vector<ResourceInfo> resources(std::string_view bare_jid) const override {
    std::vector<ResourceInfo> out;
    for (const ResourceInfo& r : resources_) {
      if (r.jid.bare_view() == bare_jid) {
        out.push_back(r);
      }
    }
    return out;
  }
  void set_interested(const xmpp::Jid& full) override {
    for (ResourceInfo& r : resources_) {
      r.interested = r.interested || r.jid == full;
    }
  }
  void set_flag(const xmpp::Jid& full, std::string_view flag, bool on) override {
    for (ResourceInfo& r : resources_) {
      if (r.jid == full) {
        std::erase(r.flags, std::string(flag));
        if (on) {
          r.flags.emplace_back(flag);
        }
      }
    }
  }
  bool account_exists(std::string_view /*bare_jid*/) const override { return true; }
  bool store_short_of_room() const override { return short_of_room; }
  void close_sessions(std::string_view bare_jid, const xmpp::StreamError& /*error*/) override {
    closed.emplace_back(bare_jid);
  }
  storage::Environment& store() const override { return env_; }
  void write(StoreWrite write, StoreDone done) override {
    writes_.emplace_back(std::move(write), std::move(done));
  }
  void write_lazily(StoreWrite write, StoreDone done) override {
    writes_.emplace_back(std::move(write), std::move(done));
  }
  void post(std::function<void()> task) override { posted_.push_back(std::move(task)); }
  // Delayed tasks wait in `delayed` for the test to run them.
  void after(std::chrono::milliseconds delay, std::function<void()> task) override {
    delayed.emplace_back(delay, std::move(task));
  }
  std::vector<std::pair<std::chrono::milliseconds, std::function<void()>>> delayed;
  // Blocking work runs at once; its completion waits for run_posted(), as on the worker.
  void offload(std::function<void()> job, std::function<void()> done) override {
    job();
    if (done) {
      posted_.push_back(std::move(done));
    }
  }
  std::string http_base_url(std::string_view host) const override {
    return "https://" + std::string(host) + ":5281";
  }
  std::string storage_path() const override { return storage_dir; }
  // No network in unit tests: requests wait here for the test to answer them.
  void http_request(HttpClientRequest request, HttpClientDone done) override {
    http_requests.emplace_back(std::move(request), std::move(done));
  }
  std::vector<std::pair<HttpClientRequest, HttpClientDone>> http_requests;
  std::string storage_dir;  // the harness's temporary directory
  void forget_shared_state() { states_ = std::make_unique<core::SharedStates>(); }
  std::shared_ptr<void> shared_state(const std::string& key, const std::type_info& type,
                                     const std::function<std::shared_ptr<void>()>& make) override {
    return states_->get(key, type, make);
  }

 private:
  storage::Environment& env_;
  std::vector<ResourceInfo> resources_;
  std::vector<std::pair<std::string, xmpp::StanzaPtr>> sent_;
  std::vector<xmpp::StanzaPtr> routed_;
  std::deque<std::pair<StoreWrite, StoreDone>> writes_;
  std::deque<std::function<void()>> completions_;
  std::deque<std::function<void()>> posted_;
  std::unique_ptr<core::SharedStates> states_ = std::make_unique<core::SharedStates>();
};

// The modules under test on host example.com, their store and their fake sessions.
class ModuleHarness {
 public:
  explicit ModuleHarness(const std::vector<std::string>& modules,
                         const core::ModuleOptionTables& options = {}) {
    static std::atomic<int> next{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("tern-module-test-" + std::to_string(::getpid()) + "-" + std::to_string(next++));
    std::filesystem::remove_all(dir_);
    auto env = storage::Environment::open(dir_.string());
    EXPECT_TRUE(env.ok()) << (env.ok() ? "" : env.error().message);
    env_ = std::move(env).value();
    services_ = std::make_unique<FakeServices>(*env_);
    services_->storage_dir = dir_.string();
    restart(modules, options);
  }
  ~ModuleHarness() {
    host_.reset();
    services_.reset();
    env_.reset();
    std::filesystem::remove_all(dir_);
  }
  ModuleHarness(const ModuleHarness&) = delete;
  ModuleHarness& operator=(const ModuleHarness&) = delete;

  // The modules again (new instances, same store and sessions, and what they shared in memory
  // gone, as after a real restart), e.g. with other options.
  void restart(const std::vector<std::string>& modules,
               const core::ModuleOptionTables& options = {}) {
    host_.reset();
    services_->forget_shared_state();
    auto started = core::ModuleHost::start("example.com", modules, modules::builtin_modules(),
                                           services_.get(), options);
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error());
    if (started.ok()) {
      host_ = std::move(started).value();
    }
  }

  core::ModuleHost& host() { return *host_; }
  FakeServices& services() { return *services_; }
  storage::Environment& store() { return *env_; }

  // An IQ from `from`, dispatched as the router would (to the sender's own account unless said
  // otherwise), its writes settled: the reply (nullptr when no module handles it).
  xmpp::StanzaPtr iq(std::string_view xml, std::string_view from,
                     Addressed addressed = Addressed::ToAccount) {
    xmpp::StanzaPtr request = xmpp::testing::parse_one(xml);  // in a jabber:client stream
    EXPECT_NE(request, nullptr) << xml;
    if (request == nullptr) {
      return nullptr;
    }
    xmpp::StanzaPtr reply;
    host_->dispatch_iq(request->root(), addressed, xmpp::Jid::parse(from).value(),
                       [&](xmpp::StanzaPtr r) { reply = std::move(r); });
    services_->settle();
    return reply;
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<storage::Environment> env_;
  std::unique_ptr<FakeServices> services_;
  std::unique_ptr<core::ModuleHost> host_;
};

}  // namespace tern::testing
