// SPDX-License-Identifier: MIT
// The embedded default configuration: the text of etc/tern.toml, built in (embed_config.py), read
// when ternd or ternctl is given no --config. Enabling a module by default is one edit, there.
#pragma once

#include <string_view>

namespace tern::core {

extern const std::string_view kEmbeddedConfig;

}  // namespace tern::core
