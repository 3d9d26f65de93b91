// SPDX-License-Identifier: MIT
// strophe_client: a second, independent XMPP client for the integration tests, written on
// libstrophe (Debian's libstrophe-dev) so that ternd is exercised by a C stack that shares no code
// with slixmpp. It connects to HOST:PORT with STARTTLS made mandatory (trusting the test server's
// self-signed certificate), authenticates as JID, binds the JID's resource, then does one thing:
//
//   login               print "bound <full jid>", disconnect
//   send TO BODY        send a chat message, then ping the server and wait for the result (so
//                       the message has reached the server before we leave), print "sent"
//   receive COUNT       send initial presence, ping the server, print "ready" once the pong is
//                       in (the presence has then been processed), then print
//                       "message <from> <body>" for each chat message until COUNT have arrived
//   ping                ping the server domain (XEP-0199), print "pong" on the result
//
// Exit status: 0 on success, 2 and "auth-failed" when SASL authentication fails, 1 with a reason
// on anything else, including the overall timeout. STROPHE_CLIENT_DEBUG=1 in the environment
// prints libstrophe's log, with every stanza sent and received, to stderr.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

#define TIMEOUT_MS 15000
#define NS_PING "urn:xmpp:ping"

static struct {
  xmpp_ctx_t* ctx;
  const char* mode;
  char** args;   // the mode's arguments
  char* domain;  // the JID's domain, which we ping
  int wanted;    // receive: how many chat messages to wait for
  int received;
  int connected;    // the connect handler saw XMPP_CONN_CONNECT
  int sasl_failed;  // libstrophe logged a SASL <failure/>
  int exit_code;    // -1 while running
} st = {.exit_code = -1};

// Ends the run with CODE, printing REASON if given. A graceful end closes the stream and lets the
// connection handler stop the loop once the server has closed its side.
static void finish(xmpp_conn_t* conn, int code, const char* reason, int graceful) {
  if (st.exit_code >= 0) return;
  st.exit_code = code;
  if (reason) printf("%s\n", reason);
  fflush(stdout);
  if (graceful && xmpp_conn_is_connected(conn))
    xmpp_disconnect(conn);
  else
    xmpp_stop(st.ctx);
}

static const char* error_condition(xmpp_stanza_t* stanza) {
  xmpp_stanza_t* error = xmpp_stanza_get_child_by_name(stanza, "error");
  xmpp_stanza_t* condition = error ? xmpp_stanza_get_children(error) : NULL;
  const char* name = condition ? xmpp_stanza_get_name(condition) : NULL;
  return name ? name : "unknown";
}

// Sends <iq type='get' to=DOMAIN><ping xmlns='urn:xmpp:ping'/></iq> and calls HANDLER on the
// answer.
static void send_ping(xmpp_conn_t* conn, const char* id, xmpp_handler handler) {
  xmpp_stanza_t* iq = xmpp_iq_new(st.ctx, "get", id);
  xmpp_stanza_t* ping = xmpp_stanza_new(st.ctx);
  xmpp_stanza_set_name(ping, "ping");
  xmpp_stanza_set_ns(ping, NS_PING);
  xmpp_stanza_add_child(iq, ping);
  xmpp_stanza_release(ping);
  xmpp_stanza_set_to(iq, st.domain);
  xmpp_id_handler_add(conn, handler, id, NULL);
  xmpp_send(conn, iq);
  xmpp_stanza_release(iq);
}

// Shared by every mode's pong: an error answer ends the run. Returns 1 for a result.
static int pong_ok(xmpp_conn_t* conn, xmpp_stanza_t* stanza) {
  const char* type = xmpp_stanza_get_type(stanza);
  if (type && strcmp(type, "result") == 0) return 1;
  char reason[128];
  snprintf(reason, sizeof reason, "ping-error %s", error_condition(stanza));
  finish(conn, 1, reason, 1);
  return 0;
}

static int on_pong(xmpp_conn_t* conn, xmpp_stanza_t* stanza, void* userdata) {
  (void)userdata;
  if (pong_ok(conn, stanza)) {
    if (strcmp(st.mode, "ping") == 0)
      finish(conn, 0, "pong", 1);
    else if (strcmp(st.mode, "send") == 0)
      finish(conn, 0, "sent", 1);
    else {  // receive: our presence is in, senders may start
      printf("ready\n");
      fflush(stdout);
    }
  }
  return 0;  // one answer per id: remove the handler
}

static int on_message(xmpp_conn_t* conn, xmpp_stanza_t* stanza, void* userdata) {
  (void)userdata;
  const char* type = xmpp_stanza_get_type(stanza);
  const char* from = xmpp_stanza_get_from(stanza);
  char* body = xmpp_message_get_body(stanza);
  if (type && strcmp(type, "chat") == 0 && body) {
    printf("message %s %s\n", from ? from : "-", body);
    fflush(stdout);
    if (++st.received == st.wanted) finish(conn, 0, NULL, 1);
  } else if (type && strcmp(type, "error") == 0) {
    printf("message-error %s %s\n", from ? from : "-", error_condition(stanza));
    fflush(stdout);
  }
  if (body) xmpp_free(st.ctx, body);
  return 1;  // keep the handler
}

