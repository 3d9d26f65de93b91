# SPDX-License-Identifier: MIT
# The hand-written vocabulary of the binary XMPP dictionary (docs/binary-xmpp.md, appendix A):
# names, namespaces and values from RFC 6120/6121 and the XEPs a mobile client speaks.
# gen_dictionary.py decides the ORDER from the training corpus; this file decides what is in it.
# Element flags: "s" stanza form (message, presence, iq); "v" verbatim text: human-readable text
# (bodies, subjects, statuses, reasons) that is only ever sent as a literal string.

CLIENT = 'jabber:client'
SERVER = 'jabber:server'
STREAMS = 'http://etherx.jabber.org/streams'
SE = 'urn:ietf:params:xml:ns:xmpp-streams'
ST = 'urn:ietf:params:xml:ns:xmpp-stanzas'
TLS = 'urn:ietf:params:xml:ns:xmpp-tls'
SASL = 'urn:ietf:params:xml:ns:xmpp-sasl'
BIND = 'urn:ietf:params:xml:ns:xmpp-bind'
SESSION = 'urn:ietf:params:xml:ns:xmpp-session'
SM = 'urn:xmpp:sm:3'
CSI = 'urn:xmpp:csi:0'
CAPS = 'http://jabber.org/protocol/caps'
DINFO = 'http://jabber.org/protocol/disco#info'
DITEMS = 'http://jabber.org/protocol/disco#items'
ROSTER = 'jabber:iq:roster'
CARBONS = 'urn:xmpp:carbons:2'
FWD = 'urn:xmpp:forward:0'
RECEIPTS = 'urn:xmpp:receipts'
MARKERS = 'urn:xmpp:chat-markers:0'
CHATSTATES = 'http://jabber.org/protocol/chatstates'
SID = 'urn:xmpp:sid:0'
HINTS = 'urn:xmpp:hints'
DELAY = 'urn:xmpp:delay'
PING = 'urn:xmpp:ping'
OOB = 'jabber:x:oob'
UPLOAD = 'urn:xmpp:http:upload:0'
FILEMETA = 'urn:xmpp:file:metadata:0'
THUMBS = 'urn:xmpp:thumbs:1'
HASHES = 'urn:xmpp:hashes:2'
PUSH = 'urn:xmpp:push:0'
COMMANDS = 'http://jabber.org/protocol/commands'
DATA = 'jabber:x:data'
MUC = 'http://jabber.org/protocol/muc'
MUCUSER = 'http://jabber.org/protocol/muc#user'
OCC = 'urn:xmpp:occupant-id:0'
PSEVENT = 'http://jabber.org/protocol/pubsub#event'
PUBSUB = 'http://jabber.org/protocol/pubsub'
AVMETA = 'urn:xmpp:avatar:metadata'
AVDATA = 'urn:xmpp:avatar:data'
NICK = 'http://jabber.org/protocol/nick'
VCUPD = 'vcard-temp:x:update'
IDLE = 'urn:xmpp:idle:1'
BLOCKING = 'urn:xmpp:blocking'
REACTIONS = 'urn:xmpp:reactions:0'
REPLY = 'urn:xmpp:reply:0'
FALLBACK = 'urn:xmpp:fallback:0'
CORRECT = 'urn:xmpp:message-correct:0'
AXOLOTL = 'eu.siacs.conversations.axolotl'
OMEMO2 = 'urn:xmpp:omemo:2'
EME = 'urn:xmpp:eme:0'
MAM = 'urn:xmpp:mam:2'
RSM = 'http://jabber.org/protocol/rsm'
TIME = 'urn:xmpp:time'
VERSION = 'jabber:iq:version'
SASLCB = 'urn:xmpp:sasl-cb:0'
ROSTERVER = 'urn:xmpp:features:rosterver'
SM2 = 'urn:xmpp:sm:2'
BOOKMARKS = 'urn:xmpp:bookmarks:1'
JMI = 'urn:xmpp:jingle-message:0'
RETRACT = 'urn:xmpp:message-retract:1'
MODERATE = 'urn:xmpp:message-moderate:1'
LAST = 'jabber:iq:last'
PRIVATE = 'jabber:iq:private'
REGISTER = 'jabber:iq:register'
VCARD = 'vcard-temp'
SASL2 = 'urn:xmpp:sasl:2'
BIND2 = 'urn:xmpp:bind:0'
FAST = 'urn:xmpp:fast:0'
MIX = 'urn:xmpp:mix:core:1'
SPOILER = 'urn:xmpp:spoiler:0'
XML = 'http://www.w3.org/XML/1998/namespace'

