// SPDX-License-Identifier: MIT
#include "modules/http_upload/stored_uploads.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "modules/http_upload/byte_range.h"
#include "modules/http_upload/upload_slot.h"
#include "xmpp/random_ids.h"

namespace tern::modules::http_upload {
namespace {

namespace ns = xmpp::ns;

constexpr std::string_view kRoute = "/upload/";
// Bytes per disk write and per read of a file being served: memory per transfer stays at about
// this, however large the file.
constexpr std::size_t kSlice = std::size_t{256} * 1024;
// At most this many uploads deleted per sweep (the rest at the next).
constexpr std::size_t kSweepBatch = 512;

std::string http_date(std::uint64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[40];
  const std::size_t size = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(text, size);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return out;
}

// The media type as served: a plain "type/subtype" the client announced, or octet-stream.
std::string served_type(std::string_view announced) {
  const std::string type = lower(announced.substr(0, announced.find(';')));
  const std::size_t slash = type.find('/');
  const bool plain = slash != std::string::npos && slash > 0 && slash + 1 < type.size() &&
                     std::all_of(type.begin(), type.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
                              c == '-' || c == '+' || c == '.';
                     });
  return plain ? type : "application/octet-stream";
}

// Types a browser shows without running anything: the rest (HTML, SVG, XML, scripts, PDF…)
// is offered as a download, so an uploaded page can never act on the upload service's origin.
bool inline_safe(std::string_view type) {
  return type.starts_with("image/png") || type == "image/jpeg" || type == "image/gif" ||
         type == "image/webp" || type == "image/avif" || type == "image/heic" ||
         type.starts_with("audio/") || type.starts_with("video/") || type == "text/plain";
}

void add_safety_headers(HttpResponse& response) {
  response.header("X-Content-Type-Options", "nosniff");
  response.header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox");
  response.header("Referrer-Policy", "no-referrer");
}

// "/upload/ID/NAME" → (ID, decoded NAME); false for anything else.
bool split_path(std::string_view path, std::string& id, std::string& name) {
  path.remove_prefix(kRoute.size());
  const std::size_t slash = path.find('/');
  if (slash == std::string_view::npos) {
    return false;
  }
  id = std::string(path.substr(0, slash));
  return valid_slot_id(id) && percent_decode(path.substr(slash + 1), name) &&
         acceptable_filename(name);
}

std::string_view query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=') {
      return pair.substr(key.size() + 1);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return {};
}

bool same_token(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

HttpResponse text(int status, const std::string& body) {
  return HttpResponse::text(status, body + "\n");
}

}  // namespace

// One PUT in progress: what it has received, what waits to be written, what is being written.
struct StoredUploads::Put {
  std::shared_ptr<HttpExchange> exchange;
  std::string id;
  Upload upload;
  int fd = -1;
  std::uint64_t received = 0;
  std::string pending;
  std::string writing;
  // Written only by a job off the loop, read only in its completion (never both at once).
  std::string job_error;
  bool write_in_flight = false;  // a job has fd and `writing`
  bool ended = false;            // the body is all in (or broke off)
  bool complete = false;         // … and it was all of it
  bool failed = false;           // answered with an error: only clean-up is left
  bool cleaned = false;
};

// One GET (or a range of it) being sent.
struct StoredUploads::Get {
  std::shared_ptr<HttpExchange> exchange;
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t left = 0;
  std::string chunk;
  bool read_ok = false;
};

StoredUploads::StoredUploads(ModuleContext& ctx, StoredUploadOptions options)
    : ctx_(ctx),
      options_(std::move(options)),
      files_(std::make_shared<UploadFiles>(ctx.data_directory())),
      busy_(ctx.shared<Busy>("busy")),
      log_(ctx.log()) {
  stores_.files = ctx.open_store("upload_files", StoreScope::Global);
  stores_.owners = ctx.open_store("upload_owners", StoreScope::Global);
  ctx.on_http({.path = std::string(kRoute),
               .methods = {"PUT", "GET"},
               .max_body_bytes = options_.max_file_size,
               .stream_body = true,
               .cors = true,
               .handler = [this](const std::shared_ptr<HttpExchange>& e) { handle(e); }});
  // One sweeper for the whole server: the store and the directory are everyone's.
  ctx.every_on_one_worker("sweeper", std::chrono::seconds(options_.sweep_interval_s),
                          [this] { sweep(); });
  ctx.on_account_deleted(HookStage::Observe, [this](const AccountDeleted& deleted) {
    auto txn = ctx_.read();
    if (!txn) {
      return;  // the sweeper finds them: their owner no longer exists
    }
    std::vector<std::string> ids;
    stores_.each_of(*txn, deleted.bare_jid, [&](std::string_view id) { ids.emplace_back(id); });
    remove_uploads(std::move(ids));
  });
}

