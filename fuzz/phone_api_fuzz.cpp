// SPDX-License-Identifier: MIT
// Fuzz target for the phone sign-up API's JSON input (modules/phone/api_json.h): the input is
// a request body as an app POSTs it. Oracle: no crash; a body that parses has exactly what the
// API promises (a PIN of six digits), and every refusal serializes as a JSON error with a code.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "modules/phone/api_json.h"

// libFuzzer's entry point, named by it.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  using namespace tern::modules::phone;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto pin = parse_pin_request(body);
  if (!pin && (pin.error().code.empty() || error_response(pin.error()).body.empty())) {
    __builtin_trap();
  }
  auto verify = parse_verify(body);
  if (verify) {
    if (verify->pin.size() != 6) {
      __builtin_trap();
    }
    (void)verified_response(verify->number, verify->pin, true);
  } else if (error_response(verify.error()).status != 400) {
    __builtin_trap();
  }
  return 0;
}
