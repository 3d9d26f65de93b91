// SPDX-License-Identifier: MIT
// StreamParser on Expat: tree building, limits, RFC 6120 §11 restrictions and the mapping of
// Expat's errors to stream error conditions.
#include "xmpp/stream_parser.h"

#include <expat.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "xmpp/names.h"
#include "xmpp/namespaces.h"

namespace tern::xmpp {
namespace {

// Expat joins namespace URI and local name with this. It cannot occur in XML 1.0 text, so it
// cannot occur in a namespace name.
constexpr char kNsSeparator = '\x01';

// Expat hands input in slices no larger than this, so limits are checked between slices even
// when the caller feeds a large buffer.
constexpr std::size_t kSliceBytes = std::size_t{16} * 1024;

struct QName {
  std::string_view ns;
  std::string_view local;
};

QName split_qname(const char* expat_name) {
  std::string_view full(expat_name);
  std::size_t sep = full.rfind(kNsSeparator);
  if (sep == std::string_view::npos) {
    return {{}, full};
  }
  return {full.substr(0, sep), full.substr(sep + 1)};
}

bool is_xml_whitespace(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

}  // namespace

struct StreamParser::ExpatParser {
  XML_Parser parser;
  ExpatParser() : parser(XML_ParserCreateNS("UTF-8", kNsSeparator)) {
    if (parser == nullptr) {
      throw std::bad_alloc();
    }
  }
  ~ExpatParser() { XML_ParserFree(parser); }
  ExpatParser(const ExpatParser&) = delete;
  ExpatParser& operator=(const ExpatParser&) = delete;
};

// Static trampolines from Expat's C callbacks into the parser. A C++ exception must not unwind
// through Expat's C frames, so each one catches everything and turns it into a stream error.
struct StreamParser::Callbacks {
  template <class Fn>
  static void guarded(void* user, Fn&& fn) {
    auto* self = static_cast<StreamParser*>(user);
    if (self->failed_) {
      return;
    }
    self->in_callback_ = true;
    try {
      fn(*self);
    } catch (const std::bad_alloc&) {
      self->fail(StreamError::resource_constraint("out of memory"));
    } catch (...) {
      self->fail(StreamError::internal_server_error());
    }
    self->in_callback_ = false;
  }

