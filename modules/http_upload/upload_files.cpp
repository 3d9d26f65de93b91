// SPDX-License-Identifier: MIT
#include "modules/http_upload/upload_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tern::modules::http_upload {
namespace {

std::string errno_text(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);  // NOLINT(concurrency-mt-unsafe)
}

bool fsync_directory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string UploadFiles::path_of(std::string_view id) const {
  return directory_ + "/" + std::string(id.substr(0, 2)) + "/" + std::string(id);
}

std::string UploadFiles::temp_path_of(std::string_view id) const {
  return directory_ + "/tmp/" + std::string(id) + ".part";
}

int UploadFiles::create_temp(std::string_view id, std::string& error) const {
  const std::string temp = directory_ + "/tmp";
  if (::mkdir(temp.c_str(), 0750) != 0 && errno != EEXIST) {
    error = errno_text("mkdir " + temp);
    return -1;
  }
  const int fd = ::open(temp_path_of(id).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = errno_text("open " + temp_path_of(id));
  }
  return fd;
}

bool UploadFiles::write_all(int fd, std::string_view bytes, std::string& error) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      error = errno_text("write");
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

bool UploadFiles::commit(int fd, std::string_view id, std::string& error) const {
  if (::fsync(fd) != 0) {
    error = errno_text("fsync");
    ::close(fd);
    return false;
  }
  if (::close(fd) != 0) {
    error = errno_text("close");
    return false;
  }
  const std::string folder = directory_ + "/" + std::string(id.substr(0, 2));
  if (::mkdir(folder.c_str(), 0750) != 0 && errno != EEXIST) {
    error = errno_text("mkdir " + folder);
    return false;
  }
  if (::rename(temp_path_of(id).c_str(), path_of(id).c_str()) != 0) {
    error = errno_text("rename");
    return false;
  }
  if (!fsync_directory(folder)) {
    error = errno_text("fsync " + folder);
    return false;
  }
  return true;
}

void UploadFiles::discard_temp(int fd, std::string_view id) const {
  if (fd >= 0) {
    ::close(fd);
  }
  ::unlink(temp_path_of(id).c_str());
}

void UploadFiles::remove(std::string_view id) const {
  ::unlink(path_of(id).c_str());
}

int UploadFiles::open_stored(std::string_view id) const {
  return ::open(path_of(id).c_str(), O_RDONLY | O_CLOEXEC);
}

bool UploadFiles::read_at(int fd, std::uint64_t offset, std::size_t max, std::string& out) {
  out.resize(max);
  std::size_t got = 0;
  while (got < max) {
    const ssize_t n = ::pread(fd, out.data() + got, max - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return true;
}

void UploadFiles::close_fd(int fd) {
  if (fd >= 0) {
    ::close(fd);
  }
}

}  // namespace tern::modules::http_upload
