// SPDX-License-Identifier: MIT
// Table-driven XML escaping.
#include "xmpp/escape.h"

#include <array>
#include <cstdint>

namespace tern::xmpp {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// For each byte: nullptr if it is copied as is, else its replacement.
using EscapeTable = std::array<const char*, 256>;

constexpr EscapeTable make_table(bool attribute) {
  EscapeTable table{};
  for (int c = 0; c < 0x20; ++c) {
    table[c] = kReplacementChar.data();
  }
  table['\t'] = attribute ? "&#9;" : nullptr;
  table['\n'] = attribute ? "&#10;" : nullptr;
  table['\r'] = "&#13;";
  table['&'] = "&amp;";
  table['<'] = "&lt;";
  table['>'] = "&gt;";
  if (attribute) {
    table['\''] = "&apos;";
    table['"'] = "&quot;";
  }
  return table;
}

constexpr EscapeTable kTextTable = make_table(false);
constexpr EscapeTable kAttrTable = make_table(true);

void append_escaped(std::string& out, std::string_view in, const EscapeTable& table) {
  const char* run = in.data();
  const char* end = in.data() + in.size();
  for (const char* p = run; p != end; ++p) {
    const char* replacement = table[static_cast<std::uint8_t>(*p)];
    if (replacement != nullptr) {
      out.append(run, p);
      out.append(replacement);
      run = p + 1;
    }
  }
  out.append(run, end);
}

}  // namespace

void append_escaped_text(std::string& out, std::string_view text) {
  append_escaped(out, text, kTextTable);
}

void append_escaped_attr(std::string& out, std::string_view value) {
  append_escaped(out, value, kAttrTable);
}

}  // namespace tern::xmpp
