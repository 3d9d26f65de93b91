// SPDX-License-Identifier: MIT
// ModuleHost: registrations, dispatch by (type, addressed, payload), the one-reply rule, crash
// isolation, shape checks, and unknown module names.
#include "core/module/module_host.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "log/backend.h"
#include "xmpp/stream_parser.h"

namespace tern::core {
namespace {

// Deferred answers the test module promised, for the test to settle.
std::vector<std::shared_ptr<DeferredIq>> g_deferred;
std::string g_log_component;  // the component of the logger the test module got in start()

class TestModule final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    g_log_component = ctx.log().component();
    ctx.on_iq(IqType::Get, {"urn:test", "later"}, Addressed::ToServer,
              [](IqRequest& req) { g_deferred.push_back(req.defer()); });
    ctx.add_disco_feature("urn:test");
    ctx.add_disco_feature("urn:test");  // duplicates are kept once
    ctx.add_disco_identity({"server", "im", "T"});
    ctx.on_iq(IqType::Get, {"urn:test", "echo"}, Addressed::ToServer, [](IqRequest& req) {
      req.reply_result({"urn:test", "echo"}).set_text(req.from().full());
    });
    ctx.on_iq(IqType::Set, {"urn:test", "refuse"}, Addressed::ToAccount,
              [](IqRequest& req) { req.reply_error(xmpp::StanzaError::not_allowed()); });
    ctx.on_iq(IqType::Get, {"urn:test", "echo"}, Addressed::Unauthenticated, [](IqRequest& req) {
      req.reply_result({"urn:test", "anonymous"});
    });
    ctx.on_iq(IqType::Get, {"urn:test", "forget"}, Addressed::ToServer, [](IqRequest&) {});
    ctx.on_iq(IqType::Get, {"urn:test", "throw"}, Addressed::ToServer,
              [](IqRequest&) -> void { throw std::runtime_error("boom"); });
  }
};

// Reads typed options the way a real module does.
struct OptionsSeen {
  std::int64_t limit = 0;
  bool verbose = false;
  std::string greeting;
};
OptionsSeen g_options_seen;

class OptionsModule final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    g_options_seen.limit = ctx.options().integer("limit", 10, 1, 100);
    g_options_seen.verbose = ctx.options().boolean("verbose", false);
    g_options_seen.greeting = ctx.options().string("greeting", "hello");
  }
};
const ModuleInfo kOptionsInfo{"opts", "reads options", []() -> std::unique_ptr<Module> {
                                return std::make_unique<OptionsModule>();
                              }};

const ModuleInfo kTestInfo{"test", "a module for tests", []() -> std::unique_ptr<Module> {
                             return std::make_unique<TestModule>();
                           }};

xmpp::StanzaPtr parse(std::string_view xml) {
  struct Sink : xmpp::StreamSink {
    void on_stream_open(const xmpp::StreamHeader&) override {}
    void on_stanza(xmpp::StanzaPtr s) override { stanza = std::move(s); }
    void on_stream_close() override {}
    void on_stream_error(const xmpp::StreamError&) override {}
    xmpp::StanzaPtr stanza;
  } sink;
  xmpp::StreamParser parser(sink);
  parser.feed(std::string("<stream:stream xmlns='jabber:client' "
                          "xmlns:stream='http://etherx.jabber.org/streams'>") +
              std::string(xml));
  return std::move(sink.stanza);
}

class ModuleHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = ModuleHost::start("example.com", {"test"}, {&kTestInfo});
    ASSERT_TRUE(started.ok()) << started.error();
    host = std::move(started).value();
  }
  xmpp::StanzaPtr dispatch(std::string_view xml, Addressed addressed = Addressed::ToServer) {
    request = parse(xml);
    xmpp::StanzaPtr reply;
    bool handled = host->dispatch_iq(request->root(), addressed, from,
                                     [&](xmpp::StanzaPtr r) { reply = std::move(r); });
    EXPECT_EQ(handled, reply != nullptr);
    return reply;
  }
  static std::optional<xmpp::StanzaCondition> condition(const xmpp::StanzaPtr& reply) {
    auto e = xmpp::StanzaError::from_stanza(reply->root());
    return e ? std::optional(e->condition) : std::nullopt;
  }

  std::unique_ptr<ModuleHost> host;
  xmpp::StanzaPtr request;
  xmpp::Jid from = xmpp::Jid::parse("juliet@example.com/balcony").value();
};

TEST_F(ModuleHostTest, DeferredAnswersArriveLaterAndADroppedOneIsAnError) {
  std::vector<xmpp::StanzaPtr> replies;
  auto sink = [&](xmpp::StanzaPtr r) { replies.push_back(std::move(r)); };
  for (const char* id : {"a", "b"}) {
    auto iq = parse(std::string("<iq type='get' id='") + id +
                    "' to='example.com'><later xmlns='urn:test'/></iq>");
    ASSERT_TRUE(host->dispatch_iq(iq->root(), Addressed::ToServer, from, sink));
  }
  EXPECT_TRUE(replies.empty());  // nothing yet: the handler deferred
  ASSERT_EQ(g_deferred.size(), 2U);
  g_deferred[0]->reply_result({"urn:test", "later"},
                              [](xmpp::Element& payload) { payload.set_text("done"); });
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_EQ(replies[0]->id(), "a");
  EXPECT_EQ(replies[0]->type(), "result");
  EXPECT_EQ(replies[0]->root().child_text("later", "urn:test"), "done");
  g_deferred.clear();  // "b" dropped unanswered
  ASSERT_EQ(replies.size(), 2U);
  EXPECT_EQ(replies[1]->id(), "b");
  EXPECT_EQ(condition(replies[1]), xmpp::StanzaCondition::InternalServerError);
}

TEST(ModuleOptionsTest, TypedValuesDefaultsAndErrorsThatNameTheirPlace) {
  using V = ModuleOptions::Value;
  // Absent keys take the defaults.
  ASSERT_TRUE(ModuleHost::start("example.com", {"opts"}, {&kOptionsInfo}).ok());
  EXPECT_EQ(g_options_seen.limit, 10);
  EXPECT_FALSE(g_options_seen.verbose);
  EXPECT_EQ(g_options_seen.greeting, "hello");

  ModuleOptionTables good{{"opts",
                           {{"limit", V{std::int64_t{42}, "t.toml:3"}},
                            {"verbose", V{true, "t.toml:4"}},
                            {"greeting", V{std::string("hi"), "t.toml:5"}}}}};
  ASSERT_TRUE(ModuleHost::start("example.com", {"opts"}, {&kOptionsInfo}, nullptr, good).ok());
  EXPECT_EQ(g_options_seen.limit, 42);
  EXPECT_TRUE(g_options_seen.verbose);
  EXPECT_EQ(g_options_seen.greeting, "hi");

  auto fails_with = [](const ModuleOptionTables& tables) {
    auto started = ModuleHost::start("example.com", {"opts"}, {&kOptionsInfo}, nullptr, tables);
    return started.ok() ? std::string("(started)") : started.error();
  };
  EXPECT_EQ(fails_with({{"opts", {{"limit", V{std::int64_t{0}, "t.toml:3"}}}}}),
            "t.toml:3: [modules.opts] limit must be an integer from 1 to 100");
  EXPECT_EQ(fails_with({{"opts", {{"verbose", V{std::string("yes"), "t.toml:4"}}}}}),
            "t.toml:4: [modules.opts] verbose must be true or false");
  EXPECT_EQ(fails_with({{"opts", {{"greeting", V{std::int64_t{1}, "t.toml:5"}}}}}),
            "t.toml:5: [modules.opts] greeting must be a string");
  EXPECT_EQ(fails_with({{"opts", {{"limt", V{std::int64_t{5}, "--set modules.opts.limt=5"}}}}}),
            "--set modules.opts.limt=5: [modules.opts] unknown option 'limt'");
}

