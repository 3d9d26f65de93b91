// SPDX-License-Identifier: MIT
// XML escaping for the serializer's hot path: runs of bytes that need no escaping are appended in
// one piece, found through a byte table.
#pragma once

#include <string>
#include <string_view>

namespace tern::xmpp {

// Character data: & < > are escaped, and CR as &#13; so that it survives XML line-end
// normalisation. Control characters XML 1.0 forbids (C0 other than TAB, LF, CR) become U+FFFD,
// so a module setting bad text can never make the stream ill-formed.
void append_escaped_text(std::string& out, std::string_view text);

// Attribute values (written between single quotes): & < > ' " are escaped, and TAB, LF, CR as
// character references so that attribute-value normalisation leaves them intact. Forbidden
// control characters become U+FFFD.
void append_escaped_attr(std::string& out, std::string_view value);

}  // namespace tern::xmpp