std::uint64_t StoredUploads::now_s() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

void StoredUploads::grant(IqRequest& req, std::string_view filename, std::uint64_t size,
                          std::string_view content_type) {
  const std::string owner(req.from().bare_view());
  const std::string id = xmpp::random_uuid();
  Upload upload{owner, std::string(filename), std::string(content_type), size, now_s(), false};
  // The quota is checked in the write, on the writer thread: two requests at once cannot both
  // take its last bytes.
  auto used = std::make_shared<std::uint64_t>(0);
  auto over = std::make_shared<bool>(false);
  const std::uint64_t quota = options_.quota;
  const std::string path = std::string(kRoute) + id + "/" + percent_encode(filename);
  const std::string token =
      slot_token(options_.secret, id + "/" + std::string(filename), size, content_type);
  ctx_.write(
      [stores = stores_, id, upload, used, over, quota](WriteTxn& txn) -> Result<void, StoreError> {
        *used = stores.used_by(txn, upload.owner);
        if (*used + upload.size > quota) {
          *over = true;
          return {};
        }
        return stores.put(txn, id, upload);
      },
      [this, deferred = req.defer(), used, over, size, quota, path, token,
       owner](StoreStatus status) {
        if (!status) {
          return deferred->reply_error(xmpp::StanzaError::resource_constraint(
              status.out_of_space ? "the server is short of storage" : "the slot was not stored"));
        }
        if (*over) {
          log_.info("limit.refused", "upload slot refused: quota",
                    {{"jid", owner}, {"used", *used}, {"size", size}, {"quota", quota}});
          return deferred->reply_error(xmpp::StanzaError::resource_constraint(
              "upload quota of " + std::to_string(quota) + " bytes reached (" +
              std::to_string(*used) + " bytes in use)"));
        }
        const std::string url = ctx_.http_url(path);
        deferred->reply_result({ns::kHttpUpload, "slot"}, [&](xmpp::Element& slot) {
          slot.add_child("put").set_attr("url", url + "?v2=" + token);
          slot.add_child("get").set_attr("url", url);
        });
      });
}

void StoredUploads::handle(const std::shared_ptr<HttpExchange>& exchange) {
  const HttpRequest& request = exchange->request();
  std::string id;
  std::string name;
  if (!split_path(request.path, id, name)) {
    return exchange->respond(text(404, "Not Found"));
  }
  if (request.method == "PUT") {
    return put(exchange, std::move(id), name);
  }
  get(exchange, id, name);
}

void StoredUploads::put(const std::shared_ptr<HttpExchange>& exchange, std::string id,
                        const std::string& name) {
  const HttpRequest& request = exchange->request();
  auto txn = ctx_.read();
  std::optional<Upload> upload = txn ? stores_.find(*txn, id) : std::nullopt;
  auto refuse = [&](int status, std::string reason) {
    log_.info("limit.refused", "upload refused",
              {{"status", static_cast<std::int64_t>(status)},
               {"reason", reason},
               {"peer", request.peer}});
    exchange->respond(text(status, reason));
  };
  if (!upload || upload->filename != name) {
    return refuse(404, "no such slot");
  }
  const std::string expected =
      slot_token(options_.secret, id + "/" + name, upload->size, upload->content_type);
  if (!same_token(query_value(request.query, "v2"), expected)) {
    return refuse(403, "the token does not match this slot");
  }
  if (upload->stored || busy_->holds(id)) {
    return refuse(409, "this slot has been used");
  }
  if (upload->since_s + options_.slot_lifetime_s <= now_s()) {
    return refuse(410, "this slot has expired: ask for a new one");
  }
  if (request.content_length >= 0 &&
      static_cast<std::uint64_t>(request.content_length) != upload->size) {
    return refuse(static_cast<std::uint64_t>(request.content_length) > upload->size ? 413 : 400,
                  "the body must be exactly " + std::to_string(upload->size) + " bytes");
  }
  const std::string_view type = request.header("content-type");
  if (!upload->content_type.empty() && lower(type) != lower(upload->content_type)) {
    return refuse(400, "the Content-Type must be " + upload->content_type);
  }
  if (!busy_->take(id)) {
    return refuse(409, "this slot is being uploaded");
  }
  // Taken now: a PUT that finished on another worker between the read above and take() has
  // recorded its file, and must not be overwritten.
  std::optional<Upload> recorded;
  if (auto again = ctx_.read()) {
    recorded = stores_.find(*again, id);
  }
  if (!recorded || recorded->stored) {
    busy_->release(id);
    return refuse(409, "this slot has been used");
  }
  auto state = std::make_shared<Put>();
  state->exchange = exchange;
  state->id = std::move(id);
  state->upload = std::move(*upload);
  ctx_.offload(
      [state, files = files_] { state->fd = files->create_temp(state->id, state->job_error); },
      [this, state] {
        if (state->fd < 0) {
          log_.error("upload.failed", "cannot create the upload's file",
                     {{"error", state->job_error}});
          return fail_put(state, 500, "the file cannot be stored");
        }
        state->exchange->read_body(
            [this, state](std::string_view data) {
              if (state->failed) {
                return;
              }
              state->received += data.size();
              if (state->received > state->upload.size) {
                return fail_put(
                    state, 413,
                    "the body must be exactly " + std::to_string(state->upload.size) + " bytes");
              }
              state->pending.append(data);
              if (state->pending.size() >= kSlice && !state->write_in_flight) {
                write_slice(state);
              }
            },
            [this, state](bool complete) {
              state->ended = true;
              state->complete = complete;
              if (!complete) {
                return fail_put(state, 400, "the upload broke off");
              }
              if (state->received != state->upload.size) {
                return fail_put(
                    state, 400,
                    "the body must be exactly " + std::to_string(state->upload.size) + " bytes");
              }
              if (!state->write_in_flight && !state->failed) {
                finish_put(state);
              }
            });
      });
}

