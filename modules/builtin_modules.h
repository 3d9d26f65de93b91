// SPDX-License-Identifier: MIT
// The modules built into ternd, listed explicitly (as nginx generates ngx_modules.c): a static
// library's unreferenced object files would otherwise be dropped by the linker, and a module
// would silently vanish. The list is generated from modules/meson.build (gen_builtin_modules.py).
#pragma once

#include <vector>

#include "tern/module_api.h"

namespace tern::modules {

std::vector<const ModuleInfo*> builtin_modules();

}  // namespace tern::modules
