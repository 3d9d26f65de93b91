// SPDX-License-Identifier: MIT
// XEP-0012 Last Activity: how long ago an account's last session ended (§4, asked of the
// account's bare JID, answered by the server only to those who may see the account's presence),
// and the server's uptime (§5). The example of docs/module-guide.md: a store of its own, a
// service of another module (the roster's "may A see B's presence"), an account event and a timer.
//
// Logouts are written once a second, all of them in one store write: a storm of reconnects costs
// the writer one entry per second, not one per logout. Those not yet written are still answered
// from memory on this worker, and stop() writes what is left (the server commits it on the way
// out). [modules.last_activity] max_pending bounds what waits in memory: a worker that sees more
// logouts within the second writes them at once instead of waiting for the timer.
#include <chrono>
#include <string>
#include <unordered_map>

#include "modules/services/roster_service.h"
#include "tern/module_api.h"
#include "tern/record.h"

namespace tern::modules {
namespace {

constexpr std::string_view kLastNs = "jabber:iq:last";

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// One record per account, under the per-account key "bare JID \0": when its last session ended.
std::string key(std::string_view bare_jid) {
  std::string k(bare_jid);
  k += '\0';
  return k;
}

class LastActivity final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    store_ = ctx.open_store("last_activity");
    roster_ = ctx.service<roster::RosterService>("roster");
    started_ = unix_now();
    max_pending_ =
        static_cast<std::size_t>(ctx.options().integer("max_pending", 10000, 1, 1000000));
    ctx.add_disco_feature(kLastNs);
    ctx.on_iq(IqType::Get, {kLastNs, "query"}, Addressed::ToAccount,
              [this](IqRequest& req) { account_query(req); });
    ctx.on_iq(IqType::Get, {kLastNs, "query"}, Addressed::ToServer,
              [this](IqRequest& req) { answer(req, unix_now() - started_); });  // §5: uptime
    ctx.on_account_offline(HookStage::Observe, [this](const AccountEvent& e) {
      logouts_[key(e.bare_jid)] = unix_now();
      if (logouts_.size() >= max_pending_) {
        write_logouts();  // bounded memory: this batch does not wait for the timer
      }
    });
    ctx.on_account_deleted(HookStage::Observe,
                           [this](const AccountDeleted& e) { logouts_.erase(key(e.bare_jid)); });
    ctx.every(std::chrono::seconds(1), [this] { write_logouts(); });
  }
  void stop() override { write_logouts(); }

 private:
  void account_query(IqRequest& req) {
    std::string owner(req.to() ? req.to()->bare_view() : req.from().bare_view());
    if (!roster_->may_see_presence(req.from(), owner)) {
      return req.reply_error(xmpp::StanzaError::forbidden());  // §4: not authorized
    }
    if (!ctx_->resources(owner).empty()) {
      return answer(req, 0);  // online now
    }
    std::optional<std::uint64_t> ended;
    if (auto pending = logouts_.find(key(owner)); pending != logouts_.end()) {
      ended = pending->second;
    } else if (auto txn = ctx_->read()) {
      if (auto record = txn->get(store_, key(owner))) {
        record::Reader reader(*record);
        std::uint64_t at = reader.u64();
        ended = reader.ok() ? std::optional(at) : std::nullopt;
      }
    }
    if (!ended) {
      return req.reply_error(xmpp::StanzaError::item_not_found());  // never seen offline
    }
    std::uint64_t now = unix_now();
    answer(req, now > *ended ? now - *ended : 0);
  }

  static void answer(IqRequest& req, std::uint64_t seconds) {
    req.reply_result({kLastNs, "query"}).set_attr("seconds", std::to_string(seconds));
  }

  void write_logouts() {
    std::unordered_map<std::string, std::uint64_t> batch;
    for (auto& [k, at] : logouts_) {
      if (ctx_->account_exists(std::string_view(k).substr(0, k.size() - 1))) {
        batch.emplace(k, at);  // a deleted account's sessions end after its records went
      }
    }
    logouts_.clear();
    if (batch.empty()) {
      return;
    }
    ctx_->write(
        [batch = std::move(batch), store = store_](WriteTxn& txn) -> Result<void, StoreError> {
          for (const auto& [k, at] : batch) {
            std::string value;
            record::put_u64(value, at);
            if (auto put = txn.put(store, k, value); !put) {
              return put;
            }
          }
          return {};
        },
        [](bool /*ok*/) {});  // a lost write loses a time, never a message: nothing to retry
  }

  ModuleContext* ctx_ = nullptr;
  StoreId store_;
  roster::RosterService* roster_ = nullptr;
  std::uint64_t started_ = 0;
  std::size_t max_pending_ = 10000;
  std::unordered_map<std::string, std::uint64_t> logouts_;  // key(bare JID) → when, unwritten
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(LastActivity, last_activity, "XEP-0012 last activity of accounts and uptime", "roster")
