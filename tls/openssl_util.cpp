// SPDX-License-Identifier: MIT
// OpenSSL error queue → message (see openssl_util.h).
#include "tls/openssl_util.h"

#include <openssl/err.h>

#include <system_error>

namespace tern::tls {

std::string take_openssl_errors(const char* fallback) {
  std::string message;
  const char* data = nullptr;
  int flags = 0;
  for (unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags); code != 0;
       code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    if (!message.empty()) {
      message += "; ";
    }
    const char* reason = ERR_reason_error_string(code);
    const char* library = ERR_lib_error_string(code);
    if (ERR_SYSTEM_ERROR(code)) {
      message += std::error_code(ERR_GET_REASON(code), std::generic_category()).message();
    } else {
      message += reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(code));
    }
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      message += " (";
      message += data;
      message += ")";
    }
    if (library != nullptr) {
      message += " [";
      message += library;
      message += "]";
    }
  }
  return message.empty() ? std::string(fallback) : message;
}

}  // namespace tern::tls
