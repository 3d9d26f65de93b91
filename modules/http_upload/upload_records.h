// SPDX-License-Identifier: MIT
// What ternd knows about the files it stores for XEP-0363 (docs/http-upload.md), in two global
// stores: "upload_files" (slot id → Upload) and "upload_owners" (owner \0 slot id → size), the
// second so that an account's quota and its files are found without a scan of everyone's. Both
// global: when an account is deleted, its records must still say which files to delete.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tern/store.h"

namespace tern::modules::http_upload {

struct Upload {
  std::string owner;  // bare JID
  std::string filename;
  std::string content_type;
  std::uint64_t size = 0;
  // Pending: when the slot was granted; stored: when the file was.
  std::uint64_t since_s = 0;
  bool stored = false;
};

std::string encode_upload(const Upload& upload);
std::optional<Upload> decode_upload(std::string_view record);

struct UploadStores {
  StoreId files;
  StoreId owners;

  std::optional<Upload> find(const ReadTxn& txn, std::string_view id) const;
  // Bytes the owner's slots and files take (pending slots count: the space is promised).
  std::uint64_t used_by(const ReadTxn& txn, std::string_view owner) const;
  // Each slot id of the owner.
  void each_of(const ReadTxn& txn, std::string_view owner,
               const std::function<void(std::string_view id)>& fn) const;
  Result<void, StoreError> put(WriteTxn& txn, std::string_view id, const Upload& upload) const;
  Result<void, StoreError> remove(WriteTxn& txn, std::string_view id) const;
};

// A slot id as ternd makes them (a lowercase version-4 UUID): anything else in a URL is refused
// before it reaches the store or a file name.
bool valid_slot_id(std::string_view id);

}  // namespace tern::modules::http_upload
