#pragma once
// TLS on the worker link (README "Scaling out"): CAF 0.17's OpenSSL module
// (libcaf_openssl) with certificates on both sides. regscand presents a
// server certificate and requires a client certificate from every worker;
// a worker requires the daemon's. Both are checked against the same CA file.
#include <string>

#include <caf/fwd.hpp>

#include "scanners/expected.hpp"

namespace regscan {

/// This side's certificate (PEM, with its chain), its private key (PEM, not
/// encrypted), and the CA that signs the other side's certificates.
struct worker_tls_files {
  std::string cert;
  std::string key;
  std::string ca;
  bool any() const { return !cert.empty() || !key.empty() || !ca.empty(); }
  bool all() const { return !cert.empty() && !key.empty() && !ca.empty(); }
};

/// Loads the files as CAF will at every new connection, so a bad file is
/// named now instead of aborting the process later: the certificate and the
/// key must load and match, the CA must load, and the certificate must
/// verify against the CA for its role (`server`: the daemon's, else a
/// worker's), or the other side would refuse it.
expected<void> check_worker_tls(const worker_tls_files& files, bool server);

/// Sets CAF's openssl.certificate, openssl.key and openssl.cafile, and loads
/// its OpenSSL module (the middleman must be loaded already). Connections
/// then go through caf::openssl::publish / remote_actor.
void use_worker_tls(caf::actor_system_config& cfg, const worker_tls_files& files);

} // namespace regscan