void StoredUploads::write_slice(const std::shared_ptr<Put>& state) {
  state->write_in_flight = true;
  state->writing.swap(state->pending);
  state->pending.clear();
  state->exchange->pause_body();  // no more body until this slice is on disk
  ctx_.offload(
      [state] { (void)UploadFiles::write_all(state->fd, state->writing, state->job_error); },
      [this, state] {
        state->write_in_flight = false;
        state->writing.clear();
        if (!state->job_error.empty()) {
          log_.error("upload.failed", "cannot write the upload's file",
                     {{"error", state->job_error}});
          return fail_put(state, 507, "the file cannot be stored");
        }
        if (state->failed) {
          return fail_put(state, 0, {});  // refused meanwhile: clean up now
        }
        if (state->ended) {
          return finish_put(state);  // on_end checked the size
        }
        if (state->pending.size() >= kSlice) {
          return write_slice(state);
        }
        state->exchange->resume_body();
      });
}

void StoredUploads::finish_put(const std::shared_ptr<Put>& state) {
  state->write_in_flight = true;
  ctx_.offload(
      [state, files = files_] {
        const int fd = std::exchange(state->fd, -1);
        if (!UploadFiles::write_all(fd, state->pending, state->job_error)) {
          files->discard_temp(fd, state->id);
        } else if (!files->commit(fd, state->id, state->job_error)) {
          files->discard_temp(-1, state->id);
        }
      },
      [this, state] {
        state->write_in_flight = false;
        if (!state->job_error.empty()) {
          log_.error("upload.failed", "cannot store the upload's file",
                     {{"error", state->job_error}});
          return fail_put(state, 507, "the file cannot be stored");
        }
        Upload stored = state->upload;
        stored.stored = true;
        stored.since_s = now_s();
        ctx_.write([stores = stores_, id = state->id,
                    stored](WriteTxn& txn) { return stores.put(txn, id, stored); },
                   [this, state](StoreStatus status) {
                     busy_->release(state->id);
                     if (!status) {
                       remove_uploads({state->id});
                       state->exchange->respond(text(507, "the file cannot be stored"));
                       return;
                     }
                     log_.info("upload.stored", "file uploaded",
                               {{"jid", state->upload.owner}, {"size", state->upload.size}});
                     HttpResponse created;
                     created.status = 201;
                     state->exchange->respond(std::move(created));
                   });
      });
}

void StoredUploads::fail_put(const std::shared_ptr<Put>& state, int status, std::string reason) {
  if (status != 0 && !state->failed && !state->exchange->responded()) {
    log_.info("limit.refused", "upload refused",
              {{"status", static_cast<std::int64_t>(status)}, {"reason", reason}});
    state->exchange->respond(text(status, reason));  // nothing if it closed
  }
  state->failed = true;
  if (state->write_in_flight || state->cleaned) {
    return;  // the job in flight owns the file; its completion comes back here
  }
  state->cleaned = true;
  const int fd = std::exchange(state->fd, -1);
  ctx_.offload([files = files_, fd, id = state->id] { files->discard_temp(fd, id); },
               [busy = busy_, id = state->id] { busy->release(id); });
}