STREAM_CONDITIONS = [
    'bad-format', 'bad-namespace-prefix', 'conflict', 'connection-timeout', 'host-gone',
    'host-unknown', 'improper-addressing', 'internal-server-error', 'invalid-from',
    'invalid-namespace', 'invalid-xml', 'not-authorized', 'not-well-formed', 'policy-violation',
    'remote-connection-failed', 'reset', 'resource-constraint', 'restricted-xml', 'see-other-host',
    'system-shutdown', 'undefined-condition', 'unsupported-encoding', 'unsupported-feature',
    'unsupported-stanza-type', 'unsupported-version',
]
STANZA_CONDITIONS = [
    'bad-request', 'conflict', 'feature-not-implemented', 'forbidden', 'gone',
    'internal-server-error', 'item-not-found', 'jid-malformed', 'not-acceptable', 'not-allowed',
    'not-authorized', 'policy-violation', 'recipient-unavailable', 'redirect',
    'registration-required', 'remote-server-not-found', 'remote-server-timeout',
    'resource-constraint', 'service-unavailable', 'subscription-required', 'undefined-condition',
    'unexpected-request',
]
SASL_CONDITIONS = [
    'aborted', 'account-disabled', 'credentials-expired', 'encryption-required',
    'incorrect-encoding', 'invalid-authzid', 'invalid-mechanism', 'malformed-request',
    'mechanism-too-weak', 'not-authorized', 'temporary-auth-failure',
]

