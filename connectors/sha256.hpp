#pragma once
// Streaming SHA-256 (OpenSSL EVP: uses SHA-NI where the CPU has it).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace regscan {

class sha256 {
 public:
  sha256();
  ~sha256();
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;
  void update(const void* data, size_t size);
  /// "sha256:<64 hex>"; the hasher is spent afterwards.
  std::string digest();

 private:
  struct ctx_deleter {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, ctx_deleter> ctx_;
};

/// "sha256:<hex>" of a whole buffer.
std::string sha256_digest(std::string_view bytes);

/// True for "sha256:" followed by exactly 64 lowercase hex digits.
bool is_sha256_digest(std::string_view digest);

} // namespace regscan
