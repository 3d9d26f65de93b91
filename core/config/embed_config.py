#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Build step: etc/tern.toml as the text of ternd's embedded default configuration
# (core/config/embedded_config.h), so that the file an operator reads and copies is exactly what
# ternd runs with when given none. usage: embed_config.py TERN_TOML OUTPUT_CPP
import sys

source, output = sys.argv[1], sys.argv[2]
text = open(source, encoding="utf-8").read()
delimiter = "tern_toml"
if f"){delimiter}\"" in text:
    sys.exit(f"embed_config.py: {source} contains the raw string's end marker")
with open(output, "w", encoding="utf-8") as out:
    out.write("// Generated from etc/tern.toml by core/config/embed_config.py: do not edit.\n")
    out.write('#include "core/config/embedded_config.h"\n\n')
    out.write("namespace tern::core {\n\n")
    out.write(f'const std::string_view kEmbeddedConfig = R"{delimiter}({text}){delimiter}";\n\n')
    out.write("}  // namespace tern::core\n")
