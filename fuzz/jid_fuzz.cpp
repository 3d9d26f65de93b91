// SPDX-License-Identifier: MIT
// libFuzzer target for Jid::parse. Any bytes may come in; whenever they parse, the result must
// hold the JID invariants: parts within RFC 7622's limits, full() made of the parts, preparation
// idempotent (parsing full() and rebuilding from the parts give an equal Jid), bare() bare. It
// also checks that the ASCII fast path and the ICU path of each preparation agree. Random bytes are
// rarely interesting UTF-8, so each input is also run a second time "widened": every two bytes
// become one code point, which reaches scripts, marks and mappings that raw bytes almost never
// spell. A violated invariant traps, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/jid.h"
#include "xmpp/precis/jid_prep.h"

namespace {

using tern::Result;
using tern::xmpp::describe;
using tern::xmpp::Jid;
using tern::xmpp::JidError;
namespace precis = tern::xmpp::precis;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

using Prep = precis::PrepStatus (*)(std::string_view, std::string&);

// Both paths must give the same status and output, and leave `out` alone on failure; a prepared
// part must prepare to itself.
void check_paths(std::string_view part, Prep fast, Prep slow) {
  std::string fast_out = "x";
  std::string slow_out = "x";
  const precis::PrepStatus fast_status = fast(part, fast_out);
  const precis::PrepStatus slow_status = slow(part, slow_out);
  check(fast_status == slow_status);
  check(fast_out == slow_out);
  if (fast_status != precis::PrepStatus::Ok) {
    check(fast_out == "x");
    return;
  }
  const std::string_view prepared = std::string_view(fast_out).substr(1);
  check(prepared.size() <= precis::kMaxPartBytes);
  std::string again;
  check(fast(prepared, again) == precis::PrepStatus::Ok);
  check(again == prepared);
}

void check_jid(const Jid& jid) {
  check(!jid.empty());
  check(!jid.domain().empty());
  check(jid.local().size() <= precis::kMaxPartBytes);
  check(jid.domain().size() <= precis::kMaxPartBytes);
  check(jid.resource().size() <= precis::kMaxPartBytes);
  check(jid.has_local() == !jid.local().empty());
  check(jid.has_resource() == !jid.resource().empty());
  check(jid.is_bare() == !jid.has_resource());

  // full() is exactly the parts and their separators, and bare_view() its prefix.
  std::string expected;
  if (jid.has_local()) {
    expected.append(jid.local()).push_back('@');
  }
  expected.append(jid.domain());
  check(jid.bare_view() == expected);
  if (jid.has_resource()) {
    expected.append("/").append(jid.resource());
  }
  check(jid.full() == expected);
  check(jid.local().find_first_of("@/") == std::string_view::npos);
  check(jid.domain().find_first_of("@/") == std::string_view::npos);

  // Idempotence: the prepared text parses to the same Jid, and so do the prepared parts.
  const Result<Jid, JidError> again = Jid::parse(jid.full());
  check(again.ok());
  check(*again == jid);
  check(again->hash() == jid.hash());
  check(again->local() == jid.local());
  check(again->domain() == jid.domain());
  check(again->resource() == jid.resource());
  const Result<Jid, JidError> rebuilt = Jid::from_parts(jid.local(), jid.domain(), jid.resource());
  check(rebuilt.ok());
  check(*rebuilt == jid);

  const Jid bare = jid.bare();
  check(bare.is_bare());
  check(bare.full() == jid.bare_view());
  check(bare.local() == jid.local());
  check(bare.domain() == jid.domain());
  check(bare == Jid::parse(jid.bare_view()).value());
  if (jid.has_resource()) {
    const Result<Jid, JidError> with = bare.with_resource(jid.resource());
    check(with.ok());
    check(*with == jid);
  } else {
    check(bare == jid);
  }
}

// Every two bytes, little-endian, as one BMP code point, encoded as UTF-8. The surrogate values,
// which UTF-8 cannot carry, are spread instead over supplementary planes (1-4 and 14-15), so that
// those are reached too.
std::string widen(const uint8_t* data, std::size_t size) {
  std::string out;
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    uint32_t cp = data[i] | (static_cast<uint32_t>(data[i + 1]) << 8);
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      static constexpr uint32_t kPlanes[] = {0x10000, 0x20000, 0x30000, 0xE0000};
      cp = kPlanes[cp & 3] + ((cp - 0xD800) << 6) + (cp & 0x3F);
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

void check_input(std::string_view text) {
  const Result<Jid, JidError> parsed = Jid::parse(text);
  if (parsed.ok()) {
    check_jid(*parsed);
  } else {
    check(!describe(parsed.error()).empty());
  }

  // Split as RFC 7622 §3.1 does and compare the two preparation paths on each piece; also try
  // the whole input in every slot, so that each profile sees arbitrary bytes.
  std::string_view bare = text;
  std::string_view resource;
  if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    bare = text.substr(0, slash);
    resource = text.substr(slash + 1);
  }
  std::string_view local;
  std::string_view domain = bare;
  if (const std::size_t at = bare.find('@'); at != std::string_view::npos) {
    local = bare.substr(0, at);
    domain = bare.substr(at + 1);
  }
  check_paths(local, &precis::prepare_localpart, &precis::detail::prepare_localpart_unicode);
  check_paths(domain, &precis::prepare_domain, &precis::detail::prepare_domain_unicode);
  check_paths(resource, &precis::prepare_resource, &precis::detail::prepare_resource_unicode);
  check_paths(text, &precis::prepare_localpart, &precis::detail::prepare_localpart_unicode);
  check_paths(text, &precis::prepare_domain, &precis::detail::prepare_domain_unicode);
  check_paths(text, &precis::prepare_resource, &precis::detail::prepare_resource_unicode);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  check_input(std::string_view(reinterpret_cast<const char*>(data), size));
  check_input(widen(data, size));
  return 0;
}
