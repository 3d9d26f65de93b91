// SPDX-License-Identifier: MIT
// The live admin interface's commands (docs/operations.md), as ternctl sends them over the admin
// socket (core/admin/admin_listener.h). They run on worker 0, the socket's loop; what concerns
// sessions is done by each worker on its own thread (a task posted to it) and the answers come
// back to worker 0, so no command blocks a worker or touches another's sessions.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/server/server.h"
#include "core/server/worker_figures.h"
#include "core/server/worker_state.h"
#include "log/logger.h"
#include "xmpp/jid.h"
#include "xmpp/namespaces.h"
#include "xmpp/stanza.h"

namespace tern::core {

namespace {

const log::Logger kLog("admin");

// One session as `sessions` and `queues` list it.
struct SessionRow {
  std::string jid;  // full JID; empty before bind
  unsigned worker = 0;
  std::string state;
  std::string peer;
  bool binary = false;
  bool http = false;  // WebSocket or BOSH
  std::uint64_t output_bytes = 0;
  std::uint64_t unacked = 0;
  bool stream_management = false;
};

std::string state_name(c2s::SessionState state) {
  switch (state) {
    case c2s::SessionState::Established:
      return "established";
    case c2s::SessionState::Authenticated:
      return "authenticated";
    case c2s::SessionState::Detached:
      return "detached";
    case c2s::SessionState::Resuming:
      return "resuming";
    case c2s::SessionState::Closed:
      return "closing";
    default:
      return "negotiating";
  }
}

SessionRow row_of(const c2s::C2sSession& session, unsigned worker, bool http,
                  std::uint64_t output_bytes) {
  SessionRow row;
  row.jid = session.established() || session.state() == c2s::SessionState::Detached
                ? std::string(session.jid().full())
                : std::string();
  row.worker = worker;
  row.state = state_name(session.state());
  row.peer = session.peer();
  row.binary = session.wire_format() == c2s::WireFormat::Binary;
  row.http = http;
  row.output_bytes = output_bytes;
  row.unacked = session.stream_management().unacked_count();
  row.stream_management = session.stream_management().enabled();
  return row;
}

// Whether a session's JID is `wanted` (a full JID) or one of its resources (a bare JID).
bool matches(const xmpp::Jid& jid, const xmpp::Jid& wanted) {
  return wanted.has_resource() ? jid.full() == wanted.full()
                               : jid.bare_view() == wanted.bare_view();
}

std::string format_row(const SessionRow& r) {
  char line[512];
  std::snprintf(line, sizeof line, "%-40s w%-2u %-13s %-6s %-4s %-22s out=%-9llu unacked=%llu%s\n",
                r.jid.empty() ? "(not bound)" : r.jid.c_str(), r.worker, r.state.c_str(),
                r.binary ? "binary" : "xml", r.http ? "http" : "tcp", r.peer.c_str(),
                static_cast<unsigned long long>(r.output_bytes),
                static_cast<unsigned long long>(r.unacked), r.stream_management ? " sm" : "");
  return line;
}

std::string duration_text(std::chrono::seconds up) {
  const auto s = up.count();
  char text[64];
  std::snprintf(text, sizeof text, "%lldd %02lldh %02lldm %02llds",
                static_cast<long long>(s / 86400), static_cast<long long>(s / 3600 % 24),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return text;
}

}  // namespace

// Runs `collect` on every worker's thread; `done` gets the results, in worker order, on
// worker 0 (the admin socket's loop).
template <class T>
void Server::on_workers_then_admin(std::function<T(WorkerState&)> collect,
                                   std::function<void(std::vector<T>)> done) {
  struct Fan {
    std::mutex mutex;
    std::vector<T> results;
    std::atomic<std::size_t> waiting{0};
    std::function<T(WorkerState&)> collect;
    std::function<void(std::vector<T>)> done;
  };
  auto fan = std::make_shared<Fan>();
  fan->results.resize(workers_.size());
  fan->waiting = workers_.size();
  fan->collect = std::move(collect);
  fan->done = std::move(done);
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    WorkerState* ws = workers_[i].get();
    ws->worker.post([this, ws, i, fan] {
      T result = fan->collect(*ws);
      {
        std::lock_guard lock(fan->mutex);
        fan->results[i] = std::move(result);
      }
      if (fan->waiting.fetch_sub(1) == 1) {
        workers_[0]->worker.post([fan] { fan->done(std::move(fan->results)); });
      }
    });
  }
}

void Server::admin_command(std::vector<std::string> args, admin::Reply reply) {
  const std::string command = args[0];
  if (command == "status") {
    return admin_status(std::move(reply));
  }
  if (command == "sessions" || command == "queues") {
    std::optional<xmpp::Jid> wanted;
    std::size_t top = 0;
    if (command == "sessions" && args.size() > 1) {
      auto jid = xmpp::Jid::parse(args[1]);
      if (!jid) {
        return reply(false, "not a JID: " + args[1]);
      }
      wanted = std::move(jid).value();
    }
    if (command == "queues") {
      top = 10;
      if (args.size() > 1) {
        top = static_cast<std::size_t>(std::strtoull(args[1].c_str(), nullptr, 10));
        if (top == 0) {
          return reply(false, "queues: --top takes a number above 0");
        }
      }
    }
    return admin_sessions(wanted, top, std::move(reply));
  }
  if (command == "kick") {
    if (args.size() < 2) {
      return reply(false, "usage: kick JID [REASON]");
    }
    auto jid = xmpp::Jid::parse(args[1]);
    if (!jid) {
      return reply(false, "not a JID: " + args[1]);
    }
    std::string reason = args.size() > 2 ? args[2] : "";
    return admin_kick(std::move(jid).value(), std::move(reason), std::move(reply));
  }
  if (command == "announce") {
    if (args.size() < 2 || args[1].empty()) {
      return reply(false, "usage: announce TEXT");
    }
    return admin_announce(args[1], std::move(reply));
  }
  if (command == "top") {  // numbers for ternctl top, which shows rates (admin_client.cpp)
    return on_workers_then_admin<std::string>(
        [](WorkerState& ws) {
          std::uint64_t in = 0;
          std::uint64_t out = 0;
          for (std::size_t k = 0; k < c2s::Counters::kKinds.size(); ++k) {
            in += ws.counters.stanzas_in[k].value();
            out += ws.counters.stanzas_out[k].value();
          }
          const metrics::HistogramSnapshot lag = ws.loop_lag.snapshot();
          return std::to_string(ws.worker.id()) + " " +
                 std::to_string(ws.connections.all().size() + ws.detached.size()) + " " +
                 std::to_string(in) + " " + std::to_string(out) + " " +
                 std::to_string(ws.counters.bytes_in.value()) + " " +
                 std::to_string(ws.counters.bytes_out.value()) + " " + std::to_string(lag.sum) +
                 " " + std::to_string(lag.count()) + "\n";
        },
        [reply = std::move(reply)](const std::vector<std::string>& lines) {
          std::string text;
          for (const std::string& line : lines) {
            text += line;
          }
          reply(true, text);
        });
  }
  if (command == "modules") {
    std::string text;
    const std::vector<std::string_view> running = workers_[0]->host.running_modules();
    std::lock_guard lock(modules_mutex_);
    for (const ModuleInfo* info : modules_) {
      if (std::find(running.begin(), running.end(), info->name) != running.end()) {
        text += std::string(info->name) + "  " + std::string(info->summary) + "\n";
      }
    }
    return reply(true, text);
  }
  if (command == "reload") {
    // Off the loop: it reads files and waits for every worker (worker 0 included) to apply.
    auto result = std::make_shared<ReloadResult>();
    return workers_[0]->host.offload(
        [this, result] { *result = reload(); },
        [result, reply = std::move(reply)] { reply(result->ok, result->text); });
  }
  if (command == "module") {
    if (args.size() != 3 || args[1] != "reload") {
      return reply(false, "usage: module reload NAME");
    }
    auto result = std::make_shared<ReloadResult>();
    return workers_[0]->host.offload(
        [this, result, name = args[2]] { *result = reload_module(name); },
        [result, reply = std::move(reply)] { reply(result->ok, result->text); });
  }
  reply(false, "unknown command '" + command + "'");
}

void Server::admin_status(admin::Reply reply) {
  gather(0, false, [this, reply = std::move(reply)](const std::vector<WorkerFigures>& figures) {
    std::uint64_t established = 0;
    std::uint64_t other = 0;
    std::uint64_t detached = 0;
    std::uint64_t http = 0;
    std::string per_worker;
    for (std::size_t w = 0; w < figures.size(); ++w) {
      const WorkerFigures& f = figures[w];
      std::uint64_t on_worker = 0;
      for (std::size_t s = 0; s < kSessionStates.size(); ++s) {
        on_worker += f.in_state(s);
        (s == kEstablishedState ? established
         : s == kDetachedState  ? detached
                                : other) += f.in_state(s);
      }
      http += f.http_connections;
      per_worker += "  worker " + std::to_string(w) + ": " + std::to_string(on_worker) +
                    " sessions, " + std::to_string(f.http_connections) + " HTTP connections\n";
    }
    const storage::StoreUse use = store_->use();
    std::string hosts;
    for (const VirtualHost& host : config_.hosts) {
      hosts += (hosts.empty() ? "" : ", ") + host.domain;
    }
    std::string firing;
    if (alerts_) {
      for (std::size_t i = 0; i < Alerts::kCount; ++i) {
        if (alerts_->firing(static_cast<Alerts::Id>(i))) {
          firing += (firing.empty() ? "" : ", ") + std::string(Alerts::kNames[i]);
        }
      }
    }
    std::string text = "ternd up " +
                       duration_text(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::steady_clock::now() - started_at_)) +
                       ", " + std::to_string(workers_.size()) + " workers, hosts: " + hosts + "\n" +
                       "sessions: " + std::to_string(established) + " established, " +
                       std::to_string(other) + " other, " + std::to_string(detached) +
                       " detached; " + std::to_string(http) + " HTTP connections\n" + per_worker +
                       "store: " + std::to_string(writer_->queued()) + " writes queued, " +
                       std::to_string(use.room() >> 20) + " MiB room\n" +
                       "alerts firing: " + (firing.empty() ? "none" : firing) + "\n";
    reply(true, text);
  });
}

