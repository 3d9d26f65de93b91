// SPDX-License-Identifier: MIT
// Jid: an XMPP address, "localpart@domainpart/resourcepart" (RFC 7622). A Jid only exists in
// prepared form: parse() and from_parts() split the text, prepare every part (jid_prep.h) and
// refuse anything RFC 7622 does not allow, so two Jids for the same entity compare equal byte for
// byte. It is one std::string with two small offsets, cheap to copy, compare and hash, and the
// part accessors are views into it.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

#include "xmpp/result.h"

namespace tern::xmpp {

enum class JidError : uint8_t {
  Empty,
  LocalpartEmpty,
  LocalpartTooLong,
  LocalpartInvalid,
  DomainEmpty,
  DomainTooLong,
  DomainInvalid,
  ResourceEmpty,
  ResourceTooLong,
  ResourceInvalid,
};

// A short human-readable reason, e.g. "localpart contains a disallowed character".
std::string_view describe(JidError error);
std::ostream& operator<<(std::ostream& os, JidError error);

class Jid {
 public:
  // The empty JID: empty() is true and every part is empty. Not a valid address.
  Jid() = default;

  // RFC 7622 §3.1: the resourcepart is everything after the first '/', and in what precedes it
  // the localpart is everything before the first '@'. So "a@b/c@d/e" has resource "c@d/e". An
  // '@' with nothing before it, a '/' with nothing after it, or no domainpart is an error.
  static Result<Jid, JidError> parse(std::string_view text);

  // Builds a JID from separate parts, each prepared. An empty localpart or resourcepart means
  // the part is absent; the domainpart is required.
  static Result<Jid, JidError> from_parts(std::string_view local, std::string_view domain,
                                          std::string_view resource);

  bool empty() const { return full_.empty(); }
  // True for a valid JID without a resourcepart (false for the empty JID).
  bool is_bare() const { return !empty() && domain_end_ == full_.size(); }
  bool has_local() const { return local_len_ != 0; }
  bool has_resource() const { return domain_end_ < full_.size(); }

  std::string_view local() const { return std::string_view(full_).substr(0, local_len_); }
  std::string_view domain() const {
    const std::size_t start = has_local() ? local_len_ + 1u : 0u;
    return std::string_view(full_).substr(start, domain_end_ - start);
  }
  std::string_view resource() const {
    return has_resource() ? std::string_view(full_).substr(domain_end_ + 1u) : std::string_view();
  }

  // The prepared, canonical text: "local@domain/resource", without the absent parts.
  std::string_view full() const { return full_; }
  // The "local@domain" prefix of full(), without copying.
  std::string_view bare_view() const { return std::string_view(full_).substr(0, domain_end_); }
  Jid bare() const;

  // This JID's bare form with `resource` (prepared) as its resourcepart. An empty `resource` is
  // ResourceEmpty (use bare() for the bare JID); on the empty JID this is DomainEmpty.
  Result<Jid, JidError> with_resource(std::string_view resource) const;

  // Prepared forms are canonical, so comparison is exact byte comparison of them (RFC 7622
  // §3.2-§3.4 compare parts after preparation and enforcement).
  friend bool operator==(const Jid& a, const Jid& b) { return a.full_ == b.full_; }
  friend std::strong_ordering operator<=>(const Jid& a, const Jid& b) {
    return a.full_.compare(b.full_) <=> 0;
  }

  std::size_t hash() const { return std::hash<std::string_view>{}(full_); }

 private:
  // Prepares the parts present and joins them into one Jid; the first failing part decides the
  // error, in the order localpart, domainpart, resourcepart.
  static Result<Jid, JidError> assemble(std::string_view local, bool has_local,
                                        std::string_view domain, std::string_view resource,
                                        bool has_resource);

  std::string full_;
  // Parts are at most 1023 octets each, so full_ is at most 3071 and 16 bits suffice.
  uint16_t local_len_ = 0;   // 0: no localpart
  uint16_t domain_end_ = 0;  // offset just past the domainpart; full_.size() if no resource
};

std::ostream& operator<<(std::ostream& os, const Jid& jid);

struct JidHash {
  std::size_t operator()(const Jid& jid) const { return jid.hash(); }
};

}  // namespace tern::xmpp

template <>
struct std::hash<tern::xmpp::Jid> {
  std::size_t operator()(const tern::xmpp::Jid& jid) const { return jid.hash(); }
};
