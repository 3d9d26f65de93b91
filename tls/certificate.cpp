// SPDX-License-Identifier: MIT
// Certificate loading, self-signed generation and storage, and the tls-server-end-point hash
// (see certificate.h).
#include "tls/certificate.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace tern::tls {
namespace {

using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_free>>;
using ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;

// Never prompt on the terminal for a passphrase: an encrypted key is an error.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return 0;
}

std::string errno_message(int error) {
  return std::error_code(error, std::generic_category()).message();
}

Result<BioPtr, TlsError> open_for_reading(const std::string& path, std::string_view what) {
  ERR_clear_error();
  BioPtr in(BIO_new_file(path.c_str(), "r"));
  if (!in) {
    const int error = errno;
    ERR_clear_error();
    return Err(TlsError{std::string(what) + " " + path + ": cannot open: " + errno_message(error)});
  }
  return in;
}

// Letters, digits, '.', '-' (a DNS name), or an IP literal; nothing that could escape a file
// name or an OpenSSL extension value.
bool plain_domain(std::string_view domain) {
  if (domain.empty() || domain.front() == '.' || domain.size() > 253) {
    return false;
  }
  for (char c : domain) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) {
      return false;
    }
  }
  return true;
}

TlsError unsupported_domain(std::string_view domain) {
  return TlsError{"cannot generate a certificate for '" + std::string(domain) +
                  "': only ASCII names are supported; configure a certificate"};
}

// The subjectAltName value in OpenSSL's configuration syntax.
std::string subject_alt_names(std::string_view domain) {
  std::string host(domain);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (ip != nullptr) {
    ASN1_OCTET_STRING_free(ip);
    return "IP:" + host;
  }
  ERR_clear_error();
  std::string names = "DNS:" + host;
  if (host == "localhost") {
    names += ",IP:127.0.0.1,IP:::1";
  }
  return names;
}

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

Result<std::string, TlsError> to_pem(const CertifiedKey& material, bool key) {
  BioPtr out(BIO_new(BIO_s_mem()));
  const bool ok = out && (key ? PEM_write_bio_PrivateKey(out.get(), material.key.get(), nullptr,
                                                         nullptr, 0, nullptr, nullptr)
                              : PEM_write_bio_X509(out.get(), material.certificate.get())) == 1;
  if (!ok) {
    return Err(TlsError{"cannot encode PEM: " + take_openssl_errors()});
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Writes through a temporary file and a rename, so a crash never leaves half a file.
Result<void, TlsError> write_file(const std::string& path, std::string_view content, mode_t mode) {
  const std::string temporary = path + ".tmp";
  ::unlink(temporary.c_str());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return Err(TlsError{temporary + ": cannot create: " + errno_message(errno)});
  }
  int error = 0;
  while (!content.empty() && error == 0) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n > 0) {
      content.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno != EINTR) {
      error = errno;
    }
  }
  if (error == 0 && ::fsync(fd) != 0) {
    error = errno;
  }
  if (::close(fd) != 0 && error == 0) {
    error = errno;
  }
  if (error == 0 && ::rename(temporary.c_str(), path.c_str()) != 0) {
    error = errno;
  }
  if (error != 0) {
    ::unlink(temporary.c_str());
    return Err(TlsError{path + ": cannot write: " + errno_message(error)});
  }
  return {};
}

}  // namespace

Result<CertifiedKey, TlsError> load_certified_key(const std::string& certificate_file,
                                                  const std::string& key_file) {
  CertifiedKey material;
  {
    auto in = open_for_reading(certificate_file, "certificate");
    if (!in.ok()) {
      return Err(in.error());
    }
    material.certificate.reset(PEM_read_bio_X509(in->get(), nullptr, no_passphrase, nullptr));
    if (!material.certificate) {
      return Err(TlsError{"certificate " + certificate_file +
                          ": no PEM certificate: " + take_openssl_errors()});
    }
    material.chain.reset(sk_X509_new_null());
    if (!material.chain) {
      return Err(TlsError{"out of memory"});
    }
    while (X509Ptr next{PEM_read_bio_X509(in->get(), nullptr, no_passphrase, nullptr)}) {
      if (sk_X509_push(material.chain.get(), next.get()) == 0) {
        return Err(TlsError{"out of memory"});
      }
      (void)next.release();  // the stack owns it now
    }
    // The loop ends at the end of the file, which PEM reports as "no start line".
    const unsigned long last = ERR_peek_last_error();
    if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
      ERR_clear_error();
    } else if (last != 0) {
      return Err(TlsError{"certificate " + certificate_file +
                          ": bad intermediate certificate: " + take_openssl_errors()});
    }
  }
  auto in = open_for_reading(key_file, "key");
  if (!in.ok()) {
    return Err(in.error());
  }
  material.key.reset(PEM_read_bio_PrivateKey(in->get(), nullptr, no_passphrase, nullptr));
  if (!material.key) {
    return Err(TlsError{"key " + key_file + ": no PEM private key (or an encrypted one, which is " +
                        "not supported): " + take_openssl_errors()});
  }
  if (X509_check_private_key(material.certificate.get(), material.key.get()) != 1) {
    ERR_clear_error();
    return Err(TlsError{"key " + key_file + " does not match certificate " + certificate_file});
  }
  return material;
}

