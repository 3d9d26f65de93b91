// SPDX-License-Identifier: MIT
// StoredUploads: XEP-0363 with ternd as the upload server (the default; docs/http-upload.md).
// A slot is a record (upload_records.h) and, once uploaded, a file (upload_files.h), served on
// the HTTP service at /upload/ID/NAME:
//   PUT   the token must match, the body must be exactly the size (and the type) granted, once
//         (409 after); it is written to a temporary file in slices off the event loop, fsynced,
//         renamed, recorded, and only then answered 201.
//   GET   Content-Type, Content-Length, ETag, Last-Modified, Range (206, 416), caching, and the
//   HEAD  headers that keep a browser from running what a user uploaded (nosniff, a CSP sandbox,
//         attachment for anything but plain media).
// An account's slots and files count against its quota; files expire after expire_after, and
// one instance sweeps them (and those of deleted accounts, and slots never used) periodically.
// An account deleted through the server takes its files along at once.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "modules/http_upload/upload_files.h"
#include "modules/http_upload/upload_records.h"
#include "tern/module_api.h"

namespace tern::modules::http_upload {

struct StoredUploadOptions {
  std::uint64_t max_file_size = 0;
  std::uint64_t quota = 0;            // bytes per account
  std::uint64_t expire_after_s = 0;   // a stored file's life
  std::uint64_t slot_lifetime_s = 0;  // a granted slot's life, unused
  std::uint64_t sweep_interval_s = 0;
  std::string secret;  // the tokens' HMAC key
};

class StoredUploads {
 public:
  // Registers the /upload/ route, the sweeper (on one instance) and the account hook.
  StoredUploads(ModuleContext& ctx, StoredUploadOptions options);

  // A slot for the requester (a checked filename, size and type): answers the IQ.
  void grant(IqRequest& req, std::string_view filename, std::uint64_t size,
             std::string_view content_type);

  // Slots being uploaded now, on any worker: a second PUT meanwhile gets 409, and the sweeper
  // leaves them alone.
  struct Busy {
    std::mutex mutex;
    std::set<std::string> ids;
    bool take(const std::string& id) {
      std::lock_guard lock(mutex);
      return ids.insert(id).second;
    }
    void release(const std::string& id) {
      std::lock_guard lock(mutex);
      ids.erase(id);
    }
    bool holds(const std::string& id) {
      std::lock_guard lock(mutex);
      return ids.count(id) != 0;
    }
  };

 private:
  struct Put;
  struct Get;
  void handle(const std::shared_ptr<HttpExchange>& exchange);
  void put(const std::shared_ptr<HttpExchange>& exchange, std::string id, const std::string& name);
  void get(const std::shared_ptr<HttpExchange>& exchange, std::string_view id,
           std::string_view name);
  // The PUT's next steps, each after the one before finished off the loop.
  void write_slice(const std::shared_ptr<Put>& put);
  void finish_put(const std::shared_ptr<Put>& put);
  void fail_put(const std::shared_ptr<Put>& put, int status, std::string reason);
  void send_slice(const std::shared_ptr<Get>& get);
  // Deletes these uploads: their files first, then their records.
  void remove_uploads(std::vector<std::string> ids);
  void sweep();
  static std::uint64_t now_s();

  ModuleContext& ctx_;
  StoredUploadOptions options_;
  UploadStores stores_;
  std::shared_ptr<const UploadFiles> files_;
  std::shared_ptr<Busy> busy_;
  log::Logger log_;
};

}  // namespace tern::modules::http_upload
