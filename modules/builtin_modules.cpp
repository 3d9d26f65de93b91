// SPDX-License-Identifier: MIT
// One line per built-in module (its TERN_MODULE defines module_info_<id>).
#include "modules/builtin_modules.h"

namespace tern::modules {

const ModuleInfo& module_info_blocking();
const ModuleInfo& module_info_carbons();
const ModuleInfo& module_info_disco();
const ModuleInfo& module_info_http_upload();
const ModuleInfo& module_info_offline();
const ModuleInfo& module_info_ping();
const ModuleInfo& module_info_presence();
const ModuleInfo& module_info_push();
const ModuleInfo& module_info_register();
const ModuleInfo& module_info_roster();
const ModuleInfo& module_info_time();
const ModuleInfo& module_info_version();

std::vector<const ModuleInfo*> builtin_modules() {
  return {&module_info_roster(),   &module_info_blocking(),    &module_info_presence(),
          &module_info_carbons(),  &module_info_offline(),     &module_info_disco(),
          &module_info_ping(),     &module_info_time(),        &module_info_version(),
          &module_info_register(), &module_info_http_upload(), &module_info_push()};
}

}  // namespace tern::modules