void Server::admin_sessions(std::optional<xmpp::Jid> wanted, std::size_t top, admin::Reply reply) {
  on_workers_then_admin<std::vector<SessionRow>>(
      [wanted](WorkerState& ws) {
        std::vector<SessionRow> rows;
        auto consider = [&](const c2s::C2sSession& s, bool http, std::uint64_t out) {
          if (!wanted || ((s.established() || s.state() == c2s::SessionState::Detached) &&
                          matches(s.jid(), *wanted))) {
            rows.push_back(row_of(s, ws.worker.id(), http, out));
          }
        };
        for (const auto& [id, connection] : ws.connections.all()) {
          if (connection->has_session()) {
            consider(connection->session(), connection->is_websocket(), connection->output_bytes());
          }
        }
        for (const auto& [id, entry] : ws.detached) {
          consider(*entry.session, false, 0);
        }
        return rows;
      },
      [top, reply = std::move(reply)](std::vector<std::vector<SessionRow>> per_worker) {
        std::vector<SessionRow> rows;
        for (auto& some : per_worker) {
          std::move(some.begin(), some.end(), std::back_inserter(rows));
        }
        if (top > 0) {  // queues: the largest first, by output then unacknowledged
          std::sort(rows.begin(), rows.end(), [](const SessionRow& a, const SessionRow& b) {
            return std::tie(a.output_bytes, a.unacked) > std::tie(b.output_bytes, b.unacked);
          });
          rows.resize(std::min(rows.size(), top));
        } else {
          std::sort(rows.begin(), rows.end(),
                    [](const SessionRow& a, const SessionRow& b) { return a.jid < b.jid; });
        }
        std::string text;
        for (const SessionRow& row : rows) {
          text += format_row(row);
        }
        text += std::to_string(rows.size()) + (rows.size() == 1 ? " session\n" : " sessions\n");
        reply(true, text);
      });
}

