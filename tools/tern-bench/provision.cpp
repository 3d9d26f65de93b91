// SPDX-License-Identifier: MIT
#include "tools/tern-bench/provision.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

namespace tern::bench {

std::string expand_provision_command(const Options& options) {
  const std::pair<std::string, std::string> fields[] = {
      {"{prefix}", options.prefix},
      {"{first}", std::to_string(options.first)},
      {"{count}", std::to_string(options.sessions)},
      {"{password}", options.password},
      {"{domain}", options.domain},
  };
  std::string command;
  const std::string& text = options.provision_cmd;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [name, value] : fields) {
      if (text.compare(i, name.size(), name) == 0) {
        command += value;
        i += name.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      command += text[i++];
    }
  }
  return command;
}

bool provision(const Options& options) {
  const std::string command = expand_provision_command(options);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): runs before any generator process or thread exists
  const int status = std::system(command.c_str());
  if (status != 0) {
    std::fprintf(stderr, "tern-bench: provisioning failed (status %d): %s\n",
                 WIFEXITED(status) ? WEXITSTATUS(status) : status, command.c_str());
    return false;
  }
  return true;
}

}  // namespace tern::bench