  static void start(void* user, const XML_Char* name, const XML_Char** attrs) {
    guarded(user, [&](StreamParser& p) { p.on_start(name, attrs); });
  }
  static void end(void* user, const XML_Char* /*name*/) {
    guarded(user, [](StreamParser& p) { p.on_end(); });
  }
  static void text(void* user, const XML_Char* s, int len) {
    guarded(user, [&](StreamParser& p) { p.on_text(s, len); });
  }
  static void namespace_decl(void* user, const XML_Char* prefix, const XML_Char* uri) {
    guarded(user, [&](StreamParser& p) { p.on_namespace(prefix, uri); });
  }
  static void xml_decl(void* user, const XML_Char* /*version*/, const XML_Char* encoding,
                       int /*standalone*/) {
    guarded(user, [&](StreamParser& p) { p.on_xml_decl(encoding); });
  }
  // RFC 6120 §11.1: comments, processing instructions, DTDs and entity declarations are
  // prohibited in XMPP.
  static void restricted(void* user, const char* what) {
    guarded(user, [&](StreamParser& p) {
      p.fail(StreamError::restricted_xml(std::string(what) + " not allowed in XMPP"));
    });
  }
  static void comment(void* user, const XML_Char* /*data*/) { restricted(user, "comment"); }
  static void processing_instruction(void* user, const XML_Char* /*target*/,
                                     const XML_Char* /*data*/) {
    restricted(user, "processing instruction");
  }
  static void doctype(void* user, const XML_Char* /*name*/, const XML_Char* /*sysid*/,
                      const XML_Char* /*pubid*/, int /*has_internal_subset*/) {
    restricted(user, "DTD");
  }
  static void entity_decl(void* user, const XML_Char* /*name*/, int /*parameter*/,
                          const XML_Char* /*value*/, int /*length*/, const XML_Char* /*base*/,
                          const XML_Char* /*sysid*/, const XML_Char* /*pubid*/,
                          const XML_Char* /*notation*/) {
    restricted(user, "entity declaration");
  }
  static void skipped_entity(void* user, const XML_Char* /*name*/, int /*parameter*/) {
    restricted(user, "entity reference");
  }
};

StreamParser::StreamParser(StreamSink& sink, ParserOptions options)
    : sink_(sink), options_(std::move(options)), expat_(std::make_unique<ExpatParser>()) {
  install_handlers();
}

StreamParser::~StreamParser() = default;

void StreamParser::install_handlers() {
  XML_Parser p = expat_->parser;
  XML_SetUserData(p, this);
  XML_SetElementHandler(p, &Callbacks::start, &Callbacks::end);
  XML_SetCharacterDataHandler(p, &Callbacks::text);
  XML_SetStartNamespaceDeclHandler(p, &Callbacks::namespace_decl);
  XML_SetXmlDeclHandler(p, &Callbacks::xml_decl);
  XML_SetCommentHandler(p, &Callbacks::comment);
  XML_SetProcessingInstructionHandler(p, &Callbacks::processing_instruction);
  XML_SetStartDoctypeDeclHandler(p, &Callbacks::doctype);
  XML_SetEntityDeclHandler(p, &Callbacks::entity_decl);
  XML_SetSkippedEntityHandler(p, &Callbacks::skipped_entity);
  // External entities are never loaded: no handler is set and parameter entity parsing is off.
  XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
#ifdef TERN_EXPAT_HAS_REPARSE_DEFERRAL
  // Deferral can hold back a stanza's end tag until more bytes arrive (libexpat #895); our
  // max_token_bytes guard bounds the reparse cost instead.
  XML_SetReparseDeferralEnabled(p, XML_FALSE);
#endif
}

void StreamParser::reset() {
  XML_ParserReset(expat_->parser, "UTF-8");
  install_handlers();
  depth_ = 0;
  failed_ = false;
  stopped_ = false;
  closed_ = false;
  restart_requested_ = false;
  at_document_start_ = true;
  offset_ = 0;
  last_event_offset_ = 0;
  stanza_start_ = 0;
  pending_text_.clear();
  declared_default_ns_.clear();
  default_ns_declared_ = false;
  stanza_.reset();
  current_ = nullptr;
}

void StreamParser::request_restart() {
  if (!in_callback_) {
    reset();
    return;
  }
  restart_requested_ = true;
  restart_offset_ = event_end();
  XML_StopParser(expat_->parser, XML_TRUE);
}

void StreamParser::stop() {
  if (failed_) {
    return;
  }
  failed_ = true;
  stopped_ = true;
  stanza_.reset();
  current_ = nullptr;
  if (in_callback_) {
    XML_StopParser(expat_->parser, XML_FALSE);
  }
}

std::uint64_t StreamParser::event_offset() const {
  return static_cast<std::uint64_t>(XML_GetCurrentByteIndex(expat_->parser));
}

std::uint64_t StreamParser::event_end() const {
  return event_offset() + static_cast<std::uint64_t>(XML_GetCurrentByteCount(expat_->parser));
}

std::size_t StreamParser::feed(std::string_view bytes) {
  std::size_t consumed = 0;
  if (at_document_start_) {
    // Whitespace between the element that caused a restart and the new header (go-sendxmpp sends
    // a newline there, then "<?xml ...?>") belongs to neither document; XML forbids it before the
    // declaration, so it is dropped here and never reaches Expat.
    consumed = bytes.find_first_not_of(" \t\r\n");
    if (consumed == std::string_view::npos) {
      return bytes.size();
    }
    at_document_start_ = false;
  }
  while (consumed < bytes.size() && !failed_ && !closed_) {
    std::size_t slice = std::min(kSliceBytes, bytes.size() - consumed);
    std::uint64_t slice_start = offset_;
    offset_ += slice;
    XML_Status status =
        XML_Parse(expat_->parser, bytes.data() + consumed, static_cast<int>(slice), XML_FALSE);
    if (status == XML_STATUS_SUSPENDED && restart_requested_) {
      std::size_t used = static_cast<std::size_t>(restart_offset_ - slice_start);
      reset();
      return consumed + used;
    }
    if (status == XML_STATUS_ERROR) {
      fail_from_expat();
      return bytes.size();
    }
    consumed += slice;
    if (closed_) {
      break;
    }
    if (offset_ - last_event_offset_ > options_.limits.max_token_bytes) {
      fail(StreamError::policy_violation(
          "XML token exceeds " + std::to_string(options_.limits.max_token_bytes) + " bytes"));
      return bytes.size();
    }
    if (depth_ >= 2 && !check_stanza_size(offset_)) {
      return bytes.size();
    }
  }
  return failed_ || closed_ ? bytes.size() : consumed;
}

bool StreamParser::check_stanza_size(std::uint64_t end_offset) {
  if (end_offset - stanza_start_ > options_.limits.max_stanza_bytes) {
    fail(StreamError::policy_violation(
        "stanza exceeds " + std::to_string(options_.limits.max_stanza_bytes) + " bytes"));
    return false;
  }
  return true;
}

void StreamParser::fail(StreamError error) {
  if (failed_) {
    return;
  }
  failed_ = true;
  error_ = std::move(error);
  stanza_.reset();
  current_ = nullptr;
  if (in_callback_) {
    XML_StopParser(expat_->parser, XML_FALSE);
  } else {
    sink_.on_stream_error(error_);
  }
}

void StreamParser::fail_from_expat() {
  XML_Error code = XML_GetErrorCode(expat_->parser);
  if (failed_ && code == XML_ERROR_ABORTED) {
    if (!stopped_) {
      sink_.on_stream_error(error_);  // our own error, raised inside a callback
    }
    return;
  }
  std::string text = XML_ErrorString(code);
  StreamError error;
  switch (code) {
    case XML_ERROR_UNBOUND_PREFIX:
      // RFC 6120 §4.9.3.2: a prefix the receiver cannot resolve.
      error = StreamError{StreamCondition::BadNamespacePrefix, text, {}};
      break;
    case XML_ERROR_UNDEFINED_ENTITY:
    case XML_ERROR_RECURSIVE_ENTITY_REF:
    case XML_ERROR_EXTERNAL_ENTITY_HANDLING:
    case XML_ERROR_ENTITY_DECLARED_IN_PE:
    case XML_ERROR_AMPLIFICATION_LIMIT_BREACH:
      // RFC 6120 §11.1: only the five predefined entities may be referenced.
      error = StreamError::restricted_xml(text);
      break;
    case XML_ERROR_UNKNOWN_ENCODING:
    case XML_ERROR_INCORRECT_ENCODING:
      error = StreamError::unsupported_encoding(text);  // RFC 6120 §11.6: UTF-8 only
      break;
    default:
      error = StreamError::not_well_formed(text);
      break;
  }
  failed_ = false;  // let fail() record and report it
  fail(std::move(error));
}

void StreamParser::on_xml_decl(const char* encoding) {
  last_event_offset_ = event_end();
  if (encoding != nullptr && !iequals_ascii(encoding, "UTF-8")) {
    fail(StreamError::unsupported_encoding("streams must be UTF-8"));
  }
}

void StreamParser::on_namespace(const char* prefix, const char* uri) {
  last_event_offset_ = event_end();
  if (depth_ == 0 && prefix == nullptr) {
    default_ns_declared_ = true;
    declared_default_ns_ = uri != nullptr ? uri : "";
  }
}

void StreamParser::begin_stream(std::string_view qname, const char** attrs) {
  QName name = split_qname(qname.data());
  if (name.ns != ns::kStreams) {
    // RFC 6120 §4.9.3.10: the stream namespace must be http://etherx.jabber.org/streams.
    return fail(
        StreamError::invalid_namespace("stream namespace must be " + std::string(ns::kStreams)));
  }
  if (name.local != "stream") {
    return fail(StreamError::bad_format("the root element must be <stream>"));
  }
  if (!options_.content_ns.empty() &&
      (!default_ns_declared_ || declared_default_ns_ != options_.content_ns)) {
    return fail(StreamError::invalid_namespace("default namespace must be " + options_.content_ns));
  }
  StreamHeader header;
  header.content_ns = declared_default_ns_;
  for (const char** a = attrs; *a != nullptr; a += 2) {
    QName attr = split_qname(a[0]);
    std::string_view value = a[1];
    if (attr.ns.empty()) {
      if (attr.local == "to") {
        header.to = value;
      } else if (attr.local == "from") {
        header.from = value;
      } else if (attr.local == "id") {
        header.id = value;
      } else if (attr.local == "version") {
        header.version = value;
      }
    } else if (attr.ns == ns::kXml && attr.local == "lang") {
      header.lang = value;
    }
  }
  depth_ = 1;
  sink_.on_stream_open(header);
}

void StreamParser::on_start(const char* name, const char** attrs) {
  std::uint64_t start = event_offset();
  last_event_offset_ = event_end();
  if (depth_ == 0) {
    return begin_stream(name, attrs);
  }
  if (depth_ - 1 >= options_.limits.max_depth) {
    return fail(StreamError::policy_violation("elements nested deeper than " +
                                              std::to_string(options_.limits.max_depth)));
  }
  std::size_t attr_count = 0;
  while (attrs[attr_count * 2] != nullptr) {
    ++attr_count;
  }
  if (attr_count > options_.limits.max_attributes) {
    return fail(StreamError::policy_violation("more than " +
                                              std::to_string(options_.limits.max_attributes) +
                                              " attributes on one element"));
  }
  if (depth_ == 1) {
    stanza_start_ = start;
    stanza_ = std::make_unique<Stanza>();
  } else {
    flush_text();
  }
  Arena& arena = stanza_->arena();
  QName qname = split_qname(name);
  Element* element = arena.make<Element>(arena, intern_or_copy(arena, qname.local),
                                         intern_or_copy(arena, qname.ns));
  if (attr_count > 0) {
    auto* copied = arena.make_array<Attribute>(attr_count);
    for (std::size_t i = 0; i < attr_count; ++i) {
      QName attr = split_qname(attrs[i * 2]);
      copied[i] = {intern_or_copy(arena, attr.local), intern_or_copy(arena, attr.ns),
                   arena.copy(attrs[i * 2 + 1])};
    }
    element->adopt_attrs(copied, static_cast<std::uint32_t>(attr_count));
  }
  if (current_ == nullptr) {
    stanza_->set_root(element);
  } else {
    current_->append(element);
  }
  current_ = element;
  ++depth_;
}

void StreamParser::on_end() {
  std::uint64_t end = event_end();
  last_event_offset_ = end;
  if (depth_ == 1) {
    depth_ = 0;
    closed_ = true;
    sink_.on_stream_close();
    return;
  }
  flush_text();
  current_ = current_->parent();
  --depth_;
  if (depth_ == 1) {
    if (!check_stanza_size(end)) {
      return;
    }
    sink_.on_stanza(std::move(stanza_));
  }
}

void StreamParser::on_text(const char* text, int length) {
  last_event_offset_ = event_end();
  std::string_view run(text, static_cast<std::size_t>(length));
  if (depth_ <= 1) {
    // Between stanzas only whitespace (keepalives, RFC 6120 §4.6.1) may appear.
    if (!is_xml_whitespace(run)) {
      fail(StreamError::bad_format("text outside of a stanza"));
    }
    return;
  }
  if (pending_text_.size() + run.size() > options_.limits.max_text_bytes) {
    return fail(StreamError::policy_violation(
        "text run exceeds " + std::to_string(options_.limits.max_text_bytes) + " bytes"));
  }
  pending_text_.append(run);
}

void StreamParser::flush_text() {
  if (!pending_text_.empty()) {
    current_->add_text(pending_text_);
    pending_text_.clear();
  }
}

namespace {

// Keeps the one stanza a standalone document holds.
class SingleStanzaSink final : public StreamSink {
 public:
  void on_stream_open(const StreamHeader& /*header*/) override {}
  void on_stanza(StanzaPtr stanza) override {
    ++count;
    stanza_ = std::move(stanza);
  }
  void on_stream_close() override {}
  void on_stream_error(const StreamError& /*error*/) override { failed = true; }
  StanzaPtr take() { return failed || count != 1 ? nullptr : std::move(stanza_); }

  int count = 0;
  bool failed = false;

 private:
  StanzaPtr stanza_;
};

}  // namespace

StanzaPtr parse_stanza(std::string_view xml, const ParserLimits& limits) {
  SingleStanzaSink sink;
  ParserOptions options;
  options.limits = limits;
  StreamParser parser(sink, options);
  std::string input =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  input += xml;
  parser.feed(input);
  return sink.take();
}

}  // namespace tern::xmpp
