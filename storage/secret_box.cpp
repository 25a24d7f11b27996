#include "storage/secret_box.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace regscan {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const error decrypt_failed{"cannot decrypt secret: wrong key or corrupted data"};

// Reads an existing key file, checking it before trusting it.
expected<std::array<unsigned char, secret_box::key_size>> read_key(const std::string& path, int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return make_error("cannot stat key file " + path + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode))
    return make_error("key file " + path + " is not a regular file");
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return make_error("key file " + path + " has mode " + mode
                      + ": it must not be accessible by group or others (chmod 600)");
  }
  if (st.st_size != static_cast<off_t>(secret_box::key_size))
    return make_error("key file " + path + " has " + std::to_string(st.st_size)
                      + " bytes, expected " + std::to_string(secret_box::key_size));
  std::array<unsigned char, secret_box::key_size> key{};
  std::size_t got = 0;
  while (got < key.size()) {
    auto r = ::read(fd, key.data() + got, key.size() - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return make_error("cannot read key file " + path + ": "
                        + (r < 0 ? errno_text(errno) : std::string{"short read"}));
    got += static_cast<std::size_t>(r);
  }
  return key;
}

// Makes a finished rename or link in `dir` survive a power loss.
expected<void> sync_dir(const std::string& dir) {
  fd_guard d;
  d.fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d.fd < 0 || ::fsync(d.fd) != 0)
    return make_error(errc::internal, "cannot sync directory " + dir + ": " + errno_text(errno));
  return {};
}

// Writes a fresh key to a temporary file and links it into place, so that a
// concurrent starter never sees a half-written key file. The temporary's name
// is unique (mkostemp), not derived from the pid: a daemon that runs as PID 1
// in a container and crashed mid-creation gets the same pid next time.
expected<void> create_key(const std::string& path) {
  std::array<unsigned char, secret_box::key_size> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    return make_error(errc::internal, "cannot generate a key: RAND_bytes failed");
  std::string tmp = path + ".tmp.XXXXXX";
  fd_guard f;
  // mkostemp creates the file with O_EXCL and mode 0600.
  f.fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (f.fd < 0) {
    OPENSSL_cleanse(key.data(), key.size());
    return make_error(errc::internal, "cannot create key file " + tmp + ": " + errno_text(errno));
  }
  auto fail = [&](std::string what) -> expected<void> {
    int e = errno;
    OPENSSL_cleanse(key.data(), key.size());
    ::unlink(tmp.c_str());
    return make_error(errc::internal, what + " " + tmp + ": " + errno_text(e));
  };
  // The umask may have taken bits away but never adds any; fchmod makes the
  // mode exactly 0600 either way.
  if (::fchmod(f.fd, 0600) != 0)
    return fail("cannot chmod key file");
  std::size_t put = 0;
  while (put < key.size()) {
    auto w = ::write(f.fd, key.data() + put, key.size() - put);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return fail("cannot write key file");
    put += static_cast<std::size_t>(w);
  }
  OPENSSL_cleanse(key.data(), key.size());
  if (::fsync(f.fd) != 0)
    return fail("cannot sync key file");
  if (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST)
    return fail("cannot link key file into place from");
  ::unlink(tmp.c_str());
  // The new name (and the temporary's removal) only last once the directory
  // itself is on disk.
  auto dir = std::filesystem::path(path).parent_path().string();
  return sync_dir(dir.empty() ? "." : dir);
}

std::string base64_encode(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  auto len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                             static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

bool base64_decode(std::string_view in, std::string& out) {
  if (in.empty() || in.size() % 4 != 0)
    return false;
  out.assign(in.size() / 4 * 3, '\0');
  auto len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(in.data()),
                             static_cast<int>(in.size()));
  if (len < 0)
    return false;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t pad = in.ends_with("==") ? 2 : in.ends_with("=") ? 1 : 0;
  out.resize(static_cast<std::size_t>(len) - pad);
  return true;
}

} // namespace

secret_box::~secret_box() { OPENSSL_cleanse(key_.data(), key_.size()); }

expected<secret_box> secret_box::open_or_create(const std::string& key_file) {
  // Two attempts: if creating loses a race with another process, read its key.
  for (int attempt = 0; attempt < 2; ++attempt) {
    fd_guard f;
    f.fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f.fd >= 0) {
      auto key = read_key(key_file, f.fd);
      if (!key)
        return key.err();
      secret_box box;
      box.key_ = *key;
      OPENSSL_cleanse(key->data(), key->size());
      return box;
    }
    if (errno != ENOENT)
      return make_error("cannot open key file " + key_file + ": " + errno_text(errno));
    if (auto created = create_key(key_file); !created)
      return created.err();
  }
  return make_error("cannot open key file " + key_file + ": it keeps disappearing");
}

expected<std::string> secret_box::seal(std::string_view plaintext) const {
  std::string buf(nonce_size + plaintext.size() + tag_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(buf.data());
  if (RAND_bytes(out, nonce_size) != 1)
    return make_error("cannot seal secret: RAND_bytes failed");
  cipher_ctx ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1
      || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, nonce_size, nullptr) != 1
      || EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), out) != 1
      || EVP_EncryptUpdate(ctx.get(), out + nonce_size, &len,
                           reinterpret_cast<const unsigned char*>(plaintext.data()),
                           static_cast<int>(plaintext.size()))
           != 1)
    return make_error("cannot seal secret: encryption failed");
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out + nonce_size + len, &tail) != 1
      || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size,
                             out + nonce_size + plaintext.size())
           != 1)
    return make_error("cannot seal secret: encryption failed");
  return base64_encode(out, buf.size());
}

std::string secret_box::derive_key(std::string_view purpose) const {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int n = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size(),
       reinterpret_cast<unsigned char*>(out.data()), &n);
  out.resize(n);
  return out;
}

expected<std::string> secret_box::open(std::string_view sealed) const {
  std::string raw;
  if (!base64_decode(sealed, raw) || raw.size() < nonce_size + tag_size)
    return decrypt_failed;
  auto* in = reinterpret_cast<unsigned char*>(raw.data());
  auto ct_len = raw.size() - nonce_size - tag_size;
  std::string plain(ct_len, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  cipher_ctx ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1
      || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, nonce_size, nullptr) != 1
      || EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), in) != 1
      || EVP_DecryptUpdate(ctx.get(), out, &len, in + nonce_size, static_cast<int>(ct_len)) != 1
      || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size,
                             in + nonce_size + ct_len)
           != 1)
    return decrypt_failed;
  int tail = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out + len, &tail) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return decrypt_failed;
  }
  return plain;
}

} // namespace regscan