TEST_F(ModuleHostTest, CollectsDiscoRegistrations) {
  EXPECT_EQ(host->disco_features(), std::vector<std::string>{"urn:test"});
  ASSERT_EQ(host->disco_identities().size(), 1U);
  EXPECT_EQ(host->host(), "example.com");
}

TEST_F(ModuleHostTest, DispatchesByTypeAddressAndPayload) {
  auto reply = dispatch("<iq type='get' id='1' to='example.com'><echo xmlns='urn:test'/></iq>");
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->type(), "result");
  EXPECT_EQ(reply->id(), "1");
  EXPECT_EQ(reply->root().child_text("echo", "urn:test"), "juliet@example.com/balcony");
  // Same payload, other type or address: nobody registered it.
  EXPECT_EQ(dispatch("<iq type='set' id='2'><echo xmlns='urn:test'/></iq>"), nullptr);
  EXPECT_EQ(dispatch("<iq type='get' id='3'><echo xmlns='urn:test'/></iq>", Addressed::ToAccount),
            nullptr);
  EXPECT_EQ(dispatch("<iq type='get' id='4'><echo xmlns='urn:other'/></iq>"), nullptr);
  // The same payload from a stream that has not authenticated has a handler of its own.
  auto anonymous =
      dispatch("<iq type='get' id='6'><echo xmlns='urn:test'/></iq>", Addressed::Unauthenticated);
  ASSERT_NE(anonymous, nullptr);
  EXPECT_NE(anonymous->root().child("anonymous", "urn:test"), nullptr);
  EXPECT_TRUE(host->has_unauthenticated_iqs());
  auto refused =
      dispatch("<iq type='set' id='5'><refuse xmlns='urn:test'/></iq>", Addressed::ToAccount);
  EXPECT_EQ(condition(refused), xmpp::StanzaCondition::NotAllowed);
}

TEST_F(ModuleHostTest, UnansweredAndThrowingHandlersGiveInternalServerError) {
  EXPECT_EQ(condition(dispatch("<iq type='get' id='6'><forget xmlns='urn:test'/></iq>")),
            xmpp::StanzaCondition::InternalServerError);
  EXPECT_EQ(condition(dispatch("<iq type='get' id='7'><throw xmlns='urn:test'/></iq>")),
            xmpp::StanzaCondition::InternalServerError);
}

TEST_F(ModuleHostTest, ModuleErrorsAreLoggedAndModulesLogUnderTheirName) {
  EXPECT_EQ(g_log_component, "test");
  EXPECT_EQ(host->log().component(), "modules");  // outside start(): the host's own
  std::string path = std::filesystem::temp_directory_path() /
                     ("tern-module-log-" + std::to_string(::getpid()) + ".log");
  log::Options options;
  options.destination = path;
  ASSERT_EQ(log::start(options), std::nullopt);
  dispatch("<iq type='get' id='6'><forget xmlns='urn:test'/></iq>");
  dispatch("<iq type='get' id='7'><throw xmlns='urn:test'/></iq>");
  log::stop();
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(path);
  EXPECT_NE(text.str().find(" error modules module.unanswered: a module left an IQ unanswered: "
                            "internal-server-error sent module=test ns=urn:test name=forget"),
            std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find(" error modules module.exception: a module's IQ handler threw: "
                            "internal-server-error sent module=test error=boom ns=urn:test "
                            "name=throw"),
            std::string::npos)
      << text.str();
}

TEST_F(ModuleHostTest, PayloadCountOtherThanOneIsBadRequest) {
  EXPECT_EQ(condition(dispatch("<iq type='get' id='8'/>")), xmpp::StanzaCondition::BadRequest);
  EXPECT_EQ(condition(dispatch(
                "<iq type='get' id='9'><echo xmlns='urn:test'/><echo xmlns='urn:test'/></iq>")),
            xmpp::StanzaCondition::BadRequest);
}