void Server::admin_kick(const xmpp::Jid& jid, std::string reason, admin::Reply reply) {
  const std::string text =
      reason.empty() ? "disconnected by the operator" : "disconnected by the operator: " + reason;
  on_workers_then_admin<std::size_t>(
      [jid, text](WorkerState& ws) {
        std::size_t kicked = 0;
        std::vector<net::Connection*> found;
        for (const auto& [id, connection] : ws.connections.all()) {
          if (connection->has_session() && connection->session().established() &&
              matches(connection->session().jid(), jid)) {
            found.push_back(connection);
          }
        }
        for (net::Connection* connection : found) {
          connection->session().close(xmpp::StreamError::policy_violation(text));
          connection->flush();
          ++kicked;
        }
        std::vector<std::uint64_t> detached;
        for (const auto& [id, entry] : ws.detached) {
          if (matches(entry.session->jid(), jid)) {
            detached.push_back(id);
          }
        }
        for (std::uint64_t id : detached) {  // no connection: they end as if they expired
          auto it = ws.detached.find(id);
          std::unique_ptr<c2s::C2sSession> session = std::move(it->second.session);
          ws.detached.erase(it);
          session->expire();
          ++kicked;
        }
        return kicked;
      },
      [jid, reason, reply = std::move(reply)](const std::vector<std::size_t>& per_worker) {
        std::size_t kicked = 0;
        for (std::size_t n : per_worker) {
          kicked += n;
        }
        kLog.info("admin.kick", "sessions closed by the operator",
                  {{"jid", jid.full()}, {"reason", reason}, {"sessions", kicked}});
        if (kicked == 0) {
          return reply(false, "no session of " + std::string(jid.full()));
        }
        reply(true, "closed " + std::to_string(kicked) +
                        (kicked == 1 ? " session of " : " sessions of ") + std::string(jid.full()) +
                        "\n");
      });
}

void Server::admin_announce(const std::string& text, admin::Reply reply) {
  on_workers_then_admin<std::size_t>(
      [text](WorkerState& ws) {
        std::size_t sent = 0;
        for (const auto& [id, connection] : ws.connections.all()) {
          if (!connection->has_session() || !connection->session().established()) {
            continue;
          }
          c2s::C2sSession& session = connection->session();
          // A headline (RFC 6121 §5.2.2): shown, never stored offline or archived.
          xmpp::StanzaPtr message = xmpp::Stanza::create("message", xmpp::ns::kClient);
          message->root()
              .set_attr("from", session.domain())
              .set_attr("to", session.jid().full())
              .set_attr("type", "headline");
          message->root().add_child("body").set_text(text);
          session.deliver(*message);
          connection->flush_soon();
          ++sent;
        }
        return sent;
      },
      [reply = std::move(reply)](const std::vector<std::size_t>& per_worker) {
        std::size_t sent = 0;
        for (std::size_t n : per_worker) {
          sent += n;
        }
        kLog.info("admin.announce", "announcement sent to every online session",
                  {{"sessions", sent}});
        reply(true, "sent to " + std::to_string(sent) + (sent == 1 ? " session\n" : " sessions\n"));
      });
}

}  // namespace tern::core
