// SPDX-License-Identifier: MIT
// XEP-0363 HTTP File Upload, slot requests only: an authenticated user asks this host for a slot
// (filename, size, content type) and gets a PUT URL with a token and a GET URL on an HTTP upload
// server that is configured, not built in (upload_slot.h, docs/http-upload.md). The host
// announces the service itself: identity store/file, the feature, and max-file-size (XEP-0128),
// so clients that look at the server and at its disco#items both find it.
#include <string>

#include "modules/http_upload/upload_slot.h"
#include "tern/module_api.h"

namespace tern::modules {
namespace {

namespace ns = xmpp::ns;

class HttpUpload final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    // [modules.http_upload]: where uploads go, where they are fetched from, and the secret the
    // upload server shares with this host to check the tokens.
    put_url_ = ctx.options().required_string("put_url");
    get_url_ = ctx.options().string("get_url", put_url_);
    secret_ = ctx.options().required_string("secret");
    max_file_size_ = ctx.options().integer("max_file_size", std::int64_t{100} * 1024 * 1024, 1,
                                           std::int64_t{1} << 40);
    ctx.add_disco_identity({"store", "file", "HTTP File Upload"});
    ctx.add_disco_feature(ns::kHttpUpload);
    ctx.add_disco_extension(
        {std::string(ns::kHttpUpload), {{"max-file-size", std::to_string(max_file_size_)}}});
    ctx.on_iq(IqType::Get, {ns::kHttpUpload, "request"}, Addressed::ToServer,
              [this](IqRequest& req) { slot(req); });
  }

 private:
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

  std::string put_url_;
  std::string get_url_;
  std::string secret_;
  std::int64_t max_file_size_ = 0;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(HttpUpload, http_upload, "XEP-0363 HTTP upload slots for an external upload server")