// XEP-0115 §5.2, example 1: the verification string of a known entity.
class ExodusModule final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx.add_disco_identity({"client", "pc", "Exodus 0.9.1"});
    for (std::string_view f :
         {"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info",
          "http://jabber.org/protocol/disco#items", "http://jabber.org/protocol/muc"}) {
      ctx.add_disco_feature(f);
    }
  }
};

TEST(ModuleHost, CapsVerMatchesXep0115Example) {
  const ModuleInfo info{
      "exodus", "", []() -> std::unique_ptr<Module> { return std::make_unique<ExodusModule>(); }};
  auto host = ModuleHost::start("example.com", {"exodus"}, {&info});
  ASSERT_TRUE(host.ok());
  EXPECT_EQ((*host)->caps_ver(), "QgayPKawpkPSDYmwT/WM94uAlu0=");
}

// XEP-0115 §5.1 step 3: extended forms (XEP-0128) count too, fields sorted by var. Expected
// value computed independently (Python: base64(sha1(S))) for S = the example's string followed
// by "urn:xmpp:http:upload:0<max-file-size<4096<zeta<z<".
class ExodusWithFormModule final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ExodusModule().start(ctx);
    ctx.add_disco_extension({"urn:xmpp:http:upload:0", {{"zeta", "z"}, {"max-file-size", "4096"}}});
  }
};

TEST(ModuleHost, CapsVerCoversExtendedForms) {
  const ModuleInfo info{"exodus", "", []() -> std::unique_ptr<Module> {
                          return std::make_unique<ExodusWithFormModule>();
                        }};
  auto host = ModuleHost::start("example.com", {"exodus"}, {&info});
  ASSERT_TRUE(host.ok());
  EXPECT_EQ((*host)->caps_ver(), "56djVjjqO7VUx2JfaFd6wFvntUc=");
  ASSERT_EQ((*host)->disco_extensions().size(), 1U);
}

// Modules whose hooks log their names as they run; each registers at one stage, and may throw.
std::vector<std::string> g_ran;
template <HookStage kStage, bool kThrows>
class StagedModule final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    std::string name(ctx.log().component());
    ctx.on_inbound(xmpp::StanzaKind::Message, kStage, [name](xmpp::StanzaPtr&) {
      g_ran.push_back(name);
      if (kThrows) {
        throw std::runtime_error("hook failed");
      }
      return Verdict::Continue;
    });
  }
};
template <HookStage kStage, bool kThrows = false>
const ModuleInfo* staged(std::string_view name) {
  static std::deque<ModuleInfo> infos;  // stable addresses, one per name
  infos.push_back(ModuleInfo{name, "staged", []() -> std::unique_ptr<Module> {
                               return std::make_unique<StagedModule<kStage, kThrows>>();
                             }});
  return &infos.back();
}

// Hooks run by stage whatever the order of [modules] enabled (and, within a stage, in that
// order): a reordered list cannot put storage before a refusal.
TEST(ModuleHost, HooksRunByStageNotByTheEnabledOrder) {
  const std::vector<const ModuleInfo*> available = {
      staged<HookStage::Handle>("store"), staged<HookStage::Observe>("copy"),
      staged<HookStage::Observe>("notify"), staged<HookStage::Refuse>("block"),
      staged<HookStage::Rewrite>("strip")};
  for (const std::vector<std::string>& enabled :
       {std::vector<std::string>{"store", "copy", "notify", "block", "strip"},
        std::vector<std::string>{"block", "strip", "copy", "notify", "store"}}) {
    auto host = ModuleHost::start("example.com", enabled, available);
    ASSERT_TRUE(host.ok()) << host.error();
    g_ran.clear();
    xmpp::StanzaPtr message = parse("<message to='a@example.com'><body>x</body></message>");
    EXPECT_EQ((*host)->run_inbound(message), Verdict::Continue);
    EXPECT_EQ(g_ran, (std::vector<std::string>{"block", "strip", "copy", "notify", "store"}));
  }
}