Result<CertifiedKey, TlsError> make_self_signed(std::string_view domain) {
  if (!plain_domain(domain)) {
    return Err(unsupported_domain(domain));
  }
  ERR_clear_error();
  CertifiedKey material;
  material.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  material.certificate.reset(X509_new());
  material.chain.reset(sk_X509_new_null());
  BignumPtr serial(BN_new());
  X509* cert = material.certificate.get();
  const std::string cn(domain);
  const bool ok =
      material.key && cert != nullptr && material.chain && serial &&
      X509_set_version(cert, X509_VERSION_3) == 1 &&
      BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ODD) == 1 &&
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr &&  // clock skew
      X509_time_adj_ex(X509_getm_notAfter(cert), kSelfSignedValidityDays, 0, nullptr) != nullptr &&
      X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) == 1 &&
      X509_set_issuer_name(cert, X509_get_subject_name(cert)) == 1 &&
      X509_set_pubkey(cert, material.key.get()) == 1 &&
      add_extension(cert, NID_basic_constraints, "critical,CA:FALSE") &&
      add_extension(cert, NID_ext_key_usage, "serverAuth") &&
      add_extension(cert, NID_subject_key_identifier, "hash") &&
      add_extension(cert, NID_subject_alt_name, subject_alt_names(domain)) &&
      X509_sign(cert, material.key.get(), EVP_sha256()) > 0;
  if (!ok) {
    return Err(TlsError{"cannot generate a certificate for " + cn + ": " + take_openssl_errors()});
  }
  return material;
}

std::string self_signed_certificate_path(std::string_view domain, const std::string& directory) {
  return directory + "/" + std::string(domain) + ".crt";
}

std::string self_signed_key_path(std::string_view domain, const std::string& directory) {
  return directory + "/" + std::string(domain) + ".key";
}

Result<CertifiedKey, TlsError> load_or_make_self_signed(std::string_view domain,
                                                        const std::string& directory,
                                                        bool& generated) {
  generated = false;
  if (!plain_domain(domain)) {
    return Err(unsupported_domain(domain));
  }
  const std::string certificate_file = self_signed_certificate_path(domain, directory);
  const std::string key_file = self_signed_key_path(domain, directory);
  std::error_code ec;
  if (std::filesystem::exists(certificate_file, ec)) {
    return load_certified_key(certificate_file, key_file);
  }
  auto made = make_self_signed(domain);
  if (!made.ok()) {
    return made;
  }
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    return Err(TlsError{directory + ": cannot create directory: " + ec.message()});
  }
  // The key first: a certificate file on disk means both are complete.
  for (const bool key : {true, false}) {
    auto pem = to_pem(*made, key);
    if (!pem.ok()) {
      return Err(pem.error());
    }
    auto written = write_file(key ? key_file : certificate_file, *pem, key ? 0600 : 0644);
    if (!written.ok()) {
      return Err(written.error());
    }
  }
  generated = true;
  return made;
}

std::string tls_server_end_point(X509* certificate) {
  int md_nid = NID_undef;
  if (certificate == nullptr ||
      X509_get_signature_info(certificate, &md_nid, nullptr, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  if (md_nid == NID_md5 || md_nid == NID_sha1) {
    md_nid = NID_sha256;
  }
  const EVP_MD* md = md_nid == NID_undef ? nullptr : EVP_get_digestbynid(md_nid);
  std::string hash(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  if (md == nullptr ||
      X509_digest(certificate, md, reinterpret_cast<unsigned char*>(hash.data()), &size) != 1) {
    ERR_clear_error();
    return {};
  }
  hash.resize(size);
  return hash;
}

std::string sha256_fingerprint(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (certificate == nullptr || X509_digest(certificate, EVP_sha256(), digest, &size) != 1) {
    ERR_clear_error();
    return {};
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    if (i != 0) {
      out += ':';
    }
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace tern::tls
