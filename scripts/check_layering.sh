#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The dependency rules of docs/architecture.md, checked on the includes:
#   xmpp/     includes nothing from core/ or storage/ (the protocol library knows no I/O);
#   modules/  includes from core/ only "tern/module_api.h", and nothing from storage/ (a module's
#             data is in stores it opens through that API);
#   modules/  includes nothing of another module's folder; of modules/services/ only the
#             NAME_service.h of a module its TERN_MODULE names (the dependency the server checks
#             at start);
#   storage/  includes nothing from core/ or modules/;
#   core/     includes no module (ternd/main.cpp, the composition root, hands it the list);
#   tls/      includes only xmpp/ (core/ and client/ both stand on it);
#   client/   includes nothing of the server (core/, storage/, modules/): the tools link no server;
#   log/      includes nothing of Tern's but itself (everything else may log through it);
#   modules/  log through ModuleContext::log(), never log/ directly; xmpp/ does not log at all;
#   xmpp/binary/internal/ and xmpp/precis/'s internals are included only by their own library
#             (and its unit tests).
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
check() {  # check DIR REGEX MESSAGE
  local dir=$1 pattern=$2 message=$3
  [[ -d $dir ]] || return 0
  local hits
  hits=$(grep -rnE --include='*.h' --include='*.cpp' "$pattern" "$dir" || true)
  if [[ -n $hits ]]; then
    echo "layering: $message"
    echo "$hits"
    fail=1
  fi
}

check xmpp '#include[[:space:]]+"(core|storage|modules)/' "xmpp/ must not include core/, storage/ or modules/"
check storage '#include[[:space:]]+"(core|modules)/' "storage/ must not include core/ or modules/"
check core '#include[[:space:]]+"(modules|ternd)/' "core/ knows no module: ternd/ (the composition root) brings them together"
check tls '#include[[:space:]]+"(core|storage|modules|client|log)/' "tls/ is below core/: it includes only xmpp/"
check client '#include[[:space:]]+"(core|storage|modules)/' "client/ links tls/ and xmpp/, never the server"
check modules '#include[[:space:]]+"core/' 'modules/ may only include "tern/module_api.h" from core/'
check log '#include[[:space:]]+"(core|storage|modules|xmpp|client|tools)/' "log/ must not include the rest of Tern"
check metrics '#include[[:space:]]+"(core|storage|modules|xmpp|client|tools|log|tls)/' "metrics/ must not include the rest of Tern"
check modules '#include[[:space:]]+"log/' 'modules/ log through ctx.log() (tern/module_api.h), not log/'
check modules '#include[[:space:]]+"storage/' 'modules/ keep their data in stores they open through tern/module_api.h, never storage/'

# A module's files include its own folder and never another module's. What modules offer each
# other is an interface in modules/services/NAME_service.h, which a module includes only when its
# TERN_MODULE names NAME (as "NAME" or, optional, "NAME?"); the provider names none.
uses_of() {  # uses_of MODULE: the names its TERN_MODULE lists after the summary
  cat "modules/$1"/*.cpp | tr '\n' ' ' | grep -oE 'TERN_MODULE\([^)]*\)' |
    grep -oE '"[a-z_]+\??"' | sed -E 's/"//g; s/\?$//' || true
}
cross=""
while IFS= read -r hit; do
  [[ -z $hit ]] && continue
  user=$(sed -E 's|^modules/([a-z_]+)/.*|\1|' <<<"$hit")
  target=$(sed -E 's|.*#include[[:space:]]+"modules/([^"]+)".*|\1|' <<<"$hit")
  if [[ $target =~ ^services/([a-z_]+)_service\.h$ ]]; then
    service=${BASH_REMATCH[1]}
    if [[ $user == "$service" || $user == services ]] || uses_of "$user" | grep -qx "$service"; then
      continue
    fi
  fi
  cross+="$hit"$'\n'
done < <(grep -rnE --include='*.h' --include='*.cpp' '#include[[:space:]]+"modules/' modules |
  grep -vE '^modules/([a-z_]+)/[^:]*:[0-9]+:#include "modules/\1/' | grep -vE '^modules/builtin_modules' || true)
if [[ -n $cross ]]; then
  echo "layering: a module includes another module's folder, or a service it does not name; it may"
  echo "include modules/services/NAME_service.h only when its TERN_MODULE names NAME"
  printf '%s' "$cross"
  fail=1
fi
check xmpp '#include[[:space:]]+"log/' "xmpp/ knows no I/O: it does not log"

# A library's internal headers are its own (and its unit tests'): binary XMPP's internal/, and
# the PRECIS internals behind xmpp/precis/jid_prep.h.
internal=$(grep -rnE --include='*.h' --include='*.cpp' --include='*.c' \
  '#include[[:space:]]+"xmpp/(binary/internal/|precis/precis_)' . |
  grep -vE '^\./(xmpp/binary|xmpp/precis|tests/unit/xmpp|build[^/]*)/' || true)
if [[ -n $internal ]]; then
  echo "layering: only xmpp/binary/ includes binary/internal/, only xmpp/precis/ the PRECIS internals"
  echo "$internal"
  fail=1
fi

if [[ $fail -eq 0 ]]; then
  echo "layering: ok"
fi
exit $fail