ELEMENTS = [
    ('message', CLIENT, 's'), ('presence', CLIENT, 's'), ('iq', CLIENT, 's'),
    ('body', CLIENT, 'v'), ('subject', CLIENT, 'v'), ('thread', CLIENT, ''),
    ('status', CLIENT, 'v'), ('show', CLIENT, ''), ('priority', CLIENT, ''), ('error', CLIENT, ''),
    ('features', STREAMS, ''), ('error', STREAMS, ''), ('text', SE, 'v'), ('text', ST, 'v'),
    ('starttls', TLS, ''), ('required', TLS, ''), ('proceed', TLS, ''), ('failure', TLS, ''),
    ('mechanisms', SASL, ''), ('mechanism', SASL, ''), ('auth', SASL, ''), ('challenge', SASL, ''),
    ('response', SASL, ''), ('success', SASL, ''), ('failure', SASL, ''), ('abort', SASL, ''),
    ('text', SASL, 'v'), ('bind', BIND, ''), ('resource', BIND, ''), ('jid', BIND, ''),
    ('required', BIND, ''), ('session', SESSION, ''), ('optional', SESSION, ''), ('sm', SM, ''),
    ('sm', SM2, ''), ('enable', SM, ''), ('enabled', SM, ''), ('resume', SM, ''),
    ('resumed', SM, ''), ('failed', SM, ''), ('r', SM, ''), ('a', SM, ''), ('csi', CSI, ''),
    ('active', CSI, ''), ('inactive', CSI, ''), ('ver', ROSTERVER, ''),
    ('sasl-channel-binding', SASLCB, ''), ('channel-binding', SASLCB, ''), ('c', CAPS, ''),
    ('query', DINFO, ''), ('identity', DINFO, ''), ('feature', DINFO, ''), ('query', DITEMS, ''),
    ('item', DITEMS, ''), ('query', ROSTER, ''), ('item', ROSTER, ''), ('group', ROSTER, 'v'),
    ('enable', CARBONS, ''), ('disable', CARBONS, ''), ('received', CARBONS, ''),
    ('sent', CARBONS, ''), ('private', CARBONS, ''), ('forwarded', FWD, ''), ('delay', DELAY, ''),
    ('active', CHATSTATES, ''), ('composing', CHATSTATES, ''), ('paused', CHATSTATES, ''),
    ('inactive', CHATSTATES, ''), ('gone', CHATSTATES, ''), ('request', RECEIPTS, ''),
    ('received', RECEIPTS, ''), ('markable', MARKERS, ''), ('received', MARKERS, ''),
    ('displayed', MARKERS, ''), ('acknowledged', MARKERS, ''), ('store', HINTS, ''),
    ('no-store', HINTS, ''), ('no-copy', HINTS, ''), ('no-permanent-store', HINTS, ''),
    ('stanza-id', SID, ''), ('origin-id', SID, ''), ('replace', CORRECT, ''), ('reply', REPLY, ''),
    ('fallback', FALLBACK, ''), ('body', FALLBACK, ''), ('reactions', REACTIONS, ''),
    ('reaction', REACTIONS, 'v'), ('x', OOB, ''), ('url', OOB, ''), ('desc', OOB, 'v'),
    ('file', FILEMETA, ''), ('media-type', FILEMETA, ''), ('name', FILEMETA, ''),
    ('size', FILEMETA, ''), ('width', FILEMETA, ''), ('height', FILEMETA, ''),
    ('date', FILEMETA, ''), ('desc', FILEMETA, 'v'), ('length', FILEMETA, ''),
    ('thumbnail', THUMBS, ''), ('hash', HASHES, ''), ('hash-used', HASHES, ''),
    ('request', UPLOAD, ''), ('slot', UPLOAD, ''), ('put', UPLOAD, ''), ('get', UPLOAD, ''),
    ('header', UPLOAD, ''), ('x', MUC, ''), ('history', MUC, ''), ('password', MUC, ''),
    ('x', MUCUSER, ''), ('item', MUCUSER, ''), ('status', MUCUSER, ''), ('actor', MUCUSER, ''),
    ('reason', MUCUSER, 'v'), ('invite', MUCUSER, ''), ('decline', MUCUSER, ''),
    ('destroy', MUCUSER, ''), ('occupant-id', OCC, ''), ('event', PSEVENT, ''),
    ('items', PSEVENT, ''), ('item', PSEVENT, ''), ('retract', PSEVENT, ''),
    ('pubsub', PUBSUB, ''), ('publish', PUBSUB, ''), ('items', PUBSUB, ''), ('item', PUBSUB, ''),
    ('publish-options', PUBSUB, ''), ('metadata', AVMETA, ''), ('info', AVMETA, ''),
    ('data', AVDATA, ''), ('nick', NICK, 'v'), ('x', VCUPD, ''), ('photo', VCUPD, ''),
    ('idle', IDLE, ''), ('block', BLOCKING, ''), ('unblock', BLOCKING, ''),
    ('blocklist', BLOCKING, ''), ('item', BLOCKING, ''), ('enable', PUSH, ''),
    ('disable', PUSH, ''), ('command', COMMANDS, ''), ('x', DATA, ''), ('field', DATA, ''),
    ('value', DATA, ''), ('option', DATA, ''), ('title', DATA, 'v'), ('instructions', DATA, 'v'),
    ('required', DATA, ''), ('encrypted', AXOLOTL, ''), ('header', AXOLOTL, ''),
    ('key', AXOLOTL, ''), ('iv', AXOLOTL, ''), ('payload', AXOLOTL, ''), ('list', AXOLOTL, ''),
    ('device', AXOLOTL, ''), ('encrypted', OMEMO2, ''), ('header', OMEMO2, ''),
    ('keys', OMEMO2, ''), ('key', OMEMO2, ''), ('payload', OMEMO2, ''), ('encryption', EME, ''),
    ('ping', PING, ''), ('time', TIME, ''), ('tzo', TIME, ''), ('utc', TIME, ''),
    ('query', VERSION, ''), ('name', VERSION, ''), ('version', VERSION, ''), ('os', VERSION, ''),
    ('query', MAM, ''), ('result', MAM, ''), ('fin', MAM, ''), ('set', RSM, ''),
    ('first', RSM, ''), ('last', RSM, ''), ('count', RSM, ''), ('max', RSM, ''),
    ('before', RSM, ''), ('after', RSM, ''), ('propose', JMI, ''), ('proceed', JMI, ''),
    ('retract', JMI, ''), ('accept', JMI, ''), ('reject', JMI, ''),
    ('description', 'urn:xmpp:jingle:apps:rtp:1', ''), ('retract', RETRACT, ''),
    ('conference', BOOKMARKS, ''), ('nick', BOOKMARKS, 'v'), ('query', LAST, ''),
    ('query', REGISTER, ''), ('query', PRIVATE, ''), ('vCard', VCARD, ''),
    ('spoiler', SPOILER, 'v'), ('message', SERVER, 's'), ('presence', SERVER, 's'),
    ('iq', SERVER, 's'), ('body', SERVER, 'v'), ('subject', SERVER, 'v'), ('status', SERVER, 'v'),
    ('show', SERVER, ''), ('error', SERVER, ''),
] + [(c, SE, "") for c in STREAM_CONDITIONS] + [(c, ST, "") for c in STANZA_CONDITIONS] + [
    (c, SASL, "") for c in SASL_CONDITIONS]

