#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Build step: builtin_modules.cpp from the module names in modules/meson.build, so that adding a
# built-in module is its folder and one line there. Each module's TERN_MODULE defines
# module_info_<name>(); listing them here keeps the linker from dropping a module's objects.
# usage: gen_builtin_modules.py OUTPUT_CPP NAME...
import sys

output, names = sys.argv[1], sys.argv[2:]
with open(output, "w", encoding="utf-8") as out:
    out.write("// Generated from modules/meson.build by gen_builtin_modules.py: do not edit.\n")
    out.write('#include "modules/builtin_modules.h"\n\nnamespace tern::modules {\n\n')
    for name in names:
        out.write(f"const ModuleInfo& module_info_{name}();\n")
    out.write("\nstd::vector<const ModuleInfo*> builtin_modules() {\n  return {\n")
    for name in names:
        out.write(f"      &module_info_{name}(),\n")
    out.write("  };\n}\n\n}  // namespace tern::modules\n")
