// A workaround for CAF 0.17.6's OpenSSL module, linked into regscand and
// regscan-worker. OpenSSL keeps one error queue per thread, and
// SSL_get_error() reports whatever is queued, so it must be empty before each
// TLS I/O call. CAF never empties it: after one connection fails (a worker
// killed mid-read leaves "unexpected eof", a peer with a bad certificate
// leaves "certificate verify failed"), the next read of any other connection
// on CAF's I/O thread that would merely block is taken for an error, and that
// connection is closed too (seen in e2e_workers: killing one worker dropped
// the other). These definitions in the program come before libssl's in the
// dynamic linker's lookup, so CAF's calls land here: empty the queue, then
// call OpenSSL's own function.
#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

template <class F>
F real(const char* name) {
  // libssl's own symbol, skipping this program's.
  void* f = dlvsym(RTLD_NEXT, name, "OPENSSL_3.0.0");
  if (!f)
    f = dlsym(RTLD_NEXT, name);
  return reinterpret_cast<F>(f);
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static auto f = real<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return f(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto f = real<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return f(ssl, buf, num);
}

int SSL_connect(SSL* ssl) {
  static auto f = real<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return f(ssl);
}

int SSL_accept(SSL* ssl) {
  static auto f = real<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return f(ssl);
}

} // extern "C"