EMPTY_FORMS = [
    ('markable', MARKERS), ('store', HINTS), ('request', RECEIPTS), ('active', CHATSTATES),
    ('composing', CHATSTATES), ('no-store', HINTS), ('paused', CHATSTATES),
    ('inactive', CHATSTATES), ('gone', CHATSTATES), ('r', SM), ('active', CSI), ('inactive', CSI),
    ('ping', PING), ('query', DINFO), ('query', DITEMS), ('required', BIND), ('optional', SESSION),
    ('sm', SM), ('sm', SM2), ('csi', CSI), ('ver', ROSTERVER), ('enable', CARBONS),
    ('disable', CARBONS), ('private', CARBONS), ('blocklist', BLOCKING), ('no-copy', HINTS),
    ('no-permanent-store', HINTS), ('starttls', TLS), ('proceed', TLS), ('required', TLS),
    ('abort', SASL), ('success', SASL), ('x', MUC), ('session', SESSION), ('bind', BIND),
    ('time', TIME), ('query', VERSION), ('query', ROSTER), ('enable', SM), ('resumed', SM),
    ('failed', SM), ('item-not-found', ST), ('service-unavailable', ST),
    ('feature-not-implemented', ST), ('not-allowed', ST), ('forbidden', ST), ('bad-request', ST),
    ('recipient-unavailable', ST), ('not-authorized', SASL), ('remote-server-not-found', ST),
    ('internal-server-error', ST),
]

TEXT_FORMS = [
    ('body', CLIENT), ('url', OOB), ('media-type', FILEMETA), ('name', FILEMETA),
    ('size', FILEMETA), ('photo', VCUPD), ('width', FILEMETA), ('height', FILEMETA),
    ('value', DATA), ('reaction', REACTIONS), ('status', CLIENT), ('show', CLIENT),
    ('iv', AXOLOTL), ('payload', AXOLOTL), ('subject', CLIENT), ('mechanism', SASL),
    ('nick', NICK), ('challenge', SASL), ('response', SASL), ('success', SASL), ('resource', BIND),
    ('jid', BIND), ('priority', CLIENT), ('thread', CLIENT), ('text', ST), ('text', SE),
    ('text', SASL), ('desc', OOB), ('group', ROSTER), ('date', FILEMETA), ('length', FILEMETA),
    ('payload', OMEMO2), ('utc', TIME), ('tzo', TIME), ('name', VERSION), ('version', VERSION),
    ('os', VERSION), ('first', RSM), ('last', RSM), ('count', RSM), ('max', RSM), ('before', RSM),
    ('after', RSM), ('password', MUC), ('reason', MUCUSER), ('title', DATA),
    ('instructions', DATA), ('auth', SASL), ('data', AVDATA), ('spoiler', SPOILER),
]

ATTRIBUTES = [
    ('id', ''), ('to', ''), ('from', ''), ('type', ''), ('lang', XML), ('by', ''), ('h', ''),
    ('jid', ''), ('node', ''), ('var', ''), ('ver', ''), ('name', ''), ('hash', ''),
    ('subscription', ''), ('affiliation', ''), ('role', ''), ('stamp', ''), ('height', ''),
    ('width', ''), ('algo', ''), ('rid', ''), ('sid', ''), ('uri', ''), ('media-type', ''),
    ('url', ''), ('since', ''), ('for', ''), ('start', ''), ('end', ''), ('code', ''),
    ('bytes', ''), ('namespace', ''), ('filename', ''), ('size', ''), ('content-type', ''),
    ('prekey', ''), ('category', ''), ('maxstanzas', ''), ('resume', ''), ('ask', ''),
    ('action', ''), ('status', ''), ('sessionid', ''), ('mechanism', ''), ('max', ''),
    ('version', ''), ('previd', ''), ('location', ''), ('approved', ''), ('nick', ''),
    ('label', ''), ('seconds', ''), ('maxchars', ''), ('queryid', ''), ('with', ''), ('count', ''),
    ('index', ''), ('reason', ''), ('priority', ''), ('mode', ''), ('value', ''), ('password', ''),
    ('date', ''), ('thread', ''), ('parent', ''), ('ns', ''), ('query', ''), ('complete', ''),
    ('stable', ''), ('key', ''), ('trust', ''), ('device', ''),
]