void StoredUploads::get(const std::shared_ptr<HttpExchange>& exchange, std::string_view id,
                        std::string_view name) {
  const HttpRequest& request = exchange->request();
  auto txn = ctx_.read();
  std::optional<Upload> upload = txn ? stores_.find(*txn, id) : std::nullopt;
  if (!upload || !upload->stored || upload->filename != name) {
    return exchange->respond(text(404, "Not Found"));
  }
  const std::uint64_t now = now_s();
  const std::uint64_t expires = upload->since_s + options_.expire_after_s;
  if (expires <= now) {
    return exchange->respond(text(410, "this file has expired"));
  }
  const std::string etag = "\"" + std::string(id) + "\"";
  HttpResponse head;
  const std::string type = served_type(upload->content_type);
  head.header("Content-Type", type);
  head.header("Content-Disposition", std::string(inline_safe(type) ? "inline" : "attachment") +
                                         "; filename*=UTF-8''" + percent_encode(name));
  add_safety_headers(head);
  head.header("ETag", etag);
  head.header("Last-Modified", http_date(upload->since_s));
  head.header("Cache-Control", "private, max-age=" + std::to_string(expires - now));
  head.header("Accept-Ranges", "bytes");
  if (request.header("if-none-match") == etag) {
    head.status = 304;  // the content of a slot never changes
    return exchange->respond(std::move(head));
  }
  const ByteRange range = parse_byte_range(request.header("range"), upload->size);
  auto state = std::make_shared<Get>();
  state->exchange = exchange;
  state->offset = 0;
  state->left = upload->size;
  if (range.kind == ByteRange::Kind::Unsatisfiable) {
    HttpResponse refused = text(416, "Range Not Satisfiable");
    refused.header("Content-Range", "bytes */" + std::to_string(upload->size));
    return exchange->respond(std::move(refused));
  }
  if (range.kind == ByteRange::Kind::Part) {
    head.status = 206;
    head.header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                     std::to_string(range.last) + "/" +
                                     std::to_string(upload->size));
    state->offset = range.first;
    state->left = range.length();
  }
  if (request.method == "HEAD") {
    return exchange->respond_head(std::move(head), state->left);
  }
  ctx_.offload(
      [state, files = files_, id = std::string(id)] { state->fd = files->open_stored(id); },
      [this, state, head = std::move(head)]() mutable {
        if (state->fd < 0) {
          return state->exchange->respond(text(404, "Not Found"));
        }
        state->exchange->respond_head(std::move(head), state->left);
        send_slice(state);
      });
}

void StoredUploads::send_slice(const std::shared_ptr<Get>& state) {
  if (state->left == 0 || state->exchange->closed()) {
    UploadFiles::close_fd(std::exchange(state->fd, -1));  // a regular file: close never waits
    return;
  }
  const std::size_t size = static_cast<std::size_t>(std::min<std::uint64_t>(state->left, kSlice));
  ctx_.offload(
      [state, size] {
        state->read_ok = UploadFiles::read_at(state->fd, state->offset, size, state->chunk) &&
                         state->chunk.size() == size;
      },
      [this, state] {
        if (!state->read_ok) {
          log_.error("upload.failed", "cannot read a stored file");
          UploadFiles::close_fd(std::exchange(state->fd, -1));
          state->exchange.reset();  // the response is cut short: the connection closes
          return;
        }
        state->offset += state->chunk.size();
        state->left -= state->chunk.size();
        state->exchange->write_body(std::move(state->chunk), [this, state](bool ok) {
          if (!ok) {
            UploadFiles::close_fd(std::exchange(state->fd, -1));
            return;
          }
          send_slice(state);  // the client took this slice: read the next
        });
        state->chunk = {};
      });
}

void StoredUploads::remove_uploads(std::vector<std::string> ids) {
  if (ids.empty()) {
    return;
  }
  auto shared_ids = std::make_shared<std::vector<std::string>>(std::move(ids));
  ctx_.offload(
      [files = files_, shared_ids] {
        for (const std::string& id : *shared_ids) {
          files->remove(id);
          files->discard_temp(-1, id);
        }
      },
      [this, shared_ids] {
        ctx_.write(
            [stores = stores_, shared_ids](WriteTxn& txn) -> Result<void, StoreError> {
              for (const std::string& id : *shared_ids) {
                if (auto r = stores.remove(txn, id); !r) {
                  return r;
                }
              }
              return {};
            },
            [this, count = shared_ids->size()](StoreStatus status) {
              if (status) {
                log_.info("upload.removed", "uploads removed", {{"count", count}});
              }
            });
      });
}

void StoredUploads::sweep() {
  auto txn = ctx_.read();
  if (!txn) {
    return;
  }
  const std::uint64_t now = now_s();
  std::vector<std::string> due;
  txn->scan(stores_.files, "", [&](std::string_view key, std::string_view value) {
    std::optional<Upload> upload = decode_upload(value);
    const std::string id(key);
    const bool expired =
        !upload ||
        upload->since_s + (upload->stored ? options_.expire_after_s : options_.slot_lifetime_s) <=
            now ||
        !ctx_.account_exists(upload->owner);
    if (expired && !busy_->holds(id)) {
      due.push_back(id);
    }
    return due.size() < kSweepBatch;
  });
  remove_uploads(std::move(due));
}

}  // namespace tern::modules::http_upload