// A hook that throws is logged and skipped, but a refusal that throws drops the stanza.
TEST(ModuleHost, AThrowingHookIsSkippedButAThrowingRefusalDrops) {
  const std::vector<const ModuleInfo*> available = {staged<HookStage::Observe, true>("flaky"),
                                                    staged<HookStage::Handle>("store"),
                                                    staged<HookStage::Refuse, true>("guard")};
  auto skipped = ModuleHost::start("example.com", {"flaky", "store"}, available);
  ASSERT_TRUE(skipped.ok()) << skipped.error();
  g_ran.clear();
  xmpp::StanzaPtr message = parse("<message to='a@example.com'/>");
  EXPECT_EQ((*skipped)->run_inbound(message), Verdict::Continue);
  EXPECT_EQ(g_ran, (std::vector<std::string>{"flaky", "store"}));

  auto dropped = ModuleHost::start("example.com", {"guard", "store"}, available);
  ASSERT_TRUE(dropped.ok()) << dropped.error();
  g_ran.clear();
  message = parse("<message to='a@example.com'/>");
  EXPECT_EQ((*dropped)->run_inbound(message), Verdict::Handled);
  EXPECT_EQ(message, nullptr);
  EXPECT_EQ(g_ran, (std::vector<std::string>{"guard"}));
}

// Two modules for one IQ payload: the second would silently win; the host refuses to start.
TEST(ModuleHost, TwoHandlersForOneIqAreRefusedNamingBoth) {
  const ModuleInfo twin{"twin", "a second ping",
                        []() -> std::unique_ptr<Module> { return std::make_unique<TestModule>(); }};
  auto started = ModuleHost::start("example.com", {"test", "twin"}, {&kTestInfo, &twin});
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error(),
            "modules 'test' and 'twin' both handle IQ get <later xmlns='urn:test'/>: enable only "
            "one of them");
}

// A module's timer runs every period on the worker's tick, from the first tick it sees; one that
// throws is logged and does not stop the others.
int g_ticks = 0;
class TimerModule final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx.every(std::chrono::seconds(3), [] { ++g_ticks; });
    ctx.every(std::chrono::seconds(1), []() -> void { throw std::runtime_error("tick"); });
  }
};

TEST(ModuleHost, TimersRunEveryPeriod) {
  const ModuleInfo info{"timer", "ticks", []() -> std::unique_ptr<Module> {
                          return std::make_unique<TimerModule>();
                        }};
  auto host = ModuleHost::start("example.com", {"timer"}, {&info});
  ASSERT_TRUE(host.ok()) << host.error();
  g_ticks = 0;
  std::vector<int> seen;
  for (std::uint64_t now = 100; now <= 110; ++now) {
    (*host)->run_timers(now);
    seen.push_back(g_ticks);
  }
  // Scheduled at 100 for 103, then 106 and 109.
  EXPECT_EQ(seen, (std::vector<int>{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3}));
}

// A request "to my own account" may spell the bare JID any way the JID rules equate (RFC 7622
// prepares the localpart and domain); a full JID or another account is not the sender's own.
TEST(IqRequest, ToOwnAccountAcceptsEverySpellingOfTheSendersBareJid) {
  const xmpp::Jid from = xmpp::Jid::parse("juliet@example.com/balcony").value();
  const std::vector<std::pair<std::string, bool>> cases = {{"", true},
                                                           {"juliet@example.com", true},
                                                           {"Juliet@EXAMPLE.com", true},
                                                           {"juliet@example.com/balcony", false},
                                                           {"romeo@example.com", false},
                                                           {"example.com", false}};
  for (const auto& [to, own] : cases) {
    xmpp::StanzaPtr iq = parse("<iq type='get' id='1'" + (to.empty() ? "" : " to='" + to + "'") +
                               "><query xmlns='urn:test'/></iq>");
    IqRequest request(iq->root(), *iq->root().first_child(), from);
    EXPECT_EQ(request.to_own_account(), own) << to;
    request.reply_result();
  }
}

