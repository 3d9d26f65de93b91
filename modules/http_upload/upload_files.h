// SPDX-License-Identifier: MIT
// The files of stored uploads on disk, under the module's data directory: DIR/ab/ID for slot ID
// (its first two hex digits spread the files over 256 folders), written as DIR/tmp/ID.part and
// renamed into place only after fsync, so a file that exists under its name is whole. Names on
// disk are slot ids only (valid_slot_id): nothing a client sends becomes a path.
//
// Every call here blocks (file system): modules call them inside ModuleContext::offload jobs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::modules::http_upload {

class UploadFiles {
 public:
  explicit UploadFiles(std::string directory) : directory_(std::move(directory)) {}

  const std::string& directory() const { return directory_; }
  std::string path_of(std::string_view id) const;
  std::string temp_path_of(std::string_view id) const;

  // Creates (truncating) the temporary file of `id`: a descriptor, or -1 with `error`.
  int create_temp(std::string_view id, std::string& error) const;
  // Writes all of `bytes` at the descriptor's position; false with `error`.
  static bool write_all(int fd, std::string_view bytes, std::string& error);
  // fsync, close, and rename into place (then fsync the folder, so the name is durable too).
  // The descriptor is closed whatever happens.
  bool commit(int fd, std::string_view id, std::string& error) const;
  // Closes `fd` (if open) and removes the temporary file.
  void discard_temp(int fd, std::string_view id) const;
  // Removes a stored file (absent is fine).
  void remove(std::string_view id) const;
  // Opens a stored file for reading: a descriptor or -1.
  int open_stored(std::string_view id) const;
  // Reads up to `max` bytes at `offset` into `out` (replacing it); false on an error.
  static bool read_at(int fd, std::uint64_t offset, std::size_t max, std::string& out);
  static void close_fd(int fd);

 private:
  std::string directory_;
};

}  // namespace tern::modules::http_upload