VALUES = [
    'chat', 'groupchat', 'headline', 'normal', 'error', 'get', 'set', 'result', 'unavailable',
    'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'true', 'false', '1', '0',
    '1.0', 'en', 'none', 'both', 'to', 'from', 'remove', 'member', 'participant', 'moderator',
    'visitor', 'owner', 'admin', 'outcast', 'sha-1', 'sha-256', 'sha-512', 'sha3-256',
    'blake2b-256', 'away', 'xa', 'dnd', 'cancel', 'modify', 'auth', 'wait', 'continue',
    'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'video/mp4', 'audio/mp4', 'audio/ogg',
    'audio/mpeg', 'application/pdf', 'text/plain', 'Authorization', 'Cookie', 'Expires',
    'FORM_TYPE', 'hidden', 'submit', 'form', 'text-single', 'text-private', 'text-multi',
    'jid-single', 'jid-multi', 'list-single', 'list-multi', 'boolean', 'fixed', 'execute',
    'completed', 'executing', 'current', 'Offline Storage', 'client', 'server', 'im', 'pc',
    'phone', 'web', 'bot', 'console', 'store', 'file', 'pubsub', 'pep', 'service', 'conference',
    'text', 'OMEMO', 'OMEMO 2', 'SCRAM-SHA-1', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256',
    'SCRAM-SHA-256-PLUS', 'SCRAM-SHA-512', 'SCRAM-SHA-512-PLUS', 'PLAIN', 'EXTERNAL', 'ANONYMOUS',
    'tls-exporter', 'tls-server-end-point', 'tls-unique', 'http://conversations.im',
    'https://gajim.org', 'https://dino.im', 'http://monal-im.org', 'https://siskin.im',
    'https://psi-plus.com', 'http://pidgin.im/', 'http://www.profanity.im', 'https://poez.io',
    'https://movim.eu/', 'https://beagle.im', 'http://jabber.org/protocol/pubsub#publish-options',
    'register-push-fcm', 'register-push-apns', 'urn:xmpp:push:summary', 'secret', 'token',
    'android-id', 'endpoint', 'node', 'jid', 'pubsub#access_model', 'whitelist', 'open',
    'presence', 'roster', 'pubsub#persist_items', 'pubsub#max_items', 'max', 'muc#roomconfig',
    'muc#roominfo', 'http://jabber.org/protocol/muc#roomconfig', '110', '100', '170', '201', '210',
    '301', '303', '307', '321', '322', '332',
]

