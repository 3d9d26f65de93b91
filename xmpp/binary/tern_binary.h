/* SPDX-License-Identifier: MIT */
/* The C interface of Tern binary XMPP (docs/binary-xmpp.md), for apps that embed the codec: XML
 * text in, frames out, and frames in, XML text out, one session per connection. A session holds
 * the encoder of what this side sends and the decoder of what it receives, and binds the own JID
 * itself when the resource binding result passes. Plain C (C99); thread-compatible: one session
 * must not be used by two threads at once, different sessions may. Every returned pointer stays
 * valid until the next call on the same session. */
#ifndef TERN_BINARY_H
#define TERN_BINARY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Who this side is: the initiating entity (a client) or the receiving entity (a server). */
typedef enum tern_bx_role { TERN_BX_INITIATOR = 0, TERN_BX_RESPONDER = 1 } tern_bx_role;

typedef enum tern_bx_status {
  TERN_BX_OK = 0,
  TERN_BX_NEED_MORE = 1, /* decode: the input holds no whole frame yet */
  TERN_BX_ERROR = -1     /* see tern_bx_error() and tern_bx_condition() */
} tern_bx_status;

typedef struct tern_bx_session tern_bx_session;

/* The two bytes each direction sends once, before its first frame (section 3). */
#define TERN_BX_PREAMBLE_SIZE 2
const uint8_t* tern_bx_preamble(void);

/* NULL when out of memory. */
tern_bx_session* tern_bx_session_new(tern_bx_role self);
void tern_bx_session_free(tern_bx_session* session);

/* Encodes one item of XML stream text this side sends: a stream header open tag (an XML
 * declaration before it is allowed), one top-level element (stanza or nonza, in the stream's
 * default namespace), or "</stream:stream>". On TERN_BX_OK, *frame and *frame_size give the
 * frame. On TERN_BX_ERROR nothing changed: the item is not XML the format carries. */
int tern_bx_encode(tern_bx_session* session, const char* xml, size_t xml_size,
                   const uint8_t** frame, size_t* frame_size);

/* Decodes the frame at the front of `data` (the bytes received so far, preamble excluded). On
 * TERN_BX_OK, *consumed is the frame's size and *xml, *xml_size its XML text: a stream header
 * open tag, one element, "</stream:stream>", or " " for a keepalive. TERN_BX_NEED_MORE: wait for
 * more bytes. TERN_BX_ERROR is fatal: close the stream with the stream error tern_bx_condition()
 * names. */
int tern_bx_decode(tern_bx_session* session, const uint8_t* data, size_t size, size_t* consumed,
                   const char** xml, size_t* xml_size);

/* Binds the own JID by hand, after a stream resumption (XEP-0198) or a binding the session did
 * not see (XEP-0386); a stream header clears it. TERN_BX_ERROR for an empty JID. */
int tern_bx_set_own_jid(tern_bx_session* session, const char* jid, size_t jid_size);

/* The last error's reason, and the RFC 6120 stream error condition a decoding error calls for
 * ("not-well-formed", "policy-violation"); empty strings when there was none. */
const char* tern_bx_error(const tern_bx_session* session);
const char* tern_bx_condition(const tern_bx_session* session);

#ifdef __cplusplus
}
#endif

#endif /* TERN_BINARY_H */
