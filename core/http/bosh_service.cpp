// SPDX-License-Identifier: MIT
#include "core/http/bosh_service.h"

#include "log/logger.h"
#include "xmpp/random_ids.h"

namespace tern::core::http {
namespace {

const log::Logger kLog("http");

}  // namespace

std::optional<unsigned> BoshDirectory::owner(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  auto it = owners_.find(sid);
  return it == owners_.end() ? std::nullopt : std::optional(it->second);
}

void BoshDirectory::add(const std::string& sid, unsigned worker) {
  std::lock_guard lock(mutex_);
  owners_.insert_or_assign(sid, worker);
}

void BoshDirectory::remove(const std::string& sid) {
  std::lock_guard lock(mutex_);
  owners_.erase(sid);
}

BoshService::BoshService(unsigned worker, uv_loop_t* loop, BoshDirectory& directory,
                         net::ConnectionEnv& xmpp, const BoshOptions& options,
                         std::uint64_t max_body_bytes, bool consider_secure)
    : worker_(worker),
      loop_(loop),
      directory_(directory),
      xmpp_(xmpp),
      options_(options),
      consider_secure_(consider_secure) {
  route_.path = options.path;
  route_.methods = {"POST"};
  route_.max_body_bytes = max_body_bytes;
  route_.cors = true;
  route_.handler = [this](const std::shared_ptr<HttpExchange>& exchange) { handle(exchange); };
  directory_.attach(worker, this);
}

void BoshService::handle(const std::shared_ptr<HttpExchange>& exchange) {
  const HttpRequest& http = exchange->request();
  // A body is parsed whole: the stanza limits apply to it as to one element, widened to the
  // body size (a client batches several stanzas); each child is held to the stanza limit by the
  // c2s connection that reads it. ([limits] are read here: the worker sets them after this
  // service is built.)
  xmpp::ParserLimits limits = xmpp_.options.limits;
  limits.max_stanza_bytes = route_.max_body_bytes;
  auto parsed = parse_bosh_request(http.body, limits);
  const std::uint64_t token = ++last_token_;
  waiting_.emplace(token, exchange);
  if (!parsed) {
    kLog.warn("limit.refused", "BOSH request refused: not a valid <body/>",
              {{"peer", http.peer}, {"reason", parsed.error()}});
    return respond(token, 400, bosh_terminate_body("bad-request"));
  }
  const bool secure = http.secure || consider_secure_;
  if (parsed->sid.empty()) {
    return create(*parsed, http, secure, token);
  }
  const std::string sid = parsed->sid;
  auto owner = directory_.owner(sid);
  if (!owner) {
    kLog.info("bosh.refused", "BOSH request for no session", {{"peer", http.peer}});
    return respond(token, 404, bosh_terminate_body("item-not-found"));
  }
  kLog.debug("bosh.request", "BOSH request",
             {{"peer", http.peer},
              {"worker", static_cast<std::int64_t>(worker_)},
              {"owner", static_cast<std::int64_t>(*owner)}});
  if (*owner == worker_) {
    return on_request(sid, std::move(*parsed), secure, worker_, token);
  }
  directory_.post(*owner, [service = directory_.service(*owner), sid, request = std::move(*parsed),
                           secure, origin = worker_, token]() mutable {
    service->on_request(sid, std::move(request), secure, origin, token);
  });
}

void BoshService::create(const BoshRequest& request, const HttpRequest& http, bool secure,
                         std::uint64_t token) {
  if (request.to.empty()) {
    kLog.warn("limit.refused", "BOSH session refused: no 'to'", {{"peer", http.peer}});
    return respond(token, 400, bosh_terminate_body("bad-request"));
  }
  BoshSession::Start start;
  start.sid = xmpp::random_hex(16);  // 128 bits: the sid is the session's only credential
  start.label = std::to_string(worker_) + ".b" + std::to_string(++last_session_);
  start.ip = http.peer;
  start.peer = http.peer;
  start.secure = secure;
  const std::string sid = start.sid;
  directory_.add(sid, worker_);
  BoshSession* session = BoshSession::create(loop_, xmpp_, options_, std::move(start), request,
                                             answer_to(worker_, token), [this, sid] {
                                               sessions_.erase(sid);
                                               directory_.remove(sid);
                                             });
  if (session == nullptr) {
    directory_.remove(sid);
    return;
  }
  sessions_.emplace(sid, session);
}

void BoshService::on_request(const std::string& sid, BoshRequest request, bool secure,
                             unsigned origin, std::uint64_t token) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) {  // ended meanwhile
    return answer_to(origin, token)(404, bosh_terminate_body("item-not-found"));
  }
  it->second->on_request(std::move(request), secure, answer_to(origin, token));
}

BoshSession::Answer BoshService::answer_to(unsigned origin, std::uint64_t token) {
  return [this, origin, token](int status, std::string body) {
    if (origin == worker_) {
      return respond(token, status, std::move(body));
    }
    directory_.post(origin, [service = directory_.service(origin), token, status,
                             body = std::move(body)]() mutable {
      service->respond(token, status, std::move(body));
    });
  };
}

void BoshService::respond(std::uint64_t token, int status, std::string body) {
  auto it = waiting_.find(token);
  if (it == waiting_.end()) {
    return;
  }
  std::shared_ptr<HttpExchange> exchange = std::move(it->second);
  waiting_.erase(it);
  if (exchange->closed() || exchange->responded()) {
    return;  // the client went away; a repeated rid gets this answer again
  }
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.header("Content-Type", "text/xml; charset=utf-8");
  response.header("Cache-Control", "no-store");
  exchange->respond(std::move(response));
}

void BoshService::shutdown() {
  std::vector<BoshSession*> open;
  for (const auto& [sid, session] : sessions_) {
    directory_.remove(sid);
    open.push_back(session);
  }
  sessions_.clear();
  for (BoshSession* session : open) {
    session->shutdown();
  }
  waiting_.clear();
}

}  // namespace tern::core::http
