#pragma once
// Seals registry passwords at rest with AES-256-GCM under a key kept in a
// 0600 file beside the database.
#include <array>
#include <string>
#include <string_view>

#include "scanners/expected.hpp"

namespace regscan {

class secret_box {
 public:
  static constexpr std::size_t key_size = 32;
  static constexpr std::size_t nonce_size = 12;
  static constexpr std::size_t tag_size = 16;

  /// Reads the 32-byte key in `key_file`, or creates it (mode 0600, whatever
  /// the umask) when it does not exist. Refuses a key file that is not a
  /// regular file, is readable or writable by group or others, or is not
  /// exactly 32 bytes.
  static expected<secret_box> open_or_create(const std::string& key_file);

  /// base64(random 12-byte nonce || ciphertext || 16-byte tag).
  expected<std::string> seal(std::string_view plaintext) const;
  /// The plaintext, or "cannot decrypt secret: wrong key or corrupted data".
  expected<std::string> open(std::string_view sealed) const;
  /// A 32-byte key for another use, derived from this one (HMAC-SHA256 of
  /// `purpose`): one key file, and no use learns another's key.
  std::string derive_key(std::string_view purpose) const;

  secret_box(const secret_box&) = default;
  secret_box& operator=(const secret_box&) = default;
  ~secret_box();

 private:
  secret_box() = default;
  std::array<unsigned char, key_size> key_{};
};

} // namespace regscan
