// SPDX-License-Identifier: MIT
// XEP-0363 HTTP File Upload: an authenticated user asks this host for a slot (filename, size,
// content type) and gets a PUT URL with a token and a GET URL. By default ternd is the upload
// server itself, on its HTTP service (stored_uploads.h); with put_url set, the URLs point at an
// external upload server that checks the token with the shared secret (upload_slot.h). The host
// announces the service itself: identity store/file, the feature, and max-file-size (XEP-0128),
// so clients that look at the server and at its disco#items both find it
// (docs/http-upload.md).
#include <memory>
#include <string>

#include "modules/http_upload/stored_uploads.h"
#include "modules/http_upload/upload_slot.h"
#include "tern/module_api.h"
#include "xmpp/random_ids.h"

namespace tern::modules {
namespace {

namespace ns = xmpp::ns;
using http_upload::StoredUploadOptions;
using http_upload::StoredUploads;

class HttpUpload final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    // [modules.http_upload]. Every option is read whichever mode is on (an option never read
    // would stop ternd as unknown).
    put_url_ = ctx.options().string("put_url", "");
    get_url_ = ctx.options().string("get_url", put_url_);
    secret_ = ctx.options().string("secret", "");
    max_file_size_ = ctx.options().integer("max_file_size", std::int64_t{100} * 1024 * 1024, 1,
                                           std::int64_t{1} << 40);
    StoredUploadOptions stored;
    stored.max_file_size = static_cast<std::uint64_t>(max_file_size_);
    stored.quota = static_cast<std::uint64_t>(
        ctx.options().integer("quota", std::int64_t{1} << 30, 1, std::int64_t{1} << 50));
    stored.expire_after_s = static_cast<std::uint64_t>(
        ctx.options().integer("expire_after", std::int64_t{30} * 86400, 1, std::int64_t{1} << 40));
    stored.slot_lifetime_s = static_cast<std::uint64_t>(
        ctx.options().integer("slot_lifetime", 600, 1, std::int64_t{7} * 86400));
    stored.sweep_interval_s =
        static_cast<std::uint64_t>(ctx.options().integer("sweep_interval", 3600, 1, 86400));
    if (put_url_.empty()) {
      if (ctx.options().string("get_url", "").size() > 0) {
        throw ModuleOptionError(
            "[modules.http_upload] get_url goes with put_url (an external "
            "upload server); without put_url ternd serves the files itself");
      }
      // The tokens' key: the configured one, or one for this run shared by every instance
      // (slots do not outlive a restart by long anyway: slot_lifetime).
      stored.secret = secret_.empty() ? ctx.shared<RunSecret>("secret")->value : secret_;
      uploads_ = std::make_unique<StoredUploads>(ctx, std::move(stored));
    } else if (secret_.empty()) {
      throw ModuleOptionError(
          "[modules.http_upload] secret is required with put_url: the external upload server "
          "checks every token with it");
    }
    ctx.add_disco_identity({"store", "file", "HTTP File Upload"});
    ctx.add_disco_feature(ns::kHttpUpload);
    ctx.add_disco_extension(
        {std::string(ns::kHttpUpload), {{"max-file-size", std::to_string(max_file_size_)}}});
    ctx.on_iq(IqType::Get, {ns::kHttpUpload, "request"}, Addressed::ToServer,
              [this](IqRequest& req) { slot(req); });
    // The same service at upload.HOST, as Prosody and ejabberd offer it: clients that look for
    // it only among the server's disco#items (go-sendxmpp, UWPX) find it there.
    ctx_ = &ctx;
    ctx.serve_domain(ctx.options().string("subdomain", "upload"), "HTTP File Upload",
                     [this](xmpp::StanzaPtr stanza) { service_stanza(*stanza); });
  }