NAMESPACE_VALUES = [
    CLIENT, SERVER, STREAMS, SE, ST, TLS, SASL, BIND, SESSION, SM, SM2, CSI, CAPS, DINFO, DITEMS,
    ROSTER, CARBONS, FWD, RECEIPTS, MARKERS, CHATSTATES, SID, HINTS, DELAY, PING, OOB, UPLOAD,
    FILEMETA, THUMBS, HASHES, PUSH, COMMANDS, DATA, MUC, MUCUSER, OCC, PSEVENT, PUBSUB, AVMETA,
    AVDATA, NICK, VCUPD, IDLE, BLOCKING, REACTIONS, REPLY, FALLBACK, CORRECT, AXOLOTL, OMEMO2, EME,
    MAM, RSM, TIME, VERSION, SASLCB, ROSTERVER, BOOKMARKS, JMI, RETRACT, MODERATE, LAST, PRIVATE,
    REGISTER, VCARD, SASL2, BIND2, FAST, SPOILER, 'urn:xmpp:features:pre-approval',
    'http://jabber.org/protocol/pubsub#owner', 'http://jabber.org/protocol/pubsub#publish',
    'http://jabber.org/protocol/muc#admin', 'http://jabber.org/protocol/muc#owner',
    'http://jabber.org/protocol/muc#self-ping', 'http://jabber.org/protocol/muc#stable_id',
    'http://jabber.org/protocol/xhtml-im', 'http://jabber.org/protocol/bytestreams',
    'http://jabber.org/protocol/ibb', 'http://jabber.org/protocol/si',
    'http://jabber.org/protocol/address', 'http://jabber.org/protocol/rosterx',
    'http://jabber.org/protocol/activity', 'http://jabber.org/protocol/mood',
    'http://jabber.org/protocol/tune', 'http://jabber.org/protocol/geoloc',
    'http://jabber.org/protocol/nick+notify', 'http://jabber.org/protocol/mood+notify',
    'http://jabber.org/protocol/tune+notify', 'urn:xmpp:avatar:metadata+notify',
    'urn:xmpp:bookmarks:1+notify', 'storage:bookmarks', 'storage:bookmarks+notify',
    'eu.siacs.conversations.axolotl.devicelist',
    'eu.siacs.conversations.axolotl.devicelist+notify', 'urn:xmpp:omemo:2:devices',
    'urn:xmpp:omemo:2:devices+notify', 'urn:xmpp:omemo:2:bundles', 'jabber:x:conference',
    'jabber:x:signed', 'jabber:x:encrypted', 'jabber:iq:search', 'jabber:iq:privacy',
    'jabber:iq:oob', 'msgoffline', 'urn:xmpp:extdisco:2', 'urn:xmpp:jingle:1',
    'urn:xmpp:jingle:apps:dtls:0', 'urn:xmpp:jingle:apps:file-transfer:3',
    'urn:xmpp:jingle:apps:file-transfer:4', 'urn:xmpp:jingle:apps:file-transfer:5',
    'urn:xmpp:jingle:apps:rtp:1', 'urn:xmpp:jingle:apps:rtp:audio',
    'urn:xmpp:jingle:apps:rtp:video', 'urn:xmpp:jingle:apps:rtp:rtcp-fb:0',
    'urn:xmpp:jingle:apps:rtp:rtp-hdrext:0', 'urn:xmpp:jingle:jet-omemo:0',
    'urn:xmpp:jingle:jet:0', 'urn:xmpp:jingle:transports:ibb:1',
    'urn:xmpp:jingle:transports:ice-udp:1', 'urn:xmpp:jingle:transports:s5b:1',
    'urn:xmpp:jingle:transports:webrtc-datachannel:0', 'urn:xmpp:jingle-message:1',
    'urn:xmpp:mam:0', 'urn:xmpp:mam:1', 'urn:xmpp:mam:2#extended', 'urn:xmpp:mucsub:0',
    'urn:xmpp:http:upload', 'urn:xmpp:message-retract:0', 'urn:xmpp:message-moderate:0',
    'urn:xmpp:styling:0', 'urn:xmpp:carbons:rules:0', 'urn:xmpp:invite', 'urn:xmpp:bob',
    'urn:xmpp:bookmarks-conversion:0', 'urn:xmpp:pep-vcard-conversion:0', 'urn:xmpp:vcard4',
    'urn:ietf:params:xml:ns:vcard-4.0', 'urn:xmpp:sfs:0', 'urn:xmpp:sims:1', 'urn:xmpp:esfs:0',
    'urn:xmpp:hash-function-text-names:sha-256', 'urn:xmpp:client-state-indication:0',
    'http://jabber.org/protocol/caps#optimize',
]

PREFIXES = [
    'https://', 'http://', 'data:image/jpeg;base64,', 'data:image/png;base64,',
    'data:image/webp;base64,', 'data:image/gif;base64,', 'Bearer ', 'Basic ', 'xmpp:', 'urn:xmpp:',
    'Conversations.', 'Monal-iOS.', 'Monal-macOS.', 'dino.', 'gajim.', 'iPhone-', 'android-',
    'ios-', 'Siskin-', 'psi-', 'profanity.', 'poezio-', 'movim', 'cid:sha1+', 'sha1+',
    'http://jabber.org/protocol/',
]