// What modules share across workers: one object per key, whoever asks first creating it; a key
// asked for with another type is a programming error.
TEST(SharedStates, OneObjectPerKeyAndType) {
  SharedStates states;
  int made = 0;
  auto make = [&] {
    ++made;
    return std::static_pointer_cast<void>(std::make_shared<int>(7));
  };
  auto a = states.get("offline/marks", typeid(int), make);
  auto b = states.get("offline/marks", typeid(int), make);
  EXPECT_EQ(a, b);
  EXPECT_EQ(made, 1);
  EXPECT_NE(states.get("push/marks", typeid(int), make), a);
  EXPECT_THROW(states.get("offline/marks", typeid(double), make), std::logic_error);
}

TEST(ModuleHost, UnknownModuleIsRefused) {
  auto started = ModuleHost::start("example.com", {"test", "nope"}, {&kTestInfo});
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error(), "unknown module 'nope' in [modules] enabled");
}

TEST(ModuleHost, AModuleListedTwiceIsRefused) {
  auto started = ModuleHost::start("example.com", {"test", "test"}, {&kTestInfo});
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error(), "module 'test' is listed more than once in [modules] enabled");
}

// --- Modules that use each other's services ---

// What the provider offers: a counter the user reads in its start().
class Counter {
 public:
  virtual ~Counter() = default;
  virtual int next() = 0;
};
std::vector<std::string> g_started;
std::vector<std::string> g_stopped;
int g_seen_by_user = -1;

class CounterProvider final : public Module, public Counter {
 public:
  void start(ModuleContext& ctx) override {
    g_started.emplace_back("counter");
    ctx.provide<Counter>(*this);
  }
  void stop() override { g_stopped.emplace_back("counter"); }
  int next() override { return ++n_; }

 private:
  int n_ = 41;
};
// Uses "counter" (required or optional as its ModuleInfo says); asks for `asked`.
template <bool kAskUndeclared>
class CounterUser final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    g_started.emplace_back("user");
    Counter* counter = ctx.service<Counter>(kAskUndeclared ? "other" : "counter");
    g_seen_by_user = counter != nullptr ? counter->next() : 0;
  }
  void stop() override { g_stopped.emplace_back("user"); }
};
const ModuleInfo kCounterInfo{"counter", "provides", []() -> std::unique_ptr<Module> {
                                return std::make_unique<CounterProvider>();
                              }};
const ModuleInfo kUserInfo{
    "user",
    "needs counter",
    []() -> std::unique_ptr<Module> { return std::make_unique<CounterUser<false>>(); },
    {"counter"}};
const ModuleInfo kOptionalUserInfo{
    "user",
    "may use counter",
    []() -> std::unique_ptr<Module> { return std::make_unique<CounterUser<false>>(); },
    {"counter?"}};
const ModuleInfo kSneakyUserInfo{
    "user",
    "asks for a module it did not name",
    []() -> std::unique_ptr<Module> { return std::make_unique<CounterUser<true>>(); },
    {"counter"}};

// The provider starts first whatever the enabled order, its user gets its service, and they stop
// in the reverse order (the user before what it uses).
TEST(ModuleHost, ProvidersStartBeforeTheirUsersAndStopAfter) {
  g_started.clear();
  g_stopped.clear();
  g_seen_by_user = -1;
  auto host = ModuleHost::start("example.com", {"user", "counter"}, {&kUserInfo, &kCounterInfo});
  ASSERT_TRUE(host.ok()) << host.error();
  EXPECT_EQ(g_started, (std::vector<std::string>{"counter", "user"}));
  EXPECT_EQ(g_seen_by_user, 42);
  host->reset();
  EXPECT_EQ(g_stopped, (std::vector<std::string>{"user", "counter"}));
}

