// SPDX-License-Identifier: MIT
#include "core/module/shared_module.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tern::core {

namespace {

// The file's bytes in an anonymous in-memory file; -1 with `error` set on failure.
int private_copy(const std::string& path, std::string& error) {
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    error = path + ": " + std::generic_category().message(errno);
    return -1;
  }
  const int copy = ::memfd_create("tern-module", MFD_CLOEXEC);
  if (copy < 0) {
    error = "memfd_create: " + std::generic_category().message(errno);
    ::close(in);
    return -1;
  }
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(in, buffer, sizeof buffer);
    if (n == 0) {
      break;
    }
    if (n < 0 || ::write(copy, buffer, static_cast<std::size_t>(n)) != n) {
      error = path + ": cannot copy: " + std::generic_category().message(errno);
      ::close(in);
      ::close(copy);
      return -1;
    }
  }
  ::close(in);
  return copy;
}

}  // namespace

Result<SharedModule, std::string> load_shared_module(const std::string& path) {
  std::string error;
  const int copy = private_copy(path, error);
  if (copy < 0) {
    return Err(error);
  }
  // The descriptor stays open for good: glibc knows a loaded object by the name it was opened
  // with, so "/proc/self/fd/N" must never name another copy later (a closed N would be reused,
  // and dlopen would hand back the old code). One descriptor per load; loads are rare.
  const std::string name = "/proc/self/fd/" + std::to_string(copy);
  void* handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    ::close(copy);
    const char* why = ::dlerror();  // NOLINT(concurrency-mt-unsafe): per thread in glibc
    return Err(path + ": cannot load: " + (why != nullptr ? why : "dlopen failed"));
  }
  const auto* version = static_cast<const unsigned*>(::dlsym(handle, "tern_module_api_version"));
  using InfoFunction = const ModuleInfo* (*)();
  auto info_function = reinterpret_cast<InfoFunction>(::dlsym(handle, "tern_module_info"));
  if (version == nullptr || info_function == nullptr) {
    ::dlclose(handle);
    ::close(copy);
    return Err(path + ": not a Tern module (no TERN_SHARED_MODULE in it)");
  }
  if (*version != TERN_MODULE_API_VERSION) {
    const unsigned theirs = *version;
    ::dlclose(handle);
    ::close(copy);
    return Err(path + ": built against module API version " + std::to_string(theirs) +
               ", this ternd has version " + std::to_string(TERN_MODULE_API_VERSION) +
               ": rebuild it against this ternd's SDK (pkg-config tern-module)");
  }
  return SharedModule{path, info_function()};
}

}  // namespace tern::core
