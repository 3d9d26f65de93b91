// SPDX-License-Identifier: MIT
// The BOSH endpoint (XEP-0124, XEP-0206) at [http] bosh_path: each worker's BoshService answers
// the requests its HTTP connections receive. A session lives on the worker whose connection
// created it; a request that lands on another worker (a client's two HTTP connections are
// accepted independently) is parsed there, posted to the session's worker, and its answer
// posted back. The exchange never leaves its own worker: the session's side knows it only by a
// token.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/http/bosh_session.h"
#include "core/net/connection.h"
#include "tern/http.h"
#include "xmpp/parser_limits.h"

namespace tern::core::http {

class BoshService;

// Which worker holds each session, for every worker (the one lock of BOSH: taken once per
// request, never per stanza).
class BoshDirectory {
 public:
  using Post = std::function<void(unsigned worker, std::function<void()> task)>;
  BoshDirectory(unsigned workers, Post post)
      : services_(workers, nullptr), post_(std::move(post)) {}

  // Before the workers start.
  void attach(unsigned worker, BoshService* service) { services_.at(worker) = service; }
  BoshService* service(unsigned worker) const { return services_.at(worker); }
  void post(unsigned worker, std::function<void()> task) const { post_(worker, std::move(task)); }

  std::optional<unsigned> owner(const std::string& sid) const;
  void add(const std::string& sid, unsigned worker);
  void remove(const std::string& sid);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, unsigned> owners_;
  std::vector<BoshService*> services_;
  Post post_;
};

class BoshService {
 public:
  // `consider_secure`: a plain request counts as encrypted ([http] consider_websocket_secure,
  // behind a TLS proxy).
  BoshService(unsigned worker, uv_loop_t* loop, BoshDirectory& directory, net::ConnectionEnv& xmpp,
              const BoshOptions& options, std::uint64_t max_body_bytes, bool consider_secure);
  BoshService(const BoshService&) = delete;
  BoshService& operator=(const BoshService&) = delete;

  // The endpoint, as a route: POST with a buffered body, CORS for web clients.
  const HttpRoute& route() const { return route_; }
  // Server shutdown: the sessions of this worker close, waiting requests are dropped.
  void shutdown();

 private:
  void handle(const std::shared_ptr<HttpExchange>& exchange);
  void create(const BoshRequest& request, const HttpRequest& http, bool secure,
              std::uint64_t token);
  // On the session's worker.
  void on_request(const std::string& sid, BoshRequest request, bool secure, unsigned origin,
                  std::uint64_t token);
  // How the session answers a request that came in on worker `origin`.
  BoshSession::Answer answer_to(unsigned origin, std::uint64_t token);
  // On the request's worker.
  void respond(std::uint64_t token, int status, std::string body);

  unsigned worker_;
  uv_loop_t* loop_;
  BoshDirectory& directory_;
  net::ConnectionEnv& xmpp_;
  const BoshOptions& options_;
  HttpRoute route_;
  std::unordered_map<std::string, BoshSession*> sessions_;  // those living on this worker
  // Requests received here, waiting for their session's answer, by token.
  std::unordered_map<std::uint64_t, std::shared_ptr<HttpExchange>> waiting_;
  std::uint64_t last_token_ = 0;
  std::uint64_t last_session_ = 0;
  bool consider_secure_;
};

}  // namespace tern::core::http
