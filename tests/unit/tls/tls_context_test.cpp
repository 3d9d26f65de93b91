// SPDX-License-Identifier: MIT
// TlsContext and certificates: self-signed generation and reuse, configured PEM files, the
// errors for bad files, and the tls-server-end-point hash for each signature hash.
#include "tls/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "tls/certificate.h"
#include "tls_test_util.h"

namespace tern::tls {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void write_text(const std::string& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string server_error(const std::vector<tls::HostCertificate>& hosts,
                         const std::string& storage) {
  auto context = TlsContext::server(hosts, storage);
  EXPECT_FALSE(context.ok());
  return context.ok() ? "" : context.error().message;
}

// A copy of `cert` signed again, read back from DER (OpenSSL caches what it parsed).
X509Ptr resigned(X509* cert, EVP_PKEY* key, const EVP_MD* md) {
  X509Ptr copy(X509_dup(cert));
  if (!copy || X509_sign(copy.get(), key, md) <= 0) {
    return nullptr;
  }
  unsigned char* der = nullptr;
  const int size = i2d_X509(copy.get(), &der);
  const unsigned char* p = der;
  X509Ptr parsed(size > 0 ? d2i_X509(nullptr, &p, size) : nullptr);
  OPENSSL_free(der);
  return parsed;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class TlsContextTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(TlsContextTest, GeneratesASelfSignedCertificateOnceAndReusesIt) {
  auto first = TlsContext::server({{"localhost", "", ""}}, dir_.path());
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->hosts().size(), 1U);
  const TlsHostInfo host = first->hosts()[0];
  EXPECT_TRUE(host.generated);
  EXPECT_EQ(host.certificate_file, dir_.path() + "/certs/localhost.crt");
  EXPECT_EQ(host.key_file, dir_.path() + "/certs/localhost.key");
  struct stat key_stat {};
  ASSERT_EQ(stat(host.key_file.c_str(), &key_stat), 0);
  EXPECT_EQ(key_stat.st_mode & 0777, 0600U);

  auto loaded = load_certified_key(host.certificate_file, host.key_file);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  X509* cert = loaded->certificate.get();
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "::1", 0), 1);
  EXPECT_EQ(X509_check_host(cert, "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_self_signed(cert, 1), 1);
  EXPECT_EQ(X509_get_signature_nid(cert), NID_ecdsa_with_SHA256);
  EXPECT_EQ(EVP_PKEY_get_base_id(loaded->key.get()), EVP_PKEY_EC);
  char group[64] = {};
  ASSERT_EQ(EVP_PKEY_get_group_name(loaded->key.get(), group, sizeof group, nullptr), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_cmp(SSL_CTX_get0_certificate(first->native()), cert), 0);

  const std::string pem = read_file(host.certificate_file);
  auto second = TlsContext::server({{"localhost", "", ""}}, dir_.path());
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->hosts()[0].generated);
  EXPECT_EQ(read_file(host.certificate_file), pem);
  EXPECT_EQ(X509_cmp(SSL_CTX_get0_certificate(second->native()), cert), 0);
}

TEST_F(TlsContextTest, UsesConfiguredCertificateFiles) {
  bool generated = false;
  auto made = load_or_make_self_signed("chat.example", dir_.path(), generated);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_TRUE(generated);
  const std::string crt = self_signed_certificate_path("chat.example", dir_.path());
  const std::string key = self_signed_key_path("chat.example", dir_.path());
  auto context = TlsContext::server({{"chat.example", crt, key}}, dir_.path() + "/elsewhere");
  ASSERT_TRUE(context.ok()) << context.error().message;
  EXPECT_FALSE(context->hosts()[0].generated);
  EXPECT_EQ(context->hosts()[0].certificate_file, crt);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/elsewhere"));
  EXPECT_EQ(X509_cmp(SSL_CTX_get0_certificate(context->native()), made->certificate.get()), 0);
}

TEST_F(TlsContextTest, BadFilesGiveClearErrors) {
  bool generated = false;
  ASSERT_TRUE(load_or_make_self_signed("a.example", dir_.path(), generated).ok());
  ASSERT_TRUE(load_or_make_self_signed("b.example", dir_.path(), generated).ok());
  const std::string a_crt = self_signed_certificate_path("a.example", dir_.path());
  const std::string a_key = self_signed_key_path("a.example", dir_.path());
  const std::string b_key = self_signed_key_path("b.example", dir_.path());
  const std::string missing = dir_.path() + "/missing.crt";
  const std::string garbage = dir_.path() + "/garbage.pem";
  write_text(garbage, "this is not PEM\n");

  std::string error = server_error({{"x.example", missing, a_key}}, dir_.path());
  EXPECT_TRUE(contains(error, "host x.example")) << error;
  EXPECT_TRUE(contains(error, missing)) << error;
  EXPECT_TRUE(contains(error, "No such file or directory")) << error;

  error = server_error({{"x.example", a_crt, dir_.path() + "/missing.key"}}, dir_.path());
  EXPECT_TRUE(contains(error, "missing.key: cannot open")) << error;

  error = server_error({{"x.example", garbage, a_key}}, dir_.path());
  EXPECT_TRUE(contains(error, garbage)) << error;
  EXPECT_TRUE(contains(error, "no start line")) << error;

  error = server_error({{"x.example", a_crt, garbage}}, dir_.path());
  EXPECT_TRUE(contains(error, "key " + garbage)) << error;

  error = server_error({{"x.example", a_crt, b_key}}, dir_.path());
  EXPECT_TRUE(contains(error, "does not match certificate " + a_crt)) << error;

  // The second host is checked as carefully as the first.
  error = server_error({{"a.example", "", ""}, {"x.example", missing, a_key}}, dir_.path());
  EXPECT_TRUE(contains(error, "host x.example")) << error;

  error = server_error({}, dir_.path());
  EXPECT_TRUE(contains(error, "no virtual host")) << error;
}

TEST_F(TlsContextTest, AStoredCertificateWithoutItsKeyIsAnError) {
  ASSERT_TRUE(TlsContext::server({{"localhost", "", ""}}, dir_.path()).ok());
  ASSERT_TRUE(std::filesystem::remove(self_signed_key_path("localhost", dir_.path() + "/certs")));
  const std::string error = server_error({{"localhost", "", ""}}, dir_.path());
  EXPECT_TRUE(contains(error, "localhost.key: cannot open")) << error;
}

TEST_F(TlsContextTest, SelfSignedNames) {
  auto ip = make_self_signed("192.0.2.7");
  ASSERT_TRUE(ip.ok()) << ip.error().message;
  EXPECT_EQ(X509_check_ip_asc(ip->certificate.get(), "192.0.2.7", 0), 1);
  auto ip6 = make_self_signed("[2001:db8::1]");
  ASSERT_TRUE(ip6.ok()) << ip6.error().message;
  EXPECT_EQ(X509_check_ip_asc(ip6->certificate.get(), "2001:db8::1", 0), 1);
  auto name = make_self_signed("xmpp.example.org");
  ASSERT_TRUE(name.ok()) << name.error().message;
  EXPECT_EQ(X509_check_host(name->certificate.get(), "xmpp.example.org", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(name->certificate.get(), "127.0.0.1", 0), 0);

  auto unicode = make_self_signed("\xc3\xa9t\xc3\xa9.example");
  ASSERT_FALSE(unicode.ok());
  EXPECT_TRUE(contains(unicode.error().message, "ASCII")) << unicode.error().message;
  EXPECT_FALSE(make_self_signed("../etc").ok());
  EXPECT_FALSE(make_self_signed("a/b").ok());
}

TEST_F(TlsContextTest, ServerEndPointHashFollowsTheSignatureHash) {
  auto made = make_self_signed("hash.example");
  ASSERT_TRUE(made.ok());
  const struct {
    const EVP_MD* sign;
    const EVP_MD* expected;
  } cases[] = {
      {EVP_sha256(), EVP_sha256()},
      {EVP_sha1(), EVP_sha256()},  // RFC 5929 §4.1: MD5 and SHA-1 become SHA-256
      {EVP_sha384(), EVP_sha384()},
      {EVP_sha512(), EVP_sha512()},
  };
  for (const auto& c : cases) {
    X509Ptr cert = resigned(made->certificate.get(), made->key.get(), c.sign);
    ASSERT_TRUE(cert);
    std::string expected(EVP_MAX_MD_SIZE, '\0');
    unsigned int size = 0;
    ASSERT_EQ(X509_digest(cert.get(), c.expected, reinterpret_cast<unsigned char*>(expected.data()),
                          &size),
              1);
    expected.resize(size);
    EXPECT_EQ(tls_server_end_point(cert.get()), expected) << EVP_MD_get0_name(c.sign);
  }
  // Ed25519 signs without a separate hash: the binding is undefined.
  EvpPkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_TRUE(ed25519);
  X509Ptr cert = resigned(made->certificate.get(), ed25519.get(), nullptr);
  ASSERT_TRUE(cert);
  EXPECT_EQ(tls_server_end_point(cert.get()), "");
  EXPECT_EQ(tls_server_end_point(nullptr), "");
}

TEST_F(TlsContextTest, ClientVerifiesAnIpLiteralWithoutSendingSni) {
  auto server_context = TlsContext::server({{"localhost", "", ""}}, dir_.path());
  ASSERT_TRUE(server_context.ok()) << server_context.error().message;
  auto client_context = TlsContext::client({"", server_context->hosts()[0].certificate_file});
  ASSERT_TRUE(client_context.ok()) << client_context.error().message;
  for (const char* address : {"127.0.0.1", "::1", "localhost"}) {
    testing::Peer client;
    testing::Peer server;
    client.tls = std::move(TlsTransport::client(*client_context, address)).value();
    server.tls = std::move(TlsTransport::server(*server_context)).value();
    ASSERT_TRUE(client.tls->start(client.out).ok());
    testing::pump(client, server);
    ASSERT_FALSE(client.error) << address << ": " << client.error->message;
    EXPECT_TRUE(server.tls->handshake_done()) << address;
    EXPECT_EQ(server.tls->sni(), address == std::string_view("localhost") ? "localhost" : "");
  }
}

TEST_F(TlsContextTest, ClientContexts) {
  auto plain = TlsContext::client({});
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_FALSE(plain->is_server());
  EXPECT_FALSE(plain->verifies_peer());
  EXPECT_TRUE(plain->hosts().empty());

  auto missing = TlsContext::client({"", dir_.path() + "/nothing.pem"});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error().message, "nothing.pem")) << missing.error().message;

  auto long_alpn = TlsContext::client({std::string(256, 'x'), ""});
  EXPECT_FALSE(long_alpn.ok());

  // A transport refuses a context of the wrong side.
  auto server = TlsContext::server({{"localhost", "", ""}}, dir_.path());
  ASSERT_TRUE(server.ok());
  EXPECT_FALSE(TlsTransport::client(*server, "localhost").ok());
  EXPECT_FALSE(TlsTransport::server(*plain).ok());
}

}  // namespace
}  // namespace tern::tls
