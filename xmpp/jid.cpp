// SPDX-License-Identifier: MIT
// Jid parsing and construction (RFC 7622 §3.1): splitting the text into parts, handing each part to
// the preparation code in jid_prep.cpp, and assembling the prepared parts into one string.
#include "xmpp/jid.h"

#include <algorithm>
#include <ostream>

#include "xmpp/precis/jid_prep.h"

namespace tern::xmpp {
namespace {

using precis::PrepStatus;

struct PartErrors {
  JidError empty;
  JidError too_long;
  JidError invalid;
};

constexpr PartErrors kLocalErrors{JidError::LocalpartEmpty, JidError::LocalpartTooLong,
                                  JidError::LocalpartInvalid};
constexpr PartErrors kDomainErrors{JidError::DomainEmpty, JidError::DomainTooLong,
                                   JidError::DomainInvalid};
constexpr PartErrors kResourceErrors{JidError::ResourceEmpty, JidError::ResourceTooLong,
                                     JidError::ResourceInvalid};

JidError to_error(PrepStatus status, const PartErrors& errors) {
  switch (status) {
    case PrepStatus::Empty:
      return errors.empty;
    case PrepStatus::TooLong:
      return errors.too_long;
    case PrepStatus::Ok:  // not an error; callers never pass it
    case PrepStatus::Invalid:
      break;
  }
  return errors.invalid;
}

}  // namespace

std::string_view describe(JidError error) {
  switch (error) {
    case JidError::Empty:
      return "JID is empty";
    case JidError::LocalpartEmpty:
      return "localpart is empty";
    case JidError::LocalpartTooLong:
      return "localpart is longer than 1023 octets";
    case JidError::LocalpartInvalid:
      return "localpart contains a disallowed character";
    case JidError::DomainEmpty:
      return "domainpart is empty";
    case JidError::DomainTooLong:
      return "domainpart is longer than 1023 octets";
    case JidError::DomainInvalid:
      return "domainpart is not a valid domain name or IP address";
    case JidError::ResourceEmpty:
      return "resourcepart is empty";
    case JidError::ResourceTooLong:
      return "resourcepart is longer than 1023 octets";
    case JidError::ResourceInvalid:
      return "resourcepart contains a disallowed character";
  }
  return "invalid JID";
}

std::ostream& operator<<(std::ostream& os, JidError error) {
  return os << describe(error);
}

std::ostream& operator<<(std::ostream& os, const Jid& jid) {
  return os << jid.full();
}

Result<Jid, JidError> Jid::parse(std::string_view text) {
  if (text.empty()) {
    return Err{JidError::Empty};
  }
  // RFC 7622 §3.1: split at the first '/', then at the first '@' before it. Both are ASCII, so a
  // byte search cannot cut a UTF-8 sequence; the prepared parts never contain them (localparts
  // and domainparts forbid them), so full() splits back into the same parts.
  std::string_view bare = text;
  std::string_view resource;
  bool has_resource = false;
  if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    bare = text.substr(0, slash);
    resource = text.substr(slash + 1);
    has_resource = true;
  }
  std::string_view local;
  std::string_view domain = bare;
  bool has_local = false;
  if (const std::size_t at = bare.find('@'); at != std::string_view::npos) {
    local = bare.substr(0, at);
    domain = bare.substr(at + 1);
    has_local = true;
  }

  return assemble(local, has_local, domain, resource, has_resource);
}

Result<Jid, JidError> Jid::from_parts(std::string_view local, std::string_view domain,
                                      std::string_view resource) {
  return assemble(local, !local.empty(), domain, resource, !resource.empty());
}

Result<Jid, JidError> Jid::assemble(std::string_view local, bool has_local, std::string_view domain,
                                    std::string_view resource, bool has_resource) {
  Jid jid;
  // ASCII parts come out as long as they went in, so this is usually the only allocation. The cap
  // keeps a huge (and doomed) input from allocating more than the longest possible JID.
  constexpr std::size_t kMaxJidBytes = 3 * precis::kMaxPartBytes + 2;
  jid.full_.reserve(std::min(local.size() + domain.size() + resource.size() + 2, kMaxJidBytes));
  if (has_local) {
    if (const PrepStatus status = precis::prepare_localpart(local, jid.full_);
        status != PrepStatus::Ok) {
      return Err{to_error(status, kLocalErrors)};
    }
    jid.local_len_ = static_cast<uint16_t>(jid.full_.size());
    jid.full_.push_back('@');
  }
  if (const PrepStatus status = precis::prepare_domain(domain, jid.full_);
      status != PrepStatus::Ok) {
    return Err{to_error(status, kDomainErrors)};
  }
  jid.domain_end_ = static_cast<uint16_t>(jid.full_.size());
  if (has_resource) {
    jid.full_.push_back('/');
    if (const PrepStatus status = precis::prepare_resource(resource, jid.full_);
        status != PrepStatus::Ok) {
      return Err{to_error(status, kResourceErrors)};
    }
  }
  return jid;
}

Jid Jid::bare() const {
  Jid jid;
  jid.full_.assign(full_, 0, domain_end_);
  jid.local_len_ = local_len_;
  jid.domain_end_ = domain_end_;
  return jid;
}

Result<Jid, JidError> Jid::with_resource(std::string_view resource) const {
  if (empty()) {
    return Err{JidError::DomainEmpty};
  }
  if (resource.empty()) {
    return Err{JidError::ResourceEmpty};
  }
  Jid jid;
  jid.full_.reserve(domain_end_ + 1u + resource.size());
  jid.full_.append(bare_view());
  jid.full_.push_back('/');
  if (const PrepStatus status = precis::prepare_resource(resource, jid.full_);
      status != PrepStatus::Ok) {
    return Err{to_error(status, kResourceErrors)};
  }
  jid.local_len_ = local_len_;
  jid.domain_end_ = domain_end_;
  return jid;
}

}  // namespace tern::xmpp
