// SPDX-License-Identifier: MIT
#include "core/server/local_sessions.h"

#include <deque>

#include "core/server/worker_state.h"

namespace tern::core {

void Server::LocalSessions::visit(SessionHandle handle, SessionTask fn,
                                  std::function<void()> gone) {
  if (handle.worker >= server_.workers_.size()) {
    return;
  }
  WorkerState* ws = server_.workers_[handle.worker].get();
  auto run = [this, ws, handle, fn = std::move(fn), gone = std::move(gone)]() mutable {
    net::Connection* connection = ws->connections.find(handle.connection);
    if (connection != nullptr && connection->has_session()) {
      return fn(connection->session(), connection);
    }
    if (auto detached = ws->detached.find(handle.connection); detached != ws->detached.end()) {
      return fn(*detached->second.session, nullptr);
    }
    if (auto moved = ws->moved.find(handle.connection); moved != ws->moved.end()) {
      // Resumed elsewhere a moment ago: what was on its way follows it.
      return visit(moved->second.to, std::move(fn), std::move(gone));
    }
    if (gone) {
      gone();
    }
  };
  if (ws->worker.on_this_thread()) {
    run();
  } else {
    ws->worker.post(std::move(run));
  }
}

void Server::LocalSessions::deliver(SessionHandle handle, xmpp::StanzaPtr stanza) {
  // std::function needs a copyable callable: the stanza rides in a shared_ptr, still owned by
  // exactly one task.
  std::shared_ptr<xmpp::Stanza> shared(stanza.release());
  auto reroute = [this, handle, shared] { reroute_from_ended(handle, shared); };
  auto deliver = [shared, reroute](c2s::C2sSession& session, net::Connection* connection) {
    if (session.state() == c2s::SessionState::Closed) {
      return reroute();  // ended, its connection still closing
    }
    bool kept = session.deliver(*shared);
    if (connection == nullptr) {
      return;
    }
    if (!kept && shared->receipt()) {
      // No stream management: handed to the socket is as delivered as it gets.
      connection->after_written([receipt = shared->receipt()](bool ok) {
        if (ok) {
          receipt->delivered();
        }
      });
    }
    connection->flush_soon();
  };
  visit(handle, std::move(deliver), std::move(reroute));
}

void Server::LocalSessions::write_prepared(WorkerState& ws, const xmpp::PreparedStanza& stanza,
                                           const std::vector<Addressee>& addressees) {
  for (const Addressee& a : addressees) {
    net::Connection* connection = ws.connections.find(a.handle.connection);
    if (connection != nullptr && connection->has_session() &&
        connection->session().state() == c2s::SessionState::Established) {
      c2s::C2sSession& session = connection->session();
      if (!session.deliver_prepared(stanza, a.jid.full())) {
        session.deliver(*stanza.copy_for(a.jid.full()));  // a binary stream, CSI holding…
      }
      connection->flush_soon();
      continue;
    }
    ws.host.route(stanza.copy_for(a.jid.full()));
  }
}

void Server::LocalSessions::deliver_prepared(std::shared_ptr<const xmpp::PreparedStanza> stanza,
                                             std::vector<Addressee> addressees) {
  std::vector<std::vector<Addressee>> by_worker(server_.workers_.size());
  for (Addressee& a : addressees) {
    if (a.handle.worker < by_worker.size()) {
      by_worker[a.handle.worker].push_back(std::move(a));
    }
  }
  for (std::size_t w = 0; w < by_worker.size(); ++w) {
    if (by_worker[w].empty()) {
      continue;
    }
    WorkerState* ws = server_.workers_[w].get();
    if (ws->worker.on_this_thread()) {
      write_prepared(*ws, *stanza, by_worker[w]);
    } else {
      ws->worker.post(
          [ws, stanza, group = std::move(by_worker[w])] { write_prepared(*ws, *stanza, group); });
    }
  }
}

void Server::LocalSessions::reroute_from_ended(SessionHandle handle,
                                               std::shared_ptr<xmpp::Stanza> stanza) {
  if (stanza->kind() != xmpp::StanzaKind::Message || handle.worker >= server_.workers_.size()) {
    return;
  }
  const xmpp::Jid* to = stanza->to_jid();
  if (!to) {
    return;
  }
  for (const BoundResource& r : registry_.resources(to->bare_view())) {
    if (r.handle == handle) {
      return;  // still bound (it should not be): routing again could only come back here
    }
  }
  WorkerState* ws = server_.workers_[handle.worker].get();
  ws->worker.post([ws, stanza = std::move(stanza)] {
    std::deque<xmpp::StanzaPtr> one;
    one.push_back(stanza->clone());  // the receipt goes with it
    ws->host.reroute_unacked(std::move(one));
  });
}

}  // namespace tern::core
