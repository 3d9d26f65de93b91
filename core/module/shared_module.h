// SPDX-License-Identifier: MIT
// Modules in shared objects ([modules] load; docs/module-guide.md "Modules outside the tree"):
// built against the installed SDK with TERN_SHARED_MODULE, loaded by ternd at start and loaded
// again, from the same path, by `ternctl module reload NAME`.
#pragma once

#include <string>

#include "tern/module_api.h"
#include "xmpp/result.h"

namespace tern::core {

struct SharedModule {
  std::string path;
  const ModuleInfo* info = nullptr;
};

// Loads a private copy of `path`: its bytes are copied into an anonymous file first (memfd), so
// that the same path can be loaded again once a new build replaced it (dlopen of a path already
// loaded would hand back the old code). Refuses a file that is no Tern module, and one built
// against another TERN_MODULE_API_VERSION, naming both versions. Never unloaded: the module's
// code stays mapped while anything it started may still run.
Result<SharedModule, std::string> load_shared_module(const std::string& path);

}  // namespace tern::core