static void on_connected(xmpp_conn_t* conn) {
  if (strcmp(st.mode, "login") == 0) {
    printf("bound %s\n", xmpp_conn_get_bound_jid(conn));
    finish(conn, 0, NULL, 1);
  } else if (strcmp(st.mode, "send") == 0) {
    xmpp_stanza_t* message = xmpp_message_new(st.ctx, "chat", st.args[0], "m1");
    xmpp_message_set_body(message, st.args[1]);
    xmpp_send(conn, message);
    xmpp_stanza_release(message);
    send_ping(conn, "sent-ping", on_pong);
  } else if (strcmp(st.mode, "receive") == 0) {
    xmpp_handler_add(conn, on_message, NULL, "message", NULL, NULL);
    xmpp_stanza_t* presence = xmpp_presence_new(st.ctx);
    xmpp_send(conn, presence);
    xmpp_stanza_release(presence);
    send_ping(conn, "ready-ping", on_pong);
  } else {
    send_ping(conn, "ping", on_pong);
  }
}

static void on_conn(xmpp_conn_t* conn, xmpp_conn_event_t event, int error,
                    xmpp_stream_error_t* stream_error, void* userdata) {
  (void)userdata;
  if (event == XMPP_CONN_CONNECT) {
    st.connected = 1;
    on_connected(conn);
    return;
  }
  // XMPP_CONN_DISCONNECT or XMPP_CONN_FAIL: expected after finish(), a failure otherwise.
  if (st.exit_code < 0) {
    if (!st.connected && st.sasl_failed) {
      st.exit_code = 2;
      printf("auth-failed\n");
    } else {
      const char* condition = "none";
      if (stream_error && stream_error->stanza) {
        xmpp_stanza_t* child = xmpp_stanza_get_children(stream_error->stanza);
        condition = child ? xmpp_stanza_get_name(child) : "unknown";
      }
      st.exit_code = 1;
      printf("%s (%s, socket error %d, stream error %s)\n",
             event == XMPP_CONN_FAIL ? "connection-failed" : "disconnected",
             st.connected ? "after login" : "before login", error, condition);
    }
    fflush(stdout);
  }
  xmpp_stop(st.ctx);
}

static int on_timeout(xmpp_ctx_t* ctx, void* userdata) {
  (void)ctx;
  xmpp_conn_t* conn = userdata;
  char reason[128];
  snprintf(reason, sizeof reason, "timeout in mode %s (%s, %d received)", st.mode,
           st.connected ? "logged in" : "not logged in", st.received);
  finish(conn, 1, reason, 0);
  return 0;
}

// libstrophe reports a SASL <failure/> only in its debug log ("SASL <mech> auth failed") before
// trying the next mechanism; when none is left it just disconnects. We note the failure here.
static void on_log(void* userdata, xmpp_log_level_t level, const char* area, const char* msg) {
  (void)userdata;
  if (strncmp(msg, "SASL ", 5) == 0 && strstr(msg, " auth failed")) st.sasl_failed = 1;
  if (level >= XMPP_LEVEL_WARN || getenv("STROPHE_CLIENT_DEBUG"))
    fprintf(stderr, "strophe %s: %s\n", area, msg);
}

static int usage(void) {
  fprintf(stderr,
          "usage: strophe_client HOST PORT JID PASSWORD login|send TO BODY|"
          "receive COUNT|ping\n");
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 6) return usage();
  st.mode = argv[5];
  st.args = argv + 6;
  int nargs = argc - 6;
  int ok = 0;
  if (strcmp(st.mode, "send") == 0)
    ok = nargs == 2;
  else if (strcmp(st.mode, "receive") == 0)
    ok = nargs == 1 && (st.wanted = atoi(st.args[0])) > 0;
  else if (strcmp(st.mode, "login") == 0 || strcmp(st.mode, "ping") == 0)
    ok = nargs == 0;
  if (!ok) return usage();

  xmpp_initialize();
  xmpp_log_t log = {on_log, NULL};
  st.ctx = xmpp_ctx_new(NULL, &log);
  xmpp_conn_t* conn = xmpp_conn_new(st.ctx);
  xmpp_conn_set_flags(conn, XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_TRUST_TLS);
  xmpp_conn_set_jid(conn, argv[3]);
  xmpp_conn_set_pass(conn, argv[4]);
  st.domain = xmpp_jid_domain(st.ctx, argv[3]);

  xmpp_global_timed_handler_add(st.ctx, on_timeout, TIMEOUT_MS, conn);
  if (xmpp_connect_client(conn, argv[1], (unsigned short)atoi(argv[2]), on_conn, NULL) == XMPP_EOK)
    xmpp_run(st.ctx);
  else
    finish(conn, 1, "connect-failed", 0);

  xmpp_global_timed_handler_delete(st.ctx, on_timeout);
  xmpp_free(st.ctx, st.domain);
  xmpp_conn_release(conn);
  xmpp_ctx_free(st.ctx);
  xmpp_shutdown();
  return st.exit_code < 0 ? 1 : st.exit_code;
}
