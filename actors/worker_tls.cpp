#include "actors/worker_tls.hpp"

#include <sys/stat.h>

#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include <spdlog/spdlog.h>

namespace regscan {

namespace {

std::string ssl_errors() {
  std::string out;
  while (auto e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += out.empty() ? "" : "; ";
    out += buf;
  }
  return out.empty() ? "no detail" : out;
}

// An encrypted key would make OpenSSL ask for a passphrase on the terminal.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

} // namespace

expected<void> check_worker_tls(const worker_tls_files& files, bool server) {
  if (!files.all())
    return make_error(errc::invalid, "the worker link's TLS needs three files: a certificate, its "
                                     "key and the CA that signs the other side's certificates");
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_method()), SSL_CTX_free};
  if (!ctx)
    return make_error(errc::internal, "OpenSSL: " + ssl_errors());
  SSL_CTX_set_default_passwd_cb(ctx.get(), no_passphrase);
  // The key first: a certificate loaded after a key that is not its own
  // drops the key, and the check below names the mismatch.
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return make_error(errc::invalid, "cannot load the TLS key " + files.key
                                       + " (it must be PEM and not encrypted): " + ssl_errors());
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert.c_str()) != 1)
    return make_error(errc::invalid,
                      "cannot load the TLS certificate " + files.cert + ": " + ssl_errors());
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return make_error(errc::invalid, "the TLS key " + files.key + " does not belong to the certificate "
                                       + files.cert);
  if (SSL_CTX_load_verify_locations(ctx.get(), files.ca.c_str(), nullptr) != 1)
    return make_error(errc::invalid, "cannot load the TLS CA " + files.ca + ": " + ssl_errors());
  // The other side checks this certificate against the same CA, for its role.
  X509* cert = SSL_CTX_get0_certificate(ctx.get());
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx.get(), &chain);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> check{X509_STORE_CTX_new(),
                                                                         X509_STORE_CTX_free};
  if (!check || X509_STORE_CTX_init(check.get(), SSL_CTX_get_cert_store(ctx.get()), cert, chain) != 1)
    return make_error(errc::internal, "OpenSSL: " + ssl_errors());
  X509_STORE_CTX_set_purpose(check.get(), server ? X509_PURPOSE_SSL_SERVER : X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(check.get()) != 1)
    return make_error(errc::invalid,
                      "the TLS certificate " + files.cert + " does not verify against the CA "
                        + files.ca + " as a TLS " + (server ? "server" : "client") + " certificate: "
                        + X509_verify_cert_error_string(X509_STORE_CTX_get_error(check.get())));
  struct stat st {};
  if (::stat(files.key.c_str(), &st) == 0 && (st.st_mode & S_IROTH))
    spdlog::warn("the TLS key {} is readable by every user: chmod o-r it", files.key);
  return {};
}

void use_worker_tls(caf::actor_system_config& cfg, const worker_tls_files& files) {
  cfg.openssl_certificate = files.cert;
  cfg.openssl_key = files.key;
  cfg.openssl_cafile = files.ca;
  cfg.load<caf::openssl::manager>();
}

} // namespace regscan