// A module whose required module is not enabled stops the server, naming both.
TEST(ModuleHost, AMissingRequiredModuleIsRefusedNamingBoth) {
  auto host = ModuleHost::start("example.com", {"user"}, {&kUserInfo, &kCounterInfo});
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.error().find("'user' needs module 'counter'"), std::string::npos) << host.error();
}

// An optional use ("counter?") of a module not enabled gets no service, and starts.
TEST(ModuleHost, AnOptionalModuleNotEnabledGivesNoService) {
  g_seen_by_user = -1;
  auto host = ModuleHost::start("example.com", {"user"}, {&kOptionalUserInfo, &kCounterInfo});
  ASSERT_TRUE(host.ok()) << host.error();
  EXPECT_EQ(g_seen_by_user, 0);
  auto both =
      ModuleHost::start("example.com", {"user", "counter"}, {&kOptionalUserInfo, &kCounterInfo});
  ASSERT_TRUE(both.ok()) << both.error();
  EXPECT_EQ(g_seen_by_user, 42);
}

// A module cannot reach a service it did not declare: the dependency is always written down.
TEST(ModuleHost, AServiceOfAnUndeclaredModuleIsRefused) {
  EXPECT_THROW((void)ModuleHost::start("example.com", {"counter", "user"},
                                       {&kSneakyUserInfo, &kCounterInfo}),
               std::logic_error);
}

// Modules that need each other cannot start.
TEST(ModuleHost, ModulesThatNeedEachOtherAreRefused) {
  const ModuleInfo a{
      "a",
      "needs b",
      []() -> std::unique_ptr<Module> { return std::make_unique<CounterProvider>(); },
      {"b"}};
  const ModuleInfo b{
      "b",
      "needs a",
      []() -> std::unique_ptr<Module> { return std::make_unique<CounterProvider>(); },
      {"a"}};
  auto host = ModuleHost::start("example.com", {"a", "b"}, {&a, &b});
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.error().find("circle"), std::string::npos) << host.error();
}

// Session and account events reach the modules that asked, in stage order.
TEST(ModuleHost, SessionAndAccountEventsReachTheirHooks) {
  static std::vector<std::string> seen;
  class Watcher final : public Module {
   public:
    void start(ModuleContext& ctx) override {
      ctx.on_session_started(HookStage::Observe, [](const SessionEvent& e) {
        seen.push_back("started " + std::string(e.jid.full()));
      });
      ctx.on_session_ended(HookStage::Observe, [](const SessionEvent& e) {
        seen.push_back("ended " + std::string(e.jid.full()));
      });
      ctx.on_account_online(HookStage::Observe, [](const AccountEvent& e) {
        seen.push_back("online " + std::string(e.bare_jid));
      });
      ctx.on_account_offline(HookStage::Observe, [](const AccountEvent& e) {
        seen.push_back("offline " + std::string(e.bare_jid));
      });
    }
  };
  const ModuleInfo watcher{"watcher", "watches",
                           []() -> std::unique_ptr<Module> { return std::make_unique<Watcher>(); }};
  auto host = ModuleHost::start("example.com", {"watcher"}, {&watcher});
  ASSERT_TRUE(host.ok()) << host.error();
  xmpp::Jid full = xmpp::Jid::parse("juliet@example.com/balcony").value();
  (*host)->run_account_online(full.bare_view());
  (*host)->run_session_started(full);
  (*host)->run_session_ended(full);
  (*host)->run_account_offline(full.bare_view());
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "online juliet@example.com", "started juliet@example.com/balcony",
                      "ended juliet@example.com/balcony", "offline juliet@example.com"}));
}

}  // namespace
}  // namespace tern::core
