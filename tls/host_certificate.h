// SPDX-License-Identifier: MIT
// A served domain and where its certificate is: what the TLS contexts are built from (the
// configuration's virtual hosts are these).
#pragma once

#include <string>

namespace tern::tls {

struct HostCertificate {
  std::string domain;       // prepared (RFC 7622 domainpart)
  std::string certificate;  // PEM file; empty: generated self-signed under storage_path
  std::string key;          // PEM file
};

}  // namespace tern::tls
