// SPDX-License-Identifier: MIT
// XEP-0198 across workers: a session whose connection is gone waits (detached) on its worker
// until it is resumed or its window passes; a resumption, on whichever worker the new connection
// landed, takes the old session's state there and leaves a forwarding note behind for stanzas
// already on their way.
#include <mutex>

#include "core/server/worker_host.h"
#include "core/server/worker_state.h"

namespace tern::core {

std::string Server::WorkerHost::register_resumable(c2s::C2sSession& session) {
  std::string id = random_hex(16);
  std::lock_guard lock(server_.resumable_mutex_);
  server_.resumable_[id] = Resumable{SessionHandle{worker_id_, session.owner_id()},
                                     std::string(session.jid().bare_view())};
  return id;
}

void Server::WorkerHost::on_detached(c2s::C2sSession& session) {
  WorkerState& ws = *server_.workers_[worker_id_];
  net::Connection* connection = ws.connections.find(session.owner_id());
  if (connection == nullptr || !connection->has_session()) {
    return;
  }
  std::uint64_t now = uv_now(ws.worker.loop()) / 1000;
  // Modules see it (XEP-0357 pushes for a device whose connection is gone).
  server_.sessions_->set_flag(session.jid(), kDetachedFlag, true);
  ws.detached[session.owner_id()] = WorkerState::DetachedSession{
      connection->release_session(), now + server_.config_.resume_timeout.count()};
}

void Server::WorkerHost::on_unacked_overflow(c2s::C2sSession& session) {
  // Called while the session takes a delivery: it ends on the next turn of the loop, wherever it
  // is then (its ids never repeat, so a session found under them is this one).
  WorkerState& ws = *server_.workers_[worker_id_];
  ws.worker.post([&ws, id = session.owner_id(), overflowing = &session] {
    if (auto it = ws.detached.find(id);
        it != ws.detached.end() && it->second.session.get() == overflowing) {
      std::unique_ptr<c2s::C2sSession> ended = std::move(it->second.session);
      ws.detached.erase(it);
      ended->end_for_unacked_overflow();  // its stanzas go to the offline queue
      return;
    }
    net::Connection* connection = ws.connections.find(id);
    if (connection != nullptr && connection->has_session() &&
        &connection->session() == overflowing) {
      overflowing->end_for_unacked_overflow();
      connection->flush();
    }  // otherwise it was resumed elsewhere or has ended meanwhile
  });
}

void Server::WorkerHost::resume(c2s::C2sSession& session, std::string_view previd) {
  SessionHandle to{worker_id_, session.owner_id()};
  std::optional<SessionHandle> from;
  {
    std::lock_guard lock(server_.resumable_mutex_);
    auto it = server_.resumable_.find(std::string(previd));
    // Only the account that owns the session may resume it.
    if (it != server_.resumable_.end() && it->second.bare_jid == session.jid().bare_view()) {
      from = it->second.handle;
    }
  }
  if (!from) {
    return session.resume_failed();
  }
  // The old session lives on its own worker: take its state there, then come back here.
  std::string id(previd);
  Server& server = server_;
  auto fail_here = [&server, to] {
    server.sessions_->visit(to, [](c2s::C2sSession& s, net::Connection* c) {
      s.resume_failed();
      if (c != nullptr) {
        c->flush();
      }
    });
  };
  server_.sessions_->visit(
      *from,
      [&server, from = *from, to, id, fail_here](c2s::C2sSession& old, net::Connection* live) {
        WorkerState& home = *server.workers_[from.worker];
        if (live != nullptr) {
          // The old connection is not dead yet as far as we knew: it is now.
          live->abort("resumed-elsewhere");
        }
        auto it = home.detached.find(from.connection);
        if (it == home.detached.end() || it->second.session.get() != &old) {
          return fail_here();
        }
        xmpp::Jid jid = old.jid();
        if (!server.sessions_->rehome(jid, from, to)) {
          return fail_here();
        }
        server.sessions_->set_flag(jid, kDetachedFlag, false);
        auto sm = std::make_shared<c2s::StreamManagement>(old.take_stream_management());
        home.detached.erase(it);  // dropped without ending: the session lives on elsewhere
        std::uint64_t now = uv_now(home.worker.loop()) / 1000;
        home.moved[from.connection] = WorkerState::Moved{to, now + 60};
        {
          std::lock_guard lock(server.resumable_mutex_);
          server.resumable_[id].handle = to;
        }
        server.sessions_->visit(
            to,
            [jid, sm, id](c2s::C2sSession& fresh, net::Connection* c) {
              fresh.resume_succeeded(jid, std::move(*sm), id);
              if (c != nullptr) {
                c->flush();
              }
            },
            [&server, to, sm] {
              // The new connection is gone too: its messages are re-routed like any session's.
              server.workers_[to.worker]->host.reroute_unacked(sm->take_unacked());
            });
      },
      fail_here);
}

}  // namespace tern::core
