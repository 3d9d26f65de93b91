// SPDX-License-Identifier: MIT
#include "modules/phone/contact_discovery.h"

#include <charconv>
#include <memory>
#include <string>
#include <vector>

#include "modules/phone/phone_number.h"
#include "modules/phone/phone_store.h"
#include "modules/phone/signup.h"

namespace tern::modules::phone {
namespace {

// "DAY|COUNT" (DAY: days since the epoch, UTC).
std::pair<std::int64_t, std::uint64_t> read_counter(std::optional<std::string_view> bytes) {
  if (!bytes) {
    return {0, 0};
  }
  const std::size_t bar = bytes->find('|');
  std::int64_t day = 0;
  std::uint64_t count = 0;
  if (bar == std::string_view::npos ||
      std::from_chars(bytes->data(), bytes->data() + bar, day).ec != std::errc{} ||
      std::from_chars(bytes->data() + bar + 1, bytes->data() + bytes->size(), count).ec !=
          std::errc{}) {
    return {0, 0};
  }
  return {day, count};
}

}  // namespace

ContactDiscovery::ContactDiscovery(ModuleContext& ctx, StoreId index, StoreId counters,
                                   std::uint64_t per_day)
    : ctx_(ctx), index_(index), counters_(counters), per_day_(per_day), log_(ctx.log()) {}

void ContactDiscovery::on_query(IqRequest& req) {
  std::vector<std::string> hashes;
  for (const xmpp::Element& item : req.payload().children()) {
    if (item.name() != "item" || item.ns() != kContactsNs) {
      continue;
    }
    auto key = contact_hash_key(item.attr("hash"));
    if (!key) {
      return req.reply_error(
          xmpp::StanzaError::bad_request("each hash is 20 hex digits (docs/phone-signup.md)"));
    }
    hashes.push_back(std::move(*key));
  }
  if (hashes.empty()) {
    return req.reply_error(xmpp::StanzaError::bad_request("no <item hash='…'/> to look up"));
  }
  if (hashes.size() > kMaxHashesPerRequest) {
    return req.reply_error(xmpp::StanzaError::not_acceptable(
        "at most " + std::to_string(kMaxHashesPerRequest) + " numbers per request"));
  }
  struct Outcome {
    std::vector<std::pair<std::string, std::string>> matches;  // hash, E.164
    bool refused = false;
    std::uint64_t left = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  const std::string bare(req.from().bare_view());
  std::shared_ptr<DeferredIq> answer = req.defer();
  ctx_.write(
      [index = index_, counters = counters_, per_day = per_day_, key = bare + '\0',
       host = std::string(ctx_.host()), hashes = std::move(hashes),
       outcome](WriteTxn& txn) -> Result<void, StoreError> {
        const std::int64_t today = unix_now() / 86400;
        auto [day, count] = read_counter(txn.get(counters, key));
        if (day != today) {
          count = 0;
        }
        if (count + hashes.size() > per_day) {
          outcome->refused = true;
          outcome->left = per_day > count ? per_day - count : 0;
          return {};
        }
        for (const std::string& hash : hashes) {
          if (auto e164 = txn.get(index, index_key(host, hash))) {
            outcome->matches.emplace_back(hash, std::string(*e164));
          }
        }
        return txn.put(counters, key,
                       std::to_string(today) + "|" + std::to_string(count + hashes.size()));
      },
      [this, answer, outcome, bare](StoreStatus status) {
        if (!status) {
          return answer->reply_error(xmpp::StanzaError::internal_server_error());
        }
        if (outcome->refused) {
          log_.warn("limit.refused", "contact discovery refused: discovery_per_day",
                    {{"jid", bare}, {"limit", per_day_}});
          return answer->reply_error(xmpp::StanzaError::policy_violation(
              "the daily limit of numbers looked up is reached (" + std::to_string(outcome->left) +
              " left today)"));
        }
        answer->reply_result({kContactsNs, "query"}, [&](xmpp::Element& query) {
          for (const auto& [hash, e164] : outcome->matches) {
            const std::string jid = number_localpart(e164) + "@" + std::string(ctx_.host());
            if (!ctx_.account_exists(jid)) {
              continue;  // deleted outside the server (ternctl deluser): not a contact
            }
            query.add_child("item", kContactsNs).set_attr("hash", hash).set_attr("jid", jid);
          }
        });
      });
}

}  // namespace tern::modules::phone
