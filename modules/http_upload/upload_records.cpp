// SPDX-License-Identifier: MIT
#include "modules/http_upload/upload_records.h"

#include "tern/record.h"

namespace tern::modules::http_upload {
namespace {

constexpr std::uint8_t kVersion = 1;

std::string owner_key(std::string_view owner, std::string_view id) {
  std::string key(owner);
  key += '\0';
  key += id;
  return key;
}

}  // namespace

std::string encode_upload(const Upload& upload) {
  std::string out;
  record::put_u8(out, kVersion);
  record::put_str16(out, upload.owner);
  record::put_str16(out, upload.filename);
  record::put_str16(out, upload.content_type);
  record::put_u64(out, upload.size);
  record::put_u64(out, upload.since_s);
  record::put_u8(out, upload.stored ? 1 : 0);
  return out;
}

std::optional<Upload> decode_upload(std::string_view data) {
  record::Reader r(data);
  if (r.u8() != kVersion) {
    return std::nullopt;
  }
  Upload upload;
  upload.owner = r.str16();
  upload.filename = r.str16();
  upload.content_type = r.str16();
  upload.size = r.u64();
  upload.since_s = r.u64();
  upload.stored = r.u8() != 0;
  if (!r.ok()) {
    return std::nullopt;
  }
  return upload;
}

std::optional<Upload> UploadStores::find(const ReadTxn& txn, std::string_view id) const {
  auto value = txn.get(files, id);
  return value ? decode_upload(*value) : std::nullopt;
}

std::uint64_t UploadStores::used_by(const ReadTxn& txn, std::string_view owner) const {
  std::uint64_t total = 0;
  txn.scan(owners, owner_key(owner, ""), [&](std::string_view, std::string_view value) {
    record::Reader r(value);
    total += r.u64();
    return true;
  });
  return total;
}

void UploadStores::each_of(const ReadTxn& txn, std::string_view owner,
                           const std::function<void(std::string_view id)>& fn) const {
  const std::string prefix = owner_key(owner, "");
  txn.scan(owners, prefix, [&](std::string_view key, std::string_view) {
    fn(key.substr(prefix.size()));
    return true;
  });
}

Result<void, StoreError> UploadStores::put(WriteTxn& txn, std::string_view id,
                                           const Upload& upload) const {
  if (auto r = txn.put(files, id, encode_upload(upload)); !r) {
    return r;
  }
  std::string size;
  record::put_u64(size, upload.size);
  return txn.put(owners, owner_key(upload.owner, id), size);
}

Result<void, StoreError> UploadStores::remove(WriteTxn& txn, std::string_view id) const {
  auto value = txn.get(files, id);
  if (!value) {
    return {};
  }
  std::optional<Upload> upload = decode_upload(*value);
  if (auto r = txn.remove(files, id); !r) {
    return Err(r.error());
  }
  if (upload) {
    if (auto r = txn.remove(owners, owner_key(upload->owner, id)); !r) {
      return Err(r.error());
    }
  }
  return {};
}

bool valid_slot_id(std::string_view id) {
  if (id.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace tern::modules::http_upload