 private:
  // A stanza for upload.HOST: disco and slot requests; other IQs get service-unavailable.
  void service_stanza(const xmpp::Stanza& stanza) {
    const xmpp::Jid* from = stanza.from_jid();
    const std::string_view type = stanza.type();
    if (stanza.kind() != xmpp::StanzaKind::Iq || from == nullptr ||
        (type != "get" && type != "set")) {
      return;  // messages, presence, results and errors: nothing to answer
    }
    const xmpp::Element* payload = stanza.root().first_child();
    auto route_error = [&](const xmpp::StanzaError& error) {
      if (xmpp::StanzaPtr reply = xmpp::make_error_reply(stanza.root(), error)) {
        ctx_->route(std::move(reply));
      }
    };
    if (type != "get" || payload == nullptr || stanza.root().child_element_count() != 1) {
      return route_error(xmpp::StanzaError::service_unavailable());
    }
    if (payload->is("query", ns::kDiscoInfo) && payload->attr("node").empty()) {
      xmpp::StanzaPtr reply = xmpp::make_iq_result(stanza.root());
      xmpp::Element& query = reply->root().add_child("query", ns::kDiscoInfo);
      query.add_child("identity", ns::kDiscoInfo)
          .set_attr("category", "store")
          .set_attr("type", "file")
          .set_attr("name", "HTTP File Upload");
      for (std::string_view feature : {ns::kDiscoInfo, ns::kHttpUpload}) {
        query.add_child("feature", ns::kDiscoInfo).set_attr("var", feature);
      }
      xmpp::Element& form = query.add_child("x", "jabber:x:data").set_attr("type", "result");
      form.add_child("field", "jabber:x:data")
          .set_attr("var", "FORM_TYPE")
          .set_attr("type", "hidden")
          .add_child("value", "jabber:x:data")
          .add_text(ns::kHttpUpload);
      form.add_child("field", "jabber:x:data")
          .set_attr("var", "max-file-size")
          .add_child("value", "jabber:x:data")
          .add_text(std::to_string(max_file_size_));
      return ctx_->route(std::move(reply));
    }
    if (payload->is("query", ns::kDiscoItems) && payload->attr("node").empty()) {
      xmpp::StanzaPtr reply = xmpp::make_iq_result(stanza.root());
      reply->root().add_child("query", ns::kDiscoItems);
      return ctx_->route(std::move(reply));
    }
    if (!payload->is("request", ns::kHttpUpload)) {
      return route_error(xmpp::StanzaError::service_unavailable());
    }
    IqRequest req(stanza.root(), *payload, *from,
                  [ctx = ctx_](xmpp::StanzaPtr reply) { ctx->route(std::move(reply)); });
    slot(req);
    if (xmpp::StanzaPtr reply = req.take_reply()) {
      ctx_->route(std::move(reply));
    }
  }

  // §4: a slot, or why not.
  void slot(IqRequest& req) const {
    const xmpp::Element& request = req.payload();
    const std::string_view filename = request.attr("filename");
    const std::string_view size_text = request.attr("size");
    const std::string_view content_type = request.attr("content-type");
    if (!http_upload::acceptable_filename(filename)) {
      return req.reply_error(xmpp::StanzaError::bad_request("a file name without '/', please"));
    }
    std::int64_t size = 0;
    if (!parse_size(size_text, size)) {
      return req.reply_error(xmpp::StanzaError::bad_request("size must be a positive integer"));
    }
    if (content_type.size() > 255 || content_type.find_first_of("\r\n") != std::string_view::npos) {
      return req.reply_error(xmpp::StanzaError::bad_request("unusable content-type"));
    }
    if (size > max_file_size_) {
      return reply_too_large(req);
    }
    if (uploads_) {
      return uploads_->grant(req, filename, static_cast<std::uint64_t>(size), content_type);
    }
    const http_upload::Slot slot = http_upload::make_slot(
        put_url_, get_url_, secret_, filename, static_cast<std::uint64_t>(size), content_type);
    xmpp::Element& answer = req.reply_result({ns::kHttpUpload, "slot"});
    answer.add_child("put").set_attr("url", slot.put_url);
    answer.add_child("get").set_attr("url", slot.get_url);
  }

  // §4.1: not-acceptable with the limit in <file-too-large/>.
  void reply_too_large(IqRequest& req) const {
    req.reply_error(
        xmpp::StanzaError::not_acceptable("the file is larger than " +
                                          std::to_string(max_file_size_) + " bytes")
            .with_application_condition(ns::kHttpUpload, "file-too-large",
                                        {{"max-file-size", std::to_string(max_file_size_)}}));
  }

  static bool parse_size(std::string_view text, std::int64_t& size) {
    if (text.empty() || text.size() > 15) {
      return false;
    }
    size = 0;
    for (char c : text) {
      if (c < '0' || c > '9') {
        return false;
      }
      size = size * 10 + (c - '0');
    }
    return size > 0;
  }

  // A random HMAC key for this run, the same for every host and worker.
  struct RunSecret {
    std::string value = xmpp::random_hex(32);
  };

  ModuleContext* ctx_ = nullptr;
  std::unique_ptr<http_upload::StoredUploads> uploads_;  // null: an external upload server
  std::string put_url_;
  std::string get_url_;
  std::string secret_;
  std::int64_t max_file_size_ = 0;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(HttpUpload, http_upload, "XEP-0363 HTTP file upload, stored by ternd or elsewhere")
